/* engines/faultload.h: the interface of faultload.c (layer: engines). */
#ifndef BI_ENGINES_FAULTLOAD_H
#define BI_ENGINES_FAULTLOAD_H

#include <jv.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "engines/endpoint.h"
/* The light load an experiment runs while something is broken: 20 requests
 * a second over up to 50 connections (a request waits 5 s at most), by the
 * load engine in a thread of its own, straight to the app. One at a time:
 * the engine is not reentrant. */
typedef struct bi_faultload bi_faultload;

/* Load the endpoints eps[i] flagged in only (every one when NULL) that
 * weigh something, at base ("http://HOST[:PORT][/PREFIX]"), for ns; *stop
 * (a signal's flag, borrowed) ends it within a second. eps must outlive
 * the load. NULL when it cannot start, with the reason in err and *local
 * 1 when the reason is this machine's (no thread), 0 when it is the
 * input's (base is no http:// URL or does not resolve, nothing to load). */
bi_faultload *bi_faultload_start(const char *base, const bi_endpoint *eps, int neps,
				 const unsigned char *only, int64_t ns,
				 volatile sig_atomic_t *stop, char *err, size_t n, int *local);

/* End the load l (NULL: nothing to do, 0) at once when early or stopped,
 * else when its time is up, and free it. Its summary goes into *out:
 * requests, error_rate, p95_ms, timeouts. keep (when not NULL, neps + 1
 * numbers) gets each loaded endpoint's requests at its index and, last,
 * all the failed ones. 0, or -1 when the engine could not run (this
 * machine's failure: a thread), with the reason as load_error in *out. */
int bi_faultload_end(bi_faultload *l, int early, jv *out, uint64_t *keep);

#endif
