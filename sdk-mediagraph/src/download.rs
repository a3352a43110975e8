//! Streamed asset downloads that resume where they stopped, never joining two versions.
//!
//! `GET /api/assets/{id}/download` honours `Range: bytes=<start>-` with a 206 answer (facts.md).
//! [`Client::download_asset_to`] streams the file into a writer through the runtime's resumable
//! download ([`runtime::download`]): when the connection breaks in the middle of the body it asks
//! again with `Range: bytes=<bytes written>-` and `If-Range: <the first answer's ETag or
//! Last-Modified>`, up to `resume.max_resumes` ([`DownloadOptions::resume`]) times. A 206 must start exactly at the
//! requested byte and keep the file's total size; a whole-file 200 on a resume is accepted only with
//! the same validator (the range was ignored, the file is the same); anything else is
//! [`Error::Changed`] — into a file ([`Client::download_asset_to_file`]) the download then starts
//! again from zero. An error answer is never written.

use crate::runtime::{self, Resume};
use crate::{Client, Error, types};

pub use crate::runtime::DownloadReport;

/// Settings of a download.
#[derive(Clone, Default)]
pub struct DownloadOptions {
    /// The largest rendition to download (`size`; default: the service's, the original).
    pub size: Option<types::DownloadSize>,
    /// The data version to download (`version_number`; default the current one).
    pub version_number: Option<i64>,
    /// Ask for the watermarked file (`watermarked`).
    pub watermarked: Option<bool>,
    /// Do not write metadata into the file (`skip_meta`), so size and MD5 match the original.
    pub skip_meta: Option<bool>,
    /// The name of the integration making the call (`via`).
    pub via: Option<String>,
    /// Where to start, how often to resume, and a progress callback (default: from byte 0, 3
    /// resumes, no callback).
    pub resume: Resume,
}

impl std::fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("size", &self.size)
            .field("version_number", &self.version_number)
            .field("watermarked", &self.watermarked)
            .field("skip_meta", &self.skip_meta)
            .field("via", &self.via)
            .field("resume", &self.resume)
            .finish()
    }
}

impl Client {
    /// The request of `GET /api/assets/{id}/download` with the options' query.
    fn download_request(&self, id: i64, options: &DownloadOptions) -> Result<reqwest::Request, Error> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(size) = &options.size {
            query.push(("size", size.to_string()));
        }
        if let Some(skip) = options.skip_meta {
            query.push(("skip_meta", skip.to_string()));
        }
        if let Some(v) = options.version_number {
            query.push(("version_number", v.to_string()));
        }
        if let Some(via) = &options.via {
            query.push(("via", via.clone()));
        }
        if let Some(w) = options.watermarked {
            query.push(("watermarked", w.to_string()));
        }
        let url = format!("{}/api/assets/{id}/download", self.baseurl);
        Ok(self.client.get(url).query(&query).build()?)
    }

    /// Downloads an asset's file into `writer`, streaming, and resumes with a `Range` request when
    /// the transfer breaks (see the [module docs](crate::download)). Returns what was written.
    ///
    /// Errors: an error answer is [`Error::Api`] (nothing written); a transfer that still breaks
    /// after `max_resumes` resumes is [`Error::Transport`]; a file that changed meanwhile is
    /// [`Error::Changed`]; a 206 answer that does not start at the requested byte is
    /// [`Error::Decode`]; a failing writer is [`Error::Io`].
    pub async fn download_asset_to<W>(
        &self,
        id: i64,
        writer: &mut W,
        options: &DownloadOptions,
    ) -> Result<DownloadReport, Error>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        let request = self.download_request(id, options)?;
        runtime::download(
            &self.client,
            &self.inner,
            "download_asset",
            request,
            writer,
            &options.resume,
        )
        .await
    }

    /// Downloads an asset's file into a new file at `path` (created or truncated); see
    /// [`download_asset_to`](Self::download_asset_to). A file that changes during the transfer is
    /// downloaded again from zero.
    pub async fn download_asset_to_file(
        &self,
        id: i64,
        path: impl AsRef<std::path::Path>,
        options: &DownloadOptions,
    ) -> Result<DownloadReport, Error> {
        let request = self.download_request(id, options)?;
        runtime::download_to_file(
            &self.client,
            &self.inner,
            "download_asset",
            request,
            path.as_ref(),
            &options.resume,
        )
        .await
    }
}
