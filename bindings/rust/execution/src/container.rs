//! Containers and the guard that deletes one on drop.

use std::ffi::{c_int, CString};
use std::fmt;
use std::fs::File;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::ptr::{self, NonNull};
use std::time::Duration;

use crate::error::{check, cstring, Error, ErrorKind};
use crate::exit::Exit;
use crate::guard::{ContainerGuard, Guard};
use crate::handle::{Handle, Output};
use crate::io::{Io, Stdio};
use crate::process::Process;
use crate::runtime::non_null;
use crate::spec::ProcessSpec;
use crate::stats::Stats;
use crate::sys;

/// A container's state.
///
/// ```no_run
/// # fn f(container: &execution::Container) -> Result<(), execution::Error> {
/// use execution::State;
/// if container.state()? == State::Paused {
///     container.resume()?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Created, its process not yet started.
    Created,
    /// Its init process runs.
    Running,
    /// Frozen by [`Container::pause`].
    Paused,
    /// Its init process has exited.
    Stopped,
}

impl State {
    fn from_raw(raw: sys::exec_state) -> Result<State, Error> {
        Ok(match raw {
            sys::EXEC_STATE_CREATED => State::Created,
            sys::EXEC_STATE_RUNNING => State::Running,
            sys::EXEC_STATE_PAUSED => State::Paused,
            sys::EXEC_STATE_STOPPED => State::Stopped,
            _ => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    format!("unknown container state {raw}"),
                ))
            }
        })
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Created => "created",
            State::Running => "running",
            State::Paused => "paused",
            State::Stopped => "stopped",
        })
    }
}

/// A container created or loaded through a [`Runtime`](crate::Runtime).
///
/// Dropping it frees the handle (and the pipe ends not taken) only: the
/// container keeps running. Call [`delete`](Self::delete), or use
/// [`delete_on_drop`](Self::delete_on_drop). The handle stays usable after
/// its `Runtime` is dropped.
///
/// ```no_run
/// # fn f(runtime: &execution::Runtime) -> Result<(), execution::Error> {
/// use execution::{Io, Stdio};
/// let io = Io::new().stdout(Stdio::Pipe).stderr(Stdio::Stdout); // 2>&1
/// let c = runtime.run("job-1", "/srv/bundle", io)?.delete_on_drop();
/// let out = c.wait_with_output()?;
/// println!("{}: {}", out.status, String::from_utf8_lossy(&out.stdout));
/// # Ok(())
/// # }
/// ```
pub struct Container {
    pub(crate) h: Handle<sys::exec_container>,
}

impl Container {
    /// Takes ownership of a raw handle.
    ///
    /// # Safety
    /// `raw` is a live container handle that nothing else frees.
    pub(crate) unsafe fn from_raw(
        raw: NonNull<sys::exec_container>,
        merged_stdout: Option<OwnedFd>,
    ) -> Result<Container, Error> {
        Ok(Container {
            h: Handle::from_raw(raw)?.with_merged(merged_stdout),
        })
    }

    /// The container's id.
    pub fn id(&self) -> &str {
        self.h.id()
    }

    /// Host pid of the container's init process.
    pub fn pid(&self) -> Result<i32, Error> {
        self.h.pid()
    }

    /// The current state.
    ///
    /// Errors: NotFound (deleted), Runtime.
    pub fn state(&self) -> Result<State, Error> {
        let mut state: sys::exec_state = 0;
        check(unsafe { sys::exec_container_state(self.h.as_ptr(), &mut state) })?;
        State::from_raw(state)
    }

    /// Starts a created container's process.
    ///
    /// Errors: InvalidState (not created), Runtime.
    pub fn start(&self) -> Result<(), Error> {
        check(unsafe { sys::exec_container_start(self.h.as_ptr()) })
    }

