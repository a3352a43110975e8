//! Rate-limit headers.

use std::time::Duration;

use http::HeaderMap;

/// Rate-limit headers (`X-RateLimit-*`, `Retry-After`) of an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// `X-RateLimit-Limit`.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset` (UNIX seconds).
    pub reset: Option<u64>,
    /// `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl RateLimit {
    /// Reads the rate-limit headers; absent or malformed ones are `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let num = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        };
        Self {
            limit: num("x-ratelimit-limit"),
            remaining: num("x-ratelimit-remaining"),
            reset: num("x-ratelimit-reset"),
            retry_after: crate::retry_after(headers),
        }
    }
}
