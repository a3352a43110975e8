//! Workspaces: listing, details, create and update, everything in a workspace, its trash bin, the
//! search by name, purging the trash — and the event feeds, which answer the spec's examples once
//! their workspace or network is known and their paging is valid.

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Map, Value, json};

use super::listing::{self, Listing};
use super::service::{Service, api_error};
use super::state::{Entry, State, Workspace};

/// The most results a search returns (`maxSearchResults`).
pub(crate) const MAX_SEARCH_RESULTS: usize = 1000;

fn not_found() -> Reply {
    api_error(404, "WorkspaceNotFound", "Workspace not found.")
}

/// `GET /workspaces`
pub(crate) fn list(svc: &Service, call: &Call<'_>) -> Reply {
    let listing = match listing::from_query(
        call,
        500,
        &["createdOn", "name", "networkName", "lastActivityOn"],
        "name",
    ) {
        Ok(l) => l,
        Err(refusal) => return refusal,
    };
    let state = svc.state();
    let mut all: Vec<&Workspace> = state.workspaces.values().collect();
    all.sort_by(|a, b| {
        let by = match listing.by {
            "createdOn" => a.created_on.cmp(&b.created_on),
            "networkName" => a.network_id.cmp(&b.network_id),
            _ => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        }
        .then(a.seq.cmp(&b.seq));
        if listing.desc { by.reverse() } else { by }
    });
    let items = all[listing.window(all.len())]
        .iter()
        .map(|w| listing.trim(state.workspace_json(w, svc.email())))
        .collect();
    Reply::json(200, listing.page(all.len(), items, false, Map::new()))
}

/// `GET /workspaces/{workspaceId}`
pub(crate) fn get(svc: &Service, call: &Call<'_>) -> Reply {
    let state = svc.state();
    match call.path("workspaceId").and_then(|id| state.workspaces.get(id)) {
        Some(w) => Reply::json(200, state.workspace_json(w, svc.email())),
        None => not_found(),
    }
}

/// Bytes of a `{value, unit: "GB"}` allotment.
fn allotment(v: &Value) -> Option<i64> {
    let gb = v.get("value")?.as_i64().filter(|n| *n > 0)?;
    Some(gb.saturating_mul(1 << 30))
}

/// `PUT /workspaces/{workspaceId}`: name, note and allotment change; the rest is accepted.
pub(crate) fn update(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let mut state = svc.state();
    let Some(id) = call.path("workspaceId").filter(|id| state.workspaces.contains_key(*id)) else {
        return not_found();
    };
    if let Some(name) = body.get("name")
        && name.as_str().is_none_or(|n| n.trim().is_empty())
    {
        return api_error(400, "MissingOrInvalidName", "Missing or invalid name.");
    }
    let allotted = match body.get("storageAllotted") {
        None => None,
        Some(v) => match allotment(v) {
            Some(bytes) => Some(bytes),
            None => return api_error(400, "InvalidAllottedStorage", "Invalid allotted storage."),
        },
    };
    let used: i64 = state
        .assets
        .values()
        .filter(|a| a.workspace_id == id)
        .map(|a| a.size as i64)
        .sum();
    if allotted.is_some_and(|a| a < used) {
        return api_error(
            400,
            "AllottedStorageLessThanUsed",
            "The requested allotted storage cannot be less than the current used storage.",
        );
    }
    let id = id.to_string();
    if let Some(w) = state.workspaces.get_mut(&id) {
        if let Some(name) = body.get("name").and_then(Value::as_str) {
            w.name = name.trim().to_string();
        }
        if let Some(note) = body.get("note").and_then(Value::as_str) {
            w.note = Some(note.to_string());
        }
        if let Some(a) = allotted {
            w.allotted = a;
        }
    }
    match state.workspaces.get(&id) {
        Some(w) => Reply::json(200, state.workspace_json(w, svc.email())),
        None => not_found(),
    }
}