    /// Waits for the init process to exit: forever with None, polling with
    /// `Some(Duration::ZERO)`. On a created container it waits until the
    /// container is started and exits. Every wait gets the same result.
    ///
    /// Errors: TimedOut, System (the exit status cannot be known: the
    /// monitor was gone when the process exited).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Exit, Error> {
        self.h.wait(timeout)
    }

    /// The init's exit if it is known, else None at once: as
    /// `std::process::Child::try_wait`.
    ///
    /// Errors: System (the exit status cannot be known).
    pub fn try_wait(&self) -> Result<Option<Exit>, Error> {
        self.h.try_wait()
    }

    /// Reads the init's piped stdout and stderr to their ends, both at
    /// once, then waits for its exit: as `Child::wait_with_output`. A
    /// stream that is no pipe, or whose end was taken, reads as empty.
    pub fn wait_with_output(&self) -> Result<Output, Error> {
        self.h.wait_with_output()
    }

    /// An fd that polls readable once the init's exit is known, for poll,
    /// epoll or an event loop; [`Container::wait`] then returns at once.
    /// The handle owns it: do not read or close it.
    pub fn exit_fd(&self) -> Result<BorrowedFd<'_>, Error> {
        self.h.exit_fd()
    }

    /// Reads the container's resource use from its cgroup, in process (no
    /// runtime call). A stopped container answers until it is deleted.
    ///
    /// Errors: InvalidState (stopped and its cgroup is gone), NotFound
    /// (deleted), System.
    pub fn stats(&self) -> Result<Stats, Error> {
        let mut raw = sys::EXEC_STATS_INIT;
        check(unsafe { sys::exec_container_stats(self.h.as_ptr(), &mut raw) })?;
        Ok(raw.into())
    }

    /// The host pids of the container's processes, sorted, read from its
    /// cgroup. A stopped container has none.
    ///
    /// Errors: InvalidState (stopped and its cgroup is gone), NotFound
    /// (deleted), System.
    pub fn ps(&self) -> Result<Vec<i32>, Error> {
        let mut pids: *mut c_int = ptr::null_mut();
        let mut count = 0usize;
        check(unsafe { sys::exec_container_ps(self.h.as_ptr(), &mut pids, &mut count) })?;
        if pids.is_null() {
            return Ok(Vec::new());
        }
        let list = unsafe { std::slice::from_raw_parts(pids, count) }.to_vec();
        unsafe { sys::exec_free(pids.cast()) };
        Ok(list)
    }

    /// The container's addresses on the library's bridge network
    /// ([`Network::Bridge`](crate::Network::Bridge)); none for any other.
    ///
    /// Errors: NotFound (deleted).
    pub fn addresses(&self) -> Result<Vec<std::net::IpAddr>, Error> {
        let mut addrs = ptr::null_mut();
        let mut count = 0usize;
        check(unsafe { sys::exec_container_addresses(self.h.as_ptr(), &mut addrs, &mut count) })?;
        if addrs.is_null() {
            return Ok(Vec::new());
        }
        let list = (0..count)
            .filter_map(|i| {
                unsafe { std::ffi::CStr::from_ptr(*addrs.add(i)) }
                    .to_str()
                    .ok()
                    .and_then(|s| s.parse().ok())
            })
            .collect();
        unsafe { sys::exec_strings_free(addrs, count) };
        Ok(list)
    }

    /// Changes the resources of the live container through the runtime's
    /// `update`. `resources_json` is an OCI `linux.resources` object, such as
    /// `{"memory":{"limit":33554432}}`; what it leaves out keeps its value.
    ///
    /// Errors: InvalidArgument (not a resources object, an unknown field),
    /// InvalidState (stopped), NotFound (deleted), Runtime (a value refused).
    pub fn update(&self, resources_json: &str) -> Result<(), Error> {
        let json = cstring("resources", resources_json)?;
        check(unsafe { sys::exec_container_update(self.h.as_ptr(), json.as_ptr()) })
    }

    /// Freezes all processes of a running container.
    ///
    /// Errors: InvalidState (not running), Runtime.
    pub fn pause(&self) -> Result<(), Error> {
        check(unsafe { sys::exec_container_pause(self.h.as_ptr()) })
    }

    /// Thaws a paused container.
    ///
    /// Errors: InvalidState (not paused), Runtime.
    pub fn resume(&self) -> Result<(), Error> {
        check(unsafe { sys::exec_container_resume(self.h.as_ptr()) })
    }

    /// Sends `signal` (a signal number, e.g. 15 for SIGTERM) to the init
    /// process, or with `all` to every process of the container. An init
    /// process gets only the signals it handles, and SIGKILL.
    ///
    /// Errors: InvalidArgument (bad signal), InvalidState (stopped), Runtime.
    pub fn signal(&self, signal: i32, all: bool) -> Result<(), Error> {
        check(unsafe { sys::exec_container_kill(self.h.as_ptr(), signal, c_int::from(all)) })
    }

    /// Sends SIGKILL to the init process, which no init can ignore; Ok once
    /// it exited: as `std::process::Child::kill`.
    ///
    /// Errors: Runtime.
    pub fn kill(&self) -> Result<(), Error> {
        self.h.unless_exited(self.signal(9, false))
    }

    /// Deletes the container and its state. Without `force` only a created
    /// or stopped container can be deleted; with it a running or paused one
    /// is killed first. The handle stays valid: its calls then fail with
    /// NotFound, its wait gives the recorded exit.
    ///
    /// Errors: InvalidState (running or paused without force), NotFound
    /// (already deleted), Runtime.
    pub fn delete(&self, force: bool) -> Result<(), Error> {
        check(unsafe { sys::exec_container_delete(self.h.as_ptr(), c_int::from(force)) })
    }

    /// Starts an extra process in the running container, under an id the
    /// binding makes ("exec-" and 16 hex digits, told by
    /// [`Process::id`]); [`exec_with_id`](Self::exec_with_id) names it.
    /// Dropping the [`Process`] leaves it running and its state kept: see
    /// [`Process::delete_on_drop`].
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let container: execution::Container = unimplemented!();
    /// use std::io::Read;
    /// use execution::{Io, ProcessSpec, Stdio};
    /// let spec = ProcessSpec::new(["sh", "-c", "echo hi; exit 3"]);
    /// let p = container.exec(&spec, Io::new().stdout(Stdio::Pipe))?.delete_on_drop();
    /// let mut out = String::new();
    /// p.take_stdout()?.read_to_string(&mut out)?;
    /// assert!(p.wait(None)? == 3 && out == "hi\n");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Errors: InvalidArgument (no args), InvalidState (container not
    /// running), Runtime.
    pub fn exec(&self, spec: &ProcessSpec, io: Io<'_>) -> Result<Process, Error> {
        self.exec_with_id(&new_process_id(), spec, io)
    }

    /// Starts an extra process named `process_id`, unique within the
    /// container; as [`exec`](Self::exec).
    ///
    /// Errors: InvalidArgument (bad id, no args), AlreadyExists,
    /// InvalidState (container not running), Runtime.
    pub fn exec_with_id(
        &self,
        process_id: &str,
        spec: &ProcessSpec,
        io: Io<'_>,
    ) -> Result<Process, Error> {
        ExecArgs::new(process_id, spec)?.exec(self.h.as_ptr(), &io)
    }

    /// Runs `spec` in the container with stdout and stderr piped (stdin
    /// /dev/null), collects both and its exit, and deletes it: as
    /// `std::process::Command::output`.
    ///
    /// Errors: as [`exec`](Self::exec), and System.
    pub fn output(&self, spec: &ProcessSpec) -> Result<Output, Error> {
        let io = Io::new().stdout(Stdio::Pipe).stderr(Stdio::Pipe);
        self.exec(spec, io)?.delete_on_drop().wait_with_output()
    }

    /// Runs `spec` in the container with this program's stdin, stdout and
    /// stderr, waits for it and deletes it: as `Command::status`.
    ///
    /// Errors: as [`exec`](Self::exec).
    pub fn status(&self, spec: &ProcessSpec) -> Result<Exit, Error> {
        let io = Io::new()
            .stdin(Stdio::Inherit)
            .stdout(Stdio::Inherit)
            .stderr(Stdio::Inherit);
        self.exec(spec, io)?.delete_on_drop().wait(None)
    }

    /// Opens a handle to a process exec'd earlier, also by another process.
    ///
    /// Errors: InvalidArgument (bad id), NotFound.
    pub fn load_process(&self, process_id: &str) -> Result<Process, Error> {
        let id = cstring("process id", process_id)?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::exec_process_load(self.h.as_ptr(), id.as_ptr(), &mut out) })?;
        unsafe { Process::from_raw(non_null(out)?, None) }
    }

    /// Takes the write end of a piped standard input; once.
    ///
    /// Errors: InvalidArgument (stdin is no pipe), InvalidState (already taken).
    pub fn take_stdin(&self) -> Result<File, Error> {
        self.h.stdio(sys::EXEC_STDIN).map(File::from)
    }

    /// Takes the read end of a piped standard output; once.
    ///
    /// Errors: InvalidArgument (stdout is no pipe), InvalidState (already taken).
    pub fn take_stdout(&self) -> Result<File, Error> {
        self.h.stdio(sys::EXEC_STDOUT).map(File::from)
    }

    /// Takes the read end of a piped standard error; once.
    ///
    /// Errors: InvalidArgument (stderr is no pipe), InvalidState (already taken).
    pub fn take_stderr(&self) -> Result<File, Error> {
        self.h.stdio(sys::EXEC_STDERR).map(File::from)
    }

    /// Takes the pty master of a terminal container; once.
    ///
    /// Errors: InvalidArgument (no terminal), InvalidState (already taken).
    pub fn take_terminal(&self) -> Result<OwnedFd, Error> {
        self.h.stdio(sys::EXEC_STDIN)
    }

    /// Sets the window size of a terminal container's pty.
    ///
    /// Errors: InvalidArgument (no terminal), System.
    pub fn resize(&self, rows: u16, cols: u16) -> Result<(), Error> {
        self.h.resize(rows, cols)
    }

    /// Wraps the container in a guard that force-deletes it when dropped.
    pub fn delete_on_drop(self) -> ContainerGuard {
        Guard::new(self)
    }

    /// The raw handle, for calls through [`sys`](crate::sys); it stays
    /// owned by `self`.
    pub fn as_raw(&self) -> *mut sys::exec_container {
        self.h.as_ptr()
    }
}

impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Container").field("id", &self.id()).finish()
    }
}

/// The id and the process JSON of an exec, as C strings.
pub(crate) struct ExecArgs {
    id: CString,
    json: CString,
}

impl ExecArgs {
    pub(crate) fn new(process_id: &str, spec: &ProcessSpec) -> Result<ExecArgs, Error> {
        Ok(ExecArgs {
            id: cstring("process id", process_id)?,
            json: cstring("process spec", spec.to_json())?,
        })
    }

    /// Execs the process into the container handle `c`; a handle freed
    /// meanwhile is an error, never a crash.
    pub(crate) fn exec(&self, c: *mut sys::exec_container, io: &Io<'_>) -> Result<Process, Error> {
        let io = io.raw()?;
        let mut out = ptr::null_mut();
        let (id, json) = (self.id.as_ptr(), self.json.as_ptr());
        check(unsafe { sys::exec_container_exec(c, id, json, &io.raw, &mut out) })?;
        unsafe { Process::from_raw(non_null(out)?, io.stdout) }
    }
}

/// A process id unlikely to be in use: "exec-" and 16 hex digits, from
/// std's per-process random hash keys, the time and a counter.
pub(crate) fn new_process_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    format!("exec-{:016x}", h.finish())
}
