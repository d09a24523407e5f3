/*
 * load.c: the engine of bi-perf. One epoll loop per thread drives its share
 * of the connections: non-blocking connect, one request at a time on each
 * keep-alive connection (no pipelining), responses parsed as they arrive
 * (base/httpresp.c says where each one ends).
 *
 * Closed model: a connection is a virtual user that sends again as soon as it
 * has its answer. Open model: each connection has a schedule (rate/conns per
 * second, phases staggered) and latency runs from the scheduled moment, not
 * from the send: when the server stalls, the requests that should have gone
 * out meanwhile are timed as waiting too (coordinated omission corrected).
 * Each thread keeps its own numbers; the main thread gathers the last
 * second's from every thread once a second.
 *
 * Layer: engines.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "engines/load.h"

#include "base/httpresp.h"
#include "base/util.h"
#include "base/time.h"
#include "engines/hist.h"

/* ---- the engine ---- */

enum cstate { IDLE, CONNECTING, WRITING, READING };

struct conn {
	int fd;
	enum cstate state;
	int ep;			/* endpoint of the request under way */
	size_t written;
	int64_t start;		/* the latency's zero: sent, or scheduled */
	int64_t deadline;
	int64_t next;		/* when the next request may go */
	int queued;		/* in the thread's schedule */
	int active;		/* a VU that is running */
	uint32_t events;	/* what epoll watches now: skip a change to the same */
	bi_resp resp;
};

struct worker {
	const bi_load_conf *c;
	int id;
	pthread_t thread;
	int epfd;
	struct conn *conns;
	int nconns;
	struct conn **heap;	/* connections waiting for their time */
	int nheap;
	uint64_t rng;
	double weight_total;
	int64_t interval;	/* open model: between a connection's requests */
	int first;		/* open model: global index of conns[0] */
	int all;		/* open model: connections over all threads */
	volatile int vus;	/* closed model: VUs this thread should run */
	bi_load_stats total;
	bi_load_stats second;
	pthread_mutex_t mu;	/* guards second */
};

static volatile int stopping;

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int
pick(struct worker *w)
{
	const bi_load_conf *c = w->c;

	if (c->nendpoints == 1)
		return 0;
	double r = (double)(xorshift(&w->rng) >> 11) / 9007199254740992.0 * w->weight_total;
	for (int i = 0; i < c->nendpoints; i++) {
		r -= c->endpoints[i].weight;
		if (r < 0)
			return i;
	}
	return c->nendpoints - 1;
}

/* ---- the schedule: a min-heap of connections by next ---- */

static void
heap_push(struct worker *w, struct conn *k)
{
	int i = w->nheap++;
	while (i > 0) {
		int p = (i - 1) / 2;
		if (w->heap[p]->next <= k->next)
			break;
		w->heap[i] = w->heap[p];
		i = p;
	}
	w->heap[i] = k;
	k->queued = 1;
}

static struct conn *
heap_pop(struct worker *w)
{
	struct conn *top = w->heap[0], *last = w->heap[--w->nheap];
	int i = 0;

	for (;;) {
		int c = 2 * i + 1;
		if (c >= w->nheap)
			break;
		if (c + 1 < w->nheap && w->heap[c + 1]->next < w->heap[c]->next)
			c++;
		if (w->heap[c]->next >= last->next)
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (w->nheap)
		w->heap[i] = last;
	top->queued = 0;
	return top;
}

/* ---- counting ---- */

static void
count(struct worker *w, struct conn *k, int status, int err, int64_t now)
{
	bi_load_stats *s[2] = {&w->total, &w->second};

	pthread_mutex_lock(&w->mu);
	for (int i = 0; i < 2; i++) {
		s[i]->requests++;
		s[i]->by_endpoint[k->ep]++;
		if (err) {
			s[i]->failed++;
			switch (err) {
			case 1: s[i]->err_connect++; break;
			case 2: s[i]->err_read++; break;
			case 3: s[i]->err_write++; break;
			default: s[i]->err_timeout++; break;
			}
		} else {
			int cls = status / 100;
			s[i]->status[cls >= 1 && cls <= 5 ? cls : 0]++;
			if (status >= 400)
				s[i]->failed++;
			bi_hist_add(&s[i]->latency, (uint64_t)(now - k->start));
		}
	}
	pthread_mutex_unlock(&w->mu);
}

/* Bytes are only totalled (no lock: the totals are read after the join). */
static void
add_bytes(struct worker *w, uint64_t in, uint64_t out)
{
	w->total.bytes_in += in;
	w->total.bytes_out += out;
}

/* ---- connections ---- */

static void
drop(struct worker *w, struct conn *k)
{
	if (k->fd >= 0) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, k->fd, NULL);
		close(k->fd);
	}
	k->fd = -1;
	k->state = IDLE;
}

