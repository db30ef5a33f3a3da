//! The event stream of a root and the exit fds, on real containers.

mod common;

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::thread;
use std::time::Duration;

use common::{Bundle, Fixture, PATIENCE};
use execution::{BundleOptions, ErrorKind, Event, EventKind, Events, Io, ProcessSpec};

/// Whether fd polls readable within `ms`.
fn readable(fd: BorrowedFd<'_>, ms: i32) -> bool {
    let mut p = [PollFd {
        fd: fd.as_raw_fd(),
        events: 1, // POLLIN
        revents: 0,
    }];
    unsafe { poll(p.as_mut_ptr(), 1, ms) == 1 && p[0].revents & 1 != 0 }
}

#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

extern "C" {
    fn poll(fds: *mut PollFd, n: u64, timeout: i32) -> i32;
}

fn take(events: &Events, n: usize) -> Vec<Event> {
    (0..n)
        .map(|_| events.next(Some(PATIENCE)).unwrap())
        .collect()
}

fn kinds(events: &[Event]) -> Vec<EventKind> {
    events.iter().map(|e| e.kind).collect()
}

#[test]
fn a_lifecycle_comes_in_order() {
    let fx = Fixture::new();
    let events = fx.runtime.events(0).unwrap();
    let id = fx.id();
    let c = fx
        .runtime
        .create(&id, Bundle::new(&["sleep", "100"]).path(), Io::new())
        .unwrap();
    c.start().unwrap();
    c.pause().unwrap();
    c.resume().unwrap();
    let p = c
        .exec_with_id(
            "job",
            &ProcessSpec::new(["/bin/sh", "-c", "exit 3"]),
            Io::new(),
        )
        .unwrap();
    assert_eq!(p.wait(Some(PATIENCE)).unwrap().code, Some(3));
    c.kill().unwrap();
    c.wait(Some(PATIENCE)).unwrap();
    c.delete(false).unwrap();
    let got = take(&events, 8);
    use EventKind::*;
    assert_eq!(
        kinds(&got),
        [
            Created,
            Started,
            Paused,
            Resumed,
            ExecAdded,
            ProcessExited,
            Exited,
            Deleted
        ]
    );
    assert!(got.iter().all(|e| e.container_id == id));
    assert_eq!(got[5].process_id, "job");
    assert_eq!(got[5].pid, p.pid().unwrap());
    assert_eq!(got[5].exit.unwrap().code, Some(3));
    assert_eq!(got[6].exit.unwrap().signal, Some(9));
    assert!(got[0].exit.is_none());
    assert!(got.windows(2).all(|w| w[0].time_ns <= w[1].time_ns));
    assert!(events.try_next().unwrap().is_none());
}

#[test]
fn twenty_lifecycles_lose_nothing() {
    let fx = Fixture::new();
    let streams = [fx.runtime.events(0).unwrap(), fx.runtime.events(0).unwrap()];
    let bundle = Bundle::new(&["true"]);
    let ids: Vec<String> = (0..20).map(|_| fx.id()).collect();
    thread::scope(|s| {
        for id in &ids {
            let (rt, path) = (&fx.runtime, bundle.path());
            s.spawn(move || {
                let c = rt.run(id, path, Io::new()).unwrap();
                c.wait(Some(PATIENCE)).unwrap();
                c.delete(false).unwrap();
            });
        }
    });
    for events in &streams {
        let mut per: HashMap<String, Vec<EventKind>> = HashMap::new();
        for e in take(events, 80) {
            per.entry(e.container_id).or_default().push(e.kind);
        }
        for id in &ids {
            use EventKind::*;
            assert_eq!(per[id], [Created, Started, Exited, Deleted], "{id}");
        }
        assert!(events.try_next().unwrap().is_none());
    }
}

#[test]
fn overflow_counts_what_was_lost() {
    let fx = Fixture::new();
    let events = fx.runtime.events(3).unwrap();
    assert!(!readable(events.as_fd(), 0));
    let bundle = Bundle::new(&["true"]);
    for _ in 0..2 {
        let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
        c.wait(Some(PATIENCE)).unwrap();
        c.delete(false).unwrap();
    }
    assert!(readable(events.as_fd(), 0));
    let got = take(&events, 4);
    use EventKind::*;
    assert_eq!(kinds(&got), [Created, Started, Exited, Overflow]);
    assert_eq!(got[3].dropped, 5);
    assert!(!readable(events.as_fd(), 0));
    let err = events.next(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
}

#[test]
fn an_oom_kill_comes_before_its_exit() {
    let fx = Fixture::new();
    let options = BundleOptions::new()
        .memory_limit(16 << 20)
        .memory_swap_limit(16 << 20);
    let bundle = Bundle::with_options(&["busybox", "tail", "/dev/zero"], &options);
    let events = fx.runtime.events(0).unwrap();
    let c = fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap();
    assert!(c.wait(Some(PATIENCE)).unwrap().oom_killed);
    use EventKind::*;
    let got = take(&events, 4);
    assert_eq!(kinds(&got), [Created, Started, Oom, Exited]);
    assert_eq!((got[2].pid, got[2].process_id.as_str()), (0, ""));
}

#[test]
fn too_large_a_capacity_is_refused() {
    let fx = Fixture::new();
    let err = fx.runtime.events((1 << 20) + 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn exit_fds_poll_readable_at_the_exit() {
    let fx = Fixture::new();
    let c = fx
        .runtime
        .run(&fx.id(), Bundle::new(&["sleep", "100"]).path(), Io::new())
        .unwrap();
    let p = c
        .exec_with_id("nap", &ProcessSpec::new(["/bin/sleep", "100"]), Io::new())
        .unwrap();
    let (cfd, pfd) = (c.exit_fd().unwrap(), p.exit_fd().unwrap());
    assert_eq!(cfd.as_raw_fd(), c.exit_fd().unwrap().as_raw_fd());
    assert!(!readable(cfd, 0) && !readable(pfd, 0));
    p.signal(9).unwrap();
    assert!(readable(pfd, 20_000));
    assert!(!readable(cfd, 0));
    c.kill().unwrap();
    assert!(readable(cfd, 20_000));
    assert_eq!(c.wait(Some(Duration::ZERO)).unwrap().signal, Some(9));
}
