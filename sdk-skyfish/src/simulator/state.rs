//! The simulator's state: folders, media, tokens, pending uploads, ZIP jobs and cliques, with the
//! JSON shapes the service answers for them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use dam_test_server::Reply;
use serde_json::{Map, Value, json};

use super::Blob;

/// A folder.
#[derive(Debug, Clone)]
pub(crate) struct Folder {
    pub id: i64,
    pub name: String,
    pub parent: Option<i64>,
    pub company_id: i64,
    /// UNIX seconds.
    pub created: i64,
    pub tags: Vec<String>,
    /// The user's trashcan: `PERMANENT` and `TRASH`, cannot be changed or deleted.
    pub trash: bool,
}

/// What a media is, for search (`media_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Image,
    Vector,
    Video,
    Generic,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Vector => "vector",
            Kind::Video => "video",
            Kind::Generic => "generic",
        }
    }

    /// From a file name's extension.
    pub fn of(name: &str) -> Kind {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "jpg" | "jpeg" | "png" | "gif" | "tif" | "tiff" | "webp" | "heic" | "bmp" => Kind::Image,
            "eps" | "ai" | "svg" => Kind::Vector,
            "mp4" | "mov" | "avi" | "mkv" | "webm" | "m4v" => Kind::Video,
            _ => Kind::Generic,
        }
    }

    /// The MIME type of a file name, by extension.
    pub fn mime(name: &str) -> &'static str {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "jpg" | "jpeg" => "image/jpeg",
            "png" => "image/png",
            "gif" => "image/gif",
            "tif" | "tiff" => "image/tiff",
            "svg" => "image/svg+xml",
            "eps" | "ai" => "application/postscript",
            "mp4" | "m4v" => "video/mp4",
            "mov" => "video/quicktime",
            "pdf" => "application/pdf",
            "txt" => "text/plain",
            _ => "application/octet-stream",
        }
    }
}

/// A video stream's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    None,
    /// Asked for; this many more polls answer 404.
    Making(u32),
    Ready,
}

/// A media.
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub id: i64,
    pub filename: String,
    pub mime: String,
    pub kind: Kind,
    pub blob: Blob,
    /// UNIX seconds.
    pub created: i64,
    /// UNIX seconds of the last metadata change.
    pub modified: i64,
    /// The folders it is in, in the order it was put there.
    pub folders: Vec<i64>,
    pub uploaded_by: i64,
    /// The editable metadata sub-document (`editorial`, `adult_content`, `keywords`, `title`,
    /// `description`, `iptc`, `geolocation`, `camera_created`), as the API sends it.
    pub metadata: Map<String, Value>,
    /// `yyyy-mm-dd`.
    pub expiration: Option<String>,
    pub version: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// Import polls left that answer 202.
    pub import_polls: u32,
    /// Imported at this time (UNIX seconds) even without polls.
    pub import_until: i64,
    pub stream: Stream,
    /// A Colourbox download: read-only, found by the Colourbox search only.
    pub colourbox: bool,
}

impl Media {
    /// A media with empty metadata.
    pub fn new(id: i64, filename: &str, blob: Blob, folder: Option<i64>, user: i64, now: i64) -> Media {
        let kind = Kind::of(filename);
        let mut metadata = Map::new();
        metadata.insert("editorial".into(), json!(false));
        metadata.insert("adult_content".into(), json!(false));
        metadata.insert("keywords".into(), json!({"en": []}));
        metadata.insert("title".into(), json!({"en": ""}));
        metadata.insert("description".into(), json!({"en": ""}));
        metadata.insert("iptc".into(), json!({}));
        metadata.insert("geolocation".into(), Value::Null);
        Media {
            id,
            filename: filename.to_string(),
            mime: Kind::mime(filename).to_string(),
            kind,
            blob,
            created: now,
            modified: now,
            folders: folder.into_iter().collect(),
            uploaded_by: user,
            metadata,
            expiration: None,
            version: 1,
            width: None,
            height: None,
            import_polls: 0,
            import_until: now,
            stream: Stream::None,
            colourbox: false,
        }
    }

