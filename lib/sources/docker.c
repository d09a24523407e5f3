/*
 * docker.c: a client of the Docker Engine API over DOCKER_HOST.
 *
 * DOCKER_HOST is taken apart by base/addr, as every address is: a port
 * outside 1-65535 or a host with a space is refused before any connect.
 * Containers are found by their compose labels, never by name. Logs and
 * exec output arrive as frames that libcurl may split anywhere, taken apart
 * by the demultiplexer (demux.c). Stats follow the docker CLI's arithmetic.
 * A bi_docker belongs to one thread.
 *
 * Layer: sources.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources/docker.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "base/addr.h"

#define API_MAX "1.41"

struct bi_docker {
	char *host;		/* as given: unix:///var/run/docker.sock */
	char *socket;		/* unix socket path, or NULL */
	char *base;		/* http://localhost or http://HOST:PORT */
	char api[16];
	char err[512];
};

const char *bi_docker_host(const bi_docker *d) { return d->host; }
const char *bi_docker_api(const bi_docker *d) { return d->api; }
const char *bi_docker_error(const bi_docker *d) { return d->err; }

static int
api_less(const char *a, const char *b)
{
	int amaj = atoi(a), bmaj = atoi(b);
	const char *ad = strchr(a, '.'), *bd = strchr(b, '.');
	int amin = ad ? atoi(ad + 1) : 0, bmin = bd ? atoi(bd + 1) : 0;

	return amaj < bmaj || (amaj == bmaj && amin < bmin);
}

/* Where DOCKER_HOST (host) points: d's socket (NULL for TCP) and base. 0,
 * or -1 with the reason in err. */
static int
endpoint(bi_docker *d, const char *host, char *err, size_t errlen)
{
	bi_url u;
	char why[sizeof u.path + 300];

	/* A socket's path is a file name: any bytes, spaces included. */
	if (!strncmp(host, "unix://", 7)) {
		if (!host[7]) {
			snprintf(err, errlen, "DOCKER_HOST=%s: no socket path", host);
			return -1;
		}
		d->socket = bi_strdup(host + 7);
		d->base = bi_strdup("http://localhost");
		return 0;
	}
	if (bi_url_parse(host, &u, why, sizeof why) != 0) {
		snprintf(err, errlen, "DOCKER_HOST=%s", why);
		return -1;
	}
	int tcp = !strcmp(u.scheme, "tcp");
	if (!tcp && strcmp(u.scheme, "http") && strcmp(u.scheme, "https")) {
		snprintf(err, errlen, "DOCKER_HOST=%s: not a unix://, tcp:// or http:// address", host);
		return -1;
	}
	if (!*u.host) {
		snprintf(err, errlen, "DOCKER_HOST=%s: no host", host);
		return -1;
	}
	/* tcp://HOST is the daemon's plain port, 2375, as for docker itself. */
	int port = u.port ? u.port : tcp ? 2375 : bi_url_default_port(u.scheme);
	int v6 = strchr(u.host, ':') != NULL;
	size_t pl = strlen(u.path);
	while (pl > 0 && u.path[pl - 1] == '/')
		u.path[--pl] = '\0';
	d->base = bi_asprintf("%s://%s%s%s:%d%s", tcp ? "http" : u.scheme, v6 ? "[" : "", u.host,
			      v6 ? "]" : "", port, u.path);
	return 0;
}

bi_docker *
bi_docker_open(char *err, size_t errlen)
{
	const char *host = getenv("DOCKER_HOST");
	bi_docker *d = bi_calloc(1, sizeof *d);

	if (!host || !*host)
		host = "unix:///var/run/docker.sock";
	d->host = bi_strdup(host);
	if (endpoint(d, host, err, errlen) != 0) {
		bi_docker_close(d);
		return NULL;
	}

	char *url = bi_asprintf("%s/version", d->base);
	long status;
	jv v = bi_http_json("GET", url, d->socket, NULL, 10000, &status);
	free(url);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		snprintf(err, errlen, "cannot reach Docker at %s: %s", host,
			 jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "no answer");
		jv_free(msg);
		bi_docker_close(d);
		return NULL;
	}
	const char *server = bi_get_str(v, "ApiVersion");
	snprintf(d->api, sizeof d->api, "%s",
		 server && api_less(server, API_MAX) ? server : API_MAX);
	jv_free(v);
	return d;
}

