//! The crate's real client against the simulator (feature `simulator`): authentication as the
//! service enforces it (Personal Access Token + `OrganizationId`, OAuth PKCE with expiry, refresh
//! and revocation), the stateful flows (upload → list → search → ranged download → update →
//! delete), paging over 10,000 assets, a 2 GiB generated file, injected faults, the request log,
//! and the refusals of requests the service would refuse.

#![cfg(feature = "simulator")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::TryStreamExt;
use sdk_mediagraph::runtime::Resume;
use sdk_mediagraph::simulator::{Blob, Fault, Options, Simulator};
use sdk_mediagraph::{Bare, DownloadOptions, Error, PollOptions, UploadFile, UploadOptions, types};
use serde_json::{Value, json};

/// Deterministic bytes that are not all alike.
fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn temp_file(name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sdk-mediagraph-sim-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn basic(token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(":{token}"))
    )
}

/// A raw request with the simulator's Personal Access Token and organization.
fn authed(sim: &Simulator, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    let credentials = sim.credentials();
    reqwest::Client::new()
        .request(method, format!("{}{path}", sim.url()))
        .header("authorization", basic(credentials.personal_access_token.expose()))
        .header("OrganizationId", credentials.organization_id.to_string())
}

fn status(result: Result<impl Sized, Error>) -> u16 {
    match result {
        Err(Error::Api { status, .. }) => status.as_u16(),
        Err(other) => panic!("expected an API refusal, got {other:?}"),
        Ok(_) => 200,
    }
}

fn fast_polls() -> PollOptions {
    PollOptions {
        interval: Duration::from_millis(1),
        timeout: Duration::from_secs(10),
        max_attempts: 50,
    }
}

fn asset_id(asset: &types::Asset) -> i64 {
    asset.id.as_ref().unwrap().as_str().parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Sign-in and credentials
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_started_simulator_has_a_url_credentials_and_a_ready_client() {
    let sim = Simulator::start().await.unwrap();
    assert!(sim.url().starts_with("http://127.0.0.1:"));
    let credentials = sim.credentials();
    assert_eq!(credentials.organization_id, 100);
    assert!(!format!("{credentials:?}").contains(credentials.personal_access_token.expose()));

    let client = sim.client();
    let me = client.who_am_i().send().await.unwrap().into_inner();
    assert_eq!(me.name.as_deref(), Some("Sam Simulator"));
    let page = client.search_assets().q("sunset").send().await.unwrap();
    assert_eq!(page.headers()["total-entries"], "3");
    let names: Vec<_> = page
        .into_inner()
        .assets
        .into_iter()
        .filter_map(|a| a.filename)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&"sunset-beach.jpg".to_string()));

    let r = &sim.requests()[1];
    assert_eq!(r.path, "/api/assets/search");
    assert_eq!(r.query.as_deref(), Some("q=sunset"));
    assert_eq!(
        r.header("authorization"),
        Some(basic(credentials.personal_access_token.expose()).as_str())
    );
    assert_eq!(r.header("organizationid"), Some("100"));
}

