//! Writing a frozen exec as `pb.Op` bytes (an `ExecOp`), and the caps it relies on.

use bollard_buildkit_proto::pb;

use super::{ExecOp, FrozenMount, MountKind, Network, Security, DEFAULT_PATH};
use crate::caps::{self, Need};
use crate::marshal::Encoder;
use crate::ops::mount::CacheSharing;
use crate::ops::{write_op, InputList};
use crate::wire::Wire;

impl ExecOp {
    pub(crate) fn encode(&self, enc: &Encoder<'_>, needs: &mut Vec<Need>) -> Vec<u8> {
        needs.push(Need::cap(caps::EXEC_META_BASE, "exec"));
        let settings = &*self.settings;
        let is_windows = self.platform.as_deref().is_some_and(|p| p.os == "windows");
        let default_path = if enc.caps().supports(caps::EXEC_META_SETS_DEFAULT_PATH) {
            needs.push(Need::cap(
                caps::EXEC_META_SETS_DEFAULT_PATH,
                "exec default PATH",
            ));
            false
        } else {
            // Fallback copied from the Go client: an old daemon sets no PATH itself.
            // (The Go client checks for an entry starting with `PATH=`.)
            !is_windows
                && !settings
                    .env
                    .iter()
                    .any(|(k, _)| k == "PATH" || k.starts_with("PATH="))
        };

        let mut inputs = InputList::default();
        let mut mount_inputs = Vec::with_capacity(self.mounts.len());
        for m in &self.mounts {
            mount_inputs.push(m.source.as_ref().map_or(-1, |o| inputs.add(enc.input(o))));
            mount_needs(m, needs);
        }
        // Go v0.8 left `input` and `output` of secret and ssh mounts at 0 whenever the
        // exec had any input.
        let zero_secret_indexes = self.go_v0_8 && inputs.len() > 0;
        if !self.secret_env.is_empty() {
            needs.push(Need::cap(caps::EXEC_MOUNT_SECRET, "secrets"));
            needs.push(Need::cap(
                caps::EXEC_SECRET_ENV,
                "secret as environment variable",
            ));
        }
        if self.proxy_env.is_some() {
            needs.push(Need::cap(caps::EXEC_META_PROXY, "proxy environment"));
        }
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

        write_op(enc, &inputs, 2, self.platform.as_deref(), |w| {
            // pb.ExecOp
            w.message(1, |w| self.write_meta(w, default_path));
            for (m, input) in self.mounts.iter().zip(mount_inputs) {
                let zero_indexes = zero_secret_indexes
                    && matches!(m.kind, MountKind::Secret(_) | MountKind::Ssh(_));
                w.message(2, |w| write_mount(w, m, input, zero_indexes, self.go_v0_8));
            }
            w.int32(3, network as i32);
            w.int32(4, security as i32);
            for s in &self.secret_env {
                w.message(5, |w| {
                    w.string(1, &s.id);
                    w.string(2, &s.name);
                    w.bool(3, s.optional);
                });
            }
        })
    }

    /// `pb.Meta`.
    fn write_meta(&self, w: &mut Wire, default_path: bool) {
        let settings = &*self.settings;
        for arg in &self.args {
            w.repeated_string(1, arg);
        }
        for (key, value) in settings.env.iter() {
            w.repeated_string_parts(2, &[key, "=", value]);
        }
        if let Some(sock) = &self.ssh_auth_sock {
            w.repeated_string_parts(2, &["SSH_AUTH_SOCK=", sock]);
        }
        if default_path {
            w.repeated_string_parts(2, &["PATH=", DEFAULT_PATH]);
        }
        w.string(3, &settings.cwd);
        w.string(4, &settings.user);
        if let Some(p) = &self.proxy_env {
            w.message(5, |w| {
                w.string(1, &p.http_proxy);
                w.string(2, &p.https_proxy);
                w.string(3, &p.ftp_proxy);
                w.string(4, &p.no_proxy);
                w.string(5, &p.all_proxy);
            });
        }
        for (host, ip) in &settings.extra_hosts {
            w.message(6, |w| {
                w.string(1, host);
                w.string(2, ip);
            });
        }
        w.string(7, &settings.hostname);
        for u in &self.ulimits {
            w.message(9, |w| {
                w.string(1, &u.name);
                w.int64(2, u.soft);
                w.int64(3, u.hard);
            });
        }
        w.string(10, &self.cgroup_parent);
        // BuildKit HEAD's client always sets this (without a cap; the daemon never
        // registered one) so that mount stubs are cleaned up recursively; older
        // daemons ignore the unknown field.
        w.bool(11, !self.go_v0_8);
    }
}

