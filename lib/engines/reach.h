/* engines/reach.h: the interface of reach.c (layer: engines). */
#ifndef BI_ENGINES_REACH_H
#define BI_ENGINES_REACH_H

#include <jv.h>
#include <signal.h>

#include "sources/docker.h"
#include "engines/endpoint.h"
/* The project's chaos-proxy, as the experiments read it: where its API is,
 * its proxies, and which of the load's endpoints reach which of them. */

/* The API of the chaos-proxy container cid on the host
 * ("http://127.0.0.1:PORT", from its published 8474/tcp), a string the
 * caller frees; NULL when it publishes none or cannot be inspected. */
char *bi_reach_api(bi_docker *d, const char *cid);

/* The names of its proxies, sorted; an empty array when it does not say. */
jv bi_reach_proxies(const char *api);

/* 1 when names (an array, borrowed) holds the string name. */
int bi_reach_has(jv names, const char *name);

/* Which proxies of the chaos-proxy (API api, container cid) each endpoint's
 * requests to base go through: {endpoint name: [proxy, ...]}, from a few
 * requests to each, one endpoint at a time: by its traffic counters, or,
 * from a bi-proxy older than those, by the connections it logged meanwhile
 * (read through d). Invalid when neither can be read. *stop (a signal's
 * flag) cuts it short; what was seen so far is returned. */
jv bi_reach(bi_docker *d, const char *api, const char *cid, const char *base,
	    const bi_endpoint *eps, int neps, volatile sig_atomic_t *stop);

/* Flag (flags: neps bytes) the endpoints that reach (as bi_reach says,
 * borrowed) through proxy, or through any proxy when NULL; how many do. */
int bi_reach_flags(jv reach, const bi_endpoint *eps, int neps, const char *proxy,
		   unsigned char *flags);

#endif
