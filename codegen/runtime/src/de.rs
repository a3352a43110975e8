//! Tolerant decoding of response models.
//!
//! Real services are not spotless: an integer arrives as `80.0` or `"80"`, a flag as `1` or
//! `"true"`, an empty object as PHP's `[]`, and any field as `null`. Every generated model decodes
//! through [`Tolerant`] instead of plain `Deserialize`, so one such field never rejects a whole
//! answer. The rules never lie:
//!
//! | target | accepted | refused |
//! | --- | --- | --- |
//! | integers | `80`, `80.0`, `"80"`, `" 80 "`, `"80.0"` | `80.5`, out of range (never saturated), `true` |
//! | `f64` | numbers, numeric text | `"NaN"`, `"inf"`, anything not finite |
//! | `bool` | `true`/`false`, `0`/`1`, `"true"`/`"false"`, `"1"`/`"0"`, `"yes"`/`"no"` | other numbers and text |
//! | `String` | text, numbers and flags as their text | objects, lists |
//! | lists | lists (each item tolerant), `null` and `{}` as empty | |
//! | objects | objects, `[]` as empty | |
//! | `Option<T>` | `null`, `""` (scalars) and `[]` (objects) as `None` | |
//! | date-times | RFC 3339, `+0100` offsets, RFC 2822, `YYYY-MM-DD hh:mm:ss`, UNIX seconds or milliseconds | |
//!
//! Generated code uses the [`object!`](crate::object) macro for every model struct (it also keeps
//! unknown keys of open models in their `extra` map) and [`plain_tolerant!`](crate::plain_tolerant)
//! for enums and newtypes, which already decode leniently.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A type that decodes leniently from what services actually send (see the module docs).
pub trait Tolerant: Sized {
    /// Decodes a value.
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;

    /// Decodes a present, non-null value that may still mean "absent" (`""` for scalars, `[]` for
    /// objects): `Option<T>` fields call this.
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        Self::tolerant(d).map(Some)
    }
}

/// A [`DeserializeSeed`] that decodes a `T` tolerantly (for list items and map values).
pub struct Seed<T>(PhantomData<T>);

impl<T> Seed<T> {
    /// The seed.
    pub fn new() -> Self {
        Seed(PhantomData)
    }
}

impl<T> Default for Seed<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Seed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed")
    }
}

impl<'de, T: Tolerant> DeserializeSeed<'de> for Seed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::tolerant(d)
    }
}

/// `#[serde(deserialize_with = "::dam_runtime::de::tolerant")]` for fields outside generated models.
pub fn tolerant<'de, D: Deserializer<'de>, T: Tolerant>(d: D) -> Result<T, D::Error> {
    T::tolerant(d)
}

// ---------------------------------------------------------------------------------------------
// Option
// ---------------------------------------------------------------------------------------------

struct OptionVisitor<T>(PhantomData<T>);

impl<'de, T: Tolerant> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        T::tolerant_present(d)
    }
}

impl<T: Tolerant> Tolerant for Option<T> {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_option(OptionVisitor(PhantomData))
    }
}

