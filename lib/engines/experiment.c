/*
 * experiment.c: the chaos experiments bi-chaos runs, and the harness around
 * each: a steady state first (health, readiness, a short probe under the
 * error threshold), a light constant-rate load (bi-perf) while something is
 * broken, the fault put back, and the recovery timed to 100 ms.
 *
 * Safety: containers are found by the project's compose labels only; every
 * change is journalled (chaos.c) before it is made and undone by the
 * experiment, at the end of the run, or by bi_chaos_rollback after a crash.
 *
 * Layer: engines.
 */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engines/experiment.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "sources/docker.h"
#include "engines/chaos.h"

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
		return NULL;	/* a dry run without Docker: the plan alone */
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

static int
journal(bi_chaos *cx, jv entry)
{
	int id = bi_journal_add(cx->journal, entry);
	if (id < 0)
		bi_die(BI_EXIT_FAIL, "cannot write the journal %s: refusing to change anything", cx->journal);
	return id;
}

/* Stop a helper we started, and reap it: SIGTERM, and SIGKILL after 5 s.
 * Until it is reaped its pid cannot be another process's. */
static void
stop_child(pid_t pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		usleep(100 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

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

/* Liveness and readiness, sampled while a fault lasts. */
struct watch {
	int samples, live_fail, ready_down;
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
		nap(cx, 250 * BI_NS_PER_MS);
	}
	free(h);
	free(r);
}

/* ---- load, with bi-perf beside the experiment ---- */

/* Load on target: a URL, or a path of the app's. */
static void
load_start(bi_chaos *cx, const char *target, int64_t ns)
{
	char dur[32], *perf = bi_asprintf("%s/bi-perf", cx->bindir);
	char *u = *target == '/' ? url(cx, target) : bi_strdup(target);
	const char *argv[] = {perf, "-R", "20", "-c", "50", "-d", dur, "--timeout", "5s", "-q",
			      "--no-thresholds", u, NULL};

	char *out = bi_temp_file("bi-chaos-load");

	snprintf(dur, sizeof dur, "%lldms", (long long)(ns / BI_NS_PER_MS));
	snprintf(cx->load_out, sizeof cx->load_out, "%s", out ? out : "");
	cx->load_pid = out ? bi_spawn(argv, cx->load_out, "/dev/null") : -1;
	if (!out)
		bi_warn("no load beside the experiment: cannot make a temporary file:");
	free(out);
	free(perf);
	free(u);
}

/* Wait for the load (stopping it when told to stop) and add its summary,
 * {requests, error_rate, p95_ms}, to out; none when it gave none. */
static jv
load_end(bi_chaos *cx, jv out)
{
	int status;

	if (cx->load_pid > 0) {
		if (*cx->stop)
			kill(cx->load_pid, SIGTERM);
		waitpid(cx->load_pid, &status, 0);
		cx->load_pid = 0;
	}
	jv s = bi_last_record(cx->load_out, "perf_summary");
	if (jv_is_valid(s)) {
		out = bi_set(out, "requests", jv_number(bi_get_num(s, "requests", 0)));
		out = bi_set(out, "error_rate", jv_number(bi_get_num(s, "error_rate", 0)));
		out = bi_set(out, "p95_ms", bi_jv_path(s, "latency.p95"));
	}
	jv_free(s);
	if (*cx->load_out)
		unlink(cx->load_out);
	return out;
}

static jv
probe(bi_chaos *cx, const char *target, int64_t ns)
{
	load_start(cx, target, ns);
	return load_end(cx, jv_object());
}

/* ---- scenarios ---- */

struct result {
	const char *status;	/* passed, failed, skipped, planned */
	char reason[300];
	double recovery_ms;	/* -1: none measured */
	jv injected, during, extra, plan;
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

static void
pod_kill(bi_chaos *cx, struct result *r)
{
	plan(r, "kill the app container's main process (a crash), as the kernel would");
	plan(r, "time its restart by the restart policy until /health and /ready answer");
	if (cx->dry_run)
		return;
	char *id = container_of(cx, cx->service, 1);
	if (!id) {
		fail(r, "skipped", "no running %s container in project %s", cx->service, cx->project);
		return;
	}
	jv info = bi_docker_inspect(cx->d, id);
	long pid = (long)bi_jv_path_num(info, "State.Pid", 0);
	jv_free(info);
	int jid = journal(cx, bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
			      "container", jv_string(id)), "undo", jv_string("start")));
	load_start(cx, "/hello", cx->recovery);
	/* The pid is the container's only while it runs the same process: ask
	 * again right before, so that no other process of the host is hit. */
	info = bi_docker_inspect(cx->d, id);
	jv running = bi_jv_path(info, "State.Running");
	if ((long)bi_jv_path_num(info, "State.Pid", 0) != pid || jv_get_kind(running) != JV_KIND_TRUE)
		pid = 0;
	jv_free(running);
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
	if (cx->load_pid > 0)
		kill(cx->load_pid, SIGINT);
	r->during = load_end(cx, r->during);
	if (r->recovery_ms < 0) {
		undo(cx, jid);
		fail(r, "failed", "the app did not come back by itself within %llds (no restart policy?)",
		     (long long)(cx->recovery / BI_NS_PER_S));
	} else {
		bi_journal_done(cx->journal, jid);
	}
	free(id);
}

