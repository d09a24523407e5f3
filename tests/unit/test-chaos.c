/*
 * test-chaos: the journal that makes chaos safe (lib/engines/chaos.c) and the
 * experiments around it (lib/engines/experiment.c), as far as they go without
 * Docker: entries written, undone, refused; a process we started stopped by
 * a rollback and one we did not left alone; the lock that keeps a second run
 * out; the experiments' load read from a bi-perf scenario; every scenario's
 * dry-run plan; a service that is not healthy skipped, its record printable;
 * and, against a Docker of the test's own (a server that answers as the
 * Engine API does), a journal that cannot be written: the scenario skipped
 * with the reason, nothing changed, this machine's failure said.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "sources/docker.h"
#include "engines/chaos.h"
#include "engines/experiment.h"
#include "tap.h"
#include "httpd.h"

static int
npending(const char *path)
{
	jv p = bi_journal_pending(path);
	int n = jv_array_length(p);
	return n;
}

static jv
entry(const char *json)
{
	return jv_parse(json);
}

static void
test_journal(const char *dir)
{
	char *path = bi_asprintf("%s/sub/chaos.journal", dir);

	is_num(npending(path), 0, "no journal: nothing pending");
	int a = bi_journal_add(path, entry("{\"action\":\"docker\",\"container\":\"c1\",\"undo\":\"start\"}"));
	int b = bi_journal_add(path, entry("{\"action\":\"docker\",\"container\":\"c2\",\"undo\":\"unpause\"}"));
	ok(a >= 0 && b >= 0 && a != b, "two entries, two ids (%d, %d), the folder made", a, b);
	jv p = bi_journal_pending(path);
	jv first = jv_array_get(jv_copy(p), 0);
	is_str(bi_get_str(first, "container"), "c2", "pending: newest first, to undo in reverse");
	jv_free(first);
	jv_free(p);
	ok(bi_journal_done(path, b) == 0, "an entry marked undone");
	is_num(npending(path), 1, "one left pending");

	/* kill -9 in the middle of a write leaves half a line: the rest still reads. */
	FILE *f = fopen(path, "a");
	fputs("{\"action\":\"docker\",\"cont", f);
	fclose(f);
	is_num(npending(path), 1, "a torn last line is skipped, the entries before it kept");

	ok(bi_journal_add("/proc/self/no/such/journal", entry("{\"action\":\"docker\"}")) == -1,
	   "a journal that cannot be written: -1 (and nothing may be changed)");
	free(path);
}

static void
test_undo(const char *dir)
{
	char err[256];
	char *path = bi_asprintf("%s/undo.journal", dir);
	bi_chaos cx = {.journal = path, .stop = &(volatile sig_atomic_t){0}};

	/* A helper we started: the rollback stops it. */
	const char *argv[] = {"sleep", "30", NULL};
	pid_t pid = bi_spawn(argv, "/dev/null", NULL);
	ok(pid > 0, "bi_spawn: sleep started (%d)", (int)pid);
	char e[160];
	snprintf(e, sizeof e, "{\"action\":\"process\",\"pid\":%d,\"command\":\"sleep 30\"}", (int)pid);
	bi_journal_add(path, entry(e));
	/* A pid that is not what the journal says (reused): left alone. */
	snprintf(e, sizeof e, "{\"action\":\"process\",\"pid\":%d,\"command\":\"no-such-helper\"}", (int)getpid());
	bi_journal_add(path, entry(e));
	/* A proxy that no longer answers took its toxics with it. */
	snprintf(e, sizeof e, "{\"action\":\"toxic\",\"api\":\"http://127.0.0.1:%d\",\"proxy\":\"app\","
		 "\"toxic\":\"t\"}", bi_free_port());
	bi_journal_add(path, entry(e));

	jv undone = jv_array();
	ok(bi_chaos_rollback(&cx, &undone) == 0, "rollback: all undone");
	is_num(jv_array_length(jv_copy(undone)), 3, "three entries reported undone");
	jv_free(undone);
	int st = 0;
	ok(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	   "the helper was stopped with SIGTERM");
	is_num(npending(path), 0, "nothing pending after the rollback");

	/* What cannot be undone stays, with the reason. */
	bi_journal_add(path, entry("{\"action\":\"reboot\"}"));
	jv p = bi_journal_pending(path);
	jv e0 = jv_array_get(jv_copy(p), 0);
	ok(bi_journal_undo(e0, NULL, err, sizeof err) == -1 && strstr(err, "unknown journal action"),
	   "an unknown action is refused: %s", err);
	jv_free(e0);
	jv_free(p);
	bi_journal_add(path, entry("{\"action\":\"docker\",\"container\":\"abc\",\"undo\":\"start\"}"));
	p = bi_journal_pending(path);
	e0 = jv_array_get(jv_copy(p), 0);
	ok(bi_journal_undo(e0, NULL, err, sizeof err) == -1 && strstr(err, "no Docker"),
	   "a Docker entry without Docker is refused: %s", err);
	jv_free(e0);
	jv_free(p);
	bi_journal_add(path, entry("{\"action\":\"hog\",\"container\":\"abc\",\"path\":\"/tmp/bi-hog\"}"));
	p = bi_journal_pending(path);
	e0 = jv_array_get(jv_copy(p), 0);
	ok(bi_journal_undo(e0, NULL, err, sizeof err) == -1 && strstr(err, "no Docker to stop bi-hog"),
	   "a hog in a container without Docker is refused: %s", err);
	jv_free(e0);
	jv_free(p);
	ok(bi_chaos_rollback(&cx, NULL) == -1, "rollback: -1 when something could not be undone");
	is_num(npending(path), 3, "and the entries stay for the next --rollback");
	free(path);
}

