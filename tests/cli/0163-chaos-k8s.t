#!/bin/sh
# chaos --env: the experiments that have a Kubernetes form, through the real
# kubectl against the stand-in API server (tests/tools/kube-standin.py),
# which replaces a deleted pod after the Deployment's standin/recovery
# seconds. pod-kill deletes one of the app's pods and waits for its
# replacement; dependency-down scales a dependency's Deployment to zero and
# back; the others are skipped, saying they have no Kubernetes form.
. "$(dirname "$0")/../lib.sh"
plan 12
if ! command -v kubectl >/dev/null 2>&1; then
	exit_ok 1 "kubectl is installed (scripts/deps.sh: kubernetes-client)"
	exit 1
fi
bi=blissful-infra
p=$TMP/shop
bi-scaffold --template c-service --database redis --deploy kubernetes --dir "$p" shop >/dev/null || exit 1
cd "$p" || exit 1
python3 "$ROOT/tests/tools/kube-standin.py" "$TMP/port" 2>"$TMP/standin.err" &
standin=$!
at_exit "kill $standin 2>/dev/null"
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cat >"$TMP/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster: {server: "http://127.0.0.1:$(cat "$TMP/port")"}
contexts:
- name: standin
  context: {cluster: standin, user: standin}
current-context: standin
users:
- name: standin
  user: {}
EOF
export KUBECONFIG="$TMP/kubeconfig" BI_KUBE_VALIDATE=false BI_KUBE_POLL=0.1
$bi deploy --env staging --image v1 >/dev/null 2>"$TMP/err" || { sed 's/^/# /' "$TMP/err"; exit 1; }
pods() { kubectl -n shop-staging get pods -l app.kubernetes.io/name=shop -o name | tr '\n' ' '; }
before=$(pods)

$bi chaos --env staging -s pod-kill --dry-run --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r '"\(.scenario) \(.status) pod/\(.injected.pod) "' "$TMP/out") $(pods)" "0 pod-kill planned $before $before" \
	"--dry-run: the pod it would delete named, none deleted"
$bi chaos --env staging -s pod-kill --json >"$TMP/out" 2>"$TMP/err"
st=$?
is "$st $(jq -r '"\(.scenario) \(.status) \(.env) \(.namespace) \(.recovery_ms > 0)"' "$TMP/out")" "0 pod-kill passed staging shop-staging true" \
	"pod-kill: passed, with its recovery measured"
after=$(pods)
ok=1; [ -n "$after" ] && [ "$after" != "$before" ] && ok=0
exit_ok $ok "the pod it killed is gone, a new one in its place ($before-> $after)"
ls .blissful-infra/chaos/*-staging.jsonl >/dev/null 2>&1
exit_ok $? "the run is saved under .blissful-infra/chaos/"
is "$(bi-score .blissful-infra/chaos/*-staging.jsonl 2>/dev/null | jq -r 'select(.kind == "score") | .scenarios[] | select(.scenario == "pod-kill") | "\(.status) \(.points >= 15)"')" \
	"passed true" "bi-score scores them as bi-chaos's: pod-kill passed, its points counted"

# A replacement slower than the recovery allowed: failed, not waited on forever.
kubectl -n shop-staging annotate deployment shop standin/recovery=30 >/dev/null
$bi chaos --env staging -s pod-kill --recovery 1s --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r '"\(.status) \(.recovery_ms)"' "$TMP/out")" "1 failed null" "a pod not replaced within --recovery: failed, no recovery time"

# dependency-down: none in the namespace, then redis's Deployment.
$bi chaos --env staging -s dependency-down --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r .status "$TMP/out") $(jq -r .reason "$TMP/out" | grep -c 'no Deployment of postgres, redis or kafka')" "1 skipped 1" \
	"dependency-down with no dependency in the cluster: skipped, saying why"
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: redis, namespace: shop-staging}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: redis}}\n  template:\n    metadata: {labels: {app: redis}}\n    spec: {containers: [{name: redis, image: "redis:7"}]}\n' |
	kubectl apply --validate=false -f - >/dev/null
kubectl -n shop-staging annotate deployment shop standin/recovery=0 --overwrite >/dev/null
$bi chaos --env staging -s dependency-down --duration 1s --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r '"\(.status) \(.injected.dependency)"' "$TMP/out") $(kubectl -n shop-staging get deployment redis -o jsonpath='{.spec.replicas}')" \
	"0 passed redis 2" "dependency-down: redis scaled to zero and back to its 2 replicas"

# No Kubernetes form: refused with a clear message, as a skip.
$bi chaos --env staging -s network-latency --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r .status "$TMP/out") $(grep -c 'network-latency has no Kubernetes form' "$TMP/err")" "1 skipped 1" \
	"network-latency on --env: skipped, saying it has no Kubernetes form"
$bi chaos --env ephemeral --branch -x >/dev/null 2>&1; is $? 2 "--branch starting with '-': refused"
$bi chaos --env staging -s pod-kill --intensity high >/dev/null 2>&1; is $? 2 "a local-only option with --env: usage (2)"
kill $standin; wait $standin 2>/dev/null
$bi chaos --env staging -s pod-kill >/dev/null 2>"$TMP/err"; is $? 3 "the cluster unreachable: 3"
