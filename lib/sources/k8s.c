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
