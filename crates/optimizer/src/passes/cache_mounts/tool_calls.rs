//! Finds the tool calls of a RUN and hands each family its own, in script
//! order, after the checks every tool shares: a call whose own `VAR=value`
//! prefixes choose the cache location (`PIP_CACHE_DIR=/x pip …`, `HOME=…`) or
//! turn the cache off, or that is not static, declines its tool; so does a
//! `<tool> config set` of the cache location, in the RUN or anywhere in the
//! file (later calls would not use the mount). A cache the stage's
//! environment turns off (`PIP_NO_CACHE_DIR`, `UV_NO_CACHE`) is mounted only
//! for calls redirected to the mount on their command line.

use dfopt_dockerfile::instructions::{CommandKind, Ir};

use super::mount_plans::ToolPlan;
use super::tool_family::{command_named, env_set, Call, Found, ToolSpec};
use super::FAMILIES;
use crate::cache_dirs::{dirs_of, Location, Rule};
use crate::facts::CmdFacts;
use crate::shell::{literal, Script, SimpleCmd};

/// The tools the RUN's calls use, in tool order, with what each needs.
pub(super) fn detect(ir: &Ir, script: &Script, facts: &CmdFacts) -> Vec<ToolPlan> {
    let mut found = Found::default();
    let mut calls: Vec<Vec<Call<'_>>> = FAMILIES.iter().map(|_| Vec::new()).collect();
    for (ci, c) in script.cmds.iter().enumerate() {
        let Some(name) = script.base_name(c) else {
            continue;
        };
        let Some((family, spec, command)) = command_named(&name) else {
            continue;
        };
        let assigns: Vec<String> = c
            .assigns
            .iter()
            .filter_map(|&t| literal(script.word(t)))
            .collect();
        if command.checked
            && !passes_shared_checks(ir, script, c, &assigns, facts, spec, &mut found)
        {
            continue;
        }
        calls[family].push(Call {
            ir,
            script,
            facts,
            cmd: c,
            index: ci,
            name,
            tool: spec.tool,
            assigns,
        });
    }
    for (family, calls) in FAMILIES.iter().zip(&calls) {
        if !calls.is_empty() {
            (family.detect)(calls, &mut found);
        }
    }
    found.into_plans()
}

/// The checks every tool shares; false when the call declines its tool.
fn passes_shared_checks(
    ir: &Ir,
    script: &Script,
    c: &SimpleCmd,
    assigns: &[String],
    facts: &CmdFacts,
    spec: &ToolSpec,
    found: &mut Found,
) -> bool {
    let tool = spec.tool;
    // The call chooses its own cache location or turns the cache off.
    if c.assigns.len() != assigns.len()
        || assigns.iter().any(|a| {
            let key = a.split('=').next().unwrap_or(a);
            location_vars(spec).contains(&key) || spec.off_var == Some(key)
        })
    {
        found.decline(tool);
        return false;
    }
    if disabled_by_env(spec, facts) {
        found.disable(tool);
    }
    if configures_cache(spec, script, c) || configured_elsewhere(ir, spec) {
        found.decline(tool);
        return false;
    }
    true
}

/// Environment variables that choose a tool's cache directories.
fn location_vars(spec: &ToolSpec) -> Vec<&'static str> {
    let mut out = vec!["HOME"];
    for (_, d) in dirs_of(spec.tool) {
        if let Location::Rules(rules) = d.location {
            for r in rules {
                if let Rule::Env(v, _) = r {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// The stage's environment turns the tool's cache off (any value but an
/// explicit false; a value not known counts as off).
fn disabled_by_env(spec: &ToolSpec, facts: &CmdFacts) -> bool {
    spec.off_var
        .is_some_and(|var| env_set(facts, var, &["", "0", "false", "no", "off"]))
}

/// The call sets the tool's cache location in its config
/// (`npm config set cache …`, `pip config set global.cache-dir …`,
/// `yarn config set cache-folder …`): later calls would not use the mount.
fn configures_cache(spec: &ToolSpec, script: &Script, c: &SimpleCmd) -> bool {
    let args = script.args(c);
    let words: Vec<&str> = args.iter().map(|a| a.as_deref().unwrap_or("$")).collect();
    if words.first() != Some(&"config") || !words.contains(&"set") {
        return false;
    }
    spec.config_keys
        .iter()
        .any(|k| words.iter().any(|w| *w == "$" || w.contains(k)))
}

/// A RUN anywhere in the file sets the tool's cache location in its config.
fn configured_elsewhere(ir: &Ir, spec: &ToolSpec) -> bool {
    ir.stages.iter().any(|st| {
        st.commands.iter().any(|c| {
            matches!(c.kind, CommandKind::Run(_))
                && spec.config_marks.iter().any(|n| c.original.contains(n))
        })
    })
}
