#!/usr/bin/env bash
# install-deps.sh - install what building and testing libexecution needs
# and the machine lacks: runc, busybox-static, uidmap (newuidmap for rootless
# containers), pkg-config, mypy, doxygen,
# pytest and venv support from Debian's packages as root (pytest with pip
# otherwise).
# Does nothing when everything is there.
set -euo pipefail

die() {
	echo "install-deps.sh: $*" >&2
	exit 1
}

# Tools this script cannot install; make needs them before it gets here.
for tool in go cc python3 cargo; do
	command -v "$tool" >/dev/null || die "$tool not found in PATH; install it first"
done

have_runc() {
	command -v runc >/dev/null || [ -x /usr/sbin/runc ]
}

have_static_busybox() {
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1
}

have_pytest() {
	python3 -c 'import pytest' >/dev/null 2>&1
}

have_venv() {
	python3 -c 'import ensurepip, venv' >/dev/null 2>&1
}

root=false
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && root=true

packages=()
have_runc || packages+=(runc)
have_static_busybox || packages+=(busybox-static)
command -v newuidmap >/dev/null || packages+=(uidmap)
command -v pkg-config >/dev/null || packages+=(pkg-config)
command -v mypy >/dev/null || packages+=(mypy)
command -v doxygen >/dev/null || packages+=(doxygen)
have_venv || packages+=(python3-venv)
if ! have_pytest && $root; then
	packages+=(python3-pytest)
fi

if [ ${#packages[@]} -gt 0 ]; then
	$root || die "missing ${packages[*]}; run as root on Debian or install: ${packages[*]}"
	echo "install-deps.sh: installing ${packages[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${packages[@]}"
fi

if ! have_pytest; then
	echo "install-deps.sh: installing pytest"
	python3 -m pip install --quiet pytest ||
		python3 -m pip install --quiet --break-system-packages pytest ||
		die "cannot install pytest; install python3-pytest or pip install pytest"
fi

have_runc || die "runc still missing"
have_static_busybox || die "a static /bin/busybox is still missing"
have_pytest || die "pytest still missing"
for tool in newuidmap pkg-config mypy doxygen; do
	command -v "$tool" >/dev/null || die "$tool still missing"
done
