/*
 * bi-serve: the dashboard, a page and its JSON API over a project's store.
 *
 * Serves the page (index.html, app.js, style.css from the data directory,
 * share/blissful-infra/dashboard beside the binary's folder, or --data) and
 * the API: GET /api/status, /api/logs, /api/records, /api/findings,
 * /api/events, /api/metrics, /api/metrics/series, /api/metrics/history,
 * /api/alerts, /api/scores, /api/kb, /api/session; Server-Sent Events of new
 * log records (/api/logs/stream) and of the figures (/api/metrics/stream);
 * POST /api/alerts/ack and POST /api/chat, which runs bi-ask with the
 * store's newest records as context and streams its answer as it comes
 * (lib/engines/serve.c answers; this file is the HTTP transport, with
 * libmicrohttpd, one thread per connection so that a stream that waits
 * blocks no one else).
 *
 * Safe by default: it listens on 127.0.0.1 only unless --listen names
 * another address; every request carries the project's token (made at the
 * first start, 32 random bytes in .blissful-infra/serve.token, mode 0600) as
 * Authorization: Bearer, or, for a GET, in the cookie that / sets once when
 * the URL carries ?token= (a browser's EventSource sends no header); a
 * POST needs the header. Host and Origin must name loopback and our port;
 * bodies are bounded (1 MiB; more is counted, never kept, and answered 413);
 * the database is opened read-only but for an alert's acknowledgement;
 * nothing deletes a file. It writes nothing to stdout.
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
	"usage: bi-serve [--port N] [--listen ADDR] [--token-file FILE] [--db PATH] [--data DIR]\n"
	"Serve the dashboard: its page and a JSON API over the project's store.\n"
	"\n"
	"  -p, --port N          the port (default 8470; 0: any free one)\n"
	"  -l, --listen ADDR     listen on ADDR instead of 127.0.0.1 (one address,\n"
	"                        not a wildcard); Host may then name it too\n"
	"  -t, --token-file FILE the token requests must carry (default\n"
	"                        .blissful-infra/serve.token beside the store, made\n"
	"                        with mode 0600 when missing)\n"
	"      --db PATH         the store (default $BI_DB, else .blissful-infra/bi.db)\n"
	"      --data DIR        the page's files (default: share/blissful-infra/dashboard\n"
	"                        beside the folder of the binary)\n"
	"      --project NAME    the project's name in /api/status (default: the\n"
	"                        name in blissful-infra.yaml, else its folder's)\n"
	"  -h, --help            show this help\n"
	"      --version         show the version\n"
	"Exit: 0 stopped by SIGINT or SIGTERM, 1 cannot listen, 2 usage (no store,\n"
	"no page, a bad token file), 4 the store or the token cannot be read or made.\n";

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
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			bi_die(BI_EXIT_LOCAL, "%s:", path);
		hex[64] = '\n';
		if (write(fd, hex, 65) != 65 || close(fd) != 0)
			bi_die(BI_EXIT_LOCAL, "%s:", path);
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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

#define CHAT_BODY_MAX (64 * 1024)	/* a question and its options */

struct req {
	int64_t body;		/* bytes received; kept only for /api/chat */
	bi_buf kept;
	int chat;
};

struct params {
	bi_serve_param p[BI_SERVE_PARAMS_MAX + 1];
	int n;
};

static const char *data_dir;	/* the page's files */
static char self_dir[4096];	/* where bi-serve is: bi-ask beside it */

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

static void
secure_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; object-src 'none'; "
				"base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}

