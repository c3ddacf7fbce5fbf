//! Capabilities: what the BuildKit daemon says it can do, and what an op needs.
//!
//! BuildKit answers `Ping` with a list of LLB capability ids. The solver checks every
//! key of every `OpMetadata.caps` map against that list and fails the whole solve on an
//! unknown id, while unknown *fields* and *attributes* are silently dropped by older
//! daemons (a v0.8 daemon would copy everything when asked for include patterns). Caps
//! are therefore the only safety net: every op records the caps it relies on, and
//! [`State::marshal`](crate::State::marshal) refuses to emit an op whose caps the daemon
//! lacks.

use std::collections::BTreeSet;
use std::fmt;

/// One entry of a `Ping` answer (`moby.buildkit.v1.apicaps.APICap`).
pub use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;

/// One LLB capability id, as spelled in BuildKit's `solver/pb/caps.go`.
///
/// A newtype over `&'static str` so that the ids this crate uses are named constants
/// (see the `CAP_*`-style constants in this module) instead of loose string literals.
///
/// Each constant also carries its position in `KNOWN`, so that [`CapSet::supports`]
/// is one bit test instead of a string lookup (it runs for every op of every marshal).
/// The position is a function of the id, so comparing and hashing both fields agrees
/// with comparing the ids alone.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CapId {
    id: &'static str,
    bit: u8,
}

impl CapId {
    /// The id as BuildKit spells it.
    pub const fn as_str(self) -> &'static str {
        self.id
    }

    /// The constant for `id`, with its position in [`KNOWN`]; a compile error when `id`
    /// is not listed there.
    const fn known(id: &'static str) -> Self {
        match known_bit(id) {
            Some(bit) => Self { id, bit },
            None => panic!("cap id missing from KNOWN"),
        }
    }

    fn mask(self) -> u64 {
        1 << self.bit
    }
}

impl fmt::Debug for CapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As the former tuple struct printed: `CapId("source.image")`.
        f.debug_tuple("CapId").field(&self.id).finish()
    }
}

/// The position of `id` in [`KNOWN`], if it is one of this crate's constants.
const fn known_bit(id: &str) -> Option<u8> {
    let mut i = 0;
    while i < KNOWN.len() {
        if str_eq(KNOWN[i], id) {
            // KNOWN has at most 64 entries (checked below), so this fits.
            return Some(i as u8);
        }
        i += 1;
    }
    None
}

/// `a == b`, usable in a `const fn`.
const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// Every known cap must have a bit in a `u64`.
const _: () = assert!(KNOWN.len() <= 64);

impl fmt::Display for CapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

