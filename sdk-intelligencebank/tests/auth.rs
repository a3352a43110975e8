//! Sessions against a loopback server: discovery, the exact login form, `p10`/`p20`/`p60` and the
//! `_aid` cookie on later calls, renewal after the session timeout and after 401/403 (one login
//! for many concurrent calls), refused logins, existing sessions, the browser (SSO) login, and
//! secrets kept out of `Debug` output and logs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use dam_test_server::{MockServer, Reply};
use sdk_intelligencebank::{Client, Error, RetryPolicy, Secret, Session, types};
use serde_json::json;

// The document's example credentials (L213-225).
const APIKEY: &str = "4a0658df9084f078d0cbc506e0f29b57";
const USERUUID: &str = "4717c0b468e7a1d00872f56c81164ec1";
const SID: &str = "eef24c07ebd40fafbb6ab216aa0d1ade";
const PASSWORD: &str = "mypassword";
/// The document's `_aid` example (L225), as a cookie.
const DOC_COOKIE: &str = "_aid=4a0658df9084f078d0cbc506e0f29b57_eef24c07ebd40fafbb6ab216aa0d1ade_default";
const SESSION_QUERY: &str = "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1";
const LOGIN_FORM: &str = "p70=joe.blow%40test.com&p80=mypassword&p90=test.intelligencebank.com";

const LOGIN: &str = "/webapp/1.0/login";
const RESOURCES: &str = "/webapp/1.0/resources";

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

/// A login answer whose session id is `sid-<n>`, `n` counting logins from 1.
fn numbered_login(logins: &AtomicUsize, timeout_hours: serde_json::Value) -> Reply {
    let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
    Reply::json(
        200,
        json!({"apikey": APIKEY, "useruuid": USERUUID, "sid": format!("sid-{n}"),
               "logintimeoutperiod": timeout_hours, "clientid": "1234"}),
    )
}

fn cookie_for(sid: &str) -> String {
    format!("_aid={APIKEY}_{sid}_default")
}

fn builder(server: &MockServer) -> sdk_intelligencebank::ClientBuilder {
    Client::builder()
        .platform("test.intelligencebank.com")
        .api_base_url(server.url())
        .credentials("joe.blow@test.com", PASSWORD)
        .retry_policy(fast())
}

fn paths(server: &MockServer) -> Vec<String> {
    server.requests().into_iter().map(|r| r.path).collect()
}

#[tokio::test]
async fn discovery_then_login_with_the_exact_form_then_session_on_calls() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/v1/auth/app/getYapiAddress" => Reply::json(
            200,
            json!({"SID": "0123", "content": format!("http://{}/", r.header("host").unwrap_or(""))}),
        ),
        LOGIN => Reply::json(
            200,
            json!({"apikey": APIKEY, "useruuid": USERUUID, "sid": SID, "logintimeoutperiod": 120}),
        ),
        _ => Reply::json(200, json!({"response": {"folder": [{"folderuuid": "f1"}]}})),
    })
    .await;
    let client = Client::builder()
        .platform(server.url())
        .credentials("joe.blow@test.com", PASSWORD)
        .build()
        .await
        .unwrap();
    let root = client.get_root_folder().send().await.unwrap().into_inner();
    assert_eq!(
        root.response.unwrap().folder.unwrap()[0].folderuuid.as_deref(),
        Some("f1")
    );

    let port = server.url().rsplit(':').next().unwrap().to_string();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let (discovery, login, call) = (&requests[0], &requests[1], &requests[2]);
    assert_eq!(discovery.method, "GET");
    assert_eq!(discovery.path, "/v1/auth/app/getYapiAddress");
    assert_eq!(discovery.query, None);
    assert_eq!(discovery.header("cookie"), None);
    assert_eq!(login.method, "POST");
    assert_eq!(login.path, LOGIN);
    assert_eq!(login.query, None);
    assert_eq!(login.header("cookie"), None);
    assert_eq!(login.header("content-type"), Some("application/x-www-form-urlencoded"));
    // p90 is the platform domain without scheme (here the loopback host and port).
    assert_eq!(
        login.text(),
        format!("p70=joe.blow%40test.com&p80=mypassword&p90=127.0.0.1%3A{port}")
    );
    assert_eq!(call.method, "GET");
    assert_eq!(call.path, RESOURCES);
    assert_eq!(call.query.as_deref(), Some(SESSION_QUERY));
    assert_eq!(call.header("cookie"), Some(DOC_COOKIE));
}

