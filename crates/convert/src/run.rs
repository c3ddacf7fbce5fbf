//! `RUN`: the exec op, its mounts (BuildKit v0.8.3 `dispatchRun`,
//! `dispatchRunMounts`, `dispatchSecret`, `dispatchSSH`) and, from newer frontends,
//! heredocs, tmpfs sizes and secrets as environment variables.

use std::borrow::Cow;

use dfopt_dockerfile::instructions::mount::{parse_mount, Mount as DfMount, MountType, Sharing};
use dfopt_dockerfile::instructions::{Network as DfNetwork, Run, Security as DfSecurity};
use dfopt_dockerfile::shell::Env;
use dfopt_dockerfile::syntax::heredoc::{chomp_content, parse_heredoc};
use dfopt_llb::prelude::*;

use crate::dispatch::{err, need, scratch_on, Dispatcher, COMMAND_KEY};
use crate::expand::{self, StateEnv};
use crate::options::ConvertError;
use crate::paths;
use crate::plan::{Cmd, SCRATCH};

/// `summarizeHeredoc`: the first line, `...` when there are more.
fn summarize_heredoc(doc: &str) -> String {
    let doc = doc.trim();
    let normalized = doc.replace("\r\n", "\n");
    let mut lines = normalized.split('\n');
    let first = lines.next().unwrap_or("").to_owned();
    if lines.next().is_some() {
        format!("{first}...")
    } else {
        first
    }
}

