/*
 * rca.c: root-cause analysis. Records go in one at a time; out come
 * findings, one per distinct problem, the most likely first: what went
 * wrong, since when, the pattern it matches, a timeline across the sources,
 * the commit it followed, past incidents like it and the fixes that worked
 * for them, and a confidence made of those parts (REFERENCE.md's formula:
 * 20 + 30 x pattern match + min(25, 25 x commit correlation) + 20 x
 * similarity + 5, at most 95).
 *
 * Records become symptoms: error and warning lines clustered into templates
 * (lib/analysis/drain.c), so that a message never seen before is one symptom with a
 * count and memory grows with the templates, not the lines; container
 * crashes and OOM kills; failing health checks, firing alerts, Kubernetes
 * warnings, failed load tests and chaos scenarios; metrics past a pattern's
 * condition. Symptoms are grouped into findings by pattern and service, and
 * what belongs to another's story (errors just before a crash, restarts of
 * a known problem, a stopped dependency) joins it.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/rca.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/logparse.h"
#include "analysis/drain.h"
#include "analysis/kb.h"

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

/* ---- the state ---- */

/* A container event of a service. */
struct event {
	int64_t ts;
	char action[16];
	int exit_code;
};

/* A service as its records tell it: its requests, its container's events
 * and memory. */
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

/* A Kubernetes event that is no warning: part of a timeline, no symptom. */
struct note {
	int64_t ts;
	char *text;
	char *service;
};

/* The symptoms of one problem, and what bi_rca_rank made of them. */
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

struct bi_rca {
	const bi_kb_pattern *pats;
	size_t npats;
	double slow_ms;		/* the least duration_ms any pattern counts as slow */
	bi_drain *drain;
	size_t nrecords, nlogs;
	struct svc *services;
	struct sym *syms;		/* every one, the newest first */
	struct sym **buckets;		/* syms by the hash of their key */
	size_t nbuckets, nsyms;
	struct note notes[MAX_NOTES];	/* a ring of Kubernetes Normal events */
	size_t nnotes;
	jv commits[MAX_COMMITS];	/* a ring of the newest */
	size_t ncommits;
	struct finding *f;		/* from bi_rca_rank, the most likely first */
	size_t nf;
	int ranked;
};

/* ---- services ---- */

static struct svc *
svc_get(bi_rca *a, const char *name, size_t n)
{
	if (!name || !n) {
		name = "-";
		n = 1;
	}
	uint64_t h = bi_hash64(name, n);
	for (struct svc *s = a->services; s; s = s->next)
		if (s->hash == h && strlen(s->name) == n && !memcmp(s->name, name, n))
			return s;
	struct svc *s = bi_calloc(1, sizeof *s);
	s->name = bi_strndup(name, n);
	s->hash = h;
	s->next = a->services;
	a->services = s;
	return s;
}

static struct event *
svc_event(struct svc *s, size_t i)	/* i-th oldest kept */
{
	size_t kept = s->nev < MAX_EVENTS ? s->nev : MAX_EVENTS;
	return &s->ev[(s->nev - kept + i) % MAX_EVENTS];
}

/* ---- symptoms: what points at a problem ---- */

