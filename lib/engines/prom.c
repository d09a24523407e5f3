/*
 * prom.c: the Prometheus text exposition format, and the two pieces of PromQL
 * that latency and throughput need: rate() and histogram_quantile(), computed
 * as Prometheus 2.x computes them, so that our figures and a real Prometheus'
 * agree on the same samples.
 *
 * Layer: engines.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engines/prom.h"

#include "base/util.h"

struct family {
	char name[128];
	char type[12];
};

struct parser {
	const char *p, *end;
	size_t line;
	int om, no_labels;
	struct family *fams;
	size_t nfams, cap;
	char why[160];
};

static int
name_start(int c)
{
	return isalpha(c) || c == '_' || c == ':';
}

static int
name_char(int c)
{
	return isalnum(c) || c == '_' || c == ':';
}

static void
skip_ws(const char **s, const char *e)
{
	while (*s < e && (**s == ' ' || **s == '\t'))
		(*s)++;
}

static const char *
family_type(struct parser *ps, const char *name, size_t n, int *suffix_created)
{
	static const char *const suffixes[] = {"_bucket", "_sum", "_count", "_total", "_created", NULL};

	*suffix_created = 0;
	for (size_t i = ps->nfams; i-- > 0;)
		if (strlen(ps->fams[i].name) == n && !strncmp(ps->fams[i].name, name, n))
			return ps->fams[i].type;
	for (const char *const *s = suffixes; *s; s++) {
		size_t k = strlen(*s);
		if (n <= k || strncmp(name + n - k, *s, k))
			continue;
		for (size_t i = ps->nfams; i-- > 0;) {
			if (strlen(ps->fams[i].name) == n - k && !strncmp(ps->fams[i].name, name, n - k)) {
				*suffix_created = !strcmp(*s, "_created");
				return ps->fams[i].type;
			}
		}
	}
	return "untyped";
}

static void
set_type(struct parser *ps, const char *name, size_t n, const char *type, size_t tn)
{
	if (n >= sizeof ps->fams[0].name || tn >= sizeof ps->fams[0].type)
		return;
	if (ps->nfams == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->fams = bi_realloc(ps->fams, ps->cap * sizeof *ps->fams);
	}
	struct family *f = &ps->fams[ps->nfams++];
	memcpy(f->name, name, n);
	f->name[n] = '\0';
	memcpy(f->type, type, tn);
	f->type[tn] = '\0';
	/* OpenMetrics says "unknown" where 0.0.4 says "untyped". */
	if (!strcmp(f->type, "unknown"))
		strcpy(f->type, "untyped");
}

/* # HELP, # TYPE, # EOF, or any other comment. 1 at # EOF. */
static int
comment(struct parser *ps, const char *s, const char *e)
{
	s++;
	skip_ws(&s, e);
	if (e - s == 3 && !strncmp(s, "EOF", 3))
		return 1;
	if (e - s > 5 && !strncmp(s, "TYPE", 4) && (s[4] == ' ' || s[4] == '\t')) {
		s += 4;
		skip_ws(&s, e);
		const char *n = s;
		while (s < e && name_char((unsigned char)*s))
			s++;
		size_t nl = s - n;
		skip_ws(&s, e);
		const char *t = s;
		while (s < e && isalpha((unsigned char)*s))
			s++;
		if (nl && s > t)
			set_type(ps, n, nl, t, s - t);
	}
	return 0;
}

/* A label value in double quotes, with \\, \" and \n. */
static int
label_value(struct parser *ps, const char **s, const char *e, bi_buf *out)
{
	if (*s >= e || **s != '"') {
		snprintf(ps->why, sizeof ps->why, "expected '\"' to open a label value");
		return -1;
	}
	(*s)++;
	out->len = 0;
	bi_buf_add(out, NULL, 0);
	while (*s < e) {
		/* Copy the plain run up to the next quote or backslash at once. */
		const char *r = *s;
		while (r < e && *r != '"' && *r != '\\')
			r++;
		if (r > *s)
			bi_buf_add(out, *s, r - *s);
		*s = r;
		if (*s >= e)
			break;
		char c = *(*s)++;
		if (c == '"')
			return 0;
		if (*s >= e)
			break;
		char x = *(*s)++;
		if (x == 'n')
			c = '\n';
		else if (x == '\\' || x == '"')
			c = x;
		else {
			snprintf(ps->why, sizeof ps->why, "bad escape \\%c in a label value", x);
			return -1;
		}
		bi_buf_add(out, &c, 1);
	}
	snprintf(ps->why, sizeof ps->why, "unterminated label value");
	return -1;
}

