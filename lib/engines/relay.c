/*
 * relay.c: bi-proxy's data plane, one concern: moving bytes between
 * clients and upstreams in one epoll loop, as the toxics say.
 *
 * Each port (a proxy's listening socket, its upstreams, its toxics as
 * numbers: proxy.c validates and compiles them) accepts connections and
 * relays each one's two directions ("upstream": client to server,
 * "downstream": server to client). A direction is a queue of chunks, one
 * per read, each with the time it may leave. Latency and jitter set that
 * time when the chunk is read, and a timeout toxic holds it; bandwidth and
 * the slicer act when it is written, by the toxics of that moment, so that
 * taking them away takes effect at once. limit_data, timeout and reset_peer
 * end a connection, slow_close delays its close. A toxic applies to a
 * connection with the probability of its toxicity, decided once per
 * connection.
 *
 * Memory: a queue is counted by what it costs, its bytes and each chunk's
 * header and allocation, not by its bytes alone. A direction stops reading
 * at 4 MiB of that; and once all queues together hold 32 MiB, a direction
 * reads only while it holds less than 16 KiB, so that no connection stalls
 * for good and the total stays near 32 MiB whatever the number of
 * connections. Memory freed is handed back to the system (malloc_trim),
 * at most once a second.
 *
 * Out of file descriptors, a port stops accepting until a connection closes
 * (or a quarter of a second passes), says so once, and a client accepted
 * without a descriptor left for its upstream waits for one, instead of the
 * loop spinning on a listener that stays readable.
 *
 * Without toxics (the common case, and the one measured against haproxy),
 * what is read is sent on at once from the stack, queued only when the
 * peer is full, and a turn of the loop visits only the connections its
 * events touched: two reads and two writes per request and answer, no
 * copy, no allocation, no work for idle connections. A toxic anywhere, a
 * paused port or a drain makes every turn visit everything, as the
 * toxics' times require.
 *
 * Threads: the control API (another thread) changes ports under the lock
 * and wakes the loop; only the loop frees what was removed, after the events
 * of its last wait were handled, so no event points at freed memory. Each
 * epoll event points at a handle inside its port or connection.
 *
 * Layer: engines.
 */
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engines/relay.h"

#include "base/addr.h"
#include "base/jsonl.h"
#include "base/time.h"
#include "base/util.h"

#define READ_MAX 65536
#define SIDE_MAX ((size_t)4 << 20)	/* a direction reads no further */
#define SIDE_FLOOR ((size_t)16 << 10)	/* what a direction may always hold */
#define TOTAL_MAX ((size_t)32 << 20)	/* all queues together, past which only the floor */
#define MALLOC_COST 16			/* the allocator's own share of a chunk */
#define SENDS_MAX 1024			/* writes for one direction per turn of the loop */
#define PAUSE (250 * BI_NS_PER_MS)	/* out of descriptors: accept again after this */
#define TICK (100 * BI_NS_PER_MS)	/* the longest wait: a signal may land in another thread */

enum { UP = BI_RELAY_UP, DOWN = BI_RELAY_DOWN, MAX_TOXICS = BI_RELAY_MAX_TOXICS };
enum { H_LISTEN, H_CLIENT, H_UPSTREAM, H_WAKE };

/* What an epoll event points at, and what epoll was last told of its fd. */
struct handle {
	int kind;
	int fd;
	void *obj;
	uint32_t events;
	int added;
};

struct chunk {
	struct chunk *next;
	size_t len, off;
	int64_t due;		/* INT64_MAX: held by a timeout toxic */
	char data[];
};

struct side {
	struct chunk *head, *tail;
	size_t cost;		/* what the queue takes in memory */
	uint64_t in;		/* bytes read and queued (limit_data counts these) */
	uint64_t bytes;		/* bytes passed on */
	int64_t last_due;	/* chunks leave in order */
	int64_t next_send;	/* bandwidth, slicer: the next write waits till then */
	size_t piece_left;	/* slicer: what is left of the piece under way */
	int eof;		/* the reading end closed */
	int done;		/* the writing end shut down */
	int blocked;		/* the last write found no room: wait for EPOLLOUT */
	int limited;		/* limit_data reached: close after the queue */
	int64_t close_at;	/* slow_close: shut the writing end then */
};

struct bi_relay_port {
	char name[64];
	struct handle h;	/* the listener; fd -1 when not listening */
	bi_relay_upstream up[BI_RELAY_MAX_UPSTREAMS];
	double cur[BI_RELAY_MAX_UPSTREAMS];	/* smooth weighted round robin's credit */
	int nup;
	bi_relay_toxic toxics[MAX_TOXICS];
	int ntoxics;
	bi_relay_stats stats;
	int deleted;
	int64_t paused_until;	/* out of descriptors: not accepting till then */
	int warned;		/* said so, once for each time it ran out */
	struct bi_relay_port *next;
};

