//! The graphs of remote build contexts: git checkouts, HTTP(S) downloads, and the
//! file operations BuildKit puts on top of them (unpack an archive, keep a subdir).
//!
//! Facts from BuildKit (v0.8.3 `builder/build.go`, HEAD `dockerui/context.go`):
//!
//! * git: `llb.Git(<url before '#'>, <fragment>)` named `[internal] load git source
//!   <value>`, `.git` kept with `build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR`. The
//!   fragment is `ref[:subdir]`. v0.8.3 passes it whole as the ref, and the v0.8
//!   daemon then fails with "subdir not supported yet"; HEAD checks out only the
//!   subdir (`git.subdir`, LLB cap `source.git.subdir`). We do what HEAD does: the
//!   subdir through the git source when the daemon has the cap, otherwise the same
//!   result by a copy of the subdir's contents onto scratch, which every daemon with
//!   file ops can do.
//! * HTTP: `llb.HTTP(url, Filename("context"))` named `[internal] load remote build
//!   context`; an archive is unpacked with `Copy("/context", "/", AttemptUnpack)` onto
//!   scratch.
//! * `contextsubdir`: `Copy(dir, "/", CopyDirContentsOnly)` onto scratch.

use dfopt_llb::{caps, FileCopy, Git, Http, OpOptions, State};

use crate::caps::Caps;
use crate::errors::BuildError;

/// The file name BuildKit stores an HTTP context download under.
pub const HTTP_CONTEXT_FILENAME: &str = "context";

/// A git context value split like BuildKit splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitContext {
    /// The repository URL without the fragment.
    pub remote: String,
    /// Branch, tag or commit (empty: the daemon's default; `master` on v0.8).
    pub reference: String,
    /// Directory inside the repository (empty: the root).
    pub subdir: String,
}

impl GitContext {
    /// Splits `url#ref:subdir`. Query strings (`?ref=…`, BuildKit's
    /// `moby.buildkit.frontend.gitquerystring`) are refused: the git source would
    /// silently drop them.
    pub fn parse(value: &str) -> Result<Self, BuildError> {
        let (remote, fragment) = value.split_once('#').unwrap_or((value, ""));
        if remote.contains('?') {
            return Err(BuildError::new(format!(
                "git context {value}: query parameters in git URLs are not supported by the dfopt frontend; use the #ref:subdir fragment"
            )));
        }
        let (reference, subdir) = fragment.split_once(':').unwrap_or((fragment, ""));
        Ok(Self {
            remote: remote.to_owned(),
            reference: reference.to_owned(),
            subdir: subdir.to_owned(),
        })
    }

    /// The checkout (subdir applied) as a state.
    pub fn state(&self, name: &str, keep_git_dir: bool, caps: &Caps) -> Result<State, BuildError> {
        let invalid =
            |error: dfopt_llb::Error| BuildError::new(format!("invalid git context: {error}"));
        let mut git = Git::new(&self.remote)
            .map_err(invalid)?
            .reference(self.reference.clone())
            .keep_git_dir(keep_git_dir)
            .custom_name(name);
        let subdir = self.subdir.trim_matches('/');
        if subdir.is_empty() {
            return Ok(git.build());
        }
        if caps.llb.supports(caps::SOURCE_GIT_SUBDIR) {
            git = git.subdir(subdir);
            return Ok(git.build());
        }
        scope_to_subdir(&git.build(), subdir)
    }
}

/// The HTTP download of a context URL, as the file `context`.
pub fn http_state(url: &str, name: &str) -> Result<State, BuildError> {
    let http = Http::new(url)
        .map_err(|error| BuildError::new(format!("invalid HTTP context: {error}")))?
        .filename(HTTP_CONTEXT_FILENAME)
        .custom_name(name);
    Ok(http.build())
}

/// A downloaded archive, unpacked onto scratch.
pub fn unpack(download: &State) -> Result<State, BuildError> {
    State::scratch()
        .file()
        .copy(
            FileCopy::new(download, format!("/{HTTP_CONTEXT_FILENAME}"), "/").attempt_unpack(true),
        )
        .build()
        .map_err(|error| BuildError::new(format!("failed to unpack the build context: {error}")))
}

