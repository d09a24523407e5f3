/*
 * httpd.h: a small HTTP/1.1 server on 127.0.0.1 for the unit tests that
 * send requests (test-endpoint, test-faultload, test-reach): a thread for
 * each connection, keep-alive, requests with a Content-Length body, and
 * the answer the test's handler gives. It runs until the test ends.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* A request: its head (request line and headers, up to the blank line)
 * and its body; the handler writes the answer's body into out (n bytes)
 * and returns its status. */
typedef int (*httpd_handler)(const char *head, const char *body, char *out, size_t n);

static httpd_handler httpd_fn;
static int httpd_fd = -1;

static void *
httpd_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	size_t have = 0;

	for (;;) {
		char *end = NULL;
		while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
			ssize_t r = have < sizeof buf - 1 ? read(fd, buf + have, sizeof buf - 1 - have) : 0;
			if (r <= 0) {
				close(fd);
				return NULL;
			}
			have += (size_t)r;
		}
		size_t headlen = (size_t)(end - buf) + 4, blen = 0;
		buf[headlen - 2] = '\0';
		const char *cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl)
			blen = strtoul(cl + 17, NULL, 10);
		if (headlen + blen >= sizeof buf) {
			close(fd);
			return NULL;
		}
		while (have < headlen + blen) {
			ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
			if (r <= 0) {
				close(fd);
				return NULL;
			}
			have += (size_t)r;
		}
		char head[8192], body[8192], out[8192], reply[9000];
		size_t hl = headlen - 2 < sizeof head ? headlen - 2 : sizeof head - 1;
		size_t bl = blen < sizeof body ? blen : sizeof body - 1;
		memcpy(head, buf, hl);
		head[hl] = '\0';
		memcpy(body, buf + headlen, bl);
		body[bl] = '\0';
		out[0] = '\0';
		int st = httpd_fn(head, body, out, sizeof out);
		int n = snprintf(reply, sizeof reply, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n\r\n%s", st,
				 strlen(out), out);
		if (write(fd, reply, (size_t)n) != n) {
			close(fd);
			return NULL;
		}
		memmove(buf, buf + headlen + blen, have - headlen - blen);
		have -= headlen + blen;
	}
}

static void *
httpd_accept(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(httpd_fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_t t;
		if (pthread_create(&t, NULL, httpd_conn, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
}

/* Start serving with fn: the port, or -1. */
static int
httpd_start(httpd_handler fn)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	pthread_t t;

	httpd_fn = fn;
	httpd_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (httpd_fd < 0 || bind(httpd_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(httpd_fd, 128) != 0 ||
	    getsockname(httpd_fd, (struct sockaddr *)&a, &len) != 0 ||
	    pthread_create(&t, NULL, httpd_accept, NULL) != 0)
		return -1;
	pthread_detach(t);
	return ntohs(a.sin_port);
}

#endif
