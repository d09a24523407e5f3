#!/bin/sh
# blissful-infra dashboard: bi-serve for the project in the foreground; the
# URL it prints once carries the token, and opening it sets the cookie the
# page goes on with; a store is made when the project has none; SIGTERM
# stops the server with it.
. "$(dirname "$0")/../lib.sh"
plan 12

cd "$TMP" || exit 1
blissful-infra dashboard --help >out 2>&1
is "$?:$(head -c 31 out)" "0:usage: blissful-infra dashboard" "--help: usage, exit 0"
blissful-infra dashboard --no-open >/dev/null 2>err
is "$?:$(grep -c 'not in a blissful-infra project' err)" "2:1" "outside a project: exit 2, said"
mkdir proj && cd proj || exit 1
printf 'name: shop\n' >blissful-infra.yaml
blissful-infra dashboard --port x1 --no-open >/dev/null 2>err
is "$?" 2 "--port that is not one: exit 2"

# DISPLAY set and a BROWSER that would leave a trace: --no-open opens nothing.
printf '#!/bin/sh\necho "$@" >>"%s/opened"\n' "$TMP" >"$TMP/browser"
chmod +x "$TMP/browser"
: >out
DISPLAY=:99 BROWSER=$TMP/browser blissful-infra dashboard --port 0 --no-open >out 2>err &
pid=$!
at_exit "kill $pid 2>/dev/null"
i=0
until grep -q '^dashboard: ' out || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=$(sed -n 's/^dashboard: //p' out)
T=$(cat .blissful-infra/serve.token 2>/dev/null)
is "$(printf %s "$url" | grep -cE "^http://127\.0\.0\.1:[0-9]+/\?token=$T\$"):$(wc -l <out)" "1:1" \
	"the URL printed once, on 127.0.0.1 with the port taken, carrying the token"
is "$(test -f .blissful-infra/bi.db && echo made)" made "a project without a store gets an empty one"
curl -s -D hdr -o /dev/null "$url"
cookie=$(sed -n 's/^Set-Cookie: \(bi_token_[0-9]*=[0-9a-f]*\);.*/\1/p' hdr | tr -d '\r')
base=${url%%\?*}
is "$(curl -s -o body -w '%{http_code}' -b "$cookie" "$base"):$(grep -c 'app.js' body)" "200:1" \
	"the URL sets the cookie, and the page comes with it"
is "$(curl -s -o body -w '%{http_code}' -b "$cookie" "${base}api/status"):$(jq -r .project body)" "200:shop" \
	"the API answers with the cookie, for this project"
is "$(test -f "$TMP/opened" && echo opened || echo none)" none "--no-open: no browser"
kill -TERM $pid
wait $pid
is "$?" 0 "SIGTERM: exit 0"
port=${base#http://127.0.0.1:}
port=${port%/}
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" )" 000 "and the server is gone"

# The status is bi-serve's: a stand-in that fails its stop (exit 7 on
# SIGTERM) makes the dashboard exit 7, not 0. The command's script is run
# with the stand-in first in PATH (blissful-infra would put bin/ first).
mkdir -p "$TMP/fake"
cat >"$TMP/fake/bi-serve" <<'EOF2'
#!/bin/sh
trap 'exit 7' TERM
echo "bi-serve: serving shop on http://127.0.0.1:1/ (token in .blissful-infra/serve.token)" >&2
while :; do sleep 0.1; done
EOF2
chmod +x "$TMP/fake/bi-serve"
: >out
BI_LIBEXEC=$ROOT/scripts/cmd PATH=$TMP/fake:$PATH sh "$ROOT/scripts/cmd/dashboard" --port 1 --no-open >out 2>err &
pid=$!
at_exit "kill $pid 2>/dev/null"
i=0
until grep -q '^dashboard: ' out || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
is "$?" 7 "SIGTERM and bi-serve failing its stop: the dashboard exits with bi-serve's status"

# Without --no-open, with a display: the browser is given the URL.
: >out
DISPLAY=:99 BROWSER=$TMP/browser blissful-infra dashboard --port 0 >out 2>err &
pid=$!
at_exit "kill $pid 2>/dev/null"
i=0
until [ -s "$TMP/opened" ] || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "$(cat "$TMP/opened" 2>/dev/null)" "$(sed -n 's/^dashboard: //p' out)" "with a display: the browser opens the URL"
kill -TERM $pid
wait $pid
