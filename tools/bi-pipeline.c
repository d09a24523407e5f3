/*
 * bi-pipeline: the records of a build pipeline, for `blissful-infra pipeline`.
 *
 *   bi-pipeline stage ...      one `stage` record from its options
 *   bi-pipeline summary FILE   the `pipeline` record of the stage records in FILE
 *   bi-pipeline trivy [FILE]   a `scan` record from a Trivy JSON report
 *
 * The shell layer runs the stages; this tool is what it cannot do safely
 * or simply: write JSON whose strings come from outside (a commit message,
 * a branch, a command's last line), add up a run's stages, and read
 * Trivy's report. Every value arrives as one argument and leaves as one
 * JSON string, so no quote, space or $(...) in it is ever seen by a shell.
 *
 * A run's status is the first failed stage's (failed), else passed: a
 * skipped stage never makes a run fail nor counts as passed. A stage run
 * again in the same run (Jenkins' retry) counts as its last record says;
 * the run's time counts every attempt. A scan
 * (lib/sources/trivy.c) fails on any CRITICAL vulnerability; HIGH ones are
 * counted and named, not failed.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "sources/trivy.h"
static const char usage[] =
	"usage: bi-pipeline stage --run ID --name NAME --status S [options]\n"
	"       bi-pipeline summary --run ID [--branch B] [--sha SHA] [--message M] FILE\n"
	"       bi-pipeline trivy [--image IMAGE] [FILE]\n"
	"Records of a build pipeline: a stage, a run's summary, a Trivy scan.\n"
	"\n"
	"  stage: a `stage` record\n"
	"      --run ID         the run it belongs to\n"
	"      --name NAME      the stage's name\n"
	"      --status S       passed, failed or skipped\n"
	"      --reason TEXT    why it failed or was skipped (or what it noted)\n"
	"      --ms N           how long it took, in milliseconds\n"
	"      --log PATH       where its full output is\n"
	"      --image REF      the image it made or used\n"
	"      --digest D       the digest it pushed\n"
	"      --attach FILE    the last record of FILE, under `detail` (its summary\n"
	"                       completes the reason)\n"
	"  summary: the `pipeline` record of FILE's stage records of run ID\n"
	"      --branch B, --sha SHA, --message M   the commit it ran on\n"
	"      --ms N           the run's whole time (default: the stages' sum)\n"
	"  trivy: a `scan` record from `trivy image --format json` (FILE or stdin)\n"
	"      --image REF      the image scanned (default: the report's ArtifactName)\n"
	"      --project NAME   the project, in every record\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Exit: 0; 1 summary: a stage failed, trivy: a CRITICAL vulnerability;\n"
	"2 usage or input; 4 writing the output failed.\n";

enum { O_RUN = 256, O_NAME, O_STATUS, O_REASON, O_MS, O_LOG, O_IMAGE, O_DIGEST,
	O_ATTACH, O_BRANCH, O_SHA, O_MESSAGE, O_PROJECT };

struct opts {
	const char *run, *name, *status, *reason, *ms, *log, *image, *digest, *attach;
	const char *branch, *sha, *message, *project;
};

static jv
str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

static double
parse_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v) || v < 0)	/* strtod takes nan, inf, 1e999 */
		bi_usage_error(usage, "--ms: not a number of milliseconds: %s", s);
	return v;
}

static int
keep_last(void *ctx, jv rec, bi_reader *r)
{
	jv *last = ctx;
	(void)r;
	jv_free(*last);
	*last = rec;
	return 0;
}

