//! Folders: create (a taken name is made unique), get, rename, contents, storage stats, trash and
//! untrash (with everything below; untrashing also restores the trashed parents, without their
//! other contents), delete for good (deleted folders answer `FolderDeleted`), and the bulk
//! operations (trash, untrash, delete, move, metadata changes) with Ci's per-folder results:
//! `{completeCount, errorCount, errors, complete}`, or 409 `BulkOperationFailed` when none
//! succeeded. A workspace's root folder cannot be trashed, deleted or moved.

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Map, Value, json};

use super::listing;
use super::service::{Service, api_error};
use super::state::{Entry, Folder, State};
use super::workspaces::render;

/// The most folders (and changes) one bulk call takes.
const MAX_BULK: usize = 500;

/// Why a folder cannot be used: the status, code and message.
type Refusal = (u16, &'static str, &'static str);

const NOT_FOUND: Refusal = (404, "FolderNotFound", "Folder not found.");
const DELETED: Refusal = (404, "FolderDeleted", "Folder deleted.");
const TRASHED: Refusal = (409, "FolderTrashed", "Folder is trashed.");
const NOT_TRASHED: Refusal = (409, "FolderNotTrashed", "Folder is already untrashed.");
const ROOT: Refusal = (
    409,
    "InvalidOperationOnRootFolder",
    "Root folder cannot be deleted, trashed, untrashed, or moved.",
);

fn refuse((status, code, message): Refusal) -> Reply {
    api_error(status, code, message)
}

/// A folder that exists and is not deleted.
fn existing<'a>(state: &'a State, id: Option<&str>) -> Result<&'a Folder, Refusal> {
    match id.and_then(|id| state.folders.get(id)) {
        None => Err(NOT_FOUND),
        Some(f) if f.deleted => Err(DELETED),
        Some(f) => Ok(f),
    }
}

/// `POST /folders`: `{name, workspaceId?, parentFolderId?}` → `{folderId, parentId, workspaceId, name}`.
/// Not-found parents and workspaces are 400 here, as the document says.
pub(crate) fn create(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
    else {
        return api_error(400, "MissingOrInvalidName", "Missing or invalid name.");
    };
    let mut state = svc.state();
    let workspace = match body.get("workspaceId").and_then(Value::as_str) {
        Some(id) => match state.workspaces.get(id) {
            Some(w) => w.clone(),
            None => return api_error(400, "WorkspaceNotFound", "Workspace not found."),
        },
        // The caller's personal workspace: the simulator's first.
        None => match state.workspaces.values().min_by_key(|w| w.seq) {
            Some(w) => w.clone(),
            None => return api_error(400, "WorkspaceNotFound", "Workspace not found."),
        },
    };
    let parent = match body.get("parentFolderId").and_then(Value::as_str) {
        None => workspace.root_folder_id.clone(),
        Some(id) => match existing(&state, Some(id)) {
            Err((_, "FolderDeleted", m)) => return api_error(409, "FolderDeleted", m),
            Err(_) => return api_error(400, "FolderNotFound", "Folder not found."),
            Ok(f) if f.workspace_id != workspace.id => {
                return api_error(
                    400,
                    "FolderNotMemberOfWorkspace",
                    "Folder is not a member of the provided workspace.",
                );
            }
            Ok(f) if f.trashed_on.is_some() => return refuse(TRASHED),
            Ok(f) => f.id.clone(),
        },
    };
    let name = state.unique_folder_name(&parent, name);
    let id = state.add_folder(&workspace.id, &parent, &name, svc.now());
    Reply::json(
        200,
        json!({"folderId": id, "parentId": parent, "workspaceId": workspace.id, "name": name}),
    )
}

/// `GET /folders/{folderId}`
pub(crate) fn get(svc: &Service, call: &Call<'_>) -> Reply {
    let state = svc.state();
    match existing(&state, call.path("folderId")) {
        Ok(f) => Reply::json(200, state.folder_json(f, svc.email())),
        Err(r) => refuse(r),
    }
}

/// `PUT /folders/{folderId}` `{name}`
pub(crate) fn rename(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let mut state = svc.state();
    let id = match existing(&state, call.path("folderId")) {
        Ok(f) => f.id.clone(),
        Err(r) => return refuse(r),
    };
    if let Some(name) = body.get("name") {
        let Some(name) = name.as_str().map(str::trim).filter(|n| !n.is_empty()) else {
            return api_error(400, "MissingOrInvalidName", "Missing or invalid name.");
        };
        let now = svc.now();
        if let Some(f) = state.folders.get_mut(&id) {
            f.name = name.to_string();
            f.sort_name = name.to_lowercase();
            f.last_activity = now;
        }
    }
    match state.folders.get(&id) {
        Some(f) => Reply::json(200, state.folder_json(f, svc.email())),
        None => refuse(NOT_FOUND),
    }
}

