//! The v3 "Graph" API, reached through the same [`Client`] and session as v2:
//! [`client.v3()`](Client::v3) gives a [`V3`] handle.
//!
//! The wire (`shared/facts.md`, "IntelligenceBank v3"):
//!
//! - Every v3 call goes to the v3 host that the v2 login names (`apiV3url`, e.g.
//!   `https://usprod2usv3.intelligencebank.com`), under `/api/3.0.0/{clientid}/` (`clientid` of the
//!   login answer); the POST query form goes to `{apiV3url}/api/json`.
//! - It carries the session id in a `sid` header and the product key as `productkey=` in the query —
//!   no `_aid` cookie, no `p10`/`p20`. The client's session adds these (see [`crate::auth`]), and
//!   renews the session once after a 401, as it does for v2.
//! - Listings name a table with dotted modifiers in one path segment whose `(`, `)`, `,` and `:`
//!   stay unescaped ([`Table`]), with search parameters as `searchParams[<name>]` ([`SearchParams`]).
//!   They answer `{"response": {"count", "offset", "rows"}}`; `count` is the number of matches in
//!   all.
//! - `PUT …/resource/{uuid}?verbose=null` with `{"data": {...}}` updates a resource;
//!   `GET …/resource/{uuid}?action=download` answers its file; `POST …/file?target=…` with a
//!   multipart part `file` stores a file and answers its hash.
//!
//! Every call is sent through the runtime's pipeline like the generated v2 calls (session, pacing
//! by the client's [`RateLimiter`](crate::RateLimiter), retries of idempotent calls, a `dam_request`
//! tracing span, typed [`Error`]s); the models are generated from `specs/intelligencebank.yaml`
//! (`types::V3*`), where these operations are described and marked hand-written.

mod table;

use std::fmt;
use std::num::NonZeroU64;
use std::path::Path;

use futures_util::Stream;
use reqwest::Url;
use reqwest::multipart::Form;
use serde::de::DeserializeOwned;
use tokio::io::AsyncWrite;

pub use table::{Direction, SearchParams, Table};

use crate::auth::SessionAuth;
use crate::runtime::{self, DownloadReport, Idempotency, Page, Resume};
use crate::upload::{FilePart, send_multipart};
use crate::{Client, Error, types};

/// The API version of the v3 paths and of POST queries.
pub const V3_VERSION: &str = "3.0.0";

/// The v3 Graph API of a [`Client`]'s session. Get one with [`Client::v3`]; it is cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct V3<'a> {
    client: &'a Client,
}

impl Client {
    /// The v3 Graph API, on the same session (one login, one renewal, one call limit) as this
    /// client's v2 calls. The client must hold an IntelligenceBank session ([`Client::builder`] or
    /// [`Client::from_session`]) whose login answer named `apiV3url` and `clientid`.
    pub fn v3(&self) -> V3<'_> {
        V3 { client: self }
    }
}

impl<'a> V3<'a> {
    /// The root of the session's v3 paths, `{apiV3url}/api/3.0.0/{clientid}` (logging in first
    /// when the session needs it). Fails with [`Error::Auth`] when the login answer named no
    /// `apiV3url` or `clientid`, and with [`Error::InvalidInput`] when the client holds no
    /// IntelligenceBank session at all.
    pub async fn root(self) -> Result<Url, Error> {
        let auth = self
            .client
            .inner
            .authenticator()
            .as_any()
            .and_then(|a| a.downcast_ref::<SessionAuth>())
            .ok_or_else(|| {
                Error::InvalidInput(
                    "v3 calls need a client that holds an IntelligenceBank session (Client::builder or Client::from_session)"
                        .into(),
                )
            })?;
        auth.valid_session().await?.v3_root()
    }

    /// One page of resources: `GET {root}/{table}?{search}` into a [`types::V3ResourcePage`]. Use a
    /// `resource` table, e.g. `Table::resource().limit(0, 100).order("createTime",
    /// Direction::Descending)`; [`resources`](Self::resources) walks every page.
    pub async fn list_resources(self, table: &Table, search: &SearchParams) -> Result<types::V3ResourcePage, Error> {
        self.get_table("v3_list_resources", table, search).await
    }

