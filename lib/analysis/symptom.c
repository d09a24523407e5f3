/*
 * symptom.c: records become symptoms, the evidence root-cause analysis
 * (rca.c) weighs. Records go in one at a time; each that points at trouble
 * joins the symptom of its kind, service and subject, which counts them and
 * keeps when they began and ended, a sample, and the pattern of the
 * knowledge base it matches with how strongly.
 *
 * Error and warning lines are clustered into templates (drain.c), so that
 * a message never seen before is one symptom with a count and memory grows
 * with the templates, not the lines; info lines are no symptom unless slow,
 * and the fast path (bi_symptoms_skip) tells them apart on their raw bytes.
 * A container's non-zero exit is no problem when it followed a kill or stop
 * (within 30 s) or an OOM kill (within 10 s); else it is a crash when it
 * died by a signal (exit 132, 134, 135, 136, 139) or had run (been healthy,
 * or up 30 s), and a start failure when it exited at start after a change
 * (a commit, its container made anew or of another image, within 10 min
 * before): a crash is a fault of the code at run time, a start failure one
 * of the version, image or configuration deployed; a process that fails at
 * start with no change before it is a crash. A trace a logger wrote under
 * a message of its own was caught: its words say what failed, but that it
 * is a trace makes no crash; nor does one its process lived on (settled
 * once the records are in: its container's life known, no die unasked,
 * OOM kill or restart from it to a minute after), whose words then decide,
 * a write that found the peer gone being a slow server's sign. Any exit
 * supports the connection problems of
 * others. Every message of a template is matched (the first 64, then one
 * in each power of two), since a template's later lines may carry the
 * telling words its first lacks. A log line is slow by its duration_ms or
 * by the duration PostgreSQL's and MySQL's slow logs write in the text.
 * Metric series whose names a pattern's trends hold are followed: growth
 * without bound and a jump from the baseline are symptoms (symptom.h). Failing health checks, firing alerts,
 * Kubernetes warnings, failed load tests and chaos scenarios, and metrics
 * and stats past a pattern's condition are symptoms too. What the records tell of a service besides
 * (its requests and server errors, its container's events and memory) and
 * Kubernetes events that are no warnings are kept for the story around.
 *
 * How sure a symptom makes a pattern, by where it comes from: a log line
 * 0.7, a metric 0.5, a container signal 1.0 (a single crash 0.6, two or
 * more 0.9), a Kubernetes warning 1.0, a chaos scenario 0.6, a stopped
 * dependency 0.5.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/symptom.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/logparse.h"
#include "analysis/drain.h"
#include "analysis/pattern.h"
#include "analysis/advice.h"

#define MAX_SAMPLE 400		/* bytes of a message kept as its sample */
#define MAX_STACK 2048		/* bytes of a stack trace kept */
#define MAX_NOTES 64		/* Kubernetes Normal events kept */
#define MAX_SERIES 4096		/* metric series followed for trends */
#define SERIES_BUCKETS 1024
#define TREND_BASE 5		/* points of a series' baseline */
#define CHANGE_BEFORE (600 * BI_NS_PER_S)	/* a change a start failure followed */
#define TRACE_END (60 * BI_NS_PER_S)	/* a crash's trace to its process's end */
#define STOP_GRACE (30 * BI_NS_PER_S)	/* a stop asked for to the container's die */
#define MAX_MATCHED 64		/* a template's messages all matched; then 1 in 2^k */

/* A metric series followed for its trend: (service, name). */
struct series {
	char *key;
	uint64_t hash;
	int pattern;		/* whose trends name it */
	size_t n, rises, above;	/* points, rises, points in a row above 3x base */
	double first, last, base;
	struct series *next;
};

static const double weight[BI_NSIGNALS] = {0.7, 0.5, 1.0, 1.0, 0.6, 0.5};

static const char *const kind_name[BI_SYMPTOM_NKINDS] = {
	[BI_SYMPTOM_LOG] = "log",
	[BI_SYMPTOM_CRASH] = "crash",
	[BI_SYMPTOM_START] = "start-failure",
	[BI_SYMPTOM_OOM] = "oom",
	[BI_SYMPTOM_STOPPED] = "dependency-stopped",
	[BI_SYMPTOM_STATS] = "stats",
	[BI_SYMPTOM_HEALTH] = "health",
	[BI_SYMPTOM_ALERT] = "alert",
	[BI_SYMPTOM_K8S] = "k8s",
	[BI_SYMPTOM_PERF] = "perf",
	[BI_SYMPTOM_CHAOS] = "chaos",
	[BI_SYMPTOM_METRIC] = "metric",
};

struct bi_symptoms {
	const bi_kb_pattern *pats;
	size_t npats;
	double slow_ms;		/* the least duration_ms any pattern counts as slow */
	bi_drain *drain;
	bi_service *services;
	bi_symptom *syms;		/* every one, the newest first */
	bi_symptom **buckets;		/* syms by the hash of their key */
	size_t nbuckets, nsyms;
	bi_note notes[MAX_NOTES];	/* a ring of Kubernetes Normal events */
	size_t nnotes;
	struct series *series[SERIES_BUCKETS];	/* by the hash of their key */
	size_t nseries;
	int crash;		/* the pattern of crashes (containers: [crash]), or -1 */
	int slow;		/* the pattern of slow requests (a duration_ms
				   condition), or -1 */
	int64_t commit;		/* the newest commit's time; 0 if none */
};

const char *
bi_symptom_kind_name(bi_symptom_kind kind)
{
	return (unsigned)kind < BI_SYMPTOM_NKINDS ? kind_name[kind] : NULL;
}

/* ---- services ---- */

static bi_service *
svc_get(bi_symptoms *set, const char *name, size_t n)
{
	if (!name || !n) {
		name = "-";
		n = 1;
	}
	uint64_t h = bi_hash64(name, n);
	for (bi_service *s = set->services; s; s = s->next)
		if (s->hash == h && strlen(s->name) == n && !memcmp(s->name, name, n))
			return s;
	bi_service *s = bi_calloc(1, sizeof *s);
	s->name = bi_strndup(name, n);
	s->hash = h;
	s->next = set->services;
	set->services = s;
	return s;
}

