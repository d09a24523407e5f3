/*
 * prom.c: the Prometheus text exposition format, and the two pieces of PromQL
 * that latency and throughput need: rate() and histogram_quantile(), computed
 * as Prometheus 2.x computes them, so that our figures and a real Prometheus'
 * agree on the same samples.
 *
 * The text is read in one of two ways. The tolerant reading (the default,
 * what a scrape uses) keeps every line it can make sense of and reports each
 * of the others. It also reports two faults it reads past rather than lose
 * a line for, lest they pass unseen: a TYPE line of a type it does not know
 * (the family is untyped: a type no reader of ours knows is worse than
 * none), and a label value that is not UTF-8 (the sample kept, each bad
 * sequence as U+FFFD, as libjq would make it silently). The strict one
 * (BI_PROM_STRICT, what `bi-metrics parse --check` uses) accepts what
 * prometheus/common's text parser accepts, the parser of promtool and of
 * the client libraries' own tests, and stops at the first line it would
 * refuse. Its rules, beyond the tolerant reading's:
 *
 *   - a family has one HELP line and one TYPE line, and the TYPE comes before
 *     its first sample; a histogram family owns the series NAME_bucket,
 *     NAME_count and NAME_sum, a summary NAME_count and NAME_sum, so a TYPE or
 *     HELP line for one of them is a line for the family (its samples may be
 *     split by another family's: the 0.0.4 format allows it);
 *   - the type is counter, gauge, histogram, summary or untyped, in any case
 *     (or gauge_histogram, which prometheus/common knows and reads as no
 *     type), and it is the whole rest of the line, a blank after it
 *     included (but not a backslash: prometheus/common drops them there); the
 *     name in HELP and TYPE is a metric name;
 *   - HELP text escapes only \\ and \n; label names are not __name__; label
 *     values are UTF-8;
 *   - numbers (values, and the le of a histogram's and the quantile of a
 *     summary's samples) are read as Go's strconv.ParseFloat reads them, less
 *     the hexadecimal floats and '_' prometheus/common refuses: decimal, or
 *     Inf, Infinity and NaN in any case (a sign before Inf only), within the
 *     range of a double; strtod would take 0x1F and nan(1);
 *   - a timestamp is a decimal integer that fits 64 bits, and nothing, not
 *     even a blank, follows it; a blank after the value needs one;
 *   - the text ends with a line feed; a carriage return is no line end.
 *
 * `# EOF` ends the text only in OpenMetrics; in the text format it is a
 * comment. The strict reading of OpenMetrics keeps the rules above that
 * OpenMetrics shares, with its own types, suffixes (a counter owns _total and
 * _created), timestamps (seconds, with a fraction) and escapes (\" too in
 * HELP), exemplars left unread, and `# EOF` required last.
 *
 * Families are kept in a hash table of their names, and the family of the
 * last sample is remembered: a family's samples usually come together.
 *
 * Layer: engines.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engines/prom.h"

#include "base/util.h"

/* What the strict rules need of a family's type: which series it owns, which
 * label of its samples is a number. */
enum kind { K_NONE, K_UNTYPED, K_COUNTER, K_GAUGE, K_HISTOGRAM, K_SUMMARY, K_GAUGEHIST,
	    K_INFO, K_OTHER };

struct family {
	size_t off, len;	/* the name, in parser.names */
	uint32_t hash;
	unsigned char kind;	/* strict: K_NONE until a TYPE line or a sample */
	unsigned char type_line, help;	/* strict: a TYPE line, a HELP line came */
	char type[16];		/* as given to the caller */
};

struct parser {
	const char *p, *end;
	size_t line;
	int om, no_labels, strict;
	struct family *fams;
	size_t nfams, cap;
	uint32_t *slots;	/* open addressing: a family's index + 1, 0 free */
	size_t nslots;
	bi_buf names;
	bi_buf name;		/* the sample's name, NUL-terminated for the caller */
	bi_buf val;		/* a label value, unescaped */
	int noted;		/* the sample is kept, and why says what was wrong */
	int have_last;		/* name holds the sample before's name, */
	long last;		/* its family (-1: none, untyped), */
	int last_created;	/* and whether it was a _created series */
	const char **seen;	/* the label names of a sample, for duplicates */
	size_t *seen_len, seen_cap;
	char why[200];
	char shown[4 * 40 + 1];	/* a token, for a reason */
};

