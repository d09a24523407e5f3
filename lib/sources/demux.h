/* sources/demux.h: the interface of demux.c (layer: sources). */
#ifndef BI_SOURCES_DEMUX_H
#define BI_SOURCES_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
/* Docker's log stream taken apart: fed the body of a logs or exec request
 * in chunks of any size, it reassembles frames (8-byte header: stream, 3
 * zero bytes, big-endian length) and lines split across frames (Docker
 * splits lines over 16 KiB), and parses the timestamp at the start of each
 * line. Pure: no I/O; a bi_demux belongs to one thread. */

/* A line of a log: its stream (1 stdout, 2 stderr), Docker's timestamp in
 * ns (0: none), its bytes without the '\n' (borrowed for the call).
 * Returns nonzero to stop. */
typedef int (*bi_log_fn)(void *ctx, int stream, int64_t ts, const char *line,
			 size_t len);

typedef struct bi_demux {
	int tty;		/* 1: the body is not framed (a container with a TTY);
				   0: framed; -1: find out from the first bytes */
	int ts;			/* entries begin with a timestamp (default 1) */
	bi_buf frame;		/* the current frame's payload */
	unsigned char hdr[8];
	size_t hdrlen;
	size_t left;		/* payload bytes left in the current frame */
	int stream;
	bi_buf line[3];		/* partial line per stream (1, 2) */
	int64_t line_ts[3];
	bi_log_fn fn;
	void *ctx;
	int stopped;
} bi_demux;

/* Start m: lines go to fn with ctx. Cannot fail. */
void bi_demux_init(bi_demux *m, int tty, bi_log_fn fn, void *ctx);

/* Feed n bytes (any content). Each whole line goes to fn once; a line's
 * timestamp is its first entry's (a split line's later parts lose theirs).
 * Returns nonzero once fn has asked to stop (the rest is then ignored). */
int bi_demux_feed(bi_demux *m, const char *buf, size_t n);

/* The body has ended: pass the lines still without their '\n'. */
void bi_demux_end(bi_demux *m);

/* Free what m holds (ended or not); m may be started again. */
void bi_demux_free(bi_demux *m);

#endif