void
bi_docker_close(bi_docker *d)
{
	if (!d)
		return;
	free(d->host);
	free(d->socket);
	free(d->base);
	free(d);
}

static char *
url_for(bi_docker *d, const char *path)
{
	return bi_asprintf("%s/v%s%s", d->base, d->api, path);
}

/* Percent-encode s for a query string. */
static void
urlenc(bi_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = *s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.~", c)) {
			bi_buf_add(b, s, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			bi_buf_add(b, e, 3);
		}
	}
}

long
bi_docker_call(bi_docker *d, const char *method, const char *path,
	       const char *body, jv *out)
{
	char *url = url_for(d, path);
	bi_http_req req = {.method = method, .url = url, .unix_socket = d->socket,
			   .body = body, .timeout_ms = 120000};
	bi_http_resp resp;

	if (out)
		*out = jv_null();
	if (bi_http(&req, &resp) != 0) {
		snprintf(d->err, sizeof d->err, "cannot reach Docker at %s: %s",
			 d->host, resp.error);
		bi_http_resp_free(&resp);
		free(url);
		return -1;
	}
	free(url);
	jv v = resp.body.len ? jv_parse_sized(resp.body.p, (int)resp.body.len) : jv_null();
	if (resp.status >= 300) {
		jv m = jv_get_kind(v) == JV_KIND_OBJECT ?
			jv_object_get(jv_copy(v), jv_string("message")) : jv_invalid();
		snprintf(d->err, sizeof d->err, "%s %s: HTTP %ld: %s", method, path,
			 resp.status, jv_get_kind(m) == JV_KIND_STRING ?
			 jv_string_value(m) : resp.body.p);
		jv_free(m);
	}
	if (out && jv_is_valid(v)) {
		*out = v;
	} else {
		if (out && resp.status < 300)	/* not JSON: keep it as text */
			*out = jv_string_sized(resp.body.p, (int)resp.body.len);
		jv_free(v);
	}
	bi_http_resp_free(&resp);
	return resp.status;
}

jv
bi_docker_containers_label(bi_docker *d, const char *label, int all)
{
	jv filters = jv_object_set(jv_object(), jv_string("label"),
				   jv_array_append(jv_array(), jv_string(label)));
	return bi_docker_containers_filter(d, filters, all);
}

jv
bi_docker_containers_filter(bi_docker *d, jv filters, int all)
{
	bi_buf path = {0};
	jv f = jv_dump_string(filters, 0);
	jv out;

	bi_buf_printf(&path, "/containers/json?all=%d&filters=", all ? 1 : 0);
	urlenc(&path, jv_string_value(f));
	jv_free(f);
	long st = bi_docker_call(d, "GET", path.p, NULL, &out);
	bi_buf_free(&path);
	if (st != 200) {
		jv_free(out);
		return jv_invalid();
	}
	return out;
}

jv
bi_docker_containers(bi_docker *d, const char *project, const char *service, int all)
{
	jv labels = jv_array();
	char *l = bi_asprintf("com.docker.compose.project=%s", project);
	labels = jv_array_append(labels, jv_string(l));
	free(l);
	if (service) {
		l = bi_asprintf("com.docker.compose.service=%s", service);
		labels = jv_array_append(labels, jv_string(l));
		free(l);
	}
	return bi_docker_containers_filter(d,
		jv_object_set(jv_object(), jv_string("label"), labels), all);
}

static int
valid_id(bi_docker *d, const char *id)
{
	/* An id or name goes into a URL path: no '/', '?', '#' or '%'. */
	if (id && *id && !strpbrk(id, "/?#% "))
		return 1;
	snprintf(d->err, sizeof d->err, "not a container id: %s", id ? id : "(null)");
	return 0;
}

jv
bi_docker_inspect(bi_docker *d, const char *id)
{
	jv out;

	if (!valid_id(d, id))
		return jv_invalid();
	char *path = bi_asprintf("/containers/%s/json", id);
	long st = bi_docker_call(d, "GET", path, NULL, &out);
	free(path);
	if (st != 200) {
		jv_free(out);
		return jv_invalid();
	}
	return out;
}

