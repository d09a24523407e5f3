/*
 * {{PROJECT_NAME}}: an HTTP service in C on libmicrohttpd.
 *
 * Serves the standard endpoints of blissful-infra's templates (/health,
 * /hello, /hello/{name}, /echo, /ready, /live, /startup, /metrics), logs one
 * JSON object per line on stdout, and reads its configuration from the
 * environment. Fault knobs (service.h) make it misbehave on purpose, for
 * chaos experiments and load tests. `service --healthcheck` asks a running
 * service for /health and exits 0 or 1, for container health checks.
 *
 * Tracing: every request is a span of a W3C trace, continued from its
 * traceparent header when it has one, and answered with its own; its log
 * line carries trace_id and span_id. Probes (/health, /live, /ready,
 * /startup) and /metrics make no span. With OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, spans are sent in batches over
 * OTLP/HTTP JSON by a thread of their own, every OTEL_BSP_SCHEDULE_DELAY ms
 * (5000), at most 2048 waiting (more are dropped and counted), and the last
 * ones at shutdown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
{{#if postgres}}
#include <libpq-fe.h>
{{/if}}

#include "service.h"

static int64_t started_ms, startup_ms;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long requests;

/* ---- span export ---- */

#define SPANS_MAX 2048
static pthread_mutex_t span_lock = PTHREAD_MUTEX_INITIALIZER;
static struct str span_batch;	/* span objects, comma-separated */
static int span_count;
static unsigned long spans_dropped;
static char *otlp_url;		/* NULL: no export */
static const char *service_name = "{{PROJECT_NAME}}";

static int dial(const char *url, const char *defport, char *why, size_t n);
static void log_json(const char *level, const char *logger, const char *extra, const char *fmt, ...);

static void
span_keep(const struct trace *t, const char *method, const char *route, int status,
	  int64_t start_ns, int64_t end_ns)
{
	if (!otlp_url || !t->sampled)
		return;
	pthread_mutex_lock(&span_lock);
	if (span_count < SPANS_MAX) {
		if (span_count++)
			str_add(&span_batch, ",", 1);
		span_json(&span_batch, t, method, route, status, start_ns, end_ns);
	} else {
		spans_dropped++;
	}
	pthread_mutex_unlock(&span_lock);
}

/* POST the spans waiting to the collector: the HTTP status, or -1. */
static int
span_flush(void)
{
	char why[256], head[512], reply[64] = "";
	struct str body = {0}, req = {0};

	pthread_mutex_lock(&span_lock);
	struct str batch = span_batch;
	int n = span_count;
	span_batch = (struct str){0};
	span_count = 0;
	pthread_mutex_unlock(&span_lock);
	if (!n)
		return 0;
	otlp_request(&body, service_name, batch.p, batch.len);
	str_free(&batch);
	const char *p = strstr(otlp_url, "://");
	p = p ? p + 3 : otlp_url;
	const char *path = strchr(p, '/');
	int fd = dial(otlp_url, "4318", why, sizeof why), status = -1;
	if (fd >= 0) {
		int hl = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: %.*s\r\n"
				  "Content-Type: application/json\r\nContent-Length: %zu\r\n"
				  "Connection: close\r\n\r\n", path ? path : "/",
				  (int)(path ? (size_t)(path - p) : strlen(p)), p, body.len);
		str_add(&req, head, (size_t)hl);
		str_add(&req, body.p, body.len);
		ssize_t w = write(fd, req.p, req.len);
		ssize_t got = w == (ssize_t)req.len ? read(fd, reply, sizeof reply - 1) : -1;
		if (got > 0) {
			reply[got] = '\0';
			sscanf(reply, "HTTP/%*s %d", &status);
		}
		close(fd);
	}
	if (status < 200 || status > 299)
		log_json("WARN", "tracing", NULL, "%d span%s not sent to %s: %s", n, n == 1 ? "" : "s",
			 otlp_url, fd < 0 ? why : status < 0 ? "no answer" : reply);
	str_free(&body);
	str_free(&req);
	return status;
}

