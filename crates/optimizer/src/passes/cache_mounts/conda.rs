//! conda, mamba and micromamba (state, `sharing=locked`: the tools lock it;
//! optimization-safety.md §1.4).
//!
//! - The package cache `pkgs/` of the root prefix, from `CONDA_PKGS_DIRS`,
//!   `MAMBA_ROOT_PREFIX` or `CONDA_DIR` (miniforge sets `CONDA_DIR`, the
//!   micromamba image `MAMBA_ROOT_PREFIX`); environments get copies when it
//!   is on another filesystem. Without one of them, no mount (reported).
//! - `clean` with only cache flags (`-afy`, `--all`, `--tarballs`,
//!   `--packages`, `--index-cache`, `--force-pkgs-dirs`) is dropped when it
//!   is mounted (and its location known): it emptied exactly that directory.
//!   Any other `clean` declines.
//! - `--offline` counts as offline; a call with `-p`/`--prefix` or
//!   `-r`/`--root-prefix` elsewhere still uses the same package cache. Not
//!   fired when a call names `pkgs_dirs` or has a dynamic argument.

use super::tool_family::{Call, Command, Family, Found, ToolSpec, Use};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[ToolSpec::plain(
        Tool::Conda,
        &[
            Command::checked("conda"),
            Command::checked("mamba"),
            Command::checked("micromamba"),
        ],
    )],
    &["conda", "mamba"],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    found.take_each(calls, conda);
}

fn conda(call: &Call<'_>) -> Use {
    let w = call.words();
    if w.iter()
        .any(|a| a == "$" || a.contains("pkgs_dirs") || a.contains("pkgs-dirs"))
    {
        return Use::Decline;
    }
    let (sub, _) = call.sub_and_args(&[
        "-n",
        "--name",
        "-p",
        "--prefix",
        "-c",
        "--channel",
        "-f",
        "--file",
        "-r",
        "--root-prefix",
    ]);
    let sub = sub.unwrap_or_default();
    let offline = w.iter().any(|a| a == "--offline");
    match sub.as_str() {
        "clean" => {
            let only_cache = w.iter().filter(|a| *a != "clean").all(|a| {
                matches!(
                    a.as_str(),
                    "--all"
                        | "--tarballs"
                        | "--packages"
                        | "--index-cache"
                        | "--force-pkgs-dirs"
                        | "--yes"
                        | "--quiet"
                ) || (a.starts_with('-')
                    && !a.starts_with("--")
                    && a.len() > 1
                    && a[1..].chars().all(|ch| "aptifyq".contains(ch)))
            });
            if only_cache {
                Use::Clean
            } else {
                Use::Decline
            }
        }
        "install" | "create" | "update" | "upgrade" | "env" | "self-update" => Use::Uses {
            prefetch: false,
            offline,
        },
        _ => Use::None,
    }
}
