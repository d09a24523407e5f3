/* test-metrics: metric history in a database: keeping samples, retention,
 * figures derived from known samples, and alerts from fire to cooldown. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "sources/store.h"
#include "engines/metrics.h"
#include "tap.h"

#define T0 INT64_C(1795480000000)	/* ms; a window's end */

static bi_metrics *m;

static void
keep(const char *service, const char *name, const char *labels, int64_t ts, double v)
{
	jv l = jv_parse(labels);
	bi_metrics_keep(m, service, name, l, "counter", ts, v);
	jv_free(l);
}

static double
figure(const bi_metrics_figure *f, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return f[i].value;
	return NAN;
}

struct seen {
	int series, samples, nan;
	char labels[256];
	int64_t first, last;
};

static void
on_series(void *ctx, jv labels, const int64_t *t, const double *v, int n)
{
	struct seen *s = ctx;
	jv d = jv_dump_string(jv_copy(labels), JV_PRINT_SORTED);
	size_t k = strlen(s->labels);
	snprintf(s->labels + k, sizeof s->labels - k, "%s%s", k ? " " : "", jv_string_value(d));
	jv_free(d);
	s->series++;
	s->samples += n;
	for (int i = 0; i < n; i++)
		s->nan += isnan(v[i]);
	s->first = t[0];
	s->last = t[n - 1];
}

static void
on_sample(void *ctx, const char *service, const char *name, const char *labels, int64_t ts, double v)
{
	struct seen *s = ctx;
	(void)service, (void)name, (void)labels;
	if (!s->samples++)
		s->first = ts;
	s->last = ts;
	s->nan += isnan(v);
}

/* Evaluate one figure; the alerts changed, as "state severity threshold"
 * lines, into buf; returns how many fired. */
static int
judge(jv cfg, const char *name, double value, int64_t now, char *buf, size_t len)
{
	bi_metrics_figure f = {name, "", value};
	int fired;
	jv out = bi_metrics_evaluate(m, cfg, "svc", &f, 1, now, &fired);
	size_t k = 0;
	buf[0] = '\0';
	jv_array_foreach(out, i, a) {
		jv rep = jv_object_get(jv_copy(a), jv_string("repeat"));
		k += (size_t)snprintf(buf + k, len - k, "%s%s %s %g%s", i ? "; " : "",
				      bi_get_str(a, "state"), bi_get_str(a, "severity"),
				      bi_get_num(a, "threshold", -1),
				      jv_get_kind(rep) == JV_KIND_TRUE ? " again" : "");
		jv_free(rep);
		jv_free(a);
	}
	jv_free(out);
	return fired;
}

