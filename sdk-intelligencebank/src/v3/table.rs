//! How a v3 listing says what it wants: the table segment and the search parameters.
//!
//! A v3 listing names a table and its modifiers in **one path segment** (`shared/facts.md`,
//! "IntelligenceBank v3"):
//!
//! ```text
//! GET {apiV3url}/api/3.0.0/{clientid}/resource.limit(0,100).order(createTime:-1)?searchParams%5BfolderId%5D=…
//! ```
//!
//! - `.limit(<offset>,<limit>)` selects a page (`.limit(<limit>)` the first `<limit>` rows);
//! - `.order(<field>:-1)` sorts descending, `.order(<field>)` ascending.
//!
//! The service reads the `(`, `)`, `,` and `:` of that segment literally, so they must reach it
//! unescaped. [`Table`] builds the segment from typed parts and refuses table and field names
//! with any punctuation other than `_`, `-` and `.`, so nothing in the segment ever needs escaping;
//! it is appended to the URL's path as it is. (The `url` crate's path-segment encoding leaves
//! `(`, `)`, `,` and `:` alone; the unit tests below pin that, and the crate's loopback tests pin
//! the raw path as the server receives it.)
//!
//! Search parameters travel in the query as `searchParams[<name>]=<value>` ([`SearchParams`]),
//! form-encoded like every query value: the brackets go as `%5B`/`%5D` and a space as `+`
//! (`searchParams%5Bkeywords%5D=annual+report`), which a server decodes to
//! `searchParams[keywords]=annual report` before it reads the brackets. `verbose=true` sits beside
//! them, outside `searchParams`.

use std::fmt;

use reqwest::Url;

use crate::Error;

/// The order of a listing: `.order(<field>)` (ascending) or `.order(<field>:-1)` (descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first: `.order(<field>)`.
    #[default]
    Ascending,
    /// Largest (newest) first: `.order(<field>:-1)`.
    Descending,
}

/// Which rows of a table a listing selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// `.limit(<limit>)`: the first rows.
    First(u64),
    /// `.limit(<offset>,<limit>)`: a page.
    Page { offset: u64, limit: u64 },
}

/// A v3 table with its modifiers: the path segment of a listing, e.g.
/// `resource.limit(0,100).order(createTime:-1)`.
///
/// ```
/// use sdk_intelligencebank::v3::{Direction, Table};
///
/// let table = Table::resource().limit(0, 100).order("createTime", Direction::Descending);
/// assert_eq!(table.to_string(), "resource.limit(0,100).order(createTime:-1)");
/// assert_eq!(Table::folder().first(100).order("createTime", Direction::Ascending).to_string(),
///            "folder.limit(100).order(createTime)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    name: String,
    limit: Option<Limit>,
    order: Option<(String, Direction)>,
}

impl Table {
    /// A table by name (`resource`, `folder`, or another table of the v3 API).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            limit: None,
            order: None,
        }
    }

    /// The `resource` table: resources (files).
    pub fn resource() -> Self {
        Self::new("resource")
    }

    /// The `folder` table: folders.
    pub fn folder() -> Self {
        Self::new("folder")
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Selects `limit` rows starting at row `offset`: `.limit(<offset>,<limit>)`. Replaces an
    /// earlier limit.
    pub fn limit(mut self, offset: u64, limit: u64) -> Self {
        self.limit = Some(Limit::Page { offset, limit });
        self
    }

    /// Selects the first `limit` rows: `.limit(<limit>)`. Replaces an earlier limit.
    pub fn first(mut self, limit: u64) -> Self {
        self.limit = Some(Limit::First(limit));
        self
    }

    /// Sorts by `field` (e.g. `createTime`, `lastUpdateTime`): `.order(<field>)` or
    /// `.order(<field>:-1)`. Replaces an earlier order.
    pub fn order(mut self, field: impl Into<String>, direction: Direction) -> Self {
        self.order = Some((field.into(), direction));
        self
    }

    /// The path segment, after checking that the table name is made of ASCII letters, digits and
    /// `_`, and the order field of those and `-` and `.` (so nothing in the segment needs
    /// escaping). Fails with [`Error::InvalidInput`] naming the offending name.
    pub fn segment(&self) -> Result<String, Error> {
        check_name("table name", &self.name, b"_")?;
        if let Some((field, _)) = &self.order {
            check_name("order field", field, b"_-.")?;
        }
        Ok(self.to_string())
    }

    /// `root` (`{apiV3url}/api/3.0.0/{clientid}`) with this table's segment appended, its
    /// punctuation unescaped.
    pub(crate) fn url_under(&self, root: &Url) -> Result<Url, Error> {
        let segment = self.segment()?;
        let mut url = root.clone();
        url.path_segments_mut()
            .map_err(|()| Error::InvalidInput("the v3 root URL cannot hold a path".into()))?
            .pop_if_empty()
            .push(&segment);
        Ok(url)
    }
}

