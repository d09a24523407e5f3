/*
 * config.c: blissful-infra.yaml. libyaml's event parser builds a jv directly;
 * errors carry FILE:LINE:COLUMN. Aliases share the anchor's jv (jv copies are
 * reference counts), and the number of nodes they stand for is counted, so a
 * "billion laughs" document is refused after a few events rather than expanded.
 *
 * Layer: base.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "base/config.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"

#define MAX_DEPTH 512

struct anchor {
	char *name;
	jv value;
	uint64_t nodes;
};

struct yp {
	yaml_parser_t parser;
	const char *name;
	struct anchor *anchors;
	size_t nanchors;
	uint64_t nodes;
	jv err;			/* jv_invalid_with_msg once something failed */
};

static void
fail(struct yp *y, yaml_mark_t mark, const char *what)
{
	if (jv_is_valid(y->err) || jv_invalid_has_msg(jv_copy(y->err)))
		return;
	y->err = jv_invalid_with_msg(jv_string_fmt("%s:%zu:%zu: %s", y->name,
		mark.line + 1, mark.column + 1, what));
}

static int
next(struct yp *y, yaml_event_t *ev)
{
	if (yaml_parser_parse(&y->parser, ev))
		return 0;
	char what[256];
	if (y->parser.context)
		snprintf(what, sizeof what, "%s %s", y->parser.problem, y->parser.context);
	else
		snprintf(what, sizeof what, "%s", y->parser.problem ? y->parser.problem : "YAML error");
	fail(y, y->parser.problem_mark, what);
	return -1;
}

