//! Dispatch of one stage's instructions, as BuildKit's `dispatch` sees them for the
//! checks: every word is expanded with the stage's environment (UndefinedVar for
//! names nobody set), then each instruction's own checks run. The checks of single
//! instructions are in [`super::instruction`].

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::dockerignore::clean;
use dfopt_dockerfile::instructions::commands::{CommandKind, KeyValue};
use dfopt_dockerfile::instructions::suggest;
use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::builtin_args::{default_path, NonEnvArgs};
use dfopt_dockerfile::stages::scope::{expand_pairs, Vars};
use dfopt_dockerfile::Span;

use super::graph;
use super::ignore::IgnoreMatcher;
use super::stages::StageRt;
use super::walk::Cmd;
use super::{expose, rules};
use crate::config::CheckConfig;
use crate::report::Report;

/// Which single-use instruction a tracker slot is for.
pub(super) const CMD: usize = 0;
pub(super) const ENTRYPOINT: usize = 1;
pub(super) const HEALTHCHECK: usize = 2;

pub(super) struct Walker<'a> {
    pub lexer: Lexer,
    pub globals: Vars,
    pub build_arg_values: &'a BTreeMap<String, String>,
    pub ignore: Option<IgnoreMatcher>,
    pub report: &'a mut Report,
}

