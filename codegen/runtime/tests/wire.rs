//! The pipeline and transfers against a loopback server: resends after broken connections,
//! resumed downloads that never join two versions, and credentials that never leave their origin.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dam_runtime::{
    Authenticator, ClientState, Error, Idempotency, ProviderInfo, Resume, RetryPolicy, Timeouts, download,
    download_to_file,
};
use dam_test_server::{Fault, MockServer, Recorded, Reply};
use futures_util::future::BoxFuture;

static PROVIDER: ProviderInfo = ProviderInfo {
    name: "wire",
    request_id_header: "x-request-id",
    reauth_statuses: &[401],
    unauthenticated_operations: &[],
    idempotent_posts: &[],
    user_agent: "wire-test/0",
};

/// Puts a token in `Authorization` and a session in a custom credential header and a cookie.
#[derive(Debug)]
struct Creds;

impl Authenticator for Creds {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            dam_runtime::set_header(request, reqwest::header::AUTHORIZATION, "Bearer secret-token", true)?;
            dam_runtime::set_header(
                request,
                reqwest::header::HeaderName::from_static("sid"),
                "secret-sid",
                true,
            )?;
            dam_runtime::set_header(request, reqwest::header::COOKIE, "_aid=secret-cookie", true)
        })
    }
    fn reauthenticate<'a>(&'a self, _: &'a reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}

fn http() -> reqwest::Client {
    dam_runtime::http_client(Timeouts::default()).unwrap()
}

fn authed() -> ClientState {
    ClientState::new(&PROVIDER, Arc::new(Creds), fast())
}

fn get(url: String) -> reqwest::Request {
    reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap())
}

fn file_bytes(version: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ version).collect()
}

/// Serves `file` with `etag`, honouring `Range` (and `If-Range`: a different validator gets the
/// whole file with 200).
fn ranged(r: &Recorded, file: &[u8], etag: &str) -> Reply {
    let whole = || Reply::bytes(200, file.to_vec()).header("etag", etag);
    let Some(range) = r.header("range") else { return whole() };
    if r.header("if-range").is_some_and(|v| v != etag) {
        return whole();
    }
    let start: usize = range
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .unwrap();
    Reply::bytes(206, file[start..].to_vec()).header("etag", etag).header(
        "content-range",
        &format!("bytes {start}-{}/{}", file.len() - 1, file.len()),
    )
}

