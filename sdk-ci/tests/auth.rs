//! OAuth 2 against a loopback server: the exact token requests of both grants, the token cache,
//! proactive refresh, refresh after a 401 (once for many concurrent calls), the password-grant
//! fallback, OAuth errors, delegate tokens and redaction of every secret.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_ci::types::DelegateTokenScope;
use sdk_ci::{Client, ClientBuilder, Error, MediaBoxAccess, RetryPolicy};
use serde_json::json;

const CLIENT_ID: &str = "yjtgrjdag8is4cxb";
const CLIENT_SECRET: &str = "q1h0+jt4/fi0=b";
const USERNAME: &str = "jdoe@example.com";
const PASSWORD: &str = "pa55 w0rd!";
/// `base64("jdoe@example.com:pa55 w0rd!")`, computed with Python's `base64.b64encode`.
const BASIC: &str = "Basic amRvZUBleGFtcGxlLmNvbTpwYTU1IHcwcmQh";
/// Computed with Python's `urllib.parse.urlencode`.
const PASSWORD_FORM: &str = "grant_type=password&client_id=yjtgrjdag8is4cxb&client_secret=q1h0%2Bjt4%2Ffi0%3Db";
const REFRESH_FORM: &str = "grant_type=refresh_token&refresh_token=3g4atvsqc6pfcaht&client_id=yjtgrjdag8is4cxb&client_secret=q1h0%2Bjt4%2Ffi0%3Db";

fn token(access: &str, refresh: &str, expires_in: i64) -> Reply {
    Reply::json(
        200,
        json!({"access_token": access, "expires_in": expires_in, "token_type": "bearer", "refresh_token": refresh}),
    )
}

fn form_value(r: &Recorded, name: &str) -> Option<String> {
    r.form().into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn is_token_request(r: &Recorded) -> bool {
    r.path == "/oauth2/token" && r.header("content-type") == Some("application/x-www-form-urlencoded")
}

/// Password grant → `acc-pw`/`ref-pw`; refresh grant with `R` → `acc-R`/`next-R`; one hour each.
fn standard_tokens(r: &Recorded) -> Reply {
    match form_value(r, "grant_type").as_deref() {
        Some("password") => token("acc-pw", "ref-pw", 3600),
        Some("refresh_token") => {
            let old = form_value(r, "refresh_token").unwrap_or_default();
            token(&format!("acc-{old}"), &format!("next-{old}"), 3600)
        }
        _ => Reply::json(
            400,
            json!({"error": "unsupported_grant_type", "error_description": "?"}),
        ),
    }
}

fn workspaces() -> Reply {
    Reply::json(200, json!({"limit": 50, "offset": 0, "count": 0, "items": []}))
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.url())
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
}

/// `METHOD path authorization-or-grant` per request, for asserting whole sequences.
fn trace(server: &MockServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            if is_token_request(r) {
                format!("token {}", form_value(r, "grant_type").unwrap_or_default())
            } else {
                format!("{} {} {}", r.method, r.path, r.header("authorization").unwrap_or("-"))
            }
        })
        .collect()
}

#[tokio::test]
async fn password_grant_sends_basic_credentials_and_a_form_body() {
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            standard_tokens(r)
        } else {
            workspaces()
        }
    })
    .await;
    let (client, auth) = builder(&server)
        .user_credentials(USERNAME, PASSWORD)
        .build_with_auth()
        .unwrap();
    client.list_workspaces().send().await.unwrap();
    client.list_workspaces().send().await.unwrap();

    let requests = server.requests();
    let t = &requests[0];
    assert_eq!(t.method, "POST");
    assert_eq!(t.path, "/oauth2/token");
    assert_eq!(t.query, None);
    assert_eq!(t.header("authorization"), Some(BASIC));
    assert_eq!(t.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(t.header("accept"), Some("application/json"));
    assert_eq!(t.text(), PASSWORD_FORM);
    assert_eq!(
        trace(&server),
        [
            "token password",
            "GET /workspaces Bearer acc-pw",
            "GET /workspaces Bearer acc-pw"
        ],
        "a token with an hour to live is reused"
    );

    let state = auth.token_state().await;
    assert_eq!(state.access_token.unwrap().expose(), "acc-pw");
    assert_eq!(state.refresh_token.unwrap().expose(), "ref-pw");
    let left = state.expires_at.unwrap().duration_since(SystemTime::now()).unwrap();
    assert!(
        left > Duration::from_secs(3590) && left <= Duration::from_secs(3600),
        "{left:?}"
    );
}

