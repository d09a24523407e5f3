/* test-scrape: the scrape engine against a small HTTP server: targets from
 * arguments and from the configuration, samples kept and written, a target
 * down told once and back told once, the stop flag, the records of a round
 * given before the retention's complaint, and the records' shapes. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/store.h"
#include "engines/prom.h"
#include "engines/metrics.h"
#include "engines/scrape.h"
#include "httpd.h"
#include "tap.h"

static volatile int status = 200;

static int
handler(const char *head, const char *body, char *out, size_t n)
{
	(void)body;
	if (strncmp(head, "GET /metrics ", 13))
		return snprintf(out, n, "no such page\n"), 404;
	snprintf(out, n, "# TYPE http_requests_total counter\n"
		 "http_requests_total{status=\"200\"} 10\n"
		 "this is { not a sample\n"
		 "temp_ratio +Inf\n");
	return status;
}

struct seen {
	jv recs;
	int rounds;
};

static void
collect(void *ctx, jv rec)
{
	struct seen *s = ctx;
	s->recs = jv_array_append(s->recs, rec);
}

static void
round_done(void *ctx)
{
	((struct seen *)ctx)->rounds++;
}

/* The records seen of kind, as "field=value" of the fields named that they
 * have, joined by "; "; the records are then forgotten. */
static const char *
show(struct seen *s, const char *kind, const char *const *fields, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = '\0';
	jv_array_foreach(s->recs, i, r) {
		const char *rk = bi_get_str(r, "kind");
		if (rk && !strcmp(rk, kind)) {
			for (int f = 0; fields[f]; f++) {
				jv v = jv_object_get(jv_copy(r), jv_string(fields[f]));
				if (!jv_is_valid(v)) {	/* not there */
					jv_free(v);
					continue;
				}
				jv d = jv_dump_string(v, JV_PRINT_SORTED);
				k += (size_t)snprintf(buf + k, len - k, "%s%s=%s", k ? (f ? " " : "; ") : "",
						      fields[f], jv_string_value(d));
				jv_free(d);
			}
		}
		jv_free(r);
	}
	jv_free(s->recs);
	s->recs = jv_array();
	return buf;
}

struct count {
	const char *name;
	int n;
};

static void
on_sample(void *ctx, const char *service, const char *name, const char *labels, int64_t ts, double v)
{
	struct count *c = ctx;
	(void)service, (void)labels, (void)ts, (void)v;
	c->n += !strcmp(name, c->name);
}