static void
test_lock(const char *dir)
{
	char *path = bi_asprintf("%s/lock/chaos.lock", dir);
	long holder = 7;

	int a = bi_chaos_lock(path, &holder);
	ok(a >= 0 && (fcntl(a, F_GETFD) & FD_CLOEXEC), "the lock is taken (its folder made), close-on-exec");
	int b = bi_chaos_lock(path, &holder);
	ok(b == -1 && holder == (long)getpid(), "a second lock is refused, naming the holder (%ld)", holder);
	close(a);
	b = bi_chaos_lock(path, &holder);
	ok(b >= 0, "once the holder lets go, the lock can be had again");
	close(b);
	ok(bi_chaos_lock("/proc/self/no/such/lock", &holder) == -1 && holder == -1,
	   "a lock file that cannot be made: -1, holder -1");
	free(path);
}

static void
test_load(const char *dir)
{
	char err[512];
	char *path = bi_asprintf("%s/load.yaml", dir);
	FILE *f = fopen(path, "w");
	bi_chaos cx = {.cfg = jv_parse("{\"services\":{\"app\":{\"health\":\"/healthz\"}}}")};

	fputs("base_url: http://127.0.0.1:1\nstages: [{duration: 1m, target: 50}]\nendpoints:\n"
	      "  - {name: hello, path: /hello, weight: 30}\n"
	      "  - name: echo\n    method: POST\n    path: /echo\n    headers: {X-Test: 1}\n"
	      "    body: {message: hi}\n    weight: 20\n  - {path: /visits}\n", f);
	fclose(f);
	ok(bi_chaos_set_load(&cx, path, "perf/load.yaml", err, sizeof err) == 0 && cx.neps == 3,
	   "a bi-perf scenario's endpoints are the load (%d)", cx.neps);
	ok(!strcmp(cx.eps[0].name, "hello") && cx.eps[0].weight == 30 && !strcmp(cx.eps[0].method, "GET") &&
	   !strcmp(cx.eps[1].method, "POST") && cx.eps[1].nheaders == 1 && !strcmp(cx.eps[1].headers[0], "X-Test: 1") &&
	   cx.eps[1].body && !strcmp(cx.eps[1].body, "{\"message\":\"hi\"}") &&
	   !strcmp(cx.eps[2].name, "/visits") && cx.eps[2].weight == 1,
	   "with their names, methods, headers, bodies and weights (defaults: GET, the path, 1)");
	is_str(cx.load_from, "perf/load.yaml", "named as the caller says");

	ok(bi_chaos_set_load(&cx, NULL, NULL, err, sizeof err) == 0 && cx.neps == 1 &&
	   !strcmp(cx.eps[0].path, "/healthz") && !strcmp(cx.load_from, "/healthz"),
	   "no scenario: a GET of the health path");

	f = fopen(path, "w");
	fputs("endpoints:\n  - {name: x, weight: 1}\n", f);
	fclose(f);
	ok(bi_chaos_set_load(&cx, path, NULL, err, sizeof err) == -1 && strstr(err, "needs a path") && cx.neps == 0,
	   "an endpoint without a path is refused: %s", err);
	f = fopen(path, "w");
	fputs("endpoints:\n  - {path: /a, weight: 0}\n", f);
	fclose(f);
	ok(bi_chaos_set_load(&cx, path, NULL, err, sizeof err) == -1 && strstr(err, "add up to nothing"),
	   "weights that add up to nothing are refused: %s", err);
	ok(bi_chaos_set_load(&cx, "/nonexistent/load.yaml", NULL, err, sizeof err) == -1,
	   "a missing scenario is refused: %s", err);
	f = fopen(path, "w");
	fputs("base_url: http://127.0.0.1:1\nendpoints: []\n", f);
	fclose(f);
	ok(bi_chaos_set_load(&cx, path, NULL, err, sizeof err) == -1 && strstr(err, "no endpoints to load") &&
	   cx.neps == 0, "a scenario without endpoints is refused: %s", err);
	bi_chaos_free(&cx);
	jv_free(cx.cfg);
	free(path);
}

