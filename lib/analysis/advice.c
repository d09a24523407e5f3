/*
 * advice.c: what to do about what a result shows, written once. A chaos
 * scenario that failed says something is missing (a restart policy, a
 * timeout, a limit), one that recovered slowly or never ran says the score
 * is weak, and a project's files can go against good practice (a service
 * without a health check or a memory limit). The advice for each is an
 * entry of one table, built in below as YAML, which a user reads with
 * `bi-kb advice` and overrides by id: bi-score's gaps and recommendations,
 * bi-kb suggest's suggestions and the knowledge base's patterns (which
 * scenarios show which pattern) all come from it.
 *
 * A scenario is matched one way, everywhere: the entry (of what happened
 * to it) with the longest of its terms that the scenario's name holds,
 * case-insensitively, the first among equals; an entry without terms holds
 * any scenario, as the shortest match. So "db-latency" finds its own entry
 * before the "latency" of network-latency's, and "redis-down" finds
 * dependency-down's "redis".
 *
 * Knowledge is read one way, here, for this table and the patterns'
 * (pattern.c) alike: a YAML list of entries with ids, the built-in ones
 * first, then the user's (blissful-infra.yaml, --patterns files), an entry
 * replacing an earlier one of its id. A table's schema says what differs:
 * how an entry is read and freed, and where its list is in a document.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "analysis/advice.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "base/config.h"

/* {scenario}, {service} and {name} stand for what they say. */
static const char builtin[] =
"- id: pod-kill\n"
"  on: failed\n"
"  scenarios: [pod-kill, kill, restart]\n"
"  severity: critical\n"
"  gap: self-healing\n"
"  title: Make the service heal itself\n"
"  advice: >-\n"
"    Give the app a restart policy (compose: restart: unless-stopped; Kubernetes: a\n"
"    Deployment with liveness probes) and make it start fast.\n"
"- id: crash\n"
"  on: failed\n"
"  scenarios: [crash]\n"
"  severity: critical\n"
"  gap: self-healing\n"
"  pattern: crash\n"
"  title: Make the service heal itself\n"
"  advice: >-\n"
"    Find why it exits (the first error it logs), give it a restart policy, and keep\n"
"    it out of traffic with a readiness check while it restarts.\n"
"- id: pause\n"
"  on: failed\n"
"  scenarios: [pause, freeze]\n"
"  severity: medium\n"
"  gap: self-healing\n"
"  title: Replace a frozen service\n"
"  advice: >-\n"
"    Let health checks notice a frozen process and replace it; keep clients'\n"
"    timeouts short.\n"
"- id: dependency-down\n"
"  on: failed\n"
"  scenarios: [dependency-down, depend, partition, redis, postgres, kafka]\n"
"  severity: high\n"
"  gap: dependency isolation\n"
"  pattern: connection-refused\n"
"  title: Isolate the service from its dependencies\n"
"  advice: >-\n"
"    Keep serving what does not need the dependency: time out its calls, report it\n"
"    in /ready (not /health), and do not exit when it is lost.\n"
"- id: network-latency\n"
"  on: failed\n"
"  scenarios: [network-latency, latency, slow]\n"
"  severity: high\n"
"  gap: timeouts / circuit breaker\n"
"  pattern: slow-queries\n"
"  title: Add timeouts and a circuit breaker\n"
"  advice: >-\n"
"    Put timeouts on every network call and a circuit breaker in front of slow\n"
"    peers, so latency does not turn into errors.\n"
"- id: db-latency\n"
"  on: failed\n"
"  scenarios: [db-latency]\n"
"  severity: high\n"
"  gap: timeouts / circuit breaker\n"
"  pattern: slow-queries\n"
"  title: Bound the time spent waiting on the database\n"
"  advice: >-\n"
"    Bound database calls with statement and connection timeouts, and size the\n"
"    pool for slow queries.\n"
"- id: memory-pressure\n"
"  on: failed\n"
"  scenarios: [memory-pressure, memory]\n"
"  severity: medium\n"
"  gap: resource limits\n"
"  pattern: out-of-memory\n"
"  title: Set resource limits and bound memory use\n"
"  advice: >-\n"
"    Set memory limits with headroom, and keep caches and queues bounded, so\n"
"    pressure costs speed, not the process.\n"
"- id: cpu-pressure\n"
"  on: failed\n"
"  scenarios: [cpu-pressure, cpu]\n"
"  severity: medium\n"
"  gap: resource limits\n"
"  title: Set CPU requests and limits\n"
"  advice: Set CPU requests and limits, and keep request handling off busy loops.\n"
"- id: errors\n"
"  on: failed\n"
"  scenarios: [error]\n"
"  severity: high\n"
"  gap: error handling\n"
"  pattern: high-error-rate\n"
"  title: Contain a dependency's errors\n"
"  advice: >-\n"
"    Retry transient errors with backoff, put a circuit breaker in front of a\n"
"    failing dependency, and answer with less rather than with an error.\n"
"- id: kafka-lag\n"
"  on: failed\n"
"  scenarios: [kafka-lag]\n"
"  severity: medium\n"
"  gap: consumer throughput\n"
"  pattern: kafka-consumer-lag\n"
"  title: Keep consumers up with their topics\n"
"  advice: >-\n"
"    Add consumers (up to the number of partitions), keep each poll's work small,\n"
"    and alert on consumer lag.\n"
"- id: disk\n"
"  on: failed\n"
"  scenarios: [disk]\n"
"  severity: medium\n"
"  gap: disk limits\n"
"  pattern: disk-pressure\n"
"  title: Bound what is written to disk\n"
"  advice: >-\n"
"    Rotate logs, set retention on data and limits on ephemeral storage, and\n"
"    alert on disk use above 80%.\n"
"- id: failed\n"
"  on: failed\n"
"  severity: high\n"
"  gap: \"{scenario}\"\n"
"  title: \"Make the service survive {scenario}\"\n"
"- id: slow-recovery\n"
"  on: slow\n"
"  severity: medium\n"
"  gap: slow recovery\n"
"  title: Recover faster\n"
"  advice: >-\n"
"    Check the health check's interval and the service's start-up time: until it\n"
"    is healthy again it is down.\n"
"- id: not-run\n"
"  on: not-run\n"
"  severity: low\n"
"  gap: coverage gap\n"
"  title: \"Run the chaos scenario {scenario}\"\n"
"  advice: \"untested is not safe: blissful-infra chaos --scenario {scenario}\"\n"
"- id: compose-healthcheck\n"
"  on: compose.healthcheck\n"
"  severity: high\n"
"  gap: health check\n"
"  title: \"Add a health check to {service}\"\n"
"  advice: >-\n"
"    without one Docker cannot tell that {service} hangs, and the services that\n"
"    need it cannot wait until it is ready\n"
"- id: compose-memory\n"
"  on: compose.memory\n"
"  severity: medium\n"
"  gap: memory limit\n"
"  title: \"Set a memory limit on {service}\"\n"
"  advice: >-\n"
"    a leak in {service} grows until the machine runs out; with a limit it is an\n"
"    OOM kill that restarts only {service}\n"
"- id: compose-restart\n"
"  on: compose.restart\n"
"  severity: medium\n"
"  gap: restart policy\n"
"  title: \"Restart {service} when it fails\"\n"
"  advice: \"restart: unless-stopped brings {service} back after a crash\"\n"
"- id: config-ready\n"
"  on: config.ready\n"
"  severity: medium\n"
"  gap: readiness check\n"
"  title: Give the service a readiness check\n"
"  advice: >-\n"
"    services.app.ready names the endpoint that says whether its dependencies\n"
"    answer, so traffic waits for them\n"
"- id: config-alerts\n"
"  on: config.alerts\n"
"  severity: medium\n"
"  gap: alerts\n"
"  title: Set alert thresholds\n"
"  advice: >-\n"
"    alerts on error rate (1% warning, 5% critical) and p95 latency (500 ms) tell\n"
"    you before your users do\n"
"- id: config-alert\n"
"  on: config.alert\n"
"  severity: low\n"
"  gap: alerts\n"
"  title: \"Alert on {name}\"\n"
"  advice: \"alerts.{name} is not set\"\n"
"- id: k8s-readiness\n"
"  on: k8s.readiness\n"
"  severity: high\n"
"  gap: readiness probe\n"
"  title: Add a readiness probe\n"
"  advice: >-\n"
"    without one a pod takes traffic before it can answer, and a bad version is\n"
"    rolled out anyway\n"
"- id: k8s-liveness\n"
"  on: k8s.liveness\n"
"  severity: medium\n"
"  gap: liveness probe\n"
"  title: Add a liveness probe\n"
"  advice: a hung pod is restarted only if something checks it\n"
"- id: k8s-limits\n"
"  on: k8s.limits\n"
"  severity: medium\n"
"  gap: resource limits\n"
"  title: Set resource limits\n"
"  advice: a pod without limits can starve the others on its node\n";

