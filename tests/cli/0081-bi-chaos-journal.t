#!/bin/sh
# bi-chaos without Docker: a dry run plans every scenario, with the project's
# load, and touches nothing, not even what an earlier run left in the
# journal; while another run holds the project's lock, a run or a rollback is
# refused (exit 2) and the journal left alone; --rollback then puts that back
# (a helper process it started, still running, is stopped; one that is not
# its own is left alone); a scenario that does not exist, or a load that
# cannot be read, is refused before anything is touched. bi-hog acts on its
# own file only as /tmp/bi-hog, the copy bi-chaos puts in a container (0802
# stops and removes it there): run from elsewhere, `stop` refuses and kills
# nothing, and a hog whose time is up leaves its file. Against a
# Docker of the test's own: a lock that cannot be made, and a journal that
# cannot be written, are this machine's failures (exit 4), the scenario
# struck skipped with nothing changed and none run after it; a change an
# earlier run left that Docker will not undo is exit 3, kept for --rollback.
. "$(dirname "$0")/../lib.sh"
plan 27
export DOCKER_HOST=unix://$TMP/no-docker.sock
mkdir -p "$TMP/p/.blissful-infra" && cd "$TMP/p" || exit 1
printf 'name: demo\nservices:\n  app:\n    port: 1\n' >blissful-infra.yaml

# What a crashed run left: a helper of its own, and a pid it no longer owns.
sleep 300 &
helper=$!
at_exit "kill $helper 2>/dev/null"
printf '{"action":"process","pid":%d,"command":"sleep 300","id":1,"ts":"t"}\n' $helper >.blissful-infra/chaos.journal
printf '{"action":"process","pid":%d,"command":"bi-proxy --api x","id":2,"ts":"t"}\n' $$ >>.blissful-infra/chaos.journal
cp .blissful-infra/chaos.journal "$TMP/journal.before"

bi-chaos --dry-run >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r '.scenario + "=" + .status' "$TMP/out" | tr '\n' ' ')" \
	"0:pod-kill=planned network-latency=planned dependency-down=planned memory-pressure=planned " \
	"a dry run without Docker: the default scenarios planned, exit 0"
jq -e '.plan | length >= 2' "$TMP/out" >/dev/null
exit_ok $? "each with the steps it would take"
is "$(jq -r .load "$TMP/out" | sort -u)" /health "a project without a load scenario loads its health path"
mkdir perf
printf 'endpoints:\n  - {path: /hello, weight: 3}\n  - {path: /visits}\n' >perf/load.yaml
bi-chaos --dry-run -s pod-kill >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r .load "$TMP/out")" 0:perf/load.yaml "with perf/load.yaml, its endpoints are the load"
printf 'chaos:\n  load: perf/none.yaml\n' >>blissful-infra.yaml
bi-chaos --dry-run -s pod-kill >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -c <"$TMP/out")" 2:0 "chaos.load naming a missing file: exit 2, nothing planned"
grep -q 'chaos.load: .*perf/none.yaml' "$TMP/err"
exit_ok $? "saying which setting: $(head -1 "$TMP/err" | cut -c1-70)"
printf 'name: demo\nservices:\n  app:\n    port: 1\n' >blissful-infra.yaml
kill -0 $helper 2>/dev/null
exit_ok $? "the dry run left the earlier run's helper running"
cmp -s .blissful-infra/chaos.journal "$TMP/journal.before"
exit_ok $? "and the journal as it was"

bi-chaos -s pod-kill -s nope >"$TMP/out" 2>"$TMP/err"
is "$?:$(head -n 1 "$TMP/err"):$(wc -c <"$TMP/out")" "2:bi-chaos: unknown scenario: nope:0" \
	"an unknown scenario: exit 2 before anything runs"

# Another run holds the lock (here a sleep with flock(1)'s lock, the kind
# bi-chaos takes).
(exec 9>>.blissful-infra/chaos.lock && flock 9 && exec sleep 60) &
holder=$!
at_exit "kill $holder 2>/dev/null"
i=0; until ! flock -n .blissful-infra/chaos.lock true; do i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1; done
bi-chaos --rollback >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -c <"$TMP/out")" 2:0 "--rollback while another run holds the project: exit 2, nothing done"
grep -q 'another bi-chaos run is under way' "$TMP/err"
exit_ok $? "with a clear message: $(head -1 "$TMP/err" | cut -c1-80)"
bi-chaos -s pod-kill >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -c <"$TMP/out")" 2:0 "and so is a run (before Docker is even asked)"
cmp -s .blissful-infra/chaos.journal "$TMP/journal.before" && kill -0 $helper 2>/dev/null
exit_ok $? "the journal and the earlier run's helper left alone"
kill $holder
wait $holder 2>/dev/null

bi-chaos --rollback >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r '.status + " " + (.undone | length | tostring)' "$TMP/out")" "0:passed 2" \
	"once it is let go, --rollback: both entries undone"
i=0; while kill -0 $helper 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
! kill -0 $helper 2>/dev/null
exit_ok $? "the helper it started is stopped"
kill -0 $$ 2>/dev/null
exit_ok $? "the pid it no longer owns is left alone"

