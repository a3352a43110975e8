//! The v3 Graph API operations, on the same state as v2 (a v3 `_id` is the v2 uuid):
//!
//! - **tables**: `GET /api/3.0.0/{clientid}/{table}` where the raw path segment is `resource` or
//!   `folder` followed by `.limit(<n>)` / `.limit(<offset>,<n>)` and `.order(<field>[:-1])`. The
//!   segment is read as sent: a percent-encoded one (`resource.limit%280%2C10%29`) names no table
//!   and answers 400, as do unknown modifiers and order fields. Without `.limit` a page holds 100
//!   rows. `searchParams[keywords]`, `[folderId]` (resources) and `[parentId]` (folders) filter;
//!   answers `{"response": {"count", "offset", "rows"}}` with `count` the matches in all.
//! - **update** `PUT …/resource/{uuid}` with `{"data": {...}}`: `tags` (replaced), `name`,
//!   `description`; answers `{"response": <row>}`.
//! - **download** `GET …/resource/{uuid}?action=download`: the current file, with `Range` and a
//!   `Content-Disposition` naming it.
//! - **upload** `POST …/file?target=…` (multipart part `file`): keeps the bytes and answers
//!   `{"response": {"_id": <hash>, "error": 0}}`.
//! - **query** `POST /api/json`: a `GET` of a table with `query_params.searchParams`, answered like
//!   the path form; the body's `client` must be the account's (403) and `version` `3.0.0`; other
//!   methods are not simulated (400).

use dam_test_server::Reply;
use dam_test_server::sim::{Blob, Call};
use serde_json::{Map, Value, json};

use super::multipart;
use super::service::{Ib, digest, terms, v3_time};
use super::world::{Folder, Resource, World};

/// Rows per page when the table has no `.limit`.
const DEFAULT_ROWS: u64 = 100;

/// A parsed table segment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TableSpec {
    name: String,
    offset: u64,
    limit: u64,
    order: Option<(String, bool)>,
}

/// Reads `resource.limit(0,100).order(createTime:-1)`.
fn parse_table(raw: &str) -> Result<TableSpec, String> {
    if raw.contains('%') {
        return Err(format!(
            "unknown table {raw:?} (its punctuation must not be percent-encoded)"
        ));
    }
    let mut pieces = raw.split('.');
    let name = pieces.next().unwrap_or_default().to_string();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("unknown table {raw:?}"));
    }
    let mut table = TableSpec {
        name,
        offset: 0,
        limit: DEFAULT_ROWS,
        order: None,
    };
    for piece in pieces {
        let (modifier, args) = piece
            .strip_suffix(')')
            .and_then(|p| p.split_once('('))
            .ok_or_else(|| format!("the table modifier {piece:?} is not `name(arguments)`"))?;
        match modifier {
            "limit" => {
                let numbers: Result<Vec<u64>, _> = args.split(',').map(|n| n.trim().parse::<u64>()).collect();
                match numbers.as_deref() {
                    Ok([limit]) => table.limit = *limit,
                    Ok([offset, limit]) => (table.offset, table.limit) = (*offset, *limit),
                    _ => return Err(format!("limit({args}) is not limit(<n>) or limit(<offset>,<n>)")),
                }
            }
            "order" => {
                let (field, direction) = args.split_once(':').unwrap_or((args, "1"));
                let descending = match direction.trim() {
                    "-1" => true,
                    "1" => false,
                    other => return Err(format!("unknown order direction {other:?}")),
                };
                table.order = Some((field.trim().to_string(), descending));
            }
            other => return Err(format!("unknown table modifier {other:?}")),
        }
    }
    Ok(table)
}

/// Search parameters of a listing: from the query (`searchParams[name]`) or a POST query's JSON.
#[derive(Debug, Default)]
struct Search {
    keywords: Option<String>,
    folder: Option<String>,
    parent: Option<String>,
}

impl Search {
    fn from_call(call: &Call<'_>) -> Self {
        let get = |name: &str| call.query(&format!("searchParams[{name}]")).map(str::to_string);
        Self {
            keywords: get("keywords"),
            folder: get("folderId"),
            parent: get("parentId"),
        }
    }

