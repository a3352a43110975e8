//! Mediagraph credentials and the client builder.
//!
//! Two ways to authenticate (facts.md, and the document's introduction):
//!
//! - **Personal Access Token** ([`PersonalAccessToken`]): HTTP Basic with an empty user name and
//!   the token as the password — `Authorization: Basic base64(":" + token)` — plus the
//!   `OrganizationId: <id>` header on every call. A refused token cannot be renewed: a 401 is an
//!   [`Error::Api`] with status 401.
//! - **OAuth 2 authorization code with PKCE S256** ([`OAuthConfig`], [`OAuthSession`]) on
//!   `https://mediagraph.io`: [`OAuthConfig::start_authorization`] builds the authorize URL,
//!   [`OAuthConfig::exchange_code`] trades the code for tokens (`POST /oauth/token`,
//!   form-urlencoded), and the session then sends `Authorization: Bearer <access token>` (no
//!   `OrganizationId`: the token implies the organization). The access token is refreshed with
//!   the refresh token 5 minutes before it expires, and once after a 401; one async mutex is held
//!   across each refresh and the refused token is compared with the current one, so any number of
//!   concurrent failures cause a single refresh. A refresh answer's new refresh token replaces the
//!   old one. [`OAuthSession::revoke`] revokes the token (`POST /oauth/revoke`).
//!
//! Tokens, refresh tokens, client secrets and PKCE verifiers are [`Secret`]s: they never appear
//! in `Debug` output, logs or error messages.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use futures_util::future::BoxFuture;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;

use crate::runtime::{self, Authenticator, ClientState, Idempotency, LooseInt, RetryPolicy, Secret, Timeouts};
use crate::{Client, Error};

/// The API host, used when [`ClientBuilder::base_url`] is not called.
pub const DEFAULT_BASE_URL: &str = "https://api.mediagraph.io";

/// The host of the OAuth endpoints (`/oauth/authorize`, `/oauth/token`, `/oauth/revoke`), used
/// when [`OAuthConfig::host`] is not called.
pub const DEFAULT_OAUTH_HOST: &str = "https://mediagraph.io";

/// How long before it expires an OAuth access token is refreshed.
pub const EARLY_REFRESH: Duration = Duration::from_secs(5 * 60);

/// The header naming the organization on Personal Access Token calls.
pub const ORGANIZATION_ID_HEADER: &str = "OrganizationId";

// ---------------------------------------------------------------------------------------------
// Client builder
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Credentials {
    Token(Arc<PersonalAccessToken>),
    OAuth(OAuthSession),
}

/// Builds an authenticated [`Client`]. Start with [`Client::builder`], then give either
/// [`personal_access_token`](Self::personal_access_token) or [`oauth`](Self::oauth).
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    http: Option<reqwest::Client>,
    allow_http: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            credentials: None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            http: None,
            allow_http: false,
        }
    }
}

impl Client {
    /// Starts building a client: give credentials, then call [`ClientBuilder::build`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl ClientBuilder {
    /// The API's base URL (default [`DEFAULT_BASE_URL`]); every operation path starts with `/api/`.
    /// It must be `https`, or plain `http` to a loopback host (tests, simulators), unless
    /// [`allow_http`](Self::allow_http) is set.
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

    /// Authenticate with a Personal Access Token and the organization id shown in "Profile
    /// Settings" (sent as the `OrganizationId` header).
    pub fn personal_access_token(mut self, token: impl Into<Secret>, organization_id: impl fmt::Display) -> Self {
        self.credentials = Some(Credentials::Token(Arc::new(PersonalAccessToken::new(
            token,
            organization_id,
        ))));
        self
    }

    /// Authenticate with an OAuth session ([`OAuthConfig::exchange_code`] or
    /// [`OAuthConfig::session`]). The session is shared: keep a clone to read its tokens
    /// ([`OAuthSession::tokens`]) or to revoke them.
    pub fn oauth(mut self, session: OAuthSession) -> Self {
        self.credentials = Some(Credentials::OAuth(session));
        self
    }

