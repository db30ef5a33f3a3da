//! The host's `waitpid(-1)` cannot take a container's exit: containers are
//! the monitor's children. Alone in its test binary, so the `waitpid(-1)`
//! cannot take another test's child.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{Bundle, Fixture, PATIENCE};
use execution::Io;

extern "C" {
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
}

const WNOHANG: i32 = 1;

#[test]
fn waitpid_in_the_host_takes_no_exit() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "sleep 0.3; exit 13"]);
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    let end = Instant::now() + Duration::from_secs(1);
    while Instant::now() < end {
        let mut status = 0;
        let reaped = unsafe { waitpid(-1, &mut status, WNOHANG) };
        assert!(reaped <= 0, "waitpid(-1) in the host reaped {reaped}");
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(13));
    c.delete(false).unwrap();
}