/* A known service by its name (or a DNS name's first label), or NULL. */
static bi_service *
svc_find(bi_symptoms *set, const char *name, size_t n)
{
	for (int pass = 0; pass < 2; pass++) {
		uint64_t h = bi_hash64(name, n);
		for (bi_service *s = set->services; s; s = s->next)
			if (s->hash == h && strlen(s->name) == n && !memcmp(s->name, name, n))
				return s;
		const char *dot = memchr(name, '.', n);
		if (!dot)
			break;
		n = (size_t)(dot - name);
	}
	return NULL;
}

/* The known services a line of service names as NAME:PORT ("connected to
 * redis:6379"): the servers it is a client of, whose error replies it
 * relays. */
static void
peers_of(bi_symptoms *set, const char *service, size_t sn, const char *msg, size_t n)
{
	for (const char *q = memchr(msg, ':', n); q && q + 1 < msg + n;
	     q = memchr(q + 1, ':', (size_t)(msg + n - q - 1))) {
		if (!isdigit((unsigned char)q[1]))
			continue;
		const char *h = q;
		while (h > msg && (isalnum((unsigned char)h[-1]) || h[-1] == '-' || h[-1] == '_' ||
				   h[-1] == '.'))
			h--;
		if (h == q || !isalpha((unsigned char)*h) || (h > msg && strchr("/@", h[-1])))
			continue;
		bi_service *peer = svc_find(set, h, (size_t)(q - h));
		if (!peer)
			continue;
		bi_service *sv = svc_get(set, service, sn);
		int have = peer == sv;
		for (size_t i = 0; !have && i < sv->npeers; i++)
			have = sv->peers[i] == peer->name;
		if (!have && sv->npeers < BI_SERVICE_DEPS)
			sv->peers[sv->npeers++] = peer->name;
	}
}

/* ---- the symptoms, by kind, service and subject ---- */

static bi_symptom *
sym_get(bi_symptoms *set, bi_symptom_kind kind, const char *service, const char *subject,
	int *made)
{
	if (!service)
		service = "-";
	/* A load test is one symptom per target, whichever service it names. */
	char *key = kind == BI_SYMPTOM_PERF ? bi_asprintf("%s %s", kind_name[kind], subject) :
		bi_asprintf("%s %s %s", kind_name[kind], service, subject);
	uint64_t h = bi_hash64(key, strlen(key));

	for (bi_symptom *s = set->nbuckets ? set->buckets[h & (set->nbuckets - 1)] : NULL; s;
	     s = s->chain)
		if (s->hash == h && !strcmp(s->key, key)) {
			free(key);
			*made = 0;
			return s;
		}
	if (set->nsyms >= set->nbuckets) {	/* grow, and put every one back */
		set->nbuckets = set->nbuckets ? set->nbuckets * 2 : 256;
		free(set->buckets);
		set->buckets = bi_calloc(set->nbuckets, sizeof *set->buckets);
		for (bi_symptom *o = set->syms; o; o = o->next) {
			o->chain = set->buckets[o->hash & (set->nbuckets - 1)];
			set->buckets[o->hash & (set->nbuckets - 1)] = o;
		}
	}
	bi_symptom *s = bi_calloc(1, sizeof *s);
	s->kind = kind;
	s->key = key;
	s->hash = h;
	s->service = bi_strdup(service);
	s->subject = bi_strdup(subject);
	s->pattern = -1;
	s->level = -1;
	s->next = set->syms;
	set->syms = s;
	s->chain = set->buckets[h & (set->nbuckets - 1)];
	set->buckets[h & (set->nbuckets - 1)] = s;
	set->nsyms++;
	*made = 1;
	return s;
}

static void
sym_seen(bi_symptom *s, int64_t ts)
{
	s->count++;
	if (ts && (!s->first || ts < s->first))
		s->first = ts;
	if (ts > s->last)
		s->last = ts;
}

/* ---- what a symptom matches ---- */

/* Set the pattern of s from its text, unless it has one; 1 if it was set
 * (or held) by this text. */
static int
match_text_but(bi_symptoms *set, bi_symptom *s, const char *text, int skip)
{
	size_t len;
	int p = bi_kb_match_text_but(set->pats, set->npats, text, strlen(text), &len, skip);

	if (p >= 0 && (s->pattern < 0 || s->pattern == p)) {
		s->pattern = p;
		s->reply |= bi_kb_reply(&set->pats[p], text);
		s->strength[BI_SIGNAL_LOG] = weight[BI_SIGNAL_LOG];
		return 1;
	}
	return 0;
}

static int
match_text(bi_symptoms *set, bi_symptom *s, const char *text)
{
	return match_text_but(set, s, text, -1);
}

/* A trace a logger wrote under a message of its own (Python's
 * logger.exception, log4j's and logback's log.error(msg, e), pino's err):
 * the exception was caught and logged, and the process lives on. An
 * uncaught one is the trace itself, its message one of the trace's lines
 * ("ValueError: ...", Node's "TypeError: ...", "panic: ..."). */
static int
handled(const char *msg, const char *stack)
{
	while (*msg == ' ' || *msg == '\t')
		msg++;
	size_t n = strcspn(msg, "\n");
	while (n && (msg[n - 1] == ' ' || msg[n - 1] == '\r'))
		n--;
	if (!stack || !*stack || !n)
		return 0;
	return !memmem(stack, strlen(stack), msg, n > 120 ? 120 : n);
}

/* A line that is all a shell prints of a child killed by a signal
 * (strsignal's text, as sh and bash report it: "Killed", "Segmentation fault
 * (core dumped)"): the process died, though its container lives on and the
 * line came as output: an error. Its pattern is its words' ("segmentation
 * fault" a crash); a kill (SIGKILL) is done to a process from outside, and
 * says no more than that it is gone. */
