/*
 * bi-rca: root-cause analysis over any record stream.
 *
 * Reads records (logs, container events, commits, Kubernetes events, health
 * checks, alerts, metrics, load-test and chaos results) and writes one
 * `finding` per distinct problem, the most likely first: what went wrong,
 * since when, the pattern it matches, a timeline across the sources, the
 * commit it followed, past incidents like it and the fixes that worked for
 * them, and a confidence made of those parts (REFERENCE.md's formula: 20 +
 * 30 x pattern match + min(25, 25 x commit correlation) + 20 x similarity
 * + 5, at most 95).
 *
 * Error and warning lines are clustered into templates (lib/drain.c), so a
 * message never seen before is one finding with a count, and memory grows
 * with the number of templates, not of lines. Lines of no interest (info
 * and below, not slow) are told apart on their raw bytes and never parsed.
 * With --templates it is a filter instead: every record passes through, log
 * records with their template added.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bi.h"

static const char usage[] =
	"usage: bi-rca [options] [FILE...]\n"
	"       bi-rca --templates [--strict] [FILE...]\n"
	"Find what went wrong in a record stream: one `finding` per problem,\n"
	"the most likely first. Exit 1 when there is one.\n"
	"\n"
	"  -t, --templates      only mine log templates: pass every record through,\n"
	"                       logs with `template` and `template_id` added\n"
	"  -p, --patterns FILE  more patterns, in YAML (repeatable)\n"
	"  -n, --top N          at most N findings\n"
	"      --db PATH        the knowledge base (default $BI_DB, or the project's)\n"
	"      --no-kb          no past incidents: patterns only\n"
	"      --strict         a malformed line is fatal (exit 2)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"Exit: 0 no problem found, 1 findings written, 2 usage or bad input.\n";

#define MAX_SAMPLE 400		/* bytes of a message kept as its sample */
#define MAX_STACK 2048		/* bytes of a stack trace kept */
#define MAX_EVENTS 64		/* container events kept per service */
#define MAX_COMMITS 256		/* the newest commits kept */
#define MAX_NOTES 64		/* Kubernetes Normal events kept */
#define MAX_TIMELINE 12
#define MAX_EVIDENCE 6
#define HOUR (3600 * BI_NS_PER_S)

/* What a signal weighs towards a pattern match. */
enum { C_LOG, C_METRIC, C_CONTAINER, C_K8S, C_CHAOS, C_SUPPORT, NCLASS };
static const double weight[NCLASS] = {0.7, 0.5, 1.0, 1.0, 0.6, 0.5};

static struct {
	int templates, top, no_kb, flags;
	char *db;
	char **patfiles;
	size_t npatfiles;
} opt;

static bi_kb_pattern *pats;
static size_t npats;
static double slow_ms;		/* the least duration_ms any pattern counts as slow */
static bi_drain *drain;
static size_t nrecords, nlogs;

/* ---- services ---- */

struct event {
	int64_t ts;
	char action[16];
	int exit_code;
};

struct svc {
	char *name;
	uint64_t hash;
	size_t requests, errors5xx;
	struct event ev[MAX_EVENTS];	/* a ring of its container events */
	size_t nev;
	char last_action[16];
	int64_t last_action_ts;
	double mem_first, mem_max, mem_limit;
	int64_t mem_max_ts;
	struct svc *next;
};

static struct svc *services;

static struct svc *
svc_get(const char *name, size_t n)
{
	if (!name || !n) {
		name = "-";
		n = 1;
	}
	uint64_t h = bi_hash64(name, n);
	for (struct svc *s = services; s; s = s->next)
		if (s->hash == h && strlen(s->name) == n && !memcmp(s->name, name, n))
			return s;
	struct svc *s = bi_calloc(1, sizeof *s);
	s->name = bi_strndup(name, n);
	s->hash = h;
	s->next = services;
	services = s;
	return s;
}

static struct event *
svc_event(struct svc *s, size_t i)	/* i-th oldest kept */
{
	size_t kept = s->nev < MAX_EVENTS ? s->nev : MAX_EVENTS;
	return &s->ev[(s->nev - kept + i) % MAX_EVENTS];
}

/* ---- symptoms: what points at a problem ---- */

/* A symptom groups the records of one kind of trouble: a log template of a
 * service, or a container signal, a failing health check, an alert, a
 * Kubernetes warning, a failed load test or chaos scenario. */
struct sym {
	char *key;
	uint64_t hash;
	char *service;
	int pattern;			/* -1: none known */
	double strength[NCLASS];	/* per class, towards pattern */
	int problem;			/* a finding of its own, not only support */
	size_t count;
	int64_t first, last;
	int level;			/* logs: the highest level */
	char *what;			/* a line for people: "ERROR app: ..." */
	char *sample;			/* a message, for matching and root causes */
	char *stack;
	char *logger;
	const bi_drain_cluster *cluster;
	struct sym *next;		/* in the list of all */
	struct sym *chain;		/* in its hash bucket */
};

static struct sym *syms;
static struct sym **buckets;		/* syms by the hash of their key */
static size_t nbuckets, nsyms;

static struct sym *
sym_get(const char *key, const char *service, int *made)
{
	uint64_t h = bi_hash64(key, strlen(key));

	for (struct sym *s = nbuckets ? buckets[h & (nbuckets - 1)] : NULL; s; s = s->chain)
		if (s->hash == h && !strcmp(s->key, key)) {
			*made = 0;
			return s;
		}
	if (nsyms >= nbuckets) {	/* grow, and put every one back */
		nbuckets = nbuckets ? nbuckets * 2 : 256;
		free(buckets);
		buckets = bi_calloc(nbuckets, sizeof *buckets);
		for (struct sym *o = syms; o; o = o->next) {
			o->chain = buckets[o->hash & (nbuckets - 1)];
			buckets[o->hash & (nbuckets - 1)] = o;
		}
	}
	struct sym *s = bi_calloc(1, sizeof *s);
	s->key = bi_strdup(key);
	s->hash = h;
	s->service = bi_strdup(service ? service : "-");
	s->pattern = -1;
	s->level = -1;
	s->next = syms;
	syms = s;
	s->chain = buckets[h & (nbuckets - 1)];
	buckets[h & (nbuckets - 1)] = s;
	nsyms++;
	*made = 1;
	return s;
}

static void
sym_seen(struct sym *s, int64_t ts)
{
	s->count++;
	if (ts && (!s->first || ts < s->first))
		s->first = ts;
	if (ts > s->last)
		s->last = ts;
}

static char *
clip(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n <= max)
		return bi_strdup(s ? s : "");
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;		/* not inside a UTF-8 sequence */
	return bi_asprintf("%.*s...", (int)max, s);
}

/* Set the pattern of s from its text, unless it has one. */
static void
match_text(struct sym *s, const char *text)
{
	size_t len;
	int p = bi_kb_match_text(pats, npats, text, strlen(text), &len);

	if (p >= 0 && (s->pattern < 0 || s->pattern == p)) {
		s->pattern = p;
		s->strength[C_LOG] = weight[C_LOG];
	}
}

/* The number at a dotted path of rec (borrowed); logs also look in attrs,
 * and for an HTTP status where pino, Express and OpenTelemetry put it. */
