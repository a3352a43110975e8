//! Sony Ci OAuth 2: the client builder, the token cache and its refresh, and delegate tokens.
//!
//! Ci issues bearer tokens at `POST /oauth2/token`. Two grants are used here, both sent
//! form-urlencoded (the live service and the OAuth 2 standard; the document shows JSON):
//!
//! - **password**: `Authorization: Basic base64(username:password)` with the body
//!   `grant_type=password&client_id=…&client_secret=…`;
//! - **refresh token**: no `Authorization` header, body
//!   `grant_type=refresh_token&refresh_token=…&client_id=…&client_secret=…`.
//!
//! Both answer `{access_token, expires_in, token_type, refresh_token}`. The access token is cached
//! with the lifetime read from `expires_in` and renewed with the refresh token shortly before it
//! expires ([`EARLY_REFRESH`] early, but not before half its life has passed: the rule of
//! [`runtime::renew_after`] every crate uses), and once after a 401.
//! Each answer's new refresh token replaces the old one. When the refresh token is refused
//! (expired after 14 days, or revoked) the client signs in again with the password grant if it has
//! the user's credentials, and otherwise fails with [`Error::Auth`].
//!
//! One async mutex guards the token and is held while a token is requested, so any number of
//! concurrent calls that find the token stale, or that were refused with the same token, cause a
//! single token request. Calls read the `Authorization` value of a fresh token from a copy beside
//! it (a read lock, no await, no allocation); only a stale or missing token takes the mutex.

use std::fmt;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use futures_util::future::BoxFuture;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};

use crate::runtime::{self, Authenticator, ClientState, Idempotency, RetryPolicy, Secret, Timeouts};
use crate::{Client, Error, types};

/// The production API host, used when [`ClientBuilder::base_url`] is not called.
pub const DEFAULT_BASE_URL: &str = "https://api.cimediacloud.com";

/// How long before `expires_in` runs out the access token is renewed; a token that lives less
/// than twice as long is renewed after half its lifetime.
pub const EARLY_REFRESH: Duration = Duration::from_secs(60);

type TokenCallback = Arc<dyn Fn(&TokenState) + Send + Sync>;

/// Builds an authenticated [`Client`]. Start with [`Client::builder`].
///
/// Give the API client's id and secret ([`client_credentials`](Self::client_credentials)) and
/// either the user's Ci credentials ([`user_credentials`](Self::user_credentials), password
/// grant) or a refresh token saved from an earlier session ([`refresh_token`](Self::refresh_token)),
/// or both: the refresh token is tried first and the password grant is the fallback.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    client_id: Option<String>,
    client_secret: Option<Secret>,
    username: Option<String>,
    password: Option<Secret>,
    refresh_token: Option<Secret>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    http: Option<reqwest::Client>,
    on_tokens: Option<TokenCallback>,
    allow_http: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("refresh_token", &self.refresh_token)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("http", &self.http.as_ref().map(|_| "caller's client"))
            .field("on_tokens", &self.on_tokens.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            client_id: None,
            client_secret: None,
            username: None,
            password: None,
            refresh_token: None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            http: None,
            on_tokens: None,
            allow_http: false,
        }
    }
}

impl Client {
    /// Starts building a client that signs in with OAuth 2 and keeps its token fresh.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Requests a delegate token: a short-lived token limited to one asset and one scope (for
    /// example [`types::DelegateTokenScope::UploadCoverElement`]), to hand to a third-party
    /// client such as a browser. The request is authorised with this client's access token
    /// (generated operation `create_delegate_token`).
    pub async fn delegate_token(
        &self,
        asset_id: &str,
        scope: types::DelegateTokenScope,
    ) -> Result<DelegateToken, Error> {
        let answer = self
            .create_delegate_token()
            .body(types::DelegateTokenRequest {
                asset_id: asset_id.to_string(),
                scope,
            })
            .send()
            .await?
            .into_inner();
        let token = answer
            .access_token
            .ok_or_else(|| Error::Auth("the delegate-token answer has no access_token".into()))?;
        let expires_in = answer.expires_in.map(seconds);
        Ok(DelegateToken {
            token,
            expires_in,
            expires_at: expires_in.and_then(|d| SystemTime::now().checked_add(d)),
        })
    }
}

impl ClientBuilder {
    /// The API's base URL (default [`DEFAULT_BASE_URL`]). The token endpoint is
    /// `<base_url>/oauth2/token`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Allows a plain-`http` base URL to a host that is not loopback. Credentials then travel
    /// unencrypted: only for a trusted network. (Without it, `http` is accepted only for loopback
    /// hosts: tests and simulators.)
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The API client's id and secret (sent in the body of every token request).
    pub fn client_credentials(mut self, client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        self.client_id = Some(client_id.into());
        self.client_secret = Some(client_secret.into());
        self
    }

