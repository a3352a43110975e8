//! The simulated service: its state, the error shapes, and the dispatch of each operation of the
//! route table to its stateful handler (or to the spec's example).
//!
//! All state sits behind one mutex, so every call sees a consistent organization. Records keep
//! the fields the simulator works with as Rust fields and everything else a client sent (fields
//! this SDK does not list) in a JSON map, which answers merge back in. Answers that have a spec
//! example use it as a template: the simulator overrides the fields it knows, so the shape is
//! the service's own.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::UNIX_EPOCH;

use dam_test_server::sim::{Blob, Call, Clock, Provider};
use dam_test_server::{Recorded, Reply};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{Map, Value, json};

use super::assets::{self, Asset};
use super::groups::{self, Group, GroupKind, Tag};
use super::jobs::{self, Job, Share, ShareLink};
use super::{Credentials, Options, auth};
use crate::generated_routes::ROUTES;
use crate::runtime::Secret;

/// An answer or a refusal; both are sent as they are.
pub(super) type Answer = Result<Reply, Reply>;

/// What every handler may need besides the state and the call.
pub(super) struct Env {
    /// Now on the simulator's clock, in milliseconds since the epoch.
    pub now: i64,
    /// The simulator's options.
    pub options: Options,
    /// `http://host:port` as the client addressed the server (for URLs handed out).
    pub origin: String,
}

impl Env {
    /// A detail answer, bare or wrapped in `key` ([`Options::wrap_details`]).
    pub fn detail(&self, key: &str, record: Value) -> Reply {
        if self.options.wrap_details {
            Reply::json(200, json!({ key: record }))
        } else {
            Reply::json(200, record)
        }
    }
}

/// The simulated organization and user.
pub(super) struct Org {
    pub id: i64,
    pub name: &'static str,
    pub slug: &'static str,
    pub user_id: i64,
}

/// A personal access token of the simulated user.
pub(super) struct Pat {
    pub token: String,
    pub note: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// OAuth state: codes, access tokens and refresh tokens.
#[derive(Default)]
pub(super) struct OAuth {
    pub codes: HashMap<String, auth::Code>,
    pub access: HashMap<String, auth::AccessToken>,
    pub refresh: HashMap<String, auth::RefreshToken>,
}

/// Sequential ids, one counter per kind of record.
#[derive(Default)]
pub(super) struct Counters {
    pub asset: i64,
    pub group: i64,
    pub membership: i64,
    pub tag: i64,
    pub tagging: i64,
    pub upload: i64,
    pub job: i64,
    pub share: i64,
    pub share_link: i64,
    pub pat: i64,
    pub item: i64,
    pub version: i64,
    pub token: u64,
}

/// Everything the simulated organization holds.
pub(super) struct State {
    pub org: Org,
    pub next: Counters,
    pub salt: String,
    pub assets: BTreeMap<i64, Asset>,
    pub guids: HashMap<String, i64>,
    pub trashed: u64,
    pub uploads: BTreeMap<i64, assets::Upload>,
    pub upload_guids: HashMap<String, i64>,
    pub slots: HashMap<String, assets::Slot>,
    pub groups: BTreeMap<i64, Group>,
    /// Lightbox membership id → the lightbox's asset group id.
    pub lightboxes: BTreeMap<i64, i64>,
    pub tags: BTreeMap<i64, Tag>,
    pub jobs: Vec<Job>,
    pub shares: BTreeMap<i64, Share>,
    pub share_links: BTreeMap<i64, ShareLink>,
    pub pats: BTreeMap<i64, Pat>,
    pub oauth: OAuth,
    pub uploads_folder: i64,
    pub corpus_folder: Option<i64>,
    /// Counts changes: any call but a search may change what a search finds.
    pub generation: u64,
    pub search_cache: Option<assets::SearchCache>,
}

impl State {
    /// A fresh token of 32 hex characters, unique to this simulator.
    pub fn token(&mut self, kind: &str) -> String {
        self.next.token += 1;
        let digest = digest(&SHA256, format!("{}:{kind}:{}", self.salt, self.next.token).as_bytes());
        hex(&digest.as_ref()[..16])
    }

    /// A GUID (`xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx`), unique to this simulator.
    pub fn guid(&mut self) -> String {
        let t = self.token("guid");
        format!(
            "{}-{}-4{}-8{}-{}",
            &t[0..8],
            &t[8..12],
            &t[13..16],
            &t[17..20],
            &t[20..32]
        )
    }

