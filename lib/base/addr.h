/* base/addr.h: the interface of addr.c (layer: base). */
#ifndef BI_BASE_ADDR_H
#define BI_BASE_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* An address as people write it, taken apart. Fields are NUL-terminated;
 * one that the text does not give is empty (port: 0). */
typedef struct bi_url {
	char scheme[16];	/* "http", "tcp", "unix" ... lower case; "" when none */
	char host[256];		/* without an IPv6 address's brackets */
	int port;		/* 1 to 65535; 0 when not given */
	char hostport[272];	/* host and port as written (brackets kept) */
	char path[2048];	/* from the first '/' on, query included; "" when none */
} bi_url;

/* Parse s: "SCHEME://[USER@]HOST[:PORT][/PATH]", or without a scheme
 * "HOST:PORT", "[V6]:PORT", ":PORT" or "HOST" (no path allowed then). A
 * port is decimal digits from 1 to 65535; a host has no space, '/' or
 * control character. 0, or -1 with the reason (quoting s) in err. */
int bi_url_parse(const char *s, bi_url *u, char *err, size_t n);

/* The port a scheme implies: 80 for http and ws, 443 for https and wss, 0
 * for others. */
int bi_url_default_port(const char *scheme);

/* Resolve host (a name or an address; "" or NULL: the loopback address, or
 * with passive the wildcard one) and port to a TCP socket address, the
 * first the resolver gives. 0, or -1 with the reason in err. */
int bi_addr_resolve(const char *host, int port, int passive, struct sockaddr_storage *ss,
		    socklen_t *len, char *err, size_t n);

/* True when host (as bi_url gives it) is this machine: "localhost",
 * 127.0.0.0/8 or ::1. Anything else, unparsable text included, is not. */
int bi_host_is_loopback(const char *host);

/* An address as text: "127.0.0.1:8080", "[::1]:8080". */
void bi_addr_name(const struct sockaddr *sa, char *buf, size_t n);

#endif
