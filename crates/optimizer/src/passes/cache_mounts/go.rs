//! Go (optimization-safety.md §1.4).
//!
//! - `GOCACHE` on every build-like `go` call (`build`, `install`, `test`,
//!   `run`, `vet`, `get`, `list`, `generate`, `tool`); `GOMODCACHE` (state)
//!   on those and on `go mod`/`go work`, on every `go` RUN of the stage
//!   family or none (see `state_dirs`). `go mod download` prefetches;
//!   `GOPROXY=off` counts as offline.
//! - `go clean -cache/-testcache/-fuzzcache/-modcache` (only those flags) is
//!   dropped when the cleaned directories are mounted and their location is
//!   known.
//! - `GOCACHE=off` (it turns the build cache off) leaves the build cache
//!   unmounted (reported). A call that sets its own `GOCACHE`, `GOMODCACHE`,
//!   `GOPATH`, `XDG_CACHE_HOME` or `HOME` gets nothing.
//! - `xx-go` (tonistiigi/xx) runs `go` with the target's settings and is
//!   handled as `go`.

use super::mount_plans::{dir_index, Drop};
use super::tool_family::{Call, Command, Family, Found, ToolSpec};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[ToolSpec::plain(
        Tool::Go,
        &[Command::checked("go"), Command::checked("xx-go")],
    )],
    &["go "],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    for call in calls {
        let (sub, args) = call.sub_and_args(&[]);
        let build = dir_index("go-build");
        let modc = dir_index("go-mod");
        let p = found.bare_plan(Tool::Go);
        let sub = sub.unwrap_or_default();
        let offline_env = call.assigns.iter().any(|a| a == "GOPROXY=off")
            || call.facts.env.value("GOPROXY") == Ok(Some("off"));
        if offline_env {
            p.offline = true;
        }
        match sub.as_str() {
            "clean" => {
                let flags: Vec<&str> = args
                    .iter()
                    .filter_map(|(_, a)| a.as_deref())
                    .filter(|a| *a != "clean")
                    .collect();
                let mut requires = Vec::new();
                let mut only_caches = !flags.is_empty();
                for f in &flags {
                    match *f {
                        "-cache" | "-testcache" | "-fuzzcache" => requires.push(build),
                        "-modcache" => requires.push(modc),
                        _ => only_caches = false,
                    }
                }
                if only_caches && args.iter().all(|(_, a)| a.is_some()) {
                    requires.sort_unstable();
                    requires.dedup();
                    p.drops.push(Drop {
                        cmd: call.index,
                        requires,
                    });
                }
            }
            "build" | "install" | "test" | "run" | "vet" | "get" | "list" | "generate" | "tool" => {
                for d in [build, modc] {
                    if !p.wants.contains(&d) {
                        p.wants.push(d);
                    }
                }
            }
            "mod" | "work" => {
                if !p.wants.contains(&modc) {
                    p.wants.push(modc);
                }
                if args.iter().any(|(_, a)| a.as_deref() == Some("download")) {
                    p.prefetch = true;
                }
            }
            _ => {}
        }
    }
}