#[tokio::test]
async fn product_key_goes_into_the_login_form_the_query_and_the_cookie() {
    let server = MockServer::start(|r| match r.path.as_str() {
        LOGIN => Reply::json(200, json!({"apikey": APIKEY, "useruuid": USERUUID, "sid": SID})),
        _ => Reply::json(200, json!({"response": {}})),
    })
    .await;
    let client = builder(&server).product_key("KEYVALUE").build().await.unwrap();
    client
        .get_folder_contents()
        .folderuuid("06da9efd9e96a973015a5571b65d4b6c")
        .skip(50u64)
        .limit(std::num::NonZeroU64::new(25).unwrap())
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(
        requests[0].text(),
        "p60=KEYVALUE&p70=joe.blow%40test.com&p80=mypassword&p90=test.intelligencebank.com"
    );
    assert_eq!(
        requests[1].query.as_deref(),
        Some(
            "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1&p60=KEYVALUE\
             &folderuuid=06da9efd9e96a973015a5571b65d4b6c&limit=25&skip=50"
        )
    );
    assert_eq!(
        requests[1].header("cookie"),
        Some("_aid=4a0658df9084f078d0cbc506e0f29b57_eef24c07ebd40fafbb6ab216aa0d1ade_KEYVALUE")
    );
}

#[tokio::test]
async fn logs_in_again_shortly_before_the_session_times_out() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        // logintimeoutperiod is in hours, sent as text.
        LOGIN => numbered_login(&l, json!("1")),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let elapsed = Arc::new(AtomicU64::new(0));
    let e = elapsed.clone();
    let client = builder(&server)
        .clock(move || start + Duration::from_secs(e.load(Ordering::SeqCst)))
        .build()
        .await
        .unwrap();
    let call = || async { client.get_root_folder().send().await.unwrap() };

    call().await;
    elapsed.store(54 * 60, Ordering::SeqCst); // 54 minutes: still fresh
    call().await;
    assert_eq!(logins.load(Ordering::SeqCst), 1);
    elapsed.store(56 * 60, Ordering::SeqCst); // 56 minutes: within 5 minutes of the hour
    call().await;
    call().await;
    assert_eq!(logins.load(Ordering::SeqCst), 2);

    let cookies: Vec<_> = server
        .requests_to(RESOURCES)
        .iter()
        .map(|r| r.header("cookie").unwrap().to_string())
        .collect();
    assert_eq!(
        cookies,
        [
            cookie_for("sid-1"),
            cookie_for("sid-1"),
            cookie_for("sid-2"),
            cookie_for("sid-2")
        ]
    );
    assert_eq!(
        paths(&server),
        [LOGIN, RESOURCES, RESOURCES, LOGIN, RESOURCES, RESOURCES]
    );
}

/// `get_root_folder` has no query parameters of its own: the session's query is written into the
/// URL's text before it is parsed. When the session is renewed between the two (it was due), the
/// new session's query replaces the old one instead of joining it.
#[tokio::test]
async fn a_renewed_session_replaces_the_query_written_into_the_url() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::json(
                200,
                json!({"apikey": format!("key-{n}"), "useruuid": USERUUID, "sid": format!("sid-{n}"),
                       "logintimeoutperiod": 1}),
            )
        }
        _ => Reply::json(200, json!({"response": {"folder": []}})),
    })
    .await;
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let elapsed = Arc::new(AtomicU64::new(0));
    let e = elapsed.clone();
    let client = builder(&server)
        .product_key("PK")
        .clock(move || start + Duration::from_secs(e.load(Ordering::SeqCst)))
        .build()
        .await
        .unwrap();
    client.get_root_folder().send().await.unwrap();
    elapsed.store(56 * 60, Ordering::SeqCst);
    client.get_root_folder().send().await.unwrap();

    assert_eq!(logins.load(Ordering::SeqCst), 2);
    let sent: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path != LOGIN)
        .map(|r| {
            let cookie = r.header("cookie").map(str::to_string);
            (r.path, r.query, cookie)
        })
        .collect();
    let query = |n: u32| Some(format!("p10=key-{n}&p20={USERUUID}&p60=PK"));
    let cookie = |n: u32| Some(format!("_aid=key-{n}_sid-{n}_PK"));
    assert_eq!(
        sent,
        [
            (RESOURCES.to_string(), query(1), cookie(1)),
            (RESOURCES.to_string(), query(2), cookie(2)),
        ]
    );
}

