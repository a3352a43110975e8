//! Bulk jobs started and awaited in one call, against a loopback server: the exact create body,
//! the polls by GUID, and the typed outcomes (processed, errored, canceled, out of time).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_mediagraph::{Client, Error, PollOptions, RetryPolicy, types};
use serde_json::json;

const GUID: &str = "161379b2-f858-446c-a293-864ee00973b2";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .personal_access_token("tok-1", 42)
        .retry_policy(RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn fast(max_attempts: u32) -> PollOptions {
    PollOptions {
        interval: Duration::from_millis(1),
        timeout: Duration::from_secs(30),
        max_attempts,
    }
}

fn job(state: &str) -> serde_json::Value {
    json!({"guid": GUID, "aasm_state": state, "progress": null, "action": "Bulk Asset Edit: Tags", "total_assets": 2})
}

/// Answers the create call with a pending job and the polls with `states`, one per poll (the last
/// one repeats).
fn server_with(states: Vec<serde_json::Value>) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    let polls = Arc::new(AtomicUsize::new(0));
    move |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/api/bulk_jobs") => Reply::json(200, job("pending")),
        ("GET", p) if p == format!("/api/bulk_jobs/{GUID}") => {
            let n = polls.fetch_add(1, Ordering::SeqCst).min(states.len() - 1);
            Reply::json(200, states[n].clone())
        }
        _ => Reply::json(404, json!({"error": "not_found"})),
    }
}

fn tags_job() -> types::builder::NewBulkJob {
    types::NewBulkJob::builder()
        .asset_ids(vec![101, 102])
        .tag_names(vec!["sunset".to_string()])
        .tag_mode(types::TagMode::Add)
}

#[tokio::test]
async fn run_bulk_job_posts_the_job_and_polls_its_guid_until_processed() {
    let server = MockServer::start(server_with(vec![
        job("processing"),
        json!({"bulk_job": {"guid": GUID, "aasm_state": "processed", "progress": 100.0, "total_assets": 2}}),
    ]))
    .await;
    let done = client(&server).run_bulk_job(tags_job(), fast(10)).await.unwrap();
    assert_eq!(
        done.aasm_state,
        Some(types::BulkJobState::Processed),
        "the wrapped answer is read"
    );
    assert_eq!(done.progress.as_ref().and_then(|p| p.get()), Some(100.0));

    let requests = server.requests();
    let seen: Vec<_> = requests.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    let poll = format!("/api/bulk_jobs/{GUID}");
    assert_eq!(
        seen,
        [
            ("POST", "/api/bulk_jobs"),
            ("GET", poll.as_str()),
            ("GET", poll.as_str())
        ]
    );
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert_eq!(
        requests[0].text(),
        r#"{"bulk_job":{"asset_ids":[101,102],"tag_mode":"add","tag_names":["sunset"]}}"#,
        "the job nests under `bulk_job` and sends only what was set"
    );
    assert!(requests[1..].iter().all(|r| r.query.is_none() && r.body.is_empty()));
}

#[tokio::test]
async fn an_errored_or_canceled_job_is_job_failed() {
    let server = MockServer::start(server_with(vec![
        json!({"guid": GUID, "aasm_state": "errored", "error_message": "Rights package not found"}),
    ]))
    .await;
    let err = client(&server).run_bulk_job(tags_job(), fast(10)).await.unwrap_err();
    match &err {
        Error::JobFailed(m) => assert_eq!(m, &format!("bulk job {GUID} errored: Rights package not found")),
        other => panic!("{other:?}"),
    }

    let server = MockServer::start(server_with(vec![json!({"guid": GUID, "aasm_state": "canceled"})])).await;
    let err = client(&server).wait_for_bulk_job(GUID, fast(10)).await.unwrap_err();
    assert!(
        matches!(&err, Error::JobFailed(m) if m.ends_with("was canceled")),
        "{err:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "wait_for_bulk_job reads the job once, then stops"
    );
}

#[tokio::test]
async fn a_job_that_stays_pending_is_a_timeout_after_the_allowed_polls() {
    let server = MockServer::start(server_with(vec![job("pending")])).await;
    let err = client(&server).run_bulk_job(tags_job(), fast(3)).await.unwrap_err();
    assert!(
        matches!(&err, Error::Timeout(m) if m.starts_with(&format!("bulk job {GUID} is not done after 3 polls"))),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 4, "one create and three polls");
}

#[tokio::test]
async fn a_job_without_asset_ids_or_guid_fails_typed() {
    let server = MockServer::start(|_| Reply::json(200, json!({"aasm_state": "pending"}))).await;
    let incomplete = types::NewBulkJob::builder().tag_names(vec!["x".to_string()]);
    let err = client(&server).run_bulk_job(incomplete, fast(3)).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("asset_ids")),
        "{err:?}"
    );
    assert!(server.requests().is_empty(), "nothing is sent");

    let err = client(&server).run_bulk_job(tags_job(), fast(3)).await.unwrap_err();
    assert!(matches!(&err, Error::Decode { path, .. } if path == "guid"), "{err:?}");
    assert_eq!(server.requests().len(), 1, "no poll without a guid");
}
