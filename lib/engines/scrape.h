/* engines/scrape.h: the interface of scrape.c (layer: engines). */
#ifndef BI_ENGINES_SCRAPE_H
#define BI_ENGINES_SCRAPE_H

#include <jv.h>
#include <signal.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "base/http.h"
#include "engines/prom.h"
#include "engines/metrics.h"

/* A Prometheus endpoint scraped, and what the run remembers of it. */
typedef struct bi_scrape_target {
	char *service, *url;
	int down;		/* its last scrape failed (a health record said so) */
	char *bad_why;		/* the malformed lines last reported: their first reason */
	bi_http_resp resp;	/* this round's answer */
	int answered;		/* a transfer completed (resp holds it) */
	double ms;		/* how long it took */
} bi_scrape_target;

/* One scraping run: rounds that fetch every target (and, with docker, the
 * stats of the project's containers), keep the samples in hist, derive the
 * figures over the window and judge the alerts, in one short transaction
 * per round that only writes (the network is asked before it begins). The
 * caller fills in the options; the rest is the run's own state, zero to
 * begin with, freed by bi_scrape_free. */
typedef struct bi_scrape {
	sqlite3 *db;		/* borrowed: hist's database, whose transactions we own */
	bi_metrics *hist;	/* borrowed */
	jv cfg;			/* borrowed: name (the compose project), alerts, metrics.retention */
	int64_t interval;	/* ns from a round's start to the next's; 0: one round */
	long count;		/* rounds; 0: one, or with interval until stopped */
	int64_t window_ms;	/* the figures' window */
	const char *only;	/* derive for this service only (NULL: every one) */
	int raw;		/* write every sample, not the derived figures */
	int docker;		/* container stats too */
	volatile sig_atomic_t *stop;	/* set (by a signal): no round begins, the wait ends */
	/* A round's records, once its transaction is committed (a reader slow
	 * to take them must not keep the database locked), each consumed; then
	 * round_done, once the retention has run. */
	void (*out)(void *ctx, jv rec);
	void (*round_done)(void *ctx);
	void *ctx;
	/* The run's. */
	bi_scrape_target *targets;
	int ntargets;
	int answered;		/* scrapes that got samples, over the run */
	int fired;		/* alerts that fired, over the run */
	int local;		/* with bi_scrape_run's -1: the database failed (else the
				 * configuration is wrong) */
	jv held;
	jv dk_list;		/* this round's containers, and their stats */
	struct bi_scrape_stats *dk_stats;
	int dk_n;
} bi_scrape;

/* Add a target: a URL, or NAME=URL (no NAME: the URL's host and port name
 * it). 0, or -1 with "not a URL: ..." in err. */
int bi_scrape_add(bi_scrape *s, const char *arg, char *err, size_t n);

/* Add cfg's services with a port and a metrics path, at 127.0.0.1 (the
 * app's port moved by $APP_PORT, as in compose). */
void bi_scrape_discover(bi_scrape *s);

/* Run the rounds (s->count, or until *s->stop). 0, or -1 with the reason in
 * err ("database: ..." with s->local set, or the retention's complaint about
 * cfg); the round's records already given to out stay given. */
int bi_scrape_run(bi_scrape *s, char *err, size_t n);

void bi_scrape_free(bi_scrape *s);

/* A derived figure of service at end (ms), over window (ms), as a `metric`
 * record (labels {window: "1m"}, value rounded to 1e-6, type gauge). */
jv bi_scrape_figure_record(const char *service, const bi_metrics_figure *f, int64_t end,
			   int64_t window);

/* A sample as a `metric` record of service (NULL: none named) at ts (ms);
 * the values JSON has no number for ("NaN", "+Inf", "-Inf") as strings. */
jv bi_scrape_sample_record(const char *service, const bi_prom_sample *s, int64_t ts);

#endif
