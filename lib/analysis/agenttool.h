/* analysis/agenttool.h: the interface of agenttool.c (layer: analysis). */
#ifndef BI_ANALYSIS_AGENTTOOL_H
#define BI_ANALYSIS_AGENTTOOL_H

#include <jv.h>
#include <signal.h>
#include <stddef.h>

/* What an agent's tools work on: the project, confined; what they found
 * is the model's, what they propose is kept in changes until a person
 * accepts it. Set root (any path to the project) and the settings, then
 * bi_agent_env_open; free with bi_agent_env_free. */
typedef struct bi_agent_env {
	char *root;		/* the project's real path (bi_agent_env_open) */
	char *test_cmd;		/* run_tests: a sh -c command, run in root (owned) */
	int test_timeout;	/* s */
	const char *store_db;	/* query: the database bi-store reads (NULL: its default) */
	jv changes;		/* proposed: {path: {"old": text or null, "new": text}} */
	char *summary;		/* what finish said, or NULL */
	int finished;
	volatile sig_atomic_t *stop;	/* when set (a signal), commands end */
} bi_agent_env;

/* root made real; changes an empty object. 0, or -1 with the reason. */
int bi_agent_env_open(bi_agent_env *e, const char *root, char *err, size_t n);
void bi_agent_env_free(bi_agent_env *e);

/* rel, a path the model gave, inside root (a real path): a relative path
 * without ".." and, once symlinks are resolved, still under root. *out gets
 * the resolved path relative to root ("." for root itself; the caller frees
 * it). must_exist 0 allows a file not there yet (its folder must be inside).
 * Paths into .git are refused too: hooks there would run. 0, or -1 with
 * the reason, worded for the model. */
int bi_agent_confine(const char *root, const char *rel, int must_exist, char **out,
		     char *err, size_t n);

/* Open rel (a path bi_agent_confine gave) under root for reading, without
 * following any symlink (openat2 RESOLVE_BENEATH where the kernel has it):
 * a link swapped in after the check is refused, not followed. fd or -1. */
int bi_agent_open(const char *root, const char *rel);

/* The text of rel (a path bi_agent_confine gave) under root, opened as
 * bi_agent_open does: a regular text file of at most 256 KiB. The caller
 * frees it; NULL with the reason (errno ENOENT when it is not there). */
char *bi_agent_read(const char *root, const char *rel, size_t *len, char *err, size_t n);

/* Apply a unified diff of one file (its "---"/"+++" lines optional; hunks
 * "@@ -A,B +C,D @@") to text. A hunk whose lines do not match where it says
 * is looked for elsewhere in the file, after the previous hunk. The new
 * text (the caller frees it), or NULL with the reason. */
char *bi_agent_patch(const char *text, const char *diff, char *err, size_t n);

/* Run argv in dir, stdin from /dev/null, stdout and stderr together, in a
 * process group of its own, for at most timeout seconds, or until *stop
 * (when not NULL) is set; then its group is killed. When argv exits, its
 * group is killed too, once its output is read (or after a short drain,
 * when a child of it holds the output open). *out gets the last cap bytes
 * of the output. Its exit status, 128+signal when killed, 124 at the
 * timeout, 130 when stopped, or -1 when it could not start (errno). */
int bi_agent_exec(const char *const *argv, const char *dir, int timeout, size_t cap,
		  volatile sig_atomic_t *stop, char **out);

/* The test command of a project: cfg_cmd when set, else by what the
 * project holds (a Makefile: make test; package.json: npm test; pom.xml,
 * go.mod, a Python project), else NULL. The caller frees it. */
char *bi_agent_test_command(const char *root, const char *cfg_cmd);

/* Run the tool name with args (an object, borrowed) for the model. The
 * result text for the model (the caller frees it); *is_error set when the
 * tool refused or failed, the text then saying why. Unknown tools and bad
 * arguments are errors too: nothing here ends the process. */
char *bi_agent_tool(bi_agent_env *e, const char *name, jv args, int *is_error);

#define BI_AGENT_RESULT_MAX 16384	/* bytes of a tool's result the model gets */

#endif
