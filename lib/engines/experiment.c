/*
 * experiment.c: the chaos experiments bi-chaos runs, and the harness around
 * each: what it acts on found first (a dry run looks for it too, so both say
 * skipped for a missing target), a steady state (health, readiness, a short
 * probe under the error threshold), a light constant-rate load while
 * something is broken, the fault put back, and the recovery timed to 100 ms.
 *
 * The load is the project's own: the weighted endpoints of its bi-perf
 * scenario (bi_chaos_set_load, read by endpoint.c), run by faultload.c in a
 * thread at 20 requests a second, straight to the app. Only one load runs
 * at a time (the engine is not reentrant): a scenario starts it and ends it.
 *
 * What is broken must be what the load uses. The dependency scenarios first
 * measure which endpoints reach the dependency through the project's
 * chaos-proxy (reach.c). When none does, the experiment is skipped, saying
 * so, with nothing broken: a pass would be the load not noticing.
 * dependency-down then judges the endpoints apart: those that need the
 * dependency may fail, fast; the others must not. The latency scenarios
 * load the endpoints that call through the proxy, and slow the proxy, that
 * is the app's own outgoing calls.
 *
 * Safety: containers are found by the project's compose labels only; every
 * change is journalled (chaos.c) before it is made and undone by the
 * experiment, at the end of the run, or by bi_chaos_rollback after a crash.
 * A change that cannot be journalled is not made: the scenario ends as
 * skipped, and the caller hears that this machine failed (local_error).
 * Nothing here outlives bi-chaos but what the journal names: the load is a
 * thread, and bi-hog, which runs in the container, is journalled.
 *
 * Layer: engines.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engines/experiment.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "sources/docker.h"
#include "engines/endpoint.h"
#include "engines/faultload.h"
#include "engines/reach.h"
#include "engines/chaos.h"

#define HOG "/tmp/bi-hog"

/* Sleep ns, waking early on a signal; 0 when stopped. */
static int
nap(bi_chaos *cx, int64_t ns)
{
	int64_t end = bi_mono_ns() + ns;

	while (!*cx->stop) {
		int64_t left = end - bi_mono_ns();
		if (left <= 0)
			return 1;
		usleep((useconds_t)((left > 50 * BI_NS_PER_MS ? 50 * BI_NS_PER_MS : left) / 1000));
	}
	return 0;
}

/* ---- the project's containers ---- */

static char *
container_of(bi_chaos *cx, const char *service, int running_only)
{
	if (!cx->d)
		return NULL;
	jv list = bi_docker_containers(cx->d, cx->project, service, !running_only);
	char *id = NULL;

	if (jv_get_kind(list) == JV_KIND_ARRAY && jv_array_length(jv_copy(list)) > 0) {
		jv c = jv_array_get(jv_copy(list), 0);
		id = bi_strdup(bi_get_str(c, "Id"));
		jv_free(c);
	}
	jv_free(list);
	return id;
}

static jv
services_running(bi_chaos *cx)
{
	jv list = cx->d ? bi_docker_containers(cx->d, cx->project, NULL, 0) : jv_array(), out = jv_array();

	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, c) {
			jv l = jv_object_get(jv_copy(c), jv_string("Labels"));
			const char *s = bi_get_str(l, "com.docker.compose.service");
			if (s)
				out = jv_array_append(out, jv_string(s));
			jv_free(l);
			jv_free(c);
		}
	}
	jv_free(list);
	return out;
}

/* ---- journalled changes ---- */

static void
undo(bi_chaos *cx, int id)
{
	jv pending = bi_journal_pending(cx->journal);
	char err[256];

	jv_array_foreach(pending, i, e) {
		if ((int)bi_get_num(e, "id", -1) == id) {
			if (bi_journal_undo(e, cx->d, err, sizeof err) == 0)
				bi_journal_done(cx->journal, id);
			else
				bi_warn("could not undo: %s (bi-chaos --rollback tries again)", err);
		}
		jv_free(e);
	}
	jv_free(pending);
}

/* Undo everything still pending; 0 when all of it could be. */
static int
undo_all(bi_chaos *cx, jv *report)
{
	jv pending = bi_journal_pending(cx->journal);
	char err[256];
	int bad = 0;

	jv_array_foreach(pending, i, e) {
		int id = (int)bi_get_num(e, "id", -1);
		if (bi_journal_undo(e, cx->d, err, sizeof err) == 0) {
			bi_journal_done(cx->journal, id);
			if (report)
				*report = jv_array_append(*report, jv_copy(e));
		} else {
			bi_warn("could not undo: %s", err);
			bad = 1;
		}
		jv_free(e);
	}
	jv_free(pending);
	return bad ? -1 : 0;
}

/* ---- the load's endpoints ---- */

void
bi_chaos_free(bi_chaos *cx)
{
	bi_endpoints_free(cx->eps, cx->neps);
	free(cx->load_from);
	cx->eps = NULL;
	cx->neps = 0;
	cx->load_from = NULL;
}

