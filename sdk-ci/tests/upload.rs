//! Uploads to the io host on the wire: the single-request form (metadata part, then the file
//! part), the multipart flow (init JSON, 1-based part PUTs of exact sizes, complete), the bound on
//! parts in flight, a failed part sent again alone, a part that keeps failing, and progress.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dam_test_server::{Fault, MockServer, Recorded, Reply};
use futures_util::TryStreamExt;
use sdk_ci::{Client, Error, Progress, RetryPolicy, UploadEvent};
use serde_json::json;

const MIB: usize = 1024 * 1024;

/// The API server: only the token endpoint is used (every grant answers `Bearer tok`).
async fn api() -> MockServer {
    MockServer::start(|r: &Recorded| {
        if r.path == "/oauth2/token" {
            Reply::json(
                200,
                json!({"access_token": "tok", "expires_in": 86400, "token_type": "bearer", "refresh_token": "r2"}),
            )
        } else {
            Reply::json(404, json!({"code": "NotFound", "message": "not here"}))
        }
    })
    .await
}

/// The io host: `POST /upload` and `POST /upload/multipart` answer `{"assetId": "A1"}`, parts and
/// `complete` an empty 200. `part_delay` delays every part's answer.
async fn io(part_delay: Option<Duration>) -> MockServer {
    MockServer::start(move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/upload") | ("POST", "/upload/multipart") => Reply::json(200, json!({"assetId": "A1"})),
        ("PUT", p) if p.starts_with("/upload/multipart/A1/") => match part_delay {
            Some(d) => Reply::status(200).delay(d),
            None => Reply::status(200),
        },
        ("POST", "/upload/multipart/A1/complete") => Reply::json(200, json!({"status": "ok"})),
        _ => Reply::json(404, json!({"code": "NotFound", "message": "no such route"})),
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

/// A file in its own temporary folder, removed when dropped.
struct TempFile(PathBuf);

impl std::ops::Deref for TempFile {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempFile {
    fn as_ref(&self) -> &std::path::Path {
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

/// A file of `len` bytes with a recognisable pattern, in a fresh temporary folder.
fn temp_file(name: &str, len: usize) -> (TempFile, Vec<u8>) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sdk-ci-upload-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (TempFile(path), bytes)
}

/// Every progress report, in the order received.
fn recorder() -> (Arc<Mutex<Vec<Progress>>>, impl Fn(Progress) + Send + Sync + 'static) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, move |p| sink.lock().unwrap().push(p))
}

fn assert_monotonic_to(progress: &[Progress], total: u64) {
    assert!(!progress.is_empty());
    assert!(
        progress.windows(2).all(|w| w[0].done < w[1].done),
        "progress must only grow: {progress:?}"
    );
    assert!(progress.iter().all(|p| p.total == Some(total) && p.done <= total));
    assert_eq!(progress.last().unwrap().done, total);
}

fn part_requests(io: &MockServer, part: u64) -> Vec<Recorded> {
    io.requests_to(&format!("/upload/multipart/A1/{part}"))
}

#[tokio::test]
async fn a_small_file_is_one_form_with_the_metadata_part_then_the_file_part() {
    let (api, io) = (api().await, io(None).await);
    let (path, bytes) = temp_file("clip.mov", 3000);
    let (progress, on_progress) = recorder();
    let mut metadata = serde_json::Map::new();
    metadata.insert("project".into(), json!("Launch"));
    let asset = client(&api)
        .upload("w1")
        .folder("f1")
        .metadata(metadata)
        .io_base_url(io.url())
        .on_progress(on_progress)
        .file(&path)
        .await
        .unwrap();
    assert_eq!(asset, "A1");

    let requests = io.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_deref()),
        ("POST", "/upload", None)
    );
    assert_eq!(r.header("authorization"), Some("Bearer tok"));
    let content_type = r.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n\
         {{\"folderId\":\"f1\",\"metadata\":{{\"project\":\"Launch\"}},\"workspaceId\":\"w1\"}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mov\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(&bytes);
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(String::from_utf8_lossy(&r.body), String::from_utf8_lossy(&expected));
    assert_eq!(r.body, expected);
    assert_eq!(r.header("content-length"), Some(expected.len().to_string().as_str()));
    assert_monotonic_to(&progress.lock().unwrap(), 3000);
}

#[tokio::test]
async fn a_single_request_upload_is_never_resent() {
    let (api, io) = (api().await, io(None).await);
    io.inject(Fault::status(503).retry_after(0).times(5));
    let (path, _) = temp_file("clip.mov", 100);
    let err = client(&api)
        .upload("w1")
        .io_base_url(io.url())
        .file(&path)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, .. } if status.as_u16() == 503),
        "{err:?}"
    );
    assert_eq!(io.requests().len(), 1);
}

#[tokio::test]
async fn a_large_file_goes_in_10_mib_parts_numbered_from_1_then_complete() {
    let (api, io) = (api().await, io(None).await);
    let size = 21 * MIB;
    let (path, bytes) = temp_file("big.bin", size);
    let (progress, on_progress) = recorder();
    let asset = client(&api)
        .upload("w1")
        .io_base_url(io.url())
        .on_progress(on_progress)
        .file(&path)
        .await
        .unwrap();
    assert_eq!(asset, "A1");

    let requests = io.requests();
    assert_eq!(requests.len(), 5, "init, 3 parts, complete");
    let init = &requests[0];
    assert_eq!(
        (init.method.as_str(), init.path.as_str()),
        ("POST", "/upload/multipart")
    );
    assert_eq!(init.header("content-type"), Some("application/json"));
    assert_eq!(
        init.text(),
        format!(r#"{{"name":"big.bin","size":{size},"workspaceId":"w1"}}"#)
    );
    let sizes = [10 * MIB, 10 * MIB, MIB];
    let mut offset = 0;
    for (n, len) in (1u64..).zip(sizes) {
        let part = part_requests(&io, n);
        assert_eq!(part.len(), 1, "part {n}");
        let part = &part[0];
        assert_eq!(part.method, "PUT");
        assert_eq!(part.header("content-type"), Some("application/octet-stream"));
        assert_eq!(part.header("content-length"), Some(len.to_string().as_str()));
        assert_eq!(part.header("authorization"), Some("Bearer tok"));
        assert!(
            part.body == bytes[offset..offset + len],
            "part {n} holds the file's bytes {offset}.."
        );
        offset += len;
    }
    assert!(part_requests(&io, 0).is_empty() && part_requests(&io, 4).is_empty());
    let complete = requests.last().unwrap();
    assert_eq!(
        (complete.method.as_str(), complete.path.as_str()),
        ("POST", "/upload/multipart/A1/complete")
    );
    assert_eq!(complete.header("content-length"), Some("0"));
    assert!(complete.body.is_empty());
    assert_eq!(complete.header("authorization"), Some("Bearer tok"));
    assert_monotonic_to(&progress.lock().unwrap(), size as u64);
}

/// Uploads 10 parts whose answers take 300 ms and returns the most parts the server held at once
/// (a part counts from its arrival until its answer, which is sent at least 300 ms later).
async fn most_parts_at_once(parts_in_flight: Option<usize>) -> usize {
    const HOLD: Duration = Duration::from_millis(300);
    let api = api().await;
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let most = Arc::new(AtomicUsize::new(0));
    let (a, m) = (arrivals.clone(), most.clone());
    let io = MockServer::start(move |r: &Recorded| match r.method.as_str() {
        "PUT" => {
            let now = Instant::now();
            let mut arrivals = a.lock().unwrap();
            arrivals.retain(|t| now.duration_since(*t) < HOLD);
            arrivals.push(now);
            m.fetch_max(arrivals.len(), Ordering::SeqCst);
            Reply::status(200).delay(HOLD)
        }
        _ => Reply::json(200, json!({"assetId": "A1"})),
    })
    .await;
    let (path, _) = temp_file("parts.bin", 10 * 64 * 1024);
    let client = client(&api);
    let mut upload = client
        .upload("w1")
        .io_base_url(io.url())
        .part_size(64 * 1024)
        .multipart_threshold(64 * 1024);
    if let Some(n) = parts_in_flight {
        upload = upload.parts_in_flight(n);
    }
    upload.file(&path).await.unwrap();
    assert_eq!(io.requests().iter().filter(|r| r.method == "PUT").count(), 10);
    most.load(Ordering::SeqCst)
}

#[tokio::test]
async fn at_most_4_parts_are_in_flight_by_default_and_the_bound_is_configurable() {
    assert_eq!(most_parts_at_once(None).await, 4);
    assert_eq!(most_parts_at_once(Some(2)).await, 2);
}

#[tokio::test]
async fn a_failed_part_is_sent_again_alone() {
    let (api, io) = (api().await, io(None).await);
    io.inject(Fault::status(500).method("PUT").path("/upload/multipart/A1/2"));
    io.inject(Fault::reset().method("PUT").path("/upload/multipart/A1/3"));
    io.inject(
        Fault::status(429)
            .retry_after(0)
            .method("PUT")
            .path("/upload/multipart/A1/4"),
    );
    let (path, bytes) = temp_file("parts.bin", 4 * 1000 + 10);
    let (progress, on_progress) = recorder();
    let asset = client(&api)
        .upload("w1")
        .io_base_url(io.url())
        .part_size(1000)
        .multipart_threshold(1000)
        .on_progress(on_progress)
        .file(&path)
        .await
        .unwrap();
    assert_eq!(asset, "A1");
    for (n, attempts) in [(1u64, 1usize), (2, 2), (3, 2), (4, 2), (5, 1)] {
        let sent = part_requests(&io, n);
        assert_eq!(sent.len(), attempts, "part {n}");
        let start = (n as usize - 1) * 1000;
        let end = (start + 1000).min(bytes.len());
        for attempt in &sent {
            assert!(attempt.body == bytes[start..end], "part {n} resent from its offset");
        }
    }
    assert_eq!(io.requests_to("/upload/multipart/A1/complete").len(), 1);
    assert_eq!(io.requests().last().unwrap().path, "/upload/multipart/A1/complete");
    assert_monotonic_to(&progress.lock().unwrap(), bytes.len() as u64);
}

#[tokio::test]
async fn a_part_that_keeps_failing_names_the_part_and_nothing_is_completed() {
    let (api, io) = (api().await, io(None).await);
    io.inject(
        Fault::status(500)
            .method("PUT")
            .path("/upload/multipart/A1/3")
            .times(100),
    );
    let (path, _) = temp_file("parts.bin", 4000);
    let err = client(&api)
        .upload("w1")
        .io_base_url(io.url())
        .part_size(1000)
        .multipart_threshold(1000)
        .parts_in_flight(1)
        .file(&path)
        .await
        .unwrap_err();
    let Error::JobFailed(message) = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("upload of asset A1: part 3 of 4 failed after 3 attempts: ci answered 500"),
        "{message}"
    );
    assert_eq!(part_requests(&io, 3).len(), 3, "RetryPolicy::max_attempts attempts");
    assert!(part_requests(&io, 4).is_empty(), "no part after the failed one is sent");
    assert!(io.requests_to("/upload/multipart/A1/complete").is_empty());

    // A refusal that another attempt cannot change is not resent.
    let (api, io) = (self::api().await, self::io(None).await);
    io.inject(Fault::status(400).method("PUT").path("/upload/multipart/A1/1"));
    let err = client(&api)
        .upload("w1")
        .io_base_url(io.url())
        .part_size(1000)
        .multipart_threshold(1000)
        .file(&path)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::JobFailed(m) if m.contains("part 1 of 4 failed after 1 attempt: ")),
        "{err:?}"
    );
    assert_eq!(part_requests(&io, 1).len(), 1);
    assert!(io.requests_to("/upload/multipart/A1/complete").is_empty());
}

