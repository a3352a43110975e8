//! Uploads to Ci's upload host, `https://io.cimediacloud.com` (same bearer token as the API; not in
//! the provider's document, facts.md "Beyond the documents"). The host follows the client's base
//! URL ([`io_base_url_for`]): `https://api.cimediacloud.com` uploads to `https://io.cimediacloud.com`,
//! a base URL whose host is not `api.…` (a simulator, a proxy) takes the uploads itself.
//!
//! A file below [`Upload::multipart_threshold`] (default [`DEFAULT_MULTIPART_THRESHOLD`]) goes in
//! one request:
//!
//! - `POST {io}/upload`, `multipart/form-data` with a `metadata` part (`Content-Type:
//!   application/json`, `{"workspaceId", "folderId"?, "metadata"?}`) followed by the file part
//!   `file` (its file name, `Content-Type: application/octet-stream`); answers `{"assetId"}`. It
//!   is never resent: a second attempt could create a second asset.
//!
//! A larger file goes in parts:
//!
//! 1. `POST {io}/upload/multipart`, JSON `{"name", "size", "workspaceId", "folderId"?,
//!    "metadata"?}` → `{"assetId"}`;
//! 2. `PUT {io}/upload/multipart/{assetId}/{n}` for every part, numbered from 1, each
//!    [`Upload::part_size`] bytes (default [`DEFAULT_PART_SIZE`]) but the last, raw bytes with
//!    `Content-Type: application/octet-stream` and `Content-Length`, at most
//!    [`Upload::parts_in_flight`] at once (default [`DEFAULT_PARTS_IN_FLIGHT`]);
//! 3. `POST {io}/upload/multipart/{assetId}/complete` without a body, once every part is stored.
//!
//! Every part is streamed from the file — opened at the part's offset and read in
//! [`FILE_CHUNK`](runtime::FILE_CHUNK) pieces as it is sent — so memory stays the same whatever
//! the file's size (a few chunks per part in flight). A part is idempotent: a part that fails with
//! a connection error, 408, 429, a 5xx, or a 401 after which the credentials were renewed, is sent
//! again **alone** from its offset, up to the client's [`RetryPolicy::max_attempts`] times in all,
//! waiting [`RetryPolicy::backoff`] (or `Retry-After`, up to
//! [`RetryPolicy::max_retry_after`]) in between. A part that still fails stops the upload: parts
//! not yet sent are not sent, `complete` is not called, and the error is
//! [`Error::JobFailed`] naming the part, e.g. `upload of asset a1: part 7 of 12 failed after 3
//! attempts: ci answered 500 Internal Server Error`. (The asset then stays incomplete on the
//! service; remove it with `delete_asset` if it is not retried.)
//!
//! # Progress
//!
//! Progress is bytes sent out of the file's size, counted as each chunk of the file is handed to
//! the connection (so a part's bytes count as they stream, not when the part is stored). A part
//! that is sent again counts only the bytes beyond what its earlier attempts reached, so the
//! figures only grow and end exactly at the file's size. Receive them with
//! [`Upload::on_progress`] (a callback, called in order while a lock is held: keep it quick), or
//! take every step as a stream of [`UploadEvent`]s with [`Upload::events`].
//!
//! ```no_run
//! # async fn run(client: &sdk_ci::Client) -> Result<(), sdk_ci::Error> {
//! use futures_util::TryStreamExt;
//! use sdk_ci::upload::UploadEvent;
//!
//! // A callback…
//! let asset_id = client
//!     .upload("workspace-id")
//!     .folder("folder-id")
//!     .on_progress(|p| println!("{} of {:?} bytes", p.done, p.total))
//!     .file("interview.mov")
//!     .await?;
//!
//! // …or a stream of events.
//! let mut events = std::pin::pin!(client.upload("workspace-id").parts_in_flight(8).events("big.mxf"));
//! while let Some(event) = events.try_next().await? {
//!     match event {
//!         UploadEvent::Progress(p) => println!("{} / {:?}", p.done, p.total),
//!         UploadEvent::Finished { asset_id } => println!("asset {asset_id}"),
//!         _ => {}
//!     }
//! }
//! # let _ = asset_id;
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, StreamExt, TryStreamExt};
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use reqwest::multipart::{Form, Part};
use tokio::io::AsyncSeekExt;

use crate::runtime::{self, Idempotency, OnProgress, Progress, RetryPolicy};
use crate::{Client, Error, types};

/// The production upload host, used when [`Upload::io_base_url`] is not called.
pub const DEFAULT_IO_BASE_URL: &str = "https://io.cimediacloud.com";

