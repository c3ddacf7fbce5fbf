//! Reading the Dockerfile and `.dockerignore` from the client, exactly as BuildKit's
//! Dockerfile frontend does (v0.8.3 `builder/build.go`).
//!
//! The client's session exposes two directories, the `dockerfile` local (the directory
//! of `-f`) and the `context` local (the build context). Each is read by solving a
//! `local://` source that transfers only a few named files (`local.followpaths`) and
//! then calling `ReadFile`:
//!
//! * `local://dockerfile` with followpaths `[<filename>, <filename>.dockerignore]`,
//!   plus the lowercase fallback `dockerfile` when the basename is `Dockerfile`
//!   (moby/moby#10858); shared key hint `dockerfile`.
//! * `local://context` with followpaths `[".dockerignore"]`; shared key hint
//!   `context-.dockerignore`.
//!
//! On a daemon whose builtin frontend is BuildKit v0.25's ([`Dialect`]), both sources
//! also carry `local.differ=none` as that frontend sends them: the transfer key differs
//! with the attribute, and without it the Dockerfile would be transferred (and shown)
//! a second time.
//!
//! `<filename>.dockerignore` next to the Dockerfile wins over the context's
//! `.dockerignore`. The two reads run concurrently. The shared key hints and names
//! equal BuildKit's, so the daemon reuses the transfers the built-in frontend (which
//! ran before us when `# syntax=` forwarded here) already made.
//!
//! With a remote context or a `dockerfile` frontend input ([`BuildContexts`]) the
//! Dockerfile is read from that graph instead, in the same way (lowercase fallback,
//! `<filename>.dockerignore`), and the context's `.dockerignore` is not read: BuildKit
//! applies ignore files only to the client's directory.

use dfopt_convert::Dialect;
use dfopt_llb::{pb, Differ, Local, OpOptions};

use crate::bridge::Bridge;
use crate::caps::Caps;
use crate::contexts::BuildContexts;
use crate::dockerignore;
use crate::errors::BuildError;
use crate::gopath;
use crate::lowering::DockerfileSource;
use crate::options::FrontendOptions;

/// Basename that gets the lowercase fallback.
const DEFAULT_BASENAME: &str = "Dockerfile";
/// The context's ignore file.
const DOCKERIGNORE: &str = ".dockerignore";

/// The Dockerfile and the exclude patterns that apply to the build context.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedDockerfile {
    /// The Dockerfile.
    pub dockerfile: DockerfileSource,
    /// Parsed `.dockerignore` patterns (empty if there is none).
    pub dockerignore: Vec<String>,
    /// Whether an ignore file applies (`<filename>.dockerignore` or the context's
    /// `.dockerignore`); `None` when only the Dockerfile's own one could be looked
    /// for (the context is not the client's directory) and there is none.
    pub has_dockerignore: Option<bool>,
    /// The Definition of the `local://dockerfile` source the Dockerfile was read
    /// from (BuildKit's source map names it; the lint answer includes it).
    pub definition: pb::Definition,
}

/// Reads the Dockerfile named by `options.filename` (or the name `contexts` imposes)
/// and the applicable `.dockerignore`. `session_id` is `BUILDKIT_SESSION_ID`.
pub async fn load(
    bridge: &Bridge,
    caps: &Caps,
    options: &FrontendOptions,
    session_id: &str,
    contexts: &BuildContexts,
) -> Result<LoadedDockerfile, BuildError> {
    let filename = contexts
        .filename
        .as_deref()
        .unwrap_or(options.filename.as_str());
    let read_dockerfile = async {
        let definition = match &contexts.dockerfile {
            Some(graph) => graph.clone(),
            None => local_dockerfile_source(caps, options, session_id, filename)?,
        };
        read_dockerfile_from(bridge, definition, filename).await
    };
    let read_ignore = async {
        if contexts.context_is_local() {
            read_context_dockerignore(bridge, caps, options, session_id).await
        } else {
            Ok(None)
        }
    };
    let (dockerfile, context_ignore) = tokio::join!(read_dockerfile, read_ignore);
    let (data, own_ignore, definition) = dockerfile?;
    let context_ignore = context_ignore?;
    let ignore = own_ignore.or(context_ignore);
    let has_dockerignore = if ignore.is_some() {
        Some(true)
    } else {
        contexts.context_is_local().then_some(false)
    };
    Ok(LoadedDockerfile {
        // The source map keeps the requested name even after the lowercase fallback,
        // as BuildKit does.
        dockerfile: DockerfileSource::new(filename, data),
        dockerignore: ignore
            .as_deref()
            .map(dockerignore::parse)
            .unwrap_or_default(),
        has_dockerignore,
        definition,
    })
}

/// The paths transferred from the `dockerfile` local.
pub fn dockerfile_follow_paths(filename: &str) -> Vec<String> {
    let mut paths = vec![filename.to_owned(), format!("{filename}{DOCKERIGNORE}")];
    if let Some(fallback) = lowercase_fallback(filename) {
        paths.push(fallback);
    }
    paths
}

/// `dir/dockerfile` when the basename is `Dockerfile`.
fn lowercase_fallback(filename: &str) -> Option<String> {
    (gopath::base(filename) == DEFAULT_BASENAME)
        .then(|| gopath::join(&[&gopath::dir(filename), &DEFAULT_BASENAME.to_lowercase()]))
}

