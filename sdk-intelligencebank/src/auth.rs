//! IntelligenceBank sessions: API-address discovery, login, the `_aid` cookie, renewal, and the
//! browser (SSO) login.
//!
//! How a v2 session works (`shared/facts.md`, document L129-227):
//!
//! 1. `GET https://{platform}/v1/auth/app/getYapiAddress` answers the API base URL in `content`
//!    (e.g. `https://apiau.intelligencebank.com`).
//! 2. `POST {api}/webapp/1.0/login` with the form `p70` = e-mail, `p80` = password, `p90` = platform
//!    domain without scheme (and `p60` = product key when there is one) answers `apikey`,
//!    `useruuid`, `sid` and `logintimeoutperiod` (hours). A refused login may answer HTTP 200 with
//!    only a `message`.
//! 3. Every later v2 call carries `p10={apikey}&p20={useruuid}` (and `p60={product key}`) first in
//!    its query (as the document's examples write it) and the cookie
//!    `_aid={apikey}_{sid}_{product key or "default"}`.
//!
//! The same login serves the v3 Graph API (`shared/facts.md`, "IntelligenceBank v3"): the login
//! answer also names the v3 host (`apiV3url`) and the platform's `clientid`, and a v3 call carries
//! only the session id, in a `sid` request header, and the product key as `productkey=` in its
//! query — no `_aid` cookie, no `p10`/`p20`.
//!
//! [`SessionAuth`] puts the right credentials on every call, telling v3 calls from v2 calls by
//! their URL: a request whose origin is the session's `apiV3url` and whose path lies under its
//! `/api/` is a v3 call ([`Session::is_v3_url`]). It logs in again when the session is about to time
//! out (`logintimeoutperiod` hours after login, renewed [`EARLY_RENEWAL`] early) and once after a
//! 401 or 403, on v2 and v3 alike. One async mutex guards the session and is held during a login,
//! and a refused request's cookie (v2) or `sid` header (v3) is compared with the current session,
//! so any number of concurrent failures cause one login. Before every call (and every login) it
//! takes a permit from the client's [`RateLimiter`].
//! The password, API key, session id and cookie are [`Secret`]s or sensitive header values: they
//! never appear in `Debug` output, logs or errors (the runtime never logs URLs, which carry `p10`).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use reqwest::Url;
use reqwest::header::{COOKIE, HeaderName};

use crate::rate_limit::{CallQuota, RateLimiter};
use crate::runtime::{self, Authenticator, ClientState, RetryPolicy, Secret, Timeouts};
use crate::{Client, Error, types};

/// A session is renewed this long before `logintimeoutperiod` runs out (or after nine tenths of
/// its lifetime, whichever comes first).
pub const EARLY_RENEWAL: Duration = Duration::from_secs(5 * 60);

/// The query parameters the session adds to every v2 call.
const SESSION_PARAMS: [&str; 3] = ["p10", "p20", "p60"];

/// Whether a query has one of [`SESSION_PARAMS`], read as `Url::query_pairs` reads it. Only a
/// query with a `%` escape has its names decoded (`p%310` is `p10`): decoding every pair of every
/// call's query cost more than a thousand instructions a call.
fn has_session_params(query: &str) -> bool {
    let mut rest = query.as_bytes();
    if memchr::memchr(b'%', rest).is_some() {
        return has_escaped_session_params(rest);
    }
    // Without an escape, a session parameter is a pair whose name is one of [`SESSION_PARAMS`],
    // followed by `=`, `&` or the end. A pair at a time, without splitting: a call's query is a
    // few dozen bytes, and the iterator adapters cost more than the search.
    loop {
        let named = |p: &str| rest.starts_with(p.as_bytes()) && matches!(rest.get(p.len()), None | Some(b'=' | b'&'));
        if SESSION_PARAMS.iter().any(|p| named(p)) {
            return true;
        }
        match rest.iter().position(|&b| b == b'&') {
            Some(at) => rest = &rest[at + 1..],
            None => return false,
        }
    }
}

/// [`has_session_params`] for a query with a `%` escape: each name decoded as `Url::query_pairs`
/// decodes it.
fn has_escaped_session_params(query: &[u8]) -> bool {
    query.split(|&b| b == b'&').any(|pair| {
        let name = pair.split(|&b| b == b'=').next().unwrap_or_default();
        url::form_urlencoded::parse(name).any(|(k, _)| SESSION_PARAMS.contains(&k.as_ref()))
    })
}

/// Puts a session's encoded query (`p10=…&p20=…`, see [`Session::encoded_query`]) first in
/// `url`'s query, where IntelligenceBank's document writes it, in place of any session parameters
/// the query carried; every other parameter stays, in its order and as it was written.
fn put_session_first(session_query: &str, url: &mut Url) {
    let kept = url.query().unwrap_or_default();
    let mut query = String::with_capacity(session_query.len() + 1 + kept.len());
    query.push_str(session_query);
    for pair in kept.split('&').filter(|p| !p.is_empty() && !has_session_params(p)) {
        query.push('&');
        query.push_str(pair);
    }
    url.set_query(Some(&query));
}

/// The request header that carries the session id on v3 calls.
const SID_HEADER: HeaderName = HeaderName::from_static("sid");

/// The query parameter that carries the product key on v3 calls.
const V3_PRODUCT_KEY: &str = "productkey";

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// An IntelligenceBank session, from the v2 login: what every v2 and v3 call after login carries.
/// `Debug` shows neither the API key nor the session id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The API base URL (from discovery), e.g. `https://apiau.intelligencebank.com`.
    pub api_base_url: String,
    /// The user's API key (`apikey`), sent as `p10` and as the first part of `_aid`.
    pub apikey: Secret,
    /// The user's uuid (`useruuid`), sent as `p20`.
    pub useruuid: String,
    /// The session id (`sid` of the login answer, or `content.session.sid` of a browser login).
    pub sid: Secret,
    /// The product key, sent as `p60` and as the last part of `_aid` (`default` without one).
    pub product_key: Option<String>,
    /// When the session started, when known.
    pub started_at: Option<SystemTime>,
    /// How long it lasts (`logintimeoutperiod` hours), when known.
    pub lifetime: Option<Duration>,
    /// The v3 host (`apiV3url` of the login answer), e.g.
    /// `https://usprod2usv3.intelligencebank.com`, when known. v3 calls need it.
    pub v3_base_url: Option<String>,
    /// The platform's client id (`clientid` of the login answer), the `{clientid}` of v3 paths,
    /// when known. v3 calls need it.
    pub client_id: Option<String>,
}

