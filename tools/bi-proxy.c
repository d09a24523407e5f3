/*
 * bi-proxy: a fault-injecting TCP proxy with toxiproxy's control API.
 *
 * Runs any number of proxies (lib/engines/proxy.c) in one process, set up from the
 * command line, a config file, or at run time through an HTTP API on loopback
 * that answers as toxiproxy's does (GET/POST /proxies, /proxies/NAME/toxics,
 * POST /reset ...), so existing toxiproxy clients drive it. Toxics: latency
 * (with jitter), bandwidth, timeout, reset_peer, slow_close, limit_data,
 * slicer, each on one direction with a toxicity. A proxy may also split its
 * connections over weighted upstreams (canary traffic). Writes a `proxy`
 * record for each connection and change; on SIGTERM it stops accepting and
 * lets open connections finish (--drain).
 *
 * The API has no authentication, so it answers only requests whose Host is
 * loopback or its own address (a web page cannot reach it by rebinding a
 * name), and it makes listeners beyond loopback only with --allow-remote.
 */
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <microhttpd.h>

#include "base/util.h"
#include "base/addr.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/config.h"
#include "engines/proxy.h"
static const char usage[] =
	"usage: bi-proxy [--api ADDR] [--proxy NAME,LISTEN,UPSTREAM]... [--config FILE]\n"
	"Proxy TCP connections and break them on purpose; toxiproxy's API on --api.\n"
	"\n"
	"  -a, --api ADDR        the control API (default 127.0.0.1:8474)\n"
	"  -p, --proxy SPEC      a proxy: NAME,LISTEN,UPSTREAM (repeatable)\n"
	"  -c, --config FILE     proxies from a file: a JSON or YAML list of\n"
	"                        {name, listen, upstream} (toxiproxy's format)\n"
	"      --allow-remote    let the API make proxies that listen beyond loopback\n"
	"      --api-host NAME   also answer requests whose Host is NAME (repeatable)\n"
	"      --drain DUR       on SIGTERM, let connections finish this long (default 5s)\n"
	"  -q, --quiet           no records\n"
	"  -h, --help            show this help\n"
	"      --version         show the version\n"
	"Exit: 0 after a clean drain, 1 a proxy could not start, 2 usage.\n";

static bi_proxy_engine *engine;
static int quiet;
static char api_host[256];	/* the API's own host, unless a wildcard */
static char **api_hosts;	/* --api-host */
static int napi_hosts;

static void
on_event(void *ctx, jv rec)
{
	(void)ctx;
	if (quiet)
		jv_free(rec);
	else
		bi_write(rec);
}

/* ---- the control API ---- */

struct req {
	bi_buf body;
};

static enum MHD_Result
reply(struct MHD_Connection *conn, int status, jv v)
{
	jv s;

	if (!jv_is_valid(v)) {
		jv m = jv_invalid_get_msg(v);
		jv err = jv_object_set(jv_object(), jv_string("error"),
				       jv_get_kind(m) == JV_KIND_STRING ? m : (jv_free(m), jv_string("error")));
		err = jv_object_set(err, jv_string("status"), jv_number(status));
		s = jv_dump_string(err, 0);
	} else if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		s = jv_string("");
	} else {
		s = jv_dump_string(v, 0);
	}
	const char *p = jv_string_value(s);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(p), (void *)p,
								 MHD_RESPMEM_MUST_COPY);
	if (*p)
		MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	jv_free(s);
	return ret;
}

static jv
body_json(struct req *rq, int *bad)
{
	*bad = 0;
	if (!rq->body.len)
		return jv_object();
	jv v = jv_parse_sized(rq->body.p, (int)rq->body.len);
	if (!jv_is_valid(v)) {
		jv_free(v);
		*bad = 1;
		return jv_invalid_with_msg(jv_string("bad request body"));
	}
	return v;
}

