//! A short Sony Ci session: sign in, list the workspaces, list the root folder of the first one,
//! and print the rate-limit headers and the refresh token's expiry. Given a file, also upload it
//! into the first workspace with progress (multipart above 10 MiB), read the new asset, and
//! download it back next to the original (`<file>.downloaded`), resumable, with progress.
//!
//! ```sh
//! CI_CLIENT_ID=… CI_CLIENT_SECRET=… CI_USERNAME=… CI_PASSWORD=… \
//!     cargo run -p sdk-ci --example ci -- https://api.cimediacloud.com [FILE]
//! ```
//!
//! `CI_REFRESH_TOKEN` may replace (or accompany) `CI_USERNAME`/`CI_PASSWORD`.

use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use sdk_ci::upload::UploadEvent;
use sdk_ci::{Client, RateLimitExt, Rendition, Resume};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| sdk_ci::auth::DEFAULT_BASE_URL.to_string());
    let (Some(client_id), Some(client_secret)) = (env("CI_CLIENT_ID"), env("CI_CLIENT_SECRET")) else {
        return Err("set CI_CLIENT_ID and CI_CLIENT_SECRET".into());
    };
    let mut builder = Client::builder()
        .base_url(&base_url)
        .client_credentials(client_id, client_secret);
    if let (Some(user), Some(password)) = (env("CI_USERNAME"), env("CI_PASSWORD")) {
        builder = builder.user_credentials(user, password);
    }
    if let Some(refresh) = env("CI_REFRESH_TOKEN") {
        builder = builder.refresh_token(refresh);
    }
    let (client, auth) = builder.build_with_auth()?;

    let page = client.list_workspaces().limit(5).send().await?;
    let limits = page.rate_limit();
    println!(
        "{} workspace(s); rate limit {:?}/{:?} left, resets at {:?}",
        page.count.unwrap_or_default(),
        limits.remaining,
        limits.limit,
        limits.reset
    );
    for workspace in &page.items {
        println!(
            "  {} {}",
            workspace.id.as_deref().unwrap_or("?"),
            workspace.name.as_deref().unwrap_or("")
        );
    }

    if let Some(root) = page.items.first().and_then(|w| w.root_folder_id.clone()) {
        println!("root folder {root}:");
        let mut contents = client.folder_contents_stream(&root, None).take(20).boxed();
        while let Some(item) = contents.try_next().await? {
            println!("  {:?} {}", item.kind, item.name.as_deref().unwrap_or(""));
        }
    }

    if let (Some(file), Some(workspace)) = (std::env::args().nth(2), page.items.first().and_then(|w| w.id.clone())) {
        // Upload, following every step as an event.
        let mut events = std::pin::pin!(client.upload(workspace).events(&file));
        let mut asset_id = None;
        while let Some(event) = events.try_next().await? {
            match event {
                UploadEvent::Started { parts, total, .. } => println!("uploading {total} bytes in {parts} part(s)"),
                UploadEvent::Progress(p) => print!("\r  sent {} of {} bytes", p.done, p.total.unwrap_or(0)),
                UploadEvent::PartStored { part, parts } => println!("\n  part {part} of {parts} stored"),
                UploadEvent::Finished { asset_id: id } => asset_id = Some(id),
                _ => {}
            }
        }
        let asset_id = asset_id.ok_or("the upload ended without an asset id")?;
        let asset = client.get_asset().asset_id(&asset_id).send().await?.into_inner();
        println!(
            "\nasset {asset_id}: {} ({:?})",
            asset.name.as_deref().unwrap_or(""),
            asset.status
        );

        // Download it back through its signed location (no bearer token), resumable.
        let target = format!("{file}.downloaded");
        let options = Resume {
            on_progress: Some(Arc::new(|p| print!("\r  got {} of {:?} bytes", p.done, p.total))),
            ..Resume::default()
        };
        let report = client
            .download_asset_to_file(&asset_id, &Rendition::Source, &target, &options)
            .await?;
        println!(
            "\ndownloaded {} bytes to {target} ({} resumes)",
            report.bytes, report.resumes
        );
    }

    let state = auth.token_state().await;
    println!(
        "signed in; access token expires at {:?}; refresh token {}",
        state.expires_at,
        if state.refresh_token.is_some() {
            "held (persist it with OAuth::token_state)"
        } else {
            "not issued"
        }
    );
    Ok(())
}
