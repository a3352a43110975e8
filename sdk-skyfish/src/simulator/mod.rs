//! An in-process simulator of the Skyfish API on loopback, for testing code that uses this crate
//! without an account (feature `simulator`).
//!
//! ```no_run
//! # async fn run() -> Result<(), sdk_skyfish::Error> {
//! let sim = sdk_skyfish::simulator::Simulator::start().await?;
//! let client = sim.client(); // logs in with the simulator's credentials on its first call
//! let folders = client.list_folders().send().await?.into_inner();
//! # let _ = folders;
//! # Ok(())
//! # }
//! ```
//!
//! # What is simulated, and how
//!
//! The simulator is an HTTP/1.1 server on `127.0.0.1`, port 0, built on
//! [`dam_test_server::sim`]. Every request first goes through the route table generated from
//! `specs/skyfish.yaml` (`generated_routes.rs`), so the simulator follows regeneration: an unknown
//! path, a method the resource does not support, a missing required parameter, a parameter of the
//! wrong type, a body of the wrong content type or invalid JSON are refused before any state is
//! touched. Refusals look like the service's: JSON `{"message": "…"}` with the statuses of the
//! document's Appendix C — a method the resource does not support is **404** (not 405), and a
//! body of the wrong content type is **400** (the service does not use 415). Every answer carries
//! an `X-Cbx-Request-Id`.
//!
//! **Authentication** is enforced as facts.md describes it: `POST /authenticate/userpasshmac` with
//! `{username, password, key, ts, hmac}` is refused with 401 unless the API key, the user name and
//! the password are the simulator's ([`Simulator::credentials`]), `ts` is within ±60 s of the
//! simulator's [`Clock`] and `hmac` is the lower-case hex HMAC-SHA1 of `"{key}:{ts}"` keyed with
//! the API secret. The answer's token lives [`Options::token_lifetime`] (30 days, as the service)
//! and is checked on every other call (`Authorization: CBX-SIMPLE-TOKEN Token=…`, or the §8.3
//! `authorization` query parameter): a missing, unknown, revoked ([`Simulator::revoke_tokens`]) or
//! expired token is a 401. `GET /authenticate/simpletoken/{token}` answers `valid`/`invalid`. Move
//! the clock ([`Simulator::clock`]) to expire tokens; [`Simulator::client`] reads the login's `ts`
//! from that clock, so its client renews its token transparently.
//!
//! **Stateful:** folders (tree, create, rename/move, delete, purge, trash, tags, ZIP jobs), media
//! (metadata, title/description per language, byline, copyright, keywords, expiration dates,
//! folder membership, copy/move, trash, versions, exiftool-style tags, video streams), uploads
//! (the three stages, with the bytes kept), downloads of those bytes with `Range`, search
//! (`q`, `folder_ids` with `recursive`, `unique_media_id`, `media_type`, orientation, sizes, dates,
//! expiration, order and direction, `media_offset`/`media_count`, and `return_values` shaping
//! every hit), the user's Colourbox downloads (read-only), cliques with members and folders, and
//! the company's users, API keys, folders and disk usage. `download_folder`, whose format the
//! document does not give, answers the folder's ZIP file. Only `signup`, `reset_password` and
//! `list_cdn_aliases` answer the spec's example (or an empty success) after the same checks.
//!
//! **Uploads** run as on the service: `POST /upload/register {"folder"}` answers a form whose
//! `action` is the simulator's own storage URL (`/_storage/upload`) with S3-style fields (`key`
//! with a `${filename}` placeholder, a signed `Policy`, `success_action_redirect`). The storage
//! refuses a post that carries an `Authorization` header, lacks a field, has a wrong signature or
//! an expired policy, or has no file part (S3-style XML errors), and answers 303 to
//! `/upload/done?…&key=…`, whose JSON carries the `media_id`. The new media is then imported:
//! `GET /media/{id}` answers 202 with `{"progress": …}` for [`Options::import_polls`] polls (or
//! until [`Options::import_time`] has passed on the clock) before 200, and it shows up in search
//! only once imported.
//!
//! **Downloads:** `GET /media/{id}/download_location` answers a URL on the simulator's storage,
//! signed and valid [`Options::download_url_lifetime`] (5 minutes). The storage serves the bytes
//! with `ETag`, `Range` (206/416) and `If-Range`, needs no token and refuses one (as S3 does).
//! Files can be generated on the fly ([`Blob::Generated`]), so a multi-GiB file costs no memory.
//! Scaled sizes and video previews are placeholder bytes derived from the media.
//!
//! **Faults and the log:** [`Simulator::inject`] makes the next matching calls fail (a status with
//! `Retry-After`, a reset connection, a truncated body, malformed JSON, a delay);
//! [`Simulator::requests`] is every request received, as sent.
//!
//! Limits: `file_md5` is a content digest, not a real MD5; ZIP files are stored (not compressed)
//! and a folder of more than 256 MiB makes the job end in the state `FAILED`; thumbnails are a
//! 1×1 GIF.

