/*
 * kb.c: the knowledge base. Patterns say what a known problem looks like (log
 * text, container events, Kubernetes reasons, metric conditions), why it
 * happens and what fixes it; eight are built in, as YAML below, and a user
 * adds more in the same YAML. Incidents are findings kept in the project
 * database with how each fix went, and from those outcomes come the success
 * rates shown next time: a fix's rate starts at its pattern's rate (counted
 * as two outcomes) and moves with every outcome recorded (resolved 1,
 * partial 0.5, failed 0). Similar incidents are found by Jaccard similarity
 * of their signatures' words.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/kb.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "sources/store.h"

#define PRIOR_WEIGHT 2.0	/* outcomes a pattern's initial rate counts for */
#define NEW_FIX_RATE 0.5	/* the prior of a fix for no known pattern */
#define SIMILAR_MIN 0.1		/* Jaccard above which incidents are similar */
#define SIMILAR_TOP 5

/* The eight built-in patterns; success rates as the original's. */
static const char builtin[] =
"- id: out-of-memory\n"
"  name: Out of memory\n"
"  severity: critical\n"
"  success_rate: 0.85\n"
"  logs: [out of memory, outofmemoryerror, cannot allocate memory, oom-kill, oom killer,\n"
"         oomkilled, memory limit exceeded, bad_alloc, memoryerror, heap out of memory,\n"
"         java heap space, gc overhead limit exceeded, killed process, memory exhausted]\n"
"  containers: [oom]\n"
"  k8s: [OOMKilled, OOMKilling]\n"
"  metrics: [mem_pct >= 95]\n"
"  chaos: [memory]\n"
"  root_cause: >-\n"
"    The process used more memory than its limit and was killed: a leak, an\n"
"    unbounded cache or buffer, or a limit set below the working set.\n"
"  fixes:\n"
"    - Find what grows (a heap profile, or memory per request) and bound it\n"
"    - Bound caches and queues, and stream large payloads instead of buffering them\n"
"    - Raise the memory limit if the working set is legitimately larger\n"
"- id: connection-refused\n"
"  name: Connection refused\n"
"  severity: high\n"
"  success_rate: 0.90\n"
"  logs: [connection refused, econnrefused, connection reset, econnreset, could not connect,\n"
"         couldn't connect, unable to connect, failed to connect, cannot connect, can't connect,\n"
"         no route to host, name or service not known, temporary failure in name resolution,\n"
"         could not resolve, unknownhostexception, connectexception, is down, is unreachable,\n"
"         dial tcp, getaddrinfo, server selection timed out, connection closed by peer]\n"
"  containers: [dependency-stopped]\n"
"  chaos: [depend, partition, redis, postgres, kafka]\n"
"  root_cause: >-\n"
"    A dependency is not accepting connections: it is down, restarting, not yet\n"
"    ready, or its address is wrong.\n"
"  fixes:\n"
"    - Bring the dependency back and check its health (blissful-infra status)\n"
"    - Start the service only once its dependencies are healthy (depends_on with service_healthy)\n"
"    - Retry with backoff behind a circuit breaker, and degrade instead of failing every request\n"
"- id: slow-queries\n"
"  name: Slow queries\n"
"  severity: medium\n"
"  success_rate: 0.80\n"
"  logs: [slow query, slow log, query took, took too long, statement timeout,\n"
"         canceling statement due to statement timeout, lock wait timeout, timed out,\n"
"         deadline exceeded, sockettimeoutexception, querytimeoutexception, read timeout]\n"
"  metrics: [duration_ms >= 500, latency.p95 > 500, p95_ms > 500, latency_p95 > 0.5]\n"
"  chaos: [latency, slow]\n"
"  root_cause: >-\n"
"    Requests wait on something slow: a query without an index, a lock, a\n"
"    saturated dependency or added network latency.\n"
"  fixes:\n"
"    - Find the slow call (the slowest routes, the database's slow query log) and index or rewrite it\n"
"    - Set timeouts on every outgoing call, shorter than the caller's\n"
"    - Cache or precompute what is read often, and add capacity where it saturates\n"
"- id: deployment-failure\n"
"  name: Deployment failure\n"
"  severity: critical\n"
"  success_rate: 0.85\n"
"  logs: [crashloopbackoff, imagepullbackoff, errimagepull, back-off restarting failed container,\n"
"         exec format error, failed to start, cannot listen on port, address already in use,\n"
"         eaddrinuse, modulenotfounderror, classnotfoundexception, cannot find module,\n"
"         error while loading shared libraries, undefined symbol, segmentation fault,\n"
"         core dumped, application run failed, nosuchmethoderror, unsatisfiedlinkerror,\n"
"         missing required, invalid configuration]\n"
"  containers: [crash]\n"
"  k8s: [CrashLoopBackOff, BackOff, ImagePullBackOff, ErrImagePull, InvalidImageName,\n"
"        CreateContainerConfigError, CreateContainerError, RunContainerError, FailedCreate,\n"
"        ProgressDeadlineExceeded]\n"
"  chaos: [crash]\n"
"  root_cause: >-\n"
"    The service does not stay up: it exits at start or soon after and is\n"
"    restarted in a loop, from its code, its image or its configuration.\n"
"  fixes:\n"
"    - Roll back to the last version that worked (git revert, then blissful-infra up)\n"
"    - Read the first error the new container logged, and the diff of the last commit\n"
"    - Gate deployments on a readiness probe, so a version that cannot start takes no traffic\n"
"- id: high-error-rate\n"
"  name: High error rate\n"
"  severity: high\n"
"  success_rate: 0.75\n"
"  logs: [internal server error, service unavailable, bad gateway, gateway timeout, injected fault]\n"
"  metrics: [status >= 500, error_rate > 0.05, http_5xx_rate > 0.05]\n"
"  chaos: [error]\n"
"  root_cause: >-\n"
"    A share of requests fails with server errors: a bug on one code path, a\n"
"    failing dependency behind it, or an overloaded service shedding load.\n"
"  fixes:\n"
"    - Find the failing route and its first error, and fix or roll back the change behind it\n"
"    - Alert on the error rate, so it is seen before users report it\n"
"    - Add retries with backoff for transient errors, and a circuit breaker for a failing dependency\n"
"- id: kafka-consumer-lag\n"
"  name: Kafka consumer lag\n"
"  severity: medium\n"
"  success_rate: 0.80\n"
"  logs: [consumer lag, records-lag, offset commit failed, commitfailedexception,\n"
"         rebalance in progress, leaving group, max.poll.interval.ms, poll timeout has expired,\n"
"         offset out of range, offsetoutofrangeexception]\n"
"  metrics: [kafka_consumergroup_lag > 1000, consumer_lag > 1000, records_lag_max > 1000]\n"
"  chaos: [kafka-lag]\n"
"  root_cause: >-\n"
"    Consumers fall behind their topic: processing is slower than production,\n"
"    or rebalances keep stopping the group.\n"
"  fixes:\n"
"    - Add consumers (up to the number of partitions) or partitions\n"
"    - Make each poll's work smaller or faster; raise max.poll.interval.ms if it legitimately takes long\n"
"    - Alert on consumer lag, per group\n"
"- id: certificate-expiry\n"
"  name: Certificate expiry\n"
"  severity: critical\n"
"  success_rate: 0.95\n"
"  logs: [certificate has expired, certificate expired, certificate is not yet valid,\n"
"         \"x509: certificate\", ssl certificate problem, certificate_verify_failed,\n"
"         certificate verify failed, pkix path validation failed, certpathvalidatorexception,\n"
"         unable to get local issuer certificate, self signed certificate, self-signed certificate,\n"
"         sslhandshakeexception, tls handshake error, expired certificate]\n"
"  k8s: [CertificateExpired, Expired]\n"
"  metrics: [cert_expiry_days < 7, ssl_cert_days_left < 7]\n"
"  root_cause: >-\n"
"    A TLS certificate has expired or does not verify, so connections that need\n"
"    it are refused.\n"
"  fixes:\n"
"    - Renew the certificate and reload the services that use it\n"
"    - Automate renewal (cert-manager, certbot) and alert 30 days before expiry\n"
"    - \"Check the chain: the intermediate certificates and the client's trust store\"\n"
"- id: disk-pressure\n"
"  name: Disk pressure\n"
"  severity: high\n"
"  success_rate: 0.90\n"
"  logs: [no space left on device, enospc, disk full, disk quota exceeded, edquot,\n"
"         diskpressure, disk pressure, ephemeral-storage, not enough space,\n"
"         insufficient disk space, filesystem is full, could not extend file]\n"
"  k8s: [DiskPressure, NodeHasDiskPressure, EvictionThresholdMet, FreeDiskSpaceFailed,\n"
"        Evicted, ImageGCFailed]\n"
"  metrics: [disk_pct > 90, disk_used_pct > 90, fs_used_pct > 90]\n"
"  chaos: [disk]\n"
"  root_cause: >-\n"
"    A disk is full or nearly so: logs, temporary files or data grew without\n"
"    bound, and writes fail or pods are evicted.\n"
"  fixes:\n"
"    - \"Free space now: rotate and delete old logs, prune images and temporary files\"\n"
"    - Set retention on logs and data, and limits on ephemeral storage\n"
"    - Alert on disk use above 80%, and grow the volume if the data legitimately needs it\n";

