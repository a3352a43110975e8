//! The crate's real client against its simulator: sign-in and every way a session is refused or
//! renewed, the browser login, the call limit, the stateful flows (folders, uploads with
//! progress, listings, search, Range downloads, metadata, versions, comments, deletes), paging
//! over 10,000 seeded resources, a 2 GiB generated file read at both ends, injected faults, the
//! v3 calls, and the service's refusals of bad requests sent raw.

#![cfg(feature = "simulator")]

use std::num::NonZeroU64;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use sdk_intelligencebank::runtime::{Progress, Resume};
use sdk_intelligencebank::simulator::{Blob, Fault, Options, Recorded, Simulator};
use sdk_intelligencebank::v3::{Direction, SearchParams, Table};
use sdk_intelligencebank::{Client, Error, FilePart, RetryPolicy, Session, types};
use serde_json::{Value, json};

const RESOURCES: &str = "/webapp/1.0/resources";
const LOGIN: &str = "/webapp/1.0/login";

/// A file in a fresh temporary directory.
fn temp_file(test: &str, name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sdk-ib-sim-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// `(method, path)` of every request, in order.
fn calls(requests: &[Recorded]) -> Vec<(String, String)> {
    requests.iter().map(|r| (r.method.clone(), r.path.clone())).collect()
}

/// The error of a call expected to fail.
fn refusal<T>(result: Result<T, Error>) -> Error {
    match result {
        Ok(_) => panic!("the call succeeded"),
        Err(e) => e,
    }
}

fn status(e: &Error) -> u16 {
    e.status().map(|s| s.as_u16()).unwrap_or(0)
}

/// Raw requests with a session's credentials, for what the SDK never sends.
struct Raw {
    http: reqwest::Client,
    url: String,
    session: Session,
}

impl Raw {
    fn new(sim: &Simulator) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: sim.url(),
            session: sim.session(),
        }
    }
    fn credentials(&self) -> String {
        format!("p10={}&p20={}", self.session.apikey.expose(), self.session.useruuid)
    }
    fn cookie(&self) -> String {
        format!("_aid={}", self.session.aid_cookie().expose())
    }
    /// A v2 request to `path?{query}&p10=…&p20=…` with the `_aid` cookie.
    fn v2(&self, method: reqwest::Method, path: &str, query: &str) -> reqwest::RequestBuilder {
        let sep = if query.is_empty() { "" } else { "&" };
        self.http
            .request(method, format!("{}{path}?{query}{sep}{}", self.url, self.credentials()))
            .header("cookie", self.cookie())
    }
    /// A v3 request with the `sid` header.
    fn v3(&self, method: reqwest::Method, path_and_query: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path_and_query}", self.url))
            .header("sid", self.session.sid.expose())
    }
}

