/*
 * k8s.c: Kubernetes context through kubectl. Events as k8s_event records,
 * and the pod states that events age out of: a container waiting (in
 * CrashLoopBackOff, ImagePullBackOff) and the reason its last run ended
 * (OOMKilled, Error). kubectl is run with its context as it stands; its
 * stderr is kept apart, so a warning there does not spoil the JSON.
 *
 * Layer: sources.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sources/k8s.h"

#include "base/util.h"
#include "base/time.h"
#include "base/jsonl.h"

/* The last non-empty line of a file, which is the one kubectl means for
 * people; "" when there is none. */
static void
last_line(const char *path, char *out, size_t n)
{
	size_t len = 0;
	char *text = bi_read_file(path, &len);

	*out = '\0';
	if (!text)
		return;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	text[len] = '\0';
	const char *nl = strrchr(text, '\n');
	snprintf(out, n, "%s", nl ? nl + 1 : text);
	free(text);
}

char *
bi_kubectl(const char *const *args, char *err, size_t n)
{
	const char *argv[32] = {"kubectl"};
	int argc = 1;
	char *out = bi_temp_file("bi-kubectl"), *errf = bi_temp_file("bi-kubectl"), *text = NULL;

	for (; args && *args && argc < 28; args++)
		argv[argc++] = *args;
	argv[argc++] = "--request-timeout=5s";
	argv[argc++] = "-o";
	argv[argc++] = "json";
	argv[argc] = NULL;
	if (!out || !errf) {
		snprintf(err, n, "cannot make a temporary file: %s", strerror(errno));
		goto done;
	}
	pid_t pid = bi_spawn(argv, out, errf);
	if (pid < 0) {
		snprintf(err, n, "kubectl is not installed");
		goto done;
	}
	int st = 0, w;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (w < 0) {
		snprintf(err, n, "cannot wait for kubectl: %s", strerror(errno));
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		size_t len;
		text = bi_read_file(out, &len);
		if (!text)
			snprintf(err, n, "cannot read kubectl's output: %s", strerror(errno));
	} else {
		last_line(errf, err, n);
		if (!*err)
			snprintf(err, n, "kubectl failed (status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
done:
	if (out)
		unlink(out);
	if (errf)
		unlink(errf);
	free(out);
	free(errf);
	return text;
}

static jv
event(const char *ts, const char *ns, const char *object, const char *reason, const char *type,
      const char *msg, double count)
{
	jv rec = bi_record("k8s_event");
	int64_t t;
	char buf[BI_TS_LEN];

	/* Kubernetes writes whole seconds; the record's ts is ours to format. */
	if (ts && bi_ts_parse(ts, &t) == 0)
		rec = bi_set(rec, "ts", jv_string(bi_ts_fmt(t, buf)));
	rec = bi_set(rec, "namespace", jv_string(ns ? ns : ""));
	rec = bi_set(rec, "object", jv_string(object));
	rec = bi_set(rec, "reason", jv_string(reason ? reason : ""));
	rec = bi_set(rec, "type", jv_string(type ? type : "Normal"));
	rec = bi_set(rec, "msg", jv_string(msg ? msg : ""));
	if (count > 0)
		rec = bi_set(rec, "count", jv_number(count));
	return rec;
}

/* Each item of a Kubernetes list (consumed) through fn, which appends its
 * records to *out; the records, or jv_invalid when list is not a list. */
static jv
each_item(jv list, void (*fn)(jv item, jv *out))
{
	jv it = bi_jv_path(list, "items"), out = jv_array();

	jv_free(list);
	if (jv_get_kind(it) != JV_KIND_ARRAY) {
		jv_free(it);
		jv_free(out);
		return jv_invalid_with_msg(jv_string("not a Kubernetes list (no items)"));
	}
	jv_array_foreach(it, i, item) {
		fn(item, &out);
		jv_free(item);
	}
	jv_free(it);
	return out;
}

static void
one_event(jv e, jv *out)
{
	/* Core v1 events carry lastTimestamp; events.k8s.io ones, eventTime. */
	const char *ts = bi_jv_path_str(e, "lastTimestamp", NULL);
	if (!ts)
		ts = bi_jv_path_str(e, "eventTime", NULL);
	char *obj = bi_asprintf("%s/%s", bi_jv_path_str(e, "involvedObject.kind", "?"),
				bi_jv_path_str(e, "involvedObject.name", "?"));
	*out = jv_array_append(*out, event(ts, bi_jv_path_str(e, "involvedObject.namespace", NULL), obj,
					   bi_jv_path_str(e, "reason", NULL), bi_jv_path_str(e, "type", NULL),
					   bi_jv_path_str(e, "message", NULL), bi_jv_path_num(e, "count", 0)));
	free(obj);
}

static void
one_pod(jv p, jv *out)
{
	char *obj = bi_asprintf("Pod/%s", bi_jv_path_str(p, "metadata.name", "?"));
	const char *ns = bi_jv_path_str(p, "metadata.namespace", NULL);
	jv cs = bi_jv_path(p, "status.containerStatuses");

	if (jv_get_kind(cs) == JV_KIND_ARRAY) {
		jv_array_foreach(cs, k, c) {
			const char *wr = bi_jv_path_str(c, "state.waiting.reason", NULL);
			const char *tr = bi_jv_path_str(c, "lastState.terminated.reason", NULL);
			double restarts = bi_jv_path_num(c, "restartCount", 0);
			if (wr)
				*out = jv_array_append(*out, event(NULL, ns, obj, wr, "Warning",
					bi_jv_path_str(c, "state.waiting.message", wr), restarts));
			if (tr && strcmp(tr, "Completed"))
				*out = jv_array_append(*out, event(
					bi_jv_path_str(c, "lastState.terminated.finishedAt", NULL), ns, obj, tr,
					"Warning", bi_jv_path_str(c, "lastState.terminated.message", tr), restarts));
			jv_free(c);
		}
	}
	jv_free(cs);
	free(obj);
}

jv
bi_k8s_events(jv list)
{
	return each_item(list, one_event);
}

jv
bi_k8s_pods(jv list)
{
	return each_item(list, one_pod);
}

/* A Rollout's currentStepIndex clamped to 0..n: a JSON number may be
 * anything, and no cast of one out of int's range is defined. */
static int
step_index(jv ro, int n)
{
	double d = bi_jv_path_num(ro, "status.currentStepIndex", n);

	return !(d >= 0) ? 0 : d > n ? n : (int)d;
}

/* The weight Argo Rollouts gives the canary at step idx (0-based) of steps:
 * the last setWeight at or before it; 100 past the end. */
static double
step_weight(jv steps, int idx)
{
	double w = 0;
	int n = jv_get_kind(steps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(steps)) : 0;

	if (idx >= n)
		return 100;
	for (int i = 0; i <= idx && i < n; i++) {
		jv s = jv_array_get(jv_copy(steps), i);
		w = bi_jv_path_num(s, "setWeight", w);
		jv_free(s);
	}
	return w;
}

jv
bi_k8s_rollout(jv ro)
{
	const char *kind = bi_jv_path_str(ro, "kind", NULL);
	if (jv_get_kind(ro) != JV_KIND_OBJECT || !kind || strcmp(kind, "Rollout"))
		return jv_invalid_with_msg(jv_string("not an Argo Rollouts Rollout"));
	jv st = jv_object(), steps = bi_jv_path(ro, "spec.strategy.canary.steps");
	int n = jv_get_kind(steps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(steps)) : 0;
	int idx = step_index(ro, n);
	const char *phase = bi_jv_path_str(ro, "status.phase", NULL);
	const char *s;

	if (idx < 0)
		idx = 0;
	if (idx > n)
		idx = n;
	if (phase)
		st = bi_set(st, "phase", jv_string(phase));
	st = bi_set(st, "step", jv_number(idx));
	st = bi_set(st, "steps", jv_number(n));
	jv aborted = bi_jv_path(ro, "status.abort");
	int ab = jv_get_kind(aborted) == JV_KIND_TRUE;
	jv_free(aborted);
	/* What the controller says it set, else what the steps say. */
	double w = bi_jv_path_num(ro, "status.canary.weights.canary.weight", -1);
	if (w < 0)
		w = ab ? 0 : step_weight(steps, idx);
	st = bi_set(st, "weight", jv_number(w));
	jv sp = bi_jv_path(ro, "spec.paused"), pc = bi_jv_path(ro, "status.pauseConditions");
	int paused = jv_get_kind(sp) == JV_KIND_TRUE ||
		(jv_get_kind(pc) == JV_KIND_ARRAY && jv_array_length(jv_copy(pc)) > 0);
	jv_free(sp);
	jv_free(pc);
	st = bi_set(st, "paused", jv_bool(paused));
	st = bi_set(st, "aborted", jv_bool(ab));
	if ((s = bi_jv_path_str(ro, "status.canary.currentBackgroundAnalysisRunStatus.status", NULL)) ||
	    (s = bi_jv_path_str(ro, "status.canary.currentStepAnalysisRunStatus.status", NULL)))
		st = bi_set(st, "analysis", jv_string(s));
	jv ann = bi_jv_path(ro, "metadata.annotations");
	if (jv_get_kind(ann) == JV_KIND_OBJECT) {
		jv rev = jv_object_get(jv_copy(ann), jv_string("rollout.argoproj.io/revision"));
		if (jv_get_kind(rev) == JV_KIND_STRING)
			st = bi_set(st, "revision", jv_copy(rev));
		jv_free(rev);
	}
	jv_free(ann);
	if ((s = bi_jv_path_str(ro, "spec.template.spec.containers.0.image", NULL)))
		st = bi_set(st, "image", jv_string(s));
	if ((s = bi_jv_path_str(ro, "status.message", NULL)) && *s)
		st = bi_set(st, "reason", jv_string(s));
	jv_free(steps);
	return st;
}

jv
bi_k8s_rollout_call(const char *ctx, const char *ns, const char *name, const char *verb,
		    const char *patch, char *err, size_t n)
{
	const char *a[16];
	char cbuf[300];
	int k = 0;

	if (ctx) {
		snprintf(cbuf, sizeof cbuf, "--context=%s", ctx);
		a[k++] = cbuf;
	}
	a[k++] = "-n";
	a[k++] = ns;
	a[k++] = verb;
	a[k++] = "rollout";
	a[k++] = name;
	if (patch) {
		a[k++] = "--type";
		a[k++] = "merge";
		a[k++] = "-p";
		a[k++] = patch;
	}
	a[k] = NULL;
	char *out = bi_kubectl(a, err, n);
	if (!out)
		return jv_invalid();
	jv v = jv_parse(out);
	free(out);
	if (!jv_is_valid(v)) {
		jv_free(v);
		snprintf(err, n, "kubectl's output is not JSON");
		return jv_invalid();
	}
	return v;
}

int
bi_k8s_promote_patch(jv ro, int full, char *buf, size_t n)
{
	jv sp = bi_jv_path(ro, "spec.paused"), pc = bi_jv_path(ro, "status.pauseConditions");
	int manual = jv_get_kind(sp) == JV_KIND_TRUE;
	int waiting = jv_get_kind(pc) == JV_KIND_ARRAY && jv_array_length(jv_copy(pc)) > 0;

	jv_free(sp);
	jv_free(pc);
	if (full) {
		snprintf(buf, n, "%s", manual ? "{\"spec\":{\"paused\":false},\"status\":{\"promoteFull\":true}}"
					     : "{\"status\":{\"promoteFull\":true}}");
		return 0;
	}
	if (manual) {
		snprintf(buf, n, "{\"spec\":{\"paused\":false}}");
		return 0;
	}
	if (waiting) {
		snprintf(buf, n, "{\"status\":{\"pauseConditions\":null,\"controllerPause\":false}}");
		return 0;
	}
	jv steps = bi_jv_path(ro, "spec.strategy.canary.steps");
	int ns = jv_get_kind(steps) == JV_KIND_ARRAY ? jv_array_length(jv_copy(steps)) : 0;
	int idx = step_index(ro, ns);
	jv_free(steps);
	if (idx >= ns)
		return -1;
	snprintf(buf, n, "{\"status\":{\"currentStepIndex\":%d}}", idx + 1);
	return 0;
}
