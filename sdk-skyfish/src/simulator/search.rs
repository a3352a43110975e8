//! Search (`GET /search`, `GET /search/colourbox/download`): the filters of §4.1, paging with
//! `media_offset`/`media_count`, and hits holding exactly the requested `return_values`, in the
//! service's shape `{"response": {"media": [...], "hits": N}, "media_count": M, "media_offset": K}`.

use std::collections::BTreeSet;

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Map, Value, json};

use super::provider::Skyfish;
use super::state::{Media, State, datetime, error};

/// Every `return_values` value the service knows (§4.1.2).
const RETURN_VALUES: &[&str] = &[
    "keywords",
    "folder_tags",
    "suggested_keywords",
    "media_type",
    "height",
    "width",
    "unique_media_id",
    "folder_id",
    "created",
    "title",
    "description",
    "thumbnail_url",
    "thumbnail_url_ssl",
    "filename",
    "copyright",
    "camera_created",
    "byline",
    "file_mimetype",
    "file_disksize",
    "uploaded_by",
    "geo_location",
    "consent_forms",
    "consent_exempt",
];

/// The default page size.
const DEFAULT_COUNT: usize = 500;

/// The values of a `+`-joined parameter (a literal `+` arrives as a space); `Err` when one was
/// joined with `%2B` instead, which the service does not accept.
fn joined<'c>(call: &'c Call<'_>, name: &str) -> Result<Option<Vec<&'c str>>, Reply> {
    let Some(v) = call.query(name) else { return Ok(None) };
    let parts: Vec<&str> = v.split(' ').filter(|s| !s.is_empty()).collect();
    if parts.iter().any(|p| p.contains('+')) {
        return Err(error(
            400,
            &format!("{name}: join several values with a literal `+`, not `%2B`"),
        ));
    }
    Ok(Some(parts))
}

/// A time as the date filters take it: RFC 3339, `yyyy-mm-dd` or UNIX seconds.
fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    }
    s.parse().ok()
}