    /// A keyed hash for signed URLs.
    pub fn sign(&self, text: &str) -> String {
        hex(digest(&SHA256, format!("{}|{text}", self.salt).as_bytes()).as_ref())
    }
}

/// Lower-case hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The provider: state, clock and options.
pub(super) struct Mediagraph {
    pub clock: Clock,
    pub options: Options,
    pub state: Mutex<State>,
}

impl std::fmt::Debug for Mediagraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mediagraph").field("options", &self.options).finish()
    }
}

/// The registered OAuth application.
pub(super) const OAUTH_CLIENT_ID: &str = "sim-oauth-client";
/// Its redirect URI.
pub(super) const OAUTH_REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";

impl Mediagraph {
    /// A new organization with the simulated user, its first personal access token and (with
    /// [`Options::seed`]) the small corpus.
    pub fn new(options: Options) -> Self {
        let mut salt = [0u8; 8];
        // Without the system's randomness the salt is only less unique; the simulator still works.
        let _ = SystemRandom::new().fill(&mut salt);
        let clock = Clock::new();
        let now = millis(&clock);
        let mut state = State {
            org: Org {
                id: 100,
                name: "Simulated Studio",
                slug: "simulated-studio",
                user_id: 3235,
            },
            // Personal access token ids are large numbers, as the service's are.
            next: Counters {
                pat: 1586,
                ..Counters::default()
            },
            salt: hex(&salt),
            assets: BTreeMap::new(),
            guids: HashMap::new(),
            trashed: 0,
            uploads: BTreeMap::new(),
            upload_guids: HashMap::new(),
            slots: HashMap::new(),
            groups: BTreeMap::new(),
            lightboxes: BTreeMap::new(),
            tags: BTreeMap::new(),
            jobs: Vec::new(),
            shares: BTreeMap::new(),
            share_links: BTreeMap::new(),
            pats: BTreeMap::new(),
            oauth: OAuth::default(),
            uploads_folder: 0,
            corpus_folder: None,
            generation: 0,
            search_cache: None,
        };
        let token = state.token("pat");
        state.next.pat += 1;
        state.pats.insert(
            state.next.pat,
            Pat {
                token,
                note: Some("simulator".into()),
                created_at: now,
                last_used_at: None,
            },
        );
        state.uploads_folder = groups::insert_group(&mut state, GroupKind::StorageFolder, "Uploads", None, now);
        if options.seed {
            seed_corpus(&mut state, now);
        }
        Self {
            clock,
            options,
            state: Mutex::new(state),
        }
    }

    /// The state, even after a handler panicked while holding it.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Now in milliseconds on the simulator's clock.
    pub fn now(&self) -> i64 {
        millis(&self.clock)
    }

    /// Working credentials.
    pub fn credentials(&self) -> Credentials {
        let state = self.lock();
        let token = state.pats.values().next().map(|p| p.token.clone()).unwrap_or_default();
        Credentials {
            personal_access_token: Secret::new(token),
            organization_id: state.org.id,
            oauth_client_id: OAUTH_CLIENT_ID.into(),
            oauth_redirect_uri: OAUTH_REDIRECT_URI.into(),
        }
    }

    /// `n` assets in the `Corpus` folder.
    pub fn seed_assets(&self, n: usize) -> Vec<i64> {
        let now = self.now();
        let mut state = self.lock();
        state.generation += 1;
        let folder = match state.corpus_folder {
            Some(f) => f,
            None => {
                let f = groups::insert_group(&mut state, GroupKind::StorageFolder, "Corpus", None, now);
                state.corpus_folder = Some(f);
                f
            }
        };
        const TAGS: [&str; 5] = ["corpus", "landscape", "portrait", "archive", "press"];
        let tag_ids: Vec<i64> = TAGS.iter().map(|t| groups::tag_by_name(&mut state, t, now)).collect();
        let start = state.next.asset;
        (1..=n)
            .map(|i| {
                let number = start as usize + i;
                let name = format!("corpus-{number:05}.jpg");
                let len = 1024 + (number as u64 * 37) % 3072;
                let id = assets::insert_asset(
                    &mut state,
                    folder,
                    &name,
                    Blob::Generated {
                        len,
                        seed: number as u64,
                    },
                    now,
                );
                if let Some(asset) = state.assets.get_mut(&id) {
                    asset.fields.insert("rating".into(), json!((number % 6) as i64));
                }
                let tagging = groups::next_tagging(&mut state);
                if let Some(asset) = state.assets.get_mut(&id) {
                    asset.tags.push((tagging, tag_ids[number % TAGS.len()]));
                }
                id
            })
            .collect()
    }

