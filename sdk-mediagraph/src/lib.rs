//! Typed async client for the Mediagraph API.
//!
//! Every operation of `specs/mediagraph.yaml` is a method on [`Client`] that returns a request
//! builder: set parameters, then `.send().await`. Models are in [`types`]. The generated code
//! lives in `generated.rs` (never edited by hand); the shared runtime (errors, retries, tracing,
//! tolerant scalars) in [`runtime`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[allow(missing_docs, clippy::all, unused_imports, dead_code)]
#[rustfmt::skip]
mod generated;
pub mod runtime;

pub use generated::{ByteStream, Client, NOT_GENERATED, ResponseValue, builder, types};
pub use runtime::{Error, ErrorBody, RetryPolicy, Secret, Timeouts};

impl Client {
    /// A client without credentials, for public endpoints and tests: the SDK's HTTP client
    /// (connect and read timeouts, no total timeout) and the default retry policy.
    pub fn unauthenticated(base_url: &str) -> Result<Self, Error> {
        let http = runtime::http_client(Timeouts::default())?;
        Ok(Client::new_with_client(base_url, http, runtime::ClientState::unauthenticated()))
    }
}
