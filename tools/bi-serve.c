/*
 * bi-serve: the dashboard's JSON API over a project's store, read-only.
 *
 * Serves GET /api/status, /api/logs, /api/logs/stream (Server-Sent Events of
 * new log records), /api/metrics, /api/metrics/series, /api/alerts,
 * /api/findings and /api/events
 * from the store bi-store and bi-metrics keep (lib/engines/serve.c answers;
 * this file is the HTTP transport, with libmicrohttpd, one thread per
 * connection so that a stream that waits blocks no one else).
 *
 * Safe by default: it listens on 127.0.0.1 only unless --listen names
 * another address; every request carries the project's token (made at the
 * first start, 32 random bytes in .blissful-infra/serve.token, mode 0600) as
 * Authorization: Bearer; Host and Origin must name loopback and our port;
 * bodies are bounded (1 MiB; more is counted, never kept, and answered 413);
 * the database is opened read-only. It writes nothing to stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <microhttpd.h>

#include "base/util.h"
#include "base/addr.h"
#include "base/time.h"
#include "base/config.h"
#include "base/jsonl.h"
#include "sources/store.h"
#include "engines/serve.h"

static const char usage[] =
	"usage: bi-serve [--port N] [--listen ADDR] [--token-file FILE] [--db PATH]\n"
	"Serve the project's store read-only as a JSON API, for the dashboard.\n"
	"\n"
	"  -p, --port N          the port (default 8470; 0: any free one)\n"
	"  -l, --listen ADDR     listen on ADDR instead of 127.0.0.1 (one address,\n"
	"                        not a wildcard); Host may then name it too\n"
	"  -t, --token-file FILE the token requests must carry (default\n"
	"                        .blissful-infra/serve.token beside the store, made\n"
	"                        with mode 0600 when missing)\n"
	"      --db PATH         the store (default $BI_DB, else .blissful-infra/bi.db)\n"
	"      --project NAME    the project's name in /api/status (default: the\n"
	"                        name in blissful-infra.yaml, else its folder's)\n"
	"  -h, --help            show this help\n"
	"      --version         show the version\n"
	"Exit: 0 stopped by SIGINT or SIGTERM, 1 cannot listen, 2 usage (no store,\n"
	"a bad token file), 4 the store or the token cannot be read or made.\n";

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the token ---- */

/* The token in path: made when missing (O_EXCL, mode 0600), refused when
 * others may read it or it is too short to be a secret. */
