//! An in-process simulator of the Mediagraph API on loopback, for testing code that uses this
//! crate without an account (feature `simulator`).
//!
//! ```no_run
//! # async fn run() -> Result<(), sdk_mediagraph::Error> {
//! use sdk_mediagraph::simulator::Simulator;
//! let sim = Simulator::start().await?;
//! let client = sim.client(); // Personal Access Token + OrganizationId, fast retries
//! let page = client.search_assets().q("sunset").send().await?;
//! assert!(!page.assets.is_empty());
//! # Ok(()) }
//! ```
//!
//! # What it is
//!
//! One HTTP/1.1 server on `127.0.0.1`, port 0 ([`dam_test_server`]), that serves three hosts'
//! paths side by side:
//!
//! - the API (`/api/...`, the crate's base URL): every operation of `specs/mediagraph.yaml`,
//!   enforced from the route table the generator emits from the spec (`generated_routes.rs`):
//!   an unknown path is 404, a known path with another method 405 with `Allow`, a missing or
//!   mistyped required query parameter 400, a body of another content type 415, a JSON body that
//!   does not parse 400 — each in Mediagraph's error shape `{"error", "message"}`;
//! - the OAuth host (`/oauth/authorize`, `/oauth/token`, `/oauth/revoke`;
//!   [`OAuthConfig::host`] set to [`Simulator::url`]);
//! - the storage service the signed upload URLs point to (`/_storage/...`), which takes the
//!   file's bytes with a `PUT` and no Mediagraph credentials, S3-style.
//!
//! # Authentication, enforced
//!
//! - **Personal Access Token:** `Authorization: Basic base64(":" + token)`. A token the
//!   organization does not know (or one deleted with `delete_personal_access_token`) is 401
//!   `{"error": "unauthorized", …}`. Every call except `who_am_i` also needs `OrganizationId`:
//!   missing or naming an organization the token's user is not a member of, 403
//!   `{"error": "forbidden", …}`. Tokens made with `create_personal_access_token` work at once.
//! - **OAuth 2, authorization code with PKCE S256:** `GET|POST /oauth/authorize` acts as the user
//!   approving at once and redirects (302) to the registered `redirect_uri` with `code` and
//!   `state` ([`Simulator::authorize`] follows it for you); an unknown `client_id` or another
//!   `redirect_uri` is a 400 page, a missing or non-S256 challenge a redirect with
//!   `error=invalid_request`. `POST /oauth/token` (form) takes `grant_type=authorization_code`
//!   (the code is single-use, valid 10 minutes, bound to `client_id`, `redirect_uri` and the
//!   challenge: `code_verifier` must hash to it) and `grant_type=refresh_token` (a new access
//!   token and, by default, a new refresh token; the old refresh token is revoked). Refusals are
//!   400 `{"error": "invalid_grant" | "invalid_request" | "unsupported_grant_type",
//!   "error_description"}` or 401 `invalid_client`. Access tokens last two hours
//!   ([`Options::access_token_lifetime`]) on the simulator's [`Clock`]: move it
//!   ([`Simulator::clock`]) and the next call gets 401 with `WWW-Authenticate: Bearer …
//!   error="invalid_token"`, which the SDK answers with one refresh and a retry.
//!   `POST /oauth/revoke` revokes an access or refresh token together with its partner (200 `{}`
//!   even for unknown tokens, RFC 7009). Bearer calls need no `OrganizationId`.
//!
//! # What is stateful
//!
//! - **Assets:** search (`q` over file name, title, description and tag names; `ids[]`,
//!   `guids[]`, `tags[]`, `exts[]`, `rating[]`, `user_ids[]`, `storage_folder_id` with its
//!   subfolders, `collection_id`, `lightbox_id`, `upload_id`, `upload_guid`, `aasm_state`;
//!   `sort`; `page`/`per_page`, 25 by default and at most 100) answering
//!   `{"assets", "total", "total_entries"}` with the `Total-Entries` header; details; updates
//!   that change only the fields sent and keep fields this SDK does not know (a value the asset
//!   model cannot hold is 422); tags (`tag_asset`, and `add_tag_names`/`remove_tag_names`/
//!   `replace_tag_names` in updates); delete (then 404; `get_trashed_asset_count` counts it);
//!   data versions (`add_asset_version`, `list_asset_data_versions`, `get_asset_data_version`,
//!   `set_asset_version`); downloads (`GET /api/assets/{id}/download` with `Range` → 206,
//!   `If-Range`, `ETag`, `HEAD` with `Accept-Ranges: bytes`, `version_number`).
//! - **Uploads:** `create_upload_session` (and from a contribution) → `prepare_asset_upload`
//!   answers a pending asset with a `signed_upload_url` valid one hour → `PUT` of the raw bytes
//!   there (403 `AccessDenied` when expired, `SignatureDoesNotMatch` when tampered with, 400 with
//!   an `Authorization` header, 411 without `Content-Length`) → `set_asset_upload_complete`
//!   (422 before the bytes arrived) → `set_upload_session_done`. The bytes are kept and served
//!   back by the download.
//! - **Collections, lightboxes, storage folders:** create, details, update, delete, listings,
//!   trees (`parent_id`), `add_asset_to_collection`, `add_assets_to_group`,
//!   `list_storage_folder_asset_ids`; deleting a storage folder that holds assets or subfolders
//!   is 422.
//! - **Tags and taggings:** create (a taken name is 422), list (`q`, `page`, `Total-Entries`),
//!   details, update, delete (untags every asset), `get_tagging`, `delete_tagging`.
//! - **Bulk jobs:** `create_bulk_job` answers `pending`; each `get_bulk_job` poll moves it on
//!   (`processing`, then `processed` after [`Options::job_polls`] polls), and the changes (tags,
//!   description, rating, rights, group membership, `destroy_all`) are applied when it is
//!   processed; a tag job without tag names ends `errored` ("Tag list is empty");
//!   `cancel_bulk_job`, `list_bulk_jobs`, `list_bulk_job_assets`.
//! - **Shares and share links:** `create_share` answers `pending` and the share listing shows it
//!   `processed` after [`Options::job_polls`] listings; update and delete. Share links on a
//!   collection, lightbox or storage folder: create, list (per group and paged), details,
//!   update, delete.
//! - **Personal access tokens** (create, list, details, delete) and `who_am_i`.
//!
//! Every other operation (access requests, comments, contributions, custom meta fields, webhooks,
//! workflows, …) answers the spec's example after the same route, parameter, body and
//! credential checks. Details come bare, as in the spec's examples;
//! [`Options::wrap_details`] wraps them in their resource key (`{"asset": {...}}`), as the
//! service sometimes does, to test code against both forms.
//!
//! # Steering it from tests
//!
//! - [`Simulator::inject`]: the next N matching calls answer a status with `Retry-After`, reset
//!   the connection, cut the body, send malformed JSON or wait ([`Fault`]).
//! - [`Simulator::clock`]: move time forward to expire tokens, codes and signed URLs.
//! - [`Simulator::seed_assets`] (10,000 assets in a few milliseconds) and
//!   [`Simulator::add_file`] (any [`Blob`]: bytes, or a multi-GiB file generated on the fly and
//!   served without memory).
//! - [`Simulator::requests`]: every request as received.

