//! Typed async client for the Mediagraph API.
//!
//! Every operation of `specs/mediagraph.yaml` is a method on [`Client`] that returns a request
//! builder: set parameters, then `.send().await`. Models are in [`types`]. The generated code
//! lives in `generated.rs` (never edited by hand); the shared runtime (errors, retries, tracing,
//! tolerant scalars) in [`runtime`]. Hand-written beside it: credentials and the client builder
//! ([`auth`]), uploads ([`upload`]), resumable downloads ([`download`]), paged listings as streams
//! ([`pagination`]), bulk jobs ([`bulk_jobs`]), sharing by link and by share ([`sharing`]), the
//! polling settings of both ([`poll`]) and bare-or-wrapped detail answers ([`wrapped`]). With the
//! `simulator` feature, `simulator` serves the whole API in-process for tests (see
//! [Testing your code](#testing-your-code)).
//!
//! # Coverage
//!
//! The spec has every operation of Mediagraph's own published spec (version 1.2.0, 219
//! operations: assets and search, collections, lightboxes, storage folders, tags, taxonomies,
//! uploads, downloads, and access requests, automatic tags, bulk jobs, collection shares, comments,
//! contributions, creator tags, crop presets, custom meta fields, filter groups, ingestions,
//! invites, metadata imports, notifications, permissions, personal access tokens, rights
//! packages, saved searches, share links, shares, taggings, user groups, webhooks and workflows),
//! plus `set_asset_upload_complete` (`GET /api/assets/{guid}/set_uploaded`), which that spec omits
//! although its own client calls it — 220 generated operations. The provider's spec's known errors
//! are corrected in ours: path parameters are in the path, array parameters travel as `key[]=`,
//! and values have real types. `tests/coverage.rs` fails if an operation of the provider's spec
//! is missing.
//!
//! # Write bodies
//!
//! Rails nests a written record under its resource key (`{"tag": {...}}`), so each write body is
//! a wrapper ([`types::TagBody`]) around a typed record ([`types::NewTag`]) whose required fields
//! are not `Option`s. Every record has an `extra` map for fields this SDK does not list; they are
//! sent as given:
//!
//! ```no_run
//! # async fn run(client: &sdk_mediagraph::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use sdk_mediagraph::types;
//! let mut tag: types::NewTag = types::NewTag::builder()
//!     .name("Biennale")
//!     .sub_type(types::TagSubType::Event)
//!     .try_into()?;
//! tag.extra.insert("artwork_creator".into(), serde_json::json!("A. Artist"));
//! let created = client.create_tag().body(types::TagBody { tag }).send().await?;
//! # Ok(()) }
//! ```
//!
//! # Quick start
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use sdk_mediagraph::{Client, DownloadOptions, UploadFile, UploadOptions};
//!
//! # async fn run() -> Result<(), sdk_mediagraph::Error> {
//! // A Personal Access Token and the organization id from "Profile Settings".
//! let client = Client::builder()
//!     .personal_access_token("8b5913aea36379a098fb4187d8a5face", 100)
//!     .build()?;
//!
//! // Search: one page, or every match as a stream (page by page).
//! let page = client.search_assets().q("sunset").per_page(25).send().await?;
//! println!("{} assets on the first page", page.assets.len());
//! let all: Vec<_> = client.search_assets().q("sunset").per_page(100).into_stream().try_collect().await?;
//!
//! // Download the first match into a file; a broken transfer resumes with a Range request.
//! if let Some(id) = all.first().and_then(|a| a.id.as_ref()).and_then(|id| id.as_str().parse().ok()) {
//!     let report = client.download_asset_to_file(id, "download.jpg", &DownloadOptions::default()).await?;
//!     println!("{} bytes", report.bytes);
//! }
//!
//! // Upload a local file (streamed from disk) into a new upload session.
//! let options = UploadOptions { name: Some("From the SDK".into()), ..Default::default() };
//! let outcome = client.upload_files(vec![UploadFile::path("photo.jpg")], &options).await?;
//! println!("created asset {:?}", outcome.assets[0].guid);
//! # Ok(())
//! # }
//! ```
//!
//! # Authentication
//!
//! - **Personal Access Token**: [`ClientBuilder::personal_access_token`] sends
//!   `Authorization: Basic base64(":" + token)` and `OrganizationId: <id>` on every call. A
//!   refused token cannot be renewed; the call fails with [`Error::Api`] (status 401).
//! - **OAuth 2 (authorization code with PKCE S256)** on `https://mediagraph.io`
//!   ([`OAuthConfig::host`] changes it): [`OAuthConfig::start_authorization`] gives the URL to open
//!   (`/oauth/authorize?response_type=code&client_id&redirect_uri&scope&state&code_challenge&code_challenge_method=S256`),
//!   [`AuthorizationRequest::code_from_redirect`] reads the code from the redirect and checks the
//!   state, [`OAuthConfig::exchange_code`] trades it for tokens (`POST /oauth/token`,
//!   form-urlencoded, with the `code_verifier`) and returns an [`OAuthSession`] for
//!   [`ClientBuilder::oauth`]. Calls then carry `Authorization: Bearer …` (no `OrganizationId`).
//!   The access token is refreshed 5 minutes before it expires and once after a 401 — a single
//!   refresh for any number of concurrent calls — and a new refresh token from the answer is kept
//!   ([`OAuthSession::tokens`] to persist them, [`OAuthConfig::session`] to restore them).
//!   [`OAuthSession::revoke`] revokes the token (`POST /oauth/revoke`).
//!
//! Tokens, refresh tokens, client secrets and PKCE verifiers are [`Secret`]s: they never appear
//! in `Debug` output, logs or errors.
//!
//! ```no_run
//! use sdk_mediagraph::{Client, OAuthConfig};
//! # async fn run(redirected_to: &str) -> Result<(), sdk_mediagraph::Error> {
//! let config = OAuthConfig::new("my-client-id", "https://app.example/callback").scope("read write");
//! let request = config.start_authorization()?;
//! println!("open {}", request.url);
//! // ... the user signs in and is redirected to `redirected_to` ...
//! let code = request.code_from_redirect(redirected_to)?;
//! let session = config.exchange_code(&code, &request.pkce).await?;
//! let client = Client::builder().oauth(session.clone()).build()?;
//! let me = client.who_am_i().send().await?;
//! println!("signed in as {:?}", me.name);
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Every call returns [`Error`] — generated and hand-written alike, with no conversion — and it is
//! the same type in every DAM SDK crate ([`runtime::Error`]). Match on what happened:
//!
//! - [`Error::Api`]: the service refused. `status`, the provider's `code` and `message` (the
//!   message text alone), the `request_id` (`X-Request-Id`) and, in `details`, the whole body as
//!   [`ErrorBody`] (Mediagraph's `{error, message}`, `{error_description}` and `{errors: …}`; an HTML proxy page or an empty body is kept in `raw`), the headers
//!   and `Retry-After`.
//! - [`Error::Transport`]: the service could not be reached, or the connection broke mid-answer.
//! - [`Error::Decode`]: a success answer did not fit the model; it names the operation, the field
//!   path (`items[3].created`) and a bounded excerpt.
//! - [`Error::InvalidInput`]: the caller's input cannot be sent; nothing was sent.
//! - [`Error::Auth`]: credentials were refused and could not be renewed. A refused token exchange or refresh is [`Error::Auth`].
//! - [`Error::UnexpectedStatus`]: a success status the operation does not model, with its body.
//! - [`Error::JobFailed`]: a bulk job or share the SDK waits for ended in failure;
//!   [`Error::Timeout`]: it was still running when the [`PollOptions`] were spent.
//!
//! Nothing from the network panics.
//!
//! ```no_run
//! # async fn run(client: sdk_mediagraph::Client) {
//! use sdk_mediagraph::Error;
//!
//! match client.get_asset().id("42").send().await {
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
//!   of concurrent calls (`tests/auth.rs::a_short_lived_token_is_not_refreshed_on_every_call`).
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
//!   answer is never written as content (`tests/flows.rs::a_broken_download_resumes_with_a_range_and_is_byte_identical`, `tests/flows.rs::a_file_that_changed_before_the_resume_is_never_spliced`;
//!   `codegen/runtime/tests/wire.rs::a_file_that_changed_is_never_spliced`).
//! - **Credentials never travel to storage URLs:** URLs a service hands out are fetched without
//!   credentials, decided by where the URL came from, not its host; the signed PUT of an upload carries no Mediagraph credential (`tests/flows.rs::upload_runs_all_five_steps_and_streams_the_file_to_the_signed_url`).
//! - **Bad input gets a clear error:** an unusable base URL, an empty credential, a missing upload
//!   file or a zero page size is [`Error::InvalidInput`] naming the argument, before any request
//!   (`tests/auth.rs::bad_input_is_refused_before_any_request`).
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
//! # Retries
//!
//! Idempotent calls (GET, HEAD, PUT, DELETE) are retried on 429, 503 and connection errors with
//! jittered exponential backoff that honours `Retry-After` ([`ClientBuilder::retry_policy`]).
//! POSTs (creating records, preparing uploads, token requests) and the upload `PUT` of a stream
//! are never retried.
//!
//! # Pagination
//!
//! Listings page with `page` (search, tags, taxonomy tags, contributions, invites, metadata
//! imports, …) or with `current` and `pageSize` (access requests, bulk jobs, share links, shares,
//! user groups, webhooks). Their builders have `into_stream()` (e.g.
//! [`builder::SearchAssets::into_stream`], [`builder::ListWebhooks::into_stream`]): a
//! `futures_util::Stream` of every item that stops on an empty page or once the `Total-Entries` header
//! says all were seen. See [`pagination`] for the list.
//!
//! # Detail answers, bare or wrapped
//!
//! The service may answer `{"asset": {...}}` or the bare record; [`Bare::into_bare`] returns the
//! record either way (see [`wrapped`]).
//!
//! # Hand-written flows and operations
//!
//! - [`Client::upload_files`]: create an upload session → prepare each asset → `PUT` the bytes to
//!   its `signed_upload_url` (streamed, no Mediagraph credentials) → `set_uploaded` → `set_done`.
//!   The steps are public too ([`Client::start_upload`], [`Client::upload_to_session`],
//!   [`Client::put_signed_upload`]), and [`Client::upload_version`] adds a data version.
//! - [`Client::download_asset_to`], [`Client::download_asset_to_file`]: streamed downloads that
//!   resume with `Range: bytes=<written>-` after a broken connection.
//! - [`Client::run_bulk_job`]: starts a bulk job and polls it by GUID until it is processed
//!   ([`Error::JobFailed`] when it errors or is canceled, [`Error::Timeout`] when the
//!   [`PollOptions`] are spent); [`Client::wait_for_bulk_job`] waits for a job started elsewhere.
//! - [`Client::share_assets_by_link`]: a lightbox with the assets and a share link to it, in one
//!   call; [`Client::create_share_and_wait`] and [`Client::wait_for_share`]: a share, awaited
//!   until its files are prepared.
//!
//! # Testing your code
//!
//! The `simulator` feature (off by default; add it under `[dev-dependencies]`, e.g.
//! `sdk-mediagraph = { version = "0.1", features = ["simulator"] }`) adds `simulator::Simulator`:
//! the Mediagraph API in-process on loopback, port 0, with working credentials and a ready
//! client. Test your integration against it offline and in CI:
//!
//! ```no_run
//! # #[cfg(feature = "simulator")]
//! # mod doc {
//! # // `#[test]` items are not compiled outside `cargo test`; this makes the body type-checked.
//! # mod tokio { pub use ::tokio::*; pub use ::tokio::main as test; }
//! use std::time::Duration;
//!
//! use sdk_mediagraph::simulator::{Fault, Simulator};
//! use sdk_mediagraph::{Client, Error, PollOptions, types};
//!
//! /// The code under test: tags every asset a search finds, with one bulk job.
//! async fn tag_matches(client: &Client, query: &str, tag: &str) -> Result<usize, Error> {
//!     let found = client.search_assets().q(query).per_page(100).send().await?.into_inner();
//!     let ids: Vec<i64> = found.assets.iter().filter_map(|a| a.id.as_ref()?.as_str().parse().ok()).collect();
//!     let job = types::NewBulkJob::builder()
//!         .asset_ids(ids.clone())
//!         .tag_names(vec![tag.to_string()])
//!         .tag_mode(types::TagMode::Add);
//!     let poll = PollOptions { interval: Duration::from_millis(10), ..PollOptions::default() };
//!     client.run_bulk_job(job, poll).await?;
//!     Ok(ids.len())
//! }
//!
//! #[tokio::test]
//! async fn tags_what_it_finds() -> Result<(), Error> {
//!     let sim = Simulator::start().await?; // seeded: a dozen assets, three of sunsets
//!     let client = sim.client(); // Personal Access Token + OrganizationId, fast retries
//!     assert_eq!(tag_matches(&client, "sunset", "golden-hour").await?, 3);
//!     let tagged = client.search_assets().tags(vec!["golden-hour".into()]).send().await?;
//!     assert_eq!(tagged.assets.len(), 3);
//!
//!     // The service has a bad moment: one 503 with Retry-After, which the SDK retries.
//!     sim.inject(Fault::status(503).retry_after(1).path("/api/assets/search"));
//!     // OAuth access tokens expire: move the clock, and the SDK refreshes by itself.
//!     let oauth = sim.builder().oauth(sim.oauth_session().await?).build()?;
//!     sim.clock().advance(Duration::from_secs(3 * 3600));
//!     assert_eq!(tag_matches(&oauth, "sunset", "dusk").await?, 3);
//!
//!     // Every request, as the service received it.
//!     let jobs = sim.requests().iter().filter(|r| r.path == "/api/bulk_jobs").count();
//!     assert_eq!(jobs, 2);
//!     Ok(())
//! }
//! # }
//! ```
//!
//! # Simulator
//!
//! `simulator::Simulator` (feature `simulator`) serves every operation of the spec from the
//! route table the generator emits, so it follows regeneration: a wrong method is 405 with
//! `Allow`, a missing or mistyped required parameter 400, a body of another content type 415, in
//! Mediagraph's `{"error", "message"}` shape. It enforces the Personal Access Token and
//! `OrganizationId` (401 and 403) and OAuth with PKCE S256 (codes, expiring access tokens on a
//! clock tests can move, rotating refresh tokens, revocation) on the same loopback server, which
//! also plays the storage service behind signed upload URLs. Stateful: assets and search
//! (`page`/`per_page`, `Total-Entries`), updates that keep unknown fields, tags, data versions,
//! ranged downloads (206, `If-Range`, `HEAD`), the upload flow with its bytes kept, collections,
//! lightboxes, storage folders, bulk jobs and shares that finish over polls, share links and
//! personal access tokens; the other operations answer the spec's examples after the same
//! checks. Tests steer it: faults on the next N matching calls, the clock, `seed_assets(10_000)`,
//! `add_file` with a multi-GiB generated file, and the request log. The module documentation
//! has the details. `cargo run -p sdk-mediagraph --example mediagraph-tour --features simulator` runs the
//! crate's main flows against it.
//!
//! # Not generated
//!
//! [`NOT_GENERATED`] lists the one operation that is described but not generated: "Upload One or
//! More Assets From URLs" (`upload_assets_from_urls`). The provider's document lost its method and
//! path, and neither facts.md nor the provider's published spec has it, so it is neither
//! generated nor hand-written.
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
pub mod bulk_jobs;
pub mod download;
pub mod pagination;
pub mod poll;
pub mod sharing;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod upload;
pub mod wrapped;

pub use auth::{AuthorizationRequest, ClientBuilder, OAuthConfig, OAuthSession, PersonalAccessToken, Pkce, TokenSet};
pub use download::{DownloadOptions, DownloadReport};
pub use generated::{ByteStream, Client, NOT_GENERATED, PROVIDER, ResponseValue, builder, types};
pub use poll::PollOptions;
pub use runtime::{ApiError, Error, ErrorBody, RetryPolicy, Secret, Timeouts};
pub use sharing::SharedByLink;
pub use upload::{UploadFile, UploadOptions, UploadOutcome};
pub use wrapped::Bare;
