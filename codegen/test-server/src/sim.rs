//! The building blocks of the SDKs' simulators: a route table from the spec, a router that
//! enforces it (method, path, required parameters and their types, body content type,
//! credentials) before a provider's stateful handlers answer, a clock tests can move, and a blob
//! store that serves bytes — kept or generated on the fly — with `Range`.
//!
//! Each SDK crate's `simulator` feature builds its service on these: the generator emits the
//! crate's route table (`generated_routes.rs`, [`Route`] values from the spec), the crate writes
//! the [`Provider`] (how credentials are checked, how errors look, which operations are
//! stateful), and [`Simulator::start`] serves it on loopback. Operations without a handler answer
//! the spec's example, after the same checks.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::StreamExt;

use crate::{Handler, MockServer, Params, Recorded, Reply, match_route, url_pairs};

// ---------------------------------------------------------------------------------------------
// The route table (generated from each spec)
// ---------------------------------------------------------------------------------------------

/// The JSON type a parameter's value must parse as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text.
    String,
    /// An integer.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Anything (objects sent as JSON text, lists).
    Any,
}

/// A parameter of an operation, as the spec declares it.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The name on the wire (`tags[]` for a repeated list).
    pub name: &'static str,
    /// Whether the request must carry it.
    pub required: bool,
    /// What its value must parse as (each value of a repeated or joined list).
    pub kind: Kind,
}

/// One operation of a spec, as the simulator enforces it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The spec's `operationId`.
    pub operation: &'static str,
    /// Upper-case method.
    pub method: &'static str,
    /// The path template (`/media/{id}`), without a `#variant` suffix.
    pub path: &'static str,
    /// Query values that select this operation among others on the same path (`x-dam-fixed-query`).
    pub fixed_query: &'static [(&'static str, &'static str)],
    /// Query parameters.
    pub query: &'static [Param],
    /// Header parameters (credentials excluded).
    pub headers: &'static [Param],
    /// The request body's content type, when the operation takes a body.
    pub body: Option<&'static str>,
    /// Whether the body is required.
    pub body_required: bool,
    /// Whether the operation is called without credentials (`security: []`).
    pub public: bool,
    /// The first documented success status.
    pub status: u16,
    /// The JSON of the first documented success example, when there is one.
    pub example: Option<&'static str>,
    /// The operation is hand-written in the SDK (`x-dam-skip`): another host, multipart, …
    pub hand_written: bool,
}

/// What kind of object the parameter `param` of `operation` names, for a simulator to offer an
/// existing one (`example_value` of each crate's simulator, used by the generated test that calls
/// every operation): `folder` for `folder_id`, `folderId` or `/folder/{id}`, `media` for
/// `old_media_id` or `/media/{ids}`; the literal path segment before the parameter otherwise. A
/// query parameter (or one of no route) is named by itself, lower-cased, without an `id`/`uuid`
/// suffix.
pub fn resource_of(routes: &[Route], operation: &str, param: &str) -> Option<String> {
    let named = |name: &str| {
        // `searchParams[folderId]` names a folder.
        let inner = name.rsplit('[').next().unwrap_or(name).trim_end_matches(']');
        let lower = inner.to_ascii_lowercase();
        let stem = ["uuid", "_ids", "_id", "ids", "id"]
            .iter()
            .find_map(|suffix| lower.strip_suffix(suffix))
            .map(|s| s.trim_end_matches('_'))
            .filter(|s| !s.is_empty())?;
        Some(stem.rsplit('_').next().unwrap_or(stem).to_string())
    };
    let route = routes.iter().find(|r| r.operation == operation)?;
    let segments: Vec<&str> = route.path.split('/').collect();
    let Some(at) = segments.iter().position(|s| *s == format!("{{{param}}}")) else {
        return named(param).or_else(|| Some(param.to_ascii_lowercase()));
    };
    named(param).or_else(|| {
        segments[..at]
            .iter()
            .rev()
            .find(|s| !s.is_empty() && !s.starts_with('{'))
            .map(|s| s.trim_end_matches('s').to_string())
    })
}