impl<T: Tolerant> Tolerant for Box<T> {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::tolerant(d).map(Box::new)
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        T::tolerant_present(d).map(|v| v.map(Box::new))
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

/// What a scalar visitor produced: a value, or "blank" (an empty string).
enum Scalar<T> {
    Value(T),
    Blank,
}

fn finish<T, E: de::Error>(s: Scalar<T>, what: &str) -> Result<T, E> {
    match s {
        Scalar::Value(v) => Ok(v),
        Scalar::Blank => Err(E::custom(format!("expected {what}, found an empty string"))),
    }
}

fn present<T>(s: Scalar<T>) -> Option<T> {
    match s {
        Scalar::Value(v) => Some(v),
        Scalar::Blank => None,
    }
}

/// Integers: exact or refused, never saturated.
struct IntVisitor<T>(PhantomData<T>);

fn int_from_i128<T: TryFrom<i128>, E: de::Error>(v: i128) -> Result<T, E> {
    T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range for this integer")))
}

fn int_from_f64<T: TryFrom<i128>, E: de::Error>(v: f64) -> Result<T, E> {
    // Every f64 with |v| < 2^63 that has no fraction is an exact integer.
    if v.is_finite() && v.fract() == 0.0 && v.abs() < (i64::MAX as f64) {
        int_from_i128(v as i128)
    } else {
        Err(E::custom(format!("{v} is not an integer")))
    }
}

impl<'de, T: TryFrom<i128>> Visitor<'de> for IntVisitor<T> {
    type Value = Scalar<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer (a number or numeric text)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        int_from_i128(v.into()).map(Scalar::Value)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        int_from_i128(v.into()).map(Scalar::Value)
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        int_from_i128(v).map(Scalar::Value)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        let v = i128::try_from(v).map_err(|_| E::custom(format!("{v} is out of range for this integer")))?;
        int_from_i128(v).map(Scalar::Value)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        int_from_f64(v).map(Scalar::Value)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(Scalar::Blank);
        }
        if let Ok(i) = t.parse::<i128>() {
            return int_from_i128(i).map(Scalar::Value);
        }
        match t.parse::<f64>() {
            Ok(f) => int_from_f64(f).map(Scalar::Value),
            Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

macro_rules! tolerant_ints {
    ($($t:ty),*) => {$(
        impl Tolerant for $t {
            fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IntVisitor::<$t>(PhantomData)).and_then(|s| finish(s, "an integer"))
            }
            fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
                d.deserialize_any(IntVisitor::<$t>(PhantomData)).map(present)
            }
        }
    )*};
}

tolerant_ints!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

struct FloatVisitor;

fn finite<E: de::Error>(v: f64) -> Result<Scalar<f64>, E> {
    if v.is_finite() {
        Ok(Scalar::Value(v))
    } else {
        Err(E::custom(format!("{v} is not a finite number")))
    }
}

impl<'de> Visitor<'de> for FloatVisitor {
    type Value = Scalar<f64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number (or numeric text)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Value(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Value(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        finite(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(Scalar::Blank);
        }
        match t.parse::<f64>() {
            Ok(f) => finite(f),
            Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl Tolerant for f64 {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FloatVisitor).and_then(|s| finish(s, "a number"))
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        d.deserialize_any(FloatVisitor).map(present)
    }
}

impl Tolerant for f32 {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64::tolerant(d).map(|v| v as f32)
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        f64::tolerant_present(d).map(|v| v.map(|v| v as f32))
    }
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Scalar<bool>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a flag (true/false, 0/1, or their text)")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Value(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Scalar::Value(false)),
            1 => Ok(Scalar::Value(true)),
            _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Scalar::Value(false)),
            1 => Ok(Scalar::Value(true)),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v == 0.0 {
            Ok(Scalar::Value(false))
        } else if v == 1.0 {
            Ok(Scalar::Value(true))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(Scalar::Blank);
        }
        if ["true", "1", "yes"].iter().any(|w| t.eq_ignore_ascii_case(w)) {
            Ok(Scalar::Value(true))
        } else if ["false", "0", "no"].iter().any(|w| t.eq_ignore_ascii_case(w)) {
            Ok(Scalar::Value(false))
        } else {
            Err(E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
}

impl Tolerant for bool {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BoolVisitor).and_then(|s| finish(s, "a flag"))
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        d.deserialize_any(BoolVisitor).map(present)
    }
}

struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }
}

impl Tolerant for String {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Lists and maps
// ---------------------------------------------------------------------------------------------

struct VecVisitor<T>(PhantomData<T>);

impl<'de, T: Tolerant> Visitor<'de> for VecVisitor<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Seed::<T>::new())? {
            out.push(item);
        }
        Ok(out)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // `{}` where a list was expected (PHP's empty array seen from the other side).
        match map.next_key::<de::IgnoredAny>()? {
            None => Ok(Vec::new()),
            Some(_) => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

impl<T: Tolerant> Tolerant for Vec<T> {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(VecVisitor(PhantomData))
    }
}

