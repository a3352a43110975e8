//! Streaming transfers: file bodies read in large chunks, and downloads that resume where they
//! broke off without ever joining two versions of a file.
//!
//! # Resumed downloads
//!
//! [`download`] streams an answer into any `AsyncWrite`. When the connection breaks mid-body it
//! asks again from the first missing byte (`Range: bytes=<n>-`) with `If-Range` set to the first
//! answer's validator (a strong `ETag`, else `Last-Modified`), so a service whose file changed
//! answers 200 with the new version instead of a 206 of it. The rules:
//!
//! - a 206 must start exactly at the requested byte and report the same total size;
//! - a 200 on a resume is accepted only when its validator equals the first answer's (the service
//!   ignored the range but the file is the same): the bytes already written are skipped;
//! - anything else — a 200 with another or no validator, another total, another validator on a 206
//!   — is [`Error::Changed`]: nothing of the new version is written. [`download_to_file`] then
//!   truncates the file and starts again from zero (once);
//! - an error answer (4xx/5xx, whatever its body) is [`Error::Api`] and never written.

use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use http::{HeaderMap, HeaderValue, StatusCode};
use tokio::io::AsyncWriteExt;

use crate::{ClientState, Error, Idempotency};

/// Files are read this much at a time for upload bodies.
pub const FILE_CHUNK: usize = 256 * 1024;

/// Chunks read ahead of the connection by an upload body's reader.
const READ_AHEAD: usize = 4;

/// At most `limit` bytes of `file` from where it stands, in [`FILE_CHUNK`] pieces, for an upload
/// body. One blocking task reads them and stays a few chunks ahead of the connection (at most
/// 1 MiB held); each chunk is read straight into the buffer that is sent — no copy out of an
/// intermediate buffer and no blocking-pool hop per chunk, as `tokio::fs::File` under a
/// `ReaderStream` takes. Reading stops when the stream is dropped. Needs a Tokio runtime.
pub fn file_chunks(
    file: std::fs::File,
    limit: u64,
) -> impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    use std::io::Read;
    let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut file = file.take(limit);
        loop {
            let mut chunk = Vec::with_capacity(FILE_CHUNK);
            let read = (&mut file).take(FILE_CHUNK as u64).read_to_end(&mut chunk);
            let last = !matches!(read, Ok(n) if n == FILE_CHUNK);
            let item = read.map(|_| bytes::Bytes::from(chunk));
            if matches!(&item, Ok(c) if c.is_empty()) || tx.blocking_send(item).is_err() || last {
                return;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) })
}

/// Opens a file to upload: its chunks, its length and its file name.
async fn open_upload(
    path: &std::path::Path,
) -> Result<
    (
        impl Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
        u64,
        String,
    ),
    Error,
> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::InvalidInput(format!("{} has no UTF-8 file name", path.display())))?
        .to_string();
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| Error::InvalidInput(format!("cannot open the file to upload, {}: {e}", path.display())))?;
    let len = file.metadata().await?.len();
    Ok((file_chunks(file.into_std().await, len), len, name))
}

/// Copies a byte stream into a writer; returns the number of bytes written.
pub async fn copy_to_writer<S, W>(stream: S, writer: &mut W) -> Result<u64, Error>
where
    S: Stream<Item = reqwest::Result<bytes::Bytes>>,
    W: tokio::io::AsyncWrite + Unpin + ?Sized,
{
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

/// A streaming request body over a local file, with its length and file name. The file is read in
/// [`FILE_CHUNK`] pieces as it is sent, never held in memory. A missing or unreadable file is
/// [`Error::InvalidInput`] naming it, before anything is sent.
pub async fn file_body(path: &std::path::Path) -> Result<(reqwest::Body, u64, String), Error> {
    let (chunks, len, name) = open_upload(path).await?;
    Ok((reqwest::Body::wrap_stream(chunks), len, name))
}

/// A streaming request body over a local file, like [`file_body`], that reports each chunk as it is
/// handed to the connection: `on_progress` gets the bytes sent so far and the file's length.
pub async fn file_body_with_progress(
    path: &std::path::Path,
    on_progress: Option<OnProgress>,
) -> Result<(reqwest::Body, u64, String), Error> {
    let Some(report) = on_progress else {
        return file_body(path).await;
    };
    let (chunks, len, name) = open_upload(path).await?;
    Ok((counting_body(chunks, len, report), len, name))
}

/// A body over `stream` that reports the bytes sent so far (of `total`) as each chunk leaves.
pub fn counting_body<S>(stream: S, total: u64, on_progress: OnProgress) -> reqwest::Body
where
    S: Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
{
    let mut sent = 0u64;
    reqwest::Body::wrap_stream(stream.inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            sent += chunk.len() as u64;
            on_progress(Progress {
                done: sent,
                total: Some(total),
            });
        }
    }))
}

/// Progress of a transfer: bytes done so far and the total when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes sent or written so far (including a download's starting offset).
    pub done: u64,
    /// The whole size, when known.
    pub total: Option<u64>,
}

