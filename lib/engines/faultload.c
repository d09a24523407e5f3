/*
 * faultload.c: the load an experiment runs while something is broken, so
 * that what breaks is seen by requests as users would send them. It is the
 * load engine (load.c) in a thread of ours, in the open model at a light
 * constant rate: requests go out on schedule whatever the app does, so a
 * stall shows as waiting, and a rate of 20 a second tells a broken app from
 * a slow one without becoming the fault itself. The request bytes are
 * built once, by endpoint.c, as bi-perf's are.
 *
 * The thread is joined before bi_faultload_end returns: nothing of it
 * outlives the experiment. A signal's flag ends it at the next second.
 *
 * Layer: engines.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engines/faultload.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/addr.h"
#include "engines/hist.h"
#include "engines/load.h"
#include "engines/endpoint.h"

#define RATE 20			/* requests a second, over CONNS connections */
#define CONNS 50
#define TIMEOUT (5 * BI_NS_PER_S)

struct bi_faultload {
	bi_load_conf conf;
	bi_load_endpoint le[BI_LOAD_MAX_ENDPOINTS];
	char *req[BI_LOAD_MAX_ENDPOINTS];
	int idx[BI_LOAD_MAX_ENDPOINTS];	/* the caller's endpoint of each */
	int n, neps;
	bi_load_stats *total;
	volatile int stop;
	volatile sig_atomic_t *signalled;
	pthread_t thread;
	int rc;
	char err[256];
};

/* Once a second: a signal ends the load too. */
static void
on_tick(void *ctx, int second, int vus, const bi_load_stats *s)
{
	bi_faultload *l = ctx;
	(void)second;
	(void)vus;
	(void)s;
	if (*l->signalled)
		l->stop = 1;
}

static void *
load_main(void *arg)
{
	bi_faultload *l = arg;
	l->rc = bi_load_run(&l->conf, on_tick, l, l->total, l->err, sizeof l->err);
	return NULL;
}

static void
load_free(bi_faultload *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->req[i]);
	free(l->total);
	free(l);
}

bi_faultload *
bi_faultload_start(const char *base, const bi_endpoint *eps, int neps, const unsigned char *only,
		   int64_t ns, volatile sig_atomic_t *stop, char *err, size_t n, int *local)
{
	bi_url u;
	bi_faultload *l = bi_calloc(1, sizeof *l);

	*local = 0;
	if (bi_url_parse(base, &u, err, n) != 0)
		goto fail;
	if (strcmp(u.scheme, "http")) {
		snprintf(err, n, "the app's URL is not http://: %s", base);
		goto fail;
	}
	if (bi_addr_resolve(u.host, u.port ? u.port : 80, 0, &l->conf.addr, &l->conf.addrlen, err, n) != 0)
		goto fail;
	size_t pl = strcspn(u.path, "?");
	while (pl > 0 && u.path[pl - 1] == '/')
		pl--;
	u.path[pl] = '\0';
	for (int i = 0; i < neps && l->n < BI_LOAD_MAX_ENDPOINTS; i++) {
		if ((only && !only[i]) || !(eps[i].weight > 0))
			continue;
		l->req[l->n] = bi_endpoint_request(&eps[i], u.path, u.hostport, "bi-chaos/0.1");
		l->le[l->n] = (bi_load_endpoint){eps[i].name, l->req[l->n], strlen(l->req[l->n]),
						 eps[i].weight, !strcasecmp(eps[i].method, "HEAD")};
		l->idx[l->n++] = i;
	}
	if (l->n == 0) {
		snprintf(err, n, "no endpoint to load");
		goto fail;
	}
	l->neps = neps;
	l->total = bi_calloc(1, sizeof *l->total);
	l->signalled = stop;
	l->conf.endpoints = l->le;
	l->conf.nendpoints = l->n;
	l->conf.threads = 1;
	l->conf.connections = CONNS;
	l->conf.rate = RATE;
	l->conf.duration = ns;
	l->conf.timeout = TIMEOUT;
	l->conf.stop = &l->stop;
	if (pthread_create(&l->thread, NULL, load_main, l) != 0) {
		snprintf(err, n, "cannot start a thread for the load");
		*local = 1;
		goto fail;
	}
	return l;
fail:
	load_free(l);
	return NULL;
}

static double
ms_of(double ns)
{
	return round(ns / 1e3) / 1e3;	/* to the microsecond */
}

int
bi_faultload_end(bi_faultload *l, int early, jv *out, uint64_t *keep)
{
	int rc = 0;

	if (!l)
		return 0;
	if (early || *l->signalled)
		l->stop = 1;
	pthread_join(l->thread, NULL);
	if (l->rc != 0) {
		*out = bi_set(*out, "load_error", jv_string(l->err));
		rc = -1;
	} else {
		const bi_load_stats *s = l->total;
		*out = bi_set(*out, "requests", jv_number((double)s->requests));
		*out = bi_set(*out, "error_rate", jv_number(s->requests ? (double)s->failed / s->requests : 0));
		*out = bi_set(*out, "p95_ms", jv_number(ms_of(bi_hist_quantile(&s->latency, 0.95))));
		*out = bi_set(*out, "timeouts", jv_number((double)s->err_timeout));
		if (keep) {
			for (int i = 0; i < l->n; i++)
				keep[l->idx[i]] = s->by_endpoint[i];
			keep[l->neps] = s->failed;
		}
	}
	load_free(l);
	return rc;
}
