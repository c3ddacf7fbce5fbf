//! Cargo: `cargo fetch` of a single crate reads `Cargo.toml`, `Cargo.lock`,
//! `.cargo/config.toml` (or `.cargo/config`) and the toolchain file
//! (`rust-toolchain.toml`, `rust-toolchain`) rustup reads.
//!
//! Tested with Cargo in a directory holding only the manifests: Cargo
//! parses the manifest's targets before it fetches, and fails ("no targets
//! specified in the manifest", "can't find `svc` bin at …") when a target
//! is discovered from, or found at the default place of, a source file
//! that is absent — a crate with no `[lib]`/`[[bin]]` table, a `[[bin]]`
//! or `[lib]` without `path`, an `[[example]]`/`[[test]]`/`[[bench]]`
//! without `path`. With every target table naming its `path` (the files
//! absent), and a `build` script absent, `cargo fetch` succeeds, downloads
//! the build dependencies too, writes Cargo.lock when there is none (byte
//! for byte the one it writes with the sources and `build.rs` present) and
//! writes no `target` directory; with `--locked` and a stale lock it fails
//! instead of rewriting it, and without `--locked` it rewrites it.
//!
//! A `links` key needs a build script: with `build.rs` found by Cargo in
//! the sources (no `build` key), `cargo fetch` without the sources fails
//! ("links to `z` but does not have a custom build script"), so `links`
//! without a `build = "<path>"` refuses; an explicit `build` path is not
//! checked for existence by `cargo fetch` (per the review that found this).

use super::context::{join, Checked, Decline, Reader};
use super::python::without_bom;
use super::scan::{flag_name, Call, Step, Tool};

/// `cargo fetch` options that name no path.
const FLAGS: [&str; 8] = [
    "--locked",
    "--frozen",
    "--target",
    "--quiet",
    "-q",
    "--verbose",
    "-v",
    "--color",
];

/// Options of [`FLAGS`] whose value is the next word.
const VALUE_FLAGS: [&str; 2] = ["--target", "--color"];

/// Target tables, whose `path` keys name source files `cargo fetch` does
/// not read.
const TARGET_TABLES: [&str; 5] = ["[lib]", "[[bin]]", "[[example]]", "[[test]]", "[[bench]]"];

/// Files Cargo and rustup read from the crate's directory and its parents.
const CONFIG_FILES: [&str; 4] = [
    ".cargo/config.toml",
    ".cargo/config",
    "rust-toolchain.toml",
    "rust-toolchain",
];

/// The step a call makes, when it is `cargo fetch`.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    if call.name != "cargo" {
        return None;
    }
    let Some(("fetch", flags)) = call.args.split_first().map(|(s, f)| (s.as_str(), f)) else {
        return Some(Err("a cargo command other than fetch"));
    };
    let mut locked = false;
    let mut i = 0;
    while i < flags.len() {
        let (name, value) = flag_name(&flags[i]);
        i += 1;
        if !FLAGS.contains(&name) {
            return Some(Err("an install option the pass does not know"));
        }
        locked |= matches!(name, "--locked" | "--frozen");
        if value.is_none() && VALUE_FLAGS.contains(&name) {
            i += 1;
        }
    }
    Some(Ok(Step::Install {
        tool: Tool::Cargo,
        named: Vec::new(),
        text: call.display(),
        rewrites_lock: !locked,
        writes_config: false,
        runs_plugins: false,
    }))
}

/// `Cargo.toml` (required, checked), then `Cargo.lock` and the config and
/// toolchain files present. Refuses a Cargo manifest or config file in a
/// parent directory of the context (a workspace root, merged config).
pub(super) fn manifests(
    rewrites_lock: bool,
    dir: &str,
    reader: &mut Reader,
) -> Checked<Vec<String>> {
    let path = |name: &str| join(dir, name).unwrap_or_else(|| name.to_string());
    let manifest = reader.text(&path("Cargo.toml"));
    let lock = reader.file(&path("Cargo.lock"));
    let present = reader.texts_present(dir, &CONFIG_FILES);
    let mut missing = false;
    let mut in_parent = false;
    for parent in parents(dir) {
        for name in CONFIG_FILES.iter().chain(&["Cargo.toml"]) {
            let file = join(&parent, name).unwrap_or_else(|| name.to_string());
            match reader.file(&file) {
                Ok(found) => in_parent |= found.is_some(),
                Err(Decline::Missing) => missing = true,
                Err(refused) => return Err(refused),
            }
        }
    }
    let manifest = manifest?.ok_or(Decline::Refused("Cargo.toml is not in the context"))?;
    let manifest = without_bom(manifest);
    let lock = lock?;
    let present = present?;
    if missing {
        return Err(Decline::Missing);
    }
    if in_parent {
        return Err(Decline::Refused(
            "a parent directory of the crate has Cargo or rustup files",
        ));
    }
    check_manifest(manifest)?;
    if present.iter().any(|(_, text)| names_local_path(text)) {
        return Err(Decline::Refused(
            "a Cargo config or toolchain file names a local path",
        ));
    }
    let mut out = vec![path("Cargo.toml")];
    if lock.is_some() {
        if rewrites_lock {
            return Err(Decline::Refused(
                "the install may rewrite the lockfile the full COPY overwrites",
            ));
        }
        out.push(path("Cargo.lock"));
    }
    out.extend(present.iter().map(|(name, _)| path(name)));
    Ok(out)
}

