/*
 * bi-metrics: what the project's services are doing, in numbers.
 *
 *   bi-metrics scrape [-i DUR] [-n N] [TARGET...]   scrape, keep, derive, alert
 *   bi-metrics query [--window DUR]                 derived figures from history
 *   bi-metrics query --prometheus URL 'PROMQL'      a real Prometheus's answer
 *   bi-metrics export --format csv|json [--window]  the raw samples of a window
 *   bi-metrics parse [FILE]                         exposition text to records
 *   bi-metrics alerts | ack ID                      the active alerts; acknowledge
 *
 * Targets are Prometheus endpoints (URLs, or NAME=URL) or, by default, the
 * services of blissful-infra.yaml with a metrics path; container stats come
 * from Docker. Samples go to the project database and are kept by
 * metrics.retention (age and size); figures are derived from them over a
 * window as PromQL would, and alerts raised on them (lib/engines/metrics.c keeps the
 * history and judges the alerts, lib/engines/scrape.c runs the rounds; this
 * tool reads the command line and writes). Alerts fire and resolve as
 * `alert` records.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/promapi.h"
#include "sources/store.h"
#include "engines/prom.h"
#include "engines/metrics.h"
#include "engines/scrape.h"

static const char usage[] =
	"usage: bi-metrics scrape [-i DUR] [-n COUNT] [--raw] [--no-docker] [TARGET...]\n"
	"       bi-metrics query [--window DUR] [--service S]\n"
	"       bi-metrics query --prometheus URL [--time T | --start T --step DUR [--end T]] PROMQL\n"
	"       bi-metrics query --prometheus URL [--window DUR] [--service S]\n"
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
	"      --check        parse: only check it, as promtool does: stop at the first\n"
	"                     error; else one record with the count\n"
	"      --prometheus URL  query: ask this Prometheus (its HTTP API) instead\n"
	"      --time T       an instant query at T (default now)\n"
	"      --start T, --end T, --step DUR\n"
	"                     a range query from T to T (default now) every DUR;\n"
	"                     T is RFC 3339, Unix seconds, now, or -DUR (ago)\n"
	"      --db PATH      the database (default $BI_DB or .blissful-infra/bi.db)\n"
	"  -h, --help         show this help\n"
	"      --version      show the version\n"
	"Exit: 0, 1 an alert fired (scrape), 2 usage or bad input (a query Prometheus\n"
	"refused), 3 no target answered (Prometheus unreachable or failing).\n";

static sqlite3 *db;
static bi_metrics *hist;
static jv cfg;
static int64_t window_ms = 60000;
static const char *only_service;

static int64_t
now_ms(void)
{
	return bi_now_ns() / BI_NS_PER_MS;
}

static void
out(void *ctx, jv rec)
{
	(void)ctx;
	bi_write(rec);
}

static void
round_done(void *ctx)
{
	(void)ctx;
	bi_write_flush();
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

/* Scrape the targets given (by default the configuration's) and the
 * containers' stats, every interval (lib/engines/scrape.c). */
static int
cmd_scrape(char **args, int nargs, int64_t interval, long count, int raw, int docker)
{
	bi_scrape s = {.db = db, .hist = hist, .cfg = cfg, .interval = interval, .count = count,
		       .window_ms = window_ms, .only = only_service, .raw = raw, .docker = docker,
		       .stop = &stop, .out = out, .round_done = round_done};
	struct sigaction sa = {.sa_handler = on_signal};
	char err[1024];

	for (int i = 0; i < nargs; i++)
		if (bi_scrape_add(&s, args[i], err, sizeof err))
			bi_die(BI_EXIT_USAGE, "%s", err);
	if (s.ntargets == 0)
		bi_scrape_discover(&s);
	if (s.ntargets == 0 && !docker)
		bi_die(BI_EXIT_USAGE, "nothing to scrape: give a URL, or run in a project whose "
		       "blissful-infra.yaml names its services' metrics");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (bi_scrape_run(&s, err, sizeof err))
		bi_die(s.local ? BI_EXIT_LOCAL : BI_EXIT_USAGE, "%s", err);
	int r = s.ntargets > 0 && s.answered == 0 ? BI_EXIT_UNREACHABLE :
		s.fired ? BI_EXIT_FAIL : BI_EXIT_OK;
	bi_scrape_free(&s);
	return r;
}

