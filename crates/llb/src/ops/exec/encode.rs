//! Encoding a frozen exec into `pb.ExecOp`, and the caps that encoding relies on.

use bollard_buildkit_proto::pb;

use super::{ExecOp, FrozenMount, MountKind, Network, Security, DEFAULT_PATH};
use crate::caps::{self, Need};
use crate::marshal::Encoder;
use crate::ops::mount::CacheSharing;
use crate::ops::{empty_constraints, Encoded, InputList};
use crate::platform::Platform;

impl ExecOp {
    pub(crate) fn encode(&self, enc: &Encoder<'_>) -> Encoded {
        // Room for the usual caps of a few mounts without growing.
        let mut needs = Vec::with_capacity(4 + 3 * self.mounts.len());
        needs.push(Need::cap(caps::EXEC_META_BASE, "exec"));
        let settings = &*self.settings;
        // Room for SSH_AUTH_SOCK and the default PATH.
        let mut env: Vec<String> = Vec::with_capacity(settings.env.len() + 2);
        env.extend(settings.env.iter().map(|(k, v)| env_entry(k, v)));
        if let Some(sock) = &self.ssh_auth_sock {
            env.push(env_entry("SSH_AUTH_SOCK", sock));
        }
        let is_windows = self.platform.as_ref().is_some_and(|p| p.os == "windows");
        if enc.caps().supports(caps::EXEC_META_SETS_DEFAULT_PATH) {
            needs.push(Need::cap(
                caps::EXEC_META_SETS_DEFAULT_PATH,
                "exec default PATH",
            ));
        } else if !is_windows && !env.iter().any(|e| e.starts_with("PATH=")) {
            // Fallback copied from the Go client: an old daemon sets no PATH itself.
            env.push(format!("PATH={DEFAULT_PATH}"));
        }

        let mut inputs = InputList::default();
        let mut mounts = Vec::with_capacity(self.mounts.len());
        for m in &self.mounts {
            let input = m.source.as_ref().map_or(-1, |o| inputs.add(enc.input(o)));
            let mut mount = encode_mount(m, input, &mut needs);
            if self.go_v0_8 && mount.tmpfs_opt.as_ref().is_some_and(|t| t.size == 0) {
                mount.tmpfs_opt = None;
            }
            mounts.push(mount);
        }
        if self.go_v0_8 && inputs.len() > 0 {
            for (frozen, mount) in self.mounts.iter().zip(mounts.iter_mut()) {
                if matches!(frozen.kind, MountKind::Secret(_) | MountKind::Ssh(_)) {
                    mount.input = 0;
                    mount.output = 0;
                }
            }
        }
        if !self.secret_env.is_empty() {
            needs.push(Need::cap(caps::EXEC_MOUNT_SECRET, "secrets"));
            needs.push(Need::cap(
                caps::EXEC_SECRET_ENV,
                "secret as environment variable",
            ));
        }

        let proxy_env = self.proxy_env.as_ref().map(|p| {
            needs.push(Need::cap(caps::EXEC_META_PROXY, "proxy environment"));
            pb::ProxyEnv {
                http_proxy: p.http_proxy.clone(),
                https_proxy: p.https_proxy.clone(),
                ftp_proxy: p.ftp_proxy.clone(),
                no_proxy: p.no_proxy.clone(),
                all_proxy: p.all_proxy.clone(),
            }
        });
        if !self.ulimits.is_empty() {
            needs.push(Need::cap(caps::EXEC_META_ULIMIT, "ulimit"));
        }
        if !self.cgroup_parent.is_empty() {
            needs.push(Need::cap(caps::EXEC_META_CGROUP_PARENT, "cgroup parent"));
        }
        let network = match self.network {
            Network::Sandbox => pb::NetMode::Unset,
            Network::Host => pb::NetMode::Host,
            Network::None => pb::NetMode::None,
        };
        if self.network != Network::Sandbox {
            needs.push(Need::cap(caps::EXEC_META_NETWORK, "network mode"));
        }
        let security = match self.security {
            Security::Sandbox => pb::SecurityMode::Sandbox,
            Security::Insecure => {
                needs.push(Need::cap(
                    caps::EXEC_META_SECURITY,
                    "insecure security mode",
                ));
                pb::SecurityMode::Insecure
            }
        };

        let meta = pb::Meta {
            args: self.args.clone(),
            env,
            cwd: settings.cwd.clone(),
            user: settings.user.clone(),
            proxy_env,
            extra_hosts: settings
                .extra_hosts
                .iter()
                .map(|(host, ip)| pb::HostIp {
                    host: host.clone(),
                    ip: ip.clone(),
                })
                .collect(),
            hostname: settings.hostname.clone(),
            ulimit: self
                .ulimits
                .iter()
                .map(|u| pb::Ulimit {
                    name: u.name.clone(),
                    soft: u.soft,
                    hard: u.hard,
                })
                .collect(),
            cgroup_parent: self.cgroup_parent.clone(),
            // BuildKit HEAD's client always sets this (without a cap; the daemon never
            // registered one) so that mount stubs are cleaned up recursively; older
            // daemons ignore the unknown field.
            remove_mount_stubs_recursive: !self.go_v0_8,
            valid_exit_codes: Vec::new(),
        };
        let exec = pb::ExecOp {
            meta: Some(meta),
            mounts,
            network: network as i32,
            security: security as i32,
            secretenv: self
                .secret_env
                .iter()
                .map(|s| pb::SecretEnv {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    optional: s.optional,
                })
                .collect(),
            cdi_devices: Vec::new(),
        };
        Encoded {
            op: pb::Op {
                inputs: inputs.into_vec(),
                op: Some(pb::op::Op::Exec(exec)),
                platform: self.platform.as_ref().map(Platform::to_pb),
                constraints: empty_constraints(),
            },
            needs,
        }
    }
}