impl Session {
    /// A session from its parts (for example saved from an earlier run, or from a browser login
    /// done elsewhere). Without [`with_timing`](Self::with_timing) it is used until refused.
    pub fn new(
        api_base_url: impl Into<String>,
        apikey: impl Into<Secret>,
        useruuid: impl Into<String>,
        sid: impl Into<Secret>,
    ) -> Self {
        Self {
            api_base_url: api_base_url.into().trim_end_matches('/').to_string(),
            apikey: apikey.into(),
            useruuid: useruuid.into(),
            sid: sid.into(),
            product_key: None,
            started_at: None,
            lifetime: None,
            v3_base_url: None,
            client_id: None,
        }
    }

    /// Sets what v3 calls need: the v3 host (`apiV3url`) and the client id (`clientid`), both from
    /// the login answer.
    pub fn with_v3(mut self, v3_base_url: impl Into<String>, client_id: impl Into<String>) -> Self {
        self.v3_base_url = Some(v3_base_url.into().trim_end_matches('/').to_string());
        self.client_id = Some(client_id.into());
        self
    }

    /// Sets the product key (`p60`).
    pub fn with_product_key(mut self, product_key: impl Into<String>) -> Self {
        self.product_key = Some(product_key.into());
        self
    }

    /// Sets when the session started and how long it lasts.
    pub fn with_timing(mut self, started_at: SystemTime, lifetime: Duration) -> Self {
        self.started_at = Some(started_at);
        self.lifetime = Some(lifetime);
        self
    }

    /// The value of the `_aid` cookie: `{apikey}_{sid}_{product key or "default"}`.
    pub fn aid_cookie(&self) -> Secret {
        Secret::new(format!(
            "{}_{}_{}",
            self.apikey.expose(),
            self.sid.expose(),
            self.product_key.as_deref().unwrap_or("default")
        ))
    }

    /// When the session times out, when its start and lifetime are known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.started_at?.checked_add(self.lifetime?)
    }

    /// Whether the session should be renewed at `now`: [`EARLY_RENEWAL`] before it times out, but
    /// not before half its life has passed ([`runtime::renew_after`], the rule every crate uses).
    /// A session without timing never is.
    pub fn needs_renewal(&self, now: SystemTime) -> bool {
        let (Some(expires_at), Some(lifetime)) = (self.expires_at(), self.lifetime) else {
            return false;
        };
        let margin = lifetime - runtime::renew_after(lifetime, EARLY_RENEWAL);
        now.checked_add(margin).is_none_or(|t| t >= expires_at)
    }

    /// The session of a finished browser login (`sso_get_session_info`): `content.session.sid`
    /// (never the top-level `SID`), `content.info.apikey` and the user uuid, timed from
    /// `loginTime` and `logintimeoutperiod`.
    pub fn from_sso_info(api_base_url: &str, answer: &types::SsoInfoResponse) -> Result<Self, Error> {
        let content = answer.content.as_ref();
        let session = content.and_then(|c| c.session.as_ref());
        let info = content.and_then(|c| c.info.as_ref());
        let sid = session.and_then(|s| s.sid.clone()).filter(|s| !s.expose().is_empty());
        let apikey = info.and_then(|i| i.apikey.clone()).filter(|s| !s.expose().is_empty());
        let useruuid = info
            .and_then(|i| i.useruuid.clone())
            .or_else(|| session.and_then(|s| s.user_uuid.clone()))
            .filter(|u| !u.is_empty());
        let (Some(sid), Some(apikey), Some(useruuid)) = (sid, apikey, useruuid) else {
            return Err(Error::Auth(
                "the browser-login answer has no session (content.session.sid, info.apikey, useruuid)".into(),
            ));
        };
        let mut s = Session::new(api_base_url, apikey, useruuid, sid);
        s.started_at = session
            .and_then(|s| s.login_time.as_ref())
            .and_then(runtime::Timestamp::to_datetime)
            .map(SystemTime::from);
        s.lifetime = info.and_then(|i| lifetime(i.logintimeoutperiod.as_ref()));
        if let Some(info) = info {
            (s.v3_base_url, s.client_id) = v3_parts(info);
        }
        Ok(s)
    }

    /// The v3 host as a URL: `apiV3url` when it is an `http(s)` URL.
    fn v3_base(&self) -> Option<Url> {
        let url = Url::parse(self.v3_base_url.as_deref()?).ok()?;
        (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then_some(url)
    }

    /// The root of this session's v3 paths, `{apiV3url}/api/3.0.0/{clientid}`. Fails with
    /// [`Error::Auth`] when the login answer named no (usable) `apiV3url` or `clientid`.
    pub fn v3_root(&self) -> Result<Url, Error> {
        let Some(mut root) = self.v3_base() else {
            return Err(Error::Auth(
                "this session has no v3 host (the login answer's apiV3url): v3 calls are not available".into(),
            ));
        };
        let client_id = self.client_id.as_deref().unwrap_or_default();
        if client_id.is_empty()
            || !client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Error::Auth(
                "this session has no usable client id (the login answer's clientid): v3 calls are not available".into(),
            ));
        }
        root.path_segments_mut()
            .map_err(|()| Error::Auth("the login answer's apiV3url cannot hold a path".into()))?
            .pop_if_empty()
            .extend(["api", "3.0.0", client_id]);
        Ok(root)
    }

    /// Whether `url` is a v3 call of this session: it has the origin of `apiV3url` and its path
    /// lies under that URL's `/api/`.
    pub fn is_v3_url(&self, url: &Url) -> bool {
        let Some(base) = self.v3_base() else {
            return false;
        };
        let prefix = format!("{}/api/", base.path().trim_end_matches('/'));
        url.origin() == base.origin() && url.path().starts_with(&prefix)
    }

    /// Puts this session on a v3 request: the session id as the sensitive header `sid`, and the
    /// product key as `productkey=` at the end of its query (replacing an earlier one). No cookie,
    /// no `p10`/`p20`. The path is left exactly as it is.
    pub fn apply_v3(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        let url = request.url_mut();
        if url.query_pairs().any(|(k, _)| k == V3_PRODUCT_KEY) {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != V3_PRODUCT_KEY)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.set_query(None);
            if !kept.is_empty() {
                url.query_pairs_mut().extend_pairs(kept);
            }
        }
        if let Some(key) = &self.product_key {
            url.query_pairs_mut().append_pair(V3_PRODUCT_KEY, key);
        }
        runtime::set_header(request, SID_HEADER, self.sid.expose(), true)
    }

    /// `p10={apikey}&p20={useruuid}` (and `&p60={product key}`), form-encoded as
    /// `Url::query_pairs_mut` writes them.
    fn encoded_query(&self) -> Secret {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("p10", self.apikey.expose());
        query.append_pair("p20", &self.useruuid);
        if let Some(key) = &self.product_key {
            query.append_pair("p60", key);
        }
        Secret::new(query.finish())
    }

    /// Puts this session on a request: `p10`, `p20` (and `p60`) first in its query, as
    /// IntelligenceBank's document writes them, replacing earlier session parameters but keeping
    /// every other one after them as it was; and the `_aid` cookie as a sensitive header.
    pub fn apply(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        put_session_first(self.encoded_query().expose(), request.url_mut());
        let cookie = format!("_aid={}", self.aid_cookie().expose());
        runtime::set_header(request, COOKIE, &cookie, true)
    }
}

