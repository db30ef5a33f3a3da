//! With the `log` feature: log_to_log_crate() hands the library's
//! diagnostics to the log crate's logger, with the target "execution".

mod common;

use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use common::{failing_runtime, Bundle, TempDir};
use execution::{Io, Runtime, RuntimeOptions};

/// A logger keeping (level, target, message) of every record.
struct Keeper(Mutex<Vec<(log::Level, String, String)>>);

impl log::Log for Keeper {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push((
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
    }

    fn flush(&self) {}
}

static KEEPER: Keeper = Keeper(Mutex::new(Vec::new()));

fn has(level: log::Level, text: &str) -> bool {
    KEEPER
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|(l, t, m)| *l == level && t == "execution" && m.contains(text))
}

#[test]
fn records_reach_the_log_crate() {
    log::set_logger(&KEEPER).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    execution::log_to_log_crate().unwrap();

    let dir = TempDir::new();
    let script = failing_runtime(&dir);
    let rt =
        Runtime::new(RuntimeOptions::new(dir.path().join("root")).runtime_path(script)).unwrap();
    let bundle = Bundle::new(&["true"]);
    assert!(rt
        .create(&common::unique_id(), bundle.path(), Io::new())
        .is_err());
    // 30 s at most, a hang guard only.
    for _ in 0..3000 {
        if has(log::Level::Warn, "refused on purpose")
            && has(log::Level::Info, "started the monitor")
        {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert!(has(log::Level::Warn, "refused on purpose"));
    assert!(has(log::Level::Info, "started the monitor"));

    // Off: nothing more.
    log::set_max_level(log::LevelFilter::Off);
    execution::log_to_log_crate().unwrap();
    let before = KEEPER.0.lock().unwrap().len();
    assert!(rt
        .create(&common::unique_id(), bundle.path(), Io::new())
        .is_err());
    thread::sleep(Duration::from_millis(100));
    assert_eq!(KEEPER.0.lock().unwrap().len(), before);
}
