/*
 * addr.c: addresses as people write them (URLs, HOST:PORT, [V6]:PORT) taken
 * apart once, by one set of rules, for every tool that is given one: a port
 * outside 1 to 65535 or a host with a space in it is refused here rather
 * than passed on to connect(2) to mean something else.
 *
 * Layer: base.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/addr.h"
static int
fail(char *err, size_t n, const char *s, const char *why)
{
	/* Quote at most 100 bytes of it: the reason must fit. */
	snprintf(err, n, "%.100s%s: %s", s, strlen(s) > 100 ? "..." : "", why);
	return -1;
}

/* digits (1..5 of them) naming a port from 1 to 65535, or -1. */
static int
port_of(const char *p, size_t len)
{
	long v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

int
bi_url_parse(const char *s, bi_url *u, char *err, size_t n)
{
	const char *p = s, *sep = strstr(s, "://");

	memset(u, 0, sizeof *u);
	if (sep) {
		size_t sl = (size_t)(sep - s);
		if (sl == 0 || sl >= sizeof u->scheme)
			return fail(err, n, s, "not a URL scheme");
		for (size_t i = 0; i < sl; i++) {
			if (!isalnum((unsigned char)s[i]) && !strchr("+-.", s[i]))
				return fail(err, n, s, "not a URL scheme");
			u->scheme[i] = (char)tolower((unsigned char)s[i]);
		}
		p = sep + 3;
	}
	size_t al = strcspn(p, "/");
	if (p[al] == '/') {
		if (!sep)
			return fail(err, n, s, "a path needs a scheme (http://...)");
		if (strlen(p + al) >= sizeof u->path)
			return fail(err, n, s, "path too long");
		strcpy(u->path, p + al);
	}
	const char *at = memchr(p, '@', al);
	if (at) {
		al -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (al >= sizeof u->hostport)
		return fail(err, n, s, "host too long");
	memcpy(u->hostport, p, al);

	const char *host = p, *colon;
	size_t hl;
	if (*p == '[') {
		const char *close = memchr(p, ']', al);
		if (!close)
			return fail(err, n, s, "an IPv6 address without its ']'");
		host = p + 1;
		hl = (size_t)(close - host);
		colon = close + 1 < p + al ? close + 1 : NULL;
		if (colon && *colon != ':')
			return fail(err, n, s, "text after an IPv6 address's ']'");
		struct in6_addr a6;
		char tmp[64];
		if (hl == 0 || hl >= sizeof tmp)
			return fail(err, n, s, "not an IPv6 address");
		memcpy(tmp, host, hl);
		tmp[hl] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return fail(err, n, s, "not an IPv6 address");
	} else {
		colon = memchr(p, ':', al);
		if (colon && memchr(colon + 1, ':', (size_t)(p + al - colon - 1)))
			return fail(err, n, s, "an IPv6 address goes in brackets: [::1]:80");
		hl = colon ? (size_t)(colon - p) : al;
	}
	if (hl >= sizeof u->host)
		return fail(err, n, s, "host too long");
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)host[i] <= ' ' || host[i] == 0x7f || strchr("\\?#@", host[i]))
			return fail(err, n, s, "not a host name");
	memcpy(u->host, host, hl);
	u->host[hl] = '\0';
	if (colon) {
		u->port = port_of(colon + 1, (size_t)(p + al - colon - 1));
		if (u->port < 0) {
			u->port = 0;
			return fail(err, n, s, "a port is a number from 1 to 65535");
		}
	}
	if (!*u->host && !u->port && strcmp(u->scheme, "unix"))
		return fail(err, n, s, "no host");
	return 0;
}

int
bi_url_default_port(const char *scheme)
{
	if (!strcmp(scheme, "http") || !strcmp(scheme, "ws"))
		return 80;
	if (!strcmp(scheme, "https") || !strcmp(scheme, "wss"))
		return 443;
	return 0;
}

int
bi_addr_resolve(const char *host, int port, int passive, struct sockaddr_storage *ss,
		socklen_t *len, char *err, size_t n)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)}, *ai;
	char ps[8];

	if (port < 0 || port > 65535) {
		snprintf(err, n, "port %d: not from 0 to 65535", port);
		return -1;
	}
	snprintf(ps, sizeof ps, "%d", port);
	int e = getaddrinfo(host && *host ? host : NULL, ps, &hints, &ai);
	if (e) {
		snprintf(err, n, "%s: %s", host && *host ? host : "(none)", gai_strerror(e));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int
bi_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

void
bi_addr_name(const struct sockaddr *sa, char *buf, size_t n)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;
		inet_ntop(AF_INET, &s->sin_addr, h, sizeof h);
		snprintf(buf, n, "%s:%d", h, ntohs(s->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof h);
		snprintf(buf, n, "[%s]:%d", h, ntohs(s->sin6_port));
	} else {
		snprintf(buf, n, "?");
	}
}