/* ---- patterns ---- */

static void
strings_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static char **
strings(jv list, int lower, const char *where, char *err, size_t errlen)
{
	size_t n = 0;
	char **out;

	if (jv_get_kind(list) == JV_KIND_STRING)
		list = jv_array_append(jv_array(), list);
	if (jv_get_kind(list) == JV_KIND_INVALID || jv_get_kind(list) == JV_KIND_NULL) {
		jv_free(list);
		return bi_calloc(1, sizeof(char *));
	}
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		snprintf(err, errlen, "%s: not a list", where);
		jv_free(list);
		return NULL;
	}
	out = bi_calloc(jv_array_length(jv_copy(list)) + 1, sizeof *out);
	jv_array_foreach(list, i, e) {
		if (jv_get_kind(e) != JV_KIND_STRING && jv_get_kind(e) != JV_KIND_NUMBER) {
			snprintf(err, errlen, "%s: item %d is not text (quote it if it holds \": \")",
				 where, i + 1);
			jv_free(e);
			jv_free(list);
			out[n] = NULL;
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

static int
parse_cond(const char *s, bi_kb_cond *c)
{
	static const char *const ops[] = {">=", "<=", "==", "!=", ">", "<", NULL};
	char field[128];
	size_t n = strcspn(s, " <>=!");

	if (n == 0 || n >= sizeof field)
		return -1;
	memcpy(field, s, n);
	field[n] = '\0';
	s += n;
	while (*s == ' ')
		s++;
	for (int i = 0; ops[i]; i++) {
		size_t k = strlen(ops[i]);
		if (strncmp(s, ops[i], k))
			continue;
		char *end;
		c->value = strtod(s + k, &end);
		while (*end == ' ')
			end++;
		if (end == s + k || *end)
			return -1;
		c->field = bi_strdup(field);
		c->op = i;
		return 0;
	}
	return -1;
}

int
bi_kb_cond_holds(const bi_kb_cond *c, double v)
{
	switch (c->op) {
	case 0: return v >= c->value;
	case 1: return v <= c->value;
	case 2: return v == c->value;
	case 3: return v != c->value;
	case 4: return v > c->value;
	default: return v < c->value;
	}
}

static void
pattern_free(bi_kb_pattern *p)
{
	free(p->id);
	free(p->name);
	free(p->severity);
	free(p->root_cause);
	strings_free(p->logs);
	strings_free(p->containers);
	strings_free(p->k8s);
	strings_free(p->chaos);
	strings_free(p->fixes);
	for (size_t i = 0; i < p->nconds; i++)
		free(p->conds[i].field);
	free(p->conds);
}

/* One pattern from its YAML (borrowed); 0, or -1 with err. */
static int
pattern_load(jv y, const char *where, int builtin_, bi_kb_pattern *p, char *err, size_t errlen)
{
	char w[256];
	const char *id = bi_get_str(y, "id");

	memset(p, 0, sizeof *p);
	if (jv_get_kind(y) != JV_KIND_OBJECT || !id || !*id) {
		snprintf(err, errlen, "%s: a pattern needs an id", where);
		return -1;
	}
	const char *name = bi_get_str(y, "name"), *sev = bi_get_str(y, "severity");
	const char *rc = bi_get_str(y, "root_cause");
	p->id = bi_strdup(id);
	p->name = bi_strdup(name ? name : id);
	p->severity = bi_strdup(sev ? sev : "medium");
	p->root_cause = bi_strdup(rc ? rc : "");
	p->success_rate = bi_get_num(y, "success_rate", NEW_FIX_RATE);
	p->builtin = builtin_;
	static const char *const keys[] = {"logs", "containers", "k8s", "chaos", "fixes"};
	char **const *dst[] = {&p->logs, &p->containers, &p->k8s, &p->chaos, &p->fixes};
	for (int i = 0; i < 5; i++) {
		snprintf(w, sizeof w, "%s: pattern %s: %s", where, id, keys[i]);
		char **v = strings(jv_object_get(jv_copy(y), jv_string(keys[i])),
				   i == 0 || i == 3, w, err, errlen);
		if (!v) {
			pattern_free(p);
			return -1;
		}
		*(char ***)dst[i] = v;
	}
	snprintf(w, sizeof w, "%s: pattern %s: metrics", where, id);
	char **conds = strings(jv_object_get(jv_copy(y), jv_string("metrics")), 0, w, err, errlen);
	if (!conds) {
		pattern_free(p);
		return -1;
	}
	for (char **c = conds; *c; c++) {
		p->conds = bi_realloc(p->conds, (p->nconds + 1) * sizeof *p->conds);
		if (parse_cond(*c, &p->conds[p->nconds]) != 0) {
			snprintf(err, errlen, "%s: pattern %s: not a condition (FIELD OP NUMBER): %s",
				 where, id, *c);
			strings_free(conds);
			pattern_free(p);
			return -1;
		}
		p->nconds++;
	}
	strings_free(conds);
	if (p->success_rate < 0 || p->success_rate > 1) {
		snprintf(err, errlen, "%s: pattern %s: success_rate must be from 0 to 1", where, id);
		pattern_free(p);
		return -1;
	}
	return 0;
}

/* Add the patterns of list (consumed) to *v; a pattern with the id of one
 * already there replaces it. */
static int
patterns_add(bi_kb_pattern **v, size_t *n, jv list, const char *where, int builtin_,
	     char *err, size_t errlen)
{
	if (jv_get_kind(list) == JV_KIND_OBJECT) {	/* a file of {patterns: [...]} */
		jv inner = jv_object_get(jv_copy(list), jv_string("patterns"));
		jv_free(list);
		list = inner;
	}
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		snprintf(err, errlen, "%s: patterns must be a list", where);
		jv_free(list);
		return -1;
	}
	jv_array_foreach(list, i, y) {
		bi_kb_pattern p;
		int r = pattern_load(y, where, builtin_, &p, err, errlen);
		jv_free(y);
		if (r) {
			jv_free(list);
			return -1;
		}
		size_t k;
		for (k = 0; k < *n && strcmp((*v)[k].id, p.id); k++)
			;
		if (k < *n) {
			pattern_free(&(*v)[k]);
		} else {
			*v = bi_realloc(*v, (*n + 1) * sizeof **v);
			(*n)++;
		}
		(*v)[k] = p;
	}
	jv_free(list);
	return 0;
}

bi_kb_pattern *
bi_kb_patterns(jv cfg, char *const *files, size_t nfiles, size_t *n, char *err, size_t errlen)
{
	bi_kb_pattern *v = NULL;

	*n = 0;
	if (patterns_add(&v, n, bi_yaml_parse(builtin, sizeof builtin - 1, "built-in"),
			 "built-in", 1, err, errlen))
		bi_die(BI_EXIT_FAIL, "%s", err);	/* cannot happen: tested */
	jv user = bi_jv_path(cfg, "kb.patterns");
	if (jv_get_kind(user) == JV_KIND_STRING) {	/* a file, from the project */
		char *dir = bi_project_dir();
		const char *f = jv_string_value(user);
		char *path = f[0] == '/' || !dir ? bi_strdup(f) : bi_asprintf("%s/%s", dir, f);
		jv_free(user);
		user = bi_yaml_load(path);
		free(path);
		free(dir);
	}
	if (jv_is_valid(user) || jv_invalid_has_msg(jv_copy(user))) {
		if (!jv_is_valid(user)) {
			jv msg = jv_invalid_get_msg(user);
			snprintf(err, errlen, "%s", jv_string_value(msg));
			jv_free(msg);
			goto fail;
		}
		if (patterns_add(&v, n, user, "blissful-infra.yaml: kb.patterns", 0, err, errlen))
			goto fail;
	} else {
		jv_free(user);
	}
	for (size_t i = 0; i < nfiles; i++) {
		jv y = bi_yaml_load(files[i]);
		if (!jv_is_valid(y)) {
			jv msg = jv_invalid_get_msg(y);
			snprintf(err, errlen, "%s", jv_get_kind(msg) == JV_KIND_STRING ?
				 jv_string_value(msg) : files[i]);
			jv_free(msg);
			goto fail;
		}
		if (patterns_add(&v, n, y, files[i], 0, err, errlen))
			goto fail;
	}
	return v;
fail:
	bi_kb_patterns_free(v, *n);
	*n = 0;
	return NULL;
}

void
bi_kb_patterns_free(bi_kb_pattern *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pattern_free(&p[i]);
	free(p);
}

const bi_kb_pattern *
bi_kb_pattern_find(const bi_kb_pattern *p, size_t n, const char *id)
{
	for (size_t i = 0; id && i < n; i++)
		if (!strcmp(p[i].id, id))
			return &p[i];
	return NULL;
}

int
bi_kb_match_text(const bi_kb_pattern *p, size_t n, const char *text, size_t len,
		 size_t *termlen)
{
	char low[4096];
	int best = -1;
	size_t blen = 0;

	if (len >= sizeof low)
		len = sizeof low - 1;
	for (size_t i = 0; i < len; i++)
		low[i] = text[i] ? (char)tolower((unsigned char)text[i]) : ' ';
	low[len] = '\0';
	for (size_t i = 0; i < n; i++)
		for (char **t = p[i].logs; *t; t++) {
			size_t k = strlen(*t);
			if (k > blen && strstr(low, *t)) {
				best = (int)i;
				blen = k;
			}
		}
	if (termlen)
		*termlen = blen;
	return best;
}

int
bi_kb_in(char *const *list, const char *word)
{
	for (char *const *p = list; word && p && *p; p++)
		if (!strcasecmp(*p, word))
			return 1;
	return 0;
}

/* ---- similarity ---- */

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The set of words of s: lower case, longer than 3 characters, sorted and
 * unique; returns the count. */
static size_t
words(const char *s, char ***out)
{
	char **w = NULL;
	size_t n = 0, cap = 0;

	for (const char *p = s; p && *p;) {
		while (*p && !isalnum((unsigned char)*p))
			p++;
		const char *q = p;
		while (*q && isalnum((unsigned char)*q))
			q++;
		if (q - p > 3) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				w = bi_realloc(w, cap * sizeof *w);
			}
			w[n] = bi_strndup(p, q - p);
			for (char *c = w[n]; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			n++;
		}
		p = q;
	}
	if (n > 1)
		qsort(w, n, sizeof *w, cmpstr);
	size_t u = 0;
	for (size_t i = 0; i < n; i++) {
		if (u && !strcmp(w[u - 1], w[i]))
			free(w[i]);
		else
			w[u++] = w[i];
	}
	*out = w;
	return u;
}

