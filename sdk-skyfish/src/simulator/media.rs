//! Media: the document (202 while importing), metadata and its per-field calls, keywords,
//! expiration dates, folder membership (copy, move, remove, trash), versions, exiftool tags, video
//! streams and download locations; also the company and user utilities that read the same state.

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Map, Value, json};

use super::provider::{Skyfish, json_id};
use super::state::{Kind, State, Stream, error, ok};

/// The checked body of a metadata change.
enum Change {
    Replace(Map<String, Value>),
    Texts(&'static str, Map<String, Value>),
    Iptc(&'static str, String),
    Keywords(Map<String, Value>),
}

/// A body `{"en": "…", …}` with string values.
fn texts(body: Value) -> Result<Map<String, Value>, Reply> {
    match body {
        Value::Object(m) if m.values().all(Value::is_string) => Ok(m),
        _ => Err(error(
            400,
            "the body must be an object of texts per language, e.g. {\"en\": \"…\"}",
        )),
    }
}

/// A body `{"en": ["…"], …}` with lists of strings.
fn keyword_lists(body: Value) -> Result<Map<String, Value>, Reply> {
    match body {
        Value::Object(m)
            if m.values()
                .all(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string))) =>
        {
            Ok(m)
        }
        _ => Err(error(
            400,
            "the body must be an object of keyword lists per language, e.g. {\"en\": [\"…\"]}",
        )),
    }
}

/// The strings of a JSON list.
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The last day of a month, `yyyy-mm-dd`.
fn last_day(year: i64, month: i64) -> Option<String> {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    let first_of_next = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, u32::try_from(m).ok()?, 1)?;
    Some(first_of_next.pred_opt()?.format("%Y-%m-%d").to_string())
}

/// An integer from a number or numeric text.
fn loose_int(v: Option<&Value>) -> Option<i64> {
    json_id(v)
}

impl Skyfish {
    /// The media of the path's `id` (own or Colourbox), or the service's 404.
    fn media_id(st: &State, call: &Call<'_>) -> Result<i64, Reply> {
        Self::id(call, "id")
            .filter(|id| st.media.contains_key(id))
            .ok_or_else(|| error(404, "no such media"))
    }

    /// The own media of the path's `id`: 404 when unknown, 403 for a Colourbox download.
    fn own_media_id(st: &State, call: &Call<'_>) -> Result<i64, Reply> {
        let id = Self::media_id(st, call)?;
        if st.media.get(&id).is_some_and(|m| m.colourbox) {
            return Err(error(403, "Colourbox downloads are read-only"));
        }
        Ok(id)
    }

    /// `GET /media/{id}`: 202 with the import progress while importing, then 200.
    pub(super) fn get_media(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let id = match Self::media_id(st, call) {
            Ok(id) => id,
            Err(refusal) => return refusal,
        };
        let polls = self.options.import_polls.max(1);
        let Some(m) = st.media.get_mut(&id) else {
            return error(404, "no such media");
        };
        if m.importing(now) {
            let done = polls - m.import_polls.min(polls);
            m.import_polls -= 1;
            let progress = (100 * (done + 1) / (polls + 1)).min(99);
            return Reply::json(202, json!({ "progress": progress }));
        }
        m.import_polls = 0;
        Reply::json(200, m.document())
    }

