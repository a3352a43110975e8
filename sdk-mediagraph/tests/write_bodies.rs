//! Write bodies on the wire: typed records under their resource key with the provider's required
//! fields, the `extra` escape hatch for fields the spec does not list, flat JSON and form bodies,
//! bodiless answers, and credentials in answers kept out of `Debug`.

use std::time::Duration;

use dam_test_server::{Fault, MockServer, Reply};
use sdk_mediagraph::{Client, RetryPolicy, types};
use serde_json::json;

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

#[tokio::test]
async fn a_typed_record_sends_its_fields_and_the_unlisted_ones_from_extra() {
    let server = MockServer::start(|_| Reply::json(200, json!({"id": 310, "name": "Biennale"}))).await;
    let mut tag: types::NewTag = types::NewTag::builder()
        .name("Biennale")
        .sub_type(types::TagSubType::Event)
        .date_start("2026-05-09T10:00:00Z".to_string())
        .try_into()
        .unwrap();
    tag.extra.insert("artwork_creator".into(), json!("A. Artist"));
    let created = client(&server)
        .create_tag()
        .body(types::TagBody { tag })
        .send()
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("Biennale"));
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/api/tags"));
    assert_eq!(
        r.text(),
        r#"{"tag":{"date_start":"2026-05-09T10:00:00Z","name":"Biennale","sub_type":"event","artwork_creator":"A. Artist"}}"#
    );
}

#[test]
fn required_fields_of_a_record_are_required() {
    let missing: Result<types::NewTag, _> = types::NewTag::builder().name("No sub type").try_into();
    assert!(missing.unwrap_err().to_string().contains("sub_type"));
    let missing: Result<types::NewContribution, _> = types::NewContribution::builder().name("Upload here").try_into();
    assert!(missing.unwrap_err().to_string().contains("storage_folder_id"));
}

#[tokio::test]
async fn update_asset_sends_typed_iptc_fields_custom_meta_and_sync() {
    let server = MockServer::start(|_| Reply::json(200, json!({"asset": {"id": 7}}))).await;
    let changes: types::AssetChanges = types::AssetChanges::builder()
        .description("Updated Description.".to_string())
        .replace_tag_names(vec!["New Tag 1".to_string()])
        .rights_status(types::RightsClass::Owned)
        .copyright_owner(types::CopyrightOwner {
            copyright_owner_name: vec!["Acme".into()],
            copyright_owner_id: vec![],
        })
        .custom_meta(
            json!({"Custom Meta Field 70": "Hummus", "Custom Meta Field 71": ["California Maki 53"]})
                .as_object()
                .cloned()
                .unwrap(),
        )
        .try_into()
        .unwrap();
    client(&server)
        .update_asset()
        .id(7)
        .body(types::UpdateAssetBody {
            asset: changes,
            sync: Some(true),
        })
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("PUT", "/api/assets/7"));
    assert_eq!(
        r.json(),
        json!({"asset": {
            "description": "Updated Description.",
            "replace_tag_names": ["New Tag 1"],
            "rights_status": "owned",
            "copyright_owner": {"copyright_owner_name": ["Acme"]},
            "custom_meta": {"Custom Meta Field 70": "Hummus", "Custom Meta Field 71": ["California Maki 53"]}
        }, "sync": true})
    );
}

#[tokio::test]
async fn tag_asset_comment_and_approval_bodies() {
    let server = MockServer::start(|r| match r.path.as_str() {
        "/api/assets/7/tag" => Reply::json(200, json!({"tags": [{"id": 1, "name": "sea"}]})),
        "/api/comments" => Reply::json(200, json!({"id": 3, "text": "Nice @ann"})),
        _ => Reply::json(200, json!([{"id": 9, "asset_id": 1455, "aasm_state": "approved"}])),
    })
    .await;
    let client = client(&server);
    client
        .tag_asset()
        .id(7)
        .body_map(|b| b.asset(types::AssetTagChanges::builder().add_tag_names(vec!["sea".to_string()])))
        .send()
        .await
        .unwrap();
    client
        .create_comment()
        .body(types::CommentBody {
            type_: types::CommentableType::Lightbox,
            id: 5,
            comment: Some(types::NewComment {
                text: "Nice @ann".into(),
                extra: Default::default(),
            }),
        })
        .send()
        .await
        .unwrap();
    let approvals = client
        .approve_workflow_step()
        .id(12)
        .body(types::ApproveAssetsBody { asset_ids: vec![1455] })
        .send()
        .await
        .unwrap();
    assert_eq!(approvals[0].asset_id.as_ref().unwrap().as_str(), "1455");
    let r = server.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].text()),
        ("PUT", r#"{"asset":{"add_tag_names":["sea"]}}"#.into())
    );
    assert_eq!(
        r[1].text(),
        r#"{"comment":{"text":"Nice @ann"},"id":5,"type":"Lightbox"}"#
    );
    assert_eq!(
        (r[2].method.as_str(), r[2].path.as_str(), r[2].text()),
        (
            "POST",
            "/api/workflow_steps/12/approve",
            r#"{"asset_ids":[1455]}"#.into()
        )
    );
}

