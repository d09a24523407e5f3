/*
 * proxy.c: bi-proxy's proxies and toxics as toxiproxy's API shows them, one
 * concern: what a client may ask for, checked before anything changes.
 *
 * Each verb of the API (proxy.h) validates its whole body first: names (1
 * to 63 bytes, no '/', no control character, a NUL included), addresses
 * (base/addr), and each toxic's attributes against the table of types below
 * (a number, in range, times at most an hour), so that what is kept is
 * what was asked and a request either applies whole or not at all (400,
 * with the reason). What is valid is compiled into numbers for the data
 * plane (relay.c), which moves the bytes and counts them. A listener beyond
 * loopback is made only when the engine allows it (bi-proxy: the proxies of
 * its command line, or --allow-remote): the API has no authentication, and
 * any local process could otherwise expose a loopback-only service.
 *
 * Threads: the verbs run in the control API's thread under the relay's
 * lock. A proxy removed is freed here at once; its port, which events may
 * point at, is freed by the relay's loop.
 *
 * Layer: engines.
 */
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "engines/proxy.h"

#include "base/addr.h"
#include "base/jsonl.h"
#include "base/time.h"
#include "base/util.h"
#include "engines/relay.h"

#define MAX_TOXICS BI_RELAY_MAX_TOXICS
#define MAX_UPSTREAMS BI_RELAY_MAX_UPSTREAMS
#define HOUR_MS 3600000.0

enum { DOWN = BI_RELAY_DOWN, UP = BI_RELAY_UP };

/* The toxics, their attributes, and the most each may be: toxiproxy's
 * names and units. An attribute left out is 0. */
static const struct toxic_type {
	const char *name;
	int kind;
	struct rule {
		const char *name, *unit;
		double max;
		int whole;	/* a whole number */
	} attrs[3];
} toxic_types[] = {
	{"latency", BI_TOXIC_LATENCY, {{"latency", "ms", HOUR_MS, 0}, {"jitter", "ms", HOUR_MS, 0}}},
	{"bandwidth", BI_TOXIC_BANDWIDTH, {{"rate", "KB/s", 1e9, 1}}},
	{"slow_close", BI_TOXIC_SLOW_CLOSE, {{"delay", "ms", HOUR_MS, 0}}},
	{"timeout", BI_TOXIC_TIMEOUT, {{"timeout", "ms", HOUR_MS, 0}}},
	{"reset_peer", BI_TOXIC_RESET_PEER, {{"timeout", "ms", HOUR_MS, 0}}},
	{"slicer", BI_TOXIC_SLICER, {{"average_size", "bytes", 1 << 30, 1},
				     {"size_variation", "bytes", 1 << 30, 1},
				     {"delay", "us", HOUR_MS * 1000, 0}}},
	{"limit_data", BI_TOXIC_LIMIT_DATA, {{"bytes", "bytes", 1e15, 1}}},
};
#define NTYPES (int)(sizeof toxic_types / sizeof toxic_types[0])

struct toxic {
	int id;
	char name[64];
	const struct toxic_type *type;
	int stream;
	double toxicity;
	jv attributes;		/* as given, merged on update */
	int64_t added;
};

struct proxy {
	char name[64];
	char listen[272];	/* as asked */
	struct sockaddr_storage addr;	/* ... and resolved */
	socklen_t addrlen;
	char bound[272];	/* as bound, with the real port */
	bi_relay_upstream up[MAX_UPSTREAMS];
	int nup;
	int enabled;
	struct toxic toxics[MAX_TOXICS];
	int ntoxics;
	bi_relay_port *port;
	struct proxy *next;
};

struct bi_proxy_engine {
	bi_relay *relay;
	struct proxy *proxies;
	int next_toxic;
	int allow_remote;
	void (*event)(void *ctx, jv rec);
	void *ctx;
};

static void
emit(bi_proxy_engine *e, jv rec)
{
	if (e->event)
		e->event(e->ctx, rec);
	else
		jv_free(rec);
}

static jv
event(const char *what, const struct proxy *p)
{
	jv r = bi_record("proxy");
	r = jv_object_set(r, jv_string("event"), jv_string(what));
	if (p)
		r = jv_object_set(r, jv_string("proxy"), jv_string(p->name));
	return r;
}