int
bi_chaos_set_load(bi_chaos *cx, const char *path, const char *name, char *err, size_t n)
{
	bi_chaos_free(cx);
	if (!path) {
		const char *h = bi_jv_path_str(cx->cfg, "services.app.health", "/health");
		cx->eps = bi_calloc(1, sizeof *cx->eps);
		cx->eps[0] = (bi_endpoint){.name = bi_strdup(h), .method = bi_strdup("GET"),
					   .path = bi_strdup(h), .weight = 1};
		cx->neps = 1;
		cx->load_from = bi_strdup(h);
		return 0;
	}
	if (bi_endpoints_read(path, &cx->eps, &cx->neps, err, n) != 0)
		return -1;
	if (cx->neps == 0) {
		snprintf(err, n, "%s: no endpoints to load", path);
		bi_chaos_free(cx);
		return -1;
	}
	cx->load_from = bi_strdup(name ? name : path);
	return 0;
}

/* The names of the endpoints flagged in only (all when NULL). */
static jv
endpoint_names(bi_chaos *cx, const unsigned char *only)
{
	jv a = jv_array();
	for (int i = 0; i < cx->neps; i++)
		if (!only || only[i])
			a = jv_array_append(a, jv_string(cx->eps[i].name));
	return a;
}

/* ---- probing the app ---- */

static char *
url(bi_chaos *cx, const char *path)
{
	return bi_asprintf("%s%s", cx->base, path);
}

static int
healthy(bi_chaos *cx)
{
	char *h = url(cx, bi_jv_path_str(cx->cfg, "services.app.health", "/health"));
	char *r = url(cx, bi_jv_path_str(cx->cfg, "services.app.ready", "/ready"));
	int ok = bi_http_status(h, 500) == 200 && bi_http_status(r, 1000) == 200;
	free(h);
	free(r);
	return ok;
}

/* Poll every 100 ms until healthy: the milliseconds it took, or -1. */
static double
wait_healthy(bi_chaos *cx, int64_t since)
{
	int64_t end = since + cx->recovery;

	while (!*cx->stop && bi_mono_ns() < end) {
		if (healthy(cx))
			return (double)((bi_mono_ns() - since) / BI_NS_PER_MS);
		nap(cx, 100 * BI_NS_PER_MS);
	}
	return -1;
}

/* What each endpoint's requests did while a fault lasted (a sample a round). */
struct sampled {
	int n, errors, silent;	/* silent: no answer within the timeout */
	double *ms;
};

/* Liveness and readiness, sampled while a fault lasts; with eps, one request
 * of each endpoint of the load a round too. */
struct watch {
	int samples, live_fail, ready_down;
	struct sampled *eps;	/* NULL: not sampled */
};

