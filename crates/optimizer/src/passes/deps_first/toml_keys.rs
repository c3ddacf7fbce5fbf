//! The keys a TOML config file sets, for the closed-world readers of
//! `poetry.toml` (`poetry_keys.rs`), `uv.toml` and `pyproject.toml`'s
//! `[tool.uv]` (`uv_keys.rs`). The crate has no TOML parser, so this reads
//! lines: table headers (`[a.b]`, `[[a.b]]`) and `key = value` assignments
//! give full dotted keys (`virtualenvs.in-project`); values spanning lines
//! (arrays, inline tables, multi-line strings) are skipped. A key whose
//! value is an inline table is one key (`virtualenvs = { create = false }`
//! gives `virtualenvs`), which a list of leaf keys does not know: it
//! refuses, which is the safe side. A line this reader cannot make sense of
//! is an error, which the callers read as an unknown key.

/// The full key of each assignment in `text`, in order, as its parts
/// (quotes taken off: `[repositories."corp.pypi"]` + `url` is
/// `repositories`, `corp.pypi`, `url`); `Err(line)` for a line that cannot
/// be read.
pub(super) fn assignments(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut keys = Vec::new();
    let mut table: Vec<String> = Vec::new();
    let mut state = Scan::default();
    for line in text.lines() {
        let trimmed = line.trim();
        if state.depth > 0 || state.open_string.is_some() {
            state.scan(trimmed).map_err(|()| line.to_string())?;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let header = header.strip_prefix('[').unwrap_or(header);
            let (name, rest) = header.split_once(']').ok_or_else(|| line.to_string())?;
            let rest = rest.trim_start_matches(']').trim();
            if !(rest.is_empty() || rest.starts_with('#')) {
                return Err(line.to_string());
            }
            table = key_parts(name).ok_or_else(|| line.to_string())?;
            continue;
        }
        let (key, value) = split_assignment(trimmed).ok_or_else(|| line.to_string())?;
        let mut full = table.clone();
        full.extend(key_parts(key).ok_or_else(|| line.to_string())?);
        keys.push(full);
        state.scan(value).map_err(|()| line.to_string())?;
    }
    if state.depth != 0 || state.open_string.is_some() {
        return Err("an unterminated value".to_string());
    }
    Ok(keys)
}

/// Whether a key (its parts) matches a dotted pattern: parts are compared
/// one by one, `*` matches any one part and a final `**` any number of
/// parts (one at least).
pub(super) fn key_matches(pattern: &str, key: &[String]) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    for (i, part) in pattern.iter().enumerate() {
        if *part == "**" && i + 1 == pattern.len() {
            return key.len() > i;
        }
        match key.get(i) {
            Some(k) if *part == "*" || part == k => {}
            _ => return false,
        }
    }
    key.len() == pattern.len()
}

/// Where the reader is inside a value that may span lines.
#[derive(Default)]
struct Scan {
    /// Open `[` and `{` brackets.
    depth: i32,
    /// The delimiter of an open multi-line string (`"""` or `'''`).
    open_string: Option<&'static str>,
}

impl Scan {
    /// Reads one line (or the value part of one), up to a comment.
    fn scan(&mut self, text: &str) -> Result<(), ()> {
        let chars: Vec<char> = text.chars().collect();
        let starts = |i: usize, q: &str| chars[i..].iter().take(3).copied().eq(q.chars());
        let mut i = 0;
        while i < chars.len() {
            if let Some(q) = self.open_string {
                if starts(i, q) {
                    self.open_string = None;
                    i += 3;
                } else {
                    i += if chars[i] == '\\' && q == "\"\"\"" {
                        2
                    } else {
                        1
                    };
                }
                continue;
            }
            match chars[i] {
                '#' => break,
                '"' if starts(i, "\"\"\"") => {
                    self.open_string = Some("\"\"\"");
                    i += 3;
                    continue;
                }
                '\'' if starts(i, "'''") => {
                    self.open_string = Some("'''");
                    i += 3;
                    continue;
                }
                quote @ ('"' | '\'') => {
                    i += 1;
                    while i < chars.len() && chars[i] != quote {
                        i += if quote == '"' && chars[i] == '\\' {
                            2
                        } else {
                            1
                        };
                    }
                    if i >= chars.len() {
                        return Err(());
                    }
                }
                '[' | '{' => self.depth += 1,
                ']' | '}' => {
                    self.depth -= 1;
                    if self.depth < 0 {
                        return Err(());
                    }
                }
                _ => {}
            }
            i += 1;
        }
        Ok(())
    }
}

/// `key = value` split at the first `=` outside quotes.
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '=') => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}

/// The parts of a dotted key (`a."b.c".d` is `a`, `b.c`, `d`); `None` when
/// a part is empty or not a bare or quoted key.
fn key_parts(key: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut rest = key.trim();
    loop {
        let (part, after) = if let Some(quoted) = rest.strip_prefix(['"', '\'']) {
            let quote = rest.chars().next()?;
            let end = quoted.find(quote)?;
            (quoted[..end].to_string(), quoted[end + 1..].trim_start())
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            let part = rest[..end].trim();
            let bare = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
            if part.is_empty() || !part.chars().all(bare) {
                return None;
            }
            (part.to_string(), &rest[end..])
        };
        parts.push(part);
        if after.is_empty() {
            return Some(parts);
        }
        rest = after.strip_prefix('.')?.trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_tables_and_dotted_assignments() {
        let text = "# settings\n[virtualenvs]\nin-project = true # here\n\
                    options.always-copy = true\n\n[repositories.\"corp.pypi\"]\n\
                    url = \"https://pypi.example.com/simple\"\n\
                    [[index]]\nname = \"x\"\nlist = [\n  \"a]\",\n  { b = 1 },\n]\n\
                    text = \"\"\"\nkey = 1\n\"\"\"\nafter = 'x'\n";
        let keys: Vec<String> = assignments(text)
            .unwrap()
            .iter()
            .map(|k| k.join("|"))
            .collect();
        assert_eq!(
            keys,
            [
                "virtualenvs|in-project",
                "virtualenvs|options|always-copy",
                "repositories|corp.pypi|url",
                "index|name",
                "index|list",
                "index|text",
                "index|after",
            ]
        );
        assert!(assignments("not a key\n").is_err());
        assert!(assignments("a = [\n").is_err());
        assert!(assignments("a b = 1\n").is_err());
    }

    #[test]
    fn patterns() {
        let key = |k: &str| -> Vec<String> { k.split('.').map(String::from).collect() };
        assert!(key_matches(
            "repositories.*.url",
            &key("repositories.corp.url")
        ));
        assert!(!key_matches("repositories.*.url", &key("repositories.url")));
        assert!(key_matches("sources.**", &key("sources.lib.git")));
        assert!(!key_matches("sources.**", &key("sources")));
        assert!(key_matches("no-cache", &key("no-cache")));
        assert!(!key_matches("no-cache", &key("no-cache.x")));
    }
}
