//! A real HTTP/1.1 server on loopback (hyper) for testing the DAM SDK crates and code that uses
//! them. It is the base the SDKs' simulators build on:
//!
//! - **request log:** every request as received — method, path, raw query, headers, body
//!   ([`MockServer::requests`]), so tests pin the exact wire format;
//! - **handlers:** a closure from [`Recorded`] to [`Reply`], or a [`Router`] of method + path
//!   templates (`/media/{id}`) with the path parameters extracted;
//! - **fault injection:** the next N matching requests get a status with `Retry-After`, a reset
//!   connection, a truncated body, malformed JSON or a delay ([`MockServer::inject`]);
//! - **streamed answers:** a body produced chunk by chunk ([`Reply::stream`]), so a multi-GiB
//!   download needs no memory;
//! - **messy answers:** [`messy::variants`] bends one field of a document at a time the way real
//!   services do, for tests that models still decode.
//!
//! ```
//! use dam_test_server::{Fault, MockServer, Reply};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = MockServer::start(|r| Reply::json(200, serde_json::json!({"path": r.path}))).await;
//! server.inject(Fault::status(503).retry_after(0).times(1));
//! let first = reqwest::get(format!("{}/a?x=1", server.url())).await.unwrap();
//! assert_eq!(first.status(), 503);
//! let second = reqwest::get(format!("{}/a?x=1", server.url())).await.unwrap();
//! assert_eq!(second.status(), 200);
//! assert_eq!(server.requests()[1].query.as_deref(), Some("x=1"));
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod messy;
pub mod sim;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The method, upper case.
    pub method: String,
    /// The path, still percent-encoded as sent.
    pub path: String,
    /// The raw query string, exactly as sent (no decoding), when there was one.
    pub query: Option<String>,
    /// Header names are lower case; repeated headers appear once per value.
    pub headers: Vec<(String, String)>,
    /// The body (its first [`Options::body_limit`] bytes, when a limit is set).
    pub body: Vec<u8>,
    /// The body's full length, kept or not.
    pub body_len: u64,
}

impl Recorded {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
    /// The decoded query pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url_pairs(self.query.as_deref().unwrap_or(""))
    }
    /// The first decoded value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// The body decoded as JSON (panics with the body text when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    /// The body decoded as a form.
    pub fn form(&self) -> Vec<(String, String)> {
        url_pairs(&String::from_utf8_lossy(&self.body))
    }
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Decodes `a=1&b=x+y` into pairs (`+` is a space, `%XX` escapes are decoded).
pub fn url_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (as a space).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Makes the chunks of a streamed body; called once per answer.
type ChunkSource = Arc<dyn Fn() -> BoxStream<'static, Bytes> + Send + Sync>;

/// What the server answers.
#[derive(Clone)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (ignored when the reply is streamed).
    pub body: Vec<u8>,
    /// Send only this many body bytes, then drop the connection (a truncated transfer).
    pub cut_after: Option<usize>,
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// Drop the connection without answering at all.
    pub reset: bool,
    stream: Option<(u64, ChunkSource)>,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .field("streamed", &self.stream.as_ref().map(|(len, _)| *len))
            .field("cut_after", &self.cut_after)
            .field("delay", &self.delay)
            .field("reset", &self.reset)
            .finish()
    }
}