static void
words_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

static double
jaccard_sets(char **a, size_t na, char **b, size_t nb)
{
	size_t i = 0, j = 0, both = 0;

	if (na + nb == 0)
		return 0;
	while (i < na && j < nb) {
		int c = strcmp(a[i], b[j]);
		both += c == 0;
		i += c <= 0;
		j += c >= 0;
	}
	return (double)both / (double)(na + nb - both);
}

double
bi_kb_jaccard(const char *a, const char *b)
{
	char **wa, **wb;
	size_t na = words(a, &wa), nb = words(b, &wb);
	double j = jaccard_sets(wa, na, wb, nb);

	words_free(wa, na);
	words_free(wb, nb);
	return j;
}

char *
bi_kb_signature(jv finding)
{
	const char *given = bi_get_str(finding, "signature");
	if (given)
		return bi_strdup(given);
	const char *pattern = bi_get_str(finding, "pattern");
	const char *service = bi_get_str(finding, "service");
	const char *text = bi_get_str(finding, "template");

	if (!text)
		text = bi_get_str(finding, "title");
	return bi_asprintf("%s %s %s", pattern ? pattern : "unknown", service ? service : "-",
			   text ? text : "");
}

/* ---- the store ---- */

sqlite3 *
bi_kb_open(const char *path, int create)
{
	if (!create && access(path, F_OK) != 0)
		return NULL;
	char err[512];
	sqlite3 *db = bi_store_open(path, err, sizeof err);
	if (!db)
		bi_die(BI_EXIT_LOCAL, "database: %s", err);
	return db;
}

