//! Pause and resume.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{Bundle, Fixture, PATIENCE};
use execution::{ErrorKind, Io, State, Stdio};

#[test]
fn pause_freezes_and_resume_thaws() {
    let fx = Fixture::new();
    // Prints a line every 100 ms while it runs.
    let bundle = Bundle::new(&["sh", "-c", "while :; do echo tick; sleep 0.1; done"]);
    let c = fx
        .runtime
        .run(&fx.id(), bundle.path(), Io::new().stdout(Stdio::Pipe))
        .unwrap();
    let mut out = c.take_stdout().unwrap();
    let mut buf = [0u8; 5];
    out.read_exact(&mut buf).unwrap();

    c.pause().unwrap();
    assert_eq!(c.state().unwrap(), State::Paused);
    assert_eq!(
        c.pause().unwrap_err().kind(),
        ErrorKind::InvalidState,
        "pause of a paused container"
    );
    drain(&mut out);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(drain(&mut out), 0, "a paused container went on printing");
    assert_eq!(
        c.wait(Some(Duration::from_millis(100))).unwrap_err().kind(),
        ErrorKind::TimedOut
    );

    c.resume().unwrap();
    assert_eq!(c.state().unwrap(), State::Running);
    assert_eq!(
        c.resume().unwrap_err().kind(),
        ErrorKind::InvalidState,
        "resume of a running container"
    );
    out.read_exact(&mut buf).unwrap();

    c.pause().unwrap();
    assert_eq!(
        c.delete(false).unwrap_err().kind(),
        ErrorKind::InvalidState,
        "delete of a paused container"
    );
    c.delete(true).unwrap();
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().signal, Some(9));
}

#[test]
fn pause_needs_a_running_container() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::new())
        .unwrap();
    assert_eq!(
        c.pause().unwrap_err().kind(),
        ErrorKind::InvalidState,
        "pause of a created container"
    );
    c.start().unwrap();
    c.wait(Some(PATIENCE)).unwrap();
    assert_eq!(
        c.pause().unwrap_err().kind(),
        ErrorKind::InvalidState,
        "pause of a stopped container"
    );
    assert_eq!(
        c.resume().unwrap_err().kind(),
        ErrorKind::InvalidState,
        "resume of a stopped container"
    );
    c.delete(false).unwrap();
}

/// Reads what the pipe holds now, without blocking past 200 ms of silence.
fn drain(out: &mut std::fs::File) -> usize {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct PollFd {
        fd: i32,
        events: i16,
        revents: i16,
    }
    const POLLIN: i16 = 1;
    extern "C" {
        fn poll(fds: *mut PollFd, nfds: std::ffi::c_ulong, timeout: i32) -> i32;
    }
    let mut total = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let mut fd = PollFd {
            fd: out.as_raw_fd(),
            events: POLLIN,
            revents: 0,
        };
        if unsafe { poll(&mut fd, 1, 200) } <= 0 {
            break;
        }
        let mut chunk = [0u8; 4096];
        match out.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
    total
}
