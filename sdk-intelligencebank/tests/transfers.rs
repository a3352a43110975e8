//! Uploads (the exact multipart body: part order, names, JSON options, file name, content type and
//! bytes), the session renewal of uploads, streamed downloads, and folder paging.

use std::num::NonZeroU64;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dam_test_server::{MockServer, Recorded, Reply};
use futures_util::{StreamExt, TryStreamExt};
use sdk_intelligencebank::{Client, Error, FilePart, RetryPolicy, Session, types};
use serde_json::json;

const APIKEY: &str = "4a0658df9084f078d0cbc506e0f29b57";
const USERUUID: &str = "4717c0b468e7a1d00872f56c81164ec1";
const SID: &str = "eef24c07ebd40fafbb6ab216aa0d1ade";
const SESSION: &str = "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1";
const RESOURCES: &str = "/webapp/1.0/resources";
const LOGIN: &str = "/webapp/1.0/login";
const FOLDER: &str = "06da9efd9e96a973015a5571b65d4b6c";
const FILE: &str = "15e617346a2cc44edd72e59d86559b90";

fn client_for(server: &MockServer) -> Client {
    Client::from_session(Session::new(server.url(), APIKEY, USERUUID, SID)).unwrap()
}

/// A file in a fresh temporary directory.
fn temp_file(test: &str, name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sdk-ib-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// The multipart boundary of a recorded request.
fn boundary(r: &Recorded) -> String {
    r.header("content-type")
        .and_then(|v| v.strip_prefix("multipart/form-data; boundary="))
        .unwrap_or_else(|| panic!("not multipart: {r:?}"))
        .to_string()
}

/// The body reqwest must send for an `options` part and a `file1` part, byte for byte.
fn expected_multipart(boundary: &str, options: &str, file_name: &str, content_type: &str, file: &str) -> String {
    format!(
        "--{boundary}\r\n\
         Content-Disposition: form-data; name=\"options\"\r\n\
         Content-Type: application/json\r\n\r\n\
         {options}\r\n\
         --{boundary}\r\n\
         Content-Disposition: form-data; name=\"file1\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n\
         {file}\r\n\
         --{boundary}--\r\n"
    )
}

fn resource_reply() -> Reply {
    Reply::json(
        200,
        json!({"response": {"resource": [{"resourceuuid": "r1", "fileuuid": FILE, "filesize": "19"}]}}),
    )
}

#[tokio::test]
async fn upload_sends_the_documented_multipart_body() {
    let server = MockServer::start(|_| resource_reply()).await;
    let path = temp_file("upload", "test.txt", b"one\ntwo\nthree\nfour\n");
    let options = types::CreateResourceOptions {
        folder: Some(FOLDER.into()),
        filename: None,
        name: Some("Test file".into()),
        description: Some("this is a test file".into()),
    };
    let answer = client_for(&server)
        .create_resource(options, FilePart::path(&path).unwrap())
        .await
        .unwrap();
    assert_eq!(
        answer.response.unwrap().resource.unwrap()[0]
            .filesize
            .as_ref()
            .unwrap()
            .get(),
        Some(19)
    );

    let r = &server.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_deref()),
        ("POST", RESOURCES, Some(SESSION))
    );
    let expected = expected_multipart(
        &boundary(r),
        r#"{"description":"this is a test file","filename":"test.txt","folder":"06da9efd9e96a973015a5571b65d4b6c","name":"Test file"}"#,
        "test.txt",
        "text/plain",
        "one\ntwo\nthree\nfour\n",
    );
    assert_eq!(r.text(), expected);
    assert_eq!(r.header("content-length"), Some(expected.len().to_string().as_str()));
}

#[tokio::test]
async fn upload_file_titles_the_resource_with_its_file_name() {
    let server = MockServer::start(|_| resource_reply()).await;
    let path = temp_file("upload-file", "logo.png", b"\x89PNG");
    client_for(&server).upload_file(FOLDER, &path).await.unwrap();
    let r = &server.requests()[0];
    let expected = expected_multipart(
        &boundary(r),
        r#"{"filename":"logo.png","folder":"06da9efd9e96a973015a5571b65d4b6c","name":"logo.png"}"#,
        "logo.png",
        "image/png",
        "\u{FFFD}PNG",
    );
    // The PNG signature byte is not UTF-8; compare the text view and the raw bytes of the file.
    assert_eq!(r.text(), expected);
    assert!(r.body.windows(4).any(|w| w == b"\x89PNG"));
}

