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
 * to notify's. Relaying whole lines lets it count them and read their times
 * (the lag, the last log, the last scrape) and hold what a sink has not
 * taken while it is restarted. A part that dies is started again after 1 s,
 * then 2, 4 ... to a minute or so (back to 1 s once it has run a minute),
 * and the log says so.
 *
 * No log line is lost across restarts: logs resumes from the newest log or
 * container record committed in the store, a second back (fixed when the
 * store ends, before the next one commits anything); what comes again
 * is dropped by the store, which keeps a record once. Children are killed
 * if the watcher dies (PR_SET_PDEATHSIG), so a watcher killed with SIGKILL
 * leaves nothing running; what they had not committed comes again.
 *
 * Files, under the project's .blissful-infra/: watch.pid (its pid, locked
 * while it runs: the lock, not the pid, says it is alive), watch.json (its
 * state, a `watcher` record, rewritten every two seconds), watch.log (the
 * detached watcher's diagnostics and its parts', each line stamped; kept
 * under 5 MB with one old file).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/store.h"

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
enum { TO_STORE = 1 << STORE, TO_NOTIFY = 1 << NOTIFY };

#define HIGH_WATER (4 << 20)	/* a sink's backlog past which producers wait */
#define LINE_MAX_BYTES (64 << 20)	/* a longer "line" is cut and dropped */

struct part {
	const char *name;
	int sink, producer;	/* takes our lines on stdin; gives lines on stdout */
	int enabled;
	pid_t pid;		/* 0: not running */
	int in, out, err;	/* our ends of its stdin, stdout, stderr; -1: closed */
	bi_buf pend;		/* sink: bytes to write to it */
	size_t pend_off;
	bi_buf line, eline;	/* producer: a partial line of stdout, of stderr */
	int64_t started, next_start, backoff;
	int restarts, status;
	int planned;		/* stopped on purpose, to start again at once */
	long records;		/* lines relayed from it */
	int64_t last_ts, last_at;	/* newest record time seen; when (wall ns) */
};

static struct part parts[NPARTS] = {
	[STORE] = {.name = "store", .sink = 1},
	[NOTIFY] = {.name = "notify", .sink = 1, .producer = 1},
	[LOGS] = {.name = "logs", .producer = 1},
	[METRICS] = {.name = "metrics", .producer = 1},
};

static struct {
	char *root, *dir, *project, *db, *bindir, *interval, *config;
	char *resume;		/* where logs resumes, fixed when the store ended */
	int detached;
	int logfd;
	long lost;		/* records held and not stored at the end */
	int64_t since;		/* wall ns */
	int stopping;
	int64_t stop_deadline;
	double rate;		/* records a second relayed to the store, smoothed */
	long rate_count;
	int64_t rate_at;
} w = {.logfd = STDERR_FILENO};

static volatile sig_atomic_t got_term, got_chld;
static int sigpipe_fds[2] = {-1, -1};

static void
on_signal(int sig)
{
	int e = errno;

	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term++;
	(void)!write(sigpipe_fds[1], "x", 1);
	errno = e;
}

/* ---- the log ---- */

static void
rotate_log(void)
{
	struct stat st;
	char *log, *old;

	if (!w.detached || fstat(w.logfd, &st) || st.st_size < 5 * 1000 * 1000)
		return;
	log = bi_asprintf("%s/watch.log", w.dir);
	old = bi_asprintf("%s/watch.log.1", w.dir);
	rename(log, old);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, w.logfd);
		close(fd);
	}
	free(log);
	free(old);
}

/* One stamped line: "TS WHO: text". */
static void
logline(const char *who, const char *text, size_t n)
{
	char ts[BI_TS_LEN];
	bi_buf b = {0};

	bi_buf_printf(&b, "%s %s: ", bi_ts_now(ts), who);
	bi_buf_add(&b, text, n);
	bi_buf_adds(&b, "\n");
	(void)!write(w.logfd, b.p, b.len);
	bi_buf_free(&b);
	rotate_log();
}

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
say(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	logline("bi-watch", msg, strlen(msg));
}

/* ---- starting a part ---- */

/* Where logs resumes: a second before the newest log or container record
 * committed, so that what was in flight when the last run ended comes
 * again (the store keeps it once); everything the containers have, the
 * first time. */
