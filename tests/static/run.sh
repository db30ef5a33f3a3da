#!/usr/bin/env bash
# run.sh WORK - link examples/c/demo.c with -static against the installed
# libexecution, with the flags of `pkg-config --static --libs execution`
# (PKG_CONFIG_PATH, PKG_CONFIG_SYSROOT_DIR and the like say which install),
# and run it as a user would.
#
# Fails when the program still needs a shared object, when it does not run a
# container through to its deletion, or when it leaves a container behind.
# WORK is emptied first and holds the program, its bundle and its state root.
set -euo pipefail

die() {
	echo "tests/static: $*" >&2
	exit 1
}

work=${1:?usage: run.sh WORK}
top=$(cd "$(dirname "$0")/../.." && pwd)

rm -rf "$work"
mkdir -p "$work"

# shellcheck disable=SC2046 # pkg-config's flags are words
${CC:-cc} -std=c11 -Wall -Wextra -Werror -static "$top/examples/c/demo.c" \
	$(pkg-config --static --cflags --libs execution) -o "$work/demo"

if readelf -d "$work/demo" | grep -q NEEDED; then
	die "demo is linked against shared objects: $(readelf -d "$work/demo" | grep NEEDED)"
fi

"$top/scripts/make-bundle.sh" "$work/bundle" >/dev/null
out=$(env -u LD_LIBRARY_PATH "$work/demo" "$work/bundle" "$work/root") ||
	die "demo failed: $out"
echo "$out"
for line in "container says: hello from busybox" "uname exited with status 0" \
	"container exited: status 137 (killed by signal 9)" "container deleted"; do
	grep -qxF "$line" <<<"$out" || die "no '$line' in the demo's output"
done

left=$(ls "$work/root/containers" 2>/dev/null || true)
[ -z "$left" ] || die "containers left in $work/root: $left"
rm -rf "$work"
echo "tests/static: ok, a -static program ran a container"