#[tokio::test]
async fn a_session_without_timeout_is_used_until_refused() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&l, serde_json::Value::Null),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let elapsed = Arc::new(AtomicU64::new(0));
    let e = elapsed.clone();
    let client = builder(&server)
        .clock(move || start + Duration::from_secs(e.load(Ordering::SeqCst)))
        .build()
        .await
        .unwrap();
    elapsed.store(1000 * 3600, Ordering::SeqCst);
    client.get_root_folder().send().await.unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 1);
}

async fn relogin_after(status: u16) {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&l, json!(120)),
        _ if r.header("cookie") == Some(cookie_for("sid-1").as_str()) => {
            Reply::json(status, json!({"message": "Session expired"}))
        }
        _ => Reply::json(200, json!({"response": {"folder": []}})),
    })
    .await;
    let client = builder(&server).build().await.unwrap();
    client.get_root_folder().send().await.unwrap();
    assert_eq!(paths(&server), [LOGIN, RESOURCES, LOGIN, RESOURCES]);
    let calls = server.requests_to(RESOURCES);
    assert_eq!(calls[0].header("cookie"), Some(cookie_for("sid-1").as_str()));
    assert_eq!(calls[1].header("cookie"), Some(cookie_for("sid-2").as_str()));
    // The resent request carries the session parameters once, not twice.
    assert_eq!(calls[1].query.as_deref(), Some(SESSION_QUERY));
}

#[tokio::test]
async fn logs_in_again_once_after_a_401() {
    relogin_after(401).await;
}

#[tokio::test]
async fn logs_in_again_once_after_a_403() {
    relogin_after(403).await;
}

#[tokio::test]
async fn resent_requests_keep_their_own_query() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&l, json!(120)),
        _ if r.header("cookie").is_some_and(|c| c.contains("_sid-1_")) => Reply::status(401),
        _ => Reply::json(200, json!({"numFound": "0", "doc": []})),
    })
    .await;
    let client = builder(&server).product_key("PK").build().await.unwrap();
    client
        .search()
        .searchterm("annual report")
        .from_date("2017-01-01T10:20:09Z")
        .send()
        .await
        .unwrap();
    let calls = server.requests_to("/webapp/1.0/search");
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(
            call.query.as_deref(),
            Some(
                "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1&p60=PK\
                 &fromDate=2017-01-01T10%3A20%3A09Z&searchterm=annual+report"
            )
        );
    }
}

#[tokio::test]
async fn a_session_refused_twice_is_an_api_error_after_one_new_login() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&l, json!(120)),
        _ => Reply::json(401, json!({"message": "Not logged in"})),
    })
    .await;
    let client = builder(&server).build().await.unwrap();
    let err = client.get_root_folder().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.message(), Some("Not logged in"));
    assert_eq!(paths(&server), [LOGIN, RESOURCES, LOGIN, RESOURCES]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_401s_cause_one_login() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&l, json!(120)).delay(Duration::from_millis(50)),
        _ if r.header("cookie") == Some(cookie_for("sid-1").as_str()) => {
            Reply::json(401, json!({"message": "expired"})).delay(Duration::from_millis(20))
        }
        _ => Reply::json(200, json!({})),
    })
    .await;
    // No call limit: all 16 calls must be under way with the first session at once (the default
    // limit would hold six of them back until after the new login).
    let client = builder(&server).rate_limit(None).build().await.unwrap();
    let calls = (0..16).map(|_| async { client.get_root_folder().send().await.map(|_| ()) });
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    let calls = server.requests_to(RESOURCES);
    assert_eq!(calls.len(), 32);
    let renewed = calls
        .iter()
        .filter(|r| r.header("cookie") == Some(cookie_for("sid-2").as_str()))
        .count();
    assert_eq!(renewed, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_on_a_timed_out_session_cause_one_login() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&l, json!(2)).delay(Duration::from_millis(50)),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let elapsed = Arc::new(AtomicU64::new(0));
    let e = elapsed.clone();
    let client = builder(&server)
        .clock(move || start + Duration::from_secs(e.load(Ordering::SeqCst)))
        .build()
        .await
        .unwrap();
    elapsed.store(3 * 3600, Ordering::SeqCst);
    let calls = (0..16).map(|_| async { client.get_root_folder().send().await.map(|_| ()) });
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    for call in server.requests_to(RESOURCES) {
        assert_eq!(call.header("cookie"), Some(cookie_for("sid-2").as_str()));
    }
}