static char *
resume_point(void)
{
	char err[512];
	sqlite3 *db = bi_store_open(w.db, err, sizeof err);
	int64_t ts = -1;

	if (db) {
		/* Two max()es on (kind, ts), each a single index step. */
		ts = bi_sql_int(db, "SELECT max((SELECT max(ts) FROM records WHERE kind = 'log'), "
				"(SELECT max(ts) FROM records WHERE kind = 'container'))", -1);
		sqlite3_close(db);
	} else {
		say("cannot read the store (%s): collecting everything", err);
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

static char **
argv_of(int i)
{
	static char *argv[16];
	int n = 0;
	char *tool = NULL;

	for (int k = 0; argv[k]; k++) {
		free(argv[k]);
		argv[k] = NULL;
	}
	switch (i) {
	case STORE:
		tool = "bi-store";
		argv[n++] = bi_strdup("put");
		argv[n++] = bi_asprintf("--db=%s", w.db);
		break;
	case NOTIFY:
		tool = "bi-notify";
		break;
	case LOGS:
		tool = "bi-collect";
		argv[n++] = bi_strdup("--logs");
		argv[n++] = bi_strdup("--events");
		argv[n++] = bi_strdup("--follow");
		argv[n++] = bi_asprintf("--project=%s", w.project);
		argv[n++] = bi_strdup("--since");
		argv[n++] = w.resume ? w.resume : resume_point();
		w.resume = NULL;
		break;
	case METRICS:
		tool = "bi-metrics";
		argv[n++] = bi_strdup("scrape");
		argv[n++] = bi_asprintf("--interval=%s", w.interval);
		argv[n++] = bi_asprintf("--db=%s", w.db);
		break;
	}
	memmove(argv + 1, argv, n * sizeof *argv);
	argv[0] = bi_asprintf("%s/%s", w.bindir, tool);
	argv[n + 1] = NULL;
	return argv;
}

static void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
start(int i)
{
	struct part *p = &parts[i];
	int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2];
	pid_t me = getpid();
	char **argv = argv_of(i);

	if ((p->sink && pipe2(in, O_CLOEXEC)) || (p->producer && pipe2(out, O_CLOEXEC)) ||
	    pipe2(er, O_CLOEXEC)) {
		say("cannot start %s: pipe: %s", p->name, strerror(errno));
		for (int k = 0; k < 2; k++) {
			if (in[k] >= 0)
				close(in[k]);
			if (out[k] >= 0)
				close(out[k]);
		}
		p->next_start = bi_mono_ns() + BI_NS_PER_S;
		return;
	}
	/* No signal may reach the child before it has its own handlers (the
	 * defaults): ours would set the watcher's flags in the child's copy. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		/* Die with the watcher, even a watcher killed with SIGKILL:
		 * at once (SQLite's commits are atomic; the rest comes again). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)
			_exit(127);
		/* A group of its own: a Ctrl-C at the watcher's terminal, or a
		 * service manager's SIGTERM to its group, reaches the watcher,
		 * which stops its parts in order, not every part at once. */
		setpgid(0, 0);
		static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE};
		for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++)
			signal(sigs[k], SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int null = open("/dev/null", O_RDWR);
		dup2(p->sink ? in[0] : null, STDIN_FILENO);
		dup2(p->producer ? out[1] : null, STDOUT_FILENO);
		dup2(er[1], STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (p->sink)
		close(in[0]);
	if (p->producer)
		close(out[1]);
	close(er[1]);
	if (pid < 0) {
		say("cannot start %s: fork: %s", p->name, strerror(errno));
		if (p->sink)
			close(in[1]);
		if (p->producer)
			close(out[0]);
		close(er[0]);
		p->next_start = bi_mono_ns() + BI_NS_PER_S;
		return;
	}
	p->pid = pid;
	p->in = p->sink ? in[1] : -1;
	p->out = p->producer ? out[0] : -1;
	p->err = er[0];
	if (p->in >= 0)
		nonblock(p->in);
	if (p->out >= 0)
		nonblock(p->out);
	nonblock(p->err);
	p->started = bi_mono_ns();
	p->next_start = 0;
	p->line.len = 0;
	p->eline.len = 0;
	if (i == LOGS)
		say("logs: collecting since %s", argv[6]);
}

/* ---- relaying ---- */

static void
send_to(int i, const char *line, size_t n)
{
	struct part *p = &parts[i];

	if (!p->enabled)
		return;
	bi_buf_add(&p->pend, line, n);
	bi_buf_add(&p->pend, "\n", 1);
}

static int
kind_is(bi_json_span k, const char *const *kinds)
{
	for (; *kinds; kinds++)
		if (bi_json_is(k, *kinds))
			return 1;
	return 0;
}

/* A whole line from producer i: count it, note its time, pass it on. */
static void
relay(int i, const char *line, size_t n)
{
	static const char *const keys[] = {"kind", "ts", NULL};
	static const char *const stored_metrics[] = {"alert", "health", NULL};
	static const char *const told[] = {"alert", NULL};
	struct part *p = &parts[i];
	bi_json_span v[2];

	if (n == 0)
		return;
	if (!bi_json_scan(line, n, keys, v) || !v[0].p || !v[0].str) {
		/* Not for us to judge: the store reports what it cannot read. */
		send_to(STORE, line, n);
		return;
	}
	if (v[1].p && v[1].str && v[1].n < 64) {
		char ts[64];
		int64_t t;
		memcpy(ts, v[1].p, v[1].n);
		ts[v[1].n] = '\0';
		if (bi_ts_parse(ts, &t) == 0 && t > p->last_ts)
			p->last_ts = t;
	}
	p->last_at = bi_now_ns();
	p->records++;
	int to = i == METRICS ? (kind_is(v[0], stored_metrics) ? TO_STORE : 0) |
				 (kind_is(v[0], told) ? TO_NOTIFY : 0) :
		 TO_STORE;
	if (to & TO_STORE) {
		send_to(STORE, line, n);
		w.rate_count++;
	}
	if (to & TO_NOTIFY)
		send_to(NOTIFY, line, n);
}

/* Read what fd has, up to 1 MB, and give each whole line to fn(i, line):
 * the loop goes back to poll, which stops reading a producer while a sink
 * is behind, so memory stays bounded. 0 at EOF, else 1. */
static int
drain(int fd, bi_buf *partial, int i, void (*fn)(int, const char *, size_t))
{
	char buf[65536];

	for (int k = 0; k < 16; k++) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r == 0) {
			if (partial->len)	/* a last line without its newline */
				fn(i, partial->p, partial->len);
			partial->len = 0;
			return 0;
		}
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		const char *s = buf, *e = buf + r, *nl;
		while ((nl = memchr(s, '\n', (size_t)(e - s)))) {
			if (partial->len) {
				bi_buf_add(partial, s, (size_t)(nl - s));
				fn(i, partial->p, partial->len);
				partial->len = 0;
			} else {
				fn(i, s, (size_t)(nl - s));
			}
			s = nl + 1;
		}
		if (partial->len + (size_t)(e - s) > LINE_MAX_BYTES) {
			say("%s: a line of over %d MB dropped", parts[i].name, LINE_MAX_BYTES >> 20);
			partial->len = 0;
		} else {
			bi_buf_add(partial, s, (size_t)(e - s));
		}
	}
	return 1;
}

