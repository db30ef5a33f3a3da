#!/usr/bin/env bash
# install-deps.sh - set up what building and testing libexecution needs and
# the machine lacks; `make deps` runs it, and every test target through it.
# Does nothing when everything is there.
#
# - Debian's packages: runc, busybox-static, uidmap (newuidmap for rootless
#   containers), pkg-config, doxygen, python3-venv, containerd (the shim's
#   tests start their own; installing it starts none), and the CNI plugins
#   with iptables (containernetworking-plugins) for bridge networks,
#   docker-registry (the pull tests start their own on 127.0.0.1) and
#   skopeo (make bench compares pulls with it);
# - pytest and mypy for PYTHON (default python3), the interpreter the Python
#   suite runs under, checked for that interpreter: Debian's python3-pytest
#   and mypy for Debian's /usr/bin/python3, pip for any other;
# - pytest for ROOTLESS_PYTHON (default /usr/bin/python3), the interpreter
#   the rootless suite runs as the test user, who cannot reach root's own;
# - as root, the test user ROOTLESS_USER (default exectest) and the
#   subordinate id ranges the tests need (scripts/rootless-user.sh).
#
# What it installs or adds is written down in $EXEC_DEPS_RECORD (default
# /var/lib/libexecution-deps/record), one line each, so that
# scripts/reset-machine.sh can undo exactly that and nothing else.
set -euo pipefail

die() {
	echo "install-deps.sh: $*" >&2
	exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}
ROOTLESS_PYTHON=${ROOTLESS_PYTHON:-/usr/bin/python3}
ROOTLESS_USER=${ROOTLESS_USER:-exectest}
record=${EXEC_DEPS_RECORD:-/var/lib/libexecution-deps/record}
export EXEC_DEPS_RECORD=$record PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

# Tools this script cannot install; make needs them before it gets here.
for tool in go cc cargo "$PYTHON"; do
	command -v "$tool" >/dev/null || die "$tool not found in PATH; install it first"
done

root=false
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && root=true

# note LINE: record what this script added, once.
note() {
	$root || return 0
	mkdir -p "$(dirname "$record")"
	grep -qxF "$1" "$record" 2>/dev/null || echo "$1" >>"$record"
}

have_runc() {
	command -v runc >/dev/null || [ -x /usr/sbin/runc ]
}

have_static_busybox() {
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1
}

# has_module PYTHON MODULE: MODULE imports in PYTHON.
has_module() {
	"$1" -c "import $2" >/dev/null 2>&1
}

# is_debian_python PYTHON: PYTHON is Debian's own, whose modules come from
# Debian's packages.
is_debian_python() {
	[ "$(realpath "$(command -v "$1")")" = "$(realpath /usr/bin/python3 2>/dev/null)" ]
}

# Debian package of each module, for Debian's python3.
declare -A debian_module=([pytest]=python3-pytest [mypy]=mypy)

packages=()
want() {
	local p
	for p in "${packages[@]}"; do [ "$p" = "$1" ] && return; done
	packages+=("$1")
}
have_runc || want runc
have_static_busybox || want busybox-static
command -v newuidmap >/dev/null || want uidmap
command -v pkg-config >/dev/null || want pkg-config
command -v doxygen >/dev/null || want doxygen
command -v containerd >/dev/null || want containerd
[ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || want containernetworking-plugins
command -v iptables >/dev/null || want iptables
command -v docker-registry >/dev/null || want docker-registry
command -v skopeo >/dev/null || want skopeo
has_module "$PYTHON" 'ensurepip, venv' || ! is_debian_python "$PYTHON" || want python3-venv

# modules PYTHON MODULE...: what each interpreter needs; Debian's python3
# gets Debian's packages, any other pip's, afterwards.
pip_wanted=()
modules() {
	local python=$1 module
	shift
	for module in "$@"; do
		has_module "$python" "$module" && continue
		if is_debian_python "$python"; then
			want "${debian_module[$module]}"
		else
			pip_wanted+=("$python $module")
		fi
	done
}
modules "$PYTHON" pytest mypy
[ -x "$ROOTLESS_PYTHON" ] && modules "$ROOTLESS_PYTHON" pytest

if [ ${#packages[@]} -gt 0 ]; then
	$root || die "missing ${packages[*]}; run as root on Debian or install: ${packages[*]}"
	echo "install-deps.sh: installing ${packages[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${packages[@]}" >/dev/null
	for p in "${packages[@]}"; do note "apt $p"; done
fi

for entry in "${pip_wanted[@]}"; do
	python=${entry% *} module=${entry##* }
	has_module "$python" "$module" && continue
	echo "install-deps.sh: installing $module for $python"
	"$python" -m pip install --quiet "$module" ||
		"$python" -m pip install --quiet --break-system-packages "$module" ||
		die "cannot install $module for $python; pip install $module"
	note "pip $(command -v "$python") $module"
done

have_runc || die "runc still missing"
have_static_busybox || die "a static /bin/busybox is still missing"
for tool in newuidmap pkg-config doxygen containerd docker-registry; do
	command -v "$tool" >/dev/null || die "$tool still missing"
done
for module in pytest mypy; do
	has_module "$PYTHON" "$module" || die "$module still missing for $PYTHON"
done

# The rootless suites' user and every subordinate id range a test needs.
if [ "$(id -u)" = 0 ]; then
	[ -x "$ROOTLESS_PYTHON" ] || die "no $ROOTLESS_PYTHON for the rootless suite (ROOTLESS_PYTHON)"
	has_module "$ROOTLESS_PYTHON" pytest || die "pytest still missing for $ROOTLESS_PYTHON"
	"$here/rootless-user.sh" "$ROOTLESS_USER" >/dev/null
fi
