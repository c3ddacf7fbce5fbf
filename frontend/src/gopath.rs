//! Go's `path` package (`Clean`, `Join`, `Dir`, `Base`) for `/`-separated paths.
//!
//! BuildKit computes the Dockerfile's fallback name and `.dockerignore` patterns with
//! these functions; the exact results matter (`followpaths` must name the files the
//! daemon is asked to transfer), so they are reproduced rather than approximated with
//! `std::path`, which treats `..` and trailing slashes differently.

/// `path.Clean`: the shortest path equivalent to `path` by purely lexical processing.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for element in path.split('/') {
        match element {
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

/// `path.Join`: joins the non-empty elements with `/` and cleans the result.
pub fn join(elements: &[&str]) -> String {
    let non_empty: Vec<&str> = elements.iter().copied().filter(|e| !e.is_empty()).collect();
    if non_empty.is_empty() {
        return String::new();
    }
    clean(&non_empty.join("/"))
}

/// `path.Dir`: everything but the last element, cleaned (`.` when there is none).
pub fn dir(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |slash| slash + 1);
    clean(&path[..cut])
}

/// `path.Base`: the last element, ignoring trailing slashes (`.` for empty, `/` for root).
pub fn base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(slash) => &trimmed[slash + 1..],
        None => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        // Cases from Go's path_test.go.
        let cases = [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("/abc/", "/abc"),
            ("//abc", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("abc/./../def", "def"),
            ("abc//./../def", "def"),
            ("abc/../../././../def", "../../def"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn join_dir_base() {
        assert_eq!(join(&[".", "dockerfile"]), "dockerfile");
        assert_eq!(join(&["sub", "dockerfile"]), "sub/dockerfile");
        assert_eq!(join(&["", ""]), "");
        assert_eq!(dir("Dockerfile"), ".");
        assert_eq!(dir("sub/dir/Dockerfile"), "sub/dir");
        assert_eq!(dir("/Dockerfile"), "/");
        assert_eq!(base("sub/Dockerfile"), "Dockerfile");
        assert_eq!(base("Dockerfile/"), "Dockerfile");
        assert_eq!(base(""), ".");
        assert_eq!(base("///"), "/");
    }
}