    /// Whether the import is still running at `now`.
    pub fn importing(&self, now: i64) -> bool {
        self.import_polls > 0 && now < self.import_until
    }

    /// A text per language of the metadata (`title`, `description`).
    pub fn text(&self, field: &str, lang: &str) -> String {
        self.metadata
            .get(field)
            .and_then(|v| v.get(lang))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// The keywords in a language.
    pub fn keywords(&self, lang: &str) -> Vec<String> {
        self.metadata
            .get("keywords")
            .and_then(|v| v.get(lang))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// An IPTC field as text (`By-line`, `CopyrightNotice`).
    pub fn iptc(&self, field: &str) -> Option<String> {
        self.metadata
            .get("iptc")
            .and_then(|v| v.get(field))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// Sets an IPTC field.
    pub fn set_iptc(&mut self, field: &str, value: Value) {
        let iptc = self.metadata.entry("iptc").or_insert_with(|| json!({}));
        if !iptc.is_object() {
            *iptc = json!({});
        }
        if let Some(map) = iptc.as_object_mut() {
            map.insert(field.to_string(), value);
        }
    }

    /// Latitude and longitude, when known.
    pub fn geo(&self) -> Option<(f64, f64)> {
        let g = self.metadata.get("geolocation")?;
        let num = |v: &Value| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        Some((num(g.get("latitude")?)?, num(g.get("longitude")?)?))
    }

    /// The camera time, UNIX seconds.
    pub fn camera_created(&self) -> Option<i64> {
        match self.metadata.get("camera_created")? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Records a metadata change.
    pub fn touch(&mut self, now: i64) {
        self.version += 1;
        self.modified = now;
    }

    /// The media document of `GET /media/{id}`.
    pub fn document(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "created": datetime(self.created),
            "type": match (self.colourbox, self.kind) {
                (true, _) => "Stock",
                (false, Kind::Image) => "stock",
                (false, Kind::Vector) => "vector",
                (false, Kind::Video) => "video",
                (false, Kind::Generic) => "generic",
            },
            "filename": self.filename,
            "file_md5": digest(&self.blob),
            "uploaded_by": self.uploaded_by,
            "metadata": Value::Object(self.metadata.clone()),
        })
    }
}

/// A login token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// UNIX seconds.
    pub valid_until: i64,
    pub revoked: bool,
}

/// A registered upload, until its file arrives.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub folder: i64,
    /// The `key` prefix every file of this registration is stored under.
    pub prefix: String,
}

/// A file the storage received, until `/upload/done` turns it into a media.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub folder: i64,
    pub filename: String,
    pub mime: Option<String>,
    pub bytes: bytes::Bytes,
    /// The media it became, once finalised.
    pub media: Option<i64>,
}

/// A ZIP job.
#[derive(Debug, Clone)]
pub(crate) struct ZipJob {
    pub folder: i64,
    /// Looks that still answer `PENDING`.
    pub pending: u32,
    /// The archive, once built (`None` while pending or when it failed).
    pub archive: Option<Blob>,
    pub failed: bool,
    /// UNIX seconds.
    pub valid_until: i64,
}

/// A clique.
#[derive(Debug, Clone)]
pub(crate) struct Clique {
    pub id: i64,
    pub name: String,
    pub skyfish_id: Value,
    pub thumbnail_id: Value,
    pub members: BTreeSet<i64>,
    /// Folder id → (access, upload).
    pub folders: BTreeMap<i64, (String, bool)>,
}

impl Clique {
    pub fn json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "skyfish_id": self.skyfish_id, "thumbnail_id": self.thumbnail_id})
    }
}

/// A user of the company.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: i64,
    pub fullname: String,
}

