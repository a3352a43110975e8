//! Downloads: a resource's file, or its preview, converted or cropped form (the options of the
//! generated `download_resource` builder), streamed into any `AsyncWrite` without holding it in
//! memory.

use std::path::Path;

use tokio::io::AsyncWrite;

use crate::runtime;
use crate::{Client, Error, builder};

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
