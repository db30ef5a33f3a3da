//! Helpers of the integration tests: temp dirs, bundles on the test rootfs,
//! unique container ids and a fixture that force-deletes every container it
//! handed an id for, also when the test panics.

#![allow(dead_code)]

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use execution::{BundleOptions, ContainerGuard, Exit, Io, Runtime, RuntimeOptions};

/// How long a test waits for something that should happen at once.
pub const PATIENCE: Duration = Duration::from_secs(30);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A name unique on the host: "rs-<pid>-<n>". Container ids are host-wide.
pub fn unique_id() -> String {
    format!(
        "rs-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The busybox rootfs every bundle links to, from `EXEC_TEST_ROOTFS`.
pub fn rootfs() -> PathBuf {
    let path = std::env::var_os("EXEC_TEST_ROOTFS")
        .map(PathBuf::from)
        .expect(
            "EXEC_TEST_ROOTFS must name the test rootfs (`make bundle` builds build/bundle/rootfs)",
        );
    assert!(
        path.join("bin/busybox").exists(),
        "EXEC_TEST_ROOTFS={} holds no bin/busybox",
        path.display()
    );
    path
}

/// A directory under the system temp dir, removed with its contents on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(unique_id());
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A bundle: a temp dir with `rootfs` -> $EXEC_TEST_ROOTFS and a
/// config.json from `execution::bundle_init`, which writes the symlink's
/// resolved path (runtimes refuse a symlinked rootfs).
#[derive(Debug)]
pub struct Bundle(TempDir);

impl Bundle {
    pub fn new(args: &[&str]) -> Bundle {
        Bundle::with_terminal(args, false)
    }

    pub fn with_terminal(args: &[&str], terminal: bool) -> Bundle {
        let dir = Bundle::linked_dir();
        execution::bundle_init(dir.path(), args, terminal).expect("bundle_init");
        Bundle(dir)
    }

    /// A bundle written by `execution::bundle_init_ext` with `options`.
    pub fn with_options(args: &[&str], options: &BundleOptions) -> Bundle {
        let dir = Bundle::linked_dir();
        execution::bundle_init_ext(dir.path(), args, options).expect("bundle_init_ext");
        Bundle(dir)
    }

    fn linked_dir() -> TempDir {
        let dir = TempDir::new();
        std::os::unix::fs::symlink(rootfs(), dir.path().join("rootfs")).expect("link rootfs");
        dir
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Whether execs may go through the container's exec agent: yes unless
/// EXEC_TEST_NO_AGENT is set (make test-rust runs the exec tests again so).
pub fn agent_on() -> bool {
    std::env::var_os("EXEC_TEST_NO_AGENT").is_none()
}

/// Options for a runtime on root, with the exec agent as agent_on() says.
pub fn runtime_options(root: &Path) -> RuntimeOptions {
    RuntimeOptions::new(root).agent(agent_on())
}

/// A runtime on a temp root, handing out container ids it force-deletes on
/// drop (also on panic) before removing the root.
pub struct Fixture {
    pub runtime: Runtime,
    ids: Mutex<Vec<String>>,
    root: TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let root = TempDir::new();
        let runtime = Runtime::new(runtime_options(root.path())).expect("Runtime::new");
        Fixture {
            runtime,
            ids: Mutex::new(Vec::new()),
            root,
        }
    }

    /// Runs `bundle` under a new id, deleted when the guard drops.
    pub fn run(&self, bundle: &Bundle, io: Io<'_>) -> ContainerGuard {
        let c = self.runtime.run(&self.id(), bundle.path(), io);
        c.expect("run").delete_on_drop()
    }

    /// Options for another runtime on the same root.
    pub fn options(&self) -> RuntimeOptions {
        runtime_options(self.root.path())
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// A fresh container id, deleted when the fixture drops.
    pub fn id(&self) -> String {
        let id = unique_id();
        self.adopt(&id);
        id
    }

    /// Deletes `id` too when the fixture drops.
    pub fn adopt(&self, id: &str) {
        self.ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id.to_owned());
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let ids = std::mem::take(&mut *self.ids.lock().unwrap_or_else(|e| e.into_inner()));
        for id in ids {
            if let Ok(c) = self.runtime.load(&id) {
                if let Err(e) = c.delete(true) {
                    if e.kind() != execution::ErrorKind::NotFound {
                        eprintln!("cleanup: delete {id}: {e}");
                    }
                }
            }
        }
    }
}

/// Everything `file` yields until EOF (or EIO, how a pty master ends);
/// panics when no EOF comes within PATIENCE.
pub fn read_all(mut file: File) -> String {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match file.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(5) => break,
                Err(e) => panic!("read: {e}"),
            }
        }
        let _ = tx.send(buf);
    });
    let buf = rx
        .recv_timeout(PATIENCE)
        .expect("no EOF on the stream within 30 s");
    String::from_utf8(buf).expect("UTF-8 output")
}

/// An exit's fields, to compare at once: status, code, signal, core dumped, OOM killed.
pub fn exit_parts(e: &Exit) -> (i32, Option<i32>, Option<i32>, bool, bool) {
    (e.status, e.code, e.signal, e.core_dumped, e.oom_killed)
}

/// A runtime binary that fails every call as runc does: a message on
/// stderr, an error line in the --log file if given, exit status 1.
pub fn failing_runtime(dir: &TempDir) -> PathBuf {
    let path = dir.path().join("failing-runtime");
    fs::write(
        &path,
        r#"#!/bin/sh
log=
while [ $# -gt 0 ]; do
	case "$1" in
	--log) log="$2"; shift ;;
	--log=*) log="${1#--log=}" ;;
	esac
	shift
done
echo "failing-runtime: refused on purpose" >&2
if [ -n "$log" ]; then
	echo '{"level":"error","msg":"failing-runtime: refused on purpose","time":"2024-01-01T00:00:00Z"}' >> "$log"
fi
exit 1
"#,
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs `cargo run --example NAME -- ARGS` and returns its stdout; panics,
/// with both streams, unless it succeeds.
pub fn run_example<S: AsRef<std::ffi::OsStr>>(name: &str, args: &[S]) -> String {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", name, "--"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The probe rootfs: the busybox rootfs with /bin/probe and /bin/probe-suid.
pub fn probe_rootfs() -> PathBuf {
    let path = PathBuf::from(
        std::env::var_os("EXEC_TEST_PROBE_ROOTFS")
            .expect("EXEC_TEST_PROBE_ROOTFS must name the probe rootfs (`make probe`)"),
    );
    assert!(
        path.join("bin/probe-suid").exists(),
        "{} has no probe",
        path.display()
    );
    path
}

/// A bundle on `rootfs` with `options`; the dir goes when it drops.
pub fn bundle_on(rootfs: &Path, args: &[&str], options: &BundleOptions) -> TempDir {
    let dir = TempDir::new();
    std::os::unix::fs::symlink(rootfs, dir.path().join("rootfs")).unwrap();
    execution::bundle_init_ext(dir.path(), args, options).expect("bundle_init_ext");
    dir
}

/// A pipe (read end, write end), both close-on-exec.
pub fn pipe() -> (File, File) {
    extern "C" {
        fn pipe2(fds: *mut std::ffi::c_int, flags: std::ffi::c_int) -> std::ffi::c_int;
    }
    const O_CLOEXEC: std::ffi::c_int = 0o2000000;
    let mut fds = [-1; 2];
    assert_eq!(unsafe { pipe2(fds.as_mut_ptr(), O_CLOEXEC) }, 0, "pipe2");
    use std::os::fd::FromRawFd;
    unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
}