static void
watch_for(bi_chaos *cx, int64_t ns, struct watch *w)
{
	int64_t end = bi_mono_ns() + ns;
	char *h = url(cx, bi_jv_path_str(cx->cfg, "services.app.health", "/health"));
	char *r = url(cx, bi_jv_path_str(cx->cfg, "services.app.ready", "/ready"));

	while (!*cx->stop && bi_mono_ns() < end) {
		w->samples++;
		w->live_fail += bi_http_status(h, 1000) != 200;
		w->ready_down += bi_http_status(r, 2000) == 503;
		for (int i = 0; w->eps && i < cx->neps && !*cx->stop; i++) {
			struct sampled *s = &w->eps[i];
			double ms;
			int st = bi_endpoint_call(cx->base, &cx->eps[i], 2000, &ms);
			s->ms = bi_realloc(s->ms, (s->n + 1) * sizeof *s->ms);
			s->ms[s->n++] = ms;
			s->errors += st == 0 || st >= 400;
			s->silent += st == 0;
		}
		nap(cx, 250 * BI_NS_PER_MS);
	}
	free(h);
	free(r);
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
p95(struct sampled *s)
{
	if (s->n == 0)
		return 0;
	qsort(s->ms, (size_t)s->n, sizeof *s->ms, by_value);
	int k = (int)ceil(0.95 * s->n) - 1;
	return round(s->ms[k < 0 ? 0 : k] * 1000) / 1000;
}

/* ---- the load (faultload.c) ---- */

/* This machine failed the scenario (the first reason is kept). */
static void
local_failure(bi_chaos *cx, const char *why)
{
	if (!cx->local_error[0])
		snprintf(cx->local_error, sizeof cx->local_error, "%s", why ? why : "?");
}

/* Load the endpoints flagged in only (all when NULL) for ns, in a thread;
 * NULL, with the reason in err, when it cannot start. */
static bi_faultload *
load_start(bi_chaos *cx, const unsigned char *only, int64_t ns, char *err, size_t n)
{
	int local = 0;
	bi_faultload *l = bi_faultload_start(cx->base, cx->eps, cx->neps, only, ns, cx->stop, err, n, &local);

	if (!l && local)
		local_failure(cx, err);
	return l;
}

/* End the load (at once when stopped, or when early; else when its time is
 * up) and add its summary to out: requests, error_rate, p95_ms, timeouts;
 * load_error when it could not run. *keep, when not NULL, gets the figures
 * of each endpoint that was loaded (by the cx endpoint's index). */
static jv
load_end(bi_chaos *cx, bi_faultload *l, int early, jv out, uint64_t *keep)
{
	if (bi_faultload_end(l, early, &out, keep) != 0)
		local_failure(cx, bi_get_str(out, "load_error"));
	return out;
}

static jv
probe(bi_chaos *cx, const unsigned char *only, int64_t ns)
{
	char err[256];
	bi_faultload *l = load_start(cx, only, ns, err, sizeof err);
	if (!l)
		return bi_set(jv_object(), "load_error", jv_string(err));
	return load_end(cx, l, 0, jv_object(), NULL);
}

/* ---- the project's chaos-proxy (reach.c) ---- */

/* Its API on the host, and its container (*cid); NULL when it has none. */
static char *
chaos_proxy_api(bi_chaos *cx, char **cid)
{
	char *id = container_of(cx, "chaos-proxy", 1);
	char *api = bi_reach_api(cx->d, id);

	*cid = api ? id : NULL;
	if (!api)
		free(id);
	return api;
}

static int
post(const char *u, const char *body)
{
	bi_http_req req = {.method = "POST", .url = u, .body = body, .timeout_ms = 5000};
	bi_http_resp resp;
	int r = bi_http(&req, &resp);
	int st = r == 0 ? (int)resp.status : 0;
	bi_http_resp_free(&resp);
	return st;
}

/* ---- scenarios ---- */

struct result {
	const char *status;	/* passed, failed, skipped, planned */
	char reason[400];
	double recovery_ms;	/* -1: none measured */
	jv injected, steady, during, extra, plan;
};

static void
fail(struct result *r, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void
fail(struct result *r, const char *status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
	r->status = status;
}

static int
passing(struct result *r)
{
	return !strcmp(r->status, "passed");
}

/* Journal a change before it is made: its id; -1 when the journal cannot
 * be written, the scenario skipped then (nothing may be changed) and this
 * machine's failure said. */
static int
journal(bi_chaos *cx, struct result *r, jv entry)
{
	int id = bi_journal_add(cx->journal, entry);

	if (id < 0) {
		char why[sizeof cx->local_error];
		snprintf(why, sizeof why, "cannot write the journal %s: %s", cx->journal, strerror(errno));
		local_failure(cx, why);
		fail(r, "skipped", "%s: refusing to change anything", why);
	}
	return id;
}

static double
level(bi_chaos *cx, double low, double medium, double high)
{
	return !strcmp(cx->intensity, "low") ? low : !strcmp(cx->intensity, "high") ? high : medium;
}

static void
plan(struct result *r, const char *step)
{
	r->plan = jv_array_append(r->plan, jv_string(step));
}

/* The running container of service, which a scenario acts on; NULL, the
 * scenario skipped, when there is none. A dry run asks Docker as a real
 * run does; without Docker it cannot tell, and plans on ("" then). */
static char *
running(bi_chaos *cx, struct result *r, const char *service)
{
	if (!cx->d && cx->dry_run)
		return bi_strdup("");
	char *id = container_of(cx, service, 1);
	if (!id)
		fail(r, "skipped", "no running %s container in project %s", service, cx->project);
	return id;
}

/* The steady state, before anything is broken: an experiment on a sick
 * service says nothing. 1 when the experiment may go on; 0 in a dry run
 * (planned), or skipped with the reason. */
static int
steady(bi_chaos *cx, struct result *r)
{
	if (cx->dry_run)
		return 0;
	int h = healthy(cx);
	r->steady = bi_set(jv_object(), "healthy", jv_bool(h));
	if (!h) {
		fail(r, "skipped", "not in a steady state before: %s is not healthy", cx->base);
		return 0;
	}
	if (!cx->d) {
		fail(r, "skipped", "no Docker to act with");
		return 0;
	}
	jv p = probe(cx, NULL, 2 * BI_NS_PER_S);
	double er = bi_get_num(p, "error_rate", -1);
	r->steady = bi_set(r->steady, "error_rate", jv_object_get(jv_copy(p), jv_string("error_rate")));
	r->steady = bi_set(r->steady, "p95_ms", jv_object_get(jv_copy(p), jv_string("p95_ms")));
	if (*cx->stop)
		fail(r, "skipped", "interrupted");
	else if (er < 0)
		fail(r, "skipped", "not in a steady state before: the load could not run: %s",
		     bi_get_str(p, "load_error") ? bi_get_str(p, "load_error") : "?");
	else if (er > cx->max_errors)
		fail(r, "skipped", "not in a steady state before: %.1f%% errors", er * 100);
	jv_free(p);
	return passing(r);
}

static void
pod_kill(bi_chaos *cx, struct result *r)
{
	char err[256];

	plan(r, "kill the app container's main process (a crash), as the kernel would");
	plan(r, "time its restart by the restart policy until /health and /ready answer");
	char *id = running(cx, r, cx->service);
	if (!id || !steady(cx, r)) {
		free(id);
		return;
	}
	jv info = bi_docker_inspect(cx->d, id);
	long pid = (long)bi_jv_path_num(info, "State.Pid", 0);
	jv_free(info);
	int jid = journal(cx, r, bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
				 "container", jv_string(id)), "undo", jv_string("start")));
	if (jid < 0) {
		free(id);
		return;
	}
	bi_faultload *l = load_start(cx, NULL, cx->recovery, err, sizeof err);
	/* The pid is the container's only while it runs the same process: ask
	 * again right before, so that no other process of the host is hit. */
	info = bi_docker_inspect(cx->d, id);
	jv run = bi_jv_path(info, "State.Running");
	if ((long)bi_jv_path_num(info, "State.Pid", 0) != pid || jv_get_kind(run) != JV_KIND_TRUE)
		pid = 0;
	jv_free(run);
	jv_free(info);
	int64_t t0 = bi_mono_ns();
	/* A crash, not `docker kill`: Docker restarts a container whose process
	 * died, but not one it was told to kill. */
	if (pid <= 1 || kill((pid_t)pid, SIGKILL) != 0) {
		bi_docker_action(cx->d, id, "kill", NULL);
		r->extra = bi_set(r->extra, "note", jv_string("killed through Docker: no restart policy applies"));
	}
	nap(cx, 200 * BI_NS_PER_MS);
	r->recovery_ms = wait_healthy(cx, t0);
	r->during = load_end(cx, l, 1, r->during, NULL);
	if (r->recovery_ms < 0) {
		undo(cx, jid);
		fail(r, "failed", "the app did not come back by itself within %llds (no restart policy?)",
		     (long long)(cx->recovery / BI_NS_PER_S));
	} else {
		bi_journal_done(cx->journal, jid);
	}
	free(id);
}

