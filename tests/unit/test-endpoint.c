/*
 * test-endpoint: the endpoints of a load (lib/engines/endpoint.c), without
 * Docker: the request bytes of a GET and of a POST with headers and a body,
 * under a base path or not; a bi-perf scenario's endpoints and weights, in
 * YAML and in JSON, with their defaults; malformed scenarios refused with
 * the reason, nothing kept; one request sent through libcurl to a server of
 * the test's own, and to a port where nothing answers.
 */
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "base/http.h"
#include "engines/endpoint.h"
#include "tap.h"
#include "httpd.h"

static char seen[8192];	/* the last request the server read: head, then body */

static int
answer(const char *head, const char *body, char *out, size_t n)
{
	snprintf(seen, sizeof seen, "%s\n%s", head, body);
	snprintf(out, n, "made");
	return strncmp(head, "POST ", 5) ? 200 : 201;
}

static void
test_request(void)
{
	bi_endpoint get = {.name = "hello", .method = "GET", .path = "/hello", .weight = 1};
	char *r = bi_endpoint_request(&get, "", "127.0.0.1:8080", "bi-perf/0.1");
	is_str(r, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bi-perf/0.1\r\n\r\n",
	       "a GET: the request line, Host, User-Agent, and the blank line");
	free(r);
	r = bi_endpoint_request(&get, "/api", "app:80", "bi-chaos/0.1");
	is_str(r, "GET /api/hello HTTP/1.1\r\nHost: app:80\r\nUser-Agent: bi-chaos/0.1\r\n\r\n",
	       "under a base path: the prefix before the endpoint's path");
	free(r);

	char *hs[] = {"X-Test: 1", "Authorization: Bearer t"};
	bi_endpoint post = {.name = "echo", .method = "POST", .path = "/echo", .body = "{\"message\":\"hi\"}",
			    .headers = hs, .nheaders = 2, .weight = 20};
	r = bi_endpoint_request(&post, "", "[::1]:8080", "bi-perf/0.1");
	is_str(r, "POST /echo HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: bi-perf/0.1\r\n"
		  "X-Test: 1\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n"
		  "Content-Length: 16\r\n\r\n{\"message\":\"hi\"}",
	       "a POST: its headers in order, JSON by default, the body's length, the body");
	free(r);
	char *ct[] = {"content-type: text/plain"};
	bi_endpoint text = {.name = "t", .method = "PUT", .path = "/t", .body = "", .headers = ct, .nheaders = 1};
	r = bi_endpoint_request(&text, "", "h:1", "a");
	is_str(r, "PUT /t HTTP/1.1\r\nHost: h:1\r\nUser-Agent: a\r\ncontent-type: text/plain\r\n"
		  "Content-Length: 0\r\n\r\n",
	       "a Content-Type of its own (any case) is kept, an empty body still has its length");
	free(r);
}

static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path = bi_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Read the scenario text: -1 or the count, with err. */
static int
read_text(const char *dir, const char *text, bi_endpoint **eps, int *n, char *err, size_t errn)
{
	char *path = write_file(dir, "scenario.yaml", text);
	int r = bi_endpoints_read(path, eps, n, err, errn);
	free(path);
	return r;
}

