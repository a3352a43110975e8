//! Resource metadata, comments and offline sync: the v2 calls whose wire the generated code cannot
//! say, or says awkwardly.
//!
//! - **Metadata update** (`PUT /webapp/1.0/resources?fileuuid=…`, form-urlencoded): `name`,
//!   `description` and the resource's tags as repeated `tags[]` keys (the document lists Tags among
//!   the supported metadata but shows no field name; `tags[]` is inferred). progenitor cannot put a
//!   list in a form, so [`Client::update_resource_metadata`] is written here.
//! - **Sync** (`POST /webapp/1.0/sync`): the form field `sync` holds a JSON document;
//!   [`Client::sync`] takes typed entries and writes that JSON.
//! - **Comments**: an answer holds one comment object, a list of them, or none;
//!   [`types::CommentList::as_slice`] reads them all the same way.

use reqwest::Url;
use reqwest::header::ACCEPT;

use crate::runtime::{self, Idempotency};
use crate::{Client, Error, types};

const RESOURCES_PATH: &str = "/webapp/1.0/resources";

impl Client {
    /// Updates a resource's title (`name`), description and tags (`PUT /webapp/1.0/resources`,
    /// form `description=…&name=…&tags[]=…&tags[]=…`; unset fields are not sent, and sending tags
    /// replaces them). Answers the Resource Response.
    pub async fn update_resource_metadata(
        &self,
        fileuuid: &str,
        metadata: &types::UpdateResourceMetadataForm,
    ) -> Result<types::ResourceResponse, Error> {
        runtime::check_credential("fileuuid", fileuuid)?;
        let mut form: Vec<(&str, &str)> = Vec::new();
        if let Some(d) = &metadata.description {
            form.push(("description", d));
        }
        if let Some(n) = &metadata.name {
            form.push(("name", n));
        }
        form.extend(metadata.tags.iter().map(|t| ("tags[]", t.as_str())));
        let mut url = Url::parse(&format!("{}{RESOURCES_PATH}", self.baseurl))
            .map_err(|e| Error::InvalidInput(format!("the API base URL is not a URL: {e}")))?;
        url.query_pairs_mut().append_pair("fileuuid", fileuuid);
        let request = self
            .client
            .put(url)
            .header(ACCEPT, "application/json")
            .form(&form)
            .build()?;
        let (_, _, body) = runtime::execute(
            &self.client,
            &self.inner,
            request,
            "update_resource_metadata",
            Idempotency::FromMethod,
        )
        .await?;
        runtime::decode_json("update_resource_metadata", &body, false)
    }

    /// Synchronises folders and files (`POST /webapp/1.0/sync`): `entries` name the folders the
    /// client keeps and the files it holds with their `updatedat`; they are sent as the JSON
    /// document of the form field `sync`. Answers, per folder its current resources and per file
    /// whether it was deleted, updated, is new or is no longer accessible.
    pub async fn sync(&self, entries: &[types::SyncRequestEntry]) -> Result<types::SyncResponse, Error> {
        let sync = serde_json::to_string(entries).map_err(|e| Error::InvalidInput(format!("entries: {e}")))?;
        Ok(self
            .sync_changes()
            .body(types::SyncForm { sync })
            .send()
            .await?
            .into_inner())
    }
}

impl types::CommentList {
    /// The comments, whether the answer held a list or a single comment object.
    pub fn as_slice(&self) -> &[types::Comment] {
        match self {
            types::CommentList::Array(list) => list,
            types::CommentList::Comment(one) => std::slice::from_ref(one),
        }
    }
}
