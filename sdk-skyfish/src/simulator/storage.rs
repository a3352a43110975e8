//! The storage side of the service, on the simulator's own server under `/_storage/`: the S3-style
//! form post of uploads (stage 2) with its registration (stage 1) and finalisation (stage 3), and
//! the signed URLs of downloads, ZIP files, thumbnails and video streams.
//!
//! Storage URLs need no Skyfish token; like S3, the storage refuses a request that carries an
//! `Authorization` header besides its signature. Its errors are S3-style XML.

use base64::Engine as _;
use dam_test_server::sim::Call;
use dam_test_server::{Recorded, Reply};
use serde_json::{Value, json};

use super::Blob;
use super::provider::{Skyfish, json_id};
use super::state::{Kind, Media, Registration, State, Stored, encode, error, header_safe, hmac_hex};

/// The bucket named in upload redirects.
const BUCKET: &str = "sim-skyfish-upload";

/// How long an upload form's policy is valid.
const POLICY_LIFETIME: i64 = 3600;

/// A 1×1 transparent GIF, every thumbnail.
const THUMBNAIL: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// One part of a `multipart/form-data` body.
#[derive(Debug)]
pub(super) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub body: bytes::Bytes,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A header parameter such as `name="file"`.
fn param(header: &str, name: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of a `multipart/form-data` body, in order (RFC 7578).
pub(super) fn multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!("the body must be multipart/form-data, not {content_type:?}"));
    }
    let boundary = param(content_type, "boundary").ok_or("the multipart body has no boundary")?;
    let delimiter = format!("--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or("the multipart body has no parts")? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        if body.get(at..at + 2) != Some(b"\r\n") {
            return Err("a multipart delimiter is not followed by CRLF".into());
        }
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or("a multipart part has no header end")?;
        let head = String::from_utf8_lossy(&body[at..head_end]).into_owned();
        let next_delimiter = format!("\r\n{delimiter}");
        let end = find(body, next_delimiter.as_bytes(), head_end + 4).ok_or("a multipart part is not terminated")?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            body: bytes::Bytes::copy_from_slice(&body[head_end + 4..end]),
        };
        for line in head.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = param(value, "name").unwrap_or_default();
                part.filename = param(value, "filename");
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_string());
            }
        }
        parts.push(part);
        at = end + next_delimiter.len();
    }
}

/// `Content-Disposition` naming a file: an ASCII fallback and the UTF-8 name (RFC 6266).
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", encode(name))
}

/// An S3-style XML error.
fn s3_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::status(status).header("content-type", "application/xml").body(
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )
        .into_bytes(),
    )
}

impl Skyfish {
    /// A storage URL signed until `expires` (UNIX seconds on the simulator's clock).
    pub(super) fn signed_url(&self, path: &str, expires: i64) -> String {
        let signature = hmac_hex(&self.signing_key, &format!("{path}\n{expires}"));
        format!("{}{path}?Expires={expires}&Signature={signature}", self.base())
    }

