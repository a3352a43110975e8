//! Typed async client for the Skyfish (Colourbox) API.
//!
//! Every operation of `specs/skyfish.yaml` is a method on [`Client`] that returns a request
//! builder: set parameters, then `.send().await`. Models are in [`types`]. The generated code
//! lives in `generated.rs` (never edited by hand); the shared runtime (errors, retries, tracing,
//! tolerant scalars) in [`runtime`]. Hand-written beside it: the HMAC login and client builder
//! ([`auth`]), uploads ([`upload`]), downloads and ZIP files ([`download`]), video stream URLs
//! ([`stream`]) and search paging ([`pagination`]).
//!
//! # Quick start
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use sdk_skyfish::types::ReturnValue;
//! use sdk_skyfish::{Client, PollOptions};
//!
//! # async fn run() -> Result<(), sdk_skyfish::Error> {
//! // Log in with the application's API key and secret and the user's credentials.
//! let client = Client::builder()
//!     .credentials("my-api-key", "my-api-secret", "me@example.com", "my-password")
//!     .build()?;
//!
//! // Search: one page, or every hit as a stream (500 per request).
//! let page = client
//!     .search_media()
//!     .q("cat")
//!     .return_values(vec![ReturnValue::UniqueMediaId, ReturnValue::Title])
//!     .media_count(10)
//!     .send()
//!     .await?;
//! println!("{:?} hits", page.response.as_ref().and_then(|r| r.hits));
//! let all: Vec<_> = client
//!     .search_media()
//!     .q("cat")
//!     .return_values(vec![ReturnValue::UniqueMediaId])
//!     .into_stream(500)
//!     .try_collect()
//!     .await?;
//!
//! // Download the first hit's original file.
//! if let Some(id) = all.first().and_then(|m| m.unique_media_id.clone()) {
//!     let mut file = tokio::fs::File::create("download.jpg").await?;
//!     let bytes = client.download_media(id, None, &mut file).await?;
//!     println!("{bytes} bytes");
//! }
//!
//! // Upload a file into folder 1234 and wait until it is imported.
//! let media_id = client
//!     .upload(1234)
//!     .wait_for_import(PollOptions::default())
//!     .file("photo.jpg")
//!     .await?;
//! println!("uploaded media {media_id}");
//! # Ok(())
//! # }
//! ```
//!
//! # Authentication
//!
//! [`Client::builder`] takes the API key and secret and the user's name and password
//! ([`ClientBuilder::credentials`]). The first call logs in with `POST /authenticate/userpasshmac`
//! (`ts` = UNIX seconds, `hmac` = hex HMAC-SHA1 of `"{key}:{ts}"` keyed with the secret, see
//! [`auth::login_hmac`]); every call then carries `Authorization: CBX-SIMPLE-TOKEN Token=…`. The
//! token is renewed by logging in again 5 minutes before its `validUntil` and once after a 401 —
//! one login for any number of concurrent calls. A client can also start from a stored token
//! ([`ClientBuilder::token`]); without credentials it never logs in and a refused token is an
//! [`Error::Api`] with status 401. [`Client::authorized_url`] makes a URL usable without the
//! header (the `authorization` query parameter of §8.3). Secrets, passwords and tokens are
//! [`Secret`]s: they never appear in `Debug` output, logs or errors.
//!
//! # Errors
//!
//! Every call returns [`Error`] — generated and hand-written alike, with no conversion — and it is
//! the same type in every DAM SDK crate ([`runtime::Error`]). Match on what happened:
//!
//! - [`Error::Api`]: the service refused. `status`, the provider's `code` and `message` (the
//!   message text alone), the `request_id` (`X-Cbx-Request-Id`) and, in `details`, the whole body as
//!   [`ErrorBody`] (Skyfish's `{"message": …}`; an HTML proxy page or an empty body is kept in `raw`), the headers
//!   and `Retry-After`.
//! - [`Error::Transport`]: the service could not be reached, or the connection broke mid-answer.
//! - [`Error::Decode`]: a success answer did not fit the model; it names the operation, the field
//!   path (`items[3].created`) and a bounded excerpt.
//! - [`Error::InvalidInput`]: the caller's input cannot be sent; nothing was sent.
//! - [`Error::Auth`]: credentials were refused and could not be renewed. Polling flows that run out of time fail with [`Error::Timeout`]; a failed ZIP job is [`Error::JobFailed`].
//! - [`Error::UnexpectedStatus`]: a success status the operation does not model, with its body.
//!
//! Nothing from the network panics.
//!
//! ```no_run
//! # async fn run(client: sdk_skyfish::Client) {
//! use sdk_skyfish::Error;
//!
//! match client.get_media().id(42).send().await {
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
//!   of concurrent calls (`tests/auth.rs::a_short_lived_token_is_renewed_once_not_per_call`).
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
//!   answer is never written as content (`tests/flows.rs::downloads_of_handed_out_urls_carry_no_token_even_on_the_api_host` (a cut file without a validator is `Error::Changed`);
//!   `codegen/runtime/tests/wire.rs::a_file_that_changed_is_never_spliced`).
//! - **Credentials never travel to storage URLs:** URLs a service hands out are fetched without
//!   credentials, decided by where the URL came from, not its host; download locations, ZIP files and the S3 upload form are fetched or posted without the `CBX-SIMPLE-TOKEN` header (`tests/flows.rs::downloads_of_handed_out_urls_carry_no_token_even_on_the_api_host`, `tests/flows.rs` upload tests).
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
//! Idempotent calls (GET, PUT, DELETE and `create_folder_zip`) are retried on 429, 503 and
//! connection errors with jittered exponential backoff that honours `Retry-After`
//! ([`ClientBuilder::retry_policy`]). Logins, uploads and other POSTs are never retried.
//!
//! # Pagination
//!
//! `search_media` and `search_colourbox_downloads` page with `media_offset`/`media_count`. Their
//! builders have `into_stream(page_size)` ([`builder::SearchMedia::into_stream`]): a
//! `futures_util::Stream` of every hit that stops once `hits` are read or on an empty page. The folder
//! listing is not paged.
//!
//! # Multi-value parameters
//!
//! `return_values`, `media_type`, `folder_ids` and `unique_media_id` take lists
//! ([`types::ReturnValueList`] and friends, built from a `Vec`) and go on the wire joined with a
//! literal `+` (`return_values=unique_media_id+title`), which the service requires.
//!
//! # Hand-written flows and operations
//!
//! - [`Client::upload`]: register → multipart post to the storage service (fields in order, the
//!   file last and streamed, no Skyfish header) → `/upload/done` → media id, optionally
//!   [`Upload::wait_for_import`] ([`Client::wait_for_import`] reads `GET /media/{id}`'s 202
//!   progress answers, which the generated `get_media` reports as [`Error::UnexpectedStatus`]).
//! - [`Client::zip_folder`]: `POST /folder/{id}/zip-file`, then `GET /zip-file/{job_id}` until
//!   `DONE`; returns the URL.
//! - [`Client::download_media`], [`Client::download_url`]: streamed downloads.
//! - [`Client::upload_user_profile_image`]: the one operation of the spec that is not generated
//!   (multipart body), listed in [`NOT_GENERATED`].
//! - [`Client::wait_for_stream_url`], [`Client::video_stream_url`]: a video's HLS stream URL,
//!   polled through the 404s the service answers until it is ready ([`stream`]).
//!
//! # Testing your code
//!
//! The `simulator` feature (off by default; add it under `[dev-dependencies]`, e.g.
//! `sdk-skyfish = { version = "0.1", features = ["simulator"] }`) adds `simulator::Simulator`: the
//! Skyfish API in-process on loopback, port 0, with working credentials and a ready client. Test
//! your integration against it offline and in CI:
//!
//! ```no_run
//! # #[cfg(feature = "simulator")]
//! # mod doc {
//! # // `#[test]` items are not compiled outside `cargo test`; this makes the body type-checked.
//! # mod tokio { pub use ::tokio::*; pub use ::tokio::main as test; }
//! use std::time::Duration;
//!
//! use sdk_skyfish::simulator::{Blob, Fault, Simulator};
//! use sdk_skyfish::types::ReturnValue;
//! use sdk_skyfish::{Client, Error};
//!
//! /// The code under test: copies every media found for `query` into `folder`.
//! async fn collect(client: &Client, query: &str, folder: i64) -> Result<usize, Error> {
//!     let found = client
//!         .search_media()
//!         .q(query)
//!         .return_values(vec![ReturnValue::UniqueMediaId])
//!         .send()
//!         .await?
//!         .into_inner();
//!     let media = found.response.unwrap_or_default().media;
//!     for id in media.iter().filter_map(|m| m.unique_media_id.clone()) {
//!         client.copy_media_to_folder().id(id).folder_id(folder).send().await?;
//!     }
//!     Ok(media.len())
//! }
//!
//! #[tokio::test]
//! async fn collects_what_it_finds() -> Result<(), Error> {
//!     let sim = Simulator::start().await?; // seeded with a few folders and media
//!     let client = sim.client(); // logs in with the simulator's credentials
//!     let inbox = sim.create_folder("Inbox", None);
//!     sim.add_file(inbox, "tabby-cat.jpg", Blob::Bytes(b"...".to_vec().into()));
//!     let target = sim.create_folder("Cats", None);
//!
//!     assert_eq!(collect(&client, "cat", target).await?, 2);
//!     assert_eq!(sim.media_in(target).len(), 2);
//!
//!     // The service has a bad moment: one 503 with Retry-After, which the SDK retries.
//!     sim.inject(Fault::status(503).retry_after(1).path("/search"));
//!     // Tokens expire after 30 days: the client logs in again by itself.
//!     sim.clock().advance(Duration::from_secs(31 * 24 * 3600));
//!     assert_eq!(collect(&client, "cat", target).await?, 2);
//!
//!     // Every request as it was sent.
//!     let logins = sim.requests().iter().filter(|r| r.path == "/authenticate/userpasshmac").count();
//!     assert_eq!(logins, 2);
//!     Ok(())
//! }
//! # }
//! ```
//!
//! # Simulator
//!
//! What `simulator::Simulator` simulates (details in the module's documentation):
//!
//! - **the route table of the spec**, generated with the client: an unknown path, a method the
//!   resource does not support (404, as the service answers it), a missing or mistyped parameter
//!   (400), a body of the wrong content type (400) or invalid JSON (400) are refused in the
//!   service's `{"message": …}` shape, with an `X-Cbx-Request-Id` on every answer;
//! - **authentication**: the HMAC login (API key, user, password, lower-case HMAC-SHA1 of
//!   `"{key}:{ts}"`, `ts` within ±60 s of the simulator's clock), tokens that expire after 30 days
//!   on that clock (`sim.clock().advance(…)`), revocation, `GET /authenticate/simpletoken/{token}`,
//!   the `authorization` query parameter;
//! - **state**: folders (tree, trash, purge, tags, ZIP jobs that go `PENDING` then `DONE`), media
//!   (metadata per language, byline, copyright, keywords on comma lists of media, expiration dates,
//!   copy/move, versions, video streams that answer 404 until made), the user's Colourbox downloads,
//!   cliques, the company's users and disk usage;
//! - **uploads** through an S3-style storage form on the same server (the bytes are kept; the
//!   storage refuses an `Authorization` header, a tampered or expired policy), the 303 to
//!   `/upload/done`, and the import (202 with progress, then 200);
//! - **downloads** from signed, expiring storage URLs with `Range`/`If-Range`, including generated
//!   files of any size (`Blob::Generated`, e.g. 2 GiB) that cost no memory;
//! - **search** with the service's filters, `+`-joined lists (`%2B` refused), `return_values`,
//!   `media_offset`/`media_count` and the answer's shape; `seed_assets(10_000)` for paging tests;
//! - **faults** on the next matching calls (`Fault::status(503).retry_after(1)`, `Fault::reset()`,
//!   `Fault::truncate(n)`, `Fault::malformed()`, `Fault::delay(d)`) and the **request log**.
//!
//! `examples/tour.rs` runs the main flows against it:
//! `cargo run -p sdk-skyfish --example skyfish-tour --features simulator`.
//!
//! # Beyond the document
//!
//! The service has more endpoints than the provider's document shows (facts.md, "Beyond the
//! documents"); they are in the spec and generated like the others:
//!
//! | call | wire |
//! | --- | --- |
//! | `get_whoami` | `GET /whoami` |
//! | `get_folder_tags`, `add_folder_tags`, `remove_folder_tags`, `purge_folder_tags` | `GET`/`PUT`/`DELETE /folder/{id}/tags` with a JSON array body (also on the DELETE), `DELETE /folder/{id}/tags/purge` |
//! | `set_media_title`, `set_media_description` | `POST /media/{id}/metadata/title` / `description`, body `{"en": "…"}` ([`types::LocalizedText`]) |
//! | `set_media_byline`, `set_media_copyright` | `POST /media/{id}/metadata/byline` / `copyright`, body a bare JSON string `"…"` ([`types::MetadataText`]) |
//! | `add_media_keywords`, `remove_media_keywords` | `PUT`/`DELETE /media/{ids}/metadata/keyword`, `{ids}` a literal comma list `1,2,3` ([`types::MediaIdList`]), body `{"en": […]}` |
//! | `replace_media_keywords`, `clear_media_keywords` | `POST`/`DELETE /media/{id}/metadata/keywords` |
//! | `copy_media_to_folder`, `move_media` | `POST /media/{id}/folder/{folder_id}`, `POST /media/{id}/move` `{"from", "to"}` |
//! | `create_media_stream`, `get_media_stream_url` | `POST /media/{id}/stream`, `GET /media/{id}/metadata/stream_url` (404 until ready) |
//! | `list_cdn_aliases`, `replace_cdn_file` | `GET /cdn/{company_id}/company/aliases`, `POST /cdn/{company_id}/folder/{cdn_folder_id}/replace/{old}/with/{new}` |
//!
//! ```no_run
//! # async fn run(client: &sdk_skyfish::Client) -> Result<(), sdk_skyfish::Error> {
//! use sdk_skyfish::types::{LocalizedKeywords, LocalizedText, MetadataText};
//!
//! // `POST /media/42/metadata/title` with `{"en":"Sunset"}`.
//! client
//!     .set_media_title()
//!     .id(42)
//!     .body(LocalizedText([("en".into(), "Sunset".into())].into()))
//!     .send()
//!     .await?;
//! // `POST /media/42/metadata/byline` with the body `"Jane Doe"`.
//! client.set_media_byline().id(42).body(MetadataText("Jane Doe".into())).send().await?;
//! // `PUT /media/1,2,3/metadata/keyword` with `{"en":["cat"]}`.
//! client
//!     .add_media_keywords()
//!     .ids(vec!["1".to_string(), "2".to_string(), "3".to_string()])
//!     .body(LocalizedKeywords([("en".into(), vec!["cat".into()])].into()))
//!     .send()
//!     .await?;
//! // A video's stream: asked for when missing, then polled until ready.
//! let url = client.video_stream_url(42, sdk_skyfish::PollOptions::default()).await?;
//! # let _ = url;
//! # Ok(())
//! # }
//! ```
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
pub mod pagination;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod stream;
pub mod upload;

pub use auth::{ClientBuilder, TokenAuth};
pub use download::PollOptions;
pub use generated::{ByteStream, Client, NOT_GENERATED, PROVIDER, ResponseValue, builder, types};
pub use runtime::{ApiError, Error, ErrorBody, RetryPolicy, Secret, Timeouts};
pub use upload::Upload;
