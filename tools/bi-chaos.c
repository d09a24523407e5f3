/*
 * bi-chaos: failure experiments on the project's own containers.
 *
 * Reads the options and blissful-infra.yaml; runs each scenario chosen
 * (lib/engines/experiment.c: steady state, fault under the project's own
 * load, recovery) and writes one `chaos` record per scenario: passed, failed
 * (with the reason) or skipped (could not run, or could not have shown
 * anything: never counted as passed).
 *
 * Every change is journalled before it is made and undone at the end, on
 * SIGINT/SIGTERM, or by --rollback after a crash. One run per project at a
 * time: a lock beside the journal, held from before the start-up rollback to
 * the end, so that a second run cannot undo the first one's fault; it is
 * refused (exit 2). --dry-run prints the plan, and takes no lock.
 *
 * What this machine failed (the lock file, the journal, a thread for the
 * load, the output) is exit 4; when it is the journal or the load's thread,
 * the scenario it struck ends as skipped, saying why, and none after it
 * runs. A change left that cannot be undone
 * (Docker or the chaos-proxy would not put it back, at the start, at the
 * end or with --rollback) is exit 3, as an outside system that did not
 * answer: the project is not as it was, the journal keeps the change, and
 * --rollback, once they answer, tries again. It outranks every other
 * outcome, 130 included: an experiment's verdict means little beside a
 * project left broken.
 */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/docker.h"
#include "engines/chaos.h"
#include "engines/experiment.h"
static const char usage[] =
	"usage: bi-chaos [--scenario S]... [options]\n"
	"       bi-chaos --rollback\n"
	"Break the project on purpose, measure, and put it back; a chaos record per scenario.\n"
	"\n"
	"Scenarios: pod-kill, network-latency, dependency-down, db-latency,\n"
	"memory-pressure, cpu-pressure, pause (default: chaos.scenarios in\n"
	"blissful-infra.yaml, else pod-kill network-latency dependency-down memory-pressure).\n"
	"  -s, --scenario S     run S (repeatable)\n"
	"  -i, --intensity I    low, medium or high (default: chaos.intensity, else medium)\n"
	"  -d, --duration DUR   how long each fault lasts (default 10s)\n"
	"  -t, --target SVC     dependency-down, db-latency: which dependency (default:\n"
	"                       postgres, then redis, then kafka)\n"
	"  -p, --project NAME   compose project (default: blissful-infra.yaml's name)\n"
	"      --service SVC    the app's compose service (default app)\n"
	"  -u, --url URL        the app (default http://127.0.0.1:PORT from blissful-infra.yaml)\n"
	"      --recovery DUR   how long recovery may take (default 60s)\n"
	"      --load FILE      the load: a bi-perf scenario's endpoints (default: chaos.load,\n"
	"                       else perf/load.yaml, else GET of the health path)\n"
	"  -n, --dry-run        print the plan, touch nothing\n"
	"      --rollback       undo whatever an interrupted run left (its journal)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Exit: 0 every scenario passed, 1 one failed or was skipped (the app not healthy\n"
	"before is a skip), 2 usage, or another run holds the project, 3 Docker\n"
	"unreachable, or a change left that cannot be undone (--rollback tries again),\n"
	"4 this machine failed (the lock, the journal, a thread, the output),\n"
	"130 interrupted (all undone).\n";

#define MAX_SCENARIOS 16

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { (void)sig; interrupted = 1; }

static char *
my_dir(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n <= 0)
		return bi_strdup(".");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return bi_strdup(buf);
}

/* The experiments' load: --load, else chaos.load (relative to the project),
 * else the project's perf/load.yaml when it has one, else the health path. */
