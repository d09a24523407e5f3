/*
 * canary.c: whether a canary is as good as the version it would replace.
 * The same rules wherever the two versions run (bi-proxy's split on Docker,
 * Argo Rollouts on Kubernetes): the caller brings what each version
 * answered over a window (requests, failures, a duration histogram), and
 * gets a decision with every check that made it. The defaults are those of
 * the original's AnalysisTemplate: error rate under 1 %, p95 under 200 ms,
 * p99 under 500 ms, analysis every 30 s, more than 3 failed analyses abort.
 * On top of the absolute limits, the canary is compared with stable, since a
 * release that doubles latency is a regression even under the limits: its
 * error rate may exceed stable's by error_margin at most, and its p95 and
 * p99 may not pass latency_ratio times stable's (unless under a floor where
 * the difference is noise). A window with too few canary requests decides
 * nothing ("wait"): a 5 % error rate of 3 requests is one unlucky request.
 *
 * Layer: analysis.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/canary.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "engines/prom.h"

struct scrape {
	const bi_canary_names *names;
	size_t lreq, ldur;
	bi_canary_counts *out;
	int used;
};

/* The bucket of bound le in c, added in order; -1 when the table is full. */
static int
bucket(bi_canary_counts *c, double le)
{
	int i = 0;

	while (i < c->nb && c->le[i] < le)
		i++;
	if (i < c->nb && c->le[i] == le)
		return i;
	if (c->nb == BI_CANARY_BUCKETS)
		return -1;
	memmove(&c->le[i + 1], &c->le[i], (size_t)(c->nb - i) * sizeof c->le[0]);
	memmove(&c->count[i + 1], &c->count[i], (size_t)(c->nb - i) * sizeof c->count[0]);
	c->le[i] = le;
	c->count[i] = 0;
	c->nb++;
	return i;
}

static int
on_sample(void *ctx, const bi_prom_sample *s)
{
	struct scrape *sc = ctx;
	const char *path = bi_get_str(s->labels, "path");

	if (!isfinite(s->value) || s->value < 0)
		return 0;
	if (sc->names->skip_path && path && !strcmp(path, sc->names->skip_path))
		return 0;
	if (!strcmp(s->name, sc->names->requests)) {
		const char *st = bi_get_str(s->labels, "status");
		if (!st)
			st = bi_get_str(s->labels, "code");
		sc->out->requests += s->value;
		if (st && st[0] == '5')
			sc->out->errors += s->value;
		sc->used++;
		return 0;
	}
	if (!strncmp(s->name, sc->names->duration, sc->ldur) && !strcmp(s->name + sc->ldur, "_bucket")) {
		const char *le = bi_get_str(s->labels, "le");
		char *end;
		double b;
		if (!le)
			return 0;
		b = strcmp(le, "+Inf") ? strtod(le, &end) : INFINITY;
		if (isinf(b) || (end != le && !*end)) {
			int i = bucket(sc->out, b);
			if (i >= 0)
				sc->out->count[i] += s->value;
			sc->used++;
		}
	}
	return 0;
}

int
bi_canary_scrape(const char *text, size_t len, const bi_canary_names *names,
		 bi_canary_counts *out)
{
	bi_canary_names nm = {"http_requests_total", "http_request_duration_seconds", NULL};
	struct scrape sc = {.names = &nm, .out = out};

	if (names) {
		if (names->requests)
			nm.requests = names->requests;
		if (names->duration)
			nm.duration = names->duration;
		nm.skip_path = names->skip_path;
	}
	sc.lreq = strlen(nm.requests);
	sc.ldur = strlen(nm.duration);
	memset(out, 0, sizeof *out);
	bi_prom_parse(text, len, 0, on_sample, NULL, &sc);
	if (!sc.used) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return sc.used;
}

void
bi_canary_window(const bi_canary_counts *now, const bi_canary_counts *before,
		 bi_canary_counts *out)
{
	int reset = now->requests < before->requests || now->errors < before->errors;

	*out = *now;
	if (reset)
		return;
	for (int i = 0; i < out->nb; i++) {
		for (int j = 0; j < before->nb; j++)
			if (before->le[j] == out->le[i]) {
				if (before->count[j] > out->count[i]) {
					*out = *now;
					return;
				}
				out->count[i] -= before->count[j];
			}
	}
	out->requests -= before->requests;
	out->errors -= before->errors;
}

