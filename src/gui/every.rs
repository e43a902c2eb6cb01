//! The clock of a recurring chore (re-reading statuses, jobs, sampling throughput, keeping
//! tokens fresh): due at once, then once per period, and due again at once when what it reads
//! has changed.

use std::time::{Duration, Instant};

pub struct Every {
    period: Duration,
    last: Option<Instant>,
}

impl Every {
    pub const fn new(period: Duration) -> Every {
        Every { period, last: None }
    }

    /// True when the chore has never run or a period has passed; a new period starts then.
    pub fn due(&mut self) -> bool {
        self.due_if(true)
    }

    /// As `due`, but once the chore has run, only while `wanted`.
    pub fn due_if(&mut self, wanted: bool) -> bool {
        let due = match self.last {
            None => true,
            Some(last) => wanted && last.elapsed() >= self.period,
        };
        if due {
            self.last = Some(Instant::now());
        }
        due
    }

    /// Makes the chore due at once: what it reads has changed.
    pub fn expire(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_at_once_then_once_per_period() {
        let mut every = Every::new(Duration::from_secs(3600));
        assert!(every.due());
        assert!(!every.due());
        every.expire();
        assert!(every.due_if(false), "expired: due again at once");
        let mut wanted = Every::new(Duration::ZERO);
        assert!(
            wanted.due_if(false),
            "the first time is due whatever is wanted"
        );
        assert!(!wanted.due_if(false));
        assert!(wanted.due_if(true));
    }
}
