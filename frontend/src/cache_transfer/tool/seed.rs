//! Seed one cache: if the mounted cache is empty, unpack the exported archive into
//! it (checked against the index's size and sha256 first), and give the top
//! directory the exported owner and mode. A cache that already has content is left
//! alone: it is at least as fresh as the seed.
//!
//! Every outcome, a corrupt archive included, is written to `report.json` and the
//! exec succeeds, so the frontend can tell the user and go on with the build.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::archive::{self, ArchiveError};
use crate::cache_transfer::graph::paths::REPORT_FILE;
use crate::cache_transfer::index::{human_size, Entry, ARCHIVE_FILE};

/// What the frontend tells the seed exec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedSpec {
    /// The cache's index entry.
    pub entry: Entry,
    /// Its short name for the output line.
    pub label: String,
}

/// How seeding one cache ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The archive was unpacked into the empty cache.
    Seeded,
    /// The cache had content already; nothing was changed.
    Kept,
    /// The archive is not what the index says; nothing was changed.
    Corrupt,
    /// Reading or writing failed; nothing useful was changed.
    Failed,
}

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The outcome.
    pub status: Status,
    /// One line for people.
    pub message: String,
    /// Archive bytes unpacked.
    pub bytes: u64,
    /// Entries unpacked.
    pub files: u64,
}

/// Seeds `cache` from `seed/cache.tar`; writes the report into `report`; returns
/// the line to print.
pub fn run(spec: &SeedSpec, seed: &Path, cache: &Path, report: &Path) -> Result<String, String> {
    let outcome = seed_cache(spec, seed, cache);
    let text = serde_json::to_vec(&outcome).map_err(|error| error.to_string())?;
    fs::write(report.join(REPORT_FILE), text)
        .map_err(|error| format!("cannot write the report: {error}"))?;
    Ok(format!("{}: {}", spec.label, outcome.message))
}

fn seed_cache(spec: &SeedSpec, seed: &Path, cache: &Path) -> Report {
    let report = |status, message: String| Report {
        status,
        message,
        bytes: 0,
        files: 0,
    };
    match archive::is_empty(cache) {
        Ok(true) => {}
        Ok(false) => {
            return report(
                Status::Kept,
                "the cache already has content; left as it is".to_owned(),
            )
        }
        Err(error) => return report(Status::Failed, format!("cannot read the cache: {error}")),
    }
    let entry = &spec.entry;
    let Some(mode) = entry.mode_bits() else {
        return report(
            Status::Corrupt,
            format!("invalid mode {:?} in the index", entry.mode),
        );
    };
    match archive::unpack(&seed.join(ARCHIVE_FILE), entry.size, &entry.sha256, cache) {
        Ok(summary) => {
            if let Err(error) = archive::set_owner_and_mode(cache, entry.uid, entry.gid, mode) {
                return report(
                    Status::Failed,
                    format!("unpacked, but cannot set the owner of the cache: {error}"),
                );
            }
            Report {
                status: Status::Seeded,
                message: format!(
                    "seeded {} ({} entries, owner {}:{}, mode {})",
                    human_size(summary.size),
                    summary.files,
                    entry.uid,
                    entry.gid,
                    entry.mode
                ),
                bytes: summary.size,
                files: summary.files,
            }
        }
        Err(ArchiveError::Corrupt(message)) => {
            report(Status::Corrupt, format!("corrupt seed ignored: {message}"))
        }
        Err(ArchiveError::TooLarge) => report(Status::Failed, "unexpected size limit".to_owned()),
        Err(ArchiveError::Io(error)) => {
            report(Status::Failed, format!("cannot unpack the seed: {error}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache_transfer::index::CacheKey;

    fn exported(work: &Path) -> (Entry, std::path::PathBuf) {
        let source = work.join("source");
        fs::create_dir_all(source.join("wheels")).expect("dirs");
        fs::write(source.join("wheels/psycopg2.whl"), vec![3u8; 5000]).expect("file");
        let seed = work.join("seed");
        fs::create_dir(&seed).expect("seed");
        let summary = archive::pack(&source, &seed.join(ARCHIVE_FILE), None).expect("pack");
        let entry = Entry {
            key: CacheKey {
                id: "pip".into(),
                base: None,
            },
            dir: "pip-000000000000".into(),
            target: "/root/.cache/pip".into(),
            sharing: "shared".into(),
            uid: 0,
            gid: 0,
            mode: "0750".into(),
            size: summary.size,
            files: summary.files,
            sha256: summary.sha256,
            skipped: None,
        };
        (entry, seed)
    }

    fn read_report(dir: &Path) -> Report {
        serde_json::from_slice(&fs::read(dir.join(REPORT_FILE)).expect("report")).expect("json")
    }

    #[test]
    fn seeds_an_empty_cache_and_keeps_a_full_one() {
        let work = tempfile::tempdir().expect("tempdir");
        let (entry, seed) = exported(work.path());
        let cache = work.path().join("cache");
        let report = work.path().join("report");
        fs::create_dir(&cache).expect("cache");
        fs::create_dir(&report).expect("report");
        let spec = SeedSpec {
            entry,
            label: "pip".into(),
        };
        let line = run(&spec, &seed, &cache, &report).expect("run");
        assert!(line.starts_with("pip: seeded"), "{line}");
        assert_eq!(read_report(&report).status, Status::Seeded);
        assert!(cache.join("wheels/psycopg2.whl").exists());
        let (_, _, mode) = archive::owner_and_mode(&cache).expect("stat");
        assert_eq!(mode, 0o750);

        run(&spec, &seed, &cache, &report).expect("run");
        assert_eq!(read_report(&report).status, Status::Kept);
    }

    #[test]
    fn a_corrupt_seed_is_reported_and_changes_nothing() {
        let work = tempfile::tempdir().expect("tempdir");
        let (mut entry, seed) = exported(work.path());
        entry.sha256 = "f".repeat(64);
        let cache = work.path().join("cache");
        let report = work.path().join("report");
        fs::create_dir(&cache).expect("cache");
        fs::create_dir(&report).expect("report");
        let spec = SeedSpec {
            entry,
            label: "pip".into(),
        };
        let line = run(&spec, &seed, &cache, &report).expect("run");
        assert!(line.contains("corrupt seed ignored"), "{line}");
        assert_eq!(read_report(&report).status, Status::Corrupt);
        assert!(archive::is_empty(&cache).expect("read"));
        // A missing archive is corrupt too (the index promised one).
        fs::remove_file(seed.join(ARCHIVE_FILE)).expect("rm");
        run(&spec, &seed, &cache, &report).expect("run");
        assert_eq!(read_report(&report).status, Status::Corrupt);
    }
}
