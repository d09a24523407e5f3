#!/bin/sh
# blissful-infra jenkins: the files it generates (Dockerfile, plugins,
# configuration as code, compose file), a random admin password in a 0600
# file, the port on 127.0.0.1 only, a clear failure when the base image is
# missing (Jenkins cannot run here: no image can be pulled, no plugin
# downloaded); then add-project, build and list against the Jenkins
# stand-in, with a branch whose name holds quotes and $(...).
. "$(dirname "$0")/../lib.sh"
STANDIN=$ROOT/tests/tools/jenkins-standin.py
plan 26
cd "$TMP" || exit 1
export BI_JENKINS_DIR=$TMP/state BI_JENKINS_BASE=bi-test/no-such-jenkins:none
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t \
	GIT_COMMITTER_EMAIL=t@example.invalid
unset BI_JENKINS_URL BI_JENKINS_PORT SLACK_WEBHOOK XDG_STATE_HOME

blissful-infra jenkins --help >out 2>err
is "$?:$(grep -c 'add-project' out)" "0:2" "jenkins --help"
blissful-infra jenkins nosuch >out 2>err
is "$?" 2 "an unknown subcommand is a usage error"

blissful-infra jenkins start >out 2>err
is "$?" 3 "start fails with 3 when the base image is missing"
grep -q "base image bi-test/no-such-jenkins:none is not on this machine" err
exit_ok $? "and says which image, and how to get it"
S=$TMP/state
for f in Dockerfile plugins.txt casc.yaml docker-compose.yaml .env admin-password; do
	[ -s "$S/$f" ] || echo "$f"
done >missing
is "$(cat missing)" "" "the Dockerfile, plugins, casc.yaml, compose file, .env and password are written"
is "$(stat -c %a "$S/admin-password"):$(stat -c %a "$S")" "600:700" "the password file is 0600, the state directory 0700"
pw=$(cat "$S/admin-password")
case $pw in *[!0-9a-f]*) ok=bad ;; *) ok=hex ;; esac
is "$ok:${#pw}" "hex:36" "the password is 144 random bits in hex"
blissful-infra jenkins start >/dev/null 2>&1
is "$(cat "$S/admin-password")" "$pw" "a second start keeps the password"
BI_JENKINS_DIR=$TMP/state2 blissful-infra jenkins start >/dev/null 2>&1
[ "$(cat "$TMP/state2/admin-password")" != "$pw" ]
exit_ok $? "another state directory gets another password"
grep -rl -- "$pw" "$S" | sed "s|$S/||" >holders
is "$(cat holders)" "admin-password" "the password is in no other generated file"

python3 - "$S/casc.yaml" >casc.out 2>&1 <<'EOF'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
j = c["jenkins"]
users = j["securityRealm"]["local"]["users"]
print(users[0]["id"], users[0]["password"], j["securityRealm"]["local"]["allowsSignup"],
      "standard" in j["crumbIssuer"], "folder('blissful-infra')" in c["jobs"][0]["script"],
      c["credentials"]["system"]["domainCredentials"][0]["credentials"][0]["string"]["id"])
EOF
is "$(cat casc.out)" 'admin ${ADMIN_PASSWORD} False True True slack-webhook' \
	"casc.yaml: admin's password from the secret, no signup, crumbs, the folder, a credential"
for p in configuration-as-code workflow-aggregator pipeline-stage-view git cloudbees-folder job-dsl timestamper; do
	grep -qx "$p" "$S/plugins.txt" || echo "$p"
done >noplug
is "$(cat noplug)" "" "plugins.txt has what casc.yaml, bi-jenkins and the Jenkinsfiles use"

# The published port, as compose reads the file: on 127.0.0.1 only.
if docker compose version >/dev/null 2>&1; then
	(cd "$S" && docker compose -p bi-test-jk -f docker-compose.yaml config) >config.out 2>&1
else
	(cd "$S" && docker-compose -p bi-test-jk -f docker-compose.yaml config) >config.out 2>&1
fi
exit_ok $? "compose accepts the generated file"
ports=$(sed -n '/ports:/,/restart:/p' config.out | grep -E '[0-9]+:8080|published|host_ip' | tr -d ' -')
case $ports in *127.0.0.1*) on=loopback ;; *) on="not loopback: $ports" ;; esac
is "$on" loopback "Jenkins's port is published on 127.0.0.1"
grep -q 'ADMIN_PASSWORD' config.out && ! grep -q -- "$pw" config.out
exit_ok $? "the password reaches the container as a secret file, not in the compose file"

# Against the stand-in, with the generated password.
/usr/bin/python3 "$STANDIN" --port-file port --log req.log --dump jobs.json --password "$pw" \
	--fail-job blissful-infra/broken &
at_exit "kill $! 2>/dev/null"
i=0
while [ ! -s port ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
export BI_JENKINS_URL=http://127.0.0.1:$(cat port)
blissful-infra jenkins status >out 2>err
is "$?" 0 "status: Jenkins answers with the password from the state directory"

branch='feat/it'"'"'s"$(touch${IFS}pwned)"'
bi-scaffold --template c-service --dir shop shop >/dev/null 2>&1
(cd shop && git init -q -b main && git add -A && git commit -q -m 'first "quoted" $(touch pwned-msg)' &&
	git checkout -q -b "$branch")
exit_ok $? "a project on a branch named with quotes and \$(...)"
blissful-infra jenkins add-project shop >out 2>err
is "$?" 0 "add-project"
python3 - "$branch" >xml.out 2>&1 <<'EOF'
import json, sys, xml.etree.ElementTree as ET
jobs = json.load(open("jobs.json"))
r = ET.fromstring(jobs["blissful-infra/shop"].encode())
print(r.findtext(".//hudson.plugins.git.BranchSpec/name") == sys.argv[1],
      r.findtext(".//hudson.plugins.git.UserRemoteConfig/url"))
EOF
is "$(cat xml.out)" "True /repos/shop.git" "the job checks out the mirror, on the branch named exactly"
git -C "$S/repos/shop.git" rev-parse -q --verify "refs/heads/$branch" >/dev/null
exit_ok $? "the mirror has the branch"
(cd shop && echo change >>README.md && git commit -q -am 'second')
blissful-infra jenkins build shop >out 2>err
is "$?" 0 "build: a passing build exits 0"
is "$(git -C "$S/repos/shop.git" rev-parse "refs/heads/$branch")" "$(git -C shop rev-parse HEAD)" \
	"build refreshed the mirror first"
grep -q 'Finished: SUCCESS' out
exit_ok $? "the console is shown"
is "$(BI_PROJECT_DIR=$TMP/shop bi-store get --kind pipeline --kind stage | jq -r '"\(.kind):\(.status)"' | sort | uniq -c | tr -s ' \n' '  ')" \
	" 1 pipeline:passed 3 stage:passed " "the build's pipeline and stage records are in the project's store"

bi-scaffold --template c-service --dir broken broken >/dev/null 2>&1
(cd broken && git init -q -b main && git add -A && git commit -q -m first)
blissful-infra jenkins add-project broken >/dev/null 2>&1
(cd broken && blissful-infra jenkins build >out 2>err)
is "$?" 1 "a failing build (the project's own, found from where it runs) exits 1"
find "$TMP" -name 'pwned*' >ran
is "$(cat ran)" "" "no \$(...) in a branch or commit message ran"
