//! Every ErrorKind from a real situation (System is in tests/load.rs: an
//! exit lost with its monitor), with the library's message.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::ptr;
use std::time::{Duration, Instant};

use common::{failing_runtime, Bundle, Fixture, TempDir};
use execution::{sys, Error, ErrorKind, Io, Runtime, RuntimeOptions};

fn assert_kind<T: std::fmt::Debug>(result: Result<T, Error>, kind: ErrorKind) -> Error {
    let err = result.expect_err("the call should fail");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(!err.message().is_empty(), "{kind:?} without a message");
    assert!(err.to_string().contains(err.message()));
    err
}

#[test]
fn invalid_argument() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    for id in ["", ".", "..", "bad/id", "white space", &"x".repeat(1025)] {
        assert_kind(fx.runtime.load(id), ErrorKind::InvalidArgument);
        assert_kind(
            fx.runtime.create(id, bundle.path(), Io::new()),
            ErrorKind::InvalidArgument,
        );
    }
    let err = assert_kind(
        fx.runtime.create("a\0b", bundle.path(), Io::new()),
        ErrorKind::InvalidArgument,
    );
    assert_eq!(err.message(), "container id contains a NUL byte");

    let missing = bundle.path().join("missing");
    assert_kind(
        fx.runtime.create(&fx.id(), &missing, Io::new()),
        ErrorKind::InvalidArgument,
    );
    let empty = TempDir::new();
    assert_kind(
        fx.runtime.create(&fx.id(), empty.path(), Io::new()),
        ErrorKind::InvalidArgument,
    );
    std::fs::write(empty.path().join("config.json"), "{ not json").unwrap();
    assert_kind(
        fx.runtime.create(&fx.id(), empty.path(), Io::new()),
        ErrorKind::InvalidArgument,
    );

    let none: [&str; 0] = [];
    assert_kind(
        execution::bundle_init(empty.path(), &none, false),
        ErrorKind::InvalidArgument,
    );
    assert_kind(
        execution::bundle_init(&missing, &["true"], false),
        ErrorKind::InvalidArgument,
    );
    assert_kind(
        Runtime::new(fx.options().runtime_path("/nonexistent/runc")),
        ErrorKind::InvalidArgument,
    );
    assert_eq!(fx.runtime.list().unwrap(), Vec::<String>::new());
}

#[test]
fn a_root_process_names_its_root_and_gets_it_back_absolute() {
    let is_root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    if is_root {
        let err = assert_kind(
            Runtime::new(RuntimeOptions::user_default()),
            ErrorKind::InvalidArgument,
        );
        assert!(err.message().contains("root is required"), "{err}");
    }
    let dir = TempDir::new();
    let rt = Runtime::new(RuntimeOptions::new(dir.path().join("a/../state"))).unwrap();
    assert!(rt.root().is_absolute());
    assert_eq!(rt.root(), dir.path().join("state"));
}

#[test]
fn invalid_signal() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    assert_kind(c.signal(-1, false), ErrorKind::InvalidArgument);
    assert_kind(c.signal(0x7fff, false), ErrorKind::InvalidArgument);
    c.delete(true).unwrap();
}

#[test]
fn not_found() {
    let fx = Fixture::new();
    let err = assert_kind(fx.runtime.load(&fx.id()), ErrorKind::NotFound);
    assert!(
        err.message().contains("rs-"),
        "the message names the id: {err}"
    );
}

#[test]
fn already_exists() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let id = fx.id();
    let c = fx.runtime.create(&id, bundle.path(), Io::new()).unwrap();
    assert_kind(
        fx.runtime.create(&id, bundle.path(), Io::new()),
        ErrorKind::AlreadyExists,
    );
    assert_kind(
        fx.runtime.run(&id, bundle.path(), Io::new()),
        ErrorKind::AlreadyExists,
    );
    assert_kind(
        execution::bundle_init(bundle.path(), &["true"], false),
        ErrorKind::AlreadyExists,
    );
    assert_eq!(
        c.state().unwrap(),
        execution::State::Created,
        "the failed create touched the first one"
    );
    c.delete(false).unwrap();
}

#[test]
fn invalid_state() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    assert_kind(c.delete(false), ErrorKind::InvalidState);
    assert_kind(c.start(), ErrorKind::InvalidState);
    assert_kind(c.resume(), ErrorKind::InvalidState);
    c.delete(true).unwrap();
}

#[test]
fn timed_out() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    let start = Instant::now();
    assert_kind(
        c.wait(Some(Duration::from_millis(300))),
        ErrorKind::TimedOut,
    );
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "returned after {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "returned after {waited:?}");
    c.delete(true).unwrap();
}

