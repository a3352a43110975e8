//! Assets: search, details, updates and tags, deletion, data versions, ranged downloads, and the
//! upload flow with its storage service.
//!
//! An asset's file is a list of data versions, each with its bytes (a [`Blob`]); the head version
//! is the one downloads serve. The upload flow creates a `pending` asset with a pending version
//! and a signed storage URL; the storage `PUT` fills in the bytes; `set_uploaded` makes the
//! version the head and the asset `processed`.

use std::collections::HashSet;

use dam_test_server::sim::{Blob, Call};
use dam_test_server::{Recorded, Reply};
use serde_json::{Map, Value, json};

use super::groups::{self, GroupKind};
use super::service::{
    Answer, Env, State, body_record, documented, error, invalid, merge, not_found, path_id, template, timestamp, user,
};
use crate::types;

/// Where the storage service's paths start.
pub(super) const STORAGE_PREFIX: &str = "/_storage/";

/// How long a signed upload URL is valid (one hour, facts.md).
const SIGNED_URL_LIFETIME_MS: i64 = 3_600_000;

/// The largest single storage `PUT` (5 GB).
const MAX_PUT: u64 = 5_000_000_000;

/// One data version of an asset.
#[derive(Clone, Debug)]
pub(super) struct Version {
    pub id: i64,
    pub number: u32,
    pub filename: String,
    pub mime_type: String,
    pub declared_size: u64,
    pub blob: Option<Blob>,
    pub created_at: i64,
}

/// An asset.
#[derive(Clone, Debug)]
pub(super) struct Asset {
    pub id: i64,
    pub guid: String,
    pub filename: String,
    /// Metadata (title, description, rating, …) and every field a client sent that the simulator
    /// does not model.
    pub fields: Map<String, Value>,
    /// `pending`, `processed`.
    pub state: &'static str,
    pub versions: Vec<Version>,
    /// The head version's number (0 before the first upload completes).
    pub head: u32,
    /// A version whose bytes are on their way (prepared, not yet `set_uploaded`).
    pub pending: Option<Version>,
    pub storage_folder_id: i64,
    pub upload_id: Option<i64>,
    /// `(tagging id, tag id)`.
    pub tags: Vec<(i64, i64)>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Asset {
    /// The version downloads serve.
    pub fn head_version(&self) -> Option<&Version> {
        self.versions.iter().find(|v| v.number == self.head)
    }
}

/// An upload session.
#[derive(Clone, Debug)]
pub(super) struct Upload {
    pub id: i64,
    pub guid: String,
    pub name: Option<String>,
    pub note: Option<String>,
    pub fields: Map<String, Value>,
    pub contribution_id: Option<i64>,
    pub storage_folder_id: i64,
    pub done_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A signed storage URL handed out: which version its bytes are for, and until when.
#[derive(Clone, Debug)]
pub(super) struct Slot {
    pub asset_id: i64,
    pub number: u32,
    pub expires_at: i64,
}

/// The file's extension, lower case.
fn ext(filename: &str) -> String {
    filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The content type a file name suggests.
fn mime(filename: &str) -> String {
    mime_guess::from_path(filename)
        .first_or_octet_stream()
        .essence_str()
        .to_string()
}

/// `Image`, `Video`, `Audio` or `Document`.
fn preview_type(mime: &str) -> &'static str {
    match mime.split('/').next().unwrap_or("") {
        "image" => "Image",
        "video" => "Video",
        "audio" => "Audio",
        _ => "Document",
    }
}

/// A processed asset with one version holding `blob`; its id.
pub(super) fn insert_asset(state: &mut State, folder: i64, filename: &str, blob: Blob, now: i64) -> i64 {
    state.next.asset += 1;
    state.next.version += 1;
    let id = state.next.asset;
    let guid = state.guid();
    let version = Version {
        id: state.next.version,
        number: 1,
        filename: filename.to_string(),
        mime_type: mime(filename),
        declared_size: blob.len(),
        blob: Some(blob),
        created_at: now,
    };
    state.guids.insert(guid.clone(), id);
    state.assets.insert(
        id,
        Asset {
            id,
            guid,
            filename: filename.to_string(),
            fields: Map::new(),
            state: "processed",
            versions: vec![version],
            head: 1,
            pending: None,
            storage_folder_id: folder,
            upload_id: None,
            tags: Vec::new(),
            created_at: now,
            updated_at: now,
        },
    );
    id
}

/// The asset as the API answers it.
pub(super) fn render(state: &State, a: &Asset) -> Value {
    let mut m = a.fields.clone();
    let current = a.head_version().or(a.pending.as_ref());
    let mime_type = current
        .map(|v| v.mime_type.clone())
        .unwrap_or_else(|| mime(&a.filename));
    let size = current.map(|v| v.blob.as_ref().map_or(v.declared_size, Blob::len));
    let folder = state.groups.get(&a.storage_folder_id);
    let tags: Vec<Value> = a
        .tags
        .iter()
        .filter_map(|(tagging, tag)| state.tags.get(tag).map(|t| (tagging, t)))
        .map(|(tagging, t)| {
            json!({
                "id": tagging,
                "tag_id": t.id,
                "name": t.name,
                "sub_type": t.sub_type,
                "list": "visible",
                "source": "manual",
                "tagged_at": timestamp(a.updated_at),
            })
        })
        .collect();
    let member_of = |kind: GroupKind| -> Vec<Value> {
        state
            .groups
            .values()
            .filter(|g| g.kind == kind && g.assets.contains(&a.id))
            .map(|g| json!({"id": g.public_id(), "asset_group_id": g.id, "name": g.name}))
            .collect()
    };
    let fixed = json!({
        "id": a.id,
        "guid": a.guid,
        "short_guid": &a.guid[..8.min(a.guid.len())],
        "filename": a.filename,
        "ext": ext(&a.filename),
        "mime_type": mime_type,
        "preview_type": preview_type(&mime_type),
        "file_size": size,
        "aasm_state": a.state,
        "data_version_number": a.head,
        "data_versions_count": a.versions.len(),
        "created_at": timestamp(a.created_at),
        "updated_at": timestamp(a.updated_at),
        "upload_id": a.upload_id,
        "user_id": state.org.user_id,
        "user": user(state),
        "storage_folder_id": a.storage_folder_id,
        "storage_folder": folder.map(|f| json!({"id": f.id, "name": f.name})),
        "tags": tags,
        "collections": member_of(GroupKind::Collection),
        "lightboxes": member_of(GroupKind::Lightbox),
        "downloadable": true,
        "original_downloadable": true,
        "download_sizes": ["small", "full", "original"],
    });
    if let Value::Object(fixed) = fixed {
        m = merge(m, &fixed);
    }
    Value::Object(m)
}

/// The asset a path parameter names: a numeric id or a GUID.
fn find<'s>(state: &'s State, key: &str) -> Result<&'s Asset, Reply> {
    let id = key.parse::<i64>().ok().or_else(|| state.guids.get(key).copied());
    id.and_then(|id| state.assets.get(&id))
        .ok_or_else(|| not_found("Asset", key))
}

