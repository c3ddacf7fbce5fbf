//! The one shape of a tool family: the commands that call its tools, a few
//! facts per tool the shared machinery needs, and one [`Detector`] that reads
//! the family's calls of a RUN into [`ToolPlan`]s.
//!
//! Everything after detection (where the directories are, which RUNs may
//! get them, state directories, prefetches, edits, mounts, change records) is
//! shared and knows no tool by name; a family says what its calls mean and
//! nothing else.

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::instructions::Ir;

use super::mount_plans::{tool_plan, Drop, Gated, RunPlan, ToolPlan};
use super::FAMILIES;
use crate::cache_dirs::{dirs_of, Tool};
use crate::facts::CmdFacts;
use crate::shell::{literal, Edit, Script, SimpleCmd};

/// A family of package managers or build tools (apt; pip, uv and poetry; …).
pub(super) struct Family {
    pub tools: &'static [ToolSpec],
    /// Words that suggest one of its tools in a command the pass cannot read
    /// (the pass then says why it added nothing).
    pub hints: &'static [&'static str],
    /// System package managers: with `--network=none` they can only install
    /// what the image's cache directory already holds, which a mount would hide.
    pub system: bool,
    pub detect: Detector,
    /// Conditions that need the RUN's deletions, checked once the targets are
    /// known (apt's lists, apk's cleanup).
    pub settle: Option<fn(&mut RunPlan)>,
}

impl Family {
    /// A family of tools that are no system package managers and whose
    /// rules need no deletions.
    pub const fn of(
        tools: &'static [ToolSpec],
        hints: &'static [&'static str],
        detect: Detector,
    ) -> Family {
        Family {
            tools,
            hints,
            system: false,
            detect,
            settle: None,
        }
    }
}

/// The one detector signature. It gets the calls of one RUN that name the
/// family's commands, in script order and past the checks every tool shares
/// (see `tool_calls`), and writes what they need into `found`: plans with the
/// directories wanted, gated edits, cleanups to drop, or a decline.
pub(super) type Detector = fn(calls: &[Call<'_>], found: &mut Found);

/// A tool of a family.
pub(super) struct ToolSpec {
    pub tool: Tool,
    /// The commands that call it.
    pub commands: &'static [Command],
    /// The environment variable that turns its cache off (`PIP_NO_CACHE_DIR`).
    pub off_var: Option<&'static str>,
    /// Keys of `<tool> config set …` that move its cache elsewhere.
    pub config_keys: &'static [&'static str],
    /// Text that, in any RUN of the file, shows its cache moved by config.
    pub config_marks: &'static [&'static str],
    /// Its own cleanup (`pip cache purge`) surely empties the mount, even when
    /// the image config was assumed: a fixed path, or calls redirected to the
    /// mount on their command line.
    pub cleanup_sure: bool,
    /// Its pure cache becomes state when a RUN prefetches into it (npm).
    pub prefetch_makes_state: bool,
}

impl ToolSpec {
    /// A tool with nothing special: no variable turns its cache off, no config
    /// key moves it, its cleanups are dropped only with a known image config.
    pub const fn plain(tool: Tool, commands: &'static [Command]) -> ToolSpec {
        ToolSpec {
            tool,
            commands,
            off_var: None,
            config_keys: &[],
            config_marks: &[],
            cleanup_sure: false,
            prefetch_makes_state: false,
        }
    }
}

/// A command name that calls a tool.
pub(super) struct Command {
    /// The name, or with `versioned` its stem (`pip` for `pip3`, `pip3.12`).
    pub name: &'static str,
    pub versioned: bool,
    /// The checks every tool shares apply: the call must not choose its cache
    /// location or turn the cache off itself, nor the file configure it away.
    pub checked: bool,
}

impl Command {
    /// A name, with the shared checks.
    pub const fn checked(name: &'static str) -> Command {
        Command {
            name,
            versioned: false,
            checked: true,
        }
    }

    /// A name, read by its family alone.
    pub const fn unchecked(name: &'static str) -> Command {
        Command {
            name,
            versioned: false,
            checked: false,
        }
    }