# bi-hog outside a container: `stop`, which kills every process running
# the same file, acts only as /tmp/bi-hog (in a container, as the journal's
# hog entries undo it; 0802), never on a host's copy.
mkdir "$TMP/h" && cp "$ROOT/bin/bi-hog" "$TMP/h/bi-hog"
"$TMP/h/bi-hog" mem 4 60 >/dev/null &
hog=$!
at_exit "kill -9 $hog 2>/dev/null"
sleep 0.3
"$TMP/h/bi-hog" stop >/dev/null
st=$?
sleep 0.2
[ $st -eq 1 ] && kill -0 $hog 2>/dev/null && [ -e "$TMP/h/bi-hog" ]
exit_ok $? "bi-hog stop run elsewhere than /tmp/bi-hog: refused (exit $st), the hog and its file left alone"
kill -9 $hog
wait $hog 2>/dev/null
"$TMP/h/bi-hog" mem 1 1 >/dev/null
is "$?:$(ls "$TMP/h")" "0:bi-hog" "a hog whose time is up ends; run from elsewhere, its file stays"

# A Docker of the test's own: its Engine API lists the project's app and
# Redis, keeps a log of every change asked (POST), refuses to start the
# container "stuck"; and it answers as the app too.
cat >"$TMP/docker.py" <<'PY'
import http.server, json, sys
port_file, changes = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def answer(self, status, body=b""):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path.split("?")[0]
        if p in ("/health", "/ready"):
            return self.answer(200, b"ok")
        if p == "/version":
            return self.answer(200, {"ApiVersion": "1.41"})
        if p == "/v1.41/containers/json":
            return self.answer(200, [{"Id": s + "id", "Labels": {"com.docker.compose.service": s}}
                                     for s in ("app", "redis")])
        if p.startswith("/v1.41/containers/") and p.endswith("/json"):
            return self.answer(200, {"Id": p.split("/")[3], "State": {"Pid": 0, "Running": True},
                                     "RestartCount": 0, "NetworkSettings": {"Ports": {}}})
        self.answer(404, {"message": "no such thing"})
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(changes, "a") as f:
            f.write(self.path + "\n")
        if "/containers/stuck/" in self.path:
            return self.answer(500, {"message": "cannot start stuck"})
        self.answer(204)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file, "w") as f:
    f.write(str(s.server_address[1]))
s.serve_forever()
PY
: >"$TMP/changes"
/usr/bin/python3 "$TMP/docker.py" "$TMP/docker.port" "$TMP/changes" &
docker=$!
at_exit "kill $docker 2>/dev/null"
i=0; while [ ! -s "$TMP/docker.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
F=$(cat "$TMP/docker.port")
mkdir -p "$TMP/q/.blissful-infra" && cd "$TMP/q" || exit 1
printf 'name: demo\nservices:\n  app:\n    port: 1\n' >blissful-infra.yaml
fake() { DOCKER_HOST=tcp://127.0.0.1:$F bi-chaos -u "http://127.0.0.1:$F" -d 1s --recovery 2s "$@"; }

mkdir .blissful-infra/chaos.lock
fake -s pod-kill >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -c <"$TMP/out")" 4:0 "a lock that cannot be made: exit 4, this machine's failure; nothing run"
grep -q 'cannot lock .*chaos.lock' "$TMP/err"
exit_ok $? "saying so: $(head -1 "$TMP/err" | cut -c1-70)"
rmdir .blissful-infra/chaos.lock

mkdir .blissful-infra/chaos.journal
fake -s pod-kill -s pause >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r '.scenario + " " + .status' "$TMP/out" | tr '\n' ' ')" "4:pod-kill skipped " \
	"a journal that cannot be written: exit 4, the scenario skipped, none run after it"
jq -r .reason "$TMP/out" | grep -q '^cannot write the journal .*chaos.journal: .*: refusing to change anything$'
exit_ok $? "the record says why: $(jq -r .reason "$TMP/out" | cut -c1-70)"
is "$(cat "$TMP/changes")" "" "and nothing was changed: Docker was asked to look, never to act"
grep -q '^bi-chaos: stopping: cannot write the journal' "$TMP/err"
exit_ok $? "the stop is said: $(grep stopping "$TMP/err" | cut -c1-70)"
rmdir .blissful-infra/chaos.journal

printf '{"action":"docker","container":"stuck","undo":"start","id":3,"ts":"t"}\n' >.blissful-infra/chaos.journal
fake -s pod-kill >"$TMP/out" 2>"$TMP/err"
is "$?:$(wc -c <"$TMP/out"):$(grep -c 'left changes that cannot be undone' "$TMP/err")" 3:0:1 \
	"an earlier run's change that Docker will not undo: exit 3, nothing new run"
DOCKER_HOST=tcp://127.0.0.1:$F bi-chaos --rollback >"$TMP/out" 2>"$TMP/err"
is "$?:$(jq -r '.status + " " + (.undone | length | tostring)' "$TMP/out")" "3:failed 0" \
	"--rollback that cannot undo it: exit 3, the record says failed"
is "$(grep -c undone .blissful-infra/chaos.journal)" 0 "and the journal keeps it for the next --rollback"