fn find_id(state: &State, call: &Call<'_>, name: &str) -> Result<i64, Reply> {
    find(state, call.path(name).unwrap_or_default()).map(|a| a.id)
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/// The filters of a search, resolved against the state once.
struct Filter {
    words: Vec<String>,
    ids: Option<HashSet<i64>>,
    guids: Option<HashSet<String>>,
    tags: Vec<i64>,
    unknown_tag: bool,
    exts: Option<HashSet<String>>,
    ratings: Option<HashSet<i64>>,
    users: Option<HashSet<i64>>,
    folders: Option<HashSet<i64>>,
    members: Option<HashSet<i64>>,
    upload: Option<Option<i64>>,
    state: Option<String>,
}

fn ints(call: &Call<'_>, name: &str) -> Option<HashSet<i64>> {
    let values = call.query_all(name);
    (!values.is_empty()).then(|| {
        values
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    })
}

fn texts(call: &Call<'_>, name: &str) -> Option<HashSet<String>> {
    let values = call.query_all(name);
    (!values.is_empty()).then(|| values.iter().map(|v| v.trim().to_ascii_lowercase()).collect())
}

fn flag(call: &Call<'_>, name: &str) -> bool {
    matches!(call.query(name), Some("true" | "1"))
}

impl Filter {
    fn new(state: &State, call: &Call<'_>) -> Self {
        let words = call
            .query("q")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut unknown_tag = false;
        let tags = call
            .query_all("tags[]")
            .iter()
            .filter_map(|name| {
                let found = groups::find_tag(state, name);
                unknown_tag |= found.is_none();
                found
            })
            .collect();
        let folders = call.query_int("storage_folder_id").map(|root| {
            if flag(call, "omit_child_storage_folders") {
                HashSet::from([root])
            } else {
                groups::subtree(state, root)
            }
        });
        let mut members: Option<HashSet<i64>> = None;
        let mut restrict = |groups_wanted: HashSet<i64>| {
            let inside: HashSet<i64> = groups_wanted
                .iter()
                .filter_map(|g| state.groups.get(g))
                .flat_map(|g| g.assets.iter().copied())
                .collect();
            members = Some(match members.take() {
                Some(before) => before.intersection(&inside).copied().collect(),
                None => inside,
            });
        };
        if let Some(id) = call.query_int("collection_id") {
            restrict(if flag(call, "omit_child_collections") {
                HashSet::from([id])
            } else {
                groups::subtree(state, id)
            });
        }
        if let Some(id) = call.query_int("lightbox_id") {
            let group = state.lightboxes.get(&id).copied().unwrap_or(id);
            restrict(HashSet::from([group]));
        }
        let upload = match (call.query_int("upload_id"), call.query("upload_guid")) {
            (Some(id), _) => Some(Some(id)),
            (None, Some(guid)) => Some(state.upload_guids.get(guid).copied()),
            (None, None) => None,
        };
        Self {
            words,
            ids: ints(call, "ids[]"),
            guids: texts(call, "guids[]"),
            tags,
            unknown_tag,
            exts: texts(call, "exts[]"),
            ratings: ints(call, "rating[]"),
            users: ints(call, "user_ids[]"),
            folders,
            members,
            upload,
            state: call.query("aasm_state").map(str::to_string),
        }
    }

    fn matches(&self, state: &State, a: &Asset) -> bool {
        if self.unknown_tag {
            return false;
        }
        match &self.state {
            Some(wanted) if wanted != a.state => return false,
            None if a.state == "pending" => return false,
            _ => {}
        }
        if self.ids.as_ref().is_some_and(|ids| !ids.contains(&a.id))
            || self.guids.as_ref().is_some_and(|g| !g.contains(&a.guid))
            || self.exts.as_ref().is_some_and(|e| !e.contains(&ext(&a.filename)))
            || self.users.as_ref().is_some_and(|u| !u.contains(&state.org.user_id))
            || self.folders.as_ref().is_some_and(|f| !f.contains(&a.storage_folder_id))
            || self.members.as_ref().is_some_and(|m| !m.contains(&a.id))
            || self.upload.is_some_and(|u| u.is_none() || u != a.upload_id)
            || !self.tags.iter().all(|t| a.tags.iter().any(|(_, x)| x == t))
        {
            return false;
        }
        if let Some(ratings) = &self.ratings {
            let rating = a.fields.get("rating").and_then(Value::as_i64).unwrap_or(0);
            if !ratings.contains(&rating) {
                return false;
            }
        }
        self.words.iter().all(|w| {
            contains(&a.filename, w)
                || ["title", "description", "headline", "alt_text"]
                    .iter()
                    .any(|k| matches!(a.fields.get(*k), Some(Value::String(s)) if contains(s, w)))
                || a.tags
                    .iter()
                    .any(|(_, t)| state.tags.get(t).is_some_and(|t| contains(&t.name, w)))
        })
    }
}

/// Whether `text` contains `word` (lower case), ignoring case; without allocating for ASCII.
fn contains(text: &str, word: &str) -> bool {
    if text.is_ascii() && word.is_ascii() {
        let (text, word) = (text.as_bytes(), word.as_bytes());
        word.is_empty() || text.windows(word.len()).any(|w| w.eq_ignore_ascii_case(word))
    } else {
        text.to_lowercase().contains(word)
    }
}

/// The ids a search found, kept while nothing changes, so paging through a large result does
/// not search again for every page.
#[derive(Debug)]
pub(super) struct SearchCache {
    generation: u64,
    key: Vec<(String, String)>,
    ids: Vec<i64>,
}

/// The ids of the assets a search finds, in its order.
fn matching(s: &State, call: &Call<'_>) -> Vec<i64> {
    let filter = Filter::new(s, call);
    let mut hits: Vec<&Asset> = s.assets.values().filter(|a| filter.matches(s, a)).collect();
    let sort = call.query("sort").unwrap_or("created_at");
    let (field, direction) = match sort.rsplit_once('-') {
        Some((f, d @ ("asc" | "desc"))) => (f, d),
        _ => (sort, if sort == "filename" { "asc" } else { "desc" }),
    };
    let rating = |a: &Asset| a.fields.get("rating").and_then(Value::as_i64).unwrap_or(0);
    let size = |a: &Asset| a.head_version().and_then(|v| v.blob.as_ref()).map_or(0, Blob::len);
    match field {
        "filename" => hits.sort_by(|a, b| a.filename.cmp(&b.filename).then(a.id.cmp(&b.id))),
        "file_size" => hits.sort_by_key(|a| (size(a), a.id)),
        "rating" => hits.sort_by_key(|a| (rating(a), a.id)),
        "custom" => hits.sort_by_key(|a| a.id),
        _ => hits.sort_by_key(|a| (a.created_at, a.id)),
    }
    if direction == "desc" {
        hits.reverse();
    }
    hits.into_iter().map(|a| a.id).collect()
}

/// `GET /api/assets/search`.
pub(super) fn search(s: &mut State, _env: &Env, call: &Call<'_>) -> Answer {
    let page = call.query_int("page").unwrap_or(1).max(1);
    let per_page = call.query_int("per_page").unwrap_or(25).clamp(1, 100);
    let key: Vec<(String, String)> = call
        .query
        .iter()
        .filter(|(k, _)| k != "page" && k != "per_page")
        .cloned()
        .collect();
    let hits = match &s.search_cache {
        // The same search over the same state (the next page of a listing): the same order.
        Some(cache) if cache.generation == s.generation && cache.key == key => cache.ids.clone(),
        _ => {
            let ids = matching(s, call);
            s.search_cache = Some(SearchCache {
                generation: s.generation,
                key,
                ids: ids.clone(),
            });
            ids
        }
    };
    let total = hits.len();
    let start = ((page - 1) as usize).saturating_mul(per_page as usize);
    let assets: Vec<Value> = hits
        .iter()
        .skip(start)
        .take(per_page as usize)
        .filter_map(|id| s.assets.get(id))
        .map(|a| render(s, a))
        .collect();
    Ok(
        Reply::json(200, json!({"assets": assets, "total": total, "total_entries": total}))
            .header("total-entries", &total.to_string()),
    )
}

// ---------------------------------------------------------------------------------------------
// Details, updates, tags, deletion
// ---------------------------------------------------------------------------------------------

/// `GET /api/assets/{id}` (id or GUID).
pub(super) fn get(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = find_id(s, call, "id")?;
    if flag(call, "sync")
        && let Some(a) = s.assets.get_mut(&id)
    {
        a.fields
            .insert("last_external_sync_at".into(), json!(timestamp(env.now)));
    }
    let a = &s.assets[&id];
    Ok(env.detail("asset", render(s, a)))
}

/// Tag names of a list field (`["a", "b"]`, or `"a, b"` for `add_tags_with_commas`).
fn names(value: Option<Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// Adds, removes or replaces an asset's tags by name (new names become tags).
pub(super) fn change_tags(
    s: &mut State,
    id: i64,
    add: Vec<String>,
    remove: Vec<String>,
    replace: Option<Vec<String>>,
    now: i64,
) {
    let Some(mut tags) = s.assets.get(&id).map(|a| a.tags.clone()) else {
        return;
    };
    let mut add = add;
    if let Some(replace) = replace {
        let keep: Vec<i64> = replace.iter().filter_map(|n| groups::find_tag(s, n)).collect();
        tags.retain(|(_, t)| keep.contains(t));
        add.extend(replace);
    }
    for name in remove {
        if let Some(t) = groups::find_tag(s, &name) {
            tags.retain(|(_, x)| *x != t);
        }
    }
    for name in add {
        let t = groups::tag_by_name(s, &name, now);
        if !tags.iter().any(|(_, x)| *x == t) {
            let tagging = groups::next_tagging(s);
            tags.push((tagging, t));
        }
    }
    if let Some(a) = s.assets.get_mut(&id) {
        a.tags = tags;
        a.updated_at = now;
    }
}

/// Checks that the rendered asset decodes into the SDK's model: a value the model cannot hold is
/// refused as the service refuses invalid input (422 naming the field).
fn check_model(s: &State, a: &Asset) -> Result<(), Reply> {
    let body = render(s, a).to_string();
    match crate::runtime::decode_json::<types::Asset>("update_asset", body.as_bytes(), false) {
        Ok(_) => Ok(()),
        Err(crate::Error::Decode { path, .. }) => {
            let field = if path.is_empty() { "base".to_string() } else { path };
            Err(invalid(&field, "is invalid"))
        }
        Err(_) => Err(invalid("base", "is invalid")),
    }
}

/// `PUT /api/assets/{id}`: changes the fields sent, keeps the others.
pub(super) fn update(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Asset")?;
    if !s.assets.contains_key(&id) {
        return Err(not_found("Asset", &id.to_string()));
    }
    let mut changes = body_record(call, "asset")?;
    let add = [
        names(changes.remove("add_tag_names")),
        names(changes.remove("add_tags_with_commas")),
    ]
    .concat();
    let remove = names(changes.remove("remove_tag_names"));
    let replace = changes.remove("replace_tag_names").map(|v| names(Some(v)));
    if let Some(rating) = changes.get("rating")
        && !rating.is_null()
        && !rating.as_i64().is_some_and(|r| (0..=5).contains(&r))
    {
        return Err(invalid("rating", "must be a whole number from 0 to 5"));
    }
    let mut draft = s.assets[&id].clone();
    if let Some(name) = changes.remove("filename") {
        match name.as_str().map(str::trim) {
            Some(n) if !n.is_empty() => draft.filename = n.to_string(),
            _ => return Err(invalid("filename", "can't be blank")),
        }
    }
    for key in ["id", "guid", "aasm_state", "created_at", "updated_at"] {
        changes.remove(key);
    }
    draft.fields = merge(draft.fields, &changes);
    if call.json().get("sync").and_then(Value::as_bool) == Some(true) {
        draft
            .fields
            .insert("last_external_sync_at".into(), json!(timestamp(env.now)));
    }
    draft.updated_at = env.now;
    check_model(s, &draft)?;
    s.assets.insert(id, draft);
    change_tags(s, id, add, remove, replace, env.now);
    Ok(env.detail("asset", render(s, &s.assets[&id])))
}

/// `PUT /api/assets/{id}/tag`: answers the asset's tags.
pub(super) fn tag(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Asset")?;
    if !s.assets.contains_key(&id) {
        return Err(not_found("Asset", &id.to_string()));
    }
    let mut changes = body_record(call, "asset")?;
    let add = names(changes.remove("add_tag_names"));
    let remove = names(changes.remove("remove_tag_names"));
    let replace = changes.remove("replace_tag_names").map(|v| names(Some(v)));
    change_tags(s, id, add, remove, replace, env.now);
    let a = &s.assets[&id];
    let tags: Vec<Value> = a
        .tags
        .iter()
        .filter_map(|(tagging, t)| tagging_json(s, a, *tagging, *t))
        .collect();
    Ok(Reply::json(200, json!({ "tags": tags })))
}

/// A tagging as `tag_asset` and `get_tagging` answer it.
fn tagging_json(s: &State, a: &Asset, tagging: i64, tag: i64) -> Option<Value> {
    let t = s.tags.get(&tag)?;
    Some(json!({
        "id": tagging,
        "asset_id": a.id,
        "tag_id": t.id,
        "name": t.name,
        "description": t.description,
        "sub_type": t.sub_type,
        "list": "visible",
        "source": "manual",
        "tagged_at": timestamp(a.updated_at),
        "tag_updated_at": timestamp(t.updated_at),
        "tagged_by": user(s),
        "taxonomy_path_names": [],
    }))
}

/// `GET /api/taggings/{id}`.
pub(super) fn get_tagging(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Tagging")?;
    s.assets
        .values()
        .find_map(|a| {
            a.tags
                .iter()
                .find(|(tagging, _)| *tagging == id)
                .and_then(|(tagging, t)| tagging_json(s, a, *tagging, *t))
        })
        .map(|v| Reply::json(200, v))
        .ok_or_else(|| not_found("Tagging", &id.to_string()))
}

/// `DELETE /api/taggings/{id}`.
pub(super) fn delete_tagging(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Tagging")?;
    let owner = s
        .assets
        .values_mut()
        .find(|a| a.tags.iter().any(|(tagging, _)| *tagging == id))
        .ok_or_else(|| not_found("Tagging", &id.to_string()))?;
    owner.tags.retain(|(tagging, _)| *tagging != id);
    Ok(documented(call))
}

/// Removes an asset (to the trash, which the API does not list).
pub(super) fn remove_asset(s: &mut State, id: i64) -> bool {
    let Some(a) = s.assets.remove(&id) else {
        return false;
    };
    s.guids.remove(&a.guid);
    for g in s.groups.values_mut() {
        g.assets.retain(|x| *x != id);
    }
    s.trashed += 1;
    true
}

/// `DELETE /api/assets/{id}`.
pub(super) fn delete(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Asset")?;
    if !remove_asset(s, id) {
        return Err(not_found("Asset", &id.to_string()));
    }
    Ok(documented(call))
}

// ---------------------------------------------------------------------------------------------
// Data versions
// ---------------------------------------------------------------------------------------------

fn version_json(s: &State, a: &Asset, v: &Version) -> Value {
    let fixed = json!({
        "id": v.id,
        "asset_id": a.id,
        "number": v.number,
        "filename": v.filename,
        "ext": ext(&v.filename),
        "mime_type": v.mime_type,
        "type": preview_type(&v.mime_type),
        "file_size": v.blob.as_ref().map_or(v.declared_size, Blob::len),
        "is_head": v.number == a.head,
        "is_version": v.number > 1,
        "aasm_state": if v.blob.is_some() { "processed" } else { "pending" },
        "created_at": timestamp(v.created_at),
        "updated_at": timestamp(v.created_at),
        "user_id": s.org.user_id,
        "user": user(s),
        "storage_folder_path": s.groups.get(&a.storage_folder_id).map(|g| g.name.clone()),
    });
    match fixed {
        Value::Object(fixed) => Value::Object(merge(template("get_asset_data_version"), &fixed)),
        other => other,
    }
}

/// `GET /api/assets/{asset_id}/asset_data_versions`.
pub(super) fn list_versions(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "asset_id", "Asset")?;
    let a = s.assets.get(&id).ok_or_else(|| not_found("Asset", &id.to_string()))?;
    let items: Vec<Value> = a.versions.iter().rev().map(|v| version_json(s, a, v)).collect();
    Ok(Reply::json(200, Value::Array(items)))
}

/// `GET /api/assets/{asset_id}/asset_data_versions/{number}`.
pub(super) fn get_version(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "asset_id", "Asset")?;
    let a = s.assets.get(&id).ok_or_else(|| not_found("Asset", &id.to_string()))?;
    let number = call.path("number").unwrap_or_default();
    let v = a
        .versions
        .iter()
        .find(|v| v.number.to_string() == number)
        .ok_or_else(|| not_found("AssetDataVersion", number))?;
    Ok(env.detail("asset_data_version", version_json(s, a, v)))
}