static void
stderr_line(int i, const char *line, size_t n)
{
	logline(parts[i].name, line, n);
}

static void
flush_to(int i)
{
	struct part *p = &parts[i];

	while (p->in >= 0 && p->pend_off < p->pend.len) {
		ssize_t r = write(p->in, p->pend.p + p->pend_off, p->pend.len - p->pend_off);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* It died: what it did not take stays for the next one. */
			close(p->in);
			p->in = -1;
			return;
		}
		p->pend_off += (size_t)r;
	}
	if (p->pend_off == p->pend.len) {
		p->pend.len = 0;
		p->pend_off = 0;
	} else if (p->pend_off > (1 << 20)) {
		/* Keep the line being written whole, to write again if it dies. */
		size_t keep = p->pend_off;
		while (keep > 0 && p->pend.p[keep - 1] != '\n')
			keep--;
		memmove(p->pend.p, p->pend.p + keep, p->pend.len - keep);
		p->pend.len -= keep;
		p->pend_off -= keep;
	}
}

static size_t
backlog(int i)
{
	return parts[i].pend.len - parts[i].pend_off;
}

/* ---- children ending ---- */

static int
done(const struct part *p)	/* exited, and nothing of it left to read */
{
	return !p->pid && p->out < 0 && p->err < 0;
}

