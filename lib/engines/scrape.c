/*
 * scrape.c: bi-metrics scrape's run: Prometheus endpoints and the project's
 * container stats, kept as metric history, figures derived and alerts
 * judged, round after round.
 *
 * A round asks the network first (every target, then Docker, whose stats
 * take a second to measure CPU: all containers at once, a thread and a
 * client each), then writes in one short transaction: the samples, the
 * derived figures kept as series of their own ("derived:NAME"), the
 * alerts. Its records are held until the commit, then given to the
 * caller. A target down is told once by a `health` record, and once again
 * when it is back; its malformed lines once, until their first reason
 * changes or a scrape has none.
 *
 * Layer: engines.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engines/scrape.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "sources/docker.h"
#include "sources/store.h"
#include "engines/prom.h"
#include "engines/metrics.h"

static int64_t
now_ms(void)
{
	return bi_now_ns() / BI_NS_PER_MS;
}

jv
bi_scrape_figure_record(const char *service, const bi_metrics_figure *f, int64_t end, int64_t window)
{
	char ts[BI_TS_LEN], w[32];
	jv r = bi_record("metric");

	r = bi_set(r, "ts", jv_string(bi_ts_fmt(end * BI_NS_PER_MS, ts)));
	r = bi_set(r, "service", jv_string(service));
	r = bi_set(r, "name", jv_string(f->name));
	r = bi_set(r, "labels", bi_set(jv_object(), "window", jv_string(bi_dur_fmt(window * BI_NS_PER_MS, w, sizeof w))));
	r = bi_set(r, "value", jv_number(isfinite(f->value) ? round(f->value * 1e6) / 1e6 : 0));
	r = bi_set(r, "unit", jv_string(f->unit));
	r = bi_set(r, "type", jv_string("gauge"));
	return r;
}

jv
bi_scrape_sample_record(const char *service, const bi_prom_sample *s, int64_t ts)
{
	char t[BI_TS_LEN];
	jv r = bi_record("metric");

	r = bi_set(r, "ts", jv_string(bi_ts_fmt(ts * BI_NS_PER_MS, t)));
	if (service)
		r = bi_set(r, "service", jv_string(service));
	r = bi_set(r, "name", jv_string(s->name));
	r = bi_set(r, "labels", jv_copy(s->labels));
	r = bi_set(r, "value", isfinite(s->value) ? jv_number(s->value) :
		jv_string(isnan(s->value) ? "NaN" : s->value > 0 ? "+Inf" : "-Inf"));
	r = bi_set(r, "type", jv_string(s->type));
	return r;
}

static void
emit(bi_scrape *s, jv rec)
{
	s->held = jv_array_append(s->held, rec);
}

static void
release(bi_scrape *s)
{
	jv_array_foreach(s->held, i, r)
		s->out(s->ctx, r);
	jv_free(s->held);
	s->held = jv_array();
}

int
bi_scrape_add(bi_scrape *s, const char *arg, char *err, size_t n)
{
	const char *eq = strchr(arg, '=');
	const char *url = eq && eq < strstr(arg, "://") ? eq + 1 : arg;
	char *service;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return bi_errf(err, n, "not a URL: %s", url);
	if (url != arg)
		service = bi_strndup(arg, (size_t)(eq - arg));
	else {
		const char *h = strstr(url, "://") + 3;
		service = bi_strndup(h, strcspn(h, "/"));
	}
	s->targets = bi_realloc(s->targets, (size_t)(s->ntargets + 1) * sizeof *s->targets);
	s->targets[s->ntargets++] = (bi_scrape_target){.service = service, .url = bi_strdup(url)};
	return 0;
}

void
bi_scrape_discover(bi_scrape *s)
{
	jv svcs = bi_jv_path(s->cfg, "services");
	char err[64];

	if (jv_get_kind(svcs) == JV_KIND_OBJECT) {
		jv_object_foreach(svcs, k, v) {
			double port = bi_jv_path_num(v, "port", 0);
			const char *path = bi_jv_path_str(v, "metrics", NULL);
			if (port > 0 && path) {
				/* APP_PORT moves the app's published port, as in compose. */
				const char *env = !strcmp(jv_string_value(k), "app") ? getenv("APP_PORT") : NULL;
				char *arg = env && *env ?
					bi_asprintf("%s=http://127.0.0.1:%s%s", jv_string_value(k), env, path) :
					bi_asprintf("%s=http://127.0.0.1:%.0f%s", jv_string_value(k), port, path);
				bi_scrape_add(s, arg, err, sizeof err);	/* always a URL */
				free(arg);
			}
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(svcs);
}

