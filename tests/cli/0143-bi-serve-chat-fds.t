#!/bin/sh
# bi-serve's chat: each bi-ask gets its question's records on 0 and its
# terminal on 1 and 2, and none of the descriptors bi-serve opened for the
# other chats running at the same time (their records, their terminals): a
# terminal's side kept open by another chat's bi-ask would keep that chat
# from ever seeing its end. A stand-in bi-ask beside a copy of bi-serve says
# which descriptors it was given; chats four at a time, over a store whose
# records take a while to hand over.
. "$(dirname "$0")/../lib.sh"
plan 3

mkdir -p "$TMP/bin" "$TMP/proj" && cd "$TMP/proj" || exit 1
cp "$ROOT/bin/bi-serve" "$TMP/bin/"
cat >"$TMP/bin/bi-ask" <<'PY'
#!/usr/bin/env python3
# Says which of bi-serve's descriptors it was given beyond 0, 1 and 2:
# records (memfd), terminals, sockets. Others (the test's own) are left out.
import os, sys, time
extra = []
for n in sorted(os.listdir('/proc/self/fd'), key=int):
    try:
        t = os.readlink('/proc/self/fd/' + n)
    except OSError:
        continue
    if int(n) > 2 and (t.startswith(('/memfd:', '/dev/pts/', '/dev/ptmx', 'socket:'))
                       or t.endswith('.db')):
        extra.append(n + '=' + t)
fed = len(sys.stdin.buffer.read())
time.sleep(0.2)
sys.stdout.write('records %d bytes; extra fds: %s\n' % (fed, ' '.join(extra) or 'none'))
PY
chmod +x "$TMP/bin/bi-ask"

export BI_DB=$TMP/proj/.blissful-infra/bi.db
printf 'name: shop\n' >blissful-infra.yaml
pad=$(printf '%0900d' 0)
i=0
while [ $i -lt 5000 ]; do
	echo "{\"kind\":\"log\",\"ts\":\"2026-12-04T10:00:00.000Z\",\"service\":\"api\",\"level\":\"info\",\"msg\":\"line $i $pad\"}"
	i=$((i + 1))
done >recs.jsonl
bi-store put recs.jsonl

P=$(free_port)
"$TMP/bin/bi-serve" --port "$P" --data "$ROOT/share/blissful-infra/dashboard" >/dev/null 2>serve.err &
srv=$!
at_exit "kill $srv 2>/dev/null"
U=http://127.0.0.1:$P
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/status")" = 401 ] || [ $i -gt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
T=$(cat .blissful-infra/serve.token)

r=0
while [ $r -lt 6 ]; do
	pids=
	for c in 1 2 3 4; do
		curl -s -m 30 -H "Authorization: Bearer $T" -X POST -d '{"question":"q"}' "$U/api/chat" >"a$r$c" &
		pids="$pids $!"
	done
	wait $pids
	r=$((r + 1))
done
grep -h '^data: ' a* | sed 's/^data: //' | jq -rj 'select(.text) | .text' >answers
is "$(grep -c 'extra fds' answers)" 24 "24 chats, four at a time, each answered"
is "$(grep -c "^records $(wc -c <recs.jsonl) bytes" answers)" 24 "each bi-ask read every record on its input"
is "$(grep -v 'extra fds: none$' answers)" "" "no bi-ask was given another chat's descriptors"
