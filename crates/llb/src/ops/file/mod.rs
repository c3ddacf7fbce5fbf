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

use crate::caps::{self, Need};
use crate::error::Error;
use crate::marshal::Encoder;
use crate::ops::{write_op, InputList, Node, OpKind, OpMeta, OpOptions};
use crate::paths;
use crate::platform::Platform;
use crate::state::{Output, State};
use crate::wire::Wire;

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
        let cwd = self.base.cwd();
        let mut actions = Vec::with_capacity(self.actions.len());
        for action in self.actions {
            actions.push(freeze(action, cwd, base.as_ref())?);
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
            let src = paths::source_path(a.source.cwd(), &a.src);
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
    pub(crate) fn push_inputs<'a>(&'a self, inputs: &mut Vec<&'a Output>) {
        inputs.extend(&self.base);
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
    }

    pub(crate) fn encode(&self, enc: &Encoder<'_>, needs: &mut Vec<Need>) -> Vec<u8> {
        needs.push(Need::cap(caps::FILE_BASE, "file op"));
        // Pass 1: every input gets its index, so that `len(Op.inputs)` (the offset of
        // action results) is final before any action index is computed.
        let mut inputs = InputList::default();
        let base = self.base.as_ref().map_or(-1, |o| inputs.add(enc.input(o)));
        // Per action: the secondary input and the input that resolves owner names.
        let mut action_inputs: Vec<(i64, i64)> = Vec::with_capacity(self.actions.len());
        for action in &self.actions {
            let secondary = match action {
                FrozenAction::Copy { source, .. } => {
                    source.as_ref().map_or(-1, |o| inputs.add(enc.input(o)))
                }
                _ => -1,
            };
            let names = action
                .owner()
                .and_then(|o| o.names_from.as_ref())
                .map_or(-1, |o| inputs.add(enc.input(o)));
            action_inputs.push((secondary, names));
            action.needs(needs);
        }
        // Pass 2: the actions, chained.
        let offset = inputs.len();
        let last = self.actions.len().saturating_sub(1);
        // File ops are not platform specific (BuildKit HEAD's client sends none unless
        // asked to, see `FileBuilder::platform`).
        write_op(enc, &inputs, 4, self.platform.as_ref(), |w| {
            // pb.FileOp
            for (i, (action, &(secondary, names))) in
                self.actions.iter().zip(&action_inputs).enumerate()
            {
                let input = if i == 0 {
                    base
                } else {
                    offset + super::to_i64(i - 1)
                };
                w.message(2, |w| {
                    // pb.FileAction
                    w.int64(1, input);
                    w.int64(2, secondary);
                    w.int64(3, if i == last { 0 } else { -1 });
                    action.write(w, names);
                });
            }
        })
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

    /// The caps this action relies on.
    fn needs(&self, needs: &mut Vec<Need>) {
        match self {
            FrozenAction::Mkdir { .. } | FrozenAction::Mkfile { .. } => {}
            FrozenAction::Rm(rm) => {
                if rm.allow_wildcard {
                    needs.push(Need::cap(caps::FILE_RM_WILDCARD, "rm with wildcard"));
                }
            }
            FrozenAction::Symlink { .. } => {
                needs.push(Need::cap(caps::FILE_SYMLINK_CREATE, "symlink creation"));
            }
            FrozenAction::Copy { copy, .. } => {
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
            }
        }
    }

    /// The `action` oneof of `pb.FileAction` (tags 4–8). `names` is the input whose
    /// `/etc/passwd` resolves user names.
    fn write(&self, w: &mut Wire, names: i64) {
        let owner = |w: &mut Wire, tag: u32, o: &Option<FrozenChown>| {
            if let Some(o) = o {
                w.message(tag, |w| o.write(w, names));
            }
        };
        match self {
            FrozenAction::Copy {
                src,
                dest,
                owner: chown,
                copy,
                ..
            } => w.message(4, |w| {
                // pb.FileActionCopy
                w.string(1, src);
                w.string(2, dest);
                owner(w, 3, chown);
                w.int32(
                    4,
                    match (copy.mode, &copy.mode_str) {
                        (Some(mode), _) => mode_i32(mode & 0o7777),
                        (None, Some(_)) => 0,
                        (None, None) => -1,
                    },
                );
                w.bool(5, copy.follow_symlinks);
                w.bool(6, copy.contents_only);
                w.bool(7, copy.attempt_unpack);
                w.bool(8, copy.create_dest_path);
                w.bool(9, copy.allow_wildcard);
                w.bool(10, copy.allow_empty_wildcard);
                w.int64(11, copy.timestamp);
                for pattern in &copy.include {
                    w.repeated_string(12, pattern);
                }
                for pattern in &copy.exclude {
                    w.repeated_string(13, pattern);
                }
                w.bool(14, copy.always_replace_existing);
                w.string(15, copy.mode_str.as_deref().unwrap_or_default());
                for path in &copy.required_paths {
                    w.repeated_string(16, path);
                }
            }),
            FrozenAction::Mkfile {
                path,
                mode,
                data,
                owner: chown,
                timestamp,
            } => w.message(5, |w| {
                // pb.FileActionMkFile
                w.string(1, path);
                w.int32(2, mode_i32(*mode));
                w.bytes(3, data);
                owner(w, 4, chown);
                w.int64(5, *timestamp);
            }),
            FrozenAction::Mkdir {
                path,
                mode,
                parents,
                owner: chown,
                timestamp,
            } => w.message(6, |w| {
                // pb.FileActionMkDir
                w.string(1, path);
                w.int32(2, mode_i32(*mode));
                w.bool(3, *parents);
                owner(w, 4, chown);
                w.int64(5, *timestamp);
            }),
            FrozenAction::Rm(rm) => w.message(7, |w| {
                // pb.FileActionRm
                w.string(1, &rm.path);
                w.bool(2, rm.allow_not_found);
                w.bool(3, rm.allow_wildcard);
            }),
            FrozenAction::Symlink {
                target,
                link,
                owner: chown,
                timestamp,
            } => w.message(8, |w| {
                // pb.FileActionSymlink
                w.string(1, target);
                w.string(2, link);
                owner(w, 3, chown);
                w.int64(4, *timestamp);
            }),
        }
    }
}

impl FrozenChown {
    /// `pb.ChownOpt`: user (1) and group (2), each a `pb.UserOpt` whose oneof is a
    /// `NamedUserOpt` (1) or an id (2).
    fn write(&self, w: &mut Wire, names: i64) {
        for (tag, spec) in [(1, &self.user), (2, &self.group)] {
            let Some(spec) = spec else { continue };
            w.message(tag, |w| match spec {
                UserSpec::Name(name) => w.message(1, |w| {
                    w.string(1, name);
                    w.int64(2, names);
                }),
                UserSpec::Id(id) => w.oneof_uint32(2, *id),
            });
        }
    }
}

/// Mode bits are small after masking; the fallback is unreachable.
fn mode_i32(mode: u32) -> i32 {
    i32::try_from(mode).unwrap_or(0o777)
}
