//! The runtime every SDK crate of this workspace shares: typed errors, the request pipeline (auth
//! hook, retries with backoff and `Retry-After`, one `tracing` span per call), tolerant scalar types
//! for messy responses, pagination and streaming helpers.
//!
//! One source of truth: this file is emitted from `codegen/templates/runtime.rs` into each SDK
//! crate by `cargo xtask codegen`, and `cargo xtask codegen --check` fails when a copy drifts.
//! Provider-specific behaviour (login flows, token refresh) lives in each crate's `auth.rs`.
//!
//! # Transport defaults
//!
//! - **No `api-version` header.** progenitor adds `api-version: <spec version>` to every request (an
//!   Oxide convention); no provider here asks for it, so [`prepare`] removes it.
//! - **No total timeout.** progenitor's generated `Client::new` sets a total timeout (15 s by default;
//!   this workspace generates 300 s), which would cut off large uploads and downloads. The crates'
//!   builders use [`http_client`] instead: [`Timeouts`] of 30 s to connect and 120 s of read silence,
//!   and no limit on a transfer that keeps moving. Pass your own `reqwest::Client` to
//!   `Client::new_with_client` for other settings.
//! - **Retries** ([`RetryPolicy`]): idempotent calls are retried on 429, 503 and connection errors, at
//!   most 3 attempts, with jittered exponential backoff (250 ms doubling, capped at 10 s) that honours
//!   `Retry-After` up to 60 s. POSTs (unless the spec marks them idempotent) and streamed bodies are
//!   never resent.
//! - **Tracing:** every call runs in a `dam_request` span (provider, operation, method, status,
//!   attempts, duration, request id); URLs, headers and bodies are never recorded.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::{Stream, StreamExt, TryStreamExt};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tracing::Instrument;

// ---------------------------------------------------------------------------------------------
// Provider facts (generated from the spec and codegen/src/providers.rs)
// ---------------------------------------------------------------------------------------------

/// What the runtime needs to know about a provider. The crate's value is generated.
#[derive(Debug, Clone, Copy)]
pub struct ProviderInfo {
    /// Short provider name, recorded on every span.
    pub name: &'static str,
    /// Response header carrying the provider's request id (lower case).
    pub request_id_header: &'static str,
    /// Statuses after which fresh credentials are obtained and the request is resent once.
    pub reauth_statuses: &'static [u16],
    /// Operations sent without credentials (`security: []` in the spec).
    pub unauthenticated_operations: &'static [&'static str],
    /// POST operations that are safe to retry (`x-dam-idempotent` in the spec).
    pub idempotent_posts: &'static [&'static str],
}

fn provider() -> &'static ProviderInfo {
    &crate::generated::PROVIDER
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

/// A secret string (password, API secret, token, session id). Its `Debug` output is redacted and it
/// has no `Display`, so it cannot end up in logs or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

/// Secrets in models (`x-dam-type: Secret` in a spec, e.g. OAuth tokens) travel as plain strings.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Secret {
    fn schema_name() -> String {
        "Secret".to_string()
    }
    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        <String as schemars::JsonSchema>::json_schema(generator)
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// The error type of every call in this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status (4xx or 5xx).
    Api(Box<ApiError>),
    /// The service answered with a status this operation does not document (for example a 202
    /// while a resource is still being prepared, or a 204 where a body was expected).
    UnexpectedStatus {
        /// The status.
        status: StatusCode,
        /// The provider's request id, when it sent one.
        request_id: Option<String>,
    },
    /// Credentials could not be obtained (login or token refresh failed), including when the
    /// service refused a call and renewing the credentials then failed.
    Auth(String),
    /// The request could not be sent, or the answer could not be read (connection, timeout, TLS).
    Transport(reqwest::Error),
    /// A success answer whose body does not match the model.
    Decode {
        /// Why it did not decode.
        message: String,
        /// The start of the body, for diagnosis (at most 512 bytes).
        body_start: String,
    },
    /// The caller's input cannot be sent (a missing required parameter, an unreadable file name).
    InvalidInput(String),
    /// Reading a file to upload or writing a download failed.
    Io(std::io::Error),
    /// A multi-step flow did not finish in time (for example polling an export job).
    Timeout(String),
    /// A job on the service (an export, a ZIP, an import) reported that it failed.
    JobFailed(String),
}

/// An error answer from the service.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The provider's request id (for support tickets), when it sent one.
    pub request_id: Option<String>,
    /// The decoded error body.
    pub body: ErrorBody,
    /// `Retry-After`, when the service sent it.
    pub retry_after: Option<Duration>,
    /// Response headers (`Set-Cookie` removed).
    pub headers: HeaderMap,
}