static void
reap(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < NPARTS; i++) {
			struct part *p = &parts[i];
			if (p->pid != pid)
				continue;
			p->pid = 0;
			p->status = st;
			if (p->in >= 0) {
				close(p->in);
				p->in = -1;
			}
			/* Write again from the start of the line it was given last. */
			while (p->pend_off > 0 && p->pend.p[p->pend_off - 1] != '\n')
				p->pend_off--;
			/* The store gone: the database holds exactly what it committed,
			 * which is where logs must resume (now, before the next store
			 * commits what is held for it). */
			if (i == STORE && !w.resume)
				w.resume = resume_point();
			if (w.stopping) {
				/* A sink that ends while stopping, with records still for it
				 * (killed with the watcher's group, say), is started again
				 * at once: what is held is stored before the end. */
				if (p->sink && p->enabled && w.stopping == 1 && (backlog(i) || p->out >= 0 ||
				    !done(&parts[LOGS]) || !done(&parts[METRICS])))
					p->next_start = bi_mono_ns();
				break;
			}
			if (p->planned) {
				p->planned = 0;
				p->next_start = bi_mono_ns() + BI_NS_PER_S;
				break;
			}
			if (i == NOTIFY && WIFEXITED(st) && WEXITSTATUS(st) == 2) {
				/* Its configuration is wrong (it said why): starting it
				 * again would say so every minute. */
				say("notify: blissful-infra.yaml's notifications are not usable; "
				    "not started again until the watcher is");
				p->enabled = 0;
				p->pend.len = p->pend_off = 0;
				break;
			}
			int64_t ran = bi_mono_ns() - p->started;
			if (ran > 60 * BI_NS_PER_S || !p->backoff)
				p->backoff = BI_NS_PER_S;
			else if (p->backoff < 60 * BI_NS_PER_S)
				p->backoff *= 2;
			p->next_start = bi_mono_ns() + p->backoff;
			p->restarts++;
			char how[64], in[32];
			if (WIFEXITED(st))
				snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
			else
				snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(st));
			say("%s %s; starting it again in %s", p->name, how,
			    bi_dur_fmt(p->backoff, in, sizeof in));
			/* What the store was given and had not committed is gone
			 * with it: collect the logs again from what it committed. */
			if (i == STORE && parts[LOGS].pid) {
				say("logs: starting it again to resume from what the store committed");
				parts[LOGS].planned = 1;
				kill(parts[LOGS].pid, SIGTERM);
			}
		}
	}
}

/* ---- state ---- */

static jv
state_record(int running)
{
	char ts[BI_TS_LEN];
	jv r = bi_record("watcher"), ps = jv_object();
	struct stat st;
	int64_t bytes = 0;

	r = bi_set(r, "project", jv_string(w.project));
	r = bi_set(r, "running", jv_bool(running));
	r = bi_set(r, "pid", jv_number(getpid()));
	r = bi_set(r, "since", jv_string(bi_ts_fmt(w.since, ts)));
	if (parts[METRICS].last_at)
		r = bi_set(r, "last_scrape", jv_string(bi_ts_fmt(parts[METRICS].last_at, ts)));
	if (parts[LOGS].last_ts) {
		r = bi_set(r, "last_log", jv_string(bi_ts_fmt(parts[LOGS].last_ts, ts)));
		r = bi_set(r, "lag_s", jv_number(round((bi_now_ns() - parts[LOGS].last_ts) / 1e6) / 1e3));
	}
	r = bi_set(r, "records_per_s", jv_number(round(w.rate * 10) / 10));
	if (stat(w.db, &st) == 0)
		bytes += st.st_size;
	char *wal = bi_asprintf("%s-wal", w.db);
	if (stat(wal, &st) == 0)
		bytes += st.st_size;
	free(wal);
	r = bi_set(r, "db_bytes", jv_number((double)bytes));
	for (int i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];
		if (!p->enabled)
			continue;
		jv o = bi_set(jv_object(), "running", jv_bool(p->pid != 0));
		o = bi_set(o, "pid", p->pid ? jv_number(p->pid) : jv_null());
		o = bi_set(o, "restarts", jv_number(p->restarts));
		if (p->producer)
			o = bi_set(o, "records", jv_number(p->records));
		ps = bi_set(ps, p->name, o);
	}
	return bi_set(r, "parts", ps);
}

