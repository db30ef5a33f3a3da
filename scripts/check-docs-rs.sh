#!/usr/bin/env bash
# check-docs-rs.sh CRATE_DIR - build the docs of a packaged execution-sys as
# docs.rs does (DOCS_RS set), where no libexecution, pkg-config or checkout
# is to be had, and check that its build script then links nothing.
set -euo pipefail

crate=${1:?usage: check-docs-rs.sh CRATE_DIR}
[ -f "$crate/Cargo.toml" ] || { echo "check-docs-rs.sh: no crate in $crate" >&2; exit 1; }
crate=$(cd "$crate" && pwd)
target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT

env -u EXECUTION_LIB_DIR -u EXECUTION_STATIC DOCS_RS=1 PKG_CONFIG=/bin/false \
	RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps \
	--manifest-path "$crate/Cargo.toml" --target-dir "$target"
if grep -h '^cargo:rustc-link' "$target"/debug/build/execution-sys-*/output; then
	echo "check-docs-rs.sh: the build script links a library under DOCS_RS" >&2
	exit 1
fi
echo "check-docs-rs.sh: $(basename "$crate") documents with no library, as on docs.rs"
