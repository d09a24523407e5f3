#!/bin/sh
# blissful-infra pipeline --local --push on a c-service project, with real
# Docker and a real registry (Debian's docker-registry on a free port): it
# builds, runs the unit tests, builds the image, skips the scan saying why
# (when Trivy is absent), passes the perf gate by saving a baseline, and
# pushes; the image comes back from the registry by digest and runs. Then a
# failing unit test stops the run at `test`: exit 1, the table, the log, no
# push. The store holds every run and stage.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 30
"$ROOT/scripts/images.sh" debian || { exit_ok 1 "base image"; exit 1; }
export XDG_STATE_HOME=$TMP/state
unset BI_PIPELINE_RUN JOB_NAME BUILD_NUMBER BRANCH_NAME	# not this test's Jenkins
label=org.blissful-infra.test=pipeline

name=bi-pl-$$
d=$TMP/$name
bi-scaffold --template c-service --database none --dir "$d" "$name" >/dev/null || { exit_ok 1 "scaffold"; exit 1; }
# Undone in reverse: the containers, then the images (every tag of the name).
at_exit "docker rmi -f \$(docker images -q --filter reference='$name' --filter reference='*/$name' | sort -u) >/dev/null 2>&1"
at_exit "docker rm -f \$(docker ps -aq --filter label=$label) >/dev/null 2>&1"
at_exit "blissful-infra registry stop >/dev/null 2>&1"
rp=$(free_port)
blissful-infra registry start --port "$rp" >"$TMP/out" 2>&1
exit_ok $? "a registry on 127.0.0.1:$rp"
printf 'registry: 127.0.0.1:%s\n' "$rp" >>"$d/blissful-infra.yaml"
git -C "$d" init -q && git -C "$d" add -A &&
	git -C "$d" -c user.name=t -c user.email=t@localhost commit -qm 'first: "$(touch PWNED)"'
cd "$d" || exit 1
sha=$(git rev-parse --short=12 HEAD)

blissful-infra pipeline --local --push >"$TMP/out" 2>"$TMP/err"
st=$?
sed 's/^/# /' "$TMP/out"
[ $st -eq 0 ] || tail -20 "$TMP/err" | sed 's/^/# err: /'
is $st 0 "pipeline --local --push passes"
run=$(ls .blissful-infra/pipeline | grep -v baseline)
rec=.blissful-infra/pipeline/$run/records.jsonl
stage() { jq -r --arg n "$1" 'select(.kind=="stage" and .name==$n) | '"$2" "$rec"; }
is "$(stage build .status)" passed "build passed"
is "$(stage test .status)" passed "test passed"
grep -q '^ok .*routes' ".blissful-infra/pipeline/$run/test.log"; exit_ok $? "the unit tests ran (their TAP in test.log)"
is "$(stage containerize '"\(.status) \(.image)"')" "passed $name:$sha" "containerize built $name:$sha"
docker image inspect "$name:latest" >/dev/null 2>&1; exit_ok $? "and tagged it latest"
if command -v trivy >/dev/null 2>&1; then
	skip "Trivy is installed here: the scan ran"
else
	is "$(stage scan '"\(.status): \(.reason)"')" "skipped: trivy is not installed: no vulnerability scan" \
		"the scan is skipped, saying why"
fi
is "$(stage perf '"\(.status): \(.reason)"')" "passed: no baseline: this run is saved as one" \
	"perf: the first run is the baseline"
test -s .blissful-infra/pipeline/baseline.jsonl; exit_ok $? "the baseline is saved"
is "$(stage push '"\(.status) \(.image)"')" "passed 127.0.0.1:$rp/$name:$sha" "push passed"
digest=$(stage push .digest)
case $digest in sha256:*) st=0 ;; *) st=1 ;; esac
exit_ok $st "with the registry's digest: $digest"
is "$(curl -s "http://127.0.0.1:$rp/v2/$name/tags/list" | jq -c '.tags | sort')" "[\"$sha\",\"latest\"]" \
	"the registry holds the SHA and latest"

