//! The hand-written flows against loopback servers: the five-step upload (with the storage PUT's
//! exact bytes and headers), resumable ranged downloads and paged listings as streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dam_test_server::{MockServer, Recorded, Reply};
use futures_util::TryStreamExt;
use sdk_mediagraph::runtime::Resume;
use sdk_mediagraph::{Client, DownloadOptions, Error, RetryPolicy, UploadFile, UploadOptions, types};
use serde_json::json;

/// python3 -c 'import base64; print(base64.b64encode(b":tok-1").decode())'
const BASIC: &str = "Basic OnRvay0x";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .personal_access_token("tok-1", 42)
        .retry_policy(RetryPolicy {
            initial_backoff: std::time::Duration::from_millis(1),
            max_backoff: std::time::Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

/// Deterministic bytes that are not all alike.
fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn temp_file(name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sdk-mediagraph-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

const ASSET_GUID: &str = "39cd27e3-6207-4e95-b2b7-36d636b4ab82";

/// The Mediagraph side of an upload; `prepared` is the prepare answer.
fn api(prepared: serde_json::Value) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    move |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/api/uploads") | ("POST", "/api/contributions/6599/uploads") => Reply::json(
            200,
            json!({"id": 213, "guid": "a6e21ff1", "name": "Test Upload", "done": false}),
        ),
        ("POST", "/api/uploads/a6e21ff1/assets") => Reply::json(200, prepared.clone()),
        ("GET", p) if p == format!("/api/assets/{ASSET_GUID}/set_uploaded") => Reply::json(
            200,
            json!({"asset": {"id": 211, "guid": ASSET_GUID, "filename": "photo.jpg", "aasm_state": "uploaded"}}),
        ),
        ("PUT", "/api/uploads/213/set_done") => Reply::json(200, json!({"id": 213, "assets_count": 1, "done": true})),
        _ => Reply::json(404, json!({"error": "not_found"})),
    }
}

fn prepared(storage: &MockServer) -> serde_json::Value {
    json!({
        "id": 211,
        "guid": ASSET_GUID,
        "filename": "photo.jpg",
        "signed_upload_url": format!("{}/bucket/uploads/211/photo.jpg?X-Amz-Expires=3600&X-Amz-Signature=ab%2Fcd", storage.url()),
    })
}

#[tokio::test]
async fn upload_runs_all_five_steps_and_streams_the_file_to_the_signed_url() {
    let content = data(200_000);
    let path = temp_file("photo.jpg", &content);
    let storage = MockServer::start(|_| Reply::status(200)).await;
    let server = MockServer::start(api(prepared(&storage))).await;
    let options = UploadOptions {
        name: Some("From the SDK".into()),
        note: Some("API test".into()),
        ..Default::default()
    };
    let outcome = client(&server).upload_file(&path, &options).await.unwrap();
    assert_eq!(outcome.session.done, Some(true));
    assert_eq!(outcome.assets.len(), 1);
    assert_eq!(
        outcome.assets[0].guid.as_deref(),
        Some(ASSET_GUID),
        "wrapped answer read"
    );
    assert_eq!(outcome.assets[0].id.as_ref().unwrap().as_str(), "211");

    let requests = server.requests();
    let seen: Vec<_> = requests.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    let set_uploaded = format!("/api/assets/{ASSET_GUID}/set_uploaded");
    assert_eq!(
        seen,
        [
            ("POST", "/api/uploads"),
            ("POST", "/api/uploads/a6e21ff1/assets"),
            ("GET", set_uploaded.as_str()),
            ("PUT", "/api/uploads/213/set_done"),
        ]
    );
    assert_eq!(
        requests[0].json(),
        json!({"upload": {"name": "From the SDK", "note": "API test"}})
    );
    assert_eq!(
        requests[1].json(),
        json!({"asset": {"filename": "photo.jpg", "file_size": 200_000}})
    );
    assert_eq!(requests[2].query, None);
    assert_eq!(requests[3].header("content-length"), Some("0"));
    for r in &requests {
        assert_eq!(r.header("authorization"), Some(BASIC));
        assert_eq!(r.header("organizationid"), Some("42"));
    }

    let puts = storage.requests();
    assert_eq!(puts.len(), 1);
    let put = &puts[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.path, "/bucket/uploads/211/photo.jpg");
    assert_eq!(put.query.as_deref(), Some("X-Amz-Expires=3600&X-Amz-Signature=ab%2Fcd"));
    assert_eq!(put.header("content-type"), Some("image/jpeg"));
    assert_eq!(put.header("content-length"), Some("200000"));
    assert_eq!(put.header("transfer-encoding"), None);
    assert_eq!(
        put.header("authorization"),
        None,
        "no Mediagraph credentials at the storage service"
    );
    assert_eq!(put.header("organizationid"), None);
    assert!(put.body == content, "the PUT body is the file, byte for byte");
}

