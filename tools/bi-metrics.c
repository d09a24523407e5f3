/*
 * bi-metrics: what the project's services are doing, in numbers.
 *
 *   bi-metrics scrape [-i DUR] [-n N] [TARGET...]   scrape, keep, derive, alert
 *   bi-metrics query [--window DUR]                 derived figures from history
 *   bi-metrics export --format csv|json [--window]  the raw samples of a window
 *   bi-metrics parse [FILE]                         exposition text to records
 *   bi-metrics alerts | ack ID                      the active alerts; acknowledge
 *
 * Targets are Prometheus endpoints (URLs, or NAME=URL) or, by default, the
 * services of blissful-infra.yaml with a metrics path; container stats come
 * from Docker. Samples go to the project database (lib/store.c, migration 4)
 * and are kept by metrics.retention (age and size). Derived figures follow
 * PromQL (lib/prom.c): request rate, error rate (5xx share), latency p50, p95
 * and p99 from histogram buckets, over a window; both Micrometer's names and
 * the common ones are understood. Alerts fire and resolve as `alert` records.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bi.h"

static const char usage[] =
	"usage: bi-metrics scrape [-i DUR] [-n COUNT] [--raw] [--no-docker] [TARGET...]\n"
	"       bi-metrics query [--window DUR] [--service S]\n"
	"       bi-metrics export --format csv|json [--window DUR] [--service S]\n"
	"       bi-metrics parse [--openmetrics] [--check] [FILE]\n"
	"       bi-metrics alerts | ack ID\n"
	"Scrape Prometheus endpoints and container stats, keep their history, derive\n"
	"rates and latency percentiles over a window, and raise alerts.\n"
	"\n"
	"  TARGET             a URL, or NAME=URL (default: blissful-infra.yaml's services)\n"
	"  -i, --interval DUR scrape every DUR (default: once)\n"
	"  -n, --count N      scrape N times (default: until stopped, with -i)\n"
	"  -w, --window DUR   derive over the last DUR: 1m, 5m, 15m, 1h, 24h (default 1m)\n"
	"  -s, --service S    only this service (query, export)\n"
	"      --raw          scrape: write every sample, not only derived figures\n"
	"      --no-docker    scrape: no container stats\n"
	"  -f, --format F     export: csv or json\n"
	"      --openmetrics  parse: the text is OpenMetrics (timestamps in seconds)\n"
	"      --check        parse: only check it; one record with the count\n"
	"      --db PATH      the database (default $BI_DB or .blissful-infra/bi.db)\n"
	"  -h, --help         show this help\n"
	"      --version      show the version\n"
	"Exit: 0, 1 an alert fired (scrape), 2 usage or bad input, 3 no target answered.\n";

static sqlite3 *db;
static jv cfg;
static int64_t window_ms = 60000;
static const char *only_service;

static jv
set(jv r, const char *k, jv v)
{
	return jv_object_set(r, jv_string(k), v);
}

static void
check(int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		bi_die(BI_EXIT_FAIL, "database: %s: %s", what, sqlite3_errmsg(db));
}

static sqlite3_stmt *
prepare(const char *sql)
{
	sqlite3_stmt *st;

	check(sqlite3_prepare_v2(db, sql, -1, &st, NULL), sql);
	return st;
}

static int64_t
now_ms(void)
{
	return bi_now_ns() / BI_NS_PER_MS;
}

/* ---- keeping samples ---- */

static sqlite3_stmt *st_series_ins, *st_series_get, *st_sample;

/* The id of a series, made when new. A small cache spares the lookups. */
#define CACHE 4096
static struct {
	uint64_t hash;
	int64_t id;
} cache[CACHE];