/* What an entry's `on` may say. */
static const char *const ons[] = {"failed", "slow", "not-run", "compose.healthcheck",
	"compose.memory", "compose.restart", "config.ready", "config.alerts", "config.alert",
	"k8s.readiness", "k8s.liveness", "k8s.limits", NULL};
static const char *const severities[] = {"critical", "high", "medium", "low", NULL};

static int
one_of(const char *const *list, const char *s)
{
	for (; s && *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

/* ---- tables of entries ---- */

static void
strings_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

char **
bi_advice_list(jv y, const char *key, int lower, const char *where, char *err, size_t errlen)
{
	jv list = jv_object_get(jv_copy(y), jv_string(key));
	size_t n = 0;
	char **out;

	if (jv_get_kind(list) == JV_KIND_STRING)
		list = jv_array_append(jv_array(), list);
	if (jv_get_kind(list) == JV_KIND_INVALID || jv_get_kind(list) == JV_KIND_NULL) {
		jv_free(list);
		return bi_calloc(1, sizeof(char *));
	}
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		snprintf(err, errlen, "%s: %s: not a list", where, key);
		jv_free(list);
		return NULL;
	}
	out = bi_calloc(jv_array_length(jv_copy(list)) + 1, sizeof *out);
	jv_array_foreach(list, i, e) {
		if (jv_get_kind(e) != JV_KIND_STRING && jv_get_kind(e) != JV_KIND_NUMBER) {
			snprintf(err, errlen, "%s: %s: item %d is not text (quote it if it holds \": \")",
				 where, key, i + 1);
			jv_free(e);
			jv_free(list);
			strings_free(out);
			return NULL;
		}
		jv s = jv_get_kind(e) == JV_KIND_STRING ? e : jv_dump_string(e, 0);
		out[n] = bi_strdup(jv_string_value(s));
		if (lower)
			for (char *p = out[n]; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		n++;
		jv_free(s);
	}
	jv_free(list);
	return out;
}

void
bi_advice_list_free(char **v)
{
	strings_free(v);
}

/* The user's list at path of cfg (borrowed): the value there, or, when it
 * is text, the YAML file it names (relative to the project) as
 * bi_yaml_load gives it; jv_invalid() when absent. */
static jv
user_list(jv cfg, const char *path)
{
	jv user = bi_jv_path(cfg, path);

	if (jv_get_kind(user) == JV_KIND_STRING) {	/* a file, from the project */
		char *dir = bi_project_dir();
		const char *f = jv_string_value(user);
		char *file = f[0] == '/' || !dir ? bi_strdup(f) : bi_asprintf("%s/%s", dir, f);
		jv_free(user);
		user = bi_yaml_load(file);
		free(file);
		free(dir);
	}
	return user;
}

static void *
at(const bi_advice_schema *s, const void *v, size_t i)
{
	return (char *)v + i * s->size;
}

static const char *
id_of(const bi_advice_schema *s, const void *e)
{
	return *(char *const *)((const char *)e + s->id);
}

/* The index of the entry of id among the n of v; n when there is none. */
static size_t
index_of(const bi_advice_schema *s, const void *v, size_t n, const char *id)
{
	size_t i = 0;

	while (i < n && strcmp(id_of(s, at(s, v, i)), id))
		i++;
	return i;
}

const void *
bi_advice_table_get(const bi_advice_schema *s, const void *v, size_t n, const char *id)
{
	size_t i = id ? index_of(s, v, n, id) : n;

	return i < n ? at(s, v, i) : NULL;
}

/* Add the entries of list (consumed) to *v, an entry with the id of one
 * already there replacing it: 0, or -1 with err. */
static int
table_add(const bi_advice_schema *s, void **v, size_t *n, jv list, const char *where,
	  int builtin_, char *err, size_t errlen)
{
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		snprintf(err, errlen, "%s: %s must be a list", where, s->name);
		jv_free(list);
		return -1;
	}
	jv_array_foreach(list, i, y) {
		const char *id = bi_get_str(y, "id");
		void *e;
		int r = -1;
		*v = bi_realloc(*v, (*n + 1) * s->size);
		e = at(s, *v, *n);	/* loaded past the end, then put in its place */
		if (jv_get_kind(y) != JV_KIND_OBJECT || !id || !*id) {
			snprintf(err, errlen, "%s: %s needs an id", where, s->an);
		} else {
			char *w = bi_asprintf("%s: %s %s", where, s->entry, id);
			r = s->load(y, id, w, builtin_, e, err, errlen);
			free(w);
		}
		jv_free(y);
		if (r) {
			jv_free(list);
			return -1;
		}
		size_t k = index_of(s, *v, *n, id_of(s, e));
		if (k < *n) {
			s->free(at(s, *v, k));
			memcpy(at(s, *v, k), e, s->size);
		} else {
			(*n)++;
		}
	}
	jv_free(list);
	return 0;
}

/* Why doc (invalid, consumed) is not there: its message, else name. */
static void
why(jv doc, const char *name, char *err, size_t errlen)
{
	jv msg = jv_invalid_get_msg(doc);

	snprintf(err, errlen, "%s", jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : name);
	jv_free(msg);
}

/* Add the table's list in doc (consumed; file: a --patterns file's), if
 * it holds one. */
static int
table_doc(const bi_advice_schema *s, void **v, size_t *n, jv doc, int file, const char *where,
	  char *err, size_t errlen)
{
	jv list = s->list(doc, file);

	if (!jv_is_valid(list)) {
		jv_free(list);
		return 0;
	}
	return table_add(s, v, n, list, where, 0, err, errlen);
}

void *
bi_advice_table_load(const bi_advice_schema *s, const char *builtin_, jv cfg, const char *path,
		     char *const *files, size_t nfiles, size_t *n, char *err, size_t errlen)
{
	void *v = NULL;
	char *where = bi_asprintf("built-in %s", s->name);
	int r;

	*n = 0;
	r = table_add(s, &v, n, bi_yaml_parse(builtin_, strlen(builtin_), where), where, 1,
		      err, errlen);	/* cannot fail: the tests load each table */
	free(where);
	if (r)
		goto fail;
	jv user = user_list(cfg, path);
	where = bi_asprintf("blissful-infra.yaml: %s", path);
	if (jv_is_valid(user)) {
		r = table_doc(s, &v, n, user, 0, where, err, errlen);
	} else if (jv_invalid_has_msg(jv_copy(user))) {
		why(user, where, err, errlen);
		r = -1;
	} else {
		jv_free(user);	/* none */
	}
	free(where);
	if (r)
		goto fail;
	for (size_t i = 0; i < nfiles; i++) {
		jv y = bi_yaml_load(files[i]);
		if (!jv_is_valid(y)) {
			why(y, files[i], err, errlen);
			goto fail;
		}
		if (table_doc(s, &v, n, y, 1, files[i], err, errlen))
			goto fail;
	}
	return v;
fail:
	bi_advice_table_free(s, v, *n);
	*n = 0;
	return NULL;
}

void
bi_advice_table_free(const bi_advice_schema *s, void *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s->free(at(s, v, i));
	free(v);
}

/* ---- the advice table ---- */

static void
entry_free(void *p)
{
	bi_advice *e = p;

	free(e->id);
	free(e->on);
	strings_free(e->scenarios);
	free(e->severity);
	free(e->gap);
	free(e->title);
	free(e->advice);
	free(e->pattern);
}

/* One entry of id from its YAML (borrowed): 0, or -1 with err. */
static int
entry_load(jv y, const char *id, const char *where, int builtin_, void *p, char *err,
	   size_t errlen)
{
	bi_advice *e = p;
	const char *on = bi_get_str(y, "on"), *sev = bi_get_str(y, "severity");
	const char *title = bi_get_str(y, "title");

	memset(e, 0, sizeof *e);
	if (!one_of(ons, on)) {
		snprintf(err, errlen, "%s: on must be failed, slow, not-run or a check "
			 "(compose.healthcheck ...), not %s", where, on ? on : "nothing");
		return -1;
	}
	if (sev && !one_of(severities, sev)) {
		snprintf(err, errlen, "%s: severity must be critical, high, medium or low", where);
		return -1;
	}
	if (!title || !*title) {
		snprintf(err, errlen, "%s: needs a title", where);
		return -1;
	}
	char **sc = bi_advice_list(y, "scenarios", 1, where, err, errlen);
	if (!sc)
		return -1;
	const char *gap = bi_get_str(y, "gap"), *adv = bi_get_str(y, "advice");
	const char *pat = bi_get_str(y, "pattern");
	e->id = bi_strdup(id);
	e->on = bi_strdup(on);
	e->scenarios = sc;
	e->severity = bi_strdup(sev ? sev : "medium");
	e->gap = bi_strdup(gap ? gap : title);
	e->title = bi_strdup(title);
	e->advice = bi_strdup(adv ? adv : "");
	e->pattern = pat && *pat ? bi_strdup(pat) : NULL;
	e->builtin = builtin_;
	return 0;
}

/* kb.advice is a list, or an object (a file's) with an advice list; a
 * --patterns file holds advice only as an object's advice list (a file
 * that is a list holds patterns). Null is none. */
static jv
advice_in(jv doc, int file)
{
	if (jv_get_kind(doc) == JV_KIND_OBJECT) {
		doc = jv_object_get(doc, jv_string("advice"));
	} else if (file) {
		jv_free(doc);
		return jv_invalid();
	}
	if (jv_get_kind(doc) == JV_KIND_NULL) {
		jv_free(doc);
		return jv_invalid();
	}
	return doc;
}

static const bi_advice_schema schema = {
	.name = "advice", .entry = "advice", .an = "an advice entry",
	.size = sizeof(bi_advice), .id = offsetof(bi_advice, id),
	.list = advice_in, .load = entry_load, .free = entry_free,
};

bi_advice *
bi_advice_load(jv cfg, char *const *files, size_t nfiles, size_t *n, char *err, size_t errlen)
{
	return bi_advice_table_load(&schema, builtin, cfg, "kb.advice", files, nfiles, n,
				    err, errlen);
}

void
bi_advice_free(bi_advice *a, size_t n)
{
	bi_advice_table_free(&schema, a, n);
}

/* ---- matching ---- */

int
bi_advice_match(char *const *terms, const char *name)
{
	int best = -1;

	if (!terms || !*terms)
		return 0;
	for (char *const *t = terms; name && *t; t++) {
		int k = (int)strlen(*t);
		if (k > best && strcasestr(name, *t))
			best = k;
	}
	return best;
}

const bi_advice *
bi_advice_find(const bi_advice *a, size_t n, const char *on, const char *scenario)
{
	const bi_advice *best = NULL;
	int blen = -1;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(a[i].on, on))
			continue;
		int k = scenario ? bi_advice_match(a[i].scenarios, scenario) : 0;
		if (k > blen) {
			best = &a[i];
			blen = k;
		}
	}
	return best;
}