#[tokio::test]
async fn upload_from_a_stream_into_a_contribution_with_a_wrapped_prepare_answer() {
    let content = data(70_000);
    let storage = MockServer::start(|_| Reply::status(200)).await;
    let server = MockServer::start(api(json!({"asset": prepared(&storage)}))).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = content.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let file = UploadFile::stream("clip.mp4", content.len() as u64, futures_util::stream::iter(chunks))
        .content_type("video/mp4")
        .attribute("description", "a clip");
    let options = UploadOptions {
        contribution_id: Some(6599),
        skip_meta: Some(true),
        ..Default::default()
    };
    let outcome = client(&server).upload_files(vec![file], &options).await.unwrap();
    assert_eq!(outcome.assets.len(), 1);

    let requests = server.requests();
    assert_eq!(requests[0].path, "/api/contributions/6599/uploads");
    assert_eq!(
        requests[0].json(),
        json!({"upload": {"name": "clip.mp4"}, "contribution_id": 6599}),
        "the session is named after the first file"
    );
    assert_eq!(
        requests[1].json(),
        json!({"asset": {"description": "a clip", "filename": "clip.mp4", "file_size": 70_000}})
    );
    assert_eq!(requests[2].query.as_deref(), Some("skip_meta=true"));
    let put = &storage.requests()[0];
    assert_eq!(put.header("content-type"), Some("video/mp4"));
    assert_eq!(put.header("content-length"), Some("70000"));
    assert_eq!(put.header("authorization"), None);
    assert!(put.body == content);
}

#[tokio::test]
async fn upload_without_a_signed_url_fails_before_any_put() {
    let server = MockServer::start(api(json!({"id": 211, "guid": ASSET_GUID}))).await;
    let path = temp_file("a.png", b"png");
    let err = client(&server)
        .upload_file(&path, &UploadOptions::default())
        .await
        .unwrap_err();
    match &err {
        Error::Decode { message, .. } => assert!(message.contains("signed_upload_url"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 2, "no set_uploaded, no set_done");
}

#[tokio::test]
async fn a_refused_storage_put_is_an_api_error_and_is_not_retried() {
    let storage = MockServer::start(|_| {
        Reply::text(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>").header("content-type", "application/xml")
    })
    .await;
    let server = MockServer::start(api(prepared(&storage))).await;
    let path = temp_file("photo.jpg", &data(10));
    let err = client(&server)
        .upload_file(&path, &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert!(err.message().unwrap().contains("SignatureDoesNotMatch"));
    assert_eq!(storage.requests().len(), 1);
    assert_eq!(server.requests().len(), 2, "stopped after the PUT");
}

#[tokio::test]
async fn upload_version_prepares_puts_and_marks_uploaded() {
    let storage = MockServer::start(|_| Reply::status(200)).await;
    let signed = prepared(&storage);
    let server = MockServer::start(move |r| match r.path.as_str() {
        "/api/assets/211/add_version" => Reply::json(200, signed.clone()),
        _ => Reply::json(200, json!({"id": 211, "guid": ASSET_GUID, "data_version_number": 2})),
    })
    .await;
    let file = UploadFile::reader("v2.jpg", 5, &b"hello"[..]);
    let asset = client(&server).upload_version(211, file, Some(true)).await.unwrap();
    assert_eq!(asset.guid.as_deref(), Some(ASSET_GUID));
    let requests = server.requests();
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].json(),
        json!({"asset": {"filename": "v2.jpg", "file_size": 5}})
    );
    assert_eq!(requests[1].path, format!("/api/assets/{ASSET_GUID}/set_uploaded"));
    assert_eq!(requests[1].query.as_deref(), Some("skip_meta=true"));
    assert_eq!(storage.requests()[0].body, b"hello");
    assert_eq!(storage.requests()[0].header("content-type"), Some("image/jpeg"));
}

// ----------------------------------------------------------------------------------------------
// Downloads
// ----------------------------------------------------------------------------------------------

// The loopback server flushes a cut reply's bytes before dropping the connection only when they
// exceed hyper's write buffer (8192 + 4096 * 100 bytes); smaller cuts may deliver nothing at all.
const SIZE: usize = 1_200_000;
const CUT: usize = 500_000;

/// Answers the whole file (ETag `"v1"`) cut after `CUT` bytes, then ranged requests with
/// `range_reply`.
fn download_server(range_reply: fn(&[u8], &str) -> Reply) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    let file = data(SIZE);
    move |r| match r.header("range") {
        None => Reply::bytes(200, file.clone())
            .header("accept-ranges", "bytes")
            .header("etag", "\"v1\"")
            .cut_after(CUT),
        Some(range) => range_reply(&file, range),
    }
}

fn partial(file: &[u8], range: &str) -> Reply {
    let start: usize = range
        .strip_prefix("bytes=")
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Reply::bytes(206, file[start..].to_vec())
        .header(
            "content-range",
            &format!("bytes {start}-{}/{}", file.len() - 1, file.len()),
        )
        .header("accept-ranges", "bytes")
        .header("etag", "\"v1\"")
}

#[tokio::test]
async fn a_broken_download_resumes_with_a_range_and_is_byte_identical() {
    let server = MockServer::start(download_server(partial)).await;
    let options = DownloadOptions {
        size: Some(types::DownloadSize::Original),
        ..Default::default()
    };
    let mut out = Vec::new();
    let report = client(&server).download_asset_to(7, &mut out, &options).await.unwrap();
    assert!(out == data(SIZE), "byte-identical output");
    assert_eq!(report.bytes, SIZE as u64);
    assert_eq!(report.resumes, 1);
    assert_eq!(report.total, Some(SIZE as u64));

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/api/assets/7/download");
        assert_eq!(r.query.as_deref(), Some("size=original"));
        assert_eq!(r.header("authorization"), Some(BASIC));
    }
    assert_eq!(requests[0].header("range"), None);
    assert_eq!(requests[1].header("range"), Some("bytes=500000-"));
    assert_eq!(
        requests[1].header("if-range"),
        Some("\"v1\""),
        "resumes only the same version"
    );
}

