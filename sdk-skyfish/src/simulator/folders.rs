//! Folders: the listing (filtered and sorted, not paged), create, read, update, delete, purge,
//! the trashcan, folder tags and the ZIP jobs of `/folder/{id}/zip-file`.

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Value, json};

use super::provider::{Skyfish, json_id};
use super::state::{Folder, State, ZipJob, error, ok};

/// The most bytes a simulated ZIP file holds; a larger folder makes the job fail.
pub(super) const ZIP_LIMIT: u64 = 256 << 20;

impl Skyfish {
    /// The folder of the path's `id`, or the service's 404.
    fn folder_of<'s>(st: &'s State, call: &Call<'_>) -> Result<&'s Folder, Reply> {
        Self::id(call, "id")
            .and_then(|id| st.folders.get(&id))
            .ok_or_else(|| error(404, "no such folder"))
    }

    /// `GET /folder`.
    pub(super) fn list_folders(&self, st: &State, call: &Call<'_>) -> Reply {
        let q = call.query("q").map(str::to_lowercase);
        let ids: Option<Vec<&str>> = call
            .query("id")
            .map(|v| v.split(' ').filter(|s| !s.is_empty()).collect());
        if ids.as_ref().is_some_and(|ids| ids.iter().any(|id| id.contains('+'))) {
            return error(400, "id: join several ids with a literal `+`, not `%2B`");
        }
        let parent = call.query("parent").map(str::trim);
        let company = call.query("company_id").map(str::trim);
        let exclude_system = call
            .query("exclude_per_user_system_folders")
            .is_some_and(|v| v == "true" || v == "1");
        let mut folders: Vec<&Folder> = st
            .folders
            .values()
            .filter(|f| q.as_ref().is_none_or(|q| f.name.to_lowercase().contains(q)))
            .filter(|f| ids.as_ref().is_none_or(|ids| ids.contains(&f.id.to_string().as_str())))
            .filter(|f| parent.is_none_or(|p| f.parent.map(|x| x.to_string()).as_deref() == Some(p)))
            .filter(|f| company.is_none_or(|c| f.company_id.to_string() == c))
            .filter(|f| !(exclude_system && f.trash))
            .collect();
        match call.query("sort_by") {
            Some("name") => folders.sort_by_key(|f| (f.name.to_lowercase(), f.id)),
            Some("created") => folders.sort_by_key(|f| (f.created, f.id)),
            _ => {}
        }
        if call.query("sort_order") == Some("desc") {
            folders.reverse();
        }
        Reply::json(
            200,
            Value::Array(folders.iter().map(|f| st.folder_json(f, false)).collect()),
        )
    }

    /// `GET /company/{id}/folders` and `GET /user/{id}/folders` (ids as strings there).
    pub(super) fn owned_folders(&self, st: &State, call: &Call<'_>) -> Reply {
        let user = call.route.operation == "list_user_folders";
        let owner = Self::id(call, "id");
        let known = if user {
            owner.is_some_and(|id| st.users.iter().any(|u| u.id == id))
        } else {
            owner == Some(self.company)
        };
        if !known {
            return error(404, if user { "no such user" } else { "no such company" });
        }
        if user && owner != Some(self.user) {
            return error(403, "you cannot see another user's folders");
        }
        Reply::json(
            200,
            Value::Array(st.folders.values().map(|f| st.folder_json(f, user)).collect()),
        )
    }

