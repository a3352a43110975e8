//! What the simulated service holds: networks, workspaces, the folder tree, assets with their
//! bytes, multipart uploads in progress, and the OAuth tokens it issued — and how each renders as
//! the JSON Ci answers with.
//!
//! Everything sits in one [`State`] behind one mutex (see `service.rs`), so an operation that
//! touches several resources (trashing a folder with everything below it) is atomic. Lookups are
//! hash maps; listings scan and sort what they return, which stays fast for tens of thousands of
//! assets.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use dam_test_server::sim::Blob;
use serde_json::{Map, Value, json};

use super::listing::{Kind, Listing};
use super::storage::Links;

/// The only user of the simulated network: the one the credentials sign in as.
pub(crate) const USER_ID: &str = "c460dfc1447f4240b14b2f32ce8d4a5f";
/// The user's display name.
pub(crate) const USER_NAME: &str = "John Smith";

/// A Network (the organisation that owns workspaces).
#[derive(Debug, Clone)]
pub(crate) struct Network {
    pub id: String,
    pub name: String,
    pub class: String,
}

/// A workspace and its root folder.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub id: String,
    pub name: String,
    pub class: String,
    pub network_id: String,
    pub root_folder_id: String,
    pub created_on: i64,
    pub note: Option<String>,
    /// Bytes allotted.
    pub allotted: i64,
    pub seq: u64,
}

/// A folder. Deleted folders stay as tombstones (`FolderDeleted`).
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    pub id: String,
    pub name: String,
    /// `name` in lower case, the key of name order.
    pub sort_name: String,
    pub workspace_id: String,
    /// `None` for a workspace's root folder.
    pub parent_id: Option<String>,
    pub created_on: i64,
    pub last_activity: i64,
    pub trashed_on: Option<i64>,
    pub deleted: bool,
    /// User metadata, in the order set (names compare case-insensitively).
    pub metadata: Vec<(String, String)>,
    pub seq: u64,
}

/// An asset. A multipart upload's asset exists (status `Uploading`) before its bytes do.
#[derive(Debug, Clone)]
pub(crate) struct Asset {
    pub id: String,
    pub name: String,
    /// `name` in lower case, the key of name order.
    pub sort_name: String,
    pub workspace_id: String,
    pub folder_id: String,
    pub size: u64,
    pub blob: Blob,
    pub status: &'static str,
    pub created_on: i64,
    pub modified_on: i64,
    pub upload_complete: Option<i64>,
    pub trashed_on: Option<i64>,
    /// When archiving started (`Archive in progress` for a minute, then `Archived`).
    pub archived_on: Option<i64>,
    pub transfer: &'static str,
    /// User metadata from the upload, as name/value pairs.
    pub metadata: Vec<(String, String)>,
    pub seq: u64,
}

/// A multipart upload in progress: its parts by number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Upload {
    pub declared_size: u64,
    pub parts: BTreeMap<u64, bytes::Bytes>,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub expires_at: i64,
    /// A delegate token is limited to this asset.
    pub delegate_for: Option<String>,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub expires_at: i64,
    /// Replaced by a newer one (each refresh rotates it).
    pub revoked: bool,
}

/// Everything the service holds.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub networks: HashMap<String, Network>,
    pub workspaces: HashMap<String, Workspace>,
    pub folders: HashMap<String, Folder>,
    pub assets: HashMap<String, Asset>,
    pub uploads: HashMap<String, Upload>,
    pub access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
    /// Counter behind ids and insertion order.
    pub seq: u64,
    /// The rate-limit window (UNIX minute) and the calls counted in it.
    pub window: (i64, u32),
}

/// What a listing sorts a row by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SortKey<'a> {
    Num(i64),
    Text(&'a str),
}

/// One row of a folder or workspace listing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry<'a> {
    Folder(&'a Folder),
    Asset(&'a Asset),
}

impl Entry<'_> {
    fn is_folder(&self) -> bool {
        matches!(self, Entry::Folder(_))
    }
    fn seq(&self) -> u64 {
        match self {
            Entry::Folder(f) => f.seq,
            Entry::Asset(a) => a.seq,
        }
    }
}

