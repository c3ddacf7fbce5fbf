//! Static values of words: literal text, path patterns, assignments.

/// The value of a word when it is static: quotes and escapes removed. `None`
/// when it contains a substitution (`$`, backquote) or an unquoted `~`.
pub(crate) fn literal(word: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        match c {
            '$' | '`' => return None,
            '~' if first => return None,
            '\\' => out.push(chars.next()?),
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '$' | '`' => return None,
                    '\\' => match chars.next()? {
                        c @ ('$' | '`' | '"' | '\\') => out.push(c),
                        c => {
                            out.push('\\');
                            out.push(c);
                        }
                    },
                    c => out.push(c),
                }
            },
            c => out.push(c),
        }
        first = false;
    }
    Some(out)
}

/// A path argument: its static text with glob characters kept as pattern
/// characters, when the word is static apart from a leading `~` or `$HOME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathPattern {
    /// The pattern; `*`, `?` and `[` are wildcards unless `quoted`.
    pub text: String,
    /// Byte positions in `text` of wildcard characters that were unquoted.
    pub wild: Vec<usize>,
}

/// Reads a path word: `~`/`~/x`, `$HOME`/`${HOME}` at the start are replaced
/// by `home` (if known); any other substitution gives `None`.
pub(crate) fn path_pattern(word: &str, home: Option<&str>) -> Option<PathPattern> {
    let mut text = String::new();
    let mut wild = Vec::new();
    let mut rest = word;
    for prefix in ["~", "$HOME", "${HOME}", "\"$HOME\"", "\"${HOME}\""] {
        if let Some(after) = rest.strip_prefix(prefix) {
            if after.is_empty()
                || after.starts_with('/')
                || after.starts_with("\"/")
                || after.starts_with('"')
            {
                text.push_str(home?);
                rest = after;
                break;
            }
        }
    }
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' | '`' | '~' if text.is_empty() && c == '~' => return None,
            '$' | '`' => return None,
            '\\' => text.push(chars.next()?),
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    text.push(c);
                }
            }
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '$' | '`' => return None,
                    '\\' => match chars.next()? {
                        c @ ('$' | '`' | '"' | '\\') => text.push(c),
                        c => {
                            text.push('\\');
                            text.push(c);
                        }
                    },
                    c => text.push(c),
                }
            },
            '*' | '?' | '[' => {
                wild.push(text.len());
                text.push(c);
            }
            c => text.push(c),
        }
    }
    Some(PathPattern { text, wild })
}

impl PathPattern {
    /// The static prefix before the first wildcard.
    pub fn literal_prefix(&self) -> &str {
        match self.wild.first() {
            Some(&i) => &self.text[..i],
            None => &self.text,
        }
    }

    /// Whether the pattern can match `path` (shell glob semantics, `/` never
    /// matched by a wildcard; bracket expressions treated as any one character).
    pub fn matches(&self, path: &str) -> bool {
        glob_match(&self.text, &self.wild, 0, path)
    }
}

fn glob_match(pattern: &str, wild: &[usize], offset: usize, path: &str) -> bool {
    let p = &pattern[offset..];
    let next_wild = wild.iter().copied().find(|&w| w >= offset);
    let Some(w) = next_wild else {
        return p == path;
    };
    let lit = &pattern[offset..w];
    let Some(path_rest) = path.strip_prefix(lit) else {
        return false;
    };
    let wc = pattern.as_bytes()[w];
    match wc {
        b'*' => {
            let mut k = 0;
            loop {
                if glob_match(pattern, wild, w + 1, &path_rest[k..]) {
                    return true;
                }
                match path_rest[k..].chars().next() {
                    Some('/') | None => return false,
                    Some(c) => k += c.len_utf8(),
                }
            }
        }
        b'?' => match path_rest.chars().next() {
            Some(c) if c != '/' => glob_match(pattern, wild, w + 1, &path_rest[c.len_utf8()..]),
            _ => false,
        },
        _ => {
            // `[...]`: skip to the closing bracket; match any one character but `/`.
            let close = pattern[w + 1..].find(']').map(|n| w + 1 + n + 1);
            match (close, path_rest.chars().next()) {
                (Some(end), Some(c)) if c != '/' => {
                    glob_match(pattern, wild, end, &path_rest[c.len_utf8()..])
                }
                (None, Some('[')) => glob_match(pattern, wild, w + 1, &path_rest[1..]),
                _ => false,
            }
        }
    }
}

/// `NAME=…` with a valid name (a shell assignment word).
pub(crate) fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}