static int64_t
series_id(const char *service, const char *name, const char *labels, const char *type)
{
	bi_buf k = {0};
	bi_buf_printf(&k, "%s%c%s%c%s", service, 0, name, 0, labels);
	uint64_t h = bi_hash64(k.p, k.len);
	bi_buf_free(&k);
	size_t slot = h % CACHE;
	if (cache[slot].hash == h && cache[slot].id)
		return cache[slot].id;
	sqlite3_reset(st_series_ins);
	sqlite3_bind_text(st_series_ins, 1, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_series_ins, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_series_ins, 3, labels, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_series_ins, 4, type, -1, SQLITE_STATIC);
	check(sqlite3_step(st_series_ins), "series");
	sqlite3_reset(st_series_get);
	sqlite3_bind_text(st_series_get, 1, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_series_get, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_series_get, 3, labels, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(st_series_get) == SQLITE_ROW ? sqlite3_column_int64(st_series_get, 0) : 0;
	cache[slot].hash = h;
	cache[slot].id = id;
	return id;
}

static void
keep(const char *service, const char *name, jv labels, const char *type, int64_t ts, double v)
{
	jv l = jv_dump_string(jv_copy(labels), JV_PRINT_SORTED);
	int64_t id = series_id(service, name, jv_string_value(l), type);
	jv_free(l);
	sqlite3_reset(st_sample);
	sqlite3_bind_int64(st_sample, 1, id);
	sqlite3_bind_int64(st_sample, 2, ts);
	if (isnan(v))
		sqlite3_bind_null(st_sample, 3);
	else
		sqlite3_bind_double(st_sample, 3, v);
	check(sqlite3_step(st_sample), "sample");
}

static void
open_db(const char *path)
{
	char *p = path ? bi_strdup(path) : bi_store_path();
	db = bi_store_open(p);
	free(p);
	st_series_ins = prepare("INSERT OR IGNORE INTO metric_series (service, name, labels, type) "
				"VALUES (?, ?, ?, ?)");
	st_series_get = prepare("SELECT id FROM metric_series WHERE service = ? AND name = ? AND labels = ?");
	st_sample = prepare("INSERT OR REPLACE INTO metric_samples (series, ts, value) VALUES (?, ?, ?)");
}

static int64_t
one(const char *sql)
{
	sqlite3_stmt *st = prepare(sql);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return v;
}

/* metrics.retention: samples older than max_age go; past max_size, the
 * oldest go until it fits. Freed pages are reused: the file stops growing. */
static void
retain(void)
{
	int64_t age = bi_cfg_dur(cfg, "metrics.retention.max_age", 7 * 86400 * BI_NS_PER_S) / BI_NS_PER_MS;
	int64_t cap = 10 * 1000 * 1000;
	const char *size = bi_cfg_str(cfg, "metrics.retention.max_size", NULL);
	if (size && bi_size_parse(size, &cap))
		bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: metrics.retention.max_size: not a size: %s", size);
	sqlite3_stmt *st = prepare("DELETE FROM metric_samples WHERE ts < ?");
	sqlite3_bind_int64(st, 1, now_ms() - age);
	check(sqlite3_step(st), "retention");
	sqlite3_finalize(st);
	for (int i = 0; i < 50; i++) {
		int64_t used = (one("PRAGMA page_count") - one("PRAGMA freelist_count")) * one("PRAGMA page_size");
		if (used <= cap)
			break;
		int64_t oldest = one("SELECT min(ts) FROM metric_samples");
		int64_t newest = one("SELECT max(ts) FROM metric_samples");
		if (oldest >= newest)
			break;
		/* Drop the oldest tenth of the time kept. */
		st = prepare("DELETE FROM metric_samples WHERE ts < ?");
		sqlite3_bind_int64(st, 1, oldest + (newest - oldest) / 10 + 1);
		check(sqlite3_step(st), "retention");
		sqlite3_finalize(st);
	}
	bi_store_exec(db, "DELETE FROM metric_series WHERE id NOT IN (SELECT DISTINCT series FROM metric_samples)"
			  " AND name NOT LIKE 'derived:%'");
	memset(cache, 0, sizeof cache);
}

/* ---- deriving figures from history ---- */

/* Every series of one of names for service, with its samples in the window:
 * calls fn with the labels and the samples' times and values. */
static void
each_series(const char *service, const char *const *names, int64_t start, int64_t end,
	    void (*fn)(void *ctx, jv labels, const int64_t *t, const double *v, int n), void *ctx)
{
	sqlite3_stmt *st = prepare("SELECT s.id, s.labels, m.ts, m.value FROM metric_series s "
				   "JOIN metric_samples m ON m.series = s.id "
				   "WHERE s.service = ? AND s.name = ? AND m.ts >= ? AND m.ts <= ? "
				   "ORDER BY s.id, m.ts");
	for (const char *const *n = names; *n; n++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, service, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, *n, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, start);
		sqlite3_bind_int64(st, 4, end);
		int64_t cur = -1, *t = NULL;
		double *v = NULL;
		int k = 0, cap = 0;
		jv labels = jv_null();
		for (;;) {
			int rc = sqlite3_step(st);
			int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -2;
			if (id != cur && cur != -1) {
				fn(ctx, labels, t, v, k);
				k = 0;
			}
			if (rc != SQLITE_ROW)
				break;
			if (id != cur) {
				jv_free(labels);
				labels = jv_parse((const char *)sqlite3_column_text(st, 1));
				cur = id;
			}
			if (k == cap) {
				cap = cap ? cap * 2 : 64;
				t = bi_realloc(t, cap * sizeof *t);
				v = bi_realloc(v, cap * sizeof *v);
			}
			t[k] = sqlite3_column_int64(st, 2);
			v[k++] = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
		}
		jv_free(labels);
		free(t);
		free(v);
	}
	sqlite3_finalize(st);
}