static int
cmd_query(void)
{
	int64_t end = now_ms();
	jv svcs = bi_metrics_services(hist, only_service);

	jv_array_foreach(svcs, i, s) {
		bi_metrics_figure f[BI_METRICS_FIGURES];
		int nf = bi_metrics_derive(hist, jv_string_value(s), end, window_ms, f);
		for (int k = 0; k < nf; k++)
			bi_write(bi_scrape_figure_record(jv_string_value(s), &f[k], end, window_ms));
		jv_free(s);
	}
	jv_free(svcs);
	bi_write_flush();
	return BI_EXIT_OK;
}

/* The figures `query` derives from the database, asked of a real
 * Prometheus instead, per job (its service), over the window: the same
 * names, units and computations, in PromQL (lib/engines/metrics.c). */
static int promql(bi_promapi_req *q, jv *recs);

static int
cmd_prom_figures(bi_promapi_req *q)
{
	char w[32], expr[1200];

	bi_dur_fmt(window_ms * BI_NS_PER_MS, w, sizeof w);
	const char *name, *unit;
	for (int i = 0; bi_metrics_promql(i, w, expr, sizeof expr, &name, &unit); i++) {
		jv recs;
		q->expr = expr;
		int r = promql(q, &recs);
		if (r != BI_EXIT_OK)
			return r;
		jv_array_foreach(recs, k, rec) {
			jv labels = jv_object_get(jv_copy(rec), jv_string("labels"));
			const char *job = bi_get_str(labels, "job");
			if (!only_service || (job && !strcmp(job, only_service)))
				bi_write(bi_promapi_figure_record(rec, name, unit, w));
			jv_free(labels);
			jv_free(rec);
		}
		jv_free(recs);
	}
	bi_write_flush();
	return BI_EXIT_OK;
}

/* A PromQL query to a real Prometheus: its samples as records; its own
 * error as one line. */
static int
cmd_promql(bi_promapi_req *q)
{
	jv recs;
	int r = promql(q, &recs);

	jv_array_foreach(recs, i, rec)
		bi_write(rec);
	jv_free(recs);
	bi_write_flush();
	return r;
}

