#!/usr/bin/env bash
# check-sys-package.sh CRATE_DIR - check a packaged execution-sys (as
# `cargo package` unpacks it) where no libexecution, pkg-config or checkout
# is to be had:
# - it carries sources only, no ELF file built where it was packaged;
# - its docs build as on docs.rs (DOCS_RS set), with no warning, and its
#   build script then links nothing;
# - with the `bundled` feature it builds the library from the source it
#   carries, and its raw-call tests pass on the result.
set -euo pipefail

die() {
	echo "check-sys-package.sh: $*" >&2
	exit 1
}

crate=${1:?usage: check-sys-package.sh CRATE_DIR}
[ -f "$crate/Cargo.toml" ] || die "no crate in $crate"
crate=$(cd "$crate" && pwd)
target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT
alone=(env -u EXECUTION_LIB_DIR -u EXECUTION_STATIC -u EXECUTION_SRC_DIR -u LD_LIBRARY_PATH
	PKG_CONFIG=/bin/false)

# Sources only: no program or library built on the packaging machine.
while IFS= read -r -d '' f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" != '177ELF' ] || die "the crate carries a built file: ${f#"$crate"/}"
done < <(find "$crate" -type f -print0)
echo "check-sys-package.sh: $(basename "$crate") carries no built file"

"${alone[@]}" DOCS_RS=1 RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps \
	--manifest-path "$crate/Cargo.toml" --target-dir "$target/docs"
if grep -h '^cargo:rustc-link' "$target"/docs/debug/build/execution-sys-*/output; then
	die "the build script links a library under DOCS_RS"
fi
echo "check-sys-package.sh: $(basename "$crate") documents with no library, as on docs.rs"

"${alone[@]}" cargo test --quiet --features bundled --test raw \
	--manifest-path "$crate/Cargo.toml" --target-dir "$target/bundled"
echo "check-sys-package.sh: $(basename "$crate") builds libexecution itself with the bundled feature"
