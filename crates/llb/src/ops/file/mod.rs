//! File ops: mkdir, mkfile, rm, symlink and copy, several chained in one op.
//!
//! Index rules of `FileAction` (the other easy-to-get-wrong part of LLB):
//!
//! * `0..len(Op.inputs)` name the op's inputs; `len(Op.inputs) + j` names the result of
//!   action `j` (which must come earlier); `-1` is scratch / none;
//! * the first action works on the base state's input (or `-1` for scratch), every
//!   later one on the previous action's result;
//! * `secondaryInput` is the copy source for copies and `-1` for everything else
//!   (proto3's default 0 would name an input, or with no inputs, action 0: a loop);
//! * `output` is `-1` for every action but the last, which is `0` (the default 0 on
//!   two actions would be "duplicate output 0").

use std::sync::Arc;

use bollard_buildkit_proto::pb;

use crate::caps::{self, Need};
use crate::error::Error;
use crate::marshal::Encoder;
use crate::ops::{empty_constraints, Encoded, InputList, Node, OpKind, OpMeta, OpOptions};
use crate::paths;
use crate::platform::Platform;
use crate::state::{Output, State};

mod actions;

pub use actions::{Chown, FileCopy, Mkdir, Mkfile, Rm, Symlink, UserSpec};

#[derive(Debug, Clone)]
enum Action {
    Mkdir(Mkdir),
    Mkfile(Mkfile),
    Rm(Rm),
    Symlink(Symlink),
    Copy(FileCopy),
}

/// Builder for a file op; start with [`State::file`].
#[derive(Debug, Clone)]
pub struct FileBuilder {
    base: State,
    actions: Vec<Action>,
    platform: Option<Platform>,
    meta: OpMeta,
}

impl State {
    /// Starts a file op whose actions apply, in order, to this state.
    pub fn file(&self) -> FileBuilder {
        FileBuilder {
            base: self.clone(),
            actions: Vec::new(),
            platform: None,
            meta: OpMeta::default(),
        }
    }
}

impl FileBuilder {
    /// Appends a mkdir.
    pub fn mkdir(mut self, action: Mkdir) -> Self {
        self.actions.push(Action::Mkdir(action));
        self
    }

    /// Appends a mkfile.
    pub fn mkfile(mut self, action: Mkfile) -> Self {
        self.actions.push(Action::Mkfile(action));
        self
    }

    /// Appends an rm.
    pub fn rm(mut self, action: Rm) -> Self {
        self.actions.push(Action::Rm(action));
        self
    }

    /// Appends a symlink.
    pub fn symlink(mut self, action: Symlink) -> Self {
        self.actions.push(Action::Symlink(action));
        self
    }

    /// Appends a copy.
    pub fn copy(mut self, action: FileCopy) -> Self {
        self.actions.push(Action::Copy(action));
        self
    }

    /// Record `platform` on the op. File ops are not platform specific and BuildKit
    /// HEAD's client sends none, but the Go client up to v0.9 did (the base state's
    /// platform, or the marshal default): a frontend that wants byte-identical ops
    /// (same vertex digests) as Docker 20.10's sets it.
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Freezes the op; the result keeps the base state's settings. Fails without
    /// actions, or when an owner name would be resolved against scratch.
    pub fn build(self) -> Result<State, Error> {
        if self.actions.is_empty() {
            return Err(Error::NoFileActions);
        }
        let base = self.base.output().cloned();
        let cwd = self.base.cwd().to_owned();
        let mut actions = Vec::with_capacity(self.actions.len());
        for action in self.actions {
            actions.push(freeze(action, &cwd, base.as_ref())?);
        }
        let node = Arc::new(Node {
            kind: OpKind::File(FileOp {
                base,
                actions,
                platform: self.platform,
            }),
            meta: self.meta,
        });
        Ok(self.base.with_output(Some(Output::new(node, 0))))
    }
}

impl OpOptions for FileBuilder {
    fn op_meta(&mut self) -> &mut OpMeta {
        &mut self.meta
    }
}

#[derive(Debug)]
struct FrozenChown {
    user: Option<UserSpec>,
    group: Option<UserSpec>,
    /// The output whose `/etc/passwd` resolves names; `None` when there are no names.
    names_from: Option<Output>,
}

fn freeze_chown(chown: Option<Chown>, base: Option<&Output>) -> Result<Option<FrozenChown>, Error> {
    let Some(chown) = chown else {
        return Ok(None);
    };
    let names_from = if chown.has_names() {
        let from = match &chown.names_from {
            Some(state) => state.output().cloned(),
            None => base.cloned(),
        };
        let name = [&chown.user, &chown.group]
            .into_iter()
            .find_map(|u| match u {
                Some(UserSpec::Name(n)) => Some(n.clone()),
                _ => None,
            })
            .unwrap_or_default();
        Some(from.ok_or(Error::NamedOwnerOnScratch(name))?)
    } else {
        None
    };
    Ok(Some(FrozenChown {
        user: chown.user,
        group: chown.group,
        names_from,
    }))
}