mod assets;
mod auth;
mod groups;
mod jobs;
mod service;

use std::time::Duration;

use dam_test_server::sim;

pub use dam_test_server::sim::{Blob, Clock};
pub use dam_test_server::{Fault, Recorded};

use crate::runtime::{RetryPolicy, Secret};
use crate::{AuthorizationRequest, Client, ClientBuilder, Error, OAuthConfig, OAuthSession};
use service::Mediagraph;

/// Working credentials for a running [`Simulator`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// A Personal Access Token of the simulated user (`Authorization: Basic base64(":" + token)`).
    pub personal_access_token: Secret,
    /// The simulated organization's id (the `OrganizationId` header).
    pub organization_id: i64,
    /// The client id of the registered OAuth application (a public client: PKCE, no secret).
    pub oauth_client_id: String,
    /// The OAuth application's registered redirect URI.
    pub oauth_redirect_uri: String,
}

/// How a simulator behaves; [`Options::default`] is what [`Simulator::start`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How long an OAuth access token is valid (`expires_in`; default two hours).
    pub access_token_lifetime: Duration,
    /// Whether a refresh answers a new refresh token and revokes the old one (default `true`).
    pub rotate_refresh_tokens: bool,
    /// How many polls a bulk job (`get_bulk_job`) or a share (the share listing) takes to be
    /// processed (default 2).
    pub job_polls: u32,
    /// Answer details wrapped in their resource key (`{"asset": {...}}`) instead of bare.
    pub wrap_details: bool,
    /// Seed the small corpus (folders, tags, a dozen assets, a collection, a lightbox) at start
    /// (default `true`).
    pub seed: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(2 * 3600),
            rotate_refresh_tokens: true,
            job_polls: 2,
            wrap_details: false,
            seed: true,
        }
    }
}

/// A running Mediagraph simulator. It stops when the Tokio runtime that started it ends.
#[derive(Debug)]
pub struct Simulator {
    inner: sim::Simulator<Mediagraph>,
}

impl Simulator {
    /// Starts a simulator with [`Options::default`], seeded with a small corpus: storage folders
    /// (`Uploads`, `Campaigns`, `Campaigns/2024 Spring`), a dozen assets with files, tags,
    /// descriptions and ratings, a collection and a lightbox.
    pub async fn start() -> Result<Simulator, Error> {
        Self::start_with(Options::default()).await
    }

    /// Starts a simulator with these options.
    pub async fn start_with(options: Options) -> Result<Simulator, Error> {
        let provider = Mediagraph::new(options);
        let inner = sim::Simulator::start(crate::generated_routes::ROUTES, provider).await;
        Ok(Simulator { inner })
    }