static int
num_at(jv rec, const char *path, double *v)
{
	static const char *const status[] = {"attrs.res.statusCode", "attrs.statusCode",
					     "attrs.status_code", "attrs.http.status_code", NULL};
	jv x = bi_cfg_get(rec, path);
	for (const char *const *k = status; !strcmp(path, "status") && *k &&
	     jv_get_kind(x) != JV_KIND_NUMBER; k++) {
		jv_free(x);
		x = bi_cfg_get(rec, *k);
	}
	if (jv_get_kind(x) != JV_KIND_NUMBER) {
		jv_free(x);
		jv attrs = jv_object_get(jv_copy(rec), jv_string("attrs"));
		x = jv_get_kind(attrs) == JV_KIND_OBJECT ? bi_cfg_get(attrs, path) : jv_invalid();
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
match_conds(struct sym *s, jv rec, const char *name, double value)
{
	int any = 0;

	for (size_t i = 0; i < npats; i++)
		for (size_t k = 0; k < pats[i].nconds; k++) {
			const bi_kb_cond *c = &pats[i].conds[k];
			double v;
			int have = name && !strcmp(name, c->field) ? (v = value, 1) :
				num_at(rec, c->field, &v);
			if (!have || !bi_kb_cond_holds(c, v))
				continue;
			if (s->pattern < 0 || s->pattern == (int)i) {
				s->pattern = (int)i;
				s->strength[C_METRIC] = weight[C_METRIC];
			}
			any = 1;
		}
	return any;
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
		jv v = bi_cfg_get(rec, *k);
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
on_log(jv rec, int64_t ts)
{
	const char *msg = bi_get_str(rec, "msg"), *service = bi_get_str(rec, "service");
	int level = bi_level_rank(bi_level_norm(bi_get_str(rec, "level")));
	double dur = 0, status = 0;

	if (!msg)
		msg = "";
	if (level < 0)
		level = bi_level_rank(bi_level_detect(msg, strlen(msg)));
	int slow = slow_ms > 0 && num_at(rec, "duration_ms", &dur) && dur >= slow_ms;
	struct svc *sv = svc_get(service, service ? strlen(service) : 0);
	if (num_at(rec, "status", &status) && status >= 100 && status < 600) {
		sv->requests++;
		sv->errors5xx += status >= 500;
	}
	if (level < 3 && !slow)
		return;
	const bi_drain_cluster *c = bi_drain_add(drain, msg, strlen(msg));
	char *key = bi_asprintf("log %s %zu", sv->name, c->index);
	int made;
	struct sym *s = sym_get(key, sv->name, &made);
	free(key);
	if (made) {
		const char *stack = bi_get_str(rec, "stack"), *logger = bi_get_str(rec, "logger");
		char *error = error_of(rec);
		s->cluster = c;
		s->sample = error && !strstr(msg, error) ? bi_asprintf("%s (%s)", msg, error) :
			clip(msg, MAX_SAMPLE);
		if (strlen(s->sample) > MAX_SAMPLE) {
			char *t = clip(s->sample, MAX_SAMPLE);
			free(s->sample);
			s->sample = t;
		}
		s->stack = stack ? clip(stack, MAX_STACK) : NULL;
		s->logger = logger ? bi_strdup(logger) : NULL;
		char *text = bi_asprintf("%s\n%s\n%s\n%s", msg, error ? error : "",
					 logger ? logger : "", stack ? stack : "");
		match_text(s, text);
		free(text);
		free(error);
	}
	if (level > s->level)
		s->level = level;
	match_conds(s, rec, NULL, 0);
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

struct note {
	int64_t ts;
	char *text;
	char *service;
};
static struct note notes[MAX_NOTES];
static size_t nnotes;

static void
note(int64_t ts, const char *service, char *text)	/* takes text */
{
	struct note *n = &notes[nnotes++ % MAX_NOTES];
	free(n->text);
	free(n->service);
	*n = (struct note){ts, text, bi_strdup(service ? service : "-")};
}

/* A service whose container stopped, for the connection problems of the
 * others: support, not a problem of its own. */
static void
dependency_stopped(struct svc *sv, int64_t ts)
{
	char key[256];
	int made;

	snprintf(key, sizeof key, "container %s dependency-stopped", sv->name);
	struct sym *s = sym_get(key, sv->name, &made);
	for (size_t i = 0; made && i < npats; i++)
		if (bi_kb_in(pats[i].containers, "dependency-stopped") && s->pattern < 0)
			s->pattern = (int)i;
	s->strength[C_SUPPORT] = s->pattern >= 0 ? weight[C_SUPPORT] : 0;
	sym_seen(s, ts);
	free(s->what);
	s->what = bi_asprintf("container %s stopped, %zu time%s", sv->name, s->count,
			      s->count == 1 ? "" : "s");
}

static void
on_container(jv rec, int64_t ts)
{
	const char *service = bi_get_str(rec, "service"), *action = bi_get_str(rec, "action");
	struct svc *sv = svc_get(service, service ? strlen(service) : 0);
	int code = (int)bi_get_num(rec, "exit_code", 0);
	char key[256];
	int made;

	if (!action || !strcmp(action, "status"))
		return;
	if (!strcmp(action, "health_status")) {	/* only the turn for the worse */
		const char *health = bi_get_str(rec, "health");
		if (!health || strcmp(health, "unhealthy"))
			return;
		action = "unhealthy";
	}
	const char *signal = NULL;
	int requested = sv->last_action_ts && ts - sv->last_action_ts < 30 * BI_NS_PER_S &&
		(!strcmp(sv->last_action, "kill") || !strcmp(sv->last_action, "stop"));
	int after_oom = sv->last_action_ts && ts - sv->last_action_ts < 10 * BI_NS_PER_S &&
		!strcmp(sv->last_action, "oom");
	if (!strcmp(action, "oom"))
		signal = "oom";
	else if (!strcmp(action, "die") && code != 0 && !requested && !after_oom)
		signal = "crash";
	snprintf(sv->last_action, sizeof sv->last_action, "%s", action);
	sv->last_action_ts = ts;
	struct event *e = &sv->ev[sv->nev++ % MAX_EVENTS];
	*e = (struct event){ts, "", code};
	snprintf(e->action, sizeof e->action, "%s", action);
	if (!strcmp(action, "die"))	/* for the services that need it */
		dependency_stopped(sv, ts);
	if (!signal)
		return;
	snprintf(key, sizeof key, "container %s %s", sv->name, signal);
	struct sym *s = sym_get(key, sv->name, &made);
	if (made) {
		s->problem = 1;
		for (size_t i = 0; i < npats; i++)
			if (bi_kb_in(pats[i].containers, signal) && s->pattern < 0)
				s->pattern = (int)i;
	}
	sym_seen(s, ts);
	/* One crash may be chance; a loop of them is not. */
	if (s->pattern >= 0)
		s->strength[C_CONTAINER] = !strcmp(signal, "crash") ?
			(s->count >= 2 ? 0.9 : 0.6) : weight[C_CONTAINER];
	free(s->what);
	s->what = !strcmp(signal, "crash") ?
		bi_asprintf("container %s exited with code %d, %zu time%s", sv->name, code,
			    s->count, s->count == 1 ? "" : "s") :
		bi_asprintf("container %s was killed for running out of memory, %zu time%s",
			    sv->name, s->count, s->count == 1 ? "" : "s");
}

static void
on_stats(jv rec, int64_t ts)
{
	const char *service = bi_get_str(rec, "service");
	struct svc *sv = svc_get(service, service ? strlen(service) : 0);
	double used = bi_get_num(rec, "mem_used", -1);
	char key[256];
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
	snprintf(key, sizeof key, "stats %s", sv->name);
	struct sym tmp = {.pattern = -1};
	if (!match_conds(&tmp, rec, NULL, 0))
		return;
	struct sym *s = sym_get(key, sv->name, &made);
	s->pattern = tmp.pattern;
	s->strength[C_METRIC] = tmp.strength[C_METRIC];
	s->problem = 1;
	sym_seen(s, ts);
	free(s->what);
	s->what = bi_asprintf("memory of %s at %.0f%% of its limit", sv->name,
			      bi_get_num(rec, "mem_pct", 0));
}

/* A record that is a problem in itself: a failed health check, a firing
 * alert, a Kubernetes warning, a failed load test or chaos scenario, a
 * metric past a pattern's condition. */
static void
on_other(jv rec, const char *kind, int64_t ts)
{
	const char *service = bi_get_str(rec, "service"), *msg = bi_get_str(rec, "msg");
	char *key = NULL, *text = NULL, *what = NULL, *svc = NULL;
	int made, k8s_pattern = -1, chaos_pattern = -1;
	jv okv = jv_object_get(jv_copy(rec), jv_string("ok"));
	jv passed = jv_object_get(jv_copy(rec), jv_string("passed"));

	if (!strcmp(kind, "health") && jv_get_kind(okv) == JV_KIND_FALSE) {
		const char *target = bi_get_str(rec, "target");
		svc = bi_strdup(service ? service : target ? target : "-");
		key = bi_asprintf("health %s %s", svc, target ? target : "");
		text = bi_strdup(msg ? msg : "");
		what = bi_asprintf("health check of %s failed: %s", svc, msg ? msg : "not ok");
	} else if (!strcmp(kind, "alert") && (!bi_get_str(rec, "state") ||
					     !strcmp(bi_get_str(rec, "state"), "firing"))) {
		const char *name = bi_get_str(rec, "name");
		svc = bi_strdup(service ? service : "-");
		key = bi_asprintf("alert %s %s", svc, name ? name : "");
		text = bi_asprintf("%s %s", name ? name : "", msg ? msg : "");
		what = bi_asprintf("alert %s firing for %s: %s", name ? name : "?", svc, msg ? msg : "");
	} else if (!strcmp(kind, "k8s_event")) {
		const char *type = bi_get_str(rec, "type"), *reason = bi_get_str(rec, "reason");
		const char *object = bi_get_str(rec, "object");
		svc = k8s_service(object);
		if (!type || strcmp(type, "Warning")) {
			note(ts, svc, bi_asprintf("%s %s: %s", reason ? reason : "event",
						  object ? object : "", msg ? msg : ""));
			goto done;
		}
		for (size_t i = 0; i < npats && k8s_pattern < 0; i++)
			if (bi_kb_in(pats[i].k8s, reason))
				k8s_pattern = (int)i;
		key = bi_asprintf("k8s %s %s", svc, reason ? reason : "");
		text = bi_asprintf("%s %s", reason ? reason : "", msg ? msg : "");
		what = bi_asprintf("Kubernetes %s on %s: %s", reason ? reason : "warning",
				   object ? object : svc, msg ? msg : "");
	} else if (!strcmp(kind, "perf_summary") && jv_get_kind(passed) == JV_KIND_FALSE) {
		const char *target = bi_get_str(rec, "target");
		svc = bi_strdup(service ? service : "-");
		key = bi_asprintf("perf %s", target ? target : "");
		text = bi_strdup("");
		double p95 = 0;
		num_at(rec, "latency.p95", &p95);
		what = bi_asprintf("load test of %s breached its thresholds (p95 %.0fms, errors %.1f%%)",
				   target ? target : "?", p95, bi_get_num(rec, "error_rate", 0) * 100);
	} else if (!strcmp(kind, "chaos") && bi_get_str(rec, "status") &&
		   !strcmp(bi_get_str(rec, "status"), "failed")) {
		const char *scenario = bi_get_str(rec, "scenario"), *reason = bi_get_str(rec, "reason");
		const char *target = bi_get_str(rec, "target");
		svc = bi_strdup(service ? service : target ? target : "-");
		for (size_t i = 0; scenario && i < npats && chaos_pattern < 0; i++)
			for (char **c = pats[i].chaos; *c && chaos_pattern < 0; c++)
				if (strcasestr(scenario, *c))
					chaos_pattern = (int)i;
		key = bi_asprintf("chaos %s %s", svc, scenario ? scenario : "");
		text = bi_strdup(reason ? reason : "");
		what = bi_asprintf("chaos scenario %s failed on %s: %s", scenario ? scenario : "?",
				   svc, reason ? reason : "");
	} else if (!strcmp(kind, "metric")) {
		const char *name = bi_get_str(rec, "name");
		struct sym tmp = {.pattern = -1};
		if (!name || !match_conds(&tmp, rec, name, bi_get_num(rec, "value", 0)))
			goto done;
		svc = bi_strdup(service ? service : "-");
		key = bi_asprintf("metric %s %s", svc, name);
		text = bi_strdup("");
		what = bi_asprintf("%s of %s at %.4g", name, svc, bi_get_num(rec, "value", 0));
	} else {
		goto done;
	}
	struct sym *s = sym_get(key, svc, &made);
	if (made) {
		s->problem = 1;
		s->sample = clip(text, MAX_SAMPLE);
		if (k8s_pattern >= 0) {
			s->pattern = k8s_pattern;
			s->strength[C_K8S] = weight[C_K8S];
		}
		if (chaos_pattern >= 0) {
			s->pattern = chaos_pattern;
			s->strength[C_CHAOS] = weight[C_CHAOS];
		}
		match_text(s, text);
	}
	match_conds(s, rec, !strcmp(kind, "alert") ? bi_get_str(rec, "name") :
		    !strcmp(kind, "metric") ? bi_get_str(rec, "name") : NULL,
		    bi_get_num(rec, "value", 0));
	sym_seen(s, ts);
	free(s->what);
	s->what = what;
	what = NULL;
done:
	jv_free(okv);
	jv_free(passed);
	free(key);
	free(text);
	free(what);
	free(svc);
}

static jv commits[MAX_COMMITS];
static size_t ncommits;

static void
on_commit(jv rec)
{
	jv *slot = &commits[ncommits++ % MAX_COMMITS];
	if (ncommits > MAX_COMMITS)
		jv_free(*slot);
	*slot = rec;
}

static void
on_record(jv rec)
{
	const char *kind = bi_get_str(rec, "kind");
	int64_t ts = bi_record_ts(rec);

	nrecords++;
	if (!kind) {
		jv_free(rec);
		return;
	}
	if (!strcmp(kind, "log")) {
		nlogs++;
		on_log(rec, ts);
	} else if (!strcmp(kind, "container")) {
		on_container(rec, ts);
	} else if (!strcmp(kind, "stats")) {
		on_stats(rec, ts);
	} else if (!strcmp(kind, "commit")) {
		on_commit(rec);
		return;
	} else {
		on_other(rec, kind, ts);
	}
	jv_free(rec);
}

/* ---- findings ---- */

struct finding {
	int pattern;
	const char *service;
	struct sym **syms;
	size_t nsyms;
	double strength;
	size_t count;
	int64_t first, last;
	/* From score(): */
	struct sym *main;
	char *title, *signature, *file;
	jv commit;
	double correlation, similarity, confidence;
};

static void
add_sym(struct finding *f, struct sym *s)
{
	f->syms = bi_realloc(f->syms, (f->nsyms + 1) * sizeof *f->syms);
	f->syms[f->nsyms++] = s;
	if (s->problem) {
		f->count += s->count;
		if (s->first && (!f->first || s->first < f->first))
			f->first = s->first;
		if (s->last > f->last)
			f->last = s->last;
	}
}

/* The symptom to name a finding by: its most frequent log template, else its
 * most frequent problem. */
static struct sym *
main_sym(const struct finding *f)
{
	struct sym *best = NULL;

	for (size_t i = 0; i < f->nsyms; i++) {
		struct sym *s = f->syms[i];
		if (!s->problem)
			continue;
		if (!best || (s->cluster && !best->cluster) ||
		    (!s->cluster == !best->cluster && s->count > best->count))
			best = s;
	}
	return best ? best : f->syms[0];
}

static void
hms(int64_t ns, char *buf)
{
	char ts[BI_TS_LEN];

	bi_ts_fmt(ns, ts);
	memcpy(buf, ts + 11, 8);	/* HH:MM:SS */
	buf[8] = '\0';
}

/* Does text name a file of the commit: its base name ("main.c",
 * "GreetingService.kt") or, as a logger's last part, its stem ("main")? */
static const char *
named_file(jv files, const char *text, const char *logger)
{
	const char *hit = NULL;

	jv_array_foreach(files, i, f) {
		const char *path = jv_get_kind(f) == JV_KIND_STRING ? jv_string_value(f) : "";
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t stem = strcspn(base, ".");
		if (!hit && stem >= 3) {
			if (text && strstr(text, base) && strchr(base, '.'))
				hit = base;
			const char *last = logger ? logger + strlen(logger) : NULL;
			while (last && last > logger && !strchr("./:", last[-1]))
				last--;
			if (last && strlen(last) == stem && !strncasecmp(last, base, stem))
				hit = base;
		}
		jv_free(f);
	}
	return hit;
}

/* The commit the finding most likely followed: the latest before its onset
 * (within a day), or the latest that changed a file its logs name.
 * Correlation max(0.3, 1 - dt / 1h), plus 0.5 for a named file, at most 1. */
static jv
correlate(const struct finding *f, double *corr, char **file)
{
	jv best = jv_invalid();
	int64_t best_ts = 0;
	int best_named = 0;

	*corr = 0;
	*file = NULL;
	for (size_t i = 0; i < ncommits && i < MAX_COMMITS; i++) {
		int64_t ts = bi_record_ts(commits[i]);
		if (!ts || ts > f->first || f->first - ts > 24 * HOUR)
			continue;
		const char *named = NULL;
		jv files = jv_object_get(jv_copy(commits[i]), jv_string("files"));
		for (size_t k = 0; k < f->nsyms && !named; k++) {
			struct sym *s = f->syms[k];
			if (jv_get_kind(files) != JV_KIND_ARRAY)
				break;
			char *text = bi_asprintf("%s\n%s", s->sample ? s->sample : "",
						 s->stack ? s->stack : "");
			named = named_file(jv_copy(files), text, s->logger);
			free(text);
		}
		jv_free(files);
		if ((named && !best_named) || ((!!named == best_named) && ts > best_ts)) {
			jv_free(best);
			best = jv_copy(commits[i]);
			best_ts = ts;
			best_named = named != NULL;
			free(*file);
			*file = named ? bi_strdup(named) : NULL;
		}
	}
	if (jv_is_valid(best)) {
		double dt = (double)(f->first - best_ts) / HOUR;
		*corr = fmax(0.3, 1 - dt) + (best_named ? 0.5 : 0);
		if (*corr > 1)
			*corr = 1;
	}
	return best;
}

struct entry {
	int64_t ts;
	char *text;
};

static void
entry_add(struct entry **v, size_t *n, int64_t ts, char *text)	/* takes text */
{
	if (!ts) {
		free(text);
		return;
	}
	*v = bi_realloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = (struct entry){ts, text};
}

static int
by_ts(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static const char *
action_text(const struct event *e, char *buf, size_t n)
{
	if (!strcmp(e->action, "die"))
		snprintf(buf, n, "exited with code %d", e->exit_code);
	else if (!strcmp(e->action, "oom"))
		snprintf(buf, n, "ran out of memory (OOM kill)");
	else if (!strcmp(e->action, "start"))
		snprintf(buf, n, "started");
	else if (!strcmp(e->action, "restart"))
		snprintf(buf, n, "restarted");
	else if (!strcmp(e->action, "unhealthy"))
		snprintf(buf, n, "became unhealthy");
	else if (!strcmp(e->action, "kill"))
		snprintf(buf, n, "was sent a signal to stop");
	else if (!strcmp(e->action, "stop"))
		snprintf(buf, n, "stopped");
	else
		snprintf(buf, n, "%s", e->action);
	return buf;
}

static void
human_bytes(double b, char *buf, size_t n)
{
	if (b >= 1 << 30)
		snprintf(buf, n, "%.1fGiB", b / (1 << 30));
	else if (b >= 1 << 20)
		snprintf(buf, n, "%.0fMiB", b / (1 << 20));
	else
		snprintf(buf, n, "%.0fKiB", b / 1024);
}

static jv
timeline(const struct finding *f, jv commit)
{
	struct entry *v = NULL;
	size_t n = 0;
	int64_t from = f->first - 15 * 60 * BI_NS_PER_S, to = f->last + 60 * BI_NS_PER_S;
	char buf[128];

	if (jv_is_valid(commit)) {
		const char *sha = bi_get_str(commit, "sha"), *msg = bi_get_str(commit, "msg");
		const char *author = bi_get_str(commit, "author");
		entry_add(&v, &n, bi_record_ts(commit), bi_asprintf("commit %.7s by %s: %.*s",
			sha ? sha : "?", author ? author : "?",
			(int)strcspn(msg ? msg : "", "\n"), msg ? msg : ""));
		if (bi_record_ts(commit) < from)
			from = bi_record_ts(commit);
	}
	for (struct svc *sv = services; sv; sv = sv->next) {
		int mine = !strcmp(sv->name, f->service ? f->service : "-");
		for (size_t i = 0; !mine && i < f->nsyms; i++)
			mine = !strcmp(f->syms[i]->service, sv->name);
		if (!mine)
			continue;
		size_t kept = sv->nev < MAX_EVENTS ? sv->nev : MAX_EVENTS;
		for (size_t i = 0; i < kept; i++) {
			struct event *e = svc_event(sv, i);
			if (e->ts >= from && e->ts <= to && strcmp(e->action, "destroy") &&
			    strcmp(e->action, "create"))
				entry_add(&v, &n, e->ts, bi_asprintf("%s %s", sv->name,
					  action_text(e, buf, sizeof buf)));
		}
		if (sv->mem_max > 0 && sv->mem_max_ts >= from && sv->mem_max_ts <= to &&
		    sv->mem_limit > 0 && sv->mem_max >= 0.8 * sv->mem_limit) {
			char a[32], b[32], c[32];
			human_bytes(sv->mem_first, a, sizeof a);
			human_bytes(sv->mem_max, b, sizeof b);
			human_bytes(sv->mem_limit, c, sizeof c);
			entry_add(&v, &n, sv->mem_max_ts, bi_asprintf("memory of %s %s -> %s (limit %s)",
				  sv->name, a, b, c));
		}
	}
	for (size_t i = 0; i < nnotes && i < MAX_NOTES; i++)
		if (notes[i].ts >= from && notes[i].ts <= to && f->service &&
		    !strcmp(notes[i].service, f->service))
			entry_add(&v, &n, notes[i].ts, bi_strdup(notes[i].text));
	for (size_t i = 0; i < f->nsyms; i++) {
		struct sym *s = f->syms[i];
		if (!s->problem || !strncmp(s->key, "container ", 10))
			continue;	/* container events are there already */
		if (s->cluster)
			entry_add(&v, &n, s->first, bi_asprintf("%s %s: %s%s", s->service,
				  s->level >= 4 ? "error" : s->level == 3 ? "warning" : "slow request",
				  s->sample, s->count > 1 ? " (the first)" : ""));
		else
			entry_add(&v, &n, s->first, bi_strdup(s->what ? s->what : s->key));
		if (s->cluster && s->count > 1 && s->last > s->first)
			entry_add(&v, &n, s->last, bi_asprintf("%s: the last of %zu such lines",
				  s->service, s->count));
	}
	qsort(v, n, sizeof *v, by_ts);
	jv a = jv_array();
	for (size_t i = 0; i < n; i++) {
		/* The start and the end of a long story. */
		if (n <= MAX_TIMELINE || i < MAX_TIMELINE / 3 || i >= n - (MAX_TIMELINE - MAX_TIMELINE / 3)) {
			char ts[BI_TS_LEN], h[16];
			hms(v[i].ts, h);
			jv e = jv_object_set(jv_object(), jv_string("ts"), jv_string(bi_ts_fmt(v[i].ts, ts)));
			e = jv_object_set(e, jv_string("text"), jv_string_fmt("%s %s", h, v[i].text));
			a = jv_array_append(a, e);
		}
		free(v[i].text);
	}
	free(v);
	return a;
}

/* The first frame of a stack trace that names a file and line. */
static char *
first_frame(const char *stack)
{
	for (const char *p = stack; p && *p;) {
		size_t n = strcspn(p, "\n");
		const char *colon = memchr(p, ':', n);
		if (p != stack && colon && colon + 1 < p + n && isdigit((unsigned char)colon[1])) {
			while (n && (*p == ' ' || *p == '\t'))
				p++, n--;
			if (n > 3 && !strncmp(p, "at ", 3))
				p += 3, n -= 3;
			return bi_strndup(p, n > 160 ? 160 : n);
		}
		p += n + (p[n] == '\n');
	}
	return NULL;
}

static int
by_count(const void *a, const void *b)
{
	const struct sym *x = *(struct sym *const *)a, *y = *(struct sym *const *)b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* What a finding is called, what it is matched by, what it followed and how
 * sure it is: all that ranks it, without the record. */
static void
score(struct finding *f, sqlite3 *db)
{
	const bi_kb_pattern *p = f->pattern >= 0 ? &pats[f->pattern] : NULL;
	struct sym *m = f->main = main_sym(f);
	const char *template = m->cluster ? bi_drain_text(drain, m->cluster) : NULL;
	const char *svc = f->service && strcmp(f->service, "-") ? f->service : NULL;
	char *base;

	f->commit = correlate(f, &f->correlation, &f->file);
	if (p) {
		base = bi_asprintf("%s%s%s", p->name, svc ? " in " : "", svc ? svc : "");
		const char *sha = bi_get_str(f->commit, "sha");
		f->title = f->correlation >= 0.5 ?
			bi_asprintf("%s after commit %.7s", base, sha ? sha : "?") : bi_strdup(base);
	} else if (m->cluster) {
		char *t = clip(template, 70);
		base = bi_asprintf("%s in %s: %s", m->level >= 5 ? "Fatal error" : "Error",
				   svc ? svc : "the logs", t);
		f->title = bi_strdup(base);
		free(t);
	} else {
		base = clip(m->what ? m->what : m->key, 90);
		base[0] = (char)toupper((unsigned char)base[0]);
		f->title = bi_strdup(base);
	}
	/* The signature leaves the commit out: the same problem after another
	 * commit is the same problem. */
	f->signature = bi_asprintf("%s %s %s", p ? p->id : "unknown", svc ? svc : "-",
				   template ? template : base);
	free(base);
	f->similarity = 0;
	if (db) {
		char ts[BI_TS_LEN];
		jv probe = jv_object_set(jv_object(), jv_string("signature"), jv_string(f->signature));
		probe = jv_object_set(probe, jv_string("first_seen"), jv_string(bi_ts_fmt(f->first, ts)));
		jv_free(bi_kb_advise(db, pats, npats, probe, &f->similarity));
	}
	f->confidence = round(fmin(95, 30 * f->strength + fmin(25, 25 * f->correlation) +
				   20 * f->similarity + 25));
}

/* The finding record. */
static jv
build(struct finding *f, sqlite3 *db)
{
	const bi_kb_pattern *p = f->pattern >= 0 ? &pats[f->pattern] : NULL;
	struct sym *m = f->main;
	char ts[BI_TS_LEN], h[16];
	double corr = f->correlation, sim;
	char *file = f->file;
	jv commit = f->commit;
	jv out = bi_record("finding");

	const char *template = m->cluster ? bi_drain_text(drain, m->cluster) : NULL;
	const char *svc = f->service && strcmp(f->service, "-") ? f->service : NULL;
	out = jv_object_set(out, jv_string("title"), jv_string(f->title));
	out = jv_object_set(out, jv_string("pattern"), p ? jv_string(p->id) : jv_null());
	out = jv_object_set(out, jv_string("severity"), jv_string(p ? p->severity :
			    m->level >= 5 ? "high" : "medium"));
	out = jv_object_set(out, jv_string("count"), jv_number(f->count));
	out = jv_object_set(out, jv_string("first_seen"), jv_string(bi_ts_fmt(f->first, ts)));
	out = jv_object_set(out, jv_string("last_seen"), jv_string(bi_ts_fmt(f->last, ts)));
	out = jv_object_set(out, jv_string("service"), svc ? jv_string(svc) : jv_null());
	out = jv_object_set(out, jv_string("template"), template ? jv_string(template) : jv_null());

	/* Why: what was seen, what it usually means, what it followed. */
	bi_buf rc = {0};
	hms(f->first, h);
	if (m->cluster) {
		bi_buf_printf(&rc, "%s logged \"%s\" %zu time%s since %s.", svc ? svc : "The service",
			      m->sample, m->count, m->count == 1 ? "" : "s", h);
	} else {
		bi_buf_printf(&rc, "%s; first at %s.", m->what ? m->what : m->key, h);
		rc.p[0] = (char)toupper((unsigned char)rc.p[0]);
	}
	/* How many of the service's requests failed, when the pattern is
	 * about failing requests. */
	int about_status = 0;
	for (size_t i = 0; p && i < p->nconds; i++)
		about_status |= !strcmp(p->conds[i].field, "status");
	struct svc *sv = about_status && svc ? svc_get(svc, strlen(svc)) : NULL;
	if (sv && sv->requests && sv->errors5xx)
		bi_buf_printf(&rc, " It answered %zu of %zu requests (%.1f%%) with a server error.",
			      sv->errors5xx, sv->requests, 100.0 * sv->errors5xx / sv->requests);
	bi_buf_printf(&rc, " %s", p ? p->root_cause : "No known pattern matches: a new problem.");
	char *frame = NULL;
	for (size_t i = 0; i < f->nsyms && !frame; i++)
		frame = first_frame(f->syms[i]->stack);
	if (frame)
		bi_buf_printf(&rc, " It is thrown at %s.", frame);
	if (jv_is_valid(commit)) {
		const char *msg = bi_get_str(commit, "msg"), *sha = bi_get_str(commit, "sha");
		char dur[32];
		bi_dur_fmt(f->first - bi_record_ts(commit), dur, sizeof dur);
		bi_buf_printf(&rc, " It began %s after commit %.7s (\"%.*s\")", dur, sha ? sha : "?",
			      (int)strcspn(msg ? msg : "", "\n"), msg ? msg : "");
		if (file)
			bi_buf_printf(&rc, ", which changed %s, named in its logs", file);
		bi_buf_adds(&rc, ".");
		jv c = jv_object_set(jv_object(), jv_string("sha"), jv_string(sha ? sha : ""));
		static const char *const keep[] = {"ts", "author", "email", "msg", "files"};
		for (int i = 0; i < 5; i++) {
			jv v = jv_object_get(jv_copy(commit), jv_string(keep[i]));
			c = jv_object_set(c, jv_string(keep[i]), jv_is_valid(v) ? v : jv_null());
		}
		c = jv_object_set(c, jv_string("correlation"), jv_number(round(corr * 100) / 100));
		if (file)
			c = jv_object_set(c, jv_string("named_file"), jv_string(file));
		out = jv_object_set(out, jv_string("commit"), c);
	}
	out = jv_object_set(out, jv_string("root_cause"), jv_string(rc.p));
	bi_buf_free(&rc);
	free(frame);
	out = jv_object_set(out, jv_string("timeline"), timeline(f, commit));

	qsort(f->syms, f->nsyms, sizeof *f->syms, by_count);
	jv ev = jv_array();
	for (size_t i = 0, k = 0; i < f->nsyms && k < MAX_EVIDENCE; i++, k++) {
		struct sym *s = f->syms[i];
		jv e = s->cluster ?
			jv_string_fmt("%s %s x%zu: %s", s->level >= 5 ? "FATAL" : s->level == 4 ?
				      "ERROR" : s->level == 3 ? "WARN" : "SLOW", s->service, s->count,
				      s->sample) :
			jv_string(s->what ? s->what : s->key);
		ev = jv_array_append(ev, jv_object_set(jv_object(), jv_string("text"), e));
	}
	out = jv_object_set(out, jv_string("evidence"), ev);

	out = jv_object_set(out, jv_string("signature"), jv_string(f->signature));
	out = bi_kb_advise(db, pats, npats, out, &sim);
	double cp = 30 * f->strength, cc = fmin(25, 25 * corr), cs = 20 * sim, cb = 25;
	jv comp = jv_object_set(jv_object(), jv_string("pattern"), jv_number(round(cp * 10) / 10));
	comp = jv_object_set(comp, jv_string("correlation"), jv_number(round(cc * 10) / 10));
	comp = jv_object_set(comp, jv_string("similarity"), jv_number(round(cs * 10) / 10));
	comp = jv_object_set(comp, jv_string("base"), jv_number(cb));
	out = jv_object_set(out, jv_string("confidence"), jv_number(f->confidence));
	out = jv_object_set(out, jv_string("components"), comp);
	out = jv_object_set(out, jv_string("id"), jv_string_fmt("f-%08x",
			    (unsigned)(bi_hash64(f->signature, strlen(f->signature)) >> 32)));
	return out;
}

static int
by_confidence(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	if (x->confidence != y->confidence)
		return x->confidence < y->confidence ? 1 : -1;
	if (x->strength != y->strength)
		return x->strength < y->strength ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* A sign that a service keeps restarting, which does not say why: its
 * container exiting, Kubernetes backing off. */
static int
restart_loop(const struct sym *s)
{
	size_t n = strlen(s->key);

	return (!strncmp(s->key, "container ", 10) && strstr(s->key, " crash")) ||
	       (!strncmp(s->key, "k8s ", 4) && ((n > 8 && !strcmp(s->key + n - 8, " BackOff")) ||
		(n > 17 && !strcmp(s->key + n - 17, " CrashLoopBackOff"))));
}

/* A finding of nothing but restarts, and errors no pattern knows. */
static int
explainable(const struct finding *f)
{
	for (size_t i = 0; i < f->nsyms; i++)
		if (f->syms[i]->problem && !restart_loop(f->syms[i]) &&
		    !(f->syms[i]->cluster && f->syms[i]->pattern < 0))
			return 0;
	return 1;
}

/* Group the symptoms into findings, one per problem: by pattern and
 * service; a symptom no pattern knows is a finding of its own. Write them,
 * the most likely first; returns how many. */
static size_t
report(sqlite3 *db)
{
	struct finding *f = NULL;
	size_t n = 0;

	for (struct sym *s = syms; s; s = s->next) {
		if (!s->problem)
			continue;
		size_t i = n;
		if (s->pattern >= 0)
			for (i = 0; i < n; i++)
				if (f[i].pattern == s->pattern && !strcmp(f[i].service, s->service))
					break;
		if (i == n) {
			f = bi_realloc(f, (n + 1) * sizeof *f);
			f[n++] = (struct finding){.pattern = s->pattern, .service = s->service};
		}
		add_sym(&f[i], s);
	}
	/* An error a service logs just before it crashes or runs out of memory
	 * is part of that story, not a problem of its own. */
	size_t *died = bi_calloc(n, sizeof *died), ndied = 0;
	for (size_t k = 0; k < n; k++)
		for (size_t j = 0; f[k].pattern >= 0 && j < f[k].nsyms; j++)
			if (!strncmp(f[k].syms[j]->key, "container ", 10)) {
				died[ndied++] = k;
				break;
			}
	for (size_t i = 0; ndied && i < n; i++) {
		if (f[i].pattern >= 0 || f[i].nsyms != 1 || !f[i].syms[0]->cluster)
			continue;
		for (size_t j = 0; j < ndied; j++) {
			struct finding *k = &f[died[j]];
			if (!strcmp(k->service, f[i].service) &&
			    f[i].first >= k->first - 60 * BI_NS_PER_S &&
			    f[i].last <= k->last + 5 * BI_NS_PER_S) {
				add_sym(k, f[i].syms[0]);
				f[i].nsyms = 0;
				break;
			}
		}
	}
	free(died);
	/* A service that keeps restarting, and around that time showed a
	 * known problem (a lost dependency, no memory, a full disk), restarts
	 * of that problem. */
	for (size_t k = 0; k < n; k++) {
		if (!f[k].nsyms || f[k].pattern < 0 || !explainable(&f[k]))
			continue;
		for (size_t i = 0; i < n; i++) {
			if (i == k || !f[i].nsyms || f[i].pattern < 0 || explainable(&f[i]) ||
			    strcmp(f[i].service, f[k].service) ||
			    f[i].first > f[k].last + 5 * 60 * BI_NS_PER_S ||
			    f[i].last < f[k].first - 5 * 60 * BI_NS_PER_S)
				continue;
			for (size_t j = 0; j < f[k].nsyms; j++)
				add_sym(&f[i], f[k].syms[j]);
			f[k].nsyms = 0;
			break;
		}
	}
	/* A dependency that stopped supports the connection problems of
	 * the others around that time. */
	for (struct sym *s = syms; s; s = s->next) {
		if (s->problem || s->pattern < 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (f[i].nsyms && f[i].pattern == s->pattern && strcmp(f[i].service, s->service) &&
			    s->first <= f[i].last && s->last >= f[i].first - 10 * 60 * BI_NS_PER_S)
				add_sym(&f[i], s);
	}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (!f[i].nsyms) {
			free(f[i].syms);
			continue;
		}
		double miss = 1;
		for (int c = 0; c < NCLASS; c++) {
			double w = 0;
			for (size_t k = 0; k < f[i].nsyms; k++)
				w = fmax(w, f[i].syms[k]->strength[c]);
			miss *= 1 - w;
		}
		f[i].strength = f[i].pattern >= 0 ? 1 - miss : 0;
		score(&f[i], db);
		f[kept++] = f[i];
	}
	/* Ranked first, then each record made and written: one at a time. */
	qsort(f, kept, sizeof *f, by_confidence);
	for (size_t i = 0; i < kept; i++) {
		if (opt.top <= 0 || (int)i < opt.top)
			bi_write(build(&f[i], db));
		jv_free(f[i].commit);
		free(f[i].title);
		free(f[i].signature);
		free(f[i].file);
		free(f[i].syms);
	}
	free(f);
	return opt.top > 0 && (size_t)opt.top < kept ? (size_t)opt.top : kept;
}

/* ---- reading ---- */

/* A value inside a line: a string's bytes between its quotes (esc set when
 * they hold an escape), or another value's first byte with n 0. */
struct span {
	const char *p;
	size_t n;
	int esc;
};

/* What the fast path needs of a line's top-level keys. */
struct top {
	struct span kind, level, service, msg;
	int template;		/* a template or template_id key is there */
};

static const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* p just after an opening quote: the closing one, or NULL when the string
 * is not valid JSON; *esc is set when it holds an escape. */
static const char *
str_end(const char *p, const char *e, int *esc)
{
	while (p < e) {
		if (*p == '\\') {
			*esc = 1;
			if (p + 1 >= e || !p[1] || !strchr("\"\\/bfnrtu", p[1]))
				return NULL;
			if (p[1] == 'u') {
				for (int i = 2; i < 6; i++)
					if (p + i >= e || !isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			}
			p += 2;
		} else if (*p == '"') {
			return p;
		} else if ((unsigned char)*p < 0x20) {
			return NULL;
		} else {
			p++;
		}
	}
	return NULL;
}

static const char *
value_end(const char *p, const char *e, int depth)
{
	int esc = 0;

	if (p >= e)
		return NULL;
	if (*p == '"') {
		p = str_end(p + 1, e, &esc);
		return p ? p + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		if (depth > 32)
			return NULL;
		p = skip_ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (p >= e || *p != '"' || !(p = str_end(p + 1, e, &esc)))
					return NULL;
				p = skip_ws(p + 1, e);
				if (p >= e || *p != ':')
					return NULL;
				p = skip_ws(p + 1, e);
			}
			if (!(p = value_end(p, e, depth + 1)))
				return NULL;
			p = skip_ws(p, e);
			if (p < e && *p == ',')
				p = skip_ws(p + 1, e);
			else if (p < e && *p == close)
				return p + 1;
			else
				return NULL;
		}
	}
	static const char *const lit[] = {"true", "false", "null"};
	for (int i = 0; i < 3; i++) {
		size_t k = strlen(lit[i]);
		if ((size_t)(e - p) >= k && !memcmp(p, lit[i], k))
			return p + k;
	}
	/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
	const char *q = p + (*p == '-');
	if (q >= e || !isdigit((unsigned char)*q))
		return NULL;
	if (*q == '0')
		q++;
	else
		while (q < e && isdigit((unsigned char)*q))
			q++;
	if (q < e && *q == '.') {
		if (++q >= e || !isdigit((unsigned char)*q))
			return NULL;
		while (q < e && isdigit((unsigned char)*q))
			q++;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		q += q + 1 < e && (q[1] == '+' || q[1] == '-');
		if (++q >= e || !isdigit((unsigned char)*q))
			return NULL;
		while (q < e && isdigit((unsigned char)*q))
			q++;
	}
	return q;
}

/* The top-level keys of an object line the fast paths need, found without
 * building it. 1 when the line scans as one valid object (bar its UTF-8,
 * checked apart) and no top-level key is escaped, so that none can hide as
 * another; else 0: parse it in full then. The last of a repeated key wins,
 * as in libjq. */
static int
scan(const char *s, size_t len, struct top *t)
{
	const char *p = skip_ws(s, s + len), *e = s + len;

	memset(t, 0, sizeof *t);
	if (p >= e || *p != '{')
		return 0;
	p = skip_ws(p + 1, e);
	if (p < e && *p == '}')
		return skip_ws(p + 1, e) == e;
	for (;;) {
		int esc = 0;
		if (p >= e || *p != '"')
			return 0;
		const char *k = p + 1, *ke = str_end(k, e, &esc);
		if (!ke || esc)
			return 0;
		p = skip_ws(ke + 1, e);
		if (p >= e || *p != ':')
			return 0;
		p = skip_ws(p + 1, e);
		const char *v = p;
		if (!(p = value_end(p, e, 0)))
			return 0;
		size_t kn = ke - k;
#define KEY(name) (kn == sizeof name - 1 && !memcmp(k, name, kn))
		struct span *dst = KEY("kind") ? &t->kind : KEY("level") ? &t->level :
			KEY("service") ? &t->service : KEY("msg") ? &t->msg : NULL;
		t->template |= KEY("template") || KEY("template_id");
#undef KEY
		if (dst) {
			*dst = (struct span){v, 0, 0};
			if (*v == '"') {
				*dst = (struct span){v + 1, (size_t)(p - v - 2), 0};
				dst->esc = memchr(dst->p, '\\', dst->n) != NULL;
			}
		}
		p = skip_ws(p, e);
		if (p < e && *p == ',')
			p = skip_ws(p + 1, e);
		else if (p < e && *p == '}')
			return skip_ws(p + 1, e) == e;
		else
			return 0;
	}
}

/* s is a string without escapes equal to word. */
static int
is(struct span s, const char *word)
{
	return s.p && !s.esc && s.n == strlen(word) && !memcmp(s.p, word, s.n);
}

/* The number after key ("\"status\":") in the line, or -1. */
static double
raw_num(const char *line, size_t len, const char *key)
{
	const char *k = memmem(line, len, key, strlen(key));

	if (!k)
		return -1;
	k += strlen(key);
	while (*k == ' ')
		k++;
	return isdigit((unsigned char)*k) ? strtod(k, NULL) : -1;
}

/* A log line at info or below that is not a slow request: counted (as a
 * request of its service, when it has a status) and otherwise left alone. */
static int
boring(const char *line, size_t len)
{
	struct top t;

	if (!scan(line, len, &t) || !is(t.kind, "log") ||
	    !(is(t.level, "info") || is(t.level, "debug") || is(t.level, "trace")) ||
	    !bi_utf8_valid(line, len))
		return 0;
	if (slow_ms > 0 && raw_num(line, len, "\"duration_ms\":") >= slow_ms)
		return 0;
	double status = raw_num(line, len, "\"status\":");
	if (status >= 100 && status < 600) {
		struct svc *sv = svc_get(t.service.esc ? NULL : t.service.p, t.service.n);
		sv->requests++;
		sv->errors5xx += status >= 500;
	}
	nrecords++;
	nlogs++;
	return 1;
}

static void
analyze(int fd, const char *name)
{
	bi_reader *r = bi_reader_new(fd, name, opt.flags);
	const char *line;
	size_t len;
	jv rec;

	while (bi_read_line(r, &line, &len))
		if (!boring(line, len) && bi_reader_parse(r, &rec))
			on_record(rec);
	bi_reader_free(r);
}

/* ---- --templates ---- */

static bi_buf out;	/* lines waiting to be written together */

static void
out_line(const char *s, size_t n)
{
	bi_buf_add(&out, s, n);
	bi_buf_add(&out, "\n", 1);
}

static void
out_flush(void)
{
	if (out.len)
		bi_write_raw(out.p, out.len - 1);	/* it adds the last '\n' */
	out.len = 0;
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 4 | (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0' :
					 (tolower((unsigned char)p[i]) - 'a' + 10));
	return v;
}

/* A JSON string's bytes (valid, as scan checked, and without surrogates)
 * decoded into b. */
static void
unescape(struct span s, bi_buf *b)
{
	b->len = 0;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c != '\\') {
			bi_buf_add(b, &c, 1);
			continue;
		}
		c = s.p[++i];
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			bi_buf_add(b, &to[strchr(from, c) - from], 1);
			continue;
		}
		unsigned u = hex4(s.p + i + 1);
		i += 4;
		char enc[4];
		size_t k = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
		if (k == 1) {
			enc[0] = (char)u;
		} else {
			for (size_t j = k - 1; j > 0; j--, u >>= 6)
				enc[j] = (char)(0x80 | (u & 0x3F));
			enc[0] = (char)((0xF00 >> k) | u);
		}
		bi_buf_add(b, enc, k);
	}
	bi_buf_add(b, "", 0);
}

/* s as a JSON string, quotes included, into b. */
static void
quote(const char *s, bi_buf *b)
{
	bi_buf_add(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			bi_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			bi_buf_printf(b, "\\u%04x", c);
		else
			bi_buf_add(b, p, 1);
	}
	bi_buf_add(b, "\"", 1);
}

/* A record the fast path could not take, by libjq: the same result. */
static void
filter_slow(bi_reader *r)
{
	jv rec;

	if (!bi_reader_parse(r, &rec))
		return;
	const char *kind = bi_get_str(rec, "kind"), *msg = bi_get_str(rec, "msg");
	if (kind && !strcmp(kind, "log") && msg) {
		const bi_drain_cluster *c = bi_drain_add(drain, msg, strlen(msg));
		rec = jv_object_set(rec, jv_string("template"), jv_string(bi_drain_text(drain, c)));
		rec = jv_object_set(rec, jv_string("template_id"), jv_string(c->id));
	}
	jv text = jv_dump_string(rec, 0);
	out_line(jv_string_value(text), strlen(jv_string_value(text)));
	jv_free(text);
}

/* --templates: every record through, logs with their template added before
 * their closing brace, the rest of the line as it came. */
static void
filter(int fd, const char *name)
{
	bi_reader *r = bi_reader_new(fd, name, opt.flags);
	bi_buf msg = {0}, add = {0};
	const char *line;
	size_t len;
	struct top t;

	while (bi_read_line(r, &line, &len)) {
		if (!scan(line, len, &t) || t.template || t.kind.esc || !bi_utf8_valid(line, len) ||
		    (t.msg.esc && (memmem(t.msg.p, t.msg.n, "\\ud", 3) ||
				   memmem(t.msg.p, t.msg.n, "\\uD", 3)))) {
			/* Surrogates, and anything odd, as libjq reads them. */
			filter_slow(r);
		} else if (!is(t.kind, "log") || !t.msg.p || !t.msg.n || t.msg.p[-1] != '"') {
			if (t.msg.p && !t.msg.n && t.msg.p[-1] == '"')
				filter_slow(r);		/* "msg":"" */
			else
				out_line(line, len);
		} else {
			unescape(t.msg, &msg);
			const bi_drain_cluster *c = bi_drain_add(drain, msg.p, msg.len);
			const char *close = line + len;
			while (close[-1] != '}')
				close--;
			add.len = 0;
			bi_buf_add(&add, line, close - 1 - line);
			bi_buf_adds(&add, ",\"template\":");
			quote(bi_drain_text(drain, c), &add);
			bi_buf_printf(&add, ",\"template_id\":\"%s\"}", c->id);
			out_line(add.p, add.len);
		}
		if (out.len > (1 << 16) || !bi_reader_ready(r))
			out_flush();
	}
	out_flush();
	bi_buf_free(&msg);
	bi_buf_free(&add);
	bi_reader_free(r);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"templates", no_argument, NULL, 't'},
		{"patterns", required_argument, NULL, 'p'},
		{"top", required_argument, NULL, 'n'},
		{"db", required_argument, NULL, 'D'},
		{"no-kb", no_argument, NULL, 'K'},
		{"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	char err[512], *end;
	int c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "tp:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': opt.templates = 1; break;
		case 'p':
			opt.patfiles = bi_realloc(opt.patfiles, (opt.npatfiles + 1) * sizeof *opt.patfiles);
			opt.patfiles[opt.npatfiles++] = optarg;
			break;
		case 'n':
			opt.top = (int)strtol(optarg, &end, 10);
			if (*end || opt.top <= 0)
				bi_usage_error(usage, "--top: not a count: %s", optarg);
			break;
		case 'D': opt.db = optarg; break;
		case 'K': opt.no_kb = 1; break;
		case 'S': opt.flags |= BI_STRICT; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	drain = bi_drain_new();
	if (!opt.templates) {
		jv cfg = bi_config();
		pats = bi_kb_patterns(cfg, opt.patfiles, opt.npatfiles, &npats, err, sizeof err);
		jv_free(cfg);
		if (!pats)
			bi_die(BI_EXIT_USAGE, "%s", err);
		for (size_t i = 0; i < npats; i++)
			for (size_t k = 0; k < pats[i].nconds; k++)
				if (!strcmp(pats[i].conds[k].field, "duration_ms") &&
				    (slow_ms <= 0 || pats[i].conds[k].value < slow_ms))
					slow_ms = pats[i].conds[k].value;
	}
	for (int i = optind; i < argc || (i == optind && optind == argc); i++) {
		const char *name = i < argc ? argv[i] : "-";
		FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
		if (!f)
			bi_die(BI_EXIT_USAGE, "cannot open %s:", name);
		if (opt.templates)
			filter(fileno(f), name);
		else
			analyze(fileno(f), name);
		if (f != stdin)
			fclose(f);
	}
	if (opt.templates) {
		bi_write_flush();
		return BI_EXIT_OK;
	}
	char *path = opt.db ? bi_strdup(opt.db) : bi_store_path();
	sqlite3 *db = opt.no_kb ? NULL : bi_kb_open(path, 0);
	size_t n = report(db);
	bi_write_flush();
	if (!n)
		bi_warn("no problem found in %zu record%s (%zu log line%s)", nrecords,
			nrecords == 1 ? "" : "s", nlogs, nlogs == 1 ? "" : "s");
	sqlite3_close(db);
	free(path);
	return n ? BI_EXIT_FAIL : BI_EXIT_OK;
}