static void
watch(struct worker *w, struct conn *k, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = k};

	/* On a keep-alive connection every request wants EPOLLIN again: a
	 * system call saved per request. */
	if (k->events == events)
		return;
	k->events = events;
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, k->fd, &ev);
}

static void try_send(struct worker *w, struct conn *k, int64_t now);

/* A request is over: count it, then send the next one or wait its turn. */
static void
finish(struct worker *w, struct conn *k, int status, int err, int64_t now)
{
	count(w, k, status, err, now);
	if (err || k->resp.close)
		drop(w, k);
	else
		k->state = IDLE;
	if (!k->active || stopping)
		return;
	if (w->c->rate > 0) {
		/* The schedule does not move for a late answer: that is what
		 * keeps a stall visible. The main loop sends what is due, so
		 * catching up is iterative, not recursive. */
		heap_push(w, k);
		return;
	}
	k->next = now + (err == 1 ? 10 * BI_NS_PER_MS : w->c->think);	/* refused: do not spin */
	if (k->next <= now)
		try_send(w, k, now);
	else
		heap_push(w, k);
}

static void
write_some(struct worker *w, struct conn *k, int64_t now)
{
	const bi_load_endpoint *e = &w->c->endpoints[k->ep];

	while (k->written < e->len) {
		ssize_t n = send(k->fd, e->request + k->written, e->len - k->written, MSG_NOSIGNAL);
		if (n > 0) {
			k->written += (size_t)n;
			add_bytes(w, 0, (uint64_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			k->state = WRITING;
			watch(w, k, EPOLLOUT);
			return;
		}
		finish(w, k, 0, 3, now);
		return;
	}
	k->state = READING;
	bi_resp_init(&k->resp, e->head);
	watch(w, k, EPOLLIN);
}

static void
start_connect(struct worker *w, struct conn *k, int64_t now)
{
	const bi_load_conf *c = w->c;
	int fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		finish(w, k, 0, 1, now);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	k->fd = fd;
	k->events = EPOLLOUT;
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = k};
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
	if (connect(fd, (const struct sockaddr *)&c->addr, c->addrlen) == 0) {
		write_some(w, k, now);
		return;
	}
	if (errno != EINPROGRESS) {
		finish(w, k, 0, 1, now);
		return;
	}
	k->state = CONNECTING;
}

static void
try_send(struct worker *w, struct conn *k, int64_t now)
{
	k->ep = pick(w);
	k->written = 0;
	if (w->c->rate > 0) {
		/* Open model: latency counts from the scheduled moment. */
		k->start = k->next < now ? k->next : now;
		k->next += w->interval;
	} else {
		k->start = now;
	}
	k->deadline = now + w->c->timeout;
	if (k->fd < 0)
		start_connect(w, k, now);
	else
		write_some(w, k, now);
}

static void
on_readable(struct worker *w, struct conn *k, int64_t now)
{
	char buf[65536];

	for (;;) {
		ssize_t n = recv(k->fd, buf, sizeof buf, 0);
		if (n > 0) {
			add_bytes(w, (uint64_t)n, 0);
			long used = bi_resp_feed(&k->resp, buf, (size_t)n);
			if (used < 0) {
				finish(w, k, 0, 2, now);
				return;
			}
			if (bi_resp_done(&k->resp)) {
				finish(w, k, k->resp.status, 0, now);
				return;
			}
			if ((size_t)n < sizeof buf)
				return;	/* drained for now */
			continue;
		}
		if (n == 0) {
			/* Closed by the server: whole only for a body-to-close. */
			if (bi_resp_eof(&k->resp))
				finish(w, k, k->resp.status, 0, now);
			else
				finish(w, k, 0, 2, now);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			finish(w, k, 0, 2, now);
		return;
	}
}

static void
on_event(struct worker *w, struct conn *k, uint32_t events, int64_t now)
{
	if (k->state == CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (events & (EPOLLERR | EPOLLHUP))) {
			finish(w, k, 0, 1, now);
			return;
		}
		write_some(w, k, now);
	} else if (k->state == WRITING) {
		if (events & (EPOLLERR | EPOLLHUP))
			finish(w, k, 0, 3, now);
		else
			write_some(w, k, now);
	} else if (k->state == READING) {
		on_readable(w, k, now);
	} else if (k->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		/* An idle keep-alive connection closed by the server. */
		drop(w, k);
	}
}

/* Closed model: run exactly w->vus connections. */
static void
adjust_vus(struct worker *w, int64_t now)
{
	int want = w->vus;

	for (int i = 0; i < w->nconns; i++) {
		struct conn *k = &w->conns[i];
		if (i < want && !k->active) {
			k->active = 1;
			if (k->state == IDLE && !k->queued)
				try_send(w, k, now);
		} else if (i >= want && k->active) {
			k->active = 0;	/* ends after its request under way */
		}
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const bi_load_conf *c = w->c;
	struct epoll_event evs[256];
	int64_t now = bi_mono_ns(), last_scan = now;
	int vus_seen = -1;

	if (c->rate > 0) {
		/* Stagger the schedules over one interval, across all threads. */
		for (int i = 0; i < w->nconns; i++) {
			struct conn *k = &w->conns[i];
			k->active = 1;
			k->next = now + w->interval * (w->first + i) / w->all;
			heap_push(w, k);
		}
	}
	while (!stopping) {
		if (c->rate <= 0 && w->vus != vus_seen) {
			vus_seen = w->vus;
			adjust_vus(w, now);
		}
		int64_t wait = 100 * BI_NS_PER_MS;
		if (w->nheap > 0) {
			int64_t d = w->heap[0]->next - now;
			wait = d < 0 ? 0 : d < wait ? d : wait;
		}
		int timeout_ms = (int)((wait + BI_NS_PER_MS - 1) / BI_NS_PER_MS);
		int n = epoll_wait(w->epfd, evs, 256, timeout_ms);
		now = bi_mono_ns();
		for (int i = 0; i < n; i++)
			on_event(w, evs[i].data.ptr, evs[i].events, now);
		while (w->nheap > 0 && w->heap[0]->next <= now && !stopping) {
			struct conn *k = heap_pop(w);
			if (!k->active)
				continue;
			if (k->state == IDLE)
				try_send(w, k, now);
			/* else: still busy; finish() sends it late, timed from next */
		}
		/* Timeouts: a coarse sweep every 10 ms is precise enough. */
		if (now - last_scan >= 10 * BI_NS_PER_MS) {
			last_scan = now;
			for (int i = 0; i < w->nconns; i++) {
				struct conn *k = &w->conns[i];
				if (k->state != IDLE && now > k->deadline)
					finish(w, k, 0, 4, now);
			}
		}
	}
	for (int i = 0; i < w->nconns; i++)
		if (w->conns[i].fd >= 0)
			close(w->conns[i].fd);
	return NULL;
}

void
bi_load_stats_merge(bi_load_stats *dst, const bi_load_stats *src)
{
	bi_hist_merge(&dst->latency, &src->latency);
	dst->requests += src->requests;
	dst->failed += src->failed;
	for (int i = 0; i < 6; i++)
		dst->status[i] += src->status[i];
	dst->err_connect += src->err_connect;
	dst->err_read += src->err_read;
	dst->err_write += src->err_write;
	dst->err_timeout += src->err_timeout;
	dst->bytes_in += src->bytes_in;
	dst->bytes_out += src->bytes_out;
	for (int i = 0; i < BI_LOAD_MAX_ENDPOINTS; i++)
		dst->by_endpoint[i] += src->by_endpoint[i];
}

/* VUs wanted at time t (ns since the start) by the stages. */
static int
vus_at(const bi_load_conf *c, int64_t t)
{
	int64_t at = 0;
	int from = 0;

	for (int i = 0; i < c->nstages; i++) {
		const bi_load_stage *s = &c->stages[i];
		if (t < at + s->duration) {
			double f = s->duration ? (double)(t - at) / (double)s->duration : 1;
			return (int)lround(from + (s->target - from) * f);
		}
		at += s->duration;
		from = s->target;
	}
	return from;
}

int
bi_load_run(const bi_load_conf *c, bi_load_tick tick, void *ctx, bi_load_stats *total,
	    char *err, size_t errlen)
{
	int T = c->threads > 0 ? c->threads : 1;
	int maxvus = c->connections;
	int64_t duration = c->duration;

	if (c->nendpoints < 1 || c->nendpoints > BI_LOAD_MAX_ENDPOINTS) {
		snprintf(err, errlen, "between 1 and %d endpoints, please", BI_LOAD_MAX_ENDPOINTS);
		return -1;
	}
	if (c->rate <= 0 && c->nstages > 0) {
		duration = 0;
		maxvus = 0;
		for (int i = 0; i < c->nstages; i++) {
			duration += c->stages[i].duration;
			if (c->stages[i].target > maxvus)
				maxvus = c->stages[i].target;
		}
	}
	if (maxvus < 1)
		maxvus = 1;
	if (T > maxvus)
		T = maxvus;
	struct worker *ws = bi_calloc((size_t)T, sizeof *ws);
	double wt = 0;
	for (int i = 0; i < c->nendpoints; i++)
		wt += c->endpoints[i].weight;
	stopping = 0;
	for (int t = 0; t < T; t++) {
		struct worker *w = &ws[t];
		w->c = c;
		w->id = t;
		w->nconns = maxvus / T + (t < maxvus % T);
		w->conns = bi_calloc((size_t)w->nconns, sizeof *w->conns);
		w->heap = bi_calloc((size_t)w->nconns, sizeof *w->heap);
		for (int i = 0; i < w->nconns; i++)
			w->conns[i].fd = -1;
		w->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(t + 1) ^ (uint64_t)bi_now_ns();
		w->weight_total = wt;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->all = maxvus;
		w->first = t == 0 ? 0 : ws[t - 1].first + ws[t - 1].nconns;
		if (c->rate > 0)
			w->interval = (int64_t)((double)BI_NS_PER_S * maxvus / c->rate);
		pthread_mutex_init(&w->mu, NULL);
		w->vus = c->rate > 0 ? w->nconns : 0;
	}

	int64_t t0 = bi_mono_ns();
	int last_vus = 0;
	/* The VUs at the start, before the threads run. */
	if (c->rate <= 0) {
		int v = c->nstages ? vus_at(c, 0) : maxvus;
		for (int t = 0; t < T; t++)
			ws[t].vus = v / T + (t < v % T);
		last_vus = v;
	}
	for (int t = 0; t < T; t++) {
		if (pthread_create(&ws[t].thread, NULL, worker_main, &ws[t]) != 0) {
			snprintf(err, errlen, "cannot start a thread: %s", strerror(errno));
			stopping = 1;
			for (int j = 0; j < t; j++)
				pthread_join(ws[j].thread, NULL);
			return -1;
		}
	}

	static bi_load_stats sec;
	int second = 0;
	for (;;) {
		int64_t now = bi_mono_ns(), el = now - t0;
		int ended = el >= duration || (c->stop && *c->stop);
		/* Ramp: the stages' VUs, ten times a second. */
		if (c->rate <= 0 && c->nstages) {
			int v = vus_at(c, el);
			if (v != last_vus) {
				for (int t = 0; t < T; t++)
					ws[t].vus = v / T + (t < v % T);
				last_vus = v;
			}
		}
		if (ended || el >= (int64_t)(second + 1) * BI_NS_PER_S) {
			memset(&sec, 0, sizeof sec);
			for (int t = 0; t < T; t++) {
				pthread_mutex_lock(&ws[t].mu);
				bi_load_stats_merge(&sec, &ws[t].second);
				memset(&ws[t].second, 0, sizeof ws[t].second);
				pthread_mutex_unlock(&ws[t].mu);
			}
			if (!ended || sec.requests)
				tick(ctx, second + 1, c->rate > 0 ? maxvus : last_vus, &sec);
			second++;
		}
		if (ended)
			break;
		int64_t next = t0 + (int64_t)(second + 1) * BI_NS_PER_S;
		int64_t nap = next - bi_mono_ns();
		if (nap > 100 * BI_NS_PER_MS)
			nap = 100 * BI_NS_PER_MS;
		if (nap > duration - (bi_mono_ns() - t0))
			nap = duration - (bi_mono_ns() - t0);
		if (nap > 0)
			usleep((useconds_t)(nap / 1000));
	}
	stopping = 1;
	memset(total, 0, sizeof *total);
	for (int t = 0; t < T; t++) {
		pthread_join(ws[t].thread, NULL);
		bi_load_stats_merge(total, &ws[t].total);
		close(ws[t].epfd);
		free(ws[t].conns);
		free(ws[t].heap);
		pthread_mutex_destroy(&ws[t].mu);
	}
	free(ws);
	return 0;
}
