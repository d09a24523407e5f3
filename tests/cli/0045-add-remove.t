#!/bin/sh
# blissful-infra add/remove without Docker: the compose files stay valid with
# the add-ons' fragments, every kustomize overlay renders their components, the generated Prometheus configuration passes
# promtool and its rules fire as blissful-infra.yaml's levels say (promtool
# test rules), Alertmanager's routes are the project's webhooks, and remove
# gives back the project file for file; adding twice, an unknown component and
# removing what is not there are refused.
. "$(dirname "$0")/../lib.sh"
plan 30
P=$TMP/svc
bi-scaffold --template c-service --dir "$P" svc >/dev/null || { exit_ok 1 "scaffold"; exit 1; }
cat >>"$P/blissful-infra.yaml" <<'YML'
notifications:
  webhooks:
    - name: oncall
      url: ${BI_T_HOOK}/oncall
    - name: unset
      url: ${BI_T_UNSET_VAR}
  slack:
    webhook: https://hooks.example.invalid/services/T0/B0/x
YML
cp -a "$P" "$TMP/orig"
cd "$P" || exit 1
export BI_T_HOOK="http://127.0.0.1:9/it's"
unset BI_T_UNSET_VAR
export DOCKER_HOST=unix://$TMP/no-docker.sock	# nothing here may touch a daemon
dc() { docker-compose -p svc -f docker-compose.yaml "$@"; }

blissful-infra add prometheus >"$TMP/out" 2>"$TMP/err"
exit_ok $? "add prometheus"
[ -f docker-compose.prometheus.yaml ] && [ -f addons/prometheus/prometheus.yml ] && [ -f addons/prometheus/rules.yml ]
exit_ok $? "its fragment and its generated configuration are in the project"
is "$(tail -1 blissful-infra.yaml)" "addons: [prometheus]  # blissful-infra add/remove" "listed on the addons: line"
is "$(bi-config get addons.0)" prometheus "which bi-config reads"
dc -f docker-compose.prometheus.yaml config -q
exit_ok $? "docker-compose config: valid with the fragment"
is "$(dc -f docker-compose.prometheus.yaml config --services | sort | paste -sd' ' -)" "app prometheus" \
	"the services: app and prometheus"
promtool check config addons/prometheus/prometheus.yml >"$TMP/promtool" 2>&1
exit_ok $? "promtool check config (and its rule file)" || sed 's/^/# /' "$TMP/promtool"
cp -a "$P" "$TMP/with-prom"

blissful-infra add prometheus >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:blissful-infra: prometheus is already in svc (blissful-infra remove prometheus takes it out)" \
	"adding it twice: exit 1, saying so"
diff -r "$TMP/with-prom" "$P" >/dev/null
exit_ok $? "and nothing changed"

# The rules, fed series: 1 request in 4 fails, over both levels (0.01, 0.05).
cat >"$TMP/test.yml" <<YML
rule_files: ['$P/addons/prometheus/rules.yml']
evaluation_interval: 15s
tests:
  - interval: 15s
    input_series:
      - series: 'http_requests_total{service="app",status="200"}'
        values: '0+3x40'
      - series: 'http_requests_total{service="app",status="500"}'
        values: '0+1x40'
    alert_rule_test:
      - eval_time: 4m
        alertname: error_rate
        exp_alerts:
          - exp_labels: {service: app, severity: warning}
            exp_annotations: {summary: 'app: error_rate is 0.25, at or above its warning level 0.01'}
          - exp_labels: {service: app, severity: critical}
            exp_annotations: {summary: 'app: error_rate is 0.25, at or above its critical level 0.05'}
      - eval_time: 4m
        alertname: latency_p95_ms
        exp_alerts: []
YML
promtool test rules "$TMP/test.yml" >"$TMP/promtool" 2>&1
exit_ok $? "promtool test rules: error_rate fires at both levels of blissful-infra.yaml" || sed 's/^/# /' "$TMP/promtool"

blissful-infra add alertmanager >"$TMP/out" 2>"$TMP/err"
exit_ok $? "add alertmanager"
grep -q "webhook unset: its URL names an unset variable; left out" "$TMP/err"
exit_ok $? "a webhook whose variable is unset is left out, saying so"
is "$(sed -n "s/^ *- url: //p; s/^ *- api_url: //p" addons/alertmanager/alertmanager.yml | paste -sd' ' -)" \
	"'http://127.0.0.1:9/it''s/oncall' 'https://hooks.example.invalid/services/T0/B0/x'" \
	"its routes: the webhook with its variable expanded, and Slack"
