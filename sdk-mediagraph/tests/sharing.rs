//! Sharing flows against a loopback server: sharing assets by link (lightbox, assets, link — and
//! the clean-up when a step fails) and a share awaited through the share listing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_mediagraph::{Client, Error, PollOptions, RetryPolicy, types};
use serde_json::json;

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .personal_access_token("tok-1", 42)
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn fast(max_attempts: u32) -> PollOptions {
    PollOptions {
        interval: Duration::from_millis(1),
        timeout: Duration::from_secs(30),
        max_attempts,
    }
}

/// The lightbox answer of the provider's example: `id` is the membership, `asset_group_id` the
/// lightbox.
fn lightbox() -> serde_json::Value {
    json!({"id": 35322, "asset_group_id": 67791, "name": "For the press", "type": "Lightbox"})
}

fn link_api(link_status: u16) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    move |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/api/lightboxes") => Reply::json(200, lightbox()),
        ("POST", "/api/assets/add_group") => Reply::json(200, json!({"count": 2, "added": 2})),
        ("POST", "/api/asset_groups/67791/share_links") if link_status == 200 => Reply::json(
            200,
            json!({"id": 47, "asset_group_id": 67791, "code": "5262c2d53c17e23f",
                   "url": "https://mediagraph.io/acme/share-links/5262c2d53c17e23f"}),
        ),
        ("POST", "/api/asset_groups/67791/share_links") => Reply::json(
            link_status,
            json!({"errors": {"image_and_video_permission": ["is invalid"]}}),
        ),
        ("DELETE", "/api/lightboxes/35322") => Reply::json(200, json!({})),
        _ => Reply::json(404, json!({"error": "not_found"})),
    }
}

#[tokio::test]
async fn share_assets_by_link_creates_a_lightbox_fills_it_and_links_it() {
    let server = MockServer::start(link_api(200)).await;
    let settings = types::ShareLinkSettings::builder()
        .image_and_video_permission(types::ShareLinkMediaPermission::DownloadSmall)
        .watermark_all(true);
    let shared = client(&server)
        .share_assets_by_link("For the press", &[1487, 1488], settings)
        .await
        .unwrap();
    assert_eq!(
        shared.share_link.url.as_deref(),
        Some("https://mediagraph.io/acme/share-links/5262c2d53c17e23f")
    );
    assert_eq!(shared.lightbox.asset_group_id.as_ref().unwrap().as_str(), "67791");

    let requests = server.requests();
    let seen: Vec<_> = requests.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("POST", "/api/lightboxes"),
            ("POST", "/api/assets/add_group"),
            ("POST", "/api/asset_groups/67791/share_links"),
        ]
    );
    assert_eq!(requests[0].text(), r#"{"lightbox":{"name":"For the press"}}"#);
    assert_eq!(requests[1].text(), r#"{"asset_group_id":67791,"ids":[1487,1488]}"#);
    assert_eq!(
        requests[2].text(),
        r#"{"share_link":{"image_and_video_permission":"download_small","watermark_all":true}}"#
    );
    assert!(
        requests
            .iter()
            .all(|r| r.header("content-type") == Some("application/json"))
    );
}

#[tokio::test]
async fn a_refused_link_deletes_the_new_lightbox_and_returns_the_refusal() {
    let server = MockServer::start(link_api(422)).await;
    let err = client(&server)
        .share_assets_by_link("For the press", &[1487], types::ShareLinkSettings::builder())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    let requests = server.requests();
    let last = requests.last().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("DELETE", "/api/lightboxes/35322")
    );
    assert_eq!(requests.len(), 4);
}

#[tokio::test]
async fn share_assets_by_link_refuses_an_empty_list_without_a_call() {
    let server = MockServer::start(link_api(200)).await;
    let err = client(&server)
        .share_assets_by_link("Empty", &[], types::ShareLinkSettings::builder())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(server.requests().is_empty());
}

/// The share API: creation answers pending; the listing shows the share pending `pending_reads`
/// times, then processed.
fn share_api(pending_reads: usize, listed: bool) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    let reads = Arc::new(AtomicUsize::new(0));
    move |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/api/shares") => Reply::json(
            200,
            json!({"id": 48, "aasm_state": "pending", "name": "My Share", "code": "43329ed7ca481d86"}),
        ),
        ("GET", "/api/shares") => {
            let n = reads.fetch_add(1, Ordering::SeqCst);
            let state = if n < pending_reads { "pending" } else { "processed" };
            let items = if listed {
                json!([{"id": 49, "aasm_state": "processed"}, {"id": 48, "aasm_state": state, "url": "https://x/shares/48"}])
            } else {
                json!([{"id": 49, "aasm_state": "processed"}])
            };
            let total = items.as_array().unwrap().len().to_string();
            Reply::json(200, items).header("total-entries", &total)
        }
        _ => Reply::json(404, json!({"error": "not_found"})),
    }
}

#[tokio::test]
async fn create_share_and_wait_reads_the_listing_until_the_share_is_processed() {
    let server = MockServer::start(share_api(1, true)).await;
    let share = types::NewShare::builder()
        .name(Some("My Share".to_string()))
        .asset_ids(vec![1, 2])
        .size(Some(types::ShareSize::Full));
    let share = client(&server).create_share_and_wait(share, fast(10)).await.unwrap();
    assert_eq!(share.aasm_state, Some(types::ShareState::Processed));
    assert_eq!(share.url.as_deref(), Some("https://x/shares/48"));

    let requests = server.requests();
    assert_eq!(requests.len(), 3, "create, a pending read, a processed read");
    assert_eq!(requests[0].path, "/api/shares");
    assert_eq!(
        requests[0].text(),
        r#"{"share":{"asset_ids":[1,2],"name":"My Share","size":"full"}}"#
    );
    for read in &requests[1..] {
        assert_eq!(read.method, "GET");
        assert_eq!(
            read.query.as_deref(),
            Some("current=1&pageSize=100&sortField=created_at&sortOrder=descend")
        );
    }
}

#[tokio::test]
async fn a_share_missing_from_the_listing_fails_and_one_never_processed_times_out() {
    let server = MockServer::start(share_api(0, false)).await;
    let err = client(&server).wait_for_share(48, fast(10)).await.unwrap_err();
    assert!(matches!(&err, Error::JobFailed(m) if m.contains("share 48")), "{err:?}");

    let server = MockServer::start(share_api(usize::MAX, true)).await;
    let err = client(&server).wait_for_share(48, fast(2)).await.unwrap_err();
    assert!(
        matches!(&err, Error::Timeout(m) if m.starts_with("share 48 is not processed")),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 3, "a first read and two polls");
}