/// `apiV3url` (without a trailing slash) and `clientid` of a login answer (or of a browser login's
/// `info`), when given.
fn v3_parts(answer: &types::LoginResponse) -> (Option<String>, Option<String>) {
    let base = answer
        .api_v3url
        .as_deref()
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty());
    let client_id = answer
        .clientid
        .as_ref()
        .map(|id| id.as_str().trim().to_string())
        .filter(|id| !id.is_empty());
    (base, client_id)
}

/// `logintimeoutperiod` (hours) as a duration; absent, zero or unreadable values give `None`.
fn lifetime(hours: Option<&runtime::LooseInt>) -> Option<Duration> {
    let hours = hours?.get().filter(|h| *h > 0)?;
    Some(Duration::from_secs(hours.unsigned_abs().saturating_mul(3600)))
}

/// What a client needs to log in again.
struct PasswordLogin {
    /// An unauthenticated client on the API base URL, for `login`.
    api: Client,
    email: String,
    password: Secret,
    /// `p90`: the platform domain without scheme.
    platform_domain: String,
    product_key: Option<String>,
}

impl PasswordLogin {
    async fn login(&self, now: SystemTime) -> Result<Session, Error> {
        let form = types::LoginForm {
            p60: self.product_key.clone(),
            p70: self.email.clone(),
            p80: self.password.clone(),
            p90: self.platform_domain.clone(),
        };
        let answer = match self.api.login().body(form).send().await {
            Ok(answer) => answer.into_inner(),
            Err(e) => {
                return Err(match e {
                    Error::Api { status, details, .. } if status.is_client_error() => Error::Auth(format!(
                        "login refused ({status}): {}",
                        runtime::redact(
                            &details.body.summary().unwrap_or_else(|| "no reason given".into()),
                            &[self.password.expose()]
                        )
                    )),
                    other => other,
                });
            }
        };
        let (v3_base_url, client_id) = v3_parts(&answer);
        let apikey = answer.apikey.filter(|s| !s.expose().is_empty());
        let sid = answer.sid.filter(|s| !s.expose().is_empty());
        let useruuid = answer.useruuid.filter(|u| !u.is_empty());
        let (Some(apikey), Some(sid), Some(useruuid)) = (apikey, sid, useruuid) else {
            // A refused login is often answered 200 with only {"message": ...}.
            let reason = answer
                .message
                .map(|m| runtime::redact(&m, &[self.password.expose()]))
                .unwrap_or_else(|| "the login answer has no session (apikey, useruuid, sid)".into());
            return Err(Error::Auth(reason));
        };
        tracing::debug!("logged in to IntelligenceBank");
        let mut session = Session::new(self.api.baseurl.clone(), apikey, useruuid, sid);
        session.product_key = self.product_key.clone();
        session.started_at = Some(now);
        session.lifetime = lifetime(answer.logintimeoutperiod.as_ref());
        session.v3_base_url = v3_base_url;
        session.client_id = client_id;
        Ok(session)
    }
}

/// The session of a [`Client`]: implements the runtime's [`Authenticator`], adding `p10`/`p20`
/// (and `p60`) and the `_aid` cookie to every v2 call and the `sid` header (and `productkey`) to
/// every v3 call, pacing calls with the client's [`RateLimiter`], and logging in again when the
/// session times out or is refused (when the client has the user's credentials).
pub struct SessionAuth {
    relogin: Option<PasswordLogin>,
    clock: Clock,
    current: tokio::sync::Mutex<Option<Session>>,
    /// What a v2 call of the current session gets, built once per session: read by every call
    /// without awaiting. Written only while `current` is locked, whenever it changes.
    ready: std::sync::RwLock<Option<Ready>>,
    limiter: Option<RateLimiter>,
}

/// What a v2 call of a session gets, prepared once per session: the `_aid` cookie header, the
/// session's `p10`/`p20`(/`p60`) query (the bytes [`Session::apply`] appends), and where its v3
/// calls go (those take the full path). Calls read it under the read lock.
struct Ready {
    session: Session,
    cookie: reqwest::header::HeaderValue,
    /// `p10=…&p20=…(&p60=…)`, encoded: written into the text of generated calls' URLs
    /// ([`Authenticator::write_query`]) and recognised there by `authorize_now`.
    query: Secret,
    /// Scheme, host, port and path prefix of the session's v3 calls.
    v3: Option<(String, Option<String>, Option<u16>, String)>,
}