static char *
load_token(const char *path, int make)
{
	struct stat sb;

	if (make && stat(path, &sb) != 0 && errno == ENOENT) {
		unsigned char raw[32];
		char hex[65];
		if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
			bi_die(BI_EXIT_LOCAL, "no random bytes for a token:");
		for (size_t i = 0; i < sizeof raw; i++)
			snprintf(hex + 2 * i, 3, "%02x", raw[i]);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		if (fd < 0)
			bi_die(BI_EXIT_LOCAL, "%s:", path);
		hex[64] = '\n';
		if (write(fd, hex, 65) != 65 || close(fd) != 0)
			bi_die(BI_EXIT_LOCAL, "%s:", path);
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		bi_die(errno == ENOENT ? BI_EXIT_USAGE : BI_EXIT_LOCAL, "token file %s:", path);
	if (fstat(fd, &sb) != 0)
		bi_die(BI_EXIT_LOCAL, "%s:", path);
	if (sb.st_mode & 077)
		bi_die(BI_EXIT_USAGE, "%s: others may read it (chmod 600 %s)", path, path);
	char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		bi_die(BI_EXIT_LOCAL, "%s:", path);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) < 16 || strspn(buf, "0123456789abcdefghijklmnopqrstuvwxyz"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~+/=") != strlen(buf))
		bi_die(BI_EXIT_USAGE, "%s: a token is one line of at least 16 letters, digits "
		       "or -_.~+/=", path);
	return bi_strdup(buf);
}

/* ---- requests ---- */

struct req {
	int64_t body;		/* bytes received, not kept */
};

struct params {
	bi_serve_param p[BI_SERVE_PARAMS_MAX + 1];
	int n;
};

static enum MHD_Result
collect(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen, const char *value,
	size_t vlen)
{
	struct params *ps = cls;
	(void)kind;
	if (ps->n > BI_SERVE_PARAMS_MAX)
		return MHD_NO;	/* one more than allowed is enough to refuse */
	ps->p[ps->n++] = (bi_serve_param){key, value ? value : "", klen, value ? vlen : 0};
	return MHD_YES;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, int status, const char *body, size_t n, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_error(struct MHD_Connection *conn, int status, const char *why)
{
	jv d = jv_dump_string(jv_object_set(jv_object(), jv_string("error"), jv_string(why)), 0);
	enum MHD_Result r = reply(conn, status, jv_string_value(d),
				  (size_t)jv_string_length_bytes(jv_copy(d)), "application/json");
	jv_free(d);
	return r;
}

/* A live stream: its own connection to the store, polled until the client
 * goes or the server stops; a comment every 15 s finds a gone client. */
struct stream {
	const bi_serve *s;
	sqlite3 *db;
	bi_serve_query q;
	char *service, *text;
	int64_t last, quiet_since;
	bi_buf out;
	size_t off;
};

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	(void)pos;

	while (st->off == st->out.len) {
		st->out.len = st->off = 0;
		if (*st->s->stop)
			return MHD_CONTENT_READER_END_OF_STREAM;
		int n = bi_serve_stream_poll(st->db, &st->q, &st->last, &st->out);
		if (n < 0) {
			bi_warn("stream: %s", bi_sql_error(st->db));
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (n > 0) {
			st->quiet_since = bi_mono_ns();
		} else if (bi_mono_ns() - st->quiet_since > 15 * BI_NS_PER_S) {
			bi_buf_adds(&st->out, ": keepalive\n\n");
			st->quiet_since = bi_mono_ns();
		} else {
			usleep(200 * 1000);
		}
	}
	size_t k = st->out.len - st->off < max ? st->out.len - st->off : max;
	memcpy(buf, st->out.p + st->off, k);
	st->off += k;
	return (ssize_t)k;
}

static void
stream_free(void *cls)
{
	struct stream *st = cls;
	sqlite3_close(st->db);
	free(st->service);
	free(st->text);
	bi_buf_free(&st->out);
	free(st);
}

static enum MHD_Result
start_stream(struct MHD_Connection *conn, const bi_serve *s, sqlite3 *db, const struct params *ps)
{
	char err[300];
	struct stream *st = bi_calloc(1, sizeof *st);

	st->s = s;
	st->db = db;
	if (bi_serve_query_parse(ps->p, ps->n, bi_now_ns(), &st->q, err, sizeof err)) {
		stream_free(st);
		return reply_error(conn, 400, err);
	}
	/* The parameters live with the request; the stream may outlive them. */
	st->q.service = st->service = st->q.service ? bi_strdup(st->q.service) : NULL;
	st->q.text = st->text = st->q.text ? bi_strdup(st->q.text) : NULL;
	st->last = -1;
	const char *from = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
	if (from) {
		char *end;
		long long id = strtoll(from, &end, 10);
		if (!*end && id >= 0)
			st->last = id;
	}
	if (bi_serve_stream_poll(db, &st->q, &st->last, &st->out) < 0) {
		stream_free(st);
		return reply_error(conn, 500, "the store cannot be read");
	}
	/* A first line at once, so the client has the headers before any record. */
	if (!st->out.len)
		bi_buf_adds(&st->out, ": connected\n\n");
	st->quiet_since = bi_mono_ns();
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
								   stream_read, st, stream_free);
	if (!r) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	const bi_serve *s = cls;
	struct req *rq = *ctx;
	(void)version;
	(void)upload;

	if (!rq) {
		/* The gate, before any body is read. */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		int64_t length = -1;
		if (cl) {
			char *end;
			errno = 0;
			length = strtoll(cl, &end, 10);
			if (*end || errno || length < 0)
				length = INT64_MAX;
		}
		const char *why;
		int status = bi_serve_gate(s,
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
			length, &why);
		if (status)
			return reply_error(conn, status, why);
		*ctx = bi_calloc(1, sizeof *rq);
		return MHD_YES;
	}
	if (*upload_size) {	/* no route reads a body: count it only */
		rq->body += (int64_t)*upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->body > BI_SERVE_BODY_MAX)
		return reply_error(conn, 413, "the request body is over 1 MiB");

	struct params ps = {.n = 0};
	char err[300];
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect, &ps);
	int bad = bi_serve_params_ok(url, ps.p, ps.n, err, sizeof err);
	if (bad) {
		bi_buf b = {0};
		bi_serve_handle(s, NULL, method, url, ps.p, ps.n, &b);
		enum MHD_Result r = reply(conn, bad, b.p, b.len, "application/json");
		bi_buf_free(&b);
		return r;
	}
	sqlite3 *db = bi_serve_open_db(s->db_path, err, sizeof err);
	if (!db) {
		bi_warn("%s", err);
		return reply_error(conn, 500, "the store cannot be opened");
	}
	if (bi_serve_is_stream(url) && !strcmp(method, "GET"))
		return start_stream(conn, s, db, &ps);	/* which owns db now */
	bi_buf b = {0};
	int status = bi_serve_handle(s, db, method, url, ps.p, ps.n, &b);
	sqlite3_close(db);
	if (status >= 500)
		bi_warn("%s %s: %s", method, url, b.p);
	enum MHD_Result r = reply(conn, status, b.p ? b.p : "", b.len, "application/json");
	bi_buf_free(&b);
	return r;
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)conn;
	(void)t;
	free(*ctx);
	*ctx = NULL;
}

