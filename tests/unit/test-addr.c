/* test-addr: URLs and HOST:PORT taken apart, refused when they are not
 * addresses, resolved, and named back. */
#include <netinet/in.h>
#include <stdio.h>

#include "base/addr.h"
#include "tap.h"

static void
good(const char *s, const char *scheme, const char *host, int port, const char *path)
{
	bi_url u;
	char err[256] = "";
	int r = bi_url_parse(s, &u, err, sizeof err);

	ok(r == 0 && !strcmp(u.scheme, scheme) && !strcmp(u.host, host) && u.port == port &&
	   !strcmp(u.path, path), "%s -> [%s] [%s] [%d] [%s]", s, scheme, host, port, path);
	if (r)
		printf("#   %s\n", err);
	else if (strcmp(u.host, host) || u.port != port || strcmp(u.path, path))
		printf("#   got [%s] [%s] [%d] [%s]\n", u.scheme, u.host, u.port, u.path);
}

static void
bad(const char *s, const char *why)
{
	bi_url u;
	char err[256] = "";

	ok(bi_url_parse(s, &u, err, sizeof err) == -1 && strstr(err, why),
	   "'%s' refused: %s", s, err);
}

int
main(void)
{
	plan(31);

	good("http://127.0.0.1:8080/hello?x=1", "http", "127.0.0.1", 8080, "/hello?x=1");
	good("HTTP://example.test", "http", "example.test", 0, "");
	good("http://user@localhost:9/", "http", "localhost", 9, "/");
	good("http://[::1]:8080/m", "http", "::1", 8080, "/m");
	good("127.0.0.1:5432", "", "127.0.0.1", 5432, "");
	good("[::1]:80", "", "::1", 80, "");
	good(":8474", "", "", 8474, "");
	good("redis", "", "redis", 0, "");
	good("tcp://10.0.0.1:2375", "tcp", "10.0.0.1", 2375, "");
	good("unix:///var/run/docker.sock", "unix", "", 0, "/var/run/docker.sock");

	bad("http://127.0.0.1:99999/", "1 to 65535");
	bad("127.0.0.1:0", "1 to 65535");
	bad("127.0.0.1:-1", "1 to 65535");
	bad("127.0.0.1:80x", "1 to 65535");
	bad("127.0.0.1:", "1 to 65535");
	bad("::1:80", "brackets");
	bad("[::1:80", "']'");
	bad("[nothost]:80", "IPv6");
	bad("http://a b:80/", "host name");
	bad("host/path", "scheme");
	bad("http://", "no host");
	bad("://x", "scheme");
	char longhost[300];
	memset(longhost, 'h', 265);
	strcpy(longhost + 265, ":80");
	bad(longhost, "too long");

	is_num(bi_url_default_port("https"), 443, "https implies 443");
	is_num(bi_url_default_port("tcp"), 0, "tcp implies nothing");

	ok(bi_host_is_loopback("localhost") && bi_host_is_loopback("127.8.9.1") &&
	   bi_host_is_loopback("::1"), "localhost, 127/8 and ::1 are this machine");
	ok(!bi_host_is_loopback("10.0.0.1") && !bi_host_is_loopback("0.0.0.0") &&
	   !bi_host_is_loopback("localhost.evil.test") && !bi_host_is_loopback(""),
	   "other addresses and names are not");

	struct sockaddr_storage ss;
	socklen_t len;
	char err[256], name[64];
	ok(bi_addr_resolve("127.0.0.1", 8080, 0, &ss, &len, err, sizeof err) == 0,
	   "127.0.0.1:8080 resolves");
	bi_addr_name((struct sockaddr *)&ss, name, sizeof name);
	is_str(name, "127.0.0.1:8080", "and is named back");
	ok(bi_addr_resolve("::1", 80, 0, &ss, &len, err, sizeof err) == 0 &&
	   (bi_addr_name((struct sockaddr *)&ss, name, sizeof name), !strcmp(name, "[::1]:80")),
	   "::1 is named with brackets (%s)", name);
	ok(bi_addr_resolve("", 70000, 1, &ss, &len, err, sizeof err) == -1,
	   "a port past 65535 is not resolved");
	return done();
}
