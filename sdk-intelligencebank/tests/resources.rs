//! Every operation on the shared URL `/webapp/1.0/resources` (and the other v2 endpoints) is its own
//! method: each test asserts the method, the path and the exact raw query (generated parameters
//! first, then the session's `p10`/`p20`), the body where there is one, and the typed answer.

use std::num::NonZeroU64;

use dam_test_server::{MockServer, Recorded, Reply};
use sdk_intelligencebank::types::{self, CompressionType, SizePercent};
use sdk_intelligencebank::{Client, FilePart, Session};
use serde_json::json;

const APIKEY: &str = "4a0658df9084f078d0cbc506e0f29b57";
const USERUUID: &str = "4717c0b468e7a1d00872f56c81164ec1";
const SID: &str = "eef24c07ebd40fafbb6ab216aa0d1ade";
const SESSION: &str = "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1";
const COOKIE: &str = "_aid=4a0658df9084f078d0cbc506e0f29b57_eef24c07ebd40fafbb6ab216aa0d1ade_default";
const RESOURCES: &str = "/webapp/1.0/resources";
const FOLDER: &str = "06da9efd9e96a973015a5571b65d4b6c";
const FILE: &str = "15e617346a2cc44edd72e59d86559b90";

async fn server(reply: Reply) -> (MockServer, Client) {
    let server = MockServer::start(move |_| reply.clone()).await;
    let client = Client::from_session(Session::new(server.url(), APIKEY, USERUUID, SID)).unwrap();
    (server, client)
}

/// The only request, checked for method, path, raw query and the session cookie.
fn only(server: &MockServer, method: &str, path: &str, query: &str) -> Recorded {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let r = requests.into_iter().next().unwrap();
    assert_eq!(r.method, method);
    assert_eq!(r.path, path);
    assert_eq!(r.query.as_deref(), Some(query));
    assert_eq!(r.header("cookie"), Some(COOKIE));
    r
}

fn folder_reply() -> Reply {
    Reply::json(
        200,
        json!({"response": {"hasversions": "1",
            "folder": [{"folderuuid": FOLDER, "name": "Reports", "children": {"folders": "2", "resources": "14"}}],
            "resource": [{"resourceuuid": "r1", "fileuuid": FILE, "filesize": "1234", "seen": "0"}]}}),
    )
}

fn resource_reply() -> Reply {
    Reply::json(
        200,
        json!({"response": {"resource": [{"resourceuuid": "r1", "fileuuid": FILE, "title": "Test file", "version": "2"}]}}),
    )
}

#[tokio::test]
async fn get_root_folder_sends_only_the_session() {
    let (server, client) = server(folder_reply()).await;
    let answer = client.get_root_folder().send().await.unwrap().into_inner();
    only(&server, "GET", RESOURCES, SESSION);
    let contents = answer.response.unwrap();
    let folder = &contents.folder.unwrap()[0];
    assert_eq!(
        folder.children.as_ref().unwrap().resources.as_ref().unwrap().get(),
        Some(14)
    );
    assert_eq!(
        contents.resource.unwrap()[0].filesize.as_ref().unwrap().get(),
        Some(1234)
    );
}

#[tokio::test]
async fn list_folders_by_uuid_joins_the_uuids_with_commas() {
    let (server, client) = server(folder_reply()).await;
    client
        .list_folders_by_uuid()
        .folderlist(vec![FOLDER.to_string(), "334j3jkh3dsf76dsf7sdf7sdb6c".to_string()])
        .send()
        .await
        .unwrap();
    let r = only(
        &server,
        "GET",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &folderlist=06da9efd9e96a973015a5571b65d4b6c%2C334j3jkh3dsf76dsf7sdf7sdb6c",
    );
    assert_eq!(
        r.query_param("folderlist").as_deref(),
        Some("06da9efd9e96a973015a5571b65d4b6c,334j3jkh3dsf76dsf7sdf7sdb6c")
    );
}

#[tokio::test]
async fn get_folder_contents_sends_folderuuid_skip_and_limit() {
    let (server, client) = server(folder_reply()).await;
    client
        .get_folder_contents()
        .folderuuid(FOLDER)
        .skip(100u64)
        .limit(NonZeroU64::new(50).unwrap())
        .send()
        .await
        .unwrap();
    only(
        &server,
        "GET",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &folderuuid=06da9efd9e96a973015a5571b65d4b6c&limit=50&skip=100",
    );
}