struct rates {
	int64_t start, end;
	double all, errors;
	int seen;
	/* histogram buckets: rate by le */
	double le[64], count[64];
	int nle;
};

static const char *const request_counters[] = {"http_requests_total",
	"http_server_requests_seconds_count", NULL};
static const char *const duration_buckets[] = {"http_request_duration_seconds_bucket",
	"http_server_requests_seconds_bucket", NULL};

static void
add_requests(void *ctx, jv labels, const int64_t *t, const double *v, int n)
{
	struct rates *r = ctx;
	double rate = bi_prom_rate(t, v, n, r->start, r->end, 1);

	if (isnan(rate))
		return;
	r->seen = 1;
	r->all += rate;
	const char *status = bi_get_str(labels, "status");
	if (!status)
		status = bi_get_str(labels, "code");
	if (status && status[0] == '5')
		r->errors += rate;
}

static void
add_bucket(void *ctx, jv labels, const int64_t *t, const double *v, int n)
{
	struct rates *r = ctx;
	const char *le = bi_get_str(labels, "le");
	double rate = bi_prom_rate(t, v, n, r->start, r->end, 1);

	if (!le || isnan(rate))
		return;
	double b = !strcmp(le, "+Inf") ? INFINITY : atof(le);
	for (int i = 0; i < r->nle; i++) {
		if (r->le[i] == b) {
			r->count[i] += rate;	/* sum by (le) */
			return;
		}
	}
	if (r->nle < 64) {
		r->le[r->nle] = b;
		r->count[r->nle++] = rate;
	}
}

static double
latest(const char *service, const char *name)
{
	sqlite3_stmt *st = prepare("SELECT m.value FROM metric_series s JOIN metric_samples m ON m.series = s.id "
				   "WHERE s.service = ? AND s.name = ? ORDER BY m.ts DESC LIMIT 1");
	sqlite3_bind_text(st, 1, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	double v = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ?
		sqlite3_column_double(st, 0) : NAN;
	sqlite3_finalize(st);
	return v;
}

struct figure {
	const char *name, *unit;
	double value;
};

/* The derived figures of a service over the window ending at end. */
static int
derive(const char *service, int64_t end, struct figure *f)
{
	struct rates r = {.start = end - window_ms, .end = end};
	int n = 0;

	each_series(service, request_counters, r.start, end, add_requests, &r);
	each_series(service, duration_buckets, r.start, end, add_bucket, &r);
	if (r.seen) {
		f[n++] = (struct figure){"request_rate", "req/s", r.all};
		f[n++] = (struct figure){"error_rate", "ratio", r.all > 0 ? r.errors / r.all : 0};
	}
	if (r.nle >= 2) {
		static const struct { const char *name; double q; } qs[] = {
			{"latency_p50_ms", 0.50}, {"latency_p95_ms", 0.95}, {"latency_p99_ms", 0.99}};
		for (int i = 0; i < 3; i++) {
			double q = bi_prom_quantile(qs[i].q, r.le, r.count, r.nle);
			if (!isnan(q))
				f[n++] = (struct figure){qs[i].name, "ms", q * 1000};
		}
	}
	static const struct { const char *series, *name, *unit; } stats[] = {
		{"container_cpu_pct", "cpu_pct", "%"}, {"container_mem_bytes", "mem_bytes", "bytes"},
		{"container_mem_pct", "mem_pct", "%"}};
	for (int i = 0; i < 3; i++) {
		double v = latest(service, stats[i].series);
		if (!isnan(v))
			f[n++] = (struct figure){stats[i].name, stats[i].unit, v};
	}
	return n;
}

static jv
figure_record(const char *service, const struct figure *f, int64_t end)
{
	char ts[BI_TS_LEN], w[32];
	jv r = bi_record("metric");

	r = set(r, "ts", jv_string(bi_ts_fmt(end * BI_NS_PER_MS, ts)));
	r = set(r, "service", jv_string(service));
	r = set(r, "name", jv_string(f->name));
	r = set(r, "labels", set(jv_object(), "window", jv_string(bi_dur_fmt(window_ms * BI_NS_PER_MS, w, sizeof w))));
	r = set(r, "value", jv_number(isfinite(f->value) ? round(f->value * 1e6) / 1e6 : 0));
	r = set(r, "unit", jv_string(f->unit));
	r = set(r, "type", jv_string("gauge"));
	return r;
}

static jv
services(void)
{
	jv out = jv_array();
	sqlite3_stmt *st = prepare("SELECT DISTINCT service FROM metric_series ORDER BY service");

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (!only_service || !strcmp(s, only_service))
			out = jv_array_append(out, jv_string(s));
	}
	sqlite3_finalize(st);
	return out;
}

