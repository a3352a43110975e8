//! Ci's rate-limit headers (`X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`,
//! `Retry-After`), which the service sends on every answer, ordinary 200s included.
//!
//! Read them with [`RateLimitExt::rate_limit`] on a [`ResponseValue`] or an [`Error`], or with
//! [`RateLimit::from_headers`] on any header map. `Retry-After` on a success answer is not
//! throttling; only a 429 or 503 is, and those are retried by the runtime (idempotent calls only,
//! waiting `Retry-After` when it is at most [`RetryPolicy::max_retry_after`](crate::RetryPolicy)).

use crate::runtime::RateLimit;
use crate::{Error, ResponseValue};

/// The rate-limit headers of an answer.
pub trait RateLimitExt {
    /// The `X-RateLimit-*` and `Retry-After` headers; absent or malformed ones are `None`.
    fn rate_limit(&self) -> RateLimit;
}

impl<T> RateLimitExt for ResponseValue<T> {
    fn rate_limit(&self) -> RateLimit {
        RateLimit::from_headers(self.headers())
    }
}

impl RateLimitExt for Error {
    /// For an [`Error::Api`] the answer's headers; for other errors all fields are `None`.
    fn rate_limit(&self) -> RateLimit {
        self.api_error()
            .map(|e| RateLimit::from_headers(&e.headers))
            .unwrap_or_default()
    }
}