static void *
span_exporter(void *arg)
{
	long delay = (long)(intptr_t)arg;

	for (;;) {
		usleep((useconds_t)(delay * 1000));
		span_flush();
	}
	return NULL;
}

/* One JSON log line; extra is a fragment of further fields or NULL. */
static void
log_json(const char *level, const char *logger, const char *extra, const char *fmt, ...)
{
	char msg[1024], ts[32];
	va_list ap;
	struct str line = {0};

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	str_printf(&line, "{\"@timestamp\":\"%s\",\"level\":\"%s\",\"logger_name\":\"%s\",\"message\":",
		   timestamp(ts, now_ms()), level, logger);
	str_json(&line, msg);
	if (extra)
		str_printf(&line, ",%s", extra);
	str_add(&line, "}\n", 2);
	pthread_mutex_lock(&log_lock);
	fwrite(line.p, 1, line.len, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&log_lock);
	str_free(&line);
}

/* ---- dependencies ---- */

/* host and port of "scheme://[user[:pass]@]host:port[/...]" or "host:port". */
static int
host_port(const char *url, char *host, size_t n, char *port, size_t pn, const char *defport)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	const char *at = strchr(p, '@');
	const char *slash = strchr(p, '/');
	if (at && (!slash || at < slash))
		p = at + 1;
	size_t len = strcspn(p, "/?");
	const char *colon = memchr(p, ':', len);
	size_t hl = colon ? (size_t)(colon - p) : len;
	if (hl == 0 || hl >= n)
		return -1;
	memcpy(host, p, hl);
	host[hl] = '\0';
	if (colon)
		snprintf(port, pn, "%.*s", (int)(len - hl - 1), colon + 1);
	else
		snprintf(port, pn, "%s", defport);
	return 0;
}

