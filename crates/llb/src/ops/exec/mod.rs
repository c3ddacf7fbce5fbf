//! Exec ops: run a command on a state, with extra mounts.
//!
//! The output-index discipline is the part that is easy to get wrong, so it is fixed
//! when the exec is built, not when it is marshalled:
//!
//! * mounts are sorted by target (so `/` comes first), then secret and ssh mounts
//!   follow in the order they were added — as the Go client does;
//! * `input` is the mount source's index in `Op.inputs`, or `-1` for scratch;
//! * `output` counts 0, 1, 2, … over the writable bind mounts (the root included) and
//!   is `-1` for read-only, no-output, cache, tmpfs, secret and ssh mounts, because the
//!   daemon returns results in mount order of exactly those mounts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bollard_buildkit_proto::pb;

use crate::error::Error;
use crate::ops::file::{Chown, Mkdir};
use crate::ops::mount::{CacheSharing, Mount, MountSpec};
use crate::ops::{Node, OpKind, OpMeta, OpOptions};
use crate::paths;
use crate::platform::Platform;
use crate::state::{Output, State, StateValues};

mod encode;

/// The `PATH` the Go client injects when the daemon lacks `exec.meta.setsdefaultpath`.
pub(super) const DEFAULT_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The network an exec sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// Its own network namespace with outbound access (BuildKit's default).
    #[default]
    Sandbox,
    /// The host's network; the daemon requires the `network.host` entitlement.
    Host,
    /// No network at all.
    None,
}

/// The exec's privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Security {
    /// Normal container sandbox.
    #[default]
    Sandbox,
    /// Privileged (`--security=insecure`); needs the `security.insecure` entitlement.
    Insecure,
}

/// Proxy settings passed to the exec without becoming part of its cache key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// `HTTP_PROXY`.
    pub http_proxy: String,
    /// `HTTPS_PROXY`.
    pub https_proxy: String,
    /// `FTP_PROXY`.
    pub ftp_proxy: String,
    /// `NO_PROXY`.
    pub no_proxy: String,
    /// `ALL_PROXY` (ignored by daemons older than v0.10).
    pub all_proxy: String,
}

/// A resource limit (`--ulimit`), BuildKit v0.10+.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    /// e.g. `nofile`.
    pub name: String,
    /// Soft limit.
    pub soft: i64,
    /// Hard limit.
    pub hard: i64,
}

/// A secret exposed as an environment variable (`--mount=type=secret,env=…`), v0.10+.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEnv {
    /// The secret id.
    pub id: String,
    /// The variable name.
    pub name: String,
    /// Do not fail when the client has no such secret.
    pub optional: bool,
}

/// Builder for an exec op; start with [`State::run`].
#[derive(Debug, Clone)]
pub struct Exec {
    base: State,
    args: Vec<String>,
    /// Env, cwd, user, hostname and extra hosts as this exec sees them: the base
    /// state's, shared until the exec changes one (copy on write), so that an exec
    /// that keeps them copies nothing.
    settings: Arc<StateValues>,
    proxy_env: Option<ProxyEnv>,
    network: Network,
    security: Security,
    readonly_root: bool,
    mounts: Vec<Mount>,
    secret_env: Vec<SecretEnv>,
    ulimits: Vec<Ulimit>,
    cgroup_parent: String,
    verbatim_targets: bool,
    go_v0_8: bool,
    meta: OpMeta,
}

impl State {
    /// Starts an exec of `args` on this state. Env, cwd, user, hostname and extra hosts
    /// start out as the state's; the exec's own changes do not flow back into the state.
    pub fn run<I, S>(&self, args: I) -> Exec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Exec {
            base: self.clone(),
            args: args.into_iter().map(Into::into).collect(),
            settings: Arc::clone(self.values()),
            proxy_env: None,
            network: Network::Sandbox,
            security: Security::Sandbox,
            readonly_root: false,
            mounts: Vec::new(),
            secret_env: Vec::new(),
            ulimits: Vec::new(),
            cgroup_parent: String::new(),
            verbatim_targets: false,
            go_v0_8: false,
            meta: OpMeta::default(),
        }
    }
}

