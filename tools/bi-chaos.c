/*
 * bi-chaos: failure experiments on the project's own containers.
 *
 * Each scenario checks a steady state first (health, readiness, a short probe
 * under the error threshold), runs a light constant-rate load (bi-perf)
 * while it breaks something, puts it back, and measures the recovery to
 * 100 ms. It writes one `chaos` record per scenario: passed, failed (with
 * the reason) or skipped (could not run: never counted as passed).
 *
 * Safety: containers are found by the project's compose labels only; every
 * change is journalled (lib/chaos.c) before it is made and undone at the end,
 * on SIGINT/SIGTERM, or by --rollback after a crash. --dry-run prints the plan.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bi.h"

static const char usage[] =
	"usage: bi-chaos [--scenario S]... [options]\n"
	"       bi-chaos --rollback\n"
	"Break the project on purpose, measure, and put it back; a chaos record per scenario.\n"
	"\n"
	"Scenarios: pod-kill, network-latency, dependency-down, db-latency,\n"
	"memory-pressure, cpu-pressure, pause (default: chaos.scenarios in\n"
	"blissful-infra.yaml, else pod-kill network-latency dependency-down memory-pressure).\n"
	"  -s, --scenario S     run S (repeatable)\n"
	"  -i, --intensity I    low, medium or high (default: chaos.intensity, else medium)\n"
	"  -d, --duration DUR   how long each fault lasts (default 10s)\n"
	"  -t, --target SVC     dependency-down, db-latency: which dependency (default:\n"
	"                       postgres, then redis, then kafka)\n"
	"  -p, --project NAME   compose project (default: blissful-infra.yaml's name)\n"
	"      --service SVC    the app's compose service (default app)\n"
	"  -u, --url URL        the app (default http://127.0.0.1:PORT from blissful-infra.yaml)\n"
	"      --recovery DUR   how long recovery may take (default 60s)\n"
	"  -n, --dry-run        print the plan, touch nothing\n"
	"      --rollback       undo whatever an interrupted run left (its journal)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Exit: 0 every scenario passed, 1 one failed or was skipped (the app not healthy\n"
	"before is a skip), 2 usage, 3 Docker unreachable, 130 interrupted (all undone).\n";

static struct {
	const char *project, *service, *base, *intensity, *target;
	char *journal, *bindir;
	int64_t duration, recovery;
	double max_errors;
	int dry_run;
	bi_docker *d;
	jv cfg;
} cx;

static volatile sig_atomic_t interrupted;
static pid_t load_pid;

static void on_signal(int sig) { (void)sig; interrupted = 1; }

/* Sleep ns, waking early on a signal; 0 when interrupted. */
static int
nap(int64_t ns)
{
	int64_t end = bi_mono_ns() + ns;

	while (!interrupted) {
		int64_t left = end - bi_mono_ns();
		if (left <= 0)
			return 1;
		usleep((useconds_t)((left > 50 * BI_NS_PER_MS ? 50 * BI_NS_PER_MS : left) / 1000));
	}
	return 0;
}

/* ---- the project's containers ---- */