static int
netem_available(void)
{
	return access("/sys/module/sch_netem", F_OK) == 0;
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

static void
network_latency(bi_chaos *cx, struct result *r)
{
	double ms = level(cx, 100, 300, 1000);
	const char *hostport = strstr(cx->base, "://");

	r->injected = bi_set(r->injected, "latency_ms", jv_number(ms));
	r->extra = bi_set(r->extra, "method", jv_string("proxy"));
	if (!netem_available())
		r->extra = bi_set(r->extra, "note", jv_string("this kernel has no tc netem: the latency "
			"is added by bi-proxy in front of the app"));
	plan(r, "start bi-proxy in front of the app, on loopback");
	plan(r, "measure p95 through it, then again with a latency toxic");
	if (cx->dry_run || !hostport)
		return;
	hostport += 3;
	int api = bi_free_port(), listen = bi_free_port();
	char apiaddr[64], spec[512], apiurl[80], front[80];
	snprintf(apiaddr, sizeof apiaddr, "127.0.0.1:%d", api);
	snprintf(apiurl, sizeof apiurl, "http://%s", apiaddr);
	snprintf(spec, sizeof spec, "app,127.0.0.1:%d,%.*s", listen, (int)strcspn(hostport, "/"), hostport);
	snprintf(front, sizeof front, "http://127.0.0.1:%d/hello", listen);
	char *proxy = bi_asprintf("%s/bi-proxy", cx->bindir);
	const char *argv[] = {proxy, "--api", apiaddr, "--proxy", spec, "-q", "--drain", "1s", NULL};
	char command[96];
	snprintf(command, sizeof command, "--api %s", apiaddr);
	pid_t pp = bi_spawn(argv, "/dev/null", NULL);
	free(proxy);
	if (pp < 0) {
		fail(r, "skipped", "cannot start bi-proxy");
		return;
	}
	int pj = bi_journal_add(cx->journal, bi_set(bi_set(bi_set(jv_object(), "action",
				jv_string("process")), "pid", jv_number(pp)), "command", jv_string(command)));
	if (pj < 0) {
		stop_child(pp);
		bi_die(BI_EXIT_FAIL, "cannot write the journal %s: refusing to change anything", cx->journal);
	}
	for (int i = 0; i < 50 && bi_http_status(apiurl, 200) == 0; i++)
		nap(cx, 100 * BI_NS_PER_MS);
	jv before = probe(cx, front, 3 * BI_NS_PER_S);
	char *toxics = bi_asprintf("%s/proxies/app/toxics", apiurl), body[128];
	snprintf(body, sizeof body, "{\"name\":\"chaos-latency\",\"type\":\"latency\",\"attributes\":{\"latency\":%g}}", ms);
	int tj = journal(cx, bi_set(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("toxic")), "api", jv_string(apiurl)),
				 "proxy", jv_string("app")), "toxic", jv_string("chaos-latency")));
	if (post(toxics, body) != 200) {
		fail(r, "skipped", "bi-proxy refused the latency toxic");
	} else {
		load_start(cx, front, cx->duration);
		r->during = load_end(cx, r->during);
	}
	free(toxics);
	undo(cx, tj);
	int64_t t0 = bi_mono_ns();
	undo(cx, pj);
	stop_child(pp);
	r->recovery_ms = wait_healthy(cx, t0);
	jv bp = jv_object_get(jv_copy(before), jv_string("p95_ms"));
	jv dp = jv_object_get(jv_copy(r->during), jv_string("p95_ms"));
	if (jv_get_kind(bp) == JV_KIND_NUMBER && jv_get_kind(dp) == JV_KIND_NUMBER)
		r->extra = bi_set(r->extra, "added_p95_ms",
			       jv_number(round((jv_number_value(dp) - jv_number_value(bp)) * 1000) / 1000));
	jv_free(bp);
	jv_free(dp);
	r->extra = bi_set(r->extra, "before", before);
	if (!strcmp(r->status, "passed")) {
		double er = bi_get_num(r->during, "error_rate", 0);
		if (er > cx->max_errors)
			fail(r, "failed", "%.1f%% of requests failed under %g ms of latency: no timeouts or "
			     "circuit breaker to contain it", er * 100, ms);
	}
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