/// The file fields of a prepare or add-version body: `filename` and `file_size`, 422 when missing.
fn file_fields(record: &mut Map<String, Value>) -> Result<(String, u64), Reply> {
    let filename = match record.remove("filename") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.trim().to_string(),
        _ => return Err(invalid("filename", "can't be blank")),
    };
    let size = match record.remove("file_size") {
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| invalid("file_size", "is not a number"))?,
        None => return Err(invalid("file_size", "can't be blank")),
    };
    Ok((filename, size))
}

/// Hands out a signed storage URL for the pending version of asset `id`.
fn signed_url(s: &mut State, env: &Env, id: i64, number: u32, filename: &str, upload_guid: &str) -> String {
    let guid = s.assets.get(&id).map(|a| a.guid.clone()).unwrap_or_default();
    let path = format!(
        "{STORAGE_PREFIX}mediagraph-uploads/{}/{upload_guid}/{guid}-v{number}-{}",
        s.org.id,
        encode(filename)
    );
    let stamp = timestamp(env.now);
    let amz_date = format!(
        "{}{}{}T{}{}{}Z",
        &stamp[0..4],
        &stamp[5..7],
        &stamp[8..10],
        &stamp[11..13],
        &stamp[14..16],
        &stamp[17..19]
    );
    let signature = s.sign(&format!("PUT|{path}|{amz_date}"));
    s.slots.insert(
        path.clone(),
        Slot {
            asset_id: id,
            number,
            expires_at: env.now + SIGNED_URL_LIFETIME_MS,
        },
    );
    format!(
        "{}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=SIMULATOR%2F{}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={amz_date}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}",
        env.origin,
        &amz_date[..8]
    )
}