/// The caps one mount relies on.
fn mount_needs(m: &FrozenMount, needs: &mut Vec<Need>) {
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
        MountKind::Cache { .. } => {
            needs.push(Need::cap(caps::EXEC_MOUNT_CACHE, "cache mount"));
            needs.push(Need::cap(
                caps::EXEC_MOUNT_CACHE_SHARING,
                "cache mount sharing",
            ));
        }
        MountKind::Tmpfs { size } => {
            needs.push(Need::cap(caps::EXEC_MOUNT_TMPFS, "tmpfs mount"));
            if size.is_some_and(|s| s > 0) {
                needs.push(Need::cap(caps::EXEC_MOUNT_TMPFS_SIZE, "tmpfs size"));
            }
        }
        MountKind::Secret(_) => {
            needs.push(Need::cap(caps::EXEC_MOUNT_SECRET, "secret mount"));
        }
        MountKind::Ssh(_) => {
            needs.push(Need::cap(caps::EXEC_MOUNT_SSH, "ssh mount"));
        }
    }
}

/// `pb.Mount`. `zero_indexes` writes `input` and `output` as 0 (Go v0.8, see
/// [`ExecOp::encode`]); `go_v0_8` also leaves out a tmpfs size of 0 entirely. Without
/// `go_v0_8`, secret and ssh mounts carry `output` 0 as the Go client writes them
/// (it never sets the field), which is part of the exec's digest.
fn write_mount(w: &mut Wire, m: &FrozenMount, input: i64, zero_indexes: bool, go_v0_8: bool) {
    let (input, output) = if zero_indexes {
        (0, 0)
    } else if !go_v0_8 && matches!(m.kind, MountKind::Secret(_) | MountKind::Ssh(_)) {
        // Current Go clients set `Input: -1` on these mounts and leave `Output` at 0.
        (input, 0)
    } else {
        (input, m.output)
    };
    w.int64(1, input);
    w.string(2, &m.selector);
    w.string(3, &m.dest);
    w.int64(4, output);
    w.bool(5, m.readonly);
    let mount_type = match &m.kind {
        MountKind::Bind { .. } => pb::MountType::Bind,
        MountKind::Cache { .. } => pb::MountType::Cache,
        MountKind::Tmpfs { .. } => pb::MountType::Tmpfs,
        MountKind::Secret(_) => pb::MountType::Secret,
        MountKind::Ssh(_) => pb::MountType::Ssh,
    };
    w.int32(6, mount_type as i32);
    match &m.kind {
        MountKind::Bind { .. } => {}
        MountKind::Tmpfs { size } => {
            let size = size.filter(|s| *s > 0).unwrap_or(0);
            if !(go_v0_8 && size == 0) {
                w.message(19, |w| w.int64(1, size));
            }
        }
        MountKind::Cache { id, sharing } => {
            let sharing = match sharing {
                CacheSharing::Shared => pb::CacheSharingOpt::Shared,
                CacheSharing::Private => pb::CacheSharingOpt::Private,
                CacheSharing::Locked => pb::CacheSharingOpt::Locked,
            };
            w.message(20, |w| {
                w.string(1, id);
                w.int32(2, sharing as i32);
            });
        }
        MountKind::Secret(o) => w.message(21, |w| {
            write_file_opt(w, &o.id, o.uid, o.gid, o.mode, o.optional);
        }),
        MountKind::Ssh(o) => w.message(22, |w| {
            write_file_opt(w, &o.id, o.uid, o.gid, o.mode, o.optional);
        }),
    }
}

/// `pb.SecretOpt` and `pb.SshOpt`, which have the same fields under the same tags.
fn write_file_opt(w: &mut Wire, id: &str, uid: u32, gid: u32, mode: u32, optional: bool) {
    w.string(1, id);
    w.uint32(2, uid);
    w.uint32(3, gid);
    w.uint32(4, mode);
    w.bool(5, optional);
}