impl Reply {
    /// An empty answer with `status`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            cut_after: None,
            delay: None,
            reset: false,
            stream: None,
        }
    }
    /// A JSON answer.
    pub fn json(status: u16, value: serde_json::Value) -> Self {
        Self::status(status)
            .header("content-type", "application/json")
            .body(value.to_string().into_bytes())
    }
    /// A `text/plain` answer.
    pub fn text(status: u16, text: &str) -> Self {
        Self::status(status)
            .header("content-type", "text/plain")
            .body(text.as_bytes().to_vec())
    }
    /// An `application/octet-stream` answer.
    pub fn bytes(status: u16, body: Vec<u8>) -> Self {
        Self::status(status)
            .header("content-type", "application/octet-stream")
            .body(body)
    }
    /// An `application/octet-stream` answer of `len` bytes whose chunks `chunks` produces when the
    /// answer is sent (nothing is held in memory). `Content-Length` is `len`.
    pub fn stream(
        status: u16,
        len: u64,
        chunks: impl Fn() -> BoxStream<'static, Bytes> + Send + Sync + 'static,
    ) -> Self {
        let mut reply = Self::status(status).header("content-type", "application/octet-stream");
        reply.stream = Some((len, Arc::new(chunks)));
        reply
    }
    /// The connection is dropped without an answer (the client sees it closed mid-answer).
    pub fn reset() -> Self {
        let mut reply = Self::status(500);
        reply.reset = true;
        reply
    }
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    /// Replaces the body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
    /// Sends only `n` body bytes, then drops the connection.
    pub fn cut_after(mut self, n: usize) -> Self {
        self.cut_after = Some(n);
        self
    }
    /// Waits `d` before answering.
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }
}

/// Answers requests. Any `Fn(&Recorded) -> Reply` is one.
pub trait Handler: Send + Sync + 'static {
    /// The answer to `request`.
    fn handle(&self, request: &Recorded) -> Reply;
}

impl<F> Handler for F
where
    F: Fn(&Recorded) -> Reply + Send + Sync + 'static,
{
    fn handle(&self, request: &Recorded) -> Reply {
        self(request)
    }
}

/// Path parameters extracted by a route template, in template order.
pub type Params = Vec<(String, String)>;

/// Matches a path against a template such as `/media/{id}/folder/{folder_id}`; `{name}` matches
/// one non-empty segment. Returns the parameters (percent-decoded), or `None`.
pub fn match_route(template: &str, path: &str) -> Option<Params> {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut params = Vec::new();
    for (t, p) in t.iter().zip(&p) {
        if let Some(name) = t.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            if p.is_empty() {
                return None;
            }
            params.push((name.to_string(), percent_decode(p)));
        } else if t != p {
            return None;
        }
    }
    Some(params)
}

type RouteHandler = Box<dyn Fn(&Recorded, &Params) -> Reply + Send + Sync>;
type FallbackHandler = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// A handler that dispatches on method and path template. A path that matches no template is
/// answered 404; a path that matches with another method, 405 with `Allow`.
pub struct Router {
    routes: Vec<(String, String, RouteHandler)>,
    fallback: Option<Box<FallbackHandler>>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().map(|(m, t, _)| format!("{m} {t}")))
            .finish()
    }
}

impl Default for Router {
    fn default() -> Self {
        Self::new()
    }
}

impl Router {
    /// A router without routes.
    pub fn new() -> Self {
        Self {
            routes: Vec::new(),
            fallback: None,
        }
    }
    /// Adds a route; the first matching route answers.
    pub fn route(
        mut self,
        method: &str,
        template: &str,
        handler: impl Fn(&Recorded, &Params) -> Reply + Send + Sync + 'static,
    ) -> Self {
        self.routes
            .push((method.to_ascii_uppercase(), template.to_string(), Box::new(handler)));
        self
    }
    /// Answers requests that match no route (instead of 404/405).
    pub fn fallback(mut self, handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        self.fallback = Some(Box::new(handler));
        self
    }
}

