#!/bin/sh
# images.sh: build, once, the images that no registry can give us here.
#
# No image can be pulled on the build machines, so the images the templates
# name are made locally and tagged with their usual names:
#   busybox     bi-busybox:latest   FROM scratch + the host's static busybox (tests)
#   debian      debian:bookworm-slim  debootstrap minbase + the host's CA bundle
#   redis       redis:7             Debian's redis-server on that base
#   postgres    postgres:15         Debian's postgresql-15 with an entrypoint that
#                                   honours POSTGRES_USER/_PASSWORD/_DB
#   bi-proxy    blissful-infra/bi-proxy:latest  the bi-proxy found in PATH, for
#                                   the chaos-proxy of generated projects (rebuilt
#                                   when that binary changes)
#   prometheus  blissful-infra/prometheus:latest  Debian's prometheus, for the
#                                   prometheus add-on (blissful-infra add)
#   alertmanager  blissful-infra/alertmanager:latest  Debian's
#                                   prometheus-alertmanager, for the alertmanager add-on
# An image that exists is left alone (delete it to rebuild). With no argument,
# all are built. Progress goes to stderr, one line per image built.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
say() { printf 'images: %s\n' "$*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }
log=${TMPDIR:-/tmp}/bi-images.log

build_busybox() {
	have bi-busybox:latest && return 0
	bb=/bin/busybox	# Debian's busybox-static: runs with no libc in the image
	[ -x "$bb" ] || { say "fatal: $bb is missing (scripts/deps.sh installs busybox-static)"; exit 1; }
	ctx=$(mktemp -d)
	cp "$bb" "$ctx/busybox"
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["sh"]\n' >"$ctx/Dockerfile"
	say "building bi-busybox:latest"
	docker build -q -t bi-busybox:latest --label org.blissful-infra.image=busybox "$ctx" >>"$log" 2>&1 ||
		{ rm -rf "$ctx"; say "fatal: building bi-busybox failed; see $log"; exit 1; }
	rm -rf "$ctx"
}

build_debian() {
	have debian:bookworm-slim && return 0
	command -v debootstrap >/dev/null || { say "fatal: debootstrap is missing (scripts/deps.sh installs it)"; exit 1; }
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT INT TERM
	say "debootstrap bookworm (about 30 s)"
	debootstrap --variant=minbase --include=ca-certificates bookworm "$root" >>"$log" 2>&1 ||
		{ say "fatal: debootstrap failed; see $log"; exit 1; }
	# HTTPS from inside a build must trust what the host trusts.
	if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		cp /etc/ssl/certs/ca-certificates.crt "$root/usr/local/share/ca-certificates/host-bundle.crt"
		chroot "$root" update-ca-certificates >>"$log" 2>&1 || true
	fi
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	say "importing debian:bookworm-slim"
	tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >>"$log" 2>&1 ||
		{ say "fatal: docker import failed; see $log"; exit 1; }
	rm -rf "$root"
	trap - EXIT INT TERM
}

build_from() {	# TAG DIR
	have "$1" && return 0
	build_debian
	say "building $1"
	docker build -t "$1" --label org.blissful-infra.image="$1" "$here/images/$2" >>"$log" 2>&1 ||
		{ say "fatal: building $1 failed; see $log"; exit 1; }
}

build_proxy() {
	bin=$(command -v bi-proxy || true)
	[ -n "$bin" ] || { say "fatal: bi-proxy is not in PATH"; exit 1; }
	sum=$(sha256sum "$bin" | cut -c1-16)
	have=$(docker image inspect -f '{{index .Config.Labels "org.blissful-infra.binary"}}' \
		blissful-infra/bi-proxy:latest 2>/dev/null || true)
	[ "$have" = "$sum" ] && return 0
	build_debian
	ctx=$(mktemp -d)
	cp "$bin" "$ctx/bi-proxy"
	cp "$here/images/bi-proxy/Dockerfile" "$ctx/"
	say "building blissful-infra/bi-proxy:latest"
	docker build -t blissful-infra/bi-proxy:latest --label org.blissful-infra.image=bi-proxy \
		--label org.blissful-infra.binary="$sum" "$ctx" >>"$log" 2>&1 ||
		{ rm -rf "$ctx"; say "fatal: building bi-proxy failed; see $log"; exit 1; }
	rm -rf "$ctx"
}

[ $# -gt 0 ] || set -- busybox debian redis postgres
for img; do
	case $img in
	busybox) build_busybox ;;
	debian) build_debian ;;
	redis) build_from redis:7 redis ;;
	postgres) build_from postgres:15 postgres ;;
	bi-proxy) build_proxy ;;
	prometheus) build_from blissful-infra/prometheus:latest prometheus ;;
	alertmanager) build_from blissful-infra/alertmanager:latest alertmanager ;;
	*) say "unknown image: $img (busybox, debian, redis, postgres, bi-proxy, prometheus, alertmanager)"; exit 2 ;;
	esac
done
