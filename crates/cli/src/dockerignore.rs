//! `.dockerignore` files: finding the one that applies to a Dockerfile; the
//! parsing (moby's `ignorefile.ReadAll`) is `dfopt_dockerfile::dockerignore`.

use std::path::{Path, PathBuf};

/// The ignore file for the Dockerfile at `dockerfile`: `<file>.dockerignore`
/// next to it wins over `.dockerignore` in its directory (BuildKit's order when
/// the Dockerfile is in the context root). `None` when neither exists.
pub fn find(dockerfile: &Path) -> Option<PathBuf> {
    let mut specific = dockerfile.as_os_str().to_owned();
    specific.push(".dockerignore");
    let specific = PathBuf::from(specific);
    if specific.is_file() {
        return Some(specific);
    }
    let dir = dockerfile
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let general = dir.join(".dockerignore");
    general.is_file().then_some(general)
}

/// Parses an ignore file into exclude patterns (the project's one parser).
pub use dfopt_dockerfile::dockerignore::parse;
