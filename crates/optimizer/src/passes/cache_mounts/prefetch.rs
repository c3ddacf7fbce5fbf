//! Prefetch steps (`go mod download`, `cargo fetch`, `mvn
//! dependency:go-offline`, `gradle dependencies`, `pnpm fetch`, `npm ci
//! --prefer-offline`, `npm cache add`, `dotnet restore`) exist to put
//! downloads into the image for a later step (`make`, `./build.sh`, an
//! offline build). Their directory is mounted only when every later RUN of
//! the stage and of the stages built from it gets the same mount, or runs
//! only commands that never read it (`apt-get`, `useradd`, `mkdir`, …);
//! otherwise it stays in the image for the whole stage family (see
//! `state_dirs`). npm's cache is handled as state in a file that prefetches
//! into it.

use dfopt_dockerfile::instructions::CommandKind;

use super::mount_plans::RunPlan;
use crate::facts::StageFacts;
use crate::shell::Script;
use crate::work::Cx;

/// Commands that never read a package manager's download directory.
const NOT_READERS: [&str; 22] = [
    "apt-get",
    "apt",
    "apk",
    "dnf",
    "yum",
    "microdnf",
    "useradd",
    "adduser",
    "groupadd",
    "addgroup",
    "mkdir",
    "echo",
    "true",
    "ln",
    "touch",
    "update-ca-certificates",
    "printf",
    "test",
    "[",
    "id",
    "whoami",
    "ls",
];

/// Whether every RUN after `(stage, index)` that may read `target` (the rest
/// of the stage and the stages built from it) gets the same mount. A RUN that
/// only runs commands known not to read it (`apt-get`, `useradd`, …) is not a
/// reader; any other RUN (`make`, `./build.sh`, an exec-form RUN) may be one.
pub(super) fn readers_get_mount(
    cx: &Cx,
    facts: &[StageFacts],
    plans: &[RunPlan],
    stage: usize,
    index: usize,
    d: usize,
    target: &str,
) -> bool {
    let descends = |mut s: usize| loop {
        if s == stage {
            return true;
        }
        match facts[s].parent {
            Some(p) => s = p,
            None => return false,
        }
    };
    for (s, st) in cx.work.ir.stages.iter().enumerate() {
        if !descends(s) {
            continue;
        }
        for (i, cmd) in st.commands.iter().enumerate() {
            if s == stage && i <= index {
                continue;
            }
            let CommandKind::Run(run) = &cmd.kind else {
                continue;
            };
            let mounted = plans.iter().any(|p| {
                p.stage == s && p.index == i && p.targets.get(&d).is_some_and(|t| t == target)
            });
            if mounted {
                continue;
            }
            let harmless = run.cmd.prepend_shell
                && run.cmd.files.is_empty()
                && Script::parse(&run.cmd.args.join(" ")).is_ok_and(|sc| {
                    // Substitutions' commands too (`echo $(cat go.sum)`).
                    sc.with_substitutions().iter().all(|sc| {
                        sc.cmds.iter().all(|c| {
                            c.argv.is_empty()
                                || sc
                                    .base_name(c)
                                    .is_some_and(|n| NOT_READERS.contains(&n.as_str()))
                        })
                    })
                });
            if !harmless {
                return false;
            }
        }
    }
    true
}