/// `key=value`, one env entry of `pb.Meta`.
fn env_entry(key: &str, value: &str) -> String {
    let mut entry = String::with_capacity(key.len() + 1 + value.len());
    entry.push_str(key);
    entry.push('=');
    entry.push_str(value);
    entry
}

fn encode_mount(m: &FrozenMount, input: i64, needs: &mut Vec<Need>) -> pb::Mount {
    let mut mount = pb::Mount {
        input,
        selector: m.selector.clone(),
        dest: m.dest.clone(),
        output: m.output,
        readonly: m.readonly,
        ..pb::Mount::default()
    };
    if !m.selector.is_empty() {
        needs.push(Need::cap(caps::EXEC_MOUNT_SELECTOR, "mount selector"));
    }
    match &m.kind {
        MountKind::Bind { no_output } => {
            if m.source.is_some() {
                needs.push(Need::cap(caps::EXEC_MOUNT_BIND, "bind mount"));
            }
            if *no_output && !m.readonly {
                needs.push(Need::cap(
                    caps::EXEC_MOUNT_BIND_READWRITE_NO_OUTPUT,
                    "writable bind mount without output",
                ));
            }
        }
        MountKind::Cache { id, sharing } => {
            needs.push(Need::cap(caps::EXEC_MOUNT_CACHE, "cache mount"));
            needs.push(Need::cap(
                caps::EXEC_MOUNT_CACHE_SHARING,
                "cache mount sharing",
            ));
            mount.mount_type = pb::MountType::Cache as i32;
            mount.cache_opt = Some(pb::CacheOpt {
                id: id.clone(),
                sharing: match sharing {
                    CacheSharing::Shared => pb::CacheSharingOpt::Shared,
                    CacheSharing::Private => pb::CacheSharingOpt::Private,
                    CacheSharing::Locked => pb::CacheSharingOpt::Locked,
                } as i32,
            });
        }
        MountKind::Tmpfs { size } => {
            needs.push(Need::cap(caps::EXEC_MOUNT_TMPFS, "tmpfs mount"));
            let size = size.filter(|s| *s > 0).unwrap_or(0);
            if size > 0 {
                needs.push(Need::cap(caps::EXEC_MOUNT_TMPFS_SIZE, "tmpfs size"));
            }
            mount.mount_type = pb::MountType::Tmpfs as i32;
            mount.tmpfs_opt = Some(pb::TmpfsOpt { size });
        }
        MountKind::Secret(opt) => {
            needs.push(Need::cap(caps::EXEC_MOUNT_SECRET, "secret mount"));
            mount.mount_type = pb::MountType::Secret as i32;
            mount.secret_opt = Some(opt.clone());
        }
        MountKind::Ssh(opt) => {
            needs.push(Need::cap(caps::EXEC_MOUNT_SSH, "ssh mount"));
            mount.mount_type = pb::MountType::Ssh as i32;
            mount.ssh_opt = Some(opt.clone());
        }
    }
    mount
}
