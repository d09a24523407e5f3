#!/bin/sh
# bi-kb on PostgreSQL: the same cases as on SQLite (tests/kb-cases.sh), on a
# server this test starts from Debian's postgresql: a fresh cluster in a
# temporary folder, listening on loopback only at a free port, stopped when
# the test ends, whatever its end. As root, the server runs as the postgres
# user (it refuses root). A server that cannot be reached: exit 3.
. "$(dirname "$0")/../lib.sh"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ ! -x "$pgbin/initdb" ]; then
	plan 1
	if [ "${CI:-}" = true ]; then
		exit_ok 1 "PostgreSQL (Debian's postgresql) is required under CI=true"
		exit 1
	fi
	skip "no PostgreSQL server installed (Debian's postgresql)"
	exit 0
fi
plan 43
# Stopped on any end, a closed pipe included.
trap 'exit 141' PIPE HUP
cd "$TMP" || exit 1

as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
PGDATA=$TMP/pg/data
mkdir -p "$TMP/pg"
if [ "$(id -u)" -eq 0 ]; then
	chmod 711 "$TMP"
	chown postgres "$TMP/pg"
fi
port=$(free_port)
as_server "$pgbin/initdb" -D "$PGDATA" -U bi --auth=trust --no-locale -E UTF8 >"$TMP/initdb.log" 2>&1
exit_ok $? "a fresh cluster (initdb)"
at_exit "as_server '$pgbin/pg_ctl' -D '$PGDATA' -m immediate -w stop >/dev/null 2>&1"
as_server "$pgbin/pg_ctl" -D "$PGDATA" -w -t 60 -l "$TMP/pg/log" \
	-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=''" start >/dev/null 2>&1
exit_ok $? "the server started on 127.0.0.1:$port"

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=bi
kb_url() {	# the database made on first use
	psql -qAt -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1 ||
		createdb "$1"
	echo "postgresql://bi@127.0.0.1:$port/$1"
}
kb_exists() { [ "$(psql -qAt -d "$1" -c "SELECT to_regclass('kb_incidents') IS NOT NULL")" = t ]; }
kb_copy() { createdb -T "$1" "$2"; }
kb_drop() { psql -q -d "$1" -c "DROP TABLE $2 CASCADE"; }
KB_NO_TABLE='relation "kb_incidents" does not exist'
KB_BAD="postgresql://bi@127.0.0.1:$(free_port)/kb" KB_BAD_EXIT=3
KB_BAD_WHY="a server that cannot be reached"
. "$ROOT/tests/kb-cases.sh"

# Several projects at once on one history: writers take turns (an advisory
# lock), so the same trouble recorded by four at once is one incident.
shared=$(kb_url shared)
bi-rca "$TMP/day1.jsonl" 2>/dev/null >"$TMP/f"
for i in 1 2 3 4; do
	BI_DB=$shared bi-kb record <"$TMP/f" >"$TMP/rec$i" 2>&1 &
done
wait
is "$(cat "$TMP"/rec[1-4] | jq -r .id | sort -u | wc -l | tr -d ' ')" 1 "four writers at once: one incident"
is "$(BI_DB=$shared bi-kb list | jq -r .occurrences)" 1 "... seen once: the same occurrence"
BI_DB=$KB_BAD bi-rca "$TMP/day1.jsonl" >/dev/null 2>&1
is $? 3 "bi-rca with a knowledge base whose server cannot be reached: exit 3"
# A URL libpq cannot read is a usage error, not an unreachable server.
BI_DB='postgres://127.0.0.1:1/kb?bogus=1' bi-kb list >/dev/null 2>"$TMP/err"
is "$?:$(grep -c 'invalid URI query parameter' "$TMP/err")" 2:1 "bi-kb with a URL libpq cannot read: exit 2, libpq's reason"
BI_DB='postgres://127.0.0.1:1/kb?bogus=1' bi-rca "$TMP/day1.jsonl" >/dev/null 2>&1
is $? 2 "bi-rca with that URL: exit 2"
