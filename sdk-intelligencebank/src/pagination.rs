//! Paging through a folder's resources. `get_folder_contents` answers all sub-folders and, of the
//! resources, `limit` (50 by default) starting at `skip`; [`Client::folder_resources`] walks the
//! pages as a `futures_util::Stream`. Search answers cannot be paged (document L639).

use std::num::NonZeroU64;

use futures_util::Stream;

use crate::runtime::{self, Page};
use crate::{Client, Error, types};

/// The page size the service uses when none is given (document L259).
pub const DEFAULT_PAGE_SIZE: NonZeroU64 = NonZeroU64::new(50).unwrap();

impl Client {
    /// Every resource of the folder `folderuuid`, fetched `page_size` at a time (`skip`/`limit`)
    /// as the stream is read. The stream ends after a page with fewer than `page_size` resources
    /// (or none) and stops at the first error, which it yields. Sub-folders are in each page's
    /// `folder` list: read them with [`get_folder_contents`](Client::get_folder_contents).
    pub fn folder_resources(
        &self,
        folderuuid: &str,
        page_size: NonZeroU64,
    ) -> impl Stream<Item = Result<types::Resource, Error>> + Send + '_ {
        let folderuuid = folderuuid.to_string();
        runtime::paginate(0u64, move |skip| {
            let request = self
                .get_folder_contents()
                .folderuuid(folderuuid.clone())
                .skip(skip)
                .limit(page_size);
            async move {
                let answer = request.send().await?.into_inner();
                let items = answer.response.and_then(|r| r.resource).unwrap_or_default();
                let count = items.len() as u64;
                let next = (count >= page_size.get()).then_some(skip + count);
                Ok(Page { items, next })
            }
        })
    }
}
