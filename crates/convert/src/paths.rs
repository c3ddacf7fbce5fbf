//! Go's `path` functions, from `dfopt_llb::paths` (one implementation for the project).

pub(crate) use dfopt_llb::paths::is_abs;

/// Go's `path.Clean`, as `dfopt_llb::paths::clean`, but an already clean path (the
/// usual case) is copied as it is instead of being rebuilt byte by byte.
pub(crate) fn clean(p: &str) -> String {
    if is_clean(p) {
        p.to_owned()
    } else {
        dfopt_llb::paths::clean(p)
    }
}

/// Go's `path.Join`, as `dfopt_llb::paths::join`, with one string instead of two when
/// the joined path is already clean (the usual case, e.g. `/` and `app/x`). No `/` is
/// put after an element that ends with one: cleaning collapses slashes, so that
/// cleans to the same path, and `/` + `app` is then clean as built.
pub(crate) fn join(elements: &[&str]) -> String {
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
    dfopt_llb::paths::clean(&joined)
}

/// Whether `path.Clean` would return `p` unchanged: `/`, or a path whose elements
/// (after one leading `/`) are all non-empty and neither `.` nor `..`. Conservative:
/// some clean paths (`.`, `../x`) answer false and are simply cleaned.
fn is_clean(p: &str) -> bool {
    if p == "/" {
        return true;
    }
    let body = p.strip_prefix('/').unwrap_or(p);
    !body.is_empty() && body.split('/').all(|e| !e.is_empty() && e != "." && e != "..")
}

/// `path.Base`, owned.
pub(crate) fn base(p: &str) -> String {
    dfopt_llb::paths::base(p).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_go() {
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean("//x/./y/"), "/x/y");
        assert_eq!(join(&["/", "app/", "x"]), "/app/x");
        assert_eq!(join(&["", ""]), "");
        assert_eq!(join(&[".", "/foo"]), "foo");
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(base("/"), "/");
        assert_eq!(base(""), ".");
        assert_eq!(base("x"), "x");
    }

    #[test]
    fn fast_paths_agree_with_llb() {
        let cases = [
            "", ".", "..", "/", "//", "///a", "a", "/a", "a/", "/a/", "a//b", "/a/./b",
            "/a/../b", "../a", "./a", "a/.", "a/..", "/..", "/.", "/app/x", ".a", "a..b",
            "/a/.b/..c", "x/./", "/./",
        ];
        for a in cases {
            assert_eq!(clean(a), dfopt_llb::paths::clean(a), "clean({a:?})");
            for b in cases {
                assert_eq!(join(&[a, b]), dfopt_llb::paths::join(&[a, b]), "join({a:?}, {b:?})");
                for c in ["", "/", "x", "/y/", ".."] {
                    let got = join(&[a, c, b]);
                    assert_eq!(got, dfopt_llb::paths::join(&[a, c, b]), "join({a:?}, {c:?}, {b:?})");
                }
            }
        }
    }
}
