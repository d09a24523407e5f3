# _chaos-k8s.sh: blissful-infra chaos --env ENV, sourced by chaos after
# _project.sh and _k8s.sh (not a command). The experiments that have a
# Kubernetes form, through kubectl in the environment's namespace:
#   pod-kill         delete one of the app's pods; recovered when the pod is
#                    gone and as many of the app's pods are Ready as it asks for
#   dependency-down  scale the dependency's Deployment (postgres, redis, kafka,
#                    or --target) to zero for --duration, then back; recovered
#                    when it and the app are all Ready again
# The others act on this machine's chaos-proxy and containers and have no
# Kubernetes form here: each is a `skipped` record saying so. A scaled-down
# dependency is scaled back on Ctrl-C too. `chaos` records, as bi-chaos
# writes them, with env and namespace; bi-score reads them the same.

chaos_k8s() {
	env= branch= dry=0 json=0 target= scenarios= dur=10 recovery=60
	while [ $# -gt 0 ]; do
		case $1 in
		--env|--branch|--scenario|-s|--target|-t|--duration|-d|--recovery)
			[ $# -ge 2 ] || die "chaos: $1 needs a value"
			case $1 in
			--env) env=$2 ;;
			--branch) branch=$2 ;;
			--scenario|-s) scenarios="$scenarios $2" ;;
			--target|-t) no_flag "chaos: --target" "$2"; target=$2 ;;
			--duration|-d) dur=$(bi-config seconds __none__ "$2") || die "chaos: --duration: '$2' is no duration" ;;
			--recovery) recovery=$(bi-config seconds __none__ "$2") || die "chaos: --recovery: '$2' is no duration" ;;
			esac
			shift ;;
		--env=*) env=${1#*=} ;;
		--branch=*) branch=${1#*=} ;;
		--dry-run|-n) dry=1 ;;
		--json) json=1 ;;
		--scorecard) ;;
		*) die "chaos --env: $1 is for the local experiments only" ;;
		esac
		shift
	done
	case $env in
	staging|production) ;;
	ephemeral) no_flag "chaos: --branch" "$branch" ;;
	*) die "chaos: --env: staging, production or ephemeral, not '$env'" ;;
	esac
	need_kubectl
	ns=$(env_ns "$env" "$branch") || exit 2
	[ -n "$scenarios" ] || scenarios=$(bi-config get chaos.scenarios '["pod-kill"]' | jq -r '.[]')
	work=$(mktemp -d "${TMPDIR:-/tmp}/bi-chaos-k8s.XXXXXX") || exit 4
	restore=
	trap 'rm -rf "$work"' EXIT
	trap '[ -z "$restore" ] || kc -n "$ns" patch deployment ${restore% *} --type merge -p "{\"spec\":{\"replicas\":${restore#* }}}" >/dev/null 2>&1; exit 130' INT TERM
	mkdir -p "$ROOT/.blissful-infra/chaos" || exit 4
	out=$ROOT/.blissful-infra/chaos/$(date -u +%Y%m%dT%H%M%SZ)-$env.jsonl
	st=0
	for s in $scenarios; do
		chaos_k8s_one "$s" >>"$work/recs" || st=$?
	done
	if [ $json -eq 1 ]; then cat "$work/recs"; else bi-fmt <"$work/recs"; fi
	if [ $dry -eq 0 ] && [ -s "$work/recs" ]; then
		cp "$work/recs" "$out" && echo "Saved: ${out#"$ROOT"/}" >&2
		bi-store put <"$work/recs" 2>/dev/null
	fi
	return $st
}

# chaos_rec SCENARIO STATUS REASON RECOVERY_MS [INJECTED-JSON]
chaos_rec() {
	inj=${5:-'{}'}
	record chaos '{scenario: $s, target: "app", env: $env, namespace: $ns, status: $st,
		reason: $why, recovery_ms: (if $ms == "" then null else ($ms | tonumber) end),
		injected: ($inj | fromjson)} | with_entries(select(.value != ""))' \
		--arg s "$1" --arg env "$env" --arg ns "$ns" --arg st "$2" --arg why "$3" --arg ms "$4" --arg inj "$inj"
}

ms_now() {
	date -u +%s%3N
}

# The app's pods: "NAME READY" lines.
app_pods() {
	kc -n "$ns" get pods -l "app.kubernetes.io/name=$NAME" -o \
		jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>"$work/err"
}

# ready KIND NAME: "READY DESIRED" of a Deployment or Rollout.
ready_of() {
	kc -n "$ns" get "$1" "$2" -o jsonpath='{.status.readyReplicas} {.spec.replicas}' 2>"$work/err"
}

unreach() {
	if k8s_unreachable "$work/err"; then
		echo "blissful-infra chaos: the cluster does not answer: $(last_line "$work/err")" >&2
		exit 3
	fi
}