int
bi_docker_action(bi_docker *d, const char *id, const char *action, const char *query)
{
	static const char *const ok[] = {"start", "stop", "restart", "kill", "pause",
					 "unpause", NULL};
	const char *const *a;

	for (a = ok; *a && strcmp(*a, action) != 0; a++)
		;
	if (!*a) {
		snprintf(d->err, sizeof d->err, "unknown container action: %s", action);
		return -1;
	}
	if (!valid_id(d, id))
		return -1;
	char *path = bi_asprintf("/containers/%s/%s%s%s", id, action,
				 query ? "?" : "", query ? query : "");
	long st = bi_docker_call(d, "POST", path, NULL, NULL);
	free(path);
	if (st == 204 || st == 200 || st == 304)
		return 0;
	if (st == 409 && strcmp(action, "kill") == 0)
		return 0;	/* not running: what kill wanted */
	return -1;
}

/* ---- logs, exec, stats, events ---- */

static int
demux_data(void *ctx, const char *buf, size_t n)
{
	return bi_demux_feed(ctx, buf, n);
}

static void
secs_arg(bi_buf *b, const char *name, int64_t ns)
{
	bi_buf_printf(b, "&%s=%lld.%09lld", name, (long long)(ns / BI_NS_PER_S),
		      (long long)(ns % BI_NS_PER_S));
}

int
bi_docker_logs(bi_docker *d, const char *id, const bi_docker_logs_opts *o,
	       bi_log_fn fn, void *ctx)
{
	bi_buf path = {0};
	bi_demux m;
	bi_http_resp resp;

	if (!valid_id(d, id))
		return -1;
	bi_buf_printf(&path, "/containers/%s/logs?stdout=1&stderr=1&timestamps=1", id);
	if (o->since > 0)
		secs_arg(&path, "since", o->since);
	if (o->until > 0)
		secs_arg(&path, "until", o->until);
	if (o->tail >= 0)
		bi_buf_printf(&path, "&tail=%ld", o->tail);
	if (o->follow)
		bi_buf_adds(&path, "&follow=1");
	char *url = url_for(d, path.p);
	bi_buf_free(&path);

	bi_demux_init(&m, o->tty, fn, ctx);
	bi_http_req req = {.url = url, .unix_socket = d->socket,
			   .timeout_ms = o->follow ? 0 : 300000,
			   .on_data = demux_data, .ctx = &m};
	int r = bi_http(&req, &resp);
	free(url);
	if (r != 0) {
		snprintf(d->err, sizeof d->err, "cannot reach Docker at %s: %s", d->host, resp.error);
	} else if (resp.status != 200 && !resp.stopped) {
		snprintf(d->err, sizeof d->err, "logs of %s: HTTP %ld", id, resp.status);
		r = -1;
	} else {
		bi_demux_end(&m);
	}
	bi_demux_free(&m);
	bi_http_resp_free(&resp);
	return r;
}

struct exec_out {
	void (*fn)(void *, int, const char *, size_t);
	void *ctx;
};

static int
exec_line(void *ctx, int stream, int64_t ts, const char *line, size_t n)
{
	struct exec_out *e = ctx;

	(void)ts;
	if (e->fn)
		e->fn(e->ctx, stream, line, n);
	return 0;
}