static void
test_scenario(const char *dir)
{
	bi_endpoint *eps;
	int n;
	char err[512];

	int r = read_text(dir, "base_url: http://127.0.0.1:1\nstages: [{duration: 1m, target: 50}]\n"
			  "endpoints:\n  - {name: hello, path: /hello, weight: 30}\n"
			  "  - name: echo\n    method: POST\n    path: /echo\n    headers: {X-Test: 1, X-Name: a b}\n"
			  "    body: {message: hi}\n    weight: 20.5\n  - {path: /visits}\n"
			  "  - {path: /n, body: 42, weight: 0}\n", &eps, &n, err, sizeof err);
	ok(r == 0 && n == 4, "a YAML scenario: its four endpoints (%d)", n);
	if (r == 0 && n == 4) {
		ok(!strcmp(eps[0].name, "hello") && !strcmp(eps[0].method, "GET") && !strcmp(eps[0].path, "/hello") &&
		   eps[0].weight == 30 && !eps[0].body && eps[0].nheaders == 0,
		   "the first: its name, the default method GET, its weight, no body, no header");
		ok(!strcmp(eps[1].method, "POST") && eps[1].weight == 20.5 && eps[1].nheaders == 2 &&
		   !strcmp(eps[1].headers[0], "X-Test: 1") && !strcmp(eps[1].headers[1], "X-Name: a b") &&
		   eps[1].body && !strcmp(eps[1].body, "{\"message\":\"hi\"}"),
		   "the second: method, a fractional weight, headers as 'Name: value', a mapping body as JSON");
		ok(!strcmp(eps[2].name, "/visits") && eps[2].weight == 1,
		   "the third: named by its path, weight 1 by default");
		ok(eps[3].weight == 0 && eps[3].body && !strcmp(eps[3].body, "42"),
		   "a weight of 0 is kept (others weigh something), a number body as its text");
	}
	bi_endpoints_free(eps, n);

	char *path = write_file(dir, "scenario.json",
				"{\"endpoints\":[{\"path\":\"/a\",\"weight\":3},{\"path\":\"/b\",\"method\":\"HEAD\"}]}");
	r = bi_endpoints_read(path, &eps, &n, err, sizeof err);
	ok(r == 0 && n == 2 && eps[0].weight == 3 && !strcmp(eps[1].method, "HEAD") && eps[1].weight == 1,
	   "a JSON scenario reads the same way");
	bi_endpoints_free(eps, n);
	free(path);

	r = read_text(dir, "base_url: http://127.0.0.1:1\nvus: 5\n", &eps, &n, err, sizeof err);
	ok(r == 0 && n == 0 && !eps, "no endpoints: none, and no error (bi-perf then loads its URL)");
	r = read_text(dir, "endpoints: []\n", &eps, &n, err, sizeof err);
	ok(r == 0 && n == 0, "an empty list: none");
	r = read_text(dir, "- just\n- a list\n", &eps, &n, err, sizeof err);
	ok(r == 0 && n == 0, "a scenario that is no mapping has no endpoints");

	struct {
		const char *text, *want, *name;
	} bad[] = {
		{"endpoints:\n  - {name: x, weight: 1}\n", "endpoint 1 needs a path starting with /",
		 "an endpoint without a path"},
		{"endpoints:\n  - {path: /a}\n  - {path: b}\n", "endpoint 2 needs a path starting with /",
		 "a path that does not start with /"},
		{"endpoints:\n  - {path: /a}\n  - {path: /b, weight: -1}\n", "endpoint 2: a negative weight",
		 "a negative weight"},
		{"endpoints:\n  - {path: /a, weight: 0}\n  - {path: /b, weight: 0}\n",
		 "the endpoints' weights add up to nothing", "weights that add up to nothing"},
		{"endpoints: [\n", "", "YAML that does not parse"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		eps = (bi_endpoint *)1;
		n = 7;
		err[0] = '\0';
		r = read_text(dir, bad[i].text, &eps, &n, err, sizeof err);
		ok(r == -1 && strstr(err, bad[i].want) && err[0] && !eps && n == 0, "refused: %s: %s", bad[i].name, err);
	}
	bi_buf many = {0};
	bi_buf_adds(&many, "endpoints:\n");
	for (int i = 0; i < 65; i++)
		bi_buf_printf(&many, "  - {path: /p%d}\n", i);
	r = read_text(dir, many.p, &eps, &n, err, sizeof err);
	ok(r == -1 && strstr(err, "at most 64 endpoints"), "refused: 65 endpoints: %s", err);
	bi_buf_free(&many);
	r = bi_endpoints_read("/nonexistent/scenario.yaml", &eps, &n, err, sizeof err);
	ok(r == -1 && strstr(err, "/nonexistent/scenario.yaml"), "refused: a missing file, named: %s", err);

	/* bi_endpoints_from reads a scenario the caller has already parsed. */
	jv sc = jv_parse("{\"endpoints\":[{\"path\":\"/x\",\"headers\":{\"X-N\":1}}],\"rate\":5}");
	r = bi_endpoints_from(sc, "inline", &eps, &n, err, sizeof err);
	ok(r == 0 && n == 1 && eps[0].nheaders == 1 && !strcmp(eps[0].headers[0], "X-N: 1"),
	   "from a parsed scenario, borrowed: a number header as its text");
	bi_endpoints_free(eps, n);
	jv_free(sc);
}

static void
test_call(void)
{
	int port = httpd_start(answer);
	ok(port > 0, "a server of the test's own (%d)", port);
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	char *hs[] = {"X-Test: 1"};
	bi_endpoint post = {.name = "echo", .method = "POST", .path = "/echo", .body = "{\"a\":1}",
			    .headers = hs, .nheaders = 1, .weight = 1};
	double ms = -1;
	int st = bi_endpoint_call(base, &post, 2000, &ms);
	ok(st == 201 && ms >= 0, "a call: the server's status (%d), timed (%.3f ms)", st, ms);
	ok(!strncmp(seen, "POST /echo HTTP/1.1\r\n", 21) && strstr(seen, "\r\nX-Test: 1") &&
	   strstr(seen, "\n{\"a\":1}"), "with its method, path, header and body");
	bi_endpoint get = {.name = "h", .method = "GET", .path = "/health", .weight = 1};
	is_num(bi_endpoint_call(base, &get, 2000, NULL), 200, "a GET, its time not wanted");
	snprintf(base, sizeof base, "http://127.0.0.1:%d", bi_free_port());
	is_num(bi_endpoint_call(base, &get, 500, &ms), 0, "nothing answering: 0");
}

int
main(void)
{
	bi_init("test-endpoint");
	char *dir = bi_temp_dir("bi-test-endpoint");
	if (!dir)
		return 1;
	plan(26);
	test_request();
	test_scenario(dir);
	test_call();
	char *rm = bi_asprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		ok(0, "clean up %s", dir);
	free(rm);
	free(dir);
	return done();
}