    /// Retries of idempotent calls on 429/503 and connection errors (default
    /// [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Connect and read timeouts of the HTTP client (default [`Timeouts::default`]; there is no
    /// total timeout, so large transfers are not cut off).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Use this `reqwest::Client` instead of building one (the timeouts are then the client's).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client. Fails with [`Error::InvalidInput`] when no credentials were given. No
    /// request is sent.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = runtime::check_base_url("base_url", &self.base_url, self.allow_http)?;
        let auth: Arc<dyn Authenticator> = match self.credentials {
            Some(Credentials::Token(token)) => {
                token.check()?;
                token
            }
            Some(Credentials::OAuth(session)) => Arc::new(session),
            None => {
                return Err(Error::InvalidInput(
                    "Mediagraph needs credentials: call personal_access_token or oauth".into(),
                ));
            }
        };
        let http = match self.http {
            Some(http) => http,
            None => runtime::http_client_with_agent(self.timeouts, crate::PROVIDER.user_agent)?,
        };
        Ok(Client::new_with_client(
            &base_url,
            http,
            ClientState::new(&crate::PROVIDER, auth, self.retry),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Personal Access Token
// ---------------------------------------------------------------------------------------------

/// A Personal Access Token and its organization: `Authorization: Basic base64(":" + token)` and
/// `OrganizationId: <id>` on every call. Both header values are built once, when the token is
/// given. `Debug` shows the organization id, never the token.
#[derive(Clone)]
pub struct PersonalAccessToken {
    token: Secret,
    organization_id: String,
    /// The two headers, or why they cannot be built (reported by `authorize` and the builder).
    headers: Result<(HeaderValue, HeaderValue), String>,
}

impl fmt::Debug for PersonalAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalAccessToken")
            .field("token", &self.token)
            .field("organization_id", &self.organization_id)
            .finish()
    }
}

impl PersonalAccessToken {
    /// A token and the organization id it acts in.
    pub fn new(token: impl Into<Secret>, organization_id: impl fmt::Display) -> Self {
        let token = token.into();
        let organization_id = organization_id.to_string();
        let headers = (|| {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!(":{}", token.expose()));
            let mut authorization = HeaderValue::from_str(&format!("Basic {encoded}"))
                .map_err(|_| "the personal access token is not valid header text".to_string())?;
            authorization.set_sensitive(true);
            let organization = HeaderValue::from_str(&organization_id)
                .map_err(|_| "the organization id is not valid header text".to_string())?;
            Ok((authorization, organization))
        })();
        Self {
            token,
            organization_id,
            headers,
        }
    }

    /// Refuses an empty token or organization id, or values that are not header text.
    fn check(&self) -> Result<(), Error> {
        runtime::check_credential("personal access token", self.token.expose())?;
        runtime::check_credential("organization id", &self.organization_id)?;
        self.headers
            .as_ref()
            .map(|_| ())
            .map_err(|e| Error::InvalidInput(e.clone()))
    }

    /// The organization id sent as `OrganizationId`.
    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// Puts `Authorization` and `OrganizationId` (built once, in [`PersonalAccessToken::new`]) on
    /// a request.
    fn put_headers(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        let (authorization, organization) = self.headers.as_ref().map_err(|e| Error::InvalidInput(e.clone()))?;
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, authorization.clone());
        headers.insert(HeaderName::from_static("organizationid"), organization.clone());
        Ok(())
    }

    /// The `Authorization` header value: `Basic base64(":" + token)`.
    pub fn authorization(&self) -> Secret {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!(":{}", self.token.expose()));
        Secret::new(format!("Basic {encoded}"))
    }
}

impl Authenticator for PersonalAccessToken {
    /// A personal access token cannot be renewed: a refusal is returned as it is.
    fn can_renew(&self) -> bool {
        false
    }

    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move { self.put_headers(request) })
    }

    /// The token's headers are fixed: nothing to await.
    fn authorize_now(&self, request: &mut reqwest::Request) -> Option<Result<(), Error>> {
        Some(self.put_headers(request))
    }

    fn reauthenticate<'a>(&'a self, _: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async {
            Err(Error::Auth(
                "the personal access token was refused; it cannot be renewed".into(),
            ))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// OAuth: PKCE
// ---------------------------------------------------------------------------------------------

/// A PKCE (RFC 7636) verifier and its S256 challenge: `challenge = base64url-no-pad(sha256(verifier))`.
/// `Debug` shows the challenge (which is public), never the verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pkce {
    verifier: Secret,
    challenge: String,
}

impl Pkce {
    /// The `code_challenge_method` sent with the challenge.
    pub const METHOD: &'static str = "S256";

