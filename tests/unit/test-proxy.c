/* test-proxy: the API's verbs refuse what is out of range (400 with the
 * reason, nothing changed), a name with a NUL or a control character, a
 * listener beyond loopback unless allowed (403); and show each proxy's
 * traffic counters. The loop does not run: these are the checks made
 * before anything moves. */
#include <stdio.h>
#include <string.h>

#include "engines/proxy.h"
#include "tap.h"

static bi_proxy_engine *e;

static jv
parse(const char *s)
{
	jv v = jv_parse(s);
	if (!jv_is_valid(v))
		printf("# bad JSON in the test: %s\n", s);
	return v;
}

/* The status and, when refused, the reason of a verb's result (consumed). */
static int
outcome(jv r, int status, char *why, size_t n)
{
	*why = '\0';
	if (!jv_is_valid(r)) {
		jv m = jv_invalid_get_msg(r);
		snprintf(why, n, "%s", jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "?");
		jv_free(m);
	} else {
		jv_free(r);
	}
	return status;
}

static void
create(const char *body, int want, const char *reason)
{
	char why[400];
	int st = 0;
	jv r = bi_proxy_create(e, parse(body), &st);
	int got = outcome(r, st, why, sizeof why);

	ok(got == want && (!reason || strstr(why, reason)), "create %s: %d %s", body, want,
	   reason ? reason : "");
	if (got != want || (reason && !strstr(why, reason)))
		printf("#   got %d: %s\n", got, why);
}

static void
toxic(const char *body, int want, const char *reason)
{
	char why[400];
	int st = 0;
	jv r = bi_proxy_add_toxic(e, "web", parse(body), &st);
	int got = outcome(r, st, why, sizeof why);

	ok(got == want && (!reason || strstr(why, reason)), "toxic %s: %d %s", body, want,
	   reason ? reason : "");
	if (got != want || (reason && !strstr(why, reason)))
		printf("#   got %d: %s\n", got, why);
	if (got == 200)
		bi_proxy_reset(e);
}

/* proxy NAME's field at a path, as compact JSON. */
static void
field(const char *name, const char *key, const char *want, const char *what)
{
	int st;
	jv p = bi_proxy_get(e, name, &st);
	jv v = jv_is_valid(p) ? jv_object_get(p, jv_string(key)) : p;
	jv s = jv_is_valid(v) ? jv_dump_string(v, JV_PRINT_SORTED) : (jv_free(v), jv_string("(none)"));
	is_str(jv_string_value(s), want, "%s", what);
	jv_free(s);
}