static char *
container_of(const char *service, int running_only)
{
	if (!cx.d)
		return NULL;	/* a dry run without Docker: the plan alone */
	jv list = bi_docker_containers(cx.d, cx.project, service, !running_only);
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
services_running(void)
{
	jv list = cx.d ? bi_docker_containers(cx.d, cx.project, NULL, 0) : jv_array(), out = jv_array();

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
journal(jv entry)
{
	int id = bi_journal_add(cx.journal, entry);
	if (id < 0)
		bi_die(BI_EXIT_FAIL, "cannot write the journal %s: refusing to change anything", cx.journal);
	return id;
}

static void
undo(int id)
{
	jv pending = bi_journal_pending(cx.journal);
	char err[256];

	jv_array_foreach(pending, i, e) {
		if ((int)bi_get_num(e, "id", -1) == id) {
			if (bi_journal_undo(e, cx.d, err, sizeof err) == 0)
				bi_journal_done(cx.journal, id);
			else
				bi_warn("could not undo: %s (bi-chaos --rollback tries again)", err);
		}
		jv_free(e);
	}
	jv_free(pending);
}

/* Undo everything still pending; 0 when all of it could be. */
static int
undo_all(jv *report)
{
	jv pending = bi_journal_pending(cx.journal);
	char err[256];
	int bad = 0;

	jv_array_foreach(pending, i, e) {
		int id = (int)bi_get_num(e, "id", -1);
		if (bi_journal_undo(e, cx.d, err, sizeof err) == 0) {
			bi_journal_done(cx.journal, id);
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
url(const char *path)
{
	return bi_asprintf("%s%s", cx.base, path);
}

static int
healthy(void)
{
	char *h = url(bi_cfg_str(cx.cfg, "services.app.health", "/health"));
	char *r = url(bi_cfg_str(cx.cfg, "services.app.ready", "/ready"));
	int ok = bi_http_status(h, 500) == 200 && bi_http_status(r, 1000) == 200;
	free(h);
	free(r);
	return ok;
}

/* Poll every 100 ms until healthy: the milliseconds it took, or -1. */
static double
wait_healthy(int64_t since)
{
	int64_t end = since + cx.recovery;

	while (!interrupted && bi_mono_ns() < end) {
		if (healthy())
			return (double)((bi_mono_ns() - since) / BI_NS_PER_MS);
		nap(100 * BI_NS_PER_MS);
	}
	return -1;
}

/* Liveness and readiness, sampled while a fault lasts. */
struct watch {
	int samples, live_fail, ready_down;
};

static void
watch_for(int64_t ns, struct watch *w)
{
	int64_t end = bi_mono_ns() + ns;
	char *h = url(bi_cfg_str(cx.cfg, "services.app.health", "/health"));
	char *r = url(bi_cfg_str(cx.cfg, "services.app.ready", "/ready"));

	while (!interrupted && bi_mono_ns() < end) {
		w->samples++;
		w->live_fail += bi_http_status(h, 1000) != 200;
		w->ready_down += bi_http_status(r, 2000) == 503;
		nap(250 * BI_NS_PER_MS);
	}
	free(h);
	free(r);
}

/* ---- load, with bi-perf beside the experiment ---- */

static char load_out[256];

/* Load on target: a URL, or a path of the app's. */
static void
load_start(const char *target, int64_t ns)
{
	char dur[32], *perf = bi_asprintf("%s/bi-perf", cx.bindir);
	char *u = *target == '/' ? url(target) : bi_strdup(target);
	const char *argv[] = {perf, "-R", "20", "-c", "50", "-d", dur, "--timeout", "5s", "-q",
			      "--no-thresholds", u, NULL};

	snprintf(dur, sizeof dur, "%lldms", (long long)(ns / BI_NS_PER_MS));
	snprintf(load_out, sizeof load_out, "/tmp/bi-chaos-load.%d.jsonl", (int)getpid());
	load_pid = bi_spawn(argv, load_out, "/dev/null");
	free(perf);
	free(u);
}

/* The load's summary: {requests, error_rate, p95_ms}. */
static jv
load_end(void)
{
	int status;
	jv out = jv_object();

	if (load_pid > 0) {
		if (interrupted)
			kill(load_pid, SIGTERM);
		waitpid(load_pid, &status, 0);
		load_pid = 0;
	}
	jv s = bi_last_record(load_out, "perf_summary");
	if (jv_is_valid(s)) {
		out = bi_set(out, "requests", jv_number(bi_get_num(s, "requests", 0)));
		out = bi_set(out, "error_rate", jv_number(bi_get_num(s, "error_rate", 0)));
		jv p = bi_cfg_get(s, "latency.p95");
		out = bi_set(out, "p95_ms", jv_get_kind(p) == JV_KIND_NUMBER ? p : jv_null());
	}
	jv_free(s);
	unlink(load_out);
	return out;
}

static jv
probe(const char *target, int64_t ns)
{
	load_start(target, ns);
	return load_end();
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
level(double low, double medium, double high)
{
	return !strcmp(cx.intensity, "low") ? low : !strcmp(cx.intensity, "high") ? high : medium;
}

static void
plan(struct result *r, const char *step)
{
	r->plan = jv_array_append(r->plan, jv_string(step));
}

static void
pod_kill(struct result *r)
{
	plan(r, "kill the app container's main process (a crash), as the kernel would");
	plan(r, "time its restart by the restart policy until /health and /ready answer");
	if (cx.dry_run)
		return;
	char *id = container_of(cx.service, 1);
	if (!id) {
		fail(r, "skipped", "no running %s container in project %s", cx.service, cx.project);
		return;
	}
	jv info = bi_docker_inspect(cx.d, id);
	long pid = (long)bi_cfg_num(info, "State.Pid", 0);
	jv_free(info);
	int jid = journal(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
			      "container", jv_string(id)), "undo", jv_string("start")));
	load_start("/hello", cx.recovery);
	int64_t t0 = bi_mono_ns();
	/* A crash, not `docker kill`: Docker restarts a container whose process
	 * died, but not one it was told to kill. */
	if (pid <= 1 || kill((pid_t)pid, SIGKILL) != 0) {
		bi_docker_action(cx.d, id, "kill", NULL);
		r->extra = bi_set(r->extra, "note", jv_string("killed through Docker: no restart policy applies"));
	}
	nap(200 * BI_NS_PER_MS);
	r->recovery_ms = wait_healthy(t0);
	if (load_pid > 0)
		kill(load_pid, SIGINT);
	r->during = load_end();
	if (r->recovery_ms < 0) {
		undo(jid);
		fail(r, "failed", "the app did not come back by itself within %llds (no restart policy?)",
		     (long long)(cx.recovery / BI_NS_PER_S));
	} else {
		bi_journal_done(cx.journal, jid);
	}
	free(id);
}

static int
netem_available(void)
{
	return access("/sys/module/sch_netem", F_OK) == 0;
}

static int
free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	int port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
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
network_latency(struct result *r)
{
	double ms = level(100, 300, 1000);
	const char *hostport = strstr(cx.base, "://");

	r->injected = bi_set(jv_object(), "latency_ms", jv_number(ms));
	r->extra = bi_set(r->extra, "method", jv_string("proxy"));
	if (!netem_available())
		r->extra = bi_set(r->extra, "note", jv_string("this kernel has no tc netem: the latency "
			"is added by bi-proxy in front of the app"));
	plan(r, "start bi-proxy in front of the app, on loopback");
	plan(r, "measure p95 through it, then again with a latency toxic");
	if (cx.dry_run || !hostport)
		return;
	hostport += 3;
	int api = free_port(), listen = free_port();
	char apiaddr[64], spec[512], apiurl[80], front[80];
	snprintf(apiaddr, sizeof apiaddr, "127.0.0.1:%d", api);
	snprintf(apiurl, sizeof apiurl, "http://%s", apiaddr);
	snprintf(spec, sizeof spec, "app,127.0.0.1:%d,%.*s", listen, (int)strcspn(hostport, "/"), hostport);
	snprintf(front, sizeof front, "http://127.0.0.1:%d/hello", listen);
	char *proxy = bi_asprintf("%s/bi-proxy", cx.bindir);
	const char *argv[] = {proxy, "--api", apiaddr, "--proxy", spec, "-q", "--drain", "1s", NULL};
	char command[96];
	snprintf(command, sizeof command, "--api %s", apiaddr);
	pid_t pp = bi_spawn(argv, "/dev/null", NULL);
	free(proxy);
	if (pp < 0) {
		fail(r, "skipped", "cannot start bi-proxy");
		return;
	}
	int pj = journal(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("process")), "pid", jv_number(pp)),
			     "command", jv_string(command)));
	for (int i = 0; i < 50 && bi_http_status(apiurl, 200) == 0; i++)
		nap(100 * BI_NS_PER_MS);
	jv before = probe(front, 3 * BI_NS_PER_S);
	char *toxics = bi_asprintf("%s/proxies/app/toxics", apiurl), body[128];
	snprintf(body, sizeof body, "{\"name\":\"chaos-latency\",\"type\":\"latency\",\"attributes\":{\"latency\":%g}}", ms);
	int tj = journal(bi_set(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("toxic")), "api", jv_string(apiurl)),
				 "proxy", jv_string("app")), "toxic", jv_string("chaos-latency")));
	if (post(toxics, body) != 200) {
		fail(r, "skipped", "bi-proxy refused the latency toxic");
	} else {
		load_start(front, cx.duration);
		r->during = load_end();
	}
	free(toxics);
	undo(tj);
	int64_t t0 = bi_mono_ns();
	undo(pj);
	waitpid(pp, NULL, 0);
	r->recovery_ms = wait_healthy(t0);
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
		if (er > cx.max_errors)
			fail(r, "failed", "%.1f%% of requests failed under %g ms of latency: no timeouts or "
			     "circuit breaker to contain it", er * 100, ms);
	}
}

