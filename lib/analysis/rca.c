/*
 * rca.c: root-cause analysis, from symptoms to findings. Records go in one
 * at a time and become symptoms (symptom.c); commits are kept aside. Out
 * come findings, one per distinct problem, the most likely first: what went
 * wrong, since when, the pattern it matches, a timeline across the sources,
 * the commit it followed, past incidents like it and the fixes that worked
 * for them, and a confidence made of those parts (REFERENCE.md's formula:
 * 20 + 30 x pattern match + min(25, 25 x commit correlation) + 20 x
 * similarity + 5, at most 95).
 *
 * Symptoms are grouped into findings by pattern and service; a symptom no
 * pattern knows is a finding of its own. What belongs to another's story
 * joins it: errors a service logs just before it crashes or runs out of
 * memory (from 60 s before to 5 s after), restarts around a known problem
 * of the same service (5 min either side), a dependency that stopped from
 * 10 min before another service's problem began until it ended.
 *
 * Then each finding's service at fault (culprit.c): the one that logged
 * the symptoms is often only affected. Spans (the last MAX_SPANS read, of
 * the first MAX_SPAN_SERVICES services) are kept for it too: a trace shows
 * whose failure failed whom. A finding whose culprit has a
 * problem of its own joins that one (the caller's connection errors are
 * effects of the database's out-of-memory kill), a culprit blamed by a
 * victim of another passes the blame on, and several findings of one
 * pattern blamed on one service are one; failing requests are effects of
 * another problem under way (a proxy's 504s of its timeouts on its
 * upstream); errors no pattern knows that the
 * culprit logged as that trouble began are its first sign. A finding says
 * who is `affected`,
 * and the `chain` of evidence between them in time order; a crash its
 * signature (the signal, the exception, the frame, how often, since when).
 * A finding's pattern match combines its own symptoms' signals (not those
 * of the effects that joined it) as independent evidence: 1 - the product
 * of (1 - the strongest of each signal).
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/rca.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "analysis/symptom.h"
#include "analysis/kb.h"
#include "analysis/culprit.h"

#define MAX_COMMITS 256		/* the newest commits kept */
#define MAX_SPANS 65536		/* the last spans read, kept */
#define MAX_SPAN_SERVICES 256	/* the services they name */
#define MAX_TIMELINE 12
#define MAX_EVIDENCE 6
#define MAX_AFFECTED 16
#define MAX_CHAIN 12
#define WINDOW BI_CULPRIT_WINDOW
#define EFFECT_LAG (10 * BI_NS_PER_S)	/* an effect's first sign after its cause's */
#define HOUR (3600 * BI_NS_PER_S)

/* The symptoms of one problem, and what bi_rca_rank made of them. */
struct finding {
	int pattern;
	size_t nself;			/* syms of its own; the rest came with others */
	const char *service;		/* at fault */
	const char *complainer;		/* the service whose symptoms made it */
	const char *affected[MAX_AFFECTED];	/* the others showing symptoms */
	size_t naffected;
	char *why;			/* how the culprit was told, or NULL */
	const bi_symptom **syms;
	size_t nsyms;
	double strength;
	size_t count;
	int64_t first, last;
	/* From score(): */
	const bi_symptom *main;
	char *title, *signature, *file;
	jv commit;
	double correlation, similarity, confidence;
};

struct bi_rca {
	const bi_kb_pattern *pats;
	size_t npats;
	bi_symptoms *symptoms;
	size_t nrecords, nlogs;
	jv commits[MAX_COMMITS];	/* a ring of the newest */
	size_t ncommits;
	bi_culprit_span *spans;		/* a ring of the newest, made with the first */
	size_t nspans;
	char *span_services[MAX_SPAN_SERVICES];
	size_t nspan_services;
	struct finding *f;		/* from bi_rca_rank, the most likely first */
	size_t nf;
	int ranked;
};

/* ---- records ---- */

static void
on_commit(bi_rca *a, jv rec)
{
	bi_symptoms_commit(a->symptoms, bi_record_ts(rec));
	jv *slot = &a->commits[a->ncommits++ % MAX_COMMITS];
	if (a->ncommits > MAX_COMMITS)
		jv_free(*slot);
	*slot = rec;
}

