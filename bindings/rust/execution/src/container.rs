//! Containers and the guard that deletes one on drop.

use std::ffi::c_int;
use std::fmt;
use std::fs::File;
use std::ops::Deref;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::ptr::{self, NonNull};
use std::time::Duration;

use crate::error::{check, cstring, Error, ErrorKind};
use crate::exit::Exit;
use crate::handle::Handle;
use crate::io::Io;
use crate::process::Process;
use crate::runtime::non_null;
use crate::spec::ProcessSpec;
use crate::stats::Stats;
use crate::sys;

/// A container's state.
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
pub struct Container {
    h: Handle<sys::exec_container>,
}

impl Container {
    /// Takes ownership of a raw handle.
    ///
    /// # Safety
    /// `raw` is a live container handle that nothing else frees.
    pub(crate) unsafe fn from_raw(raw: NonNull<sys::exec_container>) -> Result<Container, Error> {
        Ok(Container {
            h: Handle::from_raw(raw)?,
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

    /// Sends `signal` (a signal number, e.g. 9 for SIGKILL) to the init
    /// process, or with `all` to every process of the container. An init
    /// process gets only the signals it handles, and SIGKILL.
    ///
    /// Errors: InvalidArgument (bad signal), InvalidState (stopped), Runtime.
    pub fn kill(&self, signal: i32, all: bool) -> Result<(), Error> {
        check(unsafe { sys::exec_container_kill(self.h.as_ptr(), signal, c_int::from(all)) })
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

    /// Starts an extra process in the running container.
    ///
    /// Errors: InvalidArgument (bad id, no args), AlreadyExists,
    /// InvalidState (container not running), Runtime.
    pub fn exec(&self, process_id: &str, spec: &ProcessSpec, io: Io<'_>) -> Result<Process, Error> {
        let id = cstring("process id", process_id)?;
        let json = cstring("process spec", spec.to_json())?;
        let io_raw = io.raw()?;
        let mut out = ptr::null_mut();
        check(unsafe {
            sys::exec_container_exec(
                self.h.as_ptr(),
                id.as_ptr(),
                json.as_ptr(),
                &io_raw,
                &mut out,
            )
        })?;
        unsafe { Process::from_raw(non_null(out)?) }
    }

    /// Opens a handle to a process exec'd earlier, also by another process.
    ///
    /// Errors: InvalidArgument (bad id), NotFound.
    pub fn load_process(&self, process_id: &str) -> Result<Process, Error> {
        let id = cstring("process id", process_id)?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::exec_process_load(self.h.as_ptr(), id.as_ptr(), &mut out) })?;
        unsafe { Process::from_raw(non_null(out)?) }
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
        ContainerGuard {
            container: Some(self),
        }
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

/// A container that is force-deleted (killed first if it runs) when the
/// guard is dropped, errors ignored. Made by [`Container::delete_on_drop`];
/// derefs to the [`Container`].
#[derive(Debug)]
#[must_use = "dropping the guard deletes the container at once"]
pub struct ContainerGuard {
    container: Option<Container>,
}

impl ContainerGuard {
    /// Disarms the guard, giving the container back undeleted.
    pub fn into_inner(mut self) -> Container {
        self.container
            .take()
            .expect("guard holds its container until dropped")
    }
}

impl Deref for ContainerGuard {
    type Target = Container;

    fn deref(&self) -> &Container {
        self.container
            .as_ref()
            .expect("guard holds its container until dropped")
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        if let Some(container) = self.container.take() {
            let _ = container.delete(true);
        }
    }
}
