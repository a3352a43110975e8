//! Skyfish authentication: the client builder, the HMAC login and the `CBX-SIMPLE-TOKEN` header.
//!
//! A client built with [`ClientBuilder::credentials`] logs in with
//! `POST /authenticate/userpasshmac` and the JSON body `{username, password, key, ts, hmac}`, where
//! `ts` is the current UNIX time in seconds (a JSON integer; the service rejects it outside ±60 s)
//! and `hmac` is the lower-case hex HMAC-SHA1 of `"{key}:{ts}"` keyed with the API secret
//! ([`login_hmac`]). The clock is read once per login, so the body and the HMAC carry the same
//! `ts`. Every later call carries `Authorization: CBX-SIMPLE-TOKEN Token={token}`.
//!
//! There is no refresh endpoint: the client logs in again [`DEFAULT_RENEW_BEFORE`] before the
//! answer's `validUntil` — but never before half the token's life has passed
//! ([`runtime::renew_after`], the rule every crate uses), so a short-lived token does not cause a
//! login per call — and once after a 401. One async mutex guards the token and is held
//! across a login, and a refused request's token is compared with the current one, so any number
//! of concurrent calls that find the token stale, or that were refused with the same token, cause
//! a single login.
//!
//! A client built with [`ClientBuilder::token`] alone sends that token and never logs in: a 401
//! then surfaces as [`Error::Api`] with status 401.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use futures_util::future::BoxFuture;
use reqwest::header::AUTHORIZATION;
use ring::hmac;

use crate::runtime::{self, Authenticator, ClientState, RetryPolicy, Secret, Timeouts};
use crate::{Client, Error, types};

/// The production API host, used when [`ClientBuilder::base_url`] is not called.
pub const DEFAULT_BASE_URL: &str = "https://api.colourbox.com";

/// How long before the token's `validUntil` the client logs in again.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// The scheme of the Authorization header (`Authorization: CBX-SIMPLE-TOKEN Token=…`).
pub const TOKEN_SCHEME: &str = "CBX-SIMPLE-TOKEN";