impl Handler for Router {
    fn handle(&self, request: &Recorded) -> Reply {
        let mut allowed = Vec::new();
        for (method, template, handler) in &self.routes {
            if let Some(params) = match_route(template, &request.path) {
                if *method == request.method {
                    return handler(request, &params);
                }
                allowed.push(method.clone());
            }
        }
        if let Some(f) = &self.fallback {
            return f(request);
        }
        if allowed.is_empty() {
            Reply::json(404, serde_json::json!({"message": "no such route"}))
        } else {
            Reply::json(405, serde_json::json!({"message": "method not allowed"})).header("allow", &allowed.join(", "))
        }
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer this status (with `Retry-After` in seconds when given) and an empty JSON object.
    Status {
        /// The status.
        status: u16,
        /// `Retry-After` seconds.
        retry_after: Option<u64>,
    },
    /// Drop the connection without answering.
    Reset,
    /// Answer normally but cut the body after this many bytes.
    Truncate(usize),
    /// Answer normally but replace the body with JSON that does not parse.
    Malformed,
    /// Answer normally after this delay.
    Delay(Duration),
}

/// A fault for the next matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    method: Option<String>,
    path: Option<String>,
    remaining: usize,
}

impl Fault {
    fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            method: None,
            path: None,
            remaining: 1,
        }
    }
    /// Answer `status` instead.
    pub fn status(status: u16) -> Self {
        Self::new(FaultKind::Status {
            status,
            retry_after: None,
        })
    }
    /// Drop the connection without answering.
    pub fn reset() -> Self {
        Self::new(FaultKind::Reset)
    }
    /// Cut the body after `n` bytes.
    pub fn truncate(n: usize) -> Self {
        Self::new(FaultKind::Truncate(n))
    }
    /// Replace the body with JSON that does not parse.
    pub fn malformed() -> Self {
        Self::new(FaultKind::Malformed)
    }
    /// Delay the answer.
    pub fn delay(d: Duration) -> Self {
        Self::new(FaultKind::Delay(d))
    }
    /// With a status fault: send `Retry-After: secs`.
    pub fn retry_after(mut self, secs: u64) -> Self {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(secs);
        }
        self
    }
    /// Only requests with this method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }
    /// Only requests whose path matches this template (`/media/{id}`).
    pub fn path(mut self, template: &str) -> Self {
        self.path = Some(template.to_string());
        self
    }
    /// The next `n` matching requests (default 1).
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = n;
        self
    }
    fn matches(&self, r: &Recorded) -> bool {
        self.remaining > 0
            && self.method.as_ref().is_none_or(|m| *m == r.method)
            && self.path.as_ref().is_none_or(|t| match_route(t, &r.path).is_some())
    }
}

/// How a server keeps what it receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Keep at most this many bytes of each request body (the rest is read and dropped, so a
    /// multi-GiB upload costs no memory); `None` keeps everything.
    pub body_limit: Option<usize>,
}

#[derive(Default)]
struct Shared {
    log: Mutex<Vec<Recorded>>,
    faults: Mutex<Vec<Fault>>,
    options: Options,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock must not hide the log from the others.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The server. It stops when the test's runtime ends.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer").field("addr", &self.addr).finish()
    }
}

impl MockServer {
    /// Starts a server on 127.0.0.1 with an ephemeral port, answering with `handler`.
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_shared(Arc::new(handler)).await
    }

    /// [`MockServer::start`] with any [`Handler`], such as a [`Router`].
    pub async fn start_handler(handler: impl Handler) -> Self {
        Self::start_shared(Arc::new(handler)).await
    }

    /// [`MockServer::start`] with a handler the caller keeps a reference to (a simulator's state).
    pub async fn start_shared(handler: Arc<dyn Handler>) -> Self {
        Self::start_with(Options::default(), handler).await
    }

    /// [`MockServer::start_shared`] with [`Options`] (e.g. a body limit for large uploads).
    pub async fn start_with(options: Options, handler: Arc<dyn Handler>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            options,
            ..Shared::default()
        });
        let task_shared = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let shared = task_shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        let shared = shared.clone();
                        async move { serve(req, &*handler, &shared).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, shared }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.log).clone()
    }

    /// Requests whose path is `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// Applies `fault` to the next matching requests (faults are tried in the order injected).
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault);
    }
}

