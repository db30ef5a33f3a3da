//! Async waits and the event Stream on tokio (feature `tokio`), on real
//! containers.
#![cfg(feature = "tokio")]

mod common;

use std::future::poll_fn;
use std::pin::Pin;

use common::{Bundle, Fixture, PATIENCE};
use execution::{EventKind, Io, Stdio};
use futures_core::Stream;

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
