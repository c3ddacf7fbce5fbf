//! Reading a RUN's command line into the calls it makes, for the two rules:
//! a dependency install (one tool, manifests only) or a system package
//! install (nothing relative to the working directory).

use crate::shell::{literal, path_pattern, Script, TokKind};

use super::{cargo_crate, go, node, php, pipenv, python, python_projects, ruby, system};

/// One simple command of the RUN, with static words only.
#[derive(Clone, Debug)]
pub(super) struct Call {
    /// The command name without its directory.
    pub name: String,
    /// The command name as given, directory included (`/opt/venv/bin/pip`);
    /// a relative one (`bin/bundle`) is refused when the calls are read.
    pub program: String,
    /// The arguments' static values.
    pub args: Vec<String>,
    /// The arguments as written (for `~/…` paths, which have no static value).
    pub raw: Vec<String>,
    /// Names of the variables assigned for this command (`NAME=value cmd`).
    pub assigned: Vec<String>,
}

impl Call {
    /// The command as a reader sees it, for change titles.
    pub fn display(&self) -> String {
        let mut out = self.name.clone();
        for arg in &self.raw {
            out.push(' ');
            out.push_str(arg);
        }
        out
    }
}

/// The dependency installers the pass knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tool {
    Pip,
    Poetry,
    Uv,
    Npm,
    Yarn,
    Pnpm,
    Go,
    Pipenv,
    Bundler,
    Composer,
    Cargo,
}

/// What one call of a dependency-install RUN does.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// Installs from manifests: the files it names on its command line
    /// (relative to the working directory; the tool's fixed manifests are
    /// added by the tool's module).
    Install {
        tool: Tool,
        named: Vec<String>,
        text: String,
        /// It may rewrite the tool's lockfile (`npm install`, `yarn` without
        /// `--frozen-lockfile`): the full COPY would then overwrite the
        /// rewritten file with the context's.
        rewrites_lock: bool,
        /// It writes the tool's project config (`bundle install --without`,
        /// a remembered option): a config file of the context the full COPY
        /// would then write back.
        writes_config: bool,
        /// It runs the plugins of installed packages (`composer install`
        /// without `--no-plugins`), which may read the project.
        runs_plugins: bool,
    },
    /// Sets the tool's configuration (`bundle config set …`), which may be
    /// written in the project (`.bundle/config`); `freezes_lock` when it
    /// makes the installs after it refuse to rewrite the lockfile.
    Configure { tool: Tool, freezes_lock: bool },
    /// Cleans the tool's own cache, or installs nothing from the working
    /// directory (`pip install --upgrade pip`).
    Aside(Tool),
}

/// The install a RUN is made of: its tool, and the install steps.
#[derive(Clone, Debug)]
pub(super) struct Install {
    pub tool: Tool,
    /// Files named on the command lines (relative to the working directory).
    pub named: Vec<String>,
    /// The install commands as written, for the change title.
    pub texts: Vec<String>,
    /// One of them may rewrite the lockfile.
    pub rewrites_lock: bool,
    /// A step may write the tool's config in the project.
    pub writes_config: bool,
    /// A step may run plugins of the installed packages.
    pub runs_plugins: bool,
    /// The install is `uv pip install`: uv also reads its settings from
    /// `uv.toml`, `pyproject.toml` and `.python-version` of the working
    /// directory and the directories above it.
    pub uv_pip: bool,
}

/// The calls of a command line, or why it is not read: substitutions,
/// background jobs, conditional or piped commands, dynamic words and
/// redirections other than to `/dev/null` or another descriptor refuse. So
/// do a word with an unquoted wildcard that is not absolute (`libpq*`,
/// `celery[redis]`: the shell matches it against the working directory,
/// which holds the source in the original order only) and a program run by
/// a relative path (`bin/bundle`: a file of the source).
pub(super) fn calls(script: &Script) -> Result<Vec<Call>, &'static str> {
    if !script.subs.is_empty() {
        return Err("a command substitution");
    }
    if script.has_background() {
        return Err("a background job");
    }
    for (i, tok) in script.toks.iter().enumerate() {
        match tok.kind {
            TokKind::Redirect => match script.redirection(i) {
                (_, Some(target)) if target == "/dev/null" => {}
                (op, Some(target))
                    if op.ends_with('&') && target.chars().all(|c| c.is_ascii_digit()) => {}
                _ => return Err("a redirection to a file"),
            },
            TokKind::Op => {
                let op = tok.text(&script.text);
                if !matches!(op, "&&" | ";" | "\n" | "\r\n") {
                    return Err("an operator other than `&&` or `;`");
                }
            }
            TokKind::Arith => return Err("an arithmetic command"),
            TokKind::Word | TokKind::Comment => {}
        }
    }
    let mut out = Vec::new();
    for cmd in &script.cmds {
        if cmd.scope != Some(0) {
            return Err("a command inside a compound command");
        }
        let mut assigned = Vec::new();
        for &a in &cmd.assigns {
            let word = script.word(a);
            if literal(word).is_none() {
                return Err("a dynamic assignment");
            }
            assigned.push(word.split('=').next().unwrap_or("").to_string());
        }
        let name = script.base_name(cmd).ok_or("a dynamic command name")?;
        let program = script
            .name(cmd)
            .and_then(literal)
            .ok_or("a dynamic command name")?;
        if program.contains('/') && !program.starts_with('/') {
            return Err("a program run by a path relative to the working directory");
        }
        let raw: Vec<String> = cmd
            .argv
            .iter()
            .skip(1)
            .map(|&t| script.word(t).to_string())
            .collect();
        if cmd
            .argv
            .iter()
            .map(|&t| script.word(t))
            .any(relative_wildcard)
        {
            return Err("an unquoted wildcard the shell matches against the working directory");
        }
        let mut args = Vec::new();
        for word in &raw {
            match literal(word) {
                Some(v) => args.push(v),
                // `~/.cache/pip` has no static value, but a cleanup may name it.
                None if word.starts_with("~/") && !word.contains(['$', '`']) => {
                    args.push(word.clone())
                }
                None => return Err("a dynamic word"),
            }
        }
        // `set -eux`: shell options, no command.
        if name == "set" && args.iter().all(|a| a.starts_with(['-', '+'])) {
            continue;
        }
        out.push(Call {
            name,
            program,
            args,
            raw,
            assigned,
        });
    }
    if out.is_empty() {
        return Err("no command");
    }
    Ok(out)
}

