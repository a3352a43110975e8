//! Credentials on the wire: Personal Access Token headers, the OAuth authorize URL with PKCE, the
//! code exchange, refreshes (early, after a 401, once under concurrency), revocation and redaction.
//! Expected values (base64, SHA-256 challenges, form encodings) were computed with python3.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_mediagraph::{
    AuthorizationRequest, Client, Error, OAuthConfig, OAuthSession, PersonalAccessToken, Pkce, RetryPolicy, Secret,
    TokenSet, types,
};
use serde_json::json;

const TOKEN: &str = "8b5913aea36379a098fb4187d8a5face";
/// python3 -c 'import base64; print(base64.b64encode(b":8b5913aea36379a098fb4187d8a5face").decode())'
const BASIC: &str = "Basic OjhiNTkxM2FlYTM2Mzc5YTA5OGZiNDE4N2Q4YTVmYWNl";

/// A fixed PKCE verifier and its S256 challenge:
/// python3 -c 'import base64,hashlib; v=b"dBjftJeZ4CVP-mJ0dczp4-0gdxwOOkDH1CUw_Wb8BBs";
///   print(base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b"=").decode())'
const VERIFIER: &str = "dBjftJeZ4CVP-mJ0dczp4-0gdxwOOkDH1CUw_Wb8BBs";
const CHALLENGE: &str = "VfGOKqJdRHMfetJ_LJ8_sGH-2vjETR0oJw0qzJkW6RQ";

fn pat_client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .personal_access_token(TOKEN, 100)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn config(server: &MockServer) -> OAuthConfig {
    OAuthConfig::new("cid-1", "https://app.example/cb")
        .scope("read write")
        .host(server.url())
}

fn oauth_client(server: &MockServer, session: &OAuthSession) -> Client {
    Client::builder()
        .base_url(server.url())
        .oauth(session.clone())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn tag(id: i64) -> serde_json::Value {
    json!({"id": id, "name": "Sunset"})
}

#[tokio::test]
async fn personal_access_token_headers_on_get_post_put_delete_and_head() {
    let server = MockServer::start(|r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/api/assets/7") => Reply::json(200, json!({"id": 7})),
        ("POST", "/api/tags") | ("PUT", "/api/tags/5") => Reply::json(200, tag(5)),
        ("DELETE", "/api/tags/5") => Reply::json(200, json!({})),
        ("HEAD", "/api/assets/7/download") => Reply::status(200).header("accept-ranges", "bytes"),
        _ => Reply::status(404),
    })
    .await;
    let client = pat_client(&server);
    client.get_asset().id("7").send().await.unwrap();
    client
        .create_tag()
        .body_map(|b| {
            b.tag(
                types::NewTag::builder()
                    .name("Sunset")
                    .sub_type(types::TagSubType::Keyword),
            )
        })
        .send()
        .await
        .unwrap();
    client
        .update_tag()
        .id(5)
        .body(types::TagUpdateBody {
            tag: types::TagChanges {
                name: "Sunset".into(),
                description: None,
                extra: Default::default(),
            },
        })
        .send()
        .await
        .unwrap();
    client.delete_tag().id(5).send().await.unwrap();
    client.head_download_asset().id(7).send().await.unwrap();

    let requests = server.requests();
    let seen: Vec<_> = requests.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("GET", "/api/assets/7"),
            ("POST", "/api/tags"),
            ("PUT", "/api/tags/5"),
            ("DELETE", "/api/tags/5"),
            ("HEAD", "/api/assets/7/download"),
        ]
    );
    for r in &requests {
        assert_eq!(r.header("authorization"), Some(BASIC), "{} {}", r.method, r.path);
        assert_eq!(r.header("organizationid"), Some("100"), "{} {}", r.method, r.path);
        assert_eq!(
            r.headers.iter().filter(|(n, _)| n == "authorization").count(),
            1,
            "one Authorization header"
        );
    }
    assert_eq!(
        requests[1].json(),
        json!({"tag": {"name": "Sunset", "sub_type": "keyword"}})
    );
    assert_eq!(requests[2].json(), json!({"tag": {"name": "Sunset"}}));
}