    /// One page of folders: `GET {root}/{table}?{search}` into a [`types::V3FolderPage`]. Use a
    /// `folder` table, e.g. `Table::folder().limit(0, 100)` with
    /// [`SearchParams::parent`]; [`folders`](Self::folders) walks every page.
    pub async fn list_folders(self, table: &Table, search: &SearchParams) -> Result<types::V3FolderPage, Error> {
        self.get_table("v3_list_folders", table, search).await
    }

    /// Every resource that `search` matches, in the order of `table` (a `resource` table whose
    /// limit is replaced page by page), fetched `page_size` at a time as the stream is read. The
    /// stream ends when `count` rows have been read or after a short or empty page, and stops at
    /// the first error, which it yields.
    pub fn resources(
        self,
        table: Table,
        search: SearchParams,
        page_size: NonZeroU64,
    ) -> impl Stream<Item = Result<types::V3Resource, Error>> + Send + 'a {
        runtime::paginate(0u64, move |offset| {
            let page = table.clone().limit(offset, page_size.get());
            let search = search.clone();
            async move {
                let rows = self.list_resources(&page, &search).await?.response.unwrap_or_default();
                Ok(next_page(
                    rows.rows,
                    rows.count.and_then(|c| c.get()),
                    offset,
                    page_size,
                ))
            }
        })
    }

    /// Every folder that `search` matches (e.g. [`SearchParams::parent`]), paged like
    /// [`resources`](Self::resources).
    pub fn folders(
        self,
        table: Table,
        search: SearchParams,
        page_size: NonZeroU64,
    ) -> impl Stream<Item = Result<types::V3Folder, Error>> + Send + 'a {
        runtime::paginate(0u64, move |offset| {
            let page = table.clone().limit(offset, page_size.get());
            let search = search.clone();
            async move {
                let rows = self.list_folders(&page, &search).await?.response.unwrap_or_default();
                Ok(next_page(
                    rows.rows,
                    rows.count.and_then(|c| c.get()),
                    offset,
                    page_size,
                ))
            }
        })
    }

    /// Updates a resource's fields: `PUT {root}/resource/{uuid}?verbose=null` with the JSON body
    /// `{"data": {...}}` (e.g. its `tags`). Retried on 429/503 like every PUT. The answer is kept
    /// as an open map (an empty body is an empty map).
    pub async fn update_resource(
        self,
        uuid: &str,
        update: &types::V3ResourceUpdate,
    ) -> Result<types::V3UpdateResponse, Error> {
        const OP: &str = "v3_update_resource";
        let mut url = self.resource_url(uuid).await?;
        url.query_pairs_mut().append_pair("verbose", "null");
        let request = self.client.client.put(url).json(update).build()?;
        let body = self.body(request, OP, Idempotency::FromMethod).await?;
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &body
        };
        runtime::decode_json(OP, body, false)
    }

    /// Starts downloading a resource's current file: `GET {root}/resource/{uuid}?action=download`.
    /// The answer's body is still streaming: read its [`file_name`](V3Download::file_name) and
    /// [`write_to`](V3Download::write_to) any writer, without holding the file in memory.
    pub async fn download(self, uuid: &str) -> Result<V3Download, Error> {
        let mut url = self.resource_url(uuid).await?;
        url.query_pairs_mut().append_pair("action", "download");
        let request = self.client.client.get(url).build()?;
        let response = runtime::send(
            &self.client.client,
            &self.client.inner,
            request,
            "v3_download_resource",
            Idempotency::FromMethod,
        )
        .await?;
        Ok(V3Download { response })
    }

    /// Downloads a resource's current file into `writer`, resuming a broken transfer from where it
    /// broke off (`Range` with `If-Range`) and reporting progress ([`Resume`]); answers what was
    /// written and how often it was resumed.
    pub async fn download_resumable<W>(
        self,
        uuid: &str,
        writer: &mut W,
        options: &Resume,
    ) -> Result<DownloadReport, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut url = self.resource_url(uuid).await?;
        url.query_pairs_mut().append_pair("action", "download");
        let request = self.client.client.get(url).build()?;
        runtime::download(
            &self.client.client,
            &self.client.inner,
            "v3_download_resource",
            request,
            writer,
            options,
        )
        .await
    }

    /// Downloads a resource's current file into a new file at `path` (replacing an existing one);
    /// returns the number of bytes written. A failed download removes the partial file.
    pub async fn download_to_file(self, uuid: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        let path = path.as_ref();
        let download = self.download(uuid).await?;
        let mut file = tokio::fs::File::create(path).await?;
        let result = download.write_to(&mut file).await;
        if result.is_err() {
            drop(file);
            let _ = tokio::fs::remove_file(path).await;
        }
        result
    }

    /// Uploads a file: `POST {root}/file?target={target}` with the file in the multipart part
    /// `file`, streamed (never read into memory) and never retried blindly; a file from a path
    /// that is refused with 401/403 is sent once more after a new login. Answers the stored file's
    /// hash (`response._id`).
    pub async fn upload_file(
        self,
        target: types::V3UploadTarget,
        mut file: FilePart,
    ) -> Result<types::V3FileUploadResponse, Error> {
        let mut url = self.root().await?;
        push_segments(&mut url, &["file"])?;
        url.query_pairs_mut().append_pair("target", &target.to_string());
        let form = |part| Ok(Form::new().part("file", part));
        send_multipart(self.client, url, &mut file, form, "v3_upload_file").await
    }

    /// Runs a query in its POST form: `POST {apiV3url}/api/json` with
    /// `{"client", "method", "query_params", "table", "version": "3.0.0"}` (the client id filled
    /// in), for what the path form cannot say. `table` is a [`Table`] or any text such as
    /// `"resource.limit(1)"`; `query_params` e.g. [`SearchParams::to_query_params`]. The answer is
    /// decoded into `T`: [`types::V3ResourcePage`], [`types::V3QueryPage`] (rows as JSON),
    /// `serde_json::Value`, .... A `GET` query is retried on 429/503; other methods never are.
    pub async fn query<T: DeserializeOwned>(
        self,
        method: types::V3QueryMethod,
        table: impl fmt::Display,
        query_params: serde_json::Map<String, serde_json::Value>,
    ) -> Result<T, Error> {
        const OP: &str = "v3_query";
        let root = self.root().await?;
        let client = root
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or_default()
            .to_string();
        let url = root
            .join("../json")
            .map_err(|e| Error::InvalidInput(format!("no v3 query URL under the v3 root: {e}")))?;
        let mode = if method == types::V3QueryMethod::Get {
            Idempotency::FromMethod
        } else {
            Idempotency::Never
        };
        let body = types::V3Query {
            client,
            method,
            query_params,
            table: table.to_string(),
            version: V3_VERSION.to_string(),
        };
        let request = self.client.client.post(url).json(&body).build()?;
        let answer = self.body(request, OP, mode).await?;
        runtime::decode_json(OP, &answer, false)
    }

    async fn get_table<T: DeserializeOwned>(
        self,
        operation: &'static str,
        table: &Table,
        search: &SearchParams,
    ) -> Result<T, Error> {
        let mut url = table.url_under(&self.root().await?)?;
        search.append_to(&mut url);
        let request = self.client.client.get(url).build()?;
        let body = self.body(request, operation, Idempotency::FromMethod).await?;
        runtime::decode_json(operation, &body, false)
    }

    /// `{root}/resource/{uuid}` (the uuid percent-encoded as a path segment).
    async fn resource_url(self, uuid: &str) -> Result<Url, Error> {
        if uuid.trim().is_empty() {
            return Err(Error::InvalidInput(
                "a v3 resource call needs the resource's uuid".into(),
            ));
        }
        let mut url = self.root().await?;
        push_segments(&mut url, &["resource", uuid])?;
        Ok(url)
    }

    /// Sends a request through the runtime's pipeline and reads the whole answer body.
    async fn body(
        self,
        request: reqwest::Request,
        operation: &'static str,
        mode: Idempotency,
    ) -> Result<Vec<u8>, Error> {
        let (_, _, body) = runtime::execute(&self.client.client, &self.client.inner, request, operation, mode).await?;
        Ok(body.into())
    }
}

