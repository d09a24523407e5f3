/*
 * bi-perf: an HTTP/1.1 load generator with k6's features at wrk's speed.
 *
 * Drives a target with virtual users (closed model, ramped by --stage) or at a
 * constant arrival rate (-R, open model, latency timed from the scheduled
 * moment so that stalls are not hidden), over weighted endpoints from the
 * command line or a scenario file (read, and made into request bytes once,
 * by lib/engines/endpoint.c). The engine is lib/engines/load.c. Writes a
 * `perf_point` record per second and a `perf_summary` at the end, with each
 * threshold (k6 syntax) and whether it held; exit 1 when one did not.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "engines/hist.h"
#include "engines/load.h"
#include "engines/endpoint.h"
#include "engines/threshold.h"
static const char usage[] =
	"usage: bi-perf [options] URL\n"
	"       bi-perf [options] --scenario FILE [URL]\n"
	"Load-test an HTTP service; a perf_point record per second, a perf_summary at the end.\n"
	"\n"
	"  -u, --vus N          virtual users, each sending as soon as answered (default 10)\n"
	"      --stage DUR:N    ramp to N VUs over DUR (repeatable; replaces --vus and -d)\n"
	"  -R, --rate N         open model: N requests per second, whatever the latency\n"
	"  -c, --connections N  connections for --rate (default 50)\n"
	"  -d, --duration DUR   how long (default 10s)\n"
	"  -t, --threads N      event loops (default 2)\n"
	"      --think DUR      a VU's pause between requests (default 0)\n"
	"      --timeout DUR    per request (default 10s)\n"
	"  -m, --method M       request method (default GET)\n"
	"  -H, --header 'K: V'  a request header (repeatable)\n"
	"  -b, --body TEXT      a request body\n"
	"  -s, --scenario FILE  YAML or JSON: base_url, endpoints (method, path, headers,\n"
	"                       body, weight), stages, vus, rate, duration, thresholds\n"
	"      --threshold EXPR k6 syntax: 'http_req_duration: p(95)<500',\n"
	"                       'http_req_failed: rate<0.01' (repeatable)\n"
	"      --no-thresholds  none, not even the defaults\n"
	"  -q, --quiet          no perf_point records, no progress line\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Default thresholds: blissful-infra.yaml's perf.thresholds, else p95 < 500 ms,\n"
	"p99 < 1000 ms, error rate < 1%, avg < 200 ms.\n"
	"Exit: 0 all thresholds held, 1 one failed, 2 usage, 3 nothing answered at all,\n"
	"4 the load could not be started (threads, sockets) or output failed.\n";

/* ---- the target and its requests ---- */

/* The target: an http:// URL, taken apart by base/addr.c's rules (a port
 * from 1 to 65535, an IPv6 address in brackets). */
static int
parse_target(const char *s, bi_url *u, char *err, size_t n)
{
	if (bi_url_parse(s, u, err, n) != 0)
		return -1;
	if (!strcmp(u->scheme, "https")) {
		snprintf(err, n, "https is not supported: %s (run against the service's plain HTTP port)", s);
		return -1;
	}
	if (strcmp(u->scheme, "http")) {
		snprintf(err, n, "not an http:// URL: %s", s);
		return -1;
	}
	if (!*u->host) {
		snprintf(err, n, "no host in %s", s);
		return -1;
	}
	if (!u->port)
		u->port = bi_url_default_port(u->scheme);
	if (!*u->path)
		strcpy(u->path, "/");
	return 0;
}

/* ---- thresholds ---- */

static bi_threshold *ths;
static int nths;

