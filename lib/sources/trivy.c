/*
 * trivy.c: what an image scan by Trivy found, as a `scan` record. Trivy's
 * JSON report lists its targets under Results, each with its
 * Vulnerabilities (absent or null when there are none); each vulnerability
 * has a Severity, CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN. Anything else in
 * the report, and any value of a shape other than Trivy writes, is passed
 * over: a severity that is not one of the four counts as UNKNOWN, so that
 * nothing found goes uncounted.
 *
 * Layer: sources.
 */
#include <stdlib.h>
#include <string.h>

#include "sources/trivy.h"

#include "base/util.h"
#include "base/jsonl.h"

static const char *const severities[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
#define NSEV (sizeof severities / sizeof *severities)

/* Count one vulnerability (borrowed), and name it when it is among the
 * first CRITICAL or HIGH ones. */
static void
count_one(jv v, int *count, jv *named)
{
	const char *sev = jv_get_kind(v) == JV_KIND_OBJECT ? bi_get_str(v, "Severity") : NULL;
	size_t k = NSEV - 1;

	for (size_t m = 0; sev && m < NSEV; m++)
		if (!strcmp(sev, severities[m]))
			k = m;
	count[k]++;
	const char *id = jv_get_kind(v) == JV_KIND_OBJECT ? bi_get_str(v, "VulnerabilityID") : NULL;
	if (k < 2 && id && jv_array_length(jv_copy(named[k])) < BI_TRIVY_NAMED) {
		const char *pkg = bi_get_str(v, "PkgName");
		char *s = pkg ? bi_asprintf("%s (%s)", id, pkg) : bi_strdup(id);
		named[k] = jv_array_append(named[k], jv_string(s));
		free(s);
	}
}

jv
bi_trivy_scan(jv report, int *critical)
{
	int count[NSEV] = {0};
	jv named[2];

	*critical = 0;
	if (jv_get_kind(report) != JV_KIND_OBJECT) {
		jv_free(report);
		return jv_invalid_with_msg(jv_string("not a Trivy JSON report: not an object"));
	}
	named[0] = jv_array();
	named[1] = jv_array();
	jv results = jv_object_get(jv_copy(report), jv_string("Results"));
	if (jv_get_kind(results) == JV_KIND_ARRAY) {
		jv_array_foreach(results, i, res) {
			jv vulns = jv_get_kind(res) == JV_KIND_OBJECT ?
				jv_object_get(jv_copy(res), jv_string("Vulnerabilities")) : jv_null();
			if (jv_get_kind(vulns) == JV_KIND_ARRAY) {
				jv_array_foreach(vulns, j, v) {
					count_one(v, count, named);
					jv_free(v);
				}
			}
			jv_free(vulns);
			jv_free(res);
		}
	}
	jv_free(results);

	jv r = bi_record("scan");
	r = bi_set(r, "scanner", jv_string("trivy"));
	const char *image = bi_get_str(report, "ArtifactName");
	if (image)
		r = bi_set(r, "image", jv_string(image));
	jv counts = jv_object();
	for (size_t m = 0; m < NSEV; m++)
		counts = jv_object_set(counts, jv_string(severities[m]), jv_number(count[m]));
	r = bi_set(r, "counts", counts);
	r = bi_set(r, "critical", named[0]);
	r = bi_set(r, "high", named[1]);
	char *summary = bi_asprintf("%d CRITICAL, %d HIGH, %d MEDIUM, %d LOW", count[0], count[1],
				    count[2], count[3]);
	r = bi_set(r, "summary", jv_string(summary));
	free(summary);
	jv_free(report);
	*critical = count[0];
	return r;
}
