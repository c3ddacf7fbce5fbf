//! Exec mounts other than the root: bind, cache, tmpfs, secret, ssh.
//!
//! One builder type per mount kind, so that an option that makes no sense for a kind
//! (a cache id on a tmpfs) cannot be written. All of them convert into [`Mount`], which
//! [`crate::ops::exec::Exec::mount`] accepts.

use crate::state::State;

/// A mount of an exec, built from one of the kind-specific builders below.
#[derive(Debug, Clone)]
pub struct Mount {
    pub(crate) dest: String,
    pub(crate) spec: MountSpec,
}

#[derive(Debug, Clone)]
pub(crate) enum MountSpec {
    Bind(BindMount),
    Cache(CacheMount),
    Tmpfs(TmpfsMount),
    Secret(SecretMount),
    Ssh(SshMount),
}

/// A bind mount of another state (`RUN --mount=type=bind`), or with a scratch source an
/// empty writable directory whose contents become an extra output.
#[derive(Debug, Clone)]
pub struct BindMount {
    pub(crate) dest: String,
    pub(crate) source: State,
    pub(crate) selector: String,
    pub(crate) readonly: bool,
    pub(crate) no_output: bool,
}

impl BindMount {
    /// Mounts `source` at `dest` (relative `dest`s are resolved against the exec's cwd).
    pub fn new(dest: impl Into<String>, source: &State) -> Self {
        Self {
            dest: dest.into(),
            source: source.clone(),
            selector: String::new(),
            readonly: false,
            no_output: false,
        }
    }

    /// Mount only this path of the source (`source=` in the Dockerfile); needs
    /// `exec.mount.selector`.
    pub fn selector(mut self, path: impl Into<String>) -> Self {
        self.selector = path.into();
        self
    }

    /// Read-only: the mount has no output (output index `-1`).
    pub fn readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    /// Writable but discarded after the exec (`rw` bind in a Dockerfile): no output
    /// index is spent on it. Needs `exec.mount.bind.readwrite-nooutput`.
    pub fn no_output(mut self, no_output: bool) -> Self {
        self.no_output = no_output;
        self
    }
}

impl From<BindMount> for Mount {
    fn from(m: BindMount) -> Self {
        Mount {
            dest: m.dest.clone(),
            spec: MountSpec::Bind(m),
        }
    }
}

/// How concurrent builds share a cache mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheSharing {
    /// Concurrent writers use the same directory.
    #[default]
    Shared,
    /// A second concurrent writer gets a fresh directory.
    Private,
    /// A second concurrent writer waits.
    Locked,
}

/// A persistent cache directory (`RUN --mount=type=cache`). Never has an output.
#[derive(Debug, Clone)]
pub struct CacheMount {
    pub(crate) dest: String,
    pub(crate) id: String,
    pub(crate) sharing: CacheSharing,
    pub(crate) source: Option<(State, String)>,
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) mode: Option<u32>,
    pub(crate) readonly: bool,
}

impl CacheMount {
    /// A cache at `dest` with cache id `id`. An empty id means the resolved absolute
    /// `dest` (close to the Dockerfile default, which is the cleaned target as written;
    /// pass the id explicitly to match it). BuildKit itself would treat an empty id as
    /// not-a-cache.
    pub fn new(dest: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            dest: dest.into(),
            id: id.into(),
            sharing: CacheSharing::Shared,
            source: None,
            uid: None,
            gid: None,
            mode: None,
            readonly: false,
        }
    }

    /// Mount the cache read-only (`type=cache,ro`): the exec sees it but cannot
    /// change it. Never has an output either way.
    pub fn readonly(mut self, readonly: bool) -> Self {
        self.readonly = readonly;
        self
    }

    /// The sharing mode.
    pub fn sharing(mut self, sharing: CacheSharing) -> Self {
        self.sharing = sharing;
        self
    }

    /// Seed an empty cache from `selector` in `state` (`from=`/`source=`).
    pub fn from(mut self, state: &State, selector: impl Into<String>) -> Self {
        self.source = Some((state.clone(), selector.into()));
        self
    }

    /// Owner of the cache directory. BuildKit has no cache-mount owner field: like its
    /// Dockerfile frontend, the exec seeds the cache from a directory `/cache` made by a
    /// `mkdir` file op (on scratch, or on the `from` state) with this owner and mode.
    /// As in BuildKit, owner and mode do nothing when [`CacheMount::from`] names a
    /// selector other than `/` (the seed directory then comes from that state).
    pub fn owner(mut self, uid: u32, gid: u32) -> Self {
        self.uid = Some(uid);
        self.gid = Some(gid);
        self
    }

    /// Permission bits of the cache directory (see [`CacheMount::owner`]; default 0755).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }
}