/// A progress callback.
pub type OnProgress = Arc<dyn Fn(Progress) + Send + Sync>;

/// Settings of a resumable [`download`].
#[derive(Clone)]
pub struct Resume {
    /// Start at this byte of the file (e.g. the length of a partial file on disk); the bytes
    /// before it are not written.
    pub offset: u64,
    /// How many times a broken transfer is resumed before its error is returned (default 3).
    pub max_resumes: u32,
    /// Called as bytes are written.
    pub on_progress: Option<OnProgress>,
}

impl Default for Resume {
    fn default() -> Self {
        Self {
            offset: 0,
            max_resumes: 3,
            on_progress: None,
        }
    }
}

impl std::fmt::Debug for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resume")
            .field("offset", &self.offset)
            .field("max_resumes", &self.max_resumes)
            .field("on_progress", &self.on_progress.as_ref().map(|_| "callback"))
            .finish()
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
pub fn content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (first, _) = range.split_once('-')?;
    Some((first.trim().parse().ok()?, total.trim().parse().ok()))
}

/// The validator `If-Range` can use: a strong `ETag`, else `Last-Modified`.
fn validator(headers: &HeaderMap) -> Option<HeaderValue> {
    headers
        .get(http::header::ETAG)
        .filter(|v| !v.as_bytes().starts_with(b"W/"))
        .or_else(|| headers.get(http::header::LAST_MODIFIED))
        .cloned()
}

