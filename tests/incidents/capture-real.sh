#!/bin/sh
# capture-real.sh CASE...: incidents of real software, made for real here.
#
# Each case starts a few containers (Redis, Postgres, nginx, a Python, Node
# or C process from the image tests/incidents/real/ builds) on a network of
# their own, labelled as a compose project named rca-real-CASE (so that
# bi-collect finds them) and with org.blissful-infra.capture=RUN (so that
# this script removes exactly what it started, even when interrupted). It
# sends them traffic, lets the fault happen the way it happens in the
# field, collects what `bi-collect --docker` sees from the first container
# on, and removes everything. The records go to CASE/records.jsonl; CASE/
# expected is written by hand, once, from what the capture shows. With no
# argument, every case. Needs Docker and scripts/images.sh's images; each
# case takes 20-40 s. Traffic goes to 127.0.0.1 only. BI_CAPTURE_OUT names
# another directory for the records (CASE/records.jsonl under it; the tests
# use it). Cases:
#   redis-stopped       a Python worker INCRs in Redis; Redis is stopped
#   pg-statement-timeout  a report query over 1 s under statement_timeout=1s,
#                       next to fast queries (Postgres slow log on)
#   nginx-upstream-down nginx proxies to a Python API; the API's process is
#                       killed: 502s and connect() failed (111)
#   python-crash        an importer dies on a record it cannot price: a
#                       chained traceback, exit 1, restarted twice
#   node-heap-oom       an unbounded cache under --max-old-space-size=32:
#                       V8's heap limit, abort, restarted twice
#   c-segfault          a C job runner follows a NULL pointer: SIGSEGV (139),
#                       restarted twice
#   kernel-oom          a Python process in a 64 MiB container grows until
#                       the kernel's OOM killer ends it (137, Docker's oom)
#   redis-maxmemory     the worker also stores 64 KiB sessions that never
#                       expire in a Redis with maxmemory 4mb, noeviction
#   node-crash          a Node.js job reads a field of an undefined customer:
#                       uncaught TypeError, exit 1, restarted twice
#   nginx-upstream-timeout  nginx's upstream answers in 3 s after its 30th
#                       request, past proxy_read_timeout 1s: 504s
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/incidents
PATH=$root/bin:$PATH
img=bi-capture-real:latest
run_id=capture-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
all="redis-stopped pg-statement-timeout nginx-upstream-down python-crash node-heap-oom c-segfault
kernel-oom redis-maxmemory node-crash nginx-upstream-timeout"
[ $# -gt 0 ] || set -- $all

say() { printf 'capture-real: %s\n' "$*" >&2; }

cleanup() {
	ids=$(docker ps -aq --filter "label=org.blissful-infra.capture=$run_id")
	[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
	nets=$(docker network ls -q --filter "label=org.blissful-infra.capture=$run_id")
	[ -z "$nets" ] || docker network rm $nets >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The image, rebuilt when its context changes.
sum=$(cat "$here"/real/* | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{index .Config.Labels "org.blissful-infra.context"}}' "$img" 2>/dev/null || true)
if [ "$have" != "$sum" ]; then
	"$root/scripts/images.sh" debian redis postgres || exit 1
	say "building $img"
	docker build -q -t "$img" --label org.blissful-infra.image=capture-real \
		--label org.blissful-infra.context="$sum" "$here/real" >/dev/null || exit 1
fi

# svc NAME [docker run options] IMAGE [CMD...]: a service of the project.
svc() {
	name=$1; shift
	docker run -d --name "$project-$name" --network "$project" --network-alias "$name" \
		--label "com.docker.compose.project=$project" --label "com.docker.compose.service=$name" \
		--label "org.blissful-infra.capture=$run_id" "$@" >/dev/null
}
# Until CMD (run in container C) succeeds, at most 30 s.
wait_for() {
	c=$1; shift
	i=0
	while [ $i -lt 60 ] && ! docker exec "$project-$c" "$@" >/dev/null 2>&1; do
		sleep 0.5
		i=$((i + 1))
	done
}
# N requests to URL, 100 ms apart.
traffic() {
	i=0
	while [ $i -lt "$1" ]; do
		curl -s -m 3 -o /dev/null "$2" 2>/dev/null
		sleep 0.1
		i=$((i + 1))
	done
}

capture() {
	case=$1
	project=rca-real-$case
	out=${BI_CAPTURE_OUT:-$here}/$case
	start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	docker network create --label "org.blissful-infra.capture=$run_id" "$project" >/dev/null || return 1
	case $case in
	redis-stopped)
		svc redis redis:7
		wait_for redis redis-cli ping
		svc worker "$img" python3 -u worker.py
		sleep 6
		docker stop -t 10 "$project-redis" >/dev/null	# SIGTERM, as `docker compose stop` does
		sleep 8 ;;
	pg-statement-timeout)
		svc db -e POSTGRES_PASSWORD=shop -e POSTGRES_DB=shop postgres:15 \
			postgres -c log_min_duration_statement=300
		wait_for db pg_isready -U postgres -h 127.0.0.1
		# The API: point reads by id; every few seconds a report that
		# joins orders to themselves by customer (no index), under a
		# 1 s statement_timeout, as the API's pool sets it.
		svc api -e PGHOST=db -e PGUSER=postgres -e PGPASSWORD=shop -e PGDATABASE=shop "$img" sh -c '
			psql -q -v ON_ERROR_STOP=1 -c "CREATE TABLE orders (id serial PRIMARY KEY, customer int, total numeric);
				INSERT INTO orders (customer, total) SELECT g % 500, g % 97 FROM generate_series(1, 200000) g;" &&
			echo "schema ready: 200000 orders" || exit 1
			i=0
			while :; do
				i=$((i + 1))
				n=$(psql -Atc "SELECT total FROM orders WHERE id = $((i * 7 % 200000 + 1))") &&
					echo "GET /orders/$((i * 7 % 200000 + 1)) 200 total=$n"
				if [ $((i % 10)) -eq 0 ]; then
					PGOPTIONS="-c statement_timeout=1000" psql -Atc "SELECT o1.customer, count(*)
						FROM orders o1 JOIN orders o2 ON o1.customer = o2.customer
						GROUP BY o1.customer ORDER BY 2 DESC LIMIT 5" >/dev/null &&
						echo "GET /reports/top-customers 200" ||
						echo "GET /reports/top-customers 500 report query failed"
				fi
				sleep 0.2
			done'
		sleep 25 ;;
	nginx-upstream-down | nginx-upstream-timeout)
		port=$(( 30000 + $(od -An -N2 -tu2 /dev/urandom) % 10000 ))
		slow=0
		[ "$case" = nginx-upstream-timeout ] && slow=30
		svc app -e SLOW_AFTER=$slow "$img" sh -c 'python3 -u upstream.py; sleep 3600'
		wait_for app curl -sf http://127.0.0.1:8000/health
		svc proxy -p "127.0.0.1:$port:80" "$img" nginx -c /opt/real/nginx.conf
		sleep 1
		traffic 30 "http://127.0.0.1:$port/orders"
		if [ "$case" = nginx-upstream-timeout ]; then
			# The API has slowed down (it answers, in 3 s).
			traffic 25 "http://127.0.0.1:$port/orders"
			sleep 3
		else
			# The API's process dies (killed, as the OOM killer or an
			# operator would); its container stays, nothing listens.
			docker exec "$project-app" sh -c 'kill -9 "$(cat /tmp/upstream.pid)"' ||
				{ say "$case: could not kill the upstream"; return 1; }
			traffic 40 "http://127.0.0.1:$port/orders"
		fi ;;
	python-crash)
		svc importer --restart on-failure:2 "$img" python3 -u crash.py
		sleep 18 ;;
	node-heap-oom)
		svc cache --restart on-failure:2 "$img" node --max-old-space-size=32 leak.js
		sleep 25 ;;
	c-segfault)
		svc jobs --restart on-failure:2 "$img" segv 12
		sleep 18 ;;
	kernel-oom)
		svc report --memory 64m --memory-swap 64m "$img" python3 -u -c '
import logging, time
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("report")
rows = []
for batch in range(1, 1000):
    rows.extend(bytearray(1024) for _ in range(4096))   # 4 MiB a batch, never freed
    log.info("loaded batch %d: %d rows", batch, len(rows))
    time.sleep(0.2)'
		sleep 10 ;;
	redis-maxmemory)
		svc redis redis:7 redis-server --bind 0.0.0.0 --protected-mode no \
			--maxmemory 4mb --maxmemory-policy noeviction
		wait_for redis redis-cli ping
		svc worker -e SESSION_BYTES=65536 "$img" python3 -u worker.py
		sleep 15 ;;
	node-crash)
		svc payouts --restart on-failure:2 "$img" node crash.js
		sleep 12 ;;
	*)
		say "unknown case $case ($all)"
		return 2 ;;
	esac
	sleep 2
	mkdir -p "$out"
	bi-collect --docker --project "$project" --since "$start" >"$out/records.jsonl" || return 1
	say "$case: $(wc -l <"$out/records.jsonl") records in $out/records.jsonl"
	cleanup
}

status=0
for c; do
	capture "$c" || { say "$c: failed"; status=1; cleanup; }
done
exit $status