static int
shell_report(const char *msg, size_t n)
{
	static const char *const sigs[] = {"Killed", "Segmentation fault", "Aborted", "Bus error",
					   "Illegal instruction", "Floating point exception", NULL};

	while (n && (msg[n - 1] == ' ' || msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	if (n > 14 && !memcmp(msg + n - 14, " (core dumped)", 14))
		n -= 14;
	for (const char *const *s = sigs; *s; s++)
		if (strlen(*s) == n && !memcmp(msg, *s, n))
			return 1;
	return 0;
}

/* The crash pattern to leave out of a line's match, or -1: a handled
 * trace's words say what failed, but that it is a trace says no crash, unless
 * its message says so itself. */
static int
crash_skip(bi_symptoms *set, const char *msg, const char *error, const char *stack)
{
	if (set->crash < 0 || !handled(msg, stack))
		return -1;
	char *own = bi_asprintf("%s\n%s", msg, error ? error : "");
	int p = bi_kb_match_text(set->pats, set->npats, own, strlen(own), NULL);
	free(own);
	return p == set->crash ? -1 : set->crash;
}

/* A log line's duration in milliseconds from its text, as PostgreSQL's
 * log_min_duration_statement ("duration: 2567.436 ms") and MySQL's slow
 * log ("Query_time: 2.56") write it; -1 when it holds none. */
static double
text_duration(const char *msg, size_t n)
{
	static const struct { const char *key; double scale; } keys[] = {
		{"duration: ", 1}, {"Query_time: ", 1000}};

	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		size_t kl = strlen(keys[k].key);
		const char *p = memmem(msg, n, keys[k].key, kl);
		if (!p || p + kl >= msg + n || !isdigit((unsigned char)p[kl]))
			continue;
		char buf[32], *end;
		size_t m = (size_t)(msg + n - (p + kl));
		if (m >= sizeof buf)
			m = sizeof buf - 1;
		memcpy(buf, p + kl, m);
		buf[m] = '\0';
		double v = strtod(buf, &end);
		if (keys[k].scale == 1 && strncmp(end, " ms", 3))
			continue;
		return v * keys[k].scale;
	}
	return -1;
}

/* The number at a dotted path of rec (borrowed); logs also look in attrs,
 * and for an HTTP status where pino, Express and OpenTelemetry put it. */
static int
num_at(jv rec, const char *path, double *v)
{
	static const char *const status[] = {"attrs.res.statusCode", "attrs.statusCode",
					     "attrs.status_code", "attrs.http.status_code", NULL};
	jv x = bi_jv_path(rec, path);
	for (const char *const *k = status; !strcmp(path, "status") && *k &&
	     jv_get_kind(x) != JV_KIND_NUMBER; k++) {
		jv_free(x);
		x = bi_jv_path(rec, *k);
	}
	if (jv_get_kind(x) != JV_KIND_NUMBER) {
		jv_free(x);
		jv attrs = jv_object_get(jv_copy(rec), jv_string("attrs"));
		x = jv_get_kind(attrs) == JV_KIND_OBJECT ? bi_jv_path(attrs, path) : jv_invalid();
		jv_free(attrs);
	}
	int ok = jv_get_kind(x) == JV_KIND_NUMBER;
	if (ok)
		*v = jv_number_value(x);
	jv_free(x);
	return ok;
}

/* Metric conditions of every pattern on rec: a `metric` or `alert` whose
 * name is the field, or any record with that field. Marks s; 1 if any held. */
static int
match_conds(bi_symptoms *set, bi_symptom *s, jv rec, const char *name, double value)
{
	int any = 0;

	for (size_t i = 0; i < set->npats; i++)
		for (size_t k = 0; k < set->pats[i].nconds; k++) {
			const bi_kb_cond *c = &set->pats[i].conds[k];
			double v;
			int have = name && !strcmp(name, c->field) ? (v = value, 1) :
				num_at(rec, c->field, &v);
			if (!have || !bi_kb_cond_holds(c, v))
				continue;
			if (s->pattern < 0 || s->pattern == (int)i) {
				s->pattern = (int)i;
				s->strength[BI_SIGNAL_METRIC] = weight[BI_SIGNAL_METRIC];
			}
			any = 1;
		}
	return any;
}

/* The first pattern whose `containers:` list names the kind, unless s has one. */
static void
match_container(bi_symptoms *set, bi_symptom *s)
{
	for (size_t i = 0; i < set->npats && s->pattern < 0; i++)
		if (bi_kb_in(set->pats[i].containers, kind_name[s->kind]))
			s->pattern = (int)i;
}

/* ---- records ---- */

/* The error a log line carries beside its message, under the names loggers
 * use (zap's "error", pino's "err", "exception"): a string, or an object's
 * message. NULL when none. */
static char *
error_of(jv rec)
{
	static const char *const keys[] = {"attrs.error", "attrs.err", "attrs.exception",
					   "attrs.error.message", "attrs.err.message",
					   "attrs.exception.message", "attrs.reason", NULL};

	for (const char *const *k = keys; *k; k++) {
		jv v = bi_jv_path(rec, *k);
		if (jv_get_kind(v) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(v)) > 0) {
			char *s = bi_strdup(jv_string_value(v));
			jv_free(v);
			return s;
		}
		jv_free(v);
	}
	return NULL;
}