int
bi_docker_exec(bi_docker *d, const char *id, const char *const *argv, int *code,
	       void (*on_line)(void *ctx, int stream, const char *line, size_t len),
	       void *ctx)
{
	jv cmd = jv_array(), out;

	if (!valid_id(d, id))
		return -1;
	for (; *argv; argv++)
		cmd = jv_array_append(cmd, jv_string(*argv));
	jv spec = jv_object_set(jv_object(), jv_string("Cmd"), cmd);
	spec = jv_object_set(spec, jv_string("AttachStdout"), jv_true());
	spec = jv_object_set(spec, jv_string("AttachStderr"), jv_true());
	jv body = jv_dump_string(spec, 0);
	char *path = bi_asprintf("/containers/%s/exec", id);
	long st = bi_docker_call(d, "POST", path, jv_string_value(body), &out);
	free(path);
	jv_free(body);
	const char *eid = st == 201 ? bi_get_str(out, "Id") : NULL;
	if (!eid) {
		jv_free(out);
		return -1;
	}

	struct exec_out eo = {on_line, ctx};
	bi_demux m;
	bi_demux_init(&m, 0, exec_line, &eo);
	m.ts = 0;
	path = bi_asprintf("/exec/%s/start", eid);
	char *url = url_for(d, path);
	free(path);
	bi_http_req req = {.url = url, .unix_socket = d->socket,
			   .body = "{\"Detach\":false,\"Tty\":false}",
			   .on_data = demux_data, .ctx = &m};
	bi_http_resp resp;
	int r = bi_http(&req, &resp);
	free(url);
	bi_demux_end(&m);
	bi_demux_free(&m);
	bi_http_resp_free(&resp);
	if (r != 0) {
		snprintf(d->err, sizeof d->err, "exec in %s: %s", id, resp.error);
		jv_free(out);
		return -1;
	}

	jv info;
	path = bi_asprintf("/exec/%s/json", eid);
	st = bi_docker_call(d, "GET", path, NULL, &info);
	free(path);
	jv_free(out);
	if (st != 200) {
		jv_free(info);
		return -1;
	}
	if (code)
		*code = (int)bi_get_num(info, "ExitCode", -1);
	jv_free(info);
	return 0;
}

int
bi_docker_exec_detached(bi_docker *d, const char *id, const char *const *argv, const char *user,
			char *eid, size_t n)
{
	jv cmd = jv_array(), out;

	if (!valid_id(d, id))
		return -1;
	for (; *argv; argv++)
		cmd = jv_array_append(cmd, jv_string(*argv));
	jv spec = jv_object_set(jv_object(), jv_string("Cmd"), cmd);
	spec = jv_object_set(spec, jv_string("AttachStdout"), jv_false());
	spec = jv_object_set(spec, jv_string("AttachStderr"), jv_false());
	if (user)
		spec = jv_object_set(spec, jv_string("User"), jv_string(user));
	jv body = jv_dump_string(spec, 0);
	char *path = bi_asprintf("/containers/%s/exec", id);
	long st = bi_docker_call(d, "POST", path, jv_string_value(body), &out);
	free(path);
	jv_free(body);
	const char *e = st == 201 ? bi_get_str(out, "Id") : NULL;
	/* The exec's id goes into URL paths too. */
	if (st == 201 && (!e || strpbrk(e, "/?#% ")))
		snprintf(d->err, sizeof d->err, "exec in %s: no exec id in Docker's answer", id);
	if (!e || strpbrk(e, "/?#% ")) {
		jv_free(out);
		return -1;
	}
	snprintf(eid, n, "%s", e);
	jv_free(out);
	path = bi_asprintf("/exec/%s/start", eid);
	st = bi_docker_call(d, "POST", path, "{\"Detach\":true,\"Tty\":false}", NULL);
	free(path);
	return st >= 200 && st < 300 ? 0 : -1;
}

int
bi_docker_exec_wait(bi_docker *d, const char *eid, int64_t ns)
{
	int64_t end = bi_mono_ns() + ns;
	char *path = bi_asprintf("/exec/%s/json", eid);
	int code = -2;

	for (;;) {
		jv info;
		long st = bi_docker_call(d, "GET", path, NULL, &info);
		jv running = st == 200 ? bi_jv_path(info, "Running") : jv_invalid();
		if (st == 200 && jv_get_kind(running) == JV_KIND_FALSE)
			code = (int)bi_jv_path_num(info, "ExitCode", -2);
		else if (st == 200)
			code = -1;
		jv_free(running);
		jv_free(info);
		if (code != -1 || bi_mono_ns() >= end)
			break;
		usleep(50 * 1000);
	}
	free(path);
	return code;
}

static double
num_at(jv v, const char *path)
{
	jv x = bi_jv_path(v, path);
	double d = jv_get_kind(x) == JV_KIND_NUMBER ? jv_number_value(x) : 0;
	jv_free(x);
	return d;
}

static int
has(jv v, const char *path)
{
	jv x = bi_jv_path(v, path);
	int r = jv_get_kind(x) == JV_KIND_NUMBER;
	jv_free(x);
	return r;
}