    fn from_json(params: &Map<String, Value>) -> Self {
        let search = params.get("searchParams").and_then(Value::as_object);
        let get = |name: &str| {
            search
                .and_then(|s| s.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Self {
            keywords: get("keywords"),
            folder: get("folderId"),
            parent: get("parentId"),
        }
    }
}

/// A readable size (`4.14 KB`).
fn fancy_size(len: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if len < 1024 {
        return format!("{len} B");
    }
    let mut size = len as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.2} {}", UNITS[unit])
}

/// A readable file type (`Image (png)`).
fn fancy_type(content_type: &str, ext: &str) -> String {
    let kind = match content_type.split('/').next().unwrap_or_default() {
        "image" => "Image",
        "video" => "Video",
        "audio" => "Audio",
        "text" => "Text",
        _ if content_type == "application/pdf" => "Document",
        _ => "File",
    };
    format!("{kind} ({ext})")
}

impl Ib {
    /// A resource as a v3 row.
    fn resource_row(&self, world: &World, r: &Resource) -> Value {
        let v = r.current();
        let path: Vec<Value> = world
            .path_to(&r.folder)
            .iter()
            .map(|f| json!({"_id": f.uuid, "name": f.name}))
            .collect();
        json!({
            "_id": r.uuid,
            "name": r.title,
            "description": r.description,
            "folder": r.folder,
            "folderPath": path,
            "file": {"type": v.content_type, "name": v.file_name, "size": v.blob.len(), "hash": v.hash},
            "fancyFileType": fancy_type(&v.content_type, &v.ext()),
            "fancyFileSize": fancy_size(v.blob.len()),
            "createTime": v3_time(r.created),
            "lastUpdateTime": v3_time(r.updated),
            "tags": r.tags,
            "allowedActions": ["view", "publish", "list", "admin"],
            "creatorName": self.account.full_name(),
        })
    }

    /// A folder as a v3 row.
    fn folder_row(&self, world: &World, f: &Folder) -> Value {
        json!({
            "_id": f.uuid,
            "name": f.name,
            "parent": f.parent,
            "description": f.description,
            "createTime": v3_time(f.created),
            "folders_count": world.children(&f.uuid).len(),
            "resources_count": world.resources_in(&f.uuid).count().to_string(),
            "isPublic": false,
            "allowedActions": ["view", "list", "admin"],
        })
    }

    /// One page of a table, or the 400.
    fn table_page(&self, table: &TableSpec, search: &Search) -> Result<Value, Reply> {
        let world = self.world();
        let terms = terms(search.keywords.as_deref().unwrap_or_default());
        let refuse = |m: String| self.fail(400, &m);
        let (count, rows) = match table.name.as_str() {
            "resource" => {
                let mut found: Vec<&Resource> = world
                    .resources
                    .values()
                    .filter(|r| search.folder.as_ref().is_none_or(|f| &r.folder == f))
                    .filter(|r| r.matches(&terms))
                    .collect();
                if let Some((field, descending)) = &table.order {
                    match field.as_str() {
                        "createTime" | "_id" => found.sort_by_key(|r| (r.created, r.id)),
                        "lastUpdateTime" => found.sort_by_key(|r| (r.updated, r.id)),
                        "name" => found.sort_by_key(|r| (r.title.to_lowercase(), r.id)),
                        other => return Err(refuse(format!("cannot order resources by {other:?}"))),
                    }
                    if *descending {
                        found.reverse();
                    }
                }
                let rows = found
                    .iter()
                    .skip(table.offset as usize)
                    .take(table.limit as usize)
                    .map(|r| self.resource_row(&world, r))
                    .collect::<Vec<_>>();
                (found.len(), rows)
            }
            "folder" => {
                let mut found: Vec<&Folder> = world
                    .folders
                    .values()
                    .filter(|f| f.parent.is_some())
                    .filter(|f| search.parent.as_ref().is_none_or(|p| f.parent.as_ref() == Some(p)))
                    .filter(|f| {
                        let name = f.name.to_lowercase();
                        terms.iter().all(|t| name.contains(t.as_str()))
                    })
                    .collect();
                found.sort_by_key(|f| f.seq);
                if let Some((field, descending)) = &table.order {
                    match field.as_str() {
                        "createTime" | "_id" => found.sort_by_key(|f| (f.created, f.seq)),
                        "name" => found.sort_by_key(|f| (f.name.to_lowercase(), f.seq)),
                        other => return Err(refuse(format!("cannot order folders by {other:?}"))),
                    }
                    if *descending {
                        found.reverse();
                    }
                }
                let rows = found
                    .iter()
                    .skip(table.offset as usize)
                    .take(table.limit as usize)
                    .map(|f| self.folder_row(&world, f))
                    .collect::<Vec<_>>();
                (found.len(), rows)
            }
            other => return Err(refuse(format!("unknown table {other:?}"))),
        };
        Ok(json!({"response": {"count": count, "offset": table.offset, "rows": rows}}))
    }

    /// `GET /api/3.0.0/{clientid}/{table}`: the table segment is read from the raw path.
    pub(super) fn v3_list(&self, call: &Call<'_>) -> Reply {
        let raw = call.request.path.rsplit('/').next().unwrap_or_default();
        let table = match parse_table(raw) {
            Ok(t) => t,
            Err(e) => return self.fail(400, &e),
        };
        match self.table_page(&table, &Search::from_call(call)) {
            Ok(page) => Reply::json(200, page),
            Err(refusal) => refusal,
        }
    }

