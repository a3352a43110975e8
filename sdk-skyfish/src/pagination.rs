//! Search pagination: a `futures_util::Stream` over every hit of a search, fetched page by page with
//! `media_offset`/`media_count`.
//!
//! The stream ends when `media_offset` + the hits received reach the answer's `hits`, or on an
//! empty page (or, when `hits` is missing, on a short page).

use futures_util::Stream;

use crate::runtime::{self, Page};
use crate::{Error, builder, types};

/// Turns one search answer into a page of hits and the offset of the next page.
fn page(result: types::SearchResult, offset: u64, page_size: u64) -> Page<types::SearchMedia, u64> {
    let response = result.response.unwrap_or_default();
    let received = response.media.len() as u64;
    let next = offset + received;
    let more = received > 0
        && match response.hits {
            Some(hits) => i64::try_from(next).is_ok_and(|n| n < hits),
            None => received >= page_size,
        };
    Page {
        items: response.media,
        next: more.then_some(next),
    }
}

impl<'a> builder::SearchMedia<'a> {
    /// Every hit of this search, as a stream that requests `page_size` hits at a time (the
    /// service's default page is 500), starting at offset 0. Any `media_offset`/`media_count` set
    /// on the builder is replaced per page. The stream stops at the first error, which it yields;
    /// a `page_size` of 0 is an [`Error::InvalidInput`] before any request.
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_skyfish::Client) -> Result<(), sdk_skyfish::Error> {
    /// use futures_util::TryStreamExt;
    /// use sdk_skyfish::types::ReturnValue;
    /// let hits: Vec<_> = client
    ///     .search_media()
    ///     .q("cat")
    ///     .return_values(vec![ReturnValue::UniqueMediaId, ReturnValue::Title])
    ///     .into_stream(500)
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn into_stream(self, page_size: u64) -> impl Stream<Item = Result<types::SearchMedia, Error>> + Send + 'a {
        runtime::paginate_sized(page_size, 0u64, move |offset, page_size| {
            let request = self.clone().media_offset(offset).media_count(page_size);
            async move {
                let result = request.send().await?.into_inner();
                Ok(page(result, offset, page_size))
            }
        })
    }
}

impl<'a> builder::SearchColourboxDownloads<'a> {
    /// Every hit of this Colourbox-downloads search, page by page; see
    /// [`SearchMedia::into_stream`](builder::SearchMedia::into_stream).
    pub fn into_stream(self, page_size: u64) -> impl Stream<Item = Result<types::SearchMedia, Error>> + Send + 'a {
        runtime::paginate_sized(page_size, 0u64, move |offset, page_size| {
            let request = self.clone().media_offset(offset).media_count(page_size);
            async move {
                let result = request.send().await?.into_inner();
                Ok(page(result, offset, page_size))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(hits: Option<i64>, n: usize) -> types::SearchResult {
        types::SearchResult {
            response: Some(types::SearchResponse {
                hits,
                media: vec![types::SearchMedia::default(); n],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn pages_stop_at_hits_or_on_an_empty_page() {
        assert_eq!(page(result(Some(1200), 500), 0, 500).next, Some(500));
        assert_eq!(page(result(Some(1200), 200), 1000, 500).next, None);
        assert_eq!(page(result(Some(1200), 0), 500, 500).next, None);
        assert_eq!(page(result(None, 500), 0, 500).next, Some(500));
        assert_eq!(page(result(None, 3), 500, 500).next, None);
    }
}