int
main(void)
{
	char dir[] = "/tmp/bi-test-scrape-XXXXXX", err[1024], buf[2048], url[128];
	static const char *const health_f[] = {"service", "ok", "status", "msg", NULL};
	static const char *const metric_f[] = {"service", "name", "labels", "value", NULL};
	volatile sig_atomic_t stop = 0;

	plan(26);
	bi_init("test-scrape");
	if (!mkdtemp(dir))
		return 1;
	char *path = bi_asprintf("%s/bi.db", dir);
	sqlite3 *db = bi_store_open(path, err, sizeof err);
	if (!db)
		return printf("Bail out! %s\n", err), 1;
	bi_metrics *m = bi_metrics_open(db);
	int port = httpd_start(handler);
	if (port < 0)
		return printf("Bail out! no server\n"), 1;
	struct seen seen = {jv_array(), 0};
	jv cfg = jv_parse("{\"name\":\"p\",\"services\":{\"app\":{\"port\":8080,\"metrics\":\"/metrics\"},"
			  "\"db\":{\"port\":5432}}}");

	/* Targets. */
	bi_scrape s = {.db = db, .hist = m, .cfg = cfg, .window_ms = 60000, .stop = &stop,
		       .out = collect, .round_done = round_done, .ctx = &seen};
	ok(bi_scrape_add(&s, "ftp://x", err, sizeof err) == -1 && s.ntargets == 0, "not a URL: refused");
	is_str(err, "not a URL: ftp://x", "and told");
	ok(bi_scrape_add(&s, "http://127.0.0.1:9/m?a=b", err, sizeof err) == 0, "a URL");
	is_str(s.targets[0].service, "127.0.0.1:9", "named by its host and port");
	ok(bi_scrape_add(&s, "web=http://x/a=b", err, sizeof err) == 0, "NAME=URL");
	is_str(s.targets[1].service, "web", "named by NAME");
	is_str(s.targets[1].url, "http://x/a=b", "an = in the URL stays in it");
	bi_scrape_free(&s);
	unsetenv("APP_PORT");
	bi_scrape_discover(&s);
	ok(s.ntargets == 1, "the configuration's services with a metrics path: %d", s.ntargets);
	is_str(s.ntargets ? s.targets[0].url : NULL, "http://127.0.0.1:8080/metrics", "at 127.0.0.1");
	bi_scrape_free(&s);
	setenv("APP_PORT", "9999", 1);
	bi_scrape_discover(&s);
	is_str(s.ntargets ? s.targets[0].url : NULL, "http://127.0.0.1:9999/metrics", "APP_PORT moves the app's");
	bi_scrape_free(&s);

	/* A round, every sample written. */
	snprintf(url, sizeof url, "api=http://127.0.0.1:%d/metrics", port);
	bi_scrape_add(&s, url, err, sizeof err);
	s.raw = 1;
	err[0] = '\0';
	ok(bi_scrape_run(&s, err, sizeof err) == 0 && seen.rounds == 1, "one round: %s", err);
	is_str(show(&seen, "metric", metric_f, buf, sizeof buf),
	       "service=\"api\" name=\"http_requests_total\" labels={\"status\":\"200\"} value=10; "
	       "service=\"api\" name=\"temp_ratio\" labels={} value=\"+Inf\"", "its samples, +Inf as a string");
	ok(s.answered == 1 && s.fired == 0, "answered, nothing fired");
	struct count c = {"http_requests_total", 0};
	bi_metrics_each_sample(m, "api", 0, on_sample, &c);
	ok(c.n == 1, "the sample kept: %d", c.n);
	c = (struct count){"up", 0};
	bi_metrics_each_sample(m, "api", 0, on_sample, &c);
	ok(c.n == 1, "and up: %d", c.n);

	/* Down, down again, back: told twice. Two rounds without a wait. */
	status = 500;
	s.count = 2;
	ok(bi_scrape_run(&s, err, sizeof err) == 0 && seen.rounds == 3, "two rounds down");
	is_str(show(&seen, "health", health_f, buf, sizeof buf),
	       "service=\"api\" ok=false status=500 msg=\"HTTP 500\"", "down told once");
	ok(s.answered == 1, "nothing answered: %d", s.answered);
	status = 200;
	s.count = 1;
	bi_scrape_run(&s, err, sizeof err);
	is_str(show(&seen, "health", health_f, buf, sizeof buf),
	       "service=\"api\" ok=true status=200", "back told");
	ok(s.answered == 2, "answered again");

	/* Stopped: no round begins. */
	stop = 1;
	s.interval = 60 * BI_NS_PER_S;
	s.count = 0;
	ok(bi_scrape_run(&s, err, sizeof err) == 0 && seen.rounds == 4 && s.answered == 2, "stopped: no round");
	stop = 0;
	s.interval = 0;

	/* The retention refuses its setting after the round's records are out. */
	jv bad = jv_parse("{\"metrics\":{\"retention\":{\"max_size\":\"lots\"}}}");
	s.cfg = bad;
	ok(bi_scrape_run(&s, err, sizeof err) == -1 && !s.local, "a bad max_size: %s", err);
	ok(seen.rounds == 4 && jv_array_length(jv_copy(seen.recs)) > 0, "the round's records were given");
	s.cfg = cfg;
	jv_free(bad);
	bi_scrape_free(&s);

	/* The records' shapes. */
	bi_metrics_figure f = {"latency_p95_ms", "ms", 12.34567891};
	jv r = bi_scrape_figure_record("api", &f, INT64_C(1795480000000), 300000);
	jv d = jv_dump_string(jv_copy(r), JV_PRINT_SORTED);
	ok(strstr(jv_string_value(d), "\"labels\":{\"window\":\"5m\"}") != NULL, "a figure's window: %s",
	   jv_string_value(d));
	is_num(bi_get_num(r, "value", -1), 12.345679, "rounded to 1e-6");
	jv_free(d);
	jv_free(r);
	bi_prom_sample p = {.name = "x", .labels = jv_object(), .type = "gauge", .value = NAN, .ts_ms = -1};
	r = bi_scrape_sample_record(NULL, &p, 0);
	ok(!jv_object_has(jv_copy(r), jv_string("service")) && !strcmp(bi_get_str(r, "value"), "NaN"),
	   "a sample of no service, NaN as a string");
	jv_free(r);
	jv_free(p.labels);

	jv_free(seen.recs);
	jv_free(cfg);
	bi_metrics_close(m);
	sqlite3_close(db);
	unlink(path);
	char *wal = bi_asprintf("%s-wal", path), *shm = bi_asprintf("%s-shm", path);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	free(path);
	rmdir(dir);
	return done();
}
