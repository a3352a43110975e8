//! The crate's real client against its simulator: sign-in and token renewal on the simulator's
//! clock, refusals in Ci's shapes, the rate limit, the folder and asset flow end to end (create,
//! upload, list and page, search, download with `Range`, metadata, trash, delete), paging over
//! 10,000 assets, ranges of a 2 GiB generated file, injected faults, and bad requests sent raw.

#![cfg(feature = "simulator")]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::TryStreamExt;
use sdk_ci::simulator::{Blob, Fault, Options, Simulator};
use sdk_ci::types::{self, ContentKind};
use sdk_ci::{Error, RateLimitExt, Rendition, Resume, RetryPolicy};
use serde_json::{Value, json};

const KIB: usize = 1024;

/// A file in its own temporary folder, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("sdk-ci-sim-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Self(path)
    }
}

impl AsRef<Path> for TempFile {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn pattern(len: usize, salt: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(salt)).collect()
}

/// An access token from a raw password grant.
async fn raw_token(sim: &Simulator) -> String {
    let c = sim.credentials();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.password.expose()));
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sim.url()))
        .header("authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.expose()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_string()
}

fn status_of(e: &Error) -> u16 {
    match e {
        Error::Api { status, .. } => status.as_u16(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn code_of(e: &Error) -> String {
    match e {
        Error::Api { code, .. } => code.clone().unwrap_or_default(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_client_signs_in_with_the_password_grant_then_sends_the_bearer_token() {
    let sim = Simulator::start().await.unwrap();
    let page = sim.client().list_workspaces().send().await.unwrap();
    assert_eq!(page.count, Some(2));
    let log = sim.requests();
    assert_eq!(log.len(), 2);
    let token = &log[0];
    assert_eq!((token.method.as_str(), token.path.as_str()), ("POST", "/oauth2/token"));
    let c = sim.credentials();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.password.expose()));
    assert_eq!(token.header("authorization"), Some(format!("Basic {basic}").as_str()));
    assert_eq!(token.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        token.text(),
        "grant_type=password&client_id=yjtgrjdag8is4cxb&client_secret=q1h0jt4fi0bctwb5"
    );
    let call = &log[1];
    assert_eq!(call.path, "/workspaces");
    assert!(call.header("authorization").unwrap().starts_with("Bearer "));
    assert_eq!(call.header("authorization").unwrap().len(), "Bearer ".len() + 32);
}

#[tokio::test]
async fn wrong_credentials_are_refused_the_way_ci_refuses_them() {
    let sim = Simulator::start().await.unwrap();
    let c = sim.credentials();
    let wrong_secret = sim
        .builder()
        .client_credentials(c.client_id.clone(), "not-the-secret")
        .build()
        .unwrap();
    match wrong_secret.list_workspaces().send().await {
        Err(Error::Auth(m)) => assert!(m.contains("Invalid client id and client secret combination"), "{m}"),
        other => panic!("{other:?}"),
    }
    let wrong_password = sim
        .builder()
        .user_credentials(c.username.clone(), "not-the-password")
        .build()
        .unwrap();
    match wrong_password.list_workspaces().send().await {
        Err(Error::Auth(m)) => {
            assert!(m.contains("Invalid username and password combination"), "{m}");
            assert!(!m.contains("not-the-password"), "no secret in errors: {m}");
        }
        other => panic!("{other:?}"),
    }

    // The token endpoint's own refusals, sent raw: the OAuth shape and the document's codes.
    let http = reqwest::Client::new();
    let token_url = format!("{}/oauth2/token", sim.url());
    let post = |form: Vec<(&'static str, String)>, basic: Option<String>| {
        let mut request = http.post(&token_url).form(&form);
        if let Some(b) = basic {
            request = request.header("authorization", b);
        }
        request.send()
    };
    let id = || ("client_id", c.client_id.clone());
    let secret = || ("client_secret", c.client_secret.expose().to_string());
    type Form = Vec<(&'static str, String)>;
    let cases: Vec<(Form, Option<String>, u16, &str, &str)> = vec![
        (
            vec![id(), secret()],
            None,
            400,
            "invalid_request",
            "Parameter grant_type is required.",
        ),
        (
            vec![("grant_type", "client_credentials".into()), id(), secret()],
            None,
            400,
            "unsupported_grant_type",
            "Grant type is not supported.",
        ),
        (
            vec![("grant_type", "password".into()), secret()],
            None,
            400,
            "invalid_request",
            "Parameter client_id is required.",
        ),
        (
            vec![("grant_type", "password".into()), id(), secret()],
            None,
            400,
            "invalid_request",
            "Missing or invalid authorization header.",
        ),
        (
            vec![("grant_type", "password".into()), id(), secret()],
            Some("Basic !!!".into()),
            400,
            "invalid_request",
            "Missing or invalid authorization header.",
        ),
        (
            vec![("grant_type", "refresh_token".into()), id(), secret()],
            None,
            400,
            "invalid_request",
            "Parameter refresh_token is required.",
        ),
        (
            vec![
                ("grant_type", "refresh_token".into()),
                id(),
                secret(),
                ("refresh_token", "nope".into()),
            ],
            None,
            400,
            "invalid_request",
            "Refresh token not found.",
        ),
    ];
    for (form, basic, status, error, description) in cases {
        let answer = post(form.clone(), basic).await.unwrap();
        assert_eq!(answer.status(), status, "{form:?}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": error, "error_description": description}),
            "{form:?}"
        );
    }

    // API calls without a valid bearer token: 401 in the `{code, message}` shape.
    for auth in [None, Some("Bearer made-up"), Some("Basic eDp5")] {
        let mut request = http.get(format!("{}/workspaces", sim.url()));
        if let Some(a) = auth {
            request = request.header("authorization", a);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 401, "{auth:?}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["code"], "Unauthorized", "{auth:?}");
    }
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_with_the_refresh_token_which_rotates() {
    let sim = Simulator::start().await.unwrap();
    let (client, auth) = sim.builder().build_with_auth().unwrap();
    client.list_workspaces().send().await.unwrap();
    let first = auth.token_state().await;
    let old_refresh = first.refresh_token.clone().unwrap();
    let old_access = first.access_token.clone().unwrap();

    // A day later on the simulator's clock the access token is refused; the SDK refreshes it.
    sim.clock().advance(Duration::from_secs(86_400 + 5));
    sim.clear_requests();
    let page = client.list_workspaces().send().await.unwrap();
    assert_eq!(page.count, Some(2));
    let log: Vec<String> = sim
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        log,
        ["GET /workspaces", "POST /oauth2/token", "GET /workspaces"],
        "refused, refreshed, resent"
    );
    let refresh = &sim.requests()[1];
    assert_eq!(
        refresh.header("authorization"),
        None,
        "the refresh grant carries no Authorization"
    );
    let form: Vec<(String, String)> = refresh.form();
    assert_eq!(form[0], ("grant_type".into(), "refresh_token".into()));
    assert_eq!(form[1], ("refresh_token".into(), old_refresh.expose().to_string()));
    let now = auth.token_state().await;
    assert_ne!(
        now.refresh_token.as_ref(),
        Some(&old_refresh),
        "each answer carries a new refresh token"
    );
    assert_ne!(now.access_token.as_ref(), Some(&old_access));

    // The used refresh token was revoked, and an access token is not a refresh token.
    let c = sim.credentials();
    let http = reqwest::Client::new();
    for (token, description) in [
        (old_refresh.expose().to_string(), "Refresh token has been revoked."),
        (
            now.access_token.unwrap().expose().to_string(),
            "Token provided is not a refresh token.",
        ),
    ] {
        let answer = http
            .post(format!("{}/oauth2/token", sim.url()))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", token.as_str()),
                ("client_id", c.client_id.as_str()),
                ("client_secret", c.client_secret.expose()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": "invalid_request", "error_description": description})
        );
    }
}

#[tokio::test]
async fn refresh_tokens_expire_after_14_days_and_the_password_grant_takes_over() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    client.list_workspaces().send().await.unwrap();
    sim.clock().advance(Duration::from_secs(15 * 86_400));
    sim.clear_requests();
    client.list_workspaces().send().await.unwrap();
    let grants: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/oauth2/token")
        .map(|r| r.form()[0].1.clone())
        .collect();
    assert_eq!(
        grants,
        ["refresh_token", "password"],
        "the expired refresh token was refused"
    );
}

#[tokio::test]
async fn the_token_lifetime_is_configurable_and_sent_as_expires_in() {
    let sim = Simulator::start_with(Options {
        token_lifetime: Duration::from_secs(600),
        ..Options::default()
    })
    .await
    .unwrap();
    let (client, auth) = sim.builder().build_with_auth().unwrap();
    client.list_workspaces().send().await.unwrap();
    let expires_at = auth.token_state().await.expires_at.unwrap();
    let left = expires_at.duration_since(std::time::SystemTime::now()).unwrap();
    assert!(
        left > Duration::from_secs(590) && left <= Duration::from_secs(600),
        "{left:?}"
    );
    sim.clock().advance(Duration::from_secs(601));
    sim.clear_requests();
    client
        .get_workspace()
        .workspace_id(sim.workspace_id())
        .send()
        .await
        .unwrap();
    assert_eq!(sim.requests().len(), 3, "refused after 600 s, renewed, resent");
}

#[tokio::test]
async fn rate_limit_headers_come_on_every_answer_and_429_above_the_limit() {
    let sim = Simulator::start_with(Options {
        rate_limit: 4,
        ..Options::default()
    })
    .await
    .unwrap();
    let client = sim.builder().retry_policy(RetryPolicy::disabled()).build().unwrap();
    // Move the clock to second 5 of a minute first, so that the calls below share one rate-limit
    // window whenever the test starts (started at second 59, the window used to change between the
    // answer and the assertions: failed in a run once).
    let into_minute = sim.clock().unix().rem_euclid(60);
    sim.clock()
        .advance(Duration::from_secs((65 - into_minute).rem_euclid(60) as u64));
    // The token request is the first call of the minute.
    let before = sim.clock().unix() as u64;
    let first = client.list_workspaces().send().await.unwrap().rate_limit();
    let after = sim.clock().unix() as u64;
    assert_eq!((first.limit, first.remaining), (Some(4), Some(2)));
    let reset = first.reset.unwrap();
    assert_eq!(reset % 60, 0, "the start of the next minute");
    assert!(reset > after && reset <= before + 60, "{before} {reset} {after}");
    let wait = first.retry_after.expect("Retry-After on a 200 too");
    assert!(
        (reset - after..=reset - before).contains(&wait.as_secs()),
        "seconds to the reset: {wait:?}"
    );
    let second = client.list_workspaces().send().await.unwrap().rate_limit();
    assert_eq!(second.remaining, Some(1));
    client.list_workspaces().send().await.unwrap();
    let refused = client.list_workspaces().send().await.unwrap_err();
    assert_eq!(status_of(&refused), 429);
    assert_eq!(code_of(&refused), "TooManyRequests");
    assert_eq!(refused.rate_limit().remaining, Some(0));
    assert!(refused.rate_limit().retry_after.is_some());
    // The next minute starts afresh.
    sim.clock().advance(Duration::from_secs(60));
    let again = client.list_workspaces().send().await.unwrap().rate_limit();
    assert_eq!(again.remaining, Some(3));
}

#[tokio::test]
async fn a_throttled_call_waits_for_retry_after_and_succeeds() {
    let sim = Simulator::start_with(Options {
        rate_limit: 2,
        ..Options::default()
    })
    .await
    .unwrap();
    let client = sim.client();
    // Move the clock to second 58 of a minute first (so that the calls below share one rate-limit
    // window even when the test starts late in a minute): the call after the limit is refused with
    // `Retry-After: 2` (1 if the wall clock ticks into second 59 meanwhile).
    let into_minute = sim.clock().unix().rem_euclid(60);
    sim.clock()
        .advance(Duration::from_secs((58 - into_minute).rem_euclid(60) as u64));
    client.list_workspaces().send().await.unwrap(); // the token request and this: the limit
    let started = Instant::now();
    let page = client.list_workspaces().send().await.unwrap();
    assert_eq!(page.count, Some(2));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(
        sim.requests().iter().filter(|r| r.path == "/workspaces").count(),
        3,
        "refused once, resent"
    );
    assert_eq!(page.rate_limit().remaining, Some(1), "the new minute's first call");
}

#[tokio::test]
async fn folders_and_assets_flow_end_to_end() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let ws = sim.workspace_id();

    // Create a folder; a taken name is made unique.
    let create = |name: &str| {
        client.create_folder().body(types::CreateFolderRequest {
            name: name.into(),
            parent_folder_id: None,
            workspace_id: Some(ws.into()),
        })
    };
    let folder = create("Deliveries").send().await.unwrap().into_inner();
    assert_eq!(folder.parent_id.as_deref(), Some(sim.root_folder_id()));
    let folder_id = folder.folder_id.unwrap();
    let twin = create("Deliveries").send().await.unwrap().into_inner();
    assert_eq!(twin.name.as_deref(), Some("Deliveries (1)"));

    // A small file in one request, a larger one in parts; progress reaches the size.
    let small = pattern(40 * KIB, 1);
    let small_file = TempFile::new("Report final.pdf", &small);
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let small_id = client
        .upload(ws)
        .folder(&folder_id)
        .metadata(serde_json::Map::from_iter([("client".to_string(), json!("ACME"))]))
        .on_progress(move |p| seen.lock().unwrap().push(p.done))
        .file(&small_file)
        .await
        .unwrap();
    assert_eq!(progress.lock().unwrap().last(), Some(&(small.len() as u64)));
    let large = pattern(300 * KIB, 2);
    let large_file = TempFile::new("Cut 2.mov", &large);
    let large_id = client
        .upload(ws)
        .folder(&folder_id)
        .part_size(64 * KIB as u64)
        .multipart_threshold(100 * KIB as u64)
        .file(&large_file)
        .await
        .unwrap();
    let upload_log: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/upload"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(upload_log.len(), 8, "{upload_log:?}");
    assert_eq!(upload_log[..2], ["POST /upload", "POST /upload/multipart"]);
    let mut parts: Vec<String> = upload_log[2..7].to_vec();
    parts.sort();
    assert_eq!(
        parts,
        (1..=5)
            .map(|n| format!("PUT /upload/multipart/{large_id}/{n}"))
            .collect::<Vec<_>>(),
        "five 1-based parts (4 in flight, in any order)"
    );
    assert_eq!(upload_log[7], format!("POST /upload/multipart/{large_id}/complete"));

    // Details: the model's fields, and the rest kept in `extra`.
    let asset = client
        .get_asset()
        .asset_id(&large_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(asset.name.as_deref(), Some("Cut 2.mov"));
    assert_eq!(asset.size, Some(large.len() as i64));
    assert_eq!(asset.status, Some(types::AssetStatus::Complete));
    assert_eq!(asset.type_, Some(types::AssetType::Video));
    assert_eq!(
        asset.upload_transfer_type,
        Some(types::UploadTransferType::MultipartHttp)
    );
    assert_eq!(asset.folder.and_then(|f| f.id), Some(folder_id.clone()));
    assert_eq!(
        asset.extra.get("kind"),
        Some(&json!("Asset")),
        "unknown fields are kept"
    );
    let small_asset = client
        .get_asset()
        .asset_id(&small_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(small_asset.metadata[0].name.as_deref(), Some("client"));
    assert_eq!(small_asset.metadata[0].value.as_deref(), Some("ACME"));

    // List and page: Ci's page shape, folders first, the count of the whole listing.
    let page = client
        .list_folder_contents()
        .folder_id(&folder_id)
        .limit(1)
        .order_by(types::ContentOrderBy::Size)
        .order_direction(types::OrderDirection::Desc)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page.count, page.limit, page.offset), (Some(2), Some(1), Some(0)));
    assert_eq!(page.items[0].name.as_deref(), Some("Cut 2.mov"), "largest first");
    assert_eq!(page.order.and_then(|o| o.by).as_deref(), Some("Size"));
    let all: Vec<types::ContentItem> = client
        .folder_contents_stream(sim.root_folder_id(), None)
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = all.iter().filter_map(|i| i.name.as_deref()).collect();
    assert_eq!(
        names,
        [
            "Deliveries",
            "Deliveries (1)",
            "Footage",
            "Releases",
            "Stills",
            "Soundtrack.wav"
        ],
        "folders first, by name"
    );

    // Search by name: any keyword, case-insensitive, most keywords first.
    let found = client
        .search_workspace_contents()
        .workspace_id(ws)
        .query("FINAL report cut")
        .kind(ContentKind::Asset)
        .send()
        .await
        .unwrap()
        .into_inner();
    let hits: Vec<&str> = found.items.iter().filter_map(|i| i.name.as_deref()).collect();
    assert_eq!(hits, ["Report final.pdf", "Cut 2.mov"]);
    assert_eq!(found.query.as_deref(), Some("FINAL report cut"));
    assert_eq!(found.max_search_results, Some(1000));

    // Download: the kept bytes, from a signed location without the bearer token.
    let mut downloaded = Vec::new();
    let report = client
        .download_asset(&large_id, &Rendition::Source, &mut downloaded, &Resume::default())
        .await
        .unwrap();
    assert_eq!(downloaded, large);
    assert_eq!(report.bytes, large.len() as u64);
    let storage: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/_storage/"))
        .collect();
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0].header("authorization"), None);
    // A range of it.
    let location = client.asset_location(&large_id, &Rendition::Source).await.unwrap();
    let part = reqwest::Client::new()
        .get(&location)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{}", large.len()).as_str()
    );
    assert_eq!(part.headers()["content-type"], "video/quicktime");
    assert_eq!(part.bytes().await.unwrap().to_vec(), large[1000..2000].to_vec());
    // A proxy.
    let mut proxy = Vec::new();
    client
        .download_asset(
            &large_id,
            &Rendition::Proxy(types::ProxyType::VideoHd),
            &mut proxy,
            &Resume::default(),
        )
        .await
        .unwrap();
    assert!(!proxy.is_empty());

    // Update metadata and the name.
    client
        .change_folders_metadata()
        .body(types::ChangeFoldersMetadataRequest {
            changes: vec![types::FolderMetadataChange {
                folder_ids: vec![folder_id.clone(), "nope".into()],
                set: vec![types::MetadataSetItem {
                    name: Some("Owner".into()),
                    value: Some("Sony".into()),
                }],
                unset: vec![],
            }],
        })
        .send()
        .await
        .map(|r| {
            let r = r.into_inner();
            assert_eq!((r.complete_count, r.error_count), (Some(1), Some(1)));
            assert_eq!(r.errors[0].error_code.as_deref(), Some("FolderNotFound"));
        })
        .unwrap();
    let renamed = client
        .update_folder()
        .folder_id(&folder_id)
        .body(types::UpdateFolderRequest {
            name: Some("Deliveries 2024".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.name.as_deref(), Some("Deliveries 2024"));
    assert_eq!(renamed.metadata[0].name.as_deref(), Some("Owner"));
    assert_eq!(renamed.metadata[0].value.as_deref(), Some("Sony"));
    let stats = client
        .get_folder_stats()
        .folder_id(&folder_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.file_total_count, Some(2));
    assert_eq!(stats.file_total_size, Some((small.len() + large.len()) as i64));

    // Delete the asset: then 404, from details and download alike.
    client.delete_asset().asset_id(&small_id).send().await.unwrap();
    let gone = client.get_asset().asset_id(&small_id).send().await.unwrap_err();
    assert_eq!((status_of(&gone), code_of(&gone).as_str()), (404, "AssetNotFound"));
    let gone = client
        .get_asset_download()
        .asset_id(&small_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(&gone), 404);

    // Trash the folder: out of its parent's listing, into the trash bin; then untrash it.
    client.trash_folder().folder_id(&folder_id).send().await.unwrap();
    let root_names =
        |items: Vec<types::ContentItem>| -> Vec<String> { items.into_iter().filter_map(|i| i.name).collect() };
    let root = client
        .folder_contents_stream(sim.root_folder_id(), Some(ContentKind::Folder))
        .try_collect()
        .await
        .unwrap();
    assert!(!root_names(root).contains(&"Deliveries 2024".to_string()));
    let trash: Vec<types::ContentItem> = client.trash_bin_stream(ws, None).try_collect().await.unwrap();
    assert_eq!(root_names(trash), ["Deliveries 2024", "Cut 2.mov"]);
    let again = client.trash_folder().folder_id(&folder_id).send().await.unwrap_err();
    assert_eq!((status_of(&again), code_of(&again).as_str()), (409, "FolderTrashed"));
    client.untrash_folder().folder_id(&folder_id).send().await.unwrap();
    assert!(
        client
            .trash_bin_stream(ws, None)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .is_empty()
    );

    // Delete the folder for good: its assets go too, and it answers FolderDeleted.
    client.delete_folder().folder_id(&folder_id).send().await.unwrap();
    let deleted = client.get_folder().folder_id(&folder_id).send().await.unwrap_err();
    assert_eq!(
        (status_of(&deleted), code_of(&deleted).as_str()),
        (404, "FolderDeleted")
    );
    let gone = client.get_asset().asset_id(&large_id).send().await.unwrap_err();
    assert_eq!(status_of(&gone), 404);
    let root_folder = client
        .delete_folder()
        .folder_id(sim.root_folder_id())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status_of(&root_folder), code_of(&root_folder).as_str()),
        (409, "InvalidOperationOnRootFolder")
    );
}

