/*
 * bi-watch: keep a project's store current while the project is up.
 *
 * A supervisor of the tools that collect, in the Unix way: it runs
 *
 *   logs     bi-collect --docker --logs --events --follow --since RESUME
 *   metrics  bi-metrics scrape -i metrics.interval   (alerts judged each scrape)
 *   store    bi-store put                            (retention as it goes)
 *   notify   bi-notify                               (when notifications are set)
 *
 * and relays their records itself: every line of logs, the alert and health
 * records of metrics, and what notify says go to store's input; alerts also
 * to notify's (the routes below). Relaying whole lines lets it count them
 * and read their times (the lag, the last log, the last scrape) and hold
 * what a sink has not taken while it is restarted. How the parts are run,
 * started again (with a backoff, the log saying so) and stopped in order,
 * and what is lost when one dies, is lib/engines/supervise.c's; this file
 * is which parts, with which arguments, and the watcher's files.
 *
 * No log line is lost across restarts: logs resumes from the newest log or
 * container record committed in the store, a second back (fixed when the
 * store ends, before the next one commits anything); what comes again
 * is dropped by the store, which keeps a record once. A watcher killed
 * with SIGKILL leaves nothing running (its parts die with it); what they
 * had not committed comes again.
 *
 * Files, under the project's .blissful-infra/: watch.pid (its pid, locked
 * while it runs: the lock, not the pid, says it is alive), watch.json (its
 * state, a `watcher` record, rewritten every two seconds), watch.log (the
 * detached watcher's diagnostics and its parts', each line stamped; kept
 * under 5 MB with one old file).
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/store.h"
#include "engines/supervise.h"

static const char usage[] =
	"usage: bi-watch [--detach | --stop | --status] [--db PATH]\n"
	"Keep the project's store current while it is up: its containers' logs and\n"
	"events, metric scrapes, alerts and their notifications.\n"
	"\n"
	"  (no option)    watch in the foreground until SIGTERM or SIGINT (systemd, cron)\n"
	"  -d, --detach   watch in the background, logging to .blissful-infra/watch.log;\n"
	"                 nothing to do when a watcher already runs\n"
	"      --stop     stop the project's watcher, once what it holds is stored\n"
	"      --status   a `watcher` record: running or not, since, last scrape, last\n"
	"                 log record, lag, records per second, database size\n"
	"      --db PATH  the database (default $BI_DB, or .blissful-infra/bi.db)\n"
	"  -h, --help     show this help\n"
	"      --version  show the version\n"
	"Exit: 0; 1 --status/--stop: no watcher runs; 2 usage, not in a project, or\n"
	"another watcher runs (in the foreground); 4 the watcher's files cannot be made,\n"
	"or records it held were not stored when it stopped.\n";

/* ---- the parts ---- */

enum { STORE, NOTIFY, LOGS, METRICS, NPARTS };

static const char *const stored_metrics[] = {"alert", "health", NULL};
static const char *const told[] = {"alert", NULL};

/* Where each producer's lines go. A line that is no record goes to the
 * store all the same: not for us to judge; the store reports what it
 * cannot read. */
static const bi_sup_route to_store[] = {{STORE, NULL, 1}, {-1, NULL, 0}};
static const bi_sup_route from_metrics[] = {{STORE, stored_metrics, 1}, {NOTIFY, told, 0}, {-1, NULL, 0}};

static const bi_sup_part parts[NPARTS] = {
	[STORE] = {.name = "store", .sink = 1},
	/* Exit 2: its configuration is wrong (it said why); starting it
	 * again would say so every minute. */
	[NOTIFY] = {.name = "notify", .sink = 1, .producer = 1, .routes = to_store, .final_status = 2,
		    .final_why = "blissful-infra.yaml's notifications are not usable; "
				 "not started again until the watcher is"},
	/* Resumes from what the store committed (resume_point). */
	[LOGS] = {.name = "logs", .producer = 1, .routes = to_store, .resumes = 1},
	[METRICS] = {.name = "metrics", .producer = 1, .routes = from_metrics},
};