/// Appends path segments (each percent-encoded as a segment).
fn push_segments(url: &mut Url, segments: &[&str]) -> Result<(), Error> {
    url.path_segments_mut()
        .map_err(|()| Error::InvalidInput("the v3 root URL cannot hold a path".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(())
}

/// A page of `rows` read at `offset`, and where the next one starts: nowhere after a short or
/// empty page, or once `count` rows (when the service said how many) have been read.
fn next_page<T>(rows: Vec<T>, count: Option<i64>, offset: u64, page_size: NonZeroU64) -> Page<T, u64> {
    let read = rows.len() as u64;
    let end = offset + read;
    let more = read >= page_size.get() && count.is_none_or(|c| end < u64::try_from(c).unwrap_or(0));
    Page {
        items: rows,
        next: more.then_some(end),
    }
}

/// A v3 download whose body is still streaming, from [`V3::download`].
pub struct V3Download {
    response: reqwest::Response,
}

impl fmt::Debug for V3Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V3Download")
            .field("status", &self.response.status())
            .field("file_name", &self.file_name())
            .field("content_type", &self.content_type())
            .field("content_length", &self.content_length())
            .finish()
    }
}

impl V3Download {
    /// The file's name from `Content-Disposition` (`filename*=` preferred over `filename=`),
    /// without any directory part, when the service sent one.
    pub fn file_name(&self) -> Option<String> {
        let value = self
            .response
            .headers()
            .get(reqwest::header::CONTENT_DISPOSITION)?
            .to_str()
            .ok()?;
        disposition_file_name(value)
    }

