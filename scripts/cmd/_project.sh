# _project.sh: what the subcommands share, sourced by them (not a command).
# Finds the project, its name, and the compose program.

die() { printf 'blissful-infra: %s\n' "$*" >&2; exit 2; }

# The project root: the nearest directory holding blissful-infra.yaml.
project_root() {
	d=${BI_PROJECT_DIR:-$(pwd)}
	while :; do
		[ -f "$d/blissful-infra.yaml" ] && { printf '%s\n' "$d"; return 0; }
		[ "$d" = / ] && break
		d=$(dirname "$d")
	done
	die "not in a blissful-infra project (no blissful-infra.yaml here or above); blissful-infra create makes one"
}

# The top-level name: of blissful-infra.yaml (else the directory's name).
# bi-config reads the YAML as the tools do; a malformed file stops here.
project_name() {
	BI_PROJECT_DIR=$1 bi-config get name "$(basename "$1")" || exit 2
}

. "$BI_LIBEXEC/_util.sh"

# project_addons: the components the project lists on its addons: line of
# blissful-infra.yaml (blissful-infra add, bi-scaffold --with), in order.
project_addons() {
	i=0
	while a=$(bi-config get "addons.$i" 2>/dev/null); do
		printf '%s\n' "$a"
		i=$((i + 1))
	done
}

# compose ARGS: docker compose v2, or docker-compose v1, on the project: as
# compose itself would in the project's directory (the file, and its
# override when there is one: fullstack has), then each add-on's fragment,
# so that every command (up, down, logs, status, chaos...) sees its services.
compose() {
	if [ -z "${BI_COMPOSE:-}" ]; then
		if docker compose version >/dev/null 2>&1; then
			BI_COMPOSE="docker compose"
		elif command -v docker-compose >/dev/null 2>&1; then
			BI_COMPOSE=docker-compose
		else
			echo "blissful-infra: neither 'docker compose' nor docker-compose is installed" >&2
			exit 3
		fi
	fi
	n=$#
	set -- "$@" -f "$ROOT/docker-compose.yaml"
	[ -f "$ROOT/docker-compose.override.yaml" ] && set -- "$@" -f "$ROOT/docker-compose.override.yaml"
	for a in $(project_addons); do
		[ -f "$ROOT/docker-compose.$a.yaml" ] && set -- "$@" -f "$ROOT/docker-compose.$a.yaml"
	done
	# The caller's arguments go after the files.
	while [ $n -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done
	$BI_COMPOSE -p "$NAME" "$@"
}

need_docker() {
	docker info >/dev/null 2>&1 && return 0
	echo "blissful-infra: Docker does not answer at ${DOCKER_HOST:-unix:///var/run/docker.sock} (is dockerd running? scripts/deps.sh starts it)" >&2
	exit 3
}

ROOT=$(project_root) || exit 2
NAME=$(project_name "$ROOT") || exit 2
export BI_PROJECT_DIR="$ROOT"
