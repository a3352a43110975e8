//! The simulated service behind the route table: credentials, the call limit, errors, and the
//! dispatch of each operation to its handler (`v2.rs`, `v3.rs`).
//!
//! Credentials, checked before parameters (as `sim::Router` does):
//!
//! - **v2** (`/webapp/1.0/...`): `p10` and `p20` in the query and the cookie
//!   `_aid={apikey}_{sid}_{product key or "default"}`. Missing credentials, an unknown session id
//!   or a session older than `logintimeoutperiod` hours (simulator clock) answer **401**; an API
//!   key, user or product key that does not belong to the cookie's session answers **403**.
//! - **v3** (`/api/...`): the `sid` header names a live session (else **401**); the path's client
//!   id must be the account's and a `productkey` the session's (else **403**).
//! - Discovery, login, password reset and the browser-login steps are public.
//!
//! Every authenticated call counts against the account's limit (600 calls per minute by default,
//! [`Options::calls_per_minute`](super::Options::calls_per_minute)); a call over it answers
//! **429** with `Retry-After` (seconds until the oldest call of the minute leaves the window).
//! Errors are `{"message": "<reason>"}`, the document's error shape, on v2 and v3 alike.

use std::sync::{Mutex, MutexGuard, OnceLock};

use dam_test_server::sim::{Call, Clock, Ids, Provider, token};
use dam_test_server::{Recorded, Reply};
use serde_json::json;

use super::Options;
use super::world::{Account, Folder, SessionRec, World};

/// The simulated IntelligenceBank platform.
#[derive(Debug)]
pub(crate) struct Ib {
    /// The one user and platform.
    pub account: Account,
    /// Settings.
    pub options: Options,
    /// The clock sessions time out on.
    pub clock: Clock,
    /// Id source (deterministic per simulator).
    pub ids: Ids,
    /// The state.
    world: Mutex<World>,
    /// The root folder's uuid.
    pub root: String,
    /// The server's URL, known once it listens.
    url: OnceLock<String>,
}

/// A 1×1 PNG: icons and previews.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The answer to a failed login (HTTP 200, facts.md).
pub(crate) const LOGIN_REFUSED: &str = "Invalid user name or password. Please try again.";

impl Ib {
    /// A platform with its root folder and nothing else.
    pub fn new(options: Options) -> Self {
        let ids = Ids::default();
        let account = Account {
            email: "joe.blow@test.com".into(),
            password: token(&ids, "password"),
            apikey: token(&ids, "apikey"),
            useruuid: token(&ids, "user"),
            clientid: "BnK4JV".into(),
            clientuuid: token(&ids, "client"),
            firstname: "Joe".into(),
            lastname: "Blow".into(),
            iconuuid: token(&ids, "icon"),
        };
        let root = token(&ids, "folder");
        let mut world = World::default();
        let seq = world.next_seq();
        world.folders.insert(
            root.clone(),
            Folder {
                uuid: root.clone(),
                seq,
                name: "Resources".into(),
                description: String::new(),
                parent: None,
                created: 0,
            },
        );
        Self {
            account,
            options,
            clock: Clock::new(),
            ids,
            world: Mutex::new(world),
            root,
            url: OnceLock::new(),
        }
    }

    /// Records the server's URL (once).
    pub fn set_url(&self, url: String) {
        let _ = self.url.set(url);
    }

    /// `http://127.0.0.1:PORT`: the platform, the API host and the v3 host at once.
    pub fn url(&self) -> &str {
        self.url.get().map(String::as_str).unwrap_or("http://127.0.0.1")
    }

    /// The platform domain without scheme (`127.0.0.1:PORT`), the login field `p90`.
    pub fn domain(&self) -> &str {
        let url = self.url();
        url.split_once("://").map_or(url, |(_, d)| d)
    }

    /// The state, locked.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh 32-hex-character uuid.
    pub fn uuid(&self, kind: &str) -> String {
        token(&self.ids, kind)
    }

    /// Now, UNIX seconds on the simulator clock.
    pub fn now(&self) -> i64 {
        self.clock.unix()
    }