int
bi_canary_limits_config(jv cfg, bi_canary_limits *l, char *err, size_t n)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{"error_rate", offsetof(bi_canary_limits, error_rate)},
		{"p95_ms", offsetof(bi_canary_limits, p95_ms)},
		{"p99_ms", offsetof(bi_canary_limits, p99_ms)},
		{"min_requests", offsetof(bi_canary_limits, min_requests)},
		{"error_margin", offsetof(bi_canary_limits, error_margin)},
		{"latency_ratio", offsetof(bi_canary_limits, latency_ratio)},
		{"latency_floor_ms", offsetof(bi_canary_limits, latency_floor_ms)},
	};

	*l = (bi_canary_limits){.error_rate = 0.01, .p95_ms = 200, .p99_ms = 500,
		.min_requests = 20, .error_margin = 0.01, .latency_ratio = 2,
		.latency_floor_ms = 50};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char path[64];
		snprintf(path, sizeof path, "canary.analysis.%s", keys[i].key);
		jv v = bi_jv_path(cfg, path);
		jv_kind k = jv_get_kind(v);
		if (k == JV_KIND_NUMBER && jv_number_value(v) >= 0)
			*(double *)((char *)l + keys[i].off) = jv_number_value(v);
		else if (k != JV_KIND_INVALID && k != JV_KIND_NULL) {
			jv_free(v);
			return bi_errf(err, n, "%s: a number >= 0", path);
		}
		jv_free(v);
	}
	return 0;
}

static double
quantile_ms(const bi_canary_counts *c, double q)
{
	double v = bi_prom_quantile(q, c->le, c->count, c->nb);
	return isnan(v) ? NAN : v * 1000;
}

static jv
num(double v)
{
	return isfinite(v) ? jv_number(round(v * 1e6) / 1e6) : jv_null();
}

static jv
figures(const bi_canary_counts *c, double *er, double *p95, double *p99)
{
	*er = c->requests > 0 ? c->errors / c->requests : 0;
	*p95 = quantile_ms(c, 0.95);
	*p99 = quantile_ms(c, 0.99);
	jv o = bi_set(jv_object(), "requests", jv_number(c->requests));
	o = bi_set(o, "errors", jv_number(c->errors));
	o = bi_set(o, "error_rate", num(*er));
	o = bi_set(o, "p95_ms", num(*p95));
	return bi_set(o, "p99_ms", num(*p99));
}

struct verdict {
	jv checks;
	const char *failed;	/* the first check that failed */
	double value, limit;
};

/* One check: value must not exceed limit. NaN values (no histogram) are
 * not checked. */
static void
check(struct verdict *v, const char *name, double value, double limit)
{
	if (isnan(value) || !(limit > 0) || !isfinite(limit))
		return;
	int good = value <= limit;
	jv c = bi_set(jv_object(), "check", jv_string(name));
	c = bi_set(bi_set(c, "value", num(value)), "limit", num(limit));
	v->checks = jv_array_append(v->checks, bi_set(c, "ok", jv_bool(good)));
	if (!good && !v->failed) {
		v->failed = name;
		v->value = value;
		v->limit = limit;
	}
}