static enum MHD_Result
reply(struct MHD_Connection *conn, int status, const char *body, size_t n, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	secure_headers(r);
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

static enum MHD_Result
start_sse(struct MHD_Connection *conn, MHD_ContentReaderCallback fn, void *st,
	  MHD_ContentReaderFreeCallback fr)
{
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, fn,
								   st, fr);
	if (!r) {
		fr(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	secure_headers(r);
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the page ---- */

/* A file of the data directory: one name of letters, digits, - and _ with
 * a known extension, opened beneath it without following a link. */
static enum MHD_Result
serve_file(struct MHD_Connection *conn, const char *url)
{
	static const char *const types[][2] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"}, {".svg", "image/svg+xml"},
		{".png", "image/png"}, {".ico", "image/x-icon"}};
	const char *name = strcmp(url, "/") ? url + 1 : "index.html";
	const char *dot = strrchr(name, '.');
	const char *type = NULL;

	if (dot && dot > name && strspn(name, "abcdefghijklmnopqrstuvwxyz"
		     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == (size_t)(dot - name))
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (!strcmp(dot, types[i][0]))
				type = types[i][1];
	if (!type)
		return reply_error(conn, 404, "no such file");
	int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = dfd < 0 ? -1 : openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		close(dfd);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		return reply_error(conn, 404, "no such file");
	}
	struct MHD_Response *r = MHD_create_response_from_fd((size_t)sb.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	secure_headers(r);
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static const char login_page[] =
	"<!doctype html><meta charset=utf-8><title>blissful-infra</title>"
	"<p>This dashboard needs its token: open the URL that "
	"<code>blissful-infra dashboard</code> printed.</p>\n";

/* /?token=T, with T the token: a cookie keeps it, and the browser goes
 * to / without it in the address bar or its history. */
static enum MHD_Result
login(struct MHD_Connection *conn, const bi_serve *s)
{
	char cookie[400];
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);

	if (!r)
		return MHD_NO;
	snprintf(cookie, sizeof cookie, "bi_token_%d=%s; Path=/; HttpOnly; SameSite=Strict",
		 s->port, s->token);
	MHD_add_response_header(r, "Set-Cookie", cookie);
	MHD_add_response_header(r, "Location", "/");
	secure_headers(r);
	enum MHD_Result ret = MHD_queue_response(conn, 303, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- streams of logs and metrics ---- */

/* A live stream: its own connection to the store, polled until the client
 * goes or the server stops; a comment every 15 s finds a gone client. */
struct stream {
	const bi_serve *s;
	sqlite3 *db;
	bi_serve_query q;
	char *service, *text;
	int metrics;		/* the figures every 5 s, not logs */
	int64_t last, quiet_since, next;
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
		int n = 0;
		if (st->metrics && bi_mono_ns() >= st->next) {
			st->next = bi_mono_ns() + 5 * BI_NS_PER_S;
			n = bi_serve_metrics_event(st->db, "1m", &st->out) ? -1 : 1;
		} else if (!st->metrics) {
			n = bi_serve_stream_poll(st->db, &st->q, &st->last, &st->out);
		}
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
start_stream(struct MHD_Connection *conn, const bi_serve *s, sqlite3 *db, const char *url,
	     const struct params *ps)
{
	char err[300];
	struct stream *st = bi_calloc(1, sizeof *st);

	st->s = s;
	st->db = db;
	st->metrics = !strcmp(url, "/api/metrics/stream");
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
	if (!st->metrics && bi_serve_stream_poll(db, &st->q, &st->last, &st->out) < 0) {
		stream_free(st);
		return reply_error(conn, 500, "the store cannot be read");
	}
	/* A first line at once, so the client has the headers before any record. */
	if (!st->out.len)
		bi_buf_adds(&st->out, ": connected\n\n");
	st->quiet_since = bi_mono_ns();
	return start_sse(conn, stream_read, st, stream_free);
}

/* ---- the agent's chat: bi-ask, its answer streamed as it comes ---- */

#define CHATS_MAX 4	/* bi-asks at once; more are answered 429 */
static int chats;	/* running, under chats_lock */
static pthread_mutex_t chats_lock = PTHREAD_MUTEX_INITIALIZER;

struct chat {
	const bi_serve *s;
	bi_serve_chat *run;
	bi_buf out;
	size_t off;
	int done;
};

static ssize_t
chat_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct chat *c = cls;
	(void)pos;

	while (c->off == c->out.len) {
		c->out.len = c->off = 0;
		if (c->done || *c->s->stop)
			return MHD_CONTENT_READER_END_OF_STREAM;
		c->done = !bi_serve_chat_poll(c->run, 1000, &c->out);
		if (!c->out.len && !c->done)
			bi_buf_adds(&c->out, ": waiting\n\n");	/* finds a client gone */
	}
	size_t k = c->out.len - c->off < max ? c->out.len - c->off : max;
	memcpy(buf, c->out.p + c->off, k);
	c->off += k;
	return (ssize_t)k;
}

static void
chat_free(void *cls)
{
	struct chat *c = cls;
	bi_serve_chat_free(c->run);	/* the client went first: bi-ask need not go on */
	bi_buf_free(&c->out);
	free(c);
	pthread_mutex_lock(&chats_lock);
	chats--;
	pthread_mutex_unlock(&chats_lock);
}

static enum MHD_Result
start_chat(struct MHD_Connection *conn, const bi_serve *s, const bi_buf *body)
{
	jv req = body->len ? jv_parse_sized(body->p, (int)body->len) : jv_invalid();
	jv q = jv_is_valid(req) && jv_get_kind(req) == JV_KIND_OBJECT ?
	       jv_object_get(jv_copy(req), jv_string("question")) : jv_invalid();
	jv_free(req);
	if (!jv_is_valid(q) || jv_get_kind(q) != JV_KIND_STRING || !jv_string_length_bytes(jv_copy(q))) {
		jv_free(q);
		return reply_error(conn, 400, "the body is {\"question\": \"...\"}");
	}
	pthread_mutex_lock(&chats_lock);
	int busy = chats >= CHATS_MAX;
	if (!busy)
		chats++;
	pthread_mutex_unlock(&chats_lock);
	if (busy) {
		jv_free(q);
		return reply_error(conn, 429, "the agent is answering enough questions already");
	}
	struct chat *c = bi_calloc(1, sizeof *c);
	c->s = s;
	char err[300];
	sqlite3 *db = bi_serve_open_db(s->db_path, err, sizeof err);
	int ctx = db ? bi_serve_chat_context(db, 5000) : -1;
	sqlite3_close(db);
	char *ask = bi_asprintf("%s/bi-ask", self_dir);
	const char *argv[] = {access(ask, X_OK) ? "bi-ask" : ask, "--query", jv_string_value(q), NULL};
	c->run = ctx < 0 ? NULL : bi_serve_chat_start(argv, ctx, err, sizeof err);
	if (ctx >= 0)
		close(ctx);
	free(ask);
	jv_free(q);
	if (!c->run) {
		bi_warn("chat: %s", ctx < 0 ? "the store cannot be read" : err);
		chat_free(c);
		return reply_error(conn, 500, ctx < 0 ? "the store cannot be read" : "bi-ask cannot be run");
	}
	bi_buf_adds(&c->out, ": asking\n\n");
	return start_sse(conn, chat_read, c, chat_free);
}

/* ---- the dispatch ---- */

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	const bi_serve *s = cls;
	struct req *rq = *ctx;
	(void)version;

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
		const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
		const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
		const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
		int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
		char tok[256], bearer[300];
		/* The URL printed at start, /?token=, is looked at before any cookie:
		 * one left by another project's server on this port would otherwise
		 * stand in its way. It decides, and its cookie replaces the old one. */
		const char *given = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
		if (!auth && get && given && !strcmp(url, "/")) {
			snprintf(bearer, sizeof bearer, "Bearer %s", given);
			const char *why;
			int st = bi_serve_gate(s, host, origin, bearer, length, &why);
			return st ? reply_error(conn, st, why) : login(conn, s);
		}
		/* A GET may carry the token in its cookie; a change, in the header only,
		 * which no other site's page can make a browser send. */
		if (!auth && get && !bi_serve_cookie_token(MHD_lookup_connection_value(conn,
				MHD_HEADER_KIND, "Cookie"), s->port, tok, sizeof tok)) {
			snprintf(bearer, sizeof bearer, "Bearer %s", tok);
			auth = bearer;
		}
		const char *why;
		int status = bi_serve_gate(s, host, origin, auth, length, &why);
		if (status == 401 && get && strncmp(url, "/api/", 5))
			return reply(conn, 401, login_page, sizeof login_page - 1,
				     "text/html; charset=utf-8");
		if (status)
			return reply_error(conn, status, why);
		rq = *ctx = bi_calloc(1, sizeof *rq);
		rq->chat = !strcmp(method, "POST") && !strcmp(url, "/api/chat");
		return MHD_YES;
	}
	if (*upload_size) {	/* a body is counted; only a question is kept */
		rq->body += (int64_t)*upload_size;
		if (rq->chat && rq->body <= CHAT_BODY_MAX)
			bi_buf_add(&rq->kept, upload, *upload_size);
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
	if (strncmp(url, "/api/", 5)) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return reply_error(conn, 405, "the page answers GET only");
		return serve_file(conn, url);
	}
	if (!strcmp(url, "/api/session") && !strcmp(method, "GET")) {
		/* For the page's POSTs, which need the header: the origin check
		 * already keeps another site's page from reading this. */
		jv t = jv_object_set(jv_object(), jv_string("token"), jv_string(s->token));
		t = jv_object_set(t, jv_string("port"), jv_number(s->port));
		jv d = jv_dump_string(t, 0);
		enum MHD_Result r = reply(conn, 200, jv_string_value(d),
					  (size_t)jv_string_length_bytes(jv_copy(d)), "application/json");
		jv_free(d);
		return r;
	}
	if (rq->chat) {
		if (rq->body > CHAT_BODY_MAX)
			return reply_error(conn, 413, "a question is at most 64 KiB");
		return start_chat(conn, s, &rq->kept);
	}
	if (!strcmp(method, "POST")) {
		bi_buf b = {0};
		int status = bi_serve_handle(s, NULL, method, url, ps.p, ps.n, &b);
		enum MHD_Result r = reply(conn, status, b.p ? b.p : "", b.len, "application/json");
		bi_buf_free(&b);
		return r;
	}
	sqlite3 *db = bi_serve_open_db(s->db_path, err, sizeof err);
	if (!db) {
		bi_warn("%s", err);
		return reply_error(conn, 500, "the store cannot be opened");
	}
	if (bi_serve_is_stream(url) && !strcmp(method, "GET"))
		return start_stream(conn, s, db, url, &ps);	/* which owns db now */
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
	struct req *rq = *ctx;
	(void)cls;
	(void)conn;
	(void)t;
	if (rq)
		bi_buf_free(&rq->kept);
	free(rq);
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
		{"data", required_argument, NULL, 'd'},
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
		case 'd': data_dir = optarg; break;
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

	ssize_t sn = readlink("/proc/self/exe", self_dir, sizeof self_dir - 1);
	self_dir[sn > 0 ? sn : 0] = '\0';
	if (strrchr(self_dir, '/'))
		*strrchr(self_dir, '/') = '\0';
	/* Installed or in the source tree, the page is in share/ beside bin/. */
	char *data_made = NULL;
	if (!data_dir)
		data_dir = data_made = bi_asprintf("%.*s/share/blissful-infra/dashboard",
			(int)(strrchr(self_dir, '/') ? strrchr(self_dir, '/') - self_dir : 0), self_dir);
	struct stat dsb;
	if (stat(data_dir, &dsb) != 0 || !S_ISDIR(dsb.st_mode))
		bi_die(BI_EXIT_USAGE, "no page at %s (--data names its folder)", data_dir);
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
	bi_warn("serving %s on http://%s%s%s:%d/ (token in %s)", db_path,
		strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", s.port,
		token_file ? token_file : made);
	while (!stop)
		sigsuspend(&old);
	MHD_stop_daemon(d);
	free(token);
	free(made);
	free(data_made);
	free(name);
	free(db_path);
	return BI_EXIT_OK;
}