    /// A fresh random verifier (43 characters of base64url from 32 bytes of the operating
    /// system's secure random source); fails only if that source fails.
    pub fn generate() -> Result<Self, Error> {
        let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes()?);
        Ok(Self::from_checked(Secret::new(verifier)))
    }

    /// A given verifier: 43 to 128 characters of `A-Z a-z 0-9 - . _ ~` (RFC 7636 §4.1), else
    /// [`Error::InvalidInput`].
    pub fn from_verifier(verifier: impl Into<Secret>) -> Result<Self, Error> {
        let verifier = verifier.into();
        let text = verifier.expose();
        let valid_chars = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !(43..=128).contains(&text.len()) || !valid_chars {
            return Err(Error::InvalidInput(
                "a PKCE code verifier has 43 to 128 characters of A-Z a-z 0-9 - . _ ~".into(),
            ));
        }
        Ok(Self::from_checked(verifier))
    }

    fn from_checked(verifier: Secret) -> Self {
        let digest = digest(&SHA256, verifier.expose().as_bytes());
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
        Self { verifier, challenge }
    }

    /// The verifier, sent as `code_verifier` with the code exchange.
    pub fn verifier(&self) -> &Secret {
        &self.verifier
    }

    /// The challenge, sent as `code_challenge` in the authorize URL.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

/// 32 bytes from the operating system's secure random source.
fn random_bytes() -> Result<[u8; 32], Error> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Auth("the system random source failed".into()))?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------
// OAuth: configuration and the authorization-code flow
// ---------------------------------------------------------------------------------------------

/// An OAuth application registered with Mediagraph: its client id (and secret, for confidential
/// clients), its redirect URI, the scope to ask for and the OAuth host.
#[derive(Clone, Debug)]
pub struct OAuthConfig {
    client_id: String,
    client_secret: Option<Secret>,
    redirect_uri: String,
    scope: Option<String>,
    host: String,
    timeouts: Timeouts,
    http: Option<reqwest::Client>,
}

impl OAuthConfig {
    /// A public client (PKCE, no secret) with this redirect URI, on [`DEFAULT_OAUTH_HOST`].
    pub fn new(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri: redirect_uri.into(),
            scope: None,
            host: DEFAULT_OAUTH_HOST.to_string(),
            timeouts: Timeouts::default(),
            http: None,
        }
    }

    /// The client secret of a confidential client; sent with every token and revoke request.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The scope to ask for (space-separated), sent in the authorize URL.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The OAuth host (default [`DEFAULT_OAUTH_HOST`]), e.g. a test server.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into().trim_end_matches('/').to_string();
        self
    }

    /// Timeouts of the HTTP client used for token requests (default [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Use this `reqwest::Client` for token requests instead of building one.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The redirect URI.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The authorize URL for `state` and `pkce`:
    /// `<host>/oauth/authorize?response_type=code&client_id&redirect_uri&scope&state&code_challenge&code_challenge_method=S256`
    /// (`scope` only when set; values form-encoded).
    pub fn authorize_url(&self, state: &str, pkce: &Pkce) -> Result<String, Error> {
        let mut url = self.endpoint("/oauth/authorize")?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", &self.redirect_uri);
            if let Some(scope) = &self.scope {
                query.append_pair("scope", scope);
            }
            query
                .append_pair("state", state)
                .append_pair("code_challenge", pkce.challenge())
                .append_pair("code_challenge_method", Pkce::METHOD);
        }
        Ok(url.into())
    }

    /// Starts an authorization: a random `state` and PKCE verifier, and the authorize URL to send
    /// the user to. Keep the answer until the redirect comes back, then call
    /// [`AuthorizationRequest::code_from_redirect`] and [`exchange_code`](Self::exchange_code).
    pub fn start_authorization(&self) -> Result<AuthorizationRequest, Error> {
        let state = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&random_bytes()?[..16]);
        let pkce = Pkce::generate()?;
        let url = self.authorize_url(&state, &pkce)?;
        Ok(AuthorizationRequest { url, state, pkce })
    }

    /// Exchanges an authorization code for tokens: `POST <host>/oauth/token` with the form
    /// `grant_type=authorization_code&code&redirect_uri&client_id&code_verifier[&client_secret]`.
    /// A refused code is [`Error::Auth`] with the provider's `error`/`error_description`.
    pub async fn exchange_code(&self, code: &str, pkce: &Pkce) -> Result<OAuthSession, Error> {
        let http = self.http()?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", pkce.verifier().expose()),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        let answer = token_request(
            &http,
            self,
            "authorization_code",
            &form,
            &[code, pkce.verifier().expose()],
        )
        .await?;
        let tokens = answer.into_tokens(None)?;
        Ok(OAuthSession::with_http(self.clone(), http, tokens))
    }

    /// A session from tokens saved earlier ([`OAuthSession::tokens`]); no request is sent.
    pub fn session(&self, tokens: TokenSet) -> Result<OAuthSession, Error> {
        Ok(OAuthSession::with_http(self.clone(), self.http()?, tokens))
    }

    /// Revokes a token (access or refresh): `POST <host>/oauth/revoke` with the form
    /// `token&client_id[&client_secret]`.
    pub async fn revoke_token(&self, token: &Secret) -> Result<(), Error> {
        revoke(&self.http()?, self, token).await
    }

    fn http(&self) -> Result<reqwest::Client, Error> {
        match &self.http {
            Some(http) => Ok(http.clone()),
            None => runtime::http_client_with_agent(self.timeouts, crate::PROVIDER.user_agent),
        }
    }

    /// An endpoint on the OAuth host, which must be `https` (or plain `http` to a loopback host):
    /// codes, secrets and tokens travel there.
    fn endpoint(&self, path: &str) -> Result<reqwest::Url, Error> {
        let host = runtime::check_base_url("OAuth host", &self.host, false)?;
        reqwest::Url::parse(&format!("{host}{path}"))
            .map_err(|e| Error::InvalidInput(format!("the OAuth host is not a valid URL: {e}")))
    }
}