static jv
refuse(int *status, int code, const char *err)
{
	*status = code;
	return jv_invalid_with_msg(jv_string(err));
}

/* ---- fields of a body ---- */

/* body[key] as a string without a NUL inside: 1 and *out (borrowed from
 * body), 0 when absent or null, -1 with the reason. */
static int
str_field(jv body, const char *key, const char **out, char *err, size_t n)
{
	jv v = jv_object_get(jv_copy(body), jv_string(key));
	jv_kind k = jv_get_kind(v);
	int r = 0;

	if (k == JV_KIND_STRING) {
		if ((size_t)jv_string_length_bytes(jv_copy(v)) != strlen(jv_string_value(v))) {
			r = bi_errf(err, n, "%s: a NUL inside", key);
		} else {
			*out = bi_get_str(body, key);
			r = 1;
		}
	} else if (k != JV_KIND_INVALID && k != JV_KIND_NULL) {
		r = bi_errf(err, n, "%s: a string, not %s", key, jv_kind_name(k));
	}
	jv_free(v);
	return r;
}

/* A name (of a proxy or a toxic), copied into out (64 bytes): as
 * str_field, and 1 to 63 bytes, with no '/' (it goes in a URL) and no
 * control character. */
static int
name_field(jv body, char *out, char *err, size_t n)
{
	const char *s;
	int r = str_field(body, "name", &s, err, n);

	if (r <= 0)
		return r;
	size_t len = strlen(s);
	if (len == 0 || len >= 64)
		return bi_errf(err, n, "name: from 1 to 63 bytes, not %zu", len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return bi_errf(err, n, "name: a control character (0x%02x) inside", c);
		if (c == '/')
			return bi_errf(err, n, "name: a '/' inside");
	}
	memcpy(out, s, len + 1);
	return 1;
}

/* body[key] as a boolean: 1 and *out, 0 when absent or null, -1. */
static int
bool_field(jv body, const char *key, int *out, char *err, size_t n)
{
	jv v = jv_object_get(jv_copy(body), jv_string(key));
	jv_kind k = jv_get_kind(v);

	jv_free(v);
	if (k == JV_KIND_TRUE || k == JV_KIND_FALSE) {
		*out = k == JV_KIND_TRUE;
		return 1;
	}
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
		return 0;
	return bi_errf(err, n, "%s: true or false, not %s", key, jv_kind_name(k));
}

/* The reason of a bi_url_parse error, without the text it quotes. */
static const char *
reason(const char *why, const char *text)
{
	size_t l = strlen(text);

	return !strncmp(why, text, l) && why[l] == ':' && why[l + 1] == ' ' ? why + l + 2 : why;
}

/* A listen address: HOST:PORT, port 0 for any free one, an empty host for
 * every address; resolved here, once. */
static int
parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t n)
{
	char host[272], why[300];
	size_t l = strlen(text);
	int any = l >= 2 && !strcmp(text + l - 2, ":0");
	bi_url u = {0};

	if (l >= sizeof host)
		return bi_errf(err, n, "listen: longer than %zu bytes", sizeof host - 1);
	memcpy(host, text, l - (any ? 2 : 0));
	host[l - (any ? 2 : 0)] = '\0';
	if (!(any && !*host) && bi_url_parse(host, &u, why, sizeof why) != 0)
		return bi_errf(err, n, "listen %s: %s", text, reason(why, host));
	if (u.scheme[0])
		return bi_errf(err, n, "listen %s: HOST:PORT, without a scheme", text);
	if (!any && !u.port)
		return bi_errf(err, n, "listen %s: HOST:PORT, with a port (0: any free one)", text);
	if (bi_addr_resolve(u.host, any ? 0 : u.port, 1, ss, len, why, sizeof why) != 0)
		return bi_errf(err, n, "listen %s: %s", text, why);
	return 0;
}

static int
loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24 == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

