//! The request pipeline every call goes through, generated or hand-written:
//!
//! 1. [`prepare`]: a bodiless POST/PUT/PATCH gets `Content-Length: 0` (Sony Ci refuses one without),
//!    then the client's [`Authenticator`] adds credentials (unless the operation is public) — at
//!    once when they are at hand ([`Authenticator::authorize_now`]), else through its future;
//! 2. the round trip, inside one `dam_request` span: send; after one of the provider's re-auth
//!    statuses renew the credentials once and resend once; after 429/503 or a connection that
//!    failed or broke mid-answer, resend an idempotent request with jittered backoff honouring
//!    `Retry-After`; an error status becomes [`Error::Api`] with the body decoded tolerantly;
//! 3. for generated operations ([`call_json`], [`call_stream`], [`call_empty`]): the success status
//!    is checked against the spec and the body decoded into the model, with the field path of any
//!    mismatch ([`Error::Decode`]).
//!
//! A resend needs the request again. A generated operation hands over the statements that make it
//! ([`Build::Again`]) and the runtime makes it again, credentials included, only when it resends;
//! a hand-written request ([`send`], [`execute`]) is copied before each attempt that may be followed
//! by another. After a refusal the authenticator compares the credentials the request carried
//! (its sensitive headers, kept as cheap clones) with the current ones.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt;
use progenitor_client::{ByteStream, ResponseValue};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::{Authenticator, Error, ErrorBody, NoAuth, Operation, ProviderInfo, RetryPolicy};

/// Error bodies are read up to this size.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// An unexpected success answer keeps at most this much of its body.
const UNEXPECTED_BODY_LIMIT: usize = 1024 * 1024;

/// The state every generated `Client` carries: which provider it talks to, its credentials and its
/// retry policy.
#[derive(Clone)]
pub struct ClientState {
    provider: &'static ProviderInfo,
    auth: Arc<dyn Authenticator>,
    retry: RetryPolicy,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("provider", &self.provider.name)
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .finish()
    }
}

impl ClientState {
    /// State with the given credentials and retry policy.
    pub fn new(provider: &'static ProviderInfo, auth: Arc<dyn Authenticator>, retry: RetryPolicy) -> Self {
        Self { provider, auth, retry }
    }
    /// State without credentials (for login calls and public endpoints), default retry policy.
    pub fn unauthenticated(provider: &'static ProviderInfo) -> Self {
        Self::without_credentials(provider, RetryPolicy::default())
    }
    /// State without credentials and the given retry policy (token endpoints, storage services).
    pub fn without_credentials(provider: &'static ProviderInfo, retry: RetryPolicy) -> Self {
        Self::new(provider, Arc::new(NoAuth), retry)
    }
    /// The same provider and retry policy with other credentials.
    pub fn with_auth(&self, auth: Arc<dyn Authenticator>) -> Self {
        Self::new(self.provider, auth, self.retry)
    }
    /// The same provider and retry policy without credentials: for URLs a service hands out
    /// (download locations, signed upload URLs, storage forms), which must never receive the API's
    /// credentials — whatever their host.
    pub fn storage(&self) -> Self {
        Self::without_credentials(self.provider, self.retry)
    }
    /// The same provider and credentials with another retry policy.
    pub fn with_retry(&self, retry: RetryPolicy) -> Self {
        Self::new(self.provider, self.auth.clone(), retry)
    }
    /// The provider this state belongs to.
    pub fn provider(&self) -> &'static ProviderInfo {
        self.provider
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

/// Whether a request may be sent again after a throttle or connection failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Decide from the method (and `x-dam-idempotent` for POSTs).
    FromMethod,
    /// Never resend (uploads and other non-idempotent calls).
    Never,
}

/// Readies a request for sending: `Content-Length: 0` on a bodiless POST/PUT/PATCH, then
/// credentials from the state's [`Authenticator`] (unless `operation` is public).
pub async fn prepare(state: &ClientState, request: &mut reqwest::Request, operation: &str) -> Result<(), Error> {
    if prepare_now(state, request, operation)? {
        state.auth.authorize(request).await?;
    }
    Ok(())
}