static void
add_threshold(const char *metric, const char *expr)
{
	char err[300];

	ths = bi_realloc(ths, (nths + 1) * sizeof *ths);
	if (bi_threshold_parse(&ths[nths], metric, expr, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "%s", err);
	nths++;
}

static void
default_thresholds(void)
{
	jv cfg = bi_config();
	char e[64];

	snprintf(e, sizeof e, "p(95)<%g", bi_jv_path_num(cfg, "perf.thresholds.p95_ms", 500));
	add_threshold("http_req_duration", e);
	snprintf(e, sizeof e, "p(99)<%g", bi_jv_path_num(cfg, "perf.thresholds.p99_ms", 1000));
	add_threshold("http_req_duration", e);
	snprintf(e, sizeof e, "rate<%g", bi_jv_path_num(cfg, "perf.thresholds.error_rate", 0.01));
	add_threshold("http_req_failed", e);
	snprintf(e, sizeof e, "avg<%g", bi_jv_path_num(cfg, "perf.thresholds.avg_ms", 200));
	add_threshold("http_req_duration", e);
	jv_free(cfg);
}

/* ---- output ---- */

static volatile int interrupted;	/* SIGINT or SIGTERM: end early */

/* Figures of each second, for the summary's spread (bi-compare tells noise
 * from a difference with them). */
enum { S_RPS, S_AVG, S_P95, S_P99, S_ERR, S_N };
static const char *const per_second_names[S_N] = {"rps", "avg_ms", "p95_ms", "p99_ms", "error_rate"};

struct run {
	const char *target;
	int quiet, tty;
	double *sec[S_N];
	int nsec;
};

static double
ms(double ns)
{
	return round(ns / 1e3) / 1e3;	/* to the microsecond */
}

static void
on_tick(void *ctx, int second, int vus, const bi_load_stats *s)
{
	struct run *r = ctx;

	double v[S_N] = {(double)s->requests, ms(bi_hist_mean(&s->latency)),
			 ms(bi_hist_quantile(&s->latency, 0.95)), ms(bi_hist_quantile(&s->latency, 0.99)),
			 s->requests ? (double)s->failed / s->requests : 0};
	for (int i = 0; i < S_N; i++) {
		r->sec[i] = bi_realloc(r->sec[i], (r->nsec + 1) * sizeof(double));
		r->sec[i][r->nsec] = v[i];
	}
	r->nsec++;
	if (r->quiet)
		return;
	jv p = bi_record("perf_point");
	p = bi_set(p, "target", jv_string(r->target));
	p = bi_set(p, "second", jv_number(second));
	p = bi_set(p, "vus", jv_number(vus));
	p = bi_set(p, "requests", jv_number((double)s->requests));
	p = bi_set(p, "rps", jv_number((double)s->requests));
	p = bi_set(p, "errors", jv_number((double)s->failed));
	p = bi_set(p, "p50_ms", jv_number(ms(bi_hist_quantile(&s->latency, 0.50))));
	p = bi_set(p, "p95_ms", jv_number(ms(bi_hist_quantile(&s->latency, 0.95))));
	p = bi_set(p, "p99_ms", jv_number(ms(bi_hist_quantile(&s->latency, 0.99))));
	bi_write(p);
	if (r->tty)
		fprintf(stderr, "\r%5ds  vus %-5d %8.0f req/s  p95 %8.2f ms  errors %5.1f%%   ", second,
			vus, (double)s->requests, bi_hist_quantile(&s->latency, 0.95) / 1e6,
			s->requests ? 100.0 * s->failed / s->requests : 0.0);
}

static jv
summary(const struct run *r, const bi_load_stats *s, const bi_load_conf *c,
	const bi_endpoint *eps, int neps, double secs)
{
	const bi_hist *h = &s->latency;
	jv p = bi_record("perf_summary");

	p = bi_set(p, "target", jv_string(r->target));
	p = bi_set(p, "model", jv_string(c->rate > 0 ? "open" : "closed"));
	if (c->rate > 0)
		p = bi_set(p, "rate", jv_number(c->rate));
	p = bi_set(p, "threads", jv_number(c->threads));
	p = bi_set(p, "connections", jv_number(c->rate > 0 ? c->connections : 0));
	p = bi_set(p, "duration_s", jv_number(round(secs * 1000) / 1000));
	p = bi_set(p, "interrupted", jv_bool(interrupted));
	p = bi_set(p, "requests", jv_number((double)s->requests));
	p = bi_set(p, "rps", jv_number(round(s->requests / secs * 10) / 10));
	double mean = 0, var = 0;
	const double *rps = r->sec[S_RPS];
	for (int i = 0; i < r->nsec; i++)
		mean += rps[i];
	mean = r->nsec ? mean / r->nsec : 0;
	for (int i = 0; i < r->nsec; i++)
		var += (rps[i] - mean) * (rps[i] - mean);
	p = bi_set(p, "rps_stddev", jv_number(r->nsec > 1 ? round(sqrt(var / (r->nsec - 1)) * 10) / 10 : 0));
	jv per = jv_object();
	for (int k = 0; k < S_N; k++) {
		jv a = jv_array();
		for (int i = 0; i < r->nsec; i++)
			a = jv_array_append(a, jv_number(r->sec[k][i]));
		per = bi_set(per, per_second_names[k], a);
	}
	p = bi_set(p, "per_second", per);
	jv lat = jv_object();
	lat = bi_set(lat, "min", jv_number(ms(h->n ? (double)h->min : 0)));
	lat = bi_set(lat, "avg", jv_number(ms(bi_hist_mean(h))));
	lat = bi_set(lat, "p50", jv_number(ms(bi_hist_quantile(h, 0.50))));
	lat = bi_set(lat, "p90", jv_number(ms(bi_hist_quantile(h, 0.90))));
	lat = bi_set(lat, "p95", jv_number(ms(bi_hist_quantile(h, 0.95))));
	lat = bi_set(lat, "p99", jv_number(ms(bi_hist_quantile(h, 0.99))));
	lat = bi_set(lat, "p999", jv_number(ms(bi_hist_quantile(h, 0.999))));
	lat = bi_set(lat, "max", jv_number(ms((double)h->max)));
	p = bi_set(p, "latency", lat);
	p = bi_set(p, "error_rate", jv_number(s->requests ? (double)s->failed / s->requests : 0));
	jv errs = jv_object();
	errs = bi_set(errs, "connect", jv_number((double)s->err_connect));
	errs = bi_set(errs, "read", jv_number((double)s->err_read));
	errs = bi_set(errs, "write", jv_number((double)s->err_write));
	errs = bi_set(errs, "timeout", jv_number((double)s->err_timeout));
	errs = bi_set(errs, "status", jv_number((double)(s->status[4] + s->status[5])));
	p = bi_set(p, "errors", errs);
	jv st = jv_object();
	static const char *const cls[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
	for (int i = 0; i < 6; i++)
		if (s->status[i])
			st = bi_set(st, cls[i], jv_number((double)s->status[i]));
	p = bi_set(p, "status", st);
	p = bi_set(p, "bytes_in", jv_number((double)s->bytes_in));
	p = bi_set(p, "bytes_out", jv_number((double)s->bytes_out));
	jv by = jv_object();
	for (int i = 0; i < neps; i++)
		by = bi_set(by, eps[i].name, jv_number((double)s->by_endpoint[i]));
	p = bi_set(p, "endpoints", by);
	jv tl = jv_array();
	int passed = 1;
	for (int i = 0; i < nths; i++) {
		jv t = jv_object();
		t = bi_set(t, "metric", jv_string(ths[i].metric));
		t = bi_set(t, "expr", jv_string(ths[i].expr));
		t = bi_set(t, "value", isnan(ths[i].value) ? jv_null() : jv_number(ths[i].value));
		t = bi_set(t, "ok", jv_bool(ths[i].ok));
		tl = jv_array_append(tl, t);
		passed &= ths[i].ok;
	}
	p = bi_set(p, "thresholds", tl);
	p = bi_set(p, "passed", jv_bool(passed));
	return p;
}

/* ---- the scenario file ---- */

static bi_endpoint *eps;
static int neps;
static bi_load_stage *stages;
static int nstages;

static void
add_stage(const char *spec)
{
	const char *colon = strrchr(spec, ':');
	char dur[64];
	char *end;
	int64_t d;

	if (!colon || (size_t)(colon - spec) >= sizeof dur)
		bi_die(BI_EXIT_USAGE, "--stage %s: expected DURATION:VUS", spec);
	snprintf(dur, sizeof dur, "%.*s", (int)(colon - spec), spec);
	long n = strtol(colon + 1, &end, 10);
	if (bi_dur_parse(dur, &d) || *end || n < 0 || n > 100000)
		bi_die(BI_EXIT_USAGE, "--stage %s: expected DURATION:VUS", spec);
	stages = bi_realloc(stages, (nstages + 1) * sizeof *stages);
	stages[nstages++] = (bi_load_stage){d, (int)n};
}

static int cli_shape;	/* the load's shape was given on the command line */

static void
load_scenario(const char *path, const char **base, jv *keep, int64_t *duration, int *vus,
	      double *rate)
{
	jv sc = bi_yaml_load(path);	/* JSON is YAML too */

	if (!jv_is_valid(sc)) {
		jv m = jv_invalid_get_msg(sc);
		bi_die(BI_EXIT_USAGE, "%s", jv_string_value(m));
	}
	if (jv_get_kind(sc) != JV_KIND_OBJECT)
		bi_die(BI_EXIT_USAGE, "%s: a scenario is a mapping", path);
	*keep = sc;
	const char *b = bi_jv_path_str(sc, "base_url", NULL);
	if (b && !*base)
		*base = b;
	int64_t d = bi_cfg_dur(sc, "duration", -1);
	if (d > 0 && !cli_shape)
		*duration = d;
	if (bi_jv_path_num(sc, "vus", 0) > 0 && !cli_shape)
		*vus = (int)bi_jv_path_num(sc, "vus", 0);
	if (bi_jv_path_num(sc, "rate", 0) > 0 && !cli_shape)
		*rate = bi_jv_path_num(sc, "rate", 0);
	jv st = jv_object_get(jv_copy(sc), jv_string("stages"));
	/* --vus, --duration or --stage on the command line replace the ramp. */
	if (jv_get_kind(st) == JV_KIND_ARRAY && nstages == 0 && !cli_shape) {
		jv_array_foreach(st, i, s) {
			int64_t dd = bi_cfg_dur(s, "duration", -1);
			double t = bi_jv_path_num(s, "target", -1);
			if (dd < 0 || t < 0)
				bi_die(BI_EXIT_USAGE, "%s: stage %d needs a duration and a target", path, i + 1);
			stages = bi_realloc(stages, (nstages + 1) * sizeof *stages);
			stages[nstages++] = (bi_load_stage){dd, (int)t};
			jv_free(s);
		}
	}
	jv_free(st);
	char err[512];
	if (bi_endpoints_from(sc, path, &eps, &neps, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "%s", err);
	jv th = jv_object_get(jv_copy(sc), jv_string("thresholds"));
	if (jv_get_kind(th) == JV_KIND_OBJECT && nths == 0) {
		jv_object_foreach(th, k, v) {
			if (jv_get_kind(v) == JV_KIND_STRING)
				v = jv_array_append(jv_array(), v);
			if (jv_get_kind(v) == JV_KIND_ARRAY) {
				jv_array_foreach(v, i, x) {
					if (jv_get_kind(x) == JV_KIND_STRING)
						add_threshold(jv_string_value(k), jv_string_value(x));
					jv_free(x);
				}
			}
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(th);
}

static void on_signal(int sig) { (void)sig; interrupted = 1; }

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"vus", required_argument, NULL, 'u'},
		{"stage", required_argument, NULL, 'S'},
		{"rate", required_argument, NULL, 'R'},
		{"connections", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"threads", required_argument, NULL, 't'},
		{"think", required_argument, NULL, 'k'},
		{"timeout", required_argument, NULL, 'T'},
		{"method", required_argument, NULL, 'm'},
		{"header", required_argument, NULL, 'H'},
		{"body", required_argument, NULL, 'b'},
		{"scenario", required_argument, NULL, 's'},
		{"threshold", required_argument, NULL, 'x'},
		{"no-thresholds", no_argument, NULL, 'X'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int vus = -1, conns = 50, threads = 2, quiet = 0, no_th = 0, c;
	double rate = 0;
	int64_t duration = 10 * BI_NS_PER_S, think = 0, timeout = 10 * BI_NS_PER_S;
	const char *method = "GET", *body = NULL, *scenario = NULL, *base = NULL;
	char **headers = NULL;
	int nheaders = 0;
	char *end;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "u:R:c:d:t:m:H:b:s:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			cli_shape = 1;
			vus = (int)strtol(optarg, &end, 10);
			if (*end || vus < 1 || vus > 100000)
				bi_usage_error(usage, "--vus: not a count: %s", optarg);
			break;
		case 'S': cli_shape = 1; add_stage(optarg); break;
		case 'R':
			cli_shape = 1;
			rate = strtod(optarg, &end);
			if (*end || !(rate > 0))
				bi_usage_error(usage, "--rate: not a rate: %s", optarg);
			break;
		case 'c':
			conns = (int)strtol(optarg, &end, 10);
			if (*end || conns < 1 || conns > 100000)
				bi_usage_error(usage, "--connections: not a count: %s", optarg);
			break;
		case 'd':
			cli_shape = 1;
			if (bi_dur_parse(optarg, &duration) || duration <= 0)
				bi_usage_error(usage, "--duration: not a duration: %s", optarg);
			break;
		case 't':
			threads = (int)strtol(optarg, &end, 10);
			if (*end || threads < 1 || threads > 256)
				bi_usage_error(usage, "--threads: not a count: %s", optarg);
			break;
		case 'k':
			if (bi_dur_parse(optarg, &think))
				bi_usage_error(usage, "--think: not a duration: %s", optarg);
			break;
		case 'T':
			if (bi_dur_parse(optarg, &timeout) || timeout <= 0)
				bi_usage_error(usage, "--timeout: not a duration: %s", optarg);
			break;
		case 'm': method = optarg; break;
		case 'H':
			if (!strchr(optarg, ':'))
				bi_usage_error(usage, "--header: expected 'Name: value', not %s", optarg);
			headers = bi_realloc(headers, (nheaders + 1) * sizeof *headers);
			headers[nheaders++] = optarg;
			break;
		case 'b': body = optarg; break;
		case 's': scenario = optarg; break;
		case 'x': add_threshold(NULL, optarg); break;
		case 'X': no_th = 1; break;
		case 'q': quiet = 1; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (argc - optind > 1)
		bi_usage_error(usage, "one URL, please");
	if (optind < argc)
		base = argv[optind];
	jv keep = jv_null();
	if (scenario)
		load_scenario(scenario, &base, &keep, &duration, &vus, &rate);
	if (!base)
		bi_usage_error(usage, "a URL (or a scenario with base_url) is needed");
	if (rate > 0 && nstages)
		bi_usage_error(usage, "--rate and --stage do not go together (open or closed model?)");
	if (rate > 0 && rate < threads)
		bi_usage_error(usage, "--rate %g is lower than --threads %d", rate, threads);

	bi_url u;
	char err[512];
	if (parse_target(base, &u, err, sizeof err))
		bi_die(BI_EXIT_USAGE, "%s", err);
	if (neps == 0) {
		/* The URL itself is the one endpoint. */
		bi_endpoint ep = {.name = bi_strdup(u.path), .method = bi_strdup(method),
				  .path = bi_strdup(u.path), .weight = 1,
				  .body = body ? bi_strdup(body) : NULL,
				  .headers = headers, .nheaders = nheaders};
		eps = bi_realloc(eps, sizeof *eps);
		eps[neps++] = ep;
		u.path[0] = '\0';
	} else {
		/* Paths are under the base URL's path (the requests' prefix). */
		size_t bl = strlen(u.path);
		while (bl > 0 && u.path[bl - 1] == '/')
			u.path[--bl] = '\0';
		for (int i = 0; i < neps; i++) {
			for (int h = 0; h < nheaders; h++) {
				eps[i].headers = bi_realloc(eps[i].headers, (eps[i].nheaders + 1) * sizeof(char *));
				eps[i].headers[eps[i].nheaders++] = bi_strdup(headers[h]);
			}
		}
	}
	if (!no_th && nths == 0)
		default_thresholds();
	if (no_th)
		nths = 0;

	/* The requests' bytes, once: the engine only copies them. */
	bi_load_endpoint *le = bi_calloc((size_t)neps, sizeof *le);
	for (int i = 0; i < neps; i++) {
		char *req = bi_endpoint_request(&eps[i], u.path, u.hostport, "bi-perf/0.1");
		le[i] = (bi_load_endpoint){eps[i].name, req, strlen(req), eps[i].weight,
					   !strcasecmp(eps[i].method, "HEAD")};
	}

	bi_load_conf conf = {.endpoints = le, .nendpoints = neps, .threads = threads,
			     .connections = rate > 0 ? conns : vus > 0 ? vus : 10, .rate = rate,
			     .stages = stages, .nstages = nstages, .duration = duration,
			     .timeout = timeout, .think = think, .stop = &interrupted};
	if (bi_addr_resolve(u.host, u.port, 0, &conf.addr, &conf.addrlen, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "%s", err);

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct run run = {.target = base, .quiet = quiet,
			  .tty = !quiet && isatty(STDERR_FILENO)};
	static bi_load_stats total;
	int64_t t0 = bi_mono_ns();
	if (bi_load_run(&conf, on_tick, &run, &total, err, sizeof err) != 0)
		bi_die(BI_EXIT_LOCAL, "%s", err);	/* threads or sockets: this machine */
	double secs = (bi_mono_ns() - t0) / 1e9;
	if (run.tty)
		fputs("\r\033[K", stderr);
	for (int i = 0; i < nths; i++)
		bi_threshold_judge(&ths[i], &total, secs);
	jv sum = summary(&run, &total, &conf, eps, neps, secs);
	int passed = jv_get_kind(jv_object_get(jv_copy(sum), jv_string("passed"))) == JV_KIND_TRUE;
	bi_write(sum);
	bi_write_flush();

	if (rate > 0 && total.requests < 0.9 * rate * secs)
		bi_warn("%.0f requests/s of the %g asked: the service (or %d connections) could not keep up",
			total.requests / secs, rate, conns);
	if (total.requests > 0 && total.err_connect == total.requests) {
		char at[80];
		bi_addr_name((const struct sockaddr *)&conf.addr, at, sizeof at);
		bi_warn("nothing answered at %s (%s): %" PRIu64 " connections failed", u.hostport, at,
			total.err_connect);
		return BI_EXIT_UNREACHABLE;
	}
	for (int i = 0; i < nths; i++)
		if (!ths[i].ok)
			bi_warn("threshold failed: %s: %s (%.4g)", ths[i].metric, ths[i].expr, ths[i].value);
	jv_free(keep);
	if (interrupted) {
		bi_warn("interrupted after %.1fs: the summary covers that much", secs);
		return 130;
	}
	return passed ? BI_EXIT_OK : BI_EXIT_FAIL;
}
