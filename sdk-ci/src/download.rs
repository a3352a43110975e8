//! Downloads of an asset's source file or one of its proxies, streamed and resumable.
//!
//! `GET /assets/{assetId}/download` (generated `get_asset_download`; not in the provider's
//! document, facts.md) answers signed CDN URLs, valid for hours: `location` for the source file,
//! and one `location` per proxy in `proxies`. Those URLs were handed out by the service, so they
//! are fetched **without** the bearer token ([`ClientState::storage`](crate::runtime::ClientState::storage)),
//! whatever their host.
//!
//! The transfer is [`runtime::download`]: the body is streamed into any `AsyncWrite` (or a file),
//! never held in memory; a connection that breaks mid-body is resumed with `Range: bytes=<n>-` and
//! `If-Range` set to the first answer's validator, so a file that changed in between is never
//! spliced onto the old bytes ([`Error::Changed`]; [`Client::download_asset_to_file`] then starts
//! the file again from zero, once); an error answer is [`Error::Api`] and nothing of it is written.
//! Progress is reported through [`Resume::on_progress`].
//!
//! ```no_run
//! # async fn run(client: &sdk_ci::Client) -> Result<(), sdk_ci::Error> {
//! use std::sync::Arc;
//! use sdk_ci::download::Rendition;
//! use sdk_ci::runtime::Resume;
//! use sdk_ci::types::ProxyType;
//!
//! let options = Resume {
//!     on_progress: Some(Arc::new(|p| println!("{} of {:?} bytes", p.done, p.total))),
//!     ..Resume::default()
//! };
//! client.download_asset_to_file("asset-id", &Rendition::Source, "interview.mov", &options).await?;
//! client
//!     .download_asset_to_file("asset-id", &Rendition::Proxy(ProxyType::VideoHd), "preview.mp4", &options)
//!     .await?;
//! # Ok(()) }
//! ```

use std::path::Path;

use crate::runtime::{self, DownloadReport, Resume};
use crate::{Client, Error, types};

/// The operation name downloads run under (tracing spans and errors).
const OPERATION: &str = "download_asset";

/// Which file of an asset to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendition {
    /// The source file (`location`).
    Source,
    /// The preview proxy of this type (`proxies[].location`).
    Proxy(types::ProxyType),
}

impl Client {
    /// The signed URL of an asset's source file or proxy, from one `get_asset_download` call.
    /// An asset without the asked-for proxy is [`Error::InvalidInput`] naming the proxies it has;
    /// an answer without a location is [`Error::Decode`].
    pub async fn asset_location(&self, asset_id: &str, rendition: &Rendition) -> Result<String, Error> {
        let answer = self.get_asset_download().asset_id(asset_id).send().await?.into_inner();
        let location = match rendition {
            Rendition::Source => answer.location,
            Rendition::Proxy(kind) => {
                let proxy = answer.proxies.iter().find(|p| p.type_.as_ref() == Some(kind));
                let Some(proxy) = proxy else {
                    let available: Vec<String> = answer
                        .proxies
                        .iter()
                        .filter_map(|p| p.type_.as_ref().map(ToString::to_string))
                        .collect();
                    return Err(Error::InvalidInput(format!(
                        "asset {asset_id} has no {kind} proxy (it has: {})",
                        if available.is_empty() {
                            "none".to_string()
                        } else {
                            available.join(", ")
                        }
                    )));
                };
                proxy.location.clone()
            }
        };
        location.filter(|l| !l.trim().is_empty()).ok_or_else(|| {
            Error::decode(
                "get_asset_download",
                format!("the answer for asset {asset_id} has no location for {rendition:?}"),
            )
        })
    }

    /// Downloads an asset's source file or proxy into `writer`: asks for its signed location,
    /// then streams it, resuming after broken connections (see the [module docs](self)).
    pub async fn download_asset<W>(
        &self,
        asset_id: &str,
        rendition: &Rendition,
        writer: &mut W,
        options: &Resume,
    ) -> Result<DownloadReport, Error>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        let location = self.asset_location(asset_id, rendition).await?;
        self.download_location(&location, writer, options).await
    }

    /// [`download_asset`](Self::download_asset) into a new file at `path` (created or
    /// truncated; [`Resume::offset`] is not used). When the remote file changes during the
    /// transfer, the file is truncated and the download starts again from zero, once.
    pub async fn download_asset_to_file(
        &self,
        asset_id: &str,
        rendition: &Rendition,
        path: impl AsRef<Path>,
        options: &Resume,
    ) -> Result<DownloadReport, Error> {
        let location = self.asset_location(asset_id, rendition).await?;
        let request = self.location_request(&location)?;
        let storage = self.inner.storage();
        runtime::download_to_file(&self.client, &storage, OPERATION, request, path.as_ref(), options).await
    }

    /// Streams a signed location the service handed out (a `location` of `get_asset_download`, a
    /// thumbnail's `location`, …) into `writer`, without the bearer token, resuming after broken
    /// connections. A URL that does not parse is [`Error::InvalidInput`].
    pub async fn download_location<W>(
        &self,
        location: &str,
        writer: &mut W,
        options: &Resume,
    ) -> Result<DownloadReport, Error>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        let request = self.location_request(location)?;
        let storage = self.inner.storage();
        runtime::download(&self.client, &storage, OPERATION, request, writer, options).await
    }

    /// A bodiless GET of a signed location.
    fn location_request(&self, location: &str) -> Result<reqwest::Request, Error> {
        let url = reqwest::Url::parse(location)
            .map_err(|e| Error::InvalidInput(format!("the download location is not a URL: {e}")))?;
        Ok(self.client.get(url).build()?)
    }
}
