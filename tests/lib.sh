# tests/lib.sh: TAP for the shell tests. Source it, call plan N, then ok/is.
# Tests run with LC_ALL=C, TZ=UTC, a temporary HOME and stdin from /dev/null,
# with the built tools first in PATH.
set -u
export LC_ALL=C TZ=UTC NO_COLOR=1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$ROOT/bin:$ROOT/scripts:$PATH
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bi-test.XXXXXX")
HOME=$TMP/home
mkdir -p "$HOME"
export PATH HOME ROOT
exec </dev/null
_n=0
_fail=0
_cleanups=""
at_exit() { _cleanups="$*; $_cleanups"; }
trap 'eval "$_cleanups"; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

plan() { echo "1..$1"; }
exit_ok() {	# STATUS NAME: passes when STATUS (an exit status, as $?) is 0
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_fail=$((_fail + 1))
	fi
}
is() {	# GOT WANT NAME
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_n - $3"
	else
		echo "not ok $_n - $3"
		# on stderr, which prove shows: a failure in CI explains itself
		{ printf '%s\n' "# $3: got:" "$1" | head -n 20
		  printf '%s\n' "# want:" "$2" | head -n 20; } | sed 's/^/#   /' >&2
		_fail=$((_fail + 1))
	fi
}
skip() { _n=$((_n + 1)); echo "ok $_n # skip $1"; }
diag() { echo "# $*"; }

# Tests that need a Docker daemon: skip when none answers, but under CI=true
# (where Docker is required) fail instead.
need_docker() {	# TESTS-LEFT
	if docker info >/dev/null 2>&1; then
		return 0
	fi
	if [ "${CI:-}" = true ]; then
		plan 1
		exit_ok 1 "Docker is required under CI=true, and no daemon answers"
		exit 1
	fi
	plan 1
	skip "no Docker daemon"
	exit 0
}

# free_port, shared with the scripts.
. "$ROOT/scripts/cmd/_util.sh"
