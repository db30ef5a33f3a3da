//! The README's example, examples/hello.rs, runs as the README says: with
//! `cargo run`, and linked statically (`EXECUTION_STATIC=1`, pkg-config's
//! static flags, or the `bundled` feature) with no LD_LIBRARY_PATH. The
//! build script takes pkg-config's libexecution only of a matching version.

mod common;

use std::fs;
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
    assert!(
        stdout.contains("Linux "),
        "{what}: no uname output:\n{stdout}"
    );
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

/// Builds examples/hello.rs into its own target dir `what` with `args` and
/// `env` (and no EXECUTION_LIB_DIR unless `env` sets it); returns the
/// target dir.
fn build_hello(what: &str, args: &[&str], env: &[(&str, &Path)]) -> PathBuf {
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
    target
}

/// Checks that the hello built in `target` needs no shared libexecution,
/// and runs it with no LD_LIBRARY_PATH.
fn run_static(what: &str, target: &Path) {
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

/// What execution-sys's build script told cargo, for the build in `target`.
fn link_instructions(target: &Path) -> String {
    let build = target.join("debug/build");
    let mut text = String::new();
    for entry in fs::read_dir(&build).expect("read the build dir") {
        let output = entry.unwrap().path().join("output");
        if output.to_string_lossy().contains("execution-sys-") && output.exists() {
            text += &fs::read_to_string(output).unwrap();
        }
    }
    text
}

#[test]
fn hello_linked_statically_needs_no_library_at_run_time() {
    let lib_dir = static_lib_dir();
    let target = build_hello(
        "static",
        &[],
        &[
            ("EXECUTION_LIB_DIR", &lib_dir),
            ("EXECUTION_STATIC", Path::new("1")),
        ],
    );
    run_static("static", &target);
}

#[test]
fn hello_with_the_bundled_feature_needs_no_library_at_run_time() {
    let target = build_hello("bundled", &["--features", "bundled"], &[]);
    run_static("bundled", &target);
}

/// A pkg-config dir whose execution.pc says `version` and points at a copy
/// of the static library, with the checkout's Libs.private.
fn pkg_config_dir(version: &str) -> TempDir {
    let lib = static_lib_dir();
    let dir = TempDir::new();
    fs::copy(
        lib.join("libexecution.a"),
        dir.path().join("libexecution.a"),
    )
    .unwrap();
    let checkout_pc = fs::read_to_string(lib.join("execution.pc")).expect("build/execution.pc");
    let private = checkout_pc
        .lines()
        .find(|l| l.starts_with("Libs.private:"))
        .expect("a Libs.private line");
    let pc = format!(
        "libdir={}\nName: execution\nDescription: test\nVersion: {version}\n\
         Libs: -L${{libdir}} -lexecution\n{private}\nCflags:\n",
        dir.path().display()
    );
    fs::write(dir.path().join("execution.pc"), pc).unwrap();
    dir
}

#[test]
fn pkg_config_gives_a_matching_version_and_static_flags() {
    let pc = pkg_config_dir(execution::sys::EXEC_VERSION);
    let target = build_hello(
        "pkg-config",
        &[],
        &[
            ("PKG_CONFIG_PATH", pc.path()),
            ("EXECUTION_STATIC", Path::new("1")),
        ],
    );
    let told = link_instructions(&target);
    assert!(
        told.contains(&format!("rustc-link-search=native={}", pc.path().display())),
        "pkg-config's dir was not used:\n{told}"
    );
    run_static("pkg-config", &target);
}

#[test]
fn pkg_config_of_another_minor_version_is_passed_over() {
    let pc = pkg_config_dir("0.99.0");
    let target = build_hello("pkg-config-other", &[], &[("PKG_CONFIG_PATH", pc.path())]);
    let told = link_instructions(&target);
    assert!(
        !told.contains(&pc.path().display().to_string()),
        "a libexecution 0.99.0 was linked:\n{told}"
    );
}
