/*
 * http.c: HTTP through libcurl. Each thread keeps one easy handle so that
 * connections are reused between requests (keep-alive to the Docker socket,
 * to an exporter polled every second). Bodies are kept in memory, or passed
 * on as they arrive, by line or by chunk, for streams (Docker events, logs,
 * LLM tokens).
 *
 * Layer: base.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <curl/curl.h>

#include "base/http.h"

#include "base/util.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Thread_local CURL *tl_curl;
static int curl_broken;		/* curl_global_init failed: no transfer can be made */

static void
global_init(void)
{
	curl_broken = curl_global_init(CURL_GLOBAL_DEFAULT) != 0;
}

struct xfer {
	const bi_http_req *req;
	bi_http_resp *resp;
	bi_buf line;
};

static size_t
on_head(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, k = n;

	while (k > 0 && (p[k - 1] == '\n' || p[k - 1] == '\r'))
		k--;
	x->req->on_header(x->req->ctx, p, k);
	return n;
}

static int
on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct xfer *x = ud;

	(void)a, (void)b, (void)c, (void)d;
	if (!*x->req->stop)
		return 0;
	x->resp->stopped = 1;
	return 1;	/* ends the transfer */
}

static int
lines(struct xfer *x, const char *p, size_t n)
{
	const bi_http_req *req = x->req;

	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		if (!nl) {
			bi_buf_add(&x->line, p, n);
			return 0;
		}
		size_t k = nl - p;
		int stop;
		if (x->line.len) {
			bi_buf_add(&x->line, p, k);
			stop = req->on_line(req->ctx, x->line.p, x->line.len);
			x->line.len = 0;
		} else {
			stop = req->on_line(req->ctx, p, k);
		}
		if (stop)
			return 1;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	int stop = 0;

	if (x->req->on_data)
		stop = x->req->on_data(x->req->ctx, p, n);
	else if (x->req->on_line)
		stop = lines(x, p, n);
	else
		bi_buf_add(&x->resp->body, p, n);
	if (stop) {
		x->resp->stopped = 1;
		return 0;	/* makes libcurl end the transfer */
	}
	return n;
}

int
bi_http(const bi_http_req *req, bi_http_resp *resp)
{
	struct xfer x = {req, resp, {0}};
	struct curl_slist *hdrs = NULL;
	char ct[128];
	CURL *c;
	CURLcode rc;

	memset(resp, 0, sizeof *resp);
	pthread_once(&once, global_init);
	if (curl_broken || (!tl_curl && !(tl_curl = curl_easy_init()))) {
		snprintf(resp->error, sizeof resp->error, "libcurl cannot start (out of memory?)");
		return -1;
	}
	c = tl_curl;
	curl_easy_reset(c);

	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
	curl_easy_setopt(c, CURLOPT_USERAGENT, req->user_agent ? req->user_agent : "blissful-infra");
	if (req->unix_socket)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 5000L);
	if (req->timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	if (req->on_header) {
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	}
	if (req->stop) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
	}

	const char *method = req->method ? req->method : req->body ? "POST" : "GET";
	if (req->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		size_t n = req->body ? (req->body_len ? req->body_len : strlen(req->body)) : 0;
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		snprintf(ct, sizeof ct, "Content-Type: %s",
			 req->content_type ? req->content_type : "application/json");
		hdrs = curl_slist_append(hdrs, ct);
		hdrs = curl_slist_append(hdrs, "Expect:");
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	for (const char *const *h = req->headers; h && *h; h++)
		hdrs = curl_slist_append(hdrs, *h);
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rc == CURLE_OK && req->on_line && x.line.len && !resp->stopped)
		req->on_line(req->ctx, x.line.p, x.line.len);
	bi_buf_free(&x.line);
	curl_slist_free_all(hdrs);
	bi_buf_add(&resp->body, NULL, 0);	/* always a string, maybe empty */
	if (rc == CURLE_OK || ((rc == CURLE_WRITE_ERROR || rc == CURLE_ABORTED_BY_CALLBACK) &&
				resp->stopped))
		return 0;
	snprintf(resp->error, sizeof resp->error, "%s", curl_easy_strerror(rc));
	return -1;
}

void
bi_http_resp_free(bi_http_resp *resp)
{
	bi_buf_free(&resp->body);
}

jv
bi_http_json(const char *method, const char *url, const char *unix_socket,
	     const char *body, long timeout_ms, long *status)
{
	bi_http_req req = {.method = method, .url = url, .unix_socket = unix_socket,
			   .body = body, .timeout_ms = timeout_ms};
	bi_http_resp resp;
	const char *where = unix_socket ? unix_socket : url;
	jv v;

	if (status)
		*status = 0;
	if (bi_http(&req, &resp) != 0) {
		v = jv_invalid_with_msg(jv_string_fmt("%s: %s", where, resp.error));
		bi_http_resp_free(&resp);
		return v;
	}
	if (status)
		*status = resp.status;
	if (resp.status < 200 || resp.status > 299) {
		v = jv_invalid_with_msg(jv_string_fmt("%s: HTTP %ld: %.200s", url,
			resp.status, resp.body.p));
	} else if (resp.body.len == 0) {
		v = jv_null();
	} else {
		v = jv_parse_sized(resp.body.p, (int)resp.body.len);
		if (!jv_is_valid(v)) {
			jv_free(v);
			v = jv_invalid_with_msg(jv_string_fmt("%s: reply is not JSON", url));
		}
	}
	bi_http_resp_free(&resp);
	return v;
}

int
bi_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	int port = 0;

	if (fd < 0)
		return 0;
	/* Port 0: the kernel picks one that is free. */
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int
bi_http_status(const char *url, long timeout_ms)
{
	bi_http_req req = {.url = url, .timeout_ms = timeout_ms,
			   .connect_timeout_ms = timeout_ms < 1000 ? timeout_ms : 1000};
	bi_http_resp resp;
	int r = bi_http(&req, &resp);
	int status = r == 0 ? (int)resp.status : 0;

	bi_http_resp_free(&resp);
	return status;
}
