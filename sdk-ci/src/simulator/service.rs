//! The simulated service in front of the route table: the rate limit and its headers, bearer
//! tokens checked on every call, errors in Ci's shape, and the dispatch of each operation to its
//! handler (or to the spec's example).
//!
//! A request passes, in order:
//!
//! 1. [`Front`]: storage locations (`/_storage/…`) go to the CDN (`storage.rs`) with no rate
//!    limit. Every other request is counted in the current minute of the simulator's clock; above
//!    [`Options::rate_limit`](super::Options::rate_limit) it is refused with 429 and `Retry-After`.
//!    A bodiless `POST`/`PUT` without `Content-Length` is refused with 411 (the document requires
//!    the header). Every answer then carries `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
//!    `X-RateLimit-Reset` (the next minute, epoch seconds) and `Retry-After` (seconds until then),
//!    ordinary 200s included, as recorded from the live service.
//! 2. [`sim::Router`]: the generated route table (404 unknown path, 405 wrong method with `Allow`,
//!    400 missing or mistyped parameter, 415 wrong body type, 400 invalid JSON), then
//!    [`Service::authenticate`]: `Authorization: Bearer <access token>` issued by this simulator and
//!    not expired on its clock, else 401 `{code, message}`.
//! 3. [`Service::handle`]: the stateful handlers; operations without one answer the spec's example.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use dam_test_server::sim::{self, Call, Clock, Provider};
use dam_test_server::{Handler, Recorded, Reply};
use serde_json::json;

use super::Options;
use super::state::State;
use super::storage::{self, Links};
use super::{assets, folders, oauth, uploads, workspaces};

/// An error in Ci's shape: `{code, message}`.
pub(crate) fn api_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, json!({"code": code, "message": message}))
}

/// A token-endpoint error in the OAuth shape: `{error, error_description}`.
pub(crate) fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(status, json!({"error": error, "error_description": description}))
}

/// The simulated service: its settings, clock and state.
#[derive(Debug)]
pub(crate) struct Service {
    pub options: Options,
    pub clock: Clock,
    state: Mutex<State>,
    /// The server's base URL, known once it listens (storage locations point there).
    pub url: OnceLock<String>,
    /// Signs storage locations.
    pub key: u64,
}

impl Service {
    pub fn new(options: Options, clock: Clock, state: State, key: u64) -> Self {
        Self {
            options,
            clock,
            state: Mutex::new(state),
            url: OnceLock::new(),
            key,
        }
    }

    /// The state, locked. A handler that panicked must not poison the simulator for the others.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Now, in UNIX seconds on the simulator's clock.
    pub fn now(&self) -> i64 {
        self.clock.unix()
    }

    /// Signs locations valid for [`Options::download_link_lifetime`](super::Options).
    pub fn links(&self) -> Links {
        Links {
            base: self.url.get().cloned().unwrap_or_default(),
            expires: self.now() + self.options.download_link_lifetime.as_secs() as i64,
            key: self.key,
        }
    }

    /// The signed-in user's e-mail (the credentials' user name).
    pub fn email(&self) -> &str {
        &self.options.credentials.username
    }

    /// The bearer token of a request, when it carries one.
    fn bearer(request: &Recorded) -> Option<&str> {
        let value = request.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }

    /// Checks a bearer access token: `Ok` with the asset a delegate token is limited to.
    pub fn check_access(&self, request: &Recorded) -> Result<Option<String>, Reply> {
        let Some(token) = Self::bearer(request) else {
            return Err(api_error(
                401,
                "Unauthorized",
                "The authentication process failed: no bearer access token was sent.",
            ));
        };
        let state = self.state();
        match state.access.get(token) {
            None => Err(api_error(401, "Unauthorized", "The access token is not valid.")),
            Some(t) if self.now() >= t.expires_at => {
                Err(api_error(401, "Unauthorized", "The access token has expired."))
            }
            Some(t) => Ok(t.delegate_for.clone()),
        }
    }

    /// Counts a call in the current minute: whether it is over the limit, and the headers.
    fn count(&self) -> (bool, Vec<(String, String)>) {
        let now = self.now();
        let minute = now.div_euclid(60);
        let limit = self.options.rate_limit;
        let used = {
            let mut state = self.state();
            if state.window.0 != minute {
                state.window = (minute, 0);
            }
            state.window.1 = state.window.1.saturating_add(1);
            state.window.1
        };
        let reset = (minute + 1) * 60;
        let headers = vec![
            ("X-RateLimit-Limit".to_string(), limit.to_string()),
            (
                "X-RateLimit-Remaining".to_string(),
                limit.saturating_sub(used).to_string(),
            ),
            ("X-RateLimit-Reset".to_string(), reset.to_string()),
            ("Retry-After".to_string(), (reset - now).max(1).to_string()),
        ];
        (used > limit, headers)
    }
}

