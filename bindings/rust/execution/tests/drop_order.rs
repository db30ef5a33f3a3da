//! Dropping handles frees them only, in any order; the guard deletes.

mod common;

use std::path::Path;

use common::{Bundle, Fixture, PATIENCE};
use execution::{ErrorKind, Io, ProcessSpec, Runtime, State};

#[test]
fn container_outlives_its_runtime() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let runtime = Runtime::new(fx.options()).unwrap();
    let c = runtime.create(&fx.id(), bundle.path(), Io::new()).unwrap();
    drop(runtime);

    c.start().unwrap();
    assert_eq!(c.state().unwrap(), State::Running);
    let p = c
        .exec_with_id("later", &ProcessSpec::new(["/bin/true"]), Io::new())
        .unwrap();
    assert!(p.wait(Some(PATIENCE)).unwrap().success());
    c.kill().unwrap();
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().signal, Some(9));
    c.delete(false).unwrap();
}

#[test]
fn process_outlives_its_container_handle() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    let id = c.id().to_owned();
    let p = c
        .exec_with_id(
            "sleeper",
            &ProcessSpec::new(["/bin/sleep", "1000"]),
            Io::new(),
        )
        .unwrap();
    drop(c);
    p.signal(9).unwrap();
    assert_eq!(p.wait(Some(PATIENCE)).unwrap().signal, Some(9));
    p.delete().unwrap();
    fx.runtime.load(&id).unwrap().delete(true).unwrap();
}

#[test]
fn dropping_a_handle_leaves_the_container_running() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let id = fx.id();
    let pid = {
        let c = fx
            .runtime
            .run(&id, bundle.path(), Io::new().stdout(execution::Stdio::Pipe))
            .unwrap();
        c.pid().unwrap()
    };
    let c = fx.runtime.load(&id).unwrap();
    assert_eq!(c.state().unwrap(), State::Running);
    assert_eq!(c.pid().unwrap(), pid);
    c.delete(true).unwrap();
}

#[test]
fn guard_deletes_on_drop() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let id = fx.id();
    let guard = fx
        .runtime
        .run(&id, bundle.path(), Io::new())
        .unwrap()
        .delete_on_drop();
    let pid = guard.pid().unwrap();
    assert_eq!(guard.state().unwrap(), State::Running);
    drop(guard);
    assert_eq!(
        fx.runtime.load(&id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "init {pid} outlived the guard"
    );
}

#[test]
fn guard_deletes_when_a_panic_unwinds() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let id = fx.id();
    let result = std::panic::catch_unwind(|| {
        let _guard = fx
            .runtime
            .run(&id, bundle.path(), Io::new())
            .unwrap()
            .delete_on_drop();
        panic!("on purpose");
    });
    assert!(result.is_err());
    assert_eq!(
        fx.runtime.load(&id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn into_inner_disarms_the_guard() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let id = fx.id();
    let c = fx
        .runtime
        .run(&id, bundle.path(), Io::new())
        .unwrap()
        .delete_on_drop()
        .into_inner();
    assert_eq!(
        fx.runtime.load(&id).unwrap().state().unwrap(),
        State::Running
    );
    c.delete(true).unwrap();
}
