//! Transfers: a 2 GiB download and a 1 GiB file upload through each SDK crate's own flow, each
//! against plain reqwest moving the same bytes, with throughput and peak resident memory.
//!
//! Peak memory is per scenario: every transfer runs in a child process (this bench binary started
//! again with `DAM_BENCH_CHILD`), which moves the bytes on a 2-worker runtime and reports its
//! `VmHWM` from `/proc/self/status`. The loopback servers run in the parent, so a child's memory
//! is the client's alone. SDK and raw children alternate (ABBA), `DAM_BENCH_ROUNDS` pairs each
//! (default 5); the figures are medians.
//!
//! - download: `GET` of 2 GiB streamed by the server; SDK = `dam_runtime::download` (what every
//!   crate's download helpers use: resumable, progress, validators) into a sink; raw = reqwest's
//!   `bytes_stream` into the same sink;
//! - uploads of one 1 GiB file (written once to the temp directory): Skyfish `upload(..).file`
//!   (register, multipart post to storage, redirect), Sony Ci `upload(..).file` in 10 MiB parts
//!   with 4 in flight and in one request, Mediagraph `upload_file` (five steps, `PUT` to the
//!   signed URL), IntelligenceBank `upload_file` (multipart); raw = one reqwest `POST` whose body
//!   reads the same file in the same chunk size (`FILE_CHUNK`, 256 KiB). The server counts the
//!   bytes and keeps none (`Options { body_limit: Some(0) }`).
//!
//! `cargo bench -p dam-integration --bench transfers` prints one `FIGURE` line per scenario. Not
//! criterion: ten samples of every multi-GiB transfer would take long on a shared machine for no
//! better figure.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use dam_runtime::{ClientState, RetryPolicy, Timeouts};
use dam_test_server::{MockServer, Options, Recorded, Reply};
use serde_json::json;
use tokio::io::AsyncWriteExt;

const DOWNLOAD: u64 = 2 << 30;
const UPLOAD: u64 = 1 << 30;
const CHUNK: usize = 256 * 1024;
static ZEROS: [u8; CHUNK] = [0; CHUNK];
const ASSET_GUID: &str = "39cd27e3-6207-4e95-b2b7-36d636b4ab82";

/// One scenario: its name, the SDK child and the raw child.
const SCENARIOS: [(&str, &str, &str); 6] = [
    ("download 2 GiB", "download-sdk", "download-raw"),
    ("upload 1 GiB skyfish", "upload-skyfish", "upload-raw"),
    (
        "upload 1 GiB ci multipart (10 MiB parts, 4 in flight)",
        "upload-ci",
        "upload-raw",
    ),
    ("upload 1 GiB ci one request", "upload-ci-single", "upload-raw"),
    ("upload 1 GiB mediagraph", "upload-mediagraph", "upload-raw"),
    ("upload 1 GiB intelligencebank", "upload-intelligencebank", "upload-raw"),
];

fn download_server_reply(r: &Recorded) -> Reply {
    match r.path.as_str() {
        "/file" => Reply::stream(200, DOWNLOAD, || {
            let chunks = (DOWNLOAD / CHUNK as u64) as usize;
            Box::pin(futures_util::stream::iter(std::iter::repeat_n(
                Bytes::from_static(&ZEROS),
                chunks,
            )))
        })
        .header("etag", "\"v1\""),
        _ => Reply::status(404),
    }
}

