//! ErrorKind::System: an exit status taken by a `waitpid(-1)` in the host is
//! lost, and the container's wait says so. Alone in its test binary, so the
//! `waitpid(-1)` cannot take another test's child.

mod common;

use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{Bundle, Fixture, PATIENCE};
use execution::{ErrorKind, Io};

extern "C" {
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
}

#[test]
fn a_stolen_exit_is_a_system_error() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    // The library's own waiter may win the race for the status; try again
    // with a new container until this thread's waitpid(-1) takes one.
    for attempt in 1..=10 {
        let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
        let pid = c.pid().unwrap();
        let (tx, rx) = mpsc::channel();
        let thief = thread::spawn(move || {
            let mut status = 0;
            let reaped = unsafe { waitpid(-1, &mut status, 0) };
            tx.send(reaped).unwrap();
        });
        thread::sleep(Duration::from_millis(50));
        c.kill(9, false).unwrap();
        let reaped = match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(reaped) => reaped,
            Err(_) => {
                // The library reaped it: hand the thief a child of our own.
                let mut decoy = Command::new("/bin/true").spawn().unwrap();
                let reaped = rx
                    .recv_timeout(PATIENCE)
                    .expect("waitpid(-1) took no child");
                let _ = decoy.try_wait();
                reaped
            }
        };
        thief.join().unwrap();

        let result = c.wait(Some(PATIENCE));
        eprintln!("attempt {attempt}: waitpid(-1) took {reaped}, the container was {pid}");
        if reaped == pid {
            let err = result.expect_err("wait after a stolen exit");
            assert_eq!(err.kind(), ErrorKind::System, "{err}");
            assert!(!err.message().is_empty());
            c.delete(false).unwrap();
            return;
        }
        assert_eq!(
            result.unwrap().signal,
            Some(9),
            "attempt {attempt}: the library reaped"
        );
        c.delete(false).unwrap();
    }
    panic!("waitpid(-1) never took a container's exit in 10 attempts");
}
