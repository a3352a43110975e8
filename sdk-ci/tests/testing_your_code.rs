// The example of the crate docs' "Testing your code" section (included there verbatim): code that
// uses the SDK, tested against the simulator with `#[tokio::test]`.
#![cfg(feature = "simulator")]

use futures_util::TryStreamExt;
use sdk_ci::simulator::{Blob, Fault, Simulator};
use sdk_ci::types::ContentKind;
use sdk_ci::{Client, Error};

/// The code under test: the names of a folder's assets of at least `min_bytes`.
async fn large_assets(client: &Client, folder_id: &str, min_bytes: i64) -> Result<Vec<String>, Error> {
    let assets: Vec<_> = client
        .folder_contents_stream(folder_id, Some(ContentKind::Asset))
        .try_collect()
        .await?;
    Ok(assets
        .into_iter()
        .filter(|a| a.size.unwrap_or(0) >= min_bytes)
        .filter_map(|a| a.name)
        .collect())
}

#[tokio::test]
async fn finds_the_large_assets_across_pages_and_a_503() -> Result<(), Error> {
    let sim = Simulator::start().await?; // Sony Ci on 127.0.0.1, seeded, no account needed
    let folder = sim.create_folder(sim.root_folder_id(), "Exports")?;
    sim.add_file(&folder, "small.mov", Blob::Bytes(vec![0; 10].into()))?;
    sim.add_file(&folder, "huge.mov", Blob::Generated { len: 5 << 30, seed: 1 })?; // 5 GiB, no memory
    sim.seed_assets(&folder, 120)?; // 122 assets: three pages of 50
    sim.inject(Fault::status(503).retry_after(0).path("/folders/{id}/contents")); // retried by the SDK

    let found = large_assets(&sim.client(), &folder, 1 << 30).await?;

    assert_eq!(found, ["huge.mov"]);
    let pages = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/contents"))
        .count();
    assert_eq!(pages, 4, "three pages, one of them twice");
    Ok(())
}