/// Every crate's upload flow on one server (the paths do not collide), and the raw `POST`.
fn upload_server_reply(r: &Recorded) -> Reply {
    let host = r.header("host").unwrap_or_default();
    let set_uploaded = format!("/api/assets/{ASSET_GUID}/set_uploaded");
    match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/raw-upload") => Reply::status(200),
        // Skyfish.
        ("POST", "/upload/register") => Reply::json(
            200,
            json!({"action": format!("http://{host}/s3-bucket"), "method": "POST", "enctype": "multipart/form-data",
                   "fields": [{"name": "key", "type": "hidden", "value": "upload/777/file"}, {"name": "file", "type": "file"}]}),
        ),
        ("POST", "/s3-bucket") => Reply::status(303).header("location", "/upload/done?key=upload%2F777%2Ffile"),
        ("GET", "/upload/done") => Reply::json(200, json!({"media_id": 98765})),
        // Sony Ci (API and io host).
        ("POST", "/oauth2/token") => Reply::json(
            200,
            json!({"access_token": "tok", "expires_in": 86400, "token_type": "bearer", "refresh_token": "r2"}),
        ),
        ("POST", "/upload") | ("POST", "/upload/multipart") => Reply::json(200, json!({"assetId": "A1"})),
        ("PUT", p) if p.starts_with("/upload/multipart/A1/") => Reply::status(200),
        ("POST", "/upload/multipart/A1/complete") => Reply::json(200, json!({"status": "ok"})),
        // Mediagraph (API and storage).
        ("POST", "/api/uploads") => Reply::json(
            200,
            json!({"id": 213, "guid": "a6e21ff1", "name": "bench", "done": false}),
        ),
        ("POST", "/api/uploads/a6e21ff1/assets") => Reply::json(
            200,
            json!({"id": 211, "guid": ASSET_GUID, "filename": "upload.bin",
                   "signed_upload_url": format!("http://{host}/bucket/uploads/211/upload.bin?X-Amz-Signature=ab")}),
        ),
        ("PUT", p) if p.starts_with("/bucket/") => Reply::status(200),
        ("GET", p) if p == set_uploaded => Reply::json(
            200,
            json!({"asset": {"id": 211, "guid": ASSET_GUID, "filename": "upload.bin", "aasm_state": "uploaded"}}),
        ),
        ("PUT", "/api/uploads/213/set_done") => Reply::json(200, json!({"id": 213, "assets_count": 1, "done": true})),
        // IntelligenceBank.
        ("POST", "/webapp/1.0/resources") => Reply::json(
            200,
            json!({"response": {"resource": [{"resourceuuid": "r1", "fileuuid": "f1", "filesize": UPLOAD.to_string()}]}}),
        ),
        _ => Reply::json(404, json!({"message": "no route"})),
    }
}

/// The 1 GiB upload file, written once (varied bytes, so nothing downstream can shortcut zeros).
fn upload_file() -> PathBuf {
    let path = std::env::temp_dir().join("dam-bench-upload-1GiB.bin");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == UPLOAD) {
        return path;
    }
    let mut block = vec![0u8; 1 << 20];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for b in block.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create the upload file"));
    for _ in 0..(UPLOAD >> 20) {
        std::io::Write::write_all(&mut f, &block).expect("write the upload file");
    }
    std::io::Write::flush(&mut f).expect("write the upload file");
    path
}

