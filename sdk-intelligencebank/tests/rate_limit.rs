//! The client-side call limit against loopback servers that enforce the provider's published
//! 600 calls per minute: a burst of 1,000 calls, v2 and v3 mixed, never gets a 429 with the
//! default quota, and gets one for every call over 600 without it. Time is a [`ManualClock`] that
//! the limiter moves forward and the servers read; nothing waits for a real minute.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dam_test_server::{MockServer, Reply};
use sdk_intelligencebank::rate_limit::ManualClock;
use sdk_intelligencebank::v3::{SearchParams, Table};
use sdk_intelligencebank::{CallQuota, Client, Error, RateLimiter, RetryPolicy};
use serde_json::json;

const LOGIN: &str = "/webapp/1.0/login";
const MINUTE: Duration = Duration::from_secs(60);
const LIMIT: usize = 600;

/// What the servers count: the times of the calls they accepted within the last minute, and how
/// many of each kind they answered.
#[derive(Default)]
struct Counter {
    window: VecDeque<Duration>,
    accepted: usize,
    refused: usize,
    busiest: usize,
}

impl Counter {
    /// Accepts a call at `now` unless 600 were accepted in the minute before it (a sliding
    /// window, so every fixed minute is covered too).
    fn admit(&mut self, now: Duration) -> bool {
        while self.window.front().is_some_and(|&t| now - t >= MINUTE) {
            self.window.pop_front();
        }
        if self.window.len() >= LIMIT {
            self.refused += 1;
            return false;
        }
        self.window.push_back(now);
        self.accepted += 1;
        self.busiest = self.busiest.max(self.window.len());
        true
    }
}

/// A v2 server (login and v2 calls) and a v3 server that share one per-user budget of 600 calls
/// per minute on `clock`, answering 429 above it.
async fn servers(clock: &ManualClock) -> (MockServer, MockServer, Arc<Mutex<Counter>>) {
    let counter = Arc::new(Mutex::new(Counter::default()));
    let (c, k) = (counter.clone(), clock.clone());
    let v3 = MockServer::start(move |_| {
        if c.lock().unwrap().admit(k.now()) {
            Reply::json(200, json!({"response": {"count": 0, "rows": []}}))
        } else {
            Reply::json(429, json!({"message": "Too many requests"})).header("retry-after", "60")
        }
    })
    .await;
    let (c, k, v3_url) = (counter.clone(), clock.clone(), v3.url());
    let v2 = MockServer::start(move |r| {
        if !c.lock().unwrap().admit(k.now()) {
            return Reply::json(429, json!({"message": "Too many requests"})).header("retry-after", "60");
        }
        match r.path.as_str() {
            LOGIN => Reply::json(
                200,
                json!({"apikey": "k", "useruuid": "u", "sid": "s", "clientid": "7", "apiV3url": v3_url}),
            ),
            _ => Reply::json(200, json!({"response": {"folder": []}})),
        }
    })
    .await;
    (v2, v3, counter)
}

fn builder(v2: &MockServer) -> sdk_intelligencebank::ClientBuilder {
    // No retries: a 429 must surface, not be waited out.
    Client::builder()
        .platform("test.intelligencebank.com")
        .api_base_url(v2.url())
        .credentials("joe.blow@test.com", "mypassword")
        .retry_policy(RetryPolicy::disabled())
}

