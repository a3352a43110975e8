//! A short Skyfish session: log in, say who we are, list folders, search, and optionally upload a
//! file, then give it a title, byline and keywords and tag its folder (calls beyond the provider's
//! document), and, for a video, wait for its stream URL.
//!
//! ```sh
//! SKYFISH_KEY=… SKYFISH_SECRET=… SKYFISH_USERNAME=… SKYFISH_PASSWORD=… \
//!     cargo run -p sdk-skyfish --example skyfish -- https://api.colourbox.com [QUERY] [FOLDER_ID FILE [video]]
//! ```
//!
//! `SKYFISH_TOKEN` may replace the four login variables. Set `RUST_LOG`-style tracing up yourself
//! if you want to see the `dam_request` spans.

use std::process::ExitCode;

use futures_util::{StreamExt, TryStreamExt};
use sdk_skyfish::types::{LocalizedKeywords, LocalizedText, MetadataText, ReturnValue, TagList};
use sdk_skyfish::{Client, Error, PollOptions};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn client(base_url: &str) -> Result<Client, Error> {
    let mut builder = Client::builder().base_url(base_url);
    if let Some(token) = env("SKYFISH_TOKEN") {
        builder = builder.token(token);
    }
    if let (Some(key), Some(secret), Some(user), Some(password)) = (
        env("SKYFISH_KEY"),
        env("SKYFISH_SECRET"),
        env("SKYFISH_USERNAME"),
        env("SKYFISH_PASSWORD"),
    ) {
        builder = builder.credentials(key, secret, user, password);
    }
    builder.build()
}

async fn run(args: &[String]) -> Result<(), Error> {
    let base_url = &args[0];
    let query = args.get(1).map(String::as_str).unwrap_or("cat");
    let client = client(base_url)?;

    let me = client.get_whoami().send().await?.into_inner();
    println!("signed in as {}", serde_json::Value::Object(me.0));

    let folders = client.list_folders().send().await?.into_inner();
    println!("{} folders", folders.len());
    for folder in folders.iter().take(10) {
        println!(
            "  {} {}",
            folder.id.as_ref().map(ToString::to_string).unwrap_or_default(),
            folder.name.as_deref().unwrap_or("")
        );
    }

    let hits: Vec<_> = client
        .search_media()
        .q(query)
        .return_values(vec![ReturnValue::UniqueMediaId, ReturnValue::Title])
        .into_stream(25)
        .take(25)
        .try_collect()
        .await?;
    println!("first {} hits for {query:?}:", hits.len());
    for hit in &hits {
        println!(
            "  {} {}",
            hit.unique_media_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            hit.title.as_deref().unwrap_or("")
        );
    }

    if let (Some(folder), Some(file)) = (args.get(2), args.get(3)) {
        let media_id = client
            .upload(folder.as_str())
            .wait_for_import(PollOptions::default())
            .on_import_progress(|p| println!("  importing: {:?}%", p.percent()))
            .file(file)
            .await?;
        println!("uploaded {file} as media {media_id}");

        // Per-field metadata: language-keyed title, a bare JSON string byline, keywords by id list.
        let name = std::path::Path::new(file)
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or("upload");
        client
            .set_media_title()
            .id(media_id.clone())
            .body(LocalizedText([("en".into(), name.into())].into()))
            .send()
            .await?;
        client
            .set_media_byline()
            .id(media_id.clone())
            .body(MetadataText("dam-sdks example".into()))
            .send()
            .await?;
        client
            .add_media_keywords()
            .ids(vec![media_id.to_string()])
            .body(LocalizedKeywords([("en".into(), vec!["example".into()])].into()))
            .send()
            .await?;
        client
            .add_folder_tags()
            .id(folder.as_str())
            .body(TagList(vec!["dam-sdks".into()]))
            .send()
            .await?;
        println!("tagged media {media_id} and folder {folder}");

        if args.get(4).map(String::as_str) == Some("video") {
            let url = client.video_stream_url(media_id, PollOptions::default()).await?;
            println!("stream: {url}");
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: skyfish BASE_URL [QUERY] [FOLDER_ID FILE [video]]  (credentials in SKYFISH_* variables)");
        return ExitCode::from(2);
    }
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