impl State {
    /// A new opaque id: `len` lower-case letters and digits (Ci uses 16- and 32-character ids).
    pub fn new_id(&mut self, kind: &str, len: usize) -> String {
        self.seq += 1;
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for b in kind.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut out = String::with_capacity(len);
        for i in 0..len {
            h ^= h >> 29;
            h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9).wrapping_add(i as u64);
            let alphabet = if len == 32 { 16 } else { ALPHABET.len() as u64 };
            out.push(ALPHABET[(h % alphabet) as usize] as char);
        }
        out
    }

    /// The next insertion number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A live (not deleted) folder.
    pub fn live_folder(&self, id: &str) -> Option<&Folder> {
        self.folders.get(id).filter(|f| !f.deleted)
    }

    /// Ids of every folder below `id` (not `id` itself), deleted ones excluded.
    pub fn descendant_folders(&self, id: &str) -> Vec<String> {
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for f in self.folders.values().filter(|f| !f.deleted) {
            if let Some(p) = &f.parent_id {
                children.entry(p.as_str()).or_default().push(f.id.as_str());
            }
        }
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            for child in children.get(next).into_iter().flatten() {
                out.push(child.to_string());
                stack.push(child);
            }
        }
        out
    }

    /// Whether `folder` is `ancestor` or below it.
    pub fn is_within(&self, folder: &str, ancestor: &str) -> bool {
        let mut at = Some(folder.to_string());
        let mut steps = 0;
        while let Some(id) = at {
            if id == ancestor {
                return true;
            }
            steps += 1;
            if steps > 10_000 {
                return false;
            }
            at = self.folders.get(&id).and_then(|f| f.parent_id.clone());
        }
        false
    }

    /// A name not yet used by a live folder in `parent` (`Name`, `Name (1)`, `Name (2)`, …).
    pub fn unique_folder_name(&self, parent: &str, name: &str) -> String {
        let taken = |candidate: &str| {
            self.folders
                .values()
                .any(|f| !f.deleted && f.parent_id.as_deref() == Some(parent) && f.name.eq_ignore_ascii_case(candidate))
        };
        if !taken(name) {
            return name.to_string();
        }
        (1..)
            .map(|n| format!("{name} ({n})"))
            .find(|candidate| !taken(candidate))
            .unwrap_or_else(|| name.to_string())
    }

    /// Adds a folder below `parent` and returns its id.
    pub fn add_folder(&mut self, workspace_id: &str, parent: &str, name: &str, now: i64) -> String {
        let id = self.new_id("folder", 16);
        self.insert_folder(id, workspace_id, parent, name, now)
    }

    /// Adds a folder with a given id below `parent` and returns the id.
    pub fn insert_folder(&mut self, id: String, workspace_id: &str, parent: &str, name: &str, now: i64) -> String {
        let seq = self.next_seq();
        self.folders.insert(
            id.clone(),
            Folder {
                id: id.clone(),
                name: name.to_string(),
                sort_name: name.to_lowercase(),
                workspace_id: workspace_id.to_string(),
                parent_id: Some(parent.to_string()),
                created_on: now,
                last_activity: now,
                trashed_on: None,
                deleted: false,
                metadata: Vec::new(),
                seq,
            },
        );
        id
    }

    /// Adds a complete asset holding `blob` to `folder_id` and returns its id.
    pub fn add_asset(
        &mut self,
        folder_id: &str,
        name: &str,
        blob: Blob,
        transfer: &'static str,
        now: i64,
    ) -> Option<String> {
        let workspace_id = self.live_folder(folder_id)?.workspace_id.clone();
        let id = self.new_id("asset", 32);
        let seq = self.next_seq();
        self.assets.insert(
            id.clone(),
            Asset {
                id: id.clone(),
                name: name.to_string(),
                sort_name: name.to_lowercase(),
                workspace_id,
                folder_id: folder_id.to_string(),
                size: blob.len(),
                blob,
                status: "Complete",
                created_on: now,
                modified_on: now,
                upload_complete: Some(now),
                trashed_on: None,
                archived_on: None,
                transfer,
                metadata: Vec::new(),
                seq,
            },
        );
        Some(id)
    }

    /// The rows `range` of a listing in its order: folders before assets whatever the direction,
    /// then by `listing.by` (names case-insensitively; `relevance` by the score given with each
    /// row, highest first), then in insertion order. Keys are computed once per row and only the
    /// page is sorted (a linear selection finds it), so a page of a listing of tens of thousands
    /// stays cheap.
    pub fn page<'a>(listing: &Listing, rows: Vec<(usize, Entry<'a>)>, range: Range<usize>) -> Vec<Entry<'a>> {
        let mut keyed: Vec<(bool, SortKey<'a>, u64, Entry<'a>)> = rows
            .into_iter()
            .map(|(score, e)| (!e.is_folder(), Self::sort_key(listing.by, score, &e), e.seq(), e))
            .collect();
        window_of(&mut keyed, range, |a, b| {
            a.0.cmp(&b.0).then_with(|| {
                let by = (a.1, a.2).cmp(&(b.1, b.2));
                if listing.desc { by.reverse() } else { by }
            })
        })
        .into_iter()
        .map(|(_, _, _, e)| e)
        .collect()
    }

    fn sort_key<'a>(by: &str, score: usize, e: &Entry<'a>) -> SortKey<'a> {
        match (by, *e) {
            ("relevance", _) => SortKey::Num(-(score as i64)),
            ("createdOn", Entry::Folder(f)) => SortKey::Num(f.created_on),
            ("createdOn", Entry::Asset(a)) => SortKey::Num(a.created_on),
            ("trashedOn", Entry::Folder(f)) => SortKey::Num(f.trashed_on.unwrap_or(0)),
            ("trashedOn", Entry::Asset(a)) => SortKey::Num(a.trashed_on.unwrap_or(0)),
            ("size", Entry::Asset(a)) => SortKey::Num(a.size as i64),
            ("type", Entry::Asset(a)) => SortKey::Text(asset_type(&a.name).unwrap_or("")),
            ("status", Entry::Asset(a)) => SortKey::Text(a.status),
            (_, Entry::Folder(f)) => SortKey::Text(&f.sort_name),
            (_, Entry::Asset(a)) => SortKey::Text(&a.sort_name),
        }
    }

    /// Keeps the rows `kind` asks for.
    pub fn keep_kind(rows: &mut Vec<Entry<'_>>, kind: Kind) {
        rows.retain(|e| match kind {
            Kind::All => true,
            Kind::Folder => e.is_folder(),
            Kind::Asset => !e.is_folder(),
        });
    }

    // -----------------------------------------------------------------------------------------
    // JSON
    // -----------------------------------------------------------------------------------------

    /// `{id, name, email}` of the user.
    pub fn user_json(&self, email: &str) -> Value {
        json!({"id": USER_ID, "name": USER_NAME, "email": email})
    }

    fn network_json(&self, id: &str) -> Value {
        match self.networks.get(id) {
            Some(n) => json!({"id": n.id, "name": n.name, "class": n.class}),
            None => Value::Null,
        }
    }

    fn workspace_ref(&self, id: &str) -> Value {
        match self.workspaces.get(id) {
            Some(w) => json!({"id": w.id, "name": w.name, "class": w.class}),
            None => Value::Null,
        }
    }

    /// A workspace as `get_workspace` answers it; counts and storage come from its assets.
    pub fn workspace_json(&self, w: &Workspace, email: &str) -> Value {
        let (mut count, mut used, mut last) = (0i64, 0i64, w.created_on);
        for a in self.assets.values().filter(|a| a.workspace_id == w.id) {
            count += 1;
            used += a.size as i64;
            last = last.max(a.modified_on);
        }
        let mut v = json!({
            "id": w.id,
            "name": w.name,
            "class": w.class,
            "rootFolderId": w.root_folder_id,
            "createdOn": iso(w.created_on),
            "lastActivityOn": iso(last),
            "assetCount": count,
            "isDeleted": false,
            "plan": {"id": "team-2", "name": "Team - Large"},
            "storage": {"allotted": w.allotted, "used": used, "usedByAssets": used, "usedByElements": 0},
            "network": self.network_json(&w.network_id),
            "owner": {"id": USER_ID, "name": USER_NAME},
            "createdBy": self.user_json(email),
            "entitlements": {"isAsperaEnabled": false, "isArchiveEnabled": true},
            "userRole": "WorkspaceOwner",
            "userInviteStatus": "Joined",
            "userLastAccessedOn": iso(last),
            "availableRenderTargets": [{
                "name": "Best Fit AVC",
                "key": "best-fit-avc",
                "description": "Render to AVC with best match based on source codec and specs"
            }],
        });
        if let (Some(note), Some(obj)) = (&w.note, v.as_object_mut()) {
            obj.insert(
                "note".into(),
                json!({
                    "text": note,
                    "createdOn": iso(w.created_on),
                    "createdBy": self.user_json(email),
                    "modifiedOn": iso(last),
                    "modifiedBy": self.user_json(email),
                }),
            );
        }
        v
    }

    /// A folder as `get_folder` and listings answer it.
    pub fn folder_json(&self, f: &Folder, email: &str) -> Value {
        let children = self
            .folders
            .values()
            .filter(|c| !c.deleted && c.parent_id.as_deref() == Some(f.id.as_str()))
            .count();
        let mut v = json!({
            "id": f.id,
            "name": f.name,
            "createdOn": iso(f.created_on),
            "createdBy": self.user_json(email),
            "lastActivityOn": iso(f.last_activity),
            "network": self.workspaces.get(&f.workspace_id).map(|w| self.network_json(&w.network_id)),
            "metadata": f.metadata.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
            "stats": {"childFolderCount": children},
            "workspace": self.workspace_ref(&f.workspace_id),
            "isTrashed": f.trashed_on.is_some(),
            "kind": "Folder",
        });
        if let (Some(parent), Some(obj)) = (&f.parent_id, v.as_object_mut()) {
            obj.insert("parentId".into(), json!(parent));
            if let Some(p) = self.folders.get(parent) {
                obj.insert("parentFolder".into(), json!({"id": p.id, "name": p.name}));
            }
        }
        v
    }

    /// An asset with every field the service sends (more than the `Asset` model lists: the
    /// listing fields `kind`, `totalFolderCount`, … reach the model's `extra`).
    pub fn asset_json(&self, a: &Asset, links: &Links, now: i64, email: &str) -> Value {
        let folder = self.folders.get(&a.folder_id);
        let complete = a.status == "Complete";
        let (archive_status, archive_date) = match a.archived_on {
            None => ("Not archived", None),
            Some(t) if now < t + ARCHIVE_SECONDS => ("Archive in progress", None),
            Some(t) => ("Archived", Some(iso(t + ARCHIVE_SECONDS))),
        };
        let mut v = json!({
            "id": a.id,
            "name": a.name,
            "size": a.size,
            "format": extension(&a.name),
            "folder": folder.map(|f| json!({"id": f.id, "name": f.name})),
            "status": a.status,
            "thumbnails": if complete { thumbnails_json(a, links) } else { json!([]) },
            "proxies": if complete { proxies_json(a, links) } else { json!([]) },
            "createdOn": iso(a.created_on),
            "createdBy": self.user_json(email),
            "modifiedOn": iso(a.modified_on),
            "lastActivityOn": iso(a.modified_on),
            "acquisitionSource": {"name": "Workspace"},
            "archiveStatus": archive_status,
            "archiveType": "Standard",
            "restoreStatus": "Not restored",
            "isTrashed": a.trashed_on.is_some(),
            "isDeleted": false,
            "isExternal": false,
            "uploadTransferType": a.transfer,
            "totalFolderCount": 1,
            "network": self.workspaces.get(&a.workspace_id).map(|w| self.network_json(&w.network_id)),
            "metadata": a.metadata.iter().map(|(n, v)| json!({"name": n, "value": v, "readOnly": false})).collect::<Vec<_>>(),
            "workspace": self.workspace_ref(&a.workspace_id),
            "kind": "Asset",
        });
        if let Some(obj) = v.as_object_mut() {
            if let Some(t) = asset_type(&a.name) {
                obj.insert("type".into(), json!(t));
            }
            if let Some(t) = a.upload_complete {
                obj.insert("uploadCompleteDate".into(), json!(iso(t)));
            }
            if let Some(d) = archive_date {
                obj.insert("archiveDate".into(), json!(d));
                obj.insert("archivedBy".into(), self.user_json(email));
            }
        }
        v
    }

    /// `GET /assets/{id}/download`: signed locations of the source, the proxies and thumbnails.
    pub fn download_json(&self, a: &Asset, links: &Links) -> Value {
        let stem = a.name.rsplit_once('.').map_or(a.name.as_str(), |(s, _)| s);
        let proxies: Vec<Value> = proxy_kinds(&a.name)
            .iter()
            .map(|(kind, format, _, _)| {
                let blob = rendition_blob(a, &format!("proxy-{kind}")).unwrap_or(Blob::Generated { len: 0, seed: 0 });
                json!({
                    "type": kind,
                    "location": links.url(&a.id, &format!("proxy-{kind}"), &format!("{stem}.{format}")),
                    "size": blob.len(),
                    "name": format!("{stem}.{format}"),
                    "format": format,
                    "isExternal": false,
                })
            })
            .collect();
        json!({
            "id": a.id,
            "name": a.name,
            "location": links.url(&a.id, "source", &a.name),
            "size": a.size,
            "proxies": proxies,
            "thumbnails": thumbnails_json(a, links),
        })
    }
}

