//! The crate's real client against the Skyfish simulator (feature `simulator`): sign-in and auth
//! enforcement (wrong credentials, the ±60 s window, expiry on the simulator's clock, revoked
//! tokens and transparent renewal), the stateful flows (folders, upload with progress, import,
//! search, metadata, downloads with `Range`, trash and delete), paging over 10,000 seeded assets,
//! a 2 GiB generated file, injected faults, the request log, and refusals of bad requests sent raw.

#![cfg(feature = "simulator")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::TryStreamExt;
use sdk_skyfish::runtime::{LooseId, Progress, Resume};
use sdk_skyfish::simulator::{Blob, Fault, Options, Simulator};
use sdk_skyfish::types::{self, DownloadSize, MediaType, ReturnValue};
use sdk_skyfish::{Client, Error, PollOptions};
use serde_json::{Value, json};

fn id(v: &LooseId) -> i64 {
    v.to_string().parse().unwrap()
}

fn quick(max_attempts: u32) -> PollOptions {
    PollOptions {
        interval: Duration::from_millis(5),
        timeout: Duration::from_secs(10),
        max_attempts,
    }
}

/// Deterministic, non-repeating test content.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31) ^ (i >> 9)) as u8).collect()
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sdk-skyfish-sim-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A client and its current token (after one call).
async fn client_and_token(sim: &Simulator) -> (Client, String) {
    let (client, auth) = sim.builder().build_with_auth().unwrap();
    client.get_whoami().send().await.unwrap();
    let token = auth.current_token().await.unwrap().0.expose().to_string();
    (client, token)
}

fn bearer(token: &str) -> String {
    format!("CBX-SIMPLE-TOKEN Token={token}")
}

/// The id of a folder by its name.
async fn folder_named(client: &Client, name: &str) -> i64 {
    let folders = client.list_folders().q(name).send().await.unwrap().into_inner();
    folders
        .iter()
        .find(|f| f.name.as_deref() == Some(name))
        .and_then(|f| f.id.as_ref())
        .map(id)
        .unwrap_or_else(|| panic!("no folder {name}"))
}

async fn search_ids(client: &Client, request: sdk_skyfish::builder::SearchMedia<'_>) -> Vec<i64> {
    let _ = client;
    request
        .return_values(vec![ReturnValue::UniqueMediaId])
        .send()
        .await
        .unwrap()
        .into_inner()
        .response
        .unwrap_or_default()
        .media
        .iter()
        .filter_map(|m| m.unique_media_id.as_ref().map(id))
        .collect()
}

