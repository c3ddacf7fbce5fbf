//! [`State`]: an immutable filesystem value plus the settings later ops inherit.
//!
//! A `State` is what the Dockerfile frontend threads through a stage: the filesystem
//! produced so far (an [`Output`] of some op, or scratch) and the stage settings that
//! `RUN` and `COPY` read (env, working directory, user, platform, …). The `with_*`
//! methods return a new value; their `set_*` twins change a state in place, copying
//! its settings only when they are shared. Clones are two `Arc` bumps. Nothing
//! borrows, so states can be stored in maps, sent across threads and kept for as long
//! as needed.

use std::fmt;
use std::sync::Arc;

use crate::ops::Node;
use crate::paths;
use crate::platform::Platform;

/// One output of one op: the filesystem an op produced at an output index.
///
/// Identity is structural: two outputs of ops with equal content marshal to the same
/// digest and are emitted once, whichever `Arc` they live in.
#[derive(Clone)]
pub struct Output {
    pub(crate) node: Arc<Node>,
    pub(crate) index: u32,
}

impl Output {
    pub(crate) fn new(node: Arc<Node>, index: u32) -> Self {
        Self { node, index }
    }

    /// The output index within its op (0 for everything but exec mounts).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The op's kind: `source`, `exec`, `file`, `merge` or `diff`.
    pub fn op_kind(&self) -> &'static str {
        self.node.kind.name()
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Deliberately shallow: a derived Debug would print the whole graph.
        write!(f, "Output({}[{}]", self.node.kind.name(), self.index)?;
        if let Some(name) = self.node.meta.custom_name() {
            write!(f, " {name:?}")?;
        }
        f.write_str(")")
    }
}

/// Settings that ops built on a state inherit.
///
/// Every setter copies these values, so the env and the platform, which most setters
/// leave alone, are shared behind `Arc`s instead of being copied string by string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateValues {
    pub(crate) env: Arc<Vec<(String, String)>>,
    pub(crate) cwd: String,
    pub(crate) user: String,
    pub(crate) hostname: String,
    pub(crate) extra_hosts: Vec<(String, String)>,
    pub(crate) platform: Option<Arc<Platform>>,
}

impl Default for StateValues {
    fn default() -> Self {
        Self {
            env: Arc::default(),
            cwd: "/".to_owned(),
            user: String::new(),
            hostname: String::new(),
            extra_hosts: Vec::new(),
            platform: None,
        }
    }
}

/// A filesystem (or scratch) plus inherited settings. See the module docs.
#[derive(Clone, Default)]
pub struct State {
    output: Option<Output>,
    values: Arc<StateValues>,
}

impl State {
    /// The empty filesystem with default settings (cwd `/`, user root, no env).
    pub fn scratch() -> Self {
        Self::default()
    }

    pub(crate) fn from_output(output: Output, values: Arc<StateValues>) -> Self {
        Self {
            output: Some(output),
            values,
        }
    }

    /// The same settings on another filesystem.
    pub(crate) fn with_output(&self, output: Option<Output>) -> Self {
        Self {
            output,
            values: Arc::clone(&self.values),
        }
    }

    pub(crate) fn values(&self) -> &Arc<StateValues> {
        &self.values
    }

    /// A copy of this state changed by `set` (each `with_*` is its `set_*` on a copy).
    fn changed(&self, set: impl FnOnce(&mut Self)) -> Self {
        let mut next = self.clone();
        set(&mut next);
        next
    }

    /// Changes the settings in place: they are copied only if another state (or an
    /// op built on this one) still shares them. The `set_*` methods use this so a
    /// caller that replaces its state anyway (the Dockerfile frontend, once per ENV,
    /// WORKDIR, USER, …) does not copy every setting each time.
    fn update_in_place(&mut self, f: impl FnOnce(&mut StateValues)) {
        f(Arc::make_mut(&mut self.values));
    }

    /// The op output this state's filesystem is, or `None` for scratch.
    pub fn output(&self) -> Option<&Output> {
        self.output.as_ref()
    }

    /// Whether the filesystem is empty.
    pub fn is_scratch(&self) -> bool {
        self.output.is_none()
    }

    /// Sets `key=value`. An existing key is removed first and the pair appended, as the
    /// Go client does, so the env order (which is part of an exec's digest) matches.
    pub fn with_env(&self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.changed(|s| s.set_env(key, value))
    }

    /// [`State::with_env`] in place (see [`State::set_dir`]).
    pub fn set_env(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        self.update_in_place(|v| push_env(Arc::make_mut(&mut v.env), key, value));
    }

    /// [`State::with_env`] for each pair in order, as one update.
    pub fn with_envs<I, K, V>(&self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.changed(|s| s.set_envs(vars))
    }

    /// [`State::with_envs`] in place (see [`State::set_dir`]).
    pub fn set_envs<I, K, V>(&mut self, vars: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.update_in_place(|v| {
            let env = Arc::make_mut(&mut v.env);
            for (key, value) in vars {
                push_env(env, key.into(), value.into());
            }
        });
    }

    /// Removes `key` from the env.
    pub fn without_env(&self, key: &str) -> Self {
        self.changed(|s| s.update_in_place(|v| Arc::make_mut(&mut v.env).retain(|(k, _)| k != key)))
    }

    /// The env, in order.
    pub fn env(&self) -> &[(String, String)] {
        &self.values.env
    }