const bi_advice *
bi_advice_get(const bi_advice *a, size_t n, const char *id)
{
	return bi_advice_table_get(&schema, a, n, id);
}

char *
bi_advice_fill(const char *text, const char *const *vars)
{
	bi_buf b = {0};

	for (const char *p = text; *p;) {
		const char *open = strchr(p, '{');
		if (!open) {
			bi_buf_adds(&b, p);
			break;
		}
		bi_buf_add(&b, p, open - p);
		const char *close = strchr(open, '}');
		const char *const *v = vars;
		for (; close && v && v[0]; v += 2)
			if (strlen(v[0]) == (size_t)(close - open - 1) &&
			    !strncmp(v[0], open + 1, close - open - 1))
				break;
		if (close && v && v[0]) {
			bi_buf_adds(&b, v[1] ? v[1] : "");
			p = close + 1;
		} else {
			bi_buf_add(&b, "{", 1);
			p = open + 1;
		}
	}
	return b.p ? b.p : bi_strdup("");
}

const char *
bi_advice_priority(const char *severity)
{
	return !strcmp(severity, "critical") ? "high" : severity;
}

jv
bi_advice_suggestion(const bi_advice *e, const char *const *vars, const char *detail,
		     const char *source)
{
	char *title = bi_advice_fill(e->title, vars), *adv = bi_advice_fill(e->advice, vars);
	jv r = bi_record("suggestion");

	r = bi_set(r, "priority", jv_string(bi_advice_priority(e->severity)));
	r = bi_set(r, "title", jv_string(title));
	if (detail && *adv)
		r = bi_set(r, "detail", jv_string_fmt("%s: %s", detail, adv));
	else
		r = bi_set(r, "detail", jv_string(detail ? detail : adv));
	r = bi_set(r, "source", jv_string(source));
	r = bi_set(r, "advice", jv_string(e->id));
	free(title);
	free(adv);
	return r;
}

