/* analysis/agentgit.h: the interface of agentgit.c (layer: analysis). */
#ifndef BI_ANALYSIS_AGENTGIT_H
#define BI_ANALYSIS_AGENTGIT_H

#include <jv.h>
#include <signal.h>
#include <stddef.h>

/* What git says of the project at root, as text for the model (the caller
 * frees it), or NULL with the reason: the last n commits; the files
 * changed, staged or not tracked; the diff of the working tree against
 * HEAD (of path only, when not NULL), at most max bytes. */
char *bi_agent_git_log(const char *root, int n, char *err, size_t errlen);
char *bi_agent_git_status(const char *root, char *err, size_t errlen);
char *bi_agent_git_diff(const char *root, const char *path, size_t max, char *err, size_t errlen);

/* A unified diff of path from old (NULL: a new file) to new_, with a+b/
 * prefixes and 3 lines of context; "" when they are the same. The caller
 * frees it. Cannot fail but for memory. */
char *bi_agent_diff(const char *path, const char *old, const char *new_);

/* Accepting a suggestion. In the repository holding root: make branch at
 * HEAD, check it out in a new worktree at wt (its git name: wtname; what
 * an earlier try left there is removed first), make changes ({path:
 * {"old": text or null, "new": text}}, borrowed; paths relative to root,
 * which may be a folder of the repository) there as changes against old:
 * a file that differs from old gets the change patched in, or the accept
 * is refused. Then run test_cmd (NULL: no tests) in root's folder there
 * for at most timeout s (stop, when set, ends them), and when it passes
 * commit the changes (libgit2) as author with msg. *report gets what
 * happened: {"branch","worktree","tests":{"command","status","output"},
 * "commit"}. 0 committed; 1 the tests failed (the worktree is left,
 * uncommitted, to look at); -1 with the reason in err (nothing is left). */
typedef struct bi_agent_accept_req {
	const char *root, *branch, *wt, *wtname;
	jv changes;
	const char *test_cmd;
	int timeout;
	const char *msg, *author, *email;
	volatile sig_atomic_t *stop;
} bi_agent_accept_req;
int bi_agent_accept(const bi_agent_accept_req *a, jv *report, char *err, size_t errlen);

/* Remove the worktree wtname and branch an accept left in root's
 * repository, when there (and when root is in one); a branch with commits
 * HEAD does not hold is kept and refused. 0, or -1 with the reason. */
int bi_agent_discard(const char *root, const char *branch, const char *wtname, char *err, size_t errlen);

#endif