    /// Checks a storage request's signature and expiry.
    fn check_signature(&self, r: &Recorded) -> Result<(), Reply> {
        let q = r.query_pairs();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (Some(expires), Some(signature)) = (get("Expires"), get("Signature")) else {
            return Err(s3_error(403, "AccessDenied", "Request is missing its signature"));
        };
        let expected = hmac_hex(&self.signing_key, &format!("{}\n{expires}", r.path));
        if signature != expected {
            return Err(s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            ));
        }
        if expires.parse::<i64>().map_or(true, |e| e < self.clock.unix()) {
            return Err(s3_error(403, "AccessDenied", "Request has expired"));
        }
        Ok(())
    }

    /// Every `/_storage/` request.
    pub(super) fn storage(&self, r: &Recorded) -> Reply {
        if r.header("authorization").is_some() {
            return s3_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
            );
        }
        let segments: Vec<&str> = r.path.trim_start_matches("/_storage/").split('/').collect();
        match (r.method.as_str(), segments.as_slice()) {
            ("POST", ["upload"]) => self.receive_upload(r),
            ("GET" | "HEAD", ["media", id, variant, _name]) => self.serve_media(r, id, variant),
            ("GET" | "HEAD", ["zip", job, _name]) => self.serve_zip(r, job),
            ("GET" | "HEAD", ["thumb", id, _size]) => match self.check_signature(r) {
                Err(refusal) => refusal,
                Ok(()) if id.parse::<i64>().is_ok_and(|id| self.lock().media.contains_key(&id)) => Reply::status(200)
                    .header("content-type", "image/gif")
                    .body(THUMBNAIL.to_vec()),
                Ok(()) => s3_error(404, "NoSuchKey", "The specified key does not exist."),
            },
            ("GET" | "HEAD", ["stream", id, file]) => self.serve_stream(id, file),
            (_, ["upload" | "media" | "zip" | "thumb" | "stream", ..]) => s3_error(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            ),
            _ => s3_error(404, "NoSuchKey", "The specified key does not exist."),
        }
    }

    fn serve_media(&self, r: &Recorded, id: &str, variant: &str) -> Reply {
        if let Err(refusal) = self.check_signature(r) {
            return refusal;
        }
        let media = id
            .parse::<i64>()
            .ok()
            .and_then(|id| self.lock().media.get(&id).cloned());
        let Some(m) = media else {
            return s3_error(404, "NoSuchKey", "The specified key does not exist.");
        };
        let (blob, mime) = match variant {
            "original" => (m.blob.clone(), m.mime.clone()),
            "preview" => (
                Blob::Generated {
                    len: (m.blob.len() / 4).max(1),
                    seed: m.id as u64 ^ 0x5052_4556,
                },
                "video/mp4".to_string(),
            ),
            size => {
                let px: u64 = size.trim_end_matches("px").parse().unwrap_or(320);
                (
                    Blob::Generated {
                        len: (px * px / 8).min(m.blob.len().max(1)),
                        seed: m.id as u64 ^ px,
                    },
                    "image/jpeg".to_string(),
                )
            }
        };
        blob.reply(r, &mime)
            .header("content-disposition", &disposition(&m.filename))
    }

    fn serve_zip(&self, r: &Recorded, job: &str) -> Reply {
        if let Err(refusal) = self.check_signature(r) {
            return refusal;
        }
        let archive = self.lock().zips.get(job).and_then(|j| j.archive.clone());
        match archive {
            Some(blob) => blob.reply(r, "application/zip"),
            None => s3_error(404, "NoSuchKey", "The specified key does not exist."),
        }
    }

    /// The HLS playlist of a ready stream and its one segment (the video's preview bytes).
    fn serve_stream(&self, id: &str, file: &str) -> Reply {
        let st = self.lock();
        let media = id.parse::<i64>().ok().and_then(|id| st.media.get(&id));
        let Some(m) = media.filter(|m| m.stream == super::state::Stream::Ready) else {
            return s3_error(404, "NoSuchKey", "The specified key does not exist.");
        };
        match file {
            "playlist.m3u8" => Reply::status(200)
                .header("content-type", "application/vnd.apple.mpegurl")
                .body(
                    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nsegment0.ts\n#EXT-X-ENDLIST\n"
                        .as_bytes()
                        .to_vec(),
                ),
            "segment0.ts" => Reply::status(200).header("content-type", "video/mp2t").body(
                Blob::Generated {
                    len: 64 * 1024,
                    seed: m.id as u64,
                }
                .slice(0, 64 * 1024),
            ),
            _ => s3_error(404, "NoSuchKey", "The specified key does not exist."),
        }
    }

    /// `POST /upload/register`: the form the file is posted with.
    pub(super) fn register_upload(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let body = call.json();
        let Some(folder) = json_id(body.get("folder")) else {
            return error(400, "folder is required");
        };
        if !st.folders.contains_key(&folder) {
            return error(404, "no such folder");
        }
        let redirect = match body.get("redirectURL") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return error(400, "redirectURL must be a URL"),
        };
        st.next_job += 1;
        let registration = format!("{:08x}", st.next_job ^ 0x5eed_0000);
        let prefix = format!("upload/{}/{registration}/", self.company);
        st.registrations.insert(
            registration,
            Registration {
                folder,
                prefix: prefix.clone(),
            },
        );
        let done = match &redirect {
            Some(url) => format!("{}/upload/done?redirect={}", self.base(), encode(url)),
            None => format!("{}/upload/done", self.base()),
        };
        let date = chrono::DateTime::from_timestamp(now, 0)
            .map(|d| d.format("%Y%m%dT%H%M%SZ").to_string())
            .unwrap_or_default();
        let expiration = chrono::DateTime::from_timestamp(now + POLICY_LIFETIME, 0)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let credential = format!(
            "SIMULATORKEY/{}/eu-west-1/s3/aws4_request",
            date.get(..8).unwrap_or_default()
        );
        let policy = json!({
            "expiration": expiration,
            "conditions": [
                {"bucket": BUCKET},
                ["starts-with", "$key", prefix],
                {"success_action_redirect": done},
                {"X-Amz-Storage-Class": "REDUCED_REDUNDANCY"},
                {"x-amz-credential": credential},
                {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                {"x-amz-date": date},
            ],
        });
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let signature = hmac_hex(&self.signing_key, &policy);
        let hidden = |name: &str, value: &str| json!({"name": name, "value": value, "type": "hidden"});
        Reply::json(
            200,
            json!({
                "action": format!("{}/_storage/upload", self.base()),
                "enctype": "multipart/form-data",
                "method": "POST",
                "fields": [
                    hidden("success_action_redirect", &done),
                    hidden("key", &format!("{prefix}${{filename}}")),
                    hidden("X-Amz-Storage-Class", "REDUCED_REDUNDANCY"),
                    hidden("X-Amz-Credential", &credential),
                    hidden("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                    hidden("X-Amz-Date", &date),
                    hidden("Policy", &policy),
                    hidden("X-Amz-Signature", &signature),
                    {"type": "file", "name": "file"},
                ],
            }),
        )
    }

    /// Stage 2, the form post to `/_storage/upload`: checks the form as S3 checks it against its
    /// policy, keeps the file, and redirects (303) to `success_action_redirect`.
    fn receive_upload(&self, r: &Recorded) -> Reply {
        let parts = match multipart(r.header("content-type").unwrap_or(""), &r.body) {
            Ok(parts) => parts,
            Err(why) => return s3_error(400, "MalformedPOSTRequest", &why),
        };
        // Fields after the file are ignored, as S3 does.
        let Some(file_at) = parts.iter().position(|p| p.name == "file") else {
            return s3_error(
                400,
                "InvalidArgument",
                "POST requires exactly one file upload per request.",
            );
        };
        let (fields, file) = (&parts[..file_at], &parts[file_at]);
        let field = |name: &str| {
            fields
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| String::from_utf8_lossy(&p.body).into_owned())
        };
        let (Some(policy), Some(signature)) = (field("Policy"), field("X-Amz-Signature")) else {
            return s3_error(
                403,
                "AccessDenied",
                "Bucket POST must contain a field named 'Policy' and its signature",
            );
        };
        if hmac_hex(&self.signing_key, &policy) != signature {
            return s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            );
        }
        let decoded: Value = base64::engine::general_purpose::STANDARD
            .decode(policy.trim())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        let expired = decoded
            .get("expiration")
            .and_then(Value::as_str)
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
            .is_none_or(|e| e.timestamp() < self.clock.unix());
        if expired {
            return s3_error(403, "AccessDenied", "Invalid according to Policy: Policy expired.");
        }
        // Every condition of the policy must hold for the fields sent.
        let mut prefix = String::new();
        for condition in decoded
            .get("conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let failed = match condition {
                Value::Object(map) => map.iter().find_map(|(name, want)| {
                    (name != "bucket" && field(name).as_deref() != want.as_str()).then(|| name.clone())
                }),
                Value::Array(c) if c.first().and_then(Value::as_str) == Some("starts-with") => {
                    prefix = c.get(2).and_then(Value::as_str).unwrap_or_default().to_string();
                    let name = c
                        .get(1)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .trim_start_matches('$');
                    (!field(name).is_some_and(|v| v.starts_with(&prefix))).then(|| name.to_string())
                }
                _ => None,
            };
            if let Some(name) = failed {
                return s3_error(
                    403,
                    "AccessDenied",
                    &format!("Invalid according to Policy: Policy Condition failed: {name}"),
                );
            }
        }
        let Some(key) = field("key") else {
            return s3_error(400, "InvalidArgument", "Bucket POST must contain a field named 'key'.");
        };
        let filename = file.filename.clone().unwrap_or_default();
        if key.contains("${filename}") && filename.is_empty() {
            return s3_error(400, "InvalidArgument", "The file part has no filename for ${filename}.");
        }
        let key = key.replace("${filename}", &filename);
        let registration = key.strip_prefix(&prefix).map(|_| prefix.clone());
        let mut st = self.lock();
        let folder = registration.and_then(|p| st.registrations.values().find(|r| r.prefix == p).map(|r| r.folder));
        let Some(folder) = folder else {
            return s3_error(403, "AccessDenied", "Invalid according to Policy: unknown upload");
        };
        let name = key.rsplit('/').next().unwrap_or(&filename).to_string();
        let blob = Blob::Bytes(file.body.clone());
        let etag = blob.etag();
        st.stored.insert(
            key.clone(),
            Stored {
                folder,
                filename: name,
                mime: file.content_type.clone(),
                bytes: file.body.clone(),
                media: None,
            },
        );
        drop(st);
        let done = field("success_action_redirect").unwrap_or_default();
        let joiner = if done.contains('?') { '&' } else { '?' };
        let location = format!(
            "{done}{joiner}bucket={BUCKET}&key={}&etag={}",
            encode(&key),
            encode(&etag)
        );
        Reply::status(303).header("location", &location).header("etag", &etag)
    }

    /// Stage 3, `GET /upload/done?…&key=…`: the stored file becomes a media (imported over the
    /// next polls). Asking again for the same key answers the same media id.
    pub(super) fn finalize_upload(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let Some(key) = call.query("key") else {
            return error(404, "no such upload");
        };
        let Some(stored) = st.stored.get(key).cloned() else {
            return error(404, "no such upload");
        };
        let id = match stored.media {
            Some(id) => id,
            None => {
                if !st.folders.contains_key(&stored.folder) {
                    return error(404, "the upload's folder was deleted");
                }
                st.next_media += 1;
                let id = st.next_media;
                let mut m = Media::new(
                    id,
                    &stored.filename,
                    Blob::Bytes(stored.bytes.clone()),
                    Some(stored.folder),
                    self.user,
                    now,
                );
                if let Some(mime) = stored.mime.filter(|m| m != "application/octet-stream") {
                    m.mime = mime;
                }
                m.import_polls = self.options.import_polls;
                m.import_until = now + self.options.import_time.as_secs() as i64;
                if m.kind == Kind::Video || m.kind == Kind::Image {
                    m.metadata.insert("camera_created".into(), json!(now));
                }
                st.media.insert(id, m);
                if let Some(s) = st.stored.get_mut(key) {
                    s.media = Some(id);
                }
                id
            }
        };
        match call.query("redirect").filter(|r| !r.is_empty()) {
            Some(url) => {
                let joiner = if url.contains('?') { '&' } else { '?' };
                Reply::status(303).header("location", &header_safe(&format!("{url}{joiner}media_id={id}")))
            }
            None => Reply::json(200, json!({ "media_id": id })),
        }
    }
}