static int
match(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

/* A plain scalar, resolved by YAML 1.2's core schema. */
static jv
resolve(const char *s, size_t len)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", 0};
	static const char *const trues[] = {"true", "True", "TRUE", 0};
	static const char *const falses[] = {"false", "False", "FALSE", 0};
	static const char *const infs[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", 0};
	static const char *const ninfs[] = {"-.inf", "-.Inf", "-.INF", 0};
	static const char *const nans[] = {".nan", ".NaN", ".NAN", 0};

	if (strlen(s) != len)	/* an embedded NUL: keep it a string */
		return jv_string_sized(s, (int)len);
	if (match(s, nulls))
		return jv_null();
	if (match(s, trues))
		return jv_true();
	if (match(s, falses))
		return jv_false();
	if (match(s, infs))
		return jv_number(1.0 / 0.0);
	if (match(s, ninfs))
		return jv_number(-1.0 / 0.0);
	if (match(s, nans))
		return jv_number(0.0 / 0.0);

	const char *p = s;
	char *end;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o') && p[2]) {
		int base = p[1] == 'x' ? 16 : 8;
		errno = 0;
		unsigned long long v = strtoull(p + 2, &end, base);
		if (*end == '\0' && errno == 0 && p[2] != '-' && p[2] != '+')
			return jv_number((double)v);
		return jv_string(s);
	}
	/* [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
	if (*p == '-' || *p == '+')
		p++;
	size_t id = strspn(p, "0123456789");
	p += id;
	size_t fd = 0;
	if (*p == '.') {
		p++;
		fd = strspn(p, "0123456789");
		p += fd;
	}
	if (id == 0 && fd == 0)
		return jv_string(s);
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		size_t ed = strspn(p, "0123456789");
		if (ed == 0)
			return jv_string(s);
		p += ed;
	}
	if (*p)
		return jv_string(s);
	return jv_number(strtod(s, NULL));
}

static jv node(struct yp *y, yaml_event_t *ev, int depth, uint64_t *count);

static int
count_add(struct yp *y, yaml_mark_t mark, uint64_t *count, uint64_t n)
{
	*count += n;
	y->nodes += n;
	if (y->nodes > BI_YAML_MAX_NODES) {
		fail(y, mark, "document too large after alias expansion (a \"billion laughs\" bomb?)");
		return -1;
	}
	return 0;
}

static void
anchor_set(struct yp *y, const yaml_char_t *name, jv v, uint64_t nodes)
{
	if (!name)
		return;
	y->anchors = bi_realloc(y->anchors, (y->nanchors + 1) * sizeof *y->anchors);
	y->anchors[y->nanchors++] = (struct anchor){bi_strdup((const char *)name),
						    jv_copy(v), nodes};
}

static jv
alias(struct yp *y, yaml_event_t *ev, uint64_t *count)
{
	const char *name = (const char *)ev->data.alias.anchor;

	for (size_t i = y->nanchors; i-- > 0;) {
		if (strcmp(y->anchors[i].name, name) != 0)
			continue;
		if (count_add(y, ev->start_mark, count, y->anchors[i].nodes))
			return jv_invalid();
		return jv_copy(y->anchors[i].value);
	}
	char what[160];
	snprintf(what, sizeof what, "unknown alias *%.100s", name);
	fail(y, ev->start_mark, what);
	return jv_invalid();
}

static jv
scalar(struct yp *y, yaml_event_t *ev, uint64_t *count)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	jv v;

	if (count_add(y, ev->start_mark, count, 1))
		return jv_invalid();
	if (tag && strcmp(tag, YAML_STR_TAG) == 0)
		v = jv_string_sized(s, (int)len);
	else if (tag && strcmp(tag, "!") == 0)
		v = jv_string_sized(s, (int)len);
	else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE || tag)
		v = resolve(s, len);
	else
		v = jv_string_sized(s, (int)len);
	anchor_set(y, ev->data.scalar.anchor, v, 1);
	return v;
}

/* The next event of a sequence or mapping that an event of type end
 * closes: 1 with the event in *ev (the caller deletes it), 0 at the end,
 * -1 on a parse error. */
static int
next_child(struct yp *y, yaml_event_t *ev, yaml_event_type_t end)
{
	if (next(y, ev))
		return -1;
	if (ev->type == end) {
		yaml_event_delete(ev);
		return 0;
	}
	return 1;
}

static jv
sequence(struct yp *y, yaml_event_t *start, int depth, uint64_t *count)
{
	jv arr = jv_array();
	uint64_t n = 0;
	yaml_event_t ev;
	int more;

	if (count_add(y, start->start_mark, &n, 1))
		goto bad;
	while ((more = next_child(y, &ev, YAML_SEQUENCE_END_EVENT)) > 0) {
		jv v = node(y, &ev, depth + 1, &n);
		yaml_event_delete(&ev);
		if (!jv_is_valid(v))
			goto bad;
		arr = jv_array_append(arr, v);
	}
	if (more < 0)
		goto bad;
	*count += n;
	anchor_set(y, start->data.sequence_start.anchor, arr, n);
	return arr;
bad:
	jv_free(arr);
	return jv_invalid();
}

/* "<<: *base" merges base's keys under the ones already set. */
static jv
merge(jv obj, jv src)
{
	if (jv_get_kind(src) == JV_KIND_ARRAY) {
		jv_array_foreach(src, i, item)
			obj = merge(obj, item);
		jv_free(src);
		return obj;
	}
	if (jv_get_kind(src) != JV_KIND_OBJECT) {
		jv_free(src);
		return obj;
	}
	jv_object_foreach(src, k, v) {
		if (jv_object_has(jv_copy(obj), jv_copy(k))) {
			jv_free(k);
			jv_free(v);
		} else {
			obj = jv_object_set(obj, k, v);
		}
	}
	jv_free(src);
	return obj;
}

static jv
mapping(struct yp *y, yaml_event_t *start, int depth, uint64_t *count)
{
	jv obj = jv_object();
	jv merges = jv_array();
	uint64_t n = 0;
	yaml_event_t ev;
	int more;

	if (count_add(y, start->start_mark, &n, 1))
		goto bad;
	while ((more = next_child(y, &ev, YAML_MAPPING_END_EVENT)) > 0) {
		jv k = node(y, &ev, depth + 1, &n);
		int is_merge = ev.type == YAML_SCALAR_EVENT &&
			ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			strcmp((const char *)ev.data.scalar.value, "<<") == 0;
		yaml_mark_t kmark = ev.start_mark;
		yaml_event_delete(&ev);
		if (!jv_is_valid(k))
			goto bad;
		if (next(y, &ev)) {
			jv_free(k);
			goto bad;
		}
		jv v = node(y, &ev, depth + 1, &n);
		yaml_event_delete(&ev);
		if (!jv_is_valid(v)) {
			jv_free(k);
			goto bad;
		}
		if (is_merge) {
			jv_free(k);
			merges = jv_array_append(merges, v);
			continue;
		}
		if (jv_get_kind(k) != JV_KIND_STRING) {
			/* JSON keys are strings: 8080 or true become "8080", "true". */
			if (jv_get_kind(k) == JV_KIND_OBJECT || jv_get_kind(k) == JV_KIND_ARRAY) {
				jv_free(k);
				jv_free(v);
				fail(y, kmark, "a mapping key must be a scalar");
				goto bad;
			}
			k = jv_dump_string(k, 0);
			if (strcmp(jv_string_value(k), "null") == 0) {
				jv_free(k);
				k = jv_string("");
			}
		}
		obj = jv_object_set(obj, k, v);
	}
	if (more < 0)
		goto bad;
	obj = merge(obj, merges);
	*count += n;
	anchor_set(y, start->data.mapping_start.anchor, obj, n);
	return obj;
bad:
	jv_free(merges);
	jv_free(obj);
	return jv_invalid();
}

static jv
node(struct yp *y, yaml_event_t *ev, int depth, uint64_t *count)
{
	if (depth > MAX_DEPTH) {
		fail(y, ev->start_mark, "nested too deeply");
		return jv_invalid();
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return scalar(y, ev, count);
	case YAML_ALIAS_EVENT:
		return alias(y, ev, count);
	case YAML_SEQUENCE_START_EVENT:
		return sequence(y, ev, depth, count);
	case YAML_MAPPING_START_EVENT:
		return mapping(y, ev, depth, count);
	default:
		fail(y, ev->start_mark, "unexpected YAML event");
		return jv_invalid();
	}
}

jv
bi_yaml_parse(const char *text, size_t len, const char *name)
{
	struct yp y = {.name = name ? name : "<yaml>", .err = jv_invalid()};
	yaml_event_t ev;
	jv doc = jv_null();
	uint64_t count = 0;
	int state = 0;	/* 0 before the document, 1 in it, 2 after */

	if (!yaml_parser_initialize(&y.parser))
		bi_die(BI_EXIT_LOCAL, "out of memory");	/* as bi_malloc: or-die allocation */
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)text, len);
	for (;;) {
		if (next(&y, &ev))
			break;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_DOCUMENT_START_EVENT) {
			state = state == 0 ? 1 : 2;	/* only the first document counts */
		} else if (t != YAML_STREAM_START_EVENT && t != YAML_DOCUMENT_END_EVENT &&
			   state == 1) {
			jv v = node(&y, &ev, 0, &count);
			if (!jv_is_valid(v)) {
				yaml_event_delete(&ev);
				break;
			}
			jv_free(doc);
			doc = v;
		} else if (state == 2 && t != YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y.parser);
	for (size_t i = 0; i < y.nanchors; i++) {
		free(y.anchors[i].name);
		jv_free(y.anchors[i].value);
	}
	free(y.anchors);
	if (jv_invalid_has_msg(jv_copy(y.err))) {
		jv_free(doc);
		return y.err;
	}
	jv_free(y.err);
	return doc;
}

