//! The authentication seam: each SDK crate implements [`Authenticator`] in its `auth.rs`.

use std::fmt;

use futures_util::future::BoxFuture;
use http::{HeaderName, HeaderValue};

use crate::Error;

/// How a client puts credentials on requests. Each SDK crate implements it in `auth.rs`.
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Adds credentials to a request about to be sent, logging in first if needed.
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>>;

    /// Adds credentials at once when nothing needs to be awaited (a fixed token, or a cached one
    /// that is still fresh): `Some` with the outcome, or `None` to go through
    /// [`authorize`](Self::authorize). The pipeline tries it first, so a call that finds fresh
    /// credentials allocates no future for them. Default: `None`.
    fn authorize_now(&self, _request: &mut reqwest::Request) -> Option<Result<(), Error>> {
        None
    }

    /// Writes credentials that travel in the query into the text of a generated call's URL,
    /// before the URL is parsed (see [`write_query`](crate::write_query)): `url` is the base URL
    /// and path, with at most the operation's fixed query. [`authorize_now`](Self::authorize_now)
    /// then finds them in place, or replaces them when they are no longer current. Default: nothing.
    fn write_query(&self, _url: &mut String) {}

    /// Called after the service refused `rejected` with one of the provider's re-auth statuses.
    /// Obtains fresh credentials unless another caller already did (compare what `rejected`
    /// carried with the current credentials), so many concurrent failures cause one refresh.
    ///
    /// `rejected` has the refused request's method and URL and its *sensitive* headers only (the
    /// first three): the pipeline keeps those instead of a copy of every request, so credentials
    /// an authenticator puts in headers must be marked sensitive (as [`set_header`] does).
    fn reauthenticate<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>>;

    /// Whether this authenticator adds credentials at all. A client without any (token endpoints,
    /// storage services, public calls) never tries to renew them after a refusal.
    fn has_credentials(&self) -> bool {
        true
    }

    /// Whether refused credentials can be renewed (a login or a refresh token is available). When
    /// they cannot (a fixed token, a saved session, a personal access token), a refusal is returned
    /// as the service's [`Error::Api`]; when renewal is tried and fails, as [`Error::Auth`].
    fn can_renew(&self) -> bool {
        true
    }

    /// What to wait for before the client may send its next request (a client-side rate limit),
    /// or `None` when there is nothing to wait for. The pipeline calls it before *every*
    /// attempt — resends after a throttle, a broken connection or a renewal included — so a quota
    /// holds for everything that goes on the wire. Default: `None` (no wait, nothing allocated).
    fn pace(&self) -> Option<BoxFuture<'_, ()>> {
        None
    }

    /// The concrete authenticator, for crate code that needs its own type back from a
    /// [`ClientState`](crate::ClientState) (e.g. to read the current session). Default: `None`.
    fn as_any(&self) -> Option<&(dyn std::any::Any + Send + Sync)> {
        None
    }
}

/// Sends requests without credentials.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAuth;

impl Authenticator for NoAuth {
    fn authorize<'a>(&'a self, _: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
    fn authorize_now(&self, _: &mut reqwest::Request) -> Option<Result<(), Error>> {
        Some(Ok(()))
    }
    fn reauthenticate<'a>(&'a self, _: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Err(Error::Auth("this client has no credentials to renew".into())) })
    }
    fn has_credentials(&self) -> bool {
        false
    }
    fn can_renew(&self) -> bool {
        false
    }
}

/// Sets a header value, refusing values that are not valid header text. `sensitive` marks the
/// value so HTTP/2 never indexes it and `Debug` output hides it.
pub fn set_header(request: &mut reqwest::Request, name: HeaderName, value: &str, sensitive: bool) -> Result<(), Error> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::InvalidInput(format!("credential for {name} is not valid header text")))?;
    value.set_sensitive(sensitive);
    request.headers_mut().insert(name, value);
    Ok(())
}
