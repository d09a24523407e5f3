/* engines/proxy.h: the interface of proxy.c (layer: engines). */
#ifndef BI_ENGINES_PROXY_H
#define BI_ENGINES_PROXY_H

#include <jv.h>
#include <stdint.h>

/* bi-proxy's engine: TCP proxies with toxics, as toxiproxy's API describes
 * them (proxy.c), over the data plane that moves the bytes (relay.c). The
 * functions below are the API's verbs; each is safe to call from another
 * thread than the loop's. Bodies are consumed; results are the API's JSON
 * (a proxy with its "stats": connections, bytes_upstream,
 * bytes_downstream), or jv_invalid_with_msg with *status set: 400 (a body
 * out of range or malformed: nothing changed), 403 (a listener beyond
 * loopback, not allowed), 404, 409. */
typedef struct bi_proxy_engine bi_proxy_engine;

/* on_event gets a `proxy` record for each connection, toxic and proxy change
 * (called under the engine's lock). NULL when the system gives no epoll. */
bi_proxy_engine *bi_proxy_new(void (*on_event)(void *ctx, jv rec), void *ctx);
void bi_proxy_free(bi_proxy_engine *e);
/* Whether create and update may listen beyond loopback (127.0.0.0/8, ::1);
 * off at first. */
void bi_proxy_allow_remote(bi_proxy_engine *e, int allow);
/* Run the loop until *stop, then drain: stop accepting, let open connections
 * finish for up to drain ns, then close them. */
int bi_proxy_run(bi_proxy_engine *e, volatile int *stop, int64_t drain);

jv bi_proxy_list(bi_proxy_engine *e);			/* {name: proxy} */
jv bi_proxy_create(bi_proxy_engine *e, jv body, int *status);	/* 201 */
jv bi_proxy_get(bi_proxy_engine *e, const char *name, int *status);
jv bi_proxy_update(bi_proxy_engine *e, const char *name, jv body, int *status);
int bi_proxy_delete(bi_proxy_engine *e, const char *name);	/* 204 or 404 */
jv bi_proxy_toxics(bi_proxy_engine *e, const char *proxy, const char *toxic, int *status);
jv bi_proxy_add_toxic(bi_proxy_engine *e, const char *proxy, jv body, int *status);
jv bi_proxy_update_toxic(bi_proxy_engine *e, const char *proxy, const char *toxic, jv body,
			 int *status);
int bi_proxy_delete_toxic(bi_proxy_engine *e, const char *proxy, const char *toxic);
void bi_proxy_reset(bi_proxy_engine *e);	/* all enabled, no toxics */
void bi_proxy_lock(bi_proxy_engine *e);
void bi_proxy_unlock(bi_proxy_engine *e);

#endif
