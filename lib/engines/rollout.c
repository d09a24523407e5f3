/*
 * rollout.c: the Docker side of a canary. The canary container runs the
 * new image beside the stable container of a compose service: same
 * network, same environment (with the caller's overrides), reachable there
 * as SERVICE-canary. The canary proxy, a bi-proxy container on that network,
 * listens on 127.0.0.1 and spreads new connections over SERVICE and
 * SERVICE-canary by weight (its upstreams are looked up again for each
 * connection, so a container made again under the same name is found).
 * Promotion makes the stable container again from the canary's image with
 * the settings compose gave it (name, labels, networks, ports), which is
 * what `docker compose up` does when an image changed; while it is made
 * the caller has the proxy send everything to the canary.
 *
 * Layer: engines.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engines/rollout.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"
#include "base/http.h"
#include "sources/docker.h"

#define SEC ((int64_t)1000000000)
#define PROXY_IMAGE "blissful-infra/bi-proxy:latest"

static jv
labels(const bi_rollout *r, const char *role)
{
	char v[300];
	snprintf(v, sizeof v, "%s/%s", r->project, r->service);
	return bi_set(bi_set(jv_object(), BI_ROLLOUT_LABEL, jv_string(v)), BI_ROLLOUT_ROLE, jv_string(role));
}

static jv
port_binding(int port, int host)
{
	char k[32], h[16];
	snprintf(k, sizeof k, "%d/tcp", port);
	snprintf(h, sizeof h, "%d", host);
	jv b = bi_set(jv_object(), "HostIp", jv_string("127.0.0.1"));
	b = bi_set(b, "HostPort", jv_string(host > 0 ? h : ""));
	return bi_set(jv_object(), k, jv_array_append(jv_array(), b));
}

/* The port on 127.0.0.1 that Docker published for port/tcp of container id. */
static int
host_port(bi_rollout *r, const char *id, int port)
{
	char key[80];
	jv ins = bi_docker_inspect(r->d, id);
	snprintf(key, sizeof key, "NetworkSettings.Ports.%d/tcp.0.HostPort", port);
	int hp = jv_is_valid(ins) ? atoi(bi_jv_path_str(ins, key, "0")) : 0;
	jv_free(ins);
	return hp;
}

/* Create and start a container from body (consumed) under name. */
static int
run(bi_rollout *r, const char *name, jv body, char *id, size_t idn, char *err, size_t n)
{
	jv out = jv_null();
	char path[512];
	jv text = jv_dump_string(body, 0);
	*id = 0;
	snprintf(path, sizeof path, "/containers/create?name=%s", name);
	long st = bi_docker_call(r->d, "POST", path, jv_string_value(text), &out);
	jv_free(text);
	if (st != 201) {
		bi_errf(err, n, "create %s: %s", name,
			st < 0 ? bi_docker_error(r->d) : bi_get_text(out, "message", "refused"));
		jv_free(out);
		return -1;
	}
	snprintf(id, idn, "%s", bi_get_text(out, "Id", ""));
	jv_free(out);
	if (bi_docker_action(r->d, id, "start", NULL) != 0)
		return bi_errf(err, n, "start %s: %s", name, bi_docker_error(r->d));
	return 0;
}

int
bi_rollout_find(bi_rollout *r, bi_docker *d, const char *project, const char *service,
		int port, const char *health, char *err, size_t n)
{
	*r = (bi_rollout){.d = d, .stable = jv_null()};
	snprintf(r->project, sizeof r->project, "%s", project);
	snprintf(r->service, sizeof r->service, "%s", service);
	snprintf(r->health, sizeof r->health, "%s", health ? health : "/health");
	jv found = bi_docker_containers(d, project, service, 0);
	if (!jv_is_valid(found)) {
		jv_free(found);
		return bi_errf(err, n, "list containers: %s", bi_docker_error(d));
	}
	if (jv_array_length(jv_copy(found)) == 0) {
		jv_free(found);
		return bi_errf(err, n, "no running container of service %s in project %s", service, project);
	}
	snprintf(r->stable_id, sizeof r->stable_id, "%s", bi_jv_path_str(found, "0.Id", ""));
	jv_free(found);
	r->stable = bi_docker_inspect(d, r->stable_id);
	if (!jv_is_valid(r->stable)) {
		jv_free(r->stable);
		r->stable = jv_null();
		return bi_errf(err, n, "inspect %.12s: %s", r->stable_id, bi_docker_error(d));
	}
	snprintf(r->stable_image, sizeof r->stable_image, "%s", bi_jv_path_str(r->stable, "Config.Image", ""));
	jv nets = bi_jv_path(r->stable, "NetworkSettings.Networks");
	jv keys = jv_get_kind(nets) == JV_KIND_OBJECT ? jv_keys(nets) : (jv_free(nets), jv_array());
	snprintf(r->net, sizeof r->net, "%s", bi_jv_path_str(keys, "0", ""));
	jv_free(keys);
	if (!*r->net)
		return bi_errf(err, n, "the container of %s is on no network", service);
	r->port = port;
	if (r->port <= 0) {
		jv ex = bi_jv_path(r->stable, "Config.ExposedPorts");
		jv ks = jv_get_kind(ex) == JV_KIND_OBJECT ? jv_keys(ex) : (jv_free(ex), jv_array());
		r->port = atoi(bi_jv_path_str(ks, "0", "0"));
		jv_free(ks);
	}
	if (r->port <= 0)
		return bi_errf(err, n, "no port known for service %s", service);
	r->stable_port = host_port(r, r->stable_id, r->port);
	if (!r->stable_port)
		return bi_errf(err, n, "service %s publishes no port %d on 127.0.0.1", service, r->port);
	return 0;
}

