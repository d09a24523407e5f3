#!/bin/sh
# blissful-infra pipeline without Docker: its options, the stage names
# Jenkins relies on, what it detects in a project, quoting of git's values,
# a failed stage; bi-pipeline's records and Trivy reading; and
# blissful-infra registry (a host process, no Docker needed).
. "$(dirname "$0")/../lib.sh"
plan 74
export XDG_STATE_HOME=$TMP/state
unset BI_PIPELINE_RUN JOB_NAME BUILD_NUMBER BRANCH_NAME	# not this test's Jenkins
bip() { blissful-infra pipeline "$@"; }

# Options, outside any project.
cd "$TMP" || exit 1
is "$(bip --list-stages | tr '\n' ' ')" "build test containerize scan perf push " \
	"--list-stages: the six stages in order, one a line"
bip --help >/dev/null; is $? 0 "--help"
bip --bogus >/dev/null 2>&1; is $? 2 "an unknown option: exit 2"
bip --stage deploy >/dev/null 2>"$TMP/err"; is $? 2 "--stage of no stage: exit 2"
grep -q "no stage named 'deploy'" "$TMP/err"; exit_ok $? "and it says so"
bip --stage 'de\cploy' >/dev/null 2>"$TMP/err"
is "$(cat "$TMP/err")" "blissful-infra pipeline: no stage named 'de\\cploy' (--list-stages)" \
	"a name with a backslash: said as it is"
bip --stage "build test" >/dev/null 2>&1; is $? 2 "--stage of two names: exit 2"
bip --local >/dev/null 2>&1; is $? 2 "outside a project: exit 2"
blissful-infra help | grep -q '^  pipeline  *build, test'; exit_ok $? "help lists pipeline"
blissful-infra help | grep -q '^  registry  *run a local image registry'; exit_ok $? "help lists registry"

# Detection: what --dry-run says the build and the test stages would run.
proj() {	# DIR FILE...: a project holding these (empty) files
	d=$TMP/$1; shift
	mkdir -p "$d"
	printf 'name: p\n' >"$d/blissful-infra.yaml"
	for f; do mkdir -p "$(dirname "$d/$f")"; : >"$d/$f"; done
}
plan_of() { (cd "$TMP/$1" && bip --dry-run | sed -n "s/^$2  *//p"); }
proj mk Makefile; printf 'all:\n\ttrue\ntest:\n\ttrue\n' >"$TMP/mk/Makefile"
is "$(plan_of mk build) | $(plan_of mk test)" "make (in .) | make test (in .)" "a Makefile: make, make test"
proj mkb Makefile; printf 'build:\n\ttrue\n' >"$TMP/mkb/Makefile"
is "$(plan_of mkb build)" "make build (in .)" "a Makefile with a build target: make build"
proj npm package.json package-lock.json
is "$(plan_of npm build) | $(plan_of npm test)" "npm ci && npm run build --if-present (in .) | npm test (in .)" \
	"package.json and its lock: npm ci, npm test"
proj go go.mod
is "$(plan_of go build) | $(plan_of go test)" "go build ./... (in .) | go test ./... (in .)" "go.mod: go build, go test"
proj py pyproject.toml requirements-dev.txt
is "$(plan_of py build) | $(plan_of py test)" \
	"python3 -m pip install -r requirements-dev.txt (in .) | python3 -m pytest (in .)" "pyproject: pip, pytest"
proj mvn pom.xml
is "$(plan_of mvn test)" "mvn -B -ntp test (in .)" "pom.xml: maven"
proj gr gradlew
is "$(plan_of gr build)" "./gradlew build -x test (in .)" "gradlew: gradle's wrapper"
proj fs backend/package.json backend/Dockerfile frontend/package.json
# Outside git, the image is tagged by the run (its time): RUN here.
is "$(plan_of fs test) | $(plan_of fs containerize | sed 's/p:run-[^ ]*/p:run-RUN/')" \
	"npm test (in backend) | docker build -f backend/Dockerfile -t p:run-RUN -t p:latest backend" \
	"no build file at the root: the backend folder, and its Dockerfile"
proj ov Makefile
printf 'name: p\npipeline:\n  build: "./build.sh --fast"\n  test: ./check.sh\n' >"$TMP/ov/blissful-infra.yaml"
is "$(plan_of ov build) | $(plan_of ov test)" "./build.sh --fast (in .) | ./check.sh (in .)" \
	"blissful-infra.yaml's pipeline.build and pipeline.test win"