#[derive(Debug)]
enum FrozenAction {
    Mkdir {
        path: String,
        mode: u32,
        parents: bool,
        owner: Option<FrozenChown>,
        timestamp: i64,
    },
    Mkfile {
        path: String,
        mode: u32,
        data: Vec<u8>,
        owner: Option<FrozenChown>,
        timestamp: i64,
    },
    Rm(Rm),
    Symlink {
        target: String,
        link: String,
        owner: Option<FrozenChown>,
        timestamp: i64,
    },
    Copy {
        source: Option<Output>,
        src: String,
        dest: String,
        owner: Option<FrozenChown>,
        copy: Box<FileCopy>,
    },
}

fn freeze(action: Action, cwd: &str, base: Option<&Output>) -> Result<FrozenAction, Error> {
    Ok(match action {
        Action::Mkdir(a) => FrozenAction::Mkdir {
            path: paths::absolute(cwd, &a.path, false),
            mode: a.mode & 0o777,
            parents: a.parents,
            owner: freeze_chown(a.owner, base)?,
            timestamp: a.timestamp,
        },
        Action::Mkfile(a) => FrozenAction::Mkfile {
            path: paths::absolute(cwd, &a.path, false),
            mode: a.mode & 0o777,
            owner: freeze_chown(a.owner, base)?,
            data: a.data,
            timestamp: a.timestamp,
        },
        Action::Rm(a) => FrozenAction::Rm(Rm {
            path: paths::absolute(cwd, &a.path, false),
            ..a
        }),
        Action::Symlink(a) => FrozenAction::Symlink {
            link: paths::absolute(cwd, &a.link, false),
            owner: freeze_chown(a.owner, base)?,
            target: a.target,
            timestamp: a.timestamp,
        },
        Action::Copy(mut a) => {
            // BuildKit's `sourcePath`: clean, then join with the source's cwd if relative.
            let cleaned = paths::clean(&a.src);
            let src = if cleaned.starts_with('/') {
                cleaned
            } else {
                paths::join(&[a.source.cwd(), &cleaned])
            };
            let owner = freeze_chown(a.owner.take(), base)?;
            FrozenAction::Copy {
                source: a.source.output().cloned(),
                dest: paths::absolute(cwd, &a.dest, true),
                src,
                owner,
                copy: Box::new(a),
            }
        }
    })
}

/// A frozen file op.
#[derive(Debug)]
pub(crate) struct FileOp {
    base: Option<Output>,
    actions: Vec<FrozenAction>,
    platform: Option<Platform>,
}

impl FileOp {
    pub(crate) fn inputs(&self) -> Vec<&Output> {
        let mut inputs: Vec<&Output> = self.base.iter().collect();
        for action in &self.actions {
            if let FrozenAction::Copy {
                source: Some(s), ..
            } = action
            {
                inputs.push(s);
            }
            if let Some(from) = action.owner().and_then(|o| o.names_from.as_ref()) {
                inputs.push(from);
            }
        }
        inputs
    }

    pub(crate) fn encode(&self, enc: &Encoder<'_>) -> Encoded {
        let mut needs = vec![Need::cap(caps::FILE_BASE, "file op")];
        // Pass 1: every input gets its index, so that `len(Op.inputs)` (the offset of
        // action results) is final before any action index is computed.
        let mut inputs = InputList::default();
        let base = self.base.as_ref().map_or(-1, |o| inputs.add(enc.input(o)));
        let mut secondary = Vec::with_capacity(self.actions.len());
        let mut name_inputs = Vec::with_capacity(self.actions.len());
        for action in &self.actions {
            secondary.push(match action {
                FrozenAction::Copy { source, .. } => {
                    source.as_ref().map_or(-1, |o| inputs.add(enc.input(o)))
                }
                _ => -1,
            });
            name_inputs.push(
                action
                    .owner()
                    .and_then(|o| o.names_from.as_ref())
                    .map_or(-1, |o| inputs.add(enc.input(o))),
            );
        }
        // Pass 2: the actions, chained.
        let offset = inputs.len();
        let last = self.actions.len().saturating_sub(1);
        let mut actions = Vec::with_capacity(self.actions.len());
        for (i, action) in self.actions.iter().enumerate() {
            let input = if i == 0 {
                base
            } else {
                offset + super::to_i64(i - 1)
            };
            let names = name_inputs.get(i).copied().unwrap_or(-1);
            actions.push(pb::FileAction {
                input,
                secondary_input: secondary.get(i).copied().unwrap_or(-1),
                output: if i == last { 0 } else { -1 },
                action: Some(action.encode(names, &mut needs)),
            });
        }
        Encoded {
            op: pb::Op {
                inputs: inputs.into_vec(),
                op: Some(pb::op::Op::File(pb::FileOp { actions })),
                // File ops are not platform specific (BuildKit HEAD's client sends
                // none unless asked to, see `FileBuilder::platform`).
                platform: self.platform.as_ref().map(Platform::to_pb),
                constraints: empty_constraints(),
            },
            needs,
        }
    }
}