    /// The Ci user's name and password, for the password grant (first sign-in, and the fallback
    /// when the refresh token is refused).
    pub fn user_credentials(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// A refresh token from an earlier session ([`TokenState::refresh_token`]); the first call
    /// exchanges it for an access token.
    pub fn refresh_token(mut self, refresh_token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(refresh_token.into());
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

    /// Called with the new token state after every token answer (sign-in and refresh), for
    /// callers who persist the refresh token: each refresh issues a new one. It runs while the
    /// token lock is held, so it must return quickly and must not call the client.
    pub fn on_token_refresh(mut self, callback: impl Fn(&TokenState) + Send + Sync + 'static) -> Self {
        self.on_tokens = Some(Arc::new(callback));
        self
    }

    /// Builds the client. Fails with [`Error::InvalidInput`] without client credentials, or
    /// without either user credentials or a refresh token. No request is sent until the first
    /// call.
    pub fn build(self) -> Result<Client, Error> {
        self.build_with_auth().map(|(client, _)| client)
    }

    /// Builds the client and also returns its [`OAuth`] token cache, to read the current
    /// [`TokenState`] (for example to persist the refresh token) or to get a valid access token.
    pub fn build_with_auth(self) -> Result<(Client, Arc<OAuth>), Error> {
        let base_url = runtime::check_base_url("base_url", &self.base_url, self.allow_http)?;
        let (Some(client_id), Some(client_secret)) = (self.client_id, self.client_secret) else {
            return Err(Error::InvalidInput("Ci needs the API client's id and secret".into()));
        };
        runtime::check_credential("client id", &client_id)?;
        runtime::check_credential("client secret", client_secret.expose())?;
        if let (Some(u), Some(p)) = (&self.username, &self.password) {
            runtime::check_credential("username", u)?;
            runtime::check_credential("password", p.expose())?;
        }
        if let Some(r) = &self.refresh_token {
            runtime::check_credential("refresh token", r.expose())?;
        }
        let user = match (self.username, self.password) {
            (Some(u), Some(p)) => Some((u, p)),
            _ => None,
        };
        if user.is_none() && self.refresh_token.is_none() {
            return Err(Error::InvalidInput(
                "Ci needs user credentials or a refresh token".into(),
            ));
        }
        let http = match self.http {
            Some(http) => http,
            None => runtime::http_client_with_agent(self.timeouts, crate::PROVIDER.user_agent)?,
        };
        let auth = Arc::new(OAuth {
            http: http.clone(),
            token_url: format!("{base_url}/oauth2/token"),
            token_client: ClientState::new(&crate::PROVIDER, Arc::new(runtime::NoAuth), self.retry),
            client_id,
            client_secret,
            user,
            tokens: tokio::sync::Mutex::new(Tokens {
                access: None,
                refresh: self.refresh_token,
            }),
            fresh: std::sync::RwLock::new(None),
            on_tokens: self.on_tokens,
        });
        let state = ClientState::new(&crate::PROVIDER, auth.clone(), self.retry);
        Ok((Client::new_with_client(&base_url, http, state), auth))
    }
}

/// The tokens a client holds, for persisting the refresh token between sessions. `Debug` shows
/// no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenState {
    /// The current access token, once signed in.
    pub access_token: Option<Secret>,
    /// When the access token expires (from `expires_in`), when known.
    pub expires_at: Option<SystemTime>,
    /// The latest refresh token (valid 14 days from issue); replaced by every token answer.
    pub refresh_token: Option<Secret>,
}

/// A delegate token from [`Client::delegate_token`]. `Debug` shows no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegateToken {
    /// The token, used like a bearer access token.
    pub token: Secret,
    /// Its lifetime (`expires_in`), when the answer gave one.
    pub expires_in: Option<Duration>,
    /// When it expires, computed on receipt.
    pub expires_at: Option<SystemTime>,
}

/// The OAuth 2 token cache of a [`Client`] built with [`ClientBuilder`]: implements the runtime's
/// [`Authenticator`], adding `Authorization: Bearer <access token>` to every call.
pub struct OAuth {
    http: reqwest::Client,
    token_url: String,
    token_client: ClientState,
    client_id: String,
    client_secret: Secret,
    user: Option<(String, Secret)>,
    tokens: tokio::sync::Mutex<Tokens>,
    /// The current token's `Authorization` value and when to renew it: what every call reads.
    /// Written only while `tokens` is locked, whenever `tokens.access` changes.
    fresh: std::sync::RwLock<Option<(HeaderValue, Option<Instant>)>>,
    on_tokens: Option<TokenCallback>,
}

impl fmt::Debug for OAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("username", &self.user.as_ref().map(|(u, _)| u))
            .field("password", &self.user.as_ref().map(|(_, p)| p))
            .finish_non_exhaustive()
    }
}