#[tokio::test]
async fn refresh_grant_sends_no_authorization_and_stores_the_new_refresh_token() {
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            standard_tokens(r)
        } else {
            workspaces()
        }
    })
    .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let (client, auth) = builder(&server)
        .refresh_token("3g4atvsqc6pfcaht")
        .on_token_refresh(move |state| {
            s.lock()
                .unwrap()
                .push(state.refresh_token.as_ref().unwrap().expose().to_string())
        })
        .build_with_auth()
        .unwrap();
    client.list_workspaces().send().await.unwrap();

    let t = &server.requests()[0];
    assert_eq!(t.method, "POST");
    assert_eq!(t.path, "/oauth2/token");
    assert_eq!(t.header("authorization"), None);
    assert_eq!(t.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(t.text(), REFRESH_FORM);
    assert_eq!(
        trace(&server),
        ["token refresh_token", "GET /workspaces Bearer acc-3g4atvsqc6pfcaht"]
    );
    assert_eq!(
        auth.token_state().await.refresh_token.unwrap().expose(),
        "next-3g4atvsqc6pfcaht"
    );
    assert_eq!(*seen.lock().unwrap(), ["next-3g4atvsqc6pfcaht"]);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_next_call() {
    let server = MockServer::start(|r| {
        if !is_token_request(r) {
            return workspaces();
        }
        match form_value(r, "grant_type").as_deref() {
            // Expires at once: the next call must refresh first.
            Some("password") => token("acc-pw", "ref-pw", 0),
            _ => standard_tokens(r),
        }
    })
    .await;
    let client = builder(&server).user_credentials(USERNAME, PASSWORD).build().unwrap();
    for _ in 0..3 {
        client.list_workspaces().send().await.unwrap();
    }
    assert_eq!(
        trace(&server),
        [
            "token password",
            "GET /workspaces Bearer acc-pw",
            "token refresh_token",
            "GET /workspaces Bearer acc-ref-pw",
            "GET /workspaces Bearer acc-ref-pw",
        ]
    );
    assert_eq!(
        form_value(&server.requests()[2], "refresh_token").as_deref(),
        Some("ref-pw")
    );
    assert_eq!(server.requests()[2].header("authorization"), None);
}

#[tokio::test]
async fn a_401_refreshes_once_and_resends() {
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            return standard_tokens(r);
        }
        match r.header("authorization") {
            Some("Bearer acc-R0") => Reply::json(401, json!({"code": "InvalidToken", "message": "Token expired."})),
            _ => Reply::json(200, json!({"id": "ws1", "name": "Team"})),
        }
    })
    .await;
    let (client, auth) = builder(&server).refresh_token("R0").build_with_auth().unwrap();
    let ws = client.get_workspace().workspace_id("ws1").send().await.unwrap();
    assert_eq!(ws.name.as_deref(), Some("Team"));
    assert_eq!(
        trace(&server),
        [
            "token refresh_token",
            "GET /workspaces/ws1 Bearer acc-R0",
            "token refresh_token",
            "GET /workspaces/ws1 Bearer acc-next-R0",
        ]
    );
    assert_eq!(
        form_value(&server.requests()[2], "refresh_token").as_deref(),
        Some("next-R0")
    );
    assert_eq!(auth.token_state().await.refresh_token.unwrap().expose(), "next-next-R0");
}

#[tokio::test]
async fn a_second_401_is_returned_as_an_api_error() {
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            standard_tokens(r)
        } else {
            Reply::json(401, json!({"code": "Unauthorized", "message": "No."}))
        }
    })
    .await;
    let client = builder(&server).refresh_token("R0").build().unwrap();
    let err: Error = client.list_workspaces().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.requests().len(), 4, "token, call, token, call: no loop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_refused_together_cause_one_refresh() {
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            return standard_tokens(r).delay(Duration::from_millis(50));
        }
        match r.header("authorization") {
            Some("Bearer acc-R0") => Reply::status(401),
            _ => workspaces(),
        }
    })
    .await;
    let (client, auth) = builder(&server).refresh_token("R0").build_with_auth().unwrap();
    assert_eq!(auth.access_token().await.unwrap().expose(), "acc-R0");
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.list_workspaces().send().await.map(|_| ()) })
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    let tokens: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| is_token_request(r))
        .map(|r| form_value(r, "refresh_token").unwrap())
        .collect();
    assert_eq!(tokens, ["R0", "next-R0"], "one refresh after the 401s");
    let refused = server
        .requests()
        .iter()
        .filter(|r| r.header("authorization") == Some("Bearer acc-R0"))
        .count();
    assert!(refused >= 1);
    let accepted = server
        .requests()
        .iter()
        .filter(|r| r.header("authorization") == Some("Bearer acc-next-R0"))
        .count();
    assert_eq!(accepted, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_finding_the_token_stale_cause_one_refresh() {
    let server = MockServer::start(|r| {
        if !is_token_request(r) {
            return workspaces();
        }
        match form_value(r, "refresh_token").as_deref() {
            Some("R0") => token("acc-R0", "R1", 0),
            _ => standard_tokens(r).delay(Duration::from_millis(50)),
        }
    })
    .await;
    let (client, auth) = builder(&server).refresh_token("R0").build_with_auth().unwrap();
    auth.access_token().await.unwrap();
    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.list_workspaces().send().await.map(|_| ()) })
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    let tokens: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| is_token_request(r))
        .map(|r| form_value(r, "refresh_token").unwrap())
        .collect();
    assert_eq!(tokens, ["R0", "R1"]);
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.header("authorization") == Some("Bearer acc-R1"))
            .count(),
        100
    );
}

