#!/bin/sh
# Every template's Jenkinsfile, as bi-scaffold renders it, passes
# npm-groovy-lint with no error (scripts/deps.sh installs it into build/npm,
# with the Java runtime its Groovy parser runs on), and every
# `blissful-infra pipeline --stage NAME` in it names a stage that
# `blissful-infra pipeline --list-stages` knows, in one run: its
# environment {} sets BI_PIPELINE_RUN from the job and the build number.
# A template that renders no Jenkinsfile is named, and fails: every
# deployable template has one.
. "$(dirname "$0")/../lib.sh"
lint=$ROOT/build/npm/node_modules/.bin/npm-groovy-lint
templates=$(bi-scaffold --list | awk '{print $1}')
n=0
for t in $templates; do n=$((n + 4)); done
plan $((n + 4))

[ -x "$lint" ]
exit_ok $? "npm-groovy-lint is installed in build/npm (scripts/deps.sh)"
stages=$(blissful-infra pipeline --list-stages 2>"$TMP/err")
exit_ok $? "blissful-infra pipeline --list-stages"
[ -n "$stages" ]
exit_ok $? "it lists stages"

files=
for t in $templates; do
	bi-scaffold --template "$t" --dir "$TMP/p/$t" "p$t" >/dev/null 2>"$TMP/err"
	f=$TMP/p/$t/Jenkinsfile
	[ -f "$f" ]
	exit_ok $? "$t renders a Jenkinsfile"
	files="$files $f"
	# The stages it calls (outside comments), each known to pipeline.
	called=$(sed -n '/^[[:space:]]*\/\//d; s/.*blissful-infra pipeline --stage \([^ '"'"'"]*\).*/\1/p' "$f" 2>/dev/null)
	unknown=
	for s in $called; do
		printf '%s\n' "$stages" | grep -qx -- "$s" || unknown="$unknown $s"
	done
	is "$([ -n "$called" ] && echo calls)${unknown:+ unknown:$unknown}" "calls" \
		"$t: its Jenkinsfile calls pipeline stages, all of them known"
	# Each `pipeline --stage` is its own invocation: without one run's name
	# in the pipeline's environment {} (outside comments), each stage would
	# be a run of its own.
	run=$(awk '/^[[:space:]]*\/\//{next} /^    environment[[:space:]]*\{/{e=1; next}
		e && /^    \}/{e=0} e' "$f" 2>/dev/null |
		sed -n 's/^[[:space:]]*BI_PIPELINE_RUN[[:space:]]*=[[:space:]]*//p')
	case $run in
	*env.JOB_NAME*env.BUILD_NUMBER*) st=0 ;;
	*) st=1 ;;
	esac
	exit_ok $st "$t: its environment {} sets BI_PIPELINE_RUN from JOB_NAME and BUILD_NUMBER (${run:-not set})"
done

# Every shell step is a single-quoted Groovy string: nothing from outside
# (a branch's name, a commit message, a webhook) is interpolated into a
# command; what a step needs it reads from the environment or a file.
for f in $files; do
	[ -f "$f" ] && grep -nE '(^|[^A-Za-z_])sh[[:space:]]*(\(?[[:space:]]*(script:[[:space:]]*)?["$]|$)' "$f" |
		sed "s|^|${f#"$TMP"/p/}:|"
done >"$TMP/dq"
is "$(cat "$TMP/dq")" "" "every sh step is a single-quoted string, in every Jenkinsfile"

# One run of the linter for all of them (it starts a JVM: seconds each).
existing=
for f in $files; do [ -f "$f" ] && existing="$existing $f"; done
# shellcheck disable=SC2086
[ -n "$existing" ] && "$lint" --noserver --output json $existing >"$TMP/lint.json" 2>"$TMP/lint.err"
for t in $templates; do
	f=$TMP/p/$t/Jenkinsfile
	errs=$(jq -r --arg f "$f" '.files[$f].errors[]? | select(.severity == "error")
		| "\(.line // "?"): \(.msg)"' "$TMP/lint.json" 2>/dev/null)
	linted=$(jq -r --arg f "$f" '.files | has($f)' "$TMP/lint.json" 2>/dev/null)
	is "$linted${errs:+ $errs}" "true" "$t: npm-groovy-lint finds no error in its Jenkinsfile"
done