impl Ready {
    fn new(session: &Session) -> Option<Ready> {
        let mut cookie =
            reqwest::header::HeaderValue::from_str(&format!("_aid={}", session.aid_cookie().expose())).ok()?;
        cookie.set_sensitive(true);
        let v3 = session.v3_base().map(|base| {
            (
                base.scheme().to_string(),
                base.host_str().map(str::to_string),
                base.port_or_known_default(),
                format!("{}/api/", base.path().trim_end_matches('/')),
            )
        });
        let query = session.encoded_query();
        Some(Ready {
            session: session.clone(),
            cookie,
            query,
            v3,
        })
    }

    /// Whether the query of a URL starts with this session's, as
    /// [`write_query`](Authenticator::write_query) wrote it: whole parameters, and no other session
    /// parameter after them. (A prefix test: searching the query for the session's would cost
    /// more than the rest of this check, for every call.)
    fn written_into(&self, query: &str) -> bool {
        query
            .strip_prefix(self.query.expose())
            .is_some_and(|rest| rest.is_empty() || (rest.starts_with('&') && !has_session_params(rest)))
    }

    /// Whether `url` may be a v3 call of this session (the same test as [`Session::is_v3_url`]).
    fn maybe_v3(&self, url: &Url) -> bool {
        self.v3.as_ref().is_some_and(|(scheme, host, port, prefix)| {
            url.scheme() == scheme
                && url.host_str() == host.as_deref()
                && url.port_or_known_default() == *port
                && url.path().starts_with(prefix.as_str())
        })
    }
}

impl fmt::Debug for SessionAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let login = self.relogin.as_ref();
        f.debug_struct("SessionAuth")
            .field("email", &login.map(|l| &l.email))
            .field("password", &login.map(|l| &l.password))
            .field("platform_domain", &login.map(|l| &l.platform_domain))
            .field("current", &self.current.try_lock().ok().map(|s| s.clone()))
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl SessionAuth {
    /// The current session (no request is sent), for example to save it for a later run.
    pub async fn session(&self) -> Option<Session> {
        self.current.lock().await.clone()
    }

    /// A session that is fresh enough to use: the current one, or a new login when there is none
    /// or it is about to time out (and this client can log in).
    pub async fn valid_session(&self) -> Result<Session, Error> {
        let mut current = self.current.lock().await;
        let stale = current.as_ref().is_none_or(|s| s.needs_renewal((self.clock)()));
        if stale && let Some(login) = &self.relogin {
            self.wait_for_permit().await;
            let session = login.login((self.clock)()).await?;
            self.store(&mut current, session);
        }
        current
            .clone()
            .ok_or_else(|| Error::Auth("this client has no session and no credentials to log in".into()))
    }

    fn new(
        relogin: Option<PasswordLogin>,
        clock: Clock,
        session: Option<Session>,
        limiter: Option<RateLimiter>,
    ) -> Self {
        Self {
            relogin,
            clock,
            ready: std::sync::RwLock::new(session.as_ref().and_then(Ready::new)),
            current: tokio::sync::Mutex::new(session),
            limiter,
        }
    }

    /// Replaces the session (the caller holds the `current` lock) and what calls read beside it.
    fn store(&self, current: &mut Option<Session>, session: Session) {
        *self.ready.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Ready::new(&session);
        *current = Some(session);
    }

    /// The limiter that paces this client's calls, when it has one.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.limiter.as_ref()
    }

    /// Waits for the limiter's permit (no-op without a limiter).
    async fn wait_for_permit(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
    }
}

impl Authenticator for SessionAuth {
    /// Only a client with credentials can log in again; a saved session returns the refusal.
    fn can_renew(&self) -> bool {
        self.relogin.is_some()
    }

    /// Every attempt the pipeline sends — first sends and resends alike — waits for the limiter.
    fn pace(&self) -> Option<BoxFuture<'_, ()>> {
        let limiter = self.limiter.as_ref()?;
        Some(Box::pin(limiter.until_ready()))
    }

    fn as_any(&self) -> Option<&(dyn std::any::Any + Send + Sync)> {
        Some(self)
    }

    /// Writes the current session's `p10`/`p20`(/`p60`) into the text of a generated v2 call's URL
    /// (one under the session's API base URL, without a fragment), first in its query: before a
    /// fixed query in the path, had one, and before the call's own parameters, which are appended
    /// later. `authorize_now` checks them against the session again once the URL is parsed.
    fn write_query(&self, url: &mut String) {
        let Ok(guard) = self.ready.read() else { return };
        let Some(ready) = guard.as_ref() else { return };
        let session = &ready.session;
        let under = |base: &str, path: &str| url.strip_prefix(base).is_some_and(|rest| rest.starts_with(path));
        let v3 = session.v3_base_url.as_deref().is_some_and(|base| under(base, "/api/"));
        if !under(&session.api_base_url, "/") || v3 || memchr::memchr(b'#', url.as_bytes()).is_some() {
            return;
        }
        let ours = ready.query.expose();
        match memchr::memchr(b'?', url.as_bytes()) {
            Some(at) => {
                url.insert(at + 1, '&');
                url.insert_str(at + 1, ours);
            }
            None => {
                url.push('?');
                url.push_str(ours);
            }
        }
    }

    /// A v2 call of a session that is not due for renewal keeps the session's prepared query when
    /// [`write_query`](Authenticator::write_query) put it there, or gets it first in its query
    /// (in place of any other session parameters), and gets the cookie, without awaiting
    /// anything; v3 calls and a session due for renewal take [`authorize`](Authenticator::authorize).
    fn authorize_now(&self, request: &mut reqwest::Request) -> Option<Result<(), Error>> {
        let guard = self.ready.read().ok()?;
        let ready = guard.as_ref()?;
        if self.relogin.is_some() && ready.session.needs_renewal((self.clock)()) {
            return None;
        }
        let url = request.url_mut();
        if ready.maybe_v3(url) {
            return None;
        }
        match url.query() {
            // Written by `write_query` before the URL was parsed: already the bytes `Session::apply`
            // would leave.
            Some(query) if ready.written_into(query) => {}
            // A hand-written call (or a stale session's parameters): the same bytes as
            // `Session::apply`.
            _ => put_session_first(ready.query.expose(), url),
        }
        request.headers_mut().insert(COOKIE, ready.cookie.clone());
        Some(Ok(()))
    }

    /// Adds the session: the `sid` header (and `productkey`) on a v3 call, `p10`/`p20` (and
    /// `p60`) and the `_aid` cookie on any other.
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let session = self.valid_session().await?;
            if session.is_v3_url(request.url()) {
                session.apply_v3(request)
            } else {
                session.apply(request)
            }
        })
    }

    fn reauthenticate<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let header = |name| rejected.headers().get(name).and_then(|v| v.to_str().ok());
            let (cookie, sid) = (header(COOKIE), header(SID_HEADER));
            let mut current = self.current.lock().await;
            // What the refused request carried: the `_aid` cookie of a v2 call, or the `sid`
            // header of a v3 call. When it is no longer the current session's, another caller
            // logged in after this request was sent.
            let superseded = match (cookie, sid) {
                (Some(sent), _) => current
                    .as_ref()
                    .is_none_or(|s| format!("_aid={}", s.aid_cookie().expose()) != sent),
                (None, Some(sent)) => current.as_ref().is_none_or(|s| s.sid.expose() != sent),
                (None, None) => false,
            };
            if superseded {
                return Ok(());
            }
            let Some(login) = &self.relogin else {
                return Err(Error::Auth(
                    "the session was refused and this client has no credentials to log in again".into(),
                ));
            };
            self.wait_for_permit().await;
            let session = login.login((self.clock)()).await?;
            self.store(&mut current, session);
            Ok(())
        })
    }
}

