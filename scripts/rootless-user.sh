#!/usr/bin/env bash
# rootless-user.sh [USER] - make the unprivileged user the rootless test
# suites run as (default exectest), as root; idempotent.
#
# The user gets a home, and it and root each get a subordinate uid and gid
# range in /etc/subuid and /etc/subgid when they have none: the user's for
# EXEC_USERNS_SUBIDS, root's for the hardened configs written as root,
# whose root inside is that range's first id outside. Prints the user.
# What it adds is noted in $EXEC_DEPS_RECORD (install-deps.sh) for
# scripts/reset-machine.sh; the user's comment also names it as the tests'.
set -euo pipefail

die() {
	echo "rootless-user.sh: $*" >&2
	exit 1
}

user=${1:-exectest}
# The comment of a user made here; reset-machine.sh removes only such a user.
COMMENT="libexecution rootless tests"
[ "$(id -u)" = 0 ] || die "run as root"
for tool in useradd usermod newuidmap newgidmap; do
	command -v "$tool" >/dev/null || die "$tool not found; install passwd and uidmap (make deps)"
done

record=${EXEC_DEPS_RECORD:-/var/lib/libexecution-deps/record}
mkdir -p "$(dirname "$record")"

# note LINE: record what this script added, once.
note() {
	grep -qxF "$1" "$record" 2>/dev/null || echo "$1" >>"$record"
}

if ! id -u "$user" >/dev/null 2>&1; then
	useradd --create-home --shell /bin/sh --comment "$COMMENT" "$user" >&2
	note "user $user"
fi

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
		if ! has_range /etc/subuid "$who"; then
			usermod --add-subuids "$start-$end" "$who"
			note "subuid $who:$start:65536"
		fi
		if ! has_range /etc/subgid "$who"; then
			usermod --add-subgids "$start-$end" "$who"
			note "subgid $who:$start:65536"
		fi
	fi
done
echo "$user"