/// The upload host that goes with an API base URL: the host's leading `api.` becomes `io.`
/// (`https://api.cimediacloud.com` → `https://io.cimediacloud.com`); a base URL whose host does not
/// start with `api.` (a simulator on loopback, a proxy) serves uploads itself.
pub fn io_base_url_for(api_base_url: &str) -> String {
    let trimmed = api_base_url.trim().trim_end_matches('/');
    match reqwest::Url::parse(trimmed) {
        Ok(mut url) => {
            let io_host = url
                .host_str()
                .and_then(|h| h.strip_prefix("api."))
                .map(|rest| format!("io.{rest}"));
            if let Some(host) = io_host
                && url.set_host(Some(&host)).is_ok()
            {
                return url.as_str().trim_end_matches('/').to_string();
            }
            trimmed.to_string()
        }
        Err(_) => DEFAULT_IO_BASE_URL.to_string(),
    }
}

/// The size of every part but the last: 10 MiB, as public clients send. (The service's minimum
/// is believed to be 5 MiB, as on S3; it is not checked here.)
pub const DEFAULT_PART_SIZE: u64 = 10 * 1024 * 1024;

/// Files of at least this size (10 MiB) are uploaded in parts; smaller ones in one request.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 10 * 1024 * 1024;

/// How many parts are sent at once by default.
pub const DEFAULT_PARTS_IN_FLIGHT: usize = 4;

/// One step of an upload, as [`Upload::events`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadEvent {
    /// The upload started: `parts` is 1 for a single-request upload (whose asset id is known
    /// only at the end) and the number of parts of a multipart upload (whose asset was created).
    Started {
        /// The new asset, once the service created it (multipart uploads).
        asset_id: Option<String>,
        /// The file's size in bytes.
        total: u64,
        /// How many parts will be sent.
        parts: u64,
    },
    /// Bytes sent so far, out of the file's size.
    Progress(Progress),
    /// Part `part` (from 1) of `parts` was stored (multipart uploads).
    PartStored {
        /// The part's number, from 1.
        part: u64,
        /// How many parts there are.
        parts: u64,
    },
    /// The upload is complete.
    Finished {
        /// The new asset.
        asset_id: String,
    },
}

type EventSender = tokio::sync::mpsc::UnboundedSender<Result<UploadEvent, Error>>;

/// Where an upload reports to: the progress callback and the event stream, when there are any.
#[derive(Clone, Default)]
struct Reporter {
    on_progress: Option<OnProgress>,
    events: Option<EventSender>,
}

impl Reporter {
    fn event(&self, event: UploadEvent) {
        if let Some(events) = &self.events {
            let _ = events.send(Ok(event));
        }
    }

    fn progress(&self, progress: Progress) {
        if let Some(callback) = &self.on_progress {
            callback(progress);
        }
        self.event(UploadEvent::Progress(progress));
    }
}

/// An upload of one file into a workspace, configured step by step. Start with
/// [`Client::upload`], finish with [`file`](Self::file) or [`events`](Self::events). It can be
/// cloned to upload several files with the same settings.
#[derive(Clone)]
pub struct Upload<'a> {
    client: &'a Client,
    workspace_id: String,
    folder_id: Option<String>,
    metadata: Option<types::UploadMetadataMap>,
    name: Option<String>,
    io_base_url: String,
    part_size: u64,
    multipart_threshold: u64,
    parts_in_flight: usize,
    report: Reporter,
}

impl std::fmt::Debug for Upload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("workspace_id", &self.workspace_id)
            .field("folder_id", &self.folder_id)
            .field("name", &self.name)
            .field("io_base_url", &self.io_base_url)
            .field("part_size", &self.part_size)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("parts_in_flight", &self.parts_in_flight)
            .field("on_progress", &self.report.on_progress.as_ref().map(|_| "callback"))
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts an upload into the workspace `workspace_id` (its root folder unless
    /// [`Upload::folder`] is given). See the [module docs](crate::upload) for the wire.
    pub fn upload(&self, workspace_id: impl Into<String>) -> Upload<'_> {
        Upload {
            client: self,
            workspace_id: workspace_id.into(),
            folder_id: None,
            metadata: None,
            name: None,
            io_base_url: io_base_url_for(&self.baseurl),
            part_size: DEFAULT_PART_SIZE,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            parts_in_flight: DEFAULT_PARTS_IN_FLIGHT,
            report: Reporter::default(),
        }
    }
}

impl<'a> Upload<'a> {
    /// The folder the asset goes to (`folderId`).
    pub fn folder(mut self, folder_id: impl Into<String>) -> Self {
        self.folder_id = Some(folder_id.into());
        self
    }