jv
bi_docker_stats_compute(jv raw)
{
	jv out = jv_object();

	/* CPU, as the docker CLI: the share of the host's CPU time in the
	 * interval between precpu and cpu, times the CPUs online. */
	double cpu = num_at(raw, "cpu_stats.cpu_usage.total_usage");
	double pcpu = num_at(raw, "precpu_stats.cpu_usage.total_usage");
	double sys = num_at(raw, "cpu_stats.system_cpu_usage");
	double psys = num_at(raw, "precpu_stats.system_cpu_usage");
	double online = num_at(raw, "cpu_stats.online_cpus");
	if (online == 0) {
		jv per = bi_jv_path(raw, "cpu_stats.cpu_usage.percpu_usage");
		if (jv_get_kind(per) == JV_KIND_ARRAY)
			online = jv_array_length(jv_copy(per));
		jv_free(per);
	}
	if (psys > 0 && sys > psys && cpu >= pcpu)
		out = jv_object_set(out, jv_string("cpu_pct"),
				    jv_number((cpu - pcpu) / (sys - psys) * online * 100.0));
	else
		out = jv_object_set(out, jv_string("cpu_pct"), jv_null());

	/* Memory: usage less the inactive page cache (total_inactive_file on
	 * cgroup v1, inactive_file on v2), as `docker stats` shows it. */
	double usage = num_at(raw, "memory_stats.usage");
	double limit = num_at(raw, "memory_stats.limit");
	double used = usage;
	if (has(raw, "memory_stats.stats.total_inactive_file") &&
	    num_at(raw, "memory_stats.stats.total_inactive_file") < usage)
		used = usage - num_at(raw, "memory_stats.stats.total_inactive_file");
	else if (has(raw, "memory_stats.stats.inactive_file") &&
		 num_at(raw, "memory_stats.stats.inactive_file") < usage)
		used = usage - num_at(raw, "memory_stats.stats.inactive_file");
	out = jv_object_set(out, jv_string("mem_used"), jv_number(used));
	out = jv_object_set(out, jv_string("mem_limit"), jv_number(limit));
	out = jv_object_set(out, jv_string("mem_pct"),
			    limit > 0 ? jv_number(used / limit * 100.0) : jv_null());

	double rx = 0, tx = 0;
	jv nets = bi_jv_path(raw, "networks");
	if (jv_get_kind(nets) == JV_KIND_OBJECT) {
		jv_object_foreach(nets, k, n) {
			rx += num_at(n, "rx_bytes");
			tx += num_at(n, "tx_bytes");
			jv_free(k);
			jv_free(n);
		}
	}
	jv_free(nets);
	out = jv_object_set(out, jv_string("net_rx"), jv_number(rx));
	out = jv_object_set(out, jv_string("net_tx"), jv_number(tx));

	double rd = 0, wr = 0;
	jv io = bi_jv_path(raw, "blkio_stats.io_service_bytes_recursive");
	if (jv_get_kind(io) == JV_KIND_ARRAY) {
		jv_array_foreach(io, i, e) {
			const char *op = bi_get_str(e, "op");
			double v = bi_get_num(e, "value", 0);
			if (op && strcasecmp(op, "read") == 0)
				rd += v;
			else if (op && strcasecmp(op, "write") == 0)
				wr += v;
			jv_free(e);
		}
	}
	jv_free(io);
	out = jv_object_set(out, jv_string("blk_read"), jv_number(rd));
	out = jv_object_set(out, jv_string("blk_write"), jv_number(wr));
	out = jv_object_set(out, jv_string("pids"), jv_number(num_at(raw, "pids_stats.current")));
	jv_free(raw);
	return out;
}

jv
bi_docker_stats(bi_docker *d, const char *id, int one_shot)
{
	jv raw;

	if (!valid_id(d, id))
		return jv_invalid();
	char *path = bi_asprintf("/containers/%s/stats?stream=false%s", id,
				 one_shot ? "&one-shot=true" : "");
	long st = bi_docker_call(d, "GET", path, NULL, &raw);
	free(path);
	if (st != 200) {
		jv_free(raw);
		return jv_invalid();
	}
	return bi_docker_stats_compute(raw);
}

struct events {
	int (*fn)(void *, jv);
	void *ctx;
};

static int
event_line(void *ctx, const char *line, size_t n)
{
	struct events *e = ctx;

	if (n == 0)
		return 0;
	jv v = jv_parse_sized(line, (int)n);
	if (!jv_is_valid(v)) {
		jv_free(v);
		return 0;	/* not an event: keep listening */
	}
	return e->fn(e->ctx, v);
}