impl Walker<'_> {
    /// The environment a stage starts with: its base stage's, or its image's.
    pub fn init_stage(&mut self, states: &mut [StageRt], i: usize) {
        if let Some(b) = states[i].base_stage.filter(|&b| b < i) {
            let (env, known, args, shell, workdir_set, workdir) = {
                let base = &states[b];
                (
                    base.env.clone(),
                    base.env_known,
                    base.build_args.clone(),
                    base.shell.clone(),
                    base.workdir_set,
                    base.workdir.clone(),
                )
            };
            let rt = &mut states[i];
            rt.env = env;
            rt.env_known = known;
            rt.build_args = args;
            rt.shell = shell;
            rt.workdir_set = workdir_set;
            rt.workdir = workdir;
            return;
        }
        let rt = &mut states[i];
        rt.env_known = rt.image.is_some();
        let image = rt.image.clone().unwrap_or_default();
        rt.env = Vars::from_env_list(image.env.iter().map(String::as_str));
        if rt.env.get("PATH").is_none() {
            // BuildKit's lint takes the OS of the platform; the walk models a
            // Linux build (a Windows image sets its own PATH).
            rt.env.set("PATH", default_path("linux"));
        }
        rt.shell = image.shell;
        if !image.working_dir.is_empty() {
            rt.workdir = workdir("", &image.working_dir).unwrap_or_default();
        }
    }

    /// Expands `word` with the stage environment, reporting UndefinedVar. `raw`
    /// is BuildKit's `ExpandRaw` (heredoc bodies of COPY/ADD).
    pub fn expand(
        &mut self,
        rt: &StageRt,
        word: &str,
        raw: bool,
        config: &CheckConfig,
        span: Span,
    ) -> Result<String, String> {
        let expansion = if raw {
            let mut lexer = Lexer::new('\\');
            lexer.skip_process_quotes = true;
            lexer.process_word_with_matches(word, &rt.env)
        } else {
            self.lexer.process_word_with_matches(word, &rt.env)
        }
        .map_err(|e| e.message)?;
        self.unmatched(rt, &expansion.unmatched, config, span);
        Ok(expansion.result)
    }

    /// BuildKit's `reportUnmatchedVariables`.
    pub fn unmatched(
        &mut self,
        rt: &StageRt,
        names: &BTreeSet<String>,
        config: &CheckConfig,
        span: Span,
    ) {
        if !rt.env_known || names.is_empty() {
            return;
        }
        let mut keys: Vec<&str> = rt.env.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        for name in names {
            if rt.build_args.contains(name) || NonEnvArgs::BuildKit.contains(name) {
                continue;
            }
            let suggestion = suggest::search(name, &keys, true);
            self.report.add(
                config,
                &rules::UNDEFINED_VAR,
                vec![span],
                rules::undefined_var_detail(name, suggestion.as_deref()),
            );
        }
    }

    fn expand_pairs(
        &mut self,
        rt: &StageRt,
        pairs: &[KeyValue],
        config: &CheckConfig,
        span: Span,
    ) -> Result<Vec<(String, String, bool)>, String> {
        let expanded = expand_pairs(pairs, |word| self.expand(rt, word, false, config, span))?;
        Ok(expanded
            .into_iter()
            .zip(pairs)
            .map(|((key, value), pair)| (key, value, pair.legacy))
            .collect())
    }

    /// One instruction of state `i`.
    pub fn dispatch(
        &mut self,
        states: &mut [StageRt],
        i: usize,
        cmd: &Cmd,
        config: &CheckConfig,
    ) -> Result<(), String> {
        let span = cmd.span;
        let keyword = cmd.keyword.as_str();
        let rt = &mut states[i];
        match &cmd.command.kind {
            CommandKind::Env(pairs) => {
                for (key, value, legacy) in self.expand_pairs(rt, pairs, config, span)? {
                    if legacy {
                        self.legacy_key_value(keyword, config, span);
                    }
                    self.secret_key("ENV", &key, config, span);
                    rt.env.set(&key, &value);
                }
            }
            CommandKind::Label(pairs) => {
                for (_, _, legacy) in self.expand_pairs(rt, pairs, config, span)? {
                    if legacy {
                        self.legacy_key_value(keyword, config, span);
                    }
                }
            }
            CommandKind::Add(add) => {
                let mut flags = Vec::new();
                for flag in [&add.chown, &add.chmod, &add.checksum] {
                    let value = flag.as_ref().map_or("", |f| f.value.as_str());
                    flags.push(self.expand(rt, value, false, config, span)?);
                }
                let sources = self.expand_paths(rt, &add.paths, config, span)?;
                self.copy_sources("Add", &sources, &flags[2], true, config, span)?;
            }
            CommandKind::Copy(copy) => {
                for flag in [&copy.chown, &copy.chmod] {
                    let value = flag.as_ref().map_or("", |f| f.value.as_str());
                    self.expand(rt, value, false, config, span)?;
                }
                let sources = self.expand_paths(rt, &copy.paths, config, span)?;
                graph::check_copy_source(states, i, cmd)?;
                let local = copy.from.is_none();
                self.copy_sources("Copy", &sources, "", local, config, span)?;
            }
            CommandKind::Workdir(path) => {
                let path = self.expand(rt, path, false, config, span)?;
                rt.workdir = workdir(&rt.workdir, &path)?;
                if !rt.workdir_set && !path.starts_with('/') {
                    self.report.add(
                        config,
                        &rules::WORKDIR_RELATIVE_PATH,
                        vec![span],
                        rules::workdir_relative_detail(&path),
                    );
                }
                rt.workdir_set = true;
            }
            CommandKind::User(word) | CommandKind::StopSignal(word) => {
                self.expand(rt, word, false, config, span)?;
            }
            CommandKind::Volume(volumes) => {
                for volume in volumes {
                    self.expand(rt, volume, false, config, span)?;
                }
            }
            CommandKind::Run(run) => self.run_mounts(states, i, run, config, span)?,
            CommandKind::Cmd(line) | CommandKind::Entrypoint(line) => {
                let which = match cmd.command.kind {
                    CommandKind::Cmd(_) => CMD,
                    _ => ENTRYPOINT,
                };
                self.used_once(rt, which, keyword, config, span);
                if line.prepend_shell && rt.shell.is_empty() {
                    self.report.add(
                        config,
                        &rules::JSON_ARGS_RECOMMENDED,
                        vec![span],
                        rules::json_args_detail(keyword),
                    );
                }
            }
            CommandKind::Healthcheck(_) => self.used_once(rt, HEALTHCHECK, keyword, config, span),
            CommandKind::Shell(shell) => rt.shell = shell.clone(),
            CommandKind::Arg(decls) => self.arg(rt, decls, config, span)?,
            CommandKind::Expose(ports) => {
                let mut expanded = Vec::new();
                for port in ports {
                    let words = self
                        .lexer
                        .process_words(port, &rt.env)
                        .map_err(|e| e.message)?;
                    expanded.extend(words);
                }
                expose::check(&expanded, |rule, message| {
                    self.report.add(config, rule, vec![span], message);
                })?;
            }
            CommandKind::Maintainer(_) | CommandKind::Onbuild(_) => {}
        }
        Ok(())
    }

    fn legacy_key_value(&mut self, keyword: &str, config: &CheckConfig, span: Span) {
        self.report.add(
            config,
            &rules::LEGACY_KEY_VALUE_FORMAT,
            vec![span],
            rules::legacy_key_value_detail(keyword),
        );
    }
}

/// BuildKit's `system.NormalizeWorkdir` for Linux: a relative WORKDIR is joined to
/// the current one.
fn workdir(current: &str, path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("cannot normalize nothing".to_owned());
    }
    if path.starts_with('/') {
        return Ok(path.to_owned());
    }
    Ok(clean(&format!("/{current}/{path}")))
}
