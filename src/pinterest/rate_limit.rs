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

struct Bucket {
    capacity: f64,
    tokens: f64,
    per_second: f64,
    updated: Instant,
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
            updated: Instant::now(),
        }
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self, now: Instant) -> Option<Duration> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }
}

struct Inner {
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
                match inner.paused_until.filter(|&until| until > now) {
                    Some(until) => Some(until - now),
                    None => match kind {
                        RequestKind::Read => inner.reads.take(now),
                        RequestKind::Write => inner.writes.take(now),
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

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_to_the_limit() {
        let limiter = RateLimiter::new(RateLimits {
            writes_per_minute: 60,
            reads_per_minute: 600,
        });
        let started = Instant::now();
        // Three go at once (a twentieth of a minute), then 57 a minute.
        for _ in 0..60 {
            limiter.acquire(RequestKind::Write).await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        assert!((59.5..60.5).contains(&elapsed), "{elapsed}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_caller() {
        let limiter = RateLimiter::new(RateLimits::default());
        limiter.pause_for(Duration::from_secs(30)).await;
        let waited = limiter.acquire(RequestKind::Read).await;
        assert!(waited >= Duration::from_secs(30), "{waited:?}");
    }
}