/// Map-like collections with tolerant values; `[]` and `null` are empty.
trait MapLike<V>: Default {
    fn put(&mut self, key: String, value: V);
}

impl<V> MapLike<V> for HashMap<String, V> {
    fn put(&mut self, key: String, value: V) {
        self.insert(key, value);
    }
}

impl<V> MapLike<V> for BTreeMap<String, V> {
    fn put(&mut self, key: String, value: V) {
        self.insert(key, value);
    }
}

impl MapLike<serde_json::Value> for serde_json::Map<String, serde_json::Value> {
    fn put(&mut self, key: String, value: serde_json::Value) {
        self.insert(key, value);
    }
}

struct MapVisitor<M, V>(PhantomData<(M, V)>);

impl<'de, M: MapLike<V>, V: Tolerant> Visitor<'de> for MapVisitor<M, V> {
    type Value = M;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = M::default();
        while let Some(key) = map.next_key::<String>()? {
            // A `null` entry (or `""` for a scalar) is an absent one.
            if let Some(value) = map.next_value_seed(Seed::<Option<V>>::new())? {
                out.put(key, value);
            }
        }
        Ok(out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        empty_seq(&mut seq, &self)?;
        Ok(M::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(M::default())
    }
}

/// Accepts `[]` (PHP's empty object); refuses a non-empty list.
pub fn empty_seq<'de, A: SeqAccess<'de>>(seq: &mut A, expected: &dyn de::Expected) -> Result<(), A::Error> {
    match seq.next_element::<de::IgnoredAny>()? {
        None => Ok(()),
        Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, expected)),
    }
}

/// `[]` or an object: `Some` for an object, `None` for `[]`.
struct PresentMapVisitor<M, V>(PhantomData<(M, V)>);

impl<'de, M: MapLike<V>, V: Tolerant> Visitor<'de> for PresentMapVisitor<M, V> {
    type Value = Option<M>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        MapVisitor(PhantomData).visit_map(map).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        empty_seq(&mut seq, &self)?;
        Ok(None)
    }
}

impl<V: Tolerant> Tolerant for HashMap<String, V> {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MapVisitor(PhantomData))
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        d.deserialize_any(PresentMapVisitor(PhantomData))
    }
}

impl<V: Tolerant> Tolerant for BTreeMap<String, V> {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MapVisitor(PhantomData))
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        d.deserialize_any(PresentMapVisitor(PhantomData))
    }
}

impl Tolerant for serde_json::Map<String, serde_json::Value> {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonMapVisitor)
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        d.deserialize_any(PresentMapVisitor(PhantomData))
    }
}

/// A JSON object kept as it is (`null` entries included); `[]` and `null` are empty.
struct JsonMapVisitor;

impl<'de> Visitor<'de> for JsonMapVisitor {
    type Value = serde_json::Map<String, serde_json::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
            out.insert(k, v);
        }
        Ok(out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        empty_seq(&mut seq, &self)?;
        Ok(serde_json::Map::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Map::new())
    }
}

impl Tolerant for serde_json::Value {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::Deserialize::deserialize(d)
    }
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

impl Tolerant for chrono::DateTime<chrono::Utc> {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::tolerant_present(d)?.ok_or_else(|| de::Error::custom("expected a date-time, found an empty string"))
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        let t = crate::Timestamp::tolerant(d)?;
        if t.as_text().trim().is_empty() {
            return Ok(None);
        }
        t.to_datetime()
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("{:?} is not a date-time", t.as_text())))
    }
}

impl Tolerant for chrono::NaiveDate {
    fn tolerant<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::tolerant_present(d)?.ok_or_else(|| de::Error::custom("expected a date, found an empty string"))
    }
    fn tolerant_present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Self>, D::Error> {
        let text = String::tolerant(d)?;
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(t.get(..10).unwrap_or(t), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| de::Error::custom(format!("{t:?} is not a date")))
    }
}

// ---------------------------------------------------------------------------------------------
// Types that already decode leniently
// ---------------------------------------------------------------------------------------------