#[tokio::test]
async fn create_folder_posts_a_form() {
    let (server, client) = server(folder_reply()).await;
    client
        .create_folder()
        .folderuuid(FOLDER)
        .body(types::CreateFolderForm {
            name: "Q3 reports".into(),
            description: Some("Reports & drafts".into()),
        })
        .send()
        .await
        .unwrap();
    let r = only(
        &server,
        "POST",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &folderuuid=06da9efd9e96a973015a5571b65d4b6c",
    );
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(r.text(), "description=Reports+%26+drafts&name=Q3+reports");
}

#[tokio::test]
async fn update_folder_puts_a_form() {
    let (server, client) = server(folder_reply()).await;
    client
        .update_folder()
        .folderuuid(FOLDER)
        .body(types::UpdateFolderForm {
            name: Some("Renamed".into()),
            description: None,
        })
        .send()
        .await
        .unwrap();
    let r = only(
        &server,
        "PUT",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &folderuuid=06da9efd9e96a973015a5571b65d4b6c",
    );
    assert_eq!(r.text(), "name=Renamed");
}

#[tokio::test]
async fn delete_folder_sends_delete_with_folderuuid() {
    let (server, client) = server(Reply::status(204)).await;
    client.delete_folder().folderuuid(FOLDER).send().await.unwrap();
    only(
        &server,
        "DELETE",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &folderuuid=06da9efd9e96a973015a5571b65d4b6c",
    );
}

#[tokio::test]
async fn download_resource_sends_every_option() {
    let (server, client) = server(Reply::bytes(200, b"PNGDATA".to_vec())).await;
    let mut out = Vec::new();
    let written = client
        .download_resource()
        .fileuuid(FILE)
        .version(2)
        .ext("jpg")
        .size(SizePercent::Percent50)
        .cropwidth(480)
        .cropheight(300)
        .cropx(400)
        .cropy(250)
        .compression(NonZeroU64::new(80).unwrap())
        .compressiontype(CompressionType::JpegLossy)
        .write_to(&mut out)
        .await
        .unwrap();
    assert_eq!((written, out.as_slice()), (7, &b"PNGDATA"[..]));
    only(
        &server,
        "GET",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &compression=80&compressiontype=8&cropheight=300&cropwidth=480&cropx=400&cropy=250&ext=jpg\
         &fileuuid=15e617346a2cc44edd72e59d86559b90&size=50&version=2",
    );
}

#[tokio::test]
async fn download_resource_preview() {
    let (server, client) = server(Reply::bytes(200, b"PNG".to_vec())).await;
    let mut out = Vec::new();
    client
        .download_resource()
        .fileuuid(FILE)
        .preview(true)
        .write_to(&mut out)
        .await
        .unwrap();
    only(
        &server,
        "GET",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &fileuuid=15e617346a2cc44edd72e59d86559b90&preview=true",
    );
}

#[tokio::test]
async fn estimate_resource_file_size_always_sends_fileinfo() {
    let (server, client) = server(Reply::json(200, json!({"estimatedFileSize": "48213"}))).await;
    let estimate = client
        .estimate_resource_file_size()
        .fileuuid(FILE)
        .size(SizePercent::Percent25)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(estimate.estimated_file_size.unwrap().get(), Some(48213));
    only(
        &server,
        "GET",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &fileinfo=true&fileuuid=15e617346a2cc44edd72e59d86559b90&size=25",
    );
}