/// The segment as sent (without the checks of [`Table::segment`]); this is also the `table` of a
/// POST query ([`V3::query`](crate::v3::V3::query)).
impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        match self.limit {
            Some(Limit::First(limit)) => write!(f, ".limit({limit})")?,
            Some(Limit::Page { offset, limit }) => write!(f, ".limit({offset},{limit})")?,
            None => {}
        }
        match &self.order {
            Some((field, Direction::Ascending)) => write!(f, ".order({field})"),
            Some((field, Direction::Descending)) => write!(f, ".order({field}:-1)"),
            None => Ok(()),
        }
    }
}

fn check_name(what: &str, name: &str, punctuation: &[u8]) -> Result<(), Error> {
    let ok = |b: u8| b.is_ascii_alphanumeric() || punctuation.contains(&b);
    if name.is_empty() || !name.bytes().all(ok) {
        return Err(Error::InvalidInput(format!(
            "v3 {what} {name:?} may only hold ASCII letters, digits and {:?}",
            String::from_utf8_lossy(punctuation)
        )));
    }
    Ok(())
}

/// The search parameters of a v3 listing: `searchParams[<name>]=<value>` pairs in the query (and
/// `verbose`), in the order they were set.
///
/// ```
/// use sdk_intelligencebank::v3::SearchParams;
///
/// let search = SearchParams::new().keywords("annual report").folder("06da9efd9e96a973015a5571b65d4b6c");
/// assert_eq!(
///     search.query_pairs(),
///     [
///         ("searchParams[isSearching]".to_string(), "true".to_string()),
///         ("searchParams[keywords]".to_string(), "annual report".to_string()),
///         ("searchParams[folderId]".to_string(), "06da9efd9e96a973015a5571b65d4b6c".to_string()),
///     ]
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    params: Vec<(String, String)>,
    verbose: Option<bool>,
}

impl SearchParams {
    /// No search parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// A keyword search: `searchParams[isSearching]=true` and `searchParams[keywords]=<words>`.
    pub fn keywords(self, words: impl Into<String>) -> Self {
        self.param("isSearching", "true").param("keywords", words)
    }

    /// Only the resources of one folder: `searchParams[folderId]=<id>`.
    pub fn folder(self, folder_id: impl Into<String>) -> Self {
        self.param("folderId", folder_id)
    }

    /// Only the sub-folders of one folder (folder listings): `searchParams[parentId]=<id>`.
    pub fn parent(self, parent_id: impl Into<String>) -> Self {
        self.param("parentId", parent_id)
    }