static void
write_state(int running)
{
	char *path = bi_asprintf("%s/watch.json", w.dir), *tmp = bi_asprintf("%s.tmp", path);
	jv r = state_record(running);
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
pid_path(void)
{
	return bi_asprintf("%s/watch.pid", w.dir);
}

/* Hold the lock for the watcher's life (the descriptor is never closed);
 * -1 when another watcher holds it. */
static int
take_lock(void)
{
	char *path = pid_path();
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

/* ---- the loop ---- */

static void
begin_stop(void)
{
	if (w.stopping)
		return;
	w.stopping = 1;
	w.stop_deadline = bi_mono_ns() + 20 * BI_NS_PER_S;
	say("stopping: the producers first, then the store once it has everything");
	for (int i = LOGS; i < NPARTS; i++)
		if (parts[i].pid)
			kill(parts[i].pid, SIGTERM);
}

static void
run(void)
{
	int64_t next_state = 0;

	w.rate_at = bi_mono_ns();
	for (int i = 0; i < NPARTS; i++)
		if (parts[i].enabled)
			start(i);
	for (;;) {
		if (got_term && !w.stopping)
			begin_stop();
		if (got_term > 1 && w.stopping == 1) {
			say("a second signal: ending now");
			w.stop_deadline = 0;
			got_term = 1;
		}
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		int64_t now = bi_mono_ns();
		/* Stopping: once the producers are done, close the sinks' input
		 * when all they were given is written, so they finish and exit. */
		if (w.stopping) {
			int producing = !done(&parts[LOGS]) || !done(&parts[METRICS]);
			if (!producing && parts[NOTIFY].in >= 0 && !backlog(NOTIFY)) {
				close(parts[NOTIFY].in);
				parts[NOTIFY].in = -1;
			}
			if (!producing && done(&parts[NOTIFY]) && parts[STORE].in >= 0 && !backlog(STORE)) {
				close(parts[STORE].in);
				parts[STORE].in = -1;
			}
			for (int i = 0; i < NPARTS; i++) {
				struct part *p = &parts[i];
				if (p->sink && p->enabled && w.stopping == 1 && !p->pid && p->err < 0 &&
				    p->next_start && now >= p->next_start)
					start(i);
			}
			int alive = 0;
			for (int i = 0; i < NPARTS; i++)
				alive |= !done(&parts[i]);
			if (!alive)
				break;
			if (now > w.stop_deadline && w.stopping == 1) {
				say("parts still running past the deadline: killing them");
				for (int i = 0; i < NPARTS; i++)
					if (parts[i].pid)
						kill(parts[i].pid, SIGKILL);
				w.stop_deadline = now + 5 * BI_NS_PER_S;
				w.stopping = 2;
			} else if (now > w.stop_deadline) {
				break;	/* killed and still not gone: leave them to init */
			}
		} else {
			for (int i = 0; i < NPARTS; i++) {
				struct part *p = &parts[i];
				if (p->enabled && !p->pid && p->out < 0 && p->err < 0 &&
				    p->next_start && now >= p->next_start)
					start(i);
			}
		}
		if (now >= next_state) {
			/* A project removed (its folder gone, as a test's is) is not
			 * watched on: stop, storing what is held where it can be. */
			if (!w.stopping && access(w.config, F_OK) != 0) {
				say("%s is gone: stopping", w.config);
				begin_stop();
			}
			double secs = (now - w.rate_at) / 1e9;
			if (secs > 0)
				w.rate = 0.7 * w.rate + 0.3 * (w.rate_count / secs);
			w.rate_count = 0;
			w.rate_at = now;
			write_state(1);
			next_state = now + 2 * BI_NS_PER_S;
		}

		struct pollfd fds[1 + 3 * NPARTS];
		int who[1 + 3 * NPARTS], what[1 + 3 * NPARTS], n = 0;
		fds[n] = (struct pollfd){sigpipe_fds[0], POLLIN, 0};
		who[n] = -1, what[n++] = 0;
		/* Stopping, the producers' last words are read whatever the
		 * backlog: they are ending, and must reach their end. */
		int throttle = !w.stopping && (backlog(STORE) > HIGH_WATER || backlog(NOTIFY) > HIGH_WATER);
		for (int i = 0; i < NPARTS; i++) {
			struct part *p = &parts[i];
			if (p->out >= 0 && !throttle)
				fds[n] = (struct pollfd){p->out, POLLIN, 0}, who[n] = i, what[n++] = 1;
			if (p->err >= 0)
				fds[n] = (struct pollfd){p->err, POLLIN, 0}, who[n] = i, what[n++] = 2;
			if (p->in >= 0 && backlog(i))
				fds[n] = (struct pollfd){p->in, POLLOUT, 0}, who[n] = i, what[n++] = 3;
		}
		if (poll(fds, (nfds_t)n, 200) < 0 && errno != EINTR)
			bi_die(BI_EXIT_LOCAL, "poll:");
		for (int k = 0; k < n; k++) {
			if (!fds[k].revents)
				continue;
			if (who[k] < 0) {
				char junk[64];
				while (read(sigpipe_fds[0], junk, sizeof junk) > 0)
					;
				continue;
			}
			struct part *p = &parts[who[k]];
			if (what[k] == 1 && !drain(p->out, &p->line, who[k], relay)) {
				close(p->out);
				p->out = -1;
			} else if (what[k] == 2 && !drain(p->err, &p->eline, who[k], stderr_line)) {
				close(p->err);
				p->err = -1;
			} else if (what[k] == 3) {
				flush_to(who[k]);
			}
		}
		for (int i = 0; i < NPARTS; i++)
			if (backlog(i))
				flush_to(i);
	}
	long lost = 0;
	for (int i = 0; i < NPARTS; i++) {
		struct part *p = &parts[i];
		for (size_t k = p->pend_off; k < p->pend.len; k++)
			lost += p->pend.p[k] == '\n';
		int *fds[] = {&p->in, &p->out, &p->err};
		for (int k = 0; k < 3; k++)
			if (*fds[k] >= 0)
				close(*fds[k]), *fds[k] = -1;
	}
	write_state(0);
	if (lost)
		say("stopped; %ld records held were not stored (their part did not take them in time)", lost);
	else
		say("stopped");
	w.lost = lost;
}

/* ---- the commands ---- */

static int
cmd_status(void)
{
	char *path = pid_path(), *state = bi_asprintf("%s/watch.json", w.dir);
	pid_t pid = holder(path);
	jv rec = bi_last_record(state, "watcher");

	if (!jv_is_valid(rec)) {
		rec = bi_record("watcher");
		rec = bi_set(rec, "project", jv_string(w.project));
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
cmd_stop(void)
{
	char *path = pid_path();
	pid_t pid = holder(path);

	if (!pid) {
		free(path);
		bi_warn("no watcher runs for %s", w.project);
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
detach(void)
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
			bi_die(BI_EXIT_LOCAL, "the watcher did not start (why: above, or in %s/watch.log)", w.dir);
		if (c == 'b') {
			char *path = pid_path();
			printf("%s is already watched (pid %ld)\n", w.project, (long)holder(path));
			free(path);
		} else {
			printf("Watching %s (pid %ld; log: %s/watch.log)\n", w.project, (long)pid, w.dir);
		}
		bi_fshut(stdout, "stdout");
		exit(BI_EXIT_OK);
	}
	close(ready[0]);
	setsid();
	char *log = bi_asprintf("%s/watch.log", w.dir);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int null = open("/dev/null", O_RDWR);
	if (fd < 0 || null < 0)
		_exit(BI_EXIT_LOCAL);
	int lock = take_lock();
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
	w.detached = 1;
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
	parts[NOTIFY].enabled = jv_get_kind(notif) == JV_KIND_OBJECT;
	jv_free(notif);
	jv_free(cfg);
	parts[STORE].enabled = parts[LOGS].enabled = parts[METRICS].enabled = 1;
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
		return cmd_status();
	if (mode == 'S')
		return cmd_stop();
	if (bi_mkdirs(w.dir))
		bi_die(BI_EXIT_LOCAL, "cannot create %s:", w.dir);

	w.bindir = bin_dir();
	for (int i = 0; i < NPARTS; i++)
		parts[i].in = parts[i].out = parts[i].err = -1;
	if (mode == 'd') {
		detach();
	} else if (take_lock() < 0) {
		char *path = pid_path();
		bi_die(BI_EXIT_USAGE, "another watcher runs for %s (pid %ld)", w.project, (long)holder(path));
	}
	if (chdir(w.root) != 0)
		bi_die(BI_EXIT_LOCAL, "cannot enter %s:", w.root);
	w.logfd = STDERR_FILENO;
	w.since = bi_now_ns();

	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK))
		bi_die(BI_EXIT_LOCAL, "pipe:");
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_NOCLDSTOP};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a sink that died: its write fails, we go on */
	say("watching %s in %s (pid %ld; metrics every %s%s)", w.project, w.root, (long)getpid(),
	    w.interval, parts[NOTIFY].enabled ? "; notifications on" : "");
	run();
	return w.lost ? BI_EXIT_LOCAL : BI_EXIT_OK;
}
