//! `local://` sources: directories the client exposes over the session.

use std::collections::BTreeMap;

use crate::caps::{self, Need};
use crate::error::Error;
use crate::json;
use crate::ops::source::OptionalAttr;
use crate::ops::source::{source_state, SourceOp};
use crate::ops::{OpMeta, OpOptions};
use crate::state::{State, StateValues};

/// How the daemon compares files of a local source with its previous copy
/// (`local.differ`, BuildKit v0.9+).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Differ {
    /// Always transfer every file.
    None,
    /// Compare metadata only (the default behaviour of newer daemons).
    Metadata,
}

/// A `local://` source: a directory the client exposes over the session
/// (`context`, `dockerfile`, …).
#[derive(Debug, Clone)]
pub struct Local {
    name: String,
    session: Option<String>,
    unique: Option<String>,
    include: Vec<String>,
    exclude: Vec<String>,
    follow: Vec<String>,
    shared_key_hint: Option<String>,
    differ: Option<Differ>,
    meta: OpMeta,
}

impl Local {
    /// The local directory named `name`.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        if name.is_empty() {
            return Err(Error::InvalidSource(
                "local source name is empty".to_owned(),
            ));
        }
        Ok(Self {
            name,
            session: None,
            unique: None,
            include: Vec::new(),
            exclude: Vec::new(),
            follow: Vec::new(),
            shared_key_hint: None,
            differ: None,
            meta: OpMeta::default(),
        })
    }

    /// The session that exposes the directory (`local.session`; the frontend passes
    /// `BUILDKIT_SESSION_ID`).
    pub fn session(mut self, session_id: impl Into<String>) -> Self {
        self.session = Some(session_id.into());
        self
    }

    /// A value that makes this source distinct from otherwise equal ones
    /// (`local.unique`). The Go client invents a random one when there is no session;
    /// we never invent values, so pass one if you need it.
    pub fn unique(mut self, unique_id: impl Into<String>) -> Self {
        self.unique = Some(unique_id.into());
        self
    }

    /// Transfer only paths matching these patterns (`local.includepattern`).
    pub fn include_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.include = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Do not transfer paths matching these patterns (`local.excludepatterns`,
    /// i.e. `.dockerignore`).
    pub fn exclude_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exclude = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Transfer these paths, following symlinks (`local.followpaths`).
    pub fn follow_paths<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.follow = paths.into_iter().map(Into::into).collect();
        self
    }

    /// A key under which the daemon keeps the previous transfer for incremental
    /// syncs (`local.sharedkeyhint`).
    pub fn shared_key_hint(mut self, hint: impl Into<String>) -> Self {
        self.shared_key_hint = Some(hint.into());
        self
    }

    /// `local.differ`. Fallback: a daemon without `source.local.differ` does not get the
    /// attribute at all (it is an optimisation hint, and BuildKit's own degradation plan
    /// is to omit it).
    pub fn differ(mut self, differ: Differ) -> Self {
        self.differ = Some(differ);
        self
    }

    /// The directory's contents as a state.
    pub fn build(self) -> State {
        let mut attrs = BTreeMap::new();
        let mut needs = Vec::new();
        let mut set = |key: &str, value: String, cap, feature| {
            attrs.insert(key.to_owned(), value);
            needs.push(Need::cap(cap, feature));
        };
        if let Some(session) = self.session {
            set(
                "local.session",
                session,
                caps::SOURCE_LOCAL_SESSION_ID,
                "local source session id",
            );
        }
        if let Some(unique) = self.unique {
            set(
                "local.unique",
                unique,
                caps::SOURCE_LOCAL_UNIQUE,
                "local source unique id",
            );
        }
        if !self.include.is_empty() {
            let value = json::string_array(&self.include);
            set(
                "local.includepattern",
                value,
                caps::SOURCE_LOCAL_INCLUDE_PATTERNS,
                "local source include patterns",
            );
        }
        if !self.follow.is_empty() {
            let value = json::string_array(&self.follow);
            set(
                "local.followpaths",
                value,
                caps::SOURCE_LOCAL_FOLLOW_PATHS,
                "local source follow paths",
            );
        }
        if !self.exclude.is_empty() {
            let value = json::string_array(&self.exclude);
            set(
                "local.excludepatterns",
                value,
                caps::SOURCE_LOCAL_EXCLUDE_PATTERNS,
                "local source exclude patterns",
            );
        }
        if let Some(hint) = self.shared_key_hint {
            set(
                "local.sharedkeyhint",
                hint,
                caps::SOURCE_LOCAL_SHARED_KEY_HINT,
                "local source shared key hint",
            );
        }
        needs.push(Need::cap(caps::SOURCE_LOCAL, "local source"));
        let optional_attrs = self
            .differ
            .map(|differ| OptionalAttr {
                cap: caps::SOURCE_LOCAL_DIFFER,
                key: "local.differ",
                value: match differ {
                    Differ::None => "none",
                    Differ::Metadata => "metadata",
                },
                feature: "local source differ",
            })
            .into_iter()
            .collect();
        let op = SourceOp {
            identifier: format!("local://{}", self.name),
            attrs,
            needs,
            optional_attrs,
            platform: None,
        };
        source_state(op, self.meta, StateValues::default())
    }
}

impl OpOptions for Local {
    fn op_meta(&mut self) -> &mut OpMeta {
        &mut self.meta
    }
}
