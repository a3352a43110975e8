//! Paged listings as streams.

use std::future::Future;

use futures::{Stream, TryStreamExt};

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
    futures::stream::try_unfold(Some(start), move |cursor| {
        let next = cursor.map(&mut fetch);
        async move {
            match next {
                None => Ok::<_, Error>(None),
                Some(page) => {
                    let page = page.await?;
                    let items = futures::stream::iter(page.items.into_iter().map(Ok::<T, Error>));
                    Ok(Some((items, page.next)))
                }
            }
        }
    })
    .try_flatten()
}
