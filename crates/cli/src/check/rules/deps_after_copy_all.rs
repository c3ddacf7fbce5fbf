//! `deps-after-copy-all`: a dependency install after the whole build context
//! was copied in the same stage.
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
//! **Not a finding** when the stage already installed or fetched the same
//! tool's dependencies before the copy (`cargo chef cook`, `cargo fetch`,
//! `pnpm fetch`, `go mod download`, `npm ci`, …: the later call finds them
//! in a cached layer), or when the call works offline (`pnpm install
//! --offline`, `cargo build --offline|--frozen`): these projects are already
//! cache-efficient.

use super::super::tools::{self, Tool};
use super::super::{simple_commands, Context, Finding};
use super::copies_whole_context;

pub const ID: &str = "deps-after-copy-all";
pub const SUMMARY: &str =
    "Dependencies installed after `COPY . .`: every source change re-installs them";

fn manifests(tool: Tool) -> &'static str {
    match tool {
        Tool::Pip => "requirements.txt (or pyproject.toml)",
        Tool::Npm => "package.json and package-lock.json",
        Tool::Yarn => "package.json and yarn.lock",
        Tool::Pnpm => "package.json and pnpm-lock.yaml",
        Tool::Go => "go.mod and go.sum",
        Tool::Cargo => "Cargo.toml and Cargo.lock",
        Tool::Bundle => "Gemfile and Gemfile.lock",
        Tool::Composer => "composer.json and composer.lock",
        Tool::Poetry => "pyproject.toml and poetry.lock",
        Tool::Pipenv => "Pipfile and Pipfile.lock",
        Tool::Apt => "",
    }
}

/// Whether the call installs dependencies (not only the project that was copied).
fn installs_dependencies(c: &super::super::shell::SimpleCommand, call: &tools::Call) -> bool {
    match call.tool {
        Tool::Apt => false,
        Tool::Pip => {
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
        Tool::Cargo => call.what != "cargo install" || c.has("--path"),
        Tool::Go => matches!(call.what.as_str(), "go mod download" | "go get"),
        _ => true,
    }
}

/// The tool whose dependencies this call puts in place before the sources
/// are copied: an install, or a prefetch (`cargo chef cook`, `pnpm fetch`).
fn prepares(c: &super::super::shell::SimpleCommand) -> Option<Tool> {
    if c.program() == "cargo" && c.has("chef") && c.has("cook") {
        return Some(Tool::Cargo);
    }
    tools::install_call(c)
        .filter(|call| call.tool != Tool::Apt)
        .map(|call| call.tool)
}

/// The call downloads nothing (`--offline`, `cargo --frozen`).
fn offline(c: &super::super::shell::SimpleCommand) -> bool {
    c.has("--offline") || (c.program() == "cargo" && c.has("--frozen"))
}

pub fn check(cx: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for stage in &cx.ir.stages {
        let mut copy_all: Option<(&dfopt_dockerfile::instructions::Command, &str)> = None;
        let mut prepared: Vec<Tool> = Vec::new();
        for command in &stage.commands {
            if copy_all.is_none() {
                copy_all = copies_whole_context(command).map(|k| (command, k));
                if copy_all.is_none() {
                    prepared.extend(simple_commands(command).iter().filter_map(prepares));
                }
                continue;
            }
            let Some((copy, keyword)) = copy_all else {
                continue;
            };
            for c in simple_commands(command) {
                let Some(call) = tools::install_call(&c) else {
                    continue;
                };
                if !installs_dependencies(&c, &call) || prepared.contains(&call.tool) || offline(&c)
                {
                    continue;
                }
                findings.push(Finding {
                    rule: ID,
                    spans: vec![command.span, copy.span],
                    message: format!(
                        "`{}` runs after `{keyword}` of the whole build context: any change to any file re-runs it",
                        call.what
                    ),
                    fix: format!(
                        "copy only {} first, run `{}`, then copy the rest of the context",
                        manifests(call.tool),
                        call.what
                    ),
                });
                break;
            }
        }
    }
    findings
}
