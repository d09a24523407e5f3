/* engines/endpoint.h: the interface of endpoint.c (layer: engines). */
#ifndef BI_ENGINES_ENDPOINT_H
#define BI_ENGINES_ENDPOINT_H

#include <jv.h>
#include <stddef.h>

/* One endpoint of a load, as a bi-perf scenario gives it (or bi-perf's
 * command line): what to send, and how often against the others. */
typedef struct bi_endpoint {
	char *name, *method, *path;
	char *body;		/* NULL: none */
	char **headers;		/* "Name: value" */
	int nheaders;
	double weight;
} bi_endpoint;

/* The endpoints of a bi-perf scenario (sc, borrowed: its "endpoints" list;
 * every other key is the caller's), named in messages as path: into *eps
 * (the caller's, freed with bi_endpoints_free) and *n. Each one's method
 * defaults to GET, its name to its path, its weight to 1; a body that is
 * not a string is sent as its JSON; headers is a mapping. No list, or an
 * empty one, is 0 endpoints. 0, or -1 with the reason in err (nothing
 * kept): an endpoint without a path starting with /, a negative weight,
 * more than BI_LOAD_MAX_ENDPOINTS, weights that add up to nothing. */
int bi_endpoints_from(jv sc, const char *path, bi_endpoint **eps, int *n, char *err, size_t errn);

/* The same from the scenario file at path (YAML, or JSON); -1 too when it
 * cannot be read or parsed, with the reason. */
int bi_endpoints_read(const char *path, bi_endpoint **eps, int *n, char *err, size_t errn);

void bi_endpoints_free(bi_endpoint *eps, int n);

/* The whole HTTP/1.1 request for e, as the load engine sends it: the
 * request line with prefix (the base URL's path, "" for none) before e's
 * path, Host: hostport, User-Agent: agent, e's headers, and its body with
 * its Content-Length (and Content-Type: application/json unless e has one).
 * A string the caller frees; it cannot fail. */
char *bi_endpoint_request(const bi_endpoint *e, const char *prefix, const char *hostport,
			  const char *agent);

/* One request of e to base ("http://HOST:PORT"), through libcurl, waiting
 * at most timeout_ms to connect and as long for the answer: its status, 0
 * when nothing answered; *ms (when not NULL) gets how long it took. */
int bi_endpoint_call(const char *base, const bi_endpoint *e, long timeout_ms, double *ms);

#endif