#[tokio::test]
async fn a_login_refused_with_http_200_and_a_message_is_an_auth_error() {
    let server = MockServer::start(|_| {
        Reply::json(
            200,
            json!({"message": "Invalid user name or password. Please try again."}),
        )
    })
    .await;
    let err = builder(&server).build().await.unwrap_err();
    match &err {
        Error::Auth(message) => assert_eq!(message, "Invalid user name or password. Please try again."),
        other => panic!("expected Error::Auth, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains(PASSWORD));
    assert_eq!(paths(&server), [LOGIN]);
}

#[tokio::test]
async fn a_login_refused_with_an_error_status_is_an_auth_error() {
    // The provider's message echoes the password: it must not reach the error.
    let server = MockServer::start(|_| Reply::json(401, json!({"message": "Bad password mypassword"}))).await;
    let err = builder(&server).build().await.unwrap_err();
    match &err {
        Error::Auth(message) => {
            assert_eq!(message, "login refused (401 Unauthorized): Bad password [redacted]")
        }
        other => panic!("expected Error::Auth, got {other:?}"),
    }
    // A login is never resent.
    assert_eq!(paths(&server), [LOGIN]);
}

#[tokio::test]
async fn a_login_answer_without_a_session_is_an_auth_error() {
    let server = MockServer::start(|_| Reply::json(200, json!({"apikey": APIKEY, "useruuid": USERUUID}))).await;
    let err = builder(&server).build().await.unwrap_err();
    assert!(matches!(err, Error::Auth(ref m) if m.contains("no session")), "{err:?}");
}

#[tokio::test]
async fn missing_settings_are_invalid_input() {
    let no_credentials = Client::builder().platform("test.intelligencebank.com").build().await;
    assert!(matches!(no_credentials, Err(Error::InvalidInput(_))));
    let no_platform = Client::builder()
        .api_base_url("http://127.0.0.1:9")
        .credentials("a@b.c", "x")
        .build()
        .await;
    assert!(matches!(no_platform, Err(Error::InvalidInput(_))));
    let bad_platform = Client::builder()
        .platform("https://")
        .credentials("a@b.c", "x")
        .build()
        .await;
    assert!(matches!(bad_platform, Err(Error::InvalidInput(_))));
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let server = MockServer::start(|_| Reply::status(500)).await;
    let invalid = |result: Result<Client, Error>, names: &str| match result {
        Err(Error::InvalidInput(m)) => assert!(m.contains(names), "{m}"),
        other => panic!("{other:?}"),
    };
    // Credentials only over TLS, unless the host is loopback or the caller opts in.
    invalid(
        Client::builder()
            .platform("http://acme.intelligencebank.com")
            .credentials("a@b.c", "x")
            .build()
            .await,
        "platform",
    );
    invalid(
        Client::builder()
            .platform("acme.intelligencebank.com")
            .api_base_url("http://apius.intelligencebank.com")
            .credentials("a@b.c", "x")
            .build()
            .await,
        "api_base_url",
    );
    invalid(
        Client::builder()
            .platform("acme.intelligencebank.com")
            .api_base_url(server.url())
            .credentials("a@b.c", "")
            .build()
            .await,
        "password is empty",
    );
    invalid(
        Client::builder()
            .platform("acme.intelligencebank.com")
            .api_base_url(server.url())
            .credentials(" ", "pw")
            .build()
            .await,
        "email is empty",
    );
    assert!(server.requests().is_empty(), "nothing was sent");
    // A discovered API base on plain http to another host is refused too.
    let discovery =
        MockServer::start(|_| Reply::json(200, json!({"SID": "x", "content": "http://apius.example.com"}))).await;
    let err = Client::builder()
        .platform(discovery.url())
        .credentials("a@b.c", "pw")
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("discovered")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_discovery_answer_without_an_url_is_a_decode_error() {
    let server = MockServer::start(|_| Reply::json(200, json!({"SID": "x", "content": ""}))).await;
    let err = Client::builder()
        .platform(server.url())
        .credentials("joe.blow@test.com", PASSWORD)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(paths(&server), ["/v1/auth/app/getYapiAddress"]);
}

#[tokio::test]
async fn an_existing_session_is_used_without_login_and_cannot_be_renewed() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/webapp/1.0/downloadpresets" => Reply::json(401, json!({"message": "Session timed out"})),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let client = Client::from_session(Session::new(server.url() + "/", APIKEY, USERUUID, SID)).unwrap();
    client.get_root_folder().send().await.unwrap();
    let err = client.list_download_presets().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.message(), Some("Session timed out"));
    assert_eq!(paths(&server), [RESOURCES, "/webapp/1.0/downloadpresets"]);
    let first = &server.requests()[0];
    assert_eq!(first.query.as_deref(), Some(SESSION_QUERY));
    assert_eq!(first.header("cookie"), Some(DOC_COOKIE));
}

#[tokio::test]
async fn a_saved_session_with_credentials_is_renewed_by_login() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&l, json!(120)),
        _ if r.header("cookie") == Some(DOC_COOKIE) => Reply::status(401),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let client = builder(&server)
        .session(Session::new("http://ignored.example", APIKEY, USERUUID, SID))
        .build()
        .await
        .unwrap();
    assert!(server.requests().is_empty(), "no login before the first call");
    client.get_root_folder().send().await.unwrap();
    assert_eq!(paths(&server), [RESOURCES, LOGIN, RESOURCES]);
    assert_eq!(server.requests()[1].text(), LOGIN_FORM);
}