struct scrape_ctx {
	bi_scrape *s;
	const char *service;
	int64_t ts;
	long n;
	int bad;		/* malformed lines dropped, */
	size_t bad_line;	/* the first of them */
	char bad_why[200];
};

static int
on_sample(void *ctx, const bi_prom_sample *p)
{
	struct scrape_ctx *c = ctx;
	int64_t ts = p->ts_ms >= 0 ? p->ts_ms : c->ts;

	bi_metrics_keep(c->s->hist, c->service, p->name, p->labels, p->type, ts, p->value);
	c->n++;
	if (c->s->raw)
		emit(c->s, bi_scrape_sample_record(c->service, p, ts));
	return 0;
}

static void
on_bad(void *ctx, size_t line, const char *why)
{
	struct scrape_ctx *c = ctx;
	if (c->bad++ == 0) {
		c->bad_line = line;
		snprintf(c->bad_why, sizeof c->bad_why, "%s", why);
	}
}

/* A target's malformed lines are told once, not at every scrape: again only
 * when the first reason changes, or after a scrape without any. */
static void
report_bad(bi_scrape_target *t, const struct scrape_ctx *c)
{
	if (!c->bad) {
		free(t->bad_why);
		t->bad_why = NULL;
		return;
	}
	if (t->bad_why && !strcmp(t->bad_why, c->bad_why))
		return;
	bi_warn("%s (%s): %d malformed line%s skipped; the first, line %zu: %s", t->service, t->url,
		c->bad, c->bad == 1 ? "" : "s", c->bad_line, c->bad_why);
	free(t->bad_why);
	t->bad_why = bi_strdup(c->bad_why);
}

static jv
health(const bi_scrape_target *t, int ok, long status, double ms, const char *msg)
{
	jv r = bi_record("health");

	r = bi_set(r, "service", jv_string(t->service));
	r = bi_set(r, "target", jv_string(t->url));
	r = bi_set(r, "check", jv_string("http"));
	r = bi_set(r, "ok", jv_bool(ok));
	r = bi_set(r, "status", status ? jv_number(status) : jv_null());
	r = bi_set(r, "latency_ms", jv_number(round(ms * 1000) / 1000));
	if (msg)
		r = bi_set(r, "msg", jv_string(msg));
	return r;
}

/* Fetch a target's text, outside any transaction. */
static void
fetch(bi_scrape_target *t)
{
	static const char *const accept[] = {"Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1", NULL};
	bi_http_req req = {.url = t->url, .timeout_ms = 10000, .connect_timeout_ms = 2000,
			   .headers = accept};
	int64_t t0 = bi_mono_ns();

	t->answered = bi_http(&req, &t->resp) == 0;
	t->ms = (bi_mono_ns() - t0) / 1e6;
}

/* Keep what a target answered; 1 if it did. */
static int
scrape(bi_scrape *s, bi_scrape_target *t, int64_t ts)
{
	bi_http_resp resp = t->resp;
	int r = t->answered ? 0 : -1;
	double ms = t->ms;

	memset(&t->resp, 0, sizeof t->resp);
	if (r != 0 || resp.status != 200) {
		char why[300];
		if (r != 0)
			snprintf(why, sizeof why, "%s", resp.error);
		else
			snprintf(why, sizeof why, "HTTP %ld", resp.status);
		if (!t->down)
			emit(s, health(t, 0, r ? 0 : resp.status, ms, why));
		t->down = 1;
		bi_http_resp_free(&resp);
		return 0;
	}
	if (t->down)
		emit(s, health(t, 1, resp.status, ms, NULL));
	t->down = 0;
	struct scrape_ctx c = {s, t->service, ts, 0, 0, 0, ""};
	bi_prom_parse(resp.body.p, resp.body.len, 0, on_sample, on_bad, &c);
	report_bad(t, &c);
	jv empty = jv_object();	/* borrowed by keep */
	bi_metrics_keep(s->hist, t->service, "up", empty, "gauge", ts, 1);
	jv_free(empty);
	bi_http_resp_free(&resp);
	return 1;
}