static char *
dependency(void)
{
	static const char *const prefs[] = {"postgres", "redis", "kafka", NULL};
	jv run = services_running();
	char *pick = NULL;

	if (cx.target) {
		pick = bi_strdup(cx.target);
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
			if (!pick && strcmp(n, cx.service) && strcmp(n, "chaos-proxy"))
				pick = bi_strdup(n);
			jv_free(s);
		}
	}
	jv_free(run);
	return pick;
}

static void
dependency_down(struct result *r)
{
	char *dep = dependency(), *id = dep ? container_of(dep, 1) : NULL;

	if (!id && !cx.dry_run) {
		fail(r, "skipped", dep ? "dependency %s is not running" : "the project has no dependency%s",
		     dep ? dep : "");
		free(dep);
		return;
	}
	r->injected = bi_set(jv_object(), "dependency", jv_string(dep ? dep : "?"));
	plan(r, "stop the dependency's container");
	plan(r, "check: liveness stays up, readiness says not ready, requests that do not need it work");
	plan(r, "start it again and time until the app is ready");
	if (cx.dry_run)
		goto out;
	int jid = journal(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
			      "container", jv_string(id)), "undo", jv_string("start")));
	load_start("/hello", cx.duration);
	if (bi_docker_action(cx.d, id, "stop", "t=2") != 0) {
		fail(r, "skipped", "cannot stop %s: %s", dep, bi_docker_error(cx.d));
		bi_journal_done(cx.journal, jid);
		r->during = load_end();
		goto out;
	}
	struct watch w = {0};
	watch_for(cx.duration, &w);
	r->during = load_end();
	int64_t t0 = bi_mono_ns();
	undo(jid);
	r->recovery_ms = wait_healthy(t0);
	r->during = bi_set(r->during, "live_failures", jv_number(w.live_fail));
	r->during = bi_set(r->during, "not_ready", jv_number(w.ready_down));
	r->during = bi_set(r->during, "samples", jv_number(w.samples));
	double er = bi_get_num(r->during, "error_rate", 0);
	if (w.live_fail > 0)
		fail(r, "failed", "the app's liveness failed %d of %d times while %s was down: it did not "
		     "degrade gracefully (no dependency isolation)", w.live_fail, w.samples, dep);
	else if (w.ready_down == 0)
		fail(r, "failed", "readiness still said ready while %s was down", dep);
	else if (er > cx.max_errors)
		fail(r, "failed", "%.1f%% of requests that do not need %s failed while it was down",
		     er * 100, dep);
	else if (r->recovery_ms < 0)
		fail(r, "failed", "not ready again within %llds of %s coming back", (long long)(cx.recovery / BI_NS_PER_S), dep);