static char *
dependency(bi_chaos *cx)
{
	static const char *const prefs[] = {"postgres", "redis", "kafka", NULL};
	jv run = services_running(cx);
	char *pick = NULL;

	if (cx->target) {
		pick = bi_strdup(cx->target);
	} else {
		for (const char *const *p = prefs; *p && !pick; p++)
			jv_array_foreach(run, i, s) {
				if (!pick && !strcmp(jv_string_value(s), *p))
					pick = bi_strdup(*p);
				jv_free(s);
			}
		/* Any other service, but the app and the chaos proxy. */
		jv_array_foreach(run, i, s) {
			const char *n = jv_string_value(s);
			if (!pick && strcmp(n, cx->service) && strcmp(n, "chaos-proxy"))
				pick = bi_strdup(n);
			jv_free(s);
		}
	}
	jv_free(run);
	return pick;
}

/* The latency scenarios: ms more on the app's calls through the project's
 * chaos-proxy, to the proxy named only (every proxy when NULL). */
static void
latency(bi_chaos *cx, struct result *r, double ms, const char *only, const char *toxic)
{
	char *cid = NULL, *api = cx->d ? chaos_proxy_api(cx, &cid) : NULL;
	jv names = api ? bi_reach_proxies(api) : jv_array();
	unsigned char *flags = bi_calloc((size_t)cx->neps, 1);
	int jids[64], nj = 0;
	char err[256];

	if (cx->d && !api) {
		fail(r, "skipped", "the project has no chaos-proxy in front of its dependencies: the app's "
		     "outgoing calls cannot be slowed (templates add one when a database is chosen)");
	} else if (cx->d && jv_array_length(jv_copy(names)) == 0) {
		fail(r, "skipped", "the project's chaos-proxy has no proxy to slow");
	} else if (cx->d && only && !bi_reach_has(names, only)) {
		fail(r, "skipped", "the project's chaos-proxy has no proxy named %s", only);
	}
	if (only) {
		jv_free(names);
		names = jv_array_append(jv_array(), jv_string(only));
	}
	r->injected = bi_set(r->injected, "proxies", jv_copy(names));
	if (!passing(r) || !steady(cx, r))
		goto out;
	/* What the load must call to see the latency: the app's requests that
	 * go out through the proxy. */
	jv rc = bi_reach(cx->d, api, cid, cx->base, cx->eps, cx->neps, cx->stop);
	if (!jv_is_valid(rc)) {
		fail(r, "skipped", "cannot tell which requests call through chaos-proxy: it gives no counts, "
		     "and its log cannot be read: %s", bi_docker_error(cx->d));
		goto out;
	}
	r->extra = bi_set(r->extra, "reach", jv_copy(rc));
	int n = bi_reach_flags(rc, cx->eps, cx->neps, only, flags);
	jv_free(rc);
	if (*cx->stop)
		goto out;
	if (n == 0) {
		fail(r, "skipped", "the load never reaches %s: none of %s's requests went through "
		     "chaos-proxy to it, so the latency would not show (add an endpoint that calls it)",
		     only ? only : "the app's outgoing calls", cx->load_from);
		goto out;
	}
	r->extra = bi_set(r->extra, "load_endpoints", endpoint_names(cx, flags));
	jv before = probe(cx, flags, 3 * BI_NS_PER_S);
	jv_array_foreach(names, i, p) {
		const char *proxy = jv_string_value(p);
		char *u = bi_asprintf("%s/proxies/%s/toxics", api, proxy), body[200];
		snprintf(body, sizeof body, "{\"name\":\"%s\",\"type\":\"latency\",\"attributes\":{\"latency\":%g}}",
			 toxic, ms);
		if (nj < 64 && passing(r) && !*cx->stop) {
			int jid = journal(cx, r, bi_set(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("toxic")),
						"api", jv_string(api)), "proxy", jv_string(proxy)), "toxic", jv_string(toxic)));
			if (jid >= 0) {
				jids[nj++] = jid;
				if (post(u, body) != 200)
					fail(r, "skipped", "chaos-proxy refused the latency toxic on %s", proxy);
			}
		}
		free(u);
		jv_free(p);
	}
	if (passing(r) && !*cx->stop) {
		bi_faultload *l = load_start(cx, flags, cx->duration, err, sizeof err);
		struct watch w = {0};
		watch_for(cx, cx->duration, &w);
		r->during = l ? load_end(cx, l, 0, r->during, NULL) : bi_set(r->during, "load_error", jv_string(err));
		r->during = bi_set(r->during, "live_failures", jv_number(w.live_fail));
	}
	for (int i = nj - 1; i >= 0; i--)
		undo(cx, jids[i]);
	int64_t t0 = bi_mono_ns();
	r->recovery_ms = wait_healthy(cx, t0);
	jv bp = jv_object_get(jv_copy(before), jv_string("p95_ms"));
	jv dp = jv_object_get(jv_copy(r->during), jv_string("p95_ms"));
	if (jv_get_kind(bp) == JV_KIND_NUMBER && jv_get_kind(dp) == JV_KIND_NUMBER)
		r->extra = bi_set(r->extra, "added_p95_ms",
			       jv_number(round((jv_number_value(dp) - jv_number_value(bp)) * 1000) / 1000));
	jv_free(bp);
	jv_free(dp);
	r->extra = bi_set(r->extra, "before", before);
	if (passing(r)) {
		double er = bi_get_num(r->during, "error_rate", 0);
		if (bi_get_str(r->during, "load_error"))
			fail(r, "skipped", "the load could not run: %s", bi_get_str(r->during, "load_error"));
		else if (er > cx->max_errors)
			fail(r, "failed", "%.1f%% of the requests that call %s failed under %g ms of latency: no "
			     "timeouts or circuit breaker to contain it", er * 100,
			     only ? only : "out through chaos-proxy", ms);
	}