#[tokio::test]
async fn a_refused_refresh_token_falls_back_to_the_password_grant() {
    let server = MockServer::start(|r| {
        if !is_token_request(r) {
            return workspaces();
        }
        match form_value(r, "grant_type").as_deref() {
            Some("refresh_token") => Reply::json(
                400,
                json!({"error": "invalid_grant", "error_description": "Refresh token expired."}),
            ),
            _ => standard_tokens(r),
        }
    })
    .await;
    let (client, auth) = builder(&server)
        .refresh_token("3g4atvsqc6pfcaht")
        .user_credentials(USERNAME, PASSWORD)
        .build_with_auth()
        .unwrap();
    client.list_workspaces().send().await.unwrap();
    assert_eq!(
        trace(&server),
        ["token refresh_token", "token password", "GET /workspaces Bearer acc-pw"]
    );
    let requests = server.requests();
    assert_eq!(requests[0].text(), REFRESH_FORM);
    assert_eq!(requests[1].text(), PASSWORD_FORM);
    assert_eq!(requests[1].header("authorization"), Some(BASIC));
    assert_eq!(auth.token_state().await.refresh_token.unwrap().expose(), "ref-pw");
}

#[tokio::test]
async fn a_refused_refresh_token_without_credentials_is_an_auth_error() {
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            // A provider that echoes the token must not leak it into the error.
            Reply::json(
                400,
                json!({"error": "invalid_grant", "error_description": "Refresh token 3g4atvsqc6pfcaht expired."}),
            )
        } else {
            workspaces()
        }
    })
    .await;
    let (client, auth) = builder(&server)
        .refresh_token("3g4atvsqc6pfcaht")
        .build_with_auth()
        .unwrap();
    let err = auth.access_token().await.unwrap_err();
    match &err {
        Error::Auth(m) => assert_eq!(
            m,
            "refresh_token grant refused (400 Bad Request): invalid_grant: Refresh token [redacted] expired."
        ),
        other => panic!("{other:?}"),
    }
    let err: Error = client.list_workspaces().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::Auth(m) if m.contains("invalid_grant: Refresh token [redacted] expired.")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("3g4atvsqc6pfcaht"));
    assert!(!format!("{err:?}").contains("3g4atvsqc6pfcaht"));
    assert!(
        server.requests().iter().all(is_token_request),
        "no API call without a token"
    );
}

