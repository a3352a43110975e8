//! The asset operations (not in the provider's document; facts.md) on the wire: details with
//! unknown fields kept, delete, bulk details with a comma-joined `fields` string (and retried, as
//! it only reads), archive without a body, and the inferred copy.

use std::time::Duration;

use dam_test_server::{Fault, MockServer, Recorded, Reply};
use sdk_ci::types::{AssetDetailsRequest, AssetStatus, CopyAssetsRequest, CopyTarget, ProxyType};
use sdk_ci::{Client, RetryPolicy};
use serde_json::json;

async fn ci() -> MockServer {
    MockServer::start(|r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/oauth2/token") => Reply::json(
            200,
            json!({"access_token": "tok", "expires_in": 86400, "token_type": "bearer", "refresh_token": "r2"}),
        ),
        ("GET", "/assets/a1") => Reply::json(
            200,
            json!({
                "id": "a1", "name": "interview.mov", "size": 10000, "type": "Video", "format": "mov",
                "status": "Complete", "md5Checksum": "5d41402abc4b2a76b9719d911017c592",
                "thumbnails": [{"type": "small", "location": "https://cdn.example/t.jpg", "size": 1}],
                "proxies": [{"type": "video-hd", "location": "https://cdn.example/p.mp4", "size": 6}],
                "folder": {"id": "f1", "name": "Root"}, "workspace": {"id": "w1", "name": "News"},
                "archiveStatus": "Not archived", "restoreStatus": "Not restored",
                "uploadTransferType": "MultipartHttp", "isTrashed": false, "isDeleted": false,
                "frameRate": "29.97", "customBadge": {"color": "red"}
            }),
        ),
        ("DELETE", "/assets/a1") => Reply::json(200, json!({"message": "Asset was deleted"})),
        ("POST", "/assets/details/bulk") => Reply::json(
            200,
            json!({"count": 2, "items": [{"id": "a1", "name": "x.mov"}, {"id": "a2", "name": "y.mov", "size": 7}]}),
        ),
        ("POST", "/assets/a1/archive") => Reply::json(200, json!({"message": "Asset archive has started."})),
        ("POST", "/assets/copy") => Reply::json(
            200,
            json!({"completeCount": 1, "errorCount": 0, "errors": [], "complete": []}),
        ),
        _ => Reply::json(404, json!({"code": "NotFound", "message": "no such route"})),
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

fn api_requests(server: &MockServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path != "/oauth2/token")
        .collect()
}

#[tokio::test]
async fn asset_details_decode_and_keep_unknown_fields() {
    let server = ci().await;
    let asset = client(&server)
        .get_asset()
        .asset_id("a1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(asset.name.as_deref(), Some("interview.mov"));
    assert_eq!(asset.status, Some(AssetStatus::Complete));
    assert_eq!(asset.proxies[0].type_, Some(ProxyType::VideoHd));
    assert_eq!(asset.workspace.as_ref().and_then(|w| w.id.as_deref()), Some("w1"));
    assert_eq!(asset.is_deleted, Some(false));
    assert_eq!(asset.extra.get("frameRate"), Some(&json!("29.97")));
    assert_eq!(asset.extra.get("customBadge"), Some(&json!({"color": "red"})));
    // Written back, the unknown fields travel too.
    let written = serde_json::to_value(&asset).unwrap();
    assert_eq!(written["customBadge"], json!({"color": "red"}));

    let r = &api_requests(&server)[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_deref()),
        ("GET", "/assets/a1", None)
    );
    assert_eq!(r.header("authorization"), Some("Bearer tok"));
}

#[tokio::test]
async fn delete_bulk_details_archive_and_copy_on_the_wire() {
    let server = ci().await;
    let client = client(&server);
    let deleted = client.delete_asset().asset_id("a1").send().await.unwrap().into_inner();
    assert_eq!(deleted.message.as_deref(), Some("Asset was deleted"));
    let assets = client
        .get_assets_details()
        .body(AssetDetailsRequest {
            asset_ids: vec!["a1".into(), "a2".into()],
            fields: Some(vec!["name".to_string(), "size".to_string()].into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(assets.count, Some(2));
    assert_eq!(assets.items[1].size, Some(7));
    let archived = client.archive_asset().asset_id("a1").send().await.unwrap().into_inner();
    assert_eq!(archived.message.as_deref(), Some("Asset archive has started."));
    let mut target = CopyTarget {
        workspace_id: "w2".into(),
        extra: Default::default(),
    };
    target.extra.insert("folderId".into(), json!("f9"));
    let copied = client
        .copy_assets()
        .body(CopyAssetsRequest {
            asset_ids: vec!["a1".into()],
            targets: vec![target],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(copied.complete_count, Some(1));

    let wire: Vec<(String, String, Option<String>, String)> = api_requests(&server)
        .into_iter()
        .map(|r| {
            let content_type = r.header("content-type").map(str::to_string);
            (r.method.clone(), r.path.clone(), content_type, r.text())
        })
        .collect();
    let json = Some("application/json".to_string());
    assert_eq!(
        wire,
        [
            ("DELETE".into(), "/assets/a1".into(), None, String::new()),
            (
                "POST".into(),
                "/assets/details/bulk".into(),
                json.clone(),
                r#"{"assetIds":["a1","a2"],"fields":"name,size"}"#.into()
            ),
            ("POST".into(), "/assets/a1/archive".into(), None, String::new()),
            (
                "POST".into(),
                "/assets/copy".into(),
                json,
                r#"{"assetIds":["a1"],"targets":[{"workspaceId":"w2","folderId":"f9"}]}"#.into()
            ),
        ]
    );
    let archive = &server.requests_to("/assets/a1/archive")[0];
    assert_eq!(
        archive.header("content-length"),
        Some("0"),
        "Ci refuses a POST without one"
    );
}

#[tokio::test]
async fn bulk_details_are_retried_when_throttled_but_archive_is_not() {
    let server = ci().await;
    server.inject(
        Fault::status(503)
            .retry_after(0)
            .method("POST")
            .path("/assets/details/bulk"),
    );
    server.inject(
        Fault::status(503)
            .retry_after(0)
            .method("POST")
            .path("/assets/a1/archive"),
    );
    let client = client(&server);
    client
        .get_assets_details()
        .body(AssetDetailsRequest {
            asset_ids: vec!["a1".into()],
            fields: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(server.requests_to("/assets/details/bulk").len(), 2);
    let err = client.archive_asset().asset_id("a1").send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests_to("/assets/a1/archive").len(), 1);
}
