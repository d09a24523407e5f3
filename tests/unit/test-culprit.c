/* test-culprit: the service at fault, and the hosts errors name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/time.h"
#include "analysis/pattern.h"
#include "analysis/symptom.h"
#include "analysis/culprit.h"
#include "tap.h"

static bi_kb_pattern *pats;

static int64_t
ts(const char *s)
{
	int64_t ns = 0;
	bi_ts_parse(s, &ns);
	return ns;
}
static size_t npats;
static bi_culprit_span spans[16];	/* the traces culprit() reads */
static size_t nspans;

/* A span of service in trace, id under parent (0: a root), at ts; erred. */
static void
span(const char *trace, uint64_t id, uint64_t parent, const char *service, const char *at, int error)
{
	bi_culprit_span *s = &spans[nspans++];
	snprintf(s->trace, sizeof s->trace, "%s", trace);
	s->id = id;
	s->parent = parent;
	s->service = service;
	s->ts = ts(at);
	s->error = error;
}

static void
feed(bi_symptoms *set, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		jv rec = jv_parse_sized(p, (int)n);
		if (jv_get_kind(rec) == JV_KIND_OBJECT)
			bi_symptoms_add(set, rec);
		jv_free(rec);
		p += n + (p[n] == '\n');
	}
}

/* The host text names, or "-". */
static const char *
host(bi_symptoms *set, const char *text)
{
	static char out[64];
	return bi_culprit_host(set, text, out, sizeof out) ? out : "-";
}

/* The culprit of the problem the symptoms of service make, all of them,
 * with the stopped containers of its pattern. */
static const char *
culprit(bi_symptoms *set, const char *service, const jv *commits, size_t ncommits, char **why)
{
	const bi_symptom *syms[64];
	size_t n = 0;
	bi_problem p = {service, -1, 0, 0, syms, 0};

	for (const bi_symptom *s = bi_symptoms_list(set); s && n < 64; s = s->next) {
		if (strcmp(s->service, service) || !s->problem)
			continue;
		syms[n++] = s;
		if (p.pattern < 0)
			p.pattern = s->pattern;
		if (!p.first || s->first < p.first)
			p.first = s->first;
		if (s->last > p.last)
			p.last = s->last;
	}
	for (const bi_symptom *s = bi_symptoms_list(set); s && n < 64; s = s->next)
		if (s->kind == BI_SYMPTOM_STOPPED && strcmp(s->service, service) &&
		    s->pattern == p.pattern)	/* as rca.c joins them */
			syms[n++] = s;
	p.nsyms = n;
	bi_culprits *c = bi_culprits_new(set, npats, commits, ncommits);
	bi_culprits_spans(c, spans, nspans);
	const char *out = bi_culprit(c, &p, why);
	bi_culprits_free(c);
	return out;
}