macro_rules! caps {
    ($($(#[$doc:meta])* $name:ident = $id:literal;)*) => {
        /// Every id with a constant, in declaration order; a constant's bit is its index.
        const KNOWN: &[&str] = &[$($id),*];
        $($(#[$doc])* pub const $name: CapId = CapId::known($id);)*
    };
}

caps! {
    SOURCE_IMAGE = "source.image";
    SOURCE_IMAGE_RESOLVE_MODE = "source.image.resolvemode";
    SOURCE_LOCAL = "source.local";
    SOURCE_LOCAL_UNIQUE = "source.local.unique";
    SOURCE_LOCAL_SESSION_ID = "source.local.sessionid";
    SOURCE_LOCAL_INCLUDE_PATTERNS = "source.local.includepatterns";
    SOURCE_LOCAL_FOLLOW_PATHS = "source.local.followpaths";
    SOURCE_LOCAL_EXCLUDE_PATTERNS = "source.local.excludepatterns";
    SOURCE_LOCAL_SHARED_KEY_HINT = "source.local.sharedkeyhint";
    /// BuildKit v0.9+.
    SOURCE_LOCAL_DIFFER = "source.local.differ";
    SOURCE_GIT = "source.git";
    SOURCE_GIT_KEEP_DIR = "source.git.keepgitdir";
    SOURCE_GIT_FULL_URL = "source.git.fullurl";
    SOURCE_GIT_HTTP_AUTH = "source.git.httpauth";
    SOURCE_GIT_KNOWN_SSH_HOSTS = "source.git.knownsshhosts";
    SOURCE_GIT_MOUNT_SSH_SOCK = "source.git.mountsshsock";
    /// BuildKit v0.9+.
    SOURCE_GIT_SUBDIR = "source.git.subdir";
    SOURCE_HTTP = "source.http";
    SOURCE_HTTP_CHECKSUM = "source.http.checksum";
    SOURCE_HTTP_PERM = "source.http.perm";
    /// The misspelling is BuildKit's real id.
    SOURCE_HTTP_UID_GID = "soruce.http.uidgid";
    EXEC_META_BASE = "exec.meta.base";
    EXEC_META_PROXY = "exec.meta.proxyenv";
    EXEC_META_NETWORK = "exec.meta.network";
    EXEC_META_SECURITY = "exec.meta.security";
    EXEC_META_SETS_DEFAULT_PATH = "exec.meta.setsdefaultpath";
    /// BuildKit v0.10+.
    EXEC_META_ULIMIT = "exec.meta.ulimit";
    /// BuildKit v0.10+.
    EXEC_META_CGROUP_PARENT = "exec.meta.cgroup.parent";
    EXEC_MOUNT_BIND = "exec.mount.bind";
    EXEC_MOUNT_BIND_READWRITE_NO_OUTPUT = "exec.mount.bind.readwrite-nooutput";
    EXEC_MOUNT_CACHE = "exec.mount.cache";
    EXEC_MOUNT_CACHE_SHARING = "exec.mount.cache.sharing";
    EXEC_MOUNT_SELECTOR = "exec.mount.selector";
    EXEC_MOUNT_TMPFS = "exec.mount.tmpfs";
    /// BuildKit v0.10+.
    EXEC_MOUNT_TMPFS_SIZE = "exec.mount.tmpfs.size";
    EXEC_MOUNT_SECRET = "exec.mount.secret";
    EXEC_MOUNT_SSH = "exec.mount.ssh";
    /// BuildKit v0.10+.
    EXEC_SECRET_ENV = "exec.secretenv";
    /// BuildKit v0.17+; used only as a stand-in for [`FILE_COPY_MODE_STRING`].
    EXEC_VALID_EXIT_CODE = "exec.validexitcode";
    FILE_BASE = "file.base";
    FILE_RM_WILDCARD = "file.rm.wildcard";
    /// BuildKit v0.9+.
    FILE_COPY_INCLUDE_EXCLUDE_PATTERNS = "file.copy.includeexcludepatterns";
    /// BuildKit HEAD.
    FILE_COPY_REQUIRED_PATHS = "file.copy.requiredpaths";
    /// BuildKit v0.12+.
    FILE_COPY_ALWAYS_REPLACE_EXISTING_DEST_PATHS = "file.copy.alwaysreplaceexistingdestpaths";
    /// Declared by BuildKit (v0.17+) but never registered, so no daemon advertises it
    /// and a daemon rejects it in `OpMetadata`; see [`crate::ops::file::FileCopy::mode_str`].
    FILE_COPY_MODE_STRING = "file.copy.modestring";
    /// BuildKit HEAD.
    FILE_SYMLINK_CREATE = "file.symlink.create";
    CONSTRAINTS = "constraints";
    PLATFORM = "platform";
    META_IGNORE_CACHE = "meta.ignorecache";
    META_DESCRIPTION = "meta.description";
    META_EXPORT_CACHE = "meta.exportcache";
    /// BuildKit v0.10+.
    MERGE_OP = "mergeop";
    /// BuildKit v0.10+.
    DIFF_OP = "diffop";
}

/// The set of LLB capabilities a daemon advertises (only the enabled ones).
///
/// Holds plain strings, not [`CapId`]s, because a newer daemon advertises ids this
/// crate has never heard of; they are kept so that [`CapSet::supports_id`] can answer
/// for them too. Backed by a `BTreeSet` so that iteration (e.g. in dumps) is stable.
///
/// `known` mirrors `ids` for the ids that have a [`CapId`] constant (bit = position in
/// `KNOWN`), so that [`CapSet::supports`] needs no string comparison. Every constructor
/// and mutator goes through `CapSet::from_ids` or keeps both in step.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CapSet {
    ids: BTreeSet<String>,
    known: u64,
}

impl fmt::Debug for CapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `known` is derived from `ids`; print what the derived impl printed before.
        f.debug_struct("CapSet").field("ids", &self.ids).finish()
    }
}

/// The bit of `id` in [`CapSet::known`], or 0 for an id without a constant.
fn known_mask(id: &str) -> u64 {
    known_bit(id).map_or(0, |bit| 1 << bit)
}

impl CapSet {
    /// An empty set: a daemon that supports nothing (every op is refused).
    pub fn new() -> Self {
        Self::default()
    }

    /// The set of `ids`, with the bits of the known ones.
    fn from_ids(ids: BTreeSet<String>) -> Self {
        let known = ids.iter().fold(0, |mask, id| mask | known_mask(id));
        Self { ids, known }
    }

    /// Builds the set from a Ping answer given as `(id, enabled)` pairs. Disabled caps
    /// are dropped: BuildKit treats a cap as usable only if present *and* enabled.
    pub fn from_ping<I, S>(caps: I) -> Self
    where
        I: IntoIterator<Item = (S, bool)>,
        S: Into<String>,
    {
        let ids = caps
            .into_iter()
            .filter(|(_, enabled)| *enabled)
            .map(|(id, _)| id.into())
            .collect();
        Self::from_ids(ids)
    }

    /// Builds the set from the `llb_caps` of a gateway `PongResponse`.
    pub fn from_api_caps(caps: &[ApiCap]) -> Self {
        Self::from_ping(caps.iter().map(|c| (c.id.clone(), c.enabled)))
    }

    /// Parses a list with one cap id per line. Blank lines and lines starting with `#`
    /// are ignored, surrounding whitespace is trimmed, and a trailing ` (disabled)`
    /// marks a cap the daemon lists but has switched off (so it is left out).
    pub fn parse_list(text: &str) -> Self {
        let ids = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter(|line| !line.ends_with("(disabled)"))
            .map(str::to_owned)
            .collect();
        Self::from_ids(ids)
    }

    /// The caps of BuildKit v0.8.3, which is what Docker 20.10's `docker build` runs.
    pub fn buildkit_v0_8() -> Self {
        Self::parse_list(include_str!("../tests/fixtures/caps-v0.8.txt"))
    }

    /// The caps of BuildKit v0.25.1, which is what Docker 28.5's daemon runs.
    pub fn buildkit_v0_25() -> Self {
        Self::parse_list(include_str!("../tests/fixtures/caps-v0.25.txt"))
    }

    /// The caps of current BuildKit (HEAD at the time this crate was written).
    pub fn buildkit_head() -> Self {
        Self::parse_list(include_str!("../tests/fixtures/caps-head.txt"))
    }

    /// Adds one id (e.g. to model a daemon in a test).
    pub fn insert(&mut self, id: impl Into<String>) {
        let id = id.into();
        self.known |= known_mask(&id);
        self.ids.insert(id);
    }

    /// Removes one id (e.g. to model an older daemon in a test).
    pub fn remove(&mut self, id: &str) {
        self.known &= !known_mask(id);
        self.ids.remove(id);
    }

    /// Whether the daemon advertises `cap`.
    pub fn supports(&self, cap: CapId) -> bool {
        self.known & cap.mask() != 0
    }

    /// Whether the daemon advertises the cap spelled `id` (for ids without a constant).
    pub fn supports_id(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// The advertised ids, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    /// Number of advertised ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether nothing is advertised.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl<S: Into<String>> FromIterator<S> for CapSet {
    fn from_iter<T: IntoIterator<Item = S>>(iter: T) -> Self {
        Self::from_ids(iter.into_iter().map(Into::into).collect())
    }
}

/// What one op needs from the daemon, collected while the op is encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// The daemon must advertise `cap`, and `cap` is recorded in the op's metadata.
    Cap { cap: CapId, feature: &'static str },
    /// The daemon must advertise one of `any_of`, but nothing is recorded in the
    /// metadata: used when BuildKit never registered the cap that names the feature.
    Gate {
        any_of: &'static [CapId],
        feature: &'static str,
    },
}

impl Need {
    pub(crate) const fn cap(cap: CapId, feature: &'static str) -> Self {
        Need::Cap { cap, feature }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_list_skips_comments_blank_and_disabled() {
        let caps = CapSet::parse_list("# header\n\n source.image \nmergeop (disabled)\n");
        assert!(caps.supports(SOURCE_IMAGE));
        assert!(!caps.supports(MERGE_OP));
        assert_eq!(caps.len(), 1);
    }

    #[test]
    fn known_bits_follow_the_ids() {
        let mut caps = CapSet::buildkit_head();
        caps.insert(MERGE_OP.as_str());
        caps.remove(SOURCE_GIT.as_str());
        caps.insert("some.future.cap");
        for id in KNOWN {
            let cap = CapId::known(id);
            assert_eq!(cap.as_str(), *id);
            assert_eq!(caps.supports(cap), caps.supports_id(id), "{id}");
        }
        assert!(caps.supports(MERGE_OP) && !caps.supports(SOURCE_GIT));
        assert_eq!(format!("{SOURCE_GIT:?}"), r#"CapId("source.git")"#);
    }

    #[test]
    fn from_ping_drops_disabled() {
        let caps = CapSet::from_ping([("source.image", true), ("mergeop", false)]);
        assert!(caps.supports(SOURCE_IMAGE));
        assert!(!caps.supports(MERGE_OP));
    }
}
