//! The four SDK crates share one runtime: one `reqwest::Client` (one connection pool), one retry
//! policy and one error type serve the clients of every provider.

use std::time::Duration;

use dam_runtime::{Error, RetryPolicy, Timeouts};
use dam_test_server::{MockServer, Recorded, Reply};
use serde_json::json;

/// Code written once for every provider: it only needs the shared error type.
fn describe<T>(result: &Result<T, Error>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(Error::Api { status, request_id, .. }) => format!("refused {} ({request_id:?})", status.as_u16()),
        Err(e) => format!("other: {e}"),
    }
}

fn answer(r: &Recorded) -> Reply {
    match r.path.as_str() {
        // Ci's token endpoint.
        "/oauth2/token" => Reply::json(
            200,
            json!({"access_token": "a1", "refresh_token": "r2", "expires_in": 86400, "token_type": "bearer"}),
        ),
        "/folder" => Reply::json(200, json!([{"id": 1, "name": "Root"}])),
        "/workspaces" => Reply::json(200, json!({"limit": 50, "offset": 0, "count": 0, "items": []})),
        "/api/whoami" => Reply::json(200, json!({"id": 7})),
        _ => Reply::json(404, json!({"message": "no such thing"})).header("x-request-id", "rid-404"),
    }
}

#[tokio::test]
async fn one_http_client_and_one_retry_policy_serve_all_four_providers() {
    let servers = [
        MockServer::start(answer).await,
        MockServer::start(answer).await,
        MockServer::start(answer).await,
        MockServer::start(answer).await,
    ];
    let http = dam_runtime::http_client(Timeouts::default()).unwrap();
    let retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(1),
        ..RetryPolicy::default()
    };

    let skyfish = sdk_skyfish::Client::builder()
        .base_url(servers[0].url())
        .token("sky-token")
        .http_client(http.clone())
        .retry_policy(retry)
        .build()
        .unwrap();
    let ci = sdk_ci::Client::builder()
        .base_url(servers[1].url())
        .client_credentials("cid", "csecret")
        .refresh_token("r1")
        .http_client(http.clone())
        .retry_policy(retry)
        .build()
        .unwrap();
    let mediagraph = sdk_mediagraph::Client::builder()
        .base_url(servers[2].url())
        .personal_access_token("mg-token", 42)
        .http_client(http.clone())
        .retry_policy(retry)
        .build()
        .unwrap();
    let intelligencebank = sdk_intelligencebank::Client::builder()
        .session(sdk_intelligencebank::Session::new(
            servers[3].url(),
            "key",
            "user",
            "sid",
        ))
        .http_client(http.clone())
        .retry_policy(retry)
        .build()
        .await
        .unwrap();

    assert_eq!(describe(&skyfish.list_folders().send().await), "ok");
    assert_eq!(describe(&ci.list_workspaces().send().await), "ok");
    assert_eq!(describe(&mediagraph.who_am_i().send().await), "ok");
    // IntelligenceBank's root folder is not served here: its refusal is the same Error type.
    assert_eq!(
        describe(&intelligencebank.get_root_folder().send().await),
        r#"refused 404 (Some("rid-404"))"#
    );

    // Every request went through the one shared client (its user agent, not a crate's own).
    let agent = concat!("dam-runtime/", env!("CARGO_PKG_VERSION"));
    for server in &servers {
        let requests = server.requests();
        assert!(!requests.is_empty());
        for r in requests {
            assert_eq!(r.header("user-agent"), Some(agent), "{} {}", r.method, r.path);
        }
    }
}

#[tokio::test]
async fn the_shared_types_are_the_same_types_in_every_crate() {
    // These only compile because each crate re-exports the runtime's types.
    let retry: RetryPolicy = sdk_skyfish::RetryPolicy::default();
    let _: sdk_ci::RetryPolicy = retry;
    let _: sdk_mediagraph::Timeouts = dam_runtime::Timeouts::default();
    let _: sdk_intelligencebank::Secret = sdk_skyfish::Secret::new("s");
    let errors: Vec<dam_runtime::Error> = vec![
        sdk_skyfish::Error::InvalidInput("a".into()),
        sdk_ci::Error::InvalidInput("b".into()),
        sdk_mediagraph::Error::InvalidInput("c".into()),
        sdk_intelligencebank::Error::InvalidInput("d".into()),
    ];
    assert_eq!(errors.len(), 4);
    let _: &sdk_ci::ErrorBody = &dam_runtime::ErrorBody::default();
    let _: Option<sdk_mediagraph::runtime::LooseId> = None::<sdk_skyfish::runtime::LooseId>;
}
