#!/bin/sh
# bi-agent: hire, assign (tool calls through both APIs' tool-calling
# formats), review, reject, revise, accept (a branch, a worktree, the
# project's tests run there, a commit), escapes refused, a runaway model
# stopped; against tests/tools/agent-model.py, a scripted stand-in server.
. "$(dirname "$0")/../lib.sh"
plan 75

MODEL=$ROOT/tests/tools/agent-model.py
unset OLLAMA_HOST OPENAI_API_KEY BI_PROJECT_DIR
export BI_DB=$TMP/bi.db BI_TEMPLATES=$ROOT/templates

serve() {	# NAME SCRIPT [agent-model options]: a stand-in; its URL in $URL
	_name=$1 _script=$2
	shift 2
	/usr/bin/python3 "$MODEL" --port-file "$TMP/$_name.port" --script "$_script" \
		--log "$TMP/$_name.log" "$@" &
	at_exit "kill $! 2>/dev/null"
	_i=0
	while [ ! -s "$TMP/$_name.port" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	URL=http://127.0.0.1:$(cat "$TMP/$_name.port")
}
req() { sed -n "${2}p" "$TMP/$1.log"; }	# NAME N: the Nth request

# ---- a project: a git repository, its tests, a secret outside it

P=$TMP/proj
mkdir -p "$P" "$TMP/outside"
echo TOPSECRET >"$TMP/outside/secret.txt"
cd "$P" || exit 1
git init -q -b main . && git config user.name Person && git config user.email person@example.com
cat >blissful-infra.yaml <<'EOF'
name: demo
agent:
  test_command: sh check.sh
EOF
printf '.blissful-infra/\n' >.gitignore
printf 'hello\nworld\n' >greet.txt
# The project's tests: the greeting must say world; where they ran is noted.
printf 'grep -q world greet.txt || { echo "no world in greet.txt"; exit 1; }\npwd >"$MARK"\n' >check.sh
git add -A && git commit -qm init
ln -s "$TMP/outside/secret.txt" leak
ln -s "$TMP/outside" out
export MARK=$TMP/mark
before=$(git status --porcelain; cat greet.txt; git branch)

# ---- usage

bi-agent --help | grep -q '^usage: bi-agent hire ROLE --name N'
exit_ok $? "--help"
bi-agent frob >/dev/null 2>"$TMP/err"
is "$?:$(head -1 "$TMP/err")" "2:bi-agent: no command frob" "an unknown command: exit 2"
bi-agent hire bug-fixer >/dev/null 2>"$TMP/err"
is $? 2 "hire without --name: exit 2"
bi-agent hire no-such-role --name x >/dev/null 2>"$TMP/err"
is "$?:$(grep -c 'no role no-such-role' "$TMP/err")" "2:1" "an unknown role: exit 2, named"
bi-agent hire bug-fixer --name ada >"$TMP/out"
is "$?:$(cat "$TMP/out")" "0:hired ada as bug-fixer" "hire"
bi-agent hire docs-writer --name ada >/dev/null 2>&1
is $? 2 "a name in use: exit 2"
mkdir -p .blissful-infra/agents
echo "You test things." >.blissful-infra/agents/tester.md
bi-agent hire tester --name tia >/dev/null
is $? 0 "a role of the project's own (.blissful-infra/agents/ROLE.md)"
bi-agent fire tia >/dev/null && bi-agent status tia >/dev/null 2>&1
is $? 2 "fire: the agent is gone"
bi-agent accept ada >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-agent: ada has no task (bi-agent assign ada \"TASK\")" "accept with no task: exit 2"
OLLAMA_HOST=http://127.0.0.1:$(free_port) bi-agent assign ada "x" >/dev/null 2>&1
is $? 3 "no server: exit 3"

# ---- Ollama: tool calls, escapes refused, a suggestion, review, reject

cat >"$TMP/s1.jsonl" <<'EOF'
{"tool":"list_files","args":{}}
{"tool":"read_file","args":{"path":"greet.txt"}}
{"tool":"read_file","args":{"path":"../outside/secret.txt"}}
{"tool":"read_file","args":{"path":"/etc/passwd"}}
{"calls":[{"tool":"read_file","args":{"path":"leak"}},{"tool":"list_files","args":{"path":"out"}},{"tool":"search_files","args":{"pattern":"TOPSECRET"}}]}
{"tool":"propose_change","args":{"path":"out/planted.txt","content":"x"}}
{"tool":"propose_change","args":{"path":".git/hooks/pre-commit","content":"#!/bin/sh\necho owned\n"}}
{"calls":[{"tool":"git_log","args":{"count":5}},{"tool":"git_status","args":{}},{"tool":"run_tests","args":{}}]}
{"tool":"propose_change","args":{"path":"greet.txt","diff":"--- a/greet.txt\n+++ b/greet.txt\n@@ -1,2 +1,2 @@\n-hello\n+hello there\n world\n"}}
{"tool":"propose_change","args":{"path":"docs/new.md","content":"# new\n"}}
{"tool":"finish","args":{"summary":"greet more warmly"}}
EOF
serve o1 "$TMP/s1.jsonl"
OLLAMA_HOST=$URL bi-agent assign ada "make the greeting warmer" >"$TMP/out" 2>"$TMP/err"
is $? 0 "assign: exit 0"
is "$(head -2 "$TMP/out")" "ada: revision 1 suggested: 2 files, 11 steps, 1100 tokens
greet more warmly" "a suggestion of 2 files, with the plan"
is "$(wc -l <"$TMP/o1.log" | tr -d ' ')" 11 "one request per step"
is "$(req o1 1 | jq -c '[.stream, (.tools | length), (.tools | map(.function.name) | index("propose_change") != null), (.messages | map(.role))]')" \
	'[false,10,true,["system","user"]]' "the request: not streamed, 10 tools offered, the role and the task"
req o1 1 | jq -r '.messages[0].content' | grep -q 'You are a bug fixer'
exit_ok $? "the role's prompt is the system message"
is "$(req o1 2 | jq -c '.messages[2:] | map([.role, (.tool_calls // [] | map(.function.name)), .tool_name])')" \
	'[["assistant",["list_files"],null],["tool",[],"list_files"]]' "Ollama: the call, then its result named by tool_name"
req o1 2 | jq -r '.messages[3].content' | grep -qx 'greet.txt'
exit_ok $? "list_files' result went back"
req o1 3 | jq -r '.messages[5].content' | grep -q '^1	hello\|^hello'
exit_ok $? "read_file's result went back"
is "$(req o1 4 | jq -r '.messages[-1].content')" "error: ../outside/secret.txt: '..' is refused; paths stay inside the project" \
	"'..' refused, and the model told"
is "$(req o1 5 | jq -r '.messages[-1].content')" "error: /etc/passwd: an absolute path is refused; give a path relative to the project" \
	"an absolute path refused"
is "$(req o1 6 | jq -r '.messages[-3:] | map(.content | split(" (")[0]) | join("|")')" \
	"error: leak leads out of the project|error: out leads out of the project|0 matches" \
	"symlinks out refused (a file, a folder); search does not follow them"
is "$(req o1 7 | jq -r '.messages[-1].content[0:42]')" "error: out/planted.txt leads out of the pr" \
	"a proposal through a symlink out refused"
is "$(req o1 8 | jq -r '.messages[-1].content[0:30]')" "error: .git/hooks/pre-commit: " "a proposal into .git refused"
is "$(tail -n 1 "$TMP/o1.log" | jq '[.messages[] | select(.role == "tool") | .content | test("TOPSECRET")] | any')" \
	false "the secret outside never reached the model"
is "$(req o1 9 | jq -r '.messages[-1].content' | grep -c '^exit status 0$')" 1 "run_tests ran the project's tests"
is "$(bi-agent status ada | grep -c '(refused)')" 6 "status: the 6 refused calls"
bi-agent review ada >"$TMP/review"
is "$?:$(grep -c '^-hello$\|^+hello there$\|^+++ b/docs/new.md$\|^plan: greet more warmly$' "$TMP/review")" "0:4" \
	"review: the plan and a diff per file"
is "$(grep -c "$(printf '\033')" "$TMP/review")" 0 "no colour off a terminal"
NO_COLOR= script -qec "bi-agent review ada" /dev/null >"$TMP/tty" 2>&1
grep -q "$(printf '\033')\[32m+hello there" "$TMP/tty"
exit_ok $? "colour on a terminal"
bi-agent reject ada "not now" >"$TMP/out"
is "$?:$(cat "$TMP/out")" "0:ada: revision 1 rejected; nothing was written" "reject"
is "$(git status --porcelain; cat greet.txt; git branch)" "$before" "reject leaves the tree untouched"
bi-agent review ada >/dev/null 2>&1 && bi-agent accept ada >/dev/null 2>&1
is $? 2 "a rejected suggestion cannot be accepted"

# ---- OpenAI: revise, then accept

cat >"$TMP/s2.jsonl" <<'EOF'
{"tool":"read_file","args":{"path":"greet.txt"}}
{"tool":"propose_change","args":{"path":"greet.txt","content":"hi\nworld\n"}}
{"tool":"finish","args":{"summary":"hi instead of hello"}}
{"tool":"propose_change","args":{"path":"greet.txt","diff":"@@ -1,2 +1,2 @@\n-hi\n+good morning\n world\n"}}
{"tool":"finish","args":{"summary":"good morning, as asked"}}
EOF
serve a1 "$TMP/s2.jsonl"
bi-agent hire feature-engineer --name bob >/dev/null
bi-agent --api openai --base-url "$URL" assign bob "change the greeting" >"$TMP/out" 2>/dev/null
is "$?:$(head -1 "$TMP/out")" "0:bob: revision 1 suggested: 1 file, 3 steps, 300 tokens" "OpenAI: a suggestion"
is "$(req a1 2 | jq -c '.messages[2:] | map([.role, .tool_call_id, (.tool_calls // [] | map(.id))])')" \
	'[["assistant",null,["call_1_0"]],["tool","call_1_0",[]]]' "OpenAI: the result names its call's id"
bi-agent revise bob "say good morning" --api openai --base-url "$URL" >"$TMP/out" 2>/dev/null
is "$?:$(head -1 "$TMP/out")" "0:bob: revision 2 suggested: 1 file, 2 steps, 200 tokens" "revise yields revision 2"
is "$(req a1 4 | jq -r '.messages | map(select(.role == "user")) | .[-1].content' | head -1)" \
	"Feedback from the reviewer on revision 1: say good morning" "the feedback went to the model, with the conversation"
is "$(req a1 4 | jq '.messages | length')" 9 "the conversation went on where it stopped"
bi-agent review bob >"$TMP/review"
is "$(grep '^revision\|^[-+][a-z]' "$TMP/review")" "revision 2, after: say good morning
-hello
+good morning" "review shows revision 2 against the project's file"
bi-agent review bob --revision 1 | grep -q '^+hi$'
exit_ok $? "review --revision 1 still shows the first"
bi-agent accept bob >"$TMP/out" 2>"$TMP/err"
is $? 0 "accept: exit 0"
br=$(git branch --list 'agent/bob/*' | tr -d ' *+')
is "$br" "agent/bob/task-3-r2" "a new branch"
wt=$P/.blissful-infra/worktrees/agent-bob-3-r2
is "$(cat "$MARK")" "$wt" "the project's tests ran in the worktree"
is "$(git show "$br:greet.txt")" "good morning
world" "the branch's commit holds the change"
is "$(git log -1 --format='%an|%cn|%s' "$br")" "bob|Person|change the greeting" "authored by the agent, committed by the person"
is "$(git rev-list --count main..$br)" 1 "one commit on the branch"
is "$(git status --porcelain; cat greet.txt; git branch --list main)" "$(printf '%s\n' "$before" | grep -v agent/)" \
	"the working tree is untouched"
grep -q "accepted: commit $(git rev-parse --short=12 "$br") on branch $br" "$TMP/out"
exit_ok $? "accept reports the commit and the branch"
bi-agent list >"$TMP/out"
is "$(grep -c '^bob  *feature-engineer  *1  *1  *0  *accepted$' "$TMP/out"):$(grep '^role' "$TMP/out" | tr '\n' '|')" \
	"1:role bug-fixer: 0 accepted, 1 rejected (acceptance 0%)|role feature-engineer: 1 accepted, 0 rejected (acceptance 100%)|" \
	"list: tasks and outcomes per agent, the acceptance rate per role"
bi-agent list --json | jq -c 'select(.kind == "agent_role") | [.role, .rate]' | tr '\n' ' ' >"$TMP/out"
is "$(cat "$TMP/out")" '["bug-fixer",0] ["feature-engineer",1] ' "list --json: records"

# ---- accept whose tests fail: nothing committed

cat >"$TMP/s3.jsonl" <<'EOF'
{"tool":"propose_change","args":{"path":"greet.txt","content":"hello\nmoon\n"}}
{"tool":"finish","args":{"summary":"moon"}}
EOF
serve o3 "$TMP/s3.jsonl"
OLLAMA_HOST=$URL bi-agent assign ada "moon" >/dev/null 2>&1
OLLAMA_HOST=$URL bi-agent accept ada >"$TMP/out" 2>&1
is "$?:$(grep -c 'no world in greet.txt' "$TMP/out")" "1:1" "tests failing: exit 1, their output shown"
is "$(git rev-list --count main..agent/ada/task-4-r1)" 0 "nothing committed"
is "$(bi-agent status ada | sed -n 2p | cut -d, -f1)" "status: suggested" "the suggestion stays, to revise or reject"

# ---- a runaway model stops at the step limit, a talkative one at the budget

echo '{"tool":"read_file","args":{"path":"greet.txt"}}' >"$TMP/s4.jsonl"
serve o4 "$TMP/s4.jsonl" --loop
OLLAMA_HOST=$URL bi-agent assign ada "loop" --max-steps 5 >"$TMP/out" 2>/dev/null
is "$?:$(cat "$TMP/out")" "1:ada: stopped (5 steps, 500 tokens): stopped at the step limit (5 steps, 500 tokens)" \
	"the step limit: exit 1, stopped"
is "$(wc -l <"$TMP/o4.log" | tr -d ' ')" 5 "no request past the limit"
echo '{"text":"I will think about it."}' >"$TMP/s5.jsonl"
serve o5 "$TMP/s5.jsonl" --loop
OLLAMA_HOST=$URL bi-agent assign ada "talk" --max-tokens 250 >"$TMP/out" 2>/dev/null
is "$?:$(cat "$TMP/out")" "1:ada: stopped (3 steps, 300 tokens): stopped at the token budget (3 steps, 300 tokens)" \
	"the token budget"
is "$(req o5 2 | jq -r '.messages[-1] | [.role, .content] | join(": ")')" \
	"user: Only tools act: call a tool, propose_change, or finish." "a reply with no tool call is answered with a reminder"

# ---- through the dispatcher: agent's commands reach bi-agent, --query stays bi-ask's

is "$(blissful-infra agent list 2>&1)" "$(bi-agent list)" "blissful-infra agent list is bi-agent list"
blissful-infra agent --help | grep -q -- '--query Q'
exit_ok $? "blissful-infra agent --help: still the chat's"

# ---- the records and git, through the tools; --json

printf '{"kind":"log","ts":"%s","service":"api","level":"error","msg":"disk full on /var"}\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" | bi-store put
echo changed >>greet.txt
cat >"$TMP/s6.jsonl" <<'EOF2'
{"calls":[{"tool":"query","args":{"kind":"log","service":"api"}},{"tool":"query","args":{"kind":"secrets"}},{"tool":"git_diff","args":{}}]}
{"tool":"finish","args":{"summary":"the disk is full"}}
EOF2
serve o6 "$TMP/s6.jsonl"
OLLAMA_HOST=$URL bi-agent assign ada "why 500s?" >/dev/null 2>&1
git checkout -q greet.txt
is "$(req o6 2 | jq -r '.messages[-3].content' | head -1 | jq -r .msg)" "disk full on /var" \
	"query: the stored logs, through bi-store"
is "$(req o6 2 | jq -r '.messages[-2].content' | cut -c1-24)" "error: query: \"kind\" is " "query: a kind it does not know is refused"
req o6 2 | jq -r '.messages[-1].content' | grep -qx '+changed'
exit_ok $? "git_diff: the working tree against HEAD"
is "$(bi-agent status ada --json | jq -c '[.kind, .agent, .task.status, .task.reason, (.task.messages | type), (.steps | map(.tool))]')" \
	'["agent_task","ada","done","the disk is full","null",["query","query","git_diff","finish"]]' \
	"status --json: an agent_task record with its steps, without the conversation"

# ---- a failed accept can be tried again; reject removes what it left

cat >"$TMP/s7.jsonl" <<'EOF2'
{"tool":"propose_change","args":{"path":"greet.txt","content":"hello\nmoon\n"}}
{"tool":"finish","args":{"summary":"moon"}}
EOF2
serve o7 "$TMP/s7.jsonl"
bi-agent hire bug-fixer --name cy >/dev/null
OLLAMA_HOST=$URL bi-agent assign cy "moon" >/dev/null 2>&1
bi-agent accept cy >/dev/null 2>&1
bi-agent accept cy >"$TMP/out" 2>&1
is "$?:$(grep -c 'no world in greet.txt' "$TMP/out")" "1:1" "accept again after failed tests: the tests ran again"
cwt=$(git worktree list | grep -c 'agent-cy-')
bi-agent reject cy "no" >/dev/null 2>&1
is "$cwt:$(git branch --list 'agent/cy/*' | wc -l | tr -d ' '):$(git worktree list | grep -c 'agent-cy-')" "1:0:0" \
	"reject removes the branch and the worktree a failed accept left"

# ---- revise after a revision stopped at a limit keeps the earlier proposals

cat >"$TMP/s8.jsonl" <<'EOF2'
{"tool":"propose_change","args":{"path":"a.txt","content":"a\n"}}
{"tool":"finish","args":{"summary":"a"}}
EOF2
serve o8 "$TMP/s8.jsonl"
bi-agent hire feature-engineer --name dee >/dev/null
OLLAMA_HOST=$URL bi-agent assign dee "a" >/dev/null 2>&1
echo '{"tool":"read_file","args":{"path":"greet.txt"}}' >"$TMP/s9.jsonl"
serve o9 "$TMP/s9.jsonl" --loop
OLLAMA_HOST=$URL bi-agent revise dee "more" --max-steps 2 >/dev/null 2>&1
is $? 1 "a revision stopped at the step limit"
bi-agent review dee >"$TMP/out" 2>&1
is "$?:$(grep -c '^+++ b/a.txt$' "$TMP/out")" "0:1" "review after it: the latest suggestion, revision 1's"
cat >"$TMP/s10.jsonl" <<'EOF2'
{"tool":"propose_change","args":{"path":"b.txt","content":"b\n"}}
{"tool":"finish","args":{"summary":"a and b"}}
EOF2
serve o10 "$TMP/s10.jsonl"
OLLAMA_HOST=$URL bi-agent revise dee "b too" >"$TMP/out" 2>/dev/null
is "$(head -1 "$TMP/out")" "dee: revision 3 suggested: 2 files, 2 steps, 200 tokens" \
	"the revision after it builds on revision 1's proposal"

# ---- no tests: refused unless --no-tests

cp blissful-infra.yaml "$TMP/yaml"
printf 'name: demo\n' >blissful-infra.yaml
bi-agent accept dee >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err"):$(git branch --list 'agent/dee/*' | wc -l | tr -d ' ')" \
	"1:bi-agent: accept: no tests to run (agent.test_command, or a Makefile, package.json, pom.xml, go.mod or Python project); --no-tests to accept anyway:0" \
	"accept with no test command: refused, exit 1"
bi-agent accept dee --no-tests >"$TMP/out" 2>&1
is "$?:$(head -1 "$TMP/out"):$(git show agent/dee/task-9-r3:b.txt)" "0:tests: none (--no-tests):b" \
	"accept --no-tests: committed untested, as asked"
cp "$TMP/yaml" blissful-infra.yaml

# ---- accept makes the change against the file as it was proposed

seq 1 10 >long.txt && git add long.txt && git commit -qm long
sed -i 's/^10$/ten, not committed/' long.txt
cat >"$TMP/s11.jsonl" <<'EOF2'
{"tool":"propose_change","args":{"path":"long.txt","diff":"@@ -1,2 +1,2 @@\n-1\n+one\n 2\n"}}
{"tool":"finish","args":{"summary":"one"}}
EOF2
serve o11 "$TMP/s11.jsonl"
bi-agent hire bug-fixer --name eve >/dev/null
OLLAMA_HOST=$URL bi-agent assign eve "one" >/dev/null 2>&1
bi-agent accept eve >"$TMP/out" 2>&1
is "$?:$(git show agent/eve/task-10-r1:long.txt | sed -n '1p;10p' | tr '\n' ' ')" "0:one 10 " \
	"an edit not committed when the change was proposed is not carried into the commit"
git checkout -q long.txt
cat >"$TMP/s12.jsonl" <<'EOF2'
{"tool":"propose_change","args":{"path":"greet.txt","diff":"@@ -1,2 +1,2 @@\n-hello\n+hello there\n world\n"}}
{"tool":"finish","args":{"summary":"there"}}
EOF2
bi-agent hire bug-fixer --name fay >/dev/null
serve o12 "$TMP/s12.jsonl"
OLLAMA_HOST=$URL bi-agent assign fay "there" >/dev/null 2>&1
printf 'howdy\nworld\n' >greet.txt && git commit -qam howdy
bi-agent accept fay >"$TMP/out" 2>"$TMP/err"
is "$?:$(grep -c 'greet.txt: changed since it was proposed' "$TMP/err"):$(git branch --list 'agent/fay/*' | wc -l | tr -d ' ')" \
	"1:1:0" "a file changed on HEAD since the proposal that the change does not fit: refused, exit 1, nothing left"

# ---- Ctrl-C: a test run and a model's request end at once, nothing left running

waitfile() { _i=0; while [ ! -s "$1" ] && [ $_i -lt 600 ]; do sleep 0.05; _i=$((_i + 1)); done; }
running() { kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" | grep -q Z; }
waitpid_bounded() {	# PID: its status; killed (137) when it is not done within ~60 s
	_i=0
	while running "$1" && [ $_i -lt 1200 ]; do sleep 0.05; _i=$((_i + 1)); done
	running "$1" && kill -KILL "$1"
	wait "$1"
}
cat >"$TMP/s13.jsonl" <<'EOF2'
{"tool":"propose_change","args":{"path":"greet.txt","content":"hello\nworld\nhi\n"}}
{"tool":"finish","args":{"summary":"hi"}}
EOF2
serve o13 "$TMP/s13.jsonl"
bi-agent hire bug-fixer --name gus >/dev/null
OLLAMA_HOST=$URL bi-agent assign gus "hi" >/dev/null 2>&1
cp blissful-infra.yaml "$TMP/yaml"
printf 'name: demo\nagent:\n  test_command: sleep 300 & echo $! >"$SLEEPER"; wait\n' >blissful-infra.yaml
SLEEPER=$TMP/sleeper bi-agent accept gus >"$TMP/out" 2>"$TMP/err" &
apid=$!
waitfile "$TMP/sleeper"
kill -INT $apid
waitpid_bounded $apid
st=$?
_i=0	# a SIGKILLed process takes a moment to go
while running "$(cat "$TMP/sleeper")" && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
running "$(cat "$TMP/sleeper")"
is "$st:$?:$(cat "$TMP/err"):$(git branch --list 'agent/gus/*' | wc -l | tr -d ' ')" \
	"1:1:bi-agent: accept: interrupted while the tests ran:0" \
	"Ctrl-C during accept's tests: exit 1, the tests' processes gone, no branch left"
cp "$TMP/yaml" blissful-infra.yaml
echo '{"tool":"finish","args":{"summary":"late"},"sleep":120}' >"$TMP/s14.jsonl"
serve o14 "$TMP/s14.jsonl"
OLLAMA_HOST=$URL bi-agent assign gus "slow" >"$TMP/out" 2>/dev/null &
apid=$!
waitfile "$TMP/o14.log"
kill -TERM $apid
waitpid_bounded $apid
is "$?:$(cat "$TMP/out")" "1:gus: stopped (1 steps, 0 tokens): stopped at interrupted (1 steps, 0 tokens)" \
	"a signal during a model's request ends it; the task is stopped"

# ---- the model's text is shown, not obeyed by the terminal

cat >"$TMP/s15.jsonl" <<'EOF2'
{"tool":"read\u001b]0;owned\u0007","args":{"path":"x\r\u001b[2K"}}
{"tool":"propose_change","args":{"path":"greet.txt","content":"hello\u001b[2J\nworld\n"}}
{"tool":"finish","args":{"summary":"clear\u001b[H\rscreen"}}
EOF2
serve o15 "$TMP/s15.jsonl"
bi-agent hire bug-fixer --name hal >/dev/null
OLLAMA_HOST=$URL bi-agent assign hal "esc" >"$TMP/out" 2>"$TMP/err"
bi-agent review hal >>"$TMP/out"
bi-agent status hal >>"$TMP/out"
E=$(printf '\033') R=$(printf '\r')
is "$(cat "$TMP/out" "$TMP/err" | grep -c "$E\|$R"):$(grep -c 'step 1: read^\[\]0;owned^G {"path":"x\\r\\u001b\[2K"} -> refused: no tool read^\[\]0;owned^G' "$TMP/err"):$(grep -c '^+hello^\[\[2J$' "$TMP/out"):$(grep -c 'clear^\[\[H\\rscreen' "$TMP/out")" \
	"0:1:1:3" "escape sequences and carriage returns from the model made visible in step lines, review and status"

# ---- a project in a folder of its repository

M=$TMP/mono
mkdir -p "$M/svc" && cd "$M" && git init -q -b main . && git config user.name Person && git config user.email p@x
cd svc || exit 1
printf 'name: svc\nagent:\n  test_command: grep -q bye greet.txt && pwd >"$MARK"\n' >blissful-infra.yaml
printf '.blissful-infra/\n' >.gitignore
echo hi >greet.txt
git add -A && git commit -qm init
cat >"$TMP/s16.jsonl" <<'EOF2'
{"tool":"propose_change","args":{"path":"greet.txt","content":"bye\n"}}
{"tool":"finish","args":{"summary":"bye"}}
EOF2
serve o16 "$TMP/s16.jsonl"
export BI_DB=$TMP/mono.db
bi-agent hire bug-fixer --name ian >/dev/null
OLLAMA_HOST=$URL bi-agent assign ian "bye" >/dev/null 2>&1
bi-agent accept ian >"$TMP/out" 2>&1
is "$?:$(git show agent/ian/task-1-r1:svc/greet.txt):$(git show --stat --format= agent/ian/task-1-r1 | head -1 | cut -d' ' -f2):$(cat "$MARK")" \
	"0:bye:svc/greet.txt:$M/svc/.blissful-infra/worktrees/agent-ian-1-r1/svc" \
	"a project in a folder of its repository: the change at its path there, the tests run in its folder"
