//! A container's resource use.

use std::time::Duration;

use crate::sys;

/// A container's resource use, read from its cgroup by
/// [`Container::stats`](crate::Container::stats). Counters count since the
/// container was created; a limit that is not set is `None`.
///
/// ```no_run
/// # fn f(container: &execution::Container) -> Result<(), execution::Error> {
/// let stats = container.stats()?;
/// println!("{:?} CPU, {} of {:?} bytes", stats.cpu_usage, stats.memory_usage, stats.memory_limit);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stats {
    /// CPU time used, user and system together.
    pub cpu_usage: Duration,
    /// CPU time used in user mode.
    pub cpu_user: Duration,
    /// CPU time used in kernel mode.
    pub cpu_system: Duration,
    /// Enforcement periods of a CPU quota that have elapsed.
    pub cpu_periods: u64,
    /// Periods in which the container was throttled.
    pub cpu_throttled_periods: u64,
    /// Time the container was throttled.
    pub cpu_throttled: Duration,
    /// Memory in use now in bytes, page cache included.
    pub memory_usage: u64,
    /// The most memory in use so far, in bytes.
    pub memory_peak: u64,
    /// The memory limit in bytes.
    pub memory_limit: Option<u64>,
    /// Page cache (files and tmpfs) in `memory_usage`, in bytes.
    pub memory_cache: u64,
    /// Swap in use, in bytes.
    pub memory_swap: u64,
    /// Processes the kernel's OOM killer killed.
    pub oom_kills: u64,
    /// Tasks in the container now.
    pub pids_current: u64,
    /// The tasks limit.
    pub pids_limit: Option<u64>,
    /// Bytes read from block devices.
    pub io_read_bytes: u64,
    /// Bytes written to block devices.
    pub io_write_bytes: u64,
}

fn limit(raw: u64) -> Option<u64> {
    (raw != sys::EXEC_UNLIMITED).then_some(raw)
}

impl From<sys::exec_stats> for Stats {
    fn from(raw: sys::exec_stats) -> Stats {
        Stats {
            cpu_usage: Duration::from_nanos(raw.cpu_usage_ns),
            cpu_user: Duration::from_nanos(raw.cpu_user_ns),
            cpu_system: Duration::from_nanos(raw.cpu_system_ns),
            cpu_periods: raw.cpu_periods,
            cpu_throttled_periods: raw.cpu_throttled_periods,
            cpu_throttled: Duration::from_nanos(raw.cpu_throttled_ns),
            memory_usage: raw.memory_usage,
            memory_peak: raw.memory_peak,
            memory_limit: limit(raw.memory_limit),
            memory_cache: raw.memory_cache,
            memory_swap: raw.memory_swap,
            oom_kills: raw.oom_kills,
            pids_current: raw.pids_current,
            pids_limit: limit(raw.pids_limit),
            io_read_bytes: raw.io_read_bytes,
            io_write_bytes: raw.io_write_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_converts_from_the_raw_struct() {
        let raw = sys::exec_stats {
            version: sys::EXEC_STATS_VERSION,
            cpu_usage_ns: 1,
            cpu_user_ns: 2,
            cpu_system_ns: 3,
            cpu_periods: 4,
            cpu_throttled_periods: 5,
            cpu_throttled_ns: 6,
            memory_usage: 7,
            memory_peak: 8,
            memory_limit: 9,
            memory_cache: 10,
            memory_swap: 11,
            oom_kills: 12,
            pids_current: 13,
            pids_limit: 14,
            io_read_bytes: 15,
            io_write_bytes: 16,
        };
        let ns = Duration::from_nanos;
        assert_eq!(
            Stats::from(raw),
            Stats {
                cpu_usage: ns(1),
                cpu_user: ns(2),
                cpu_system: ns(3),
                cpu_periods: 4,
                cpu_throttled_periods: 5,
                cpu_throttled: ns(6),
                memory_usage: 7,
                memory_peak: 8,
                memory_limit: Some(9),
                memory_cache: 10,
                memory_swap: 11,
                oom_kills: 12,
                pids_current: 13,
                pids_limit: Some(14),
                io_read_bytes: 15,
                io_write_bytes: 16,
            }
        );
        let unlimited = sys::exec_stats {
            memory_limit: sys::EXEC_UNLIMITED,
            pids_limit: sys::EXEC_UNLIMITED,
            ..sys::EXEC_STATS_INIT
        };
        let s = Stats::from(unlimited);
        assert_eq!((s.memory_limit, s.pids_limit), (None, None));
    }
}