void
bi_rollout_free(bi_rollout *r)
{
	jv_free(r->stable);
	r->stable = jv_null();
}

jv
bi_rollout_canary_body(const bi_rollout *r, const char *image, char *const *env, int nenv)
{
	char alias[300], exposed[32];
	jv envs = bi_jv_path(r->stable, "Config.Env"), merged = jv_array();
	if (jv_get_kind(envs) == JV_KIND_ARRAY) {
		jv_array_foreach(envs, i, e) {
			int drop = jv_get_kind(e) != JV_KIND_STRING;
			for (int k = 0; k < nenv && !drop; k++)
				if (!strncmp(jv_string_value(e), env[k], strcspn(env[k], "=") + 1))
					drop = 1;
			if (drop)
				jv_free(e);
			else
				merged = jv_array_append(merged, e);
			(void)i;
		}
	}
	jv_free(envs);
	for (int k = 0; k < nenv; k++)
		merged = jv_array_append(merged, jv_string(env[k]));
	snprintf(alias, sizeof alias, "%s-canary", r->service);
	snprintf(exposed, sizeof exposed, "%d/tcp", r->port);
	jv host = bi_set(jv_object(), "PortBindings", port_binding(r->port, 0));
	host = bi_set(host, "NetworkMode", jv_string(r->net));
	jv mem = bi_jv_path(r->stable, "HostConfig.Memory");
	if (jv_get_kind(mem) == JV_KIND_NUMBER && jv_number_value(mem) > 0)
		host = bi_set(host, "Memory", mem);
	else
		jv_free(mem);
	jv body = bi_set(jv_object(), "Image", jv_string(image));
	body = bi_set(bi_set(body, "Env", merged), "Labels", labels(r, "canary"));
	body = bi_set(body, "ExposedPorts", bi_set(jv_object(), exposed, jv_object()));
	body = bi_set(body, "HostConfig", host);
	jv ep = bi_set(jv_object(), "Aliases", jv_array_append(jv_array(), jv_string(alias)));
	return bi_set(body, "NetworkingConfig", bi_set(jv_object(), "EndpointsConfig",
							bi_set(jv_object(), r->net, ep)));
}

jv
bi_rollout_stable_body(const bi_rollout *r, const char *image)
{
	jv cfg = jv_object_get(jv_copy(r->stable), jv_string("Config"));
	if (jv_get_kind(cfg) != JV_KIND_OBJECT) {
		jv_free(cfg);
		cfg = jv_object();
	}
	cfg = jv_object_delete(cfg, jv_string("Hostname"));
	cfg = bi_set(cfg, "Image", jv_string(image));
	jv eps = jv_object();
	jv nets = bi_jv_path(r->stable, "NetworkSettings.Networks");
	if (jv_get_kind(nets) == JV_KIND_OBJECT) {
		jv_object_foreach(nets, k, v) {
			jv al = jv_array();
			jv old = jv_object_get(v, jv_string("Aliases"));
			if (jv_get_kind(old) == JV_KIND_ARRAY) {
				jv_array_foreach(old, i, a) {
					/* the old container's short id names only it */
					if (jv_get_kind(a) == JV_KIND_STRING &&
					    strncmp(jv_string_value(a), r->stable_id, 12) != 0)
						al = jv_array_append(al, a);
					else
						jv_free(a);
					(void)i;
				}
			}
			jv_free(old);
			eps = jv_object_set(eps, k, bi_set(jv_object(), "Aliases", al));
		}
	}
	jv_free(nets);
	cfg = bi_set(cfg, "HostConfig", bi_jv_path(r->stable, "HostConfig"));
	return bi_set(cfg, "NetworkingConfig", bi_set(jv_object(), "EndpointsConfig", eps));
}