impl Error {
    /// The HTTP status, when the error comes from an answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::UnexpectedStatus { status, .. } => Some(*status),
            Error::Transport(e) => e.status(),
            _ => None,
        }
    }
    /// The provider's request id, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
    /// The provider's error message, when the answer carried one.
    pub fn message(&self) -> Option<String> {
        match self {
            Error::Api(e) => e.body.summary(),
            _ => None,
        }
    }
    /// The API error, when this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = provider().name;
        match self {
            Error::Api(e) => {
                write!(f, "{p} answered {}", e.status)?;
                if let Some(m) = e.body.summary() {
                    write!(f, ": {m}")?;
                }
                if let Some(id) = &e.request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::UnexpectedStatus { status, request_id } => {
                write!(f, "{p} answered with an undocumented status {status}")?;
                if let Some(id) = request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::Auth(m) => write!(f, "{p} authentication failed: {m}"),
            Error::Transport(e) => write!(f, "{p} request failed: {e}"),
            Error::Decode { message, .. } => write!(f, "{p} answer did not match the model: {message}"),
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Timeout(m) => write!(f, "{p}: gave up waiting: {m}"),
            Error::JobFailed(m) => write!(f, "{p}: job failed: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => Some(e),
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        // URLs can carry credentials (session query parameters, signed URLs): never keep them.
        Error::Transport(e.without_url())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<progenitor_client::Error<ErrorBody>> for Error {
    fn from(e: progenitor_client::Error<ErrorBody>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(m) => Error::InvalidInput(m),
            P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => e.into(),
            P::ErrorResponse(rv) => {
                let status = rv.status();
                let headers = rv.headers().clone();
                renewal_failure(status, &headers)
                    .unwrap_or_else(|| Error::Api(Box::new(ApiError::new(status, &headers, rv.into_inner()))))
            }
            P::InvalidResponsePayload(bytes, e) => Error::Decode {
                message: e.to_string(),
                body_start: String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned(),
            },
            P::UnexpectedResponse(r) => Error::UnexpectedStatus {
                status: r.status(),
                request_id: request_id(r.headers()),
            },
            P::Custom(m) => Error::Auth(m),
        }
    }
}

impl ApiError {
    /// Builds an API error from an answer's parts.
    pub fn new(status: StatusCode, headers: &HeaderMap, body: ErrorBody) -> Self {
        let mut headers = headers.clone();
        headers.remove(reqwest::header::SET_COOKIE);
        headers.remove(RENEWAL_FAILED);
        Self {
            status,
            request_id: request_id(&headers),
            retry_after: retry_after(&headers),
            body,
            headers,
        }
    }
}

/// Replaces every (non-empty) secret in `text` — typically a provider's error message that echoes a
/// token or password — with `[redacted]`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s, "[redacted]"))
}

/// An OAuth token endpoint's refusal as [`Error::Auth`]:
/// `"{grant} grant refused ({status}): {error}: {error_description}"` (or the body's summary),
/// with `secrets` redacted from the provider's text.
pub fn grant_refused(grant: &str, refusal: &ApiError, secrets: &[&str]) -> Error {
    let body = &refusal.body;
    let reason = match (&body.error, &body.error_description) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        _ => body.summary().unwrap_or_else(|| "no reason given".into()),
    };
    Error::Auth(format!(
        "{grant} grant refused ({}): {}",
        refusal.status,
        redact(&reason, secrets)
    ))
}

/// The provider's request id from response headers.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(provider().request_id_header)
        .or_else(|| headers.get("x-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Any error body a provider sends: `{message}`, `{code, message}`, `{error, error_description}`,
/// `{errors: ...}`, or text (kept as a JSON string in `raw`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ErrorBody {
    /// `message` (Skyfish, Ci, IntelligenceBank, Mediagraph).
    pub message: Option<String>,
    /// `code` (Ci).
    pub code: Option<String>,
    /// `error` (OAuth errors, Mediagraph).
    pub error: Option<String>,
    /// `error_description` (OAuth errors).
    pub error_description: Option<String>,
    /// The whole body as received.
    pub raw: serde_json::Value,
}

impl ErrorBody {
    /// Decodes any body; never fails.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => Self::from_value(v),
            Err(_) => Self::from_value(serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())),
        }
    }

    fn from_value(raw: serde_json::Value) -> Self {
        let field = |k: &str| {
            raw.get(k).and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
        };
        let message = field("message").or_else(|| field("Message"));
        let code = field("code").or_else(|| field("Code"));
        Self {
            message,
            code,
            error: field("error"),
            error_description: field("error_description"),
            raw,
        }
    }

    /// The most useful human-readable text in the body.
    pub fn summary(&self) -> Option<String> {
        let text = self
            .message
            .clone()
            .or_else(|| self.error_description.clone())
            .or_else(|| self.error.clone())
            .or_else(|| self.raw.get("errors").map(|e| e.to_string()))
            .or_else(|| self.raw.as_str().map(|s| s.trim().chars().take(300).collect()))?;
        let text = match (&self.code, &self.message) {
            (Some(code), Some(_)) => format!("{code}: {text}"),
            _ => text,
        };
        (!text.is_empty()).then_some(text)
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Self::from_value)
    }
}