out:
	jv_free(names);
	free(flags);
	free(api);
	free(cid);
}

static void
network_latency(bi_chaos *cx, struct result *r)
{
	double ms = level(cx, 100, 300, 1000);

	r->injected = bi_set(r->injected, "latency_ms", jv_number(ms));
	r->extra = bi_set(r->extra, "method", jv_string("chaos-proxy"));
	plan(r, "find which of the load's endpoints make the app call out through the project's chaos-proxy");
	plan(r, "measure their p95, straight to the app, then again with latency on every proxy of "
	     "chaos-proxy: the app's own calls to its dependencies");
	latency(cx, r, ms, NULL, "chaos-latency");
}

static void
db_latency(bi_chaos *cx, struct result *r)
{
	double ms = level(cx, 50, 200, 500);
	char *dep = dependency(cx);

	r->injected = bi_set(bi_set(r->injected, "latency_ms", jv_number(ms)), "dependency",
			  jv_string(dep ? dep : "?"));
	plan(r, "find which of the load's endpoints call the database through the project's chaos-proxy");
	plan(r, "measure their p95, then again with latency on the database's traffic in chaos-proxy");
	if (!dep && cx->d)
		fail(r, "skipped", "the project has no dependency");
	else
		latency(cx, r, ms, dep ? dep : "?", "chaos-db-latency");
	free(dep);
}

