//! Node's package managers: npm, yarn v1, pnpm (optimization-safety.md §1.4).
//!
//! - **npm**: the cache (`npm_config_cache` or `~/.npm`); `npm cache clean
//!   --force` is dropped, and then the npm calls of the RUN get
//!   `--cache=<mount>` so nothing they download can stay behind in the image.
//!   A RUN that prefetches into the cache (`--prefer-offline`, `--offline`,
//!   `npm cache add`) makes it state for the whole file (see `state_dirs`);
//!   `--offline` counts as offline. Not fired when `npm config set cache`
//!   appears in any RUN.
//! - **yarn v1** (`sharing=locked`): `YARN_CACHE_FOLDER`, or
//!   `/usr/local/share/.cache/yarn` for root; `yarn cache clean` is dropped.
//!   Not fired when the Dockerfile shows Yarn 2+ (`corepack`, `yarn set
//!   version`, `.yarnrc.yml`, `yarnPath`, `--immutable`, `yarn@`): with
//!   Plug'n'Play its cache holds the installed packages; nor when a call
//!   passes `--cache-folder` or the cache folder is configured.
//! - **pnpm** (state): the store (`PNPM_HOME/store`, `XDG_DATA_HOME`,
//!   `~/.local/share/pnpm/store`); `pnpm fetch` prefetches, `--offline`
//!   counts as offline. Not fired when the `store-dir` is configured.

use dfopt_dockerfile::instructions::Ir;

use super::mount_plans::{dir_index, Drop};
use super::tool_family::{Call, Command, Family, Found, ToolSpec, Use};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[
        ToolSpec {
            config_keys: &["cache"],
            config_marks: &["npm config set cache"],
            cleanup_sure: true,
            prefetch_makes_state: true,
            ..ToolSpec::plain(Tool::Npm, &[Command::checked("npm")])
        },
        ToolSpec {
            config_keys: &["cache-folder", "cacheFolder"],
            config_marks: &["cache-folder", "cacheFolder"],
            ..ToolSpec::plain(Tool::Yarn, &[Command::checked("yarn")])
        },
        ToolSpec {
            config_keys: &["store-dir"],
            config_marks: &["store-dir"],
            ..ToolSpec::plain(Tool::Pnpm, &[Command::checked("pnpm")])
        },
    ],
    &["npm", "yarn", "pnpm"],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    for call in calls {
        match call.tool {
            Tool::Npm => npm(call, found),
            Tool::Yarn => yarn(call, found),
            _ => found.take(Tool::Pnpm, call.index, pnpm(call)),
        }
    }
}

fn npm(call: &Call<'_>, found: &mut Found) {
    let (sub, args) = call.sub_and_args(&["--prefix", "-C", "-w", "--workspace"]);
    let npm = dir_index("npm");
    let p = found.plan(Tool::Npm);
    let sub = sub.unwrap_or_default();
    if args
        .iter()
        .any(|(_, a)| matches!(a.as_deref(), Some("--prefer-offline" | "--offline")))
        || (sub == "cache" && args.iter().any(|(_, a)| a.as_deref() == Some("add")))
    {
        p.prefetch = true;
    }
    // `--offline` reads only what is already in the cache: a
    // prefetched cache must then stay where the prefetch left it.
    if args.iter().any(|(_, a)| a.as_deref() == Some("--offline")) {
        p.offline = true;
    }
    if sub == "cache" {
        let clean = args.iter().any(|(_, a)| a.as_deref() == Some("clean"));
        let force = args
            .iter()
            .any(|(_, a)| matches!(a.as_deref(), Some("--force" | "-f")));
        if clean && force {
            p.drops.push(Drop {
                cmd: call.index,
                requires: vec![npm],
            });
        }
        return;
    }
    if matches!(
        sub.as_str(),
        "install"
            | "i"
            | "ci"
            | "clean-install"
            | "ic"
            | "add"
            | "update"
            | "up"
            | "upgrade"
            | "exec"
            | "x"
            | "rebuild"
    ) {
        p.redirects
            .push(call.insert_after_name(" --cache=@npm@", vec![npm]));
    }
}

fn yarn(call: &Call<'_>, found: &mut Found) {
    if berry_evidence(call.ir) {
        found.decline(Tool::Yarn);
        return;
    }
    let (sub, args) = call.sub_and_args(&["--cwd", "--cache-folder", "--modules-folder"]);
    if args
        .iter()
        .any(|(_, a)| a.as_deref().is_none_or(|a| a.starts_with("--cache-folder")))
    {
        found.decline(Tool::Yarn);
        return;
    }
    let p = found.plan(Tool::Yarn);
    if sub.as_deref() == Some("cache") && args.iter().any(|(_, a)| a.as_deref() == Some("clean")) {
        p.drops.push(Drop {
            cmd: call.index,
            requires: vec![dir_index("yarn")],
        });
    }
}

fn pnpm(call: &Call<'_>) -> Use {
    let args = call.args();
    Use::Uses {
        prefetch: args.first().and_then(|a| a.as_deref()) == Some("fetch"),
        offline: args.iter().any(|a| a.as_deref() == Some("--offline")),
    }
}

/// Signs that `yarn` is Yarn 2+ (Berry) anywhere in the Dockerfile.
fn berry_evidence(ir: &Ir) -> bool {
    ir.stages.iter().any(|st| {
        st.commands.iter().any(|c| {
            let o = c.original.as_str();
            o.contains("corepack")
                || o.contains("yarn set version")
                || o.contains(".yarnrc.yml")
                || o.contains("yarnPath")
                || o.contains("--immutable")
                || o.contains("yarn@")
        })
    })
}