impl Serialize for ErrorBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary().unwrap_or_default())
    }
}

impl FromStr for ErrorBody {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_bytes(s.as_bytes()))
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication seam
// ---------------------------------------------------------------------------------------------

/// How a client puts credentials on requests. Each SDK crate implements it in `auth.rs`.
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Adds credentials to a request about to be sent, logging in first if needed.
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>>;

    /// Called after the service refused `rejected` with one of the provider's re-auth statuses.
    /// Obtains fresh credentials unless another caller already did (compare what `rejected`
    /// carried with the current credentials), so many concurrent failures cause one refresh.
    fn reauthenticate<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>>;

    /// Whether this authenticator adds credentials at all. A client without any (token endpoints,
    /// storage services, public calls) never tries to renew them after a refusal.
    fn has_credentials(&self) -> bool {
        true
    }

    /// Whether refused credentials can be renewed (a login or a refresh token is available). When
    /// they cannot (a fixed token, a saved session, a personal access token), a refusal is returned
    /// as the service's [`Error::Api`]; when renewal is tried and fails, as [`Error::Auth`].
    fn can_renew(&self) -> bool {
        true
    }
}

/// Sends requests without credentials.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAuth;

impl Authenticator for NoAuth {
    fn authorize<'a>(&'a self, _: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
    fn reauthenticate<'a>(&'a self, _: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Err(Error::Auth("this client has no credentials to renew".into())) })
    }
    fn has_credentials(&self) -> bool {
        false
    }
    fn can_renew(&self) -> bool {
        false
    }
}

/// Sets a header value, refusing values that are not valid header text.
pub fn set_header(request: &mut reqwest::Request, name: HeaderName, value: &str, sensitive: bool) -> Result<(), Error> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::InvalidInput(format!("credential for {name} is not valid header text")))?;
    value.set_sensitive(sensitive);
    request.headers_mut().insert(name, value);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Client state and configuration
// ---------------------------------------------------------------------------------------------

/// Retry behaviour for idempotent calls (GET, HEAD, PUT, DELETE and POSTs the spec marks
/// idempotent) that fail with 429, 503 or a connection error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first (1 disables retries).
    pub max_attempts: u32,
    /// First backoff; doubles per attempt, with jitter.
    pub initial_backoff: Duration,
    /// Longest backoff between two attempts.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is returned instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1): exponential with "equal
    /// jitter" (half fixed, half random), capped at `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Timeouts of the HTTP client the SDK builds. There is deliberately no total timeout: a 2 GiB
/// download must not be cut off; a stalled one is caught by `read_timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Time to establish a connection.
    pub connect: Duration,
    /// Longest silence while waiting for response bytes.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(30),
            read: Duration::from_secs(120),
        }
    }
}

/// Builds the `reqwest::Client` the SDK uses: the given timeouts, no total timeout, a user agent
/// naming this crate.
pub fn http_client(timeouts: Timeouts) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .user_agent(concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(Error::from)
}

/// The state every generated `Client` carries: its credentials and retry policy.
#[derive(Clone)]
pub struct ClientState {
    auth: Arc<dyn Authenticator>,
    retry: RetryPolicy,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .finish()
    }
}

impl ClientState {
    /// State with the given credentials and retry policy.
    pub fn new(auth: Arc<dyn Authenticator>, retry: RetryPolicy) -> Self {
        Self { auth, retry }
    }
    /// State without credentials (for login calls and public endpoints), default retry policy.
    pub fn unauthenticated() -> Self {
        Self::without_credentials(RetryPolicy::default())
    }
    /// State without credentials and the given retry policy (token endpoints, storage services).
    pub fn without_credentials(retry: RetryPolicy) -> Self {
        Self::new(Arc::new(NoAuth), retry)
    }
    /// The credentials.
    pub fn authenticator(&self) -> &Arc<dyn Authenticator> {
        &self.auth
    }
    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }
}

