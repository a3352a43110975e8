//! Asset groups — collections, lightboxes and storage folders — and tags.
//!
//! The three kinds of group share one id space, the `asset_group_id` (share links and
//! `add_assets_to_group` name groups by it). A collection's and a storage folder's `id` is that
//! id; a lightbox's `id` is the caller's membership of it, another number (as the service
//! answers). Collections and lightboxes hold assets by reference; an asset lives in exactly one
//! storage folder.

use std::collections::HashSet;

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Map, Value, json};

use super::service::{
    Answer, Env, State, body_record, documented, error, invalid, listing, merge, not_found, page_of, path_id, slug,
    template, timestamp, user,
};

/// The kind of an asset group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GroupKind {
    Collection,
    Lightbox,
    StorageFolder,
}

impl GroupKind {
    /// The model name (`type`).
    pub fn model(self) -> &'static str {
        match self {
            GroupKind::Collection => "Collection",
            GroupKind::Lightbox => "Lightbox",
            GroupKind::StorageFolder => "StorageFolder",
        }
    }
    /// The resource key of write bodies and wrapped answers.
    pub fn key(self) -> &'static str {
        match self {
            GroupKind::Collection => "collection",
            GroupKind::Lightbox => "lightbox",
            GroupKind::StorageFolder => "storage_folder",
        }
    }
    fn template(self) -> &'static str {
        match self {
            GroupKind::Collection => "get_collection",
            GroupKind::Lightbox => "get_lightbox",
            GroupKind::StorageFolder => "get_storage_folder",
        }
    }
}

