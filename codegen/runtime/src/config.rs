//! Retry policy, timeouts and the HTTP client the SDKs build.

use std::time::Duration;

use crate::Error;

/// Retry behaviour for idempotent calls (GET, HEAD, PUT, DELETE and POSTs the spec marks
/// idempotent) that fail with 429, 503 or a connection error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first (1 disables retries).
    pub max_attempts: u32,
    /// First backoff; doubles per attempt, with jitter.
    pub initial_backoff: Duration,
    /// Longest backoff between two attempts.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is returned instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1): exponential with "equal
    /// jitter" (half fixed, half random), capped at `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Timeouts of the HTTP client the SDK builds. There is deliberately no total timeout: a 2 GiB
/// download must not be cut off; a stalled one is caught by `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Time to establish a connection.
    pub connect: Duration,
    /// Longest silence while waiting for response bytes.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(30),
            read: Duration::from_secs(120),
        }
    }
}

/// Builds an HTTP client with the SDKs' defaults: the given timeouts, no total timeout, a
/// `dam-runtime/<version>` user agent. One such client can be shared by the clients of every SDK
/// crate (pass it to each builder's `http_client`), so they share one connection pool.
pub fn http_client(timeouts: Timeouts) -> Result<reqwest::Client, Error> {
    http_client_with_agent(timeouts, concat!("dam-runtime/", env!("CARGO_PKG_VERSION")))
}

/// [`http_client`] with another `User-Agent` (each SDK's builder names itself).
pub fn http_client_with_agent(timeouts: Timeouts, user_agent: &str) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .user_agent(user_agent)
        .build()
        .map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let p = RetryPolicy::default();
        for attempt in 1..40 {
            let b = p.backoff(attempt);
            assert!(b <= p.max_backoff, "{b:?}");
            assert!(b >= p.initial_backoff.min(p.max_backoff) / 2);
        }
    }
}
