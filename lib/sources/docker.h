/* sources/docker.h: the interface of docker.c (layer: sources). */
#ifndef BI_SOURCES_DOCKER_H
#define BI_SOURCES_DOCKER_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/demux.h"
/* A client of the Docker Engine API at DOCKER_HOST: unix://PATH (by default
 * unix:///var/run/docker.sock), tcp://HOST[:PORT] (port 2375 when none), or
 * an http:// or https:// URL. */
typedef struct bi_docker bi_docker;

/* Connect: ping the daemon and agree on an API version (the server's, capped
 * at 1.41). NULL when DOCKER_HOST is no address (a bad port or host, another
 * scheme) or the daemon does not answer, with the reason in err. */
bi_docker *bi_docker_open(char *err, size_t errlen);
void bi_docker_close(bi_docker *d);
const char *bi_docker_host(const bi_docker *d);
const char *bi_docker_api(const bi_docker *d);	/* "1.41" */

/* Call the API: path is relative to the version ("/containers/json").
 * Returns the status; *out (when not NULL) gets the parsed JSON body, or null
 * for an empty one. -1 on a transport error (message in d's last error). */
long bi_docker_call(bi_docker *d, const char *method, const char *path,
		    const char *body, jv *out);
const char *bi_docker_error(const bi_docker *d);

/* Containers of a compose project (and service, when not NULL), found by the
 * labels com.docker.compose.project/.service; all = include stopped ones.
 * Returns an array of the API's container summaries, or jv_invalid on error. */
jv bi_docker_containers(bi_docker *d, const char *project, const char *service,
			int all);
/* Containers by one label filter ("key=value"), or by any filters object
 * (consumed) as the API takes it; same result. */
jv bi_docker_containers_label(bi_docker *d, const char *label, int all);
jv bi_docker_containers_filter(bi_docker *d, jv filters, int all);
jv bi_docker_inspect(bi_docker *d, const char *id);

/* Container actions: "start", "stop", "restart", "kill", "pause", "unpause".
 * query is appended as is ("t=5", "signal=KILL") or NULL. Already in the asked
 * state (304; 409 for kill of a stopped container) counts as success.
 * 0 on success, -1 with the error in bi_docker_error. */
int bi_docker_action(bi_docker *d, const char *id, const char *action,
		     const char *query);

/* Run argv in the container; *code gets its exit code; output (stdout and
 * stderr, demultiplexed) goes to on_line when not NULL. 0 on success. */
int bi_docker_exec(bi_docker *d, const char *id, const char *const *argv,
		   int *code, void (*on_line)(void *ctx, int stream,
					      const char *line, size_t len),
		   void *ctx);

/* Start argv in the running container id, detached (it outlives us), as
 * user (NULL: the container's own; "0": root); the exec's id into eid (n
 * bytes). 0, or -1 with the error in bi_docker_error. */
int bi_docker_exec_detached(bi_docker *d, const char *id, const char *const *argv,
			    const char *user, char *eid, size_t n);
/* Wait at most ns for the exec eid to end: its exit code; -1 while it
 * still runs; -2 when Docker cannot say. */
int bi_docker_exec_wait(bi_docker *d, const char *eid, int64_t ns);

/* Put one file (data, n bytes, mode) into the container's directory dir. */
int bi_docker_put_file(bi_docker *d, const char *id, const char *dir, const char *name,
		       const void *data, size_t n, int mode);

/* Logs. since/until in ns (0: unbounded), tail < 0: all. Each line is passed
 * once, with its stream (1 stdout, 2 stderr) and Docker's timestamp, without
 * its '\n', by the demultiplexer (sources/demux.h). The callback returns
 * nonzero to stop. Returns 0, or -1 on error. */
typedef struct bi_docker_logs_opts {
	int64_t since, until;
	long tail;
	int follow;
	int tty;	/* 1: the container has a TTY (the body is not framed);
			   0: framed; -1: tell from the first bytes */
} bi_docker_logs_opts;
int bi_docker_logs(bi_docker *d, const char *id, const bi_docker_logs_opts *o,
		   bi_log_fn fn, void *ctx);

/* Stats of one container. With one_shot the daemon answers at once and
 * precpu is empty (cpu_pct is then null); otherwise it waits ~1 s to measure.
 * Returns the derived figures as bi_docker_stats_compute does, or jv_invalid. */
jv bi_docker_stats(bi_docker *d, const char *id, int one_shot);

/* Derive the docker CLI's figures from one raw stats object (consumed):
 * {cpu_pct, mem_used, mem_limit, mem_pct, net_rx, net_tx, blk_read,
 *  blk_write, pids}. CPU % = delta container usage / delta system usage
 * x online cpus x 100; memory used = usage - inactive file cache. */
jv bi_docker_stats_compute(jv raw);

/* The `container` record of a Docker event (borrowed) in a container's
 * lifecycle (create start restart stop kill die oom pause unpause destroy)
 * or health (action health_status, with health): ts, project, service,
 * container, action, and exit_code, signal, image, name when known;
 * jv_invalid for other events (exec_*, attach: health checks' noise). */
jv bi_docker_event_record(jv ev, const char *project);

/* The `container` record with action status of a container, from its
 * inspect document (jv_invalid: state gone) and its summary in a container
 * list (both borrowed): state, health, restarts, image, uptime when running,
 * exit_code when not, and ports as "127.0.0.1:8080->8080/tcp,...". */
jv bi_docker_status_record(jv inspect, jv summary, const char *project);

/* Stream events matching filters (a JSON object as the API takes, or NULL)
 * between since and until (ns, 0: now / forever). fn gets each event (owned
 * by fn) and returns nonzero to stop. 0 at the end, -1 on error. */
int bi_docker_events(bi_docker *d, const char *filters, int64_t since,
		     int64_t until, int (*fn)(void *ctx, jv event), void *ctx);

#endif
