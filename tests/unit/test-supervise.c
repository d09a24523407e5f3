/*
 * test-supervise: the supervisor runs real small children (/bin/sh scripts,
 * cat) in a temporary directory: lines go by route, once to each sink; a
 * producer's last line without a newline is relayed; a part that ends with
 * its final status is not started again; a sink killed mid-line is started
 * again and gets what was held, whole, and the producer that resumes from
 * it starts again from the point asked when it ended; a producer killed is
 * started again after 1 s, then 2 s, and the log says so; the stop flag
 * (set by a signal handler) stops the producers first and the sinks only
 * once they have everything (a sink that dies meanwhile is started again
 * at once); past the grace, or at a second signal, what
 * is left is killed; a signal gets in under a flood that never pauses;
 * a slow sink holds at most its high water mark while
 * the producer waits, and one that stays behind for good does not make
 * its buffer grow.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "engines/supervise.h"
#include "tap.h"

#define MAXP 4
#define MAXSTARTS 16

static volatile sig_atomic_t stop_flag;

static void
on_usr1(int sig)
{
	(void)sig;
	stop_flag++;
}

struct t {
	const char *dir;
	const char *script[MAXP][3];	/* per start; the last given is used again */
	int starts[MAXP];
	int64_t start_at[MAXP][MAXSTARTS];
	char *resumed[MAXP][MAXSTARTS];
	int asked[MAXP];		/* resume points asked */
	bi_buf log;
	bi_sup *s;
	int nparts;
	int64_t t0, elapsed;
	int (*until)(struct t *);	/* how many signals to have raised by now */
	int raised;
	size_t max_held[MAXP], max_buffer[MAXP];
	long records_at_1500ms;		/* of part 1 */
	int slow_part;			/* its first command takes 300 ms to make; 0: none */
	int slow_log;			/* a part's stderr lines are not kept, and take 50 us each */
};

static char **
t_argv(void *ctx, int i, const char *resume)
{
	struct t *t = ctx;
	int k = t->starts[i]++;
	char **argv = bi_calloc(7, sizeof *argv);
	const char *sc = NULL;

	for (int j = 0; j < 3 && j <= k; j++)
		if (t->script[i][j])
			sc = t->script[i][j];
	if (k == 0 && i == t->slow_part && i)
		usleep(300 * 1000);
	if (k < MAXSTARTS) {
		t->start_at[i][k] = bi_mono_ns();
		t->resumed[i][k] = resume ? bi_strdup(resume) : NULL;
	}
	argv[0] = bi_strdup("/bin/sh");
	argv[1] = bi_strdup("-c");
	argv[2] = bi_strdup(sc);
	argv[3] = bi_strdup("sh");
	argv[4] = bi_strdup(t->dir);
	argv[5] = bi_strdup(resume ? resume : "");
	return argv;
}

static char *
t_resume(void *ctx, int i)
{
	struct t *t = ctx;
	return bi_asprintf("r%d", ++t->asked[i]);
}

static void
t_log(void *ctx, const char *who, const char *text, size_t n)
{
	struct t *t = ctx;
	if (t->slow_log && who) {
		usleep(50);
		return;
	}
	bi_buf_printf(&t->log, "%s: ", who ? who : "sup");
	bi_buf_add(&t->log, text, n);
	bi_buf_adds(&t->log, "\n");
}

static void
t_tick(void *ctx)
{
	struct t *t = ctx;
	int64_t ran = bi_mono_ns() - t->t0;

	for (int i = 0; i < t->nparts; i++) {
		bi_sup_status st = bi_sup_part_status(t->s, i);
		if (st.held > t->max_held[i])
			t->max_held[i] = st.held;
		if (st.buffer > t->max_buffer[i])
			t->max_buffer[i] = st.buffer;
	}
	if (ran >= 1500 * BI_NS_PER_MS && !t->records_at_1500ms && t->nparts > 1)
		t->records_at_1500ms = bi_sup_part_status(t->s, 1).records;
	int want = t->until(t);
	if (ran > 15 * BI_NS_PER_S)	/* a test gone wrong still ends (signals or not) */
		bi_sup_stop(t->s);
	for (; t->raised < want; t->raised++)
		raise(SIGUSR1);
}