/* ---- alerts ---- */

struct rule {
	const char *figure, *key;	/* derived figure; blissful-infra.yaml's alerts.KEY */
	double warning, critical;	/* defaults; NAN: none */
};

static const struct rule rules[] = {
	{"cpu_pct", "cpu_pct", 80, 95},
	{"mem_pct", "mem_pct", 80, 95},
	{"error_rate", "error_rate", 0.01, 0.05},
	{"latency_p95_ms", "p95_ms", 500, NAN},
	{"latency_p99_ms", "p99_ms", 1000, NAN},
};

static jv
alert_record(int64_t id, const char *name, const char *service, const char *severity,
	     const char *state, double value, double threshold, int acked, int64_t at)
{
	char ts[BI_TS_LEN];
	jv r = bi_record("alert");

	if (at)
		r = set(r, "ts", jv_string(bi_ts_fmt(at * BI_NS_PER_MS, ts)));
	r = set(r, "id", jv_number((double)id));
	r = set(r, "name", jv_string(name));
	r = set(r, "service", jv_string(service));
	r = set(r, "severity", jv_string(severity));
	r = set(r, "state", jv_string(state));
	r = set(r, "value", jv_number(value));
	r = set(r, "threshold", jv_number(threshold));
	r = set(r, "acked", jv_bool(acked));
	r = set(r, "msg", jv_string_fmt("%s of %s is %g (%s at %g)", name, service, value, severity, threshold));
	return r;
}

/* Compare each figure with its thresholds. An alert fires when a figure
 * reaches its warning (or critical) level, changes severity in place while it
 * stays above, and resolves when the figure is back under the warning. One
 * that resolved does not fire again within the cooldown (flapping). Returns
 * how many fired. */
static int
evaluate(const char *service, const struct figure *f, int nf, int64_t now)
{
	int64_t cooldown = bi_cfg_dur(cfg, "alerts.cooldown", 60 * BI_NS_PER_S) / BI_NS_PER_MS;
	int fired = 0;

	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const struct rule *ru = &rules[i];
		double value = NAN;
		for (int k = 0; k < nf; k++)
			if (!strcmp(f[k].name, ru->figure))
				value = f[k].value;
		if (isnan(value))
			continue;	/* not measured this time: leave it as it is */
		char path[64];
		snprintf(path, sizeof path, "alerts.%s.warning", ru->key);
		double warn = bi_cfg_num(cfg, path, ru->warning);
		snprintf(path, sizeof path, "alerts.%s.critical", ru->key);
		double crit = bi_cfg_num(cfg, path, ru->critical);
		const char *level = NULL;
		double threshold = NAN;
		if (!isnan(crit) && value >= crit)
			level = "critical", threshold = crit;
		else if (!isnan(warn) && value >= warn)
			level = "warning", threshold = warn;

		sqlite3_stmt *st = prepare("SELECT id, severity, acked FROM alerts "
					   "WHERE state = 'firing' AND name = ? AND service = ?");
		sqlite3_bind_text(st, 1, ru->figure, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, service, -1, SQLITE_STATIC);
		int64_t id = 0;
		char severity[16] = "";
		int acked = 0;
		if (sqlite3_step(st) == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			snprintf(severity, sizeof severity, "%s", sqlite3_column_text(st, 1));
			acked = sqlite3_column_int(st, 2);
		}
		sqlite3_finalize(st);

		if (id && !level) {
			st = prepare("UPDATE alerts SET state = 'resolved', resolved_at = ?, value = ? WHERE id = ?");
			sqlite3_bind_int64(st, 1, now);
			sqlite3_bind_double(st, 2, value);
			sqlite3_bind_int64(st, 3, id);
			check(sqlite3_step(st), "resolve");
			sqlite3_finalize(st);
			bi_write(alert_record(id, ru->figure, service, severity, "resolved", value,
					      !strcmp(severity, "critical") ? crit : warn, acked, now));
		} else if (id && strcmp(level, severity)) {
			st = prepare("UPDATE alerts SET severity = ?, threshold = ?, value = ? WHERE id = ?");
			sqlite3_bind_text(st, 1, level, -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 2, threshold);
			sqlite3_bind_double(st, 3, value);
			sqlite3_bind_int64(st, 4, id);
			check(sqlite3_step(st), "severity");
			sqlite3_finalize(st);
			bi_write(alert_record(id, ru->figure, service, level, "firing", value, threshold,
					      acked, now));
		} else if (level && !id) {
			st = prepare("SELECT count(*) FROM alerts WHERE name = ? AND service = ? "
				     "AND state = 'resolved' AND resolved_at > ?");
			sqlite3_bind_text(st, 1, ru->figure, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, service, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, now - cooldown);
			int recent = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
			sqlite3_finalize(st);
			if (recent)
				continue;	/* flapping: hold it back for the cooldown */
			st = prepare("INSERT INTO alerts (name, service, severity, state, value, threshold, fired_at) "
				     "VALUES (?, ?, ?, 'firing', ?, ?, ?)");
			sqlite3_bind_text(st, 1, ru->figure, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, service, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, level, -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 4, value);
			sqlite3_bind_double(st, 5, threshold);
			sqlite3_bind_int64(st, 6, now);
			check(sqlite3_step(st), "fire");
			sqlite3_finalize(st);
			bi_write(alert_record(sqlite3_last_insert_rowid(db), ru->figure, service, level,
					      "firing", value, threshold, 0, now));
			fired++;
		}
	}
	return fired;
}