    /// Metadata reads and changes.
    pub(super) fn metadata(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let op = call.route.operation;
        if op == "get_media_metadata" {
            return match Self::media_id(st, call) {
                Ok(id) => Reply::json(200, Value::Object(st.media[&id].metadata.clone())),
                Err(refusal) => refusal,
            };
        }
        // `/media/{ids}/metadata/keyword` names one media or a comma list of them.
        let ids: Vec<i64> = if let Some(list) = call.path("ids") {
            let ids: Vec<Option<i64>> = list.split(',').map(|s| s.trim().parse().ok()).collect();
            match ids.iter().copied().collect::<Option<Vec<i64>>>() {
                Some(ids) if !ids.is_empty() && ids.iter().all(|id| st.media.contains_key(id)) => ids,
                _ => return error(404, "no such media"),
            }
        } else {
            match Self::media_id(st, call) {
                Ok(id) => vec![id],
                Err(refusal) => return refusal,
            }
        };
        if ids.iter().any(|id| st.media.get(id).is_some_and(|m| m.colourbox)) {
            return error(403, "Colourbox downloads are read-only");
        }
        let body = call.json();
        let change = match op {
            "update_media_metadata" => match body {
                Value::Object(m) => Change::Replace(m),
                _ => return error(400, "the body must be the metadata object"),
            },
            "set_media_title" | "set_media_description" => match texts(body) {
                Ok(m) => Change::Texts(
                    if op == "set_media_title" {
                        "title"
                    } else {
                        "description"
                    },
                    m,
                ),
                Err(refusal) => return refusal,
            },
            "set_media_byline" | "set_media_copyright" => match body {
                Value::String(s) => Change::Iptc(
                    if op == "set_media_byline" {
                        "By-line"
                    } else {
                        "CopyrightNotice"
                    },
                    s,
                ),
                _ => return error(400, "the body must be a JSON string, e.g. \"Jane Doe\""),
            },
            "clear_media_keywords" => Change::Keywords(Map::new()),
            _ => match keyword_lists(body) {
                Ok(m) => Change::Keywords(m),
                Err(refusal) => return refusal,
            },
        };
        for id in ids {
            let Some(m) = st.media.get_mut(&id) else { continue };
            match &change {
                Change::Replace(doc) => m.metadata = doc.clone(),
                Change::Texts(field, values) => {
                    let entry = m.metadata.entry(*field).or_insert_with(|| json!({}));
                    if !entry.is_object() {
                        *entry = json!({});
                    }
                    if let Some(map) = entry.as_object_mut() {
                        map.extend(values.clone());
                    }
                }
                Change::Iptc(field, value) => m.set_iptc(field, json!(value)),
                Change::Keywords(sent) => {
                    let entry = m.metadata.entry("keywords").or_insert_with(|| json!({}));
                    if !entry.is_object() {
                        *entry = json!({});
                    }
                    let Some(map) = entry.as_object_mut() else { continue };
                    match op {
                        "replace_media_keywords" | "clear_media_keywords" => {
                            map.clear();
                            map.extend(sent.clone());
                        }
                        "add_media_keywords" => {
                            for (lang, words) in sent {
                                let mut have = strings(map.get(lang).unwrap_or(&Value::Null));
                                for w in strings(words) {
                                    if !have.contains(&w) {
                                        have.push(w);
                                    }
                                }
                                map.insert(lang.clone(), json!(have));
                            }
                        }
                        _ => {
                            for (lang, words) in sent {
                                let gone = strings(words);
                                let mut have = strings(map.get(lang).unwrap_or(&Value::Null));
                                have.retain(|w| !gone.contains(w));
                                map.insert(lang.clone(), json!(have));
                            }
                        }
                    }
                }
            }
            m.touch(now);
        }
        ok()
    }

    /// `GET`/`POST`/`DELETE /media/{id}/metadata/expiration_date`.
    pub(super) fn expiration(&self, st: &mut State, call: &Call<'_>, now: i64) -> Reply {
        let id = match call.route.operation {
            "get_media_expiration_date" => Self::media_id(st, call),
            _ => Self::own_media_id(st, call),
        };
        let id = match id {
            Ok(id) => id,
            Err(refusal) => return refusal,
        };
        let Some(m) = st.media.get_mut(&id) else {
            return error(404, "no such media");
        };
        match call.route.operation {
            "get_media_expiration_date" => Reply::json(200, json!({ "expiration_date": m.expiration })),
            "delete_media_expiration_date" => {
                m.expiration = None;
                m.touch(now);
                ok()
            }
            _ => {
                let body = call.json();
                let date = match body.get("expiration_date").and_then(Value::as_str) {
                    Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                        .ok()
                        .map(|d| d.format("%Y-%m-%d").to_string()),
                    None => match (
                        loose_int(body.get("expiration_year")),
                        loose_int(body.get("expiration_month")),
                    ) {
                        (Some(y), Some(mo)) if (1..=12).contains(&mo) && (1970..=9999).contains(&y) => last_day(y, mo),
                        _ => None,
                    },
                };
                match date {
                    Some(d) => {
                        m.expiration = Some(d);
                        m.touch(now);
                        ok()
                    }
                    None => error(
                        400,
                        "send expiration_date as yyyy-mm-dd, or expiration_year and expiration_month",
                    ),
                }
            }
        }
    }