grep -A3 '^alerting:' addons/prometheus/prometheus.yml | grep -q "targets: \['127.0.0.1:9093'\]"
exit_ok $? "Prometheus sends to it"
dc -f docker-compose.prometheus.yaml -f docker-compose.alertmanager.yaml config -q
exit_ok $? "docker-compose config: valid with both fragments"

# Kubernetes: each overlay renders the components, their config mounted.
for o in k8s/overlays/*/; do
	o=${o%/}
	kubectl kustomize "$o" 2>&1 | python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
got = {(d["kind"], d["metadata"]["name"]): d for d in docs}
names = sorted("%s/%s" % k for k in got if k[1].startswith(("prometheus", "alertmanager")))
cm = [n for k, n in got if k == "ConfigMap" and n.startswith("prometheus-config-")]
sec = [n for k, n in got if k == "Secret" and n.startswith("alertmanager-config-")]
vol = lambda d: d["spec"]["template"]["spec"]["volumes"][0]
ok = (len(cm) == 1 and len(sec) == 1
      and vol(got[("Deployment", "prometheus")])["configMap"]["name"] == cm[0]
      and vol(got[("Deployment", "alertmanager")])["secret"]["secretName"] == sec[0])
print(" ".join(n.split("-config-")[0] + "-config" if "-config-" in n else n for n in names))
sys.exit(0 if ok else 1)' >"$TMP/k8s" 2>&1
	st=$?
	is "$st $(cat "$TMP/k8s")" "0 ConfigMap/prometheus-config Deployment/alertmanager Deployment/prometheus Secret/alertmanager-config Service/alertmanager Service/prometheus" \
		"kubectl kustomize $o: both components, each mounting its generated config"
done
(cd k8s/components/prometheus && promtool check config prometheus.yml >"$TMP/promtool" 2>&1)
exit_ok $? "promtool check config: the Kubernetes prometheus.yml" || sed 's/^/# /' "$TMP/promtool"
grep -q "targets: \['svc:80'\]" k8s/components/prometheus/prometheus.yml &&
	grep -q "targets: \['alertmanager:9093'\]" k8s/components/prometheus/prometheus.yml
exit_ok $? "which scrapes the app's Service and sends to alertmanager's"

blissful-infra remove alertmanager >/dev/null 2>&1
diff -r "$TMP/with-prom" "$P" >"$TMP/diff"
exit_ok $? "remove alertmanager: back to the project with Prometheus alone" || sed 's/^/# /' "$TMP/diff"
blissful-infra remove prometheus >/dev/null 2>&1
diff -r "$TMP/orig" "$P" >"$TMP/diff"
exit_ok $? "remove prometheus: the project as it was, file for file" || sed 's/^/# /' "$TMP/diff"
blissful-infra remove prometheus >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "1:blissful-infra: svc has no prometheus (its add-ons: none)" "removing what is not there: exit 1"

blissful-infra add nosuch >"$TMP/out" 2>"$TMP/err"
is "$?:$(cat "$TMP/out")$(cat "$TMP/err")" "2:blissful-infra: unknown component: nosuch (known: alertmanager cert-manager network-policies prometheus tracing traefik vault)" \
	"an unknown component: exit 2, listing the known ones"
blissful-infra add >/dev/null 2>&1
is $? 2 "no component: exit 2"
blissful-infra add --help | grep -q '^  prometheus  '
exit_ok $? "--help lists the components"

# Settings the configuration cannot be made of: refused before any change.
cp blissful-infra.yaml "$TMP/before"
printf 'prometheus:\n  for: soon\n' >>blissful-infra.yaml
cp blissful-infra.yaml "$TMP/bad"
blissful-infra add prometheus >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:blissful-infra: prometheus.for in blissful-infra.yaml: soon is not a duration" \
	"a duration that is none: exit 2, naming it"
cmp -s "$TMP/bad" blissful-infra.yaml && [ ! -e docker-compose.prometheus.yaml ] && [ ! -e addons ]
exit_ok $? "and nothing changed"
cp "$TMP/before" blissful-infra.yaml

# An addons: line written by hand is not rewritten.
printf 'addons:\n  - prometheus\n' >>blissful-infra.yaml
cp blissful-infra.yaml "$TMP/by-hand"
blissful-infra add alertmanager >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "2:blissful-infra: the addons: line of $P/blissful-infra.yaml is not the one add and remove keep; edit it by hand" \
	"a hand-written addons: list: add refuses"
cmp -s "$TMP/by-hand" blissful-infra.yaml && [ ! -e docker-compose.alertmanager.yaml ] && [ ! -e addons ]
exit_ok $? "and changes nothing"