#[tokio::test]
async fn personal_access_tokens_and_the_organization_are_enforced() {
    let sim = Simulator::start().await.unwrap();
    let token = sim.credentials().personal_access_token;

    let wrong = sim.builder().personal_access_token("not-a-token", 100).build().unwrap();
    match wrong.search_assets().send().await {
        Err(Error::Api { status, code, .. }) => {
            assert_eq!(status.as_u16(), 401);
            assert_eq!(code.as_deref(), Some("unauthorized"));
        }
        other => panic!("{other:?}"),
    }
    let other_org = sim.builder().personal_access_token(token.clone(), 7).build().unwrap();
    match other_org.search_assets().send().await {
        Err(Error::Api { status, message, .. }) => {
            assert_eq!(status.as_u16(), 403);
            assert_eq!(message.as_deref(), Some("You are not a member of organization 7"));
        }
        other => panic!("{other:?}"),
    }
    // `who_am_i` is user-specific: it needs no OrganizationId; everything else does.
    let http = reqwest::Client::new();
    let me = http
        .get(format!("{}/api/whoami", sim.url()))
        .header("authorization", basic(token.expose()))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let search = http
        .get(format!("{}/api/assets/search", sim.url()))
        .header("authorization", basic(token.expose()))
        .send()
        .await
        .unwrap();
    assert_eq!(search.status(), 403);
    let anonymous = http.get(format!("{}/api/whoami", sim.url())).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // A token made through the API works at once and stops working when deleted.
    let client = sim.client();
    let made = client
        .create_personal_access_token()
        .body(
            serde_json::from_value::<types::PersonalAccessTokenBody>(json!({"personal_access_token": {"name": "CI"}}))
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let new_token = made.token.clone().unwrap();
    let id: i64 = made.id.as_ref().unwrap().as_str().parse().unwrap();
    let ci = sim
        .builder()
        .personal_access_token(new_token.expose(), 100)
        .build()
        .unwrap();
    ci.who_am_i().send().await.unwrap();
    client.delete_personal_access_token().id(id).send().await.unwrap();
    assert_eq!(status(ci.who_am_i().send().await), 401);
}

#[tokio::test]
async fn oauth_signs_in_with_pkce_renews_after_expiry_and_revokes() {
    let sim = Simulator::start().await.unwrap();
    let session = sim.oauth_session().await.unwrap();
    let client = sim.builder().oauth(session.clone()).build().unwrap();
    client.who_am_i().send().await.unwrap();
    client.search_assets().send().await.unwrap();
    let requests = sim.requests();
    let authorize = &requests[0];
    assert_eq!(
        (authorize.method.as_str(), authorize.path.as_str()),
        ("GET", "/oauth/authorize")
    );
    let query = authorize.query_pairs();
    let param = |n: &str| query.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(param("response_type").as_deref(), Some("code"));
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    let exchange = &requests[1];
    assert_eq!(exchange.path, "/oauth/token");
    assert!(exchange.text().contains("grant_type=authorization_code"));
    let search = requests.last().unwrap();
    assert!(search.header("authorization").unwrap().starts_with("Bearer "));
    assert_eq!(
        search.header("organizationid"),
        None,
        "a bearer token implies the organization"
    );

    // Two hours later the access token has expired on the simulator's clock: the next call is
    // refused once, the SDK refreshes (the refresh token rotates) and the call succeeds.
    let before = session.tokens();
    sim.clock().advance(Duration::from_secs(2 * 3600 + 1));
    sim.clear_requests();
    client.who_am_i().send().await.unwrap();
    let seen: Vec<_> = sim
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET".to_string(), "/api/whoami".to_string()),
            ("POST".to_string(), "/oauth/token".to_string()),
            ("GET".to_string(), "/api/whoami".to_string()),
        ]
    );
    assert!(sim.requests()[1].text().contains("grant_type=refresh_token"));
    let after = session.tokens();
    assert_ne!(after.access_token, before.access_token);
    assert_ne!(after.refresh_token, before.refresh_token, "the refresh token rotates");
    let reuse = reqwest::Client::new()
        .post(format!("{}/oauth/token", sim.url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", before.refresh_token.as_ref().unwrap().expose()),
            ("client_id", sim.credentials().oauth_client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reuse.status(), 400);
    assert_eq!(reuse.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Revoking ends the session: the refresh token goes with the access token.
    session.revoke().await.unwrap();
    assert!(matches!(client.who_am_i().send().await, Err(Error::Auth(_))));
}

#[tokio::test]
async fn the_oauth_host_refuses_what_the_service_refuses() {
    let sim = Simulator::start().await.unwrap();
    let config = sim.oauth_config();

    // A code must be exchanged with its own verifier, once.
    let request = config.start_authorization().unwrap();
    let code = sim.authorize(&request).await.unwrap();
    let other = sdk_mediagraph::Pkce::generate().unwrap();
    assert!(matches!(config.exchange_code(&code, &other).await, Err(Error::Auth(_))));
    let request = config.start_authorization().unwrap();
    let code = sim.authorize(&request).await.unwrap();
    config.exchange_code(&code, &request.pkce).await.unwrap();
    assert!(matches!(
        config.exchange_code(&code, &request.pkce).await,
        Err(Error::Auth(_))
    ));

    // An expired code is refused.
    let request = config.start_authorization().unwrap();
    let code = sim.authorize(&request).await.unwrap();
    sim.clock().advance(Duration::from_secs(11 * 60));
    assert!(matches!(
        config.exchange_code(&code, &request.pkce).await,
        Err(Error::Auth(_))
    ));

    // Another redirect URI is an error page; an unknown client too.
    let stranger =
        sdk_mediagraph::OAuthConfig::new(sim.credentials().oauth_client_id, "https://evil.example/cb").host(sim.url());
    let request = stranger.start_authorization().unwrap();
    assert!(matches!(sim.authorize(&request).await, Err(Error::Auth(m)) if m.contains("400")));
    let unknown = sdk_mediagraph::OAuthConfig::new("nobody", sim.credentials().oauth_redirect_uri).host(sim.url());
    let request = unknown.start_authorization().unwrap();
    assert!(matches!(sim.authorize(&request).await, Err(Error::Auth(m)) if m.contains("invalid_client")));

    // Without a PKCE challenge the redirect carries the error.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!(
            "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&state=s1",
            sim.url(),
            sim.credentials().oauth_client_id,
            sim.credentials().oauth_redirect_uri
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 302);
    let location = plain.headers()["location"].to_str().unwrap();
    assert!(
        location.contains("error=invalid_request") && location.ends_with("&state=s1"),
        "{location}"
    );

    let grant = reqwest::Client::new()
        .post(format!("{}/oauth/token", sim.url()))
        .form(&[("grant_type", "password"), ("client_id", "sim-oauth-client")])
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), 400);
    assert_eq!(grant.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
}