int
main(void)
{
	char err[512], *why;

	plan(56);
	bi_init("test-culprit");
	jv cfg = jv_object();
	pats = bi_kb_patterns(cfg, NULL, 0, &npats, err, sizeof err);
	jv_free(cfg);
	ok(pats != NULL, "the built-in patterns");

	/* Hosts, as clients print them; addresses and words are none. */
	bi_symptoms *set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T01:00:00.000Z\",\"service\":\"db\",\"level\":\"info\",\"msg\":\"ready\"}\n");
	is_str(host(set, "dial tcp redis:6379: connect: connection refused"), "redis", "Go's dial");
	is_str(host(set, "dial tcp: lookup cache on 127.0.0.11:53: no such host"), "cache", "Go's lookup");
	is_str(host(set, "connect ECONNREFUSED db-primary:5432"), "db-primary", "Node's ECONNREFUSED");
	is_str(host(set, "getaddrinfo ENOTFOUND payments.internal"), "payments.internal", "Node's ENOTFOUND");
	is_str(host(set, "Error 111 connecting to sessions:6379. Connection refused."), "sessions", "redis-py");
	is_str(host(set, "could not translate host name \"pg\" to address: Name or service not known"), "pg",
	       "libpq's host name");
	is_str(host(set, "connection to server at \"pg2\" (172.18.0.2), port 5432 failed"), "pg2",
	       "libpq's server at");
	is_str(host(set, "HTTPConnectionPool(host='inventory', port=8000): Max retries exceeded"), "inventory",
	       "urllib3");
	is_str(host(set, "Connection to orders-db:5432 refused."), "orders-db", "PgJDBC");
	is_str(host(set, "Connection to node -1 (kafka/172.18.0.4:9092) could not be established."), "kafka",
	       "Java's name/address");
	is_str(host(set, "Post \"https://api.bank.example/v1/charges\": x509: certificate has expired"),
	       "api.bank.example", "a URL");
	is_str(host(set, "redis is down: redis: Name or service not known"), "redis", "glibc's resolver");
	is_str(host(set, "query failed on db:5432"), "db", "a known service's NAME:PORT");
	is_str(host(set, "panic at main.go:88"), "-", "a file and line is no host");
	is_str(host(set, "connect ECONNREFUSED 172.19.0.2:5432"), "-", "an address is no name");
	is_str(host(set, "dial tcp localhost:6379: connect: connection refused"), "-", "nor is localhost");
	is_str(host(set, "failed to connect to the database"), "-", "a word after 'connect to' is no host");
	is_str(host(set, "upstream: \"http://10.0.0.3:8080/\""), "-", "an upstream by address");
	bi_symptoms_free(set);

	/* Changes: a restart, not a first start; a commit to its files. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:00:00.000Z\",\"service\":\"q\",\"action\":\"start\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:05:00.000Z\",\"service\":\"q\",\"action\":\"stop\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T02:05:02.000Z\",\"service\":\"q\",\"action\":\"start\"}\n");
	int64_t t0 = ts("2026-11-24T01:59:00.000Z"), t1 = ts("2026-11-24T02:04:00.000Z");
	int64_t t2 = ts("2026-11-24T02:06:00.000Z");
	jv commit = jv_parse("{\"kind\":\"commit\",\"ts\":\"2026-11-24T02:04:30.000Z\",\"files\":[\"deploy/worker.yaml\",\"README.md\"]}");
	bi_culprits *c = bi_culprits_new(set, npats, &commit, 1);
	ok(!bi_culprit_changed(c, "q", t0, t1), "a first start is no change");
	ok(bi_culprit_changed(c, "q", t1, t2) == ts("2026-11-24T02:05:02.000Z"), "a start after a stop is");
	ok(bi_culprit_changed(c, "worker", t1, t2) != 0, "a commit to a file of its stem is");
	ok(!bi_culprit_changed(c, "work", t1, t2), "... a prefix of a name is not");
	bi_culprits_free(c);
	bi_symptoms_free(set);

	/* The culprit: a host named and a container stopped beat a service
	 * whose trouble only came first. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T03:00:00.000Z\",\"service\":\"mail\",\"level\":\"error\",\"msg\":\"smtp relay timed out\"}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T03:00:01.000Z\",\"service\":\"kv\",\"action\":\"die\",\"exit_code\":0}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T03:00:02.000Z\",\"service\":\"web\",\"level\":\"error\",\"msg\":\"dial tcp kv:6379: connect: connection refused\"}\n");
	is_str(culprit(set, "web", NULL, 0, &why), "kv", "the stopped host its errors name");
	ok(why && strstr(why, "web") != NULL, "... and why: %s", why ? why : "-");
	free(why);
	is_str(culprit(set, "mail", NULL, 0, &why), "mail", "nothing points elsewhere: the complainer");
	ok(why == NULL, "... with no why");
	free(why);
	bi_symptoms_free(set);

	/* depends_on and a restart: two inferences make a culprit. */
	set = bi_symptoms_new(pats, npats);
	bi_symptoms_depend(set, "api", "auth");
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T04:00:00.000Z\",\"service\":\"auth\",\"action\":\"die\",\"exit_code\":0}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T04:00:01.000Z\",\"service\":\"auth\",\"action\":\"start\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T04:00:05.000Z\",\"service\":\"api\",\"level\":\"error\",\"msg\":\"token check failed: 401 from upstream\"}\n");
	is_str(culprit(set, "api", NULL, 0, &why), "auth", "a dependency that restarted just before");
	free(why);
	bi_symptoms_free(set);

	/* A service by its DNS name in a cluster. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T04:30:00.000Z\",\"service\":\"sessions\",\"level\":\"warn\",\"msg\":\"slow fsync\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T04:30:01.000Z\",\"service\":\"api\",\"level\":\"error\","
		  "\"msg\":\"dial tcp sessions.shop.svc.cluster.local:6379: connect: connection refused\"}\n");
	is_str(culprit(set, "api", NULL, 0, &why), "sessions", "a known service by its cluster DNS name");
	free(why);
	bi_symptoms_free(set);

	/* A crash and its restart are one piece of news, not two: a service
	 * that crashed before another's unrelated error is not its culprit. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T05:00:00.000Z\",\"service\":\"img\",\"action\":\"die\",\"exit_code\":139}\n"
		  "{\"kind\":\"container\",\"ts\":\"2026-11-24T05:00:01.000Z\",\"service\":\"img\",\"action\":\"start\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T05:02:00.000Z\",\"service\":\"mail\",\"level\":\"error\",\"msg\":\"template greeting.html not found\"}\n");
	is_str(culprit(set, "mail", NULL, 0, &why), "mail", "another's crash and restart before: still its own");
	free(why);
	bi_symptoms_free(set);

	/* A dependency stopped just before a service's failing requests that
	 * name nothing: with depends_on, it is at fault; alone, a guess not
	 * taken. A crash a few seconds before another's unrelated error is one
	 * sign, not two. */
	static const char stopped[] =
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T06:00:00.000Z\",\"service\":\"kv\",\"action\":\"kill\"}\n"
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T06:00:00.100Z\",\"service\":\"kv\",\"action\":\"die\",\"exit_code\":0}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T06:00:00.500Z\",\"service\":\"shop\",\"level\":\"error\","
		"\"msg\":\"GET /cart 503\",\"attrs\":{\"status\":503}}\n";
	set = bi_symptoms_new(pats, npats);
	feed(set, stopped);
	is_str(culprit(set, "shop", NULL, 0, &why), "shop", "a stop just before, alone: not enough");
	free(why);
	bi_symptoms_free(set);
	set = bi_symptoms_new(pats, npats);
	bi_symptoms_depend(set, "shop", "kv");
	feed(set, stopped);
	is_str(culprit(set, "shop", NULL, 0, &why), "kv", "... with depends_on: the dependency");
	free(why);
	bi_symptoms_free(set);
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T07:00:00.000Z\",\"service\":\"img\",\"action\":\"die\",\"exit_code\":139}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T07:00:05.000Z\",\"service\":\"mail\",\"level\":\"error\",\"msg\":\"template greeting.html not found\"}\n");
	is_str(culprit(set, "mail", NULL, 0, &why), "mail", "a crash just before another's error: still its own");
	free(why);
	bi_symptoms_free(set);

	/* A server's error reply a client relays (Redis's "OOM command not
	 * allowed"): the server is at fault, the one the client's lines name
	 * as NAME:PORT (here an info line); a client of two: no guess. The
	 * client's own MemoryError is its own. */
	static const char reply[] =
		"{\"kind\":\"container\",\"ts\":\"2026-11-24T08:00:00.000Z\",\"service\":\"cache\",\"action\":\"start\"}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:01.000Z\",\"service\":\"jobs\",\"level\":\"info\","
		"\"msg\":\"2026-11-24 08:00:01,000 - jobs - INFO - connected to cache:6379\"}\n"
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:09.000Z\",\"service\":\"jobs\",\"level\":\"error\","
		"\"msg\":\"2026-11-24 08:00:09,000 - jobs - ERROR - SET failed\",\"stack\":\"Traceback (most recent call last):\\n"
		"  File \\\"/app/jobs.py\\\", line 41, in store\\nredis.exceptions.ResponseError: OOM command not allowed when "
		"used memory > 'maxmemory'.\"}\n";
	set = bi_symptoms_new(pats, npats);
	feed(set, reply);
	is_str(culprit(set, "jobs", NULL, 0, &why), "cache", "a relayed OOM reply: the server its client named");
	ok(why && strstr(why, "relays its error reply"), "... and why: %s", why ? why : "(none)");
	free(why);
	bi_symptoms_free(set);
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T07:59:00.000Z\",\"service\":\"queue\",\"action\":\"start\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:00.500Z\",\"service\":\"jobs\",\"level\":\"info\","
		  "\"msg\":\"consuming from queue:5672\"}\n");
	feed(set, reply);
	is_str(culprit(set, "jobs", NULL, 0, &why), "jobs", "... a client of two: no guess");
	free(why);
	bi_symptoms_free(set);
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"container\",\"ts\":\"2026-11-24T08:00:00.000Z\",\"service\":\"cache\",\"action\":\"start\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:01.000Z\",\"service\":\"jobs\",\"level\":\"info\","
		  "\"msg\":\"connected to cache:6379\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T08:00:09.000Z\",\"service\":\"jobs\",\"level\":\"error\","
		  "\"msg\":\"MemoryError\",\"stack\":\"Traceback (most recent call last):\\nMemoryError\"}\n");
	is_str(culprit(set, "jobs", NULL, 0, &why), "jobs", "... its own MemoryError: its own");
	free(why);
	bi_symptoms_free(set);

	/* A refused connection to an address (nginx's upstream by IP, which
	 * no record maps to a service): the fault is another host's, and one
	 * whose trouble began first is it. A loopback address, or no address,
	 * is not enough. */
	static const char *const addrs[] = {"http://10.1.0.2:8000/orders", "http://127.0.0.1:8000/orders",
					    "the orders backend"};
	static const char *const want[] = {"orders", "edge", "edge"};
	static const char *const says[] = {"a refused upstream by its address: the one in trouble first",
					   "... a loopback address: its own",
					   "... no address: its own"};
	for (int i = 0; i < 3; i++) {
		char *recs = bi_asprintf(
			"{\"kind\":\"log\",\"ts\":\"2026-11-24T09:00:00.000Z\",\"service\":\"orders\",\"level\":\"info\",\"msg\":\"Killed\"}\n"
			"{\"kind\":\"log\",\"ts\":\"2026-11-24T09:00:00.100Z\",\"service\":\"edge\",\"level\":\"error\","
			"\"msg\":\"2026/11/24 09:00:00 [error] 7#7: *61 connect() failed (111: Connection refused) while "
			"connecting to upstream, client: 10.1.0.9, server: , upstream: \\\"%s\\\"\"}\n", addrs[i]);
		set = bi_symptoms_new(pats, npats);
		feed(set, recs);
		is_str(culprit(set, "edge", NULL, 0, &why), want[i], "%s", says[i]);
		free(why);
		bi_symptoms_free(set);
		free(recs);
	}

	/* A proxy that times out on an upstream it names by address; the
	 * upstream, a server that lived on, found the proxy gone as it
	 * answered (a broken pipe): it is the callee they timed out on,
	 * though its sign came after. A trace of another kind there says no
	 * such thing. And the callee's own slowness is its own: the callers'
	 * timeouts that came first do not blame them. */
	static const char *const callee[] = {"BrokenPipeError: [Errno 32] Broken pipe",
					     "KeyError: 'user'"};
	for (int i = 0; i < 2; i++) {
		char *recs = bi_asprintf(
			"{\"kind\":\"container\",\"ts\":\"2026-11-24T11:00:00.000Z\",\"service\":\"web\",\"action\":\"start\"}\n"
			"{\"kind\":\"container\",\"ts\":\"2026-11-24T11:00:00.000Z\",\"service\":\"gw\",\"action\":\"start\"}\n"
			"{\"kind\":\"log\",\"ts\":\"2026-11-24T11:00:10.000Z\",\"service\":\"gw\",\"level\":\"error\","
			"\"msg\":\"2026/11/24 11:00:10 [error] 7#7: *9 upstream timed out (110: Connection timed out) while reading "
			"response header from upstream, client: 10.2.0.9, server: , upstream: \\\"http://10.2.0.3:8000/a\\\"\"}\n"
			"{\"kind\":\"log\",\"ts\":\"2026-11-24T11:00:12.000Z\",\"service\":\"web\",\"level\":\"error\","
			"\"msg\":\"%s\",\"stack\":\"Traceback (most recent call last):\\n  File \\\"socketserver.py\\\", line 834, in write\\n%s\"}\n"
			"{\"kind\":\"log\",\"ts\":\"2026-11-24T11:00:20.000Z\",\"service\":\"gw\",\"level\":\"error\","
			"\"msg\":\"2026/11/24 11:00:20 [error] 7#7: *11 upstream timed out (110: Connection timed out) while reading "
			"response header from upstream, client: 10.2.0.9, server: , upstream: \\\"http://10.2.0.3:8000/a\\\"\"}\n",
			callee[i], callee[i]);
		set = bi_symptoms_new(pats, npats);
		feed(set, recs);
		bi_symptoms_settle(set);
		is_str(culprit(set, "gw", NULL, 0, &why), i ? "gw" : "web", "%s",
		       i ? "... a trace of no gone client there: the proxy's own" :
		       "timeouts on an address, and a server whose answers found them gone: that server");
		free(why);
		if (!i) {
			is_str(culprit(set, "web", NULL, 0, &why), "web",
			       "... its own slowness: its callers' earlier timeouts do not blame them");
			free(why);
		}
		bi_symptoms_free(set);
		free(recs);
	}

	/* A client relays a server's error reply (PostgreSQL's cancellation)
	 * and no record says whose client it is: the one service that logged
	 * that very reply then is the server; two that did, no one. */
	static const char *const echo_other[] = {
		"",
		"{\"kind\":\"log\",\"ts\":\"2026-11-24T12:00:00.000Z\",\"service\":\"db2\",\"level\":\"error\","
		"\"msg\":\"2026-11-24 12:00:00.000 UTC [9] ERROR:  canceling statement due to statement timeout\"}\n",
		NULL};
	static const char *const echo_want[] = {"db", "api", "api"};
	static const char *const echo_says[] = {
		"a relayed reply: the one service that logged it",
		"... two that logged it: its own",
		"... none that did (another timeout there): its own"};
	for (int i = 0; i < 3; i++) {
		char *recs = bi_asprintf(
			"{\"kind\":\"log\",\"ts\":\"2026-11-24T12:00:00.000Z\",\"service\":\"api\",\"level\":\"error\","
			"\"msg\":\"ERROR:  canceling statement due to statement timeout\"}\n"
			"{\"kind\":\"log\",\"ts\":\"2026-11-24T12:00:00.000Z\",\"service\":\"db\",\"level\":\"error\","
			"\"msg\":\"2026-11-24 12:00:00.000 UTC [76] %s\"}\n%s",
			echo_other[i] ? "ERROR:  canceling statement due to statement timeout" :
			"LOG:  checkpoint took too long", echo_other[i] ? echo_other[i] : "");
		set = bi_symptoms_new(pats, npats);
		feed(set, recs);
		is_str(culprit(set, "api", NULL, 0, &why), echo_want[i], "%s", echo_says[i]);
		free(why);
		bi_symptoms_free(set);
		free(recs);
	}

	/* Traces: web's 500s name no one, and web's requests failed because
	 * api's own spans did, under which ledger's did: ledger is at fault,
	 * two services down. Where ledger's span ended well, api is; where
	 * the failures are an hour older than web's trouble, no one. */
	set = bi_symptoms_new(pats, npats);
	feed(set, "{\"kind\":\"log\",\"ts\":\"2026-11-24T13:00:00.000Z\",\"service\":\"api\",\"level\":\"info\",\"msg\":\"GET /balance 200\"}\n"
		  "{\"kind\":\"log\",\"ts\":\"2026-11-24T13:00:05.000Z\",\"service\":\"web\",\"level\":\"error\",\"msg\":\"GET /checkout failed: 500 internal server error\"}\n");
	const char *t5 = "2026-11-24T13:00:04.900Z";
	span("4bf92f3577b34da6a3ce929d0e0e4736", 1, 0, "web", t5, 1);
	span("4bf92f3577b34da6a3ce929d0e0e4736", 2, 1, "web", t5, 1);	/* web's client span */
	span("4bf92f3577b34da6a3ce929d0e0e4736", 3, 2, "api", t5, 1);
	span("4bf92f3577b34da6a3ce929d0e0e4736", 4, 3, "ledger", t5, 1);
	span("5af92f3577b34da6a3ce929d0e0e4737", 5, 0, "web", t5, 0);	/* a good trace */
	span("5af92f3577b34da6a3ce929d0e0e4737", 6, 5, "api", t5, 0);
	is_str(culprit(set, "web", NULL, 0, &why), "ledger", "traces: the deepest service whose spans failed");
	ok(why && strstr(why, "its spans failed under web's calls through api (trace 4bf92f3577b34da6)"),
	   "... and why, the way down: %s", why ? why : "-");
	free(why);
	spans[3].error = 0;
	is_str(culprit(set, "web", NULL, 0, &why), "api", "traces: ledger's span ended well, so api");
	ok(why && strstr(why, "its spans failed under web's calls"), "... and why: %s", why ? why : "-");
	free(why);
	spans[3].error = 1;
	spans[1].error = 0;	/* web's call came back well: retried, say */
	is_str(culprit(set, "web", NULL, 0, &why), "web", "traces: a failure its caller did not see blames no one");
	free(why);
	spans[1].error = 1;
	/* ledger fails api's calls in another trace, for another client:
	 * not web's failure on its way down. */
	span("7af92f3577b34da6a3ce929d0e0e4739", 7, 0, "api", t5, 1);
	span("7af92f3577b34da6a3ce929d0e0e4739", 8, 7, "ledger", t5, 1);
	spans[3].error = 0;
	is_str(culprit(set, "web", NULL, 0, &why), "api", "traces: below the first, only the same traces are followed");
	free(why);
	spans[3].error = 1;
	nspans -= 2;
	spans[3].parent = 99;	/* its parent is in no record: no call seen */
	spans[2].trace[0] = 'f';	/* another trace's span 2: not api's caller */
	is_str(culprit(set, "web", NULL, 0, &why), "web", "traces: a parent in another trace calls no one");
	free(why);
	nspans = 0;
	span("4bf92f3577b34da6a3ce929d0e0e4736", 1, 0, "web", "2026-11-24T11:00:00.000Z", 1);
	span("4bf92f3577b34da6a3ce929d0e0e4736", 3, 1, "api", "2026-11-24T11:00:00.000Z", 1);
	is_str(culprit(set, "web", NULL, 0, &why), "web", "traces: failures an hour before its trouble say nothing");
	free(why);
	ok(bi_culprit_span_id("00f067aa0ba902b7") == 0x00f067aa0ba902b7ULL && !bi_culprit_span_id("0x1") &&
	   !bi_culprit_span_id("00f067aa0ba902b7a") && !bi_culprit_span_id("-1") && !bi_culprit_span_id(NULL) &&
	   bi_culprit_span_id("FF") == 255, "span ids: up to 16 hex digits, nothing else");
	nspans = 0;
	span("6af92f3577b34da6a3ce929d0e0e4738", 1, 0, "web", t5, 1);
	span("6af92f3577b34da6a3ce929d0e0e4738", 2, 1, "api", t5, 1);
	span("6af92f3577b34da6a3ce929d0e0e4738", 3, 2, "web", t5, 1);	/* a call back */
	is_str(culprit(set, "web", NULL, 0, &why), "api", "traces: a call back to the complainer is not followed");
	free(why);
	nspans = 0;
	bi_symptoms_free(set);

	jv_free(commit);
	bi_kb_patterns_free(pats, npats);
	return done();
}