/// 1,000 calls one after another, alternating v2 and v3; the errors.
async fn burst(client: &Client) -> Vec<Error> {
    let mut errors = Vec::new();
    for i in 0..1000 {
        let result = if i % 2 == 0 {
            client.get_root_folder().send().await.map(drop)
        } else {
            client
                .v3()
                .list_resources(&Table::resource().first(1), &SearchParams::new())
                .await
                .map(drop)
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    errors
}

#[tokio::test]
async fn a_burst_of_1000_calls_stays_under_600_a_minute() {
    let clock = ManualClock::new();
    let (v2, v3, counter) = servers(&clock).await;
    let limiter = RateLimiter::with_manual_clock(CallQuota::PUBLISHED, clock.clone());
    let client = builder(&v2).rate_limiter(limiter).build().await.unwrap();

    let errors = burst(&client).await;
    assert!(
        errors.is_empty(),
        "{} calls failed, first: {:?}",
        errors.len(),
        errors.first()
    );
    let counter = counter.lock().unwrap();
    assert_eq!(
        (counter.accepted, counter.refused),
        (1001, 0),
        "the login and 1,000 calls"
    );
    assert_eq!(counter.busiest, LIMIT, "the quota is used to the full, never exceeded");
    assert_eq!((v2.requests().len(), v3.requests().len()), (501, 500));
    // Ten calls went at once; each later one waited exactly one interval, no more.
    assert_eq!(clock.now(), CallQuota::PUBLISHED.interval() * 991);
}

#[tokio::test]
async fn without_the_limit_the_same_burst_is_refused_above_600() {
    let clock = ManualClock::new();
    let (v2, _v3, counter) = servers(&clock).await;
    let client = builder(&v2).rate_limit(None).build().await.unwrap();

    let errors = burst(&client).await;
    // Nothing paced the calls, so the clock never moved: the login and 599 calls fit the minute.
    assert_eq!(clock.now(), Duration::ZERO);
    assert_eq!(errors.len(), 401);
    assert!(errors.iter().all(|e| e.status().map(|s| s.as_u16()) == Some(429)));
    let counter = counter.lock().unwrap();
    assert_eq!((counter.accepted, counter.refused), (600, 401));
}

#[tokio::test]
async fn clients_that_share_a_limiter_share_one_budget() {
    let clock = ManualClock::new();
    let (v2, _v3, counter) = servers(&clock).await;
    let limiter = RateLimiter::with_manual_clock(CallQuota::PUBLISHED, clock.clone());
    let first = builder(&v2).rate_limiter(limiter.clone()).build().await.unwrap();
    let second = builder(&v2).rate_limiter(limiter).build().await.unwrap();
    for _ in 0..350 {
        first.get_root_folder().send().await.unwrap();
        second
            .v3()
            .list_resources(&Table::resource(), &SearchParams::new())
            .await
            .unwrap();
    }
    let counter = counter.lock().unwrap();
    assert_eq!((counter.accepted, counter.refused), (702, 0));
    assert_eq!(counter.busiest, LIMIT);
}

#[tokio::test]
async fn the_limit_is_on_by_default_and_configurable() {
    let clock = ManualClock::new();
    let (v2, _v3, _) = servers(&clock).await;
    let (_, auth) = builder(&v2).build_with_auth().await.unwrap();
    assert_eq!(auth.rate_limiter().map(RateLimiter::quota), Some(CallQuota::PUBLISHED));

    let ten = CallQuota::per_minute(std::num::NonZeroU32::new(10).unwrap());
    let (_, auth) = builder(&v2).rate_limit(Some(ten)).build_with_auth().await.unwrap();
    assert_eq!(auth.rate_limiter().map(RateLimiter::quota), Some(ten));

    let (_, auth) = builder(&v2).rate_limit(None).build_with_auth().await.unwrap();
    assert!(auth.rate_limiter().is_none());
}

#[tokio::test]
async fn resends_are_paced_too() {
    // Every fifth accepted v2 call is answered 503; the client resends it. Each resend is a call
    // the service counts, so the limiter must pace it like any other.
    let clock = ManualClock::new();
    let counter = Arc::new(Mutex::new(Counter::default()));
    let (c, k) = (counter.clone(), clock.clone());
    let served = Arc::new(Mutex::new(0usize));
    let v2 = MockServer::start(move |r| {
        if !c.lock().unwrap().admit(k.now()) {
            return Reply::json(429, json!({"message": "Too many requests"})).header("retry-after", "60");
        }
        if r.path == LOGIN {
            return Reply::json(200, json!({"apikey": "k", "useruuid": "u", "sid": "s"}));
        }
        let mut n = served.lock().unwrap();
        *n += 1;
        if (*n).is_multiple_of(5) {
            Reply::json(503, json!({"message": "busy"}))
        } else {
            Reply::json(200, json!({"response": {"folder": []}}))
        }
    })
    .await;
    let limiter = RateLimiter::with_manual_clock(CallQuota::PUBLISHED, clock.clone());
    let client = Client::builder()
        .platform("test.intelligencebank.com")
        .api_base_url(v2.url())
        .credentials("joe.blow@test.com", "mypassword")
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..RetryPolicy::default()
        })
        .rate_limiter(limiter)
        .build()
        .await
        .unwrap();
    for _ in 0..800 {
        client.get_root_folder().send().await.unwrap();
    }
    let counter = counter.lock().unwrap();
    assert_eq!(
        counter.refused, 0,
        "no 429 although {} calls reached the service",
        counter.accepted
    );
    assert!(counter.accepted > 801, "resends happened: {}", counter.accepted);
    assert!(counter.busiest <= LIMIT);
}