    /// User-defined metadata for the new asset (`metadata`, sent as given).
    pub fn metadata(mut self, metadata: impl Into<types::UploadMetadataMap>) -> Self {
        self.metadata = Some(metadata.into());
        self
    }

    /// The asset's name (default: the file's name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The upload host. By default it follows the client's base URL: a host named `api.…` gives
    /// `io.…` (the production API gives [`DEFAULT_IO_BASE_URL`]), any other base URL (a
    /// simulator, a proxy) is used as it is. It receives the bearer token, so it must be `https`
    /// (or a loopback address, for tests).
    pub fn io_base_url(mut self, url: impl Into<String>) -> Self {
        self.io_base_url = url.into();
        self
    }

    /// The size of every part but the last (default [`DEFAULT_PART_SIZE`]; at least 1 byte).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes;
        self
    }

    /// Files of at least this many bytes are sent in parts (default
    /// [`DEFAULT_MULTIPART_THRESHOLD`]); smaller (and empty) files in one request.
    pub fn multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// The most parts sent at once (default [`DEFAULT_PARTS_IN_FLIGHT`]; at least 1).
    pub fn parts_in_flight(mut self, parts: usize) -> Self {
        self.parts_in_flight = parts;
        self
    }

    /// Called with the bytes sent so far and the file's size, in order, as the file streams (see
    /// [Progress](crate::upload#progress)). It runs while a lock is held: keep it quick.
    pub fn on_progress(mut self, callback: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.report.on_progress = Some(Arc::new(callback));
        self
    }

    /// Uploads the file at `path` and returns the new asset's id.
    pub async fn file(self, path: impl AsRef<Path>) -> Result<String, Error> {
        let path = path.as_ref();
        if self.part_size == 0 {
            return Err(Error::InvalidInput("part_size must be at least 1 byte".into()));
        }
        if self.parts_in_flight == 0 {
            return Err(Error::InvalidInput("parts_in_flight must be at least 1".into()));
        }
        let io = runtime::check_base_url("io_base_url", &self.io_base_url, false)?;
        let file = tokio::fs::metadata(path)
            .await
            .map_err(|e| Error::InvalidInput(format!("cannot read the file to upload, {}: {e}", path.display())))?;
        if !file.is_file() {
            return Err(Error::InvalidInput(format!("{} is not a file", path.display())));
        }
        let size = file.len();
        let name = match &self.name {
            Some(name) => name.clone(),
            None => path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::InvalidInput(format!("{} has no UTF-8 file name", path.display())))?
                .to_string(),
        };
        let asset_id = if size == 0 || size < self.multipart_threshold {
            self.singlepart(&io, path, &name, size).await?
        } else {
            self.multipart(&io, path, &name, size).await?
        };
        self.report.event(UploadEvent::Finished {
            asset_id: asset_id.clone(),
        });
        Ok(asset_id)
    }

    /// Uploads the file at `path` and reports every step as a stream: [`UploadEvent::Started`],
    /// [`UploadEvent::Progress`] as bytes stream, [`UploadEvent::PartStored`] per part, and
    /// [`UploadEvent::Finished`] last — or the error as the last item. The upload runs while the
    /// stream is polled; dropping the stream cancels it.
    pub fn events(mut self, path: impl AsRef<Path>) -> impl Stream<Item = Result<UploadEvent, Error>> + Send + 'a {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        self.report.events = Some(sender.clone());
        let path: PathBuf = path.as_ref().to_path_buf();
        // The upload's own events and its error travel through one channel, so the error (or
        // `Finished`) always comes after every progress event.
        let run = async move {
            if let Err(e) = self.file(path).await {
                let _ = sender.send(Err(e));
            }
        };
        let driver = futures_util::stream::once(run).filter_map(|()| futures_util::future::ready(None));
        let received = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        });
        futures_util::stream::select(driver, received)
    }

    /// `POST {io}/upload` with the metadata part and the file part.
    async fn singlepart(&self, io: &str, path: &Path, name: &str, size: u64) -> Result<String, Error> {
        self.report.event(UploadEvent::Started {
            asset_id: None,
            total: size,
            parts: 1,
        });
        let metadata = types::SinglepartUploadMetadata {
            workspace_id: self.workspace_id.clone(),
            folder_id: self.folder_id.clone(),
            metadata: self.metadata.clone(),
        };
        let metadata = serde_json::to_string(&metadata)
            .map_err(|e| Error::InvalidInput(format!("the upload metadata is not JSON: {e}")))?;
        let tracker = Arc::new(Tracker::new(self.report.clone(), size));
        let body = part_body(path, 0, size, PartProgress::new(&tracker)).await?;
        let form = Form::new()
            .part("metadata", Part::text(metadata).mime_str("application/json")?)
            .part(
                "file",
                Part::stream_with_length(body, size)
                    .file_name(name.to_string())
                    .mime_str("application/octet-stream")?,
            );
        let request = self
            .client
            .client
            .post(format!("{io}/upload"))
            .header(ACCEPT, "application/json")
            .multipart(form)
            .build()?;
        let (_, _, body) = runtime::execute(
            &self.client.client,
            &self.client.inner,
            request,
            "upload_singlepart",
            Idempotency::Never,
        )
        .await?;
        asset_id("upload_singlepart", &body)
    }

    /// Starts a multipart upload, sends every part, completes it.
    async fn multipart(&self, io: &str, path: &Path, name: &str, size: u64) -> Result<String, Error> {
        let start = types::MultipartUploadRequest {
            name: name.to_string(),
            size: i64::try_from(size).map_err(|_| Error::InvalidInput(format!("{size} bytes is too large")))?,
            workspace_id: self.workspace_id.clone(),
            folder_id: self.folder_id.clone(),
            metadata: self.metadata.clone(),
        };
        let request = self
            .client
            .client
            .post(format!("{io}/upload/multipart"))
            .header(ACCEPT, "application/json")
            .json(&start)
            .build()?;
        let (_, _, body) = runtime::execute(
            &self.client.client,
            &self.client.inner,
            request,
            "create_multipart_upload",
            Idempotency::Never,
        )
        .await?;
        let asset = asset_id("create_multipart_upload", &body)?;
        let parts = size.div_ceil(self.part_size);
        self.report.event(UploadEvent::Started {
            asset_id: Some(asset.clone()),
            total: size,
            parts,
        });

        let base = format!("{io}/upload/multipart/{}", progenitor_client::encode_path(&asset));
        let tracker = Arc::new(Tracker::new(self.report.clone(), size));
        let job = PartJob {
            upload: self,
            base: &base,
            asset: &asset,
            path,
            size,
            parts,
            tracker: &tracker,
        };
        let mut sent = futures_util::stream::iter(1..=parts)
            .map(|number| job.send(number))
            .buffer_unordered(self.parts_in_flight);
        // The first failure ends the upload: dropping the stream cancels the parts in flight.
        while let Some(number) = sent.try_next().await? {
            self.report.event(UploadEvent::PartStored { part: number, parts });
        }
        // Every part is stored; the parts' stream (which borrows the asset id) is done.
        drop(sent);

        let request = self
            .client
            .client
            .post(format!("{base}/complete"))
            .header(ACCEPT, "application/json")
            .build()?;
        runtime::execute(
            &self.client.client,
            &self.client.inner,
            request,
            "complete_multipart_upload",
            Idempotency::Never,
        )
        .await?;
        Ok(asset)
    }
}