static void
on_log(bi_symptoms *set, jv rec, int64_t ts)
{
	const char *msg = bi_get_str(rec, "msg"), *service = bi_get_str(rec, "service");
	int level = bi_level_rank(bi_level_norm(bi_get_str(rec, "level")));
	double dur = 0, status = 0;

	if (!msg)
		msg = "";
	if (level < 0)
		level = bi_level_rank(bi_level_detect(msg, strlen(msg)));
	int killed = shell_report(msg, strlen(msg));
	if (killed && level < 4)
		level = 4;
	int text_dur = !num_at(rec, "duration_ms", &dur);
	if (text_dur)
		dur = text_duration(msg, strlen(msg));
	int slow = set->slow_ms > 0 && dur >= set->slow_ms;
	bi_service *sv = svc_get(set, service, service ? strlen(service) : 0);
	peers_of(set, sv->name, strlen(sv->name), msg, strlen(msg));
	if (num_at(rec, "status", &status) && status >= 100 && status < 600) {
		sv->requests++;
		sv->errors5xx += status >= 500;
	}
	if (level < 3 && !slow)
		return;
	const bi_drain_cluster *c = bi_drain_add(set->drain, msg, strlen(msg));
	char index[32];
	int made;
	snprintf(index, sizeof index, "%zu", c->index);
	bi_symptom *s = sym_get(set, BI_SYMPTOM_LOG, sv->name, index, &made);
	if (made) {
		const char *stack = bi_get_str(rec, "stack"), *logger = bi_get_str(rec, "logger");
		char *error = error_of(rec);
		s->cluster = c;
		s->sample = error && !strstr(msg, error) ? bi_asprintf("%s (%s)", msg, error) :
			bi_strclip(msg, MAX_SAMPLE);
		if (strlen(s->sample) > MAX_SAMPLE) {
			char *t = bi_strclip(s->sample, MAX_SAMPLE);
			free(s->sample);
			s->sample = t;
		}
		s->stack = stack ? bi_strclip(stack, MAX_STACK) : NULL;
		s->logger = logger ? bi_strdup(logger) : NULL;
		char *text = bi_asprintf("%s\n%s\n%s\n%s", msg, error ? error : "",
					 logger ? logger : "", stack ? stack : "");
		match_text_but(set, s, text, crash_skip(set, msg, error, stack));
		free(text);
		free(error);
	} else if (s->count < MAX_MATCHED || !(s->count & (s->count - 1))) {
		/* One template, one pattern: a later message of it (a trace whose
		 * first line differs from the rest) may carry the telling words. */
		const char *stack = bi_get_str(rec, "stack");
		char *error = error_of(rec);
		char *text = bi_asprintf("%s\n%s\n%s", msg, error ? error : "", stack ? stack : "");
		if (match_text_but(set, s, text, crash_skip(set, msg, error, stack)) &&
		    !s->stack && stack)
			s->stack = bi_strclip(stack, MAX_STACK);
		free(text);
		free(error);
	}
	if (level > s->level)
		s->level = level;
	if (slow && text_dur)	/* the duration only its text holds */
		match_conds(set, s, rec, "duration_ms", dur);
	else
		match_conds(set, s, rec, NULL, 0);
	/* An error, or anything a pattern knows, is a problem; a warning or a
	 * slow request nothing knows is not. */
	s->problem = s->level >= 4 || s->pattern >= 0;
	sym_seen(s, ts);
}

/* The service a Kubernetes object belongs to: "Pod/api-7d9c6b5f4-x2x9k" is
 * "api" (the pod template and replica set hashes cut). */
static char *
k8s_service(const char *object)
{
	const char *slash = object ? strrchr(object, '/') : NULL;
	char *s = bi_strdup(slash ? slash + 1 : object ? object : "-");

	for (int cut = 0; cut < 2; cut++) {
		char *dash = strrchr(s, '-');
		if (!dash || dash == s)
			break;
		size_t n = strlen(dash + 1), digits = 0;
		int ok = n >= 5 && n <= 10;
		for (char *p = dash + 1; ok && *p; p++) {
			ok = islower((unsigned char)*p) || isdigit((unsigned char)*p);
			digits += isdigit((unsigned char)*p) != 0;
		}
		if (!ok || (n != 5 && !digits))
			break;
		*dash = '\0';
	}
	return s;
}

static void
note(bi_symptoms *set, int64_t ts, const char *service, char *text)	/* takes text */
{
	bi_note *n = &set->notes[set->nnotes++ % MAX_NOTES];
	free(n->text);
	free(n->service);
	*n = (bi_note){ts, text, bi_strdup(service ? service : "-")};
}

/* A service whose container stopped, for the connection problems of the
 * others: support, not a problem of its own. */
static void
dependency_stopped(bi_symptoms *set, bi_service *sv, int64_t ts)
{
	int made;
	bi_symptom *s = sym_get(set, BI_SYMPTOM_STOPPED, sv->name, "", &made);

	if (made)
		match_container(set, s);
	s->strength[BI_SIGNAL_SUPPORT] = s->pattern >= 0 ? weight[BI_SIGNAL_SUPPORT] : 0;
	sym_seen(s, ts);
	free(s->what);
	s->what = bi_asprintf("container %s stopped, %zu time%s", sv->name, s->count,
			      s->count == 1 ? "" : "s");
}

