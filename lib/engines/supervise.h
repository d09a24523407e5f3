/* engines/supervise.h: the interface of supervise.c (layer: engines). */
#ifndef BI_ENGINES_SUPERVISE_H
#define BI_ENGINES_SUPERVISE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A supervisor of programs ("parts") that run for as long as it does: it
 * starts them, relays the lines of the producers to the sinks by the kind
 * of their records, starts again what ends, and stops them in order. The
 * caller describes the parts and gives its own concerns as callbacks; the
 * run's state is a bi_sup the caller makes and frees. Single-threaded: the
 * run blocks signals in the calling thread (see bi_sup_run). */
typedef struct bi_sup bi_sup;

#define BI_SUP_MAX_PARTS 16

/* Where a producer's lines go: to the part `sink`, its records whose
 * "kind" is one of kinds (NULL-terminated; NULL: every record), and with
 * unreadable set, the lines that are no records too (not a JSON object
 * with a string "kind": the sink is there to say what is wrong with them).
 * A line goes to a sink once, however many of the producer's routes to it
 * match. A producer's routes end with one whose sink is -1. */
typedef struct bi_sup_route {
	int sink;
	const char *const *kinds;
	int unreadable;
} bi_sup_route;

/* A part, as the caller describes it (borrowed for the supervisor's life). */
typedef struct bi_sup_part {
	const char *name;		/* in the log and the messages */
	int sink;			/* takes lines on its stdin */
	int producer;			/* gives lines on its stdout */
	const bi_sup_route *routes;	/* a producer's */
	/* It resumes from what the sinks it feeds committed: when one of them
	 * ends, the caller's resume is asked at once where it would resume,
	 * and the part, if it runs, is started again (after a second) from
	 * there, so that what the sink had taken and not committed comes
	 * again. */
	int resumes;
	/* An exit status after which it is not started again (0: none), and
	 * what the log says then, after "NAME: ". What is held for it is
	 * dropped, and nothing more is given to it. */
	int final_status;
	const char *final_why;
} bi_sup_part;

typedef struct bi_sup_conf {
	const bi_sup_part *parts;	/* started in this order */
	int nparts;			/* 1 to BI_SUP_MAX_PARTS */
	void *ctx;			/* given to every callback */
	/* The command of part i: a NULL-terminated array whose strings and
	 * itself the supervisor frees (each by free()); argv[0] a path, run
	 * as it is (execv). resume: where the part resumes (the caller's
	 * resume gave it), NULL for a part that does not resume. */
	char **(*argv)(void *ctx, int part, const char *resume);
	/* Where part i would resume now, a string the supervisor frees; asked
	 * when a sink it feeds ends (kept until it starts) and when it starts
	 * with none kept. NULL: no part resumes. */
	char *(*resume)(void *ctx, int part);
	/* One line for the log: a part's stderr line (who: its name), or the
	 * supervisor's own message (who: NULL). text is n bytes, no newline. */
	void (*log)(void *ctx, const char *who, const char *text, size_t n);
	/* Called on the run's first turn and every tick_every after (NULL:
	 * never); the place to show the state, and to call bi_sup_stop. */
	void (*tick)(void *ctx);
	int64_t tick_every;		/* ns; 0: 2 s */
	int64_t grace;			/* ns a stop may take before what is left is killed; 0: 20 s */
} bi_sup_conf;

/* What the caller may show of part i (bi_sup_part_status). */
typedef struct bi_sup_status {
	int enabled;		/* 0: disabled, or ended with its final_status */
	pid_t pid;		/* 0: not running */
	int restarts;		/* times started again after it ended (not on purpose) */
	long records;		/* producer: records read from it (lines with a kind) */
	int64_t last_ts;	/* producer: the newest "ts" among them, wall ns; 0: none */
	int64_t last_at;	/* producer: when the last of them came, wall ns; 0: none */
	double rate;		/* sink: records a second given to it, smoothed at each tick */
	size_t held;		/* sink: bytes held for it, not yet written to it */
	size_t buffer;		/* sink: bytes its buffer takes (held, and written not yet let go) */
} bi_sup_status;

/* A supervisor of c's parts, all enabled, none running. c is copied;
 * c->parts (and their routes, kinds and strings) are borrowed and must
 * outlive it. NULL when c is not usable: no argv or log callback, no
 * parts or more than BI_SUP_MAX_PARTS, a route to a part that is no sink,
 * a resuming part without a resume callback. */
bi_sup *bi_sup_new(const bi_sup_conf *c);

/* Free s: what it holds, and its ends of the parts' pipes. Parts still
 * running (after bi_sup_run returned early) are not signalled. NULL: nothing. */
void bi_sup_free(bi_sup *s);

/* Before bi_sup_run: whether part i is started at all (all are, by
 * default). A disabled sink is given nothing: what is routed to it is
 * dropped. */
void bi_sup_enable(bi_sup *s, int part, int on);

/* Run the parts until they are stopped: start the enabled ones, relay,
 * restart, tick. The stop begins when *stop (set by a signal handler:
 * (*stop)++; NULL: never) is nonzero, or when a callback calls
 * bi_sup_stop; *stop at 2 or more during the stop ends it at once (what
 * runs is killed). While it runs every signal is blocked in the calling
 * thread but while it waits (so handlers run there, and never between a
 * fork and its exec), SIGCHLD has a handler of its own and SIGPIPE is
 * ignored; all three are as they were when it returns. Returns how many
 * lines were held for sinks that never took them (0: every line given
 * was taken); -1 with errno when it cannot wait (ppoll): then every part
 * is killed (SIGKILL). Once per bi_sup. */
long bi_sup_run(bi_sup *s, volatile sig_atomic_t *stop);

/* Begin the stop (from a callback of the run; again: nothing). */
void bi_sup_stop(bi_sup *s);

/* Whether the stop has begun. */
int bi_sup_stopping(const bi_sup *s);

/* Part i's status, during the run (from a callback) or after it. */
bi_sup_status bi_sup_part_status(const bi_sup *s, int part);

#endif