fn api_status(e: &Error) -> Option<u16> {
    match e {
        Error::Api { status, .. } => Some(status.as_u16()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Sign-in and auth enforcement
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_client_logs_in_with_the_hmac_and_every_call_carries_the_token() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let me = client.get_whoami().send().await.unwrap();
    assert!(
        me.headers().contains_key("x-cbx-request-id"),
        "every answer has a request id"
    );
    let me = me.into_inner();
    assert_eq!(me.0["id"], json!(sim.user_id()));

    let log = sim.requests();
    assert_eq!(log.len(), 2);
    let login = &log[0];
    assert_eq!(
        (login.method.as_str(), login.path.as_str()),
        ("POST", "/authenticate/userpasshmac")
    );
    assert_eq!(login.header("authorization"), None);
    let body = login.json();
    let c = sim.credentials();
    let ts = body["ts"].as_i64().expect("ts is a JSON integer");
    assert!((ts - sim.clock().unix()).abs() <= 2);
    assert_eq!(body["key"], json!(c.api_key));
    assert_eq!(body["username"], json!(c.username));
    assert_eq!(body["password"], json!(c.password.expose()));
    assert_eq!(
        body["hmac"],
        json!(sdk_skyfish::auth::login_hmac(&c.api_key, c.api_secret.expose(), ts))
    );
    let whoami = &log[1];
    assert_eq!(whoami.path, "/whoami");
    let header = whoami.header("authorization").unwrap();
    assert!(header.starts_with("CBX-SIMPLE-TOKEN Token="), "{header}");
    assert_eq!(header.len(), "CBX-SIMPLE-TOKEN Token=".len() + 40);
}

#[tokio::test]
async fn wrong_credentials_and_a_stale_ts_are_refused_401_with_the_services_message() {
    let sim = Simulator::start().await.unwrap();
    let c = sim.credentials();
    let cases = [
        (
            "wrong password",
            c.api_key.clone(),
            c.api_secret.expose().to_string(),
            "nope".to_string(),
            0,
            "invalid username or password",
        ),
        (
            "wrong secret",
            c.api_key.clone(),
            "other-secret".into(),
            c.password.expose().to_string(),
            0,
            "invalid hmac",
        ),
        (
            "unknown key",
            "other-key".into(),
            c.api_secret.expose().to_string(),
            c.password.expose().to_string(),
            0,
            "invalid api key",
        ),
        (
            "clock 2 minutes off",
            c.api_key.clone(),
            c.api_secret.expose().to_string(),
            c.password.expose().to_string(),
            120,
            "outside the allowed window",
        ),
        (
            "clock 61 s behind",
            c.api_key.clone(),
            c.api_secret.expose().to_string(),
            c.password.expose().to_string(),
            -61,
            "outside the allowed window",
        ),
    ];
    for (case, key, secret, password, skew, message) in cases {
        let clock = sim.clock().clone();
        let client = sim
            .builder()
            .credentials(key, secret, c.username.clone(), password.clone())
            .clock(move || clock.unix() + skew)
            .build()
            .unwrap();
        let err = client.get_whoami().send().await.unwrap_err();
        let Error::Auth(text) = &err else {
            panic!("{case}: {err:?}")
        };
        assert!(text.contains("401") && text.contains(message), "{case}: {text}");
        assert!(
            !text.contains(c.password.expose()) && !text.contains(c.api_secret.expose()),
            "{case}: {text}"
        );
    }
    // 60 s off is still accepted.
    let clock = sim.clock().clone();
    let client = sim.builder().clock(move || clock.unix() - 58).build().unwrap();
    client.get_whoami().send().await.unwrap();

    // The HMAC must be lower case; every field is required.
    let http = reqwest::Client::new();
    let ts = sim.clock().unix();
    let hmac = sdk_skyfish::auth::login_hmac(&c.api_key, c.api_secret.expose(), ts);
    let login = |body: Value| {
        http.post(format!("{}/authenticate/userpasshmac", sim.url()))
            .json(&body)
            .send()
    };
    let upper = login(json!({"username": c.username, "password": c.password.expose(), "key": c.api_key, "ts": ts, "hmac": hmac.to_uppercase()}))
        .await
        .unwrap();
    assert_eq!(upper.status(), 401);
    assert_eq!(upper.json::<Value>().await.unwrap(), json!({"message": "invalid hmac"}));
    let missing = login(json!({"username": c.username, "key": c.api_key, "ts": ts, "hmac": hmac}))
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    let ok = login(
        json!({"username": c.username, "password": c.password.expose(), "key": c.api_key, "ts": ts, "hmac": hmac}),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    let answer: Value = ok.json().await.unwrap();
    assert_eq!(answer["type"], json!(1));
    assert_eq!(answer["validUntil"], json!(ts + 30 * 24 * 3600), "30 days");
}

#[tokio::test]
async fn calls_without_a_valid_token_are_refused_and_the_query_parameter_works() {
    let sim = Simulator::start().await.unwrap();
    let (_, token) = client_and_token(&sim).await;
    let http = reqwest::Client::new();
    let whoami = format!("{}/whoami", sim.url());

    let anonymous = http.get(&whoami).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("x-cbx-request-id"));
    assert_eq!(
        anonymous.json::<Value>().await.unwrap(),
        json!({"message": "authorization required"})
    );
    for header in [
        "CBX-SIMPLE-TOKEN Token=0000",
        "Bearer abc",
        "CBX-SIMPLE-TOKEN Nothing=1",
    ] {
        let refused = http.get(&whoami).header("authorization", header).send().await.unwrap();
        assert_eq!(refused.status(), 401, "{header}");
    }
    let ok = http
        .get(&whoami)
        .header("authorization", bearer(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // §8.3: the header value, base64, in the `authorization` query parameter.
    let encoded = base64::engine::general_purpose::STANDARD.encode(bearer(&token));
    let by_query = http
        .get(&whoami)
        .query(&[("authorization", encoded)])
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    // The SDK's own helper builds the same URL.
    let url = sim.client().authorized_url(&whoami).await.unwrap();
    assert_eq!(http.get(url).send().await.unwrap().status(), 200);

    let client = sim.client();
    let status = |t: &str| client.validate_token().token(t).send();
    let valid = status(&token).await.unwrap().into_inner();
    assert_eq!(valid.token_status, Some(types::TokenStatus::Valid));
    let invalid = status("0000").await.unwrap().into_inner();
    assert_eq!(invalid.token_status, Some(types::TokenStatus::Invalid));
}

#[tokio::test]
async fn an_expired_token_is_renewed_transparently_on_the_simulators_clock() {
    let sim = Simulator::start().await.unwrap();
    let (client, token) = client_and_token(&sim).await;
    sim.clock().advance(Duration::from_secs(31 * 24 * 3600));
    let http = reqwest::Client::new();
    let stale = http
        .get(format!("{}/whoami", sim.url()))
        .header("authorization", bearer(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);
    assert_eq!(
        stale.json::<Value>().await.unwrap(),
        json!({"message": "token expired"})
    );

    sim.clear_requests();
    client.list_folders().send().await.unwrap();
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["/authenticate/userpasshmac", "/folder"],
        "renewed before the call"
    );
    let invalid = client.validate_token().token(&token).send().await.unwrap().into_inner();
    assert_eq!(invalid.token_status, Some(types::TokenStatus::Invalid));
}

#[tokio::test]
async fn a_revoked_token_is_refused_and_the_client_logs_in_again_once() {
    let sim = Simulator::start().await.unwrap();
    let (client, _) = client_and_token(&sim).await;
    sim.revoke_tokens();
    sim.clear_requests();
    client.list_folders().send().await.unwrap();
    let log: Vec<(String, String)> = sim
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        log,
        [
            ("GET".to_string(), "/folder".to_string()),
            ("POST".into(), "/authenticate/userpasshmac".into()),
            ("GET".into(), "/folder".into()),
        ]
    );
    let requests = sim.requests();
    assert_ne!(requests[0].header("authorization"), requests[2].header("authorization"));

    // A client that only has the token cannot renew it: the 401 surfaces.
    let (_, token) = client_and_token(&sim).await;
    sim.revoke_tokens();
    let token_only = Client::builder().base_url(sim.url()).token(token).build().unwrap();
    let err = token_only.get_whoami().send().await.unwrap_err();
    assert_eq!(api_status(&err), Some(401), "{err:?}");
}

#[tokio::test]
async fn a_client_on_the_system_clock_cannot_log_in_once_the_service_clock_moved() {
    let sim = Simulator::start().await.unwrap();
    sim.clock().advance(Duration::from_secs(600));
    let c = sim.credentials();
    let client = Client::builder()
        .base_url(sim.url())
        .credentials(c.api_key, c.api_secret, c.username, c.password)
        .build()
        .unwrap();
    let err = client.get_whoami().send().await.unwrap_err();
    assert!(matches!(&err, Error::Auth(m) if m.contains("window")), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// The stateful flow
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn folder_upload_search_metadata_download_trash_and_delete() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let root = folder_named(&client, "My first folder").await;

    // A folder.
    let folder = client
        .create_folder()
        .body(types::FolderInput {
            name: "Holiday 2024".into(),
            parent: Some(root.into()),
            company_id: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let folder = id(folder.id.as_ref().unwrap());
    let listed = client.list_folders().parent(root).send().await.unwrap().into_inner();
    assert!(listed.iter().any(|f| f.id.as_ref().map(id) == Some(folder)));

    // An upload, with its progress, then the import.
    let data = content(700_000);
    let path = temp_file("beach-day.jpg", &data);
    let sent = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let imports = Arc::new(Mutex::new(Vec::<Option<f64>>::new()));
    let (sent2, imports2) = (sent.clone(), imports.clone());
    let media = client
        .upload(folder)
        .content_type("image/jpeg")
        .on_progress(move |p| sent2.lock().unwrap().push(p))
        .wait_for_import(quick(20))
        .on_import_progress(move |p| imports2.lock().unwrap().push(p.percent()))
        .file(&path)
        .await
        .unwrap();
    let media = id(&media);
    let sent = sent.lock().unwrap().clone();
    assert!(sent.len() >= 2, "progress per chunk: {sent:?}");
    assert_eq!(sent.last().unwrap().done, data.len() as u64);
    assert!(sent.iter().all(|p| p.total == Some(data.len() as u64)));
    assert!(sent.windows(2).all(|w| w[0].done < w[1].done));
    assert_eq!(
        imports.lock().unwrap().as_slice(),
        [Some(50.0)],
        "one 202 with progress"
    );
    assert_eq!(
        sim.blob(media).unwrap().slice(0, data.len() as u64),
        data,
        "the bytes are kept"
    );
    assert_eq!(sim.folders_of(media), [folder]);

    // The storage post: every field in order, the file last, no Skyfish token; then /upload/done.
    let log = sim.requests();
    let post = log.iter().find(|r| r.path == "/_storage/upload").unwrap();
    assert_eq!(post.header("authorization"), None);
    let text = String::from_utf8_lossy(&post.body);
    let order: Vec<usize> = [
        "success_action_redirect",
        "\"key\"",
        "Policy",
        "X-Amz-Signature",
        "name=\"file\"",
    ]
    .iter()
    .map(|f| text.find(f).unwrap_or_else(|| panic!("{f} missing")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "fields in order, file last");
    assert!(text.contains("filename=\"beach-day.jpg\""));
    let done = log.iter().find(|r| r.path == "/upload/done").unwrap();
    assert_eq!(done.header("authorization"), None);
    assert!(done.query_param("key").unwrap().ends_with("/beach-day.jpg"));

    // The media document, then search finds it by folder and by its file name.
    let doc = client.get_media().id(media).send().await.unwrap().into_inner();
    assert_eq!(doc.filename.as_deref(), Some("beach-day.jpg"));
    assert_eq!(
        search_ids(&client, client.search_media().folder_ids(vec![folder.to_string()])).await,
        [media]
    );
    assert_eq!(search_ids(&client, client.search_media().q("beach-day")).await, [media]);

    // Metadata: title, description, byline, copyright, keywords; search sees them.
    client
        .set_media_title()
        .id(media)
        .body(types::LocalizedText(
            [("en".into(), "A day at the beach".into())].into(),
        ))
        .send()
        .await
        .unwrap();
    client
        .set_media_byline()
        .id(media)
        .body(types::MetadataText("Jane Doe".into()))
        .send()
        .await
        .unwrap();
    client
        .set_media_copyright()
        .id(media)
        .body(types::MetadataText("© Jane Doe".into()))
        .send()
        .await
        .unwrap();
    client
        .add_media_keywords()
        .ids(vec![media.to_string()])
        .body(types::LocalizedKeywords(
            [("en".into(), vec!["sand".into(), "waves".into()])].into(),
        ))
        .send()
        .await
        .unwrap();
    let metadata = client.get_media_metadata().id(media).send().await.unwrap().into_inner();
    assert_eq!(metadata.title.unwrap().0["en"], "A day at the beach");
    assert_eq!(metadata.keywords.unwrap().0["en"], ["sand", "waves"]);
    let hits = client
        .search_media()
        .q("waves -snow")
        .return_values(vec![
            ReturnValue::UniqueMediaId,
            ReturnValue::Title,
            ReturnValue::Byline,
            ReturnValue::Copyright,
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    let hit = &hits.response.unwrap().media[0];
    assert_eq!(hit.title.as_deref(), Some("A day at the beach"));
    assert_eq!(hit.byline.as_deref(), Some("Jane Doe"));
    assert_eq!(hit.copyright.as_deref(), Some("© Jane Doe"));
    assert_eq!(
        client
            .get_media_version()
            .id(media)
            .send()
            .await
            .unwrap()
            .into_inner()
            .version
            .and_then(|v| v.get()),
        Some(5)
    );

    // Download the whole file, then a range of it, from the signed storage URL.
    let mut whole = Vec::new();
    let n = client.download_media(media, None, &mut whole).await.unwrap();
    assert_eq!((n, whole == data), (data.len() as u64, true));
    let location = client
        .get_media_download_location()
        .id(media)
        .send()
        .await
        .unwrap()
        .into_inner();
    let url = location.url.unwrap();
    assert!(
        url.starts_with(&format!("{}/_storage/media/{media}/", sim.url())),
        "{url}"
    );
    let part = reqwest::Client::new()
        .get(&url)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1999/700000");
    assert_eq!(part.bytes().await.unwrap().to_vec(), data[1000..2000]);
    let storage_gets: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/_storage/media/"))
        .collect();
    assert!(
        storage_gets.iter().all(|r| r.header("authorization").is_none()),
        "no token to storage"
    );

    // Trash, then delete; everything is gone.
    client
        .move_media_to_trash()
        .id(media)
        .folder_id(folder)
        .send()
        .await
        .unwrap();
    assert_eq!(sim.folders_of(media), [sim.trash_folder()]);
    assert!(
        search_ids(&client, client.search_media().folder_ids(vec![folder.to_string()]))
            .await
            .is_empty()
    );
    client
        .move_media_to_trash()
        .id(media)
        .folder_id(sim.trash_folder())
        .send()
        .await
        .unwrap();
    let gone = client.get_media().id(media).send().await.unwrap_err();
    assert_eq!(api_status(&gone), Some(404));
    client.delete_folder().id(folder).send().await.unwrap();
    let gone = client.get_folder().id(folder).send().await.unwrap_err();
    assert_eq!(api_status(&gone), Some(404));
    assert!(matches!(&gone, Error::Api { message: Some(m), request_id: Some(_), .. } if m == "no such folder"));
}

#[tokio::test]
async fn an_upload_from_a_stream_reports_progress_and_is_searchable_only_once_imported() {
    let sim = Simulator::start_with(Options {
        import_polls: 2,
        ..Options::default()
    })
    .await
    .unwrap();
    let client = sim.client();
    let folder = sim.create_folder("Inbox", None);
    let data = content(300_000);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = data.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let sent2 = sent.clone();
    let media = client
        .upload(folder)
        .on_progress(move |p| sent2.lock().unwrap().push(p.done))
        .stream("notes.txt", data.len() as u64, futures_util::stream::iter(chunks))
        .await
        .unwrap();
    let media = id(&media);
    assert_eq!(sent.lock().unwrap().last(), Some(&(data.len() as u64)));
    // Not imported yet: 202 twice, absent from search; then 200.
    let q = || search_ids(&client, client.search_media().q("notes"));
    assert!(q().await.is_empty());
    for _ in 0..2 {
        let err = client.get_media().id(media).send().await.unwrap_err();
        assert!(
            matches!(&err, Error::UnexpectedStatus { status, .. } if status.as_u16() == 202),
            "{err:?}"
        );
    }
    client.get_media().id(media).send().await.unwrap();
    assert_eq!(q().await, [media]);
    // Without polls the import finishes by time.
    let other = client
        .upload(folder)
        .stream(
            "later.txt",
            3,
            futures_util::stream::iter([Ok::<_, std::io::Error>(b"abc".to_vec())]),
        )
        .await
        .unwrap();
    sim.clock().advance(Duration::from_secs(11));
    assert_eq!(
        search_ids(&client, client.search_media().q("later")).await,
        [id(&other)]
    );
}

// ---------------------------------------------------------------------------------------------
// Search and paging
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn paging_reads_all_of_ten_thousand_seeded_assets() {
    let sim = Simulator::start().await.unwrap();
    let ids = sim.seed_assets(10_000);
    assert_eq!(ids.len(), 10_000);
    let folder = sim.folders_of(ids[0])[0];
    let client = sim.client();
    sim.clear_requests();
    let hits: Vec<types::SearchMedia> = client
        .search_media()
        .folder_ids(vec![folder.to_string()])
        .return_values(vec![ReturnValue::UniqueMediaId, ReturnValue::Title])
        .into_stream(500)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(hits.len(), 10_000);
    let got: Vec<i64> = hits.iter().map(|h| id(h.unique_media_id.as_ref().unwrap())).collect();
    assert_eq!(got, ids, "every asset once, in a stable order");
    let searches: Vec<_> = sim.requests().into_iter().filter(|r| r.path == "/search").collect();
    assert_eq!(searches.len(), 20);
    assert_eq!(searches[3].query_param("media_offset").as_deref(), Some("1500"));
    assert!(
        searches[0]
            .query
            .as_deref()
            .unwrap()
            .contains("return_values=unique_media_id+title")
    );

    // The answer's shape: paging statistics beside `response`.
    let (_, token) = client_and_token(&sim).await;
    let raw: Value = reqwest::Client::new()
        .get(format!(
            "{}/search?folder_ids={folder}&return_values=unique_media_id&media_offset=9990&media_count=500",
            sim.url()
        ))
        .header("authorization", bearer(&token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["media_count"], json!(10));
    assert_eq!(raw["media_offset"], json!(9990));
    assert_eq!(raw["response"]["hits"], json!(10_000));
    assert_eq!(raw["response"]["media"][0], json!({"unique_media_id": ids[9990]}));
}

#[tokio::test]
async fn search_filters_return_values_and_the_plus_join() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let press = folder_named(&client, "Press photos").await;
    let first = folder_named(&client, "My first folder").await;

    assert!(
        search_ids(&client, client.search_media()).await.is_empty(),
        "no q, folder or id: no result"
    );
    let summer = search_ids(&client, client.search_media().q("summer")).await;
    assert_eq!(summer.len(), 2);
    let no_sea = search_ids(&client, client.search_media().q("summer -sea")).await;
    assert_eq!(no_sea.len(), 1);
    let wild = search_ids(
        &client,
        client.search_media().q("harv").query_type(types::QueryType::Wildcards),
    )
    .await;
    assert_eq!(wild.len(), 1);
    assert!(
        search_ids(&client, client.search_media().q("harv")).await.is_empty(),
        "whole words by default"
    );
    let only_first = search_ids(&client, client.search_media().folder_ids(vec![first.to_string()])).await;
    let with_sub = search_ids(
        &client,
        client
            .search_media()
            .folder_ids(vec![first.to_string()])
            .recursive(true),
    )
    .await;
    assert_eq!((only_first.len(), with_sub.len()), (2, 4));
    let both = search_ids(
        &client,
        client
            .search_media()
            .folder_ids(vec![first.to_string(), press.to_string()]),
    )
    .await;
    assert_eq!(both.len(), 4);
    let videos = search_ids(
        &client,
        client.search_media().q("drone").media_type(vec![MediaType::Video]),
    )
    .await;
    assert_eq!(videos.len(), 1);
    let tall = search_ids(
        &client,
        client
            .search_media()
            .folder_ids(vec![press.to_string()])
            .orientation(types::Orientation::Vertical),
    )
    .await;
    assert_eq!(tall.len(), 1);
    let newest = search_ids(
        &client,
        client
            .search_media()
            .folder_ids(vec![first.to_string(), press.to_string()])
            .order(types::SearchOrder::Created)
            .direction(types::SortDirection::Desc)
            .media_count(1),
    )
    .await;
    assert_eq!(newest.len(), 1);
    assert_eq!(
        search_ids(
            &client,
            client.search_media().unique_media_id(vec![newest[0].to_string()])
        )
        .await,
        newest
    );

    // Each hit carries exactly the requested return values.
    let (_, token) = client_and_token(&sim).await;
    let http = reqwest::Client::new();
    let get = |query: &str| {
        http.get(format!("{}/search?{query}", sim.url()))
            .header("authorization", bearer(&token))
            .send()
    };
    let answer: Value = get("q=cat&return_values=title+filename+geo_location")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut keys: Vec<&String> = answer["response"]["media"][0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["filename", "geo_location", "title"]);
    // `%2B` is not a join.
    let encoded = get("q=cat&return_values=title%2Bfilename").await.unwrap();
    assert_eq!(encoded.status(), 400);
    let folders = get(&format!("folder_ids={first}%2B{press}&return_values=title"))
        .await
        .unwrap();
    assert_eq!(folders.status(), 400);
    assert!(
        folders.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("%2B")
    );
    assert_eq!(
        get("q=cat&return_values=title&direction=asc").await.unwrap().status(),
        400
    );
    assert_eq!(get("q=cat&return_values=nonsense").await.unwrap().status(), 400);

    // The Colourbox downloads: their own corpus, no folder_ids, other languages.
    let stock = client
        .search_colourbox_downloads()
        .q("Strand")
        .lang(types::SearchLanguage::De)
        .return_values(vec![ReturnValue::UniqueMediaId, ReturnValue::Title])
        .send()
        .await
        .unwrap()
        .into_inner();
    let hit = &stock.response.unwrap().media[0];
    assert_eq!(hit.title.as_deref(), Some("Junge schöne blonde Frau mit Hut am Strand"));
    assert!(
        search_ids(&client, client.search_media().q("beach hat"))
            .await
            .is_empty(),
        "not in own media"
    );
    let unknown_folder: Value = get("folder_ids=1&return_values=title")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unknown_folder["response"]["hits"], json!(0));
    let not_allowed = http
        .get(format!(
            "{}/search/colourbox/download?q=x&folder_ids=1&return_values=title",
            sim.url()
        ))
        .header("authorization", bearer(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(not_allowed.status(), 400);
    // A Colourbox download is read-only.
    let stock_id = id(hit.unique_media_id.as_ref().unwrap());
    let err = client
        .set_media_title()
        .id(stock_id)
        .body(types::LocalizedText([("en".into(), "x".into())].into()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_status(&err), Some(403));
}

// ---------------------------------------------------------------------------------------------
// Large files, faults and the request log
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_two_gib_generated_file_serves_ranges_at_both_ends() {
    let sim = Simulator::start().await.unwrap();
    let folder = sim.create_folder("Big", None);
    let len = 2u64 << 30;
    let media = sim.add_file(folder, "big.mov", Blob::Generated { len, seed: 7 });
    let client = sim.client();
    let url = client
        .get_media_download_location()
        .id(media)
        .send()
        .await
        .unwrap()
        .into_inner()
        .url
        .unwrap();
    let http = reqwest::Client::new();
    let blob = sim.blob(media).unwrap();
    let head = http.get(&url).header("range", "bytes=0-65535").send().await.unwrap();
    assert_eq!(head.status(), 206);
    assert_eq!(head.headers()["content-range"], format!("bytes 0-65535/{len}").as_str());
    let etag = head.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(head.bytes().await.unwrap().to_vec(), blob.slice(0, 65_536));
    let tail = http
        .get(&url)
        .header("range", "bytes=-1000")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.headers()["content-range"],
        format!("bytes {}-{}/{len}", len - 1000, len - 1).as_str()
    );
    assert_eq!(tail.bytes().await.unwrap().to_vec(), blob.slice(len - 1000, len));
    let past = http
        .get(&url)
        .header("range", format!("bytes={len}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    // The whole answer announces its length without being read.
    let whole = http.get(&url).send().await.unwrap();
    assert_eq!(whole.content_length(), Some(len));
    drop(whole);
    // The SDK resumes from an offset (e.g. a partial file on disk).
    let mut last = Vec::new();
    let report = client
        .download_url_with(
            &url,
            &mut last,
            &Resume {
                offset: len - 10_000,
                ..Resume::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.bytes, 10_000);
    assert_eq!(last, blob.slice(len - 10_000, len));
}

#[tokio::test]
async fn a_503_with_retry_after_and_a_reset_are_retried() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    client.get_whoami().send().await.unwrap();
    sim.clear_requests();
    sim.inject(Fault::status(503).retry_after(1).path("/folder").times(1));
    let started = Instant::now();
    client.list_folders().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "Retry-After honoured");
    assert_eq!(sim.requests().iter().filter(|r| r.path == "/folder").count(), 2);

    sim.clear_requests();
    sim.inject(Fault::reset().path("/whoami").times(1));
    client.get_whoami().send().await.unwrap();
    assert_eq!(sim.requests().len(), 2);

    // POSTs are not retried.
    sim.inject(Fault::status(503).method("POST").path("/folder").times(1));
    let err = client
        .create_folder()
        .body(types::FolderInput {
            name: "x".into(),
            parent: None,
            company_id: None,
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_status(&err), Some(503));

    sim.inject(Fault::malformed().path("/whoami").times(1));
    let err = client.get_whoami().send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_truncated_download_is_resumed_with_range_and_if_range() {
    let sim = Simulator::start().await.unwrap();
    let folder = sim.create_folder("Cut", None);
    let data = content(1_000_000);
    let media = sim.add_file(folder, "cut.bin", Blob::Bytes(data.clone().into()));
    let client = sim.client();
    sim.inject(
        Fault::truncate(300_000)
            .path("/_storage/media/{id}/{variant}/{name}")
            .times(1),
    );
    let mut out = Vec::new();
    let n = client.download_media(media, None, &mut out).await.unwrap();
    assert_eq!(n, 1_000_000);
    assert!(out == data, "the resumed bytes join up");
    let gets: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/_storage/media/"))
        .collect();
    assert_eq!(gets.len(), 2);
    assert_eq!(gets[1].header("range"), Some("bytes=300000-"));
    assert_eq!(
        gets[1].header("if-range"),
        Some(sim.blob(media).unwrap().etag().as_str())
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals of bad requests, storage refusals
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_requests_are_refused_the_way_the_service_refuses_them() {
    let sim = Simulator::start().await.unwrap();
    let (client, token) = client_and_token(&sim).await;
    let folder = folder_named(&client, "My first folder").await;
    let http = reqwest::Client::new();
    let auth = bearer(&token);
    let send = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{}{path}", sim.url()))
            .header("authorization", &auth)
    };
    let message = |r: reqwest::Response| async move {
        assert!(r.headers().contains_key("x-cbx-request-id"));
        r.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // A method the resource does not support: 404 (Appendix C), not 405.
    let wrong = send(reqwest::Method::PUT, &format!("/folder/{folder}"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    assert!(message(wrong).await.contains("PUT is not allowed"));
    // A missing required parameter; a parameter of the wrong type.
    let missing = send(reqwest::Method::GET, "/search?q=cat").send().await.unwrap();
    assert_eq!(missing.status(), 400);
    assert!(message(missing).await.contains("return_values"));
    let typed = send(
        reqwest::Method::GET,
        "/search?q=cat&return_values=title&media_count=ten",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(typed.status(), 400);
    // A body of the wrong content type: 400 (the service does not use 415); invalid JSON: 400.
    let form = send(reqwest::Method::POST, "/folder")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=x&parent=")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 400);
    assert!(message(form).await.contains("application/json"));
    let broken = send(reqwest::Method::POST, "/folder")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    // Bodies that are JSON but not what the operation takes.
    let no_parent = send(reqwest::Method::POST, "/folder")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_parent.status(), 400);
    let not_a_string = send(reqwest::Method::POST, "/media/90909001/metadata/byline")
        .json(&json!({"en": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_string.status(), 400);
    let not_tags = send(reqwest::Method::PUT, &format!("/folder/{folder}/tags"))
        .json(&json!({"tag": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_tags.status(), 400);
    // Unknown paths and resources.
    let unknown = send(reqwest::Method::GET, "/nothing/here").send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let no_folder = send(reqwest::Method::GET, "/folder/999").send().await.unwrap();
    assert_eq!(
        (no_folder.status().as_u16(), message(no_folder).await),
        (404, "no such folder".to_string())
    );
    // Every refusal was logged as sent.
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path == format!("/folder/{folder}"))
    );
}

#[tokio::test]
async fn storage_urls_need_no_token_and_refuse_what_s3_refuses() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let folder = sim.create_folder("S3", None);
    let media = sim.add_file(folder, "a.txt", Blob::Bytes(b"hello storage".to_vec().into()));
    let url = client
        .get_media_download_location()
        .id(media)
        .send()
        .await
        .unwrap()
        .into_inner()
        .url
        .unwrap();
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(&url).send().await.unwrap().bytes().await.unwrap().as_ref(),
        b"hello storage"
    );
    let with_token = http
        .get(&url)
        .header("authorization", "CBX-SIMPLE-TOKEN Token=x")
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 400);
    assert!(
        with_token
            .text()
            .await
            .unwrap()
            .contains("<Code>InvalidArgument</Code>")
    );
    let tampered = http.get(url.replace("Signature=", "Signature=0")).send().await.unwrap();
    assert_eq!(tampered.status(), 403);
    sim.clock().advance(Duration::from_secs(301));
    let expired = http.get(&url).send().await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("Request has expired"));

    // The upload form's policy is checked as S3 checks it.
    let form = client
        .register_upload()
        .body(types::UploadRegistration {
            folder: folder.into(),
            redirect_url: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let action = form.action.clone().unwrap();
    assert_eq!(action, format!("{}/_storage/upload", sim.url()));
    let post = |skip: &str, tamper: bool, token: bool| {
        let mut multipart = reqwest::multipart::Form::new();
        for f in &form.fields {
            let name = f.name.clone().unwrap();
            if name == "file" || name == skip {
                continue;
            }
            let mut value = f.value.clone().unwrap_or_default();
            if tamper && name == "X-Amz-Signature" {
                value.push('0');
            }
            multipart = multipart.text(name, value);
        }
        multipart = multipart.part(
            "file",
            reqwest::multipart::Part::bytes(b"abc".to_vec()).file_name("abc.txt"),
        );
        let mut request = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(&action)
            .multipart(multipart);
        if token {
            request = request.header("authorization", "CBX-SIMPLE-TOKEN Token=x");
        }
        request.send()
    };
    assert_eq!(post("", false, true).await.unwrap().status(), 400, "a token is refused");
    assert_eq!(post("Policy", false, false).await.unwrap().status(), 403);
    assert_eq!(post("", true, false).await.unwrap().status(), 403);
    assert_eq!(
        post("success_action_redirect", false, false).await.unwrap().status(),
        403
    );
    let accepted = post("", false, false).await.unwrap();
    assert_eq!(accepted.status(), 303);
    let location = accepted.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{}/upload/done?bucket=", sim.url())),
        "{location}"
    );
    let done: Value = http.get(&location).send().await.unwrap().json().await.unwrap();
    let again: Value = http.get(&location).send().await.unwrap().json().await.unwrap();
    assert_eq!(done, again, "finalising twice answers the same media");
    assert_eq!(
        sim.blob(done["media_id"].as_i64().unwrap()).unwrap().slice(0, 3),
        b"abc"
    );
    sim.clock().advance(Duration::from_secs(3601));
    assert_eq!(
        post("", false, false).await.unwrap().status(),
        403,
        "the policy expired"
    );
}

#[tokio::test]
async fn a_registered_redirect_url_receives_the_media_id() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let folder = sim.create_folder("Redirected", None);
    let form = client
        .register_upload()
        .body(types::UploadRegistration {
            folder: folder.into(),
            redirect_url: Some("https://example.com/after?x=1".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut multipart = reqwest::multipart::Form::new();
    for f in form.fields.iter().filter(|f| f.name.as_deref() != Some("file")) {
        multipart = multipart.text(f.name.clone().unwrap(), f.value.clone().unwrap_or_default());
    }
    multipart = multipart.part(
        "file",
        reqwest::multipart::Part::bytes(b"r".to_vec()).file_name("r.txt"),
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let stored = http
        .post(form.action.unwrap())
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 303);
    let done = stored.headers()["location"].to_str().unwrap().to_string();
    assert!(
        done.starts_with(&format!(
            "{}/upload/done?redirect=https%3A%2F%2Fexample.com%2Fafter%3Fx%3D1&bucket=",
            sim.url()
        )),
        "{done}"
    );
    let finalised = http.get(&done).send().await.unwrap();
    assert_eq!(finalised.status(), 303);
    let media = sim.media_in(folder)[0];
    assert_eq!(
        finalised.headers()["location"],
        format!("https://example.com/after?x=1&media_id={media}").as_str()
    );
}

// ---------------------------------------------------------------------------------------------
// ZIP jobs, streams, metadata details
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn zip_jobs_go_pending_then_done_and_serve_the_folder() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let folder = sim.create_folder("Zipped", None);
    let sub = sim.create_folder("inner", Some(folder));
    sim.add_file(folder, "one.txt", Blob::Bytes(b"first file".to_vec().into()));
    sim.add_file(sub, "two.txt", Blob::Bytes(b"second file".to_vec().into()));
    let first = client.create_folder_zip().id(folder).send().await.unwrap().into_inner();
    assert_eq!(first.state, Some(types::ZipFileState::Pending));
    assert_eq!(first.url, None);
    let url = client.zip_folder(folder, quick(5)).await.unwrap();
    let mut zip = Vec::new();
    client.download_url(&url, &mut zip).await.unwrap();
    assert_eq!(&zip[..4], b"PK\x03\x04");
    let text = String::from_utf8_lossy(&zip);
    assert!(text.contains("one.txt") && text.contains("first file"));
    assert!(text.contains("inner/two.txt") && text.contains("second file"));
    let polled = client
        .get_zip_file()
        .job_id(first.job_id.unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(polled.state, Some(types::ZipFileState::Done));
}

#[tokio::test]
async fn video_streams_answer_404_until_made() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let video = search_ids(&client, client.search_media().q("drone")).await[0];
    let before = client.get_media_stream_url().id(video).send().await.unwrap_err();
    assert_eq!(api_status(&before), Some(404));
    let url = client.video_stream_url(video, quick(5)).await.unwrap();
    assert!(url.ends_with("/playlist.m3u8"));
    let playlist = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(playlist.starts_with("#EXTM3U"));
    let photo = search_ids(&client, client.search_media().q("cat")).await[0];
    let err = client.create_media_stream().id(photo).send().await.unwrap_err();
    assert_eq!(api_status(&err), Some(400));
}

#[tokio::test]
async fn keywords_expiration_tags_and_folder_membership_are_kept() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let a = sim.create_folder("A", None);
    let b = sim.create_folder("B", None);
    let one = sim.add_file(a, "one.jpg", Blob::Bytes(b"1".to_vec().into()));
    let two = sim.add_file(a, "two.jpg", Blob::Bytes(b"2".to_vec().into()));
    let kw = |words: &[&str]| {
        types::LocalizedKeywords([("en".into(), words.iter().map(|w| w.to_string()).collect())].into())
    };
    client
        .add_media_keywords()
        .ids(vec![one.to_string(), two.to_string()])
        .body(kw(&["cat", "dog"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sim.requests().last().unwrap().path,
        format!("/media/{one},{two}/metadata/keyword")
    );
    client
        .remove_media_keywords()
        .ids(vec![two.to_string()])
        .body(kw(&["dog"]))
        .send()
        .await
        .unwrap();
    let words = |m: i64| {
        let client = &client;
        async move {
            client
                .get_media_metadata()
                .id(m)
                .send()
                .await
                .unwrap()
                .into_inner()
                .keywords
                .unwrap()
                .0["en"]
                .clone()
        }
    };
    assert_eq!(
        (words(one).await, words(two).await),
        (vec!["cat".to_string(), "dog".into()], vec!["cat".to_string()])
    );
    client
        .replace_media_keywords()
        .id(one)
        .body(kw(&["bird"]))
        .send()
        .await
        .unwrap();
    assert_eq!(words(one).await, ["bird"]);
    client.clear_media_keywords().id(one).send().await.unwrap();
    assert!(
        client
            .get_media_metadata()
            .id(one)
            .send()
            .await
            .unwrap()
            .into_inner()
            .keywords
            .unwrap()
            .0
            .is_empty()
    );
    let unknown = client
        .add_media_keywords()
        .ids(vec![one.to_string(), "999".into()])
        .body(kw(&["x"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_status(&unknown), Some(404));

    // Expiration: a year and a month is the month's last day; expired media can be left out.
    client
        .update_media_expiration_date()
        .id(one)
        .body(types::ExpirationDateUpdate {
            expiration_year: Some(2024.into()),
            expiration_month: Some(2.into()),
            expiration_date: None,
        })
        .send()
        .await
        .unwrap();
    let date = client
        .get_media_expiration_date()
        .id(one)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(date.expiration_date.unwrap().as_text(), "2024-02-29");
    let all = search_ids(&client, client.search_media().folder_ids(vec![a.to_string()])).await;
    let fresh = search_ids(
        &client,
        client
            .search_media()
            .folder_ids(vec![a.to_string()])
            .exclude_expired_media(true),
    )
    .await;
    assert_eq!((all.len(), fresh), (2, vec![two]));
    let bad = client
        .update_media_expiration_date()
        .id(one)
        .body(types::ExpirationDateUpdate {
            expiration_date: Some("soon".into()),
            expiration_month: None,
            expiration_year: None,
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_status(&bad), Some(400));
    client.delete_media_expiration_date().id(one).send().await.unwrap();

    // Folder tags, visible in search as folder_tags.
    client
        .add_folder_tags()
        .id(a)
        .body(types::TagList(vec!["x".into(), "y".into(), "x".into()]))
        .send()
        .await
        .unwrap();
    client
        .remove_folder_tags()
        .id(a)
        .body(types::TagList(vec!["y".into()]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        client.get_folder_tags().id(a).send().await.unwrap().into_inner().0,
        ["x"]
    );
    let hit = client
        .search_media()
        .unique_media_id(vec![one.to_string()])
        .return_values(vec![ReturnValue::FolderTags])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hit.response.unwrap().media[0].folder_tags, [json!("x")]);
    client.purge_folder_tags().id(a).send().await.unwrap();
    assert!(
        client
            .get_folder_tags()
            .id(a)
            .send()
            .await
            .unwrap()
            .into_inner()
            .0
            .is_empty()
    );

    // Copy (a pointer, no new media), move, remove.
    client.copy_media_to_folder().id(one).folder_id(b).send().await.unwrap();
    assert_eq!(sim.folders_of(one), [a, b]);
    client
        .move_media()
        .id(two)
        .body(types::MediaMove {
            from: a.into(),
            to: b.into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(sim.folders_of(two), [b]);
    let links = client.get_media_folders().id(one).send().await.unwrap().into_inner();
    assert_eq!(
        links
            .iter()
            .map(|l| id(l.group_id.as_ref().unwrap()))
            .collect::<Vec<_>>(),
        [a, b]
    );
    client
        .remove_media_from_folder()
        .id(one)
        .folder_id(a)
        .send()
        .await
        .unwrap();
    assert_eq!(sim.media_in(b).len(), 2);
    let not_there = client
        .remove_media_from_folder()
        .id(one)
        .folder_id(a)
        .send()
        .await
        .unwrap_err();
    assert_eq!(api_status(&not_there), Some(404));
    // Deleting a folder deletes what is only in it; purge keeps the folder.
    client.purge_folder().id(b).send().await.unwrap();
    assert!(sim.media_in(b).is_empty());
    assert!(sim.blob(one).is_none());
    client.get_folder().id(b).send().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Every operation, with ids that exist: each answer decodes into the generated model
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_operation_answers_a_success_that_decodes_for_real_ids() {
    let sim = Simulator::start().await.unwrap();
    let (client, token) = client_and_token(&sim).await;
    let user = sim.user_id();
    let company = sim.company_id();
    let first = folder_named(&client, "My first folder").await;
    let press = folder_named(&client, "Press photos").await;
    let video = search_ids(&client, client.search_media().q("drone")).await[0];
    let cat = search_ids(&client, client.search_media().q("cat")).await[0];
    let harvest = search_ids(&client, client.search_media().q("harvester")).await[0];
    let stock = client
        .search_colourbox_downloads()
        .q("beach")
        .return_values(vec![ReturnValue::UniqueMediaId])
        .send()
        .await
        .unwrap()
        .into_inner()
        .response
        .unwrap()
        .media[0]
        .unique_media_id
        .as_ref()
        .map(id)
        .unwrap();
    let clique = id(client.list_cliques().send().await.unwrap().into_inner()[0]
        .id
        .as_ref()
        .unwrap());
    let other_user = 245_942;
    let mut ok = 0;
    macro_rules! check {
        ($name:literal, $call:expr) => {{
            match $call.await {
                Ok(answer) => {
                    ok += 1;
                    answer
                }
                Err(e) => panic!("{}: {e} ({e:?})", $name),
            }
        }};
    }
    let kw = types::LocalizedKeywords([("en".into(), vec!["k".into()])].into());
    let text = types::LocalizedText([("en".into(), "t".into())].into());
    check!("validate_token", client.validate_token().token(&token).send());
    check!(
        "reset_password",
        client
            .reset_password()
            .body(types::PasswordResetRequest {
                username: "tess@example.com".into()
            })
            .send()
    );
    check!("list_cdn_aliases", client.list_cdn_aliases().company_id(company).send());
    check!(
        "replace_cdn_file",
        client
            .replace_cdn_file()
            .company_id(company)
            .cdn_folder_id(first)
            .old_media_id(cat)
            .new_media_id(harvest)
            .send()
    );
    check!("list_cliques", client.list_cliques().send());
    let made = check!(
        "create_clique",
        client
            .create_clique()
            .body(types::CliqueInput {
                name: "Crew".into(),
                skyfish_id: 102.into(),
                thumbnail_id: None
            })
            .send()
    )
    .into_inner();
    let made = id(made.id.as_ref().unwrap());
    check!(
        "update_clique",
        client
            .update_clique()
            .id(made)
            .body(types::CliqueInput {
                name: "Crew 2".into(),
                skyfish_id: 102.into(),
                thumbnail_id: Some(cat.into())
            })
            .send()
    );
    check!(
        "add_clique_member",
        client.add_clique_member().id(made).user_id(other_user).send()
    );
    check!("list_clique_members", client.list_clique_members().id(made).send());
    check!(
        "remove_clique_member",
        client.remove_clique_member().id(made).user_id(other_user).send()
    );
    check!(
        "add_clique_folder",
        client
            .add_clique_folder()
            .id(made)
            .folder_id(first)
            .body(types::CliqueFolderInput {
                access: types::CliqueFolderAccess::Write,
                upload: Some(true)
            })
            .send()
    );
    let folders = check!("list_clique_folders", client.list_clique_folders().id(made).send()).into_inner();
    assert_eq!(folders[0].0["access"], "WRITE");
    check!(
        "remove_clique_folder",
        client.remove_clique_folder().id(made).folder_id(first).send()
    );
    check!("delete_clique", client.delete_clique().id(made).send());
    check!(
        "get_company_apiendpoint",
        client.get_company_apiendpoint().id(company).send()
    );
    let keys = check!("list_company_apikeys", client.list_company_apikeys().id(company).send()).into_inner();
    assert_eq!(keys[0].key.as_deref(), Some(sim.credentials().api_key.as_str()));
    check!(
        "get_company_diskusage",
        client.get_company_diskusage().id(company).send()
    );
    check!("list_company_folders", client.list_company_folders().id(company).send());
    check!("list_company_users", client.list_company_users().id(company).send());
    check!(
        "list_folders",
        client
            .list_folders()
            .sort_by(types::FolderSortField::Name)
            .sort_order(types::SortDirection::Desc)
            .exclude_per_user_system_folders(true)
            .send()
    );
    let folder = check!(
        "create_folder",
        client
            .create_folder()
            .body(types::FolderInput {
                name: "All ops".into(),
                parent: Some(first.into()),
                company_id: Some(company.into())
            })
            .send()
    )
    .into_inner();
    let folder = id(folder.id.as_ref().unwrap());
    check!("get_folder", client.get_folder().id(folder).send());
    check!(
        "update_folder",
        client
            .update_folder()
            .id(folder)
            .body(types::FolderInput {
                name: "All operations".into(),
                parent: None,
                company_id: None
            })
            .send()
    );
    let zip = check!("download_folder", client.download_folder().id(first).send()).into_inner();
    let zip: Vec<u8> = zip.into_inner().try_collect::<Vec<_>>().await.unwrap().concat();
    assert_eq!(&zip[..4], b"PK\x03\x04", "the folder as a ZIP file");
    check!(
        "add_folder_tags",
        client
            .add_folder_tags()
            .id(folder)
            .body(types::TagList(vec!["a".into()]))
            .send()
    );
    check!("get_folder_tags", client.get_folder_tags().id(folder).send());
    check!(
        "remove_folder_tags",
        client
            .remove_folder_tags()
            .id(folder)
            .body(types::TagList(vec!["a".into()]))
            .send()
    );
    check!("purge_folder_tags", client.purge_folder_tags().id(folder).send());
    let job = check!("create_folder_zip", client.create_folder_zip().id(first).send()).into_inner();
    check!("get_zip_file", client.get_zip_file().job_id(job.job_id.unwrap()).send());
    check!(
        "add_media_keywords",
        client
            .add_media_keywords()
            .ids(vec![cat.to_string(), harvest.to_string()])
            .body(kw.clone())
            .send()
    );
    check!(
        "remove_media_keywords",
        client
            .remove_media_keywords()
            .ids(vec![cat.to_string()])
            .body(kw.clone())
            .send()
    );
    check!("get_media", client.get_media().id(cat).send());
    check!("get_media (Colourbox)", client.get_media().id(stock).send());
    check!(
        "get_media_download_location",
        client
            .get_media_download_location()
            .id(cat)
            .download_info("{\"project\": 1}")
            .user(user)
            .send()
    );
    check!(
        "get_media_download_location_size",
        client
            .get_media_download_location_size()
            .id(cat)
            .size(DownloadSize::V800px)
            .send()
    );
    check!(
        "get_media_download_location_size (preview)",
        client
            .get_media_download_location_size()
            .id(video)
            .size(DownloadSize::Preview)
            .send()
    );
    check!(
        "copy_media_to_folder",
        client.copy_media_to_folder().id(cat).folder_id(folder).send()
    );
    check!("get_media_folders", client.get_media_folders().id(cat).send());
    check!(
        "remove_media_from_folder",
        client.remove_media_from_folder().id(cat).folder_id(folder).send()
    );
    check!(
        "update_media_folders",
        client
            .update_media_folders()
            .id(harvest)
            .body(vec![
                serde_json::from_value(json!({"group_id": press, "status": "RELEASED"})).unwrap()
            ])
            .send()
    );
    let metadata = check!("get_media_metadata", client.get_media_metadata().id(harvest).send()).into_inner();
    check!(
        "update_media_metadata",
        client.update_media_metadata().id(harvest).body(metadata).send()
    );
    check!(
        "set_media_byline",
        client
            .set_media_byline()
            .id(cat)
            .body(types::MetadataText("b".into()))
            .send()
    );
    check!(
        "set_media_copyright",
        client
            .set_media_copyright()
            .id(cat)
            .body(types::MetadataText("c".into()))
            .send()
    );
    check!(
        "set_media_description",
        client.set_media_description().id(cat).body(text.clone()).send()
    );
    check!(
        "set_media_title",
        client.set_media_title().id(cat).body(text.clone()).send()
    );
    check!(
        "update_media_expiration_date",
        client
            .update_media_expiration_date()
            .id(cat)
            .body(types::ExpirationDateUpdate {
                expiration_date: Some("2030-01-31".into()),
                expiration_month: None,
                expiration_year: None
            })
            .send()
    );
    check!(
        "get_media_expiration_date",
        client.get_media_expiration_date().id(cat).send()
    );
    check!(
        "delete_media_expiration_date",
        client.delete_media_expiration_date().id(cat).send()
    );
    check!(
        "replace_media_keywords",
        client.replace_media_keywords().id(cat).body(kw.clone()).send()
    );
    check!("clear_media_keywords", client.clear_media_keywords().id(cat).send());
    check!("create_media_stream", client.create_media_stream().id(video).send());
    let _ = client.get_media_stream_url().id(video).send().await;
    check!("get_media_stream_url", client.get_media_stream_url().id(video).send());
    check!(
        "move_media",
        client
            .move_media()
            .id(harvest)
            .body(types::MediaMove {
                from: press.into(),
                to: folder.into()
            })
            .send()
    );
    check!("get_media_tags", client.get_media_tags().id(cat).send());
    check!("get_media_version", client.get_media_version().id(cat).send());
    check!(
        "search_media",
        client
            .search_media()
            .q("cat")
            .return_values(vec![
                ReturnValue::UniqueMediaId,
                ReturnValue::Keywords,
                ReturnValue::FolderTags,
                ReturnValue::SuggestedKeywords,
                ReturnValue::MediaType,
                ReturnValue::Height,
                ReturnValue::Width,
                ReturnValue::FolderId,
                ReturnValue::Created,
                ReturnValue::Title,
                ReturnValue::Description,
                ReturnValue::ThumbnailUrl,
                ReturnValue::ThumbnailUrlSsl,
                ReturnValue::Filename,
                ReturnValue::Copyright,
                ReturnValue::CameraCreated,
                ReturnValue::Byline,
                ReturnValue::FileMimetype,
                ReturnValue::FileDisksize,
                ReturnValue::UploadedBy,
                ReturnValue::GeoLocation,
                ReturnValue::ConsentForms,
                ReturnValue::ConsentExempt
            ])
            .send()
    );
    check!(
        "search_colourbox_downloads",
        client
            .search_colourbox_downloads()
            .q("beach")
            .return_values(vec![
                ReturnValue::UniqueMediaId,
                ReturnValue::Title,
                ReturnValue::ThumbnailUrl
            ])
            .send()
    );
    check!(
        "signup",
        client
            .signup()
            .body(types::SignupRequest {
                name: "N".into(),
                email: "n@example.com".into(),
                password: "p".into(),
                locale: "da-DK".into()
            })
            .send()
    );
    let form = check!(
        "register_upload",
        client
            .register_upload()
            .body(types::UploadRegistration {
                folder: folder.into(),
                redirect_url: None
            })
            .send()
    )
    .into_inner();
    assert!(
        form.fields
            .iter()
            .any(|f| f.value.as_deref().is_some_and(|v| v.ends_with("${filename}")))
    );
    check!(
        "upload (register, storage, finalize_upload)",
        client.upload(folder).stream(
            "x.txt",
            1,
            futures_util::stream::iter([Ok::<_, std::io::Error>(b"x".to_vec())])
        )
    );
    let mine = check!("list_user_cliques", client.list_user_cliques().id(user).send()).into_inner();
    assert_eq!(
        mine.iter().map(|c| id(c.id.as_ref().unwrap())).collect::<Vec<_>>(),
        [clique]
    );
    check!("get_user_diskusage", client.get_user_diskusage().id(user).send());
    check!("list_user_folders", client.list_user_folders().id(user).send());
    let image = temp_file("me.jpg", b"\xff\xd8\xff\xe0 a picture \xff\xd9");
    check!(
        "upload_user_profile_image",
        client.upload_user_profile_image(user, &image)
    );
    check!(
        "get_user_profile_image",
        client.get_user_profile_image().id(user).send()
    );
    check!(
        "get_user_profile_image_size",
        client
            .get_user_profile_image_size()
            .id(user)
            .size(types::ProfileImageSize::Large)
            .send()
    );
    check!("get_whoami", client.get_whoami().send());
    check!(
        "move_media_to_trash",
        client.move_media_to_trash().id(cat).folder_id(first).send()
    );
    check!("move_folder_to_trash", client.move_folder_to_trash().id(folder).send());
    check!("purge_folder", client.purge_folder().id(press).send());
    check!("delete_folder", client.delete_folder().id(press).send());
    check!("authenticate_userpasshmac", sim.client().get_whoami().send());
    assert_eq!(ok, 74, "the 72 operations of the spec, two of them twice");
}
