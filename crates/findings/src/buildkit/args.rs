//! Global ARGs: BuildKit's predefined platform args, `buildMetaArgs`, and the check
//! of base image names against the ARG defaults (InvalidDefaultArgInFrom).

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::builtin_args::{target_stage, ArgPlatform, PredefinedArgs};
use dfopt_dockerfile::stages::scope::{resolve_meta_args_with, ArgValue, UnsetGlobal, Vars};
use dfopt_dockerfile::Span;
use dfopt_llb::Platform;

use super::stages::Platforms;
use super::walk::{invalid, MetaArgCmd, StageDef};
use super::{rules, LintError, Options};
use crate::config::CheckConfig;
use crate::report::Report;

/// What the outline knows about an ARG.
#[derive(Clone, Debug)]
pub(super) struct ArgInfo {
    pub name: String,
    pub description: String,
    pub value: String,
    pub spans: Vec<Span>,
    /// Global ARGs whose value this one's default used.
    pub deps: BTreeSet<String>,
    /// Position inside its ARG instruction (to order ARGs declared on one line).
    pub position: usize,
}

/// BuildKit's `defaultArgs`: platform args and `TARGETSTAGE`, each overridable by a
/// build-arg.
/// `target_name`: the `--target`, or when absent or empty the last stage's name
/// (`default` when that is empty too).
pub(super) fn default_args(options: &Options, platforms: &Platforms, target_name: &str) -> Vars {
    let arg_platform =
        |p: &Platform| ArgPlatform::new(p.to_string(), &p.os, &p.architecture, &p.variant);
    PredefinedArgs {
        build: Some(arg_platform(&platforms.build)),
        target: Some(arg_platform(&platforms.target)),
        target_stage: Some(target_stage(Some(target_name), None)),
        os_version: true,
    }
    .vars(Some(options.build_args))
}

/// InvalidDefaultArgInFrom: base names expanded with the ARG defaults only.
pub(super) fn check_default_base_images(
    stages: &[StageDef],
    metas: &[MetaArgCmd],
    initial: &Vars,
    lexer: &Lexer,
    options: &Options,
    config: &CheckConfig,
    report: &mut Report,
) {
    let Ok((defaults, _)) = meta_args(metas, initial, &BTreeMap::new(), lexer) else {
        return;
    };
    for def in stages {
        let Ok(name) = lexer.process_word(&def.stage.base, &defaults) else {
            return;
        };
        if (options.is_valid_image_ref)(&name).is_err() {
            report.add(
                config,
                &rules::INVALID_DEFAULT_ARG_IN_FROM,
                vec![def.span],
                rules::invalid_default_arg_detail(&def.stage.base),
            );
        }
    }
}

/// BuildKit's `buildMetaArgs`: the global ARGs' values and outline facts.
pub(super) fn meta_args(
    metas: &[MetaArgCmd],
    initial: &Vars,
    build_args: &BTreeMap<String, String>,
    lexer: &Lexer,
) -> Result<(Vars, BTreeMap<String, ArgInfo>), LintError> {
    let mut vars = initial.clone();
    let mut all: BTreeMap<String, ArgInfo> = BTreeMap::new();
    for meta in metas {
        let mut position = 0;
        resolve_meta_args_with(
            &meta.decls,
            build_args,
            &mut vars,
            UnsetGlobal::Unset,
            |decl, value, vars| {
                let mut info = ArgInfo {
                    name: decl.key.clone(),
                    description: decl.doc_comment.clone(),
                    value: String::new(),
                    spans: vec![meta.span],
                    deps: BTreeSet::new(),
                    position,
                };
                position += 1;
                let value = match value {
                    ArgValue::BuildArg(given) => Some(given.to_owned()),
                    ArgValue::Default(default) => {
                        let expanded = lexer
                            .process_word_with_matches(default, vars)
                            .map_err(|e| invalid(e.message, vec![meta.span]))?;
                        info.deps = expanded.matched;
                        if info.deps.remove(&decl.key) {
                            if let Some(old) = all.get(&decl.key) {
                                info.deps.extend(old.deps.iter().cloned());
                            }
                        }
                        Some(expanded.result)
                    }
                    ArgValue::Unset => None,
                };
                if let Some(value) = &value {
                    info.value.clone_from(value);
                }
                all.insert(decl.key.clone(), info);
                Ok(value)
            },
        )?;
    }
    Ok((vars, all))
}
