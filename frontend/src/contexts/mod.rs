//! Where a build's files come from: the build context, the Dockerfile and the named
//! contexts, as BuildKit's Dockerfile frontend decides it (v0.8.3
//! `builder/build.go`; HEAD `dockerui/context.go`, `dockerui/namedcontext.go`).
//!
//! * No `context` option: the client's directories (`local://context`,
//!   `local://dockerfile`), unless the daemon has frontend inputs named `context` /
//!   `dockerfile` (buildx can send them; Docker 20.10 never does).
//! * A git URL: the checkout is the context and holds the Dockerfile.
//! * Another HTTP(S) URL: the download is fetched as the file `context`; if its first
//!   1024 bytes look like an archive ([`archive::is_archive`]) it is unpacked onto
//!   scratch and that is both the context and where the Dockerfile is read; otherwise
//!   the download *is* the Dockerfile (read as `context`, whatever `filename` says) and
//!   the context is the download itself, a directory holding one file, `context`.
//! * `dockerfilekey` keeps the Dockerfile local whatever the context is.
//! * `contextsubdir` scopes a non-local context (remote or input) to a directory;
//!   BuildKit ignores it for the client's directory (both v0.8.3 and HEAD), and so do
//!   we. The Dockerfile is read before the scoping, relative to the repository root.
//! * A non-local context has no `.dockerignore` handling (v0.8.3 reads it but applies
//!   it only to a local context; HEAD does not read it).
//!
//! The conversion always reads `local://<contextkey>` and `docker-image://<name>`;
//! [`BuildContexts::apply`] swaps in the real sources afterwards ([`crate::splice`]).

pub mod archive;
pub mod named;
pub mod remote;
pub mod stage_override;

use std::collections::BTreeMap;

use dfopt_llb::{pb, Local, Platform, State};

use crate::bridge::{Bridge, ResolvedImage};
use crate::caps::{gateway, Caps};
use crate::errors::BuildError;
use crate::lowering::{ImageKey, Lowered};
use crate::options::{FrontendEnv, RemoteContext};
use crate::splice;
use named::NamedContexts;
use remote::GitContext;

/// The frontend input names BuildKit uses for the Dockerfile and the context.
const INPUT_DOCKERFILE: &str = "dockerfile";
const INPUT_CONTEXT: &str = "context";

/// The sources of one build.
#[derive(Debug)]
pub struct BuildContexts {
    /// The graph that replaces the conversion's `local://<contextkey>`; `None` when the
    /// context is the client's directory.
    pub main: Option<pb::Definition>,
    /// The graph the Dockerfile is read from; `None` for the `dockerfile` local.
    pub dockerfile: Option<pb::Definition>,
    /// A file name that replaces the `filename` option (`context` for a downloaded
    /// plain Dockerfile).
    pub filename: Option<String>,
    /// Named contexts.
    pub named: NamedContexts,
}

