/*
 * pattern.c: the patterns of known problems, and how a record is matched to
 * one. A pattern says what a problem looks like (log text, container events,
 * Kubernetes reasons, metric conditions, chaos scenarios), why it happens
 * and what fixes it; nine are built in, as YAML below, and a user adds more
 * in the same YAML (blissful-infra.yaml's kb.patterns, --patterns files),
 * replacing a built-in one of the same id. Which chaos scenarios show a
 * pattern is the advice table's knowledge (advice.c): a pattern's chaos
 * terms are its own and those of the advice entries that name it, matched
 * as advice is. Findings are known by their signatures, and alike by the
 * Jaccard similarity of their words. Nothing here touches the database:
 * the incidents are kb.c's.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/pattern.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/advice.h"

#define NEW_FIX_RATE 0.5	/* the initial rate of a user pattern that gives none */

/* The built-in patterns; success rates as the original's. Their terms are
 * what real software prints, from its documentation and output: the kernel
 * and runtimes on memory (and Redis's reply when it is full, "OOM command
 * not allowed when used memory > 'maxmemory'", and PostgreSQL's and MySQL's
 * cancellations and lock timeouts: errors of the server its clients relay); libc, Go, Node, Python
 * (its ConnectionError subclasses), libpq and Redis clients on connections; PostgreSQL, MySQL and nginx on timeouts; runtimes on crashes
 * (a signal, a Go panic, an uncaught exception); OpenSSL and Go on
 * certificates; Kubernetes reasons. `trends:` name the metric series whose
 * growth, or jump from their baseline, shows the pattern (symptom.c). */