/// Lower-case words of a text.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Great-circle distance in km.
fn distance((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    12_742.0 * a.sqrt().asin()
}

impl Skyfish {
    /// Every text a search term is matched against.
    fn search_text(st: &State, m: &Media, lang: &str) -> String {
        let uploader = st
            .users
            .iter()
            .find(|u| u.id == m.uploaded_by)
            .map(|u| u.fullname.as_str())
            .unwrap_or_default();
        let mut text = m.keywords(lang).join(" ");
        for part in [
            m.text("title", lang),
            m.text("description", lang),
            m.iptc("CopyrightNotice").unwrap_or_default(),
            uploader.to_string(),
            m.filename.clone(),
        ] {
            text.push(' ');
            text.push_str(&part);
        }
        text
    }

    /// Whether `q` matches: every term as a whole word (`strict_and_search`, the default), or any
    /// term as a part of a word (`wildcards`); a `-term` excludes.
    fn matches(text: &str, q: &str, wildcards: bool) -> bool {
        let have: BTreeSet<String> = words(text).collect();
        let lower = text.to_lowercase();
        let found = |term: &str| {
            if wildcards {
                words(term).all(|w| lower.contains(&w))
            } else {
                words(term).all(|w| have.contains(&w))
            }
        };
        let (mut any, mut all, mut positives) = (false, true, 0);
        for term in q.split_whitespace() {
            if let Some(excluded) = term.strip_prefix('-') {
                if !excluded.is_empty() && found(excluded) {
                    return false;
                }
                continue;
            }
            positives += 1;
            let hit = found(term);
            any |= hit;
            all &= hit;
        }
        positives == 0 || if wildcards { any } else { all }
    }

    /// One hit with the requested fields.
    fn hit(&self, st: &State, m: &Media, fields: &[&str], lang: &str, thumb: &str, now: i64) -> Value {
        let mut out = Map::new();
        for field in fields {
            let value = match *field {
                "keywords" => json!(m.keywords(lang)),
                "folder_tags" => {
                    let mut tags: Vec<&String> = Vec::new();
                    for t in m.folders.iter().filter_map(|f| st.folders.get(f)).flat_map(|f| &f.tags) {
                        if !tags.contains(&t) {
                            tags.push(t);
                        }
                    }
                    json!(tags)
                }
                "suggested_keywords" | "consent_forms" => json!([]),
                "media_type" => json!(m.kind.as_str()),
                "height" => json!(m.height),
                "width" => json!(m.width),
                "unique_media_id" => json!(m.id),
                "folder_id" if m.colourbox => continue,
                "folder_id" => json!(m.folders.first()),
                "created" => json!(datetime(m.created)),
                "title" => json!(m.text("title", lang)),
                "description" => json!(m.text("description", lang)),
                "thumbnail_url" | "thumbnail_url_ssl" => {
                    let path = format!("/_storage/thumb/{}/{thumb}.gif", m.id);
                    json!(self.signed_url(&path, now + 24 * 3600))
                }
                "filename" => json!(m.filename),
                "copyright" => json!(m.iptc("CopyrightNotice").unwrap_or_default()),
                "byline" => json!(m.iptc("By-line").unwrap_or_default()),
                "camera_created" => json!(m.camera_created()),
                "file_mimetype" => json!(m.mime),
                "file_disksize" => json!(m.blob.len()),
                "uploaded_by" => json!(m.uploaded_by),
                "geo_location" => match m.geo() {
                    Some((lat, lon)) => json!({"latitude": lat, "longitude": lon}),
                    None => json!({}),
                },
                "consent_exempt" => json!(false),
                _ => continue,
            };
            out.insert((*field).to_string(), value);
        }
        Value::Object(out)
    }

    /// `GET /search` (own media) and `GET /search/colourbox/download` (the Colourbox downloads).
    pub(super) fn search(&self, st: &State, call: &Call<'_>, now: i64, colourbox: bool) -> Reply {
        match self.try_search(st, call, now, colourbox) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    fn try_search(&self, st: &State, call: &Call<'_>, now: i64, colourbox: bool) -> Result<Reply, Reply> {
        let fields = joined(call, "return_values")?.unwrap_or_default();
        if fields.is_empty() {
            return Err(error(400, "return_values needs at least one value"));
        }
        if let Some(bad) = fields.iter().find(|f| !RETURN_VALUES.contains(f)) {
            return Err(error(400, &format!("return_values: unknown value `{bad}`")));
        }
        if colourbox && call.query("folder_ids").is_some() {
            return Err(error(400, "folder_ids is not an allowed parameter"));
        }
        let order = call.query("order");
        if call.query("direction").is_some() && order.is_none() {
            return Err(error(400, "direction is only allowed together with order"));
        }
        let origin = match (call.query("latitude"), call.query("longitude")) {
            (Some(a), Some(b)) => a.trim().parse().ok().zip(b.trim().parse().ok()),
            _ => None,
        };
        if order == Some("distance") && origin.is_none() {
            return Err(error(400, "order=distance needs latitude and longitude"));
        }
        let types = joined(call, "media_type")?;
        if let Some(bad) = types
            .iter()
            .flatten()
            .find(|t| !["image", "vector", "video", "generic"].contains(t))
        {
            return Err(error(400, &format!("media_type: unknown type `{bad}`")));
        }
        let folders = if colourbox { None } else { joined(call, "folder_ids")? };
        let unique = joined(call, "unique_media_id")?;
        let q = call.query("q").map(str::trim).filter(|q| !q.is_empty());
        let lang = if colourbox {
            call.query("lang").unwrap_or("en")
        } else {
            "en"
        };
        let thumb = call.query("thumbnail_size").unwrap_or("320px");

        // At least one of q, unique_media_id or folder_ids, otherwise no result (§4.1).
        if q.is_none() && unique.is_none() && folders.is_none() {
            return Ok(Self::answer(Vec::new(), 0, 0));
        }
        let mut scope: Option<BTreeSet<i64>> = folders.map(|ids| {
            ids.iter()
                .filter_map(|id| id.parse::<i64>().ok())
                .filter(|id| st.folders.contains_key(id))
                .collect()
        });
        if call.query("recursive").is_some_and(|v| v == "true" || v == "1")
            && let Some(s) = &mut scope
        {
            let roots: Vec<i64> = s.iter().copied().collect();
            for root in roots {
                s.extend(st.subtree(root));
            }
        }
        let unique: Option<BTreeSet<i64>> = unique.map(|ids| ids.iter().filter_map(|id| id.parse().ok()).collect());
        let int = |name: &str| call.query_int(name);
        let (min_w, min_h) = (int("min_width"), int("min_height"));
        let date_field = call.query("date_filter_field").unwrap_or("created");
        let (min_date, max_date) = (
            call.query("min_date").and_then(parse_time),
            call.query("max_date").and_then(parse_time),
        );
        let today = datetime(now).get(..10).unwrap_or_default().to_string();
        let exclude_expired = call
            .query("exclude_expired_media")
            .is_some_and(|v| v == "true" || v == "1");
        let (min_exp, max_exp) = (call.query("min_expiration_date"), call.query("max_expiration_date"));
        let wildcards = call.query("query_type") == Some("wildcards");
        let orientation = call.query("orientation");
        let resolution = call.query("resolution");

        let mut hits: Vec<&Media> = st
            .media
            .values()
            .filter(|m| m.colourbox == colourbox && !m.importing(now))
            .filter(|m| scope.as_ref().is_none_or(|s| m.folders.iter().any(|f| s.contains(f))))
            .filter(|m| unique.as_ref().is_none_or(|u| u.contains(&m.id)))
            .filter(|m| types.as_ref().is_none_or(|t| t.contains(&m.kind.as_str())))
            .filter(|m| min_w.is_none_or(|w| m.width.is_some_and(|x| x >= w)))
            .filter(|m| min_h.is_none_or(|h| m.height.is_some_and(|x| x >= h)))
            .filter(|m| match (orientation, m.width, m.height) {
                (None, _, _) => true,
                (Some("horizontal"), Some(w), Some(h)) => w > h,
                (Some("vertical"), Some(w), Some(h)) => h > w,
                _ => false,
            })
            .filter(|m| match (resolution, m.width, m.height) {
                (None, _, _) => true,
                (Some(r), Some(w), Some(h)) => {
                    let (long, short) = if r == "a3" { (4961, 3508) } else { (3508, 2480) };
                    w.max(h) >= long && w.min(h) >= short
                }
                _ => false,
            })
            .filter(|m| {
                let t = match date_field {
                    "camera_created" => m.camera_created(),
                    "last_modified" => Some(m.modified),
                    _ => Some(m.created),
                };
                min_date.is_none_or(|d| t.is_some_and(|t| t >= d)) && max_date.is_none_or(|d| t.is_some_and(|t| t <= d))
            })
            .filter(|m| !(exclude_expired && m.expiration.as_ref().is_some_and(|e| *e < today)))
            .filter(|m| min_exp.is_none_or(|d| m.expiration.as_deref().is_some_and(|e| e >= d)))
            .filter(|m| max_exp.is_none_or(|d| m.expiration.as_deref().is_some_and(|e| e <= d)))
            .filter(|m| q.is_none_or(|q| Self::matches(&Self::search_text(st, m, lang), q, wildcards)))
            .collect();
        match order {
            Some("created") => hits.sort_by_key(|m| (m.created, m.id)),
            Some("distance") => {
                let from = origin.unwrap_or_default();
                hits.sort_by(|a, b| {
                    let d = |m: &Media| m.geo().map(|g| distance(from, g)).unwrap_or(f64::MAX);
                    d(a).total_cmp(&d(b)).then(a.id.cmp(&b.id))
                });
            }
            _ => {}
        }
        if call.query("direction") == Some("desc") {
            hits.reverse();
        }
        let total = hits.len();
        let offset = call.query_int("media_offset").unwrap_or(0).max(0) as usize;
        let count = call
            .query_int("media_count")
            .map(|c| c.max(0) as usize)
            .unwrap_or(DEFAULT_COUNT);
        let page: Vec<Value> = hits
            .iter()
            .skip(offset)
            .take(count)
            .map(|m| self.hit(st, m, &fields, lang, thumb, now))
            .collect();
        Ok(Self::answer(page, total, offset))
    }

    fn answer(media: Vec<Value>, hits: usize, offset: usize) -> Reply {
        let count = media.len();
        Reply::json(
            200,
            json!({"response": {"media": media, "hits": hits}, "media_count": count, "media_offset": offset}),
        )
    }
}