    /// One env value.
    pub fn get_env(&self, key: &str) -> Option<&str> {
        self.values
            .env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Changes the working directory; a relative `dir` is resolved against the current
    /// one (like `WORKDIR`). The result is always absolute and clean.
    pub fn with_cwd(&self, dir: &str) -> Self {
        let cwd = paths::absolute(&self.values.cwd, dir, false);
        self.changed(|s| s.update_in_place(|v| v.cwd = cwd))
    }

    /// Changes the working directory exactly as the Go client's `llb.Dir` does: an
    /// absolute `dir` is kept as written (not cleaned: `/app/` stays `/app/`, and the
    /// exec's cwd, which is part of its cache key, says so); a relative one is joined
    /// with the current directory and cleaned.
    pub fn with_dir(&self, dir: &str) -> Self {
        self.changed(|s| s.set_dir(dir))
    }

    /// [`State::with_dir`] in place: for a caller that would replace its state with
    /// the result anyway, this copies the other settings only if they are shared.
    pub fn set_dir(&mut self, dir: &str) {
        let cwd = self.dir_value(dir);
        self.update_in_place(|v| v.cwd = cwd);
    }

    /// The working directory [`State::with_dir`] sets.
    fn dir_value(&self, dir: &str) -> String {
        if dir.starts_with('/') {
            dir.to_owned()
        } else {
            let prev = if self.values.cwd.is_empty() {
                "/"
            } else {
                self.values.cwd.as_str()
            };
            paths::join(&[prev, dir])
        }
    }

    /// The working directory (absolute).
    pub fn cwd(&self) -> &str {
        &self.values.cwd
    }

    /// Sets the user execs run as (`""` = root; `uid[:gid]` or names).
    pub fn with_user(&self, user: impl Into<String>) -> Self {
        self.changed(|s| s.set_user(user))
    }

    /// [`State::with_user`] in place (see [`State::set_dir`]).
    pub fn set_user(&mut self, user: impl Into<String>) {
        let user = user.into();
        self.update_in_place(|v| v.user = user);
    }

    /// The user.
    pub fn user(&self) -> &str {
        &self.values.user
    }

    /// Sets the hostname execs see.
    pub fn with_hostname(&self, hostname: impl Into<String>) -> Self {
        self.changed(|s| s.set_hostname(hostname))
    }

    /// [`State::with_hostname`] in place (see [`State::set_dir`]).
    pub fn set_hostname(&mut self, hostname: impl Into<String>) {
        let hostname = hostname.into();
        self.update_in_place(|v| v.hostname = hostname);
    }

    /// The hostname (empty = daemon default).
    pub fn hostname(&self) -> &str {
        &self.values.hostname
    }

    /// Adds an `/etc/hosts` entry for execs (`--add-host`).
    pub fn with_extra_host(&self, host: impl Into<String>, ip: impl Into<String>) -> Self {
        let entry = (host.into(), ip.into());
        self.changed(|s| s.update_in_place(|v| v.extra_hosts.push(entry)))
    }

    /// The extra hosts, in order.
    pub fn extra_hosts(&self) -> &[(String, String)] {
        &self.values.extra_hosts
    }

    /// Sets the platform execs run for.
    pub fn with_platform(&self, platform: Platform) -> Self {
        self.changed(|s| s.set_platform(platform))
    }

    /// [`State::with_platform`] in place (see [`State::set_dir`]).
    pub fn set_platform(&mut self, platform: Platform) {
        self.update_in_place(|v| v.platform = Some(Arc::new(platform)));
    }

    /// The platform, if set.
    pub fn platform(&self) -> Option<&Platform> {
        self.values.platform.as_deref()
    }

    /// The platform, shared.
    pub(crate) fn shared_platform(&self) -> Option<Arc<Platform>> {
        self.values.platform.clone()
    }
}

/// Sets `key=value` in an env: an existing key is removed and the pair appended (see
/// [`State::with_env`]).
fn push_env(env: &mut Vec<(String, String)>, key: String, value: String) {
    env.retain(|(k, _)| *k != key);
    env.push((key, value));
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("output", &self.output)
            .field("cwd", &self.values.cwd)
            .field("user", &self.values.user)
            .field("env", &self.values.env)
            .field("platform", &self.values.platform)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_replaces_by_moving_to_the_end() {
        let s = State::scratch()
            .with_env("A", "1")
            .with_env("B", "2")
            .with_env("A", "3");
        assert_eq!(
            s.env(),
            [
                ("B".to_owned(), "2".to_owned()),
                ("A".to_owned(), "3".to_owned())
            ]
        );
        assert_eq!(s.get_env("A"), Some("3"));
        let many = State::scratch().with_envs([("A", "1"), ("B", "2"), ("A", "3")]);
        assert_eq!(many.env(), s.env());
        assert_eq!(s.without_env("A").get_env("A"), None);
        let mut in_place = State::scratch();
        in_place.set_env("A", "1");
        in_place.set_envs([("B", "2"), ("A", "3")]);
        assert_eq!(in_place.env(), s.env());
    }

    #[test]
    fn setters_in_place_leave_shared_copies_alone() {
        let before = State::scratch().with_dir("/app").with_user("u");
        let mut s = before.clone();
        s.set_dir("x/");
        s.set_user("root");
        s.set_hostname("h");
        s.set_platform(Platform::new("linux", "arm64"));
        assert_eq!(s.cwd(), before.with_dir("x/").cwd());
        assert_eq!((s.user(), s.hostname()), ("root", "h"));
        assert_eq!(s.platform().map(|p| p.architecture.as_str()), Some("arm64"));
        assert_eq!(
            (before.cwd(), before.user(), before.hostname()),
            ("/app", "u", "")
        );
        assert!(before.platform().is_none());
    }

    #[test]
    fn cwd_resolves_relative_dirs() {
        let s = State::scratch().with_cwd("app").with_cwd("../srv/./x/");
        assert_eq!(s.cwd(), "/srv/x");
    }
}