struct conn {
	bi_relay_port *p;
	struct handle h[2];	/* [0] the client, [1] the upstream */
	int connecting;		/* to the upstream, or waiting to */
	int waiting;		/* for a descriptor to connect with */
	struct side side[2];	/* [UP] client->upstream, [DOWN] upstream->client */
	int64_t started;
	signed char applies[MAX_TOXICS];	/* by the port's toxic index: 1, -1, 0 undecided */
	int dead;
	unsigned mark;		/* the turn of the loop that last touched it */
	int reset;		/* close with RST */
	char client[64], upstream[272];
	char host[256];		/* the upstream's, and its port */
	int port;
	struct conn *next;
};

struct bi_relay {
	pthread_mutex_t mu;
	int ep;
	struct handle wake;
	bi_relay_port *ports;
	struct conn *conns;
	uint64_t rng;
	void (*event)(void *ctx, jv rec);
	void *ctx;
	int draining;
	size_t queued;		/* the cost of every queue */
	size_t freed;		/* queue memory freed since the last trim */
	int64_t trim_at;
	/* The fast path, when no port has a toxic: a turn of the loop visits
	 * only the connections its events touched. */
	struct conn **touched;
	int ntouched, cap;
	unsigned turn;
	int pending;		/* a flush stopped with chunks due: visit all next turn */
	int dying;		/* connections killed and not yet reaped */
};

static uint64_t
rnd(bi_relay *r)
{
	uint64_t x = r->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return r->rng = x;
}

static double
uniform(bi_relay *r)
{
	return (double)(rnd(r) >> 11) / 9007199254740992.0;
}

static void
emit(bi_relay *r, jv rec)
{
	if (r->event)
		r->event(r->ctx, rec);
	else
		jv_free(rec);
}

static jv
event(const char *what, const bi_relay_port *p)
{
	jv rec = bi_record("proxy");
	rec = jv_object_set(rec, jv_string("event"), jv_string(what));
	if (p)
		rec = jv_object_set(rec, jv_string("proxy"), jv_string(p->name));
	return rec;
}

/* Why a descriptor could not be had, in words that name the cause. */
static const char *
fd_error(int err, char *buf, size_t n)
{
	struct rlimit rl;

	if (err == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0)
		snprintf(buf, n, "too many open files (limit %llu)", (unsigned long long)rl.rlim_cur);
	else if (err == EMFILE)
		snprintf(buf, n, "too many open files");
	else if (err == ENFILE)
		snprintf(buf, n, "too many open files in the system");
	else
		snprintf(buf, n, "%s", strerror(err));
	return buf;
}

static int
out_of_fds(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* ---- epoll ---- */

/* Tell epoll what h waits for; 0 still reports hangups and errors. */
static void
watch(bi_relay *r, struct handle *h, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};

	if (h->fd < 0 || (h->added && h->events == events))
		return;
	if (epoll_ctl(r->ep, h->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, h->fd, &ev) == 0) {
		h->added = 1;
		h->events = events;
	}
}

/* Stop watching h: nothing more is wanted from its fd. */
static void
unwatch(bi_relay *r, struct handle *h)
{
	if (h->fd >= 0 && h->added)
		epoll_ctl(r->ep, EPOLL_CTL_DEL, h->fd, NULL);
	h->added = 0;
}