// ---------------------------------------------------------------------------------------------
// Stateful flows
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn upload_list_search_download_update_and_delete() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();

    // A storage folder to upload into.
    let folder = client
        .create_storage_folder()
        .body(
            serde_json::from_value::<types::StorageFolderBody>(json!({"storage_folder": {"name": "Shoot 42"}}))
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_bare();
    let folder_id: i64 = folder.id.as_ref().unwrap().as_str().parse().unwrap();

    // Upload with progress.
    let content = data(1_300_000);
    let path = temp_file("harbour-dawn.jpg", &content);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let file = UploadFile::path(&path).on_progress(move |p| log.lock().unwrap().push((p.done, p.total)));
    let mut options = UploadOptions {
        name: Some("Shoot 42".into()),
        ..Default::default()
    };
    options.attributes.insert("storage_folder_id".into(), json!(folder_id));
    let outcome = client.upload_files(vec![file], &options).await.unwrap();
    let progress = seen.lock().unwrap().clone();
    assert!(progress.len() >= 5, "one report per 256 KiB chunk: {progress:?}");
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "{progress:?}");
    assert_eq!(progress.last(), Some(&(1_300_000, Some(1_300_000))));
    assert_eq!(outcome.session.done, Some(true));
    assert_eq!(outcome.session.assets_count, Some(1));
    let asset = &outcome.assets[0];
    let id = asset_id(asset);
    assert_eq!(asset.filename.as_deref(), Some("harbour-dawn.jpg"));
    assert_eq!(sim.file(id).unwrap().slice(0, 1_300_000), content, "the bytes are kept");

    // The storage PUT carried the bytes and no Mediagraph credentials.
    let put = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.starts_with("/_storage/"))
        .unwrap();
    assert_eq!(put.header("authorization"), None);
    assert_eq!(put.header("organizationid"), None);
    assert_eq!(put.header("content-type"), Some("image/jpeg"));
    assert_eq!(put.header("content-length"), Some("1300000"));

    // Listed in its folder and found by search.
    let ids = client
        .list_storage_folder_asset_ids()
        .id(folder_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_string()).collect();
    assert_eq!(ids, vec![id.to_string()]);
    let found = client
        .search_assets()
        .q("harbour dawn")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.assets.iter().map(asset_id).collect::<Vec<_>>(), vec![id]);
    let in_folder = client
        .search_assets()
        .storage_folder_id(folder_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_folder.total.as_ref().and_then(|t| t.get()), Some(1));

    // Download it whole, then a range, then HEAD.
    let mut whole = Vec::new();
    let report = client
        .download_asset_to(id, &mut whole, &DownloadOptions::default())
        .await
        .unwrap();
    assert_eq!(report.bytes, 1_300_000);
    assert_eq!(whole, content);
    let part = authed(&sim, reqwest::Method::GET, &format!("/api/assets/{id}/download"))
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1999/1300000");
    assert_eq!(part.bytes().await.unwrap().to_vec(), content[1000..2000].to_vec());
    let head = authed(&sim, reqwest::Method::HEAD, &format!("/api/assets/{id}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["accept-ranges"], "bytes");
    assert_eq!(head.headers()["content-length"], "1300000");

    // Update metadata: the fields sent change, a field this SDK does not know is kept.
    let changes: types::AssetChanges = serde_json::from_value(
        json!({"description": "Dawn at the harbour", "add_tag_names": ["dawn"], "x_project": "P-42"}),
    )
    .unwrap();
    client
        .update_asset()
        .id(id)
        .body(types::UpdateAssetBody {
            asset: changes,
            sync: None,
        })
        .send()
        .await
        .unwrap();
    let read = client
        .get_asset()
        .id(id.to_string())
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_bare();
    assert_eq!(read.description.as_deref(), Some("Dawn at the harbour"));
    assert_eq!(
        read.filename.as_deref(),
        Some("harbour-dawn.jpg"),
        "untouched fields stay"
    );
    assert_eq!(read.extra.get("x_project"), Some(&json!("P-42")));
    let tagged = client
        .search_assets()
        .tags(vec!["dawn".to_string()])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tagged.assets.iter().map(asset_id).collect::<Vec<_>>(), vec![id]);
    let refused = client
        .update_asset()
        .id(id)
        .body(types::UpdateAssetBody {
            asset: serde_json::from_value(json!({"rating": 9})).unwrap(),
            sync: None,
        })
        .send()
        .await;
    assert_eq!(status(refused), 422);

    // Delete: then it is gone.
    client.delete_asset().id(id).send().await.unwrap();
    assert_eq!(status(client.get_asset().id(id.to_string()).send().await), 404);
    assert_eq!(
        status(
            client
                .download_asset_to(id, &mut Vec::new(), &DownloadOptions::default())
                .await
        ),
        404
    );
    let trashed = client.get_trashed_asset_count().send().await.unwrap().into_inner();
    assert_eq!(trashed.count.as_ref().and_then(|c| c.get()), Some(1));
}