/// A clock giving the current UNIX time in seconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The login HMAC: lower-case hex HMAC-SHA1 of `"{key}:{ts}"`, keyed with the API secret.
///
/// ```
/// assert_eq!(
///     sdk_skyfish::auth::login_hmac("company2key", "company2secret", 1429187979),
///     "7e42196943a343e7494fc2636a3f7313edfcd81f",
/// );
/// ```
pub fn login_hmac(key: &str, secret: &str, ts: i64) -> String {
    let secret = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    let tag = hmac::sign(&secret, format!("{key}:{ts}").as_bytes());
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of the Authorization header for a token.
fn header_value(token: &Secret) -> String {
    format!("{TOKEN_SCHEME} Token={}", token.expose())
}

/// The header once per token (marked sensitive), so calls only clone it.
fn header(token: &Secret) -> Result<reqwest::header::HeaderValue, Error> {
    let mut value = reqwest::header::HeaderValue::from_str(&header_value(token))
        .map_err(|_| Error::InvalidInput("the token is not valid header text".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

fn system_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Builds a [`Client`]. Start with [`Client::builder`]; give [`credentials`](Self::credentials)
/// (the client logs in and renews its token), a [`token`](Self::token) from an earlier login, or
/// both (the token is used until it is refused, then the client logs in).
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    token: Option<Secret>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    http: Option<reqwest::Client>,
    renew_before: Duration,
    clock: Option<Clock>,
    allow_http: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("token", &self.token)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("renew_before", &self.renew_before)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            credentials: None,
            token: None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            http: None,
            renew_before: DEFAULT_RENEW_BEFORE,
            clock: None,
            allow_http: false,
        }
    }
}

/// What the HMAC login needs: the application's API key and secret and the user's name and
/// password. The secret and the password never appear in `Debug` output.
#[derive(Clone)]
struct Credentials {
    key: String,
    secret: Secret,
    username: String,
    password: Secret,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key)
            .field("secret", &self.secret)
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl Client {
    /// Starts building a client for the Skyfish API.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl ClientBuilder {
    /// The API's base URL (default [`DEFAULT_BASE_URL`]). It must be `https`, or plain `http` to a
    /// loopback host (tests, simulators), unless [`allow_http`](Self::allow_http) is set.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Allows a plain-`http` base URL to a host that is not loopback. Credentials then travel
    /// unencrypted: only for a trusted network.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The application's API key and secret and the user's name and password, for the HMAC login.
    pub fn credentials(
        mut self,
        key: impl Into<String>,
        secret: impl Into<Secret>,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        self.credentials = Some(Credentials {
            key: key.into(),
            secret: secret.into(),
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// An auth-token from an earlier login. Without [`credentials`](Self::credentials) the client
    /// never logs in, and a refused token is an [`Error::Api`] with status 401.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Retries of idempotent calls on 429/503/connection errors (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Connect and read timeouts of the HTTP client the builder creates (default
    /// [`Timeouts::default`]; ignored with [`http_client`](Self::http_client)).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Uses this `reqwest::Client` (for proxies, TLS settings or a redirect policy) instead of the
    /// one built from [`timeouts`](Self::timeouts). Credentials are never set on it: they are
    /// added per request.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// How long before the token's `validUntil` the client logs in again (default
    /// [`DEFAULT_RENEW_BEFORE`]).
    pub fn renew_before(mut self, renew_before: Duration) -> Self {
        self.renew_before = renew_before;
        self
    }

    /// The clock giving the login's `ts` and deciding when the token is due for renewal (UNIX
    /// seconds; default the system clock). The service rejects a `ts` more than 60 s from its own
    /// clock, so a host whose clock is off can pass a corrected one here.
    pub fn clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Builds the client. Fails with [`Error::InvalidInput`] when neither credentials nor a token
    /// were given. No request is sent until the first call.
    pub fn build(self) -> Result<Client, Error> {
        self.build_with_auth().map(|(client, _)| client)
    }

    /// Builds the client and also returns its [`TokenAuth`], to read the current token (for
    /// example to store it and build a later client with [`token`](Self::token)).
    pub fn build_with_auth(self) -> Result<(Client, Arc<TokenAuth>), Error> {
        if self.credentials.is_none() && self.token.is_none() {
            return Err(Error::InvalidInput(
                "Skyfish needs credentials (key, secret, username, password) or a token".into(),
            ));
        }
        let base_url = runtime::check_base_url("base_url", &self.base_url, self.allow_http)?;
        if let Some(c) = &self.credentials {
            runtime::check_credential("api key", &c.key)?;
            runtime::check_credential("api secret", c.secret.expose())?;
            runtime::check_credential("username", &c.username)?;
            runtime::check_credential("password", c.password.expose())?;
        }
        if let Some(t) = &self.token {
            runtime::check_credential("token", t.expose())?;
        }
        let http = match self.http {
            Some(http) => http,
            None => runtime::http_client_with_agent(self.timeouts, crate::PROVIDER.user_agent)?,
        };
        let login = self.credentials.map(|credentials| Login {
            credentials,
            // Login is an unauthenticated operation: this client carries no credentials.
            client: Client::new_with_client(
                &base_url,
                http.clone(),
                ClientState::without_credentials(&crate::PROVIDER, self.retry),
            ),
        });
        let token = self
            .token
            .map(|value| {
                Ok::<_, Error>(Token {
                    header: header(&value)?,
                    value,
                    obtained: None,
                    valid_until: None,
                })
            })
            .transpose()?;
        let auth = Arc::new(TokenAuth {
            login,
            // A given token has no known expiry: never due.
            fresh: std::sync::RwLock::new(token.as_ref().map(|t| (t.header.clone(), None))),
            token: tokio::sync::Mutex::new(token),
            renew_before: self.renew_before,
            clock: self.clock.unwrap_or_else(|| Arc::new(system_clock)),
        });
        let state = ClientState::new(&crate::PROVIDER, auth.clone(), self.retry);
        Ok((Client::new_with_client(&base_url, http, state), auth))
    }
}

/// The current auth-token and when it runs out.
struct Token {
    value: Secret,
    /// `Authorization: CBX-SIMPLE-TOKEN Token=…`, built once.
    header: reqwest::header::HeaderValue,
    /// When the login that issued it ran (UNIX seconds), when it was issued by this client.
    obtained: Option<i64>,
    /// `validUntil` of the login answer (UNIX seconds), when known.
    valid_until: Option<i64>,
}

struct Login {
    credentials: Credentials,
    client: Client,
}

/// The [`Authenticator`] of a Skyfish client: holds the token, logs in when it is missing, due for
/// renewal or refused. Obtain it with [`ClientBuilder::build_with_auth`].
pub struct TokenAuth {
    login: Option<Login>,
    /// The current token's `Authorization` value and when it is due for renewal (UNIX seconds;
    /// `None`: never): what every call reads, without awaiting. Written only while `token` is
    /// locked, whenever it changes ([`TokenAuth::store`]).
    fresh: std::sync::RwLock<Option<(reqwest::header::HeaderValue, Option<i64>)>>,
    token: tokio::sync::Mutex<Option<Token>>,
    renew_before: Duration,
    clock: Clock,
}

impl fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAuth")
            .field("credentials", &self.login.as_ref().map(|l| &l.credentials))
            .field("renew_before", &self.renew_before)
            .finish_non_exhaustive()
    }
}

impl TokenAuth {
    /// The current token and its `validUntil` (UNIX seconds, when known), or `None` before the
    /// first login.
    pub async fn current_token(&self) -> Option<(Secret, Option<i64>)> {
        let guard = self.token.lock().await;
        guard.as_ref().map(|t| (t.value.clone(), t.valid_until))
    }

    /// Due for renewal: [`renew_before`](ClientBuilder::renew_before) before `validUntil`, but not
    /// before half its life has passed ([`runtime::renew_after`]).
    fn is_due(&self, token: &Token) -> bool {
        self.due_at(token).is_some_and(|due| (self.clock)() >= due)
    }

    /// When `token` is due for renewal (UNIX seconds), if ever.
    fn due_at(&self, token: &Token) -> Option<i64> {
        let until = token.valid_until?;
        let due = match token.obtained {
            Some(start) if until > start => {
                let lifetime = Duration::from_secs((until - start) as u64);
                start.saturating_add(runtime::renew_after(lifetime, self.renew_before).as_secs() as i64)
            }
            _ => until.saturating_sub(i64::try_from(self.renew_before.as_secs()).unwrap_or(i64::MAX)),
        };
        Some(due)
    }

    /// Replaces the token (the caller holds the `token` lock) and what calls read beside it.
    fn store(&self, slot: &mut Option<Token>, token: Option<Token>) {
        let fresh = token.as_ref().map(|t| (t.header.clone(), self.due_at(t)));
        *self.fresh.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        *slot = token;
    }

    /// The current token's `Authorization` value while it is not due for renewal.
    fn fresh_header(&self) -> Option<reqwest::header::HeaderValue> {
        let fresh = self.fresh.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (header, due) = fresh.as_ref()?;
        due.is_none_or(|due| (self.clock)() < due).then(|| header.clone())
    }

    /// Logs in once. Errors are [`Error::Auth`] with the service's status, message and request
    /// id (never a credential).
    async fn log_in(&self, login: &Login) -> Result<Token, Error> {
        let c = &login.credentials;
        let ts = (self.clock)();
        let body = types::LoginRequest {
            hmac: login_hmac(&c.key, c.secret.expose(), ts),
            key: c.key.clone(),
            password: c.password.clone(),
            ts,
            username: c.username.clone(),
        };
        let answer = login
            .client
            .authenticate_userpasshmac()
            .body(body)
            .send()
            .await
            .map_err(|e| Error::Auth(format!("login failed: {}", e)))?
            .into_inner();
        let value = answer
            .token
            .filter(|t| !t.expose().is_empty())
            .ok_or_else(|| Error::Auth("the login answer has no token".into()))?;
        tracing::debug!("logged in to skyfish");
        Ok(Token {
            header: header(&value)
                .map_err(|_| Error::Auth("the login answer's token is not valid header text".into()))?,
            value,
            obtained: Some(ts),
            valid_until: answer.valid_until.and_then(|t| t.to_datetime()).map(|d| d.timestamp()),
        })
    }
}

impl Authenticator for TokenAuth {
    /// Only a client with credentials can log in again; a token-only client returns the refusal.
    fn can_renew(&self) -> bool {
        self.login.is_some()
    }

    /// A token that is not due for renewal is added without awaiting anything.
    fn authorize_now(&self, request: &mut reqwest::Request) -> Option<Result<(), Error>> {
        let value = self.fresh_header()?;
        request.headers_mut().insert(AUTHORIZATION, value);
        Some(Ok(()))
    }

    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if let Some(value) = self.fresh_header() {
                request.headers_mut().insert(AUTHORIZATION, value);
                return Ok(());
            }
            let value = {
                let mut guard = self.token.lock().await;
                let stale = guard.as_ref().is_none_or(|t| self.is_due(t));
                if let (true, Some(login)) = (stale, &self.login) {
                    let token = self.log_in(login).await?;
                    self.store(&mut guard, Some(token));
                }
                match guard.as_ref() {
                    Some(token) => token.header.clone(),
                    None => return Err(Error::Auth("no token and no credentials to log in".into())),
                }
            };
            request.headers_mut().insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    fn reauthenticate<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let Some(login) = &self.login else {
                return Err(Error::Auth(
                    "the token was refused and this client has no credentials to log in again".into(),
                ));
            };
            let mut guard = self.token.lock().await;
            let sent = rejected.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
            let current = guard.as_ref().map(|t| t.header.as_bytes());
            // Another caller may have logged in since `rejected` was sent: then its token is stale
            // but the current one is fresh, and no new login is needed.
            if sent.is_none() || sent == current {
                let token = self.log_in(login).await?;
                self.store(&mut guard, Some(token));
            }
            Ok(())
        })
    }
}