#[tokio::test]
async fn a_file_that_changed_before_the_resume_is_never_spliced() {
    let server = MockServer::start(download_server(|file, _| {
        let changed: Vec<u8> = file.iter().map(|b| b ^ 0xff).collect();
        Reply::bytes(200, changed).header("etag", "\"v2\"")
    }))
    .await;
    let mut out = Vec::new();
    let err = client(&server)
        .download_asset_to(7, &mut out, &DownloadOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Changed(_)), "{err:?}");
    assert!(
        out == data(SIZE)[..out.len()],
        "only bytes of the first version were written"
    );
}

#[tokio::test]
async fn a_server_that_ignores_the_range_is_handled_by_skipping_what_was_written() {
    let server = MockServer::start(download_server(|file, _| {
        Reply::bytes(200, file.to_vec()).header("etag", "\"v1\"")
    }))
    .await;
    let mut out = Vec::new();
    let report = client(&server)
        .download_asset_to(7, &mut out, &DownloadOptions::default())
        .await
        .unwrap();
    assert!(out == data(SIZE), "byte-identical output");
    assert_eq!(report.resumes, 1);
    assert_eq!(server.requests()[1].header("range"), Some("bytes=500000-"));
}

#[tokio::test]
async fn a_range_answer_that_starts_elsewhere_is_refused() {
    let server = MockServer::start(download_server(|file, _| {
        Reply::bytes(206, file[10..].to_vec()).header("content-range", "bytes 10-1199999/1200000")
    }))
    .await;
    let mut out = Vec::new();
    let err = client(&server)
        .download_asset_to(7, &mut out, &DownloadOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(out.len(), CUT, "nothing from the wrong range was written");
}

#[tokio::test]
async fn resumes_are_bounded() {
    // Every answer breaks after CUT bytes of its own body.
    let server = MockServer::start(|r| {
        let file = data(SIZE);
        match r.header("range") {
            None => Reply::bytes(200, file).cut_after(CUT),
            Some(range) => partial(&file, range).cut_after(CUT),
        }
    })
    .await;
    let options = DownloadOptions {
        resume: Resume {
            max_resumes: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut out = Vec::new();
    let err = client(&server)
        .download_asset_to(7, &mut out, &options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    let ranges: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("range").map(str::to_string))
        .collect();
    assert_eq!(ranges, [None, Some("bytes=500000-".to_string())]);
    assert!(out == data(SIZE)[..2 * CUT], "what arrived was written in order");
}

#[tokio::test]
async fn a_download_can_start_at_an_offset() {
    let server = MockServer::start(|r| partial(&data(SIZE), r.header("range").unwrap_or("bytes=0-"))).await;
    let path = std::env::temp_dir().join(format!("sdk-mediagraph-dl-{}", fastrand::u64(..)));
    let options = DownloadOptions {
        resume: Resume {
            offset: 1_199_000,
            ..Default::default()
        },
        ..Default::default()
    };
    let report = client(&server)
        .download_asset_to_file(7, &path, &options)
        .await
        .unwrap();
    assert_eq!(report.bytes, 1000);
    assert_eq!(report.total, Some(SIZE as u64));
    assert!(std::fs::read(&path).unwrap() == data(SIZE)[1_199_000..]);
    assert_eq!(server.requests()[0].header("range"), Some("bytes=1199000-"));
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn download_errors_are_typed() {
    let server =
        MockServer::start(|_| Reply::json(404, json!({"error": "not_found", "message": "Asset not found"}))).await;
    let mut out = Vec::new();
    let err = client(&server)
        .download_asset_to(7, &mut out, &DownloadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.message(), Some("Asset not found"));
}

// ----------------------------------------------------------------------------------------------
// Pagination
// ----------------------------------------------------------------------------------------------

fn assets(ids: &[i64]) -> serde_json::Value {
    json!(ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>())
}

#[tokio::test]
async fn search_streams_every_page_and_stops_at_total_entries() {
    let server = MockServer::start(|r| {
        let page: i64 = r.query_param("page").unwrap().parse().unwrap();
        let ids: &[i64] = match page {
            1 => &[1, 2],
            2 => &[3, 4],
            3 => &[5],
            _ => &[99],
        };
        Reply::json(200, json!({"assets": assets(ids)})).header("Total-Entries", "5")
    })
    .await;
    let found: Vec<_> = client(&server)
        .search_assets()
        .q("sunset")
        .per_page(2)
        .page(7)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = found
        .iter()
        .map(|a| a.id.as_ref().unwrap().as_str().into_owned())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    let queries: Vec<_> = server.requests().iter().map(|r| r.query.clone().unwrap()).collect();
    assert_eq!(
        queries,
        [
            "page=1&per_page=2&q=sunset",
            "page=2&per_page=2&q=sunset",
            "page=3&per_page=2&q=sunset"
        ]
    );
    for r in server.requests() {
        assert_eq!(r.path, "/api/assets/search");
    }
}

#[tokio::test]
async fn search_uses_the_body_total_without_the_header() {
    let server = MockServer::start(|r| match r.query_param("page").as_deref() {
        Some("1") => Reply::json(200, json!({"assets": assets(&[1, 2]), "total": "3"})),
        _ => Reply::json(200, json!({"assets": assets(&[3]), "total": 3})),
    })
    .await;
    let found: Vec<_> = client(&server)
        .search_assets()
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 3);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn tag_listings_stop_on_an_empty_page() {
    let server = MockServer::start(|r| match r.query_param("page").as_deref() {
        Some("1") => Reply::json(200, json!([{"id": 1}, {"id": 2}])),
        Some("2") => Reply::json(200, json!([{"id": 3}])),
        _ => Reply::json(200, json!([])),
    })
    .await;
    let tags: Vec<_> = client(&server)
        .list_tags()
        .q("sun")
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tags.len(), 3);
    let queries: Vec<_> = server.requests().iter().map(|r| r.query.clone().unwrap()).collect();
    assert_eq!(queries, ["page=1&q=sun", "page=2&q=sun", "page=3&q=sun"]);
}

#[tokio::test]
async fn taxonomy_tag_listings_page_with_total_entries() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = MockServer::start(move |r| {
        c.fetch_add(1, Ordering::SeqCst);
        match r.query_param("page").as_deref() {
            Some("1") => Reply::json(200, json!([{"id": 1}, {"id": 2}])).header("Total-Entries", "4"),
            Some("2") => Reply::json(200, json!([{"id": 3}, {"id": 4}])).header("Total-Entries", "4"),
            _ => Reply::json(500, json!({"error": "should not be asked"})),
        }
    })
    .await;
    let client = client(&server);
    let tags: Vec<_> = client
        .list_taxonomy_tags()
        .taxonomy_id(9)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tags.len(), 4);
    let tree: Vec<_> = client
        .get_taxonomy_tags_tree()
        .taxonomy_id(9)
        .parent_id(20)
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tree.len(), 4);
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0].path, "/api/taxonomies/9/taxonomy_tags");
    assert_eq!(requests[1].query.as_deref(), Some("page=2"));
    assert_eq!(requests[2].path, "/api/taxonomies/9/taxonomy_tags/tree");
    assert_eq!(requests[3].query.as_deref(), Some("page=2&parent_id=20"));
}

#[tokio::test]
async fn a_failing_page_ends_the_stream_with_its_error() {
    let server = MockServer::start(|r| match r.query_param("page").as_deref() {
        Some("1") => Reply::json(200, json!([{"id": 1}])),
        _ => Reply::json(422, json!({"errors": {"page": ["is out of range"]}})),
    })
    .await;
    let items: Vec<Result<types::Tag, Error>> =
        futures_util::StreamExt::collect(client(&server).list_tags().into_stream()).await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert!(err.message().unwrap().contains("is out of range"));
}
