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
 * bi_journal_add returns the entry's id (-1 when it cannot be written). */
int bi_journal_add(const char *path, jv entry);	/* consumes entry */
int bi_journal_done(const char *path, int id);
jv bi_journal_pending(const char *path);	/* entries not undone, newest first */
/* Undo one entry (borrowed); 0, or -1 with the reason. What is already gone
 * counts as undone. d may be NULL when no Docker entry is pending. */
int bi_journal_undo(jv entry, bi_docker *d, char *err, size_t n);

#endif
