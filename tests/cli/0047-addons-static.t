#!/bin/sh
# The add-ons whose images these machines cannot build (tracing, vault,
# traefik: upstream images) or that need a cluster (network-policies,
# cert-manager), verified statically: every compose fragment passes
# `docker-compose config` with the project's file, alone and all together;
# every kustomize component renders with each overlay, alone and all
# together, and every manifest rendered passes the schema check
# (tests/tools/k8s-schema.py: the Kubernetes OpenAPI fields and types of the
# kinds used, and the CRDs' for External Secrets, Traefik and cert-manager),
# which refuses a misspelt field; the collector's pipelines name only what
# it defines; add and create --with make the same project.
. "$(dirname "$0")/../lib.sh"
static="tracing vault traefik network-policies cert-manager"
all="prometheus alertmanager $static"
# Components (kind: Component) came with kustomize 3.7; kubectl embeds one
# that renders them from 1.21. Debian 12's kubernetes-client is 1.20 and no
# registry these machines reach has a newer one, so on a machine with only
# that kubectl this test says so and skips, under CI too (the machines seen so
# far carry kubectl 1.32 in their image; the README says which is verified).
minor=$(kubectl version --client -o json 2>/dev/null | jq -r '.clientVersion.minor // 0' | tr -dc 0-9)
if [ "${minor:-0}" -lt 21 ]; then
	plan 1
	echo "# kubectl 1.${minor:-?} cannot render kustomize components: the add-ons' manifests are not checked here" >&2
	skip "kubectl 1.${minor:-?}: its kustomize predates kind: Component (1.21 or later renders them)"
	exit 0
fi
plan 24
cd "$TMP" || exit 1
export DOCKER_HOST=unix://$TMP/no-docker.sock	# nothing here may touch a daemon
schema() { python3 "$ROOT/tests/tools/k8s-schema.py" --allow Rollout,AnalysisTemplate "$@"; }
# objs FILE: the kind/name of each manifest, a generated name's hash left out.
objs() {
	python3 -c 'import re, sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d:
        n = d["metadata"]["name"]
        if d["kind"] in ("ConfigMap", "Secret"):
            n = re.sub("-[a-z0-9]{10}$", "", n)
        print("%s/%s" % (d["kind"], n))' "$1" | sort
}

blissful-infra create svc --template c-service --dir "$TMP/p" >/dev/null 2>&1
exit_ok $? "a c-service project"
cp -a "$TMP/p" "$TMP/orig"
cd "$TMP/p" || exit 1
overlays=$(ls k8s/overlays)
kubectl kustomize k8s/overlays/staging 2>/dev/null >"$TMP/base-staging.yaml"
objs "$TMP/base-staging.yaml" >"$TMP/base.objs"

# Each component alone: its fragment valid with the project's file, its
# component rendered with each overlay, every manifest valid.
for a in $static; do
	blissful-infra add "$a" >/dev/null 2>"$TMP/err"
	st=$?
	if [ -f "docker-compose.$a.yaml" ]; then
		docker-compose -p svc -f docker-compose.yaml -f "docker-compose.$a.yaml" config -q 2>>"$TMP/err"
		st=$((st + $?))
	fi
	for o in $overlays; do
		kubectl kustomize "k8s/overlays/$o" 2>>"$TMP/err" >"$TMP/$a-$o.yaml" || st=$((st + 1))
		schema "$TMP/$a-$o.yaml" >"$TMP/schema" || { st=$((st + 1)); grep -v '^ok\|^skip' "$TMP/schema" >>"$TMP/err"; }
	done
	exit_ok $st "$a alone: added, compose config, kustomize with each overlay ($(echo $overlays)), schema" ||
		sed 's/^/# /' "$TMP/err"
	blissful-infra remove "$a" >/dev/null 2>&1
	diff -r "$TMP/orig" "$TMP/p" >/dev/null
	exit_ok $? "$a removed: the project as it was"
done

# What each component adds to staging's manifests.
for a in $static; do
	printf '%s: %s\n' "$a" "$(objs "$TMP/$a-staging.yaml" | comm -13 "$TMP/base.objs" - | paste -sd' ' -)"