static void
dependency_down(bi_chaos *cx, struct result *r)
{
	char *dep = dependency(cx), *id = NULL, *cid = NULL, *api = NULL, err[256];
	unsigned char *needs = bi_calloc((size_t)cx->neps, 1);
	uint64_t *by = bi_calloc((size_t)cx->neps + 1, sizeof *by);
	struct watch w = {0};

	r->injected = bi_set(r->injected, "dependency", jv_string(dep ? dep : "?"));
	plan(r, "find which of the load's endpoints need the dependency (through the project's chaos-proxy)");
	plan(r, "stop the dependency's container, under load");
	plan(r, "check: liveness stays up, readiness says not ready, requests that need it fail fast, "
	     "the others work");
	plan(r, "start it again and time until the app is ready");
	if (cx->d) {
		id = dep ? container_of(cx, dep, 1) : NULL;
		if (!id)
			fail(r, "skipped", dep ? "dependency %s is not running" : "the project has no dependency%s",
			     dep ? dep : "");
	}
	if (!passing(r) || !steady(cx, r))
		goto out;
	api = chaos_proxy_api(cx, &cid);
	jv names = api ? bi_reach_proxies(api) : jv_array();
	int known = api && bi_reach_has(names, dep);
	jv_free(names);
	if (known) {
		jv rc = bi_reach(cx->d, api, cid, cx->base, cx->eps, cx->neps, cx->stop);
		known = jv_is_valid(rc);
		if (known) {
			r->extra = bi_set(r->extra, "reach", jv_copy(rc));
			if (bi_reach_flags(rc, cx->eps, cx->neps, dep, needs) == 0 && !*cx->stop) {
				fail(r, "skipped", "the load never reaches %s: none of %s's requests went through "
				     "chaos-proxy to it, so a pass would only say the load did not notice (add an "
				     "endpoint that uses it)", dep, cx->load_from);
				jv_free(rc);
				goto out;
			}
		}
		jv_free(rc);
	}
	if (!known) {
		/* Readiness answering 503 is what is asked of it, not a failure. */
		const char *ready = bi_jv_path_str(cx->cfg, "services.app.ready", "/ready");
		for (int i = 0; i < cx->neps; i++)
			needs[i] = !strcmp(cx->eps[i].path, ready);
		r->extra = bi_set(r->extra, "note", jv_string_fmt("cannot tell which requests need %s (it is not "
			"behind chaos-proxy, or its log cannot be read): every request but readiness counts", dep));
	}
	if (*cx->stop)
		goto out;
	int jid = journal(cx, r, bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
				 "container", jv_string(id)), "undo", jv_string("start")));
	if (jid < 0)
		goto out;
	/* The app's own run, to tell afterwards whether it died meanwhile: a
	 * restart policy brings it back between two liveness probes. */
	char *app = container_of(cx, cx->service, 0);
	jv in0 = app ? bi_docker_inspect(cx->d, app) : jv_invalid();
	double restarts0 = bi_jv_path_num(in0, "RestartCount", 0);
	char *started0 = bi_strdup(bi_jv_path_str(in0, "State.StartedAt", ""));
	jv_free(in0);
	bi_faultload *l = load_start(cx, NULL, cx->duration, err, sizeof err);
	if (bi_docker_action(cx->d, id, "stop", "t=2") != 0) {
		free(app);
		free(started0);
		fail(r, "skipped", "cannot stop %s: %s", dep, bi_docker_error(cx->d));
		bi_journal_done(cx->journal, jid);
		r->during = load_end(cx, l, 1, r->during, NULL);
		goto out;
	}
	w.eps = bi_calloc((size_t)cx->neps, sizeof *w.eps);
	watch_for(cx, cx->duration, &w);
	jv in1 = app ? bi_docker_inspect(cx->d, app) : jv_invalid();
	int died = jv_is_valid(in1) &&
		(bi_jv_path_num(in1, "RestartCount", 0) > restarts0 ||
		 strcmp(bi_jv_path_str(in1, "State.StartedAt", ""), started0) != 0 ||
		 !bi_jv_path_num(in1, "State.Pid", 0));
	jv_free(in1);
	free(app);
	free(started0);
	r->during = bi_set(r->during, "app_died", jv_bool(died));
	r->during = l ? load_end(cx, l, 0, r->during, by) : bi_set(r->during, "load_error", jv_string(err));
	int64_t t0 = bi_mono_ns();
	undo(cx, jid);
	r->recovery_ms = wait_healthy(cx, t0);
	r->during = bi_set(r->during, "live_failures", jv_number(w.live_fail));
	r->during = bi_set(r->during, "not_ready", jv_number(w.ready_down));
	r->during = bi_set(r->during, "samples", jv_number(w.samples));

	/* Each endpoint, from the samples; the load's failures beyond all the
	 * requests that need the dependency can only be the others'. */
	jv eps = jv_object();
	int other_n = 0, other_err = 0, need_n = 0, need_silent = 0;
	uint64_t need_req = 0, other_req = 0;
	bi_buf failing = {0};
	for (int i = 0; i < cx->neps; i++) {
		struct sampled *s = &w.eps[i];
		jv e = bi_set(jv_object(), "needs_target", jv_bool(needs[i]));
		e = bi_set(e, "samples", jv_number(s->n));
		e = bi_set(e, "errors", jv_number(s->errors));
		e = bi_set(e, "no_answer", jv_number(s->silent));
		e = bi_set(e, "p95_ms", jv_number(p95(s)));
		e = bi_set(e, "requests", jv_number((double)by[i]));
		eps = bi_set(eps, cx->eps[i].name, e);
		if (needs[i]) {
			need_n += s->n;
			need_silent += s->silent;
			need_req += by[i];
		} else {
			other_n += s->n;
			other_err += s->errors;
			other_req += by[i];
			if (s->errors)
				bi_buf_printf(&failing, "%s%s", failing.len ? ", " : "", cx->eps[i].name);
		}
		free(s->ms);
	}
	r->during = bi_set(r->during, "endpoints", eps);
	double other_rate = other_n ? (double)other_err / other_n : 0;
	uint64_t failed = by[cx->neps];
	double floor_rate = other_req && failed > need_req ? (double)(failed - need_req) / other_req : 0;
	if (floor_rate > other_rate)
		other_rate = floor_rate;
	double silent_rate = need_n ? (double)need_silent / need_n : 0;
	if (*cx->stop)
		;
	else if (died)
		fail(r, "failed", "the app died while %s was down (its liveness failed %d of %d times): "
		     "it did not degrade gracefully (no dependency isolation)", dep, w.live_fail, w.samples);
	else if (w.live_fail > 0)
		fail(r, "failed", "the app's liveness failed %d of %d times while %s was down: it did not "
		     "degrade gracefully (no dependency isolation)", w.live_fail, w.samples, dep);
	else if (w.ready_down == 0)
		fail(r, "failed", "readiness still said ready while %s was down", dep);
	else if (bi_get_str(r->during, "load_error"))
		fail(r, "skipped", "the load could not run: %s", bi_get_str(r->during, "load_error"));
	else if (other_rate > cx->max_errors)
		fail(r, "failed", "%.1f%% of the requests that do not need %s failed while it was down (%s): "
		     "one dependency took down more than what needs it", other_rate * 100, dep,
		     failing.len ? failing.p : "seen in the load");
	else if (silent_rate > cx->max_errors)
		fail(r, "failed", "%.1f%% of the requests that need %s got no answer within 2 s while it was "
		     "down: calls to it need a timeout, to fail fast", silent_rate * 100, dep);
	else if (r->recovery_ms < 0)
		fail(r, "failed", "not ready again within %llds of %s coming back",
		     (long long)(cx->recovery / BI_NS_PER_S), dep);
	bi_buf_free(&failing);
	free(w.eps);