/// [`prepare`] as far as it goes without waiting: `true` when the credentials are not at hand
/// ([`Authenticator::authorize_now`]) and must still be added by [`Authenticator::authorize`].
fn prepare_now(state: &ClientState, request: &mut reqwest::Request, operation: &str) -> Result<bool, Error> {
    let needs_length = matches!(
        *request.method(),
        reqwest::Method::POST | reqwest::Method::PUT | reqwest::Method::PATCH
    );
    if needs_length && request.body().is_none() {
        request
            .headers_mut()
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    if state.provider.is_unauthenticated(operation) {
        return Ok(false);
    }
    match state.auth.authorize_now(request) {
        Some(done) => done.map(|()| false),
        None => Ok(true),
    }
}

/// Called by the generated calls of a provider whose credentials travel in the query
/// (IntelligenceBank's session), right after the URL's text is made: the client's authenticator
/// writes its credentials into it ([`Authenticator::write_query`]) before reqwest parses it, so
/// they come first in the query (the operation's own parameters are appended after them) and
/// are never appended to the parsed URL. (Appending to a parsed URL made a call with 64 in flight
/// about 5 % slower than the same request sent with plain reqwest.) A public operation gets
/// nothing.
pub fn write_query(state: &ClientState, operation: &str, url: &mut String) {
    if !state.provider.is_unauthenticated(operation) {
        state.auth.write_query(url);
    }
}

fn is_idempotent(provider: &ProviderInfo, method: &reqwest::Method, operation: &str, mode: Idempotency) -> bool {
    use reqwest::Method;
    mode == Idempotency::FromMethod
        && (matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        ) || (*method == Method::POST && provider.idempotent_posts.contains(&operation)))
}

/// Whether a transport error means the request may not have been processed and can be resent when
/// it is idempotent: the connection failed, or it was reset or closed before the answer was
/// complete. Timeouts are not resent (a stalled service is not helped by a second request).
fn is_resendable(e: &reqwest::Error) -> bool {
    use std::io::ErrorKind;
    if e.is_connect() {
        return true;
    }
    if e.is_timeout() {
        return false;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_closed() || h.is_canceled())
        {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            )
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// What a round trip produced: a response with a success (or redirect) status, its body still
/// streaming or already read.
enum Answer {
    Streaming(reqwest::Response),
    Buffered {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
}

/// The copy of a request kept for a possible resend: `None` for a streamed body. A bodiless request
/// is copied part by part — method, URL, headers, version and timeout, all that reqwest's
/// `RequestBuilder` puts on a request besides the body: reqwest 0.13's `try_clone` also allocates
/// a timeout slot it then overwrites, three allocations of the six a copy costs. (Extensions of a
/// request converted from an `http::Request` are not carried over to a resend; the SDKs never set
/// any.)
fn spare_of(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut r = reqwest::Request::new(request.method().clone(), request.url().clone());
    *r.headers_mut() = request.headers().clone();
    *r.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *r.timeout_mut() = Some(*timeout);
    }
    Some(r)
}

/// How a generated call hands its request to the runtime.
// Two words: a call's futures hold it (and what it is taken apart into) while they wait, and an
// unboxed request would take 264 bytes in each of them. The box is one small allocation for the
// few requests made once; generated calls without a body hand over a closure.
pub enum Build<'a> {
    /// A request made once: its body moves a value that cannot be made twice (a stream, a
    /// multipart form). It is copied for a resend when its body can be.
    Once(Box<reqwest::Request>),
    /// The statements that make the request, as a closure: called for the first attempt and again
    /// for a resend, so no copy of the request is kept while it is on the wire.
    Again(&'a MakeRequest<'a>),
}

/// The closure of [`Build::Again`].
pub type MakeRequest<'a> = dyn Fn() -> Result<reqwest::Request, Error> + Sync + 'a;

impl fmt::Debug for Build<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Build::Once(r) => f.debug_tuple("Once").field(&r.url().path()).finish(),
            Build::Again(_) => f.write_str("Again(..)"),
        }
    }
}

/// What a request carried to authenticate itself: its sensitive headers (an [`Authenticator`]
/// marks the headers it sets sensitive), the first [`SENT_CREDENTIALS`] of them, as cheap clones.
/// After a refusal they make the request [`Authenticator::reauthenticate`] compares with the
/// current credentials, without a copy of the whole request kept on every call.
#[derive(Default)]
struct SentCredentials([Option<(http::HeaderName, HeaderValue)>; SENT_CREDENTIALS]);

/// How many credential headers [`SentCredentials`] keeps (IntelligenceBank sends two).
const SENT_CREDENTIALS: usize = 3;

impl SentCredentials {
    fn of(headers: &HeaderMap) -> Self {
        let mut sent = Self::default();
        let credentials = headers.iter().filter(|(_, v)| v.is_sensitive());
        for (slot, (name, value)) in sent.0.iter_mut().zip(credentials) {
            *slot = Some((name.clone(), value.clone()));
        }
        sent
    }