/// A collection, lightbox or storage folder.
#[derive(Clone, Debug)]
pub(super) struct Group {
    /// The asset group id.
    pub id: i64,
    pub kind: GroupKind,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<i64>,
    /// The assets of a collection or lightbox, in order.
    pub assets: Vec<i64>,
    pub fields: Map<String, Value>,
    /// A lightbox's membership id (its `id` in the API).
    pub membership: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Group {
    /// The id the API shows as `id` (a lightbox's membership, else the group id).
    pub fn public_id(&self) -> i64 {
        self.membership.unwrap_or(self.id)
    }
}

/// A tag.
#[derive(Clone, Debug)]
pub(super) struct Tag {
    pub id: i64,
    pub name: String,
    pub sub_type: String,
    pub description: Option<String>,
    pub fields: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A new group; its asset group id.
pub(super) fn insert_group(state: &mut State, kind: GroupKind, name: &str, parent: Option<i64>, now: i64) -> i64 {
    state.next.group += 1;
    let id = state.next.group;
    let membership = (kind == GroupKind::Lightbox).then(|| {
        state.next.membership += 1;
        state.lightboxes.insert(state.next.membership, id);
        state.next.membership
    });
    state.groups.insert(
        id,
        Group {
            id,
            kind,
            name: name.to_string(),
            description: None,
            parent_id: parent,
            assets: Vec::new(),
            fields: Map::new(),
            membership,
            created_at: now,
            updated_at: now,
        },
    );
    id
}

/// A group and its descendants.
pub(super) fn subtree(state: &State, root: i64) -> HashSet<i64> {
    let mut found = HashSet::from([root]);
    loop {
        let more: Vec<i64> = state
            .groups
            .values()
            .filter(|g| g.parent_id.is_some_and(|p| found.contains(&p)) && !found.contains(&g.id))
            .map(|g| g.id)
            .collect();
        if more.is_empty() {
            return found;
        }
        found.extend(more);
    }
}

/// The ancestors of a group, root first.
fn ancestors(state: &State, g: &Group) -> Vec<i64> {
    let mut chain = Vec::new();
    let mut at = g.parent_id;
    while let Some(p) = at {
        if chain.contains(&p) || chain.len() > 64 {
            break;
        }
        chain.push(p);
        at = state.groups.get(&p).and_then(|g| g.parent_id);
    }
    chain.reverse();
    chain
}

/// The group as the API answers it.
pub(super) fn render(state: &State, g: &Group) -> Value {
    let chain = ancestors(state, g);
    let names: Vec<String> = chain
        .iter()
        .filter_map(|id| state.groups.get(id))
        .map(|a| a.name.clone())
        .chain([g.name.clone()])
        .collect();
    let assets_count = match g.kind {
        GroupKind::StorageFolder => state.assets.values().filter(|a| a.storage_folder_id == g.id).count(),
        _ => g.assets.len(),
    };
    let total_size: u64 = match g.kind {
        GroupKind::StorageFolder => state
            .assets
            .values()
            .filter(|a| a.storage_folder_id == g.id)
            .filter_map(|a| a.head_version().and_then(|v| v.blob.as_ref()).map(|b| b.len()))
            .sum(),
        _ => 0,
    };
    let has_children = state.groups.values().any(|c| c.parent_id == Some(g.id));
    let base = merge(template(g.kind.template()), &g.fields);
    let mut fixed = json!({
        "id": g.public_id(),
        "asset_group_id": g.id,
        "type": g.kind.model(),
        "name": g.name,
        "description": g.description,
        "parent_id": g.parent_id,
        "ancestor_ids": chain,
        "path_names": names,
        "path_slugs": names.iter().map(|n| slug(n)).collect::<Vec<_>>(),
        "slug": slug(&g.name),
        "has_children": has_children,
        "visible_assets_count": assets_count,
        "created_at": timestamp(g.created_at),
        "updated_at": timestamp(g.updated_at),
        "organization_id": state.org.id,
        "user": user(state),
    });
    if g.kind == GroupKind::StorageFolder {
        fixed["total_file_size"] = json!(total_size);
    }
    if g.kind == GroupKind::Lightbox {
        fixed["users"] = json!([user(state)]);
        fixed["folder_root_id"] = json!(chain.first().copied().unwrap_or(g.id));
        fixed["commentable_id"] = json!(g.id);
    }
    match fixed {
        Value::Object(fixed) => Value::Object(merge(base, &fixed)),
        other => other,
    }
}

/// The asset group id a path's `id` names for this kind (a lightbox's membership id).
fn resolve(state: &State, call: &Call<'_>, kind: GroupKind) -> Result<i64, Reply> {
    let id = path_id(call, "id", kind.model())?;
    let group = match kind {
        GroupKind::Lightbox => state.lightboxes.get(&id).copied(),
        _ => Some(id),
    };
    group
        .filter(|g| state.groups.get(g).is_some_and(|g| g.kind == kind))
        .ok_or_else(|| not_found(kind.model(), &id.to_string()))
}

/// `GET /api/collections`, `/api/lightboxes`, `/api/storage_folders`.
pub(super) fn list(s: &mut State, call: &Call<'_>, kind: GroupKind) -> Answer {
    let q = call.query("q").map(str::to_lowercase);
    let parent = call.query_int("parent_id");
    let items: Vec<Value> = s
        .groups
        .values()
        .filter(|g| g.kind == kind)
        .filter(|g| q.as_ref().is_none_or(|q| g.name.to_lowercase().contains(q.as_str())))
        .filter(|g| parent.is_none() || g.parent_id == parent)
        .map(|g| render(s, g))
        .collect();
    let total = items.len();
    Ok(listing(items, total))
}

/// `GET /api/{kind}/tree`: the children of `parent_id` (the roots without it).
pub(super) fn tree(s: &mut State, call: &Call<'_>, kind: GroupKind) -> Answer {
    let parent = call.query_int("parent_id");
    let parent = match (kind, parent) {
        (GroupKind::Lightbox, Some(p)) => Some(s.lightboxes.get(&p).copied().unwrap_or(p)),
        (_, p) => p,
    };
    let items: Vec<Value> = s
        .groups
        .values()
        .filter(|g| g.kind == kind && g.parent_id == parent)
        .map(|g| render(s, g))
        .collect();
    let total = items.len();
    Ok(listing(items, total))
}

/// A `parent_id` value: `Ok(None)` for none, 422 when it names no group of this kind, or one
/// inside `moving` (the group itself or its descendants).
fn parent(s: &State, value: Option<&Value>, kind: GroupKind, moving: Option<i64>) -> Result<Option<i64>, Reply> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let id = value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| invalid("parent", "must exist"))?;
    let id = match kind {
        GroupKind::Lightbox => s.lightboxes.get(&id).copied().unwrap_or(id),
        _ => id,
    };
    if !s.groups.get(&id).is_some_and(|g| g.kind == kind) {
        return Err(invalid("parent", "must exist"));
    }
    if moving.is_some_and(|m| subtree(s, m).contains(&id)) {
        return Err(invalid("parent", "cannot be the folder itself or inside it"));
    }
    Ok(Some(id))
}

