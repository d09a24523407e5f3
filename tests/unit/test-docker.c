/* test-docker: stats arithmetic and records on fixed input, DOCKER_HOST's
 * forms and the addresses refused, then lib/docker against the real daemon
 * with a container of its own (labelled org.blissful-infra.test=unit-docker
 * and removed at the end). The demultiplexer is test-demux's. */
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/docker.h"
#include "tap.h"

#define TESTS 48

struct got {
	bi_buf text;	/* "S|TS|line\n" per line */
	int n;
};

static int
collect(void *ctx, int stream, int64_t ts, const char *line, size_t n)
{
	struct got *g = ctx;
	char t[BI_TS_LEN];
	bi_buf_printf(&g->text, "%d|%s|%.*s\n", stream, ts ? bi_ts_fmt(ts, t) : "-", (int)n, line);
	g->n++;
	return 0;
}

static const char *stats_fixture =
	"{\"read\":\"2026-11-24T01:02:03.000Z\",\"pids_stats\":{\"current\":3},"
	"\"networks\":{\"eth0\":{\"rx_bytes\":1000,\"tx_bytes\":200},\"eth1\":{\"rx_bytes\":24,\"tx_bytes\":6}},"
	"\"blkio_stats\":{\"io_service_bytes_recursive\":[{\"major\":8,\"minor\":0,\"op\":\"Read\",\"value\":4096},"
	"{\"major\":8,\"minor\":0,\"op\":\"Write\",\"value\":8192},{\"major\":8,\"minor\":0,\"op\":\"Total\",\"value\":12288}]},"
	"\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":3000000000},\"system_cpu_usage\":120000000000,\"online_cpus\":2},"
	"\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":2000000000},\"system_cpu_usage\":110000000000,\"online_cpus\":2},"
	"\"memory_stats\":{\"usage\":30629888,\"limit\":25276026880,\"stats\":{\"total_inactive_file\":1048576,"
	"\"inactive_file\":1048576,\"cache\":30003200}}}";

static int
sh(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t k = fread(out, 1, n - 1, p);
	out[k] = '\0';
	while (k > 0 && out[k - 1] == '\n')
		out[--k] = '\0';
	return pclose(p);
}

static char cid[80];

static void
cleanup(void)
{
	char cmd[160], out[256];
	if (cid[0]) {
		snprintf(cmd, sizeof cmd, "docker rm -f %s 2>&1", cid);
		sh(cmd, out, sizeof out);
	}
}

static double
mib(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (strncmp(end, "GiB", 3) == 0) return v * 1024;
	if (strncmp(end, "MiB", 3) == 0) return v;
	if (strncmp(end, "KiB", 3) == 0) return v / 1024;
	if (strncmp(end, "kB", 2) == 0) return v * 1000 / 1048576;
	if (strncmp(end, "MB", 2) == 0) return v * 1e6 / 1048576;
	return v / 1048576;
}

static int
count_starts(void *ctx, jv ev)
{
	const char *a = bi_get_str(ev, "Action");
	const char *id = bi_get_str(ev, "id");
	if (a && id && strcmp(a, "start") == 0 && strcmp(id, cid) == 0)
		++*(int *)ctx;
	jv_free(ev);
	return 0;
}

static void
exec_line(void *ctx, int stream, const char *line, size_t n)
{
	bi_buf_printf(ctx, "%d:%.*s;", stream, (int)n, line);
}