static void
sql_or_die(sqlite3 *db, const char *sql)
{
	if (bi_sql_exec(db, sql))
		bi_die(BI_EXIT_LOCAL, "database: %s", bi_sql_error(db));
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		bi_die(BI_EXIT_LOCAL, "database: %s", sqlite3_errmsg(db));
	return st;
}

static void
step_done(sqlite3 *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		bi_die(BI_EXIT_LOCAL, "database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

static void
bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static jv
col_str(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? jv_string(s) : jv_null();
}

static jv
col_ts(sqlite3_stmt *st, int i)
{
	char ts[BI_TS_LEN];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return jv_null();
	return jv_string(bi_ts_fmt(sqlite3_column_int64(st, i), ts));
}

#define INCIDENT_COLS "id, signature, pattern, title, service, severity, status, fix, " \
	"outcome, first_seen, last_seen, resolved_at, occurrences, count, confidence"

static jv
incident_row(sqlite3_stmt *st)
{
	jv r = jv_object();
	char ts[BI_TS_LEN];

	r = jv_object_set(r, jv_string("kind"), jv_string("incident"));
	r = jv_object_set(r, jv_string("ts"), jv_string(bi_ts_fmt(sqlite3_column_int64(st, 9), ts)));
	static const char *const names[] = {"id", "signature", "pattern", "title", "service",
					    "severity", "status", "fix", "outcome"};
	for (int i = 0; i < 9; i++)
		r = jv_object_set(r, jv_string(names[i]), col_str(st, i));
	r = jv_object_set(r, jv_string("first_seen"), col_ts(st, 9));
	r = jv_object_set(r, jv_string("last_seen"), col_ts(st, 10));
	r = jv_object_set(r, jv_string("resolved_at"), col_ts(st, 11));
	r = jv_object_set(r, jv_string("occurrences"), jv_number(sqlite3_column_int64(st, 12)));
	r = jv_object_set(r, jv_string("count"), jv_number(sqlite3_column_int64(st, 13)));
	r = jv_object_set(r, jv_string("confidence"), sqlite3_column_type(st, 14) == SQLITE_NULL ?
			  jv_null() : jv_number(sqlite3_column_double(st, 14)));
	return r;
}

static jv
outcomes(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = prep(db, "SELECT ts, fix, outcome FROM kb_outcomes "
				    "WHERE incident = ? ORDER BY ts, id");
	jv a = jv_array();

	bind_str(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		jv o = jv_object_set(jv_object(), jv_string("ts"), col_ts(st, 0));
		o = jv_object_set(o, jv_string("fix"), col_str(st, 1));
		o = jv_object_set(o, jv_string("outcome"), col_str(st, 2));
		a = jv_array_append(a, o);
	}
	sqlite3_finalize(st);
	return a;
}

jv
bi_kb_get(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = prep(db, "SELECT " INCIDENT_COLS ", finding FROM kb_incidents WHERE id = ?");
	jv r = jv_invalid();

	bind_str(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r = incident_row(st);
		r = jv_object_set(r, jv_string("outcomes"), outcomes(db, id));
		const char *f = (const char *)sqlite3_column_text(st, 15);
		jv finding = f ? jv_parse(f) : jv_null();
		r = jv_object_set(r, jv_string("finding"), jv_is_valid(finding) ? finding : jv_null());
	}
	sqlite3_finalize(st);
	return r;
}

jv
bi_kb_list(sqlite3 *db, const char *status, const char *pattern, long limit)
{
	char *sql = bi_asprintf("SELECT * FROM (SELECT " INCIDENT_COLS " FROM kb_incidents "
				"WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR pattern = ?2) "
				"ORDER BY first_seen DESC, id LIMIT %ld) ORDER BY first_seen, id",
				limit > 0 ? limit : -1L);
	sqlite3_stmt *st = prep(db, sql);
	jv a = jv_array();

	bind_str(st, 1, status);
	bind_str(st, 2, pattern);
	while (sqlite3_step(st) == SQLITE_ROW)
		a = jv_array_append(a, incident_row(st));
	sqlite3_finalize(st);
	free(sql);
	return a;
}

static int64_t
ts_of(jv rec, const char *key, int64_t def)
{
	const char *s = bi_get_str(rec, key);
	int64_t ns;

	return s && bi_ts_parse(s, &ns) == 0 ? ns : def;
}

/* A new incident id: "inc-" and 8 hex digits from the signature and time. */
static char *
new_id(sqlite3 *db, const char *sig, int64_t first)
{
	char *key = bi_asprintf("%s|%lld", sig, (long long)first);
	uint64_t h = bi_hash64(key, strlen(key));
	free(key);
	for (;; h = h * 6364136223846793005u + 1442695040888963407u) {
		char *id = bi_asprintf("inc-%08x", (unsigned)(h >> 32));
		sqlite3_stmt *st = prep(db, "SELECT 1 FROM kb_incidents WHERE id = ?");
		bind_str(st, 1, id);
		int taken = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (!taken)
			return id;
		free(id);
	}
}

jv
bi_kb_record(sqlite3 *db, jv finding)
{
	char *sig = bi_kb_signature(finding);
	int64_t now = bi_now_ns();
	int64_t first = ts_of(finding, "first_seen", ts_of(finding, "ts", now));
	int64_t last = ts_of(finding, "last_seen", first);
	double count = bi_get_num(finding, "count", 1);
	char *id = NULL;

	sql_or_die(db, "BEGIN IMMEDIATE");
	/* The latest incident of this signature: the same occurrence seen
	 * again (times overlap), one more occurrence of an open incident, or
	 * a recurrence after it was resolved (a new incident). */
	sqlite3_stmt *st = prep(db, "SELECT id, status, last_seen, resolved_at FROM kb_incidents "
				    "WHERE signature = ? ORDER BY last_seen DESC LIMIT 1");
	bind_str(st, 1, sig);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 1);
		int64_t ilast = sqlite3_column_int64(st, 2);
		int64_t resolved = sqlite3_column_int64(st, 3);
		int open = status && !strcmp(status, "open");
		int overlap = first <= ilast;
		if (open || (overlap && last <= resolved)) {
			id = bi_strdup((const char *)sqlite3_column_text(st, 0));
			sqlite3_stmt *up = prep(db, "UPDATE kb_incidents SET "
				"occurrences = occurrences + ?2, last_seen = max(last_seen, ?3), "
				"count = CASE WHEN ?2 THEN count + ?4 ELSE max(count, ?4) END "
				"WHERE id = ?1");
			bind_str(up, 1, id);
			sqlite3_bind_int(up, 2, !overlap && open);
			sqlite3_bind_int64(up, 3, last);
			sqlite3_bind_int64(up, 4, (int64_t)count);
			step_done(db, up);
		}
	}
	sqlite3_finalize(st);
	if (!id) {
		id = new_id(db, sig, first);
		jv keep = jv_object_delete(jv_object_delete(jv_copy(finding), jv_string("similar")),
					   jv_string("fixes"));
		jv text = jv_dump_string(keep, 0);
		sqlite3_stmt *in = prep(db, "INSERT INTO kb_incidents (id, signature, pattern, title, "
			"service, severity, status, first_seen, last_seen, recorded, occurrences, count, "
			"confidence, finding) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, 1, ?, ?, ?)");
		const char *title = bi_get_str(finding, "title");
		bind_str(in, 1, id);
		bind_str(in, 2, sig);
		bind_str(in, 3, bi_get_str(finding, "pattern"));
		bind_str(in, 4, title ? title : sig);
		bind_str(in, 5, bi_get_str(finding, "service"));
		bind_str(in, 6, bi_get_str(finding, "severity"));
		sqlite3_bind_int64(in, 7, first);
		sqlite3_bind_int64(in, 8, last);
		sqlite3_bind_int64(in, 9, now);
		sqlite3_bind_int64(in, 10, (int64_t)count);
		double conf = bi_get_num(finding, "confidence", -1);
		if (conf >= 0)
			sqlite3_bind_double(in, 11, conf);
		else
			sqlite3_bind_null(in, 11);
		bind_str(in, 12, jv_string_value(text));
		step_done(db, in);
		jv_free(text);
	}
	sql_or_die(db, "COMMIT");
	jv r = bi_kb_get(db, id);
	free(id);
	free(sig);
	return jv_object_delete(r, jv_string("finding"));
}

