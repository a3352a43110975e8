//! The upload host (`https://io.cimediacloud.com` live; the same server here): its bytes are kept
//! and served back by the simulated CDN.
//!
//! - `POST /upload`, `multipart/form-data`: a `metadata` part holding JSON
//!   `{workspaceId, folderId?, metadata?}` and a file part (any part with a file name); answers
//!   `{"assetId"}` for a complete asset named after the file.
//! - `POST /upload/multipart` `{name, size, workspaceId, folderId?, metadata?}` → `{"assetId"}`:
//!   the asset exists at once, with status `Uploading`.
//! - `PUT /upload/multipart/{assetId}/{n}`: part `n` (from 1), raw bytes; sending a part again
//!   replaces it.
//! - `POST /upload/multipart/{assetId}/complete`: parts 1..n must all be there and add up to the
//!   declared size (and, with [`Options::min_part_size`](super::Options::min_part_size), every part
//!   but the last must be that large); the asset then holds the joined bytes and is `Complete`.
//!
//! The destination is checked like `create_folder` checks its parent: an unknown workspace is 404,
//! an unknown folder 400 `FolderNotFound`, a folder of another workspace 400
//! `FolderNotMemberOfWorkspace`.

use dam_test_server::Reply;
use dam_test_server::sim::{Blob, Call};
use serde_json::{Value, json};

use super::service::{Service, api_error};
use super::state::{State, Upload};

/// The most parts one upload takes (as on S3).
const MAX_PARTS: u64 = 10_000;

/// The folder an upload goes to: `folderId`, or the workspace's root folder.
fn destination(state: &State, workspace: Option<&str>, folder: Option<&str>) -> Result<String, Reply> {
    let Some(workspace) = workspace.filter(|w| !w.is_empty()) else {
        return Err(api_error(400, "InvalidRequest", "workspaceId is required."));
    };
    let Some(w) = state.workspaces.get(workspace) else {
        return Err(api_error(404, "WorkspaceNotFound", "Workspace not found."));
    };
    match folder.filter(|f| !f.is_empty()) {
        None => Ok(w.root_folder_id.clone()),
        Some(f) => match state.live_folder(f) {
            None => Err(api_error(400, "FolderNotFound", "Folder not found.")),
            Some(f) if f.workspace_id != w.id => Err(api_error(
                400,
                "FolderNotMemberOfWorkspace",
                "Folder is not a member of the provided workspace.",
            )),
            Some(f) if f.trashed_on.is_some() => Err(api_error(409, "FolderTrashed", "Folder is trashed.")),
            Some(f) => Ok(f.id.clone()),
        },
    }
}

/// User metadata as the name/value pairs an asset lists.
fn metadata_pairs(metadata: Option<&Value>) -> Vec<(String, String)> {
    metadata
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), value)
        })
        .collect()
}