static struct sym *
sym_get(bi_rca *a, const char *key, const char *service, int *made)
{
	uint64_t h = bi_hash64(key, strlen(key));

	for (struct sym *s = a->nbuckets ? a->buckets[h & (a->nbuckets - 1)] : NULL; s; s = s->chain)
		if (s->hash == h && !strcmp(s->key, key)) {
			*made = 0;
			return s;
		}
	if (a->nsyms >= a->nbuckets) {	/* grow, and put every one back */
		a->nbuckets = a->nbuckets ? a->nbuckets * 2 : 256;
		free(a->buckets);
		a->buckets = bi_calloc(a->nbuckets, sizeof *a->buckets);
		for (struct sym *o = a->syms; o; o = o->next) {
			o->chain = a->buckets[o->hash & (a->nbuckets - 1)];
			a->buckets[o->hash & (a->nbuckets - 1)] = o;
		}
	}
	struct sym *s = bi_calloc(1, sizeof *s);
	s->key = bi_strdup(key);
	s->hash = h;
	s->service = bi_strdup(service ? service : "-");
	s->pattern = -1;
	s->level = -1;
	s->next = a->syms;
	a->syms = s;
	s->chain = a->buckets[h & (a->nbuckets - 1)];
	a->buckets[h & (a->nbuckets - 1)] = s;
	a->nsyms++;
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
match_text(bi_rca *a, struct sym *s, const char *text)
{
	size_t len;
	int p = bi_kb_match_text(a->pats, a->npats, text, strlen(text), &len);

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
match_conds(bi_rca *a, struct sym *s, jv rec, const char *name, double value)
{
	int any = 0;

	for (size_t i = 0; i < a->npats; i++)
		for (size_t k = 0; k < a->pats[i].nconds; k++) {
			const bi_kb_cond *c = &a->pats[i].conds[k];
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
on_log(bi_rca *a, jv rec, int64_t ts)
{
	const char *msg = bi_get_str(rec, "msg"), *service = bi_get_str(rec, "service");
	int level = bi_level_rank(bi_level_norm(bi_get_str(rec, "level")));
	double dur = 0, status = 0;

	if (!msg)
		msg = "";
	if (level < 0)
		level = bi_level_rank(bi_level_detect(msg, strlen(msg)));
	int slow = a->slow_ms > 0 && num_at(rec, "duration_ms", &dur) && dur >= a->slow_ms;
	struct svc *sv = svc_get(a, service, service ? strlen(service) : 0);
	if (num_at(rec, "status", &status) && status >= 100 && status < 600) {
		sv->requests++;
		sv->errors5xx += status >= 500;
	}
	if (level < 3 && !slow)
		return;
	const bi_drain_cluster *c = bi_drain_add(a->drain, msg, strlen(msg));
	char *key = bi_asprintf("log %s %zu", sv->name, c->index);
	int made;
	struct sym *s = sym_get(a, key, sv->name, &made);
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
		match_text(a, s, text);
		free(text);
		free(error);
	}
	if (level > s->level)
		s->level = level;
	match_conds(a, s, rec, NULL, 0);
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
note(bi_rca *a, int64_t ts, const char *service, char *text)	/* takes text */
{
	struct note *n = &a->notes[a->nnotes++ % MAX_NOTES];
	free(n->text);
	free(n->service);
	*n = (struct note){ts, text, bi_strdup(service ? service : "-")};
}

/* A service whose container stopped, for the connection problems of the
 * others: support, not a problem of its own. */
static void
dependency_stopped(bi_rca *a, struct svc *sv, int64_t ts)
{
	char key[256];
	int made;

	snprintf(key, sizeof key, "container %s dependency-stopped", sv->name);
	struct sym *s = sym_get(a, key, sv->name, &made);
	for (size_t i = 0; made && i < a->npats; i++)
		if (bi_kb_in(a->pats[i].containers, "dependency-stopped") && s->pattern < 0)
			s->pattern = (int)i;
	s->strength[C_SUPPORT] = s->pattern >= 0 ? weight[C_SUPPORT] : 0;
	sym_seen(s, ts);
	free(s->what);
	s->what = bi_asprintf("container %s stopped, %zu time%s", sv->name, s->count,
			      s->count == 1 ? "" : "s");
}

static void
on_container(bi_rca *a, jv rec, int64_t ts)
{
	const char *service = bi_get_str(rec, "service"), *action = bi_get_str(rec, "action");
	struct svc *sv = svc_get(a, service, service ? strlen(service) : 0);
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
		dependency_stopped(a, sv, ts);
	if (!signal)
		return;
	snprintf(key, sizeof key, "container %s %s", sv->name, signal);
	struct sym *s = sym_get(a, key, sv->name, &made);
	if (made) {
		s->problem = 1;
		for (size_t i = 0; i < a->npats; i++)
			if (bi_kb_in(a->pats[i].containers, signal) && s->pattern < 0)
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
on_stats(bi_rca *a, jv rec, int64_t ts)
{
	const char *service = bi_get_str(rec, "service");
	struct svc *sv = svc_get(a, service, service ? strlen(service) : 0);
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
	if (!match_conds(a, &tmp, rec, NULL, 0))
		return;
	struct sym *s = sym_get(a, key, sv->name, &made);
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
on_other(bi_rca *a, jv rec, const char *kind, int64_t ts)
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
			note(a, ts, svc, bi_asprintf("%s %s: %s", reason ? reason : "event",
						  object ? object : "", msg ? msg : ""));
			goto done;
		}
		for (size_t i = 0; i < a->npats && k8s_pattern < 0; i++)
			if (bi_kb_in(a->pats[i].k8s, reason))
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
		for (size_t i = 0; scenario && i < a->npats && chaos_pattern < 0; i++)
			for (char **c = a->pats[i].chaos; *c && chaos_pattern < 0; c++)
				if (strcasestr(scenario, *c))
					chaos_pattern = (int)i;
		key = bi_asprintf("chaos %s %s", svc, scenario ? scenario : "");
		text = bi_strdup(reason ? reason : "");
		what = bi_asprintf("chaos scenario %s failed on %s: %s", scenario ? scenario : "?",
				   svc, reason ? reason : "");
	} else if (!strcmp(kind, "metric")) {
		const char *name = bi_get_str(rec, "name");
		struct sym tmp = {.pattern = -1};
		if (!name || !match_conds(a, &tmp, rec, name, bi_get_num(rec, "value", 0)))
			goto done;
		svc = bi_strdup(service ? service : "-");
		key = bi_asprintf("metric %s %s", svc, name);
		text = bi_strdup("");
		what = bi_asprintf("%s of %s at %.4g", name, svc, bi_get_num(rec, "value", 0));
	} else {
		goto done;
	}
	struct sym *s = sym_get(a, key, svc, &made);
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
		match_text(a, s, text);
	}
	match_conds(a, s, rec, !strcmp(kind, "alert") ? bi_get_str(rec, "name") :
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

static void
on_commit(bi_rca *a, jv rec)
{
	jv *slot = &a->commits[a->ncommits++ % MAX_COMMITS];
	if (a->ncommits > MAX_COMMITS)
		jv_free(*slot);
	*slot = rec;
}

void
bi_rca_add(bi_rca *a, jv rec)
{
	if (a->ranked) {
		jv_free(rec);
		return;
	}
	const char *kind = bi_get_str(rec, "kind");
	int64_t ts = bi_record_ts(rec);

	a->nrecords++;
	if (!kind) {
		jv_free(rec);
		return;
	}
	if (!strcmp(kind, "log")) {
		a->nlogs++;
		on_log(a, rec, ts);
	} else if (!strcmp(kind, "container")) {
		on_container(a, rec, ts);
	} else if (!strcmp(kind, "stats")) {
		on_stats(a, rec, ts);
	} else if (!strcmp(kind, "commit")) {
		on_commit(a, rec);
		return;
	} else {
		on_other(a, rec, kind, ts);
	}
	jv_free(rec);
}

/* ---- findings ---- */

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
 * "GreetingService.kt") or, as a logger's last part, its stem ("main")? files
 * is borrowed. */
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
correlate(bi_rca *a, const struct finding *f, double *corr, char **file)
{
	jv best = jv_invalid();
	int64_t best_ts = 0;
	int best_named = 0;

	*corr = 0;
	*file = NULL;
	for (size_t i = 0; i < a->ncommits && i < MAX_COMMITS; i++) {
		int64_t ts = bi_record_ts(a->commits[i]);
		if (!ts || ts > f->first || f->first - ts > 24 * HOUR)
			continue;
		const char *named = NULL;
		jv files = jv_object_get(jv_copy(a->commits[i]), jv_string("files"));
		for (size_t k = 0; k < f->nsyms && !named; k++) {
			struct sym *s = f->syms[k];
			if (jv_get_kind(files) != JV_KIND_ARRAY)
				break;
			char *text = bi_asprintf("%s\n%s", s->sample ? s->sample : "",
						 s->stack ? s->stack : "");
			named = named_file(files, text, s->logger);
			free(text);
		}
		jv_free(files);
		if ((named && !best_named) || ((!!named == best_named) && ts > best_ts)) {
			jv_free(best);
			best = jv_copy(a->commits[i]);
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
timeline(bi_rca *a, const struct finding *f, jv commit)
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
	for (struct svc *sv = a->services; sv; sv = sv->next) {
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
			char first[32], max[32], limit[32];
			human_bytes(sv->mem_first, first, sizeof first);
			human_bytes(sv->mem_max, max, sizeof max);
			human_bytes(sv->mem_limit, limit, sizeof limit);
			entry_add(&v, &n, sv->mem_max_ts, bi_asprintf("memory of %s %s -> %s (limit %s)",
				  sv->name, first, max, limit));
		}
	}
	for (size_t i = 0; i < a->nnotes && i < MAX_NOTES; i++)
		if (a->notes[i].ts >= from && a->notes[i].ts <= to && f->service &&
		    !strcmp(a->notes[i].service, f->service))
			entry_add(&v, &n, a->notes[i].ts, bi_strdup(a->notes[i].text));
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
	if (n)
		qsort(v, n, sizeof *v, by_ts);
	jv out = jv_array();
	for (size_t i = 0; i < n; i++) {
		/* The start and the end of a long story. */
		if (n <= MAX_TIMELINE || i < MAX_TIMELINE / 3 || i >= n - (MAX_TIMELINE - MAX_TIMELINE / 3)) {
			char ts[BI_TS_LEN], h[16];
			hms(v[i].ts, h);
			jv e = jv_object_set(jv_object(), jv_string("ts"), jv_string(bi_ts_fmt(v[i].ts, ts)));
			e = jv_object_set(e, jv_string("text"), jv_string_fmt("%s %s", h, v[i].text));
			out = jv_array_append(out, e);
		}
		free(v[i].text);
	}
	free(v);
	return out;
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
score(bi_rca *a, struct finding *f, sqlite3 *db)
{
	const bi_kb_pattern *p = f->pattern >= 0 ? &a->pats[f->pattern] : NULL;
	struct sym *m = f->main = main_sym(f);
	const char *template = m->cluster ? bi_drain_text(a->drain, m->cluster) : NULL;
	const char *svc = f->service && strcmp(f->service, "-") ? f->service : NULL;
	char *base;

	f->commit = correlate(a, f, &f->correlation, &f->file);
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
		jv_free(bi_kb_advise(db, a->pats, a->npats, probe, &f->similarity));
	}
	f->confidence = round(fmin(95, 30 * f->strength + fmin(25, 25 * f->correlation) +
				   20 * f->similarity + 25));
}

/* The finding record. */
static jv
build(bi_rca *a, struct finding *f, sqlite3 *db)
{
	const bi_kb_pattern *p = f->pattern >= 0 ? &a->pats[f->pattern] : NULL;
	struct sym *m = f->main;
	char ts[BI_TS_LEN], h[16];
	double corr = f->correlation, sim;
	char *file = f->file;
	jv commit = f->commit;
	jv out = bi_record("finding");

	const char *template = m->cluster ? bi_drain_text(a->drain, m->cluster) : NULL;
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
	struct svc *sv = about_status && svc ? svc_get(a, svc, strlen(svc)) : NULL;
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
	out = jv_object_set(out, jv_string("timeline"), timeline(a, f, commit));

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
	out = bi_kb_advise(db, a->pats, a->npats, out, &sim);
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
 * service; a symptom no pattern knows is a finding of its own. Then score
 * and rank them. */
size_t
bi_rca_rank(bi_rca *a, sqlite3 *db)
{
	struct finding *f = NULL;
	size_t n = 0;

	if (a->ranked)
		return a->nf;
	for (struct sym *s = a->syms; s; s = s->next) {
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
	for (struct sym *s = a->syms; s; s = s->next) {
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
		score(a, &f[i], db);
		f[kept++] = f[i];
	}
	if (kept)	/* qsort wants an array, even of none */
		qsort(f, kept, sizeof *f, by_confidence);
	a->f = f;
	a->nf = kept;
	a->ranked = 1;
	return kept;
}

jv
bi_rca_finding(bi_rca *a, size_t i, sqlite3 *db)
{
	return i < a->nf ? build(a, &a->f[i], db) : jv_invalid();
}

/* ---- the analysis ---- */

bi_rca *
bi_rca_new(const bi_kb_pattern *pats, size_t npats)
{
	bi_rca *a = bi_calloc(1, sizeof *a);

	a->pats = pats;
	a->npats = npats;
	a->drain = bi_drain_new();
	for (size_t i = 0; i < npats; i++)
		for (size_t k = 0; k < pats[i].nconds; k++)
			if (!strcmp(pats[i].conds[k].field, "duration_ms") &&
			    (a->slow_ms <= 0 || pats[i].conds[k].value < a->slow_ms))
				a->slow_ms = pats[i].conds[k].value;
	return a;
}

void
bi_rca_free(bi_rca *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nf; i++) {
		jv_free(a->f[i].commit);
		free(a->f[i].title);
		free(a->f[i].signature);
		free(a->f[i].file);
		free(a->f[i].syms);
	}
	free(a->f);
	for (struct sym *s = a->syms, *next; s; s = next) {
		next = s->next;
		free(s->key);
		free(s->service);
		free(s->what);
		free(s->sample);
		free(s->stack);
		free(s->logger);
		free(s);
	}
	free(a->buckets);
	for (struct svc *sv = a->services, *next; sv; sv = next) {
		next = sv->next;
		free(sv->name);
		free(sv);
	}
	for (size_t i = 0; i < a->nnotes && i < MAX_NOTES; i++) {
		free(a->notes[i].text);
		free(a->notes[i].service);
	}
	for (size_t i = 0; i < a->ncommits && i < MAX_COMMITS; i++)
		jv_free(a->commits[i]);
	bi_drain_free(a->drain);
	free(a);
}

int
bi_rca_skip(bi_rca *a, const char *line, size_t len)
{
	static const char *const keys[] = {"kind", "level", "service", NULL};
	bi_json_span v[3];

	if (a->ranked || !bi_json_scan(line, len, keys, v) || !bi_json_is(v[0], "log") ||
	    !(bi_json_is(v[1], "info") || bi_json_is(v[1], "debug") || bi_json_is(v[1], "trace")) ||
	    !bi_utf8_valid(line, len))
		return 0;
	if (a->slow_ms > 0 && bi_json_raw_num(line, len, "duration_ms") >= a->slow_ms)
		return 0;
	double status = bi_json_raw_num(line, len, "status");
	if (status >= 100 && status < 600) {
		struct svc *sv = svc_get(a, v[2].str && !v[2].esc ? v[2].p : NULL, v[2].n);
		sv->requests++;
		sv->errors5xx += status >= 500;
	}
	a->nrecords++;
	a->nlogs++;
	return 1;
}

void
bi_rca_counts(const bi_rca *a, size_t *records, size_t *logs)
{
	*records = a->nrecords;
	*logs = a->nlogs;
}