static void
test_last_record(const char *dir)
{
	char *path = bi_asprintf("%s/load.jsonl", dir);
	FILE *f = fopen(path, "w");

	fputs("{\"kind\":\"perf_summary\",\"requests\":1}\n{\"kind\":\"perf\",\"n\":2}\n"
	      "{\"kind\":\"perf_summary\",\"requests\":3}\nnot json\n", f);
	fclose(f);
	jv r = bi_last_record(path, "perf_summary");
	is_num(bi_get_num(r, "requests", 0), 3, "bi_last_record: the last of its kind");
	jv_free(r);
	ok(!jv_is_valid(bi_last_record(path, "chaos")), "bi_last_record: none of that kind");
	ok(!jv_is_valid(bi_last_record("/nonexistent/x", "chaos")), "bi_last_record: no file");
	free(path);
}

static void
test_experiments(const char *dir)
{
	static const char *const names[] = {"pod-kill", "network-latency", "dependency-down",
					    "db-latency", "memory-pressure", "cpu-pressure", "pause"};
	volatile sig_atomic_t stop = 0;
	char *journal = bi_asprintf("%s/exp.journal", dir);
	bi_chaos cx = {.project = "p", .service = "app", .base = "http://127.0.0.1:1",
		       .intensity = "medium", .journal = journal, .bindir = ".",
		       .duration = BI_NS_PER_S, .recovery = BI_NS_PER_S, .max_errors = 0.01,
		       .dry_run = 1, .cfg = jv_object(), .stop = &stop};

	int known = 1;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		known &= bi_chaos_known(names[i]);
	ok(known && !bi_chaos_known("nope") && !bi_chaos_known(""), "the seven scenarios, and no other");
	jv r = bi_chaos_run(&cx, "nope");
	ok(!jv_is_valid(r), "an unknown scenario: jv_invalid");
	jv_free(r);

	/* Dry runs need no Docker: each says what it would do. */
	int planned = 1;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		r = bi_chaos_run(&cx, names[i]);
		jv plan = jv_object_get(jv_copy(r), jv_string("plan"));
		const char *st = bi_get_str(r, "status"), *sc = bi_get_str(r, "scenario");
		const char *load = bi_get_str(r, "load");
		int good = st && !strcmp(st, "planned") && sc && !strcmp(sc, names[i]) &&
			   jv_get_kind(plan) == JV_KIND_ARRAY && jv_array_length(jv_copy(plan)) >= 2 &&
			   load && !strcmp(load, "/health");
		if (!good)
			printf("# %s\n", jv_string_value(jv_dump_string(jv_copy(r), 0)));
		planned &= good;
		jv_free(plan);
		jv_free(r);
	}
	ok(planned, "a dry run of each scenario: status planned, with its plan and its load");
	is_num(npending(journal), 0, "and a dry run journals nothing");

	double want[][2] = {{100, 64}, {300, 128}, {1000, 256}};
	const char *level[] = {"low", "medium", "high"};
	for (int i = 0; i < 3; i++) {
		cx.intensity = level[i];
		jv lat = bi_chaos_run(&cx, "network-latency"), mem = bi_chaos_run(&cx, "memory-pressure");
		jv a = bi_jv_path(lat, "injected.latency_ms"), b = bi_jv_path(mem, "injected.memory_mib");
		ok(jv_get_kind(a) == JV_KIND_NUMBER && jv_number_value(a) == want[i][0] &&
		   jv_get_kind(b) == JV_KIND_NUMBER && jv_number_value(b) == want[i][1],
		   "intensity %s: %g ms of latency, %g MiB of memory", level[i], want[i][0], want[i][1]);
		jv_free(a);
		jv_free(b);
		jv_free(lat);
		jv_free(mem);
	}

	/* For real, on a service that does not answer: skipped, never passed. */
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%d", bi_free_port());
	cx.base = base;
	cx.dry_run = 0;
	r = bi_chaos_run(&cx, "dependency-down");
	is_str(bi_get_str(r, "status"), "skipped", "an unhealthy service: the experiment is skipped");
	ok(bi_get_str(r, "reason") && strstr(bi_get_str(r, "reason"), "not healthy"), "because it is not healthy");
	jv s = bi_jv_path(r, "steady.healthy");
	ok(jv_get_kind(s) == JV_KIND_FALSE, "steady.healthy is false");
	jv_free(s);
	jv dump = jv_dump_string(r, 0);
	ok(jv_is_valid(dump), "the record prints");
	jv_free(dump);
	bi_chaos_free(&cx);
	jv_free(cx.cfg);
	free(journal);
}

