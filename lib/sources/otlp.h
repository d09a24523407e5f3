/* sources/otlp.h: the interface of otlp.c (layer: sources). */
#ifndef BI_SOURCES_OTLP_H
#define BI_SOURCES_OTLP_H

#include <jv.h>

/* The spans of an OTLP/HTTP JSON export request (an object with
 * resourceSpans, as a service sends it to a collector and as the
 * collector's file exporter writes it, one per line), as `span` records,
 * in the request's order:
 *   {"kind":"span","ts":START,"service":service.name,"source":"otlp",
 *    "trace_id","span_id","parent_id" (null for a root),"name",
 *    "span_kind" (server, client, producer, consumer, internal),
 *    "duration_ms","status" (ok, error, unset),"status_message" (when set),
 *    "attributes":{key: string, number or boolean}}
 * req is borrowed. A request that is not one (no resourceSpans array) is
 * jv_invalid_with_msg(why); a span without trace and span ids, or with a
 * start time that is not a count of ns, is left out. */
jv bi_otlp_spans(jv req);

#endif
