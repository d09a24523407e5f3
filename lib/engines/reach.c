/*
 * reach.c: which of the load's endpoints reach which dependency, seen
 * through the project's chaos-proxy. What an experiment breaks must be what
 * its load uses, or a pass says only that the load did not notice: so each
 * endpoint is asked a few times, one endpoint at a time, and the proxies
 * whose traffic grew meanwhile are the ones it reaches.
 *
 * The traffic is the proxy API's counters (connections and bytes sent
 * upstream, so a pooled connection's requests count, not only new ones),
 * read before and after each request. A bi-proxy older than those counters
 * logs each connection instead (`proxy` records, event accept, or a close
 * before any when the dial failed): then the log is read once at the end
 * and each connection counted in the window of time of the endpoint whose
 * requests were under way. Either way an endpoint reaches a proxy when at
 * least REACH_MIN of its REACH_TRIES requests were seen there.
 *
 * Layer: engines.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engines/reach.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "sources/docker.h"
#include "engines/endpoint.h"

#define REACH_TRIES 4		/* requests per endpoint to see what it reaches */
#define REACH_MIN 2		/* connections seen to say it does */

/* Sleep ns, waking early on a signal; 0 when stopped. */
static int
nap(volatile sig_atomic_t *stop, int64_t ns)
{
	int64_t end = bi_mono_ns() + ns;

	while (!*stop) {
		int64_t left = end - bi_mono_ns();
		if (left <= 0)
			return 1;
		usleep((useconds_t)((left > 50 * BI_NS_PER_MS ? 50 * BI_NS_PER_MS : left) / 1000));
	}
	return 0;
}

char *
bi_reach_api(bi_docker *d, const char *cid)
{
	char *api = NULL;

	if (!d || !cid)
		return NULL;
	jv c = bi_docker_inspect(d, cid);
	jv ports = bi_jv_path(c, "NetworkSettings.Ports");
	jv p = jv_get_kind(ports) == JV_KIND_OBJECT ?
		jv_object_get(jv_copy(ports), jv_string("8474/tcp")) : jv_invalid();
	if (jv_get_kind(p) == JV_KIND_ARRAY && jv_array_length(jv_copy(p)) > 0) {
		jv b = jv_array_get(jv_copy(p), 0);
		const char *hp = bi_get_str(b, "HostPort");
		if (hp)
			api = bi_asprintf("http://127.0.0.1:%s", hp);
		jv_free(b);
	}
	jv_free(p);
	jv_free(ports);
	jv_free(c);
	return api;
}

jv
bi_reach_proxies(const char *api)
{
	char *u = bi_asprintf("%s/proxies", api);
	jv all = bi_http_json("GET", u, NULL, NULL, 5000, NULL), names = jv_array();

	free(u);
	if (jv_get_kind(all) == JV_KIND_OBJECT) {
		jv_free(names);
		names = jv_keys(jv_copy(all));
	}
	jv_free(all);
	return names;
}

int
bi_reach_has(jv names, const char *name)
{
	int found = 0;

	if (jv_get_kind(names) != JV_KIND_ARRAY || !name)
		return 0;
	jv_array_foreach(names, i, s) {
		found |= jv_get_kind(s) == JV_KIND_STRING && !strcmp(jv_string_value(s), name);
		jv_free(s);
	}
	return found;
}

/* ---- by the counters ---- */

/* The traffic so far of each proxy: {name: connections + bytes sent
 * upstream}; invalid when the API does not count (an older bi-proxy) or
 * does not answer. */
static jv
traffic(const char *api)
{
	char *u = bi_asprintf("%s/proxies", api);
	jv all = bi_http_json("GET", u, NULL, NULL, 5000, NULL), out = jv_object();

	free(u);
	if (jv_get_kind(all) != JV_KIND_OBJECT) {
		jv_free(out);
		jv_free(all);
		return jv_invalid();
	}
	jv_object_foreach(all, k, p) {
		jv c = bi_jv_path(p, "stats.connections"), b = bi_jv_path(p, "stats.bytes_upstream");
		if (jv_get_kind(c) == JV_KIND_NUMBER && jv_get_kind(b) == JV_KIND_NUMBER && jv_is_valid(out))
			out = jv_object_set(out, jv_copy(k), jv_number(jv_number_value(c) + jv_number_value(b)));
		else if (jv_is_valid(out)) {
			jv_free(out);
			out = jv_invalid();
		}
		jv_free(c);
		jv_free(b);
		jv_free(k);
		jv_free(p);
	}
	jv_free(all);
	return out;
}