/// The rows `range` of `rows` in the order `cmp` gives, without sorting all of them: a page of a
/// listing of tens of thousands costs a linear selection, not a sort.
fn window_of<T: Copy>(rows: &mut [T], range: Range<usize>, mut cmp: impl FnMut(&T, &T) -> Ordering) -> Vec<T> {
    let range = range.start.min(rows.len())..range.end.min(rows.len());
    if range.is_empty() {
        return Vec::new();
    }
    if range.start > 0 {
        rows.select_nth_unstable_by(range.start, &mut cmp);
    }
    let rest = &mut rows[range.start..];
    if range.len() < rest.len() {
        rest.select_nth_unstable_by(range.len() - 1, &mut cmp);
    }
    let window = &mut rest[..range.len()];
    window.sort_by(&mut cmp);
    window.to_vec()
}

/// Seconds an archive takes.
pub(crate) const ARCHIVE_SECONDS: i64 = 60;

/// Lower-case extension of a file name.
pub(crate) fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// `Video`, `Image` or `Audio` from the file name; `None` for other files.
pub(crate) fn asset_type(name: &str) -> Option<&'static str> {
    match extension(name).as_str() {
        "mov" | "mp4" | "mxf" | "avi" | "mkv" | "m4v" | "webm" | "mpg" | "mpeg" | "mts" => Some("Video"),
        "jpg" | "jpeg" | "png" | "gif" | "tif" | "tiff" | "bmp" | "webp" | "heic" | "psd" | "dng" => Some("Image"),
        "wav" | "mp3" | "aac" | "m4a" | "aif" | "aiff" | "flac" | "ogg" => Some("Audio"),
        _ => None,
    }
}

