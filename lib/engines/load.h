/* engines/load.h: the interface of load.c (layer: engines). */
#ifndef BI_ENGINES_LOAD_H
#define BI_ENGINES_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engines/hist.h"

/* The engine of bi-perf. Requests are prepared bytes, one per endpoint,
 * chosen by weight. Closed model: VUs connections, each sending as soon as
 * its last answer came (after think); stages ramp the VUs linearly. Open
 * model (rate > 0): requests scheduled at a constant rate over connections,
 * latency timed from the scheduled moment, so a stall is seen as it was
 * (coordinated omission corrected, as wrk2 does). */
#define BI_LOAD_MAX_ENDPOINTS 64
typedef struct bi_load_endpoint {
	const char *name;
	const char *request;	/* the whole request, bytes */
	size_t len;
	double weight;
	int head;		/* HEAD: the reply has no body */
} bi_load_endpoint;

typedef struct bi_load_stage {
	int64_t duration;
	int target;		/* VUs at the end of the stage */
} bi_load_stage;

typedef struct bi_load_conf {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const bi_load_endpoint *endpoints;
	int nendpoints;
	int threads;
	int connections;	/* open model: connections; closed: VUs when no stages */
	double rate;		/* requests per second; 0: closed model */
	const bi_load_stage *stages;
	int nstages;
	int64_t duration;	/* ignored with stages */
	int64_t timeout;	/* per request */
	int64_t think;		/* closed model: pause between a VU's requests */
	volatile int *stop;	/* set to end early (a signal) */
} bi_load_conf;

typedef struct bi_load_stats {
	bi_hist latency;	/* ns, of answered requests */
	uint64_t requests;	/* answered or failed */
	uint64_t failed;	/* transport errors and statuses >= 400 */
	uint64_t status[6];	/* by class: [1] 1xx .. [5] 5xx, [0] other */
	uint64_t err_connect, err_read, err_write, err_timeout;
	uint64_t bytes_in, bytes_out;
	uint64_t by_endpoint[BI_LOAD_MAX_ENDPOINTS];
} bi_load_stats;

void bi_load_stats_merge(bi_load_stats *dst, const bi_load_stats *src);

/* Run the load; every second, tick gets the second's numbers (and the VUs
 * running). total gets everything. 0, or -1 with err (threads, sockets). */
typedef void (*bi_load_tick)(void *ctx, int second, int vus, const bi_load_stats *sec);
int bi_load_run(const bi_load_conf *c, bi_load_tick tick, void *ctx,
		bi_load_stats *total, char *err, size_t errlen);

#endif