/// Percent-encodes everything but unreserved characters.
pub(super) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `POST /api/assets/{id}/add_version`: a pending version and its signed URL.
pub(super) fn add_version(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Asset")?;
    if !s.assets.contains_key(&id) {
        return Err(not_found("Asset", &id.to_string()));
    }
    let mut record = body_record(call, "asset")?;
    let (filename, size) = file_fields(&mut record)?;
    s.next.version += 1;
    let version_id = s.next.version;
    let Some(a) = s.assets.get_mut(&id) else {
        return Err(not_found("Asset", &id.to_string()));
    };
    let number = a.versions.iter().map(|v| v.number).max().unwrap_or(0) + 1;
    a.pending = Some(Version {
        id: version_id,
        number,
        filename: filename.clone(),
        mime_type: mime(&filename),
        declared_size: size,
        blob: None,
        created_at: env.now,
    });
    let url = signed_url(s, env, id, number, &filename, "versions");
    let mut answer = render(s, &s.assets[&id]);
    answer["signed_upload_url"] = json!(url);
    Ok(env.detail("asset", answer))
}

/// `POST /api/assets/{id}/revert` (form `version`): makes an earlier version the head.
pub(super) fn set_version(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Asset")?;
    let number = call.form_value("version").unwrap_or_default();
    let a = s
        .assets
        .get_mut(&id)
        .ok_or_else(|| not_found("Asset", &id.to_string()))?;
    let v = a
        .versions
        .iter()
        .find(|v| v.number.to_string() == number.trim())
        .ok_or_else(|| not_found("AssetDataVersion", &number))?;
    a.head = v.number;
    a.filename = v.filename.clone();
    a.updated_at = env.now;
    Ok(env.detail("asset", render(s, &s.assets[&id])))
}