#[tokio::test]
async fn a_refused_personal_access_token_is_an_api_error_without_the_token() {
    let server =
        MockServer::start(|_| Reply::json(401, json!({"error": "unauthorized", "message": "Invalid token"}))).await;
    let err: Error = pat_client(&server).who_am_i().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.message(), Some("Invalid token"));
    assert_eq!(server.requests().len(), 1, "a token cannot be renewed, so no resend");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[tokio::test]
async fn building_without_credentials_fails() {
    let err = Client::builder().build().unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
}

#[test]
fn authorize_url_has_the_exact_query_and_pkce_challenge() {
    let pkce = Pkce::from_verifier(VERIFIER).unwrap();
    assert_eq!(pkce.challenge(), CHALLENGE);
    let config = OAuthConfig::new("cid-1", "https://app.example/cb").scope("read write");
    // python3 urllib.parse.urlencode of the same pairs.
    assert_eq!(
        config.authorize_url("st/42", &pkce).unwrap(),
        format!(
            "https://mediagraph.io/oauth/authorize?response_type=code&client_id=cid-1\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=read+write&state=st%2F42\
             &code_challenge={CHALLENGE}&code_challenge_method=S256"
        )
    );
    let config = config.host("http://127.0.0.1:9/");
    assert!(
        config
            .authorize_url("s", &pkce)
            .unwrap()
            .starts_with("http://127.0.0.1:9/oauth/authorize?response_type=code&")
    );
}

#[test]
fn started_authorizations_are_random_and_check_the_redirect() {
    let config = OAuthConfig::new("cid-1", "https://app.example/cb");
    let a = config.start_authorization().unwrap();
    let b = config.start_authorization().unwrap();
    assert_ne!(a.state, b.state);
    assert_ne!(a.pkce.verifier(), b.pkce.verifier());
    let verifier = a.pkce.verifier().expose();
    assert!((43..=128).contains(&verifier.len()), "{}", verifier.len());
    let again = Pkce::from_verifier(verifier.to_string()).unwrap();
    assert_eq!(again.challenge(), a.pkce.challenge());
    assert!(a.url.contains(&format!("&state={}&", a.state)));
    assert!(a.url.ends_with(&format!(
        "&code_challenge={}&code_challenge_method=S256",
        a.pkce.challenge()
    )));
    assert!(!a.url.contains("scope="), "no scope unless configured");

    let request = AuthorizationRequest {
        url: String::new(),
        state: "st-1".into(),
        pkce: Pkce::from_verifier(VERIFIER).unwrap(),
    };
    assert_eq!(
        request
            .code_from_redirect("https://app.example/cb?code=c0de%2F1&state=st-1")
            .unwrap(),
        "c0de/1"
    );
    assert!(matches!(
        request.code_from_redirect("https://app.example/cb?code=c&state=other"),
        Err(Error::Auth(_))
    ));
    let declined = request
        .code_from_redirect("https://app.example/cb?error=access_denied&state=st-1")
        .unwrap_err();
    assert!(declined.to_string().contains("access_denied"), "{declined}");
}

fn token_answer(access: &str, refresh: Option<&str>, expires_in: i64) -> Reply {
    let mut body = json!({"access_token": access, "token_type": "Bearer", "expires_in": expires_in, "scope": "read write", "created_at": 1713370000});
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    Reply::json(200, body)
}

#[tokio::test]
async fn code_exchange_sends_the_exact_form_and_the_session_sends_bearer() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/oauth/token" => token_answer("at-1", Some("rt-1"), 7200),
        _ => Reply::json(200, json!({"id": 3235, "name": "Chasidy Prosacco"})),
    })
    .await;
    let config = config(&server).client_secret("s3cr&t");
    let pkce = Pkce::from_verifier(VERIFIER).unwrap();
    let session = config.exchange_code("c0de/1", &pkce).await.unwrap();
    let tokens = session.tokens();
    assert_eq!(tokens.access_token.expose(), "at-1");
    assert_eq!(tokens.refresh_token.as_ref().map(Secret::expose), Some("rt-1"));
    assert_eq!(tokens.scope.as_deref(), Some("read write"));
    let left = tokens.expires_at.unwrap().duration_since(SystemTime::now()).unwrap();
    assert!(
        left > Duration::from_secs(7100) && left <= Duration::from_secs(7200),
        "{left:?}"
    );

    let me = oauth_client(&server, &session).who_am_i().send().await.unwrap();
    assert_eq!(me.name.as_deref(), Some("Chasidy Prosacco"));

    let requests = server.requests();
    let exchange = &requests[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.path, "/oauth/token");
    assert_eq!(exchange.query, None);
    assert_eq!(
        exchange.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(exchange.header("authorization"), None);
    // python3 urllib.parse.urlencode of the same pairs.
    assert_eq!(
        exchange.text(),
        "grant_type=authorization_code&code=c0de%2F1&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &client_id=cid-1&code_verifier=dBjftJeZ4CVP-mJ0dczp4-0gdxwOOkDH1CUw_Wb8BBs&client_secret=s3cr%26t"
    );
    let call = &requests[1];
    assert_eq!(call.path, "/api/whoami");
    assert_eq!(call.header("authorization"), Some("Bearer at-1"));
    assert_eq!(
        call.header("organizationid"),
        None,
        "OAuth calls need no OrganizationId"
    );
}