async fn serve(
    req: hyper::Request<hyper::body::Incoming>,
    handler: &dyn Handler,
    shared: &Shared,
) -> Result<hyper::Response<BoxBody>, std::io::Error> {
    let (parts, mut incoming) = req.into_parts();
    let limit = shared.options.body_limit.unwrap_or(usize::MAX);
    let mut body = Vec::new();
    let mut body_len = 0u64;
    while let Some(Ok(frame)) = incoming.frame().await {
        if let Ok(data) = frame.into_data() {
            body_len += data.len() as u64;
            let room = limit.saturating_sub(body.len());
            body.extend_from_slice(&data[..room.min(data.len())]);
        }
    }
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        body_len,
    };
    let fault = {
        let mut faults = lock(&shared.faults);
        let found = faults.iter_mut().find(|f| f.matches(&recorded));
        found.map(|f| {
            f.remaining -= 1;
            f.kind.clone()
        })
    };
    let mut reply = match &fault {
        Some(FaultKind::Status { status, retry_after }) => {
            let reply = Reply::json(*status, serde_json::json!({}));
            match retry_after {
                Some(s) => reply.header("retry-after", &s.to_string()),
                None => reply,
            }
        }
        Some(FaultKind::Reset) => Reply::reset(),
        _ => handler.handle(&recorded),
    };
    record_to_file(&recorded);
    lock(&shared.log).push(recorded);
    match fault {
        Some(FaultKind::Truncate(n)) => reply.cut_after = Some(n),
        Some(FaultKind::Malformed) => {
            reply.body = b"{\"malformed\": [1, 2".to_vec();
            reply.stream = None;
        }
        Some(FaultKind::Delay(d)) => reply.delay = Some(d),
        _ => {}
    }
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }
    if reply.reset {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset by the test",
        ));
    }
    Ok(build_response(reply))
}

