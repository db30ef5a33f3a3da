//! The tokio API (feature `tokio`) on real containers: shared async waits,
//! the event Stream, lifecycle calls on the blocking pool (cleaning up when
//! cancelled), the pipes as AsyncRead/AsyncWrite, a fleet on one thread.
#![cfg(feature = "tokio")]

mod common;

use std::future::poll_fn;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{Bundle, Fixture, PATIENCE};
use execution::{EventKind, Io, ProcessSpec, Runtime, Stdio};
use futures_core::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "current_thread")]
async fn fifty_containers_awaited_on_one_thread() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "read line; exit 7"]);
    let containers: Vec<_> = (0..50)
        .map(|_| {
            fx.runtime
                .run(&fx.id(), bundle.path(), Io::new().stdin(Stdio::Pipe))
                .unwrap()
        })
        .collect();
    let stdins: Vec<_> = containers.iter().map(|c| c.take_stdin().unwrap()).collect();
    let waits = containers.iter().map(|c| c.wait_async());
    let all = async {
        let mut exits = Vec::new();
        for w in waits {
            exits.push(w.await.unwrap());
        }
        exits
    };
    let closer = async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        drop(stdins);
    };
    let (exits, ()) = tokio::time::timeout(PATIENCE, async { tokio::join!(all, closer) })
        .await
        .expect("the waits timed out");
    assert!(exits.iter().all(|e| e.code == Some(7)), "{exits:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn events_stream_in_order() {
    let fx = Fixture::new();
    let events = fx.runtime.events(0).unwrap();
    let mut stream = events.stream().unwrap();
    let id = fx.id();
    let c = fx
        .runtime
        .run(&id, Bundle::new(&["true"]).path(), Io::new())
        .unwrap();
    tokio::time::timeout(PATIENCE, c.wait_async())
        .await
        .unwrap()
        .unwrap();
    c.delete(false).unwrap();
    let mut got = Vec::new();
    while got.len() < 4 {
        let next = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx));
        let e = tokio::time::timeout(PATIENCE, next)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(e.container_id, id);
        got.push(e.kind);
    }
    use EventKind::*;
    assert_eq!(got, [Created, Started, Exited, Deleted]);
}

#[tokio::test(flavor = "current_thread")]
async fn many_waiters_on_one_handle_and_many_streams_on_one_events() {
    let fx = Fixture::new();
    let events = fx.runtime.events(0).unwrap();
    let (mut one, mut two) = (events.stream().unwrap(), events.stream().unwrap());
    let bundle = Bundle::new(&["sh", "-c", "read line; exit 3"]);
    let c = fx
        .runtime
        .run(&fx.id(), bundle.path(), Io::new().stdin(Stdio::Pipe))
        .unwrap();
    let stdin = c.take_stdin().unwrap();
    let p = c
        .exec(&ProcessSpec::new(["sleep", "1000"]), Io::new())
        .unwrap()
        .delete_on_drop();
    let release = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        p.kill().unwrap();
        drop(stdin);
    };
    let waits = async {
        tokio::join!(
            c.wait_async(),
            c.wait_async(),
            c.wait_async(),
            p.wait_async(),
            p.wait_async()
        )
    };
    let (((a, b, d, e, f), ()), x, y) = tokio::time::timeout(PATIENCE, async {
        tokio::join!(
            async { tokio::join!(waits, release) },
            poll_fn(|cx| Pin::new(&mut one).poll_next(cx)),
            poll_fn(|cx| Pin::new(&mut two).poll_next(cx)),
        )
    })
    .await
    .expect("the waits timed out");
    assert!(a.unwrap() == 3 && b.unwrap() == 3 && d.unwrap() == 3);
    assert_eq!((e.unwrap().signal, f.unwrap().signal), (Some(9), Some(9)));
    assert!(x.unwrap().is_ok() && y.unwrap().is_ok());
    c.delete(false).unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn lifecycle_calls_leave_the_reactor_running() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let ticked = Arc::new(AtomicBool::new(false));
    let tick = ticked.clone();
    tokio::spawn(async move { tick.store(true, Ordering::SeqCst) });
    let c = fx
        .runtime
        .run_async(&fx.id(), bundle.path(), Io::new())
        .await
        .unwrap();
    // One thread: the task could only run while run_async waited off the reactor.
    assert!(ticked.load(Ordering::SeqCst));
    let p = c
        .exec_async(&ProcessSpec::new(["sh", "-c", "exit 4"]), Io::new())
        .await
        .unwrap();
    assert_eq!(p.wait_async().await.unwrap(), 4);
    p.delete_async().await.unwrap();
    c.pause_async().await.unwrap();
    c.resume_async().await.unwrap();
    c.delete_async(true).await.unwrap();
    assert_eq!(fx.runtime.list().unwrap(), Vec::<String>::new());
}

