//! Uploads: a new resource in a folder (`create_resource`) and a new file for an existing resource
//! (`update_resource_file`), both `multipart/form-data` POSTs to `/webapp/1.0/resources` that
//! progenitor cannot generate (they are in [`NOT_GENERATED`](crate::NOT_GENERATED)).
//!
//! The body has two parts, in this order (document L370-565): `options`, a JSON document
//! (`application/json`), and the file in a part that must be named `file1`, with its file name and
//! content type. The file is streamed as it is sent, never read into memory. Uploads are sent
//! through the runtime's pipeline (session, tracing, typed errors) and never retried blindly; an
//! upload from a path that is refused with 401/403 is sent once more after a new login, like every
//! other call. The v3 file upload ([`V3::upload_file`](crate::v3::V3::upload_file)) is sent the same
//! way, with its file in a part named `file`.

use std::fmt;
use std::path::{Path, PathBuf};

use reqwest::Url;
use reqwest::multipart::{Form, Part};
use serde::de::DeserializeOwned;

use crate::runtime::{self, Idempotency, OnProgress};
use crate::{Client, Error, types};

/// The path every upload is posted to.
const RESOURCES_PATH: &str = "/webapp/1.0/resources";

/// The file of an upload: a local file (opened when the upload is sent, read as it is sent) or a
/// byte stream. Its content type is guessed from the file name unless set. A local file can report
/// its progress as it is sent ([`on_progress`](Self::on_progress)).
pub struct FilePart {
    source: Source,
    file_name: String,
    content_type: Option<String>,
    on_progress: Option<OnProgress>,
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePart")
            .field("source", &self.source)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("on_progress", &self.on_progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

#[derive(Debug)]
enum Source {
    Path(PathBuf),
    Stream(Option<(reqwest::Body, Option<u64>)>),
}

impl FilePart {
    /// A local file, named after its file name. Fails when the path has no UTF-8 file name.
    pub fn path(path: impl Into<PathBuf>) -> Result<Self, Error> {
        let path = path.into();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::InvalidInput(format!("{} has no UTF-8 file name", path.display())))?
            .to_string();
        Ok(Self {
            source: Source::Path(path),
            file_name,
            content_type: None,
            on_progress: None,
        })
    }

    /// A byte stream (for example `reqwest::Body::wrap_stream(..)`) with the file name to upload
    /// it as and, when known, its length. A stream can be sent only once.
    pub fn stream(body: impl Into<reqwest::Body>, file_name: impl Into<String>, length: Option<u64>) -> Self {
        Self {
            source: Source::Stream(Some((body.into(), length))),
            file_name: file_name.into(),
            content_type: None,
            on_progress: None,
        }
    }

    /// Uploads under this file name instead.
    pub fn file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = file_name.into();
        self
    }

    /// Sets the part's content type (default: guessed from the file name,
    /// `application/octet-stream` when unknown).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Reports the upload's progress: `on_progress` gets the bytes of the file sent so far and its
    /// length, as each chunk is handed to the connection (again from zero when the upload is sent
    /// once more after a new login). Only a local file ([`path`](Self::path)) reports progress; wrap
    /// a stream with [`runtime::counting_body`] to watch it.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), sdk_intelligencebank::Error> {
    /// use std::sync::Arc;
    /// use sdk_intelligencebank::FilePart;
    ///
    /// let file = FilePart::path("video.mp4")?.on_progress(Arc::new(|p| {
    ///     println!("{} of {:?} bytes sent", p.done, p.total);
    /// }));
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_progress(mut self, on_progress: OnProgress) -> Self {
        self.on_progress = Some(on_progress);
        self
    }

    /// The file name the upload is sent under.
    pub fn name(&self) -> &str {
        &self.file_name
    }

    /// Whether the part can be sent again (a path can; a stream cannot).
    fn reopenable(&self) -> bool {
        matches!(self.source, Source::Path(_))
    }