#[tokio::test]
async fn a_part_refused_with_401_is_resent_with_a_renewed_token() {
    let (api, io) = (api().await, io(None).await);
    io.inject(Fault::status(401).method("PUT").path("/upload/multipart/A1/1"));
    let (path, _) = temp_file("parts.bin", 2000);
    client(&api)
        .upload("w1")
        .io_base_url(io.url())
        .part_size(1000)
        .multipart_threshold(1000)
        .file(&path)
        .await
        .unwrap();
    assert_eq!(part_requests(&io, 1).len(), 2);
    assert_eq!(api.requests_to("/oauth2/token").len(), 2, "sign-in, then one renewal");
}

#[tokio::test]
async fn upload_events_stream_in_order_and_end_with_finished() {
    let (api, io) = (api().await, io(None).await);
    let (path, _) = temp_file("parts.bin", 2500);
    let events: Vec<UploadEvent> = client(&api)
        .upload("w1")
        .io_base_url(io.url())
        .part_size(1000)
        .multipart_threshold(1000)
        .events(&path)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        events.first(),
        Some(&UploadEvent::Started {
            asset_id: Some("A1".into()),
            total: 2500,
            parts: 3
        })
    );
    assert_eq!(events.last(), Some(&UploadEvent::Finished { asset_id: "A1".into() }));
    let progress: Vec<Progress> = events
        .iter()
        .filter_map(|e| match e {
            UploadEvent::Progress(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert_monotonic_to(&progress, 2500);
    let mut stored: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            UploadEvent::PartStored { part, parts: 3 } => Some(*part),
            _ => None,
        })
        .collect();
    stored.sort();
    assert_eq!(stored, [1, 2, 3]);

    // A failure is the last item of the stream.
    io.inject(Fault::status(400).method("PUT").path("/upload/multipart/A1/2"));
    let items: Vec<Result<UploadEvent, Error>> = futures_util::StreamExt::collect(
        client(&api)
            .upload("w1")
            .io_base_url(io.url())
            .part_size(1000)
            .multipart_threshold(1000)
            .events(&path),
    )
    .await;
    assert!(matches!(items.last(), Some(Err(Error::JobFailed(m))) if m.contains("part 2 of 3")));
    assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
}

#[tokio::test]
async fn bad_settings_and_missing_files_fail_before_anything_is_sent() {
    let (api, io) = (api().await, io(None).await);
    let (path, _) = temp_file("clip.mov", 10);
    let client = client(&api);
    let upload = || client.upload("w1").io_base_url(io.url());
    for (err, says) in [
        (upload().part_size(0).file(&path).await.unwrap_err(), "part_size"),
        (
            upload().parts_in_flight(0).file(&path).await.unwrap_err(),
            "parts_in_flight",
        ),
        (
            upload()
                .io_base_url("http://io.example.com")
                .file(&path)
                .await
                .unwrap_err(),
            "io_base_url",
        ),
        (
            upload().file(path.with_file_name("missing.mov")).await.unwrap_err(),
            "missing.mov",
        ),
    ] {
        assert!(matches!(&err, Error::InvalidInput(m) if m.contains(says)), "{err:?}");
    }
    assert!(io.requests().is_empty());
    assert!(api.requests().is_empty(), "not even a sign-in");
}
