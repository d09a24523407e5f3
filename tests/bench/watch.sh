#!/bin/sh
# The watcher under a log storm: a container writes 50,000 lines a second
# for 10 s; the watcher (bi-watch in the foreground, with its parts) must
# store every one of them, and its CPU and memory stay bounded. Prints the
# lines stored, the wall time to store them, the watcher's CPU seconds per
# 100,000 lines (its own and its parts', as getrusage counts children) and
# the peak RSS of the largest of its processes. Needs Docker and the local
# image bi-busybox (scripts/images.sh busybox).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$ROOT/bin:$PATH
TMP=$(mktemp -d)
name=bi-storm-$$
cleanup() {
	[ -n "${cid:-}" ] && docker rm -f "$cid" >/dev/null 2>&1
	[ -n "${wpid:-}" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP
docker info >/dev/null 2>&1 || { echo "watcher under a log storm: skipped (no Docker daemon)"; exit 0; }
"$ROOT/scripts/images.sh" busybox >/dev/null || exit 1

lines=${STORM_LINES:-500000} rate=${STORM_RATE:-50000}
mkdir "$TMP/p"
# Retention wide enough for the storm: the figure is about collecting.
printf 'name: %s\nmetrics:\n  interval: 5s\nlogs:\n  retention:\n    max_size: 2GB\n    max_rows: 0\n' \
	"$name" >"$TMP/p/blissful-infra.yaml"
cd "$TMP/p" || exit 1
# The watcher under python's wait, so that getrusage(RUSAGE_CHILDREN) holds
# it and every part it waited for.
python3 - "$TMP/usage" <<'PY' &
import os, resource, subprocess, sys, signal
p = subprocess.Popen(["bi-watch"], stderr=open(sys.argv[1] + ".log", "w"))
signal.signal(signal.SIGTERM, lambda *a: p.terminate())
p.wait()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%f %f %d\n" % (r.ru_utime, r.ru_stime, r.ru_maxrss))
PY
wpid=$!
sleep 2
# bi-hog's log storm: RATE lines a second, paced by the clock.
secs=$((lines / rate))
t0=$(date +%s.%N)
cid=$(docker run -d --label com.docker.compose.project="$name" --label com.docker.compose.service=storm \
	--label org.blissful-infra.test=bench-watch -v "$ROOT/bin/bi-hog:/bi-hog:ro" bi-busybox:latest \
	/bi-hog log "$rate" "$secs")
docker wait "$cid" >/dev/null
t1=$(date +%s.%N)
# Until the store holds them all, or stops growing for 20 s.
stored=0 last=-1 still=0
while [ "$stored" -lt "$lines" ] && [ $still -lt 40 ]; do
	sleep 0.5
	stored=$(python3 -c 'import sqlite3; print(sqlite3.connect(".blissful-infra/bi.db").execute("SELECT count(*) FROM records WHERE kind = '"'log'"' AND service = '"'storm'"'").fetchone()[0])' 2>/dev/null || echo 0)
	if [ "$stored" = "$last" ]; then still=$((still + 1)); else still=0; fi
	last=$stored
done
t2=$(date +%s.%N)
kill "$wpid"
wait "$wpid"
wpid=
read -r user sys maxrss <"$TMP/usage"
awk -v n="$lines" -v s="$stored" -v u="$user" -v y="$sys" -v m="$maxrss" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	printf "watcher under a log storm: %d lines at %d/s for %.1f s\n", n, n / (b - a), b - a
	printf "  stored %d of %d (%s), all stored %.1f s after the storm began\n", s, n, s == n ? "none lost" : "LOST SOME", c - a
	printf "  CPU %.2f s per 100k lines (user %.1f s, system %.1f s, watcher and its parts); peak RSS %.1f MiB\n",
		(u + y) / n * 100000, u, y, m / 1024
}'
[ "$stored" -eq "$lines" ] || { echo "  the watcher's log:"; tail -n 20 "$TMP/usage.log" | sed 's/^/    /'; exit 1; }