/* ---- good practice ---- */

static void
suggest(jv *out, const bi_advice *a, size_t n, const char *on, const char *const *vars,
	const char *detail, const char *source)
{
	const bi_advice *e = bi_advice_find(a, n, on, NULL);

	if (e)
		*out = jv_array_append(*out, bi_advice_suggestion(e, vars, detail, source));
}

static int
has(jv v, const char *path)
{
	jv x = bi_jv_path(v, path);
	int yes = jv_is_valid(x) && jv_get_kind(x) != JV_KIND_NULL;

	jv_free(x);
	return yes;
}

/* The YAML file dir/name: its contents, jv_null() when it is not there, or
 * jv_invalid_with_msg when it is not YAML. */
static jv
load(const char *dir, const char *name)
{
	char *path = bi_asprintf("%s/%s", dir, name);
	jv y = access(path, F_OK) == 0 ? bi_yaml_load(path) : jv_null();

	free(path);
	return y;
}

static jv
compose(const bi_advice *a, size_t n, jv y, jv out)
{
	static const char file[] = "docker-compose.yaml";
	jv services = jv_object_get(jv_copy(y), jv_string("services"));

	if (jv_get_kind(services) == JV_KIND_OBJECT) {
		jv_object_foreach(services, name, svc) {
			const char *vars[] = {"service", jv_string_value(name), NULL};
			if (!has(svc, "healthcheck"))
				suggest(&out, a, n, "compose.healthcheck", vars, file, "compose");
			if (!has(svc, "mem_limit") && !has(svc, "deploy.resources.limits.memory"))
				suggest(&out, a, n, "compose.memory", vars, file, "compose");
			if (!has(svc, "restart") && !has(svc, "deploy.restart_policy"))
				suggest(&out, a, n, "compose.restart", vars, file, "compose");
			jv_free(name);
			jv_free(svc);
		}
	}
	jv_free(services);
	return out;
}