fn text(value: Option<Value>) -> Option<String> {
    value.and_then(|v| v.as_str().map(str::to_string))
}

/// `POST /api/collections`, `/api/lightboxes`, `/api/storage_folders`.
pub(super) fn create(s: &mut State, env: &Env, call: &Call<'_>, kind: GroupKind) -> Answer {
    let mut record = body_record(call, kind.key())?;
    let name = match text(record.remove("name")) {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => return Err(invalid("name", "can't be blank")),
    };
    let parent = parent(s, record.get("parent_id"), kind, None)?;
    record.remove("parent_id");
    let description = text(record.remove("description"));
    let id = insert_group(s, kind, &name, parent, env.now);
    if let Some(g) = s.groups.get_mut(&id) {
        g.description = description;
        g.fields = record;
    }
    Ok(env.detail(kind.key(), render(s, &s.groups[&id])))
}

/// `GET /api/{kind}/{id}`.
pub(super) fn get(s: &mut State, env: &Env, call: &Call<'_>, kind: GroupKind) -> Answer {
    let id = resolve(s, call, kind)?;
    Ok(env.detail(kind.key(), render(s, &s.groups[&id])))
}

/// `PUT /api/{kind}/{id}`: changes the fields sent.
pub(super) fn update(s: &mut State, env: &Env, call: &Call<'_>, kind: GroupKind) -> Answer {
    let id = resolve(s, call, kind)?;
    let mut record = body_record(call, kind.key())?;
    let name = match record.remove("name") {
        None => None,
        Some(v) => match v.as_str().map(str::trim) {
            Some(n) if !n.is_empty() => Some(n.to_string()),
            _ => return Err(invalid("name", "can't be blank")),
        },
    };
    let new_parent = match record.contains_key("parent_id") {
        true => Some(parent(s, record.get("parent_id"), kind, Some(id))?),
        false => None,
    };
    record.remove("parent_id");
    let description = record.remove("description");
    if let Some(g) = s.groups.get_mut(&id) {
        if let Some(name) = name {
            g.name = name;
        }
        if let Some(p) = new_parent {
            g.parent_id = p;
        }
        if let Some(d) = description {
            g.description = d.as_str().map(str::to_string);
        }
        g.fields = merge(std::mem::take(&mut g.fields), &record);
        g.updated_at = env.now;
    }
    Ok(env.detail(kind.key(), render(s, &s.groups[&id])))
}

/// `DELETE /api/{kind}/{id}`: a collection or lightbox goes with its subgroups (the assets
/// stay); a storage folder that holds assets or subfolders is refused.
pub(super) fn delete(s: &mut State, call: &Call<'_>, kind: GroupKind) -> Answer {
    let id = resolve(s, call, kind)?;
    let doomed = subtree(s, id);
    if kind == GroupKind::StorageFolder && (doomed.len() > 1 || s.assets.values().any(|a| a.storage_folder_id == id)) {
        return Err(invalid("base", "Storage folder is not empty"));
    }
    if id == s.uploads_folder {
        return Err(invalid("base", "The default storage folder cannot be deleted"));
    }
    s.groups.retain(|g, _| !doomed.contains(g));
    s.lightboxes.retain(|_, g| !doomed.contains(g));
    s.share_links.retain(|_, l| !doomed.contains(&l.asset_group_id));
    if s.corpus_folder.is_some_and(|c| doomed.contains(&c)) {
        s.corpus_folder = None;
    }
    Ok(documented(call))
}

/// `GET /api/collections/find?slug=`.
pub(super) fn find_collection(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let wanted = call.query("slug").unwrap_or_default();
    let g = s
        .groups
        .values()
        .find(|g| g.kind == GroupKind::Collection && slug(&g.name) == wanted)
        .ok_or_else(|| error(404, &format!("Couldn't find Collection with slug {wanted}")))?;
    Ok(env.detail("collection", render(s, g)))
}

