//! Sharing assets with people outside the organization: share links and shares.
//!
//! **Share links** point at a collection, lightbox or storage folder
//! (`POST /api/asset_groups/{asset_group_id}/share_links`). To share a handful of assets by link,
//! a user would otherwise make three calls; [`Client::share_assets_by_link`] makes them:
//!
//! 1. `POST /api/lightboxes` with `{"lightbox": {"name": …}}` — a new lightbox, whose
//!    `asset_group_id` (not its `id`, which is the caller's membership) names it below;
//! 2. `POST /api/assets/add_group` with `{"ids": […], "asset_group_id": …}`;
//! 3. `POST /api/asset_groups/{asset_group_id}/share_links` with `{"share_link": {…}}`.
//!
//! When step 2 or 3 fails, the new lightbox is deleted again (`DELETE /api/lightboxes/{id}`, best
//! effort) and the step's error is returned.
//!
//! **Shares** are public pages of selected assets whose files the service prepares in the
//! background: `POST /api/shares` answers `aasm_state: "pending"`, and the share is usable once
//! it is `processed`. The API has no call that reads one share, so
//! [`Client::wait_for_share`] reads the share listing (`GET /api/shares`, newest first,
//! `pageSize=100`) until the share shows up `processed`; [`Client::create_share_and_wait`] creates
//! the share and waits. A state that names an error or failure is [`Error::JobFailed`], as is a
//! share that is missing from the listing; a share still pending when the [`PollOptions`] are
//! spent is [`Error::Timeout`].

use futures_util::TryStreamExt;

use crate::poll::{PollOptions, Poller};
use crate::runtime::LooseId;
use crate::wrapped::Bare;
use crate::{Client, Error, types};

/// What [`Client::share_assets_by_link`] created.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedByLink {
    /// The lightbox that holds the assets.
    pub lightbox: types::Lightbox,
    /// The public link to it (`url`).
    pub share_link: types::ShareLink,
}

fn missing(operation: &'static str, what: &str, record: &impl serde::Serialize) -> Error {
    Error::Decode {
        operation,
        path: what.into(),
        message: format!("the answer has no {what}"),
        excerpt: serde_json::to_string(record)
            .unwrap_or_default()
            .chars()
            .take(512)
            .collect(),
    }
}

fn numeric(id: Option<&LooseId>) -> Option<i64> {
    id.and_then(|id| id.as_str().parse().ok())
}

/// Whether `share` is ready: `Ok(true)` when processed, an error when its state names a failure,
/// `Ok(false)` while it is prepared.
fn ready(id: i64, share: &types::Share) -> Result<bool, Error> {
    match &share.aasm_state {
        Some(types::ShareState::Processed) => Ok(true),
        Some(types::ShareState::Unknown(state)) if ["error", "fail"].iter().any(|w| state.contains(w)) => {
            Err(Error::JobFailed(format!("share {id} ended in state {state}")))
        }
        _ => Ok(false),
    }
}

