#!/usr/bin/env sh
# header-manual.sh HEADER - print HEADER's top comment, the manual, as the
# Markdown main page of the C reference: its first line a title, its
# upper-case lines section headings.
set -eu
awk '
NR == 1 && /^\/\*/ { next }
/^ \*\/$/ { exit }
{ sub(/^ \* ?/, ""); sub(/^ \*$/, "") }
!title { print "# " $0 "\n"; title = 1; next }
/^[A-Z][A-Z ]+$/ { print "## " substr($0, 1, 1) tolower(substr($0, 2)); next }
{ print }
' "${1:?usage: header-manual.sh HEADER}"