impl crate::generated::Client {
    /// A client without credentials, for public endpoints and tests: the SDK's HTTP client
    /// ([`http_client`] with default [`Timeouts`]) and the default [`RetryPolicy`].
    pub fn unauthenticated(base_url: &str) -> Result<Self, Error> {
        Ok(Self::new_with_client(
            base_url,
            http_client(Timeouts::default())?,
            ClientState::unauthenticated(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// The request pipeline
// ---------------------------------------------------------------------------------------------

impl ClientHooks<ClientState> for crate::generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        prepare(self.inner(), request, info.operation_id).await.map_err(|e| {
            // Error::Custom is the only way out of a hook; it comes back as Error::Auth.
            progenitor_client::Error::Custom(match e {
                Error::Auth(message) => message,
                other => other.to_string(),
            })
        })
    }

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        execute(
            self.client(),
            self.inner(),
            request,
            info.operation_id,
            Idempotency::FromMethod,
        )
        .await
    }
}

/// Whether a request may be sent again after a throttle or connection failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Decide from the method (and `x-dam-idempotent` for POSTs).
    FromMethod,
    /// Never resend (uploads and other non-idempotent calls).
    Never,
}

/// Strips what progenitor adds that no provider wants, then adds credentials.
pub async fn prepare(state: &ClientState, request: &mut reqwest::Request, operation: &str) -> Result<(), Error> {
    request.headers_mut().remove("api-version");
    // Some services (Sony Ci) refuse a POST or PUT without Content-Length; a bodiless one gets 0.
    let needs_length = matches!(
        *request.method(),
        reqwest::Method::POST | reqwest::Method::PUT | reqwest::Method::PATCH
    );
    if needs_length && request.body().is_none() {
        request
            .headers_mut()
            .insert(reqwest::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    if provider().unauthenticated_operations.contains(&operation) {
        return Ok(());
    }
    state.auth.authorize(request).await
}

fn is_idempotent(method: &reqwest::Method, operation: &str, mode: Idempotency) -> bool {
    use reqwest::Method;
    mode == Idempotency::FromMethod
        && (matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        ) || (*method == Method::POST && provider().idempotent_posts.contains(&operation)))
}

/// Sends an authorized request: one `tracing` span per call (operation, method, status, attempts,
/// duration, request id — never a URL, header or body, which can hold secrets); re-authenticates
/// and resends once after a re-auth status; retries idempotent calls on 429/503/connection errors
/// with jittered backoff honouring `Retry-After`; and makes every error body decodable.
pub async fn execute(
    http: &reqwest::Client,
    state: &ClientState,
    request: reqwest::Request,
    operation: &str,
    mode: Idempotency,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::info_span!(
        "dam_request",
        provider = provider().name,
        operation,
        method = %request.method(),
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
    );
    async move {
        let started = Instant::now();
        let idempotent = is_idempotent(request.method(), operation, mode);
        let authenticated = state.auth.has_credentials() && !provider().unauthenticated_operations.contains(&operation);
        let policy = state.retry;
        let mut attempt = 0u32;
        let mut reauthenticated = false;
        let mut current = request;
        let mut renewal_failure: Option<String> = None;
        let result = loop {
            attempt += 1;
            let spare = current.try_clone();
            // A streamed body cannot be resent, but after a refusal the credentials must still be
            // renewed for later calls: keep what the authenticator compares (method, URL, headers).
            let shadow = spare.is_none().then(|| {
                let mut r = reqwest::Request::new(current.method().clone(), current.url().clone());
                *r.headers_mut() = current.headers().clone();
                r
            });
            let result = http.execute(current).await;
            let status = result.as_ref().ok().map(reqwest::Response::status);
            // Refused credentials: renew once, resend once.
            let refused = status.is_some_and(|s| provider().reauth_statuses.contains(&s.as_u16()));
            if refused && authenticated && !reauthenticated && state.auth.can_renew() {
                reauthenticated = true;
                if let Some(mut again) = spare {
                    let renewed = async {
                        state.auth.reauthenticate(&again).await?;
                        state.auth.authorize(&mut again).await
                    };
                    match renewed.await {
                        Ok(()) => {
                            tracing::debug!("credentials renewed; resending");
                            current = again;
                            continue;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "could not renew credentials");
                            renewal_failure = Some(auth_message(e));
                        }
                    }
                } else if let Some(rejected) = &shadow
                    && let Err(e) = state.auth.reauthenticate(rejected).await
                {
                    tracing::warn!(error = %e, "could not renew credentials");
                    renewal_failure = Some(auth_message(e));
                }
                break result;
            }
            let retryable = match &result {
                Ok(r) => matches!(
                    r.status(),
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                ),
                Err(e) => e.is_connect(),
            };
            if !(retryable && idempotent && attempt < policy.max_attempts) {
                break result;
            }
            let Some(again) = spare else { break result };
            let wait = match result.as_ref().ok().and_then(|r| retry_after(r.headers())) {
                Some(w) if w > policy.max_retry_after => break result,
                Some(w) => w,
                None => policy.backoff(attempt),
            };
            tracing::debug!(wait_ms = wait.as_millis() as u64, attempt, "retrying");
            tokio::time::sleep(wait).await;
            current = again;
        };
        let span = tracing::Span::current();
        span.record("attempts", attempt);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        match result {
            Ok(response) => {
                let mut response = without_query(response);
                if let Some(reason) = renewal_failure {
                    mark_renewal_failure(&mut response, &reason);
                }
                span.record("status", response.status().as_u16());
                if let Some(id) = request_id(response.headers()) {
                    span.record("request_id", id.as_str());
                }
                if response.status().is_client_error() || response.status().is_server_error() {
                    Ok(decodable_error(response).await)
                } else {
                    Ok(response)
                }
            }
            Err(e) => {
                tracing::debug!(error = %e.without_url_ref(), "request failed");
                // Generated calls return this inside progenitor's error, whose Debug a caller may
                // print (`unwrap`): never let the URL (and its query) travel with it.
                Err(e.without_url())
            }
        }
    }
    .instrument(span)
    .await
}

trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let kind = if self.is_timeout() {
            "timeout"
        } else if self.is_connect() {
            "connection failed"
        } else if self.is_body() || self.is_decode() {
            "body error"
        } else {
            "request error"
        };
        kind.to_string()
    }
}

