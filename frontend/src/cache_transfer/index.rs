//! The layout of an exported cache directory, shared by the frontend (which reads
//! it when seeding) and the cache tool (which writes it when exporting).
//!
//! ```text
//! <dest>/index.json                 one entry per cache mount (Index)
//! <dest>/<dir>/cache.tar            the cache's files, numeric owners, modes, mtimes
//! ```
//!
//! One tar per cache rather than a tree of files: the client-side exporters
//! (`-o type=local`, buildx and buildctl alike) write files as the client user, so
//! a plain tree would lose the owners a non-root step needs; the tar keeps them.
//! It is not compressed: the caches worth keeping (package archives, wheels) are
//! compressed already, and CI caches compress what they store anyway.
//!
//! A cache is identified by its mount id *and* the base its directory grows from
//! (`--mount=type=cache,uid=…` makes BuildKit start the cache from a small directory
//! made by a file op, and keys it by both): [`CacheKey`].

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The `format` value of an index this version writes and reads.
pub const FORMAT: &str = "dfopt-cache/v1";
/// The index file at the top of an export.
pub const INDEX_FILE: &str = "index.json";
/// The archive in each cache's directory.
pub const ARCHIVE_FILE: &str = "cache.tar";

/// The directory a cache mount grows from, when it is not empty (an `Input` of the
/// exec and the mount's selector).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BaseKey {
    /// Digest of the op that makes the base (as the lowering wrote it).
    pub digest: String,
    /// Its output index.
    pub index: i64,
    /// The path of the base that is mounted (`/cache` for the Dockerfile's
    /// `uid`/`gid`/`mode` options).
    pub selector: String,
}

/// What makes two cache mounts the same cache in BuildKit: the id and the base.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CacheKey {
    /// The mount's cache id (its target when the Dockerfile gave none).
    pub id: String,
    /// The base, if the mount has one.
    pub base: Option<BaseKey>,
}

impl CacheKey {
    /// The cache's directory in an export: the id made file-name safe (readable in
    /// a listing) plus a hash of the whole key (unique, whatever the id holds).
    pub fn dir_name(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.id.as_bytes());
        if let Some(base) = &self.base {
            hasher.update([0]);
            hasher.update(base.digest.as_bytes());
            hasher.update(base.index.to_le_bytes());
            hasher.update(base.selector.as_bytes());
        }
        let hash = hasher.finalize();
        let short: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let readable: String = self
            .id
            .trim_start_matches('/')
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(60)
            .collect();
        format!("{}-{short}", readable.trim_start_matches('.'))
    }
}

/// `index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// [`FORMAT`].
    pub format: String,
    /// The caches, in the order the export visited them.
    pub caches: Vec<Entry>,
}

impl Default for Index {
    fn default() -> Self {
        Self {
            format: FORMAT.to_owned(),
            caches: Vec::new(),
        }
    }
}

