#!/usr/bin/env bash
# reset-machine.sh - undo what the project's own scripts set up on this
# machine, so that the next `make deps` starts from a new machine's state;
# .ci/run runs it first, and a developer may run it by hand (as root).
#
# It undoes exactly what install-deps.sh and rootless-user.sh noted in
# $EXEC_DEPS_RECORD (default /var/lib/libexecution-deps/record), newest
# first: subordinate id ranges they added, the rootless tests' user with
# its home and processes (only a user whose comment names it as theirs),
# modules pip installed and Debian packages apt installed. It also removes
# the rootless suites' stage dirs left in /tmp by a run that was killed.
# Nothing it did not add is touched; with no record it does nothing else.
set -euo pipefail

die() {
	echo "reset-machine.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root"
record=${EXEC_DEPS_RECORD:-/var/lib/libexecution-deps/record}
COMMENT="libexecution rootless tests"

# drop_line FILE LINE: remove the exact LINE from FILE, keeping its mode.
drop_line() {
	[ -f "$1" ] || return 0
	grep -vxF "$2" "$1" >"$1.reset" || true
	chmod --reference="$1" "$1.reset"
	mv "$1.reset" "$1"
}

# remove_user NAME: the tests' user, its processes and its home.
remove_user() {
	local comment
	id -u "$1" >/dev/null 2>&1 || return 0
	comment=$(getent passwd "$1" | cut -d: -f5)
	if [ "$comment" != "$COMMENT" ]; then
		echo "reset-machine.sh: leaving user $1, not made by rootless-user.sh ($comment)" >&2
		return 0
	fi
	pkill -KILL -u "$1" 2>/dev/null || true
	userdel --remove "$1" 2>/dev/null || userdel "$1"
}

undone=()
if [ -f "$record" ]; then
	apt_packages=()
	while read -r kind what rest; do
		case $kind in
		subuid) drop_line /etc/subuid "$what" ;;
		subgid) drop_line /etc/subgid "$what" ;;
		user) remove_user "$what" ;;
		pip) "$what" -m pip uninstall --quiet --yes "$rest" 2>/dev/null ||
			"$what" -m pip uninstall --quiet --yes --break-system-packages "$rest" 2>/dev/null || true ;;
		apt) apt_packages+=("$what") ;;
		*) die "$record: unknown line: $kind $what $rest" ;;
		esac
		undone+=("$kind $what${rest:+ $rest}")
	done < <(tac "$record")
	if [ ${#apt_packages[@]} -gt 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq --purge "${apt_packages[@]}" >/dev/null
	fi
	rm -f "$record"
	rmdir "$(dirname "$record")" 2>/dev/null || true
fi
rm -rf /tmp/execution-rootless.*

if [ ${#undone[@]} -gt 0 ]; then
	echo "reset-machine.sh: undid ${undone[*]}"
else
	echo "reset-machine.sh: nothing to undo"
fi