out:
	free(dep);
	free(id);
}

/* The chaos proxy of the project's compose file: its API on the host. */
static char *
chaos_proxy_api(void)
{
	char *id = container_of("chaos-proxy", 1), *api = NULL;

	if (!id)
		return NULL;
	jv c = bi_docker_inspect(cx.d, id);
	jv ports = bi_cfg_get(c, "NetworkSettings.Ports");
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
db_latency(struct result *r)
{
	double ms = level(50, 200, 500);
	char *api = cx.dry_run ? NULL : chaos_proxy_api();
	char *dep = dependency();

	r->injected = bi_set(bi_set(jv_object(), "latency_ms", jv_number(ms)), "dependency",
			  jv_string(dep ? dep : "?"));
	plan(r, "add latency to the database's traffic in the project's chaos-proxy");
	plan(r, "measure /ready (which asks the database) under load");
	if (cx.dry_run)
		goto out;
	if (!api || !dep) {
		fail(r, "skipped", "the project has no chaos-proxy between the app and its database "
		     "(templates add one when a database is chosen)");
		goto out;
	}
	jv before = probe("/ready", 3 * BI_NS_PER_S);
	char *toxics = bi_asprintf("%s/proxies/%s/toxics", api, dep), body[160];
	snprintf(body, sizeof body, "{\"name\":\"chaos-db-latency\",\"type\":\"latency\","
		 "\"attributes\":{\"latency\":%g}}", ms);
	int tj = journal(bi_set(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("toxic")), "api", jv_string(api)),
				 "proxy", jv_string(dep)), "toxic", jv_string("chaos-db-latency")));
	if (post(toxics, body) != 200) {
		fail(r, "skipped", "the chaos-proxy has no proxy named %s", dep);
	} else {
		load_start("/ready", cx.duration);
		struct watch w = {0};
		watch_for(cx.duration, &w);
		r->during = load_end();
		r->during = bi_set(r->during, "live_failures", jv_number(w.live_fail));
	}
	free(toxics);
	int64_t t0 = bi_mono_ns();
	undo(tj);
	r->recovery_ms = wait_healthy(t0);
	r->extra = bi_set(r->extra, "before", before);
	if (!strcmp(r->status, "passed") && bi_get_num(r->during, "error_rate", 0) > cx.max_errors)
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
pressure(struct result *r, int memory)
{
	double amount = memory ? level(64, 128, 256) : level(1, 2, 4);
	char *id = container_of(cx.service, 1);

	r->injected = bi_set(jv_object(), memory ? "memory_mib" : "cpu_workers", jv_number(amount));
	plan(r, memory ? "copy bi-hog into the app container and allocate memory in its cgroup"
		       : "copy bi-hog into the app container and spin its CPUs");
	plan(r, "watch health, OOM kills and restarts under load");
	if (cx.dry_run || !id) {
		if (!id && !cx.dry_run)
			fail(r, "skipped", "no running %s container", cx.service);
		free(id);
		return;
	}
	char *path = bi_asprintf("%s/bi-hog", cx.bindir);
	size_t n;
	char *bin = bi_read_file(path, &n);
	free(path);
	if (!bin || bi_docker_put_file(cx.d, id, "/tmp", "bi-hog", bin, n, 0755) != 0) {
		fail(r, "skipped", "cannot copy bi-hog into the container: %s",
		     bin ? bi_docker_error(cx.d) : "bi-hog is not installed");
		free(bin);
		free(id);
		return;
	}
	free(bin);
	jv info = bi_docker_inspect(cx.d, id);
	double restarts0 = bi_cfg_num(info, "RestartCount", 0);
	jv_free(info);
	char a1[32], a2[32];
	snprintf(a1, sizeof a1, "%g", amount);
	snprintf(a2, sizeof a2, "%lld", (long long)(cx.duration / BI_NS_PER_S ? cx.duration / BI_NS_PER_S : 1));
	const char *argv[] = {"/tmp/bi-hog", memory ? "mem" : "cpu", a1, a2, NULL};
	struct hog h = {id, argv, -1};
	pthread_t t;
	int64_t since = bi_now_ns();
	load_start("/hello", cx.duration);
	pthread_create(&t, NULL, run_hog, &h);
	struct watch w = {0};
	watch_for(cx.duration, &w);
	pthread_join(t, NULL);
	r->during = load_end();
	int64_t t0 = bi_mono_ns();
	r->recovery_ms = wait_healthy(t0);
	int ooms = 0;
	char *filter = bi_asprintf("{\"container\":[\"%s\"]}", id);
	bi_docker_events(cx.d, filter, since - BI_NS_PER_S, bi_now_ns(), oom_count, &ooms);
	free(filter);
	char *now_id = container_of(cx.service, 0);
	info = bi_docker_inspect(cx.d, now_id ? now_id : id);
	double restarts = bi_cfg_num(info, "RestartCount", 0) - restarts0;
	jv_free(info);
	free(now_id);
	r->during = bi_set(r->during, "live_failures", jv_number(w.live_fail));
	r->during = bi_set(r->during, "oom_kills", jv_number(ooms));
	r->during = bi_set(r->during, "restarts", jv_number(restarts));
	r->during = bi_set(r->during, "hog_exit", jv_number(h.code));
	if (r->recovery_ms < 0)
		fail(r, "failed", "the app was not healthy again within %llds",
		     (long long)(cx.recovery / BI_NS_PER_S));
	else if (memory && w.live_fail > w.samples / 2)
		fail(r, "failed", "the app stopped answering under memory pressure (%d OOM kills): set "
		     "resource limits and headroom", ooms);
	else if (!memory && bi_get_num(r->during, "error_rate", 0) > cx.max_errors)
		fail(r, "failed", "%.1f%% of requests failed with the CPUs busy",
		     bi_get_num(r->during, "error_rate", 0) * 100);
	free(id);
}

