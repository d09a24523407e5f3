/* test-http: the libcurl wrapper against a small server in this process,
 * on a TCP port of 127.0.0.1 and on a unix socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "tap.h"

static void
send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
		if (k <= 0)
			return;
		s += k;
		n -= k;
	}
}

static void
reply(int fd, int status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, strlen(body));
	send_all(fd, head, n);
	send_all(fd, body, strlen(body));
}

static void *
serve(void *arg)
{
	int lfd = *(int *)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		char req[8192];
		size_t got = 0;
		char *end = NULL;
		while (!end && got < sizeof req - 1) {
			ssize_t k = recv(fd, req + got, sizeof req - 1 - got, 0);
			if (k <= 0)
				break;
			got += k;
			req[got] = '\0';
			end = strstr(req, "\r\n\r\n");
		}
		if (!end) {
			close(fd);
			continue;
		}
		char *cl = strcasestr(req, "Content-Length:");
		size_t blen = cl ? strtoul(cl + 15, NULL, 10) : 0;
		while (got < (size_t)(end + 4 - req) + blen && got < sizeof req - 1) {
			ssize_t k = recv(fd, req + got, sizeof req - 1 - got, 0);
			if (k <= 0)
				break;
			got += k;
			req[got] = '\0';
		}
		char method[16], path[256];
		sscanf(req, "%15s %255s", method, path);
		if (strcmp(path, "/json") == 0) {
			reply(fd, 200, "{\"a\":1}");
		} else if (strcmp(path, "/echo") == 0) {
			char body[1024];
			snprintf(body, sizeof body, "{\"method\":\"%s\",\"body\":%s}", method,
				 blen ? end + 4 : "null");
			reply(fd, 200, body);
		} else if (strcmp(path, "/stream") == 0) {
			const char *h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
			send_all(fd, h, strlen(h));
			send_all(fd, "8\r\nline1\nli\r\n", 13);
			usleep(100000);
			send_all(fd, "8\r\nne2\nlast\r\n0\r\n\r\n", 18);
		} else if (strcmp(path, "/slow") == 0) {
			sleep(2);
			reply(fd, 200, "{}");
		} else if (strcmp(path, "/text") == 0) {
			reply(fd, 200, "not json");
		} else {
			reply(fd, 404, "{\"message\":\"no such thing\"}");
		}
		close(fd);
	}
}

static char lines[8][64];
static int nlines;

static int
on_line(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	if (nlines < 8)
		snprintf(lines[nlines++], 64, "%.*s", (int)n, line);
	return 0;
}

static int
stop_first(void *ctx, const char *line, size_t n)
{
	(void)line; (void)n;
	++*(int *)ctx;
	return 1;
}

int
main(void)
{
	pthread_t t1, t2;
	plan(16);
	bi_init("test-http");

	int tfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	bind(tfd, (struct sockaddr *)&a, sizeof a);
	listen(tfd, 16);
	getsockname(tfd, (struct sockaddr *)&a, &al);
	int port = ntohs(a.sin_port);
	pthread_create(&t1, NULL, serve, &tfd);

	char sock[] = "/tmp/bi-test-http-XXXXXX";	/* not $TMPDIR: a socket path is short */
	char *dir = mkdtemp(sock);
	char *spath = bi_asprintf("%s/s.sock", dir);
	int ufd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un u = {.sun_family = AF_UNIX};
	snprintf(u.sun_path, sizeof u.sun_path, "%s", spath);
	bind(ufd, (struct sockaddr *)&u, sizeof u);
	listen(ufd, 16);
	pthread_create(&t2, NULL, serve, &ufd);

	char url[128];
	long status;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/json", port);
	jv v = bi_http_json(NULL, url, NULL, NULL, 2000, &status);
	ok(jv_is_valid(v) && bi_get_num(v, "a", 0) == 1 && status == 200, "GET JSON over TCP");
	jv_free(v);

	v = bi_http_json(NULL, "http://localhost/json", spath, NULL, 2000, &status);
	ok(jv_is_valid(v) && bi_get_num(v, "a", 0) == 1, "GET JSON over a unix socket");
	jv_free(v);

	snprintf(url, sizeof url, "http://127.0.0.1:%d/echo", port);
	v = bi_http_json("POST", url, NULL, "{\"q\":\"hi\"}", 2000, &status);
	jv body = jv_is_valid(v) ? jv_object_get(jv_copy(v), jv_string("body")) : jv_invalid();
	ok(jv_is_valid(v) && strcmp(bi_get_str(v, "method"), "POST") == 0 &&
	   strcmp(bi_get_str(body, "q"), "hi") == 0, "POST a JSON body");
	jv_free(body);
	jv_free(v);
	v = bi_http_json("DELETE", url, NULL, NULL, 2000, &status);
	is_str(jv_is_valid(v) ? bi_get_str(v, "method") : "?", "DELETE", "other methods");
	jv_free(v);

	snprintf(url, sizeof url, "http://127.0.0.1:%d/missing", port);
	v = bi_http_json(NULL, url, NULL, NULL, 2000, &status);
	jv m = jv_invalid_get_msg(v);
	ok(status == 404 && strstr(jv_string_value(m), "HTTP 404") != NULL, "404 is an error naming the status");
	jv_free(m);

	snprintf(url, sizeof url, "http://127.0.0.1:%d/text", port);
	v = bi_http_json(NULL, url, NULL, NULL, 2000, &status);
	m = jv_invalid_get_msg(v);
	ok(strstr(jv_string_value(m), "not JSON") != NULL, "a body that is not JSON");
	jv_free(m);

	snprintf(url, sizeof url, "http://127.0.0.1:%d/stream", port);
	bi_http_req req = {.url = url, .on_line = on_line};
	bi_http_resp resp;
	int r = bi_http(&req, &resp);
	ok(r == 0 && resp.status == 200, "streamed request");
	is_num(nlines, 3, "three lines");
	is_str(lines[0], "line1", "first line");
	is_str(lines[1], "line2", "a line split across chunks");
	is_str(lines[2], "last", "an unterminated last line");
	bi_http_resp_free(&resp);

	int calls = 0;
	bi_http_req stop = {.url = url, .on_line = stop_first, .ctx = &calls};
	r = bi_http(&stop, &resp);
	ok(r == 0 && resp.stopped && calls == 1, "a callback can stop the transfer");
	bi_http_resp_free(&resp);

	snprintf(url, sizeof url, "http://127.0.0.1:%d/slow", port);
	bi_http_req slow = {.url = url, .timeout_ms = 300};
	int64_t t0 = bi_mono_ns();
	r = bi_http(&slow, &resp);
	ok(r == -1 && strstr(resp.error, "imeout") != NULL, "timeout: %s", resp.error);
	printf("# timed out after %.0f ms\n", (bi_mono_ns() - t0) / 1e6);
	bi_http_resp_free(&resp);

	/* A port nobody listens on. */
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", bi_free_port());
	v = bi_http_json(NULL, url, NULL, NULL, 2000, &status);
	m = jv_invalid_get_msg(v);
	ok(status == 0 && strstr(jv_string_value(m), "127.0.0.1") != NULL, "refused: %s", jv_string_value(m));
	jv_free(m);

	v = bi_http_json(NULL, "http://localhost/json", "/nonexistent/docker.sock", NULL, 2000, &status);
	m = jv_invalid_get_msg(v);
	ok(strstr(jv_string_value(m), "/nonexistent/docker.sock") != NULL, "missing socket named: %s",
	   jv_string_value(m));
	jv_free(m);

	/* bi_free_port: one that can be bound at once, and nothing answers on. */
	int fp = bi_free_port(), bfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in fa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)fp)};
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", fp);
	ok(fp > 0 && bi_http_status(url, 500) == 0 &&
	   bind(bfd, (struct sockaddr *)&fa, sizeof fa) == 0, "bi_free_port: %d, unanswered, bindable", fp);
	close(bfd);
	unlink(spath);
	rmdir(dir);
	free(spath);
	return done();
}