/// The proxies an asset gets: (type, format, width, height).
fn proxy_kinds(name: &str) -> &'static [(&'static str, &'static str, u32, u32)] {
    match (asset_type(name), extension(name).as_str()) {
        (Some("Video"), _) => &[("video-sd", "mp4", 640, 360), ("video-hd", "mp4", 1280, 720)],
        (Some("Audio"), _) => &[("standard-audio", "mp3", 0, 0)],
        (_, "pdf" | "doc" | "docx" | "ppt" | "pptx") => &[("document-pdf", "pdf", 0, 0)],
        _ => &[],
    }
}

/// The thumbnails an asset gets: (type, width, height, bytes).
fn thumbnail_kinds(name: &str) -> &'static [(&'static str, u32, u32, u64)] {
    match asset_type(name) {
        Some("Video") | Some("Image") => &[("small", 160, 90, 4 * 1024), ("large", 640, 360, 32 * 1024)],
        _ => &[],
    }
}

/// The bytes of a rendition: `source`, `proxy-<type>` or `thumb-<type>`. Proxies and thumbnails
/// are generated from the asset's id (they are not real media).
pub(crate) fn rendition_blob(a: &Asset, rendition: &str) -> Option<Blob> {
    if rendition == "source" {
        return Some(a.blob.clone());
    }
    let seed = a.id.bytes().fold(a.seq, |h, b| h.rotate_left(5) ^ u64::from(b));
    if let Some(kind) = rendition.strip_prefix("proxy-") {
        let (i, _) = proxy_kinds(&a.name).iter().enumerate().find(|(_, p)| p.0 == kind)?;
        let len = (a.size / 4).clamp(1024, 256 * 1024);
        return Some(Blob::Generated {
            len,
            seed: seed ^ (i as u64 + 1),
        });
    }
    let kind = rendition.strip_prefix("thumb-")?;
    let (i, t) = thumbnail_kinds(&a.name).iter().enumerate().find(|(_, t)| t.0 == kind)?;
    Some(Blob::Generated {
        len: t.3,
        seed: seed ^ (0x100 + i as u64),
    })
}