/* ---- main ---- */

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"listen", required_argument, NULL, 'l'},
		{"token-file", required_argument, NULL, 't'},
		{"db", required_argument, NULL, 'D'},
		{"project", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	bi_serve s = {.port = 8470, .stop = &stop};
	const char *listen = NULL, *token_file = NULL;
	char *db_path = NULL, *end;
	int c;

	bi_init(argv[0]);
	while ((c = getopt_long(argc, argv, "p:l:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			s.port = (int)strtol(optarg, &end, 10);
			if (*end || !*optarg || s.port < 0 || s.port > 65535)
				bi_usage_error(usage, "--port: not a port: %s", optarg);
			break;
		case 'l': listen = optarg; break;
		case 't': token_file = optarg; break;
		case 'D': db_path = bi_strdup(optarg); break;
		case 'P': s.project = optarg; break;
		case 'h': bi_help(usage);
		case 'V': bi_version();
		default: bi_usage_error(usage, NULL);
		}
	}
	if (optind < argc)
		bi_usage_error(usage, "unexpected argument: %s", argv[optind]);
	if (listen && (!*listen || !strcmp(listen, "0.0.0.0") || !strcmp(listen, "::") ||
		       !strcmp(listen, "[::]")))
		bi_usage_error(usage, "--listen: one address, not a wildcard: %s", listen);

	if (!db_path)
		db_path = bi_store_path();
	jv cfg = bi_config();	/* a malformed file is fatal, exit 2 */
	char *root = bi_project_dir(), *name = NULL;
	if (!s.project) {
		const char *n = bi_jv_path_str(cfg, "name", NULL);
		name = n ? bi_strdup(n) : root ? bi_strdup(strrchr(root, '/') + 1) : NULL;
		s.project = name;
	}
	jv_free(cfg);
	free(root);
	if (access(db_path, F_OK) != 0)
		bi_die(BI_EXIT_USAGE, "no store at %s (bi-store put makes one)", db_path);
	char err[512];
	sqlite3 *db = bi_serve_open_db(db_path, err, sizeof err);
	if (!db)
		bi_die(BI_EXIT_LOCAL, "%s", err);
	sqlite3_close(db);
	s.db_path = db_path;

	char *made = NULL;
	if (!token_file) {
		const char *slash = strrchr(db_path, '/');
		made = slash ? bi_asprintf("%.*s/serve.token", (int)(slash - db_path), db_path)
			     : bi_strdup("serve.token");
	}
	char *token = load_token(token_file ? token_file : made, !token_file);
	s.token = token;

	const char *host = listen ? listen : "127.0.0.1";
	if (listen && listen[0] == '[') {	/* [::1] as a URL writes it */
		char *h = bi_strdup(listen + 1);
		h[strcspn(h, "]")] = '\0';
		host = h;
	}
	/* Host may name the address asked for, loopback (127.0.0.2) or not. */
	if (listen)
		s.listen = host;
	if (listen && !bi_host_is_loopback(host))
		bi_warn("listening beyond loopback, on %s: whoever reaches it with the token "
			"reads the store (no TLS)", host);
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (bi_addr_resolve(host, s.port, 0, &ss, &sslen, err, sizeof err) != 0)
		bi_die(BI_EXIT_USAGE, "--listen %s: %s", host, err);
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	/* The server's threads inherit this mask: the signals come to main. */
	pthread_sigmask(SIG_BLOCK, &block, &old);
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, (uint16_t)s.port, NULL, NULL, on_request, &s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
	if (!d)
		bi_die(BI_EXIT_FAIL, "cannot listen on %s port %d:", host, s.port);
	if (!s.port) {
		const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		s.port = i ? i->port : 0;
	}
	bi_warn("serving %s on http://%s%s%s:%d/api/ (token in %s)", db_path,
		strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", s.port,
		token_file ? token_file : made);
	while (!stop)
		sigsuspend(&old);
	MHD_stop_daemon(d);
	free(token);
	free(made);
	free(name);
	free(db_path);
	return BI_EXIT_OK;
}