/* The types a TYPE line may give: in the strict reading, those of its
 * dialect as written; in the tolerant one, any of them in any case. */
static const struct ftype {
	const char *name, *as;	/* as written; as given to the caller */
	unsigned char kind, om;
} ftypes[] = {
	{"counter", "counter", K_COUNTER, 0},
	{"gauge", "gauge", K_GAUGE, 0},
	{"histogram", "histogram", K_HISTOGRAM, 0},
	{"summary", "summary", K_SUMMARY, 0},
	{"untyped", "untyped", K_UNTYPED, 0},
	{"gauge_histogram", "untyped", K_OTHER, 0},
	{"counter", "counter", K_COUNTER, 1},
	{"gauge", "gauge", K_GAUGE, 1},
	{"histogram", "histogram", K_HISTOGRAM, 1},
	{"gaugehistogram", "gaugehistogram", K_GAUGEHIST, 1},
	{"summary", "summary", K_SUMMARY, 1},
	{"info", "info", K_INFO, 1},
	{"stateset", "stateset", K_OTHER, 1},
	{"unknown", "untyped", K_UNTYPED, 1},
};

/* The series a family owns besides its own name, in the strict reading. */
static const struct owned {
	const char *suffix;
	unsigned char kind, om;	/* om: only in OpenMetrics */
} owned[] = {
	{"_bucket", K_HISTOGRAM, 0}, {"_count", K_HISTOGRAM, 0}, {"_sum", K_HISTOGRAM, 0},
	{"_count", K_SUMMARY, 0}, {"_sum", K_SUMMARY, 0},
	{"_total", K_COUNTER, 1}, {"_created", K_COUNTER, 1}, {"_created", K_HISTOGRAM, 1},
	{"_created", K_SUMMARY, 1}, {"_bucket", K_GAUGEHIST, 1}, {"_gcount", K_GAUGEHIST, 1},
	{"_gsum", K_GAUGEHIST, 1}, {"_info", K_INFO, 1},
};

/* The tolerant reading's: any typed family's, whatever its type. */
static const char *const suffixes[] = {"_bucket", "_sum", "_count", "_total", "_created", NULL};

/* Names are ASCII whatever the locale. */
static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
name_start(int c)
{
	return is_alpha(c) || c == '_' || c == ':';
}

static int
name_char(int c)
{
	return name_start(c) || is_digit(c);
}

static int
label_start(int c)
{
	return is_alpha(c) || c == '_';
}

static int
label_char(int c)
{
	return label_start(c) || is_digit(c);
}

static void
skip_ws(const char **s, const char *e)
{
	while (*s < e && (**s == ' ' || **s == '\t'))
		(*s)++;
}

/* Set the reason of a malformed line; returns -1. */
static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->why, sizeof ps->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* At most 40 bytes of s, for a reason, with control bytes written as C
 * escapes: a carriage return must show. */
static const char *
shown(struct parser *ps, const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			ps->shown[k++] = (char)c;
		else
			k += (size_t)snprintf(ps->shown + k, 5, c == '\r' ? "\\r" : c == '\t' ? "\\t" : "\\x%02x", c);
	}
	ps->shown[k] = '\0';
	return ps->shown;
}

/* ---- the families ---- */

static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct family *
lookup(struct parser *ps, const char *name, size_t n)
{
	if (!ps->nslots)
		return NULL;
	uint32_t h = hash(name, n);
	for (size_t i = h & (ps->nslots - 1);; i = (i + 1) & (ps->nslots - 1)) {
		if (!ps->slots[i])
			return NULL;
		struct family *f = &ps->fams[ps->slots[i] - 1];
		if (f->hash == h && f->len == n && !memcmp(ps->names.p + f->off, name, n))
			return f;
	}
}

static void
put_slot(struct parser *ps, size_t idx)
{
	size_t i = ps->fams[idx].hash & (ps->nslots - 1);

	while (ps->slots[i])
		i = (i + 1) & (ps->nslots - 1);
	ps->slots[i] = (uint32_t)(idx + 1);
}

