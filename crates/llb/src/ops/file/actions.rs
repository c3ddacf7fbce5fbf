//! The file actions' builders: what each action does, before it is frozen into an op.

use crate::state::State;

/// Timestamps are Unix nanoseconds; this means "keep the source's / now".
pub(super) const KEEP_TIMESTAMP: i64 = -1;

/// A user or group: by numeric id, or by name resolved in some state's
/// `/etc/passwd` / `/etc/group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSpec {
    /// A numeric id.
    Id(u32),
    /// A name.
    Name(String),
}

impl UserSpec {
    /// BuildKit's `WithUser` parsing of one half of `user:group`: a decimal number
    /// that fits an `i32` (negative ones wrap to `u32`, as in Go) or `root` is an id,
    /// anything else a name.
    /// An empty half (`user:`) is id 0: the Go client records it as a name, then
    /// marshals an empty name as id 0.
    pub fn parse(s: &str) -> Self {
        if s == "root" || s.is_empty() {
            return UserSpec::Id(0);
        }
        // Go's `strconv.ParseInt(s, 10, 32)`, then `uint32(uid)`: `-1` wraps around.
        match s.parse::<i32>() {
            Ok(id) => UserSpec::Id(id as u32),
            Err(_) => UserSpec::Name(s.to_owned()),
        }
    }
}

/// A `--chown` setting.
#[derive(Debug, Clone)]
pub struct Chown {
    pub(super) user: Option<UserSpec>,
    pub(super) group: Option<UserSpec>,
    pub(super) names_from: Option<State>,
}

impl Chown {
    /// Numeric owner and group.
    pub fn ids(uid: u32, gid: u32) -> Self {
        Self {
            user: Some(UserSpec::Id(uid)),
            group: Some(UserSpec::Id(gid)),
            names_from: None,
        }
    }

    /// Parses `user[:group]` the way `COPY --chown` does.
    pub fn parse(spec: &str) -> Self {
        let (user, group) = match spec.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (spec, None),
        };
        Self {
            user: Some(UserSpec::parse(user)),
            group: group.map(UserSpec::parse),
            names_from: None,
        }
    }

    /// Explicit user and group.
    pub fn new(user: Option<UserSpec>, group: Option<UserSpec>) -> Self {
        Self {
            user,
            group,
            names_from: None,
        }
    }

    /// Resolve names in `state` instead of the op's base state (the default, which is
    /// what `COPY --chown=name` means). Needed when the base is scratch.
    pub fn resolve_names_from(mut self, state: &State) -> Self {
        self.names_from = Some(state.clone());
        self
    }

    pub(super) fn has_names(&self) -> bool {
        [&self.user, &self.group]
            .iter()
            .any(|u| matches!(u, Some(UserSpec::Name(_))))
    }
}

/// Create a directory.
#[derive(Debug, Clone)]
pub struct Mkdir {
    pub(super) path: String,
    pub(super) mode: u32,
    pub(super) parents: bool,
    pub(super) owner: Option<Chown>,
    pub(super) timestamp: i64,
}

impl Mkdir {
    /// `path` (relative to the base state's cwd) with permission bits `mode`; only the
    /// 0o777 bits are sent, as in the Go client.
    pub fn new(path: impl Into<String>, mode: u32) -> Self {
        Self {
            path: path.into(),
            mode,
            parents: false,
            owner: None,
            timestamp: KEEP_TIMESTAMP,
        }
    }

    /// Create missing parents (`mkdir -p`).
    pub fn parents(mut self, parents: bool) -> Self {
        self.parents = parents;
        self
    }

    /// Owner of the new directory.
    pub fn owner(mut self, owner: Chown) -> Self {
        self.owner = Some(owner);
        self
    }

    /// Modification time, Unix nanoseconds.
    pub fn timestamp(mut self, unix_nanos: i64) -> Self {
        self.timestamp = unix_nanos;
        self
    }
}

/// Create a file with given contents.
#[derive(Debug, Clone)]
pub struct Mkfile {
    pub(super) path: String,
    pub(super) mode: u32,
    pub(super) data: Vec<u8>,
    pub(super) owner: Option<Chown>,
    pub(super) timestamp: i64,
}