# The perf gate fails a build slower than its baseline: here a baseline made
# from this very run with every latency divided and the throughput
# multiplied by 1000, as if the service had been that much faster.
cp .blissful-infra/pipeline/baseline.jsonl "$TMP/baseline"
jq -c 'if .kind == "perf_summary" then
	(.latency |= map_values(if type == "number" then . / 1000 else . end))
	| .rps *= 1000 | .per_second.rps |= map(. * 1000)
	| .per_second.avg_ms |= map(. / 1000) | .per_second.p95_ms |= map(. / 1000)
	| .per_second.p99_ms |= map(. / 1000) else . end' "$TMP/baseline" >.blissful-infra/pipeline/baseline.jsonl
blissful-infra pipeline --stage perf --json >"$TMP/gate" 2>/dev/null
is "$? $(jq -r 'select(.kind=="stage") | "\(.status): \(.reason)"' "$TMP/gate")" \
	"1 failed: slower than the baseline beyond 20% (bi-compare; .blissful-infra/pipeline/baseline.jsonl)" \
	"perf: a regression beyond the tolerance fails the stage"
cp "$TMP/baseline" .blissful-infra/pipeline/baseline.jsonl

# Interrupted during the perf stage, as ^C does (SIGINT to the process group;
# a background job of this shell would ignore it: python3 restores it), and
# as an abort does (SIGTERM): the stage's container goes, the stage is
# recorded failed, "interrupted", exit 128 + the signal.
# (A longer perf run, committed: a dirty tree would be another image's tag.)
printf 'pipeline:\n  perf: {duration: 60s}\n' >>blissful-infra.yaml
git -c user.name=t -c user.email=t@localhost commit -qam 'a longer perf run'
docker tag "$name:$sha" "$name:$(git rev-parse --short=12 HEAD)"
interrupt() {	# SIGNAL RUN: --stage perf in run RUN, SIGNAL once its container runs
	at_exit "docker rm -f \$(docker ps -aq --filter label=org.blissful-infra.pipeline=$2) >/dev/null 2>&1"
	BI_PIPELINE_RUN=$2 python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setpgrp()
os.execvp(sys.argv[1], sys.argv[1:])' blissful-infra pipeline --stage perf --json >"$TMP/$2" 2>"$TMP/$2.err" &
	pid=$!
	i=0
	until grep -q ' on 127\.0\.0\.1:' ".blissful-infra/pipeline/$2/perf.log" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 600 ] || break; sleep 0.1
	done
	kill -s "$1" -- "-$pid"
	wait $pid
}
interrupt INT "int-$$"
is "$? $(jq -r 'select(.kind=="stage") | "\(.name) \(.status): \(.reason)"' "$TMP/int-$$")" "130 perf failed: interrupted" \
	"SIGINT during perf: exit 130, the stage recorded failed"
is "$(jq -r 'select(.kind=="pipeline") | "\(.status) \(.failed_stage)"' "$TMP/int-$$")" "failed perf" \
	"and the run's record says so"
is "$(docker ps -aq --filter "label=org.blissful-infra.pipeline=int-$$" | wc -l)" 0 \
	"no container of the run is left"
interrupt TERM "term-$$"
is "$? $(jq -r 'select(.kind=="stage") | .reason' "$TMP/term-$$") $(docker ps -aq --filter "label=org.blissful-infra.pipeline=term-$$" | wc -l)" \
	"143 interrupted 0" "SIGTERM during perf: exit 143, interrupted, no container left"
# An image that cannot start (its program is missing): docker run creates
# the container and fails; the stage fails, and the container goes too.
printf '  image: %s-broken\n' "$name" >>blissful-infra.yaml
git -c user.name=t -c user.email=t@localhost commit -qam 'an image that cannot start'
at_exit "docker rmi -f \$(docker images -q --filter reference='$name-broken') >/dev/null 2>&1"
at_exit "docker rm -f \$(docker ps -aq --filter label=org.blissful-infra.pipeline=broken-$$) >/dev/null 2>&1"
printf 'FROM %s\nENTRYPOINT ["/no/such/program"]\n' "$name:$sha" |
	docker build -q -t "$name-broken:$(git rev-parse --short=12 HEAD)" - >/dev/null 2>&1
BI_PIPELINE_RUN=broken-$$ blissful-infra pipeline --stage perf --json >"$TMP/broken" 2>/dev/null
is "$? $(jq -r 'select(.kind=="stage") | .reason' "$TMP/broken") $(docker ps -aq --filter "label=org.blissful-infra.pipeline=broken-$$" | wc -l)" \
	"1 the image did not start 0" "an image that does not start: the stage fails, no container left"