/// Builds an authenticated [`Client`]. Start with [`Client::builder`].
///
/// Give the platform domain ([`platform`](Self::platform)) and the user's credentials
/// ([`credentials`](Self::credentials)) to log in, or a saved [`Session`]
/// ([`session`](Self::session)), or both (the session is used first, the credentials renew it).
#[derive(Clone, Default)]
pub struct ClientBuilder {
    platform: Option<String>,
    api_base_url: Option<String>,
    email: Option<String>,
    password: Option<Secret>,
    product_key: Option<String>,
    session: Option<Session>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    http: Option<reqwest::Client>,
    clock: Option<Clock>,
    limit: Limit,
    allow_http: bool,
}

/// The call limit a builder gives its client.
#[derive(Clone, Debug, Default)]
enum Limit {
    /// [`CallQuota::PUBLISHED`].
    #[default]
    Published,
    /// Another quota, or none.
    Quota(Option<CallQuota>),
    /// A limiter the caller made (shared, or on a manual clock).
    Shared(RateLimiter),
}

impl Limit {
    fn limiter(self) -> Option<RateLimiter> {
        match self {
            Limit::Published => Some(RateLimiter::new(CallQuota::PUBLISHED)),
            Limit::Quota(quota) => quota.map(RateLimiter::new),
            Limit::Shared(limiter) => Some(limiter),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("platform", &self.platform)
            .field("api_base_url", &self.api_base_url)
            .field("email", &self.email)
            .field("password", &self.password)
            .field("product_key", &self.product_key)
            .field("session", &self.session)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("http", &self.http.as_ref().map(|_| "caller's client"))
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .field("limit", &self.limit)
            .finish()
    }
}

impl Client {
    /// Starts building a client that logs in and keeps its session fresh.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client using an existing session (for example from a browser login, see
    /// [`ClientBuilder::start_sso`]), with default timeouts, retries and call limit
    /// ([`CallQuota::PUBLISHED`]). It cannot log in again: once the session times out, calls fail
    /// with the service's 401/403. For other settings use [`ClientBuilder::session`].
    pub fn from_session(session: Session) -> Result<Client, Error> {
        let http = runtime::http_client_with_agent(Timeouts::default(), crate::PROVIDER.user_agent)?;
        let base = session.api_base_url.clone();
        let auth = Arc::new(SessionAuth::new(
            None,
            Arc::new(SystemTime::now),
            Some(session),
            Limit::Published.limiter(),
        ));
        let state = ClientState::new(&crate::PROVIDER, auth, RetryPolicy::default());
        Ok(Client::new_with_client(&base, http, state))
    }
}

/// The platform's URL (`https://` unless a scheme is given) and its domain without scheme (`p90`).
fn platform_parts(platform: &str) -> Result<(String, String), Error> {
    let platform = platform.trim();
    let text = if platform.contains("://") {
        platform.to_string()
    } else {
        format!("https://{platform}")
    };
    let invalid = || Error::InvalidInput(format!("{platform:?} is not a platform domain or URL"));
    let url = reqwest::Url::parse(&text).map_err(|_| invalid())?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(invalid)?;
    let domain = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    Ok((format!("{}://{domain}", url.scheme()), domain))
}

impl ClientBuilder {
    /// The customer's platform domain, e.g. `acme.intelligencebank.com` (or a URL such as
    /// `https://acme.intelligencebank.com`). Discovery and the browser login are sent to it, and
    /// its domain is the login field `p90`.
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }

    /// The API base URL, e.g. `https://apiau.intelligencebank.com`, when it is known: discovery is
    /// skipped. Like the platform URL it must be `https`, or plain `http` to a loopback host (tests,
    /// simulators), unless [`allow_http`](Self::allow_http) is set.
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = Some(url.into().trim_end_matches('/').to_string());
        self
    }

    /// Allows plain-`http` platform and API URLs to hosts that are not loopback. The password and
    /// the session then travel unencrypted: only for a trusted network.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The user's e-mail and password (login fields `p70` and `p80`).
    pub fn credentials(mut self, email: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.email = Some(email.into());
        self.password = Some(password.into());
        self
    }

    /// The product key: sent as `p60` on login and on every call, and ending the `_aid` cookie.
    pub fn product_key(mut self, product_key: impl Into<String>) -> Self {
        self.product_key = Some(product_key.into());
        self
    }

    /// An existing session to use instead of logging in first.
    pub fn session(mut self, session: Session) -> Self {
        self.session = Some(session);
        self
    }

    /// Retries of idempotent calls on 429/503 (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Connect and read timeouts of the HTTP client (default [`Timeouts::default`]; ignored with
    /// [`http_client`](Self::http_client)).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sends through this HTTP client instead of building one, for example one
    /// [`runtime::http_client`] shared by the clients of every DAM SDK, so they share one
    /// connection pool.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    fn http(&self) -> Result<reqwest::Client, Error> {
        match &self.http {
            Some(http) => Ok(http.clone()),
            None => runtime::http_client_with_agent(self.timeouts, crate::PROVIDER.user_agent),
        }
    }

    /// The clock that times sessions (default `SystemTime::now`); tests use it to let time pass.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// The client-side call limit: `Some(quota)` paces every call of the client (v2 and v3, and its
    /// logins) to that quota; `None` turns the limit off. Default: [`CallQuota::PUBLISHED`], the
    /// provider's 600 calls per minute per user. See [`rate_limit`](crate::rate_limit).
    pub fn rate_limit(mut self, quota: Option<CallQuota>) -> Self {
        self.limit = Limit::Quota(quota);
        self
    }

    /// Paces calls with this limiter instead: clones of one [`RateLimiter`] share one budget, so
    /// several clients of the same user stay under one quota together. Tests pass a limiter on a
    /// [`ManualClock`](crate::rate_limit::ManualClock).
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limit = Limit::Shared(limiter);
        self
    }

    /// Discovers the API base URL (unless given), logs in (unless a session was given) and builds
    /// the client. Fails with [`Error::InvalidInput`] without credentials or a session, or without
    /// the platform when it is needed; with [`Error::Auth`] when the login is refused.
    pub async fn build(self) -> Result<Client, Error> {
        self.build_with_auth().await.map(|(client, _)| client)
    }

    /// Like [`build`](Self::build), and also returns the client's [`SessionAuth`], to read the
    /// current [`Session`] (for example to save it).
    pub async fn build_with_auth(self) -> Result<(Client, Arc<SessionAuth>), Error> {
        let platform = self.platform.as_deref().map(platform_parts).transpose()?;
        if let Some((platform_url, _)) = &platform {
            runtime::check_base_url("platform", platform_url, self.allow_http)?;
        }
        if let Some(url) = &self.api_base_url {
            runtime::check_base_url("api_base_url", url, self.allow_http)?;
        }
        if let (Some(email), Some(password)) = (&self.email, &self.password) {
            runtime::check_credential("email", email)?;
            runtime::check_credential("password", password.expose())?;
        }
        let can_login = self.email.is_some() && self.password.is_some();
        if !can_login && self.session.is_none() {
            return Err(Error::InvalidInput(
                "IntelligenceBank needs the user's credentials or a session".into(),
            ));
        }
        if can_login && platform.is_none() {
            return Err(Error::InvalidInput(
                "logging in needs the platform domain (login field p90)".into(),
            ));
        }
        let http = self.http()?;
        let api_base = match (&self.api_base_url, &self.session, &platform) {
            (Some(url), _, _) => url.clone(),
            (None, Some(session), _) => session.api_base_url.clone(),
            (None, None, Some((platform_url, _))) => {
                let discovered = discover(&http, platform_url, self.retry).await?;
                runtime::check_base_url("the discovered API base URL", &discovered, self.allow_http)?
            }
            (None, None, None) => {
                return Err(Error::InvalidInput(
                    "IntelligenceBank needs the platform domain (or the API base URL)".into(),
                ));
            }
        };
        let logged_in = self.session.is_some();
        let (client, auth) = self.assemble(http, api_base, platform);
        if !logged_in {
            auth.valid_session().await?;
        }
        Ok((client, auth))
    }

    /// The client of a given [`session`](Self::session), built without sending anything (no
    /// discovery, no login): the simulator's ready clients. Fails with [`Error::InvalidInput`]
    /// without a session.
    #[cfg(feature = "simulator")]
    pub(crate) fn build_offline(self) -> Result<Client, Error> {
        let platform = self.platform.as_deref().map(platform_parts).transpose()?;
        let Some(session) = &self.session else {
            return Err(Error::InvalidInput("building without a login needs a session".into()));
        };
        let api_base = self
            .api_base_url
            .clone()
            .unwrap_or_else(|| session.api_base_url.clone());
        let http = self.http()?;
        Ok(self.assemble(http, api_base, platform).0)
    }

    /// The client and its session state, from the builder's settings and the API base URL.
    fn assemble(
        self,
        http: reqwest::Client,
        api_base: String,
        platform: Option<(String, String)>,
    ) -> (Client, Arc<SessionAuth>) {
        let relogin = match (self.email, self.password, platform) {
            (Some(email), Some(password), Some((_, platform_domain))) => Some(PasswordLogin {
                api: unauthenticated(&api_base, &http, self.retry),
                email,
                password,
                platform_domain,
                product_key: self.product_key.clone(),
            }),
            _ => None,
        };
        let session = self.session.map(|mut s| {
            s.api_base_url = api_base.clone();
            if self.product_key.is_some() {
                s.product_key = self.product_key.clone();
            }
            s
        });
        let auth = Arc::new(SessionAuth::new(
            relogin,
            self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            session,
            self.limit.limiter(),
        ));
        let state = ClientState::new(&crate::PROVIDER, auth.clone(), self.retry);
        (Client::new_with_client(&api_base, http, state), auth)
    }

    /// Starts a browser (SSO) login on the [`platform`](Self::platform): creates the one-time
    /// token and discovers the API base URL (unless given). Send the user to
    /// [`SsoLogin::login_url`], then [`SsoLogin::wait`] for the session and build a client with
    /// [`Client::from_session`] or [`ClientBuilder::session`].
    pub async fn start_sso(self) -> Result<SsoLogin, Error> {
        let Some(platform) = self.platform.as_deref() else {
            return Err(Error::InvalidInput("a browser login needs the platform domain".into()));
        };
        let (platform_url, _) = platform_parts(platform)?;
        let http = self.http()?;
        let api_base_url = match self.api_base_url {
            Some(url) => url,
            None => discover(&http, &platform_url, self.retry).await?,
        };
        let platform_client = unauthenticated(&platform_url, &http, self.retry);
        let token = platform_client
            .sso_create_token()
            .send()
            .await?
            .into_inner()
            .content
            .filter(|t| !t.expose().is_empty())
            .ok_or_else(|| Error::Auth("the browser-login token answer has no token (content)".into()))?;
        Ok(SsoLogin {
            platform: platform_client,
            platform_url,
            api_base_url,
            product_key: self.product_key,
            token,
        })
    }
}