/* A new family of no type. */
static struct family *
add_family(struct parser *ps, const char *name, size_t n)
{
	if (2 * (ps->nfams + 1) > ps->nslots) {
		free(ps->slots);
		ps->nslots = ps->nslots ? ps->nslots * 2 : 64;
		ps->slots = bi_calloc(ps->nslots, sizeof *ps->slots);
		for (size_t i = 0; i < ps->nfams; i++)
			put_slot(ps, i);
	}
	if (ps->nfams == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->fams = bi_realloc(ps->fams, ps->cap * sizeof *ps->fams);
	}
	struct family *f = &ps->fams[ps->nfams];
	*f = (struct family){.off = ps->names.len, .len = n, .hash = hash(name, n)};
	bi_buf_add(&ps->names, name, n);
	put_slot(ps, ps->nfams++);
	return f;
}

static const char *
fam_name(struct parser *ps, const struct family *f)
{
	return ps->names.p + f->off;
}

static int
ends_with(const char *name, size_t n, const char *suffix, size_t *k)
{
	*k = strlen(suffix);
	return n > *k && !memcmp(name + n - *k, suffix, *k);
}

/* The strict reading: the family a name belongs to, made if there is none;
 * as prometheus/common finds it, for a sample or a HELP or TYPE line alike. */
static struct family *
strict_family(struct parser *ps, const char *name, size_t n, int *created)
{
	struct family *f = lookup(ps, name, n);
	size_t k;

	*created = 0;
	if (f)
		return f;
	for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
		if ((owned[i].om && !ps->om) || !ends_with(name, n, owned[i].suffix, &k))
			continue;
		f = lookup(ps, name, n - k);
		if (f && f->kind == owned[i].kind) {
			*created = !strcmp(owned[i].suffix, "_created");
			return f;
		}
	}
	return add_family(ps, name, n);
}

/* The tolerant reading: the typed family of a name, or NULL. */
static struct family *
tolerant_family(struct parser *ps, const char *name, size_t n, int *created)
{
	struct family *f = lookup(ps, name, n);
	size_t k;

	*created = 0;
	for (const char *const *s = suffixes; !f && *s; s++) {
		if (ends_with(name, n, *s, &k) && (f = lookup(ps, name, n - k)))
			*created = !strcmp(*s, "_created");
	}
	return f;
}

/* ---- numbers ---- */

/* s..s+n as a double, by strtod; 0, or -1 if strtod does not take it all. */
static int
to_double(const char *s, size_t n, double *v)
{
	char buf[64], *t = n < sizeof buf ? buf : bi_malloc(n + 1), *end;

	memcpy(t, s, n);
	t[n] = '\0';
	*v = strtod(t, &end);
	int r = n && !*end ? 0 : -1;
	if (t != buf)
		free(t);
	return r;
}

/* The tolerant reading's numbers: what strtod takes, in fewer than 64 bytes. */
static int
parse_number(const char *s, size_t n, double *v)
{
	if (n == 0 || n >= 64)
		return -1;
	return to_double(s, n, v);
}

/* A float as prometheus/common reads one (see the opening comment). */
static int
go_float(const char *s, size_t n, double *v)
{
	const char *p = s, *e = s + n;
	int neg = 0, digits = 0;

	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	size_t k = (size_t)(e - p);
	if ((k == 3 && !strncasecmp(p, "inf", 3)) || (k == 8 && !strncasecmp(p, "infinity", 8))) {
		*v = neg ? -INFINITY : INFINITY;
		return 0;
	}
	if (p == s && k == 3 && !strncasecmp(p, "nan", 3)) {
		*v = NAN;
		return 0;
	}
	for (; p < e && is_digit(*p); p++)
		digits++;
	if (p < e && *p == '.')
		for (p++; p < e && is_digit(*p); p++)
			digits++;
	if (!digits)
		return -1;
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || !is_digit(*p))
			return -1;
		while (p < e && is_digit(*p))
			p++;
	}
	/* Past a double's range ParseFloat refuses; below it, it gives 0. */
	return p == e && to_double(s, n, v) == 0 && !isinf(*v) ? 0 : -1;
}

