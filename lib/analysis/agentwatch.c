/*
 * agentwatch.c: the SRE watchdog's rules. A record (a container event from
 * bi-collect, a finding from bi-rca, an alert) is held against runbooks
 * read from YAML, which a user edits: knowledge as data. The first that
 * matches makes a finding for the person watching, with the actions its
 * runbook suggests; a silence (a glob over the runbook, the service and the
 * title) keeps it quiet. The reading of records, the silences kept and the
 * notification are bi-agent's.
 *
 * Layer: analysis.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/agentwatch.h"

#include "base/util.h"
#include "base/jsonl.h"
#include "base/config.h"

jv
bi_watch_runbooks(const char *path)
{
	jv doc = bi_yaml_load(path);

	if (!jv_is_valid(doc))
		return doc;
	jv rb = jv_get_kind(doc) == JV_KIND_OBJECT ? jv_object_get(jv_copy(doc), jv_string("runbooks")) :
		jv_invalid();
	jv_free(doc);
	if (jv_get_kind(rb) != JV_KIND_ARRAY) {
		jv_free(rb);
		return jv_invalid_with_msg(jv_string_fmt("%s: no list under runbooks", path));
	}
	jv_array_foreach(rb, i, r) {
		jv when = jv_get_kind(r) == JV_KIND_OBJECT ? jv_object_get(jv_copy(r), jv_string("when")) : jv_invalid();
		int good = jv_get_kind(r) == JV_KIND_OBJECT && bi_get_str(r, "name") &&
			jv_get_kind(when) == JV_KIND_OBJECT;
		jv_free(when);
		jv_free(r);
		if (!good) {
			jv_free(rb);
			return jv_invalid_with_msg(jv_string_fmt("%s: runbook %d: a name and a \"when\" object "
								 "are needed", path, i + 1));
		}
	}
	return rb;
}

/* Does rec's field equal want (a scalar), or one of want (a list)? */
static int
field_is(jv rec, const char *key, jv want)
{
	jv have = jv_object_get(jv_copy(rec), jv_string(key));
	int yes = 0;

	if (jv_get_kind(want) == JV_KIND_ARRAY) {
		jv_array_foreach(want, i, w) {
			yes |= jv_equal(jv_copy(have), w);
		}
	} else {
		yes = jv_equal(jv_copy(have), jv_copy(want));
	}
	jv_free(have);
	return yes;
}

/* all: every key of cond holds (when); else: one does (unless). */
static int
holds(jv rec, jv cond, int all)
{
	int any = 0, every = 1;

	if (jv_get_kind(cond) != JV_KIND_OBJECT)
		return !all ? 0 : 1;
	jv_object_foreach(cond, k, v) {
		int y = field_is(rec, jv_string_value(k), v);
		any |= y;
		every &= y;
		jv_free(k);
		jv_free(v);
	}
	return all ? every : any;
}

/* tmpl with each {field} replaced by rec's field (a string or a number). */
static char *
fill(const char *tmpl, jv rec)
{
	bi_buf b = {0};

	bi_buf_add(&b, "", 0);
	for (const char *p = tmpl; *p;) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		if (!close) {
			bi_buf_add(&b, p++, 1);
			continue;
		}
		char *key = bi_strndup(p + 1, (size_t)(close - p - 1));
		jv v = jv_object_get(jv_copy(rec), jv_string(key));
		if (jv_get_kind(v) == JV_KIND_STRING)
			bi_buf_adds(&b, jv_string_value(v));
		else if (jv_get_kind(v) == JV_KIND_NUMBER)
			bi_buf_printf(&b, "%.15g", jv_number_value(v));
		else
			bi_buf_adds(&b, "?");
		jv_free(v);
		free(key);
		p = close + 1;
	}
	return b.p;
}

jv
bi_watch_match(jv runbooks, jv rec)
{
	jv found = jv_invalid();

	jv_array_foreach(runbooks, i, r) {
		jv when = jv_object_get(jv_copy(r), jv_string("when"));
		jv unless = jv_object_get(jv_copy(r), jv_string("unless"));
		if (!jv_is_valid(found) && holds(rec, when, 1) && !holds(rec, unless, 0)) {
			char *title = fill(bi_get_text(r, "title", "{kind} {service}"), rec);
			jv f = bi_set(bi_record("finding"), "source", jv_string("watchdog"));
			f = bi_set(f, "runbook", jv_string(bi_get_str(r, "name")));
			f = bi_set(f, "title", jv_string(title));
			const char *svc = bi_get_str(rec, "service");
			if (svc)
				f = bi_set(f, "service", jv_string(svc));
			f = bi_set(f, "severity", jv_string(bi_get_text(r, "severity", "warning")));
			jv acts = jv_object_get(jv_copy(r), jv_string("actions"));
			jv filled = jv_array();
			if (jv_get_kind(acts) == JV_KIND_ARRAY) {
				jv_array_foreach(acts, j, a) {
					if (jv_get_kind(a) == JV_KIND_STRING) {
						char *t = fill(jv_string_value(a), rec);
						filled = jv_array_append(filled, jv_string(t));
						free(t);
					}
					jv_free(a);
				}
			}
			jv_free(acts);
			f = bi_set(f, "actions", filled);
			found = bi_set(f, "evidence", jv_copy(rec));
			free(title);
		}
		jv_free(when);
		jv_free(unless);
		jv_free(r);
	}
	return found;
}

const char *
bi_watch_silenced(jv patterns, jv finding)
{
	const char *what[] = {bi_get_str(finding, "runbook"), bi_get_str(finding, "service"),
			      bi_get_str(finding, "title")};
	const char *hit = NULL;

	jv_array_foreach(patterns, i, p) {
		if (!hit && jv_get_kind(p) == JV_KIND_STRING)
			for (int k = 0; k < 3 && !hit; k++)
				if (what[k] && fnmatch(jv_string_value(p), what[k], FNM_CASEFOLD) == 0) {
					/* The pattern's text lives in patterns, which the caller keeps. */
					jv q = jv_array_get(jv_copy(patterns), i);
					hit = jv_string_value(q);
					jv_free(q);
				}
		jv_free(p);
	}
	return hit;
}
