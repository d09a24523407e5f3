/*
 * proxy.c: the engine of bi-proxy, a TCP proxy that breaks things on purpose.
 *
 * Many proxies, each a listening socket and an upstream, in one epoll loop.
 * A connection's two directions ("upstream": client to server, "downstream":
 * server to client) each carry a queue of chunks with the time each may be
 * written; toxics set those times (latency, jitter, bandwidth, slicer), hold
 * data back (timeout), cut the flow (limit_data, reset_peer) or delay the
 * close (slow_close). A toxic applies to a connection with the probability of
 * its toxicity, decided once per connection, as toxiproxy does.
 *
 * Threads: the control API (another thread) changes proxies and toxics under
 * the engine's lock; only the loop frees what was removed, after the events
 * of its last wait were handled, so no event points at freed memory.
 *
 * Layer: engines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engines/proxy.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"

#define MAX_TOXICS 32
#define MAX_UPSTREAMS 8
#define QUEUE_LIMIT (4 << 20)	/* stop reading a side this far ahead */

enum { DOWN = 0, UP = 1 };	/* index of a direction; UP reads the client */

struct toxic {
	int id;
	char name[64], type[16];
	int stream;
	double toxicity;
	jv attributes;
	int64_t added;
};

struct upstream {
	char addr[256];
	double weight;
};

struct chunk {
	struct chunk *next;
	size_t len, off;
	int64_t due;		/* INT64_MAX: held by a timeout toxic */
	char data[];
};

struct side {
	struct chunk *head, *tail;
	size_t queued;
	int64_t last_due;	/* chunks leave in order */
	int64_t bw_next;	/* bandwidth: when the next byte may go */
	uint64_t bytes;		/* passed through */
	int eof;		/* the reading end closed */
	int done;		/* the writing end shut down */
	int64_t close_at;	/* slow_close: shut the writing end then */
	int limited;		/* limit_data reached: close after the queue */
};

struct bi_proxy_conn;

struct proxy {
	char name[64];
	char listen[128];	/* as asked */
	char bound[128];	/* as bound, with the real port */
	struct upstream up[MAX_UPSTREAMS];
	int nup;
	int enabled;
	int lfd;
	struct toxic toxics[MAX_TOXICS];
	int ntoxics;
	int deleted;
	struct proxy *next;
	uint64_t connections;
};

struct conn {
	struct proxy *p;
	int fd[2];		/* [0] client, [1] upstream */
	int connecting;
	struct side side[2];	/* [UP] client->upstream, [DOWN] upstream->client */
	int64_t started;
	int applies[MAX_TOXICS];	/* by toxic id % MAX: 1 yes, -1 no, 0 undecided */
	int applies_id[MAX_TOXICS];
	int dead;
	int reset;		/* close with RST */
	char client[64], upstream[256];
	struct conn *next;
};

/* What an epoll event points at. */
struct handle {
	int kind;		/* 0 listener, 1 client fd, 2 upstream fd, 3 wakeup */
	void *obj;
};

struct bi_proxy_engine {
	pthread_mutex_t mu;
	int ep, wake;
	struct proxy *proxies;
	struct conn *conns;
	int next_toxic;
	uint64_t rng;
	void (*event)(void *ctx, jv rec);
	void *ctx;
	int draining;
};

static uint64_t
rnd(bi_proxy_engine *e)
{
	uint64_t x = e->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return e->rng = x;
}

static double
uniform(bi_proxy_engine *e)
{
	return (double)(rnd(e) >> 11) / 9007199254740992.0;
}

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

/* ---- addresses ---- */

