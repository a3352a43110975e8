//! The v3 Graph API against loopback servers, one for v2 (login) and one for v3, pinning the wire:
//! the table segment's raw path, the form-encoded search parameters, the `sid` header (and no
//! `_aid` cookie, `p10` or `p20`), `productkey=`, paging over `{"response": {"count", "rows"}}`,
//! the update body, the streamed download, the multipart upload, the POST query body, and the
//! single re-login after a 401 on v3.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dam_test_server::{MockServer, Recorded, Reply};
use futures_util::{StreamExt, TryStreamExt};
use sdk_intelligencebank::runtime::ClientState;
use sdk_intelligencebank::v3::{Direction, SearchParams, Table};
use sdk_intelligencebank::{Client, Error, FilePart, PROVIDER, RetryPolicy, Session, types};
use serde_json::json;

const APIKEY: &str = "4a0658df9084f078d0cbc506e0f29b57";
const USERUUID: &str = "4717c0b468e7a1d00872f56c81164ec1";
const SID: &str = "eef24c07ebd40fafbb6ab216aa0d1ade";
const CLIENT_ID: &str = "BnK4JV";
const LOGIN: &str = "/webapp/1.0/login";
const RESOURCES: &str = "/webapp/1.0/resources";
const FOLDER: &str = "0b05125e264d902a302a50fa07bcbe6a";
const RESOURCE: &str = "e9608e402a607816531e3de298af5b13";

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

/// A client on an existing session whose v3 host is `v3`.
fn session_client(v2: &MockServer, v3: &MockServer, product_key: Option<&str>) -> Client {
    let mut session = Session::new(v2.url(), APIKEY, USERUUID, SID).with_v3(v3.url(), CLIENT_ID);
    if let Some(key) = product_key {
        session = session.with_product_key(key);
    }
    Client::from_session(session).unwrap()
}

/// A login answer whose session id is `sid-<n>` (`n` counting logins) and whose v3 host is `v3`.
fn numbered_login(logins: &AtomicUsize, v3: &str) -> Reply {
    let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
    Reply::json(
        200,
        json!({"apikey": APIKEY, "useruuid": USERUUID, "sid": format!("sid-{n}"), "logintimeoutperiod": 120,
               "clientid": CLIENT_ID, "apiV3url": format!("{v3}/")}),
    )
}

/// A v2 server that answers logins (counted in `logins`) and every other call with `{}`.
async fn v2_server(logins: Arc<AtomicUsize>, v3: String) -> MockServer {
    MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&logins, &v3),
        _ => Reply::json(200, json!({})),
    })
    .await
}

fn logging_in(v2: &MockServer) -> sdk_intelligencebank::ClientBuilder {
    Client::builder()
        .platform("test.intelligencebank.com")
        .api_base_url(v2.url())
        .credentials("joe.blow@test.com", "mypassword")
        .retry_policy(fast())
}

fn resource_row(id: &str) -> serde_json::Value {
    json!({"_id": id, "name": format!("file {id}"), "folder": FOLDER, "createTime": "2020-01-08T15:15:02Z",
           "file": {"type": "image/png", "name": "4.png", "size": "4236"}, "tags": ["silhouette"]})
}

fn one_page() -> Reply {
    Reply::json(
        200,
        json!({"response": {"count": 153, "offset": 0, "rows": [resource_row(RESOURCE)]}}),
    )
}

/// Asserts that a v3 request carries the session id in `sid` and no v2 credentials.
fn assert_v3_credentials(r: &Recorded, sid: &str) {
    assert_eq!(r.header("sid"), Some(sid), "{r:?}");
    assert_eq!(r.header("cookie"), None, "{r:?}");
    let query = r.query.as_deref().unwrap_or("");
    for v2 in ["p10=", "p20=", "p60="] {
        assert!(!query.contains(v2), "{v2} on a v3 call: {query}");
    }
}

