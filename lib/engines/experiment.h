/* engines/experiment.h: the interface of experiment.c (layer: engines). */
#ifndef BI_ENGINES_EXPERIMENT_H
#define BI_ENGINES_EXPERIMENT_H

#include <jv.h>
#include <signal.h>
#include <stdint.h>

#include "sources/docker.h"
#include "engines/endpoint.h"
/* One run of chaos experiments on a compose project. The caller fills in the
 * options (and the load, with bi_chaos_set_load); the rest is the run's own
 * state, zero to begin with, freed by bi_chaos_free. */
typedef struct bi_chaos {
	const char *project;	/* compose project: its containers only are touched */
	const char *service;	/* the app's compose service */
	const char *base;	/* the app's URL, "http://127.0.0.1:PORT" */
	const char *intensity;	/* low, medium or high */
	const char *target;	/* the dependency to break; NULL: the first found */
	const char *journal;	/* the journal's path (bi_journal_add) */
	const char *bindir;	/* where bi-hog is */
	int64_t duration;	/* how long each fault lasts, ns */
	int64_t recovery;	/* how long recovery may take, ns */
	double max_errors;	/* error rate above which a probe fails */
	int dry_run;		/* plan only: touch nothing; Docker may be NULL */
	bi_docker *d;
	jv cfg;			/* borrowed: the project's configuration */
	volatile sig_atomic_t *stop;	/* set (by a signal): wind down, put back */
	/* The load: endpoints with weights, and where they came from. */
	bi_endpoint *eps;
	int neps;
	char *load_from;
	/* Set, with the reason, when this machine failed a scenario: the
	 * journal could not be written (so nothing was changed), or the load
	 * had no thread. The tool's exit 4; empty while none has. */
	char local_error[256];
} bi_chaos;

/* The experiments' load: the endpoints of the bi-perf scenario at path (its
 * base_url, stages and thresholds are not used), named in records as name;
 * with path NULL, one GET of the health path (services.app.health, else
 * /health). 0, or -1 with the reason in err (a missing or malformed file, an
 * endpoint without a path, no weight at all). */
int bi_chaos_set_load(bi_chaos *cx, const char *path, const char *name, char *err, size_t n);
void bi_chaos_free(bi_chaos *cx);

/* 1 when name is a scenario: pod-kill, network-latency, dependency-down,
 * db-latency, memory-pressure, cpu-pressure, pause. */
int bi_chaos_known(const char *name);

/* Run one scenario from its steady-state check to its recovery; its `chaos`
 * record (status passed, failed, skipped or planned, and why), or jv_invalid
 * for an unknown name. Whatever it changed is put back before it returns,
 * when it can be; what could not be stays in the journal. A dry run looks
 * for what it would act on as the real run does (when Docker answers), so
 * that both say skipped for the same missing target. When this machine
 * fails it (cx->local_error), it ends as skipped, saying why. */
jv bi_chaos_run(bi_chaos *cx, const char *name);

/* Undo whatever the journal holds as pending, appending each entry undone to
 * *undone (NULL: not wanted); 0 when all of it could be. */
int bi_chaos_rollback(bi_chaos *cx, jv *undone);

#endif