static void
on_span(bi_rca *a, jv rec)	/* borrows rec */
{
	const char *trace = bi_get_str(rec, "trace_id"), *svc = bi_get_str(rec, "service");
	const char *status = bi_get_str(rec, "status");
	uint64_t id = bi_culprit_span_id(bi_get_str(rec, "span_id"));
	size_t k = 0;

	if (!trace || !*trace || strlen(trace) > 32 || !svc || !*svc || !id)
		return;
	while (k < a->nspan_services && strcmp(a->span_services[k], svc))
		k++;
	if (k == MAX_SPAN_SERVICES)
		return;
	if (k == a->nspan_services)
		a->span_services[a->nspan_services++] = bi_strdup(svc);
	if (!a->spans)
		a->spans = bi_calloc(MAX_SPANS, sizeof *a->spans);
	bi_culprit_span *s = &a->spans[a->nspans++ % MAX_SPANS];
	strcpy(s->trace, trace);
	s->id = id;
	s->parent = bi_culprit_span_id(bi_get_str(rec, "parent_id"));
	s->service = a->span_services[k];
	s->ts = bi_record_ts(rec);
	s->error = status && !strcmp(status, "error");
}

void
bi_rca_add(bi_rca *a, jv rec)
{
	if (a->ranked) {
		jv_free(rec);
		return;
	}
	const char *kind = bi_get_str(rec, "kind");

	a->nrecords++;
	if (kind && !strcmp(kind, "commit")) {
		on_commit(a, rec);
		return;
	}
	if (kind && !strcmp(kind, "log"))
		a->nlogs++;
	if (kind && !strcmp(kind, "span"))
		on_span(a, rec);
	bi_symptoms_add(a->symptoms, rec);
	jv_free(rec);
}

int
bi_rca_skip(bi_rca *a, const char *line, size_t len)
{
	if (a->ranked || !bi_symptoms_skip(a->symptoms, line, len))
		return 0;
	a->nrecords++;
	a->nlogs++;
	return 1;
}

void
bi_rca_depend(bi_rca *a, const char *service, const char *dep)
{
	bi_symptoms_depend(a->symptoms, service, dep);
}

void
bi_rca_counts(const bi_rca *a, size_t *records, size_t *logs)
{
	*records = a->nrecords;
	*logs = a->nlogs;
}

/* ---- findings ---- */

/* A symptom's line for people: its `what`, which every kind but a log
 * template (told by its sample) has; its kind's name should one not. */
static const char *
what_of(const bi_symptom *s)
{
	return s->what ? s->what : bi_symptom_kind_name(s->kind);
}

/* A symptom from a container's events, which a timeline has already. */
static int
from_container(const bi_symptom *s)
{
	return s->kind == BI_SYMPTOM_CRASH || s->kind == BI_SYMPTOM_START ||
	       s->kind == BI_SYMPTOM_OOM || s->kind == BI_SYMPTOM_STOPPED;
}