impl Dispatcher<'_> {
    pub(crate) fn dispatch_run(
        &mut self,
        i: usize,
        cmd: &Cmd,
        run: &Run,
        original: &str,
    ) -> Result<(), ConvertError> {
        let span = cmd.span;
        let sp = Some(span);
        // The vertex name's text, with a heredoc summary appended if there is one.
        let mut custom = Cow::Borrowed(original);
        let mut args = Cow::Borrowed(run.cmd.args.as_slice());
        let mut heredoc_mount: Option<BindMount> = None;
        if !run.cmd.files.is_empty() {
            if args.len() != 1 || !run.cmd.prepend_shell {
                return Err(err(
                    format!(
                        "parsing produced an invalid run command: {}",
                        crate::gofmt::value_slice(&args)
                    ),
                    sp,
                ));
            }
            let file = &run.cmd.files[0];
            if matches!(parse_heredoc(&args[0]), Ok(Some(_))) {
                let data = if file.chomp {
                    chomp_content(&file.data)
                } else {
                    file.data.clone()
                };
                if self.rt[i].image.os != "windows" && data.starts_with("#!") {
                    let script = self
                        .file_on(&State::scratch().with_dir("/"), self.stage_platform(i))
                        .mkfile(Mkfile::new(file.name.clone(), 0o755, data.into_bytes()))
                        .custom_name("[internal] preparing inline document")
                        .build()
                        .map_err(|e| err(e.to_string(), sp))?;
                    heredoc_mount = Some(
                        BindMount::new("/dev/pipes/", &script)
                            .selector("/")
                            .readonly(true),
                    );
                    args = Cow::Owned(vec![paths::join(&["/dev/pipes/", &file.name])]);
                } else {
                    args = Cow::Owned(vec![data]);
                }
                custom = Cow::Owned(format!("{original} ({})", summarize_heredoc(&file.data)));
            } else {
                let mut b = args[0].clone();
                for f in &run.cmd.files {
                    b.push('\n');
                    b.push_str(&f.data);
                    b.push_str(&f.name);
                }
                args = Cow::Owned(vec![b]);
            }
        }
        let args = if run.cmd.prepend_shell {
            self.shell_args(i, &args)
        } else {
            args.into_owned()
        };
        if !run.devices.is_empty() {
            return Err(err(
                "RUN --device requires CDI support (BuildKit v0.20 labs, cap exec.meta.cdi), which dfopt does not implement",
                sp,
            ));
        }

        // The history entry reads the env the command runs with, as the exec does.
        let rt = &self.rt[i];
        let history = run_command_string(&args, &rt.build_args, &StateEnv(&rt.state));
        let location = self.location(&cmd.lines);
        let mut exec = self.rt[i]
            .state
            .run(args)
            .verbatim_mount_targets(true)
            .go_v0_8_encoding(self.dialect.is_v0_8())
            .description(COMMAND_KEY, original.to_owned())
            .location(location)
            .ignore_cache(self.plan.states[i].ignore_cache);
        if let Some(proxy) = &self.proxy {
            exec = exec.proxy_env(proxy.clone());
        }
        if let Some(m) = heredoc_mount {
            exec = exec.mount(m);
        }
        exec = self.run_mounts(i, cmd, run, exec)?;
        if run.security == DfSecurity::Insecure {
            exec = exec.security(Security::Insecure);
        }
        let network = match run.network {
            DfNetwork::None => Network::None,
            DfNetwork::Host => Network::Host,
            DfNetwork::Default => self.opts.force_network_mode.unwrap_or(Network::Sandbox),
        };
        exec = exec.network(network);
        // Cloned only if vertex names show it.
        let platform = self
            .opts
            .prefix_platform
            .then(|| self.rt[i].state.platform().cloned())
            .flatten();
        let name = self.display_name(i, &custom, true, platform.as_ref());
        exec = exec.custom_name(Self::with_note(name, cmd));
        for (host, ip) in &self.extra_hosts {
            exec = exec.extra_host(host.clone(), ip.clone());
        }
        let built = exec.build().map_err(|e| err(e.to_string(), sp))?;
        self.rt[i].state = built.root();
        self.rt[i].image.commit(history, true, true);
        Ok(())
    }

    fn run_mounts(
        &mut self,
        i: usize,
        cmd: &Cmd,
        run: &Run,
        mut exec: Exec,
    ) -> Result<Exec, ConvertError> {
        let span = cmd.span;
        let sp = Some(span);
        // A clone (two `Arc`s): the loop records context paths in `self.rt[i]`.
        let state = self.rt[i].state.clone();
        let env = StateEnv(&state);
        for (k, flag) in run.mounts.iter().enumerate() {
            let lexer = &self.plan.lexer;
            let expand = |v: &str| expand::process_word(lexer, v, &env).map_err(|e| e.message);
            let m: DfMount = parse_mount(&flag.raw.value, Some(&expand))
                .map_err(|e| err(e, sp))?
                .ok_or_else(|| err("invalid mount", sp))?;
            let mut from = m.from.clone();
            if from.is_empty() && m.kind == MountType::Cache {
                from = SCRATCH.to_owned();
            }
            let mut st = self.context.clone();
            if !from.is_empty() {
                st = match cmd.sources.get(k).copied().flatten() {
                    Some(s) => self.rt[s].state.clone(),
                    None if from == SCRATCH => scratch_on(self.plan.target_platform.clone()),
                    None => {
                        return Err(err(format!("mount from {from} could not be resolved"), sp))
                    }
                };
            }
            match m.kind {
                MountType::Secret => {
                    exec = self.secret_mount(exec, &m, span)?;
                    continue;
                }
                MountType::Ssh => {
                    exec = ssh_mount(exec, &m, span)?;
                    continue;
                }
                _ => {}
            }
            if m.kind == MountType::Tmpfs {
                st = State::scratch();
            }
            // `filepath.IsAbs(filepath.Clean(target))`: cleaning keeps or drops nothing
            // at the start, so this is whether the target itself starts with `/`.
            let target = if paths::is_abs(&m.target) {
                m.target.clone()
            } else {
                paths::join(&["/", self.rt[i].state.cwd(), &m.target])
            };
            if target == "/" {
                return Err(err(
                    format!(
                        "invalid mount target {}",
                        dfopt_dockerfile::go_quote(&target)
                    ),
                    sp,
                ));
            }
            let src = paths::join(&["/", &m.source]);
            let mut selector = String::new();
            if src != "/" {
                selector = src;
            } else if m.uid.is_some() || m.gid.is_some() || m.mode.is_some() {
                let mkdir = Mkdir::new("/cache", m.mode.unwrap_or(0o755))
                    .owner(Chown::ids(m.uid.unwrap_or(0), m.gid.unwrap_or(0)));
                st = self
                    .file_on(&st, self.file_platform(&st))
                    .mkdir(mkdir)
                    .custom_name("[internal] settings cache mount permissions")
                    .build()
                    .map_err(|e| err(e.to_string(), sp))?;
                selector = "/cache".to_owned();
            }
            match m.kind {
                MountType::Tmpfs => {
                    let mut t = TmpfsMount::new(target);
                    if m.size_limit > 0 {
                        let (cap, version) = need::TMPFS_SIZE;
                        self.need(cap, "RUN --mount=type=tmpfs,size=…", version, span)?;
                        t = t.size(m.size_limit);
                    }
                    exec = exec.mount(t);
                }
                MountType::Cache => {
                    let id = if m.id.is_empty() {
                        paths::clean(&m.target)
                    } else {
                        m.id.clone()
                    };
                    let sharing = match m.sharing {
                        Some(Sharing::Private) => CacheSharing::Private,
                        Some(Sharing::Locked) => CacheSharing::Locked,
                        _ => CacheSharing::Shared,
                    };
                    exec = exec.mount(
                        CacheMount::new(target, format!("{}/{id}", self.cache_ns))
                            .sharing(sharing)
                            .readonly(m.read_only)
                            .from(&st, selector),
                    );
                }
                _ => {
                    let no_output = !m.read_only
                        && self
                            .opts
                            .caps
                            .supports(dfopt_llb::caps::EXEC_MOUNT_BIND_READWRITE_NO_OUTPUT);
                    exec = exec.mount(
                        BindMount::new(target, &st)
                            .selector(selector)
                            .readonly(m.read_only)
                            .no_output(no_output),
                    );
                }
            }
            if m.from.is_empty() && m.kind != MountType::Cache {
                self.rt[i].ctx_paths.insert(paths::join(&["/", &m.source]));
            }
        }
        Ok(exec)
    }

    /// `dispatchSecret`, plus `env=` from newer frontends.
    fn secret_mount(
        &self,
        mut exec: Exec,
        m: &DfMount,
        span: dfopt_dockerfile::Span,
    ) -> Result<Exec, ConvertError> {
        let mut id = m.id.clone();
        if !m.source.is_empty() {
            id = m.source.clone();
        }
        if id.is_empty() {
            if m.target.is_empty() {
                match &m.env {
                    Some(name) => id = name.clone(),
                    None => return Err(err("one of source, target required", Some(span))),
                }
            } else {
                id = paths::base(&m.target);
            }
        }
        if let Some(name) = &m.env {
            let (cap, version) = need::SECRET_ENV;
            self.need(cap, "RUN --mount=type=secret,env=…", version, span)?;
            exec = exec.secret_env(SecretEnv {
                id: id.clone(),
                name: name.clone(),
                optional: !m.required,
            });
            if m.target.is_empty() {
                return Ok(exec);
            }
        }
        let target = if m.target.is_empty() {
            format!("/run/secrets/{}", paths::base(&id))
        } else {
            m.target.clone()
        };
        let mut secret = SecretMount::new(id).target(target).optional(!m.required);
        if m.uid.is_some() || m.gid.is_some() || m.mode.is_some() {
            secret = secret
                .uid(m.uid.unwrap_or(0))
                .gid(m.gid.unwrap_or(0))
                .mode(m.mode.unwrap_or(0o400));
        }
        Ok(exec.mount(secret))
    }
}

