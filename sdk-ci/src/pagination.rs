//! Every Ci listing that pages with `limit`/`offset` as a `futures_util::Stream` of its items.
//!
//! Each listing builder gets a `stream()` method (set filters and sorting on the builder, then
//! call `stream()` instead of `send()`), and [`Client`] gets shortcuts such as
//! [`Client::workspaces_stream`] and [`Client::folder_contents_stream`]. The stream asks for
//! [`PAGE_SIZE`] items at a time (any `limit`/`offset` set on the builder is replaced), advances
//! `offset` by the number of items received, and ends on an empty `items` or when `offset`
//! reaches the listing's `count`. It stops at the first error, which it yields.

use std::future::Future;

use futures_util::Stream;

use crate::runtime::{self, Page};
use crate::{Client, Error, builder, types};

/// Items requested per page: 50, the largest `limit` every Ci listing accepts (events and
/// received MediaBoxes allow no more).
pub const PAGE_SIZE: i64 = 50;

/// Pages through an offset listing. `fetch` gets the offset and returns the page's items and
/// the listing's `count`.
fn offset_stream<'a, T, F, Fut>(mut fetch: F) -> impl Stream<Item = Result<T, Error>> + Send + 'a
where
    T: Send + 'a,
    F: FnMut(i64) -> Fut + Send + 'a,
    Fut: Future<Output = Result<(Vec<T>, Option<i64>), Error>> + Send + 'a,
{
    runtime::paginate(0i64, move |offset| {
        let page = fetch(offset);
        async move {
            let (items, count) = page.await?;
            let next = offset.saturating_add(i64::try_from(items.len()).unwrap_or(i64::MAX));
            let more = !items.is_empty() && count.is_none_or(|count| next < count);
            Ok(Page {
                items,
                next: more.then_some(next),
            })
        }
    })
}

/// `impl builder::X { pub fn stream(self) }` for a GET listing whose answer has `items`/`count`.
macro_rules! query_listing_stream {
    ($builder:ident, $item:ty) => {
        impl<'a> builder::$builder<'a> {
            /// Every item of this listing as a stream that fetches pages of [`PAGE_SIZE`] as it
            /// is read (any `limit`/`offset` set on the builder is replaced). See
            /// [`crate::pagination`].
            pub fn stream(self) -> impl Stream<Item = Result<$item, Error>> + Send + 'a {
                offset_stream(move |offset| {
                    let request = self.clone().limit(PAGE_SIZE).offset(offset);
                    async move {
                        let page = request.send().await?.into_inner();
                        Ok((page.items, page.count))
                    }
                })
            }
        }
    };
}

query_listing_stream!(ListWorkspaces, types::Workspace);
query_listing_stream!(ListWorkspaceContents, types::ContentItem);
query_listing_stream!(ListTrashBinContents, types::ContentItem);
query_listing_stream!(SearchWorkspaceContents, types::ContentItem);
query_listing_stream!(ListFolderContents, types::ContentItem);
query_listing_stream!(ListReceivedMediaboxes, types::ReceivedMediaBox);
query_listing_stream!(ListMediaboxContents, types::MediaBoxContentItem);
query_listing_stream!(ListNetworkEvents, types::NetworkEvent);
query_listing_stream!(ListWorkspaceEvents, types::WorkspaceEvent);

impl<'a> builder::ListEvents<'a> {
    /// Every event of this listing (`POST /events`, paged in the JSON body) as a stream that
    /// fetches pages of [`PAGE_SIZE`] as it is read. See [`crate::pagination`].
    pub fn stream(self) -> impl Stream<Item = Result<types::Event, Error>> + Send + 'a {
        offset_stream(move |offset| {
            let request = self
                .clone()
                .body_map(move |body| body.limit(Some(PAGE_SIZE)).offset(Some(offset)));
            async move {
                let page = request.send().await?.into_inner();
                Ok((page.items, page.count))
            }
        })
    }
}

