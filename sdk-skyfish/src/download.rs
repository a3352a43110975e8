//! Downloads: fetching a media's file through its download location, ZIP files of folders (an
//! asynchronous job that is polled until it is `DONE`), and the polling settings shared with the
//! upload flow.

use std::time::{Duration, Instant};

use crate::runtime::{self, DownloadReport, LooseId, Resume};
use crate::{Client, Error, types};

/// How a multi-step flow polls: every `interval`, for at most `timeout` and `max_attempts` polls,
/// whichever ends first. The flow then fails with [`Error::Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollOptions {
    /// The wait between two polls.
    pub interval: Duration,
    /// The longest time to keep polling.
    pub timeout: Duration,
    /// The most polls.
    pub max_attempts: u32,
}

impl Default for PollOptions {
    /// Every 2 s, for at most 10 minutes.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(600),
            max_attempts: 300,
        }
    }
}

/// Counts polls against [`PollOptions`].
pub(crate) struct Poller {
    options: PollOptions,
    started: Instant,
    attempts: u32,
}

impl Poller {
    pub(crate) fn new(options: PollOptions) -> Self {
        Self {
            options,
            started: Instant::now(),
            attempts: 0,
        }
    }

    /// Waits before the next poll, or fails when the budget is spent.
    pub(crate) async fn wait(&mut self, what: &str) -> Result<(), Error> {
        self.attempts += 1;
        let elapsed = self.started.elapsed();
        if self.attempts >= self.options.max_attempts || elapsed + self.options.interval > self.options.timeout {
            return Err(Error::Timeout(format!(
                "{what} after {} polls in {} s",
                self.attempts,
                elapsed.as_secs()
            )));
        }
        tokio::time::sleep(self.options.interval).await;
        Ok(())
    }
}

impl Client {
    /// Downloads `url` — a download location, a ZIP file or any other URL the service handed
    /// out — into `writer`, streaming, and resumes a broken transfer with `Range` + `If-Range`
    /// without ever joining two versions of the file ([`runtime::download`]). Returns the number
    /// of bytes written. Such URLs are signed by the service: the Skyfish token is **never** sent
    /// to them, even when they are on the API host.
    pub async fn download_url<W>(&self, url: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        self.download_url_with(url, writer, &Resume::default())
            .await
            .map(|report| report.bytes)
    }

    /// [`download_url`](Self::download_url) with resume settings and a progress callback; returns
    /// what was written.
    pub async fn download_url_with<W>(
        &self,
        url: &str,
        writer: &mut W,
        options: &Resume,
    ) -> Result<DownloadReport, Error>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        let parsed = reqwest::Url::parse(url).map_err(|e| Error::InvalidInput(format!("url: not a valid URL: {e}")))?;
        let request = self.client.get(parsed).build()?;
        runtime::download(
            &self.client,
            &self.inner.storage(),
            "download_file",
            request,
            writer,
            options,
        )
        .await
    }

    /// Downloads `url` (see [`download_url`](Self::download_url)) into a new file at `path`; a
    /// file that changes during the transfer is downloaded again from zero.
    pub async fn download_url_to_file(
        &self,
        url: &str,
        path: impl AsRef<std::path::Path>,
        options: &Resume,
    ) -> Result<DownloadReport, Error> {
        let parsed = reqwest::Url::parse(url).map_err(|e| Error::InvalidInput(format!("url: not a valid URL: {e}")))?;
        let request = self.client.get(parsed).build()?;
        runtime::download_to_file(
            &self.client,
            &self.inner.storage(),
            "download_file",
            request,
            path.as_ref(),
            options,
        )
        .await
    }

    /// Downloads a media's original file (`size` `None`) or a scaled version into `writer`:
    /// asks for its download location (valid 5 minutes) and streams the file from there.
    /// Returns the number of bytes written.
    pub async fn download_media<W>(
        &self,
        id: impl Into<LooseId>,
        size: Option<types::DownloadSize>,
        writer: &mut W,
    ) -> Result<u64, Error>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        let id = id.into();
        let location = match size {
            None => self.get_media_download_location().id(id).send().await?,
            Some(size) => self.get_media_download_location_size().id(id).size(size).send().await?,
        }
        .into_inner();
        let url = location.url.ok_or_else(|| Error::Decode {
            operation: "download",
            path: String::new(),
            message: "the download location has no url".into(),
            excerpt: String::new(),
        })?;
        self.download_url(&url, writer).await
    }

    /// Builds a ZIP file of a folder (§8.4): starts the job, polls `GET /zip-file/{job_id}` until
    /// its state is `DONE`, and returns the URL of the ZIP file. A job that reports a state other
    /// than `PENDING` or `DONE` (a failed job) is an [`Error::JobFailed`] naming the state; a job
    /// that is not done within `poll` is an [`Error::Timeout`].
    pub async fn zip_folder(&self, folder: impl Into<LooseId>, poll: PollOptions) -> Result<String, Error> {
        let mut job = self.create_folder_zip().id(folder.into()).send().await?.into_inner();
        let job_id = job.job_id.clone().ok_or_else(|| Error::Decode {
            operation: "download",
            path: String::new(),
            message: "the ZIP job has no job_id".into(),
            excerpt: job_text(&job),
        })?;
        let mut poller = Poller::new(poll);
        loop {
            match (&job.state, &job.url) {
                (Some(types::ZipFileState::Done), Some(url)) => return Ok(url.clone()),
                (Some(types::ZipFileState::Done), None) => {
                    return Err(Error::Decode {
                        operation: "download",
                        path: String::new(),
                        message: format!("ZIP job {job_id} is DONE but has no url"),
                        excerpt: job_text(&job),
                    });
                }
                (Some(types::ZipFileState::Pending) | None, _) => {}
                (Some(other), _) => {
                    return Err(Error::JobFailed(format!("ZIP job {job_id} ended in state {other}")));
                }
            }
            poller.wait(&format!("ZIP job {job_id} is not done")).await?;
            job = self.get_zip_file().job_id(&job_id).send().await?.into_inner();
        }
    }
}

fn job_text(job: &types::ZipFileJob) -> String {
    serde_json::to_string(job).unwrap_or_default()
}