    /// A stem followed by version digits and dots.
    pub const fn versioned(name: &'static str, checked: bool) -> Command {
        Command {
            name,
            versioned: true,
            checked,
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        if self.versioned {
            versioned(name, self.name)
        } else {
            name == self.name
        }
    }
}

/// `pip`, `pip3`, `pip3.12` (the name followed by digits and dots only).
pub(super) fn versioned(name: &str, base: &str) -> bool {
    name.strip_prefix(base)
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// The family, tool and command a command name calls.
pub(super) fn command_named(name: &str) -> Option<(usize, &'static ToolSpec, &'static Command)> {
    FAMILIES.iter().enumerate().find_map(|(f, family)| {
        family.tools.iter().find_map(|spec| {
            spec.commands
                .iter()
                .find(|c| c.matches(name))
                .map(|c| (f, spec, c))
        })
    })
}

/// The entry of a tool.
pub(super) fn spec_of(tool: Tool) -> (&'static Family, &'static ToolSpec) {
    FAMILIES
        .iter()
        .find_map(|f| f.tools.iter().find(|t| t.tool == tool).map(|t| (f, t)))
        .expect("every tool is in a family")
}

/// One call of a family's tool in a RUN.
pub(super) struct Call<'a> {
    pub ir: &'a Ir,
    pub script: &'a Script,
    pub facts: &'a CmdFacts,
    pub cmd: &'a SimpleCmd,
    /// Index of the command in the script.
    pub index: usize,
    /// The command's name, without its directory (`pip3`).
    pub name: String,
    pub tool: Tool,
    /// The call's `VAR=value` prefixes (all static: the shared checks decline others).
    pub assigns: Vec<String>,
}

impl Call<'_> {
    /// Static values of the arguments (`None` where dynamic).
    pub fn args(&self) -> Vec<Option<String>> {
        self.script.args(self.cmd)
    }

    /// The arguments, a dynamic one as `$` (it may be any option).
    pub fn words(&self) -> Vec<String> {
        self.args()
            .into_iter()
            .map(|a| a.unwrap_or_else(|| "$".into()))
            .collect()
    }

    /// The arguments with their tokens.
    pub fn tokens(&self) -> Vec<(usize, Option<String>)> {
        self.cmd.argv[1..]
            .iter()
            .map(|&t| (t, literal(self.script.word(t))))
            .collect()
    }

    /// The subcommand (the first argument that is no option nor the value of
    /// one of `takes_value`; `None` when a dynamic word comes first) and the
    /// arguments with their tokens.
    pub fn sub_and_args(
        &self,
        takes_value: &[&str],
    ) -> (Option<String>, Vec<(usize, Option<String>)>) {
        let args = self.tokens();
        let mut skip = false;
        for (_, a) in &args {
            if skip {
                skip = false;
                continue;
            }
            match a {
                None => return (None, args),
                Some(a) if takes_value.contains(&a.as_str()) => skip = true,
                Some(a) if a.starts_with('-') => {}
                Some(a) => return (Some(a.clone()), args),
            }
        }
        (None, args)
    }

    /// An edit that inserts `text` right after word `tok`, applied only
    /// when the `requires` directories are mounted.
    pub fn insert_after(&self, tok: usize, text: &str, requires: Vec<usize>) -> Gated {
        Gated {
            edit: Edit::insert(self.script.toks[tok].end, text),
            requires,
        }
    }

    /// The same, right after the command name.
    pub fn insert_after_name(&self, text: &str, requires: Vec<usize>) -> Gated {
        self.insert_after(self.cmd.argv[0], text, requires)
    }

    /// An edit that replaces word `tok` with `text`, applied only when the
    /// `requires` directories are mounted.
    pub fn replace(&self, tok: usize, text: &str, requires: Vec<usize>) -> Gated {
        let t = self.script.toks[tok];
        Gated {
            edit: Edit::replace(t.start, t.end, text),
            requires,
        }
    }
}

/// Whether `var` is set to something other than one of `falses` (lowercase);
/// a value not known before the build counts as set.
pub(super) fn env_set(facts: &CmdFacts, var: &str, falses: &[&str]) -> bool {
    match facts.env.value(var) {
        Ok(None) => false,
        Ok(Some(v)) => !falses.contains(&v.to_ascii_lowercase().as_str()),
        Err(()) => true,
    }
}

/// What one call means for its tool's cache, for tools whose calls only use
/// it, prefetch into it, work offline, or clean it.
pub(super) enum Use {
    /// The call does not touch the cache.
    None,
    /// The call uses the cache.
    Uses { prefetch: bool, offline: bool },
    /// The tool's cache must not be mounted in this RUN.
    Decline,
    /// A cleanup that empties exactly the tool's cache directories.
    Clean,
}

/// What the calls of one RUN found, per tool.
#[derive(Default)]
pub(super) struct Found {
    plans: BTreeMap<Tool, ToolPlan>,
    declined: BTreeSet<Tool>,
    /// Tools whose cache the environment turns off (`UV_NO_CACHE`, `PIP_NO_CACHE_DIR`).
    disabled: BTreeSet<Tool>,
    /// Calls that use the cache despite that (a `--no-cache-dir` made `--cache-dir=`).
    cache_users: BTreeSet<Tool>,
    /// Per tool: install-like calls, and those that turn the cache off themselves
    /// (`poetry install --no-cache`).
    cache_off_calls: BTreeMap<Tool, (usize, usize)>,
}

