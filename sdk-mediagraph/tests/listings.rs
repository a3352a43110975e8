//! Listings of the provider's published spec against a loopback server: `current`/`pageSize` and
//! `page` listings as streams (exact queries, including repeated `key[]=` filters, and where they
//! stop), and the search and sync parameters the document lacked.

use std::time::Duration;

use dam_test_server::{MockServer, Recorded, Reply};
use futures_util::TryStreamExt;
use sdk_mediagraph::{Client, RetryPolicy, types};
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

/// Pages of `per_page` items with ids 1..=total, chosen by the query parameter `page_param`.
fn pages(page_param: &'static str, per_page: usize, total: usize) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    move |r| {
        let page: usize = r.query_param(page_param).and_then(|p| p.parse().ok()).unwrap_or(1);
        let first = (page - 1) * per_page + 1;
        let items: Vec<_> = (first..=total.min(page * per_page))
            .map(|id| json!({"id": id}))
            .collect();
        Reply::json(200, json!(items)).header("total-entries", &total.to_string())
    }
}

#[tokio::test]
async fn current_listings_stream_every_page_and_stop_at_the_total() {
    let server = MockServer::start(pages("current", 2, 5)).await;
    let hooks: Vec<types::Webhook> = client(&server)
        .list_webhooks()
        .page_size(2)
        .enabled(vec!["true".to_string()])
        .sort_field(types::WebhookSortField::CreatedAt)
        .sort_order(types::SortOrder::Ascend)
        .current(7)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = hooks
        .iter()
        .map(|h| h.id.as_ref().unwrap().as_str().into_owned())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "the third page reaches Total-Entries");
    for (n, r) in requests.iter().enumerate() {
        assert_eq!(r.path, "/api/webhooks");
        assert_eq!(
            r.query.as_deref(),
            Some(
                format!(
                    "current={}&enabled%5B%5D=true&pageSize=2&sortField=created_at&sortOrder=ascend",
                    n + 1
                )
                .as_str()
            )
        );
    }
}

#[tokio::test]
async fn page_listings_stream_with_repeated_bracket_filters() {
    let server = MockServer::start(pages("page", 3, 4)).await;
    let contributions: Vec<types::Contribution> = client(&server)
        .list_contributions()
        .enabled(vec!["true".to_string()])
        .featured(vec!["true".to_string(), "false".to_string()])
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(contributions.len(), 4);
    let queries: Vec<_> = server.requests().iter().map(|r| r.query.clone().unwrap()).collect();
    assert_eq!(
        queries,
        [
            "enabled%5B%5D=true&featured%5B%5D=true&featured%5B%5D=false&page=1",
            "enabled%5B%5D=true&featured%5B%5D=true&featured%5B%5D=false&page=2",
        ]
    );
}

#[tokio::test]
async fn bulk_job_assets_page_by_guid_and_stop_on_an_empty_page() {
    let server = MockServer::start(|r| {
        let page = r.query_param("page").unwrap_or_default();
        let items = if page == "1" {
            json!([{"id": 1521}, {"id": 1522}])
        } else {
            json!([])
        };
        Reply::json(200, items)
    })
    .await;
    let assets: Vec<types::Asset> = client(&server)
        .list_bulk_job_assets()
        .id("e5d6b39e-d190-4c04-9a88-4a8fc884268f")
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(assets.len(), 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "no Total-Entries: the empty second page ends it");
    assert_eq!(
        requests[0].path,
        "/api/bulk_jobs/e5d6b39e-d190-4c04-9a88-4a8fc884268f/assets"
    );
}

#[tokio::test]
async fn search_takes_the_snapshot_and_contribution_filters() {
    let server = MockServer::start(|_| Reply::json(200, json!({"assets": [], "total_entries": 0}))).await;
    let page = client(&server)
        .search_assets()
        .snapshot_timestamp(1_625_198_149_000_i64)
        .contribution_id(6599)
        .my_contribution_id(6600)
        .include_meta(true)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_entries.as_ref().and_then(|t| t.get()), Some(0));
    assert_eq!(
        server.requests()[0].query.as_deref(),
        Some("contribution_id=6599&include_meta=true&my_contribution_id=6600&snapshot_timestamp=1625198149000")
    );
}

#[tokio::test]
async fn optional_output_asked_for_is_typed() {
    let server = MockServer::start(|_| {
        Reply::json(
            200,
            json!({"assets": [{
                "id": 1429,
                "renditions": [{"name": "permalink", "display_name": "medium", "ext": "jpg", "watermarked": false}],
                "meta": {"exif": {"width": 640}, "custom": {"Custom Meta Field 40": ["Pizza 27"]}, "others": {}},
                "organization_id": 1625, "has_alpha": false, "views_count": 3
            }]}),
        )
    })
    .await;
    let page = client(&server)
        .search_assets()
        .include_renditions(true)
        .include_meta(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    let asset = &page.assets[0];
    let renditions = asset.renditions.as_ref().unwrap();
    assert_eq!(renditions[0].display_name.as_deref(), Some("medium"));
    assert_eq!(renditions[0].watermarked, Some(false));
    let meta = asset.meta.as_ref().unwrap();
    assert_eq!(meta.exif.as_ref().unwrap()["width"], json!(640));
    assert_eq!(
        meta.custom.as_ref().unwrap()["Custom Meta Field 40"],
        json!(["Pizza 27"])
    );
    assert_eq!(asset.organization_id.as_ref().unwrap().as_str(), "1625");
    assert_eq!(asset.has_alpha, Some(false));
    assert_eq!(asset.views_count.as_ref().and_then(|v| v.get()), Some(3));
}

#[tokio::test]
async fn the_sync_listing_takes_any_user_and_last_sync_at() {
    let server = MockServer::start(|_| Reply::json(200, json!([1466]))).await;
    let ids = client(&server)
        .list_asset_ids_updated_since_last_sync()
        .created_via("lightroom")
        .last_sync_at("2024-04-17T16:30:45Z")
        .any_user(true)
        .send()
        .await
        .unwrap();
    assert_eq!(ids[0].as_str(), "1466");
    assert_eq!(
        server.requests()[0].query.as_deref(),
        Some("any_user=true&created_via=lightroom&last_sync_at=2024-04-17T16%3A30%3A45Z")
    );
}
