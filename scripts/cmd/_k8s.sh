# _k8s.sh: what deploy, rollback, env and status share for Kubernetes,
# sourced after _project.sh (not a command). kubectl does the talking: its
# current context, or KUBECONFIG; every call has a deadline so an unreachable
# cluster is an answer, not a hang.

# kc ARGS: kubectl with a deadline on each request.
kc() {
	kubectl --request-timeout="${BI_KUBE_TIMEOUT:-10s}" "$@"
}

# no_flag WHAT VALUE: refuse a value that kubectl would read as a flag.
no_flag() {
	case $2 in
	-*) die "$1: '$2' starts with '-'; refused (it would be read as a flag)" ;;
	'') die "$1: empty" ;;
	esac
}

# The namespace of an environment: the overlay's, as its kustomization says
# (ephemeral ones: NAME-BRANCH, from env_ephemeral_ns).
env_ns() {
	printf '%s-%s\n' "$NAME" "$1"
}

# A branch or pull request name made into a namespace's suffix: lower case,
# [a-z0-9-], at most 63 characters in all.
env_ephemeral_ns() {
	s=$(printf '%s' "$1" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9-' '-' | sed 's/--*/-/g; s/^-//; s/-$//')
	[ -n "$s" ] || die "--branch: '$1' leaves nothing for a namespace name"
	n="$NAME-$s"
	printf '%.63s\n' "$n" | sed 's/-$//'
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