/* ---- a Docker of the test's own, and the app ---- */

static int changes;	/* POSTs to Docker: what a scenario would change */

static int
docker(const char *head, const char *body, char *out, size_t n)
{
	char method[8], path[1024];

	(void)body;
	if (sscanf(head, "%7s %1023s", method, path) != 2)
		return 400;
	if (!strcmp(path, "/health") || !strcmp(path, "/ready")) {
		snprintf(out, n, "ok");
		return 200;
	}
	if (!strcmp(path, "/version")) {
		snprintf(out, n, "{\"ApiVersion\":\"1.41\"}");
		return 200;
	}
	if (!strcmp(method, "POST")) {
		__atomic_add_fetch(&changes, 1, __ATOMIC_SEQ_CST);
		return 204;
	}
	if (!strncmp(path, "/v1.41/containers/json?", 23)) {
		snprintf(out, n, "[{\"Id\":\"appid\",\"Labels\":{\"com.docker.compose.service\":\"app\"}},"
			 "{\"Id\":\"redisid\",\"Labels\":{\"com.docker.compose.service\":\"redis\"}}]");
		return 200;
	}
	if (!strncmp(path, "/v1.41/containers/", 18)) {
		snprintf(out, n, "{\"Id\":\"appid\",\"State\":{\"Pid\":0,\"Running\":true},\"RestartCount\":0,"
			 "\"NetworkSettings\":{\"Ports\":{}}}");
		return 200;
	}
	return 404;
}

/* The journal cannot be written: each scenario that would change something
 * ends as skipped, having changed nothing, and says this machine failed. */
static void
test_no_journal(void)
{
	int port = httpd_start(docker);
	char host[64], base[64], err[256];
	volatile sig_atomic_t stop = 0;

	snprintf(host, sizeof host, "tcp://127.0.0.1:%d", port);
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	setenv("DOCKER_HOST", host, 1);
	bi_chaos cx = {.project = "p", .service = "app", .base = base, .intensity = "low",
		       .journal = "/proc/self/no/such/chaos.journal", .bindir = ".",
		       .duration = BI_NS_PER_S, .recovery = BI_NS_PER_S, .max_errors = 0.01,
		       .cfg = jv_object(), .stop = &stop};
	cx.d = bi_docker_open(err, sizeof err);
	ok(port > 0 && cx.d, "a Docker of the test's own answers (%s)", cx.d ? host : err);
	if (!cx.d) {
		jv_free(cx.cfg);
		return;
	}
	static const char *const names[] = {"pod-kill", "dependency-down", "pause"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		cx.local_error[0] = '\0';
		jv r = bi_chaos_run(&cx, names[i]);
		const char *st = bi_get_str(r, "status"), *why = bi_get_str(r, "reason");
		ok(st && !strcmp(st, "skipped") && why && strstr(why, "cannot write the journal") &&
		   strstr(why, "refusing to change anything") && strstr(cx.local_error, "cannot write the journal") &&
		   changes == 0, "%s, the journal unwritable: skipped, nothing changed, this machine's failure: %s",
		   names[i], why ? why : "?");
		jv_free(r);
	}
	/* Skipped for a reason of its own: not this machine's failure. */
	cx.local_error[0] = '\0';
	jv r = bi_chaos_run(&cx, "network-latency");
	ok(!strcmp(bi_get_str(r, "status"), "skipped") && strstr(bi_get_str(r, "reason"), "no chaos-proxy") &&
	   !cx.local_error[0], "a project without a chaos-proxy: skipped, and this machine did not fail");
	jv_free(r);
	bi_docker_close(cx.d);
	bi_chaos_free(&cx);
	jv_free(cx.cfg);
	unsetenv("DOCKER_HOST");
}

int
main(void)
{
	bi_init("test-chaos");
	char *dir = bi_temp_dir("bi-test-chaos");
	if (!dir)
		return 1;
	plan(48);
	test_journal(dir);
	test_undo(dir);
	test_lock(dir);
	test_load(dir);
	test_last_record(dir);
	test_experiments(dir);
	test_no_journal();
	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		ok(0, "clean up %s", dir);
	free(rm);
	free(dir);
	return done();
}
