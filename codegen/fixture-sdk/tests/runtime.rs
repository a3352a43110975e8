//! The shared runtime, end to end against a loopback server: wire encoding of generated calls,
//! typed errors, retries with `Retry-After`, re-authentication, tracing spans and tolerant models.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dam_test_server::{MockServer, Reply};
use fixture_sdk::runtime::{self, Authenticator, ClientState};
use fixture_sdk::types::{MediaKind, MediaType, Order};
use fixture_sdk::{Client, Error, RetryPolicy};
use futures_util::future::BoxFuture;
use serde_json::json;

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

/// Sends `Authorization: Token t<generation>`; renewing bumps the generation once per stale token.
#[derive(Debug, Default)]
struct CountingAuth {
    generation: AtomicUsize,
    renewals: AtomicUsize,
    lock: tokio::sync::Mutex<()>,
}

impl Authenticator for CountingAuth {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let token = format!("Token t{}", self.generation.load(Ordering::SeqCst));
            runtime::set_header(request, reqwest::header::AUTHORIZATION, &token, true)
        })
    }
    fn reauthenticate<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let _guard = self.lock.lock().await;
            let sent = rejected
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if sent == format!("Token t{}", self.generation.load(Ordering::SeqCst)) {
                tokio::time::sleep(Duration::from_millis(20)).await;
                self.generation.fetch_add(1, Ordering::SeqCst);
                self.renewals.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        })
    }
}

fn client_with(server: &MockServer, auth: Arc<dyn Authenticator>, retry: RetryPolicy) -> Client {
    let http = runtime::http_client_with_agent(runtime::Timeouts::default(), fixture_sdk::PROVIDER.user_agent).unwrap();
    Client::new_with_client(
        &server.url(),
        http,
        ClientState::new(&fixture_sdk::PROVIDER, auth, retry),
    )
}

fn client(server: &MockServer) -> Client {
    client_with(server, Arc::new(CountingAuth::default()), fast_retries())
}

#[tokio::test]
async fn joined_lists_enums_and_headers_on_the_wire() {
    let server = MockServer::start(|_| Reply::json(200, json!([]))).await;
    client(&server)
        .search()
        .media_type(vec![MediaType::Image, MediaType::Video])
        .order(Order::CreatedDesc)
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/search");
    assert_eq!(r.query.as_deref(), Some("media_type=image+video&order=created_desc"));
    assert_eq!(r.header("authorization"), Some("Token t0"));
    assert_eq!(
        r.header("api-version"),
        None,
        "progenitor's api-version header is removed"
    );
    assert!(r.header("user-agent").unwrap().starts_with("fixture-sdk/"));
}

#[tokio::test]
async fn variant_path_keys_carry_their_fixed_query() {
    let server = MockServer::start(|_| Reply::json(200, json!({"progress": 5}))).await;
    let info = client(&server).file_info().fileuuid("F1").send().await.unwrap();
    assert_eq!(info.progress, Some(5));
    let r = &server.requests()[0];
    assert_eq!(r.path, "/resources");
    assert_eq!(r.query.as_deref(), Some("fileinfo=true&fileuuid=F1"));
}

#[tokio::test]
async fn unauthenticated_operations_carry_no_credentials() {
    let server = MockServer::start(|_| Reply::json(200, json!({"sid": "s", "uid": "7"}))).await;
    let body = fixture_sdk::types::LoginForm {
        user: "u@x".into(),
        password: "p&ss=1".into(),
    };
    let session = client(&server).login().body(body).send().await.unwrap().into_inner();
    assert_eq!(session.uid.unwrap().as_str(), "7");
    let r = &server.requests()[0];
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(r.text(), "password=p%26ss%3D1&user=u%40x");
}