#[tokio::test]
async fn bad_client_credentials_are_an_auth_error_without_secrets() {
    let server = MockServer::start(|_| {
        Reply::json(
            401,
            json!({"error": "invalid_client", "error_description": "Client credentials are invalid."}),
        )
        .header("x-request-id", "rq-9")
    })
    .await;
    let (_, auth) = builder(&server)
        .user_credentials(USERNAME, PASSWORD)
        .build_with_auth()
        .unwrap();
    let err = auth.access_token().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "authentication failed: password grant refused (401 Unauthorized): invalid_client: Client credentials are invalid."
    );
    for text in [err.to_string(), format!("{err:?}")] {
        for secret in [PASSWORD, CLIENT_SECRET, "amRvZUBleGFtcGxlLmNvbTpwYTU1IHcwcmQh"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
    assert_eq!(server.requests().len(), 1, "a refused sign-in is not retried");
}

#[tokio::test]
async fn a_non_oauth_token_error_body_still_becomes_an_auth_error() {
    let server = MockServer::start(|_| Reply::text(400, "<html>bad</html>")).await;
    let (_, auth) = builder(&server)
        .user_credentials(USERNAME, PASSWORD)
        .build_with_auth()
        .unwrap();
    let err = auth.access_token().await.unwrap_err();
    assert!(
        matches!(&err, Error::Auth(m) if m == "password grant refused (400 Bad Request): <html>bad</html>"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_malformed_token_answer_is_an_error_not_a_panic() {
    let server = MockServer::start(|_| Reply::json(200, json!({})).body(br#"{"access_token": "#.to_vec())).await;
    let (_, auth) = builder(&server)
        .user_credentials(USERNAME, PASSWORD)
        .build_with_auth()
        .unwrap();
    assert!(matches!(auth.access_token().await, Err(Error::Decode { .. })));
    let server = MockServer::start(|_| Reply::json(200, json!({"token_type": "bearer", "expires_in": 9e18}))).await;
    let (_, auth) = builder(&server)
        .user_credentials(USERNAME, PASSWORD)
        .build_with_auth()
        .unwrap();
    assert!(matches!(
        auth.access_token().await,
        Err(Error::Decode { .. } | Error::Auth(_))
    ));
    let server = MockServer::start(|_| Reply::json(200, json!({"access_token": "a", "expires_in": i64::MAX}))).await;
    let (_, auth) = builder(&server)
        .user_credentials(USERNAME, PASSWORD)
        .build_with_auth()
        .unwrap();
    assert_eq!(
        auth.access_token().await.unwrap().expose(),
        "a",
        "a huge lifetime does not overflow"
    );
}

#[tokio::test]
async fn delegate_tokens_are_requested_with_the_bearer_token() {
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            standard_tokens(r)
        } else {
            Reply::json(
                200,
                json!({"access_token": "delegate-xyz", "expires_in": 3600, "token_type": "bearer"}),
            )
        }
    })
    .await;
    let client = builder(&server).user_credentials(USERNAME, PASSWORD).build().unwrap();
    let delegate = client
        .delegate_token("nooumy2aiumufg3w", DelegateTokenScope::UploadCoverElement)
        .await
        .unwrap();
    assert_eq!(delegate.token.expose(), "delegate-xyz");
    assert_eq!(delegate.expires_in, Some(Duration::from_secs(3600)));
    assert!(!format!("{delegate:?}").contains("delegate-xyz"));

    let r = &server.requests()[1];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path, "/oauth2/token",
        "the #delegate path suffix never reaches the wire"
    );
    assert_eq!(r.header("authorization"), Some("Bearer acc-pw"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.json(),
        json!({"assetId": "nooumy2aiumufg3w", "scope": "UploadCoverElement"})
    );
}

#[tokio::test]
async fn builder_needs_client_credentials_and_a_way_to_sign_in() {
    let no_client = Client::builder().user_credentials(USERNAME, PASSWORD).build();
    assert!(matches!(no_client, Err(Error::InvalidInput(_))));
    let no_user = Client::builder().client_credentials(CLIENT_ID, CLIENT_SECRET).build();
    assert!(matches!(no_user, Err(Error::InvalidInput(_))));
}

#[tokio::test]
async fn debug_output_never_shows_a_secret() {
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            standard_tokens(r)
        } else {
            workspaces()
        }
    })
    .await;
    let builder = builder(&server)
        .user_credentials(USERNAME, PASSWORD)
        .refresh_token("3g4atvsqc6pfcaht")
        .on_token_refresh(|_| {});
    let (client, auth) = builder.clone().build_with_auth().unwrap();
    client.list_workspaces().send().await.unwrap();
    let state = auth.token_state().await;
    let mediabox = client.for_mediabox(MediaBoxAccess::Password("box-secret".into()));
    let printed = [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{auth:?}"),
        format!("{state:?}"),
        format!("{mediabox:?}"),
        format!("{:?}", MediaBoxAccess::Password("box-secret".into())),
    ];
    for text in &printed {
        for secret in [
            PASSWORD,
            CLIENT_SECRET,
            "3g4atvsqc6pfcaht",
            "acc-3g4atvsqc6pfcaht",
            "next-3g4atvsqc6pfcaht",
            "box-secret",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(
        printed[2].contains(USERNAME),
        "non-secret fields still print: {}",
        printed[2]
    );
}

#[tokio::test]
async fn a_401_whose_refresh_is_refused_without_credentials_is_an_auth_error() {
    // The first refresh works; the service then refuses that access token, and the refresh token
    // has been revoked in the meantime. Without user credentials there is nothing to fall back to.
    let refreshes = Arc::new(Mutex::new(0));
    let seen = refreshes.clone();
    let server = MockServer::start(move |r| {
        if is_token_request(r) {
            let mut n = seen.lock().unwrap();
            *n += 1;
            if *n == 1 {
                token("acc-1", "ref-2", 3600)
            } else {
                Reply::json(
                    400,
                    json!({"error": "invalid_grant", "error_description": "Refresh token revoked."}),
                )
            }
        } else {
            Reply::json(401, json!({"code": "Unauthorized", "message": "token revoked"}))
        }
    })
    .await;
    let client = builder(&server).refresh_token("3g4atvsqc6pfcaht").build().unwrap();
    let err: Error = client.list_workspaces().send().await.unwrap_err();
    match &err {
        Error::Auth(m) => assert_eq!(
            m,
            "refresh_token grant refused (400 Bad Request): invalid_grant: Refresh token revoked. \
             (after the service answered 401 Unauthorized)"
        ),
        other => panic!("expected Error::Auth, got {other:?}"),
    }
    assert_eq!(*refreshes.lock().unwrap(), 2, "one refresh to start, one after the 401");
    assert_eq!(
        server.requests_to("/workspaces").len(),
        1,
        "not resent without a new token"
    );
    assert!(!format!("{err:?}").contains("ref-2") && !format!("{err:?}").contains("acc-1"));
}

#[tokio::test]
async fn a_short_lived_token_is_not_renewed_on_every_call() {
    // 120 s against the 60 s early-refresh margin: one token request for 20 concurrent calls.
    let server = MockServer::start(|r| {
        if is_token_request(r) {
            token("acc-short", "ref-short", 120)
        } else {
            workspaces()
        }
    })
    .await;
    let client = builder(&server).user_credentials(USERNAME, PASSWORD).build().unwrap();
    let calls = (0..20).map(|_| client.list_workspaces().send());
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(server.requests().iter().filter(|r| is_token_request(r)).count(), 1);
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let invalid = |b: ClientBuilder, names: &str| {
        let err = b.build().unwrap_err();
        assert!(matches!(&err, Error::InvalidInput(m) if m.contains(names)), "{err:?}");
    };
    let ok = || {
        Client::builder()
            .client_credentials("id", "secret")
            .user_credentials("u", "p")
    };
    invalid(ok().base_url("http://api.example.com"), "base_url");
    invalid(ok().base_url("::"), "base_url");
    invalid(
        Client::builder()
            .client_credentials("id", "")
            .user_credentials("u", "p"),
        "client secret is empty",
    );
    invalid(
        Client::builder()
            .client_credentials("id", "s")
            .user_credentials("u", ""),
        "password is empty",
    );
    invalid(
        Client::builder().client_credentials("id", "s").refresh_token(""),
        "refresh token is empty",
    );
    ok().base_url("http://localhost:1").build().unwrap();
    ok().base_url("http://api.example.com")
        .allow_http(true)
        .build()
        .unwrap();
}

#[tokio::test]
async fn token_requests_of_their_own_get_the_grants_credentials_not_the_bearer_token() {
    use sdk_ci::runtime::Authenticator;
    let server = MockServer::start(|r: &Recorded| {
        if is_token_request(r) {
            standard_tokens(r)
        } else {
            workspaces()
        }
    })
    .await;
    let (_, auth) = builder(&server)
        .user_credentials(USERNAME, PASSWORD)
        .build_with_auth()
        .unwrap();
    let http = reqwest::Client::new();
    let token_url = format!("{}/oauth2/token", server.url());
    let form_request = |grant: &str| {
        http.post(&token_url)
            .header("authorization", "Bearer stale")
            .form(&[
                ("grant_type", grant),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ])
            .build()
            .unwrap()
    };

    // A password grant (the generated `create_token`): the user's Basic credentials.
    let mut password = form_request("password");
    auth.authorize(&mut password).await.unwrap();
    assert_eq!(password.headers()["authorization"], BASIC);
    // A refresh grant: no Authorization at all.
    let mut refresh = form_request("refresh_token");
    auth.authorize(&mut refresh).await.unwrap();
    assert!(refresh.headers().get("authorization").is_none());
    assert!(server.requests().is_empty(), "neither signs in");

    // A delegate-token request (JSON, same URL) and any API call: the bearer token.
    let mut delegate = http
        .post(format!("{token_url}#delegate"))
        .json(&json!({"assetId": "a", "scope": "UploadCoverElement"}))
        .build()
        .unwrap();
    auth.authorize(&mut delegate).await.unwrap();
    assert_eq!(delegate.headers()["authorization"], "Bearer acc-pw");
    let mut call = http.get(format!("{}/workspaces", server.url())).build().unwrap();
    auth.authorize(&mut call).await.unwrap();
    assert_eq!(call.headers()["authorization"], "Bearer acc-pw");
    assert_eq!(trace(&server), ["token password"], "one sign-in, for the bearer token");
}