#[test]
fn runtime_failure_carries_what_the_runtime_said() {
    let fx = Fixture::new();
    let dir = TempDir::new();
    let script = failing_runtime(&dir);
    let bundle = Bundle::new(&["true"]);

    let plain =
        Runtime::new(RuntimeOptions::new(dir.path().join("plain")).runtime_path(&script)).unwrap();
    let err = assert_kind(
        plain.create(&fx.id(), bundle.path(), Io::new()),
        ErrorKind::Runtime,
    );
    assert!(err.message().contains("refused on purpose"), "{err}");
    assert_eq!(
        plain.list().unwrap(),
        Vec::<String>::new(),
        "a failed create left state behind"
    );

    let logged = Runtime::new(
        RuntimeOptions::new(dir.path().join("logged"))
            .runtime_path(&script)
            .log_path(dir.path().join("log")),
    )
    .unwrap();
    let err = assert_kind(
        logged.run(&fx.id(), bundle.path(), Io::new()),
        ErrorKind::Runtime,
    );
    assert!(err.message().contains("refused on purpose"), "{err}");
    assert_eq!(
        logged.list().unwrap(),
        Vec::<String>::new(),
        "a failed run left state behind"
    );
}

#[test]
fn runtime_call_deadline() {
    let fx = Fixture::new();
    let dir = TempDir::new();
    let script = dir.path().join("slow-runtime");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rt = Runtime::new(
        fx.options()
            .runtime_path(&script)
            .timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let bundle = Bundle::new(&["true"]);
    let start = Instant::now();
    let err = rt.create(&fx.id(), bundle.path(), Io::new()).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "the 300 ms deadline took {:?}",
        start.elapsed()
    );
    assert!(
        matches!(err.kind(), ErrorKind::TimedOut | ErrorKind::Runtime),
        "{err}"
    );
}

#[test]
fn system_when_the_root_cannot_be_made() {
    let dir = TempDir::new();
    std::fs::write(dir.path().join("file"), "").unwrap();
    assert_kind(
        Runtime::new(RuntimeOptions::new(dir.path().join("file/root"))),
        ErrorKind::System,
    );
}

#[test]
fn closed_handles_through_sys() {
    let dir = TempDir::new();
    let root = std::ffi::CString::new(dir.path().to_str().unwrap()).unwrap();
    let mut opts = sys::EXEC_RUNTIME_OPTIONS_INIT;
    assert_eq!(
        unsafe { sys::exec_runtime_options_init(&mut opts, sys::EXEC_RUNTIME_OPTIONS_VERSION) },
        sys::EXEC_OK
    );
    opts.root = root.as_ptr();
    let mut rt = ptr::null_mut();
    assert_eq!(
        unsafe { sys::exec_runtime_new(&opts, &mut rt) },
        sys::EXEC_OK
    );
    unsafe { sys::exec_runtime_free(rt) };
    unsafe { sys::exec_runtime_free(rt) };

    let (mut ids, mut count) = (ptr::null_mut(), 0usize);
    let rc = unsafe { sys::exec_container_list(rt, &mut ids, &mut count) };
    assert_eq!(rc, sys::EXEC_ECLOSED);
    let err = Error::last(rc);
    assert_eq!(err.kind(), ErrorKind::Closed);
    assert!(!err.message().is_empty());

    let id = std::ffi::CString::new("x").unwrap();
    let mut c = ptr::null_mut();
    assert_eq!(
        unsafe { sys::exec_container_load(rt, id.as_ptr(), &mut c) },
        sys::EXEC_ECLOSED
    );
    let garbage = 0xdead_beef as *mut sys::exec_container;
    assert_eq!(
        unsafe { sys::exec_container_start(garbage) },
        sys::EXEC_ECLOSED
    );
    assert_eq!(Error::last(sys::EXEC_ECLOSED).kind(), ErrorKind::Closed);
    assert!(unsafe { sys::exec_container_id(garbage) }.is_null());
}

#[test]
fn last_error_is_per_thread_and_empty_before_any_failure() {
    let fx = Fixture::new();
    assert_kind(fx.runtime.load("bad/id"), ErrorKind::InvalidArgument);
    std::thread::spawn(|| {
        let msg = unsafe { std::ffi::CStr::from_ptr(sys::exec_last_error()) };
        assert_eq!(
            msg.to_bytes(),
            b"",
            "a fresh thread sees another thread's error"
        );
    })
    .join()
    .unwrap();
}

#[test]
fn internal_and_unknown_codes_map() {
    assert_eq!(
        ErrorKind::from_code(sys::EXEC_EINTERNAL),
        Some(ErrorKind::Internal)
    );
    assert_eq!(Error::last(sys::EXEC_EINTERNAL).kind(), ErrorKind::Internal);
    assert_eq!(Error::last(-100).kind(), ErrorKind::Internal);
    for code in sys::EXEC_ENOTSUP..=sys::EXEC_OK {
        let text = unsafe { std::ffi::CStr::from_ptr(sys::exec_strerror(code)) };
        assert!(
            !text.to_bytes().is_empty(),
            "exec_strerror({code}) is empty"
        );
    }
    let unknown = unsafe { std::ffi::CStr::from_ptr(sys::exec_strerror(-100)) };
    assert_eq!(unknown.to_str().unwrap(), "unknown error");
}