jv
bi_rollout_weight_body(const bi_rollout *r, int w)
{
	char up[300];
	jv ups = jv_array();
	if (w < 100) {
		snprintf(up, sizeof up, "%s:%d", r->service, r->port);
		ups = jv_array_append(ups, bi_set(bi_set(jv_object(), "upstream", jv_string(up)),
						  "weight", jv_number(100 - w)));
	}
	if (w > 0) {
		snprintf(up, sizeof up, "%s-canary:%d", r->service, r->port);
		ups = jv_array_append(ups, bi_set(bi_set(jv_object(), "upstream", jv_string(up)),
						  "weight", jv_number(w)));
	}
	return bi_set(jv_object(), "upstreams", ups);
}

int
bi_rollout_wait(const bi_rollout *r, int port, const char *path, int64_t ns)
{
	char url[512];
	int64_t end = bi_mono_ns() + ns;
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	while (bi_mono_ns() < end) {
		int st = bi_http_status(url, 1000);
		if (st >= 200 && st < 300)
			return 0;
		if (r->stop && *r->stop)
			return -1;
		usleep(200000);
	}
	return -1;
}

int
bi_rollout_proxy(bi_rollout *r, int listen, char *err, size_t n)
{
	char label[400], name[300], spec[600], lst[32];
	snprintf(label, sizeof label, "%s=%s/%s", BI_ROLLOUT_LABEL, r->project, r->service);
	jv filters = bi_set(jv_object(), "label", jv_array_append(jv_array_append(jv_array(),
		jv_string(label)), jv_string(BI_ROLLOUT_ROLE "=proxy")));
	jv found = bi_docker_containers_filter(r->d, filters, 0);
	if (!jv_is_valid(found)) {
		jv_free(found);
		return bi_errf(err, n, "list containers: %s", bi_docker_error(r->d));
	}
	*r->proxy_id = 0;
	if (jv_array_length(jv_copy(found)) > 0)
		snprintf(r->proxy_id, sizeof r->proxy_id, "%s", bi_jv_path_str(found, "0.Id", ""));
	jv_free(found);
	if (!*r->proxy_id) {
		jv img = jv_null();
		long st = bi_docker_call(r->d, "GET", "/images/" PROXY_IMAGE "/json", NULL, &img);
		jv_free(img);
		if (st != 200)
			return bi_errf(err, n, "no image " PROXY_IMAGE " (scripts/images.sh bi-proxy makes it)");
		snprintf(name, sizeof name, "%s-%s-canary-proxy", r->project, r->service);
		snprintf(spec, sizeof spec, "%s,0.0.0.0:%d,%s:%d", r->service, r->port, r->service, r->port);
		snprintf(lst, sizeof lst, "%d/tcp", r->port);
		const char *args[] = {"-q", "--api", "0.0.0.0:8474", "--drain", "10s", "--proxy", spec};
		jv cmd = jv_array();
		for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
			cmd = jv_array_append(cmd, jv_string(args[i]));
		jv host = bi_set(jv_object(), "PortBindings",
				 jv_object_merge(port_binding(8474, 0), port_binding(r->port, listen)));
		host = bi_set(host, "NetworkMode", jv_string(r->net));
		host = bi_set(host, "RestartPolicy", bi_set(jv_object(), "Name", jv_string("unless-stopped")));
		jv body = bi_set(jv_object(), "Image", jv_string(PROXY_IMAGE));
		body = bi_set(bi_set(body, "Cmd", cmd), "ExposedPorts",
			      bi_set(bi_set(jv_object(), "8474/tcp", jv_object()), lst, jv_object()));
		body = bi_set(bi_set(body, "Labels", labels(r, "proxy")), "HostConfig", host);
		if (run(r, name, body, r->proxy_id, sizeof r->proxy_id, err, n) != 0)
			return -1;
	}
	r->api_port = host_port(r, r->proxy_id, 8474);
	r->entry_port = host_port(r, r->proxy_id, r->port);
	if (!r->api_port || !r->entry_port || bi_rollout_wait(r, r->api_port, "/version", 10 * SEC) != 0)
		return bi_errf(err, n, "the canary proxy %.12s does not answer", r->proxy_id);
	return 0;
}

int
bi_rollout_canary(bi_rollout *r, const char *image, char *const *env, int nenv, char *err, size_t n)
{
	char name[300];
	snprintf(name, sizeof name, "%s-%s-canary", r->project, r->service);
	if (run(r, name, bi_rollout_canary_body(r, image, env, nenv), r->canary_id, sizeof r->canary_id,
		err, n) != 0)
		return -1;
	r->canary_port = host_port(r, r->canary_id, r->port);
	if (!r->canary_port)
		return bi_errf(err, n, "the canary publishes no port %d", r->port);
	return 0;
}

