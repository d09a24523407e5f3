/* analysis/canaryrun.h: the interface of canaryrun.c (layer: analysis). */
#ifndef BI_ANALYSIS_CANARYRUN_H
#define BI_ANALYSIS_CANARYRUN_H

#include <jv.h>
#include <stdint.h>
#include <stdio.h>

#include "engines/rollout.h"
#include "analysis/canary.h"

/* One version's totals as the run last read them. */
typedef struct bi_canaryrun_ver {
	bi_canary_counts last;	/* its totals at the last analysis */
	bi_canary_counts first;	/* ... and when the canary started */
	int have_first;
} bi_canaryrun_ver;

/* A canary run on Docker: the caller fills in the first part (and ro, with
 * bi_rollout_find and bi_rollout_proxy); the rest is the run's own, zero to
 * begin with. Nothing here exits. */
typedef struct bi_canaryrun {
	const char *project, *service, *image;
	const char *state_path, *ctl_path, *journal_path;
	FILE *journal;		/* the run's journal, open; closed by bi_canaryrun_finish */
	jv steps;		/* borrowed: bi_canary_steps' */
	int nsteps;
	bi_canary_run run;	/* nsteps and the limits set */
	bi_canary_limits limits;
	bi_canary_names names;
	char metrics[256];	/* the service's metrics path */
	char health[256];	/* ... and its health path */
	int64_t interval, drain; /* analyse every interval; a canary's connections
				   have drain to finish before it goes (ns) */
	int64_t started;	/* bi_mono_ns when the run began */
	int quiet;		/* no progress lines on stderr */
	const volatile int *stop; /* set (by a signal): abort */
	bi_rollout ro;		/* the containers and the split */
	/* The run's own. */
	bi_canaryrun_ver stable, canary;
	int64_t traffic_at;	/* when the canary first had traffic */
	int paused;
	const char *status;	/* starting, running, paused, promoting, aborting */
} bi_canaryrun;

/* A `canary` record {project, service, source: "docker", event, step,
 * weight} with extra's fields (an object, consumed; anything else is
 * ignored), written to the journal, on stdout (flushed), and as a progress
 * line on stderr unless quiet. */
void bi_canaryrun_emit(bi_canaryrun *r, const char *event, jv extra);

/* Write the state file (pid, project, service, image, status, step, steps,
 * weight, paused, failures, the containers' ids, the proxy's ports), replaced
 * whole so that a reader never sees half of it; a failure is warned of. */
void bi_canaryrun_save(const bi_canaryrun *r);

/* The state file at path as an object; jv_null when there is none (or it
 * does not parse). */
jv bi_canaryrun_state(const char *path);

/* 1 when the runner a state (borrowed) names is alive. */
int bi_canaryrun_alive(jv state);

/* The state and control files removed, the journal closed. */
void bi_canaryrun_finish(bi_canaryrun *r);

/* One analysis: each version's /metrics read, and bi_canary_analyze of
 * each one's window since the last; a canary that does not answer fails, a
 * stable that does not, waits. */
jv bi_canaryrun_analyse(bi_canaryrun *r);

/* Run the canary container, wait for its health, then the steps
 * (bi_canaryrun_steps). BI_EXIT_OK when it was promoted, BI_EXIT_FAIL when
 * it was aborted (the split back on stable, the canary gone). */
int bi_canaryrun_go(bi_canaryrun *r, char *const *env, int nenv);

/* The steps, each until its pause is over and its last analysis passed,
 * with the commands of the control file (abort, promote, promote-full,
 * pause, resume) taken between analyses; then promoted, or aborted when
 * failures pass the limit, on abort or on *stop. Returns as
 * bi_canaryrun_go. */
int bi_canaryrun_steps(bi_canaryrun *r);

/* A runner that died left a split and a canary: traffic back on stable
 * and the canary removed, from what its state (consumed) says, an
 * `aborted` record appended to the journal, the files removed. r->ro.d
 * must be open. 0; the proxy not answering is said in the record. */
int bi_canaryrun_cleanup(bi_canaryrun *r, jv state);

#endif
