/* engines/chaos.h: the interface of chaos.c (layer: engines). */
#ifndef BI_ENGINES_CHAOS_H
#define BI_ENGINES_CHAOS_H

#include <jv.h>
#include <stddef.h>
#include <sys/types.h>

#include "sources/docker.h"
/* The chaos journal: one JSON line per change, flushed to disk before the
 * change is made, saying how to undo it; {"undone": ID} once undone. Entries:
 *   {"action":"docker", "container":ID, "undo":"start"|"unpause"}
 *   {"action":"toxic", "api":URL, "proxy":NAME, "toxic":NAME}
 *   {"action":"proxy", "api":URL, "proxy":NAME}      (re-enable it)
 *   {"action":"process", "pid":N, "command":TEXT}     (a helper we started)
 *   {"action":"hog", "container":ID, "path":FILE}     (bi-hog in a container:
 *                                  `FILE stop` there ends it and removes FILE)
 * bi_journal_add returns the entry's id; -1, with errno, when it cannot be
 * written (then nothing may be changed). */
int bi_journal_add(const char *path, jv entry);	/* consumes entry */
int bi_journal_done(const char *path, int id);
jv bi_journal_pending(const char *path);	/* entries not undone, newest first */
/* Undo one entry (borrowed); 0, or -1 with the reason. What is already gone
 * counts as undone. d may be NULL when no Docker entry is pending. */
int bi_journal_undo(jv entry, bi_docker *d, char *err, size_t n);

/* One experiment per project at a time: an exclusive flock(2) on path (made
 * with its folder when missing), which then holds this process's pid. The
 * lock lasts until the descriptor is closed, or the process ends, however it
 * ends. Returns the descriptor (close-on-exec); -1 when another holds it,
 * with its pid in *holder (0 when unknown); -1 with errno and *holder -1
 * when the file cannot be opened. */
int bi_chaos_lock(const char *path, long *holder);

#endif