impl Index {
    /// Parses and checks an index: the format must be this version's, every
    /// archived entry must name a safe directory and a sha256.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let index: Index =
            serde_json::from_slice(data).map_err(|error| format!("not an index: {error}"))?;
        if index.format != FORMAT {
            return Err(format!(
                "format {:?}, this dfopt reads {FORMAT:?}",
                index.format
            ));
        }
        for entry in &index.caches {
            if entry.dir.is_empty()
                || entry.dir.starts_with('.')
                || !entry
                    .dir
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return Err(format!(
                    "cache {:?} has an unsafe directory {:?}",
                    entry.key.id, entry.dir
                ));
            }
            if entry.skipped.is_none()
                && (entry.sha256.len() != 64
                    || !entry.sha256.chars().all(|c| c.is_ascii_hexdigit()))
            {
                return Err(format!("cache {:?} has no valid sha256", entry.key.id));
            }
        }
        Ok(index)
    }

    /// The archived entry for `key`, if the export has one.
    pub fn find(&self, key: &CacheKey) -> Option<&Entry> {
        self.caches
            .iter()
            .find(|entry| &entry.key == key && entry.skipped.is_none())
    }

    /// Bytes of all archives.
    pub fn total_size(&self) -> u64 {
        self.caches
            .iter()
            .filter(|entry| entry.skipped.is_none())
            .map(|entry| entry.size)
            .sum()
    }

    /// JSON, pretty enough to read in a CI log.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// One cache of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Id and base.
    #[serde(flatten)]
    pub key: CacheKey,
    /// Its directory ([`CacheKey::dir_name`]).
    pub dir: String,
    /// Where the build mounts it (the first step that uses it).
    pub target: String,
    /// `shared`, `private` or `locked`.
    pub sharing: String,
    /// Owner and permission bits of the cache's top directory, as exported.
    pub uid: u32,
    /// Group of the top directory.
    pub gid: u32,
    /// Permission bits of the top directory, octal (`"0755"`).
    pub mode: String,
    /// Size of `cache.tar` in bytes (0 when skipped).
    pub size: u64,
    /// Entries in the archive (files, directories, links).
    pub files: u64,
    /// sha256 of `cache.tar`, hex (empty when skipped).
    pub sha256: String,
    /// Why the cache has no archive (empty, over the size cap, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl Entry {
    /// The permission bits (`mode` parsed), if valid.
    pub fn mode_bits(&self) -> Option<u32> {
        u32::from_str_radix(&self.mode, 8)
            .ok()
            .filter(|m| *m <= 0o7777)
    }
}

/// `bytes` for people: `65.1 MB`.
pub fn human_size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64;
    for (unit, scale) in [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] {
        if value >= scale {
            return format!("{:.1} {unit}", value / scale);
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> CacheKey {
        CacheKey {
            id: id.to_owned(),
            base: None,
        }
    }

    #[test]
    fn dir_names_are_safe_and_distinct() {
        let a = key("dfopt-apt-cache-linux_amd64-docker.io/library/debian:bookworm").dir_name();
        assert!(
            a.starts_with("dfopt-apt-cache-linux_amd64-docker.io_library_debian_bo"),
            "{a}"
        );
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
        let with_base = CacheKey {
            base: Some(BaseKey {
                digest: "sha256:aa".into(),
                index: 0,
                selector: "/cache".into(),
            }),
            ..key("dfopt-apt-cache-linux_amd64-docker.io/library/debian:bookworm")
        };
        assert_ne!(a, with_base.dir_name());
        assert_eq!(key("../..").dir_name().chars().next(), Some('_'));
        assert!(key("/gomod").dir_name().starts_with("gomod-"));
        assert!(!key(".hidden").dir_name().starts_with('.'));
    }

    #[test]
    fn index_round_trip_and_checks() {
        let entry = Entry {
            key: key("/root/.cache/pip"),
            dir: key("/root/.cache/pip").dir_name(),
            target: "/root/.cache/pip".into(),
            sharing: "shared".into(),
            uid: 0,
            gid: 0,
            mode: "0755".into(),
            size: 10240,
            files: 3,
            sha256: "a".repeat(64),
            skipped: None,
        };
        let index = Index {
            caches: vec![entry.clone()],
            ..Index::default()
        };
        let parsed = Index::parse(&index.to_json()).expect("parses");
        assert_eq!(parsed, index);
        assert_eq!(parsed.find(&key("/root/.cache/pip")), Some(&entry));
        assert_eq!(parsed.total_size(), 10240);
        assert_eq!(entry.mode_bits(), Some(0o755));
        let text = String::from_utf8(index.to_json()).expect("utf8");
        assert!(text.contains("\"id\": \"/root/.cache/pip\""), "{text}");
        assert!(text.contains("\"base\": null"), "{text}");

        assert!(Index::parse(b"{").is_err());
        assert!(Index::parse(br#"{"format":"other","caches":[]}"#).is_err());
        let mut bad = index.clone();
        bad.caches[0].dir = "../x".into();
        assert!(Index::parse(&bad.to_json()).is_err());
        let mut bad = index;
        bad.caches[0].sha256 = "zz".into();
        assert!(Index::parse(&bad.to_json()).is_err());
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(65_100_000), "65.1 MB");
    }
}
