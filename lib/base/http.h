/* base/http.h: the interface of http.c (layer: base). */
#ifndef BI_BASE_HTTP_H
#define BI_BASE_HTTP_H

#include <jv.h>
#include <stddef.h>

#include "base/util.h"
/* An HTTP request through libcurl. url may be "unix:///path/to.sock" plus a
 * path after the socket ("unix:///var/run/docker.sock/v1.41/info" is not
 * used: give the socket in unix_socket and an http://localhost/... url). */
typedef struct bi_http_req {
	const char *method;		/* NULL: GET, or POST when body is set */
	const char *url;
	const char *unix_socket;	/* connect here instead of the url's host */
	const char *body;
	size_t body_len;		/* 0: strlen(body) */
	const char *content_type;	/* default application/json with a body */
	const char *const *headers;	/* NULL-terminated "Name: value" lines */
	long timeout_ms;		/* whole request; 0: none (streaming) */
	long connect_timeout_ms;	/* 0: 5 s */
	/* Streaming: called with each complete line (without '\n', '\r' kept)
	 * as it arrives, and with a last unterminated one at the end. Return
	 * nonzero to stop the transfer. The body is not kept when set. */
	int (*on_line)(void *ctx, const char *line, size_t len);
	/* Raw streaming: called with every chunk of the body. */
	int (*on_data)(void *ctx, const char *buf, size_t len);
	/* Each header line of the response (status line included), without
	 * its line ending, as it arrives. */
	void (*on_header)(void *ctx, const char *line, size_t len);
	void *ctx;
	const volatile int *stop;	/* when set (a deadline, a signal), end the transfer */
	const char *user_agent;		/* NULL: "blissful-infra" */
} bi_http_req;

typedef struct bi_http_resp {
	long status;		/* 0 when no response came */
	bi_buf body;		/* empty when streamed */
	char error[256];	/* transport error, when bi_http returns -1 */
	int stopped;		/* a callback or req->stop ended the transfer */
} bi_http_resp;

/* Perform req on this thread's connection cache. 0 when a response came
 * (whatever its status) or a callback stopped it; -1 on a transport error
 * (refused, timeout, DNS), described in resp->error. resp is reset first;
 * free it with bi_http_resp_free. */
int bi_http(const bi_http_req *req, bi_http_resp *resp);
void bi_http_resp_free(bi_http_resp *resp);

/* GET url (or POST body when given) and parse a JSON reply. Returns the
 * parsed value for 2xx, else jv_invalid_with_msg naming the address and the
 * status or transport error. *status gets the HTTP status when not NULL. */
jv bi_http_json(const char *method, const char *url, const char *unix_socket,
		const char *body, long timeout_ms, long *status);

/* The HTTP status of GET url, or 0 when nothing answered in time. */
int bi_http_status(const char *url, long timeout_ms);

/* A TCP port on 127.0.0.1 that was free when asked (another process may take
 * it before it is bound: use it at once); 0 when none could be had. */
int bi_free_port(void);

#endif