/// Implements [`Tolerant`] as plain `Deserialize` for types that are already lenient (the
/// runtime's scalars, generated open enums, joined lists and newtypes).
#[macro_export]
macro_rules! plain_tolerant {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::de::Tolerant for $t {
            fn tolerant<'de, D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                <$t as ::serde::Deserialize>::deserialize(d)
            }
        }
    )*};
}

plain_tolerant!(
    crate::LooseId,
    crate::LooseInt,
    crate::LooseFloat,
    crate::LooseBool,
    crate::Timestamp,
    crate::Secret,
    crate::ErrorBody
);

/// Implements `Deserialize` and [`Tolerant`] for a generated model struct: every field decodes
/// tolerantly, a missing field takes its default (`Option`: `None`; lists: empty) unless it is
/// required, `[]` stands for an empty object, and — for open models, given `extra` — keys the
/// model does not know are kept in the `extra` map (so a read-modify-write never drops them).
///
/// ```
/// #[derive(Debug, Default, serde::Serialize)]
/// struct Asset {
///     id: Option<i64>,
///     #[serde(rename = "type")]
///     kind: Option<String>,
///     tags: Vec<String>,
///     #[serde(flatten)]
///     extra: serde_json::Map<String, serde_json::Value>,
/// }
/// dam_runtime::object!(Asset {
///     id: Option<i64> = "id" [default],
///     kind: Option<String> = "type" [default],
///     tags: Vec<String> = "tags" [default],
/// } extra: extra);
///
/// let a: Asset = serde_json::from_str(r#"{"id": "7", "type": null, "tags": null, "views": 3}"#).unwrap();
/// assert_eq!(a.id, Some(7));
/// assert_eq!(a.extra["views"], 3);
/// ```
#[macro_export]
macro_rules! object {
    ($name:ident { $($field:ident : $ty:ty = $wire:literal [$($kind:tt)*]),* $(,)? } $(extra: $extra:ident)?) => {
        const _: () = {
            #[allow(non_camel_case_types, clippy::enum_variant_names)]
            enum __Field { $($field,)* __unknown(::std::string::String), }
            struct __FieldSeed;
            impl<'de> ::serde::de::DeserializeSeed<'de> for __FieldSeed {
                type Value = __Field;
                fn deserialize<D: ::serde::Deserializer<'de>>(self, d: D) -> ::std::result::Result<__Field, D::Error> {
                    d.deserialize_identifier(self)
                }
            }
            impl<'de> ::serde::de::Visitor<'de> for __FieldSeed {
                type Value = __Field;
                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str("a field name")
                }
                fn visit_str<E: ::serde::de::Error>(self, v: &str) -> ::std::result::Result<__Field, E> {
                    Ok(match v {
                        $($wire => __Field::$field,)*
                        other => __Field::__unknown($crate::object!(@keep_key other $($extra)?)),
                    })
                }
            }
            /// The fields read so far. They live in memory behind `&mut` while the keys are read
            /// ([`__Slots::put`] is never inlined): kept as loose locals, the optimiser shuffles
            /// every one of them between stack slots on every key, which cost more than the
            /// parsing itself in wide models.
            #[allow(non_snake_case)]
            struct __Slots {
                $($field: ::std::option::Option<$ty>,)*
                $($extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,)?
            }
            impl __Slots {
                #[inline(never)]
                fn put<'de, A: ::serde::de::MapAccess<'de>>(&mut self, __key: __Field, __map: &mut A) -> ::std::result::Result<(), A::Error> {
                    match __key {
                        $(__Field::$field => {
                            self.$field = Some(__map.next_value_seed($crate::de::Seed::<$ty>::new())?);
                        })*
                        __Field::__unknown(__name) => {
                            $crate::object!(@unknown __map __name self $($extra)?);
                        }
                    }
                    Ok(())
                }
            }
            struct __Visitor;
            impl<'de> ::serde::de::Visitor<'de> for __Visitor {
                type Value = $name;
                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(concat!("an object (", stringify!($name), ")"))
                }
                fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut __map: A) -> ::std::result::Result<$name, A::Error> {
                    let mut __slots = __Slots {
                        $($field: None,)*
                        $($extra: ::serde_json::Map::new(),)?
                    };
                    while let Some(__key) = __map.next_key_seed(__FieldSeed)? {
                        __slots.put(__key, &mut __map)?;
                    }
                    Ok($name {
                        $($field: match __slots.$field {
                            Some(v) => v,
                            None => $crate::object!(@missing $wire [$($kind)*]),
                        },)*
                        $($extra: __slots.$extra,)?
                    })
                }
                #[allow(unreachable_code)]
                fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, mut seq: A) -> ::std::result::Result<$name, A::Error> {
                    // PHP sends an empty object as `[]`.
                    $crate::de::empty_seq(&mut seq, &self)?;
                    Ok($name {
                        $($field: $crate::object!(@missing $wire [$($kind)*]),)*
                        $($extra: ::serde_json::Map::new(),)?
                    })
                }
            }
            impl<'de> ::serde::Deserialize<'de> for $name {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                    d.deserialize_any(__Visitor)
                }
            }
            impl $crate::de::Tolerant for $name {
                fn tolerant<'de, D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                    d.deserialize_any(__Visitor)
                }
                fn tolerant_present<'de, D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Option<Self>, D::Error> {
                    d.deserialize_any($crate::de::PresentObject(__Visitor))
                }
            }
        };
    };
    (@keep_key $other:ident $extra:ident) => { $other.to_string() };
    (@keep_key $other:ident) => {{
        let _ = $other;
        ::std::string::String::new()
    }};
    (@unknown $map:ident $name:ident $slots:ident $extra:ident) => {
        let __value = $map.next_value::<::serde_json::Value>()?;
        $slots.$extra.insert($name, __value);
    };
    (@unknown $map:ident $name:ident $slots:ident) => {
        let _ = $name;
        $map.next_value::<::serde::de::IgnoredAny>()?;
    };
    (@missing $wire:literal [default]) => { ::std::default::Default::default() };
    (@missing $wire:literal [with $path:path]) => { $path() };
    (@missing $wire:literal [required]) => { return Err(::serde::de::Error::missing_field($wire)) };
}

