# _k8s.sh: what deploy, rollback, env and status share for Kubernetes,
# sourced after _project.sh (not a command). kubectl does all the talking, in
# blissful-infra.yaml's kubernetes.context (else kubectl's current one, or
# KUBECONFIG's); every request has a deadline, so an unreachable cluster is
# an answer, not a hang. Argo CD is driven through its Application resource
# (kubectl get/patch), as its own CLI does through Argo CD's API: no argocd
# binary is needed.

K8S_CONTEXT=$(bi-config get kubernetes.context '') || exit 2
K8S_ARGOCD=$(bi-config get kubernetes.argocd false) || exit 2
K8S_ARGO_NS=$(bi-config get kubernetes.argocd_namespace argocd) || exit 2
K8S_TIMEOUT=$(bi-config seconds kubernetes.timeout 600) || exit 2
K8S_TTL=$(bi-config seconds kubernetes.ephemeral_ttl 86400) || exit 2
K8S_LABEL=blissful-infra.io

# kc ARGS: kubectl in the project's context, with a deadline on each request.
kc() {
	if [ -n "$K8S_CONTEXT" ]; then
		kubectl --context="$K8S_CONTEXT" --request-timeout="${BI_KUBE_TIMEOUT:-10s}" "$@"
	else
		kubectl --request-timeout="${BI_KUBE_TIMEOUT:-10s}" "$@"
	fi
}

need_kubectl() {
	command -v kubectl >/dev/null 2>&1 && return 0
	echo "blissful-infra: kubectl is not installed (Debian: kubernetes-client; scripts/deps.sh installs it)" >&2
	exit 3
}

# no_flag WHAT VALUE: refuse a value that a command would read as a flag.
no_flag() {
	case $2 in
	-*) die "$1: '$2' starts with '-'; refused (it would be read as a flag)" ;;
	'') die "$1: empty" ;;
	esac
}