impl From<CacheMount> for Mount {
    fn from(m: CacheMount) -> Self {
        Mount {
            dest: m.dest.clone(),
            spec: MountSpec::Cache(m),
        }
    }
}

/// A tmpfs (`RUN --mount=type=tmpfs`). Never has an output.
#[derive(Debug, Clone)]
pub struct TmpfsMount {
    pub(crate) dest: String,
    pub(crate) size: Option<i64>,
}

impl TmpfsMount {
    /// A tmpfs at `dest`.
    pub fn new(dest: impl Into<String>) -> Self {
        Self {
            dest: dest.into(),
            size: None,
        }
    }

    /// Size limit in bytes. Needs `exec.mount.tmpfs.size` (BuildKit v0.10+): a v0.8
    /// daemon would silently mount an unlimited tmpfs, so marshalling refuses instead.
    pub fn size(mut self, bytes: i64) -> Self {
        self.size = Some(bytes);
        self
    }
}

impl From<TmpfsMount> for Mount {
    fn from(m: TmpfsMount) -> Self {
        Mount {
            dest: m.dest.clone(),
            spec: MountSpec::Tmpfs(m),
        }
    }
}

/// A secret file (`RUN --mount=type=secret`). Never has an output.
#[derive(Debug, Clone)]
pub struct SecretMount {
    pub(crate) id: String,
    pub(crate) target: Option<String>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) mode: u32,
    pub(crate) optional: bool,
}

impl SecretMount {
    /// The secret `id`, at `/run/secrets/<id>` unless [`SecretMount::target`] says
    /// otherwise; mode 0400, owned by root (the Dockerfile defaults).
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            target: None,
            uid: 0,
            gid: 0,
            mode: 0o400,
            optional: false,
        }
    }

    /// Where the file appears.
    pub fn target(mut self, path: impl Into<String>) -> Self {
        self.target = Some(path.into());
        self
    }

    /// Owner uid.
    pub fn uid(mut self, uid: u32) -> Self {
        self.uid = uid;
        self
    }

    /// Owner gid.
    pub fn gid(mut self, gid: u32) -> Self {
        self.gid = gid;
        self
    }

    /// Permission bits.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Do not fail when the client has no such secret.
    pub fn optional(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }
}

impl From<SecretMount> for Mount {
    fn from(m: SecretMount) -> Self {
        let dest = m
            .target
            .clone()
            .unwrap_or_else(|| format!("/run/secrets/{}", m.id));
        Mount {
            dest,
            spec: MountSpec::Secret(m),
        }
    }
}

/// An ssh agent socket (`RUN --mount=type=ssh`). Never has an output.
#[derive(Debug, Clone)]
pub struct SshMount {
    pub(crate) id: String,
    pub(crate) target: Option<String>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) mode: u32,
    pub(crate) optional: bool,
}

impl Default for SshMount {
    fn default() -> Self {
        Self::new()
    }
}

impl SshMount {
    /// The agent `default`, at `/run/buildkit/ssh_agent.<n>` (n = position among the
    /// exec's ssh mounts) unless [`SshMount::target`] says otherwise; mode 0600. The
    /// first ssh mount also sets `SSH_AUTH_SOCK` unless the env already has it.
    pub fn new() -> Self {
        Self {
            id: "default".to_owned(),
            target: None,
            uid: 0,
            gid: 0,
            mode: 0o600,
            optional: false,
        }
    }

    /// The agent id the client exposes.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Where the socket appears.
    pub fn target(mut self, path: impl Into<String>) -> Self {
        self.target = Some(path.into());
        self
    }

    /// Owner uid.
    pub fn uid(mut self, uid: u32) -> Self {
        self.uid = uid;
        self
    }

    /// Owner gid.
    pub fn gid(mut self, gid: u32) -> Self {
        self.gid = gid;
        self
    }

    /// Permission bits.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// Do not fail when the client exposes no such agent.
    pub fn optional(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }
}

impl From<SshMount> for Mount {
    fn from(m: SshMount) -> Self {
        // The default target depends on the mount's position; `Exec::build` fills it in.
        Mount {
            dest: m.target.clone().unwrap_or_default(),
            spec: MountSpec::Ssh(m),
        }
    }
}
