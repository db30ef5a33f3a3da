#!/usr/bin/env bash
# rootless-user.sh [USER] - make the unprivileged user the rootless test
# suites run as (default exectest), as root; idempotent.
#
# The user gets a home, and it and root each get a subordinate uid and gid
# range in /etc/subuid and /etc/subgid when they have none: the user's for
# EXEC_USERNS_SUBIDS, root's for the hardened configs written as root,
# whose root inside is that range's first id outside. Prints the user.
set -euo pipefail

die() {
	echo "rootless-user.sh: $*" >&2
	exit 1
}

user=${1:-exectest}
[ "$(id -u)" = 0 ] || die "run as root"
for tool in useradd usermod newuidmap newgidmap; do
	command -v "$tool" >/dev/null || die "$tool not found; install passwd and uidmap (make deps)"
done

id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user" >&2

# has_range FILE NAME: NAME (or its uid) has a range in FILE.
has_range() {
	local uid
	uid=$(id -u "$2")
	[ -f "$1" ] && grep -qE "^($2|$uid):[0-9]+:[0-9]+\$" "$1"
}

# free_start FILE COUNT: a start above every range in /etc/subuid and
# /etc/subgid, so that a new range overlaps none.
free_start() {
	cat /etc/subuid /etc/subgid 2>/dev/null |
		awk -F: -v min=100000 '$2 + $3 > min { min = $2 + $3 } END { print min }'
}

for who in "$user" root; do
	if ! has_range /etc/subuid "$who" || ! has_range /etc/subgid "$who"; then
		start=$(free_start)
		end=$((start + 65535))
		has_range /etc/subuid "$who" || usermod --add-subuids "$start-$end" "$who"
		has_range /etc/subgid "$who" || usermod --add-subgids "$start-$end" "$who"
	fi
done
echo "$user"
