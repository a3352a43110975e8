//! Ci calls against a loopback server: typed errors, retries and rate-limit headers, paging
//! streams, and MediaBox credentials.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dam_test_server::{MockServer, Recorded, Reply};
use futures_util::{StreamExt, TryStreamExt};
use sdk_ci::types::{ContentKind, CreateFolderRequest, ListEventsRequest};
use sdk_ci::{Client, Error, MediaBoxAccess, RateLimit, RateLimitExt, RetryPolicy};
use serde_json::json;

/// A Ci server: the token endpoint answers every grant with `Bearer tok`; `api` answers the rest.
async fn ci(api: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> MockServer {
    MockServer::start(move |r| {
        if r.path == "/oauth2/token" && r.header("content-type") == Some("application/x-www-form-urlencoded") {
            Reply::json(
                200,
                json!({"access_token": "tok", "expires_in": 86400, "token_type": "bearer", "refresh_token": "r2"}),
            )
        } else {
            api(r)
        }
    })
    .await
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .client_credentials("cid", "csecret")
        .refresh_token("r1")
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

/// Requests other than token requests.
fn api_requests(server: &MockServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path != "/oauth2/token")
        .collect()
}

#[tokio::test]
async fn api_errors_carry_status_code_message_and_request_id() {
    let server = ci(|_| {
        Reply::json(404, json!({"code": "FolderNotFound", "message": "Folder not found."}))
            .header("x-request-id", "req-7f3a")
    })
    .await;
    let err: Error = client(&server).get_folder().folder_id("f1").send().await.unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(err.status().unwrap().as_u16(), 404);
    assert_eq!(api.body.code.as_deref(), Some("FolderNotFound"));
    assert_eq!(api.body.message.as_deref(), Some("Folder not found."));
    assert_eq!(err.request_id(), Some("req-7f3a"));
    assert_eq!(
        err.to_string(),
        "ci answered 404 Not Found: FolderNotFound: Folder not found. (request id req-7f3a)"
    );
    let r = &api_requests(&server)[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/folders/f1"));
    assert_eq!(r.header("authorization"), Some("Bearer tok"));
    assert_eq!(r.header("api-version"), None);
}

#[tokio::test]
async fn oauth_shaped_and_unparsable_error_bodies_are_kept() {
    let server = ci(|_| {
        Reply::json(
            400,
            json!({"error": "invalid_request", "error_description": "Missing or invalid authorization header"}),
        )
    })
    .await;
    let err: Error = client(&server)
        .delegate_token("a1", sdk_ci::types::DelegateTokenScope::UploadCoverElement)
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.body.error.as_deref(), Some("invalid_request"));
    assert_eq!(err.message(), Some("Missing or invalid authorization header"));

    let server = ci(|_| Reply::text(502, "<html>Bad gateway</html>")).await;
    let err: Error = client(&server).get_folder().folder_id("f1").send().await.unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(err.status().unwrap().as_u16(), 502);
    assert_eq!(api.body.raw, json!("<html>Bad gateway</html>"));
    assert_eq!(api.body.code, None);

    let server = ci(|_| Reply::status(500)).await;
    let err: Error = client(&server).get_folder().folder_id("f1").send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(api_requests(&server).len(), 1, "a 500 is not retried");
}

#[tokio::test]
async fn malformed_and_truncated_success_bodies_are_errors() {
    let server = ci(|_| Reply::json(200, json!({})).body(br#"{"id": "f1", "childCount": "#.to_vec())).await;
    let err: Error = client(&server).get_folder().folder_id("f1").send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    let body = br#"{"limit": 50, "offset": 0, "count": 1, "items": [{"id": "x"}]}"#.to_vec();
    let server = ci(move |_| Reply::json(200, json!({})).body(body.clone()).cut_after(12)).await;
    let err: Error = client(&server).list_workspaces().send().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_) | Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn throttled_calls_wait_for_retry_after_and_rate_limits_are_readable() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = ci(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::json(429, json!({"code": "TooManyRequests", "message": "Slow down."})).header("retry-after", "1"),
        _ => Reply::json(200, json!({"limit": 50, "offset": 0, "count": 0, "items": []}))
            .header("x-ratelimit-limit", "3000")
            .header("x-ratelimit-remaining", "2999")
            .header("x-ratelimit-reset", "1767225660")
            .header("retry-after", "0"),
    })
    .await;
    let started = Instant::now();
    let page = client(&server).list_workspaces().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 honoured");
    assert_eq!(api_requests(&server).len(), 2);
    assert_eq!(
        page.rate_limit(),
        RateLimit {
            limit: Some(3000),
            remaining: Some(2999),
            reset: Some(1767225660),
            retry_after: Some(Duration::ZERO),
        }
    );
}

#[tokio::test]
async fn a_503_is_retried_with_backoff_but_a_post_is_not() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = ci(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::json(503, json!({"code": "ServiceUnavailable", "message": "Maintenance."})),
        _ => Reply::json(200, json!({"id": "f1", "name": "Folder"})),
    })
    .await;
    let folder = client(&server).get_folder().folder_id("f1").send().await.unwrap();
    assert_eq!(folder.name.as_deref(), Some("Folder"));
    assert_eq!(api_requests(&server).len(), 2);

    let server = ci(|_| {
        Reply::json(503, json!({"code": "ServiceUnavailable", "message": "Maintenance."}))
            .header("x-ratelimit-remaining", "12")
    })
    .await;
    let err: Error = client(&server)
        .create_folder()
        .body(CreateFolderRequest {
            name: "New".into(),
            parent_folder_id: None,
            workspace_id: Some("ws1".into()),
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.rate_limit().remaining, Some(12));
    let posts = api_requests(&server);
    assert_eq!(posts.len(), 1, "a POST is never retried blindly");
    assert_eq!(posts[0].path, "/folders");
    assert_eq!(posts[0].json(), json!({"name": "New", "workspaceId": "ws1"}));
}

