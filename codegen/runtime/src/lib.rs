//! The runtime shared by the DAM SDK crates of this workspace (`sdk-skyfish`, `sdk-ci`,
//! `sdk-mediagraph`, `sdk-intelligencebank`): typed errors, the request pipeline (auth seam,
//! retries with backoff and `Retry-After`, one `tracing` span per call), tolerant scalar types for
//! messy responses, pagination and transfer helpers.
//!
//! Each SDK crate re-exports this crate as `sdk_x::runtime` and its common types at its root
//! (`sdk_x::Error`, `sdk_x::RetryPolicy`, …). They are the *same* types in every SDK, so an
//! application that talks to several providers configures retries and timeouts once, shares one
//! connection pool, and can write code that is generic over providers:
//!
//! ```
//! # fn main() -> Result<(), dam_runtime::Error> {
//! use dam_runtime::{RetryPolicy, Timeouts};
//!
//! // One connection pool for every provider's client.
//! let http = dam_runtime::http_client(Timeouts::default())?;
//! let retry = RetryPolicy { max_attempts: 5, ..RetryPolicy::default() };
//! # let _ = (http, retry);
//! # Ok(())
//! # }
//! ```
//!
//! Provider-specific facts (name, request-id header, the statuses after which credentials are
//! renewed, the operations sent without credentials or safe to retry) are a [`ProviderInfo`] value
//! that each SDK's generated code hands to the runtime; nothing here knows a provider by name.
//!
//! # Errors
//!
//! Every call of every SDK returns [`Error`], generated or hand-written. Match on what happened:
//!
//! | variant | what happened |
//! | --- | --- |
//! | [`Error::Api`] | the service refused: `status`, `code`, `message`, `request_id`, and the whole answer in `details` |
//! | [`Error::Auth`] | credentials were refused and could not be renewed, or sign-in failed |
//! | [`Error::Transport`] | the service could not be reached, or the connection was lost mid-answer |
//! | [`Error::Decode`] | a success answer did not fit the model: the operation, the field path and a bounded excerpt |
//! | [`Error::InvalidInput`] | the caller's input cannot be sent (a missing parameter, an unreadable file name) |
//! | [`Error::UnexpectedStatus`] | a success status the operation does not model, with its body kept |
//!
//! ```
//! # async fn demo(result: Result<(), dam_runtime::Error>) {
//! use dam_runtime::Error;
//! match result {
//!     Ok(()) => {}
//!     Err(Error::Api { status, message, request_id, .. }) if status.as_u16() == 404 => {
//!         eprintln!("not found: {message:?} (request {request_id:?})");
//!     }
//!     Err(Error::Transport(e)) => eprintln!("network trouble: {e}"),
//!     Err(other) => eprintln!("{other}"),
//! }
//! # }
//! ```
//!
//! # Transport defaults
//!
//! - **No `api-version` header.** progenitor adds `api-version: <spec version>` to every request (an
//!   Oxide convention); no provider here asks for it, and the generator removes it.
//! - **No total timeout.** progenitor's generated `Client::new` sets a total timeout (15 s by default;
//!   this workspace generates 300 s), which would cut off large uploads and downloads. The SDKs'
//!   builders use [`http_client`] instead: [`Timeouts`] of 30 s to connect and 120 s of read silence,
//!   and no limit on a transfer that keeps moving. Pass your own `reqwest::Client` to a builder's
//!   `http_client` for other settings (or to share one pool between providers).
//! - **Retries** ([`RetryPolicy`]): idempotent calls are retried on 429, 503 and connection errors, at
//!   most 3 attempts, with jittered exponential backoff (250 ms doubling, capped at 10 s) that honours
//!   `Retry-After` up to 60 s. POSTs (unless the spec marks them idempotent) and streamed bodies are
//!   never resent.
//! - **TLS** ([`tls`]): rustls with the `ring` crypto provider and the platform's certificate
//!   verifier by default; `aws-lc-rs` and `native-tls` are features. HTTP/2 is the `http2` feature
//!   (HTTP/1.1 only without it).
//! - **Tracing:** every call runs in a `dam_request` span (provider, operation, method, status,
//!   attempts, duration, request id); URLs, headers and bodies are never recorded.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod auth;
mod config;
pub mod de;
mod error;
mod lists;
mod paging;
mod pipeline;
mod provider;
mod query;
mod rate_limit;
mod scalars;
mod secret;
pub mod tls;
mod transfer;

pub use auth::{Authenticator, NoAuth, set_header};
pub use config::{
    RetryPolicy, Timeouts, check_base_url, check_credential, http_client, http_client_with_agent, renew_after,
};
pub use error::{ApiError, Error, ErrorBody, grant_refused, redact};
#[cfg(feature = "schemars")]
pub use lists::open_enum_schema;
pub use lists::{deserialize_open_string, join_display, split_parse};
pub use paging::{Page, paginate, paginate_sized};
pub use pipeline::{
    Build, ClientState, Idempotency, MakeRequest, call_empty, call_json, call_stream, decode_json, execute, json_body,
    prepare, retry_after, send, write_query,
};
pub use provider::{Operation, ProviderInfo};
pub use query::{QueryText, URL_ROOM};
pub use rate_limit::RateLimit;
pub use scalars::{LooseBool, LooseFloat, LooseId, LooseInt, Timestamp};
pub use secret::Secret;
#[cfg(feature = "rustls")]
pub use tls::rustls_config;
pub use transfer::{
    DownloadReport, FILE_CHUNK, OnProgress, Progress, Resume, content_range, copy_to_writer, counting_body, download,
    download_to_file, file_body, file_body_with_progress, file_chunks,
};

/// progenitor's response wrapper and byte stream, which generated calls return.
pub use progenitor_client::{ByteStream, ResponseValue};
