//! The checks of single instructions during dispatch: MultipleInstructionsDisallowed,
//! CopyIgnoredFile, SecretsUsedInArgOrEnv, and what `RUN --mount` and `ARG` tell the
//! outline.

use std::cell::RefCell;
use std::collections::BTreeSet;

use dfopt_dockerfile::dockerignore::clean;
use dfopt_dockerfile::instructions::commands::{ArgDecl, Run, SourcesAndDest};
use dfopt_dockerfile::instructions::mount::{parse_mount, MountType};
use dfopt_dockerfile::stages::builtin_args::NonEnvArgs;
use dfopt_dockerfile::stages::scope::ArgValue;
use dfopt_dockerfile::{go_quote, Span};

use super::args::ArgInfo;
use super::dispatch::Walker;
use super::outline::OutlineMount;
use super::rules;
use super::stages::{stage_names, StageRt};
use crate::config::CheckConfig;

impl Walker<'_> {
    /// MultipleInstructionsDisallowed: the earlier CMD/ENTRYPOINT/HEALTHCHECK is the
    /// one reported, since it is the one ignored.
    pub(super) fn used_once(
        &mut self,
        rt: &mut StageRt,
        which: usize,
        keyword: &str,
        config: &CheckConfig,
        span: Span,
    ) {
        let slot = &mut rt.trackers[which];
        if let Some(previous) = *slot {
            self.report.add(
                config,
                &rules::MULTIPLE_INSTRUCTIONS_DISALLOWED,
                vec![previous],
                rules::multiple_instructions_detail(keyword),
            );
        }
        *slot = Some(span);
    }

    /// COPY/ADD sources, destination and expanding heredocs; returns the sources.
    pub(super) fn expand_paths(
        &mut self,
        rt: &StageRt,
        paths: &SourcesAndDest,
        config: &CheckConfig,
        span: Span,
    ) -> Result<Vec<String>, String> {
        let mut sources = Vec::new();
        for source in &paths.sources {
            sources.push(self.expand(rt, source, false, config, span)?);
        }
        self.expand(rt, &paths.dest, false, config, span)?;
        for content in paths.contents.iter().filter(|c| c.expand) {
            self.expand(rt, &content.data, true, config, span)?;
        }
        Ok(sources)
    }

    /// COPY/ADD sources (expanded) as BuildKit's `dispatchCopy` takes them: a
    /// checksum needs exactly one HTTP(S) or Git source, COPY takes neither URLs nor
    /// Git refs, and each local source gets CopyIgnoredFile (BuildKit's
    /// `validateCopySourcePath`) unless `check_ignored` is off (`COPY --from`).
    pub(super) fn copy_sources(
        &mut self,
        command: &str,
        sources: &[String],
        checksum: &str,
        check_ignored: bool,
        config: &CheckConfig,
        span: Span,
    ) -> Result<(), String> {
        let is_add = command == "Add";
        if !checksum.is_empty() {
            if sources.len() != 1 {
                return Err("checksum can't be specified for multiple sources".to_owned());
            }
            if !is_http(&sources[0]) && !is_git(&sources[0]) {
                return Err("checksum requires HTTP(S) or Git sources".to_owned());
            }
        }
        for source in sources {
            if is_git(source) {
                if !is_add {
                    return Err("source can't be a git ref for COPY".to_owned());
                }
            } else if is_http(source) {
                if !is_add {
                    return Err("source can't be a URL for COPY".to_owned());
                }
            } else if check_ignored {
                self.ignored_source(command, source, config, span);
            }
        }
        Ok(())
    }

    /// CopyIgnoredFile for one local source. Nothing is checked when the
    /// `.dockerignore` has exclusions (`!pattern`): what they let through cannot be
    /// told without the files.
    fn ignored_source(&mut self, command: &str, source: &str, config: &CheckConfig, span: Span) {
        let Some(ignore) = &self.ignore else { return };
        if ignore.has_exclusions() {
            return;
        }
        let cleaned = clean(source);
        if (cleaned == "." || cleaned == "/") && !ignore.ignores_root() {
            return;
        }
        if ignore.matches_or_parent_matches(&cleaned) {
            self.report.add(
                config,
                &rules::COPY_IGNORED_FILE,
                vec![span],
                rules::copy_ignored_detail(command, &cleaned),
            );
        }
    }

    /// RUN mounts, as BuildKit's `setMountState` expands them (every mount first)
    /// and `dispatchRunMounts` then takes them one by one: a mount may not read a
    /// stage that is not built yet, nor cover `/`; secrets and SSH sockets are
    /// recorded for the outline (first use of an id wins).
    pub(super) fn run_mounts(
        &mut self,
        states: &mut [StageRt],
        i: usize,
        run: &Run,
        config: &CheckConfig,
        span: Span,
    ) -> Result<(), String> {
        let mut mounts = Vec::new();
        for flag in &run.mounts {
            let rt = &states[i];
            let unmatched = RefCell::new(BTreeSet::new());
            let expander = |word: &str| -> Result<String, String> {
                let expansion = self
                    .lexer
                    .process_word_with_matches(word, &rt.env)
                    .map_err(|e| e.message)?;
                unmatched.borrow_mut().extend(expansion.unmatched);
                Ok(expansion.result)
            };
            let parsed = parse_mount(&flag.raw.value, Some(&expander));
            let names = unmatched.into_inner();
            self.unmatched(rt, &names, config, span);
            if let Some(mount) = parsed? {
                mounts.push(mount);
            }
        }
        for mount in mounts {
            if !mount.from.is_empty() {
                if let Some(source) = stage_names(states).mount_from(&mount.from) {
                    if !states[source].dispatched {
                        return Err(format!(
                            "cannot mount from stage {} to {}, stage needs to be defined before current command",
                            go_quote(&mount.from),
                            go_quote(&mount.target)
                        ));
                    }
                }
            }
            let rt = &mut states[i];
            match mount.kind {
                MountType::Secret => {
                    let mut id = if mount.source.is_empty() {
                        mount.id.clone()
                    } else {
                        mount.source.clone()
                    };
                    if id.is_empty() {
                        if mount.target.is_empty() {
                            return Err("one of source, target required".to_owned());
                        }
                        id = base_name(&mount.target);
                    }
                    if !rt.secrets.iter().any(|s| s.name == id) {
                        rt.secrets.push(OutlineMount {
                            name: id,
                            required: mount.required,
                            spans: vec![span],
                        });
                    }
                }
                MountType::Ssh => {
                    if !mount.source.is_empty() {
                        return Err("ssh does not support source".to_owned());
                    }
                    let id = if mount.id.is_empty() {
                        "default".to_owned()
                    } else {
                        mount.id.clone()
                    };
                    if !rt.ssh.iter().any(|s| s.name == id) {
                        rt.ssh.push(OutlineMount {
                            name: id,
                            required: mount.required,
                            spans: vec![span],
                        });
                    }
                }
                _ => {
                    let target = if clean(&mount.target).starts_with('/') {
                        mount.target.clone()
                    } else {
                        clean(&format!("/{}/{}", rt.workdir, mount.target))
                    };
                    if target == "/" {
                        return Err(format!("invalid mount target {}", go_quote(&target)));
                    }
                }
            }
        }
        Ok(())
    }

    /// BuildKit's `dispatchArg`.
    pub(super) fn arg(
        &mut self,
        rt: &mut StageRt,
        decls: &[ArgDecl],
        config: &CheckConfig,
        span: Span,
    ) -> Result<(), String> {
        for (position, decl) in decls.iter().enumerate() {
            self.secret_key("ARG", &decl.key, config, span);
            let mut skip_info = false;
            let value = match ArgValue::of(decl, self.build_arg_values) {
                ArgValue::BuildArg(given) => Some(given.to_owned()),
                ArgValue::Default(default) => Some(self.expand(rt, default, false, config, span)?),
                ArgValue::Unset => {
                    // The global value; the outline lists it as the global ARG.
                    let global = self.globals.get(&decl.key).map(str::to_owned);
                    skip_info = global.is_some();
                    global
                }
            };
            if let Some(value) = &value {
                if !NonEnvArgs::BuildKit.contains(&decl.key) {
                    rt.env.set(&decl.key, value);
                }
            }
            if !skip_info {
                let info = ArgInfo {
                    name: decl.key.clone(),
                    description: decl.doc_comment.clone(),
                    value: value.unwrap_or_default(),
                    spans: vec![span],
                    deps: BTreeSet::new(),
                    position,
                };
                rt.all_args.insert(decl.key.clone(), info);
            }
            rt.used_args.insert(decl.key.clone());
            rt.build_args.push(decl.key.clone());
        }
        Ok(())
    }

    /// SecretsUsedInArgOrEnv: a name whose first or last `_`-separated word is a
    /// secret-ish token (and none of the allowed ones).
    pub(super) fn secret_key(
        &mut self,
        instruction: &str,
        key: &str,
        config: &CheckConfig,
        span: Span,
    ) {
        const DENY: [&str; 10] = [
            "apikey",
            "auth",
            "credential",
            "credentials",
            "key",
            "password",
            "pword",
            "passwd",
            "secret",
            "token",
        ];
        const ALLOW: [&str; 3] = ["public", "file", "version"];
        if has_token(key, &DENY) && !has_token(key, &ALLOW) {
            self.report.add(
                config,
                &rules::SECRETS_USED_IN_ARG_OR_ENV,
                vec![span],
                rules::secrets_detail(instruction, key),
            );
        }
    }
}