    /// The base URL of the API, the OAuth host and the storage service: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.inner.url()
    }

    /// Working credentials: a Personal Access Token and organization id, and the OAuth
    /// application's client id and redirect URI.
    pub fn credentials(&self) -> Credentials {
        self.inner.provider().credentials()
    }

    /// A client signed in with the Personal Access Token, with fast retries (1 ms backoff).
    pub fn client(&self) -> Client {
        self.builder()
            .build()
            .expect("the simulator's own credentials and URL are valid")
    }

    /// A [`ClientBuilder`] with the simulator's URL, the Personal Access Token and fast retries,
    /// to customise before `build()` (e.g. [`ClientBuilder::oauth`] instead of the token).
    pub fn builder(&self) -> ClientBuilder {
        let credentials = self.credentials();
        Client::builder()
            .base_url(self.url())
            .personal_access_token(credentials.personal_access_token, credentials.organization_id)
            .retry_policy(fast_retries())
    }

    /// The OAuth application's configuration, on the simulator's OAuth host.
    pub fn oauth_config(&self) -> OAuthConfig {
        let credentials = self.credentials();
        OAuthConfig::new(credentials.oauth_client_id, credentials.oauth_redirect_uri)
            .scope("read write")
            .host(self.url())
    }

    /// Does what the user does in the browser: opens the authorize URL of `request` and approves.
    /// Returns the authorization code from the redirect (its `state` checked). A request the
    /// simulator refuses is [`Error::Auth`] (an error redirect, or an error page without one).
    pub async fn authorize(&self, request: &AuthorizationRequest) -> Result<String, Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let answer = http.get(&request.url).send().await?;
        let status = answer.status();
        let location = answer
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let Some(location) = location.filter(|_| status.is_redirection()) else {
            let page = answer.text().await.unwrap_or_default();
            return Err(Error::Auth(format!(
                "the authorize page answered {status} without a redirect: {}",
                page.chars().take(200).collect::<String>()
            )));
        };
        request.code_from_redirect(&location)
    }

    /// Signs in with OAuth end to end — authorize URL, approval ([`Simulator::authorize`]), code
    /// exchange — and returns the session for [`ClientBuilder::oauth`].
    pub async fn oauth_session(&self) -> Result<OAuthSession, Error> {
        let config = self.oauth_config();
        let request = config.start_authorization()?;
        let code = self.authorize(&request).await?;
        config.exchange_code(&code, &request.pkce).await
    }

    /// The simulator's clock; [`Clock::advance`] expires tokens, codes and signed URLs.
    pub fn clock(&self) -> &Clock {
        &self.inner.provider().clock
    }

    /// The next calls that match `fault` fail as it says.
    pub fn inject(&self, fault: Fault) {
        self.inner.server().inject(fault);
    }

    /// Every request received so far, in order (API, OAuth and storage).
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.server().requests()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.inner.server().clear_requests();
    }

    /// The JSON value of an object that exists for parameter `param` of `operation`, or `None`:
    /// what the generated test that calls every operation passes instead of a synthesized id.
    #[doc(hidden)]
    pub fn example_value(&self, operation: &str, param: &str) -> Option<String> {
        let kind = dam_test_server::sim::resource_of(crate::generated_routes::ROUTES, operation, param)?;
        self.inner.provider().example_value(&kind)
    }

    /// Adds `n` processed assets (`corpus-00001.jpg`, …, each with a small generated file, a tag
    /// from a short list and a rating) to a storage folder named `Corpus`; returns their ids in
    /// order. Linear in `n`: 10,000 take milliseconds.
    pub fn seed_assets(&self, n: usize) -> Vec<i64> {
        self.inner.provider().seed_assets(n)
    }

    /// Adds a processed asset named `name` whose file is `blob` (kept bytes, or a
    /// [`Blob::Generated`] file of any size, produced as it is downloaded) to the `Uploads`
    /// storage folder; returns its id.
    pub fn add_file(&self, name: &str, blob: Blob) -> i64 {
        self.inner.provider().add_file(None, name, blob).unwrap_or_default()
    }

    /// [`add_file`](Self::add_file) into the storage folder `folder_id`; [`Error::InvalidInput`]
    /// when there is no such folder.
    pub fn add_file_in(&self, folder_id: i64, name: &str, blob: Blob) -> Result<i64, Error> {
        self.inner.provider().add_file(Some(folder_id), name, blob)
    }

    /// The current file of asset `id`, as stored (e.g. to compare with what was uploaded); `None`
    /// for an unknown asset or one whose bytes have not arrived.
    pub fn file(&self, id: i64) -> Option<Blob> {
        self.inner.provider().file(id)
    }

    /// The id of the default storage folder (`Uploads`), where uploads and added files land.
    pub fn uploads_folder_id(&self) -> i64 {
        self.inner.provider().uploads_folder_id()
    }
}

/// Retries that do not slow tests down.
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}
