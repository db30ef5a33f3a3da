#!/usr/bin/env bash
# test-rootless.sh USER BUILD C_TEST RUST_TEST - run the rootless suites
# as USER, an unprivileged user made (once) by rootless-user.sh, as root.
#
# The checkout may be closed to USER (a clone under /root), so what the
# suites need is copied to a stage dir it can read: the library, the test
# rootfs and probe rootfs, the C suite's binary (its rootless., hardened.
# and host. groups), the Python package and tests (test_rootless.py) and
# the Rust rootless test's binary. The stage is removed at the end.
set -euo pipefail

die() {
	echo "test-rootless.sh: $*" >&2
	exit 1
}

[ $# = 4 ] || die "usage: test-rootless.sh USER BUILD C_TEST RUST_TEST"
[ "$(id -u)" = 0 ] || die "run as root: the suites run as USER through runuser"
here=$(cd "$(dirname "$0")/.." && pwd)
user=$("$here/scripts/rootless-user.sh" "$1")
build=$2 c_test=$3 rust_test=$4
[ -x "$rust_test" ] || die "no Rust rootless test binary at $rust_test"

stage=$(mktemp -d /tmp/execution-rootless.XXXXXX)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
cp -a "$build"/libexecution.so* "$stage/"
cp -a "$build/bundle/rootfs" "$stage/rootfs"
cp -a "$build/probe-bundle/rootfs" "$stage/probe-rootfs"
install -m 0755 "$c_test" "$stage/test_execution"
install -m 0755 "$rust_test" "$stage/rust_rootless"
mkdir "$stage/python"
cp -r "$here/bindings/python/execution" "$here/bindings/python/tests" \
	"$here/bindings/python/pyproject.toml" "$stage/python/"

home=$(getent passwd "$user" | cut -d: -f6)
# The user's runtime dir, as a login session gives one: the default root
# goes under it.
install -d -m 0700 -o "$user" "$stage/xdg"
as_user() {
	(cd "$stage" && runuser -u "$user" -- env -i PATH="$PATH" HOME="$home" \
		XDG_RUNTIME_DIR="$stage/xdg" \
		EXEC_TEST_ROOTFS="$stage/rootfs" EXEC_TEST_PROBE_ROOTFS="$stage/probe-rootfs" \
		EXECUTION_LIBRARY="$stage/libexecution.so" LD_LIBRARY_PATH="$stage" \
		PYTHONDONTWRITEBYTECODE=1 "$@")
}

echo "test-rootless.sh: as $user (uid $(id -u "$user"))"
as_user ./test_execution rootless. hardened. host.
as_user "${ROOTLESS_PYTHON:-/usr/bin/python3}" -m pytest -q -p no:cacheprovider --rootdir=python \
	python/tests/test_rootless.py python/tests/test_hardened.py
as_user ./rust_rootless --test-threads=2