static void
on_container(bi_symptoms *set, jv rec, int64_t ts)
{
	const char *service = bi_get_str(rec, "service"), *action = bi_get_str(rec, "action");
	bi_service *sv = svc_get(set, service, service ? strlen(service) : 0);
	int code = (int)bi_get_num(rec, "exit_code", 0);
	int made;

	if (!action || !strcmp(action, "status"))
		return;
	if (!strcmp(action, "health_status")) {	/* only the turn for the worse */
		const char *health = bi_get_str(rec, "health");
		if (health && !strcmp(health, "healthy"))
			sv->healthy = 1;
		if (!health || strcmp(health, "unhealthy"))
			return;
		action = "unhealthy";
	}
	int requested = sv->last_action_ts && ts - sv->last_action_ts < 30 * BI_NS_PER_S &&
		(!strcmp(sv->last_action, "kill") || !strcmp(sv->last_action, "stop"));
	int after_oom = sv->last_action_ts && ts - sv->last_action_ts < 10 * BI_NS_PER_S &&
		!strcmp(sv->last_action, "oom");
	/* Killed by SIGILL, SIGABRT, SIGBUS, SIGFPE or SIGSEGV (128 + the
	 * signal, as Docker and shells report it): a crash wherever it came. */
	int by_signal = code == 132 || code == 134 || code == 135 || code == 136 || code == 139;
	int at_start = sv->started && !sv->healthy && ts - sv->started < 30 * BI_NS_PER_S;
	/* A start failure is a new version's: a change came before it (a
	 * container made anew, another image, a commit, within 10 min). A
	 * process that fails with no change before it is a crash. */
	int64_t change = sv->changed > set->commit ? sv->changed : set->commit;
	int changed = change && change <= sv->started && sv->started - change <= CHANGE_BEFORE;
	bi_symptom_kind kind = BI_SYMPTOM_NKINDS;	/* none */
	if (!strcmp(action, "oom"))
		kind = BI_SYMPTOM_OOM;
	else if (!strcmp(action, "die") && code != 0 && !requested && !after_oom)
		kind = by_signal || !at_start || !changed ? BI_SYMPTOM_CRASH : BI_SYMPTOM_START;
	if (!strcmp(action, "create")) {
		const char *image = bi_get_str(rec, "image");
		uint64_t ih = image ? bi_hash64(image, strlen(image)) : 0;
		if (sv->nev || (ih && sv->image && ih != sv->image))
			sv->changed = ts;	/* made anew, or of another image */
		if (ih)
			sv->image = ih;
	}
	if (!strcmp(action, "start")) {
		sv->started = ts;
		sv->healthy = 0;
	} else if (!strcmp(action, "kill") || !strcmp(action, "stop")) {
		sv->healthy = 1;	/* stopped on purpose: no start failed */
	}
	snprintf(sv->last_action, sizeof sv->last_action, "%s", action);
	sv->last_action_ts = ts;
	bi_container_event *e = &sv->ev[sv->nev++ % BI_SERVICE_EVENTS];
	*e = (bi_container_event){ts, "", code};
	snprintf(e->action, sizeof e->action, "%s", action);
	if (!strcmp(action, "die"))	/* for the services that need it */
		dependency_stopped(set, sv, ts);
	if (kind == BI_SYMPTOM_NKINDS)
		return;
	bi_symptom *s = sym_get(set, kind, sv->name, "", &made);
	if (made) {
		s->problem = 1;
		match_container(set, s);
	}
	sym_seen(s, ts);
	/* One crash may be chance; a loop of them is not. */
	if (s->pattern >= 0)
		s->strength[BI_SIGNAL_CONTAINER] = kind != BI_SYMPTOM_OOM ?
			(s->count >= 2 ? 0.9 : 0.6) : weight[BI_SIGNAL_CONTAINER];
	free(s->what);
	s->what = kind == BI_SYMPTOM_CRASH ?
		bi_asprintf("container %s %s with code %d, %zu time%s", sv->name,
			    by_signal ? "died" : "exited", code, s->count, s->count == 1 ? "" : "s") :
		kind == BI_SYMPTOM_START ?
		bi_asprintf("container %s exited with code %d at start, %zu time%s", sv->name,
			    code, s->count, s->count == 1 ? "" : "s") :
		bi_asprintf("container %s was killed for running out of memory, %zu time%s",
			    sv->name, s->count, s->count == 1 ? "" : "s");
}

static void
on_stats(bi_symptoms *set, jv rec, int64_t ts)
{
	const char *service = bi_get_str(rec, "service");
	bi_service *sv = svc_get(set, service, service ? strlen(service) : 0);
	double used = bi_get_num(rec, "mem_used", -1);
	int made;

	if (used >= 0) {
		if (!sv->mem_first)
			sv->mem_first = used;
		if (used > sv->mem_max) {
			sv->mem_max = used;
			sv->mem_max_ts = ts;
		}
		sv->mem_limit = bi_get_num(rec, "mem_limit", sv->mem_limit);
	}
	bi_symptom tmp = {.pattern = -1};
	if (!match_conds(set, &tmp, rec, NULL, 0))
		return;
	bi_symptom *s = sym_get(set, BI_SYMPTOM_STATS, sv->name, "", &made);
	s->pattern = tmp.pattern;
	s->strength[BI_SIGNAL_METRIC] = tmp.strength[BI_SIGNAL_METRIC];
	s->problem = 1;
	sym_seen(s, ts);
	free(s->what);
	s->what = bi_asprintf("memory of %s at %.0f%% of its limit", sv->name,
			      bi_get_num(rec, "mem_pct", 0));
}

/* The pattern whose trends name a metric (the longest term), or -1. */
static int
trend_pattern(bi_symptoms *set, const char *name)
{
	int best = -1, blen = 0;

	for (size_t i = 0; i < set->npats; i++) {
		if (!set->pats[i].trends || !set->pats[i].trends[0])
			continue;
		int k = bi_advice_match(set->pats[i].trends, name);
		if (k > blen) {
			best = (int)i;
			blen = k;
		}
	}
	return best;
}

/* How far a series must go to matter, by the unit its name ends in, as
 * Prometheus names them: 100 ms, 0.1 s, a ratio of 0.05, 5 percent; else
 * 100 (messages behind, requests). */
static double
trend_floor(const char *name)
{
	static const struct { const char *end; double floor; } units[] = {
		{"_ms", 100}, {"_milliseconds", 100}, {"_seconds", 0.1}, {"_s", 0.1},
		{"_ratio", 0.05}, {"_rate", 0.05}, {"_pct", 5}, {"_percent", 5}};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
		size_t k = strlen(units[i].end);
		if (n >= k && !strcmp(name + n - k, units[i].end))
			return units[i].floor;
	}
	return 100;
}

/* A counter only ever grows: its growth says nothing. */
static int
is_counter(jv rec, const char *name)
{
	const char *type = bi_get_str(rec, "type");
	size_t n = strlen(name);
	static const char *const ends[] = {"_total", "_count", "_sum", "_bucket", "_created", NULL};

	if (type && !strcmp(type, "counter"))
		return 1;
	for (const char *const *e = ends; *e; e++)
		if (n >= strlen(*e) && !strcmp(name + n - strlen(*e), *e))
			return 1;
	return 0;
}

/* A metric as a point of its series: a symptom when the series grows
 * without bound or jumps from its baseline (symptom.h). */
