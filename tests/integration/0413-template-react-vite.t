#!/bin/sh
# The react-vite and fullstack templates. react-vite: renders alike for every
# database choice; its own unit and integration tests pass; the build makes
# dist/index.html; the real nginx.conf serves that bundle, answers /health
# itself and forwards /api to the backend. fullstack: backend/ and frontend/
# under one root with the shared compose file and an override that docker-compose
# merges; its Makefile builds and tests both halves; the dashboard's /api
# reaches the real backend.
. "$(dirname "$0")/../lib.sh"
plan 32

export npm_config_cache="$ROOT/build/cache/npm" npm_config_audit=false \
	npm_config_fund=false npm_config_update_notifier=false
pids=""
at_exit 'for p in $pids; do kill $p 2>/dev/null; done'

wait_http() {	# URL: until it answers at all, at most 20 s
	i=0
	until curl -s -o /dev/null "$1"; do
		i=$((i + 1)); [ $i -lt 200 ] || return 1; sleep 0.1
	done
}
get() {	# URL: the status, a space, the body
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$1")
	printf '%s %s' "$code" "$(cat "$TMP/body")"
}
run() {	# NAME COMMAND...: run quietly, show the tail of the output on failure
	name=$1; shift
	"$@" >"$TMP/out" 2>&1
	st=$?
	[ $st -eq 0 ] || tail -25 "$TMP/out" | sed 's/^/#   /'
	exit_ok $st "$name"
}
leftovers() {	# DIR: files of ours with a template variable left in them
	grep -rl --exclude-dir=node_modules '{{' "$@"
}

backend_port=$(free_port)

# ---- react-vite ----

rv=$TMP/rv-none
bi-scaffold --template react-vite --database none --port "$backend_port" --dir "$rv" dash \
	>"$TMP/records" 2>"$TMP/err"
exit_ok $? "react-vite renders"
is "$(leftovers "$rv")" "" "no template variable left"
for db in redis postgres both; do
	bi-scaffold --template react-vite --database "$db" --port "$backend_port" \
		--dir "$TMP/rv-$db" dash >/dev/null 2>&1 &&
		diff -r "$rv" "$TMP/rv-$db" >"$TMP/out"
	st=$?
	sed 's/^/#   /' "$TMP/out" | head -10
	exit_ok $st "the $db rendering is the same: a frontend has no dependencies of its own"
done
grep -q "\"http://127.0.0.1:$backend_port\"" "$rv/vite.config.ts"
exit_ok $? "the dev server's proxy targets the backend port"
grep -q "set \$backend http://app:$backend_port;" "$rv/nginx.conf"
exit_ok $? "nginx forwards to the compose service app on the backend port"