/// `GET /folders/{folderId}/contents`: direct subfolders and assets that are not trashed.
pub(crate) fn contents(svc: &Service, call: &Call<'_>) -> Reply {
    let listing = match listing::from_query(
        call,
        100,
        &["createdOn", "createdBy", "name", "type", "size", "status"],
        "name",
    ) {
        Ok(l) => l,
        Err(refusal) => return refusal,
    };
    let state = svc.state();
    let folder = match existing(&state, call.path("folderId")) {
        Ok(f) => f,
        Err(r) => return refuse(r),
    };
    let folders = state
        .folders
        .values()
        .filter(|f| !f.deleted && f.trashed_on.is_none() && f.parent_id.as_deref() == Some(folder.id.as_str()));
    let assets = state
        .assets
        .values()
        .filter(|a| a.trashed_on.is_none() && a.folder_id == folder.id);
    let mut all: Vec<Entry<'_>> = folders.map(Entry::Folder).chain(assets.map(Entry::Asset)).collect();
    State::keep_kind(&mut all, listing.kind);
    let count = all.len();
    let page = State::page(
        &listing,
        all.into_iter().map(|e| (0, e)).collect(),
        listing.window(count),
    );
    let items = render(svc, &state, &listing, &page);
    Reply::json(200, listing.page(count, items, true, Map::new()))
}

/// `GET /folders/{folderId}/stats`: files below the folder, by archive state.
pub(crate) fn stats(svc: &Service, call: &Call<'_>) -> Reply {
    let state = svc.state();
    let folder = match existing(&state, call.path("folderId")) {
        Ok(f) => f,
        Err(r) => return refuse(r),
    };
    let mut below = state.descendant_folders(&folder.id);
    let folder_count = below.len();
    below.push(folder.id.clone());
    let below: std::collections::HashSet<&str> = below.iter().map(String::as_str).collect();
    let now = svc.now();
    let (mut total, mut size, mut archiving, mut archiving_size, mut archived, mut archived_size) = (0, 0, 0, 0, 0, 0);
    for a in state.assets.values().filter(|a| below.contains(a.folder_id.as_str())) {
        total += 1;
        size += a.size;
        match a.archived_on {
            Some(t) if now < t + super::state::ARCHIVE_SECONDS => {
                archiving += 1;
                archiving_size += a.size;
            }
            Some(_) => {
                archived += 1;
                archived_size += a.size;
            }
            None => {}
        }
    }
    Reply::json(
        200,
        json!({
            "fileTotalCount": total,
            "fileTotalSize": size,
            "activeFileCount": total - archiving - archived,
            "activeFileSize": size - archiving_size - archived_size,
            "archiveInProgressFileCount": archiving,
            "archiveInProgressFileSize": archiving_size,
            "archivedFileCount": archived,
            "archivedFileSize": archived_size,
            "deepArchivedFileCount": 0,
            "deepArchivedFileSize": 0,
            "restoreInProgressFileCount": 0,
            "restoreInProgressFileSize": 0,
            "restoredFileCount": 0,
            "restoredFileSize": 0,
            "folderCount": folder_count,
        }),
    )
}

/// What a bulk call does to each folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bulk {
    Trash,
    Untrash,
    Delete,
}

/// Applies one bulk action to one folder.
fn apply(state: &mut State, id: &str, action: Bulk, now: i64) -> Result<String, Refusal> {
    let folder = existing(state, Some(id))?;
    if folder.parent_id.is_none() {
        return Err(ROOT);
    }
    let name = folder.name.clone();
    let trashed = folder.trashed_on.is_some();
    let mut below = state.descendant_folders(id);
    below.push(id.to_string());
    match action {
        Bulk::Trash if trashed => return Err(TRASHED),
        Bulk::Untrash if !trashed => return Err(NOT_TRASHED),
        Bulk::Trash | Bulk::Untrash => {
            let mark = (action == Bulk::Trash).then_some(now);
            for f in &below {
                if let Some(f) = state.folders.get_mut(f) {
                    f.trashed_on = mark;
                }
            }
            let set: std::collections::HashSet<&String> = below.iter().collect();
            for a in state.assets.values_mut().filter(|a| set.contains(&a.folder_id)) {
                a.trashed_on = mark;
            }
            if action == Bulk::Untrash {
                untrash_parents(state, id, now);
            }
        }
        Bulk::Delete => {
            let set: std::collections::HashSet<&String> = below.iter().collect();
            state.assets.retain(|_, a| !set.contains(&a.folder_id));
            for f in &below {
                if let Some(f) = state.folders.get_mut(f) {
                    f.deleted = true;
                }
            }
        }
    }
    Ok(name)
}