out:
	free(needs);
	free(by);
	free(dep);
	free(id);
	free(api);
	free(cid);
}

static int
oom_count(void *ctx, jv ev)
{
	const char *a = bi_get_str(ev, "Action");
	if (a && !strcmp(a, "oom"))
		++*(int *)ctx;
	jv_free(ev);
	return 0;
}

/* memory-pressure and cpu-pressure: bi-hog, in the app's own cgroup. */
static void
pressure(bi_chaos *cx, struct result *r, int memory)
{
	double amount = memory ? level(cx, 64, 128, 256) : level(cx, 1, 2, 4);
	char err[256], eid[128];

	r->injected = bi_set(r->injected, memory ? "memory_mib" : "cpu_workers", jv_number(amount));
	plan(r, memory ? "copy bi-hog into the app container and allocate memory in its cgroup"
		       : "copy bi-hog into the app container and spin its CPUs");
	plan(r, "watch health, OOM kills and restarts under load; then stop bi-hog and remove it");
	char *id = running(cx, r, cx->service);
	if (!id || !steady(cx, r)) {
		free(id);
		return;
	}
	char *path = bi_asprintf("%s/bi-hog", cx->bindir);
	size_t n;
	char *bin = bi_read_file(path, &n);
	free(path);
	if (!bin) {
		fail(r, "skipped", "cannot copy bi-hog into the container: bi-hog is not installed");
		free(id);
		return;
	}
	int jid = journal(cx, r, bi_set(bi_set(bi_set(jv_object(), "action", jv_string("hog")),
				 "container", jv_string(id)), "path", jv_string(HOG)));
	if (jid < 0) {
		free(bin);
		free(id);
		return;
	}
	if (bi_docker_put_file(cx->d, id, "/tmp", "bi-hog", bin, n, 0755) != 0) {
		fail(r, "skipped", "cannot copy bi-hog into the container: %s", bi_docker_error(cx->d));
		free(bin);
		undo(cx, jid);
		free(id);
		return;
	}
	free(bin);
	jv info = bi_docker_inspect(cx->d, id);
	double restarts0 = bi_jv_path_num(info, "RestartCount", 0);
	jv_free(info);
	char a1[32], a2[32];
	snprintf(a1, sizeof a1, "%g", amount);
	snprintf(a2, sizeof a2, "%lld", (long long)(cx->duration / BI_NS_PER_S ? cx->duration / BI_NS_PER_S : 1));
	const char *argv[] = {HOG, memory ? "mem" : "cpu", a1, a2, NULL};
	int64_t since = bi_now_ns();
	bi_faultload *l = load_start(cx, NULL, cx->duration, err, sizeof err);
	if (bi_docker_exec_detached(cx->d, id, argv, NULL, eid, sizeof eid) != 0) {
		fail(r, "skipped", "cannot run bi-hog in the container: %s", bi_docker_error(cx->d));
		r->during = load_end(cx, l, 1, r->during, NULL);
		undo(cx, jid);
		free(id);
		return;
	}
	struct watch w = {0};
	watch_for(cx, cx->duration, &w);
	/* Its alarm ends it when its time is up; told to stop, it stops now. */
	int code = *cx->stop ? -1 : bi_docker_exec_wait(cx->d, eid, 3 * BI_NS_PER_S);
	undo(cx, jid);
	if (code == -1)
		code = bi_docker_exec_wait(cx->d, eid, BI_NS_PER_S);
	r->during = l ? load_end(cx, l, 0, r->during, NULL) : bi_set(r->during, "load_error", jv_string(err));
	int64_t t0 = bi_mono_ns();
	r->recovery_ms = wait_healthy(cx, t0);
	int ooms = 0;
	char *filter = bi_asprintf("{\"container\":[\"%s\"]}", id);
	bi_docker_events(cx->d, filter, since - BI_NS_PER_S, bi_now_ns(), oom_count, &ooms);
	free(filter);
	char *now_id = container_of(cx, cx->service, 0);
	info = bi_docker_inspect(cx->d, now_id ? now_id : id);
	double restarts = bi_jv_path_num(info, "RestartCount", 0) - restarts0;
	jv_free(info);
	free(now_id);
	r->during = bi_set(r->during, "live_failures", jv_number(w.live_fail));
	r->during = bi_set(r->during, "oom_kills", jv_number(ooms));
	r->during = bi_set(r->during, "restarts", jv_number(restarts));
	r->during = bi_set(r->during, "hog_exit", jv_number(code < 0 ? -1 : code));
	if (*cx->stop)
		;
	else if (r->recovery_ms < 0)
		fail(r, "failed", "the app was not healthy again within %llds",
		     (long long)(cx->recovery / BI_NS_PER_S));
	else if (memory && w.live_fail > w.samples / 2)
		fail(r, "failed", "the app stopped answering under memory pressure (%d OOM kills): set "
		     "resource limits and headroom", ooms);
	else if (!memory && bi_get_num(r->during, "error_rate", 0) > cx->max_errors)
		fail(r, "failed", "%.1f%% of requests failed with the CPUs busy",
		     bi_get_num(r->during, "error_rate", 0) * 100);
	free(id);
}

