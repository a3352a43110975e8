//! URLs and query parameters of generated calls.
//!
//! progenitor writes a call's URL with `format!("{}/path/{}", client.baseurl, ..)`; `format!` sizes
//! its string from the literal pieces, which start empty, so the base URL and the path grow it twice.
//! The generator writes [`format_url!`](crate::format_url) instead: the same text, in one string
//! with room for a typical URL.
//!
//! progenitor then chains one `.query(&QueryParam::new(name, &value))` per declared parameter, given
//! or not, onto reqwest's builder. Each of those moves the builder, reopens the parsed URL's query
//! (`query_pairs_mut`: the fragment taken off and put back, the query re-checked for emptiness) and
//! sends the value through `serde_urlencoded`, whose key handling allocates: about 1,300
//! instructions for each parameter given, and a pass over the URL even for one that is absent. The
//! generator writes the parameters into the URL's text instead, before reqwest parses it
//! ([`QueryText`]), in the same order and with the same bytes: `name=value` pairs, form-encoded
//! (a space as `+`, everything but ASCII letters, digits and `*-._` as `%XX`), a list as one pair
//! per item, an enum as its text, an absent value (`None`) as nothing.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};
use url::form_urlencoded;

use crate::Error;

/// `format!` for a request URL (generated calls): the same text, written into a string with room
/// for [`URL_ROOM`] bytes, so a typical base URL and path cost one allocation rather than `format!`'s
/// two or three.
///
/// ```
/// let url = dam_runtime::format_url!("{}/folder/{}", "https://api.example.com", 7);
/// assert_eq!(url, "https://api.example.com/folder/7");
/// ```
#[macro_export]
macro_rules! format_url {
    ($($arg:tt)*) => {{
        let mut url = ::std::string::String::with_capacity($crate::URL_ROOM);
        ::std::fmt::Write::write_fmt(&mut url, ::std::format_args!($($arg)*))
            .expect("a Display implementation returned an error");
        url
    }};
}

/// The room [`format_url!`](crate::format_url) gives a URL before it has to grow (bytes): a base URL,
/// a path, IntelligenceBank's session (about 80 bytes) and a few query parameters.
pub const URL_ROOM: usize = 256;

/// The query of a generated call's URL while it is still text: the call's own parameters are
/// written here, after anything already in the query (IntelligenceBank's session), and reqwest
/// parses the finished URL once.
///
/// Each [`push`](Self::push) writes what progenitor's `QueryParam` through reqwest's `query` would
/// have appended to the parsed URL, byte for byte: scalars, enums, `Option`s and lists of them
/// directly; any other shape (a map, a struct, a tuple) through that same `serde_urlencoded` path.
/// A fragment in the base URL stays last (it is put back when the `QueryText` is dropped).
///
/// ```
/// let mut url = String::from("https://api.example.com/folder");
/// dam_runtime::QueryText::new(&mut url)
///     .push("q", &"red car")?
///     .push("parent", &None::<u32>)?
///     .push("id", &vec![3, 4])?;
/// assert_eq!(url, "https://api.example.com/folder?q=red+car&id=3&id=4");
/// # Ok::<(), dam_runtime::Error>(())
/// ```
pub struct QueryText<'a> {
    url: &'a mut String,
    /// Where the query's `?` is, once there is one.
    start: Option<usize>,
    /// The base URL's fragment, kept aside while the query is written.
    fragment: Option<String>,
}

impl<'a> QueryText<'a> {
    /// Opens the query of `url` (a URL's text, with or without a query).
    pub fn new(url: &'a mut String) -> Self {
        // `memchr` rather than `str::find`, which searches a word at a time: on a typical URL the
        // vector search costs about a third as much.
        let fragment = memchr::memchr(b'#', url.as_bytes()).map(|at| url.split_off(at));
        let start = memchr::memchr(b'?', url.as_bytes());
        Self { url, start, fragment }
    }

    /// Appends `name=value`, or nothing when `value` is absent (`None`, unit).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the value has a shape a query cannot carry (a nested list, a
    /// map inside a list, an `i128`); the URL is then left as it was.
    pub fn push<T: Serialize>(&mut self, name: &str, value: &T) -> Result<&mut Self, Error> {
        let (len, start) = (self.url.len(), self.start);
        if value
            .serialize(Direct {
                query: self,
                name,
                in_list: false,
            })
            .is_err()
        {
            // Another shape: undo whatever was written and take the general path.
            self.url.truncate(len);
            self.start = start;
            if !is_absent(value) {
                self.through_serde(name, value)?;
            }
        }
        Ok(self)
    }

    /// The separator before a new pair: `?` opens the query, `&` follows an earlier pair.
    fn separate(&mut self) {
        match self.start {
            None => {
                self.start = Some(self.url.len());
                self.url.push('?');
            }
            Some(at) if self.url.len() > at + 1 => self.url.push('&'),
            Some(_) => {}
        }
    }

