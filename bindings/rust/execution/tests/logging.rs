//! The library's diagnostics reach a closure set with set_logger: a failed
//! runtime call's stderr as Warn, a monitor start as Info, nothing once
//! cleared, a closure calling back into the library, a flood that drops.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use common::{failing_runtime, Bundle, TempDir};
use execution::{clear_logger, set_logger, Io, LogLevel, Runtime, RuntimeOptions};

/// The logger is the process's: one test at a time sets it.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

type Messages = Arc<Mutex<Vec<(LogLevel, String)>>>;

/// Sets a closure collecting every message up to max_level.
fn collect(max_level: LogLevel) -> Messages {
    let messages: Messages = Arc::default();
    let sink = messages.clone();
    set_logger(max_level, move |level, message| {
        sink.lock().unwrap().push((level, message.to_owned()))
    })
    .unwrap();
    messages
}

fn count(messages: &Messages, level: LogLevel, text: &str) -> usize {
    let messages = messages.lock().unwrap();
    messages
        .iter()
        .filter(|(l, m)| *l == level && m.contains(text))
        .count()
}

/// Waits (30 s at most, a hang guard only) for a message at level with text.
fn arrived(messages: &Messages, level: LogLevel, text: &str) -> bool {
    for _ in 0..3000 {
        if count(messages, level, text) > 0 {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

fn failing(dir: &TempDir) -> Runtime {
    let script = failing_runtime(dir);
    Runtime::new(RuntimeOptions::new(dir.path().join("root")).runtime_path(script)).unwrap()
}

fn fail_create(rt: &Runtime, bundle: &Bundle) {
    let id = common::unique_id();
    assert!(rt.create(&id, bundle.path(), Io::new()).is_err());
}

#[test]
fn failed_runtime_call_warns_and_monitor_start_informs() {
    let _serial = serial();
    let messages = collect(LogLevel::Debug);
    let dir = TempDir::new();
    let rt = failing(&dir);
    fail_create(&rt, &Bundle::new(&["true"]));
    assert!(arrived(&messages, LogLevel::Warn, "refused on purpose"));
    assert!(arrived(
        &messages,
        LogLevel::Info,
        "started the monitor of "
    ));
    clear_logger().unwrap();
}

#[test]
fn levels_and_clear() {
    let _serial = serial();
    let dir = TempDir::new();
    let rt = failing(&dir);
    let bundle = Bundle::new(&["true"]);
    let messages = collect(LogLevel::Error);
    fail_create(&rt, &bundle);
    clear_logger().unwrap();
    let before = messages.lock().unwrap().len();
    fail_create(&rt, &bundle);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(messages.lock().unwrap().len(), before);
    assert_eq!(count(&messages, LogLevel::Warn, ""), 0);
}

#[test]
fn a_logger_may_call_the_library() {
    let _serial = serial();
    let dir = TempDir::new();
    let rt = Arc::new(failing(&dir));
    let seen: Messages = Arc::default();
    let (rt2, sink) = (rt.clone(), seen.clone());
    set_logger(LogLevel::Warn, move |level, message| {
        let listed = rt2.list().map(|ids| ids.len());
        sink.lock()
            .unwrap()
            .push((level, format!("{message} {listed:?}")));
    })
    .unwrap();
    fail_create(&rt, &Bundle::new(&["true"]));
    assert!(arrived(&seen, LogLevel::Warn, "Ok(0)"));
    clear_logger().unwrap();
}

/// runc, with 3000 more lines in its log.
const CHATTY_RUNTIME: &str = r#"#!/bin/sh
log= prev=
for a in "$@"; do
	[ "$prev" = --log ] && log=$a
	case $a in --log=*) log=${a#--log=} ;; esac
	prev=$a
done
if [ -n "$log" ]; then
	i=0
	while [ $i -lt 3000 ]; do
		echo "{\"level\":\"info\",\"msg\":\"chatty line $i\"}"
		i=$((i + 1))
	done >>"$log"
fi
exec runc "$@"
"#;

/// How many chatty lines came, and how many messages were said dropped.
fn flood_counts(messages: &Messages) -> (usize, usize) {
    let (mut lines, mut dropped) = (0, 0);
    for (_, m) in messages.lock().unwrap().iter() {
        if m.contains("chatty line") {
            lines += 1;
        } else if let Some(n) = m.strip_suffix(" log messages dropped: the log queue was full") {
            dropped += n.parse::<usize>().unwrap();
        }
    }
    (lines, dropped)
}

#[test]
fn a_flood_drops_with_a_count() {
    let _serial = serial();
    let dir = TempDir::new();
    let script = dir.path().join("chatty-runtime");
    std::fs::write(&script, CHATTY_RUNTIME).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rt =
        Runtime::new(RuntimeOptions::new(dir.path().join("root")).runtime_path(&script)).unwrap();

    // The closure waits while `held` is set.
    let gate = Arc::new((Mutex::new(true), Condvar::new()));
    let messages: Messages = Arc::default();
    let (g, sink) = (gate.clone(), messages.clone());
    set_logger(LogLevel::Debug, move |level, message| {
        let mut held = g.0.lock().unwrap();
        while *held {
            held = g.1.wait(held).unwrap();
        }
        sink.lock().unwrap().push((level, message.to_owned()));
    })
    .unwrap();
    let bundle = Bundle::new(&["true"]);
    let run = rt.run(&common::unique_id(), bundle.path(), Io::new());
    *gate.0.lock().unwrap() = false;
    gate.1.notify_all();
    let c = run.unwrap().delete_on_drop();
    assert_eq!(c.wait(None).unwrap(), 0);

    assert!(arrived(&messages, LogLevel::Warn, "log messages dropped"));
    let mut counts = flood_counts(&messages);
    for _ in 0..3000 {
        if counts.0 + counts.1 >= 3000 {
            break;
        }
        thread::sleep(Duration::from_millis(10));
        counts = flood_counts(&messages);
    }
    clear_logger().unwrap();
    let (lines, dropped) = counts;
    assert!(
        lines > 0 && dropped > 0 && lines + dropped >= 3000,
        "{counts:?}"
    );
}