/* Ask, say Prometheus's warnings and error; *recs the samples. */
static int
promql(bi_promapi_req *q, jv *recs)
{
	char err[1024], tb[3][32];
	jv warnings;

	q->time = bi_promapi_time(q->time, tb[0], sizeof tb[0]);
	q->start = bi_promapi_time(q->start, tb[1], sizeof tb[1]);
	q->end = bi_promapi_time(q->end ? q->end : q->start ? "now" : NULL, tb[2], sizeof tb[2]);
	int r = bi_promapi_query(q, recs, &warnings, err, sizeof err);
	jv_array_foreach(warnings, i, w) {
		bi_warn("prometheus: warning: %s", jv_string_value(w));
		jv_free(w);
	}
	jv_free(warnings);
	if (r == BI_PROMAPI_BAD_QUERY)
		bi_warn("prometheus refused the query: %s", err);
	else if (r != BI_PROMAPI_OK)
		bi_warn("prometheus unreachable: %s", err);
	return r == BI_PROMAPI_OK ? BI_EXIT_OK : r == BI_PROMAPI_BAD_QUERY ? BI_EXIT_USAGE :
		BI_EXIT_UNREACHABLE;
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

static void
export_csv(void *ctx, const char *svc, const char *name, const char *labels, int64_t t, double v)
{
	char ts[BI_TS_LEN];

	(void)ctx;
	printf("%s,", bi_ts_fmt(t * BI_NS_PER_MS, ts));
	csv_field(svc);
	putchar(',');
	csv_field(name);
	putchar(',');
	csv_field(labels);
	if (isnan(v))
		puts(",NaN");
	else
		printf(",%.17g\n", v);
}

static void
export_json(void *ctx, const char *svc, const char *name, const char *labels, int64_t t, double v)
{
	char ts[BI_TS_LEN];
	jv r = bi_record("metric");

	(void)ctx;
	r = bi_set(r, "ts", jv_string(bi_ts_fmt(t * BI_NS_PER_MS, ts)));
	r = bi_set(r, "service", jv_string(svc));
	r = bi_set(r, "name", jv_string(name));
	r = bi_set(r, "labels", jv_parse(labels));
	r = bi_set(r, "value", isnan(v) ? jv_string("NaN") : jv_number(v));
	bi_write(r);
}

static int
cmd_export(const char *format)
{
	int csv = !strcmp(format, "csv");
	if (!csv && strcmp(format, "json"))
		bi_die(BI_EXIT_USAGE, "--format: csv or json, not %s", format);
	if (csv)
		puts("ts,service,name,labels,value");
	bi_metrics_each_sample(hist, only_service, now_ms() - window_ms, csv ? export_csv : export_json,
			       NULL);
	bi_write_flush();
	return BI_EXIT_OK;
}

static int
cmd_alerts(void)
{
	jv alerts = bi_metrics_alerts(hist);

	jv_array_foreach(alerts, i, a)
		bi_write(a);
	jv_free(alerts);
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
	if (bi_metrics_ack(hist, id)) {
		if (bi_metrics_error(hist))
			bi_die(BI_EXIT_LOCAL, "database: %s", bi_metrics_error(hist));
		bi_die(BI_EXIT_USAGE, "no alert %lld", id);
	}
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

	bi_write(bi_scrape_sample_record(NULL, s, s->ts_ms >= 0 ? s->ts_ms : o->ts));
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
	/* --check reads as promtool does, and its first error is the answer. */
	long n = bi_prom_parse(text, len, (om ? BI_PROM_OM : 0) |
			       (o.check ? BI_PROM_NO_LABELS | BI_PROM_STRICT : 0),
			       o.check ? count_sample : print_sample, parse_bad, &o);
	free(text);
	if (check && n < 0)
		return BI_EXIT_USAGE;
	if (check) {
		jv r = bi_record("metric");
		r = bi_set(r, "name", jv_string("exposition_samples"));
		r = bi_set(r, "labels", bi_set(jv_object(), "file", jv_string(path ? path : "stdin")));
		r = bi_set(r, "value", jv_number((double)o.n));
		r = bi_set(r, "bad_lines", jv_number(o.bad));
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
		{"prometheus", required_argument, NULL, 'P'},
		{"time", required_argument, NULL, 'T'},
		{"start", required_argument, NULL, 'S'},
		{"end", required_argument, NULL, 'e'},
		{"step", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int64_t interval = 0, w;
	long count = 0;
	int raw = 0, docker = 1, om = 0, check = 0, c;
	const char *format = NULL, *dbpath = NULL, *ack = NULL;
	bi_promapi_req pq = {0};
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
		case 'P': pq.base = optarg; break;
		case 'T': pq.time = optarg; break;
		case 'S': pq.start = optarg; break;
		case 'e': pq.end = optarg; break;
		case 'p': pq.step = optarg; break;
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
	if ((pq.time || pq.start || pq.end || pq.step) && !pq.base)
		bi_usage_error(usage, "--time, --start, --end and --step go with --prometheus");
	if (pq.base) {
		if (strcmp(cmd, "query"))
			bi_usage_error(usage, "--prometheus goes with query");
		if (optind + 1 < argc || (optind < argc && !*argv[optind]))
			bi_usage_error(usage, "query --prometheus: one PromQL expression, or none");
		if ((pq.start || pq.end || pq.step) && (!pq.start || !pq.step || pq.time || optind == argc))
			bi_usage_error(usage, "a range query: --start and --step (and --end), not --time, and PROMQL");
		if (optind == argc)
			return cmd_prom_figures(&pq);
		pq.expr = argv[optind];
		return cmd_promql(&pq);
	}
	cfg = bi_config();
	char *path = dbpath ? bi_strdup(dbpath) : bi_store_path();
	char err[512];
	db = bi_store_open(path, err, sizeof err);
	if (!db)
		bi_die(BI_EXIT_LOCAL, "database: %s", err);
	free(path);
	hist = bi_metrics_open(db);
	int r;
	if (!strcmp(cmd, "scrape")) {
		r = cmd_scrape(argv + optind, argc - optind, interval, count, raw, docker);
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
	if (bi_metrics_error(hist))	/* a read that failed showed nothing */
		bi_die(BI_EXIT_LOCAL, "database: %s", bi_metrics_error(hist));
	bi_metrics_close(hist);
	sqlite3_close(db);
	jv_free(cfg);
	return r;
}