    /// A media's folders: list, set, copy into, remove from, move between, move to the trashcan.
    pub(super) fn media_folders(&self, st: &mut State, call: &Call<'_>) -> Reply {
        let op = call.route.operation;
        let id = match op {
            "get_media_folders" => Self::media_id(st, call),
            _ => Self::own_media_id(st, call),
        };
        let id = match id {
            Ok(id) => id,
            Err(refusal) => return refusal,
        };
        let folder = Self::id(call, "folder_id");
        let trash = st.folders.values().find(|f| f.trash).map(|f| f.id);
        let exists = |f: Option<i64>| f.is_some_and(|f| st.folders.contains_key(&f));
        let (target, from) = match op {
            "get_media_folders" => {
                let links: Vec<Value> = st.media[&id]
                    .folders
                    .iter()
                    .map(|f| json!({"group_id": f, "status": "RELEASED"}))
                    .collect();
                return Reply::json(200, Value::Array(links));
            }
            "update_media_folders" => {
                let Value::Array(links) = call.json() else {
                    return error(400, "the body must be a list of {group_id, status}");
                };
                let ids: Option<Vec<i64>> = links.iter().map(|l| json_id(l.get("group_id"))).collect();
                let Some(mut ids) = ids.filter(|ids| !ids.is_empty()) else {
                    return error(400, "every link needs a group_id, and a media needs a folder");
                };
                if !ids.iter().all(|f| st.folders.contains_key(f)) {
                    return error(404, "no such folder");
                }
                ids.dedup();
                if let Some(m) = st.media.get_mut(&id) {
                    m.folders = ids;
                }
                return ok();
            }
            "move_media" => {
                let body = call.json();
                let (from, to) = (json_id(body.get("from")), json_id(body.get("to")));
                if from.is_none() || to.is_none() {
                    return error(400, "from and to must be folder ids");
                }
                (to, from)
            }
            "copy_media_to_folder" => (folder, None),
            "move_media_to_trash" => (trash, folder),
            _ => (None, folder),
        };
        if let Some(from) = from
            && !st.media[&id].folders.contains(&from)
        {
            return error(404, "the media is not in that folder");
        }
        if op != "remove_media_from_folder" && !exists(target) {
            return error(404, "no such folder");
        }
        // A media already in the trashcan is deleted when moved there again.
        let in_trash = trash.is_some_and(|t| from.is_some_and(|f| st.subtree(t).contains(&f)));
        if op == "move_media_to_trash" && in_trash {
            st.media.remove(&id);
            return ok();
        }
        let Some(m) = st.media.get_mut(&id) else {
            return error(404, "no such media");
        };
        if let Some(from) = from {
            m.folders.retain(|f| *f != from);
        }
        if let Some(to) = target
            && op != "remove_media_from_folder"
            && !m.folders.contains(&to)
        {
            m.folders.push(to);
        }
        if m.folders.is_empty() {
            // Taken out of its last folder: the media is gone.
            st.media.remove(&id);
        }
        ok()
    }

    /// `GET /media/{id}/version` and `GET /media/{id}/tags` (exiftool-style, grouped).
    pub(super) fn media_info(&self, st: &State, call: &Call<'_>) -> Reply {
        let id = match Self::media_id(st, call) {
            Ok(id) => id,
            Err(refusal) => return refusal,
        };
        let m = &st.media[&id];
        if call.route.operation == "get_media_version" {
            return Reply::json(200, json!({ "version": m.version }));
        }
        let mut exif = Map::new();
        if let (Some(w), Some(h)) = (m.width, m.height) {
            exif.insert("ExifImageWidth".into(), json!(w));
            exif.insert("ExifImageHeight".into(), json!(h));
        }
        if let Some(t) = m.camera_created() {
            exif.insert(
                "DateTimeOriginal".into(),
                json!(super::state::datetime(t).replace('-', ":")),
            );
        }
        Reply::json(
            200,
            json!([{
                "SourceFile": m.filename,
                "File": {"FileName": m.filename, "FileSize": m.blob.len(), "MIMEType": m.mime},
                "EXIF": exif,
                "IPTC": m.metadata.get("iptc").cloned().unwrap_or(json!({})),
            }]),
        )
    }

    /// `POST /media/{id}/stream` and `GET /media/{id}/metadata/stream_url` (404 until ready).
    pub(super) fn stream(&self, st: &mut State, call: &Call<'_>) -> Reply {
        let id = match Self::media_id(st, call) {
            Ok(id) => id,
            Err(refusal) => return refusal,
        };
        let Some(m) = st.media.get_mut(&id) else {
            return error(404, "no such media");
        };
        if call.route.operation == "create_media_stream" {
            if m.kind != Kind::Video {
                return error(400, "only a video can be streamed");
            }
            if m.stream == Stream::None {
                m.stream = Stream::Making(self.options.stream_polls);
            }
            return Reply::json(200, json!({"Status": "Created"}));
        }
        match m.stream {
            Stream::None => error(404, "no stream for this media"),
            Stream::Making(0) | Stream::Ready => {
                m.stream = Stream::Ready;
                let path = format!("/_storage/stream/{id}/playlist.m3u8");
                Reply::json(200, json!({ "Stream": format!("{}{path}", self.base()) }))
            }
            Stream::Making(n) => {
                m.stream = Stream::Making(n - 1);
                error(404, "the stream is not ready")
            }
        }
    }

