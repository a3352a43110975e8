//! Paged listings as `futures_util::Stream`s.
//!
//! Mediagraph pages its listings in two ways and sends the number of entries of the whole listing
//! in the `Total-Entries` response header (facts.md); search also reports it as `total` in the
//! body:
//!
//! - with `page` (from 1): search (with `per_page`, at most 100), tags, taxonomy tags, and, from
//!   the provider's published spec, contributions, invites, metadata imports and their assets, the
//!   assets of a bulk job and the trees of access requests and shared collections;
//! - with `current` (from 1) and `pageSize` (default 25): the administration listings of the
//!   provider's published spec — access requests, bulk jobs, share links, shares, user groups,
//!   webhooks and webhook deliveries.
//!
//! Every paged listing's builder has `into_stream()`, a stream of every item that requests page
//! 1, 2, … (replacing any `page` or `current` set on the builder; other parameters, such as
//! `pageSize` or filters, are kept) and stops on an empty page or once `Total-Entries` (or
//! `total`) items were seen:
//!
//! | builder | items | pages with |
//! | --- | --- | --- |
//! | [`builder::SearchAssets`] | [`types::Asset`] | `page`, `per_page` |
//! | [`builder::ListTags`] | [`types::Tag`] | `page` |
//! | [`builder::ListTaxonomyTags`], [`builder::GetTaxonomyTagsTree`] | [`types::TaxonomyTag`] | `page` |
//! | [`builder::ListContributions`] | [`types::Contribution`] | `page` |
//! | [`builder::ListInvites`] | [`types::Invite`] | `page` |
//! | [`builder::ListMetaImports`] | [`types::MetaImport`] | `page` |
//! | [`builder::ListMetaImportAssets`] | [`types::MetaImportAsset`] | `page` |
//! | [`builder::ListBulkJobAssets`] | [`types::Asset`] | `page` |
//! | [`builder::GetAccessRequestsTree`] | [`types::AccessRequestTreeNode`] | `page` |
//! | [`builder::GetCollectionSharesTree`] | [`types::Collection`] | `page` |
//! | [`builder::ListAccessRequests`] | [`types::Lightbox`] | `current`, `pageSize` |
//! | [`builder::ListBulkJobs`] | [`types::BulkJob`] | `current`, `pageSize` |
//! | [`builder::ListShareLinks`] | [`types::ShareLink`] | `current`, `pageSize` |
//! | [`builder::ListShares`] | [`types::Share`] | `current`, `pageSize` |
//! | [`builder::ListUserGroups`] | [`types::UserGroup`] | `current`, `pageSize` |
//! | [`builder::ListWebhooks`] | [`types::Webhook`] | `current`, `pageSize` |
//! | [`builder::ListWebhookLogs`] | [`types::WebhookRequestLog`] | `current`, `pageSize` |
//!
//! The other listings of the API answer everything at once. The stream stops at the first error,
//! which it yields.

use futures_util::Stream;
use reqwest::header::HeaderMap;

use crate::runtime::{self, Page};
use crate::{Error, builder, types};

/// The `Total-Entries` header, when present and numeric.
pub fn total_entries(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("total-entries")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Where a listing stands: the next page number and the items seen so far.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    page: i64,
    seen: u64,
}

impl Cursor {
    const START: Cursor = Cursor { page: 1, seen: 0 };
}

/// One page of items and the cursor of the next page: none after an empty page or once `total`
/// items were seen.
fn page<T>(items: Vec<T>, cursor: Cursor, total: Option<u64>) -> Page<T, Cursor> {
    let seen = cursor.seen + items.len() as u64;
    let more = !items.is_empty() && total.is_none_or(|total| seen < total);
    Page {
        items,
        next: more.then_some(Cursor {
            page: cursor.page + 1,
            seen,
        }),
    }
}