#[tokio::test]
async fn a_refused_code_is_an_auth_error_naming_the_reason() {
    let server = MockServer::start(|_| {
        Reply::json(
            400,
            json!({"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"}),
        )
    })
    .await;
    let pkce = Pkce::from_verifier(VERIFIER).unwrap();
    let err = config(&server).exchange_code("c0de", &pkce).await.unwrap_err();
    match &err {
        Error::Auth(m) => {
            assert!(m.contains("400"), "{m}");
            assert!(
                m.contains("invalid_grant: The provided authorization grant is invalid"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err:?}").contains(VERIFIER));
}

#[tokio::test]
async fn token_answers_that_are_not_tokens_are_errors_not_panics() {
    for body in [&b"{\"access_token\": \"at-"[..], b"<html>oops</html>", b"{}"] {
        let body = body.to_vec();
        let server = MockServer::start(move |_| Reply::json(200, json!({})).body(body.clone())).await;
        let pkce = Pkce::from_verifier(VERIFIER).unwrap();
        let err = config(&server).exchange_code("c", &pkce).await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. } | Error::Auth(_)), "{err:?}");
        assert!(!format!("{err:?}").contains("at-"), "{err:?}");
    }
}

#[tokio::test]
async fn the_access_token_is_refreshed_five_minutes_before_it_expires() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/oauth/token" => token_answer("at-2", Some("rt-2"), 7200),
        _ => Reply::json(200, json!({"id": 7})),
    })
    .await;
    let tokens = TokenSet::new("at-1")
        .refresh_token("rt-1")
        .expires_at(SystemTime::now() + Duration::from_secs(240));
    let session = config(&server).session(tokens).unwrap();
    let client = oauth_client(&server, &session);
    client.get_asset().id("7").send().await.unwrap();
    client.get_asset().id("7").send().await.unwrap();

    let requests = server.requests();
    let seen: Vec<_> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(seen, ["/oauth/token", "/api/assets/7", "/api/assets/7"]);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        requests[0].text(),
        "grant_type=refresh_token&refresh_token=rt-1&client_id=cid-1"
    );
    assert_eq!(requests[1].header("authorization"), Some("Bearer at-2"));
    assert_eq!(requests[2].header("authorization"), Some("Bearer at-2"));
    let tokens = session.tokens();
    assert_eq!(tokens.access_token.expose(), "at-2");
    assert_eq!(
        tokens.refresh_token.as_ref().map(Secret::expose),
        Some("rt-2"),
        "the new refresh token is kept"
    );
}

#[tokio::test]
async fn a_token_with_time_left_is_not_refreshed_and_refresh_keeps_the_old_refresh_token() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/oauth/token" => token_answer("at-2", None, 7200),
        _ => Reply::json(200, json!({"id": 7})),
    })
    .await;
    let tokens = TokenSet::new("at-1")
        .refresh_token("rt-1")
        .expires_at(SystemTime::now() + Duration::from_secs(400));
    let session = config(&server).session(tokens).unwrap();
    oauth_client(&server, &session)
        .get_asset()
        .id("7")
        .send()
        .await
        .unwrap();
    assert_eq!(server.requests()[0].header("authorization"), Some("Bearer at-1"));

    session.refresh().await.unwrap();
    let tokens = session.tokens();
    assert_eq!(tokens.access_token.expose(), "at-2");
    assert_eq!(tokens.refresh_token.as_ref().map(Secret::expose), Some("rt-1"));
}

