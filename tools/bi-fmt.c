/*
 * bi-fmt: render records for people.
 *
 * Reads any record stream on stdin. Known kinds become aligned tables (rows
 * of one kind are gathered while more input is ready, so a live stream still
 * prints at once) or short reports; any other kind prints as
 * "kind key=value ...". Colour only on a terminal, and never with NO_COLOR.
 * Writes text, not records: it is the end of a pipeline.
 *
 * A record is untrusted: each is made safe as it comes (bi_fmt_clean), its
 * text whole (a NUL shows as \0) and its control characters written out
 * (ESC as \e), so every string below is safe to print and the only colour
 * and cursor moves on the screen are ours. A stack trace and an answer keep
 * their lines; everything else shows on one.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "base/fmt.h"
#include "base/report.h"
static const char usage[] =
	"usage: bi-fmt [--strict] [--color WHEN] [FILE...]\n"
	"Render blissful-infra records (JSON lines) as tables and reports.\n"
	"\n"
	"  --strict       a malformed input line is fatal (exit 2)\n"
	"  --color WHEN   auto (default: on a terminal, unless NO_COLOR), always, never\n"
	"  -h, --help     show this help\n"
	"  --version      show the version\n";

static int color;

#define RED "31"
#define GREEN "32"
#define YELLOW "33"
#define DIM "2"
#define BOLD "1"

/* ---- tables ---- */

struct view {
	const char *kind;
	const bi_col *cols;
	int header;
	const char *(*tint)(jv rec, int col);	/* colour of a cell, or NULL */
};

static const char *
level_tint(const char *lvl)
{
	if (!lvl)
		return NULL;
	if (!strcasecmp(lvl, "error") || !strcasecmp(lvl, "fatal") || !strcasecmp(lvl, "critical"))
		return RED;
	if (!strncasecmp(lvl, "warn", 4))
		return YELLOW;
	if (!strcasecmp(lvl, "debug") || !strcasecmp(lvl, "trace"))
		return DIM;
	return NULL;
}

static const char *
log_tint(jv rec, int col)
{
	return col == 1 ? level_tint(bi_get_str(rec, "level")) : col == 0 ? DIM : NULL;
}

static const char *
state_tint(jv rec, int col)
{
	const char *s = bi_get_str(rec, "status");
	const char *st = bi_get_str(rec, "state");
	const char *a = bi_get_str(rec, "action");
	(void)col;
	if ((s && (!strcmp(s, "failed") || !strcmp(s, "fail"))) ||
	    (st && !strcmp(st, "firing")) ||
	    (a && (!strcmp(a, "die") || !strcmp(a, "oom") || !strcmp(a, "kill"))))
		return RED;
	if ((s && (!strcmp(s, "passed") || !strcmp(s, "pass"))) || (st && !strcmp(st, "resolved")))
		return GREEN;
	if (s && !strcmp(s, "skipped"))
		return YELLOW;
	return NULL;
}

static const char *
status_tint(jv rec, int col)
{
	const char *st = bi_get_str(rec, "state"), *h = bi_get_str(rec, "health");
	if (col == 1 && st)
		return !strcmp(st, "running") ? GREEN : RED;
	if (col == 2 && h)
		return !strcmp(h, "healthy") ? GREEN : !strcmp(h, "-") ? NULL : RED;
	return NULL;
}

static const bi_col log_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"LEVEL", "level", BI_F_UPPER, 0},
	{"SERVICE", "service|source", BI_F_STR, 0}, {"MESSAGE", "msg", BI_F_STR, 0}, {0}};
static const bi_col stats_cols[] = {
	{"SERVICE", "service", BI_F_STR, 0}, {"CONTAINER", "container", BI_F_SHORT, 0},
	{"CPU", "cpu_pct", BI_F_PCT, 1}, {"MEM", "mem_used", BI_F_BYTES, 1},
	{"LIMIT", "mem_limit", BI_F_BYTES, 1}, {"MEM%", "mem_pct", BI_F_PCT, 1},
	{"NET RX", "net_rx", BI_F_BYTES, 1}, {"NET TX", "net_tx", BI_F_BYTES, 1},
	{"BLK R", "blk_read", BI_F_BYTES, 1}, {"BLK W", "blk_write", BI_F_BYTES, 1},
	{"PIDS", "pids", BI_F_NUM, 1}, {0}};
static const bi_col container_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"SERVICE", "service", BI_F_STR, 0},
	{"CONTAINER", "container", BI_F_SHORT, 0}, {"EVENT", "action", BI_F_STR, 0},
	{"EXIT", "exit_code", BI_F_NUM, 1}, {"SIGNAL", "signal", BI_F_STR, 0},
	{"HEALTH", "health", BI_F_STR, 0}, {0}};