#[tokio::test]
async fn collections_lightboxes_and_tags_hold_assets() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let beach: Vec<i64> = client
        .search_assets()
        .q("beach")
        .send()
        .await
        .unwrap()
        .into_inner()
        .assets
        .iter()
        .map(asset_id)
        .collect();
    assert_eq!(beach.len(), 2);

    let collection = client
        .create_collection()
        .body(serde_json::from_value::<types::CollectionBody>(json!({"collection": {"name": "Beaches"}})).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_bare();
    let collection_id: i64 = collection.id.as_ref().unwrap().as_str().parse().unwrap();
    for a in &beach {
        client
            .add_asset_to_collection()
            .id(collection_id)
            .body(types::AddAssetToCollectionForm {
                asset_id: Some(*a),
                position: None,
            })
            .send()
            .await
            .unwrap();
    }
    let inside = client
        .search_assets()
        .collection_id(collection_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(inside.assets.len(), 2);
    let read = client
        .get_collection()
        .id(collection_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.name.as_deref(), Some("Beaches"));

    // Tags: create, a taken name is refused, list pages with Total-Entries, delete untags.
    let tag = client
        .create_tag()
        .body(types::TagBody {
            tag: types::NewTag::builder()
                .name("Seaside")
                .sub_type(types::TagSubType::Keyword)
                .try_into()
                .unwrap(),
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_bare();
    let again = client
        .create_tag()
        .body(types::TagBody {
            tag: types::NewTag::builder()
                .name("seaside")
                .sub_type(types::TagSubType::Keyword)
                .try_into()
                .unwrap(),
        })
        .send()
        .await;
    assert_eq!(status(again), 422);
    client
        .tag_asset()
        .id(beach[0])
        .body(serde_json::from_value::<types::TagAssetBody>(json!({"asset": {"add_tag_names": ["Seaside"]}})).unwrap())
        .send()
        .await
        .unwrap();
    let page = client.list_tags().send().await.unwrap();
    let total: usize = page.headers()["total-entries"].to_str().unwrap().parse().unwrap();
    let all: Vec<_> = client.list_tags().into_stream().try_collect().await.unwrap();
    assert_eq!(all.len(), total);
    assert!(total > 10);
    let tag_id: i64 = tag.id.as_ref().unwrap().as_str().parse().unwrap();
    client.delete_tag().id(tag_id).send().await.unwrap();
    let untagged = client
        .search_assets()
        .tags(vec!["Seaside".to_string()])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(untagged.assets.is_empty());

    // A storage folder that holds assets cannot be deleted.
    let folders = client.get_storage_folders_tree().send().await.unwrap().into_inner();
    let campaigns = folders.iter().find(|f| f.name.as_deref() == Some("Campaigns")).unwrap();
    let campaigns_id: i64 = campaigns.id.as_ref().unwrap().as_str().parse().unwrap();
    assert_eq!(
        status(client.delete_storage_folder().id(campaigns_id).send().await),
        422
    );
    let children = client
        .get_storage_folders_tree()
        .parent_id(campaigns_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].name.as_deref(), Some("2024 Spring"));
}

#[tokio::test]
async fn versions_are_kept_and_served() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let first = data(5_000);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let log = reports.clone();
    let chunks = first
        .chunks(2_000)
        .map(|c| Ok::<_, std::io::Error>(bytes::Bytes::from(c.to_vec())));
    let file = UploadFile::stream(
        "poster.png",
        5_000,
        futures_util::stream::iter(chunks.collect::<Vec<_>>()),
    )
    .on_progress(move |p| log.lock().unwrap().push(p.done));
    let outcome = client
        .upload_files(vec![file], &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        *reports.lock().unwrap(),
        [2_000, 4_000, 5_000],
        "a stream reports each chunk"
    );
    let id = asset_id(&outcome.assets[0]);
    let second: Vec<u8> = data(7_000).into_iter().rev().collect();
    let version = client
        .upload_version(
            id,
            UploadFile::stream(
                "poster-v2.png",
                7_000,
                futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(second.clone()))]),
            ),
            None,
        )
        .await
        .unwrap();
    assert_eq!(version.data_version_number, Some(2));
    let versions = client
        .list_asset_data_versions()
        .asset_id(id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(versions.len(), 2);
    let mut now = Vec::new();
    client
        .download_asset_to(id, &mut now, &DownloadOptions::default())
        .await
        .unwrap();
    assert_eq!(now, second);
    let mut old = Vec::new();
    let options = DownloadOptions {
        version_number: Some(1),
        ..Default::default()
    };
    client.download_asset_to(id, &mut old, &options).await.unwrap();
    assert_eq!(old, first);
}