mod auth;
mod cliques;
mod folders;
mod media;
mod provider;
mod search;
mod state;
mod storage;
mod zip;

use std::fmt;
use std::time::Duration;

use crate::runtime::{RetryPolicy, Secret};
use crate::{Client, ClientBuilder, Error};

pub use dam_test_server::sim::{Blob, Clock};
pub use dam_test_server::{Fault, Recorded};

use provider::Skyfish;

/// Working credentials for a simulator: the application's API key and secret and the user's name
/// and password. The secret and the password never appear in `Debug` output.
#[derive(Clone)]
pub struct Credentials {
    /// The application's API key.
    pub api_key: String,
    /// The API secret the login HMAC is keyed with.
    pub api_secret: Secret,
    /// The user's name.
    pub username: String,
    /// The user's password.
    pub password: Secret,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("api_secret", &self.api_secret)
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// How a simulator behaves; [`Options::default`] is the service's behaviour with quick imports.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long a login's token is valid (`validUntil`); 30 days, as on the service.
    pub token_lifetime: Duration,
    /// How long a download location's URL is valid; 5 minutes, as on the service.
    pub download_url_lifetime: Duration,
    /// How many `GET /media/{id}` calls answer 202 (import progress) after an upload; default 1.
    pub import_polls: u32,
    /// After this long on the clock an upload is imported even if nobody polled; default 10 s.
    pub import_time: Duration,
    /// How many polls of `GET /media/{id}/metadata/stream_url` answer 404 after a stream was asked
    /// for; default 1.
    pub stream_polls: u32,
    /// How many looks at a ZIP job answer `PENDING` before `DONE`; default 1.
    pub zip_polls: u32,
    /// Seed the small corpus (folders, media, a Colourbox download, a clique); default `true`.
    pub seed: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(30 * 24 * 3600),
            download_url_lifetime: Duration::from_secs(300),
            import_polls: 1,
            import_time: Duration::from_secs(10),
            stream_polls: 1,
            zip_polls: 1,
            seed: true,
        }
    }
}

/// A running Skyfish simulator. It stops when the Tokio runtime that started it ends.
pub struct Simulator {
    inner: dam_test_server::sim::Simulator<Skyfish>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator").field("url", &self.url()).finish()
    }
}

impl Simulator {
    /// Starts a simulator with [`Options::default`], seeded with a small realistic corpus: a few
    /// folders (one with a sub-folder, the user's trashcan), a handful of media (photos, a video, a
    /// PDF) with titles, keywords and geolocations, a Colourbox download and a clique.
    pub async fn start() -> Result<Simulator, Error> {
        Self::start_with(Options::default()).await
    }

    /// Starts a simulator with `options`.
    pub async fn start_with(options: Options) -> Result<Simulator, Error> {
        let seed = options.seed;
        let provider = Skyfish::new(options);
        let inner = dam_test_server::sim::Simulator::start(crate::generated_routes::ROUTES, provider).await;
        inner.provider().set_base(inner.url());
        if seed {
            inner.provider().seed_corpus();
        }
        Ok(Simulator { inner })
    }

    /// The base URL of the API (`http://127.0.0.1:PORT`); the storage URLs it hands out are on the
    /// same server, under `/_storage/`.
    pub fn url(&self) -> String {
        self.inner.url()
    }

