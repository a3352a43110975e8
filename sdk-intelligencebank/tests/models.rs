//! Models accept what IntelligenceBank really sends (numbers and flags as text, `null`s, missing
//! fields, unknown enum values), and error answers of every shape become typed errors, never
//! panics.

use dam_test_server::{MockServer, Reply};
use sdk_intelligencebank::types::{self, SyncFileStatus};
use sdk_intelligencebank::{Client, Error, Session};
use serde_json::json;

fn client_for(server: &MockServer) -> Client {
    Client::from_session(Session::new(server.url(), "k", "u", "s")).unwrap()
}

#[test]
fn folder_answers_with_text_numbers_nulls_and_missing_fields() {
    let answer: types::FolderResponse = serde_json::from_value(json!({"response": {
    "hasversions": "1",
    "folder": [
        {"folderuuid": "a", "sortorder": null, "comments": "0", "createdtime": "2015-05-14 05:12:47",
         "children": {"folders": "3", "resources": 12}},
        {"folderuuid": "b", "sortorder": "", "children": null}
    ],
    "resource": [
        {"fileuuid": "f", "seen": "1", "filesize": "1234", "sortorder": 5, "tags": null, "annotations": "0",
         "updatedat": 1429187979, "versions": [{"versionnumber": "2", "filesize": 99, "datecreated": null}]},
        {}
    ]}}))
    .unwrap();
    let contents = answer.response.unwrap();
    assert_eq!(contents.hasversions.unwrap().get(), Some(true));
    let folders = contents.folder.unwrap();
    assert_eq!(folders[0].sortorder, None);
    assert_eq!(folders[0].comments.as_ref().unwrap().get(), Some(false));
    assert_eq!(
        folders[0]
            .createdtime
            .as_ref()
            .unwrap()
            .to_datetime()
            .unwrap()
            .to_rfc3339(),
        "2015-05-14T05:12:47+00:00"
    );
    assert_eq!(
        folders[0].children.as_ref().unwrap().folders.as_ref().unwrap().get(),
        Some(3)
    );
    assert_eq!(folders[1].sortorder.as_ref().unwrap().get(), None);
    let resources = contents.resource.unwrap();
    assert_eq!(resources[0].seen.as_ref().unwrap().get(), Some(true));
    assert_eq!(resources[0].filesize.as_ref().unwrap().get(), Some(1234));
    assert_eq!(resources[0].sortorder.as_ref().unwrap().get(), Some(5));
    assert_eq!(resources[0].tags, None);
    assert_eq!(
        resources[0]
            .updatedat
            .as_ref()
            .unwrap()
            .to_datetime()
            .unwrap()
            .to_rfc3339(),
        "2015-04-16T12:39:39+00:00"
    );
    let version = &resources[0].versions.as_ref().unwrap()[0];
    assert_eq!(version.versionnumber.as_ref().unwrap().get(), Some(2));
    assert_eq!(resources[1], types::Resource::default());
}

#[test]
fn login_answers_with_text_flags_and_numbers() {
    let answer: types::LoginResponse = serde_json::from_value(json!({
        "apikey": "k", "sid": "s", "useruuid": "u", "clientid": 1234, "logintimeoutperiod": "120",
        "comments": null, "versions": "1", "isResourceMainAdmin": "yes", "enableMasterSync": 0,
        "passwordexpiryperiod": "", "annotations": "basic", "toolNameMapping": {"resource": "Assets"}
    }))
    .unwrap();
    assert_eq!(answer.clientid.unwrap().as_str(), "1234");
    assert_eq!(answer.logintimeoutperiod.unwrap().get(), Some(120));
    assert_eq!(answer.comments, None);
    assert_eq!(answer.versions.unwrap().get(), Some(true));
    assert_eq!(answer.is_resource_main_admin.unwrap().get(), Some(true));
    assert_eq!(answer.enable_master_sync.unwrap().get(), Some(false));
    assert_eq!(answer.passwordexpiryperiod.unwrap().get(), None);
    assert_eq!(answer.tool_name_mapping["resource"], "Assets");
}

#[test]
fn search_answers_with_a_count_as_text_or_number() {
    let answer: types::SearchResponse = serde_json::from_value(json!({"numFound": "2", "doc": [
        {"uuid": "x", "id": 250597, "ext": "PDF", "data": {"location": "content", "snippet": {"ib_title": "<em>Q3</em>"}},
         "file": {"fileuuid": "f", "filesize": "10", "reviewdate": "", "tree": ["root", "sub"]}},
        {"uuid": "y", "id": "250598", "data": null, "file": null}
    ]}))
    .unwrap();
    assert_eq!(answer.num_found.unwrap().get(), Some(2));
    let hits = answer.doc.unwrap();
    assert_eq!(hits[0].id.as_ref().unwrap().as_str(), "250597");
    assert_eq!(hits[0].data.as_ref().unwrap().snippet["ib_title"], "<em>Q3</em>");
    assert_eq!(
        hits[0].file.as_ref().unwrap().tree.as_deref(),
        Some(&["root".to_string(), "sub".to_string()][..])
    );
    assert_eq!(hits[1].id.as_ref().unwrap().as_str(), "250598");

    let empty: types::SearchResponse = serde_json::from_value(json!({"numFound": 0, "doc": null})).unwrap();
    assert_eq!(empty.num_found.unwrap().get(), Some(0));
    assert_eq!(empty.doc, None);
}

