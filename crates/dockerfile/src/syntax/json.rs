//! Just enough JSON, with Go `encoding/json` semantics, for exec form and the
//! JSON syntax directive.
//!
//! BuildKit decides between exec form and shell form with
//! `json.Unmarshal(rest, &[]any)`: any syntax error (trailing text, a bad
//! escape, unbalanced brackets, nesting deeper than Go's 10000 levels) falls
//! back to shell form, while *valid* JSON with a non-string element is a hard
//! error. So we need a full validator, but only top-level strings are decoded.
//! Validation is iterative, so deep nesting cannot overflow the stack.

/// Why text is not a JSON array of strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArrayError {
    /// Not valid JSON (or not an array): BuildKit falls back to shell form.
    Invalid,
    /// Valid JSON array with a non-string element: BuildKit reports an error.
    NotStrings,
}

/// Go's `encoding/json` maximum nesting depth.
const MAX_DEPTH: usize = 10000;

/// Parses `text` as a JSON array of strings (leading/trailing JSON whitespace allowed).
pub fn parse_string_array(text: &str) -> Result<Vec<String>, ArrayError> {
    parse_string_array_with(text, |string| string)
}

/// [`parse_string_array`], turning each string into a `T` as it is decoded,
/// so a caller that wants its own element type needs no second vector.
pub(crate) fn parse_string_array_with<T>(
    text: &str,
    mut each: impl FnMut(String) -> T,
) -> Result<Vec<T>, ArrayError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    p.skip_ws();
    if p.peek() != Some(b'[') {
        return Err(ArrayError::Invalid);
    }
    p.pos += 1;
    let mut strings = Vec::new();
    let mut all_strings = true;
    p.skip_ws();
    if p.peek() == Some(b']') {
        p.pos += 1;
    } else {
        loop {
            p.skip_ws();
            if p.peek() == Some(b'"') {
                let s = p.string().ok_or(ArrayError::Invalid)?;
                strings.push(each(s));
            } else {
                all_strings = false;
                p.skip_value(1).ok_or(ArrayError::Invalid)?;
            }
            p.skip_ws();
            match p.next_byte() {
                Some(b',') => continue,
                Some(b']') => break,
                _ => return Err(ArrayError::Invalid),
            }
        }
    }
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(ArrayError::Invalid);
    }
    if all_strings {
        Ok(strings)
    } else {
        Err(ArrayError::NotStrings)
    }
}

