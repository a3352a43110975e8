//! Typed async client for the Sony Ci Media Cloud API.
//!
//! Every operation of `specs/ci.yaml` is a method on [`Client`] that returns a request
//! builder: set parameters, then `.send().await`. Models are in [`types`]. The generated code
//! lives in `generated.rs` (never edited by hand); the shared runtime (errors, retries, tracing,
//! tolerant scalars) in [`runtime`]. Hand-written beside it: OAuth 2 ([`auth`]), uploads to the
//! upload host ([`upload`]), resumable asset downloads ([`download`]), paging streams
//! ([`pagination`]), MediaBox credentials ([`mediabox`]) and rate-limit headers ([`rate_limit`]).
//!
//! # Quick start
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use sdk_ci::{Client, RateLimitExt, types::ContentKind};
//!
//! # async fn run() -> Result<(), sdk_ci::Error> {
//! let client = Client::builder()
//!     .client_credentials("my-client-id", "my-client-secret")
//!     .user_credentials("me@example.com", "my-password")
//!     .build()?;
//!
//! // One page, with the rate-limit headers of the answer.
//! let page = client.list_workspaces().limit(10).send().await?;
//! println!("{:?} calls left", page.rate_limit().remaining);
//! for workspace in &page.items {
//!     println!("{:?} {:?}", workspace.id, workspace.name);
//! }
//!
//! // Every asset of a folder, fetched page by page as the stream is read.
//! if let Some(root) = page.items.first().and_then(|w| w.root_folder_id.clone()) {
//!     let assets: Vec<_> = client
//!         .folder_contents_stream(&root, Some(ContentKind::Asset))
//!         .try_collect()
//!         .await?;
//!     println!("{} assets", assets.len());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Uploads and downloads
//!
//! The provider's document is cut off before its asset and upload sections; what the live service
//! offers (facts.md, "Beyond the documents") is in the spec: the asset operations are generated
//! (`get_asset`, `get_asset_download`, `delete_asset`, `get_assets_details`, `archive_asset`,
//! `copy_assets`), the uploads — on a second host, `https://io.cimediacloud.com`, with the same
//! bearer token — are hand-written.
//!
//! [`Client::upload`] puts a file into a workspace and returns the new asset's id: below
//! [`Upload::multipart_threshold`] (10 MiB) in one `multipart/form-data` request, above it in
//! 1-based parts of [`Upload::part_size`] (10 MiB), at most [`Upload::parts_in_flight`] (4) at
//! once, each streamed from the file (memory stays flat whatever the size), then completed. A
//! failed part is sent again alone; a part that keeps failing ends the upload with
//! [`Error::JobFailed`] naming it (`part 7 of 12 …`), and the upload is not completed. Progress
//! (bytes sent / total) comes through [`Upload::on_progress`] or as a stream of [`UploadEvent`]s
//! ([`Upload::events`]). The upload host follows the client's base URL (`api.…` becomes `io.…`;
//! any other base URL, such as a simulator's, serves uploads itself); [`Upload::io_base_url`]
//! points it elsewhere.
//!
//! [`Client::download_asset`] / [`Client::download_asset_to_file`] fetch the source file or a
//! proxy ([`Rendition`]) from the signed `location` that `get_asset_download` hands out — without
//! the bearer token — streamed, and resumed after a broken connection with `Range` and
//! `If-Range` (never joining two versions of a file), with progress through
//! [`Resume::on_progress`].
//!
//! ```no_run
//! # async fn run(client: sdk_ci::Client) -> Result<(), sdk_ci::Error> {
//! use std::sync::Arc;
//! use sdk_ci::{Rendition, Resume, types::ProxyType};
//!
//! let asset_id = client
//!     .upload("workspace-id")
//!     .folder("folder-id")
//!     .on_progress(|p| println!("sent {} of {:?} bytes", p.done, p.total))
//!     .file("interview.mov")
//!     .await?;
//!
//! let options = Resume {
//!     on_progress: Some(Arc::new(|p| println!("got {} of {:?} bytes", p.done, p.total))),
//!     ..Resume::default()
//! };
//! client
//!     .download_asset_to_file(&asset_id, &Rendition::Proxy(ProxyType::VideoHd), "preview.mp4", &options)
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Authentication
//!
//! [`Client::builder`] takes the API client's id and secret and the user's Ci credentials
//! (password grant: `Authorization: Basic base64(username:password)`, form body
//! `grant_type=password&client_id=…&client_secret=…`) and/or a saved refresh token. The first
//! call signs in; the access token is cached for `expires_in` seconds, renewed with the refresh
//! token 60 s before it runs out and once after a 401 (one renewal for any number of concurrent
//! calls), and the password grant is the fallback when the refresh token is refused. Each token
//! answer carries a new refresh token: read it with [`OAuth::token_state`] (from
//! [`ClientBuilder::build_with_auth`]) or receive it in [`ClientBuilder::on_token_refresh`].
//! [`Client::delegate_token`] issues a delegate token for one asset and scope. Protected and
//! Public MediaBoxes are opened through [`Client::for_mediabox`]. Passwords, secrets and tokens
//! are [`Secret`]s: they never appear in `Debug` output, logs or errors.
//!
//! # Errors
//!
//! Every call returns [`Error`] — generated and hand-written alike, with no conversion — and it is
//! the same type in every DAM SDK crate ([`runtime::Error`]). Match on what happened:
//!
//! - [`Error::Api`]: the service refused. `status`, the provider's `code` and `message` (the
//!   message text alone), the `request_id` (`X-Request-Id`) and, in `details`, the whole body as
//!   [`ErrorBody`] (Ci's `{code, message}` (code and message apart) and OAuth's `{error, error_description}`; an HTML proxy page or an empty body is kept in `raw`), the headers
//!   and `Retry-After`.
//! - [`Error::Transport`]: the service could not be reached, or the connection broke mid-answer.
//! - [`Error::Decode`]: a success answer did not fit the model; it names the operation, the field
//!   path (`items[3].created`) and a bounded excerpt.
//! - [`Error::InvalidInput`]: the caller's input cannot be sent; nothing was sent.
//! - [`Error::Auth`]: credentials were refused and could not be renewed. A refused sign-in or refresh is [`Error::Auth`] with the provider's description.
//! - [`Error::UnexpectedStatus`]: a success status the operation does not model, with its body.
//!
//! Nothing from the network panics.
//!
//! ```no_run
//! # async fn run(client: sdk_ci::Client) {
//! use sdk_ci::Error;
//!
//! match client.get_workspace().workspace_id("w-1").send().await {
//!     Ok(answer) => println!("{:?}", answer.into_inner()),
//!     Err(Error::Api { status, message, request_id, .. }) if status.as_u16() == 404 => {
//!         println!("not found: {message:?} (request id {request_id:?})")
//!     }
//!     Err(Error::Transport(e)) => println!("network trouble, try later: {e}"),
//!     Err(other) => println!("{other}"),
//! }
//! # }
//! ```
//!
//! # Guarantees
//!
//! Each line is checked by the named test (in this crate unless a path says otherwise;
//! `codegen/integration/tests/guarantees.rs` runs the same checks on all four crates).
//!
//! - **Retries as documented:** idempotent calls (GET, HEAD, PUT, DELETE, POSTs the spec marks
//!   idempotent) are resent after 429/503 and after a connection that failed, was reset or closed
//!   before the answer was complete; uploads, other POSTs and streamed bodies are never resent
//!   (`guarantees.rs::idempotent_calls_are_resent_after_a_reset_connection_and_creations_are_not`,
//!   `codegen/runtime/tests/wire.rs::idempotent_calls_are_resent_after_a_connection_closed_mid_answer`).
//! - **Success is success:** any 2xx the service may send is a success — a creation answered 201
//!   returns the created object, a call without a body of interest accepts 202/204
//!   (`guarantees.rs::a_creation_answered_201_returns_the_created_object`,
//!   `codegen/fixture-sdk/tests/runtime.rs::every_plausible_success_status_is_a_success`). A
//!   documented success with another body arrives as [`Error::UnexpectedStatus`] with its body.
//! - **One renewal, whatever the credential's lifetime:** credentials are renewed a margin before
//!   they expire but never before half their life ([`runtime::renew_after`]), once for any number
//!   of concurrent calls (`tests/auth.rs::a_short_lived_token_is_not_renewed_on_every_call`).
//! - **Lossless models:** every model except closed request bodies keeps the keys it does not know
//!   in `extra` and sends them back, so a read-modify-write never drops a field
//!   (`guarantees.rs::models_keep_keys_they_do_not_know`,
//!   `codegen/fixture-sdk/tests/runtime.rs::read_modify_write_keeps_every_key_the_service_sent`).
//! - **Values as services send them:** `80.0` or `"80"` for an integer, numeric text for a number,
//!   `0`/`1` or `"true"`/`"false"` for a flag, `[]` for an empty object and `null` for any field
//!   decode; integers are never saturated, `NaN`/`inf` are not numbers, epoch milliseconds are
//!   milliseconds, `+0100` offsets and RFC 2822 dates parse (`tests/generated_examples.rs`: every
//!   answer example with each field bent that way; `dam_runtime::de` unit tests).
//! - **Decode errors say where:** [`Error::Decode`] names the operation and the field path
//!   (`items[3].createdBy`) with an excerpt of at most 200 characters, withheld when the answer can
//!   hold a credential (`guarantees.rs::a_bad_item_is_named_by_its_path`).
//! - **Resumed downloads are never spliced:** a resume sends `If-Range` with the first answer's
//!   validator; a changed file is [`Error::Changed`] (a file on disk restarts from zero), and an error
//!   answer is never written as content (`tests/download.rs::a_broken_download_resumes_with_range_and_if_range`;
//!   `codegen/runtime/tests/wire.rs::a_file_that_changed_is_never_spliced`).
//! - **Credentials never travel to storage URLs:** URLs a service hands out are fetched without
//!   credentials, decided by where the URL came from, not its host; signed download locations get no bearer token (`tests/download.rs::the_source_and_a_proxy_come_from_signed_locations_without_the_bearer_token`).
//! - **Bad input gets a clear error:** an unusable base URL, an empty credential, a missing upload
//!   file or a zero page size is [`Error::InvalidInput`] naming the argument, before any request
//!   (`tests/auth.rs::bad_input_is_refused_before_any_request`, `tests/upload.rs::bad_settings_and_missing_files_fail_before_anything_is_sent`).
//! - **Credentials only over TLS:** a plain-`http` base URL to a host that is not loopback is
//!   refused unless the builder's `allow_http(true)`; a redirect to another origin carries no token,
//!   cookie or credential header (`codegen/runtime/tests/wire.rs::redirects_to_another_origin_carry_no_credentials`,
//!   with the HTTP client of [`runtime::http_client`]).
//! - **The spec says what the wire does:** CI validates every example against its schema and every
//!   request the tests send — one call of every generated operation included
//!   (`tests/generated_requests.rs`) — against the spec with independent validators
//!   (`cargo xtask lint`, `cargo xtask check-requests`).
//!
//! # Transport
//!
//! The builder creates its own HTTP client: 30 s to connect, 120 s of read silence, and **no total
//! timeout**, so large uploads and downloads are not cut off (progenitor's generated
//! `Client::new`, which sets a total timeout, is not used). progenitor's `api-version` header is
//! removed from every request; the service does not ask for it. See
//! [`runtime`'s transport defaults](runtime#transport-defaults).
//!
//! # Retries and rate limits
//!
//! Idempotent calls (GET, PUT, DELETE, `list_events` and `get_assets_details`) are retried on
//! 429, 503 and connection errors, with jittered exponential backoff that honours `Retry-After`
//! ([`ClientBuilder::retry_policy`]); other POSTs and other errors are not retried. Ci sends
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` on every answer: read them
//! with [`RateLimitExt::rate_limit`] or `runtime::RateLimit::from_headers(response.headers())`.
//!
//! # Pagination
//!
//! Every listing with `limit`/`offset` has a `stream()` method on its builder and a shortcut on
//! [`Client`] ([`Client::workspaces_stream`], [`Client::folder_contents_stream`],
//! [`Client::workspace_contents_stream`], [`Client::trash_bin_stream`], [`Client::search_stream`],
//! [`Client::received_mediaboxes_stream`], [`Client::mediabox_contents_stream`],
//! [`Client::network_events_stream`], [`Client::events_stream`]): a `futures_util::Stream` of items that
//! requests 50 at a time and stops on an empty page or at `count`.
//!
//! # Testing your code
//!
//! With the `simulator` feature, `simulator::Simulator` runs Sony Ci in-process on loopback: no
//! account, no network. `Simulator::start().await?` gives its URL, working credentials and a
//! signed-in client (`sim.client()`); code under test takes that client (or a [`ClientBuilder`]
//! from `sim.builder()`) instead of one built from production credentials. Tests can seed it
//! (thousands of assets, multi-GiB generated files), inject faults, move its clock and read its
//! request log:
//!
//! ```toml
//! [dev-dependencies]
//! sdk-ci = { version = "0.1", features = ["simulator"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! This is `tests/testing_your_code.rs`, which runs with the crate's own tests:
//!
//! ```rust,ignore
#![doc = include_str!("../tests/testing_your_code.rs")]
//! ```
//!
//! # Simulator
//!
//! What the `simulator` module simulates, in short (its module docs have the details; they are
//! built with the feature, as on docs.rs):
//!
//! - the OAuth grants (password with Basic credentials, refresh with rotation), access tokens that
//!   expire after `expires_in` and refresh tokens after 14 days **on a clock tests move**
//!   (`sim.clock()`), delegate tokens, and the document's refusals (`invalid_request`,
//!   `unsupported_grant_type`, `invalid_client`);
//! - `X-RateLimit-*` and `Retry-After` on every answer, 429 above a configurable calls-per-minute;
//! - every request checked against the route table generated from the spec: 404, 405 with
//!   `Allow`, 400 for missing or mistyped parameters, 415 for a wrong body type, in Ci's
//!   `{code, message}` shape, plus the listings' own checks (`InvalidLimitOrOffset`, …);
//! - workspaces, folders (tree, trash, bulk operations, metadata), assets, search, and uploads
//!   (single request and multipart) with their bytes kept; download locations signed and served
//!   with `Range` by the same server; MediaBoxes and event feeds from the spec's examples;
//! - faults on the next matching calls (status with `Retry-After`, reset, truncated body,
//!   malformed JSON, delay) and the request log, from `dam-test-server`.
//!
//! `cargo run -p sdk-ci --example ci-tour --features simulator` runs the crate's main flows against
//! it (or against the live service when `CI_CLIENT_ID`, `CI_CLIENT_SECRET`, `CI_USERNAME` and
//! `CI_PASSWORD` are set).
//!
//! # Not generated
//!
//! [`NOT_GENERATED`] lists the spec operations progenitor does not generate:
//!
//! - the four upload operations on the upload host (`upload_singlepart`,
//!   `create_multipart_upload`, `upload_part`, `complete_multipart_upload`), which
//!   [`Client::upload`] sends;
//! - `list_mediabox_folder_contents` ("MediaBox Folder Contents"): the provider's document is cut
//!   off before its method and path, so it is not available until a source confirms them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[allow(missing_docs, clippy::all, unused_imports, dead_code)]
#[rustfmt::skip]
mod generated;
/// The simulator's route table, generated from the spec.
#[cfg(feature = "simulator")]
#[allow(dead_code)]
mod generated_routes;
/// The shared runtime (`dam-runtime`): errors, the request pipeline, tolerant scalars, paging.
pub use dam_runtime as runtime;

pub mod auth;
pub mod download;
pub mod mediabox;
pub mod pagination;
pub mod rate_limit;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod upload;

pub use auth::{ClientBuilder, DelegateToken, OAuth, TokenState};
pub use download::Rendition;
pub use generated::{ByteStream, Client, NOT_GENERATED, PROVIDER, ResponseValue, builder, types};
pub use mediabox::MediaBoxAccess;
pub use rate_limit::RateLimitExt;
pub use runtime::{
    ApiError, DownloadReport, Error, ErrorBody, Progress, RateLimit, Resume, RetryPolicy, Secret, Timeouts,
};
pub use upload::{Upload, UploadEvent};