/* A request reached a proxy when its traffic grew while it was answered. */
static jv
reach_counted(const char *api, const char *base, const bi_endpoint *eps, int neps,
	      volatile sig_atomic_t *stop)
{
	jv out = jv_object();

	for (int i = 0; i < neps && jv_is_valid(out); i++) {
		jv hits = jv_object(), via = jv_array();
		for (int k = 0; k < REACH_TRIES && !*stop; k++) {
			jv t0 = traffic(api);
			bi_endpoint_call(base, &eps[i], 2000, NULL);
			jv t1 = traffic(api);
			if (!jv_is_valid(t0) || !jv_is_valid(t1)) {
				jv_free(out);
				out = jv_invalid();
			} else {
				jv_object_foreach(t1, name, n) {
					double before = bi_get_num(t0, jv_string_value(name), 0);
					if (jv_number_value(n) > before)
						hits = bi_set(hits, jv_string_value(name),
							      jv_number(bi_get_num(hits, jv_string_value(name), 0) + 1));
					jv_free(name);
					jv_free(n);
				}
			}
			jv_free(t0);
			jv_free(t1);
			if (!jv_is_valid(out))
				break;
		}
		jv_object_foreach(hits, name, n) {
			if (jv_number_value(n) >= REACH_MIN)
				via = jv_array_append(via, jv_copy(name));
			jv_free(name);
			jv_free(n);
		}
		jv_free(hits);
		if (jv_is_valid(out))
			out = bi_set(out, eps[i].name, via);
		else
			jv_free(via);
	}
	return out;
}

/* ---- by the log ---- */

struct windows {
	int n;
	int64_t *from, *to;
	jv *counts;		/* per endpoint: proxy name -> connections */
};

static int
count_connection(void *ctx, int stream, int64_t ts, const char *line, size_t len)
{
	struct windows *w = ctx;
	(void)stream;
	if (len == 0 || line[0] != '{')
		return 0;
	jv r = jv_parse_sized(line, (int)len);
	const char *kind = bi_get_str(r, "kind"), *ev = bi_get_str(r, "event");
	const char *proxy = bi_get_str(r, "proxy"), *why = bi_get_str(r, "reason");
	/* A connection is an accept, or a close before any: the dial failed. */
	int conn = kind && !strcmp(kind, "proxy") && proxy && ev &&
		   (!strcmp(ev, "accept") || (!strcmp(ev, "close") && why && !strncmp(why, "upstream ", 9)));
	for (int i = 0; conn && i < w->n; i++) {
		if (ts >= w->from[i] && ts < w->to[i]) {
			double c = bi_get_num(w->counts[i], proxy, 0);
			w->counts[i] = bi_set(w->counts[i], proxy, jv_number(c + 1));
			break;
		}
	}
	jv_free(r);
	return 0;
}

static jv
reach_logged(bi_docker *d, const char *cid, const char *base, const bi_endpoint *eps, int neps,
	     volatile sig_atomic_t *stop)
{
	struct windows w = {neps, bi_calloc((size_t)neps + 1, sizeof(int64_t)),
			    bi_calloc((size_t)neps + 1, sizeof(int64_t)), bi_calloc((size_t)neps + 1, sizeof(jv))};
	int64_t t0 = bi_now_ns();

	for (int i = 0; i < neps; i++) {
		w.counts[i] = jv_object();
		w.from[i] = bi_now_ns();
		for (int k = 0; k < REACH_TRIES && !*stop; k++)
			bi_endpoint_call(base, &eps[i], 2000, NULL);
		/* The log's time is when Docker read the line: a little later. */
		w.to[i] = bi_now_ns() + 100 * BI_NS_PER_MS;
		nap(stop, 150 * BI_NS_PER_MS);
	}
	nap(stop, 300 * BI_NS_PER_MS);
	bi_docker_logs_opts o = {.since = t0 - BI_NS_PER_S, .tail = -1, .tty = -1};
	int rc = d && cid ? bi_docker_logs(d, cid, &o, count_connection, &w) : -1;
	jv out = rc == 0 ? jv_object() : jv_invalid();
	for (int i = 0; i < neps; i++) {
		jv via = jv_array();
		jv_object_foreach(w.counts[i], k, v) {
			if (jv_number_value(v) >= REACH_MIN)
				via = jv_array_append(via, jv_copy(k));
			jv_free(k);
			jv_free(v);
		}
		jv_free(w.counts[i]);
		if (rc == 0)
			out = bi_set(out, eps[i].name, via);
		else
			jv_free(via);
	}
	free(w.from);
	free(w.to);
	free(w.counts);
	return out;
}

jv
bi_reach(bi_docker *d, const char *api, const char *cid, const char *base, const bi_endpoint *eps,
	 int neps, volatile sig_atomic_t *stop)
{
	jv counted = api ? traffic(api) : jv_invalid();

	if (jv_is_valid(counted)) {
		jv_free(counted);
		return reach_counted(api, base, eps, neps, stop);
	}
	jv_free(counted);
	return reach_logged(d, cid, base, eps, neps, stop);
}

int
bi_reach_flags(jv reach, const bi_endpoint *eps, int neps, const char *proxy, unsigned char *flags)
{
	int n = 0;

	for (int i = 0; i < neps; i++) {
		jv via = jv_get_kind(reach) == JV_KIND_OBJECT ?
			jv_object_get(jv_copy(reach), jv_string(eps[i].name)) : jv_invalid();
		flags[i] = jv_get_kind(via) == JV_KIND_ARRAY &&
			   (proxy ? bi_reach_has(via, proxy) : jv_array_length(jv_copy(via)) > 0);
		n += flags[i];
		jv_free(via);
	}
	return n;
}