    /// `GET /media/{id}/download_location[/{size}]`: a signed storage URL, valid a few minutes.
    pub(super) fn download_location(&self, st: &State, call: &Call<'_>, now: i64) -> Reply {
        let id = match Self::media_id(st, call) {
            Ok(id) => id,
            Err(refusal) => return refusal,
        };
        let m = &st.media[&id];
        if m.importing(now) {
            return error(404, "the media is still being imported");
        }
        let variant = call.path("size").unwrap_or("original");
        if variant == "preview" && m.kind != Kind::Video {
            return error(400, "only a video has a preview");
        }
        let expires = now + self.options.download_url_lifetime.as_secs() as i64;
        let path = format!("/_storage/media/{id}/{variant}/{}", super::state::encode(&m.filename));
        Reply::json(
            200,
            json!({
                "method": "GET",
                "url": self.signed_url(&path, expires),
                "internal_elb_url": format!("http://internal-skyfish-elb.invalid{path}"),
            }),
        )
    }

    /// `POST /cdn/{company_id}/folder/{cdn_folder_id}/replace/{old}/with/{new}`.
    pub(super) fn replace_cdn_file(&self, st: &State, call: &Call<'_>) -> Reply {
        if Self::id(call, "company_id") != Some(self.company) {
            return error(404, "no such company");
        }
        if !Self::id(call, "cdn_folder_id").is_some_and(|f| st.folders.contains_key(&f)) {
            return error(404, "no such folder");
        }
        let (old, new) = (Self::id(call, "old_media_id"), Self::id(call, "new_media_id"));
        if ![old, new].iter().all(|m| m.is_some_and(|m| st.media.contains_key(&m))) {
            return error(404, "no such media");
        }
        ok()
    }

    /// The company and user utilities answered from state; `None` (the spec's example) for the
    /// CDN aliases of the simulated company.
    pub(super) fn company(&self, st: &State, call: &Call<'_>) -> Option<Reply> {
        let op = call.route.operation;
        if op == "get_user_diskusage" {
            let user = Self::id(call, "id");
            if !user.is_some_and(|u| st.users.iter().any(|x| x.id == u)) {
                return Some(error(404, "no such user"));
            }
            if user != Some(self.user) {
                return Some(error(403, "you cannot see another user's disk usage"));
            }
        } else {
            let company = Self::id(call, "id").or_else(|| Self::id(call, "company_id"));
            if company != Some(self.company) {
                return Some(error(404, "no such company"));
            }
        }
        let used: u64 = st.media.values().filter(|m| !m.colourbox).map(|m| m.blob.len()).sum();
        Some(match op {
            "list_company_users" => Reply::json(
                200,
                Value::Array(
                    st.users
                        .iter()
                        .map(|u| json!({"id": u.id, "fullname": u.fullname, "href": format!("{}/user/{}", self.base(), u.id)}))
                        .collect(),
                ),
            ),
            "list_company_apikeys" => Reply::json(
                200,
                json!([{"id": 56, "key": self.credentials.api_key, "secret": self.credentials.api_secret.expose(), "companyId": self.company}]),
            ),
            "get_company_apiendpoint" => {
                let (protocol, host) = self.base().split_once("://").unwrap_or(("http", self.base()));
                Reply::json(200, json!({"protocol": protocol, "host": host}))
            }
            "get_company_diskusage" => Reply::json(200, json!({"used": used, "max": 1u64 << 40})),
            "get_user_diskusage" => Reply::json(200, json!([{"company_id": self.company, "diskusage": used}])),
            _ => return None,
        })
    }

    /// `GET /user/{id}/profileimage[/{size}]` (404 until one is uploaded) and its upload.
    pub(super) fn profile_image(&self, st: &mut State, call: &Call<'_>) -> Reply {
        let user = Self::id(call, "id");
        if !user.is_some_and(|u| st.users.iter().any(|x| x.id == u)) {
            return error(404, "no such user");
        }
        if call.route.operation == "upload_user_profile_image" {
            if user != Some(self.user) {
                return error(403, "you can only change your own profile image");
            }
            let ct = call.request.header("content-type").unwrap_or("");
            let parts = match super::storage::multipart(ct, &call.request.body) {
                Ok(parts) => parts,
                Err(why) => return error(400, &why),
            };
            let Some(file) = parts.into_iter().find(|p| p.name == "file") else {
                return error(400, "the form needs a file field");
            };
            st.profile_image = Some(file.body);
            return Reply::status(201);
        }
        match (&st.profile_image, user == Some(self.user)) {
            (Some(image), true) => Reply::status(200)
                .header("content-type", "image/jpeg")
                .body(image.to_vec()),
            _ => error(404, "no profile image"),
        }
    }
}
