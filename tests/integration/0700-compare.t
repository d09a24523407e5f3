#!/bin/sh
# blissful-infra compare: two refs of a c-service project, the newer one with
# the latency knob raised, each built and loaded in turn; the faster one wins,
# the comparison is saved, and the repository and Docker are left as found.
. "$(dirname "$0")/../lib.sh"
need_docker
plan 8
"$ROOT/scripts/images.sh" debian >/dev/null || { exit_ok 1 "base image"; exit 1; }
cd "$TMP" || exit 1
name=bi-cmp-$$
blissful-infra create "$name" --port 18080 >/dev/null
exit_ok $? "create"
cd "$name" || exit 1
sed -i 's/FAULT_LATENCY_MS:-0/FAULT_LATENCY_MS:-40/' docker-compose.yaml
git -c user.name=t -c user.email=t@localhost commit -qam "Slow every request by 40 ms"
head=$(git rev-parse HEAD)
blissful-infra compare --old HEAD~1 --new HEAD --duration 5s --vus 4 --json >"$TMP/out" 2>"$TMP/err"
st=$?
sed 's/^/# /' "$TMP/err" | tail -5
exit_ok $st "compare ran"
winner=$(jq -r 'select(.metric=="overall") | .winner' "$TMP/out")
is "$winner" old "the faster ref (the old one) wins"
jq -r 'select(.metric=="p95") | "\(.winner) \(.new > .old)"' "$TMP/out" | grep -q '^old true$'
exit_ok $? "p95 says why"
ls .blissful-infra/compare/*-comparison.jsonl .blissful-infra/compare/*-old.jsonl \
	.blissful-infra/compare/*-new.jsonl >/dev/null 2>&1
exit_ok $? "the comparison and both runs saved"
is "$(git rev-parse HEAD) $(git status --porcelain | grep -v '^?? .blissful-infra' | wc -l)" "$head 0" \
	"the repository is where it was"
is "$(git worktree list | wc -l)" 1 "no worktree left"
is "$(docker ps -aq --filter "label=com.docker.compose.project=$name-cmp-old" --filter \
	"label=com.docker.compose.project=$name-cmp-new" | wc -l) $(docker images -q "$name-cmp-*" | wc -l)" "0 0" \
	"no container or image of the comparison left"
