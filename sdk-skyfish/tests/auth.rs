//! The HMAC login, the `CBX-SIMPLE-TOKEN` header, token renewal (before `validUntil` and after a
//! 401, once for many concurrent calls), token-only clients, URL authorization and redaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_skyfish::{Client, Error, RetryPolicy};
use serde_json::json;

const LOGIN: &str = "/authenticate/userpasshmac";

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn builder(server: &MockServer) -> sdk_skyfish::ClientBuilder {
    Client::builder()
        .base_url(server.url())
        .credentials("company2key", "company2secret", "anna@example.com", "pa$$word")
        .retry_policy(fast_retries())
}

fn auth_header(r: &Recorded) -> Option<String> {
    r.header("authorization").map(str::to_string)
}

/// Answers logins with tokens `tok1`, `tok2`, … (each valid for a day) and every other call
/// with an empty folder list.
fn login_server(logins: Arc<AtomicUsize>) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |r: &Recorded| {
        if r.path == LOGIN {
            let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::json(
                200,
                json!({"token": format!("tok{n}"), "type": 1, "ownerIdentifier": 645654, "validUntil": now() + 86400}),
            )
        } else {
            Reply::json(200, json!([]))
        }
    }
}

#[tokio::test]
async fn login_body_matches_the_providers_vector_exactly() {
    let server = MockServer::start(login_server(Arc::new(AtomicUsize::new(0)))).await;
    let client = builder(&server).clock(|| 1429187979).build().unwrap();
    client.list_folders().send().await.unwrap();

    let login = &server.requests_to(LOGIN)[0];
    assert_eq!(login.method, "POST");
    assert_eq!(login.header("content-type"), Some("application/json"));
    assert_eq!(login.header("authorization"), None, "login carries no token");
    assert_eq!(
        login.json(),
        json!({
            "username": "anna@example.com",
            "password": "pa$$word",
            "key": "company2key",
            "ts": 1429187979,
            "hmac": "7e42196943a343e7494fc2636a3f7313edfcd81f",
        })
    );
    // `ts` is a JSON integer, not text.
    assert!(login.text().contains("\"ts\":1429187979"), "{}", login.text());
}

#[tokio::test]
async fn login_uses_the_system_clock_once_for_ts_and_hmac() {
    let server = MockServer::start(login_server(Arc::new(AtomicUsize::new(0)))).await;
    let client = builder(&server).build().unwrap();
    let before = now();
    client.list_folders().send().await.unwrap();
    let after = now();

    let body = server.requests_to(LOGIN)[0].json();
    let mut keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["hmac", "key", "password", "ts", "username"]);
    let ts = body["ts"].as_i64().expect("ts is an integer");
    assert!((before..=after).contains(&ts), "{ts} not in {before}..={after}");
    // The HMAC of the body's own ts (the function is pinned by the provider's vector in
    // src/auth.rs and by `login_hmac_vectors` below).
    assert_eq!(
        body["hmac"],
        json!(sdk_skyfish::auth::login_hmac("company2key", "company2secret", ts))
    );
}

#[test]
fn login_hmac_vectors() {
    assert_eq!(
        sdk_skyfish::auth::login_hmac("company2key", "company2secret", 1429187979),
        "7e42196943a343e7494fc2636a3f7313edfcd81f"
    );
    // python3 -c 'import hmac,hashlib; print(hmac.new(b"s3cr3t-Secret", b"myApiKey42:1700000000", hashlib.sha1).hexdigest())'
    assert_eq!(
        sdk_skyfish::auth::login_hmac("myApiKey42", "s3cr3t-Secret", 1700000000),
        "b6cfedf971e8472e47be007972803e5a595693a2"
    );
}

#[tokio::test]
async fn later_calls_carry_the_token_and_log_in_once() {
    let logins = Arc::new(AtomicUsize::new(0));
    let server = MockServer::start(login_server(logins.clone())).await;
    let client = builder(&server).build().unwrap();
    for _ in 0..3 {
        client.list_folders().send().await.unwrap();
    }
    client.get_media().id(5).send().await.ok();
    assert_eq!(logins.load(Ordering::SeqCst), 1);
    let calls: Vec<_> = server.requests().into_iter().filter(|r| r.path != LOGIN).collect();
    assert_eq!(calls.len(), 4);
    for r in &calls {
        assert_eq!(auth_header(r).as_deref(), Some("CBX-SIMPLE-TOKEN Token=tok1"));
    }
}

