//! The endpoints beyond the provider's document (facts.md, "Beyond the documents") on the wire:
//! method, path (a literal comma in `{ids}`), query and exact body bytes — bare JSON strings,
//! language-keyed objects, JSON arrays, DELETEs with a body — and the answers decoded.

use std::time::Duration;

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_skyfish::types::{LocalizedKeywords, LocalizedText, MediaMove, MetadataText, TagList};
use sdk_skyfish::{Client, RetryPolicy};
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

/// Answers the reads with their documented shapes and every write with an empty 200.
fn skyfish(r: &Recorded) -> Reply {
    match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/whoami") => Reply::json(
            200,
            json!({"id": 645654, "username": "me@example.com", "company": 1995}),
        ),
        ("GET", "/folder/7/tags") => Reply::json(200, json!(["campaign", "2021"])),
        ("POST", "/media/42/stream") => Reply::json(200, json!({"Status": "Created"})),
        ("GET", "/cdn/5/company/aliases") => Reply::json(
            200,
            json!({"count": "1", "limit": 100, "aliases": [{"folder_id": "155111", "alias": "press", "folder_name": "Press", "cdn": "x"}]}),
        ),
        _ => Reply::status(200),
    }
}

/// `(method, path, raw query, content type, body)` of a request.
fn wire(r: &Recorded) -> (&str, &str, Option<&str>, Option<&str>, String) {
    (
        r.method.as_str(),
        r.path.as_str(),
        r.query.as_deref(),
        r.header("content-type"),
        r.text(),
    )
}

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn metadata_fields_travel_as_language_maps_and_bare_json_strings() {
    let server = MockServer::start(skyfish).await;
    let client = client(&server);
    let title = LocalizedText([("en".into(), "Sunset".into())].into());
    client.set_media_title().id(42).body(title).send().await.unwrap();
    let description = LocalizedText([("da".into(), "Solnedgang \"ved\" havet".into())].into());
    client
        .set_media_description()
        .id(42)
        .body(description)
        .send()
        .await
        .unwrap();
    client
        .set_media_byline()
        .id(42)
        .body(MetadataText("Jane".to_string()))
        .send()
        .await
        .unwrap();
    client
        .set_media_copyright()
        .id("42")
        .body(MetadataText("© Jane \"JD\" Doe".to_string()))
        .send()
        .await
        .unwrap();

    let requests = server.requests();
    assert_eq!(
        requests.iter().map(wire).collect::<Vec<_>>(),
        [
            (
                "POST",
                "/media/42/metadata/title",
                None,
                JSON,
                r#"{"en":"Sunset"}"#.to_string()
            ),
            (
                "POST",
                "/media/42/metadata/description",
                None,
                JSON,
                r#"{"da":"Solnedgang \"ved\" havet"}"#.to_string()
            ),
            ("POST", "/media/42/metadata/byline", None, JSON, r#""Jane""#.to_string()),
            (
                "POST",
                "/media/42/metadata/copyright",
                None,
                JSON,
                r#""© Jane \"JD\" Doe""#.to_string()
            ),
        ]
    );
    for r in &requests {
        assert_eq!(r.header("authorization"), Some("CBX-SIMPLE-TOKEN Token=tkn"));
        assert_eq!(r.header("content-length"), Some(r.body.len().to_string().as_str()));
    }
}

#[tokio::test]
async fn keywords_go_to_a_literal_comma_list_of_media_and_delete_carries_a_body() {
    let server = MockServer::start(skyfish).await;
    let client = client(&server);
    let keywords =
        |words: &[&str]| LocalizedKeywords([("en".into(), words.iter().map(|w| w.to_string()).collect())].into());
    let ids = || vec!["1".to_string(), "2".to_string(), "3".to_string()];
    client
        .add_media_keywords()
        .ids(ids())
        .body(keywords(&["cat", "dog"]))
        .send()
        .await
        .unwrap();
    client
        .remove_media_keywords()
        .ids(ids())
        .body(keywords(&["dog"]))
        .send()
        .await
        .unwrap();
    client
        .add_media_keywords()
        .ids(vec!["42".to_string()])
        .body(keywords(&["sea"]))
        .send()
        .await
        .unwrap();
    client
        .replace_media_keywords()
        .id(42)
        .body(keywords(&["boy", "harvester"]))
        .send()
        .await
        .unwrap();
    client.clear_media_keywords().id(42).send().await.unwrap();

    let requests = server.requests();
    assert_eq!(
        requests.iter().map(wire).collect::<Vec<_>>(),
        [
            (
                "PUT",
                "/media/1,2,3/metadata/keyword",
                None,
                JSON,
                r#"{"en":["cat","dog"]}"#.to_string()
            ),
            (
                "DELETE",
                "/media/1,2,3/metadata/keyword",
                None,
                JSON,
                r#"{"en":["dog"]}"#.to_string()
            ),
            (
                "PUT",
                "/media/42/metadata/keyword",
                None,
                JSON,
                r#"{"en":["sea"]}"#.to_string()
            ),
            (
                "POST",
                "/media/42/metadata/keywords",
                None,
                JSON,
                r#"{"en":["boy","harvester"]}"#.to_string()
            ),
            ("DELETE", "/media/42/metadata/keywords", None, None, String::new()),
        ]
    );
    assert!(requests.iter().all(|r| !r.path.contains("%2C")));
}

#[tokio::test]
async fn folder_tags_are_json_arrays_and_their_delete_carries_a_body() {
    let server = MockServer::start(skyfish).await;
    let client = client(&server);
    let tags = client.get_folder_tags().id(7).send().await.unwrap().into_inner();
    assert_eq!(tags.0, ["campaign", "2021"]);
    client
        .add_folder_tags()
        .id(7)
        .body(TagList(vec!["campaign".into(), "2021".into()]))
        .send()
        .await
        .unwrap();
    client
        .remove_folder_tags()
        .id(7)
        .body(TagList(vec!["2021".into()]))
        .send()
        .await
        .unwrap();
    client.purge_folder_tags().id(7).send().await.unwrap();

    assert_eq!(
        server.requests().iter().map(wire).collect::<Vec<_>>(),
        [
            ("GET", "/folder/7/tags", None, None, String::new()),
            (
                "PUT",
                "/folder/7/tags",
                None,
                JSON,
                r#"["campaign","2021"]"#.to_string()
            ),
            ("DELETE", "/folder/7/tags", None, JSON, r#"["2021"]"#.to_string()),
            ("DELETE", "/folder/7/tags/purge", None, None, String::new()),
        ]
    );
}

#[tokio::test]
async fn copy_move_stream_whoami_and_cdn_calls() {
    let server = MockServer::start(skyfish).await;
    let client = client(&server);
    let me = client.get_whoami().send().await.unwrap().into_inner();
    assert_eq!(me.get("username"), Some(&json!("me@example.com")));
    client.copy_media_to_folder().id(42).folder_id(7).send().await.unwrap();
    client
        .move_media()
        .id(42)
        .body(MediaMove {
            from: 7.into(),
            to: "8".into(),
        })
        .send()
        .await
        .unwrap();
    let status = client.create_media_stream().id(42).send().await.unwrap().into_inner();
    assert_eq!(status.status.as_deref(), Some("Created"));
    let aliases = client
        .list_cdn_aliases()
        .company_id(5)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(aliases.count.and_then(|c| c.get()), Some(1));
    let alias = &aliases.aliases[0];
    assert_eq!(
        (alias.alias.as_deref(), alias.folder_id.as_ref().map(|i| i.to_string())),
        (Some("press"), Some("155111".to_string()))
    );
    assert_eq!(alias.extra.get("cdn"), Some(&json!("x")), "unknown keys are kept");
    client
        .replace_cdn_file()
        .company_id(5)
        .cdn_folder_id(9)
        .old_media_id(100)
        .new_media_id(101)
        .send()
        .await
        .unwrap();

    let requests = server.requests();
    assert_eq!(
        requests.iter().map(wire).collect::<Vec<_>>(),
        [
            ("GET", "/whoami", None, None, String::new()),
            ("POST", "/media/42/folder/7", None, None, String::new()),
            (
                "POST",
                "/media/42/move",
                None,
                JSON,
                r#"{"from":7,"to":"8"}"#.to_string()
            ),
            ("POST", "/media/42/stream", None, None, String::new()),
            ("GET", "/cdn/5/company/aliases", None, None, String::new()),
            (
                "POST",
                "/cdn/5/folder/9/replace/100/with/101",
                None,
                None,
                String::new()
            ),
        ]
    );
    for r in requests.iter().filter(|r| r.method == "POST" && r.body.is_empty()) {
        assert_eq!(r.header("content-length"), Some("0"), "{}", r.path);
    }
}

#[tokio::test]
async fn download_locations_keep_the_internal_load_balancer_url_apart() {
    let server = MockServer::start(|_| {
        Reply::json(
            200,
            json!({"method": "GET", "url": "https://cdn.example/42.jpg?sig=1", "internal_elb_url": "http://10.0.0.1/internal/42.jpg"}),
        )
    })
    .await;
    let location = client(&server)
        .get_media_download_location()
        .id(42)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(location.url.as_deref(), Some("https://cdn.example/42.jpg?sig=1"));
    assert_eq!(
        location.internal_elb_url.as_deref(),
        Some("http://10.0.0.1/internal/42.jpg")
    );
    assert!(
        location.extra.is_empty(),
        "internal_elb_url is a modelled field: {:?}",
        location.extra
    );
}