impl Client {
    /// Makes `url` usable without the Authorization header (§8.3), e.g. to embed a download in a
    /// third-party page: appends the query parameter `authorization` = base64 of the
    /// Authorization header value this client sends (logging in first if needed).
    ///
    /// The result carries the token: treat it as a credential.
    pub async fn authorized_url(&self, url: &str) -> Result<String, Error> {
        let mut parsed = reqwest::Url::parse(url).map_err(|e| Error::InvalidInput(format!("not a valid URL: {e}")))?;
        let mut probe = reqwest::Request::new(reqwest::Method::GET, parsed.clone());
        self.inner.authenticator().authorize(&mut probe).await?;
        let value = probe
            .headers()
            .get(AUTHORIZATION)
            .ok_or_else(|| Error::Auth("this client sends no Authorization header".into()))?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
        parsed.query_pairs_mut().append_pair("authorization", &encoded);
        Ok(parsed.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_the_providers_vector() {
        assert_eq!(
            login_hmac("company2key", "company2secret", 1429187979),
            "7e42196943a343e7494fc2636a3f7313edfcd81f"
        );
    }

    #[test]
    fn hmac_matches_an_independent_vector() {
        // python3 -c 'import hmac,hashlib; print(hmac.new(b"s3cr3t-Secret",
        //   b"myApiKey42:1700000000", hashlib.sha1).hexdigest())'
        assert_eq!(
            login_hmac("myApiKey42", "s3cr3t-Secret", 1700000000),
            "b6cfedf971e8472e47be007972803e5a595693a2"
        );
    }

    #[test]
    fn header_has_the_documented_form() {
        assert_eq!(header_value(&Secret::new("abc123")), "CBX-SIMPLE-TOKEN Token=abc123");
    }
}