    /// Any other search parameter: `searchParams[<name>]=<value>`. Setting a name again replaces
    /// its value in place.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        match self.params.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.params.push((name, value)),
        }
        self
    }

    /// `verbose=true` (full rows) or `verbose=false`; not sent unless set.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = Some(verbose);
        self
    }

    /// The query pairs as they are sent (before form encoding).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .params
            .iter()
            .map(|(n, v)| (format!("searchParams[{n}]"), v.clone()))
            .collect();
        if let Some(verbose) = self.verbose {
            pairs.push(("verbose".into(), verbose.to_string()));
        }
        pairs
    }

    /// The same parameters as the `query_params` of a POST query: `{"searchParams": {...}}` (and
    /// `"verbose"`), every value a string as in the URL form.
    pub fn to_query_params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut out = serde_json::Map::new();
        if !self.params.is_empty() {
            let search = self
                .params
                .iter()
                .map(|(n, v)| (n.clone(), serde_json::Value::String(v.clone())))
                .collect();
            out.insert("searchParams".into(), serde_json::Value::Object(search));
        }
        if let Some(verbose) = self.verbose {
            out.insert("verbose".into(), serde_json::Value::String(verbose.to_string()));
        }
        out
    }

    /// Appends the pairs to `url`'s query, form-encoded.
    pub(crate) fn append_to(&self, url: &mut Url) {
        let pairs = self.query_pairs();
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Url {
        Url::parse("https://usprod2usv3.intelligencebank.com/api/3.0.0/BnK4JV").unwrap()
    }

    #[test]
    fn the_table_segment_keeps_its_punctuation_unescaped() {
        let table = Table::resource()
            .limit(200, 100)
            .order("lastUpdateTime", Direction::Descending);
        let url = table.url_under(&root()).unwrap();
        assert_eq!(
            url.as_str(),
            "https://usprod2usv3.intelligencebank.com/api/3.0.0/BnK4JV/resource.limit(200,100).order(lastUpdateTime:-1)"
        );
        assert_eq!(
            url.path(),
            "/api/3.0.0/BnK4JV/resource.limit(200,100).order(lastUpdateTime:-1)"
        );
        for c in ['(', ')', ',', ':'] {
            assert!(url.path().contains(c), "{c} was escaped: {}", url.path());
        }
        assert!(!url.path().contains('%'), "{}", url.path());
        // A root with a trailing slash gets no empty segment.
        let slash = Url::parse("https://v3.example/api/3.0.0/7/").unwrap();
        assert_eq!(
            Table::folder()
                .first(100)
                .order("createTime", Direction::Ascending)
                .url_under(&slash)
                .unwrap()
                .path(),
            "/api/3.0.0/7/folder.limit(100).order(createTime)"
        );
    }

    #[test]
    fn the_segment_is_built_from_its_parts() {
        assert_eq!(Table::resource().to_string(), "resource");
        assert_eq!(Table::resource().first(1).to_string(), "resource.limit(1)");
        assert_eq!(
            Table::resource().first(5).limit(0, 100).to_string(),
            "resource.limit(0,100)",
            "a later limit replaces an earlier one"
        );
        assert_eq!(
            Table::new("resource")
                .order("file.size", Direction::Ascending)
                .segment()
                .unwrap(),
            "resource.order(file.size)"
        );
    }

    #[test]
    fn names_that_would_need_escaping_are_refused() {
        for bad in ["resource/../x", "res ource", "resource?x=1", "", "resource#", "r%28"] {
            let e = Table::new(bad).segment().unwrap_err();
            assert!(matches!(e, Error::InvalidInput(_)), "{bad:?}: {e:?}");
            assert!(Table::new(bad).url_under(&root()).is_err());
        }
        for bad in ["createTime)", "a,b", "x:1", "a b", "a/b"] {
            let table = Table::resource().order(bad, Direction::Descending);
            assert!(matches!(table.segment(), Err(Error::InvalidInput(_))), "{bad:?}");
        }
    }

    #[test]
    fn search_params_are_form_encoded_in_the_query() {
        let mut url = root();
        SearchParams::new()
            .keywords("annual report")
            .folder("06da9efd9e96a973015a5571b65d4b6c")
            .param("ext", "pdf&doc")
            .verbose(true)
            .append_to(&mut url);
        assert_eq!(
            url.query(),
            Some(
                "searchParams%5BisSearching%5D=true&searchParams%5Bkeywords%5D=annual+report\
                 &searchParams%5BfolderId%5D=06da9efd9e96a973015a5571b65d4b6c\
                 &searchParams%5Bext%5D=pdf%26doc&verbose=true"
            )
        );
        let mut bare = root();
        SearchParams::new().append_to(&mut bare);
        assert_eq!(bare.query(), None);
    }

    #[test]
    fn setting_a_search_param_again_replaces_it() {
        let search = SearchParams::new().keywords("a").parent("p").keywords("b");
        assert_eq!(
            search.query_pairs(),
            [
                ("searchParams[isSearching]".to_string(), "true".to_string()),
                ("searchParams[keywords]".to_string(), "b".to_string()),
                ("searchParams[parentId]".to_string(), "p".to_string()),
            ]
        );
        assert_eq!(
            serde_json::Value::Object(search.verbose(true).to_query_params()),
            serde_json::json!({
                "searchParams": {"isSearching": "true", "keywords": "b", "parentId": "p"},
                "verbose": "true"
            })
        );
    }
}