jv
bi_canary_analyze(const bi_canary_counts *stable, const bi_canary_counts *canary,
		  const bi_canary_limits *l)
{
	double ser, sp95, sp99, cer, cp95, cp99;
	struct verdict v = {.checks = jv_array()};
	jv out = jv_object();
	char why[256];

	jv cf = figures(canary, &cer, &cp95, &cp99);
	jv sf = figures(stable, &ser, &sp95, &sp99);
	if (canary->requests < l->min_requests || canary->requests <= 0) {
		snprintf(why, sizeof why, "the canary answered %.0f requests, fewer than %.0f",
			 canary->requests, l->min_requests);
		out = bi_set(out, "decision", jv_string("wait"));
		out = bi_set(out, "reason", jv_string(why));
		out = bi_set(bi_set(out, "canary", cf), "stable", sf);
		return bi_set(out, "checks", v.checks);
	}
	check(&v, "error_rate", cer, l->error_rate);
	check(&v, "p95_ms", cp95, l->p95_ms);
	check(&v, "p99_ms", cp99, l->p99_ms);
	if (stable->requests >= l->min_requests && stable->requests > 0) {
		if (l->error_margin > 0)
			check(&v, "error_rate_vs_stable", cer, ser + l->error_margin);
		if (l->latency_ratio > 0) {
			if (cp95 > l->latency_floor_ms)
				check(&v, "p95_vs_stable", cp95, fmax(sp95 * l->latency_ratio, l->latency_floor_ms));
			if (cp99 > l->latency_floor_ms)
				check(&v, "p99_vs_stable", cp99, fmax(sp99 * l->latency_ratio, l->latency_floor_ms));
		}
	}
	if (v.failed)
		snprintf(why, sizeof why, "%s %g over its limit %g", v.failed,
			 round(v.value * 1e4) / 1e4, round(v.limit * 1e4) / 1e4);
	else
		snprintf(why, sizeof why, "%d checks passed", jv_array_length(jv_copy(v.checks)));
	out = bi_set(out, "decision", jv_string(v.failed ? "fail" : "pass"));
	out = bi_set(out, "reason", jv_string(why));
	out = bi_set(bi_set(out, "canary", cf), "stable", sf);
	return bi_set(out, "checks", v.checks);
}

jv
bi_canary_steps(jv cfg, char *err, size_t n)
{
	int64_t pause = bi_cfg_dur(cfg, "canary.pause", 60 * (int64_t)1000000000);
	jv list = bi_jv_path(cfg, "canary.steps");
	jv out = jv_array();
	double last = 0;

	if (!jv_is_valid(list) || jv_get_kind(list) == JV_KIND_NULL) {
		jv_free(list);
		list = jv_array();
		for (int i = 0; i < 4; i++)
			list = jv_array_append(list, jv_number((double[]){10, 25, 50, 100}[i]));
	}
	if (jv_get_kind(list) != JV_KIND_ARRAY || jv_array_length(jv_copy(list)) == 0) {
		jv_free(list);
		jv_free(out);
		bi_errf(err, n, "canary.steps: a list of weights (percent to the canary)");
		return jv_invalid();
	}
	jv_array_foreach(list, i, s) {
		jv w = jv_get_kind(s) == JV_KIND_OBJECT ? jv_object_get(jv_copy(s), jv_string("weight")) : jv_copy(s);
		int64_t p = pause;
		if (jv_get_kind(s) == JV_KIND_OBJECT) {
			jv one = bi_set(jv_object(), "pause", jv_object_get(jv_copy(s), jv_string("pause")));
			p = bi_cfg_dur(one, "pause", pause);
			jv_free(one);
		}
		double x = jv_get_kind(w) == JV_KIND_NUMBER ? jv_number_value(w) : NAN;
		jv_free(w);
		jv_free(s);
		if (!(x >= 1 && x <= 100 && x > last)) {
			jv_free(list);
			jv_free(out);
			bi_errf(err, n, "canary.steps.%d: a weight from 1 to 100, above the step before", i);
			return jv_invalid();
		}
		last = x;
		jv st = bi_set(jv_object(), "weight", jv_number(x));
		out = jv_array_append(out, bi_set(st, "pause_ms", jv_number((double)(p / 1000000))));
	}
	jv_free(list);
	return out;
}

enum bi_canary_next
bi_canary_after(bi_canary_run *r, const char *decision, int pause_over)
{
	if (strcmp(decision, "wait") != 0)
		r->inconclusive = 0;
	if (!strcmp(decision, "fail")) {
		r->failures++;
		return r->failures > r->failure_limit ? BI_CANARY_ABORT : BI_CANARY_STAY;
	}
	if (!strcmp(decision, "pass")) {
		if (!pause_over)
			return BI_CANARY_STAY;
		return r->step + 1 >= r->nsteps ? BI_CANARY_PROMOTE : BI_CANARY_NEXT;
	}
	r->inconclusive++;
	return r->inconclusive > r->inconclusive_limit ? BI_CANARY_HOLD : BI_CANARY_STAY;
}

const char *
bi_canary_next_name(enum bi_canary_next x)
{
	static const char *const names[] = {"stay", "next", "promote", "abort", "hold"};
	return (unsigned)x < sizeof names / sizeof names[0] ? names[x] : "?";
}