    fn pair(&mut self, name: &str, value: &str) {
        self.separate();
        encode(self.url, name);
        self.url.push('=');
        encode(self.url, value);
    }

    /// What reqwest's `query(&QueryParam::new(name, value))` does to a parsed URL, on the text.
    fn through_serde<T: Serialize>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        let (len, start) = (self.url.len(), self.start);
        let at = match self.start {
            Some(at) => at,
            None => {
                self.url.push('?');
                len
            }
        };
        let written = {
            let mut pairs = form_urlencoded::Serializer::for_suffix(&mut *self.url, at + 1);
            progenitor_client::QueryParam::new(name, value)
                .serialize(serde_urlencoded::Serializer::new(&mut pairs))
                .map(drop)
        };
        if let Err(e) = written {
            self.url.truncate(len);
            self.start = start;
            return Err(Error::InvalidInput(format!(
                "the query parameter `{name}` cannot be sent: {e}"
            )));
        }
        if self.url.len() == at + 1 {
            // reqwest drops a query left empty.
            self.url.truncate(at);
            self.start = None;
        } else {
            self.start = Some(at);
        }
        Ok(())
    }
}

/// Appends `text` form-encoded, as `form_urlencoded::byte_serialize` writes it. Text with nothing
/// to escape (a name, an id, a number: most of what calls send) is checked against a table and
/// copied whole, about half the cost of walking it through the encoder's iterator.
fn encode(url: &mut String, text: &str) {
    if text.bytes().all(|b| PLAIN[usize::from(b)]) {
        url.push_str(text);
    } else {
        url.extend(form_urlencoded::byte_serialize(text.as_bytes()));
    }
}

/// The bytes form encoding leaves as they are: ASCII letters and digits, `*`, `-`, `.` and `_`.
static PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0;
    while b < 256 {
        plain[b] = matches!(b as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_');
        b += 1;
    }
    plain
};

/// Not the URL: it may already carry credentials (IntelligenceBank's `p10`).
impl fmt::Debug for QueryText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryText")
            .field("url_len", &self.url.len())
            .field("query_start", &self.start)
            .finish_non_exhaustive()
    }
}

impl Drop for QueryText<'_> {
    fn drop(&mut self) {
        if let Some(fragment) = self.fragment.take() {
            self.url.push_str(&fragment);
        }
    }
}

/// Writes the shapes a generated query parameter has (scalars, enums, `Option`s, lists of them)
/// straight into a [`QueryText`]; any other shape is [`Other`].
struct Direct<'q, 'a> {
    query: &'q mut QueryText<'a>,
    name: &'q str,
    /// An item of a list (where a unit or another list cannot be written).
    in_list: bool,
}

/// A value [`Direct`] leaves to the general path.
#[derive(Debug)]
struct Other;

impl fmt::Display for Other {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("another shape")
    }
}

impl std::error::Error for Other {}

impl ser::Error for Other {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Other
    }
}

macro_rules! direct_int {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name(self, v: $ty) -> Result<(), Other> {
            self.query.pair(self.name, itoa::Buffer::new().format(v));
            Ok(())
        })*
    };
}

macro_rules! direct_float {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name(self, v: $ty) -> Result<(), Other> {
            self.query.pair(self.name, ryu::Buffer::new().format(v));
            Ok(())
        })*
    };
}

impl<'q, 'a> ser::Serializer for Direct<'q, 'a> {
    type Ok = ();
    type Error = Other;
    type SerializeSeq = DirectList<'q, 'a>;
    type SerializeTuple = Impossible<(), Other>;
    type SerializeTupleStruct = Impossible<(), Other>;
    type SerializeTupleVariant = Impossible<(), Other>;
    type SerializeMap = Impossible<(), Other>;
    type SerializeStruct = Impossible<(), Other>;
    type SerializeStructVariant = Impossible<(), Other>;