/// Marks a refused answer whose credentials could not be renewed, so that converting it into
/// [`Error`] gives [`Error::Auth`] with the reason instead of the bare refusal. The header is
/// added here, on this machine, and removed again by the conversion.
const RENEWAL_FAILED: &str = "x-dam-renewal-failed";

fn auth_message(e: Error) -> String {
    match e {
        Error::Auth(m) => m,
        other => other.to_string(),
    }
}

fn mark_renewal_failure(response: &mut reqwest::Response, reason: &str) {
    let text: String = reason
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&text) {
        response.headers_mut().insert(RENEWAL_FAILED, v);
    }
}

/// [`Error::Auth`] when the refused answer was marked by [`mark_renewal_failure`].
fn renewal_failure(status: StatusCode, headers: &HeaderMap) -> Option<Error> {
    let reason = headers.get(RENEWAL_FAILED)?.to_str().ok()?;
    Some(Error::Auth(format!("{reason} (after the service answered {status})")))
}

/// The URL a response reports, reduced to scheme, host and path: queries carry credentials
/// (session parameters, signed-URL signatures), and a response's URL shows up in the `Debug` of
/// progenitor's `Error::UnexpectedResponse`.
fn scrubbed_url(url: &reqwest::Url) -> reqwest::Url {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url
}

/// The same response (streaming body untouched) with its URL scrubbed.
fn without_query(response: reqwest::Response) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    let url = scrubbed_url(response.url());
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let mut rebuilt = http::Response::builder()
        .status(parts.status)
        .version(parts.version)
        .url(url);
    if let Some(h) = rebuilt.headers_mut() {
        *h = parts.headers;
    }
    match rebuilt.body(body) {
        Ok(r) => reqwest::Response::from(r),
        Err(_) => reqwest::Response::from(http::Response::new(reqwest::Body::from(Vec::new()))),
    }
}

