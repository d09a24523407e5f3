/*
 * endpoint.c: the endpoints of a load, one way for every tool that loads a
 * service: read from a bi-perf scenario's list (bi-perf, and bi-chaos's
 * experiments, which load the project's own scenario), turned into the
 * request bytes the load engine sends (built once, before the load starts:
 * the engine only copies them), or sent once through libcurl when one
 * answer is wanted (an experiment's samples and reach checks).
 *
 * A scenario's endpoints are all good or none is kept: a load that leaves
 * out the endpoint it could not read measures something else than asked.
 *
 * Layer: engines.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engines/endpoint.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "base/http.h"
#include "engines/load.h"

void
bi_endpoints_free(bi_endpoint *eps, int n)
{
	for (int i = 0; i < n; i++) {
		bi_endpoint *e = &eps[i];
		free(e->name);
		free(e->method);
		free(e->path);
		free(e->body);
		for (int h = 0; h < e->nheaders; h++)
			free(e->headers[h]);
		free(e->headers);
	}
	free(eps);
}

/* A scalar as text: a string as it is, anything else as its JSON. */
static char *
scalar_text(jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING)
		return bi_strdup(jv_string_value(v));
	jv s = jv_dump_string(jv_copy(v), 0);
	char *r = bi_strdup(jv_string_value(s));
	jv_free(s);
	return r;
}

/* One endpoint (e, borrowed), the i-th; 0, or -1 with the reason. */
static int
one(jv e, int i, const char *path, bi_endpoint *ep, char *err, size_t errn)
{
	const char *p = bi_jv_path_str(e, "path", NULL);
	double w = bi_jv_path_num(e, "weight", 1);

	if (!p || p[0] != '/') {
		snprintf(err, errn, "%s: endpoint %d needs a path starting with /", path, i + 1);
		return -1;
	}
	if (!(w >= 0)) {
		snprintf(err, errn, "%s: endpoint %d: a negative weight", path, i + 1);
		return -1;
	}
	ep->path = bi_strdup(p);
	ep->method = bi_strdup(bi_jv_path_str(e, "method", "GET"));
	ep->name = bi_strdup(bi_jv_path_str(e, "name", p));
	ep->weight = w;
	jv body = jv_object_get(jv_copy(e), jv_string("body"));
	if (jv_is_valid(body) && jv_get_kind(body) != JV_KIND_NULL)
		ep->body = scalar_text(body);
	jv_free(body);
	jv hs = jv_object_get(jv_copy(e), jv_string("headers"));
	if (jv_get_kind(hs) == JV_KIND_OBJECT) {
		jv_object_foreach(hs, k, v) {
			char *val = scalar_text(v);
			ep->headers = bi_realloc(ep->headers, (ep->nheaders + 1) * sizeof *ep->headers);
			ep->headers[ep->nheaders++] = bi_asprintf("%s: %s", jv_string_value(k), val);
			free(val);
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(hs);
	return 0;
}

int
bi_endpoints_from(jv sc, const char *path, bi_endpoint **eps, int *n, char *err, size_t errn)
{
	jv es = jv_get_kind(sc) == JV_KIND_OBJECT ? jv_object_get(jv_copy(sc), jv_string("endpoints")) : jv_null();
	bi_endpoint *out = NULL;
	int k = 0, bad = 0;
	double wsum = 0;

	*eps = NULL;
	*n = 0;
	if (jv_get_kind(es) != JV_KIND_ARRAY) {
		jv_free(es);
		return 0;
	}
	int len = jv_array_length(jv_copy(es));
	if (len > BI_LOAD_MAX_ENDPOINTS) {
		snprintf(err, errn, "%s: at most %d endpoints", path, BI_LOAD_MAX_ENDPOINTS);
		jv_free(es);
		return -1;
	}
	out = bi_calloc(len ? (size_t)len : 1, sizeof *out);
	jv_array_foreach(es, i, e) {
		if (!bad) {
			bad = one(e, i, path, &out[k], err, errn) != 0;
			if (!bad)
				wsum += out[k++].weight;
		}
		jv_free(e);
	}
	jv_free(es);
	if (!bad && k > 0 && !(wsum > 0)) {
		snprintf(err, errn, "%s: the endpoints' weights add up to nothing", path);
		bad = 1;
	}
	if (bad || k == 0) {
		bi_endpoints_free(out, k);
		return bad ? -1 : 0;
	}
	*eps = out;
	*n = k;
	return 0;
}

int
bi_endpoints_read(const char *path, bi_endpoint **eps, int *n, char *err, size_t errn)
{
	jv sc = bi_yaml_load(path);	/* JSON is YAML too */

	*eps = NULL;
	*n = 0;
	if (!jv_is_valid(sc)) {
		jv m = jv_invalid_get_msg(sc);
		snprintf(err, errn, "%s", jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : path);
		jv_free(m);
		return -1;
	}
	int r = bi_endpoints_from(sc, path, eps, n, err, errn);
	jv_free(sc);
	return r;
}

char *
bi_endpoint_request(const bi_endpoint *e, const char *prefix, const char *hostport, const char *agent)
{
	bi_buf b = {0};
	int has_ct = 0;

	bi_buf_printf(&b, "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", e->method, prefix, e->path,
		      hostport, agent);
	for (int i = 0; i < e->nheaders; i++) {
		bi_buf_printf(&b, "%s\r\n", e->headers[i]);
		has_ct |= !strncasecmp(e->headers[i], "content-type:", 13);
	}
	if (e->body) {
		if (!has_ct)
			bi_buf_adds(&b, "Content-Type: application/json\r\n");
		bi_buf_printf(&b, "Content-Length: %zu\r\n\r\n%s", strlen(e->body), e->body);
	} else {
		bi_buf_adds(&b, "\r\n");
	}
	return b.p;
}

int
bi_endpoint_call(const char *base, const bi_endpoint *e, long timeout_ms, double *ms)
{
	const char *hs[32];
	int nh = 0;

	for (int i = 0; i < e->nheaders && nh < 31; i++)
		hs[nh++] = e->headers[i];
	hs[nh] = NULL;
	char *u = bi_asprintf("%s%s", base, e->path);
	bi_http_req req = {.method = e->method, .url = u, .body = e->body, .headers = hs,
			   .timeout_ms = timeout_ms, .connect_timeout_ms = timeout_ms};
	bi_http_resp resp;
	int64_t t0 = bi_mono_ns();
	int st = bi_http(&req, &resp) == 0 ? (int)resp.status : 0;
	if (ms)
		*ms = (double)(bi_mono_ns() - t0) / 1e6;
	bi_http_resp_free(&resp);
	free(u);
	return st;
}