git reset -q --hard HEAD~2

# Trivy's verdict: a stand-in that writes the report Trivy would, with one
# CRITICAL and one HIGH vulnerability.
mkdir -p "$TMP/bin"
cat >"$TMP/bin/trivy" <<'EOF'
#!/bin/sh
out=
while [ $# -gt 0 ]; do case $1 in --output) out=$2; shift ;; esac; shift; done
printf '{"ArtifactName":"x","Results":[{"Target":"x","Vulnerabilities":[%s,%s]}]}\n' \
	'{"VulnerabilityID":"CVE-2024-1","PkgName":"libc6","Severity":"CRITICAL"}' \
	'{"VulnerabilityID":"CVE-2024-2","PkgName":"zlib1g","Severity":"HIGH"}' >"$out"
EOF
chmod +x "$TMP/bin/trivy"
PATH=$TMP/bin:$PATH blissful-infra pipeline --stage scan --json >"$TMP/scan" 2>/dev/null
is "$? $(jq -r 'select(.kind=="stage") | "\(.status): \(.reason); \(.detail.high[0])"' "$TMP/scan")" \
	"1 failed: CRITICAL vulnerabilities: 1 CRITICAL, 1 HIGH, 0 MEDIUM, 0 LOW; CVE-2024-2 (zlib1g)" \
	"scan: a CRITICAL vulnerability fails it, the HIGH one is reported"

# Back from the registry by digest, with no local tag left to help.
docker rmi "127.0.0.1:$rp/$name:$sha" "127.0.0.1:$rp/$name:latest" "$name:$sha" "$name:latest" >/dev/null 2>&1
docker pull -q "127.0.0.1:$rp/$name@$digest" >"$TMP/pull" 2>&1
st=$?
sed 's/^/# /' "$TMP/pull"
exit_ok $st "docker pull 127.0.0.1:$rp/$name@$digest"
port=$(free_port)
cid=$(docker run -d --pull never --label "$label" -p "127.0.0.1:$port:8080" "127.0.0.1:$rp/$name@$digest")
bi-wait --timeout 30s --quiet "http://127.0.0.1:$port/health"
exit_ok $? "the pulled image runs and answers /health"
docker rm -f "$cid" >/dev/null 2>&1
is "$(docker ps -aq --filter "label=org.blissful-infra.pipeline=$run" | wc -l)" 0 \
	"the perf gate removed its container"

# A failing unit test.
sed -i 's|strcmp(name, "world") == 0|strcmp(name, "nobody") == 0|' tests/test_service.c
git -c user.name=t -c user.email=t@localhost commit -qam 'break a unit test'
sha2=$(git rev-parse --short=12 HEAD)
blissful-infra pipeline --local --push >"$TMP/out" 2>"$TMP/err"
is $? 1 "a failing unit test: exit 1"
sed 's/^/# /' "$TMP/out"
run2=$(sed -n 's/^Pipeline \([^ ]*\) failed at test\.$/\1/p' "$TMP/out")
grep -q '^test  *failed ' "$TMP/out" && grep -q "^Log: .blissful-infra/pipeline/$run2/test.log$" "$TMP/out"
exit_ok $? "it stops at test, with the table and the log's path"
grep -q '^not ok .*routes with the name' ".blissful-infra/pipeline/$run2/test.log"
exit_ok $? "the log holds the failing test"
is "$(curl -s "http://127.0.0.1:$rp/v2/$name/tags/list" | jq -c '.tags | sort')" "[\"$sha\",\"latest\"]" \
	"nothing was pushed ($sha2 is not in the registry)"
is "$(bi-store get -k pipeline | jq -r '"\(.status) \(.failed_stage // "-")"' | tr '\n' ',')" \
	"passed -,failed perf,failed perf,failed perf,failed perf,failed scan,failed test," "the store holds every run"
is "$(bi-store get -k stage | jq -r 'select(.run=="'"$run2"'") | .name' | wc -l)" 6 "and their stages"
is "$(find "$TMP" -name PWNED | wc -l)" 0 "the commit message ran nothing"
