//! A cache directory to and from one tar: numeric owners, permission bits and
//! modification times kept, entries in a stable (sorted) order.
//!
//! Packing counts and hashes the bytes as they are written and stops at a size
//! limit. Unpacking hashes the bytes as they are read, into a staging directory
//! inside the cache; only when the archive is complete and its sha256 is the one
//! the index promised are the entries moved into place, so a corrupt seed leaves
//! the cache as empty as it was. The tar reader refuses paths that leave the
//! staging directory (absolute, `..`, through symlinks).

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// The name of the staging directory inside a cache being seeded.
pub const STAGING: &str = ".dfopt-seed-staging";

/// What a pack or unpack handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Archive bytes.
    pub size: u64,
    /// Entries.
    pub files: u64,
    /// sha256 of the archive, hex.
    pub sha256: String,
    /// Entries left out (sockets, devices, fifos): not cache content.
    pub skipped_special: u64,
}

/// Why an archive was not packed or not unpacked.
#[derive(Debug)]
pub enum ArchiveError {
    /// Packing would exceed the limit.
    TooLarge,
    /// The archive is not what the index says (unpack only).
    Corrupt(String),
    /// Reading or writing failed.
    Io(io::Error),
}

impl From<io::Error> for ArchiveError {
    fn from(error: io::Error) -> Self {
        ArchiveError::Io(error)
    }
}

/// Whether `dir` has no entries (a stale staging directory does not count).
pub fn is_empty(dir: &Path) -> io::Result<bool> {
    for entry in fs::read_dir(dir)? {
        if entry?.file_name() != STAGING {
            return Ok(false);
        }
    }
    Ok(true)
}

struct Counting<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
    limit: Option<u64>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let after = self.written + buf.len() as u64;
        if self.limit.is_some_and(|limit| after > limit) {
            return Err(io::Error::other(LIMIT_MARK));
        }
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const LIMIT_MARK: &str = "dfopt-cache size limit reached";

fn is_limit(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.to_string() == LIMIT_MARK)
}