int
bi_docker_events(bi_docker *d, const char *filters, int64_t since, int64_t until,
		 int (*fn)(void *ctx, jv event), void *ctx)
{
	bi_buf path = {0};
	struct events e = {fn, ctx};
	bi_http_resp resp;

	bi_buf_adds(&path, "/events?");
	if (filters) {
		bi_buf_adds(&path, "filters=");
		urlenc(&path, filters);
	}
	if (since > 0)
		secs_arg(&path, "since", since);
	if (until > 0)
		secs_arg(&path, "until", until);
	char *url = url_for(d, path.p);
	bi_buf_free(&path);
	bi_http_req req = {.url = url, .unix_socket = d->socket,
			   .on_line = event_line, .ctx = &e};
	int r = bi_http(&req, &resp);
	free(url);
	if (r != 0)
		snprintf(d->err, sizeof d->err, "cannot reach Docker at %s: %s", d->host, resp.error);
	else if (resp.status != 200 && !resp.stopped) {
		snprintf(d->err, sizeof d->err, "events: HTTP %ld: %.200s", resp.status, resp.body.p);
		r = -1;
	}
	bi_http_resp_free(&resp);
	return r;
}

/* A one-file tar archive (ustar) in memory. */
static void
tar_one(bi_buf *b, const char *name, const void *data, size_t n, int mode)
{
	char h[512] = {0};
	unsigned sum = 0;

	snprintf(h, 100, "%s", name);
	snprintf(h + 100, 8, "%07o", mode & 07777);
	snprintf(h + 108, 8, "%07o", 0);
	snprintf(h + 116, 8, "%07o", 0);
	snprintf(h + 124, 12, "%011llo", (unsigned long long)n);
	snprintf(h + 136, 12, "%011llo", (unsigned long long)(bi_now_ns() / BI_NS_PER_S));
	memset(h + 148, ' ', 8);	/* the checksum counts itself as spaces */
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	bi_buf_add(b, h, 512);
	bi_buf_add(b, data, n);
	static const char zero[1024];
	if (n % 512)
		bi_buf_add(b, zero, 512 - n % 512);
	bi_buf_add(b, zero, 1024);
}

int
bi_docker_put_file(bi_docker *d, const char *id, const char *dir, const char *name,
		   const void *data, size_t n, int mode)
{
	bi_buf tar = {0}, path = {0};
	bi_http_resp resp;

	if (!valid_id(d, id) || strchr(name, '/')) {
		snprintf(d->err, sizeof d->err, "bad container or file name");
		return -1;
	}
	tar_one(&tar, name, data, n, mode);
	bi_buf_printf(&path, "/containers/%s/archive?path=", id);
	urlenc(&path, dir);
	char *url = url_for(d, path.p);
	bi_http_req req = {.method = "PUT", .url = url, .unix_socket = d->socket,
			   .body = tar.p, .body_len = tar.len, .content_type = "application/x-tar",
			   .timeout_ms = 60000};
	int r = bi_http(&req, &resp);
	if (r != 0)
		snprintf(d->err, sizeof d->err, "cannot reach Docker at %s: %s", d->host, resp.error);
	else if (resp.status != 200) {
		snprintf(d->err, sizeof d->err, "copy into %.12s: HTTP %ld: %.200s", id, resp.status,
			 resp.body.p);
		r = -1;
	}
	bi_http_resp_free(&resp);
	free(url);
	bi_buf_free(&tar);
	bi_buf_free(&path);
	return r;
}

/* ---- records ---- */

static const char *const lifecycle[] = {"create", "start", "restart", "stop", "kill", "die",
					"oom", "pause", "unpause", "destroy", NULL};

