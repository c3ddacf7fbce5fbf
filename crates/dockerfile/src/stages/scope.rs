//! ARG and ENV scoping: which variables an instruction's words see.
//!
//! BuildKit's rules (dockerfile2llb `buildMetaArgs`, `dispatchArg`,
//! `dispatchEnv`):
//! - Global ARGs (before the first FROM) are resolved in order: a build-arg
//!   wins, otherwise the default is expanded against the platform args and
//!   the global ARGs before it. They are visible only to FROM (image and
//!   `--platform`), and to a stage ARG that re-declares them without a value.
//! - A stage ARG takes the build-arg if given, else its default expanded
//!   against the stage environment, else the global value. It joins the
//!   environment of RUN, but not the image's `Env`.
//! - ENV keys and values are expanded against the environment as it was
//!   before the instruction, so `ENV a=1 b=$a` gives `b` the *old* `$a`.
//!
//! Each consumer keeps the environment in its own form (LLB state, the checks'
//! walk, the optimizer's known/unknown values) and expands words its own way;
//! these functions decide, once, which value wins and in which order.

use crate::instructions::commands::{ArgDecl, KeyValue};
use crate::instructions::{CommandKind, Ir};
use crate::shell::{Env, Lexer, ShellError};
use std::collections::BTreeMap;

/// An ordered set of variables; setting an existing name replaces it in place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vars {
    entries: Vec<(String, String)>,
}

impl Vars {
    /// From `KEY=value` strings (image config `Env`); an entry without `=` is a name with an empty value.
    pub fn from_env_list<'a>(list: impl IntoIterator<Item = &'a str>) -> Vars {
        let mut vars = Vars::default();
        for item in list {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            vars.set(key, value);
        }
        vars
    }

    pub fn set(&mut self, key: &str, value: &str) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_string(),
            None => self.entries.push((key.to_string(), value.to_string())),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `KEY=value` strings in order.
    pub fn to_env_list(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

impl Env for Vars {
    fn get(&self, name: &str) -> Option<&str> {
        Vars::get(self, name)
    }
}

/// Where an ARG instruction's value comes from (`buildMetaArgs`,
/// `dispatchArg`): a build-arg of its name wins, else its default (to be
/// expanded by the caller, against the global ARGs before it or the stage's
/// environment), else nothing, which a stage ARG fills from the global ARG of
/// its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgValue<'a> {
    /// A build-arg gives the value.
    BuildArg(&'a str),
    /// The declared default, not yet expanded.
    Default(&'a str),
    /// Neither: a global ARG is unset, a stage ARG takes the global value.
    Unset,
}

impl<'a> ArgValue<'a> {
    /// The value source of `decl` given the build's `build_args`.
    pub fn of(decl: &'a ArgDecl, build_args: &'a BTreeMap<String, String>) -> ArgValue<'a> {
        ArgValue::for_key(&decl.key, decl.value.as_deref(), build_args)
    }

    /// [`ArgValue::of`] for a key and default the caller has already expanded
    /// (the converter expands both, as BuildKit's `ArgCommand.Expand` does; the
    /// checks and the optimizer's facts use them as written).
    pub fn for_key(
        key: &str,
        default: Option<&'a str>,
        build_args: &'a BTreeMap<String, String>,
    ) -> ArgValue<'a> {
        match (build_args.get(key), default) {
            (Some(given), _) => ArgValue::BuildArg(given),
            (None, Some(default)) => ArgValue::Default(default),
            (None, None) => ArgValue::Unset,
        }
    }
}

/// A resolved global ARG.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaArg {
    pub key: String,
    /// `None`: declared without a value and no build-arg given.
    pub value: Option<String>,
}

/// The declarations of the global ARGs (before the first FROM), in order.
pub fn global_arg_decls(ir: &Ir) -> impl Iterator<Item = &ArgDecl> {
    ir.meta_args.iter().flat_map(|cmd| match &cmd.kind {
        CommandKind::Arg(decls) => decls.as_slice(),
        _ => &[],
    })
}

/// What later expansions see of a global ARG declared without a value and
/// given no build-arg.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsetGlobal {
    /// Nothing: an earlier value (a predefined platform arg) stays visible.
    Unset,
    /// The empty string, shadowing an earlier value (BuildKit's
    /// `optMetaArgs`, a list searched from the end, as the converter models it).
    Empty,
}

/// BuildKit's `buildMetaArgs`, the one walk over the global ARGs: each takes its
/// value by [`ArgValue::of`], `resolve` turning that into the value (expanding
/// a default against `vars`, the values so far, in the caller's way: failing,
/// or reading an error as empty, recording what it used), and the value joins
/// `vars` for the ARGs after it. `vars` starts with the predefined args.
pub fn resolve_meta_args_with<'a, E>(
    decls: impl IntoIterator<Item = &'a ArgDecl>,
    build_args: &BTreeMap<String, String>,
    vars: &mut Vars,
    unset: UnsetGlobal,
    mut resolve: impl FnMut(&'a ArgDecl, ArgValue<'_>, &Vars) -> Result<Option<String>, E>,
) -> Result<Vec<MetaArg>, E> {
    let mut resolved = Vec::new();
    for decl in decls {
        let value = resolve(decl, ArgValue::of(decl, build_args), vars)?;
        match (&value, unset) {
            (Some(value), _) => vars.set(&decl.key, value),
            (None, UnsetGlobal::Empty) => vars.set(&decl.key, ""),
            (None, UnsetGlobal::Unset) => {}
        }
        resolved.push(MetaArg {
            key: decl.key.clone(),
            value,
        });
    }
    Ok(resolved)
}