/// Everything the simulator holds, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub folders: BTreeMap<i64, Folder>,
    pub media: BTreeMap<i64, Media>,
    pub tokens: HashMap<String, Token>,
    pub registrations: HashMap<String, Registration>,
    pub stored: HashMap<String, Stored>,
    pub zips: HashMap<String, ZipJob>,
    pub cliques: BTreeMap<i64, Clique>,
    pub users: Vec<User>,
    pub profile_image: Option<bytes::Bytes>,
    pub next_folder: i64,
    pub next_media: i64,
    pub next_clique: i64,
    pub next_job: u64,
}

impl State {
    /// Adds a clique with one member and one folder (read access); its id.
    pub fn add_clique(&mut self, name: &str, skyfish_id: serde_json::Value, member: i64, folder: i64) -> i64 {
        self.next_clique += 1;
        let id = self.next_clique;
        let clique = Clique {
            id,
            name: name.to_string(),
            skyfish_id,
            thumbnail_id: serde_json::Value::Null,
            members: [member].into_iter().collect(),
            folders: [(folder, ("READ".to_string(), false))].into_iter().collect(),
        };
        self.cliques.insert(id, clique);
        id
    }

    /// The id of a new ZIP job (`zip-000001`, …).
    pub fn next_zip_id(&mut self) -> String {
        self.next_job += 1;
        format!("zip-{:06}", self.next_job)
    }

    /// The folder and every folder below it.
    pub fn subtree(&self, root: i64) -> BTreeSet<i64> {
        let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
        for f in self.folders.values() {
            if let Some(p) = f.parent {
                children.entry(p).or_default().push(f.id);
            }
        }
        let mut out = BTreeSet::new();
        let mut todo = vec![root];
        while let Some(id) = todo.pop() {
            if out.insert(id) {
                todo.extend(children.get(&id).into_iter().flatten());
            }
        }
        out
    }

    /// Removes `folders` from every media; media left in no folder are deleted.
    pub fn drop_media_of(&mut self, folders: &BTreeSet<i64>) {
        self.media.retain(|_, m| {
            if m.colourbox {
                return true;
            }
            m.folders.retain(|f| !folders.contains(f));
            !m.folders.is_empty()
        });
    }

    /// The folder's JSON, ids as numbers (`/folder`) or as strings (`/user/{id}/folders`).
    pub fn folder_json(&self, f: &Folder, ids_as_strings: bool) -> Value {
        let mut groups = vec!["READ", "WRITE", "ADMIN"];
        if f.trash {
            groups.extend(["PERMANENT", "TRASH"]);
        }
        let id = |v: i64| if ids_as_strings { json!(v.to_string()) } else { json!(v) };
        json!({
            "id": id(f.id),
            "name": f.name,
            "parent": f.parent.map(id),
            "company_id": id(f.company_id),
            "created": datetime(f.created),
            "permissions": {"groups": groups},
        })
    }
}

/// `YYYY-MM-DD hh:mm:ss` (UTC), the service's time format.
pub(crate) fn datetime(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A 32-hex content digest standing in for `file_md5`.
pub(crate) fn digest(blob: &Blob) -> String {
    let tag = blob.etag();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut g: u64 = 0x8422_2325_cbf2_9ce4;
    for b in tag.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        g = (g ^ u64::from(b)).wrapping_mul(0x1000_0000_01b3).rotate_left(5);
    }
    format!("{h:016x}{g:016x}")
}

/// The service's error answer, `{"message": …}`.
pub(crate) fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, json!({ "message": message }))
}

/// A 200 answer without a body (the service documents none for most changes).
pub(crate) fn ok() -> Reply {
    Reply::status(200)
}

/// Percent-encodes everything but the unreserved characters (for query values).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes what cannot stand in a header value (controls, spaces, non-ASCII), so a value
/// taken from a request (a redirect URL) never breaks the answer.
pub(crate) fn header_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex HMAC-SHA1 of `message` keyed with `key`.
pub(crate) fn hmac_hex(key: &[u8], message: &str) -> String {
    use ring::hmac;
    hex(hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key),
        message.as_bytes(),
    )
    .as_ref())
}
