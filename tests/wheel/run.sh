#!/usr/bin/env bash
# run.sh WHEEL_DIR WORK MONITOR - install the wheel `make wheel` built into a fresh
# venv and run a container with it, as a user with no checkout would: from
# WORK, with no EXECUTION_LIBRARY, LD_LIBRARY_PATH or PYTHONPATH.
#
# Fails when the wheel is pure or lacks the library, when its platform tag
# claims less than the library needs, or when the installed package does not
# load the library beside it and run a container, or when the library does
# not carry MONITOR, the monitor program of the same build. WORK is emptied
# first.
set -euo pipefail

die() {
	echo "tests/wheel: $*" >&2
	exit 1
}

wheels=${1:?usage: run.sh WHEEL_DIR WORK MONITOR}
work=${2:?usage: run.sh WHEEL_DIR WORK MONITOR}
monitor=$(realpath "${3:?usage: run.sh WHEEL_DIR WORK MONITOR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
rootfs=${EXEC_TEST_ROOTFS:-$top/build/bundle/rootfs}

shopt -s nullglob
found=("$wheels"/execution-*.whl)
[ ${#found[@]} = 1 ] || die "want one wheel in $wheels, found ${#found[@]}"
wheel=$(cd "$(dirname "${found[0]}")" && pwd)/$(basename "${found[0]}")

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
${PYTHON:-python3} -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-index --no-deps "$wheel"
cp "$top/tests/wheel/check.py" "$work/"

cd "$work"
env -u EXECUTION_LIBRARY -u LD_LIBRARY_PATH -u PYTHONPATH \
	"$work/venv/bin/python" check.py "$wheel" "$rootfs" "$work" "$monitor"
rm -rf "$work"
