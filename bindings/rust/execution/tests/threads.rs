//! Handles shared across threads, and lifecycles running at once.

mod common;

use std::sync::Arc;
use std::thread;

use common::{read_all, Bundle, Fixture, PATIENCE};
use execution::{Container, ContainerGuard, Io, Process, Runtime, Stdio};

#[test]
fn handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Runtime>();
    send_sync::<Container>();
    send_sync::<Process>();
    send_sync::<ContainerGuard>();
}

#[test]
fn eight_lifecycles_at_once() {
    let fx = Fixture::new();
    let runtime = &fx.runtime;
    thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|n| {
                let id = fx.id();
                s.spawn(move || {
                    let bundle = Bundle::new(&["sh", "-c", &format!("echo worker {n}; exit {n}")]);
                    let c = runtime
                        .create(&id, bundle.path(), Io::new().stdout(Stdio::Pipe))
                        .unwrap();
                    let out = c.take_stdout().unwrap();
                    c.start().unwrap();
                    assert_eq!(read_all(out), format!("worker {n}\n"));
                    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(n));
                    c.delete(false).unwrap();
                    assert_eq!(
                        c.state().unwrap_err().kind(),
                        execution::ErrorKind::NotFound
                    );
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    });
    assert_eq!(fx.runtime.list().unwrap(), Vec::<String>::new());
}

#[test]
fn one_container_from_many_threads() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = Arc::new(fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap());
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let c = Arc::clone(&c);
            thread::spawn(move || c.wait(None).unwrap())
        })
        .collect();
    let pids: Vec<i32> = (0..4)
        .map(|_| {
            let c = Arc::clone(&c);
            thread::spawn(move || c.pid().unwrap())
        })
        .map(|t| t.join().unwrap())
        .collect();
    assert!(pids.windows(2).all(|w| w[0] == w[1]));

    let killer = {
        let c = Arc::clone(&c);
        thread::spawn(move || c.kill().unwrap())
    };
    killer.join().unwrap();
    for w in waiters {
        assert_eq!(w.join().unwrap().signal, Some(9));
    }
    c.delete(false).unwrap();
}
