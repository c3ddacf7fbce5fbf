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
}
