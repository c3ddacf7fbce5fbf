//! The one JSON shape LLB attributes need: an array of strings.
//!
//! Local-source attributes such as `local.includepattern` carry JSON-encoded arrays.
//! Encoding them by hand keeps serde out of the dependency tree and lets us match Go's
//! `encoding/json` byte for byte (it HTML-escapes `<`, `>` and `&`), so our attribute
//! values, and therefore our op digests, equal the Go client's.

use std::fmt::Write as _;

/// Encodes `items` as a JSON array the way Go's `json.Marshal([]string)` does.
pub fn string_array<S: AsRef<str>>(items: &[S]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(&mut out, item.as_ref());
    }
    out.push(']');
    out
}

/// The bytes that may start something to escape: everything to escape is ASCII (control
/// characters, `"`, `\`, and the HTML-sensitive `<`, `>`, `&`) except U+2028 and U+2029,
/// which start with E2. A table lookup per byte keeps the scan over plain text short.
const MAY_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'&' as usize] = true;
    table[0xE2] = true;
    table
};

/// Go's `json.Marshal` encoding of a string (with its HTML escaping), appended to `out`.
/// Runs of bytes that need no escape are copied as slices.
pub fn push_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut copied = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !MAY_ESCAPE[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        let short = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => "",
            c if u32::from(c) < 0x20 => "",
            // Another character starting with E2.
            _ => {
                i += c.len_utf8();
                continue;
            }
        };
        out.push_str(&s[copied..i]);
        if short.is_empty() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push_str(short);
        }
        i += c.len_utf8();
        copied = i;
    }
    out.push_str(&s[copied..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_go() {
        assert_eq!(string_array::<&str>(&[]), "[]");
        assert_eq!(string_array(&["a", "b/*.go"]), r#"["a","b/*.go"]"#);
        assert_eq!(
            string_array(&["q\"\\\n<&>\u{1}"]),
            r#"["q\"\\\n\u003c\u0026\u003e\u0001"]"#
        );
        assert_eq!(
            string_array(&["é\u{2028}–\u{2029}\u{7f}\t\r日"]),
            "[\"é\\u2028–\\u2029\u{7f}\\t\\r日\"]"
        );
    }
}