/// For `{"key": "value", …}` (valid JSON object as a whole), the string value of `key`.
/// Duplicate keys: the last one wins, as in Go.
pub fn object_string_field(text: &str, key: &str) -> Option<String> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    p.skip_ws();
    if p.next_byte()? != b'{' {
        return None;
    }
    let mut found: Option<Option<String>> = None;
    p.skip_ws();
    if p.peek() == Some(b'}') {
        p.pos += 1;
    } else {
        loop {
            p.skip_ws();
            let k = p.string()?;
            p.skip_ws();
            if p.next_byte()? != b':' {
                return None;
            }
            p.skip_ws();
            if p.peek() == Some(b'"') {
                let v = p.string()?;
                if k == key {
                    found = Some(Some(v));
                }
            } else {
                p.skip_value(1)?;
                if k == key {
                    found = Some(None);
                }
            }
            p.skip_ws();
            match p.next_byte()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return None;
    }
    found.flatten()
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Container {
    Array,
    Object,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next_byte(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.bytes.get(self.pos..self.pos + word.len())? == word {
            self.pos += word.len();
            Some(())
        } else {
            None
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let value = u32::from_str_radix(digits, 16).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        Some(value)
    }

    /// A JSON string starting at `"`, decoded as Go does (bad surrogates become U+FFFD).
    fn string(&mut self) -> Option<String> {
        if self.next_byte()? != b'"' {
            return None;
        }
        let mut out = String::new();
        loop {
            let rest = self.text.get(self.pos..)?;
            // Copy the run of ordinary characters in one go. The bytes that end
            // it are ASCII, so the run ends on a character boundary.
            let run = rest
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            out.push_str(&rest[..run]);
            self.pos += run;
            match self.next_byte()? {
                b'"' => return Some(out),
                b'\\' => self.escape(&mut out)?,
                // An unescaped control character.
                _ => return None,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Option<()> {
        let c = match self.next_byte()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                if (0xD800..0xE000).contains(&first) {
                    self.surrogate_pair(first)
                } else {
                    char::from_u32(first).unwrap_or('\u{fffd}')
                }
            }
            _ => return None,
        };
        out.push(c);
        Some(())
    }

    /// Go decodes `\uD83D\uDE00` as one character; anything else around a
    /// surrogate becomes U+FFFD and the following escape is left in place.
    fn surrogate_pair(&mut self, high: u32) -> char {
        if (0xD800..0xDC00).contains(&high)
            && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
        {
            let save = self.pos;
            self.pos += 2;
            if let Some(low) = self.hex4() {
                if (0xDC00..0xE000).contains(&low) {
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    return char::from_u32(code).unwrap_or('\u{fffd}');
                }
            }
            self.pos = save;
        }
        '\u{fffd}'
    }

    /// Skips one value of any kind, iteratively. `depth` is the nesting of the
    /// value's container (Go counts the top-level array as depth 1).
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        let mut stack: Vec<Container> = Vec::new();
        loop {
            // Expect a value.
            self.skip_ws();
            match self.peek()? {
                b'[' | b'{' => {
                    let kind = if self.next_byte()? == b'[' {
                        Container::Array
                    } else {
                        Container::Object
                    };
                    if depth + stack.len() + 1 > MAX_DEPTH {
                        return None;
                    }
                    stack.push(kind);
                    self.skip_ws();
                    let close = if kind == Container::Array { b']' } else { b'}' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        stack.pop();
                    } else {
                        if kind == Container::Object {
                            self.object_key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => self.number()?,
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&top) = stack.last() else {
                    return Some(());
                };
                self.skip_ws();
                match (self.next_byte()?, top) {
                    (b',', Container::Array) => break,
                    (b',', Container::Object) => {
                        self.skip_ws();
                        self.object_key()?;
                        break;
                    }
                    (b']', Container::Array) | (b'}', Container::Object) => {
                        stack.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    fn object_key(&mut self) -> Option<()> {
        self.string()?;
        self.skip_ws();
        (self.next_byte()? == b':').then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &[&str]) -> Result<Vec<String>, ArrayError> {
        Ok(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn valid_arrays() {
        assert_eq!(parse_string_array(r#"[]"#), ok(&[]));
        assert_eq!(
            parse_string_array(r#" [ "a" , "b\"c" ] "#),
            ok(&["a", "b\"c"])
        );
        assert_eq!(
            parse_string_array(r#"["\u00e9\ud83d\ude00\ud800x"]"#),
            ok(&["é😀\u{fffd}x"])
        );
    }

    #[test]
    fn invalid_json_falls_back() {
        for text in [
            r#"["a"] x"#,
            r#"['a']"#,
            r#"["a",]"#,
            r#"["a"#,
            "[\"a\tb\"]",
            r#"["\x"]"#,
            r#"[01]"#,
            r#"[{"a"}]"#,
        ] {
            assert_eq!(parse_string_array(text), Err(ArrayError::Invalid), "{text}");
        }
    }

    #[test]
    fn valid_non_strings_are_errors() {
        for text in [
            r#"["a", 1]"#,
            r#"[null]"#,
            r#"["a", ["b"]]"#,
            r#"[{"a": [1, {"b": null}]}, -0.5e+3]"#,
        ] {
            assert_eq!(
                parse_string_array(text),
                Err(ArrayError::NotStrings),
                "{text}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_invalid_not_a_crash() {
        let deep = format!("[{}{}]", "[".repeat(20000), "]".repeat(20000));
        assert_eq!(parse_string_array(&deep), Err(ArrayError::Invalid));
        let ok_depth = format!("[{}{}]", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse_string_array(&ok_depth), Err(ArrayError::NotStrings));
    }

    #[test]
    fn object_field() {
        assert_eq!(
            object_string_field(r#"{"syntax": "a/b", "x": [1]}"#, "syntax"),
            Some("a/b".into())
        );
        assert_eq!(object_string_field(r#"{"syntax": 1}"#, "syntax"), None);
        assert_eq!(object_string_field(r#"{"syntax": "a"} x"#, "syntax"), None);
    }
}