int
bi_rollout_weight(bi_rollout *r, int w, char *err, size_t n)
{
	char url[400];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/proxies/%s", r->api_port, r->service);
	jv body = jv_dump_string(bi_rollout_weight_body(r, w), 0);
	for (int tries = 0; tries < 5; tries++) {
		jv res = bi_http_json("POST", url, NULL, jv_string_value(body), 3000, NULL);
		if (jv_is_valid(res)) {
			jv_free(res);
			jv_free(body);
			r->weight = w;
			return 0;
		}
		jv m = jv_invalid_get_msg(res);
		bi_errf(err, n, "the canary proxy refused weight %d: %s", w,
			jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "no answer");
		jv_free(m);
		usleep(200000);
	}
	jv_free(body);
	return -1;
}

int
bi_rollout_remove(bi_rollout *r, const char *id, char *err, size_t n)
{
	char path[256];
	if (!*id)
		return 0;
	snprintf(path, sizeof path, "/containers/%s?force=1", id);
	long st = bi_docker_call(r->d, "DELETE", path, NULL, NULL);
	if (st < 0 || (st >= 300 && st != 404))
		return bi_errf(err, n, "remove %.12s: %s", id, st < 0 ? bi_docker_error(r->d) : "refused");
	return 0;
}

int
bi_rollout_replace(bi_rollout *r, const char *image, char *err, size_t n)
{
	char name[300], path[1200], repo[512], tag[128], newid[80] = "", e2[512];
	const char *colon = strrchr(r->stable_image, ':'), *slash = strrchr(r->stable_image, '/');
	if (colon && (!slash || colon > slash)) {
		snprintf(repo, sizeof repo, "%.*s", (int)(colon - r->stable_image), r->stable_image);
		snprintf(tag, sizeof tag, "%s", colon + 1);
	} else {
		snprintf(repo, sizeof repo, "%s", r->stable_image);
		snprintf(tag, sizeof tag, "latest");
	}
	snprintf(path, sizeof path, "/images/%s/tag?repo=%s&tag=%s", image, repo, tag);
	if (bi_docker_call(r->d, "POST", path, NULL, NULL) != 201)
		return bi_errf(err, n, "tag %.200s as %.200s: %s", image, r->stable_image, bi_docker_error(r->d));

	snprintf(name, sizeof name, "%s", bi_jv_path_str(r->stable, "Name", "/") + 1);
	snprintf(path, sizeof path, "/containers/%s/rename?name=%s-replaced", r->stable_id, name);
	if (bi_docker_call(r->d, "POST", path, NULL, NULL) != 204)
		return bi_errf(err, n, "rename %s: %s", name, bi_docker_error(r->d));
	bi_docker_action(r->d, r->stable_id, "stop", "t=10");
	*e2 = 0;
	if (run(r, name, bi_rollout_stable_body(r, r->stable_image), newid, sizeof newid, e2, sizeof e2) != 0 ||
	    !(r->stable_port = host_port(r, newid, r->port)) ||
	    bi_rollout_wait(r, r->stable_port, r->health, 120 * SEC) != 0) {
		char e3[256];
		bi_errf(err, n, "%s", *e2 ? e2 : "the new stable container never became healthy");
		bi_rollout_remove(r, newid, e3, sizeof e3);
		/* the service's tag back on the image it runs, or compose would
		 * start the canary's on its next up */
		const char *old = bi_jv_path_str(r->stable, "Image", NULL);
		if (old) {
			snprintf(path, sizeof path, "/images/%s/tag?repo=%s&tag=%s", old, repo, tag);
			bi_docker_call(r->d, "POST", path, NULL, NULL);
		}
		snprintf(path, sizeof path, "/containers/%s/rename?name=%s", r->stable_id, name);
		bi_docker_call(r->d, "POST", path, NULL, NULL);
		bi_docker_action(r->d, r->stable_id, "start", NULL);
		r->stable_port = host_port(r, r->stable_id, r->port);
		bi_rollout_wait(r, r->stable_port, r->health, 60 * SEC);
		return -1;
	}
	bi_rollout_remove(r, r->stable_id, e2, sizeof e2);
	snprintf(r->stable_id, sizeof r->stable_id, "%s", newid);
	return 0;
}

int
bi_rollout_clean(bi_docker *d, const char *project, const char *service, char *err, size_t n)
{
	char label[400];
	bi_rollout r = {.d = d, .stable = jv_null()};
	int bad = 0;
	snprintf(label, sizeof label, "%s=%s/%s", BI_ROLLOUT_LABEL, project, service);
	jv found = bi_docker_containers_label(d, label, 1);
	if (!jv_is_valid(found)) {
		jv_free(found);
		return bi_errf(err, n, "list containers: %s", bi_docker_error(d));
	}
	jv_array_foreach(found, i, c) {
		if (bi_rollout_remove(&r, bi_get_text(c, "Id", ""), err, n) != 0)
			bad = 1;
		jv_free(c);
		(void)i;
	}
	jv_free(found);
	return bad ? -1 : 0;
}