/// The context directories above `dir`, the root first.
fn parents(dir: &str) -> Vec<String> {
    let parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    (0..parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// Refuses a manifest `cargo fetch` cannot read without the sources (see
/// the module doc), a workspace, and a dependency, patch or replacement
/// from a local path. Read as TOML text, conservatively.
fn check_manifest(text: &str) -> Checked<()> {
    let refuse = |why| Err(Decline::Refused(why));
    let mut table = String::new();
    let mut targets = Vec::new();
    let mut has_lib_or_bin = false;
    let (mut links, mut build_path) = (false, false);
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("workspace") {
            return refuse("Cargo.toml belongs to or declares a workspace");
        }
        if compact.contains("file:") {
            return refuse("Cargo.toml names a local file URL");
        }
        if compact.starts_with('[') {
            table = compact;
            if TARGET_TABLES.contains(&table.as_str()) {
                has_lib_or_bin |= matches!(table.as_str(), "[lib]" | "[[bin]]");
                targets.push(false);
            }
            continue;
        }
        // Keys with their quotes dropped (`"links" = "z"` is `links`).
        let key = compact
            .split_once('=')
            .map_or("", |(k, _)| k)
            .replace(['"', '\''], "");
        links |= key == "links" || key.ends_with(".links");
        if table == "[package]" && key == "build" {
            let value = compact.split_once('=').map_or("", |(_, v)| v);
            build_path |= value.starts_with(['"', '\'']);
        }
        let path_key = ["path=", "\"path\"=", "'path'="]
            .iter()
            .any(|key| compact.starts_with(key));
        if path_key && TARGET_TABLES.contains(&table.as_str()) {
            if let Some(has_path) = targets.last_mut() {
                *has_path = true;
            }
            continue;
        }
        if ["path=", "path\"=", "path'=", "path."]
            .iter()
            .any(|key| compact.contains(key))
        {
            return refuse("Cargo.toml names a local path");
        }
    }
    if links && !build_path {
        return refuse(
            "Cargo.toml has `links` without a `build` path: Cargo needs the build script's file to read the manifest",
        );
    }
    if !has_lib_or_bin || !targets.iter().all(|&has_path| has_path) {
        return refuse(
            "Cargo.toml has a target without `path`: Cargo needs its source file to read the manifest",
        );
    }
    Ok(())
}

/// Whether a config or toolchain file names a path (`paths`, a `path`
/// patch or toolchain, a `directory` source, a local registry, an
/// `include`, a file URL), or a setting whose value may be a file of the
/// project even as a bare name: a CA file (`http.cainfo`), a credential
/// provider, a `rustc` or its wrapper, a target spec (`*.json`), and
/// `rustflags` that may name a file.
fn names_local_path(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.split('#').next().unwrap_or("");
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        [
            "path",
            "directory",
            "local-registry",
            "include",
            "file:",
            "cainfo",
            "credential",
            "rustc",
            "wrapper",
            ".json",
        ]
        .iter()
        .any(|key| compact.contains(key))
            || rustflags_name_files(&compact)
    })
}

/// Whether a `rustflags` setting (one line, spaces removed) may make rustc
/// read a file: an `@file` argument, a path, a sysroot or search path, or
/// an array that goes on to other lines (not read here). `cargo fetch` runs
/// rustc with the flags to learn the target's `cfg` (checked: a missing
/// `@build/rustflags.txt` fails the fetch).
fn rustflags_name_files(compact: &str) -> bool {
    let Some(value) = compact
        .strip_prefix("rustflags=")
        .or_else(|| compact.split_once(".rustflags=").map(|(_, v)| v))
    else {
        return compact.contains("rustflags");
    };
    let open_array = value.starts_with('[') && !value.ends_with(']');
    open_array
        || value.contains(['@', '/', '\\'])
        || value.contains("-L")
        || value.contains("sysroot")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRATE: &str = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                         [[bin]]\nname = \"svc\"\npath = \"src/main.rs\"\n\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n";

    #[test]
    fn manifest_shapes() {
        assert_eq!(check_manifest(CRATE), Ok(()));
        let auto = CRATE.replace("[[bin]]\nname = \"svc\"\npath = \"src/main.rs\"\n", "");
        assert!(check_manifest(&auto).is_err());
        let no_path = CRATE.replace("path = \"src/main.rs\"\n", "");
        assert!(check_manifest(&no_path).is_err());
        assert!(check_manifest(&format!("{CRATE}lib = {{ path = \"../lib\" }}\n")).is_err());
        assert!(check_manifest(&format!("{CRATE}\n[workspace]\nmembers = [\"a\"]\n")).is_err());
        assert!(check_manifest(&format!(
            "{CRATE}\n[patch.crates-io]\nserde = {{ path = \"../serde\" }}\n"
        ))
        .is_err());
        assert!(check_manifest(&format!("{CRATE}\n[[example]]\nname = \"demo\"\n")).is_err());
        let links = CRATE.replace(
            "edition = \"2021\"\n",
            "edition = \"2021\"\nlinks = \"z\"\n",
        );
        assert!(check_manifest(&links).is_err());
        let quoted = CRATE.replace(
            "edition = \"2021\"\n",
            "edition = \"2021\"\n\"links\" = \"z\"\n",
        );
        assert!(check_manifest(&quoted).is_err());
        let explicit = CRATE.replace(
            "edition = \"2021\"\n",
            "edition = \"2021\"\nlinks = \"z\"\nbuild = \"build.rs\"\n",
        );
        assert_eq!(check_manifest(&explicit), Ok(()));
        let no_build = explicit.replace("build = \"build.rs\"", "build = false");
        assert!(check_manifest(&no_build).is_err());
        assert_eq!(parents("a/b"), vec!["".to_string(), "a".to_string()]);
    }
}