/// Streams the answer to `request` (a GET without body) into `writer`, resuming after broken
/// connections. When the connection breaks mid-body it asks again from the first missing byte
/// (`Range: bytes=<n>-`) with `If-Range` set to the first answer's validator (a strong `ETag`, else
/// `Last-Modified`). A 206 must start at the requested byte and report the same total size; a
/// whole-file 200 on a resume is accepted only with the same validator (its first bytes are
/// skipped); anything else is [`Error::Changed`] and nothing of the new version is written. An
/// error answer is [`Error::Api`] and never written. `state` decides the credentials: the API's for
/// an API path, [`ClientState::storage`] for a URL the service handed out.
pub async fn download<W>(
    http: &reqwest::Client,
    state: &ClientState,
    operation: &'static str,
    request: reqwest::Request,
    writer: &mut W,
    options: &Resume,
) -> Result<DownloadReport, Error>
where
    W: tokio::io::AsyncWrite + Unpin + ?Sized,
{
    let mut written = 0u64;
    let mut resumes = 0u32;
    let mut total: Option<u64> = None;
    let mut first_validator: Option<HeaderValue> = None;
    let mut answered = false;
    'attempts: loop {
        let position = options.offset + written;
        let mut attempt = request
            .try_clone()
            .ok_or_else(|| Error::InvalidInput("a download request cannot have a streamed body".into()))?;
        if position > 0 {
            let range = HeaderValue::from_str(&format!("bytes={position}-")).expect("digits are header text");
            attempt.headers_mut().insert(http::header::RANGE, range);
            if let Some(v) = &first_validator {
                attempt.headers_mut().insert(http::header::IF_RANGE, v.clone());
            }
        }
        let response = match crate::send(http, state, attempt, operation, Idempotency::FromMethod).await {
            Ok(response) => response,
            // Everything was written and the range is now past the end.
            Err(e) if e.status() == Some(StatusCode::RANGE_NOT_SATISFIABLE) && total == Some(position) => break,
            Err(e) => return Err(e),
        };
        let this_validator = validator(response.headers());
        let mut skip = 0u64;
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let header = response
                    .headers()
                    .get(http::header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let (first, size) = content_range(header).ok_or_else(|| {
                    Error::decode(
                        operation,
                        format!("a 206 answer without a valid Content-Range ({header:?})"),
                    )
                })?;
                if first != position {
                    return Err(Error::decode(
                        operation,
                        format!("asked for bytes from {position}, the answer starts at {first}"),
                    ));
                }
                if let (Some(before), Some(now)) = (total, size)
                    && before != now
                {
                    return Err(Error::Changed(format!("its size went from {before} to {now} bytes")));
                }
                if answered && first_validator.is_some() && this_validator != first_validator {
                    return Err(Error::Changed("its validator (ETag / Last-Modified) changed".into()));
                }
                total = size.or(total);
            }
            _ => {
                // The whole file. On a resume it may only be the same version, sent again
                // because the range was ignored: proven by an equal validator.
                if position > 0 && answered {
                    let same = first_validator.is_some() && this_validator == first_validator;
                    if !same {
                        return Err(Error::Changed(format!(
                            "asked to resume at byte {position}, the service sent a whole file that may be another version"
                        )));
                    }
                }
                // The whole file starts at byte 0: skip up to where this attempt starts.
                skip = position;
                let size = response.content_length();
                if let (Some(before), Some(now)) = (total, size)
                    && before != now
                {
                    return Err(Error::Changed(format!("its size went from {before} to {now} bytes")));
                }
                total = size.or(total);
            }
        }
        if !answered {
            first_validator = this_validator;
            answered = true;
        }
        let mut body = response.bytes_stream();
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
                    tokio::time::sleep(state.retry_policy().backoff(resumes)).await;
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
            if let Some(f) = &options.on_progress {
                f(Progress {
                    done: options.offset + written,
                    total,
                });
            }
        }
        if skip > 0 {
            return Err(Error::Changed(format!(
                "the file ended before byte {position}, which was already written"
            )));
        }
        // A body that ended cleanly but short of the announced size is resumed too.
        if let Some(size) = total.filter(|&size| options.offset + written < size) {
            if resumes < options.max_resumes {
                resumes += 1;
                continue;
            }
            return Err(Error::decode(
                operation,
                format!("the transfer ended at byte {} of {size}", options.offset + written),
            ));
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

/// [`download`] into a new file at `path` (created or truncated; it holds the file from
/// `options.offset` on). When the remote file changes during the transfer, the file is truncated
/// and the download starts again, once, so it holds only bytes of the new version.
pub async fn download_to_file(
    http: &reqwest::Client,
    state: &ClientState,
    operation: &'static str,
    request: reqwest::Request,
    path: &std::path::Path,
    options: &Resume,
) -> Result<DownloadReport, Error> {
    let mut file = tokio::fs::File::create(path).await?;
    let report = match download(http, state, operation, request.try_clone_or_err()?, &mut file, options).await {
        Err(Error::Changed(why)) => {
            tracing::debug!(reason = %why, "the file changed during the download; starting again");
            file.set_len(0).await?;
            use tokio::io::AsyncSeekExt;
            file.seek(std::io::SeekFrom::Start(0)).await?;
            download(http, state, operation, request, &mut file, options).await?
        }
        other => other?,
    };
    file.sync_all().await?;
    Ok(report)
}

trait TryCloneOrErr: Sized {
    fn try_clone_or_err(&self) -> Result<Self, Error>;
}

impl TryCloneOrErr for reqwest::Request {
    fn try_clone_or_err(&self) -> Result<Self, Error> {
        self.try_clone()
            .ok_or_else(|| Error::InvalidInput("a download request cannot have a streamed body".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_chunks_are_whole_chunks_in_order_up_to_the_limit() {
        let path = std::env::temp_dir().join(format!("dam-runtime-chunks-{}", std::process::id()));
        let bytes: Vec<u8> = (0..(FILE_CHUNK * 5 / 2)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let read = |offset: u64, limit: u64| {
            let path = path.clone();
            async move {
                use std::io::{Seek, SeekFrom};
                let mut file = std::fs::File::open(&path).unwrap();
                file.seek(SeekFrom::Start(offset)).unwrap();
                let chunks: Vec<bytes::Bytes> = file_chunks(file, limit).map(|c| c.unwrap()).collect().await;
                chunks
            }
        };
        let whole = read(0, u64::MAX).await;
        assert_eq!(
            whole.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [FILE_CHUNK, FILE_CHUNK, FILE_CHUNK / 2]
        );
        assert_eq!(whole.concat(), bytes);
        let part = read(1000, FILE_CHUNK as u64 + 10).await;
        assert_eq!(part.iter().map(|c| c.len()).collect::<Vec<_>>(), [FILE_CHUNK, 10]);
        assert_eq!(part.concat(), &bytes[1000..1000 + FILE_CHUNK + 10]);
        assert!(read(bytes.len() as u64, u64::MAX).await.is_empty());
        std::fs::remove_file(&path).unwrap();
    }

    #[tokio::test]
    async fn file_bodies_report_progress_up_to_the_length() {
        let path = std::env::temp_dir().join(format!("dam-runtime-progress-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 600 * 1024]).unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        let (body, len, name) =
            file_body_with_progress(&path, Some(Arc::new(move |p: Progress| s.lock().unwrap().push(p))))
                .await
                .unwrap();
        assert_eq!(len, 600 * 1024);
        assert!(name.starts_with("dam-runtime-progress-"));
        let server = dam_test_server::MockServer::start(|_| dam_test_server::Reply::status(200)).await;
        crate::http_client(crate::Timeouts::default())
            .unwrap()
            .post(server.url())
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(server.requests()[0].body_len, 600 * 1024);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.last().unwrap().done, 600 * 1024);
        assert!(seen.windows(2).all(|w| w[0].done < w[1].done));
        assert!(seen.len() >= 3, "256 KiB chunks: {}", seen.len());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn content_ranges() {
        assert_eq!(content_range("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(content_range("items 1-2/3"), None);
        assert_eq!(content_range(""), None);
    }

    #[test]
    fn weak_etags_are_not_validators() {
        let mut h = HeaderMap::new();
        h.insert(http::header::ETAG, HeaderValue::from_static("W/\"x\""));
        h.insert(
            http::header::LAST_MODIFIED,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(validator(&h).unwrap(), "Wed, 21 Oct 2015 07:28:00 GMT");
        h.insert(http::header::ETAG, HeaderValue::from_static("\"v1\""));
        assert_eq!(validator(&h).unwrap(), "\"v1\"");
    }
}