static void
close_handle(bi_relay *r, struct handle *h)
{
	unwatch(r, h);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

static void
wake(bi_relay *r)
{
	uint64_t one = 1;

	if (write(r->wake.fd, &one, sizeof one) < 0 && errno != EAGAIN)
		return;	/* the loop wakes within a tick anyway */
}

/* ---- toxics as the loop sees them ---- */

/* Does the port's toxic i touch connection c? Decided once, by toxicity. */
static int
applies(bi_relay *r, struct conn *c, int i)
{
	const bi_relay_toxic *t = &c->p->toxics[i];

	if (!c->applies[i])
		c->applies[i] = t->toxicity >= 1 || uniform(r) < t->toxicity ? 1 : -1;
	return c->applies[i] > 0;
}

/* What the toxics do to writes on direction d of c, now. */
struct effects {
	double rate;		/* bytes a second; 0 none */
	size_t size, variation;	/* slicer pieces; size 0 none */
	int64_t gap;		/* between pieces */
};

static struct effects
write_effects(bi_relay *r, struct conn *c, int d)
{
	struct effects fx = {0};

	for (int i = 0; i < c->p->ntoxics; i++) {
		const bi_relay_toxic *t = &c->p->toxics[i];
		if (t->stream != d || !applies(r, c, i))
			continue;
		if (t->kind == BI_TOXIC_BANDWIDTH && t->rate > 0) {
			fx.rate = t->rate;
		} else if (t->kind == BI_TOXIC_SLICER && t->size > 0) {
			fx.size = t->size;
			fx.variation = t->variation;
			fx.gap = t->delay;
		}
	}
	return fx;
}

/* ---- queues ---- */

static size_t
chunk_cost(size_t len)
{
	return sizeof(struct chunk) + len + MALLOC_COST;
}

/* How many bytes direction s may read now (0: none), by the memory rule
 * of the opening comment. */
static size_t
room(const bi_relay *r, const struct side *s)
{
	size_t lim = s->cost < SIDE_MAX ? SIDE_MAX - s->cost : 0;
	size_t all = r->queued < TOTAL_MAX ? TOTAL_MAX - r->queued : 0;
	size_t floor = s->cost < SIDE_FLOOR ? SIDE_FLOOR - s->cost : 0;

	if (all < lim)
		lim = all;
	if (floor > lim)
		lim = floor;
	if (lim <= chunk_cost(0))
		return 0;
	lim -= chunk_cost(0);
	return lim < READ_MAX ? lim : READ_MAX;
}

static void
free_chunk(bi_relay *r, struct side *s, struct chunk *k)
{
	size_t cost = chunk_cost(k->len);

	s->cost -= cost;
	r->queued -= cost;
	r->freed += cost;
	free(k);
}

/* Queue what was read from one side, timed by the toxics of its direction. */
static void
enqueue(bi_relay *r, struct conn *c, int d, const char *data, size_t n, int64_t now)
{
	struct side *s = &c->side[d];
	int64_t due = now;
	int held = 0;

	for (int i = 0; i < c->p->ntoxics; i++) {
		const bi_relay_toxic *t = &c->p->toxics[i];
		if (t->stream != d || !applies(r, c, i))
			continue;
		if (t->kind == BI_TOXIC_LATENCY) {
			int64_t lat = t->latency;
			if (t->jitter > 0)
				lat += (int64_t)((uniform(r) * 2 - 1) * (double)t->jitter);
			if (now + lat > due)
				due = now + lat;
		} else if (t->kind == BI_TOXIC_TIMEOUT) {
			held = 1;
		} else if (t->kind == BI_TOXIC_LIMIT_DATA && t->bytes > 0 && s->in + n >= t->bytes) {
			n = s->in >= t->bytes ? 0 : (size_t)(t->bytes - s->in);
			s->limited = 1;
		}
	}
	if (n == 0)
		return;
	struct chunk *ch = bi_malloc(sizeof *ch + n);
	memcpy(ch->data, data, n);
	ch->len = n;
	ch->off = 0;
	ch->next = NULL;
	if (held) {
		ch->due = INT64_MAX;
	} else {
		if (due < s->last_due)
			due = s->last_due;	/* in order */
		ch->due = s->last_due = due;
	}
	if (s->tail)
		s->tail->next = ch;
	else
		s->head = ch;
	s->tail = ch;
	s->cost += chunk_cost(n);
	r->queued += chunk_cost(n);
	s->in += n;
}

/* Let go what timeout toxics held on c, for each direction that none
 * holds any longer. */
static void
release_held(bi_relay *r, struct conn *c, int64_t now)
{
	for (int d = 0; d < 2; d++) {
		int holds = 0;
		for (int i = 0; i < c->p->ntoxics; i++)
			if (c->p->toxics[i].kind == BI_TOXIC_TIMEOUT && c->p->toxics[i].stream == d &&
			    applies(r, c, i))
				holds = 1;
		if (holds)
			continue;
		for (struct chunk *k = c->side[d].head; k; k = k->next)
			if (k->due == INT64_MAX)
				k->due = now;
		if (c->side[d].last_due < now)
			c->side[d].last_due = now;
	}
}

/* ---- connections ---- */

/* Note that this turn of the loop must look at c after its events. */
static void
touch(bi_relay *r, struct conn *c)
{
	if (c->mark == r->turn)
		return;
	c->mark = r->turn;
	if (r->ntouched == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->touched = bi_realloc(r->touched, (size_t)r->cap * sizeof *r->touched);
	}
	r->touched[r->ntouched++] = c;
}

static void
kill_conn(bi_relay *r, struct conn *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = 1;
	r->dying++;
	if (c->reset) {
		struct linger lg = {1, 0};	/* close with RST */
		for (int i = 0; i < 2; i++)
			if (c->h[i].fd >= 0)
				setsockopt(c->h[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	for (int i = 0; i < 2; i++)
		close_handle(r, &c->h[i]);
	jv ev = event("close", c->p);
	ev = jv_object_set(ev, jv_string("client"), jv_string(c->client));
	ev = jv_object_set(ev, jv_string("upstream"), jv_string(c->upstream));
	ev = jv_object_set(ev, jv_string("bytes_up"), jv_number((double)c->side[UP].bytes));
	ev = jv_object_set(ev, jv_string("bytes_down"), jv_number((double)c->side[DOWN].bytes));
	ev = jv_object_set(ev, jv_string("duration_ms"),
			   jv_number((double)((bi_mono_ns() - c->started) / BI_NS_PER_MS)));
	if (why)
		ev = jv_object_set(ev, jv_string("reason"), jv_string(why));
	emit(r, ev);
}

/* The upstream for the next connection, by smooth weighted round robin
 * (nginx's): each upstream gains its weight in credit, the richest is
 * picked and pays the total. Deterministic, so that over any run of
 * connections each upstream's share is within one connection of its
 * weight's, and spread out: 90/10 sends every tenth or so to the second,
 * not ten in a row. A weight of 0 is never picked while another is not. */
static const bi_relay_upstream *
pick_upstream(bi_relay_port *p)
{
	double total = 0;
	int best = -1;

	for (int i = 0; i < p->nup; i++) {
		if (!(p->up[i].weight > 0))
			continue;
		total += p->up[i].weight;
		p->cur[i] += p->up[i].weight;
		if (best < 0 || p->cur[i] > p->cur[best])
			best = i;
	}
	if (best < 0)
		return &p->up[0];
	p->cur[best] -= total;
	return &p->up[best];
}

/* Out of descriptors: stop accepting on p for a while, and say so once
 * until all who waited were let in. */
static void
pause_port(bi_relay *r, bi_relay_port *p, int err, int64_t now)
{
	char why[96];

	p->paused_until = now + PAUSE;
	watch(r, &p->h, 0);
	if (!p->warned)
		bi_warn("proxy %s: %s: new connections wait until some close (tried again every "
			"%d ms)", p->name, fd_error(err, why, sizeof why), (int)(PAUSE / BI_NS_PER_MS));
	p->warned = 1;
}

/* Open c's connection to its upstream: 0 when under way or over (c->dead),
 * or the errno of running out of descriptors, c then waiting for one. */
static int
start_upstream(bi_relay *r, struct conn *c)
{
	char why[300];
	struct sockaddr_storage us;
	socklen_t ul;
	int one = 1;

	if (bi_addr_resolve(c->host, c->port, 0, &us, &ul, why, sizeof why) != 0) {
		kill_conn(r, c, "upstream does not resolve");
		return 0;
	}
	int u = socket(us.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u < 0) {
		if (out_of_fds(errno))
			return c->waiting = errno;
		kill_conn(r, c, strerror(errno));
		return 0;
	}
	c->waiting = 0;
	setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->h[1].fd = u;
	if (connect(u, (struct sockaddr *)&us, ul) != 0 && errno != EINPROGRESS) {
		kill_conn(r, c, strerror(errno));
		return 0;
	}
	watch(r, &c->h[1], EPOLLOUT);
	jv ev = event("accept", c->p);
	ev = jv_object_set(ev, jv_string("client"), jv_string(c->client));
	ev = jv_object_set(ev, jv_string("upstream"), jv_string(c->upstream));
	emit(r, ev);
	return 0;
}

static void
on_accept(bi_relay *r, bi_relay_port *p, int64_t now)
{
	int one = 1;

	for (int i = 0; i < 64 && p->h.fd >= 0 && !p->paused_until; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(p->h.fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (out_of_fds(errno))
				pause_port(r, p, errno, now);
			else if (errno == EAGAIN || errno == EWOULDBLOCK)
				p->warned = 0;	/* all who waited are in */
			return;
		}
		p->stats.connections++;
		struct conn *c = bi_calloc(1, sizeof *c);
		c->p = p;
		c->h[0] = (struct handle){H_CLIENT, fd, c, 0, 0};
		c->h[1] = (struct handle){H_UPSTREAM, -1, c, 0, 0};
		c->started = now;
		c->connecting = 1;
		bi_addr_name((struct sockaddr *)&ss, c->client, sizeof c->client);
		const bi_relay_upstream *up = pick_upstream(p);
		p->stats.up_connections[up - p->up]++;
		snprintf(c->upstream, sizeof c->upstream, "%s", up->text);
		snprintf(c->host, sizeof c->host, "%s", up->host);
		c->port = up->port;
		c->next = r->conns;
		r->conns = c;
		touch(r, c);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		watch(r, &c->h[0], 0);	/* read the client once upstream is there */
		int err = start_upstream(r, c);
		if (err) {
			pause_port(r, p, err, now);
			return;
		}
	}
}

/* Pass on at once what was just read for direction d, when nothing can
 * stand in its way: no toxic on the port, nothing queued before it, the
 * peer connected and not full. Returns the bytes sent; the rest is queued
 * (an error is left for flush to meet again and report). This is the
 * whole relay without toxics: no copy, no allocation. */
static size_t
write_through(struct conn *c, int d, const char *buf, size_t n)
{
	struct side *s = &c->side[d];

	if (c->p->ntoxics || s->head || s->blocked || c->connecting)
		return 0;
	ssize_t w = send(c->h[d == UP ? 1 : 0].fd, buf, n, MSG_NOSIGNAL);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			s->blocked = 1;
		return 0;
	}
	if ((size_t)w < n)
		s->blocked = 1;	/* the socket took part: it is full */
	s->in += (uint64_t)w;
	s->bytes += (uint64_t)w;
	if (d == UP)
		c->p->stats.bytes_up += (uint64_t)w;
	else
		c->p->stats.bytes_down += (uint64_t)w;
	return (size_t)w;
}

/* Read what fd fdi of c has. A hung-up socket is read whatever the room,
 * as epoll keeps reporting it until then; it holds no more than its
 * buffer. A read shorter than asked emptied the socket: epoll says when
 * there is more, so no read is spent on finding it empty. */
static void
on_readable(bi_relay *r, struct conn *c, int fdi, int hungup, int64_t now)
{
	int d = fdi == 0 ? UP : DOWN;
	struct side *s = &c->side[d];
	char buf[READ_MAX];

	for (int i = 0; i < 16 && !s->eof && !s->limited; i++) {
		size_t want = hungup ? sizeof buf : room(r, s);
		if (want == 0)
			break;
		ssize_t n = recv(c->h[fdi].fd, buf, want, 0);
		if (n > 0) {
			size_t sent = write_through(c, d, buf, (size_t)n);
			if (sent < (size_t)n)
				enqueue(r, c, d, buf + sent, (size_t)n - sent, now);
			if ((size_t)n < want && !hungup)
				break;
			continue;
		}
		if (n == 0) {
			s->eof = 1;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			kill_conn(r, c, strerror(errno));
			return;
		}
		break;
	}
}

static size_t
piece_size(bi_relay *r, const struct effects *fx)
{
	long k = (long)fx->size;

	if (fx->variation)
		k += (long)(uniform(r) * 2 * (double)fx->variation) - (long)fx->variation;
	return k > 0 ? (size_t)k : 1;
}

/* Write what is due on direction d; 0, or -1 (errno set) when the peer is
 * gone. */
static int
flush(bi_relay *r, struct conn *c, int d, int64_t now)
{
	struct side *s = &c->side[d];
	struct handle *out = &c->h[d == UP ? 1 : 0];
	struct effects fx = write_effects(r, c, d);

	if (!fx.rate && !fx.size)
		s->next_send = 0;	/* a bandwidth or slicer taken away goes at once */
	if (!fx.size)
		s->piece_left = 0;
	for (int sends = 0; s->head && s->head->due <= now && !s->blocked && sends < SENDS_MAX; sends++) {
		if (s->next_send > now)
			break;
		struct chunk *h = s->head;
		size_t want = h->len - h->off;
		if (fx.size) {
			if (!s->piece_left)
				s->piece_left = piece_size(r, &fx);
			if (want > s->piece_left)
				want = s->piece_left;
		}
		if (fx.rate > 0 && want > fx.rate / 10 + 1)
			want = (size_t)(fx.rate / 10) + 1;	/* a tenth of a second at a time */
		ssize_t w = send(out->fd, h->data + h->off, want, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				s->blocked = 1;
				break;
			}
			if (errno == EINTR)
				continue;
			return -1;
		}
		h->off += (size_t)w;
		s->bytes += (uint64_t)w;
		if (d == UP)
			c->p->stats.bytes_up += (uint64_t)w;
		else
			c->p->stats.bytes_down += (uint64_t)w;
		int64_t next = 0;
		if (fx.rate > 0)
			next = now + (int64_t)((double)w / fx.rate * BI_NS_PER_S);
		if (fx.size) {
			s->piece_left -= (size_t)w < s->piece_left ? (size_t)w : s->piece_left;
			if (!s->piece_left && fx.gap && now + fx.gap > next)
				next = now + fx.gap;
		}
		s->next_send = next;
		if (h->off == h->len) {
			s->head = h->next;
			if (!s->head)
				s->tail = NULL;
			free_chunk(r, s, h);
		} else if ((size_t)w < want) {
			s->blocked = 1;	/* the socket took part: it is full */
			break;
		}
	}
	if (s->head && s->head->due <= now && !s->blocked)
		r->pending = 1;
	if (!s->head && !s->done && (s->eof || s->limited)) {
		if (s->limited) {
			kill_conn(r, c, "limit_data reached");
			return 0;
		}
		if (s->close_at == 0) {
			/* slow_close on this direction: hold the close back. */
			int64_t delay = 0;
			for (int i = 0; i < c->p->ntoxics; i++) {
				const bi_relay_toxic *t = &c->p->toxics[i];
				if (t->stream == d && t->kind == BI_TOXIC_SLOW_CLOSE && applies(r, c, i))
					delay = t->delay;
			}
			s->close_at = now + delay;
		}
		if (now >= s->close_at) {
			shutdown(out->fd, SHUT_WR);
			s->done = 1;
		}
	}
	return 0;
}

/* When toxic i ends connection c on its own (timeout, reset_peer): the
 * time, or INT64_MAX. */
static int64_t
toxic_end(bi_relay *r, struct conn *c, int i)
{
	const bi_relay_toxic *t = &c->p->toxics[i];
	int64_t since = t->added > c->started ? t->added : c->started;

	if (t->kind == BI_TOXIC_TIMEOUT ? t->timeout <= 0 : t->kind != BI_TOXIC_RESET_PEER)
		return INT64_MAX;
	return applies(r, c, i) ? since + t->timeout : INT64_MAX;
}

/* Connection-wide toxics: timeout closes after its time, reset_peer resets. */
static void
deadlines(bi_relay *r, struct conn *c, int64_t now)
{
	for (int i = 0; i < c->p->ntoxics && !c->dead; i++) {
		if (now < toxic_end(r, c, i))
			continue;
		if (c->p->toxics[i].kind == BI_TOXIC_TIMEOUT) {
			kill_conn(r, c, "timeout toxic");
		} else {
			c->reset = 1;
			kill_conn(r, c, "reset_peer toxic");
		}
	}
}

/* What the two fds of c wait for: reading while there is room, writing
 * while a write found none; nothing once a socket is through both ways. */
static void
update_interest(bi_relay *r, struct conn *c)
{
	for (int fdi = 0; fdi < 2; fdi++) {
		struct side *rd = &c->side[fdi == 0 ? UP : DOWN];	/* what this fd feeds */
		struct side *wr = &c->side[fdi == 0 ? DOWN : UP];	/* what it receives */
		uint32_t ev = 0;
		if (c->connecting) {
			watch(r, &c->h[fdi], fdi == 1 ? EPOLLOUT : 0);
			continue;
		}
		if ((rd->eof || rd->limited) && wr->done) {
			unwatch(r, &c->h[fdi]);
			continue;
		}
		if (!rd->eof && !rd->limited && room(r, rd) > 0)
			ev |= EPOLLIN;
		if (wr->blocked)
			ev |= EPOLLOUT;
		watch(r, &c->h[fdi], ev);
	}
}

/* The next moment the loop must wake for: a chunk due, a close, a toxic's
 * end, a paused port. */
static int64_t
next_deadline(bi_relay *r, int64_t now)
{
	int64_t next = now + TICK;

	for (struct conn *c = r->conns; c; c = c->next) {
		if (c->dead)
			continue;
		for (int d = 0; d < 2; d++) {
			const struct side *s = &c->side[d];
			if (s->head && !s->blocked && s->head->due != INT64_MAX) {
				int64_t t = s->head->due > s->next_send ? s->head->due : s->next_send;
				if (t < next)
					next = t;
			}
			if (s->close_at && !s->done && s->close_at < next)
				next = s->close_at;
		}
		for (int i = 0; i < c->p->ntoxics; i++) {
			int64_t t = toxic_end(r, c, i);
			if (t < next)
				next = t;
		}
	}
	for (bi_relay_port *p = r->ports; p; p = p->next)
		if (p->paused_until && p->paused_until < next)
			next = p->paused_until;
	return next;
}

/* Accept again on the ports that ran out of descriptors, once those of
 * their clients that wait for one have it. */
static void
resume_ports(bi_relay *r, int64_t now, int early)
{
	for (bi_relay_port *p = r->ports; p; p = p->next) {
		if (!p->paused_until || (now < p->paused_until && !early))
			continue;
		int err = 0;
		for (struct conn *c = r->conns; c && !err; c = c->next)
			if (c->p == p && c->waiting && !c->dead)
				err = start_upstream(r, c);
		if (err) {
			p->paused_until = now + PAUSE;
			continue;
		}
		p->paused_until = 0;
		if (!p->deleted && p->h.fd >= 0)
			watch(r, &p->h, EPOLLIN);
	}
}

static void
reap(bi_relay *r, int64_t now)
{
	int freed = 0;

	r->dying = 0;

	for (struct conn **pc = &r->conns; *pc;) {
		struct conn *c = *pc;
		if (c->side[0].done && c->side[1].done && !c->dead)
			kill_conn(r, c, NULL);
		if (c->dead) {
			for (int d = 0; d < 2; d++)
				for (struct chunk *k = c->side[d].head, *nx; k; k = nx) {
					nx = k->next;
					free_chunk(r, &c->side[d], k);
				}
			*pc = c->next;
			free(c);
			freed = 1;
		} else {
			pc = &c->next;
		}
	}
	for (bi_relay_port **pp = &r->ports; *pp;) {
		bi_relay_port *p = *pp;
		if (p->deleted) {
			*pp = p->next;
			free(p);
		} else {
			pp = &p->next;
		}
	}
	if (freed)
		resume_ports(r, now, 1);	/* descriptors came back */
	if (r->freed >= ((size_t)1 << 20) && now >= r->trim_at) {
		malloc_trim(0);
		r->freed = 0;
		r->trim_at = now + BI_NS_PER_S;
	}
}

/* Whether this turn of the loop must visit every connection and port:
 * when a toxic may act on time alone, a port waits to accept again, or
 * the relay drains. */
static int
slow_turn(const bi_relay *r)
{
	if (r->draining)
		return 1;
	for (const bi_relay_port *p = r->ports; p; p = p->next)
		if (p->ntoxics || p->paused_until || p->deleted)
			return 1;
	return 0;
}

/* One connection's share of a turn: deadlines, writes, interest. */
static void
turn_conn(bi_relay *r, struct conn *c, int64_t now)
{
	if (c->dead)
		return;
	deadlines(r, c, now);
	for (int d = 0; d < 2 && !c->dead && !c->connecting; d++)
		if (flush(r, c, d, now) != 0)
			kill_conn(r, c, "peer gone");
	if (c->dead)
		return;
	if (c->side[0].done && c->side[1].done)
		kill_conn(r, c, NULL);
	else
		update_interest(r, c);
}

/* ---- the relay ---- */

bi_relay *
bi_relay_new(void (*on_event)(void *ctx, jv rec), void *ctx)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (ep < 0 || wfd < 0) {
		if (ep >= 0)
			close(ep);
		if (wfd >= 0)
			close(wfd);
		return NULL;
	}
	bi_relay *r = bi_calloc(1, sizeof *r);
	pthread_mutex_init(&r->mu, NULL);
	r->ep = ep;
	r->wake = (struct handle){H_WAKE, wfd, NULL, 0, 0};
	r->rng = (uint64_t)bi_now_ns() | 1;
	r->event = on_event;
	r->ctx = ctx;
	watch(r, &r->wake, EPOLLIN);
	return r;
}

void
bi_relay_lock(bi_relay *r)
{
	pthread_mutex_lock(&r->mu);
}

void
bi_relay_unlock(bi_relay *r)
{
	pthread_mutex_unlock(&r->mu);
}

bi_relay_port *
bi_relay_port_new(bi_relay *r, const char *name)
{
	bi_relay_port *p = bi_calloc(1, sizeof *p);

	snprintf(p->name, sizeof p->name, "%s", name);
	p->h = (struct handle){H_LISTEN, -1, p, 0, 0};
	p->next = r->ports;
	r->ports = p;
	return p;
}

void
bi_relay_close(bi_relay *r, bi_relay_port *p, const char *why)
{
	for (struct conn *c = r->conns; c; c = c->next)
		if (c->p == p && !c->dead)
			kill_conn(r, c, why);
	close_handle(r, &p->h);
	p->paused_until = 0;
	wake(r);
}

void
bi_relay_port_free(bi_relay *r, bi_relay_port *p)
{
	bi_relay_close(r, p, "proxy deleted");
	p->deleted = 1;
}

int
bi_relay_listen(bi_relay *r, bi_relay_port *p, const struct sockaddr *sa, socklen_t len,
		char *bound, size_t bn, char *err, size_t en)
{
	struct sockaddr_storage ss;
	int one = 1;

	if (r->draining) {
		snprintf(err, en, "shutting down");
		return -1;
	}
	if (p->h.fd >= 0)
		close_handle(r, &p->h);
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		char why[96];
		snprintf(err, en, "listen: %s", fd_error(errno, why, sizeof why));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, sa, len) != 0 || listen(fd, 512) != 0) {
		char name[300];
		bi_addr_name(sa, name, sizeof name);
		snprintf(err, en, "listen %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	bi_addr_name((struct sockaddr *)&ss, bound, bn);
	p->h.fd = fd;
	p->paused_until = 0;
	watch(r, &p->h, EPOLLIN);
	wake(r);
	return 0;
}

int
bi_relay_listening(const bi_relay_port *p)
{
	return p->h.fd >= 0;
}

void
bi_relay_set_upstreams(bi_relay_port *p, const bi_relay_upstream *up, int n)
{
	if (n > BI_RELAY_MAX_UPSTREAMS)
		n = BI_RELAY_MAX_UPSTREAMS;
	for (int i = 0; i < BI_RELAY_MAX_UPSTREAMS; i++)
		if (i >= n || i >= p->nup || strcmp(p->up[i].text, up[i].text))
			p->stats.up_connections[i] = 0;	/* another upstream in that place */
	memcpy(p->up, up, (size_t)n * sizeof *up);
	p->nup = n;
	memset(p->cur, 0, sizeof p->cur);	/* new weights count from the next connection */
}

void
bi_relay_set_toxics(bi_relay *r, bi_relay_port *p, const bi_relay_toxic *t, int n)
{
	int64_t now = bi_mono_ns();

	if (n > MAX_TOXICS)
		n = MAX_TOXICS;
	for (struct conn *c = r->conns; c; c = c->next) {
		if (c->p != p || c->dead)
			continue;
		signed char was[MAX_TOXICS];
		memcpy(was, c->applies, sizeof was);
		for (int i = 0; i < n; i++) {
			c->applies[i] = 0;
			for (int j = 0; j < p->ntoxics; j++)
				if (p->toxics[j].id == t[i].id)
					c->applies[i] = was[j];
		}
	}
	memcpy(p->toxics, t, (size_t)n * sizeof *t);
	p->ntoxics = n;
	for (struct conn *c = r->conns; c; c = c->next)
		if (c->p == p && !c->dead)
			release_held(r, c, now);
	wake(r);
}

bi_relay_stats
bi_relay_port_stats(const bi_relay_port *p)
{
	return p->stats;
}

int
bi_relay_run(bi_relay *r, volatile int *stop, int64_t drain)
{
	struct epoll_event evs[256];
	int64_t drain_until = 0;

	for (;;) {
		int64_t now = bi_mono_ns();
		pthread_mutex_lock(&r->mu);
		if (*stop && !r->draining) {
			/* Draining: no new connections; those open may finish. */
			r->draining = 1;
			drain_until = now + drain;
			for (bi_relay_port *p = r->ports; p; p = p->next)
				close_handle(r, &p->h);
			emit(r, event("drain", NULL));
		}
		int live = 0;
		for (struct conn *c = r->draining ? r->conns : NULL; c; c = c->next)
			live += !c->dead;
		if (r->draining && (live == 0 || now >= drain_until)) {
			for (struct conn *c = r->conns; c; c = c->next)
				kill_conn(r, c, "shutting down");
			reap(r, now);
			pthread_mutex_unlock(&r->mu);
			return 0;
		}
		int slow = r->pending || slow_turn(r);
		int64_t next = slow ? next_deadline(r, now) : now + TICK;
		if (r->draining && drain_until < next)
			next = drain_until;
		pthread_mutex_unlock(&r->mu);
		int64_t wait = next - now;
		int ms = wait <= 0 ? 0 : (int)((wait + BI_NS_PER_MS - 1) / BI_NS_PER_MS);
		int n = epoll_wait(r->ep, evs, 256, ms);
		now = bi_mono_ns();
		pthread_mutex_lock(&r->mu);
		r->turn++;
		r->ntouched = 0;
		if (n <= 0)
			slow = 1;	/* a deadline came */
		for (int i = 0; i < n; i++) {
			struct handle *h = evs[i].data.ptr;
			uint32_t ev = evs[i].events;
			if (h->kind == H_WAKE) {
				uint64_t x;
				while (read(h->fd, &x, sizeof x) > 0)
					;
				slow = 1;	/* the API changed something */
				continue;
			}
			if (h->kind == H_LISTEN) {
				bi_relay_port *p = h->obj;
				if (!p->deleted)
					on_accept(r, p, now);
				continue;
			}
			struct conn *c = h->obj;
			int fdi = h->kind == H_CLIENT ? 0 : 1;
			if (c->dead)
				continue;
			touch(r, c);
			if (fdi == 1 && c->connecting) {
				int err = 0;
				socklen_t len = sizeof err;
				getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) {
					kill_conn(r, c, strerror(err));
					continue;
				}
				if (!(ev & EPOLLOUT))
					continue;
				c->connecting = 0;
			}
			if (ev & EPOLLOUT)
				c->side[fdi == 0 ? DOWN : UP].blocked = 0;
			if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(r, c, fdi, (ev & (EPOLLHUP | EPOLLERR)) != 0, now);
		}
		slow |= r->pending || slow_turn(r);
		r->pending = 0;
		if (slow) {
			resume_ports(r, now, 0);
			for (struct conn *c = r->conns; c; c = c->next)
				turn_conn(r, c, now);
			reap(r, now);
		} else {
			for (int i = 0; i < r->ntouched; i++)
				turn_conn(r, r->touched[i], now);
			if (r->dying)
				reap(r, now);
		}
		pthread_mutex_unlock(&r->mu);
	}
}

void
bi_relay_free(bi_relay *r)
{
	if (!r)
		return;
	for (bi_relay_port *p = r->ports; p; p = p->next) {
		close_handle(r, &p->h);
		p->deleted = 1;
	}
	for (struct conn *c = r->conns; c; c = c->next)
		kill_conn(r, c, NULL);
	reap(r, bi_mono_ns());
	close_handle(r, &r->wake);
	close(r->ep);
	free(r->touched);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
