//! Uploads (§9): register the upload, post the file to the storage service, follow its redirect to
//! `/upload/done` for the new media id, and optionally wait until the media is imported. Also the
//! profile-image upload (`upload_user_profile_image`, multipart, not generated).
//!
//! The file is streamed from disk or from the caller's stream, never held in memory. The storage
//! post carries no Skyfish Authorization header (S3 rejects it) and is never retried.
//! The redirect to `/upload/done` (plain `http://api.colourbox.com/…` in the document's example)
//! is requested without credentials as well, as the provider's own client does.

use std::path::Path;

use reqwest::header::{ACCEPT, LOCATION};
use reqwest::multipart::{Form, Part};

use crate::download::{PollOptions, Poller};
use crate::runtime::{self, ClientState, Idempotency, LooseId, OnProgress, Progress, RetryPolicy};
use crate::{Client, Error, types};

/// The most redirects followed by hand after the storage post (when the HTTP client does not
/// follow them itself).
const MAX_REDIRECTS: usize = 5;

type ProgressCallback<'a> = Box<dyn FnMut(&types::ImportProgress) + Send + 'a>;

/// An upload into a folder, configured step by step. Start with [`Client::upload`], finish with
/// [`file`](Self::file) or [`stream`](Self::stream).
pub struct Upload<'a> {
    client: &'a Client,
    folder: LooseId,
    content_type: Option<String>,
    wait: Option<PollOptions>,
    on_progress: Option<ProgressCallback<'a>>,
    on_upload_progress: Option<OnProgress>,
    storage_client: Option<reqwest::Client>,
}

impl std::fmt::Debug for Upload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("folder", &self.folder)
            .field("content_type", &self.content_type)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts an upload into `folder`:
    ///
    /// 1. `POST /upload/register {"folder": …}` answers a form description (`action`, `fields`);
    /// 2. the file is posted as `multipart/form-data` to `action` with every field in the order
    ///    received and the file part (`file`) last, without the Skyfish Authorization header;
    /// 3. the storage service redirects (303) to `/upload/done`, whose JSON answer carries the
    ///    `media_id` (the redirect is followed by the HTTP client or, if it does not follow
    ///    redirects, by hand);
    /// 4. with [`Upload::wait_for_import`], `GET /media/{id}` is polled until the import is done.
    pub fn upload(&self, folder: impl Into<LooseId>) -> Upload<'_> {
        Upload {
            client: self,
            folder: folder.into(),
            content_type: None,
            wait: None,
            on_progress: None,
            on_upload_progress: None,
            storage_client: None,
        }
    }

    /// Waits until a freshly uploaded media is imported: polls `GET /media/{id}`, which answers
    /// 202 with the import progress (passed to `on_progress`) until it answers 200 with the media.
    /// Fails with [`Error::Timeout`] when `poll` is spent.
    pub async fn wait_for_import(
        &self,
        id: impl Into<LooseId>,
        poll: PollOptions,
        mut on_progress: impl FnMut(&types::ImportProgress) + Send,
    ) -> Result<types::Media, Error> {
        let id = id.into();
        let mut poller = Poller::new(poll);
        loop {
            match self.get_media().id(id.clone()).send().await {
                Ok(media) => return Ok(media.into_inner()),
                // The generated operation models only the 200 body; a 202 (the import progress)
                // arrives with its body kept.
                Err(Error::UnexpectedStatus { status, body, .. }) if status.as_u16() == 202 => {
                    on_progress(&import_progress(&body)?);
                }
                Err(e) => return Err(e),
            }
            poller.wait(&format!("media {id} is still being imported")).await?;
        }
    }

    /// Replaces a user's profile image with a local image file (`POST /user/{id}/profileimage`,
    /// multipart field `file`, streamed; §11.4). Not retried.
    pub async fn upload_user_profile_image(&self, id: impl Into<LooseId>, path: &Path) -> Result<(), Error> {
        let (body, length, name) = runtime::file_body(path).await?;
        let mime = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("png") => "image/png",
            Some("gif") => "image/gif",
            _ => "application/octet-stream",
        };
        let part = Part::stream_with_length(body, length).file_name(name).mime_str(mime)?;
        let url = format!(
            "{}/user/{}/profileimage",
            self.baseurl,
            progenitor_client::encode_path(&id.into().to_string())
        );
        let request = self
            .client
            .post(url)
            .header(ACCEPT, "application/json")
            .multipart(Form::new().part("file", part))
            .build()?;
        runtime::send(
            &self.client,
            &self.inner,
            request,
            "upload_user_profile_image",
            Idempotency::Never,
        )
        .await?;
        Ok(())
    }
}