static const char builtin[] =
"- id: out-of-memory\n"
"  name: Out of memory\n"
"  severity: critical\n"
"  success_rate: 0.85\n"
"  logs: [out of memory, outofmemoryerror, cannot allocate memory, oom-kill, oom killer,\n"
"         oomkilled, memory limit exceeded, bad_alloc, memoryerror, heap out of memory,\n"
"         java heap space, gc overhead limit exceeded, killed process, memory exhausted,\n"
"         oom command not allowed]\n"
"  replies: [oom command not allowed]\n"
"  containers: [oom]\n"
"  k8s: [OOMKilled, OOMKilling]\n"
"  metrics: [mem_pct >= 95]\n"
"  root_cause: >-\n"
"    The process used more memory than its limit and was killed (or, a server\n"
"    at its memory limit, refused writes): a leak, an unbounded cache or buffer,\n"
"    keys that never expire, or a limit set below the working set.\n"
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
"         dial tcp, getaddrinfo, server selection timed out, connection closed by peer,\n"
"         no live upstreams, \"connect() failed\", enotfound, ehostunreach,\n"
"         could not translate host name, connection to server at, no such host,\n"
"         broker may not be available, max retries exceeded with url,\n"
"         check that the hostname and port are correct, connectionrefusederror,\n"
"         connectionreseterror, connectionabortederror]\n"
"  containers: [dependency-stopped]\n"
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
"  effect: true\n"
"  logs: [slow query, slow log, query took, took too long, statement timeout,\n"
"         canceling statement due to statement timeout, lock wait timeout, timed out,\n"
"         deadline exceeded, sockettimeoutexception, querytimeoutexception, read timeout,\n"
"         upstream timed out, lock timeout, canceling statement due to lock timeout,\n"
"         deadlock detected, too many connections, remaining connection slots are reserved,\n"
"         connection pool exhausted, timeouterror, querycanceled]\n"
"  replies: [canceling statement due to statement timeout,\n"
"            canceling statement due to lock timeout, lock wait timeout exceeded]\n"
"  metrics: [duration_ms >= 500, latency.p95 > 500, p95_ms > 500, latency_p95 > 0.5,\n"
"            latency_p95_ms > 500, latency_p99_ms > 1000]\n"
"  trends: [p95, p99, latency, duration]\n"
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
"         eaddrinuse, modulenotfounderror, importerror, classnotfoundexception,\n"
"         cannot find module, error while loading shared libraries, undefined symbol,\n"
"         application run failed, nosuchmethoderror, unsatisfiedlinkerror, noclassdeffounderror,\n"
"         invalid configuration, environment variable,\n"
"         manifest unknown, pull access denied, executable file not found]\n"
"  containers: [start-failure]\n"
"  k8s: [CrashLoopBackOff, BackOff, ImagePullBackOff, ErrImagePull, InvalidImageName,\n"
"        CreateContainerConfigError, CreateContainerError, RunContainerError, FailedCreate,\n"
"        ProgressDeadlineExceeded]\n"
"  root_cause: >-\n"
"    A new version does not come up: it exits at start, before it is ready,\n"
"    and is restarted in a loop, from its code, its image or its configuration.\n"
"  fixes:\n"
"    - Roll back to the last version that worked (git revert, then blissful-infra up)\n"
"    - Read the first error the new container logged, and the diff of the last commit\n"
"    - Gate deployments on a readiness probe, so a version that cannot start takes no traffic\n"
"- id: crash\n"
"  name: Crash\n"
"  severity: critical\n"
"  success_rate: 0.70\n"
"  logs: [segmentation fault, core dumped, sigsegv, sigabrt, sigbus, sigfpe, sigill,\n"
"         \"panic: \", goroutine, \"fatal error:\", \"runtime error:\", traceback,\n"
"         uncaught exception, unhandled exception, unhandledpromiserejection,\n"
"         unhandled rejection, exception in thread, terminate called after throwing,\n"
"         assertion failed, stack overflow, stackoverflowerror, nullpointerexception,\n"
"         double free, heap-buffer-overflow, abort trap, aborted (core dumped)]\n"
"  containers: [crash]\n"
"  root_cause: >-\n"
"    The process died at run time: killed by a signal (a segmentation fault,\n"
"    an abort), a panic, or an exception nothing caught; it had been running.\n"
"  fixes:\n"
"    - Read the signature (signal or exception, the top frame) and fix the code path it names\n"
"    - Catch and log errors at the request boundary, so one request cannot end the process\n"
"    - Keep core dumps or crash reports, and alert on restarts\n"
"- id: high-error-rate\n"
"  name: High error rate\n"
"  severity: high\n"
"  success_rate: 0.75\n"
"  effect: true\n"
"  logs: [internal server error, service unavailable, bad gateway, gateway timeout,\n"
"         upstream prematurely closed, \"http/1.1\\\" 5\", status=5]\n"
"  metrics: [status >= 500, error_rate > 0.05, http_5xx_rate > 0.05]\n"
"  trends: [error_rate, error_ratio, errors, 5xx]\n"
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
"  trends: [lag]\n"
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
"         insufficient disk space, filesystem is full, could not extend file,\n"
"         misconf redis is configured to save rdb snapshots]\n"
"  replies: [misconf redis is configured to save rdb snapshots]\n"
"  k8s: [DiskPressure, NodeHasDiskPressure, EvictionThresholdMet, FreeDiskSpaceFailed,\n"
"        Evicted, ImageGCFailed]\n"
"  metrics: [disk_pct > 90, disk_used_pct > 90, fs_used_pct > 90]\n"
"  root_cause: >-\n"
"    A disk is full or nearly so: logs, temporary files or data grew without\n"
"    bound, and writes fail or pods are evicted.\n"
"  fixes:\n"
"    - \"Free space now: rotate and delete old logs, prune images and temporary files\"\n"
"    - Set retention on logs and data, and limits on ephemeral storage\n"
"    - Alert on disk use above 80%, and grow the volume if the data legitimately needs it\n";