# A run without Docker: a project with no Dockerfile and no load scenario,
# on a branch and a commit whose names would run commands if a shell read them.
p=$TMP/q
mkdir -p "$p"
printf 'name: q\n' >"$p/blissful-infra.yaml"
printf 'build:\n\techo built >built.txt\ntest:\n\techo "ran the tests"\n\ttest ! -f fail\n' >"$p/Makefile"
branch='feat/$(touch${IFS}PWNED1)"q'"'"'`touch${IFS}PWNED2`'
msg='it'"'"'s "$(touch PWNED3)" and `touch PWNED4` with  spaces'
git -C "$p" init -q && git -C "$p" add -A &&
	git -C "$p" -c user.name=t -c user.email=t@localhost commit -qm "$msg" &&
	git -C "$p" checkout -q -b "$branch"
exit_ok $? "a git branch named $branch"
cd "$p" || exit 1
bip --local >"$TMP/out" 2>"$TMP/err"
st=$?
sed 's/^/# /' "$TMP/out"
is $st 0 "the pipeline passes"
run=$(ls .blissful-infra/pipeline)
rec=.blissful-infra/pipeline/$run/records.jsonl
is "$(jq -r 'select(.kind=="stage") | "\(.name) \(.status)"' "$rec" | tr '\n' ',')" \
	"build passed,test passed,containerize skipped,scan skipped,perf skipped,push skipped," \
	"stage records: built and tested, the rest skipped"
is "$(jq -r 'select(.name=="push") | .reason' "$rec")" "not asked (--push)" "push says why it was skipped"
is "$(jq -r 'select(.name=="containerize") | .reason' "$rec")" "no Dockerfile (pipeline.dockerfile)" \
	"containerize says why"
is "$(jq -r 'select(.kind=="pipeline") | .branch' "$rec")" "$branch" "the branch, byte for byte, in the run's record"
is "$(jq -r 'select(.kind=="pipeline") | .msg' "$rec")" "$msg" "the commit message too"
is "$(jq -r 'select(.kind=="pipeline") | .sha' "$rec")" "$(git rev-parse HEAD)" "and the SHA"
is "$(find "$TMP" -name 'PWNED*' | wc -l)" 0 "no shell ran what the branch or message holds"
grep -q 'ran the tests' ".blissful-infra/pipeline/$run/test.log"; exit_ok $? "the test stage's output is in its log"

# Jenkins: a detached HEAD, the branch from BRANCH_NAME, one stage per
# invocation, all in one run named by the job and the build number (what
# Jenkins sets in every step).
git checkout -q --detach
ls .blissful-infra/pipeline >"$TMP/runs.before"
for s in build test; do
	BRANCH_NAME='release 1 $(touch PWNED5) "x" \c' JOB_NAME='shop/feat%2Fx $(touch PWNED6)' BUILD_NUMBER=7 \
		bip --stage $s >"$TMP/out" 2>&1 || break
done
is $? 0 "--stage build, then --stage test, alone"
is "$(grep '^Pipeline' "$TMP/out")" \
	"Pipeline shop-feat-2Fx---touch-PWNED6--7 passed on release 1 \$(touch PWNED5) \"x\" \\c at $(git rev-parse --short=12 HEAD)." \
	"it says so, with the branch as it is"
ls .blissful-infra/pipeline | grep -vxF -f "$TMP/runs.before" >"$TMP/runs.new"
is "$(cat "$TMP/runs.new")" "shop-feat-2Fx---touch-PWNED6--7" \
	"one run for both: the job's name and build number, odd characters replaced"
jrec='.blissful-infra/pipeline/shop-feat-2Fx---touch-PWNED6--7/records.jsonl'
is "$(jq -r 'select(.kind=="stage") | .name' "$jrec" 2>/dev/null | tr '\n' ' ')" "build test " \
	"it holds both stages' records"
is "$(tail -n 1 "$jrec" | jq -c '[.kind, .status, [.stages[].name]]' 2>/dev/null)" '["pipeline","passed",["build","test"]]' \
	"and the run's last record sums up both"
is "$(tail -n 1 "$jrec" | jq -r .branch 2>/dev/null)" 'release 1 $(touch PWNED5) "x" \c' \
	"a detached HEAD's branch is BRANCH_NAME, as it is"
is "$(find "$TMP" -name 'PWNED*' | wc -l)" 0 "still nothing ran"