/// A folder listing of `total` assets named `a0`, `a1`, … that honours `limit`/`offset`;
/// `count` is sent when `with_count`.
fn listing(r: &Recorded, total: usize, with_count: bool) -> Reply {
    let offset: usize = r.query_param("offset").unwrap().parse().unwrap();
    let limit: usize = r.query_param("limit").unwrap().parse().unwrap();
    let items: Vec<_> = (offset..total.min(offset + limit))
        .map(|i| json!({"id": format!("a{i}"), "name": format!("a{i}"), "kind": "Asset"}))
        .collect();
    let mut page =
        json!({"limit": limit, "offset": offset, "order": {"by": "Name", "direction": "asc"}, "items": items});
    if with_count {
        page["count"] = json!(total);
    }
    Reply::json(200, page)
}

#[tokio::test]
async fn folder_contents_stream_pages_until_count() {
    let server = ci(|r| listing(r, 120, true)).await;
    let client = client(&server);
    let items: Vec<_> = client
        .folder_contents_stream("f1", Some(ContentKind::Asset))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 120);
    assert_eq!(items[0].id.as_deref(), Some("a0"));
    assert_eq!(items[119].id.as_deref(), Some("a119"));
    let requests = api_requests(&server);
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.query.as_deref().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", "/folders/f1/contents", "kind=asset&limit=50&offset=0"),
            ("GET", "/folders/f1/contents", "kind=asset&limit=50&offset=50"),
            ("GET", "/folders/f1/contents", "kind=asset&limit=50&offset=100"),
        ]
    );
}

#[tokio::test]
async fn streams_without_count_stop_on_an_empty_page() {
    let server = ci(|r| listing(r, 100, false)).await;
    let client = client(&server);
    let items: Vec<_> = client.workspaces_stream().try_collect().await.unwrap();
    assert_eq!(items.len(), 100);
    let queries: Vec<_> = api_requests(&server)
        .iter()
        .map(|r| format!("{} {}", r.path, r.query.as_deref().unwrap()))
        .collect();
    assert_eq!(
        queries,
        [
            "/workspaces limit=50&offset=0",
            "/workspaces limit=50&offset=50",
            "/workspaces limit=50&offset=100"
        ]
    );
}

#[tokio::test]
async fn builder_streams_keep_the_callers_filters() {
    let server = ci(|r| listing(r, 3, true)).await;
    let client = client(&server);
    let found: Vec<_> = client
        .search_workspace_contents()
        .workspace_id("ws1")
        .query("demo jpg")
        .limit(5)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 3);
    let r = &api_requests(&server)[0];
    assert_eq!(r.path, "/workspaces/ws1/search");
    assert_eq!(r.query.as_deref(), Some("limit=50&offset=0&query=demo+jpg"));
}