/* ---- patterns ---- */

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
pattern_free(void *e)
{
	bi_kb_pattern *p = e;

	free(p->id);
	free(p->name);
	free(p->severity);
	free(p->root_cause);
	bi_advice_list_free(p->logs);
	bi_advice_list_free(p->containers);
	bi_advice_list_free(p->k8s);
	bi_advice_list_free(p->chaos);
	bi_advice_list_free(p->fixes);
	bi_advice_list_free(p->trends);
	bi_advice_list_free(p->replies);
	for (size_t i = 0; i < p->nconds; i++)
		free(p->conds[i].field);
	free(p->conds);
}

/* One pattern of id from its YAML (borrowed): 0, or -1 with err. */
static int
pattern_load(jv y, const char *id, const char *where, int builtin_, void *e, char *err,
	     size_t errlen)
{
	bi_kb_pattern *p = e;
	const char *name = bi_get_str(y, "name"), *sev = bi_get_str(y, "severity");
	const char *rc = bi_get_str(y, "root_cause");

	memset(p, 0, sizeof *p);
	p->id = bi_strdup(id);
	p->name = bi_strdup(name ? name : id);
	p->severity = bi_strdup(sev ? sev : "medium");
	p->root_cause = bi_strdup(rc ? rc : "");
	p->success_rate = bi_get_num(y, "success_rate", NEW_FIX_RATE);
	jv effect = jv_object_get(jv_copy(y), jv_string("effect"));
	p->effect = jv_get_kind(effect) == JV_KIND_TRUE;
	jv_free(effect);
	p->builtin = builtin_;
	static const char *const keys[] = {"logs", "containers", "k8s", "chaos", "fixes", "trends"};
	char **const *dst[] = {&p->logs, &p->containers, &p->k8s, &p->chaos, &p->fixes, &p->trends};
	for (int i = 0; i < 6; i++) {
		char **v = bi_advice_list(y, keys[i], i == 0 || i == 3 || i == 5, where, err, errlen);
		if (!v) {
			pattern_free(p);
			return -1;
		}
		*(char ***)dst[i] = v;
	}
	/* A server's replies are log terms too. */
	p->replies = bi_advice_list(y, "replies", 1, where, err, errlen);
	if (!p->replies) {
		pattern_free(p);
		return -1;
	}
	for (char **r = p->replies; *r; r++)
		if (!bi_kb_in(p->logs, *r)) {
			size_t k = 0;
			while (p->logs[k])
				k++;
			p->logs = bi_realloc(p->logs, (k + 2) * sizeof *p->logs);
			p->logs[k] = bi_strdup(*r);
			p->logs[k + 1] = NULL;
		}
	char **conds = bi_advice_list(y, "metrics", 0, where, err, errlen);
	if (!conds) {
		pattern_free(p);
		return -1;
	}
	for (char **c = conds; *c; c++) {
		p->conds = bi_realloc(p->conds, (p->nconds + 1) * sizeof *p->conds);
		if (parse_cond(*c, &p->conds[p->nconds]) != 0) {
			snprintf(err, errlen, "%s: not a condition (FIELD OP NUMBER): %s", where, *c);
			bi_advice_list_free(conds);
			pattern_free(p);
			return -1;
		}
		p->nconds++;
	}
	bi_advice_list_free(conds);
	if (p->success_rate < 0 || p->success_rate > 1) {
		snprintf(err, errlen, "%s: success_rate must be from 0 to 1", where);
		pattern_free(p);
		return -1;
	}
	return 0;
}

/* A list of patterns, or an object with one (a file's, perhaps with an
 * advice list too): an object without patterns holds none. */
static jv
patterns_in(jv doc, int file)
{
	(void)file;
	if (jv_get_kind(doc) != JV_KIND_OBJECT)
		return doc;
	jv list = jv_object_get(doc, jv_string("patterns"));
	if (jv_get_kind(list) == JV_KIND_NULL) {
		jv_free(list);
		return jv_invalid();
	}
	return list;
}