impl Mkfile {
    /// `path` (relative to the base state's cwd), permission bits `mode` (0o777 bits).
    pub fn new(path: impl Into<String>, mode: u32, data: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.into(),
            mode,
            data: data.into(),
            owner: None,
            timestamp: KEEP_TIMESTAMP,
        }
    }

    /// Owner of the new file.
    pub fn owner(mut self, owner: Chown) -> Self {
        self.owner = Some(owner);
        self
    }

    /// Modification time, Unix nanoseconds.
    pub fn timestamp(mut self, unix_nanos: i64) -> Self {
        self.timestamp = unix_nanos;
        self
    }
}

/// Remove a path.
#[derive(Debug, Clone)]
pub struct Rm {
    pub(super) path: String,
    pub(super) allow_not_found: bool,
    pub(super) allow_wildcard: bool,
}

impl Rm {
    /// `path` relative to the base state's cwd.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            allow_not_found: false,
            allow_wildcard: false,
        }
    }

    /// Succeed when nothing is there.
    pub fn allow_not_found(mut self, allow: bool) -> Self {
        self.allow_not_found = allow;
        self
    }

    /// Treat the path as a `filepath.Match` pattern (`file.rm.wildcard`).
    pub fn allow_wildcard(mut self, allow: bool) -> Self {
        self.allow_wildcard = allow;
        self
    }
}

/// Create a symlink (`file.symlink.create`, BuildKit HEAD only).
#[derive(Debug, Clone)]
pub struct Symlink {
    pub(super) target: String,
    pub(super) link: String,
    pub(super) owner: Option<Chown>,
    pub(super) timestamp: i64,
}

impl Symlink {
    /// A link at `link` (relative to the cwd) pointing at `target` (kept verbatim).
    pub fn new(target: impl Into<String>, link: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            link: link.into(),
            owner: None,
            timestamp: KEEP_TIMESTAMP,
        }
    }

    /// Owner of the link.
    pub fn owner(mut self, owner: Chown) -> Self {
        self.owner = Some(owner);
        self
    }

    /// Modification time, Unix nanoseconds.
    pub fn timestamp(mut self, unix_nanos: i64) -> Self {
        self.timestamp = unix_nanos;
        self
    }
}

/// Copy from another state (the secondary input) into the base.
#[derive(Debug, Clone)]
pub struct FileCopy {
    pub(super) source: State,
    pub(super) src: String,
    pub(super) dest: String,
    pub(super) follow_symlinks: bool,
    pub(super) contents_only: bool,
    pub(super) attempt_unpack: bool,
    pub(super) create_dest_path: bool,
    pub(super) allow_wildcard: bool,
    pub(super) allow_empty_wildcard: bool,
    pub(super) owner: Option<Chown>,
    pub(super) mode: Option<u32>,
    pub(super) mode_str: Option<String>,
    pub(super) timestamp: i64,
    pub(super) include: Vec<String>,
    pub(super) exclude: Vec<String>,
    pub(super) required_paths: Vec<String>,
    pub(super) always_replace_existing: bool,
}

impl FileCopy {
    /// Copies `src` (relative to `source`'s cwd) to `dest` (relative to the base's
    /// cwd; a trailing `/` or `/.` means "into this directory" and is kept). All flags
    /// start off; [`FileCopy::dockerfile_defaults`] turns on what `COPY` uses.
    pub fn new(source: &State, src: impl Into<String>, dest: impl Into<String>) -> Self {
        Self {
            source: source.clone(),
            src: src.into(),
            dest: dest.into(),
            follow_symlinks: false,
            contents_only: false,
            attempt_unpack: false,
            create_dest_path: false,
            allow_wildcard: false,
            allow_empty_wildcard: false,
            owner: None,
            mode: None,
            mode_str: None,
            timestamp: KEEP_TIMESTAMP,
            include: Vec::new(),
            exclude: Vec::new(),
            required_paths: Vec::new(),
            always_replace_existing: false,
        }
    }