#[tokio::test]
async fn browser_login_polls_until_done_and_uses_the_inner_sid() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        "/v1/auth/app/getYapiAddress" => Reply::json(
            200,
            json!({"SID": "x", "content": format!("http://{}", r.header("host").unwrap_or(""))}),
        ),
        "/v1/auth/app/token" => Reply::json(200, json!({"SID": "ffff0000", "content": "VeZEZR9ee"})),
        "/v1/auth/app/info" if p.fetch_add(1, Ordering::SeqCst) < 2 => Reply::status(404),
        "/v1/auth/app/info" => Reply::json(
            200,
            json!({"SID": "ffff0000", "content": {
                "session": {"sid": SID, "userUuid": USERUUID, "originalUserUuid": null, "loginTime": 1538631769},
                "info": {"apikey": APIKEY, "useruuid": USERUUID, "logintimeoutperiod": 120}}}),
        ),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let sso = Client::builder().platform(server.url()).start_sso().await.unwrap();
    assert_eq!(
        sso.login_url(),
        format!("{}/auth/?login=0&token=VeZEZR9ee", server.url())
    );
    let session = sso
        .wait(Duration::from_millis(10), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(session.api_base_url, server.url());
    assert_eq!(session.sid.expose(), SID);
    assert_eq!(session.apikey.expose(), APIKEY);
    assert_eq!(session.useruuid, USERUUID);
    assert_eq!(
        session.started_at,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1538631769))
    );
    assert_eq!(session.lifetime, Some(Duration::from_secs(120 * 3600)));
    assert_eq!(session.aid_cookie().expose(), &DOC_COOKIE["_aid=".len()..]);

    let client = Client::from_session(session).unwrap();
    client.get_root_folder().send().await.unwrap();

    let requests = server.requests();
    let token = &requests[1];
    assert_eq!(
        (token.method.as_str(), token.path.as_str()),
        ("POST", "/v1/auth/app/token")
    );
    assert_eq!(token.header("content-length"), Some("0"));
    let infos = server.requests_to("/v1/auth/app/info");
    assert_eq!(infos.len(), 3);
    for info in &infos {
        assert_eq!(info.method, "GET");
        assert_eq!(info.query.as_deref(), Some("token=VeZEZR9ee"));
        assert_eq!(info.header("cookie"), None);
    }
    let call = server.requests_to(RESOURCES).pop().unwrap();
    assert_eq!(call.header("cookie"), Some(DOC_COOKIE));
    assert_eq!(call.query.as_deref(), Some(SESSION_QUERY));
}

