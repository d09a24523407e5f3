/* fuzz-jenkins: whatever a server answers in Jenkins's place: header lines
 * (Location, X-Text-Size, X-More-Data, Set-Cookie), queue items, stage
 * tables and job lists; and any text as a job's name and its XML. Every
 * record that comes out must print; an escaped value holds no raw markup.
 *
 * The input reaches libjq only when our own scanner vouches that it is
 * JSON (fuzz.h says why). */
#include <stdlib.h>
#include <string.h>

#include "sources/jenkins.h"

#include "fuzz.h"

static void
print(jv v)
{
	if (jv_is_valid(v))
		jv_free(jv_dump_string(v, 0));
	else
		jv_free(v);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	const char *p = (const char *)data;
	char err[256];
	bi_jenkins_hdrs h;

	if (n > (1 << 20))
		return 0;
	/* As headers, one per line. */
	bi_jenkins_hdrs_reset(&h);
	for (size_t at = 0; at < n;) {
		const char *nl = memchr(p + at, '\n', n - at);
		size_t k = nl ? (size_t)(nl - (p + at)) : n - at;
		bi_jenkins_header(&h, p + at, k);
		at += k + 1;
	}
	if (strlen(h.location) >= sizeof h.location || strlen(h.cookie) >= sizeof h.cookie ||
	    h.text_size < -1 || strpbrk(h.cookie, "\r\n\t"))
		__builtin_trap();

	/* As answers. */
	err[0] = 0;
	long q = bi_jenkins_queue_number(fuzz_parse(p, n), err, sizeof err);
	if (q < -2 || (q < 0 && (!err[0] || strchr(err, '\n'))))
		__builtin_trap();
	print(bi_jenkins_stages(fuzz_parse(p, n), "job", 1));
	print(bi_jenkins_jobs(fuzz_parse(p, n), "folder"));

	/* As a name. */
	char *s = bi_strndup(p, n);
	char *x = bi_xml_escape(s);
	if (strpbrk(x, "<>\"'"))
		__builtin_trap();
	char *path = bi_jenkins_job_path(s);
	if (path && strpbrk(path, " \"'$()<>?#"))
		__builtin_trap();
	bi_jenkins_job job = {.description = s, .repo = s, .branch = s, .script_path = s, .credentials = s};
	free(bi_jenkins_job_xml(&job));
	free(path);
	free(x);
	free(s);
	return 0;
}