    /// Credentials that log in.
    pub fn credentials(&self) -> Credentials {
        self.inner.provider().credentials()
    }

    /// A client for [`url`](Self::url) and [`credentials`](Self::credentials), with quick retries
    /// and the simulator's clock for the login's `ts`.
    pub fn client(&self) -> Client {
        // The builder only refuses empty credentials or a bad base URL; the simulator's are valid.
        self.builder()
            .build()
            .expect("the simulator's own base URL and credentials are valid")
    }

    /// The builder behind [`client`](Self::client), to customise before `build()`.
    pub fn builder(&self) -> ClientBuilder {
        let c = self.credentials();
        let clock = self.clock().clone();
        Client::builder()
            .base_url(self.url())
            .credentials(c.api_key, c.api_secret, c.username, c.password)
            .clock(move || clock.unix())
            .retry_policy(RetryPolicy {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(100),
                max_retry_after: Duration::from_secs(5),
            })
    }

    /// The simulator's clock: move it forward to expire tokens, download URLs and upload policies.
    pub fn clock(&self) -> &Clock {
        self.inner.provider().clock()
    }

    /// Makes the next matching requests fail (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        self.inner.server().inject(fault);
    }

    /// Every request received so far, in order, as sent.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.server().requests()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.inner.server().clear_requests();
    }

    /// Invalidates every token issued so far: the next call with one is refused with 401 (a
    /// client with credentials then logs in again).
    pub fn revoke_tokens(&self) {
        self.inner.provider().revoke_tokens();
    }

    /// The id of the simulated user.
    pub fn user_id(&self) -> i64 {
        self.inner.provider().user_id()
    }

    /// The JSON value of an object that exists for parameter `param` of `operation` (a new one
    /// where the call may change or delete it), or `None`: what the generated test that calls
    /// every operation passes instead of a synthesized id.
    #[doc(hidden)]
    pub fn example_value(&self, operation: &str, param: &str) -> Option<String> {
        let kind = dam_test_server::sim::resource_of(crate::generated_routes::ROUTES, operation, param)?;
        self.inner.provider().example_value(operation, &kind)
    }

    /// The id of the simulated user's company.
    pub fn company_id(&self) -> i64 {
        self.inner.provider().company_id()
    }

    /// The user's trashcan folder.
    pub fn trash_folder(&self) -> i64 {
        self.inner.provider().trash_folder()
    }

    /// Creates a folder (below `parent`, or at the top) and returns its id.
    pub fn create_folder(&self, name: &str, parent: Option<i64>) -> i64 {
        self.inner.provider().add_folder(name, parent)
    }

    /// Adds an imported file to `folder` and returns its media id. Use
    /// `Blob::Generated { len, seed }` for a large file that costs no memory.
    pub fn add_file(&self, folder: i64, name: &str, blob: Blob) -> i64 {
        self.inner.provider().add_file(folder, name, blob)
    }

    /// Adds `n` small imported media (titles `Seeded asset 0…`, keyword `seeded`) to a new folder
    /// named `Seeded assets` and returns their ids in order. 10,000 take well under a second.
    pub fn seed_assets(&self, n: usize) -> Vec<i64> {
        let folder = self.inner.provider().add_folder("Seeded assets", None);
        self.seed_assets_in(folder, n)
    }

    /// Adds `n` small imported media to `folder` and returns their ids in order.
    pub fn seed_assets_in(&self, folder: i64, n: usize) -> Vec<i64> {
        self.inner.provider().seed_assets(folder, n)
    }

    /// The bytes of a media's file, when the media exists.
    pub fn blob(&self, media: i64) -> Option<Blob> {
        self.inner.provider().blob(media)
    }

    /// The folders a media is in (empty when it does not exist).
    pub fn folders_of(&self, media: i64) -> Vec<i64> {
        self.inner.provider().folders_of(media)
    }

    /// The ids of the media directly in `folder`.
    pub fn media_in(&self, folder: i64) -> Vec<i64> {
        self.inner.provider().media_in(folder)
    }
}