// ---------------------------------------------------------------------------------------------
// Scale
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ten_thousand_assets_page_through_search() {
    let sim = Simulator::start().await.unwrap();
    let started = Instant::now();
    let ids = sim.seed_assets(10_000);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "seeding took {:?}",
        started.elapsed()
    );
    assert_eq!(ids.len(), 10_000);

    let client = sim.client();
    let first = client.search_assets().q("corpus").per_page(100).send().await.unwrap();
    assert_eq!(first.headers()["total-entries"], "10000");
    let all: Vec<types::Asset> = client
        .search_assets()
        .q("corpus")
        .per_page(100)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 10_000);
    let mut seen: Vec<i64> = all.iter().map(asset_id).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, ids, "every asset once, none twice");
    let pages = sim.requests().iter().filter(|r| r.path == "/api/assets/search").count();
    assert_eq!(pages, 1 + 100);
}

#[tokio::test]
async fn a_two_gib_file_serves_its_first_and_last_bytes_by_range() {
    let sim = Simulator::start().await.unwrap();
    let blob = Blob::Generated { len: 2 << 30, seed: 42 };
    let id = sim.add_file("master.mov", blob.clone());
    let client = sim.client();
    let asset = client.get_asset().id(id.to_string()).send().await.unwrap().into_inner();
    assert_eq!(asset.file_size.as_ref().and_then(|s| s.get()), Some(2 << 30));

    let head = authed(&sim, reqwest::Method::HEAD, &format!("/api/assets/{id}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["content-length"], "2147483648");
    assert_eq!(head.headers()["content-type"], "video/quicktime");
    let start = authed(&sim, reqwest::Method::GET, &format!("/api/assets/{id}/download"))
        .header("range", "bytes=0-4095")
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 206);
    assert_eq!(start.bytes().await.unwrap().to_vec(), blob.slice(0, 4096));
    let end = authed(&sim, reqwest::Method::GET, &format!("/api/assets/{id}/download"))
        .header("range", "bytes=-4096")
        .send()
        .await
        .unwrap();
    assert_eq!(end.status(), 206);
    assert_eq!(end.headers()["content-range"], "bytes 2147479552-2147483647/2147483648");
    assert_eq!(
        end.bytes().await.unwrap().to_vec(),
        blob.slice((2 << 30) - 4096, 2 << 30)
    );

    // The SDK's download, started near the end (a partial file on disk), resumes there.
    let mut tail = Vec::new();
    let options = DownloadOptions {
        resume: Resume {
            offset: (2 << 30) - 10_000,
            ..Resume::default()
        },
        ..Default::default()
    };
    client.download_asset_to(id, &mut tail, &options).await.unwrap();
    assert_eq!(tail, blob.slice((2 << 30) - 10_000, 2 << 30));
}

// ---------------------------------------------------------------------------------------------
// Faults and the request log
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn injected_faults_are_retried_or_resumed() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();

    sim.inject(Fault::status(503).retry_after(1).path("/api/whoami").times(1));
    let started = Instant::now();
    client.who_am_i().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "Retry-After honoured");
    assert_eq!(sim.requests().iter().filter(|r| r.path == "/api/whoami").count(), 2);

    sim.inject(Fault::reset().path("/api/tags").times(1));
    client.list_tags().send().await.unwrap();
    assert_eq!(sim.requests().iter().filter(|r| r.path == "/api/tags").count(), 2);

    sim.inject(Fault::malformed().path("/api/assets/search"));
    assert!(matches!(client.search_assets().send().await, Err(Error::Decode { .. })));

    // A download cut after 10,000 bytes resumes with a Range request for the rest.
    let id = sim.add_file("cut.bin", Blob::Bytes(data(300_000).into()));
    sim.inject(Fault::truncate(10_000).path("/api/assets/{id}/download"));
    let mut out = Vec::new();
    let report = client
        .download_asset_to(id, &mut out, &DownloadOptions::default())
        .await
        .unwrap();
    assert_eq!(out, data(300_000));
    assert_eq!(report.resumes, 1);
    let downloads: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == format!("/api/assets/{id}/download"))
        .collect();
    assert_eq!(downloads.len(), 2);
    assert_eq!(downloads[1].header("range"), Some("bytes=10000-"));
    assert!(downloads[1].header("if-range").is_some());
}

