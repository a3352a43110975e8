//! Multi-step flows against the loopback server: the upload (register → multipart post to
//! storage → /upload/done → import polling), the profile image, ZIP polling, search pagination
//! and downloads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dam_test_server::{MockServer, Recorded, Reply};
use futures_util::TryStreamExt;
use sdk_skyfish::types::{DownloadSize, ReturnValue};
use sdk_skyfish::{Client, Error, PollOptions, RetryPolicy};
use serde_json::json;

const TOKEN_HEADER: &str = "CBX-SIMPLE-TOKEN Token=tkn";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .token("tkn")
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn fast_poll(max_attempts: u32) -> PollOptions {
    PollOptions {
        interval: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        max_attempts,
    }
}

/// Deterministic, non-repeating test content.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31) ^ (i >> 9)) as u8).collect()
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sdk-skyfish-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// A minimal multipart/form-data parser for assertions.
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct FormPart {
    /// The part's header lines, as sent.
    headers: Vec<String>,
    body: Vec<u8>,
}

impl FormPart {
    fn disposition(&self) -> &str {
        self.headers
            .iter()
            .find(|h| h.to_ascii_lowercase().starts_with("content-disposition:"))
            .map(String::as_str)
            .unwrap_or("")
    }
    fn content_type(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.to_ascii_lowercase().starts_with("content-type:"))
            .map(|h| h["content-type:".len()..].trim())
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn multipart(r: &Recorded) -> Vec<FormPart> {
    let content_type = r.header("content-type").expect("content-type");
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let boundary = format!("--{}", &content_type["multipart/form-data; boundary=".len()..]);
    let body = &r.body;
    let mut parts = Vec::new();
    let mut at = find(body, boundary.as_bytes(), 0).expect("first boundary");
    assert_eq!(at, 0, "the body starts with the boundary");
    loop {
        let start = at + boundary.len();
        if body[start..].starts_with(b"--") {
            assert_eq!(&body[start..], b"--\r\n", "nothing after the closing boundary");
            break;
        }
        assert!(body[start..].starts_with(b"\r\n"));
        let next = find(body, format!("\r\n{boundary}").as_bytes(), start).expect("next boundary");
        let segment = &body[start + 2..next];
        let split = find(segment, b"\r\n\r\n", 0).expect("part headers end");
        parts.push(FormPart {
            headers: String::from_utf8(segment[..split].to_vec())
                .unwrap()
                .split("\r\n")
                .map(str::to_string)
                .collect(),
            body: segment[split + 4..].to_vec(),
        });
        at = next + 2;
    }
    parts
}

// ---------------------------------------------------------------------------------------------
// Upload
// ---------------------------------------------------------------------------------------------

/// The field list of the document's example (§9.3.2), in its order, with the storage action and
/// the redirect pointing at the loopback server.
fn upload_form(host: &str) -> serde_json::Value {
    json!({
        "action": format!("http://{host}/s3-bucket"),
        "enctype": "multipart/form-data",
        "method": "POST",
        "fields": [
            {"name": "success_action_redirect", "value": format!("http://{host}/upload/done"), "type": "hidden"},
            {"type": "hidden", "value": "upload/777/33/${filename}", "name": "key"},
            {"value": "REDUCED_REDUNDANCY", "type": "hidden", "name": "X-Amz-Storage-Class"},
            {"value": "AKIAJFHN67ZGNWA...", "type": "hidden", "name": "X-Amz-Credential"},
            {"name": "X-Amz-Algorithm", "type": "hidden", "value": "AWS4-HMAC-SHA256"},
            {"value": "20170601T080641Z", "type": "hidden", "name": "X-Amz-Date"},
            {"type": "hidden", "value": "eyJleHBpcmF0aW9uI...", "name": "Policy"},
            {"name": "X-Amz-Signature", "value": "cb56a851d7321e8fa90f...", "type": "hidden"},
            {"type": "file", "name": "file"}
        ]
    })
}

const FIELD_ORDER: [&str; 9] = [
    "success_action_redirect",
    "key",
    "X-Amz-Storage-Class",
    "X-Amz-Credential",
    "X-Amz-Algorithm",
    "X-Amz-Date",
    "Policy",
    "X-Amz-Signature",
    "file",
];

/// register → 303 from storage (absolute or relative `Location`) → `/upload/done` → media 98765.
fn upload_handler(relative_redirect: bool) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |r: &Recorded| {
        let host = r.header("host").unwrap_or_default().to_string();
        match (r.method.as_str(), r.path.as_str()) {
            ("POST", "/upload/register") => Reply::json(200, upload_form(&host)),
            ("POST", "/s3-bucket") => {
                let location = "/upload/done?bucket=colourbox-upload&key=upload%2F777%2F33%2Fphoto.jpg&etag=%22e1%22";
                let location = if relative_redirect {
                    location.to_string()
                } else {
                    format!("http://{host}{location}")
                };
                Reply::status(303).header("location", &location)
            }
            ("GET", "/upload/done") => Reply::json(200, json!({"media_id": 98765})),
            _ => Reply::json(404, json!({"message": "no route"})),
        }
    }
}

