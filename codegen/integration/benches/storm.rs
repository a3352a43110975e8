//! Refresh storms: 1,000 calls in flight when the service stops accepting the current token. Each
//! call is refused (401) with the old token; the first refusal renews it — Sony Ci with its
//! refresh-token grant, Skyfish by logging in again — and every call is resent with the new token.
//! A naive client would request one token per refused call (1,000); the figure is how many token
//! requests the SDK sends per storm, and how long the storm takes.
//!
//! `cargo bench -p dam-integration --bench storm` prints criterion's time per storm and one
//! `FIGURE` line per crate with the token requests counted over every storm it ran.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dam_runtime::Timeouts;
use dam_test_server::{MockServer, Recorded, Reply};
use futures_util::future::BoxFuture;
use serde_json::json;

const CALLS: u64 = 1_000;

/// The token state of a fake service: tokens are numbered; only `valid` is accepted.
#[derive(Default)]
struct Tokens {
    issued: AtomicU64,
    valid: AtomicU64,
}

impl Tokens {
    fn issue(&self) -> u64 {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        self.valid.store(n, Ordering::SeqCst);
        n
    }
    /// The service forgets every token: the next calls are refused.
    fn revoke(&self) {
        self.valid.store(0, Ordering::SeqCst);
    }
    fn accepts(&self, sent: Option<&str>, prefix: &str) -> bool {
        let valid = self.valid.load(Ordering::SeqCst);
        valid != 0 && sent == Some(format!("{prefix}{valid}").as_str())
    }
}

struct Storm {
    name: &'static str,
    tokens: Arc<Tokens>,
    call: Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>,
    _server: MockServer,
}

async fn ci() -> Storm {
    let tokens = Arc::new(Tokens::default());
    let t = tokens.clone();
    let server = MockServer::start(move |r: &Recorded| match r.path.as_str() {
        "/oauth2/token" => Reply::json(
            200,
            json!({"access_token": format!("a{}", t.issue()), "refresh_token": "r", "expires_in": 86400, "token_type": "bearer"}),
        ),
        "/workspaces" if t.accepts(r.header("authorization"), "Bearer a") => {
            Reply::json(200, json!({"limit": 50, "offset": 0, "count": 0, "items": []}))
        }
        _ => Reply::json(401, json!({"code": "Unauthorized", "message": "token expired"})),
    })
    .await;
    let client = sdk_ci::Client::builder()
        .base_url(server.url())
        .client_credentials("cid", "csecret")
        .refresh_token("r1")
        .http_client(dam_runtime::http_client(Timeouts::default()).expect("HTTP client"))
        .build()
        .expect("ci client");
    Storm {
        name: "ci (refresh-token grant)",
        tokens,
        call: Arc::new(move || {
            let client = client.clone();
            Box::pin(async move {
                client.list_workspaces().send().await.expect("ci call");
            })
        }),
        _server: server,
    }
}

async fn skyfish() -> Storm {
    let tokens = Arc::new(Tokens::default());
    let t = tokens.clone();
    let server = MockServer::start(move |r: &Recorded| match r.path.as_str() {
        "/authenticate/userpasshmac" => Reply::json(
            200,
            json!({"token": format!("t{}", t.issue()), "validUntil": 4_102_444_800u64}),
        ),
        "/folder" if t.accepts(r.header("authorization"), "CBX-SIMPLE-TOKEN Token=t") => {
            Reply::json(200, json!([{"id": 1, "name": "Root"}]))
        }
        _ => Reply::json(401, json!({"message": "token expired"})),
    })
    .await;
    let client = sdk_skyfish::Client::builder()
        .base_url(server.url())
        .credentials("key", "secret", "user@example.com", "password")
        .http_client(dam_runtime::http_client(Timeouts::default()).expect("HTTP client"))
        .build()
        .expect("skyfish client");
    Storm {
        name: "skyfish (login)",
        tokens,
        call: Arc::new(move || {
            let client = client.clone();
            Box::pin(async move {
                client.list_folders().send().await.expect("skyfish call");
            })
        }),
        _server: server,
    }
}

/// One storm: revoke the token, send [`CALLS`] calls at once; the token requests it caused.
async fn storm(s: &Storm) -> (Duration, u64) {
    s.tokens.revoke();
    let before = s.tokens.issued.load(Ordering::SeqCst);
    let started = Instant::now();
    let calls: Vec<_> = (0..CALLS).map(|_| tokio::spawn((s.call)())).collect();
    for c in calls {
        c.await.expect("a call");
    }
    (started.elapsed(), s.tokens.issued.load(Ordering::SeqCst) - before)
}

fn main() {
    let rt = common::runtime();
    let storms = rt.block_on(async { vec![ci().await, skyfish().await] });
    let mut c = common::criterion();
    for s in &storms {
        // Sign in once, outside the storms.
        rt.block_on((s.call)());
        let counts = std::cell::RefCell::new(Vec::new());
        let mut group = c.benchmark_group(format!("storm/{}", s.name));
        group.sample_size(10);
        group.bench_function("1000 calls after a refusal", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let (d, tokens) = rt.block_on(storm(s));
                        counts.borrow_mut().push(tokens);
                        d
                    })
                    .sum()
            })
        });
        group.finish();
        let counts = counts.into_inner();
        let (min, max) = (
            counts.iter().min().copied().unwrap_or(0),
            counts.iter().max().copied().unwrap_or(0),
        );
        let times: Vec<Duration> = (0..5).map(|_| rt.block_on(storm(s)).0).collect();
        let median = {
            let mut t = times.clone();
            t.sort();
            t[t.len() / 2]
        };
        common::report(&format!(
            "storm {}: {CALLS} calls refused at once -> {min}..{max} token requests per storm over {} storms (naive: {CALLS}); {:.1} ms per storm",
            s.name,
            counts.len(),
            median.as_secs_f64() * 1e3
        ));
    }
    c.final_summary();
}
