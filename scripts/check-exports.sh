#!/usr/bin/env bash
# check-exports.sh LIB HEADER - fail unless the dynamic symbols LIB exports
# are exactly the functions HEADER declares: no undeclared export, no
# declared function missing.
set -euo pipefail

lib=${1:?usage: check-exports.sh LIB HEADER}
header=${2:?usage: check-exports.sh LIB HEADER}

exported=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sort -u)
declared=$(${CC:-cc} -E -P -x c "$header" |
	grep -oE '\bexec_[a-z0-9_]+[[:space:]]*\(' |
	sed -E 's/[[:space:]]*\($//' | sort -u)

[ -n "$declared" ] || { echo "check-exports.sh: no functions found in $header" >&2; exit 1; }

extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))

status=0
if [ -n "$extra" ]; then
	echo "check-exports.sh: $lib exports symbols $header does not declare:" >&2
	echo "$extra" | sed 's/^/  /' >&2
	status=1
fi
if [ -n "$missing" ]; then
	echo "check-exports.sh: $header declares functions $lib does not export:" >&2
	echo "$missing" | sed 's/^/  /' >&2
	status=1
fi
[ $status = 0 ] && echo "check-exports.sh: $(echo "$declared" | wc -l) functions, header and library agree"
exit $status
