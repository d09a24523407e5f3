#!/bin/sh
# deploy, rollback, env and status's Kubernetes rows, driving the real
# kubectl against a stand-in API server (tests/tools/kube-standin.py: no
# cluster can run here). kubectl renders the overlays, applies, rolls out,
# rolls back and patches; the stand-in answers as the API server and, in
# place of the controllers, makes Deployments and Rollouts ready, keeps their
# ReplicaSets' revisions, and carries out Argo CD sync operations.
. "$(dirname "$0")/../lib.sh"
plan 34
if ! command -v kubectl >/dev/null 2>&1; then
	exit_ok 1 "kubectl is installed (scripts/deps.sh: kubernetes-client)"
	exit 1
fi
bi=blissful-infra
p=$TMP/shop
bi-scaffold --template c-service --deploy kubernetes --dir "$p" shop >/dev/null || exit 1
cd "$p" || exit 1
python3 "$ROOT/tests/tools/kube-standin.py" "$TMP/port" 2>"$TMP/standin.err" &
standin=$!
at_exit "kill $standin 2>/dev/null"
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kubeconfig() {	# PORT
	cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster: {server: "http://127.0.0.1:$1"}
contexts:
- name: standin
  context: {cluster: standin, user: standin}
current-context: standin
users:
- name: standin
  user: {}
EOF
}
kubeconfig "$(cat "$TMP/port")" >"$TMP/kubeconfig"
# No OpenAPI from the stand-in: kubectl apply validates nothing here.
export KUBECONFIG="$TMP/kubeconfig" BI_KUBE_VALIDATE=false BI_KUBE_POLL=0.1 BI_KUBE_TIMEOUT=5s
diag "$(kubectl version --client 2>/dev/null | head -n 1)"
image() {	# KIND NAMESPACE
	kubectl -n "$2" get "$1" shop -o jsonpath='{.spec.template.spec.containers[0].image}' 2>&1
}

# --dry-run: no cluster at all.
KUBECONFIG=/nonexistent $bi deploy --env staging --image v1 --dry-run >"$TMP/out" 2>"$TMP/err"
exit_ok $? "deploy --dry-run needs no cluster"
grep -q '^ *image: shop:v1$' "$TMP/out" && grep -q '^kind: Deployment$' "$TMP/out" && grep -q 'namespace: shop-staging' "$TMP/out"
exit_ok $? "the dry run prints the overlay rendered with the image set, in its namespace"
$bi deploy --env production --dry-run >"$TMP/out" 2>&1
grep -c '^kind: \(Rollout\|AnalysisTemplate\)$' "$TMP/out" | grep -qx 2
exit_ok $? "production's dry run holds the Rollout and its AnalysisTemplate"

# Usage: refused before anything runs.
$bi deploy --env qa >/dev/null 2>&1; is $? 2 "deploy --env qa: usage (2)"
$bi deploy --env staging --image '-v1' >/dev/null 2>"$TMP/err"; st=$?
is "$st $(grep -c "starts with '-'" "$TMP/err")" "2 1" "deploy --image -v1: refused, never passed on as a flag"
$bi deploy --env staging --image 'v1;rm' >/dev/null 2>&1; is $? 2 "deploy --image with a ';': refused"

# kubectl: staging, two versions, back to the first and forward again.
$bi deploy --env staging --image v1 >"$TMP/out" 2>"$TMP/err"
exit_ok $? "deploy --env staging --image v1"
is "$(image deployment shop-staging)" "shop:v1" "staging's Deployment runs shop:v1"
is "$(kubectl get ns shop-staging -o jsonpath='{.metadata.labels.blissful-infra\.io/project} {.metadata.labels.blissful-infra\.io/env}')" \
	"shop staging" "its namespace is labelled with the project and the environment"