/// `POST /networks/{networkId}/workspaces`: a Team Workspace with its root folder.
pub(crate) fn create(svc: &Service, call: &Call<'_>) -> Reply {
    let body = call.json();
    let mut state = svc.state();
    let Some(network) = call.path("networkId").filter(|id| state.networks.contains_key(*id)) else {
        return api_error(404, "NetworkNotFound", "Network not found.");
    };
    let network = network.to_string();
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
    else {
        return api_error(400, "MissingOrInvalidName", "Missing or invalid name.");
    };
    let Some(allotted) = body.get("storageAllotted").and_then(allotment) else {
        return api_error(
            400,
            "MissingOrInvalidAllottedStorage",
            "Missing or invalid allotted storage.",
        );
    };
    let roles = ["WorkspaceAdmin", "WorkspaceOwner", "NetworkOwner"];
    for privilege in ["manageMembersPrivilege", "purgeTrashPrivilege"] {
        if !body
            .get(privilege)
            .and_then(Value::as_str)
            .is_some_and(|r| roles.contains(&r))
        {
            return api_error(
                400,
                "MissingOrInvalidRoleForPrivilege",
                "Missing or invalid role for at least one of the required privileges.",
            );
        }
    }
    let now = svc.now();
    let id = state.new_id("workspace", 16);
    let root = state.new_id("folder", 16);
    let seq = state.next_seq();
    let workspace = Workspace {
        id: id.clone(),
        name: name.trim().to_string(),
        class: "Team".into(),
        network_id: network,
        root_folder_id: root.clone(),
        created_on: now,
        note: body.get("note").and_then(Value::as_str).map(str::to_string),
        allotted,
        seq,
    };
    add_root(&mut state, &workspace, now);
    let answer = state.workspace_json(&workspace, svc.email());
    state.workspaces.insert(id, workspace);
    Reply::json(200, answer)
}

/// Creates a workspace's root folder.
pub(crate) fn add_root(state: &mut State, w: &Workspace, now: i64) {
    let seq = state.next_seq();
    state.folders.insert(
        w.root_folder_id.clone(),
        super::state::Folder {
            id: w.root_folder_id.clone(),
            name: w.name.clone(),
            sort_name: w.name.to_lowercase(),
            workspace_id: w.id.clone(),
            parent_id: None,
            created_on: now,
            last_activity: now,
            trashed_on: None,
            deleted: false,
            metadata: Vec::new(),
            seq,
        },
    );
}

/// The rows of a workspace: every live folder but the root and every asset, trashed or not.
fn rows<'a>(state: &'a State, w: &Workspace, trashed: bool) -> Vec<Entry<'a>> {
    let folders = state
        .folders
        .values()
        .filter(|f| !f.deleted && f.workspace_id == w.id && f.parent_id.is_some() && f.trashed_on.is_some() == trashed);
    let assets = state
        .assets
        .values()
        .filter(|a| a.workspace_id == w.id && a.trashed_on.is_some() == trashed);
    folders.map(Entry::Folder).chain(assets.map(Entry::Asset)).collect()
}

