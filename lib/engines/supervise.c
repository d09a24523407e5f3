/*
 * supervise.c: a supervisor of programs that run for as long as it does
 * (bi-watch's parts), one concern: starting them, relaying lines between
 * them, starting again what ends, and stopping them in order.
 *
 * A part is a sink (it reads lines on stdin), a producer (it writes lines
 * on stdout), or both. The supervisor reads each producer's stdout itself,
 * cuts it into lines and routes each line by its record's kind (the
 * caller's table of routes) to the sinks, so it can count the records,
 * note their times, and hold what a sink has not taken. Every part's stderr
 * goes line by line to the caller's log, named for the part.
 *
 * Starting: a part runs in a process group of its own (a Ctrl-C at the
 * terminal reaches the supervisor alone, which stops the parts in order),
 * is killed when the supervisor dies, even by SIGKILL (PR_SET_PDEATHSIG),
 * and no signal reaches it between fork and exec but with the default
 * action (all are blocked in the parent then; caught ones are reset in the
 * child before it unblocks them, and SIGPIPE is not left ignored).
 *
 * Lines: a producer's lines reach a sink whole and in order; its last line
 * without a newline is relayed at its end; a line of over 64 MB is dropped
 * and the log says so. A line for a sink is held until written to it.
 *
 * Memory is bounded: while a sink holds more than 4 MB not written to it,
 * no producer is read (they wait on their full pipes); so a sink holds at
 * most 4 MB, and 1 MB and a line more for each producer (one turn's reads),
 * and what was written is let go once it passes 1 MB, even while the sink
 * stays behind: its buffer stays under 8 MB with one producer.
 * Only while stopping are the producers read whatever the backlog: they
 * are ending, and must reach their end.
 *
 * A part that ends is started again after 1 s, then 2, 4 ... 64 s (back
 * to 1 s once it has run a minute), and the log says so; one ended on
 * purpose (to resume) is started again after a second, silently. What is
 * lost when a part dies, and what is not:
 *   - a producer: everything it wrote is read to its end before it starts
 *     again (the next one is started only then); nothing it wrote is lost.
 *   - a sink: what it had read and not acted on is lost with it, and so is
 *     what sat in its pipe unread. What the supervisor still held for it
 *     is given to the next one, from the start of the line being written
 *     when it died: the next one gets no cut line. So that the lost lines
 *     come again, a producer that `resumes` is started again from where the
 *     sink had committed (the caller's resume, asked the moment the sink
 *     ended); a line of another producer that the sink lost stays lost.
 *   - a part that ends with its final_status is not started again, and
 *     what was held for it is dropped.
 *
 * The stop: the producers that are no sinks are sent SIGTERM and read to
 * their end (whatever the backlog: they must reach it); a sink's stdin is
 * closed once those have ended, every other part that feeds it has ended,
 * and all held for it is written; so each sink gets everything, and
 * exits. A sink that ends meanwhile with something still for it (or
 * with producers yet to end) is started again at once. Past the grace
 * (20 s) what is left is killed, and 5 s later the run returns, leaving
 * to init what is still not gone; a second signal (*stop of 2) is the
 * grace ending now. The run returns how many lines were held for a sink
 * and never written to it.
 *
 * Signals: the run blocks them all but while it waits in ppoll, where the
 * caller's handlers run (they set the stop flag) and SIGCHLD ends the
 * wait; the next turn reaps. A pipe that is ready wins over a pending
 * signal, so a part's last words on stderr are logged before what the
 * supervisor says of its end. Every wait is at most 200 ms.
 *
 * Layer: engines.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engines/supervise.h"

#include "base/jsonl.h"
#include "base/time.h"
#include "base/util.h"

#define HIGH_WATER (4 << 20)		/* a sink's backlog past which producers wait */
#define LINE_MAX_BYTES (64 << 20)	/* a longer "line" is cut and dropped */
#define READS 16			/* of 64 KB from one pipe per turn */
#define WAIT_MS 200
#define KILL_WAIT (5 * BI_NS_PER_S)	/* after SIGKILL, before leaving them to init */
#define BACKOFF_MAX (60 * BI_NS_PER_S)	/* the backoff doubles while under this */
#define RAN_LONG (60 * BI_NS_PER_S)	/* a run this long starts the backoff anew */