static int
cmd_stage(const struct opts *o)
{
	if (!o->run || !o->name || !o->status)
		bi_usage_error(usage, "stage needs --run, --name and --status");
	if (strcmp(o->status, "passed") && strcmp(o->status, "failed") && strcmp(o->status, "skipped"))
		bi_usage_error(usage, "--status: passed, failed or skipped, not %s", o->status);
	jv detail = jv_invalid();
	if (o->attach) {
		char *const paths[] = {(char *)o->attach};
		if (bi_each(1, paths, 0, keep_last, &detail) != 0 || !jv_is_valid(detail)) {
			jv_free(detail);
			bi_die(BI_EXIT_USAGE, "%s: no record to attach", o->attach);
		}
	}
	/* The reason, completed by what the attached record sums up. */
	const char *sum = jv_is_valid(detail) ? bi_get_text(detail, "summary", NULL) : NULL;
	const char *why = o->reason && *o->reason ? o->reason : NULL;
	char *reason = why && sum ? bi_asprintf("%s: %s", why, sum) : bi_strdup(why ? why : sum ? sum : "");
	/* A stage that did not pass says why: the record must, for bi-fmt's table. */
	if (strcmp(o->status, "passed") && !*reason) {
		free(reason);
		jv_free(detail);
		bi_usage_error(usage, "a %s stage needs its --reason", o->status);
	}
	jv r = bi_record("stage");
	if (o->project)
		r = bi_set(r, "project", jv_string(o->project));
	r = bi_set(r, "run", jv_string(o->run));
	r = bi_set(r, "name", jv_string(o->name));
	r = bi_set(r, "status", jv_string(o->status));
	if (*reason)
		r = bi_set(r, "reason", jv_string(reason));
	free(reason);
	if (o->ms)	/* a stage that never ran has no time */
		r = bi_set(r, "duration_ms", jv_number(parse_ms(o->ms)));
	if (o->log)
		r = bi_set(r, "log", jv_string(o->log));
	if (o->image)
		r = bi_set(r, "image", jv_string(o->image));
	if (o->digest)
		r = bi_set(r, "digest", jv_string(o->digest));
	if (jv_is_valid(detail))
		r = bi_set(r, "detail", detail);
	else
		jv_free(detail);
	bi_write(r);
	return BI_EXIT_OK;
}

struct sum {
	const char *run;
	jv stages;	/* [{name,status,duration_ms,reason}] in order of first record */
	jv at;		/* {name: its index in stages} */
	double ms;
};

static int
add_stage(void *ctx, jv rec, bi_reader *r)
{
	struct sum *s = ctx;
	const char *kind = bi_get_str(rec, "kind"), *run = bi_get_str(rec, "run");
	const char *name = bi_get_str(rec, "name"), *st = bi_get_str(rec, "status");
	(void)r;
	if (kind && !strcmp(kind, "stage") && run && !strcmp(run, s->run) && name && st) {
		double ms = bi_get_num(rec, "duration_ms", 0);
		s->ms += ms;
		jv one = jv_object();
		one = bi_set(one, "name", jv_string(name));
		one = bi_set(one, "status", jv_string(st));
		one = bi_set(one, "duration_ms", jv_number(ms));
		one = bi_set(one, "reason", str_or_null(bi_get_str(rec, "reason")));
		jv i = jv_object_get(jv_copy(s->at), jv_string(name));
		if (jv_get_kind(i) == JV_KIND_NUMBER) {	/* run again: this attempt counts */
			s->stages = jv_array_set(s->stages, (int)jv_number_value(i), one);
		} else {
			s->at = jv_object_set(s->at, jv_string(name),
				jv_number(jv_array_length(jv_copy(s->stages))));
			s->stages = jv_array_append(s->stages, one);
		}
		jv_free(i);
	}
	jv_free(rec);
	return 0;
}

static int
cmd_summary(const struct opts *o, int n, char *const *files)
{
	struct sum s = {o->run, jv_array(), jv_object(), 0};
	int passed = 0, failed = 0, skipped = 0;
	jv failed_at = jv_null(), reason = jv_null(), stages = jv_array();

	if (!o->run)
		bi_usage_error(usage, "summary needs --run");
	if (n != 1)
		bi_usage_error(usage, "summary reads one FILE of stage records");
	if (bi_each(n, files, 0, add_stage, &s) != 0) {
		jv_free(s.stages);
		jv_free(s.at);
		jv_free(stages);
		bi_die(BI_EXIT_USAGE, "%s: cannot read the stage records", files[0]);
	}
	jv_free(s.at);
	/* Each stage as its last record says; the first failed one names the run's failure. */
	jv_array_foreach(s.stages, i, one) {
		const char *st = bi_get_str(one, "status");
		if (!strcmp(st, "failed")) {
			if (!failed++) {
				jv_free(failed_at);
				jv_free(reason);
				failed_at = jv_object_get(jv_copy(one), jv_string("name"));
				reason = jv_object_get(jv_copy(one), jv_string("reason"));
			}
		} else if (!strcmp(st, "passed")) {
			passed++;
		} else {
			skipped++;
		}
		stages = jv_array_append(stages, jv_object_delete(one, jv_string("reason")));
	}
	jv_free(s.stages);
	jv r = bi_record("pipeline");
	if (o->project)
		r = bi_set(r, "project", jv_string(o->project));
	r = bi_set(r, "run", jv_string(o->run));
	r = bi_set(r, "status", jv_string(failed ? "failed" : passed ? "passed" : "skipped"));
	if (failed) {
		r = bi_set(r, "failed_stage", failed_at);
		if (jv_get_kind(reason) == JV_KIND_STRING)
			r = bi_set(r, "reason", reason);
		else
			jv_free(reason);
	} else {
		jv_free(failed_at);
		jv_free(reason);
	}
	r = bi_set(r, "duration_ms", jv_number(o->ms ? parse_ms(o->ms) : s.ms));
	r = bi_set(r, "passed", jv_number(passed));
	r = bi_set(r, "failed", jv_number(failed));
	r = bi_set(r, "skipped", jv_number(skipped));
	r = bi_set(r, "stages", stages);
	if (o->branch)
		r = bi_set(r, "branch", jv_string(o->branch));
	if (o->sha)
		r = bi_set(r, "sha", jv_string(o->sha));
	if (o->message)
		r = bi_set(r, "msg", jv_string(o->message));
	bi_write(r);
	return failed ? BI_EXIT_FAIL : BI_EXIT_OK;
}