/// The `local://dockerfile` source that transfers the Dockerfile and its ignore file.
fn local_dockerfile_source(
    caps: &Caps,
    options: &FrontendOptions,
    session_id: &str,
    filename: &str,
) -> Result<pb::Definition, BuildError> {
    let mut local = Local::new(options.dockerfile_key.clone())
        .map_err(|error| BuildError::new(format!("invalid dockerfilekey: {error}")))?
        .follow_paths(dockerfile_follow_paths(filename))
        .shared_key_hint(options.dockerfile_key.clone())
        .custom_name(format!("[internal] load build definition from {filename}"));
    if !session_id.is_empty() {
        local = local.session(session_id);
    }
    local = with_builtin_differ(local, caps);
    let mut definition = local
        .build()
        .marshal(&caps.llb)
        .map_err(|error| BuildError::new(format!("failed to marshal local source: {error}")))?;
    join_load_group(&mut definition, filename);
    Ok(definition)
}

/// `local.differ=none` where the daemon's builtin frontend sends it (BuildKit v0.25's
/// `llb.Differ(llb.DiffNone, false)`: not required, so no cap is recorded).
fn with_builtin_differ(local: Local, caps: &Caps) -> Local {
    match Dialect::for_caps(&caps.llb) {
        Dialect::BuildKitV0_8 => local,
        Dialect::BuildKitV0_25 => local.differ(Differ::None),
    }
}

/// Solves `definition`; returns the Dockerfile, `<filename>.dockerignore` and the
/// Definition.
async fn read_dockerfile_from(
    bridge: &Bridge,
    definition: pb::Definition,
    filename: &str,
) -> Result<(Vec<u8>, Option<Vec<u8>>, pb::Definition), BuildError> {
    let reference = bridge.solve(definition.clone()).await.map_err(|error| {
        BuildError::new(format!("failed to resolve dockerfile: {error}")).with_code(error.code())
    })?;

    let read_error = |error: crate::bridge::BridgeError| {
        BuildError::new(format!("failed to read dockerfile: {error}")).with_code(error.code())
    };
    let mut data = bridge
        .read_file(&reference, filename)
        .await
        .map_err(read_error)?;
    if data.is_none() {
        if let Some(fallback) = lowercase_fallback(filename) {
            data = bridge
                .read_file(&reference, &fallback)
                .await
                .map_err(read_error)?;
        }
    }
    let Some(data) = data else {
        return Err(BuildError::new(format!(
            "failed to read dockerfile: open {filename}: no such file or directory"
        )));
    };

    let ignore_path = format!("{filename}{DOCKERIGNORE}");
    let ignore = optional_read(bridge, &reference, &ignore_path).await;
    Ok((data, ignore, definition))
}

/// Solves the `context` local for its `.dockerignore` only.
async fn read_context_dockerignore(
    bridge: &Bridge,
    caps: &Caps,
    options: &FrontendOptions,
    session_id: &str,
) -> Result<Option<Vec<u8>>, BuildError> {
    let key = &options.context_key;
    let mut local = Local::new(key.clone())
        .map_err(|error| BuildError::new(format!("invalid contextkey: {error}")))?
        .follow_paths([DOCKERIGNORE])
        .shared_key_hint(format!("{key}-{DOCKERIGNORE}"))
        .custom_name(format!("[internal] load {DOCKERIGNORE}"));
    if !session_id.is_empty() {
        local = local.session(session_id);
    }
    local = with_builtin_differ(local, caps);
    let definition = local
        .build()
        .marshal(&caps.llb)
        .map_err(|error| BuildError::new(format!("failed to marshal local source: {error}")))?;
    let reference = bridge.solve(definition).await.map_err(|error| {
        BuildError::new(format!("failed to load {DOCKERIGNORE}: {error}")).with_code(error.code())
    })?;
    Ok(optional_read(bridge, &reference, DOCKERIGNORE).await)
}

/// Reads a file whose absence is normal. Like BuildKit, any failure counts as "absent"
/// (logged, since a transfer error would otherwise go unnoticed).
async fn optional_read(bridge: &Bridge, reference: &str, path: &str) -> Option<Vec<u8>> {
    match bridge.read_file(reference, path).await {
        Ok(data) => data,
        Err(error) => {
            crate::log(format_args!("ignoring unreadable {path}: {error}"));
            None
        }
    }
}

/// The progress group of the "load build definition" step. buildx's progress
/// printer shows a step's warnings only together with a later progress update of
/// that step, and a finished step gets none: BuildKit's own frontend warns within
/// moments of reading the Dockerfile, usually before the printer shows the step,
/// while ours come after image resolution. In a group, the step's warnings belong
/// to the group, and any new member updates it, so [`show`] can have them printed
/// beside the step whenever they arrive. The group has the step's own name, so the
/// output reads as BuildKit's.
const LOAD_GROUP_ID: &str = "dfopt-load-build-definition";

/// The progress group of the step that reads `filename`.
fn load_group(filename: &str) -> pb::ProgressGroup {
    pb::ProgressGroup {
        id: LOAD_GROUP_ID.to_owned(),
        name: format!("[internal] load build definition from {filename}"),
        weak: false,
    }
}

/// Puts the first op of `definition` (the source the Dockerfile is read from) in the
/// load step's progress group.
pub(crate) fn join_load_group(definition: &mut pb::Definition, filename: &str) {
    let Some(op) = definition.def.first() else {
        return;
    };
    let digest = dfopt_llb::digest(op);
    definition
        .metadata
        .entry(digest)
        .or_default()
        .progress_group = Some(load_group(filename));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_paths_with_fallback() {
        assert_eq!(
            dockerfile_follow_paths("Dockerfile"),
            ["Dockerfile", "Dockerfile.dockerignore", "dockerfile"]
        );
        assert_eq!(
            dockerfile_follow_paths("sub/Dockerfile"),
            [
                "sub/Dockerfile",
                "sub/Dockerfile.dockerignore",
                "sub/dockerfile"
            ]
        );
        assert_eq!(
            dockerfile_follow_paths("Dockerfile.dev"),
            ["Dockerfile.dev", "Dockerfile.dev.dockerignore"]
        );
    }
}