impl BuildContexts {
    /// Decides the build's sources. For an HTTP(S) context this downloads it (a
    /// `Solve` and a 1024-byte `ReadFile`) to tell an archive from a Dockerfile.
    pub async fn prepare(
        bridge: &Bridge,
        caps: &Caps,
        env: &FrontendEnv,
    ) -> Result<Self, BuildError> {
        let options = &env.options;
        let mut main = None;
        let mut dockerfile = None;
        let mut filename = None;
        match &options.remote_context {
            Some(RemoteContext::Git(url)) => {
                let name = format!("[internal] load git source {url}");
                let checkout =
                    GitContext::parse(url)?.state(&name, options.context_keep_git_dir, caps)?;
                let definition = marshal(&checkout, caps)?;
                crate::log(format_args!("build context: git {url}"));
                dockerfile = Some(definition.clone());
                main = Some(definition);
            }
            Some(RemoteContext::Http(url)) => {
                let (context, is_archive) = download(bridge, caps, url).await?;
                crate::log(format_args!(
                    "build context: {} from {url}",
                    if is_archive { "archive" } else { "Dockerfile" }
                ));
                if !is_archive {
                    filename = Some(remote::HTTP_CONTEXT_FILENAME.to_owned());
                }
                dockerfile = Some(context.clone());
                main = Some(context);
            }
            None => {}
        }
        let wants_inputs = options.remote_context.is_none() || NamedContexts::uses_inputs(options);
        let mut inputs = BTreeMap::new();
        if wants_inputs && caps.gateway_supports(gateway::FRONTEND_INPUTS) {
            inputs = bridge.inputs().await.map_err(|error| {
                BuildError::new(format!("failed to get frontend inputs: {error}"))
                    .with_code(error.code())
            })?;
            if options.remote_context.is_none() {
                dockerfile = inputs.get(INPUT_DOCKERFILE).cloned();
                main = inputs.get(INPUT_CONTEXT).cloned();
            }
        }
        if options.force_local_dockerfile {
            dockerfile = None;
        }
        match (&main, options.context_subdir.as_deref()) {
            (Some(context), Some(dir)) => {
                crate::log(format_args!("build context: scoped to {dir}"));
                let scoped = wrap(context, caps, |placeholder| {
                    remote::scope_to_subdir(placeholder, dir)
                })?;
                main = Some(scoped);
            }
            (None, Some(_)) => crate::log(format_args!(
                "ignoring contextsubdir for the client's directory, as BuildKit does"
            )),
            _ => {}
        }
        let named = NamedContexts::new(options, &env.session_id, caps, inputs);
        Ok(Self {
            main,
            dockerfile,
            filename,
            named,
        })
    }

    /// Whether the context is the client's directory (then its `.dockerignore` applies).
    pub fn context_is_local(&self) -> bool {
        self.main.is_none()
    }

    /// The image config the conversion gets for `key` when `key` names a named context
    /// (or a replaced stage); `None` for an ordinary image.
    pub async fn resolve(
        &self,
        bridge: &Bridge,
        key: &ImageKey,
        default_platform: &Platform,
    ) -> Result<Option<ResolvedImage>, BuildError> {
        if self.named.is_empty() {
            return Ok(None);
        }
        let platform = key
            .platform
            .clone()
            .unwrap_or_else(|| default_platform.clone());
        let Some(spec) = self.spec_for(&key.reference, &platform)? else {
            return Ok(None);
        };
        let loaded = self.named.load(bridge, &spec, &platform).await?;
        Ok(Some(ResolvedImage {
            digest: None,
            config: loaded.config_for_lowering(&platform)?,
        }))
    }

    /// `lowered` with the client's context and every named-context image replaced by
    /// their real sources.
    pub async fn apply(
        &self,
        bridge: &Bridge,
        caps: &Caps,
        context_key: &str,
        default_platform: &Platform,
        mut lowered: Lowered,
    ) -> Result<Lowered, BuildError> {
        let local_context = format!("local://{context_key}");
        let entries =
            splice::source_ops(&lowered.definition).map_err(|e| BuildError::new(e.to_string()))?;
        let mut replacements = BTreeMap::new();
        for entry in entries {
            if entry.source.identifier == local_context {
                if let Some(main) = &self.main {
                    replacements.insert(entry.digest, main.clone());
                }
                continue;
            }
            let Some(reference) = entry.source.identifier.strip_prefix("docker-image://") else {
                continue;
            };
            if self.named.is_empty() {
                continue;
            }
            let platform = entry
                .platform
                .as_ref()
                .map(|p| {
                    Platform::new(p.os.clone(), p.architecture.clone())
                        .with_variant(p.variant.clone())
                })
                .unwrap_or_else(|| default_platform.clone());
            if let Some(spec) = self.spec_for(reference, &platform)? {
                let loaded = self.named.load(bridge, &spec, &platform).await?;
                replacements.insert(entry.digest, loaded.graph(caps)?);
            }
        }
        if replacements.is_empty() {
            return Ok(lowered);
        }
        lowered.definition = splice::splice(&lowered.definition, &replacements)
            .map_err(|error| BuildError::new(error.to_string()))?;
        lowered.image_config = named::scrub_placeholder_layer(&lowered.image_config);
        Ok(lowered)
    }

