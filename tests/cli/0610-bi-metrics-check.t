#!/bin/sh
# bi-metrics parse --check against the exposition format's invalid cases, as
# prometheus/common's parser (which promtool uses) defines them: each file of
# tests/fixtures/prom-invalid holds one defect, on the line its cases.tsv names;
# the lines before it are valid. Each must exit 2, and the first diagnostic must
# name that line and say why. Each file of tests/fixtures/prom-valid must pass
# with nothing on stderr and every sample counted. Where promtool is installed,
# it must agree on validity: exit 1 (a parse error, at the manifest's line) for
# an invalid file; 0, or 3 for lint problems only, for a valid one.
# Then scrape, which stays tolerant: it keeps the good lines of a target's
# text and tells of the bad ones once, not at every scrape. Last, plain parse
# (tolerant too): every bad line told, and what it read past told as well.
. "$(dirname "$0")/../lib.sh"

INVALID=$ROOT/tests/fixtures/prom-invalid
VALID=$ROOT/tests/fixtures/prom-valid
MANIFEST=$INVALID/cases.tsv
TAB=$(printf '\t')

ninvalid=$(tail -n +2 "$MANIFEST" | grep -c .)
nvalid=$(ls "$VALID"/*.prom | wc -l)
plan $((1 + 3 * ninvalid + 2 * nvalid + 8))

have_promtool=0
command -v promtool >/dev/null 2>&1 && have_promtool=1

# The manifest and the directory list the same files, each once.
listed=$(tail -n +2 "$MANIFEST" | cut -f1 | sort)
present=$(cd "$INVALID" && ls *.prom | sort)
dups=$(printf '%s\n' "$listed" | uniq -d)
is "$listed${dups:+ (twice: $dups)}" "$present" "cases.tsv lists every invalid file once"

# The line named by the first "bi-metrics: line N: reason" diagnostic of FILE.
first_line() {
	sed -n 's/^bi-metrics: line \([0-9][0-9]*\): ..*/\1/p' "$1" | head -1
}

tail -n +2 "$MANIFEST" >"$TMP/cases"
while IFS=$TAB read -r file line reason; do
	bi-metrics parse --check <"$INVALID/$file" >"$TMP/out" 2>"$TMP/err"
	st=$?
	# lib.sh prints names with echo, which would act on backslashes.
	reason=$(printf '%s' "$reason" | tr -d '\\')
	is "$st" 2 "$file: exit 2 ($reason)"
	is "$(first_line "$TMP/err")" "$line" "$file: the first diagnostic names line $line, with a reason"
	if [ $have_promtool = 1 ]; then
		promtool check metrics <"$INVALID/$file" >/dev/null 2>"$TMP/perr"
		pst=$?
		pline=$(sed -n 's/.*parsing error in line \([0-9][0-9]*\):.*/\1/p' "$TMP/perr" | head -1)
		is "$pst:$pline" "1:$line" "$file: promtool rejects it too, at line $line"
	else
		skip "promtool is not installed"
	fi
done <"$TMP/cases"

for f in "$VALID"/*.prom; do
	name=${f##*/}
	# Every line that is neither blank nor a comment is one sample.
	want=$(grep -cv '^[[:space:]]*\(#.*\)\{0,1\}$' "$f")
	bi-metrics parse --check <"$f" >"$TMP/out" 2>"$TMP/err"
	st=$?
	n=$(sed -n 's/.*"value":\([0-9][0-9]*\).*/\1/p' "$TMP/out")
	is "$st:$(cat "$TMP/err"):$n" "0::$want" "$name: valid, exit 0, no diagnostic, $want samples"
	if [ $have_promtool = 1 ]; then
		promtool check metrics <"$f" >/dev/null 2>"$TMP/perr"
		pst=$?
		case $pst in 0|3) exit_ok 0 "$name: promtool accepts it (exit $pst)" ;;
		*) diag "$(cat "$TMP/perr")"; exit_ok 1 "$name: promtool accepts it (exit $pst)" ;;
		esac
	else
		skip "promtool is not installed"
	fi
done

# A target whose text changes from scrape to scrape: two bad lines, the same
# again, a new first reason (twice), a clean text, the same bad line again.
cat >"$TMP/serve.py" <<'PY'
import http.server
bodies = [b'good 1\nbad{x="1" 2\nalso_good 3\nworse 1 2 3\n'] * 2 + \
         [b'good 1\nv notanumber\n'] * 2 + [b'good 1\n', b'good 1\nv notanumber\n']
n = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global n
        b = bodies[min(n, len(bodies) - 1)]
        n += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$TMP/serve.py" >"$TMP/port" &
at_exit "kill $! 2>/dev/null"
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
url=http://127.0.0.1:$(cat "$TMP/port")/metrics
BI_DB=$TMP/scrape.db bi-metrics scrape -n 6 -i 100ms --raw --no-docker "svc=$url" >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "scrape: malformed lines are no error"
is "$(grep -c '"name":"good"' "$TMP/out"):$(grep -c '"name":"also_good"' "$TMP/out")" "6:2" \
	"scrape keeps the good lines around the bad ones"
is "$(cat "$TMP/err")" "bi-metrics: svc ($url): 2 malformed lines skipped; the first, line 2: expected ',' or '}' in the labels
bi-metrics: svc ($url): 1 malformed line skipped; the first, line 2: not a value: 'notanumber'
bi-metrics: svc ($url): 1 malformed line skipped; the first, line 2: not a value: 'notanumber'" \
	"told once per target, again when the first reason changes or after a clean scrape"
printf 'good 1\nbad{x="1" 2\nalso_good 3\n# EOF\nafter 4\n' | bi-metrics parse >"$TMP/out" 2>"$TMP/err"
is "$?:$(grep -o '"name":"[a-z_]*"' "$TMP/out" | tr '\n' ' ')$(cat "$TMP/err")" \
	'2:"name":"good" "name":"also_good" "name":"after" bi-metrics: line 2: expected '"','"' or '"'}'"' in the labels' \
	"parse without --check: every bad line told, the rest kept, # EOF only a comment"

# Tolerant, but not silent: an unknown type is none, a label value that is
# not UTF-8 is kept with U+FFFD; each is told with its line, and exit 2.
printf '# TYPE x counte\nx 1\n# TYPE c counter\nc 5\n' | bi-metrics parse >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-metrics: line 1: not a type: 'counte', so x is untyped" \
	"parse: an unknown type is told, with its line, exit 2"
is "$(jq -r '.name + ":" + .type' "$TMP/out" | tr '\n' ' ')" "x:untyped c:counter " \
	"parse: ... and its family read as untyped, not as type counte"
printf 'ok{v="caf\303\251"} 1\nbad{v="caf\303",w="x"} 2\n' | bi-metrics parse >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" \
	"2:bi-metrics: line 2: the value of label v is not UTF-8: kept, with U+FFFD for each bad sequence" \
	"parse: a label value that is not UTF-8 is told, with its line, exit 2"
is "$(jq -c '[.name, .labels]' "$TMP/out" | tr '\n' ' ')" \
	"$(printf '["ok",{"v":"caf\303\251"}] ["bad",{"v":"caf\357\277\275","w":"x"}] ')" \
	"parse: ... and the sample kept, the bad byte as U+FFFD"