static void
dependency_down(bi_chaos *cx, struct result *r)
{
	char *dep = dependency(cx), *id = dep ? container_of(cx, dep, 1) : NULL;

	if (!id && !cx->dry_run) {
		fail(r, "skipped", dep ? "dependency %s is not running" : "the project has no dependency%s",
		     dep ? dep : "");
		free(dep);
		return;
	}
	r->injected = bi_set(r->injected, "dependency", jv_string(dep ? dep : "?"));
	plan(r, "stop the dependency's container");
	plan(r, "check: liveness stays up, readiness says not ready, requests that do not need it work");
	plan(r, "start it again and time until the app is ready");
	if (cx->dry_run)
		goto out;
	int jid = journal(cx, bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
			      "container", jv_string(id)), "undo", jv_string("start")));
	load_start(cx, "/hello", cx->duration);
	if (bi_docker_action(cx->d, id, "stop", "t=2") != 0) {
		fail(r, "skipped", "cannot stop %s: %s", dep, bi_docker_error(cx->d));
		bi_journal_done(cx->journal, jid);
		r->during = load_end(cx, r->during);
		goto out;
	}
	struct watch w = {0};
	watch_for(cx, cx->duration, &w);
	r->during = load_end(cx, r->during);
	int64_t t0 = bi_mono_ns();
	undo(cx, jid);
	r->recovery_ms = wait_healthy(cx, t0);
	r->during = bi_set(r->during, "live_failures", jv_number(w.live_fail));
	r->during = bi_set(r->during, "not_ready", jv_number(w.ready_down));
	r->during = bi_set(r->during, "samples", jv_number(w.samples));
	double er = bi_get_num(r->during, "error_rate", 0);
	if (w.live_fail > 0)
		fail(r, "failed", "the app's liveness failed %d of %d times while %s was down: it did not "
		     "degrade gracefully (no dependency isolation)", w.live_fail, w.samples, dep);
	else if (w.ready_down == 0)
		fail(r, "failed", "readiness still said ready while %s was down", dep);
	else if (er > cx->max_errors)
		fail(r, "failed", "%.1f%% of requests that do not need %s failed while it was down",
		     er * 100, dep);
	else if (r->recovery_ms < 0)
		fail(r, "failed", "not ready again within %llds of %s coming back", (long long)(cx->recovery / BI_NS_PER_S), dep);
out:
	free(dep);
	free(id);
}

/* The chaos proxy of the project's compose file: its API on the host. */
static char *
chaos_proxy_api(bi_chaos *cx)
{
	char *id = container_of(cx, "chaos-proxy", 1), *api = NULL;

	if (!id)
		return NULL;
	jv c = bi_docker_inspect(cx->d, id);
	jv ports = bi_jv_path(c, "NetworkSettings.Ports");
	jv p = jv_get_kind(ports) == JV_KIND_OBJECT ?
		jv_object_get(jv_copy(ports), jv_string("8474/tcp")) : jv_invalid();
	if (jv_get_kind(p) == JV_KIND_ARRAY && jv_array_length(jv_copy(p)) > 0) {
		jv b = jv_array_get(jv_copy(p), 0);
		const char *hp = bi_get_str(b, "HostPort");
		if (hp)
			api = bi_asprintf("http://127.0.0.1:%s", hp);
		jv_free(b);
	}
	jv_free(p);
	jv_free(ports);
	jv_free(c);
	free(id);
	return api;
}