    /// Starts a session (a login); its session id.
    pub fn start_session(&self, product_key: Option<String>) -> String {
        let sid = self.uuid("session");
        let session = SessionRec {
            product_key,
            started: self.now(),
            hours: self.options.session_hours.clamp(1, 120),
        };
        self.world().sessions.insert(sid.clone(), session);
        sid
    }

    /// An error in the service's shape.
    pub fn fail(&self, status: u16, message: &str) -> Reply {
        Reply::json(status, json!({ "message": message }))
    }

    /// The session `sid`, when it exists and has not timed out (a timed-out one is forgotten).
    fn live_session(&self, sid: &str) -> Result<SessionRec, Reply> {
        let now = self.now();
        let mut world = self.world();
        match world.sessions.get(sid) {
            None => Err(self.fail(401, "Unauthorized: no such session. Please log in.")),
            Some(s) if s.expired(now) => {
                world.sessions.remove(sid);
                Err(self.fail(401, "Unauthorized: the session has timed out. Please log in again."))
            }
            Some(s) => Ok(s.clone()),
        }
    }

    /// v2 credentials: `p10`, `p20` and the `_aid` cookie of a live session.
    fn check_v2(&self, call: &Call<'_>) -> Result<(), Reply> {
        let (Some(p10), Some(p20)) = (call.query("p10"), call.query("p20")) else {
            return Err(self.fail(401, "Unauthorized: p10 and p20 are required."));
        };
        let Some(aid) = cookie(call.request, "_aid") else {
            return Err(self.fail(401, "Unauthorized: no session cookie (_aid)."));
        };
        let mut parts = aid.splitn(3, '_');
        let (Some(key), Some(sid), Some(product)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(self.fail(401, "Unauthorized: the session cookie (_aid) is malformed."));
        };
        let session = self.live_session(sid)?;
        let account = &self.account;
        if key != account.apikey || p10 != account.apikey || p20 != account.useruuid {
            return Err(self.fail(403, "Forbidden: the API key or user does not belong to this session."));
        }
        let expected = session.product_key.as_deref().unwrap_or("default");
        let p60_fits = call
            .query("p60")
            .is_none_or(|k| Some(k) == session.product_key.as_deref());
        if product != expected || !p60_fits {
            return Err(self.fail(403, "Forbidden: the product key does not belong to this session."));
        }
        Ok(())
    }

    /// v3 credentials: the `sid` header of a live session, the account's client id.
    fn check_v3(&self, call: &Call<'_>) -> Result<(), Reply> {
        let Some(sid) = call.request.header("sid") else {
            return Err(self.fail(401, "Unauthorized: the sid header is required."));
        };
        let session = self.live_session(sid)?;
        if call.path("clientid").is_some_and(|c| c != self.account.clientid) {
            return Err(self.fail(403, "Forbidden: this session does not belong to that client."));
        }
        if call
            .query("productkey")
            .is_some_and(|k| Some(k) != session.product_key.as_deref())
        {
            return Err(self.fail(403, "Forbidden: the product key does not belong to this session."));
        }
        Ok(())
    }