/// `dispatchSSH`: the id is passed as written (empty means the default agent).
fn ssh_mount(exec: Exec, m: &DfMount, span: dfopt_dockerfile::Span) -> Result<Exec, ConvertError> {
    if !m.source.is_empty() {
        return Err(err("ssh does not support source", Some(span)));
    }
    let mut ssh = SshMount::new().id(m.id.clone()).optional(!m.required);
    if !m.target.is_empty() {
        ssh = ssh.target(m.target.clone());
    }
    if m.uid.is_some() || m.gid.is_some() || m.mode.is_some() {
        ssh = ssh
            .uid(m.uid.unwrap_or(0))
            .gid(m.gid.unwrap_or(0))
            .mode(m.mode.unwrap_or(0o600));
    }
    Ok(exec.mount(ssh))
}

/// `"RUN " + runCommandString`: `RUN |N k=v … args`, every ARG of the stage listed
/// (with its current env value if it has one), duplicates included as in v0.8.3.
fn run_command_string(
    args: &[String],
    build_args: &[(String, Option<String>)],
    env: &dyn Env,
) -> String {
    // "RUN " followed by the parts joined with spaces.
    let len = build_args
        .iter()
        .map(|(k, v)| k.len() + v.as_ref().map_or(0, String::len) + 2)
        .chain(args.iter().map(|a| a.len() + 1))
        .sum::<usize>();
    let mut out = String::with_capacity(len + 32);
    out.push_str("RUN ");
    if !build_args.is_empty() {
        out.push('|');
        out.push_str(itoa::Buffer::new().format(build_args.len()));
        for (k, v) in build_args {
            let value = env.get(k).or(v.as_deref()).unwrap_or_default();
            out.push(' ');
            out.push_str(k);
            out.push('=');
            out.push_str(value);
        }
    }
    for (n, arg) in args.iter().enumerate() {
        if n > 0 || !build_args.is_empty() {
            out.push(' ');
        }
        out.push_str(arg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_strings() {
        let env = std::collections::BTreeMap::from([("A".to_owned(), "1".to_owned())]);
        let args = vec!["/bin/sh".to_owned(), "-c".to_owned(), "true".to_owned()];
        let build_args = vec![
            ("A".to_owned(), Some("0".to_owned())),
            ("B".to_owned(), None),
        ];
        assert_eq!(
            run_command_string(&args, &build_args, &env),
            "RUN |2 A=1 B= /bin/sh -c true"
        );
        assert_eq!(run_command_string(&args, &[], &env), "RUN /bin/sh -c true");
        assert_eq!(run_command_string(&[], &[], &env), "RUN ");
        assert_eq!(run_command_string(&[], &build_args, &env), "RUN |2 A=1 B=");
        assert_eq!(summarize_heredoc("\necho a\necho b\n"), "echo a...");
        assert_eq!(summarize_heredoc("echo a\n"), "echo a");
    }
}
