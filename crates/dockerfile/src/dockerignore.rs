//! `.dockerignore` parsing, equal to moby/patternmatcher `ignorefile.ReadAll`; the one
//! implementation the frontend, the CLI and the build checks use.
//!
//! The patterns are sent to the daemon verbatim (`local.excludepatterns`), and the
//! daemon matches them, so the only job here is to turn the file into the same list of
//! strings Go would produce:
//!
//! * a UTF-8 BOM on the first line is dropped;
//! * lines starting with `#` are comments (only at column 0: `  # x` is a pattern);
//! * each line is trimmed; empty lines are skipped;
//! * a leading `!` marks an exception; the rest is trimmed again;
//! * the pattern is `filepath.Clean`ed, and one leading `/` is removed
//!   (`/a` and `a` mean the same thing).
//!
//! Lines end at `\n`; one trailing `\r` is dropped (Go's `bufio.ScanLines`).

/// Parses a `.dockerignore` file into exclude patterns.
///
/// Invalid UTF-8 is replaced by U+FFFD: the patterns travel to the daemon as a JSON
/// string array, which Go would have produced with the same replacement.
pub fn parse(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut patterns = Vec::new();
    for (index, raw_line) in text.split('\n').enumerate() {
        let mut line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        if index == 0 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        if let Some(pattern) = parse_line(line) {
            patterns.push(pattern);
        }
    }
    patterns
}

fn parse_line(line: &str) -> Option<String> {
    if line.starts_with('#') {
        return None;
    }
    let pattern = line.trim();
    if pattern.is_empty() {
        return None;
    }
    let (invert, pattern) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, pattern),
    };
    let mut cleaned = String::new();
    if !pattern.is_empty() {
        cleaned = clean(pattern);
        if cleaned.len() > 1 {
            if let Some(relative) = cleaned.strip_prefix('/') {
                cleaned = relative.to_owned();
            }
        }
    }
    Some(if invert {
        format!("!{cleaned}")
    } else {
        cleaned
    })
}

// Go's path helpers for patterns. dfopt-dockerfile does not depend on dfopt-llb,
// whose `paths` module serves the LLB side.
/// Go's `path.Dir`.
pub fn dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => clean(&path[..=i]),
        None => ".".to_owned(),
    }
}

/// Go's `path.Clean`.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(text: &str) -> Vec<String> {
        parse(text.as_bytes())
    }

    #[test]
    fn comments_blank_lines_and_trimming() {
        let text = "# comment\n\n  node_modules  \n\t*.log\n  # not a comment\n";
        assert_eq!(patterns(text), ["node_modules", "*.log", "# not a comment"]);
    }

    #[test]
    fn exceptions_are_trimmed_and_cleaned() {
        assert_eq!(
            patterns("*.md\n! README.md\n!./docs//a/../b/\n!\n"),
            ["*.md", "!README.md", "!docs/b", "!"]
        );
    }

    #[test]
    fn leading_slash_is_removed_but_root_stays() {
        assert_eq!(
            patterns("/build\n//x/y\n/\n!/tmp\n"),
            ["build", "x/y", "/", "!tmp"]
        );
    }

    #[test]
    fn clean_collapses_dots() {
        assert_eq!(patterns(".\n./\na/..\n../x\n"), [".", ".", ".", "../x"]);
    }

    #[test]
    fn bom_and_crlf() {
        assert_eq!(patterns("\u{feff}# c\r\nfoo\r\nbar\r\n"), ["foo", "bar"]);
        // A BOM only counts on the first line.
        assert_eq!(patterns("a\n\u{feff}b"), ["a", "\u{feff}b"]);
    }

    #[test]
    fn no_trailing_newline_and_empty_file() {
        assert_eq!(patterns("a\nb"), ["a", "b"]);
        assert!(patterns("").is_empty());
        assert!(patterns("\n\n# only comments\n").is_empty());
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(parse(b"ok\n\xffbad\n"), ["ok", "\u{fffd}bad"]);
    }
}
