//! Uploads: the five-step flow of facts.md, with the file streamed (never held in memory).
//!
//! 1. create an upload session — `POST /api/uploads` with `{"upload": {...}}` (or
//!    `POST /api/contributions/{id}/uploads` when a contribution is given);
//! 2. for each file, prepare a pending asset — `POST /api/uploads/{upload guid}/assets` with
//!    `{"asset": {"filename", "file_size", ...}}`; the answer carries `signed_upload_url` (valid
//!    one hour);
//! 3. `PUT` the raw bytes to `signed_upload_url` with `Content-Type` (given, or guessed from the
//!    file name) and `Content-Length`, and **no** Mediagraph credentials; never retried;
//! 4. mark the file uploaded — `GET /api/assets/{asset guid}/set_uploaded`;
//! 5. mark the session done — `PUT /api/uploads/{id}/set_done`.
//!
//! Each [`UploadFile`] can report the progress of its `PUT` ([`UploadFile::on_progress`]: bytes
//! handed to the connection so far, and the file's length).
//!
//! [`Client::upload_files`] runs all of it; [`Client::start_upload`], [`Client::upload_to_session`]
//! and [`Client::put_signed_upload`] are the steps, for callers who drive the session themselves.
//! [`Client::upload_version`] uploads a new data version of an existing asset
//! (`POST /api/assets/{id}/add_version`, then steps 3 and 4).

use std::path::PathBuf;

use futures_util::{StreamExt as _, TryStreamExt as _};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::{Map, Value};

use crate::runtime::{self, ClientState, Idempotency, OnProgress, Progress};
use crate::wrapped::Bare;
use crate::{Client, Error, types};

/// The bytes of a stream given to [`UploadFile::stream`].
type Chunks = futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>;

enum Source {
    Path(PathBuf),
    Stream { chunks: Chunks, len: u64 },
}

/// One file to upload: a local file (read as it is sent) or a byte stream of known length.
pub struct UploadFile {
    filename: Option<String>,
    source: Source,
    content_type: Option<String>,
    attributes: Map<String, Value>,
    on_progress: Option<OnProgress>,
}

impl std::fmt::Debug for UploadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Path(path) => format!("path {}", path.display()),
            Source::Stream { len, .. } => format!("stream of {len} bytes"),
        };
        f.debug_struct("UploadFile")
            .field("filename", &self.filename)
            .field("source", &source)
            .field("content_type", &self.content_type)
            .field("attributes", &self.attributes)
            .field("on_progress", &self.on_progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl UploadFile {
    /// A local file; its name is the path's file name and its length is read when it is sent.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self {
            filename: None,
            source: Source::Path(path.into()),
            content_type: None,
            attributes: Map::new(),
            on_progress: None,
        }
    }

    /// A stream of `len` bytes named `filename`. The stream is sent as it is read; it must yield
    /// exactly `len` bytes (the storage service needs the length up front).
    pub fn stream<S>(filename: impl Into<String>, len: u64, stream: S) -> Self
    where
        S: futures_util::TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        bytes::Bytes: From<S::Ok>,
    {
        Self {
            filename: Some(filename.into()),
            source: Source::Stream {
                chunks: stream
                    .map_ok(bytes::Bytes::from)
                    .map_err(std::io::Error::other)
                    .into_stream()
                    .boxed(),
                len,
            },
            content_type: None,
            attributes: Map::new(),
            on_progress: None,
        }
    }

    /// An async reader of `len` bytes named `filename`, sent as it is read.
    pub fn reader<R>(filename: impl Into<String>, len: u64, reader: R) -> Self
    where
        R: tokio::io::AsyncRead + Send + 'static,
    {
        Self::stream(
            filename,
            len,
            tokio_util::io::ReaderStream::with_capacity(reader, runtime::FILE_CHUNK),
        )
    }

    /// The file name to give the asset (default: the path's file name).
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// The `Content-Type` of the upload (default: guessed from the file name, else
    /// `application/octet-stream`).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// One more asset attribute sent with `filename` and `file_size` when the asset is prepared.
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Reports the progress of the file's `PUT` to the storage service: `on_progress` is called
    /// with the bytes handed to the connection so far and the file's length, as each chunk goes.
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_mediagraph::Client) -> Result<(), sdk_mediagraph::Error> {
    /// use sdk_mediagraph::{UploadFile, UploadOptions};
    /// let file = UploadFile::path("video.mp4").on_progress(|p| {
    ///     let total = p.total.unwrap_or(0).max(1);
    ///     eprint!("\r{:3}%", p.done * 100 / total);
    /// });
    /// client.upload_files(vec![file], &UploadOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub fn on_progress(mut self, on_progress: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(std::sync::Arc::new(on_progress));
        self
    }

    /// The file name, when known without opening the file.
    fn name(&self) -> Option<String> {
        self.filename.clone().or_else(|| match &self.source {
            Source::Path(path) => path.file_name().and_then(|n| n.to_str()).map(str::to_string),
            Source::Stream { .. } => None,
        })
    }

    /// Opens the file: its name, length, content type and a streaming body.
    async fn open(self) -> Result<Opened, Error> {
        let (body, len, name) = match self.source {
            Source::Path(path) => {
                let (body, len, name) = runtime::file_body_with_progress(&path, self.on_progress).await?;
                (body, len, self.filename.unwrap_or(name))
            }
            Source::Stream { chunks, len } => {
                let body = match self.on_progress {
                    Some(report) => runtime::counting_body(chunks, len, report),
                    None => reqwest::Body::wrap_stream(chunks),
                };
                (body, len, self.filename.unwrap_or_default())
            }
        };
        if name.is_empty() {
            return Err(Error::InvalidInput("an upload needs a file name".into()));
        }
        let content_type = self.content_type.unwrap_or_else(|| {
            mime_guess::from_path(&name)
                .first_or_octet_stream()
                .essence_str()
                .to_string()
        });
        Ok(Opened {
            name,
            len,
            content_type,
            body,
            attributes: self.attributes,
        })
    }
}

