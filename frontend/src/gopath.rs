//! Go's `path` functions (`Clean`, `Join`, `Dir`, `Base`), from `dfopt_llb::paths`, the
//! project's one implementation; BuildKit paths are `/`-separated on every host.

pub use dfopt_llb::paths::{base, dir, join};

#[cfg(test)]
mod tests {
    use super::*;
    use dfopt_llb::paths::clean;

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