#[tokio::test]
async fn a_stream_yields_the_error_and_stops() {
    let server = ci(|r| match r.query_param("offset").as_deref() {
        Some("0") => listing(r, 120, true),
        _ => Reply::json(404, json!({"code": "FolderNotFound", "message": "Folder not found."})),
    })
    .await;
    let client = client(&server);
    let results: Vec<_> = client.trash_bin_stream("ws1", None).collect().await;
    assert_eq!(results.len(), 51);
    assert!(results[..50].iter().all(Result::is_ok));
    assert_eq!(
        results[50].as_ref().unwrap_err().status().map(|s| s.as_u16()),
        Some(404)
    );
    assert_eq!(api_requests(&server).len(), 2);
    assert_eq!(api_requests(&server)[0].path, "/workspaces/ws1/trashbin");
}

#[tokio::test]
async fn events_stream_pages_in_the_json_body() {
    let server = ci(|r| {
        let body = r.json();
        let offset = body["offset"].as_u64().unwrap() as usize;
        let items: Vec<_> = (offset..70.min(offset + 50))
            .map(|i| json!({"id": format!("e{i}"), "type": "CreateAsset"}))
            .collect();
        Reply::json(200, json!({"limit": 50, "offset": offset, "count": 70, "items": items}))
    })
    .await;
    let client = client(&server);
    let filter = ListEventsRequest {
        workspace_id: Some("ws1".into()),
        catalog_id: None,
        limit: Some(7),
        offset: None,
        order_direction: None,
        since: None,
        type_: Vec::new(),
    };
    let events: Vec<_> = client.events_stream(filter).try_collect().await.unwrap();
    assert_eq!(events.len(), 70);
    let bodies: Vec<_> = api_requests(&server)
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.json()))
        .collect();
    assert_eq!(
        bodies,
        [
            (
                "POST".into(),
                "/events".into(),
                json!({"workspaceId": "ws1", "limit": 50, "offset": 0})
            ),
            (
                "POST".into(),
                "/events".into(),
                json!({"workspaceId": "ws1", "limit": 50, "offset": 50})
            ),
        ]
    );
}

#[tokio::test]
async fn received_and_mediabox_streams_use_their_paths() {
    let server = ci(|r| listing(r, 2, true)).await;
    let client = client(&server);
    assert_eq!(
        client
            .received_mediaboxes_stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        client
            .mediabox_contents_stream("mb1", Some(ContentKind::All))
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        client
            .workspace_contents_stream("ws1", None)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        client
            .network_events_stream("n1")
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        2
    );
    let seen: Vec<_> = api_requests(&server)
        .iter()
        .map(|r| format!("{} {}", r.path, r.query.as_deref().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            "/mediaboxes/received limit=50&offset=0",
            "/mediaboxes/mb1/contents kind=all&limit=50&offset=0",
            "/workspaces/ws1/contents limit=50&offset=0",
            "/networks/n1/events limit=50&offset=0",
        ]
    );
}

#[tokio::test]
async fn protected_and_public_mediaboxes_send_their_own_credentials() {
    let server = ci(|r| {
        if r.path.ends_with("/open") {
            Reply::json(200, json!({"id": "mb1", "name": "Dailies"}))
        } else {
            listing(r, 1, true)
        }
    })
    .await;
    let client = client(&server);
    let protected = client.for_mediabox(MediaBoxAccess::Password("box-pass".into()));
    let opened = protected.open_mediabox().mediabox_id("mb1").send().await.unwrap();
    assert_eq!(opened.name.as_deref(), Some("Dailies"));
    let items: Vec<_> = protected
        .mediabox_contents_stream("mb1", None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    client
        .for_mediabox(MediaBoxAccess::Public)
        .open_mediabox()
        .mediabox_id("mb1")
        .send()
        .await
        .unwrap();
    client.open_mediabox().mediabox_id("mb1").send().await.unwrap();

    let requests = server.requests();
    let seen: Vec<_> = requests
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.header("authorization").unwrap_or("-")))
        .collect();
    assert_eq!(
        seen,
        [
            // `base64(":box-pass")`, computed with Python's `base64.b64encode`.
            "POST /mediaboxes/mb1/open Basic OmJveC1wYXNz",
            "GET /mediaboxes/mb1/contents Basic OmJveC1wYXNz",
            "POST /mediaboxes/mb1/open -",
            "POST /oauth2/token -",
            "POST /mediaboxes/mb1/open Bearer tok",
        ],
        "MediaBox credentials need no token request"
    );
    for r in requests.iter().filter(|r| r.path.ends_with("/open")) {
        assert_eq!(
            r.header("content-length"),
            Some("0"),
            "Ci wants Content-Length on bodiless POSTs"
        );
        assert!(r.body.is_empty());
    }
}