/* Records from Docker's own documents, as the Engine API gives them. */
static void
test_records(void)
{
	static const char die[] = "{\"status\":\"die\",\"id\":\"4f1e2d3c4b5a69788796a5b4c3d2e1f0\","
		"\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"4f1e\",\"Attributes\":"
		"{\"com.docker.compose.project\":\"shop\",\"com.docker.compose.service\":\"app\","
		"\"exitCode\":\"137\",\"image\":\"shop:latest\",\"name\":\"shop-app-1\"}},"
		"\"scope\":\"local\",\"time\":1764000000,\"timeNano\":1764000000123456789}";
	jv ev = jv_parse(die), r = bi_docker_event_record(ev, "shop");
	char *got = bi_asprintf("%s %s %s %s %g %s %s", bi_get_str(r, "ts"), bi_get_str(r, "project"),
				bi_get_str(r, "service"), bi_get_str(r, "container"),
				bi_get_num(r, "exit_code", -1), bi_get_str(r, "image"), bi_get_str(r, "name"));
	is_str(got, "2025-11-24T16:00:00.123Z shop app 4f1e2d3c4b5a 137 shop:latest shop-app-1",
	       "a die event: when, which, and its exit code");
	free(got);
	jv_free(r);
	jv_free(ev);
	ev = jv_parse("{\"Type\":\"container\",\"Action\":\"health_status: unhealthy\",\"id\":\"c\","
		      "\"Actor\":{\"Attributes\":{}},\"timeNano\":1}");
	r = bi_docker_event_record(ev, "shop");
	is_str(bi_get_str(r, "health"), "unhealthy", "health_status: the value apart");
	is_str(bi_get_str(r, "service"), "?", "no compose label: service ?");
	jv_free(r);
	jv_free(ev);
	ev = jv_parse("{\"Type\":\"container\",\"Action\":\"exec_start: /bin/sh -c true\",\"id\":\"c\"}");
	jv noise = jv_parse("{\"Type\":\"network\",\"Action\":\"connect\",\"id\":\"n\"}");
	ok(!jv_is_valid(bi_docker_event_record(ev, "shop")) && !jv_is_valid(bi_docker_event_record(noise, "shop")),
	   "exec and network events are not records");
	jv_free(ev);
	jv_free(noise);

	jv sum = jv_parse("{\"Id\":\"9a8b7c6d5e4f3a2b1c0d\",\"Labels\":{\"com.docker.compose.service\":\"redis\"},"
			  "\"Ports\":[{\"IP\":\"127.0.0.1\",\"PrivatePort\":6379,\"PublicPort\":16379,"
			  "\"Type\":\"tcp\"},{\"PrivatePort\":9121,\"Type\":\"tcp\"}]}");
	jv in = jv_parse("{\"State\":{\"Status\":\"running\",\"StartedAt\":\"2020-01-01T00:00:00.5Z\","
			 "\"Health\":{\"Status\":\"healthy\"},\"ExitCode\":0},\"RestartCount\":2,"
			 "\"Config\":{\"Image\":\"redis:7\"}}");
	r = bi_docker_status_record(in, sum, "shop");
	got = bi_asprintf("%s %s %s %s %s %g %s %s", bi_get_str(r, "service"), bi_get_str(r, "container"),
			  bi_get_str(r, "action"), bi_get_str(r, "state"), bi_get_str(r, "health"),
			  bi_get_num(r, "restarts", -1), bi_get_str(r, "image"), bi_get_str(r, "ports"));
	is_str(got, "redis 9a8b7c6d5e4f status running healthy 2 redis:7 127.0.0.1:16379->6379/tcp",
	       "status of a running container; only published ports shown");
	free(got);
	const char *up = bi_get_str(r, "uptime");
	ok(up && strchr(up, 'h') && !bi_get_str(r, "exit_code"), "running: an uptime (%s), no exit code", up);
	jv_free(r);
	jv_free(in);
	in = jv_parse("{\"State\":{\"Status\":\"exited\",\"ExitCode\":1}}");
	r = bi_docker_status_record(in, sum, "shop");
	ok(bi_get_num(r, "exit_code", -1) == 1 && !bi_get_str(r, "uptime") && !strcmp(bi_get_str(r, "health"), "-"),
	   "exited: its exit code, no uptime, health -");
	jv_free(r);
	jv_free(in);
	r = bi_docker_status_record(jv_invalid(), sum, "shop");
	is_str(bi_get_str(r, "state"), "gone", "no inspect document: gone");
	jv_free(r);
	jv_free(sum);
}

/* DOCKER_HOST: every form, and what is no address refused before any
 * connection is tried (127.0.0.1's port 1 is closed: nothing listens). */