struct watch {
	char *root, *dir, *project, *db, *bindir, *interval, *config;
	int detached;
	int logfd;
	int notify;		/* blissful-infra.yaml has notifications */
	int64_t since;		/* wall ns */
	bi_sup *sup;
};

static volatile sig_atomic_t got_term;

static void
on_signal(int sig)
{
	(void)sig;
	got_term++;
}

/* ---- the log ---- */

static void
rotate_log(struct watch *w)
{
	struct stat st;
	char *log, *old;

	if (!w->detached || fstat(w->logfd, &st) || st.st_size < 5 * 1000 * 1000)
		return;
	log = bi_asprintf("%s/watch.log", w->dir);
	old = bi_asprintf("%s/watch.log.1", w->dir);
	rename(log, old);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, w->logfd);
		close(fd);
	}
	free(log);
	free(old);
}

/* One stamped line: "TS WHO: text", WHO the part whose stderr it is, or
 * (NULL) the watcher; the supervisor's log. */
static void
logline(void *ctx, const char *who, const char *text, size_t n)
{
	struct watch *w = ctx;
	char ts[BI_TS_LEN];
	bi_buf b = {0};

	bi_buf_printf(&b, "%s %s: ", bi_ts_now(ts), who ? who : "bi-watch");
	bi_buf_add(&b, text, n);
	bi_buf_adds(&b, "\n");
	(void)!write(w->logfd, b.p, b.len);
	bi_buf_free(&b);
	rotate_log(w);
}

