/* test-canaryrun: a canary's run without Docker, against a stand-in canary
 * proxy (its API) and a stable version's /metrics on 127.0.0.1, the canary
 * itself on a port nothing listens on: the state file and who is alive,
 * an analysis when a version does not answer, a run that fails its
 * analyses (aborted, the split back on stable), commands through the
 * control file (abort, promote to the next step), the stop flag; each
 * time the records on stdout, the same in the journal, and the files gone.
 * (With containers: tests/integration/0900-canary.t.) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/canaryrun.h"
#include "tap.h"
#include "httpd.h"

static char dir[] = "/tmp/test-canaryrun.XXXXXX";
static char state_path[200], ctl_path[200], journal_path[200], out_path[200];
static char weights[256];	/* the weights the proxy was sent, "50,0," */
static int abort_at = -1;	/* the proxy writes "abort" to the control file at this weight */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static const char stable_metrics[] =
	"http_requests_total{path=\"/hello\",status=\"200\"} 100\n";

static int
handler(const char *head, const char *body, char *out, size_t n)
{
	if (!strncmp(head, "GET /version ", 13)) {
		snprintf(out, n, "{}");
		return 200;
	}
	if (!strncmp(head, "GET /metrics ", 13)) {
		snprintf(out, n, "%s", stable_metrics);
		return 200;
	}
	if (!strncmp(head, "POST /proxies/app ", 18)) {
		/* the canary's weight: what app-canary is given, else 0 */
		const char *c = strstr(body, "app-canary:");
		int w = 0;
		if (c && (c = strstr(c, "\"weight\":")))
			w = atoi(c + 9);
		pthread_mutex_lock(&mu);
		snprintf(weights + strlen(weights), sizeof weights - strlen(weights), "%d,", w);
		if (w == abort_at) {
			FILE *f = fopen(ctl_path, "w");
			if (f) {
				fputs("abort\n", f);
				fclose(f);
			}
		}
		pthread_mutex_unlock(&mu);
		snprintf(out, n, "{}");
		return 200;
	}
	return 404;
}

/* A port nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static volatile int stop;
static int port, dead;

static void
setup(bi_canaryrun *r, const char *steps)
{
	memset(r, 0, sizeof *r);
	r->project = "shop";
	r->service = "app";
	r->image = "shop:new";
	r->state_path = state_path;
	r->ctl_path = ctl_path;
	r->journal_path = journal_path;
	r->journal = fopen(journal_path, "w");
	r->steps = jv_parse(steps);
	r->nsteps = jv_array_length(jv_copy(r->steps));
	r->run = (bi_canary_run){.nsteps = r->nsteps, .failure_limit = 0, .inconclusive_limit = 3};
	char err[200];
	bi_canary_limits_config(jv_null(), &r->limits, err, sizeof err);
	snprintf(r->metrics, sizeof r->metrics, "/metrics");
	snprintf(r->health, sizeof r->health, "/health");
	r->interval = 1000000;	/* 1 ms */
	r->drain = 0;
	r->quiet = 1;
	r->stop = &stop;
	stop = 0;
	snprintf(r->ro.service, sizeof r->ro.service, "app");
	r->ro.port = 8080;
	r->ro.api_port = port;
	r->ro.stable_port = port;
	r->ro.canary_port = dead;
	weights[0] = '\0';
	abort_at = -1;
}

/* Run the steps with stdout in a file; the events of the records on it,
 * "step:50 analysis:fail:abort ...", checked to be the journal's too. */
static int
run(bi_canaryrun *r, char *events, size_t n)
{
	fflush(stdout);
	int saved = dup(1), fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	int st = bi_canaryrun_steps(r);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	jv_free(r->steps);

	char *out = bi_read_file(out_path, NULL), *journal = bi_read_file(journal_path, NULL);
	ok(out && journal && !strcmp(out, journal), "the records on stdout are the journal's");
	events[0] = '\0';
	for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		jv rec = jv_parse(line);
		size_t k = strlen(events);
		snprintf(events + k, n - k, "%s%s:%g", k ? " " : "", bi_get_text(rec, "event", "?"),
			 bi_get_num(rec, "weight", -1));
		if (bi_get_str(rec, "decision")) {
			k = strlen(events);
			snprintf(events + k, n - k, ":%s:%s", bi_get_str(rec, "decision"), bi_get_text(rec, "next", "?"));
		}
		if (strcmp(bi_get_text(rec, "kind", ""), "canary") || strcmp(bi_get_text(rec, "source", ""), "docker") ||
		    strcmp(bi_get_text(rec, "project", ""), "shop") || strcmp(bi_get_text(rec, "service", ""), "app"))
			strncat(events, " (bad record)", n - strlen(events) - 1);
		jv_free(rec);
	}
	free(out);
	free(journal);
	ok(access(state_path, F_OK) != 0 && access(ctl_path, F_OK) != 0 && !r->journal,
	   "the state and control files gone, the journal closed");
	return st;
}

static char *
last_reason(void)
{
	static char why[300];
	char *text = bi_read_file(journal_path, NULL);
	why[0] = '\0';
	for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		jv rec = jv_parse(line);
		snprintf(why, sizeof why, "%s", bi_get_text(rec, "reason", ""));
		jv_free(rec);
	}
	free(text);
	return why;
}