struct Tokens {
    access: Option<Access>,
    refresh: Option<Secret>,
}

struct Access {
    token: Secret,
    /// `Authorization: Bearer …`, built once per token.
    header: HeaderValue,
    /// Renew at or after this instant (`None`: the answer gave no lifetime; renew after a 401).
    renew_at: Option<Instant>,
    expires_at: Option<SystemTime>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    Password,
    RefreshToken,
}

impl Grant {
    fn name(self) -> &'static str {
        match self {
            Grant::Password => "password",
            Grant::RefreshToken => "refresh_token",
        }
    }
}

impl OAuth {
    /// The current tokens (no request is sent).
    pub async fn token_state(&self) -> TokenState {
        let tokens = self.tokens.lock().await;
        TokenState {
            access_token: tokens.access.as_ref().map(|a| a.token.clone()),
            expires_at: tokens.access.as_ref().and_then(|a| a.expires_at),
            refresh_token: tokens.refresh.clone(),
        }
    }

    /// A valid access token: the cached one while it is fresh, otherwise a new one (refresh
    /// grant, or password grant as the fallback).
    pub async fn access_token(&self) -> Result<Secret, Error> {
        let mut tokens = self.tokens.lock().await;
        match &tokens.access {
            Some(a) if a.renew_at.is_none_or(|at| Instant::now() < at) => Ok(a.token.clone()),
            _ => self.renew(&mut tokens).await,
        }
    }

    /// Obtains a new access token; the caller holds the token lock.
    async fn renew(&self, tokens: &mut Tokens) -> Result<Secret, Error> {
        let answer = match tokens.refresh.clone() {
            Some(refresh) => match self.request(Grant::RefreshToken, Some(&refresh)).await {
                Err(Error::Auth(reason)) if self.user.is_some() => {
                    tracing::debug!(%reason, "refresh token refused; signing in with the password grant");
                    self.request(Grant::Password, None).await?
                }
                other => other?,
            },
            None => self.request(Grant::Password, None).await?,
        };
        let token = answer
            .access_token
            .filter(|t| !t.expose().is_empty())
            .ok_or_else(|| Error::Auth("the token answer has no access_token".into()))?;
        let lifetime = answer.expires_in.map(seconds);
        let now = Instant::now();
        let mut header = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| Error::Auth("the token answer's access_token is not valid header text".into()))?;
        header.set_sensitive(true);
        let renew_at = lifetime.and_then(|l| now.checked_add(runtime::renew_after(l, EARLY_REFRESH)));
        self.set_fresh(Some((header.clone(), renew_at)));
        tokens.access = Some(Access {
            token: token.clone(),
            header,
            renew_at,
            expires_at: lifetime.and_then(|l| SystemTime::now().checked_add(l)),
        });
        if let Some(refresh) = answer.refresh_token.filter(|t| !t.expose().is_empty()) {
            tokens.refresh = Some(refresh);
        }
        if let Some(callback) = &self.on_tokens {
            callback(&TokenState {
                access_token: Some(token.clone()),
                expires_at: tokens.access.as_ref().and_then(|a| a.expires_at),
                refresh_token: tokens.refresh.clone(),
            });
        }
        Ok(token)
    }

    /// One token request. A 4xx answer (OAuth `{error, error_description}`) becomes
    /// [`Error::Auth`] with the provider's description; other failures keep their type.
    async fn request(&self, grant: Grant, refresh: Option<&Secret>) -> Result<types::TokenResponse, Error> {
        let mut form: Vec<(&str, &str)> = vec![("grant_type", grant.name())];
        let mut builder = self.http.post(&self.token_url).header(ACCEPT, "application/json");
        match grant {
            Grant::Password => {
                let Some(value) = self.user_basic()? else {
                    return Err(Error::Auth(
                        "no refresh token is usable and no user credentials were given".into(),
                    ));
                };
                builder = builder.header(AUTHORIZATION, value);
            }
            Grant::RefreshToken => {
                let refresh = refresh.map(Secret::expose).unwrap_or_default();
                form.push(("refresh_token", refresh));
            }
        }
        form.push(("client_id", self.client_id.as_str()));
        form.push(("client_secret", self.client_secret.expose()));
        let request = builder.form(&form).build()?;
        let sent = runtime::send(
            &self.http,
            &self.token_client,
            request,
            "create_token",
            Idempotency::Never,
        )
        .await;
        let response = match sent {
            Ok(response) => response,
            Err(e @ Error::Api { status, .. }) if status.is_client_error() => {
                let password = self.user.as_ref().map(|(_, p)| p.expose()).unwrap_or_default();
                let secrets = [
                    self.client_secret.expose(),
                    password,
                    refresh.map(Secret::expose).unwrap_or_default(),
                ];
                return Err(runtime::grant_refused(grant.name(), e, &secrets));
            }
            Err(e) => return Err(e),
        };
        // A token answer holds credentials: a decode error shows no excerpt of it.
        let body = response.bytes().await?;
        runtime::decode_json("create_token", &body, true)
    }
}