impl Found {
    /// The tool's plan, wanting all its directories when new.
    pub fn plan(&mut self, tool: Tool) -> &mut ToolPlan {
        self.plans.entry(tool).or_insert_with(|| tool_plan(tool))
    }

    /// The tool's plan, wanting no directory when new (its calls add them).
    pub fn bare_plan(&mut self, tool: Tool) -> &mut ToolPlan {
        self.plans.entry(tool).or_insert_with(|| ToolPlan {
            wants: Vec::new(),
            ..tool_plan(tool)
        })
    }

    /// The tool's plan, if a call made one.
    pub fn planned(&mut self, tool: Tool) -> Option<&mut ToolPlan> {
        self.plans.get_mut(&tool)
    }

    /// No mount for the tool in this RUN.
    pub fn decline(&mut self, tool: Tool) {
        self.declined.insert(tool);
    }

    pub fn disable(&mut self, tool: Tool) {
        self.disabled.insert(tool);
    }

    /// The environment turns the tool's cache off.
    pub fn is_disabled(&self, tool: Tool) -> bool {
        self.disabled.contains(&tool)
    }

    /// A call uses the cache even though the environment turns it off.
    pub fn uses_cache_anyway(&mut self, tool: Tool) {
        self.cache_users.insert(tool);
    }

    /// An install-like call, which may turn the cache off itself.
    pub fn count_install(&mut self, tool: Tool, cache_off: bool) {
        let entry = self.cache_off_calls.entry(tool).or_default();
        entry.0 += 1;
        if cache_off {
            entry.1 += 1;
        }
    }

    /// Notes what each call means, as `read` says.
    pub fn take_each(&mut self, calls: &[Call<'_>], read: fn(&Call<'_>) -> Use) {
        for call in calls {
            self.take(call.tool, call.index, read(call));
        }
    }

    /// Notes what call `index` of `tool` means.
    pub fn take(&mut self, tool: Tool, index: usize, what: Use) {
        match what {
            Use::None => {}
            Use::Decline => self.decline(tool),
            Use::Uses { prefetch, offline } => {
                let p = self.plan(tool);
                p.prefetch |= prefetch;
                p.offline |= offline;
            }
            Use::Clean => {
                let requires = dirs_of(tool).map(|(d, _)| d).collect();
                self.plan(tool).drops.push(Drop {
                    cmd: index,
                    requires,
                });
            }
        }
    }

    /// The plans left: a tool is declined when any call declined it, when the
    /// environment turns its cache off and no call is redirected to the mount,
    /// or when every install-like call turns the cache off itself.
    pub fn into_plans(mut self) -> Vec<ToolPlan> {
        for t in &self.disabled {
            if !self.cache_users.contains(t) {
                self.declined.insert(*t);
            }
        }
        for (t, (calls, off)) in &self.cache_off_calls {
            if *calls > 0 && calls == off {
                self.declined.insert(*t);
            }
        }
        for t in &self.declined {
            self.plans.remove(t);
        }
        self.plans.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache_dirs::CACHE_DIRS;

    #[test]
    fn every_tool_is_in_one_family() {
        let specs: Vec<&ToolSpec> = FAMILIES.iter().flat_map(|f| f.tools).collect();
        for dir in &CACHE_DIRS {
            let n = specs.iter().filter(|t| t.tool == dir.tool).count();
            assert_eq!(n, 1, "{} is in {n} families", dir.tool.as_str());
        }
    }

    #[test]
    fn no_command_name_is_claimed_twice() {
        let names: Vec<&str> = FAMILIES
            .iter()
            .flat_map(|f| f.tools)
            .flat_map(|t| t.commands)
            .map(|c| c.name)
            .collect();
        for name in &names {
            let claims = FAMILIES
                .iter()
                .flat_map(|f| f.tools)
                .flat_map(|t| t.commands)
                .filter(|c| c.matches(name))
                .count();
            assert_eq!(claims, 1, "`{name}` is claimed {claims} times");
        }
    }

    #[test]
    fn command_names_find_their_tool() {
        let tool = |name: &str| command_named(name).map(|(_, t, c)| (t.tool, c.checked));
        assert_eq!(tool("pip3.12"), Some((Tool::Pip, true)));
        assert_eq!(tool("python3"), Some((Tool::Pip, false)));
        assert_eq!(tool("apt-get"), Some((Tool::Apt, false)));
        assert_eq!(tool("xx-cargo"), Some((Tool::Cargo, true)));
        assert_eq!(tool("pipx"), None);
        assert_eq!(tool("yum"), None);
    }
}