static long
run(struct t *t, const bi_sup_part *parts, int n, int64_t tick_every, int64_t grace)
{
	bi_sup_conf c = {
		.parts = parts, .nparts = n, .ctx = t, .argv = t_argv, .resume = t_resume,
		.log = t_log, .tick = t_tick, .tick_every = tick_every, .grace = grace,
	};
	t->nparts = n;
	t->s = bi_sup_new(&c);
	if (!t->s)
		return -2;
	stop_flag = 0;
	t->t0 = bi_mono_ns();
	long r = bi_sup_run(t->s, &stop_flag);
	t->elapsed = bi_mono_ns() - t->t0;
	return r;
}

static void
finish(struct t *t)
{
	bi_sup_free(t->s);
	for (int i = 0; i < MAXP; i++)
		for (int k = 0; k < MAXSTARTS; k++)
			free(t->resumed[i][k]);
	bi_buf_free(&t->log);
}

static char *
slurp(struct t *t, const char *name)
{
	char *path = bi_asprintf("%s/%s", t->dir, name);
	size_t n;
	char *s = bi_read_file(path, &n);
	free(path);
	return s;
}

static int
lines_in(struct t *t, const char *name)
{
	char *s = slurp(t, name);
	int n = 0;
	for (char *p = s; p && *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

static int
logged(struct t *t, const char *text)
{
	return t->log.p && strstr(t->log.p, text) != NULL;
}

/* ---- lines by route ---- */

static int
until_routed(struct t *t)
{
	return lines_in(t, "s1") >= 3 && lines_in(t, "s2") >= 4;
}

static void
test_routes(const char *dir)
{
	static const char *const ab[] = {"a", "b", NULL}, *const b[] = {"b", NULL}, *const bc[] = {"b", "c", NULL};
	static const bi_sup_route p1[] = {{0, ab, 1}, {1, b, 0}, {1, bc, 0}, {-1, NULL, 0}};
	static const bi_sup_route p2[] = {{1, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s1", .sink = 1},
		{.name = "s2", .sink = 1},
		{.name = "p1", .producer = 1, .routes = p1},
		{.name = "p2", .producer = 1, .routes = p2},
	};
	struct t t = {.dir = dir, .until = until_routed};

	t.script[0][0] = "exec cat >\"$1/s1\"";
	t.script[1][0] = "exec cat >\"$1/s2\"";
	t.script[2][0] = "printf '%s\\n' '{\"kind\":\"a\",\"ts\":\"2026-01-01T00:00:01.000Z\",\"n\":1}' "
			 "'{\"kind\":\"b\",\"ts\":\"2026-01-01T00:00:03.000Z\",\"n\":2}' "
			 "'{\"kind\":\"c\",\"ts\":\"2026-01-01T00:00:02.000Z\",\"n\":3}' 'not json' "
			 "'{\"kind\":\"d\",\"n\":4}'; echo p1 says hello >&2; exec sleep 60";
	t.script[3][0] = "printf '%s\\n' '{\"kind\":\"z\",\"n\":5}' 'plain text'; exec sleep 60";
	long lost = run(&t, parts, 4, 50 * BI_NS_PER_MS, 0);
	is_num(lost, 0, "routes: the run ends, nothing held");
	char *s1 = slurp(&t, "s1"), *s2 = slurp(&t, "s2");
	is_str(s1, "{\"kind\":\"a\",\"ts\":\"2026-01-01T00:00:01.000Z\",\"n\":1}\n"
		   "{\"kind\":\"b\",\"ts\":\"2026-01-01T00:00:03.000Z\",\"n\":2}\n"
		   "not json\n",
	       "routes: s1 gets p1's records of kinds a and b and its line that is no record, in order");
	/* s2: p1's b and c (b once, though two routes match it), and all of p2's. */
	const char *b_line = "{\"kind\":\"b\",\"ts\":\"2026-01-01T00:00:03.000Z\",\"n\":2}\n";
	const char *c_line = "{\"kind\":\"c\",\"ts\":\"2026-01-01T00:00:02.000Z\",\"n\":3}\n";
	char *pb = s2 ? strstr(s2, b_line) : NULL, *pc = s2 ? strstr(s2, c_line) : NULL;
	ok(pb && pc && pb < pc && !strstr(pb + 1, b_line), "routes: s2 gets p1's b once, then its c");
	ok(s2 && strstr(s2, "{\"kind\":\"z\",\"n\":5}\nplain text\n") && !strstr(s2, "not json") &&
	       !strstr(s2, "\"a\"") && !strstr(s2, "\"d\""),
	   "routes: s2 gets every line of p2, records or not, and nothing else");
	is_num(lines_in(&t, "s2"), 4, "routes: s2 gets four lines");
	bi_sup_status p1s = bi_sup_part_status(t.s, 2), p2s = bi_sup_part_status(t.s, 3);
	is_num(p1s.records, 4, "routes: p1's records counted (the line that is none not)");
	is_num(p2s.records, 1, "routes: p2's records counted");
	is_num(p1s.last_ts, 1767225603 * BI_NS_PER_S, "routes: p1's newest ts noted");
	ok(p1s.last_at > 0 && p1s.pid == 0, "routes: p1's last record time noted; it has ended");
	ok(logged(&t, "p1: p1 says hello\n"), "routes: a part's stderr line goes to the log, named");
	ok(logged(&t, "sup: stopping: the producers first, then the s1 and s2 once it has everything\n"),
	   "routes: the stop is logged");
	free(s1);
	free(s2);
	finish(&t);
}

/* ---- a last line without a newline; a final status ---- */

static int
until_last_line(struct t *t)
{
	return lines_in(t, "s") >= 2 && bi_mono_ns() - t->t0 > 1500 * BI_NS_PER_MS;
}

static void
test_last_line(const char *dir)
{
	static const bi_sup_route p[] = {{0, NULL, 1}, {1, NULL, 0}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s", .sink = 1},
		{.name = "q", .sink = 1, .producer = 1, .final_status = 3,
		 .final_why = "its settings are wrong; not started again"},
		{.name = "p", .producer = 1, .routes = p},
	};
	struct t t = {.dir = dir, .until = until_last_line};

	t.script[0][0] = "exec cat >\"$1/s\"";
	/* q says why and ends while p is being started (its command is slow
	 * to make): what q said is read before its end is seen. */
	t.script[1][0] = "echo q is unhappy >&2; exit 3";
	t.script[2][0] = "printf '{\"kind\":\"a\",\"n\":1}\\n{\"kind\":\"a\",\"n\":2}'";
	t.script[2][1] = "exec sleep 60";
	t.slow_part = 2;
	long lost = run(&t, parts, 3, 50 * BI_NS_PER_MS, 0);
	is_num(lost, 0, "last line: the run ends, nothing held");
	char *s = slurp(&t, "s");
	is_str(s, "{\"kind\":\"a\",\"n\":1}\n{\"kind\":\"a\",\"n\":2}\n",
	       "last line: a producer's last line without a newline is relayed, with one");
	free(s);
	ok(logged(&t, "sup: p exited with status 0; starting it again in 1s\n"),
	   "last line: the producer that ended is started again, and the log says so");
	is_num(t.starts[2], 2, "last line: started twice");
	ok(logged(&t, "q: q is unhappy\nsup: q: its settings are wrong; not started again\n"),
	   "final status: the log has the part's last words, then says why it is not started again");
	bi_sup_status q = bi_sup_part_status(t.s, 1);
	ok(t.starts[1] == 1 && !q.enabled && q.held == 0 && q.restarts == 0,
	   "final status: not started again, nothing held for it");
	finish(&t);
}

/* ---- a sink killed mid-line ---- */

static int
until_again(struct t *t)
{
	char *s = slurp(t, "s.1");
	int done = s && strstr(s, "again");
	free(s);
	return done;
}

static void
test_sink_killed(const char *dir)
{
	static const bi_sup_route p[] = {{0, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s", .sink = 1},
		{.name = "p", .producer = 1, .routes = p, .resumes = 1},
	};
	struct t t = {.dir = dir, .until = until_again};

	/* The first sink reads 100,000 bytes, in the middle of the 200 kB line,
	 * and is killed; the next one writes what it gets. */
	t.script[0][0] = "head -c 100000 >\"$1/s.0\"; kill -9 $$";
	t.script[0][1] = "exec cat >\"$1/s.1\"";
	t.script[1][0] = "if [ \"$2\" = r1 ]; then "
			 "pad=$(head -c 200000 /dev/zero | tr '\\0' x); "
			 "printf '{\"kind\":\"a\",\"n\":1}\\n{\"kind\":\"a\",\"n\":2,\"pad\":\"%s\"}\\n{\"kind\":\"a\",\"n\":3}\\n' \"$pad\"; "
			 "else printf '{\"kind\":\"again\",\"from\":\"%s\"}\\n' \"$2\"; fi; exec sleep 60";
	long lost = run(&t, parts, 2, 50 * BI_NS_PER_MS, 0);
	is_num(lost, 0, "sink killed: the run ends, nothing held");
	bi_buf want = {0};
	bi_buf_adds(&want, "{\"kind\":\"a\",\"n\":2,\"pad\":\"");
	for (int i = 0; i < 200000; i++)
		bi_buf_add(&want, "x", 1);
	bi_buf_adds(&want, "\"}\n{\"kind\":\"a\",\"n\":3}\n{\"kind\":\"again\",\"from\":\"r2\"}\n");
	char *s0 = slurp(&t, "s.0"), *s1 = slurp(&t, "s.1");
	ok(s0 && strncmp(s0, "{\"kind\":\"a\",\"n\":1}\n", 19) == 0 && strlen(s0) == 100000,
	   "sink killed: the first sink had line 1 and part of line 2");
	ok(s1 && strcmp(s1, want.p) == 0,
	   "sink killed: the next gets line 2 whole, line 3, then the producer's new line: none lost, none cut");
	if (s1 && strcmp(s1, want.p) != 0)
		printf("#   got %zu bytes (want %zu), starting: %.60s\n", strlen(s1), want.len, s1);
	ok(logged(&t, "sup: s was killed by signal 9; starting it again in 1s\n"),
	   "sink killed: the log says so");
	ok(logged(&t, "sup: p: starting it again to resume from what the s committed\n"),
	   "sink killed: the producer that resumes from it is started again, and the log says so");
	ok(logged(&t, "sup: p: collecting since r1\n") && logged(&t, "sup: p: collecting since r2\n"),
	   "sink killed: the log says where the producer resumes each time");
	/* At the first start, when the sink was killed, when it ended at the stop. */
	is_num(t.asked[1], 3, "sink killed: where to resume asked at the first start and each time the sink ended");
	is_str(t.resumed[1][1], "r2", "sink killed: the producer resumes from the point asked when the sink ended");
	is_num(bi_sup_part_status(t.s, 0).restarts, 1, "sink killed: one restart of the sink counted");
	is_num(bi_sup_part_status(t.s, 1).restarts, 0, "sink killed: the producer's planned restart is none");
	free(s0);
	free(s1);
	bi_buf_free(&want);
	finish(&t);
}

/* ---- a producer killed ---- */

static int
until_three(struct t *t)
{
	return t->starts[1] >= 3 && lines_in(t, "s") >= 3;
}

static void
test_producer_killed(const char *dir)
{
	static const bi_sup_route p[] = {{0, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s", .sink = 1},
		{.name = "p", .producer = 1, .routes = p},
	};
	struct t t = {.dir = dir, .until = until_three};

	t.script[0][0] = "exec cat >\"$1/s\"";
	t.script[1][0] = "n=$(cat \"$1/n\" 2>/dev/null || echo 0); echo $((n + 1)) >\"$1/n\"; "
			 "printf '{\"kind\":\"a\",\"i\":%d}\\n' \"$n\"; kill -9 $$";
	long lost = run(&t, parts, 2, 50 * BI_NS_PER_MS, 0);
	is_num(lost, 0, "producer killed: the run ends, nothing held");
	char *s = slurp(&t, "s");
	is_str(s, "{\"kind\":\"a\",\"i\":0}\n{\"kind\":\"a\",\"i\":1}\n{\"kind\":\"a\",\"i\":2}\n",
	       "producer killed: what each one wrote is relayed");
	free(s);
	char *one = t.log.p ? strstr(t.log.p, "sup: p was killed by signal 9; starting it again in 1s\n") : NULL;
	char *two = t.log.p ? strstr(t.log.p, "sup: p was killed by signal 9; starting it again in 2s\n") : NULL;
	ok(one && two && one < two, "producer killed: the log says so, with the backoff: 1s, then 2s");
	double d1 = (t.start_at[1][1] - t.start_at[1][0]) / 1e9, d2 = (t.start_at[1][2] - t.start_at[1][1]) / 1e9;
	ok(d1 >= 1.0 && d1 < 1.8, "producer killed: started again after 1 s (%.2f s)", d1);
	ok(d2 >= 2.0 && d2 < 2.8, "producer killed: and again after 2 s (%.2f s)", d2);
	ok(bi_sup_part_status(t.s, 1).restarts >= 2, "producer killed: the restarts counted");
	finish(&t);
}

/* ---- the stop ---- */

static int
until_1s(struct t *t)
{
	return bi_mono_ns() - t->t0 > BI_NS_PER_S;
}

static long
number_in(struct t *t, const char *name)
{
	char *s = slurp(t, name);
	long n = s ? strtol(s, NULL, 10) : -1;
	free(s);
	return n;
}

static void
test_stop(const char *dir)
{
	static const char *const a[] = {"a", NULL};
	static const bi_sup_route p[] = {{0, NULL, 1}, {1, a, 0}, {-1, NULL, 0}};
	static const bi_sup_route m[] = {{0, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s", .sink = 1},
		{.name = "m", .sink = 1, .producer = 1, .routes = m},
		{.name = "p", .producer = 1, .routes = p},
	};
	struct t t = {.dir = dir, .until = until_1s};

	/* s is slow to start: there is a backlog for it when the stop comes.
	 * Each writes the time it ended (ns), to see the order. */
	t.script[0][0] = "sleep 0.5; cat >\"$1/s\"; date +%s%N >\"$1/s.end\"";
	t.script[1][0] = "cat; date +%s%N >\"$1/m.end\"";
	t.script[2][0] = "i=0 stop=0; trap 'stop=1' TERM; "
			 "while [ $stop = 0 ]; do printf '{\"kind\":\"a\",\"i\":%d}\\n' $i; i=$((i + 1)); sleep 0.002; done; "
			 "printf '{\"kind\":\"a\",\"last\":%d}\\n' $i; echo $i >\"$1/p.count\"; date +%s%N >\"$1/p.end\"";
	long lost = run(&t, parts, 3, 50 * BI_NS_PER_MS, 10 * BI_NS_PER_S);
	is_num(lost, 0, "stop: nothing held at the end");
	long n = number_in(&t, "p.count");
	ok(n > 10, "stop: the producer wrote %ld lines and ended on SIGTERM", n);
	is_num(lines_in(&t, "s"), 2 * (n + 1), "stop: the sink got each of them twice, from p and through m");
	char *s = slurp(&t, "s");
	char *l1 = s ? strstr(s, "\"last\"") : NULL;
	ok(l1 && strstr(l1 + 1, "\"last\""), "stop: the producer's last words reached the sink both ways");
	free(s);
	long pe = number_in(&t, "p.end"), me = number_in(&t, "m.end"), se = number_in(&t, "s.end");
	ok(pe > 0 && pe <= me && me <= se, "stop: the producer ended first, then m, then s");
	ok(logged(&t, "sup: stopping: the producers first, then the s once it has everything\n") &&
	       !logged(&t, "deadline"),
	   "stop: logged; done within the grace");
	ok(t.elapsed < 5 * BI_NS_PER_S, "stop: the run ended soon after the signal");
	finish(&t);
}

/* A sink that dies while stopping, with lines still for it, is started
 * again at once, and the next one gets them. */
static void
test_sink_dies_stopping(const char *dir)
{
	static const bi_sup_route p[] = {{0, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s", .sink = 1},
		{.name = "p", .producer = 1, .routes = p},
	};
	struct t t = {.dir = dir, .until = until_1s};

	t.script[0][0] = "sleep 1.5; kill -9 $$";	/* takes nothing, and dies after the stop began */
	t.script[0][1] = "exec cat >\"$1/s\"";
	/* Lines of 1 kB: more than its pipe holds is held for it at the stop. */
	t.script[1][0] = "i=0 stop=0 pad=$(head -c 1000 /dev/zero | tr '\\0' x); trap 'stop=1' TERM; "
			 "while [ $stop = 0 ]; do printf '{\"kind\":\"a\",\"i\":%d,\"pad\":\"%s\"}\\n' $i $pad; "
			 "i=$((i + 1)); sleep 0.002; done; printf '{\"kind\":\"a\",\"last\":%d}\\n' $i";
	long lost = run(&t, parts, 2, 50 * BI_NS_PER_MS, 10 * BI_NS_PER_S);
	is_num(lost, 0, "sink dies stopping: nothing held at the end");
	char *s = slurp(&t, "s");
	ok(t.starts[0] == 2 && s && strstr(s, "\"last\""), "sink dies stopping: started again, it gets the last line");
	ok(!logged(&t, "starting it again in") && bi_sup_part_status(t.s, 0).restarts == 0,
	   "sink dies stopping: started again at once, not counted as a restart");
	free(s);
	finish(&t);
}

static int
until_twice(struct t *t)
{
	int64_t ran = bi_mono_ns() - t->t0;
	return ran > BI_NS_PER_S ? 2 : ran > 500 * BI_NS_PER_MS;
}

static int
until_once(struct t *t)
{
	return bi_mono_ns() - t->t0 > 300 * BI_NS_PER_MS;
}

static void
test_end_now(const char *dir)
{
	static const bi_sup_route p[] = {{0, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s", .sink = 1},
		{.name = "p", .producer = 1, .routes = p},
	};
	const char *deaf = "trap '' TERM; while :; do printf '{\"kind\":\"a\"}\\n'; sleep 0.05; done";

	/* A producer deaf to SIGTERM, a grace of 30 s: a second signal ends it. */
	struct t t = {.dir = dir, .until = until_twice};
	t.script[0][0] = "exec cat >/dev/null";
	t.script[1][0] = deaf;
	long lost = run(&t, parts, 2, 50 * BI_NS_PER_MS, 30 * BI_NS_PER_S);
	ok(lost >= 0 && t.elapsed < 3 * BI_NS_PER_S, "end now: a second signal ends the run at once (%.1f s)",
	   t.elapsed / 1e9);
	ok(logged(&t, "sup: a second signal: ending now\nsup: parts still running past the deadline: killing them\n"),
	   "end now: the log says so");
	ok(!bi_sup_part_status(t.s, 0).pid && !bi_sup_part_status(t.s, 1).pid, "end now: every part killed and reaped");
	finish(&t);

	/* The same, one signal, a grace of 1 s. */
	struct t g = {.dir = dir, .until = until_once};
	g.script[0][0] = "exec cat >/dev/null";
	g.script[1][0] = deaf;
	lost = run(&g, parts, 2, 50 * BI_NS_PER_MS, BI_NS_PER_S);
	ok(lost >= 0 && g.elapsed > 1200 * BI_NS_PER_MS && g.elapsed < 3 * BI_NS_PER_S,
	   "grace: past it, what is left is killed (%.1f s)", g.elapsed / 1e9);
	ok(logged(&g, "sup: parts still running past the deadline: killing them\n") &&
	       !logged(&g, "second signal"),
	   "grace: the log says so");
	finish(&g);
}

/* A part whose stderr is never idle: it writes lines of 1 kB faster
 * than the log takes them, so every wait finds its pipe ready; the stop
 * signal must still get in. */
static void
test_flood_stop(const char *dir)
{
	static const bi_sup_part parts[] = {
		{.name = "p", .producer = 1},
	};
	struct t t = {.dir = dir, .until = until_once, .slow_log = 1};

	t.script[0][0] = "exec yes \"$(head -c 1000 /dev/zero | tr '\\0' x)\" >&2";
	long lost = run(&t, parts, 1, 50 * BI_NS_PER_MS, 0);
	ok(lost == 0 && t.elapsed < 3 * BI_NS_PER_S,
	   "flood: the stop signal gets in while a pipe is never idle (%.1f s)", t.elapsed / 1e9);
	ok(logged(&t, "sup: stopping: the producers first\n"), "flood: the stop is logged");
	finish(&t);
}

/* ---- a slow sink ---- */

#define STORM 300000

static int
until_all_given(struct t *t)
{
	bi_sup_status p = bi_sup_part_status(t->s, 1), s = bi_sup_part_status(t->s, 0);
	return p.records == STORM && s.held == 0;
}

static void
test_slow_sink(const char *dir)
{
	static const bi_sup_route p[] = {{0, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s", .sink = 1},
		{.name = "p", .producer = 1, .routes = p},
	};
	struct t t = {.dir = dir, .until = until_all_given};
	char *storm = bi_asprintf("yes '{\"kind\":\"a\",\"pad\":\"%0100d\"}' | head -n %d; exec sleep 60", 0, STORM);

	/* 300,000 lines of 120 bytes: 36 MB, to a sink that reads nothing for 2 s. */
	t.script[0][0] = "sleep 2; exec wc -l >\"$1/count\"";
	t.script[1][0] = storm;
	long lost = run(&t, parts, 2, 10 * BI_NS_PER_MS, 0);
	is_num(lost, 0, "slow sink: nothing held at the end");
	is_num(number_in(&t, "count"), STORM, "slow sink: every line reached it");
	ok(t.max_held[0] >= (4u << 20) && t.max_held[0] <= (5u << 20) + (64u << 10),
	   "slow sink: at most 4 MB and one turn's reads held for it (%zu bytes at most)", t.max_held[0]);
	ok(t.records_at_1500ms > 0 && t.records_at_1500ms < STORM / 5,
	   "slow sink: the producer waited (%ld lines read in 1.5 s)", t.records_at_1500ms);
	free(storm);
	finish(&t);
}

/* A sink that stays behind for good, reading 64 kB every 5 ms: what was
 * written to it is let go as it goes, so its buffer stays small. */
static int
until_3s(struct t *t)
{
	return bi_mono_ns() - t->t0 > 3 * BI_NS_PER_S;
}

static void
test_steady_sink(const char *dir)
{
	static const bi_sup_route p[] = {{0, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part parts[] = {
		{.name = "s", .sink = 1},
		{.name = "p", .producer = 1, .routes = p},
	};
	struct t t = {.dir = dir, .until = until_3s};
	char *py = bi_asprintf("%s/sink.py", dir);
	FILE *f = fopen(py, "w");

	if (f) {
		fputs("import os, sys, time\nn = 0\nwhile True:\n    b = os.read(0, 65536)\n"
		      "    if not b:\n        break\n    n += b.count(b'\\n')\n    time.sleep(0.005)\n"
		      "open(sys.argv[1] + '/count', 'w').write(str(n))\n", f);
		fclose(f);
	}
	t.script[0][0] = "exec python3 \"$1/sink.py\" \"$1\"";
	t.script[1][0] = "exec yes '{\"kind\":\"a\",\"pad\":\"0123456789012345678901234567890123456789"
			 "0123456789012345678901234567890123456789012345678901234567890123456789\"}'";
	long lost = run(&t, parts, 2, 20 * BI_NS_PER_MS, 0);
	is_num(lost, 0, "steady sink: nothing held at the end");
	long got = number_in(&t, "count");
	ok(got > 0 && got == bi_sup_part_status(t.s, 1).records,
	   "steady sink: it got every line read (%ld)", got);
	ok(t.max_held[0] >= (4u << 20), "steady sink: it stayed behind (%zu bytes held at most)", t.max_held[0]);
	ok(t.max_buffer[0] <= (8u << 20), "steady sink: its buffer stayed within 8 MB (%zu bytes at most)",
	   t.max_buffer[0]);
	free(py);
	finish(&t);
}

/* ---- what cannot run ---- */

static char **
no_argv(void *ctx, int i, const char *resume)
{
	(void)ctx, (void)i, (void)resume;
	return NULL;
}

static void
no_log(void *ctx, const char *who, const char *text, size_t n)
{
	(void)ctx, (void)who, (void)text, (void)n;
}

static void
test_conf(void)
{
	static const bi_sup_route to_p[] = {{1, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part bad_route[] = {
		{.name = "s", .sink = 1},
		{.name = "p", .producer = 1, .routes = to_p},
	};
	static const bi_sup_route to_s[] = {{0, NULL, 1}, {-1, NULL, 0}};
	static const bi_sup_part resumes[] = {
		{.name = "s", .sink = 1},
		{.name = "p", .producer = 1, .routes = to_s, .resumes = 1},
	};
	bi_sup_conf c = {.parts = bad_route, .nparts = 2, .argv = no_argv, .log = no_log};
	ok(!bi_sup_new(&c), "conf: a route to a part that is no sink is refused");
	c.parts = resumes;
	ok(!bi_sup_new(&c), "conf: a part that resumes, without a resume callback, is refused");
	c.nparts = 0;
	ok(!bi_sup_new(&c), "conf: no parts is refused");
	c.parts = bad_route;
	c.nparts = 1;
	bi_sup *s = bi_sup_new(&c);
	ok(s != NULL, "conf: one sink alone is fine");
	bi_sup_free(s);
}

int
main(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	char *dir = bi_temp_dir("bi-test-supervise");
	if (!dir) {
		perror("bi_temp_dir");
		return 1;
	}
	plan(62);
	const char *sub[] = {"routes", "last", "sink", "producer", "stop", "end", "slow", "dies", "steady"};
	char *d[9];
	for (int i = 0; i < 9; i++) {
		d[i] = bi_asprintf("%s/%s", dir, sub[i]);
		bi_mkdirs(d[i]);
	}
	test_conf();
	test_routes(d[0]);
	test_last_line(d[1]);
	test_sink_killed(d[2]);
	test_producer_killed(d[3]);
	test_stop(d[4]);
	test_sink_dies_stopping(d[7]);
	test_end_now(d[5]);
	test_flood_stop(d[5]);
	test_slow_sink(d[6]);
	test_steady_sink(d[8]);
	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		printf("# could not remove %s\n", dir);
	free(rm);
	for (int i = 0; i < 9; i++)
		free(d[i]);
	free(dir);
	return done();
}