/* A timestamp as strconv.ParseInt(s, 10, 64) reads one. */
static int
go_int64(const char *s, size_t n, int64_t *v)
{
	const char *p = s, *e = s + n;
	int neg = 0;
	uint64_t u = 0, max = (uint64_t)INT64_MAX;

	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (p == e)
		return -1;
	for (; p < e; p++) {
		if (!is_digit(*p) || u > (max + neg - (uint64_t)(*p - '0')) / 10)
			return -1;
		u = u * 10 + (uint64_t)(*p - '0');
	}
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* Whether s..s+n is UTF-8 as Go's utf8.ValidString has it: no overlong
 * forms, no surrogates, nothing past U+10FFFF. */
static int
utf8_ok(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < n;) {
		unsigned c = s[i], cp, min, k;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			k = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if (n - i <= k)
			return 0;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* ---- lines ---- */

/* The tolerant reading of a comment: a TYPE line sets its family's type,
 * the latest one winning; the rest is ignored. A type it does not know
 * makes the family untyped. 0, or -1 with the reason: a TYPE line of an
 * unknown type (which took effect) or of no name (which did not). */
static int
tolerant_comment(struct parser *ps, const char *s, const char *e)
{
	if (e - s <= 5 || strncmp(s, "TYPE", 4) || (s[4] != ' ' && s[4] != '\t'))
		return 0;
	s += 4;
	skip_ws(&s, e);
	const char *n = s;
	if (s < e && name_start((unsigned char)*s))
		while (s < e && name_char((unsigned char)*s))
			s++;
	size_t nl = (size_t)(s - n);
	if (s < e && *s != ' ' && *s != '\t') {
		while (s < e && *s != ' ' && *s != '\t')
			s++;
		return fail(ps, "not a metric name in a TYPE line: '%s'", shown(ps, n, (size_t)(s - n)));
	}
	skip_ws(&s, e);
	const char *t = s;
	while (s < e && *s != ' ' && *s != '\t')
		s++;
	size_t tl = (size_t)(s - t);
	if (!tl)
		return 0;	/* a TYPE line that says nothing */
	const char *as = NULL;
	for (size_t i = 0; !as && i < sizeof ftypes / sizeof ftypes[0]; i++)
		if (strlen(ftypes[i].name) == tl && !strncasecmp(t, ftypes[i].name, tl))
			as = ftypes[i].as;	/* OpenMetrics' unknown is untyped */
	struct family *f = lookup(ps, n, nl);
	if (!f)
		f = add_family(ps, n, nl);
	strcpy(f->type, as ? as : "untyped");
	if (!as)
		return fail(ps, "not a type: '%s', so %.*s is untyped", shown(ps, t, tl), (int)nl, n);
	return 0;
}

/* The strict reading of a comment, s just past the '#' (see the opening
 * comment): 0, or -1 with the reason. */
static int
strict_comment(struct parser *ps, const char *s, const char *e)
{
	const char *k = s;

	while (s < e && *s != ' ' && *s != '\t')
		s++;
	size_t kl = (size_t)(s - k);
	int help = kl == 4 && !memcmp(k, "HELP", 4), type = kl == 4 && !memcmp(k, "TYPE", 4);
	if (!help && !type)
		return 0;	/* any other comment */
	skip_ws(&s, e);
	const char *n = s;
	if (s < e && name_start((unsigned char)*s))
		while (s < e && name_char((unsigned char)*s))
			s++;
	size_t nl = (size_t)(s - n);
	if (s == e)
		return 0;	/* a name and nothing more, or not even one */
	if (*s != ' ' && *s != '\t') {
		while (s < e && *s != ' ' && *s != '\t')
			s++;
		return fail(ps, "not a metric name in a %.4s line: '%s'", k, shown(ps, n, (size_t)(s - n)));
	}
	int created;
	struct family *f = strict_family(ps, n, nl, &created);
	const char *fn = fam_name(ps, f);
	skip_ws(&s, e);
	if (s == e)
		return 0;	/* no text: HELP and TYPE lines that say nothing */
	if (help) {
		if (f->help)
			return fail(ps, "a second HELP line for %.*s", (int)f->len, fn);
		for (; s < e; s++) {
			if (*s != '\\')
				continue;
			if (s + 1 == e)
				return fail(ps, "a backslash ends the HELP text of %.*s", (int)f->len, fn);
			s++;
			if (*s != '\\' && *s != 'n' && !(ps->om && *s == '"'))
				return fail(ps, "bad escape \\%s in the HELP text of %.*s: %s", shown(ps, s, 1),
					    (int)f->len, fn, ps->om ? "\\\\, \\n or \\\" only" : "\\\\ or \\n only");
		}
		f->help = 1;
		return 0;
	}
	if (f->kind != K_NONE) {
		if (nl != f->len)
			return fail(ps, "%.*s is a series of the %s %.*s, which has its type already",
				    (int)nl, n, f->type, (int)f->len, fn);
		if (f->type_line)
			return fail(ps, "a second TYPE line for %.*s", (int)f->len, fn);
		return fail(ps, "the TYPE line of %.*s comes after its samples", (int)f->len, fn);
	}
	/* prometheus/common drops the backslashes of a TYPE line's type. */
	char word[24];
	size_t tl = (size_t)(e - s), wl = 0;
	for (const char *c = s; c < e && wl < sizeof word; c++)
		if (*c != '\\' || ps->om)
			word[wl++] = *c;
	for (size_t i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++) {
		const struct ftype *t = &ftypes[i];
		if (t->om == !!ps->om && strlen(t->name) == wl &&
		    !(ps->om ? strncmp : strncasecmp)(word, t->name, wl)) {
			f->kind = t->kind;
			f->type_line = 1;
			strcpy(f->type, t->as);
			return 0;
		}
	}
	const char *b = s;
	while (b < e && *b != ' ' && *b != '\t')
		b++;
	if (b < e) {
		const char *a = b;
		skip_ws(&a, e);
		if (a == e)
			return fail(ps, "a blank after the type in the TYPE line of %.*s", (int)f->len, fn);
		return fail(ps, "a TYPE line holds a name and a type, no more: '%s'", shown(ps, s, tl));
	}
	return fail(ps, "not a type: '%s' (%s)", shown(ps, s, tl),
		    ps->om ? "counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown" :
			     "counter, gauge, histogram, summary or untyped");
}

/* A label value in double quotes, with \\, \" and \n, into ps->val. */
static int
label_value(struct parser *ps, const char **s, const char *e)
{
	bi_buf *out = &ps->val;

	if (*s >= e || **s != '"')
		return fail(ps, "expected '\"' to open a label value");
	(*s)++;
	out->len = 0;
	bi_buf_add(out, NULL, 0);
	while (*s < e) {
		/* Copy the plain run up to the next quote or backslash at once. */
		const char *r = *s;
		while (r < e && *r != '"' && *r != '\\')
			r++;
		if (r > *s)
			bi_buf_add(out, *s, (size_t)(r - *s));
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
		else
			return fail(ps, "bad escape \\%s in a label value", shown(ps, *s - 1, 1));
		bi_buf_add(out, &c, 1);
	}
	return fail(ps, "unterminated label value");
}

/* A label name seen before in this sample? Remembers it if not. */
static int
seen_before(struct parser *ps, int nseen, const char *ln, size_t lnl)
{
	for (int i = 0; i < nseen; i++)
		if (ps->seen_len[i] == lnl && !memcmp(ps->seen[i], ln, lnl))
			return 1;
	if ((size_t)nseen == ps->seen_cap) {
		ps->seen_cap = ps->seen_cap ? ps->seen_cap * 2 : 16;
		ps->seen = bi_realloc(ps->seen, ps->seen_cap * sizeof *ps->seen);
		ps->seen_len = bi_realloc(ps->seen_len, ps->seen_cap * sizeof *ps->seen_len);
	}
	ps->seen[nseen] = ln;
	ps->seen_len[nseen] = lnl;
	return 0;
}

/* The labels from just past '{' to just past '}'; 0, or -1 with the reason.
 * num names the label that must be a number (le, quantile), or is NULL; type
 * is the family's, for the reason. */
static int
labels(struct parser *ps, const char **sp, const char *e, const char *num, const char *type,
       jv *out)
{
	const char *s = *sp;
	int nseen = 0;

	for (;;) {
		skip_ws(&s, e);
		if (s < e && *s == '}') {
			s++;
			break;
		}
		const char *ln = s;
		if (s >= e || !label_start((unsigned char)*s))
			return fail(ps, "expected a label name or '}'");
		while (s < e && label_char((unsigned char)*s))
			s++;
		size_t lnl = (size_t)(s - ln);
		int is_num = num && strlen(num) == lnl && !memcmp(num, ln, lnl);
		if (ps->strict && lnl == 8 && !memcmp(ln, "__name__", 8))
			return fail(ps, "the label name __name__ is reserved");
		/* prometheus/common keeps le and quantile apart from the labels,
		 * and does not look for them twice. */
		if (!(ps->strict && is_num)) {
			if (seen_before(ps, nseen, ln, lnl))
				return fail(ps, "label %.*s given twice", (int)lnl, ln);
			nseen++;
		}
		skip_ws(&s, e);
		if (s >= e || *s != '=')
			return fail(ps, "expected '=' after label %.*s", (int)lnl, ln);
		s++;
		skip_ws(&s, e);
		if (label_value(ps, &s, e) != 0)
			return -1;
		if (!utf8_ok(ps->val.p, ps->val.len)) {
			if (ps->strict)
				return fail(ps, "the value of label %.*s is not UTF-8", (int)lnl, ln);
			/* libjq would replace the bad bytes without a word. */
			if (!ps->noted) {
				ps->noted = 1;
				fail(ps, "the value of label %.*s is not UTF-8: kept, with U+FFFD "
				     "for each bad sequence", (int)lnl, ln);
			}
		}
		if (ps->strict) {
			double v;
			if (is_num && go_float(ps->val.p, ps->val.len, &v) != 0)
				return fail(ps, "the %s label of a %s's samples is a number, not '%s'",
					    num, type, shown(ps, ps->val.p, ps->val.len));
		}
		/* An empty value is the same as no label (Prometheus' data
		 * model): keep none, as Prometheus keeps none. */
		if (ps->val.len && !ps->no_labels)
			*out = jv_object_set(*out, jv_string_sized(ln, (int)lnl),
						jv_string_sized(ps->val.p, (int)ps->val.len));
		skip_ws(&s, e);
		if (s < e && *s == ',') {
			s++;	/* a trailing comma is allowed */
			continue;
		}
		if (s < e && *s == '}') {
			s++;
			break;
		}
		return fail(ps, "expected ',' or '}' in the labels");
	}
	*sp = s;
	return 0;
}

/* One sample line; 0 given to fn, 1 skipped on purpose, -1 malformed. */
static int
sample(struct parser *ps, const char *s, const char *e, bi_prom_sample *out, jv *lab)
{
	const char *n = s;
	int created = 0;

	if (!name_start((unsigned char)*s))
		return fail(ps, "a metric name must start with a letter, '_' or ':'");
	while (s < e && name_char((unsigned char)*s))
		s++;
	size_t nl = (size_t)(s - n);
	if (!ps->have_last || ps->name.len != nl || memcmp(ps->name.p, n, nl)) {
		ps->name.len = 0;
		bi_buf_add(&ps->name, n, nl);
		struct family *g = ps->strict ? strict_family(ps, n, nl, &ps->last_created) :
						tolerant_family(ps, n, nl, &ps->last_created);
		ps->last = g ? (long)(g - ps->fams) : -1;
		ps->have_last = 1;
	}
	created = ps->last_created;
	/* Only the tolerant reading has samples of no family. */
	struct family *f = ps->last >= 0 ? &ps->fams[ps->last] : NULL;
	if (ps->strict && f->kind == K_NONE) {
		f->kind = K_UNTYPED;	/* its samples came first: no TYPE now */
		strcpy(f->type, "untyped");
	}
	const char *num = !ps->strict ? NULL : f->kind == K_HISTOGRAM || f->kind == K_GAUGEHIST ? "le" :
			  f->kind == K_SUMMARY ? "quantile" : NULL;
	*lab = ps->no_labels ? jv_null() : jv_object();
	skip_ws(&s, e);
	if (s < e && *s == '{') {
		s++;
		if (labels(ps, &s, e, num, f ? f->type : NULL, lab) != 0)
			return -1;
	}
	skip_ws(&s, e);
	const char *v = s;
	while (s < e && *s != ' ' && *s != '\t')
		s++;
	if ((ps->strict ? go_float(v, (size_t)(s - v), &out->value) :
			  parse_number(v, (size_t)(s - v), &out->value)) != 0)
		return s == v ? fail(ps, "a sample with no value") :
				fail(ps, "not a value: '%s'", shown(ps, v, (size_t)(s - v)));
	out->ts_ms = -1;
	if (ps->strict && !ps->om) {
		if (s < e) {
			skip_ws(&s, e);
			const char *t = s;
			while (s < e && *s != ' ' && *s != '\t')
				s++;
			if (t == s)
				return fail(ps, "a blank after the value, and no timestamp");
			if (go_int64(t, (size_t)(s - t), &out->ts_ms) != 0)
				return fail(ps, "not a timestamp in whole milliseconds: '%s'",
					    shown(ps, t, (size_t)(s - t)));
			if (s < e)
				return fail(ps, "unexpected text after the timestamp");
		}
	} else {
		skip_ws(&s, e);
		if (s < e && *s != '#') {
			const char *t = s;
			while (s < e && *s != ' ' && *s != '\t')
				s++;
			double ts;
			int bad = (ps->strict ? go_float(t, (size_t)(s - t), &ts) :
				   parse_number(t, (size_t)(s - t), &ts)) != 0 || !isfinite(ts);
			if (!bad && ps->om)
				ts *= 1000;
			if (bad || fabs(ts) >= 9.2e18)	/* past int64 ms: no time */
				return fail(ps, "not a timestamp: '%s'", shown(ps, t, (size_t)(s - t)));
			out->ts_ms = ps->om ? (int64_t)llround(ts) : (int64_t)ts;
			if (!ps->om && ts != floor(ts))
				return fail(ps, "a timestamp is whole milliseconds");
			skip_ws(&s, e);
		}
		/* What follows " # " is an OpenMetrics exemplar: not ours to keep. */
		if (s < e && *s != '#')
			return fail(ps, "unexpected text after the value");
	}
	out->type = f && f->type[0] ? f->type : "untyped";
	out->name = ps->name.p;
	out->labels = *lab;
	/* Typed families' _created samples are creation times, not values. */
	if (created && strcmp(out->type, "untyped"))
		return 1;
	return 0;
}

long
bi_prom_parse(const char *text, size_t len, int flags, int (*fn)(void *ctx, const bi_prom_sample *s),
	      void (*bad)(void *ctx, size_t line, const char *why), void *ctx)
{
	struct parser ps = {.p = text, .end = text + len, .om = (flags & BI_PROM_OM) != 0,
			    .no_labels = (flags & BI_PROM_NO_LABELS) != 0,
			    .strict = (flags & BI_PROM_STRICT) != 0};
	long given = 0;
	int eof = 0, failed = 0;

	while (ps.p < ps.end) {
		const char *s = ps.p, *nl = memchr(s, '\n', (size_t)(ps.end - s));
		const char *e = nl ? nl : ps.end;
		ps.p = nl ? nl + 1 : ps.end;
		ps.line++;
		/* Only the tolerant reading takes CRLF: prometheus/common does not. */
		if (!ps.strict && e > s && e[-1] == '\r')
			e--;
		skip_ws(&s, e);
		if (s == e)
			continue;
		int r = 0;
		if (ps.strict && !nl && !ps.om)
			r = fail(&ps, "the text ends without a line feed after its last line");
		else if (*s == '#') {
			const char *c = s + 1;
			skip_ws(&c, e);
			ps.have_last = 0;	/* a TYPE line may change what a name is */
			if (ps.om && e - c == 3 && !strncmp(c, "EOF", 3)) {
				eof = 1;
				break;
			}
			if (ps.strict)
				r = strict_comment(&ps, c, e);
			else
				r = tolerant_comment(&ps, c, e);
		} else {
			bi_prom_sample smp;
			jv labels = jv_invalid();
			ps.noted = 0;
			r = sample(&ps, s, e, &smp, &labels);
			int stop = 0;
			if (r == 0) {
				given++;
				if (ps.noted && bad)
					bad(ctx, ps.line, ps.why);
				stop = fn(ctx, &smp);
			}
			jv_free(labels);
			if (stop)
				break;
		}
		if (r < 0) {
			if (bad)
				bad(ctx, ps.line, ps.why);
			if (ps.strict) {
				failed = 1;
				break;
			}
		}
	}
	if (ps.strict && ps.om && !failed && (!eof || ps.p < ps.end)) {
		failed = 1;
		if (bad)
			bad(ctx, ps.line + 1, eof ? "text after # EOF" : "the text does not end with # EOF");
	}
	bi_buf_free(&ps.name);
	bi_buf_free(&ps.val);
	bi_buf_free(&ps.names);
	free(ps.fams);
	free(ps.slots);
	free(ps.seen);
	free(ps.seen_len);
	return failed ? -1 : given;
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