struct Opened {
    name: String,
    len: u64,
    content_type: String,
    body: reqwest::Body,
    attributes: Map<String, Value>,
}

/// `attributes` without the keys a typed field sends (so no key goes twice).
fn extra_without(mut attributes: Map<String, Value>, typed: &[&str]) -> Map<String, Value> {
    for key in typed {
        attributes.remove(*key);
    }
    attributes
}

impl Opened {
    /// The file's size as the API's signed integer.
    fn file_size(&self) -> Result<i64, Error> {
        i64::try_from(self.len).map_err(|_| Error::InvalidInput(format!("a file of {} bytes is too large", self.len)))
    }

    /// The `asset` object of the prepare call: `filename`, `file_size` and the caller's other
    /// attributes (sent as given, through the model's `extra`).
    fn upload_asset(&mut self) -> Result<types::NewUploadAsset, Error> {
        Ok(types::NewUploadAsset {
            filename: self.name.clone(),
            file_size: self.file_size()?,
            path: None,
            created_via: None,
            created_via_id: None,
            extra: extra_without(std::mem::take(&mut self.attributes), &["filename", "file_size"]),
        })
    }

    /// The `asset` object of an `add_version` call, built like [`Opened::upload_asset`].
    fn version_asset(&mut self) -> Result<types::NewAssetVersion, Error> {
        Ok(types::NewAssetVersion {
            filename: self.name.clone(),
            file_size: self.file_size()?,
            created_via: None,
            created_via_id: None,
            extra: extra_without(std::mem::take(&mut self.attributes), &["filename", "file_size"]),
        })
    }
}

/// Settings of an upload session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadOptions {
    /// The session's name (default: the first file's name).
    pub name: Option<String>,
    /// A note on the session.
    pub note: Option<String>,
    /// Upload into this contribution (`POST /api/contributions/{id}/uploads`); default: the
    /// organization's default storage folder (`POST /api/uploads`).
    pub contribution_id: Option<i64>,
    /// More session attributes, sent under `upload` with `name` and `note`.
    pub attributes: Map<String, Value>,
    /// `skip_meta` of each `set_uploaded` call: do not take description, tags, location or
    /// capture time from the file's metadata.
    pub skip_meta: Option<bool>,
}

/// What [`Client::upload_files`] created.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadOutcome {
    /// The upload session, as `set_done` answered.
    pub session: types::UploadSession,
    /// The created assets, in the order of the files, as `set_uploaded` answered.
    pub assets: Vec<types::Asset>,
}

fn missing(what: &str, record: &impl serde::Serialize) -> Error {
    let body = serde_json::to_string(record).unwrap_or_default();
    Error::Decode {
        operation: "upload",
        path: String::new(),
        message: format!("the answer has no {what}"),
        excerpt: body.chars().take(512).collect(),
    }
}

impl Client {
    /// Uploads files into a new upload session and marks it done (steps 1–5 of the
    /// [module docs](crate::upload)). Returns the session and the created assets.
    pub async fn upload_files(&self, files: Vec<UploadFile>, options: &UploadOptions) -> Result<UploadOutcome, Error> {
        let Some(first) = files.first() else {
            return Err(Error::InvalidInput("nothing to upload".into()));
        };
        let mut options = options.clone();
        if options.name.is_none() {
            options.name = first.name();
        }
        let session = self.start_upload(&options).await?;
        let guid = session.guid.clone().ok_or_else(|| missing("upload guid", &session))?;
        let id = session
            .id
            .as_ref()
            .and_then(|id| id.as_str().parse::<i64>().ok())
            .ok_or_else(|| missing("numeric upload id", &session))?;
        let mut assets = Vec::with_capacity(files.len());
        for file in files {
            assets.push(self.upload_to_session(&guid, file, options.skip_meta).await?);
        }
        let session = self
            .set_upload_session_done()
            .id(id)
            .send()
            .await?
            .into_inner()
            .into_bare();
        Ok(UploadOutcome { session, assets })
    }