/// Operations whose credentials depend on the MediaBox's security rating (bearer, Basic with the
/// MediaBox password, or none).
const MEDIABOX_BROWSING: &[&str] = &[
    "open_mediabox",
    "list_mediabox_contents",
    "list_mediabox_folder_contents",
];

impl Provider for Service {
    fn error(&self, status: u16, message: &str) -> Reply {
        let code = match status {
            400 => "InvalidRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            406 => "NotAcceptable",
            409 => "Conflict",
            411 => "LengthRequired",
            415 => "UnsupportedMediaType",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            _ => "InternalServerError",
        };
        api_error(status, code, message)
    }

    fn authenticate(&self, call: &Call<'_>) -> Result<(), Reply> {
        let operation = call.route.operation;
        if operation == "create_delegate_token" {
            // The token endpoint checks its own credentials (`oauth.rs`).
            return Ok(());
        }
        if MEDIABOX_BROWSING.contains(&operation) && Self::bearer(call.request).is_none() {
            // A Protected (Basic) or Public (none) MediaBox; answered from the spec's examples.
            return Ok(());
        }
        match self.check_access(call.request)? {
            None => Ok(()),
            Some(asset) if call.path("assetId") == Some(asset.as_str()) => Ok(()),
            Some(_) => Err(api_error(
                403,
                "Forbidden",
                "A delegate token only grants access to the asset it was issued for.",
            )),
        }
    }

    fn handle(&self, call: &Call<'_>) -> Option<Reply> {
        let reply = match call.route.operation {
            "create_token" => oauth::token(self, call),
            "create_delegate_token" => oauth::delegate(self, call),
            "list_workspaces" => workspaces::list(self, call),
            "get_workspace" => workspaces::get(self, call),
            "update_workspace" => workspaces::update(self, call),
            "create_workspace" => workspaces::create(self, call),
            "list_workspace_contents" => workspaces::contents(self, call, false),
            "list_trash_bin_contents" => workspaces::contents(self, call, true),
            "search_workspace_contents" => workspaces::search(self, call),
            "purge_trash" => workspaces::purge_trash(self, call),
            "list_workspace_events" | "list_network_events" | "list_events" => return workspaces::events(self, call),
            "create_folder" => folders::create(self, call),
            "get_folder" => folders::get(self, call),
            "update_folder" => folders::rename(self, call),
            "delete_folder" => folders::delete_one(self, call),
            "list_folder_contents" => folders::contents(self, call),
            "get_folder_stats" => folders::stats(self, call),
            "trash_folder" => folders::trash_one(self, call, true),
            "untrash_folder" => folders::trash_one(self, call, false),
            "trash_folders" => folders::bulk(self, call, folders::Bulk::Trash),
            "untrash_folders" => folders::bulk(self, call, folders::Bulk::Untrash),
            "delete_folders" => folders::bulk(self, call, folders::Bulk::Delete),
            "move_folders" => folders::move_many(self, call),
            "change_folders_metadata" => folders::change_metadata(self, call),
            "get_asset" => assets::get(self, call),
            "delete_asset" => assets::delete(self, call),
            "get_asset_download" => assets::download(self, call),
            "get_assets_details" => assets::bulk_details(self, call),
            "archive_asset" => assets::archive(self, call),
            "copy_assets" => assets::copy(self, call),
            "upload_singlepart" => uploads::singlepart(self, call),
            "create_multipart_upload" => uploads::start(self, call),
            "upload_part" => uploads::part(self, call),
            "complete_multipart_upload" => uploads::complete(self, call),
            // MediaBoxes answer the spec's examples.
            _ => return None,
        };
        Some(reply)
    }
}

/// The handler the loopback server runs: rate limit, `Content-Length` rule and headers around the
/// route table; the CDN beside it.
pub(crate) struct Front {
    router: sim::Router<Service>,
    service: Arc<Service>,
}

impl std::fmt::Debug for Front {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Front").field("router", &self.router).finish()
    }
}

impl Front {
    pub fn new(routes: &'static [sim::Route], service: Arc<Service>) -> Self {
        Self {
            router: sim::Router::new(routes, service.clone()),
            service,
        }
    }
}

impl Handler for Front {
    fn handle(&self, request: &Recorded) -> Reply {
        let service = &self.service;
        if request.path.starts_with(storage::PREFIX) {
            let state = service.state();
            return storage::serve(&state, service.key, service.now(), request);
        }
        let (limited, headers) = service.count();
        let bodiless_write = matches!(request.method.as_str(), "POST" | "PUT")
            && request.body_len == 0
            && request.header("content-length").is_none()
            && request.header("transfer-encoding").is_none();
        let mut reply = if limited {
            api_error(
                429,
                "TooManyRequests",
                "Rate limit exceeded; retry after the Retry-After delay.",
            )
        } else if bodiless_write {
            api_error(
                411,
                "LengthRequired",
                "Every POST and PUT must carry Content-Length (0 without a body).",
            )
        } else {
            self.router.handle(request)
        };
        for (name, value) in headers {
            if !reply.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                reply.headers.push((name, value));
            }
        }
        reply
    }
}