/// What every part of one multipart upload shares.
struct PartJob<'u, 'a> {
    upload: &'u Upload<'a>,
    base: &'u str,
    asset: &'u str,
    path: &'u Path,
    size: u64,
    parts: u64,
    tracker: &'u Arc<Tracker>,
}

impl PartJob<'_, '_> {
    /// Sends part `number` (from 1), again after a failure that may pass; returns the number.
    async fn send(&self, number: u64) -> Result<u64, Error> {
        let offset = (number - 1) * self.upload.part_size;
        let len = self.upload.part_size.min(self.size - offset);
        let state = &self.upload.client.inner;
        let policy = state.retry_policy();
        let max_attempts = policy.max_attempts.max(1);
        let renewable = state.authenticator().can_renew();
        // Shared by the part's attempts, so a resent part counts only bytes beyond the earlier ones.
        let progress = PartProgress::new(self.tracker);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let error = match self.attempt(number, offset, len, progress.clone()).await {
                Ok(()) => return Ok(number),
                Err(e) => e,
            };
            let wait = retry_wait(&error, &policy, attempt, renewable).filter(|_| attempt < max_attempts);
            let Some(wait) = wait else {
                return Err(Error::JobFailed(format!(
                    "upload of asset {}: part {number} of {} failed after {attempt} attempt{}: {error}",
                    self.asset,
                    self.parts,
                    if attempt == 1 { "" } else { "s" }
                )));
            };
            tracing::debug!(part = number, attempt, wait_ms = wait.as_millis() as u64, error = %error, "resending a part");
            tokio::time::sleep(wait).await;
        }
    }

    /// One `PUT` of one part, streamed from the file.
    async fn attempt(&self, number: u64, offset: u64, len: u64, progress: PartProgress) -> Result<(), Error> {
        let body = part_body(self.path, offset, len, progress).await?;
        let request = self
            .upload
            .client
            .client
            .put(format!("{}/{number}", self.base))
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, HeaderValue::from(len))
            .body(body)
            .build()?;
        let response = runtime::send(
            &self.upload.client.client,
            &self.upload.client.inner,
            request,
            "upload_part",
            Idempotency::Never,
        )
        .await?;
        // The part is stored; whatever the answer says is not used. Read it so the connection can
        // serve the next part.
        let _ = response.bytes().await;
        Ok(())
    }
}

