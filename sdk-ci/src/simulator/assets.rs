//! Assets: details (every field the service sends, more than the model lists), delete, signed
//! download locations (the simulated CDN serves them, `storage.rs`), bulk details, archive (in
//! progress for a minute of the simulator's clock, then archived) and copies into other
//! workspaces.

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Value, json};

use super::service::{Service, api_error};
use super::state::Asset;

fn not_found() -> Reply {
    api_error(404, "AssetNotFound", "Asset not found.")
}

/// A complete asset by the path's `assetId`.
fn find<'a>(state: &'a super::state::State, call: &Call<'_>) -> Option<&'a Asset> {
    call.path("assetId").and_then(|id| state.assets.get(id))
}

/// `GET /assets/{assetId}`
pub(crate) fn get(svc: &Service, call: &Call<'_>) -> Reply {
    let state = svc.state();
    match find(&state, call) {
        Some(a) => Reply::json(200, state.asset_json(a, &svc.links(), svc.now(), svc.email())),
        None => not_found(),
    }
}

/// `DELETE /assets/{assetId}`: gone at once; later calls answer 404.
pub(crate) fn delete(svc: &Service, call: &Call<'_>) -> Reply {
    let mut state = svc.state();
    let Some(id) = call.path("assetId") else {
        return not_found();
    };
    match state.assets.remove(id) {
        Some(_) => {
            state.uploads.remove(id);
            Reply::json(200, json!({"message": "Asset deleted."}))
        }
        None => not_found(),
    }
}

/// `GET /assets/{assetId}/download`: 409 while the upload is incomplete or the asset trashed.
pub(crate) fn download(svc: &Service, call: &Call<'_>) -> Reply {
    let state = svc.state();
    let Some(a) = find(&state, call) else {
        return not_found();
    };
    if a.trashed_on.is_some() {
        return api_error(409, "AssetTrashed", "Asset is trashed.");
    }
    if a.status != "Complete" {
        return api_error(409, "AssetNotReady", "The asset's upload is not complete.");
    }
    Reply::json(200, state.download_json(a, &svc.links()))
}

/// `POST /assets/details/bulk` `{assetIds, fields?}` → `{count, items}` (unknown ids left out).
pub(crate) fn bulk_details(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let Some(ids) = body.get("assetIds").and_then(Value::as_array) else {
        return api_error(400, "AssetIdNotProvided", "Asset Id not provided.");
    };
    if ids.is_empty() {
        return api_error(400, "AssetIdNotProvided", "Asset Id not provided.");
    }
    if ids.len() > 500 {
        return api_error(400, "InvalidRequest", "At most 500 asset ids per call.");
    }
    let fields: Vec<String> = body
        .get("fields")
        .and_then(Value::as_str)
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let state = svc.state();
    let links = svc.links();
    let now = svc.now();
    let items: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|id| state.assets.get(id))
        .map(|a| {
            let v = state.asset_json(a, &links, now, svc.email());
            match v {
                Value::Object(map) if !fields.is_empty() => Value::Object(
                    map.into_iter()
                        .filter(|(k, _)| k == "id" || k == "name" || fields.iter().any(|f| f == k))
                        .collect(),
                ),
                other => other,
            }
        })
        .collect();
    Reply::json(200, json!({"count": items.len(), "items": items}))
}

/// `POST /assets/{assetId}/archive`
pub(crate) fn archive(svc: &Service, call: &Call<'_>) -> Reply {
    let now = svc.now();
    let mut state = svc.state();
    let Some(a) = call.path("assetId").and_then(|id| state.assets.get_mut(id)) else {
        return not_found();
    };
    if a.archived_on.is_some() {
        return api_error(409, "AssetArchived", "The asset is already archived or being archived.");
    }
    if a.status != "Complete" {
        return api_error(409, "AssetNotReady", "The asset's upload is not complete.");
    }
    a.archived_on = Some(now);
    a.modified_on = now;
    Reply::json(200, json!({"message": "Asset archive has started."}))
}

/// `POST /assets/copy` `{assetIds, targets: [{workspaceId, folderId?}]}`: each asset into each
/// target (its root folder unless `folderId` is given); per-copy results like the bulk folder
/// operations (409 `BulkOperationFailed` when none succeeded).
pub(crate) fn copy(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let ids: Vec<&str> = body
        .get("assetIds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let targets: Vec<&Value> = body
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if ids.is_empty() {
        return api_error(400, "AssetIdNotProvided", "Asset Id not provided.");
    }
    if targets.is_empty() {
        return api_error(400, "InvalidRequest", "No copy target was given.");
    }
    let now = svc.now();
    let mut state = svc.state();
    let (mut complete, mut errors) = (Vec::new(), Vec::new());
    for id in &ids {
        let Some(source) = state.assets.get(*id).cloned() else {
            errors.push(
                json!({"id": id, "kind": "Asset", "errorCode": "AssetNotFound", "errorMessage": "Asset not found."}),
            );
            continue;
        };
        for target in &targets {
            let workspace = target
                .get("workspaceId")
                .and_then(Value::as_str)
                .and_then(|w| state.workspaces.get(w));
            let Some(workspace) = workspace.cloned() else {
                errors.push(json!({"id": id, "name": source.name, "kind": "Asset", "errorCode": "WorkspaceNotFound", "errorMessage": "Workspace not found."}));
                continue;
            };
            let folder = match target.get("folderId").and_then(Value::as_str) {
                None => Some(workspace.root_folder_id.clone()),
                Some(f) => state
                    .live_folder(f)
                    .filter(|f| f.workspace_id == workspace.id)
                    .map(|f| f.id.clone()),
            };
            let Some(folder) = folder else {
                errors.push(json!({"id": id, "name": source.name, "kind": "Asset", "errorCode": "FolderNotFound", "errorMessage": "Folder not found."}));
                continue;
            };
            if let Some(new_id) = state.add_asset(&folder, &source.name, source.blob.clone(), "Copy", now) {
                if let Some(copy) = state.assets.get_mut(&new_id) {
                    copy.metadata = source.metadata.clone();
                }
                complete.push(json!({"id": new_id, "name": source.name, "kind": "Asset"}));
            }
        }
    }
    if complete.is_empty() {
        return Reply::json(
            409,
            json!({
                "code": "BulkOperationFailed",
                "message": "The bulk operation failed. See the errors array for more information.",
                "completeCount": 0,
                "errorCount": errors.len(),
                "errors": errors,
            }),
        );
    }
    Reply::json(
        200,
        json!({"completeCount": complete.len(), "errorCount": errors.len(), "errors": errors, "complete": complete}),
    )
}