#[tokio::test]
async fn unknown_enum_values_and_loose_ids_decode() {
    let server = MockServer::start(|_| {
        Reply::json(200, json!([{"id": 1, "type": "Stock"}, {"id": "2", "type": "brand-new", "created": 1429187979, "added": {"x": 1}}]))
    })
    .await;
    let media = client(&server).search().send().await.unwrap().into_inner();
    assert_eq!(media[0].type_, Some(MediaKind::StockUpper));
    assert_eq!(media[1].type_, Some(MediaKind::Unknown("brand-new".into())));
    assert_eq!(media[0].id.as_ref().unwrap().as_str(), "1");
    assert_eq!(media[1].id.as_ref().unwrap().as_str(), "2");
    assert_eq!(
        media[1].created.as_ref().unwrap().to_datetime().unwrap().timestamp(),
        1429187979
    );
}

#[tokio::test]
async fn error_answers_are_typed_with_request_id() {
    let server =
        MockServer::start(|_| Reply::json(404, json!({"message": "No such media"})).header("x-request-id", "req-42"))
            .await;
    let err: Error = client(&server).get_media().id(7).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.request_id(), Some("req-42"));
    assert_eq!(err.message(), Some("No such media"));
    assert!(
        matches!(&err, Error::Api { status, message: Some(m), .. } if status.as_u16() == 404 && m == "No such media"),
        "generated calls return the crate's Error, matchable without conversion: {err:?}"
    );
    assert_eq!(
        err.to_string(),
        "fixture answered 404 Not Found: No such media (request id req-42)"
    );
}

#[tokio::test]
async fn non_json_error_bodies_keep_their_status() {
    let server = MockServer::start(|_| Reply::text(502, "<html>Bad gateway</html>")).await;
    let err: Error = client(&server).get_media().id(7).send().await.unwrap_err();
    let api = err.api_error().expect("an API error, not a decode error");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(api.body.raw, json!("<html>Bad gateway</html>"));
    let server = MockServer::start(|_| Reply::status(500)).await;
    let err: Error = client(&server).get_media().id(7).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
}

#[tokio::test]
async fn undocumented_success_statuses_are_reported() {
    let server = MockServer::start(|_| Reply::json(202, json!({"progress": 40})).header("x-request-id", "r1")).await;
    let err: Error = client(&server).get_media().id(7).send().await.unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedStatus { status, .. } if status.as_u16() == 202),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("r1"));
}

#[tokio::test]
async fn malformed_and_truncated_bodies_are_errors_not_panics() {
    let server = MockServer::start(|_| Reply::json(200, json!({})).body(br#"{"id": 1, "type": "St"#.to_vec())).await;
    let err: Error = client(&server).get_media().id(7).send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let body = br#"{"id": 1, "type": "Stock", "extra": {"a": 1}}"#.to_vec();
    let server = MockServer::start(move |_| Reply::json(200, json!({})).body(body.clone()).cut_after(10)).await;
    let err: Error = client(&server).get_media().id(7).send().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_) | Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn idempotent_calls_retry_on_503_and_429_honouring_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = MockServer::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::status(503).header("retry-after", "1"),
        1 => Reply::status(429),
        _ => Reply::json(200, json!({"id": 7})),
    })
    .await;
    let started = Instant::now();
    let media = client(&server).get_media().id(7).send().await.unwrap();
    assert_eq!(media.id.as_ref().unwrap().as_str(), "7");
    assert_eq!(server.requests().len(), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = MockServer::start(|_| Reply::status(503)).await;
    let err: Error = client(&server).get_media().id(7).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 3, "max_attempts = 3");
}