static int
resolve(const char *addr, struct sockaddr_storage *ss, socklen_t *len, int passive)
{
	char host[256], port[16];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = passive ? AI_PASSIVE : 0}, *ai;

	if (!colon || (size_t)(colon - addr) >= sizeof host)
		return -1;
	snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
	snprintf(port, sizeof port, "%s", colon + 1);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (getaddrinfo(*host ? host : NULL, port, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void
name_of(const struct sockaddr *sa, char *buf, size_t n)
{
	char h[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;
		inet_ntop(AF_INET, &s->sin_addr, h, sizeof h);
		port = ntohs(s->sin_port);
		snprintf(buf, n, "%s:%d", h, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof h);
		port = ntohs(s->sin6_port);
		snprintf(buf, n, "[%s]:%d", h, port);
	} else {
		snprintf(buf, n, "?");
	}
}

/* ---- proxies ---- */

/* Handles are kept per fd so that a modify can find them again (one
 * engine per process). */
static struct handle *handles[65536];

static void
watch_fd(bi_proxy_engine *e, int fd, uint32_t events, int kind, void *obj)
{
	struct epoll_event ev = {.events = events};

	if (fd < 0 || fd >= 65536)
		return;
	if (!handles[fd]) {
		handles[fd] = bi_malloc(sizeof *handles[fd]);
		*handles[fd] = (struct handle){kind, obj};
		ev.data.ptr = handles[fd];
		epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev);
	} else {
		*handles[fd] = (struct handle){kind, obj};
		ev.data.ptr = handles[fd];
		epoll_ctl(e->ep, EPOLL_CTL_MOD, fd, &ev);
	}
}

static void
unwatch_close(bi_proxy_engine *e, int fd)
{
	if (fd < 0)
		return;
	epoll_ctl(e->ep, EPOLL_CTL_DEL, fd, NULL);
	if (fd < 65536) {
		free(handles[fd]);
		handles[fd] = NULL;
	}
	close(fd);
}

static int
open_listener(bi_proxy_engine *e, struct proxy *p, char *err, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (resolve(p->listen, &ss, &len, 1) != 0) {
		snprintf(err, n, "listen: not an address: %s", p->listen);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 512) != 0) {
		snprintf(err, n, "listen %s: %s", p->listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	name_of((struct sockaddr *)&ss, p->bound, sizeof p->bound);
	p->lfd = fd;
	watch_fd(e, fd, EPOLLIN, 0, p);
	return 0;
}

static struct proxy *
find(bi_proxy_engine *e, const char *name)
{
	for (struct proxy *p = e->proxies; p; p = p->next)
		if (!p->deleted && !strcmp(p->name, name))
			return p;
	return NULL;
}

static jv
toxic_json(const struct toxic *t)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("name"), jv_string(t->name));
	o = jv_object_set(o, jv_string("type"), jv_string(t->type));
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

	o = jv_object_set(o, jv_string("name"), jv_string(p->name));
	o = jv_object_set(o, jv_string("listen"), jv_string(p->lfd >= 0 ? p->bound : p->listen));
	o = jv_object_set(o, jv_string("upstream"), jv_string(p->up[0].addr));
	if (p->nup > 1) {
		jv ups = jv_array();
		for (int i = 0; i < p->nup; i++) {
			jv u = jv_object_set(jv_object(), jv_string("upstream"), jv_string(p->up[i].addr));
			u = jv_object_set(u, jv_string("weight"), jv_number(p->up[i].weight));
			ups = jv_array_append(ups, u);
		}
		o = jv_object_set(o, jv_string("upstreams"), ups);
	}
	o = jv_object_set(o, jv_string("enabled"), jv_bool(p->enabled));
	for (int i = 0; i < p->ntoxics; i++)
		tx = jv_array_append(tx, toxic_json(&p->toxics[i]));
	o = jv_object_set(o, jv_string("toxics"), tx);
	return o;
}

static void kill_conn(bi_proxy_engine *e, struct conn *c, const char *why);

static void
close_all(bi_proxy_engine *e, struct proxy *p)
{
	for (struct conn *c = e->conns; c; c = c->next)
		if (c->p == p && !c->dead)
			kill_conn(e, c, "proxy disabled");
	if (p->lfd >= 0) {
		unwatch_close(e, p->lfd);
		p->lfd = -1;
	}
}

/* Upstreams from a proxy body: "upstream", or "upstreams" with weights. */
static int
set_upstreams(struct proxy *p, jv body, char *err, size_t n)
{
	jv ups = jv_object_get(jv_copy(body), jv_string("upstreams"));
	const char *one = bi_get_str(body, "upstream");

	if (jv_get_kind(ups) == JV_KIND_ARRAY && jv_array_length(jv_copy(ups)) > 0) {
		int k = 0;
		jv_array_foreach(ups, i, u) {
			const char *a = bi_get_str(u, "upstream");
			if (!a)
				a = bi_get_str(u, "address");
			double w = bi_get_num(u, "weight", 1);
			if (a && k < MAX_UPSTREAMS && w >= 0) {
				snprintf(p->up[k].addr, sizeof p->up[k].addr, "%s", a);
				p->up[k++].weight = w;
			}
			jv_free(u);
		}
		jv_free(ups);
		if (k == 0) {
			snprintf(err, n, "upstreams: none usable");
			return -1;
		}
		p->nup = k;
		return 0;
	}
	jv_free(ups);
	if (!one || !*one) {
		snprintf(err, n, "missing upstream");
		return -1;
	}
	snprintf(p->up[0].addr, sizeof p->up[0].addr, "%s", one);
	p->up[0].weight = 1;
	p->nup = 1;
	return 0;
}