#[tokio::test]
async fn idempotent_calls_are_resent_after_a_connection_closed_mid_answer() {
    let server = MockServer::start(|_| Reply::json(200, serde_json::json!({"ok": true}))).await;
    server.inject(Fault::reset().method("GET").times(1));
    let (status, _, body) = dam_runtime::execute(
        &http(),
        &authed(),
        get(format!("{}/a", server.url())),
        "get_a",
        Idempotency::FromMethod,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(&body[..], br#"{"ok":true}"#);
    assert_eq!(server.requests().len(), 2, "resent once after the reset");

    // A body cut mid-answer is resent too when the call buffers it.
    server.inject(Fault::truncate(3).method("GET").times(1));
    let (_, _, body) = dam_runtime::execute(
        &http(),
        &authed(),
        get(format!("{}/b", server.url())),
        "get_b",
        Idempotency::FromMethod,
    )
    .await
    .unwrap();
    assert_eq!(&body[..], br#"{"ok":true}"#);
    assert_eq!(server.requests().len(), 4);

    // Never for a POST or a call marked non-idempotent.
    server.inject(Fault::reset().method("POST").times(1));
    let post = reqwest::Request::new(reqwest::Method::POST, format!("{}/c", server.url()).parse().unwrap());
    let err = dam_runtime::send(&http(), &authed(), post, "create_c", Idempotency::FromMethod)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    server.inject(Fault::reset().method("GET").times(1));
    let err = dam_runtime::send(
        &http(),
        &authed(),
        get(format!("{}/d", server.url())),
        "upload_d",
        Idempotency::Never,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(server.requests().len(), 6, "one attempt each");
}

#[tokio::test]
async fn a_resumed_download_sends_if_range_and_continues_the_same_version() {
    let file = file_bytes(1, 200_000);
    let served = file.clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = MockServer::start(move |r| {
        let reply = ranged(r, &served, "\"v1\"");
        match c.fetch_add(1, Ordering::SeqCst) {
            0 => reply.cut_after(70_000),
            _ => reply,
        }
    })
    .await;
    let mut out = Vec::new();
    let report = download(
        &http(),
        &authed(),
        "download",
        get(format!("{}/f", server.url())),
        &mut out,
        &Resume::default(),
    )
    .await
    .unwrap();
    assert_eq!(out, file, "byte-identical");
    assert_eq!(report.resumes, 1);
    let second = &server.requests()[1];
    assert_eq!(second.header("range"), Some("bytes=70000-"));
    assert_eq!(second.header("if-range"), Some("\"v1\""));
}

#[tokio::test]
async fn a_file_that_changed_is_never_spliced() {
    let v1 = file_bytes(1, 100_000);
    let v2 = file_bytes(2, 100_000);
    let calls = Arc::new(AtomicUsize::new(0));
    let (a, b, c) = (v1.clone(), v2.clone(), calls.clone());
    let server = MockServer::start(move |r| match c.fetch_add(1, Ordering::SeqCst) {
        0 => ranged(r, &a, "\"v1\"").cut_after(40_000),
        _ => ranged(r, &b, "\"v2\""),
    })
    .await;
    // Into any writer: a typed error, and only bytes of the first version were written.
    let mut out = Vec::new();
    let err = download(
        &http(),
        &authed(),
        "download",
        get(format!("{}/f", server.url())),
        &mut out,
        &Resume::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Changed(_)), "{err:?}");
    assert_eq!(out, v1[..out.len()], "nothing of the second version");
    assert_eq!(server.requests()[1].header("if-range"), Some("\"v1\""));

    // Into a file: it starts again from zero and holds exactly the new version.
    calls.store(0, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("dam-runtime-changed-{}", std::process::id()));
    let report = download_to_file(
        &http(),
        &authed(),
        "download",
        get(format!("{}/f", server.url())),
        &path,
        &Resume::default(),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), v2);
    assert_eq!(report.bytes, v2.len() as u64);
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn a_resume_with_another_total_or_no_validator_is_a_change() {
    let v1 = file_bytes(1, 50_000);
    let calls = Arc::new(AtomicUsize::new(0));
    let (a, c) = (v1.clone(), calls.clone());
    let server = MockServer::start(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::bytes(200, a.clone()).cut_after(10_000),
        // No validator at all: the whole body again cannot be proven the same file.
        _ => Reply::bytes(200, a.clone()),
    })
    .await;
    let mut out = Vec::new();
    let err = download(
        &http(),
        &authed(),
        "download",
        get(format!("{}/f", server.url())),
        &mut out,
        &Resume::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Changed(_)), "{err:?}");
    assert_eq!(out.len(), 10_000);

    let (a, c) = (v1.clone(), Arc::new(AtomicUsize::new(0)));
    let server = MockServer::start(move |r| match c.fetch_add(1, Ordering::SeqCst) {
        0 => ranged(r, &a, "\"v1\"").cut_after(10_000),
        _ => Reply::bytes(206, a[10_000..].to_vec())
            .header("etag", "\"v1\"")
            .header("content-range", "bytes 10000-59999/60000"),
    })
    .await;
    let err = download(
        &http(),
        &authed(),
        "download",
        get(format!("{}/f", server.url())),
        &mut Vec::new(),
        &Resume::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Changed(m) if m.contains("50000 to 60000")),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_pages_are_never_written() {
    let server = MockServer::start(|_| Reply::text(404, "<html>Not here</html>")).await;
    let mut out = Vec::new();
    let err = download(
        &http(),
        &authed(),
        "download",
        get(format!("{}/f", server.url())),
        &mut out,
        &Resume::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(out.is_empty());
}

#[tokio::test]
async fn storage_urls_get_no_credentials_even_on_the_api_host() {
    let server = MockServer::start(|_| Reply::bytes(200, b"abc".to_vec())).await;
    let mut out = Vec::new();
    download(
        &http(),
        &authed().storage(),
        "download",
        get(format!("{}/signed?sig=1", server.url())),
        &mut out,
        &Resume::default(),
    )
    .await
    .unwrap();
    let r = &server.requests()[0];
    assert_eq!(out, b"abc");
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.header("sid"), None);
    assert_eq!(r.header("cookie"), None);
}

#[tokio::test]
async fn redirects_to_another_origin_carry_no_credentials() {
    let storage = MockServer::start(|_| Reply::bytes(200, b"file".to_vec())).await;
    let target = format!("{}/bucket/file?X-Sig=1", storage.url());
    let api = MockServer::start(move |r| match r.path.as_str() {
        "/same" => Reply::status(302).header("location", "/final"),
        "/final" => Reply::bytes(200, b"same-origin".to_vec()),
        _ => Reply::status(302).header("location", &target),
    })
    .await;
    let mut request = get(format!("{}/download?token=secret-query", api.url()));
    request
        .headers_mut()
        .insert(reqwest::header::RANGE, "bytes=0-".parse().unwrap());
    let response = dam_runtime::send(&http(), &authed(), request, "download", Idempotency::FromMethod)
        .await
        .unwrap();
    assert_eq!(&response.bytes().await.unwrap()[..], b"file");
    let hop = &storage.requests()[0];
    assert_eq!(hop.path, "/bucket/file");
    assert_eq!(hop.query.as_deref(), Some("X-Sig=1"));
    for name in ["authorization", "sid", "cookie"] {
        assert_eq!(hop.header(name), None, "{name} must not cross origins");
    }
    assert_eq!(hop.header("range"), Some("bytes=0-"), "a ranged download stays ranged");

    // Within the origin, credentials stay (the API asked for its own path).
    let response = dam_runtime::send(
        &http(),
        &authed(),
        get(format!("{}/same", api.url())),
        "same",
        Idempotency::FromMethod,
    )
    .await
    .unwrap();
    assert_eq!(&response.bytes().await.unwrap()[..], b"same-origin");
    let last = api.requests().pop().unwrap();
    assert_eq!(last.path, "/final");
    assert_eq!(last.header("authorization"), Some("Bearer secret-token"));
}
