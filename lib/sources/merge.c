/*
 * merge.c: records from many threads, out in time order within a window.
 * A binary heap on (time, arrival) under one mutex; a condition variable
 * wakes the consumer when a record arrives or a producer finishes, and
 * another wakes producers held back while the consumer is behind.
 *
 * Layer: sources.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "sources/merge.h"

#include "base/util.h"
#include "base/time.h"

struct item {
	int64_t ts;
	uint64_t seq;
	jv rec;
};

struct bi_merge {
	pthread_mutex_t mu;
	pthread_cond_t cv, room;
	struct item *heap;
	size_t n, cap, limit;
	uint64_t seq;
	int64_t window;
	int producers;
	int started;
};

bi_merge *
bi_merge_new(size_t cap, int64_t window_ns)
{
	bi_merge *m = bi_calloc(1, sizeof *m);
	pthread_condattr_t ca;

	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_cond_init(&m->room, &ca);
	pthread_condattr_destroy(&ca);
	m->limit = cap ? cap : 1;
	m->window = window_ns;
	return m;
}

void
bi_merge_free(bi_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		jv_free(m->heap[i].rec);
	free(m->heap);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	pthread_cond_destroy(&m->room);
	free(m);
}

static int
less(const struct item *a, const struct item *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void
push(bi_merge *m, struct item it)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->heap = bi_realloc(m->heap, m->cap * sizeof *m->heap);
	}
	size_t i = m->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!less(&it, &m->heap[p]))
			break;
		m->heap[i] = m->heap[p];
		i = p;
	}
	m->heap[i] = it;
}

static struct item
pop(bi_merge *m)
{
	struct item top = m->heap[0], last = m->heap[--m->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= m->n)
			break;
		if (c + 1 < m->n && less(&m->heap[c + 1], &m->heap[c]))
			c++;
		if (!less(&m->heap[c], &last))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (m->n)
		m->heap[i] = last;
	return top;
}

static void
put(bi_merge *m, int64_t ts, jv rec, int wait)
{
	pthread_mutex_lock(&m->mu);
	/* The consumer is behind (twice the cap wait): hold the producer
	 * back, so that memory stays bounded and the source slows down. */
	while (wait && m->n >= 2 * m->limit)
		pthread_cond_wait(&m->room, &m->mu);
	push(m, (struct item){ts, m->seq++, rec});
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

void
bi_merge_put(bi_merge *m, int64_t ts, jv rec)
{
	put(m, ts, rec, 1);
}

void
bi_merge_put_nowait(bi_merge *m, int64_t ts, jv rec)
{
	put(m, ts, rec, 0);
}

void
bi_merge_producer(bi_merge *m, int delta)
{
	pthread_mutex_lock(&m->mu);
	m->producers += delta;
	m->started = 1;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

/* Is the oldest record due: all producers done, too many waiting, or older
 * than the window? */
static int
due(bi_merge *m)
{
	if (m->n == 0)
		return 0;
	if (m->producers == 0 || m->n > m->limit)
		return 1;
	return m->window >= 0 && m->heap[0].ts < bi_now_ns() - m->window;
}

int
bi_merge_take(bi_merge *m, jv *rec, int64_t wait_ns)
{
	struct timespec until;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ns / BI_NS_PER_S;
	until.tv_nsec += wait_ns % BI_NS_PER_S;
	if (until.tv_nsec >= BI_NS_PER_S) {
		until.tv_sec++;
		until.tv_nsec -= BI_NS_PER_S;
	}
	pthread_mutex_lock(&m->mu);
	while (!due(m) && !(m->started && m->producers == 0 && m->n == 0)) {
		if (pthread_cond_timedwait(&m->cv, &m->mu, &until) != 0)
			break;
	}
	if (due(m)) {
		*rec = pop(m).rec;
		r = 1;
		if (m->n < 2 * m->limit)
			pthread_cond_broadcast(&m->room);
	} else {
		r = m->started && m->producers == 0 && m->n == 0 ? -1 : 0;
	}
	pthread_mutex_unlock(&m->mu);
	return r;
}

