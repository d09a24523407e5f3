#!/bin/sh
# bi-scaffold: names checked, nothing written on refusal, records per file,
# --dry-run, --force, and templates that try to escape the target refused.
. "$(dirname "$0")/../lib.sh"
plan 34
mkdir "$TMP/w" && cd "$TMP/w"

bi-scaffold --list >out
grep -q '^c-service  *C HTTP service' out
exit_ok $? "--list names the templates with their description"
grep -q '^_shared' out
exit_ok $((!$?)) "and not the shared parts"

for bad in '../x' 'a b' '$(id)' '' "$(printf 'a%.0s' $(seq 64))" 'Upper' '9lives' 'x/y'; do
	bi-scaffold --template c-service "$bad" >out 2>err
	st=$?
	[ $st -eq 2 ] && [ ! -s out ] && [ -z "$(ls -A | grep -v '^out$' | grep -v '^err$')" ]
	exit_ok $? "bad name '$(printf %.20s "$bad")': exit 2, no record, nothing written"
done
grep -q "invalid project name" err
exit_ok $? "the error says what a name may be"

bi-scaffold --template ../c-service demo >out 2>err
is "$?:$(cat err)" "2:bi-scaffold: no template named '../c-service'" "a template path is not a template name"
bi-scaffold --template nosuch demo >/dev/null 2>err
is "$?" 2 "unknown template: exit 2"

bi-scaffold --dry-run --database redis demo >records
exit_ok $? "--dry-run"
[ ! -e demo ]
exit_ok $? "writes nothing"
n=$(grep -c '"kind":"file"' records)
[ "$n" -gt 20 ] && grep -q '"path":"demo/src/main.c"' records && grep -q '"dry_run":true' records
exit_ok $? "but a file record per file ($n)"

bi-scaffold --database redis demo >records
exit_ok $? "create"
is "$(find demo -type f | wc -l | tr -d ' ')" "$n" "as many files as records"
grep -q 'REDIS_URL' demo/docker-compose.yaml && ! grep -q 'DATABASE_URL' demo/docker-compose.yaml
exit_ok $? "redis chosen, postgres not"
bi-scaffold demo >/dev/null 2>err
is "$?:$(cat err)" "2:bi-scaffold: demo exists and is not empty (--force writes into it)" "an existing project is refused"
echo keep >demo/mine.txt
bi-scaffold --force --database postgres demo >records
exit_ok $? "--force writes into it"
grep -q 'DATABASE_URL' demo/docker-compose.yaml && grep -q '"action":"overwrite"' records &&
	[ "$(cat demo/mine.txt)" = keep ]
exit_ok $? "overwriting the template's files, leaving others alone"

# A template that tries to put a file outside the target is refused, and
# nothing is written.
mkdir -p tpl/evil tpl/_shared
cp "$ROOT/templates/c-service/template.yaml" tpl/evil/
mkdir -p 'tpl/evil/{{UP}}'
echo x >'tpl/evil/{{UP}}/pwned'
printf 'shared: false\nport: 1\n' >tpl/evil/template.yaml
BI_TEMPLATES=$TMP/w/tpl bi-scaffold --template evil victim >out 2>err
st=$?
[ $st -eq 2 ] && [ ! -e victim ] && [ ! -e "$TMP/pwned" ] && [ ! -e "$TMP/w/pwned" ]
exit_ok $? "a template with an unknown variable in a path: exit 2, nothing written"
rm -rf 'tpl/evil/{{UP}}'
ln -s /etc tpl/evil/etc
BI_TEMPLATES=$TMP/w/tpl bi-scaffold --template evil victim >out 2>err
[ $? -eq 2 ] && [ ! -e victim ] && grep -q 'symbolic link' err
exit_ok $? "a template holding a symbolic link is refused"

# --force into a directory where someone planted a link: not followed.
rm -f tpl/evil/etc
mkdir -p planted "$TMP/outside"
ln -s "$TMP/outside" planted/src
bi-scaffold --force --dir planted demo >out 2>err
[ $? -eq 2 ] && [ -z "$(ls -A "$TMP/outside")" ] && grep -q 'not a plain directory' err
exit_ok $? "a planted link in the target is not followed, even with --force: exit 2"

# --force over a project holding a hard link to a file outside it: the
# project's file is replaced, the outside file keeps what it held.
echo secret >"$TMP/secret"
ln -f "$TMP/secret" demo/README.md
bi-scaffold --force demo >out 2>err
st=$?
is "$st:$(cat "$TMP/secret")" "0:secret" "--force through a hard link leaves the outside file alone"
grep -q 'c-service' demo/README.md && [ "$(stat -c %h "$TMP/secret")" = 1 ] &&
	[ "$(stat -c %h demo/README.md)" = 1 ]
exit_ok $? "and the project's file is a new one with the template's text"
is "$(find demo -name '.bi-tmpl*' | wc -l | tr -d ' ')" 0 "no temporary file left behind"

# A value with a NUL in it is refused by name, not cut short.
mkdir -p tpl/nul
printf 'shared: false\nhealthcheck: "ok\\0cut"\n' >tpl/nul/template.yaml
printf 'check: {{HEALTHCHECK}}\n' >tpl/nul/hc.txt
BI_TEMPLATES=$TMP/w/tpl bi-scaffold --template nul victim >out 2>err
is "$?:$(cat err)" "2:bi-scaffold: template nul/hc.txt:1: variable HEALTHCHECK holds a NUL character" \
	"a template.yaml value holding a NUL: exit 2, named"
[ ! -e victim ]
exit_ok $? "and nothing written"

# Exit codes: a template missing or broken is 2; a target that cannot be
# written is this machine's failure, 4.
BI_TEMPLATES=$TMP/w/nosuch bi-scaffold --list >out 2>err
is "$?" 2 "--list with no templates directory: exit 2"
rm -rf tpl/_shared
printf 'port: 1\n' >tpl/evil/template.yaml
BI_TEMPLATES=$TMP/w/tpl bi-scaffold --template evil victim >out 2>err
[ $? -eq 2 ] && [ ! -e victim ] && grep -q 'cannot read template' err
exit_ok $? "a template whose shared parts are missing: exit 2, nothing written"
if [ -d /sys/kernel ] && ! mkdir /sys/bi-scaffold-test 2>/dev/null; then
	bi-scaffold --dir /sys/bi-scaffold-test demo >out 2>err
	is "$?:$(cat err)" "4:bi-scaffold: cannot create /sys/bi-scaffold-test: $(mkdir /sys/bi-scaffold-test 2>&1 | sed 's/.*: //')" \
		"a target that cannot be created: exit 4"
else
	skip "no /sys to fail a mkdir in"
fi
mkdir small
if unshare -rm true 2>/dev/null; then
	unshare -rm sh -c 'mount -t tmpfs -o size=16k tmpfs small && { bi-scaffold --dir small/demo demo >out 2>err; echo $?; ls -A small; }' >res
	is "$(cat res):$(grep -c 'No space left' err)" "4:1" "a full disk: exit 4, nothing left behind"
else
	skip "no user namespace to mount a small tmpfs in"
fi