static void memory_pressure(bi_chaos *cx, struct result *r) { pressure(cx, r, 1); }
static void cpu_pressure(bi_chaos *cx, struct result *r) { pressure(cx, r, 0); }

static void
pause_app(bi_chaos *cx, struct result *r)
{
	char err[256];

	plan(r, "freeze the app container (docker pause), then thaw it");
	plan(r, "time until /health and /ready answer again");
	char *id = running(cx, r, cx->service);
	if (!id || !steady(cx, r)) {
		free(id);
		return;
	}
	int jid = journal(cx, r, bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
				 "container", jv_string(id)), "undo", jv_string("unpause")));
	if (jid < 0) {
		free(id);
		return;
	}
	bi_faultload *l = load_start(cx, NULL, cx->duration + 5 * BI_NS_PER_S, err, sizeof err);
	bi_docker_action(cx->d, id, "pause", NULL);
	nap(cx, cx->duration);
	int64_t t0 = bi_mono_ns();
	undo(cx, jid);
	r->recovery_ms = wait_healthy(cx, t0);
	r->during = load_end(cx, l, 1, r->during, NULL);
	if (r->recovery_ms < 0 && !*cx->stop)
		fail(r, "failed", "not healthy within %llds of being thawed", (long long)(cx->recovery / BI_NS_PER_S));
	free(id);
}

static const struct scenario {
	const char *name;
	void (*run)(bi_chaos *cx, struct result *r);
} scenarios[] = {
	{"pod-kill", pod_kill},
	{"network-latency", network_latency},
	{"dependency-down", dependency_down},
	{"db-latency", db_latency},
	{"memory-pressure", memory_pressure},
	{"cpu-pressure", cpu_pressure},
	{"pause", pause_app},
	{NULL, NULL}};

int
bi_chaos_known(const char *name)
{
	for (const struct scenario *s = scenarios; s->name; s++)
		if (!strcmp(s->name, name))
			return 1;
	return 0;
}

jv
bi_chaos_run(bi_chaos *cx, const char *name)
{
	const struct scenario *s = scenarios;

	while (s->name && strcmp(s->name, name))
		s++;
	if (!s->name)
		return jv_invalid_with_msg(jv_string_fmt("unknown scenario: %s", name));
	if (cx->neps == 0) {
		char err[64];
		bi_chaos_set_load(cx, NULL, NULL, err, sizeof err);
	}

	struct result r = {.status = cx->dry_run ? "planned" : "passed", .recovery_ms = -1,
			   .injected = jv_object(), .steady = jv_null(), .during = jv_object(),
			   .extra = jv_object(), .plan = jv_array()};
	int64_t t0 = bi_mono_ns();

	s->run(cx, &r);
	if (*cx->stop && !cx->dry_run && strcmp(r.status, "skipped"))
		fail(&r, "skipped", "interrupted");
	jv rec = bi_record("chaos");
	rec = bi_set(rec, "project", jv_string(cx->project));
	rec = bi_set(rec, "scenario", jv_string(s->name));
	rec = bi_set(rec, "target", jv_string(cx->service));
	rec = bi_set(rec, "intensity", jv_string(cx->intensity));
	rec = bi_set(rec, "status", jv_string(r.status));
	if (*r.reason)
		rec = bi_set(rec, "reason", jv_string(r.reason));
	rec = bi_set(rec, "recovery_ms", r.recovery_ms >= 0 ? jv_number(r.recovery_ms) : jv_null());
	rec = bi_set(rec, "load", jv_string(cx->load_from));
	rec = bi_set(rec, "injected", r.injected);
	rec = bi_set(rec, "steady", r.steady);
	rec = bi_set(rec, "during", r.during);
	if (cx->dry_run)
		rec = bi_set(rec, "plan", r.plan);
	else
		jv_free(r.plan);
	jv_object_foreach(r.extra, k, v)
		rec = jv_object_set(rec, k, v);
	jv_free(r.extra);
	rec = bi_set(rec, "duration_ms", jv_number((double)((bi_mono_ns() - t0) / BI_NS_PER_MS)));
	return rec;
}

int
bi_chaos_rollback(bi_chaos *cx, jv *undone)
{
	return undo_all(cx, undone);
}