static const bi_col status_cols[] = {
	{"SERVICE", "service", BI_F_STR, 0}, {"STATE", "state", BI_F_STR, 0},
	{"HEALTH", "health", BI_F_STR, 0}, {"PORTS", "ports", BI_F_STR, 0},
	{"UPTIME", "uptime", BI_F_STR, 0}, {"RESTARTS", "restarts", BI_F_NUM, 1},
	{"EXIT", "exit_code", BI_F_NUM, 1}, {"CONTAINER", "container", BI_F_SHORT, 0}, {0}};
static const bi_col commit_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"COMMIT", "sha", BI_F_SHORT, 0},
	{"AUTHOR", "author", BI_F_STR, 0}, {"FILES", "files_changed", BI_F_NUM, 1},
	{"+", "insertions", BI_F_NUM, 1}, {"-", "deletions", BI_F_NUM, 1},
	{"MESSAGE", "msg", BI_F_FIRSTLINE, 0}, {0}};
static const bi_col k8s_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"TYPE", "type", BI_F_STR, 0}, {"REASON", "reason", BI_F_STR, 0},
	{"OBJECT", "object", BI_F_STR, 0}, {"MESSAGE", "msg", BI_F_FIRSTLINE, 0}, {0}};
static const bi_col metric_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"SERVICE", "service|target", BI_F_STR, 0},
	{"NAME", "name", BI_F_STR, 0}, {"LABELS", "labels", BI_F_STR, 0},
	{"VALUE", "value", BI_F_NUM, 1}, {"UNIT", "unit", BI_F_STR, 0}, {0}};
static const bi_col alert_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"ID", "id", BI_F_STR, 0}, {"STATE", "state", BI_F_STR, 0},
	{"SEVERITY", "severity", BI_F_STR, 0}, {"ALERT", "name", BI_F_STR, 0},
	{"SERVICE", "service", BI_F_STR, 0}, {"VALUE", "value", BI_F_NUM, 1},
	{"THRESHOLD", "threshold", BI_F_NUM, 1}, {"ACK", "acked", BI_F_STR, 0}, {0}};
static const bi_col point_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"VUS", "vus", BI_F_NUM, 1}, {"RPS", "rps", BI_F_RATE, 1},
	{"REQUESTS", "requests", BI_F_NUM, 1}, {"ERRORS", "errors", BI_F_NUM, 1},
	{"P50", "p50_ms", BI_F_MS, 1}, {"P95", "p95_ms", BI_F_MS, 1}, {"P99", "p99_ms", BI_F_MS, 1}, {0}};
static const bi_col comparison_cols[] = {
	{"METRIC", "metric", BI_F_STR, 0}, {"OLD", "old", BI_F_NUM, 1}, {"NEW", "new", BI_F_NUM, 1},
	{"CHANGE", "change_pct", BI_F_PCT, 1}, {"WINNER", "winner", BI_F_STR, 0},
	{"CONFIDENCE", "confidence", BI_F_PCT, 1}, {0}};
static const bi_col chaos_cols[] = {
	{"SCENARIO", "scenario", BI_F_STR, 0}, {"STATUS", "status", BI_F_STR, 0},
	{"RECOVERY", "recovery_ms", BI_F_MS, 1}, {"ERRORS", "during.error_rate", BI_F_PCT, 1},
	{"P95", "during.p95_ms", BI_F_MS, 1}, {"REASON", "reason", BI_F_STR, 0},
	{"PLAN", "plan", BI_F_STR, 0}, {0}};
static const bi_col canary_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"EVENT", "event", BI_F_STR, 0}, {"STEP", "step", BI_F_NUM, 1},
	{"WEIGHT", "weight", BI_F_NUM, 1}, {"DECISION", "decision", BI_F_STR, 0},
	{"CANARY ERR", "canary.error_rate", BI_F_PCT, 1}, {"P95", "canary.p95_ms", BI_F_MS, 1},
	{"STABLE ERR", "stable.error_rate", BI_F_PCT, 1}, {"REASON", "reason", BI_F_STR, 0}, {0}};
static const bi_col incident_cols[] = {
	{"ID", "id", BI_F_STR, 0}, {"TIME", "ts", BI_F_TIME, 0}, {"STATUS", "status", BI_F_STR, 0},
	{"PATTERN", "pattern", BI_F_STR, 0}, {"OUTCOME", "outcome", BI_F_STR, 0},
	{"FIX", "fix", BI_F_STR, 0}, {"TITLE", "title", BI_F_FIRSTLINE, 0}, {0}};