    /// The refused request as [`Authenticator::reauthenticate`] sees it: method, URL and the
    /// credential headers.
    fn request(&self, method: reqwest::Method, url: reqwest::Url) -> reqwest::Request {
        let mut r = reqwest::Request::new(method, url);
        for (name, value) in self.0.iter().flatten() {
            r.headers_mut().append(name.clone(), value.clone());
        }
        r
    }
}

/// Where an attempt's request comes from.
// Small (three words): the request itself is boxed or not made yet, so it takes no room in the
// futures that hold this while they wait.
enum Source<'a> {
    /// A request made once ([`Build::Once`]), for its first attempt: readied like a new one.
    Once(Box<reqwest::Request>),
    /// Made by the generated call's closure ([`Build::Again`]) and readied, for any attempt.
    Make(&'a MakeRequest<'a>),
    /// A copy of a request that was sent ([`spare_of`]), for a resend: as it was, or with fresh
    /// credentials once they were renewed (`true`).
    Copy(Box<reqwest::Request>, bool),
}

/// An attempt's request, readied.
// Returned and taken apart at once: boxing the request would cost an allocation per call.
#[allow(clippy::large_enum_variant)]
enum Ready<'a> {
    /// Nothing had to be waited for.
    Now(reqwest::Request),
    /// Credentials to fetch, or the authenticator's pace to keep, first.
    Later(futures_util::future::BoxFuture<'a, Result<reqwest::Request, Error>>),
    /// The request could not be made or readied.
    Failed(Error),
}

impl<'a> Source<'a> {
    fn of(build: Build<'a>) -> Self {
        match build {
            Build::Once(request) => Source::Once(request),
            Build::Again(make) => Source::Make(make),
        }
    }

    /// The same source after the credentials were renewed: a copy is given the new ones.
    fn renewed(self) -> Self {
        match self {
            Source::Copy(request, _) => Source::Copy(request, true),
            other => other,
        }
    }

    /// The attempt's request: made (or taken) and readied ([`prepare`]), then paced
    /// ([`Authenticator::pace`]). At once when the credentials are at hand and no pace is set — the
    /// request then never waits inside a call's future, where it would take room in every call.
    fn ready(self, state: &'a ClientState, operation: &'a str) -> Ready<'a> {
        let (mut request, authorize) = match self.made(state, operation) {
            Ok(made) => made,
            Err(e) => return Ready::Failed(e),
        };
        let pace = state.auth.pace();
        if !authorize && pace.is_none() {
            return Ready::Now(request);
        }
        Ready::Later(Box::pin(async move {
            if authorize {
                state.auth.authorize(&mut request).await?;
            }
            if let Some(wait) = pace {
                wait.await;
            }
            Ok(request)
        }))
    }

    /// The request, made (or taken) and readied as far as it goes without waiting, and whether
    /// its credentials must still be added ([`prepare_now`]).
    fn made(self, state: &ClientState, operation: &str) -> Result<(reqwest::Request, bool), Error> {
        let mut request = match self {
            Source::Once(request) => *request,
            Source::Make(make) => make()?,
            Source::Copy(request, renewed) => return Ok((*request, renewed)),
        };
        let authorize = prepare_now(state, &mut request, operation)?;
        Ok((request, authorize))
    }
}

fn auth_message(e: Error) -> String {
    match e {
        Error::Auth(m) => m,
        other => other.to_string(),
    }
}

/// Sends a call's request (see the module docs) inside its `dam_request` span; `buffer` reads a
/// success body completely, retrying an idempotent request whose answer broke off.
///
/// Not an `async fn`: the attempts' future is wrapped in the span directly, so the arguments are
/// held once (an outer `async fn` would hold them a second time beside the inner future).
fn round_trip<'a>(
    http: &'a reqwest::Client,
    state: &'a ClientState,
    build: Build<'a>,
    operation: &'a str,
    mode: Idempotency,
    buffer: bool,
) -> impl Future<Output = Result<Answer, Error>> + Send + 'a {
    let provider = state.provider;
    let span = tracing::info_span!(
        "dam_request",
        provider = provider.name,
        operation,
        method = tracing::field::Empty,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
    );
    // Without a subscriber listening, no clock is read and nothing is recorded.
    let traced = !span.is_disabled();
    attempts(http, state, build, operation, mode, buffer, traced).instrument(span)
}

