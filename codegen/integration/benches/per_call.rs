//! Per-call overhead: one generated call of each SDK crate against the same request sent with plain
//! reqwest and decoded with `serde_json::from_slice` into the same model type, so only the SDK's
//! own work differs (its pipeline, auth hook, retry bookkeeping, tracing span, error checks).
//!
//! The request of the raw baseline is the SDK's, as the loopback server recorded it: same method,
//! URL, query and headers (credentials included). Both clients are built by
//! `dam_runtime::http_client`, so they have the same settings and separate connection pools.
//! Each crate is measured sequentially (one call at a time) and with 64 calls in flight (64 tasks
//! on the 2-worker runtime); a call is a full round trip to `dam-test-server` on loopback.
//! IntelligenceBank's client-side rate limit is turned off (`rate_limit(None)`).
//!
//! `cargo bench -p dam-integration --bench per_call` prints criterion's figures for each variant and
//! one `FIGURE` line per crate and mode with the interleaved sdk/raw ratio. `DAM_BENCH_ONLY`
//! (see `main`) runs one side alone, for a profiler: `valgrind --tool=callgrind` instruction counts
//! of the SDK and the raw side differ by exactly the SDK's work, whatever else the machine runs.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dam_runtime::{ResponseValue, Timeouts};
use dam_test_server::{MockServer, Recorded, Reply};
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::json;

/// One call, SDK or raw; panics on any failure (a benchmark of failing calls measures nothing).
type Call = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// Calls per block: sequential, and with [`IN_FLIGHT`] calls at once.
const SEQUENTIAL_BLOCK: u64 = 1_500;
const IN_FLIGHT_BLOCK: u64 = 6_000;
const IN_FLIGHT: u64 = 64;
/// A/B pairs of blocks per crate and mode.
const PAIRS: usize = 16;

struct Target {
    name: &'static str,
    server: MockServer,
    sdk: Call,
    raw: Call,
}

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
fn raw_call<T: DeserializeOwned + Send + 'static>(
    _: std::marker::PhantomData<T>,
    http: reqwest::Client,
    server: &MockServer,
) -> Call {
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
    let method = reqwest::Method::from_bytes(sent.method.as_bytes()).expect("a method");
    Arc::new(move || {
        let request = http.request(method.clone(), &url).headers(headers.clone());
        Box::pin(async move {
            let response = request.send().await.expect("raw send");
            assert!(response.status().is_success(), "{}", response.status());
            let body = response.bytes().await.expect("raw body");
            let _: T = serde_json::from_slice(&body).expect("raw decode");
        })
    })
}

async fn targets() -> Vec<Target> {
    let http = || dam_runtime::http_client(Timeouts::default()).expect("an HTTP client");
    let mut out = Vec::new();

    let server = MockServer::start(answer).await;
    let client = sdk_skyfish::Client::builder()
        .base_url(server.url())
        .token("sky-token")
        .http_client(http())
        .build()
        .expect("skyfish client");
    let witness = model(&client.list_folders().send().await.expect("skyfish call"));
    let raw = raw_call(witness, http(), &server);
    let sdk: Call = Arc::new(move || {
        let client = client.clone();
        Box::pin(async move {
            client.list_folders().send().await.expect("skyfish call");
        })
    });
    out.push(Target {
        name: "skyfish list_folders",
        server,
        sdk,
        raw,
    });

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
    let sdk: Call = Arc::new(move || {
        let client = client.clone();
        Box::pin(async move {
            client.list_workspaces().send().await.expect("ci call");
        })
    });
    out.push(Target {
        name: "ci list_workspaces",
        server,
        sdk,
        raw,
    });

    let server = MockServer::start(answer).await;
    let client = sdk_mediagraph::Client::builder()
        .base_url(server.url())
        .personal_access_token("mg-token", 42)
        .http_client(http())
        .build()
        .expect("mediagraph client");
    let witness = model(&client.who_am_i().send().await.expect("mediagraph call"));
    let raw = raw_call(witness, http(), &server);
    let sdk: Call = Arc::new(move || {
        let client = client.clone();
        Box::pin(async move {
            client.who_am_i().send().await.expect("mediagraph call");
        })
    });
    out.push(Target {
        name: "mediagraph who_am_i",
        server,
        sdk,
        raw,
    });

    let server = MockServer::start(answer).await;
    let client = sdk_intelligencebank::Client::builder()
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
        .expect("intelligencebank client");
    let witness = model(&client.get_root_folder().send().await.expect("intelligencebank call"));
    let raw = raw_call(witness, http(), &server);
    let sdk: Call = Arc::new(move || {
        let client = client.clone();
        Box::pin(async move {
            client.get_root_folder().send().await.expect("intelligencebank call");
        })
    });
    out.push(Target {
        name: "intelligencebank get_root_folder",
        server,
        sdk,
        raw,
    });
    out
}

/// `n` calls one after another.
async fn sequential(call: &Call, n: u64) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        call().await;
    }
    started.elapsed()
}

/// `n` calls by [`IN_FLIGHT`] tasks at once.
async fn in_flight(call: &Call, n: u64) -> Duration {
    let tasks = IN_FLIGHT.min(n).max(1);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            let call = call.clone();
            let mine = n / tasks + u64::from(i < n % tasks);
            tokio::spawn(async move {
                for _ in 0..mine {
                    call().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("a call task");
    }
    started.elapsed()
}

fn main() {
    let rt = common::runtime();
    let targets = rt.block_on(targets());
    // For profilers: `DAM_BENCH_ONLY=sdk|raw DAM_BENCH_CRATE=<name prefix>` makes
    // `DAM_BENCH_TIMES` (default 5,000) sequential calls of one side of one crate, nothing else.
    if let Ok(side) = std::env::var("DAM_BENCH_ONLY") {
        let name = std::env::var("DAM_BENCH_CRATE").unwrap_or_default();
        let times = std::env::var("DAM_BENCH_TIMES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5_000);
        let t = targets
            .iter()
            .find(|t| t.name.starts_with(&name))
            .expect("DAM_BENCH_CRATE names a crate");
        let call = if side == "sdk" { &t.sdk } else { &t.raw };
        rt.block_on(sequential(call, times));
        return;
    }
    let mut c = common::criterion();
    for t in &targets {
        for (mode, block) in [("sequential", SEQUENTIAL_BLOCK), ("64 in flight", IN_FLIGHT_BLOCK)] {
            let run = |call: &Call, n: u64| {
                let d = rt.block_on(async {
                    if mode == "sequential" {
                        sequential(call, n).await
                    } else {
                        in_flight(call, n).await
                    }
                });
                t.server.clear_requests();
                d
            };
            let mut group = c.benchmark_group(format!("per_call/{}/{mode}", t.name));
            group.bench_function("sdk", |b| b.iter_custom(|iters| run(&t.sdk, iters)));
            group.bench_function("raw", |b| b.iter_custom(|iters| run(&t.raw, iters)));
            group.finish();
            let ab = common::interleave(PAIRS, || run(&t.sdk, block), || run(&t.raw, block));
            common::report(&format!("per-call {} {mode}: {}", t.name, common::describe(&ab, block)));
        }
    }
    c.final_summary();
}
