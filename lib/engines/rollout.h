/* engines/rollout.h: the interface of rollout.c (layer: engines). */
#ifndef BI_ENGINES_ROLLOUT_H
#define BI_ENGINES_ROLLOUT_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/docker.h"

/* A canary of a compose service on Docker: the stable container, the
 * canary container beside it, and the canary proxy (bi-proxy) in front of
 * both. The caller owns it; nothing here exits. Every function returns 0,
 * or -1 with the reason in err (n bytes). */
typedef struct bi_rollout {
	bi_docker *d;			/* borrowed */
	char project[128], service[128];
	char net[256];			/* the stable container's network */
	int port;			/* the service's port inside its containers */
	char health[256];		/* its health path ("/health") */
	jv stable;			/* the stable container, as inspected */
	char stable_id[80], stable_image[512];
	char canary_id[80], proxy_id[80];
	int stable_port, canary_port;	/* their ports on 127.0.0.1 */
	int api_port, entry_port;	/* the proxy's API and listener on 127.0.0.1 */
	int weight;			/* percent to the canary, as last set */
	const volatile int *stop;	/* when set, waits end early */
} bi_rollout;

/* The labels every container of a rollout carries:
 * org.blissful-infra.canary=PROJECT/SERVICE and org.blissful-infra.role
 * (canary or proxy). */
#define BI_ROLLOUT_LABEL "org.blissful-infra.canary"
#define BI_ROLLOUT_ROLE "org.blissful-infra.role"

/* Find the running stable container of project/service through d, its
 * network, its port (port when > 0, else the first it exposes) and the one
 * it publishes on 127.0.0.1. r is reset first; free with bi_rollout_free. */
int bi_rollout_find(bi_rollout *r, bi_docker *d, const char *project, const char *service,
		    int port, const char *health, char *err, size_t n);
void bi_rollout_free(bi_rollout *r);

/* The body of POST /containers/create for the canary: image, the stable's
 * environment with env (n "K=V", a K given replaces the stable's), its
 * memory limit, its network under the name SERVICE-canary, the port
 * published on 127.0.0.1, the labels. */
jv bi_rollout_canary_body(const bi_rollout *r, const char *image, char *const *env, int nenv);
/* ... and for the stable container made again from image: the stable's
 * own settings, labels, networks (aliases but its old short id) and ports. */
jv bi_rollout_stable_body(const bi_rollout *r, const char *image);
/* ... and the body of POST /proxies/SERVICE for weight % to the canary. */
jv bi_rollout_weight_body(const bi_rollout *r, int weight);

/* The canary proxy: the running one of this service, else a new bi-proxy
 * container (image blissful-infra/bi-proxy:latest) on the network,
 * listening on listen of 127.0.0.1 (0: any port), with its API published
 * on 127.0.0.1; waits until the API answers. */
int bi_rollout_proxy(bi_rollout *r, int listen, char *err, size_t n);

/* Run the canary container from image; its published port into
 * r->canary_port. Does not wait for its health (bi_rollout_wait). */
int bi_rollout_canary(bi_rollout *r, const char *image, char *const *env, int nenv,
		      char *err, size_t n);

/* Send weight % of new connections to the canary (0: stable alone, 100:
 * the canary alone), tried a few times. */
int bi_rollout_weight(bi_rollout *r, int weight, char *err, size_t n);

/* Tag image as the stable's image, and make the stable container again
 * from it; once healthy the old one is removed. When it fails, the old
 * container is started again, the tag put back on its image, and the error
 * returned. */
int bi_rollout_replace(bi_rollout *r, const char *image, char *err, size_t n);

/* Remove a container (force); nothing when id is empty. */
int bi_rollout_remove(bi_rollout *r, const char *id, char *err, size_t n);

/* Wait at most ns for GET path on 127.0.0.1:port to answer 2xx. */
int bi_rollout_wait(const bi_rollout *r, int port, const char *path, int64_t ns);

/* Remove every container of project/service's rollouts (the proxy too). */
int bi_rollout_clean(bi_docker *d, const char *project, const char *service, char *err, size_t n);

#endif