static double
score_of(const char *outcome)
{
	return !strcmp(outcome, "resolved") ? 1 : !strcmp(outcome, "partial") ? 0.5 : 0;
}

int
bi_kb_outcome_ok(const char *outcome)
{
	return outcome && (!strcmp(outcome, "resolved") || !strcmp(outcome, "partial") ||
			   !strcmp(outcome, "failed"));
}

jv
bi_kb_resolve(sqlite3 *db, const char *id, const char *outcome, const char *fix, int64_t when)
{
	jv inc = bi_kb_get(db, id);

	if (!jv_is_valid(inc))
		return inc;
	jv_free(inc);
	sql_or_die(db, "BEGIN IMMEDIATE");
	sqlite3_stmt *st = prep(db, "INSERT INTO kb_outcomes (incident, ts, fix, outcome) "
				    "VALUES (?, ?, ?, ?)");
	bind_str(st, 1, id);
	sqlite3_bind_int64(st, 2, when);
	bind_str(st, 3, fix);
	bind_str(st, 4, outcome);
	step_done(db, st);
	/* Resolved closes the incident; partial and failed leave it open. */
	st = prep(db, "UPDATE kb_incidents SET fix = ?2, outcome = ?3, "
		      "status = CASE WHEN ?3 = 'resolved' THEN 'resolved' ELSE 'open' END, "
		      "resolved_at = CASE WHEN ?3 = 'resolved' THEN ?4 ELSE resolved_at END "
		      "WHERE id = ?1");
	bind_str(st, 1, id);
	bind_str(st, 2, fix);
	bind_str(st, 3, outcome);
	sqlite3_bind_int64(st, 4, when);
	step_done(db, st);
	sql_or_die(db, "COMMIT");
	return jv_object_delete(bi_kb_get(db, id), jv_string("finding"));
}

