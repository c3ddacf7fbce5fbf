//! Go's string quoting and UTF-8 decoding, as far as BuildKit's messages and
//! reader depend on them.

use std::fmt::Write as _;

use super::unicode::is_print;

/// Quotes `text` exactly as Go's `strconv.Quote` (and so `fmt`'s `%q`) does.
///
/// BuildKit reports expansion failures as `failed to process %q: ...`, so
/// matching its messages byte for byte needs Go's escaping rules: `"` and `\`
/// are backslash-escaped, printable characters (Go's `IsPrint`, which rejects
/// every space but U+0020) are kept, `\a \b \f \n \r \t \v` use their short
/// forms, other ASCII controls become `\xNN`, and everything else becomes
/// `\uNNNN` or `\UNNNNNNNN` with lower-case hex digits.
pub fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out.push('"');
    out
}

fn push_escaped(out: &mut String, c: char) {
    if c == '"' || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_print(c) {
        out.push(c);
        return;
    }
    let short = match c {
        '\u{07}' => "\\a",
        '\u{08}' => "\\b",
        '\u{0C}' => "\\f",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\u{0B}' => "\\v",
        _ => "",
    };
    if !short.is_empty() {
        out.push_str(short);
        return;
    }
    let code = u32::from(c);
    // Writing to a String cannot fail.
    let _ = if code < 0x20 || code == 0x7F {
        write!(out, "\\x{code:02x}")
    } else if code < 0x1_0000 {
        write!(out, "\\u{code:04x}")
    } else {
        write!(out, "\\U{code:08x}")
    };
}

/// Decodes bytes the way Go's `text/scanner` (which BuildKit's lexer reads
/// with) does: every byte that is not part of a valid UTF-8 sequence becomes
/// one U+FFFD.
///
/// The lexer works on `&str`, so invalid UTF-8 can never reach it; a caller
/// holding raw bytes should decode them with this function to see the
/// characters BuildKit sees. It differs from `String::from_utf8_lossy`, which
/// replaces a truncated multi-byte sequence with a single U+FFFD where Go
/// produces one per byte.
pub fn decode_utf8_like_go(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = error.error_len().unwrap_or(rest.len());
                for _ in 0..bad {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                bytes = rest.get(bad..).unwrap_or_default();
            }
        }
    }
}

/// Go's `strconv.Atoi` (64-bit): one optional sign, then ASCII digits, no
/// overflow. BuildKit reads `COPY --from` stage indices and STOPSIGNAL numbers
/// with it.
pub fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote(""), r#""""#);
        assert_eq!(go_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(
            go_quote("\u{7}\u{8}\u{c}\n\r\t\u{b}"),
            r#""\a\b\f\n\r\t\v""#
        );
        assert_eq!(go_quote("\u{0}\u{1f}\u{7f}"), r#""\x00\x1f\x7f""#);
        assert_eq!(go_quote("한국어 é ~"), "\"한국어 é ~\"");
        assert_eq!(
            go_quote("\u{a0}\u{feff}\u{85}\u{3000}"),
            r#""\u00a0\ufeff\u0085\u3000""#
        );
        assert_eq!(
            go_quote("\u{e0001}\u{10ffff}😀"),
            "\"\\U000e0001\\U0010ffff😀\""
        );
    }

    #[test]
    fn decodes_each_bad_byte_to_one_replacement() {
        assert_eq!(decode_utf8_like_go(b"ab"), "ab");
        assert_eq!(decode_utf8_like_go(b"a\xffb"), "a\u{fffd}b");
        // A truncated three-byte sequence: Go yields two U+FFFD, Rust's lossy one.
        assert_eq!(decode_utf8_like_go(b"\xe2\x82a"), "\u{fffd}\u{fffd}a");
        assert_eq!(String::from_utf8_lossy(b"\xe2\x82a"), "\u{fffd}a");
        assert_eq!(decode_utf8_like_go(b"x\xe2\x82"), "x\u{fffd}\u{fffd}");
        assert_eq!(decode_utf8_like_go("€".as_bytes()), "€");
    }
}