/* ---- scraping ---- */

struct target {
	char *service, *url;
	int down;
};

static struct target *targets;
static int ntargets;

static void
add_target(const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *url = eq && eq < strstr(arg, "://") ? eq + 1 : arg;
	char *service;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		bi_die(BI_EXIT_USAGE, "not a URL: %s", url);
	if (url != arg)
		service = bi_strndup(arg, (size_t)(eq - arg));
	else {
		const char *h = strstr(url, "://") + 3;
		service = bi_strndup(h, strcspn(h, "/"));
	}
	targets = bi_realloc(targets, (ntargets + 1) * sizeof *targets);
	targets[ntargets++] = (struct target){service, bi_strdup(url), 0};
}

/* blissful-infra.yaml: each service with a port and a metrics path. */
static void
discover(void)
{
	jv svcs = bi_cfg_get(cfg, "services");

	if (jv_get_kind(svcs) == JV_KIND_OBJECT) {
		jv_object_foreach(svcs, k, s) {
			double port = bi_cfg_num(s, "port", 0);
			const char *path = bi_cfg_str(s, "metrics", NULL);
			if (port > 0 && path) {
				/* APP_PORT moves the app's published port, as in compose. */
				const char *env = !strcmp(jv_string_value(k), "app") ? getenv("APP_PORT") : NULL;
				char *arg = env && *env ?
					bi_asprintf("%s=http://127.0.0.1:%s%s", jv_string_value(k), env, path) :
					bi_asprintf("%s=http://127.0.0.1:%.0f%s", jv_string_value(k), port, path);
				add_target(arg);
				free(arg);
			}
			jv_free(k);
			jv_free(s);
		}
	}
	jv_free(svcs);
}

struct scrape_ctx {
	const char *service, *url;
	int64_t ts;
	int raw;
	long n;
	int bad;
};

static int
on_sample(void *ctx, const bi_prom_sample *s)
{
	struct scrape_ctx *c = ctx;
	int64_t ts = s->ts_ms >= 0 ? s->ts_ms : c->ts;

	keep(c->service, s->name, s->labels, s->type, ts, s->value);
	c->n++;
	if (c->raw) {
		char t[BI_TS_LEN];
		jv r = bi_record("metric");
		r = set(r, "ts", jv_string(bi_ts_fmt(ts * BI_NS_PER_MS, t)));
		r = set(r, "service", jv_string(c->service));
		r = set(r, "name", jv_string(s->name));
		r = set(r, "labels", jv_copy(s->labels));
		r = set(r, "value", isfinite(s->value) ? jv_number(s->value) :
			jv_string(isnan(s->value) ? "NaN" : s->value > 0 ? "+Inf" : "-Inf"));
		r = set(r, "type", jv_string(s->type));
		bi_write(r);
	}
	return 0;
}

static void
on_bad(void *ctx, size_t line, const char *why)
{
	struct scrape_ctx *c = ctx;
	if (c->bad++ < 5)
		bi_warn("%s: line %zu: %s", c->url, line, why);
}

static jv
health(const struct target *t, int ok, long status, double ms, const char *msg)
{
	jv r = bi_record("health");

	r = set(r, "service", jv_string(t->service));
	r = set(r, "target", jv_string(t->url));
	r = set(r, "check", jv_string("http"));
	r = set(r, "ok", jv_bool(ok));
	r = set(r, "status", status ? jv_number(status) : jv_null());
	r = set(r, "latency_ms", jv_number(round(ms * 1000) / 1000));
	if (msg)
		r = set(r, "msg", jv_string(msg));
	return r;
}