static void memory_pressure(struct result *r) { pressure(r, 1); }
static void cpu_pressure(struct result *r) { pressure(r, 0); }

static void
pause_app(struct result *r)
{
	char *id = container_of(cx.service, 1);

	plan(r, "freeze the app container (docker pause), then thaw it");
	plan(r, "time until /health and /ready answer again");
	if (cx.dry_run || !id) {
		if (!id && !cx.dry_run)
			fail(r, "skipped", "no running %s container", cx.service);
		free(id);
		return;
	}
	int jid = journal(bi_set(bi_set(bi_set(jv_object(), "action", jv_string("docker")),
			      "container", jv_string(id)), "undo", jv_string("unpause")));
	load_start("/hello", cx.duration + 5 * BI_NS_PER_S);
	bi_docker_action(cx.d, id, "pause", NULL);
	nap(cx.duration);
	int64_t t0 = bi_mono_ns();
	undo(jid);
	r->recovery_ms = wait_healthy(t0);
	if (load_pid > 0)
		kill(load_pid, SIGINT);
	r->during = load_end();
	if (r->recovery_ms < 0)
		fail(r, "failed", "not healthy within %llds of being thawed", (long long)(cx.recovery / BI_NS_PER_S));
	free(id);
}

static const struct scenario {
	const char *name;
	void (*run)(struct result *r);
} scenarios[] = {
	{"pod-kill", pod_kill},
	{"network-latency", network_latency},
	{"dependency-down", dependency_down},
	{"db-latency", db_latency},
	{"memory-pressure", memory_pressure},
	{"cpu-pressure", cpu_pressure},
	{"pause", pause_app},
	{NULL, NULL}};

