//! Slash-separated path arithmetic with Go's `path` semantics.
//!
//! LLB paths are always `/`-separated and absolute, whatever the host OS, so
//! `std::path` (which is host-specific) is the wrong tool. These helpers reproduce Go's
//! `path.Clean`/`path.Join` and BuildKit's `normalizePath`, so that paths in our ops are
//! spelled exactly as the Go client would spell them.

/// Go's `path.Clean`: lexically removes `.`, `..` and duplicate slashes.
///
/// Paths are cleaned several times per instruction while converting a Dockerfile and
/// are nearly always clean already: those are copied as they are; the rest go through
/// Go's own algorithm, writing into one buffer.
pub fn clean(p: &str) -> String {
    if is_clean(p) {
        return p.to_owned();
    }
    rebuild_clean(p)
}

/// Whether `path.Clean` returns `p` unchanged: `/`, or a path whose elements (after one
/// leading `/`) are all non-empty and neither `.` nor `..`. Conservative: some clean
/// paths (`.`, `../x`) answer false and are simply rebuilt.
fn is_clean(p: &str) -> bool {
    if p == "/" {
        return true;
    }
    let body = p.strip_prefix('/').unwrap_or(p);
    !body.is_empty()
        && body
            .split('/')
            .all(|e| !e.is_empty() && e != "." && e != "..")
}

/// Go's `path.Clean` algorithm proper.
fn rebuild_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let path = p.as_bytes();
    let n = path.len();
    let rooted = path[0] == b'/';
    let mut out = String::with_capacity(n);
    // `r`: next byte to read; `dotdot`: where `..` can no longer backtrack.
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push('/');
        (r, dotdot) = (1, 1);
    }
    while r < n {
        let rest = &p[r..];
        if rest.starts_with('/') {
            // An empty element.
            r += 1;
        } else if rest == "." || rest.starts_with("./") {
            r += 1;
        } else if rest == ".." || rest.starts_with("../") {
            r += 2;
            if out.len() > dotdot {
                // Back to the previous slash (not before `dotdot`).
                let cut = out[dotdot..].rfind('/').map_or(dotdot, |i| dotdot + i);
                out.truncate(cut);
            } else if !rooted {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str("..");
                dotdot = out.len();
            }
        } else {
            // A real element: a slash first unless at the start.
            if out.len() != usize::from(rooted) {
                out.push('/');
            }
            let end = rest.find('/').map_or(n, |i| r + i);
            out.push_str(&p[r..end]);
            r = end;
        }
    }
    if out.is_empty() {
        return ".".to_owned();
    }
    out
}

/// Go's `path.Join`: joins the non-empty elements with `/` and cleans the result.
///
/// No `/` is put after an element that already ends with one: cleaning collapses the
/// slashes anyway, and `/` + `app` is then clean as joined, needing no second string.
pub fn join(elements: &[&str]) -> String {
    let mut joined = String::with_capacity(elements.iter().map(|e| e.len() + 1).sum());
    for e in elements.iter().filter(|e| !e.is_empty()) {
        if !joined.is_empty() && !joined.ends_with('/') {
            joined.push('/');
        }
        joined.push_str(e);
    }
    if joined.is_empty() || is_clean(&joined) {
        return joined;
    }
    rebuild_clean(&joined)
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

/// BuildKit's `sourcePath` for a copy source: clean `src`, then join it with the source
/// state's `cwd` if it is relative.
pub(crate) fn source_path(cwd: &str, src: &str) -> String {
    // As in `absolute`: joining the uncleaned `src` gives the same path with one string
    // less. Only an empty `src` with an empty `cwd` would differ (`""` instead of `.`).
    if src.starts_with('/') || src.is_empty() {
        let cleaned = clean(src);
        if cleaned.starts_with('/') {
            return cleaned;
        }
        return join(&[cwd, &cleaned]);
    }
    join(&[cwd, src])
}

/// Makes `p` absolute relative to `cwd` (BuildKit's `normalizePath`). With
/// `keep_slash`, a trailing `/` or `/.` of the original survives cleaning, because for a
/// copy destination it means "into this directory".
pub fn absolute(cwd: &str, p: &str, keep_slash: bool) -> String {
    // Joining `p` uncleaned gives the same path as joining `clean(p)` (cleaning is
    // lexical, and a relative `p` cleans to a relative path), with one string less.
    let mut out = if p.starts_with('/') {
        clean(p)
    } else {
        join(&["/", cwd, p])
    };
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

    /// The component-list formulation of `path.Clean`, as a second opinion.
    fn clean_by_parts(p: &str) -> String {
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

    /// Go's `path.Join` as written: non-empty elements joined with `/`, then cleaned.
    fn join_by_parts(elements: &[&str]) -> String {
        let joined = elements
            .iter()
            .filter(|e| !e.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("/");
        if joined.is_empty() {
            joined
        } else {
            clean_by_parts(&joined)
        }
    }

    /// `absolute` as it was first written: clean `p`, then join a relative result.
    fn absolute_by_cleaning_first(cwd: &str, p: &str, keep_slash: bool) -> String {
        let mut out = clean(p);
        if !out.starts_with('/') {
            out = clean_by_parts(&["/", cwd, &out].join("/"));
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

    #[test]
    fn clean_agrees_with_the_parts_formulation() {
        let alphabet = ["/", ".", "..", "a", "bc", "é", "...", ".a"];
        // Every sequence of up to five pieces.
        let mut words = vec![String::new()];
        for _ in 0..5 {
            let mut longer = Vec::new();
            for w in &words {
                for piece in alphabet {
                    longer.push(format!("{w}{piece}"));
                }
            }
            words.extend(longer);
        }
        for w in &words {
            assert_eq!(clean(w), clean_by_parts(w), "clean({w:?})");
            assert_eq!(rebuild_clean(w), clean_by_parts(w), "rebuild_clean({w:?})");
            for cwd in ["", "/", "/a/b/", "rel", "x/", ".."] {
                for pair in [[cwd, w.as_str()], [w.as_str(), cwd]] {
                    assert_eq!(join(&pair), join_by_parts(&pair), "join({pair:?})");
                }
                let cleaned = clean(w);
                let want = if cleaned.starts_with('/') {
                    cleaned
                } else {
                    join(&[cwd, &cleaned])
                };
                assert_eq!(source_path(cwd, w), want, "source_path({cwd:?}, {w:?})");
                for keep_slash in [false, true] {
                    assert_eq!(
                        absolute(cwd, w, keep_slash),
                        absolute_by_cleaning_first(cwd, w, keep_slash),
                        "absolute({cwd:?}, {w:?}, {keep_slash})"
                    );
                }
            }
        }
        assert_eq!(join(&["", "/", "", "a/", "../b"]), "/b");
        assert_eq!(join(&["a", "", "b"]), "a/b");
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