static jv
config(const bi_advice *a, size_t n, jv cfg, jv out)
{
	static const char file[] = "blissful-infra.yaml";
	static const char *const alerts[] = {"error_rate", "p95_ms", "mem_pct", NULL};
	jv services = jv_object_get(jv_copy(cfg), jv_string("services"));
	int ready = 0;

	if (jv_get_kind(services) == JV_KIND_OBJECT) {
		jv_object_foreach(services, name, svc) {
			ready |= has(svc, "ready");
			jv_free(name);
			jv_free(svc);
		}
	}
	jv_free(services);
	if (!ready)
		suggest(&out, a, n, "config.ready", NULL, file, "config");
	if (!has(cfg, "alerts")) {
		suggest(&out, a, n, "config.alerts", NULL, file, "config");
		return out;
	}
	for (const char *const *k = alerts; *k; k++) {
		char path[64];
		snprintf(path, sizeof path, "alerts.%s", *k);
		const char *vars[] = {"name", *k, NULL};
		if (!has(cfg, path))
			suggest(&out, a, n, "config.alert", vars, file, "config");
	}
	return out;
}

static jv
kubernetes(const bi_advice *a, size_t n, jv y, jv out)
{
	static const char file[] = "k8s/base/deployment.yaml";
	jv cs = bi_jv_path(y, "spec.template.spec.containers");
	int ready = 1, live = 1, limits = 1;

	if (jv_get_kind(cs) != JV_KIND_ARRAY) {
		jv_free(cs);
		return out;
	}
	jv_array_foreach(cs, i, c) {
		ready &= has(c, "readinessProbe");
		live &= has(c, "livenessProbe");
		limits &= has(c, "resources.limits");
		jv_free(c);
	}
	jv_free(cs);
	if (!ready)
		suggest(&out, a, n, "k8s.readiness", NULL, file, "kubernetes");
	if (!live)
		suggest(&out, a, n, "k8s.liveness", NULL, file, "kubernetes");
	if (!limits)
		suggest(&out, a, n, "k8s.limits", NULL, file, "kubernetes");
	return out;
}

jv
bi_advice_practice(const bi_advice *a, size_t n, const char *dir, jv cfg)
{
	jv out = jv_array();

	if (!dir)
		return out;
	jv y = load(dir, "docker-compose.yaml");
	if (!jv_is_valid(y)) {
		jv_free(out);
		return y;
	}
	out = compose(a, n, y, out);
	jv_free(y);
	out = config(a, n, cfg, out);
	y = load(dir, "k8s/base/deployment.yaml");
	if (!jv_is_valid(y)) {
		jv_free(out);
		return y;
	}
	out = kubernetes(a, n, y, out);
	jv_free(y);
	return out;
}