/* One scrape of a target; 1 if it answered. */
static int
scrape(struct target *t, int64_t ts, int raw)
{
	static const char *const accept[] = {"Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1", NULL};
	bi_http_req req = {.url = t->url, .timeout_ms = 10000, .connect_timeout_ms = 2000,
			   .headers = accept};
	bi_http_resp resp;
	int64_t t0 = bi_mono_ns();
	int r = bi_http(&req, &resp);
	double ms = (bi_mono_ns() - t0) / 1e6;

	if (r != 0 || resp.status != 200) {
		char why[300];
		if (r != 0)
			snprintf(why, sizeof why, "%s", resp.error);
		else
			snprintf(why, sizeof why, "HTTP %ld", resp.status);
		if (!t->down)
			bi_write(health(t, 0, r ? 0 : resp.status, ms, why));
		t->down = 1;
		bi_http_resp_free(&resp);
		return 0;
	}
	if (t->down)
		bi_write(health(t, 1, resp.status, ms, NULL));
	t->down = 0;
	struct scrape_ctx c = {t->service, t->url, ts, raw, 0, 0};
	bi_prom_parse(resp.body.p, resp.body.len, 0, on_sample, on_bad, &c);
	if (c.bad > 5)
		bi_warn("%s: %d malformed lines in all", t->url, c.bad);
	keep(t->service, "up", jv_object(), "gauge", ts, 1);
	bi_http_resp_free(&resp);
	return 1;
}

/* Container stats of the project, kept as series and written as records. */
static void
scrape_docker(int64_t ts)
{
	char err[256];
	bi_docker *d = bi_docker_open(err, sizeof err);

	if (!d)
		return;	/* no Docker: the endpoints still count */
	const char *project = bi_cfg_str(cfg, "name", NULL);
	if (!project) {
		bi_docker_close(d);
		return;
	}
	jv list = bi_docker_containers(d, project, NULL, 0);
	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, c) {
			jv labels = jv_object_get(jv_copy(c), jv_string("Labels"));
			const char *service = bi_get_str(labels, "com.docker.compose.service");
			const char *id = bi_get_str(c, "Id");
			jv s = id ? bi_docker_stats(d, id, 0) : jv_invalid();
			if (jv_is_valid(s) && service) {
				jv rec = bi_record("stats");
				rec = set(rec, "project", jv_string(project));
				rec = set(rec, "service", jv_string(service));
				rec = set(rec, "container", jv_string_fmt("%.12s", id));
				jv empty = jv_object();
				double cpu = bi_get_num(s, "cpu_pct", NAN);
				keep(service, "container_cpu_pct", empty, "gauge", ts, cpu);
				keep(service, "container_mem_bytes", empty, "gauge", ts, bi_get_num(s, "mem_used", NAN));
				keep(service, "container_mem_pct", empty, "gauge", ts, bi_get_num(s, "mem_pct", NAN));
				jv_free(empty);
				jv_object_foreach(s, k, v)
					rec = jv_object_set(rec, k, v);
				bi_write(rec);
			}
			jv_free(s);
			jv_free(labels);
			jv_free(c);
		}
	}
	jv_free(list);
	bi_docker_close(d);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int
cmd_scrape(int64_t interval, long count, int raw, int docker)
{
	int fired = 0, answered = 0;
	struct sigaction sa = {.sa_handler = on_signal};

	if (ntargets == 0)
		discover();
	if (ntargets == 0 && !docker)
		bi_die(BI_EXIT_USAGE, "nothing to scrape: give a URL, or run in a project whose "
		       "blissful-infra.yaml names its services' metrics");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (count <= 0)
		count = interval > 0 ? -1 : 1;
	for (long round = 0; (count < 0 || round < count) && !stop; round++) {
		int64_t t0 = bi_mono_ns(), ts = now_ms();
		bi_store_exec(db, "BEGIN");
		for (int i = 0; i < ntargets; i++)
			answered += scrape(&targets[i], ts, raw);
		if (docker)
			scrape_docker(ts);
		/* Derived figures, kept as series of their own, and alerts. */
		jv svcs = services();
		jv_array_foreach(svcs, i, s) {
			struct figure f[16];
			int nf = derive(jv_string_value(s), ts, f);
			for (int k = 0; k < nf; k++) {
				char name[64];
				snprintf(name, sizeof name, "derived:%s", f[k].name);
				jv w = set(jv_object(), "window", jv_number((double)window_ms / 1000));
				keep(jv_string_value(s), name, w, "gauge", ts, f[k].value);
				jv_free(w);
				if (!raw)
					bi_write(figure_record(jv_string_value(s), &f[k], ts));
			}
			fired += evaluate(jv_string_value(s), f, nf, ts);
			jv_free(s);
		}
		jv_free(svcs);
		bi_store_exec(db, "COMMIT");
		retain();
		bi_write_flush();
		if (count >= 0 && round + 1 >= count)
			break;
		int64_t left = interval - (bi_mono_ns() - t0);
		while (left > 0 && !stop) {
			usleep((useconds_t)((left > 200 * BI_NS_PER_MS ? 200 * BI_NS_PER_MS : left) / 1000));
			left = interval - (bi_mono_ns() - t0);
		}
	}
	if (ntargets > 0 && answered == 0)
		return BI_EXIT_UNREACHABLE;
	return fired ? BI_EXIT_FAIL : BI_EXIT_OK;
}