/// A started authorization ([`OAuthConfig::start_authorization`]): the URL to open, the `state`
/// to expect back and the PKCE verifier for the code exchange. `Debug` hides the verifier.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    /// The authorize URL to send the user to.
    pub url: String,
    /// The `state` value the redirect must carry back.
    pub state: String,
    /// The PKCE verifier and challenge; pass to [`OAuthConfig::exchange_code`].
    pub pkce: Pkce,
}

impl AuthorizationRequest {
    /// Reads the authorization code from the URL the user was redirected to, checking that its
    /// `state` is this request's. An `error` parameter (the user declined) or a missing code or
    /// state mismatch is [`Error::Auth`].
    pub fn code_from_redirect(&self, redirect_url: &str) -> Result<String, Error> {
        let url = reqwest::Url::parse(redirect_url)
            .map_err(|e| Error::InvalidInput(format!("the redirect is not a valid URL: {e}")))?;
        let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        if let Some(error) = param("error") {
            let description = param("error_description").unwrap_or_default();
            return Err(Error::Auth(
                format!("authorization refused: {error} {description}")
                    .trim_end()
                    .to_string(),
            ));
        }
        if param("state").as_deref() != Some(self.state.as_str()) {
            return Err(Error::Auth("the redirect's state does not match the request".into()));
        }
        param("code").ok_or_else(|| Error::Auth("the redirect carries no code".into()))
    }
}

// ---------------------------------------------------------------------------------------------
// OAuth: tokens and the session
// ---------------------------------------------------------------------------------------------

/// OAuth tokens, for persisting a session between runs. `Debug` shows no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    /// The access token (`Authorization: Bearer …`).
    pub access_token: Secret,
    /// The refresh token, when the service issued one; replaced when a refresh returns a new one.
    pub refresh_token: Option<Secret>,
    /// When the access token expires (from `expires_in`), when known.
    pub expires_at: Option<SystemTime>,
    /// When the access token was issued, when known: with `expires_at` it gives the token's
    /// lifetime, so a short-lived token is renewed at half its life rather than on every call.
    pub issued_at: Option<SystemTime>,
    /// The granted scope, when the answer named it.
    pub scope: Option<String>,
}

impl TokenSet {
    /// Tokens with no known expiry and no refresh token.
    pub fn new(access_token: impl Into<Secret>) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token: None,
            expires_at: None,
            issued_at: None,
            scope: None,
        }
    }

    /// With a refresh token.
    pub fn refresh_token(mut self, refresh_token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(refresh_token.into());
        self
    }

    /// With the access token's expiry.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Whether the access token is due for a refresh at `now`: [`EARLY_REFRESH`] before it
    /// expires, but not before half its life has passed ([`runtime::renew_after`], the rule every
    /// crate uses).
    fn due(&self, now: SystemTime) -> bool {
        let Some(expires) = self.expires_at else { return false };
        let renew_at = match self.issued_at.map(|at| expires.duration_since(at)) {
            Some(Ok(lifetime)) => self
                .issued_at
                .and_then(|at| at.checked_add(runtime::renew_after(lifetime, EARLY_REFRESH))),
            _ => expires.checked_sub(EARLY_REFRESH),
        };
        renew_at.is_none_or(|at| now >= at)
    }
}

