#!/bin/sh
# bi-scaffold --with (and create --with): components added at creation are
# what `blissful-infra add` would have added, file for file; every command's
# compose includes the fragments the project lists; unknown or repeated
# components are refused before anything is written.
. "$(dirname "$0")/../lib.sh"
plan 12
cd "$TMP" || exit 1
export DOCKER_HOST=unix://$TMP/no-docker.sock	# nothing here may touch a daemon

bi-scaffold --template c-service --with prometheus,alertmanager --dir "$TMP/w" svc >"$TMP/out"
exit_ok $? "bi-scaffold --with prometheus,alertmanager"
is "$(jq -r .path "$TMP/out" | sed "s|^$TMP/w/||" | grep -E '^docker-compose\.|^k8s/components/' | sort | paste -sd' ' -)" \
	"docker-compose.alertmanager.yaml docker-compose.prometheus.yaml docker-compose.yaml k8s/components/alertmanager/deployment.yaml k8s/components/alertmanager/kustomization.yaml k8s/components/alertmanager/service.yaml k8s/components/prometheus/deployment.yaml k8s/components/prometheus/kustomization.yaml k8s/components/prometheus/service.yaml" \
	"file records: each fragment and kustomize component"
is "$(BI_PROJECT_DIR=$TMP/w bi-config get addons | jq -c .)" '["prometheus","alertmanager"]' \
	"blissful-infra.yaml lists them, in order"
for k in "$TMP"/w/k8s/overlays/*/kustomization.yaml; do
	tail -n 3 "$k"
done | sort | uniq -c | sed 's/^ *//' >"$TMP/comps"
n=$(ls -d "$TMP"/w/k8s/overlays/*/ | wc -l | tr -d ' ')
is "$(cat "$TMP/comps")" "$n   - ../../components/alertmanager
$n   - ../../components/prometheus
$n components:  # blissful-infra add/remove" "each of the $n overlays lists both components"

# The same project made by create --with, and by create then add, add.
blissful-infra create svc --template c-service --with prometheus,alertmanager --dir "$TMP/a" >/dev/null 2>&1
exit_ok $? "create --with prometheus,alertmanager"
blissful-infra create svc --template c-service --dir "$TMP/b" >/dev/null 2>&1 &&
	(cd "$TMP/b" && blissful-infra add prometheus && blissful-infra add alertmanager) >/dev/null 2>&1
exit_ok $? "create, then add prometheus, add alertmanager"
diff -r -x .git "$TMP/a" "$TMP/b" >"$TMP/diff"
exit_ok $? "the two projects are the same, file for file" || sed 's/^/# /' "$TMP/diff"
kubectl kustomize "$TMP/a/k8s/overlays/$(ls "$TMP/a/k8s/overlays" | head -n 1)" >"$TMP/k8s" 2>&1 &&
	grep -q '^  name: prometheus$' "$TMP/k8s" && grep -q '^  name: alertmanager$' "$TMP/k8s"
exit_ok $? "its overlay renders with both components" || sed 's/^/# /' "$TMP/k8s"

# compose, for every command: the project's file, then the fragments listed.
is "$(cd "$TMP/a" && BI_LIBEXEC=$ROOT/scripts/cmd BI_COMPOSE=echo sh -c '. "$BI_LIBEXEC/_project.sh"; compose ps' |
	sed "s|$TMP/a/||g")" \
	"-p svc -f docker-compose.yaml -f docker-compose.prometheus.yaml -f docker-compose.alertmanager.yaml ps" \
	"compose: the add-ons' fragments after the project's file, the command last"

bi-scaffold --with prometheus,nosuch --dir "$TMP/x" svc >/dev/null 2>"$TMP/err"
is "$?:$(sed 's| in /.*/addons$||' "$TMP/err")" "2:bi-scaffold: --with: no component named 'nosuch'" \
	"an unknown component: exit 2"
bi-scaffold --with prometheus,prometheus --dir "$TMP/x" svc >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:bi-scaffold: --with: prometheus named twice" "a component named twice: exit 2"
[ ! -e "$TMP/x" ]
exit_ok $? "... and nothing written"
