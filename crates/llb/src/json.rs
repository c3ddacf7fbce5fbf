//! The one JSON shape LLB attributes need: an array of strings.
//!
//! Local-source attributes such as `local.includepattern` carry JSON-encoded arrays.
//! Encoding them by hand keeps serde out of the dependency tree and lets us match Go's
//! `encoding/json` byte for byte (it HTML-escapes `<`, `>` and `&`), so our attribute
//! values, and therefore our op digests, equal the Go client's.

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

/// Go's `json.Marshal` encoding of a string (with its HTML escaping), appended to `out`.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
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
    }
}