jv
bi_proxy_create(bi_proxy_engine *e, jv body, int *status)
{
	const char *name = bi_get_str(body, "name");
	const char *listen = bi_get_str(body, "listen");
	char err[300];
	jv r;

	pthread_mutex_lock(&e->mu);
	if (!name || !*name || strlen(name) >= 64 || strchr(name, '/')) {
		*status = 400;
		r = jv_invalid_with_msg(jv_string("missing or bad name"));
		goto out;
	}
	if (find(e, name)) {
		*status = 409;
		r = jv_invalid_with_msg(jv_string("proxy already exists"));
		goto out;
	}
	struct proxy *p = bi_calloc(1, sizeof *p);
	p->lfd = -1;
	snprintf(p->name, sizeof p->name, "%s", name);
	snprintf(p->listen, sizeof p->listen, "%s", listen && *listen ? listen : "127.0.0.1:0");
	jv en = jv_object_get(jv_copy(body), jv_string("enabled"));
	p->enabled = jv_get_kind(en) != JV_KIND_FALSE;
	jv_free(en);
	if (set_upstreams(p, body, err, sizeof err) != 0 ||
	    (p->enabled && open_listener(e, p, err, sizeof err) != 0)) {
		free(p);
		*status = 400;
		r = jv_invalid_with_msg(jv_string(err));
		goto out;
	}
	p->next = e->proxies;
	e->proxies = p;
	*status = 201;
	r = proxy_json(p);
	jv ev = event("create", p);
	ev = jv_object_set(ev, jv_string("listen"), jv_string(p->lfd >= 0 ? p->bound : p->listen));
	ev = jv_object_set(ev, jv_string("upstream"), jv_string(p->up[0].addr));
	emit(e, ev);
out:
	pthread_mutex_unlock(&e->mu);
	jv_free(body);
	return r;
}

jv
bi_proxy_list(bi_proxy_engine *e)
{
	jv o = jv_object();

	pthread_mutex_lock(&e->mu);
	for (struct proxy *p = e->proxies; p; p = p->next)
		if (!p->deleted)
			o = jv_object_set(o, jv_string(p->name), proxy_json(p));
	pthread_mutex_unlock(&e->mu);
	return o;
}

jv
bi_proxy_get(bi_proxy_engine *e, const char *name, int *status)
{
	jv r;

	pthread_mutex_lock(&e->mu);
	struct proxy *p = find(e, name);
	*status = p ? 200 : 404;
	r = p ? proxy_json(p) : jv_invalid_with_msg(jv_string("proxy not found"));
	pthread_mutex_unlock(&e->mu);
	return r;
}

jv
bi_proxy_update(bi_proxy_engine *e, const char *name, jv body, int *status)
{
	char err[300];
	jv r;

	pthread_mutex_lock(&e->mu);
	struct proxy *p = find(e, name);
	if (!p) {
		*status = 404;
		r = jv_invalid_with_msg(jv_string("proxy not found"));
		goto out;
	}
	const char *listen = bi_get_str(body, "listen");
	int relisten = listen && strcmp(listen, p->listen) && strcmp(listen, p->bound);
	if (bi_get_str(body, "upstream") || jv_object_has(jv_copy(body), jv_string("upstreams")))
		if (set_upstreams(p, body, err, sizeof err) != 0) {
			*status = 400;
			r = jv_invalid_with_msg(jv_string(err));
			goto out;
		}
	jv en = jv_object_get(jv_copy(body), jv_string("enabled"));
	int enabled = jv_get_kind(en) == JV_KIND_TRUE ? 1 : jv_get_kind(en) == JV_KIND_FALSE ? 0 : p->enabled;
	jv_free(en);
	if (relisten || !enabled)
		close_all(e, p);
	if (relisten)
		snprintf(p->listen, sizeof p->listen, "%s", listen);
	p->enabled = enabled;
	if (p->enabled && p->lfd < 0 && open_listener(e, p, err, sizeof err) != 0) {
		p->enabled = 0;
		*status = 400;
		r = jv_invalid_with_msg(jv_string(err));
		goto out;
	}
	*status = 200;
	r = proxy_json(p);
	emit(e, event(enabled ? "update" : "disable", p));
out:
	pthread_mutex_unlock(&e->mu);
	jv_free(body);
	return r;
}

int
bi_proxy_delete(bi_proxy_engine *e, const char *name)
{
	pthread_mutex_lock(&e->mu);
	struct proxy *p = find(e, name);
	if (p) {
		close_all(e, p);
		p->deleted = 1;	/* freed by the loop */
		emit(e, event("delete", p));
	}
	pthread_mutex_unlock(&e->mu);
	uint64_t one = 1;
	if (write(e->wake, &one, sizeof one) < 0 && errno != EAGAIN)
		return p ? 204 : 404;
	return p ? 204 : 404;
}

/* ---- toxics ---- */

static const char *const toxic_types[] = {"latency", "bandwidth", "slow_close", "timeout",
	"reset_peer", "slicer", "limit_data", NULL};

