//! JSON as Go's `encoding/json` reads and writes it.
//!
//! Reading: image configs are decoded into Go structs by BuildKit, which matches object
//! keys to fields exactly first and case-insensitively otherwise, applies members in
//! document order (so of two keys naming one field the last wins), ignores unknown
//! keys and treats `null` as "leave unchanged". [`JValue`] keeps member order so those
//! rules can be applied.
//!
//! Writing: Go escapes `<`, `>`, `&`, U+2028 and U+2029 and writes control characters
//! other than `\n`, `\r`, `\t` as `\u00XX`; [`Writer`] does the same, so the image
//! config we return is byte-identical to the Go frontend's.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value with object members in document order. Strings without escapes
/// borrow from the document (most of an image config is keys and plain strings).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JValue<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Cow<'a, str>),
    Array(Vec<JValue<'a>>),
    Object(Vec<Member<'a>>),
}

/// One object member: key and value.
pub(crate) type Member<'a> = (Cow<'a, str>, JValue<'a>);

impl JValue<'_> {
    /// Go's name for the JSON type in `cannot unmarshal X into …` errors.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            JValue::Null => "null",
            JValue::Bool(_) => "bool",
            JValue::Number(_) => "number",
            JValue::String(_) => "string",
            JValue::Array(_) => "array",
            JValue::Object(_) => "object",
        }
    }
}

impl<'de> Deserialize<'de> for JValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JVisitor)
    }
}

/// An object key, borrowed from the document when it has no escapes (serde's own
/// `Cow<str>` always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = JValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<JValue<'de>, E> {
        Ok(JValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<JValue<'de>, E> {
        Ok(JValue::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<JValue<'de>, E> {
        Ok(JValue::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<JValue<'de>, E> {
        Ok(JValue::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<JValue<'de>, E> {
        Ok(JValue::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<JValue<'de>, E> {
        serde_json::Number::from_f64(v)
            .map(JValue::Number)
            .ok_or_else(|| E::custom("invalid number"))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<JValue<'de>, E> {
        Ok(JValue::String(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<JValue<'de>, E> {
        Ok(JValue::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<JValue<'de>, E> {
        Ok(JValue::String(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JValue<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<JValue<'de>>()? {
            items.push(item);
        }
        Ok(JValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JValue<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some((Key(key), value)) = map.next_entry::<Key<'de>, JValue<'de>>()? {
            members.push((key, value));
        }
        Ok(JValue::Object(members))
    }
}

/// Parses a JSON document (one value, nothing after it but whitespace).
pub(crate) fn parse(bytes: &[u8]) -> Result<JValue<'_>, String> {
    serde_json::from_slice::<JValue<'_>>(bytes).map_err(|e| e.to_string())
}

/// Which of `fields` an object key selects: an exact match, else a case-insensitive
/// one (Go's rule for decoding into structs).
pub(crate) fn match_field<'a>(key: &str, fields: &[&'a str]) -> Option<&'a str> {
    if let Some(f) = fields.iter().find(|f| **f == key) {
        return Some(f);
    }
    if key.is_ascii() {
        // Field names are ASCII, and for ASCII text Unicode case folding is ASCII's.
        return fields.iter().find(|f| f.eq_ignore_ascii_case(key)).copied();
    }
    let folded = key.to_lowercase();
    fields.iter().find(|f| f.to_lowercase() == folded).copied()
}

/// A decoding type error, worded like Go's `json.UnmarshalTypeError`.
pub(crate) fn type_error(value: &JValue<'_>, field: &str, go_type: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field {field} of type {go_type}",
        value.kind()
    )
}

/// Builds JSON text the way Go's `encoding/json` writes it.
#[derive(Default)]
pub(crate) struct Writer {
    out: String,
}

impl Writer {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
        }
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    pub(crate) fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    pub(crate) fn string(&mut self, s: &str) {
        push_string(&mut self.out, s);
    }

    pub(crate) fn string_array(&mut self, items: &[String]) {
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_string(&mut self.out, item);
        }
        self.out.push(']');
    }
}

/// Go's JSON string encoding: the project's one implementation, in `dfopt_llb::json`.
pub(crate) use dfopt_llb::json::push_string;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_member_order_and_duplicates() {
        let v = parse(br#"{"b":1,"a":[true,null,"x"],"b":2}"#).unwrap();
        let JValue::Object(members) = v else { panic!() };
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
    }

    #[test]
    fn fields_match_case_insensitively() {
        assert_eq!(match_field("env", &["Env", "Cmd"]), Some("Env"));
        assert_eq!(match_field("Env", &["Env", "Cmd"]), Some("Env"));
        assert_eq!(match_field("nope", &["Env"]), None);
    }

    #[test]
    fn strings_escape_like_go() {
        let mut out = String::new();
        push_string(&mut out, "a<b>&\"\\\n\u{1}\u{8}é");
        assert_eq!(out, r#""a\u003cb\u003e\u0026\"\\\n\u0001\u0008é""#);
    }
}
