#!/bin/sh
# deps.sh: install what blissful-infra needs to build and test, and start dockerd.
#
# Idempotent: installs only the Debian 12 packages that are missing, starts a
# Docker daemon only when none answers. One line per action; silent when there
# is nothing to do. With --build, only what `make all` needs (compiler, libc
# headers, make, pkg-config, the -dev libraries), and no daemon.
# Exit 0 when all is in place, 1 when something could not be, 2 on bad usage.
set -u

say() { printf 'deps: %s\n' "$*" >&2; }
usage() {
	cat <<'USAGE'
usage: deps.sh [--build]
Install the Debian 12 packages blissful-infra needs that are missing.
  (none)      the build set, the test set, and a Docker daemon started if none answers
  --build     only the build set (what make all needs); no daemon
  -h, --help  this text
Exit: 0 all in place, 1 something could not be installed or started, 2 bad usage.
USAGE
}

build_only=
case $# in
0) ;;
1)
	case $1 in
	--build) build_only=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac ;;
*) usage >&2; exit 2 ;;
esac

# Build: compiler, libc headers, make, pkg-config and the libraries of
# DESIGN.md. libc6-dev is named because gcc only recommends it, and we install
# without recommends.
build_pkgs="gcc libc6-dev make pkg-config libcurl4-openssl-dev libjq-dev libonig-dev
  libyaml-dev libgit2-dev libsqlite3-dev libmicrohttpd-dev libedit-dev libpq-dev"
# Tests and the runtime: Docker, compose, base image building, TAP, man lint,
# fuzzing, load-test peers, Prometheus and the template toolchains.
test_pkgs="perl git curl jq mandoc man-db ca-certificates iproute2 procps psmisc
  docker.io docker-compose debootstrap clang wrk nginx-light hyperfine
  prometheus prometheus-node-exporter redis-server busybox-static docker-registry
  golang-go golang-github-go-chi-chi-dev golang-github-prometheus-client-golang-dev
  golang-github-lib-pq-dev python3 python3-fastapi
  python3-uvicorn python3-httpx python3-yaml python3-prometheus-client
  python3-redis python3-psycopg2 python3-pytest python3-kafka postgresql
  chromium sqlite3 default-jre-headless python3-jsonschema"
[ -n "$build_only" ] && test_pkgs=

missing=""
for p in $build_pkgs $test_pkgs; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case $s in *" installed") ;; *) missing="$missing $p" ;; esac
done
if [ -z "$build_only" ]; then
	# Node.js may come from another source than Debian's; add Debian's only if absent.
	command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"
	# kubectl renders the templates' kustomize overlays; Debian's is kubernetes-client.
	command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=sudo
	else
		say "fatal: need root or sudo to install:$missing"
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	log=/tmp/bi-deps-apt.log
	: >"$log"
	# A fresh system (a container, a debootstrap) has no package lists at all:
	# update first rather than fail once.
	if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
		say "no package lists; updating them"
		$SUDO apt-get update -q >>"$log" 2>&1 || {
			say "fatal: apt-get update failed; see $log"
			exit 1
		}
	fi
	say "installing:$missing"
	if ! $SUDO apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; then
		say "apt-get install failed; updating package lists and trying again"
		$SUDO apt-get update -q >>"$log" 2>&1
		$SUDO apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1 || {
			say "fatal: apt-get install failed; see $log"
			exit 1
		}
	fi
fi
[ -z "$build_only" ] || exit 0

# The dashboard's browser tests drive Chromium with puppeteer-core (24.x runs
# on Node 18 and 20), installed once under build/node, outside the tree git
# keeps.
node_dir=$(cd "$(dirname "$0")/.." && pwd)/build/node
if [ ! -f "$node_dir/node_modules/puppeteer-core/package.json" ]; then
	say "installing puppeteer-core into $node_dir"
	mkdir -p "$node_dir" &&
	npm install --prefix "$node_dir" --no-audit --no-fund --omit=dev puppeteer-core@24.9.0 \
		>/tmp/bi-deps-npm.log 2>&1 || {
		say "fatal: npm install puppeteer-core failed; see /tmp/bi-deps-npm.log"
		exit 1
	}
fi

# npm-groovy-lint lints the templates' Jenkinsfiles (its Groovy parser runs on
# the Java runtime above). Into build/npm, not the system: 14.6 is the newest
# that runs on Debian 12's Node.js 18.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/build/npm/node_modules/.bin/npm-groovy-lint" ]; then
	say "installing npm-groovy-lint@14.6.0 into build/npm"
	mkdir -p "$root/build/npm"
	npm_config_cache=$root/build/cache/npm npm install --prefix "$root/build/npm" \
		--no-audit --no-fund --silent npm-groovy-lint@14.6.0 >>/tmp/bi-deps-npm.log 2>&1 || {
		say "fatal: npm install npm-groovy-lint failed; see /tmp/bi-deps-npm.log"
		exit 1
	}
fi

# A Docker daemon: start one in the background when none answers and we can.
if ! docker info >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		say "warning: no Docker daemon answers and we are not root to start one"
		exit 0
	fi
	if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
		say "starting docker with systemctl"
		systemctl start docker
	else
		say "starting dockerd in the background (log: /var/log/bi-dockerd.log)"
		nohup dockerd >/var/log/bi-dockerd.log 2>&1 &
	fi
	i=0
	until docker info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 60 ]; then
			say "fatal: dockerd did not answer within 30 s; see /var/log/bi-dockerd.log"
			exit 1
		fi
		sleep 0.5
	done
fi
exit 0