    /// The flags BuildKit's Dockerfile frontend sets for `COPY`: follow symlinks,
    /// copy directory contents, create the destination path, allow (empty) wildcards.
    pub fn dockerfile_defaults(self) -> Self {
        self.follow_symlinks(true)
            .contents_only(true)
            .create_dest_path(true)
            .allow_wildcard(true)
            .allow_empty_wildcard(true)
    }

    /// Resolve symlinks in `src`.
    pub fn follow_symlinks(mut self, yes: bool) -> Self {
        self.follow_symlinks = yes;
        self
    }

    /// When `src` is a directory, copy its contents rather than the directory itself.
    pub fn contents_only(mut self, yes: bool) -> Self {
        self.contents_only = yes;
        self
    }

    /// Unpack archives (`ADD` semantics).
    pub fn attempt_unpack(mut self, yes: bool) -> Self {
        self.attempt_unpack = yes;
        self
    }

    /// Create missing parent directories of `dest`.
    pub fn create_dest_path(mut self, yes: bool) -> Self {
        self.create_dest_path = yes;
        self
    }

    /// Treat `src` as a `filepath.Match` pattern.
    pub fn allow_wildcard(mut self, yes: bool) -> Self {
        self.allow_wildcard = yes;
        self
    }

    /// Do not fail when the pattern matches nothing.
    pub fn allow_empty_wildcard(mut self, yes: bool) -> Self {
        self.allow_empty_wildcard = yes;
        self
    }

    /// Owner of the copied files (`--chown`).
    pub fn owner(mut self, owner: Chown) -> Self {
        self.owner = Some(owner);
        self
    }

    /// Permission bits of the copied files (`--chmod=0755`; 0o7777 bits are sent).
    /// Without it the mode is `-1` (keep), never the proto default 0 (chmod 000).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self.mode_str = None;
        self
    }

    /// Symbolic permissions (`--chmod=u+x`). BuildKit declared the cap
    /// `file.copy.modestring` for this but never registered it, so no daemon advertises
    /// it and a daemon rejects it in metadata. Decision: require the daemon to advertise
    /// it *or* `exec.validexitcode` (registered in the same release, v0.17.0), and record
    /// no cap in the metadata.
    pub fn mode_str(mut self, mode: impl Into<String>) -> Self {
        self.mode_str = Some(mode.into());
        self.mode = None;
        self
    }

    /// Modification time of the copied files, Unix nanoseconds.
    pub fn timestamp(mut self, unix_nanos: i64) -> Self {
        self.timestamp = unix_nanos;
        self
    }

    /// Copy only paths matching these patterns (`file.copy.includeexcludepatterns`,
    /// v0.9+; a v0.8 daemon would silently copy everything, so marshalling refuses).
    pub fn include_patterns<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.include = p.into_iter().map(Into::into).collect();
        self
    }

    /// Skip paths matching these patterns (`COPY --exclude`; same cap as include).
    pub fn exclude_patterns<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.exclude = p.into_iter().map(Into::into).collect();
        self
    }

    /// Paths that must exist among the included ones (`file.copy.requiredpaths`).
    pub fn required_paths<I: IntoIterator<Item = S>, S: Into<String>>(mut self, p: I) -> Self {
        self.required_paths = p.into_iter().map(Into::into).collect();
        self
    }

    /// Replace a destination of a different type instead of failing
    /// (`file.copy.alwaysreplaceexistingdestpaths`).
    pub fn always_replace_existing(mut self, yes: bool) -> Self {
        self.always_replace_existing = yes;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_spec_parses_like_go() {
        assert_eq!(UserSpec::parse("root"), UserSpec::Id(0));
        assert_eq!(UserSpec::parse("1000"), UserSpec::Id(1000));
        assert_eq!(UserSpec::parse("-1"), UserSpec::Id(u32::MAX));
        assert_eq!(UserSpec::parse(""), UserSpec::Id(0));
        assert_eq!(UserSpec::parse("app"), UserSpec::Name("app".to_owned()));
        assert_eq!(
            UserSpec::parse("99999999999"),
            UserSpec::Name("99999999999".to_owned())
        );
    }
}
