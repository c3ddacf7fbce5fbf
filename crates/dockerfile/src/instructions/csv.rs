//! One CSV record, as `tonistiigi/go-csvvalue` (used for `--mount` and `--device`).
//!
//! Comma separated; a field starting with `"` is quoted and `""` inside it is
//! a quote; a quote anywhere else is an error. Messages follow Go's
//! `csv.ParseError` ("parse error on line 1, column N: …").
//!
//! Fields without quotes are borrowed from the input; only quoted fields,
//! whose text differs from the input, are copied.

use std::borrow::Cow;

pub fn fields(input: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let line = input
        .strip_suffix("\r\n")
        .or_else(|| input.strip_suffix('\n'))
        .unwrap_or(input);
    if line.is_empty() {
        return Err("EOF".to_string());
    }
    let mut out: Vec<Cow<str>> = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &line[pos..];
        if !rest.starts_with('"') {
            // Byte searches: `,` and `"` are ASCII, so they find the same positions as `str::find`.
            let end = rest.bytes().position(|b| b == b',').unwrap_or(rest.len());
            let field = &rest[..end];
            if let Some(j) = field.bytes().position(|b| b == b'"') {
                return Err(parse_error(pos + j, "bare \" in non-quoted-field"));
            }
            out.push(Cow::Borrowed(field));
            if end == rest.len() {
                return Ok(out);
            }
            pos += end + 1;
            continue;
        }
        pos += 1;
        let mut field = String::new();
        loop {
            let rest = &line[pos..];
            let Some(i) = rest.find('"') else {
                return Err(parse_error(pos, "extraneous or missing \" in quoted-field"));
            };
            field.push_str(&rest[..i]);
            pos += i + 1;
            match line[pos..].chars().next() {
                Some('"') => {
                    field.push('"');
                    pos += 1;
                }
                Some(',') => {
                    pos += 1;
                    out.push(Cow::Owned(field));
                    break;
                }
                None => {
                    out.push(Cow::Owned(field));
                    return Ok(out);
                }
                Some(_) => {
                    return Err(parse_error(
                        pos - 1,
                        "extraneous or missing \" in quoted-field",
                    ))
                }
            }
        }
    }
}

fn parse_error(pos: usize, message: &str) -> String {
    format!("parse error on line 1, column {}: {message}", pos + 1)
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn records() {
        assert_eq!(
            fields("a,b=c,"),
            Ok(vec!["a".into(), "b=c".into(), "".into()])
        );
        assert_eq!(
            fields("\"a,b\",\"x\"\"y\""),
            Ok(vec!["a,b".into(), "x\"y".into()])
        );
        assert_eq!(
            fields("a\"b"),
            Err("parse error on line 1, column 2: bare \" in non-quoted-field".into())
        );
        assert_eq!(
            fields("\"ab"),
            Err("parse error on line 1, column 2: extraneous or missing \" in quoted-field".into())
        );
        assert_eq!(
            fields("\"a\"b"),
            Err("parse error on line 1, column 3: extraneous or missing \" in quoted-field".into())
        );
        assert_eq!(fields(""), Err("EOF".into()));
    }
}