done >"$TMP/added"
is "$(cat "$TMP/added")" "tracing: ConfigMap/otel-collector-config Deployment/jaeger Deployment/otel-collector Service/jaeger Service/otel-collector
vault: ClusterRoleBinding/svc-vault-tokenreview ConfigMap/vault-k8s-auth Deployment/vault ExternalSecret/svc-vault Job/vault-k8s-auth Secret/vault-dev-token SecretStore/vault Service/vault ServiceAccount/vault
traefik: Deployment/traefik IngressRoute/svc Middleware/svc-auth Middleware/svc-ratelimit Role/traefik RoleBinding/traefik Service/traefik ServiceAccount/traefik
network-policies: NetworkPolicy/allow-dns NetworkPolicy/default-deny NetworkPolicy/namespace-isolation NetworkPolicy/svc-allow-ingress
cert-manager: Certificate/svc-ca Ingress/svc Issuer/selfsigned Issuer/svc-ca" \
	"what each component adds, by kind and name"
grep -q 'OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector:4318' "$TMP/tracing-production.yaml"
exit_ok $? "tracing: the app's ConfigMap (read by production's Rollout too) names the collector"
python3 -c 'import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
defined = {k: set(c.get(k) or {}) for k in ("receivers", "processors", "exporters", "extensions")}
bad = [(k, n) for p in c["service"]["pipelines"].values() for k in ("receivers", "processors", "exporters")
       for n in p[k] if n not in defined[k]]
bad += [("extensions", n) for n in c["service"].get("extensions", []) if n not in defined["extensions"]]
if bad: print(bad)
sys.exit(1 if bad or not c["service"]["pipelines"] else 0)' "$ROOT/templates/addons/tracing/config/otel-collector.yaml"
exit_ok $? "the collector's pipelines name only receivers, processors and exporters it defines"

# The schema check refuses what the API server would.
sed 's/containerPort:/containerport:/' "$TMP/tracing-staging.yaml" | schema >"$TMP/schema"
is "$?:$(grep -c '^bad Deployment' "$TMP/schema")" "1:3" "a misspelt field: refused, in each Deployment"
sed 's/average: 100/average: "100"/' "$TMP/traefik-staging.yaml" | schema | grep '^bad' >"$TMP/schema"
is "$(cat "$TMP/schema")" "bad Middleware svc-ratelimit: spec.rateLimit.average: '100' is not of type 'integer'" \
	"a field of the wrong type: refused"
printf 'apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n' | schema >"$TMP/schema"
is "$?:$(cat "$TMP/schema")" "1:bad Widget w: no schema for v1/Widget" "a kind with no schema: refused"

# All together, by add and by create --with: the same project, valid.
for a in $all; do blissful-infra add "$a" >/dev/null 2>&1 || echo "$a" ; done >"$TMP/err"
is "$(cat "$TMP/err")" "" "every component added, one after the other"
set --
for a in $all; do [ -f "docker-compose.$a.yaml" ] && set -- "$@" -f "docker-compose.$a.yaml"; done
docker-compose -p svc -f docker-compose.yaml "$@" config -q 2>"$TMP/err"
exit_ok $? "docker-compose config: the project's file with all $(($# / 2)) fragments" || sed 's/^/# /' "$TMP/err"
is "$(docker-compose -p svc -f docker-compose.yaml "$@" config --services | sort | paste -sd' ' -)" \
	"alertmanager app jaeger otel-collector prometheus traefik vault" "their services, with the app's"
for o in $overlays; do
	kubectl kustomize "k8s/overlays/$o" 2>"$TMP/err" >"$TMP/all-$o.yaml" && schema "$TMP/all-$o.yaml" >"$TMP/schema"
	exit_ok $? "all seven components with the $o overlay: rendered, every manifest valid" ||
		{ grep -v '^ok\|^skip' "$TMP/schema"; cat "$TMP/err"; } | sed 's/^/# /'
done
blissful-infra create svc --template c-service --with "$(echo $all | tr ' ' ,)" --dir "$TMP/w" >/dev/null 2>&1
diff -r -x .git "$TMP/w" "$TMP/p" >"$TMP/diff"
exit_ok $? "create --with all seven: the same project as create, then add each" || sed 's/^/# /' "$TMP/diff"
