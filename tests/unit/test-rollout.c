/* test-rollout: what the Docker side of a canary asks Docker and the canary
 * proxy for, from a stable container as Docker inspects it: the canary's
 * container (the stable's environment with overrides, its network under
 * SERVICE-canary, its memory limit, labels), the stable container made
 * again from the canary's image (its own settings, aliases but its old id),
 * and the proxy's upstreams for each weight. (On containers:
 * tests/integration/0900-canary.t.) */
#include <stdio.h>
#include <string.h>

#include "base/jsonl.h"
#include "engines/rollout.h"
#include "tap.h"

static const char inspect[] =
	"{\"Id\":\"0123456789abcdef0123\",\"Name\":\"/shop_app_1\","
	"\"Config\":{\"Hostname\":\"0123456789ab\",\"Image\":\"shop:latest\","
	"\"Env\":[\"PORT=8080\",\"FAULT_ERROR_RATE=0\",\"REDIS_URL=redis://chaos-proxy:6379\"],"
	"\"Labels\":{\"com.docker.compose.project\":\"shop\",\"com.docker.compose.service\":\"app\"},"
	"\"ExposedPorts\":{\"8080/tcp\":{}}},"
	"\"HostConfig\":{\"Memory\":268435456,\"RestartPolicy\":{\"Name\":\"unless-stopped\"},"
	"\"PortBindings\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"}]}},"
	"\"NetworkSettings\":{\"Networks\":{\"shop_default\":{\"Aliases\":[\"app\",\"0123456789ab\",\"shop_app_1\"],"
	"\"IPAddress\":\"172.18.0.3\"}}}}";

static const char *
str(jv v, const char *path)
{
	static char buf[512];
	jv x = bi_jv_path(v, path);
	if (jv_get_kind(x) == JV_KIND_STRING)
		snprintf(buf, sizeof buf, "%s", jv_string_value(x));
	else if (!jv_is_valid(x))
		snprintf(buf, sizeof buf, "(none)");
	else {
		jv d = jv_dump_string(jv_copy(x), 0);
		snprintf(buf, sizeof buf, "%s", jv_string_value(d));
		jv_free(d);
	}
	jv_free(x);
	return buf;
}

int
main(void)
{
	bi_rollout r = {.port = 8080, .stable = jv_parse(inspect)};
	snprintf(r.project, sizeof r.project, "shop");
	snprintf(r.service, sizeof r.service, "app");
	snprintf(r.net, sizeof r.net, "shop_default");
	snprintf(r.stable_id, sizeof r.stable_id, "0123456789abcdef0123");
	snprintf(r.stable_image, sizeof r.stable_image, "shop:latest");

	plan(16);
	char *env[] = {"FAULT_ERROR_RATE=0.2", "EXTRA=1"};
	jv c = bi_rollout_canary_body(&r, "shop:canary", env, 2);
	is_str(str(c, "Image"), "shop:canary", "the canary runs the new image");
	is_str(str(c, "Env"), "[\"PORT=8080\",\"REDIS_URL=redis://chaos-proxy:6379\",\"FAULT_ERROR_RATE=0.2\",\"EXTRA=1\"]",
	       "with the stable's environment, a variable given replacing the stable's");
	is_str(str(c, "NetworkingConfig.EndpointsConfig"), "{\"shop_default\":{\"Aliases\":[\"app-canary\"]}}",
	       "on the stable's network, as app-canary");
	is_str(str(c, "HostConfig.NetworkMode"), "shop_default", "network mode");
	is_str(str(c, "HostConfig.Memory"), "268435456", "the stable's memory limit");
	is_str(str(c, "HostConfig.PortBindings"), "{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}",
	       "its port published on loopback only, any free one");
	is_str(str(c, "Labels"), "{\"org.blissful-infra.canary\":\"shop/app\",\"org.blissful-infra.role\":\"canary\"}",
	       "labelled as this service's canary, and not as a compose service");
	jv_free(c);

	jv s = bi_rollout_stable_body(&r, "shop:latest");
	is_str(str(s, "Hostname"), "(none)", "the stable made again: not under the old hostname");
	is_str(str(s, "Labels"), "{\"com.docker.compose.project\":\"shop\",\"com.docker.compose.service\":\"app\"}",
	       "with compose's labels");
	is_str(str(s, "HostConfig.PortBindings.8080/tcp.0.HostPort"), "8080", "its published port");
	is_str(str(s, "NetworkingConfig.EndpointsConfig.shop_default.Aliases"), "[\"app\",\"shop_app_1\"]",
	       "its aliases, but the old container's short id");
	is_str(str(s, "NetworkingConfig.EndpointsConfig.shop_default.IPAddress"), "(none)",
	       "and no address of the old one");
	jv_free(s);

	jv w = bi_rollout_weight_body(&r, 25);
	is_str(str(w, "upstreams"), "[{\"upstream\":\"app:8080\",\"weight\":75},{\"upstream\":\"app-canary:8080\",\"weight\":25}]",
	       "25%%: both upstreams by weight");
	jv_free(w);
	w = bi_rollout_weight_body(&r, 0);
	is_str(str(w, "upstreams"), "[{\"upstream\":\"app:8080\",\"weight\":100}]", "0%%: stable alone");
	jv_free(w);
	w = bi_rollout_weight_body(&r, 100);
	is_str(str(w, "upstreams"), "[{\"upstream\":\"app-canary:8080\",\"weight\":100}]", "100%%: the canary alone");
	jv_free(w);

	bi_rollout_free(&r);
	ok(jv_get_kind(r.stable) == JV_KIND_NULL, "free leaves no inspection behind");
	return done();
}
