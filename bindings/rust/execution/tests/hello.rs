//! The README's example, examples/hello.rs, runs as the README says: with
//! `cargo run`, and linked statically (`EXECUTION_STATIC=1`, or the
//! `bundled` feature) with no LD_LIBRARY_PATH.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{rootfs, TempDir};

/// A bundle whose process keeps running, as hello.rs wants.
fn bundle() -> TempDir {
    let bundle = TempDir::new();
    std::os::unix::fs::symlink(rootfs(), bundle.path().join("rootfs")).expect("link rootfs");
    execution::bundle_init(bundle.path(), &["sleep", "60"], false).expect("bundle_init");
    bundle
}

fn check(what: &str, out: Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Linux "), "{what}: no uname output:\n{stdout}");
    assert!(
        stdout.contains("container: "),
        "{what}: no container exit:\n{stdout}"
    );
}

#[test]
fn hello_runs_with_cargo_run() {
    let bundle = bundle();
    let root = TempDir::new();
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "hello", "--"])
        .arg(bundle.path())
        .arg(root.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    check("cargo run --example hello", out);
}

/// The directory holding libexecution.a and execution.pc: EXECUTION_LIB_DIR,
/// as `make test-rust` sets it.
fn static_lib_dir() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var_os("EXECUTION_LIB_DIR")
            .expect("EXECUTION_LIB_DIR must name the dir of libexecution.a (make test-rust)"),
    );
    assert!(
        dir.join("libexecution.a").exists(),
        "{} holds no libexecution.a (make static)",
        dir.display()
    );
    dir
}

/// Builds examples/hello.rs into its own target dir with `args` and `env`,
/// checks that it needs no shared libexecution, and runs it with no
/// LD_LIBRARY_PATH.
fn build_and_run_static(what: &str, args: &[&str], env: &[(&str, &Path)]) {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join(what);
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "--example", "hello", "--target-dir"])
        .arg(&target)
        .args(args)
        .env_remove("EXECUTION_LIB_DIR")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        cargo.env(k, v);
    }
    assert!(
        cargo.status().expect("run cargo").success(),
        "{what}: cargo build failed"
    );
    let program = target.join("debug/examples/hello");
    let dynamic = Command::new("readelf")
        .arg("-d")
        .arg(&program)
        .output()
        .expect("run readelf");
    let dynamic = String::from_utf8_lossy(&dynamic.stdout);
    assert!(
        !dynamic.contains("libexecution"),
        "{what}: hello still needs a shared libexecution:\n{dynamic}"
    );

    let bundle = bundle();
    let root = TempDir::new();
    let out = Command::new(&program)
        .arg(bundle.path())
        .arg(root.path())
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run hello");
    check(what, out);
}

#[test]
fn hello_linked_statically_needs_no_library_at_run_time() {
    let lib_dir = static_lib_dir();
    build_and_run_static(
        "static",
        &[],
        &[
            ("EXECUTION_LIB_DIR", &lib_dir),
            ("EXECUTION_STATIC", Path::new("1")),
        ],
    );
}

#[test]
fn hello_with_the_bundled_feature_needs_no_library_at_run_time() {
    build_and_run_static("bundled", &["--features", "bundled"], &[]);
}
