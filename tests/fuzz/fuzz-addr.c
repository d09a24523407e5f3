/* fuzz-addr: URLs and HOST:PORT from arbitrary text; what parses keeps its
 * promises (a port in range, no control character in the host). */
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	char *s = malloc(n + 1), err[256];
	bi_url u;

	memcpy(s, data, n);
	s[n] = '\0';
	if (bi_url_parse(s, &u, err, sizeof err) == 0) {
		if (u.port < 0 || u.port > 65535)
			abort();
		for (const char *p = u.host; *p; p++)
			if ((unsigned char)*p < ' ')
				abort();
		bi_host_is_loopback(u.host);
	}
	free(s);
	return 0;
}