static void
test_hosts(void)
{
	static const struct { const char *host, *err; } cases[] = {
		{"unix:///nonexistent.sock", "cannot reach Docker at unix:///nonexistent.sock: "},
		{"tcp://127.0.0.1:1", "cannot reach Docker at tcp://127.0.0.1:1: "},
		{"tcp://[::1]:1", "cannot reach Docker at tcp://[::1]:1: "},
		{"http://127.0.0.1:1/", "cannot reach Docker at http://127.0.0.1:1/: "},
		{"tcp://127.0.0.1:99999", "DOCKER_HOST=tcp://127.0.0.1:99999: a port is a number from 1 to 65535"},
		{"tcp://127.0.0.1:0", "DOCKER_HOST=tcp://127.0.0.1:0: a port is a number from 1 to 65535"},
		{"tcp://127.0.0.1:-1", "DOCKER_HOST=tcp://127.0.0.1:-1: a port is a number from 1 to 65535"},
		{"tcp://127.0.0.1:23 75", "DOCKER_HOST=tcp://127.0.0.1:23 75: a port is a number from 1 to 65535"},
		{"tcp://127.0.0.1:", "DOCKER_HOST=tcp://127.0.0.1:: a port is a number from 1 to 65535"},
		{"tcp://dock er:2375", "DOCKER_HOST=tcp://dock er:2375: not a host name"},
		{"tcp://", "DOCKER_HOST=tcp://: no host"},
		{"tcp://:2375", "DOCKER_HOST=tcp://:2375: no host"},
		{"tcp://::1:2375", "DOCKER_HOST=tcp://::1:2375: an IPv6 address goes in brackets: [::1]:80"},
		{"tcp://[::1:2375", "DOCKER_HOST=tcp://[::1:2375: an IPv6 address without its ']'"},
		{"ssh://me@host", "DOCKER_HOST=ssh://me@host: not a unix://, tcp:// or http:// address"},
		{"127.0.0.1:2375", "DOCKER_HOST=127.0.0.1:2375: not a unix://, tcp:// or http:// address"},
		{"unix://", "DOCKER_HOST=unix://: no socket path"},
	};
	char err[512];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		setenv("DOCKER_HOST", cases[i].host, 1);
		err[0] = '\0';
		bi_docker *d = bi_docker_open(err, sizeof err);
		size_t n = strlen(cases[i].err);
		ok(!d && !strncmp(err, cases[i].err, n) && (cases[i].err[n - 1] == ' ' || !err[n]),
		   "%s", *err ? err : cases[i].host);
		bi_docker_close(d);
	}
	/* tcp:// with no port: the daemon's plain port, as for docker. */
	setenv("DOCKER_HOST", "tcp://127.0.0.1", 1);
	bi_docker *d = bi_docker_open(err, sizeof err);
	ok(d || strstr(err, "http://127.0.0.1:2375/"), "tcp://HOST: port 2375 (%s)", d ? "a daemon answers" : err);
	bi_docker_close(d);
	unsetenv("DOCKER_HOST");
}

