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

/* The state of an Argo Rollouts canary from `kubectl get rollout -o json`
 * (borrowed): {phase, step (steps done, currentStepIndex), steps (how many
 * the canary has), weight (the canary's percent: the controller's, else
 * the steps'), paused, aborted, analysis (the AnalysisRun's status),
 * revision, image, reason (the controller's message)}, those absent left
 * out; jv_invalid_with_msg when ro is not a Rollout. */
jv bi_k8s_rollout(jv ro);

/* kubectl [--context=CTX] -n NS VERB rollout NAME [--type merge -p PATCH]
 * (ctx and patch may be NULL), through bi_kubectl: the Rollout as kubectl
 * prints it (get: as it is; patch: as the patch left it), or jv_invalid
 * with kubectl's last line of error in err. */
jv bi_k8s_rollout_call(const char *ctx, const char *ns, const char *name, const char *verb,
		       const char *patch, char *err, size_t n);

/* The merge patch that `kubectl argo rollouts promote [--full]` sends for
 * ro (borrowed), written to buf: unpause a Rollout paused by hand; --full,
 * go to the last step; else end the pause step it waits at, or skip the
 * step it is on. 0, or -1 when it is past its last step already. */
int bi_k8s_promote_patch(jv ro, int full, char *buf, size_t n);

#endif
