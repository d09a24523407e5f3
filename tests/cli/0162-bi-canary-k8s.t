#!/bin/sh
# bi-canary --k8s: a production Rollout (as deploy renders it) read and
# patched through the real kubectl, against the stand-in API server
# (tests/tools/kube-standin.py), which holds the canary at each pause step
# as Argo Rollouts' controller does and answers promote, pause, resume,
# abort and promoteFull as it would. status reads phase, step of N, weight,
# pause and analysis; the actions write the same `canary` records.
. "$(dirname "$0")/../lib.sh"
plan 15
if ! command -v kubectl >/dev/null 2>&1; then
	exit_ok 1 "kubectl is installed (scripts/deps.sh: kubernetes-client)"
	exit 1
fi
p=$TMP/shop
bi-scaffold --template go-chi --deploy kubernetes --dir "$p" shop >/dev/null || exit 1
cd "$p" || exit 1
# The Rollout as production renders, told to hold at its pauses, its
# background analysis running.
kubectl kustomize k8s/overlays/production 2>/dev/null | python3 -c '
import json, sys, yaml
objs = [d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] == "Rollout"]
for d in objs:
    d["metadata"].setdefault("annotations", {}).update({"standin/hold": "true", "standin/analysis": "Running"})
json.dump(objs, sys.stdout)' >"$TMP/seed.json"
python3 "$ROOT/tests/tools/kube-standin.py" "$TMP/port" "$TMP/seed.json" 2>"$TMP/standin.err" &
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
export KUBECONFIG="$TMP/kubeconfig"
state() {	# the fields a person reads, from the records on stdin
	jq -r '"\(.event) \(.phase) \(.step)/\(.steps) \(.weight)% paused=\(.paused) analysis=\(.analysis // "-")"'
}

bi-canary --k8s status >"$TMP/out" 2>"$TMP/err"
is "$? $(state <"$TMP/out")" "0 status Paused 1/7 10% paused=true analysis=Running" \
	"status: at the first pause, step 1 of 7 (four weights, three pauses), 10 %, the analysis running"
is "$(jq -r '"\(.kind) \(.source) \(.namespace) \(.service)"' "$TMP/out")" "canary k8s shop-production shop" \
	"a canary record, source k8s, of the project's Rollout in its production namespace"
bi-canary --k8s promote >"$TMP/out" 2>"$TMP/err"
is "$? $(state <"$TMP/out")" "0 promote Paused 3/7 25% paused=true analysis=Running" "promote: on to the next pause, 25 %"
bi-canary --k8s pause >"$TMP/out" 2>&1
is "$(state <"$TMP/out") $(kubectl -n shop-production get rollout shop -o jsonpath='{.spec.paused}')" \
	"pause Paused 3/7 25% paused=true analysis=Running true" "pause: spec.paused set"
bi-canary --k8s promote >"$TMP/out" 2>&1
is "$(state <"$TMP/out") $(kubectl -n shop-production get rollout shop -o jsonpath='{.spec.paused}')" \
	"promote Paused 3/7 25% paused=true analysis=Running false" "promote of a Rollout paused by hand: unpaused, still at its pause step"
bi-canary --k8s pause >/dev/null 2>&1
bi-canary --k8s resume >"$TMP/out" 2>&1
is "$(kubectl -n shop-production get rollout shop -o jsonpath='{.spec.paused} {.status.currentStepIndex}')" "false 3" "resume: spec.paused off, the step unchanged"
bi-canary --k8s promote >/dev/null 2>&1
bi-canary --k8s abort >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r '"\(.event) \(.phase) \(.weight) \(.aborted)"' "$TMP/out")" "0 abort Degraded 0 true" \
	"abort: status.abort set; the Rollout Degraded, all traffic on stable"
bi-canary --k8s watch >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r .event "$TMP/out")" "1 aborted" "watch of an aborted canary: an aborted record, exit 1"

# A new revision (what deploy applies), promoted to the end.
kubectl -n shop-production patch rollout shop --type json \
	-p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"shop:v2"}]' >/dev/null
bi-canary --k8s status >"$TMP/out" 2>&1
is "$(jq -r '"\(.phase) \(.step) \(.image) \(.revision)"' "$TMP/out")" "Paused 1 shop:v2 2" "a new revision starts again at step 1"
bi-canary --k8s promote --full >"$TMP/out" 2>&1
is "$(state <"$TMP/out")" "promote Healthy 7/7 100% paused=false analysis=Running" "promote --full: to the end, Healthy, 100 %"
bi-canary --k8s watch >"$TMP/out" 2>&1
is "$? $(jq -r .event "$TMP/out")" "0 promoted" "watch of a Healthy canary: promoted, exit 0"
bi-canary --k8s promote >/dev/null 2>"$TMP/err"
is "$? $(grep -c 'nothing to promote' "$TMP/err")" "1 1" "promote past the last step: 1, nothing to promote"

# Refusals and absences.
bi-canary --k8s --rollout -x status >/dev/null 2>&1; is $? 2 "--rollout starting with '-': refused (2)"
bi-canary --k8s --namespace nowhere status >/dev/null 2>&1; is $? 1 "no such Rollout: 1"
kill $standin; wait $standin 2>/dev/null
bi-canary --k8s status >/dev/null 2>"$TMP/err"; is $? 3 "the cluster unreachable: 3"
