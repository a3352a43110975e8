//! The guarantees each crate's docs state ("Guarantees"), checked the same way for all four SDKs
//! against loopback servers. Guarantees whose mechanism is crate-specific (auth renewal, uploads,
//! downloads) are tested in the crates; the crate docs name those tests.

use std::time::Duration;

use dam_runtime::{Error, RetryPolicy};
use dam_test_server::{Fault, MockServer, Recorded, Reply};
use serde_json::{Value, json};

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

async fn skyfish(server: &MockServer) -> sdk_skyfish::Client {
    sdk_skyfish::Client::builder()
        .base_url(server.url())
        .token("tok")
        .retry_policy(fast())
        .build()
        .unwrap()
}

async fn ci(server: &MockServer) -> sdk_ci::Client {
    sdk_ci::Client::builder()
        .base_url(server.url())
        .client_credentials("cid", "secret")
        .refresh_token("r1")
        .retry_policy(fast())
        .build()
        .unwrap()
}

async fn mediagraph(server: &MockServer) -> sdk_mediagraph::Client {
    sdk_mediagraph::Client::builder()
        .base_url(server.url())
        .personal_access_token("tok", 42)
        .retry_policy(fast())
        .build()
        .unwrap()
}

async fn intelligencebank(server: &MockServer) -> sdk_intelligencebank::Client {
    sdk_intelligencebank::Client::builder()
        .session(sdk_intelligencebank::Session::new(server.url(), "key", "user", "sid"))
        .rate_limit(None)
        .retry_policy(fast())
        .build()
        .await
        .unwrap()
}

/// Ci's token endpoint answers; everything else gets `reply`.
fn with_tokens(
    reply: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    move |r| {
        if r.path == "/oauth2/token" {
            Reply::json(
                200,
                json!({"access_token": "a", "refresh_token": "r2", "expires_in": 3600}),
            )
        } else {
            reply(r)
        }
    }
}

