//! The `--mount=type=cache,…` flag of a directory, and its id.
//!
//! Mount ids are `dfopt-<dir>-<platform>-<root base image>`, so caches are
//! never shared across base images or platforms (optimization-safety.md
//! §1.3.3). They name what the build resolves: when the platform or the
//! base image is not known (the offline CLI without `--platform`, `FROM
//! $BASE` whose ARG a build-arg may still change) no mount is added and the
//! change record says what was not known; `FROM --platform=$BUILDPLATFORM`
//! unresolved is named `buildplatform` (one builder, one build platform).
//!
//! A numeric `USER uid[:gid]` gets `uid=`/`gid=` on the mount and its uid in
//! the id.

use dfopt_dockerfile::instructions::mount::Sharing;

use crate::cache_dirs::{CACHE_DIRS, ID_PREFIX};
use crate::facts::{StageFacts, User};

/// `s` with every character an id should not hold made `_`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._/:@+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The flag that mounts directory `d` at `target` for `user`.
pub(super) fn mount_flag(d: usize, target: &str, sf: &StageFacts, user: &User) -> String {
    let dir = &CACHE_DIRS[d];
    // Both are known: `plan_run` adds no mount otherwise.
    let platform = sf.platform.as_deref().unwrap_or_default();
    let image = sf.root_image.as_deref().unwrap_or_default();
    let mut id = format!(
        "{ID_PREFIX}{}-{}-{}",
        dir.name,
        sanitize(platform),
        sanitize(image)
    );
    let mut flag = String::new();
    if let User::Numeric { uid, .. } = user {
        id.push_str(&format!("-uid{uid}"));
    }
    flag.push_str(&format!("--mount=type=cache,id={id},target={target}"));
    if dir.sharing != Sharing::Shared {
        flag.push_str(&format!(",sharing={}", dir.sharing.as_str()));
    }
    if let User::Numeric { uid, gid } = user {
        flag.push_str(&format!(",uid={uid}"));
        if let Some(g) = gid {
            flag.push_str(&format!(",gid={g}"));
        }
    }
    flag
}