int
main(void)
{
	bi_canaryrun r;
	char events[1024];

	plan(34);
	bi_init("bi-canary");
	if (!mkdtemp(dir))
		return 1;
	snprintf(state_path, sizeof state_path, "%s/canary.state", dir);
	snprintf(ctl_path, sizeof ctl_path, "%s/canary.ctl", dir);
	snprintf(journal_path, sizeof journal_path, "%s/canary.jsonl", dir);
	snprintf(out_path, sizeof out_path, "%s/out", dir);
	port = httpd_start(handler);
	dead = closed_port();
	ok(port > 0 && dead > 0, "a stand-in proxy and stable on 127.0.0.1");

	/* The state file, and who is alive. */
	jv none = bi_canaryrun_state(state_path);
	ok(jv_get_kind(none) == JV_KIND_NULL, "no state file: null");
	jv_free(none);
	setup(&r, "[{\"weight\":25,\"pause_ms\":0}]");
	r.status = "running";
	r.ro.weight = 25;
	r.run.failures = 2;
	snprintf(r.ro.canary_id, sizeof r.ro.canary_id, "c123");
	bi_canaryrun_save(&r);
	jv s = bi_canaryrun_state(state_path);
	is_str(bi_get_str(s, "status"), "running", "the state's status");
	ok(bi_get_num(s, "weight", -1) == 25 && bi_get_num(s, "step", -1) == 1 && bi_get_num(s, "steps", -1) == 1 &&
	   bi_get_num(s, "failures", -1) == 2 && bi_get_num(s, "api", -1) == port,
	   "its weight, step of steps, failures and the proxy's API port");
	is_str(bi_get_str(s, "canary_id"), "c123", "the canary's container");
	ok(bi_canaryrun_alive(s), "this process is the runner: alive");
	jv_free(s);
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	char text[100];
	snprintf(text, sizeof text, "{\"pid\":%d}", (int)child);
	s = jv_parse(text);
	ok(!bi_canaryrun_alive(s), "a runner that ended: not alive");
	jv_free(s);
	FILE *f = fopen(state_path, "w");
	fputs("{\"pid\":", f);
	fclose(f);
	s = bi_canaryrun_state(state_path);
	ok(jv_get_kind(s) == JV_KIND_NULL, "half a state file: null");
	jv_free(s);

	/* An analysis: the canary's metrics do not answer, then stable's not. */
	jv a = bi_canaryrun_analyse(&r);
	is_str(bi_get_str(a, "decision"), "fail", "the canary not answering fails");
	jv_free(a);
	r.ro.canary_port = port;
	r.ro.stable_port = dead;
	a = bi_canaryrun_analyse(&r);
	ok(!strcmp(bi_get_text(a, "decision", ""), "wait") && strstr(bi_get_text(a, "reason", ""), "stable"),
	   "stable not answering waits");
	jv_free(a);
	jv_free(r.steps);
	fclose(r.journal);
	unlink(state_path);

	/* Failing analyses beyond the limit (0): aborted, weight back to 0. */
	setup(&r, "[{\"weight\":50,\"pause_ms\":0},{\"weight\":100,\"pause_ms\":0}]");
	int st = run(&r, events, sizeof events);
	is_num(st, BI_EXIT_FAIL, "a failed run ends 1");
	is_str(events, "step:50 analysis:50:fail:abort abort:0 aborted:0", "step, analysis, abort, aborted");
	is_str(weights, "50,0,", "the proxy given the step's weight, then stable's alone");

	/* abort through the control file, before any analysis. */
	setup(&r, "[{\"weight\":10,\"pause_ms\":0}]");
	r.interval = 3600 * (int64_t)1000000000;
	f = fopen(ctl_path, "w");
	fputs("abort\n", f);
	fclose(f);
	st = run(&r, events, sizeof events);
	is_num(st, BI_EXIT_FAIL, "aborted by a person: 1");
	is_str(events, "step:10 abort:0 aborted:0", "no analysis made");
	is_str(last_reason(), "aborted by a person", "the reason");

	/* promote: on to the next step, where the proxy's stand-in aborts. */
	setup(&r, "[{\"weight\":10,\"pause_ms\":0},{\"weight\":40,\"pause_ms\":0},{\"weight\":100,\"pause_ms\":0}]");
	r.interval = 3600 * (int64_t)1000000000;
	abort_at = 40;
	f = fopen(ctl_path, "w");
	fputs("promote\n", f);
	fclose(f);
	st = run(&r, events, sizeof events);
	is_num(st, BI_EXIT_FAIL, "promoted a step, then aborted: 1");
	is_str(events, "step:10 step:40 abort:0 aborted:0", "the next step's weight, then stable's");

	/* The stop flag (a signal) aborts. */
	setup(&r, "[{\"weight\":20,\"pause_ms\":0}]");
	stop = 2;
	st = run(&r, events, sizeof events);
	is_num(st, BI_EXIT_FAIL, "stopped: 1");
	is_str(events, "step:20 abort:0 aborted:0", "stopped: aborted");
	is_str(last_reason(), "interrupted", "the reason");

	/* A runner that died: the split back on stable from its state file. */
	setup(&r, "[]");
	fclose(r.journal);
	r.journal = NULL;
	r.ro.api_port = 0;
	snprintf(text, sizeof text, "{\"pid\":%d,\"api\":%d,\"upstream_port\":8080,\"project\":\"shop\","
		 "\"service\":\"app\",\"canary_id\":\"\"}", (int)child, port);
	r.project = "other";
	f = fopen(state_path, "w");
	fputs(text, f);
	fclose(f);
	fflush(stdout);
	int saved = dup(1), fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	st = bi_canaryrun_cleanup(&r, jv_parse(text));
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	jv_free(r.steps);
	is_num(st, 0, "cleaned up: 0");
	is_str(weights, "0,", "the proxy given stable alone");
	is_str(last_reason(), "its runner was gone: cleaned up", "an aborted record appended, saying why");
	is_str(r.project, "shop", "the project the state named");
	ok(access(state_path, F_OK) != 0, "the state file gone");

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return done();
}