static void
say(struct watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
say(struct watch *w, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	logline(w, NULL, msg, strlen(msg));
}

/* ---- the parts' commands ---- */

/* Where logs resumes: a second before the newest log or container record
 * committed, so that what was in flight when the last run ended comes
 * again (the store keeps it once); everything the containers have, the
 * first time. Asked when logs starts, and when the store ends (the
 * database holds exactly what it committed then). */
static char *
resume_point(void *ctx, int part)
{
	struct watch *w = ctx;
	char err[512];
	sqlite3 *db = bi_store_open(w->db, err, sizeof err);
	int64_t ts = -1;

	(void)part;
	if (db) {
		/* Two max()es on (kind, ts), each a single index step. */
		ts = bi_sql_int(db, "SELECT max((SELECT max(ts) FROM records WHERE kind = 'log'), "
				"(SELECT max(ts) FROM records WHERE kind = 'container'))", -1);
		sqlite3_close(db);
	} else {
		say(w, "cannot read the store (%s): collecting everything", err);
	}
	if (ts <= BI_NS_PER_S)
		return bi_strdup("all");
	/* A line whose own time is ahead (a clock, or a zone written as Z)
	 * must not make logs wait for the future. */
	if (ts > bi_now_ns())
		ts = bi_now_ns();
	char buf[BI_TS_LEN];
	return bi_strdup(bi_ts_fmt(ts - BI_NS_PER_S, buf));
}

/* Which tool each part is, with which arguments. */
static char **
part_argv(void *ctx, int i, const char *resume)
{
	static const char *const tool[NPARTS] = {
		[STORE] = "bi-store", [NOTIFY] = "bi-notify", [LOGS] = "bi-collect", [METRICS] = "bi-metrics"};
	struct watch *w = ctx;
	char **argv = bi_calloc(10, sizeof *argv);
	int n = 0;

	argv[n++] = bi_asprintf("%s/%s", w->bindir, tool[i]);
	if (i == STORE) {
		argv[n++] = bi_strdup("put");
		argv[n++] = bi_asprintf("--db=%s", w->db);
	} else if (i == LOGS) {
		argv[n++] = bi_strdup("--logs");
		argv[n++] = bi_strdup("--events");
		argv[n++] = bi_strdup("--follow");
		argv[n++] = bi_asprintf("--project=%s", w->project);
		argv[n++] = bi_strdup("--since");
		argv[n++] = bi_strdup(resume);
	} else if (i == METRICS) {
		argv[n++] = bi_strdup("scrape");
		argv[n++] = bi_asprintf("--interval=%s", w->interval);
		argv[n++] = bi_asprintf("--db=%s", w->db);
	}
	return argv;
}

/* ---- state ---- */

static jv
state_record(struct watch *w, int running)
{
	char ts[BI_TS_LEN];
	jv r = bi_record("watcher"), ps = jv_object();
	struct stat st;
	int64_t bytes = 0;
	bi_sup_status logs = bi_sup_part_status(w->sup, LOGS), metrics = bi_sup_part_status(w->sup, METRICS);

	r = bi_set(r, "project", jv_string(w->project));
	r = bi_set(r, "running", jv_bool(running));
	r = bi_set(r, "pid", jv_number(getpid()));
	r = bi_set(r, "since", jv_string(bi_ts_fmt(w->since, ts)));
	if (metrics.last_at)
		r = bi_set(r, "last_scrape", jv_string(bi_ts_fmt(metrics.last_at, ts)));
	if (logs.last_ts) {
		r = bi_set(r, "last_log", jv_string(bi_ts_fmt(logs.last_ts, ts)));
		r = bi_set(r, "lag_s", jv_number(round((bi_now_ns() - logs.last_ts) / 1e6) / 1e3));
	}
	r = bi_set(r, "records_per_s", jv_number(round(bi_sup_part_status(w->sup, STORE).rate * 10) / 10));
	if (stat(w->db, &st) == 0)
		bytes += st.st_size;
	char *wal = bi_asprintf("%s-wal", w->db);
	if (stat(wal, &st) == 0)
		bytes += st.st_size;
	free(wal);
	r = bi_set(r, "db_bytes", jv_number((double)bytes));
	for (int i = 0; i < NPARTS; i++) {
		bi_sup_status p = bi_sup_part_status(w->sup, i);
		if (!p.enabled)
			continue;
		jv o = bi_set(jv_object(), "running", jv_bool(p.pid != 0));
		o = bi_set(o, "pid", p.pid ? jv_number(p.pid) : jv_null());
		o = bi_set(o, "restarts", jv_number(p.restarts));
		if (parts[i].producer)
			o = bi_set(o, "records", jv_number(p.records));
		ps = bi_set(ps, parts[i].name, o);
	}
	return bi_set(r, "parts", ps);
}

static void
write_state(struct watch *w, int running)
{
	char *path = bi_asprintf("%s/watch.json", w->dir), *tmp = bi_asprintf("%s.tmp", path);
	jv r = state_record(w, running);
	jv s = jv_dump_string(r, 0);
	FILE *f = fopen(tmp, "w");

	if (f) {
		int ok = fprintf(f, "%s\n", jv_string_value(s)) > 0;
		ok &= fclose(f) == 0;
		if (ok)
			rename(tmp, path);
		else
			unlink(tmp);	/* the disk full, say: keep the last good state */
	}
	jv_free(s);
	free(tmp);
	free(path);
}

/* Every two seconds: the state, and whether the project is still there. */
static void
tick(void *ctx)
{
	struct watch *w = ctx;

	/* A project removed (its folder gone, as a test's is) is not
	 * watched on: stop, storing what is held where it can be. */
	if (!bi_sup_stopping(w->sup) && access(w->config, F_OK) != 0) {
		say(w, "%s is gone: stopping", w->config);
		bi_sup_stop(w->sup);
	}
	write_state(w, 1);
}

/* ---- the lock ---- */

/* The pid of the watcher holding path's lock, 0 when none does. */
static pid_t
holder(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	if (fd < 0)
		return 0;
	int r = fcntl(fd, F_GETLK, &fl);
	close(fd);
	return r == 0 && fl.l_type != F_UNLCK ? fl.l_pid : 0;
}

static char *
pid_path(struct watch *w)
{
	return bi_asprintf("%s/watch.pid", w->dir);
}

/* Hold the lock for the watcher's life (the descriptor is never closed);
 * -1 when another watcher holds it. */
static int
take_lock(struct watch *w)
{
	char *path = pid_path(w);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	if (fd < 0)
		bi_die(BI_EXIT_LOCAL, "cannot open %s:", path);
	free(path);
	if (fcntl(fd, F_SETLK, &fl) != 0)
		return -1;
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		bi_die(BI_EXIT_LOCAL, "cannot write the pid file:");
	return fd;
}

/* ---- the commands ---- */

static int
cmd_status(struct watch *w)
{
	char *path = pid_path(w), *state = bi_asprintf("%s/watch.json", w->dir);
	pid_t pid = holder(path);
	jv rec = bi_last_record(state, "watcher");

	if (!jv_is_valid(rec)) {
		rec = bi_record("watcher");
		rec = bi_set(rec, "project", jv_string(w->project));
	}
	rec = bi_set(rec, "running", jv_bool(pid != 0));
	rec = bi_set(rec, "pid", pid ? jv_number(pid) : jv_null());
	if (!pid) {	/* what a dead watcher's file says of its parts is stale */
		rec = jv_object_delete(rec, jv_string("parts"));
		rec = jv_object_delete(rec, jv_string("records_per_s"));
		rec = jv_object_delete(rec, jv_string("lag_s"));
	}
	bi_write(rec);
	bi_write_flush();
	free(path);
	free(state);
	return pid ? BI_EXIT_OK : BI_EXIT_FAIL;
}

static int
cmd_stop(struct watch *w)
{
	char *path = pid_path(w);
	pid_t pid = holder(path);

	if (!pid) {
		free(path);
		bi_warn("no watcher runs for %s", w->project);
		return BI_EXIT_FAIL;
	}
	kill(pid, SIGTERM);
	/* It stores what it holds first: give it the time it gives itself. */
	for (int i = 0; i < 250 && holder(path) == pid; i++)
		usleep(100 * 1000);
	if (holder(path) == pid) {
		bi_warn("the watcher (pid %ld) did not stop within 25 s: killing it", (long)pid);
		kill(pid, SIGKILL);
		for (int i = 0; i < 50 && holder(path) == pid; i++)
			usleep(100 * 1000);
	}
	free(path);
	return BI_EXIT_OK;
}

static void
detach(struct watch *w)
{
	int ready[2];

	if (pipe2(ready, O_CLOEXEC))
		bi_die(BI_EXIT_LOCAL, "pipe:");
	pid_t pid = fork();
	if (pid < 0)
		bi_die(BI_EXIT_LOCAL, "fork:");
	if (pid > 0) {
		/* Wait until the child holds the lock and runs. */
		char c;
		close(ready[1]);
		ssize_t r = read(ready[0], &c, 1);
		if (r != 1)
			bi_die(BI_EXIT_LOCAL, "the watcher did not start (why: above, or in %s/watch.log)", w->dir);
		if (c == 'b') {
			char *path = pid_path(w);
			printf("%s is already watched (pid %ld)\n", w->project, (long)holder(path));
			free(path);
		} else {
			printf("Watching %s (pid %ld; log: %s/watch.log)\n", w->project, (long)pid, w->dir);
		}
		bi_fshut(stdout, "stdout");
		exit(BI_EXIT_OK);
	}
	close(ready[0]);
	setsid();
	char *log = bi_asprintf("%s/watch.log", w->dir);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int null = open("/dev/null", O_RDWR);
	if (fd < 0 || null < 0)
		_exit(BI_EXIT_LOCAL);
	int lock = take_lock(w);
	if (lock < 0) {
		(void)!write(ready[1], "b", 1);
		_exit(BI_EXIT_OK);
	}
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	close(null);
	free(log);
	w->detached = 1;
	(void)!write(ready[1], "k", 1);
	close(ready[1]);
}

static char *
bin_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n <= 0)
		bi_die(BI_EXIT_LOCAL, "cannot find where bi-watch is:");
	buf[n] = '\0';
	*strrchr(buf, '/') = '\0';
	return bi_strdup(buf);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"detach", no_argument, NULL, 'd'},
		{"stop", no_argument, NULL, 'S'},
		{"status", no_argument, NULL, 's'},
		{"db", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	struct watch w = {.logfd = STDERR_FILENO};
	int c, mode = 0;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "dh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': case 'S': case 's':
			if (mode && mode != c)
				bi_usage_error(usage, "--detach, --stop and --status go alone");
			mode = c;
			break;
		case 'D': w.db = bi_strdup(optarg); break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	w.root = bi_project_dir();
	if (!w.root)
		bi_die(BI_EXIT_USAGE, "not in a blissful-infra project (no blissful-infra.yaml here or above)");
	setenv("BI_PROJECT_DIR", w.root, 1);
	jv cfg = bi_config();
	const char *name = bi_jv_path_str(cfg, "name", NULL);
	w.project = bi_strdup(name ? name : strrchr(w.root, '/') + 1);
	/* A duration ("5s") or a number of seconds, as bi_cfg_dur reads it. */
	int64_t iv = bi_cfg_dur(cfg, "metrics.interval", -1);
	jv ivv = bi_jv_path(cfg, "metrics.interval");
	if (jv_is_valid(ivv) && jv_get_kind(ivv) != JV_KIND_NULL && iv < BI_NS_PER_S)
		bi_die(BI_EXIT_USAGE, "blissful-infra.yaml: metrics.interval: not a duration of 1s or more");
	jv_free(ivv);
	char ivbuf[32];
	w.interval = bi_strdup(bi_dur_fmt(iv >= BI_NS_PER_S ? iv : 5 * BI_NS_PER_S, ivbuf, sizeof ivbuf));
	jv notif = bi_jv_path(cfg, "notifications");
	w.notify = jv_get_kind(notif) == JV_KIND_OBJECT;
	jv_free(notif);
	jv_free(cfg);
	w.dir = bi_asprintf("%s/.blissful-infra", w.root);
	w.config = bi_asprintf("%s/blissful-infra.yaml", w.root);
	if (!w.db)
		w.db = bi_store_path();
	if (w.db[0] != '/') {	/* the parts run in the project's folder */
		char *cwd = getcwd(NULL, 0), *abs = bi_asprintf("%s/%s", cwd ? cwd : ".", w.db);
		free(cwd);
		free(w.db);
		w.db = abs;
	}
	if (mode == 's')
		return cmd_status(&w);
	if (mode == 'S')
		return cmd_stop(&w);
	if (bi_mkdirs(w.dir))
		bi_die(BI_EXIT_LOCAL, "cannot create %s:", w.dir);

	w.bindir = bin_dir();
	if (mode == 'd') {
		detach(&w);
	} else if (take_lock(&w) < 0) {
		char *path = pid_path(&w);
		bi_die(BI_EXIT_USAGE, "another watcher runs for %s (pid %ld)", w.project, (long)holder(path));
	}
	if (chdir(w.root) != 0)
		bi_die(BI_EXIT_LOCAL, "cannot enter %s:", w.root);
	w.logfd = STDERR_FILENO;
	w.since = bi_now_ns();

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a log on a closed pipe: its write fails, we go on */
	bi_sup_conf conf = {
		.parts = parts, .nparts = NPARTS, .ctx = &w,
		.argv = part_argv, .resume = resume_point, .log = logline, .tick = tick,
	};
	w.sup = bi_sup_new(&conf);
	if (!w.sup)
		bi_die(BI_EXIT_LOCAL, "the parts' table is not one the supervisor can run");
	bi_sup_enable(w.sup, NOTIFY, w.notify);
	say(&w, "watching %s in %s (pid %ld; metrics every %s%s)", w.project, w.root, (long)getpid(),
	    w.interval, w.notify ? "; notifications on" : "");
	long lost = bi_sup_run(w.sup, &got_term);
	if (lost < 0)
		bi_die(BI_EXIT_LOCAL, "poll:");
	write_state(&w, 0);
	if (lost)
		say(&w, "stopped; %ld records held were not stored (their part did not take them in time)", lost);
	else
		say(&w, "stopped");
	bi_sup_free(w.sup);
	return lost ? BI_EXIT_LOCAL : BI_EXIT_OK;
}
