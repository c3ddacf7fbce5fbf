//! One CSV record, as `tonistiigi/go-csvvalue` (used for `--mount` and `--device`).
//!
//! Comma separated; a field starting with `"` is quoted and `""` inside it is
//! a quote; a quote anywhere else is an error. Messages follow Go's
//! `csv.ParseError` ("parse error on line 1, column N: …").

pub fn fields(input: &str) -> Result<Vec<String>, String> {
    let line = input.strip_suffix("\r\n").or_else(|| input.strip_suffix('\n')).unwrap_or(input);
    if line.is_empty() {
        return Err("EOF".to_string());
    }
    let mut out: Vec<String> = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &line[pos..];
        if !rest.starts_with('"') {
            let end = rest.find(',').unwrap_or(rest.len());
            let field = &rest[..end];
            if let Some(j) = field.find('"') {
                return Err(parse_error(pos + j, "bare \" in non-quoted-field"));
            }
            out.push(field.to_string());
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
                    out.push(field);
                    break;
                }
                None => {
                    out.push(field);
                    return Ok(out);
                }
                Some(_) => return Err(parse_error(pos - 1, "extraneous or missing \" in quoted-field")),
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
        assert_eq!(fields("a,b=c,"), Ok(vec!["a".into(), "b=c".into(), "".into()]));
        assert_eq!(fields("\"a,b\",\"x\"\"y\""), Ok(vec!["a,b".into(), "x\"y".into()]));
        assert_eq!(fields("a\"b"), Err("parse error on line 1, column 2: bare \" in non-quoted-field".into()));
        assert_eq!(fields("\"ab"), Err("parse error on line 1, column 2: extraneous or missing \" in quoted-field".into()));
        assert_eq!(fields("\"a\"b"), Err("parse error on line 1, column 3: extraneous or missing \" in quoted-field".into()));
        assert_eq!(fields(""), Err("EOF".into()));
    }
}