    /// The named context for an image reference on a platform. A replaced stage
    /// whose context does not apply to the platform it is built for is an error (the
    /// stage was rewritten for another platform's key).
    fn spec_for(
        &self,
        reference: &str,
        platform: &Platform,
    ) -> Result<Option<named::Spec>, BuildError> {
        let Some(name) = named::context_name(reference) else {
            return Ok(None);
        };
        let spec = self.named.find(&name, platform);
        if spec.is_none() && reference.starts_with(named::STAGE_PLACEHOLDER_DOMAIN) {
            return Err(BuildError::new(format!(
                "stage {name} is replaced by a named context, but none applies to platform {}",
                crate::platform::format(platform)
            )));
        }
        Ok(spec)
    }
}

/// Downloads an HTTP(S) context and sniffs it: (the context graph, whether it was an
/// archive).
async fn download(
    bridge: &Bridge,
    caps: &Caps,
    url: &str,
) -> Result<(pb::Definition, bool), BuildError> {
    let fetched = remote::http_state(url, "[internal] load remote build context")?;
    let definition = marshal(&fetched, caps)?;
    let reference = bridge.solve(definition.clone()).await.map_err(|error| {
        BuildError::new(format!("failed to resolve httpcontext: {error}")).with_code(error.code())
    })?;
    let header = bridge
        .read_file_prefix(
            &reference,
            remote::HTTP_CONTEXT_FILENAME,
            archive::HEADER_LENGTH,
        )
        .await
        .map_err(|error| {
            BuildError::new(format!("failed to read downloaded context: {error}"))
                .with_code(error.code())
        })?
        .ok_or_else(|| {
            BuildError::new("failed to read downloaded context: the download has no file")
        })?;
    if archive::is_archive(&header) {
        Ok((marshal(&remote::unpack(&fetched)?, caps)?, true))
    } else {
        Ok((definition, false))
    }
}

fn marshal(state: &State, caps: &Caps) -> Result<pb::Definition, BuildError> {
    state
        .marshal(&caps.llb)
        .map_err(|error| BuildError::new(format!("failed to marshal the build context: {error}")))
}

/// The name of the stand-in source [`wrap`] builds on.
const PLACEHOLDER_LOCAL: &str = "dfopt-splice-placeholder";

/// Builds `build(<state of definition>)` for a graph that only exists as a
/// Definition: `build` gets a placeholder source, which is then replaced by the
/// graph.
fn wrap(
    definition: &pb::Definition,
    caps: &Caps,
    build: impl FnOnce(&State) -> Result<State, BuildError>,
) -> Result<pb::Definition, BuildError> {
    let placeholder = Local::new(PLACEHOLDER_LOCAL)
        .map_err(|error| BuildError::new(error.to_string()))?
        .build();
    let built = marshal(&build(&placeholder)?, caps)?;
    let identifier = format!("local://{PLACEHOLDER_LOCAL}");
    let replacements: BTreeMap<String, pb::Definition> = splice::source_ops(&built)
        .map_err(|error| BuildError::new(error.to_string()))?
        .into_iter()
        .filter(|entry| entry.source.identifier == identifier)
        .map(|entry| (entry.digest, definition.clone()))
        .collect();
    splice::splice(&built, &replacements).map_err(|error| BuildError::new(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfopt_llb::CapSet;

    #[test]
    fn wrap_puts_the_graph_under_the_new_ops() {
        let caps = Caps {
            gateway: CapSet::from_iter(["solve.base"]),
            llb: CapSet::buildkit_v0_8(),
        };
        let http = marshal(
            &remote::http_state("https://h/x.tgz", "n").expect("http"),
            &caps,
        )
        .expect("marshal");
        let scoped = wrap(&http, &caps, |s| remote::scope_to_subdir(s, "sub")).expect("wrap");
        let identifiers: Vec<String> = splice::source_ops(&scoped)
            .expect("ops")
            .into_iter()
            .map(|e| e.source.identifier)
            .collect();
        assert_eq!(identifiers, ["https://h/x.tgz"]);
        assert_eq!(scoped.def.len(), 3, "http, copy, terminal");
        assert!(dfopt_llb::validate(&scoped).is_ok());
    }
}
