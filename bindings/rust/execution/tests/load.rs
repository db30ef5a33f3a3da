//! Loading containers: a second handle in the same process, and containers
//! made by another process (reattach after a restart).

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Bundle, Fixture, PATIENCE};
use execution::{Bridge, BundleOptions, ErrorKind, Io, Network, Runtime, RuntimeOptions, State};

/// Set in the environment of the helper run of this binary: what it does,
/// with `<root>\n<bundle>\n<id>\n<mode>`.
const CHILD_ENV: &str = "EXECUTION_RS_LOAD_CHILD";

#[test]
fn two_handles_in_one_process() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let id = fx.id();
    let a = fx.runtime.create(&id, bundle.path(), Io::new()).unwrap();
    let b = fx.runtime.load(&id).unwrap();
    assert_eq!(b.id(), id);
    assert_eq!(b.pid().unwrap(), a.pid().unwrap());
    assert_eq!(b.state().unwrap(), State::Created);

    b.start().unwrap();
    assert_eq!(a.state().unwrap(), State::Running);
    a.kill().unwrap();
    let exit = b.wait(Some(PATIENCE)).unwrap();
    assert_eq!(exit.signal, Some(9));
    assert_eq!(a.wait(Some(PATIENCE)).unwrap(), exit);

    b.delete(false).unwrap();
    assert_eq!(a.state().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(a.wait(Some(Duration::ZERO)).unwrap(), exit);
    assert_eq!(
        fx.runtime.load(&id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn another_runtime_on_the_same_root() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "exit 12"]);
    let id = fx.id();
    let c = fx.runtime.run(&id, bundle.path(), Io::new()).unwrap();
    let second = Runtime::new(fx.options()).unwrap();
    assert_eq!(second.list().unwrap(), vec![id.clone()]);
    let d = second.load(&id).unwrap();
    assert_eq!(d.wait(Some(PATIENCE)).unwrap().code, Some(12));
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(12));
    d.delete(false).unwrap();
}

/// The helper run: creates and starts a container, then exits without
/// deleting it. Runs only in the child process `spawn_child` starts.
#[test]
#[ignore = "helper of the tests below, run in a child process"]
fn child_creates_and_leaves() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('\n').collect();
    let [root, bundle, id, mode] = parts[..] else {
        panic!("bad {CHILD_ENV}: {spec:?}")
    };
    let runtime = Runtime::new(RuntimeOptions::new(root)).unwrap();
    let c = runtime.run(id, bundle, Io::new()).unwrap();
    if mode == "wait" {
        c.wait(Some(PATIENCE)).unwrap();
    }
    println!("child-pid {}", c.pid().unwrap());
}

/// Runs this test binary again as the helper; returns the container's pid.
fn spawn_child(fx: &Fixture, bundle: &Path, id: &str, mode: &str) -> i32 {
    let spec = format!(
        "{}\n{}\n{id}\n{mode}",
        fx.root().display(),
        bundle.display()
    );
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_creates_and_leaves",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, spec)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "helper failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = stdout
        .split("child-pid ")
        .nth(1)
        .unwrap_or_else(|| panic!("helper printed no pid: {stdout}"));
    after.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn adopt_a_running_container_of_an_exited_process() {
    // The helper exits leaving its container running: the init stays the
    // monitor's child, and this process, which is not its parent, loads it.
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let id = fx.id();
    let pid = spawn_child(&fx, bundle.path(), &id, "leave");

    let c = fx.runtime.load(&id).unwrap();
    assert_eq!(c.state().unwrap(), State::Running);
    assert_eq!(c.pid().unwrap(), pid);
    c.kill().unwrap();
    let exit = c.wait(Some(PATIENCE)).unwrap();
    assert_eq!(
        exit.signal,
        Some(9),
        "the adopted container's exit: {exit:?}"
    );
    c.delete(false).unwrap();
}

#[test]
fn load_reports_an_exit_recorded_by_another_process() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "exit 5"]);
    let id = fx.id();
    spawn_child(&fx, bundle.path(), &id, "wait");

    let c = fx.runtime.load(&id).unwrap();
    assert_eq!(c.state().unwrap(), State::Stopped);
    let exit = c.wait(Some(PATIENCE)).unwrap();
    assert_eq!(exit.code, Some(5));
    c.delete(false).unwrap();
}

/// The parent pid of pid, from /proc.
fn parent_of(pid: i32) -> i32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = stat.rsplit_once(')').unwrap().1;
    after.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn the_exit_is_unknown_when_the_monitor_died() {
    // The monitor, the container's parent, is killed by hand: init reaps
    // the container, so its exit status is a System error, not made up.
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let id = fx.id();
    let pid = spawn_child(&fx, bundle.path(), &id, "leave");
    let monitor = parent_of(pid);
    let comm = std::fs::read_to_string(format!("/proc/{monitor}/comm")).unwrap();
    assert_eq!(comm, "exec-monitor\n");
    Command::new("kill")
        .args(["-9", &monitor.to_string()])
        .status()
        .unwrap();
    let end = std::time::Instant::now() + PATIENCE;
    while parent_of(pid) == monitor && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    let c = fx.runtime.load(&id).unwrap();
    c.kill().unwrap();
    let err = c.wait(Some(PATIENCE)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::System, "{err}");
    assert!(err.message().contains("unknown"), "{err}");
    c.delete(true).unwrap();
}

/// A process made a bridge container and died without deleting it: the
/// next delete removes it with its network (namespace, config copy, IP
/// lease, port mappings).
#[test]
fn a_bridge_container_whose_creator_died_goes_with_its_network() {
    let fx = Fixture::new();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bridge = Network::Bridge(Bridge::new().port(port, 80));
    let bundle = Bundle::with_options(&["sleep", "60"], &BundleOptions::new().network(bridge));
    let id = fx.id();
    spawn_child(&fx, bundle.path(), &id, "leave");
    let net = fx.root().join("network");
    assert!(net.join("netns").join(&id).exists());
    let c = fx.runtime.load(&id).unwrap();
    let addrs = c.addresses().unwrap();
    assert_eq!(addrs.len(), 1);
    let lease = net.join("ipam/libexecution").join(addrs[0].to_string());
    assert!(lease.exists());
    c.delete(true).unwrap();
    assert!(!net.join("netns").join(&id).exists());
    assert!(!net.join("bundles").join(&id).exists());
    assert!(!lease.exists());
    let rules = Command::new("iptables-save")
        .args(["-t", "nat"])
        .output()
        .unwrap();
    assert!(rules.status.success());
    assert!(!String::from_utf8_lossy(&rules.stdout).contains(&id));
}
