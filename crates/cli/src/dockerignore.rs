//! `.dockerignore` files: finding the one that applies to a Dockerfile, and
//! parsing it into exclude patterns as moby's `ignorefile.ReadAll` does (the
//! patterns are sent to the daemon verbatim as `local.excludepatterns`).

use std::path::{Path, PathBuf};

/// The ignore file for the Dockerfile at `dockerfile`: `<file>.dockerignore`
/// next to it wins over `.dockerignore` in its directory (BuildKit's order when
/// the Dockerfile is in the context root). `None` when neither exists.
pub fn find(dockerfile: &Path) -> Option<PathBuf> {
    let mut specific = dockerfile.as_os_str().to_owned();
    specific.push(".dockerignore");
    let specific = PathBuf::from(specific);
    if specific.is_file() {
        return Some(specific);
    }
    let dir = dockerfile
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let general = dir.join(".dockerignore");
    general.is_file().then_some(general)
}

/// Parses an ignore file: `#` comments at column 0, trimmed lines, `!`
/// exceptions, `filepath.Clean`ed patterns without one leading `/`.
pub fn parse(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut patterns = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let mut line = raw.strip_suffix('\r').unwrap_or(raw);
        if index == 0 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        if line.starts_with('#') {
            continue;
        }
        let pattern = line.trim();
        if pattern.is_empty() {
            continue;
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
                    cleaned = relative.to_string();
                }
            }
        }
        patterns.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    patterns
}

/// Go's `path.Clean`.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
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
    fn as_moby_reads_them() {
        assert_eq!(
            patterns(
                "# c\n\n  node_modules  \n  # not a comment\n*.md\n! README.md\n!./docs//a/../b/\n"
            ),
            [
                "node_modules",
                "# not a comment",
                "*.md",
                "!README.md",
                "!docs/b"
            ]
        );
        assert_eq!(
            patterns("/build\n//x/y\n/\n!/tmp\n"),
            ["build", "x/y", "/", "!tmp"]
        );
        assert_eq!(patterns(".\n./\na/..\n../x\n"), [".", ".", ".", "../x"]);
        assert_eq!(patterns("\u{feff}# c\r\nfoo\r\nbar"), ["foo", "bar"]);
    }
}
