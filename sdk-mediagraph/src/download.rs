//! Streamed asset downloads that resume where they stopped.
//!
//! `GET /api/assets/{id}/download` honours `Range: bytes=<start>-` with a 206 answer (facts.md).
//! [`Client::download_asset_to`] streams the file into a writer; when the connection breaks in
//! the middle of the body it asks again with `Range: bytes=<bytes written>-` and appends what
//! follows, up to [`DownloadOptions::max_resumes`] times. A 206 answer must start exactly at the
//! requested byte (`Content-Range`); a server that ignores the range and answers 200 with the
//! whole file is handled by skipping the bytes already written.

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::{Client, Error, types};

/// Settings of a download.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Start at this byte of the file (e.g. the length of a partial file on disk). The bytes
    /// before it are not written.
    pub offset: u64,
    /// How many times a broken transfer is resumed before the error is returned (default 3).
    pub max_resumes: u32,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            size: None,
            version_number: None,
            watermarked: None,
            skip_meta: None,
            via: None,
            offset: 0,
            max_resumes: 3,
        }
    }
}

/// What a download wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadReport {
    /// Bytes written to the writer.
    pub bytes: u64,
    /// How many times the transfer was resumed after a broken connection.
    pub resumes: u32,
    /// The file's full size, when the service told it (`Content-Length` or `Content-Range`).
    pub total: Option<u64>,
}

/// Reads `bytes <first>-<last>/<total>`; the total is `None` when it is `*`.
fn content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (first, _) = range.split_once('-')?;
    Some((first.trim().parse().ok()?, total.trim().parse().ok()))
}

fn mismatch(message: String) -> Error {
    Error::decode("download_asset", message)
}

impl Client {
    /// Downloads an asset's file into `writer`, streaming, and resumes with a `Range` request when
    /// the transfer breaks (see the [module docs](crate::download)). Returns what was written.
    ///
    /// Errors: an error answer is [`Error::Api`]; a transfer that still breaks after
    /// `max_resumes` resumes is [`Error::Transport`]; a 206 answer that does not start at the
    /// requested byte is [`Error::Decode`]; a failing writer is [`Error::Io`].
    pub async fn download_asset_to<W>(
        &self,
        id: i64,
        writer: &mut W,
        options: &DownloadOptions,
    ) -> Result<DownloadReport, Error>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        let mut written = 0u64;
        let mut resumes = 0u32;
        let mut total: Option<u64> = None;
        'attempts: loop {
            let position = options.offset + written;
            let mut request = self.download_asset().id(id);
            if let Some(size) = &options.size {
                request = request.size(size.clone());
            }
            if let Some(v) = options.version_number {
                request = request.version_number(v);
            }
            if let Some(w) = options.watermarked {
                request = request.watermarked(w);
            }
            if let Some(s) = options.skip_meta {
                request = request.skip_meta(s);
            }
            if let Some(via) = &options.via {
                request = request.via(via.clone());
            }
            if position > 0 {
                request = request.range(format!("bytes={position}-"));
            }
            let response = match request.send().await {
                Ok(response) => response,
                // Everything was written and the range is now past the end.
                Err(e) if e.status().map(|s| s.as_u16()) == Some(416) && total == Some(position) => break,
                Err(e) => return Err(e),
            };
            let mut skip = 0u64;
            match response.status().as_u16() {
                206 => {
                    let header = response
                        .headers()
                        .get(reqwest::header::CONTENT_RANGE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    let (first, size) = content_range(header)
                        .ok_or_else(|| mismatch(format!("a 206 answer without a valid Content-Range ({header:?})")))?;
                    if first != position {
                        return Err(mismatch(format!(
                            "asked for bytes from {position}, the answer starts at {first}"
                        )));
                    }
                    total = size.or(total);
                }
                _ => {
                    // The whole file (no range asked, or the range was ignored): skip what is
                    // already written.
                    skip = position;
                    total = response.content_length().or(total);
                }
            }
            let mut body = response.into_inner().into_inner();
            while let Some(chunk) = body.next().await {
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(e) if resumes < options.max_resumes => {
                        resumes += 1;
                        tracing::debug!(
                            error = %Error::from(e),
                            written = options.offset + written,
                            resumes,
                            "download broke; resuming"
                        );
                        tokio::time::sleep(self.inner.retry_policy().backoff(resumes)).await;
                        continue 'attempts;
                    }
                    Err(e) => return Err(e.into()),
                };
                let mut data = &chunk[..];
                if skip > 0 {
                    let n = skip.min(data.len() as u64);
                    data = &data[n as usize..];
                    skip -= n;
                }
                writer.write_all(data).await?;
                written += data.len() as u64;
            }
            if skip > 0 {
                return Err(mismatch(format!(
                    "the file ended before byte {position} (the bytes already written)"
                )));
            }
            // A body that ended cleanly but short of the announced size is resumed too.
            if let Some(size) = total.filter(|&size| options.offset + written < size) {
                if resumes < options.max_resumes {
                    resumes += 1;
                    continue;
                }
                return Err(mismatch(format!(
                    "the transfer ended at byte {} of {size}",
                    options.offset + written
                )));
            }
            break;
        }
        writer.flush().await?;
        Ok(DownloadReport {
            bytes: written,
            resumes,
            total,
        })
    }

    /// Downloads an asset's file into a new file at `path` (created or truncated); see
    /// [`download_asset_to`](Self::download_asset_to).
    pub async fn download_asset_to_file(
        &self,
        id: i64,
        path: impl AsRef<std::path::Path>,
        options: &DownloadOptions,
    ) -> Result<DownloadReport, Error> {
        let mut file = tokio::fs::File::create(path).await?;
        let report = self.download_asset_to(id, &mut file, options).await?;
        file.sync_all().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(content_range("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(content_range("items 1-2/3"), None);
        assert_eq!(content_range(""), None);
    }
}
