/* sources/merge.h: the interface of merge.c (layer: sources). */
#ifndef BI_SOURCES_MERGE_H
#define BI_SOURCES_MERGE_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

/* Merges records from many threads into time order: producers put records
 * with their time; the consumer takes them out oldest first, once they are
 * older than the window (live streams) or once every producer is done. Past
 * cap records waiting, the oldest leaves at once (order holds within those);
 * while twice cap wait (the consumer is behind), bi_merge_put blocks, so
 * memory stays bounded and the sources slow down instead. */
typedef struct bi_merge bi_merge;
bi_merge *bi_merge_new(size_t cap, int64_t window_ns);
void bi_merge_free(bi_merge *m);
void bi_merge_put(bi_merge *m, int64_t ts, jv rec);	/* consumes rec; any thread; may wait */
/* The same, never waiting: for the consumer's own thread, which would wait
 * for itself. */
void bi_merge_put_nowait(bi_merge *m, int64_t ts, jv rec);
void bi_merge_producer(bi_merge *m, int delta);		/* +1 starting, -1 done */
/* The next record, blocking up to wait_ns for one to be due. 1: *rec set;
 * 0: nothing due yet; -1: every producer is done and nothing is left. */
int bi_merge_take(bi_merge *m, jv *rec, int64_t wait_ns);

#endif