static int
parse_upstream(const char *text, double weight, bi_relay_upstream *up, char *err, size_t n)
{
	bi_url u;
	char why[300];

	if (strlen(text) >= sizeof up->text)
		return bi_errf(err, n, "upstream: longer than %zu bytes", sizeof up->text - 1);
	if (bi_url_parse(text, &u, why, sizeof why) != 0)
		return bi_errf(err, n, "upstream %s: %s", text, reason(why, text));
	if (u.scheme[0] || !u.port)
		return bi_errf(err, n, "upstream %s: HOST:PORT, without a scheme", text);
	snprintf(up->text, sizeof up->text, "%s", text);
	snprintf(up->host, sizeof up->host, "%s", u.host);
	up->port = u.port;
	up->weight = weight;
	return 0;
}

/* Upstreams from a proxy body: "upstream", or "upstreams", a list of
 * {upstream (or address), weight}. 1 and up/nup, 0 when neither is given,
 * -1 with the reason. */
static int
parse_upstreams(jv body, bi_relay_upstream *up, int *nup, char *err, size_t n)
{
	jv ups = jv_object_get(jv_copy(body), jv_string("upstreams"));
	jv_kind k = jv_get_kind(ups);
	const char *one = NULL;
	int r;

	if (k == JV_KIND_ARRAY && jv_array_length(jv_copy(ups)) > 0) {
		int count = jv_array_length(jv_copy(ups));
		r = 1;
		if (count > MAX_UPSTREAMS)
			r = bi_errf(err, n, "upstreams: at most %d, not %d", MAX_UPSTREAMS, count);
		for (int i = 0; i < count && r > 0; i++) {
			jv u = jv_array_get(jv_copy(ups), i);
			const char *a = NULL;
			char what[32];
			snprintf(what, sizeof what, "upstreams[%d]", i);
			if (jv_get_kind(u) != JV_KIND_OBJECT) {
				r = bi_errf(err, n, "%s: an object, not %s", what, jv_kind_name(jv_get_kind(u)));
			} else if ((r = str_field(u, "upstream", &a, err, n)) == 0 &&
				   (r = str_field(u, "address", &a, err, n)) == 0) {
				r = bi_errf(err, n, "%s: no upstream", what);
			}
			jv w = r > 0 ? jv_object_get(jv_copy(u), jv_string("weight")) : jv_invalid();
			double weight = 1;
			if (jv_get_kind(w) == JV_KIND_NUMBER)
				weight = jv_number_value(w);
			else if (r > 0 && jv_get_kind(w) != JV_KIND_INVALID && jv_get_kind(w) != JV_KIND_NULL)
				r = bi_errf(err, n, "%s.weight: a number, not %s", what, jv_kind_name(jv_get_kind(w)));
			if (r > 0 && !(weight >= 0 && weight <= 1e9))
				r = bi_errf(err, n, "%s.weight: from 0 to 1000000000, not %g", what, weight);
			if (r > 0 && parse_upstream(a, weight, &up[i], err, n) != 0)
				r = -1;
			jv_free(w);
			jv_free(u);
		}
		if (r > 0)
			*nup = count;
		jv_free(ups);
		return r;
	}
	jv_free(ups);
	if (k != JV_KIND_ARRAY && k != JV_KIND_INVALID && k != JV_KIND_NULL)
		return bi_errf(err, n, "upstreams: a list, not %s", jv_kind_name(k));
	if ((r = str_field(body, "upstream", &one, err, n)) <= 0)
		return r;
	if (parse_upstream(one, 1, &up[0], err, n) != 0)
		return -1;
	*nup = 1;
	return 1;
}

/* ---- proxies ---- */

static struct proxy *
find(bi_proxy_engine *e, const char *name)
{
	for (struct proxy *p = e->proxies; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static jv
toxic_json(const struct toxic *t)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("name"), jv_string(t->name));
	o = jv_object_set(o, jv_string("type"), jv_string(t->type->name));
	o = jv_object_set(o, jv_string("stream"), jv_string(t->stream == UP ? "upstream" : "downstream"));
	o = jv_object_set(o, jv_string("toxicity"), jv_number(t->toxicity));
	o = jv_object_set(o, jv_string("attributes"), jv_copy(t->attributes));
	return o;
}