    /// Uploads one local file; see [`upload_files`](Self::upload_files).
    pub async fn upload_file(&self, path: impl Into<PathBuf>, options: &UploadOptions) -> Result<UploadOutcome, Error> {
        self.upload_files(vec![UploadFile::path(path)], options).await
    }

    /// Step 1: creates an upload session, `{"upload": {name, note, ...}}`, in the contribution
    /// when one is given.
    pub async fn start_upload(&self, options: &UploadOptions) -> Result<types::UploadSession, Error> {
        let upload = types::UploadFields {
            name: options.name.clone(),
            note: options.note.clone(),
            default_rights_package_id: None,
            extra: extra_without(
                options.attributes.clone(),
                &[("name", options.name.is_some()), ("note", options.note.is_some())]
                    .map(|(key, typed)| if typed { key } else { "" }),
            ),
        };
        let session = match options.contribution_id {
            Some(contribution_id) => {
                self.create_upload_session_from_contribution()
                    .contribution_id(contribution_id)
                    .body(types::UploadFromContributionBody {
                        upload,
                        contribution_id: Some(contribution_id),
                    })
                    .send()
                    .await?
            }
            None => {
                self.create_upload_session()
                    .body(types::UploadBody { upload })
                    .send()
                    .await?
            }
        };
        Ok(session.into_inner().into_bare())
    }

    /// Steps 2–4 for one file: prepares the asset in the session with this `upload_guid`, PUTs the
    /// bytes to its `signed_upload_url` and marks it uploaded. Returns the asset as `set_uploaded`
    /// answered.
    pub async fn upload_to_session(
        &self,
        upload_guid: &str,
        file: UploadFile,
        skip_meta: Option<bool>,
    ) -> Result<types::Asset, Error> {
        let mut file = file.open().await?;
        let prepared = self
            .prepare_asset_upload()
            .guid(upload_guid)
            .body(types::PrepareAssetUploadBody {
                asset: file.upload_asset()?,
            })
            .send()
            .await?
            .into_inner()
            .into_bare();
        self.finish_upload(prepared, file, skip_meta).await
    }

    /// Uploads a new data version of asset `id`: `POST /api/assets/{id}/add_version` with the
    /// file's attributes, then the PUT to its `signed_upload_url` and `set_uploaded`. Returns the
    /// asset as `set_uploaded` answered.
    pub async fn upload_version(
        &self,
        id: i64,
        file: UploadFile,
        skip_meta: Option<bool>,
    ) -> Result<types::Asset, Error> {
        let mut file = file.open().await?;
        let prepared = self
            .add_asset_version()
            .id(id)
            .body(types::AssetVersionBody {
                asset: file.version_asset()?,
            })
            .send()
            .await?
            .into_inner()
            .into_bare();
        self.finish_upload(prepared, file, skip_meta).await
    }

    /// Steps 3 and 4 for a prepared asset.
    async fn finish_upload(
        &self,
        prepared: types::Asset,
        file: Opened,
        skip_meta: Option<bool>,
    ) -> Result<types::Asset, Error> {
        let url = prepared
            .signed_upload_url
            .clone()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| missing("signed_upload_url", &prepared))?;
        let guid = prepared.guid.clone().ok_or_else(|| missing("asset guid", &prepared))?;
        self.put_signed_upload(&url, file.body, file.len, &file.content_type)
            .await?;
        let mut request = self.set_asset_upload_complete().guid(guid);
        if let Some(skip) = skip_meta {
            request = request.skip_meta(skip);
        }
        Ok(request.send().await?.into_inner().into_bare())
    }

    /// Step 3: `PUT`s `len` bytes to a signed upload URL with `Content-Type` and `Content-Length`
    /// and no Mediagraph credentials. The body is streamed and the request is never retried (a
    /// stream cannot be replayed); an error answer from the storage service is [`Error::Api`].
    pub async fn put_signed_upload(
        &self,
        url: &str,
        body: reqwest::Body,
        len: u64,
        content_type: &str,
    ) -> Result<(), Error> {
        let url = reqwest::Url::parse(url)
            .map_err(|e| Error::InvalidInput(format!("the signed upload URL is not valid: {e}")))?;
        let request = self
            .client
            .put(url)
            .header(CONTENT_TYPE, content_type)
            .header(CONTENT_LENGTH, len)
            .body(body)
            .build()?;
        let storage = ClientState::without_credentials(&crate::PROVIDER, self.inner.retry_policy());
        runtime::send(&self.client, &storage, request, "put_signed_upload", Idempotency::Never).await?;
        Ok(())
    }
}