static struct toxic *
find_toxic(struct proxy *p, const char *name)
{
	for (int i = 0; i < p->ntoxics; i++)
		if (!strcmp(p->toxics[i].name, name))
			return &p->toxics[i];
	return NULL;
}

/* Release what a timeout toxic held, now that it is gone. */
static void
release_held(bi_proxy_engine *e, struct proxy *p, int64_t now)
{
	for (struct conn *c = e->conns; c; c = c->next) {
		if (c->p != p || c->dead)
			continue;
		for (int d = 0; d < 2; d++)
			for (struct chunk *k = c->side[d].head; k; k = k->next)
				if (k->due == INT64_MAX)
					k->due = now;
		for (int d = 0; d < 2; d++)
			if (c->side[d].last_due == INT64_MAX)
				c->side[d].last_due = now;
	}
}

static int
valid_toxic(jv body, struct toxic *t, char *err, size_t n, int update)
{
	const char *type = bi_get_str(body, "type");
	const char *stream = bi_get_str(body, "stream");

	if (!update || type) {
		const char *const *k;
		for (k = toxic_types; *k && (!type || strcmp(*k, type)); k++)
			;
		if (!*k) {
			snprintf(err, n, "invalid toxic type: %s", type ? type : "(none)");
			return -1;
		}
		snprintf(t->type, sizeof t->type, "%s", type);
	}
	if (stream) {
		if (strcmp(stream, "upstream") && strcmp(stream, "downstream")) {
			snprintf(err, n, "stream: upstream or downstream, not %s", stream);
			return -1;
		}
		t->stream = !strcmp(stream, "upstream") ? UP : DOWN;
	} else if (!update) {
		t->stream = DOWN;
	}
	jv tox = jv_object_get(jv_copy(body), jv_string("toxicity"));
	if (jv_get_kind(tox) == JV_KIND_NUMBER)
		t->toxicity = jv_number_value(tox);
	else if (!update)
		t->toxicity = 1.0;
	jv_free(tox);
	if (t->toxicity < 0 || t->toxicity > 1) {
		snprintf(err, n, "toxicity: between 0 and 1");
		return -1;
	}
	jv a = jv_object_get(jv_copy(body), jv_string("attributes"));
	if (jv_get_kind(a) == JV_KIND_OBJECT) {
		if (jv_is_valid(t->attributes) && update) {
			jv_object_foreach(a, k, v)
				t->attributes = jv_object_set(t->attributes, k, v);
			jv_free(a);
		} else {
			jv_free(t->attributes);
			t->attributes = a;
		}
	} else {
		jv_free(a);
		if (!jv_is_valid(t->attributes)) {
			jv_free(t->attributes);
			t->attributes = jv_object();
		}
	}
	return 0;
}

jv
bi_proxy_add_toxic(bi_proxy_engine *e, const char *proxy, jv body, int *status)
{
	char err[200];
	jv r;

	pthread_mutex_lock(&e->mu);
	struct proxy *p = find(e, proxy);
	if (!p) {
		*status = 404;
		r = jv_invalid_with_msg(jv_string("proxy not found"));
		goto out;
	}
	struct toxic t = {.attributes = jv_invalid()};
	if (valid_toxic(body, &t, err, sizeof err, 0) != 0) {
		jv_free(t.attributes);
		*status = 400;
		r = jv_invalid_with_msg(jv_string(err));
		goto out;
	}
	const char *name = bi_get_str(body, "name");
	if (name && *name)
		snprintf(t.name, sizeof t.name, "%s", name);
	else
		snprintf(t.name, sizeof t.name, "%s_%s", t.type, t.stream == UP ? "upstream" : "downstream");
	if (find_toxic(p, t.name) || p->ntoxics == MAX_TOXICS) {
		jv_free(t.attributes);
		*status = p->ntoxics == MAX_TOXICS ? 400 : 409;
		r = jv_invalid_with_msg(jv_string(*status == 409 ? "toxic already exists" : "too many toxics"));
		goto out;
	}
	t.id = ++e->next_toxic;
	t.added = bi_mono_ns();
	p->toxics[p->ntoxics++] = t;
	*status = 200;
	r = toxic_json(&t);
	jv ev = event("toxic_add", p);
	ev = jv_object_set(ev, jv_string("toxic"), toxic_json(&t));
	emit(e, ev);
out:
	pthread_mutex_unlock(&e->mu);
	jv_free(body);
	return r;
}