/// Error answers are decoded by generated code as JSON. A proxy's HTML page or an empty body must
/// still become a typed error (not a decode failure that loses the status), so a body that is not
/// JSON is re-wrapped as a JSON string. Bodies are capped at 64 KiB.
async fn decodable_error(response: reqwest::Response) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    let url = response.url().clone();
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > 64 * 1024 {
            bytes.truncate(64 * 1024);
            break;
        }
    }
    let body = if serde_json::from_slice::<serde_json::Value>(&bytes).is_ok() {
        bytes
    } else {
        serde_json::to_vec(&String::from_utf8_lossy(&bytes)).unwrap_or_default()
    };
    let mut builder = http::Response::builder().status(status).version(version).url(url);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
        h.remove(reqwest::header::CONTENT_LENGTH);
        h.remove(reqwest::header::CONTENT_ENCODING);
        h.remove(reqwest::header::TRANSFER_ENCODING);
    }
    let rebuilt = builder.body(body).unwrap_or_else(|_| http::Response::new(Vec::new()));
    reqwest::Response::from(rebuilt)
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Sends a hand-written request through the same pipeline as generated operations (auth, retries,
/// tracing) and turns an error status into [`Error::Api`].
pub async fn send(
    http: &reqwest::Client,
    state: &ClientState,
    mut request: reqwest::Request,
    operation: &str,
    mode: Idempotency,
) -> Result<reqwest::Response, Error> {
    prepare(state, &mut request, operation).await?;
    let response = execute(http, state, request, operation, mode).await?;
    error_for_status(response).await
}

/// Turns an error status into [`Error::Api`] (reading the body); passes other answers through.
pub async fn error_for_status(response: reqwest::Response) -> Result<reqwest::Response, Error> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(response);
    }
    let headers = response.headers().clone();
    if let Some(e) = renewal_failure(status, &headers) {
        return Err(e);
    }
    let bytes = response.bytes().await.unwrap_or_default();
    Err(Error::Api(Box::new(ApiError::new(
        status,
        &headers,
        ErrorBody::from_bytes(&bytes),
    ))))
}

/// Reads a JSON success body into `T`, with a decode error (never a panic) on malformed or
/// truncated bodies.
pub async fn json_body<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, Error> {
    let bytes = response.bytes().await?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
        message: e.to_string(),
        body_start: String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned(),
    })
}

/// Rate-limit headers (`X-RateLimit-*`, `Retry-After`) of an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// `X-RateLimit-Limit`.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset` (UNIX seconds).
    pub reset: Option<u64>,
    /// `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl RateLimit {
    /// Reads the rate-limit headers; absent or malformed ones are `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let num = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        };
        Self {
            limit: num("x-ratelimit-limit"),
            remaining: num("x-ratelimit-remaining"),
            reset: num("x-ratelimit-reset"),
            retry_after: retry_after(headers),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pagination and streaming
// ---------------------------------------------------------------------------------------------

/// One page of a listing and the cursor of the next page (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts.
    pub next: Option<C>,
}

/// A stream of every item of a paged listing. `fetch` gets a cursor and returns a page; the stream
/// ends after a page without `next`, and stops at the first error (which it yields).
pub fn paginate<T, C, F, Fut>(start: C, mut fetch: F) -> impl Stream<Item = Result<T, Error>> + Send
where
    T: Send,
    C: Send,
    F: FnMut(C) -> Fut + Send,
    Fut: Future<Output = Result<Page<T, C>, Error>> + Send,
{
    futures::stream::try_unfold(Some(start), move |cursor| {
        let next = cursor.map(&mut fetch);
        async move {
            match next {
                None => Ok::<_, Error>(None),
                Some(page) => {
                    let page = page.await?;
                    let items = futures::stream::iter(page.items.into_iter().map(Ok::<T, Error>));
                    Ok(Some((items, page.next)))
                }
            }
        }
    })
    .try_flatten()
}

/// Copies a byte stream into a writer; returns the number of bytes written.
pub async fn copy_to_writer<S, W>(stream: S, writer: &mut W) -> Result<u64, Error>
where
    S: Stream<Item = reqwest::Result<bytes::Bytes>>,
    W: tokio::io::AsyncWrite + Unpin + ?Sized,
{
    use tokio::io::AsyncWriteExt;
    let mut stream = std::pin::pin!(stream);
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        writer.write_all(&chunk).await?;
        written += chunk.len() as u64;
    }
    writer.flush().await?;
    Ok(written)
}

/// A streaming request body over a local file, with its length and file name. The file is read as
/// it is sent, never held in memory.
pub async fn file_body(path: &std::path::Path) -> Result<(reqwest::Body, u64, String), Error> {
    let file = tokio::fs::File::open(path).await?;
    let len = file.metadata().await?.len();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::InvalidInput(format!("{} has no UTF-8 file name", path.display())))?
        .to_string();
    Ok((
        reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file)),
        len,
        name,
    ))
}

// ---------------------------------------------------------------------------------------------
// Tolerant scalars (`x-dam-type` in the specs)
// ---------------------------------------------------------------------------------------------

/// Reads a string, or a number/bool as its text. Used by open enums and joined lists.
pub fn deserialize_open_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        other => Err(serde::de::Error::custom(format!("expected a string, found {other}"))),
    }
}

/// Joins displayable items with a separator.
pub fn join_display<T: fmt::Display>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

/// Splits on any of the separators and parses each non-empty piece.
pub fn split_parse<T: FromStr>(text: &str, separators: &[&str]) -> Result<Vec<T>, String> {
    let mut pieces = vec![text.to_string()];
    for sep in separators {
        pieces = pieces
            .iter()
            .flat_map(|p| p.split(sep).map(str::to_string).collect::<Vec<_>>())
            .collect();
    }
    pieces
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().map_err(|_| format!("cannot parse list item {p:?}")))
        .collect()
}

