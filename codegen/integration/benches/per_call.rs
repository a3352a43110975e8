//! Per-call overhead: one generated call of each SDK crate against the same request sent with plain
//! reqwest and decoded with `serde_json::from_slice` into the same model type, so only the SDK's
//! own work differs (its pipeline, auth hook, retry bookkeeping, tracing span, error checks).
//!
//! The request of the raw baseline is the SDK's, as the loopback server recorded it: same method,
//! URL, query and headers (credentials included). Both clients are built by
//! `dam_runtime::http_client`, so they have the same settings and separate connection pools.
//! Each crate is measured sequentially (one call at a time) and with 64 calls in flight (64 tasks
//! on the 2-worker runtime); a call is a full round trip to `dam-test-server` on loopback. The
//! four calls have no query parameters of their own; a fifth, IntelligenceBank's
//! `get_folder_contents` with two (`DAM_BENCH_CRATE=intelligencebank-query`), measures the path
//! most calls take, where the parameters are written into the URL's text (`dam_runtime::QueryText`).
//! IntelligenceBank's client-side rate limit is turned off (`rate_limit(None)`).
//!
//! `cargo bench -p dam-integration --bench per_call` prints criterion's figures for each variant and
//! one `FIGURE` line per crate and mode with the interleaved sdk/raw ratio. `DAM_BENCH_ONLY`
//! (see `main`) runs one side alone, for a profiler: `valgrind --tool=callgrind` instruction counts
//! of the SDK and the raw side differ by exactly the SDK's work, whatever else the machine runs.
//! `cargo xtask instructions` (run by CI) counts them that way and fails above 1.05×.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dam_runtime::{ResponseValue, Timeouts};
use dam_test_server::{MockServer, Recorded, Reply};
use serde::de::DeserializeOwned;
use serde_json::json;

/// One kind of call, SDK or raw. The future is not boxed (the harness adds no allocation of its
/// own to either side); a failed call panics (a benchmark of failing calls measures nothing).
trait Caller: Clone + Send + Sync + 'static {
    fn call(&self) -> impl Future<Output = ()> + Send + '_;
}

/// Calls per block: sequential, and with [`IN_FLIGHT`] calls at once.
const SEQUENTIAL_BLOCK: u64 = 1_500;
const IN_FLIGHT_BLOCK: u64 = 6_000;
const IN_FLIGHT: u64 = 64;
/// A/B pairs of blocks per crate and mode.
const PAIRS: usize = 16;

fn answer(r: &Recorded) -> Reply {
    match r.path.as_str() {
        "/oauth2/token" => Reply::json(
            200,
            json!({"access_token": "ci-access", "refresh_token": "r2", "expires_in": 86400, "token_type": "bearer"}),
        ),
        // Skyfish: list_folders.
        "/folder" => Reply::json(
            200,
            json!([
                {"id": 1, "name": "Root", "parent": null, "created": "2015-04-16 12:39:39"},
                {"id": 2, "name": "Photos", "parent": 1, "created": "2015-04-16 12:40:01"},
                {"id": 3, "name": "Video", "parent": 1, "created": 1429187979}
            ]),
        ),
        // Ci: list_workspaces.
        "/workspaces" => Reply::json(
            200,
            json!({"limit": 50, "offset": 0, "count": 2, "items": [
                {"id": "w1", "name": "Main", "class": "Normal", "rootFolderId": "f1"},
                {"id": "w2", "name": "Archive", "class": "Normal", "rootFolderId": "f2"}
            ]}),
        ),
        // Mediagraph: who_am_i.
        "/api/whoami" => Reply::json(
            200,
            json!({"id": 7, "email": "me@example.com", "first_name": "Me", "last_name": "Too", "username": "me"}),
        ),
        // IntelligenceBank: get_root_folder.
        "/webapp/1.0/resources" => Reply::json(
            200,
            json!({"response": {"folder": [
                {"folderuuid": "f1", "name": "Marketing", "createdtime": "2020-01-01 10:00:00"},
                {"folderuuid": "f2", "name": "Sales", "createdtime": "2020-01-02 10:00:00"}
            ]}}),
        ),
        other => Reply::json(404, json!({"message": format!("no route {other}")})),
    }
}

/// The model type of a response, for the raw baseline's `serde_json::from_slice`.
fn model<T>(_: &ResponseValue<T>) -> std::marker::PhantomData<T> {
    std::marker::PhantomData
}