/// An OAuth session: the tokens and the means to refresh and revoke them. Cheap to clone (the
/// clones share the tokens). Implements the runtime's [`Authenticator`], so it can be given to
/// [`ClientBuilder::oauth`]. `Debug` shows no token.
#[derive(Clone)]
pub struct OAuthSession {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    config: OAuthConfig,
    http: reqwest::Client,
    tokens: std::sync::Mutex<TokenSet>,
    /// Held across every refresh, so one refresh serves all concurrent callers.
    refresh_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens = self.tokens();
        f.debug_struct("OAuthSession")
            .field("config", &self.inner.config)
            .field("tokens", &tokens)
            .finish()
    }
}

impl OAuthSession {
    fn with_http(config: OAuthConfig, http: reqwest::Client, tokens: TokenSet) -> Self {
        Self {
            inner: Arc::new(SessionInner {
                config,
                http,
                tokens: std::sync::Mutex::new(tokens),
                refresh_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The current tokens (no request is sent), e.g. to save the refresh token.
    pub fn tokens(&self) -> TokenSet {
        self.inner
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_tokens(&self, tokens: TokenSet) {
        *self
            .inner
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = tokens;
    }

    /// The OAuth application this session belongs to.
    pub fn config(&self) -> &OAuthConfig {
        &self.inner.config
    }

    /// Refreshes the access token now: `POST <host>/oauth/token` with the form
    /// `grant_type=refresh_token&refresh_token&client_id[&client_secret]`. Fails with
    /// [`Error::Auth`] without a refresh token or when the service refuses it.
    pub async fn refresh(&self) -> Result<(), Error> {
        let _guard = self.inner.refresh_lock.lock().await;
        self.refresh_locked().await
    }

    /// The refresh itself; the caller holds `refresh_lock`.
    async fn refresh_locked(&self) -> Result<(), Error> {
        let current = self.tokens();
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(Error::Auth(
                "the access token is expired or refused and the session has no refresh token".into(),
            ));
        };
        let config = &self.inner.config;
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", config.client_id.as_str()),
        ];
        if let Some(secret) = &config.client_secret {
            form.push(("client_secret", secret.expose()));
        }
        let answer = token_request(
            &self.inner.http,
            config,
            "refresh_token",
            &form,
            &[refresh_token.expose()],
        )
        .await?;
        let tokens = answer.into_tokens(Some(refresh_token))?;
        self.set_tokens(tokens);
        tracing::debug!("OAuth access token refreshed");
        Ok(())
    }

    /// Revokes the current access token (`POST <host>/oauth/revoke`, form
    /// `token&client_id[&client_secret]`). Calls made with the session afterwards are refused.
    pub async fn revoke(&self) -> Result<(), Error> {
        let token = self.tokens().access_token;
        revoke(&self.inner.http, &self.inner.config, &token).await
    }

    /// The access token to send, refreshed first when it expires within [`EARLY_REFRESH`].
    async fn current_access_token(&self) -> Result<Secret, Error> {
        let tokens = self.tokens();
        if !(tokens.due(SystemTime::now()) && tokens.refresh_token.is_some()) {
            return Ok(tokens.access_token);
        }
        let _guard = self.inner.refresh_lock.lock().await;
        let tokens = self.tokens();
        if !tokens.due(SystemTime::now()) {
            // Another caller refreshed while this one waited.
            return Ok(tokens.access_token);
        }
        match self.refresh_locked().await {
            Ok(()) => Ok(self.tokens().access_token),
            // The old token still has a few minutes: use it, and try again on the next call.
            Err(e) if tokens.expires_at.is_some_and(|at| at > SystemTime::now()) => {
                tracing::warn!(error = %e, "early token refresh failed; using the current token");
                Ok(tokens.access_token)
            }
            Err(e) => Err(e),
        }
    }
}

impl Authenticator for OAuthSession {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let token = self.current_access_token().await?;
            runtime::set_header(request, AUTHORIZATION, &format!("Bearer {}", token.expose()), true)
        })
    }

