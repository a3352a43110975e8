//! How the hand-written flows wait for work the service does in the background.
//!
//! Bulk jobs ([`Client::run_bulk_job`](crate::Client::run_bulk_job)) and shares
//! ([`Client::create_share_and_wait`](crate::Client::create_share_and_wait)) are prepared
//! asynchronously: the first answer says `pending`, and the record has to be read again until it
//! is done. [`PollOptions`] says how often and for how long; a flow that runs out of polls fails
//! with [`Error::Timeout`].

use std::time::{Duration, Instant};

use crate::Error;

/// How a flow polls: every `interval`, for at most `timeout` and `max_attempts` polls, whichever
/// ends first. The flow then fails with [`Error::Timeout`].
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

    /// Waits before the next poll, or fails with [`Error::Timeout`] (saying `what` is not done)
    /// when the budget is spent.
    pub(crate) async fn wait(&mut self, what: &str) -> Result<(), Error> {
        self.attempts += 1;
        let elapsed = self.started.elapsed();
        if self.attempts > self.options.max_attempts || elapsed + self.options.interval > self.options.timeout {
            return Err(Error::Timeout(format!(
                "{what} after {} polls in {} s",
                self.attempts - 1,
                elapsed.as_secs()
            )));
        }
        tokio::time::sleep(self.options.interval).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_budget_counts_polls_and_time() {
        let mut poller = Poller::new(PollOptions {
            interval: Duration::from_millis(1),
            timeout: Duration::from_secs(60),
            max_attempts: 2,
        });
        poller.wait("job 1 is not done").await.unwrap();
        poller.wait("job 1 is not done").await.unwrap();
        let err = poller.wait("job 1 is not done").await.unwrap_err();
        assert!(
            matches!(&err, Error::Timeout(m) if m == "job 1 is not done after 2 polls in 0 s"),
            "{err:?}"
        );

        let mut poller = Poller::new(PollOptions {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(1),
            max_attempts: 100,
        });
        assert!(
            matches!(poller.wait("x").await, Err(Error::Timeout(_))),
            "an interval beyond the timeout"
        );
    }
}