int
main(void)
{
	char why[400];
	int st;

	plan(55);
	e = bi_proxy_new(NULL, NULL);
	ok(e != NULL, "an engine");

	/* proxies: names, addresses, listeners */
	create("{\"name\":\"web\",\"upstream\":\"127.0.0.1:9\"}", 201, NULL);
	field("web", "stats", "{\"bytes_downstream\":0,\"bytes_upstream\":0,\"connections\":0}",
	      "a proxy shows its counters, from 0");
	create("{\"name\":\"web\",\"upstream\":\"127.0.0.1:9\"}", 409, "already exists");
	create("{\"name\":\"a\\u0000b\",\"upstream\":\"127.0.0.1:9\"}", 400, "NUL");
	create("{\"name\":\"a\\nb\",\"upstream\":\"127.0.0.1:9\"}", 400, "control character (0x0a)");
	create("{\"name\":\"a\\u007fb\",\"upstream\":\"127.0.0.1:9\"}", 400, "control character (0x7f)");
	create("{\"name\":\"a/b\",\"upstream\":\"127.0.0.1:9\"}", 400, "'/'");
	create("{\"name\":\"\",\"upstream\":\"127.0.0.1:9\"}", 400, "from 1 to 63 bytes");
	create("{\"name\":\"0123456789012345678901234567890123456789012345678901234567890123\","
	       "\"upstream\":\"127.0.0.1:9\"}", 400, "not 64");
	create("{\"name\":7,\"upstream\":\"127.0.0.1:9\"}", 400, "name: a string, not number");
	create("{\"upstream\":\"127.0.0.1:9\"}", 400, "missing name");
	create("[1]", 400, "not a JSON object");
	create("{\"name\":\"x\"}", 400, "missing upstream");
	create("{\"name\":\"x\",\"upstream\":\"127.0.0.1\"}", 400, "HOST:PORT");
	create("{\"name\":\"x\",\"upstream\":\"127.0.0.1:99999\"}", 400, "1 to 65535");
	create("{\"name\":\"x\",\"upstream\":\"127.0.0.1:9\\u0000junk\"}", 400, "NUL");
	create("{\"name\":\"x\",\"upstreams\":[{\"upstream\":\"127.0.0.1:9\",\"weight\":-1}]}", 400,
	       "upstreams[0].weight: from 0");
	create("{\"name\":\"x\",\"upstreams\":[{\"upstream\":\"127.0.0.1:9\",\"weight\":\"2\"}]}", 400,
	       "a number, not string");
	create("{\"name\":\"x\",\"upstreams\":[1,2,3,4,5,6,7,8,9]}", 400, "at most 8");
	create("{\"name\":\"x\",\"upstream\":\"127.0.0.1:9\",\"enabled\":\"yes\"}", 400,
	       "enabled: true or false");
	create("{\"name\":\"x\",\"upstream\":\"127.0.0.1:9\",\"listen\":\"127.0.0.1:http\"}", 400,
	       "listen 127.0.0.1:http");
	create("{\"name\":\"wide\",\"upstream\":\"127.0.0.1:9\",\"listen\":\"0.0.0.0:0\",\"enabled\":false}",
	       403, "beyond loopback");
	create("{\"name\":\"wide\",\"upstream\":\"127.0.0.1:9\",\"listen\":\":0\",\"enabled\":false}",
	       403, "beyond loopback");
	jv r = bi_proxy_update(e, "web", parse("{\"listen\":\"0.0.0.0:0\"}"), &st);
	outcome(r, st, why, sizeof why);
	ok(st == 403 && strstr(why, "beyond loopback"), "update to listen beyond loopback: 403 (%s)", why);
	bi_proxy_allow_remote(e, 1);
	create("{\"name\":\"wide\",\"upstream\":\"127.0.0.1:9\",\"listen\":\"0.0.0.0:0\",\"enabled\":false}",
	       201, NULL);
	bi_proxy_allow_remote(e, 0);
	field("wide", "listen", "\"0.0.0.0:0\"", "allowed, it is made");
	r = bi_proxy_update(e, "wide", parse("{\"name\":\"wide\",\"listen\":\"0.0.0.0:0\","
					    "\"upstream\":\"127.0.0.1:8\",\"enabled\":false}"), &st);
	outcome(r, st, why, sizeof why);
	ok(st == 200, "then, not allowed, an update that gives its listen unchanged: 200 (%s)", why);
	ok(bi_proxy_delete(e, "wide") == 204, "and deleted");

	/* toxics: types, streams, toxicity, and each attribute's range */
	toxic("{\"type\":\"latency\",\"attributes\":{\"latency\":-1}}", 400,
	      "attributes.latency: from 0 to 3600000 ms, not -1");
	toxic("{\"type\":\"latency\",\"attributes\":{\"latency\":1e13}}", 400, "not 10000000000000");
	toxic("{\"type\":\"latency\",\"attributes\":{\"latency\":3600000}}", 200, NULL);
	toxic("{\"type\":\"latency\",\"attributes\":{\"latency\":10,\"jitter\":-5}}", 400,
	      "attributes.jitter");
	toxic("{\"type\":\"latency\",\"attributes\":{\"latency\":\"100\"}}", 400,
	      "attributes.latency: a number, not string");
	toxic("{\"type\":\"latency\",\"attributes\":{\"latency\":null}}", 400, "a number, not null");
	toxic("{\"type\":\"bandwidth\",\"attributes\":{\"rate\":-1}}", 400, "attributes.rate");
	toxic("{\"type\":\"bandwidth\",\"attributes\":{\"rate\":1.5}}", 400, "a whole number");
	toxic("{\"type\":\"timeout\",\"attributes\":{\"timeout\":-1}}", 400, "attributes.timeout");
	toxic("{\"type\":\"reset_peer\",\"attributes\":{\"timeout\":3600001}}", 400, "attributes.timeout");
	toxic("{\"type\":\"slow_close\",\"attributes\":{\"delay\":-1}}", 400, "attributes.delay");
	toxic("{\"type\":\"limit_data\",\"attributes\":{\"bytes\":2e19}}", 400,
	      "attributes.bytes: from 0 to 1000000000000000 bytes");
	toxic("{\"type\":\"limit_data\",\"attributes\":{\"bytes\":1e15}}", 200, NULL);
	toxic("{\"type\":\"slicer\",\"attributes\":{\"average_size\":1,\"size_variation\":-1}}", 400,
	      "attributes.size_variation");
	toxic("{\"type\":\"slicer\",\"attributes\":{\"average_size\":1,\"delay\":4e9}}", 400,
	      "attributes.delay");
	toxic("{\"type\":\"latency\",\"attributes\":\"fast\"}", 400, "attributes: an object, not string");
	toxic("{\"type\":\"latency\",\"attributes\":null}", 200, NULL);
	toxic("{\"type\":\"latency\",\"toxicity\":\"1\"}", 400, "toxicity: a number");
	toxic("{\"type\":\"latency\",\"toxicity\":1.5}", 400, "toxicity: from 0 to 1");
	toxic("{\"type\":\"nope\"}", 400, "invalid toxic type: nope");
	toxic("{\"type\":5}", 400, "type: a string");
	toxic("{\"type\":\"latency\",\"stream\":\"sideways\"}", 400, "upstream or downstream");
	toxic("{\"type\":\"latency\",\"name\":\"a\\u0000b\"}", 400, "NUL");

	/* an update out of range changes nothing */
	st = 0;
	jv_free(bi_proxy_add_toxic(e, "web", parse("{\"name\":\"slow\",\"type\":\"latency\","
						   "\"attributes\":{\"latency\":100}}"), &st));
	r = bi_proxy_update_toxic(e, "web", "slow",
				  parse("{\"toxicity\":0.5,\"attributes\":{\"latency\":-3}}"), &st);
	outcome(r, st, why, sizeof why);
	ok(st == 400 && strstr(why, "attributes.latency"), "an update out of range: 400 (%s)", why);
	jv t = bi_proxy_toxics(e, "web", "slow", &st);
	jv s = jv_dump_string(t, JV_PRINT_SORTED);
	is_str(jv_string_value(s), "{\"attributes\":{\"latency\":100},\"name\":\"slow\",\"stream\":"
	       "\"downstream\",\"toxicity\":1,\"type\":\"latency\"}", "and the toxic is as it was");
	jv_free(s);
	r = bi_proxy_update_toxic(e, "web", "slow", parse("{\"attributes\":{\"jitter\":20}}"), &st);
	outcome(r, st, why, sizeof why);
	t = bi_proxy_toxics(e, "web", "slow", &st);
	s = jv_dump_string(jv_object_get(t, jv_string("attributes")), JV_PRINT_SORTED);
	is_str(jv_string_value(s), "{\"jitter\":20,\"latency\":100}", "a valid update merges attributes");
	jv_free(s);

	bi_proxy_free(e);
	return done();
}
