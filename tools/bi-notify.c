/*
 * bi-notify: tell people. Reads records (stdin or files); those that call
 * for a message (lib/engines/notify.c's table: alerts firing, repeated or
 * resolved, failed chaos experiments, declining scores, failed pipeline
 * stages, aborted canaries) are sent to the Slack, Teams and generic
 * webhooks of blissful-infra.yaml's `notifications:`, and every delivery
 * is reported as a `notification` record on stdout.
 *
 * Reading never waits for a receiver: each target has a thread that
 * delivers from a bounded queue; when the queue is full its oldest waiting
 * message is dropped (a `dropped` record). Per target, the first message
 * of a group goes at once and opens a window (`group`, 60 s); what matches
 * within it is held and sent as one summary when it ends, which opens the
 * next: a storm is one message, then a summary a window. A delivery that
 * fails for a transport error, a 5xx, 408 or 429 (Teams says 429 in its
 * body) is retried after backoff * 2^(n-1), or after Retry-After when the
 * receiver gives one (never more than 10 minutes), up to `retry.attempts`
 * tries in all. At the end of the input, or on SIGINT or SIGTERM, what is
 * held is sent and deliveries get --drain to finish; what is left then is
 * reported failed.
 *
 * Webhook URLs are secrets: the configuration (read by notify.c) holds
 * them with ${VAR} expanded, and they are never printed. Errors name the target; curl's and
 * the receiver's text is scrubbed of the URL, its path and its host.
 * HTTP is lib/base/http.c's: its header callback gives Retry-After, and its
 * stop flag ends a transfer when the drain deadline passes.
 *
 * Threads: one mutex (g.mu) guards the targets' queues, windows and held
 * records; libjq values are never shared between threads (a held record
 * is the target's own parsed copy, touched only under g.mu), and stdout is
 * written under g.out.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "base/http.h"
#include "engines/notify.h"

static const char usage[] =
	"usage: bi-notify [--config FILE] [--drain DUR] [--strict] [FILE...]\n"
	"Send the records that call for telling people (alerts, chaos failures,\n"
	"score drops, failed stages, aborted canaries) to the Slack, Teams and\n"
	"webhook targets of blissful-infra.yaml's notifications: section, grouped\n"
	"and retried; write a notification record for each delivery.\n"
	"\n"
	"      --config FILE  read FILE instead of the project's blissful-infra.yaml\n"
	"      --drain DUR    at the end of the input, wait this long for deliveries\n"
	"                     (default 10s)\n"
	"      --strict       a malformed input line is fatal\n"
	"  -h, --help         show this help\n"
	"      --version      show the version\n"
	"Exit: 0 all delivered, 2 usage or configuration, 3 a message not delivered.\n";

struct msg {
	char *body, *title, *project;
	int records, grouped, attempt;
	int64_t not_before;	/* monotonic ns */
	struct msg *next;
};

struct target {
	const bi_notify_target *c;	/* its name, URL (a secret), kinds */
	const char *name;
	int64_t window_end;	/* monotonic ns; 0: no window open */
	jv held;		/* the window's records, this target's own copies */
	struct msg *head, *tail;
	int queued, done;
	long sent, failed, dropped;
	pthread_t thread;
};

static struct {
	pthread_mutex_t mu, out;
	pthread_cond_t cv;
	int eof;
	volatile int stop;	/* the drain deadline passed: end transfers */
	bi_notify_config c;
	struct target *t;
	int nt;
	char *project;
	int64_t drain;
	long timeout_ms;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .out = PTHREAD_MUTEX_INITIALIZER};

/* ---- records of deliveries ---- */

static void
emit(jv rec)
{
	pthread_mutex_lock(&g.out);
	bi_write(rec);
	pthread_mutex_unlock(&g.out);
}