    /// A processed asset with this file in a storage folder.
    /// The JSON of a new object of `kind` (see `dam_test_server::sim::resource_of`): an asset, a
    /// collection or an empty storage folder; `None` for anything else.
    pub fn example_value(&self, kind: &str) -> Option<String> {
        let id = match kind {
            "asset" => self
                .add_file(None, "example.jpg", Blob::Generated { len: 2048, seed: 7 })
                .ok()?,
            "collection" | "storage_folder" => {
                let group = if kind == "collection" {
                    groups::GroupKind::Collection
                } else {
                    groups::GroupKind::StorageFolder
                };
                let now = self.now();
                let mut state = self.lock();
                state.generation += 1;
                groups::insert_group(&mut state, group, "Example", None, now)
            }
            _ => return None,
        };
        Some(id.to_string())
    }

    pub fn add_file(&self, folder: Option<i64>, name: &str, blob: Blob) -> Result<i64, crate::Error> {
        let now = self.now();
        let mut state = self.lock();
        state.generation += 1;
        let folder = folder.unwrap_or(state.uploads_folder);
        if !state
            .groups
            .get(&folder)
            .is_some_and(|g| g.kind == GroupKind::StorageFolder)
        {
            return Err(crate::Error::InvalidInput(format!(
                "the simulator has no storage folder {folder}"
            )));
        }
        Ok(assets::insert_asset(&mut state, folder, name, blob, now))
    }

    /// The current file of an asset.
    pub fn file(&self, id: i64) -> Option<Blob> {
        let state = self.lock();
        state
            .assets
            .get(&id)
            .and_then(|a| a.head_version())
            .and_then(|v| v.blob.clone())
    }

    /// The default storage folder.
    pub fn uploads_folder_id(&self) -> i64 {
        self.lock().uploads_folder
    }

    fn env(&self, request: &Recorded) -> Env {
        Env {
            now: self.now(),
            options: self.options,
            origin: origin(request),
        }
    }
}