/// The raw baseline of the last request the server received: the same method, URL and headers
/// with plain reqwest, the body decoded into `T` with `serde_json::from_slice`.
struct Raw<T> {
    http: reqwest::Client,
    method: reqwest::Method,
    url: Arc<str>,
    headers: reqwest::header::HeaderMap,
    model: std::marker::PhantomData<fn() -> T>,
}

impl<T> Clone for Raw<T> {
    fn clone(&self) -> Self {
        Self {
            http: self.http.clone(),
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            model: std::marker::PhantomData,
        }
    }
}

impl<T: DeserializeOwned + 'static> Caller for Raw<T> {
    fn call(&self) -> impl Future<Output = ()> + Send + '_ {
        let request = self
            .http
            .request(self.method.clone(), &*self.url)
            .headers(self.headers.clone());
        async move {
            let response = request.send().await.expect("raw send");
            assert!(response.status().is_success(), "{}", response.status());
            let body = response.bytes().await.expect("raw body");
            let _: T = serde_json::from_slice(&body).expect("raw decode");
        }
    }
}

fn raw_call<T>(_: std::marker::PhantomData<T>, http: reqwest::Client, server: &MockServer) -> Raw<T> {
    let sent = server.requests().pop().expect("the SDK's request");
    let mut url = format!("{}{}", server.url(), sent.path);
    if let Some(q) = &sent.query {
        url = format!("{url}?{q}");
    }
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &sent.headers {
        if name == "host" || name == "content-length" {
            continue;
        }
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            reqwest::header::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    Raw {
        http,
        method: reqwest::Method::from_bytes(sent.method.as_bytes()).expect("a method"),
        url: url.into(),
        headers,
        model: std::marker::PhantomData,
    }
}

/// The SDK side: one generated call on a shared client.
macro_rules! sdk_caller {
    ($name:ident, $client:ty, |$c:ident| $call:expr) => {
        #[derive(Clone)]
        struct $name(Arc<$client>);
        impl Caller for $name {
            fn call(&self) -> impl Future<Output = ()> + Send + '_ {
                let $c = &self.0;
                async move {
                    $call.await.expect(stringify!($name));
                }
            }
        }
    };
}

sdk_caller!(Skyfish, sdk_skyfish::Client, |c| c.list_folders().send());
sdk_caller!(Ci, sdk_ci::Client, |c| c.list_workspaces().send());
sdk_caller!(Mediagraph, sdk_mediagraph::Client, |c| c.who_am_i().send());
sdk_caller!(IntelligenceBank, sdk_intelligencebank::Client, |c| c
    .get_root_folder()
    .send());
sdk_caller!(IntelligenceBankQuery, sdk_intelligencebank::Client, |c| c
    .get_folder_contents()
    .folderuuid("f1")
    .skip(0u64)
    .send());

/// How a crate is measured, whatever its caller types.
fn http() -> reqwest::Client {
    dam_runtime::http_client(Timeouts::default()).expect("an HTTP client")
}

async fn skyfish() -> (MockServer, Skyfish, Raw<Vec<sdk_skyfish::types::Folder>>) {
    let server = MockServer::start(answer).await;
    let client = sdk_skyfish::Client::builder()
        .base_url(server.url())
        .token("sky-token")
        .http_client(http())
        .build()
        .expect("skyfish client");
    let witness = model(&client.list_folders().send().await.expect("skyfish call"));
    let raw = raw_call(witness, http(), &server);
    (server, Skyfish(Arc::new(client)), raw)
}

async fn ci() -> (MockServer, Ci, Raw<sdk_ci::types::WorkspaceList>) {
    let server = MockServer::start(answer).await;
    let client = sdk_ci::Client::builder()
        .base_url(server.url())
        .client_credentials("cid", "csecret")
        .refresh_token("r1")
        .http_client(http())
        .build()
        .expect("ci client");
    let witness = model(&client.list_workspaces().send().await.expect("ci call"));
    let raw = raw_call(witness, http(), &server);
    (server, Ci(Arc::new(client)), raw)
}

