//! Work budgets: how much CPU time one document may cost before it is abandoned with a
//! named error. Every reader that loops over what a source sent (recurrences, page
//! markup, feed entries) checks its budget, so a hostile document costs one source a
//! warning, never a core for minutes.
//!
//! The budget counts the calling thread's own CPU time (`CLOCK_THREAD_CPUTIME_ID`), not
//! wall time, so a busy machine does not make honest documents fail.

use std::time::Duration;

/// CPU time one document may take to read, by default.
pub const DOCUMENT_CPU: Duration = Duration::from_secs(2);

/// The budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("reading it took more than {} s of processor time; abandoned", .0.as_secs_f32())]
pub struct Exhausted(pub Duration);

/// The budget ran out between the entries of a feed: how many were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{exhausted} after {read} of {total} entries")]
pub struct EntriesCut {
    pub exhausted: Exhausted,
    /// Entries read before it ran out.
    pub read: usize,
    pub total: usize,
}

/// A CPU-time allowance for the current thread. Checking is cheap; call it in loops.
#[derive(Debug, Clone)]
pub struct Budget {
    start: Duration,
    limit: Duration,
    checks: u32,
    spent: bool,
}

impl Budget {
    /// `limit` of CPU time from now, on this thread.
    pub fn new(limit: Duration) -> Budget {
        Budget {
            start: thread_cpu_time(),
            limit,
            checks: 0,
            spent: false,
        }
    }

    /// The default per-document budget.
    pub fn document() -> Budget {
        Budget::new(DOCUMENT_CPU)
    }

    /// A budget that never runs out (tests of other things).
    pub fn unlimited() -> Budget {
        Budget::new(Duration::MAX)
    }

    /// Whether the budget is spent. Reads the clock every 256th call.
    pub fn check(&mut self) -> Result<(), Exhausted> {
        if self.spent {
            return Err(Exhausted(self.limit));
        }
        self.checks = self.checks.wrapping_add(1);
        if self.checks % 256 == 0 && self.used() > self.limit {
            self.spent = true;
            return Err(Exhausted(self.limit));
        }
        Ok(())
    }

    /// Whether the budget is spent, reading the clock now.
    pub fn check_now(&mut self) -> Result<(), Exhausted> {
        if self.spent || self.used() > self.limit {
            self.spent = true;
            return Err(Exhausted(self.limit));
        }
        Ok(())
    }

    /// CPU time used since the budget was made.
    pub fn used(&self) -> Duration {
        thread_cpu_time().saturating_sub(self.start)
    }
}

/// This thread's CPU time so far.
fn thread_cpu_time() -> Duration {
    let mut spec = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `spec` is a valid, writable timespec; the call only writes to it.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut spec) };
    if status != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(spec.tv_sec).unwrap_or(0),
        u32::try_from(spec.tv_nsec).unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_runs_out_on_cpu_work_only() {
        let mut budget = Budget::new(Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(30));
        assert!(budget.check_now().is_ok(), "sleeping costs no CPU");
        let mut spins = 0u64;
        while budget.check().is_ok() {
            spins = spins.wrapping_add(1);
            std::hint::black_box(spins);
        }
        assert!(budget.used() >= Duration::from_millis(20));
        assert!(budget.check().is_err(), "stays spent");
    }
}
