/* analysis/symptom.h: the interface of symptom.c (layer: analysis). */
#ifndef BI_ANALYSIS_SYMPTOM_H
#define BI_ANALYSIS_SYMPTOM_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/drain.h"
#include "analysis/pattern.h"
/* Symptoms: records in, one at a time; out, what points at a problem, each
 * kind of trouble of a service once with a count, and what the records tell
 * of each service (its requests, its container's events and memory). Memory
 * grows with the services, the symptoms and the log templates, not with the
 * records. What the symptoms mean together is rca.c's job. */
typedef struct bi_symptoms bi_symptoms;

/* The kinds of symptom. A container's kinds are named as the knowledge
 * base's `containers:` lists name them. */
typedef enum bi_symptom_kind {
	BI_SYMPTOM_LOG,		/* an error, warning or slow request's log template */
	BI_SYMPTOM_CRASH,	/* a container died by a signal, or exited
				   non-zero, unasked, after it had run */
	BI_SYMPTOM_START,	/* a container exited non-zero, unasked, at
				   start: before it was healthy, within 30 s */
	BI_SYMPTOM_OOM,		/* a container killed for running out of memory */
	BI_SYMPTOM_STOPPED,	/* a container stopped: support for the others'
				   connection problems, no problem of its own */
	BI_SYMPTOM_STATS,	/* container stats past a pattern's condition */
	BI_SYMPTOM_HEALTH,	/* a failing health check */
	BI_SYMPTOM_ALERT,	/* a firing alert */
	BI_SYMPTOM_K8S,		/* a Kubernetes warning */
	BI_SYMPTOM_PERF,	/* a load test past its thresholds */
	BI_SYMPTOM_CHAOS,	/* a failed chaos scenario */
	BI_SYMPTOM_METRIC,	/* a metric past a pattern's condition */
	BI_SYMPTOM_NKINDS
} bi_symptom_kind;

/* A kind's name ("log", "crash", "start-failure", "oom",
 * "dependency-stopped", "stats", "health", "alert", "k8s", "perf", "chaos",
 * "metric"); NULL for a value
 * that is no kind. Static: never freed. */
const char *bi_symptom_kind_name(bi_symptom_kind kind);

/* Where the evidence for a pattern comes from: each weighs differently
 * towards a pattern match (symptom.c's weights). */
enum {
	BI_SIGNAL_LOG, BI_SIGNAL_METRIC, BI_SIGNAL_CONTAINER, BI_SIGNAL_K8S,
	BI_SIGNAL_CHAOS, BI_SIGNAL_SUPPORT, BI_NSIGNALS
};

/* A symptom: the records of one kind of trouble of one service. Owned by
 * its bi_symptoms, valid until bi_symptoms_free; read only. */
typedef struct bi_symptom {
	bi_symptom_kind kind;
	char *service;			/* "-" when the records name none */
	char *subject;			/* what it is about within its kind and
					   service: a health check's target, an
					   alert's or metric's name, a Kubernetes
					   reason, a load test's target, a chaos
					   scenario, a log template's index; "" if
					   none */
	int pattern;			/* an index into the patterns; -1: none */
	double strength[BI_NSIGNALS];	/* per signal, towards pattern */
	int problem;			/* a finding of its own, not only support */
	size_t count;			/* records taken */
	int64_t first, last;		/* their times (ns); 0 when none had one */
	int level;			/* logs: the highest level (bi_level_rank); else -1 */
	char *what;			/* a line for people; NULL for a log template */
	char *sample;			/* a message, for matching and root causes; or NULL */
	char *stack;			/* logs: the first one's stack trace, clipped; or NULL */
	char *logger;			/* logs: the first one's logger; or NULL */
	int reply;			/* logs: its pattern matched a server's reply
					   its service relays (bi_kb_reply) */
	const bi_drain_cluster *cluster;	/* logs: the template; else NULL */
	int gone;			/* logs: a trace the process lived on,
					   of a write that found the peer gone
					   (a broken pipe): the client gave up
					   (bi_symptoms_settle) */
	int settled;			/* bi_symptoms_settle saw it */
	struct bi_symptom *next;	/* the next older symptom */
	/* Symptom.c's own: its identity and place in the table. */
	char *key;
	uint64_t hash;
	struct bi_symptom *chain;
} bi_symptom;

/* A container event of a service, as bi_symptoms keeps them. */
typedef struct bi_container_event {
	int64_t ts;
	char action[16];	/* "start", "die", "oom", "unhealthy", "healthy" ... */
	int exit_code;
} bi_container_event;

enum { BI_SERVICE_DEPS = 32 };	/* depends_on kept per service */

enum { BI_SERVICE_EVENTS = 64 };	/* container events kept per service */