/* A container's stats, fetched by a thread of its own. */
struct bi_scrape_stats {
	const char *id;
	jv stats;
};

static void *
fetch_stats(void *arg)
{
	struct bi_scrape_stats *f = arg;
	char err[256];
	bi_docker *d = bi_docker_open(err, sizeof err);	/* a client per thread */

	f->stats = d ? bi_docker_stats(d, f->id, 0) : jv_invalid();
	bi_docker_close(d);
	return NULL;
}

/* The project's containers and their stats, fetched outside any
 * transaction (Docker takes a second to measure CPU). */
static void
fetch_docker(bi_scrape *s)
{
	char err[256];
	bi_docker *d = bi_docker_open(err, sizeof err);

	s->dk_n = 0;
	if (!d)
		return;	/* no Docker: the endpoints still count */
	const char *project = bi_jv_path_str(s->cfg, "name", NULL);
	jv list = project ? bi_docker_containers(d, project, NULL, 0) : jv_array();
	bi_docker_close(d);
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		jv_free(list);
		return;
	}
	int n = jv_array_length(jv_copy(list));
	struct bi_scrape_stats *f = bi_calloc((size_t)n, sizeof *f);
	pthread_t *t = bi_calloc((size_t)n, sizeof *t);
	for (int i = 0; i < n; i++) {
		jv c = jv_array_get(jv_copy(list), i);
		f[i].id = bi_get_str(c, "Id");	/* list keeps it alive */
		f[i].stats = jv_invalid();
		jv_free(c);
		if (f[i].id && pthread_create(&t[i], NULL, fetch_stats, &f[i]) != 0)
			f[i].id = NULL;
	}
	for (int i = 0; i < n; i++)
		if (f[i].id)
			pthread_join(t[i], NULL);
	free(t);
	s->dk_list = list;
	s->dk_stats = f;
	s->dk_n = n;
}

/* Keep the stats fetched, as series and as `stats` records. */
static void
scrape_docker(bi_scrape *s, int64_t ts)
{
	const char *project = bi_jv_path_str(s->cfg, "name", NULL);
	struct bi_scrape_stats *f = s->dk_stats;

	for (int i = 0; i < s->dk_n; i++) {
		jv c = jv_array_get(jv_copy(s->dk_list), i);
		jv labels = jv_object_get(c, jv_string("Labels"));
		const char *service = bi_get_str(labels, "com.docker.compose.service");
		jv st = f[i].stats;
		if (jv_is_valid(st) && service) {
			jv rec = bi_record("stats");
			rec = bi_set(rec, "project", jv_string(project));
			rec = bi_set(rec, "service", jv_string(service));
			rec = bi_set(rec, "container", jv_string_fmt("%.12s", f[i].id));
			jv empty = jv_object();
			bi_metrics_keep(s->hist, service, "container_cpu_pct", empty, "gauge", ts, bi_get_num(st, "cpu_pct", NAN));
			bi_metrics_keep(s->hist, service, "container_mem_bytes", empty, "gauge", ts, bi_get_num(st, "mem_used", NAN));
			bi_metrics_keep(s->hist, service, "container_mem_pct", empty, "gauge", ts, bi_get_num(st, "mem_pct", NAN));
			jv_free(empty);
			jv_object_foreach(st, k, v)
				rec = jv_object_set(rec, k, v);
			emit(s, rec);
		}
		jv_free(st);
		jv_free(labels);
	}
	free(f);
	jv_free(s->dk_list);
	s->dk_list = jv_null();
	s->dk_n = 0;
	s->dk_stats = NULL;
}

