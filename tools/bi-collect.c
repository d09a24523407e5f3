/*
 * bi-collect: gather the context of a project as records.
 *
 * Sources, each in its own thread: Docker (the logs, stats and lifecycle
 * events of the project's containers, found by their compose labels), git
 * history (libgit2), Kubernetes events and pod states (kubectl), and the
 * chaos and load-test results saved under .blissful-infra/. Records come out
 * in time order within a bounded window (lib/sources/merge.c); with --follow the
 * sources keep streaming. Reads nothing on stdin.
 */
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/docker.h"
#include "sources/k8s.h"
#include "sources/gitctx.h"
#include "sources/logparse.h"
#include "sources/merge.h"
#include "sources/otlp.h"
static const char usage[] =
	"usage: bi-collect [sources] [options]\n"
	"Gather a project's context as records, in time order.\n"
	"\n"
	"Sources (default --docker):\n"
	"  -d, --docker         the project's containers: logs, stats and lifecycle events\n"
	"      --logs, --stats, --events, --status\n"
	"                       only these parts of --docker (--status: one record per\n"
	"                       container with its state, health, ports, uptime, restarts)\n"
	"  -g, --git            commits: author, message, files, insertions, deletions\n"
	"  -k, --k8s            Kubernetes events and pod states (kubectl's context)\n"
	"  -r, --results        saved chaos, perf and compare results (.blissful-infra/)\n"
	"      --spans FILE     spans of OTLP/HTTP JSON export requests, one a line (an\n"
	"                       OpenTelemetry collector's file exporter), as `span`\n"
	"                       records; - is stdin (repeatable)\n"
	"\n"
	"  -p, --project NAME   compose project (default: blissful-infra.yaml's name)\n"
	"  -s, --service S      only this service (repeatable)\n"
	"      --since WHEN     from a time or a duration ago (default 1h; 'all': everything)\n"
	"      --until WHEN     up to a time or a duration ago (default: now)\n"
	"  -n, --tail N         at most the last N log lines per container\n"
	"  -f, --follow         keep streaming new records\n"
	"      --level LEVEL    only logs at LEVEL or above (trace debug info warn error fatal)\n"
	"      --grep TEXT      only logs whose message holds TEXT\n"
	"      --range A..B     git: the commits in A..B instead of a time window\n"
	"      --repo DIR       git: the repository (default: the one holding the project)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Exit: 0, 2 usage (or not a git repository, or a --spans file unread), 3 Docker\n"
	"unreachable.\n";

enum { P_LOGS = 1, P_STATS = 2, P_EVENTS = 4, P_STATUS = 8 };

static struct {
	int docker_parts, git, k8s, results, follow, nspans;
	char **spans;
	const char *project, *range, *repo, *grep;
	char **services;
	int nservices;
	int64_t since, until;
	long tail;
	int min_level;
	char *project_dir;
} opt = {.tail = -1, .min_level = -1};

static bi_merge *merge;

/* ---- helpers ---- */

static int
want_service(const char *s)
{
	if (opt.nservices == 0)
		return 1;
	for (int i = 0; s && i < opt.nservices; i++)
		if (!strcmp(opt.services[i], s))
			return 1;
	return 0;
}

static int
log_wanted(jv rec)
{
	if (opt.min_level >= 0 && bi_level_rank(bi_get_str(rec, "level")) < opt.min_level)
		return 0;
	if (opt.grep) {
		const char *m = bi_get_str(rec, "msg"), *s = bi_get_str(rec, "stack");
		if (!(m && strcasestr(m, opt.grep)) && !(s && strcasestr(s, opt.grep)))
			return 0;
	}
	return 1;
}

static void
put(jv rec)
{
	int64_t ts = bi_record_ts(rec);
	bi_merge_put(merge, ts, rec);
}

static jv
label(jv container, const char *key)
{
	jv labels = jv_object_get(jv_copy(container), jv_string("Labels"));

	if (jv_get_kind(labels) != JV_KIND_OBJECT) {
		jv_free(labels);
		return jv_invalid();
	}
	return jv_object_get(labels, jv_string(key));
}

/* ---- Docker: logs ---- */

