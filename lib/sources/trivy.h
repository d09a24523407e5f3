/* sources/trivy.h: the interface of trivy.c (layer: sources). */
#ifndef BI_SOURCES_TRIVY_H
#define BI_SOURCES_TRIVY_H

#include <jv.h>

/* How many CRITICAL and HIGH vulnerabilities a scan record names. */
#define BI_TRIVY_NAMED 20

/* A `scan` record {scanner, image, counts, critical, high, summary} from the
 * parsed report of `trivy image --format json` (consumed): image is the
 * report's ArtifactName when it has one. jv_invalid_with_msg when the report
 * is not an object. *critical is set to the number of CRITICAL
 * vulnerabilities (0 on error). */
jv bi_trivy_scan(jv report, int *critical);

#endif