/// The attempts of [`round_trip`], inside its span.
///
/// Not an `async fn`: an `async fn` would keep its arguments twice in its future, as arguments
/// and as the locals they are moved into; the block uses them in place.
///
/// A local that lives across more than one `.await` takes its own room in the future for as long
/// as the future lives, and one that was borrowed keeps it until its scope ends. So the request
/// is made and readied at the top of each attempt without waiting ([`Source::ready`]) and moved
/// into the HTTP client's future at once, and the answer is looked at in a block of its own,
/// which ends in a [`Step`]: reading the body and pausing before a resend happen outside it.
#[allow(clippy::manual_async_fn)]
fn attempts<'a>(
    http: &'a reqwest::Client,
    state: &'a ClientState,
    build: Build<'a>,
    operation: &'a str,
    mode: Idempotency,
    buffer: bool,
    traced: bool,
) -> impl Future<Output = Result<Answer, Error>> + Send + 'a {
    async move {
        let provider = state.provider;
        let started = traced.then(Instant::now);
        let policy = &state.retry;
        let may_renew =
            state.auth.has_credentials() && state.auth.can_renew() && !provider.is_unauthenticated(operation);
        let rebuild = match &build {
            Build::Again(make) => Some(*make),
            Build::Once(_) => None,
        };
        let mut source = Source::of(build);
        let mut attempt = 0u32;
        let mut renewed = false;
        let mut last_status = None;
        let result = 'attempts: loop {
            // The request is made, looked at and moved into the HTTP client's future in a block of
            // its own: a request that was borrowed would otherwise take room in the call's future
            // until the attempt ends.
            let can_retry;
            let can_renew = may_renew && !renewed;
            let mut resend;
            let sent;
            let method;
            let (sending, carried, had_body) = {
                let current = match source.ready(state, operation) {
                    Ready::Now(request) => request,
                    Ready::Failed(e) => break Err(e),
                    Ready::Later(later) => match later.await {
                        Ok(request) => request,
                        Err(e) => break Err(e),
                    },
                };
                attempt += 1;
                if traced && attempt == 1 {
                    tracing::Span::current().record("method", tracing::field::display(current.method()));
                }
                can_retry = attempt < policy.max_attempts && is_idempotent(provider, current.method(), operation, mode);
                // How this attempt may be followed by another: the closure, or a copy kept only when
                // another attempt is possible and the request cannot be made again.
                resend = match rebuild {
                    Some(make) => Some(Source::Make(make)),
                    None if can_retry || can_renew => spare_of(&current).map(|r| Source::Copy(Box::new(r), false)),
                    None => None,
                };
                // What a refusal is compared with (a streamed body cannot be resent, but the
                // credentials must still be renewed for later calls).
                sent = if can_renew {
                    SentCredentials::of(current.headers())
                } else {
                    SentCredentials::default()
                };
                method = current.method().clone();
                let carried = redirect_headers(current.headers());
                let had_body = current.body().is_some();
                (http.execute(current), carried, had_body)
            };
            let (wait, again) = {
                let step = 'answer: {
                    let answered = match sending.await {
                        // Redirects the HTTP client stopped at (to another origin) are followed here.
                        Ok(r) if r.status().is_redirection() => {
                            Box::pin(follow_redirects(http, r, method.clone(), carried, had_body)).await
                        }
                        other => {
                            // Dropped here, not at the end of the attempt: a local left in place
                            // would take room in the future while the body is read.
                            drop(carried);
                            other
                        }
                    };
                    let response = match answered {
                        Ok(r) => r,
                        Err(e) => {
                            if can_retry
                                && is_resendable(&e)
                                && let Some(again) = resend.take()
                            {
                                let wait = policy.backoff(attempt);
                                tracing::debug!(wait_ms = wait.as_millis() as u64, attempt, error = %transport_kind(&e), "resending after a connection failure");
                                break 'answer Step::Again(wait, again);
                            }
                            tracing::debug!(error = %transport_kind(&e), "request failed");
                            break 'answer Step::Done(Err(Error::from(e)));
                        }
                    };
                    let status = response.status();
                    last_status = Some(status);
                    if can_renew && provider.reauth_statuses.contains(&status.as_u16()) {
                        renewed = true;
                        let url = response.url().clone();
                        // The refused request is made inside the boxed renewal, not held in every
                        // call's future.
                        let renewal = Box::pin(async move {
                            let rejected = sent.request(method, url);
                            state.auth.reauthenticate(&rejected).await
                        });
                        match renewal.await {
                            Ok(()) => {
                                if let Some(again) = resend.take() {
                                    tracing::debug!("credentials renewed; resending");
                                    source = again.renewed();
                                    continue 'attempts;
                                }
                                // Renewed for later calls; this answer (of a streamed body) is
                                // returned.
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "could not renew credentials");
                                break 'answer Step::Done(Err(Error::Auth(format!(
                                    "{} (after the service answered {status})",
                                    auth_message(e)
                                ))));
                            }
                        }
                    }
                    let throttled = matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE);
                    if throttled
                        && can_retry
                        && let Some(again) = resend.take()
                    {
                        let wait = match retry_after(response.headers()) {
                            Some(w) if w > policy.max_retry_after => None,
                            Some(w) => Some(w),
                            None => Some(policy.backoff(attempt)),
                        };
                        if let Some(wait) = wait {
                            tracing::debug!(wait_ms = wait.as_millis() as u64, attempt, "throttled; retrying");
                            break 'answer Step::Again(wait, again);
                        }
                    }
                    if status.is_client_error() || status.is_server_error() {
                        break 'answer Step::Refused(response);
                    }
                    if !buffer {
                        break 'answer Step::Done(Ok(Answer::Streaming(response)));
                    }
                    // Take the headers out of the response instead of copying them.
                    let (parts, body) = http::Response::from(response).into_parts();
                    Step::Read(status, parts.headers, body)
                };
                match step {
                    Step::Done(result) => break result,
                    Step::Refused(response) => break Err(Box::pin(api_error(provider, response)).await),
                    Step::Read(status, headers, body) => match body.collect().await {
                        Ok(body) => {
                            break Ok(Answer::Buffered {
                                status,
                                headers,
                                body: body.to_bytes(),
                            });
                        }
                        Err(e) => {
                            if can_retry
                                && is_resendable(&e)
                                && let Some(again) = resend.take()
                            {
                                let wait = policy.backoff(attempt);
                                tracing::debug!(
                                    wait_ms = wait.as_millis() as u64,
                                    attempt,
                                    "answer broke off; resending"
                                );
                                (wait, again)
                            } else {
                                break Err(Error::from(e));
                            }
                        }
                    },
                    Step::Again(wait, again) => (wait, again),
                }
            };
            pause(wait).await;
            source = again;
        };
        if !traced {
            return result;
        }
        let span = tracing::Span::current();
        span.record("attempts", attempt);
        span.record("duration_ms", started.map_or(0, |t| t.elapsed().as_millis() as u64));
        if let Some(status) = last_status {
            span.record("status", status.as_u16());
        }
        let request_id = match &result {
            Ok(Answer::Streaming(r)) => provider.request_id(r.headers()),
            Ok(Answer::Buffered { headers, .. }) => provider.request_id(headers),
            Err(e) => e.request_id().map(str::to_string),
        };
        if let Some(id) = request_id {
            span.record("request_id", id.as_str());
        }
        result
    }
}