jv
bi_docker_event_record(jv ev, const char *project)
{
	const char *type = bi_get_str(ev, "Type"), *action = bi_get_str(ev, "Action");
	const char *id = bi_get_str(ev, "id"), *health = NULL;
	char act[64];

	if (!type || strcmp(type, "container") || !action || !id)
		return jv_invalid();
	/* "health_status: healthy" is an action with its value. */
	if (!strncmp(action, "health_status: ", 15)) {
		health = action + 15;
		snprintf(act, sizeof act, "health_status");
	} else {
		const char *const *a = lifecycle;
		while (*a && strcmp(*a, action))
			a++;
		if (!*a)
			return jv_invalid();	/* exec_*, attach, resize: health checks' noise */
		snprintf(act, sizeof act, "%s", action);
	}
	jv attrs = bi_jv_path(ev, "Actor.Attributes"), rec = bi_record("container");
	const char *service = bi_get_str(attrs, "com.docker.compose.service");
	double tn = bi_get_num(ev, "timeNano", 0);
	char ts[BI_TS_LEN];

	if (tn > 0 && tn < 9e18)	/* an int64_t of ns: until the year 2255 */
		rec = bi_set(rec, "ts", jv_string(bi_ts_fmt((int64_t)tn, ts)));
	rec = bi_set(rec, "project", jv_string(project));
	rec = bi_set(rec, "service", jv_string(service ? service : "?"));
	rec = bi_set(rec, "container", jv_string_fmt("%.12s", id));
	rec = bi_set(rec, "action", jv_string(act));
	const char *code = bi_get_str(attrs, "exitCode");
	if (code)
		rec = bi_set(rec, "exit_code", jv_number(atof(code)));
	static const char *const copied[] = {"signal", "health", "image", "name", NULL};
	for (const char *const *k = copied; *k; k++) {
		const char *v = !strcmp(*k, "health") ? health : bi_get_str(attrs, *k);
		if (v)
			rec = bi_set(rec, *k, jv_string(v));
	}
	jv_free(attrs);
	return rec;
}

/* "127.0.0.1:8080->8080/tcp,..." from a summary's Ports; "-" for none. */
static jv
ports_text(jv summary)
{
	jv ports = bi_jv_path(summary, "Ports");
	bi_buf p = {0};

	if (jv_get_kind(ports) == JV_KIND_ARRAY) {
		jv_array_foreach(ports, i, e) {
			double pub = bi_get_num(e, "PublicPort", 0);
			const char *ip = bi_get_str(e, "IP"), *type = bi_get_str(e, "Type");
			if (pub > 0)
				bi_buf_printf(&p, "%s%s:%.0f->%.0f/%s", p.len ? "," : "", ip ? ip : "",
					      pub, bi_get_num(e, "PrivatePort", 0), type ? type : "tcp");
			jv_free(e);
		}
	}
	jv_free(ports);
	jv text = jv_string(p.len ? p.p : "-");
	bi_buf_free(&p);
	return text;
}

jv
bi_docker_status_record(jv inspect, jv summary, const char *project)
{
	const char *id = bi_get_str(summary, "Id");
	jv labels = bi_jv_path(summary, "Labels");	/* keys with dots: not a path */
	const char *service = bi_get_str(labels, "com.docker.compose.service");
	jv rec = bi_record("container");
	char buf[64];

	rec = bi_set(rec, "project", jv_string(project));
	rec = bi_set(rec, "service", jv_string(service ? service : "?"));
	jv_free(labels);
	rec = bi_set(rec, "container", jv_string_fmt("%.12s", id ? id : "?"));
	rec = bi_set(rec, "action", jv_string("status"));
	if (!jv_is_valid(inspect))
		return bi_set(rec, "state", jv_string("gone"));
	const char *state = bi_jv_path_str(inspect, "State.Status", "?");
	rec = bi_set(rec, "state", jv_string(state));
	rec = bi_set(rec, "health", jv_string(bi_jv_path_str(inspect, "State.Health.Status", "-")));
	rec = bi_set(rec, "restarts", jv_number(bi_jv_path_num(inspect, "RestartCount", 0)));
	const char *image = bi_jv_path_str(inspect, "Config.Image", NULL);
	if (image)
		rec = bi_set(rec, "image", jv_string(image));
	int64_t started;
	if (!strcmp(state, "running")) {
		if (bi_ts_parse(bi_jv_path_str(inspect, "State.StartedAt", ""), &started) == 0)
			rec = bi_set(rec, "uptime", jv_string(bi_dur_fmt((bi_now_ns() - started) /
				BI_NS_PER_S * BI_NS_PER_S, buf, sizeof buf)));
	} else {
		rec = bi_set(rec, "exit_code", bi_jv_path(inspect, "State.ExitCode"));
	}
	return bi_set(rec, "ports", ports_text(summary));
}