/* A TCP connection with a deadline of one second; -1 with a reason. */
static int
dial(const char *url, const char *defport, char *why, size_t n)
{
	char host[256], port[16];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;

	if (host_port(url, host, sizeof host, port, sizeof port, defport) != 0) {
		snprintf(why, n, "bad address %s", url);
		return -1;
	}
	int e = getaddrinfo(host, port, &hints, &ai);
	if (e != 0) {
		snprintf(why, n, "%s: %s", host, gai_strerror(e));
		return -1;
	}
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(why, n, "%s:%s: %s", host, port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

{{#if redis}}
/* One Redis command in RESP; the first line of the reply in reply. */
static int
redis_cmd(const char *const *argv, int argc, char *reply, size_t n)
{
	const char *url = getenv("REDIS_URL");
	struct str req = {0};
	int fd = dial(url && *url ? url : "redis://redis:6379", "6379", reply, n);

	if (fd < 0)
		return -1;
	str_printf(&req, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		str_printf(&req, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	ssize_t k = send(fd, req.p, req.len, MSG_NOSIGNAL);
	str_free(&req);
	if (k <= 0) {
		snprintf(reply, n, "redis: %s", strerror(errno));
		close(fd);
		return -1;
	}
	k = recv(fd, reply, n - 1, 0);
	close(fd);
	if (k <= 0) {
		snprintf(reply, n, "redis: %s", k == 0 ? "connection closed" : strerror(errno));
		return -1;
	}
	reply[k] = '\0';
	reply[strcspn(reply, "\r\n")] = '\0';
	if (reply[0] == '-')
		return -1;
	return 0;
}

static int
check_redis(char *why, size_t n)
{
	const char *ping[] = {"PING"};
	return redis_cmd(ping, 1, why, n) == 0 && strcmp(why, "+PONG") == 0 ? 0 : -1;
}
{{/if}}

{{#if postgres}}
static int
check_postgres(char *why, size_t n)
{
	const char *url = getenv("DATABASE_URL");
	PGPing p = PQping(url && *url ? url : "postgres://app:app@postgres:5432/{{PROJECT_IDENT}}");
	if (p == PQPING_OK)
		return 0;
	snprintf(why, n, "postgres: %s", p == PQPING_REJECT ? "rejecting connections" :
		 p == PQPING_NO_RESPONSE ? "no response" : "bad connection settings");
	return -1;
}
{{/if}}

{{#if kafka}}
/* Reachability of the bootstrap server: a TCP connection, not a Kafka
 * metadata request, which would need a Kafka client library. */
static int
check_kafka(char *why, size_t n)
{
	const char *servers = getenv("KAFKA_BOOTSTRAP_SERVERS");
	char first[256];
	snprintf(first, sizeof first, "%s", servers && *servers ? servers : "kafka:9092");
	first[strcspn(first, ",")] = '\0';
	int fd = dial(first, "9092", why, n);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
{{/if}}

struct check {
	const char *name;
	int (*fn)(char *why, size_t n);
};
static const struct check checks[] = {
{{#if postgres}}
	{"postgres", check_postgres},
{{/if}}
{{#if redis}}
	{"redis", check_redis},
{{/if}}
{{#if kafka}}
	{"kafka", check_kafka},
{{/if}}
	{NULL, NULL}
};

/* {"status":...,"checks":{...}}; returns 200 or 503. */
static int
readiness(struct str *out)
{
	struct str c = {0};
	int ok = 1;

	str_add(&c, "{", 1);
	for (const struct check *k = checks; k->name; k++) {
		char why[256];
		int up = k->fn(why, sizeof why) == 0;
		if (!up) {
			ok = 0;
			log_json("WARN", "readiness", NULL, "%s is down: %s", k->name, why);
		}
		str_printf(&c, "%s\"%s\":\"%s\"", k == checks ? "" : ",", k->name, up ? "up" : "down");
	}
	str_add(&c, "}", 1);
	str_printf(out, "{\"status\":\"%s\",\"checks\":%s}", ok ? "ready" : "not ready", c.p);
	str_free(&c);
	return ok ? 200 : 503;
}

/* With FAULT_DEP_FATAL, lose a dependency and the whole service goes: the
 * behaviour of a service without graceful degradation. */
static void *
watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		sleep(1);
		if (!faults.dep_fatal)
			continue;
		for (const struct check *k = checks; k->name; k++) {
			char why[256];
			if (k->fn(why, sizeof why) != 0) {
				log_json("ERROR", "watchdog", NULL, "lost %s (%s); exiting", k->name, why);
				exit(1);
			}
		}
	}
	return NULL;
}

/* ---- requests ---- */

struct req {
	struct str body;
	int64_t start_us, start_ns;
	struct trace trace;
};

static int64_t
mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
handle(enum route r, const char *method, const char *name, const struct str *body,
       struct str *out, const char **ctype)
{
	*ctype = "application/json";
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	switch (r) {
	case R_HEALTH:
		if (!get) break;
		str_printf(out, "{\"status\":\"ok\"}");
		return 200;
	case R_HELLO:
		if (!get) break;
		str_printf(out, "{\"message\":\"Hello, World!\"}");
		return 200;
	case R_HELLO_NAME: {
		if (!get) break;
		struct str greeting = {0};
		str_printf(&greeting, "Hello, %s!", name);
		str_printf(out, "{\"message\":");
		str_json(out, greeting.p);
		str_add(out, "}", 1);
		str_free(&greeting);
		return 200;
	}
	case R_ECHO:
		if (strcmp(method, "POST") != 0) break;
		if (!body->len || !json_valid(body->p, body->len)) {
			str_printf(out, "{\"error\":\"the body is not JSON\"}");
			return 400;
		}
		str_add(out, body->p, body->len);
		return 200;
	case R_READY:
		if (!get) break;
		return readiness(out);
	case R_LIVE:
		if (!get) break;
		str_printf(out, "{\"status\":\"alive\"}");
		return 200;
	case R_STARTUP: {
		if (!get) break;
		char ts[32];
		str_printf(out, "{\"started_at\":\"%s\",\"startup_ms\":%lld}",
			   timestamp(ts, started_ms), (long long)startup_ms);
		return 200;
	}
	case R_METRICS:
		if (!get) break;
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		metrics_render(out);
		return 200;
	case R_VISITS: {
		if (!get) break;
{{#if redis}}
		/* A request that needs Redis: it fails while Redis is down, and
		 * the others go on. */
		const char *incr[] = {"INCR", "{{PROJECT_NAME}}:visits"};
		char reply[256];
		if (redis_cmd(incr, 2, reply, sizeof reply) != 0 || reply[0] != ':') {
			str_printf(out, "{\"error\":");
			str_json(out, reply);
			str_add(out, "}", 1);
			return 503;
		}
		str_printf(out, "{\"visits\":%s}", reply + 1);
		return 200;
{{else}}
		str_printf(out, "{\"error\":\"no redis in this project\"}");
		return 404;
{{/if}}
	}
	case R_FAULTS:
		if (strcmp(method, "POST") == 0 && faults_update(body->p ? body->p : "") != 0) {
			str_printf(out, "{\"error\":\"expected a JSON object of knobs\"}");
			return 400;
		}
		if (!get && strcmp(method, "POST") != 0) break;
		faults_json(out);
		return 200;
	default:
		str_printf(out, "{\"error\":\"not found\"}");
		return 404;
	}
	str_printf(out, "{\"error\":\"method not allowed\"}");
	return 405;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	struct req *rq = *ctx;
	(void)cls; (void)version;

	if (!rq) {
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		rq->start_us = mono_us();
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		rq->start_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		trace_start(&rq->trace, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "traceparent"));
		*ctx = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->body.len + *upload_size > 1 << 20)
			return MHD_NO;	/* a megabyte is plenty for /echo */
		str_add(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}

	const char *name = NULL;
	enum route r = route_of(url, &name);
	struct str out = {0};
	const char *ctype;
	int status;
	unsigned long n = __atomic_add_fetch(&requests, 1, __ATOMIC_RELAXED);

	if (faults.crash_after > 0 && n > (unsigned long)faults.crash_after) {
		log_json("ERROR", "fault", NULL, "crashing after %ld requests (FAULT_CRASH_AFTER)",
			 faults.crash_after);
		abort();
	}
	if (faults.leak_kb > 0) {
		size_t k = (size_t)(faults.leak_kb * 1024);
		char *leak = malloc(k);
		if (leak)
			memset(leak, 0xA5, k);	/* touched, so it is resident */
	}
	if (faults.latency_ms > 0 && r != R_METRICS && r != R_FAULTS)
		usleep((useconds_t)(faults.latency_ms * 1000));
	if (faults.error_rate > 0 && r != R_METRICS && r != R_FAULTS && r != R_HEALTH &&
	    r != R_LIVE && (double)random() / RAND_MAX < faults.error_rate) {
		str_printf(&out, "{\"error\":\"injected fault\"}");
		ctype = "application/json";
		status = 500;
	} else {
		status = handle(r, method, name, &rq->body, &out, &ctype);
	}

	struct MHD_Response *resp = MHD_create_response_from_buffer(out.len, out.p ? out.p : "",
								    MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", ctype);
	char tp[56];
	trace_header(&rq->trace, tp);
	MHD_add_response_header(resp, "traceparent", tp);
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);

	double secs = (mono_us() - rq->start_us) / 1e6;
	metrics_observe(method, r, status, secs);
	if (r != R_METRICS) {
		/* Probes are no one's request: no span. */
		if (r != R_HEALTH && r != R_LIVE && r != R_READY && r != R_STARTUP)
			span_keep(&rq->trace, method, route_pattern[r], status, rq->start_ns,
				  rq->start_ns + (mono_us() - rq->start_us) * 1000);
		struct str extra = {0};
		str_printf(&extra, "\"method\":\"%s\",\"path\":", method);
		str_json(&extra, url);
		str_printf(&extra, ",\"route\":\"%s\",\"status\":%d,\"duration_ms\":%.3f,"
			   "\"trace_id\":\"%s\",\"span_id\":\"%s\"", route_pattern[r], status,
			   secs * 1000, rq->trace.trace_id, rq->trace.span_id);
		log_json(status >= 500 ? "ERROR" : "INFO", "http", extra.p, "%s %s %d", method,
			 url, status);
		str_free(&extra);
	}
	str_free(&out);
	return ret;
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_RequestTerminationCode t)
{
	struct req *rq = *ctx;
	(void)cls; (void)conn; (void)t;
	if (rq) {
		str_free(&rq->body);
		free(rq);
		*ctx = NULL;
	}
}

/* GET http://127.0.0.1:PORT/health: 0 if it answers 200. */
static int
healthcheck(const char *port)
{
	char addr[64], why[256], buf[256];
	snprintf(addr, sizeof addr, "127.0.0.1:%s", port);
	int fd = dial(addr, port, why, sizeof why);
	if (fd < 0) {
		fprintf(stderr, "healthcheck: %s\n", why);
		return 1;
	}
	const char *req = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		return 1;
	ssize_t k = recv(fd, buf, sizeof buf - 1, 0);
	close(fd);
	if (k <= 0)
		return 1;
	buf[k] = '\0';
	return strncmp(buf, "HTTP/1.1 200", 12) == 0 || strncmp(buf, "HTTP/1.0 200", 12) == 0 ? 0 : 1;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int
main(int argc, char **argv)
{
	const char *port = getenv("PORT");
	if (!port || !*port)
		port = "{{PORT}}";
	if (argc > 1 && strcmp(argv[1], "--healthcheck") == 0)
		return healthcheck(port);

	started_ms = now_ms();
	int64_t t0 = mono_us();
	faults_from_env();
	srandom((unsigned)(started_ms ^ getpid()));

	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
	const char *bind = getenv("BIND_ADDRESS");
	inet_pton(AF_INET, bind && *bind ? bind : "0.0.0.0", &addr.sin_addr);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_END);
	if (!d) {
		log_json("ERROR", "main", NULL, "cannot listen on port %s: %s", port, strerror(errno));
		return 1;
	}
	pthread_t wd;
	pthread_create(&wd, NULL, watchdog, NULL);
	pthread_detach(wd);
	const char *traces = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	const char *otlp = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	const char *sn = getenv("OTEL_SERVICE_NAME"), *bsp = getenv("OTEL_BSP_SCHEDULE_DELAY");
	if (sn && *sn)
		service_name = sn;
	if (traces && *traces) {
		otlp_url = strdup(traces);
	} else if (otlp && *otlp) {
		struct str u = {0};
		str_printf(&u, "%.*s/v1/traces", (int)(strlen(otlp) - (otlp[strlen(otlp) - 1] == '/')), otlp);
		otlp_url = u.p;
	}
	if (otlp_url) {
		long delay = bsp && atol(bsp) > 0 ? atol(bsp) : 5000;
		pthread_t ex;
		pthread_create(&ex, NULL, span_exporter, (void *)(intptr_t)delay);
		pthread_detach(ex);
	}
	startup_ms = (mono_us() - t0) / 1000;
	log_json("INFO", "main", NULL, "{{PROJECT_NAME}} listening on port %s (started in %lld ms)",
		 port, (long long)startup_ms);

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop)
		pause();
	log_json("INFO", "main", NULL, "shutting down");
	MHD_stop_daemon(d);
	if (otlp_url) {
		span_flush();
		if (spans_dropped)
			log_json("WARN", "tracing", NULL, "%lu spans dropped (more than %d waiting)",
				 spans_dropped, SPANS_MAX);
	}
	return 0;
}