# A failed test stops the run there.
git checkout -q "$branch"
: >fail
bip --local >"$TMP/out" 2>"$TMP/err"
is $? 1 "a failing test: exit 1"
sed 's/^/# /' "$TMP/out"
run2=$(sed -n 's/^Pipeline \([^ ]*\) failed at test\.$/\1/p' "$TMP/out")
exit_ok $((! ${#run2})) "it says it failed at test"
grep -q "^Log: .blissful-infra/pipeline/$run2/test.log$" "$TMP/out"; exit_ok $? "it names the test's log"
grep -q '^test  *failed .*tests failed: .make test. exited 2' "$TMP/out"; exit_ok $? "the table shows the failure and why"
is "$(jq -r 'select(.kind=="stage" and .status=="skipped") | .reason' ".blissful-infra/pipeline/$run2/records.jsonl" | sort -u)" \
	"not run: test failed" "nothing after it ran"
is "$(bi-store get -k pipeline | jq -r '"\(.status) \(.failed_stage // "-")"' | sort | tr '\n' ',')" \
	"failed test,passed -,passed -,passed -," \
	"the store holds the runs (two here; Jenkins's, as its two invocations summed it up)"
is "$(bi-store get -k stage | jq -r 'select(.run=="'"$run2"'") | .name' | wc -l)" 6 "and the failed run's six stage records"
bi-store get -k pipeline | bi-fmt >"$TMP/runs"; sed "s/^/# /" "$TMP/runs"
grep -q "  $run2  *failed  *test  " "$TMP/runs"
exit_ok $? "bi-fmt lists the runs as a table"

# Cloud registries: the login command runs when the provider is set (a
# stand-in CLI records how it was called), and is named when its CLI is
# missing. Neither reaches any network: there is no image to push after.
rm -f fail
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/gcloud.args"\n' "$TMP" >"$TMP/bin/gcloud"
chmod +x "$TMP/bin/gcloud"
cp blissful-infra.yaml "$TMP/yaml"
printf 'registry:\n  url: registry.example.test/team\n  provider: gcr\n' >>blissful-infra.yaml
PATH=$TMP/bin:$PATH bip --stage push >/dev/null 2>&1
is "$(tr '\n' ' ' <"$TMP/gcloud.args")" "auth configure-docker registry.example.test --quiet " \
	"provider gcr: gcloud auth configure-docker HOST runs first"
cp "$TMP/yaml" blissful-infra.yaml
printf 'registry:\n  url: team.example.test\n  provider: acr\n' >>blissful-infra.yaml
if command -v az >/dev/null 2>&1; then
	skip "an az CLI is installed here"
else
	bip --stage push --json >"$TMP/out" 2>/dev/null
	is "$? $(jq -r 'select(.kind=="stage") | .reason' "$TMP/out")" \
		"1 registry.provider acr needs the az CLI: az acr login --name team" \
		"provider acr without az: the push fails naming the command"
fi
cp "$TMP/yaml" blissful-infra.yaml
git checkout -q -- blissful-infra.yaml

# A Trivy that leaves a report nobody can read (stand-ins for docker, which
# answers and has the image, and trivy): the scan fails, its record is kept,
# and the run says it failed there.
mkdir -p "$TMP/sbin"
printf '#!/bin/sh\n[ "$1" = info ] || [ "$1 $2" = "image inspect" ]\n' >"$TMP/sbin/docker"
printf '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" != --output ] || : >"$2"; shift; done\n' >"$TMP/sbin/trivy"
chmod +x "$TMP/sbin/docker" "$TMP/sbin/trivy"
PATH=$TMP/sbin:$PATH bip --local --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r 'select(.kind=="stage" and .name=="scan") | "\(.status): \(.reason)"' "$TMP/out" | sed 's|(.*trivy.json)|(REPORT)|')" \
	"1 failed: cannot read Trivy's report (REPORT)" "an unreadable Trivy report: the scan fails, with its record"
is "$(jq -r 'select(.kind=="pipeline") | "\(.status) \(.failed_stage)"' "$TMP/out")" "failed scan" \
	"and the run's record says it failed at the scan"
run3=$(jq -r 'select(.kind=="pipeline") | .run' "$TMP/out")
is "$(jq -r 'select(.kind=="stage") | .name' ".blissful-infra/pipeline/$run3/records.jsonl" | tr '\n' ' ')" \
	"build test containerize scan perf push " "its file holds every stage's record"
# Whatever a stage attaches, its record is kept without it when the
# attachment holds none: here a bi-pipeline whose trivy writes no record.
printf '{"Results":null}\n' >"$TMP/report.json"
printf '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" != --output ] || cp "%s/report.json" "$2"; shift; done\n' \
	"$TMP" >"$TMP/sbin/trivy"
printf '#!/bin/sh\n[ "$1" != trivy ] || exit 0\nexec "%s/bin/bi-pipeline" "$@"\n' "$ROOT" >"$TMP/sbin/bi-pipeline"
chmod +x "$TMP/sbin/bi-pipeline"
# (The subcommand as the dispatcher runs it, but with the stand-in first in PATH.)
PATH=$TMP/sbin:$PATH BI_LIBEXEC=$ROOT/scripts/cmd BI_SCRIPTS=$ROOT/scripts \
	sh "$ROOT/scripts/cmd/pipeline" --stage scan --json >"$TMP/out" 2>"$TMP/err"
is "$? $(jq -r 'select(.kind=="stage") | "\(.name) \(.status) \(.detail)"' "$TMP/out")" "0 scan passed null" \
	"a stage whose attachment holds no record: its record, without the detail"
grep -q 'has no detail' "$TMP/err"; exit_ok $? "and it says so"

# Docker does not answer (a socket nobody listens on): every stage that
# needs it fails with 3, never takes the silence for "no image" and skips.
mkdir -p "$TMP/tbin" perf
cp "$TMP/sbin/trivy" "$TMP/tbin/trivy"
: >perf/load.yaml
export DOCKER_HOST="unix://$TMP/nobody.sock"
for s in scan perf; do
	PATH=$TMP/tbin:$PATH bip --stage $s --json >"$TMP/out" 2>/dev/null
	printf '%s %s\n' $? "$(jq -r 'select(.kind=="stage") | "\(.status): \(.reason)"' "$TMP/out")"
done >"$TMP/got"
printf 'registry: 127.0.0.1:9\n' >>blissful-infra.yaml	# push needs one (and reaches none)
PATH=$TMP/tbin:$PATH bip --stage push --json >"$TMP/out" 2>/dev/null
printf '%s %s\n' $? "$(jq -r 'select(.kind=="stage") | "\(.status): \(.reason)"' "$TMP/out")" >>"$TMP/got"
git checkout -q -- blissful-infra.yaml
: >Dockerfile
bip --local --json >"$TMP/out" 2>/dev/null
printf '%s %s\n' $? "$(jq -r 'select(.kind=="pipeline") | "\(.status) at \(.failed_stage): \(.reason)"' "$TMP/out")" >>"$TMP/got"
rm -f Dockerfile perf/load.yaml
unset DOCKER_HOST
d="Docker does not answer at unix://$TMP/nobody.sock"
is "$(cat "$TMP/got")" "3 failed: $d
3 failed: $d
3 failed: $d
3 failed at containerize: $d" "Docker unreachable: scan, perf, push and containerize fail with exit 3"

# SIGTERM to the pipeline alone, during a build that ends only when told:
# the build ends, is recorded failed "interrupted", the rest are not run,
# and the exit status is 143.
t=$TMP/term
mkdir -p "$t"
printf 'name: t\npipeline:\n  build: sh wait.sh\n' >"$t/blissful-infra.yaml"
printf 'while [ ! -f go ]; do sleep 0.1; done\n' >"$t/wait.sh"
(cd "$t" && exec blissful-infra pipeline --local --json >"$TMP/out" 2>/dev/null) &
pid=$!
i=0
until grep -q 'wait.sh' "$t"/.blissful-infra/pipeline/*/build.log 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
done
kill -TERM $pid
: >"$t/go"
wait $pid
is "$? $(jq -r 'select(.kind=="stage") | "\(.name) \(.status): \(.reason)"' "$TMP/out" | head -n 2 | tr '\n' ,)" \
	"143 build failed: interrupted,test skipped: not run: interrupted," \
	"SIGTERM: the stage it interrupted failed, the rest not run, exit 143"

# bi-pipeline itself.
bi-pipeline stage --run r --name scan --status failed >/dev/null 2>&1
is $? 2 "a failed stage without a reason is refused"
for ms in nan inf 1e999 -1 5x; do
	bi-pipeline stage --run r --name scan --status passed --ms $ms >/dev/null 2>&1
	printf '%s ' $?
done >"$TMP/got"
is "$(cat "$TMP/got")" "2 2 2 2 2 " "--ms: nan, inf, an overflow, a negative or no number is refused"
cat >"$TMP/trivy.json" <<'EOF'
{"SchemaVersion":2,"ArtifactName":"svc:abc","Results":[
 {"Target":"svc:abc (debian 12.2)","Vulnerabilities":[
  {"VulnerabilityID":"CVE-2023-1","PkgName":"libc6","Severity":"CRITICAL"},
  {"VulnerabilityID":"CVE-2023-2","PkgName":"zlib1g","Severity":"HIGH"},
  {"VulnerabilityID":"CVE-2023-3","PkgName":"zlib1g","Severity":"LOW"},
  {"VulnerabilityID":"CVE-2023-4","PkgName":"tar","Severity":"NEGLIGIBLE"}]},
 {"Target":"app","Vulnerabilities":null}]}
EOF
out=$(bi-pipeline trivy "$TMP/trivy.json")
is $? 1 "trivy: a CRITICAL vulnerability fails"
is "$(printf '%s' "$out" | jq -c '[.counts, .critical, .high, .summary, .image]')" \
	'[{"CRITICAL":1,"HIGH":1,"MEDIUM":0,"LOW":1,"UNKNOWN":1},["CVE-2023-1 (libc6)"],["CVE-2023-2 (zlib1g)"],"1 CRITICAL, 1 HIGH, 0 MEDIUM, 1 LOW","svc:abc"]' \
	"counted by severity, CRITICAL and HIGH named"
sed '/CRITICAL/d' "$TMP/trivy.json" | bi-pipeline trivy >/dev/null
is $? 0 "HIGH alone is reported, not failed"
is "$(printf '{"Results":null}' | bi-pipeline trivy | jq -c .counts)" \
	'{"CRITICAL":0,"HIGH":0,"MEDIUM":0,"LOW":0,"UNKNOWN":0}' "nothing scanned counts nothing"
printf 'not json' | bi-pipeline trivy >/dev/null 2>&1
is $? 2 "what is not Trivy's JSON: exit 2"
# A stage run again in the same run (Jenkins' retry): its last record counts.
for a in "build passed" "test failed" "test passed" "scan passed" "scan failed"; do
	set -- $a
	bi-pipeline stage --run r1 --name "$1" --status "$2" --reason "attempt" --ms 10
done >"$TMP/retry.jsonl"
head -n 3 "$TMP/retry.jsonl" >"$TMP/retry3.jsonl"
out=$(bi-pipeline summary --run r1 "$TMP/retry3.jsonl")
is "$? $(printf '%s' "$out" | jq -c '[.status, .passed, .failed, .duration_ms, [.stages[] | .name + " " + .status]]')" \
	'0 ["passed",2,0,30,["build passed","test passed"]]' "a failed stage that passed when run again: the run passed"
out=$(bi-pipeline summary --run r1 "$TMP/retry.jsonl")
is "$? $(printf '%s' "$out" | jq -c '[.status, .failed_stage, .passed, .failed, [.stages[].name]]')" \
	'1 ["failed","scan",2,1,["build","test","scan"]]' "one that failed when run again: the run failed there"

# The registry, on a free port.
rp=$(free_port)
blissful-infra registry status >/dev/null; is $? 1 "registry status: not running, exit 1"
blissful-infra registry start --port x >/dev/null 2>&1; is $? 2 "registry: a bad port, exit 2"
at_exit "blissful-infra registry stop >/dev/null 2>&1"
blissful-infra registry start --port "$rp" >"$TMP/out" 2>&1
st=$?
sed 's/^/# /' "$TMP/out"
is $st 0 "registry start"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rp/v2/")" 200 "it answers the v2 API on 127.0.0.1"
blissful-infra registry status >/dev/null; is $? 0 "registry status: running"
XDG_STATE_HOME=$TMP/state2 blissful-infra registry start --port "$rp" >/dev/null 2>"$TMP/err"
is $? 1 "another registry on a port in use: exit 1"
grep -q "port $rp is already in use" "$TMP/err"; exit_ok $? "saying the port is in use"
blissful-infra registry start --port "$rp" >"$TMP/out"; is "$? $(cut -d, -f1 "$TMP/out")" \
	"0 registry: already running" "start again: already running, exit 0"
test -d "$XDG_STATE_HOME/blissful-infra/registry/data"; exit_ok $? "its data under XDG_STATE_HOME"
blissful-infra registry stop >/dev/null; blissful-infra registry status >/dev/null
is $? 1 "stopped, status says not running"
# A pidfile left by a registry that died, whose pid another program now has.
echo $$ >"$XDG_STATE_HOME/blissful-infra/registry/registry.pid"
blissful-infra registry status >"$TMP/out"
is "$? $(cat "$TMP/out")" "1 registry: not running (a stale pidfile: $XDG_STATE_HOME/blissful-infra/registry/registry.pid)" \
	"a stale pidfile: not running, and said"
blissful-infra registry stop >/dev/null
test -f "$XDG_STATE_HOME/blissful-infra/registry/registry.pid"; is $? 1 "stop removes the stale pidfile and kills nothing"
