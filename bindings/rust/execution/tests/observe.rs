//! Limits written at bundle time, stats, ps, update, and exits that tell an
//! OOM kill, on real containers.

mod common;

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{read_all, Bundle, Fixture, TempDir, PATIENCE};
use execution::{BundleOptions, Container, ErrorKind, Io, Stats, Stdio};

const MIB: i64 = 1 << 20;

/// Reads stats until `ok` accepts them; panics after PATIENCE.
fn poll_stats(c: &Container, ok: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let s = c.stats().unwrap();
        if ok(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "stats never got there: {s:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn limits_are_written_into_the_config() {
    let options = BundleOptions::new()
        .memory_limit(64 * MIB)
        .memory_swap_limit(-1)
        .cpus(1.5)
        .cpu_shares(512)
        .pids_limit(20);
    let bundle = Bundle::with_options(&["true"], &options);
    let config = std::fs::read_to_string(bundle.path().join("config.json")).unwrap();
    for want in [
        "\"limit\": 67108864",
        "\"swap\": -1",
        "\"quota\": 150000",
        "\"period\": 100000",
        "\"shares\": 512",
        "\"limit\": 20",
    ] {
        assert!(config.contains(want), "config lacks {want}: {config}");
    }
}

#[test]
fn bad_limits_write_nothing() {
    for options in [
        BundleOptions::new().memory_limit(-1),
        BundleOptions::new().memory_swap_limit(64 * MIB),
        BundleOptions::new().cpus(1.0).cpu_quota(50_000),
        BundleOptions::new().cpus(f64::NAN),
        BundleOptions::new().cpu_shares(1),
        BundleOptions::new().pids_limit(-2),
    ] {
        let dir = TempDir::new();
        let err = execution::bundle_init_ext(dir.path(), &["true"], &options).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{options:?}: {err}");
        assert!(!dir.path().join("config.json").exists());
    }
}

#[test]
fn stats_rise_while_it_burns_cpu_and_allocates() {
    let fx = Fixture::new();
    let script =
        "busybox dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; while :; do :; done";
    let options = BundleOptions::new().memory_limit(128 * MIB).pids_limit(50);
    let bundle = Bundle::with_options(&["sh", "-c", script], &options);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    let mib = MIB as u64;
    let s = poll_stats(&c, |s| {
        s.cpu_usage > Duration::from_millis(50) && s.memory_usage >= 24 * mib
    });
    assert_eq!(s.memory_limit, Some(128 * mib));
    assert_eq!(s.pids_limit, Some(50));
    assert!(
        s.pids_current >= 1 && s.memory_peak >= s.memory_usage,
        "{s:?}"
    );
    assert!(
        s.memory_cache >= 24 * mib && s.cpu_user + s.cpu_system > Duration::ZERO,
        "{s:?}"
    );
    let later = poll_stats(&c, |t| t.cpu_usage > s.cpu_usage);
    assert!(later.cpu_usage > s.cpu_usage);
    assert!(c.ps().unwrap().contains(&c.pid().unwrap()));
    c.delete(true).unwrap();
}

#[test]
fn update_lowers_a_live_memory_limit() {
    let fx = Fixture::new();
    let options = BundleOptions::new().memory_limit(64 * MIB);
    let bundle = Bundle::with_options(&["sleep", "100"], &options);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    let mib = MIB as u64;
    assert_eq!(c.stats().unwrap().memory_limit, Some(64 * mib));
    assert_eq!(c.stats().unwrap().pids_limit, None);
    assert_eq!(c.ps().unwrap(), vec![c.pid().unwrap()]);

    c.update(r#"{"memory":{"limit":33554432},"pids":{"limit":7}}"#)
        .unwrap();
    let s = c.stats().unwrap();
    assert_eq!((s.memory_limit, s.pids_limit), (Some(32 * mib), Some(7)));
    for bad in ["{", "null", r#"{"memroy":{}}"#, "a\0b"] {
        assert_eq!(
            c.update(bad).unwrap_err().kind(),
            ErrorKind::InvalidArgument,
            "{bad}"
        );
    }
    assert_eq!(
        c.update(r#"{"memory":{"limit":4096}}"#).unwrap_err().kind(),
        ErrorKind::Runtime
    );

    c.kill().unwrap();
    c.wait(Some(PATIENCE)).unwrap();
    assert_eq!(
        c.update(r#"{"pids":{"limit":9}}"#).unwrap_err().kind(),
        ErrorKind::InvalidState
    );
    assert!(c.ps().unwrap().is_empty());
    c.delete(false).unwrap();
    assert_eq!(c.stats().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(c.ps().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(c.update("{}").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn stats_with_the_cgroup_gone() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let id = fx.id();
    let c = fx.runtime.create(&id, bundle.path(), Io::new()).unwrap();
    c.start().unwrap();
    c.wait(Some(PATIENCE)).unwrap();
    assert_eq!(c.stats().unwrap().pids_current, 0);
    let status = Command::new("runc")
        .arg("--root")
        .arg(fx.root().join("runc"))
        .args(["delete", &id])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(c.stats().unwrap_err().kind(), ErrorKind::InvalidState);
    assert_eq!(c.ps().unwrap_err().kind(), ErrorKind::InvalidState);
}

#[test]
fn a_pids_limit_stops_a_fork_loop() {
    let fx = Fixture::new();
    let script = "for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo all started >&2";
    let bundle = Bundle::with_options(&["sh", "-c", script], &BundleOptions::new().pids_limit(4));
    let c = fx
        .runtime
        .run(&fx.id(), bundle.path(), Io::new().stderr(Stdio::Pipe))
        .unwrap();
    let err = read_all(c.take_stderr().unwrap());
    assert_ne!(c.wait(Some(PATIENCE)).unwrap().status, 0);
    assert!(
        err.contains("fork") && !err.contains("all started"),
        "{err}"
    );
    assert_eq!(c.stats().unwrap().pids_limit, Some(4));
}

#[test]
fn a_memory_limit_oom_kills() {
    let fx = Fixture::new();
    let options = BundleOptions::new()
        .memory_limit(16 * MIB)
        .memory_swap_limit(16 * MIB);
    let bundle = Bundle::with_options(&["busybox", "tail", "/dev/zero"], &options);
    let id = fx.id();
    let c = fx.runtime.run(&id, bundle.path(), Io::new()).unwrap();
    let exit = c.wait(Some(PATIENCE)).unwrap();
    assert!(
        exit.oom_killed && exit.signal == Some(9) && exit.status == 137,
        "{exit:?}"
    );
    assert!(c.stats().unwrap().oom_kills >= 1);
    let again = fx.runtime.load(&id).unwrap();
    assert_eq!(again.wait(Some(PATIENCE)).unwrap(), exit);

    let calm = fx
        .runtime
        .run(&fx.id(), Bundle::new(&["sleep", "100"]).path(), Io::new())
        .unwrap();
    calm.kill().unwrap();
    let exit = calm.wait(Some(PATIENCE)).unwrap();
    assert!(exit.signal == Some(9) && !exit.oom_killed);
}