/// The `Content-Type` a rendition is served with.
pub(crate) fn rendition_content_type(a: &Asset, rendition: &str) -> &'static str {
    let ext = if rendition.starts_with("thumb-") {
        "jpg".to_string()
    } else if let Some(kind) = rendition.strip_prefix("proxy-") {
        proxy_kinds(&a.name)
            .iter()
            .find(|p| p.0 == kind)
            .map(|p| p.1.to_string())
            .unwrap_or_default()
    } else {
        extension(&a.name)
    };
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "tif" | "tiff" => "image/tiff",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "mxf" => "application/mxf",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

fn thumbnails_json(a: &Asset, links: &Links) -> Value {
    let stem = a.name.rsplit_once('.').map_or(a.name.as_str(), |(s, _)| s);
    Value::Array(
        thumbnail_kinds(&a.name)
            .iter()
            .map(|(kind, w, h, len)| {
                json!({
                    "type": kind,
                    "location": links.url(&a.id, &format!("thumb-{kind}"), &format!("{stem}-{kind}.jpg")),
                    "size": len,
                    "width": w,
                    "height": h,
                    "isExternal": false,
                })
            })
            .collect(),
    )
}

fn proxies_json(a: &Asset, links: &Links) -> Value {
    let stem = a.name.rsplit_once('.').map_or(a.name.as_str(), |(s, _)| s);
    Value::Array(
        proxy_kinds(&a.name)
            .iter()
            .map(|(kind, format, w, h)| {
                let size = rendition_blob(a, &format!("proxy-{kind}")).map_or(0, |b| b.len());
                let mut p = Map::new();
                p.insert("type".into(), json!(kind));
                p.insert(
                    "location".into(),
                    json!(links.url(&a.id, &format!("proxy-{kind}"), &format!("{stem}.{format}"))),
                );
                p.insert("size".into(), json!(size));
                if *w > 0 {
                    p.insert("width".into(), json!(w));
                    p.insert("height".into(), json!(h));
                    p.insert("videoBitRate".into(), json!(1_650_000));
                }
                p.insert("audioBitRate".into(), json!(128_000));
                p.insert("isExternal".into(), json!(false));
                Value::Object(p)
            })
            .collect(),
    )
}

/// UNIX seconds as Ci writes dates: `2017-01-02T00:00:00.000Z`.
pub(crate) fn iso(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Days to a civil date (proleptic Gregorian), after H. Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_like_ci() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_483_315_200), "2017-01-02T00:00:00.000Z");
        assert_eq!(iso(1_709_251_199), "2024-02-29T23:59:59.000Z");
    }

    #[test]
    fn new_ids_are_distinct_and_sized() {
        let mut s = State::default();
        let a = s.new_id("asset", 32);
        let b = s.new_id("asset", 32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(s.new_id("folder", 16).len(), 16);
    }
}