struct part {
	int enabled;
	pid_t pid;		/* 0: not running */
	int in, out, err;	/* our ends of its stdin, stdout, stderr; -1: closed */
	bi_buf pend;		/* sink: bytes to write to it */
	size_t pend_off;
	bi_buf line, eline;	/* a partial line of its stdout, of its stderr */
	int64_t started, next_start, backoff;
	int restarts;
	int planned;		/* stopped on purpose, to start again */
	char *resume;		/* where it resumes, kept since a sink ended */
	long records;
	int64_t last_ts, last_at;
	long given;		/* sink: records given since the last tick */
	double rate;
};

struct bi_sup {
	bi_sup_conf c;
	struct part p[BI_SUP_MAX_PARTS];
	int stopping;		/* 1: stopping; 2: past the grace, killed */
	int ended_now;
	int64_t stop_deadline;
	int64_t rate_at;
};

static void
say(bi_sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
say(bi_sup *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->c.log(s->c.ctx, NULL, msg, strlen(msg));
}

static int
routes_to(const bi_sup_part *d, int sink)
{
	for (const bi_sup_route *r = d->routes; r && r->sink >= 0; r++)
		if (r->sink == sink)
			return 1;
	return 0;
}

bi_sup *
bi_sup_new(const bi_sup_conf *c)
{
	if (!c->argv || !c->log || c->nparts < 1 || c->nparts > BI_SUP_MAX_PARTS)
		return NULL;
	for (int i = 0; i < c->nparts; i++) {
		const bi_sup_part *d = &c->parts[i];
		if (d->resumes && !c->resume)
			return NULL;
		for (const bi_sup_route *r = d->routes; r && r->sink >= 0; r++)
			if (!d->producer || r->sink >= c->nparts || !c->parts[r->sink].sink)
				return NULL;
	}
	bi_sup *s = bi_calloc(1, sizeof *s);
	s->c = *c;
	if (s->c.tick_every <= 0)
		s->c.tick_every = 2 * BI_NS_PER_S;
	if (s->c.grace <= 0)
		s->c.grace = 20 * BI_NS_PER_S;
	for (int i = 0; i < c->nparts; i++) {
		s->p[i].enabled = 1;
		s->p[i].in = s->p[i].out = s->p[i].err = -1;
	}
	return s;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void
bi_sup_free(bi_sup *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->c.nparts; i++) {
		struct part *p = &s->p[i];
		close_fd(&p->in);
		close_fd(&p->out);
		close_fd(&p->err);
		bi_buf_free(&p->pend);
		bi_buf_free(&p->line);
		bi_buf_free(&p->eline);
		free(p->resume);
	}
	free(s);
}

void
bi_sup_enable(bi_sup *s, int part, int on)
{
	s->p[part].enabled = on;
}

int
bi_sup_stopping(const bi_sup *s)
{
	return s->stopping;
}

static size_t
backlog(const bi_sup *s, int i)
{
	return s->p[i].pend.len - s->p[i].pend_off;
}

bi_sup_status
bi_sup_part_status(const bi_sup *s, int i)
{
	const struct part *p = &s->p[i];

	return (bi_sup_status){
		.enabled = p->enabled, .pid = p->pid, .restarts = p->restarts,
		.records = p->records, .last_ts = p->last_ts, .last_at = p->last_at,
		.rate = p->rate, .held = backlog(s, i), .buffer = p->pend.cap,
	};
}

/* ---- starting a part ---- */

static void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
free_argv(char **argv)
{
	for (int k = 0; argv && argv[k]; k++)
		free(argv[k]);
	free(argv);
}

/* In the child, before exec: its handlers back to the defaults, so that
 * no signal runs ours in its copy of us; SIGPIPE, which we ignore, too. */
static void
default_signals(void)
{
	for (int k = 1; k < NSIG; k++) {
		struct sigaction sa;
		if (sigaction(k, NULL, &sa) != 0 || sa.sa_handler == SIG_DFL ||
		    (sa.sa_handler == SIG_IGN && k != SIGPIPE))
			continue;
		signal(k, SIG_DFL);
	}
}

static void
start(bi_sup *s, int i)
{
	const bi_sup_part *d = &s->c.parts[i];
	struct part *p = &s->p[i];
	int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2];
	pid_t me = getpid();
	char *resume = NULL;

	if (d->resumes) {
		resume = p->resume ? p->resume : s->c.resume(s->c.ctx, i);
		p->resume = NULL;
	}
	char **argv = s->c.argv(s->c.ctx, i, resume);
	if (!argv || !argv[0]) {
		say(s, "cannot start %s: no command", d->name);
		goto later;
	}
	if ((d->sink && pipe2(in, O_CLOEXEC)) || (d->producer && pipe2(out, O_CLOEXEC)) ||
	    pipe2(er, O_CLOEXEC)) {
		say(s, "cannot start %s: pipe: %s", d->name, strerror(errno));
		for (int k = 0; k < 2; k++) {
			if (in[k] >= 0)
				close(in[k]);
			if (out[k] >= 0)
				close(out[k]);
		}
		goto later;
	}
	/* No signal may reach the child before it has its own handlers (the
	 * defaults): ours would run in the child's copy of us. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		/* Die with the supervisor, even one killed with SIGKILL: at once
		 * (what a part had not committed comes again, or is lost as the
		 * opening comment says). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)
			_exit(127);
		/* A group of its own: a Ctrl-C at the terminal, or a service
		 * manager's SIGTERM to the group, reaches the supervisor, which
		 * stops its parts in order, not every part at once. */
		setpgid(0, 0);
		default_signals();
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int null = open("/dev/null", O_RDWR);
		dup2(d->sink ? in[0] : null, STDIN_FILENO);
		dup2(d->producer ? out[1] : null, STDOUT_FILENO);
		dup2(er[1], STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (d->sink)
		close(in[0]);
	if (d->producer)
		close(out[1]);
	close(er[1]);
	if (pid < 0) {
		say(s, "cannot start %s: fork: %s", d->name, strerror(errno));
		if (d->sink)
			close(in[1]);
		if (d->producer)
			close(out[0]);
		close(er[0]);
		goto later;
	}
	p->pid = pid;
	p->in = d->sink ? in[1] : -1;
	p->out = d->producer ? out[0] : -1;
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
	if (resume)
		say(s, "%s: collecting since %s", d->name, resume);
	free_argv(argv);
	free(resume);
	return;
later:
	p->next_start = bi_mono_ns() + BI_NS_PER_S;
	free_argv(argv);
	free(resume);
}

/* ---- relaying ---- */

static void
send_to(bi_sup *s, int i, const char *line, size_t n, int record)
{
	struct part *p = &s->p[i];

	if (!p->enabled)
		return;
	bi_buf_add(&p->pend, line, n);
	bi_buf_add(&p->pend, "\n", 1);
	p->given += record;
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
relay(bi_sup *s, int i, const char *line, size_t n)
{
	static const char *const keys[] = {"kind", "ts", NULL};
	const bi_sup_part *d = &s->c.parts[i];
	struct part *p = &s->p[i];
	bi_json_span v[2];
	unsigned to = 0;

	if (n == 0)
		return;
	int record = bi_json_scan(line, n, keys, v) && v[0].p && v[0].str;
	if (record) {
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
	}
	for (const bi_sup_route *r = d->routes; r && r->sink >= 0; r++)
		if (record ? !r->kinds || kind_is(v[0], r->kinds) : r->unreadable)
			to |= 1u << r->sink;
	for (int k = 0; to; k++, to >>= 1)
		if (to & 1)
			send_to(s, k, line, n, record);
}

static void
stderr_line(bi_sup *s, int i, const char *line, size_t n)
{
	s->c.log(s->c.ctx, s->c.parts[i].name, line, n);
}

/* Read what fd has, up to 1 MB, and give each whole line to fn(s, i, line):
 * the loop goes back to poll, which stops reading a producer while a sink
 * is behind, so memory stays bounded. 0 at EOF, else 1. */
static int
drain(bi_sup *s, int fd, bi_buf *partial, int i,
      void (*fn)(bi_sup *, int, const char *, size_t))
{
	char buf[65536];

	for (int k = 0; k < READS; k++) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r == 0) {
			if (partial->len)	/* a last line without its newline */
				fn(s, i, partial->p, partial->len);
			partial->len = 0;
			return 0;
		}
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		const char *b = buf, *e = buf + r, *nl;
		while ((nl = memchr(b, '\n', (size_t)(e - b)))) {
			if (partial->len) {
				bi_buf_add(partial, b, (size_t)(nl - b));
				fn(s, i, partial->p, partial->len);
				partial->len = 0;
			} else {
				fn(s, i, b, (size_t)(nl - b));
			}
			b = nl + 1;
		}
		if (partial->len + (size_t)(e - b) > LINE_MAX_BYTES) {
			say(s, "%s: a line of over %d MB dropped", s->c.parts[i].name, LINE_MAX_BYTES >> 20);
			partial->len = 0;
		} else {
			bi_buf_add(partial, b, (size_t)(e - b));
		}
	}
	return 1;
}

