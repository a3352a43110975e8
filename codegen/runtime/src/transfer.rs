//! Streaming file bodies and downloads into writers.

use futures::{Stream, StreamExt};

use crate::Error;

/// Copies a byte stream into a writer; returns the number of bytes written.
pub async fn copy_to_writer<S, W>(stream: S, writer: &mut W) -> Result<u64, Error>
where
    S: Stream<Item = reqwest::Result<bytes::Bytes>>,
    W: tokio::io::AsyncWrite + Unpin + ?Sized,
{
    use tokio::io::AsyncWriteExt;
    let mut stream = std::pin::pin!(stream);
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        writer.write_all(&chunk).await?;
        written += chunk.len() as u64;
    }
    writer.flush().await?;
    Ok(written)
}

/// A streaming request body over a local file, with its length and file name. The file is read as
/// it is sent, never held in memory.
pub async fn file_body(path: &std::path::Path) -> Result<(reqwest::Body, u64, String), Error> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::InvalidInput(format!("{} has no UTF-8 file name", path.display())))?
        .to_string();
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| Error::InvalidInput(format!("cannot open the file to upload, {}: {e}", path.display())))?;
    let len = file.metadata().await?.len();
    Ok((
        reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file)),
        len,
        name,
    ))
}