/// With `DAM_RECORD_REQUESTS=<dir>` set, every request any server receives is appended as one JSON
/// line to `<dir>/<crate>.jsonl` (the crate whose tests run, from `CARGO_MANIFEST_DIR`), so CI can
/// check every request the test suite sent with an independent OpenAPI validator.
fn record_to_file(r: &Recorded) {
    use std::io::Write as _;
    let Some(dir) = std::env::var_os("DAM_RECORD_REQUESTS") else {
        return;
    };
    let krate = std::env::var("CARGO_MANIFEST_DIR")
        .ok()
        .and_then(|d| {
            std::path::Path::new(&d)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let line = serde_json::json!({
        "method": r.method,
        "path": r.path,
        "query": r.query,
        "headers": r.headers,
        "body": String::from_utf8_lossy(&r.body),
        "body_is_text": std::str::from_utf8(&r.body).is_ok(),
    });
    let path = std::path::Path::new(&dir).join(format!("{krate}.jsonl"));
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        // One write per line, so concurrent tests do not interleave within a line.
        let _ = f.write_all(format!("{line}\n").as_bytes());
    }
}

type BoxBody = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

fn build_response(reply: Reply) -> hyper::Response<BoxBody> {
    let (full_len, body): (u64, BoxBody) = match (&reply.stream, reply.cut_after) {
        (Some((len, source)), cut) => {
            let mut left = cut.map(|n| n as u64);
            let chunks = source().map(move |chunk| match &mut left {
                Some(0) => None,
                Some(n) => {
                    let take = (*n).min(chunk.len() as u64);
                    *n -= take;
                    Some(chunk.slice(..take as usize))
                }
                None => Some(chunk),
            });
            let frames = chunks
                .take_while(|c| futures_util::future::ready(c.is_some()))
                .map(|c| Ok(Frame::data(c.unwrap_or_default())))
                .chain(futures_util::stream::iter(cut).then(|_| async {
                    // Let hyper flush what was sent before the connection breaks.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "cut by the test",
                    ))
                }));
            (*len, BodyExt::boxed_unsync(StreamBody::new(frames)))
        }
        (None, None) => (
            reply.body.len() as u64,
            Full::new(Bytes::from(reply.body.clone()))
                .map_err(|never| match never {})
                .boxed_unsync(),
        ),
        (None, Some(n)) => {
            // Send the head, give hyper time to flush it, then fail the body: the client sees
            // exactly `n` bytes and then a broken connection.
            let head = Bytes::from(reply.body[..n.min(reply.body.len())].to_vec());
            let frames = futures_util::stream::unfold(0u8, move |step| {
                let head = head.clone();
                async move {
                    match step {
                        0 => Some((Ok(Frame::data(head)), 1)),
                        1 => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Some((
                                Err(std::io::Error::new(
                                    std::io::ErrorKind::ConnectionReset,
                                    "cut by the test",
                                )),
                                2,
                            ))
                        }
                        _ => None,
                    }
                }
            });
            (reply.body.len() as u64, BodyExt::boxed_unsync(StreamBody::new(frames)))
        }
    };
    let mut response = hyper::Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status).expect("valid status");
    for (n, v) in &reply.headers {
        response.headers_mut().append(
            hyper::header::HeaderName::from_bytes(n.as_bytes()).expect("header name"),
            hyper::header::HeaderValue::from_str(v).expect("header value"),
        );
    }
    let needs_length = reply.cut_after.is_some() || reply.stream.is_some();
    if needs_length && !response.headers().contains_key("content-length") {
        response.headers_mut().insert("content-length", full_len.into());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_templates() {
        assert_eq!(
            match_route("/media/{id}/folder/{f}", "/media/12/folder/a%20b"),
            Some(vec![("id".into(), "12".into()), ("f".into(), "a b".into())])
        );
        assert_eq!(match_route("/media/{id}", "/media/"), None);
        assert_eq!(match_route("/media/{id}", "/media/1/x"), None);
        assert_eq!(match_route("/folders", "/folders/"), Some(vec![]));
    }

    #[tokio::test]
    async fn router_answers_404_and_405() {
        let server = MockServer::start_handler(Router::new().route("GET", "/a/{id}", |_, p| {
            Reply::json(200, serde_json::json!({"id": p[0].1}))
        }))
        .await;
        let ok = reqwest::get(format!("{}/a/7", server.url())).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), r#"{"id":"7"}"#);
        let missing = reqwest::get(format!("{}/b", server.url())).await.unwrap();
        assert_eq!(missing.status(), 404);
        let wrong = reqwest::Client::new()
            .delete(format!("{}/a/7", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 405);
        assert_eq!(wrong.headers()["allow"], "GET");
    }

    #[tokio::test]
    async fn faults_apply_to_matching_requests_only() {
        let server = MockServer::start(|_| Reply::json(200, serde_json::json!({"ok": true}))).await;
        server.inject(Fault::reset().path("/x").times(1));
        server.inject(Fault::malformed().method("POST"));
        let client = reqwest::Client::new();
        assert!(client.get(format!("{}/x", server.url())).send().await.is_err());
        assert_eq!(
            client.get(format!("{}/x", server.url())).send().await.unwrap().status(),
            200
        );
        let posted = client.post(format!("{}/y", server.url())).send().await.unwrap();
        assert!(serde_json::from_slice::<serde_json::Value>(&posted.bytes().await.unwrap()).is_err());
        assert_eq!(server.requests().len(), 3);
    }

    #[tokio::test]
    async fn streamed_bodies_and_truncation() {
        let server = MockServer::start(|_| {
            Reply::stream(200, 1 << 20, || {
                futures_util::stream::iter((0..16).map(|i| Bytes::from(vec![i as u8; 1 << 16]))).boxed()
            })
        })
        .await;
        let body = reqwest::get(server.url()).await.unwrap().bytes().await.unwrap();
        assert_eq!(body.len(), 1 << 20);
        assert_eq!(body[65536], 1);
        server.inject(Fault::truncate(1000));
        let cut = reqwest::get(server.url()).await.unwrap().bytes().await;
        assert!(cut.is_err());
    }
}