// ---------------------------------------------------------------------------------------------
// The clock
// ---------------------------------------------------------------------------------------------

/// The simulator's clock: the system clock plus an offset tests can move forward (to expire tokens
/// and sessions) without waiting.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// A clock at the system time.
    pub fn new() -> Self {
        Self::default()
    }
    /// Now, on this clock.
    pub fn now(&self) -> SystemTime {
        let offset = self.offset_ms.load(Ordering::SeqCst);
        let now = SystemTime::now();
        if offset >= 0 {
            now + Duration::from_millis(offset as u64)
        } else {
            now - Duration::from_millis(offset.unsigned_abs())
        }
    }
    /// Now as UNIX seconds.
    pub fn unix(&self) -> i64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------------------------
// Blobs
// ---------------------------------------------------------------------------------------------

/// The bytes of a stored file: kept as uploaded, or generated on the fly from a seed (a multi-GiB
/// file that costs no memory).
#[derive(Clone)]
pub enum Blob {
    /// Bytes as uploaded.
    Bytes(Bytes),
    /// `len` pseudo-random bytes from `seed`; the same seed always gives the same bytes.
    Generated {
        /// Length.
        len: u64,
        /// Seed.
        seed: u64,
    },
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blob::Bytes(b) => write!(f, "Blob::Bytes({} bytes)", b.len()),
            Blob::Generated { len, seed } => write!(f, "Blob::Generated({len} bytes, seed {seed})"),
        }
    }
}

/// Byte `i` of a generated blob.
fn generated_byte(seed: u64, i: u64) -> u8 {
    let mut x = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x as u8
}

