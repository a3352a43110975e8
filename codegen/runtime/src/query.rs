//! URLs and query parameters of generated calls.
//!
//! progenitor writes a call's URL with `format!("{}/path/{}", client.baseurl, ..)`; `format!` sizes
//! its string from the literal pieces, which start empty, so the base URL and the path grow it twice.
//! The generator writes [`format_url!`](crate::format_url) instead: the same text, in one string
//! with room for a typical URL.
//!
//! progenitor chains one `.query(..)` per declared parameter, given or not. Each of those reopens the
//! URL's query (`query_pairs_mut`: the fragment taken off and put back, the query re-checked for
//! emptiness) even when the parameter is absent and writes nothing: for an operation with seven
//! optional parameters, seven passes over the URL on every call. The generator routes each of them
//! through [`QueryParams::query_param`] instead, which leaves the builder alone when the value is
//! absent (`None`) and otherwise appends exactly what progenitor's `QueryParam` would have.

use std::fmt;

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

/// The room [`format_url!`](crate::format_url) gives a URL before it has to grow (bytes).
pub const URL_ROOM: usize = 128;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// One query parameter at a time, for generated code (`use ::dam_runtime::QueryParams as _;`).
pub trait QueryParams: Sized {
    /// Appends `name=value` to the request's query the way progenitor does (`QueryParam`: a list
    /// as repeated `name=v` pairs, an enum as its text), or nothing when `value` serialises as
    /// absent (`None`, unit).
    fn query_param<T: Serialize>(self, name: &str, value: &T) -> Self;
}

impl QueryParams for reqwest::RequestBuilder {
    fn query_param<T: Serialize>(self, name: &str, value: &T) -> Self {
        if is_absent(value) {
            return self;
        }
        self.query(&progenitor_client::QueryParam::new(name, value))
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
    use super::*;

    fn url_of(builder: reqwest::RequestBuilder) -> String {
        builder.build().expect("request").url().to_string()
    }

    #[test]
    fn absent_values_leave_the_url_alone_and_present_ones_match_progenitor() {
        let http = crate::http_client(crate::Timeouts::default()).expect("client");
        let base = || http.get("http://localhost/folder#top");
        let none: Option<u32> = None;
        assert_eq!(
            url_of(base().query_param("parent", &none)),
            "http://localhost/folder#top"
        );
        // Ours against progenitor's `QueryParam` through reqwest's own `query`.
        macro_rules! same {
            ($name:expr, $value:expr) => {
                assert_eq!(
                    url_of(base().query_param($name, $value)),
                    url_of(base().query(&progenitor_client::QueryParam::new($name, $value))),
                    "{}",
                    $name
                )
            };
        }
        same!("parent", &Some(7u32));
        same!("q", &"a b&c");
        same!("id", &Some(vec![1, 2]));
        same!("q", &Some(String::new()));
        same!("all", &false);
        assert_eq!(
            url_of(base().query_param("parent", &Some(7u32)).query_param("q", &none)),
            "http://localhost/folder?parent=7#top"
        );
    }

    #[test]
    fn presence_of_each_shape() {
        assert!(is_absent(&None::<String>));
        assert!(is_absent(&()));
        assert!(!is_absent(&Some(0)));
        assert!(!is_absent(&""));
        assert!(!is_absent(&Vec::<u8>::new()));
        assert!(!is_absent(&std::collections::BTreeMap::<String, String>::new()));
    }
}
