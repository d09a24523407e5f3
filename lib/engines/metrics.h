/* engines/metrics.h: the interface of metrics.c (layer: engines). */
#ifndef BI_ENGINES_METRICS_H
#define BI_ENGINES_METRICS_H

#include <jv.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Metric history in a database with bi_store_open's schema: samples kept by
 * series (a service, a name and its labels), figures derived from a window
 * of them as PromQL would, and alerts on those figures. Times are in ms
 * since the epoch. A database error does not end the process: the first
 * one is kept, later calls do nothing (reads give nothing, writes fail),
 * and bi_metrics_error says what it was. The writer's transactions are the
 * caller's (bi_sql_begin/commit around a scrape's samples). */
typedef struct bi_metrics bi_metrics;

/* The history in db (borrowed: it must outlive it; closing it is the
 * caller's). bi_metrics_close does not close db. */
bi_metrics *bi_metrics_open(sqlite3 *db);
void bi_metrics_close(bi_metrics *m);

/* The first database error ("what: SQLite's message"), or NULL while none. */
const char *bi_metrics_error(const bi_metrics *m);

/* Keep a sample of the series (service, name, labels): labels (borrowed)
 * an object, told apart by its dump with sorted keys; type (counter, gauge
 * ...) recorded when the series is new. NaN is kept as no value; a second
 * sample of a series at the same time replaces the first. 0, or -1 on a
 * database error. */
int bi_metrics_keep(bi_metrics *m, const char *service, const char *name, jv labels,
		     const char *type, int64_t ts, double value);

/* Retention by cfg's metrics.retention (borrowed): samples older than
 * max_age (default 7d) before now go; then, while the database holds more
 * than max_size (default 10MB), the oldest tenth of the time kept goes;
 * then the series left without samples, bar derived ones. 0, or -1 with
 * the reason in err when max_size is not a size (nothing is deleted). */
int bi_metrics_retain(bi_metrics *m, jv cfg, int64_t now, char *err, size_t errlen);

/* Every series of service named one of names (NULL-terminated), in the
 * order of names, that has samples in [start, end]: fn gets its labels
 * (borrowed) and those samples, oldest first (NaN where none was kept). */
typedef void bi_metrics_series_fn(void *ctx, jv labels, const int64_t *t, const double *v, int n);
void bi_metrics_each_series(bi_metrics *m, const char *service, const char *const *names,
			    int64_t start, int64_t end, bi_metrics_series_fn *fn, void *ctx);

/* Every sample at or after since, of service (NULL: of any), oldest first:
 * fn gets its series (labels as their JSON text), time and value (NaN
 * where none was kept); the strings are valid during the call only. */
typedef void bi_metrics_sample_fn(void *ctx, const char *service, const char *name,
				  const char *labels, int64_t ts, double value);
void bi_metrics_each_sample(bi_metrics *m, const char *service, int64_t since,
			    bi_metrics_sample_fn *fn, void *ctx);

/* The services with a series, sorted; only the one named only, when not NULL. */
jv bi_metrics_services(bi_metrics *m, const char *only);

/* A derived figure: name (request_rate, error_rate, latency_p50_ms,
 * latency_p95_ms, latency_p99_ms, cpu_pct, mem_bytes, mem_pct) and unit are
 * static strings. */
typedef struct bi_metrics_figure {
	const char *name, *unit;
	double value;
} bi_metrics_figure;
#define BI_METRICS_FIGURES 8	/* the most bi_metrics_derive gives */

/* The figures of service over the window of that many ms ending at end,
 * into f: request rate (the rate() of its request counters, summed) and
 * error rate (the share of 5xx) when it counts requests, latency quantiles
 * from its duration histogram (histogram_quantile of the bucket rates, in
 * ms) when it has one, and the latest container stats kept at any time.
 * Request and duration series go by the common names
 * (http_requests_total, http_request_duration_seconds_bucket) or
 * Micrometer's (http_server_requests_seconds_count, _bucket). Returns how
 * many. */
int bi_metrics_derive(bi_metrics *m, const char *service, int64_t end, int64_t window,
		      bi_metrics_figure *f);

/* The PromQL that computes the i-th of bi_metrics_derive's figures from
 * Prometheus's history (0 to 4: request rate, error rate, p50, p95, p99,
 * from the same series, by job) over window ("20s", as PromQL writes it),
 * into buf; its name and unit. NULL past the last. */
const char *bi_metrics_promql(int i, const char *window, char *buf, size_t n, const char **name,
			      const char **unit);

/* Compare the figures of service at now with their thresholds: cfg's
 * (borrowed) alerts.KEY.warning and .critical, KEY one of cpu_pct, mem_pct
 * (defaults 80 and 95), error_rate (0.01, 0.05), p95_ms (500) and p99_ms
 * (1000). An alert fires when a figure reaches a threshold, changes
 * severity in place while it stays above, and resolves when the figure is
 * back under the warning; a figure not given leaves its alert as it is. One
 * that resolved does not fire again within alerts.cooldown (default 60s).
 * One that fires on, unacknowledged, is told again every alerts.repeat
 * (default 1h; 0: never), as a record with "repeat": true; acknowledged
 * (bi_metrics_ack), it is not. Returns the `alert` records of what changed
 * or is told again, in that order; *fired gets how many fired anew. */
jv bi_metrics_evaluate(bi_metrics *m, jv cfg, const char *service, const bi_metrics_figure *f,
		       int nf, int64_t now, int *fired);

/* The alerts firing, as `alert` records, the oldest first. */
jv bi_metrics_alerts(bi_metrics *m);

/* Acknowledge an alert: 0, or -1 when there is no alert id (or on a
 * database error: see bi_metrics_error). */
int bi_metrics_ack(bi_metrics *m, int64_t id);

#endif