/// Implements `Deserialize` and [`Tolerant`] for a generated untagged enum (a `oneOf`): the first
/// variant that decodes exactly wins (serde's own rule); failing that, the first that decodes
/// tolerantly, trying the variants in the second list's order (text last, so `0` for a
/// boolean-or-URL field is `false`, not the URL `"0"`).
#[macro_export]
macro_rules! untagged {
    ($name:ident { $($v:ident($t:ty)),* $(,)? } then { $($lv:ident($lt:ty)),* $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(d)?;
                $(if let Ok(v) = <$t as ::serde::Deserialize>::deserialize(&value) {
                    return Ok($name::$v(v));
                })*
                $(if let Ok(v) = <$lt as $crate::de::Tolerant>::tolerant(&value) {
                    return Ok($name::$lv(v));
                })*
                Err(::serde::de::Error::custom(concat!("data did not match any variant of ", stringify!($name))))
            }
        }
        $crate::plain_tolerant!($name);
    };
}

/// Implements `Deserialize` and [`Tolerant`] for a generated newtype (a named map or list):
/// the inner value decodes tolerantly.
#[macro_export]
macro_rules! newtype {
    ($name:ident($t:ty)) => {
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                <$t as $crate::de::Tolerant>::tolerant(d).map($name)
            }
        }
        impl $crate::de::Tolerant for $name {
            fn tolerant<'de, D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                <$t as $crate::de::Tolerant>::tolerant(d).map($name)
            }
            fn tolerant_present<'de, D: ::serde::Deserializer<'de>>(
                d: D,
            ) -> ::std::result::Result<::std::option::Option<Self>, D::Error> {
                <$t as $crate::de::Tolerant>::tolerant_present(d).map(|v| v.map($name))
            }
        }
    };
}

/// Wraps a model visitor so that `[]` means "absent" (for `Option` fields).
#[derive(Debug)]
pub struct PresentObject<V>(pub V);