static void
on_trend(bi_symptoms *set, jv rec, const char *name, int64_t ts)
{
	jv v = jv_object_get(jv_copy(rec), jv_string("value"));
	int num = jv_get_kind(v) == JV_KIND_NUMBER;
	double x = num ? jv_number_value(v) : 0;
	jv_free(v);
	if (!num || x != x)
		return;
	const char *service = bi_get_str(rec, "service");
	char *key = bi_asprintf("%s %s", service ? service : "-", name);
	uint64_t h = bi_hash64(key, strlen(key));
	struct series **bucket = &set->series[h % SERIES_BUCKETS], *sr = *bucket;
	while (sr && (sr->hash != h || strcmp(sr->key, key)))
		sr = sr->next;
	if (!sr) {
		int p = trend_pattern(set, name);
		if (p < 0 || set->nseries >= MAX_SERIES || is_counter(rec, name)) {
			free(key);
			return;
		}
		sr = bi_calloc(1, sizeof *sr);
		*sr = (struct series){.key = key, .hash = h, .pattern = p, .first = x,
				      .next = *bucket};
		*bucket = sr;
		set->nseries++;
		key = NULL;
	}
	free(key);
	if (sr->n && x > sr->last)
		sr->rises++;
	if (sr->n < TREND_BASE)
		sr->base += x / TREND_BASE;
	sr->n++;
	sr->last = x;
	double floor = trend_floor(name);
	int grows = sr->n >= TREND_BASE && sr->rises * 5 >= (sr->n - 1) * 4 &&
		x > 0 && x >= 2 * sr->first && x - sr->first >= floor;
	int high = sr->n > TREND_BASE && x >= 3 * sr->base && x >= floor;
	sr->above = high ? sr->above + 1 : 0;
	int jumps = sr->above >= 2;	/* one point may be noise */
	if (!grows && !jumps)
		return;
	int made;
	bi_symptom *s = sym_get(set, BI_SYMPTOM_METRIC, service, name, &made);
	if (made) {
		s->problem = 1;
		s->pattern = sr->pattern;
		s->sample = bi_strdup(name);
	}
	if (s->pattern == sr->pattern)
		s->strength[BI_SIGNAL_METRIC] = weight[BI_SIGNAL_METRIC];
	sym_seen(s, ts);
	free(s->what);
	s->what = grows ?
		bi_asprintf("%s of %s grows without bound: %.4g to %.4g over %zu points", name,
			    service ? service : "-", sr->first, x, sr->n) :
		bi_asprintf("%s of %s left its baseline: %.4g, was %.4g", name,
			    service ? service : "-", x, sr->base);
}

/* A record that is a problem in itself: a failed health check, a firing
 * alert, a Kubernetes warning, a failed load test or chaos scenario, a
 * metric past a pattern's condition. */
static void
on_other(bi_symptoms *set, jv rec, const char *kind, int64_t ts)
{
	const char *service = bi_get_str(rec, "service"), *msg = bi_get_str(rec, "msg");
	const char *subject = NULL;
	char *text = NULL, *what = NULL, *svc = NULL;
	bi_symptom_kind sk;
	int made, k8s_pattern = -1, chaos_pattern = -1;
	jv okv = jv_object_get(jv_copy(rec), jv_string("ok"));
	jv passed = jv_object_get(jv_copy(rec), jv_string("passed"));

	if (!strcmp(kind, "health") && jv_get_kind(okv) == JV_KIND_FALSE) {
		const char *target = bi_get_str(rec, "target");
		sk = BI_SYMPTOM_HEALTH;
		svc = bi_strdup(service ? service : target ? target : "-");
		subject = target;
		text = bi_strdup(msg ? msg : "");
		what = bi_asprintf("health check of %s failed: %s", svc, msg ? msg : "not ok");
	} else if (!strcmp(kind, "alert") && (!bi_get_str(rec, "state") ||
					     !strcmp(bi_get_str(rec, "state"), "firing"))) {
		const char *name = bi_get_str(rec, "name");
		sk = BI_SYMPTOM_ALERT;
		svc = bi_strdup(service ? service : "-");
		subject = name;
		text = bi_asprintf("%s %s", name ? name : "", msg ? msg : "");
		what = bi_asprintf("alert %s firing for %s: %s", name ? name : "?", svc, msg ? msg : "");
	} else if (!strcmp(kind, "k8s_event")) {
		const char *type = bi_get_str(rec, "type"), *reason = bi_get_str(rec, "reason");
		const char *object = bi_get_str(rec, "object");
		svc = k8s_service(object);
		if (!type || strcmp(type, "Warning")) {
			note(set, ts, svc, bi_asprintf("%s %s: %s", reason ? reason : "event",
						    object ? object : "", msg ? msg : ""));
			goto done;
		}
		for (size_t i = 0; i < set->npats && k8s_pattern < 0; i++)
			if (bi_kb_in(set->pats[i].k8s, reason))
				k8s_pattern = (int)i;
		sk = BI_SYMPTOM_K8S;
		subject = reason;
		text = bi_asprintf("%s %s", reason ? reason : "", msg ? msg : "");
		what = bi_asprintf("Kubernetes %s on %s: %s", reason ? reason : "warning",
				   object ? object : svc, msg ? msg : "");
	} else if (!strcmp(kind, "perf_summary") && jv_get_kind(passed) == JV_KIND_FALSE) {
		const char *target = bi_get_str(rec, "target");
		sk = BI_SYMPTOM_PERF;
		svc = bi_strdup(service ? service : "-");
		subject = target;
		text = bi_strdup("");
		double p95 = 0;
		num_at(rec, "latency.p95", &p95);
		what = bi_asprintf("load test of %s breached its thresholds (p95 %.0fms, errors %.1f%%)",
				   target ? target : "?", p95, bi_get_num(rec, "error_rate", 0) * 100);
	} else if (!strcmp(kind, "chaos") && bi_get_str(rec, "status") &&
		   !strcmp(bi_get_str(rec, "status"), "failed")) {
		const char *scenario = bi_get_str(rec, "scenario"), *reason = bi_get_str(rec, "reason");
		const char *target = bi_get_str(rec, "target");
		sk = BI_SYMPTOM_CHAOS;
		svc = bi_strdup(service ? service : target ? target : "-");
		chaos_pattern = bi_kb_match_scenario(set->pats, set->npats, scenario);
		subject = scenario;
		text = bi_strdup(reason ? reason : "");
		what = bi_asprintf("chaos scenario %s failed on %s: %s", scenario ? scenario : "?",
				   svc, reason ? reason : "");
	} else if (!strcmp(kind, "metric")) {
		const char *name = bi_get_str(rec, "name");
		bi_symptom tmp = {.pattern = -1};
		if (name)
			on_trend(set, rec, name, ts);
		if (!name || !match_conds(set, &tmp, rec, name, bi_get_num(rec, "value", 0)))
			goto done;
		sk = BI_SYMPTOM_METRIC;
		svc = bi_strdup(service ? service : "-");
		subject = name;
		text = bi_strdup("");
		what = bi_asprintf("%s of %s at %.4g", name, svc, bi_get_num(rec, "value", 0));
	} else {
		goto done;
	}
	bi_symptom *s = sym_get(set, sk, svc, subject ? subject : "", &made);
	if (made) {
		s->problem = 1;
		s->sample = bi_strclip(text, MAX_SAMPLE);
		if (k8s_pattern >= 0) {
			s->pattern = k8s_pattern;
			s->strength[BI_SIGNAL_K8S] = weight[BI_SIGNAL_K8S];
		}
		if (chaos_pattern >= 0) {
			s->pattern = chaos_pattern;
			s->strength[BI_SIGNAL_CHAOS] = weight[BI_SIGNAL_CHAOS];
		}
		match_text(set, s, text);
	}
	match_conds(set, s, rec, sk == BI_SYMPTOM_ALERT || sk == BI_SYMPTOM_METRIC ?
		    bi_get_str(rec, "name") : NULL, bi_get_num(rec, "value", 0));
	if (sk == BI_SYMPTOM_ALERT && s->pattern < 0 && subject) {
		/* An alert on a figure a pattern follows the trend of: its
		 * threshold is crossed, which says as much. */
		s->pattern = trend_pattern(set, subject);
		if (s->pattern >= 0)
			s->strength[BI_SIGNAL_METRIC] = weight[BI_SIGNAL_METRIC];
	}
	sym_seen(s, ts);
	free(s->what);
	s->what = what;
	what = NULL;
done:
	jv_free(okv);
	jv_free(passed);
	free(text);
	free(what);
	free(svc);
}