static int
run(const struct scenario *s)
{
	struct result r = {.status = cx.dry_run ? "planned" : "passed", .recovery_ms = -1,
			   .injected = jv_object(), .during = jv_object(), .extra = jv_object(),
			   .plan = jv_array()};
	int64_t t0 = bi_mono_ns();
	jv steady = jv_null();

	if (!cx.dry_run) {
		/* Steady state first: an experiment on a sick service says nothing. */
		int h = healthy();
		steady = bi_set(jv_object(), "healthy", jv_bool(h));
		if (h) {
			jv p = probe("/hello", 2 * BI_NS_PER_S);
			double er = bi_get_num(p, "error_rate", -1);
			steady = bi_set(steady, "error_rate", jv_object_get(jv_copy(p), jv_string("error_rate")));
			steady = bi_set(steady, "p95_ms", jv_object_get(jv_copy(p), jv_string("p95_ms")));
			jv_free(p);
			if (interrupted)
				fail(&r, "skipped", "interrupted");
			else if (er < 0)
				fail(&r, "skipped", "not in a steady state before: the load probe (bi-perf) gave no summary");
			else if (er > cx.max_errors)
				fail(&r, "skipped", "not in a steady state before: %.1f%% errors", er * 100);
		} else {
			fail(&r, "skipped", "not in a steady state before: %s is not healthy", cx.base);
		}
	}
	if (strcmp(r.status, "skipped"))
		s->run(&r);
	if (interrupted && strcmp(r.status, "skipped"))
		fail(&r, "skipped", "interrupted");
	jv rec = bi_record("chaos");
	rec = bi_set(rec, "project", jv_string(cx.project));
	rec = bi_set(rec, "scenario", jv_string(s->name));
	rec = bi_set(rec, "target", jv_string(cx.service));
	rec = bi_set(rec, "intensity", jv_string(cx.intensity));
	rec = bi_set(rec, "status", jv_string(r.status));
	if (*r.reason)
		rec = bi_set(rec, "reason", jv_string(r.reason));
	rec = bi_set(rec, "recovery_ms", r.recovery_ms >= 0 ? jv_number(r.recovery_ms) : jv_null());
	rec = bi_set(rec, "injected", r.injected);
	rec = bi_set(rec, "steady", steady);
	rec = bi_set(rec, "during", r.during);
	if (cx.dry_run)
		rec = bi_set(rec, "plan", r.plan);
	else
		jv_free(r.plan);
	jv_object_foreach(r.extra, k, v)
		rec = jv_object_set(rec, k, v);
	jv_free(r.extra);
	rec = bi_set(rec, "duration_ms", jv_number((double)((bi_mono_ns() - t0) / BI_NS_PER_MS)));
	bi_write(rec);
	bi_write_flush();
	return !strcmp(r.status, "passed") || !strcmp(r.status, "planned");
}