#[tokio::test]
async fn flat_fields_travel_as_form_bodies() {
    let server = MockServer::start(|_| Reply::json(200, json!({}))).await;
    let client = client(&server);
    client
        .merge_tag()
        .id(5)
        .body(types::MergeTagForm {
            tag_2_id: 9,
            set_synonym: Some(true),
        })
        .send()
        .await
        .unwrap();
    client
        .move_crop_preset()
        .body(types::CropPresetPositionForm {
            old_index: 0,
            new_index: 2,
        })
        .send()
        .await
        .unwrap();
    let r = server.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].path.as_str()),
        ("POST", "/api/tags/5/merge_into")
    );
    assert_eq!(r[0].header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(r[0].text(), "set_synonym=true&tag_2_id=9");
    assert_eq!(
        (r[1].method.as_str(), r[1].path.as_str()),
        ("PUT", "/api/crop_presets/update_position")
    );
    assert_eq!(r[1].text(), "newIndex=2&oldIndex=0");
}

#[tokio::test]
async fn lookups_by_post_are_retried_and_creations_are_not() {
    let server = MockServer::start(|_| Reply::json(200, json!([{"id": 1, "name": "sea"}]))).await;
    server.inject(Fault::status(503).retry_after(0).times(1));
    let tags = client(&server)
        .bulk_find_tags()
        .body(types::TagNamesBody {
            names: vec!["sea".into(), "sky".into()],
        })
        .send()
        .await
        .unwrap();
    assert_eq!(tags.len(), 1);
    let r = server.requests();
    assert_eq!(r.len(), 2, "bulk_find_tags is idempotent: retried after the 503");
    assert_eq!(r[1].text(), r#"{"names":["sea","sky"]}"#);

    let server = MockServer::start(|_| Reply::json(200, json!({"id": 1}))).await;
    server.inject(Fault::status(503).retry_after(0).times(1));
    let err = client(&server)
        .create_workflow()
        .body(types::WorkflowBody {
            workflow: types::NewWorkflow {
                name: "Review".into(),
                extra: Default::default(),
            },
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests().len(), 1, "a creation is never retried");
}

#[tokio::test]
async fn bodiless_deletes_and_created_statuses() {
    let server = MockServer::start(|r| match r.method.as_str() {
        "DELETE" => Reply::status(204),
        _ => Reply::json(201, json!({"id": 2, "name": "Ann Photo"})),
    })
    .await;
    let client = client(&server);
    client.delete_collection().id(4).send().await.unwrap();
    client.delete_permission().id(4).send().await.unwrap();
    let creator = client
        .create_creator_tag()
        .body(types::CreatorTagBody {
            creator_tag: types::NewCreatorTag {
                name: "Ann Photo".into(),
                extra: Default::default(),
            },
        })
        .send()
        .await
        .unwrap();
    assert_eq!(creator.status().as_u16(), 201);
    assert_eq!(creator.name.as_deref(), Some("Ann Photo"));
    let paths: Vec<_> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/api/collections/4", "/api/permissions/4", "/api/creator_tags"]);
}

#[tokio::test]
async fn a_new_personal_access_token_is_kept_out_of_debug_output() {
    let server = MockServer::start(|_| {
        Reply::json(
            200,
            json!({"id": 5, "note": "CI", "token": "mg_pat_5f2b9c0e1d", "scopes": null}),
        )
    })
    .await;
    let token = client(&server)
        .create_personal_access_token()
        .body(types::PersonalAccessTokenBody {
            personal_access_token: types::NewPersonalAccessToken {
                name: Some("CI".into()),
                extra: Default::default(),
            },
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(token.token.as_ref().unwrap().expose(), "mg_pat_5f2b9c0e1d");
    assert!(!format!("{token:?}").contains("mg_pat_5f2b9c0e1d"));
    assert_eq!(
        server.requests()[0].text(),
        r#"{"personal_access_token":{"name":"CI"}}"#
    );
}
