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

/// Builds an HTTP client with the SDKs' defaults: the build's TLS ([`tls`](crate::tls)), the
/// given timeouts, no total timeout, a
/// `dam-runtime/<version>` user agent, and redirects followed only within one origin — a redirect
/// to another origin is followed by the request pipeline *without* credentials (reqwest itself
/// would keep custom credential headers such as IntelligenceBank's `sid`). One such client can be
/// shared by the clients of every SDK crate (pass it to each builder's `http_client`), so they
/// share one connection pool; a client built otherwise should not follow redirects
/// (`reqwest::redirect::Policy::none()`), or credentials may follow one to another host.
pub fn http_client(timeouts: Timeouts) -> Result<reqwest::Client, Error> {
    http_client_with_agent(timeouts, concat!("dam-runtime/", env!("CARGO_PKG_VERSION")))
}

/// Redirects within the origin of the first request, at most 10 of them.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if attempt.previous().len() >= 10 {
            attempt.error("more than 10 redirects")
        } else if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// [`http_client`] with another `User-Agent` (each SDK's builder names itself).
pub fn http_client_with_agent(timeouts: Timeouts, user_agent: &str) -> Result<reqwest::Client, Error> {
    let builder = reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .user_agent(user_agent)
        .redirect(same_origin_redirects());
    crate::tls::configure(builder)?.build().map_err(Error::from)
}

/// Checks a base URL given to a builder: it must parse, be `http` or `https` with a host, and —
/// because credentials travel with every call — plain `http` is refused unless the host is a
/// loopback address (`localhost`, `127.0.0.1`, `::1`: tests, simulators) or `allow_http` is set.
/// `argument` names the builder setting in the error. Returns the URL without a trailing `/`.
pub fn check_base_url(argument: &str, url: &str, allow_http: bool) -> Result<String, Error> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| Error::InvalidInput(format!("{argument}: {url:?} is not a URL ({e})")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => {
            return Err(Error::InvalidInput(format!("{argument}: {url:?} has no host")));
        }
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback || allow_http => {}
        "http" => {
            return Err(Error::InvalidInput(format!(
                "{argument}: {url:?} is plain http to a host that is not loopback; credentials would travel unencrypted (use https, or opt in with allow_http)"
            )));
        }
        other => {
            return Err(Error::InvalidInput(format!(
                "{argument}: {url:?} has the scheme {other:?}; use https"
            )));
        }
    }
    Ok(url.trim().trim_end_matches('/').to_string())
}

/// A non-empty credential, or [`Error::InvalidInput`] naming the argument.
pub fn check_credential(argument: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        Err(Error::InvalidInput(format!("{argument} is empty")))
    } else {
        Ok(())
    }
}

/// When a credential that lives `lifetime` should be renewed: `margin` before it expires, but
/// never earlier than halfway through its life. With a 5-minute margin a 30-day token is renewed 5
/// minutes before it expires, and a 120-second token after 60 seconds — not on every call.
pub fn renew_after(lifetime: std::time::Duration, margin: std::time::Duration) -> std::time::Duration {
    lifetime - margin.min(lifetime / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lived_credentials_are_renewed_halfway() {
        let m = Duration::from_secs(300);
        assert_eq!(renew_after(Duration::from_secs(120), m), Duration::from_secs(60));
        assert_eq!(renew_after(Duration::from_secs(86400), m), Duration::from_secs(86100));
        assert_eq!(renew_after(Duration::ZERO, m), Duration::ZERO);
    }

    #[test]
    fn base_urls_must_be_https_unless_loopback() {
        assert_eq!(
            check_base_url("base_url", "https://api.example.com/", false).unwrap(),
            "https://api.example.com"
        );
        assert!(check_base_url("base_url", "http://127.0.0.1:8080", false).is_ok());
        assert!(check_base_url("base_url", "http://localhost:1", false).is_ok());
        assert!(check_base_url("base_url", "http://[::1]:1", false).is_ok());
        let e = check_base_url("base_url", "http://api.example.com", false).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(m) if m.starts_with("base_url:")),
            "{e}"
        );
        assert!(check_base_url("base_url", "http://api.example.com", true).is_ok());
        assert!(check_base_url("base_url", "not a url", false).is_err());
        assert!(check_base_url("base_url", "ftp://x.example", false).is_err());
        assert!(
            matches!(check_credential("api_secret", " "), Err(Error::InvalidInput(m)) if m == "api_secret is empty")
        );
    }

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