#[tokio::test]
async fn replacing_a_file_streams_it_as_a_new_version() {
    let server = MockServer::start(|_| resource_reply()).await;
    let chunks = ["one\n", "two\n", "three\n", "five\n"].map(|c| Ok::<_, std::io::Error>(bytes::Bytes::from(c)));
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let options = types::ReplaceResourceFileOptions {
        folder: Some(FOLDER.into()),
        filename: Some("test2.txt".into()),
        name: Some("Test 2 file".into()),
        description: Some("this is the new version".into()),
        new_version: Some(true),
    };
    client_for(&server)
        .update_resource_file(FILE, options, FilePart::stream(body, "test2.txt", None))
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, RESOURCES);
    assert_eq!(
        r.query.as_deref(),
        Some(
            "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1&fileuuid=15e617346a2cc44edd72e59d86559b90"
        )
    );
    let expected = expected_multipart(
        &boundary(r),
        r#"{"description":"this is the new version","filename":"test2.txt","folder":"06da9efd9e96a973015a5571b65d4b6c","name":"Test 2 file","newVersion":true}"#,
        "test2.txt",
        "text/plain",
        "one\ntwo\nthree\nfive\n",
    );
    assert_eq!(r.text(), expected);
}

#[tokio::test]
async fn content_type_and_file_name_can_be_set() {
    let server = MockServer::start(|_| resource_reply()).await;
    let file = FilePart::stream(reqwest::Body::from("x"), "a.bin", Some(1))
        .file_name("renamed.dat")
        .content_type("application/x-custom");
    client_for(&server)
        .update_resource_file(FILE, types::ReplaceResourceFileOptions::default(), file)
        .await
        .unwrap();
    let r = &server.requests()[0];
    let expected = expected_multipart(
        &boundary(r),
        r#"{"filename":"renamed.dat"}"#,
        "renamed.dat",
        "application/x-custom",
        "x",
    );
    assert_eq!(r.text(), expected);
}

#[tokio::test]
async fn an_upload_refused_with_401_is_sent_again_after_a_new_login() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::json(
                200,
                json!({"apikey": APIKEY, "useruuid": USERUUID, "sid": format!("sid-{n}")}),
            )
        }
        _ if r.header("cookie").is_some_and(|c| c.contains("_sid-1_")) => Reply::status(401),
        _ => resource_reply(),
    })
    .await;
    let client = Client::builder()
        .platform("test.intelligencebank.com")
        .api_base_url(server.url())
        .credentials("joe.blow@test.com", "mypassword")
        .build()
        .await
        .unwrap();
    let path = temp_file("upload-401", "test.txt", b"one\ntwo\n");
    client.upload_file(FOLDER, &path).await.unwrap();
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, [LOGIN, RESOURCES, LOGIN, RESOURCES]);
    let uploads = server.requests_to(RESOURCES);
    assert_eq!(
        uploads[1].header("cookie"),
        Some(format!("_aid={APIKEY}_sid-2_default").as_str())
    );
    // The whole file is sent again.
    let again = uploads[1].text();
    assert!(again.contains("\r\n\r\none\ntwo\n\r\n--"), "{again}");
    assert_eq!(uploads[0].body.len(), uploads[1].body.len());
}