const char *
bi_symptoms_name(bi_symptoms *set, const char *name)
{
	return svc_get(set, name, name ? strlen(name) : 0)->name;
}

void
bi_symptoms_depend(bi_symptoms *set, const char *service, const char *dep)
{
	if (!service || !*service || !dep || !*dep || !strcmp(service, dep))
		return;
	bi_service *sv = svc_get(set, service, strlen(service));
	svc_get(set, dep, strlen(dep));		/* a service known by name */
	for (size_t i = 0; i < sv->ndeps; i++)
		if (!strcmp(sv->deps[i], dep))
			return;
	if (sv->ndeps < BI_SERVICE_DEPS)
		sv->deps[sv->ndeps++] = bi_strdup(dep);
}

void
bi_symptoms_commit(bi_symptoms *set, int64_t ts)
{
	if (ts > set->commit)
		set->commit = ts;
}

static void
on_dependency(bi_symptoms *set, jv rec)
{
	const char *service = bi_get_str(rec, "service");
	jv deps = jv_object_get(jv_copy(rec), jv_string("depends_on"));

	if (jv_get_kind(deps) == JV_KIND_STRING)
		bi_symptoms_depend(set, service, jv_string_value(deps));
	else if (jv_get_kind(deps) == JV_KIND_ARRAY)
		jv_array_foreach(deps, i, d) {
			if (jv_get_kind(d) == JV_KIND_STRING)
				bi_symptoms_depend(set, service, jv_string_value(d));
			jv_free(d);
		}
	jv_free(deps);
}

void
bi_symptoms_add(bi_symptoms *set, jv rec)
{
	const char *kind = bi_get_str(rec, "kind");
	int64_t ts = bi_record_ts(rec);

	if (!kind)
		return;
	if (!strcmp(kind, "log"))
		on_log(set, rec, ts);
	else if (!strcmp(kind, "container"))
		on_container(set, rec, ts);
	else if (!strcmp(kind, "stats"))
		on_stats(set, rec, ts);
	else if (!strcmp(kind, "dependency"))
		on_dependency(set, rec);
	else
		on_other(set, rec, kind, ts);
}

/* Whether a message may hold a duration as text_duration reads it: a
 * "duration:" or "Query_time:", found from its colons (memchr is cheaper
 * than memmem on every info line). */
static int
may_have_duration(const char *p, size_t n)
{
	for (const char *q = memchr(p, ':', n); q; q = memchr(q + 1, ':', (size_t)(p + n - q - 1))) {
		size_t at = (size_t)(q - p);
		if ((at >= 8 && !memcmp(q - 8, "duration", 8)) || (at >= 10 && !memcmp(q - 10, "Query_time", 10)))
			return 1;
		if (at + 1 >= n)
			break;
	}
	return 0;
}

int
bi_symptoms_skip(bi_symptoms *set, const char *line, size_t len)
{
	static const char *const keys[] = {"kind", "level", "service", "msg", NULL};
	bi_json_span v[4];

	if (!bi_json_scan(line, len, keys, v) || !bi_json_is(v[0], "log") ||
	    !(bi_json_is(v[1], "info") || bi_json_is(v[1], "debug") || bi_json_is(v[1], "trace")) ||
	    !bi_utf8_valid(line, len))
		return 0;
	if (set->slow_ms > 0 && (bi_json_raw_num(line, len, "duration_ms") >= set->slow_ms ||
				 (v[3].p && may_have_duration(v[3].p, v[3].n))))
		return 0;	/* perhaps slow by its text: on_log tells */
	if (v[3].p && v[3].n <= 48 && shell_report(v[3].p, v[3].n))
		return 0;	/* a child killed by a signal: on_log tells */
	if (v[3].p && v[2].str && !v[2].esc)
		peers_of(set, v[2].p, v[2].n, v[3].p, v[3].n);
	double status = bi_json_raw_num(line, len, "status");
	if (status >= 100 && status < 600) {
		bi_service *sv = svc_get(set, v[2].str && !v[2].esc ? v[2].p : NULL, v[2].n);
		sv->requests++;
		sv->errors5xx += status >= 500;
	}
	return 1;
}

/* ---- what was found ---- */

/* Did a write find the peer gone: EPIPE ("Broken pipe", Python's
 * BrokenPipeError, Node's "write EPIPE"), or a reset by the peer on a write
 * or send of the trace? On a server, the client went away before its
 * answer: usually it gave up waiting. */