// ---------------------------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------------------------

/// `GET|HEAD /api/assets/{id}/download`: the head (or `version_number`) file, with `Range`.
pub(super) fn download(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Asset")?;
    let a = s.assets.get(&id).ok_or_else(|| not_found("Asset", &id.to_string()))?;
    let version = match call.query_int("version_number") {
        Some(n) => a
            .versions
            .iter()
            .find(|v| i64::from(v.number) == n)
            .ok_or_else(|| not_found("AssetDataVersion", &n.to_string()))?,
        None => a
            .head_version()
            .ok_or_else(|| error(404, "The asset has no uploaded file yet"))?,
    };
    let blob = version
        .blob
        .as_ref()
        .ok_or_else(|| error(404, "The asset has no uploaded file yet"))?;
    Ok(blob.reply(call.request, &version.mime_type).header(
        "content-disposition",
        &format!("attachment; filename=\"{}\"", version.filename.replace('"', "")),
    ))
}

// ---------------------------------------------------------------------------------------------
// Uploads
// ---------------------------------------------------------------------------------------------

fn upload_json(s: &State, u: &Upload) -> Value {
    let assets: Vec<&Asset> = s.assets.values().filter(|a| a.upload_id == Some(u.id)).collect();
    let mut base = template("create_upload_session");
    for secret in ["aws_key", "bucket", "ftp_password", "ftp_url", "ftp_username"] {
        base.remove(secret);
    }
    let base = merge(base, &u.fields);
    let fixed = json!({
        "id": u.id,
        "guid": u.guid,
        "name": u.name,
        "note": u.note,
        "contribution_id": u.contribution_id,
        "contribution": null,
        "done": u.done_at.is_some(),
        "done_at": u.done_at.map(timestamp),
        "assets_count": assets.len(),
        "unsubmitted_assets_count": assets.iter().filter(|a| a.state == "pending").count(),
        "created_at": timestamp(u.created_at),
        "updated_at": timestamp(u.updated_at),
        "user_id": s.org.user_id,
        "user": user(s),
    });
    match fixed {
        Value::Object(fixed) => Value::Object(merge(base, &fixed)),
        other => other,
    }
}

