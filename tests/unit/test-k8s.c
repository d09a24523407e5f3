/*
 * test-k8s: Kubernetes context from kubectl's JSON (tests/fixtures/k8s: an
 * EventList with core and events.k8s.io events, a PodList with a container
 * in CrashLoopBackOff after an OOM kill), and bi_kubectl run against the
 * stand-in kubectl there: a warning on stderr kept out of the JSON, a
 * refusal's last line reported, no kubectl at all named as such.
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

int
main(void)
{
	bi_init("test-k8s");
	plan(24);
	test_parse();
	test_kubectl();
	return done();
}