#[tokio::test]
async fn a_listing_sends_the_table_segment_unescaped_with_the_sid_header_only() {
    let v3 = MockServer::start(|_| one_page()).await;
    let logins = Arc::new(AtomicUsize::new(0));
    let v2 = v2_server(logins.clone(), v3.url()).await;
    let client = logging_in(&v2).build().await.unwrap();

    let table = Table::resource()
        .limit(0, 100)
        .order("createTime", Direction::Descending);
    let search = SearchParams::new().folder(FOLDER).verbose(true);
    let page = client.v3().list_resources(&table, &search).await.unwrap();

    let rows = page.response.unwrap();
    assert_eq!(rows.count.unwrap().get(), Some(153));
    let row = &rows.rows[0];
    assert_eq!(row.id.as_deref(), Some(RESOURCE));
    assert_eq!(row.file.as_ref().unwrap().size.as_ref().unwrap().get(), Some(4236));
    assert_eq!(row.tags, ["silhouette"]);

    let requests = v3.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "GET");
    // The raw path as received: `(`, `)`, `,` and `:` arrive literally.
    assert_eq!(r.path, "/api/3.0.0/BnK4JV/resource.limit(0,100).order(createTime:-1)");
    assert_eq!(
        r.query.as_deref(),
        Some("searchParams%5BfolderId%5D=0b05125e264d902a302a50fa07bcbe6a&verbose=true")
    );
    assert_v3_credentials(r, "sid-1");
    // The v2 calls of the same client still carry the v2 credentials and no `sid` header.
    client.get_root_folder().send().await.unwrap();
    let v2_call = &v2.requests_to(RESOURCES)[0];
    assert_eq!(v2_call.header("sid"), None);
    assert_eq!(
        v2_call.header("cookie"),
        Some(format!("_aid={APIKEY}_sid-1_default").as_str())
    );
    assert_eq!(logins.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn search_params_travel_form_encoded_and_the_product_key_as_productkey() {
    let v3 = MockServer::start(|_| Reply::json(200, json!({"response": {"count": "0", "rows": []}}))).await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = session_client(&v2, &v3, Some("KEYVALUE"));

    let table = Table::folder().first(100).order("createTime", Direction::Ascending);
    let search = SearchParams::new()
        .parent("02b0623f66b2c165ad4a86d1a1c1539c")
        .keywords("annual report");
    let page = client.v3().list_folders(&table, &search).await.unwrap();
    assert!(page.response.unwrap().rows.is_empty());

    let r = &v3.requests()[0];
    assert_eq!(r.path, "/api/3.0.0/BnK4JV/folder.limit(100).order(createTime)");
    assert_eq!(
        r.query.as_deref(),
        Some(
            "searchParams%5BparentId%5D=02b0623f66b2c165ad4a86d1a1c1539c\
             &searchParams%5BisSearching%5D=true&searchParams%5Bkeywords%5D=annual+report\
             &productkey=KEYVALUE"
        )
    );
    assert_eq!(
        r.query_param("searchParams[keywords]").as_deref(),
        Some("annual report")
    );
    assert_v3_credentials(r, SID);
    // v2 keeps `p60` and the cookie's product key.
    client.get_root_folder().send().await.unwrap();
    let v2_call = &v2.requests()[0];
    assert_eq!(
        v2_call.query.as_deref(),
        Some(format!("p10={APIKEY}&p20={USERUUID}&p60=KEYVALUE").as_str())
    );
    assert_eq!(v2_call.query_param("productkey"), None);
}

/// `(offset, limit)` of a `…/resource.limit(o,n)…` path.
fn window(path: &str) -> (usize, usize) {
    let args = path.split(".limit(").nth(1).and_then(|s| s.split(')').next()).unwrap();
    let (o, n) = args.split_once(',').unwrap();
    (o.parse().unwrap(), n.parse().unwrap())
}

#[tokio::test]
async fn paging_walks_limit_windows_until_count_or_a_short_page() {
    // Five resources and four folders.
    let v3 = MockServer::start(|r| {
        let (offset, limit) = window(&r.path);
        let (total, row): (usize, fn(usize) -> serde_json::Value) = if r.path.contains("/resource.") {
            (5, |i| resource_row(&format!("r{i}")))
        } else {
            (4, |i| json!({"_id": format!("f{i}"), "name": format!("folder {i}")}))
        };
        let rows: Vec<_> = (offset..total.min(offset + limit)).map(row).collect();
        Reply::json(
            200,
            json!({"response": {"count": total, "offset": offset, "rows": rows}}),
        )
    })
    .await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = session_client(&v2, &v3, None);
    let two = NonZeroU64::new(2).unwrap();

    let newest = Table::resource().order("lastUpdateTime", Direction::Descending);
    let resources: Vec<types::V3Resource> = client
        .v3()
        .resources(newest, SearchParams::new().keywords("x"), two)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = resources.iter().map(|r| r.id.clone().unwrap()).collect();
    assert_eq!(ids, ["r0", "r1", "r2", "r3", "r4"]);
    let paths: Vec<_> = v3.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/api/3.0.0/BnK4JV/resource.limit(0,2).order(lastUpdateTime:-1)",
            "/api/3.0.0/BnK4JV/resource.limit(2,2).order(lastUpdateTime:-1)",
            // A short page (one row) ends the stream.
            "/api/3.0.0/BnK4JV/resource.limit(4,2).order(lastUpdateTime:-1)",
        ]
    );
    assert!(
        v3.requests()
            .iter()
            .all(|r| r.query_param("searchParams[keywords]").as_deref() == Some("x"))
    );

    v3.clear_requests();
    let folders: Vec<types::V3Folder> = client
        .v3()
        .folders(Table::folder(), SearchParams::new().parent(FOLDER), two)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(folders.len(), 4);
    // Two full pages reach `count`: no third request for an empty page.
    let paths: Vec<_> = v3.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/api/3.0.0/BnK4JV/folder.limit(0,2)",
            "/api/3.0.0/BnK4JV/folder.limit(2,2)"
        ]
    );
}