static void
flush_to(bi_sup *s, int i)
{
	struct part *p = &s->p[i];

	while (p->in >= 0 && p->pend_off < p->pend.len) {
		ssize_t r = write(p->in, p->pend.p + p->pend_off, p->pend.len - p->pend_off);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;	/* behind: what was written is let go below */
			/* It died: what it did not take stays for the next one. */
			close_fd(&p->in);
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

/* ---- parts ending ---- */

static int
done(const struct part *p)	/* exited, and nothing of it left to read */
{
	return !p->pid && p->out < 0 && p->err < 0;
}

/* Whether a producer that is no sink has yet to end. */
static int
producing(const bi_sup *s)
{
	for (int i = 0; i < s->c.nparts; i++)
		if (s->c.parts[i].producer && !s->c.parts[i].sink && !done(&s->p[i]))
			return 1;
	return 0;
}

static void
ended(bi_sup *s, int i, int st)
{
	const bi_sup_part *d = &s->c.parts[i];
	struct part *p = &s->p[i];

	p->pid = 0;
	close_fd(&p->in);
	/* Write again from the start of the line it was given last. */
	while (p->pend_off > 0 && p->pend.p[p->pend_off - 1] != '\n')
		p->pend_off--;
	/* A sink gone: what it committed is where the parts that resume from
	 * it must resume (now, before the next one commits what is held). */
	for (int j = 0; d->sink && j < s->c.nparts; j++)
		if (s->c.parts[j].resumes && routes_to(&s->c.parts[j], i) && !s->p[j].resume)
			s->p[j].resume = s->c.resume(s->c.ctx, j);
	if (s->stopping) {
		/* A sink that ends while stopping, with lines still for it
		 * (killed with the supervisor's group, say), is started again
		 * at once: what is held is given before the end. */
		if (d->sink && p->enabled && s->stopping == 1 && (backlog(s, i) || p->out >= 0 || producing(s)))
			p->next_start = bi_mono_ns();
		return;
	}
	if (p->planned) {
		p->planned = 0;
		p->next_start = bi_mono_ns() + BI_NS_PER_S;
		return;
	}
	if (d->final_status && WIFEXITED(st) && WEXITSTATUS(st) == d->final_status) {
		say(s, "%s: %s", d->name, d->final_why ? d->final_why : "not started again");
		p->enabled = 0;
		p->pend.len = p->pend_off = 0;
		return;
	}
	int64_t ran = bi_mono_ns() - p->started;
	if (ran > RAN_LONG || !p->backoff)
		p->backoff = BI_NS_PER_S;
	else if (p->backoff < BACKOFF_MAX)
		p->backoff *= 2;
	p->next_start = bi_mono_ns() + p->backoff;
	p->restarts++;
	char how[64], in[32];
	if (WIFEXITED(st))
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
	else
		snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(st));
	say(s, "%s %s; starting it again in %s", d->name, how, bi_dur_fmt(p->backoff, in, sizeof in));
	/* What the sink was given and had not committed is gone with it:
	 * collect again from what it committed. */
	for (int j = 0; d->sink && j < s->c.nparts; j++) {
		struct part *q = &s->p[j];
		if (s->c.parts[j].resumes && routes_to(&s->c.parts[j], i) && q->pid) {
			say(s, "%s: starting it again to resume from what the %s committed",
			    s->c.parts[j].name, d->name);
			q->planned = 1;
			kill(q->pid, SIGTERM);
		}
	}
}

static void
reap(bi_sup *s)
{
	for (int i = 0; i < s->c.nparts; i++) {
		int st;
		if (s->p[i].pid && waitpid(s->p[i].pid, &st, WNOHANG) == s->p[i].pid)
			ended(s, i, st);
	}
}

/* ---- the run ---- */

void
bi_sup_stop(bi_sup *s)
{
	char sinks[256] = "";
	size_t n = 0;

	if (s->stopping)
		return;
	s->stopping = 1;
	s->stop_deadline = bi_mono_ns() + s->c.grace;
	/* The sinks that feed no other part are the last to end. */
	for (int i = 0; i < s->c.nparts; i++)
		if (s->c.parts[i].sink && !s->c.parts[i].producer && s->p[i].enabled && n < sizeof sinks)
			n += (size_t)snprintf(sinks + n, sizeof sinks - n, "%s%s", n ? " and " : "",
					      s->c.parts[i].name);
	if (n)
		say(s, "stopping: the producers first, then the %s once it has everything", sinks);
	else
		say(s, "stopping: the producers first");
	for (int i = 0; i < s->c.nparts; i++)
		if (s->c.parts[i].producer && !s->c.parts[i].sink && s->p[i].pid)
			kill(s->p[i].pid, SIGTERM);
}

/* Stopping: close a sink's stdin once the producers are done, and every
 * part that feeds it, and all held for it is written, so that it finishes;
 * start again a sink that ended with something still for it. 1 once
 * every part is done or the time is up. */
static int
stop_turn(bi_sup *s, int64_t now)
{
	int prod = producing(s);

	for (int i = 0; i < s->c.nparts && !prod; i++) {
		struct part *p = &s->p[i];
		if (!s->c.parts[i].sink || p->in < 0 || backlog(s, i))
			continue;
		int fed = 0;
		for (int j = 0; j < s->c.nparts; j++)
			fed |= j != i && routes_to(&s->c.parts[j], i) && !done(&s->p[j]);
		if (!fed)
			close_fd(&p->in);
	}
	for (int i = 0; i < s->c.nparts; i++) {
		struct part *p = &s->p[i];
		if (s->c.parts[i].sink && p->enabled && s->stopping == 1 && !p->pid && p->err < 0 &&
		    p->next_start && now >= p->next_start)
			start(s, i);
	}
	int alive = 0;
	for (int i = 0; i < s->c.nparts; i++)
		alive |= !done(&s->p[i]);
	if (!alive)
		return 1;
	if (now > s->stop_deadline && s->stopping == 1) {
		say(s, "parts still running past the deadline: killing them");
		for (int i = 0; i < s->c.nparts; i++)
			if (s->p[i].pid)
				kill(s->p[i].pid, SIGKILL);
		s->stop_deadline = now + KILL_WAIT;
		s->stopping = 2;
	} else if (now > s->stop_deadline) {
		return 1;	/* killed and still not gone: leave them to init */
	}
	return 0;
}

static void
tick(bi_sup *s, int64_t now)
{
	double secs = (now - s->rate_at) / 1e9;

	for (int i = 0; i < s->c.nparts; i++) {
		struct part *p = &s->p[i];
		if (secs > 0)
			p->rate = 0.7 * p->rate + 0.3 * (p->given / secs);
		p->given = 0;
	}
	s->rate_at = now;
	if (s->c.tick)
		s->c.tick(s->c.ctx);
}

static void
on_chld(int sig)
{
	(void)sig;	/* its work is to end the wait */
}

/* A pipe that is ready wins over a pending signal: ppoll returns it and
 * leaves the signal pending, blocked again. Under a stream that never
 * pauses it would wait for good (a stop, a part's end): once what was
 * ready is read (so a part's last words come before what we say of its
 * end), let it in. 1 when one was. */
static int
deliver(const sigset_t *waitmask)
{
	sigset_t pending;
	struct timespec zero = {0, 0};

	if (sigpending(&pending) != 0)
		return 0;
	for (int k = 1; k < NSIG; k++)
		if (sigismember(&pending, k) == 1 && sigismember(waitmask, k) == 0) {
			ppoll(NULL, 0, &zero, waitmask);	/* the handlers run: EINTR */
			return 1;
		}
	return 0;
}

/* One wait for the pipes (and signals) and what it found: 0, 1 when a
 * signal came, -1 with errno when it cannot wait. */
static int
turn(bi_sup *s, const sigset_t *waitmask)
{
	enum { OUT, ERR, IN };
	struct pollfd fds[3 * BI_SUP_MAX_PARTS];
	int who[3 * BI_SUP_MAX_PARTS], what[3 * BI_SUP_MAX_PARTS], n = 0;
	/* Stopping, the producers' last words are read whatever the backlog:
	 * they are ending, and must reach their end. */
	int throttle = 0;
	for (int i = 0; i < s->c.nparts && !s->stopping; i++)
		throttle |= backlog(s, i) > HIGH_WATER;
	for (int i = 0; i < s->c.nparts; i++) {
		struct part *p = &s->p[i];
		if (p->out >= 0 && !throttle)
			fds[n] = (struct pollfd){p->out, POLLIN, 0}, who[n] = i, what[n++] = OUT;
		if (p->err >= 0)
			fds[n] = (struct pollfd){p->err, POLLIN, 0}, who[n] = i, what[n++] = ERR;
		if (p->in >= 0 && backlog(s, i))
			fds[n] = (struct pollfd){p->in, POLLOUT, 0}, who[n] = i, what[n++] = IN;
	}
	struct timespec wait = {0, WAIT_MS * BI_NS_PER_MS};
	if (ppoll(fds, (nfds_t)n, &wait, waitmask) < 0)
		return errno == EINTR ? 1 : -1;
	for (int k = 0; k < n; k++) {
		if (!fds[k].revents)
			continue;
		struct part *p = &s->p[who[k]];
		if (what[k] == OUT && !drain(s, p->out, &p->line, who[k], relay))
			close_fd(&p->out);
		else if (what[k] == ERR && !drain(s, p->err, &p->eline, who[k], stderr_line))
			close_fd(&p->err);
		else if (what[k] == IN)
			flush_to(s, who[k]);
	}
	for (int i = 0; i < s->c.nparts; i++)
		if (backlog(s, i))
			flush_to(s, i);
	return deliver(waitmask);
}

long
bi_sup_run(bi_sup *s, volatile sig_atomic_t *stop)
{
	sigset_t all, old, waitmask;
	struct sigaction chld = {.sa_handler = on_chld, .sa_flags = SA_NOCLDSTOP};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_chld, old_pipe;
	int64_t next_tick = 0;
	int signalled = 0, failed = 0, e = 0;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	waitmask = old;
	sigdelset(&waitmask, SIGCHLD);
	sigemptyset(&chld.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGCHLD, &chld, &old_chld);
	sigaction(SIGPIPE, &ign, &old_pipe);	/* a sink that died: its write fails, we go on */

	s->rate_at = bi_mono_ns();
	for (int i = 0; i < s->c.nparts; i++)
		if (s->p[i].enabled)
			start(s, i);
	for (;;) {
		int asked = stop ? *stop : 0;
		if (asked && !s->stopping)
			bi_sup_stop(s);
		if (asked > 1 && s->stopping == 1 && !s->ended_now) {
			say(s, "a second signal: ending now");
			s->stop_deadline = 0;
			s->ended_now = 1;
		}
		if (signalled) {
			signalled = 0;
			reap(s);
		}
		int64_t now = bi_mono_ns();
		if (s->stopping) {
			if (stop_turn(s, now))
				break;
		} else {
			for (int i = 0; i < s->c.nparts; i++) {
				struct part *p = &s->p[i];
				if (p->enabled && !p->pid && p->out < 0 && p->err < 0 && p->next_start &&
				    now >= p->next_start)
					start(s, i);
			}
		}
		if (now >= next_tick) {
			tick(s, now);
			next_tick = now + s->c.tick_every;
		}
		int r = turn(s, &waitmask);
		if (r < 0) {
			e = errno;
			failed = 1;
			for (int i = 0; i < s->c.nparts; i++)
				if (s->p[i].pid)
					kill(s->p[i].pid, SIGKILL);
			break;
		}
		signalled |= r;
	}
	long lost = 0;
	for (int i = 0; i < s->c.nparts; i++) {
		struct part *p = &s->p[i];
		for (size_t k = p->pend_off; k < p->pend.len; k++)
			lost += p->pend.p[k] == '\n';
		close_fd(&p->in);
		close_fd(&p->out);
		close_fd(&p->err);
	}
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (failed) {
		errno = e;
		return -1;
	}
	return lost;
}
