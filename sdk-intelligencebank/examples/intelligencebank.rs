//! A short IntelligenceBank session: log in, list the root folder and the first folder's resources,
//! search (v2, then v3 with the newest hits first), and optionally download the first hit.
//!
//! ```sh
//! IB_EMAIL=me@acme.com IB_PASSWORD=... \
//!   cargo run -p sdk-intelligencebank --example intelligencebank -- acme.intelligencebank.com
//! ```
//!
//! Arguments: the platform domain (or URL), then optionally the API base URL (skips discovery, e.g.
//! `https://apiau.intelligencebank.com` or a local test server). Environment: `IB_EMAIL` and
//! `IB_PASSWORD` (a password login), or `IB_SSO=1` (a browser login: open the printed URL);
//! `IB_PRODUCT_KEY` (optional); `IB_SEARCH` (default `*`); `IB_DOWNLOAD_TO` (a directory: download
//! the first search hit there).

use std::num::NonZeroU64;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use sdk_intelligencebank::Client;
use sdk_intelligencebank::v3::{Direction, SearchParams, Table};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(platform) = args.next() else {
        eprintln!("usage: intelligencebank <platform domain or URL> [API base URL]");
        std::process::exit(2);
    };
    let api_base_url = args.next();

    let mut builder = Client::builder().platform(&platform);
    if let Some(url) = &api_base_url {
        builder = builder.api_base_url(url);
    }
    if let Ok(key) = std::env::var("IB_PRODUCT_KEY") {
        builder = builder.product_key(key);
    }
    let client = if std::env::var("IB_SSO").is_ok_and(|v| v == "1") {
        let sso = builder.start_sso().await?;
        println!("open this page in a browser and log in:\n  {}", sso.login_url());
        let session = sso.wait(Duration::from_secs(3), Duration::from_secs(300)).await?;
        Client::from_session(session)?
    } else {
        let (Ok(email), Ok(password)) = (std::env::var("IB_EMAIL"), std::env::var("IB_PASSWORD")) else {
            eprintln!("set IB_EMAIL and IB_PASSWORD (or IB_SSO=1)");
            std::process::exit(2);
        };
        builder.credentials(email, password).build().await?
    };

    let root = client.get_root_folder().send().await?.into_inner();
    let folders = root.response.and_then(|r| r.folder).unwrap_or_default();
    println!("{} folders at the root", folders.len());
    for folder in folders.iter().take(10) {
        println!(
            "  {} {}",
            folder.folderuuid.as_deref().unwrap_or("?"),
            folder.name.as_deref().unwrap_or("")
        );
    }
    if let Some(uuid) = folders.first().and_then(|f| f.folderuuid.as_deref()) {
        let resources: Vec<_> = client
            .folder_resources(uuid, NonZeroU64::new(50).unwrap_or(NonZeroU64::MIN))
            .try_collect()
            .await?;
        println!("{} resources in the first folder", resources.len());
    }

    let term = std::env::var("IB_SEARCH").unwrap_or_else(|_| "*".into());
    let hits = client.search().searchterm(&term).send().await?.into_inner();
    let count = hits.num_found.as_ref().and_then(|n| n.get()).unwrap_or(0);
    println!("search {term:?}: {count} hits");

    // The same search on v3 (same session): the ten newest hits, with the total.
    let newest = Table::resource().order("lastUpdateTime", Direction::Descending);
    let search = SearchParams::new().keywords(&term).verbose(true);
    let page = client.v3().list_resources(&newest.clone().limit(0, 10), &search).await;
    match page {
        Ok(page) => {
            let rows = page.response.unwrap_or_default();
            let total = rows.count.and_then(|c| c.get()).unwrap_or(0);
            println!("v3 search {term:?}: {total} hits, newest first:");
            for r in &rows.rows {
                println!(
                    "  {} {}",
                    r.id.as_deref().unwrap_or("?"),
                    r.name.as_deref().unwrap_or("")
                );
            }
            let per_page = NonZeroU64::new(100).unwrap_or(NonZeroU64::MIN);
            let first_200: Vec<_> = client
                .v3()
                .resources(newest, search, per_page)
                .take(200)
                .collect()
                .await;
            println!("  paged through {} of them", first_200.len());
        }
        // A session whose login named no v3 host cannot use v3.
        Err(e) => println!("v3 is not available: {e}"),
    }

    if let Ok(dir) = std::env::var("IB_DOWNLOAD_TO") {
        let first = hits.doc.unwrap_or_default().into_iter().find_map(|h| h.file);
        if let Some(file) = first
            && let Some(fileuuid) = &file.fileuuid
        {
            let name = file.origfilename.clone().unwrap_or_else(|| fileuuid.clone());
            let path = std::path::Path::new(&dir).join(name);
            let bytes = client.download_to_file(fileuuid, &path).await?;
            println!("downloaded {bytes} bytes to {}", path.display());
        }
    }
    Ok(())
}
