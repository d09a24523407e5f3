/*
 * test-k8s: Kubernetes context from kubectl's JSON (tests/fixtures/k8s: an
 * EventList with core and events.k8s.io events, a PodList with a container
 * in CrashLoopBackOff after an OOM kill), and bi_kubectl run against the
 * stand-in kubectl there: a warning on stderr kept out of the JSON, a
 * refusal's last line reported, no kubectl at all named as such. An Argo
 * Rollouts canary's state read from its Rollout, and the patches that
 * promote it as the Argo Rollouts plugin does.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "base/jsonl.h"
#include "sources/k8s.h"
#include "tap.h"

#define FIX "tests/fixtures/k8s"

static jv
fixture(const char *name)
{
	char *path = bi_asprintf(FIX "/%s", name), *text = bi_read_file(path, NULL);
	jv v = text ? jv_parse(text) : jv_invalid();

	free(path);
	free(text);
	return v;
}

static const char *
field(jv recs, int i, const char *key)
{
	static char buf[512];
	jv r = jv_array_get(jv_copy(recs), i);
	const char *s = bi_get_str(r, key);

	snprintf(buf, sizeof buf, "%s", s ? s : "(none)");
	jv_free(r);
	return buf;
}

static void
test_parse(void)
{
	jv ev = bi_k8s_events(fixture("events.json"));

	ok(jv_get_kind(ev) == JV_KIND_ARRAY && jv_array_length(jv_copy(ev)) == 3, "three events");
	is_str(field(ev, 0, "kind"), "k8s_event", "kind k8s_event");
	is_str(field(ev, 0, "ts"), "2026-11-20T10:15:30.000Z", "lastTimestamp is the time");
	is_str(field(ev, 0, "object"), "Pod/shop-7d9c5b6f4-x2x8k", "object: kind/name");
	is_str(field(ev, 0, "namespace"), "shop", "namespace");
	is_str(field(ev, 0, "reason"), "BackOff", "reason");
	is_str(field(ev, 0, "type"), "Warning", "type");
	jv e0 = jv_array_get(jv_copy(ev), 0);
	is_num(bi_get_num(e0, "count", 0), 12, "count");
	jv_free(e0);
	is_str(field(ev, 1, "ts"), "2026-11-20T10:05:00.418Z", "no lastTimestamp: eventTime, to the ms");
	is_str(field(ev, 2, "object"), "Node/node-1", "a node's event");
	is_str(field(ev, 2, "namespace"), "", "without a namespace");
	jv_free(ev);

	jv pods = bi_k8s_pods(fixture("pods.json"));
	ok(jv_get_kind(pods) == JV_KIND_ARRAY && jv_array_length(jv_copy(pods)) == 2,
	   "two pod states: the waiting and the OOM kill (Completed and Pending say nothing)");
	is_str(field(pods, 0, "reason"), "CrashLoopBackOff", "the container is waiting in CrashLoopBackOff");
	ok(strstr(field(pods, 0, "msg"), "back-off 2m40s") != NULL, "with kubelet's message");
	is_str(field(pods, 1, "reason"), "OOMKilled", "its last run was OOMKilled");
	is_str(field(pods, 1, "ts"), "2026-11-20T10:14:59.000Z", "at finishedAt");
	jv p1 = jv_array_get(jv_copy(pods), 1);
	is_num(bi_get_num(p1, "count", 0), 5, "with the restart count");
	jv_free(p1);
	jv_free(pods);

	jv bad = bi_k8s_events(jv_parse("{\"kind\":\"Status\",\"status\":\"Failure\"}"));
	jv m = jv_invalid_get_msg(jv_copy(bad));
	ok(!jv_is_valid(bad) && jv_get_kind(m) == JV_KIND_STRING && strstr(jv_string_value(m), "items"),
	   "not a list: invalid, saying why");
	jv_free(m);
	jv_free(bad);
	bad = bi_k8s_pods(jv_parse("[1,2"));
	ok(!jv_is_valid(bad), "not JSON: invalid");
	jv_free(bad);
	jv empty = bi_k8s_pods(jv_parse("{\"items\":[]}"));
	is_num(jv_array_length(empty), 0, "no pods: no records");
}

static void
test_kubectl(void)
{
	char fix[PATH_MAX], err[512], *path;
	const char *old = getenv("PATH");
	static const char *const events[] = {"get", "events", "--all-namespaces", NULL};

	if (!realpath(FIX, fix)) {
		ok(0, "fixtures at %s", FIX);
		return;
	}
	path = bi_asprintf("%s:%s", fix, old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	char *out = bi_kubectl(events, err, sizeof err);
	jv ev = out ? bi_k8s_events(jv_parse(out)) : jv_invalid();
	ok(jv_is_valid(ev) && jv_array_length(jv_copy(ev)) == 3,
	   "kubectl's warning on stderr does not spoil its JSON");
	jv_free(ev);
	free(out);

	setenv("KUBECTL_FAIL", "error: You must be logged in to the server (Unauthorized)", 1);
	out = bi_kubectl(events, err, sizeof err);
	ok(!out, "a refusal: NULL");
	is_str(err, "error: You must be logged in to the server (Unauthorized)", "its last line, as the reason");
	unsetenv("KUBECTL_FAIL");

	setenv("PATH", "/nonexistent", 1);
	out = bi_kubectl(events, err, sizeof err);
	ok(!out && !strcmp(err, "kubectl is not installed"), "no kubectl: %s", err);
	setenv("PATH", old ? old : "/usr/bin:/bin", 1);
	free(path);
}

static void
test_rollout(void)
{
	char buf[160];
	jv ro = fixture("rollout.json");
	jv st = bi_k8s_rollout(ro);
	jv_free(jv_dump_string(jv_copy(st), 0));
	is_str(bi_get_str(st, "phase"), "Paused", "a Rollout at its first pause: Paused");
	is_num(bi_jv_path_num(st, "step", -1), 1, "at step 1 ...");
	is_num(bi_jv_path_num(st, "steps", -1), 5, "... of 5");
	is_num(bi_jv_path_num(st, "weight", -1), 10, "the canary's weight, as the controller set it");
	ok(jv_get_kind(jv_object_get(jv_copy(st), jv_string("paused"))) == JV_KIND_TRUE, "paused (a pause condition)");
	is_str(bi_get_str(st, "analysis"), "Running", "the background analysis run's status");
	is_str(bi_get_str(st, "revision"), "4", "the revision, from its annotation");
	is_str(bi_get_str(st, "image"), "shop:v4", "the image");
	jv_free(st);

	ok(bi_k8s_promote_patch(ro, 0, buf, sizeof buf) == 0 &&
	   !strcmp(buf, "{\"status\":{\"pauseConditions\":null,\"controllerPause\":false}}"),
	   "promote at a pause step: the pause ended");
	ok(bi_k8s_promote_patch(ro, 1, buf, sizeof buf) == 0 && !strcmp(buf, "{\"status\":{\"promoteFull\":true}}"),
	   "promote --full: promoteFull");

	/* No weights from the controller, no pause: the steps say; promote skips a step. */
	ro = jv_object_set(ro, jv_string("status"),
			   jv_parse("{\"phase\":\"Progressing\",\"currentStepIndex\":2}"));
	ro = jv_object_set(ro, jv_string("spec"), jv_object_set(bi_jv_path(ro, "spec"), jv_string("paused"), jv_true()));
	st = bi_k8s_rollout(ro);
	is_num(bi_jv_path_num(st, "weight", -1), 25, "no weights in status: the last setWeight up to the step");
	ok(jv_get_kind(jv_object_get(jv_copy(st), jv_string("paused"))) == JV_KIND_TRUE, "spec.paused: paused");
	jv_free(st);
	ok(bi_k8s_promote_patch(ro, 0, buf, sizeof buf) == 0 && !strcmp(buf, "{\"spec\":{\"paused\":false}}"),
	   "promote a Rollout paused by hand: unpaused");
	ro = jv_object_set(ro, jv_string("spec"), jv_object_set(bi_jv_path(ro, "spec"), jv_string("paused"), jv_false()));
	ok(bi_k8s_promote_patch(ro, 0, buf, sizeof buf) == 0 && !strcmp(buf, "{\"status\":{\"currentStepIndex\":3}}"),
	   "promote between pauses: on to the next step");
	ro = jv_object_set(ro, jv_string("status"), jv_parse("{\"phase\":\"Degraded\",\"abort\":true,\"currentStepIndex\":5}"));
	st = bi_k8s_rollout(ro);
	ok(jv_get_kind(jv_object_get(jv_copy(st), jv_string("aborted"))) == JV_KIND_TRUE &&
	   bi_jv_path_num(st, "weight", -1) == 0, "aborted: weight 0");
	jv_free(st);
	ok(bi_k8s_promote_patch(ro, 0, buf, sizeof buf) == -1, "past the last step: nothing to promote");
	jv_free(ro);

	jv dep = jv_parse("{\"kind\":\"Deployment\"}");
	jv bad = bi_k8s_rollout(dep);
	ok(!jv_is_valid(bad), "a Deployment is not a Rollout");
	jv_free(bad);
	jv_free(dep);
	jv num = jv_number(3);
	bad = bi_k8s_rollout(num);
	ok(!jv_is_valid(bad), "nor is a number");
	jv_free(bad);
	jv_free(num);
}

int
main(void)
{
	bi_init("test-k8s");
	plan(42);
	test_parse();
	test_kubectl();
	test_rollout();
	return done();
}