static const bi_advice_schema schema = {
	.name = "patterns", .entry = "pattern", .an = "a pattern",
	.size = sizeof(bi_kb_pattern), .id = offsetof(bi_kb_pattern, id),
	.list = patterns_in, .load = pattern_load, .free = pattern_free,
};

/* Give each pattern the chaos terms of the advice entries that name it. */
static int
chaos_terms(bi_kb_pattern *v, size_t n, jv cfg, char *const *files, size_t nfiles,
	    char *err, size_t errlen)
{
	size_t na;
	bi_advice *a = bi_advice_load(cfg, files, nfiles, &na, err, errlen);

	if (!a)
		return -1;
	for (size_t i = 0; i < na; i++) {
		if (!a[i].pattern || strcmp(a[i].on, "failed"))
			continue;
		bi_kb_pattern *p = (bi_kb_pattern *)bi_kb_pattern_find(v, n, a[i].pattern);
		if (!p) {
			snprintf(err, errlen, "advice %s: no pattern %s", a[i].id, a[i].pattern);
			bi_advice_free(a, na);
			return -1;
		}
		size_t k = 0, add = 0;
		while (p->chaos[k])
			k++;
		while (a[i].scenarios[add])
			add++;
		p->chaos = bi_realloc(p->chaos, (k + add + 1) * sizeof *p->chaos);
		for (size_t j = 0; j < add; j++)
			p->chaos[k + j] = bi_strdup(a[i].scenarios[j]);
		p->chaos[k + add] = NULL;
	}
	bi_advice_free(a, na);
	return 0;
}

bi_kb_pattern *
bi_kb_patterns(jv cfg, char *const *files, size_t nfiles, size_t *n, char *err, size_t errlen)
{
	bi_kb_pattern *v = bi_advice_table_load(&schema, builtin, cfg, "kb.patterns", files,
						nfiles, n, err, errlen);

	if (v && chaos_terms(v, *n, cfg, files, nfiles, err, errlen)) {
		bi_kb_patterns_free(v, *n);
		*n = 0;
		return NULL;
	}
	return v;
}

void
bi_kb_patterns_free(bi_kb_pattern *p, size_t n)
{
	bi_advice_table_free(&schema, p, n);
}

const bi_kb_pattern *
bi_kb_pattern_find(const bi_kb_pattern *p, size_t n, const char *id)
{
	return bi_advice_table_get(&schema, p, n, id);
}

int
bi_kb_match_text(const bi_kb_pattern *p, size_t n, const char *text, size_t len,
		 size_t *termlen)
{
	return bi_kb_match_text_but(p, n, text, len, termlen, -1);
}

int
bi_kb_match_text_but(const bi_kb_pattern *p, size_t n, const char *text, size_t len,
		     size_t *termlen, int skip)
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
		for (char **t = p[i].logs; (int)i != skip && *t; t++) {
			size_t k = strlen(*t);
			/* The longest term; a user's pattern over a built-in
			 * on a tie. */
			if ((k > blen || (k == blen && best >= 0 && p[best].builtin &&
					  !p[i].builtin)) && strstr(low, *t)) {
				best = (int)i;
				blen = k;
			}
		}
	if (termlen)
		*termlen = blen;
	return best;
}

int
bi_kb_reply(const bi_kb_pattern *p, const char *text)
{
	for (char **t = p && text ? p->replies : NULL; t && *t; t++)
		if (strcasestr(text, *t))
			return 1;
	return 0;
}

int
bi_kb_match_scenario(const bi_kb_pattern *p, size_t n, const char *scenario)
{
	int best = -1, blen = 0;

	for (size_t i = 0; scenario && i < n; i++) {
		if (!p[i].chaos[0])
			continue;	/* no terms: shows no scenario */
		int k = bi_advice_match(p[i].chaos, scenario);
		if (k > blen) {
			best = (int)i;
			blen = k;
		}
	}
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

