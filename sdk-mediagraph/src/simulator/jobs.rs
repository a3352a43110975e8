//! Background work: bulk jobs, shares (prepared in the background), and share links.
//!
//! A bulk job answers `pending`; every `get_bulk_job` poll moves it on — `processing`, then,
//! after [`Options::job_polls`](super::Options::job_polls) polls, `processed` with its changes
//! applied (or `errored`). A share answers `pending` and is `processed` once the share listing
//! has shown it that many times. The administration listings page with `current` and
//! `pageSize` (25 by default) and send `Total-Entries`.

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Map, Value, json};

use super::assets;
use super::groups::{self, GroupKind};
use super::service::{
    Answer, Env, State, body_record, documented, invalid, listing, merge, not_found, page_of, path_id, slug, template,
    timestamp, user,
};

/// A bulk job.
#[derive(Clone, Debug)]
pub(super) struct Job {
    pub id: i64,
    pub guid: String,
    pub spec: Map<String, Value>,
    pub asset_ids: Vec<i64>,
    pub state: &'static str,
    pub polls: u32,
    pub error_message: Option<String>,
    pub warnings: Vec<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// A share.
#[derive(Clone, Debug)]
pub(super) struct Share {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub fields: Map<String, Value>,
    pub asset_ids: Vec<i64>,
    pub asset_group_id: Option<i64>,
    pub polls: u32,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A share link.
#[derive(Clone, Debug)]
pub(super) struct ShareLink {
    pub id: i64,
    pub code: String,
    pub asset_group_id: i64,
    pub fields: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `current` and `pageSize` of an administration listing.
fn current_page(call: &Call<'_>) -> (i64, i64) {
    (
        call.query_int("current").unwrap_or(1),
        call.query_int("pageSize").unwrap_or(25).clamp(1, 1000),
    )
}

/// Whether `sortOrder` asks for the oldest first (the default is newest first).
fn ascending(call: &Call<'_>) -> bool {
    matches!(call.query("sortOrder"), Some("ascend" | "asc"))
}

fn ids(value: Option<&Value>) -> Option<Vec<i64>> {
    value.and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Bulk jobs
// ---------------------------------------------------------------------------------------------

fn action(spec: &Map<String, Value>) -> &'static str {
    if spec.get("destroy_all").and_then(Value::as_bool) == Some(true) {
        "Bulk Asset Edit: Delete"
    } else if spec.contains_key("tag_names") || spec.contains_key("tag_mode") {
        "Bulk Asset Edit: Tags"
    } else if spec.contains_key("add_asset_group_id") || spec.contains_key("remove_asset_group_id") {
        "Bulk Asset Edit: Groups"
    } else {
        "Bulk Asset Edit: Meta"
    }
}

fn render_job(job: &Job, job_polls: u32) -> Value {
    let progress = match job.state {
        "pending" => 0.0,
        "processing" => f64::from(job.polls) * 100.0 / f64::from(job_polls.max(1)),
        _ => 100.0,
    };
    let fixed = json!({
        "id": job.id,
        "guid": job.guid,
        "aasm_state": job.state,
        "progress": progress,
        "action": action(&job.spec),
        "destroy_all": job.spec.get("destroy_all").and_then(Value::as_bool).unwrap_or(false),
        "total_assets": job.asset_ids.len(),
        "error": job.error_message.as_ref().map(|_| "errored"),
        "error_message": job.error_message,
        "warnings": if job.warnings.is_empty() { Value::Null } else { json!(job.warnings) },
        "created_at": timestamp(job.created_at),
        "started_processing_at": job.started_at.map(timestamp),
        "finished_processing_at": job.finished_at.map(timestamp),
    });
    match fixed {
        Value::Object(fixed) => Value::Object(merge(template("get_bulk_job"), &fixed)),
        other => other,
    }
}

/// Applies a finished job's changes; the warnings, or why it failed.
fn apply(s: &mut State, spec: &Map<String, Value>, asset_ids: &[i64], now: i64) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    let present: Vec<i64> = asset_ids
        .iter()
        .copied()
        .filter(|id| {
            let found = s.assets.contains_key(id);
            if !found {
                warnings.push(format!("Asset {id} was not found"));
            }
            found
        })
        .collect();
    let tag_names: Vec<String> = spec
        .get("tag_names")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let tag_mode = spec.get("tag_mode").and_then(Value::as_str);
    if tag_mode.is_some() || spec.contains_key("tag_names") {
        if tag_names.iter().all(|n| n.trim().is_empty()) {
            return Err("Tag list is empty".into());
        }
        for id in &present {
            let (add, remove, replace) = match tag_mode.unwrap_or("add") {
                "remove" => (Vec::new(), tag_names.clone(), None),
                "replace" => (Vec::new(), Vec::new(), Some(tag_names.clone())),
                _ => (tag_names.clone(), Vec::new(), None),
            };
            assets::change_tags(s, *id, add, remove, replace, now);
        }
    }
    let add_group = spec.get("add_asset_group_id").and_then(Value::as_i64);
    let remove_group = spec.get("remove_asset_group_id").and_then(Value::as_i64);
    for group in add_group.iter().chain(remove_group.iter()) {
        if !s.groups.contains_key(group) {
            return Err(format!("Asset group {group} was not found"));
        }
    }
    for id in &present {
        let Some(a) = s.assets.get_mut(id) else { continue };
        if let Some(d) = spec.get("description").and_then(Value::as_str) {
            let old = a
                .fields
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let new = match spec.get("description_mode").and_then(Value::as_str) {
                Some("append") if !old.is_empty() => format!("{old} {d}"),
                Some("prepend") if !old.is_empty() => format!("{d} {old}"),
                _ => d.to_string(),
            };
            a.fields.insert("description".into(), json!(new));
        }
        for key in ["rating", "rights_package_id", "rights_status"] {
            if let Some(v) = spec.get(key) {
                a.fields.insert(key.into(), v.clone());
            }
        }
        a.updated_at = now;
    }
    if let Some(group) = add_group {
        let kind = s.groups.get(&group).map(|g| g.kind);
        if kind == Some(GroupKind::StorageFolder) {
            for id in &present {
                if let Some(a) = s.assets.get_mut(id) {
                    a.storage_folder_id = group;
                }
            }
        } else if let Some(g) = s.groups.get_mut(&group) {
            for id in &present {
                if !g.assets.contains(id) {
                    g.assets.push(*id);
                }
            }
        }
    }
    if let Some(group) = remove_group
        && let Some(g) = s.groups.get_mut(&group)
    {
        g.assets.retain(|a| !present.contains(a));
    }
    if spec.get("destroy_all").and_then(Value::as_bool) == Some(true) {
        for id in &present {
            assets::remove_asset(s, *id);
        }
    }
    Ok(warnings)
}

/// Moves job `index` on by one poll (or to its end when `job_polls` is 0).
fn advance(s: &mut State, index: usize, env: &Env) {
    let job = &mut s.jobs[index];
    if !matches!(job.state, "pending" | "processing") {
        return;
    }
    job.polls += 1;
    job.started_at.get_or_insert(env.now);
    if job.polls < env.options.job_polls {
        job.state = "processing";
        return;
    }
    let (spec, ids) = (job.spec.clone(), job.asset_ids.clone());
    let outcome = apply(s, &spec, &ids, env.now);
    let job = &mut s.jobs[index];
    job.finished_at = Some(env.now);
    match outcome {
        Ok(warnings) => {
            job.state = "processed";
            job.warnings = warnings;
        }
        Err(message) => {
            job.state = "errored";
            job.error_message = Some(message);
        }
    }
}

/// `POST /api/bulk_jobs`.
pub(super) fn create_job(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let spec = body_record(call, "bulk_job")?;
    let asset_ids = ids(spec.get("asset_ids")).ok_or_else(|| invalid("asset_ids", "can't be blank"))?;
    s.next.job += 1;
    let guid = s.guid();
    s.jobs.push(Job {
        id: s.next.job,
        guid,
        spec,
        asset_ids,
        state: "pending",
        polls: 0,
        error_message: None,
        warnings: Vec::new(),
        created_at: env.now,
        started_at: None,
        finished_at: None,
    });
    let index = s.jobs.len() - 1;
    if env.options.job_polls == 0 {
        advance(s, index, env);
    }
    Ok(env.detail("bulk_job", render_job(&s.jobs[index], env.options.job_polls)))
}

fn job_index(s: &State, call: &Call<'_>) -> Result<usize, Reply> {
    let key = call.path("id").unwrap_or_default();
    s.jobs
        .iter()
        .position(|j| j.guid == key || j.id.to_string() == key)
        .ok_or_else(|| not_found("BulkJob", key))
}

/// `GET /api/bulk_jobs/{id}` (GUID or id): one poll.
pub(super) fn get_job(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let index = job_index(s, call)?;
    advance(s, index, env);
    Ok(env.detail("bulk_job", render_job(&s.jobs[index], env.options.job_polls)))
}

/// `POST /api/bulk_jobs/{id}/cancel`.
pub(super) fn cancel_job(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let index = job_index(s, call)?;
    let job = &mut s.jobs[index];
    if matches!(job.state, "pending" | "processing") {
        job.state = "canceled";
        job.finished_at = Some(env.now);
    }
    Ok(env.detail("bulk_job", render_job(&s.jobs[index], env.options.job_polls)))
}

/// `GET /api/bulk_jobs` (`current`, `pageSize`, `sortOrder`).
pub(super) fn list_jobs(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let (current, size) = current_page(call);
    let mut jobs: Vec<&Job> = s.jobs.iter().collect();
    if !ascending(call) {
        jobs.reverse();
    }
    let total = jobs.len();
    let items = page_of(&jobs, current, size)
        .into_iter()
        .map(|j| render_job(j, env.options.job_polls))
        .collect();
    Ok(listing(items, total))
}

/// `GET /api/bulk_jobs/processing`.
pub(super) fn list_processing_jobs(s: &mut State, env: &Env) -> Answer {
    let items: Vec<Value> = s
        .jobs
        .iter()
        .filter(|j| matches!(j.state, "pending" | "processing"))
        .map(|j| render_job(j, env.options.job_polls))
        .collect();
    Ok(Reply::json(200, Value::Array(items)))
}

/// `GET /api/bulk_jobs/{id}/assets` (`page`, 25 a page).
pub(super) fn job_assets(s: &mut State, call: &Call<'_>) -> Answer {
    let index = job_index(s, call)?;
    let found: Vec<i64> = s.jobs[index]
        .asset_ids
        .iter()
        .copied()
        .filter(|id| s.assets.contains_key(id))
        .collect();
    let total = found.len();
    let items = page_of(&found, call.query_int("page").unwrap_or(1), 25)
        .into_iter()
        .filter_map(|id| s.assets.get(&id).map(|a| assets::render(s, a)))
        .collect();
    Ok(listing(items, total))
}

// ---------------------------------------------------------------------------------------------
// Shares
// ---------------------------------------------------------------------------------------------

fn render_share(s: &State, env: &Env, share: &Share) -> Value {
    let state = if share.polls >= env.options.job_polls {
        "processed"
    } else {
        "pending"
    };
    let assets_count = share.asset_ids.iter().filter(|a| s.assets.contains_key(a)).count()
        + share
            .asset_group_id
            .and_then(|g| s.groups.get(&g))
            .map_or(0, |g| g.assets.len());
    let fixed = json!({
        "id": share.id,
        "code": share.code,
        "name": share.name,
        "aasm_state": state,
        "asset_group_id": share.asset_group_id,
        "assets_count": assets_count,
        "url": format!("{}/shares/{}-{}", env.origin, share.code, slug(&share.name)),
        "direct_link": null,
        "organization_id": s.org.id,
        "user_id": s.org.user_id,
        "created_at": timestamp(share.created_at),
        "updated_at": timestamp(share.updated_at),
    });
    let base = merge(template("create_share"), &share.fields);
    match fixed {
        Value::Object(fixed) => Value::Object(merge(base, &fixed)),
        other => other,
    }
}

/// `POST /api/shares`: answered `pending`.
pub(super) fn create_share(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let mut record = body_record(call, "share")?;
    let asset_ids = ids(record.get("asset_ids")).unwrap_or_default();
    record.remove("asset_ids");
    let group = match record.remove("asset_group_id").filter(|v| !v.is_null()) {
        Some(v) => Some(
            v.as_i64()
                .filter(|g| s.groups.contains_key(g))
                .ok_or_else(|| invalid("asset_group", "must exist"))?,
        ),
        None => None,
    };
    let name = record
        .remove("name")
        .and_then(|n| n.as_str().map(str::to_string))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Share".into());
    s.next.share += 1;
    let code = s.token("share")[..16].to_string();
    let share = Share {
        id: s.next.share,
        code,
        name,
        fields: record,
        asset_ids,
        asset_group_id: group,
        polls: 0,
        created_at: env.now,
        updated_at: env.now,
    };
    let id = share.id;
    s.shares.insert(id, share);
    Ok(env.detail("share", render_share(s, env, &s.shares[&id])))
}

/// `GET /api/shares`: every share listed counts as one poll of its preparation.
pub(super) fn list_shares(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let q = call.query("q").map(str::to_lowercase);
    let asset = call.query_int("asset_id");
    let group = call.query_int("asset_group_id");
    let mut found: Vec<i64> = s
        .shares
        .values()
        .filter(|sh| q.as_ref().is_none_or(|q| sh.name.to_lowercase().contains(q.as_str())))
        .filter(|sh| asset.is_none_or(|a| sh.asset_ids.contains(&a)))
        .filter(|sh| group.is_none() || sh.asset_group_id == group)
        .map(|sh| sh.id)
        .collect();
    if call.query("sortField") == Some("name") {
        found.sort_by_key(|id| s.shares.get(id).map(|sh| sh.name.to_lowercase()));
        if !ascending(call) {
            found.reverse();
        }
    } else if !ascending(call) {
        found.reverse();
    }
    let total = found.len();
    let (current, size) = current_page(call);
    let page = page_of(&found, current, size);
    for id in &page {
        if let Some(sh) = s.shares.get_mut(id) {
            sh.polls = sh.polls.saturating_add(1);
        }
    }
    let items = page
        .iter()
        .filter_map(|id| s.shares.get(id))
        .map(|sh| render_share(s, env, sh))
        .collect();
    Ok(listing(items, total))
}

/// `PUT /api/shares/{id}`.
pub(super) fn update_share(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Share")?;
    let mut record = body_record(call, "share")?;
    let share = s
        .shares
        .get_mut(&id)
        .ok_or_else(|| not_found("Share", &id.to_string()))?;
    if let Some(name) = record.remove("name").and_then(|n| n.as_str().map(str::to_string)) {
        share.name = name;
    }
    if let Some(ids) = ids(record.get("asset_ids")) {
        share.asset_ids = ids;
    }
    record.remove("asset_ids");
    share.fields = merge(std::mem::take(&mut share.fields), &record);
    share.updated_at = env.now;
    Ok(env.detail("share", render_share(s, env, &s.shares[&id])))
}

/// `DELETE /api/shares/{id}`.
pub(super) fn delete_share(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "Share")?;
    s.shares
        .remove(&id)
        .ok_or_else(|| not_found("Share", &id.to_string()))?;
    Ok(documented(call))
}

// ---------------------------------------------------------------------------------------------
// Share links
// ---------------------------------------------------------------------------------------------

fn render_link(s: &State, env: &Env, link: &ShareLink) -> Value {
    let assets_count = s.groups.get(&link.asset_group_id).map_or(0, |g| match g.kind {
        GroupKind::StorageFolder => s.assets.values().filter(|a| a.storage_folder_id == g.id).count(),
        _ => g.assets.len(),
    });
    let base = merge(template("create_share_link"), &link.fields);
    let fixed = json!({
        "id": link.id,
        "code": link.code,
        "asset_group_id": link.asset_group_id,
        "assets_count": assets_count,
        "url": format!("{}/{}/share-links/{}", env.origin, s.org.slug, link.code),
        "expired": false,
        "user_id": s.org.user_id,
        "user": user(s),
        "created_at": timestamp(link.created_at),
        "updated_at": timestamp(link.updated_at),
    });
    match fixed {
        Value::Object(fixed) => Value::Object(merge(base, &fixed)),
        other => other,
    }
}

/// `POST /api/asset_groups/{asset_group_id}/share_links`.
pub(super) fn create_link(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let group = path_id(call, "asset_group_id", "AssetGroup")?;
    if !s.groups.contains_key(&group) {
        return Err(not_found("AssetGroup", &group.to_string()));
    }
    let record = body_record(call, "share_link")?;
    s.next.share_link += 1;
    let code = s.token("link")[..16].to_string();
    let link = ShareLink {
        id: s.next.share_link,
        code,
        asset_group_id: group,
        fields: record,
        created_at: env.now,
        updated_at: env.now,
    };
    let id = link.id;
    s.share_links.insert(id, link);
    Ok(env.detail("share_link", render_link(s, env, &s.share_links[&id])))
}

/// `GET /api/asset_groups/{asset_group_id}/share_links`.
pub(super) fn group_links(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let group = path_id(call, "asset_group_id", "AssetGroup")?;
    if !s.groups.contains_key(&group) {
        return Err(not_found("AssetGroup", &group.to_string()));
    }
    let items: Vec<Value> = s
        .share_links
        .values()
        .filter(|l| l.asset_group_id == group)
        .map(|l| render_link(s, env, l))
        .collect();
    Ok(Reply::json(200, Value::Array(items)))
}

/// `GET /api/share_links` (`q` over notes, `enabled`, `current`, `pageSize`).
pub(super) fn list_links(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let q = call.query("q").map(str::to_lowercase);
    let enabled = call.query("enabled").map(|e| matches!(e, "true" | "1"));
    let mut links: Vec<&ShareLink> = s
        .share_links
        .values()
        .filter(|l| {
            q.as_ref().is_none_or(|q| {
                l.fields
                    .get("note")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.to_lowercase().contains(q.as_str()))
            })
        })
        .filter(|l| enabled.is_none_or(|e| l.fields.get("enabled").and_then(Value::as_bool).unwrap_or(true) == e))
        .collect();
    if !ascending(call) {
        links.reverse();
    }
    let total = links.len();
    let (current, size) = current_page(call);
    let items = page_of(&links, current, size)
        .into_iter()
        .map(|l| render_link(s, env, l))
        .collect();
    Ok(listing(items, total))
}