jv
bi_proxy_toxics(bi_proxy_engine *e, const char *proxy, const char *toxic, int *status)
{
	jv r;

	pthread_mutex_lock(&e->mu);
	struct proxy *p = find(e, proxy);
	struct toxic *t = p && toxic ? find_toxic(p, toxic) : NULL;
	if (!p || (toxic && !t)) {
		*status = 404;
		r = jv_invalid_with_msg(jv_string(p ? "toxic not found" : "proxy not found"));
	} else if (t) {
		*status = 200;
		r = toxic_json(t);
	} else {
		*status = 200;
		r = jv_array();
		for (int i = 0; i < p->ntoxics; i++)
			r = jv_array_append(r, toxic_json(&p->toxics[i]));
	}
	pthread_mutex_unlock(&e->mu);
	return r;
}

jv
bi_proxy_update_toxic(bi_proxy_engine *e, const char *proxy, const char *toxic, jv body,
		      int *status)
{
	char err[200];
	jv r;

	pthread_mutex_lock(&e->mu);
	struct proxy *p = find(e, proxy);
	struct toxic *t = p ? find_toxic(p, toxic) : NULL;
	if (!t) {
		*status = 404;
		r = jv_invalid_with_msg(jv_string(p ? "toxic not found" : "proxy not found"));
	} else if (valid_toxic(body, t, err, sizeof err, 1) != 0) {
		*status = 400;
		r = jv_invalid_with_msg(jv_string(err));
	} else {
		*status = 200;
		r = toxic_json(t);
		jv ev = event("toxic_update", p);
		ev = jv_object_set(ev, jv_string("toxic"), toxic_json(t));
		emit(e, ev);
	}
	pthread_mutex_unlock(&e->mu);
	jv_free(body);
	return r;
}

static void
remove_toxic(bi_proxy_engine *e, struct proxy *p, int i)
{
	int was_timeout = !strcmp(p->toxics[i].type, "timeout");
	jv ev = event("toxic_remove", p);
	ev = jv_object_set(ev, jv_string("toxic"), jv_string(p->toxics[i].name));
	emit(e, ev);
	jv_free(p->toxics[i].attributes);
	memmove(&p->toxics[i], &p->toxics[i + 1], (size_t)(p->ntoxics - i - 1) * sizeof p->toxics[0]);
	p->ntoxics--;
	if (was_timeout)
		release_held(e, p, bi_mono_ns());
}

int
bi_proxy_delete_toxic(bi_proxy_engine *e, const char *proxy, const char *toxic)
{
	int status = 404;

	pthread_mutex_lock(&e->mu);
	struct proxy *p = find(e, proxy);
	for (int i = 0; p && i < p->ntoxics; i++) {
		if (!strcmp(p->toxics[i].name, toxic)) {
			remove_toxic(e, p, i);
			status = 204;
			break;
		}
	}
	pthread_mutex_unlock(&e->mu);
	return status;
}

void
bi_proxy_reset(bi_proxy_engine *e)
{
	char err[300];

	pthread_mutex_lock(&e->mu);
	for (struct proxy *p = e->proxies; p; p = p->next) {
		if (p->deleted)
			continue;
		while (p->ntoxics > 0)
			remove_toxic(e, p, p->ntoxics - 1);
		if (!p->enabled) {
			p->enabled = 1;
			if (p->lfd < 0 && open_listener(e, p, err, sizeof err) != 0)
				p->enabled = 0;
		}
	}
	emit(e, event("reset", NULL));
	pthread_mutex_unlock(&e->mu);
}

/* ---- connections ---- */

static double
attr(const struct toxic *t, const char *k, double def)
{
	return bi_get_num(t->attributes, k, def);
}

/* Does toxic t touch connection c? Decided once, by toxicity. */
static int
applies(bi_proxy_engine *e, struct conn *c, const struct toxic *t)
{
	int slot = t->id % MAX_TOXICS;

	if (c->applies_id[slot] != t->id) {
		c->applies_id[slot] = t->id;
		c->applies[slot] = t->toxicity >= 1 || uniform(e) < t->toxicity ? 1 : -1;
	}
	return c->applies[slot] > 0;
}

