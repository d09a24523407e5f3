#!/bin/sh
# A fresh Debian 12 builds the project: the tree as it would be committed
# (tracked and new files, not the ignored build products) is copied into a
# bare debian:bookworm-slim container. With only make and a compiler, make
# refuses before the first compile and names the packages to install;
# scripts/deps.sh --build installs them (and nothing of the test set); then
# make -j2 builds every tool without -Werror, and the tools run.
. "$(dirname "$0")/../lib.sh"
need_docker
if ! git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	plan 1
	skip "not a git work tree: no committed tree to copy"
	exit 0
fi
plan 20

now() { date +%s%N; }
took() {	# PHASE START
	diag "$1: $(awk -v a="$2" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
}
show() { sed 's/^/#   /' "$1"; }	# FILE, as diagnostics

t=$(now)
"$ROOT/scripts/images.sh" debian >"$TMP/images" 2>&1
st=$?
[ $st -eq 0 ] || show "$TMP/images"
exit_ok $st "the base image debian:bookworm-slim"
[ $st -eq 0 ] || exit 1
took "base image" "$t"

# The tree as it would be committed. A tracked file deleted in the work tree
# (mid-edit) is left out, as the commit would leave it.
t=$(now)
git -C "$ROOT" ls-files -co --exclude-standard >"$TMP/files"
n=$(grep -c . "$TMP/files")
products=$(grep -E '^(bin/|build/|lib/libbi\.a$)' "$TMP/files")
[ "$n" -gt 0 ] && [ -z "$products" ]
exit_ok $? "the tree lists $n files and no build product${products:+ (listed: $products)}"
git -C "$ROOT" ls-files -z -co --exclude-standard |
	tar -C "$ROOT" --null -T - --ignore-failed-read -cf "$TMP/tree.tar" 2>"$TMP/tar.err"
st=$?
[ -s "$TMP/tar.err" ] && show "$TMP/tar.err"
exit_ok $st "the tree tarred ($(du -k "$TMP/tree.tar" | cut -f1) KiB)"

name=bi-fresh-build-$$
at_exit "docker rm -f $name >/dev/null 2>&1"
docker run -d --rm --name "$name" --label org.blissful-infra.test=0010-fresh-build \
	debian:bookworm-slim sleep 1800 >/dev/null 2>"$TMP/err"
st=$?
[ $st -eq 0 ] || show "$TMP/err"
exit_ok $st "a fresh container from debian:bookworm-slim"
[ $st -eq 0 ] || exit 1
cx() { docker exec -w /src "$name" sh -c "$*"; }
docker exec "$name" mkdir /src && docker cp - "$name:/src" <"$TMP/tree.tar" 2>"$TMP/err"
st=$?
[ $st -eq 0 ] || show "$TMP/err"
exit_ok $st "the tree copied in"
took "tree tarred and copied" "$t"

# Only make and a compiler. apt's recommends stay out, as deps.sh leaves them,
# so not even libc6-dev comes with gcc.
t=$(now)
cx 'export DEBIAN_FRONTEND=noninteractive; apt-get update -q &&
	apt-get install -y -q --no-install-recommends make gcc' >"$TMP/apt" 2>&1
st=$?
[ $st -eq 0 ] || { tail -20 "$TMP/apt" | show /dev/stdin; diag "the container cannot install from Debian's mirror"; }
exit_ok $st "apt-get install make gcc in the container"
[ $st -eq 0 ] || exit 1
# Without package lists, as Debian's images ship: deps.sh must fetch them.
cx 'apt-get clean && rm -rf /var/lib/apt/lists/*'
took "make and gcc installed" "$t"

t=$(now)
cx make >"$TMP/make1" 2>&1
st=$?
[ $st -eq 2 ] || show "$TMP/make1"
is "$st" 2 "make with no libraries: exit 2"
want="make: missing libraries; install: libcurl4-openssl-dev libyaml-dev libgit2-dev libsqlite3-dev libmicrohttpd-dev libedit-dev libpq-dev libjq-dev (scripts/deps.sh, or make deps, does it on Debian)"
is "$(grep '^make: missing libraries' "$TMP/make1")" "$want" "and one line naming the packages to install"
grep -q -- ' -c -o ' "$TMP/make1"
exit_ok $((! $?)) "and nothing compiled"
took "make refused" "$t"

