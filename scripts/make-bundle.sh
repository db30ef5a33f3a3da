#!/usr/bin/env bash
# make-bundle.sh DIR - build DIR/rootfs, the busybox root file system the
# tests and examples run containers from.
#
# It holds Debian's busybox-static (no image download) with its applets
# linked in /bin, an /etc/passwd and /etc/group with root (0) and nobody
# (65534), and empty /proc /sys /dev /tmp mount points. No config.json:
# each bundle writes its own (exec_bundle_init). BUSYBOX overrides the
# binary, /bin/busybox by default.
set -euo pipefail

die() {
	echo "make-bundle.sh: $*" >&2
	exit 1
}

dir=${1:?usage: make-bundle.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$busybox" ] || die "$busybox not found; install busybox-static (make deps)"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static (make deps)"
fi

umask 022
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"

mkdir -p "$tmp"/{bin,etc,proc,sys,dev,tmp,root,usr}
chmod 1777 "$tmp/tmp"
chmod 0700 "$tmp/root"
ln -s bin "$tmp/sbin"
ln -s ../bin "$tmp/usr/bin"
ln -s ../bin "$tmp/usr/sbin"

cp "$busybox" "$tmp/bin/busybox"
for applet in $("$tmp/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$tmp/bin/$applet"
done
[ -e "$tmp/bin/sh" ] || die "$busybox has no sh applet"

cat >"$tmp/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$tmp/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

rm -rf "$dir/rootfs"
mv "$tmp" "$dir/rootfs"
trap - EXIT
echo "make-bundle.sh: $dir/rootfs ready"
