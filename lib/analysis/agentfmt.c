/*
 * agentfmt.c: the agents' state as people read it: a review (the plan and
 * a diff per file, coloured on a terminal), a task's status with its steps,
 * the list of agents with the acceptance rate of each role. bi-agent
 * prints these; --json writes the records they are made from instead.
 *
 * Layer: analysis.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/agentfmt.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "analysis/agentgit.h"

char *
bi_agent_visible(const char *s, size_t len, int keep_nl)
{
	bi_buf b = {0};

	bi_buf_add(&b, "", 0);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c == '\n' && keep_nl) || c == '\t')
			bi_buf_add(&b, s + i, 1);
		else if (c == '\n' || c == '\r')
			bi_buf_adds(&b, c == '\n' ? "\\n" : "\\r");
		else if (c < 0x20 || c == 0x7f)
			bi_buf_printf(&b, "^%c", c ^ 0x40);
		else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
			 (unsigned char)s[i + 1] <= 0x9f)	/* a C1 control: a terminal may act on it */
			bi_buf_printf(&b, "\\u%04x", (unsigned char)s[++i]);
		else
			bi_buf_add(&b, s + i, 1);
	}
	return b.p;
}

/* s, made visible, appended to b. */
static void
add_visible(bi_buf *b, const char *s)
{
	char *v = bi_agent_visible(s, strlen(s), 1);
	bi_buf_adds(b, v);
	free(v);
}

static void
diff_lines(bi_buf *b, const char *d, int color)
{
	for (const char *p = d; *p;) {
		size_t k = strcspn(p, "\n");
		const char *c = !color ? "" : !strncmp(p, "+++", 3) || !strncmp(p, "---", 3) ||
			!strncmp(p, "diff ", 5) ? "\033[1m" : *p == '+' ? "\033[32m" : *p == '-' ? "\033[31m" :
			!strncmp(p, "@@", 2) ? "\033[36m" : "";
		char *v = bi_agent_visible(p, k, 0);
		bi_buf_printf(b, "%s%s%s\n", c, v, *c ? "\033[0m" : "");
		free(v);
		p += k + (p[k] == '\n');
	}
}

char *
bi_agent_fmt_review(jv t, jv s, int color)
{
	bi_buf b = {0};
	jv ch = jv_object_get(jv_copy(s), jv_string("changes"));

	/* What the model wrote (the plan, the diffs) may hold a terminal's
	 * control sequences: they are shown, not sent. */
	bi_buf_printf(&b, "%s (%s), task %d: ", bi_get_text(t, "agent", "?"), bi_get_text(t, "role", "?"),
		      (int)bi_get_num(t, "id", 0));
	add_visible(&b, bi_get_text(t, "task", ""));
	bi_buf_printf(&b, "\nrevision %d%s", (int)bi_get_num(s, "revision", 0),
		      bi_get_str(s, "feedback") ? ", after: " : "");
	add_visible(&b, bi_get_text(s, "feedback", ""));
	bi_buf_adds(&b, "\nplan: ");
	add_visible(&b, bi_get_text(s, "plan", "(none)"));
	bi_buf_adds(&b, "\n\n");
	if (jv_get_kind(ch) == JV_KIND_OBJECT) {
		jv_object_foreach(ch, path, c) {
			jv old = jv_object_get(jv_copy(c), jv_string("old"));
			char *d = bi_agent_diff(jv_string_value(path), jv_get_kind(old) == JV_KIND_STRING ?
						jv_string_value(old) : NULL, bi_get_text(c, "new", ""));
			diff_lines(&b, d, color);
			free(d);
			jv_free(old);
			jv_free(path);
			jv_free(c);
		}
	}
	jv_free(ch);
	return b.p;
}

char *
bi_agent_fmt_status(jv t, jv steps)
{
	bi_buf b = {0};

	bi_buf_printf(&b, "%s (%s), task %lld: ", bi_get_text(t, "agent", "?"), bi_get_text(t, "role", "?"),
		      (long long)bi_get_num(t, "id", 0));
	add_visible(&b, bi_get_text(t, "task", ""));
	bi_buf_printf(&b, "\nstatus: %s, revision %d, %d steps, %d tokens\n", bi_get_text(t, "status", "?"),
		      (int)bi_get_num(t, "revision", 0), (int)bi_get_num(t, "steps", 0), (int)bi_get_num(t, "tokens", 0));
	if (bi_get_str(t, "reason")) {
		bi_buf_adds(&b, "note: ");
		add_visible(&b, bi_get_str(t, "reason"));
		bi_buf_adds(&b, "\n");
	}
	if (bi_get_str(t, "branch"))
		bi_buf_printf(&b, "branch: %s%s%s\n", bi_get_str(t, "branch"), bi_get_str(t, "commit") ? ", commit " : "",
			      bi_get_text(t, "commit", ""));
	jv_array_foreach(steps, i, s) {
		jv d = jv_dump_string(jv_object_get(jv_copy(s), jv_string("args")), 0);
		jv e = jv_object_get(jv_copy(s), jv_string("error"));
		const char *tool = bi_get_text(s, "tool", "?");
		char *vt = bi_agent_visible(tool, strlen(tool), 0);
		char *va = bi_agent_visible(jv_string_value(d), (size_t)bi_line_span(jv_string_value(d), SIZE_MAX, 80), 0);
		bi_buf_printf(&b, "  %d %s %s%s\n", (int)bi_get_num(s, "step", 0), vt, va,
			      jv_get_kind(e) == JV_KIND_TRUE ? " (refused)" : "");
		free(vt);
		free(va);
		jv_free(e);
		jv_free(d);
		jv_free(s);
	}
	return b.p;
}

char *
bi_agent_fmt_list(jv agents, jv roles)
{
	bi_buf b = {0};

	bi_buf_add(&b, "", 0);
	if (jv_is_valid(agents)) {
		bi_buf_printf(&b, "%-16s %-18s %5s %8s %8s  %s\n", "NAME", "ROLE", "TASKS", "ACCEPTED", "REJECTED", "LAST");
		jv_array_foreach(agents, i, a) {
			bi_buf_printf(&b, "%-16s %-18s %5d %8d %8d  %s\n", bi_get_text(a, "name", "?"),
				      bi_get_text(a, "role", "?"), (int)bi_get_num(a, "tasks", 0),
				      (int)bi_get_num(a, "accepted", 0), (int)bi_get_num(a, "rejected", 0),
				      bi_get_text(a, "last_status", "-"));
			jv_free(a);
		}
	}
	jv_array_foreach(roles, i, r) {
		int acc = (int)bi_get_num(r, "accepted", 0), rej = (int)bi_get_num(r, "rejected", 0);
		bi_buf_printf(&b, "role %s: %d accepted, %d rejected (acceptance %.0f%%)\n", bi_get_text(r, "role", "?"),
			      acc, rej, acc + rej ? 100.0 * acc / (acc + rej) : 0.0);
		jv_free(r);
	}
	return b.p;
}
