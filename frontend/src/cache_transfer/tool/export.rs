//! Export one cache: pack the mounted cache into `<out>/<dir>/cache.tar` and add its
//! entry to `<out>/index.json` (the execs are chained, each adding its cache to the
//! output of the one before, so the size cap is applied over the whole export).

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::archive::{self, ArchiveError};
use crate::cache_transfer::index::{human_size, CacheKey, Entry, Index, ARCHIVE_FILE, INDEX_FILE};

/// What the frontend tells the export exec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSpec {
    /// Id and base.
    #[serde(flatten)]
    pub key: CacheKey,
    /// Where the build mounts it.
    pub target: String,
    /// Its sharing mode.
    pub sharing: String,
    /// Its short name for the output line.
    pub label: String,
    /// The most archive bytes of the whole export.
    pub max_size: Option<u64>,
}

/// Exports the cache at `cache` into `out`; returns the line to print.
pub fn run(spec: &ExportSpec, cache: &Path, out: &Path) -> Result<String, String> {
    let index_path = out.join(INDEX_FILE);
    let mut index = match fs::read(&index_path) {
        Ok(data) => Index::parse(&data).map_err(|error| format!("{INDEX_FILE}: {error}"))?,
        Err(_) => Index::default(),
    };
    let dir = spec.key.dir_name();
    let (uid, gid, mode) = archive::owner_and_mode(cache)
        .map_err(|error| format!("cannot read the cache {}: {error}", spec.label))?;
    let mut entry = Entry {
        key: spec.key.clone(),
        dir: dir.clone(),
        target: spec.target.clone(),
        sharing: spec.sharing.clone(),
        uid,
        gid,
        mode: format!("{mode:04o}"),
        size: 0,
        files: 0,
        sha256: String::new(),
        skipped: None,
    };
    let empty = archive::is_empty(cache)
        .map_err(|error| format!("cannot read the cache {}: {error}", spec.label))?;
    let line;
    if empty {
        entry.skipped = Some("empty".to_owned());
        line = format!("{}: empty, nothing to export", spec.label);
    } else {
        let limit = spec
            .max_size
            .map(|max| max.saturating_sub(index.total_size()));
        let target_dir = out.join(&dir);
        fs::create_dir_all(&target_dir).map_err(|error| format!("cannot create {dir}: {error}"))?;
        match archive::pack(cache, &target_dir.join(ARCHIVE_FILE), limit) {
            Ok(summary) => {
                entry.size = summary.size;
                entry.files = summary.files;
                entry.sha256 = summary.sha256;
                let special = if summary.skipped_special > 0 {
                    format!(
                        ", {} sockets/devices/fifos left out",
                        summary.skipped_special
                    )
                } else {
                    String::new()
                };
                line = format!(
                    "{}: exported {} ({} entries{special}) to {dir}/{ARCHIVE_FILE}",
                    spec.label,
                    human_size(summary.size),
                    summary.files
                );
            }
            Err(ArchiveError::TooLarge) => {
                let _ = fs::remove_dir_all(&target_dir);
                let max = spec.max_size.unwrap_or_default();
                entry.skipped = Some(format!(
                    "does not fit in the {} left of the max-size of {}",
                    human_size(limit.unwrap_or_default()),
                    human_size(max)
                ));
                line = format!(
                    "{}: skipped, {}",
                    spec.label,
                    entry.skipped.as_deref().unwrap_or("")
                );
            }
            Err(ArchiveError::Corrupt(message)) => return Err(message),
            Err(ArchiveError::Io(error)) => {
                return Err(format!("cannot archive the cache {}: {error}", spec.label))
            }
        }
    }
    index.caches.retain(|known| known.key != entry.key);
    index.caches.push(entry);
    let temporary = out.join(format!("{INDEX_FILE}.tmp"));
    fs::write(&temporary, index.to_json())
        .and_then(|()| fs::rename(&temporary, &index_path))
        .map_err(|error| format!("cannot write {INDEX_FILE}: {error}"))?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str, max_size: Option<u64>) -> ExportSpec {
        ExportSpec {
            key: CacheKey {
                id: id.to_owned(),
                base: None,
            },
            target: format!("/{id}"),
            sharing: "locked".into(),
            label: id.to_owned(),
            max_size,
        }
    }

    #[test]
    fn exports_chain_into_one_index_within_the_cap() {
        let work = tempfile::tempdir().expect("tempdir");
        let out = work.path().join("out");
        fs::create_dir(&out).expect("out");
        let big = work.path().join("big");
        fs::create_dir(&big).expect("dir");
        fs::write(big.join("blob"), vec![1u8; 200_000]).expect("file");
        let small = work.path().join("small");
        fs::create_dir(&small).expect("dir");
        fs::write(small.join("f"), b"hello").expect("file");
        let empty = work.path().join("empty");
        fs::create_dir(&empty).expect("dir");

        let line = run(&spec("small", Some(150_000)), &small, &out).expect("export");
        assert!(line.contains("small: exported"), "{line}");
        let line = run(&spec("big", Some(150_000)), &big, &out).expect("export");
        assert!(line.contains("skipped"), "{line}");
        let line = run(&spec("empty", Some(150_000)), &empty, &out).expect("export");
        assert!(line.contains("empty"), "{line}");

        let index = Index::parse(&fs::read(out.join(INDEX_FILE)).expect("index")).expect("parse");
        let ids: Vec<&str> = index.caches.iter().map(|e| e.key.id.as_str()).collect();
        assert_eq!(ids, ["small", "big", "empty"]);
        let small_entry = &index.caches[0];
        assert!(small_entry.skipped.is_none());
        assert!(out.join(&small_entry.dir).join(ARCHIVE_FILE).exists());
        assert!(index.caches[1]
            .skipped
            .as_deref()
            .is_some_and(|s| s.contains("max-size")));
        assert!(!out.join(&index.caches[1].dir).exists());
        assert_eq!(index.caches[2].skipped.as_deref(), Some("empty"));
        assert_eq!(index.total_size(), small_entry.size);
    }
}
