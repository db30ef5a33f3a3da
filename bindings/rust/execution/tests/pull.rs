//! Images pulled from a local registry (Debian's docker-registry), then run.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio as ChildStdio};
use std::thread;

use common::{Fixture, TempDir};
use execution::image::{pull, PullOptions};
use execution::{bundle_from_image, bundle_remove, ErrorKind, ImageOptions, Io, Stdio};

/// A registry on 127.0.0.1 holding busybox:latest, started by the test
/// helper and stopped (by closing its stdin, then reaping it) on drop.
struct Registry {
    child: Child,
    host: String,
    _dir: TempDir,
}

impl Registry {
    fn start() -> Registry {
        let helper = std::env::var_os("EXEC_TEST_REGISTRY")
            .map(PathBuf::from)
            .expect("EXEC_TEST_REGISTRY must name the test-registry helper (make test-registry)");
        let images = std::env::var_os("EXEC_TEST_IMAGES")
            .map(PathBuf::from)
            .expect("EXEC_TEST_IMAGES must name the test images (make images)");
        let dir = TempDir::new();
        let mut child = Command::new(helper)
            .arg(dir.path())
            .arg(images.join("busybox"))
            .stdin(ChildStdio::piped())
            .stdout(ChildStdio::piped())
            .spawn()
            .expect("start test-registry");
        let mut host = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut host)
            .unwrap();
        let host = host.trim().to_owned();
        assert!(!host.is_empty(), "test-registry did not start");
        Registry {
            child,
            host,
            _dir: dir,
        }
    }

    fn reference(&self, tail: &str) -> String {
        format!("{}/{}", self.host, tail)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

#[test]
fn pull_then_run() {
    let registry = Registry::start();
    let tmp = TempDir::new();
    let layout = tmp.path().join("layout");
    let reference = registry.reference("busybox:latest");
    let me = thread::current().id();
    let mut finished = 0;
    let mut other_thread = false;
    let digest = pull(
        &reference,
        &layout,
        PullOptions::new().parallel(2).progress(|p| {
            other_thread |= thread::current().id() != me;
            if p.done == p.total {
                finished += 1;
            }
            false
        }),
    )
    .expect("pull");
    assert!(digest.starts_with("sha256:"), "{digest}");
    assert!(!other_thread, "the progress closure ran on another thread");
    assert!(finished >= 3, "{finished} blobs finished");

    let bundle = tmp.path().join("bundle");
    let image = format!("{}:{}", layout.display(), reference);
    bundle_from_image(&bundle, &image, &ImageOptions::new()).expect("bundle");
    let fx = Fixture::new();
    let c = fx
        .runtime
        .run(&fx.id(), &bundle, Io::new().stdout(Stdio::Pipe))
        .expect("run");
    let mut out = String::new();
    c.take_stdout().unwrap().read_to_string(&mut out).unwrap();
    assert_eq!(c.wait(None).unwrap().status, 0);
    c.delete(false).unwrap();
    assert_eq!(out, "hello from the second layer\n");
    bundle_remove(&bundle).unwrap();

    let again = pull(
        &registry.reference(&format!("busybox@{digest}")),
        &layout,
        PullOptions::new(),
    )
    .expect("pull by digest");
    assert_eq!(again, digest);
}

#[test]
fn cancel_missing_and_panics() {
    let registry = Registry::start();
    let tmp = TempDir::new();
    let layout = tmp.path().join("layout");
    let reference = registry.reference("busybox:latest");
    let e = pull(&reference, &layout, PullOptions::new().progress(|_| true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(!layout.join("index.json").exists());

    let e = pull(
        &registry.reference("busybox:nope"),
        &layout,
        PullOptions::new(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = pull("127.0.0.1:1/busybox:latest", &layout, PullOptions::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::System, "{e}");
    let e = pull("Not A Ref", &layout, PullOptions::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");

    let panicked = std::panic::catch_unwind(|| {
        let _ = pull(
            &reference,
            &layout,
            PullOptions::new().progress(|_| panic!("boom")),
        );
    });
    assert!(panicked.is_err(), "the closure's panic was not resumed");
}

#[test]
fn example_pulls_and_runs() {
    let registry = Registry::start();
    let stdout = common::run_example("pull", &[registry.reference("busybox:latest")]);
    assert_eq!(
        stdout,
        "hello from the second layer\nexited with status 0\n"
    );
}