/// How an attempt ended, once its answer was looked at.
enum Step<'a> {
    /// The call's result.
    Done(Result<Answer, Error>),
    /// An error status: its body is read into [`Error::Api`].
    Refused(reqwest::Response),
    /// A success status whose body is read whole.
    Read(StatusCode, HeaderMap, reqwest::Body),
    /// Send again after a pause.
    Again(Duration, Source<'a>),
}

/// A backoff wait, boxed: retries are rare, and the timer would otherwise take room in every
/// call's future.
fn pause(wait: Duration) -> std::pin::Pin<Box<tokio::time::Sleep>> {
    Box::pin(tokio::time::sleep(wait))
}

/// Headers a redirect to another origin keeps: none that carry credentials, only what a storage
/// service needs to answer a ranged download.
const CARRIED_ACROSS_ORIGINS: [http::HeaderName; 4] = [
    http::header::RANGE,
    http::header::IF_RANGE,
    http::header::IF_NONE_MATCH,
    http::header::IF_MODIFIED_SINCE,
];

/// The request's [`CARRIED_ACROSS_ORIGINS`] headers (the first value of each), if it has any.
// One pass over the request's few headers, comparing names (standard names compare as
// numbers): four lookups by name hashed each name, about 230 instructions on every call.
fn redirect_headers(headers: &HeaderMap) -> Option<HeaderMap> {
    let mut carried: Option<HeaderMap> = None;
    for (name, value) in headers {
        if CARRIED_ACROSS_ORIGINS.contains(name) {
            carried
                .get_or_insert_with(HeaderMap::new)
                .entry(name)
                .or_insert_with(|| value.clone());
        }
    }
    carried
}

