#!/bin/sh
# blissful-infra: dispatch, help, unknown commands, and an installed copy
# that finds its tools, templates and man pages.
. "$(dirname "$0")/../lib.sh"
plan 13

blissful-infra help >"$TMP/out"
exit_ok $? "help exits 0"
grep -q '^  doctor  *check that' "$TMP/out"
exit_ok $? "help lists subcommands with their summary"
blissful-infra frobnicate >"$TMP/out" 2>"$TMP/err"
is $? 2 "unknown command: exit 2"
is "$(head -1 "$TMP/err")$(cat "$TMP/out")" "blissful-infra: unknown command: frobnicate" \
	"named on stderr, nothing on stdout"
blissful-infra ../../bin/sh >/dev/null 2>&1
is $? 2 "a path is not a command"
is "$(blissful-infra --version)" "blissful-infra 0.1.0" "--version"
blissful-infra >/dev/null 2>&1
is $? 2 "no command: usage, exit 2"

# Installed under a DESTDIR with PREFIX=/usr.
D=$TMP/dest
make -C "$ROOT" -s install DESTDIR="$D" PREFIX=/usr >"$TMP/make.out" 2>&1
exit_ok $? "make install DESTDIR PREFIX=/usr"
for f in usr/bin/bi-fmt usr/bin/blissful-infra usr/libexec/blissful-infra/doctor \
	usr/share/blissful-infra/templates usr/share/man/man1/bi-fmt.1 \
	usr/share/man/man7/blissful-infra.7 usr/share/blissful-infra/scripts/images.sh; do
	[ -e "$D/$f" ] || { diag "missing $f"; missing=1; }
done
exit_ok ${missing:-0} "tools, scripts, templates and man pages in place"
# The installed dispatcher must find its own tools, not the source tree's.
PATH=/usr/bin:/bin "$D/usr/bin/blissful-infra" help >"$TMP/out" 2>&1 &&
	grep -q doctor "$TMP/out"
exit_ok $? "installed blissful-infra help lists its commands"
PATH=/usr/bin:/bin "$D/usr/bin/blissful-infra" doctor >"$TMP/out" 2>&1
grep -q "bi-fmt 0.1.0" "$TMP/out" && grep -q "templates in $D/usr/share/blissful-infra/templates" "$TMP/out"
exit_ok $? "installed doctor runs the installed bi-fmt and sees the installed templates"
man -l "$D/usr/share/man/man7/blissful-infra.7" 2>/dev/null | grep -q 'RECORD KINDS'
exit_ok $? "man -l renders the installed overview page"
make -C "$ROOT" -s uninstall DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
left=$(find "$D" -type f | wc -l)
is "$left" 0 "make uninstall removes every file"