/// Only the contents of `dir` of `state`, at the root of a new state.
pub fn scope_to_subdir(state: &State, dir: &str) -> Result<State, BuildError> {
    State::scratch()
        .file()
        .copy(FileCopy::new(state, dir, "/").contents_only(true))
        .build()
        .map_err(|error| {
            BuildError::new(format!(
                "failed to scope the build context to {dir}: {error}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfopt_llb::{pb, CapSet};
    use prost::Message;

    fn v0_8() -> Caps {
        Caps {
            gateway: CapSet::from_iter(["solve.base"]),
            llb: CapSet::buildkit_v0_8(),
        }
    }

    fn ops(state: &State, caps: &Caps) -> Vec<pb::Op> {
        let definition = state.marshal(&caps.llb).expect("marshal");
        definition
            .def
            .iter()
            .map(|b| pb::Op::decode(b.as_slice()).expect("op"))
            .collect()
    }

    fn identifiers(ops: &[pb::Op]) -> Vec<String> {
        ops.iter()
            .filter_map(|op| match &op.op {
                Some(pb::op::Op::Source(source)) => Some(source.identifier.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn splits_fragments() {
        let git = GitContext::parse("https://h/r.git#v1:sub/dir").expect("parse");
        assert_eq!(git.remote, "https://h/r.git");
        assert_eq!(git.reference, "v1");
        assert_eq!(git.subdir, "sub/dir");
        let plain = GitContext::parse("git@github.com:a/b.git").expect("parse");
        assert_eq!((plain.reference.as_str(), plain.subdir.as_str()), ("", ""));
        let only_dir = GitContext::parse("https://h/r.git#:sub").expect("parse");
        assert_eq!(
            (only_dir.reference.as_str(), only_dir.subdir.as_str()),
            ("", "sub")
        );
        assert!(GitContext::parse("https://h/r.git?ref=v1#x")
            .expect_err("query")
            .message()
            .contains("query parameters"));
    }

    #[test]
    fn subdir_is_a_copy_on_v0_8() {
        let git = GitContext::parse("https://h/r.git#v1:sub").expect("parse");
        let state = git
            .state("[internal] load git source x", false, &v0_8())
            .expect("state");
        let ops = ops(&state, &v0_8());
        assert_eq!(identifiers(&ops), ["git://h/r.git#v1"]);
        let copy = ops
            .iter()
            .find_map(|op| match &op.op {
                Some(pb::op::Op::File(file)) => file.actions.first().cloned(),
                _ => None,
            })
            .and_then(|action| match action.action {
                Some(pb::file_action::Action::Copy(copy)) => Some(copy),
                _ => None,
            })
            .expect("a copy");
        assert_eq!(copy.src, "/sub");
        assert_eq!(copy.dest, "/");
        assert!(copy.dir_copy_contents);
    }

    #[test]
    fn subdir_is_a_git_attribute_with_the_cap() {
        let mut llb = CapSet::buildkit_v0_8();
        llb.insert(caps::SOURCE_GIT_SUBDIR.as_str());
        let caps = Caps {
            gateway: CapSet::from_iter(["solve.base"]),
            llb,
        };
        let git = GitContext::parse("https://h/r.git#v1:sub").expect("parse");
        let ops = ops(&git.state("n", true, &caps).expect("state"), &caps);
        assert_eq!(identifiers(&ops), ["git://h/r.git#v1:sub"]);
        assert_eq!(ops.len(), 2, "source + terminal only");
    }

    #[test]
    fn http_download_and_unpack() {
        let download = http_state(
            "https://h/ctx.tar.gz",
            "[internal] load remote build context",
        )
        .expect("http");
        let unpacked = unpack(&download).expect("unpack");
        let ops = ops(&unpacked, &v0_8());
        assert_eq!(identifiers(&ops), ["https://h/ctx.tar.gz"]);
        let Some(pb::op::Op::Source(source)) = &ops[0].op else {
            panic!("source first")
        };
        assert_eq!(
            source.attrs.get("http.filename").map(String::as_str),
            Some("context")
        );
        let has_unpack = ops.iter().any(|op| match &op.op {
            Some(pb::op::Op::File(file)) => file.actions.iter().any(|a| {
                matches!(&a.action, Some(pb::file_action::Action::Copy(c)) if c.attempt_unpack_docker_compatibility && c.src == "/context")
            }),
            _ => false,
        });
        assert!(has_unpack);
        assert!(http_state("ftp://x", "n").is_err());
    }
}
