#!/bin/sh
# Every template, with every database and Kafka choice, renders to a project
# with no variable left, YAML that parses, a compose file docker-compose
# accepts, kustomize overlays of the expected kinds, and an Argo Rollout whose
# canary steps rise to 100% between services that are rendered, under its
# analysis (tests/tools/check-project.py).
. "$(dirname "$0")/../lib.sh"
templates=$(cd "$ROOT/templates" && for d in */; do
	d=${d%/}; case $d in _*) ;; *) [ -f "$d/template.yaml" ] && echo "$d" ;; esac; done)
n=0
for t in $templates; do n=$((n + 16)); done
plan $n
if docker compose version >/dev/null 2>&1; then compose="docker compose"; else compose=docker-compose; fi
for t in $templates; do
	for db in none postgres redis both; do
		for kafka in --no-kafka --kafka; do
			d=$TMP/$t-$db$kafka
			name=p-$db
			bi-scaffold --template "$t" --database "$db" $kafka --dir "$d" "$name" >/dev/null 2>"$TMP/err" &&
				/usr/bin/python3 "$ROOT/tests/tools/check-project.py" "$d" >"$TMP/out" 2>&1
			st=$?
			sed 's/^/# /' "$TMP/err" "$TMP/out" | head -20
			exit_ok $st "$t $db $kafka: rendered, no {{ left, YAML parses, overlays and the Rollout as expected"
			if [ -f "$d/docker-compose.yaml" ]; then
				(cd "$d" && $compose -p "bi-static-$name" config -q) >"$TMP/out" 2>&1
				st=$?
				sed 's/^/# /' "$TMP/out" | head -10
			else
				diag "no docker-compose.yaml"; st=1
			fi
			exit_ok $st "$t $db $kafka: $compose config accepts the compose file"
			rm -rf "$d"
		done
	done
done