fn assert_upload_requests(server: &MockServer, file_name: &str, data: &[u8], mime: Option<&str>) {
    let paths: Vec<_> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(paths, ["POST /upload/register", "POST /s3-bucket", "GET /upload/done"]);

    let register = &server.requests_to("/upload/register")[0];
    assert_eq!(register.header("authorization"), Some(TOKEN_HEADER));
    assert_eq!(register.json(), json!({"folder": 4242}));

    let post = &server.requests_to("/s3-bucket")[0];
    assert_eq!(post.header("authorization"), None, "no Skyfish header to storage");
    assert_eq!(
        post.header("content-length"),
        Some(post.body.len().to_string().as_str()),
        "a Content-Length, as S3 requires"
    );
    let parts = multipart(post);
    let names: Vec<_> = parts
        .iter()
        .map(|p| {
            p.disposition()
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, FIELD_ORDER, "every field in order, the file last");
    let values: Vec<_> = parts[..8].iter().map(FormPart::text).collect();
    let host = post.header("host").unwrap();
    assert_eq!(
        values,
        [
            format!("http://{host}/upload/done").as_str(),
            "upload/777/33/${filename}",
            "REDUCED_REDUNDANCY",
            "AKIAJFHN67ZGNWA...",
            "AWS4-HMAC-SHA256",
            "20170601T080641Z",
            "eyJleHBpcmF0aW9uI...",
            "cb56a851d7321e8fa90f...",
        ]
    );
    let file = &parts[8];
    assert_eq!(
        file.disposition(),
        format!("Content-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"")
    );
    assert_eq!(file.content_type(), mime);
    assert_eq!(file.body.len(), data.len());
    assert!(file.body == data, "the server got every byte of the file");

    let done = &server.requests_to("/upload/done")[0];
    assert_eq!(done.header("authorization"), None);
    assert_eq!(
        done.query.as_deref(),
        Some("bucket=colourbox-upload&key=upload%2F777%2F33%2Fphoto.jpg&etag=%22e1%22"),
        "the redirect is followed verbatim"
    );
}

#[tokio::test]
async fn upload_a_file_larger_than_any_buffer() {
    let server = MockServer::start(upload_handler(false)).await;
    let data = content(3 * 1024 * 1024 + 17);
    let path = temp_file("photo.jpg", &data);
    let media_id = client(&server)
        .upload(4242)
        .content_type("image/jpeg")
        .file(&path)
        .await
        .unwrap();
    assert_eq!(media_id.as_str(), "98765");
    assert_upload_requests(&server, "photo.jpg", &data, Some("image/jpeg"));
    // reqwest followed the 303 itself (it sets a Referer when it does).
    let done = &server.requests_to("/upload/done")[0];
    assert_eq!(
        done.header("referer"),
        Some(format!("{}/s3-bucket", server.url()).as_str())
    );
}

#[tokio::test]
async fn upload_a_slow_stream_in_chunks() {
    let server = MockServer::start(upload_handler(false)).await;
    let data = content(40 * 64 * 1024);
    let chunks: Vec<bytes::Bytes> = data.chunks(64 * 1024).map(bytes::Bytes::copy_from_slice).collect();
    let stream = futures_util::stream::unfold(chunks.into_iter(), |mut rest| async move {
        let chunk = rest.next()?;
        tokio::time::sleep(Duration::from_millis(3)).await;
        Some((Ok::<_, std::io::Error>(chunk), rest))
    });
    let media_id = client(&server)
        .upload(4242)
        .stream("clip.mp4", data.len() as u64, stream)
        .await
        .unwrap();
    assert_eq!(media_id.as_str(), "98765");
    assert_upload_requests(&server, "clip.mp4", &data, None);
}

#[tokio::test]
async fn upload_follows_the_303_by_hand_when_the_client_does_not() {
    let server = MockServer::start(upload_handler(true)).await;
    let data = content(1000);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let media_id = client(&server)
        .upload(4242)
        .storage_client(no_redirects)
        .stream(
            "photo.jpg",
            1000,
            futures_util::stream::iter([Ok::<_, std::io::Error>(data.clone())]),
        )
        .await
        .unwrap();
    assert_eq!(media_id.as_str(), "98765");
    assert_upload_requests(&server, "photo.jpg", &data, None);
    // Followed by the SDK, not by reqwest (which would set a Referer).
    assert_eq!(server.requests_to("/upload/done")[0].header("referer"), None);
}

#[tokio::test]
async fn a_short_stream_fails_the_upload() {
    let server = MockServer::start(upload_handler(false)).await;
    let err = client(&server)
        .upload(4242)
        .stream(
            "photo.jpg",
            1000,
            futures_util::stream::iter([Ok::<_, std::io::Error>(vec![1u8; 10])]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn upload_then_wait_for_the_import() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let uploads = upload_handler(false);
    let server = MockServer::start(move |r| {
        if r.path == "/media/98765" {
            return match p.fetch_add(1, Ordering::SeqCst) {
                0 => Reply::json(202, json!({"progress": 40})),
                1 => Reply::json(202, json!({"progress": "80%"})),
                _ => Reply::json(200, json!({"id": "98765", "filename": "photo.jpg"})),
            };
        }
        uploads(r)
    })
    .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let media_id = client(&server)
        .upload(4242)
        .wait_for_import(fast_poll(10))
        .on_import_progress(move |p| s.lock().unwrap().push(p.percent()))
        .stream(
            "photo.jpg",
            3,
            futures_util::stream::iter([Ok::<_, std::io::Error>(vec![1u8, 2, 3])]),
        )
        .await
        .unwrap();
    assert_eq!(media_id.as_str(), "98765");
    assert_eq!(*seen.lock().unwrap(), [Some(40.0), Some(80.0)]);
    let media = server.requests_to("/media/98765");
    assert_eq!(media.len(), 3);
    assert!(media.iter().all(|r| r.header("authorization") == Some(TOKEN_HEADER)));
}

#[tokio::test]
async fn waiting_for_an_import_is_bounded() {
    let server = MockServer::start(|_| Reply::json(202, json!({"progress": 5}))).await;
    let err = client(&server)
        .wait_for_import(7, fast_poll(3), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(server.requests_to("/media/7").len(), 3);
}

#[tokio::test]
async fn import_progress_bodies_of_any_shape() {
    let bodies = Arc::new(AtomicUsize::new(0));
    let b = bodies.clone();
    let server = MockServer::start(move |_| match b.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::json(202, json!(25)),
        1 => Reply::status(202),
        _ => Reply::json(200, json!({"id": 7})),
    })
    .await;
    let mut seen = Vec::new();
    let media = client(&server)
        .wait_for_import(7, fast_poll(10), |p| seen.push(p.percent()))
        .await
        .unwrap();
    assert_eq!(media.id.unwrap().as_str(), "7");
    assert_eq!(seen, [Some(25.0), None]);

    let server = MockServer::start(|_| Reply::json(202, json!({})).body(b"{\"progr".to_vec())).await;
    let err = client(&server)
        .wait_for_import(7, fast_poll(10), |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn upload_errors_are_typed_and_the_storage_post_is_not_retried() {
    // Registration refused.
    let server = MockServer::start(|_| {
        Reply::json(403, json!({"message": "No write access"})).header("x-cbx-request-id", "reg-1")
    })
    .await;
    let err = client(&server)
        .upload(1)
        .stream("a", 1, futures_util::stream::iter([Ok::<_, std::io::Error>(vec![0u8])]))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(err.message(), Some("No write access"));
    assert_eq!(err.request_id(), Some("reg-1"));

    // Storage answers 503 with an XML body: returned as is, never retried.
    let register = upload_handler(false);
    let server = MockServer::start(move |r| {
        if r.path == "/s3-bucket" {
            return Reply::text(503, "<Error><Code>SlowDown</Code></Error>");
        }
        register(r)
    })
    .await;
    let err = client(&server)
        .upload(1)
        .stream("a", 1, futures_util::stream::iter([Ok::<_, std::io::Error>(vec![0u8])]))
        .await
        .unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(err.status().unwrap().as_u16(), 503);
    assert_eq!(api.body.raw, json!("<Error><Code>SlowDown</Code></Error>"));
    assert_eq!(server.requests_to("/s3-bucket").len(), 1);

    // Storage answers 204 without redirecting: no media id.
    let register = upload_handler(false);
    let server = MockServer::start(move |r| {
        if r.path == "/s3-bucket" {
            return Reply::status(204);
        }
        register(r)
    })
    .await;
    let err = client(&server)
        .upload(1)
        .stream("a", 1, futures_util::stream::iter([Ok::<_, std::io::Error>(vec![0u8])]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    // A truncated /upload/done answer.
    let register = upload_handler(false);
    let server = MockServer::start(move |r| {
        if r.path == "/upload/done" {
            return Reply::json(200, json!({})).body(b"{\"media_id\": 98".to_vec());
        }
        register(r)
    })
    .await;
    let err = client(&server)
        .upload(1)
        .stream("a", 1, futures_util::stream::iter([Ok::<_, std::io::Error>(vec![0u8])]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    // A registration answer without an action.
    let server = MockServer::start(|_| Reply::json(200, json!({"fields": []}))).await;
    let err = client(&server)
        .upload(1)
        .stream("a", 1, futures_util::stream::iter([Ok::<_, std::io::Error>(vec![0u8])]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Decode { ref message, .. } if message.contains("no action")),
        "{err:?}"
    );
}

#[tokio::test]
async fn profile_image_upload_is_one_streamed_file_part() {
    let server = MockServer::start(|_| Reply::status(201)).await;
    let data = content(5000);
    let path = temp_file("avatar.jpg", &data);
    client(&server).upload_user_profile_image(9, &path).await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/user/9/profileimage");
    assert_eq!(r.header("authorization"), Some(TOKEN_HEADER));
    let parts = multipart(r);
    assert_eq!(parts.len(), 1);
    assert_eq!(
        parts[0].disposition(),
        "Content-Disposition: form-data; name=\"file\"; filename=\"avatar.jpg\""
    );
    assert_eq!(parts[0].content_type(), Some("image/jpeg"));
    assert!(parts[0].body == data);

    let server = MockServer::start(|_| Reply::status(503)).await;
    let err = client(&server).upload_user_profile_image(9, &path).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1, "an upload is never retried");
}

// ---------------------------------------------------------------------------------------------
// ZIP files
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn zip_polls_until_done() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = MockServer::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/folder/77/zip-file") => {
            Reply::json(202, json!({"job_id": "j-1", "state": "PENDING", "url": null, "valid_until": null}))
        }
        ("GET", "/zip-file/j-1") => match p.fetch_add(1, Ordering::SeqCst) {
            0 => Reply::json(202, json!({"job_id": "j-1", "state": "PENDING", "url": null})),
            _ => Reply::json(
                200,
                json!({"job_id": "j-1", "state": "DONE", "url": "https://zip.example/j-1.zip", "valid_until": 1496304401}),
            ),
        },
        _ => Reply::json(404, json!({"message": "no route"})),
    })
    .await;
    let url = client(&server).zip_folder(77, fast_poll(10)).await.unwrap();
    assert_eq!(url, "https://zip.example/j-1.zip");
    let seen: Vec<_> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seen,
        ["POST /folder/77/zip-file", "GET /zip-file/j-1", "GET /zip-file/j-1"]
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some(TOKEN_HEADER))
    );
}

#[tokio::test]
async fn a_failed_or_endless_zip_job_is_an_error() {
    let server = MockServer::start(|r| match r.method.as_str() {
        "POST" => Reply::json(200, json!({"job_id": "j-2", "state": "PENDING"})),
        _ => Reply::json(200, json!({"job_id": "j-2", "state": "FAILED"})),
    })
    .await;
    let err = client(&server).zip_folder(1, fast_poll(10)).await.unwrap_err();
    assert!(
        matches!(err, Error::JobFailed(ref message) if message.contains("FAILED")),
        "{err:?}"
    );

    let server = MockServer::start(|_| Reply::json(200, json!({"job_id": "j-3", "state": "PENDING"}))).await;
    let err = client(&server).zip_folder(1, fast_poll(4)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert_eq!(server.requests_to("/zip-file/j-3").len(), 3, "1 POST + 3 polls");

    let server = MockServer::start(|_| Reply::json(200, json!({"job_id": "j-4", "state": "DONE", "url": null}))).await;
    let err = client(&server).zip_folder(1, fast_poll(4)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Search pagination
// ---------------------------------------------------------------------------------------------

/// Answers `/search` from a result of `hits` media numbered 0.., honouring offset and count.
fn search_handler(hits: u64, serve_up_to: u64) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |r: &Recorded| {
        let offset: u64 = r.query_param("media_offset").unwrap().parse().unwrap();
        let count: u64 = r.query_param("media_count").unwrap().parse().unwrap();
        let end = (offset + count).min(serve_up_to);
        let media: Vec<_> = (offset..end.max(offset))
            .map(|i| json!({"unique_media_id": i, "title": format!("m{i}")}))
            .collect();
        Reply::json(
            200,
            json!({"response": {"hits": hits, "media": media}, "media_count": media.len(), "media_offset": offset}),
        )
    }
}

#[tokio::test]
async fn search_stream_reads_every_page() {
    let server = MockServer::start(search_handler(1200, 1200)).await;
    let hits: Vec<_> = client(&server)
        .search_media()
        .q("cat dog")
        .return_values(vec![ReturnValue::UniqueMediaId, ReturnValue::Title])
        .into_stream(500)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(hits.len(), 1200);
    let ids: Vec<String> = hits
        .iter()
        .map(|m| m.unique_media_id.as_ref().unwrap().to_string())
        .collect();
    let want: Vec<String> = (0..1200).map(|i| i.to_string()).collect();
    assert_eq!(ids, want);
    let queries: Vec<_> = server.requests().iter().map(|r| r.query.clone().unwrap()).collect();
    assert_eq!(
        queries,
        [
            "media_count=500&media_offset=0&q=cat+dog&return_values=unique_media_id+title",
            "media_count=500&media_offset=500&q=cat+dog&return_values=unique_media_id+title",
            "media_count=500&media_offset=1000&q=cat+dog&return_values=unique_media_id+title",
        ]
    );
}

#[tokio::test]
async fn search_stream_stops_on_an_empty_page_and_on_errors() {
    // `hits` promises 1000, but the service runs dry after 500.
    let server = MockServer::start(search_handler(1000, 500)).await;
    let hits: Vec<_> = client(&server)
        .search_colourbox_downloads()
        .return_values(vec![ReturnValue::UniqueMediaId])
        .into_stream(250)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(hits.len(), 500);
    assert_eq!(server.requests().len(), 3, "two full pages and an empty one");
    assert_eq!(server.requests()[2].query_param("media_offset").as_deref(), Some("500"));

    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let first_page = search_handler(1000, 1000);
    let server = MockServer::start(move |r| match c.fetch_add(1, Ordering::SeqCst) {
        0 => first_page(r),
        _ => Reply::json(200, json!({})).body(b"{\"response\": {\"hits\": 10".to_vec()),
    })
    .await;
    let results: Vec<_> = futures_util::StreamExt::collect::<Vec<_>>(
        client(&server)
            .search_media()
            .return_values(vec![ReturnValue::UniqueMediaId])
            .into_stream(400),
    )
    .await;
    assert_eq!(results.len(), 401, "a page of hits, then the error");
    assert!(results[..400].iter().all(Result::is_ok));
    assert!(matches!(results[400], Err(Error::Decode { .. })), "{:?}", results[400]);
}

// ---------------------------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn download_media_streams_from_the_location_without_the_token() {
    let data = content(200_000);
    let served = data.clone();
    let cdn = MockServer::start(move |_| Reply::bytes(200, served.clone())).await;
    let cdn_url = format!("{}/files/abc.jpg?signature=s1", cdn.url());
    let api = MockServer::start(move |_| Reply::json(200, json!({"method": "GET", "url": cdn_url}))).await;

    let mut sink = Vec::new();
    let written = client(&api)
        .download_media(42, Some(DownloadSize::V800px), &mut sink)
        .await
        .unwrap();
    assert_eq!(written, data.len() as u64);
    assert!(sink == data);

    let location = &api.requests()[0];
    assert_eq!(location.path, "/media/42/download_location/800px");
    assert_eq!(location.header("authorization"), Some(TOKEN_HEADER));
    let file = &cdn.requests()[0];
    assert_eq!(file.path, "/files/abc.jpg");
    assert_eq!(file.query.as_deref(), Some("signature=s1"));
    assert_eq!(file.header("authorization"), None, "the token stays with the API");

    client(&api).download_media(42, None, &mut Vec::new()).await.unwrap();
    assert_eq!(api.requests()[1].path, "/media/42/download_location");
}

#[tokio::test]
async fn downloads_of_handed_out_urls_carry_no_token_even_on_the_api_host() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/zip/ok.zip" => Reply::bytes(200, b"PK\x03\x04".to_vec()),
        "/zip/cut.zip" => Reply::bytes(200, vec![7u8; 1000]).cut_after(100),
        _ => Reply::text(403, "Forbidden").header("x-cbx-request-id", "dl-1"),
    })
    .await;
    let client = client(&server);
    let mut sink = Vec::new();
    client
        .download_url(&format!("{}/zip/ok.zip", server.url()), &mut sink)
        .await
        .unwrap();
    assert_eq!(sink, b"PK\x03\x04");
    assert_eq!(
        server.requests()[0].header("authorization"),
        None,
        "a URL the service handed out is signed: no token, whatever its host"
    );

    let err = client
        .download_url(&format!("{}/zip/gone.zip", server.url()), &mut Vec::new())
        .await
        .unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(err.status().unwrap().as_u16(), 403);
    assert_eq!(err.request_id(), Some("dl-1"));
    assert_eq!(api.body.raw, json!("Forbidden"));

    // Cut, and the service offers no validator: resuming cannot prove it is the same file.
    let mut partial = Vec::new();
    let err = client
        .download_url(&format!("{}/zip/cut.zip", server.url()), &mut partial)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Changed(_)), "{err:?}");
    assert_eq!(partial, vec![7u8; 100], "only bytes of the first answer");
}