impl Exec {
    /// Sets `key=value` for this exec only (replacing an inherited value).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        let env = Arc::make_mut(&mut Arc::make_mut(&mut self.settings).env);
        env.retain(|(k, _)| *k != key);
        env.push((key, value.into()));
        self
    }

    /// The working directory for this exec (relative to the state's).
    pub fn cwd(mut self, dir: &str) -> Self {
        let cwd = paths::absolute(&self.settings.cwd, dir, false);
        Arc::make_mut(&mut self.settings).cwd = cwd;
        self
    }

    /// The user for this exec.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.settings).user = user.into();
        self
    }

    /// The hostname for this exec.
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.settings).hostname = hostname.into();
        self
    }

    /// Adds an `/etc/hosts` entry for this exec.
    pub fn extra_host(mut self, host: impl Into<String>, ip: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.settings)
            .extra_hosts
            .push((host.into(), ip.into()));
        self
    }

    /// Proxy settings (`exec.meta.proxyenv`).
    pub fn proxy_env(mut self, proxy: ProxyEnv) -> Self {
        self.proxy_env = Some(proxy);
        self
    }

    /// The network mode (`exec.meta.network` unless sandbox).
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// The security mode (`exec.meta.security` when insecure).
    pub fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// Mount the base read-only. The root then has no output, and
    /// [`ExecState::root`] is the unchanged base: such an exec is only reachable through
    /// its other writable mounts.
    pub fn readonly_root(mut self, readonly: bool) -> Self {
        self.readonly_root = readonly;
        self
    }

    /// Adds a mount.
    pub fn mount(mut self, mount: impl Into<Mount>) -> Self {
        self.mounts.push(mount.into());
        self
    }

    /// Exposes a secret as an env variable (`exec.secretenv`, v0.10+).
    pub fn secret_env(mut self, secret: SecretEnv) -> Self {
        self.secret_env.push(secret);
        self
    }

    /// Adds a resource limit (`exec.meta.ulimit`, v0.10+).
    pub fn ulimit(mut self, ulimit: Ulimit) -> Self {
        self.ulimits.push(ulimit);
        self
    }

    /// Sets the cgroup parent (`exec.meta.cgroup.parent`, v0.10+).
    pub fn cgroup_parent(mut self, parent: impl Into<String>) -> Self {
        self.cgroup_parent = parent.into();
        self
    }

    /// Keep mount targets exactly as given (`/root/.cache/` keeps its slash, a
    /// relative secret target stays relative), as BuildKit's Go client does: it never
    /// resolves targets, the Dockerfile frontend resolves bind/cache/tmpfs targets
    /// itself and passes secret/ssh targets through. The target is part of the exec's
    /// cache key, so a frontend that wants the cache of Go-built LLB sets this.
    pub fn verbatim_mount_targets(mut self, yes: bool) -> Self {
        self.verbatim_targets = yes;
        self
    }

    /// Encode the op as BuildKit's Go client v0.8 (Docker 20.10's built-in frontend)
    /// does, for byte-identical ops and therefore the same vertex digests:
    ///
    /// * secret and ssh mounts get `input` 0 and `output` 0 (the Go client left both
    ///   unset until v0.16; daemons ignore them for these mount types, but they are
    ///   part of the exec's cache key). Only applied when the exec has an input;
    ///   otherwise they stay `-1`, which every daemon accepts;
    /// * `Meta.removeMountStubsRecursive` is not set (v0.13+ clients always set it);
    /// * tmpfs mounts carry no `TmpfsOpt` unless they have a size (v0.10+ clients
    ///   always send one).
    pub fn go_v0_8_encoding(mut self, yes: bool) -> Self {
        self.go_v0_8 = yes;
        self
    }

    /// Freezes the exec. Fails without args, with a non-root mount on `/`, or with two
    /// mounts on one target (after resolving relative targets against the cwd).
    pub fn build(self) -> Result<ExecState, Error> {
        if self.args.is_empty() {
            return Err(Error::EmptyArgs);
        }
        let mut regular = Vec::with_capacity(self.mounts.len() + 1);
        let mut trailing = Vec::new();
        let mut ssh_count = 0usize;
        let mut ssh_auth_sock = None;
        for mount in self.mounts {
            let dest = match &mount.spec {
                MountSpec::Ssh(_) if mount.dest.is_empty() => {
                    format!("/run/buildkit/ssh_agent.{ssh_count}")
                }
                _ if self.verbatim_targets => mount.dest.clone(),
                _ => paths::absolute(&self.settings.cwd, &mount.dest, false),
            };
            if dest == "/" {
                return Err(Error::InvalidMountTarget(mount.dest));
            }
            let frozen = freeze_mount(&dest, mount.spec)?;
            match frozen.kind {
                MountKind::Ssh(_) => {
                    if ssh_count == 0
                        && !self.settings.env.iter().any(|(k, _)| k == "SSH_AUTH_SOCK")
                    {
                        ssh_auth_sock = Some(frozen.dest.clone());
                    }
                    ssh_count += 1;
                    trailing.push(frozen);
                }
                MountKind::Secret(_) => trailing.push(frozen),
                _ => regular.push(frozen),
            }
        }
        regular.push(FrozenMount {
            dest: "/".to_owned(),
            source: self.base.output().cloned(),
            selector: String::new(),
            readonly: self.readonly_root,
            output: -1,
            kind: MountKind::Bind { no_output: false },
        });
        regular.sort_by(|a, b| a.dest.cmp(&b.dest));
        let mut mounts = regular;
        mounts.extend(trailing);
        if mounts.len() > 1 {
            let mut seen = BTreeSet::new();
            for m in &mounts {
                if !seen.insert(m.dest.as_str()) {
                    return Err(Error::DuplicateMountTarget(m.dest.clone()));
                }
            }
        }
        let mut next_output = 0i64;
        for m in &mut mounts {
            if m.has_output() {
                m.output = next_output;
                next_output += 1;
            }
        }

        let op = ExecOp {
            args: self.args,
            settings: self.settings,
            ssh_auth_sock,
            proxy_env: self.proxy_env,
            network: self.network,
            security: self.security,
            ulimits: self.ulimits,
            cgroup_parent: self.cgroup_parent,
            secret_env: self.secret_env,
            platform: self.base.shared_platform(),
            go_v0_8: self.go_v0_8,
            mounts,
        };
        let root_output = op.mounts.iter().find(|m| m.dest == "/").map(|m| m.output);
        let outputs: Vec<(String, i64)> = op
            .mounts
            .iter()
            .filter(|m| m.output >= 0 && m.dest != "/")
            .map(|m| (m.dest.clone(), m.output))
            .collect();
        let node = Arc::new(Node {
            kind: OpKind::Exec(op),
            meta: self.meta,
        });
        let output_index = |index: i64| u32::try_from(index).unwrap_or(0);
        let root = match root_output.filter(|index| *index >= 0) {
            Some(index) => self
                .base
                .with_output(Some(Output::new(Arc::clone(&node), output_index(index)))),
            None => self.base.clone(),
        };
        let mut by_dest = BTreeMap::new();
        if !outputs.is_empty() {
            let mount_values = Arc::new(StateValues {
                platform: self.base.shared_platform(),
                ..StateValues::default()
            });
            for (dest, index) in outputs {
                let output = Output::new(Arc::clone(&node), output_index(index));
                by_dest.insert(dest, State::from_output(output, Arc::clone(&mount_values)));
            }
        }
        Ok(ExecState {
            root,
            mounts: by_dest,
        })
    }
}

