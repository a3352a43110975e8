//! Paged listings as `futures::Stream`s.
//!
//! Mediagraph pages its listings with `page` (from 1) and sends the number of entries of the whole
//! listing in the `Total-Entries` response header (facts.md); search also reports it as `total`
//! in the body. Every paged listing's builder has `into_stream()`, a stream of every item that
//! requests page 1, 2, … and stops on an empty page or once `Total-Entries` (or `total`) items
//! were seen:
//!
//! - [`builder::SearchAssets::into_stream`] (`search_assets`; set `per_page`, at most 100, to
//!   fetch fewer pages),
//! - [`builder::ListTags::into_stream`] (`list_tags`),
//! - [`builder::ListTaxonomyTags::into_stream`] (`list_taxonomy_tags`),
//! - [`builder::GetTaxonomyTagsTree::into_stream`] (`get_taxonomy_tags_tree`).
//!
//! The other listings of the API are not paged. The stream stops at the first error, which it
//! yields.

use futures::Stream;
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
    /// use futures::TryStreamExt;
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

/// `into_stream` for listings that answer with a bare array.
macro_rules! array_listing {
    ($builder:ident, $item:ident, $op:literal) => {
        impl<'a> builder::$builder<'a> {
            #[doc = concat!("Every item of `", $op, "`, as a stream fetched page by page from page 1 (any `page` set")]
            /// on the builder is replaced). Stops on an empty page or once `Total-Entries` items
            /// were seen.
            pub fn into_stream(self) -> impl Stream<Item = Result<types::$item, Error>> + Send + 'a {
                runtime::paginate(Cursor::START, move |cursor| {
                    let request = self.clone().page(cursor.page);
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