static int
cmd_query(void)
{
	int64_t end = now_ms();
	jv svcs = services();

	jv_array_foreach(svcs, i, s) {
		struct figure f[16];
		int nf = derive(jv_string_value(s), end, f);
		for (int k = 0; k < nf; k++)
			bi_write(figure_record(jv_string_value(s), &f[k], end));
		jv_free(s);
	}
	jv_free(svcs);
	bi_write_flush();
	return BI_EXIT_OK;
}

static void
csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static int
cmd_export(const char *format)
{
	int csv = !strcmp(format, "csv");
	if (!csv && strcmp(format, "json"))
		bi_die(BI_EXIT_USAGE, "--format: csv or json, not %s", format);
	sqlite3_stmt *st = prepare("SELECT s.service, s.name, s.labels, m.ts, m.value FROM metric_samples m "
				   "JOIN metric_series s ON s.id = m.series WHERE m.ts >= ? "
				   "AND (?2 IS NULL OR s.service = ?2) ORDER BY m.ts, s.id");
	sqlite3_bind_int64(st, 1, now_ms() - window_ms);
	if (only_service)
		sqlite3_bind_text(st, 2, only_service, -1, SQLITE_STATIC);
	if (csv)
		puts("ts,service,name,labels,value");
	while (sqlite3_step(st) == SQLITE_ROW) {
		char ts[BI_TS_LEN];
		const char *svc = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *labels = (const char *)sqlite3_column_text(st, 2);
		bi_ts_fmt(sqlite3_column_int64(st, 3) * BI_NS_PER_MS, ts);
		int null = sqlite3_column_type(st, 4) == SQLITE_NULL;
		double v = sqlite3_column_double(st, 4);
		if (csv) {
			printf("%s,", ts);
			csv_field(svc);
			putchar(',');
			csv_field(name);
			putchar(',');
			csv_field(labels);
			if (null)
				puts(",NaN");
			else
				printf(",%.17g\n", v);
		} else {
			jv r = bi_record("metric");
			r = set(r, "ts", jv_string(ts));
			r = set(r, "service", jv_string(svc));
			r = set(r, "name", jv_string(name));
			r = set(r, "labels", jv_parse(labels));
			r = set(r, "value", null ? jv_string("NaN") : jv_number(v));
			bi_write(r);
		}
	}
	sqlite3_finalize(st);
	bi_write_flush();
	return BI_EXIT_OK;
}

static int
cmd_alerts(void)
{
	sqlite3_stmt *st = prepare("SELECT id, name, service, severity, value, threshold, acked, fired_at "
				   "FROM alerts WHERE state = 'firing' ORDER BY fired_at");

	while (sqlite3_step(st) == SQLITE_ROW)
		bi_write(alert_record(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
				      (const char *)sqlite3_column_text(st, 2),
				      (const char *)sqlite3_column_text(st, 3), "firing",
				      sqlite3_column_double(st, 4), sqlite3_column_double(st, 5),
				      sqlite3_column_int(st, 6), sqlite3_column_int64(st, 7)));
	sqlite3_finalize(st);
	bi_write_flush();
	return BI_EXIT_OK;
}

