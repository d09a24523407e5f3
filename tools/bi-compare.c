/*
 * bi-compare: which of two load-test results is better, and how sure.
 *
 * Reads two `perf_summary` records: the last one of each of two files, or the
 * first two on stdin (old, then new). For p95, p99, throughput, error rate and
 * average latency it writes a `comparison` record with both values, the
 * change and the winner; then an `overall` one with a winner and a confidence
 * from the weighted metrics (p95 3, error rate 3, throughput 2, average 1,
 * p99 1). A change under 5% (p99: 10%; error rate: under 0.001) is a tie,
 * and so is one that the runs' own second-to-second spread could explain
 * (Welch's t-test at 95%): noise is not a win. Nor is winning only the light
 * metrics: the overall winner needs a weighted lead of 3.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "base/stats.h"
static const char usage[] =
	"usage: bi-compare [options] [OLD.jsonl NEW.jsonl]\n"
	"Compare two perf_summary records (the last of each file, or the first two on\n"
	"stdin: old, then new); a comparison record per metric and an overall one.\n"
	"\n"
	"      --old-label L   what to call the old one (default: its target)\n"
	"      --new-label L   what to call the new one\n"
	"      --tie PCT       changes under PCT%% are ties (default 5)\n"
	"      --fail-if-worse exit 1 when the old one wins\n"
	"      --strict        a malformed line is fatal (exit 2)\n"
	"  -h, --help          show this help\n"
	"      --version       show the version\n"
	"Exit: 0, 1 (--fail-if-worse) the new one is worse, 2 usage or input,\n"
	"4 writing the output failed.\n";

struct metric {
	const char *name;	/* in the comparison record */
	const char *path;	/* in perf_summary */
	const char *series;	/* per_second array, for the spread */
	int higher_better;
	double weight;
};

static const struct metric metrics[] = {
	{"p95", "latency.p95", "p95_ms", 0, 3},
	{"error_rate", "error_rate", "error_rate", 0, 3},
	{"throughput", "rps", "rps", 1, 2},
	{"avg", "latency.avg", "avg_ms", 0, 1},
	{"p99", "latency.p99", "p99_ms", 0, 1},
};

/* A run's values of one figure, second by second: its per_second array. */
static bi_summary
series(jv summary, const char *name)
{
	char path[64];
	bi_summary s = {0, 0, 0};

	snprintf(path, sizeof path, "per_second.%s", name);
	jv a = bi_jv_path(summary, path);
	if (jv_get_kind(a) == JV_KIND_ARRAY) {
		int k = jv_array_length(jv_copy(a));
		double *x = bi_calloc(k ? k : 1, sizeof *x);
		jv_array_foreach(a, i, v) {
			x[i] = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;
			jv_free(v);
		}
		s = bi_summarize(x, k);
		free(x);
	}
	jv_free(a);
	return s;
}

/* Could the second-to-second spread alone explain the difference? Welch's
 * test at 5%; without two seconds of each run, the change alone decides. */
static int
significant(jv a, jv b, const char *name, double *t_out)
{
	bi_welch w;

	*t_out = NAN;
	if (bi_welch_test(series(a, name), series(b, name), &w) != 0)
		return 1;
	if (isfinite(w.t) && !isnan(w.df))
		*t_out = fabs(w.t);
	return w.p < 0.05;
}

struct input {
	const char *kind;
	jv got[2];
	int n, last;	/* last: keep only the last record (a file), else the first two */
};

static int
take(void *ctx, jv rec, bi_reader *r)
{
	struct input *in = ctx;
	const char *k = bi_get_str(rec, "kind");

	(void)r;
	if (!k || strcmp(k, in->kind)) {
		jv_free(rec);
		return 0;
	}
	if (in->last) {
		if (in->n)
			jv_free(in->got[0]);
		in->got[0] = rec;
		in->n = 1;
		return 0;
	}
	in->got[in->n++] = rec;
	return in->n == 2;
}