impl OpOptions for Exec {
    fn op_meta(&mut self) -> &mut OpMeta {
        &mut self.meta
    }
}

/// The result of an exec: the root filesystem and the writable mounts' outputs.
#[derive(Debug, Clone)]
pub struct ExecState {
    root: State,
    mounts: BTreeMap<String, State>,
}

impl ExecState {
    /// The root filesystem after the exec, with the base state's settings.
    pub fn root(&self) -> State {
        self.root.clone()
    }

    /// The output of the writable bind mount at `dest` (absolute), if there is one.
    pub fn mount(&self, dest: &str) -> Option<State> {
        self.mounts.get(dest).cloned()
    }
}

/// A mount with its target resolved and its indices decided.
#[derive(Debug)]
pub(crate) struct FrozenMount {
    pub(crate) dest: String,
    pub(crate) source: Option<Output>,
    pub(crate) selector: String,
    pub(crate) readonly: bool,
    pub(crate) output: i64,
    pub(crate) kind: MountKind,
}

#[derive(Debug)]
pub(crate) enum MountKind {
    Bind { no_output: bool },
    Cache { id: String, sharing: CacheSharing },
    Tmpfs { size: Option<i64> },
    Secret(pb::SecretOpt),
    Ssh(pb::SshOpt),
}

