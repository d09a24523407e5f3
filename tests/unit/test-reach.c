/*
 * test-reach: which of the load's endpoints reach which dependency through
 * the chaos-proxy (lib/engines/reach.c), without Docker: a server of the
 * test's own plays both the app and the chaos-proxy's API, whose traffic
 * counters grow when the app's endpoints call a dependency. The proxies'
 * names, each endpoint's reach, the flags for one proxy or any; an API
 * without counters and no Docker to read its log: unknown, not "none".
 */
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/http.h"
#include "engines/reach.h"
#include "tap.h"
#include "httpd.h"

static int counting = 1;	/* the API gives its traffic counters */
static long redis_bytes, pg_conns;

static int
answer(const char *head, const char *body, char *out, size_t n)
{
	(void)body;
	if (!strncmp(head, "GET /proxies ", 13)) {
		long r = __atomic_load_n(&redis_bytes, __ATOMIC_SEQ_CST), p = __atomic_load_n(&pg_conns, __ATOMIC_SEQ_CST);
		if (counting)
			snprintf(out, n, "{\"redis\":{\"name\":\"redis\",\"stats\":{\"connections\":1,\"bytes_upstream\":%ld}},"
				 "\"pg\":{\"name\":\"pg\",\"stats\":{\"connections\":%ld,\"bytes_upstream\":0}}}", r, p);
		else
			snprintf(out, n, "{\"redis\":{\"name\":\"redis\"},\"pg\":{\"name\":\"pg\"}}");
		return 200;
	}
	/* The app: /visits calls Redis (on a pooled connection: bytes only),
	 * /both Redis and Postgres, /hello nothing. */
	if (!strncmp(head, "GET /visits ", 12) || !strncmp(head, "GET /both ", 10))
		__atomic_add_fetch(&redis_bytes, 10, __ATOMIC_SEQ_CST);
	if (!strncmp(head, "GET /both ", 10))
		__atomic_add_fetch(&pg_conns, 1, __ATOMIC_SEQ_CST);
	snprintf(out, n, "ok");
	return 200;
}

/* v (borrowed) as sorted JSON: its keys, and the arrays in it, in order. */
static const char *
text(jv v)
{
	static char buf[512];
	jv t = jv_copy(v);

	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv_free(t);
		t = jv_object();
		jv_object_foreach(v, k, a)
			t = jv_object_set(t, k, jv_get_kind(a) == JV_KIND_ARRAY ? jv_sort(jv_copy(a), a) : a);
	}
	jv s = jv_dump_string(t, JV_PRINT_SORTED);
	snprintf(buf, sizeof buf, "%s", jv_is_valid(s) ? jv_string_value(s) : "(invalid)");
	jv_free(s);
	return buf;
}

int
main(void)
{
	bi_init("test-reach");
	plan(11);
	int port = httpd_start(answer);
	if (port < 0) {
		ok(0, "a server of the test's own");
		return done();
	}
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	volatile sig_atomic_t stop = 0;
	bi_endpoint eps[] = {{.name = "hello", .method = "GET", .path = "/hello", .weight = 1},
			     {.name = "visits", .method = "GET", .path = "/visits", .weight = 1},
			     {.name = "both", .method = "GET", .path = "/both", .weight = 1}};
	unsigned char flags[3];

	jv names = bi_reach_proxies(base);
	is_str(text(names), "[\"pg\",\"redis\"]", "the chaos-proxy's proxies, sorted");
	ok(bi_reach_has(names, "redis") && !bi_reach_has(names, "kafka") && !bi_reach_has(names, NULL),
	   "one named is there, another is not");
	jv_free(names);
	char closed[64];
	snprintf(closed, sizeof closed, "http://127.0.0.1:%d", bi_free_port());
	names = bi_reach_proxies(closed);
	is_str(text(names), "[]", "an API that does not answer: no proxies");
	jv_free(names);
	ok(bi_reach_api(NULL, "abc") == NULL, "no Docker: no API to find");

	jv r = bi_reach(NULL, base, NULL, base, eps, 3, &stop);
	is_str(text(r), "{\"both\":[\"pg\",\"redis\"],\"hello\":[],\"visits\":[\"redis\"]}",
	       "by the counters: each endpoint and what it reaches (bytes on a kept connection count)");
	int n = bi_reach_flags(r, eps, 3, "redis", flags);
	ok(n == 2 && !flags[0] && flags[1] && flags[2], "two reach redis: visits and both");
	n = bi_reach_flags(r, eps, 3, "pg", flags);
	ok(n == 1 && flags[2], "one reaches pg");
	n = bi_reach_flags(r, eps, 3, NULL, flags);
	ok(n == 2 && !flags[0], "two reach any proxy; hello none");
	n = bi_reach_flags(r, eps, 3, "kafka", flags);
	ok(n == 0 && !flags[0] && !flags[1] && !flags[2], "none reaches a proxy that is not there");
	jv_free(r);

	counting = 0;
	int64_t t0 = bi_mono_ns();
	r = bi_reach(NULL, base, NULL, base, eps, 3, &stop);
	ok(!jv_is_valid(r), "no counters, and no log to read: unknown (invalid), not 'reaches nothing'");
	jv_free(r);
	stop = 1;
	r = bi_reach(NULL, base, NULL, base, eps, 3, &stop);
	double s = (double)(bi_mono_ns() - t0) / 1e9;
	ok(!jv_is_valid(r) && s < 5, "a signal's flag cuts the waits short (%.1f s for both)", s);
	jv_free(r);
	return done();
}
