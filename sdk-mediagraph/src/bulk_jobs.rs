//! Bulk jobs, started and awaited in one call.
//!
//! A bulk job changes many assets in the background (tags, description, rights, custom meta,
//! membership of a collection, lightbox or storage folder, AI fields, deletion, …). On the wire:
//!
//! 1. `POST /api/bulk_jobs` with `{"bulk_job": {"asset_ids": [...], ...}}` answers the job with its
//!    `guid` and `aasm_state: "pending"`;
//! 2. `GET /api/bulk_jobs/{guid}` answers its `aasm_state` — `pending`, `processing`, then
//!    `processed`, or `errored` (with `error_message`) or `canceled` — and `progress` (percent).
//!
//! [`Client::run_bulk_job`] does both and polls step 2 until the job ends;
//! [`Client::wait_for_bulk_job`] polls a job started elsewhere. A job that ends `errored` or
//! `canceled` is [`Error::JobFailed`]; a job still running when the [`PollOptions`] are spent is
//! [`Error::Timeout`] (the job itself goes on; wait again or `cancel_bulk_job` it). A state this
//! SDK does not know is treated as still running.

use crate::poll::{PollOptions, Poller};
use crate::wrapped::Bare;
use crate::{Client, Error, types};

/// The job as JSON, for error excerpts.
fn job_text(job: &types::BulkJob) -> String {
    serde_json::to_string(job).unwrap_or_default()
}

/// Whether `job` ended: `Ok(true)` when processed, an error when it failed, `Ok(false)` while it
/// runs.
fn finished(guid: &str, job: &types::BulkJob) -> Result<bool, Error> {
    use types::BulkJobState as State;
    match &job.aasm_state {
        Some(State::Processed) => Ok(true),
        Some(State::Errored) => {
            let reason = job
                .error_message
                .as_deref()
                .filter(|m| !m.is_empty())
                .unwrap_or("no error message");
            Err(Error::JobFailed(format!("bulk job {guid} errored: {reason}")))
        }
        Some(State::Canceled) => Err(Error::JobFailed(format!("bulk job {guid} was canceled"))),
        Some(State::Pending | State::Processing | State::Unknown(_)) | None => Ok(false),
    }
}

impl Client {
    /// Starts a bulk job (`POST /api/bulk_jobs`) and polls it (`GET /api/bulk_jobs/{guid}`) until
    /// it is processed; returns the job as last read. `job` is a [`types::NewBulkJob`] or its
    /// builder (a builder that lacks `asset_ids` is [`Error::InvalidInput`], and nothing is sent).
    /// See the [module docs](crate::bulk_jobs) for the other errors.
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_mediagraph::Client) -> Result<(), sdk_mediagraph::Error> {
    /// use sdk_mediagraph::{PollOptions, types};
    /// let job = types::NewBulkJob::builder()
    ///     .asset_ids(vec![101, 102])
    ///     .tag_names(vec!["sunset".to_string()])
    ///     .tag_mode(types::TagMode::Add);
    /// let done = client.run_bulk_job(job, PollOptions::default()).await?;
    /// println!("{:?} assets", done.total_assets);
    /// # Ok(()) }
    /// ```
    pub async fn run_bulk_job(
        &self,
        job: impl TryInto<types::NewBulkJob, Error: std::fmt::Display>,
        poll: PollOptions,
    ) -> Result<types::BulkJob, Error> {
        let job = job
            .try_into()
            .map_err(|e| Error::InvalidInput(format!("bulk job: {e}")))?;
        let started = self
            .create_bulk_job()
            .body(types::BulkJobBody { bulk_job: job })
            .send()
            .await?
            .into_inner()
            .into_bare();
        let guid = started
            .guid
            .clone()
            .filter(|g| !g.is_empty())
            .ok_or_else(|| Error::Decode {
                operation: "create_bulk_job",
                path: "guid".into(),
                message: "the started bulk job has no guid to poll".into(),
                excerpt: job_text(&started),
            })?;
        self.await_bulk_job(&guid, started, poll).await
    }

    /// Polls the bulk job with this GUID (`GET /api/bulk_jobs/{guid}`) until it is processed;
    /// returns the job as last read. See the [module docs](crate::bulk_jobs) for the errors.
    pub async fn wait_for_bulk_job(&self, guid: &str, poll: PollOptions) -> Result<types::BulkJob, Error> {
        let job = self.read_bulk_job(guid).await?;
        self.await_bulk_job(guid, job, poll).await
    }

    async fn read_bulk_job(&self, guid: &str) -> Result<types::BulkJob, Error> {
        Ok(self.get_bulk_job().id(guid).send().await?.into_inner().into_bare())
    }

    async fn await_bulk_job(
        &self,
        guid: &str,
        mut job: types::BulkJob,
        poll: PollOptions,
    ) -> Result<types::BulkJob, Error> {
        let mut poller = Poller::new(poll);
        while !finished(guid, &job)? {
            poller.wait(&format!("bulk job {guid} is not done")).await?;
            job = self.read_bulk_job(guid).await?;
        }
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: &str, message: Option<&str>) -> types::BulkJob {
        serde_json::from_value(serde_json::json!({"guid": "g", "aasm_state": state, "error_message": message})).unwrap()
    }

    #[test]
    fn states_end_or_go_on() {
        assert!(finished("g", &job("processed", None)).unwrap());
        assert!(!finished("g", &job("pending", None)).unwrap());
        assert!(!finished("g", &job("processing", None)).unwrap());
        assert!(
            !finished("g", &job("queued_somewhere_new", None)).unwrap(),
            "unknown states run on"
        );
        let err = finished("g", &job("errored", Some("Tag list is empty"))).unwrap_err();
        assert!(
            matches!(&err, Error::JobFailed(m) if m == "bulk job g errored: Tag list is empty"),
            "{err:?}"
        );
        let err = finished("g", &job("errored", Some(""))).unwrap_err();
        assert!(
            matches!(&err, Error::JobFailed(m) if m == "bulk job g errored: no error message"),
            "{err:?}"
        );
        let err = finished("g", &job("canceled", None)).unwrap_err();
        assert!(
            matches!(&err, Error::JobFailed(m) if m == "bulk job g was canceled"),
            "{err:?}"
        );
    }
}