impl<'a> builder::SearchAssets<'a> {
    /// Every asset this search finds, as a stream fetched page by page from page 1 (any `page`
    /// set on the builder is replaced). Stops on an empty page or once `Total-Entries` (or the
    /// body's `total`) assets were seen.
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_mediagraph::Client) -> Result<(), sdk_mediagraph::Error> {
    /// use futures_util::TryStreamExt;
    /// let assets: Vec<_> = client.search_assets().q("sunset").per_page(100).into_stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn into_stream(self) -> impl Stream<Item = Result<types::Asset, Error>> + Send + 'a {
        runtime::paginate(Cursor::START, move |cursor| {
            let request = self.clone().page(cursor.page);
            async move {
                let response = request.send().await?;
                let header_total = total_entries(response.headers());
                let result = response.into_inner();
                let body_total = result
                    .total
                    .as_ref()
                    .and_then(|t| t.get())
                    .and_then(|t| u64::try_from(t).ok());
                Ok(page(result.assets, cursor, header_total.or(body_total)))
            }
        })
    }
}

/// `into_stream` for listings that page with `page` (or, with `current` as the second argument,
/// with `current`) and answer with a bare array.
macro_rules! array_listing {
    ($builder:ident, $item:ident, $op:literal) => {
        array_listing!($builder, $item, $op, page);
    };
    ($builder:ident, $item:ident, $op:literal, $page:ident) => {
        impl<'a> builder::$builder<'a> {
            #[doc = concat!(
                "Every item of `", $op, "`, as a stream fetched page by page from page 1 (any `",
                stringify!($page),
                "` set on the builder is replaced). Stops on an empty page or once `Total-Entries` items were seen."
            )]
            pub fn into_stream(self) -> impl Stream<Item = Result<types::$item, Error>> + Send + 'a {
                runtime::paginate(Cursor::START, move |cursor| {
                    let request = self.clone().$page(cursor.page);
                    async move {
                        let response = request.send().await?;
                        let total = total_entries(response.headers());
                        Ok(page(response.into_inner(), cursor, total))
                    }
                })
            }
        }
    };
}

array_listing!(ListTags, Tag, "list_tags");
array_listing!(ListTaxonomyTags, TaxonomyTag, "list_taxonomy_tags");
array_listing!(GetTaxonomyTagsTree, TaxonomyTag, "get_taxonomy_tags_tree");
array_listing!(ListContributions, Contribution, "list_contributions");
array_listing!(ListInvites, Invite, "list_invites");
array_listing!(ListMetaImports, MetaImport, "list_meta_imports");
array_listing!(ListMetaImportAssets, MetaImportAsset, "list_meta_import_assets");
array_listing!(ListBulkJobAssets, Asset, "list_bulk_job_assets");
array_listing!(GetAccessRequestsTree, AccessRequestTreeNode, "get_access_requests_tree");
array_listing!(GetCollectionSharesTree, Collection, "get_collection_shares_tree");
array_listing!(ListAccessRequests, Lightbox, "list_access_requests", current);
array_listing!(ListBulkJobs, BulkJob, "list_bulk_jobs", current);
array_listing!(ListShareLinks, ShareLink, "list_share_links", current);
array_listing!(ListShares, Share, "list_shares", current);
array_listing!(ListUserGroups, UserGroup, "list_user_groups", current);
array_listing!(ListWebhooks, Webhook, "list_webhooks", current);
array_listing!(ListWebhookLogs, WebhookRequestLog, "list_webhook_logs", current);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_stop_on_empty_pages_and_at_the_total() {
        let c = Cursor::START;
        assert_eq!(
            page(vec![1, 2], c, Some(5)).next.map(|c| (c.page, c.seen)),
            Some((2, 2))
        );
        let c = Cursor { page: 3, seen: 4 };
        assert!(page(vec![5], c, Some(5)).next.is_none());
        assert!(page(Vec::<i32>::new(), c, None).next.is_none());
        assert_eq!(page(vec![5], c, None).next.map(|c| c.page), Some(4));
    }
}
