//! Cliques (chapter 7): groups of the company's users given access to folders together; and the
//! cliques a user is in (`/user/{id}/clique`).

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Value, json};

use super::provider::Skyfish;
use super::state::{Clique, State, error, ok};

impl Skyfish {
    /// Every clique operation.
    pub(super) fn cliques(&self, st: &mut State, call: &Call<'_>) -> Reply {
        let op = call.route.operation;
        match op {
            "list_cliques" => return Reply::json(200, Value::Array(st.cliques.values().map(Clique::json).collect())),
            "list_user_cliques" => {
                let user = Self::id(call, "id");
                if !user.is_some_and(|u| st.users.iter().any(|x| x.id == u)) {
                    return error(404, "no such user");
                }
                let mine = st
                    .cliques
                    .values()
                    .filter(|c| user.is_some_and(|u| c.members.contains(&u)))
                    .map(Clique::json);
                return Reply::json(200, Value::Array(mine.collect()));
            }
            "create_clique" | "update_clique" => {
                let body = call.json();
                let Some(name) = body
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.trim().is_empty())
                else {
                    return error(400, "name is required");
                };
                let Some(skyfish_id) = body.get("skyfish_id").filter(|v| !v.is_null()).cloned() else {
                    return error(400, "skyfish_id is required");
                };
                let thumbnail_id = body.get("thumbnail_id").cloned().unwrap_or(Value::Null);
                let id = if op == "create_clique" {
                    st.next_clique += 1;
                    st.next_clique
                } else {
                    match Self::id(call, "id").filter(|id| st.cliques.contains_key(id)) {
                        Some(id) => id,
                        None => return error(404, "no such clique"),
                    }
                };
                let clique = st.cliques.entry(id).or_insert_with(|| Clique {
                    id,
                    name: String::new(),
                    skyfish_id: Value::Null,
                    thumbnail_id: Value::Null,
                    members: Default::default(),
                    folders: Default::default(),
                });
                clique.name = name.to_string();
                clique.skyfish_id = skyfish_id;
                clique.thumbnail_id = thumbnail_id;
                return Reply::json(200, clique.json());
            }
            _ => {}
        }
        let Some(id) = Self::id(call, "id").filter(|id| st.cliques.contains_key(id)) else {
            return error(404, "no such clique");
        };
        let user = Self::id(call, "user_id");
        let folder = Self::id(call, "folder_id");
        let user_known = user.is_some_and(|u| st.users.iter().any(|x| x.id == u));
        let folder_known = folder.is_some_and(|f| st.folders.contains_key(&f));
        let Some(clique) = st.cliques.get_mut(&id) else {
            return error(404, "no such clique");
        };
        match op {
            "delete_clique" => {
                st.cliques.remove(&id);
                ok()
            }
            "list_clique_members" => Reply::json(
                200,
                Value::Array(clique.members.iter().map(|u| json!({"clique_id": id, "user_id": u})).collect()),
            ),
            "list_clique_folders" => Reply::json(
                200,
                Value::Array(
                    clique
                        .folders
                        .iter()
                        .map(|(f, (access, upload))| json!({"clique_id": id, "folder_id": f, "access": access, "upload": upload}))
                        .collect(),
                ),
            ),
            "add_clique_member" | "remove_clique_member" if !user_known => error(404, "no such user"),
            "add_clique_member" => {
                let user = user.unwrap_or_default();
                if !clique.members.insert(user) {
                    return error(409, "the user is already in the clique");
                }
                Reply::json(200, json!({"clique_id": id, "user_id": user}))
            }
            "remove_clique_member" => match user.is_some_and(|u| clique.members.remove(&u)) {
                true => ok(),
                false => error(404, "the user is not in the clique"),
            },
            "add_clique_folder" | "remove_clique_folder" if !folder_known => error(404, "no such folder"),
            "add_clique_folder" => {
                let body = call.json();
                let access = match body.get("access").and_then(Value::as_str) {
                    Some(a @ ("READ" | "WRITE")) => a.to_string(),
                    _ => return error(400, "access must be READ or WRITE"),
                };
                let upload = body.get("upload").and_then(Value::as_bool).unwrap_or(false);
                let folder = folder.unwrap_or_default();
                clique.folders.insert(folder, (access.clone(), upload));
                Reply::json(200, json!({"clique_id": id, "folder_id": folder, "access": access, "upload": upload}))
            }
            _ => match folder.is_some_and(|f| clique.folders.remove(&f).is_some()) {
                true => ok(),
                false => error(404, "the folder is not in the clique"),
            },
        }
    }
}