/// Untrashes the trashed parents of `id`, keeping their other contents in the trash.
fn untrash_parents(state: &mut State, id: &str, now: i64) {
    let mut child = id.to_string();
    while let Some(parent) = state.folders.get(&child).and_then(|f| f.parent_id.clone()) {
        let Some(trashed_on) = state.folders.get(&parent).and_then(|f| f.trashed_on) else {
            break;
        };
        // The parent leaves the trash; its other children stay there, explicitly.
        for f in state.folders.values_mut() {
            if f.parent_id.as_deref() == Some(parent.as_str()) && f.id != child && !f.deleted {
                f.trashed_on.get_or_insert(trashed_on);
            }
        }
        for a in state.assets.values_mut().filter(|a| a.folder_id == parent) {
            a.trashed_on.get_or_insert(trashed_on);
        }
        if let Some(p) = state.folders.get_mut(&parent) {
            p.trashed_on = None;
            p.last_activity = now;
        }
        child = parent;
    }
}

/// `DELETE /folders/{folderId}`
pub(crate) fn delete_one(svc: &Service, call: &Call<'_>) -> Reply {
    let mut state = svc.state();
    match apply(
        &mut state,
        call.path("folderId").unwrap_or_default(),
        Bulk::Delete,
        svc.now(),
    ) {
        Ok(_) => Reply::json(200, json!({"message": "Folder deletion has started."})),
        Err(r) => refuse(r),
    }
}

/// `POST /folders/{folderId}/trash` and `…/untrash`
pub(crate) fn trash_one(svc: &Service, call: &Call<'_>, trash: bool) -> Reply {
    let mut state = svc.state();
    let action = if trash { Bulk::Trash } else { Bulk::Untrash };
    match apply(&mut state, call.path("folderId").unwrap_or_default(), action, svc.now()) {
        Ok(_) if trash => Reply::json(200, json!({"message": "Folder trash has started."})),
        Ok(_) => Reply::json(200, json!({"message": "Folder untrash has started."})),
        Err(r) => refuse(r),
    }
}

/// The folder ids of a bulk body, checked (`FolderIdNotProvided`, `ExceededMaxFolderCount`).
fn folder_ids(body: &Value) -> Result<Vec<String>, Reply> {
    let ids: Vec<String> = body
        .get("folderIds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        return Err(api_error(400, "FolderIdNotProvided", "Folder Id not provided."));
    }
    if ids.len() > MAX_BULK {
        return Err(api_error(
            400,
            "ExceededMaxFolderCount",
            "Max folder count exceeded. The maximum number of folders is 500.",
        ));
    }
    Ok(ids)
}

/// Collects per-folder results into Ci's bulk answer (409 when nothing succeeded).
#[derive(Default)]
struct Results {
    complete: Vec<Value>,
    errors: Vec<Value>,
}

impl Results {
    fn ok(&mut self, id: &str, name: &str) {
        self.complete.push(json!({"id": id, "name": name, "kind": "Folder"}));
    }
    fn failed(&mut self, state: &State, id: &str, (_, code, message): Refusal) {
        let mut e = json!({"id": id, "kind": "Folder", "errorCode": code, "errorMessage": message});
        if let (Some(f), Some(obj)) = (state.folders.get(id), e.as_object_mut()) {
            obj.insert("name".into(), json!(f.name));
        }
        self.errors.push(e);
    }
    fn reply(self) -> Reply {
        let (complete, errors) = (self.complete.len(), self.errors.len());
        if complete == 0 {
            return Reply::json(
                409,
                json!({
                    "code": "BulkOperationFailed",
                    "message": "The bulk operation failed. See the errors array for more information.",
                    "completeCount": 0,
                    "errorCount": errors,
                    "errors": self.errors,
                }),
            );
        }
        Reply::json(
            200,
            json!({"completeCount": complete, "errorCount": errors, "errors": self.errors, "complete": self.complete}),
        )
    }
}