/// `POST /api/uploads` and `POST /api/contributions/{contribution_id}/uploads`.
pub(super) fn create_upload(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let mut record = body_record(call, "upload")?;
    let contribution_id = match call.path("contribution_id") {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| not_found("Contribution", raw))?),
        None => None,
    };
    let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
    let name = text(record.remove("name"));
    let note = text(record.remove("note"));
    let folder = match record.get("storage_folder_id").and_then(Value::as_i64) {
        Some(f) if s.groups.get(&f).is_some_and(|g| g.kind == GroupKind::StorageFolder) => f,
        Some(_) => return Err(invalid("storage_folder", "must exist")),
        None => s.uploads_folder,
    };
    s.next.upload += 1;
    let id = s.next.upload;
    let guid = s.token("upload")[..8].to_string();
    let upload = Upload {
        id,
        guid: guid.clone(),
        name,
        note,
        fields: record,
        contribution_id,
        storage_folder_id: folder,
        done_at: None,
        created_at: env.now,
        updated_at: env.now,
    };
    s.upload_guids.insert(guid, id);
    s.uploads.insert(id, upload);
    Ok(env.detail("upload", upload_json(s, &s.uploads[&id])))
}

/// `POST /api/uploads/{guid}/assets`: a pending asset with its `signed_upload_url`.
pub(super) fn prepare(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let guid = call.path("guid").unwrap_or_default();
    let upload_id = *s.upload_guids.get(guid).ok_or_else(|| not_found("Upload", guid))?;
    let upload_guid = guid.to_string();
    let mut record = body_record(call, "asset")?;
    let (filename, size) = file_fields(&mut record)?;
    let folder = s
        .uploads
        .get(&upload_id)
        .map_or(s.uploads_folder, |u| u.storage_folder_id);
    s.next.asset += 1;
    s.next.version += 1;
    let id = s.next.asset;
    let asset_guid = s.guid();
    s.guids.insert(asset_guid.clone(), id);
    s.assets.insert(
        id,
        Asset {
            id,
            guid: asset_guid,
            filename: filename.clone(),
            fields: record,
            state: "pending",
            versions: Vec::new(),
            head: 0,
            pending: Some(Version {
                id: s.next.version,
                number: 1,
                filename: filename.clone(),
                mime_type: mime(&filename),
                declared_size: size,
                blob: None,
                created_at: env.now,
            }),
            storage_folder_id: folder,
            upload_id: Some(upload_id),
            tags: Vec::new(),
            created_at: env.now,
            updated_at: env.now,
        },
    );
    let url = signed_url(s, env, id, 1, &filename, &upload_guid);
    let mut answer = render(s, &s.assets[&id]);
    answer["signed_upload_url"] = json!(url);
    Ok(env.detail("asset", answer))
}

