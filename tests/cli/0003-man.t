#!/bin/sh
# Every tool has a man page and a place in the README; every page lints clean.
. "$(dirname "$0")/../lib.sh"
tools=$(cd "$ROOT/tools" && ls bi-*.c | sed 's/\.c$//')
n=0
for t in $tools; do n=$((n + 2)); done
plan $((n + 1))
for t in $tools; do
	[ -f "$ROOT/man/man1/$t.1" ]
	exit_ok $? "$t has man/man1/$t.1"
	grep -q "$t" "$ROOT/README.md"
	exit_ok $? "$t is in README.md"
done
out=$(mandoc -Tlint -Wwarning "$ROOT"/man/man1/*.1 "$ROOT"/man/man7/*.7 2>&1)
is "$out" "" "mandoc -Tlint is silent"