/// `POST /api/collections/{id}/add_asset` (form `asset_id`, `position`).
pub(super) fn add_asset_to_collection(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = resolve(s, call, GroupKind::Collection)?;
    let asset = call
        .form_value("asset_id")
        .ok_or_else(|| error(400, "param is missing or the value is empty: asset_id"))?;
    let asset_id: i64 = asset
        .trim()
        .parse()
        .ok()
        .filter(|a| s.assets.contains_key(a))
        .ok_or_else(|| not_found("Asset", &asset))?;
    let position = call.form_value("position").and_then(|p| p.trim().parse::<usize>().ok());
    s.next.item += 1;
    let item = s.next.item;
    let Some(g) = s.groups.get_mut(&id) else {
        return Err(not_found("Collection", &id.to_string()));
    };
    if !g.assets.contains(&asset_id) {
        let at = position.map_or(g.assets.len(), |p| p.saturating_sub(1).min(g.assets.len()));
        g.assets.insert(at, asset_id);
        g.updated_at = env.now;
    }
    let position = g.assets.iter().position(|a| *a == asset_id).map_or(1, |p| p + 1);
    let fixed = json!({
        "id": item,
        "asset_group_id": id,
        "asset_id": asset_id,
        "position": position,
        "created_at": timestamp(env.now),
        "updated_at": timestamp(env.now),
        "user_id": s.org.user_id,
    });
    let answer = match fixed {
        Value::Object(fixed) => Value::Object(merge(template("add_asset_to_collection"), &fixed)),
        other => other,
    };
    Ok(Reply::json(200, answer))
}

