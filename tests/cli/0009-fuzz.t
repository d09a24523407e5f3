#!/bin/sh
# The fuzz harnesses build and run clean for a few seconds each over their
# seed corpus (make fuzz runs them longer).
. "$(dirname "$0")/../lib.sh"
plan 1
make -C "$ROOT" -s fuzz FUZZ_SECONDS=${FUZZ_SECONDS:-3} >"$TMP/out" 2>&1
st=$?
sed 's/^/# /' "$TMP/out" | grep -v '^# clang' | tail -20
exit_ok $st "every harness runs without a crash, leak or sanitizer error"