impl Client {
    /// Every workspace the caller can access (`list_workspaces`), paged.
    pub fn workspaces_stream(&self) -> impl Stream<Item = Result<types::Workspace, Error>> + Send + '_ {
        self.list_workspaces().stream()
    }

    /// The direct subfolders and assets of a folder (`list_folder_contents`), paged; `kind`
    /// `None` means the service default (`all`: folders first).
    pub fn folder_contents_stream(
        &self,
        folder_id: &str,
        kind: Option<types::ContentKind>,
    ) -> impl Stream<Item = Result<types::ContentItem, Error>> + Send + '_ {
        let request = self.list_folder_contents().folder_id(folder_id);
        match kind {
            Some(kind) => request.kind(kind),
            None => request,
        }
        .stream()
    }

    /// Every folder and asset of a workspace (`list_workspace_contents`), paged.
    pub fn workspace_contents_stream(
        &self,
        workspace_id: &str,
        kind: Option<types::ContentKind>,
    ) -> impl Stream<Item = Result<types::ContentItem, Error>> + Send + '_ {
        let request = self.list_workspace_contents().workspace_id(workspace_id);
        match kind {
            Some(kind) => request.kind(kind),
            None => request,
        }
        .stream()
    }

    /// The trashed folders and assets of a workspace (`list_trash_bin_contents`), paged.
    pub fn trash_bin_stream(
        &self,
        workspace_id: &str,
        kind: Option<types::ContentKind>,
    ) -> impl Stream<Item = Result<types::ContentItem, Error>> + Send + '_ {
        let request = self.list_trash_bin_contents().workspace_id(workspace_id);
        match kind {
            Some(kind) => request.kind(kind),
            None => request,
        }
        .stream()
    }

    /// The results of a workspace search by name (`search_workspace_contents`), paged.
    pub fn search_stream(
        &self,
        workspace_id: &str,
        query: &str,
        kind: Option<types::ContentKind>,
    ) -> impl Stream<Item = Result<types::ContentItem, Error>> + Send + '_ {
        let request = self.search_workspace_contents().workspace_id(workspace_id).query(query);
        match kind {
            Some(kind) => request.kind(kind),
            None => request,
        }
        .stream()
    }

    /// The MediaBoxes sent to the caller (`list_received_mediaboxes`; by default the active
    /// ones), paged.
    pub fn received_mediaboxes_stream(&self) -> impl Stream<Item = Result<types::ReceivedMediaBox, Error>> + Send + '_ {
        self.list_received_mediaboxes().stream()
    }

    /// The top-level folders and assets of a MediaBox (`list_mediabox_contents`), paged. For a
    /// Protected or Public MediaBox call it on [`Client::for_mediabox`].
    pub fn mediabox_contents_stream(
        &self,
        mediabox_id: &str,
        kind: Option<types::ContentKind>,
    ) -> impl Stream<Item = Result<types::MediaBoxContentItem, Error>> + Send + '_ {
        let request = self.list_mediabox_contents().mediabox_id(mediabox_id);
        match kind {
            Some(kind) => request.kind(kind),
            None => request,
        }
        .stream()
    }

    /// The workspace events of a Network (`list_network_events`), paged.
    pub fn network_events_stream(
        &self,
        network_id: &str,
    ) -> impl Stream<Item = Result<types::NetworkEvent, Error>> + Send + '_ {
        self.list_network_events().network_id(network_id).stream()
    }

    /// The events of a workspace or catalog (`list_events`, `POST /events`), paged; `filter`
    /// names the workspace or catalog and any `since`/`type` filters (its `limit` and `offset`
    /// are replaced).
    pub fn events_stream(
        &self,
        filter: types::ListEventsRequest,
    ) -> impl Stream<Item = Result<types::Event, Error>> + Send + '_ {
        self.list_events().body(filter).stream()
    }
}
