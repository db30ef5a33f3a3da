#!/bin/sh
# check-readme-c.sh README HEADER_DIR - compile the README's C example (the
# first ```c block) as the body of a main(), its #include lines above it,
# so that the README cannot drift from the header.
set -eu
readme=$1
include=$2
src=$(mktemp --suffix=.c)
trap 'rm -f "$src"' EXIT
awk '/^```c$/ { on = 1; next } on && /^```$/ { exit } on' "$readme" >"$src.body"
{
	echo '#include <stdio.h>'
	grep '^#include' "$src.body"
	echo 'int main(void) {'
	grep -v '^#include' "$src.body"
	echo 'return 0; }'
} >"$src"
rm -f "$src.body"
[ -s "$src" ] || { echo "check-readme-c.sh: no C block in $readme" >&2; exit 1; }
${CC:-cc} -std=c11 -Wall -Werror -Wno-unused-variable -D_GNU_SOURCE -I"$include" -fsyntax-only "$src"
echo "check-readme-c.sh: the C example of $readme compiles"