async fn body_json(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

/// The uuid of the top-level folder `name`.
async fn top_folder(client: &Client, name: &str) -> String {
    let root = client.get_root_folder().send().await.unwrap().into_inner();
    root.response
        .and_then(|r| r.folder)
        .unwrap_or_default()
        .into_iter()
        .find(|f| f.name.as_deref() == Some(name))
        .and_then(|f| f.folderuuid)
        .unwrap_or_else(|| panic!("no top-level folder {name}"))
}

// -------------------------------------------------------------------------------------------
// Sessions
// -------------------------------------------------------------------------------------------

#[tokio::test]
async fn sign_in_discovers_the_api_host_and_logs_in_with_the_exact_form() {
    let sim = Simulator::start().await.unwrap();
    let (client, auth) = sim.builder().build_with_auth().await.unwrap();
    let session = auth.session().await.unwrap();
    assert_eq!(session.api_base_url, sim.url(), "discovery answered the simulator");
    assert_eq!(session.v3_base_url.as_deref(), Some(sim.url().as_str()), "apiV3url");
    assert_eq!(session.client_id.as_deref(), Some("BnK4JV"));
    assert_eq!(
        session.lifetime,
        Some(Duration::from_secs(8 * 3600)),
        "logintimeoutperiod: 8 hours"
    );
    client.get_root_folder().send().await.unwrap();

    let log = sim.requests();
    assert_eq!(
        calls(&log),
        [
            ("GET".into(), "/v1/auth/app/getYapiAddress".into()),
            ("POST".into(), LOGIN.into()),
            ("GET".into(), RESOURCES.into()),
        ]
    );
    let c = sim.credentials();
    let domain = sim.url().trim_start_matches("http://").replace(':', "%3A");
    assert_eq!(
        log[1].text(),
        format!("p70=joe.blow%40test.com&p80={}&p90={domain}", c.password.expose())
    );
    assert_eq!(log[1].header("content-type"), Some("application/x-www-form-urlencoded"));
    let expected_query = format!("p10={}&p20={}", session.apikey.expose(), session.useruuid);
    assert_eq!(log[2].query.as_deref(), Some(expected_query.as_str()));
    let expected_cookie = format!("_aid={}_{}_default", session.apikey.expose(), session.sid.expose());
    assert_eq!(log[2].header("cookie"), Some(expected_cookie.as_str()));
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_status_200_and_a_message() {
    let sim = Simulator::start().await.unwrap();
    let refused = sim
        .builder()
        .credentials(sim.credentials().email, "not-the-password")
        .build()
        .await
        .unwrap_err();
    match &refused {
        Error::Auth(message) => assert_eq!(message, "Invalid user name or password. Please try again."),
        other => panic!("expected Error::Auth, got {other:?}"),
    }
    // On the wire: HTTP 200 with only a message, no session.
    let raw = reqwest::Client::new()
        .post(format!("{}{LOGIN}", sim.url()))
        .form(&[
            ("p70", "joe.blow@test.com"),
            ("p80", "wrong"),
            ("p90", "elsewhere.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(
        body_json(raw).await,
        json!({"message": "Invalid user name or password. Please try again."})
    );
    // The right password for another platform domain is refused the same way.
    let c = sim.credentials();
    let other_platform = reqwest::Client::new()
        .post(format!("{}{LOGIN}", sim.url()))
        .form(&[
            ("p70", c.email.as_str()),
            ("p80", c.password.expose()),
            ("p90", "other.intelligencebank.com"),
        ])
        .send()
        .await
        .unwrap();
    assert!(body_json(other_platform).await.get("sid").is_none());
}

#[tokio::test]
async fn calls_without_a_live_session_are_refused_401_and_foreign_credentials_403() {
    let sim = Simulator::start().await.unwrap();
    let raw = Raw::new(&sim);
    let url = format!("{}{RESOURCES}", sim.url());
    let http = &raw.http;

    let none = http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(
        body_json(none).await["message"].is_string(),
        "the service's error shape"
    );
    let no_cookie = http.get(format!("{url}?{}", raw.credentials())).send().await.unwrap();
    assert_eq!(no_cookie.status(), 401);
    let unknown_sid = http
        .get(format!("{url}?{}", raw.credentials()))
        .header(
            "cookie",
            format!("_aid={}_{}_default", raw.session.apikey.expose(), "0".repeat(32)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_sid.status(), 401);
    let wrong_user = http
        .get(format!("{url}?p10={}&p20=someone-else", raw.session.apikey.expose()))
        .header("cookie", raw.cookie())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_user.status(), 403);
    let wrong_product = http
        .get(format!("{url}?{}", raw.credentials()))
        .header(
            "cookie",
            format!("_aid={}_{}_KEY", raw.session.apikey.expose(), raw.session.sid.expose()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_product.status(), 403);
    assert_eq!(
        raw.v2(reqwest::Method::GET, RESOURCES, "")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // v3: the sid header, the account's client id.
    let v3 = format!("{}/api/3.0.0/BnK4JV/resource.limit(1)", sim.url());
    assert_eq!(http.get(&v3).send().await.unwrap().status(), 401);
    assert_eq!(
        http.get(&v3)
            .header("cookie", raw.cookie())
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "the v2 cookie is no v3 credential"
    );
    assert_eq!(
        raw.v3(reqwest::Method::GET, "/api/3.0.0/BnK4JV/resource.limit(1)")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        raw.v3(reqwest::Method::GET, "/api/3.0.0/Other1/resource.limit(1)")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn a_timed_out_session_is_refused_and_the_sdk_logs_in_again() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    client.get_root_folder().send().await.unwrap();
    assert!(
        sim.requests().iter().all(|r| r.path != LOGIN),
        "a ready client needs no login"
    );

    sim.clock().advance(Duration::from_secs(8 * 3600 + 1));
    sim.clear_requests();
    client.get_root_folder().send().await.unwrap();
    let log = sim.requests();
    assert_eq!(
        calls(&log),
        [
            ("GET".into(), RESOURCES.into()),
            ("POST".into(), LOGIN.into()),
            ("GET".into(), RESOURCES.into()),
        ]
    );
    assert_ne!(log[0].header("cookie"), log[2].header("cookie"), "a new session id");

    // The same on v3: 401, login, resend with the new sid.
    sim.clock().advance(Duration::from_secs(8 * 3600 + 1));
    sim.clear_requests();
    let page = client
        .v3()
        .list_resources(&Table::resource().limit(0, 2), &SearchParams::new())
        .await
        .unwrap();
    assert_eq!(page.response.unwrap().rows.len(), 2);
    let log = sim.requests();
    assert_eq!(log.len(), 3, "{:?}", calls(&log));
    assert_eq!(log[1].path, LOGIN);
    assert_ne!(log[0].header("sid"), log[2].header("sid"));

    // A client that cannot log in again gets the service's refusal.
    let saved = Client::from_session(sim.session()).unwrap();
    sim.clock().advance(Duration::from_secs(8 * 3600 + 1));
    let refused = saved.get_root_folder().send().await.unwrap_err();
    assert_eq!(status(&refused), 401);
    assert_eq!(
        refused.message(),
        Some("Unauthorized: the session has timed out. Please log in again.")
    );
}

#[tokio::test]
async fn the_browser_login_is_pending_until_approved_then_used_up() {
    let sim = Simulator::start().await.unwrap();
    let sso = sim.builder().start_sso().await.unwrap();
    assert!(sso.poll().await.unwrap().is_none(), "404 while pending");
    let url = reqwest::Url::parse(&sso.login_url()).unwrap();
    let token = url.query_pairs().find(|(k, _)| k == "token").unwrap().1.into_owned();
    assert!(sim.approve_sso(&token));
    let session = sso.poll().await.unwrap().expect("approved");
    assert!(sso.poll().await.unwrap().is_none(), "the token is single-use");
    assert!(!sim.approve_sso("unknown"));
    let client = Client::builder()
        .session(session)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .await
        .unwrap();
    client.get_root_folder().send().await.unwrap();
    assert_eq!(client.v3().root().await.unwrap().path(), "/api/3.0.0/BnK4JV");
}

#[tokio::test]
async fn the_call_limit_answers_429_with_retry_after() {
    let options = Options {
        calls_per_minute: Some(3),
        ..Options::default()
    };
    let sim = Simulator::start_with(options).await.unwrap();
    let client = sim
        .builder()
        .retry_policy(RetryPolicy::disabled())
        .session(sim.session())
        .build()
        .await
        .unwrap();
    for _ in 0..3 {
        client.get_root_folder().send().await.unwrap();
    }
    let over = client.get_root_folder().send().await.unwrap_err();
    assert_eq!(status(&over), 429);
    let retry_after = over.api_error().and_then(|d| d.retry_after).unwrap();
    assert!(
        retry_after > Duration::ZERO && retry_after <= Duration::from_secs(60),
        "{retry_after:?}"
    );
    sim.clock().advance(Duration::from_secs(61));
    client.get_root_folder().send().await.unwrap();
}

// -------------------------------------------------------------------------------------------
// Stateful flows
// -------------------------------------------------------------------------------------------

#[tokio::test]
async fn folders_uploads_listings_downloads_metadata_and_deletes() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();

    // A folder at the root (no folderuuid), renamed.
    let created = client
        .create_folder()
        .body(types::CreateFolderForm {
            name: "Tour".into(),
            description: Some("made by a test".into()),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let folder = created.response.unwrap().folder.unwrap()[0].folderuuid.clone().unwrap();
    client
        .update_folder()
        .folderuuid(&folder)
        .body(types::UpdateFolderForm {
            name: Some("Tour 2".into()),
            description: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(top_folder(&client, "Tour 2").await, folder);

    // Upload with progress; the bytes are kept.
    let content: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let path = temp_file("flow", "report.pdf", &content);
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let record = seen.clone();
    let file = FilePart::path(&path)
        .unwrap()
        .on_progress(Arc::new(move |p| record.lock().unwrap().push(p)));
    let options = types::CreateResourceOptions {
        folder: Some(folder.clone()),
        filename: None,
        name: Some("Annual report".into()),
        description: Some("2024".into()),
    };
    let answer = client.create_resource(options, file).await.unwrap();
    let resource = answer.response.unwrap().resource.unwrap().remove(0);
    let uuid = resource.fileuuid.clone().unwrap();
    assert_eq!(resource.filesize.unwrap().get(), Some(1_000_000));
    assert_eq!(resource.origfilename.as_deref(), Some("report.pdf"));
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 2, "progress in chunks: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].done < w[1].done));
    assert_eq!(
        seen.last().copied(),
        Some(Progress {
            done: 1_000_000,
            total: Some(1_000_000)
        })
    );
    assert_eq!(sim.file(&uuid).unwrap().slice(0, 1_000_000), content);

    // Listed in its folder, found by search (v2 and v3).
    let listed: Vec<types::Resource> = client
        .folder_resources(&folder, NonZeroU64::new(10).unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].title.as_deref(), Some("Annual report"));
    let hits = client.search().searchterm("annual").send().await.unwrap().into_inner();
    assert_eq!(hits.num_found.unwrap().get(), Some(1));
    assert_eq!(hits.doc.unwrap()[0].uuid.as_deref(), Some(uuid.as_str()));
    let v3_hits = client
        .v3()
        .list_resources(&Table::resource(), &SearchParams::new().keywords("annual report"))
        .await
        .unwrap();
    assert_eq!(v3_hits.response.unwrap().rows[0].id.as_deref(), Some(uuid.as_str()));

    // Download: whole (with progress), then a Range read raw.
    let mut got = Vec::new();
    let report = client
        .download_resumable(&uuid, None, &mut got, &Resume::default())
        .await
        .unwrap();
    assert_eq!((report.bytes, report.resumes), (1_000_000, 0));
    assert_eq!(got, content);
    let raw = Raw::new(&sim);
    let part = raw
        .v2(reqwest::Method::GET, RESOURCES, &format!("fileuuid={uuid}"))
        .header("range", "bytes=999000-")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 999000-999999/1000000");
    assert_eq!(
        part.headers()["content-disposition"],
        "attachment; filename=\"report.pdf\""
    );
    assert_eq!(part.bytes().await.unwrap().to_vec(), content[999_000..]);

    // Metadata, with the exact form on the wire.
    sim.clear_requests();
    let update = types::UpdateResourceMetadataForm {
        name: Some("Annual report 2024".into()),
        description: None,
        tags: vec!["report".into(), "2024".into()],
    };
    let updated = client.update_resource_metadata(&uuid, &update).await.unwrap();
    let r = updated.response.unwrap().resource.unwrap().remove(0);
    assert_eq!(r.title.as_deref(), Some("Annual report 2024"));
    assert_eq!(r.tags, Some(vec!["report".to_string(), "2024".to_string()]));
    assert_eq!(
        sim.requests()[0].text(),
        "name=Annual+report+2024&tags%5B%5D=report&tags%5B%5D=2024"
    );
    assert_eq!(sim.tags(&uuid), Some(vec!["report".to_string(), "2024".to_string()]));

    // A new version; both versions stay downloadable.
    let v2_path = temp_file("flow", "report-v2.pdf", b"second version");
    let options = types::ReplaceResourceFileOptions {
        new_version: Some(true),
        ..Default::default()
    };
    let replaced = client
        .update_resource_file(&uuid, options, FilePart::path(&v2_path).unwrap())
        .await
        .unwrap();
    assert_eq!(
        replaced.response.unwrap().resource.unwrap()[0]
            .version
            .as_ref()
            .unwrap()
            .get(),
        Some(2)
    );
    let mut first = Vec::new();
    client
        .download_resumable(&uuid, Some(1), &mut first, &Resume::default())
        .await
        .unwrap();
    assert_eq!(first, content);
    let mut current = Vec::new();
    client
        .download_resource()
        .fileuuid(&uuid)
        .write_to(&mut current)
        .await
        .unwrap();
    assert_eq!(current, b"second version");
    let missing_version = refusal(client.download_resource().fileuuid(&uuid).version(9).send().await);
    assert_eq!(status(&missing_version), 404);

    // Comments.
    client
        .add_comment()
        .fileuuid(&uuid)
        .body(types::AddCommentForm {
            comment: "Looks good".into(),
        })
        .send()
        .await
        .unwrap();
    let comments = client
        .list_comments()
        .fileuuid(&uuid)
        .send()
        .await
        .unwrap()
        .into_inner();
    let comments = comments.response.unwrap().comment.unwrap();
    assert_eq!(comments.as_slice()[0].comment.as_deref(), Some("Looks good"));

    // Delete: then 404 everywhere.
    client.delete_resource().fileuuid(&uuid).send().await.unwrap();
    let gone = refusal(client.download_resource().fileuuid(&uuid).send().await);
    assert_eq!(status(&gone), 404);
    assert_eq!(gone.message(), Some("Resource not found."));
    client.delete_folder().folderuuid(&folder).send().await.unwrap();
    let gone = client
        .get_folder_contents()
        .folderuuid(&folder)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&gone), 404);
}

#[tokio::test]
async fn paging_through_10000_seeded_resources_counts_every_one() {
    let sim = Simulator::start().await.unwrap();
    let started = std::time::Instant::now();
    let seeded = sim.seed_assets(10_000);
    assert_eq!(seeded.len(), 10_000);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "seeding is fast: {:?}",
        started.elapsed()
    );
    let client = sim.client();
    let folder = top_folder(&client, "Seeded assets").await;

    sim.clear_requests();
    let listed: Vec<types::Resource> = client
        .folder_resources(&folder, NonZeroU64::new(500).unwrap())
        .try_collect()
        .await
        .unwrap();
    let uuids: Vec<String> = listed.iter().map(|r| r.fileuuid.clone().unwrap()).collect();
    assert_eq!(uuids, seeded, "every resource once, in order");
    assert_eq!(sim.requests().len(), 21, "20 full pages and an empty one");
    assert_eq!(
        sim.requests()[20].query_param("skip").as_deref(),
        Some("10000"),
        "skip/limit on the wire"
    );

    // v3 pages end at the answer's count (no empty page).
    sim.clear_requests();
    let newest_first: Vec<types::V3Resource> = client
        .v3()
        .resources(
            Table::resource().order("createTime", Direction::Descending),
            SearchParams::new().folder(&folder),
            NonZeroU64::new(1000).unwrap(),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(newest_first.len(), 10_000);
    assert_eq!(newest_first[0].id.as_deref(), seeded.last().map(String::as_str));
    assert_eq!(sim.requests().len(), 10);
    assert_eq!(
        sim.requests()[1].path,
        "/api/3.0.0/BnK4JV/resource.limit(1000,1000).order(createTime:-1)"
    );
}

#[tokio::test]
async fn a_2_gib_generated_file_is_read_at_both_ends_without_downloading_it() {
    let sim = Simulator::start().await.unwrap();
    let len: u64 = 2 << 30;
    let blob = Blob::Generated { len, seed: 42 };
    let uuid = sim.add_file(&sim.root_folder(), "huge.bin", blob.clone()).unwrap();
    let client = sim.client();
    let estimate = client
        .estimate_resource_file_size()
        .fileuuid(&uuid)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(estimate.estimated_file_size.unwrap().get(), Some(len as i64));

    let raw = Raw::new(&sim);
    let head = raw
        .v2(reqwest::Method::GET, RESOURCES, &format!("fileuuid={uuid}"))
        .header("range", "bytes=0-1023")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 206);
    assert_eq!(head.headers()["content-range"], format!("bytes 0-1023/{len}"));
    assert_eq!(head.bytes().await.unwrap().to_vec(), blob.slice(0, 1024));
    let tail = raw
        .v3(
            reqwest::Method::GET,
            &format!("/api/3.0.0/BnK4JV/resource/{uuid}?action=download"),
        )
        .header("range", "bytes=-4096")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().to_vec(), blob.slice(len - 4096, len));

    // The SDK resumes from an offset: only the last 64 KiB travel.
    let mut end = Vec::new();
    let report = client
        .v3()
        .download_resumable(
            &uuid,
            &mut end,
            &Resume {
                offset: len - 65_536,
                ..Resume::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.bytes, 65_536);
    assert_eq!(end, blob.slice(len - 65_536, len));
}

#[tokio::test]
async fn injected_faults_are_retried_resent_resumed_or_reported() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();

    // 503 with Retry-After: retried after the wait it asks for.
    sim.inject(Fault::status(503).retry_after(1).path(RESOURCES).times(1));
    sim.clear_requests();
    let started = std::time::Instant::now();
    client.get_root_folder().send().await.unwrap();
    assert_eq!(sim.requests().len(), 2);
    assert!(started.elapsed() >= Duration::from_millis(900), "Retry-After honoured");

    // A reset connection: an idempotent call is resent.
    sim.inject(Fault::reset().path(RESOURCES));
    client.get_root_folder().send().await.unwrap();

    // A download cut off midway resumes from the first missing byte.
    let blob = Blob::Generated { len: 600_000, seed: 7 };
    let uuid = sim.add_file(&sim.root_folder(), "clip.mov", blob.clone()).unwrap();
    sim.inject(Fault::truncate(100_000).path(RESOURCES).method("GET"));
    sim.clear_requests();
    let mut got = Vec::new();
    let report = client
        .download_resumable(&uuid, None, &mut got, &Resume::default())
        .await
        .unwrap();
    assert_eq!(report.resumes, 1);
    assert_eq!(got, blob.slice(0, 600_000));
    let log = sim.requests();
    assert_eq!(log[1].header("range"), Some("bytes=100000-"));
    assert_eq!(log[1].header("if-range"), Some(blob.etag().as_str()));

    // Malformed JSON: a typed decode error.
    sim.inject(Fault::malformed().path(RESOURCES));
    let broken = client.get_root_folder().send().await.unwrap_err();
    assert!(matches!(broken, Error::Decode { .. }), "{broken:?}");

    // A non-idempotent upload is not resent after a 503.
    sim.inject(Fault::status(503).path(RESOURCES).method("POST"));
    let path = temp_file("faults", "a.txt", b"a");
    sim.clear_requests();
    let refused = client.upload_file(&sim.root_folder(), &path).await.unwrap_err();
    assert_eq!(status(&refused), 503);
    assert_eq!(sim.requests().len(), 1, "sent once");
}

#[tokio::test]
async fn bad_requests_are_refused_the_way_the_service_refuses_them() {
    let sim = Simulator::start().await.unwrap();
    let raw = Raw::new(&sim);
    use reqwest::Method;

    let wrong_method = raw
        .v2(Method::DELETE, "/webapp/1.0/search", "searchterm=x")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(wrong_method.headers()["allow"], "GET");
    assert!(body_json(wrong_method).await["message"].is_string());

    let missing = raw.v2(Method::GET, "/webapp/1.0/search", "").send().await.unwrap();
    assert_eq!(missing.status(), 400);
    assert_eq!(
        body_json(missing).await,
        json!({"message": "missing required query parameter `searchterm`"})
    );

    let not_a_number = raw
        .v2(
            Method::GET,
            RESOURCES,
            &format!("folderuuid={}&limit=ten", sim.root_folder()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_number.status(), 400);

    let wrong_type = raw
        .v2(Method::POST, "/webapp/1.0/comments", "fileuuid=x")
        .header("content-type", "application/json")
        .body(r#"{"comment":"hi"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);

    let upload_without_file1 = raw
        .v2(Method::POST, RESOURCES, "")
        .header("content-type", "multipart/form-data; boundary=b")
        .body("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\na\r\n--b--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(upload_without_file1.status(), 400);
    assert_eq!(
        body_json(upload_without_file1).await["message"],
        "The file must be sent in a part named file1."
    );

    let half_a_crop = raw
        .v2(Method::GET, RESOURCES, "fileuuid=x&cropwidth=10")
        .send()
        .await
        .unwrap();
    assert_eq!(half_a_crop.status(), 400);

    let nowhere = raw.v2(Method::GET, "/webapp/1.0/nothing", "").send().await.unwrap();
    assert_eq!(nowhere.status(), 404);

    let escaped = raw
        .v3(Method::GET, "/api/3.0.0/BnK4JV/resource.limit%280%2C10%29")
        .send()
        .await
        .unwrap();
    assert_eq!(escaped.status(), 400, "the table's punctuation must stay unescaped");

    let bad_json = raw
        .v3(Method::POST, "/api/json")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
}

#[tokio::test]
async fn v3_tables_update_upload_and_query_share_v2_state() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let v3 = client.v3();

    let folders = v3
        .list_folders(
            &Table::folder().order("name", Direction::Ascending),
            &SearchParams::new(),
        )
        .await
        .unwrap()
        .response
        .unwrap();
    let names: Vec<String> = folders.rows.iter().filter_map(|f| f.name.clone()).collect();
    assert_eq!(names, ["Archive", "Brand", "Campaigns", "Summer 2024"]);
    assert_eq!(folders.count.unwrap().get(), Some(4));

    let beach = v3
        .list_resources(&Table::resource(), &SearchParams::new().keywords("beach"))
        .await
        .unwrap()
        .response
        .unwrap();
    assert_eq!(beach.count.unwrap().get(), Some(1));
    let row = &beach.rows[0];
    let id = row.id.clone().unwrap();
    assert_eq!(
        row.folder_path
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect::<Vec<_>>(),
        ["Resources", "Campaigns", "Summer 2024"]
    );

    let update = types::V3ResourceUpdate {
        data: types::V3ResourceData {
            tags: Some(vec!["sea".into()]),
            ama_tags: None,
        },
    };
    v3.update_resource(&id, &update).await.unwrap();
    assert_eq!(sim.tags(&id), Some(vec!["sea".to_string()]));
    let r = sim.requests().pop().unwrap();
    assert_eq!(r.query.as_deref(), Some("verbose=null"));
    assert_eq!(r.json(), json!({"data": {"tags": ["sea"]}}));
    let v2_hits = client.search().searchterm("sea").send().await.unwrap().into_inner();
    assert_eq!(v2_hits.num_found.unwrap().get(), Some(1), "v2 sees the v3 update");

    let path = temp_file("v3", "brief.txt", b"compliance brief");
    let stored = v3
        .upload_file(types::V3UploadTarget::ComplianceReview, FilePart::path(&path).unwrap())
        .await
        .unwrap();
    let hash = stored.response.unwrap().id.unwrap();
    assert_eq!(sim.v3_file(&hash).unwrap().slice(0, 16), b"compliance brief");

    let mut params = serde_json::Map::new();
    params.insert(
        "searchParams".into(),
        json!({"keywords": "logo", "isSearching": "true"}),
    );
    let page: types::V3QueryPage = v3
        .query(types::V3QueryMethod::Get, "resource.limit(1)", params)
        .await
        .unwrap();
    let rows = page.response.unwrap().rows;
    assert_eq!(rows[0]["name"], "Logo");

    let download = v3.download(&id).await.unwrap();
    assert_eq!(download.file_name().as_deref(), Some("beach.jpg"));
    let mut bytes = Vec::new();
    assert_eq!(download.write_to(&mut bytes).await.unwrap(), 245_760);
}

#[tokio::test]
async fn search_sync_and_the_demo_corpus() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let summer = client.search().searchterm("summer").send().await.unwrap().into_inner();
    assert_eq!(summer.num_found.unwrap().get(), Some(3));
    let brand = top_folder(&client, "Brand").await;
    let in_brand = client
        .search()
        .searchterm("*")
        .folderuuid(&brand)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_brand.num_found.unwrap().get(), Some(2));
    let since_tomorrow = client
        .search()
        .searchterm("*")
        .from_date("2999-01-01")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(since_tomorrow.num_found.unwrap().get(), Some(0));

    let logo = in_brand
        .doc
        .unwrap()
        .into_iter()
        .find(|d| d.title.as_deref() == Some("Logo"))
        .and_then(|d| d.uuid)
        .unwrap();
    let entries = [
        types::SyncRequestEntry {
            folders: vec![brand.clone()],
            ..Default::default()
        },
        types::SyncRequestEntry {
            files: vec![
                types::SyncRequestFile {
                    fileuuid: Some("0".repeat(32)),
                    ..Default::default()
                },
                types::SyncRequestFile {
                    fileuuid: Some(logo.clone()),
                    updatedat: Some(serde_json::from_value(json!("2999-01-01 00:00:00")).unwrap()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    ];
    let synced = client.sync(&entries).await.unwrap();
    let folder = &synced.folders.unwrap().folder.unwrap()[0];
    assert_eq!(folder.resource.as_ref().unwrap().len(), 2);
    let files = synced.files.unwrap();
    let status_of = |uuid: &str| {
        files
            .iter()
            .find(|f| f.fileuuid.as_deref() == Some(uuid))
            .and_then(|f| f.status.as_ref())
            .map(|s| s.to_string())
    };
    assert_eq!(status_of(&"0".repeat(32)).as_deref(), Some("deleted"));
    assert_eq!(status_of(&logo), None, "unchanged since the client's copy");
    assert_eq!(
        files
            .iter()
            .filter(|f| f.status.as_ref().map(|s| s.to_string()).as_deref() == Some("newfile"))
            .count(),
        1
    );
}
