//! Create, start, run, state, pid, list, wait, kill and delete on real
//! containers.

mod common;

use std::io::Read;
use std::path::Path;
use std::thread;
use std::time::Duration;

use common::{exit_parts, Bundle, Fixture, PATIENCE};
use execution::{ErrorKind, Io, State};

#[test]
fn version_is_the_headers() {
    assert_eq!(execution::version(), execution::sys::EXEC_VERSION);
}

#[test]
fn create_start_wait_delete() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "exit 3"]);
    let id = fx.id();

    let c = fx.runtime.create(&id, bundle.path(), Io::new()).unwrap();
    assert_eq!(c.id(), id);
    assert_eq!(c.state().unwrap(), State::Created);
    let pid = c.pid().unwrap();
    assert!(pid > 0);
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "init pid {pid} is no live process"
    );
    assert!(fx.runtime.list().unwrap().contains(&id));

    c.start().unwrap();
    let exit = c.wait(None).unwrap();
    assert_eq!(exit_parts(&exit), (3, Some(3), None, false, false));
    assert_eq!(c.state().unwrap(), State::Stopped);

    c.delete(false).unwrap();
    assert!(!fx.runtime.list().unwrap().contains(&id));
    assert_eq!(c.state().unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(c.delete(false).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        c.wait(Some(Duration::ZERO)).unwrap(),
        exit,
        "a deleted container's wait gives the recorded exit"
    );
}

#[test]
fn exit_codes() {
    let fx = Fixture::new();
    for code in [0, 3, 255] {
        let bundle = Bundle::new(&["sh", "-c", &format!("exit {code}")]);
        let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
        let exit = c.wait(Some(PATIENCE)).unwrap();
        assert_eq!(exit_parts(&exit), (code, Some(code), None, false, false));
        assert_eq!(exit.success(), code == 0);
        c.delete(false).unwrap();
    }
}

#[test]
fn sigkill_ends_init() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    assert_eq!(c.state().unwrap(), State::Running);
    assert_eq!(
        c.wait(Some(Duration::ZERO)).unwrap_err().kind(),
        ErrorKind::TimedOut
    );

    c.kill().unwrap();
    let exit = c.wait(Some(PATIENCE)).unwrap();
    assert_eq!(exit_parts(&exit), (137, None, Some(9), false, false));
    assert_eq!(c.state().unwrap(), State::Stopped);
    assert_eq!(
        c.signal(9, false).unwrap_err().kind(),
        ErrorKind::InvalidState
    );
    c.kill().unwrap(); // exited: Ok, as Child::kill
    c.delete(false).unwrap();
}

#[test]
fn init_handling_sigterm() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&[
        "sh",
        "-c",
        "trap 'exit 42' TERM; echo ready; sleep 1000 & wait",
    ]);
    let io = Io::new().stdout(execution::Stdio::Pipe);
    let c = fx.runtime.run(&fx.id(), bundle.path(), io).unwrap();
    // One signal, once the shell says its trap is set: a second one could
    // land while the trap runs.
    let mut ready = [0u8; 6];
    c.take_stdout().unwrap().read_exact(&mut ready).unwrap();
    assert_eq!(&ready, b"ready\n");
    c.signal(15, false).unwrap();
    let exit = c.wait(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(exit.code, Some(42));
    c.delete(false).unwrap();
}

#[test]
fn kill_all_reaches_every_process() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "sleep 1000 & sleep 1000 & wait"]);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    c.signal(9, true).unwrap();
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().signal, Some(9));
    c.delete(false).unwrap();
}

#[test]
fn wait_on_a_created_container_waits_for_start_and_exit() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "exit 7"]);
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::new())
        .unwrap();
    assert_eq!(
        c.wait(Some(Duration::from_millis(100))).unwrap_err().kind(),
        ErrorKind::TimedOut
    );

    let exits = thread::scope(|s| {
        let waiters: Vec<_> = (0..3).map(|_| s.spawn(|| c.wait(None))).collect();
        thread::sleep(Duration::from_millis(200));
        assert!(
            waiters.iter().all(|w| !w.is_finished()),
            "a wait returned before the start"
        );
        c.start().unwrap();
        waiters
            .into_iter()
            .map(|w| w.join().unwrap().unwrap())
            .collect::<Vec<_>>()
    });
    for exit in exits {
        assert_eq!(exit.code, Some(7));
    }
    assert_eq!(
        c.wait(None).unwrap().code,
        Some(7),
        "a later wait gets the same exit"
    );
    c.delete(false).unwrap();
}

#[test]
fn delete_with_force_kills_a_running_container() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    let pid = c.pid().unwrap();
    assert_eq!(c.delete(false).unwrap_err().kind(), ErrorKind::InvalidState);
    c.delete(true).unwrap();
    assert_eq!(c.state().unwrap_err().kind(), ErrorKind::NotFound);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "init {pid} outlived a forced delete"
    );
}

#[test]
fn start_twice_is_an_invalid_state() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::new())
        .unwrap();
    c.start().unwrap();
    assert_eq!(c.start().unwrap_err().kind(), ErrorKind::InvalidState);
    c.delete(true).unwrap();
}

#[test]
fn list_is_sorted_and_per_root() {
    let fx = Fixture::new();
    let other = Fixture::new();
    assert_eq!(fx.runtime.list().unwrap(), Vec::<String>::new());
    let bundle = Bundle::new(&["sleep", "1000"]);
    let mut ids = vec![fx.id(), fx.id(), fx.id()];
    for id in ids.iter().rev() {
        fx.runtime.create(id, bundle.path(), Io::new()).unwrap();
    }
    ids.sort();
    assert_eq!(fx.runtime.list().unwrap(), ids);
    assert_eq!(other.runtime.list().unwrap(), Vec::<String>::new());
}

#[test]
fn runtime_options_reach_the_runtime() {
    let fx = Fixture::new();
    let dirs = common::TempDir::new();
    let runtime_root = dirs.path().join("state");
    let log = dirs.path().join("runc.log");
    let runtime = execution::Runtime::new(
        fx.options()
            .runtime_path("/usr/sbin/runc")
            .runtime_root(&runtime_root)
            .debug(true)
            .log_path(&log)
            .timeout(Duration::from_secs(20)),
    )
    .unwrap();
    assert_eq!(runtime.root(), fx.root());
    let bundle = Bundle::new(&["true"]);
    let id = fx.id();
    let c = runtime.run(&id, bundle.path(), Io::new()).unwrap();
    assert!(
        runtime_root.join(&id).join("state.json").exists(),
        "no runc state under the runtime root"
    );
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
    c.delete(false).unwrap();
    let logged = std::fs::read_to_string(&log).expect("runc log written");
    assert!(
        logged.contains("debug"),
        "no debug line in the runc log: {logged}"
    );
}
