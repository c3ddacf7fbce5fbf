//! Go's `path` functions, from `dfopt_llb::paths` (one implementation for the project).

pub(crate) use dfopt_llb::paths::{clean, is_abs, join};

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
}