static enum MHD_Result
route(struct MHD_Connection *conn, const char *method, const char *url, struct req *rq)
{
	int status = 200, bad;
	char a[128] = "", b[128] = "", c[128] = "";
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST"), del = !strcmp(method, "DELETE");

	/* /proxies/A/toxics/C */
	int parts = sscanf(url, "/proxies/%127[^/]/%127[^/]/%127[^/]", a, b, c);
	if (!strcmp(url, "/version") && get)
		return reply(conn, 200, jv_object_set(jv_object(), jv_string("version"),
						      jv_string(BI_VERSION)));
	if (!strcmp(url, "/reset") && post) {
		bi_proxy_reset(engine);
		return reply(conn, 204, jv_null());
	}
	if (!strcmp(url, "/proxies") && get)
		return reply(conn, 200, bi_proxy_list(engine));
	if (!strcmp(url, "/proxies") && post) {
		jv body = body_json(rq, &bad);
		if (bad)
			return reply(conn, 400, body);
		jv r = bi_proxy_create(engine, body, &status);
		return reply(conn, status, r);
	}
	if (!strcmp(url, "/populate") && post) {
		jv body = body_json(rq, &bad);
		if (bad || jv_get_kind(body) != JV_KIND_ARRAY) {
			jv_free(body);
			return reply(conn, 400, jv_invalid_with_msg(jv_string("expected a list of proxies")));
		}
		jv made = jv_array();
		jv_array_foreach(body, i, p) {
			/* A name with a NUL inside is no name: made, it is refused. */
			const char *name = bi_get_str(p, "name");
			if (name && (size_t)jv_string_length_bytes(jv_object_get(jv_copy(p), jv_string("name"))) !=
				    strlen(name))
				name = NULL;
			jv old = name ? bi_proxy_get(engine, name, &status) : jv_invalid();
			jv r = jv_is_valid(old) ? bi_proxy_update(engine, name, jv_copy(p), &status)
						: bi_proxy_create(engine, jv_copy(p), &status);
			jv_free(old);
			jv_free(p);
			if (!jv_is_valid(r)) {
				jv_free(made);
				jv_free(body);
				return reply(conn, status, r);
			}
			made = jv_array_append(made, r);
		}
		jv_free(body);
		return reply(conn, 201, jv_object_set(jv_object(), jv_string("proxies"), made));
	}
	if (parts == 1) {
		if (get) {
			jv r = bi_proxy_get(engine, a, &status);
			return reply(conn, status, r);
		}
		if (post) {
			jv body = body_json(rq, &bad);
			if (bad)
				return reply(conn, 400, body);
			jv r = bi_proxy_update(engine, a, body, &status);
			return reply(conn, status, r);
		}
		if (del) {
			status = bi_proxy_delete(engine, a);
			return reply(conn, status, status == 204 ? jv_null() :
				     jv_invalid_with_msg(jv_string("proxy not found")));
		}
	}
	if (parts >= 2 && !strcmp(b, "toxics")) {
		if (parts == 2 && get) {
			jv r = bi_proxy_toxics(engine, a, NULL, &status);
			return reply(conn, status, r);
		}
		if (parts == 2 && post) {
			jv body = body_json(rq, &bad);
			if (bad)
				return reply(conn, 400, body);
			jv r = bi_proxy_add_toxic(engine, a, body, &status);
			return reply(conn, status, r);
		}
		if (parts == 3 && get) {
			jv r = bi_proxy_toxics(engine, a, c, &status);
			return reply(conn, status, r);
		}
		if (parts == 3 && post) {
			jv body = body_json(rq, &bad);
			if (bad)
				return reply(conn, 400, body);
			jv r = bi_proxy_update_toxic(engine, a, c, body, &status);
			return reply(conn, status, r);
		}
		if (parts == 3 && del) {
			status = bi_proxy_delete_toxic(engine, a, c);
			return reply(conn, status, status == 204 ? jv_null() :
				     jv_invalid_with_msg(jv_string("toxic not found")));
		}
	}
	return reply(conn, 404, jv_invalid_with_msg(jv_string("not found")));
}

/* Whether a request's Host names this API: loopback, localhost, the
 * address the API listens on, or an --api-host. */
static int
host_allowed(const char *host, char *why, size_t n)
{
	char err[300];
	bi_url u;

	if (!host || !*host) {
		snprintf(why, n, "no Host header: the API answers only requests that name it");
		return 0;
	}
	if (bi_url_parse(host, &u, err, sizeof err) != 0 || u.scheme[0] || u.path[0]) {
		snprintf(why, n, "Host %.200s: not HOST[:PORT]", host);
		return 0;
	}
	if (bi_host_is_loopback(u.host) || (*api_host && !strcasecmp(u.host, api_host)))
		return 1;
	for (int i = 0; i < napi_hosts; i++)
		if (!strcasecmp(u.host, api_hosts[i]))
			return 1;
	snprintf(why, n, "Host %.200s is not this API's address (loopback, localhost%s%s, or "
		 "--api-host): refused, as a web page could send it by rebinding a name",
		 host, *api_host ? ", " : "", api_host);
	return 0;
}

/* The path's %XX decoded as MHD would, but for %00, left as it is: a NUL
 * would cut a name short, and no name holds one. */
