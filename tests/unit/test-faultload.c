/*
 * test-faultload: the load an experiment runs while something is broken
 * (lib/engines/faultload.c), against a server of the test's own, without
 * Docker: about 20 requests a second, to the endpoints asked for only,
 * under the base URL's path, counted by endpoint; failures counted; a
 * signal's flag or an early end stops it at once; what cannot start says
 * why, and that it is not this machine's fault.
 */
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "engines/faultload.h"
#include "tap.h"
#include "httpd.h"

static int under_api;	/* requests that came under /api/ */

static int
answer(const char *head, const char *body, char *out, size_t n)
{
	(void)body;
	if (!strncmp(head, "GET /api/", 9))
		__atomic_add_fetch(&under_api, 1, __ATOMIC_SEQ_CST);
	snprintf(out, n, "ok");
	return strstr(head, " /bad ") || strstr(head, " /api/bad ") ? 500 : 200;
}

static void
test_refused(const char *base)
{
	bi_endpoint eps[] = {{.name = "a", .method = "GET", .path = "/a", .weight = 0}};
	volatile sig_atomic_t stop = 0;
	char err[256];
	int local = 7;

	bi_faultload *l = bi_faultload_start("ftp://127.0.0.1:1", eps, 1, NULL, BI_NS_PER_S, &stop, err,
					     sizeof err, &local);
	ok(!l && local == 0 && strstr(err, "not http://"), "no http:// URL: refused, the input's fault: %s", err);
	l = bi_faultload_start(base, eps, 1, NULL, BI_NS_PER_S, &stop, err, sizeof err, &local);
	ok(!l && local == 0 && strstr(err, "no endpoint to load"), "nothing that weighs: refused: %s", err);
	eps[0].weight = 1;
	unsigned char none[] = {0};
	l = bi_faultload_start(base, eps, 1, none, BI_NS_PER_S, &stop, err, sizeof err, &local);
	ok(!l && local == 0 && strstr(err, "no endpoint to load"), "none flagged: refused: %s", err);
	jv out = jv_object();
	ok(bi_faultload_end(NULL, 0, &out, NULL) == 0 && jv_object_length(jv_copy(out)) == 0,
	   "ending no load: 0, nothing added");
	jv_free(out);
}

static void
test_load(const char *base)
{
	bi_endpoint eps[] = {{.name = "hello", .method = "GET", .path = "/hello", .weight = 3},
			     {.name = "skip", .method = "GET", .path = "/skip", .weight = 1},
			     {.name = "bad", .method = "GET", .path = "/bad", .weight = 1}};
	unsigned char only[] = {1, 0, 0};
	uint64_t keep[4] = {0};
	volatile sig_atomic_t stop = 0;
	char err[256];
	int local = 7;

	bi_faultload *l = bi_faultload_start(base, eps, 3, only, 2 * BI_NS_PER_S, &stop, err, sizeof err, &local);
	ok(l != NULL, "a load starts: %s", l ? "yes" : err);
	jv out = jv_object();
	int rc = bi_faultload_end(l, 0, &out, keep);
	double req = bi_get_num(out, "requests", -1);
	ok(rc == 0 && req >= 30 && req <= 50, "two seconds at 20 a second: %g requests", req);
	ok(bi_get_num(out, "error_rate", -1) == 0 && bi_get_num(out, "timeouts", -1) == 0 &&
	   bi_get_num(out, "p95_ms", -1) > 0, "none failed, none timed out, a p95 (%g ms)",
	   bi_get_num(out, "p95_ms", -1));
	ok(keep[0] == (uint64_t)req && keep[1] == 0 && keep[2] == 0 && keep[3] == 0,
	   "all to the one endpoint flagged, by its index; none failed (%llu %llu %llu %llu)",
	   (unsigned long long)keep[0], (unsigned long long)keep[1], (unsigned long long)keep[2],
	   (unsigned long long)keep[3]);
	jv_free(out);

	/* Failures, and the base URL's path as the requests' prefix. */
	char *api = bi_asprintf("%s/api/", base);
	unsigned char bad[] = {0, 0, 1};
	memset(keep, 0, sizeof keep);
	l = bi_faultload_start(api, eps, 3, bad, BI_NS_PER_S, &stop, err, sizeof err, &local);
	out = jv_object();
	rc = bi_faultload_end(l, 0, &out, keep);
	req = bi_get_num(out, "requests", -1);
	ok(rc == 0 && req > 0 && bi_get_num(out, "error_rate", -1) == 1 && keep[2] == (uint64_t)req &&
	   keep[3] == (uint64_t)req, "a 500 is a failure: all %g failed, counted last too", req);
	ok(under_api > 0 && under_api >= (int)req, "under the base URL's path: /api/bad (%d for %g)", under_api, req);
	jv_free(out);
	free(api);

	/* Ended early, or by the signal's flag: at once, not after 30 s. */
	int64_t t0 = bi_mono_ns();
	l = bi_faultload_start(base, eps, 3, NULL, 30 * BI_NS_PER_S, &stop, err, sizeof err, &local);
	usleep(300 * 1000);
	out = jv_object();
	rc = bi_faultload_end(l, 1, &out, NULL);
	double s = (double)(bi_mono_ns() - t0) / 1e9;
	ok(rc == 0 && s < 3 && jv_get_kind(jv_object_get(jv_copy(out), jv_string("requests"))) == JV_KIND_NUMBER,
	   "ended early: within %.1f s, with its summary", s);
	jv_free(out);
	t0 = bi_mono_ns();
	l = bi_faultload_start(base, eps, 3, NULL, 30 * BI_NS_PER_S, &stop, err, sizeof err, &local);
	stop = 1;
	out = jv_object();
	rc = bi_faultload_end(l, 0, &out, NULL);
	s = (double)(bi_mono_ns() - t0) / 1e9;
	ok(rc == 0 && s < 3, "a signal's flag ends it at once (%.1f s)", s);
	jv_free(out);
}

int
main(void)
{
	bi_init("test-faultload");
	plan(12);
	int port = httpd_start(answer);
	if (port < 0) {
		ok(0, "a server of the test's own");
		return done();
	}
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	test_refused(base);
	test_load(base);
	return done();
}