/// [`resolve_meta_args_with`] expanding defaults with `lexer` (an error fails
/// the whole resolution), unset ARGs staying unset. `initial` holds the
/// predefined platform args.
pub fn resolve_meta_args<'a>(
    decls: impl IntoIterator<Item = &'a ArgDecl>,
    build_args: &BTreeMap<String, String>,
    initial: Vars,
    lexer: &Lexer,
) -> Result<(Vars, Vec<MetaArg>), ShellError> {
    let mut vars = initial;
    let resolved = resolve_meta_args_with(
        decls,
        build_args,
        &mut vars,
        UnsetGlobal::Unset,
        |_, value, vars| {
            Ok(match value {
                ArgValue::BuildArg(given) => Some(given.to_owned()),
                ArgValue::Default(default) => Some(lexer.process_word(default, vars)?),
                ArgValue::Unset => None,
            })
        },
    )?;
    Ok((vars, resolved))
}

/// [`resolve_meta_args_with`] as BuildKit's converter sees the global ARGs: a
/// default that does not expand is "" (the error surfaces where the ARG is
/// used), an ARG without value is "" to the ARGs after it. `vars` holds the
/// predefined args and receives the globals.
pub fn resolve_meta_args_lenient<'a>(
    decls: impl IntoIterator<Item = &'a ArgDecl>,
    build_args: &BTreeMap<String, String>,
    vars: &mut Vars,
    lexer: &Lexer,
) -> Vec<MetaArg> {
    let resolved = resolve_meta_args_with(
        decls,
        build_args,
        vars,
        UnsetGlobal::Empty,
        |_, value, vars| {
            Ok::<_, std::convert::Infallible>(match value {
                ArgValue::BuildArg(given) => Some(given.to_owned()),
                ArgValue::Default(default) => {
                    Some(lexer.process_word(default, vars).unwrap_or_default())
                }
                ArgValue::Unset => None,
            })
        },
    );
    match resolved {
        Ok(resolved) => resolved,
        Err(never) => match never {},
    }
}

/// BuildKit's `dispatchEnv` (and LABEL's): every key and value expanded by
/// `expand` (into whatever the caller's values are) against the environment as
/// it was before the instruction, all of them before any is applied, so
/// `ENV a=1 b=$a` gives `b` the *old* `$a`.
pub fn expand_pairs<T, E>(
    pairs: &[KeyValue],
    mut expand: impl FnMut(&str) -> Result<T, E>,
) -> Result<Vec<(T, T)>, E> {
    pairs
        .iter()
        .map(|pair| Ok((expand(&pair.key)?, expand(&pair.value)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(key: &str, value: Option<&str>) -> ArgDecl {
        ArgDecl {
            key: key.into(),
            value: value.map(str::to_string),
            doc_comment: String::new(),
        }
    }

    #[test]
    fn meta_args_resolve_in_order_and_build_args_win() {
        let lexer = Lexer::new('\\');
        let build_args = BTreeMap::from([("B".to_string(), "given".to_string())]);
        let decls = [
            decl("A", Some("a-$TARGETOS")),
            decl("B", Some("x")),
            decl("C", Some("${A}-${B}")),
            decl("D", None),
        ];
        let initial = Vars::from_env_list(["TARGETOS=linux"]);
        let (vars, resolved) = resolve_meta_args(&decls, &build_args, initial, &lexer).unwrap();
        assert_eq!(vars.get("C"), Some("a-linux-given"));
        assert_eq!(
            resolved[3],
            MetaArg {
                key: "D".into(),
                value: None
            }
        );
    }

    #[test]
    fn env_sees_the_environment_before_the_instruction() {
        let lexer = Lexer::new('\\');
        let env = Vars::from_env_list(["a=old"]);
        let pair = |key: &str, value: &str| KeyValue {
            key: key.into(),
            value: value.into(),
            legacy: false,
        };
        let expanded = expand_pairs(&[pair("a", "new"), pair("b", "$a")], |word| {
            lexer.process_word(word, &env)
        })
        .unwrap();
        assert_eq!(
            expanded,
            [("a".into(), "new".into()), ("b".into(), "old".into())]
        );
    }

    #[test]
    fn stage_arg_precedence() {
        let build_args = BTreeMap::from([("H".to_string(), "cli".to_string())]);
        let (g, h, x) = (
            decl("G", None),
            decl("H", Some("default")),
            decl("X", Some("$G!")),
        );
        assert_eq!(ArgValue::of(&g, &build_args), ArgValue::Unset);
        assert_eq!(ArgValue::of(&h, &build_args), ArgValue::BuildArg("cli"));
        assert_eq!(ArgValue::of(&x, &build_args), ArgValue::Default("$G!"));
    }
}