struct follower {
	char *id, *service;
	pthread_mutex_t mu;		/* guards the joiners */
	bi_logjoin *join[3];
	int running;
	int64_t since;
	struct follower *next;
};

static struct follower *followers;
static pthread_mutex_t followers_mu = PTHREAD_MUTEX_INITIALIZER;

static void
emit_log(void *ctx, jv rec)
{
	(void)ctx;
	if (log_wanted(rec))
		put(rec);
	else
		jv_free(rec);
}

static int
on_log(void *ctx, int stream, int64_t ts, const char *line, size_t n)
{
	struct follower *f = ctx;
	jv rec = bi_log_parse(line, n, ts, stream);

	rec = bi_set(rec, "project", jv_string(opt.project));
	rec = bi_set(rec, "service", jv_string(f->service));
	rec = bi_set(rec, "container", jv_string_fmt("%.12s", f->id));
	rec = bi_set(rec, "source", jv_string("docker"));
	/* Docker's own time of the line, in ns (a string: a double would round
	 * it): what tells two identical lines in one millisecond apart, and
	 * the same line collected twice for one. */
	if (ts > 0)
		rec = bi_set(rec, "received", jv_string_fmt("%lld", (long long)ts));
	pthread_mutex_lock(&f->mu);
	bi_logjoin_feed(f->join[stream == 2 ? 2 : 1], rec);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static void *
logs_thread(void *arg)
{
	struct follower *f = arg;
	char err[512];
	bi_docker *d = bi_docker_open(err, sizeof err);

	if (d && f->since < 0) {
		/* A container started while following (since is minus the
		 * event's time). Its first lines come before the event, and
		 * Docker may stamp them before its own StartedAt: take all that
		 * came after its previous run ended (FinishedAt), or everything
		 * when it never ran before. */
		jv in = bi_docker_inspect(d, f->id);
		int64_t fin = 0, start = 0;
		if (bi_ts_parse(bi_jv_path_str(in, "State.FinishedAt", ""), &fin) != 0)
			fin = 0;
		if (bi_ts_parse(bi_jv_path_str(in, "State.StartedAt", ""), &start) != 0)
			start = 0;
		if (!jv_is_valid(in))
			f->since = -f->since - 2 * BI_NS_PER_S;
		else if (fin > 0 && start > 0 && fin < start)
			f->since = fin + 1;	/* after the run before this one */
		else if (fin > 0 && start > 0)
			f->since = start - BI_NS_PER_S;	/* this run has ended already: all of it */
		else
			f->since = 0;		/* its first run: everything */
		jv_free(in);
	}
	if (d) {
		bi_docker_logs_opts o = {.since = f->since, .until = opt.follow ? 0 : opt.until,
					 .tail = opt.tail, .follow = opt.follow, .tty = -1};
		if (bi_docker_logs(d, f->id, &o, on_log, f) != 0)
			bi_warn("logs of %s: %s", f->service, bi_docker_error(d));
		bi_docker_close(d);
	} else {
		bi_warn("%s", err);
	}
	pthread_mutex_lock(&f->mu);
	bi_logjoin_flush(f->join[1]);
	bi_logjoin_flush(f->join[2]);
	f->running = 0;
	pthread_mutex_unlock(&f->mu);
	bi_merge_producer(merge, -1);
	return NULL;
}

/* Follow a container's logs from since, unless it is being followed. */
static void
follow_logs(const char *id, const char *service, int64_t since)
{
	struct follower *f;
	pthread_t t;

	pthread_mutex_lock(&followers_mu);
	for (f = followers; f && strcmp(f->id, id); f = f->next)
		;
	if (!f) {
		f = bi_calloc(1, sizeof *f);
		f->id = bi_strdup(id);
		f->service = bi_strdup(service);
		pthread_mutex_init(&f->mu, NULL);
		f->join[1] = bi_logjoin_new(emit_log, NULL);
		f->join[2] = bi_logjoin_new(emit_log, NULL);
		f->next = followers;
		followers = f;
	}
	pthread_mutex_lock(&f->mu);
	int start = !f->running;
	if (start) {
		f->running = 1;
		f->since = since;
	}
	pthread_mutex_unlock(&f->mu);
	pthread_mutex_unlock(&followers_mu);
	if (start) {
		bi_merge_producer(merge, 1);
		if (pthread_create(&t, NULL, logs_thread, f) != 0)
			bi_die(BI_EXIT_FAIL, "cannot start a thread:");
		pthread_detach(t);
	}
}

/* A stack trace waits for its next line; on a live stream, give up waiting
 * after half a second of quiet. */
static void
flush_quiet_joiners(void)
{
	int64_t old = bi_mono_ns() - 500 * BI_NS_PER_MS;

	/* Never wait here: this thread is the merge's only consumer, and the
	 * lock's holder may be waiting for the merge to have room. */
	if (pthread_mutex_trylock(&followers_mu) != 0)
		return;
	for (struct follower *f = followers; f; f = f->next) {
		/* Busy: not quiet. And its thread may be waiting for the merge
		 * to have room, which only this thread (its consumer) makes. */
		if (pthread_mutex_trylock(&f->mu) != 0)
			continue;
		for (int s = 1; s <= 2; s++) {
			int64_t h = bi_logjoin_held_since(f->join[s]);
			if (h && h < old)
				bi_logjoin_flush(f->join[s]);
		}
		pthread_mutex_unlock(&f->mu);
	}
	pthread_mutex_unlock(&followers_mu);
}

/* ---- Docker: events ---- */

static int64_t last_event;	/* ns: where a follow of the events resumes */

static int
on_event(void *ctx, jv ev)
{
	(void)ctx;
	last_event = (int64_t)bi_get_num(ev, "timeNano", (double)last_event);
	jv rec = bi_docker_event_record(ev, opt.project);
	const char *id = bi_get_str(ev, "id"), *service = bi_get_str(rec, "service");

	if (jv_is_valid(rec) && want_service(service)) {
		const char *act = bi_get_str(rec, "action");
		/* A container (re)started while following: follow its logs too,
		 * from when it started. The event is sent once the process
		 * runs, and a fast writer has written thousands of lines by then:
		 * Docker's own start time comes first. */
		if (opt.follow && (opt.docker_parts & P_LOGS) && !strcmp(act, "start"))
			follow_logs(id, service, -(int64_t)bi_get_num(ev, "timeNano", 0));
		if (opt.docker_parts & P_EVENTS)
			put(jv_copy(rec));
	}
	jv_free(rec);
	jv_free(ev);
	return 0;
}

static void *
events_thread(void *arg)
{
	(void)arg;
	char err[512];
	char *filters = bi_asprintf("{\"type\":[\"container\"],\"label\":"
				    "[\"com.docker.compose.project=%s\"]}", opt.project);
	int64_t until = opt.follow ? 0 : opt.until ? opt.until : bi_now_ns();
	int told = 0;

	/* Following, the stream is asked for again when it breaks (a daemon
	 * too busy to answer in time), from the last event seen: a start
	 * missed would be a container whose logs are never read. */
	last_event = opt.since;
	for (;;) {
		bi_docker *d = bi_docker_open(err, sizeof err);
		int r = d ? bi_docker_events(d, filters, last_event, until, on_event, NULL) : -1;
		if (r != 0 && !told++)
			bi_warn("events: %s%s", d ? bi_docker_error(d) : err,
				opt.follow ? "; asking again every second" : "");
		bi_docker_close(d);
		if (!opt.follow)
			break;
		sleep(1);	/* following: a stream that ended is asked for again */
	}
	free(filters);
	bi_merge_producer(merge, -1);
	return NULL;
}

/* ---- Docker: stats and status ---- */

struct one {
	char *id, *service;
};

static void *
stats_thread(void *arg)
{
	struct one *c = arg;
	char err[512];
	bi_docker *d = bi_docker_open(err, sizeof err);

	while (d) {
		jv s = bi_docker_stats(d, c->id, 0);
		if (jv_is_valid(s)) {
			jv rec = bi_record("stats");
			rec = bi_set(rec, "project", jv_string(opt.project));
			rec = bi_set(rec, "service", jv_string(c->service));
			rec = bi_set(rec, "container", jv_string_fmt("%.12s", c->id));
			jv_object_foreach(s, k, v)
				rec = jv_object_set(rec, k, v);
			jv_free(s);
			put(rec);
		} else {
			jv_free(s);
		}
		if (!opt.follow)
			break;
		sleep(10);
	}
	bi_docker_close(d);
	bi_merge_producer(merge, -1);
	return NULL;
}

static int
collect_docker(void)
{
	char err[512];
	bi_docker *d = bi_docker_open(err, sizeof err);

	if (!d)
		bi_die(BI_EXIT_UNREACHABLE, "%s", err);
	jv list = bi_docker_containers(d, opt.project, NULL, 1);
	if (!jv_is_valid(list))
		bi_die(BI_EXIT_UNREACHABLE, "%s", bi_docker_error(d));
	int n = 0;
	jv_array_foreach(list, i, c) {
		jv sv = label(c, "com.docker.compose.service");
		const char *service = jv_get_kind(sv) == JV_KIND_STRING ? jv_string_value(sv) : "?";
		const char *id = bi_get_str(c, "Id");
		const char *state = bi_get_str(c, "State");
		if (id && want_service(service)) {
			n++;
			struct one *o = bi_calloc(1, sizeof *o);
			o->id = bi_strdup(id);
			o->service = bi_strdup(service);
			if (opt.docker_parts & P_LOGS)
				follow_logs(id, service, opt.since);
			if ((opt.docker_parts & P_STATS) && state && !strcmp(state, "running")) {
				pthread_t t;
				bi_merge_producer(merge, 1);
				pthread_create(&t, NULL, stats_thread, o);
				pthread_detach(t);
			}
			if (opt.docker_parts & P_STATUS) {
				jv in = bi_docker_inspect(d, id);
				jv st = bi_docker_status_record(in, c, opt.project);
				/* This thread is the consumer: it must not wait for room. */
				bi_merge_put_nowait(merge, bi_record_ts(st), st);
				jv_free(in);
			}
		}
		jv_free(sv);
		jv_free(c);
	}
	jv_free(list);
	bi_docker_close(d);
	if (n == 0)
		bi_warn("no containers of compose project %s%s", opt.project,
			opt.nservices ? " with those services" : "");
	if (opt.docker_parts & (P_EVENTS | P_LOGS)) {
		if (opt.follow || (opt.docker_parts & P_EVENTS)) {
			pthread_t t;
			bi_merge_producer(merge, 1);
			pthread_create(&t, NULL, events_thread, NULL);
			pthread_detach(t);
		}
	}
	return n;
}

/* ---- git ---- */

static int
put_commit(void *ctx, jv rec)
{
	(void)ctx;
	if (opt.project)
		rec = bi_set(rec, "project", jv_string(opt.project));
	put(rec);
	return 0;
}

static void
collect_git(void)
{
	char err[512];
	const char *start = opt.repo ? opt.repo : opt.project_dir ? opt.project_dir : ".";

	if (bi_git_commits(start, opt.range, opt.since, opt.until, put_commit, NULL, err, sizeof err) != 0)
		bi_warn("%s", err);
}

/* ---- Kubernetes ---- */

/* Events, then the pod states they may have aged out of; one warning when
 * there is no cluster to ask. */
static void
collect_k8s(void)
{
	static const char *const events[] = {"get", "events", "--all-namespaces", NULL};
	static const char *const pods[] = {"get", "pods", "--all-namespaces", NULL};
	const char *const *ask[] = {events, pods};
	jv (*parse[])(jv) = {bi_k8s_events, bi_k8s_pods};
	char err[512];

	for (int i = 0; i < 2; i++) {
		char *out = bi_kubectl(ask[i], err, sizeof err);
		if (!out) {
			if (i == 0)
				bi_warn("no Kubernetes cluster to read (kubectl: %s)", err);
			return;
		}
		jv recs = parse[i](jv_parse(out));
		free(out);
		if (!jv_is_valid(recs)) {
			jv m = jv_invalid_get_msg(recs);
			bi_warn("kubectl %s %s: %s", ask[i][0], ask[i][1],
				jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "not JSON");
			jv_free(m);
			continue;
		}
		jv_array_foreach(recs, k, rec) {
			int64_t t = bi_record_ts(rec);
			if ((opt.since && t < opt.since) || (opt.until && t > opt.until))
				jv_free(rec);
			else
				put(rec);
		}
		jv_free(recs);
	}
}

/* ---- saved results ---- */

static int
saved_record(void *ctx, jv rec, bi_reader *r)
{
	int64_t t = bi_record_ts(rec);

	(void)ctx, (void)r;
	if ((opt.since && t < opt.since) || (opt.until && t > opt.until))
		jv_free(rec);
	else
		bi_merge_put(merge, t, rec);
	return 0;
}

static void
collect_results(void)
{
	static const char *const dirs[] = {"chaos", "perf", "compare", "score", NULL};
	const char *root = opt.project_dir ? opt.project_dir : ".";

	for (const char *const *d = dirs; *d; d++) {
		char *dir = bi_asprintf("%s/.blissful-infra/%s", root, *d);
		DIR *dp = opendir(dir);
		struct dirent *e;
		while (dp && (e = readdir(dp))) {
			size_t n = strlen(e->d_name);
			if (n < 7 || strcmp(e->d_name + n - 6, ".jsonl"))
				continue;
			char *path = bi_asprintf("%s/%s", dir, e->d_name);
			bi_each(1, &path, 0, saved_record, NULL);
			free(path);
		}
		if (dp)
			closedir(dp);
		free(dir);
	}
}

/* ---- spans ---- */

static int
span_request(void *ctx, jv req, bi_reader *r)
{
	(void)ctx, (void)r;
	jv a = bi_otlp_spans(req);

	jv_free(req);
	if (!jv_is_valid(a)) {
		jv msg = jv_invalid_get_msg(a);
		bi_warn("--spans: %s, skipped", jv_get_kind(msg) == JV_KIND_STRING ?
			jv_string_value(msg) : "not a request");
		jv_free(msg);
		return 0;
	}
	jv_array_foreach(a, i, rec) {
		int64_t t = bi_record_ts(rec);
		if ((opt.since && t < opt.since) || (opt.until && t > opt.until) ||
		    !want_service(bi_get_str(rec, "service")))
			jv_free(rec);
		else
			put(rec);
	}
	jv_free(a);
	return 0;
}

static int spans_unread;

static void
collect_spans(void)
{
	spans_unread = bi_each(opt.nspans, opt.spans, 0, span_request, NULL) != 0;
}

/* ---- main ---- */

struct job {
	void (*fn)(void);
};

static void *
run_job(void *arg)
{
	struct job *j = arg;
	j->fn();
	bi_merge_producer(merge, -1);
	return NULL;
}

static void
start(struct job *j)
{
	pthread_t t;

	bi_merge_producer(merge, 1);
	if (pthread_create(&t, NULL, run_job, j) != 0)
		bi_die(BI_EXIT_FAIL, "cannot start a thread:");
	pthread_detach(t);
}

static char *
default_project(void)
{
	jv cfg = bi_config();
	const char *name = bi_jv_path_str(cfg, "name", NULL);
	char *r = NULL;

	if (name)
		r = bi_strdup(name);
	else if (opt.project_dir) {
		const char *b = strrchr(opt.project_dir, '/');
		r = bi_strdup(b ? b + 1 : opt.project_dir);
	} else {
		char *cwd = getcwd(NULL, 0);
		const char *b = cwd ? strrchr(cwd, '/') : NULL;
		r = bi_strdup(b && b[1] ? b + 1 : "default");
		free(cwd);
	}
	jv_free(cfg);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"docker", no_argument, NULL, 'd'},
		{"logs", no_argument, NULL, 'L'},
		{"stats", no_argument, NULL, 'S'},
		{"events", no_argument, NULL, 'E'},
		{"status", no_argument, NULL, 'T'},
		{"git", no_argument, NULL, 'g'},
		{"k8s", no_argument, NULL, 'k'},
		{"results", no_argument, NULL, 'r'},
		{"spans", required_argument, NULL, 'O'},
		{"project", required_argument, NULL, 'p'},
		{"service", required_argument, NULL, 's'},
		{"since", required_argument, NULL, 'a'},
		{"until", required_argument, NULL, 'b'},
		{"tail", required_argument, NULL, 'n'},
		{"follow", no_argument, NULL, 'f'},
		{"level", required_argument, NULL, 'l'},
		{"grep", required_argument, NULL, 'G'},
		{"range", required_argument, NULL, 'R'},
		{"repo", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *since = "1h", *until = NULL;
	int docker = 0, c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "dgkrp:s:n:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': docker = 1; break;
		case 'L': opt.docker_parts |= P_LOGS; break;
		case 'S': opt.docker_parts |= P_STATS; break;
		case 'E': opt.docker_parts |= P_EVENTS; break;
		case 'T': opt.docker_parts |= P_STATUS; break;
		case 'g': opt.git = 1; break;
		case 'k': opt.k8s = 1; break;
		case 'r': opt.results = 1; break;
		case 'O':
			opt.spans = bi_realloc(opt.spans, (opt.nspans + 1) * sizeof *opt.spans);
			opt.spans[opt.nspans++] = optarg;
			break;
		case 'p': opt.project = optarg; break;
		case 's':
			opt.services = bi_realloc(opt.services, (opt.nservices + 1) * sizeof *opt.services);
			opt.services[opt.nservices++] = optarg;
			break;
		case 'a': since = optarg; break;
		case 'b': until = optarg; break;
		case 'n': {
			char *end;
			opt.tail = strtol(optarg, &end, 10);
			if (*end || opt.tail < 0)
				bi_usage_error(usage, "--tail: not a count: %s", optarg);
			break;
		}
		case 'f': opt.follow = 1; break;
		case 'l':
			opt.min_level = bi_level_rank(bi_level_norm(optarg));
			if (opt.min_level < 0)
				bi_usage_error(usage, "--level: not a level: %s", optarg);
			break;
		case 'G': opt.grep = optarg; break;
		case 'R': opt.range = optarg; break;
		case 'P': opt.repo = optarg; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	int64_t now = bi_now_ns();
	if (strcmp(since, "all") && strcmp(since, "0") && bi_when_parse(since, now, &opt.since))
		bi_usage_error(usage, "--since: not a time or duration: %s", since);
	if (until && bi_when_parse(until, now, &opt.until))
		bi_usage_error(usage, "--until: not a time or duration: %s", until);
	if (opt.docker_parts)
		docker = 1;
	if (!docker && !opt.git && !opt.k8s && !opt.results && !opt.nspans)
		docker = 1;
	if (docker && !opt.docker_parts)
		opt.docker_parts = P_LOGS | P_STATS | P_EVENTS;
	if (opt.follow && opt.until)
		bi_usage_error(usage, "--follow and --until do not go together");
	opt.project_dir = bi_project_dir();
	if (!opt.project)
		opt.project = default_project();

	/* A record is held for a second on a live stream, so that sources
	 * that lag a little still come out in order. At most 20,000 wait (a
	 * log storm of 50,000 lines a second would otherwise hold 100 MB):
	 * past that the oldest goes at once, in order within those. */
	merge = bi_merge_new(20000, opt.follow ? BI_NS_PER_S : -1);
	bi_merge_producer(merge, 1);	/* main, until every source has started */
	static struct job git = {collect_git}, k8s = {collect_k8s}, results = {collect_results},
		spans = {collect_spans};
	if (opt.git) {
		/* Outside a repository is a usage error: say so before any output. */
		const char *at = opt.repo ? opt.repo : opt.project_dir ? opt.project_dir : ".";
		if (!bi_git_is_repo(at)) {
			char *abs = realpath(at, NULL);
			bi_die(BI_EXIT_USAGE, "not a git repository: %s", abs ? abs : at);
		}
		start(&git);
	}
	if (docker)
		collect_docker();
	if (opt.k8s)
		start(&k8s);
	if (opt.results)
		start(&results);
	if (opt.nspans)
		start(&spans);
	bi_merge_producer(merge, -1);

	for (;;) {
		jv rec;
		int r = bi_merge_take(merge, &rec, 100 * BI_NS_PER_MS);
		if (r < 0)
			break;
		if (r > 0)
			bi_write(rec);
		else	/* nothing due: what is written reaches a file too */
			bi_write_flush();
		if (opt.follow)
			flush_quiet_joiners();
	}
	bi_write_flush();
	return spans_unread ? BI_EXIT_USAGE : BI_EXIT_OK;
}