static jv
report(const struct target *t, const struct msg *m, const char *status)
{
	jv r = bi_record("notification");
	if (m->project)
		r = bi_set(r, "project", jv_string(m->project));
	r = bi_set(r, "target", jv_string(t->name));
	r = bi_set(r, "status", jv_string(status));
	r = bi_set(r, "title", jv_string(m->title));
	r = bi_set(r, "records", jv_number(m->records));
	r = bi_set(r, "grouped", jv_bool(m->grouped));
	return bi_set(r, "attempt", jv_number(m->attempt));
}

static void
free_msg(struct msg *m)
{
	free(m->body);
	free(m->title);
	free(m->project);
	free(m);
}

/* ---- queues (under g.mu) ---- */

/* Queue a message for t built from recs (consumed); the oldest waiting
 * one, when the queue was full, is returned for the caller to report once
 * it has let go of g.mu. */
static struct msg *
enqueue(struct target *t, jv recs, int grouped, const char *title)
{
	struct msg *m = bi_calloc(1, sizeof *m), *old = NULL;
	jv p = bi_notify_message(t->c->to, recs, grouped);
	jv s = jv_dump_string(p, 0);

	m->body = bi_strdup(jv_string_value(s));
	m->title = bi_strdup(title);
	jv first = jv_array_get(jv_copy(recs), 0);
	const char *project = bi_get_str(first, "project");
	m->project = project ? bi_strdup(project) : NULL;
	jv_free(first);
	m->records = jv_array_length(jv_copy(recs));
	m->grouped = grouped;
	m->attempt = 1;
	jv_free(s);
	jv_free(recs);
	if (t->queued >= g.c.queue) {
		old = t->head;
		t->head = old->next;
		if (!t->head)
			t->tail = NULL;
		t->queued--;
		t->dropped++;
	}
	if (t->tail)
		t->tail->next = m;
	else
		t->head = m;
	t->tail = m;
	t->queued++;
	pthread_cond_broadcast(&g.cv);
	return old;
}

static void
report_dropped(struct target *t, struct msg *m)
{
	if (!m)
		return;
	jv r = report(t, m, "dropped");
	emit(bi_set(r, "error", jv_string("the queue was full: dropped for a newer message")));
	free_msg(m);
}

/* A window's end: what it held goes as one summary (under g.mu). */
static struct msg *
close_window(struct target *t, int64_t now)
{
	struct msg *old = NULL;

	if (jv_array_length(jv_copy(t->held)) > 0) {
		jv held = t->held;
		char *title = bi_notify_summary_title(held);
		t->held = jv_array();
		old = enqueue(t, held, 1, title);
		free(title);
		t->window_end = g.eof || !g.c.group ? 0 : now + g.c.group;
	} else {
		t->window_end = 0;
	}
	return old;
}

/* ---- delivery ---- */

struct result {
	long status;
	int64_t retry_after_ms;	/* -1: not given */
	int retry;		/* worth another try */
	char error[300];	/* scrubbed */
	bi_buf body;
};

static void
on_header(void *ctx, const char *line, size_t len)
{
	struct result *r = ctx;

	if (len > 12 && !strncasecmp(line, "Retry-After:", 12)) {
		char v[128];
		snprintf(v, sizeof v, "%.*s", (int)(len - 12 < sizeof v ? len - 12 : sizeof v - 1), line + 12);
		r->retry_after_ms = bi_notify_retry_after(v, bi_now_ns());
	}
}

