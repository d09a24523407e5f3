#!/bin/sh
# demo.sh: blissful-infra's main job on this machine, from nothing: create a
# c-service project with Redis, bring it up, call it, look at it, load-test it,
# break it on purpose and score how it survives, make it fail and find out
# why, gather its context, and bring it down. Each step is timed; the project
# lives in a temporary directory and is removed at the end (BI_DEMO_KEEP=1
# keeps it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PATH=$here:$root/bin:$PATH
export PATH
. "$here/cmd/_util.sh"

bold() { if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
step() { bold ""; bold "==> $*"; t_step=$(now); }
done_step() { echo "    ($(since "$t_step") s)"; }
fail() { echo "demo: $*" >&2; exit 1; }

"$root/scripts/deps.sh" || fail "could not install what the demo needs"
step "Base images (built once, then cached)"
"$root/scripts/images.sh" debian redis bi-proxy || fail "base images"
done_step

dir=$(mktemp -d "${TMPDIR:-/tmp}/bi-demo.XXXXXX")
name=demo-$$
port=8080
if ss -ltnH "sport = :$port" | grep -q .; then
	port=$(free_port)
fi
cleanup() {
	(cd "$dir/$name" 2>/dev/null && blissful-infra down --volumes >/dev/null 2>&1)
	docker rmi "$name:latest" >/dev/null 2>&1
	[ "${BI_DEMO_KEEP:-0}" = 1 ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(now)
step "blissful-infra create $name --template c-service --database redis --port $port"
(cd "$dir" && blissful-infra create "$name" --template c-service --database redis --port "$port") ||
	fail "create"
done_step
cd "$dir/$name" || fail "no project"

step "blissful-infra up"
blissful-infra up || fail "up"
done_step

step "curl 127.0.0.1:$port/hello/world"
curl -fsS "http://127.0.0.1:$port/hello/world" || fail "the service does not answer"
echo
bold "    create to first successful curl: $(since "$t0") s"
for p in /health /ready /visits /visits; do
	printf '    GET %-8s %s\n' "$p" "$(curl -s "http://127.0.0.1:$port$p")"
done

step "blissful-infra status"
blissful-infra status

step "blissful-infra logs --tail 8"
blissful-infra logs --tail 8

step "blissful-infra perf --duration 10s --vus 10"
blissful-infra perf --duration 10s --vus 10
done_step

step "blissful-infra metrics   (what the watcher scraped during the load, over the last minute)"
sleep "$(bi-config seconds metrics.interval 5)"	# one more scrape, after the load
blissful-infra metrics
done_step

step "blissful-infra chaos --scorecard (pod-kill, network-latency, dependency-down, memory-pressure)"
blissful-infra chaos --scorecard -s pod-kill -s network-latency -s dependency-down -s memory-pressure \
	--duration 5s
done_step

step "A bad release: 30% of requests fail (the service's error knob); blissful-infra analyze"
curl -s -X POST -d '{"error_rate":0.3}' "http://127.0.0.1:$port/admin/faults" >/dev/null
bi-perf -u 4 -d 5s -q --no-thresholds "http://127.0.0.1:$port/hello/world" >/dev/null
curl -s -X POST -d '{"error_rate":0}' "http://127.0.0.1:$port/admin/faults" >/dev/null
blissful-infra analyze --since 2m
done_step

step "bi-collect --docker --git --since 10m | bi-fmt   (the context analysis reads)"
bi-collect --docker --git --since 10m | bi-fmt | tail -n 12
done_step

step "blissful-infra down --volumes"
blissful-infra down --volumes
done_step
bold ""
bold "Demo done in $(since "$t0") s."