/// `GET /api/share_links/{id}`: the link with its asset group.
pub(super) fn get_link(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "ShareLink")?;
    let link = s
        .share_links
        .get(&id)
        .ok_or_else(|| not_found("ShareLink", &id.to_string()))?;
    let mut answer = render_link(s, env, link);
    answer["asset_group"] = s
        .groups
        .get(&link.asset_group_id)
        .map_or(Value::Null, |g| groups::render(s, g));
    Ok(env.detail("share_link", answer))
}

/// `PUT /api/share_links/{id}`.
pub(super) fn update_link(s: &mut State, env: &Env, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "ShareLink")?;
    let record = body_record(call, "share_link")?;
    let link = s
        .share_links
        .get_mut(&id)
        .ok_or_else(|| not_found("ShareLink", &id.to_string()))?;
    link.fields = merge(std::mem::take(&mut link.fields), &record);
    link.updated_at = env.now;
    Ok(env.detail("share_link", render_link(s, env, &s.share_links[&id])))
}

/// `DELETE /api/share_links/{id}`.
pub(super) fn delete_link(s: &mut State, call: &Call<'_>) -> Answer {
    let id = path_id(call, "id", "ShareLink")?;
    s.share_links
        .remove(&id)
        .ok_or_else(|| not_found("ShareLink", &id.to_string()))?;
    Ok(documented(call))
}