#[tokio::test]
async fn browser_login_polling_is_bounded() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/v1/auth/app/token" => Reply::json(200, json!({"content": "tok"})),
        _ => Reply::json(404, json!({"message": "pending"})),
    })
    .await;
    let sso = Client::builder()
        .platform(server.url())
        .api_base_url(server.url())
        .start_sso()
        .await
        .unwrap();
    let err = sso
        .wait(Duration::from_millis(20), Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    let polls = server.requests_to("/v1/auth/app/info").len();
    assert!((2..=6).contains(&polls), "{polls} polls");
}

#[tokio::test]
async fn browser_login_errors_other_than_pending_are_returned() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/v1/auth/app/token" => Reply::json(200, json!({"content": "tok"})),
        _ => Reply::json(400, json!({"message": "Invalid token"})),
    })
    .await;
    let sso = Client::builder()
        .platform(server.url())
        .api_base_url(server.url())
        .start_sso()
        .await
        .unwrap();
    let err = sso.poll().await.unwrap_err();
    assert_eq!(err.message(), Some("Invalid token"));
}

#[tokio::test]
async fn debug_output_shows_no_credentials() {
    let server = MockServer::start(|r| match r.path.as_str() {
        LOGIN => Reply::json(200, json!({"apikey": APIKEY, "useruuid": USERUUID, "sid": SID})),
        "/v1/auth/app/token" => Reply::json(200, json!({"SID": SID, "content": "VeZEZR9ee"})),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let b = builder(&server)
        .product_key("PK")
        .session(Session::new(server.url(), APIKEY, USERUUID, SID));
    let (client, auth) = builder(&server).build_with_auth().await.unwrap();
    let session = auth.session().await.unwrap();
    let sso = Client::builder()
        .platform(server.url())
        .api_base_url(server.url())
        .start_sso()
        .await
        .unwrap();
    let login_answer: types::LoginResponse =
        serde_json::from_value(json!({"apikey": APIKEY, "sid": SID, "useruuid": USERUUID})).unwrap();
    let login_form = types::LoginForm {
        p60: None,
        p70: "joe.blow@test.com".into(),
        p80: Secret::new(PASSWORD),
        p90: "test.intelligencebank.com".into(),
    };
    let sso_info: types::SsoInfoResponse =
        serde_json::from_value(json!({"SID": SID, "content": {"session": {"sid": SID}, "info": {"apikey": APIKEY}}}))
            .unwrap();
    let token: types::SsoTokenResponse = serde_json::from_value(json!({"SID": SID, "content": "VeZEZR9ee"})).unwrap();
    let address: types::ApiAddressResponse = serde_json::from_value(json!({"SID": SID, "content": "x"})).unwrap();
    let printed = [
        format!("{b:?}"),
        format!("{client:?}"),
        format!("{auth:?}"),
        format!("{session:?}"),
        format!("{:?}", session.aid_cookie()),
        format!("{sso:?}"),
        format!("{login_answer:?}"),
        format!("{login_form:?}"),
        format!("{sso_info:?}"),
        format!("{token:?}"),
        format!("{address:?}"),
    ];
    for text in &printed {
        for secret in [PASSWORD, APIKEY, SID, "VeZEZR9ee"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    // What is not secret is still shown.
    assert!(printed[0].contains("joe.blow@test.com"), "{}", printed[0]);
    assert!(printed[3].contains(USERUUID), "{}", printed[3]);
    // The secrets still travel as plain strings.
    assert_eq!(serde_json::to_value(&login_answer).unwrap()["sid"], SID);
}

#[tokio::test]
async fn transport_errors_do_not_carry_the_session_parameters() {
    // Nothing listens on the discard port.
    let client = Client::builder()
        .session(Session::new("http://127.0.0.1:9", APIKEY, USERUUID, SID))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .await
        .unwrap();
    let err = client.get_root_folder().send().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    for secret in [APIKEY, USERUUID, SID] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}