# env_ns ENV [BRANCH]: the namespace of an environment: NAME-staging,
# NAME-production, and for an ephemeral one NAME-BRANCH (the branch or pull
# request lower-cased, [a-z0-9-] only, the whole at most 63 characters).
env_ns() {
	if [ "$1" != ephemeral ]; then
		printf '%s-%s\n' "$NAME" "$1"
		return
	fi
	s=$(printf '%s' "$2" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9-' '-' | sed 's/--*/-/g; s/^-//; s/-$//')
	[ -n "$s" ] || die "--branch: '$2' leaves nothing to name a namespace with"
	printf '%.63s\n' "$NAME-$s" | sed 's/-*$//'
}

# argo_app ENV: the Argo CD Application that drives ENV, when Argo CD is on
# (kubernetes.argocd) and k8s/argocd/ has one for it (NAME-ENV); else nothing.
argo_app() {
	[ "$K8S_ARGOCD" = true ] || return 0
	for f in "$ROOT"/k8s/argocd/*.yaml; do
		[ -f "$f" ] || continue
		grep -q "^  name: $NAME-$1\$" "$f" && { printf '%s\t%s\n' "$NAME-$1" "$f"; return 0; }
	done
	return 0
}

# record JSON-ARGS...: one record of blissful-infra(7) from jq --arg pairs
# and a jq object body, e.g. record deployment '{env: $e}' --arg e staging.
record() {
	kind=$1 body=$2
	shift 2
	jq -nc --arg kind "$kind" --arg project "$NAME" \
		--arg ts "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$@" \
		"{kind: \$kind, ts: \$ts, project: \$project} + $body"
}

# k8s_unreachable ERRFILE: kubectl's error says it reached no API server.
k8s_unreachable() {
	grep -qi 'unable to connect\|connection refused\|no such host\|i/o timeout\|deadline exceeded\|context deadline\|server is currently unable\|was refused' "$1"
}

# last_line FILE: the last non-empty line, for a diagnostic (kubectl's own).
last_line() {
	grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1
}

# k8s_canary_files DIR: write DIR/canary-steps.yaml (the Rollout's steps) and
# DIR/analysis-template.yaml (its analysis) from blissful-infra.yaml's canary:
# section. bi-scaffold renders the same two files from the defaults (the
# templates in templates/_shared/k8s/overlays/production); a test checks that
# a new project's files are what this writes from its blissful-infra.yaml.
k8s_canary_files() {
	steps=$(bi-config get canary.steps '[10,25,50,100]' | tr -d '[] ' | tr , ' ')
	pause=$(bi-config get canary.pause 1m)
	interval=$(bi-config get canary.interval 30s)
	limit=$(bi-config get canary.failure_limit 3)
	req=$(bi-config get canary.requests_metric http_requests_total)
	dur=$(bi-config get canary.duration_metric http_request_duration_seconds)
	err=$(bi-config get canary.analysis.error_rate 0.01)
	p95=$(bi-config get canary.analysis.p95_ms 200)
	p99=$(bi-config get canary.analysis.p99_ms 500)
	prom=$(bi-config get canary.prometheus http://prometheus.monitoring.svc:9090)
	for w in $steps; do
		case $w in *[!0-9]*|'') die "canary.steps: '$w' is not a whole percent" ;; esac
	done
	# The analysis reads an error rate in percent (3 % reads 3).
	errpct=$(awk -v e="$err" 'BEGIN { printf "%g", e * 100 }')
	{
		echo "# Generated from blissful-infra.yaml's canary: section (the deploy command"
		echo "# writes it again when that section changes): the canary's steps, each"
		echo "# weight held for canary.pause; the analysis (analysis-template.yaml) runs"
		echo "# in the background from the first step."
		echo "apiVersion: argoproj.io/v1alpha1"
		echo "kind: Rollout"
		echo "metadata:"
		echo "  name: $NAME"
		echo "spec:"
		echo "  strategy:"
		echo "    canary:"
		echo "      steps:"
		last=
		for w in $steps; do last=$w; done
		for w in $steps; do
			echo "        - setWeight: $w"
			[ "$w" = "$last" ] || echo "        - pause: {duration: $pause}"
		done
	} >"$1/canary-steps.yaml"
	sel="namespace=\"{{args.namespace}}\",rollouts_pod_template_hash=\"{{args.canary-hash}}\""
	{
		echo "# Generated from blissful-infra.yaml's canary: section (the deploy command"
		echo "# writes it again when that section changes). The canary's pods alone,"
		echo "# by their pod-template hash, every $interval; $limit failed measurements abort."
		echo "# A measurement with no series at all fails: a canary nobody reaches, or"
		echo "# a query that names the wrong metric, is never a pass."
		echo "# The labels namespace and rollouts_pod_template_hash are what Prometheus's"
		echo "# usual kubernetes-pods job (pods annotated prometheus.io/scrape, pod labels"
		echo "# mapped) attaches; the others are the service's own: $req"
		echo "# {status, ...} and ${dur}_bucket {le, ...}."
		echo "apiVersion: argoproj.io/v1alpha1"
		echo "kind: AnalysisTemplate"
		echo "metadata:"
		echo "  name: $NAME-analysis"
		echo "spec:"
		echo "  args:"
		echo "    - name: canary-hash"
		echo "    - name: namespace"
		echo "    - name: prometheus"
		echo "      value: \"$prom\""
		echo "  metrics:"
		echo "    - name: error-rate-pct"
		echo "      interval: $interval"
		echo "      failureLimit: $limit"
		echo "      successCondition: len(result) > 0 && result[0] < $errpct"
		echo "      provider:"
		echo "        prometheus:"
		echo "          address: \"{{args.prometheus}}\""
		echo "          query: |"
		echo "            100 * (sum(rate($req{$sel,status=~\"5..\"}[2m])) or vector(0))"
		echo "              / sum(rate($req{$sel}[2m]))"
		for q in 95:$p95 99:$p99; do
			echo "    - name: latency-p${q%%:*}-ms"
			echo "      interval: $interval"
			echo "      failureLimit: $limit"
			echo "      successCondition: len(result) > 0 && result[0] < ${q#*:}"
			echo "      provider:"
			echo "        prometheus:"
			echo "          address: \"{{args.prometheus}}\""
			echo "          query: |"
			echo "            1000 * histogram_quantile(0.${q%%:*}, sum by (le) (rate(${dur}_bucket{$sel}[2m])))"
		done
	} >"$1/analysis-template.yaml"
}