chaos_k8s_one() {
	kind=deployment
	[ "$env" = production ] && kind=rollout
	case $1 in
	pod-kill)
		if ! r=$(ready_of "$kind" "$NAME"); then
			unreach
			chaos_rec pod-kill skipped "no $kind $NAME in $ns: $(last_line "$work/err")" ""
			return 1
		fi
		set -- $r
		if [ "${1:-0}" != "${2:-x}" ]; then
			chaos_rec pod-kill skipped "not healthy before: ${1:-0} of ${2:-?} pods ready" ""
			return 1
		fi
		want=$2
		app_pods >"$work/pods" || unreach
		pod=$(awk '$2 == "True" { print $1; exit }' "$work/pods")
		[ -n "$pod" ] || { chaos_rec pod-kill skipped "no Ready pod of $NAME in $ns" ""; return 1; }
		if [ $dry -eq 1 ]; then
			chaos_rec pod-kill planned "" "" "{\"pod\":\"$pod\"}"
			return 0
		fi
		t0=$(ms_now)
		kc -n "$ns" delete pod "$pod" --wait=false >/dev/null 2>"$work/err" || {
			unreach
			chaos_rec pod-kill failed "kubectl delete pod: $(last_line "$work/err")" "" "{\"pod\":\"$pod\"}"
			return 1
		}
		deadline=$(($(date -u +%s) + recovery))
		while :; do
			if app_pods >"$work/pods"; then
				n=$(awk -v p="$pod" '$1 != p && $2 == "True"' "$work/pods" | wc -l)
				if ! grep -q "^$pod " "$work/pods" && [ "$n" -ge "$want" ]; then
					chaos_rec pod-kill passed "" $(($(ms_now) - t0)) "{\"pod\":\"$pod\"}"
					return 0
				fi
			fi
			if [ "$(date -u +%s)" -ge "$deadline" ]; then
				chaos_rec pod-kill failed "not $want Ready pods again within ${recovery}s" "" "{\"pod\":\"$pod\"}"
				return 1
			fi
			sleep "${BI_KUBE_POLL:-1}"
		done ;;
	dependency-down)
		dep=
		for d in ${target:-postgres redis kafka}; do
			if kc -n "$ns" get deployment "$d" -o name >/dev/null 2>"$work/err"; then
				dep=$d
				break
			fi
			unreach
		done
		if [ -z "$dep" ]; then
			chaos_rec dependency-down skipped "no Deployment of ${target:-postgres, redis or kafka} in $ns (a service outside the cluster has no Kubernetes form here)" ""
			return 1
		fi
		r=$(ready_of deployment "$dep") || unreach
		set -- $r
		n=${2:-1}
		if [ $dry -eq 1 ]; then
			chaos_rec dependency-down planned "" "" "{\"dependency\":\"$dep\"}"
			return 0
		fi
		restore="$dep $n"
		kc -n "$ns" patch deployment "$dep" --type merge -p '{"spec":{"replicas":0}}' >/dev/null 2>"$work/err" || {
			unreach
			restore=
			chaos_rec dependency-down failed "scaling $dep to zero: $(last_line "$work/err")" "" "{\"dependency\":\"$dep\"}"
			return 1
		}
		sleep "$dur"
		kc -n "$ns" patch deployment "$dep" --type merge -p "{\"spec\":{\"replicas\":$n}}" >/dev/null 2>"$work/err" || {
			echo "blissful-infra chaos: $dep is at 0 replicas and could not be scaled back to $n: $(last_line "$work/err")" >&2
			exit 3
		}
		restore=
		t0=$(ms_now)
		deadline=$(($(date -u +%s) + recovery))
		while :; do
			a=$(ready_of deployment "$dep") && b=$(ready_of "$kind" "$NAME") &&
				[ "${a% *}" = "${a#* }" ] && [ "${b% *}" = "${b#* }" ] && {
				chaos_rec dependency-down passed "" $(($(ms_now) - t0)) "{\"dependency\":\"$dep\"}"
				return 0
			}
			if [ "$(date -u +%s)" -ge "$deadline" ]; then
				chaos_rec dependency-down failed "$dep and $NAME not all Ready within ${recovery}s of scaling back" "" "{\"dependency\":\"$dep\"}"
				return 1
			fi
			sleep "${BI_KUBE_POLL:-1}"
		done ;;
	network-latency|db-latency|memory-pressure|cpu-pressure|pause)
		echo "blissful-infra chaos: $1 has no Kubernetes form here (it acts on this machine's chaos-proxy or containers); skipped on --env $env" >&2
		chaos_rec "$1" skipped "no Kubernetes form: it acts on this machine's chaos-proxy or containers" ""
		return 1 ;;
	*)
		die "chaos: no scenario $1" ;;
	esac
}