/// API calls succeed only with `at-2`; the token endpoint issues it after `delay`.
fn refresh_server(refreshes: Arc<AtomicUsize>, delay: Duration) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    move |r| match r.path.as_str() {
        "/oauth/token" => {
            refreshes.fetch_add(1, Ordering::SeqCst);
            token_answer("at-2", Some("rt-2"), 7200).delay(delay)
        }
        _ if r.header("authorization") == Some("Bearer at-2") => Reply::json(200, json!({"id": 7})),
        _ => Reply::json(
            401,
            json!({"error": "invalid_token", "error_description": "The access token expired"}),
        ),
    }
}

#[tokio::test]
async fn a_401_refreshes_once_and_resends() {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let server = MockServer::start(refresh_server(refreshes.clone(), Duration::ZERO)).await;
    let session = config(&server)
        .session(TokenSet::new("at-1").refresh_token("rt-1"))
        .unwrap();
    let asset = oauth_client(&server, &session)
        .get_asset()
        .id("7")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.id.as_ref().unwrap().as_str(), "7");

    let requests = server.requests();
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.path.as_str(), r.header("authorization")))
        .collect();
    assert_eq!(
        seen,
        [
            ("/api/assets/7", Some("Bearer at-1")),
            ("/oauth/token", None),
            ("/api/assets/7", Some("Bearer at-2")),
        ]
    );
    assert_eq!(
        requests[1].text(),
        "grant_type=refresh_token&refresh_token=rt-1&client_id=cid-1"
    );
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_401s_cause_one_refresh() {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let server = MockServer::start(refresh_server(refreshes.clone(), Duration::from_millis(100))).await;
    let session = config(&server)
        .session(TokenSet::new("at-1").refresh_token("rt-1"))
        .unwrap();
    let client = Arc::new(oauth_client(&server, &session));
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_asset().id("7").send().await.map(|_| ()) })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        refreshes.load(Ordering::SeqCst),
        1,
        "one refresh for every refused call"
    );
    let api = server.requests_to("/api/assets/7");
    let refused = api
        .iter()
        .filter(|r| r.header("authorization") == Some("Bearer at-1"))
        .count();
    let resent = api
        .iter()
        .filter(|r| r.header("authorization") == Some("Bearer at-2"))
        .count();
    assert_eq!(refused + resent, api.len());
    assert_eq!(resent, 50);
    assert!(refused >= 1);
}

#[tokio::test]
async fn a_refused_refresh_token_fails_cleanly() {
    let server = MockServer::start(|r| match r.path.as_str() {
        // The service echoes the token; it must not reach the error message.
        "/oauth/token" => Reply::json(
            400,
            json!({"error": "invalid_grant", "error_description": "refresh token rt-1 was revoked"}),
        ),
        _ => Reply::json(401, json!({"error": "invalid_token"})),
    })
    .await;
    let session = config(&server)
        .session(TokenSet::new("at-1").refresh_token("rt-1"))
        .unwrap();
    let err: Error = oauth_client(&server, &session)
        .get_asset()
        .id("7")
        .send()
        .await
        .unwrap_err();
    // Refused, and the refresh failed: an auth error with the reason, never the token.
    assert!(
        matches!(&err, Error::Auth(m) if m.contains("invalid_grant") && m.contains("401") && !m.contains("rt-1")),
        "{err:?}"
    );
    assert_eq!(
        server.requests_to("/api/assets/7").len(),
        1,
        "not resent without a new token"
    );

    let err = session.refresh().await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(!text.contains("rt-1"), "{text}");

    let no_refresh = config(&server).session(TokenSet::new("at-1")).unwrap();
    assert!(matches!(no_refresh.refresh().await, Err(Error::Auth(_))));
}

#[tokio::test]
async fn revoke_sends_the_token_and_client() {
    let server = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let session = config(&server)
        .client_secret("s3cr&t")
        .session(TokenSet::new("at-2").refresh_token("rt-2"))
        .unwrap();
    session.revoke().await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/oauth/revoke");
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.text(), "token=at-2&client_id=cid-1&client_secret=s3cr%26t");

    config(&server).revoke_token(&Secret::new("rt-9")).await.unwrap();
    assert_eq!(server.requests()[1].text(), "token=rt-9&client_id=cid-1");

    let server = MockServer::start(|_| Reply::json(403, json!({"error": "unauthorized_client"}))).await;
    let err = config(&server).revoke_token(&Secret::new("rt-9")).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
}