static int
cmd_ack(const char *arg)
{
	char *end;
	long long id = strtoll(arg, &end, 10);

	if (*end || id <= 0)
		bi_die(BI_EXIT_USAGE, "not an alert id: %s", arg);
	sqlite3_stmt *st = prepare("UPDATE alerts SET acked = 1 WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	check(sqlite3_step(st), "ack");
	sqlite3_finalize(st);
	if (sqlite3_changes(db) == 0)
		bi_die(BI_EXIT_USAGE, "no alert %lld", id);
	return BI_EXIT_OK;
}

struct parse_out {
	int64_t ts;
	int bad;
	int check;	/* only check, and count */
	long n;
};

static int
count_sample(void *ctx, const bi_prom_sample *s)
{
	(void)s;
	((struct parse_out *)ctx)->n++;
	return 0;
}

static int
print_sample(void *ctx, const bi_prom_sample *s)
{
	struct parse_out *o = ctx;
	char t[BI_TS_LEN];
	jv r = bi_record("metric");

	r = set(r, "ts", jv_string(bi_ts_fmt((s->ts_ms >= 0 ? s->ts_ms : o->ts) * BI_NS_PER_MS, t)));
	r = set(r, "name", jv_string(s->name));
	r = set(r, "labels", jv_copy(s->labels));
	r = set(r, "value", isfinite(s->value) ? jv_number(s->value) :
		jv_string(isnan(s->value) ? "NaN" : s->value > 0 ? "+Inf" : "-Inf"));
	r = set(r, "type", jv_string(s->type));
	bi_write(r);
	return 0;
}

static void
parse_bad(void *ctx, size_t line, const char *why)
{
	struct parse_out *o = ctx;
	bi_warn("line %zu: %s", line, why);
	o->bad++;
}

static int
cmd_parse(const char *path, int om, int check)
{
	size_t len;
	char *text = bi_read_file(path ? path : "-", &len);

	if (!text)
		bi_die(BI_EXIT_USAGE, "cannot read %s:", path ? path : "stdin");
	struct parse_out o = {now_ms(), 0, check, 0};
	bi_prom_parse(text, len, (om ? BI_PROM_OM : 0) | (o.check ? BI_PROM_NO_LABELS : 0),
		      o.check ? count_sample : print_sample, parse_bad, &o);
	free(text);
	if (check) {
		jv r = bi_record("metric");
		r = set(r, "name", jv_string("exposition_samples"));
		r = set(r, "labels", set(jv_object(), "file", jv_string(path ? path : "stdin")));
		r = set(r, "value", jv_number((double)o.n));
		r = set(r, "bad_lines", jv_number(o.bad));
		bi_write(r);
	}
	bi_write_flush();
	return o.bad ? BI_EXIT_USAGE : BI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"interval", required_argument, NULL, 'i'},
		{"count", required_argument, NULL, 'n'},
		{"window", required_argument, NULL, 'w'},
		{"service", required_argument, NULL, 's'},
		{"raw", no_argument, NULL, 'r'},
		{"no-docker", no_argument, NULL, 'D'},
		{"format", required_argument, NULL, 'f'},
		{"export", required_argument, NULL, 'E'},
		{"openmetrics", no_argument, NULL, 'o'},
		{"check", no_argument, NULL, 'C'},
		{"ack", required_argument, NULL, 'A'},
		{"db", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int64_t interval = 0, w;
	long count = 0;
	int raw = 0, docker = 1, om = 0, check = 0, c;
	const char *format = NULL, *dbpath = NULL, *ack = NULL;
	char *end;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "i:n:w:s:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (bi_dur_parse(optarg, &interval) || interval <= 0)
				bi_usage_error(usage, "--interval: not a duration: %s", optarg);
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count <= 0)
				bi_usage_error(usage, "--count: not a count: %s", optarg);
			break;
		case 'w':
			if (bi_dur_parse(optarg, &w) || w < BI_NS_PER_S)
				bi_usage_error(usage, "--window: a duration of a second or more: %s", optarg);
			window_ms = w / BI_NS_PER_MS;
			break;
		case 's': only_service = optarg; break;
		case 'r': raw = 1; break;
		case 'D': docker = 0; break;
		case 'f': case 'E': format = optarg; break;
		case 'o': om = 1; break;
		case 'C': check = 1; break;
		case 'A': ack = optarg; break;
		case 'B': dbpath = optarg; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	const char *cmd = optind < argc ? argv[optind++] : ack ? "ack" : format ? "export" : NULL;
	if (!cmd)
		bi_usage_error(usage, "scrape, query, export, parse, alerts or ack?");
	if (!strcmp(cmd, "parse"))
		return cmd_parse(optind < argc ? argv[optind] : NULL, om, check);
	cfg = bi_config();
	open_db(dbpath);
	int r;
	if (!strcmp(cmd, "scrape")) {
		for (; optind < argc; optind++)
			add_target(argv[optind]);
		r = cmd_scrape(interval, count, raw, docker);
	} else if (!strcmp(cmd, "query")) {
		r = cmd_query();
	} else if (!strcmp(cmd, "export")) {
		r = cmd_export(format ? format : "json");
	} else if (!strcmp(cmd, "alerts")) {
		r = cmd_alerts();
	} else if (!strcmp(cmd, "ack")) {
		r = cmd_ack(ack ? ack : optind < argc ? argv[optind] : "");
	} else {
		bi_usage_error(usage, "unknown command: %s", cmd);
	}
	sqlite3_close(db);
	jv_free(cfg);
	return r;
}