#[tokio::test(flavor = "current_thread")]
async fn a_dropped_run_or_exec_still_cleans_up() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let sleeper = fx.run(&bundle, Io::new());
    let id = fx.id();
    if let Ok(made) = tokio::time::timeout(
        Duration::from_millis(1),
        fx.runtime.run_async(&id, bundle.path(), Io::new()),
    )
    .await
    {
        made.unwrap().delete(true).unwrap(); // the call won the race: nothing to see
    }
    let spec = ProcessSpec::new(["sleep", "1000"]);
    if let Ok(made) = tokio::time::timeout(
        Duration::from_millis(1),
        sleeper.exec_with_id_async("gone", &spec, Io::new()),
    )
    .await
    {
        drop(made.unwrap().delete_on_drop()); // the call won the race: nothing to see
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while fx.runtime.list().unwrap() != [sleeper.id().to_string()]
        || sleeper.load_process("gone").is_ok()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dropped calls left {:?}",
            fx.runtime.list()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn pipes_as_async_read_and_write() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.run(&bundle, Io::new());
    let io = Io::new()
        .stdin(Stdio::Pipe)
        .stdout(Stdio::Pipe)
        .stderr(Stdio::Stdout);
    let script = ProcessSpec::new(["sh", "-c", "cat; echo done >&2"]);
    let p = c.exec_async(&script, io).await.unwrap().delete_on_drop();
    let mut stdin = p.take_stdin_async().unwrap();
    let mut stdout = p.take_stdout_async().unwrap();
    let writer = async move {
        stdin.write_all(b"hello async\n").await.unwrap();
    }; // dropped: EOF for cat
    let mut out = String::new();
    let (_, read) = tokio::join!(writer, stdout.read_to_string(&mut out));
    read.unwrap();
    assert_eq!(out, "hello async\ndone\n");
    assert_eq!(p.wait_async().await.unwrap(), 0);
}

/// How many containers the fleet test awaits: EXEC_ASYNC_FLEET, else 1000.
fn fleet_size() -> usize {
    std::env::var("EXEC_ASYNC_FLEET")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

#[tokio::test(flavor = "current_thread")]
async fn a_fleet_awaited_from_one_thread() {
    let fx = Fixture::new();
    let runtime = Arc::new(Runtime::new(fx.options()).unwrap());
    let bundle = Arc::new(Bundle::new(&["sh", "-c", "read code; exit $code"]));
    let n = fleet_size();
    let ids: Vec<String> = (0..n).map(|_| fx.id()).collect();
    let mut made = Vec::new();
    for chunk in ids.chunks(8) {
        let mut set = tokio::task::JoinSet::new();
        for (i, id) in chunk.iter().enumerate() {
            let (runtime, bundle, id) = (runtime.clone(), bundle.clone(), id.clone());
            set.spawn(async move {
                let io = Io::new().stdin(Stdio::Pipe);
                (
                    i,
                    runtime
                        .run_async(&id, bundle.path(), io)
                        .await
                        .unwrap()
                        .delete_on_drop(),
                )
            });
        }
        let mut batch: Vec<_> = set.join_all().await;
        batch.sort_by_key(|(i, _)| *i);
        made.extend(batch.into_iter().map(|(_, c)| c));
    }
    let mut waits = Vec::new();
    for (i, c) in made.iter().enumerate() {
        let extra = if i % 10 == 0 { 3 } else { 1 };
        for _ in 0..extra {
            waits.push((i, c.wait_async()));
        }
    }
    for (i, c) in made.iter().enumerate() {
        let mut stdin = c.take_stdin().unwrap();
        writeln!(stdin, "{}", i % 200).unwrap();
    }
    let mut count = 0;
    for (i, wait) in waits {
        let exit = tokio::time::timeout(PATIENCE * 10, wait)
            .await
            .expect("a wait timed out")
            .unwrap();
        assert_eq!(exit, (i % 200) as i32, "container {i}");
        count += 1;
    }
    assert_eq!(count, n + 2 * n.div_ceil(10));
    for chunk in made.chunks(8) {
        let deletes = chunk.iter().map(|c| c.delete_async(false));
        for d in deletes {
            d.await.unwrap();
        }
    }
}