    /// The `name`, `parent` and `company_id` of a folder body, checked.
    fn folder_input(&self, st: &State, body: &Value, this: Option<i64>) -> Result<(String, Option<i64>), Reply> {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| error(400, "name is required"))?;
        let parent = match body.get("parent") {
            None => return Err(error(400, "parent is required (null for a top folder)")),
            Some(Value::Null) => None,
            Some(v) => Some(json_id(Some(v)).ok_or_else(|| error(400, "parent must be a folder id"))?),
        };
        if let Some(p) = parent {
            if !st.folders.contains_key(&p) {
                return Err(error(404, "no such parent folder"));
            }
            if let Some(this) = this
                && st.subtree(this).contains(&p)
            {
                return Err(error(409, "a folder cannot be moved below itself"));
            }
        }
        if let Some(c) = body.get("company_id").filter(|v| !v.is_null())
            && json_id(Some(c)) != Some(self.company)
        {
            return Err(error(403, "you have no access to that company"));
        }
        Ok((name.to_string(), parent))
    }

    /// `POST /folder`.
    pub(super) fn create_folder(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let (name, parent) = match self.folder_input(st, &call.json(), None) {
            Ok(v) => v,
            Err(refusal) => return refusal,
        };
        st.next_folder += 1;
        let id = st.next_folder;
        let folder = Folder {
            id,
            name,
            parent,
            company_id: self.company,
            created: now,
            tags: Vec::new(),
            trash: false,
        };
        let answer = st.folder_json(&folder, false);
        st.folders.insert(id, folder);
        Reply::json(200, answer)
    }

    /// `GET /folder/{id}`.
    pub(super) fn get_folder(&self, st: &State, call: &Call<'_>) -> Reply {
        match Self::folder_of(st, call) {
            Ok(f) => Reply::json(200, st.folder_json(f, false)),
            Err(refusal) => refusal,
        }
    }

    /// `POST /folder/{id}`.
    pub(super) fn update_folder(&self, st: &mut State, call: &Call<'_>) -> Reply {
        let id = match Self::folder_of(st, call) {
            Ok(f) if f.trash => return error(403, "the trashcan cannot be changed"),
            Ok(f) => f.id,
            Err(refusal) => return refusal,
        };
        let (name, parent) = match self.folder_input(st, &call.json(), Some(id)) {
            Ok(v) => v,
            Err(refusal) => return refusal,
        };
        let Some(f) = st.folders.get_mut(&id) else {
            return error(404, "no such folder");
        };
        f.name = name;
        f.parent = parent;
        let f = f.clone();
        Reply::json(200, st.folder_json(&f, false))
    }

    /// Deletes a folder, everything below it, and the media left in no folder.
    fn remove_tree(st: &mut State, id: i64, keep_root: bool) {
        let mut tree = st.subtree(id);
        st.drop_media_of(&tree);
        if keep_root {
            tree.remove(&id);
        }
        st.folders.retain(|k, _| !tree.contains(k));
    }

    /// `DELETE /folder/{id}`.
    pub(super) fn delete_folder(&self, st: &mut State, call: &Call<'_>) -> Reply {
        match Self::folder_of(st, call) {
            Ok(f) if f.trash => error(403, "the trashcan cannot be deleted"),
            Ok(f) => {
                let id = f.id;
                Self::remove_tree(st, id, false);
                ok()
            }
            Err(refusal) => refusal,
        }
    }

    /// `POST /folder/{id}/purge`: everything below goes, the folder stays.
    pub(super) fn purge_folder(&self, st: &mut State, call: &Call<'_>) -> Reply {
        match Self::folder_of(st, call) {
            Ok(f) => {
                let id = f.id;
                Self::remove_tree(st, id, true);
                ok()
            }
            Err(refusal) => refusal,
        }
    }

    /// `POST /folder/{id}/move_to_trash`: the folder moves into the user's trashcan; one already
    /// there is deleted.
    pub(super) fn trash_folder_op(&self, st: &mut State, call: &Call<'_>) -> Reply {
        let id = match Self::folder_of(st, call) {
            Ok(f) if f.trash => return error(403, "the trashcan cannot be moved"),
            Ok(f) => f.id,
            Err(refusal) => return refusal,
        };
        let Some(trash) = st.folders.values().find(|f| f.trash).map(|f| f.id) else {
            return error(500, "Server error");
        };
        if st.subtree(trash).contains(&id) {
            Self::remove_tree(st, id, false);
        } else if let Some(f) = st.folders.get_mut(&id) {
            f.parent = Some(trash);
        }
        ok()
    }

    /// `GET`/`PUT`/`DELETE /folder/{id}/tags` and `DELETE /folder/{id}/tags/purge`.
    pub(super) fn folder_tags(&self, st: &mut State, call: &Call<'_>) -> Reply {
        let id = match Self::folder_of(st, call) {
            Ok(f) => f.id,
            Err(refusal) => return refusal,
        };
        let op = call.route.operation;
        let sent: Vec<String> = if matches!(op, "add_folder_tags" | "remove_folder_tags") {
            match call.json() {
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    items.iter().filter_map(Value::as_str).map(str::to_string).collect()
                }
                _ => return error(400, "the body must be a JSON array of strings"),
            }
        } else {
            Vec::new()
        };
        let Some(folder) = st.folders.get_mut(&id) else {
            return error(404, "no such folder");
        };
        match op {
            "get_folder_tags" => return Reply::json(200, json!(folder.tags)),
            "add_folder_tags" => {
                for tag in sent {
                    if !folder.tags.contains(&tag) {
                        folder.tags.push(tag);
                    }
                }
            }
            "remove_folder_tags" => folder.tags.retain(|t| !sent.contains(t)),
            _ => folder.tags.clear(),
        }
        ok()
    }

    /// `GET /folder/{id}/download`: the document gives no format; the simulator answers the
    /// folder's ZIP file at once (the archive of a ZIP job), with `Range`.
    pub(super) fn download_folder(&self, st: &State, call: &Call<'_>) -> Reply {
        let id = match Self::folder_of(st, call) {
            Ok(f) => f.id,
            Err(refusal) => return refusal,
        };
        match super::zip::folder_archive(st, id, ZIP_LIMIT) {
            Some(archive) => archive.reply(call.request, "application/zip").header(
                "content-disposition",
                &format!("attachment; filename=\"folder-{id}.zip\""),
            ),
            None => error(409, "the folder is too large to download at once; use a ZIP job"),
        }
    }

    /// `POST /folder/{id}/zip-file` (starts a job, or looks at the folder's running one) and
    /// `GET /zip-file/{job_id}`: `PENDING` for the first looks, then `DONE` with a signed URL.
    pub(super) fn zip_job(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let job_id = if call.route.operation == "create_folder_zip" {
            let folder = match Self::folder_of(st, call) {
                Ok(f) => f.id,
                Err(refusal) => return refusal,
            };
            // Posting again for the same folder looks at the same job (the answers are identical).
            let running = st
                .zips
                .iter()
                .find(|(_, j)| j.folder == folder && j.valid_until >= now)
                .map(|(id, _)| id.clone());
            match running {
                Some(id) => id,
                None => {
                    let id = st.next_zip_id();
                    st.zips.insert(
                        id.clone(),
                        ZipJob {
                            folder,
                            pending: self.options.zip_polls + 1,
                            archive: None,
                            failed: false,
                            valid_until: now + 24 * 3600,
                        },
                    );
                    id
                }
            }
        } else {
            match call.path("job_id").filter(|id| st.zips.contains_key(*id)) {
                Some(id) => id.to_string(),
                None => return error(404, "no such zip job"),
            }
        };
        let ready = st.zips.get(&job_id).is_some_and(|j| j.pending <= 1);
        if ready && st.zips.get(&job_id).is_some_and(|j| j.archive.is_none() && !j.failed) {
            let folder = st.zips.get(&job_id).map(|j| j.folder).unwrap_or_default();
            let archive = super::zip::folder_archive(st, folder, ZIP_LIMIT);
            if let Some(job) = st.zips.get_mut(&job_id) {
                job.failed = archive.is_none();
                job.archive = archive;
            }
        }
        let Some(job) = st.zips.get_mut(&job_id) else {
            return error(404, "no such zip job");
        };
        job.pending = job.pending.saturating_sub(1);
        let (state, url, valid_until) = match (&job.archive, job.failed, ready) {
            (_, true, true) => ("FAILED", Value::Null, Value::Null),
            (Some(_), false, true) => {
                let path = format!("/_storage/zip/{job_id}/folder-{}.zip", job.folder);
                (
                    "DONE",
                    json!(self.signed_url(&path, job.valid_until)),
                    json!(job.valid_until),
                )
            }
            _ => ("PENDING", Value::Null, Value::Null),
        };
        Reply::json(
            200,
            json!({"job_id": job_id, "state": state, "url": url, "valid_until": valid_until}),
        )
    }
}