int
main(void)
{
	char dir[] = "/tmp/bi-test-metrics-XXXXXX", err[256], buf[512];
	bi_metrics_figure f[BI_METRICS_FIGURES];

	plan(50);
	bi_init("test-metrics");
	if (!mkdtemp(dir))
		return 1;
	char *path = bi_asprintf("%s/bi.db", dir);
	char dberr[512];
	sqlite3 *db = bi_store_open(path, dberr, sizeof dberr);
	if (!db)
		return printf("Bail out! %s\n", dberr), 1;
	m = bi_metrics_open(db);

	/* A minute of a service: 10 requests a second answered 200, 1 a
	 * second 500 (the common names), 2 a second 503 (Micrometer's); a
	 * histogram with half of 10 a second under 0.1 s, 9 under 0.5 s. */
	for (int i = 0; i <= 6; i++) {
		int64_t ts = T0 - 60000 + i * 10000;
		keep("api", "http_requests_total", "{\"status\":\"200\",\"path\":\"/\"}", ts, 1000 + 100 * i);
		keep("api", "http_requests_total", "{\"path\":\"/\",\"status\":\"500\"}", ts, 50 + 10 * i);
		keep("api", "http_server_requests_seconds_count", "{\"status\":\"503\"}", ts, 20 * i + 40);
		keep("api", "http_request_duration_seconds_bucket", "{\"le\":\"0.1\"}", ts, 500 + 50 * i);
		keep("api", "http_request_duration_seconds_bucket", "{\"le\":\"0.5\"}", ts, 900 + 90 * i);
		keep("api", "http_request_duration_seconds_bucket", "{\"le\":\"+Inf\"}", ts, 1000 + 100 * i);
	}
	jv empty = jv_object();
	bi_metrics_keep(m, "api", "container_cpu_pct", empty, "gauge", T0 - 3600000, 42.5);
	bi_metrics_keep(m, "api", "container_mem_pct", empty, "gauge", T0 - 1000, NAN);
	bi_metrics_keep(m, "web", "up", empty, "gauge", T0, 1);

	int n = bi_metrics_derive(m, "api", T0, 60000, f);
	is_num(n, 6, "six figures: rates, three quantiles, the CPU");
	near(figure(f, n, "request_rate"), 13, 1e-9, "request rate: both names summed, 13/s");
	near(figure(f, n, "error_rate"), 3.0 / 13, 1e-9, "error rate: the 5xx share, 3 of 13");
	near(figure(f, n, "latency_p50_ms"), 100, 1e-9, "p50: 100 ms, at the top of the first bucket");
	near(figure(f, n, "latency_p95_ms"), 500, 1e-9, "p95: in +Inf, the highest finite bound");
	near(figure(f, n, "latency_p99_ms"), 500, 1e-9, "p99 too");
	is_num(figure(f, n, "cpu_pct"), 42.5, "CPU: the latest kept, older than the window");
	ok(isnan(figure(f, n, "mem_pct")), "memory: none, as the latest kept no value");
	is_str(f[0].unit, "req/s", "units");

	/* A shorter window sees fewer samples, and a window with one sample
	 * of a counter has no rate. */
	n = bi_metrics_derive(m, "api", T0, 30000, f);
	near(figure(f, n, "request_rate"), 13, 1e-9, "the last 30 s: the same rate");
	n = bi_metrics_derive(m, "api", T0 - 60000, 5000, f);
	ok(isnan(figure(f, n, "request_rate")) && isnan(figure(f, n, "latency_p50_ms")),
	   "one sample in the window: no rate, no quantile");
	n = bi_metrics_derive(m, "web", T0, 60000, f);
	is_num(n, 0, "a service with no requests: no figure");

	/* The samples themselves. */
	struct seen s = {0};
	static const char *const names[] = {"http_requests_total", "nope", NULL};
	bi_metrics_each_series(m, "api", names, T0 - 30000, T0, on_series, &s);
	is_num(s.series, 2, "each series: two of the name");
	is_num(s.samples, 8, "... with the samples in the window");
	is_str(s.labels, "{\"path\":\"/\",\"status\":\"200\"} {\"path\":\"/\",\"status\":\"500\"}",
	       "... told apart by their labels, whatever their order");
	ok(s.first == T0 - 30000 && s.last == T0, "... oldest first");
	keep("api", "http_requests_total", "{\"status\":\"200\",\"path\":\"/\"}", T0, 1600);
	memset(&s, 0, sizeof s);
	bi_metrics_each_series(m, "api", names, T0, T0, on_series, &s);
	is_num(s.samples, 2, "a sample at the same time replaces the first");
	memset(&s, 0, sizeof s);
	bi_metrics_each_sample(m, "api", T0 - 1000, on_sample, &s);
	ok(s.samples == 7 && s.nan == 1 && s.first == T0 - 1000, "each sample: since a time, NaN kept as NaN");
	memset(&s, 0, sizeof s);
	bi_metrics_each_sample(m, NULL, T0, on_sample, &s);
	is_num(s.samples, 7, "... of any service");

	jv svcs = bi_metrics_services(m, NULL);
	jv one = bi_metrics_services(m, "web");
	jv none = bi_metrics_services(m, "db");
	ok(jv_array_length(jv_copy(svcs)) == 2 && jv_array_length(jv_copy(one)) == 1 &&
	   jv_array_length(jv_copy(none)) == 0, "services, or only one");
	jv first = jv_array_get(svcs, 0);
	is_str(jv_string_value(first), "api", "... sorted");
	jv_free(first);
	jv_free(one);
	jv_free(none);

	/* Retention: by age, then by size; a bad size deletes nothing. */
	bi_metrics_keep(m, "ghost", "derived:request_rate", empty, "gauge", T0 - 7200000, 13);
	bi_metrics_keep(m, "old", "up", empty, "gauge", T0 - 7200000, 1);
	jv cfg = jv_parse("{\"metrics\":{\"retention\":{\"max_size\":\"lots\"}}}");
	ok(bi_metrics_retain(m, cfg, T0, err, sizeof err) == -1 &&
	   !strcmp(err, "blissful-infra.yaml: metrics.retention.max_size: not a size: lots"), "a bad max_size: %s", err);
	jv_free(cfg);
	memset(&s, 0, sizeof s);
	bi_metrics_each_sample(m, NULL, 0, on_sample, &s);
	is_num(s.samples, 7 * 6 + 3 + 2, "... and nothing deleted");
	cfg = jv_parse("{\"metrics\":{\"retention\":{\"max_age\":\"45s\"}}}");
	ok(bi_metrics_retain(m, cfg, T0, err, sizeof err) == 0, "retention by age");
	jv_free(cfg);
	memset(&s, 0, sizeof s);
	bi_metrics_each_sample(m, NULL, 0, on_sample, &s);
	ok(s.samples == 5 * 6 + 2 && s.first == T0 - 40000, "... keeps the last 45 s (%d samples)", s.samples);
	n = bi_metrics_derive(m, "api", T0, 60000, f);
	ok(isnan(figure(f, n, "cpu_pct")), "... and a stat older than that is gone");
	svcs = bi_metrics_services(m, NULL);
	jv d = jv_dump_string(svcs, 0);
	is_str(jv_string_value(d), "[\"api\",\"ghost\",\"web\"]", "... a series left without samples goes, bar a derived one");
	jv_free(d);
	cfg = jv_parse("{\"metrics\":{\"retention\":{\"max_size\":\"1KB\"}}}");
	ok(bi_metrics_retain(m, cfg, T0, err, sizeof err) == 0, "retention by size");
	jv_free(cfg);
	memset(&s, 0, sizeof s);
	bi_metrics_each_sample(m, NULL, 0, on_sample, &s);
	ok(s.samples > 0 && s.first == T0, "... drops the oldest until the newest alone are left");

	/* Alerts: fire, change severity, resolve; a cooldown against flapping. */
	cfg = jv_object();
	is_num(judge(cfg, "error_rate", 0.005, T0, buf, sizeof buf), 0, "under the warning: nothing");
	is_num(judge(cfg, "error_rate", 0.02, T0, buf, sizeof buf), 1, "past the warning: fired");
	is_str(buf, "firing warning 0.01", "... as a warning");
	is_num(judge(cfg, "error_rate", 0.03, T0 + 1000, buf, sizeof buf), 0, "still past it: nothing new");
	is_str(buf, "", "... and no record");
	is_num(judge(cfg, "error_rate", 0.2, T0 + 2000, buf, sizeof buf), 0, "past the critical: not a new alert");
	is_str(buf, "firing critical 0.05", "... but critical now");
	is_num(judge(cfg, "cpu_pct", 10, T0 + 2500, buf, sizeof buf) + (int)strlen(buf), 0,
	       "another figure leaves it as it is");
	jv active = bi_metrics_alerts(m);
	jv a = jv_array_get(jv_copy(active), 0);
	ok(jv_array_length(active) == 1 && !strcmp(bi_get_str(a, "severity"), "critical") &&
	   bi_get_num(a, "value", 0) == 0.2 && !strcmp(bi_get_str(a, "ts"), "2026-11-24T00:26:40.000Z"),
	   "the alerts firing, since when");
	int64_t id = (int64_t)bi_get_num(a, "id", 0);
	jv_free(a);
	ok(bi_metrics_ack(m, id) == 0 && bi_metrics_ack(m, id + 100) == -1, "ack: one there, one not");
	active = bi_metrics_alerts(m);
	a = jv_array_get(active, 0);
	ok(jv_get_kind(jv_object_get(jv_copy(a), jv_string("acked"))) == JV_KIND_TRUE, "... acknowledged");
	jv_free(a);
	is_num(judge(cfg, "error_rate", 0.001, T0 + 3000, buf, sizeof buf), 0, "back under: resolved");
	is_str(buf, "resolved critical 0.05", "... at the severity it had");
	is_num(judge(cfg, "error_rate", 0.5, T0 + 30000, buf, sizeof buf) + (int)strlen(buf), 0,
	       "within the cooldown: held back");
	is_num(judge(cfg, "error_rate", 0.5, T0 + 64000, buf, sizeof buf), 1, "after it: fires again");
	jv_free(cfg);

	/* Reminders: every alerts.repeat while it fires unacknowledged. */
	cfg = jv_parse("{\"alerts\":{\"repeat\":\"10s\"}}");
	judge(cfg, "error_rate", 0.5, T0 + 70000, buf, sizeof buf);
	is_str(buf, "", "firing, before alerts.repeat: nothing told");
	judge(cfg, "error_rate", 0.5, T0 + 74000, buf, sizeof buf);
	is_str(buf, "firing critical 0.05 again", "after it: told again, as a repeat");
	judge(cfg, "error_rate", 0.5, T0 + 80000, buf, sizeof buf);
	is_str(buf, "", "and not again until alerts.repeat has passed since");
	judge(cfg, "error_rate", 0.5, T0 + 84500, buf, sizeof buf);
	is_str(buf, "firing critical 0.05 again", "then again");
	active = bi_metrics_alerts(m);
	a = jv_array_get(active, 0);
	bi_metrics_ack(m, (int64_t)bi_get_num(a, "id", 0));
	jv_free(a);
	judge(cfg, "error_rate", 0.5, T0 + 200000, buf, sizeof buf);
	is_str(buf, "", "acknowledged: never told again");
	jv_free(cfg);
	cfg = jv_parse("{\"alerts\":{\"p95_ms\":{\"warning\":800,\"critical\":900},\"cooldown\":\"1s\"}}");
	ok(judge(cfg, "latency_p95_ms", 700, T0, buf, sizeof buf) == 0 &&
	   judge(cfg, "latency_p95_ms", 950, T0, buf, sizeof buf) == 1 && !strcmp(buf, "firing critical 900"),
	   "thresholds from the configuration");
	jv_free(cfg);

	jv_free(empty);
	bi_metrics_close(m);
	sqlite3_close(db);
	char *wal = bi_asprintf("%s-wal", path), *shm = bi_asprintf("%s-shm", path);
	unlink(path);
	unlink(wal);
	unlink(shm);
	rmdir(dir);
	free(wal);
	free(shm);
	free(path);
	return done();
}
