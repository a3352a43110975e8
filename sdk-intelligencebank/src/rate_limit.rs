//! A client-side limit on calls, so one client stays under IntelligenceBank's published limit of
//! 600 calls per minute per user (facts.md), which counts v2 and v3 calls together.
//!
//! How it works: every request of a [`Client`](crate::Client) — v2 and v3, generated and
//! hand-written, and the logins that renew its session — first takes a permit from the client's
//! [`RateLimiter`]. When none is free the call waits (it is not refused). The limiter is a GCRA
//! (`governor`): after a burst of [`CallQuota::burst`] calls, permits come one every
//! [`CallQuota::interval`], where the interval is `per / (calls - burst + 1)`, rounded up to the
//! nanosecond. That makes the quota hold in *every* window of length `per`, not only in windows
//! aligned to the client's start: a server that counts 600 calls in any sliding minute never sees
//! 601 from one client.
//!
//! The limit is on by default ([`CallQuota::PUBLISHED`]); set another quota or turn it off with
//! [`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit), or share one limiter between
//! several clients of the same user with [`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter).
//!
//! Limits of the approach: the runtime resends a request after 429/503 or a broken connection
//! without asking the authenticator again, so those resends (which already wait for `Retry-After`
//! or a backoff) do not take a permit; and the service counts calls when they arrive, so network
//! delays that bunch requests together can still, rarely, push one over.
//!
//! Tests drive the limiter with a [`ManualClock`] instead of waiting: its waits move that clock
//! forward, and a test server can read the same clock.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::{Clock, FakeRelativeClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter as Gcra};

use crate::Error;

/// How many calls a client may start in a period, and how many of them may come at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallQuota {
    calls: NonZeroU32,
    per: Duration,
    burst: NonZeroU32,
}

impl CallQuota {
    /// The provider's published limit: 600 calls per minute, in bursts of up to 10 (one second's
    /// worth); afterwards one call every ~101.5 ms.
    pub const PUBLISHED: CallQuota = CallQuota {
        calls: NonZeroU32::new(600).unwrap(),
        per: Duration::from_secs(60),
        burst: NonZeroU32::new(10).unwrap(),
    };

    /// At most `calls` calls in any period of length `per`, in bursts of up to one second's worth
    /// (`calls` × 1 s / `per`, at least 1). Fails with [`Error::InvalidInput`] when `per` is zero.
    pub fn new(calls: NonZeroU32, per: Duration) -> Result<Self, Error> {
        if per.is_zero() {
            return Err(Error::InvalidInput(
                "a call quota needs a period longer than zero".into(),
            ));
        }
        let per_second =
            (u128::from(calls.get()) * 1_000_000_000 / per.as_nanos().max(1)).clamp(1, u128::from(calls.get()));
        let burst = NonZeroU32::new(u32::try_from(per_second).unwrap_or(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Self { calls, per, burst })
    }

    /// At most `calls` calls in any minute.
    pub fn per_minute(calls: NonZeroU32) -> Self {
        let burst = NonZeroU32::new((calls.get() / 60).max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            calls,
            per: Duration::from_secs(60),
            burst,
        }
    }

    /// Lets up to `burst` calls go at once (at most [`calls`](Self::calls)); a bigger burst makes
    /// the steady pace after it slower, so the quota still holds in every period.
    pub fn with_burst(mut self, burst: NonZeroU32) -> Self {
        self.burst = burst.min(self.calls);
        self
    }

    /// The calls allowed in any period.
    pub fn calls(&self) -> NonZeroU32 {
        self.calls
    }

    /// The period.
    pub fn per(&self) -> Duration {
        self.per
    }

    /// How many calls may go at once.
    pub fn burst(&self) -> NonZeroU32 {
        self.burst
    }

    /// The spacing of calls once a burst is spent: `per / (calls - burst + 1)`, rounded up to the
    /// nanosecond, so that no period of length `per` ever holds more than `calls` calls.
    pub fn interval(&self) -> Duration {
        let slots = u128::from(self.calls.get() - self.burst.get() + 1);
        let nanos = self.per.as_nanos().div_ceil(slots).max(1);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    fn governor_quota(&self) -> Quota {
        Quota::with_period(self.interval())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(self.burst)
    }
}

impl Default for CallQuota {
    /// [`CallQuota::PUBLISHED`].
    fn default() -> Self {
        Self::PUBLISHED
    }
}

/// The real clock: time since the limiter was made, from `std::time::Instant` (monotonic).
///
/// governor's own `MonotonicClock` needs its `std` feature, which also builds `parking_lot` and
/// `futures-timer` for waiting methods this module does not use (it waits with `tokio::time`).
#[derive(Debug, Clone, Copy)]
struct Monotonic {
    start: Instant,
}

impl Default for Monotonic {
    fn default() -> Self {
        Self { start: Instant::now() }
    }
}

impl Clock for Monotonic {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.start.elapsed())
    }
}

