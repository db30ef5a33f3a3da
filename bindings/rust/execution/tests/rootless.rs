//! Rootless and hardened containers: `make test-rootless` runs this test
//! binary as an unprivileged user, `make test-rust` as root. The hardened
//! tests run in both; the rootless ones return at once as root, where they
//! mean nothing, and run for real in the rootless suite.

mod common;

use std::path::Path;

use common::{bundle_on, probe_rootfs, read_all, Fixture, TempDir, PATIENCE};
use execution::{BundleOptions, ErrorKind, Io, ProcessSpec, Stdio, UserNs};

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { geteuid() == 0 }
}

extern "C" {
    fn geteuid() -> u32;
}

/// Whether this user's containers get a cgroup of their own (limits apply).
fn limits_apply() -> bool {
    is_root() || Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

/// Runs `sh -c script` on the probe rootfs to its exit; its stdout and stderr.
fn output(fx: &Fixture, script: &str, options: &BundleOptions) -> String {
    let bundle = bundle_on(&probe_rootfs(), &["sh", "-c", script], options);
    let c = fx
        .runtime
        .run(&fx.id(), bundle.path(), Io::new().stdout(Stdio::Pipe))
        .unwrap();
    let out = read_all(c.take_stdout().unwrap());
    c.wait(Some(PATIENCE)).unwrap();
    c.delete(false).unwrap();
    out
}

#[test]
fn hardened_seccomp_denies_unshare_and_keyctl() {
    let fx = Fixture::new();
    let script = "unshare -U true 2>&1; echo unshare=$?; probe keyctl";
    let plain = output(&fx, script, &BundleOptions::new());
    assert!(
        plain.contains("unshare=0") && plain.contains("keyctl=ok"),
        "{plain}"
    );
    let hard = output(&fx, script, &BundleOptions::new().hardened(true));
    assert!(
        hard.contains("Operation not permitted\nunshare=1"),
        "{hard}"
    );
    assert!(hard.contains("keyctl=EPERM"), "{hard}");
}

#[test]
fn hardened_rootfs_read_only_tmpfs_writable() {
    let fx = Fixture::new();
    let options = BundleOptions::new().hardened(true).tmpfs("/tmp");
    let out = output(
        &fx,
        "touch /etc/x 2>&1; echo kept > /tmp/t && cat /tmp/t",
        &options,
    );
    assert!(
        out.contains("Read-only file system") && out.ends_with("kept\n"),
        "{out}"
    );
}

#[test]
fn hardened_root_is_not_root_outside() {
    let fx = Fixture::new();
    let bundle = bundle_on(
        &common::rootfs(),
        &["sleep", "60"],
        &BundleOptions::new().hardened(true),
    );
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    let status = std::fs::read_to_string(format!("/proc/{}/status", c.pid().unwrap())).unwrap();
    let uid: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(uid, 0);
    if !is_root() {
        assert_eq!(uid, unsafe { geteuid() });
    }
    c.kill().unwrap();
    c.wait(Some(PATIENCE)).unwrap();
    c.delete(false).unwrap();
}

#[test]
fn hardened_fork_bomb_stops_at_the_pids_limit() {
    let fx = Fixture::new();
    let script = "(n=0; while [ $n -lt 200 ]; do sleep 60 & n=$((n+1)); done) 2>/tmp/err; \
                  set -- /proc/[0-9]*; echo started=$#; kill -9 -1; wait; cat /tmp/err";
    let options = BundleOptions::new()
        .hardened(true)
        .pids_limit(32)
        .tmpfs("/tmp");
    if !limits_apply() {
        let dir = TempDir::new();
        let e = execution::bundle_init_ext(dir.path(), &["true"], &options).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotSupported, "{e}");
        assert!(!dir.path().join("config.json").exists());
        return;
    }
    let out = output(&fx, script, &options);
    assert!(out.contains("can't fork"), "{out}");
    let started: u32 = out
        .split("started=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((2..=32).contains(&started), "{out}");
}

#[test]
fn bad_tmpfs_dirs_are_invalid() {
    let dir = TempDir::new();
    for options in [
        BundleOptions::new().tmpfs("tmp"),
        BundleOptions::new().tmpfs("/a\0b"),
    ] {
        let e = execution::bundle_init_ext(dir.path(), &["true"], &options).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    }
    assert!(!dir.path().join("config.json").exists());
}

#[test]
fn rootless_root_inside_is_the_caller() {
    if is_root() {
        eprintln!("skipped as root: make test-rootless runs it");
        return;
    }
    let fx = Fixture::new();
    let out = output(&fx, "id -u; cat /proc/self/uid_map", &BundleOptions::new());
    let euid = unsafe { geteuid() };
    assert_eq!(out, format!("0\n{:10} {:10} {:10}\n", 0, euid, 1));
}

#[test]
fn rootless_default_root_is_under_xdg_runtime_dir() {
    if is_root() {
        return;
    }
    let Some(xdg) = std::env::var_os("XDG_RUNTIME_DIR") else {
        panic!("the rootless suite runs with XDG_RUNTIME_DIR set (make test-rootless)");
    };
    let rt = execution::Runtime::new(execution::RuntimeOptions::user_default()).unwrap();
    assert_eq!(rt.root(), Path::new(&xdg).join("libexecution"));
}

#[test]
fn rootless_exec_and_reattach() {
    if is_root() {
        eprintln!("skipped as root: make test-rootless runs it");
        return;
    }
    let fx = Fixture::new();
    let bundle = bundle_on(&common::rootfs(), &["sleep", "60"], &BundleOptions::new());
    let id = fx.id();
    let c = fx.runtime.run(&id, bundle.path(), Io::new()).unwrap();
    let p = c
        .exec_with_id("five", &ProcessSpec::new(["sh", "-c", "exit 5"]), Io::new())
        .unwrap();
    assert_eq!(p.wait(Some(PATIENCE)).unwrap().status, 5);
    let pid = c.pid().unwrap();
    drop(c);
    let rt2 = execution::Runtime::new(fx.options()).unwrap();
    let again = rt2.load(&id).unwrap();
    assert_eq!(again.pid().unwrap(), pid);
    again.kill().unwrap();
    assert_eq!(again.wait(Some(PATIENCE)).unwrap().status, 128 + 9);
    again.delete(false).unwrap();
}

#[test]
fn rootless_without_a_cgroup_is_not_supported() {
    if is_root() || limits_apply() {
        eprintln!(
            "skipped: runs as a user who is not root on a cgroup v1 host (make test-rootless)"
        );
        return;
    }
    let fx = Fixture::new();
    let bundle = bundle_on(&common::rootfs(), &["sleep", "60"], &BundleOptions::new());
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    assert_eq!(c.stats().unwrap_err().kind(), ErrorKind::NotSupported);
    assert_eq!(c.ps().unwrap_err().kind(), ErrorKind::NotSupported);
    assert_eq!(c.pause().unwrap_err().kind(), ErrorKind::NotSupported);
    let e = c.update("{\"pids\":{\"limit\":10}}").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotSupported);
    assert!(e.message().contains("no cgroup of its own"), "{e}");
    c.kill().unwrap();
    c.wait(Some(PATIENCE)).unwrap();
    c.delete(false).unwrap();
    let e = execution::bundle_init_ext(
        TempDir::new().path(),
        &["true"],
        &BundleOptions::new().userns(UserNs::None),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}