/* The last perf_summary of a file. */
static jv
last_summary(char *path, int flags)
{
	struct input in = {.kind = "perf_summary", .last = 1};

	if (bi_each(1, &path, flags, take, &in))
		exit(BI_EXIT_USAGE);
	if (!in.n)
		bi_die(BI_EXIT_USAGE, "%s: no perf_summary record", path);
	return in.got[0];
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"old-label", required_argument, NULL, 'o'},
		{"new-label", required_argument, NULL, 'n'},
		{"tie", required_argument, NULL, 't'},
		{"fail-if-worse", no_argument, NULL, 'f'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *old_label = NULL, *new_label = NULL;
	double tie = 5;
	int fail_if_worse = 0, flags = 0, c;
	jv old, new;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': old_label = optarg; break;
		case 'n': new_label = optarg; break;
		case 't': {
			char *end;
			tie = strtod(optarg, &end);
			if (*end || tie < 0)
				bi_usage_error(usage, "--tie: not a percentage: %s", optarg);
			break;
		}
		case 'f': fail_if_worse = 1; break;
		case 'S': flags |= BI_STRICT; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (argc - optind == 2) {
		old = last_summary(argv[optind], flags);
		new = last_summary(argv[optind + 1], flags);
	} else if (argc == optind) {
		struct input in = {.kind = "perf_summary"};
		bi_each(0, NULL, flags, take, &in);
		if (in.n < 2)
			bi_die(BI_EXIT_USAGE, "need two perf_summary records on stdin, found %d", in.n);
		old = in.got[0];
		new = in.got[1];
	} else {
		bi_usage_error(usage, "two files, or two records on stdin");
	}
	if (!old_label)
		old_label = bi_get_str(old, "target") ? bi_get_str(old, "target") : "old";
	if (!new_label)
		new_label = bi_get_str(new, "target") ? bi_get_str(new, "target") : "new";

	double score = 0;
	for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++) {
		const struct metric *m = &metrics[i];
		jv ov = bi_jv_path(old, m->path), nv = bi_jv_path(new, m->path);
		if (jv_get_kind(ov) != JV_KIND_NUMBER || jv_get_kind(nv) != JV_KIND_NUMBER)
			bi_die(BI_EXIT_USAGE, "a perf_summary without %s", m->path);
		double o = jv_number_value(ov), n = jv_number_value(nv);
		jv_free(ov);
		jv_free(nv);
		double change = o != 0 ? (n - o) / fabs(o) * 100 : n != 0 ? 100 : 0;
		double t;
		int sig = significant(old, new, m->series, &t);
		/* The tail is the noisiest figure: p99 ties under twice the margin. */
		double margin = !strcmp(m->name, "p99") ? 2 * tie : tie;
		int small = !strcmp(m->name, "error_rate") ? fabs(n - o) < 0.001 : fabs(change) < margin;
		const char *winner, *why = NULL;
		if (small) {
			winner = "tie";
			why = "within the tie margin";
		} else if (!sig) {
			winner = "tie";
			why = "within the runs' second-to-second spread";
		} else {
			int better = m->higher_better ? n > o : n < o;
			winner = better ? "new" : "old";
		}
		score += !strcmp(winner, "new") ? m->weight : !strcmp(winner, "old") ? -m->weight : 0;
		jv rec = bi_record("comparison");
		rec = bi_set(rec, "metric", jv_string(m->name));
		rec = bi_set(rec, "old", jv_number(o));
		rec = bi_set(rec, "new", jv_number(n));
		rec = bi_set(rec, "change_pct", jv_number(round(change * 10) / 10));
		rec = bi_set(rec, "winner", jv_string(winner));
		rec = bi_set(rec, "weight", jv_number(m->weight));
		if (!isnan(t))
			rec = bi_set(rec, "t", jv_number(round(t * 100) / 100));
		if (why)
			rec = bi_set(rec, "reason", jv_string(why));
		rec = bi_set(rec, "old_label", jv_string(old_label));
		rec = bi_set(rec, "new_label", jv_string(new_label));
		bi_write(rec);
	}
	/* A win on the light metrics alone (avg or p99, weight 1) is not one. */
	const char *overall = score >= 3 ? "new" : score <= -3 ? "old" : "tie";
	double conf = fabs(score) / 10 * 100;
	if (conf > 95)
		conf = 95;
	jv rec = bi_record("comparison");
	rec = bi_set(rec, "metric", jv_string("overall"));
	rec = bi_set(rec, "winner", jv_string(overall));
	rec = bi_set(rec, "weighted", jv_number(score));
	rec = bi_set(rec, "confidence", jv_number(conf));
	rec = bi_set(rec, "old_label", jv_string(old_label));
	rec = bi_set(rec, "new_label", jv_string(new_label));
	char *advice = !strcmp(overall, "new") ?
		bi_asprintf("%s is faster: promote it (confidence %.0f%%)", new_label, conf) :
		!strcmp(overall, "old") ?
		bi_asprintf("%s is slower than %s: keep %s and look into the change (confidence %.0f%%)",
			    new_label, old_label, old_label, conf) :
		bi_asprintf("no difference beyond noise between %s and %s", old_label, new_label);
	rec = bi_set(rec, "recommendation", jv_string(advice));
	free(advice);
	bi_write(rec);
	bi_write_flush();
	jv_free(old);
	jv_free(new);
	return fail_if_worse && !strcmp(overall, "old") ? BI_EXIT_FAIL : BI_EXIT_OK;
}