/// `(?i)(?:_|^)(?:tok1|tok2|…)(?:_|$)`: a token delimited by `_` or the ends.
fn has_token(key: &str, tokens: &[&str]) -> bool {
    let lower = key.to_lowercase();
    tokens.iter().any(|token| {
        lower.match_indices(token).any(|(start, _)| {
            let end = start + token.len();
            let before = start == 0 || lower.as_bytes()[start - 1] == b'_';
            let after = end == lower.len() || lower.as_bytes()[end] == b'_';
            before && after
        })
    })
}

/// Go's `path.Base`.
fn base_name(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() {
            ".".to_owned()
        } else {
            "/".to_owned()
        };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

/// BuildKit's `isHTTPSource`.
fn is_http(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// A Git reference as BuildKit's `dfgitutil.ParseGitRef` tells one from a local path
/// or a plain URL: `git@host:path`, a `git://` or `ssh://` URL, or an HTTP(S) URL of a
/// `.git` repository.
fn is_git(source: &str) -> bool {
    if source.starts_with("git@") || source.starts_with("git://") || source.starts_with("ssh://") {
        return true;
    }
    if !is_http(source) {
        return false;
    }
    let path = source.split(['#', '?']).next().unwrap_or(source);
    path.ends_with(".git") || path.ends_with(".git/")
}