static void
add_sym(struct finding *f, const bi_symptom *s)
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
static const bi_symptom *
main_sym(const struct finding *f)
{
	const bi_symptom *best = NULL;

	int own = 0;	/* the culprit's own symptoms first, when it has some */
	for (size_t i = 0; i < f->nsyms && !own; i++)
		own = f->syms[i]->problem && !strcmp(f->syms[i]->service, f->service);
	for (size_t i = 0; i < f->nsyms; i++) {
		const bi_symptom *s = f->syms[i];
		if (!s->problem || (own && strcmp(s->service, f->service)))
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
			const bi_symptom *s = f->syms[k];
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
action_text(const bi_container_event *e, char *buf, size_t n)
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
	for (const bi_service *sv = bi_symptoms_services(a->symptoms); sv; sv = sv->next) {
		int mine = !strcmp(sv->name, f->service ? f->service : "-");
		for (size_t i = 0; !mine && i < f->nsyms; i++)
			mine = !strcmp(f->syms[i]->service, sv->name);
		if (!mine)
			continue;
		size_t kept = bi_service_nevents(sv);
		for (size_t i = 0; i < kept; i++) {
			const bi_container_event *e = bi_service_event(sv, i);
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
	const bi_note *notes;
	size_t nnotes = bi_symptoms_notes(a->symptoms, &notes);
	for (size_t i = 0; i < nnotes; i++) {
		int ours = f->service && !strcmp(notes[i].service, f->service);
		for (size_t k = 0; !ours && k < f->naffected; k++)
			ours = !strcmp(notes[i].service, f->affected[k]);
		if (ours && notes[i].ts >= from && notes[i].ts <= to)
			entry_add(&v, &n, notes[i].ts, bi_strdup(notes[i].text));
	}
	for (size_t i = 0; i < f->nsyms; i++) {
		const bi_symptom *s = f->syms[i];
		if (!s->problem || from_container(s))
			continue;	/* container events are there already */
		if (s->cluster)
			entry_add(&v, &n, s->first, bi_asprintf("%s %s: %s%s", s->service,
				  s->level >= 4 ? "error" : s->level == 3 ? "warning" : "slow request",
				  s->sample, s->count > 1 ? " (the first)" : ""));
		else
			entry_add(&v, &n, s->first, bi_strdup(what_of(s)));
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

/* The frame of a stack trace where it was thrown, that names a file and
 * line: the first (Java, Go, Node), or the last of a Python traceback
 * ("most recent call last"). */
static char *
first_frame(const char *stack)
{
	const char *last = NULL;
	for (const char *p = stack; p && *p && strstr(stack, "most recent call last");) {
		const char *file = strstr(p, "File \"");
		if (!file)
			break;
		last = file;
		p = file + 6;
	}
	if (last) {
		size_t n = strcspn(last, "\n");
		return bi_strndup(last, n > 160 ? 160 : n);
	}
	for (const char *p = stack; p && *p;) {
		size_t n = strcspn(p, "\n");
		const char *colon = memchr(p, ':', n);
		const char *file = memmem(p, n, "File \"", 6);
		if (file && p != stack) {
			n -= (size_t)(file - p);
			return bi_strndup(file, n > 160 ? 160 : n);
		}
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
	const bi_symptom *x = *(const bi_symptom *const *)a, *y = *(const bi_symptom *const *)b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* What a finding is called, what it is matched by, what it followed and how
 * sure it is: all that ranks it, without the record. */
static void
score(bi_rca *a, struct finding *f, bi_db *db)
{
	const bi_kb_pattern *p = f->pattern >= 0 ? &a->pats[f->pattern] : NULL;
	const bi_symptom *m = f->main = main_sym(f);
	const char *template = bi_symptoms_template(a->symptoms, m);
	const char *svc = f->service && strcmp(f->service, "-") ? f->service : NULL;
	char *base;

	f->commit = correlate(a, f, &f->correlation, &f->file);
	if (p) {
		base = f->naffected ? bi_asprintf("%s in %s, affecting %s%s", p->name, svc ? svc : "?",
						  f->affected[0], f->naffected > 1 ? " and others" : "") :
			bi_asprintf("%s%s%s", p->name, svc ? " in " : "", svc ? svc : "");
		const char *sha = bi_get_str(f->commit, "sha");
		f->title = f->correlation >= 0.5 ?
			bi_asprintf("%s after commit %.7s", base, sha ? sha : "?") : bi_strdup(base);
	} else if (m->cluster) {
		char *t = bi_strclip(template, 70);
		base = bi_asprintf("%s in %s: %s", m->level >= 5 ? "Fatal error" : "Error",
				   svc ? svc : "the logs", t);
		f->title = bi_strdup(base);
		free(t);
	} else {
		base = bi_strclip(what_of(m), 90);
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

struct link {
	int64_t ts;
	const char *service;
	char *what;
};

static int
by_link_ts(const void *a, const void *b)
{
	const struct link *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* The evidence linking the culprit to the affected, in time order: the
 * culprit's container events and first symptoms, then each affected
 * service's first symptom; at most MAX_CHAIN, the earliest. */
static jv
chain(bi_rca *a, const struct finding *f)
{
	struct link *v = NULL;
	size_t n = 0;
	char buf[128];
	const bi_service *sv = bi_symptoms_service(a->symptoms, f->service);

	for (size_t i = 0; sv && i < bi_service_nevents(sv); i++) {
		const bi_container_event *e = bi_service_event(sv, i);
		if (e->ts < f->first - WINDOW || e->ts > f->last ||
		    !strcmp(e->action, "create") || !strcmp(e->action, "destroy") ||
		    !strcmp(e->action, "start") || !strcmp(e->action, "stop"))
			continue;
		v = bi_realloc(v, (n + 1) * sizeof *v);
		v[n++] = (struct link){e->ts, sv->name, bi_asprintf("container %s", action_text(e, buf, sizeof buf))};
	}
	for (size_t pass = 0; pass <= f->naffected; pass++) {
		const char *who = pass ? f->affected[pass - 1] : f->service;
		const bi_symptom *first = NULL;
		for (size_t i = 0; i < f->nsyms; i++) {
			const bi_symptom *s = f->syms[i];
			if (s->problem && !from_container(s) && !strcmp(s->service, who) &&
			    s->first && (!first || s->first < first->first))
				first = s;
		}
		if (!first)
			continue;
		v = bi_realloc(v, (n + 1) * sizeof *v);
		v[n++] = (struct link){first->first, who, first->cluster ?
			bi_strclip(first->sample ? first->sample : "", 200) : bi_strdup(what_of(first))};
	}
	if (n)
		qsort(v, n, sizeof *v, by_link_ts);
	jv out = jv_array();
	for (size_t i = 0; i < n; i++) {
		if (i < MAX_CHAIN) {
			char ts[BI_TS_LEN];
			jv e = jv_object_set(jv_object(), jv_string("ts"), jv_string(bi_ts_fmt(v[i].ts, ts)));
			e = jv_object_set(e, jv_string("service"), jv_string(v[i].service));
			e = jv_object_set(e, jv_string("what"), jv_string(v[i].what));
			out = jv_array_append(out, e);
		}
		free(v[i].what);
	}
	free(v);
	return out;
}

/* The exception a text names: a Go panic's message, or the last word that
 * ends in Error or Exception ("ZeroDivisionError", "java.lang.NullPointerException");
 * NULL when none. */
static char *
exception_of(const char *text)
{
	const char *panic = text ? strstr(text, "panic: ") : NULL;
	if (panic) {
		size_t n = strcspn(panic, "\n");
		return bi_strndup(panic, n > 120 ? 120 : n);
	}
	char *best = NULL;
	for (const char *p = text; p && *p;) {
		while (*p && !(isalnum((unsigned char)*p) || *p == '_'))
			p++;
		const char *q = p;
		while (*q && (isalnum((unsigned char)*q) || *q == '_' || *q == '.' || *q == '$'))
			q++;
		size_t n = (size_t)(q - p);
		while (n && p[n - 1] == '.')
			n--;
		if ((n > 5 && !strncmp(p + n - 5, "Error", 5)) ||
		    (n > 9 && !strncmp(p + n - 9, "Exception", 9))) {
			free(best);
			best = bi_strndup(p, n);
			if (strchr(text, '\n') && q - text < (ptrdiff_t)strcspn(text, "\n"))
				break;	/* a one-line message names it first */
		}
		p = q;
	}
	return best;
}

static const char *
signal_name(int code)
{
	switch (code) {
	case 132: return "SIGILL";
	case 134: return "SIGABRT";
	case 135: return "SIGBUS";
	case 136: return "SIGFPE";
	case 139: return "SIGSEGV";
	default: return NULL;
	}
}

/* A crash's signature: the signal it died by, the exception, the top frame,
 * how many times, since when; jv_invalid() for a finding with no crash. */
static jv
crash_of(bi_rca *a, const struct finding *f)
{
	size_t count = 0;
	int64_t since = 0;
	const char *sig = NULL;
	char *exc = NULL, *frame = NULL;
	const bi_kb_pattern *p = f->pattern >= 0 ? &a->pats[f->pattern] : NULL;
	int crash_pattern = p && bi_kb_in(p->containers, "crash");

	for (size_t i = 0; i < f->nsyms; i++) {
		const bi_symptom *s = f->syms[i];
		if (s->kind == BI_SYMPTOM_CRASH) {
			count += s->count;
			if (!since || s->first < since)
				since = s->first;
			const bi_service *sv = bi_symptoms_service(a->symptoms, s->service);
			for (size_t k = 0; sv && k < bi_service_nevents(sv); k++) {
				const bi_container_event *e = bi_service_event(sv, k);
				if (!strcmp(e->action, "die") && signal_name(e->exit_code))
					sig = signal_name(e->exit_code);
			}
		}
	}
	if (!count && !crash_pattern)
		return jv_invalid();
	for (size_t i = 0; i < f->nsyms; i++) {
		const bi_symptom *s = f->syms[i];
		if (!s->cluster || !s->problem)
			continue;
		if (!count && s->pattern == f->pattern) {
			count += s->count;
			if (!since || s->first < since)
				since = s->first;
		}
		if (!exc) {
			char *text = bi_asprintf("%s\n%s", s->sample ? s->sample : "", s->stack ? s->stack : "");
			exc = exception_of(text);
			free(text);
		}
		if (!frame)
			frame = first_frame(s->stack);
		if (!sig && s->sample && (strstr(s->sample, "SIGSEGV") || strstr(s->sample, "segmentation fault")))
			sig = "SIGSEGV";
	}
	if (!count)
		return jv_invalid();
	char ts[BI_TS_LEN];
	jv c = jv_object_set(jv_object(), jv_string("signal"), sig ? jv_string(sig) : jv_null());
	c = jv_object_set(c, jv_string("exception"), exc ? jv_string(exc) : jv_null());
	c = jv_object_set(c, jv_string("frame"), frame ? jv_string(frame) : jv_null());
	c = jv_object_set(c, jv_string("count"), jv_number(count));
	c = jv_object_set(c, jv_string("since"), jv_string(bi_ts_fmt(since ? since : f->first, ts)));
	free(exc);
	free(frame);
	return c;
}

/* The finding record. */
static jv
build(bi_rca *a, struct finding *f, bi_db *db)
{
	const bi_kb_pattern *p = f->pattern >= 0 ? &a->pats[f->pattern] : NULL;
	const bi_symptom *m = f->main;
	char ts[BI_TS_LEN], h[16];
	double corr = f->correlation, sim;
	char *file = f->file;
	jv commit = f->commit;
	jv out = bi_record("finding");

	const char *template = bi_symptoms_template(a->symptoms, m);
	const char *svc = f->service && strcmp(f->service, "-") ? f->service : NULL;
	out = jv_object_set(out, jv_string("title"), jv_string(f->title));
	out = jv_object_set(out, jv_string("pattern"), p ? jv_string(p->id) : jv_null());
	out = jv_object_set(out, jv_string("severity"), jv_string(p ? p->severity :
			    m->level >= 5 ? "high" : "medium"));
	out = jv_object_set(out, jv_string("count"), jv_number(f->count));
	out = jv_object_set(out, jv_string("first_seen"), jv_string(bi_ts_fmt(f->first, ts)));
	out = jv_object_set(out, jv_string("last_seen"), jv_string(bi_ts_fmt(f->last, ts)));
	out = jv_object_set(out, jv_string("service"), svc ? jv_string(svc) : jv_null());
	jv aff = jv_array();
	for (size_t i = 0; i < f->naffected; i++)
		aff = jv_array_append(aff, jv_string(f->affected[i]));
	out = jv_object_set(out, jv_string("affected"), aff);
	out = jv_object_set(out, jv_string("chain"), chain(a, f));
	jv crash = crash_of(a, f);
	if (jv_is_valid(crash))
		out = jv_object_set(out, jv_string("crash"), crash);
	else
		jv_free(crash);
	out = jv_object_set(out, jv_string("template"), template ? jv_string(template) : jv_null());

	/* Why: what was seen, what it usually means, what it followed. */
	bi_buf rc = {0};
	hms(f->first, h);
	if (m->cluster) {
		bi_buf_printf(&rc, "%s logged \"%s\" %zu time%s since %s.", m->service,
			      m->sample, m->count, m->count == 1 ? "" : "s", h);
	} else {
		bi_buf_printf(&rc, "%s; first at %s.", what_of(m), h);
		rc.p[0] = (char)toupper((unsigned char)rc.p[0]);
	}
	/* How many of the service's requests failed, when the pattern is
	 * about failing requests. */
	int about_status = 0;
	for (size_t i = 0; p && i < p->nconds; i++)
		about_status |= !strcmp(p->conds[i].field, "status");
	const bi_service *sv = about_status && svc ? bi_symptoms_service(a->symptoms, svc) : NULL;
	if (sv && sv->requests && sv->errors5xx)
		bi_buf_printf(&rc, " It answered %zu of %zu requests (%.1f%%) with a server error.",
			      sv->errors5xx, sv->requests, 100.0 * sv->errors5xx / sv->requests);
	if (f->naffected) {
		bi_buf_printf(&rc, " The fault is in %s%s%s; affected:", svc ? svc : "?",
			      f->why ? ": " : "", f->why ? f->why : "");
		for (size_t i = 0; i < f->naffected; i++)
			bi_buf_printf(&rc, "%s %s", i ? "," : "", f->affected[i]);
		bi_buf_adds(&rc, ".");
	}
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
		const bi_symptom *s = f->syms[i];
		jv e = s->cluster ?
			jv_string_fmt("%s %s x%zu: %s", s->level >= 5 ? "FATAL" : s->level == 4 ?
				      "ERROR" : s->level == 3 ? "WARN" : "SLOW", s->service, s->count,
				      s->sample) :
			jv_string(what_of(s));
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

/* ---- the culprit (culprit.c) ---- */

static const char *
culprit(bi_culprits *c, struct finding *f)
{
	const bi_problem p = {f->service, f->pattern, f->first, f->last, f->syms, f->nsyms};

	free(f->why);
	f->why = NULL;
	return bi_culprit(c, &p, &f->why);
}

static void
affect(struct finding *f, const char *name)
{
	if (!strcmp(name, f->service) || !strcmp(name, "-"))
		return;
	for (size_t i = 0; i < f->naffected; i++)
		if (!strcmp(f->affected[i], name))
			return;
	if (f->naffected < MAX_AFFECTED)
		f->affected[f->naffected++] = name;
}

/* Take src's symptoms into dst as its own (the same problem): the own of
 * both first, then the effects that had joined either. */
static void
merge_own(struct finding *dst, const struct finding *src)
{
	const bi_symptom **old = dst->syms;
	size_t nold = dst->nsyms, own = dst->nself;

	dst->syms = bi_calloc(nold + src->nsyms + 1, sizeof *dst->syms);
	memcpy(dst->syms, old, own * sizeof *old);
	memcpy(dst->syms + own, src->syms, src->nself * sizeof *old);
	memcpy(dst->syms + own + src->nself, old + own, (nold - own) * sizeof *old);
	dst->nsyms = nold + src->nself;
	free(old);
	for (size_t j = src->nself; j < src->nsyms; j++)	/* and their counts */
		add_sym(dst, src->syms[j]);
	for (size_t j = 0; j < src->nself; j++) {
		const bi_symptom *s = src->syms[j];
		if (s->problem) {
			dst->count += s->count;
			if (s->first && (!dst->first || s->first < dst->first))
				dst->first = s->first;
			if (s->last > dst->last)
				dst->last = s->last;
		}
	}
	dst->nself = own + src->nself;
}

/* Is a pattern read on a field's condition (metrics: [status >= 500])? */
static int
has_cond(const bi_kb_pattern *p, const char *field)
{
	for (size_t k = 0; k < p->nconds; k++)
		if (!strcmp(p->conds[k].field, field))
			return 1;
	return 0;
}

/* Are failures of pattern e (server errors: a status condition) the
 * answers a service gives for its trouble of pattern d (slow requests: a
 * duration condition)? A gateway that times out on its upstream answers
 * 504: its server errors are its timeouts, not a problem of their own. */
static int
answers(const bi_kb_pattern *e, const bi_kb_pattern *d)
{
	return e != d && has_cond(e, "status") && !has_cond(e, "duration_ms") &&
	       has_cond(d, "duration_ms") && !has_cond(d, "status");
}

/* Name each finding's culprit; a finding whose culprit has a problem of
 * its own (one a pattern knows, or any when the finding's is unknown too),
 * or the same problem as another's, joins it as an effect. */
static void
blame(bi_rca *a, struct finding *f, size_t n)
{
	const char **who = bi_calloc(n, sizeof *who);
	size_t *home = bi_calloc(n, sizeof *home);	/* where each went */
	bi_culprits *c = bi_culprits_new(a->symptoms, a->npats, a->commits,
					 a->ncommits < MAX_COMMITS ? a->ncommits : MAX_COMMITS);
	bi_culprits_spans(c, a->spans, a->nspans < MAX_SPANS ? a->nspans : MAX_SPANS);

	for (size_t i = 0; i < n; i++) {
		home[i] = i;
		f[i].nself = f[i].nsyms;
		f[i].complainer = f[i].service;
		who[i] = f[i].nsyms ? culprit(c, &f[i]) : f[i].service;
	}
	bi_culprits_free(c);
	/* A culprit that is itself a victim of another passes the blame on. */
	for (size_t round = 0; round < n; round++) {
		int moved = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; strcmp(who[i], f[i].service) && k < n; k++)
				if (k != i && f[k].nsyms && f[i].nsyms && f[k].pattern == f[i].pattern &&
				    !strcmp(f[k].service, who[i]) && strcmp(who[k], who[i]) &&
				    strcmp(who[k], f[i].service)) {
					who[i] = who[k];
					moved = 1;
				}
		if (!moved)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		if (!f[i].nsyms || !strcmp(who[i], f[i].service))
			continue;
		/* Its culprit's own problem: one it logged itself. */
		size_t g = n;
		for (size_t k = 0; k < n && g == n; k++)
			if (k != i && f[k].nsyms && (f[k].pattern >= 0 || f[i].pattern < 0) &&
			    !strcmp(f[k].complainer, who[i]) &&
			    !strcmp(who[k], who[i]) && f[k].first <= f[i].last &&
			    f[k].last >= f[i].first - WINDOW)
				g = k;
		if (g == n) {
			f[i].service = who[i];
			affect(&f[i], f[i].complainer);
			continue;
		}
		for (size_t j = 0; j < f[i].nsyms; j++)
			add_sym(&f[g], f[i].syms[j]);
		affect(&f[g], f[i].complainer);
		for (size_t j = 0; j < f[i].naffected; j++)
			affect(&f[g], f[i].affected[j]);
		if (!f[g].why) {
			f[g].why = f[i].why;
			f[i].why = NULL;
		}
		f[i].nsyms = 0;
		home[i] = g;
	}
	/* The same problem blamed on one service by several: one finding. */
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; f[i].nsyms && f[i].pattern >= 0 && k < n; k++) {
			if (!f[k].nsyms || f[k].pattern != f[i].pattern || strcmp(f[k].service, f[i].service))
				continue;
			merge_own(&f[i], &f[k]);
			affect(&f[i], f[k].complainer);
			for (size_t j = 0; j < f[k].naffected; j++)
				affect(&f[i], f[k].affected[j]);
			f[k].nsyms = 0;
			for (size_t j = 0; j < n; j++)
				if (home[j] == k)
					home[j] = i;
		}
	/* Failing or slow requests (a pattern that is often an effect) of a
	 * service whose trouble, from the same moment, is blamed on another,
	 * or that has a problem of another kind of its own under way then
	 * (a proxy's 502s while its upstream refuses connections; its 504s
	 * while it times out on its upstream, the server errors being the
	 * timeouts' answers), or blamed themselves on a service with a
	 * problem of another kind: effects of that problem, not one of their
	 * own. */
	for (size_t i = 0; i < n; i++) {
		if (!f[i].nsyms || f[i].pattern < 0 || !a->pats[f[i].pattern].effect)
			continue;
		int moved = strcmp(f[i].service, f[i].complainer) != 0;
		size_t g = n;
		for (size_t d = 0; d < n && g == n; d++)
			if (d != i && f[d].pattern >= 0 &&
			    (!a->pats[f[d].pattern].effect ||
			     answers(&a->pats[f[i].pattern], &a->pats[f[d].pattern])) &&
			    f[home[d]].nsyms && home[d] != i &&
			    f[d].first <= f[i].first + EFFECT_LAG && f[d].last >= f[i].first - WINDOW &&
			    (moved ? !strcmp(f[home[d]].service, f[i].service) :
			     !strcmp(f[d].complainer, f[i].complainer) &&
			     (strcmp(who[d], f[i].complainer) || f[d].last >= f[i].first)))
				g = home[d];
		if (g == n || g == i)
			continue;
		for (size_t j = 0; j < f[i].nsyms; j++)
			add_sym(&f[g], f[i].syms[j]);
		affect(&f[g], f[i].complainer);
		for (size_t j = 0; j < f[i].naffected; j++)
			affect(&f[g], f[i].affected[j]);
		f[i].nsyms = 0;
		for (size_t j = 0; j < n; j++)
			if (home[j] == i)
				home[j] = g;
	}
	/* Errors no pattern knows that the service at fault logged as the
	 * trouble it is blamed for began (a shell's "Killed" as the upstream
	 * went away): the first sign of that story, not one of their own. */
	for (size_t i = 0; i < n; i++) {
		if (!f[i].nsyms || f[i].pattern >= 0)
			continue;
		for (size_t g = 0; g < n; g++) {
			if (g == i || !f[g].nsyms || f[g].pattern < 0 ||
			    !strcmp(f[g].service, f[g].complainer) || strcmp(f[g].service, f[i].service) ||
			    f[i].first < f[g].first - WINDOW || f[i].first > f[g].first + EFFECT_LAG)
				continue;
			for (size_t j = 0; j < f[i].nsyms; j++)
				add_sym(&f[g], f[i].syms[j]);
			f[i].nsyms = 0;
			break;
		}
	}
	/* The affected in the order their trouble began. */
	for (size_t i = 0; i < n; i++) {
		int64_t t[MAX_AFFECTED];
		for (size_t k = 0; k < f[i].naffected; k++) {
			t[k] = INT64_MAX;
			for (size_t j = 0; j < f[i].nsyms; j++)
				if (f[i].syms[j]->first && f[i].syms[j]->first < t[k] &&
				    !strcmp(f[i].syms[j]->service, f[i].affected[k]))
					t[k] = f[i].syms[j]->first;
			for (size_t m = k; m > 0 && t[m] < t[m - 1]; m--) {
				int64_t x = t[m];
				const char *y = f[i].affected[m];
				t[m] = t[m - 1];
				f[i].affected[m] = f[i].affected[m - 1];
				t[m - 1] = x;
				f[i].affected[m - 1] = y;
			}
		}
	}
	free(who);
	free(home);
}

/* A sign that a service keeps restarting, which does not say why: its
 * container exiting, Kubernetes backing off. */
static int
restart_loop(const bi_symptom *s)
{
	return s->kind == BI_SYMPTOM_CRASH || s->kind == BI_SYMPTOM_START ||
	       (s->kind == BI_SYMPTOM_K8S && (!strcmp(s->subject, "BackOff") ||
					      !strcmp(s->subject, "CrashLoopBackOff")));
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
bi_rca_rank(bi_rca *a, bi_db *db)
{
	struct finding *f = NULL;
	size_t n = 0;

	if (a->ranked)
		return a->nf;
	bi_symptoms_settle(a->symptoms);	/* traces that were no crash */
	for (const bi_symptom *s = bi_symptoms_list(a->symptoms); s; s = s->next) {
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
			if (from_container(f[k].syms[j])) {
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
	for (const bi_symptom *s = bi_symptoms_list(a->symptoms); s; s = s->next) {
		if (s->problem || s->pattern < 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (f[i].nsyms && f[i].pattern == s->pattern && strcmp(f[i].service, s->service) &&
			    s->first <= f[i].last && s->last >= f[i].first - 10 * 60 * BI_NS_PER_S)
				add_sym(&f[i], s);
	}
	blame(a, f, n);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (!f[i].nsyms) {
			free(f[i].syms);
			free(f[i].why);
			continue;
		}
		double miss = 1;
		for (int c = 0; c < BI_NSIGNALS; c++) {
			double w = 0;
			for (size_t k = 0; k < f[i].nself && k < f[i].nsyms; k++)
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
bi_rca_finding(bi_rca *a, size_t i, bi_db *db)
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
	a->symptoms = bi_symptoms_new(pats, npats);
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
		free(a->f[i].why);
		free(a->f[i].syms);
	}
	free(a->f);
	for (size_t i = 0; i < a->ncommits && i < MAX_COMMITS; i++)
		jv_free(a->commits[i]);
	free(a->spans);
	for (size_t i = 0; i < a->nspan_services; i++)
		free(a->span_services[i]);
	bi_symptoms_free(a->symptoms);
	free(a);
}