int
main(void)
{
	plan(TESTS);
	bi_init("test-docker");

	jv s = bi_docker_stats_compute(jv_parse(stats_fixture));
	near(bi_get_num(s, "cpu_pct", -1), 20.0, 1e-9, "cpu %% = 1e9/1e10 x 2 cpus x 100");
	is_num(bi_get_num(s, "mem_used", -1), 30629888 - 1048576, "memory less inactive file");
	is_num(bi_get_num(s, "net_rx", -1), 1024, "rx summed over networks");
	is_num(bi_get_num(s, "net_tx", -1), 206, "tx summed");
	is_num(bi_get_num(s, "blk_read", -1), 4096, "block reads");
	is_num(bi_get_num(s, "blk_write", -1), 8192, "block writes");
	is_num(bi_get_num(s, "pids", -1), 3, "pids");
	jv_free(s);
	s = bi_docker_stats_compute(jv_parse("{\"memory_stats\":{},\"precpu_stats\":{}}"));
	jv cpu = jv_object_get(jv_copy(s), jv_string("cpu_pct"));
	ok(jv_get_kind(cpu) == JV_KIND_NULL, "no precpu: cpu %% is null, not zero");
	jv_free(cpu);
	jv_free(s);

	test_records();
	test_hosts();

	/* The real daemon. */
	char err[512];
	unsetenv("DOCKER_HOST");
	bi_docker *d = bi_docker_open(err, sizeof err);
	if (!d) {
		const char *ci = getenv("CI");
		int required = ci && strcmp(ci, "true") == 0;
		for (int i = tap_n; i < TESTS; i++) {
			if (required)
				ok(0, "Docker is required under CI=true: %s", err);
			else
				printf("ok %d # skip no Docker daemon: %s\n", ++tap_n, err);
		}
		return done();
	}
	atexit(cleanup);
	char out[4096];
	if (sh("./scripts/images.sh busybox 2>&1", out, sizeof out) != 0)
		printf("# images.sh: %s\n", out);
	/* Leftovers of a run that crashed before its cleanup. */
	sh("docker ps -aq --filter label=org.blissful-infra.test=unit-docker | xargs -r docker rm -f",
	   out, sizeof out);
	sh("docker run -d --label org.blissful-infra.test=unit-docker "
	   "--label com.docker.compose.project=bi-unit-docker --label com.docker.compose.service=app "
	   "bi-busybox sh -c 'echo out-1; echo err-1 >&2; echo out-2; "
	   "head -c 30000000 /dev/zero > /dev/shm/x; echo filled; exec sleep 120'", cid, sizeof cid);
	ok(strlen(cid) == 64, "test container started: %.12s", cid);
	ok(strcmp(bi_docker_api(d), "1.41") <= 0 && bi_docker_api(d)[0] == '1', "API version %s", bi_docker_api(d));

	jv list = bi_docker_containers(d, "bi-unit-docker", "app", 0);
	ok(jv_get_kind(list) == JV_KIND_ARRAY && jv_array_length(jv_copy(list)) == 1,
	   "found by its compose labels");
	jv_free(list);
	list = bi_docker_containers(d, "bi-unit-docker", "other", 1);
	ok(jv_get_kind(list) == JV_KIND_ARRAY && jv_array_length(jv_copy(list)) == 0, "not by another service");
	jv_free(list);

	/* Wait for the container to fill its memory. */
	struct got g = {{0}, 0};
	for (int i = 0; i < 100 && !strstr(g.text.p ? g.text.p : "", "filled"); i++) {
		usleep(100000);
		bi_buf_free(&g.text);
		g.n = 0;
		bi_docker_logs_opts o = {.tail = -1, .tty = -1};
		bi_docker_logs(d, cid, &o, collect, &g);
	}
	bi_buf_add(&g.text, NULL, 0);
	/* Each line once, with its stream; order between streams is Docker's. */
	ok(g.n == 4, "four lines, each once (%d)", g.n);
	ok(strstr(g.text.p, "|out-1\n") && strstr(g.text.p, "|out-2\n") && strstr(g.text.p, "|filled\n"),
	   "stdout lines");
	ok(strstr(g.text.p, "2|") && strstr(strstr(g.text.p, "2|"), "|err-1\n") &&
	   !strstr(g.text.p, "1|err-1") && !strstr(g.text.p, "2|out"), "stderr line on stream 2 only");
	int64_t now = bi_now_ns(), ts;
	char first[BI_TS_LEN];
	snprintf(first, sizeof first, "%.24s", strchr(g.text.p, '|') + 1);
	ok(bi_ts_parse(first, &ts) == 0 && now - ts < 60 * BI_NS_PER_S && ts <= now,
	   "with Docker's timestamp (%s)", first);
	bi_buf_free(&g.text);

	jv st = bi_docker_stats(d, cid, 0);
	sh("docker stats --no-stream --format '{{.MemUsage}}' ", out, sizeof out);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "docker stats --no-stream --format '{{.MemUsage}}' %s", cid);
	sh(cmd, out, sizeof out);
	double ours = bi_get_num(st, "mem_used", 0) / 1048576, theirs = mib(out);
	ok(theirs > 25 && ours > theirs * 0.9 && ours < theirs * 1.1,
	   "memory %.2f MiB agrees with docker stats (%s) within 10%%", ours, out);
	jv c = jv_object_get(jv_copy(st), jv_string("cpu_pct"));
	ok(jv_get_kind(c) == JV_KIND_NUMBER, "cpu %% measured over the interval");
	jv_free(c);
	jv_free(st);

	bi_buf eo = {0};
	int code = -1;
	const char *argv[] = {"sh", "-c", "echo in-exec; echo to-err >&2; exit 7", NULL};
	ok(bi_docker_exec(d, cid, argv, &code, exec_line, &eo) == 0 && code == 7 &&
	   eo.p && strstr(eo.p, "1:in-exec;") && strstr(eo.p, "2:to-err;"),
	   "exec: output by stream and exit code %d", code);
	bi_buf_free(&eo);

	ok(bi_docker_action(d, cid, "pause", NULL) == 0 && bi_docker_action(d, cid, "unpause", NULL) == 0,
	   "pause and unpause");
	ok(bi_docker_action(d, cid, "kill", NULL) == 0 && bi_docker_action(d, cid, "kill", NULL) == 0 &&
	   bi_docker_action(d, cid, "stop", NULL) == 0, "kill twice, stop a stopped one: all fine");
	int starts = 0;
	bi_docker_events(d, "{\"label\":[\"org.blissful-infra.test=unit-docker\"]}",
			 now - 120 * BI_NS_PER_S, bi_now_ns(), count_starts, &starts);
	ok(starts >= 1, "the start event seen in the event stream");
	bi_docker_close(d);
	return done();
}