/// A JSON schema for an open enum: a string, with the known values as examples.
#[cfg(feature = "schemars")]
pub fn open_enum_schema(known: &[&str]) -> schemars::schema::Schema {
    let mut schema = schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        ..Default::default()
    };
    schema.metadata().examples = known.iter().map(|v| serde_json::Value::from(*v)).collect();
    schema.into()
}

/// Number-or-text scalars keep what was sent, so a value round-trips unchanged.
#[derive(Clone, Debug, PartialEq)]
enum Raw {
    Number(serde_json::Number),
    Text(String),
    Bool(bool),
}

impl Raw {
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => Ok(Raw::Number(n)),
            serde_json::Value::String(s) => Ok(Raw::Text(s)),
            serde_json::Value::Bool(b) => Ok(Raw::Bool(b)),
            other => Err(serde::de::Error::custom(format!(
                "expected a number or a string, found {other}"
            ))),
        }
    }
    fn text(&self) -> String {
        match self {
            Raw::Number(n) => n.to_string(),
            Raw::Text(s) => s.clone(),
            Raw::Bool(b) => b.to_string(),
        }
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Raw::Number(n) => n.serialize(s),
            Raw::Text(t) => s.serialize_str(t),
            Raw::Bool(b) => s.serialize_bool(*b),
        }
    }
}

macro_rules! loose_scalar {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name(Raw);

        impl $name {
            /// The value as received (a number's decimal text, or the string).
            pub fn as_text(&self) -> String {
                self.0.text()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.text())
            }
        }
        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self(Raw::Text(s.to_string())))
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(Raw::Text(s.to_string()))
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(Raw::Text(s))
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.write(s)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Raw::read(d).map(Self)
            }
        }
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_string()
            }
            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                let schema = schemars::schema::SchemaObject {
                    instance_type: Some(
                        vec![
                            schemars::schema::InstanceType::String,
                            schemars::schema::InstanceType::Number,
                        ]
                        .into(),
                    ),
                    ..Default::default()
                };
                schema.into()
            }
        }
    };
}

loose_scalar!(
    /// An id the provider sends as a number in some answers and a string in others.
    LooseId
);
loose_scalar!(
    /// An integer the provider may send as a number or as text (`"filesize": "1234"`).
    LooseInt
);
loose_scalar!(
    /// A decimal number the provider may send as a number or as text (`"latitude": "55.6"`).
    LooseFloat
);
loose_scalar!(
    /// A flag the provider may send as `true`, `1`, `"1"`, `"true"` or `"yes"` (or the negatives).
    LooseBool
);
loose_scalar!(
    /// A point in time as the provider sends it: RFC 3339, `YYYY-MM-DD hh:mm:ss`, `YYYY-MM-DD`, or
    /// UNIX seconds as a number or text. The text is kept; [`Timestamp::to_datetime`] parses it.
    Timestamp
);

impl LooseId {
    /// The id as text.
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        match &self.0 {
            Raw::Text(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.text()),
        }
    }
}

impl From<i64> for LooseId {
    fn from(v: i64) -> Self {
        Self(Raw::Number(v.into()))
    }
}

impl LooseInt {
    /// The integer, when the value is one (`"12"` and `12.0` count; `""` and `"n/a"` do not).
    pub fn get(&self) -> Option<i64> {
        match &self.0 {
            Raw::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Raw::Text(s) => s.trim().parse().ok(),
            Raw::Bool(_) => None,
        }
    }
}

impl From<i64> for LooseInt {
    fn from(v: i64) -> Self {
        Self(Raw::Number(v.into()))
    }
}

impl LooseFloat {
    /// The number, when the value is one.
    pub fn get(&self) -> Option<f64> {
        match &self.0 {
            Raw::Number(n) => n.as_f64(),
            Raw::Text(s) => s.trim().parse().ok(),
            Raw::Bool(_) => None,
        }
    }
}

impl LooseBool {
    /// The flag, when the value is a recognisable boolean.
    pub fn get(&self) -> Option<bool> {
        match &self.0 {
            Raw::Bool(b) => Some(*b),
            Raw::Number(n) => n.as_f64().map(|f| f != 0.0),
            Raw::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "y" | "on" => Some(true),
                "0" | "false" | "no" | "n" | "off" | "" => Some(false),
                _ => None,
            },
        }
    }
}