/// Packs the contents of `root` into `out` (created), at most `limit` bytes.
pub fn pack(root: &Path, out: &Path, limit: Option<u64>) -> Result<Summary, ArchiveError> {
    let file = File::create(out)?;
    let writer = Counting {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        written: 0,
        limit,
    };
    let mut builder = tar::Builder::new(writer);
    builder.follow_symlinks(false);
    let mut files = 0;
    let mut skipped_special = 0;
    let result = (|| -> io::Result<()> {
        let mut stack = vec![PathBuf::new()];
        while let Some(relative) = stack.pop() {
            let mut names: Vec<_> = fs::read_dir(root.join(&relative))?
                .map(|entry| entry.map(|e| e.file_name()))
                .collect::<io::Result<_>>()?;
            names.sort();
            // Depth-first in name order: push in reverse so the first name comes first.
            let mut subdirs = Vec::new();
            for name in names {
                let path = relative.join(&name);
                let full = root.join(&path);
                let meta = fs::symlink_metadata(&full)?;
                let kind = meta.file_type();
                let mut header = tar::Header::new_gnu();
                header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
                if kind.is_dir() {
                    header.set_size(0);
                    builder.append_data(&mut header, &path, io::empty())?;
                    subdirs.push(path);
                } else if kind.is_file() {
                    builder.append_data(&mut header, &path, BufReader::new(File::open(&full)?))?;
                } else if kind.is_symlink() {
                    header.set_size(0);
                    builder.append_link(&mut header, &path, fs::read_link(&full)?)?;
                } else {
                    skipped_special += 1;
                    continue;
                }
                files += 1;
            }
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(())
    })();
    let finished = result.and_then(|()| builder.into_inner());
    match finished {
        Ok(mut writer) => {
            writer.flush()?;
            Ok(Summary {
                size: writer.written,
                files,
                sha256: hex(&writer.hasher.finalize()),
                skipped_special,
            })
        }
        Err(error) => {
            let _ = fs::remove_file(out);
            if is_limit(&error) {
                Err(ArchiveError::TooLarge)
            } else {
                Err(ArchiveError::Io(error))
            }
        }
    }
}

struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// Unpacks `archive` into the empty directory `dest`, if its size and sha256 are
/// the expected ones; on any failure `dest` is left without the archive's entries.
pub fn unpack(
    archive: &Path,
    size: u64,
    sha256: &str,
    dest: &Path,
) -> Result<Summary, ArchiveError> {
    let actual = fs::metadata(archive)
        .map_err(|error| ArchiveError::Corrupt(format!("cannot read the archive: {error}")))?
        .len();
    if actual != size {
        return Err(ArchiveError::Corrupt(format!(
            "the archive has {actual} bytes, the index says {size}"
        )));
    }
    let staging = dest.join(STAGING);
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir(&staging)?;
    let outcome = unpack_into(archive, sha256, &staging);
    match outcome {
        Ok(summary) => {
            for entry in fs::read_dir(&staging)? {
                let entry = entry?;
                fs::rename(entry.path(), dest.join(entry.file_name()))?;
            }
            fs::remove_dir(&staging)?;
            Ok(summary)
        }
        Err(error) => {
            let _ = fs::remove_dir_all(&staging);
            Err(error)
        }
    }
}

fn unpack_into(archive: &Path, sha256: &str, staging: &Path) -> Result<Summary, ArchiveError> {
    let reader = Hashing {
        inner: BufReader::with_capacity(1 << 20, File::open(archive)?),
        hasher: Sha256::new(),
        read: 0,
    };
    let mut tar = tar::Archive::new(reader);
    tar.set_preserve_permissions(true);
    tar.set_preserve_ownerships(true);
    tar.set_preserve_mtime(true);
    tar.set_overwrite(true);
    let mut files = 0;
    let entries = tar
        .entries()
        .map_err(|error| ArchiveError::Corrupt(format!("not a tar archive: {error}")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|error| ArchiveError::Corrupt(format!("bad tar entry: {error}")))?;
        let unpacked = entry.unpack_in(staging).map_err(|error| {
            if error.kind() == io::ErrorKind::InvalidData || error.kind() == io::ErrorKind::Other {
                ArchiveError::Corrupt(format!("cannot unpack {:?}: {error}", entry.path().ok()))
            } else {
                ArchiveError::Io(error)
            }
        })?;
        if !unpacked {
            return Err(ArchiveError::Corrupt(format!(
                "entry {:?} leaves the cache directory",
                entry.path().ok()
            )));
        }
        files += 1;
    }
    let mut reader = tar.into_inner();
    io::copy(&mut reader, &mut io::sink())?;
    let actual = hex(&reader.hasher.finalize());
    if actual != sha256 {
        return Err(ArchiveError::Corrupt(format!(
            "sha256 {actual}, the index says {sha256}"
        )));
    }
    Ok(Summary {
        size: reader.read,
        files,
        sha256: actual,
        skipped_special: 0,
    })
}

/// Owner, group and permission bits of `path`.
pub fn owner_and_mode(path: &Path) -> io::Result<(u32, u32, u32)> {
    let meta = fs::metadata(path)?;
    Ok((meta.uid(), meta.gid(), meta.mode() & 0o7777))
}

/// Sets owner, group and permission bits of `path`.
pub fn set_owner_and_mode(path: &Path, uid: u32, gid: u32, mode: u32) -> io::Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt as _};

    fn is_root() -> bool {
        owner_and_mode(Path::new("/proc/self")).is_ok_and(|(uid, _, _)| uid == 0)
    }

    fn tree(root: &Path) {
        fs::create_dir_all(root.join("archives/partial")).expect("dirs");
        fs::write(root.join("archives/a.deb"), vec![7u8; 100_000]).expect("file");
        fs::write(root.join("lock"), b"").expect("file");
        let long = "x".repeat(150);
        fs::write(root.join("archives").join(&long), b"long name").expect("file");
        symlink("archives/a.deb", root.join("link")).expect("symlink");
        fs::set_permissions(
            root.join("archives/partial"),
            fs::Permissions::from_mode(0o700),
        )
        .expect("chmod");
        if is_root() {
            std::os::unix::fs::chown(root.join("lock"), Some(1000), Some(1001)).expect("chown");
        }
    }

    #[test]
    fn round_trip_keeps_contents_modes_and_owners() {
        let work = tempfile::tempdir().expect("tempdir");
        let source = work.path().join("source");
        tree(&source);
        let archive = work.path().join("cache.tar");
        let packed = pack(&source, &archive, None).expect("pack");
        assert_eq!(packed.files, 6);
        assert_eq!(packed.size, fs::metadata(&archive).expect("meta").len());
        // The same tree packs to the same bytes.
        let again = work.path().join("again.tar");
        assert_eq!(
            pack(&source, &again, None).expect("pack").sha256,
            packed.sha256
        );

        let dest = work.path().join("dest");
        fs::create_dir(&dest).expect("dest");
        assert!(is_empty(&dest).expect("read"));
        let unpacked = unpack(&archive, packed.size, &packed.sha256, &dest).expect("unpack");
        assert_eq!(unpacked.files, 6);
        assert!(!dest.join(STAGING).exists());
        assert_eq!(
            fs::read(dest.join("archives/a.deb")).expect("read").len(),
            100_000
        );
        assert_eq!(
            fs::read_link(dest.join("link")).expect("link"),
            Path::new("archives/a.deb")
        );
        let (_, _, mode) = owner_and_mode(&dest.join("archives/partial")).expect("stat");
        assert_eq!(mode, 0o700);
        if is_root() {
            let (uid, gid, _) = owner_and_mode(&dest.join("lock")).expect("stat");
            assert_eq!((uid, gid), (1000, 1001));
        }
    }

    #[test]
    fn the_limit_stops_packing() {
        let work = tempfile::tempdir().expect("tempdir");
        let source = work.path().join("source");
        tree(&source);
        let archive = work.path().join("cache.tar");
        assert!(matches!(
            pack(&source, &archive, Some(50_000)),
            Err(ArchiveError::TooLarge)
        ));
        assert!(!archive.exists());
    }

    #[test]
    fn a_corrupt_archive_leaves_the_cache_empty() {
        let work = tempfile::tempdir().expect("tempdir");
        let source = work.path().join("source");
        tree(&source);
        let archive = work.path().join("cache.tar");
        let packed = pack(&source, &archive, None).expect("pack");
        let dest = work.path().join("dest");
        fs::create_dir(&dest).expect("dest");

        let wrong = "0".repeat(64);
        assert!(matches!(
            unpack(&archive, packed.size, &wrong, &dest),
            Err(ArchiveError::Corrupt(_))
        ));
        assert!(is_empty(&dest).expect("read") && !dest.join(STAGING).exists());

        assert!(matches!(
            unpack(&archive, packed.size + 1, &packed.sha256, &dest),
            Err(ArchiveError::Corrupt(_))
        ));

        let mut bytes = fs::read(&archive).expect("read");
        bytes[1000] ^= 0xff;
        fs::write(&archive, &bytes).expect("write");
        assert!(matches!(
            unpack(&archive, packed.size, &packed.sha256, &dest),
            Err(ArchiveError::Corrupt(_))
        ));
        assert!(is_empty(&dest).expect("read"));
    }
}