#[tokio::test]
async fn the_token_is_renewed_before_valid_until() {
    let t0 = 1_700_000_000i64;
    let clock = Arc::new(AtomicI64::new(t0));
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| {
        if r.path == LOGIN {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            let ts = r.json()["ts"].as_i64().unwrap();
            Reply::json(200, json!({"token": format!("tok{n}"), "validUntil": ts + 3600}))
        } else {
            Reply::json(200, json!([]))
        }
    })
    .await;
    let c = clock.clone();
    let client = builder(&server)
        .clock(move || c.load(Ordering::SeqCst))
        .build()
        .unwrap();

    client.list_folders().send().await.unwrap();
    // 301 s before validUntil: still outside the 5-minute window.
    clock.store(t0 + 3600 - 301, Ordering::SeqCst);
    client.list_folders().send().await.unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 1);
    // 299 s before validUntil: logs in again before the call.
    clock.store(t0 + 3600 - 299, Ordering::SeqCst);
    client.list_folders().send().await.unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 2);

    let seen: Vec<_> = server
        .requests()
        .iter()
        .map(|r| (r.path.clone(), auth_header(r)))
        .collect();
    let token = |n: u32| Some(format!("CBX-SIMPLE-TOKEN Token=tok{n}"));
    assert_eq!(
        seen,
        [
            (LOGIN.to_string(), None),
            ("/folder".to_string(), token(1)),
            ("/folder".to_string(), token(1)),
            (LOGIN.to_string(), None),
            ("/folder".to_string(), token(2)),
        ]
    );
    assert_eq!(server.requests_to(LOGIN)[1].json()["ts"], json!(t0 + 3600 - 299));
}

#[tokio::test]
async fn a_401_logs_in_again_and_resends_once() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| {
        if r.path == LOGIN {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::json(200, json!({"token": format!("tok{n}"), "validUntil": now() + 86400}));
        }
        match r.header("authorization") {
            Some("CBX-SIMPLE-TOKEN Token=tok2") => Reply::json(200, json!([{"id": 1, "name": "A"}])),
            _ => Reply::json(401, json!({"message": "Invalid token"})),
        }
    })
    .await;
    let client = builder(&server).build().unwrap();
    let folders = client.list_folders().send().await.unwrap().into_inner();
    assert_eq!(folders.len(), 1);
    let seen: Vec<_> = server
        .requests()
        .iter()
        .map(|r| (r.path.clone(), auth_header(r)))
        .collect();
    assert_eq!(
        seen,
        [
            (LOGIN.to_string(), None),
            ("/folder".to_string(), Some("CBX-SIMPLE-TOKEN Token=tok1".to_string())),
            (LOGIN.to_string(), None),
            ("/folder".to_string(), Some("CBX-SIMPLE-TOKEN Token=tok2".to_string())),
        ]
    );
}

#[tokio::test]
async fn a_second_401_is_returned_not_looped() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| {
        if r.path == LOGIN {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::json(200, json!({"token": format!("tok{n}")}));
        }
        Reply::json(401, json!({"message": "No access"})).header("x-cbx-request-id", "r-401")
    })
    .await;
    let err: Error = builder(&server)
        .build()
        .unwrap()
        .list_folders()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.request_id(), Some("r-401"));
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    assert_eq!(server.requests_to("/folder").len(), 2);
}

#[tokio::test]
async fn many_concurrent_calls_cause_one_login_and_one_relogin() {
    let logins = Arc::new(AtomicUsize::new(0));
    // The token generation the server accepts; bumped by the test to expire every token.
    let accepted = Arc::new(AtomicUsize::new(1));
    let (l, a) = (logins.clone(), accepted.clone());
    let server = MockServer::start(move |r| {
        if r.path == LOGIN {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::json(200, json!({"token": format!("tok{n}"), "validUntil": now() + 86400}))
                .delay(Duration::from_millis(50));
        }
        let want = format!("CBX-SIMPLE-TOKEN Token=tok{}", a.load(Ordering::SeqCst));
        if r.header("authorization") == Some(want.as_str()) {
            Reply::json(200, json!([])).delay(Duration::from_millis(20))
        } else {
            Reply::json(401, json!({"message": "Invalid token"})).delay(Duration::from_millis(20))
        }
    })
    .await;
    let client = builder(&server).build().unwrap();

    let calls = (0..20).map(|_| client.list_folders().send());
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), 1, "one login for 20 fresh calls");

    // The server now refuses tok1: every call gets a 401, and one login serves them all.
    accepted.store(2, Ordering::SeqCst);
    let calls = (0..20).map(|_| client.list_folders().send());
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), 2, "one re-login for 20 refused calls");
    assert_eq!(server.requests_to("/folder").len(), 20 + 20 + 20);
}