static void
db_latency(bi_chaos *cx, struct result *r)
{
	double ms = level(cx, 50, 200, 500);
	char *api = cx->dry_run ? NULL : chaos_proxy_api(cx);
	char *dep = dependency(cx);

	r->injected = bi_set(bi_set(r->injected, "latency_ms", jv_number(ms)), "dependency",
			  jv_string(dep ? dep : "?"));
	plan(r, "add latency to the database's traffic in the project's chaos-proxy");
	plan(r, "measure /ready (which asks the database) under load");
	if (cx->dry_run)
		goto out;
	if (!api || !dep) {
		fail(r, "skipped", "the project has no chaos-proxy between the app and its database "
		     "(templates add one when a database is chosen)");
		goto out;
	}
	jv before = probe(cx, "/ready", 3 * BI_NS_PER_S);
	char *toxics = bi_asprintf("%s/proxies/%s/toxics", api, dep), body[160];
	snprintf(body, sizeof body, "{\"name\":\"chaos-db-latency\",\"type\":\"latency\","
		 "\"attributes\":{\"latency\":%g}}", ms);
	int tj = journal(cx, bi_set(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("toxic")), "api", jv_string(api)),
				 "proxy", jv_string(dep)), "toxic", jv_string("chaos-db-latency")));
	if (post(toxics, body) != 200) {
		fail(r, "skipped", "the chaos-proxy has no proxy named %s", dep);
	} else {
		load_start(cx, "/ready", cx->duration);
		struct watch w = {0};
		watch_for(cx, cx->duration, &w);
		r->during = load_end(cx, r->during);
		r->during = bi_set(r->during, "live_failures", jv_number(w.live_fail));
	}
	free(toxics);
	int64_t t0 = bi_mono_ns();
	undo(cx, tj);
	r->recovery_ms = wait_healthy(cx, t0);
	r->extra = bi_set(r->extra, "before", before);
	if (!strcmp(r->status, "passed") && bi_get_num(r->during, "error_rate", 0) > cx->max_errors)
		fail(r, "failed", "%.1f%% of requests failed with the database %g ms slower: no timeouts "
		     "or circuit breaker", bi_get_num(r->during, "error_rate", 0) * 100, ms);
out:
	free(api);
	free(dep);
}

struct hog {
	char *id;
	const char *const *argv;
	int code;
};