$bi deploy --env staging --image v2 >/dev/null 2>&1
$bi rollback --env staging >"$TMP/out" 2>"$TMP/err"
st=$?
is "$st $(image deployment shop-staging)" "0 shop:v1" "rollback --env staging: back on shop:v1 (kubectl rollout undo)"
$bi rollback --env staging --to 2 >"$TMP/out" 2>"$TMP/err"
is "$? $(image deployment shop-staging)" "0 shop:v2" "rollback --to 2: revision 2's shop:v2 again"
$bi rollback --env staging --to -1 >/dev/null 2>"$TMP/err"; st=$?
is "$st $(grep -c "starts with '-'" "$TMP/err")" "2 1" "rollback --to -1: refused, never passed on as a flag"
$bi rollback --env staging --to 99 >/dev/null 2>&1; is $? 1 "rollback --to 99, a revision that never was: 1"
is "$(bi-store get --kind deployment | jq -r 'select(.env == "staging") | "\(.action) \(.ok) \(.image // .revision)"' | tr '\n' ',')" \
	"deploy true v1,deploy true v2,rollback true 3,rollback true 4,rollback false 99," \
	"each deploy and rollback is a deployment record in the store" 2>/dev/null

# kubectl: production's Rollout, back through its ReplicaSets.
$bi deploy --env production --image v1 >/dev/null 2>&1 && $bi deploy --env production --image v2 >"$TMP/out" 2>"$TMP/err"
exit_ok $? "deploy --env production twice: the Rollout Healthy each time"
$bi rollback --env production >"$TMP/out" 2>"$TMP/err"
st=$?
is "$st $(image rollout shop-production)" "0 shop:v1" "rollback --env production: the Rollout's template is revision 1's"
is "$(kubectl -n shop-production get rollout shop -o jsonpath='{.spec.template.metadata.labels.rollouts-pod-template-hash}')" "" \
	"without the ReplicaSet's pod-template-hash label"

# Argo CD: the Application applied, synced, its state read.
printf '\nkubernetes:\n  argocd: true\n' >>blissful-infra.yaml
$bi deploy --env production --image v3 --json >"$TMP/out" 2>"$TMP/err"
st=$?
is "$st $(jq -r '"\(.engine) \(.ok) \(.sync) \(.health) \(.phase)"' "$TMP/out")" "0 argocd true Synced Healthy Succeeded" \
	"deploy with Argo CD: synced and healthy, from .status.sync, .status.health, .status.operationState"
is "$(kubectl -n argocd get application shop-production -o jsonpath='{.spec.source.kustomize.images[0]}')" "shop=shop:v3" \
	"the image is the Application's kustomize override"
hist=$(kubectl -n argocd get application shop-production -o jsonpath='{range .status.history[*]}{.id} {end}')
is "$hist" "0 1 " "two syncs in its history (the automated one at creation, and ours)"
$bi rollback --env production --to 0 >/dev/null 2>"$TMP/err"; st=$?
is "$st $(grep -c 'refused: shop-production syncs automatically' "$TMP/err")" "4 1" "rollback while auto-sync is on: refused (4), saying why"
is "$(kubectl -n argocd get application shop-production -o jsonpath='{range .status.history[*]}{.id} {end}')" "0 1 " "and nothing synced"
kubectl -n argocd patch application shop-production --type json -p '[{"op":"remove","path":"/spec/syncPolicy/automated"}]' >/dev/null
$bi rollback --env production --to 0 >"$TMP/out" 2>"$TMP/err"; st=$?
want=$(kubectl -n argocd get application shop-production -o jsonpath='{.status.history[0].revision}')
is "$st $(kubectl -n argocd get application shop-production -o jsonpath='{.status.sync.revision}')" "0 $want" \
	"auto-sync off: rollback --to 0 syncs history 0's revision"
kubectl -n argocd annotate application shop-production standin/sync=Failed >/dev/null
$bi deploy --env production --image v4 --json >"$TMP/out" 2>"$TMP/err"; st=$?
is "$st $(jq -r '"\(.ok) \(.phase) \(.health)"' "$TMP/out")" "1 false Failed Degraded" "a sync that fails: deploy exits 1, its record says so"
sed -i 's/^  argocd: true$/  argocd: false/' blissful-infra.yaml

# Ephemeral namespaces: labelled with their expiry; gc deletes the expired only.
$bi deploy --env ephemeral --branch 'PR/7' >/dev/null 2>&1 && $bi deploy --env ephemeral --branch pr-8 >/dev/null 2>&1
exit_ok $? "deploy --env ephemeral --branch PR/7 and pr-8"
kubectl label ns shop-pr-7 blissful-infra.io/expires=1000 --overwrite >/dev/null
# Another project's expired namespace: not ours to delete.
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other-pr-1\n  labels: {blissful-infra.io/project: other, blissful-infra.io/env: ephemeral, blissful-infra.io/expires: "1000"}\n' |
	kubectl apply --validate=false -f - >/dev/null
is "$($bi env list --json | jq -r '"\(.namespace) \(.expired)"' | tr '\n' ,)" "shop-pr-7 true,shop-pr-8 false," "env list: the project's ephemeral namespaces, expired or not"
is "$($bi env gc --dry-run --json | jq -r '"\(.namespace) \(.action)"' | tr '\n' ,)" "shop-pr-7 would delete,shop-pr-8 kept," "env gc --dry-run says what it would delete"
is "$(kubectl get ns -o name | tr '\n' ,)" "namespace/other-pr-1,namespace/shop-pr-7,namespace/shop-pr-8,namespace/shop-production,namespace/shop-staging," \
	"and deletes nothing"
$bi env gc >/dev/null 2>&1
is "$? $(kubectl get ns -o name | tr '\n' ,)" "0 namespace/other-pr-1,namespace/shop-pr-8,namespace/shop-production,namespace/shop-staging," \
	"env gc deletes the expired namespace only (not the live one, not another project's)"

# status: a row per environment, and one that does not answer says so.
$bi env status --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r '"\(.env) \(.reachable) \(.version // "-") \(.replicas // "-")"' "$TMP/out" | tr '\n' ,)" \
	"0 staging true shop:v2 1/1,production true shop:v1 3/3,ephemeral true shop:latest 1/1," "env status: staging, production and each ephemeral namespace"
kill $standin; wait $standin 2>/dev/null
$bi env status --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r '"\(.env) \(.reachable) \(.phase)"' "$TMP/out" | tr '\n' ,)" "0 staging false unreachable,production false unreachable," \
	"the cluster gone: env status still answers (0), each row unreachable"
$bi status --json >"$TMP/out" 2>"$TMP/err"
is "$(grep -c '"kind":"environment".*"reachable":false' "$TMP/out")" 2 "blissful-infra status shows those rows too (whatever Docker says after)"
$bi deploy --env staging --image v9 >/dev/null 2>"$TMP/err"
is "$? $(grep -c 'does not answer' "$TMP/err")" "3 1" "deploy to an unreachable cluster: 3, saying so"
$bi env gc >/dev/null 2>&1; is $? 3 "env gc with the cluster unreachable: 3"
