//! The guards that delete a container or an exec'd process when dropped.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use crate::{Container, Process};

/// How long a dropped [`ProcessGuard`] waits for its killed process before
/// it deletes it (a process in a paused container does not die until thawed).
const KILL_PATIENCE: Duration = Duration::from_secs(10);

mod sealed {
    pub trait Sealed {}
}

/// What a [`Guard`] can hold: a [`Container`] or a [`Process`].
pub trait Discard: sealed::Sealed {
    /// Kills it if it runs and deletes it, errors ignored.
    fn discard(&self);
}

impl sealed::Sealed for Container {}
impl Discard for Container {
    fn discard(&self) {
        let _ = self.delete(true);
    }
}

impl sealed::Sealed for Process {}
impl Discard for Process {
    fn discard(&self) {
        let _ = self.signal(9);
        let _ = self.wait(Some(KILL_PATIENCE));
        let _ = self.delete();
    }
}

/// A [`Container`] or an exec'd [`Process`] that is killed (if it runs)
/// and deleted when the guard is dropped, errors ignored; it derefs to
/// what it holds. Made by [`Container::delete_on_drop`] and
/// [`Process::delete_on_drop`].
///
/// ```no_run
/// # fn main() -> Result<(), execution::Error> {
/// # let container: execution::Container = unimplemented!();
/// use execution::{Io, ProcessSpec};
/// for _ in 0..3 {
///     let p = container
///         .exec_with_id("job", &ProcessSpec::new(["true"]), Io::new())?
///         .delete_on_drop();
///     p.wait(None)?;
/// } // each pass deletes "job", so the next can use the id again
/// # Ok(())
/// # }
/// ```
#[must_use = "dropping the guard deletes at once"]
pub struct Guard<T: Discard> {
    inner: Option<T>,
}

/// A [`Container`] force-deleted on drop: [`Container::delete_on_drop`].
pub type ContainerGuard = Guard<Container>;

/// An exec'd [`Process`] killed and deleted on drop: [`Process::delete_on_drop`].
pub type ProcessGuard = Guard<Process>;

impl<T: Discard> Guard<T> {
    pub(crate) fn new(inner: T) -> Guard<T> {
        Guard { inner: Some(inner) }
    }

    /// Disarms the guard, giving back what it holds undeleted.
    pub fn into_inner(mut self) -> T {
        self.inner
            .take()
            .expect("a guard holds its value until dropped")
    }
}

impl<T: Discard> Deref for Guard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.inner
            .as_ref()
            .expect("a guard holds its value until dropped")
    }
}

impl<T: Discard> Drop for Guard<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.discard();
        }
    }
}

impl<T: Discard + fmt::Debug> fmt::Debug for Guard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Guard").field(&self.inner).finish()
    }
}