fn api_requests(server: &MockServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path != "/oauth2/token")
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Retries as documented: idempotent calls are resent after a connection closed mid-answer;
// non-idempotent calls never.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn idempotent_calls_are_resent_after_a_reset_connection_and_creations_are_not() {
    let list = json!([]);
    // Skyfish
    let server = MockServer::start(move |_| Reply::json(200, list.clone())).await;
    server.inject(Fault::reset().method("GET"));
    skyfish(&server).await.list_folders().send().await.unwrap();
    assert_eq!(server.requests().len(), 2);
    server.inject(Fault::reset().method("POST"));
    let body = serde_json::from_value::<sdk_skyfish::types::FolderInput>(json!({"name": "n", "parent": 1})).unwrap();
    let err = skyfish(&server)
        .await
        .create_folder()
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_transport(), "{err:?}");
    assert_eq!(server.requests().len(), 3, "a creation is sent once");

    // Ci
    let server = MockServer::start(with_tokens(|_| Reply::json(200, json!({"items": [], "count": 0})))).await;
    server.inject(Fault::reset().method("GET"));
    ci(&server).await.list_workspaces().send().await.unwrap();
    assert_eq!(api_requests(&server).len(), 2);
    server.inject(Fault::reset().method("POST").path("/folders"));
    let body = serde_json::from_value::<sdk_ci::types::CreateFolderRequest>(json!({"name": "n"})).unwrap();
    assert!(
        ci(&server)
            .await
            .create_folder()
            .body(body)
            .send()
            .await
            .unwrap_err()
            .is_transport()
    );
    assert_eq!(api_requests(&server).iter().filter(|r| r.method == "POST").count(), 1);

    // Mediagraph
    let server = MockServer::start(|_| Reply::json(200, json!([]))).await;
    server.inject(Fault::reset().method("GET"));
    mediagraph(&server).await.list_tags().send().await.unwrap();
    assert_eq!(server.requests().len(), 2);
    server.inject(Fault::reset().method("POST"));
    let body =
        serde_json::from_value::<sdk_mediagraph::types::TagBody>(json!({"tag": {"name": "n", "sub_type": "tag"}}));
    let body = body.unwrap();
    assert!(
        mediagraph(&server)
            .await
            .create_tag()
            .body(body)
            .send()
            .await
            .unwrap_err()
            .is_transport()
    );
    assert_eq!(server.requests().len(), 3);

    // IntelligenceBank
    let server = MockServer::start(|_| Reply::json(200, json!({"response": {"folder": []}}))).await;
    server.inject(Fault::reset().method("GET"));
    intelligencebank(&server).await.get_root_folder().send().await.unwrap();
    assert_eq!(server.requests().len(), 2);
    server.inject(Fault::reset().method("POST"));
    let body = serde_json::from_value::<sdk_intelligencebank::types::CreateFolderForm>(json!({"name": "n"})).unwrap();
    let err = intelligencebank(&server)
        .await
        .create_folder()
        .folderuuid("parent")
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_transport(), "{err:?}");
    assert_eq!(server.requests().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Success is success: a creation answered 201 returns the created object.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_creation_answered_201_returns_the_created_object() {
    let server = MockServer::start(|_| Reply::json(201, json!({"id": 77, "name": "n"}))).await;
    let body = serde_json::from_value::<sdk_skyfish::types::FolderInput>(json!({"name": "n", "parent": 1})).unwrap();
    let created = skyfish(&server).await.create_folder().body(body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(serde_json::to_value(created.into_inner()).unwrap()["id"], json!(77));

    let server = MockServer::start(with_tokens(|_| {
        Reply::json(201, json!({"folderId": "f-77", "name": "n"}))
    }))
    .await;
    let body = serde_json::from_value::<sdk_ci::types::CreateFolderRequest>(json!({"name": "n"})).unwrap();
    let created = ci(&server).await.create_folder().body(body).send().await.unwrap();
    assert_eq!(
        serde_json::to_value(created.into_inner()).unwrap()["folderId"],
        json!("f-77")
    );

    let server = MockServer::start(|_| Reply::json(201, json!({"id": 77, "name": "n"}))).await;
    let body =
        serde_json::from_value::<sdk_mediagraph::types::TagBody>(json!({"tag": {"name": "n", "sub_type": "tag"}}));
    let created = mediagraph(&server)
        .await
        .create_tag()
        .body(body.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(created.into_inner()).unwrap()["id"], json!(77));

    let server = MockServer::start(|_| Reply::json(201, json!({"response": {"folderuuid": "f77"}}))).await;
    let body = serde_json::from_value::<sdk_intelligencebank::types::CreateFolderForm>(json!({"name": "n"})).unwrap();
    let created = intelligencebank(&server)
        .await
        .create_folder()
        .folderuuid("parent")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(created.into_inner()).unwrap()["response"]["folderuuid"],
        json!("f77")
    );
}

// ---------------------------------------------------------------------------------------------
// Lossless models: what the service sent, unknown nested keys included, survives a round trip.
// ---------------------------------------------------------------------------------------------

fn with_unknown(mut v: Value) -> Value {
    v["added_by_the_service"] = json!({"nested": [1, {"deep": true}], "n": null});
    v
}

#[tokio::test]
async fn models_keep_keys_they_do_not_know() {
    let folder = with_unknown(json!({"id": 5, "name": "Root"}));
    let f = folder.clone();
    let server = MockServer::start(move |_| Reply::json(200, json!([f.clone()]))).await;
    let got = skyfish(&server).await.list_folders().send().await.unwrap().into_inner();
    assert_eq!(serde_json::to_value(&got[0]).unwrap(), folder);

    let asset = with_unknown(json!({"id": "a1", "name": "Movie.mov"}));
    let a = asset.clone();
    let server = MockServer::start(with_tokens(move |_| Reply::json(200, a.clone()))).await;
    let got = ci(&server)
        .await
        .get_asset()
        .asset_id("a1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(serde_json::to_value(&got).unwrap(), asset);

    let tag = with_unknown(json!({"id": 9, "name": "cat"}));
    let t = tag.clone();
    let server = MockServer::start(move |_| Reply::json(200, json!([t.clone()]))).await;
    let got = mediagraph(&server).await.list_tags().send().await.unwrap().into_inner();
    assert_eq!(serde_json::to_value(&got[0]).unwrap(), tag);

    let root = with_unknown(json!({"response": {"folder": [with_unknown(json!({"folderuuid": "f1"}))]}}));
    let r = root.clone();
    let server = MockServer::start(move |_| Reply::json(200, r.clone())).await;
    let got = intelligencebank(&server)
        .await
        .get_root_folder()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(serde_json::to_value(&got).unwrap(), root);
}

// ---------------------------------------------------------------------------------------------
// Decode errors say where: the operation and the field path of the one bad item.
// ---------------------------------------------------------------------------------------------

fn assert_decode_at(err: Error, operation: &str, at: &str) {
    match err {
        Error::Decode {
            operation: op,
            path,
            excerpt,
            ..
        } => {
            assert_eq!(op, operation);
            assert_eq!(path, at);
            assert!(!excerpt.is_empty() && excerpt.chars().count() <= 200);
        }
        other => panic!("expected a decode error at {at}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_bad_item_is_named_by_its_path() {
    let bad = json!({"this": "is", "not": "a", "number": true});
    let items: Vec<Value> = (0..4).map(|i| json!({"id": i, "name": format!("f{i}")})).collect();
    let mut with_bad = items.clone();
    with_bad[3]["id"] = bad.clone();
    let answer = json!(with_bad);
    let server = MockServer::start(move |_| Reply::json(200, answer.clone())).await;
    let err = skyfish(&server).await.list_folders().send().await.unwrap_err();
    assert_decode_at(err, "list_folders", "[3].id");

    let answer = json!({"limit": 50, "offset": 0, "count": 4, "items": [{"id": "w0"}, {"id": "w1", "name": {"x": 1}}]});
    let server = MockServer::start(with_tokens(move |_| Reply::json(200, answer.clone()))).await;
    let err = ci(&server).await.list_workspaces().send().await.unwrap_err();
    assert_decode_at(err, "list_workspaces", "items[1].name");

    let answer = json!([{"id": 1, "name": "a"}, {"id": 2, "name": ["not", "text"]}]);
    let server = MockServer::start(move |_| Reply::json(200, answer.clone())).await;
    let err = mediagraph(&server).await.list_tags().send().await.unwrap_err();
    assert_decode_at(err, "list_tags", "[1].name");

    let answer = json!({"response": {"folder": [{"folderuuid": "a"}, {"folderuuid": "b", "name": {"x": 1}}]}});
    let server = MockServer::start(move |_| Reply::json(200, answer.clone())).await;
    let err = intelligencebank(&server)
        .await
        .get_root_folder()
        .send()
        .await
        .unwrap_err();
    assert_decode_at(err, "get_root_folder", "response.folder[1].name");
}