impl<'a> Upload<'a> {
    /// The `Content-Type` of the file part (default `application/octet-stream`).
    pub fn content_type(mut self, mime: impl Into<String>) -> Self {
        self.content_type = Some(mime.into());
        self
    }

    /// After the upload, waits until the media is imported (see [`Client::wait_for_import`]).
    pub fn wait_for_import(mut self, poll: PollOptions) -> Self {
        self.wait = Some(poll);
        self
    }

    /// Receives the upload's progress: the bytes of the file handed to the connection so far and
    /// the file's length, called as each chunk of the storage post leaves (from the task that
    /// sends it, so keep it quick).
    ///
    /// ```no_run
    /// # async fn run(client: &sdk_skyfish::Client) -> Result<(), sdk_skyfish::Error> {
    /// let id = client
    ///     .upload(1234)
    ///     .on_progress(|p| eprint!("\r{} of {:?} bytes", p.done, p.total))
    ///     .file("photo.jpg")
    ///     .await?;
    /// # let _ = id;
    /// # Ok(()) }
    /// ```
    pub fn on_progress(mut self, callback: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.on_upload_progress = Some(std::sync::Arc::new(callback));
        self
    }

    /// Receives the import progress while waiting (with [`wait_for_import`](Self::wait_for_import)).
    pub fn on_import_progress(mut self, callback: impl FnMut(&types::ImportProgress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(callback));
        self
    }

    /// The HTTP client for the storage post and the redirect to `/upload/done` (default: this
    /// client's HTTP client, which follows redirects). A client that does not follow redirects
    /// works too: the redirect is then followed by hand.
    pub fn storage_client(mut self, http: reqwest::Client) -> Self {
        self.storage_client = Some(http);
        self
    }

    /// Uploads a local file, streamed from disk, under its own file name. Returns the new media id.
    pub async fn file(self, path: impl AsRef<Path>) -> Result<LooseId, Error> {
        let (body, length, name) =
            runtime::file_body_with_progress(path.as_ref(), self.on_upload_progress.clone()).await?;
        self.send(name, body, length).await
    }

    /// Uploads `length` bytes read from `stream` under `file_name`; the stream is sent as it is
    /// read. The length is required because the storage service needs a `Content-Length`; a
    /// stream that yields another number of bytes fails the upload. Returns the new media id.
    pub async fn stream<S>(self, file_name: impl Into<String>, length: u64, stream: S) -> Result<LooseId, Error>
    where
        S: futures_util::TryStream + Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        bytes::Bytes: From<S::Ok>,
    {
        let body = match self.on_upload_progress.clone() {
            Some(report) => {
                use futures_util::TryStreamExt as _;
                let chunks = stream
                    .into_stream()
                    .map_ok(bytes::Bytes::from)
                    .map_err(|e| std::io::Error::other(e.into()));
                runtime::counting_body(chunks, length, report)
            }
            None => reqwest::Body::wrap_stream(stream),
        };
        self.send(file_name.into(), body, length).await
    }

