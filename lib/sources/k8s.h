/* sources/k8s.h: the interface of k8s.c (layer: sources). */
#ifndef BI_SOURCES_K8S_H
#define BI_SOURCES_K8S_H

#include <jv.h>
#include <stddef.h>

/* Run `kubectl ARGS... --request-timeout=5s -o json` (args NULL-terminated,
 * at most 27) in kubectl's current context: its output, or NULL with one line
 * in err: "kubectl is not installed", or kubectl's own last line of error. */
char *bi_kubectl(const char *const *args, char *err, size_t n);

/* k8s_event records {ts, namespace, object, reason, type, msg, count} from
 * the parsed output of `kubectl get events -o json` (consumed): an array, or
 * jv_invalid_with_msg when it is not a Kubernetes list. */
jv bi_k8s_events(jv list);

/* The same records for what `kubectl get pods -o json` (consumed) shows that
 * events may have aged out of: a container waiting, with the reason
 * (CrashLoopBackOff...; ts is now), and the reason its last run ended
 * (OOMKilled, Error; ts when it ended), with the restart count. */
jv bi_k8s_pods(jv list);

#endif