impl<'de, V: Visitor<'de>> Visitor<'de> for PresentObject<V> {
    type Value = Option<V::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(map).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        empty_seq(&mut seq, &self)?;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn de<T: Tolerant>(json: &str) -> Result<T, serde_json::Error> {
        T::tolerant(&mut serde_json::Deserializer::from_str(json))
    }

    #[test]
    fn integers_are_exact_or_refused() {
        assert_eq!(de::<i64>("80").unwrap(), 80);
        assert_eq!(de::<i64>("80.0").unwrap(), 80);
        assert_eq!(de::<i64>("\" 80 \"").unwrap(), 80);
        assert_eq!(de::<i64>("\"80.0\"").unwrap(), 80);
        assert_eq!(de::<i64>("-3").unwrap(), -3);
        assert!(de::<i64>("80.5").is_err());
        assert!(de::<i64>("1e300").is_err(), "never saturated");
        assert!(de::<i64>("\"99999999999999999999\"").is_err(), "never saturated");
        assert!(de::<i32>("3000000000").is_err(), "out of range for i32");
        assert!(de::<u64>("-1").is_err());
        assert!(de::<i64>("true").is_err());
        assert!(de::<i64>("\"\"").is_err());
        assert_eq!(de::<Option<i64>>("\"\"").unwrap(), None);
        assert_eq!(de::<Option<i64>>("null").unwrap(), None);
        assert_eq!(de::<Option<i64>>("\"7\"").unwrap(), Some(7));
    }

    #[test]
    fn floats_are_finite() {
        assert_eq!(de::<f64>("\"10\"").unwrap(), 10.0);
        assert_eq!(de::<f64>("1.5").unwrap(), 1.5);
        for bad in ["\"NaN\"", "\"inf\"", "\"-infinity\"", "\"abc\""] {
            assert!(de::<f64>(bad).is_err(), "{bad}");
        }
        assert_eq!(de::<Option<f64>>("\"\"").unwrap(), None);
    }

    #[test]
    fn flags_in_every_form() {
        for (json, want) in [
            ("true", true),
            ("0", false),
            ("1", true),
            ("\"true\"", true),
            ("\"False\"", false),
            ("\"1\"", true),
            ("\"no\"", false),
            ("1.0", true),
        ] {
            assert_eq!(de::<bool>(json).unwrap(), want, "{json}");
        }
        assert!(de::<bool>("2").is_err());
        assert!(de::<bool>("\"maybe\"").is_err());
        assert_eq!(de::<Option<bool>>("\"\"").unwrap(), None);
    }

    #[test]
    fn text_takes_numbers_and_flags() {
        assert_eq!(de::<String>("42").unwrap(), "42");
        assert_eq!(de::<String>("true").unwrap(), "true");
        assert!(de::<String>("{}").is_err());
        assert_eq!(de::<Option<String>>("\"\"").unwrap(), Some(String::new()));
    }

    #[test]
    fn lists_and_maps_take_null_and_php_empties() {
        assert_eq!(de::<Vec<i64>>("null").unwrap(), Vec::<i64>::new());
        assert_eq!(de::<Vec<i64>>("{}").unwrap(), Vec::<i64>::new());
        assert_eq!(de::<Vec<i64>>("[1, \"2\", 3.0]").unwrap(), vec![1, 2, 3]);
        assert!(de::<Vec<i64>>("{\"a\": 1}").is_err());
        assert!(
            de::<serde_json::Map<String, serde_json::Value>>("[]")
                .unwrap()
                .is_empty()
        );
        assert_eq!(de::<Option<HashMap<String, i64>>>("[]").unwrap(), None);
        assert_eq!(de::<HashMap<String, i64>>("{\"a\": \"1\"}").unwrap()["a"], 1);
        assert!(de::<HashMap<String, i64>>("[1]").is_err());
    }

    #[test]
    fn null_map_entries_are_absent() {
        let m = de::<HashMap<String, String>>(r#"{"en": "Cat", "da": null}"#).unwrap();
        assert_eq!(m.len(), 1);
        let j = de::<serde_json::Map<String, serde_json::Value>>(r#"{"da": null}"#).unwrap();
        assert!(j["da"].is_null(), "raw JSON objects keep their nulls");
    }

    #[derive(Debug, PartialEq)]
    enum UrlOrFalse {
        String(String),
        Boolean(bool),
    }
    crate::untagged!(UrlOrFalse { String(String), Boolean(bool) } then { Boolean(bool), String(String) });

    #[test]
    fn untagged_enums_prefer_exact_then_non_text() {
        assert_eq!(de::<UrlOrFalse>("false").unwrap(), UrlOrFalse::Boolean(false));
        assert_eq!(
            de::<UrlOrFalse>("\"https://x\"").unwrap(),
            UrlOrFalse::String("https://x".into())
        );
        assert_eq!(de::<UrlOrFalse>("0").unwrap(), UrlOrFalse::Boolean(false));
        assert_eq!(
            de::<UrlOrFalse>("\"0\"").unwrap(),
            UrlOrFalse::String("0".into()),
            "exact text stays text"
        );
        assert!(de::<UrlOrFalse>("{}").is_err());
    }

    #[test]
    fn dates_in_every_form() {
        use chrono::{DateTime, Utc};
        let want: DateTime<Utc> = "2015-04-16T12:39:39Z".parse().unwrap();
        for json in [
            "\"2015-04-16T12:39:39Z\"",
            "\"2015-04-16T13:39:39+0100\"",
            "\"2015-04-16T13:39:39+01:00\"",
            "\"Thu, 16 Apr 2015 12:39:39 +0000\"",
            "\"2015-04-16 12:39:39\"",
            "1429187979",
            "1429187979000",
            "\"1429187979\"",
        ] {
            assert_eq!(de::<DateTime<Utc>>(json).unwrap(), want, "{json}");
        }
        assert!(de::<DateTime<Utc>>("\"soon\"").is_err());
        assert_eq!(de::<Option<DateTime<Utc>>>("\"\"").unwrap(), None);
    }

    #[derive(Debug, Default, PartialEq, serde::Serialize)]
    struct Inner {
        n: Option<i64>,
    }
    crate::object!(Inner { n: Option<i64> = "n" [default] });

    #[derive(Debug, PartialEq, serde::Serialize)]
    struct Outer {
        #[serde(rename = "type")]
        r#type: String,
        inner: Option<Inner>,
        items: Vec<Inner>,
        #[serde(flatten)]
        extra: serde_json::Map<String, serde_json::Value>,
    }
    crate::object!(Outer {
        r#type: String = "type" [required],
        inner: Option<Inner> = "inner" [default],
        items: Vec<Inner> = "items" [default],
    } extra: extra);

    #[test]
    fn models_keep_unknown_keys_and_round_trip() {
        let json =
            r#"{"type": "x", "inner": [], "items": [{"n": "1", "deep": {"k": [1]}}, []], "new_key": {"a": [1, null]}}"#;
        let o: Outer = serde_json::from_str(json).unwrap();
        assert_eq!(o.inner, None, "[] is an absent object");
        assert_eq!(o.items, vec![Inner { n: Some(1) }, Inner::default()]);
        assert_eq!(o.extra["new_key"], serde_json::json!({"a": [1, null]}));
        let back = serde_json::to_value(&o).unwrap();
        assert_eq!(
            back["new_key"],
            serde_json::json!({"a": [1, null]}),
            "written back unchanged"
        );
        let missing = serde_json::from_str::<Outer>(r#"{"inner": null}"#).unwrap_err();
        assert!(missing.to_string().contains("missing field `type`"), "{missing}");
    }

    #[test]
    fn field_paths_reach_into_models() {
        let json = r#"{"type": "x", "items": [{"n": 1}, {"n": 2}, {"n": 3}, {"n": "three"}]}"#;
        let err = crate::decode_json::<Outer>("op", json.as_bytes(), false).unwrap_err();
        let crate::Error::Decode { path, .. } = err else {
            panic!()
        };
        assert_eq!(path, "items[3].n");
    }
}
