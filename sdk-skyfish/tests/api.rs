//! Generated operations on the wire: `+`-joined list parameters, typed errors with the
//! `X-Cbx-Request-Id`, malformed and truncated bodies, and ids as numbers or strings.

use std::time::Duration;

use dam_test_server::{MockServer, Reply};
use sdk_skyfish::types::{MediaKind, MediaType, ReturnValue, SearchLanguage};
use sdk_skyfish::{Client, Error, RetryPolicy};
use serde_json::json;

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

#[tokio::test]
async fn joined_lists_travel_with_a_literal_plus() {
    let server = MockServer::start(|_| Reply::json(200, json!({"response": {"hits": 0, "media": []}}))).await;
    let client = client(&server);
    client
        .search_media()
        .q("cat -dog")
        .return_values(vec![
            ReturnValue::UniqueMediaId,
            ReturnValue::Title,
            ReturnValue::ThumbnailUrl,
        ])
        .media_type(vec![MediaType::Image, MediaType::Video])
        .folder_ids(vec!["12".to_string(), "34".to_string()])
        .unique_media_id(vec!["5".to_string(), "6".to_string()])
        .send()
        .await
        .unwrap();
    client
        .search_colourbox_downloads()
        .return_values(vec![ReturnValue::Keywords, ReturnValue::Height])
        .media_type(vec![MediaType::Vector])
        .lang(SearchLanguage::Da)
        .send()
        .await
        .unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].path, "/search");
    assert_eq!(
        requests[0].query.as_deref(),
        Some(
            "folder_ids=12+34&media_type=image+video&q=cat+-dog\
             &return_values=unique_media_id+title+thumbnail_url&unique_media_id=5+6"
        )
    );
    assert_eq!(requests[1].path, "/search/colourbox/download");
    assert_eq!(
        requests[1].query.as_deref(),
        Some("lang=da&media_type=vector&return_values=keywords+height")
    );
    for r in &requests {
        assert!(!r.query.as_deref().unwrap().contains("%2B"), "{:?}", r.query);
        assert_eq!(r.header("authorization"), Some("CBX-SIMPLE-TOKEN Token=tkn"));
    }
}

#[test]
fn joined_lists_parse_and_print_with_plus() {
    let list: sdk_skyfish::types::ReturnValueList = "unique_media_id+title".parse().unwrap();
    assert_eq!(list.0, [ReturnValue::UniqueMediaId, ReturnValue::Title]);
    assert_eq!(list.to_string(), "unique_media_id+title");
}

#[tokio::test]
async fn error_answers_carry_status_message_and_request_id() {
    let server = MockServer::start(|_| {
        Reply::json(404, json!({"message": "Media not found"})).header("X-Cbx-Request-Id", "532c00918bfba")
    })
    .await;
    let err: Error = client(&server).get_media().id(90909090).send().await.unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(err.status().unwrap().as_u16(), 404);
    assert_eq!(err.request_id(), Some("532c00918bfba"));
    assert_eq!(api.body.message.as_deref(), Some("Media not found"));
    assert_eq!(
        err.to_string(),
        "skyfish answered 404 Not Found: Media not found (request id 532c00918bfba)"
    );
}

#[tokio::test]
async fn non_json_error_bodies_are_kept_raw() {
    let server = MockServer::start(|_| {
        Reply::text(500, "<html>Internal error</html>")
            .header("x-cbx-request-id", "r-500")
            .header("x-cbx-host-ip", "10.74.132.253")
    })
    .await;
    let err: Error = client(&server).list_folders().send().await.unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(err.status().unwrap().as_u16(), 500);
    assert_eq!(err.request_id(), Some("r-500"));
    assert_eq!(api.body.raw, json!("<html>Internal error</html>"));
    assert_eq!(err.message(), Some("<html>Internal error</html>"));
    assert_eq!(
        api.headers.get("x-cbx-host-ip").and_then(|v| v.to_str().ok()),
        Some("10.74.132.253")
    );

    let server = MockServer::start(|_| Reply::status(400).header("x-cbx-request-id", "r-400")).await;
    let err: Error = client(&server).list_folders().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(err.request_id(), Some("r-400"));
}

#[tokio::test]
async fn malformed_and_truncated_bodies_are_errors_not_panics() {
    let server = MockServer::start(|_| Reply::json(200, json!({})).body(b"{\"id\": 1, \"type\": \"St".to_vec())).await;
    let err: Error = client(&server).get_media().id(1).send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    let body = br#"{"response": {"hits": 3, "media": [{"title": "a"}, {"title": "b"}]}}"#.to_vec();
    let server = MockServer::start(move |_| Reply::json(200, json!({})).body(body.clone()).cut_after(20)).await;
    let err: Error = client(&server)
        .search_media()
        .return_values(vec![ReturnValue::Title])
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_) | Error::Decode { .. }), "{err:?}");

    // A body of the wrong JSON type.
    let server = MockServer::start(|_| Reply::json(200, json!({"folders": []}))).await;
    let err: Error = client(&server).list_folders().send().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn ids_decode_as_numbers_and_as_strings() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/media/1" => Reply::json(200, json!({"id": 90909090, "type": "Stock", "uploaded_by": "42"})),
        "/media/2" => Reply::json(200, json!({"id": "90909090", "type": "video", "uploaded_by": 42})),
        _ => Reply::json(
            200,
            json!([{"id": 7, "name": "A", "parent": null}, {"id": "8", "name": "B", "parent": "7"}]),
        ),
    })
    .await;
    let client = client(&server);
    let a = client.get_media().id(1).send().await.unwrap().into_inner();
    let b = client.get_media().id("2").send().await.unwrap().into_inner();
    assert_eq!(a.id.as_ref().unwrap().as_str(), "90909090");
    assert_eq!(b.id.as_ref().unwrap().as_str(), "90909090");
    assert_eq!(a.uploaded_by.as_ref().unwrap().as_str(), "42");
    assert_eq!(b.uploaded_by.as_ref().unwrap().as_str(), "42");
    assert_eq!(a.type_, Some(MediaKind::StockCapitalised));
    assert_eq!(b.type_, Some(MediaKind::Video));
    let folders = client.list_folders().send().await.unwrap().into_inner();
    let ids: Vec<_> = folders.iter().map(|f| f.id.as_ref().unwrap().to_string()).collect();
    assert_eq!(ids, ["7", "8"]);
    assert_eq!(folders[1].parent.as_ref().unwrap().as_str(), "7");
}

#[tokio::test]
async fn gets_are_retried_on_503_and_posts_are_not() {
    let server = MockServer::start(|_| Reply::status(503)).await;
    let client = client(&server);
    let err: Error = client.list_folders().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 3, "GET: max_attempts = 3");

    let server = MockServer::start(|_| Reply::status(503)).await;
    let body = sdk_skyfish::types::FolderInput {
        name: "New".into(),
        parent: None,
        company_id: None,
    };
    let err: Error = self::client(&server)
        .create_folder()
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1, "POST: never retried");
}

#[tokio::test]
async fn token_validation_is_sent_without_the_token_header() {
    let server = MockServer::start(|_| Reply::json(200, json!({"TokenStatus": "valid"}))).await;
    let answer = client(&server)
        .validate_token()
        .token("abc")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.token_status, Some(sdk_skyfish::types::TokenStatus::Valid));
    let r = &server.requests()[0];
    assert_eq!(r.path, "/authenticate/simpletoken/abc");
    assert_eq!(r.header("authorization"), None);
}
