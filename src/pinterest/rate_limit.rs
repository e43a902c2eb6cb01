//! One limiter per token, shared by everything that uses the token: a token bucket per
//! Pinterest rate-limit category, plus a pause that a 429 answer imposes on every caller.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Pinterest's categories: customer-list and audience writes are `ads_write`, reads `ads_read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Read,
    Write,
}

/// Calls per minute per category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub writes_per_minute: u32,
    pub reads_per_minute: u32,
}

impl Default for RateLimits {
    /// Standard access: 400 writes a minute; reads are assumed at 1,000 (sources disagree).
    fn default() -> Self {
        RateLimits {
            writes_per_minute: 400,
            reads_per_minute: 1000,
        }
    }
}

/// Times are seconds since the limiter was made, so the arithmetic is plain floats.
struct Bucket {
    capacity: f64,
    tokens: f64,
    per_second: f64,
    updated: f64,
}

impl Bucket {
    /// A burst of a twentieth of the minute's calls, and a rate that fills the rest: no
    /// sliding 60-second window ever sees more than `per_minute` calls, so the server's own
    /// limit is never tripped, while 95% of it is used.
    fn new(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(1));
        let capacity = (per_minute / 20.0).floor().max(1.0);
        Bucket {
            capacity,
            tokens: capacity,
            per_second: ((per_minute - capacity) / 60.0).max(1.0 / 60.0),
            updated: 0.0,
        }
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self, now: f64) -> Option<Duration> {
        let elapsed = (now - self.updated).max(0.0);
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            // At least a millisecond: a wait that rounds to nothing would not move the clock
            // and the caller would spin.
            let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.per_second);
            Some(wait.max(Duration::from_millis(1)))
        }
    }
}

struct Inner {
    origin: Instant,
    reads: Bucket,
    writes: Bucket,
    paused_until: Option<Instant>,
}

pub struct RateLimiter {
    inner: Mutex<Inner>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter {
            inner: Mutex::new(Inner {
                origin: Instant::now(),
                reads: Bucket::new(limits.reads_per_minute),
                writes: Bucket::new(limits.writes_per_minute),
                paused_until: None,
            }),
        }
    }

    /// Waits for a slot; returns how long it waited.
    pub async fn acquire(&self, kind: RequestKind) -> Duration {
        let started = Instant::now();
        loop {
            let wait = {
                let mut inner = self.inner.lock().await;
                let now = Instant::now();
                let seconds = (now - inner.origin).as_secs_f64();
                match inner.paused_until.filter(|&until| until > now) {
                    Some(until) => Some(until - now),
                    None => match kind {
                        RequestKind::Read => inner.reads.take(seconds),
                        RequestKind::Write => inner.writes.take(seconds),
                    },
                }
            };
            match wait {
                None => return started.elapsed(),
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// After a 429: nobody using this token sends anything for `duration`.
    pub async fn pause_for(&self, duration: Duration) {
        let mut inner = self.inner.lock().await;
        let until = Instant::now() + duration;
        if inner.paused_until.is_none_or(|current| current < until) {
            inner.paused_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a bucket with a simulated clock: when it says wait, time moves by that much.
    fn time_for(calls: usize, per_minute: u32) -> f64 {
        let mut bucket = Bucket::new(per_minute);
        let mut now = 0.0;
        let mut done = 0;
        while done < calls {
            match bucket.take(now) {
                None => done += 1,
                Some(wait) => now += wait.as_secs_f64(),
            }
        }
        now
    }

    #[test]
    fn no_minute_ever_sees_more_than_the_limit() {
        // A burst of three (a twentieth of 60), then 57 a minute: 60 calls take a minute.
        let sixty = time_for(60, 60);
        assert!((59.0..61.0).contains(&sixty), "{sixty}");
        // 600 a minute: the 601st call comes after the first minute.
        assert!(time_for(601, 600) >= 60.0);
        // And the rate is 95% of the limit over a long run.
        let per_minute = 6000.0 / time_for(6000, 600) * 60.0;
        assert!((565.0..=600.0).contains(&per_minute), "{per_minute}");
    }

    #[tokio::test]
    async fn a_pause_holds_every_caller() {
        let limiter = RateLimiter::new(RateLimits::default());
        limiter.pause_for(Duration::from_millis(150)).await;
        let waited = limiter.acquire(RequestKind::Read).await;
        assert!(waited >= Duration::from_millis(140), "{waited:?}");
    }
}