/// `POST /upload` (multipart/form-data).
pub(crate) fn singlepart(svc: &Service, call: &Call<'_>) -> Reply {
    let content_type = call.request.header("content-type").unwrap_or_default();
    let Some(parts) = parse_form(content_type, &call.request.body) else {
        return api_error(
            400,
            "InvalidRequest",
            "The body is not a valid multipart/form-data form.",
        );
    };
    let Some(meta) = parts.iter().find(|p| p.name == "metadata") else {
        return api_error(400, "InvalidRequest", "The form has no metadata part.");
    };
    let Ok(meta) = serde_json::from_slice::<Value>(meta.data) else {
        return api_error(400, "InvalidRequest", "The metadata part is not JSON.");
    };
    let Some(file) = parts.iter().find(|p| p.filename.is_some()) else {
        return api_error(400, "InvalidRequest", "The form has no file part.");
    };
    let name = file.filename.clone().unwrap_or_default();
    let now = svc.now();
    let mut state = svc.state();
    let folder = match destination(
        &state,
        meta.get("workspaceId").and_then(Value::as_str),
        meta.get("folderId").and_then(Value::as_str),
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let blob = Blob::Bytes(bytes::Bytes::copy_from_slice(file.data));
    let Some(id) = state.add_asset(&folder, &name, blob, "SinglepartHttp", now) else {
        return api_error(400, "FolderNotFound", "Folder not found.");
    };
    if let Some(a) = state.assets.get_mut(&id) {
        a.metadata = metadata_pairs(meta.get("metadata"));
    }
    Reply::json(200, json!({"assetId": id}))
}

/// `POST /upload/multipart`
pub(crate) fn start(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
    else {
        return api_error(400, "InvalidRequest", "name is required.");
    };
    let Some(size) = body.get("size").and_then(Value::as_u64) else {
        return api_error(400, "InvalidRequest", "size is required (bytes, an integer from 0).");
    };
    let now = svc.now();
    let mut state = svc.state();
    let folder = match destination(
        &state,
        body.get("workspaceId").and_then(Value::as_str),
        body.get("folderId").and_then(Value::as_str),
    ) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(id) = state.add_asset(&folder, name, Blob::Bytes(bytes::Bytes::new()), "MultipartHttp", now) else {
        return api_error(400, "FolderNotFound", "Folder not found.");
    };
    if let Some(a) = state.assets.get_mut(&id) {
        a.status = "Uploading";
        a.size = size;
        a.upload_complete = None;
        a.metadata = metadata_pairs(body.get("metadata"));
    }
    state.uploads.insert(
        id.clone(),
        Upload {
            declared_size: size,
            ..Upload::default()
        },
    );
    Reply::json(200, json!({"assetId": id}))
}

/// The upload of the path's `assetId`, or the refusal.
fn upload_of<'a>(state: &'a mut State, call: &Call<'_>) -> Result<&'a mut Upload, Reply> {
    let id = call.path("assetId").unwrap_or_default();
    if !state.uploads.contains_key(id) {
        return Err(match state.assets.get(id) {
            Some(_) => api_error(409, "UploadComplete", "The asset's upload is already complete."),
            None => api_error(404, "AssetNotFound", "Asset not found."),
        });
    }
    state
        .uploads
        .get_mut(id)
        .ok_or_else(|| api_error(404, "AssetNotFound", "Asset not found."))
}

/// `PUT /upload/multipart/{assetId}/{partNumber}`
pub(crate) fn part(svc: &Service, call: &Call<'_>) -> Reply {
    let number = call.path("partNumber").and_then(|n| n.parse::<u64>().ok());
    let Some(number) = number.filter(|n| (1..=MAX_PARTS).contains(n)) else {
        return api_error(
            400,
            "InvalidPartNumber",
            &format!("The part number must be an integer from 1 to {MAX_PARTS}."),
        );
    };
    let mut state = svc.state();
    match upload_of(&mut state, call) {
        Ok(upload) => {
            upload
                .parts
                .insert(number, bytes::Bytes::copy_from_slice(&call.request.body));
            Reply::status(200)
        }
        Err(r) => r,
    }
}

/// `POST /upload/multipart/{assetId}/complete`
pub(crate) fn complete(svc: &Service, call: &Call<'_>) -> Reply {
    let now = svc.now();
    let min_part = svc.options.min_part_size;
    let mut state = svc.state();
    let upload = match upload_of(&mut state, call) {
        Ok(u) => u.clone(),
        Err(r) => return r,
    };
    let count = upload.parts.len() as u64;
    if let Some(missing) = (1..=count).find(|n| !upload.parts.contains_key(n)) {
        return api_error(400, "InvalidRequest", &format!("Part {missing} is missing."));
    }
    if upload.parts.is_empty() && upload.declared_size > 0 {
        return api_error(400, "InvalidRequest", "No part was uploaded.");
    }
    if let Some((n, p)) = upload
        .parts
        .iter()
        .find(|(n, p)| **n < count && (p.len() as u64) < min_part)
    {
        return api_error(
            400,
            "InvalidRequest",
            &format!("Part {n} holds {} bytes, less than the minimum of {min_part}.", p.len()),
        );
    }
    let total: u64 = upload.parts.values().map(|p| p.len() as u64).sum();
    if total != upload.declared_size {
        return api_error(
            400,
            "InvalidRequest",
            &format!(
                "The parts hold {total} bytes; the upload declared {}.",
                upload.declared_size
            ),
        );
    }
    let mut joined = Vec::with_capacity(total as usize);
    for p in upload.parts.values() {
        joined.extend_from_slice(p);
    }
    let id = call.path("assetId").unwrap_or_default().to_string();
    state.uploads.remove(&id);
    if let Some(a) = state.assets.get_mut(&id) {
        a.blob = Blob::Bytes(joined.into());
        a.size = total;
        a.status = "Complete";
        a.upload_complete = Some(now);
        a.modified_on = now;
    }
    Reply::status(200)
}

/// One part of a `multipart/form-data` body.
#[derive(Debug)]
pub(crate) struct FormPart<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub data: &'a [u8],
}

/// Splits a `multipart/form-data` body at its boundary (RFC 7578); `None` when it is malformed.
pub(crate) fn parse_form<'a>(content_type: &str, body: &'a [u8]) -> Option<Vec<FormPart<'a>>> {
    let boundary = content_type.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Some(parts);
        }
        at += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", at)?;
        let head = std::str::from_utf8(body.get(at..head_end)?).ok()?;
        let data_start = head_end + 4;
        let next = find(body, &[b"\r\n".as_slice(), &delimiter].concat(), data_start)?;
        let (mut name, mut filename) = (None, None);
        for line in head.split("\r\n") {
            let Some((header, value)) = line.split_once(':') else {
                continue;
            };
            if !header.trim().eq_ignore_ascii_case("content-disposition") {
                continue;
            }
            for param in value.split(';').map(str::trim) {
                if let Some((k, v)) = param.split_once('=') {
                    let v = v.trim().trim_matches('"').to_string();
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(v),
                        "filename" => filename = Some(v),
                        _ => {}
                    }
                }
            }
        }
        parts.push(FormPart {
            name: name?,
            filename,
            data: body.get(data_start..next)?,
        });
        at = next + 2 + delimiter.len();
    }
}

/// The first position of `needle` in `haystack` from `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        let offset = haystack.get(i..)?.iter().position(|b| *b == first)?;
        i += offset;
        if haystack.get(i..i + needle.len())? == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_split_into_named_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{\"a\":1}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"\r\n\r\nline 1\r\nline 2\r\n--XyZ--\r\n";
        let parts = parse_form("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "metadata");
        assert_eq!(parts[0].data, b"{\"a\":1}");
        assert_eq!(parts[1].filename.as_deref(), Some("a b.txt"));
        assert_eq!(parts[1].data, b"line 1\r\nline 2");
        assert!(parse_form("multipart/form-data", body).is_none(), "no boundary");
        assert!(parse_form("multipart/form-data; boundary=other", body).is_none());
        assert!(parse_form("multipart/form-data; boundary=XyZ", b"--XyZ\r\nbroken").is_none());
    }
}