static jv
proxy_json(const struct proxy *p)
{
	jv o = jv_object();
	jv tx = jv_array();
	bi_relay_stats st = bi_relay_port_stats(p->port);

	o = jv_object_set(o, jv_string("name"), jv_string(p->name));
	o = jv_object_set(o, jv_string("listen"),
			  jv_string(bi_relay_listening(p->port) ? p->bound : p->listen));
	o = jv_object_set(o, jv_string("upstream"), jv_string(p->up[0].text));
	if (p->nup > 1) {
		jv ups = jv_array();
		for (int i = 0; i < p->nup; i++) {
			jv u = jv_object_set(jv_object(), jv_string("upstream"), jv_string(p->up[i].text));
			u = jv_object_set(u, jv_string("weight"), jv_number(p->up[i].weight));
			u = jv_object_set(u, jv_string("connections"), jv_number((double)st.up_connections[i]));
			ups = jv_array_append(ups, u);
		}
		o = jv_object_set(o, jv_string("upstreams"), ups);
	}
	o = jv_object_set(o, jv_string("enabled"), jv_bool(p->enabled));
	for (int i = 0; i < p->ntoxics; i++)
		tx = jv_array_append(tx, toxic_json(&p->toxics[i]));
	o = jv_object_set(o, jv_string("toxics"), tx);
	jv s = jv_object();
	s = jv_object_set(s, jv_string("connections"), jv_number((double)st.connections));
	s = jv_object_set(s, jv_string("bytes_upstream"), jv_number((double)st.bytes_up));
	s = jv_object_set(s, jv_string("bytes_downstream"), jv_number((double)st.bytes_down));
	return jv_object_set(o, jv_string("stats"), s);
}

static int
open_listener(bi_proxy_engine *e, struct proxy *p, char *err, size_t n)
{
	return bi_relay_listen(e->relay, p->port, (struct sockaddr *)&p->addr, p->addrlen, p->bound,
			       sizeof p->bound, err, n);
}

/* The listen address of body (or def) checked, resolved, and allowed:
 * 1, 0 when absent and no def or when it is old's (toxiproxy's clients send
 * the whole proxy to change a field), or a status (400, 403) with the
 * reason. */
static int
take_listen(bi_proxy_engine *e, jv body, const char *def, const struct proxy *old,
	    const char **text, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t n)
{
	int r = str_field(body, "listen", text, err, n);

	if (r < 0)
		return 400;
	if (r == 0 || !**text) {
		if (!def)
			return 0;
		*text = def;
	}
	if (old && (!strcmp(*text, old->listen) || !strcmp(*text, old->bound)))
		return 0;
	if (parse_listen(*text, ss, len, err, n) != 0)
		return 400;
	if (!e->allow_remote && !loopback(ss)) {
		bi_errf(err, n, "listen %s: beyond loopback, which bi-proxy was not started to allow "
			"(--allow-remote)", *text);
		return 403;
	}
	return 1;
}