    async fn send(self, file_name: String, body: reqwest::Body, length: u64) -> Result<LooseId, Error> {
        let Upload {
            client,
            folder,
            content_type,
            wait,
            on_progress,
            on_upload_progress: _,
            storage_client,
        } = self;
        let form = client
            .register_upload()
            .body(types::UploadRegistration {
                folder: folder.clone(),
                redirect_url: None,
            })
            .send()
            .await?
            .into_inner();
        let action = form.action.clone().ok_or_else(|| bad_form("no action"))?;
        if let Some(method) = form.method.as_deref().filter(|m| !m.eq_ignore_ascii_case("POST")) {
            return Err(bad_form(&format!("method {method}, not POST")));
        }

        // Every field in the order received, the file part last.
        let mut multipart = Form::new();
        let mut file_field = "file".to_string();
        for field in &form.fields {
            let Some(name) = &field.name else { continue };
            let is_file = match &field.type_ {
                Some(types::UploadFieldType::File) => true,
                None => name == "file" && field.value.is_none(),
                Some(_) => false,
            };
            if is_file {
                file_field = name.clone();
            } else {
                multipart = multipart.text(name.clone(), field.value.clone().unwrap_or_default());
            }
        }
        let mut part = Part::stream_with_length(body, length).file_name(file_name);
        if let Some(mime) = content_type {
            part = part
                .mime_str(&mime)
                .map_err(|_| Error::InvalidInput(format!("{mime:?} is not a MIME type")))?;
        }
        multipart = multipart.part(file_field, part);

        let http = storage_client.unwrap_or_else(|| client.client.clone());
        let storage = ClientState::without_credentials(&crate::PROVIDER, RetryPolicy::disabled());
        let request = http.post(action.as_str()).multipart(multipart).build()?;
        let mut response = runtime::send(&http, &storage, request, "upload_file", Idempotency::Never).await?;

        // Follow the storage service's redirect to /upload/done when the client did not.
        for _ in 0..MAX_REDIRECTS {
            if !response.status().is_redirection() {
                break;
            }
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Error::Decode {
                    operation: "upload",
                    path: String::new(),
                    message: format!("the storage service answered {} without a Location", response.status()),
                    excerpt: String::new(),
                })?;
            let next = response.url().join(location).map_err(|e| Error::Decode {
                operation: "upload",
                path: String::new(),
                message: format!("the storage redirect is not a URL: {e}"),
                excerpt: String::new(),
            })?;
            let request = http.get(next).header(ACCEPT, "application/json").build()?;
            response = runtime::send(&http, &storage, request, "finalize_upload", Idempotency::FromMethod).await?;
        }
        if response.status().is_redirection() {
            return Err(Error::Decode {
                operation: "upload",
                path: String::new(),
                message: format!("more than {MAX_REDIRECTS} redirects after the upload"),
                excerpt: String::new(),
            });
        }
        let done: types::UploadDone = runtime::json_body("finalize_upload", response).await?;
        let media_id = done.media_id.ok_or_else(|| Error::Decode {
            operation: "upload",
            path: String::new(),
            message: "the upload answer has no media_id".into(),
            excerpt: String::new(),
        })?;

        if let Some(poll) = wait {
            let mut on_progress = on_progress;
            client
                .wait_for_import(media_id.clone(), poll, |p| {
                    if let Some(f) = on_progress.as_mut() {
                        f(p)
                    }
                })
                .await?;
        }
        Ok(media_id)
    }
}

fn bad_form(why: &str) -> Error {
    Error::Decode {
        operation: "upload",
        path: String::new(),
        message: format!("the upload registration answer is unusable: {why}"),
        // The form holds a signed storage policy: no excerpt.
        excerpt: String::new(),
    }
}

/// Reads a 202 import-progress body. The document does not show its keys: a JSON object is kept
/// as it is, any other JSON value is kept under `progress`, an empty body gives an empty map.
fn import_progress(bytes: &[u8]) -> Result<types::ImportProgress, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(types::ImportProgress(serde_json::Map::new()));
    }
    let value: serde_json::Value = runtime::decode_json("get_media", bytes, false)?;
    Ok(types::ImportProgress(match value {
        serde_json::Value::Object(map) => map,
        other => [("progress".to_string(), other)].into_iter().collect(),
    }))
}

impl types::ImportProgress {
    /// The import progress in percent, when the body carries it: the value of `progress`,
    /// `percent`, `percentage` or `import_progress` (a number, or text such as `"40"` or `"40%"`),
    /// or the only number in the body.
    pub fn percent(&self) -> Option<f64> {
        fn number(v: &serde_json::Value) -> Option<f64> {
            match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().trim_end_matches('%').trim().parse().ok(),
                _ => None,
            }
        }
        ["progress", "percent", "percentage", "import_progress"]
            .iter()
            .find_map(|k| self.0.get(*k).and_then(number))
            .or_else(|| {
                let mut numbers = self.0.values().filter_map(number);
                match (numbers.next(), numbers.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            })
    }
}