/// A generated client without credentials, for discovery, login and the browser-login steps.
fn unauthenticated(base_url: &str, http: &reqwest::Client, retry: RetryPolicy) -> Client {
    Client::new_with_client(
        base_url,
        http.clone(),
        ClientState::without_credentials(&crate::PROVIDER, retry),
    )
}

/// `get_api_address` on the platform: the API base URL, without a trailing slash.
async fn discover(http: &reqwest::Client, platform_url: &str, retry: RetryPolicy) -> Result<String, Error> {
    let answer = unauthenticated(platform_url, http, retry)
        .get_api_address()
        .send()
        .await?
        .into_inner();
    let url = answer.content.unwrap_or_default();
    let url = url.trim().trim_end_matches('/');
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(url.to_string()),
        _ => Err(Error::Decode {
            operation: "discover_api_base",
            path: String::new(),
            message: "getYapiAddress answered no API base URL in `content`".into(),
            excerpt: url.chars().take(200).collect(),
        }),
    }
}

/// A browser (SSO) login in progress, from [`ClientBuilder::start_sso`]. `Debug` does not show the
/// one-time token.
pub struct SsoLogin {
    platform: Client,
    platform_url: String,
    api_base_url: String,
    product_key: Option<String>,
    token: Secret,
}

impl fmt::Debug for SsoLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoLogin")
            .field("platform_url", &self.platform_url)
            .field("api_base_url", &self.api_base_url)
            .field("product_key", &self.product_key)
            .field("token", &self.token)
            .finish()
    }
}

impl SsoLogin {
    /// The page the user opens in a browser to log in:
    /// `https://{platform}/auth/?login=0&token={token}`. It holds the one-time token: show it to
    /// the user, do not log it.
    pub fn login_url(&self) -> String {
        let page = format!("{}/auth/", self.platform_url);
        let params = [("login", "0"), ("token", self.token.expose())];
        reqwest::Url::parse_with_params(&page, params)
            .map(String::from)
            .unwrap_or(page)
    }

