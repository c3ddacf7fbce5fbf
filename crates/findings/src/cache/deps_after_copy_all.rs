//! `DepsAfterCopyAll`: a dependency install after the whole build context was
//! copied in the same stage.
//!
//! **Why.** BuildKit reuses a layer only while everything before it is
//! unchanged. After `COPY . .`, any edit to any file of the context (a source
//! file, a README) invalidates the cache of every later step, so the
//! dependencies are downloaded and installed again on every code change.
//! Copying only the dependency manifests first, installing, and copying the
//! rest afterwards keeps the install cached until the manifests change.
//!
//! **Example.**
//! ```dockerfile
//! COPY . /app
//! RUN pip install -r /app/requirements.txt    # finding
//! ```
//! becomes
//! ```dockerfile
//! COPY requirements.txt /app/
//! RUN pip install -r /app/requirements.txt
//! COPY . /app
//! ```
//!
//! Recognised installs: `pip install` (not of the project alone: `pip install .`),
//! `npm install|ci`, `yarn [install]`, `pnpm install`, `go mod download`,
//! `go get`, `cargo fetch|build`, `bundle install`, `composer install`,
//! `poetry install`, `pipenv install`.
//!
//! **Not a finding** when the same tool already fetched the dependencies from the
//! manifests alone earlier in the stage (or in the stage it is built on), before
//! the whole context was copied: the later call then only builds the project, and
//! the dependencies stay cached until the manifests change. That is what
//! cargo-chef (`COPY recipe.json` → `cargo chef cook` → `COPY . .` →
//! `cargo build`), `pnpm fetch` (`COPY pnpm-lock.yaml` → `pnpm fetch` → `COPY . .`
//! → `pnpm install --offline`), `cargo fetch` and `go mod download` projects do:
//! ```dockerfile
//! COPY --from=planner /app/recipe.json recipe.json
//! RUN cargo chef cook --release --recipe-path recipe.json
//! COPY . .
//! RUN cargo build --release                   # fine
//! ```
//! Nor when the call downloads nothing (`--offline`, `cargo --frozen`): its
//! dependencies come from the copied context itself (a vendored directory, a
//! prefetched store), so it cannot move above the copy.

use dfopt_dockerfile::instructions::{Command, Stage};

use super::shell::SimpleCommand;
use super::tools::{self, Installer};
use super::{copies_whole_context, simple_commands, Input};
use crate::check::Sink;
use crate::rule::Rule;

pub static RULE: Rule = Rule::new(
    "DepsAfterCopyAll",
    "Dependencies installed after `COPY . .`: every source change re-installs them",
    "https://docs.docker.com/build/cache/optimize/#order-your-layers",
);

fn manifests(tool: Installer) -> &'static str {
    match tool {
        Installer::Pip => "requirements.txt (or pyproject.toml)",
        Installer::Npm => "package.json and package-lock.json",
        Installer::Yarn => "package.json and yarn.lock",
        Installer::Pnpm => "package.json and pnpm-lock.yaml",
        Installer::Go => "go.mod and go.sum",
        Installer::Cargo => "Cargo.toml and Cargo.lock",
        Installer::Bundle => "Gemfile and Gemfile.lock",
        Installer::Composer => "composer.json and composer.lock",
        Installer::Poetry => "pyproject.toml and poetry.lock",
        Installer::Pipenv => "Pipfile and Pipfile.lock",
        Installer::Apt => "",
    }
}

/// Whether the call installs dependencies (not only the project that was copied).
fn installs_dependencies(c: &SimpleCommand, call: &tools::Call) -> bool {
    match call.tool {
        Installer::Apt => false,
        Installer::Pip => {
            let args = tools::pip_install_args(c).unwrap_or_default();
            let mut has_target = false;
            let mut only_project = true;
            let mut i = 0;
            while i < args.len() {
                let a = args[i].as_str();
                if a == "-r"
                    || a == "--requirement"
                    || a.starts_with("--requirement=")
                    || a.starts_with("-r") && a.len() > 2
                {
                    return true;
                }
                if a == "-e" || a == "--editable" || a.starts_with('-') {
                    if matches!(
                        a,
                        "-c" | "--constraint"
                            | "-i"
                            | "--index-url"
                            | "--extra-index-url"
                            | "-t"
                            | "--target"
                            | "--prefix"
                            | "--root"
                            | "-f"
                            | "--find-links"
                    ) {
                        i += 1;
                    }
                    i += 1;
                    continue;
                }
                has_target = true;
                if !(a == "." || a.starts_with("./") || a.starts_with('/') || a.starts_with(".[")) {
                    only_project = false;
                }
                i += 1;
            }
            has_target && !only_project
        }
        // `cargo build` compiles the dependencies too; `cargo install` of a crate name does not use the context.
        Installer::Cargo => call.what != "cargo install" || c.has("--path"),
        Installer::Go => matches!(call.what.as_str(), "go mod download" | "go get"),
        _ => true,
    }
}

/// The tools whose dependencies `commands` fetched from the manifests alone.
fn prefetched(commands: &[Command], into: &mut Vec<Installer>) {
    for command in commands {
        into.extend(simple_commands(command).iter().filter_map(tools::prefetch));
    }
}

/// The tools prefetched in the stages `stage` is built on (its parents in the file).
fn inherited(input: &Input, stage: &Stage) -> Vec<Installer> {
    let mut out = Vec::new();
    let mut seen = vec![stage.index];
    let mut current = input.parent(stage);
    while let Some(parent) = current {
        if seen.contains(&parent.index) {
            break;
        }
        seen.push(parent.index);
        // Only what ran before the parent copied the whole context counts.
        let end = parent
            .commands
            .iter()
            .position(|c| copies_whole_context(c).is_some())
            .unwrap_or(parent.commands.len());
        prefetched(&parent.commands[..end], &mut out);
        if end < parent.commands.len() {
            break;
        }
        current = input.parent(parent);
    }
    out
}

/// The call downloads nothing (`--offline`; cargo's `--frozen` implies it).
fn offline(c: &SimpleCommand) -> bool {
    c.has("--offline") || (c.program() == "cargo" && c.has("--frozen"))
}

pub fn check(input: &Input, sink: &mut Sink<'_>) {
    for stage in input.stages() {
        let mut fetched = inherited(input, stage);
        let Some(at) = stage
            .commands
            .iter()
            .position(|c| copies_whole_context(c).is_some())
        else {
            continue;
        };
        let copy = &stage.commands[at];
        let keyword = copies_whole_context(copy).unwrap_or("COPY");
        prefetched(&stage.commands[..at], &mut fetched);
        for command in &stage.commands[at + 1..] {
            for c in simple_commands(command) {
                let Some(call) = tools::install_call(&c) else {
                    continue;
                };
                if !installs_dependencies(&c, &call) || fetched.contains(&call.tool) || offline(&c)
                {
                    continue;
                }
                sink.report_at_with_fix(
                    &command.comments,
                    vec![command.span, copy.span],
                    format!(
                        "`{}` runs after `{keyword}` of the whole build context: any change to any file re-runs it",
                        call.what
                    ),
                    format!(
                        "copy only {} first, run `{}`, then copy the rest of the context",
                        manifests(call.tool),
                        call.what
                    ),
                );
                break;
            }
        }
    }
}