static int
parse_number(const char *s, size_t n, double *v)
{
	char buf[64];
	char *end;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*v = strtod(buf, &end);
	return *end ? -1 : 0;
}

/* One sample line; 0 given to fn, 1 skipped on purpose, -1 malformed. */
static int
sample(struct parser *ps, const char *s, const char *e, bi_prom_sample *out, bi_buf *name,
       jv *labels)
{
	const char *n = s;

	if (!name_start((unsigned char)*s)) {
		snprintf(ps->why, sizeof ps->why, "a metric name must start with a letter, '_' or ':'");
		return -1;
	}
	while (s < e && name_char((unsigned char)*s))
		s++;
	name->len = 0;
	bi_buf_add(name, n, s - n);
	*labels = ps->no_labels ? jv_null() : jv_object();
	skip_ws(&s, e);
	if (s < e && *s == '{') {
		/* Names seen so far, for duplicates, without building anything. */
		const char *seen[64];
		size_t seen_len[64];
		int nseen = 0;
		bi_buf val = {0};
		s++;
		for (;;) {
			skip_ws(&s, e);
			if (s < e && *s == '}') {
				s++;
				break;
			}
			const char *ln = s;
			if (s >= e || !(isalpha((unsigned char)*s) || *s == '_')) {
				snprintf(ps->why, sizeof ps->why, "expected a label name or '}'");
				bi_buf_free(&val);
				return -1;
			}
			while (s < e && (isalnum((unsigned char)*s) || *s == '_'))
				s++;
			size_t lnl = s - ln;
			for (int i = 0; i < nseen; i++) {
				if (seen_len[i] == lnl && !memcmp(seen[i], ln, lnl)) {
					snprintf(ps->why, sizeof ps->why, "label %.*s given twice", (int)lnl, ln);
					bi_buf_free(&val);
					return -1;
				}
			}
			if (nseen < 64) {
				seen[nseen] = ln;
				seen_len[nseen++] = lnl;
			}
			skip_ws(&s, e);
			if (s >= e || *s != '=') {
				snprintf(ps->why, sizeof ps->why, "expected '=' after label %.*s", (int)lnl, ln);
				bi_buf_free(&val);
				return -1;
			}
			s++;
			skip_ws(&s, e);
			if (label_value(ps, &s, e, &val) != 0) {
				bi_buf_free(&val);
				return -1;
			}
			/* An empty value is the same as no label (Prometheus' data
			 * model): keep none, as Prometheus keeps none. */
			if (val.len && !ps->no_labels)
				*labels = jv_object_set(*labels, jv_string_sized(ln, (int)lnl),
							jv_string_sized(val.p, (int)val.len));
			skip_ws(&s, e);
			if (s < e && *s == ',') {
				s++;	/* a trailing comma is allowed */
				continue;
			}
			if (s < e && *s == '}') {
				s++;
				break;
			}
			snprintf(ps->why, sizeof ps->why, "expected ',' or '}' in the labels");
			bi_buf_free(&val);
			return -1;
		}
		bi_buf_free(&val);
	}
	skip_ws(&s, e);
	const char *v = s;
	while (s < e && *s != ' ' && *s != '\t')
		s++;
	if (parse_number(v, s - v, &out->value) != 0) {
		snprintf(ps->why, sizeof ps->why, "not a value: '%.*s'", (int)(s - v > 40 ? 40 : s - v), v);
		return -1;
	}
	skip_ws(&s, e);
	out->ts_ms = -1;
	if (s < e && *s != '#') {
		const char *t = s;
		while (s < e && *s != ' ' && *s != '\t')
			s++;
		double ts;
		int bad = parse_number(t, s - t, &ts) != 0 || !isfinite(ts);
		if (!bad && ps->om)
			ts *= 1000;
		if (bad || fabs(ts) >= 9.2e18) {	/* past int64 ms: no time */
			snprintf(ps->why, sizeof ps->why, "not a timestamp: '%.*s'", (int)(s - t > 40 ? 40 : s - t), t);
			return -1;
		}
		out->ts_ms = ps->om ? (int64_t)llround(ts) : (int64_t)ts;
		if (!ps->om && ts != floor(ts)) {
			snprintf(ps->why, sizeof ps->why, "a timestamp is whole milliseconds");
			return -1;
		}
		skip_ws(&s, e);
	}
	/* What follows " # " is an OpenMetrics exemplar: not ours to keep. */
	if (s < e && *s != '#') {
		snprintf(ps->why, sizeof ps->why, "unexpected text after the value");
		return -1;
	}
	int created;
	out->type = family_type(ps, name->p, name->len, &created);
	out->name = name->p;
	out->labels = *labels;
	/* Typed families' _created samples are creation times, not values. */
	if (created && strcmp(out->type, "untyped"))
		return 1;
	return 0;
}