/// Follows a redirect the HTTP client stopped at (it leads to another origin, see
/// [`http_client`](crate::http_client)) with a request that carries no credentials — no
/// `Authorization`, cookie, credential header or query — only `carried`. A redirect that would
/// have to resend a body (307/308 of a request with one) is returned as it is.
async fn follow_redirects(
    http: &reqwest::Client,
    mut response: reqwest::Response,
    method: reqwest::Method,
    carried: Option<HeaderMap>,
    had_body: bool,
) -> reqwest::Result<reqwest::Response> {
    for _ in 0..10 {
        let status = response.status();
        let keeps_method = matches!(status.as_u16(), 307 | 308);
        if !status.is_redirection() || status == StatusCode::NOT_MODIFIED || (keeps_method && had_body) {
            break;
        }
        let Some(next) = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
        else {
            break;
        };
        let method = if keeps_method || method == reqwest::Method::HEAD {
            method.clone()
        } else {
            reqwest::Method::GET
        };
        let mut again = reqwest::Request::new(method, next);
        if let Some(h) = &carried {
            *again.headers_mut() = h.clone();
        }
        response = http.execute(again).await?;
    }
    Ok(response)
}

/// A short description of a transport error, without its URL.
fn transport_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "body error"
    } else {
        "request error"
    }
}

/// Reads an error answer (at most 64 KiB of its body) into [`Error::Api`].
async fn api_error(provider: &ProviderInfo, response: reqwest::Response) -> Error {
    let status = response.status();
    let headers = response.headers().clone();
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > ERROR_BODY_LIMIT {
            bytes.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    Error::api(provider, status, &headers, ErrorBody::from_bytes(&bytes))
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Sends a hand-written request through the same pipeline as generated operations (auth, retries,
/// tracing): the answer with a success status and its body still streaming, or [`Error::Api`].
///
/// A resend (after a retryable failure or renewed credentials) carries the original's method, URL,
/// headers, version, timeout and body, not the extensions of a request converted from an
/// `http::Request`.
pub async fn send(
    http: &reqwest::Client,
    state: &ClientState,
    request: reqwest::Request,
    operation: &str,
    mode: Idempotency,
) -> Result<reqwest::Response, Error> {
    send_built(http, state, Build::Once(Box::new(request)), operation, mode).await
}

/// The same as [`send`], with the body read completely (an idempotent request whose answer broke
/// off is resent): status, headers and body.
pub async fn execute(
    http: &reqwest::Client,
    state: &ClientState,
    request: reqwest::Request,
    operation: &str,
    mode: Idempotency,
) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
    execute_built(http, state, Build::Once(Box::new(request)), operation, mode).await
}

/// Reads a JSON success body of a hand-written step into `T` ([`Error::Decode`] with the field
/// path on a mismatch, never a panic).
pub async fn json_body<T: DeserializeOwned>(operation: &'static str, response: reqwest::Response) -> Result<T, Error> {
    let bytes = response.bytes().await?;
    decode_json(operation, &bytes, false)
}

/// Decodes a JSON body into `T`. On a mismatch the error names the field path
/// (`items[3].createdBy`) and carries an excerpt of at most 200 characters around the failure —
/// unless `sensitive` (the body can hold a credential), when the excerpt is withheld.
pub fn decode_json<T: DeserializeOwned>(operation: &'static str, body: &[u8], sensitive: bool) -> Result<T, Error> {
    // Decoding is deterministic: decode at full speed, and only when that fails decode again,
    // tracking the field path, to say where.
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let decoded = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        (if path == "." { String::new() } else { path }, e.into_inner())
    });
    let decoded = decoded.and_then(|v| de.end().map(|()| v).map_err(|e| (String::new(), e)));
    decoded.map_err(|(path, inner)| {
        let excerpt = if sensitive {
            "(withheld: this answer can hold a credential)".to_string()
        } else {
            excerpt(body, &inner)
        };
        Error::Decode {
            operation,
            path,
            message: inner.to_string(),
            excerpt,
        }
    })
}

/// At most 200 characters of `body` around where `error` happened, control characters replaced.
fn excerpt(body: &[u8], error: &serde_json::Error) -> String {
    let text = String::from_utf8_lossy(body);
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 == error.line() {
            offset += line
                .char_indices()
                .nth(error.column().saturating_sub(1))
                .map_or(line.len(), |(b, _)| b);
            break;
        }
        offset += line.len();
    }
    let chars: Vec<char> = text.chars().collect();
    let at = text[..offset.min(text.len())].chars().count();
    let start = at.saturating_sub(100);
    let end = (at + 100).min(chars.len());
    chars[start..end]
        .iter()
        .map(|c| if c.is_control() { ' ' } else { *c })
        .collect()
}