/// `GET /api/assets/{guid}/set_uploaded`: the pending version becomes the head.
pub(super) fn set_uploaded(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = find_id(s, call, "guid")?;
    let Some(a) = s.assets.get_mut(&id) else {
        return Err(not_found("Asset", &id.to_string()));
    };
    if let Some(pending) = a.pending.take() {
        if pending.blob.is_none() {
            a.pending = Some(pending);
            return Err(error(422, "The file has not been uploaded to the signed URL yet"));
        }
        a.head = pending.number;
        a.filename = pending.filename.clone();
        a.versions.push(pending);
        a.state = "processed";
        a.updated_at = env.now;
        a.fields.insert("upload_finished_at".into(), json!(timestamp(env.now)));
        a.fields
            .insert("processing_finished_at".into(), json!(timestamp(env.now)));
    }
    let mut answer = render(s, &s.assets[&id]);
    // Processing starts now; the answer shows the asset as just uploaded.
    answer["aasm_state"] = json!("uploaded");
    Ok(env.detail("asset", answer))
}

/// `PUT /api/uploads/{id}/set_done`.
pub(super) fn set_done(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Upload")?;
    let u = s
        .uploads
        .get_mut(&id)
        .ok_or_else(|| not_found("Upload", &id.to_string()))?;
    u.done_at = Some(env.now);
    u.updated_at = env.now;
    Ok(env.detail("upload", upload_json(s, &s.uploads[&id])))
}