static void
set_load(bi_chaos *cx, const char *flag, const char *root)
{
	const char *conf = bi_jv_path_str(cx->cfg, "chaos.load", NULL);
	const char *given = flag ? flag : conf;
	char err[512], *path = NULL;

	if (given)
		path = (given[0] == '/' || flag || !root) ? bi_strdup(given) : bi_asprintf("%s/%s", root, given);
	else if (root && (path = bi_asprintf("%s/perf/load.yaml", root)) && access(path, F_OK) != 0) {
		free(path);
		path = NULL;
	}
	if (bi_chaos_set_load(cx, path, given ? given : path ? "perf/load.yaml" : NULL, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "%s%s", flag ? "--load: " : conf ? "chaos.load: " : "", err);
	free(path);
}

/* The scenarios to run: those given, else chaos.scenarios, else the four
 * that say most; each one known, or a usage error before anything is touched. */
static int
choose(jv cfg, const char **chosen, int n)
{
	static const char *const def[] = {"pod-kill", "network-latency", "dependency-down",
					  "memory-pressure"};

	if (n == 0) {
		jv list = bi_jv_path(cfg, "chaos.scenarios");
		if (jv_get_kind(list) == JV_KIND_ARRAY) {
			jv_array_foreach(list, i, s) {
				if (jv_get_kind(s) == JV_KIND_STRING && n < MAX_SCENARIOS)
					chosen[n++] = bi_strdup(jv_string_value(s));
				jv_free(s);
			}
		}
		jv_free(list);
	}
	if (n == 0)
		for (; n < (int)(sizeof def / sizeof *def); n++)
			chosen[n] = def[n];
	for (int i = 0; i < n; i++)
		if (!bi_chaos_known(chosen[i]))
			bi_usage_error(usage, "unknown scenario: %s", chosen[i]);
	return n;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"scenario", required_argument, NULL, 's'},
		{"intensity", required_argument, NULL, 'i'},
		{"duration", required_argument, NULL, 'd'},
		{"target", required_argument, NULL, 't'},
		{"project", required_argument, NULL, 'p'},
		{"service", required_argument, NULL, 'S'},
		{"url", required_argument, NULL, 'u'},
		{"recovery", required_argument, NULL, 'r'},
		{"load", required_argument, NULL, 'L'},
		{"dry-run", no_argument, NULL, 'n'},
		{"rollback", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *chosen[MAX_SCENARIOS];
	int nchosen = 0, rollback = 0, c;
	const char *load = NULL;
	char err[512];
	bi_chaos cx = {.stop = &interrupted};

	bi_init(argv[0]);
	cx.duration = 10 * BI_NS_PER_S;
	cx.recovery = 60 * BI_NS_PER_S;
	cx.service = "app";
	while ((c = getopt_long(argc, argv, "s:i:d:t:p:u:nh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (nchosen == MAX_SCENARIOS)
				bi_usage_error(usage, "too many scenarios");
			chosen[nchosen++] = optarg;
			break;
		case 'i': cx.intensity = optarg; break;
		case 'd':
			if (bi_dur_parse(optarg, &cx.duration) || cx.duration < BI_NS_PER_S)
				bi_usage_error(usage, "--duration: a duration of a second or more: %s", optarg);
			break;
		case 't': cx.target = optarg; break;
		case 'p': cx.project = optarg; break;
		case 'S': cx.service = optarg; break;
		case 'u': cx.base = optarg; break;
		case 'r':
			if (bi_dur_parse(optarg, &cx.recovery) || cx.recovery <= 0)
				bi_usage_error(usage, "--recovery: not a duration: %s", optarg);
			break;
		case 'L': load = optarg; break;
		case 'n': cx.dry_run = 1; break;
		case 'R': rollback = 1; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	cx.cfg = bi_config();
	char *root = bi_project_dir();
	/* Not under chaos/: that holds results, which other tools read. */
	cx.journal = bi_asprintf("%s/.blissful-infra/chaos.journal", root ? root : ".");
	char *lockfile = bi_asprintf("%s/.blissful-infra/chaos.lock", root ? root : ".");
	cx.bindir = my_dir();
	if (!cx.project)
		cx.project = bi_jv_path_str(cx.cfg, "name", NULL);
	if (!cx.intensity)
		cx.intensity = bi_jv_path_str(cx.cfg, "chaos.intensity", "medium");
	if (strcmp(cx.intensity, "low") && strcmp(cx.intensity, "medium") && strcmp(cx.intensity, "high"))
		bi_usage_error(usage, "--intensity: low, medium or high, not %s", cx.intensity);
	cx.max_errors = bi_jv_path_num(cx.cfg, "perf.thresholds.error_rate", 0.01);
	if (!cx.base) {
		const char *env = getenv("APP_PORT");
		double port = bi_jv_path_num(cx.cfg, "services.app.port", 8080);
		cx.base = env && *env ? bi_asprintf("http://127.0.0.1:%s", env) :
				      bi_asprintf("http://127.0.0.1:%.0f", port);
	}

	if (!rollback) {
		nchosen = choose(cx.cfg, chosen, nchosen);
		set_load(&cx, load, root);
	}
	/* Held to the end, from before anything is undone: whatever the journal
	 * holds may be another run's fault under measurement. */
	if (!cx.dry_run) {
		long holder;
		if (bi_chaos_lock(lockfile, &holder) < 0) {
			if (holder < 0)
				bi_die(BI_EXIT_LOCAL, "cannot lock %s:", lockfile);
			char who[32] = "";
			if (holder > 0)
				snprintf(who, sizeof who, " (pid %ld)", holder);
			bi_die(BI_EXIT_USAGE, "another bi-chaos run%s is under way on this project (it holds "
			       "%s): one experiment at a time, or each would undo the other's fault", who, lockfile);
		}
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cx.d = bi_docker_open(err, sizeof err);
	if (rollback) {
		jv undone = jv_array();
		int r = bi_chaos_rollback(&cx, &undone);
		jv rec = bi_record("chaos");
		rec = bi_set(rec, "scenario", jv_string("rollback"));
		rec = bi_set(rec, "status", jv_string(r == 0 ? "passed" : "failed"));
		rec = bi_set(rec, "undone", undone);
		bi_write(rec);
		bi_write_flush();
		if (r != 0)
			bi_warn("what could not be undone stays in %s", cx.journal);
		return r == 0 ? BI_EXIT_OK : BI_EXIT_UNREACHABLE;
	}
	if (!cx.d && !cx.dry_run)
		bi_die(BI_EXIT_UNREACHABLE, "%s", err);
	if (!cx.project)
		bi_die(BI_EXIT_USAGE, "which project? run in one (blissful-infra.yaml) or give --project");
	/* Whatever an earlier run left is put back before anything new. */
	if (!cx.dry_run && bi_chaos_rollback(&cx, NULL) != 0)
		bi_die(BI_EXIT_UNREACHABLE, "an earlier run left changes that cannot be undone; see %s", cx.journal);

	int all_ok = 1;
	for (int i = 0; i < nchosen && !interrupted; i++) {
		jv rec = bi_chaos_run(&cx, chosen[i]);
		const char *st = bi_get_str(rec, "status");
		all_ok &= st && (!strcmp(st, "passed") || !strcmp(st, "planned"));
		bi_write(rec);
		bi_write_flush();
		if (cx.local_error[0]) {
			bi_warn("stopping: %s", cx.local_error);
			break;
		}
	}
	/* A dry run changes nothing, not even what an earlier run left. */
	int undone = cx.dry_run ? 0 : bi_chaos_rollback(&cx, NULL);
	bi_docker_close(cx.d);
	int local = cx.local_error[0] != '\0';
	bi_chaos_free(&cx);
	free(lockfile);
	free(root);
	if (undone != 0) {
		bi_warn("what could not be undone stays in %s: bi-chaos --rollback tries again", cx.journal);
		return BI_EXIT_UNREACHABLE;
	}
	if (local)
		return BI_EXIT_LOCAL;
	if (interrupted)
		return 130;
	return all_ok ? BI_EXIT_OK : BI_EXIT_FAIL;
}
