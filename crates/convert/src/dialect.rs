//! Which daemon's builtin Dockerfile frontend the lowering reproduces.
//!
//! With its rewrites off, dfopt must produce what the daemon's own (builtin) frontend
//! produces, byte for byte: the same ops share the daemon's build cache, the same config
//! and history give the same image id. The builtin frontend is part of the daemon, so
//! its generation follows from the daemon's LLB capabilities (never from a version
//! string, which proxies and distributions rewrite).

use dfopt_llb::{caps, CapSet};

/// The generation of BuildKit's `dockerfile2llb` whose output is reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// BuildKit v0.8.3, the frontend inside Docker 20.10: unpinned tag names, file ops
    /// with a platform, the Go v0.8 exec encoding (no `removeMountStubsRecursive`, no
    /// empty `TmpfsOpt`, secret and ssh mount indexes 0), v0.8's history texts.
    BuildKitV0_8,
    /// BuildKit v0.25, the frontend inside Docker 28.5: image sources named
    /// `name:tag@digest` (also `COPY --from=<image>`), file ops without a platform, the
    /// current exec encoding, the Dockerfile's local source with `local.differ=none`,
    /// and v0.25's config and history (`ARG` values, `--chown`/`--chmod` in COPY, …).
    BuildKitV0_25,
}

impl Dialect {
    /// The dialect of a daemon with `caps`.
    ///
    /// `exec.validexitcode` first appeared in BuildKit v0.17, the release from which
    /// the daemon re-marshals ops with the `op` oneof last (see
    /// [`dfopt_llb::OpFieldOrder`]); every such daemon gets the v0.25 encoding. Older
    /// daemons (Docker 20.10's v0.8 and the v0.9–v0.16 ones, whose builtins sit between
    /// the two) get the v0.8 encoding, which every one of them solves.
    pub fn for_caps(caps: &CapSet) -> Self {
        if caps.supports(caps::EXEC_VALID_EXIT_CODE) {
            Dialect::BuildKitV0_25
        } else {
            Dialect::BuildKitV0_8
        }
    }

    /// Whether this is the v0.8 dialect.
    pub fn is_v0_8(self) -> bool {
        self == Dialect::BuildKitV0_8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_caps() {
        assert_eq!(
            Dialect::for_caps(&CapSet::buildkit_v0_8()),
            Dialect::BuildKitV0_8
        );
        assert_eq!(
            Dialect::for_caps(&CapSet::buildkit_v0_25()),
            Dialect::BuildKitV0_25
        );
        assert_eq!(
            Dialect::for_caps(&CapSet::buildkit_head()),
            Dialect::BuildKitV0_25
        );
        let mut older = CapSet::buildkit_v0_25();
        older.remove(caps::EXEC_VALID_EXIT_CODE.as_str());
        assert_eq!(Dialect::for_caps(&older), Dialect::BuildKitV0_8);
    }
}