// ---------------------------------------------------------------------------------------------
// The storage service
// ---------------------------------------------------------------------------------------------

/// An S3-style XML error.
fn s3_error(status: u16, code: &str, message: &str) -> Reply {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    Reply::status(status)
        .header("content-type", "application/xml")
        .body(body.into_bytes())
}

/// A `PUT` of a file's bytes to a signed upload URL. No Mediagraph credentials: the URL's
/// signature is the authorization.
pub(super) fn storage(s: &mut State, now: i64, r: &Recorded) -> Reply {
    let query = r.query_pairs();
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if r.header("authorization").is_some() {
        return s3_error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
        );
    }
    let (Some(date), Some(signature)) = (param("X-Amz-Date"), param("X-Amz-Signature")) else {
        return s3_error(403, "AccessDenied", "Access Denied");
    };
    if s.sign(&format!("{}|{}|{date}", r.method, r.path)) != signature {
        return s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        );
    }
    let Some(slot) = s.slots.get(&r.path).cloned() else {
        return s3_error(403, "AccessDenied", "Access Denied");
    };
    if now > slot.expires_at {
        return s3_error(403, "AccessDenied", "Request has expired");
    }
    if r.header("content-length").is_none() {
        return s3_error(
            411,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        );
    }
    if r.body_len > MAX_PUT {
        return s3_error(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
        );
    }
    let blob = Blob::Bytes(bytes::Bytes::from(r.body.clone()));
    let etag = blob.etag();
    if let Some(v) = s
        .assets
        .get_mut(&slot.asset_id)
        .and_then(|a| a.pending.as_mut())
        .filter(|v| v.number == slot.number)
    {
        if let Some(ct) = r.header("content-type") {
            v.mime_type = ct.to_string();
        }
        v.blob = Some(blob);
    }
    Reply::status(200).header("etag", &etag)
}
