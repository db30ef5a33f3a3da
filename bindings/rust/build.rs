//! Finds libexecution; builds and runs nothing else.
//!
//! Looked for, in order: the directory named by `EXECUTION_LIB_DIR`, then
//! `pkg-config --libs-only-L execution`, then the checkout's `build/`
//! (`../../build` from this crate). For the first and the last, an rpath is
//! linked into this crate's tests and examples so they run without
//! `LD_LIBRARY_PATH`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const LIB_FILE: &str = "libexecution.so";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=EXECUTION_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let checkout = manifest.join("../../build");
    println!(
        "cargo:rerun-if-changed={}",
        checkout.join(LIB_FILE).display()
    );

    if let Some(dir) = env::var_os("EXECUTION_LIB_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if !dir.join(LIB_FILE).exists() {
            panic!("EXECUTION_LIB_DIR={} holds no {LIB_FILE}", dir.display());
        }
        link_with_rpath(&dir.canonicalize().unwrap_or(dir));
    } else if let Some(dirs) = pkg_config_dirs() {
        for dir in dirs {
            println!("cargo:rustc-link-search=native={dir}");
        }
        println!("cargo:rustc-link-lib=dylib=execution");
    } else if checkout.join(LIB_FILE).exists() {
        link_with_rpath(&checkout.canonicalize().unwrap_or(checkout));
    } else {
        panic!(
            "libexecution not found. Looked in: (1) the EXECUTION_LIB_DIR environment \
             variable (unset), (2) `pkg-config --libs-only-L execution` (no such package, or \
             no pkg-config), (3) the checkout's build dir {} (no {LIB_FILE}; run `make` at the \
             top of the checkout). Set EXECUTION_LIB_DIR to the directory holding {LIB_FILE}.",
            checkout.display()
        );
    }
}

fn link_with_rpath(dir: &Path) {
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=execution");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}

/// The `-L` dirs pkg-config gives for `execution`; None when pkg-config is
/// missing or does not know the package.
fn pkg_config_dirs() -> Option<Vec<String>> {
    let out = Command::new("pkg-config")
        .args(["--libs-only-L", "execution"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(
        text.split_whitespace()
            .filter_map(|flag| flag.strip_prefix("-L"))
            .map(str::to_owned)
            .collect(),
    )
}