impl Blob {
    /// The length.
    pub fn len(&self) -> u64 {
        match self {
            Blob::Bytes(b) => b.len() as u64,
            Blob::Generated { len, .. } => *len,
        }
    }
    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The bytes `start..end` (for tests comparing a download; avoid on huge blobs).
    pub fn slice(&self, start: u64, end: u64) -> Vec<u8> {
        match self {
            Blob::Bytes(b) => b[start as usize..end as usize].to_vec(),
            Blob::Generated { seed, .. } => (start..end).map(|i| generated_byte(*seed, i)).collect(),
        }
    }
    /// A strong validator for `ETag` (changes with the content).
    pub fn etag(&self) -> String {
        match self {
            Blob::Bytes(b) => {
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for byte in b.iter() {
                    h = (h ^ u64::from(*byte)).wrapping_mul(0x100_0000_01b3);
                }
                format!("\"{h:016x}-{}\"", b.len())
            }
            Blob::Generated { len, seed } => format!("\"g{seed:x}-{len}\""),
        }
    }
    /// Serves the blob as a download: 200 with the whole file, or 206 for `Range: bytes=a-[b]`
    /// (416 when it starts past the end); `If-Range` with another validator gets the whole file.
    pub fn reply(&self, request: &Recorded, content_type: &str) -> Reply {
        let len = self.len();
        let etag = self.etag();
        let mut range = request.header("range").and_then(|r| parse_range(r, len));
        if request.header("if-range").is_some_and(|v| v != etag) {
            range = None;
        }
        if let Some(Err(())) = range {
            return Reply::status(416).header("content-range", &format!("bytes */{len}"));
        }
        let (status, start, end) = match range {
            Some(Ok((a, b))) => (206, a, b),
            _ => (200, 0, len),
        };
        let blob = self.clone();
        let mut reply = Reply::stream(status, end - start, move || blob.chunks(start, end))
            .header("accept-ranges", "bytes")
            .header("etag", &etag);
        reply.headers.retain(|(n, _)| n != "content-type");
        let mut reply = reply.header("content-type", content_type);
        if status == 206 {
            reply = reply.header(
                "content-range",
                &format!("bytes {start}-{}/{len}", end.saturating_sub(1)),
            );
        }
        reply
    }
    /// The bytes `start..end` as a stream of chunks of at most 256 KiB.
    pub fn chunks(&self, start: u64, end: u64) -> futures_util::stream::BoxStream<'static, Bytes> {
        const CHUNK: u64 = 256 * 1024;
        let blob = self.clone();
        futures_util::stream::iter((start..end).step_by(CHUNK as usize).map(move |at| {
            let stop = (at + CHUNK).min(end);
            match &blob {
                Blob::Bytes(b) => b.slice(at as usize..stop as usize),
                Blob::Generated { seed, .. } => {
                    Bytes::from((at..stop).map(|i| generated_byte(*seed, i)).collect::<Vec<u8>>())
                }
            }
        }))
        .boxed()
    }
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` against a length: `Ok((start, end_exclusive))`, `Err`
/// when unsatisfiable; `None` when the header is not a single byte range (served whole).
pub fn parse_range(header: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        return Some(if n == 0 {
            Err(())
        } else {
            Ok((len.saturating_sub(n), len))
        });
    }
    let start: u64 = a.parse().ok()?;
    if start >= len {
        return Some(Err(()));
    }
    let end = if b.is_empty() {
        len
    } else {
        (b.parse::<u64>().ok()? + 1).min(len)
    };
    if end <= start {
        return Some(Err(()));
    }
    Some(Ok((start, end)))
}

// ---------------------------------------------------------------------------------------------
// The router
// ---------------------------------------------------------------------------------------------

/// One request matched to its route, with the path parameters and the decoded query.
#[derive(Debug)]
pub struct Call<'a> {
    /// The request as received.
    pub request: &'a Recorded,
    /// The operation.
    pub route: &'static Route,
    /// Path parameters, by template name (percent-decoded).
    pub params: Params,
    /// The decoded query pairs.
    pub query: Vec<(String, String)>,
}

impl Call<'_> {
    /// A path parameter.
    pub fn path(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    /// Every value of a (repeated) query parameter.
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// A query parameter as an integer.
    pub fn query_int(&self, name: &str) -> Option<i64> {
        self.query(name).and_then(|v| v.trim().parse().ok())
    }
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.request.body).unwrap_or(serde_json::Value::Null)
    }
    /// The body as a form.
    pub fn form(&self) -> Vec<(String, String)> {
        url_pairs(&String::from_utf8_lossy(&self.request.body))
    }
    /// The first value of a form field.
    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form().into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// What a simulator knows about its service: how credentials are checked, how errors look, and
/// the handlers of its stateful operations.
pub trait Provider: Send + Sync + 'static {
    /// An error answer in the service's own shape (status and message).
    fn error(&self, status: u16, message: &str) -> Reply;

    /// Checks the credentials of a call to a non-public operation: `Err` is the refusal as the
    /// service sends it.
    fn authenticate(&self, call: &Call<'_>) -> Result<(), Reply>;

    /// Answers a call whose route, parameters and credentials are valid. `None` lets the router
    /// answer the spec's example (or an empty success).
    fn handle(&self, call: &Call<'_>) -> Option<Reply>;

    /// Answers requests no route matches (storage URLs the simulator handed out, another host's
    /// paths). Default: 404 in the service's shape.
    fn unrouted(&self, request: &Recorded) -> Reply {
        self.error(404, &format!("no such resource: {} {}", request.method, request.path))
    }

    /// Headers every answer carries (a request id, rate-limit headers). Default: none.
    fn answer_headers(&self, _request: &Recorded) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// The router: a route table, enforced, in front of a [`Provider`].
pub struct Router<P> {
    routes: &'static [Route],
    provider: Arc<P>,
}

impl<P> fmt::Debug for Router<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sim::Router({} routes)", self.routes.len())
    }
}

fn kind_ok(kind: Kind, value: &str) -> bool {
    match kind {
        Kind::String | Kind::Any => true,
        Kind::Integer => value.trim().parse::<i64>().is_ok(),
        Kind::Number => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        Kind::Boolean => matches!(value.trim(), "true" | "false" | "1" | "0"),
    }
}

/// Whether a request can be a call of `route`: its required query parameters are present and a
/// body has the route's content type.
fn fits(route: &Route, r: &Recorded, query: &[(String, String)]) -> bool {
    let params = route
        .query
        .iter()
        .filter(|p| p.required)
        .all(|p| query.iter().any(|(n, _)| n == p.name));
    let sent = r
        .header("content-type")
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim();
    let body = r.body_len == 0 || route.body.is_none_or(|ct| sent.eq_ignore_ascii_case(ct));
    params && body
}

impl<P: Provider> Router<P> {
    /// A router over `routes` answering through `provider`.
    pub fn new(routes: &'static [Route], provider: Arc<P>) -> Self {
        Self { routes, provider }
    }

    /// The routes whose path (and fixed query) match, most specific first.
    fn matching(&self, r: &Recorded, query: &[(String, String)]) -> Vec<(&'static Route, Params)> {
        let mut found: Vec<(&'static Route, Params)> = self
            .routes
            .iter()
            .filter(|route| {
                route
                    .fixed_query
                    .iter()
                    .all(|(k, v)| query.iter().any(|(n, x)| n == k && x == v))
            })
            .filter_map(|route| match_route(route.path, &r.path).map(|p| (route, p)))
            .collect();
        // A literal segment beats a template; a fixed query beats none; more declared
        // parameters present beat fewer (one URL, many operations).
        found.sort_by_key(|(route, params)| {
            let declared = route
                .query
                .iter()
                .filter(|p| query.iter().any(|(n, _)| n == p.name))
                .count();
            (
                std::cmp::Reverse(route.fixed_query.len()),
                params.len(),
                std::cmp::Reverse(declared),
            )
        });
        found
    }

    /// Checks parameters and the body against the route; the refusal on failure.
    fn check(&self, call: &Call<'_>) -> Result<(), Reply> {
        let route = call.route;
        for p in route.query {
            let values = call.query_all(p.name);
            if values.is_empty() {
                if p.required {
                    return Err(self
                        .provider
                        .error(400, &format!("missing required query parameter `{}`", p.name)));
                }
                continue;
            }
            for v in values {
                let parts: Vec<&str> = if p.kind == Kind::Any {
                    vec![v]
                } else {
                    v.split([',', ' ']).collect()
                };
                if parts.iter().any(|part| !part.is_empty() && !kind_ok(p.kind, part)) {
                    return Err(self
                        .provider
                        .error(400, &format!("query parameter `{}` has an invalid value", p.name)));
                }
            }
        }
        for p in route.headers {
            match call.request.header(p.name) {
                None if p.required => {
                    return Err(self
                        .provider
                        .error(400, &format!("missing required header `{}`", p.name)));
                }
                Some(v) if !kind_ok(p.kind, v) => {
                    return Err(self
                        .provider
                        .error(400, &format!("header `{}` has an invalid value", p.name)));
                }
                _ => {}
            }
        }
        if let Some(ct) = route.body {
            let sent = call.request.header("content-type").unwrap_or("");
            let empty = call.request.body_len == 0;
            if empty && route.body_required && !ct.starts_with("application/x-www-form-urlencoded") {
                return Err(self.provider.error(400, "the request needs a body"));
            }
            if !empty && !sent.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(ct) {
                return Err(self
                    .provider
                    .error(415, &format!("the body must be {ct}, not {sent:?}")));
            }
            if !empty
                && ct == "application/json"
                && serde_json::from_slice::<serde_json::Value>(&call.request.body).is_err()
            {
                return Err(self.provider.error(400, "the body is not valid JSON"));
            }
        }
        Ok(())
    }

    fn route(&self, r: &Recorded) -> Reply {
        let query = url_pairs(r.query.as_deref().unwrap_or(""));
        let matching = self.matching(r, &query);
        if matching.is_empty() {
            return self.provider.unrouted(r);
        }
        // The most specific path of this method wins, as in the services' own routers (a literal
        // `/collections/find` before `/collections/{id}`, whatever the query). Several operations
        // may share that one path and method: the first the request can be a call of (required
        // parameters, body type) is chosen among them.
        let same_method: Vec<&(&'static Route, Params)> =
            matching.iter().filter(|(route, _)| route.method == r.method).collect();
        let chosen = same_method.first().and_then(|best| {
            same_method
                .iter()
                .filter(|(route, _)| route.path == best.0.path)
                .find(|(route, _)| fits(route, r, &query))
                .or(Some(best))
        });
        let Some((route, params)) = chosen.map(|m| (*m).clone()) else {
            let allowed: Vec<&str> = matching.iter().map(|(route, _)| route.method).collect();
            return self
                .provider
                .error(405, &format!("{} is not allowed here", r.method))
                .header("allow", &allowed.join(", "));
        };
        let call = Call {
            request: r,
            route,
            params,
            query,
        };
        if !route.public
            && let Err(refusal) = self.provider.authenticate(&call)
        {
            return refusal;
        }
        if let Err(refusal) = self.check(&call) {
            return refusal;
        }
        if let Some(reply) = self.provider.handle(&call) {
            return reply;
        }
        match route.example {
            Some(example) => Reply::status(route.status)
                .header("content-type", "application/json")
                .body(example.as_bytes().to_vec()),
            None if route.status == 204 => Reply::status(204),
            None => Reply::json(route.status, serde_json::json!({})),
        }
    }
}

impl<P: Provider> Handler for Router<P> {
    fn handle(&self, request: &Recorded) -> Reply {
        let mut reply = self.route(request);
        for (n, v) in self.provider.answer_headers(request) {
            if !reply.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case(&n)) {
                reply.headers.push((n, v));
            }
        }
        reply
    }
}

/// A running simulator: the loopback server, its provider state and its clock.
pub struct Simulator<P> {
    server: MockServer,
    provider: Arc<P>,
}

impl<P> fmt::Debug for Simulator<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator").field("server", &self.server).finish()
    }
}

impl<P: Provider> Simulator<P> {
    /// Serves `provider` behind the enforced `routes` on 127.0.0.1, port 0.
    pub async fn start(routes: &'static [Route], provider: P) -> Self {
        let provider = Arc::new(provider);
        let server = MockServer::start_handler(Router::new(routes, provider.clone())).await;
        Self { server, provider }
    }
    /// The server (its URL, request log, fault injection).
    pub fn server(&self) -> &MockServer {
        &self.server
    }
    /// The provider state.
    pub fn provider(&self) -> &P {
        &self.provider
    }
    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.server.url()
    }
}

// ---------------------------------------------------------------------------------------------
// Small state helpers
// ---------------------------------------------------------------------------------------------

/// Sequential ids.
#[derive(Debug, Default)]
pub struct Ids(Mutex<u64>);

impl Ids {
    /// Ids starting after `start`.
    pub fn starting_at(start: u64) -> Self {
        Self(Mutex::new(start))
    }
    /// The next id.
    pub fn next(&self) -> u64 {
        let mut n = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        *n
    }
}

/// A random-looking token of 32 hex characters, from a counter (deterministic per simulator).
pub fn token(ids: &Ids, kind: &str) -> String {
    let n = ids.next();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ n;
    for b in kind.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}{:016x}", h.rotate_left(17) ^ n)
}

/// A map from key to value behind a mutex, for a simulator's resources.
#[derive(Debug)]
pub struct Table<T>(Mutex<HashMap<String, T>>);

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<T: Clone> Table<T> {
    /// Inserts or replaces.
    pub fn put(&self, key: impl Into<String>, value: T) {
        self.lock().insert(key.into(), value);
    }
    /// A copy of the value.
    pub fn get(&self, key: &str) -> Option<T> {
        self.lock().get(key).cloned()
    }
    /// Removes; the value if there was one.
    pub fn remove(&self, key: &str) -> Option<T> {
        self.lock().remove(key)
    }
    /// Changes the value in place; `false` when there is none.
    pub fn update(&self, key: &str, f: impl FnOnce(&mut T)) -> bool {
        match self.lock().get_mut(key) {
            Some(v) => {
                f(v);
                true
            }
            None => false,
        }
    }
    /// Every entry, sorted by key (numeric keys as numbers).
    pub fn values(&self) -> Vec<(String, T)> {
        let mut v: Vec<(String, T)> = self.lock().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        v.sort_by_key(|a| natural(&a.0));
        v
    }
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.lock().len()
    }
    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, T>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Numeric keys sort as numbers, others as text.
fn natural(key: &str) -> (u64, String) {
    (key.parse().unwrap_or(u64::MAX), key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_of_names_what_a_parameter_points_at() {
        let route = |operation: &'static str, path: &'static str| Route {
            operation,
            method: "GET",
            path,
            fixed_query: &[],
            query: &[],
            headers: &[],
            body: None,
            body_required: false,
            public: false,
            status: 200,
            example: None,
            hand_written: false,
        };
        let routes = [
            route("get_folder", "/folder/{id}"),
            route("keywords", "/media/{ids}/metadata/keyword"),
            route("add", "/clique/{id}/folder/{folder_id}"),
            route("asset", "/assets/{assetId}/download"),
            route("v3", "/api/3.0.0/{clientid}/resource/{uuid}"),
            route("list", "/webapp/1.0/resources"),
            route("size", "/media/{id}/download_location/{size}"),
        ];
        let of = |op, param| resource_of(&routes, op, param);
        assert_eq!(of("get_folder", "id").as_deref(), Some("folder"));
        assert_eq!(of("keywords", "ids").as_deref(), Some("media"));
        assert_eq!(of("add", "id").as_deref(), Some("clique"));
        assert_eq!(of("add", "folder_id").as_deref(), Some("folder"));
        assert_eq!(of("asset", "assetId").as_deref(), Some("asset"));
        assert_eq!(of("v3", "clientid").as_deref(), Some("client"));
        assert_eq!(of("v3", "uuid").as_deref(), Some("resource"));
        assert_eq!(of("list", "folderuuid").as_deref(), Some("folder"));
        assert_eq!(of("list", "searchParams[folderId]").as_deref(), Some("folder"));
        assert_eq!(of("size", "size").as_deref(), Some("download_location"));
        assert_eq!(of("unknown", "id"), None);
    }

    static ROUTES: &[Route] = &[
        Route {
            operation: "get_thing",
            method: "GET",
            path: "/things/{id}",
            fixed_query: &[],
            query: &[Param {
                name: "limit",
                required: false,
                kind: Kind::Integer,
            }],
            headers: &[],
            body: None,
            body_required: false,
            public: false,
            status: 200,
            example: Some(r#"{"id": 1}"#),
            hand_written: false,
        },
        Route {
            operation: "create_thing",
            method: "POST",
            path: "/things",
            fixed_query: &[],
            query: &[],
            headers: &[],
            body: Some("application/json"),
            body_required: true,
            public: false,
            status: 201,
            example: None,
            hand_written: false,
        },
    ];

    struct Test;

    impl Provider for Test {
        fn error(&self, status: u16, message: &str) -> Reply {
            Reply::json(status, serde_json::json!({"message": message}))
        }
        fn authenticate(&self, call: &Call<'_>) -> Result<(), Reply> {
            match call.request.header("authorization") {
                Some("Bearer ok") => Ok(()),
                _ => Err(self.error(401, "who are you?")),
            }
        }
        fn handle(&self, call: &Call<'_>) -> Option<Reply> {
            (call.route.operation == "create_thing").then(|| Reply::json(201, call.json()))
        }
    }

    #[tokio::test]
    async fn the_route_table_is_enforced() {
        let sim = Simulator::start(ROUTES, Test).await;
        let http = reqwest::Client::new();
        let get = |path: &str| {
            http.get(format!("{}{path}", sim.url()))
                .header("authorization", "Bearer ok")
                .send()
        };
        let ok = get("/things/7").await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.text().await.unwrap(), r#"{"id": 1}"#, "the spec's example");
        assert_eq!(get("/things/7?limit=x").await.unwrap().status(), 400);
        assert_eq!(get("/nothing").await.unwrap().status(), 404);
        let wrong = http.delete(format!("{}/things/7", sim.url())).send().await.unwrap();
        assert_eq!(wrong.status(), 405);
        let anon = http.get(format!("{}/things/7", sim.url())).send().await.unwrap();
        assert_eq!(anon.status(), 401);
        let post = |ct: &str, body: &str| {
            http.post(format!("{}/things", sim.url()))
                .header("authorization", "Bearer ok")
                .header("content-type", ct)
                .body(body.to_string())
                .send()
        };
        assert_eq!(post("application/json", r#"{"a":1}"#).await.unwrap().status(), 201);
        assert_eq!(post("text/plain", "a").await.unwrap().status(), 415);
        assert_eq!(post("application/json", "{").await.unwrap().status(), 400);
    }

    const fn shared(
        operation: &'static str,
        method: &'static str,
        query: &'static [Param],
        body: Option<&'static str>,
    ) -> Route {
        Route {
            operation,
            method,
            path: "/files",
            fixed_query: &[],
            query,
            headers: &[],
            body,
            body_required: body.is_some(),
            public: true,
            status: 200,
            example: Some(operation),
            hand_written: false,
        }
    }

    const ID: &[Param] = &[Param {
        name: "id",
        required: true,
        kind: Kind::String,
    }];

    /// One URL, several operations (IntelligenceBank's `/webapp/1.0/resources`), in an order where
    /// the first of each method does not fit every call.
    static SHARED: &[Route] = &[
        shared("\"download\"", "GET", ID, None),
        shared("\"list\"", "GET", &[], None),
        shared("\"upload\"", "POST", &[], Some("multipart/form-data")),
        shared("\"create\"", "POST", &[], Some("application/x-www-form-urlencoded")),
    ];

    #[tokio::test]
    async fn operations_sharing_a_url_are_told_apart() {
        let sim = Simulator::start(SHARED, Test).await;
        let http = reqwest::Client::new();
        let url = format!("{}/files", sim.url());
        let text = |r: reqwest::Response| r.text();
        assert_eq!(text(http.get(&url).send().await.unwrap()).await.unwrap(), "\"list\"");
        let by_id = http.get(format!("{url}?id=1")).send().await.unwrap();
        assert_eq!(text(by_id).await.unwrap(), "\"download\"");
        let form = http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=a")
            .send()
            .await
            .unwrap();
        assert_eq!(text(form).await.unwrap(), "\"create\"");
        let multipart = http
            .post(&url)
            .header("content-type", "multipart/form-data; boundary=b")
            .body("--b--\r\n")
            .send()
            .await
            .unwrap();
        assert_eq!(text(multipart).await.unwrap(), "\"upload\"");
        let other = http
            .post(&url)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 415, "no operation fits: the first one refuses it");
    }

    #[tokio::test]
    async fn blobs_serve_ranges_and_validators() {
        let blob = Blob::Generated {
            len: 1_000_000,
            seed: 7,
        };
        let served = blob.clone();
        let server = MockServer::start(move |r| served.reply(r, "application/octet-stream")).await;
        let http = reqwest::Client::new();
        let whole = http.get(server.url()).send().await.unwrap();
        let etag = whole.headers()["etag"].to_str().unwrap().to_string();
        assert_eq!(whole.bytes().await.unwrap().to_vec(), blob.slice(0, 1_000_000));
        let part = http
            .get(server.url())
            .header("range", "bytes=999990-")
            .send()
            .await
            .unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(part.headers()["content-range"], "bytes 999990-999999/1000000");
        assert_eq!(part.bytes().await.unwrap().to_vec(), blob.slice(999_990, 1_000_000));
        let changed = http
            .get(server.url())
            .header("range", "bytes=10-")
            .header("if-range", "\"other\"")
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200, "another validator gets the whole file");
        let same = http
            .get(server.url())
            .header("range", "bytes=10-19")
            .header("if-range", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(same.status(), 206);
        let past = http
            .get(server.url())
            .header("range", "bytes=2000000-")
            .send()
            .await
            .unwrap();
        assert_eq!(past.status(), 416);
    }

    #[test]
    fn the_clock_moves_forward() {
        let c = Clock::new();
        let before = c.unix();
        c.advance(Duration::from_secs(3600));
        assert!(c.unix() >= before + 3600);
    }
}
