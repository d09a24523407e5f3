/* fuzz-culprit: any bytes as error messages, each line read for the host it
 * names; a host found is a name that fits, never an address or a part of
 * the text longer than asked for. Each line goes as a record too, through
 * the fast path and the full one (the servers a line names, a shell's
 * report of a killed child, a handled trace), the traces are settled (a
 * process that lived on: no crash), and the culprit of what they made is a
 * known service. A line that is a span record is a span of the traces the
 * culprits follow, its ids read as rca.c reads them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/pattern.h"
#include "analysis/symptom.h"
#include "analysis/culprit.h"
enum { MAX_SPANS = 64 };

/* A span record's fields as a span; 0 when it is none. */
static int
as_span(jv rec, bi_culprit_span *s, char **service)
{
	const char *kind = bi_get_str(rec, "kind"), *trace = bi_get_str(rec, "trace_id");
	const char *svc = bi_get_str(rec, "service"), *id = bi_get_str(rec, "span_id");
	const char *parent = bi_get_str(rec, "parent_id"), *status = bi_get_str(rec, "status");

	if (!kind || strcmp(kind, "span") || !trace || strlen(trace) > 32 || !svc || !*svc || !id)
		return 0;
	snprintf(s->trace, sizeof s->trace, "%s", trace);
	s->id = bi_culprit_span_id(id);
	s->parent = bi_culprit_span_id(parent);
	*service = bi_strdup(svc);
	s->service = *service;
	s->ts = bi_record_ts(rec);
	s->error = status && !strcmp(status, "error");
	return s->id != 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t n)
{
	static bi_kb_pattern *pats;
	static size_t npats;
	char err[256];
	if (!pats)
		pats = bi_kb_patterns(jv_null(), NULL, 0, &npats, err, sizeof err);
	bi_symptoms *set = bi_symptoms_new(pats, npats);
	char *text = bi_strndup((const char *)data, n);
	char out[64];

	bi_culprit_span spans[MAX_SPANS];
	char *names[MAX_SPANS];
	size_t nspans = 0;

	bi_symptoms_depend(set, "web", "db");	/* known names, for NAME:PORT */
	for (char *p = text, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		int found = bi_culprit_host(set, p, out, sizeof out);
		if (found && (!out[0] || strlen(out) >= sizeof out || !isalpha((unsigned char)out[0]) ||
			      !strstr(p, out)))
			__builtin_trap();
		if (!found && out[0])
			__builtin_trap();	/* none found: nothing left behind */
		if (!bi_symptoms_skip(set, p, strlen(p))) {
			jv rec = jv_parse_sized(p, (int)strlen(p));
			if (jv_get_kind(rec) == JV_KIND_OBJECT) {
				if (nspans < MAX_SPANS) {
					names[nspans] = NULL;
					if (as_span(rec, &spans[nspans], &names[nspans]))
						nspans++;
					else
						free(names[nspans]);
				}
				bi_symptoms_add(set, rec);
			}
			jv_free(rec);
		}
	}
	bi_symptoms_settle(set);	/* the traces their processes lived on */
	bi_culprits *c = bi_culprits_new(set, npats, NULL, 0);
	bi_culprits_spans(c, spans, nspans);
	for (const bi_symptom *s = bi_symptoms_list(set); s; s = s->next) {
		if (!s->problem)
			continue;
		const bi_symptom *one[1] = {s};
		bi_problem pr = {s->service, s->pattern, s->first, s->last, one, 1};
		char *why = NULL;
		const char *who = bi_culprit(c, &pr, &why);
		if (!who || !bi_symptoms_service(set, who))
			__builtin_trap();	/* a culprit is a service the records know */
		free(why);
	}
	bi_culprits_free(c);
	for (size_t i = 0; i < nspans; i++)
		free(names[i]);
	free(text);
	bi_symptoms_free(set);
	return 0;
}