    /// The file's part (named by the caller): the file is opened (or the stream taken) here.
    pub(crate) async fn part(&mut self) -> Result<Part, Error> {
        let (body, length) = match &mut self.source {
            Source::Path(path) => {
                let (body, length, _) = runtime::file_body_with_progress(path, self.on_progress.clone()).await?;
                (body, Some(length))
            }
            Source::Stream(stream) => stream
                .take()
                .ok_or_else(|| Error::InvalidInput("an upload stream can be sent only once".into()))?,
        };
        let part = match length {
            Some(length) => Part::stream_with_length(body, length),
            None => Part::stream(body),
        };
        let content_type = self.content_type.clone().unwrap_or_else(|| {
            mime_guess::from_path(&self.file_name)
                .first_or_octet_stream()
                .essence_str()
                .to_string()
        });
        part.file_name(self.file_name.clone())
            .mime_str(&content_type)
            .map_err(|_| Error::InvalidInput(format!("{content_type:?} is not a content type")))
    }
}

impl Client {
    /// Uploads a file as a new resource (`create_resource`): `options.folder` names the folder,
    /// `options.name` and `options.description` the resource's title and description;
    /// `options.filename` defaults to the file's name. Answers the Resource Response.
    pub async fn create_resource(
        &self,
        mut options: types::CreateResourceOptions,
        file: FilePart,
    ) -> Result<types::ResourceResponse, Error> {
        if options.filename.is_none() {
            options.filename = Some(file.name().to_string());
        }
        self.send_upload(&[], &options, file, "create_resource").await
    }

    /// Uploads a local file into a folder, titled with its file name: a shortcut for
    /// [`create_resource`](Self::create_resource).
    pub async fn upload_file(
        &self,
        folder_uuid: &str,
        path: impl AsRef<Path>,
    ) -> Result<types::ResourceResponse, Error> {
        let file = FilePart::path(path.as_ref())?;
        let options = types::CreateResourceOptions {
            folder: Some(folder_uuid.to_string()),
            filename: Some(file.name().to_string()),
            name: Some(file.name().to_string()),
            description: None,
        };
        self.create_resource(options, file).await
    }

    /// Replaces the file of the resource `fileuuid` (`update_resource_file`): with
    /// `options.new_version = Some(true)` the upload becomes a new version, otherwise the current
    /// file is replaced; `name`/`description` change as given. `options.filename` defaults to the
    /// file's name. Answers the Resource Response.
    pub async fn update_resource_file(
        &self,
        fileuuid: &str,
        mut options: types::ReplaceResourceFileOptions,
        file: FilePart,
    ) -> Result<types::ResourceResponse, Error> {
        if options.filename.is_none() {
            options.filename = Some(file.name().to_string());
        }
        self.send_upload(&[("fileuuid", fileuuid)], &options, file, "update_resource_file")
            .await
    }

    async fn send_upload<O: serde::Serialize>(
        &self,
        query: &[(&str, &str)],
        options: &O,
        mut file: FilePart,
        operation: &'static str,
    ) -> Result<types::ResourceResponse, Error> {
        let options = serde_json::to_string(options).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let mut url = Url::parse(&format!("{}{RESOURCES_PATH}", self.baseurl))
            .map_err(|e| Error::InvalidInput(format!("the API base URL is not a URL: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let form = |file: Part| {
            let options_part = Part::text(options.clone())
                .mime_str("application/json")
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            Ok(Form::new().part("options", options_part).part("file1", file))
        };
        send_multipart(self, url, &mut file, form, operation).await
    }
}

/// POSTs a multipart upload to `url` through the runtime's pipeline, never retried blindly:
/// `form` puts the file's part into the form. When the service refuses it with 401/403, the
/// runtime has already renewed the session (a failed renewal would be [`Error::Auth`]) but cannot
/// resend a streamed body, so a file from a path is reopened and sent once more. Decodes the JSON
/// answer into `T`.
pub(crate) async fn send_multipart<T: DeserializeOwned>(
    client: &Client,
    url: Url,
    file: &mut FilePart,
    form: impl Fn(Part) -> Result<Form, Error>,
    operation: &'static str,
) -> Result<T, Error> {
    let mut resent = false;
    loop {
        let body = form(file.part().await?)?;
        let request = client.client.post(url.clone()).multipart(body).build()?;
        match runtime::send(&client.client, &client.inner, request, operation, Idempotency::Never).await {
            Err(Error::Api { status, .. })
                if refused(status) && !resent && file.reopenable() && client.inner.authenticator().can_renew() =>
            {
                resent = true;
            }
            response => return runtime::json_body(operation, response?).await,
        }
    }
}

/// The statuses after which IntelligenceBank sessions are renewed (401 and 403).
fn refused(status: reqwest::StatusCode) -> bool {
    crate::generated::PROVIDER.reauth_statuses.contains(&status.as_u16())
}