jv
bi_proxy_create(bi_proxy_engine *e, jv body, int *status)
{
	char err[400], name[64];
	const char *listen = NULL;
	struct proxy *p = NULL;
	int en = 1, st;
	jv r;

	bi_relay_lock(e->relay);
	if (jv_get_kind(body) != JV_KIND_OBJECT) {
		r = refuse(status, 400, "the body is not a JSON object");
		goto out;
	}
	if ((st = name_field(body, name, err, sizeof err)) <= 0) {
		r = refuse(status, 400, st < 0 ? err : "missing name");
		goto out;
	}
	if (find(e, name)) {
		r = refuse(status, 409, "proxy already exists");
		goto out;
	}
	p = bi_calloc(1, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	if ((st = take_listen(e, body, "127.0.0.1:0", NULL, &listen, &p->addr, &p->addrlen, err,
			      sizeof err)) != 1 ||
	    (st = bool_field(body, "enabled", &en, err, sizeof err) < 0 ? 400 : 0) ||
	    (st = parse_upstreams(body, p->up, &p->nup, err, sizeof err)) <= 0) {
		r = refuse(status, st > 1 ? st : 400, st == 0 ? "missing upstream" : err);
		goto out;
	}
	snprintf(p->listen, sizeof p->listen, "%s", listen);
	p->enabled = en;
	p->port = bi_relay_port_new(e->relay, p->name);
	bi_relay_set_upstreams(p->port, p->up, p->nup);
	if (p->enabled && open_listener(e, p, err, sizeof err) != 0) {
		bi_relay_port_free(e->relay, p->port);
		r = refuse(status, 400, err);
		goto out;
	}
	p->next = e->proxies;
	e->proxies = p;
	*status = 201;
	r = proxy_json(p);
	jv ev = event("create", p);
	ev = jv_object_set(ev, jv_string("listen"),
			   jv_string(bi_relay_listening(p->port) ? p->bound : p->listen));
	ev = jv_object_set(ev, jv_string("upstream"), jv_string(p->up[0].text));
	emit(e, ev);
	p = NULL;
out:
	free(p);
	bi_relay_unlock(e->relay);
	jv_free(body);
	return r;
}

jv
bi_proxy_list(bi_proxy_engine *e)
{
	jv o = jv_object();

	bi_relay_lock(e->relay);
	for (struct proxy *p = e->proxies; p; p = p->next)
		o = jv_object_set(o, jv_string(p->name), proxy_json(p));
	bi_relay_unlock(e->relay);
	return o;
}

jv
bi_proxy_get(bi_proxy_engine *e, const char *name, int *status)
{
	jv r;

	bi_relay_lock(e->relay);
	struct proxy *p = find(e, name);
	*status = p ? 200 : 404;
	r = p ? proxy_json(p) : jv_invalid_with_msg(jv_string("proxy not found"));
	bi_relay_unlock(e->relay);
	return r;
}

jv
bi_proxy_update(bi_proxy_engine *e, const char *name, jv body, int *status)
{
	char err[400];
	const char *listen = NULL;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	bi_relay_upstream up[MAX_UPSTREAMS];
	int nup = 0, st, en;
	jv r;

	bi_relay_lock(e->relay);
	struct proxy *p = find(e, name);
	if (!p) {
		r = refuse(status, 404, "proxy not found");
		goto out;
	}
	en = p->enabled;
	if (jv_get_kind(body) != JV_KIND_OBJECT) {
		r = refuse(status, 400, "the body is not a JSON object");
		goto out;
	}
	int relisten = take_listen(e, body, NULL, p, &listen, &ss, &len, err, sizeof err);
	if ((st = relisten) > 1 ||
	    (st = bool_field(body, "enabled", &en, err, sizeof err) < 0 ? 400 : 0) ||
	    (st = parse_upstreams(body, up, &nup, err, sizeof err) < 0 ? 400 : 0)) {
		r = refuse(status, st, err);
		goto out;
	}
	if (nup) {
		memcpy(p->up, up, sizeof up);
		p->nup = nup;
		bi_relay_set_upstreams(p->port, p->up, p->nup);
	}
	if (!en)
		bi_relay_close(e->relay, p->port, "proxy disabled");
	else if (relisten)
		bi_relay_close(e->relay, p->port, "proxy moved");
	if (relisten) {
		snprintf(p->listen, sizeof p->listen, "%s", listen);
		p->addr = ss;
		p->addrlen = len;
	}
	p->enabled = en;
	if (p->enabled && !bi_relay_listening(p->port) && open_listener(e, p, err, sizeof err) != 0) {
		p->enabled = 0;
		r = refuse(status, 400, err);
		goto out;
	}
	*status = 200;
	r = proxy_json(p);
	emit(e, event(en ? "update" : "disable", p));
out:
	bi_relay_unlock(e->relay);
	jv_free(body);
	return r;
}

static void
free_proxy(struct proxy *p)
{
	for (int i = 0; i < p->ntoxics; i++)
		jv_free(p->toxics[i].attributes);
	free(p);
}

int
bi_proxy_delete(bi_proxy_engine *e, const char *name)
{
	bi_relay_lock(e->relay);
	struct proxy **pp = &e->proxies;
	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	struct proxy *p = *pp;
	if (p) {
		*pp = p->next;
		bi_relay_port_free(e->relay, p->port);
		emit(e, event("delete", p));
		free_proxy(p);
	}
	bi_relay_unlock(e->relay);
	return p ? 204 : 404;
}

/* ---- toxics ---- */

static struct toxic *
find_toxic(struct proxy *p, const char *name)
{
	for (int i = 0; i < p->ntoxics; i++)
		if (!strcmp(p->toxics[i].name, name))
			return &p->toxics[i];
	return NULL;
}

/* attributes[name] in ms (or us), as ns. */
static int64_t
ns(jv attributes, const char *name, double unit)
{
	return (int64_t)(bi_get_num(attributes, name, 0) * unit);
}

/* What the data plane needs of a toxic, in its units; the attributes were
 * checked against their rules, so none overflows. */
static bi_relay_toxic
compile(const struct toxic *t)
{
	bi_relay_toxic x = {.id = t->id, .kind = t->type->kind, .stream = t->stream,
			    .toxicity = t->toxicity, .added = t->added};
	jv a = t->attributes;

	switch (t->type->kind) {
	case BI_TOXIC_LATENCY:
		x.latency = ns(a, "latency", BI_NS_PER_MS);
		x.jitter = ns(a, "jitter", BI_NS_PER_MS);
		break;
	case BI_TOXIC_BANDWIDTH:
		x.rate = bi_get_num(a, "rate", 0) * 1000;
		break;
	case BI_TOXIC_SLOW_CLOSE:
		x.delay = ns(a, "delay", BI_NS_PER_MS);
		break;
	case BI_TOXIC_TIMEOUT:
	case BI_TOXIC_RESET_PEER:
		x.timeout = ns(a, "timeout", BI_NS_PER_MS);
		break;
	case BI_TOXIC_SLICER:
		x.size = (size_t)bi_get_num(a, "average_size", 0);
		x.variation = (size_t)bi_get_num(a, "size_variation", 0);
		x.delay = ns(a, "delay", 1000);
		break;
	case BI_TOXIC_LIMIT_DATA:
		x.bytes = (uint64_t)bi_get_num(a, "bytes", 0);
		break;
	}
	return x;
}

/* Hand the proxy's toxics, as they now are, to the data plane. */
static void
push_toxics(bi_proxy_engine *e, struct proxy *p)
{
	bi_relay_toxic x[MAX_TOXICS];

	for (int i = 0; i < p->ntoxics; i++)
		x[i] = compile(&p->toxics[i]);
	bi_relay_set_toxics(e->relay, p->port, x, p->ntoxics);
}

/* x as people write it: whole numbers in full, as JSON would carry them. */
static const char *
num(double x, char *buf, size_t n)
{
	snprintf(buf, n, x == floor(x) && fabs(x) < 1e21 ? "%.0f" : "%.15g", x);
	return buf;
}

/* Check attributes (borrowed) against the rules of type. */
static int
check_attributes(jv attributes, const struct toxic_type *type, char *err, size_t n)
{
	for (int i = 0; i < 3 && type->attrs[i].name; i++) {
		const struct rule *rl = &type->attrs[i];
		jv v = jv_object_get(jv_copy(attributes), jv_string(rl->name));
		jv_kind k = jv_get_kind(v);
		double x = k == JV_KIND_NUMBER ? jv_number_value(v) : 0;
		jv_free(v);
		if (k == JV_KIND_INVALID)
			continue;
		if (k != JV_KIND_NUMBER)
			return bi_errf(err, n, "attributes.%s: a number, not %s", rl->name,
				       jv_kind_name(k));
		char a[32], b[32];
		if (!(x >= 0 && x <= rl->max))
			return bi_errf(err, n, "attributes.%s: from 0 to %s %s, not %s", rl->name,
				       num(rl->max, a, sizeof a), rl->unit, num(x, b, sizeof b));
		if (rl->whole && x != floor(x))
			return bi_errf(err, n, "attributes.%s: a whole number, not %s", rl->name,
				       num(x, b, sizeof b));
	}
	return 0;
}

/* Make t from a toxic body, over old when it is an update (NULL: toxiproxy's
 * defaults). 0, or -1 with the reason, t then holding nothing to free. */
static int
toxic_from_body(jv body, const struct toxic *old, struct toxic *t, char *err, size_t n)
{
	const char *s = NULL;
	int r;

	if (jv_get_kind(body) != JV_KIND_OBJECT)
		return bi_errf(err, n, "the body is not a JSON object");
	if (old) {
		*t = *old;
		t->attributes = jv_copy(old->attributes);
	} else {
		*t = (struct toxic){.stream = DOWN, .toxicity = 1, .attributes = jv_object()};
	}
	if ((r = str_field(body, "type", &s, err, n)) < 0)
		goto fail;
	if (r > 0 || !old) {
		int i = 0;
		while (i < NTYPES && (!s || strcmp(toxic_types[i].name, s)))
			i++;
		if (i == NTYPES) {
			bi_errf(err, n, "invalid toxic type: %s", s ? s : "(none)");
			goto fail;
		}
		t->type = &toxic_types[i];
	}
	if ((r = str_field(body, "stream", &s, err, n)) < 0)
		goto fail;
	if (r > 0) {
		if (strcmp(s, "upstream") && strcmp(s, "downstream")) {
			bi_errf(err, n, "stream: upstream or downstream, not %s", s);
			goto fail;
		}
		t->stream = !strcmp(s, "upstream") ? UP : DOWN;
	}
	jv v = jv_object_get(jv_copy(body), jv_string("toxicity"));
	jv_kind k = jv_get_kind(v);
	double x = k == JV_KIND_NUMBER ? jv_number_value(v) : t->toxicity;
	jv_free(v);
	if (k != JV_KIND_NUMBER && k != JV_KIND_INVALID && k != JV_KIND_NULL) {
		bi_errf(err, n, "toxicity: a number, not %s", jv_kind_name(k));
		goto fail;
	}
	if (!(x >= 0 && x <= 1)) {
		bi_errf(err, n, "toxicity: from 0 to 1, not %g", x);
		goto fail;
	}
	t->toxicity = x;
	jv a = jv_object_get(jv_copy(body), jv_string("attributes"));
	k = jv_get_kind(a);
	if (k == JV_KIND_OBJECT) {
		jv_object_foreach(a, key, val)
			t->attributes = jv_object_set(t->attributes, key, val);
	} else if (k != JV_KIND_INVALID && k != JV_KIND_NULL) {
		jv_free(a);
		bi_errf(err, n, "attributes: an object, not %s", jv_kind_name(k));
		goto fail;
	}
	jv_free(a);
	if (check_attributes(t->attributes, t->type, err, n) == 0)
		return 0;
fail:
	jv_free(t->attributes);
	t->attributes = jv_invalid();
	return -1;
}

jv
bi_proxy_add_toxic(bi_proxy_engine *e, const char *proxy, jv body, int *status)
{
	char err[400];
	struct toxic t;
	int st;
	jv r;

	bi_relay_lock(e->relay);
	struct proxy *p = find(e, proxy);
	if (!p) {
		r = refuse(status, 404, "proxy not found");
		goto out;
	}
	if (toxic_from_body(body, NULL, &t, err, sizeof err) != 0) {
		r = refuse(status, 400, err);
		goto out;
	}
	if ((st = name_field(body, t.name, err, sizeof err)) < 0) {
		jv_free(t.attributes);
		r = refuse(status, 400, err);
		goto out;
	}
	if (st == 0)
		snprintf(t.name, sizeof t.name, "%s_%s", t.type->name, t.stream == UP ? "upstream" : "downstream");
	if (find_toxic(p, t.name) || p->ntoxics == MAX_TOXICS) {
		jv_free(t.attributes);
		r = p->ntoxics == MAX_TOXICS ? refuse(status, 400, "too many toxics")
					     : refuse(status, 409, "toxic already exists");
		goto out;
	}
	t.id = ++e->next_toxic;
	t.added = bi_mono_ns();
	p->toxics[p->ntoxics++] = t;
	push_toxics(e, p);
	*status = 200;
	r = toxic_json(&t);
	jv ev = event("toxic_add", p);
	ev = jv_object_set(ev, jv_string("toxic"), toxic_json(&t));
	emit(e, ev);
out:
	bi_relay_unlock(e->relay);
	jv_free(body);
	return r;
}

jv
bi_proxy_toxics(bi_proxy_engine *e, const char *proxy, const char *toxic, int *status)
{
	jv r;

	bi_relay_lock(e->relay);
	struct proxy *p = find(e, proxy);
	struct toxic *t = p && toxic ? find_toxic(p, toxic) : NULL;
	if (!p || (toxic && !t)) {
		r = refuse(status, 404, p ? "toxic not found" : "proxy not found");
	} else if (t) {
		*status = 200;
		r = toxic_json(t);
	} else {
		*status = 200;
		r = jv_array();
		for (int i = 0; i < p->ntoxics; i++)
			r = jv_array_append(r, toxic_json(&p->toxics[i]));
	}
	bi_relay_unlock(e->relay);
	return r;
}

jv
bi_proxy_update_toxic(bi_proxy_engine *e, const char *proxy, const char *toxic, jv body,
		      int *status)
{
	char err[400];
	struct toxic nt;
	jv r;

	bi_relay_lock(e->relay);
	struct proxy *p = find(e, proxy);
	struct toxic *t = p ? find_toxic(p, toxic) : NULL;
	if (!t) {
		r = refuse(status, 404, p ? "toxic not found" : "proxy not found");
	} else if (toxic_from_body(body, t, &nt, err, sizeof err) != 0) {
		r = refuse(status, 400, err);
	} else {
		jv_free(t->attributes);
		*t = nt;
		push_toxics(e, p);
		*status = 200;
		r = toxic_json(t);
		jv ev = event("toxic_update", p);
		ev = jv_object_set(ev, jv_string("toxic"), toxic_json(t));
		emit(e, ev);
	}
	bi_relay_unlock(e->relay);
	jv_free(body);
	return r;
}

static void
remove_toxic(bi_proxy_engine *e, struct proxy *p, int i)
{
	jv ev = event("toxic_remove", p);
	ev = jv_object_set(ev, jv_string("toxic"), jv_string(p->toxics[i].name));
	emit(e, ev);
	jv_free(p->toxics[i].attributes);
	memmove(&p->toxics[i], &p->toxics[i + 1], (size_t)(p->ntoxics - i - 1) * sizeof p->toxics[0]);
	p->ntoxics--;
}

int
bi_proxy_delete_toxic(bi_proxy_engine *e, const char *proxy, const char *toxic)
{
	int status = 404;

	bi_relay_lock(e->relay);
	struct proxy *p = find(e, proxy);
	for (int i = 0; p && i < p->ntoxics; i++) {
		if (!strcmp(p->toxics[i].name, toxic)) {
			remove_toxic(e, p, i);
			push_toxics(e, p);
			status = 204;
			break;
		}
	}
	bi_relay_unlock(e->relay);
	return status;
}

void
bi_proxy_reset(bi_proxy_engine *e)
{
	char err[400];

	bi_relay_lock(e->relay);
	for (struct proxy *p = e->proxies; p; p = p->next) {
		while (p->ntoxics > 0)
			remove_toxic(e, p, p->ntoxics - 1);
		push_toxics(e, p);
		if (!p->enabled) {
			p->enabled = 1;
			if (!bi_relay_listening(p->port) && open_listener(e, p, err, sizeof err) != 0)
				p->enabled = 0;
		}
	}
	emit(e, event("reset", NULL));
	bi_relay_unlock(e->relay);
}

/* ---- the engine ---- */

bi_proxy_engine *
bi_proxy_new(void (*on_event)(void *ctx, jv rec), void *ctx)
{
	bi_relay *r = bi_relay_new(on_event, ctx);

	if (!r)
		return NULL;
	bi_proxy_engine *e = bi_calloc(1, sizeof *e);
	e->relay = r;
	e->event = on_event;
	e->ctx = ctx;
	return e;
}

void
bi_proxy_allow_remote(bi_proxy_engine *e, int allow)
{
	bi_relay_lock(e->relay);
	e->allow_remote = allow;
	bi_relay_unlock(e->relay);
}

void
bi_proxy_lock(bi_proxy_engine *e)
{
	bi_relay_lock(e->relay);
}

void
bi_proxy_unlock(bi_proxy_engine *e)
{
	bi_relay_unlock(e->relay);
}

int
bi_proxy_run(bi_proxy_engine *e, volatile int *stop, int64_t drain)
{
	return bi_relay_run(e->relay, stop, drain);
}

void
bi_proxy_free(bi_proxy_engine *e)
{
	if (!e)
		return;
	bi_relay_free(e->relay);
	for (struct proxy *p = e->proxies, *nx; p; p = nx) {
		nx = p->next;
		free_proxy(p);
	}
	free(e);
}
