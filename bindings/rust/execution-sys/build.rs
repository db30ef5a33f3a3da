//! Finds libexecution and tells cargo how to link it; builds nothing unless
//! the `bundled` feature asks for it.
//!
//! In order:
//! - on docs.rs (`DOCS_RS` set): nothing; documentation links no library;
//! - with the `bundled` feature: `make static pc` in the libexecution source
//!   tree (`EXECUTION_SRC_DIR`, else the crate's own `libexecution/`), into
//!   `OUT_DIR`, and a static link of the archive;
//! - `EXECUTION_LIB_DIR`: the directory holding `libexecution.so`, or with
//!   `EXECUTION_STATIC=1` `libexecution.a` and `execution.pc`;
//! - pkg-config, for a libexecution whose version this crate supports
//!   (`--static` with `EXECUTION_STATIC=1`);
//! - the checkout's `build/`, after `make`.
//!
//! A shared library's directory is passed on to dependents' build scripts
//! as `DEP_EXECUTION_LIB_DIR`, and linked as an rpath into this crate's own
//! tests; a program of yours finds it on the loader path, or through an
//! rpath of its own (see README.md).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHARED: &str = "libexecution.so";
const ARCHIVE: &str = "libexecution.a";
const PC: &str = "execution.pc";

fn main() {
    for var in [
        "DOCS_RS",
        "EXECUTION_LIB_DIR",
        "EXECUTION_STATIC",
        "EXECUTION_SRC_DIR",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "PKG_CONFIG_SYSROOT_DIR",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("DOCS_RS").is_some() {
        return;
    }
    link();
}

/// Links the first libexecution found, in the order the module doc gives.
fn link() {
    let statically = env::var("EXECUTION_STATIC").is_ok_and(|v| v == "1");
    if env::var_os("CARGO_FEATURE_BUNDLED").is_some() {
        return link_from_dir(&bundled(), true);
    }
    if let Some(dir) = env::var_os("EXECUTION_LIB_DIR").filter(|d| !d.is_empty()) {
        return link_from_dir(&absolute(PathBuf::from(dir)), statically);
    }
    if pkg_config(statically) {
        return;
    }
    let checkout = manifest_dir().join("../../../build");
    if checkout.join(SHARED).exists() {
        println!("cargo:rerun-if-changed={}", checkout.join(SHARED).display());
        return link_from_dir(&absolute(checkout), statically);
    }
    panic!(
        "libexecution not found. Looked for: (1) the `bundled` feature (off), (2) the \
         EXECUTION_LIB_DIR environment variable (unset), (3) pkg-config's `execution` in {} \
         (none, or no pkg-config), (4) a checkout's build dir {} (no {SHARED}). Set \
         EXECUTION_LIB_DIR to the directory holding {SHARED}, `make install` libexecution, \
         or turn on the `bundled` feature to build it with Go.",
        version_range().join(", "),
        checkout.display()
    );
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
}

fn absolute(dir: PathBuf) -> PathBuf {
    dir.canonicalize().unwrap_or(dir)
}

/// The libexecution versions this crate's declarations match: the same
/// major version, or for 0.x the same minor one, as pkg-config terms.
fn version_range() -> [String; 2] {
    let major: u32 = env::var("CARGO_PKG_VERSION_MAJOR")
        .unwrap()
        .parse()
        .unwrap();
    let minor: u32 = env::var("CARGO_PKG_VERSION_MINOR")
        .unwrap()
        .parse()
        .unwrap();
    let (low, high) = if major == 0 {
        (format!("0.{minor}.0"), format!("0.{}.0", minor + 1))
    } else {
        (format!("{major}.0.0"), format!("{}.0.0", major + 1))
    };
    [format!("execution >= {low}"), format!("execution < {high}")]
}

/// Links what pkg-config says for a libexecution in the supported range;
/// false when pkg-config is missing or has none.
fn pkg_config(statically: bool) -> bool {
    let range = version_range();
    let mut cmd = Command::new(env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into()));
    cmd.arg("--libs");
    if statically {
        cmd.arg("--static");
    }
    let Ok(out) = cmd.args(&range).output() else {
        return false;
    };
    if !out.status.success() {
        return false;
    }
    let flags = String::from_utf8(out.stdout).expect("pkg-config's output is UTF-8");
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            if !statically {
                println!("cargo:lib_dir={dir}");
            }
        } else if flag == "-lexecution" {
            let kind = if statically { "static" } else { "dylib" };
            println!("cargo:rustc-link-lib={kind}=execution");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    }
    true
}

/// Links the library in `dir`: the archive and the system libraries its
/// execution.pc names, or the shared library with an rpath for this crate's
/// tests.
fn link_from_dir(dir: &Path, statically: bool) {
    println!("cargo:rustc-link-search=native={}", dir.display());
    if !statically {
        if !dir.join(SHARED).exists() {
            panic!("EXECUTION_LIB_DIR={} holds no {SHARED}", dir.display());
        }
        println!("cargo:rustc-link-lib=dylib=execution");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        println!("cargo:lib_dir={}", dir.display());
        return;
    }
    if !dir.join(ARCHIVE).exists() {
        panic!(
            "{} holds no {ARCHIVE} (`make static` builds it, `make install` installs it)",
            dir.display()
        );
    }
    println!("cargo:rustc-link-lib=static=execution");
    for lib in private_libs(dir) {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
}

/// The system libraries of `Libs.private` in the execution.pc beside the
/// archive (or in its pkgconfig/ dir, as installed).
fn private_libs(dir: &Path) -> Vec<String> {
    let pc = [dir.join(PC), dir.join("pkgconfig").join(PC)]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "no {PC} beside {} to name the libraries the archive needs (`make pc` writes it)",
                dir.join(ARCHIVE).display()
            )
        });
    let text = fs::read_to_string(&pc).unwrap_or_else(|e| panic!("{}: {e}", pc.display()));
    text.lines()
        .filter_map(|l| l.strip_prefix("Libs.private:"))
        .flat_map(str::split_whitespace)
        .filter_map(|f| f.strip_prefix("-l"))
        .map(str::to_owned)
        .collect()
}

/// Builds libexecution.a and execution.pc with the source tree's own
/// Makefile into OUT_DIR; returns the directory holding them.
fn bundled() -> PathBuf {
    let source = env::var_os("EXECUTION_SRC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("libexecution"));
    if !source.join("capi").is_dir() || !source.join("Makefile").is_file() {
        panic!(
            "the `bundled` feature builds libexecution from its source tree with Go, and {} \
             is none; set EXECUTION_SRC_DIR to a libexecution checkout",
            source.display()
        );
    }
    let source = absolute(source);
    if Command::new(env::var("GO").unwrap_or_else(|_| "go".into()))
        .arg("version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        panic!("the `bundled` feature needs Go (`go` on PATH, or GO) to build libexecution");
    }
    for input in [
        "Makefile", "go.mod", "go.sum", "include", "capi", "runtime", "monitor",
    ] {
        println!("cargo:rerun-if-changed={}", source.join(input).display());
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("libexecution");
    let status = Command::new(env::var("MAKE").unwrap_or_else(|_| "make".into()))
        .arg("-C")
        .arg(&source)
        .arg(format!("BUILD={}", out.display()))
        .args(["--no-print-directory", "static", "pc"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run make: {e}"));
    if !status.success() {
        panic!("`make static pc` in {} failed ({status})", source.display());
    }
    out
}