static int
cmd_trivy(const struct opts *o, int n, char *const *files)
{
	size_t len;
	char *text;
	int critical;

	if (n > 1)
		bi_usage_error(usage, "trivy reads one report");
	if (n == 0 || !strcmp(files[0], "-")) {
		bi_buf b = {0};
		char chunk[65536];
		ssize_t got;
		while ((got = read(0, chunk, sizeof chunk)) > 0)
			bi_buf_add(&b, chunk, (size_t)got);
		if (got < 0)
			bi_die(BI_EXIT_USAGE, "stdin:");
		bi_buf_add(&b, "", 1);
		text = b.p;
		len = b.len - 1;
	} else if (!(text = bi_read_file(files[0], &len))) {
		bi_die(BI_EXIT_USAGE, "%s:", files[0]);
	}
	jv rep = jv_parse_sized(text, (int)len);
	free(text);
	if (!jv_is_valid(rep)) {
		jv msg = jv_invalid_get_msg(rep);
		bi_warn("not a Trivy JSON report: %s",
			jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "not JSON");
		jv_free(msg);
		return BI_EXIT_USAGE;
	}
	jv r = bi_trivy_scan(rep, &critical);
	if (!jv_is_valid(r)) {
		jv msg = jv_invalid_get_msg(r);
		bi_warn("%s", jv_string_value(msg));
		jv_free(msg);
		return BI_EXIT_USAGE;
	}
	if (o->project)
		r = bi_set(r, "project", jv_string(o->project));
	if (o->image)
		r = bi_set(r, "image", jv_string(o->image));
	bi_write(r);
	return critical ? BI_EXIT_FAIL : BI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"run", required_argument, NULL, O_RUN},
		{"name", required_argument, NULL, O_NAME},
		{"status", required_argument, NULL, O_STATUS},
		{"reason", required_argument, NULL, O_REASON},
		{"ms", required_argument, NULL, O_MS},
		{"log", required_argument, NULL, O_LOG},
		{"image", required_argument, NULL, O_IMAGE},
		{"digest", required_argument, NULL, O_DIGEST},
		{"attach", required_argument, NULL, O_ATTACH},
		{"branch", required_argument, NULL, O_BRANCH},
		{"sha", required_argument, NULL, O_SHA},
		{"message", required_argument, NULL, O_MESSAGE},
		{"project", required_argument, NULL, O_PROJECT},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	struct opts o = {0};
	int c, st;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_RUN: o.run = optarg; break;
		case O_NAME: o.name = optarg; break;
		case O_STATUS: o.status = optarg; break;
		case O_REASON: o.reason = optarg; break;
		case O_MS: o.ms = optarg; break;
		case O_LOG: o.log = optarg; break;
		case O_IMAGE: o.image = optarg; break;
		case O_DIGEST: o.digest = optarg; break;
		case O_ATTACH: o.attach = optarg; break;
		case O_BRANCH: o.branch = optarg; break;
		case O_SHA: o.sha = optarg; break;
		case O_MESSAGE: o.message = optarg; break;
		case O_PROJECT: o.project = optarg; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	const char *cmd = optind < argc ? argv[optind++] : NULL;
	int n = argc - optind;
	char *const *rest = argv + optind;
	if (!cmd)
		bi_usage_error(usage, "stage, summary or trivy?");
	if (!strcmp(cmd, "stage")) {
		if (n)
			bi_usage_error(usage, "stage takes options only");
		st = cmd_stage(&o);
	} else if (!strcmp(cmd, "summary")) {
		st = cmd_summary(&o, n, rest);
	} else if (!strcmp(cmd, "trivy")) {
		st = cmd_trivy(&o, n, rest);
	} else {
		bi_usage_error(usage, "unknown command: %s", cmd);
	}
	bi_write_flush();
	return st;
}