t=$(now)
cx scripts/deps.sh --build >"$TMP/deps" 2>&1
st=$?
show "$TMP/deps"
[ $st -eq 0 ] || cx 'tail -20 /tmp/bi-deps-apt.log' 2>&1 | show /dev/stdin
exit_ok $st "scripts/deps.sh --build"
took "deps.sh --build" "$t"
named=$(sed -n 's/^make: missing libraries; install:\(.*\) (scripts.*/\1/p' "$TMP/make1")
cx "[ -n '$named' ] || echo 'make named no package'; for p in $named; do dpkg-query -W -f='\${Status}\n' \$p 2>/dev/null | grep -q ' installed\$' || echo \$p; done" >"$TMP/out" 2>&1
is "$(cat "$TMP/out")" "" "every package make named is installed"
cx 'for p in docker.io git jq clang; do dpkg-query -W -f="\${Status}\n" $p 2>/dev/null | grep -q " installed\$" && echo $p; done
	command -v dockerd' >"$TMP/out" 2>&1
is "$(cat "$TMP/out")" "" "nothing of the test set, and no dockerd"
cx scripts/deps.sh --build >"$TMP/out" 2>&1
st=$?
[ $st -eq 0 ] && [ ! -s "$TMP/out" ]
exit_ok $? "deps.sh --build again: nothing to do, nothing said"

t=$(now)
cx make -j2 >"$TMP/make2" 2>&1
st=$?
[ $st -eq 0 ] || tail -30 "$TMP/make2" | show /dev/stdin
exit_ok $st "make -j2 after deps.sh --build"
took "make -j2" "$t"
compiles=$(grep -c -- '-Wall' "$TMP/make2")
werror=$(grep -- '-Werror' "$TMP/make2" | head -3)
[ "$compiles" -gt 0 ] && [ -z "$werror" ]
exit_ok $? "$compiles compile lines, none with -Werror${werror:+: $werror}"
cx 'for c in tools/bi-*.c; do b=${c#tools/}; b=bin/${b%.c}; [ -x "$b" ] || echo "$b"; done
	for f in lib/libbi.a bin/bi-hog; do [ -f "$f" ] || echo "$f"; done' >"$TMP/out" 2>&1
is "$(cat "$TMP/out")" "" "lib/libbi.a, bin/bi-hog and a bin/bi-NAME for every tools/bi-NAME.c"

t=$(now)
version=$(sed -n 's/^VERSION = //p' "$ROOT/Makefile")
cx "for c in tools/bi-*.c; do b=\${c#tools/}; b=\${b%.c}; v=\$(bin/\$b --version 2>&1); [ \"\$v\" = \"\$b $version\" ] || echo \"\$b: \$v\"; done" >"$TMP/out" 2>&1
is "$(cat "$TMP/out")" "" "every tool runs: NAME --version prints NAME $version"
is "$(cx 'bin/bi-fmt --version')" "bi-fmt $version" "bi-fmt --version"
printf '%s\n' '{"kind":"log","ts":"2026-11-24T01:02:03.000Z","level":"error","msg":"x"}' >"$TMP/rec"
docker exec -i -w /src "$name" sh -c 'NO_COLOR=1 bin/bi-fmt' <"$TMP/rec" >"$TMP/out" 2>&1
st=$?
[ $st -eq 0 ] && grep -q '2026-11-24 01:02:03\.000 .*ERROR .* x$' "$TMP/out"
exit_ok $? "a record through bi-fmt: $(head -1 "$TMP/out")"
# The static helper: it holds a MiB, then its own alarm ends it (128 + 14).
is "$(cx 'bin/bi-hog mem 1 1; echo "exit $?"; ls bin/bi-hog' 2>/dev/null)" "bi-hog: holding 1 MiB for 1 s
exit 0
bin/bi-hog" "bin/bi-hog runs, its alarm ends it, and its file stays where it is installed"
took "tools run" "$t"