impl FrozenAction {
    fn owner(&self) -> Option<&FrozenChown> {
        match self {
            FrozenAction::Mkdir { owner, .. }
            | FrozenAction::Mkfile { owner, .. }
            | FrozenAction::Symlink { owner, .. }
            | FrozenAction::Copy { owner, .. } => owner.as_ref(),
            FrozenAction::Rm(_) => None,
        }
    }

    fn encode(&self, names: i64, needs: &mut Vec<Need>) -> pb::file_action::Action {
        use pb::file_action::Action as A;
        let chown = |o: &Option<FrozenChown>| o.as_ref().map(|o| o.encode(names));
        match self {
            FrozenAction::Mkdir {
                path,
                mode,
                parents,
                owner,
                timestamp,
            } => A::Mkdir(pb::FileActionMkDir {
                path: path.clone(),
                mode: mode_i32(*mode),
                make_parents: *parents,
                owner: chown(owner),
                timestamp: *timestamp,
            }),
            FrozenAction::Mkfile {
                path,
                mode,
                data,
                owner,
                timestamp,
            } => A::Mkfile(pb::FileActionMkFile {
                path: path.clone(),
                mode: mode_i32(*mode),
                data: data.clone(),
                owner: chown(owner),
                timestamp: *timestamp,
            }),
            FrozenAction::Rm(rm) => {
                if rm.allow_wildcard {
                    needs.push(Need::cap(caps::FILE_RM_WILDCARD, "rm with wildcard"));
                }
                A::Rm(pb::FileActionRm {
                    path: rm.path.clone(),
                    allow_not_found: rm.allow_not_found,
                    allow_wildcard: rm.allow_wildcard,
                })
            }
            FrozenAction::Symlink {
                target,
                link,
                owner,
                timestamp,
            } => {
                needs.push(Need::cap(caps::FILE_SYMLINK_CREATE, "symlink creation"));
                A::Symlink(pb::FileActionSymlink {
                    oldpath: target.clone(),
                    newpath: link.clone(),
                    owner: chown(owner),
                    timestamp: *timestamp,
                })
            }
            FrozenAction::Copy {
                src,
                dest,
                owner,
                copy,
                ..
            } => {
                if !copy.include.is_empty() || !copy.exclude.is_empty() {
                    needs.push(Need::cap(
                        caps::FILE_COPY_INCLUDE_EXCLUDE_PATTERNS,
                        "copy include/exclude patterns",
                    ));
                }
                if !copy.required_paths.is_empty() {
                    needs.push(Need::cap(
                        caps::FILE_COPY_REQUIRED_PATHS,
                        "copy required paths",
                    ));
                }
                if copy.always_replace_existing {
                    needs.push(Need::cap(
                        caps::FILE_COPY_ALWAYS_REPLACE_EXISTING_DEST_PATHS,
                        "copy replacing existing destination paths",
                    ));
                }
                if copy.mode_str.is_some() {
                    needs.push(Need::Gate {
                        any_of: &[caps::FILE_COPY_MODE_STRING, caps::EXEC_VALID_EXIT_CODE],
                        feature: "symbolic copy mode",
                    });
                }
                A::Copy(pb::FileActionCopy {
                    src: src.clone(),
                    dest: dest.clone(),
                    owner: chown(owner),
                    mode: match (copy.mode, &copy.mode_str) {
                        (Some(mode), _) => mode_i32(mode & 0o7777),
                        (None, Some(_)) => 0,
                        (None, None) => -1,
                    },
                    follow_symlink: copy.follow_symlinks,
                    dir_copy_contents: copy.contents_only,
                    attempt_unpack_docker_compatibility: copy.attempt_unpack,
                    create_dest_path: copy.create_dest_path,
                    allow_wildcard: copy.allow_wildcard,
                    allow_empty_wildcard: copy.allow_empty_wildcard,
                    timestamp: copy.timestamp,
                    include_patterns: copy.include.clone(),
                    exclude_patterns: copy.exclude.clone(),
                    always_replace_existing_dest_paths: copy.always_replace_existing,
                    mode_str: copy.mode_str.clone().unwrap_or_default(),
                    required_paths: copy.required_paths.clone(),
                })
            }
        }
    }
}

impl FrozenChown {
    fn encode(&self, names: i64) -> pb::ChownOpt {
        let user = |u: &Option<UserSpec>| {
            u.as_ref().map(|u| pb::UserOpt {
                user: Some(match u {
                    UserSpec::Id(id) => pb::user_opt::User::ById(*id),
                    UserSpec::Name(name) => pb::user_opt::User::ByName(pb::NamedUserOpt {
                        name: name.clone(),
                        input: names,
                    }),
                }),
            })
        };
        pb::ChownOpt {
            user: user(&self.user),
            group: user(&self.group),
        }
    }
}

/// Mode bits are small after masking; the fallback is unreachable.
fn mode_i32(mode: u32) -> i32 {
    i32::try_from(mode).unwrap_or(0o777)
}