    /// Counts a call against the per-minute limit; the 429 when it is over.
    fn count_call(&self) -> Result<(), Reply> {
        let Some(limit) = self.options.calls_per_minute else {
            return Ok(());
        };
        let now = self.clock.now();
        let now_ms = now
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let mut world = self.world();
        while world.calls.front().is_some_and(|t| *t <= now_ms - 60_000) {
            world.calls.pop_front();
        }
        if world.calls.len() >= limit as usize {
            let oldest = world.calls.front().copied().unwrap_or(now_ms);
            let wait = ((oldest + 60_000 - now_ms) + 999) / 1000;
            return Err(self
                .fail(
                    429,
                    &format!("Too many requests: the limit is {limit} calls per minute."),
                )
                .header("retry-after", &wait.max(1).to_string()));
        }
        world.calls.push_back(now_ms);
        Ok(())
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(request: &'a Recorded, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl Provider for Ib {
    fn error(&self, status: u16, message: &str) -> Reply {
        self.fail(status, message)
    }

    fn authenticate(&self, call: &Call<'_>) -> Result<(), Reply> {
        if call.route.operation.starts_with("v3_") {
            self.check_v3(call)?;
        } else {
            self.check_v2(call)?;
        }
        self.count_call()
    }

    fn handle(&self, call: &Call<'_>) -> Option<Reply> {
        Some(match call.route.operation {
            "get_api_address" => Reply::json(200, json!({"SID": self.uuid("request"), "content": self.url()})),
            "login" => self.login(call),
            "sso_create_token" => self.sso_create_token(),
            "sso_get_session_info" => self.sso_get_session_info(call),
            "get_root_folder" => self.root_folder(),
            "list_folders_by_uuid" => self.list_folders_by_uuid(call),
            "get_folder_contents" => self.folder_contents(call),
            "create_folder" => self.create_folder(call),
            "update_folder" => self.update_folder(call),
            "delete_folder" => self.delete_folder(call),
            "download_resource" => self.download(call),
            "estimate_resource_file_size" => self.estimate(call),
            "create_resource" => self.create_resource(call),
            "update_resource_file" => self.replace_file(call),
            "update_resource_metadata" => self.update_metadata(call),
            "delete_resource" => self.delete_resource(call),
            "get_icon" => Reply::bytes(200, PNG.to_vec()).header("content-type", "image/png"),
            "list_comments" => self.list_comments(call),
            "add_comment" => self.add_comment(call),
            "search" => self.search(call),
            "sync_changes" => self.sync(call),
            "v3_list_resources" | "v3_list_folders" => self.v3_list(call),
            "v3_update_resource" => self.v3_update(call),
            "v3_download_resource" => self.v3_download(call),
            "v3_upload_file" => self.v3_upload(call),
            "v3_query" => self.v3_query(call),
            // `reset_password` (204) and `list_download_presets` (the spec's example).
            _ => return None,
        })
    }
}

/// `YYYY-MM-DD hh:mm:ss` (UTC), as v2 writes times.
pub(crate) fn v2_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// RFC 3339 in UTC (`2020-01-08T15:15:02Z`), as v3 writes times.
pub(crate) fn v3_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// A date as clients send one (`2017-01-01T10:20:09Z`, `2017-01-01 10:20:09`, `2017-01-01`), as
/// UNIX seconds.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Some(t.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// A 32-hex-character digest of some bytes (FNV-1a, twice): v3 file hashes.
pub(crate) fn digest(bytes: impl IntoIterator<Item = u8>) -> String {
    let (mut a, mut b): (u64, u64) = (0xcbf2_9ce4_8422_2325, 0x8422_2325_cbf2_9ce4);
    for byte in bytes {
        a = (a ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
        b = (b ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(5);
    }
    format!("{a:016x}{b:016x}")
}

/// The search terms of a query, lower case (`*` and nothing match everything).
pub(crate) fn terms(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .filter(|t| *t != "*")
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_and_read_like_the_service() {
        assert_eq!(v2_time(1_538_631_769), "2018-10-04 05:42:49");
        assert_eq!(v3_time(1_538_631_769), "2018-10-04T05:42:49Z");
        assert_eq!(parse_time("2018-10-04T05:42:49Z"), Some(1_538_631_769));
        assert_eq!(parse_time("2018-10-04 05:42:49"), Some(1_538_631_769));
        assert_eq!(parse_time("2018-10-04"), Some(1_538_611_200));
        assert_eq!(parse_time("soon"), None);
    }

    #[test]
    fn digests_and_terms() {
        assert_eq!(digest(*b"abc").len(), 32);
        assert_ne!(digest(*b"abc"), digest(*b"abd"));
        assert_eq!(terms(" Annual  REPORT "), vec!["annual", "report"]);
        assert!(terms("*").is_empty());
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let r = Recorded {
            method: "GET".into(),
            path: "/".into(),
            query: None,
            headers: vec![
                ("cookie".into(), "a=1".into()),
                ("cookie".into(), "x=2; _aid=k_s_default".into()),
            ],
            body: Vec::new(),
            body_len: 0,
        };
        assert_eq!(cookie(&r, "_aid"), Some("k_s_default"));
        assert_eq!(cookie(&r, "b"), None);
    }
}
