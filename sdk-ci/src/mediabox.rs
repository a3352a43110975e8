//! Opening and browsing MediaBoxes whose security rating is not `Secure`.
//!
//! `open_mediabox` and `list_mediabox_contents` take the credentials the MediaBox's security
//! rating asks for: `Secure` the caller's bearer token (any client from [`Client::builder`]),
//! `Protected` HTTP Basic whose password is the MediaBox password (the user name is ignored; an
//! empty one is sent), `Public` no `Authorization` header at all. [`Client::for_mediabox`] gives a
//! client that sends the latter two, so the generated operations and
//! [`Client::mediabox_contents_stream`] work unchanged.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use futures_util::future::BoxFuture;

use crate::runtime::{self, Authenticator, ClientState, Secret};
use crate::{Client, Error};

/// The credentials for a MediaBox that is not `Secure`.
#[derive(Clone, PartialEq, Eq)]
pub enum MediaBoxAccess {
    /// A `Protected` MediaBox: `Authorization: Basic base64(":" + password)`.
    Password(Secret),
    /// A `Public` MediaBox: no credentials.
    Public,
}

impl fmt::Debug for MediaBoxAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaBoxAccess::Password(_) => f.write_str("Password([redacted])"),
            MediaBoxAccess::Public => f.write_str("Public"),
        }
    }
}

impl Authenticator for MediaBoxAccess {
    /// A MediaBox password cannot be renewed: a refusal is returned as it is.
    fn can_renew(&self) -> bool {
        false
    }

    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            match self {
                MediaBoxAccess::Password(password) => {
                    let basic = base64::engine::general_purpose::STANDARD.encode(format!(":{}", password.expose()));
                    runtime::set_header(request, reqwest::header::AUTHORIZATION, &format!("Basic {basic}"), true)
                }
                MediaBoxAccess::Public => {
                    request.headers_mut().remove(reqwest::header::AUTHORIZATION);
                    Ok(())
                }
            }
        })
    }

    fn reauthenticate<'a>(&'a self, _: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Err(Error::Auth("MediaBox credentials cannot be renewed".into())) })
    }
}

impl Client {
    /// A client for a `Protected` or `Public` MediaBox: the same base URL, HTTP client and retry
    /// policy, but MediaBox credentials instead of the bearer token. Use it for `open_mediabox`,
    /// `list_mediabox_contents` and [`Client::mediabox_contents_stream`]; other operations need
    /// the normal client.
    pub fn for_mediabox(&self, access: MediaBoxAccess) -> Client {
        let state = ClientState::new(&crate::PROVIDER, Arc::new(access), self.inner.retry_policy());
        Client::new_with_client(&self.baseurl, self.client.clone(), state)
    }
}