impl From<bool> for LooseBool {
    fn from(v: bool) -> Self {
        Self(Raw::Bool(v))
    }
}

impl Timestamp {
    /// The instant, when the value is in a recognised form (see the type's docs).
    pub fn to_datetime(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
        let from_secs = |s: i64| Utc.timestamp_opt(s, 0).single();
        match &self.0 {
            Raw::Number(n) => n.as_i64().and_then(from_secs),
            Raw::Bool(_) => None,
            Raw::Text(t) => {
                let t = t.trim();
                if let Ok(s) = t.parse::<i64>() {
                    return from_secs(s);
                }
                if let Ok(d) = DateTime::parse_from_rfc3339(t) {
                    return Some(d.with_timezone(&Utc));
                }
                for f in [
                    "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S%.f",
                    "%Y-%m-%d %H:%M:%S%.f",
                ] {
                    if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
                        return Some(d.and_utc());
                    }
                }
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc())
            }
        }
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(v: chrono::DateTime<chrono::Utc>) -> Self {
        Self(Raw::Text(v.to_rfc3339()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_scalars_accept_numbers_and_text() {
        let id: LooseId = serde_json::from_str("123").unwrap();
        assert_eq!(id.as_str(), "123");
        assert_eq!(serde_json::to_string(&id).unwrap(), "123");
        let id: LooseId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc\"");
        let n: LooseInt = serde_json::from_str("\"1234\"").unwrap();
        assert_eq!(n.get(), Some(1234));
        let n: LooseInt = serde_json::from_str("\"\"").unwrap();
        assert_eq!(n.get(), None);
        let b: LooseBool = serde_json::from_str("\"1\"").unwrap();
        assert_eq!(b.get(), Some(true));
        let f: LooseFloat = serde_json::from_str("\"55.5\"").unwrap();
        assert_eq!(f.get(), Some(55.5));
        assert!(serde_json::from_str::<LooseInt>("{}").is_err());
    }

    #[test]
    fn timestamps_in_every_documented_form() {
        let want = chrono::DateTime::parse_from_rfc3339("2015-04-16T12:39:39Z").unwrap();
        for json in [
            "1429187979",
            "\"1429187979\"",
            "\"2015-04-16T12:39:39Z\"",
            "\"2015-04-16 12:39:39\"",
        ] {
            let t: Timestamp = serde_json::from_str(json).unwrap();
            assert_eq!(t.to_datetime(), Some(want.with_timezone(&chrono::Utc)), "{json}");
        }
        let odd: Timestamp = serde_json::from_str("\"2014-06-26 145:11:25\"").unwrap();
        assert_eq!(odd.to_datetime(), None);
        assert_eq!(odd.to_string(), "2014-06-26 145:11:25");
    }

    #[test]
    fn error_bodies_of_every_shape() {
        assert_eq!(
            ErrorBody::from_bytes(br#"{"message":"No such media"}"#)
                .summary()
                .unwrap(),
            "No such media"
        );
        assert_eq!(
            ErrorBody::from_bytes(br#"{"code":"FolderNotFound","message":"gone"}"#)
                .summary()
                .unwrap(),
            "FolderNotFound: gone"
        );
        assert_eq!(
            ErrorBody::from_bytes(br#"{"error":"invalid_grant","error_description":"expired"}"#)
                .summary()
                .unwrap(),
            "expired"
        );
        assert_eq!(
            ErrorBody::from_bytes(b"<html>Bad gateway</html>").summary().unwrap(),
            "<html>Bad gateway</html>"
        );
        assert_eq!(ErrorBody::from_bytes(b"").summary(), None);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let p = RetryPolicy::default();
        for attempt in 1..40 {
            let b = p.backoff(attempt);
            assert!(b <= p.max_backoff, "{b:?}");
            assert!(b >= p.initial_backoff.min(p.max_backoff) / 2 || attempt == 0);
        }
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        assert_eq!(redact("bad token r-1 here", &["r-1", ""]), "bad token [redacted] here");
        let refusal = ApiError::new(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            ErrorBody::from_bytes(br#"{"error":"invalid_grant","error_description":"token r-1 expired"}"#),
        );
        assert_eq!(
            grant_refused("refresh_token", &refusal, &["r-1"]).to_string(),
            format!(
                "{} authentication failed: refresh_token grant refused (400 Bad Request): invalid_grant: token [redacted] expired",
                provider().name
            )
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn joined_lists_split_on_any_separator() {
        assert_eq!(split_parse::<i64>("1+2 3", &["+", " "]).unwrap(), vec![1, 2, 3]);
        assert_eq!(join_display(&[1, 2], "+"), "1+2");
    }
}
