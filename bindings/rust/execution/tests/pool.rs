//! Warm pools: take, refill, drop, threads, refill errors, a crashed pool.

mod common;

use std::collections::HashSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio as ProcessStdio};
use std::thread;
use std::time::Duration;

use common::{
    failing_runtime, read_all, run_example, unique_id, Bundle, Fixture, TempDir, PATIENCE,
};
use execution::{ErrorKind, Io, Pool, PoolOptions, Runtime, RuntimeOptions, Stdio};

/// The entries of `<root>/<sub>`, sorted; none where it does not exist.
fn entries(root: &Path, sub: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join(sub))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Whether a cgroup named `id` is left in any hierarchy.
fn cgroup_left(id: &str) -> bool {
    [
        "/sys/fs/cgroup",
        "/sys/fs/cgroup/unified",
        "/sys/fs/cgroup/memory",
        "/sys/fs/cgroup/pids",
    ]
    .iter()
    .any(|h| Path::new(h).join(id).exists())
}

fn options(bundle: &Bundle) -> PoolOptions<'static> {
    PoolOptions::new(bundle.path()).id_prefix(&format!("{}-", unique_id()))
}

fn filled(fx: &Fixture, options: PoolOptions<'_>) -> Pool {
    let pool = fx.runtime.pool(options).expect("pool");
    pool.fill(Some(PATIENCE)).expect("fill");
    pool
}

#[test]
fn take_output_exit_and_list() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "echo hello; exit 7"]);
    let pool = filled(
        &fx,
        options(&bundle).size(2).io(Io::new().stdout(Stdio::Pipe)),
    );
    assert!(fx.runtime.list().unwrap().is_empty());
    let c = pool.take(Some(PATIENCE)).unwrap().delete_on_drop();
    assert!(c.pid().unwrap() > 0);
    assert_eq!(read_all(c.take_stdout().unwrap()), "hello\n");
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(7));
    assert_eq!(fx.runtime.list().unwrap(), vec![c.id().to_owned()]);
    c.delete(false).unwrap();
    assert!(fx.runtime.list().unwrap().is_empty());
}

#[test]
fn refill_and_drop_leave_nothing() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let pool = filled(&fx, options(&bundle).size(2).concurrency(2));
    let first = entries(fx.root(), "containers");
    assert_eq!(first.len(), 2);
    for _ in 0..3 {
        let c = pool.take(Some(PATIENCE)).unwrap();
        assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
        c.delete(false).unwrap();
    }
    pool.fill(Some(PATIENCE)).unwrap();
    let ready = entries(fx.root(), "containers");
    assert_eq!(ready.len(), 2);
    assert!(ready.iter().all(|id| !first.contains(id)));
    drop(pool);
    assert!(entries(fx.root(), "containers").is_empty());
    assert!(entries(fx.root(), "runc").is_empty());
    assert!(entries(fx.root(), "pools").is_empty());
    assert!(!ready.iter().any(|id| cgroup_left(id)));
}

#[test]
fn takes_from_many_threads() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "exit 3"]);
    let pool = filled(&fx, options(&bundle).size(2).concurrency(2));
    let ids: Vec<String> = thread::scope(|s| {
        let takers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..2)
                        .map(|_| {
                            let c = pool.take(None).unwrap();
                            assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(3));
                            c.delete(false).unwrap();
                            c.id().to_owned()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        takers.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(ids.len(), 8);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 8);
}

#[test]
fn refill_error_is_the_next_take_error() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let pool = filled(&fx, options(&bundle));
    fs::remove_file(bundle.path().join("config.json")).unwrap();
    let c = pool.take(Some(PATIENCE)).unwrap().delete_on_drop();
    c.wait(Some(PATIENCE)).unwrap();
    let err = pool.take(Some(PATIENCE)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("config.json"), "{err}");
}

#[test]
fn failing_runtime_is_the_take_error() {
    let dir = TempDir::new();
    let root = TempDir::new();
    let runtime =
        Runtime::new(RuntimeOptions::new(root.path()).runtime_path(failing_runtime(&dir))).unwrap();
    let bundle = Bundle::new(&["true"]);
    let pool = runtime.pool(options(&bundle)).unwrap();
    let err = pool.take(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert!(err.message().contains("refused on purpose"), "{err}");
    drop(pool);
    assert!(entries(root.path(), "containers").is_empty());
}

#[test]
fn bad_options_leave_nothing() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let bad = [
        options(&bundle).size(0),
        options(&bundle).id_prefix("-x"),
        PoolOptions::new(bundle.path().join("missing")),
        options(&bundle).io(Io::terminal()),
        options(&bundle).io(Io::new().stdout(Stdio::Pipe).stderr(Stdio::Stdout)),
    ];
    for o in bad {
        let err = fx.runtime.pool(o).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
    assert!(entries(fx.root(), "containers").is_empty());
    assert!(entries(fx.root(), "pools").is_empty());
}

/// Run by crashed_pool_leftovers_are_removed in a child: fills a pool,
/// says "ready" and waits to be killed.
#[test]
fn pool_crash_helper() {
    let Ok(args) = std::env::var("EXEC_POOL_HELPER") else {
        return;
    };
    let (root, bundle) = args.split_once(' ').unwrap();
    let runtime = Runtime::new(RuntimeOptions::new(root)).unwrap();
    let pool = runtime
        .pool(
            PoolOptions::new(bundle)
                .size(2)
                .id_prefix(&format!("{}-", unique_id())),
        )
        .unwrap();
    pool.fill(Some(PATIENCE)).unwrap();
    println!("ready");
    thread::sleep(Duration::from_secs(3600));
}

#[test]
fn crashed_pool_leftovers_are_removed() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "pool_crash_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            "EXEC_POOL_HELPER",
            format!("{} {}", fx.root().display(), bundle.path().display()),
        )
        .stdout(ProcessStdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.any(|l| l.unwrap().trim_end().ends_with("ready"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(ready, "the helper never got ready");
    let left = entries(fx.root(), "containers");
    assert_eq!(left.len(), 2);
    let _again = Runtime::new(fx.options()).unwrap();
    assert!(entries(fx.root(), "containers").is_empty());
    assert!(entries(fx.root(), "runc").is_empty());
    assert!(!left.iter().any(|id| cgroup_left(id)));
}

#[test]
fn example_takes_three_and_leaves_nothing() {
    let root = TempDir::new();
    let stdout = run_example("pool", &[common::rootfs().as_path(), root.path()]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"pool of 2 ready"));
    assert_eq!(lines.last(), Some(&"pool dropped"));
    let says = lines
        .iter()
        .filter(|l| l.ends_with(": says \"hello from a warm pool\""));
    assert_eq!(says.count(), 3);
    let exits = lines
        .iter()
        .filter(|l| l.ends_with(": exited with status 3"));
    assert_eq!(exits.count(), 3);
    assert!(entries(root.path(), "containers").is_empty());
}
