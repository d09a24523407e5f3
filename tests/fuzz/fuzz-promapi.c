/* fuzz-promapi: whatever a server answers in Prometheus's API's place,
 * read as an answer; every record that comes out must print, and an
 * error must come with its line.
 *
 * The input reaches libjq only when our own scanner vouches that it is
 * JSON (fuzz.h says why). */
#include <string.h>

#include "sources/promapi.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	char err[512];
	jv recs, warns;

	if (n > (1 << 20))
		return 0;
	err[0] = 0;
	int r = bi_promapi_parse(fuzz_parse((const char *)data, n), "expr", &recs, &warns, err, sizeof err);
	if (r == BI_PROMAPI_OK)
		jv_free(jv_dump_string(jv_copy(recs), 0));
	else if (!err[0] || strchr(err, '\n'))
		__builtin_trap();	/* an error says why, on one line */
	jv_free(recs);
	jv_free(warns);
	return 0;
}