#[tokio::test]
async fn a_token_only_client_sends_it_and_never_logs_in() {
    let server = MockServer::start(|r| match r.header("authorization") {
        Some("CBX-SIMPLE-TOKEN Token=stored-token") if r.path == "/folder" => Reply::json(200, json!([])),
        _ => Reply::json(401, json!({"message": "Token expired"})).header("x-cbx-request-id", "abc"),
    })
    .await;
    let client = Client::builder()
        .base_url(server.url())
        .token("stored-token")
        .build()
        .unwrap();
    client.list_folders().send().await.unwrap();
    let err: Error = client.get_media().id(1).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.message(), Some("Token expired"));
    assert_eq!(err.request_id(), Some("abc"));
    assert!(server.requests_to(LOGIN).is_empty());
    assert_eq!(server.requests().len(), 2, "the refused call is not resent");
}

#[tokio::test]
async fn a_stored_token_with_credentials_logs_in_when_refused() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| {
        if r.path == LOGIN {
            l.fetch_add(1, Ordering::SeqCst);
            return Reply::json(200, json!({"token": "fresh"}));
        }
        match r.header("authorization") {
            Some("CBX-SIMPLE-TOKEN Token=fresh") => Reply::json(200, json!([])),
            _ => Reply::json(401, json!({"message": "Token expired"})),
        }
    })
    .await;
    let (client, auth) = builder(&server).token("old").build_with_auth().unwrap();
    client.list_folders().send().await.unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 1);
    let (token, valid_until) = auth.current_token().await.unwrap();
    assert_eq!(token.expose(), "fresh");
    assert_eq!(valid_until, None);
}

#[tokio::test]
async fn a_refused_login_is_an_auth_error_without_secrets() {
    let server = MockServer::start(|_| {
        Reply::json(401, json!({"message": "Wrong username or password"})).header("x-cbx-request-id", "req-9")
    })
    .await;
    let err: Error = builder(&server)
        .build()
        .unwrap()
        .list_folders()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "authentication failed: login failed: skyfish answered 401 Unauthorized: \
         Wrong username or password (request id req-9)"
    );
    let text = format!("{err} {err:?}");
    for secret in ["pa$$word", "company2secret"] {
        assert!(!text.contains(secret), "{text}");
    }
    assert_eq!(server.requests_to(LOGIN).len(), 1, "a login is never retried");
    assert!(server.requests_to("/folder").is_empty());

    // The same through a hand-written flow that needs the token.
    let err = builder(&server)
        .build()
        .unwrap()
        .authorized_url(&format!("{}/x", server.url()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
}

#[tokio::test]
async fn a_login_answer_without_token_is_an_auth_error() {
    let server = MockServer::start(|_| Reply::json(200, json!({"type": 1}))).await;
    let err: Error = builder(&server)
        .build()
        .unwrap()
        .list_folders()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(ref m) if m.contains("no token")), "{err:?}");
}

#[tokio::test]
async fn a_short_lived_token_is_renewed_once_not_per_call() {
    // A 120 s token against the 5-minute renewal margin: renewed after half its life (60 s).
    let t0 = 1_700_000_000i64;
    let clock = Arc::new(AtomicI64::new(t0));
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| {
        if r.path == LOGIN {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            let ts = r.json()["ts"].as_i64().unwrap();
            Reply::json(200, json!({"token": format!("tok{n}"), "validUntil": ts + 120}))
        } else {
            Reply::json(200, json!([]))
        }
    })
    .await;
    let c = clock.clone();
    let client = builder(&server)
        .clock(move || c.load(Ordering::SeqCst))
        .build()
        .unwrap();
    let calls = (0..20).map(|_| client.list_folders().send());
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), 1, "20 concurrent calls, one login");
    clock.store(t0 + 59, Ordering::SeqCst);
    client.list_folders().send().await.unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 1);
    clock.store(t0 + 60, Ordering::SeqCst);
    let calls = (0..20).map(|_| client.list_folders().send());
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), 2, "renewed once at half-life");
}