/// `POST /folders/trash`, `/folders/untrash`, `/folders/delete`
pub(crate) fn bulk(svc: &Service, call: &Call<'_>, action: Bulk) -> Reply {
    let ids = match folder_ids(&call.json()) {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    let now = svc.now();
    let mut state = svc.state();
    let mut results = Results::default();
    for id in &ids {
        match apply(&mut state, id, action, now) {
            Ok(name) => results.ok(id, &name),
            Err(r) => results.failed(&state, id, r),
        }
    }
    results.reply()
}

/// `POST /folders/move` `{folderIds, targetFolderId}`
pub(crate) fn move_many(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let ids = match folder_ids(&body) {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    let mut state = svc.state();
    let target = match existing(&state, body.get("targetFolderId").and_then(Value::as_str)) {
        Ok(t) if t.trashed_on.is_some() => return refuse(TRASHED),
        Ok(t) => t.clone(),
        Err((_, "FolderDeleted", m)) => return api_error(409, "FolderDeleted", m),
        Err(_) if body.get("targetFolderId").is_none() => {
            return api_error(400, "FolderIdNotProvided", "Folder Id not provided.");
        }
        Err(_) => return api_error(400, "FolderNotFound", "Folder not found."),
    };
    let now = svc.now();
    let mut results = Results::default();
    for id in &ids {
        let checked = existing(&state, Some(id)).and_then(|f| {
            if f.parent_id.is_none() {
                Err(ROOT)
            } else if f.trashed_on.is_some() {
                Err(TRASHED)
            } else if f.workspace_id != target.workspace_id {
                Err((
                    409,
                    "CannotChangeWorkspace",
                    "Folders cannot be moved to another workspace.",
                ))
            } else if state.is_within(&target.id, &f.id) {
                Err((
                    409,
                    "InvalidFolder",
                    "A folder cannot be moved into itself or its own subfolder.",
                ))
            } else {
                Ok(f.name.clone())
            }
        });
        match checked {
            Ok(name) => {
                if let Some(f) = state.folders.get_mut(id) {
                    f.parent_id = Some(target.id.clone());
                    f.last_activity = now;
                }
                results.ok(id, &name);
            }
            Err(r) => results.failed(&state, id, r),
        }
    }
    results.reply()
}

/// `POST /folders/metadata/changes` `{changes: [{folderIds, set, unset}]}`
pub(crate) fn change_metadata(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let changes: Vec<&Value> = body
        .get("changes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if changes.is_empty() {
        return api_error(400, "InvalidRequest", "No changes were given.");
    }
    if changes.len() > MAX_BULK {
        return api_error(400, "ExceededMaxChangeCount", "Max change count exceeded.");
    }
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    for change in &changes {
        for id in change.get("folderIds").and_then(Value::as_array).into_iter().flatten() {
            total += 1;
            if !seen.insert(id.as_str().unwrap_or_default().to_string()) {
                return api_error(
                    400,
                    "OverlappingChanges",
                    "At least a folder is part of different changesets.",
                );
            }
        }
    }
    if total > MAX_BULK {
        return api_error(
            400,
            "ExceededMaxFolderCount",
            "Max folder count exceeded. The maximum number of folders is 500.",
        );
    }
    let now = svc.now();
    let mut state = svc.state();
    let mut results = Results::default();
    for change in changes {
        let pairs = |key: &str| -> Vec<(String, Option<String>)> {
            change
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|item| {
                    let name = item.get("name")?.as_str()?.trim().to_string();
                    let value = item.get("value").map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    Some((name, value))
                })
                .collect()
        };
        let (set, unset) = (pairs("set"), pairs("unset"));
        let ids: Vec<String> = change
            .get("folderIds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        if ids.is_empty() {
            results
                .errors
                .push(json!({"errorCode": "FolderIdNotProvided", "errorMessage": "Folder Id not provided."}));
            continue;
        }
        let problem: Option<Refusal> = if set.is_empty() && unset.is_empty() {
            Some((400, "EmptyChanges", "The change group sets and unsets nothing."))
        } else if set
            .iter()
            .any(|(n, _)| unset.iter().any(|(u, _)| u.eq_ignore_ascii_case(n)))
        {
            Some((
                400,
                "ConflictingChanges",
                "The change group sets and unsets the same item.",
            ))
        } else if set.iter().any(|(n, v)| n.is_empty() || v.is_none()) || unset.iter().any(|(n, _)| n.is_empty()) {
            Some((400, "InvalidChanges", "Every item needs a name, and a value to set."))
        } else {
            None
        };
        for id in &ids {
            if let Some(p) = problem {
                results.failed(&state, id, p);
                continue;
            }
            let name = match existing(&state, Some(id)) {
                Ok(f) => f.name.clone(),
                Err(r) => {
                    results.failed(&state, id, r);
                    continue;
                }
            };
            if let Some(f) = state.folders.get_mut(id) {
                f.metadata
                    .retain(|(n, _)| !unset.iter().any(|(u, _)| u.eq_ignore_ascii_case(n)));
                for (n, v) in &set {
                    let value = v.clone().unwrap_or_default();
                    match f.metadata.iter_mut().find(|(m, _)| m.eq_ignore_ascii_case(n)) {
                        Some(item) => item.1 = value,
                        None => f.metadata.push((n.clone(), value)),
                    }
                }
                f.last_activity = now;
            }
            results.ok(id, &name);
        }
    }
    results.reply()
}