static int
db_error(bi_scrape *s, const char *why, char *err, size_t n)
{
	s->local = 1;
	return bi_errf(err, n, "database: %s", why);
}

/* One round at ts: 0, or -1 with the reason in err. */
static int
round_at(bi_scrape *s, int64_t ts, char *err, size_t n)
{
	/* The network first; then a short transaction that only writes. */
	for (int i = 0; i < s->ntargets; i++)
		fetch(&s->targets[i]);
	if (s->docker)
		fetch_docker(s);
	if (bi_sql_begin(s->db))
		return db_error(s, bi_sql_error(s->db), err, n);
	for (int i = 0; i < s->ntargets; i++)
		s->answered += scrape(s, &s->targets[i], ts);
	if (s->docker)
		scrape_docker(s, ts);
	/* Derived figures, kept as series of their own, and alerts. */
	jv svcs = bi_metrics_services(s->hist, s->only);
	jv_array_foreach(svcs, i, sv) {
		const char *service = jv_string_value(sv);
		bi_metrics_figure f[BI_METRICS_FIGURES];
		int nf = bi_metrics_derive(s->hist, service, ts, s->window_ms, f);
		for (int k = 0; k < nf; k++) {
			char name[64];
			snprintf(name, sizeof name, "derived:%s", f[k].name);
			jv w = bi_set(jv_object(), "window", jv_number((double)s->window_ms / 1000));
			bi_metrics_keep(s->hist, service, name, w, "gauge", ts, f[k].value);
			jv_free(w);
			if (!s->raw)
				emit(s, bi_scrape_figure_record(service, &f[k], ts, s->window_ms));
		}
		int fired;
		jv alerts = bi_metrics_evaluate(s->hist, s->cfg, service, f, nf, ts, &fired);
		jv_array_foreach(alerts, k, a)
			emit(s, a);
		jv_free(alerts);
		s->fired += fired;
		jv_free(sv);
	}
	jv_free(svcs);
	if (bi_metrics_error(s->hist))
		return db_error(s, bi_metrics_error(s->hist), err, n);
	if (bi_sql_commit(s->db))
		return db_error(s, bi_sql_error(s->db), err, n);
	release(s);
	if (bi_metrics_retain(s->hist, s->cfg, now_ms(), err, n)) {
		s->local = bi_metrics_error(s->hist) != NULL;
		return -1;
	}
	if (s->round_done)
		s->round_done(s->ctx);
	return 0;
}

static int
stopped(const bi_scrape *s)
{
	return s->stop && *s->stop;
}

int
bi_scrape_run(bi_scrape *s, char *err, size_t n)
{
	long count = s->count;

	jv_free(s->held);
	s->held = jv_array();
	if (count <= 0)
		count = s->interval > 0 ? -1 : 1;
	for (long r = 0; (count < 0 || r < count) && !stopped(s); r++) {
		int64_t t0 = bi_mono_ns();
		if (round_at(s, now_ms(), err, n))
			return -1;
		if (count >= 0 && r + 1 >= count)
			break;
		int64_t left = s->interval - (bi_mono_ns() - t0);
		while (left > 0 && !stopped(s)) {
			usleep((useconds_t)((left > 200 * BI_NS_PER_MS ? 200 * BI_NS_PER_MS : left) / 1000));
			left = s->interval - (bi_mono_ns() - t0);
		}
	}
	return 0;
}

void
bi_scrape_free(bi_scrape *s)
{
	for (int i = 0; i < s->ntargets; i++) {
		free(s->targets[i].service);
		free(s->targets[i].url);
		free(s->targets[i].bad_why);
		bi_http_resp_free(&s->targets[i].resp);
	}
	free(s->targets);
	s->targets = NULL;
	s->ntargets = 0;
	for (int i = 0; i < s->dk_n; i++)	/* a round that ended early */
		jv_free(s->dk_stats[i].stats);
	free(s->dk_stats);
	s->dk_stats = NULL;
	s->dk_n = 0;
	jv_free(s->dk_list);
	s->dk_list = jv_null();
	jv_free(s->held);
	s->held = jv_invalid();
}