#[test]
fn a_client_needs_credentials_or_a_token() {
    let err = Client::builder().build().unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let invalid = |b: sdk_skyfish::ClientBuilder, names: &str| {
        let err = b.build().unwrap_err();
        assert!(matches!(&err, Error::InvalidInput(m) if m.contains(names)), "{err:?}");
    };
    let creds = || Client::builder().credentials("key", "secret", "user", "pw");
    invalid(creds().base_url("not a url"), "base_url");
    invalid(creds().base_url("http://api.example.com"), "base_url");
    invalid(
        Client::builder().credentials("key", "", "user", "pw"),
        "api secret is empty",
    );
    invalid(
        Client::builder().credentials("", "secret", "user", "pw"),
        "api key is empty",
    );
    invalid(
        Client::builder().credentials("key", "secret", "user", " "),
        "password is empty",
    );
    invalid(Client::builder().token(""), "token is empty");
    // Plain http only to loopback, or when the caller opts in.
    creds().base_url("http://127.0.0.1:9").build().unwrap();
    creds()
        .base_url("http://api.example.com")
        .allow_http(true)
        .build()
        .unwrap();
}

#[tokio::test]
async fn authorized_urls_carry_the_base64_header_value() {
    // Values computed with python3: base64.b64encode(b"CBX-SIMPLE-TOKEN Token=" + token).
    let client = Client::builder()
        .token("b932d2522301db11a33196411bb4b260d9b8d3b5")
        .build()
        .unwrap();
    assert_eq!(
        client
            .authorized_url("https://api.colourbox.com/media/42/download_location?user=7")
            .await
            .unwrap(),
        "https://api.colourbox.com/media/42/download_location?user=7&authorization=\
         Q0JYLVNJTVBMRS1UT0tFTiBUb2tlbj1iOTMyZDI1MjIzMDFkYjExYTMzMTk2NDExYmI0YjI2MGQ5YjhkM2I1"
    );
    // `+` and `/` of the base64 text are percent-encoded, so they survive the query.
    let client = Client::builder().token("t~~>>??").build().unwrap();
    assert_eq!(
        client.authorized_url("https://cdn.example.com/file.jpg").await.unwrap(),
        "https://cdn.example.com/file.jpg?authorization=Q0JYLVNJTVBMRS1UT0tFTiBUb2tlbj10fn4%2BPj8%2F"
    );
    assert!(matches!(
        client.authorized_url("not a url").await,
        Err(Error::InvalidInput(_))
    ));
}

#[tokio::test]
async fn authorized_urls_log_in_first() {
    let server = MockServer::start(login_server(Arc::new(AtomicUsize::new(0)))).await;
    let client = builder(&server).build().unwrap();
    let url = client.authorized_url("https://cdn.example.com/a").await.unwrap();
    // base64("CBX-SIMPLE-TOKEN Token=tok1") (python3).
    assert_eq!(
        url,
        "https://cdn.example.com/a?authorization=Q0JYLVNJTVBMRS1UT0tFTiBUb2tlbj10b2sx"
    );
    assert_eq!(server.requests_to(LOGIN).len(), 1);
}

#[tokio::test]
async fn credentials_and_tokens_never_appear_in_debug_output() {
    let server = MockServer::start(login_server(Arc::new(AtomicUsize::new(0)))).await;
    let builder = builder(&server).token("stored-token-123");
    let (client, auth) = builder.clone().build_with_auth().unwrap();
    client.list_folders().send().await.unwrap();
    let upload = client.upload(1);
    // Generated models that hold credentials (`x-dam-type: Secret` in the spec).
    let token: sdk_skyfish::types::AuthToken =
        serde_json::from_value(json!({"token": "tok1", "validUntil": 1})).unwrap();
    let login = sdk_skyfish::types::LoginRequest {
        hmac: "h".into(),
        key: "company2key".into(),
        password: "pa$$word".into(),
        ts: 1,
        username: "anna@example.com".into(),
    };
    let key: sdk_skyfish::types::ApiKey =
        serde_json::from_value(json!({"id": 1, "key": "k", "secret": "company2secret"})).unwrap();
    assert_eq!(key.secret.as_ref().unwrap().expose(), "company2secret");
    let printed = [
        format!("{token:?}"),
        format!("{login:?}"),
        format!("{key:?}"),
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{auth:?}"),
        format!("{upload:?}"),
        format!("{:?}", auth.current_token().await),
    ];
    for text in &printed {
        for secret in ["company2secret", "pa$$word", "stored-token-123", "tok1"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
    // The non-secret parts are still there, so the output is useful.
    assert!(printed[3].contains("company2key") && printed[3].contains("anna@example.com"));
}