static void *
run_hog(void *arg)
{
	struct hog *h = arg;
	char err[256];
	bi_docker *d = bi_docker_open(err, sizeof err);	/* a client per thread */

	if (d)
		bi_docker_exec(d, h->id, h->argv, &h->code, NULL, NULL);
	bi_docker_close(d);
	return NULL;
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
	char *id = container_of(cx, cx->service, 1);

	r->injected = bi_set(r->injected, memory ? "memory_mib" : "cpu_workers", jv_number(amount));
	plan(r, memory ? "copy bi-hog into the app container and allocate memory in its cgroup"
		       : "copy bi-hog into the app container and spin its CPUs");
	plan(r, "watch health, OOM kills and restarts under load");
	if (cx->dry_run || !id) {
		if (!id && !cx->dry_run)
			fail(r, "skipped", "no running %s container", cx->service);
		free(id);
		return;
	}
	char *path = bi_asprintf("%s/bi-hog", cx->bindir);
	size_t n;
	char *bin = bi_read_file(path, &n);
	free(path);
	if (!bin || bi_docker_put_file(cx->d, id, "/tmp", "bi-hog", bin, n, 0755) != 0) {
		fail(r, "skipped", "cannot copy bi-hog into the container: %s",
		     bin ? bi_docker_error(cx->d) : "bi-hog is not installed");
		free(bin);
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
	const char *argv[] = {"/tmp/bi-hog", memory ? "mem" : "cpu", a1, a2, NULL};
	struct hog h = {id, argv, -1};
	pthread_t t;
	int64_t since = bi_now_ns();
	load_start(cx, "/hello", cx->duration);
	if (pthread_create(&t, NULL, run_hog, &h) != 0) {
		fail(r, "skipped", "cannot start a thread to run bi-hog");
		if (cx->load_pid > 0)
			kill(cx->load_pid, SIGTERM);
		r->during = load_end(cx, r->during);
		free(id);
		return;
	}
	struct watch w = {0};
	watch_for(cx, cx->duration, &w);
	pthread_join(t, NULL);
	r->during = load_end(cx, r->during);
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
	r->during = bi_set(r->during, "hog_exit", jv_number(h.code));
	if (r->recovery_ms < 0)
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
	char *id = container_of(cx, cx->service, 1);

	plan(r, "freeze the app container (docker pause), then thaw it");
	plan(r, "time until /health and /ready answer again");
	if (cx->dry_run || !id) {
		if (!id && !cx->dry_run)
			fail(r, "skipped", "no running %s container", cx->service);
		free(id);
		return;
	}
	int jid = journal(cx, bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
			      "container", jv_string(id)), "undo", jv_string("unpause")));
	load_start(cx, "/hello", cx->duration + 5 * BI_NS_PER_S);
	bi_docker_action(cx->d, id, "pause", NULL);
	nap(cx, cx->duration);
	int64_t t0 = bi_mono_ns();
	undo(cx, jid);
	r->recovery_ms = wait_healthy(cx, t0);
	if (cx->load_pid > 0)
		kill(cx->load_pid, SIGINT);
	r->during = load_end(cx, r->during);
	if (r->recovery_ms < 0)
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

	struct result r = {.status = cx->dry_run ? "planned" : "passed", .recovery_ms = -1,
			   .injected = jv_object(), .during = jv_object(), .extra = jv_object(),
			   .plan = jv_array()};
	int64_t t0 = bi_mono_ns();
	jv steady = jv_null();

	if (!cx->dry_run) {
		/* Steady state first: an experiment on a sick service says nothing. */
		int h = healthy(cx);
		steady = bi_set(jv_object(), "healthy", jv_bool(h));
		if (h) {
			jv p = probe(cx, "/hello", 2 * BI_NS_PER_S);
			double er = bi_get_num(p, "error_rate", -1);
			steady = bi_set(steady, "error_rate", jv_object_get(jv_copy(p), jv_string("error_rate")));
			steady = bi_set(steady, "p95_ms", jv_object_get(jv_copy(p), jv_string("p95_ms")));
			jv_free(p);
			if (*cx->stop)
				fail(&r, "skipped", "interrupted");
			else if (er < 0)
				fail(&r, "skipped", "not in a steady state before: the load probe (bi-perf) gave no summary");
			else if (er > cx->max_errors)
				fail(&r, "skipped", "not in a steady state before: %.1f%% errors", er * 100);
		} else {
			fail(&r, "skipped", "not in a steady state before: %s is not healthy", cx->base);
		}
	}
	if (strcmp(r.status, "skipped"))
		s->run(cx, &r);
	if (*cx->stop && strcmp(r.status, "skipped"))
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
	rec = bi_set(rec, "injected", r.injected);
	rec = bi_set(rec, "steady", steady);
	rec = bi_set(rec, "during", r.during);
	if (cx->dry_run)
		rec = bi_set(rec, "plan", r.plan);
	else
		jv_free(r.plan);
	jv_object_foreach(r.extra, k, v)
		rec = jv_object_set(rec, k, v);
	jv_free(r.extra);
	rec = bi_set(rec, "duration_ms", jv_number((double)((bi_mono_ns() - t0) / BI_NS_PER_MS)));
	if (cx->load_pid > 0) {	/* a scenario cut short left its load running */
		kill(cx->load_pid, SIGTERM);
		waitpid(cx->load_pid, NULL, 0);
		cx->load_pid = 0;
	}
	return rec;
}

int
bi_chaos_rollback(bi_chaos *cx, jv *undone)
{
	return undo_all(cx, undone);
}