/// Milliseconds since the epoch on `clock`.
pub(super) fn millis(clock: &Clock) -> i64 {
    clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `http://host:port` from the request's `Host` header.
pub(super) fn origin(request: &Recorded) -> String {
    format!("http://{}", request.header("host").unwrap_or("127.0.0.1"))
}

impl Provider for Mediagraph {
    fn error(&self, status: u16, message: &str) -> Reply {
        error(status, message)
    }

    fn authenticate(&self, call: &Call<'_>) -> Result<(), Reply> {
        let now = self.now();
        auth::authenticate(&mut self.lock(), now, call)
    }

    fn handle(&self, call: &Call<'_>) -> Option<Reply> {
        let env = self.env(call.request);
        let mut state = self.lock();
        let s = &mut *state;
        if call.route.operation != "search_assets" {
            s.generation += 1;
        }
        let answer = match call.route.operation {
            "who_am_i" => auth::who_am_i(s, &env, call),
            "list_personal_access_tokens" => auth::list_pats(s, &env),
            "create_personal_access_token" => auth::create_pat(s, &env, call),
            "get_personal_access_token" => auth::get_pat(s, &env, call),
            "delete_personal_access_token" => auth::delete_pat(s, call),

            "search_assets" => assets::search(s, &env, call),
            "get_asset" => assets::get(s, &env, call),
            "update_asset" => assets::update(s, &env, call),
            "delete_asset" => assets::delete(s, call),
            "tag_asset" => assets::tag(s, &env, call),
            "get_trashed_asset_count" => Ok(Reply::json(200, json!({"count": s.trashed}))),
            "list_asset_data_versions" => assets::list_versions(s, call),
            "get_asset_data_version" => assets::get_version(s, &env, call),
            "add_asset_version" => assets::add_version(s, &env, call),
            "set_asset_version" => assets::set_version(s, &env, call),
            "download_asset" | "head_download_asset" => assets::download(s, call),
            "create_upload_session" | "create_upload_session_from_contribution" => assets::create_upload(s, &env, call),
            "prepare_asset_upload" => assets::prepare(s, &env, call),
            "set_asset_upload_complete" => assets::set_uploaded(s, &env, call),
            "set_upload_session_done" => assets::set_done(s, &env, call),
            "get_tagging" => assets::get_tagging(s, call),
            "delete_tagging" => assets::delete_tagging(s, call),

            "list_collections" => groups::list(s, call, GroupKind::Collection),
            "list_lightboxes" => groups::list(s, call, GroupKind::Lightbox),
            "list_storage_folders" => groups::list(s, call, GroupKind::StorageFolder),
            "get_collections_tree" => groups::tree(s, call, GroupKind::Collection),
            "get_lightboxes_tree" => groups::tree(s, call, GroupKind::Lightbox),
            "get_storage_folders_tree" => groups::tree(s, call, GroupKind::StorageFolder),
            "create_collection" => groups::create(s, &env, call, GroupKind::Collection),
            "create_lightbox" => groups::create(s, &env, call, GroupKind::Lightbox),
            "create_storage_folder" => groups::create(s, &env, call, GroupKind::StorageFolder),
            "get_collection" => groups::get(s, &env, call, GroupKind::Collection),
            "get_lightbox" => groups::get(s, &env, call, GroupKind::Lightbox),
            "get_storage_folder" => groups::get(s, &env, call, GroupKind::StorageFolder),
            "update_collection" => groups::update(s, &env, call, GroupKind::Collection),
            "update_lightbox" => groups::update(s, &env, call, GroupKind::Lightbox),
            "update_storage_folder" => groups::update(s, &env, call, GroupKind::StorageFolder),
            "delete_collection" => groups::delete(s, call, GroupKind::Collection),
            "delete_lightbox" => groups::delete(s, call, GroupKind::Lightbox),
            "delete_storage_folder" => groups::delete(s, call, GroupKind::StorageFolder),
            "find_collection_by_slug" => groups::find_collection(s, &env, call),
            "add_asset_to_collection" => groups::add_asset_to_collection(s, &env, call),
            "add_assets_to_group" => groups::add_assets_to_group(s, &env, call),
            "list_storage_folder_asset_ids" => groups::folder_asset_ids(s, call),
            "list_tags" => groups::list_tags(s, call),
            "create_tag" => groups::create_tag(s, &env, call),
            "get_tag" => groups::get_tag(s, &env, call),
            "update_tag" => groups::update_tag(s, &env, call),
            "delete_tag" => groups::delete_tag(s, call),

            "list_bulk_jobs" => jobs::list_jobs(s, &env, call),
            "list_processing_bulk_jobs" => jobs::list_processing_jobs(s, &env),
            "create_bulk_job" => jobs::create_job(s, &env, call),
            "get_bulk_job" => jobs::get_job(s, &env, call),
            "cancel_bulk_job" => jobs::cancel_job(s, &env, call),
            "list_bulk_job_assets" => jobs::job_assets(s, call),
            "list_shares" => jobs::list_shares(s, &env, call),
            "create_share" => jobs::create_share(s, &env, call),
            "update_share" => jobs::update_share(s, &env, call),
            "delete_share" => jobs::delete_share(s, call),
            "create_share_link" => jobs::create_link(s, &env, call),
            "list_asset_group_share_links" => jobs::group_links(s, &env, call),
            "list_share_links" => jobs::list_links(s, &env, call),
            "get_share_link" => jobs::get_link(s, &env, call),
            "update_share_link" => jobs::update_link(s, &env, call),
            "delete_share_link" => jobs::delete_link(s, call),
            _ => return None,
        };
        Some(answer.unwrap_or_else(|refusal| refusal))
    }

    fn unrouted(&self, request: &Recorded) -> Reply {
        let now = self.now();
        self.lock().generation += 1;
        if request.path.starts_with("/oauth/") {
            return auth::oauth(&mut self.lock(), &self.options, now, request);
        }
        if request.path.starts_with(assets::STORAGE_PREFIX) {
            return assets::storage(&mut self.lock(), now, request);
        }
        error(
            404,
            &format!("No route matches [{}] \"{}\"", request.method, request.path),
        )
    }

    fn answer_headers(&self, request: &Recorded) -> Vec<(String, String)> {
        let id = self.lock().guid();
        if request.path.starts_with(assets::STORAGE_PREFIX) {
            vec![("x-amz-request-id".into(), id[..16].to_uppercase())]
        } else {
            vec![("x-request-id".into(), id)]
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Answers and refusals
// ---------------------------------------------------------------------------------------------

/// An error in Mediagraph's `{error, message}` shape.
pub(super) fn error(status: u16, message: &str) -> Reply {
    let error = match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        411 => "length_required",
        415 => "unsupported_media_type",
        422 => "unprocessable_entity",
        429 => "too_many_requests",
        _ => "error",
    };
    Reply::json(status, json!({"error": error, "message": message}))
}

/// 404 for a record, as Rails words it.
pub(super) fn not_found(model: &str, id: &str) -> Reply {
    error(404, &format!("Couldn't find {model} with 'id'={id}"))
}

/// 422 with validation errors `{"errors": {field: [message]}}`.
pub(super) fn invalid(field: &str, message: &str) -> Reply {
    Reply::json(422, json!({"errors": {field: [message]}}))
}

/// A listing with its `Total-Entries` header.
pub(super) fn listing(items: Vec<Value>, total: usize) -> Reply {
    Reply::json(200, Value::Array(items)).header("total-entries", &total.to_string())
}

/// What the spec documents for a call that needs no answer of its own: the example, or an
/// empty object, or nothing for a 204.
pub(super) fn documented(call: &Call<'_>) -> Reply {
    match call.route.example {
        Some(example) => Reply::status(call.route.status)
            .header("content-type", "application/json")
            .body(example.as_bytes().to_vec()),
        None if call.route.status == 204 => Reply::status(204),
        None => Reply::json(call.route.status, json!({})),
    }
}

/// The spec's example of `operation` as a JSON template (an object; `{}` when there is none).
pub(super) fn template(operation: &str) -> Map<String, Value> {
    let example = ROUTES
        .iter()
        .find(|r| r.operation == operation)
        .and_then(|r| r.example)
        .and_then(|e| serde_json::from_str::<Value>(e).ok());
    match example {
        Some(Value::Object(map)) => map,
        Some(Value::Array(items)) => match items.into_iter().next() {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

/// Overrides `fields` of `base`.
pub(super) fn merge(mut base: Map<String, Value>, fields: &Map<String, Value>) -> Map<String, Value> {
    for (k, v) in fields {
        base.insert(k.clone(), v.clone());
    }
    base
}

/// A path parameter as a record id: anything else is not found (Rails' `find`).
pub(super) fn path_id(call: &Call<'_>, name: &str, model: &str) -> Result<i64, Reply> {
    let raw = call.path(name).unwrap_or_default();
    raw.parse().map_err(|_| not_found(model, raw))
}

/// The object under `key` of a JSON body (`{"tag": {...}}`); 400 when it is missing or not an
/// object, as Rails' `params.require(key)` refuses.
pub(super) fn body_record(call: &Call<'_>, key: &str) -> Result<Map<String, Value>, Reply> {
    match call.json().get(key) {
        Some(Value::Object(map)) => Ok(map.clone()),
        _ => Err(error(400, &format!("param is missing or the value is empty: {key}"))),
    }
}

/// A page of `items` with `page`/`per_page` (from 1): the slice and the total.
pub(super) fn page_of<T: Clone>(items: &[T], page: i64, per_page: i64) -> Vec<T> {
    let per_page = per_page.max(1) as usize;
    let start = (page.max(1) as usize - 1).saturating_mul(per_page);
    items.iter().skip(start).take(per_page).cloned().collect()
}

/// `text` in lower case with runs of other characters as `-`.
pub(super) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// RFC 3339 with milliseconds, UTC (`2024-04-17T16:35:27.655Z`).
pub(super) fn timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, second) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second / 3600,
        second % 3600 / 60,
        second % 60,
        ms.rem_euclid(1000)
    )
}

/// The simulated user, as the spec's `User` records show people.
pub(super) fn user(state: &State) -> Value {
    json!({
        "id": state.org.user_id,
        "user_id": state.org.user_id,
        "name": "Sam Simulator",
        "first_name": "Sam",
        "last_name": "Simulator",
        "initials": "S S",
        "email": "sam@simulated-studio.example",
        "default_username": "sam",
        "username": null,
        "avatar_url": null,
        "guest": null,
        "guest_email": null,
        "lang": null,
        "timezone": null,
        "title": null,
    })
}

// ---------------------------------------------------------------------------------------------
// The seeded corpus
// ---------------------------------------------------------------------------------------------

/// A seeded file: name, storage folder, title, description, tags, length.
type SeedFile<'a> = (&'a str, i64, &'a str, &'a str, &'a [&'a str], u64);

/// Folders, tags, a dozen assets, a collection and a lightbox.
fn seed_corpus(state: &mut State, now: i64) {
    let campaigns = groups::insert_group(state, GroupKind::StorageFolder, "Campaigns", None, now);
    let spring = groups::insert_group(state, GroupKind::StorageFolder, "2024 Spring", Some(campaigns), now);
    let uploads = state.uploads_folder;
    let files: [SeedFile; 12] = [
        (
            "sunset-beach.jpg",
            spring,
            "Sunset over the beach",
            "Golden hour at the north beach.",
            &["sunset", "beach"],
            48_000,
        ),
        (
            "sunset-city.jpg",
            spring,
            "City sunset",
            "The skyline at dusk, from the river.",
            &["sunset", "city"],
            52_000,
        ),
        (
            "harbour-morning.jpg",
            spring,
            "Harbour in the morning",
            "Fishing boats before sunrise.",
            &["harbour"],
            61_000,
        ),
        (
            "team-portrait.png",
            campaigns,
            "Team portrait",
            "The studio team, spring 2024.",
            &["portrait", "team"],
            75_000,
        ),
        (
            "product-shot.tif",
            campaigns,
            "Product shot",
            "Packshot on white for the catalogue.",
            &["product"],
            120_000,
        ),
        (
            "brand-guide.pdf",
            campaigns,
            "Brand guide",
            "Logos, colours and type, version 3.",
            &["brand"],
            33_000,
        ),
        (
            "promo-teaser.mp4",
            spring,
            "Promo teaser",
            "Fifteen-second teaser for the campaign.",
            &["video", "campaign"],
            150_000,
        ),
        (
            "beach-volleyball.jpg",
            spring,
            "Beach volleyball",
            "Players at sunset.",
            &["beach", "sport", "sunset"],
            58_000,
        ),
        (
            "office-plants.jpg",
            uploads,
            "Office plants",
            "Green corner of the studio.",
            &["office"],
            21_000,
        ),
        (
            "logo.svg",
            uploads,
            "Logo",
            "The studio logo, vector.",
            &["brand"],
            4_000,
        ),
        (
            "interview.wav",
            uploads,
            "Interview",
            "Audio of the founder interview.",
            &["audio"],
            90_000,
        ),
        (
            "mountain-lake.jpg",
            campaigns,
            "Mountain lake",
            "Reflections on a calm lake.",
            &["landscape"],
            66_000,
        ),
    ];
    let mut ids = Vec::new();
    for (i, (name, folder, title, description, tags, len)) in files.iter().enumerate() {
        let id = assets::insert_asset(
            state,
            *folder,
            name,
            Blob::Generated {
                len: *len,
                seed: 0x5eed + i as u64,
            },
            now,
        );
        let tag_ids: Vec<i64> = tags.iter().map(|t| groups::tag_by_name(state, t, now)).collect();
        let taggings: Vec<(i64, i64)> = tag_ids.into_iter().map(|t| (groups::next_tagging(state), t)).collect();
        if let Some(asset) = state.assets.get_mut(&id) {
            asset.fields.insert("title".into(), json!(title));
            asset.fields.insert("description".into(), json!(description));
            asset.fields.insert("rating".into(), json!((i % 5 + 1) as i64));
            asset.tags = taggings;
        }
        ids.push(id);
    }
    let best = groups::insert_group(state, GroupKind::Collection, "Best of 2024", None, now);
    let press = groups::insert_group(state, GroupKind::Lightbox, "Press kit", None, now);
    if let Some(group) = state.groups.get_mut(&best) {
        group.assets = vec![ids[0], ids[1], ids[7]];
    }
    if let Some(group) = state.groups.get_mut(&press) {
        group.assets = vec![ids[3], ids[5]];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp(1_713_371_727_655), "2024-04-17T16:35:27.655Z");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Best of 2024!"), "best-of-2024");
    }
}
