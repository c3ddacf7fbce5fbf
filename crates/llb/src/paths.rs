//! Slash-separated path arithmetic with Go's `path` semantics.
//!
//! LLB paths are always `/`-separated and absolute, whatever the host OS, so
//! `std::path` (which is host-specific) is the wrong tool. These helpers reproduce Go's
//! `path.Clean`/`path.Join` and BuildKit's `normalizePath`, so that paths in our ops are
//! spelled exactly as the Go client would spell them.

/// Go's `path.Clean`: lexically removes `.`, `..` and duplicate slashes.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
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

/// Go's `path.Join`: joins the non-empty elements with `/` and cleans the result.
pub fn join(elements: &[&str]) -> String {
    let non_empty: Vec<&str> = elements.iter().copied().filter(|e| !e.is_empty()).collect();
    if non_empty.is_empty() {
        return String::new();
    }
    clean(&non_empty.join("/"))
}

/// Go's `path.Dir`: everything but the last element, cleaned (`.` when there is none).
pub fn dir(p: &str) -> String {
    let cut = p.rfind('/').map_or(0, |slash| slash + 1);
    clean(&p[..cut])
}

/// Go's `path.Base`: the last element, ignoring trailing slashes (`.` for empty, `/` for root).
pub fn base(p: &str) -> &str {
    if p.is_empty() {
        return ".";
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(slash) => &trimmed[slash + 1..],
        None => trimmed,
    }
}

/// Go's `path.IsAbs`.
pub fn is_abs(p: &str) -> bool {
    p.starts_with('/')
}

/// Makes `p` absolute relative to `cwd` (BuildKit's `normalizePath`). With
/// `keep_slash`, a trailing `/` or `/.` of the original survives cleaning, because for a
/// copy destination it means "into this directory".
pub fn absolute(cwd: &str, p: &str, keep_slash: bool) -> String {
    let mut out = clean(p);
    if !out.starts_with('/') {
        out = join(&["/", cwd, &out]);
    }
    if keep_slash {
        if p.ends_with('/') && !out.ends_with('/') {
            out.push('/');
        } else if p.ends_with("/.") {
            if out != "/" {
                out.push('/');
            }
            out.push('.');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../a", "../a"),
            ("a/../..", ".."),
            ("//a//b/./", "/a/b"),
            ("a/..", "."),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn absolute_keeps_directory_markers() {
        assert_eq!(absolute("/app", "x", false), "/app/x");
        assert_eq!(absolute("/app", "x/", true), "/app/x/");
        assert_eq!(absolute("/app", ".", true), "/app");
        assert_eq!(absolute("/app", "./", true), "/app/");
        assert_eq!(absolute("/", "/.", true), "/.");
        assert_eq!(absolute("/app", "sub/.", true), "/app/sub/.");
        assert_eq!(absolute("", "x", false), "/x");
        assert_eq!(absolute("/app", "/abs//y/", false), "/abs/y");
    }
}
