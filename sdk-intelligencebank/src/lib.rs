//! Typed async client for the IntelligenceBank API v2 (`webapp/1.0`) and, on the same session, its
//! v3 "Graph" API ([`Client::v3`]).
//!
//! Every v2 operation of `specs/intelligencebank.yaml` is a method on [`Client`] that returns a
//! request builder: set parameters, then `.send().await`. Each of the many operations that share
//! the URL `/webapp/1.0/resources` is its own method with its own typed answer
//! ([`Client::get_root_folder`], [`Client::get_folder_contents`], [`Client::download_resource`],
//! [`Client::create_folder`], ...). The v3 calls are methods of [`v3::V3`]. Models are in
//! [`types`]. The generated code lives in `generated.rs` (never edited by hand); the shared runtime
//! (errors, retries, tracing, tolerant scalars) in [`runtime`]. Hand-written beside it: sessions
//! ([`auth`]), uploads ([`upload`]), downloads ([`download`]), folder paging ([`pagination`]), the
//! v3 calls ([`v3`]) and the call limit ([`rate_limit`]).
//!
//! # Quick start
//!
//! ```no_run
//! use std::num::NonZeroU64;
//!
//! use futures_util::TryStreamExt;
//! use sdk_intelligencebank::{Client, FilePart, types};
//!
//! # async fn run() -> Result<(), sdk_intelligencebank::Error> {
//! // Discovers the API server of the platform and logs in.
//! let client = Client::builder()
//!     .platform("acme.intelligencebank.com")
//!     .credentials("joe.blow@acme.com", "my-password")
//!     .build()
//!     .await?;
//!
//! // The root folder.
//! let root = client.get_root_folder().send().await?.into_inner();
//! let folders = root.response.and_then(|r| r.folder).unwrap_or_default();
//! for folder in &folders {
//!     println!("{:?} {:?}", folder.folderuuid, folder.name);
//! }
//!
//! // Every resource of the first folder, 50 per request.
//! if let Some(uuid) = folders.first().and_then(|f| f.folderuuid.as_deref()) {
//!     let resources: Vec<types::Resource> = client
//!         .folder_resources(uuid, NonZeroU64::new(50).unwrap())
//!         .try_collect()
//!         .await?;
//!     println!("{} resources", resources.len());
//! }
//!
//! // Search, then download the first hit's file.
//! let hits = client.search().searchterm("annual report").send().await?.into_inner();
//! println!("{:?} hits", hits.num_found.as_ref().and_then(|n| n.get()));
//! let first = hits.doc.unwrap_or_default().into_iter().next();
//! if let Some(fileuuid) = first.and_then(|h| h.file).and_then(|f| f.fileuuid) {
//!     let mut out = tokio::fs::File::create("report.pdf").await?;
//!     let bytes = client.download_resource().fileuuid(fileuuid).write_to(&mut out).await?;
//!     println!("downloaded {bytes} bytes");
//! }
//!
//! // Upload a file into a folder (streamed from disk).
//! let options = types::CreateResourceOptions {
//!     folder: Some("06da9efd9e96a973015a5571b65d4b6c".into()),
//!     name: Some("Test file".into()),
//!     description: Some("this is a test file".into()),
//!     filename: None,
//! };
//! let created = client.create_resource(options, FilePart::path("test.txt")?).await?;
//! println!("{:?}", created.response.and_then(|r| r.resource));
//!
//! // The same session on v3: the newest resources that match a search, 100 per request.
//! use sdk_intelligencebank::v3::{Direction, SearchParams, Table};
//! let newest = Table::resource().order("lastUpdateTime", Direction::Descending);
//! let search = SearchParams::new().keywords("annual report").verbose(true);
//! let hits: Vec<types::V3Resource> = client
//!     .v3()
//!     .resources(newest, search, NonZeroU64::new(100).unwrap())
//!     .try_collect()
//!     .await?;
//! if let Some(id) = hits.first().and_then(|r| r.id.as_deref()) {
//!     // Retag it, then download its file.
//!     let update = types::V3ResourceUpdate {
//!         data: types::V3ResourceData { tags: Some(vec!["report".into(), "2024".into()]), ama_tags: None },
//!     };
//!     client.v3().update_resource(id, &update).await?;
//!     let bytes = client.v3().download_to_file(id, "report-v3.pdf").await?;
//!     println!("downloaded {bytes} bytes");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # v2 and v3
//!
//! IntelligenceBank runs two APIs side by side, and one [`Client`] reaches both with one login: the
//! v2 login answers the v2 credentials and also the v3 host (`apiV3url`) and client id, the
//! session is renewed once for both, and one call limit counts both.
//!
//! | | v2 (`webapp/1.0`) | v3 (Graph API) |
//! | --- | --- | --- |
//! | host | the API server (`getYapiAddress`) | the login's `apiV3url` |
//! | credentials | `p10`/`p20` query and `_aid` cookie | `sid` header |
//! | product key | `p60=` | `productkey=` |
//! | calls | every method of [`Client`]: login, folders, resources, upload (`file1`), download, icons, comments, sync, search, presets | [`Client::v3`]: [`list_resources`](v3::V3::list_resources) / [`resources`](v3::V3::resources), [`list_folders`](v3::V3::list_folders) / [`folders`](v3::V3::folders), [`update_resource`](v3::V3::update_resource), [`download`](v3::V3::download), [`upload_file`](v3::V3::upload_file), [`query`](v3::V3::query) |
//! | listings | folder contents by `skip`/`limit`; search not pageable | any table, `limit(offset, n)`, `order(field:-1)`, `searchParams[...]`, paged with a total `count` |
//!
//! When to use which: the provider asks for v3 where it can ("better performance and additional
//! flexibility", document L15-25), and its own tools list, search, update, download and upload
//! files through v3. Use v3 for listings and searches (sorting, folder filters, totals, paging of
//! search hits), tag updates and downloads by resource id. Use v2 for what v3 here does not cover:
//! logging in (always v2), creating a resource from an uploaded file ([`Client::create_resource`];
//! the v3 upload stores a file but how a resource is made from it is not known), new versions
//! ([`Client::update_resource_file`]), folder changes, comments, icons, download presets and
//! conversions, and offline sync. Ids are the same 32-character uuids in both.
//!
//! # Authentication
//!
//! [`Client::builder`] takes the platform domain (`acme.intelligencebank.com`) and the user's
//! e-mail and password, optionally a product key. [`ClientBuilder::build`] discovers the API base
//! URL (`GET https://{platform}/v1/auth/app/getYapiAddress`, or give it with
//! [`ClientBuilder::api_base_url`]) and logs in (`POST {api}/webapp/1.0/login`, form `p70`, `p80`,
//! `p90`, `p60`). Every later call carries `p10={apikey}&p20={useruuid}` (and `p60`) first in its
//! query, before its own parameters as the document writes them, and the cookie
//! `_aid={apikey}_{sid}_{product key or "default"}`. The client logs in again shortly before
//! `logintimeoutperiod` hours have passed, and once after a 401 or 403 (one login for any number
//! of concurrent calls). A login refused with a `message` (IntelligenceBank may answer such a
//! refusal with HTTP 200) is [`Error::Auth`] carrying that message.
//!
//! Single-sign-on users log in through a browser: [`ClientBuilder::start_sso`] gives an
//! [`SsoLogin`] whose [`login_url`](SsoLogin::login_url) the user opens, and
//! [`SsoLogin::wait`] polls until the login is done and returns a [`Session`]; build a client from
//! it with [`Client::from_session`]. A saved session works the same way.
//!
//! v3 calls ([`Client::v3`]) carry the login's session id in a `sid` header and the product key
//! as `productkey=`, instead of the cookie and `p10`/`p20`; a 401 on v3 renews the session the
//! same way (see [`auth`]).
//!
//! The password, API key, session id, one-time token and cookie are [`Secret`]s or sensitive
//! header values: they never appear in `Debug` output, logs or error messages. The runtime never
//! logs URLs (which carry `p10`/`p20`) and strips them from transport errors.
//!
//! # Errors
//!
//! Every call returns [`Error`] — generated and hand-written alike, with no conversion — and it is
//! the same type in every DAM SDK crate ([`runtime::Error`]). Match on what happened:
//!
//! - [`Error::Api`]: the service refused. `status`, the provider's `code` and `message` (the
//!   message text alone), the `request_id` (`X-Request-Id`) and, in `details`, the whole body as
//!   [`ErrorBody`] (IntelligenceBank's `{"message": …}`; an HTML proxy page or an empty body is kept in `raw`), the headers
//!   and `Retry-After`.
//! - [`Error::Transport`]: the service could not be reached, or the connection broke mid-answer.
//! - [`Error::Decode`]: a success answer did not fit the model; it names the operation, the field
//!   path (`items[3].created`) and a bounded excerpt.
//! - [`Error::InvalidInput`]: the caller's input cannot be sent; nothing was sent.
//! - [`Error::Auth`]: credentials were refused and could not be renewed. A refused login (even one answered with status 200) is [`Error::Auth`].
//! - [`Error::UnexpectedStatus`]: a success status the operation does not model, with its body.
//!
//! Nothing from the network panics.
//!
//! ```no_run
//! # async fn run(client: sdk_intelligencebank::Client) {
//! use sdk_intelligencebank::Error;
//!
//! match client.get_root_folder().send().await {
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
//!   of concurrent calls (`auth::tests::sessions_are_renewed_a_little_early` (sessions last hours; the rule is the same)).
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
//!   answer is never written as content (`codegen/runtime/tests/wire.rs` (downloads go through the same pipeline);
//!   `codegen/runtime/tests/wire.rs::a_file_that_changed_is_never_spliced`).
//! - **Credentials never travel to storage URLs:** URLs a service hands out are fetched without
//!   credentials, decided by where the URL came from, not its host; v3 calls get the `sid` header and never the v2 cookie or query session (`tests/v3.rs::a_listing_sends_the_table_segment_unescaped_with_the_sid_header_only`).
//! - **Bad input gets a clear error:** an unusable base URL, an empty credential, a missing upload
//!   file or a zero page size is [`Error::InvalidInput`] naming the argument, before any request
//!   (`tests/auth.rs::bad_input_is_refused_before_any_request`).
//! - **Credentials only over TLS:** a plain-`http` base URL to a host that is not loopback is
//!   refused unless the builder's `allow_http(true)`; a redirect to another origin carries no token,
//!   cookie or credential header (`codegen/runtime/tests/wire.rs::redirects_to_another_origin_carry_no_credentials`,
//!   with the HTTP client of [`runtime::http_client`]).
//! - **The v2 gaps are closed:** the metadata update carries tags, the sync call takes typed
//!   entries, and a comments answer with none, one or several comments decodes
//!   (`tests/resources.rs::update_resource_metadata_puts_a_form_with_tags`,
//!   `sync_takes_typed_entries_and_posts_their_json_as_a_form_field`,
//!   `comment_answers_with_none_one_or_several_comments_decode`).
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
//! Idempotent calls (GET, PUT, DELETE and `sync_changes`) are retried on 429, 503 and connection
//! errors with jittered exponential backoff that honours `Retry-After`
//! ([`ClientBuilder::retry_policy`]). Logins, uploads and other POSTs are never retried blindly.
//!
//! # Call limit
//!
//! The provider publishes a limit of 600 calls per minute per user, for v2 and v3 together. Every
//! client paces its calls (v2, v3 and its logins) to stay under it: calls beyond the quota wait
//! for a permit rather than being refused by the service with 429. The limit is on by default
//! ([`CallQuota::PUBLISHED`]: bursts of 10, then one call every ~101.5 ms, so no sliding minute
//! holds more than 600); change or turn it off with [`ClientBuilder::rate_limit`], or share one
//! [`RateLimiter`] between clients of the same user with [`ClientBuilder::rate_limiter`]. See
//! [`rate_limit`].
//!
//! # Pagination
//!
//! [`Client::folder_resources`] pages through a folder's resources with `skip`/`limit` as a
//! `futures_util::Stream`, ending on a short or empty page. v2 search answers cannot be paged (the
//! service ignores `skip`/`limit` there); v3 listings and searches can
//! ([`v3::V3::resources`], [`v3::V3::folders`]: `limit(offset, n)` page by page, ending at the
//! answer's `count` or on a short page).
//!
//! # Testing your code
//!
//! The `simulator` feature (off by default) adds `simulator::Simulator`, an IntelligenceBank
//! that runs inside your test on loopback: it logs in, keeps folders, files and metadata, serves
//! downloads with `Range`, enforces sessions and refuses bad requests the way the service does.
//! Add the crate with the feature to your dev-dependencies
//! (`sdk-intelligencebank = { version = "…", features = ["simulator"] }`) and hand your code the
//! simulator's client, or build one from its `Credentials`:
//!
#![cfg_attr(feature = "simulator", doc = "```")]
#![cfg_attr(not(feature = "simulator"), doc = "```ignore")]
//! # // Compile the test's body here: `tokio::test` stands for `tokio::main` in this example.
//! # mod tokio { pub use ::tokio::*; pub use ::tokio::main as test; }
//! use sdk_intelligencebank::simulator::{Blob, Fault, Simulator};
//!
//! #[tokio::test]
//! async fn archives_the_summer_campaign() -> Result<(), sdk_intelligencebank::Error> {
//!     let sim = Simulator::start().await?;
//!     let client = sim.client(); // logged in; renews its session like any client
//!     let folder = sim.add_folder(&sim.root_folder(), "Summer")?;
//!     let file = sim.add_file(&folder, "beach.jpg", Blob::Bytes(b"jpeg bytes".to_vec().into()))?;
//!
//!     // A flaky moment: the next call is refused with 503 and retried by the client.
//!     sim.inject(Fault::status(503).retry_after(0).times(1));
//!     // Code under test would run here; the client does what it would do on the service:
//!     let update = sdk_intelligencebank::types::UpdateResourceMetadataForm {
//!         tags: vec!["archived".into()],
//!         ..Default::default()
//!     };
//!     client.update_resource_metadata(&file, &update).await?;
//!
//!     assert_eq!(sim.tags(&file), Some(vec!["archived".to_string()]));
//!     let sent = sim.requests().pop().expect("a request");
//!     assert_eq!(sent.text(), "tags%5B%5D=archived");
//!     // Sessions time out on the simulator's clock: the client logs in again by itself.
//!     sim.clock().advance(std::time::Duration::from_secs(9 * 3600));
//!     client.get_root_folder().send().await?;
//!     Ok(())
//! }
//! # fn main() { archives_the_summer_campaign().unwrap() }
//! ```
//!
//! # Simulator
//!
//! What `simulator::Simulator` simulates (details in the `simulator` module's docs, built with the feature):
//!
//! - one server that is the platform domain, the v2 API host and the v3 host (`apiV3url`);
//!   discovery, the password login (a wrong password answered with HTTP 200 and a `message`),
//!   the browser (SSO) login with tokens a test approves, `p10`/`p20` + `_aid` and `sid` checked
//!   on every call (401 without a live session, 403 for credentials that do not belong together),
//!   sessions timing out after `logintimeoutperiod` hours on a clock the test moves, and the
//!   published limit of 600 calls per minute (429 with `Retry-After`);
//! - every route, method, required parameter and body type of the spec enforced from the
//!   generated route table (404, 405 with `Allow`, 400, 415), errors as `{"message": …}`;
//! - stateful folders, resources (multipart uploads whose bytes are kept, new versions, metadata
//!   and tags, deletes), `Range` downloads, comments, search and sync on v2, and the v3 tables
//!   (`limit`, `order`, `searchParams`), tag updates, downloads, uploads and `POST /api/json` on
//!   the same state; download presets answer the spec's example;
//! - test controls: `inject` faults (status with `Retry-After`,
//!   reset, truncated body, malformed JSON, delay), `requests`,
//!   `clock`, `seed_assets`
//!   (10,000 in a blink) and `add_file` with files of any size
//!   generated as they are read.
//!
//! `cargo run -p sdk-intelligencebank --example intelligencebank-tour --features simulator` shows the crate's main
//! flows against it.
//!
//! # Hand-written operations
//!
//! [`NOT_GENERATED`] lists the spec operations progenitor does not generate, each implemented
//! here: the `multipart/form-data` uploads `create_resource` ([`Client::create_resource`],
//! [`Client::upload_file`]) and `update_resource_file` ([`Client::update_resource_file`]), and the
//! metadata update with its list of tags ([`Client::update_resource_metadata`], see
//! [`resources`]). [`Client::sync`] takes typed entries for the sync call, and
//! [`types::CommentList::as_slice`] reads a comments answer holding none, one or several. Files
//! are streamed with [`FilePart`], never read into memory. Downloads stream into any
//! `AsyncWrite` with [`builder::DownloadResource::write_to`] or [`Client::download_to_file`].
//! Every v3 operation (`v3_*` in [`NOT_GENERATED`]) is written by hand in [`v3`]: progenitor takes
//! one base URL per client, and the table segment's punctuation must stay unescaped. Their models
//! (`types::V3*`) are generated from the spec.
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
pub mod rate_limit;
pub mod resources;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod upload;
pub mod v3;

pub use auth::{ClientBuilder, Session, SessionAuth, SsoLogin};
pub use generated::{ByteStream, Client, NOT_GENERATED, PROVIDER, ResponseValue, builder, types};
pub use rate_limit::{CallQuota, RateLimiter};
pub use runtime::{ApiError, Error, ErrorBody, RetryPolicy, Secret, Timeouts};
pub use upload::FilePart;