fn unexpected(state: &ClientState, status: StatusCode, headers: &HeaderMap, body: Bytes) -> Error {
    Error::UnexpectedStatus {
        status,
        request_id: state.provider.request_id(headers),
        body: body.slice(..body.len().min(UNEXPECTED_BODY_LIMIT)),
    }
}

/// Whether a success status is answered with the operation's model: the statuses the spec gives
/// for it, and any other 2xx the spec does not give a different body for.
fn models(op: &Operation, status: StatusCode) -> bool {
    let code = status.as_u16();
    op.ok.contains(&code) || (status.is_success() && !op.other.contains(&code))
}

/// [`send`] of a request or of the closure that makes it.
async fn send_built(
    http: &reqwest::Client,
    state: &ClientState,
    build: Build<'_>,
    operation: &str,
    mode: Idempotency,
) -> Result<reqwest::Response, Error> {
    match round_trip(http, state, build, operation, mode, false).await? {
        Answer::Streaming(r) => Ok(r),
        Answer::Buffered { .. } => unreachable!("round_trip buffers only when asked"),
    }
}

/// [`execute`] of a request or of the closure that makes it.
async fn execute_built(
    http: &reqwest::Client,
    state: &ClientState,
    build: Build<'_>,
    operation: &str,
    mode: Idempotency,
) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
    match round_trip(http, state, build, operation, mode, true).await? {
        Answer::Buffered { status, headers, body } => Ok((status, headers, body)),
        Answer::Streaming(_) => unreachable!("round_trip streams only when asked"),
    }
}

/// Sends a generated operation's request and decodes its JSON answer into `T`.
pub async fn call_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    state: &ClientState,
    build: Build<'_>,
    op: &'static Operation,
) -> Result<ResponseValue<T>, Error> {
    let (status, headers, body) = execute_built(http, state, build, op.id, Idempotency::FromMethod).await?;
    if models(op, status) {
        let blank = body.iter().all(u8::is_ascii_whitespace);
        if !blank {
            return decode_json(op.id, &body, op.sensitive).map(|v| ResponseValue::new(v, status, headers));
        }
        // A bodiless answer fits a model that has nothing to say (`Option`, unit).
        if let Ok(v) = serde_json::from_slice::<T>(b"null") {
            return Ok(ResponseValue::new(v, status, headers));
        }
        if op.ok.contains(&status.as_u16()) {
            return Err(Error::Decode {
                operation: op.id,
                path: String::new(),
                message: format!("the {status} answer has no body"),
                excerpt: String::new(),
            });
        }
    }
    Err(unexpected(state, status, &headers, body))
}

/// Sends a generated operation's request whose answer has no body of interest.
pub async fn call_empty(
    http: &reqwest::Client,
    state: &ClientState,
    build: Build<'_>,
    op: &'static Operation,
) -> Result<ResponseValue<()>, Error> {
    let (status, headers, body) = execute_built(http, state, build, op.id, Idempotency::FromMethod).await?;
    if models(op, status) {
        Ok(ResponseValue::new((), status, headers))
    } else {
        Err(unexpected(state, status, &headers, body))
    }
}