/// A clock that moves only when told to, for tests: a [`RateLimiter`] on it moves it forward
/// instead of sleeping, and a test server can read it to count calls per (simulated) minute.
/// Clones share one time.
#[derive(Clone, Default)]
pub struct ManualClock {
    inner: FakeRelativeClock,
}

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time since the clock was made (as far as it has been moved).
    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.inner.now().as_u64())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.inner.advance(by);
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock").field("now", &self.now()).finish()
    }
}

/// Hands out permits for calls at the pace of a [`CallQuota`]. Clones share one budget, so one
/// limiter can pace several clients of the same user.
#[derive(Clone)]
pub struct RateLimiter {
    quota: CallQuota,
    pace: Arc<Pace>,
}

enum Pace {
    /// Waits on the monotonic clock with `tokio::time::sleep`.
    Real(Gcra<NotKeyed, InMemoryState, Monotonic>),
    /// Waits by moving a [`ManualClock`]; one waiter at a time, so concurrent waiters do not move
    /// it further than needed.
    Manual {
        limiter: Gcra<NotKeyed, InMemoryState, FakeRelativeClock, NoOpMiddleware<Nanos>>,
        clock: ManualClock,
        turn: Mutex<()>,
    },
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clock = match &*self.pace {
            Pace::Real(_) => "monotonic",
            Pace::Manual { .. } => "manual",
        };
        f.debug_struct("RateLimiter")
            .field("quota", &self.quota)
            .field("clock", &clock)
            .finish()
    }
}

impl RateLimiter {
    /// A limiter on the real (monotonic) clock.
    pub fn new(quota: CallQuota) -> Self {
        let limiter = Gcra::direct_with_clock(quota.governor_quota(), Monotonic::default());
        Self {
            quota,
            pace: Arc::new(Pace::Real(limiter)),
        }
    }

    /// A limiter on a [`ManualClock`] (for tests): waiting for a permit moves `clock` to the
    /// moment the permit is free, instead of sleeping.
    pub fn with_manual_clock(quota: CallQuota, clock: ManualClock) -> Self {
        let limiter = Gcra::direct_with_clock(quota.governor_quota(), clock.inner.clone());
        Self {
            quota,
            pace: Arc::new(Pace::Manual {
                limiter,
                clock,
                turn: Mutex::new(()),
            }),
        }
    }

    /// The quota this limiter keeps.
    pub fn quota(&self) -> CallQuota {
        self.quota
    }