#[test]
fn sync_answers_with_known_and_unknown_statuses() {
    let answer: types::SyncResponse = serde_json::from_value(json!({
        "folders": {"folder": [{"folderuuid": "a", "hasversions": 0, "perm": "Admin",
                                "resource": [{"fileuuid": "f1", "updatedat": "2015-01-01 11:00:00"}]}]},
        "files": [
            {"fileuuid": "f1", "status": "access denied", "filesize": "5"},
            {"fileuuid": "f2", "status": "updated"},
            {"fileuuid": "f3", "status": "archived"}
        ]
    }))
    .unwrap();
    let folder = &answer.folders.unwrap().folder.unwrap()[0];
    assert_eq!(folder.hasversions.as_ref().unwrap().get(), Some(false));
    let files = answer.files.unwrap();
    assert_eq!(files[0].status, Some(SyncFileStatus::AccessDenied));
    assert_eq!(files[1].status, Some(SyncFileStatus::Updated));
    assert_eq!(files[2].status, Some(SyncFileStatus::Unknown("archived".into())));
    assert_eq!(files[0].filesize.as_ref().unwrap().get(), Some(5));
}

#[test]
fn presets_with_numbers_as_text_and_nulls() {
    let answer: types::DownloadPresetsResponse = serde_json::from_value(json!({"presets": [
        {"uuid": "p", "compressionQuality": "60", "compressionType": 8, "customWidth": 200, "cropWidth": null, "id": 3322362}
    ]}))
    .unwrap();
    let preset = &answer.presets.unwrap()[0];
    assert_eq!(preset.compression_quality.as_ref().unwrap().get(), Some(60));
    assert_eq!(preset.compression_type.as_ref().unwrap().get(), Some(8));
    assert_eq!(preset.crop_width, None);
    assert_eq!(preset.id.as_ref().unwrap().as_str(), "3322362");
}

#[tokio::test]
async fn an_error_message_is_kept_with_its_status() {
    let server = MockServer::start(|_| {
        Reply::json(404, json!({"message": "Folder not found"})).header("x-request-id", "req-42")
    })
    .await;
    let err = client_for(&server)
        .get_folder_contents()
        .folderuuid("x")
        .send()
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(err.status().unwrap().as_u16(), 404);
    assert_eq!(api.body.message.as_deref(), Some("Folder not found"));
    assert_eq!(err.request_id(), Some("req-42"));
    assert_eq!(
        err.to_string(),
        "intelligencebank answered 404 Not Found: Folder not found (request id req-42)"
    );
}

#[tokio::test]
async fn a_proxy_page_is_an_api_error_with_the_raw_text() {
    let server = MockServer::start(|_| Reply::text(502, "<html>Bad gateway</html>")).await;
    let err = client_for(&server).get_root_folder().send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(err.api_error().unwrap().body.raw, json!("<html>Bad gateway</html>"));
    assert_eq!(err.api_error().unwrap().body.message, None);
    assert_eq!(err.message(), Some("<html>Bad gateway</html>"));
}

#[tokio::test]
async fn an_empty_error_body_is_an_api_error() {
    let server = MockServer::start(|_| Reply::status(500)).await;
    let err = client_for(&server)
        .delete_folder()
        .folderuuid("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
}

#[tokio::test]
async fn malformed_and_truncated_success_bodies_are_errors_not_panics() {
    let body = json!({"response": {"folder": [{"folderuuid": "a"}]}}).to_string();
    let cut = body.len() / 2;
    let server = MockServer::start(move |r| match r.query_param("folderuuid").as_deref() {
        Some("malformed") => {
            Reply::text(200, r#"{"response": {"folder": ["#).header("content-type", "application/json")
        }
        Some("wrong-type") => Reply::json(200, json!({"response": {"folder": "oops"}})),
        Some("truncated") => Reply::json(200, serde_json::from_str(&body).unwrap()).cut_after(cut),
        _ => Reply::text(200, "not json at all"),
    })
    .await;
    let client = client_for(&server);
    for (folder, want_decode) in [
        ("malformed", true),
        ("wrong-type", true),
        ("html", true),
        ("truncated", false),
    ] {
        let err = client
            .get_folder_contents()
            .folderuuid(folder)
            .send()
            .await
            .unwrap_err();
        if want_decode {
            assert!(matches!(err, Error::Decode { .. }), "{folder}: {err:?}");
        } else {
            assert!(
                matches!(err, Error::Transport(_) | Error::Decode { .. }),
                "{folder}: {err:?}"
            );
        }
    }
}

#[tokio::test]
async fn an_undocumented_success_status_is_typed() {
    let server = MockServer::start(|_| Reply::status(202)).await;
    let err = client_for(&server).get_root_folder().send().await.unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedStatus { status, .. } if status.as_u16() == 202),
        "{err:?}"
    );
}
