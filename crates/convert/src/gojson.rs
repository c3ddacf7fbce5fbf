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

/// What the next JSON value is, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// How deep [`Reader`] nests before giving up (serde_json's own limit is 128).
const MAX_DEPTH: u32 = 64;

/// A pull reader that decodes a JSON document straight into typed values, without
/// building a [`JValue`] tree first.
///
/// It is a fast path only: every method returns `None` ("give up") on anything it does
/// not handle exactly as [`parse`] (serde_json) does — any syntax error, numbers with
/// an exponent or too many digits, surrogate `\u` escapes, deep nesting. Callers then
/// decode the document again with [`parse`], which produces the same value or the
/// same error text as before. So whenever a method returns `Some`, serde_json would
/// have accepted the same text and read the same value.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    /// `None` if the document is not UTF-8 (serde_json rejects it: outside strings a
    /// non-ASCII byte is a syntax error, inside them invalid UTF-8 is).
    pub(crate) fn new(bytes: &'a [u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        Some(Reader {
            text,
            pos: 0,
            depth: 0,
        })
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes().get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.pos).copied()
    }

    /// Consumes `b` if it is the next non-whitespace byte.
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        self.skip_ws();
        if self.bytes()[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    /// The kind of the next value (`None` if no value can start here).
    pub(crate) fn kind(&mut self) -> Option<Kind> {
        Some(match self.peek()? {
            b'n' => Kind::Null,
            b't' | b'f' => Kind::Bool,
            b'-' | b'0'..=b'9' => Kind::Number,
            b'"' => Kind::String,
            b'[' => Kind::Array,
            b'{' => Kind::Object,
            _ => return None,
        })
    }

    /// Consumes `null` if it comes next; `Some(false)` if another value does.
    pub(crate) fn null(&mut self) -> Option<bool> {
        if self.peek()? == b'n' {
            self.literal("null")?;
            Some(true)
        } else {
            Some(false)
        }
    }

    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal("true").map(|()| true),
            b'f' => self.literal("false").map(|()| false),
            _ => None,
        }
    }

    /// A string; borrowed from the document when it has no escapes.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            // Jump to the next byte that ends the plain run.
            let plain = self.bytes()[self.pos..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            self.pos += plain;
            match self.bytes()[self.pos] {
                b'"' => {
                    let tail = &self.text[run..self.pos];
                    self.pos += 1;
                    return Some(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    let c = self.escape()?;
                    s.push(c);
                    run = self.pos;
                }
                // serde_json rejects raw control characters in strings.
                _ => return None,
            }
        }
    }

    /// The character of an escape, after its backslash.
    fn escape(&mut self) -> Option<char> {
        let b = *self.bytes().get(self.pos)?;
        self.pos += 1;
        Some(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = self.text.get(self.pos..self.pos + 4)?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                self.pos += 4;
                // Surrogates (pairs or lone) are left to serde_json.
                char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
            }
            _ => return None,
        })
    }

    /// The span of a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, and whether it has a
    /// fraction. Exponents and integer parts of more than 18 digits are left to
    /// serde_json (they can overflow to an out-of-range float).
    fn number(&mut self) -> Option<(&'a str, bool)> {
        self.skip_ws();
        let start = self.pos;
        let b = self.bytes();
        if b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let digits = self.digits();
        if digits == 0 || digits > 18 || (digits > 1 && b[self.pos - digits] == b'0') {
            return None;
        }
        let mut fraction = false;
        if b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
            fraction = true;
        }
        if matches!(b.get(self.pos), Some(b'e' | b'E')) {
            return None;
        }
        Some((&self.text[start..self.pos], fraction))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes().get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number that serde_json reads as an integer (so `as_i64` gives it); `None` for
    /// fractions and `-0`, which it reads as floats.
    pub(crate) fn int(&mut self) -> Option<i64> {
        let (text, fraction) = self.number()?;
        if fraction || text == "-0" {
            return None;
        }
        text.parse().ok()
    }

    /// Skips one value of any kind, checking its syntax.
    pub(crate) fn skip(&mut self) -> Option<()> {
        match self.kind()? {
            Kind::Null => self.literal("null"),
            Kind::Bool => self.bool().map(drop),
            Kind::Number => self.number().map(drop),
            Kind::String => self.string().map(drop),
            Kind::Array => self.array(Reader::skip),
            Kind::Object => self.object(|r, _| r.skip()),
        }
    }

    fn enter(&mut self, open: u8) -> Option<()> {
        if !self.eat(open) {
            return None;
        }
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// An object: `member` is called with each key, in document order, and must read
    /// the member's value.
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        self.enter(b'{')?;
        if !self.eat(b'}') {
            loop {
                if self.peek()? != b'"' {
                    return None;
                }
                let key = self.string()?;
                if !self.eat(b':') {
                    return None;
                }
                member(self, key)?;
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// An array: `item` is called for each element and must read it.
    pub(crate) fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.enter(b'[')?;
        if !self.eat(b']') {
            loop {
                item(self)?;
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// The end of the document: nothing but whitespace may follow the value.
    pub(crate) fn end(&mut self) -> Option<()> {
        self.skip_ws();
        (self.pos == self.text.len()).then_some(())
    }
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