    /// Waits until a call may start, and takes its permit.
    pub async fn until_ready(&self) {
        match &*self.pace {
            Pace::Real(limiter) => {
                while let Err(not_until) = limiter.check() {
                    tokio::time::sleep(not_until.wait_time_from(limiter.clock().now())).await;
                }
            }
            Pace::Manual { limiter, clock, turn } => {
                let _turn = turn.lock().unwrap_or_else(PoisonError::into_inner);
                while let Err(not_until) = limiter.check() {
                    clock.advance(not_until.wait_time_from(clock.inner.now()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    #[test]
    fn the_published_quota_paces_600_a_minute_after_bursts_of_ten() {
        let q = CallQuota::PUBLISHED;
        assert_eq!(
            (q.calls().get(), q.per(), q.burst().get()),
            (600, Duration::from_secs(60), 10)
        );
        // 60 s / 591, rounded up.
        assert_eq!(q.interval(), Duration::from_nanos(101_522_843));
        assert_eq!(CallQuota::default(), q);
        assert_eq!(CallQuota::per_minute(NonZeroU32::new(600).unwrap()), q);
        assert_eq!(
            CallQuota::new(NonZeroU32::new(600).unwrap(), Duration::from_secs(60)).unwrap(),
            q
        );
    }

    #[test]
    fn quotas_keep_their_burst_within_their_calls() {
        let five = CallQuota::per_minute(NonZeroU32::new(5).unwrap());
        assert_eq!(five.burst().get(), 1);
        assert_eq!(five.interval(), Duration::from_secs(12));
        let all_at_once = five.with_burst(NonZeroU32::new(50).unwrap());
        assert_eq!(all_at_once.burst().get(), 5);
        assert_eq!(all_at_once.interval(), Duration::from_secs(60));
        assert!(CallQuota::new(NonZeroU32::MIN, Duration::ZERO).is_err());
    }

    /// The most grants that fall into any window of length `per` (a sliding window).
    fn busiest_window(grants: &[Duration], per: Duration) -> usize {
        let mut window = VecDeque::new();
        let mut most = 0;
        for &t in grants {
            window.push_back(t);
            while window.front().is_some_and(|&first| t - first >= per) {
                window.pop_front();
            }
            most = most.max(window.len());
        }
        most
    }

    /// 1,500 tasks wait at once. (On this single-threaded test runtime each task takes its permit
    /// and reads the clock without being interrupted, so the recorded times are the grant times.)
    #[tokio::test]
    async fn many_waiters_never_exceed_the_quota_in_any_window() {
        let clock = ManualClock::new();
        let limiter = RateLimiter::with_manual_clock(CallQuota::PUBLISHED, clock.clone());
        let grants = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..1500)
            .map(|_| {
                let (limiter, clock, grants) = (limiter.clone(), clock.clone(), grants.clone());
                tokio::spawn(async move {
                    limiter.until_ready().await;
                    grants.lock().unwrap().push(clock.now());
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let mut grants = grants.lock().unwrap().clone();
        grants.sort();
        assert_eq!(grants.len(), 1500);
        assert_eq!(busiest_window(&grants, Duration::from_secs(60)), 600);
        // The first ten go at once; then one per interval, without waiting longer than needed.
        assert_eq!(grants[9], Duration::ZERO);
        assert_eq!(grants[10], CallQuota::PUBLISHED.interval());
        assert_eq!(*grants.last().unwrap(), CallQuota::PUBLISHED.interval() * 1490);
    }

    #[tokio::test]
    async fn a_real_clock_limiter_lets_a_burst_through_at_once() {
        let limiter = RateLimiter::new(CallQuota::PUBLISHED);
        let started = std::time::Instant::now();
        for _ in 0..10 {
            limiter.until_ready().await;
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(format!("{limiter:?}").contains("monotonic"));
    }

    #[tokio::test]
    async fn a_real_clock_limiter_waits_for_the_next_permit() {
        // One call at once, then one every 100 ms: the third permit comes no sooner than 200 ms
        // after the first (a clock that did not move would never hand it out; one that ran fast
        // would hand it out early).
        let quota = CallQuota::new(NonZeroU32::new(10).unwrap(), Duration::from_secs(1))
            .unwrap()
            .with_burst(NonZeroU32::MIN);
        assert_eq!(quota.interval(), Duration::from_millis(100));
        let limiter = RateLimiter::new(quota);
        let started = std::time::Instant::now();
        for _ in 0..3 {
            limiter.until_ready().await;
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(200), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
}
