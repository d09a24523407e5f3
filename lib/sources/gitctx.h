/* sources/gitctx.h: the interface of gitctx.c (layer: sources). */
#ifndef BI_SOURCES_GITCTX_H
#define BI_SOURCES_GITCTX_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

/* Is start (a path) inside a git repository? */
int bi_git_is_repo(const char *start);

/* The commits of the repository holding start, newest first: those in range
 * ("A..B"), or without one those made between since and until (ns; 0 leaves
 * that end open). fn gets each as a `commit` record (sha, author, email, msg,
 * body, files, files_changed, insertions, deletions, repo), owned by fn, and
 * returns nonzero to stop. 0; -1 when start is in no repository; -2 on
 * another error; err says which. */
int bi_git_commits(const char *start, const char *range, int64_t since, int64_t until,
		   int (*fn)(void *ctx, jv commit), void *ctx, char *err, size_t n);

#endif