impl FrozenMount {
    fn has_output(&self) -> bool {
        matches!(self.kind, MountKind::Bind { no_output: false }) && !self.readonly
    }
}

fn freeze_mount(dest: &str, spec: MountSpec) -> Result<FrozenMount, Error> {
    let mount = |source: Option<Output>, selector: String, readonly, kind| FrozenMount {
        dest: dest.to_owned(),
        source,
        selector,
        readonly,
        output: -1,
        kind,
    };
    Ok(match spec {
        MountSpec::Bind(b) => mount(
            b.source.output().cloned(),
            b.selector,
            b.readonly,
            MountKind::Bind {
                no_output: b.no_output,
            },
        ),
        MountSpec::Cache(c) => {
            let id = if c.id.is_empty() {
                dest.to_owned()
            } else {
                c.id
            };
            let kind = MountKind::Cache {
                id,
                sharing: c.sharing,
            };
            let (base, selector) = c
                .source
                .unwrap_or_else(|| (State::scratch(), String::new()));
            let wants_owner = c.uid.is_some() || c.gid.is_some() || c.mode.is_some();
            if wants_owner && paths::join(&["/", &selector]) == "/" {
                let prepared = base
                    .file()
                    .mkdir(
                        Mkdir::new("/cache", c.mode.unwrap_or(0o755))
                            .owner(Chown::ids(c.uid.unwrap_or(0), c.gid.unwrap_or(0))),
                    )
                    .custom_name("[internal] setting cache mount permissions")
                    .build()?;
                mount(
                    prepared.output().cloned(),
                    "/cache".to_owned(),
                    c.readonly,
                    kind,
                )
            } else {
                mount(base.output().cloned(), selector, c.readonly, kind)
            }
        }
        MountSpec::Tmpfs(t) => mount(
            None,
            String::new(),
            false,
            MountKind::Tmpfs { size: t.size },
        ),
        MountSpec::Secret(s) => mount(
            None,
            String::new(),
            false,
            MountKind::Secret(pb::SecretOpt {
                id: s.id,
                uid: s.uid,
                gid: s.gid,
                mode: s.mode,
                optional: s.optional,
            }),
        ),
        MountSpec::Ssh(s) => mount(
            None,
            String::new(),
            false,
            MountKind::Ssh(pb::SshOpt {
                id: s.id,
                uid: s.uid,
                gid: s.gid,
                mode: s.mode,
                optional: s.optional,
            }),
        ),
    })
}

/// A frozen exec op.
#[derive(Debug)]
pub(crate) struct ExecOp {
    pub(super) args: Vec<String>,
    /// Env, cwd, user, hostname and extra hosts (shared with the states that have
    /// them).
    pub(super) settings: Arc<StateValues>,
    /// `SSH_AUTH_SOCK`, appended to the env for the first ssh mount unless the env
    /// sets it.
    pub(super) ssh_auth_sock: Option<String>,
    pub(super) proxy_env: Option<ProxyEnv>,
    pub(super) network: Network,
    pub(super) security: Security,
    pub(super) ulimits: Vec<Ulimit>,
    pub(super) cgroup_parent: String,
    pub(super) secret_env: Vec<SecretEnv>,
    pub(super) platform: Option<Arc<Platform>>,
    pub(super) go_v0_8: bool,
    pub(super) mounts: Vec<FrozenMount>,
}

impl ExecOp {
    pub(crate) fn push_inputs<'a>(&'a self, out: &mut Vec<&'a Output>) {
        out.extend(self.mounts.iter().filter_map(|m| m.source.as_ref()));
    }
}