static const bi_col pattern_cols[] = {
	{"PATTERN", "id", BI_F_STR, 0}, {"NAME", "name", BI_F_STR, 0}, {"SEVERITY", "severity", BI_F_STR, 0},
	{"SEEN", "occurrences", BI_F_NUM, 1}, {"LAST SEEN", "last_seen", BI_F_TIME, 0},
	{"FIX WORKS", "success_rate", BI_F_NUM, 1}, {0}};
static const bi_col suggestion_cols[] = {
	{"PRIORITY", "priority", BI_F_STR, 0}, {"SUGGESTION", "title", BI_F_STR, 0},
	{"WHY", "detail", BI_F_STR, 0}, {0}};
static const bi_col proxy_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"PROXY", "proxy", BI_F_STR, 0}, {"EVENT", "event", BI_F_STR, 0},
	{"CLIENT", "client", BI_F_STR, 0}, {"UPSTREAM", "upstream", BI_F_STR, 0},
	{"UP", "bytes_up", BI_F_BYTES, 1}, {"DOWN", "bytes_down", BI_F_BYTES, 1},
	{"REASON", "reason", BI_F_STR, 0}, {0}};
static const bi_col file_cols[] = {
	{"ACTION", "action", BI_F_STR, 0}, {"BYTES", "bytes", BI_F_NUM, 1},
	{"PATH", "path", BI_F_STR, 0}, {0}};
static const bi_col environment_cols[] = {
	{"ENV", "env", BI_F_STR, 0}, {"NAMESPACE", "namespace", BI_F_STR, 0},
	{"VERSION", "version", BI_F_STR, 0}, {"SYNC", "sync", BI_F_STR, 0},
	{"HEALTH", "health", BI_F_STR, 0}, {"REPLICAS", "replicas", BI_F_STR, 1},
	{"PHASE", "phase", BI_F_STR, 0}, {"LAST DEPLOY", "last_deploy", BI_F_STR, 0},
	{"EXPIRES", "expires", BI_F_STR, 0}, {"ACTION", "action", BI_F_STR, 0},
	{"ERROR", "error", BI_F_FIRSTLINE, 0}, {0}};
static const bi_col deployment_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"ENV", "env", BI_F_STR, 0}, {"NAMESPACE", "namespace", BI_F_STR, 0},
	{"ACTION", "action", BI_F_STR, 0}, {"ENGINE", "engine", BI_F_STR, 0},
	{"IMAGE", "image", BI_F_STR, 0}, {"REVISION", "revision", BI_F_SHORT, 0},
	{"PHASE", "phase", BI_F_STR, 0}, {"MESSAGE", "msg", BI_F_FIRSTLINE, 0}, {0}};

static const bi_col stage_cols[] = {
	{"STAGE", "name", BI_F_STR, 0}, {"STATUS", "status", BI_F_STR, 0},
	{"TIME", "duration_ms", BI_F_MS, 1}, {"REASON", "reason", BI_F_STR, 0},
	{"LOG", "log", BI_F_STR, 0}, {0}};
static const bi_col pipeline_cols[] = {
	{"TIME", "ts", BI_F_TIME, 0}, {"RUN", "run", BI_F_STR, 0}, {"STATUS", "status", BI_F_STR, 0},
	{"FAILED AT", "failed_stage", BI_F_STR, 0}, {"TOOK", "duration_ms", BI_F_MS, 1},
	{"BRANCH", "branch", BI_F_STR, 0}, {"COMMIT", "sha", BI_F_SHORT, 0},
	{"MESSAGE", "msg", BI_F_FIRSTLINE, 0}, {0}};

static const struct view views[] = {
	{"log", log_cols, 0, log_tint},
	{"stats", stats_cols, 1, NULL},
	{"container", container_cols, 1, state_tint},
	{"container status", status_cols, 1, status_tint},
	{"commit", commit_cols, 1, NULL},
	{"k8s_event", k8s_cols, 1, NULL},
	{"metric", metric_cols, 1, NULL},
	{"alert", alert_cols, 1, state_tint},
	{"perf_point", point_cols, 1, NULL},
	{"comparison", comparison_cols, 1, state_tint},
	{"chaos", chaos_cols, 1, state_tint},
	{"canary", canary_cols, 1, NULL},
	{"incident", incident_cols, 1, NULL},
	{"file", file_cols, 1, NULL},
	{"pattern", pattern_cols, 1, NULL},
	{"suggestion", suggestion_cols, 1, NULL},
	{"proxy", proxy_cols, 1, NULL},
	{"stage", stage_cols, 1, state_tint},
	{"pipeline", pipeline_cols, 1, state_tint},
	{"environment", environment_cols, 1, NULL},
	{"deployment", deployment_cols, 1, NULL},
	{NULL, NULL, 0, NULL}};

/* Rows of one table, waiting to be aligned. */
static const struct view *pending_view;
static const struct view *last_view;
static bi_table *table;