/* A service as its records tell it. Owned by its bi_symptoms; read only. */
typedef struct bi_service {
	char *name;			/* "-" for records that name none */
	size_t requests, errors5xx;	/* log records with an HTTP status */
	double mem_first, mem_max, mem_limit;	/* bytes, from stats; 0 if none */
	int64_t mem_max_ts;
	struct bi_service *next;
	/* Symptom.c's own: */
	uint64_t hash;
	bi_container_event ev[BI_SERVICE_EVENTS];	/* a ring */
	size_t nev;
	char last_action[16];
	int64_t last_action_ts;
	int64_t started;		/* its container's last start; 0 if none */
	int healthy;			/* healthy, or died by choice, since then */
	int64_t changed;		/* its last new version: a container made
					   anew, or of another image; 0 if none */
	uint64_t image;			/* the hash of its container's image */
	char *deps[BI_SERVICE_DEPS];	/* what it depends on (compose depends_on) */
	size_t ndeps;
	const char *peers[BI_SERVICE_DEPS];	/* known services its lines name as
						   NAME:PORT: the servers it is a
						   client of (borrowed names) */
	size_t npeers;
} bi_service;

/* A Kubernetes event that is no warning: part of a timeline, no symptom. */
typedef struct bi_note {
	int64_t ts;
	char *text;
	char *service;
} bi_note;

/* A new set, matching by the patterns pats (borrowed: they must outlive
 * it). A log line at least as slow as the least duration_ms any pattern
 * holds to be slow is a symptom even when it is no warning. */
bi_symptoms *bi_symptoms_new(const bi_kb_pattern *pats, size_t npats);
void bi_symptoms_free(bi_symptoms *set);

/* Take a record (borrowed): a log, a container event or stats, a health
 * check, an alert, a Kubernetes event, a metric, a load-test or chaos
 * result, a dependency (service, depends_on: a list of services). A metric
 * is also a point of its series: one whose name a pattern's trends hold
 * and that grows without bound (a gauge rising at 80% of at least 5 steps
 * to twice where it began) or jumps from its baseline (the mean of its
 * first 5 points) to three times it, two points in a row, is a symptom of
 * that pattern, once it goes far enough for its unit (100 ms, 0.1 s, a
 * ratio of 0.05, 5 percent, else 100). An alert on such a figure shows the
 * same pattern. A record of another kind, or of none, leaves everything as it
 * was; so does a record of a kind that is no trouble (a passing check, an
 * info log). Missing fields are read as absent, never as an error. */
void bi_symptoms_add(bi_symptoms *set, jv rec);

/* The fast path, for a line as bi_read_line gives it: 1 when it is a log
 * record of no interest (info and below, not slow), taken as
 * bi_symptoms_add would take it (a request of its service counted) without
 * being parsed; 0 when it is anything else, and nothing taken. */
int bi_symptoms_skip(bi_symptoms *set, const char *line, size_t len);

/* Say that service depends on dep (docker compose's depends_on), as a
 * `dependency` record does; the first BI_SERVICE_DEPS of a service are kept. */
void bi_symptoms_depend(bi_symptoms *set, const char *service, const char *dep);
/* A commit at ts: a change, for a start failure after it (bi_symptoms_add
 * tells a start failure from a crash by a change before it). */
void bi_symptoms_commit(bi_symptoms *set, int64_t ts);

/* The service of that name, made when no record named it yet (a host a
 * connection error names): its name, valid until bi_symptoms_free. */
const char *bi_symptoms_name(bi_symptoms *set, const char *name);

/* Once the records are in: a trace (a log line with a stack) matched as a
 * crash whose service's
 * container lived on (its life is in the records, and it did not die unasked,
 * get OOM-killed or restart from the trace's first to a minute after its
 * last; a stop asked for is no end) was caught and survived:
 * no crash. Its words decide its pattern, the crash pattern left out; a
 * write that found the peer gone (a broken pipe, a reset on a write) is the
 * slow pattern's (the one with a duration_ms condition), its client having
 * given up waiting, and sets ->gone. Symptoms it saw before stay. */
void bi_symptoms_settle(bi_symptoms *set);
/* Every symptom, the newest first, along ->next; NULL when none. */
const bi_symptom *bi_symptoms_list(const bi_symptoms *set);

/* A log symptom's template as one string (borrowed, valid until the next
 * record is taken or the next call); NULL for a symptom of another kind. */
const char *bi_symptoms_template(bi_symptoms *set, const bi_symptom *s);

/* Every service the records named, along ->next; NULL when none. */
const bi_service *bi_symptoms_services(const bi_symptoms *set);

/* The service of that name ("-" when name is NULL or ""), or NULL if no
 * record named it. */
const bi_service *bi_symptoms_service(const bi_symptoms *set, const char *name);

/* A service's container events kept (the newest BI_SERVICE_EVENTS), and
 * the i-th oldest of them (i below that count). */
size_t bi_service_nevents(const bi_service *sv);
const bi_container_event *bi_service_event(const bi_service *sv, size_t i);

/* The Kubernetes events that were no warnings, the newest kept: sets
 * *notes to them (borrowed, in no order) and returns how many. */
size_t bi_symptoms_notes(const bi_symptoms *set, const bi_note **notes);

#endif