#[tokio::test]
async fn bulk_moves_copies_and_archives_report_per_item() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let a = sim.create_folder(sim.root_folder_id(), "A").unwrap();
    let b = sim.create_folder(&a, "B").unwrap();
    let target = sim.create_folder(sim.root_folder_id(), "Target").unwrap();
    let moved = client
        .move_folders()
        .body(types::MoveFoldersRequest {
            folder_ids: vec![b.clone(), a.clone(), sim.root_folder_id().into()],
            target_folder_id: Some(b.clone()),
        })
        .send()
        .await;
    // Into itself, into its own subfolder, the root: nothing moved.
    let refused = moved.unwrap_err();
    assert_eq!(
        (status_of(&refused), code_of(&refused).as_str()),
        (409, "BulkOperationFailed")
    );
    let moved = client
        .move_folders()
        .body(types::MoveFoldersRequest {
            folder_ids: vec![b.clone(), "missing".into()],
            target_folder_id: Some(target.clone()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((moved.complete_count, moved.error_count), (Some(1), Some(1)));
    let folder = client.get_folder().folder_id(&b).send().await.unwrap().into_inner();
    assert_eq!(folder.parent_id.as_deref(), Some(target.as_str()));

    // Copy into the second workspace: a new asset with the same bytes.
    let source = sim
        .add_file(&a, "Clip.mp4", Blob::Bytes(pattern(5000, 9).into()))
        .unwrap();
    let copied = client
        .copy_assets()
        .body(types::CopyAssetsRequest {
            asset_ids: vec![source.clone()],
            targets: vec![types::CopyTarget {
                workspace_id: sdk_ci::simulator::SECOND_WORKSPACE_ID.into(),
                extra: Default::default(),
            }],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let copy_id = copied.complete[0].id.clone().unwrap();
    assert_ne!(copy_id, source);
    let copy = client.get_asset().asset_id(&copy_id).send().await.unwrap().into_inner();
    assert_eq!(
        copy.workspace.and_then(|w| w.id).as_deref(),
        Some(sdk_ci::simulator::SECOND_WORKSPACE_ID)
    );
    assert_eq!(copy.upload_transfer_type, Some(types::UploadTransferType::Copy));
    assert_eq!(
        sim.blob(&copy_id).unwrap().slice(0, 5000),
        sim.blob(&source).unwrap().slice(0, 5000)
    );

    // Archive: in progress for a minute of the simulator's clock, then archived; not twice.
    client.archive_asset().asset_id(&source).send().await.unwrap();
    let status = |asset: types::Asset| asset.archive_status;
    let now = client.get_asset().asset_id(&source).send().await.unwrap().into_inner();
    assert_eq!(status(now), Some(types::ArchiveStatus::ArchiveInProgress));
    sim.clock().advance(Duration::from_secs(61));
    let later = client.get_asset().asset_id(&source).send().await.unwrap().into_inner();
    assert_eq!(status(later), Some(types::ArchiveStatus::Archived));
    let twice = client.archive_asset().asset_id(&source).send().await.unwrap_err();
    assert_eq!(status_of(&twice), 409);

    // Bulk details: the known ones, trimmed to the fields asked for.
    let details = client
        .get_assets_details()
        .body(types::AssetDetailsRequest {
            asset_ids: vec![source.clone(), "unknown".into(), copy_id.clone()],
            fields: Some("size".parse().unwrap()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(details.count, Some(2));
    assert_eq!(details.items[0].size, Some(5000));
    assert_eq!(details.items[0].status, None, "trimmed to the fields asked for");
}

#[tokio::test]
async fn paging_over_ten_thousand_assets() {
    let sim = Simulator::start().await.unwrap();
    let folder = sim.create_folder(sim.root_folder_id(), "Bulk").unwrap();
    let started = Instant::now();
    let ids = sim.seed_assets(&folder, 10_000).unwrap();
    assert_eq!(ids.len(), 10_000);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "seeding is linear: {:?}",
        started.elapsed()
    );
    let client = sim.client();
    let items: Vec<types::ContentItem> = client
        .folder_contents_stream(&folder, Some(ContentKind::Asset))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 10_000);
    assert_eq!(items[0].name.as_deref(), Some("asset-00001.jpg"));
    assert_eq!(items[9_999].name.as_deref(), Some("asset-10000.jpg"));
    let pages = sim.requests().iter().filter(|r| r.path.ends_with("/contents")).count();
    assert_eq!(pages, 200, "50 per page");
    let last = sim
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/contents"))
        .unwrap();
    assert_eq!(last.query.as_deref(), Some("kind=asset&limit=50&offset=9950"));
    // The workspace counts them too.
    let w = client
        .get_workspace()
        .workspace_id(sim.workspace_id())
        .send()
        .await
        .unwrap();
    assert_eq!(w.asset_count, Some(10_006));
}

#[tokio::test]
async fn a_2_gib_generated_file_serves_ranges_at_both_ends() {
    let sim = Simulator::start().await.unwrap();
    let blob = Blob::Generated { len: 2 << 30, seed: 42 };
    let id = sim.add_file(sim.root_folder_id(), "Master.mxf", blob.clone()).unwrap();
    let client = sim.client();
    let asset = client.get_asset().asset_id(&id).send().await.unwrap();
    assert_eq!(asset.size, Some(2 << 30));
    let location = client.asset_location(&id, &Rendition::Source).await.unwrap();
    let http = reqwest::Client::new();
    for (range, start, end) in [
        ("bytes=0-65535", 0u64, 65_536u64),
        ("bytes=-4096", (2 << 30) - 4096, 2 << 30),
        ("bytes=1073741824-1073742847", 1 << 30, (1 << 30) + 1024),
    ] {
        let part = http.get(&location).header("range", range).send().await.unwrap();
        assert_eq!(part.status(), 206, "{range}");
        assert_eq!(
            part.headers()["content-range"],
            format!("bytes {start}-{}/{}", end - 1, 2u64 << 30).as_str()
        );
        assert_eq!(part.bytes().await.unwrap().to_vec(), blob.slice(start, end), "{range}");
    }
    let past = http
        .get(&location)
        .header("range", "bytes=3000000000-")
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    // A whole-file request announces the full length (and is not read here).
    let whole = http.get(&location).send().await.unwrap();
    assert_eq!(whole.content_length(), Some(2 << 30));
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
}

#[tokio::test]
async fn download_locations_need_no_credentials_and_expire() {
    let sim = Simulator::start().await.unwrap();
    let id = sim
        .add_file(sim.root_folder_id(), "Still.jpg", Blob::Bytes(pattern(3000, 3).into()))
        .unwrap();
    let client = sim.client();
    let download = client
        .get_asset_download()
        .asset_id(&id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let location = download.location.unwrap();
    assert!(location.starts_with(&format!("{}/_storage/{id}/source/Still.jpg?expires=", sim.url())));
    assert_eq!(download.thumbnails.len(), 2, "small and large");
    let http = reqwest::Client::new();
    assert_eq!(http.get(&location).send().await.unwrap().status(), 200);
    let with_token = http
        .get(&location)
        .header("authorization", "Bearer anything")
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 400, "a signed URL takes no Authorization");
    let tampered = location.replace("signature=", "signature=0");
    assert_eq!(http.get(&tampered).send().await.unwrap().status(), 403);
    let thumb = download.thumbnails[0].location.clone().unwrap();
    let thumb = http.get(&thumb).send().await.unwrap();
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    sim.clock().advance(Duration::from_secs(6 * 3600 + 1));
    let expired = http.get(&location).send().await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("Request has expired"));
}

#[tokio::test]
async fn delegate_tokens_open_only_their_asset() {
    let sim = Simulator::start().await.unwrap();
    let id = sim
        .add_file(sim.root_folder_id(), "Cover.png", Blob::Bytes(pattern(100, 4).into()))
        .unwrap();
    let client = sim.client();
    let delegate = client
        .delegate_token(&id, types::DelegateTokenScope::UploadCoverElement)
        .await
        .unwrap();
    assert_eq!(delegate.expires_in, Some(Duration::from_secs(3600)));
    let request = sim.requests().into_iter().rfind(|r| r.path == "/oauth2/token").unwrap();
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(request.header("authorization").unwrap().starts_with("Bearer "));
    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}{path}", sim.url()))
            .bearer_auth(delegate.token.expose())
            .send()
    };
    assert_eq!(get(format!("/assets/{id}")).await.unwrap().status(), 200);
    assert_eq!(get("/workspaces".into()).await.unwrap().status(), 403);
    // Without a bearer token: the document's refusal.
    let refused = http
        .post(format!("{}/oauth2/token", sim.url()))
        .json(&json!({"assetId": id, "scope": "UploadCoverElement"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error_description"], "Missing or invalid authorization header.");
    let no_scope = http
        .post(format!("{}/oauth2/token", sim.url()))
        .bearer_auth(raw_token(&sim).await)
        .json(&json!({"assetId": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_scope.status(), 400);
    let body: Value = no_scope.json().await.unwrap();
    assert_eq!(body["code"], "TokenScopeNotProvided");
}

#[tokio::test]
async fn injected_faults_are_survived_or_reported() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();

    // 503 with Retry-After: the idempotent call waits and is resent.
    sim.inject(Fault::status(503).retry_after(1).path("/workspaces").times(1));
    let started = Instant::now();
    assert_eq!(client.list_workspaces().send().await.unwrap().count, Some(2));
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert_eq!(sim.requests().iter().filter(|r| r.path == "/workspaces").count(), 2);

    // A reset connection: a GET is resent.
    sim.inject(Fault::reset().path("/folders/{id}").times(1));
    let root = client
        .get_folder()
        .folder_id(sim.root_folder_id())
        .send()
        .await
        .unwrap();
    assert_eq!(root.id.as_deref(), Some(sim.root_folder_id()));

    // A POST is not resent after a 503.
    sim.inject(Fault::status(503).retry_after(0).path("/folders").times(1));
    let refused = client
        .create_folder()
        .body(types::CreateFolderRequest {
            name: "Once".into(),
            parent_folder_id: None,
            workspace_id: Some(sim.workspace_id().into()),
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(&refused), 503);
    assert_eq!(sim.requests().iter().filter(|r| r.path == "/folders").count(), 1);

    // Malformed JSON is a decode error naming the operation.
    sim.inject(Fault::malformed().path("/workspaces/{id}").times(1));
    match client.get_workspace().workspace_id(sim.workspace_id()).send().await {
        Err(Error::Decode { operation, .. }) => assert_eq!(operation, "get_workspace"),
        other => panic!("{other:?}"),
    }

    // A download cut after 100 KiB resumes with Range and If-Range.
    let bytes = pattern(600 * KIB, 5);
    let id = sim
        .add_file(sim.root_folder_id(), "Cut.wav", Blob::Bytes(bytes.clone().into()))
        .unwrap();
    sim.inject(
        Fault::truncate(100 * KIB)
            .path("/_storage/{asset}/{rendition}/{name}")
            .times(1),
    );
    let mut out = Vec::new();
    let report = client
        .download_asset(&id, &Rendition::Source, &mut out, &Resume::default())
        .await
        .unwrap();
    assert_eq!(out, bytes);
    assert_eq!(report.resumes, 1);
    let storage: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/_storage/"))
        .collect();
    assert_eq!(storage.len(), 2);
    assert_eq!(
        storage[1].header("range"),
        Some(format!("bytes={}-", 100 * KIB).as_str())
    );
    assert!(storage[1].header("if-range").is_some());

    // A delay past the client's patience is a transport error.
    let impatient = sim
        .builder()
        .timeouts(sdk_ci::Timeouts {
            read: Duration::from_millis(200),
            ..sdk_ci::Timeouts::default()
        })
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    impatient.list_workspaces().send().await.unwrap();
    sim.inject(Fault::delay(Duration::from_millis(800)).path("/workspaces").times(1));
    assert!(impatient.list_workspaces().send().await.is_err());
}

#[tokio::test]
async fn bad_requests_are_refused_like_the_service() {
    let sim = Simulator::start().await.unwrap();
    let token = raw_token(&sim).await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", sim.url());
    let body = |answer: reqwest::Response| async move { answer.json::<Value>().await.unwrap() };

    // Wrong method: 405 with Allow.
    let wrong = http
        .delete(url("/workspaces"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["allow"], "GET");
    assert_eq!(body(wrong).await["code"], "MethodNotAllowed");

    // A missing required parameter: 400.
    let search = format!("/workspaces/{}/search", sim.workspace_id());
    let missing = http.get(url(&search)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(missing.status(), 400);
    assert!(body(missing).await["message"].as_str().unwrap().contains("query"));

    // A mistyped parameter, and values out of range, with the document's codes.
    let contents = format!("/folders/{}/contents", sim.root_folder_id());
    for (query, code) in [
        ("limit=ten", "InvalidRequest"),
        ("limit=0", "InvalidLimitOrOffset"),
        ("limit=101", "InvalidLimitOrOffset"),
        ("offset=-1", "InvalidLimitOrOffset"),
        ("orderBy=colour", "InvalidQueryOrderField"),
        ("orderDirection=up", "InvalidQueryOrderDirection"),
        ("kind=things", "InvalidQueryKindFilter"),
    ] {
        let answer = http
            .get(url(&format!("{contents}?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{query}");
        assert_eq!(body(answer).await["code"], code, "{query}");
    }

    // The wrong content type: 415; a body that is not JSON: 400.
    let text = http
        .post(url("/folders"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    let broken = http
        .post(url("/folders"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);

    // An operation's own validation: create_folder reports a missing parent as 400.
    let orphan = http
        .post(url("/folders"))
        .bearer_auth(&token)
        .json(&json!({"name": "x", "parentFolderId": "nope", "workspaceId": sim.workspace_id()}))
        .send()
        .await
        .unwrap();
    assert_eq!(orphan.status(), 400);
    assert_eq!(body(orphan).await["code"], "FolderNotFound");

    // A bodiless POST without Content-Length: 411 (the document requires the header), sent raw.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = sim.url().trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let folder = sim.create_folder(sim.root_folder_id(), "To trash").unwrap();
    let head = format!(
        "POST /folders/{folder}/trash HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 411"), "{answer}");
    assert!(answer.contains("\"code\":\"LengthRequired\""), "{answer}");
    let trashed = http
        .post(url(&format!("/folders/{folder}/trash")))
        .bearer_auth(&token)
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(trashed.status(), 200, "with Content-Length: 0 it passes");

    // Unknown paths: 404 in Ci's shape; rate-limit headers on refusals too.
    let unknown = http.get(url("/nothing/here")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.headers().contains_key("x-ratelimit-remaining"));
    assert_eq!(body(unknown).await["code"], "NotFound");
}

#[tokio::test]
async fn multipart_uploads_are_checked_when_completed() {
    let sim = Simulator::start_with(Options {
        min_part_size: 100,
        ..Options::default()
    })
    .await
    .unwrap();
    let token = raw_token(&sim).await;
    let http = reqwest::Client::new();
    let url = |path: String| format!("{}{path}", sim.url());
    let start = |size: u64| {
        http.post(url("/upload/multipart".into()))
            .bearer_auth(&token)
            .json(&json!({"name": "parts.bin", "size": size, "workspaceId": sim.workspace_id()}))
            .send()
    };
    let put = |id: &str, n: &str, len: usize| {
        http.put(url(format!("/upload/multipart/{id}/{n}")))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(vec![7u8; len])
            .send()
    };
    let complete = |id: &str| {
        http.post(url(format!("/upload/multipart/{id}/complete")))
            .bearer_auth(&token)
            .header("content-length", "0")
            .send()
    };
    let id = start(250).await.unwrap().json::<Value>().await.unwrap()["assetId"]
        .as_str()
        .unwrap()
        .to_string();
    // Uploading: the asset exists, but cannot be downloaded yet.
    let asset: Value = http
        .get(url(format!("/assets/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(asset["status"], "Uploading");
    assert_eq!(put(&id, "0", 10).await.unwrap().status(), 400, "parts count from 1");
    assert_eq!(put(&id, "1", 150).await.unwrap().status(), 200);
    assert_eq!(put(&id, "3", 50).await.unwrap().status(), 200);
    let gap = complete(&id).await.unwrap();
    assert_eq!(gap.status(), 400);
    assert!(gap.text().await.unwrap().contains("Part 2 is missing"));
    assert_eq!(put(&id, "2", 60).await.unwrap().status(), 200);
    let small = complete(&id).await.unwrap();
    assert!(small.text().await.unwrap().contains("less than the minimum"));
    assert_eq!(
        put(&id, "2", 100).await.unwrap().status(),
        200,
        "a part sent again replaces it"
    );
    let size = complete(&id).await.unwrap();
    assert!(size.text().await.unwrap().contains("declared 250"));
    assert_eq!(put(&id, "1", 100).await.unwrap().status(), 200);
    assert_eq!(complete(&id).await.unwrap().status(), 200);
    assert_eq!(sim.blob(&id).unwrap().len(), 250);
    assert_eq!(complete(&id).await.unwrap().status(), 409, "already complete");
    // Wrong content type for a part: 415.
    let id2 = start(10).await.unwrap().json::<Value>().await.unwrap()["assetId"]
        .as_str()
        .unwrap()
        .to_string();
    let text = http
        .put(url(format!("/upload/multipart/{id2}/1")))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
}

#[tokio::test]
async fn the_generated_operations_decode_the_simulators_answers_for_real_resources() {
    // generated_simulator.rs calls every operation with made-up ids (mostly 404s); these call the
    // read operations on the seeded corpus, so every stateful answer is decoded by the model.
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let ws = sim.workspace_id();
    let workspaces = client.list_workspaces().send().await.unwrap().into_inner();
    assert!(
        workspaces
            .items
            .iter()
            .all(|w| w.root_folder_id.is_some() && w.storage.is_some())
    );
    let workspace = client
        .get_workspace()
        .workspace_id(ws)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(workspace.asset_count, Some(6));
    let contents = client
        .list_workspace_contents()
        .workspace_id(ws)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(contents.count, Some(9), "3 folders and 6 assets");
    for item in &contents.items {
        match item.kind {
            Some(types::ItemKind::Folder) => {
                let id = item.id.as_deref().unwrap();
                client.get_folder().folder_id(id).send().await.unwrap();
                client.get_folder_stats().folder_id(id).send().await.unwrap();
                client.list_folder_contents().folder_id(id).send().await.unwrap();
            }
            Some(types::ItemKind::Asset) => {
                let id = item.id.as_deref().unwrap();
                let asset = client.get_asset().asset_id(id).send().await.unwrap().into_inner();
                assert_eq!(asset.status, Some(types::AssetStatus::Complete));
                let download = client
                    .get_asset_download()
                    .asset_id(id)
                    .send()
                    .await
                    .unwrap()
                    .into_inner();
                assert_eq!(download.size, asset.size);
            }
            ref other => panic!("{other:?}"),
        }
    }
    let updated = client
        .update_workspace()
        .workspace_id(ws)
        .body(types::UpdateWorkspaceRequest {
            name: Some("Renamed".into()),
            note: Some("A new note".into()),
            is_archive_enabled: None,
            is_aspera_enabled: None,
            manage_members_privilege: None,
            purge_trash_privilege: None,
            storage_allotted: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.name.as_deref(), Some("Renamed"));
    assert_eq!(updated.note.and_then(|n| n.text).as_deref(), Some("A new note"));
    let created = client
        .create_workspace()
        .network_id(sdk_ci::simulator::NETWORK_ID)
        .body(types::CreateWorkspaceRequest {
            name: "Brand new".into(),
            storage_allotted: types::StorageAllotment { value: 50, unit: None },
            manage_members_privilege: types::WorkspacePrivilegeRole::WorkspaceAdmin,
            purge_trash_privilege: types::WorkspacePrivilegeRole::NetworkOwner,
            is_archive_enabled: None,
            is_aspera_enabled: None,
            members: vec![],
            note: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let root = created.root_folder_id.expect("a new workspace has a root folder");
    let empty = client
        .list_folder_contents()
        .folder_id(&root)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((empty.count, empty.items.len()), (Some(0), 0));
    let listed = client.list_workspaces().send().await.unwrap().into_inner();
    assert_eq!(listed.count, Some(3));
    // The example-based operations decode too (MediaBoxes, events).
    client.list_received_mediaboxes().send().await.unwrap();
    client.list_workspace_events().workspace_id(ws).send().await.unwrap();
    client
        .list_network_events()
        .network_id(sdk_ci::simulator::NETWORK_ID)
        .send()
        .await
        .unwrap();
    let unknown = client
        .list_network_events()
        .network_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status_of(&unknown), code_of(&unknown).as_str()),
        (404, "NetworkNotFound")
    );
}