static void
kill_conn(bi_proxy_engine *e, struct conn *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (c->reset && c->fd[0] >= 0) {
		struct linger lg = {1, 0};	/* close with RST */
		setsockopt(c->fd[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		if (c->fd[1] >= 0)
			setsockopt(c->fd[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	for (int i = 0; i < 2; i++) {
		unwatch_close(e, c->fd[i]);
		c->fd[i] = -1;
	}
	jv ev = event("close", c->p);
	ev = jv_object_set(ev, jv_string("client"), jv_string(c->client));
	ev = jv_object_set(ev, jv_string("upstream"), jv_string(c->upstream));
	ev = jv_object_set(ev, jv_string("bytes_up"), jv_number((double)c->side[UP].bytes));
	ev = jv_object_set(ev, jv_string("bytes_down"), jv_number((double)c->side[DOWN].bytes));
	ev = jv_object_set(ev, jv_string("duration_ms"),
			   jv_number((double)((bi_mono_ns() - c->started) / BI_NS_PER_MS)));
	if (why)
		ev = jv_object_set(ev, jv_string("reason"), jv_string(why));
	emit(e, ev);
}

static const char *
pick_upstream(bi_proxy_engine *e, struct proxy *p)
{
	double total = 0, r;

	for (int i = 0; i < p->nup; i++)
		total += p->up[i].weight;
	if (p->nup == 1 || total <= 0)
		return p->up[0].addr;
	r = uniform(e) * total;
	for (int i = 0; i < p->nup; i++) {
		r -= p->up[i].weight;
		if (r < 0)
			return p->up[i].addr;
	}
	return p->up[p->nup - 1].addr;
}

static void
on_accept(bi_proxy_engine *e, struct proxy *p)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(p->lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct conn *c = bi_calloc(1, sizeof *c);
		c->p = p;
		c->fd[0] = fd;
		c->fd[1] = -1;
		c->started = bi_mono_ns();
		name_of((struct sockaddr *)&ss, c->client, sizeof c->client);
		snprintf(c->upstream, sizeof c->upstream, "%s", pick_upstream(e, p));
		c->next = e->conns;
		e->conns = c;
		p->connections++;
		struct sockaddr_storage us;
		socklen_t ul;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (resolve(c->upstream, &us, &ul, 0) != 0) {
			kill_conn(e, c, "upstream does not resolve");
			continue;
		}
		int u = socket(us.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->fd[1] = u;
		if (u < 0 || (connect(u, (struct sockaddr *)&us, ul) != 0 && errno != EINPROGRESS)) {
			kill_conn(e, c, "upstream refused");
			continue;
		}
		c->connecting = 1;
		watch_fd(e, u, EPOLLOUT, 2, c);
		watch_fd(e, fd, 0, 1, c);	/* read the client once upstream is there */
		jv ev = event("accept", p);
		ev = jv_object_set(ev, jv_string("client"), jv_string(c->client));
		ev = jv_object_set(ev, jv_string("upstream"), jv_string(c->upstream));
		emit(e, ev);
	}
}

/* Queue what was read from one side, timed by the toxics of its direction. */
static void
enqueue(bi_proxy_engine *e, struct conn *c, int d, const char *data, size_t n, int64_t now)
{
	struct side *s = &c->side[d];
	struct proxy *p = c->p;
	int64_t due = now, slice_gap = 0;
	size_t slice = n, slice_var = 0;
	double rate = 0;
	int held = 0;

	for (int i = 0; i < p->ntoxics; i++) {
		struct toxic *t = &p->toxics[i];
		if (t->stream != d || !applies(e, c, t))
			continue;
		if (!strcmp(t->type, "latency")) {
			double lat = attr(t, "latency", 0), jit = attr(t, "jitter", 0);
			double ms = lat + (jit > 0 ? (uniform(e) * 2 - 1) * jit : 0);
			if (ms > 0 && now + (int64_t)(ms * BI_NS_PER_MS) > due)
				due = now + (int64_t)(ms * BI_NS_PER_MS);
		} else if (!strcmp(t->type, "bandwidth")) {
			rate = attr(t, "rate", 0) * 1000;	/* KB/s */
		} else if (!strcmp(t->type, "timeout")) {
			held = 1;
		} else if (!strcmp(t->type, "slicer")) {
			slice = (size_t)attr(t, "average_size", 0);
			slice_var = (size_t)attr(t, "size_variation", 0);
			slice_gap = (int64_t)(attr(t, "delay", 0) * 1000);	/* us */
		} else if (!strcmp(t->type, "limit_data")) {
			double lim = attr(t, "bytes", 0);
			if (lim > 0 && s->bytes + s->queued + n >= (uint64_t)lim) {
				size_t room = s->bytes + s->queued >= (uint64_t)lim ? 0 :
					(size_t)((uint64_t)lim - s->bytes - s->queued);
				n = room;
				s->limited = 1;
			}
		}
	}
	if (slice == 0 || slice > n)
		slice = n ? n : 1;
	for (size_t off = 0; off < n;) {
		size_t k = slice;
		if (slice_var && slice > 1) {
			long v = (long)(uniform(e) * 2 * slice_var) - (long)slice_var;
			k = (size_t)((long)slice + v > 0 ? (long)slice + v : 1);
		}
		if (k > n - off)
			k = n - off;
		struct chunk *ch = bi_malloc(sizeof *ch + k);
		memcpy(ch->data, data + off, k);
		ch->len = k;
		ch->off = 0;
		ch->next = NULL;
		int64_t when = due;
		if (when < s->last_due)
			when = s->last_due;	/* in order */
		if (rate > 0) {
			if (when < s->bw_next)
				when = s->bw_next;
			s->bw_next = when + (int64_t)((double)k / rate * BI_NS_PER_S);
		}
		ch->due = held ? INT64_MAX : when;
		if (!held) {
			s->last_due = when;
			due = when + slice_gap;
		}
		if (s->tail)
			s->tail->next = ch;
		else
			s->head = ch;
		s->tail = ch;
		s->queued += k;
		off += k;
	}
}

static void
update_interest(bi_proxy_engine *e, struct conn *c)
{
	for (int fdi = 0; fdi < 2; fdi++) {
		if (c->fd[fdi] < 0)
			continue;
		int d_read = fdi == 0 ? UP : DOWN;	/* what this fd feeds */
		int d_write = fdi == 0 ? DOWN : UP;	/* what it receives */
		uint32_t ev = 0;
		if (!c->side[d_read].eof && c->side[d_read].queued < QUEUE_LIMIT && !c->connecting)
			ev |= EPOLLIN;
		struct chunk *h = c->side[d_write].head;
		if (h && h->off > 0)
			ev |= EPOLLOUT;	/* a partial write waits for room */
		if (fdi == 1 && c->connecting)
			ev = EPOLLOUT;
		watch_fd(e, c->fd[fdi], ev, fdi + 1, c);
	}
}

/* Write what is due on direction d; 0, or -1 when the peer is gone. */
static int
flush(bi_proxy_engine *e, struct conn *c, int d, int64_t now)
{
	struct side *s = &c->side[d];
	int out = d == UP ? 1 : 0;

	while (s->head && s->head->due <= now) {
		struct chunk *h = s->head;
		ssize_t w = send(c->fd[out], h->data + h->off, h->len - h->off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		h->off += (size_t)w;
		s->bytes += (uint64_t)w;
		s->queued -= (size_t)w;
		if (h->off < h->len)
			break;
		s->head = h->next;
		if (!s->head)
			s->tail = NULL;
		free(h);
	}
	if (!s->head && !s->done && (s->eof || s->limited)) {
		if (s->limited) {
			kill_conn(e, c, "limit_data reached");
			return 0;
		}
		if (s->close_at == 0) {
			/* slow_close on this direction: hold the close back. */
			int64_t delay = 0;
			for (int i = 0; i < c->p->ntoxics; i++) {
				struct toxic *t = &c->p->toxics[i];
				if (t->stream == d && !strcmp(t->type, "slow_close") && applies(e, c, t))
					delay = (int64_t)(attr(t, "delay", 0) * BI_NS_PER_MS);
			}
			s->close_at = now + delay;
		}
		if (now >= s->close_at) {
			shutdown(c->fd[out], SHUT_WR);
			s->done = 1;
		}
	}
	return 0;
}

static void
on_readable(bi_proxy_engine *e, struct conn *c, int fdi, int64_t now)
{
	int d = fdi == 0 ? UP : DOWN;
	char buf[65536];

	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd[fdi], buf, sizeof buf, 0);
		if (n > 0) {
			enqueue(e, c, d, buf, (size_t)n, now);
			if (c->side[d].limited || c->side[d].queued >= QUEUE_LIMIT)
				break;
			continue;
		}
		if (n == 0) {
			c->side[d].eof = 1;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			kill_conn(e, c, strerror(errno));
			return;
		}
		break;
	}
}

/* The next moment the loop must wake for: a chunk due, a close, a toxic. */
static int64_t
next_deadline(bi_proxy_engine *e, int64_t now)
{
	int64_t next = now + 100 * BI_NS_PER_MS;

	for (struct conn *c = e->conns; c; c = c->next) {
		if (c->dead)
			continue;
		for (int d = 0; d < 2; d++) {
			if (c->side[d].head && c->side[d].head->due < next && c->side[d].head->off == 0)
				next = c->side[d].head->due;
			if (c->side[d].close_at && !c->side[d].done && c->side[d].close_at < next)
				next = c->side[d].close_at;
		}
	}
	return next;
}

/* Connection-wide toxics: timeout closes after its time, reset_peer resets. */
static void
deadlines(bi_proxy_engine *e, struct conn *c, int64_t now)
{
	for (int i = 0; i < c->p->ntoxics && !c->dead; i++) {
		struct toxic *t = &c->p->toxics[i];
		int64_t since = t->added > c->started ? t->added : c->started;
		double ms = attr(t, "timeout", 0);
		if (!applies(e, c, t))
			continue;
		if (!strcmp(t->type, "timeout") && ms > 0 && now - since >= (int64_t)(ms * BI_NS_PER_MS))
			kill_conn(e, c, "timeout toxic");
		else if (!strcmp(t->type, "reset_peer") && now - since >= (int64_t)(ms * BI_NS_PER_MS)) {
			c->reset = 1;
			kill_conn(e, c, "reset_peer toxic");
		}
	}
}

static void
reap(bi_proxy_engine *e)
{
	for (struct conn **pc = &e->conns; *pc;) {
		struct conn *c = *pc;
		int over = c->side[0].done && c->side[1].done;
		if (over && !c->dead)
			kill_conn(e, c, NULL);
		if (c->dead) {
			for (int d = 0; d < 2; d++)
				for (struct chunk *k = c->side[d].head, *nx; k; k = nx) {
					nx = k->next;
					free(k);
				}
			*pc = c->next;
			free(c);
		} else {
			pc = &c->next;
		}
	}
	for (struct proxy **pp = &e->proxies; *pp;) {
		struct proxy *p = *pp;
		if (p->deleted) {
			for (int i = 0; i < p->ntoxics; i++)
				jv_free(p->toxics[i].attributes);
			*pp = p->next;
			free(p);
		} else {
			pp = &p->next;
		}
	}
}

bi_proxy_engine *
bi_proxy_new(void (*on_event)(void *ctx, jv rec), void *ctx)
{
	bi_proxy_engine *e = bi_calloc(1, sizeof *e);

	pthread_mutex_init(&e->mu, NULL);
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	e->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e->rng = (uint64_t)bi_now_ns() | 1;
	e->event = on_event;
	e->ctx = ctx;
	watch_fd(e, e->wake, EPOLLIN, 3, NULL);
	return e;
}

void
bi_proxy_lock(bi_proxy_engine *e)
{
	pthread_mutex_lock(&e->mu);
}

void
bi_proxy_unlock(bi_proxy_engine *e)
{
	pthread_mutex_unlock(&e->mu);
}

int
bi_proxy_run(bi_proxy_engine *e, volatile int *stop, int64_t drain)
{
	struct epoll_event evs[256];
	int64_t drain_until = 0;

	for (;;) {
		int64_t now = bi_mono_ns();
		pthread_mutex_lock(&e->mu);
		if (*stop && !e->draining) {
			/* Draining: no new connections; those open may finish. */
			e->draining = 1;
			drain_until = now + drain;
			for (struct proxy *p = e->proxies; p; p = p->next)
				if (p->lfd >= 0) {
					unwatch_close(e, p->lfd);
					p->lfd = -1;
				}
			emit(e, event("drain", NULL));
		}
		int live = 0;
		for (struct conn *c = e->conns; c; c = c->next)
			live += !c->dead;
		if (e->draining && (live == 0 || now >= drain_until)) {
			for (struct conn *c = e->conns; c; c = c->next)
				kill_conn(e, c, "shutting down");
			reap(e);
			pthread_mutex_unlock(&e->mu);
			return 0;
		}
		int64_t next = next_deadline(e, now);
		pthread_mutex_unlock(&e->mu);
		int64_t wait = next - now;
		int ms = wait <= 0 ? 0 : (int)((wait + BI_NS_PER_MS - 1) / BI_NS_PER_MS);
		int n = epoll_wait(e->ep, evs, 256, ms);
		now = bi_mono_ns();
		pthread_mutex_lock(&e->mu);
		for (int i = 0; i < n; i++) {
			struct handle *h = evs[i].data.ptr;
			if (h->kind == 3) {
				uint64_t x;
				while (read(e->wake, &x, sizeof x) > 0)
					;
				continue;
			}
			if (h->kind == 0) {
				struct proxy *p = h->obj;
				if (!p->deleted && p->lfd >= 0)
					on_accept(e, p);
				continue;
			}
			struct conn *c = h->obj;
			int fdi = h->kind - 1;
			if (c->dead)
				continue;
			if (fdi == 1 && c->connecting) {
				int err = 0;
				socklen_t len = sizeof err;
				getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) {
					kill_conn(e, c, strerror(err));
					continue;
				}
				c->connecting = 0;
			}
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(e, c, fdi, now);
		}
		for (struct conn *c = e->conns; c; c = c->next) {
			if (c->dead)
				continue;
			deadlines(e, c, now);
			for (int d = 0; d < 2 && !c->dead; d++)
				if (flush(e, c, d, now) != 0)
					kill_conn(e, c, "peer gone");
			if (!c->dead)
				update_interest(e, c);
		}
		reap(e);
		pthread_mutex_unlock(&e->mu);
	}
}

void
bi_proxy_free(bi_proxy_engine *e)
{
	if (!e)
		return;
	for (struct proxy *p = e->proxies; p; p = p->next)
		p->deleted = 1;
	for (struct conn *c = e->conns; c; c = c->next)
		kill_conn(e, c, NULL);
	reap(e);
	unwatch_close(e, e->wake);
	close(e->ep);
	pthread_mutex_destroy(&e->mu);
	free(e);
}
