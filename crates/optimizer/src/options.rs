//! What the caller knows about the build besides the Dockerfile text.

use std::collections::BTreeMap;

/// Inputs that passes may use. Everything is optional: without image
/// configs, passes assume what the official images do and say so in their
/// change records.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The stage to build (`--target`); `None` builds the last stage.
    pub target: Option<String>,
    /// Build-args, for expanding global ARGs in `FROM` (image names, platforms)
    /// and ARG values.
    pub build_args: BTreeMap<String, String>,
    /// `build_args` holds every build-arg of the build (true in the frontend).
    /// When false, an ARG value a build-arg could still set counts as unknown.
    pub complete_build_args: bool,
    /// The platform built for, `os/arch[/variant]` (e.g. `linux/amd64`).
    /// Cache ids carry it; when it is unknown, `cache-mounts` adds no mount
    /// (it says so) rather than bake a guess into the id.
    pub target_platform: Option<String>,
    /// The platform of the builder, for `FROM --platform=$BUILDPLATFORM`
    /// (when unknown, such stages' cache ids say `buildplatform`: it is the
    /// same for every build on one builder).
    pub build_platform: Option<String>,
    /// The config of the external base image of a stage, by stage index,
    /// when the caller has resolved it.
    pub images: BTreeMap<usize, ImageInfo>,
    /// What the caller read from the build context for the passes that decide
    /// from file contents ([`crate::context_queries`] says what to read).
    pub context: ContextFacts,
}

/// Facts read from the build context, as the build will see it (after
/// `.dockerignore`). Paths are relative to the context root, `/`-separated,
/// without a leading `./` (`requirements.txt`, `app/package.json`; `""` is the root).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextFacts {
    /// Whether the caller can read the build context at all. When false, a pass
    /// that needs context facts does not fire (and says why in a report).
    pub available: bool,
    /// Contents of the files read; `None`: not a regular file of the context.
    pub files: BTreeMap<String, Option<Vec<u8>>>,
    /// Entry names of the directories listed (a subdirectory's name ends with
    /// `/`); `None`: not a directory of the context.
    pub dirs: BTreeMap<String, Option<Vec<String>>>,
}

impl ContextFacts {
    /// Whether `query` has an answer.
    pub fn answers(&self, query: &ContextQuery) -> bool {
        match query {
            ContextQuery::File(path) => self.files.contains_key(path),
            ContextQuery::Dir(path) => self.dirs.contains_key(path),
        }
    }
}

/// A fact a pass needs from the build context. The caller answers every query
/// (into [`ContextFacts`]) and asks again, until no new query comes: an answer
/// can raise more (a requirements file that includes another).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContextQuery {
    /// The contents of a file.
    File(String),
    /// The entries of a directory.
    Dir(String),
}

/// The parts of an image config the passes use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// `Config.User` (empty: root).
    pub user: String,
    /// `Config.Env`, `KEY=value` entries.
    pub env: Vec<String>,
    /// `Config.WorkingDir` (empty: `/`).
    pub working_dir: String,
    /// `Config.Shell` (empty: `/bin/sh -c`).
    pub shell: Vec<String>,
    /// The image's OS (`linux`, `windows`); empty when unknown.
    pub os: String,
    /// `Config.OnBuild`: the triggers BuildKit runs at the start of a stage
    /// built on the image.
    pub on_build: Vec<String>,
}