impl Client {
    /// Shares assets by link: a new lightbox named `name` holding `asset_ids`, and a share link
    /// to it with `settings` (a [`types::ShareLinkSettings`] or its builder). See the
    /// [module docs](crate::sharing) for the calls.
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_mediagraph::Client) -> Result<(), sdk_mediagraph::Error> {
    /// use sdk_mediagraph::types;
    /// let settings = types::ShareLinkSettings::builder()
    ///     .image_and_video_permission(types::ShareLinkMediaPermission::DownloadSmall)
    ///     .watermark_all(true);
    /// let shared = client.share_assets_by_link("For the press", &[101, 102], settings).await?;
    /// println!("{:?}", shared.share_link.url);
    /// # Ok(()) }
    /// ```
    ///
    /// Errors: no assets, or settings that do not build, are [`Error::InvalidInput`] (nothing is
    /// sent); an answer without the ids the next step needs is [`Error::Decode`].
    pub async fn share_assets_by_link(
        &self,
        name: &str,
        asset_ids: &[i64],
        settings: impl TryInto<types::ShareLinkSettings, Error: std::fmt::Display>,
    ) -> Result<SharedByLink, Error> {
        if asset_ids.is_empty() {
            return Err(Error::InvalidInput("no assets to share".into()));
        }
        let settings = settings
            .try_into()
            .map_err(|e| Error::InvalidInput(format!("share link settings: {e}")))?;
        let lightbox = self
            .create_lightbox()
            .body(types::LightboxBody {
                lightbox: types::NewLightbox {
                    name: name.to_string(),
                    description: None,
                    parent_id: None,
                    extra: Default::default(),
                },
            })
            .send()
            .await?
            .into_inner()
            .into_bare();
        let group = numeric(lightbox.asset_group_id.as_ref());
        let outcome = match group {
            Some(group) => self.link_assets(group, asset_ids, settings).await,
            None => Err(missing("create_lightbox", "asset_group_id", &lightbox)),
        };
        match outcome {
            Ok(share_link) => Ok(SharedByLink { lightbox, share_link }),
            Err(e) => {
                if let Some(membership) = numeric(lightbox.id.as_ref())
                    && let Err(cleanup) = self.delete_lightbox().id(membership).send().await
                {
                    tracing::warn!(error = %cleanup, lightbox = membership, "could not delete the new lightbox");
                }
                Err(e)
            }
        }
    }

    /// Steps 2 and 3 of [`share_assets_by_link`](Self::share_assets_by_link).
    async fn link_assets(
        &self,
        group: i64,
        asset_ids: &[i64],
        settings: types::ShareLinkSettings,
    ) -> Result<types::ShareLink, Error> {
        self.add_assets_to_group()
            .body(types::AddAssetsToGroupBody {
                ids: asset_ids.to_vec(),
                asset_group_id: Some(group),
            })
            .send()
            .await?;
        Ok(self
            .create_share_link()
            .asset_group_id(group)
            .body(types::ShareLinkBody { share_link: settings })
            .send()
            .await?
            .into_inner()
            .into_bare())
    }

    /// Creates a share (`POST /api/shares`; `share` is a [`types::NewShare`] or its builder) and
    /// waits until its files are prepared ([`wait_for_share`](Self::wait_for_share)). Returns the
    /// share as the listing last showed it.
    pub async fn create_share_and_wait(
        &self,
        share: impl TryInto<types::NewShare, Error: std::fmt::Display>,
        poll: PollOptions,
    ) -> Result<types::Share, Error> {
        let share = share
            .try_into()
            .map_err(|e| Error::InvalidInput(format!("share: {e}")))?;
        let created = self
            .create_share()
            .body(types::ShareBody { share })
            .send()
            .await?
            .into_inner()
            .into_bare();
        let id = numeric(created.id.as_ref()).ok_or_else(|| missing("create_share", "id", &created))?;
        if ready(id, &created)? {
            return Ok(created);
        }
        self.wait_for_share(id, poll).await
    }

    /// Polls the share listing (newest first) until the share with this id is `processed`; see
    /// the [module docs](crate::sharing) for the errors.
    pub async fn wait_for_share(&self, id: i64, poll: PollOptions) -> Result<types::Share, Error> {
        let mut poller = Poller::new(poll);
        loop {
            let share = self
                .find_share(id)
                .await?
                .ok_or_else(|| Error::JobFailed(format!("share {id} is not in the organization's share listing")))?;
            if ready(id, &share)? {
                return Ok(share);
            }
            poller.wait(&format!("share {id} is not processed")).await?;
        }
    }

    /// The share with this id, read from the listing, newest first.
    async fn find_share(&self, id: i64) -> Result<Option<types::Share>, Error> {
        let listing = self
            .list_shares()
            .sort_field("created_at")
            .sort_order(types::SortOrder::Descend)
            .page_size(100)
            .into_stream();
        futures_util::pin_mut!(listing);
        while let Some(share) = listing.try_next().await? {
            if numeric(share.id.as_ref()) == Some(id) {
                return Ok(Some(share));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(state: &str) -> types::Share {
        serde_json::from_value(serde_json::json!({"id": 48, "aasm_state": state})).unwrap()
    }

    #[test]
    fn share_states() {
        assert!(ready(48, &share("processed")).unwrap());
        assert!(!ready(48, &share("pending")).unwrap());
        assert!(
            !ready(48, &share("processing")).unwrap(),
            "an unknown state that names no failure"
        );
        let err = ready(48, &share("processing_error")).unwrap_err();
        assert!(
            matches!(&err, Error::JobFailed(m) if m == "share 48 ended in state processing_error"),
            "{err:?}"
        );
    }
}
