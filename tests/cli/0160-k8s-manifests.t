#!/bin/sh
# The Kubernetes manifests of every template that has them: each overlay
# renders with the kubectl on PATH (Debian's kubernetes-client, kustomize v2;
# a newer one renders them too) into documents apply would take; production's
# Rollout, its AnalysisTemplate and Services are all there, and the analysis
# queries pass promtool on series shaped as the template's service exports
# them (tests/tools/check-canary.py, tests/fixtures/k8s/exports/). The canary
# files a new project has are what deploy writes again from its
# blissful-infra.yaml, and a change to canary: changes the rendered Rollout.
# The shapes themselves are checked against the real /metrics of the two
# services that build and run here without Docker (c-service, fastapi); the
# others' are read from their sources (tests/fixtures/k8s/exports/*.shape).
. "$(dirname "$0")/../lib.sh"
templates=$(cd "$ROOT/templates" && for d in */; do
	d=${d%/}; case $d in _*) ;; *) [ -f "$d/template.yaml" ] && echo "$d" ;; esac; done)
n=0
for t in $templates; do n=$((n + 6)); done
plan $((n + 3))
missing=
for p in kubectl promtool; do command -v $p >/dev/null 2>&1 || missing="$missing $p"; done
exit_ok $([ -z "$missing" ]; echo $?) "kubectl and promtool are installed (scripts/deps.sh)${missing:+; missing:$missing}"
diag "$(kubectl version --client 2>/dev/null | head -n 1)"
export BI_LIBEXEC=$ROOT/scripts/cmd
for t in $templates; do
	d=$TMP/$t/shop
	bi-scaffold --template "$t" --deploy kubernetes --dir "$d" shop >/dev/null 2>"$TMP/err"
	if [ ! -d "$d/k8s" ]; then
		# react-vite is a frontend alone: _shared/ (and k8s/) is not its.
		for i in 1 2 3 4 5 6; do skip "$t has no k8s/ (a frontend alone)"; done
		continue
	fi
	st=0
	for o in staging production ephemeral; do
		kubectl kustomize "$d/k8s/overlays/$o" >"$TMP/$o.yaml" 2>"$TMP/err" || { st=1; sed 's/^/# /' "$TMP/err" | head -5; }
	done
	exit_ok $st "$t: every overlay renders"
	python3 -c '
import sys, yaml
bad = [i for i, d in enumerate(yaml.safe_load_all(open(sys.argv[1]))) if d is not None and not d.get("kind")]
sys.exit(1 if bad else 0)' "$TMP/production.yaml"
	exit_ok $? "$t: production renders no document without a kind (a deleted Deployment's stub)"
	python3 "$ROOT/tests/tools/check-canary.py" "$d" "$ROOT/tests/fixtures/k8s/exports/$t.shape" "$TMP/w-$t" >"$TMP/out" 2>&1
	st=$?
	sed 's/^/# /' "$TMP/out" | head -30
	exit_ok $st "$t: Rollout, AnalysisTemplate and Services rendered; the queries pass promtool check and test rules (3 % reads 3 and fails, no series fails)"
	mkdir -p "$TMP/gen-$t"
	(cd "$d" && . "$BI_LIBEXEC/_project.sh" && . "$BI_LIBEXEC/_k8s.sh" && k8s_canary_files "$TMP/gen-$t")
	st=0
	for f in canary-steps.yaml analysis-template.yaml; do
		cmp -s "$TMP/gen-$t/$f" "$d/k8s/overlays/production/$f" || { st=1; diff "$TMP/gen-$t/$f" "$d/k8s/overlays/production/$f" | head -10 | sed 's/^/# /'; }
	done
	exit_ok $st "$t: the scaffolded canary files are what blissful-infra.yaml's canary: section generates"
	# Another canary: section, written into the project as deploy does.
	sed -i 's/^  steps: \[10, 25, 50, 100\]$/  steps: [20, 60, 100]/; s/^  pause: 1m$/  pause: 45s/; s/^    error_rate: 0.01$/    error_rate: 0.025/' "$d/blissful-infra.yaml"
	(cd "$d" && . "$BI_LIBEXEC/_project.sh" && . "$BI_LIBEXEC/_k8s.sh" && k8s_canary_files "$d/k8s/overlays/production")
	got=$(kubectl kustomize "$d/k8s/overlays/production" 2>/dev/null | python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] == "Rollout":
        print(" ".join(str(s.get("setWeight", s.get("pause", {}).get("duration"))) for s in d["spec"]["strategy"]["canary"]["steps"]))
    if d and d["kind"] == "AnalysisTemplate":
        print(d["spec"]["metrics"][0]["successCondition"])')
	is "$got" "len(result) > 0 && result[0] < 2.5
20 45s 60 45s 100" "$t: steps [20, 60, 100], pause 45s and a 2.5 % error rate in blissful-infra.yaml make the rendered Rollout and analysis"
	exit_ok $([ -s "$d/k8s/argocd/application.yaml" ]; echo $?) "$t: an Argo CD Application"
	rm -rf "$TMP/$t"
done

# The shapes against what the services really write.
scrape() {	# DIR CMD...: run the service in DIR on a free port, some requests, its /metrics
	dir=$1; shift
	port=$(free_port)
	(cd "$dir" && PORT=$port HOST=127.0.0.1 BIND_ADDRESS=127.0.0.1 FAULT_ERROR_RATE=0.5 exec "$@" >"$TMP/svc.log" 2>&1) &
	svc=$!
	at_exit "kill $svc 2>/dev/null"
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$port/health" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
	for i in 1 2 3 4 5 6; do curl -s -o /dev/null "http://127.0.0.1:$port/hello/x"; done
	curl -s "http://127.0.0.1:$port/metrics"
	kill $svc 2>/dev/null
	wait $svc 2>/dev/null
}
d=$TMP/real-c/shop
bi-scaffold --template c-service --dir "$d" shop >/dev/null && (cd "$d" && make >/dev/null 2>&1)
scrape "$d" ./service >"$TMP/m.txt"
python3 "$ROOT/tests/tools/check-shape.py" "$ROOT/tests/fixtures/k8s/exports/c-service.shape" <"$TMP/m.txt" >"$TMP/out" 2>&1
st=$?
sed 's/^/# /' "$TMP/out"
exit_ok $st "c-service's real /metrics has the series, labels and bounds its shape gives promtool"
d=$TMP/real-py/shop
bi-scaffold --template fastapi --dir "$d" shop >/dev/null
scrape "$d" /usr/bin/python3 -m app >"$TMP/m.txt"
python3 "$ROOT/tests/tools/check-shape.py" "$ROOT/tests/fixtures/k8s/exports/fastapi.shape" <"$TMP/m.txt" >"$TMP/out" 2>&1
st=$?
sed 's/^/# /' "$TMP/out"
exit_ok $st "fastapi's real /metrics has the series, labels and bounds its shape gives promtool"