async fn mediagraph() -> (MockServer, Mediagraph, Raw<sdk_mediagraph::types::CurrentUser>) {
    let server = MockServer::start(answer).await;
    let client = sdk_mediagraph::Client::builder()
        .base_url(server.url())
        .personal_access_token("mg-token", 42)
        .http_client(http())
        .build()
        .expect("mediagraph client");
    let witness = model(&client.who_am_i().send().await.expect("mediagraph call"));
    let raw = raw_call(witness, http(), &server);
    (server, Mediagraph(Arc::new(client)), raw)
}

/// An IntelligenceBank client on a saved session, without its client-side rate limit.
async fn intelligencebank_client(server: &MockServer) -> sdk_intelligencebank::Client {
    sdk_intelligencebank::Client::builder()
        .session(sdk_intelligencebank::Session::new(
            server.url(),
            "4a0658df9084f078d0cbc506e0f29b57",
            "4717c0b468e7a1d00872f56c81164ec1",
            "eef24c07ebd40fafbb6ab216aa0d1ade",
        ))
        .rate_limit(None)
        .http_client(http())
        .build()
        .await
        .expect("intelligencebank client")
}

async fn intelligencebank() -> (
    MockServer,
    IntelligenceBank,
    Raw<sdk_intelligencebank::types::FolderResponse>,
) {
    let server = MockServer::start(answer).await;
    let client = intelligencebank_client(&server).await;
    let witness = model(&client.get_root_folder().send().await.expect("intelligencebank call"));
    let raw = raw_call(witness, http(), &server);
    (server, IntelligenceBank(Arc::new(client)), raw)
}

/// A call with query parameters of its own, as 17 of IntelligenceBank's 20 generated calls have:
/// `get_folder_contents` of a folder from an offset, sent as
/// `?p10=…&p20=…&folderuuid=f1&skip=0`.
async fn intelligencebank_query() -> (
    MockServer,
    IntelligenceBankQuery,
    Raw<sdk_intelligencebank::types::FolderResponse>,
) {
    let server = MockServer::start(answer).await;
    let client = intelligencebank_client(&server).await;
    let call = IntelligenceBankQuery(Arc::new(client));
    let witness = model(
        &call
            .0
            .get_folder_contents()
            .folderuuid("f1")
            .skip(0u64)
            .send()
            .await
            .expect("intelligencebank call"),
    );
    let raw = raw_call(witness, http(), &server);
    (server, call, raw)
}

/// `n` calls one after another.
async fn sequential(call: &impl Caller, n: u64) {
    for _ in 0..n {
        call.call().await;
    }
}