#[tokio::test]
async fn update_resource_metadata_puts_a_form_with_tags() {
    let (server, client) = server(resource_reply()).await;
    let answer = client
        .update_resource_metadata(
            FILE,
            &types::UpdateResourceMetadataForm {
                name: Some("Test 2 file".into()),
                description: Some("this is the new version".into()),
                tags: vec!["sea".into(), "sun & sand".into()],
            },
        )
        .await
        .unwrap();
    let r = only(
        &server,
        "PUT",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &fileuuid=15e617346a2cc44edd72e59d86559b90",
    );
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        r.text(),
        "description=this+is+the+new+version&name=Test+2+file&tags%5B%5D=sea&tags%5B%5D=sun+%26+sand"
    );
    let resource = &answer.response.unwrap().resource.unwrap()[0];
    assert_eq!(resource.version.as_ref().unwrap().get(), Some(2));

    // Only what is set travels.
    let (server, client) = self::server(resource_reply()).await;
    client
        .update_resource_metadata(
            FILE,
            &types::UpdateResourceMetadataForm {
                tags: vec!["only-tags".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(server.requests()[0].text(), "tags%5B%5D=only-tags");
}

#[tokio::test]
async fn delete_resource_sends_delete_with_fileuuid() {
    let (server, client) = server(Reply::status(204)).await;
    client.delete_resource().fileuuid(FILE).send().await.unwrap();
    only(
        &server,
        "DELETE",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &fileuuid=15e617346a2cc44edd72e59d86559b90",
    );
}

#[tokio::test]
async fn create_resource_posts_multipart_with_only_the_session_in_the_query() {
    let (server, client) = server(resource_reply()).await;
    let file = FilePart::stream(reqwest::Body::from("one\n"), "a.txt", Some(4));
    let answer = client
        .create_resource(types::CreateResourceOptions::default(), file)
        .await
        .unwrap();
    let r = only(&server, "POST", RESOURCES, SESSION);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary="),
        "{r:?}"
    );
    assert_eq!(
        answer.response.unwrap().resource.unwrap()[0].title.as_deref(),
        Some("Test file")
    );
}

#[tokio::test]
async fn update_resource_file_posts_multipart_with_fileuuid() {
    let (server, client) = server(resource_reply()).await;
    let file = FilePart::stream(reqwest::Body::from("one\n"), "a.txt", Some(4));
    client
        .update_resource_file(FILE, types::ReplaceResourceFileOptions::default(), file)
        .await
        .unwrap();
    let r = only(
        &server,
        "POST",
        RESOURCES,
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &fileuuid=15e617346a2cc44edd72e59d86559b90",
    );
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
}

#[tokio::test]
async fn search_encodes_terms_and_dates() {
    let (server, client) = server(Reply::json(
        200,
        json!({"numFound": "7", "doc": [{"uuid": FILE, "title": "Version Test", "id": "250597", "ext": "PDF",
               "data": {"location": "content", "snippet": {"ib_title": "Version <em>Test</em>"}}}]}),
    ))
    .await;
    let answer = client
        .search()
        .searchterm("*")
        .from_date("2017-01-01T10:20:09Z")
        .folderuuid(FOLDER)
        .send()
        .await
        .unwrap()
        .into_inner();
    only(
        &server,
        "GET",
        "/webapp/1.0/search",
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &folderuuid=06da9efd9e96a973015a5571b65d4b6c&fromDate=2017-01-01T10%3A20%3A09Z&searchterm=*",
    );
    assert_eq!(answer.num_found.unwrap().get(), Some(7));
    assert_eq!(answer.doc.unwrap()[0].id.as_ref().unwrap().as_str(), "250597");
}

#[tokio::test]
async fn sync_takes_typed_entries_and_posts_their_json_as_a_form_field() {
    let (server, client) = server(Reply::json(200, json!({"folders": {"folder": []}, "files": []}))).await;
    let entries = [
        types::SyncRequestEntry {
            folders: vec![FOLDER.into()],
            ..Default::default()
        },
        types::SyncRequestEntry {
            files: vec![types::SyncRequestFile {
                fileuuid: Some(FILE.into()),
                updatedat: Some("2015-01-01 11:00:00".into()),
                ..Default::default()
            }],
            ..Default::default()
        },
    ];
    client.sync(&entries).await.unwrap();
    let r = only(&server, "POST", "/webapp/1.0/sync", SESSION);
    assert_eq!(
        r.text(),
        "sync=%5B%7B%22folders%22%3A%5B%2206da9efd9e96a973015a5571b65d4b6c%22%5D%7D%2C%7B%22files%22%3A%5B%7B\
         %22fileuuid%22%3A%2215e617346a2cc44edd72e59d86559b90%22%2C%22updatedat%22%3A%222015-01-01+11%3A00%3A00%22\
         %7D%5D%7D%5D"
    );
}

#[tokio::test]
async fn comment_answers_with_none_one_or_several_comments_decode() {
    let one = json!({"commentid": "17", "comment": "Looks good", "version": "3"});
    let two = json!({"commentid": 18, "comment": "Ship it"});
    for (answer, want) in [
        (json!({"response": {"comment": one.clone()}}), vec!["17"]),
        (
            json!({"response": {"comment": [one.clone(), two.clone()]}}),
            vec!["17", "18"],
        ),
        (json!({"response": {"comment": []}}), vec![]),
        (json!({"response": {"comment": null}}), vec![]),
        (json!({"response": {}}), vec![]),
    ] {
        let (_server, client) = server(Reply::json(200, answer.clone())).await;
        let got = client.list_comments().fileuuid(FILE).send().await.unwrap().into_inner();
        let ids: Vec<String> = got
            .response
            .and_then(|r| r.comment)
            .map(|c| {
                c.as_slice()
                    .iter()
                    .filter_map(|c| c.commentid.as_ref().map(|i| i.as_str().into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(ids, want, "{answer}");
    }
}

#[tokio::test]
async fn comments_are_listed_and_added_per_file() {
    let (server, client) = server(Reply::json(
        200,
        json!({"response": {"comment": {"commentid": "17", "comment": "Looks good", "version": "3"}}}),
    ))
    .await;
    let answer = client.list_comments().fileuuid(FILE).send().await.unwrap().into_inner();
    let comments = answer.response.unwrap().comment.unwrap();
    assert_eq!(comments.as_slice()[0].commentid.as_ref().unwrap().as_str(), "17");
    only(
        &server,
        "GET",
        "/webapp/1.0/comments",
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &fileuuid=15e617346a2cc44edd72e59d86559b90",
    );

    let (server, client) = self::server(Reply::status(204)).await;
    client
        .add_comment()
        .fileuuid(FILE)
        .body(types::AddCommentForm {
            comment: "Ship it".into(),
        })
        .send()
        .await
        .unwrap();
    let r = only(
        &server,
        "POST",
        "/webapp/1.0/comments",
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &fileuuid=15e617346a2cc44edd72e59d86559b90",
    );
    assert_eq!(r.text(), "comment=Ship+it");
}

#[tokio::test]
async fn icons_and_presets() {
    let (server, client) = server(Reply::bytes(200, vec![0x89, b'P', b'N', b'G'])).await;
    let mut icon = Vec::new();
    client
        .get_icon()
        .name("72c7319b204bef3475c9c696c625e083")
        .type_("file")
        .ext("pdf")
        .write_to(&mut icon)
        .await
        .unwrap();
    assert_eq!(icon, [0x89, b'P', b'N', b'G']);
    only(
        &server,
        "GET",
        "/webapp/1.0/icon",
        "p10=4a0658df9084f078d0cbc506e0f29b57&p20=4717c0b468e7a1d00872f56c81164ec1\
         &ext=pdf&name=72c7319b204bef3475c9c696c625e083&type=file",
    );

    let (server, client) = self::server(Reply::json(
        200,
        json!({"presets": [{"uuid": "p1", "name": "Preset Test", "compressionQuality": "60", "id": 3322362,
               "cropWidth": null}]}),
    ))
    .await;
    let presets = client.list_download_presets().send().await.unwrap().into_inner();
    let preset = &presets.presets.unwrap()[0];
    assert_eq!(preset.compression_quality.as_ref().unwrap().get(), Some(60));
    assert_eq!(preset.id.as_ref().unwrap().as_str(), "3322362");
    only(&server, "GET", "/webapp/1.0/downloadpresets", SESSION);
}

#[tokio::test]
async fn password_reset_is_sent_without_a_session() {
    let server = MockServer::start(|_| Reply::status(204)).await;
    let client = Client::unauthenticated(&server.url()).unwrap();
    client
        .reset_password()
        .body(types::PasswordResetForm {
            p70: "joe.blow@test.com".into(),
            p90: "test.intelligencebank.com".into(),
        })
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_deref()),
        ("POST", "/webapp/1.0/reset", None)
    );
    assert_eq!(r.text(), "p70=joe.blow%40test.com&p90=test.intelligencebank.com");
    assert_eq!(r.header("cookie"), None);
}