static size_t
unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *w = s;
	(void)cls;
	(void)conn;

	for (const char *r = s; *r;) {
		unsigned v;
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2]) &&
		    sscanf(r + 1, "%2x", &v) == 1 && v) {
			*w++ = (char)v;
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	struct req *rq = *ctx;
	(void)cls;
	(void)version;

	if (!rq) {
		rq = bi_calloc(1, sizeof *rq);
		*ctx = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->body.len + *upload_size > 1 << 20)
			return MHD_NO;
		bi_buf_add(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	/* A browser could be made to call us from a web page: refuse it, as
	 * toxiproxy does; and a name rebound to 127.0.0.1 shows in Host. */
	char why[700];
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	if (!host_allowed(host, why, sizeof why))
		return reply(conn, 403, jv_invalid_with_msg(jv_string(why)));
	const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	if (ua && strstr(ua, "Mozilla/"))
		return reply(conn, 403, jv_invalid_with_msg(jv_string("no browsers, please")));
	return route(conn, method, url, rq);
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_RequestTerminationCode t)
{
	struct req *rq = *ctx;
	(void)cls;
	(void)conn;
	(void)t;
	if (rq) {
		bi_buf_free(&rq->body);
		free(rq);
		*ctx = NULL;
	}
}

static struct MHD_Daemon *
start_api(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[300];
	bi_url u;

	if (bi_url_parse(addr, &u, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "--api: %s", err);
	if (u.scheme[0] || !u.port)
		bi_die(BI_EXIT_USAGE, "--api: expected HOST:PORT, not %s", addr);
	if (bi_addr_resolve(*u.host ? u.host : "127.0.0.1", u.port, 0, &ss, &len, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "--api %s: %s", addr, err);
	if (strcmp(u.host, "0.0.0.0") && strcmp(u.host, "::"))
		snprintf(api_host, sizeof api_host, "%s", u.host);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!d)
		bi_die(BI_EXIT_FAIL, "cannot serve the API on %s:", addr);
	return d;
}

static void
create(jv body, const char *from)
{
	int status;
	jv r = bi_proxy_create(engine, body, &status);

	if (!jv_is_valid(r)) {
		jv m = jv_invalid_get_msg(r);
		bi_die(BI_EXIT_FAIL, "%s: %s", from, jv_string_value(m));
	}
	jv_free(r);
}

static void
add_spec(const char *spec)
{
	char name[64], listen[128], upstream[256];

	if (sscanf(spec, "%63[^,],%127[^,],%255s", name, listen, upstream) != 3)
		bi_die(BI_EXIT_USAGE, "--proxy: expected NAME,LISTEN,UPSTREAM, not %s", spec);
	jv b = jv_object();
	b = jv_object_set(b, jv_string("name"), jv_string(name));
	b = jv_object_set(b, jv_string("listen"), jv_string(listen));
	b = jv_object_set(b, jv_string("upstream"), jv_string(upstream));
	create(b, spec);
}

static void
add_config(const char *path)
{
	jv list = bi_yaml_load(path);

	if (!jv_is_valid(list)) {
		jv m = jv_invalid_get_msg(list);
		bi_die(BI_EXIT_USAGE, "%s", jv_string_value(m));
	}
	if (jv_get_kind(list) != JV_KIND_ARRAY)
		bi_die(BI_EXIT_USAGE, "%s: expected a list of proxies", path);
	jv_array_foreach(list, i, p)
		create(p, path);
	jv_free(list);
}

static volatile int stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"api", required_argument, NULL, 'a'},
		{"proxy", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},
		{"drain", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"allow-remote", no_argument, NULL, 'R'},
		{"api-host", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *api = "127.0.0.1:8474";
	char **specs = NULL, **configs = NULL;
	int nspecs = 0, nconfigs = 0, c, allow_remote = 0;
	int64_t drain = 5 * BI_NS_PER_S;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "a:p:c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': api = optarg; break;
		case 'p':
			specs = bi_realloc(specs, (nspecs + 1) * sizeof *specs);
			specs[nspecs++] = optarg;
			break;
		case 'c':
			configs = bi_realloc(configs, (nconfigs + 1) * sizeof *configs);
			configs[nconfigs++] = optarg;
			break;
		case 'd':
			if (bi_dur_parse(optarg, &drain))
				bi_usage_error(usage, "--drain: not a duration: %s", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'R': allow_remote = 1; break;
		case 'H':
			api_hosts = bi_realloc(api_hosts, (napi_hosts + 1) * sizeof *api_hosts);
			api_hosts[napi_hosts++] = optarg;
			break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	engine = bi_proxy_new(on_event, NULL);
	if (!engine)
		bi_die(BI_EXIT_FAIL, "cannot start:");
	/* The proxies of the command line listen where their author said. */
	bi_proxy_allow_remote(engine, 1);
	for (int i = 0; i < nconfigs; i++)
		add_config(configs[i]);
	for (int i = 0; i < nspecs; i++)
		add_spec(specs[i]);
	bi_proxy_allow_remote(engine, allow_remote);

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct MHD_Daemon *d = start_api(api);
	bi_proxy_lock(engine);
	jv r = bi_record("proxy");
	r = jv_object_set(r, jv_string("event"), jv_string("api"));
	r = jv_object_set(r, jv_string("listen"), jv_string(api));
	on_event(NULL, r);
	bi_proxy_unlock(engine);
	bi_proxy_run(engine, &stop, drain);
	MHD_stop_daemon(d);
	bi_proxy_free(engine);
	bi_write_flush();
	free(specs);
	free(configs);
	free(api_hosts);
	return BI_EXIT_OK;
}
