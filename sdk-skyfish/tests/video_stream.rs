//! Video stream URLs: `GET /media/{id}/metadata/stream_url` answers 404 until the stream is ready;
//! the SDK polls through the 404s, asks for a stream when there is none, and stops on a timeout or
//! any other error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_skyfish::{Client, Error, PollOptions, RetryPolicy};
use serde_json::json;

const PLAYLIST: &str = "https://stream.example/media/42/playlist.m3u8";

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

fn quick(max_attempts: u32) -> PollOptions {
    PollOptions {
        interval: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
        max_attempts,
    }
}

/// A server whose stream URL answers 404 for the first `pending` GETs (counted from the first
/// `POST /media/42/stream` when `needs_request`), then the playlist.
async fn stream_server(pending: usize, needs_request: bool) -> MockServer {
    let gets = Arc::new(AtomicUsize::new(0));
    let requested = Arc::new(AtomicUsize::new(0));
    MockServer::start(move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/media/42/stream") => {
            requested.fetch_add(1, Ordering::SeqCst);
            Reply::json(200, json!({"Status": "Created"}))
        }
        ("GET", "/media/42/metadata/stream_url") => {
            if needs_request && requested.load(Ordering::SeqCst) == 0 {
                return Reply::json(404, json!({"message": "No stream"}));
            }
            if gets.fetch_add(1, Ordering::SeqCst) < pending {
                Reply::json(404, json!({"message": "Stream not ready"}))
            } else {
                Reply::json(200, json!({"Stream": PLAYLIST}))
            }
        }
        _ => Reply::json(404, json!({"message": "no such route"})),
    })
    .await
}

fn calls(server: &MockServer) -> Vec<(String, String)> {
    server.requests().into_iter().map(|r| (r.method, r.path)).collect()
}

#[tokio::test]
async fn the_stream_url_is_polled_through_404_until_ready() {
    let server = stream_server(2, false).await;
    let url = client(&server).wait_for_stream_url(42, quick(10)).await.unwrap();
    assert_eq!(url, PLAYLIST);
    let get = ("GET".to_string(), "/media/42/metadata/stream_url".to_string());
    assert_eq!(calls(&server), [get.clone(), get.clone(), get]);
    for r in server.requests() {
        assert_eq!(r.header("authorization"), Some("CBX-SIMPLE-TOKEN Token=tkn"));
    }
}

#[tokio::test]
async fn a_missing_stream_is_requested_once_then_awaited() {
    let server = stream_server(1, true).await;
    let url = client(&server).video_stream_url(42, quick(10)).await.unwrap();
    assert_eq!(url, PLAYLIST);
    let get = ("GET".to_string(), "/media/42/metadata/stream_url".to_string());
    let post = ("POST".to_string(), "/media/42/stream".to_string());
    assert_eq!(calls(&server), [get.clone(), post, get.clone(), get]);
    assert_eq!(
        server.requests_to("/media/42/stream")[0].header("content-length"),
        Some("0")
    );

    // A ready stream is returned after one call, without asking for another.
    let server = stream_server(0, false).await;
    assert_eq!(client(&server).video_stream_url(42, quick(10)).await.unwrap(), PLAYLIST);
    assert_eq!(calls(&server).len(), 1);
}

#[tokio::test]
async fn polling_ends_with_a_timeout_or_the_first_other_error() {
    let server = stream_server(usize::MAX, false).await;
    let err = client(&server).wait_for_stream_url(42, quick(3)).await.unwrap_err();
    assert!(
        matches!(&err, Error::Timeout(m) if m.contains("video stream of media 42")),
        "{err:?}"
    );
    assert_eq!(calls(&server).len(), 3);

    let server = MockServer::start(|_| Reply::json(403, json!({"message": "No access"}))).await;
    let err = client(&server).wait_for_stream_url(42, quick(10)).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, .. } if status.as_u16() == 403),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);

    let server = MockServer::start(|_| Reply::json(200, json!({"Status": "Created"}))).await;
    let err = client(&server).wait_for_stream_url(42, quick(10)).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Decode {
                operation: "get_media_stream_url",
                ..
            }
        ),
        "{err:?}"
    );
}