long
bi_prom_parse(const char *text, size_t len, int flags, int (*fn)(void *ctx, const bi_prom_sample *s),
	      void (*bad)(void *ctx, size_t line, const char *why), void *ctx)
{
	struct parser ps = {.p = text, .end = text + len, .om = flags & BI_PROM_OM,
			    .no_labels = (flags & BI_PROM_NO_LABELS) != 0};
	bi_buf name = {0};
	long given = 0;

	while (ps.p < ps.end) {
		const char *s = ps.p, *nl = memchr(s, '\n', ps.end - s);
		const char *e = nl ? nl : ps.end;
		ps.p = nl ? nl + 1 : ps.end;
		ps.line++;
		if (e > s && e[-1] == '\r')
			e--;
		skip_ws(&s, e);
		if (s == e)
			continue;
		if (*s == '#') {
			if (comment(&ps, s, e))
				break;
			continue;
		}
		bi_prom_sample smp;
		jv labels = jv_invalid();
		int r = sample(&ps, s, e, &smp, &name, &labels);
		if (r < 0) {
			if (bad)
				bad(ctx, ps.line, ps.why);
		} else if (r == 0) {
			given++;
			if (fn(ctx, &smp)) {
				jv_free(labels);
				break;
			}
		}
		jv_free(labels);
	}
	bi_buf_free(&name);
	free(ps.fams);
	return given;
}

double
bi_prom_rate(const int64_t *t, const double *v, int n, int64_t start, int64_t end, int is_rate)
{
	if (n < 2)
		return NAN;
	double result = v[n - 1] - v[0];
	for (int i = 1; i < n; i++)
		if (v[i] < v[i - 1])
			result += v[i - 1];	/* a reset: add back what was lost */
	double to_start = (double)(t[0] - start) / 1000;
	double to_end = (double)(end - t[n - 1]) / 1000;
	double sampled = (double)(t[n - 1] - t[0]) / 1000;
	if (sampled <= 0)
		return NAN;
	double avg = sampled / (n - 1);
	if (result > 0 && v[0] >= 0) {
		/* A counter does not go below zero: do not extrapolate past it. */
		double to_zero = sampled * (v[0] / result);
		if (to_zero < to_start)
			to_start = to_zero;
	}
	double threshold = avg * 1.1, interval = sampled;
	interval += to_start < threshold ? to_start : avg / 2;
	interval += to_end < threshold ? to_end : avg / 2;
	result *= interval / sampled;
	if (is_rate)
		result /= (double)(end - start) / 1000;
	return result;
}

struct bucket {
	double le, count;
};

static int
by_le(const void *a, const void *b)
{
	double x = ((const struct bucket *)a)->le, y = ((const struct bucket *)b)->le;
	return x < y ? -1 : x > y;
}

double
bi_prom_quantile(double q, const double *le, const double *count, int n)
{
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	if (n < 2)
		return NAN;
	struct bucket *b = bi_malloc((size_t)n * sizeof *b);
	for (int i = 0; i < n; i++)
		b[i] = (struct bucket){le[i], count[i]};
	qsort(b, (size_t)n, sizeof *b, by_le);
	double r = NAN;
	if (!isinf(b[n - 1].le) || b[n - 1].le < 0)
		goto out;
	/* Counts that go down (a bucket scraped apart from its neighbours)
	 * are lifted, as Prometheus does. */
	for (int i = 1; i < n; i++)
		if (b[i].count < b[i - 1].count)
			b[i].count = b[i - 1].count;
	double total = b[n - 1].count;
	if (total == 0 || isnan(total))
		goto out;
	double rank = q * total;
	int i = 0;
	while (i < n - 1 && b[i].count < rank)
		i++;
	if (i == n - 1) {
		r = b[n - 2].le;	/* in the +Inf bucket */
		goto out;
	}
	if (i == 0 && b[0].le <= 0) {
		r = b[0].le;
		goto out;
	}
	double lo = i == 0 ? 0 : b[i - 1].le, hi = b[i].le;
	double below = i == 0 ? 0 : b[i - 1].count, in = b[i].count - below;
	r = in > 0 ? lo + (hi - lo) * ((rank - below) / in) : hi;
out:
	free(b);
	return r;
}
