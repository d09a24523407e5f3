/* engines/relay.h: the interface of relay.c (layer: engines). */
#ifndef BI_ENGINES_RELAY_H
#define BI_ENGINES_RELAY_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* bi-proxy's data plane: ports (a listening socket, its upstreams, its
 * toxics as numbers) and the connections they accept, in one epoll loop.
 * proxy.c owns what the API shows and validates; it hands the relay only
 * what is valid. Every function but bi_relay_new, bi_relay_run and
 * bi_relay_free is called with the relay's lock held. */
typedef struct bi_relay bi_relay;
typedef struct bi_relay_port bi_relay_port;

enum { BI_RELAY_DOWN = 0, BI_RELAY_UP = 1 };	/* a direction; UP: client to upstream */
enum { BI_RELAY_MAX_TOXICS = 32, BI_RELAY_MAX_UPSTREAMS = 8 };

enum bi_toxic_kind {
	BI_TOXIC_LATENCY, BI_TOXIC_BANDWIDTH, BI_TOXIC_SLOW_CLOSE, BI_TOXIC_TIMEOUT,
	BI_TOXIC_RESET_PEER, BI_TOXIC_SLICER, BI_TOXIC_LIMIT_DATA
};

/* What a toxic does, in the loop's units. Only the fields of its kind
 * count; the caller keeps them in range (times under an hour, sizes and
 * rates finite), so that no sum of them overflows. */
typedef struct bi_relay_toxic {
	int id;			/* unique in the relay; a connection decides once per id */
	int kind;		/* enum bi_toxic_kind */
	int stream;		/* BI_RELAY_UP or BI_RELAY_DOWN */
	double toxicity;	/* 0 to 1 */
	int64_t added;		/* bi_mono_ns() when it was added */
	int64_t latency, jitter;	/* ns */
	double rate;		/* bandwidth: bytes a second, 0 none */
	int64_t delay;		/* ns: slow_close's, or the slicer's between pieces */
	int64_t timeout;	/* ns: timeout's and reset_peer's */
	size_t size, variation;	/* slicer: bytes */
	uint64_t bytes;		/* limit_data; 0 none */
} bi_relay_toxic;

typedef struct bi_relay_upstream {
	char text[272];		/* as given, for records */
	char host[256];		/* looked up again for each connection */
	int port;
	double weight;
} bi_relay_upstream;

/* Counted since the port was made: connections accepted, and bytes passed
 * on in each direction (up: to the upstream). */
typedef struct bi_relay_stats {
	uint64_t connections, bytes_up, bytes_down;
	/* connections sent to each upstream, by its index, counted since that
	 * upstream took that place */
	uint64_t up_connections[BI_RELAY_MAX_UPSTREAMS];
} bi_relay_stats;

/* on_event gets a `proxy` record (consumed) for each connection accepted
 * and closed, and for the drain; it is called with the lock held. NULL when
 * the system gives no epoll or eventfd. */
bi_relay *bi_relay_new(void (*on_event)(void *ctx, jv rec), void *ctx);
/* Close every port and connection and free it all; the loop has returned. */
void bi_relay_free(bi_relay *r);
void bi_relay_lock(bi_relay *r);
void bi_relay_unlock(bi_relay *r);

/* Run the loop until *stop, then drain: stop accepting, let open
 * connections finish for up to drain ns, then close them. Returns 0. */
int bi_relay_run(bi_relay *r, volatile int *stop, int64_t drain);

/* A new port, named for records; not listening, no upstream, no toxics. */
bi_relay_port *bi_relay_port_new(bi_relay *r, const char *name);
/* Close its listener and connections; the loop frees it later. */
void bi_relay_port_free(bi_relay *r, bi_relay_port *p);

/* Listen on sa; the address bound (with the real port) into bound. 0, or
 * -1 with the reason in err (also while the relay drains). */
int bi_relay_listen(bi_relay *r, bi_relay_port *p, const struct sockaddr *sa, socklen_t len,
		    char *bound, size_t bn, char *err, size_t en);
int bi_relay_listening(const bi_relay_port *p);
/* Stop listening and end the port's connections, giving why as their
 * reason. */
void bi_relay_close(bi_relay *r, bi_relay_port *p, const char *why);

/* Replace the upstreams (1 to BI_RELAY_MAX_UPSTREAMS, copied); connections
 * that come next pick one by smooth weighted round robin, open ones keep theirs. */
void bi_relay_set_upstreams(bi_relay_port *p, const bi_relay_upstream *up, int n);
/* Replace the toxics (0 to BI_RELAY_MAX_TOXICS, copied). A toxic whose id
 * stays keeps each connection's decision; data held by a timeout toxic
 * goes on once none holds its direction; bandwidth and slicer act on what
 * is written from now on. */
void bi_relay_set_toxics(bi_relay *r, bi_relay_port *p, const bi_relay_toxic *t, int n);
bi_relay_stats bi_relay_port_stats(const bi_relay_port *p);

#endif