    fn reauthenticate<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let _guard = self.inner.refresh_lock.lock().await;
            let sent = rejected
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            if sent == Some(self.tokens().access_token.expose()) {
                self.refresh_locked().await
            } else {
                // Another caller refreshed since this request was sent: resend with the new token.
                Ok(())
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// OAuth: the token and revoke endpoints
// ---------------------------------------------------------------------------------------------

/// A token answer: `{access_token, refresh_token, token_type, expires_in, scope}`.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<Secret>,
    refresh_token: Option<Secret>,
    expires_in: Option<LooseInt>,
    scope: Option<String>,
}

impl TokenAnswer {
    /// The new tokens; `previous_refresh` is kept when the answer carries no new refresh token.
    fn into_tokens(self, previous_refresh: Option<Secret>) -> Result<TokenSet, Error> {
        let access_token = self
            .access_token
            .filter(|t| !t.expose().is_empty())
            .ok_or_else(|| Error::Auth("the token answer has no access_token".into()))?;
        let issued_at = SystemTime::now();
        let expires_at = self
            .expires_in
            .and_then(|s| s.get())
            .and_then(|s| u64::try_from(s).ok())
            .and_then(|s| issued_at.checked_add(Duration::from_secs(s)));
        Ok(TokenSet {
            issued_at: Some(issued_at),
            access_token,
            refresh_token: self
                .refresh_token
                .filter(|t| !t.expose().is_empty())
                .or(previous_refresh),
            expires_at,
            scope: self.scope,
        })
    }
}

/// One token request. A 4xx answer becomes [`Error::Auth`] naming the grant, the status and the
/// provider's `error`/`error_description`; a body that is not a token answer is
/// [`Error::Decode`] without the body (it may hold a token).
async fn token_request(
    http: &reqwest::Client,
    config: &OAuthConfig,
    grant: &str,
    form: &[(&str, &str)],
    secrets: &[&str],
) -> Result<TokenAnswer, Error> {
    let request = http
        .post(config.endpoint("/oauth/token")?)
        .header(ACCEPT, "application/json")
        .form(form)
        .build()?;
    let sent = runtime::send(
        http,
        &ClientState::unauthenticated(&crate::PROVIDER),
        request,
        "oauth_token",
        Idempotency::Never,
    )
    .await;
    let response = match sent {
        Ok(response) => response,
        Err(e @ Error::Api { status, .. }) if status.is_client_error() => {
            return Err(runtime::grant_refused(grant, e, secrets));
        }
        Err(e) => return Err(e),
    };
    let bytes = response.bytes().await?;
    serde_json::from_slice(&bytes).map_err(|_| Error::Decode {
        operation: "token",
        path: String::new(),
        message: "the token answer is not a JSON token object".into(),
        excerpt: String::new(),
    })
}

async fn revoke(http: &reqwest::Client, config: &OAuthConfig, token: &Secret) -> Result<(), Error> {
    let mut form = vec![("token", token.expose()), ("client_id", config.client_id.as_str())];
    if let Some(secret) = &config.client_secret {
        form.push(("client_secret", secret.expose()));
    }
    let request = http
        .post(config.endpoint("/oauth/revoke")?)
        .header(ACCEPT, "application/json")
        .form(&form)
        .build()?;
    runtime::send(
        http,
        &ClientState::unauthenticated(&crate::PROVIDER),
        request,
        "oauth_revoke",
        Idempotency::Never,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_are_checked_and_random() {
        assert!(Pkce::from_verifier("short").is_err());
        assert!(Pkce::from_verifier("a".repeat(129)).is_err());
        assert!(Pkce::from_verifier(format!("{}!", "a".repeat(50))).is_err());
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_eq!(a.verifier().expose().len(), 43);
        assert_ne!(a.verifier(), b.verifier());
        assert!(Pkce::from_verifier(a.verifier().clone()).is_ok());
    }

    #[test]
    fn tokens_are_due_five_minutes_early() {
        let now = SystemTime::now();
        let t = TokenSet::new("a");
        assert!(!t.due(now));
        assert!(t.clone().expires_at(now + Duration::from_secs(299)).due(now));
        assert!(!t.clone().expires_at(now + Duration::from_secs(301)).due(now));
        assert!(t.expires_at(now - Duration::from_secs(1)).due(now));
    }
}