/// `n` calls by [`IN_FLIGHT`] tasks at once.
async fn in_flight(call: &impl Caller, n: u64) {
    let tasks = IN_FLIGHT.min(n).max(1);
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let call = call.clone();
            let mine = n / tasks + u64::from(i < n % tasks);
            tokio::spawn(async move {
                for _ in 0..mine {
                    call.call().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("a call task");
    }
}

/// Runs `n` calls in `mode` and forgets what the server logged.
fn run(rt: &tokio::runtime::Runtime, server: &MockServer, call: &impl Caller, mode: &str, n: u64) -> Duration {
    let call = call.clone();
    let started = Instant::now();
    rt.block_on(async move {
        if mode == "sequential" {
            // In a task on the runtime, as an application's calls are (not on the thread that
            // blocks on the runtime, which every answer would have to wake).
            tokio::spawn(async move { sequential(&call, n).await })
                .await
                .expect("the call task");
        } else {
            in_flight(&call, n).await
        }
    });
    let elapsed = started.elapsed();
    server.clear_requests();
    elapsed
}

/// Criterion's figures for both sides, then the interleaved ratio.
fn measure(
    rt: &tokio::runtime::Runtime,
    c: &mut criterion::Criterion,
    name: &str,
    server: &MockServer,
    sdk: &impl Caller,
    raw: &impl Caller,
) {
    for (mode, block) in [("sequential", SEQUENTIAL_BLOCK), ("64 in flight", IN_FLIGHT_BLOCK)] {
        let mut group = c.benchmark_group(format!("per_call/{name}/{mode}"));
        group.bench_function("sdk", |b| b.iter_custom(|iters| run(rt, server, sdk, mode, iters)));
        group.bench_function("raw", |b| b.iter_custom(|iters| run(rt, server, raw, mode, iters)));
        group.finish();
        let ab = common::interleave(
            PAIRS,
            || {
                common::sample(|| {
                    run(rt, server, sdk, mode, block);
                })
            },
            || {
                common::sample(|| {
                    run(rt, server, raw, mode, block);
                })
            },
        );
        common::report(&format!("per-call {name} {mode}: {}", common::describe(&ab, block)));
    }
}

/// For profilers: `DAM_BENCH_TIMES` calls of one side only, sequential or (`DAM_BENCH_MODE=in-flight`)
/// 64 at once.
fn one_side(rt: &tokio::runtime::Runtime, server: &MockServer, sdk: &impl Caller, raw: &impl Caller) {
    // Strict: a misspelt setting must not profile something else (`cargo xtask instructions`
    // compares the counts of runs that differ only in these).
    let sdk_side = match std::env::var("DAM_BENCH_ONLY").as_deref() {
        Ok("sdk") => true,
        Ok("raw") => false,
        other => panic!("DAM_BENCH_ONLY must be `sdk` or `raw`, not {other:?}"),
    };
    let times: u64 = match std::env::var("DAM_BENCH_TIMES") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("DAM_BENCH_TIMES must be a number of calls, not {v:?}")),
        Err(_) => 5_000,
    };
    // In the benchmark's blocks: `run` clears the server's record of requests after each, so
    // the record does not grow with `times` (a growing record slowed the SDK's side more than
    // raw's: 1.08× against 0.98× in whole-process time with 64 in flight).
    let (mode, block) = match std::env::var("DAM_BENCH_MODE").as_deref() {
        Ok("in-flight") => ("64 in flight", IN_FLIGHT_BLOCK),
        Ok("sequential") | Err(_) => ("sequential", SEQUENTIAL_BLOCK),
        Ok(other) => panic!("DAM_BENCH_MODE must be `sequential` or `in-flight`, not {other:?}"),
    };
    let mut left = times;
    while left > 0 {
        let n = left.min(block);
        if sdk_side {
            run(rt, server, sdk, mode, n);
        } else {
            run(rt, server, raw, mode, n);
        }
        left -= n;
    }
}

fn main() {
    let rt = common::runtime();
    // `DAM_BENCH_ONLY=sdk|raw DAM_BENCH_CRATE=<crate>` runs one side of one crate alone (see
    // `one_side`), for a profiler.
    if std::env::var("DAM_BENCH_ONLY").is_ok() {
        let name = std::env::var("DAM_BENCH_CRATE").unwrap_or_default();
        match name.as_str() {
            "skyfish" => {
                let (server, sdk, raw) = rt.block_on(skyfish());
                one_side(&rt, &server, &sdk, &raw);
            }
            "ci" => {
                let (server, sdk, raw) = rt.block_on(ci());
                one_side(&rt, &server, &sdk, &raw);
            }
            "mediagraph" => {
                let (server, sdk, raw) = rt.block_on(mediagraph());
                one_side(&rt, &server, &sdk, &raw);
            }
            "intelligencebank-query" => {
                let (server, sdk, raw) = rt.block_on(intelligencebank_query());
                one_side(&rt, &server, &sdk, &raw);
            }
            "intelligencebank" => {
                let (server, sdk, raw) = rt.block_on(intelligencebank());
                one_side(&rt, &server, &sdk, &raw);
            }
            other => panic!(
                "DAM_BENCH_CRATE must be one of skyfish, ci, mediagraph, intelligencebank, \
                 intelligencebank-query; not {other:?}"
            ),
        }
        return;
    }
    let mut c = common::criterion();
    let (server, sdk, raw) = rt.block_on(skyfish());
    measure(&rt, &mut c, "skyfish list_folders", &server, &sdk, &raw);
    let (server, sdk, raw) = rt.block_on(ci());
    measure(&rt, &mut c, "ci list_workspaces", &server, &sdk, &raw);
    let (server, sdk, raw) = rt.block_on(mediagraph());
    measure(&rt, &mut c, "mediagraph who_am_i", &server, &sdk, &raw);
    let (server, sdk, raw) = rt.block_on(intelligencebank());
    measure(&rt, &mut c, "intelligencebank get_root_folder", &server, &sdk, &raw);
    let (server, sdk, raw) = rt.block_on(intelligencebank_query());
    measure(
        &rt,
        &mut c,
        "intelligencebank get_folder_contents (2 query parameters)",
        &server,
        &sdk,
        &raw,
    );
    c.final_summary();
}
