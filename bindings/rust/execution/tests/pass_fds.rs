//! Io::pass_fd: fds of this program a container or exec'd process gets as
//! 3, 4, ..., and nothing else of the host.

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd};

use common::{bundle_on, pipe, probe_rootfs, read_all, Bundle, Fixture, PATIENCE};
use execution::{BundleOptions, ErrorKind, Io, ProcessSpec, Stdio};

#[test]
fn a_pipe_end_is_fd_3_and_stays_ours() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "echo through-fd-3 >&3"]);
    let (reader, writer) = pipe();
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::new().pass_fd(&writer))
        .unwrap();
    writer.metadata().expect("the caller's fd stays open");
    drop(writer);
    c.start().unwrap();
    assert_eq!(read_all(reader), "through-fd-3\n");
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
    c.delete(false).unwrap();
}

#[test]
fn two_fds_in_the_order_given() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "echo three >&3; echo four >&4"]);
    let (ra, wa) = pipe();
    let (rb, wb) = pipe();
    let c = fx.run(&bundle, Io::new().pass_fds([wb.as_fd(), wa.as_fd()]));
    drop((wa, wb));
    assert_eq!(read_all(rb), "three\n");
    assert_eq!(read_all(ra), "four\n");
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
}

#[test]
fn exec_gets_its_own_and_nothing_else_of_the_host() {
    let fx = Fixture::new();
    // Left open without O_CLOEXEC: it must reach neither process.
    let leaky = File::open("/dev/null").unwrap().into_raw_fd();
    let script = ["sh", "-c", "probe fds >&3; sleep 60"];
    let bundle = bundle_on(&probe_rootfs(), &script, &BundleOptions::new());
    let (init_r, init_w) = pipe();
    let io = Io::new().pass_fd(&init_w);
    let c = fx.runtime.run(&fx.id(), bundle.path(), io).unwrap();
    let c = c.delete_on_drop();
    drop(init_w);
    let mut line = String::new();
    BufReader::new(init_r).read_line(&mut line).unwrap();
    assert_eq!(line, "fds=0 1 2 3 \n");

    let (exec_r, exec_w) = pipe();
    let spec = ProcessSpec::new(["sh", "-c", "probe fds >&3"]);
    let io = Io::new().stdout(Stdio::Pipe).pass_fd(&exec_w);
    let p = c.exec(&spec, io).unwrap().delete_on_drop();
    drop(exec_w);
    assert_eq!(read_all(exec_r), "fds=0 1 2 3 \n");
    assert_eq!(p.wait(Some(PATIENCE)).unwrap().code, Some(0));
    drop(unsafe { File::from_raw_fd(leaky) });
    c.kill().unwrap();
}

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