int
bi_kb_import(sqlite3 *db, jv inc, char *err, size_t errlen)
{
	const char *id = bi_get_str(inc, "id"), *sig = bi_get_str(inc, "signature");
	const char *title = bi_get_str(inc, "title"), *status = bi_get_str(inc, "status");
	int64_t first = ts_of(inc, "first_seen", ts_of(inc, "ts", 0));

	if (!id || !sig || !title || !first) {
		snprintf(err, errlen, "an incident needs id, signature, title and first_seen");
		jv_free(inc);
		return -1;
	}
	if (status && strcmp(status, "open") && strcmp(status, "resolved")) {
		snprintf(err, errlen, "incident %s: status must be open or resolved", id);
		jv_free(inc);
		return -1;
	}
	jv outs = jv_object_get(jv_copy(inc), jv_string("outcomes"));
	if (jv_get_kind(outs) == JV_KIND_ARRAY) {
		jv_array_foreach(outs, i, o) {
			int good = bi_kb_outcome_ok(bi_get_str(o, "outcome")) && bi_get_str(o, "fix");
			jv_free(o);
			if (!good) {
				snprintf(err, errlen, "incident %s: outcome %d needs a fix and an outcome "
					 "(resolved, partial or failed)", id, i + 1);
				jv_free(outs);
				jv_free(inc);
				return -1;
			}
		}
	}
	sql_or_die(db, "BEGIN IMMEDIATE");
	sqlite3_stmt *st = prep(db, "INSERT OR REPLACE INTO kb_incidents (id, signature, pattern, "
		"title, service, severity, status, fix, outcome, first_seen, last_seen, recorded, "
		"resolved_at, occurrences, count, confidence, finding) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	bind_str(st, 1, id);
	bind_str(st, 2, sig);
	bind_str(st, 3, bi_get_str(inc, "pattern"));
	bind_str(st, 4, title);
	bind_str(st, 5, bi_get_str(inc, "service"));
	bind_str(st, 6, bi_get_str(inc, "severity"));
	bind_str(st, 7, status ? status : "open");
	bind_str(st, 8, bi_get_str(inc, "fix"));
	bind_str(st, 9, bi_get_str(inc, "outcome"));
	sqlite3_bind_int64(st, 10, first);
	sqlite3_bind_int64(st, 11, ts_of(inc, "last_seen", first));
	sqlite3_bind_int64(st, 12, bi_now_ns());
	int64_t res = ts_of(inc, "resolved_at", 0);
	if (res)
		sqlite3_bind_int64(st, 13, res);
	else
		sqlite3_bind_null(st, 13);
	sqlite3_bind_int64(st, 14, (int64_t)bi_get_num(inc, "occurrences", 1));
	sqlite3_bind_int64(st, 15, (int64_t)bi_get_num(inc, "count", 1));
	double conf = bi_get_num(inc, "confidence", -1);
	if (conf >= 0)
		sqlite3_bind_double(st, 16, conf);
	else
		sqlite3_bind_null(st, 16);
	jv finding = jv_object_get(jv_copy(inc), jv_string("finding"));
	jv text = jv_get_kind(finding) == JV_KIND_OBJECT ? jv_dump_string(finding, 0) :
		(jv_free(finding), jv_null());
	bind_str(st, 17, jv_get_kind(text) == JV_KIND_STRING ? jv_string_value(text) : NULL);
	step_done(db, st);
	jv_free(text);
	st = prep(db, "DELETE FROM kb_outcomes WHERE incident = ?");
	bind_str(st, 1, id);
	step_done(db, st);
	if (jv_get_kind(outs) == JV_KIND_ARRAY) {
		jv_array_foreach(outs, i, o) {
			st = prep(db, "INSERT INTO kb_outcomes (incident, ts, fix, outcome) "
				      "VALUES (?, ?, ?, ?)");
			bind_str(st, 1, id);
			sqlite3_bind_int64(st, 2, ts_of(o, "ts", first));
			bind_str(st, 3, bi_get_str(o, "fix"));
			bind_str(st, 4, bi_get_str(o, "outcome"));
			step_done(db, st);
			jv_free(o);
		}
	}
	sql_or_die(db, "COMMIT");
	jv_free(outs);
	jv_free(inc);
	return 0;
}

double
bi_kb_rate(sqlite3 *db, const char *pattern, double prior, const char *fix, int *n)
{
	double sum = prior * PRIOR_WEIGHT;
	int k = 0;

	if (db) {
		sqlite3_stmt *st = prep(db, "SELECT o.outcome FROM kb_outcomes o "
			"JOIN kb_incidents i ON i.id = o.incident "
			"WHERE (?1 IS NULL OR i.pattern = ?1) "
			"AND (?2 IS NULL OR lower(trim(o.fix)) = lower(trim(?2)))");
		bind_str(st, 1, pattern);
		bind_str(st, 2, fix);
		while (sqlite3_step(st) == SQLITE_ROW) {
			sum += score_of((const char *)sqlite3_column_text(st, 0));
			k++;
		}
		sqlite3_finalize(st);
	}
	if (n)
		*n = k;
	return sum / (PRIOR_WEIGHT + k);
}

/* ---- advice: similar incidents and the fixes that worked ---- */

static jv
fix_entry(const char *title, double rate, int n, const char *source)
{
	jv f = jv_object_set(jv_object(), jv_string("title"), jv_string(title));
	f = jv_object_set(f, jv_string("success_rate"), jv_number(round(rate * 100) / 100));
	f = jv_object_set(f, jv_string("outcomes"), jv_number(n));
	f = jv_object_set(f, jv_string("source"), jv_string(source));
	if (n)
		f = jv_object_set(f, jv_string("detail"), jv_string_fmt("success rate %.0f%% "
			"(%d outcome%s recorded)", round(rate * 100), n, n == 1 ? "" : "s"));
	else
		f = jv_object_set(f, jv_string("detail"), jv_string_fmt("success rate %.0f%% "
			"(initial)", round(rate * 100)));
	return f;
}

static int
has_fix(jv fixes, const char *title)
{
	int found = 0;

	jv_array_foreach(fixes, i, f) {
		const char *t = bi_get_str(f, "title");
		found |= t && !strcasecmp(t, title);
		jv_free(f);
	}
	return found;
}

static int
by_rate(const void *a, const void *b)
{
	double ra = bi_get_num(*(const jv *)a, "success_rate", 0);
	double rb = bi_get_num(*(const jv *)b, "success_rate", 0);
	return ra < rb ? 1 : ra > rb ? -1 : 0;
}

jv
bi_kb_advise(sqlite3 *db, const bi_kb_pattern *pats, size_t npats, jv finding, double *best)
{
	const char *pid = bi_get_str(finding, "pattern");
	const bi_kb_pattern *p = bi_kb_pattern_find(pats, npats, pid);
	char *sig = bi_kb_signature(finding);
	int64_t first = ts_of(finding, "first_seen", 0);
	jv similar = jv_array(), fixes = jv_array();
	char **ws;
	size_t nws = words(sig, &ws);

	*best = 0;
	if (db) {
		struct cand { double sim; jv row; } *c = NULL;
		size_t nc = 0;
		sqlite3_stmt *st = prep(db, "SELECT id, signature, title, status, fix, outcome, "
					    "last_seen, pattern FROM kb_incidents");
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *isig = (const char *)sqlite3_column_text(st, 1);
			const char *status = (const char *)sqlite3_column_text(st, 3);
			/* This very occurrence, recorded by an earlier run: not
			 * a past incident. */
			if (!strcmp(isig, sig) && status && !strcmp(status, "open") &&
			    first && first <= sqlite3_column_int64(st, 6))
				continue;
			char **wi;
			size_t nwi = words(isig, &wi);
			double j = jaccard_sets(ws, nws, wi, nwi);
			words_free(wi, nwi);
			if (j <= SIMILAR_MIN)
				continue;
			jv r = jv_object_set(jv_object(), jv_string("id"), col_str(st, 0));
			r = jv_object_set(r, jv_string("title"), col_str(st, 2));
			r = jv_object_set(r, jv_string("similarity"), jv_number(round(j * 100) / 100));
			r = jv_object_set(r, jv_string("status"), col_str(st, 3));
			r = jv_object_set(r, jv_string("fix"), col_str(st, 4));
			r = jv_object_set(r, jv_string("outcome"), col_str(st, 5));
			r = jv_object_set(r, jv_string("pattern"), col_str(st, 7));
			c = bi_realloc(c, (nc + 1) * sizeof *c);
			c[nc++] = (struct cand){j, r};
		}
		sqlite3_finalize(st);
		/* The most similar first; the top ones kept. */
		for (size_t i = 1; i < nc; i++)
			for (size_t k = i; k > 0 && c[k].sim > c[k - 1].sim; k--) {
				struct cand t = c[k];
				c[k] = c[k - 1];
				c[k - 1] = t;
			}
		for (size_t i = 0; i < nc; i++) {
			if (i >= SIMILAR_TOP) {
				jv_free(c[i].row);
				continue;
			}
			if (c[i].sim > *best)
				*best = c[i].sim;
			jv r = c[i].row;
			const char *fix = bi_get_str(r, "fix"), *out = bi_get_str(r, "outcome");
			const char *ipat = bi_get_str(r, "pattern");
			bi_buf d = {0};
			bi_buf_printf(&d, "%.0f%% similar, %s", c[i].sim * 100, bi_get_str(r, "status"));
			if (fix && out) {
				const bi_kb_pattern *ip = bi_kb_pattern_find(pats, npats, ipat);
				int n;
				double prior = ip ? ip->success_rate : NEW_FIX_RATE;
				double rate = bi_kb_rate(db, ipat, prior, fix, &n);
				bi_buf_printf(&d, "; fix \"%s\": %s (success rate %.0f%%)", fix, out, round(rate * 100));
				if (strcmp(out, "failed") && !has_fix(fixes, fix)) {
					char *src = bi_asprintf("incident %s", bi_get_str(r, "id"));
					fixes = jv_array_append(fixes, fix_entry(fix, rate, n, src));
					free(src);
				}
			}
			r = jv_object_set(r, jv_string("detail"), jv_string(d.p));
			bi_buf_free(&d);
			similar = jv_array_append(similar, r);
		}
		free(c);
	}
	for (char **f = p ? p->fixes : NULL; f && *f; f++) {
		if (has_fix(fixes, *f))
			continue;
		int n;
		double rate = bi_kb_rate(db, p->id, p->success_rate, *f, &n);
		fixes = jv_array_append(fixes, fix_entry(*f, rate, n, "pattern"));
	}
	/* The best first; a stable order among equals keeps tests steady. */
	int nf = jv_array_length(jv_copy(fixes));
	jv *v = bi_calloc(nf, sizeof *v);
	for (int i = 0; i < nf; i++)
		v[i] = jv_array_get(jv_copy(fixes), i);
	jv_free(fixes);
	for (int i = 1; i < nf; i++)
		for (int k = i; k > 0 && by_rate(&v[k - 1], &v[k]) > 0; k--) {
			jv t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	fixes = jv_array();
	for (int i = 0; i < nf; i++)
		fixes = jv_array_append(fixes, v[i]);
	free(v);
	words_free(ws, nws);
	free(sig);
	finding = jv_object_set(finding, jv_string("similar"), similar);
	finding = jv_object_set(finding, jv_string("fixes"), fixes);
	if (p) {
		double rate = bi_kb_rate(db, p->id, p->success_rate, NULL, NULL);
		finding = jv_object_set(finding, jv_string("success_rate"),
					jv_number(round(rate * 100) / 100));
	}
	return finding;
}