/// Peak resident memory of this process (KiB).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Runs one transfer in this (child) process; returns the bytes moved.
async fn child(http: reqwest::Client, scenario: &str, url: &str, file: &Path) -> u64 {
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    match scenario {
        "download-sdk" => {
            let state = ClientState::without_credentials(&sdk_skyfish::PROVIDER, RetryPolicy::default());
            let request = http.get(format!("{url}/file")).build().expect("request");
            let mut sink = tokio::io::sink();
            let report = dam_runtime::download(
                &http,
                &state,
                "download",
                request,
                &mut sink,
                &dam_runtime::Resume::default(),
            )
            .await
            .expect("SDK download");
            report.bytes
        }
        "download-raw" => {
            use futures_util::StreamExt;
            let response = http.get(format!("{url}/file")).send().await.expect("raw download");
            let mut body = response.bytes_stream();
            let mut sink = tokio::io::sink();
            let mut n = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.expect("raw chunk");
                sink.write_all(&chunk).await.expect("sink");
                n += chunk.len() as u64;
            }
            n
        }
        "upload-raw" => {
            let f = tokio::fs::File::open(file).await.expect("open");
            let body =
                reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(f, dam_runtime::FILE_CHUNK));
            let response = http
                .post(format!("{url}/raw-upload"))
                .header(reqwest::header::CONTENT_LENGTH, size)
                .body(body)
                .send()
                .await
                .expect("raw upload");
            assert!(response.status().is_success());
            size
        }
        "upload-skyfish" => {
            let client = sdk_skyfish::Client::builder()
                .base_url(url)
                .token("tkn")
                .http_client(http)
                .build()
                .expect("client");
            client.upload(4242).file(file).await.expect("skyfish upload");
            size
        }
        "upload-ci" | "upload-ci-single" => {
            let client = sdk_ci::Client::builder()
                .base_url(url)
                .client_credentials("cid", "csecret")
                .refresh_token("r1")
                .http_client(http)
                .build()
                .expect("client");
            let mut upload = client.upload("ws-1").io_base_url(url);
            if scenario == "upload-ci-single" {
                upload = upload.multipart_threshold(u64::MAX);
            }
            upload.file(file).await.expect("ci upload");
            size
        }
        "upload-mediagraph" => {
            let client = sdk_mediagraph::Client::builder()
                .base_url(url)
                .personal_access_token("mg-token", 42)
                .http_client(http)
                .build()
                .expect("client");
            client
                .upload_file(file, &Default::default())
                .await
                .expect("mediagraph upload");
            size
        }
        "upload-intelligencebank" => {
            let client = sdk_intelligencebank::Client::builder()
                .session(sdk_intelligencebank::Session::new(url, "apikey", "useruuid", "sid"))
                .rate_limit(None)
                .http_client(http)
                .build()
                .await
                .expect("client");
            client
                .upload_file("06da9efd9e96a973015a5571b65d4b6c", file)
                .await
                .expect("intelligencebank upload");
            size
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// What a child reported.
#[derive(Debug, Clone, Copy)]
struct Run {
    bytes: u64,
    secs: f64,
    rss_kib: u64,
}

impl Run {
    fn gbps(&self) -> f64 {
        self.bytes as f64 / self.secs / 1e9
    }
}

fn spawn_child(scenario: &str, url: &str, file: &Path) -> Run {
    let out = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .env("DAM_BENCH_CHILD", scenario)
        .env("DAM_BENCH_URL", url)
        .env("DAM_BENCH_FILE", file)
        .output()
        .expect("start a child");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("RESULT ")).unwrap_or_else(|| {
        panic!(
            "{scenario}: no result\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{scenario}: bad result {line}"))
    };
    Run {
        bytes: field("bytes=") as u64,
        secs: field("secs="),
        rss_kib: field("rss_kib=") as u64,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if let Ok(scenario) = std::env::var("DAM_BENCH_CHILD") {
        let url = std::env::var("DAM_BENCH_URL").expect("DAM_BENCH_URL");
        let file = PathBuf::from(std::env::var_os("DAM_BENCH_FILE").expect("DAM_BENCH_FILE"));
        let rt = common::runtime();
        // The HTTP client (TLS set-up included) is built before the clock starts.
        let http = rt.block_on(async { dam_runtime::http_client(Timeouts::default()).expect("HTTP client") });
        let started = Instant::now();
        let bytes = rt.block_on(child(http, &scenario, &url, &file));
        let secs = started.elapsed().as_secs_f64();
        println!("RESULT bytes={bytes} secs={secs} rss_kib={}", peak_rss_kib());
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument picks scenarios by name.
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let rounds: usize = std::env::var("DAM_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let rt = common::runtime();
    let (download, upload) = rt.block_on(async {
        let options = Options { body_limit: Some(0) };
        (
            MockServer::start(download_server_reply).await,
            MockServer::start_with(options, Arc::new(upload_server_reply)).await,
        )
    });
    let file = upload_file();
    for (name, sdk, raw) in SCENARIOS {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let url = if sdk.starts_with("download") {
            download.url()
        } else {
            upload.url()
        };
        let (mut s, mut r) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            if round % 2 == 0 {
                s.push(spawn_child(sdk, &url, &file));
                r.push(spawn_child(raw, &url, &file));
            } else {
                r.push(spawn_child(raw, &url, &file));
                s.push(spawn_child(sdk, &url, &file));
            }
            download.clear_requests();
            upload.clear_requests();
        }
        let expected = if sdk.starts_with("download") { DOWNLOAD } else { UPLOAD };
        assert!(
            s.iter().chain(&r).all(|run| run.bytes == expected),
            "{name}: {s:?} {r:?}"
        );
        let ratios: Vec<f64> = s.iter().zip(&r).map(|(a, b)| a.gbps() / b.gbps()).collect();
        let mib = |runs: &[Run]| runs.iter().map(|x| x.rss_kib).max().unwrap_or(0) as f64 / 1024.0;
        common::report(&format!(
            "{name}: sdk {:.2} GB/s (peak RSS {:.1} MiB), raw {:.2} GB/s (peak RSS {:.1} MiB), sdk/raw throughput {:.3} (pairs {})",
            median(s.iter().map(Run::gbps).collect()),
            mib(&s),
            median(r.iter().map(Run::gbps).collect()),
            mib(&r),
            median(ratios.clone()),
            ratios.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(" "),
        ));
    }
}