static int
peer_gone(const char *sample, const char *stack)
{
	char buf[MAX_SAMPLE + MAX_STACK + 2];
	snprintf(buf, sizeof buf, "%s\n%s", sample ? sample : "", stack ? stack : "");
	if (strcasestr(buf, "broken pipe") || strcasestr(buf, "brokenpipeerror") ||
	    strcasestr(buf, "epipe"))
		return 1;
	return (strcasestr(buf, "connection reset by peer") ||
		strcasestr(buf, "connectionreseterror")) &&
	       stack && (strcasestr(stack, "write") || strcasestr(stack, "send"));
}

/* Did the service's process end as a trace's end would, from..to: its
 * container died unasked (no kill or stop in the 30 s before), was
 * OOM-killed or restarted? -1 when its container's life is not in the
 * records (no event of it at or before from): who knows. A stop asked for
 * later (the project taken down) is no end of the trace's making. */
static int
ended_after(const bi_service *sv, int64_t from, int64_t to)
{
	int known = 0;
	int64_t asked = 0;

	for (size_t i = 0; sv && i < bi_service_nevents(sv); i++) {
		const bi_container_event *e = bi_service_event(sv, i);
		if (!strcmp(e->action, "kill") || !strcmp(e->action, "stop"))
			asked = e->ts;
		if (e->ts <= from) {
			known = 1;
			continue;
		}
		if (e->ts > to)
			continue;
		if ((!strcmp(e->action, "die") && !(asked && e->ts - asked <= STOP_GRACE)) ||
		    !strcmp(e->action, "oom") || !strcmp(e->action, "restart"))
			return 1;
	}
	return known ? 0 : -1;
}

void
bi_symptoms_settle(bi_symptoms *set)
{
	for (bi_symptom *s = set->syms; s && set->crash >= 0; s = s->next) {
		if (s->kind != BI_SYMPTOM_LOG || s->pattern != set->crash || s->settled)
			continue;
		s->settled = 1;
		/* A trace only: a shell's report of a child killed by a signal
		 * says a process ended, whatever its container did. */
		if (!s->stack || !*s->stack || (s->sample && shell_report(s->sample, strlen(s->sample))))
			continue;
		if (ended_after(bi_symptoms_service(set, s->service), s->first,
				s->last + TRACE_END) != 0)
			continue;
		/* It lived on: no crash, whatever the trace's words. */
		char *text = bi_asprintf("%s\n%s", s->sample ? s->sample : "",
					 s->stack ? s->stack : "");
		s->pattern = bi_kb_match_text_but(set->pats, set->npats, text, strlen(text), NULL,
						  set->crash);
		free(text);
		s->gone = peer_gone(s->sample, s->stack);
		if (s->gone && set->slow >= 0)
			s->pattern = set->slow;
		s->reply = s->pattern >= 0 && bi_kb_reply(&set->pats[s->pattern], s->sample);
		s->strength[BI_SIGNAL_LOG] = s->pattern >= 0 ? weight[BI_SIGNAL_LOG] : 0;
		s->problem = s->level >= 4 || s->pattern >= 0;
	}
}

const bi_symptom *
bi_symptoms_list(const bi_symptoms *set)
{
	return set->syms;
}

const char *
bi_symptoms_template(bi_symptoms *set, const bi_symptom *s)
{
	return s->cluster ? bi_drain_text(set->drain, s->cluster) : NULL;
}

const bi_service *
bi_symptoms_services(const bi_symptoms *set)
{
	return set->services;
}

const bi_service *
bi_symptoms_service(const bi_symptoms *set, const char *name)
{
	if (!name || !*name)
		name = "-";
	uint64_t h = bi_hash64(name, strlen(name));

	for (const bi_service *s = set->services; s; s = s->next)
		if (s->hash == h && !strcmp(s->name, name))
			return s;
	return NULL;
}

size_t
bi_service_nevents(const bi_service *sv)
{
	return sv->nev < BI_SERVICE_EVENTS ? sv->nev : BI_SERVICE_EVENTS;
}

const bi_container_event *
bi_service_event(const bi_service *sv, size_t i)
{
	return &sv->ev[(sv->nev - bi_service_nevents(sv) + i) % BI_SERVICE_EVENTS];
}

size_t
bi_symptoms_notes(const bi_symptoms *set, const bi_note **notes)
{
	*notes = set->notes;
	return set->nnotes < MAX_NOTES ? set->nnotes : MAX_NOTES;
}

/* ---- the set ---- */

bi_symptoms *
bi_symptoms_new(const bi_kb_pattern *pats, size_t npats)
{
	bi_symptoms *set = bi_calloc(1, sizeof *set);

	set->pats = pats;
	set->npats = npats;
	set->drain = bi_drain_new();
	set->crash = -1;
	set->slow = -1;
	for (size_t i = 0; i < npats && set->crash < 0; i++)
		if (bi_kb_in(pats[i].containers, "crash"))
			set->crash = (int)i;
	for (size_t i = 0; i < npats; i++)
		for (size_t k = 0; k < pats[i].nconds; k++)
			if (!strcmp(pats[i].conds[k].field, "duration_ms") &&
			    (set->slow_ms <= 0 || pats[i].conds[k].value < set->slow_ms)) {
				set->slow_ms = pats[i].conds[k].value;
				set->slow = (int)i;
			}
	return set;
}

void
bi_symptoms_free(bi_symptoms *set)
{
	if (!set)
		return;
	for (bi_symptom *s = set->syms, *next; s; s = next) {
		next = s->next;
		free(s->key);
		free(s->service);
		free(s->subject);
		free(s->what);
		free(s->sample);
		free(s->stack);
		free(s->logger);
		free(s);
	}
	free(set->buckets);
	for (size_t b = 0; b < SERIES_BUCKETS; b++)
		for (struct series *sr = set->series[b], *next; sr; sr = next) {
			next = sr->next;
			free(sr->key);
			free(sr);
		}
	for (bi_service *sv = set->services, *next; sv; sv = next) {
		next = sv->next;
		for (size_t i = 0; i < sv->ndeps; i++)
			free(sv->deps[i]);
		free(sv->name);
		free(sv);
	}
	for (size_t i = 0; i < set->nnotes && i < MAX_NOTES; i++) {
		free(set->notes[i].text);
		free(set->notes[i].service);
	}
	bi_drain_free(set->drain);
	free(set);
}
