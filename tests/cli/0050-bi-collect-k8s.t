#!/bin/sh
# bi-collect --k8s against a stand-in kubectl (tests/fixtures/k8s): events and
# the pod states they age out of, in time order and within the window; a
# cluster that refuses us, or no kubectl, is one warning and no records; and
# what it collects is enough for bi-rca to name the OOM kill.
. "$(dirname "$0")/../lib.sh"
plan 9
FIX=$ROOT/tests/fixtures/k8s
cd "$TMP" || exit 1

PATH=$FIX:$PATH bi-collect --k8s --since all >out 2>err
exit_ok $? "bi-collect --k8s exits 0"
is "$(jq -r '.reason' out | tr '\n' ' ')" "Scheduled SystemOOM OOMKilled BackOff CrashLoopBackOff " \
	"events and pod states, oldest first"
is "$(jq -r 'select(.reason == "OOMKilled") | [.kind, .ts, .object, .count] | @tsv' out)" \
	"$(printf 'k8s_event\t2026-11-20T10:14:59.000Z\tPod/shop-7d9c5b6f4-x2x8k\t5')" \
	"the OOM kill: when, which pod, how many restarts"
is "$(cat err)" "" "kubectl's warning on stderr does not spoil its JSON"

PATH=$FIX:$PATH bi-collect --k8s --since 2026-11-20T10:10:00Z --until 2026-11-20T10:15:00Z >win
is "$(jq -r .reason win | tr '\n' ' ')" "SystemOOM OOMKilled " "--since and --until bound the window"

KUBECTL_FAIL="error: You must be logged in to the server (Unauthorized)" PATH=$FIX:$PATH \
	bi-collect --k8s --since all >out 2>err
st=$?
is "$st $(wc -c <out)" "0 0" "a cluster that refuses us: exit 0, no records"
is "$(cat err)" "bi-collect: no Kubernetes cluster to read (kubectl: error: You must be logged in to the server (Unauthorized))" \
	"one warning, with kubectl's reason"

PATH=$ROOT/bin bi-collect --k8s --since all >out 2>err
is "$(cat err)" "bi-collect: no Kubernetes cluster to read (kubectl: kubectl is not installed)" \
	"no kubectl: said so"

PATH=$FIX:$PATH bi-collect --k8s --since all | bi-rca >rca
jq -r 'select(.kind == "finding") | .title' rca | head -1 | grep -qi 'memory'
exit_ok $? "bi-rca names the OOM kill first: $(jq -r .title rca | head -1)"
