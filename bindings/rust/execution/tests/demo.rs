//! Builds and runs the demo (examples/rust/demo.rs) as a user would:
//! `cargo run --example demo -- BUNDLE_DIR`.

mod common;

use std::process::Command;

use common::{rootfs, TempDir};

#[test]
fn demo_runs() {
    // A bundle dir holding a real copy of the rootfs, as the demo writes a
    // config.json with the relative root path "rootfs" and runc refuses a
    // rootfs that is a symlink.
    let bundle = TempDir::new();
    let copied = Command::new("cp")
        .arg("-a")
        .arg(rootfs())
        .arg(bundle.path().join("rootfs"))
        .status()
        .unwrap();
    assert!(copied.success(), "cp -a of the rootfs failed");

    let root = TempDir::new();
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "demo", "--"])
        .arg(bundle.path())
        .arg(root.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for expected in [
        "wrote ",
        "container says: hello from busybox\n",
        "uname -a says: Linux ",
        "uname exited with status 0\n",
        "container exited: status 137 (killed by signal 9)\n",
        "container deleted\n",
    ] {
        assert!(
            stdout.contains(expected),
            "no {expected:?} in the demo's output:\n{stdout}"
        );
    }
    assert!(
        bundle.path().join("config.json").exists(),
        "the demo wrote no config.json"
    );
    let runtime = execution::Runtime::new(execution::RuntimeOptions::new(root.path())).unwrap();
    assert_eq!(
        runtime.list().unwrap(),
        Vec::<String>::new(),
        "the demo left a container"
    );
}