    direct_int!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
    );
    direct_float!(serialize_f32(f32), serialize_f64(f64));

    fn serialize_bool(self, v: bool) -> Result<(), Other> {
        self.query.pair(self.name, if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Other> {
        self.query.pair(self.name, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Other> {
        self.query.pair(self.name, v);
        Ok(())
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Other> {
        Err(Other)
    }

    fn serialize_none(self) -> Result<(), Other> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Other> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Other> {
        if self.in_list { Err(Other) } else { Ok(()) }
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Other> {
        if self.in_list { Err(Other) } else { Ok(()) }
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Other> {
        self.query.pair(self.name, variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<(), Other> {
        Err(Other)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Other> {
        Err(Other)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<DirectList<'q, 'a>, Other> {
        if self.in_list {
            return Err(Other);
        }
        let written = self.query.url.len();
        Ok(DirectList {
            query: self.query,
            name: self.name,
            written,
        })
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Other> {
        Err(Other)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Other> {
        Err(Other)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Other> {
        Err(Other)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Other> {
        Err(Other)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Other> {
        Err(Other)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Other> {
        Err(Other)
    }
}

/// A list: one `name=item` pair per item.
struct DirectList<'q, 'a> {
    query: &'q mut QueryText<'a>,
    name: &'q str,
    /// The URL's length before the list.
    written: usize,
}

impl ser::SerializeSeq for DirectList<'_, '_> {
    type Ok = ();
    type Error = Other;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Other> {
        value.serialize(Direct {
            query: self.query,
            name: self.name,
            in_list: true,
        })
    }

    fn end(self) -> Result<(), Other> {
        // A list that wrote nothing leaves reqwest's query check (an empty query is dropped) to
        // the general path.
        if self.query.url.len() == self.written {
            Err(Other)
        } else {
            Ok(())
        }
    }
}

/// Whether `value` serialises as nothing at all (`None` or unit), found without writing anything.
fn is_absent<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(Presence), Err(Found::Absent))
}

/// The only two outcomes of [`Presence`]; it never returns `Ok`.
#[derive(Debug)]
enum Found {
    Absent,
    Present,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Found::Absent => "absent",
            Found::Present => "present",
        })
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<M: fmt::Display>(_: M) -> Self {
        // A value that fails to serialise is passed on, so that the request reports the failure.
        Found::Present
    }
}

/// A serializer that stops at the first thing it is given: `None` and unit are absent, everything
/// else is present.
struct Presence;

macro_rules! present {
    ($($name:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $name(self, $(_: $arg),*) -> Result<(), Found> { Err(Found::Present) })*
    };
}

impl ser::Serializer for Presence {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Impossible<(), Found>;
    type SerializeTuple = Impossible<(), Found>;
    type SerializeTupleStruct = Impossible<(), Found>;
    type SerializeTupleVariant = Impossible<(), Found>;
    type SerializeMap = Impossible<(), Found>;
    type SerializeStruct = Impossible<(), Found>;
    type SerializeStructVariant = Impossible<(), Found>;

    present!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_none(self) -> Result<(), Found> {
        Err(Found::Absent)
    }

    fn serialize_unit(self) -> Result<(), Found> {
        Err(Found::Absent)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Found> {
        Err(Found::Absent)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Found> {
        Err(Found::Present)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Found> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Found> {
        Err(Found::Present)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Found> {
        Err(Found::Present)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Found> {
        Err(Found::Present)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Found> {
        Err(Found::Present)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Found> {
        Err(Found::Present)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Found> {
        Err(Found::Present)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Found> {
        Err(Found::Present)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Found> {
        Err(Found::Present)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    enum Kind {
        #[serde(rename = "image")]
        Image,
        #[serde(rename = "video clip")]
        Video,
    }

    #[derive(Serialize)]
    struct Range {
        from: u32,
        to: Option<u32>,
    }

    #[derive(Serialize)]
    struct Wrapped(String);

    #[derive(Serialize)]
    struct Marker;

    /// Items of one list that serialise as different shapes.
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Mixed {
        Number(u32),
        Unit(()),
        Marker(Marker),
    }

    /// The query parameters through `QueryText` and, as progenitor's builders sent them before,
    /// through reqwest's `query(&QueryParam)` on the parsed URL (absent values skipped): the same
    /// URL, or an error from both. Our text must also be exactly what the parser keeps.
    macro_rules! same {
        ($base:expr $(, $name:expr => $value:expr)* $(,)?) => {{
            let http = crate::http_client(crate::Timeouts::default()).expect("client");
            #[allow(unused_mut)]
            let mut builder = http.get($base);
            $(
                if !is_absent($value) {
                    builder = builder.query(&progenitor_client::QueryParam::new($name, $value));
                }
            )*
            let expected = builder.build().map(|r| r.url().to_string());
            let mut text = String::from($base);
            let ours: Result<(), Error> = {
                #[allow(unused_mut, unused_variables)]
                let mut query = QueryText::new(&mut text);
                #[allow(unused_mut)]
                let mut result = Ok(());
                $(
                    if result.is_ok() {
                        result = query.push($name, $value).map(drop);
                    }
                )*
                result
            };
            match (expected, ours) {
                (Ok(url), Ok(())) => {
                    assert_eq!(text, url, "{} {}", $base, stringify!($($name => $value),*));
                    let parsed = http.get(text.as_str()).build().expect("our URL parses");
                    assert_eq!(parsed.url().as_str(), url);
                }
                (Err(_), Err(Error::InvalidInput(m))) => {
                    assert!(m.starts_with("the query parameter `"), "{m}");
                }
                (expected, ours) => panic!(
                    "{} {}: reqwest gave {expected:?}, QueryText {ours:?}",
                    $base,
                    stringify!($($name => $value),*)
                ),
            }
        }};
    }

    const BASES: [&str; 7] = [
        "http://localhost/folder",
        "http://localhost/folder?p10=key&p20=user",
        "http://localhost/folder#top",
        "http://localhost/folder?a=1#top",
        "http://localhost/folder?",
        "http://localhost/folder?a=1&",
        "http://localhost/folder?x",
    ];

    #[test]
    fn scalars_and_absent_values_match_reqwest_query() {
        let none: Option<u32> = None;
        for base in BASES {
            same!(base);
            same!(base, "parent" => &none);
            same!(base, "parent" => &Some(7u32), "q" => &none);
            same!(base, "q" => &"a b&c=d+e%f");
            same!(base, "q" => &"ü/é?#[]*-._~'");
            same!(base, "q" => &(0..=127u8).map(char::from).collect::<String>());
            same!(base, "plain" => &"AZaz09*-._", "lone" => &"~");
            same!(base, "q" => &Some(String::new()));
            same!(base, "all" => &false, "some" => &true);
            same!(base, "ratio" => &1.5f64, "whole" => &1.0f64, "tiny" => &1e-7f32);
            same!(base, "delta" => &-3i64, "big" => &u64::MAX, "small" => &i8::MIN);
            same!(base, "c" => &'x', "d" => &'ß');
            same!(base, "kind" => &Kind::Video, "k" => &Some(Kind::Image));
            same!(base, "na me" => &"v", "" => &"");
            same!(base, "unit" => &(), "q" => &"after unit");
        }
    }

    #[test]
    fn lists_match_reqwest_query() {
        for base in BASES {
            same!(base, "id" => &Some(vec![1, 2]));
            same!(base, "id" => &vec![3u8]);
            same!(base, "id" => &Vec::<u32>::new());
            same!(base, "id" => &vec![Some(1), None, Some(3)]);
            same!(base, "id" => &vec![None::<u32>]);
            same!(base, "kinds" => &vec![Kind::Image, Kind::Video]);
            same!(base, "tags" => &["a b", "c&d"]);
            same!(base, "x" => &1, "ids" => &Vec::<u32>::new(), "y" => &2);
        }
    }

    #[test]
    fn other_shapes_take_the_serde_path_or_fail_alike() {
        let mut map = BTreeMap::new();
        map.insert("a b", "1");
        map.insert("c", "2&3");
        for base in BASES {
            same!(base, "filter" => &map);
            same!(base, "range" => &Range { from: 1, to: None });
            same!(base, "range" => &Some(Range { from: 1, to: Some(9) }), "q" => &"x");
            same!(base, "pair" => &(1, 2));
            same!(base, "w" => &Wrapped("v".into()));
            same!(base, "big" => &1i128);
            same!(base, "nested" => &vec![vec![1]]);
            same!(base, "units" => &vec![()]);
            same!(base, "mixed" => &vec![Mixed::Number(1), Mixed::Unit(())]);
            same!(base, "mixed" => &vec![Mixed::Number(1), Mixed::Marker(Marker)]);
            same!(base, "marker" => &Marker, "q" => &"after");
            same!(base, "q" => &"kept", "nested" => &vec![vec![1]]);
        }
    }

    #[test]
    fn a_failed_push_leaves_the_url_and_reports_the_parameter() {
        let mut url = String::from("http://localhost/folder?q=1#top");
        let mut query = QueryText::new(&mut url);
        query.push("a", &1).expect("a scalar");
        let e = query.push("nested", &vec![vec![1, 2]]).expect_err("a nested list");
        drop(query);
        assert_eq!(url, "http://localhost/folder?q=1&a=1#top");
        assert!(matches!(&e, Error::InvalidInput(m) if m.contains("`nested`")), "{e:?}");
    }

    #[test]
    fn debug_output_leaves_the_url_out() {
        let mut url = String::from("https://api.example.com/resources?p10=secret-api-key&p20=user");
        let query = QueryText::new(&mut url);
        let shown = format!("{query:?}");
        assert!(
            !shown.contains("secret-api-key") && shown.starts_with("QueryText {"),
            "{shown}"
        );
    }

    #[test]
    fn presence_of_each_shape() {
        assert!(is_absent(&None::<String>));
        assert!(is_absent(&()));
        assert!(!is_absent(&Some(0)));
        assert!(!is_absent(&""));
        assert!(!is_absent(&Vec::<u8>::new()));
        assert!(!is_absent(&BTreeMap::<String, String>::new()));
    }
}