cd "$rv" || exit 1
run "npm ci installs from the lock file" npm ci
run "npm test: the unit tests pass" npm test
grep -Eq 'Tests +[0-9]+ passed' "$TMP/out" && ! grep -q failed "$TMP/out"
exit_ok $? "vitest ran tests, none failed: $(grep -E '^ +Tests ' "$TMP/out" | tr -s ' ')"
run "npm run build: type-checks and bundles" npm run build
grep -q '<title>dash</title>' dist/index.html && ls dist/assets/*.js >/dev/null 2>&1
exit_ok $? "dist/index.html, titled with the project, and its assets"
run "npm run test:integration: the bundle and /api proxy under vite preview" \
	npm run test:integration

# The production configuration, in the real nginx: the container's paths and
# backend name swapped for this machine's.
stub_port=$(free_port)
cat >"$TMP/stub.js" <<'EOF'
// Answers everything with the path it was asked for, as JSON.
require("node:http")
  .createServer((req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ path: req.url }));
  })
  .listen(Number(process.argv[2]), "127.0.0.1");
EOF
ngx_port=$(free_port)
mkdir -p "$TMP/nginx"
sed -e "s|listen 80;|listen 127.0.0.1:$ngx_port;|" \
	-e "s|root /usr/share/nginx/html;|root $rv/dist;|" \
	-e "s|http://app:$backend_port|http://127.0.0.1:$stub_port|" \
	nginx.conf >"$TMP/nginx/site.conf"
# As root, workers would run as an unprivileged user who cannot enter $TMP.
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
$([ "$(id -u)" -eq 0 ] && echo "user root root;")
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    include $TMP/nginx/site.conf;
}
EOF
if ! command -v nginx >/dev/null 2>&1; then
	for i in 1 2 3 4 5 6 7; do skip "no nginx (Debian's nginx-light)"; done
else
	node "$TMP/stub.js" "$stub_port" &
	stub=$!
	pids="$pids $stub"
	nginx -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" 2>>"$TMP/nginx/error.log" &
	pids="$pids $!"
	wait_http "http://127.0.0.1:$ngx_port/health" && wait_http "http://127.0.0.1:$stub_port/"
	st=$?
	[ $st -eq 0 ] || sed 's/^/#   /' "$TMP/nginx/error.log"
	exit_ok $st "nginx.conf loads, and nginx and the stand-in backend listen"
	n=http://127.0.0.1:$ngx_port
	is "$(get "$n/health")" '200 {"status":"ok"}' "nginx answers /health itself"
	is "$(get "$n/api/hello/world")" '200 {"path":"/hello/world"}' \
		"/api/hello/world reaches the backend as /hello/world"
	get "$n/" >/dev/null && cp "$TMP/body" "$TMP/index"
	is "$(get "$n/services/app")" "200 $(cat "$TMP/index")" "any other path is the page"
	asset=$(cd dist && ls assets/*.js | head -1)
	curl -s -D - -o /dev/null "$n/$asset" | grep -qi '^Cache-Control: public, immutable'
	exit_ok $? "hashed assets are cached for good"
	kill "$stub"; wait "$stub" 2>/dev/null
	is "$(curl -s -o /dev/null -w '%{http_code}' "$n/api/health")" 502 "backend gone: /api answers 502"
	is "$(get "$n/health")" '200 {"status":"ok"}' "backend gone: the container is still healthy"
fi

# ---- fullstack ----

cd "$TMP" || exit 1
fs=$TMP/fs
if ! [ -f "$ROOT/templates/express/template.yaml" ]; then
	for i in $(seq 12); do skip "no express template yet"; done
	exit 0
fi
bi-scaffold --template fullstack --database none --port "$backend_port" --dir "$fs" shop \
	>"$TMP/records" 2>"$TMP/err"
st=$?
sed 's/^/#   /' "$TMP/err"
exit_ok $st "fullstack renders"
[ -f "$fs/backend/package.json" ] && [ -f "$fs/frontend/package.json" ]
exit_ok $? "backend/ and frontend/ each have their package.json"
[ -f "$fs/docker-compose.yaml" ] && [ -f "$fs/blissful-infra.yaml" ] && [ -f "$fs/Jenkinsfile" ]
exit_ok $? "the shared docker-compose.yaml, blissful-infra.yaml and Jenkinsfile are at the root"
is "$(leftovers "$fs/frontend" "$fs/Makefile" "$fs/README.md" "$fs/docker-compose.override.yaml")" "" \
	"no template variable left in the frontend or the root files"
for key in healthcheck metrics_path port; do
	grep "^$key:" "$ROOT/templates/express/template.yaml"
done >"$TMP/want"
for key in healthcheck metrics_path port; do
	grep "^$key:" "$ROOT/templates/fullstack/template.yaml"
done >"$TMP/got"
is "$(cat "$TMP/got")" "$(cat "$TMP/want")" \
	"fullstack's template.yaml describes the backend as express's does"

if docker compose version >/dev/null 2>&1; then compose="docker compose"; else compose=docker-compose; fi
(cd "$fs" && $compose -p bi-static-shop config) >"$TMP/config" 2>&1
st=$?
[ $st -eq 0 ] || sed 's/^/#   /' "$TMP/config"
python3 - "$TMP/config" "$fs" <<'EOF'
import sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
build = lambda s: services[s]["build"]["context"]
assert build("app") == sys.argv[2] + "/backend", build("app")
assert build("frontend") == sys.argv[2] + "/frontend", build("frontend")
EOF
exit_ok $? "$compose merges the override: app built from backend/, frontend from frontend/"

cd "$fs" || exit 1
run "make build: installs and builds both halves" make build
[ -f backend/dist/index.js ] && [ -f frontend/dist/index.html ]
exit_ok $? "backend/dist and frontend/dist"
run "make test: the unit tests of both pass" make test

# The dashboard's /api, under vite preview, reaching the real backend.
(cd backend && PORT=$backend_port exec node dist/index.js) >"$TMP/backend.log" 2>&1 &
pids="$pids $!"
front_port=$(free_port)
(cd frontend && exec node_modules/.bin/vite preview --host 127.0.0.1 --port "$front_port" --strictPort) \
	>"$TMP/preview.log" 2>&1 &
pids="$pids $!"
wait_http "http://127.0.0.1:$backend_port/health" && wait_http "http://127.0.0.1:$front_port/"
st=$?
[ $st -eq 0 ] || sed 's/^/#   /' "$TMP/backend.log" "$TMP/preview.log"
exit_ok $st "the backend and the dashboard's preview server listen"
f=http://127.0.0.1:$front_port
is "$(get "$f/api/hello/world")" '200 {"message":"Hello, world!"}' \
	"the dashboard's /api/hello/world is the backend's answer"
is "$(get "$f/api/ready")" '200 {"status":"ready","checks":{}}' \
	"the dashboard's /api/ready: ready, nothing to check"
