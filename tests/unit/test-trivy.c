/*
 * test-trivy: a Trivy report counted by severity, CRITICAL and HIGH named
 * (at most BI_TRIVY_NAMED each), severities Trivy does not use counted as
 * UNKNOWN, shapes other than Trivy's passed over, and what is not a report
 * refused.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "sources/trivy.h"
#include "tap.h"

static jv
parse(const char *s)
{
	return jv_parse_sized(s, (int)strlen(s));
}

/* The scan record's field, as compact JSON (freed by the caller). */
static char *
field(jv rec, const char *path)
{
	jv v = bi_jv_path(rec, path);
	jv s = jv_dump_string(v, JV_PRINT_SORTED);
	char *out = bi_strdup(jv_string_value(s));
	jv_free(s);
	return out;
}

static void
check(jv rec, const char *path, const char *want, const char *name)
{
	char *got = field(rec, path);
	is_str(got, want, "%s", name);
	free(got);
}

int
main(void)
{
	int crit;

	plan(16);
	jv r = bi_trivy_scan(parse(
		"{\"ArtifactName\":\"svc:1\",\"Results\":["
		"{\"Target\":\"os\",\"Vulnerabilities\":["
		"{\"VulnerabilityID\":\"CVE-1\",\"PkgName\":\"libc6\",\"Severity\":\"CRITICAL\"},"
		"{\"VulnerabilityID\":\"CVE-2\",\"PkgName\":\"zlib\",\"Severity\":\"HIGH\"},"
		"{\"VulnerabilityID\":\"CVE-3\",\"Severity\":\"HIGH\"},"
		"{\"VulnerabilityID\":\"CVE-4\",\"Severity\":\"MEDIUM\"},"
		"{\"VulnerabilityID\":\"CVE-5\",\"Severity\":\"LOW\"},"
		"{\"VulnerabilityID\":\"CVE-6\",\"Severity\":\"NEGLIGIBLE\"},"
		"{\"VulnerabilityID\":\"CVE-7\"}]},"
		"{\"Target\":\"app\",\"Vulnerabilities\":null},"
		"{\"Target\":\"jar\"},"
		"[\"not a result\"],"
		"{\"Target\":\"odd\",\"Vulnerabilities\":[42,\"x\",{\"Severity\":7}]}]}"), &crit);
	ok(jv_is_valid(r), "a report gives a record");
	is_str(bi_get_str(r, "kind"), "scan", "of kind scan");
	is_str(bi_get_str(r, "image"), "svc:1", "the image from ArtifactName");
	is_num(crit, 1, "one CRITICAL");
	check(r, "counts", "{\"CRITICAL\":1,\"HIGH\":2,\"LOW\":1,\"MEDIUM\":1,\"UNKNOWN\":5}",
	      "counted by severity; no severity, an unknown one, or no object at all is UNKNOWN");
	check(r, "critical", "[\"CVE-1 (libc6)\"]", "the CRITICAL one named with its package");
	check(r, "high", "[\"CVE-2 (zlib)\",\"CVE-3\"]", "the HIGH ones, one without a package");
	is_str(bi_get_str(r, "summary"), "1 CRITICAL, 2 HIGH, 1 MEDIUM, 1 LOW", "the summary");
	jv_free(r);

	/* Nothing found: Results absent, or null. */
	r = bi_trivy_scan(parse("{\"SchemaVersion\":2}"), &crit);
	check(r, "counts", "{\"CRITICAL\":0,\"HIGH\":0,\"LOW\":0,\"MEDIUM\":0,\"UNKNOWN\":0}",
	      "no Results: nothing counted");
	ok(crit == 0 && !jv_is_valid(bi_jv_path(r, "image")), "no CRITICAL, no image");
	jv_free(r);
	r = bi_trivy_scan(parse("{\"Results\":null}"), &crit);
	check(r, "critical", "[]", "Results null: none named");
	jv_free(r);

	/* Only the first BI_TRIVY_NAMED are named; all are counted. */
	bi_buf b = {0};
	bi_buf_adds(&b, "{\"Results\":[{\"Vulnerabilities\":[");
	for (int i = 0; i < 30; i++)
		bi_buf_printf(&b, "%s{\"VulnerabilityID\":\"CVE-%d\",\"Severity\":\"HIGH\"}", i ? "," : "", i);
	bi_buf_adds(&b, "]}]}");
	r = bi_trivy_scan(parse(b.p), &crit);
	bi_buf_free(&b);
	is_num(bi_jv_path_num(r, "counts.HIGH", -1), 30, "thirty HIGH counted");
	is_num(jv_array_length(bi_jv_path(r, "high")), BI_TRIVY_NAMED, "the first twenty named");
	jv_free(r);

	/* Not a report. */
	r = bi_trivy_scan(parse("[1,2]"), &crit);
	ok(!jv_is_valid(r) && crit == 0, "an array is no report");
	jv msg = jv_invalid_get_msg(r);
	is_str(jv_string_value(msg), "not a Trivy JSON report: not an object", "and says so");
	jv_free(msg);
	r = bi_trivy_scan(jv_invalid(), &crit);
	ok(!jv_is_valid(r), "nor is an invalid value");
	jv_free(r);
	return done();
}