#[tokio::test]
async fn requests_the_service_refuses_are_refused_its_way() {
    let sim = Simulator::start().await.unwrap();

    let wrong_method = authed(&sim, reqwest::Method::PATCH, "/api/assets/1")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    let allow = wrong_method.headers()["allow"].to_str().unwrap().to_string();
    assert!(["GET", "PUT", "DELETE"].iter().all(|m| allow.contains(m)), "{allow}");
    assert_eq!(
        wrong_method.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );

    let missing = authed(&sim, reqwest::Method::GET, "/api/collections/find")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    assert!(body["message"].as_str().unwrap().contains("slug"), "{body}");

    let mistyped = authed(&sim, reqwest::Method::GET, "/api/assets/search?page=first")
        .send()
        .await
        .unwrap();
    assert_eq!(mistyped.status(), 400);

    let wrong_type = authed(&sim, reqwest::Method::POST, "/api/tags")
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);

    let broken = authed(&sim, reqwest::Method::POST, "/api/tags")
        .header("content-type", "application/json")
        .body("{\"tag\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);

    let blank = authed(&sim, reqwest::Method::POST, "/api/tags")
        .json(&json!({"tag": {"name": " "}}))
        .send()
        .await
        .unwrap();
    assert_eq!(blank.status(), 422);
    assert_eq!(
        blank.json::<Value>().await.unwrap(),
        json!({"errors": {"name": ["can't be blank"]}})
    );

    let unknown = authed(&sim, reqwest::Method::GET, "/api/nothing").send().await.unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_storage_service_checks_its_signed_urls() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let session = client.start_upload(&UploadOptions::default()).await.unwrap();
    let prepared = client
        .prepare_asset_upload()
        .guid(session.guid.clone().unwrap())
        .body(types::PrepareAssetUploadBody {
            asset: serde_json::from_value(json!({"filename": "a.txt", "file_size": 5})).unwrap(),
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_bare();
    let url = prepared.signed_upload_url.clone().unwrap();
    let guid = prepared.guid.clone().unwrap();
    assert!(url.starts_with(&format!("{}/_storage/", sim.url())), "{url}");

    // Not uploaded yet: marking it uploaded is refused.
    assert_eq!(status(client.set_asset_upload_complete().guid(&guid).send().await), 422);

    let http = reqwest::Client::new();
    let with_auth = http
        .put(&url)
        .header("authorization", "Bearer x")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(with_auth.status(), 400);
    assert!(with_auth.text().await.unwrap().contains("<Code>InvalidArgument</Code>"));
    let tampered = http
        .put(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 403);
    assert!(tampered.text().await.unwrap().contains("SignatureDoesNotMatch"));
    let chunked = http
        .put(&url)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter([Ok::<
            _,
            std::io::Error,
        >(
            bytes::Bytes::from_static(b"hello"),
        )])))
        .send()
        .await
        .unwrap();
    assert_eq!(chunked.status(), 411);

    let ok = http
        .put(&url)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().contains_key("etag"));
    let done = client
        .set_asset_upload_complete()
        .guid(&guid)
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_bare();
    assert_eq!(done.aasm_state, Some(types::AssetState::Uploaded));
    assert_eq!(sim.file(asset_id(&done)).unwrap().slice(0, 5), b"hello");

    // A signed URL is valid one hour.
    let prepared = client
        .prepare_asset_upload()
        .guid(session.guid.clone().unwrap())
        .body(types::PrepareAssetUploadBody {
            asset: serde_json::from_value(json!({"filename": "b.txt", "file_size": 5})).unwrap(),
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_bare();
    sim.clock().advance(Duration::from_secs(3601));
    let late = http
        .put(prepared.signed_upload_url.unwrap())
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 403);
    assert!(late.text().await.unwrap().contains("Request has expired"));
}