/* What went wrong, in one line without the target's URL. */
static void
set_error(struct target *t, struct result *r, const char *fmt, ...)
{
	char raw[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	for (char *p = raw; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	char *with = bi_asprintf("<%s>", t->name);
	char *s = bi_notify_scrub(raw, (const char *const *)t->c->secrets, 4, with);
	int k = bi_line_span(s, SIZE_MAX, sizeof r->error - 1);
	snprintf(r->error, sizeof r->error, "%.*s", k, s);
	free(s);
	free(with);
}

static void
post(struct target *t, const char *body, struct result *r)
{
	/* JSON and no "Expect: 100-continue": bi_http's own for a body. */
	bi_http_req req = {.url = t->c->url, .body = body,
			   .timeout_ms = g.timeout_ms,
			   .connect_timeout_ms = g.timeout_ms < 5000 ? g.timeout_ms : 5000,
			   .on_header = on_header, .ctx = r, .stop = &g.stop,
			   .user_agent = "bi-notify/" BI_VERSION " (blissful-infra)"};
	bi_http_resp resp;

	memset(r, 0, sizeof *r);
	r->retry_after_ms = -1;
	int rc = bi_http(&req, &resp);
	r->status = resp.status;
	/* The answer's start is enough to say what went wrong. */
	bi_buf_add(&r->body, resp.body.p, resp.body.len < 4096 ? resp.body.len : 4096);
	bi_buf_add(&r->body, NULL, 0);
	int stopped = resp.stopped;
	char err[sizeof resp.error];
	snprintf(err, sizeof err, "%s", resp.error);
	bi_http_resp_free(&resp);
	if (stopped) {
		set_error(t, r, "stopped at the drain deadline");
		return;
	}
	if (rc != 0) {
		set_error(t, r, "%s", err);
		r->retry = 1;
		return;
	}
	/* Teams' connectors answer 200 and say 429 in the body. */
	if (r->status / 100 == 2 && strstr(r->body.p, "HTTP error 429")) {
		set_error(t, r, "HTTP 429 (in the body): %s", r->body.p);
		r->retry = 1;
	} else if (r->status / 100 != 2) {
		set_error(t, r, "HTTP %ld%s%.120s", r->status, r->body.len ? ": " : "", r->body.p);
		r->retry = r->status >= 500 || r->status == 429 || r->status == 408;
	}
}

/* The wait before the next try: what Retry-After asks, else the backoff
 * doubled at each try; at most 10 minutes either way, so that one
 * receiver's whim cannot hold its queue for a day. */
#define MAX_WAIT (600 * BI_NS_PER_S)
static int64_t
backoff(int attempt, int64_t retry_after_ms)
{
	int64_t d = g.c.backoff;

	if (retry_after_ms >= 0)
		d = retry_after_ms < MAX_WAIT / BI_NS_PER_MS ? retry_after_ms * BI_NS_PER_MS : MAX_WAIT;
	else
		for (int i = 1; i < attempt && d < MAX_WAIT; i++)
			d *= 2;
	return d < MAX_WAIT ? d : MAX_WAIT;
}

static void
timed_wait(int64_t until)
{
	struct timespec ts = {until / BI_NS_PER_S, until % BI_NS_PER_S};
	pthread_cond_timedwait(&g.cv, &g.mu, &ts);
}

/* A target's thread: close its windows on time, deliver its queue in order. */
static void *
worker(void *arg)
{
	struct target *t = arg;

	pthread_mutex_lock(&g.mu);
	for (;;) {
		int64_t now = bi_mono_ns();
		if (t->window_end && (now >= t->window_end || g.eof)) {
			struct msg *old = close_window(t, now);
			if (old) {
				pthread_mutex_unlock(&g.mu);
				report_dropped(t, old);
				pthread_mutex_lock(&g.mu);
			}
			continue;
		}
		if (g.stop)
			break;
		struct msg *m = t->head;
		if (m && m->not_before <= now) {
			t->head = m->next;
			if (!t->head)
				t->tail = NULL;
			t->queued--;
			pthread_mutex_unlock(&g.mu);

			struct result r;
			post(t, m->body, &r);
			jv rec = report(t, m, "sent");
			if (r.status)
				rec = bi_set(rec, "http_status", jv_number(r.status));
			int ok = !*r.error, again = !ok && r.retry && m->attempt < g.c.attempts &&
				!__atomic_load_n(&g.stop, __ATOMIC_RELAXED);
			if (!ok) {
				rec = bi_set(rec, "status", jv_string(again ? "retrying" : "failed"));
				rec = bi_set(rec, "error", jv_string(r.error));
			}
			int64_t wait = again ? backoff(m->attempt, r.retry_after_ms) : 0;
			if (again)
				rec = bi_set(rec, "retry_in_ms", jv_number((double)(wait / BI_NS_PER_MS)));
			emit(rec);
			if (!ok && !again) {
				pthread_mutex_lock(&g.out);
				bi_warn("%s: not delivered after %d attempt%s: %s", t->name, m->attempt,
					m->attempt == 1 ? "" : "s", r.error);
				pthread_mutex_unlock(&g.out);
			}
			bi_buf_free(&r.body);

			pthread_mutex_lock(&g.mu);
			if (again) {
				m->attempt++;
				m->not_before = bi_mono_ns() + wait;
				m->next = t->head;	/* it stays first: messages go in order */
				t->head = m;
				if (!t->tail)
					t->tail = m;
				t->queued++;
			} else {
				if (ok)
					t->sent++;
				else
					t->failed++;
				free_msg(m);
			}
			continue;
		}
		if (g.eof && !m && !t->window_end)
			break;
		int64_t until = INT64_MAX;
		if (t->window_end)
			until = t->window_end;
		if (m && m->not_before < until)
			until = m->not_before;
		if (until == INT64_MAX)
			pthread_cond_wait(&g.cv, &g.mu);
		else
			timed_wait(until);
	}
	t->done = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	return NULL;
}

/* ---- the record loop ---- */

static int
on_record(void *ctx, jv rec, bi_reader *r)
{
	const bi_notify_rule *rule = bi_notify_match(rec);

	(void)ctx, (void)r;
	if (!rule || !rule->send) {
		jv_free(rec);
		return 0;
	}
	if (g.project && !bi_get_str(rec, "project"))
		rec = bi_set(rec, "project", jv_string(g.project));
	char *title = bi_notify_title(rule, rec);
	jv text = jv_dump_string(jv_copy(rec), 0);
	for (int i = 0; i < g.nt; i++) {
		struct target *t = &g.t[i];
		struct msg *old = NULL;
		if (!bi_notify_wants(t->c, rule->kind))
			continue;
		pthread_mutex_lock(&g.mu);
		int64_t now = bi_mono_ns();
		if (g.eof) {
			/* A signal ended it: the targets' threads are gone. */
		} else if (t->window_end && now < t->window_end) {
			/* The target's own copy: the record is never shared between threads. */
			t->held = jv_array_append(t->held, jv_parse(jv_string_value(text)));
		} else {
			old = enqueue(t, jv_array_append(jv_array(), jv_copy(rec)), 0, title);
			t->window_end = g.c.group ? now + g.c.group : 0;
		}
		pthread_mutex_unlock(&g.mu);
		report_dropped(t, old);
	}
	jv_free(text);
	free(title);
	jv_free(rec);
	return 0;
}

/* The end: send what is held, give deliveries --drain, report what is
 * left as failed; the exit status for the deliveries. Runs once, at the
 * end of the input or at SIGINT/SIGTERM (by the signal thread, which then
 * exits the process; a second caller waits for that). */
static int
finish(int by_signal)
{
	static int started;

	pthread_mutex_lock(&g.mu);
	if (started) {
		pthread_mutex_unlock(&g.mu);
		for (;;)
			pause();	/* signals are blocked here: until the other exits */
	}
	started = 1;
	g.eof = 1;
	pthread_cond_broadcast(&g.cv);
	int64_t deadline = bi_mono_ns() + g.drain;
	for (;;) {
		int done = 1;
		for (int i = 0; i < g.nt; i++)
			done &= g.t[i].done;
		if (done || bi_mono_ns() >= deadline)
			break;
		timed_wait(deadline);
	}
	__atomic_store_n(&g.stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);

	long failed = 0;
	char drain[32];
	bi_dur_fmt(g.drain, drain, sizeof drain);
	for (int i = 0; i < g.nt; i++) {
		struct target *t = &g.t[i];
		pthread_join(t->thread, NULL);
		int left = 0;
		for (struct msg *m = t->head, *next; m; m = next) {
			next = m->next;
			jv r = report(t, m, "failed");
			emit(bi_set(r, "error", jv_string_fmt("not delivered before the drain deadline (--drain %s)", drain)));
			free_msg(m);
			t->failed++;
			left++;
		}
		t->head = t->tail = NULL;
		pthread_mutex_lock(&g.out);
		if (left)
			bi_warn("%s: %d message%s not delivered before the drain deadline (--drain %s)", t->name, left,
				left == 1 ? "" : "s", drain);
		if (t->dropped)
			bi_warn("%s: %ld message%s dropped: the queue (queue: %ld) was full", t->name, t->dropped,
				t->dropped == 1 ? "" : "s", g.c.queue);
		pthread_mutex_unlock(&g.out);
		failed += t->failed + t->dropped;
	}
	/* Stdout stays ours to the end: the reader may still be about to
	 * report a drop when the signal thread exits the process. */
	if (by_signal)
		pthread_mutex_lock(&g.out);
	bi_write_flush();
	return failed ? BI_EXIT_UNREACHABLE : BI_EXIT_OK;
}

/* SIGINT or SIGTERM ends bi-notify as the end of its input does: what is
 * held and queued gets --drain to go. */
static void *
on_signal(void *arg)
{
	sigset_t *set = arg;
	int sig;

	while (sigwait(set, &sig) != 0)
		;
	exit(finish(1));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"drain", required_argument, NULL, 'd'},
		{"strict", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *config = NULL;
	int flags = 0, c;

	bi_init(argv[0]);
	g.drain = 10 * BI_NS_PER_S;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd':
			if (bi_dur_parse(optarg, &g.drain))
				bi_usage_error(usage, "--drain: not a duration: '%s'", optarg);
			break;
		case 's': flags |= BI_STRICT; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}

	const char *cfg_name = config ? config : "blissful-infra.yaml";
	jv cfg = config ? bi_yaml_load(config) : bi_config();
	char err[512];
	if (!jv_is_valid(cfg)) {
		jv msg = jv_invalid_get_msg(cfg);
		bi_die(BI_EXIT_USAGE, "%s", jv_string_value(msg));
	}
	if (bi_notify_config_read(cfg, &g.c, err, sizeof err))
		bi_die(BI_EXIT_USAGE, "%s: %s", cfg_name, err);
	const char *name = bi_jv_path_str(cfg, "name", NULL);
	g.project = name ? bi_strdup(name) : NULL;
	jv_free(cfg);
	g.timeout_ms = g.c.timeout / BI_NS_PER_MS;
	g.nt = g.c.nt;
	g.t = bi_calloc(g.nt, sizeof *g.t);
	for (int i = 0; i < g.nt; i++) {
		g.t[i].c = &g.c.t[i];
		g.t[i].name = g.c.t[i].name;
		g.t[i].held = jv_array();
		if (g.c.t[i].insecure)
			bi_warn("%s: %s: plain http sends the webhook's secret in clear; use https", cfg_name,
				g.t[i].name);
	}

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g.cv, &ca);
	/* Every thread blocks SIGINT and SIGTERM; one waits for them. */
	static sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	pthread_t sigthread;
	if (pthread_create(&sigthread, NULL, on_signal, &sigs))
		bi_die(BI_EXIT_LOCAL, "cannot start a thread:");
	for (int i = 0; i < g.nt; i++)
		if (pthread_create(&g.t[i].thread, NULL, worker, &g.t[i]))
			bi_die(BI_EXIT_LOCAL, "cannot start a thread:");

	int unread = bi_each(argc - optind, argv + optind, flags, on_record, NULL);

	int code = finish(0);
	return unread ? BI_EXIT_USAGE : code;
}