impl OAuth {
    /// `Authorization: Basic base64(username:password)` of the user's credentials, when given.
    fn user_basic(&self) -> Result<Option<HeaderValue>, Error> {
        let Some((username, password)) = &self.user else {
            return Ok(None);
        };
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{}", password.expose()));
        let mut value = HeaderValue::from_str(&format!("Basic {basic}"))
            .map_err(|_| Error::InvalidInput("user credentials are not valid header text".into()))?;
        value.set_sensitive(true);
        Ok(Some(value))
    }

    /// The grant a request carries when it is a token request of its own (a form `POST` to the
    /// token URL, such as the generated `create_token`): those are signed in with the grant's own
    /// credentials, never with the bearer token.
    fn grant_of(&self, request: &reqwest::Request) -> Option<Grant> {
        if request.method() != reqwest::Method::POST {
            return None;
        }
        let url = request.url().as_str();
        let url = url.split_once('#').map_or(url, |(before, _)| before);
        if url.trim_end_matches('/') != self.token_url.trim_end_matches('/') {
            return None;
        }
        let form = request
            .headers()
            .get(reqwest::header::CONTENT_TYPE)?
            .to_str()
            .ok()?
            .starts_with("application/x-www-form-urlencoded");
        let body = request.body()?.as_bytes()?;
        let body = std::str::from_utf8(body).ok()?;
        match body.split('&').find_map(|pair| pair.strip_prefix("grant_type="))? {
            "password" if form => Some(Grant::Password),
            "refresh_token" if form => Some(Grant::RefreshToken),
            _ => None,
        }
    }

    fn set_fresh(&self, value: Option<(HeaderValue, Option<Instant>)>) {
        *self.fresh.write().unwrap_or_else(PoisonError::into_inner) = value;
    }

    /// The `Authorization` value of the current token while it is fresh (no lock held across an
    /// await, nothing allocated).
    fn fresh_authorization(&self) -> Option<HeaderValue> {
        let fresh = self.fresh.read().unwrap_or_else(PoisonError::into_inner);
        match &*fresh {
            Some((header, renew_at)) if renew_at.is_none_or(|at| Instant::now() < at) => Some(header.clone()),
            _ => None,
        }
    }

    /// The `Authorization` value of a fresh access token, renewing it first when needed.
    async fn authorization(&self) -> Result<HeaderValue, Error> {
        if let Some(header) = self.fresh_authorization() {
            return Ok(header);
        }
        let mut tokens = self.tokens.lock().await;
        if let Some(a) = &tokens.access
            && a.renew_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(a.header.clone());
        }
        self.renew(&mut tokens).await?;
        tokens
            .access
            .as_ref()
            .map(|a| a.header.clone())
            .ok_or_else(|| Error::Auth("no access token after renewal".into()))
    }
}

impl Authenticator for OAuth {
    /// A fresh access token is added without awaiting anything (not to a token request, which
    /// [`authorize`](Authenticator::authorize) signs with the grant's own credentials).
    fn authorize_now(&self, request: &mut reqwest::Request) -> Option<Result<(), Error>> {
        if self.grant_of(request).is_some() {
            return None;
        }
        let header = self.fresh_authorization()?;
        request.headers_mut().insert(AUTHORIZATION, header);
        Some(Ok(()))
    }

    /// Adds `Authorization: Bearer <access token>`; a password-grant request to the token URL
    /// gets the user's Basic credentials instead and a refresh-grant request none (no sign-in
    /// happens for either).
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            match self.grant_of(request) {
                Some(Grant::Password) => {
                    match self.user_basic()? {
                        Some(basic) => request.headers_mut().insert(AUTHORIZATION, basic),
                        None => request.headers_mut().remove(AUTHORIZATION),
                    };
                    return Ok(());
                }
                Some(Grant::RefreshToken) => {
                    request.headers_mut().remove(AUTHORIZATION);
                    return Ok(());
                }
                None => {}
            }
            let header = self.authorization().await?;
            request.headers_mut().insert(AUTHORIZATION, header);
            Ok(())
        })
    }

    fn reauthenticate<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let sent = rejected
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let mut tokens = self.tokens.lock().await;
            let current = tokens.access.as_ref().map(|a| a.token.expose());
            if sent.is_some() && sent != current {
                // Another caller renewed the token after this request was sent.
                return Ok(());
            }
            tokens.access = None;
            self.set_fresh(None);
            self.renew(&mut tokens).await.map(|_| ())
        })
    }
}

fn seconds(value: i64) -> Duration {
    Duration::from_secs(value.max(0).unsigned_abs())
}
