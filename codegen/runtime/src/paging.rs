//! Paged listings as streams.

use std::future::Future;

use futures_util::{Stream, StreamExt, TryStreamExt};

use crate::Error;

/// One page of a listing and the cursor of the next page (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts.
    pub next: Option<C>,
}

/// A stream of every item of a paged listing. `fetch` gets a cursor and returns a page; the stream
/// ends after a page without `next`, and stops at the first error (which it yields).
pub fn paginate<T, C, F, Fut>(start: C, mut fetch: F) -> impl Stream<Item = Result<T, Error>> + Send
where
    T: Send,
    C: Send,
    F: FnMut(C) -> Fut + Send,
    Fut: Future<Output = Result<Page<T, C>, Error>> + Send,
{
    futures_util::stream::try_unfold(Some(start), move |cursor| {
        let next = cursor.map(&mut fetch);
        async move {
            match next {
                None => Ok::<_, Error>(None),
                Some(page) => {
                    let page = page.await?;
                    let items = futures_util::stream::iter(page.items.into_iter().map(Ok::<T, Error>));
                    Ok(Some((items, page.next)))
                }
            }
        }
    })
    .try_flatten()
}

/// [`paginate`] for listings whose page size the caller chooses: a `page_size` of 0 yields one
/// [`Error::InvalidInput`] naming it (before any request) instead of paging forever; otherwise
/// `fetch` gets the cursor and the page size.
pub fn paginate_sized<T, C, F, Fut>(
    page_size: u64,
    start: C,
    mut fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send
where
    T: Send,
    C: Send,
    F: FnMut(C, u64) -> Fut + Send,
    Fut: Future<Output = Result<Page<T, C>, Error>> + Send,
{
    if page_size == 0 {
        futures_util::stream::once(async { Err(Error::InvalidInput("page_size must be at least 1".into())) })
            .left_stream()
    } else {
        paginate(start, move |cursor| fetch(cursor, page_size)).right_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_zero_page_size_is_refused_before_any_request() {
        let mut calls = 0;
        let items: Vec<Result<u8, Error>> = paginate_sized(0, 0u8, |_, _| {
            calls += 1;
            async {
                Ok(Page {
                    items: vec![1u8],
                    next: None,
                })
            }
        })
        .collect()
        .await;
        assert_eq!(calls, 0);
        assert!(matches!(&items[..], [Err(Error::InvalidInput(m))] if m.contains("page_size")));
    }
}