// ---------------------------------------------------------------------------------------------
// Background work and answer forms
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bulk_jobs_and_shares_finish_over_polls() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let ids: Vec<i64> = client
        .search_assets()
        .q("sunset")
        .send()
        .await
        .unwrap()
        .into_inner()
        .assets
        .iter()
        .map(asset_id)
        .collect();

    let job = types::NewBulkJob::builder()
        .asset_ids(ids.clone())
        .tag_names(vec!["golden-hour".to_string()])
        .tag_mode(types::TagMode::Add);
    let done = client.run_bulk_job(job, fast_polls()).await.unwrap();
    assert_eq!(done.aasm_state, Some(types::BulkJobState::Processed));
    let polls = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/bulk_jobs/"))
        .count();
    assert_eq!(polls, 2, "pending → processing → processed");
    let tagged = client
        .search_assets()
        .tags(vec!["golden-hour".to_string()])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tagged.assets.len(), ids.len());

    let empty = types::NewBulkJob::builder()
        .asset_ids(ids.clone())
        .tag_names(Vec::<String>::new())
        .tag_mode(types::TagMode::Add);
    let failed = client.run_bulk_job(empty, fast_polls()).await;
    assert!(
        matches!(&failed, Err(Error::JobFailed(m)) if m.ends_with("errored: Tag list is empty")),
        "{failed:?}"
    );

    let settings = types::ShareLinkSettings::builder().watermark_all(true);
    let shared = client
        .share_assets_by_link("For the press", &ids, settings)
        .await
        .unwrap();
    let url = shared.share_link.url.clone().unwrap();
    assert!(
        url.starts_with(&format!("{}/simulated-studio/share-links/", sim.url())),
        "{url}"
    );
    let lightbox_id: i64 = shared.lightbox.id.as_ref().unwrap().as_str().parse().unwrap();
    let inside = client
        .search_assets()
        .lightbox_id(lightbox_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(inside.assets.len(), ids.len());

    let share = types::NewShare::builder()
        .name(Some("Sunsets".to_string()))
        .asset_ids(ids.clone());
    let ready = client.create_share_and_wait(share, fast_polls()).await.unwrap();
    assert_eq!(ready.aasm_state, Some(types::ShareState::Processed));
    assert_eq!(
        ready.assets_count.as_ref().and_then(|c| c.get()),
        Some(ids.len() as i64)
    );
}

#[tokio::test]
async fn details_can_come_wrapped_and_the_flows_still_work() {
    let sim = Simulator::start_with(Options {
        wrap_details: true,
        ..Options::default()
    })
    .await
    .unwrap();
    let client = sim.client();
    let raw = authed(&sim, reqwest::Method::GET, "/api/assets/1")
        .send()
        .await
        .unwrap();
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["asset"]["id"], 1, "{body}");
    let asset = client.get_asset().id("1").send().await.unwrap().into_inner();
    assert!(asset.id.is_none());
    assert_eq!(asset.into_bare().filename.as_deref(), Some("sunset-beach.jpg"));
    let outcome = client
        .upload_files(
            vec![UploadFile::stream(
                "note.txt",
                3,
                futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"abc"))]),
            )],
            &UploadOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.assets[0].filename.as_deref(), Some("note.txt"));
    let done = client
        .run_bulk_job(types::NewBulkJob::builder().asset_ids(vec![1]).rating(4), fast_polls())
        .await
        .unwrap();
    assert_eq!(done.aasm_state, Some(types::BulkJobState::Processed));
}