    /// The `Content-Type` of the file, when sent.
    pub fn content_type(&self) -> Option<&str> {
        self.response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The file's length (`Content-Length`), when known.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// Streams the file into `writer`; returns the number of bytes written. A transfer cut off
    /// midway is [`Error::Transport`] (what was written before stays in `writer`).
    pub async fn write_to<W>(self, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        runtime::copy_to_writer(self.response.bytes_stream(), writer).await
    }
}

/// The file name of a `Content-Disposition` value: `filename*=UTF-8''<percent-encoded>` or
/// `filename="<name>"`, with any directory part removed.
fn disposition_file_name(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for param in value.split(';').skip(1) {
        let Some((key, raw)) = param.split_once('=') else {
            continue;
        };
        let raw = raw.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => extended = raw.splitn(3, '\'').nth(2).map(percent_decode),
            "filename" => plain = Some(raw.trim_matches('"').to_string()),
            _ => {}
        }
    }
    let name = extended.or(plain)?;
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Decodes `%XX` escapes (invalid ones are kept as they are) as UTF-8, lossily.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_content_disposition() {
        let name = |v| disposition_file_name(v);
        assert_eq!(name(r#"attachment; filename="4.png""#).as_deref(), Some("4.png"));
        assert_eq!(name("attachment; filename=report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(
            name(r#"attachment; filename="plain.txt"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%201.txt"#).as_deref(),
            Some("Grüße 1.txt")
        );
        assert_eq!(
            name(r#"attachment; filename="../../etc/passwd""#).as_deref(),
            Some("passwd")
        );
        assert_eq!(name(r#"attachment; filename="C:\\x\\y.doc""#).as_deref(), Some("y.doc"));
        assert_eq!(name("attachment"), None);
        assert_eq!(name(r#"attachment; filename="""#), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn paging_stops_at_count_or_a_short_page() {
        let size = NonZeroU64::new(2).unwrap();
        assert_eq!(next_page(vec![1, 2], Some(5), 0, size).next, Some(2));
        assert_eq!(next_page(vec![3, 4], Some(4), 2, size).next, None, "count reached");
        assert_eq!(next_page(vec![5], Some(9), 4, size).next, None, "short page");
        assert_eq!(next_page(Vec::<u8>::new(), None, 4, size).next, None, "empty page");
        assert_eq!(next_page(vec![1, 2], None, 0, size).next, Some(2), "no count: go on");
    }
}
