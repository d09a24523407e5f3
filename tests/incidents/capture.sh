#!/bin/sh
# capture.sh CASE: make an incident for real and keep what bi-collect saw.
#
# Creates a c-service project with Redis (named rca-CASE), starts it, sends
# it traffic, causes the fault CASE names with the template's fault knobs (or
# Docker, or a commit), collects logs, container events and git history with
# `bi-collect --docker --git`, and tears everything down again. The records
# go to tests/incidents/CASE/records.jsonl; write CASE/expected by hand.
# Needs Docker; takes a minute or two per case. Cases:
#   oom-leak       memory leaked per request until the kernel kills the app
#   crash-loop     the app aborts after a few requests, again after each restart
#   redis-down     Redis stopped under traffic: requests that need it fail
#   redis-fatal    Redis stopped with dep_fatal: the app exits when it loses it
#   latency        800 ms added to every request
#   error-rate     30% of requests answered 500
#   bad-deploy     a commit that makes the app exit at start, deployed
set -u
case=${1:?usage: capture.sh CASE}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/tests/incidents/$case
PATH=$root/bin:$root/scripts:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/rca-capture.XXXXXX")
name=rca-$case
port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 10000 ))

cleanup() {
	if [ -d "$work/$name" ]; then
		(cd "$work/$name" && blissful-infra down --volumes >/dev/null 2>&1)
		docker rmi -f "$name:latest" >/dev/null 2>&1
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

url=http://127.0.0.1:$port
knob() { curl -s -m 5 -X POST -d "$1" "$url/admin/faults" >/dev/null; }
traffic() {	# N [PATH...]: N rounds over the paths, 50 ms apart
	n=$1; shift
	[ $# -gt 0 ] || set -- /hello /hello/world
	i=0
	while [ $i -lt "$n" ]; do
		for p; do curl -s -m 5 "$url$p" >/dev/null 2>&1; done
		sleep 0.05
		i=$((i + 1))
	done
}
wait_up() {	# until /health answers again, at most 60 s
	i=0
	while [ $i -lt 120 ] && ! curl -s -m 1 "$url/health" >/dev/null 2>&1; do
		sleep 0.5
		i=$((i + 1))
	done
}

cd "$work" || exit 1
blissful-infra create "$name" --template c-service --database redis --port "$port" >/dev/null || exit 1
cd "$name" || exit 1
blissful-infra up >/dev/null || { echo "capture: up failed" >&2; exit 1; }
traffic 20 /hello /hello/world /visits

case $case in
oom-leak)
	knob '{"leak_kb":20480}'
	traffic 30 /hello/leak
	wait_up ;;
crash-loop)
	for round in 1 2 3; do
		knob '{"crash_after":5}'
		traffic 10 /hello
		sleep 2
		wait_up
	done ;;
redis-down)
	docker-compose -p "$name" stop redis >/dev/null 2>&1 || docker stop "${name}_redis_1" >/dev/null
	traffic 40 /visits /ready /hello ;;
redis-fatal)
	knob '{"dep_fatal":true}'
	docker-compose -p "$name" stop redis >/dev/null 2>&1 || docker stop "${name}_redis_1" >/dev/null
	sleep 5
	traffic 20 /hello ;;
latency)
	knob '{"latency_ms":800}'
	traffic 12 /hello /hello/world ;;
error-rate)
	knob '{"error_rate":0.3}'
	traffic 60 /hello /hello/world ;;
bad-deploy)
	# A change that needs a setting the deployment does not give: the new
	# version exits at start, and is restarted in a loop.
	sed -i '/^\tfaults_from_env();$/a\
	const char *secret = getenv("API_SECRET");\
	if (!secret || !*secret) {\
		log_json("ERROR", "main", NULL, "missing required setting API_SECRET");\
		return 1;\
	}' src/main.c
	grep -q API_SECRET src/main.c || { echo "capture: could not change src/main.c" >&2; exit 1; }
	git -c user.name="Dana Developer" -c user.email=dana@example.com \
		commit -qam "Sign greetings with API_SECRET" || exit 1
	blissful-infra up --timeout 20s >/dev/null 2>&1
	sleep 5 ;;
*)
	echo "capture: unknown case $case" >&2
	exit 2 ;;
esac
sleep 3
mkdir -p "$out"
bi-collect --docker --git --since 10m >"$out/records.jsonl" || exit 1
echo "capture: $(wc -l <"$out/records.jsonl") records in $out/records.jsonl"