/// `POST /api/assets/add_group` (`{"ids": [...], "asset_group_id": n}`).
pub(super) fn add_assets_to_group(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let body = call.json();
    let group = body
        .get("asset_group_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| error(400, "param is missing or the value is empty: asset_group_id"))?;
    let ids: Vec<i64> = body
        .get("ids")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let existing: Vec<i64> = ids.iter().copied().filter(|a| s.assets.contains_key(a)).collect();
    let g = s
        .groups
        .get_mut(&group)
        .ok_or_else(|| not_found("AssetGroup", &group.to_string()))?;
    if g.kind == GroupKind::StorageFolder {
        return Err(invalid("asset_group", "must be a collection or a lightbox"));
    }
    let mut added = 0;
    for a in existing {
        if !g.assets.contains(&a) {
            g.assets.push(a);
            added += 1;
        }
    }
    g.updated_at = env.now;
    Ok(Reply::json(200, json!({"count": ids.len(), "added": added})))
}

/// `GET /api/storage_folders/{id}/asset_ids`.
pub(super) fn folder_asset_ids(s: &mut State, call: &Call<'_>) -> Answer {
    let id = resolve(s, call, GroupKind::StorageFolder)?;
    let ids: Vec<i64> = s
        .assets
        .values()
        .filter(|a| a.storage_folder_id == id && a.state != "pending")
        .map(|a| a.id)
        .collect();
    Ok(Reply::json(200, json!(ids)))
}

// ---------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------

/// How many tags a page of `list_tags` holds.
const TAGS_PER_PAGE: i64 = 25;

/// The tag with this name (case-insensitive).
pub(super) fn find_tag(state: &State, name: &str) -> Option<i64> {
    let name = name.trim();
    state
        .tags
        .values()
        .find(|t| t.name.eq_ignore_ascii_case(name))
        .map(|t| t.id)
}

/// The tag with this name, created (a keyword) when there is none.
pub(super) fn tag_by_name(state: &mut State, name: &str, now: i64) -> i64 {
    if let Some(id) = find_tag(state, name) {
        return id;
    }
    state.next.tag += 1;
    let id = state.next.tag;
    state.tags.insert(
        id,
        Tag {
            id,
            name: name.trim().to_string(),
            sub_type: "keyword".into(),
            description: None,
            fields: Map::new(),
            created_at: now,
            updated_at: now,
        },
    );
    id
}

/// A new tagging id.
pub(super) fn next_tagging(state: &mut State) -> i64 {
    state.next.tagging += 1;
    state.next.tagging
}

fn render_tag(state: &State, t: &Tag) -> Value {
    let count = state
        .assets
        .values()
        .filter(|a| a.tags.iter().any(|(_, x)| *x == t.id))
        .count();
    let fixed = json!({
        "id": t.id,
        "tag_id": t.id,
        "name": t.name,
        "sub_type": t.sub_type,
        "description": t.description,
        "visible_assets_count": count,
        "created_at": timestamp(t.created_at),
        "updated_at": timestamp(t.updated_at),
        "user": user(state),
    });
    let base = merge(template("get_tag"), &t.fields);
    match fixed {
        Value::Object(fixed) => Value::Object(merge(base, &fixed)),
        other => other,
    }
}

/// `GET /api/tags` (`q`, `page`): by name, 25 a page, with `Total-Entries`.
pub(super) fn list_tags(s: &mut State, call: &Call<'_>) -> Answer {
    let q = call.query("q").map(str::to_lowercase);
    let mut tags: Vec<&Tag> = s
        .tags
        .values()
        .filter(|t| q.as_ref().is_none_or(|q| t.name.to_lowercase().contains(q.as_str())))
        .collect();
    tags.sort_by_key(|t| (t.name.to_lowercase(), t.id));
    let total = tags.len();
    let page = page_of(&tags, call.query_int("page").unwrap_or(1), TAGS_PER_PAGE);
    Ok(listing(page.into_iter().map(|t| render_tag(s, t)).collect(), total))
}

/// Applies a tag body's fields; 422 for a blank or taken name.
fn apply_tag(s: &State, tag: &mut Tag, mut record: Map<String, Value>) -> Result<(), Reply> {
    if let Some(name) = record.remove("name") {
        let name = name.as_str().map(str::trim).unwrap_or_default().to_string();
        if name.is_empty() {
            return Err(invalid("name", "can't be blank"));
        }
        if find_tag(s, &name).is_some_and(|other| other != tag.id) {
            return Err(invalid("name", "has already been taken"));
        }
        tag.name = name;
    }
    if let Some(sub_type) = record.remove("sub_type") {
        tag.sub_type = sub_type.as_str().unwrap_or("keyword").to_string();
    }
    if let Some(d) = record.remove("description") {
        tag.description = d.as_str().map(str::to_string);
    }
    tag.fields = merge(std::mem::take(&mut tag.fields), &record);
    Ok(())
}

/// `POST /api/tags`.
pub(super) fn create_tag(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let record = body_record(call, "tag")?;
    if record
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(invalid("name", "can't be blank"));
    }
    let mut tag = Tag {
        id: s.next.tag + 1,
        name: String::new(),
        sub_type: "keyword".into(),
        description: None,
        fields: Map::new(),
        created_at: env.now,
        updated_at: env.now,
    };
    apply_tag(s, &mut tag, record)?;
    s.next.tag += 1;
    let id = tag.id;
    s.tags.insert(id, tag);
    Ok(env.detail("tag", render_tag(s, &s.tags[&id])))
}

/// `GET /api/tags/{id}`.
pub(super) fn get_tag(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Tag")?;
    let t = s.tags.get(&id).ok_or_else(|| not_found("Tag", &id.to_string()))?;
    Ok(env.detail("tag", render_tag(s, t)))
}

/// `PUT /api/tags/{id}`.
pub(super) fn update_tag(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Tag")?;
    let mut tag = s
        .tags
        .get(&id)
        .cloned()
        .ok_or_else(|| not_found("Tag", &id.to_string()))?;
    let record = body_record(call, "tag")?;
    apply_tag(s, &mut tag, record)?;
    tag.updated_at = env.now;
    s.tags.insert(id, tag);
    Ok(env.detail("tag", render_tag(s, &s.tags[&id])))
}

/// `DELETE /api/tags/{id}`: the tag leaves every asset.
pub(super) fn delete_tag(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Tag")?;
    if s.tags.remove(&id).is_none() {
        return Err(not_found("Tag", &id.to_string()));
    }
    for a in s.assets.values_mut() {
        a.tags.retain(|(_, t)| *t != id);
    }
    Ok(documented(call))
}