jv
bi_yaml_load(const char *path)
{
	size_t len;
	char *text = bi_read_file(path, &len);

	if (!text)
		return jv_invalid_with_msg(jv_string_fmt("%s: %s", path, strerror(errno)));
	jv v = bi_yaml_parse(text, len, path);
	free(text);
	return v;
}

char *
bi_project_dir(void)
{
	const char *env = getenv("BI_PROJECT_DIR");
	char *dir, *slash;

	if (env && *env)
		return bi_strdup(env);
	dir = getcwd(NULL, 0);
	if (!dir)
		return NULL;
	for (;;) {
		char *f = bi_asprintf("%s/blissful-infra.yaml", *dir ? dir : "");
		int found = access(f, F_OK) == 0;
		free(f);
		if (found) {
			if (!*dir)
				strcpy(dir, "/");
			return dir;
		}
		slash = strrchr(dir, '/');
		if (!slash || (slash == dir && !dir[1]))
			break;
		*slash = '\0';
	}
	free(dir);
	return NULL;
}

jv
bi_config(void)
{
	char *dir = bi_project_dir();

	if (!dir)
		return jv_object();
	char *path = bi_asprintf("%s/blissful-infra.yaml", dir);
	free(dir);
	if (access(path, F_OK) != 0) {
		free(path);
		return jv_object();
	}
	jv cfg = bi_yaml_load(path);
	free(path);
	if (!jv_is_valid(cfg)) {
		jv msg = jv_invalid_get_msg(cfg);
		bi_die(BI_EXIT_USAGE, "%s", jv_string_value(msg));
	}
	if (jv_get_kind(cfg) == JV_KIND_NULL) {
		jv_free(cfg);
		return jv_object();
	}
	return cfg;
}

int64_t
bi_cfg_dur(jv cfg, const char *path, int64_t def)
{
	jv v = bi_jv_path(cfg, path);
	int64_t d = def;

	if (jv_get_kind(v) == JV_KIND_NUMBER)
		d = (int64_t)(jv_number_value(v) * BI_NS_PER_S);
	else if (jv_get_kind(v) == JV_KIND_STRING && bi_dur_parse(jv_string_value(v), &d))
		d = def;
	jv_free(v);
	return d;
}