#[tokio::test]
async fn a_long_retry_after_is_not_waited_for() {
    let server = MockServer::start(|_| Reply::status(429).header("retry-after", "3600")).await;
    let started = Instant::now();
    let err: Error = client(&server).get_media().id(7).send().await.unwrap_err();
    assert_eq!(err.api_error().unwrap().retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(server.requests().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn non_idempotent_calls_are_not_retried() {
    let server = MockServer::start(|_| Reply::status(503)).await;
    let body = fixture_sdk::types::LoginForm {
        user: "u".into(),
        password: "p".into(),
    };
    let err: Error = client(&server).login().body(body).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_401_renews_credentials_and_resends_once() {
    let server = MockServer::start(|r| match r.header("authorization") {
        Some("Token t0") => Reply::json(401, json!({"message": "expired"})),
        _ => Reply::json(200, json!({"id": 1})),
    })
    .await;
    let auth = Arc::new(CountingAuth::default());
    client_with(&server, auth.clone(), fast_retries())
        .get_media()
        .id(1)
        .send()
        .await
        .unwrap();
    let seen: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(seen, ["Token t0", "Token t1"]);
    assert_eq!(auth.renewals.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_second_401_is_returned_not_looped() {
    let server = MockServer::start(|_| Reply::json(401, json!({"message": "no"}))).await;
    let err: Error = client(&server).get_media().id(1).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_401s_renew_once() {
    let server = MockServer::start(|r| match r.header("authorization") {
        Some("Token t0") => Reply::status(401),
        _ => Reply::json(200, json!({"id": 1})),
    })
    .await;
    let auth = Arc::new(CountingAuth::default());
    let client = client_with(&server, auth.clone(), fast_retries());
    let calls = (0..50).map(|i| {
        let c = client.clone();
        tokio::spawn(async move { c.get_media().id(i).send().await.map(|_| ()) })
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(auth.renewals.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn binary_downloads_stream_with_range() {
    let server = MockServer::start(|r| {
        assert_eq!(r.header("range"), Some("bytes=2-"));
        Reply::bytes(206, b"llo".to_vec()).header("content-range", "bytes 2-4/5")
    })
    .await;
    let rv = client(&server)
        .download_media()
        .id(1)
        .range("bytes=2-")
        .send()
        .await
        .unwrap();
    assert_eq!(rv.status().as_u16(), 206);
    let mut out = Vec::new();
    runtime::copy_to_writer(rv.into_inner_stream(), &mut out).await.unwrap();
    assert_eq!(out, b"llo");
}

#[tokio::test]
async fn transport_errors_never_show_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let http = runtime::http_client(runtime::Timeouts::default()).unwrap();
    let client = Client::new_with_client(
        &format!("http://127.0.0.1:{port}"),
        http,
        ClientState::new(
            &fixture_sdk::PROVIDER,
            Arc::new(CountingAuth::default()),
            fast_retries(),
        ),
    );
    let err: Error = client
        .file_info()
        .fileuuid("secret-session-id")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(!err.to_string().contains("secret-session-id"), "{err}");
    assert!(!format!("{err:?}").contains("secret-session-id"), "{err:?}");
}

#[tokio::test]
async fn bodiless_posts_carry_content_length_zero() {
    let server = MockServer::start(|_| Reply::status(204)).await;
    client(&server).trash_media().id(3).send().await.unwrap();
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/media/3/trash"));
    assert_eq!(r.header("content-length"), Some("0"));
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn a_refused_streamed_body_is_not_resent_but_credentials_are_renewed() {
    let server = MockServer::start(|r| match r.header("authorization") {
        Some("Token t0") => Reply::status(401),
        _ => Reply::status(204),
    })
    .await;
    let auth = Arc::new(CountingAuth::default());
    let client = client_with(&server, auth.clone(), fast_retries());
    let chunks = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(b"abc".to_vec())]);
    let err: Error = client
        .put_content()
        .id(1)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.requests().len(), 1, "a streamed body cannot be resent");
    assert_eq!(
        auth.renewals.load(Ordering::SeqCst),
        1,
        "but the credentials were renewed"
    );
    client
        .put_content()
        .id(1)
        .body(reqwest::Body::from("abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(server.requests()[1].header("authorization"), Some("Token t1"));
}

#[tokio::test]
async fn generated_errors_never_carry_the_query_in_debug() {
    // A caller may `unwrap()` a generated call; the panic text is the error's Debug output.
    let server = MockServer::start(|_| Reply::json(404, json!({}))).await;
    let err = client(&server)
        .file_info()
        .fileuuid("secret-session-id")
        .send()
        .await
        .unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("404"), "{text}");
    assert!(!text.contains("secret-session-id"), "{text}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let http = runtime::http_client(runtime::Timeouts::default()).unwrap();
    let closed = Client::new_with_client(
        &format!("http://127.0.0.1:{port}"),
        http,
        ClientState::new(
            &fixture_sdk::PROVIDER,
            Arc::new(CountingAuth::default()),
            fast_retries(),
        ),
    );
    let err = closed
        .file_info()
        .fileuuid("secret-session-id")
        .send()
        .await
        .unwrap_err();
    assert!(!format!("{err:?}").contains("secret-session-id"), "{err:?}");
}

/// Credentials that are refused and cannot be renewed (a revoked refresh token, say).
#[derive(Debug)]
struct RevokedAuth;

impl Authenticator for RevokedAuth {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move { runtime::set_header(request, reqwest::header::AUTHORIZATION, "Token old", true) })
    }
    fn reauthenticate<'a>(&'a self, _: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Err(Error::Auth("refresh token refused: invalid_grant".into())) })
    }
}

#[tokio::test]
async fn a_refusal_whose_renewal_fails_is_an_auth_error_with_the_reason() {
    let server = MockServer::start(|_| Reply::json(401, json!({"message": "expired"}))).await;
    let client = client_with(&server, Arc::new(RevokedAuth), fast_retries());
    let err: Error = client.get_media().id(1).send().await.unwrap_err();
    match &err {
        Error::Auth(m) => {
            assert_eq!(
                m,
                "refresh token refused: invalid_grant (after the service answered 401 Unauthorized)"
            )
        }
        other => panic!("expected Error::Auth, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "nothing to resend with");
    // When renewal works but the service still refuses, the refusal stays an API error.
    let server = MockServer::start(|_| Reply::json(401, json!({"message": "no"}))).await;
    let err: Error = client_with(&server, Arc::new(CountingAuth::default()), fast_retries())
        .get_media()
        .id(1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, .. } if status.as_u16() == 401),
        "{err:?}"
    );
}

#[tokio::test]
async fn read_modify_write_keeps_every_key_the_service_sent() {
    let stored = json!({
        "id": 7,
        "type": "Stock",
        "created": "2024-01-02 03:04:05",
        "extra": {"declared": true},
        "rating": {"stars": 4, "by": [{"user": "u1", "at": null}]},
        "flags": [],
        "views_count": 12
    });
    let answer = stored.clone();
    let server = MockServer::start(move |r| match r.method.as_str() {
        "GET" => Reply::json(200, answer.clone()),
        _ => Reply::json(200, r.json()),
    })
    .await;
    let client = client(&server);
    let mut media = client.get_media().id(7).send().await.unwrap().into_inner();
    assert_eq!(media.extra_fields["rating"]["by"][0]["user"], "u1");
    media.type_ = Some(MediaKind::Video);
    let written = client
        .update_media()
        .id(7)
        .body(media)
        .send()
        .await
        .unwrap()
        .into_inner();
    let sent = server.requests()[1].json();
    let mut want = stored;
    want["type"] = json!("video");
    assert_eq!(
        sent, want,
        "the PUT carries every key the GET answered, nested unknown keys included"
    );
    assert_eq!(written.extra_fields["views_count"], 12);
}

#[tokio::test]
async fn every_plausible_success_status_is_a_success() {
    // A creation answered 201 (the spec says 200): the caller gets the created object.
    let server = MockServer::start(|_| Reply::json(201, json!({"sid": "s-new", "uid": 42}))).await;
    let body = fixture_sdk::types::LoginForm {
        user: "u".into(),
        password: "p".into(),
    };
    let session = client(&server).login().body(body).send().await.unwrap();
    assert_eq!(session.status().as_u16(), 201);
    assert_eq!(
        session.into_inner().uid.unwrap().as_str(),
        "42",
        "the created id is not lost"
    );

    // A call without a body of interest, answered 202 or 204.
    for status in [202, 204] {
        let server = MockServer::start(move |_| Reply::status(status)).await;
        let answer = client(&server).trash_media().id(1).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), status);
    }

    // A body-returning call answered 204: nothing to decode, so the status is reported, with
    // the (empty) body — never a silent empty object.
    let server = MockServer::start(|_| Reply::status(204)).await;
    let err = client(&server).get_media().id(1).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus { status, body, .. } if status.as_u16() == 204 && body.is_empty()),
        "{err:?}"
    );
}