/// Whether a word has an unquoted `*`, `?` or `[` and does not start with
/// `/` (an absolute pattern matches the same files in both orders unless it
/// names the copied tree, which the path checks refuse).
fn relative_wildcard(word: &str) -> bool {
    !word.starts_with(['/', '~'])
        && path_pattern(word, None).is_some_and(|pattern| !pattern.wild.is_empty())
}

/// Reads the calls as a dependency install of one tool.
pub(super) fn dependency_install(calls: &[Call]) -> Result<Install, &'static str> {
    let mut tool = None;
    let mut asides = Vec::new();
    let mut named = Vec::new();
    let mut texts = Vec::new();
    let mut rewrites_lock = false;
    let mut writes_config = false;
    let mut runs_plugins = false;
    let mut frozen_by_config = false;
    for call in calls {
        let step = python::step(call)
            .or_else(|| python_projects::step(call))
            .or_else(|| pipenv::step(call))
            .or_else(|| node::step(call))
            .or_else(|| go::step(call))
            .or_else(|| ruby::step(call))
            .or_else(|| php::step(call))
            .or_else(|| cargo_crate::step(call))
            .ok_or("a command that is not part of a dependency install")??;
        match step {
            Step::Aside(aside) => asides.push(aside),
            Step::Configure {
                tool: step_tool,
                freezes_lock,
            } => {
                if tool.is_some_and(|t| t != step_tool) {
                    return Err("commands of two different tools");
                }
                tool = Some(step_tool);
                writes_config = true;
                frozen_by_config |= freezes_lock;
            }
            Step::Install {
                tool: step_tool,
                named: files,
                text,
                rewrites_lock: rewrites,
                writes_config: writes,
                runs_plugins: plugins,
            } => {
                if tool.is_some_and(|t| t != step_tool) {
                    return Err("installs of two different tools");
                }
                tool = Some(step_tool);
                named.extend(files);
                texts.push(text);
                rewrites_lock |= rewrites && !frozen_by_config;
                writes_config |= writes;
                runs_plugins |= plugins;
            }
        }
    }
    if texts.is_empty() {
        return Err("no install from manifests");
    }
    let tool = tool.ok_or("no install from manifests")?;
    if !asides.iter().all(|&aside| goes_with(aside, tool)) {
        return Err("commands of another tool");
    }
    let uv_pip = calls
        .iter()
        .any(|c| c.name == "uv" && c.args.first().is_some_and(|a| a == "pip"));
    Ok(Install {
        tool,
        named,
        texts,
        rewrites_lock,
        writes_config,
        runs_plugins,
        uv_pip,
    })
}

/// Whether a step of `aside` (a cleanup, a tool bootstrap) may share a RUN
/// with an install of `tool`: its own, `pip install poetry` before a
/// Python project manager (`pip install pipenv` too), `uv cache clean`
/// after `uv pip install`.
fn goes_with(aside: Tool, tool: Tool) -> bool {
    aside == tool
        || (aside == Tool::Pip && matches!(tool, Tool::Poetry | Tool::Uv | Tool::Pipenv))
        || (aside == Tool::Uv && tool == Tool::Pip)
}

/// Whether every call is a system package install (or its index refresh
/// and cleanup) that reads nothing from the working directory.
pub(super) fn system_install(calls: &[Call]) -> bool {
    calls.iter().all(system::reads_no_workdir) && calls.iter().any(system::installs)
}

/// `rm -rf <dirs>` where every directory is one of `caches` (as written,
/// `~/…` included).
pub(super) fn removes_only(call: &Call, caches: &[&str]) -> bool {
    if call.name != "rm" {
        return false;
    }
    let mut any = false;
    for arg in &call.args {
        if let Some(flags) = arg.strip_prefix('-') {
            if !flags.chars().all(|c| matches!(c, 'r' | 'f' | 'R')) {
                return false;
            }
            continue;
        }
        let path = arg.trim_end_matches('/');
        if !caches.contains(&path) {
            return false;
        }
        any = true;
    }
    any
}

/// Splits `--name=value` into the name and the value.
pub(super) fn flag_name(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once('=') {
        Some((name, value)) if arg.starts_with('-') => (name, Some(value)),
        _ => (arg, None),
    }
}