    /// Asks once whether the browser login is done: `None` while it is pending (the service
    /// answers 404), the session once it is done (the token is then used up).
    pub async fn poll(&self) -> Result<Option<Session>, Error> {
        match self
            .platform
            .sso_get_session_info()
            .token(self.token.expose())
            .send()
            .await
        {
            Ok(answer) => {
                let mut session = Session::from_sso_info(&self.api_base_url, &answer.into_inner())?;
                session.product_key = self.product_key.clone();
                Ok(Some(session))
            }
            Err(Error::Api { status, .. }) if status == reqwest::StatusCode::NOT_FOUND => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Polls every `interval` until the browser login is done, for at most `timeout`; then fails
    /// with [`Error::Timeout`].
    pub async fn wait(&self, interval: Duration, timeout: Duration) -> Result<Session, Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(session) = self.poll().await? {
                return Ok(session);
            }
            if tokio::time::Instant::now() + interval > deadline {
                return Err(Error::Timeout(format!(
                    "the browser login did not finish within {} s",
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_domains_and_urls() {
        let https = (
            "https://acme.intelligencebank.com".to_string(),
            "acme.intelligencebank.com".to_string(),
        );
        assert_eq!(platform_parts("acme.intelligencebank.com").unwrap(), https);
        assert_eq!(platform_parts(" https://acme.intelligencebank.com/ ").unwrap(), https);
        assert_eq!(
            platform_parts("http://127.0.0.1:8080").unwrap(),
            ("http://127.0.0.1:8080".to_string(), "127.0.0.1:8080".to_string())
        );
        assert!(platform_parts("https://").is_err());
    }

    #[test]
    fn sessions_are_renewed_a_little_early() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = Session::new("https://x", "k", "u", "s").with_timing(start, Duration::from_secs(3600));
        assert_eq!(hour.expires_at(), Some(start + Duration::from_secs(3600)));
        assert!(!hour.needs_renewal(start + Duration::from_secs(3600 - 301)));
        assert!(hour.needs_renewal(start + Duration::from_secs(3600 - 300)));
        // A ten-minute session (clock-tested only) is renewed five minutes early: half its life.
        let short = Session::new("https://x", "k", "u", "s").with_timing(start, Duration::from_secs(600));
        assert!(!short.needs_renewal(start + Duration::from_secs(299)));
        assert!(short.needs_renewal(start + Duration::from_secs(300)));
        // A two-minute one after a minute: never on every call.
        let tiny = Session::new("https://x", "k", "u", "s").with_timing(start, Duration::from_secs(120));
        assert!(!tiny.needs_renewal(start + Duration::from_secs(59)));
        assert!(tiny.needs_renewal(start + Duration::from_secs(60)));
        assert!(!Session::new("https://x", "k", "u", "s").needs_renewal(start));
    }

    #[test]
    fn login_timeout_is_in_hours() {
        let hours = |v: serde_json::Value| lifetime(serde_json::from_value(v).ok().as_ref());
        assert_eq!(hours(serde_json::json!(120)), Some(Duration::from_secs(432_000)));
        assert_eq!(hours(serde_json::json!("1")), Some(Duration::from_secs(3600)));
        assert_eq!(hours(serde_json::json!("")), None);
        assert_eq!(hours(serde_json::json!(0)), None);
    }

    /// What `write_query` writes and what `authorize_now` then accepts as written: the bytes
    /// `Session::apply` gives, session first, checked on URLs with and without a query of their
    /// own.
    #[test]
    fn the_query_written_before_parsing_is_the_one_apply_writes() {
        let session = Session::new("https://acme.example/base", "k y", "u&1", "s")
            .with_v3("https://acme.example/base/v3", "c")
            .with_product_key("P K");
        let clock: Clock = Arc::new(SystemTime::now);
        let auth = SessionAuth::new(None, clock, Some(session.clone()), None);
        let written = |text: &str| {
            let mut text = text.to_string();
            auth.write_query(&mut text);
            text
        };
        for path in ["/webapp/1.0/resources", "/webapp/1.0/resources?fileinfo=true"] {
            let text = written(&format!("https://acme.example/base{path}"));
            let mut applied = reqwest::Request::new(
                reqwest::Method::GET,
                Url::parse(&format!("https://acme.example/base{path}")).unwrap(),
            );
            session.apply(&mut applied).unwrap();
            assert_eq!(text, applied.url().as_str());
            let mut request = reqwest::Request::new(reqwest::Method::GET, Url::parse(&text).unwrap());
            assert!(auth.authorize_now(&mut request).unwrap().is_ok());
            assert_eq!(request.url().as_str(), applied.url().as_str(), "left as written");
            assert_eq!(request.headers().get(COOKIE), applied.headers().get(COOKIE));
        }
        // Not under the session's API base, under its v3 prefix, or with a fragment: untouched.
        for other in [
            "https://other.example/webapp/1.0/resources",
            "https://acme.example/basement/x",
            "https://acme.example/base/v3/api/3.0.0/c/resource",
            "https://acme.example/base/webapp/1.0/resources#x",
        ] {
            assert_eq!(written(other), other);
        }
    }

    #[test]
    fn only_the_current_query_written_first_counts_as_written() {
        let session = Session::new("https://acme.example", "k", "u", "s");
        let ready = Ready::new(&session).unwrap();
        assert_eq!(ready.query.expose(), "p10=k&p20=u");
        assert!(ready.written_into("p10=k&p20=u"));
        assert!(ready.written_into("p10=k&p20=u&fileinfo=true"));
        // Not first, another session's, parts of other parameters, or a session parameter once more.
        assert!(!ready.written_into("fileinfo=true&p10=k&p20=u"));
        assert!(!ready.written_into("p10=old&p20=u"));
        assert!(!ready.written_into("xp10=k&p20=u"));
        assert!(!ready.written_into("p10=k&p20=ux"));
        assert!(!ready.written_into("p10=old&p10=k&p20=u"));
        assert!(!ready.written_into("p10=k&p20=u&p20=v"));
        assert!(!ready.written_into("p10=k&p20=u&p%360=P"));
    }

    /// The same answer as reading the query with `Url::query_pairs`.
    #[test]
    fn session_parameters_are_found_as_query_pairs_finds_them() {
        for (query, found) in [
            ("", false),
            ("p10=k", true),
            ("a=1&p20", true),
            ("a=1&&p60=", true),
            ("p%310=k", true),
            ("p%360=x&b=2", true),
            ("ap10=k&p10x=1&p1=0", false),
            ("a=p10&b=p20%3D", false),
            ("p+10=k&p%2510=k", false),
            ("a=1&p10&b", true),
            ("x=1&p1", false),
            ("p10x", false),
            ("&p60", true),
            ("a=%20&p20=1", true),
            ("a=%20&b=p10", false),
        ] {
            let pairs =
                url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| SESSION_PARAMS.contains(&k.as_ref()));
            assert_eq!(pairs, found, "{query}");
            assert_eq!(has_session_params(query), found, "{query}");
        }
    }

    /// Every query of up to six bytes over the bytes that matter (the session names', the
    /// separators, an escape of `1`) gets the same answer as `Url::query_pairs` gives.
    #[test]
    fn session_parameters_are_found_as_query_pairs_finds_them_in_every_short_query() {
        const BYTES: &[u8] = b"p1260=&%3";
        let mut query = Vec::new();
        let mut checked = 0;
        for len in 0..=6u32 {
            for mut n in 0..BYTES.len().pow(len) {
                query.clear();
                for _ in 0..len {
                    query.push(BYTES[n % BYTES.len()]);
                    n /= BYTES.len();
                }
                let query = std::str::from_utf8(&query).unwrap();
                let pairs =
                    url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| SESSION_PARAMS.contains(&k.as_ref()));
                assert_eq!(has_session_params(query), pairs, "{query}");
                checked += 1;
            }
        }
        assert_eq!(checked, 597_871);
    }

    /// A hand-written call's query (or one with a stale session's parameters) gets the session
    /// first, every other parameter after it as it was written.
    #[test]
    fn the_session_goes_first_and_replaces_stale_parameters() {
        let session = Session::new("https://acme.example", "k", "u", "s");
        let put = |url: &str| {
            let mut url = Url::parse(url).unwrap();
            put_session_first(session.encoded_query().expose(), &mut url);
            url.to_string()
        };
        let base = "https://acme.example/webapp/1.0/resources";
        assert_eq!(put(base), format!("{base}?p10=k&p20=u"));
        assert_eq!(put(&format!("{base}?")), format!("{base}?p10=k&p20=u"));
        assert_eq!(
            put(&format!("{base}?fileuuid=a%20b&version=2")),
            format!("{base}?p10=k&p20=u&fileuuid=a%20b&version=2"),
            "kept as written, not form-encoded again"
        );
        assert_eq!(
            put(&format!("{base}?fileuuid=f&p10=old&p20=old&p60=X&&x=1")),
            format!("{base}?p10=k&p20=u&fileuuid=f&x=1")
        );
    }
}
