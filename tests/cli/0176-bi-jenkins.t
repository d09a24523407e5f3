#!/bin/sh
# bi-jenkins against a stand-in that answers as Jenkins documents
# (tests/tools/jenkins-standin.py): the crumb and its session cookie, jobs
# created from escaped XML, build -> queue item -> number -> console by
# progressiveText -> result and stages, the job list; exit codes 0/1/2/3.
# Names, branches and parameters with quotes, spaces and $(...) arrive as
# they were written, and no shell runs them.
. "$(dirname "$0")/../lib.sh"
STANDIN=$ROOT/tests/tools/jenkins-standin.py
plan 33
cd "$TMP" || exit 1
unset JENKINS_URL JENKINS_USER JENKINS_PASSWORD JENKINS_PASSWORD_FILE

printf 's3cret pass\n' >pw
chmod 600 pw
/usr/bin/python3 "$STANDIN" --port-file port --log req.log --dump jobs.json \
	--password 's3cret pass' --fail-job 'bi/broken' &
at_exit "kill $! 2>/dev/null"
i=0
while [ ! -s port ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
URL=http://127.0.0.1:$(cat port)
export JENKINS_URL=$URL JENKINS_PASSWORD_FILE=$TMP/pw
jk() { bi-jenkins --poll 10ms "$@"; }

# The stand-in is Jenkins-like where it matters: a crumb without its session
# cookie is refused, with it accepted.
curl -s -u 'admin:s3cret pass' -c jar "$URL/crumbIssuer/api/json" >crumb.json
crumb=$(jq -r .crumb crumb.json)
st=$(curl -s -o /dev/null -w '%{http_code}' -u 'admin:s3cret pass' -H "Jenkins-Crumb: $crumb" \
	-X POST "$URL/job/nosuch/build")
is "$st" 403 "stand-in: a crumb without its session cookie gets 403"
st=$(curl -s -o /dev/null -w '%{http_code}' -u 'admin:s3cret pass' -b jar -H "Jenkins-Crumb: $crumb" \
	-X POST "$URL/job/nosuch/build")
is "$st" 404 "stand-in: with its cookie the crumb passes (and the job is missing)"
: >req.log

jk status >out 2>err
is "$?:$(jq -r '[.kind, .version, .csrf] | join(" ")' out)" "0:jenkins_status 2.479.2 true" "status: Jenkins's version from X-Jenkins, CSRF on"

# A job whose name, branch, repository and description hold quotes, spaces,
# markup and command substitutions.
name='bi/it'"'"'s "q" $(touch pwned-name)'
branch='feat/<b>&"x"$(touch pwned-branch)'
repo='/srv/a b/it'"'"'s.git'
desc='<script>alert(1)</script> & $(touch pwned-desc)'
jk add-job "$name" --repo "$repo" --branch "$branch" --description "$desc" >out 2>err
is "$?:$(jq -r '.action' out)" "0:created" "add-job creates the job (and its folder)"
jk add-job "$name" --repo "$repo" --branch "$branch" --description "$desc" >out 2>err
is "$?:$(jq -r '.action' out)" "0:updated" "add-job again updates its config.xml"
python3 - "$name" "$repo" "$branch" "$desc" >xml.out 2>&1 <<'EOF'
import json, sys, xml.etree.ElementTree as ET
name, repo, branch, desc = sys.argv[1:]
jobs = json.load(open("jobs.json"))
root = ET.fromstring(jobs[name].encode())
print(root.findtext("description") == desc,
      root.findtext(".//hudson.plugins.git.UserRemoteConfig/url") == repo,
      root.findtext(".//hudson.plugins.git.BranchSpec/name") == branch,
      root.findtext(".//scriptPath") == "Jenkinsfile",
      ET.fromstring(jobs["bi"].encode()).tag)
EOF
is "$(cat xml.out)" "True True True True com.cloudbees.hudson.plugins.folder.Folder" \
	"the job's XML parses and gives back every value as written; bi is a folder"
grep -q '&lt;script&gt;' jobs.json
exit_ok $? "markup in the description is escaped, not carried as elements"
posts=$(jq -r 'select(.method == "POST") | "\(.status) \(.cookie != null) \(.crumb != null)"' req.log | sort -u)
is "$posts" "200 true true" "every POST carried the crumb and its session cookie, and was accepted"

# A build with parameters: 201 and a queue item, a number, the console.
msg='fix "quotes" & spaces; $(touch pwned-param) `id`'
jk build "$name" --param "MSG=$msg" --param 'BRANCH=a b' >out 2>err
is "$?" 0 "a passing build exits 0"
is "$(jq -r 'select(.kind == "pipeline") | "\(.status) \(.result) \(.build)"' out)" \
	"passed SUCCESS 1" "a pipeline record: passed, SUCCESS, build 1"
is "$(jq -r 'select(.method == "POST" and (.path | endswith("/buildWithParameters"))) | .status' req.log)" 201 \
	"buildWithParameters was answered 201"
python3 - "$msg" >form.out <<'EOF'
import json, sys, urllib.parse
for line in open("req.log"):
    r = json.loads(line)
    if r["path"].endswith("/buildWithParameters"):
        f = urllib.parse.parse_qs(r["body"])
        print(f["MSG"] == [sys.argv[1]], f["BRANCH"] == ["a b"], r["content_type"])
EOF
is "$(cat form.out)" "True True application/x-www-form-urlencoded" "the parameters arrive form-encoded, exactly as given"
is "$(jq -r 'select(.path | startswith("/queue/item/")) | .path' req.log | sort -u)" "/queue/item/1/api/json" \
	"the queue item named in Location is read (at our own address)"
is "$(jq -r 'select(.path | startswith("/queue/item/")) | .path' req.log | wc -l | tr -d ' ')" 2 \
	"read until it had a build number (waiting, then executable)"
# The console as Jenkins has it, put back together from reads cut mid-line.
jq -r 'select(.kind == "log") | .msg' out >console.got
is "$(sed -n 3p console.got)" "PARAM BRANCH=a b" "console lines come whole though the reads cut them"
is "$(sed -n 4p console.got)" "PARAM MSG=$msg" "the parameter's text comes back as it went"
is "$(tail -n 1 console.got)" "Finished: SUCCESS" "the console is followed to its end"
starts=$(jq -r 'select(.path | endswith("/progressiveText")) | .query' req.log | sed 's/start=//' | tr '\n' ' ')
is "$(echo "$starts" | awk '{ok = $1 == 0; for (i = 2; i <= NF; i++) if ($i != $(i - 1) + 37) ok = 0; print ok, (NF > 3)}')" \
	"1 1" "each progressiveText read starts at the X-Text-Size of the one before"
is "$(jq -r 'select(.kind == "stage") | "\(.name):\(.status)"' out | tr '\n' ' ')" \
	"Build:passed Test:passed Push:passed " "the stage table from wfapi/describe"
ls pwned-* >/dev/null 2>&1
is "$?" 2 "no \$(...) in a name, branch, description or parameter ran"

# A failing build: exit 1, its stages say where.
jk add-job bi/broken --repo /srv/b.git >/dev/null 2>&1
jk build bi/broken >out 2>err
is "$?" 1 "a failing build exits 1"
is "$(jq -r 'select(.kind == "stage") | "\(.name):\(.status)"' out | tr '\n' ' ')" \
	"Build:passed Test:failed Push:skipped " "its stages: Test failed, Push not executed"
is "$(jq -r 'select(.kind == "pipeline") | .status' out):$(tail -n 1 err)" "failed:bi-jenkins: bi/broken #1: failed" \
	"the pipeline record says failed, and stderr says so"
is "$(jq -r '.run // empty' out | sort -u)" "bi-broken-1" \
	"its stages and its run, one run, named as the Jenkinsfile names it (JOB_NAME-BUILD_NUMBER)"

jk list bi >out 2>err
is "$?:$(jq -r '"\(.name)|\(.status)|\(.last_build)|\(.last_result)"' out | tr '\n' ' ')" \
	"0:bi/broken|failed|1|FAILURE bi/it's \"q\" \$(touch pwned-name)|passed|1|SUCCESS " \
	"list: the folder's jobs with their last builds"
jq -r 'select(.path == "/job/bi/api/json") | .query' req.log | tail -n 1 >q
is "$(cat q)" "tree=jobs[name,color,lastBuild[number,result,timestamp]]" "list asks for the documented tree"
jk list >out 2>err
is "$?:$(jq -r '"\(.name) \(.status)"' out)" "0:bi folder" "list at the top: the folder"

# Refusals and absence.
jk build bi/nosuch >out 2>err
is "$?" 2 "a job that does not exist: exit 2"
JENKINS_PASSWORD_FILE= JENKINS_PASSWORD=wrong jk status >out 2>err
is "$?" 2 "a wrong password: exit 2 (Jenkins says 401)"
jk -u "http://127.0.0.1:$(free_port)" status >out 2>err
is "$?:$(wc -c <out | tr -d ' ')" "3:0" "no Jenkins there: exit 3, no record"
# A crumb holding a line break and a header of its own is not sent.
/usr/bin/python3 "$STANDIN" --port-file port2 --log req2.log --password 's3cret pass' \
	--crumb-suffix "$(printf '\r\nX-Evil: 1')" &
at_exit "kill $! 2>/dev/null"
i=0
while [ ! -s port2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
jk -u "http://127.0.0.1:$(cat port2)" add-job evil --repo /r >out 2>err
is "$?:$(jq -r 'select(.method == "POST") | .path' req2.log)" "2:" \
	"a crumb with a line break is refused, and no request carries it"

bi-jenkins --param nokey status >out 2>err
is "$?" 2 "a parameter without KEY= is a usage error"
bi-jenkins add-job x >out 2>err
is "$?" 2 "add-job without --repo is a usage error"
