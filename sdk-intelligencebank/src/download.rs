//! Downloads: a resource's file, or its preview, converted or cropped form (the options of the
//! generated `download_resource` builder), streamed into any `AsyncWrite` without holding it in
//! memory.
//!
//! [`Client::download_resumable`] fetches a resource's file (`GET /webapp/1.0/resources?fileuuid=…`)
//! through the runtime's resumable download: a transfer that breaks off is asked for again from the
//! first missing byte (`Range: bytes=<n>-` with `If-Range` set to the first answer's `ETag`), and a
//! callback sees the progress.

use std::path::Path;

use reqwest::Url;
use tokio::io::AsyncWrite;

use crate::runtime::{self, DownloadReport, Resume};
use crate::{Client, Error, builder};

/// The URL of v2 downloads.
const RESOURCES_PATH: &str = "/webapp/1.0/resources";

impl builder::DownloadResource<'_> {
    /// Sends the download request and streams the file into `writer`; returns the number of bytes
    /// written. An error answer is [`Error::Api`]; a transfer cut off midway is
    /// [`Error::Transport`] (what was written before stays in `writer`).
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_intelligencebank::Client) -> Result<(), sdk_intelligencebank::Error> {
    /// use sdk_intelligencebank::types::SizePercent;
    /// let mut file = tokio::fs::File::create("half.jpg").await?;
    /// client
    ///     .download_resource()
    ///     .fileuuid("15e617346a2cc44edd72e59d86559b90")
    ///     .ext("jpg")
    ///     .size(SizePercent::Percent50)
    ///     .write_to(&mut file)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn write_to<W>(self, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let response = self.send().await?;
        runtime::copy_to_writer(response.into_inner_stream(), writer).await
    }
}

impl builder::GetIcon<'_> {
    /// Sends the icon request and streams the image into `writer`; returns the number of bytes
    /// written.
    pub async fn write_to<W>(self, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let response = self.send().await?;
        runtime::copy_to_writer(response.into_inner_stream(), writer).await
    }
}

impl Client {
    /// Downloads a resource's file into `writer`, resuming a broken transfer from where it broke
    /// off and reporting progress ([`Resume`]: a starting offset, how often to resume, a progress
    /// callback): `GET /webapp/1.0/resources?fileuuid=…[&version=…]`. `version` picks a version
    /// (the current one when `None`). Answers what was written and how often it was resumed.
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_intelligencebank::Client) -> Result<(), sdk_intelligencebank::Error> {
    /// use std::sync::Arc;
    /// use sdk_intelligencebank::runtime::Resume;
    ///
    /// let resume = Resume {
    ///     on_progress: Some(Arc::new(|p| println!("{} of {:?} bytes", p.done, p.total))),
    ///     ..Resume::default()
    /// };
    /// let mut file = tokio::fs::File::create("report.pdf").await?;
    /// let report = client
    ///     .download_resumable("15e617346a2cc44edd72e59d86559b90", None, &mut file, &resume)
    ///     .await?;
    /// println!("{} bytes, resumed {} times", report.bytes, report.resumes);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn download_resumable<W>(
        &self,
        fileuuid: &str,
        version: Option<i64>,
        writer: &mut W,
        options: &Resume,
    ) -> Result<DownloadReport, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        if fileuuid.trim().is_empty() {
            return Err(Error::InvalidInput("a download needs the resource's fileuuid".into()));
        }
        let mut url = Url::parse(&format!("{}{RESOURCES_PATH}", self.baseurl))
            .map_err(|e| Error::InvalidInput(format!("the API base URL is not a URL: {e}")))?;
        url.query_pairs_mut().append_pair("fileuuid", fileuuid);
        if let Some(version) = version {
            url.query_pairs_mut().append_pair("version", &version.to_string());
        }
        let request = self.client.get(url).build()?;
        runtime::download(&self.client, &self.inner, "download_resource", request, writer, options).await
    }

    /// Downloads the current file of the resource `fileuuid` into a new file at `path` (replacing
    /// an existing one); returns the number of bytes written. A failed download removes the
    /// partial file. For previews, conversions, crops and versions use
    /// [`download_resource`](Client::download_resource) and
    /// [`write_to`](builder::DownloadResource::write_to).
    pub async fn download_to_file(&self, fileuuid: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        let path = path.as_ref();
        let mut file = tokio::fs::File::create(path).await?;
        let result = self.download_resource().fileuuid(fileuuid).write_to(&mut file).await;
        if result.is_err() {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
        }
        result
    }
}
