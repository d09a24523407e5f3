/*
 * offline.c: the common questions about a project answered from its records
 * alone, with no model: recent logs, the errors grouped by message template,
 * the status of each container, recent commits, and "why did X fail" from
 * bi-rca's findings. Every answer says that no model was used, and what was
 * missing when the records do not hold it.
 *
 * Layer: analysis.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/offline.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/context.h"

enum question { Q_NONE, Q_WHY, Q_COMMITS, Q_ERRORS, Q_LOGS, Q_STATUS };

/* Which of the questions answerable without a model q is; for "why did X
 * fail", X goes into subject (n bytes), or "" when q names nothing. */
static enum question
classify(const char *q, char *subject, size_t n)
{
	char *s = bi_strdup(q);
	enum question k = Q_NONE;

	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	char *why = strstr(s, "why ");
	if (why) {
		/* "why did the checkout fail": the subject is the word after the
		 * verb and its determiner; a pronoun names nothing. */
		static const char *const skip[] = {"the ", "my ", "our ", "a ", "an ", "this ", NULL};
		static const char *const none[] = {"it", "that", "this", "everything", "things",
						   "we", "they", "i", NULL};
		char *w = why + 4;
		w += strspn(w, " ");
		w += strcspn(w, " ");
		w += strspn(w, " ");
		for (const char *const *d = skip; *d; d++)
			if (!strncmp(w, *d, strlen(*d)))
				w += strlen(*d);
		snprintf(subject, n, "%.*s", (int)strcspn(w, " ?!.,"), w);
		for (const char *const *p = none; *p; p++)
			if (!strcmp(subject, *p))
				subject[0] = '\0';
		k = Q_WHY;
	} else if (strstr(s, "commit") || strstr(s, "changed") || strstr(s, "changes")) {
		k = Q_COMMITS;
	} else if (strstr(s, "error") || strstr(s, "exception") || strstr(s, "fail") ||
		   strstr(s, "wrong")) {
		k = Q_ERRORS;
	} else if (strstr(s, "log")) {
		k = Q_LOGS;
	} else if (strstr(s, "status") || strstr(s, "health") || strstr(s, "running") ||
		   strstr(s, "state")) {
		k = Q_STATUS;
	}
	free(s);
	return k;
}

static void
lines_of(bi_buf *b, jv arr, int newest_first, jv *evidence)
{
	int n = jv_array_length(jv_copy(arr));

	for (int i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(arr), newest_first ? n - 1 - i : i);
		char *s = bi_llm_describe(r);
		bi_buf_printf(b, "%s\n", s);
		free(s);
		*evidence = jv_array_append(*evidence, r);
	}
	jv_free(arr);
}

static void
errors_text(bi_llm_records *in, bi_buf *b, jv *evidence)
{
	bi_llm_groups_sort(&in->errors);
	if (in->errors.n == 0)
		bi_buf_printf(b, "No model was used, and there were no errors among the %ld log records "
			      "given.\n", in->nlogs);
	else
		bi_buf_printf(b, "No model was used: the %ld error lines given, in %zu group%s by message "
			      "template, most frequent first.\n", in->errors.lines, in->errors.n,
			      in->errors.n == 1 ? "" : "s");
	for (size_t i = 0; i < in->errors.n; i++) {
		bi_llm_group *g = &in->errors.g[i];
		const char *msg = bi_get_text(g->last, "msg", "");
		bi_buf_printf(b, "%6ld  [%s] %s\n        first %s, last %s: %.*s\n", g->n,
			      bi_get_text(g->last, "service", "-"), g->tmpl, g->first, bi_get_text(g->last, "ts", "?"),
			      bi_line_span(msg, SIZE_MAX, 200), msg);
		*evidence = jv_array_append(*evidence, jv_copy(g->last));
	}
}

int
bi_offline_answerable(const char *q)
{
	char subject[64];
	return classify(q, subject, sizeof subject) != Q_NONE;
}

static const char pipe_hint[] =
	"pipe them in, as in bi-collect --docker --git --since 1h | bi-ask QUESTION";

char *
bi_offline_answer(bi_llm_records *in, const char *q, jv *evidence)
{
	char subject[64] = "";
	bi_buf b = {0};
	int n;

	*evidence = jv_array();
	switch (classify(q, subject, sizeof subject)) {
	case Q_NONE: return NULL;
	case Q_LOGS:
		n = jv_array_length(jv_copy(in->logs));
		if (n == 0)
			bi_buf_printf(&b, "No model was used, and no log records were given: %s\n", pipe_hint);
		else
			bi_buf_printf(&b, "No model was used: the last %d of the %ld log records given.\n",
				      n < BI_LLM_KEEP_LOGS ? n : BI_LLM_KEEP_LOGS, in->nlogs);
		lines_of(&b, bi_jv_last(jv_copy(in->logs), BI_LLM_KEEP_LOGS), 0, evidence);
		break;
	case Q_ERRORS:
		errors_text(in, &b, evidence);
		break;
	case Q_STATUS:
		if (!jv_object_length(jv_copy(in->containers)) && !jv_object_length(jv_copy(in->health)) &&
		    !jv_object_length(jv_copy(in->stats)))
			bi_buf_printf(&b, "No model was used, and no container, health or stats records "
				      "were given: %s\n", pipe_hint);
		else
			bi_buf_adds(&b, "No model was used: the latest state of each container, health "
				    "check and container's stats given.\n");
		lines_of(&b, bi_jv_values(jv_copy(in->containers)), 0, evidence);
		lines_of(&b, bi_jv_values(jv_copy(in->health)), 0, evidence);
		lines_of(&b, bi_jv_values(jv_copy(in->stats)), 0, evidence);
		break;
	case Q_COMMITS:
		n = jv_array_length(jv_copy(in->commits));
		if (n == 0)
			bi_buf_printf(&b, "No model was used, and no commits were given: %s\n", pipe_hint);
		else
			bi_buf_printf(&b, "No model was used: the last %d of the %ld commits given, newest first.\n",
				      n < 10 ? n : 10, in->ncommits);
		lines_of(&b, bi_jv_last(jv_copy(in->commits), 10), 1, evidence);
		break;
	case Q_WHY: {
		jv fs = bi_llm_findings(in), top = jv_invalid();
		int named = 0;
		jv_array_foreach(fs, i, f) {
			char *about = bi_asprintf("%s %s", bi_get_text(f, "service", ""), bi_get_text(f, "title", ""));
			for (char *p = about; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			if (!named && *subject && strstr(about, subject)) {
				top = jv_copy(f);
				named = 1;
			}
			free(about);
			jv_free(f);
		}
		if (!jv_is_valid(top) && jv_array_length(jv_copy(fs)) > 0)
			top = jv_array_get(jv_copy(fs), 0);
		jv_free(fs);
		if (!jv_is_valid(top)) {
			jv_free(top);
			bi_buf_adds(&b, "No bi-rca finding was among the records given (bi-collect --docker "
				    "--git | bi-rca | bi-ask finds them). ");
			errors_text(in, &b, evidence);
			break;
		}
		char *d = bi_llm_describe_finding(top, 1);
		if (*subject && !named)
			bi_buf_printf(&b, "No model was used, and no bi-rca finding names %s: the most "
				      "confident one is\n%s\n", subject, d);
		else
			bi_buf_printf(&b, "No model was used: bi-rca's top finding%s%s.\n%s\n",
				      named ? " for " : "", named ? subject : "", d);
		free(d);
		*evidence = jv_array_append(*evidence, top);
		break;
	}
	}
	bi_buf_add(&b, NULL, 0);
	return b.p;
}