#[tokio::test]
async fn a_streamed_upload_is_never_resent() {
    let server = MockServer::start(|_| Reply::json(503, json!({"message": "busy"}))).await;
    let client = Client::builder()
        .session(Session::new(server.url(), APIKEY, USERUUID, SID))
        .retry_policy(RetryPolicy {
            initial_backoff: std::time::Duration::from_millis(1),
            ..RetryPolicy::default()
        })
        .build()
        .await
        .unwrap();
    let file = FilePart::stream(reqwest::Body::from("data"), "a.txt", Some(4));
    let err = client
        .create_resource(types::CreateResourceOptions::default(), file)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.message(), Some("busy"));
    assert_eq!(server.requests().len(), 1);

    // A path upload is not retried on 503 either (only a refused session resends it).
    let path = temp_file("upload-503", "a.txt", b"data");
    let err = client.upload_file(FOLDER, &path).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn an_upload_of_a_missing_file_is_invalid_input_before_any_request() {
    let server = MockServer::start(|_| resource_reply()).await;
    let err = client_for(&server)
        .upload_file(FOLDER, "/nonexistent/dir/file.txt")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("/nonexistent/dir/file.txt")),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_upload_answer_that_is_not_json_is_a_decode_error() {
    let server = MockServer::start(|_| Reply::text(200, "<html>oops</html>")).await;
    let file = FilePart::stream(reqwest::Body::from("x"), "a.txt", Some(1));
    let err = client_for(&server)
        .create_resource(types::CreateResourceOptions::default(), file)
        .await
        .unwrap_err();
    match err {
        Error::Decode { excerpt, .. } => assert_eq!(excerpt, "<html>oops</html>"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn download_streams_into_a_writer() {
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let body = content.clone();
    let server = MockServer::start(move |_| Reply::bytes(200, body.clone())).await;
    let mut out = Vec::new();
    let written = client_for(&server)
        .download_resource()
        .fileuuid(FILE)
        .write_to(&mut out)
        .await
        .unwrap();
    assert_eq!(written, 200_000);
    assert_eq!(out, content);
}

#[tokio::test]
async fn a_cut_download_is_a_transport_error() {
    let server = MockServer::start(|_| Reply::bytes(200, vec![7u8; 10_000]).cut_after(1_000)).await;
    let mut out = Vec::new();
    let err = client_for(&server)
        .download_resource()
        .fileuuid(FILE)
        .write_to(&mut out)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(out.len() <= 1_000);
}

#[tokio::test]
async fn a_missing_resource_is_an_api_error_with_the_message() {
    let server = MockServer::start(|_| Reply::json(404, json!({"message": "Version not found"}))).await;
    let mut out = Vec::new();
    let err = client_for(&server)
        .download_resource()
        .fileuuid(FILE)
        .version(9)
        .write_to(&mut out)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.message(), Some("Version not found"));
    assert_eq!(
        err.to_string(),
        "intelligencebank answered 404 Not Found: Version not found"
    );
    assert!(out.is_empty());
}

#[tokio::test]
async fn download_to_file_writes_the_file_and_removes_a_partial_one() {
    let server = MockServer::start(|r| match r.query_param("fileuuid").as_deref() {
        Some("good") => Reply::bytes(200, b"hello".to_vec()),
        _ => Reply::bytes(200, vec![1u8; 5_000]).cut_after(100),
    })
    .await;
    let client = client_for(&server);
    let dir = temp_file("download", "placeholder", b"")
        .parent()
        .unwrap()
        .to_path_buf();
    let good = dir.join("good.bin");
    assert_eq!(client.download_to_file("good", &good).await.unwrap(), 5);
    assert_eq!(std::fs::read(&good).unwrap(), b"hello");
    let bad = dir.join("bad.bin");
    assert!(client.download_to_file("bad", &bad).await.is_err());
    assert!(!bad.exists());
}

fn page_of(skip: usize, limit: usize, total: usize) -> Reply {
    let resources: Vec<_> = (skip..total.min(skip + limit))
        .map(|i| json!({"fileuuid": format!("file-{i}"), "filesize": i.to_string()}))
        .collect();
    Reply::json(
        200,
        json!({"response": {"folder": [{"folderuuid": "sub"}], "resource": resources}}),
    )
}

fn paging_server(total: usize) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |r| {
        let skip = r.query_param("skip").and_then(|s| s.parse().ok()).unwrap_or(0);
        let limit = r.query_param("limit").and_then(|s| s.parse().ok()).unwrap_or(50);
        page_of(skip, limit, total)
    }
}

#[tokio::test]
async fn folder_resources_pages_until_a_short_page() {
    let server = MockServer::start(paging_server(5)).await;
    let client = client_for(&server);
    let items: Vec<_> = client
        .folder_resources(FOLDER, NonZeroU64::new(2).unwrap())
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = items.iter().map(|r| r.fileuuid.clone().unwrap()).collect();
    assert_eq!(ids, ["file-0", "file-1", "file-2", "file-3", "file-4"]);
    let queries: Vec<_> = server.requests().into_iter().map(|r| r.query.unwrap()).collect();
    assert_eq!(
        queries,
        [0, 2, 4].map(|skip| format!("{SESSION}&folderuuid=06da9efd9e96a973015a5571b65d4b6c&limit=2&skip={skip}"))
    );
}

#[tokio::test]
async fn folder_resources_stops_on_an_empty_page() {
    let server = MockServer::start(paging_server(4)).await;
    let items: Vec<_> = client_for(&server)
        .folder_resources(FOLDER, NonZeroU64::new(2).unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 4);
    let skips: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.query_param("skip").unwrap())
        .collect();
    assert_eq!(skips, ["0", "2", "4"]);
}

#[tokio::test]
async fn folder_resources_yields_the_error_and_stops() {
    let server = MockServer::start(|r| match r.query_param("skip").as_deref() {
        Some("0") => page_of(0, 2, 10),
        _ => Reply::json(500, json!({"message": "database unavailable"})),
    })
    .await;
    let client = client_for(&server);
    let results: Vec<_> = client
        .folder_resources(FOLDER, NonZeroU64::new(2).unwrap())
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(err.message(), Some("database unavailable"));
}

#[tokio::test]
async fn a_streamed_upload_refused_with_401_is_not_resent() {
    let server = MockServer::start(|_| Reply::json(401, json!({"message": "expired"}))).await;
    let file = FilePart::stream(reqwest::Body::from("data"), "a.txt", Some(4));
    let err = client_for(&server)
        .create_resource(types::CreateResourceOptions::default(), file)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.requests().len(), 1);
}