    /// `PUT …/resource/{uuid}` with `{"data": {...}}`.
    pub(super) fn v3_update(&self, call: &Call<'_>) -> Reply {
        let uuid = call.path("uuid").unwrap_or_default();
        let body = call.json();
        let Some(data) = body.get("data").and_then(Value::as_object) else {
            return self.fail(400, "The body must be {\"data\": {...}}.");
        };
        let tags = match data.get("tags") {
            None | Some(Value::Null) => None,
            Some(Value::Array(list)) if list.iter().all(Value::is_string) => Some(
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            ),
            Some(_) => return self.fail(400, "data.tags must be a list of strings."),
        };
        let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_string);
        let now = self.now();
        let mut world = self.world();
        let Some(r) = world.resource_mut(uuid) else {
            return self.fail(404, "Resource not found.");
        };
        if let Some(tags) = tags {
            r.tags = tags;
        }
        if let Some(name) = text("name").filter(|n| !n.trim().is_empty()) {
            r.title = name;
        }
        if let Some(description) = text("description") {
            r.description = description;
        }
        r.updated = now;
        let r = r.clone();
        Reply::json(200, json!({"response": self.resource_row(&world, &r)}))
    }

    /// `GET …/resource/{uuid}?action=download`.
    pub(super) fn v3_download(&self, call: &Call<'_>) -> Reply {
        let uuid = call.path("uuid").unwrap_or_default();
        let Some(v) = self.world().resource(uuid).map(|r| r.current().clone()) else {
            return self.fail(404, "Resource not found.");
        };
        v.blob.reply(call.request, &v.content_type).header(
            "content-disposition",
            &format!("attachment; filename=\"{}\"", v.file_name),
        )
    }

    /// `POST …/file?target=…` (multipart part `file`).
    pub(super) fn v3_upload(&self, call: &Call<'_>) -> Reply {
        let content_type = call.request.header("content-type").unwrap_or_default();
        let parts = match multipart::parse(content_type, &call.request.body) {
            Ok(parts) => parts,
            Err(e) => return self.fail(400, &format!("The upload is not a multipart/form-data body: {e}.")),
        };
        let Some(file) = parts.into_iter().find(|p| p.name == "file") else {
            return self.fail(400, "The file must be sent in a part named file.");
        };
        let hash = digest(file.body.iter().copied());
        self.world()
            .v3_files
            .insert(hash.clone(), Blob::Bytes(bytes::Bytes::from(file.body)));
        Reply::json(200, json!({"response": {"_id": hash, "error": 0}}))
    }

    /// `POST /api/json`.
    pub(super) fn v3_query(&self, call: &Call<'_>) -> Reply {
        let body = call.json();
        let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
        if text("client") != self.account.clientid {
            return self.fail(403, "Forbidden: this session does not belong to that client.");
        }
        if text("version") != "3.0.0" {
            return self.fail(400, "version must be 3.0.0.");
        }
        if text("method") != "GET" {
            return self.fail(400, "Only GET queries are simulated.");
        }
        let table = match parse_table(text("table")) {
            Ok(t) => t,
            Err(e) => return self.fail(400, &e),
        };
        let params = body
            .get("query_params")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match self.table_page(&table, &Search::from_json(&params)) {
            Ok(page) => Reply::json(200, page),
            Err(refusal) => refusal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_segments_are_read_like_the_service() {
        let t = parse_table("resource.limit(20,10).order(createTime:-1)").unwrap();
        assert_eq!(
            t,
            TableSpec {
                name: "resource".into(),
                offset: 20,
                limit: 10,
                order: Some(("createTime".into(), true)),
            }
        );
        assert_eq!(parse_table("folder.limit(5)").unwrap().limit, 5);
        assert_eq!(parse_table("folder").unwrap().limit, DEFAULT_ROWS);
        assert_eq!(
            parse_table("resource.order(name)").unwrap().order,
            Some(("name".into(), false))
        );
        assert!(
            parse_table("resource.limit%280%2C10%29").is_err(),
            "escaped punctuation"
        );
        assert!(parse_table("resource.limit(a)").is_err());
        assert!(parse_table("resource.skip(1)").is_err());
        assert!(parse_table("resource.limit(1").is_err());
    }

    #[test]
    fn sizes_and_types_read_like_the_service() {
        assert_eq!(fancy_size(4236), "4.14 KB");
        assert_eq!(fancy_size(12), "12 B");
        assert_eq!(fancy_size(3 << 30), "3.00 GB");
        assert_eq!(fancy_type("image/png", "png"), "Image (png)");
        assert_eq!(fancy_type("application/pdf", "pdf"), "Document (pdf)");
    }
}