static void
flush_table(void)
{
	if (!pending_view)
		return;
	bi_table_print(table, stdout, pending_view != last_view);
	bi_table_free(table);
	table = NULL;
	last_view = pending_view;
	pending_view = NULL;
}

static void
add_row(const struct view *v, jv rec)
{
	if (pending_view != v) {
		flush_table();
		pending_view = v;
		table = bi_table_new(v->cols, v->header, color);
	}
	bi_table_add(table, rec, v->tint);
	/* A log's stack trace follows it, indented, in its own rows. */
	if (!strcmp(v->kind, "log")) {
		const char *st = bi_get_str(rec, "stack");
		if (st) {
			bi_buf all = {0};
			flush_table();
			for (const char *p = st; *p;) {
				size_t n = strcspn(p, "\n");
				bi_buf_printf(&all, "    %.*s\n", (int)n, p);
				p += n + (p[n] == '\n');
			}
			fputs(all.p, stdout);
			bi_buf_free(&all);
			return;
		}
	}
	if (bi_table_rows(table) >= 500)
		flush_table();
}

/* ---- any other kind: kind key=value ... ---- */

static void
kv_line(jv rec)
{
	bi_buf b = {0};
	const char *kind = bi_get_str(rec, "kind");

	bi_buf_adds(&b, kind ? kind : "?");
	jv_object_foreach(rec, k, v) {
		const char *key = jv_string_value(k);
		if (strcmp(key, "kind") != 0) {
			bi_buf_printf(&b, " %s=", key);
			if (jv_get_kind(v) == JV_KIND_STRING) {
				/* Cleaned already (but for a stack's lines): quoted,
				 * not escaped again. */
				const char *s = jv_string_value(v);
				if (*s && !strpbrk(s, " \t\n\"=")) {
					bi_buf_adds(&b, s);
				} else {
					bi_buf_adds(&b, "\"");
					for (; *s; s++) {
						switch (*s) {
						case '"': bi_buf_adds(&b, "\\\""); break;
						case '\n': bi_buf_adds(&b, "\\n"); break;
						case '\t': bi_buf_adds(&b, "\\t"); break;
						default: bi_buf_add(&b, s, 1);
						}
					}
					bi_buf_adds(&b, "\"");
				}
			} else {
				jv q = jv_dump_string(jv_copy(v), 0);
				bi_buf_adds(&b, jv_string_value(q));
				jv_free(q);
			}
		}
		jv_free(k);
		jv_free(v);
	}
	puts(b.p);
	bi_buf_free(&b);
}

static void
render(jv rec)
{
	const char *kind = bi_get_str(rec, "kind");

	if (kind) {
		/* A container's status is a table of its own. */
		const char *action = bi_get_str(rec, "action");
		const char *name = !strcmp(kind, "container") && action && !strcmp(action, "status") ?
			"container status" : kind;
		for (const struct view *v = views; v->kind; v++) {
			if (strcmp(v->kind, name) == 0) {
				add_row(v, rec);
				/* A comparison ends with its verdict in words. */
				const char *advice = bi_get_str(rec, "recommendation");
				if (advice) {
					flush_table();
					printf("\n%s\n", advice);
					last_view = NULL;
				}
				return;
			}
		}
	}
	flush_table();
	if (!bi_report(stdout, rec, color))	/* report.c's kinds */
		kv_line(rec);
	last_view = NULL;
}

static int
show(void *ctx, jv rec, bi_reader *r)
{
	static const char *const lines[] = {"stack", "answer", NULL};

	(void)ctx;
	rec = bi_fmt_clean(rec, lines);
	render(rec);
	jv_free(rec);
	/* Show what we have before we wait for more; but a writer that sends
	 * a table record by record gets 50 ms to send the next, so its rows
	 * line up as one table. */
	if (!bi_reader_ready(r, 50)) {
		flush_table();
		bi_fshut(stdout, "stdout");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"strict", no_argument, NULL, 's'},
		{"color", required_argument, NULL, 'c'},
		{"colour", required_argument, NULL, 'c'},
		{"no-color", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *when = "auto";
	int flags = 0, c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': flags |= BI_STRICT; break;
		case 'c': when = optarg; break;
		case 'n': when = "never"; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (!strcmp(when, "always"))
		color = 1;
	else if (!strcmp(when, "never"))
		color = 0;
	else if (!strcmp(when, "auto"))
		color = bi_color_ok(STDOUT_FILENO);
	else
		bi_usage_error(usage, "--color: expected auto, always or never, not '%s'", when);

	int unread = bi_each(argc - optind, argv + optind, flags, show, NULL);
	flush_table();
	bi_fshut(stdout, "stdout");
	return unread ? BI_EXIT_USAGE : BI_EXIT_OK;
}
