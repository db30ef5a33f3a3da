//! Bad fds for Io::pass_fd are refused and leave nothing behind. A test
//! binary of its own: it compares this process's fds, which tests running
//! beside it in the same binary would open and close.

mod common;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use common::{pipe, Bundle, Fixture};
use execution::{ErrorKind, Io, ProcessSpec};

/// The fds open in this process.
fn open_fds() -> Vec<String> {
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    fds.sort();
    fds
}

#[test]
fn bad_fds_are_refused_and_leave_nothing() {
    let fx = Fixture::new();
    let sleeper = fx.run(&Bundle::new(&["sleep", "60"]), Io::new());
    let bundle = Bundle::new(&["true"]);
    let events = fx.runtime.events(0).unwrap();
    let closed = {
        let (r, w) = pipe();
        let fd = w.as_raw_fd();
        drop((r, w));
        fd
    };
    let stderr = std::io::stderr();
    let too_many = vec![stderr.as_fd(); execution::sys::EXEC_IO_MAX_EXTRA_FDS + 1];
    let before = (fx.runtime.list().unwrap(), open_fds());
    // SAFETY: a closed fd is what is being refused; nothing reads through it.
    let closed = unsafe { BorrowedFd::borrow_raw(closed) };
    let cases: [(Vec<BorrowedFd<'_>>, &str); 3] = [
        (vec![closed], "bad file descriptor"),
        (vec![events.as_fd()], "the library's own"),
        (too_many, "EXEC_IO_MAX_EXTRA_FDS"),
    ];
    for (fds, said) in cases {
        let io = || Io::new().pass_fds(fds.iter().copied());
        let errors = [
            fx.runtime.run(&fx.id(), bundle.path(), io()).err(),
            fx.runtime.create(&fx.id(), bundle.path(), io()).err(),
            sleeper
                .exec_with_id("refused", &ProcessSpec::new(["true"]), io())
                .err(),
        ];
        for e in errors {
            let e = e.expect("a bad fd is refused");
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
            assert!(e.message().contains(said), "{e}");
        }
    }
    assert_eq!((fx.runtime.list().unwrap(), open_fds()), before);
    let processes = fx
        .root()
        .join("containers")
        .join(sleeper.id())
        .join("processes");
    assert!(!processes.join("refused").exists());
}