#[tokio::test]
async fn debug_output_never_shows_a_credential() {
    let server = MockServer::start(|_| token_answer("access-SECRET-1", Some("refresh-SECRET-2"), 7200)).await;
    let config = config(&server).client_secret("client-SECRET-3");
    let pkce = Pkce::from_verifier(format!("verifier-SECRET-4-{}", "x".repeat(40))).unwrap();
    let session = config.exchange_code("code-SECRET-5", &pkce).await.unwrap();
    let request = config.start_authorization().unwrap();
    let pat = PersonalAccessToken::new("pat-SECRET-6", 100);
    let pat_builder = Client::builder().personal_access_token("pat-SECRET-6", 100);
    let oauth_builder = Client::builder().oauth(session.clone());
    let pat_client = pat_builder.clone().build().unwrap();
    let oauth_client = oauth_builder.clone().build().unwrap();
    let printed = [
        format!("{config:?}"),
        format!("{pkce:?}"),
        format!("{session:?}"),
        format!("{:?}", session.tokens()),
        format!("{request:?}"),
        format!("{pat:?}"),
        format!("{:?}", pat.authorization()),
        format!("{pat_builder:?}"),
        format!("{oauth_builder:?}"),
        format!("{pat_client:?}"),
        format!("{oauth_client:?}"),
    ];
    let verifier = request.pkce.verifier().expose().to_string();
    for text in &printed {
        assert!(!text.contains("SECRET"), "{text}");
        assert!(!text.contains(&verifier), "{text}");
        assert!(!text.contains("OnBhdC1TRUNSRVQtNg"), "base64 of the token: {text}");
    }
    assert!(
        printed[5].contains("100"),
        "the organization id is not secret: {}",
        printed[5]
    );
}

#[tokio::test]
async fn a_short_lived_token_is_not_refreshed_on_every_call() {
    // A 120 s token against the 5-minute early-refresh margin: fresh for its first 60 s.
    let refreshes = Arc::new(AtomicUsize::new(0));
    let r = refreshes.clone();
    let server = MockServer::start(move |req| match req.path.as_str() {
        "/oauth/token" => {
            if req
                .form()
                .iter()
                .any(|(k, v)| k == "grant_type" && v == "refresh_token")
            {
                r.fetch_add(1, Ordering::SeqCst);
            }
            token_answer("at-short", Some("rt-short"), 120)
        }
        _ => Reply::json(200, json!({"id": 1})),
    })
    .await;
    let pkce = Pkce::from_verifier(VERIFIER).unwrap();
    let session = config(&server).exchange_code("c0de", &pkce).await.unwrap();
    let client = oauth_client(&server, &session);
    let calls = (0..20).map(|_| client.who_am_i().send());
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(
        refreshes.load(Ordering::SeqCst),
        0,
        "a fresh 120 s token is used, not refreshed"
    );
    assert_eq!(server.requests_to("/api/whoami").len(), 20);
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let invalid = |result: Result<Client, Error>, names: &str| match result {
        Err(Error::InvalidInput(m)) => assert!(m.contains(names), "{m}"),
        other => panic!("{other:?}"),
    };
    let pat = || Client::builder().personal_access_token("tok", 42);
    invalid(pat().base_url("http://api.example.com").build(), "base_url");
    invalid(pat().base_url("not a url").build(), "base_url");
    invalid(
        Client::builder().personal_access_token("", 42).build(),
        "personal access token is empty",
    );
    invalid(
        Client::builder().personal_access_token("tok", "").build(),
        "organization id is empty",
    );
    pat().base_url("http://127.0.0.1:9").build().unwrap();
    pat()
        .base_url("http://api.example.com")
        .allow_http(true)
        .build()
        .unwrap();
    // Codes and tokens only over TLS to the OAuth host.
    let err = OAuthConfig::new("cid-1", "https://app.example/cb")
        .host("http://mediagraph.example.com")
        .start_authorization()
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("OAuth host")),
        "{err:?}"
    );
}
