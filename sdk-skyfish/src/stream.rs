//! Video streams: the HLS playlist of a video, which the service makes on request.
//!
//! Neither call is in the provider's document (facts.md, "Beyond the documents"):
//!
//! - `POST /media/{id}/stream` (generated `create_media_stream`) asks for a stream and answers
//!   `{"Status": "Created"}` at once: the job is accepted, the stream is not ready;
//! - `GET /media/{id}/metadata/stream_url` (generated `get_media_stream_url`) answers **404** until
//!   the stream is ready, then `{"Stream": "https://….m3u8"}`.
//!
//! [`Client::wait_for_stream_url`] polls the second call through its 404s;
//! [`Client::video_stream_url`] asks for the stream first when there is none yet. Both poll with
//! the crate's [`PollOptions`]. A media that does not exist also answers 404, so a wrong id polls
//! until the budget is spent and fails with [`Error::Timeout`].

use reqwest::StatusCode;

use crate::download::{PollOptions, Poller};
use crate::runtime::LooseId;
use crate::{Client, Error};

impl Client {
    /// One `get_media_stream_url` call: the stream's URL, or `None` while it answers 404.
    async fn stream_url_once(&self, id: &LooseId) -> Result<Option<String>, Error> {
        match self.get_media_stream_url().id(id.clone()).send().await {
            Ok(answer) => answer
                .into_inner()
                .stream
                .filter(|url| !url.trim().is_empty())
                .map(Some)
                .ok_or_else(|| Error::decode("get_media_stream_url", "the answer has no `Stream` URL")),
            Err(Error::Api { status, .. }) if status == StatusCode::NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Polls `GET /media/{id}/metadata/stream_url` until it stops answering 404 and returns the
    /// stream's URL (an HLS `.m3u8` playlist). Does not ask for a stream: see
    /// [`video_stream_url`](Self::video_stream_url). Fails with [`Error::Timeout`] when `poll` is
    /// spent, and with the service's error for any answer other than 200 or 404.
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_skyfish::Client) -> Result<(), sdk_skyfish::Error> {
    /// client.create_media_stream().id(42).send().await?;
    /// let url = client.wait_for_stream_url(42, sdk_skyfish::PollOptions::default()).await?;
    /// println!("play {url}");
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_stream_url(&self, id: impl Into<LooseId>, poll: PollOptions) -> Result<String, Error> {
        let id = id.into();
        let mut poller = Poller::new(poll);
        loop {
            if let Some(url) = self.stream_url_once(&id).await? {
                return Ok(url);
            }
            poller
                .wait(&format!("the video stream of media {id} is not ready"))
                .await?;
        }
    }

    /// The URL of a video's stream, made on demand: when `get_media_stream_url` answers 404, asks
    /// for a stream (`create_media_stream`) and then [waits for it](Self::wait_for_stream_url).
    /// A stream that exists already is returned after one call.
    pub async fn video_stream_url(&self, id: impl Into<LooseId>, poll: PollOptions) -> Result<String, Error> {
        let id = id.into();
        if let Some(url) = self.stream_url_once(&id).await? {
            return Ok(url);
        }
        self.create_media_stream().id(id.clone()).send().await?;
        self.wait_for_stream_url(id, poll).await
    }
}