static char *
my_dir(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n <= 0)
		return bi_strdup(".");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return bi_strdup(buf);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"scenario", required_argument, NULL, 's'},
		{"intensity", required_argument, NULL, 'i'},
		{"duration", required_argument, NULL, 'd'},
		{"target", required_argument, NULL, 't'},
		{"project", required_argument, NULL, 'p'},
		{"service", required_argument, NULL, 'S'},
		{"url", required_argument, NULL, 'u'},
		{"recovery", required_argument, NULL, 'r'},
		{"dry-run", no_argument, NULL, 'n'},
		{"rollback", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *chosen[16];
	int nchosen = 0, rollback = 0, c;
	char err[512];

	bi_init(argv[0]);
	cx.duration = 10 * BI_NS_PER_S;
	cx.recovery = 60 * BI_NS_PER_S;
	cx.service = "app";
	while ((c = getopt_long(argc, argv, "s:i:d:t:p:u:nh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (nchosen == 16)
				bi_usage_error(usage, "too many scenarios");
			chosen[nchosen++] = optarg;
			break;
		case 'i': cx.intensity = optarg; break;
		case 'd':
			if (bi_dur_parse(optarg, &cx.duration) || cx.duration < BI_NS_PER_S)
				bi_usage_error(usage, "--duration: a duration of a second or more: %s", optarg);
			break;
		case 't': cx.target = optarg; break;
		case 'p': cx.project = optarg; break;
		case 'S': cx.service = optarg; break;
		case 'u': cx.base = optarg; break;
		case 'r':
			if (bi_dur_parse(optarg, &cx.recovery) || cx.recovery <= 0)
				bi_usage_error(usage, "--recovery: not a duration: %s", optarg);
			break;
		case 'n': cx.dry_run = 1; break;
		case 'R': rollback = 1; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	cx.cfg = bi_config();
	char *root = bi_project_dir();
	/* Not under chaos/: that holds results, which other tools read. */
	cx.journal = bi_asprintf("%s/.blissful-infra/chaos.journal", root ? root : ".");
	cx.bindir = my_dir();
	if (!cx.project)
		cx.project = bi_cfg_str(cx.cfg, "name", NULL);
	if (!cx.intensity)
		cx.intensity = bi_cfg_str(cx.cfg, "chaos.intensity", "medium");
	if (strcmp(cx.intensity, "low") && strcmp(cx.intensity, "medium") && strcmp(cx.intensity, "high"))
		bi_usage_error(usage, "--intensity: low, medium or high, not %s", cx.intensity);
	cx.max_errors = bi_cfg_num(cx.cfg, "perf.thresholds.error_rate", 0.01);
	if (!cx.base) {
		const char *env = getenv("APP_PORT");
		double port = bi_cfg_num(cx.cfg, "services.app.port", 8080);
		cx.base = env && *env ? bi_asprintf("http://127.0.0.1:%s", env) :
				      bi_asprintf("http://127.0.0.1:%.0f", port);
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cx.d = bi_docker_open(err, sizeof err);
	if (rollback) {
		jv undone = jv_array();
		int r = undo_all(&undone);
		jv rec = bi_record("chaos");
		rec = bi_set(rec, "scenario", jv_string("rollback"));
		rec = bi_set(rec, "status", jv_string(r == 0 ? "passed" : "failed"));
		rec = bi_set(rec, "undone", undone);
		bi_write(rec);
		bi_write_flush();
		return r == 0 ? BI_EXIT_OK : BI_EXIT_FAIL;
	}
	if (!cx.d && !cx.dry_run)
		bi_die(BI_EXIT_UNREACHABLE, "%s", err);
	if (!cx.project)
		bi_die(BI_EXIT_USAGE, "which project? run in one (blissful-infra.yaml) or give --project");
	/* Whatever an earlier run left is put back before anything new. */
	if (!cx.dry_run && undo_all(NULL) != 0)
		bi_die(BI_EXIT_FAIL, "an earlier run left changes that cannot be undone; see %s", cx.journal);

	if (nchosen == 0) {
		jv list = bi_cfg_get(cx.cfg, "chaos.scenarios");
		if (jv_get_kind(list) == JV_KIND_ARRAY) {
			jv_array_foreach(list, i, s) {
				if (jv_get_kind(s) == JV_KIND_STRING && nchosen < 16)
					chosen[nchosen++] = bi_strdup(jv_string_value(s));
				jv_free(s);
			}
		}
		jv_free(list);
		if (nchosen == 0) {
			static const char *const def[] = {"pod-kill", "network-latency", "dependency-down",
							  "memory-pressure"};
			for (int i = 0; i < 4; i++)
				chosen[nchosen++] = def[i];
		}
	}
	const struct scenario *todo[16];
	for (int i = 0; i < nchosen; i++) {
		const struct scenario *s;
		for (s = scenarios; s->name && strcmp(s->name, chosen[i]); s++)
			;
		if (!s->name)
			bi_usage_error(usage, "unknown scenario: %s", chosen[i]);
		todo[i] = s;
	}
	int all_ok = 1;
	for (int i = 0; i < nchosen && !interrupted; i++)
		all_ok &= run(todo[i]);
	if (load_pid > 0) {
		kill(load_pid, SIGTERM);
		waitpid(load_pid, NULL, 0);
	}
	int undone = undo_all(NULL);
	bi_docker_close(cx.d);
	free(root);
	if (interrupted)
		return 130;
	return undone != 0 ? BI_EXIT_FAIL : all_ok ? BI_EXIT_OK : BI_EXIT_FAIL;
}
