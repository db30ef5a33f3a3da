//! The raw layer: init functions, frees that must be no-ops, and the
//! contract that no argument crashes the host.

use std::ffi::{CStr, CString};
use std::ptr;

use execution_sys as sys;

#[test]
fn option_initialisers_fill_defaults_and_check_the_version() {
    let mut opts = sys::exec_runtime_options {
        version: 0,
        root: c"x".as_ptr(),
        runtime_path: c"x".as_ptr(),
        runtime_root: c"x".as_ptr(),
        systemd_cgroup: 7,
        debug: 7,
        log_path: c"x".as_ptr(),
        timeout_ms: 7,
        kill_on_exit: 7,
        no_agent: 7,
    };
    assert_eq!(
        unsafe { sys::exec_runtime_options_init(&mut opts, sys::EXEC_RUNTIME_OPTIONS_VERSION) },
        sys::EXEC_OK
    );
    assert_eq!(opts.version, sys::EXEC_RUNTIME_OPTIONS_VERSION);
    assert!(opts.root.is_null() && opts.runtime_path.is_null() && opts.runtime_root.is_null());
    assert!(opts.log_path.is_null());
    assert_eq!(
        (opts.systemd_cgroup, opts.debug, opts.timeout_ms, opts.no_agent),
        (0, 0, 0, 0)
    );
    assert_eq!(
        unsafe { sys::exec_runtime_options_init(&mut opts, 999) },
        sys::EXEC_EINVAL
    );
    assert_eq!(
        unsafe { sys::exec_runtime_options_init(ptr::null_mut(), 1) },
        sys::EXEC_EINVAL
    );

    let mut io = sys::exec_io {
        version: 0,
        stdin_fd: 5,
        stdout_fd: 5,
        stderr_fd: 5,
        terminal: 1,
        extra_fds: &5,
        extra_fds_count: 1,
    };
    assert_eq!(
        unsafe { sys::exec_io_init(&mut io, sys::EXEC_IO_VERSION) },
        sys::EXEC_OK
    );
    assert_eq!(io, sys::EXEC_IO_INIT);
    assert_eq!(unsafe { sys::exec_io_init(&mut io, 999) }, sys::EXEC_EINVAL);
    assert_eq!(
        unsafe { sys::exec_io_init(ptr::null_mut(), 1) },
        sys::EXEC_EINVAL
    );
}

#[test]
fn frees_of_null_and_twice_are_no_ops() {
    let root = std::env::temp_dir().join(format!("rs-sys-free-{}", std::process::id()));
    let croot = CString::new(root.to_str().unwrap()).unwrap();
    let mut opts = sys::EXEC_RUNTIME_OPTIONS_INIT;
    opts.root = croot.as_ptr();
    let mut rt = ptr::null_mut();
    assert_eq!(
        unsafe { sys::exec_runtime_new(&opts, &mut rt) },
        sys::EXEC_OK
    );
    unsafe {
        sys::exec_free(ptr::null_mut());
        sys::exec_strings_free(ptr::null_mut(), 0);
        sys::exec_runtime_free(ptr::null_mut());
        sys::exec_container_free(ptr::null_mut());
        sys::exec_process_free(ptr::null_mut());
        sys::exec_container_free(0x1234 as *mut sys::exec_container);
        sys::exec_process_free(0x1234 as *mut sys::exec_process);
        sys::exec_runtime_free(rt);
        sys::exec_runtime_free(rt);
    }
    // Still alive, and the freed handle is refused, not used.
    let (mut ids, mut n) = (ptr::null_mut(), 0usize);
    assert_eq!(
        unsafe { sys::exec_container_list(rt, &mut ids, &mut n) },
        sys::EXEC_ECLOSED
    );
    assert!(ids.is_null());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn null_arguments_are_invalid_not_crashes() {
    let root = std::env::temp_dir().join(format!("rs-sys-{}", std::process::id()));
    let croot = CString::new(root.to_str().unwrap()).unwrap();
    let mut opts = sys::EXEC_RUNTIME_OPTIONS_INIT;
    let mut rt = ptr::null_mut();
    assert_eq!(
        unsafe { sys::exec_runtime_new(&opts, &mut rt) },
        sys::EXEC_EINVAL,
        "no root"
    );
    assert_eq!(
        unsafe { sys::exec_runtime_new(ptr::null(), &mut rt) },
        sys::EXEC_EINVAL
    );
    opts.root = croot.as_ptr();
    assert_eq!(
        unsafe { sys::exec_runtime_new(&opts, ptr::null_mut()) },
        sys::EXEC_EINVAL
    );
    assert_eq!(
        unsafe { sys::exec_runtime_new(&opts, &mut rt) },
        sys::EXEC_OK
    );

    let mut c = ptr::null_mut();
    let rc = unsafe { sys::exec_container_load(rt, ptr::null(), &mut c) };
    assert_eq!(rc, sys::EXEC_EINVAL);
    let message = unsafe { CStr::from_ptr(sys::exec_last_error()) };
    assert!(!message.to_bytes().is_empty());
    assert_eq!(
        unsafe { sys::exec_container_list(rt, ptr::null_mut(), ptr::null_mut()) },
        sys::EXEC_EINVAL
    );
    assert_eq!(
        unsafe { sys::exec_bundle_init(ptr::null(), ptr::null(), 0) },
        sys::EXEC_EINVAL
    );
    let rc = unsafe { sys::exec_container_pid(ptr::null_mut(), ptr::null_mut()) };
    assert!(
        rc == sys::EXEC_ECLOSED || rc == sys::EXEC_EINVAL,
        "exec_container_pid(NULL, NULL) = {rc}"
    );
    assert!(unsafe { sys::exec_process_id(ptr::null_mut()) }.is_null());

    unsafe { sys::exec_runtime_free(rt) };
    let _ = std::fs::remove_dir_all(&root);
}
