/*
 * test-merge: records from several threads come out in time order once
 * every producer is done; past the cap, the oldest leaves at once (memory
 * bounded); a live record waits for the window, an old one does not; -1 at
 * the end.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "sources/merge.h"
#include "tap.h"

struct producer {
	bi_merge *m;
	int64_t base;	/* now: records of a live stream */
	int first, step, n;
};

/* Times first, first + step, ...: interleaved between the producers. */
static void *
produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < p->n; i++) {
		int64_t t = p->base + (int64_t)(p->first + i * p->step) * BI_NS_PER_MS;
		bi_merge_put(p->m, t, jv_number(p->first + i * p->step));
	}
	bi_merge_producer(p->m, -1);
	return NULL;
}

static jv
rec_at(const char *ts)
{
	return jv_parse_sized(ts, (int)strlen(ts));
}

struct flood {
	bi_merge *m;
	int put;
};

static void *
flood(void *arg)
{
	struct flood *f = arg;
	for (int i = 0; i < 100; i++) {
		bi_merge_put(f->m, i, jv_number(i));
		__atomic_add_fetch(&f->put, 1, __ATOMIC_SEQ_CST);
	}
	bi_merge_producer(f->m, -1);
	return NULL;
}

int
main(void)
{
	plan(13);
	bi_init("test-merge");

	/* Three threads, 300 records each, in one big window: all in order. */
	int64_t now = bi_now_ns();
	bi_merge *m = bi_merge_new(100000, 3600 * BI_NS_PER_S);
	struct producer ps[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		ps[i] = (struct producer){m, now, i + 1, 3, 300};
		bi_merge_producer(m, 1);
		pthread_create(&t[i], NULL, produce, &ps[i]);
	}
	int n = 0, sorted = 1, r;
	double last = 0;
	jv rec;
	while ((r = bi_merge_take(m, &rec, 100 * BI_NS_PER_MS)) >= 0) {
		if (r == 0)
			continue;
		double v = jv_number_value(rec);
		sorted &= v >= last;
		last = v;
		n++;
		jv_free(rec);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	is_num(n, 900, "every record of three threads comes out");
	ok(sorted && last == 900, "in time order");
	bi_merge_free(m);

	/* A cap of 4: the fifth record pushes the oldest out at once. */
	m = bi_merge_new(4, 3600 * BI_NS_PER_S);
	bi_merge_producer(m, 1);
	for (int i = 5; i >= 1; i--)
		bi_merge_put(m, now + (int64_t)i * BI_NS_PER_S, jv_number(i));
	r = bi_merge_take(m, &rec, 0);
	ok(r == 1 && jv_number_value(rec) == 1, "past the cap the oldest leaves at once, before the window");
	jv_free(rec);
	r = bi_merge_take(m, &rec, 10 * BI_NS_PER_MS);
	is_num(r, 0, "the rest wait for their window while a producer is live");
	bi_merge_producer(m, -1);
	n = 0;
	while (bi_merge_take(m, &rec, 0) == 1) {
		n++;
		jv_free(rec);
	}
	is_num(n, 4, "the producer done: the rest come out");
	is_num(bi_merge_take(m, &rec, 0), -1, "then -1: nothing left, nobody producing");
	bi_merge_free(m);

	/* A live stream with a 50 ms window: a record of now comes out once it
	 * is 50 ms old, not before. */
	m = bi_merge_new(100, 50 * BI_NS_PER_MS);
	bi_merge_producer(m, 1);
	bi_merge_put(m, bi_now_ns(), jv_number(1));
	int64_t t0 = bi_mono_ns();
	r = bi_merge_take(m, &rec, 2 * BI_NS_PER_S);
	int64_t waited = bi_mono_ns() - t0;
	ok(r == 1 && waited >= 40 * BI_NS_PER_MS, "a live record waits for the window (%lld ms)",
	   (long long)(waited / BI_NS_PER_MS));
	jv_free(rec);
	bi_merge_put(m, BI_NS_PER_S, jv_number(2));	/* 1970: long past its window */
	r = bi_merge_take(m, &rec, 0);
	ok(r == 1 && jv_number_value(rec) == 2, "a record older than the window comes out at once");
	jv_free(rec);
	bi_merge_producer(m, -1);
	bi_merge_free(m);

	/* A consumer behind: a producer waits once twice the cap are waiting,
	 * and goes on as records are taken; nothing is lost. */
	m = bi_merge_new(4, -1);
	bi_merge_producer(m, 1);
	struct flood fl = {m, 0};
	pthread_t ft;
	pthread_create(&ft, NULL, flood, &fl);
	usleep(200 * 1000);
	ok(__atomic_load_n(&fl.put, __ATOMIC_SEQ_CST) == 8, "the producer waits at twice the cap (%d put)",
	   __atomic_load_n(&fl.put, __ATOMIC_SEQ_CST));
	int got = 0;
	while ((r = bi_merge_take(m, &rec, BI_NS_PER_S)) != -1) {
		if (r == 1) {
			got++;
			jv_free(rec);
		}
	}
	pthread_join(ft, NULL);
	is_num(got, 100, "and every record comes out once it can go on");
	bi_merge_put_nowait(m, 1, jv_number(1));
	ok(1, "put_nowait never waits, even past the cap");
	bi_merge_free(m);

	/* bi_record_ts: RFC 3339 in "ts"; 0 without one. */
	jv a = rec_at("{\"ts\":\"2026-11-26T00:00:01.5Z\"}"), b = rec_at("{\"msg\":\"x\"}");
	is_num((double)bi_record_ts(a), 1795651201.5e9, "bi_record_ts: the ts, in ns");
	is_num((double)bi_record_ts(b), 0, "bi_record_ts: 0 without one");
	jv_free(a);
	jv_free(b);
	return done();
}