/// How long to wait before sending a failed part again, or `None` when it must not be: only
/// connection failures, 408, 429, 5xx, and — when the credentials can be renewed (the pipeline
/// renewed them before returning it) — 401 are worth another attempt.
fn retry_wait(error: &Error, policy: &RetryPolicy, attempt: u32, renewable: bool) -> Option<Duration> {
    match error {
        Error::Transport(_) => Some(policy.backoff(attempt)),
        Error::Api { status, details, .. }
            if status.is_server_error()
                || matches!(status.as_u16(), 408 | 429)
                || (status.as_u16() == 401 && renewable) =>
        {
            match details.retry_after {
                Some(wait) if wait > policy.max_retry_after => None,
                Some(wait) => Some(wait),
                None => Some(policy.backoff(attempt)),
            }
        }
        _ => None,
    }
}

/// Reads `{"assetId"}` from an upload answer.
fn asset_id(operation: &'static str, body: &[u8]) -> Result<String, Error> {
    let answer: types::UploadedAsset = runtime::decode_json(operation, body, false)?;
    answer
        .asset_id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| Error::decode(operation, "the answer has no assetId"))
}

/// `len` bytes of the file from `offset`, as a streamed body read in
/// [`FILE_CHUNK`](runtime::FILE_CHUNK) pieces; each piece is counted in `progress`.
async fn part_body(path: &Path, offset: u64, len: u64, progress: PartProgress) -> Result<reqwest::Body, Error> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| Error::InvalidInput(format!("cannot open the file to upload, {}: {e}", path.display())))?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let mut sent = 0u64;
    let chunks = runtime::file_chunks(file.into_std().await, len).inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            sent += chunk.len() as u64;
            progress.tracker.reached(&progress.best, sent);
        }
    });
    Ok(reqwest::Body::wrap_stream(chunks))
}

/// Counts the bytes sent of a file whose parts stream concurrently (on the connection's tasks),
/// and reports them in order.
struct Tracker {
    total: u64,
    /// Bytes counted so far; the lock also orders the reports.
    done: Mutex<u64>,
    report: Reporter,
}

impl Tracker {
    fn new(report: Reporter, total: u64) -> Self {
        Self {
            total,
            done: Mutex::new(0),
            report,
        }
    }

    /// An attempt of a part whose attempts reached `best` bytes has sent `sent` bytes. Only bytes
    /// beyond `best` count, so progress never goes back and ends at the total.
    fn reached(&self, best: &AtomicU64, sent: u64) {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        // `best` changes only under this lock.
        let before = best.load(Ordering::Relaxed);
        if sent <= before {
            return;
        }
        best.store(sent, Ordering::Relaxed);
        *done += sent - before;
        // Reported under the lock, so the figures arrive in order.
        self.report.progress(Progress {
            done: *done,
            total: Some(self.total),
        });
    }
}

/// The progress of one part: the upload's tracker and the most bytes any attempt of the part sent.
#[derive(Clone)]
struct PartProgress {
    tracker: Arc<Tracker>,
    best: Arc<AtomicU64>,
}

impl PartProgress {
    fn new(tracker: &Arc<Tracker>) -> Self {
        Self {
            tracker: tracker.clone(),
            best: Arc::new(AtomicU64::new(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::io_base_url_for;

    #[test]
    fn the_upload_host_follows_the_api_host() {
        assert_eq!(
            io_base_url_for("https://api.cimediacloud.com"),
            "https://io.cimediacloud.com"
        );
        assert_eq!(
            io_base_url_for("https://api.cimediacloud.com/"),
            "https://io.cimediacloud.com"
        );
        assert_eq!(
            io_base_url_for("https://api.eu.example.com:8443/ci"),
            "https://io.eu.example.com:8443/ci"
        );
        assert_eq!(io_base_url_for("http://127.0.0.1:4100"), "http://127.0.0.1:4100");
        assert_eq!(io_base_url_for("https://proxy.corp/ci/"), "https://proxy.corp/ci");
    }
}