/// Renders a page of rows.
pub(crate) fn render(svc: &Service, state: &State, listing: &Listing, rows: &[Entry<'_>]) -> Vec<Value> {
    let links = svc.links();
    let now = svc.now();
    rows.iter()
        .map(|e| match e {
            Entry::Folder(f) => state.folder_json(f, svc.email()),
            Entry::Asset(a) => state.asset_json(a, &links, now, svc.email()),
        })
        .map(|v| listing.trim(v))
        .collect()
}

/// `GET /workspaces/{id}/contents` and `GET /workspaces/{id}/trashbin`.
pub(crate) fn contents(svc: &Service, call: &Call<'_>, trash: bool) -> Reply {
    let fields: &[&'static str] = if trash {
        &["createdOn", "createdBy", "name", "type", "size", "status", "trashedOn"]
    } else {
        &["createdOn", "createdBy", "name", "type", "size", "status"]
    };
    let listing = match listing::from_query(call, 100, fields, "name") {
        Ok(l) => l,
        Err(refusal) => return refusal,
    };
    let state = svc.state();
    let Some(w) = call.path("workspaceId").and_then(|id| state.workspaces.get(id)) else {
        return not_found();
    };
    let mut all = rows(&state, w, trash);
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

/// `GET /workspaces/{id}/search?query=…`: names containing any keyword, case-insensitive; by
/// relevance (keywords matched), folders first; at most [`MAX_SEARCH_RESULTS`].
pub(crate) fn search(svc: &Service, call: &Call<'_>) -> Reply {
    let listing = match listing::from_query(call, 100, &["createdOn", "name", "relevance"], "relevance") {
        Ok(l) => l,
        Err(refusal) => return refusal,
    };
    let state = svc.state();
    let Some(w) = call.path("workspaceId").and_then(|id| state.workspaces.get(id)) else {
        return not_found();
    };
    let query = call.query("query").unwrap_or_default().trim().to_string();
    let keywords: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if query.chars().count() < 2 || keywords.iter().any(|k| !(2..=20).contains(&k.chars().count())) {
        // The document states the rule but no error code for it.
        return api_error(
            400,
            "InvalidRequest",
            "The search query must be at least 2 characters long and each keyword 2 to 20 characters long.",
        );
    }
    let mut all: Vec<(usize, Entry<'_>)> = rows(&state, w, false)
        .into_iter()
        .filter_map(|e| {
            let name = match e {
                Entry::Folder(f) => f.name.to_lowercase(),
                Entry::Asset(a) => a.name.to_lowercase(),
            };
            let hits = keywords.iter().filter(|k| name.contains(k.as_str())).count();
            (hits > 0).then_some((hits, e))
        })
        .collect();
    State::keep_kind_scored(&mut all, listing.kind);
    let count = all.len().min(MAX_SEARCH_RESULTS);
    let page = State::page(&listing, all, listing.window(count));
    let items = render(svc, &state, &listing, &page);
    let mut extra = Map::new();
    extra.insert("query".into(), json!(query));
    extra.insert("maxSearchResults".into(), json!(MAX_SEARCH_RESULTS));
    Reply::json(200, listing.page(count, items, true, extra))
}

impl State {
    /// [`State::keep_kind`] for scored rows.
    fn keep_kind_scored(rows: &mut Vec<(usize, Entry<'_>)>, kind: listing::Kind) {
        rows.retain(|(_, e)| match kind {
            listing::Kind::All => true,
            listing::Kind::Folder => matches!(e, Entry::Folder(_)),
            listing::Kind::Asset => matches!(e, Entry::Asset(_)),
        });
    }
}

/// `POST /workspaces/{id}/purgetrash`: deletes every trashed folder and asset for good.
pub(crate) fn purge_trash(svc: &Service, call: &Call<'_>) -> Reply {
    let mut state = svc.state();
    let Some(id) = call.path("workspaceId").filter(|id| state.workspaces.contains_key(*id)) else {
        return not_found();
    };
    let id = id.to_string();
    state
        .assets
        .retain(|_, a| !(a.workspace_id == id && a.trashed_on.is_some()));
    for f in state.folders.values_mut() {
        if f.workspace_id == id && f.trashed_on.is_some() {
            f.deleted = true;
        }
    }
    Reply::json(200, json!({"message": "Trash purge has started."}))
}

/// The event feeds: known workspace/network and valid paging, then the spec's example.
pub(crate) fn events(svc: &Service, call: &Call<'_>) -> Option<Reply> {
    let state = svc.state();
    let checked = match call.route.operation {
        "list_network_events" => listing::from_query(call, 50, &["createdOn"], "createdOn").and_then(|_| {
            match call.path("networkId").filter(|id| state.networks.contains_key(*id)) {
                Some(_) => Ok(()),
                None => Err(api_error(404, "NetworkNotFound", "Network not found.")),
            }
        }),
        "list_workspace_events" => listing::from_query(call, 50, &["createdOn"], "createdOn").and_then(|_| match call
            .path("workspaceId")
            .filter(|id| state.workspaces.contains_key(*id))
        {
            Some(_) => Ok(()),
            None => Err(not_found()),
        }),
        _ => {
            let body = call.json();
            listing::from_json(&body, 50, "createdOn").and_then(|_| {
                let workspace = body.get("workspaceId").and_then(Value::as_str);
                let catalog = body.get("catalogId").and_then(Value::as_str);
                match (workspace, catalog) {
                    (None, None) => Err(api_error(400, "InvalidRequest", "Give a workspaceId or a catalogId.")),
                    (Some(w), _) if !state.workspaces.contains_key(w) => Err(not_found()),
                    // No catalog exists in the simulator.
                    (None, Some(_)) => Err(api_error(404, "CatalogNotFound", "Catalog not found.")),
                    _ => Ok(()),
                }
            })
        }
    };
    checked.err()
}
