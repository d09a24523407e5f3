/* fuzz-culprit: any bytes as error messages, each line read for the host it
 * names; a host found is a name that fits, never an address or a part of
 * the text longer than asked for. Each line goes as a record too, through
 * the fast path and the full one (the servers a line names, a shell's
 * report of a killed child, a handled trace), the traces are settled (a
 * process that lived on: no crash), and the culprit of what they made is a
 * known service. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "analysis/pattern.h"
#include "analysis/symptom.h"
#include "analysis/culprit.h"
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
			if (jv_get_kind(rec) == JV_KIND_OBJECT)
				bi_symptoms_add(set, rec);
			jv_free(rec);
		}
	}
	bi_symptoms_settle(set);	/* the traces their processes lived on */
	bi_culprits *c = bi_culprits_new(set, npats, NULL, 0);
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
	free(text);
	bi_symptoms_free(set);
	return 0;
}
