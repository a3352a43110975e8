//! Asset and proxy downloads on the wire: the download locations are asked for with the bearer
//! token, the signed location is fetched without it, a broken transfer resumes with `Range` and
//! `If-Range`, and error pages are never written.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_ci::types::ProxyType;
use sdk_ci::{Client, Error, Progress, Rendition, Resume, RetryPolicy};
use serde_json::json;

/// The file the CDN serves, 10 000 bytes.
fn source() -> Vec<u8> {
    (0..10_000u32).map(|i| (i % 241) as u8).collect()
}

/// The API: tokens, and the download locations of asset `a1` pointing at `cdn`.
async fn api(cdn: String) -> MockServer {
    MockServer::start(move |r: &Recorded| match r.path.as_str() {
        "/oauth2/token" => Reply::json(
            200,
            json!({"access_token": "tok", "expires_in": 86400, "token_type": "bearer", "refresh_token": "r2"}),
        ),
        "/assets/a1/download" => Reply::json(
            200,
            json!({
                "id": "a1",
                "name": "interview.mov",
                "location": format!("{cdn}/media/a1/interview.mov?Expires=1700000000&Signature=s%2Bg"),
                "size": 10000,
                "proxies": [
                    {"type": "video-sd", "location": format!("{cdn}/proxy/a1-sd.mp4?sig=1"), "size": 4, "name": "a1-sd.mp4", "format": "mp4", "isExternal": false},
                    {"type": "video-hd", "location": format!("{cdn}/proxy/a1-hd.mp4?sig=2"), "size": 6, "name": "a1-hd.mp4", "format": "mp4", "isExternal": false, "codec": "h264"}
                ],
                "thumbnails": [{"type": "small", "location": format!("{cdn}/thumb/a1.jpg"), "size": 1}]
            }),
        ),
        _ => Reply::json(404, json!({"code": "AssetNotFound", "message": "Asset not found."})),
    })
    .await
}

fn client(api: &MockServer) -> Client {
    Client::builder()
        .base_url(api.url())
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

/// A path in its own temporary folder, removed when dropped.
struct TempPath(std::path::PathBuf);

impl AsRef<std::path::Path> for TempPath {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn temp_path(name: &str) -> TempPath {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sdk-ci-download-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempPath(dir.join(name))
}

#[tokio::test]
async fn the_source_and_a_proxy_come_from_signed_locations_without_the_bearer_token() {
    let cdn = MockServer::start(|r: &Recorded| match r.path.as_str() {
        "/media/a1/interview.mov" => Reply::bytes(200, source()).header("etag", "\"v1\""),
        "/proxy/a1-hd.mp4" => Reply::bytes(200, b"HD-MP4".to_vec()),
        _ => Reply::status(404),
    })
    .await;
    let api = api(cdn.url()).await;
    let client = client(&api);

    let mut out = Vec::new();
    let report = client
        .download_asset("a1", &Rendition::Source, &mut out, &Resume::default())
        .await
        .unwrap();
    assert_eq!(out, source());
    assert_eq!((report.bytes, report.resumes, report.total), (10_000, 0, Some(10_000)));

    let path = temp_path("preview.mp4");
    let report = client
        .download_asset_to_file("a1", &Rendition::Proxy(ProxyType::VideoHd), &path, &Resume::default())
        .await
        .unwrap();
    assert_eq!(report.bytes, 6);
    assert_eq!(std::fs::read(&path.0).unwrap(), b"HD-MP4");

    let asked = api.requests_to("/assets/a1/download");
    assert_eq!(asked.len(), 2);
    assert!(asked.iter().all(|r| r.header("authorization") == Some("Bearer tok")));
    let fetched = cdn.requests();
    assert_eq!(
        fetched
            .iter()
            .map(|r| (r.method.as_str(), r.path.as_str(), r.query.as_deref()))
            .collect::<Vec<_>>(),
        [
            (
                "GET",
                "/media/a1/interview.mov",
                Some("Expires=1700000000&Signature=s%2Bg")
            ),
            ("GET", "/proxy/a1-hd.mp4", Some("sig=2")),
        ]
    );
    for r in &fetched {
        assert_eq!(r.header("authorization"), None, "{}", r.path);
        assert_eq!(r.header("range"), None);
    }
}

#[tokio::test]
async fn a_broken_download_resumes_with_range_and_if_range() {
    let served = Arc::new(AtomicUsize::new(0));
    let s = served.clone();
    let cdn = MockServer::start(move |r: &Recorded| {
        let body = source();
        if s.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::bytes(200, body).header("etag", "\"v1\"").cut_after(4000);
        }
        match (r.header("range"), r.header("if-range")) {
            (Some("bytes=4000-"), Some("\"v1\"")) => Reply::bytes(206, body[4000..].to_vec())
                .header("etag", "\"v1\"")
                .header("content-range", "bytes 4000-9999/10000"),
            _ => Reply::bytes(200, b"WRONG VERSION".to_vec()),
        }
    })
    .await;
    let api = api(cdn.url()).await;
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = seen.clone();
    let options = Resume {
        on_progress: Some(Arc::new(move |p| sink.lock().unwrap().push(p))),
        ..Resume::default()
    };
    let path = temp_path("interview.mov");
    let report = client(&api)
        .download_asset_to_file("a1", &Rendition::Source, &path, &options)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path.0).unwrap(), source());
    assert_eq!((report.bytes, report.resumes), (10_000, 1));

    let fetched = cdn.requests();
    assert_eq!(fetched.len(), 2);
    assert_eq!(fetched[0].header("range"), None);
    assert_eq!(fetched[1].header("range"), Some("bytes=4000-"));
    assert_eq!(fetched[1].header("if-range"), Some("\"v1\""));
    assert_eq!(fetched[1].query, fetched[0].query, "the same signed URL");
    assert!(fetched.iter().all(|r| r.header("authorization").is_none()));
    let seen = seen.lock().unwrap();
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done), "{seen:?}");
    assert_eq!(seen.last().map(|p| (p.done, p.total)), Some((10_000, Some(10_000))));
}

#[tokio::test]
async fn missing_proxies_and_error_pages_are_typed_errors_and_never_written() {
    let cdn = MockServer::start(|_| Reply::text(403, "<html>AccessDenied: the signature expired</html>")).await;
    let api = api(cdn.url()).await;
    let client = client(&api);

    let err = client
        .asset_location("a1", &Rendition::Proxy(ProxyType::Video2k))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m == "asset a1 has no video-2k proxy (it has: video-sd, video-hd)"),
        "{err:?}"
    );

    let mut out = Vec::new();
    let err = client
        .download_asset(
            "a1",
            &Rendition::Proxy(ProxyType::VideoSd),
            &mut out,
            &Resume::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, .. } if status.as_u16() == 403),
        "{err:?}"
    );
    assert!(out.is_empty(), "an error page is not the file");

    let err = client
        .download_asset("nope", &Rendition::Source, &mut out, &Resume::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AssetNotFound"));
    assert_eq!(cdn.requests().len(), 1);
}
