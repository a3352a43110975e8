//! A short Mediagraph session: who am I, a search, every tag, the organization's rights packages and
//! webhooks, a download and (optionally) a bulk tagging job and an upload.
//!
//! ```sh
//! MEDIAGRAPH_TOKEN=… MEDIAGRAPH_ORGANIZATION_ID=100 \
//!   cargo run -p sdk-mediagraph --example mediagraph -- https://api.mediagraph.io sunset [photo.jpg]
//! ```
//!
//! Arguments: the API base URL, a search text (default `sunset`) and an optional file to upload.
//! Credentials come from the environment: `MEDIAGRAPH_TOKEN` (a Personal Access Token) and
//! `MEDIAGRAPH_ORGANIZATION_ID`. With `MEDIAGRAPH_BULK_TAG` set, the assets of the first search page
//! get that tag through a bulk job, awaited until it is processed.

use futures_util::TryStreamExt;
use sdk_mediagraph::{Client, DownloadOptions, Error, PollOptions, UploadFile, UploadOptions, types};

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| Error::InvalidInput(format!("set {name}")))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let base_url = args
        .next()
        .unwrap_or_else(|| sdk_mediagraph::auth::DEFAULT_BASE_URL.to_string());
    let query = args.next().unwrap_or_else(|| "sunset".to_string());
    let upload = args.next();

    let client = Client::builder()
        .base_url(&base_url)
        .personal_access_token(env("MEDIAGRAPH_TOKEN")?, env("MEDIAGRAPH_ORGANIZATION_ID")?)
        .build()?;

    let me = client.who_am_i().send().await?;
    println!("signed in as {}", me.name.as_deref().unwrap_or("?"));

    let page = client.search_assets().q(query.as_str()).per_page(10).send().await?;
    let total = sdk_mediagraph::pagination::total_entries(page.headers());
    println!(
        "{} assets on the first page of {query:?} ({total:?} in all)",
        page.assets.len()
    );

    let tags: Vec<_> = client.list_tags().into_stream().try_collect().await?;
    println!("{} tags", tags.len());

    let rights = client.list_rights_packages().send().await?;
    println!("{} rights packages", rights.len());
    let webhooks: Vec<types::Webhook> = client.list_webhooks().page_size(50).into_stream().try_collect().await?;
    for hook in &webhooks {
        println!(
            "webhook {}: {} -> {}",
            hook.name.as_deref().unwrap_or("?"),
            hook.events.as_deref().unwrap_or("?"),
            hook.url.as_deref().unwrap_or("?")
        );
    }

    let first = page
        .assets
        .first()
        .and_then(|a| a.id.as_ref())
        .and_then(|id| id.as_str().parse::<i64>().ok());
    if let Some(id) = first {
        let path = std::env::temp_dir().join(format!("mediagraph-asset-{id}"));
        let report = client
            .download_asset_to_file(id, &path, &DownloadOptions::default())
            .await?;
        println!(
            "downloaded asset {id}: {} bytes ({} resumes) to {}",
            report.bytes,
            report.resumes,
            path.display()
        );
    }

    if let Ok(tag) = std::env::var("MEDIAGRAPH_BULK_TAG") {
        let ids: Vec<i64> = page
            .assets
            .iter()
            .filter_map(|a| a.id.as_ref()?.as_str().parse().ok())
            .collect();
        if !ids.is_empty() {
            let job = types::NewBulkJob::builder()
                .asset_ids(ids)
                .tag_names(vec![tag.clone()])
                .tag_mode(types::TagMode::Add);
            let done = client.run_bulk_job(job, PollOptions::default()).await?;
            println!(
                "tagged {:?} assets with {tag:?}",
                done.total_assets.and_then(|n| n.get())
            );
        }
    }

    if let Some(file) = upload {
        let options = UploadOptions {
            name: Some("sdk-mediagraph example".into()),
            ..Default::default()
        };
        let outcome = client.upload_files(vec![UploadFile::path(file)], &options).await?;
        for asset in &outcome.assets {
            println!(
                "uploaded {} as asset {}",
                asset.filename.as_deref().unwrap_or("?"),
                asset.guid.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(())
}