#[tokio::test]
async fn a_paging_error_ends_the_stream_with_that_error() {
    let v3 = MockServer::start(|r| {
        if window(&r.path).0 == 0 {
            Reply::json(
                200,
                json!({"response": {"count": 9, "rows": [resource_row("a"), resource_row("b")]}}),
            )
        } else {
            Reply::json(404, json!({"message": "no such table"}))
        }
    })
    .await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = session_client(&v2, &v3, None);
    let results: Vec<_> = client
        .v3()
        .resources(Table::resource(), SearchParams::new(), NonZeroU64::new(2).unwrap())
        .collect::<Vec<_>>()
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(matches!(&results[2], Err(Error::Api { status, .. }) if status.as_u16() == 404));
}

#[tokio::test]
async fn an_update_puts_the_data_object_with_its_tags() {
    let v3 = MockServer::start(|_| Reply::status(200)).await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = session_client(&v2, &v3, Some("PK"));
    let update = types::V3ResourceUpdate {
        data: types::V3ResourceData {
            tags: Some(vec!["beach".into(), "summer".into()]),
            ama_tags: None,
        },
    };
    // An empty 200 answer is an empty map.
    let answer = client.v3().update_resource(RESOURCE, &update).await.unwrap();
    assert!(answer.is_empty());

    let r = &v3.requests()[0];
    assert_eq!(r.method, "PUT");
    assert_eq!(r.path, format!("/api/3.0.0/BnK4JV/resource/{RESOURCE}"));
    assert_eq!(r.query.as_deref(), Some("verbose=null&productkey=PK"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), r#"{"data":{"tags":["beach","summer"]}}"#);
    assert_v3_credentials(r, SID);

    // An empty list is sent (it removes every tag); an answer body is kept as it is.
    let v3 = MockServer::start(|_| Reply::json(200, json!({"response": {"_id": RESOURCE}}))).await;
    let client = session_client(&v2, &v3, None);
    let clear = types::V3ResourceUpdate {
        data: types::V3ResourceData {
            tags: Some(vec![]),
            ama_tags: Some(json!(["ai"])),
        },
    };
    let answer = client.v3().update_resource(RESOURCE, &clear).await.unwrap();
    assert_eq!(answer["response"]["_id"], RESOURCE);
    assert_eq!(v3.requests()[0].text(), r#"{"data":{"amaTags":["ai"],"tags":[]}}"#);
    assert!(matches!(
        client.v3().update_resource(" ", &clear).await,
        Err(Error::InvalidInput(_))
    ));
}

#[tokio::test]
async fn a_download_streams_the_file_and_names_it() {
    const LEN: u64 = 3 * 1024 * 1024;
    let v3 = MockServer::start(|_| {
        Reply::stream(200, LEN, || {
            futures_util::stream::iter((0..3).map(|i| bytes::Bytes::from(vec![b'a' + i as u8; 1024 * 1024]))).boxed()
        })
        .header("content-disposition", r#"attachment; filename="4.png""#)
    })
    .await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = session_client(&v2, &v3, None);

    let download = client.v3().download(RESOURCE).await.unwrap();
    assert_eq!(download.file_name().as_deref(), Some("4.png"));
    assert_eq!(download.content_length(), Some(LEN));
    let mut out = Vec::new();
    assert_eq!(download.write_to(&mut out).await.unwrap(), LEN);
    assert_eq!(out.len() as u64, LEN);
    assert!(out[..1024 * 1024].iter().all(|&b| b == b'a') && out[2 * 1024 * 1024..].iter().all(|&b| b == b'c'));

    let r = &v3.requests()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, format!("/api/3.0.0/BnK4JV/resource/{RESOURCE}"));
    assert_eq!(r.query.as_deref(), Some("action=download"));
    assert_v3_credentials(r, SID);

    let path = std::env::temp_dir().join(format!("sdk-ib-v3-download-{}.png", std::process::id()));
    assert_eq!(client.v3().download_to_file(RESOURCE, &path).await.unwrap(), LEN);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), LEN);
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn a_refused_download_is_an_api_error() {
    let v3 = MockServer::start(|_| Reply::json(404, json!({"message": "Resource not found"}))).await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = session_client(&v2, &v3, None);
    let err = client.v3().download(RESOURCE).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, .. } if status.as_u16() == 404),
        "{err:?}"
    );
    assert_eq!(err.message(), Some("Resource not found"));
}