/// Sends a generated operation's request whose answer is a byte stream (a download).
pub async fn call_stream(
    http: &reqwest::Client,
    state: &ClientState,
    build: Build<'_>,
    op: &'static Operation,
) -> Result<ResponseValue<ByteStream>, Error> {
    let response = send_built(http, state, build, op.id, Idempotency::FromMethod).await?;
    if models(op, response.status()) {
        return Ok(ResponseValue::stream(response));
    }
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap_or_default();
    Err(unexpected(state, status, &headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_compared_with_the_credential_headers_sent() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in [
            ("cookie", "_aid=a"),
            ("sid", "s1"),
            ("authorization", "Bearer t"),
            ("x-4", "4"),
        ] {
            let mut value = HeaderValue::from_static(value);
            value.set_sensitive(true);
            headers.insert(http::HeaderName::from_static(name), value);
        }
        let sent = SentCredentials::of(&headers);
        let url = reqwest::Url::parse("https://api.example.com/x?p10=k").expect("a URL");
        let rejected = sent.request(reqwest::Method::GET, url.clone());
        assert_eq!(rejected.url(), &url);
        assert!(rejected.headers().get("accept").is_none(), "only credentials");
        assert_eq!(rejected.headers().len(), SENT_CREDENTIALS);
        for (name, value) in rejected.headers() {
            assert!(value.is_sensitive(), "{name}");
            assert_eq!(headers.get(name), Some(value));
        }
        assert!(
            SentCredentials::default()
                .request(reqwest::Method::GET, url)
                .headers()
                .is_empty()
        );
    }

    #[test]
    fn a_redirect_to_another_origin_carries_only_the_download_headers() {
        let mut headers = HeaderMap::new();
        assert!(redirect_headers(&headers).is_none());
        headers.insert(http::header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(http::header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        assert!(redirect_headers(&headers).is_none(), "nothing to carry");
        headers.append(http::header::RANGE, HeaderValue::from_static("bytes=0-9"));
        headers.append(http::header::RANGE, HeaderValue::from_static("bytes=10-19"));
        headers.insert(http::header::IF_RANGE, HeaderValue::from_static("\"e1\""));
        headers.insert(http::header::IF_NONE_MATCH, HeaderValue::from_static("\"e2\""));
        headers.insert(
            http::header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        let carried = redirect_headers(&headers).expect("headers to carry");
        assert_eq!(carried.len(), 4, "{carried:?}");
        for name in &CARRIED_ACROSS_ORIGINS {
            assert_eq!(carried.get(name), headers.get(name), "{name}");
        }
        assert_eq!(
            carried.get_all(http::header::RANGE).iter().count(),
            1,
            "the first value"
        );
    }

    #[test]
    fn a_spare_keeps_what_a_resend_needs() {
        let http = crate::http_client(crate::Timeouts::default()).expect("an HTTP client");
        let original = http
            .get("http://127.0.0.1:1/folder?q=1")
            .header("authorization", "Bearer t")
            .header("accept", "application/json")
            .timeout(Duration::from_secs(9))
            .version(http::Version::HTTP_11)
            .build()
            .expect("a request");
        let spare = spare_of(&original).expect("a bodiless request can be copied");
        assert_eq!(spare.method(), original.method());
        assert_eq!(spare.url(), original.url());
        assert_eq!(spare.headers(), original.headers());
        assert_eq!(spare.version(), original.version());
        assert_eq!(spare.timeout(), Some(&Duration::from_secs(9)));
        assert!(spare.body().is_none());

        let mut with_body = http
            .post("http://127.0.0.1:1/folder")
            .body("{}")
            .build()
            .expect("a request");
        let spare = spare_of(&with_body).expect("a buffered body can be copied");
        assert_eq!(spare.body().and_then(|b| b.as_bytes()), Some(&b"{}"[..]));
        assert_eq!(spare.timeout(), None);
        *with_body.body_mut() = Some(reqwest::Body::wrap_stream(futures_util::stream::iter([Ok::<
            _,
            std::io::Error,
        >(
            Bytes::from_static(b"x"),
        )])));
        assert!(spare_of(&with_body).is_none(), "a stream cannot be resent");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        id: i64,
        #[serde(rename = "createdBy")]
        created_by: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Listing {
        items: Vec<Item>,
    }

    #[test]
    fn decode_errors_name_the_field_path_and_show_an_excerpt() {
        let mut items: Vec<String> = (0..3)
            .map(|i| format!(r#"{{"id": {i}, "createdBy": "u{i}"}}"#))
            .collect();
        items.push(r#"{"id": 3, "createdBy": 42}"#.into());
        let body = format!(r#"{{"items": [{}]}}"#, items.join(","));
        let e = decode_json::<Listing>("list_things", body.as_bytes(), false).unwrap_err();
        let Error::Decode {
            operation,
            path,
            excerpt,
            message,
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*operation, "list_things");
        assert_eq!(path, "items[3].createdBy");
        assert!(message.contains("invalid type"), "{message}");
        assert!(excerpt.contains("\"createdBy\": 42"), "{excerpt}");
        assert!(excerpt.chars().count() <= 200);
        assert!(e.to_string().contains("items[3].createdBy"), "{e}");
    }

    #[test]
    fn excerpts_are_bounded_and_withheld_for_credentials() {
        let long = format!(r#"{{"items": [{{"id": "{}"}}]}}"#, "x".repeat(10_000));
        let Error::Decode { excerpt, .. } = decode_json::<Listing>("op", long.as_bytes(), false).unwrap_err() else {
            panic!()
        };
        assert!(excerpt.chars().count() <= 200);
        let Error::Decode { excerpt, .. } =
            decode_json::<Listing>("op", br#"{"access_token": "tok-123", "items": 5}"#, true).unwrap_err()
        else {
            panic!()
        };
        assert!(!excerpt.contains("tok-123"), "{excerpt}");
    }

    #[test]
    fn trailing_garbage_is_a_decode_error() {
        assert!(decode_json::<Vec<i64>>("op", b"[1, 2] x", false).is_err());
    }
}