fn boundary(r: &Recorded) -> String {
    r.header("content-type")
        .and_then(|v| v.strip_prefix("multipart/form-data; boundary="))
        .unwrap_or_else(|| panic!("not multipart: {r:?}"))
        .to_string()
}

fn temp_file(test: &str, name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sdk-ib-v3-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[tokio::test]
async fn an_upload_sends_one_multipart_part_named_file() {
    let v3 = MockServer::start(|_| {
        Reply::json(
            200,
            json!({"response": {"_id": "0cb5ac37ba0e3532d0ed48e8ae261797", "error": 0}}),
        )
    })
    .await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = session_client(&v2, &v3, Some("PK"));
    let path = temp_file("upload", "brief.txt", b"one\ntwo\n");

    let answer = client
        .v3()
        .upload_file(types::V3UploadTarget::ComplianceReview, FilePart::path(&path).unwrap())
        .await
        .unwrap();
    let stored = answer.response.unwrap();
    assert_eq!(stored.id.as_deref(), Some("0cb5ac37ba0e3532d0ed48e8ae261797"));
    assert_eq!(stored.error.unwrap().get(), Some(0));

    let r = &v3.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/api/3.0.0/BnK4JV/file");
    assert_eq!(r.query.as_deref(), Some("target=complianceReview&productkey=PK"));
    assert_v3_credentials(r, SID);
    let b = boundary(r);
    let expected = format!(
        "--{b}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"brief.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n\
         one\ntwo\n\r\n\
         --{b}--\r\n"
    );
    assert_eq!(r.text(), expected);
    assert_eq!(r.header("content-length"), Some(expected.len().to_string().as_str()));
}

#[tokio::test]
async fn an_upload_refused_with_401_is_sent_once_more_after_a_new_login() {
    let v3 = MockServer::start(|r| match r.header("sid") {
        Some("sid-1") => Reply::json(401, json!({"message": "Session expired"})),
        _ => Reply::json(200, json!({"response": {"_id": "h", "error": 0}})),
    })
    .await;
    let logins = Arc::new(AtomicUsize::new(0));
    let v2 = v2_server(logins.clone(), v3.url()).await;
    let client = logging_in(&v2).build().await.unwrap();
    let path = temp_file("upload-401", "a.txt", b"abc");
    client
        .v3()
        .upload_file("complianceReview".into(), FilePart::path(&path).unwrap())
        .await
        .unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    let sent: Vec<_> = v3
        .requests()
        .iter()
        .map(|r| (r.header("sid").unwrap().to_string(), r.text().contains("abc")))
        .collect();
    assert_eq!(sent, [("sid-1".to_string(), true), ("sid-2".to_string(), true)]);
}

#[tokio::test]
async fn a_post_query_sends_the_documented_body_to_api_json() {
    let v3 = MockServer::start(|_| {
        Reply::json(
            200,
            json!({"response": {"count": 1, "offset": 0, "rows": [{"_id": RESOURCE, "name": "logo"}]}}),
        )
    })
    .await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = session_client(&v2, &v3, Some("PK"));

    let params = SearchParams::new().keywords("logo").to_query_params();
    let page: types::V3QueryPage = client
        .v3()
        .query(types::V3QueryMethod::Get, Table::resource().first(1), params)
        .await
        .unwrap();
    let rows = page.response.unwrap().rows;
    assert_eq!(rows[0]["name"], "logo");

    let r = &v3.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/api/json");
    assert_eq!(r.query.as_deref(), Some("productkey=PK"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.text(),
        r#"{"client":"BnK4JV","method":"GET","query_params":{"searchParams":{"isSearching":"true","keywords":"logo"}},"table":"resource.limit(1)","version":"3.0.0"}"#
    );
    assert_v3_credentials(r, SID);

    // The same answer as a typed resource page; any table text goes.
    let typed: types::V3ResourcePage = client
        .v3()
        .query(
            types::V3QueryMethod::Get,
            "resource.limit(1).fields()",
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(typed.response.unwrap().rows[0].id.as_deref(), Some(RESOURCE));
    assert_eq!(v3.requests()[1].json()["table"], "resource.limit(1).fields()");
}

#[tokio::test]
async fn a_get_query_is_retried_on_503_and_other_methods_are_not() {
    let v3 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let v2 = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = Client::builder()
        .session(Session::new(v2.url(), APIKEY, USERUUID, SID).with_v3(v3.url(), CLIENT_ID))
        .retry_policy(fast())
        .build()
        .await
        .unwrap();
    v3.inject(dam_test_server::Fault::status(503).times(1));
    let _: serde_json::Value = client
        .v3()
        .query(types::V3QueryMethod::Get, Table::resource(), Default::default())
        .await
        .unwrap();
    assert_eq!(v3.requests().len(), 2);

    v3.clear_requests();
    v3.inject(dam_test_server::Fault::status(503).times(1));
    let err = client
        .v3()
        .query::<serde_json::Value>(types::V3QueryMethod::Post, Table::resource(), Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(v3.requests().len(), 1);
}

#[tokio::test]
async fn a_401_on_v3_logs_in_once_and_retries_with_the_new_sid() {
    let v3 = MockServer::start(|r| match r.header("sid") {
        Some("sid-1") => Reply::json(401, json!({"message": "Session expired"})),
        _ => one_page(),
    })
    .await;
    let logins = Arc::new(AtomicUsize::new(0));
    let v2 = v2_server(logins.clone(), v3.url()).await;
    let client = logging_in(&v2).build().await.unwrap();

    let page = client
        .v3()
        .list_resources(&Table::resource().first(1), &SearchParams::new())
        .await
        .unwrap();
    assert_eq!(page.response.unwrap().rows.len(), 1);
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    let sids: Vec<_> = v3
        .requests()
        .iter()
        .map(|r| r.header("sid").unwrap().to_string())
        .collect();
    assert_eq!(sids, ["sid-1", "sid-2"]);
    for r in v3.requests() {
        assert_eq!(r.path, "/api/3.0.0/BnK4JV/resource.limit(1)");
        assert_v3_credentials(&r, r.header("sid").unwrap());
    }
    // The renewed session serves v2 too, without another login.
    client.get_root_folder().send().await.unwrap();
    assert_eq!(
        v2.requests_to(RESOURCES)[0].header("cookie"),
        Some(format!("_aid={APIKEY}_sid-2_default").as_str())
    );
    assert_eq!(logins.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_401s_on_v3_cause_one_login() {
    let v3 = MockServer::start(|r| match r.header("sid") {
        Some("sid-1") => Reply::json(401, json!({"message": "expired"})).delay(Duration::from_millis(20)),
        _ => one_page(),
    })
    .await;
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let v3_url = v3.url();
    let v2 = MockServer::start(move |r| match r.path.as_str() {
        LOGIN => numbered_login(&l, &v3_url).delay(Duration::from_millis(50)),
        _ => Reply::json(200, json!({})),
    })
    .await;
    // No call limit: all 16 calls must be under way with the first session at once.
    let client = logging_in(&v2).rate_limit(None).build().await.unwrap();
    let table = Table::resource().first(1);
    let search = SearchParams::new();
    let calls = (0..16).map(|_| client.v3().list_resources(&table, &search));
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    let requests = v3.requests();
    assert_eq!(requests.len(), 32);
    let renewed = requests.iter().filter(|r| r.header("sid") == Some("sid-2")).count();
    assert_eq!(renewed, 16);
}

#[tokio::test]
async fn a_session_without_a_v3_host_cannot_call_v3_and_sends_nothing() {
    let v3 = MockServer::start(|_| one_page()).await;
    let v2 = MockServer::start(|r| match r.path.as_str() {
        LOGIN => Reply::json(200, json!({"apikey": APIKEY, "useruuid": USERUUID, "sid": SID})),
        _ => Reply::json(200, json!({})),
    })
    .await;
    let client = logging_in(&v2).build().await.unwrap();
    let err = client
        .v3()
        .list_resources(&Table::resource(), &SearchParams::new())
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Auth(m) if m.contains("apiV3url")), "{err:?}");
    assert!(v3.requests().is_empty());

    // A table name that would need escaping is refused before anything is sent.
    let client = session_client(&v2, &v3, None);
    let err = client
        .v3()
        .list_resources(&Table::new("resource/../user"), &SearchParams::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert!(v3.requests().is_empty());

    // A generated client without a session has no v3.
    let bare = Client::new_with_client(
        &v2.url(),
        reqwest::Client::new(),
        ClientState::unauthenticated(&PROVIDER),
    );
    assert!(matches!(bare.v3().root().await, Err(Error::InvalidInput(_))));
}

#[tokio::test]
async fn the_login_answer_gives_the_v3_root_and_the_session_keeps_it() {
    let v3 = MockServer::start(|_| one_page()).await;
    let logins = Arc::new(AtomicUsize::new(0));
    let v2 = v2_server(logins, v3.url()).await;
    let (client, auth) = logging_in(&v2).build_with_auth().await.unwrap();
    let root = client.v3().root().await.unwrap();
    assert_eq!(root.as_str(), format!("{}/api/3.0.0/BnK4JV", v3.url()));
    let session = auth.session().await.unwrap();
    assert_eq!(session.v3_base_url.as_deref(), Some(v3.url().as_str()));
    assert_eq!(session.client_id.as_deref(), Some(CLIENT_ID));
    assert!(session.is_v3_url(&root));
    assert!(!session.is_v3_url(&reqwest::Url::parse(&format!("{}{RESOURCES}", v2.url())).unwrap()));
    // Asking for the root sends nothing.
    assert!(v3.requests().is_empty());
    // The sid header is a sensitive value: a request's Debug output does not show it.
    let mut request = reqwest::Request::new(reqwest::Method::GET, root);
    session.apply_v3(&mut request).unwrap();
    assert!(request.headers()["sid"].is_sensitive());
}
