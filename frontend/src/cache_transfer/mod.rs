//! Cache mounts that survive ephemeral CI runners: export and seed.
//!
//! BuildKit never exports cache mounts with `--cache-to`, so on a fresh CI runner
//! every cache mount (dfopt's apt, pip, npm, go … caches, and the Dockerfile's own)
//! starts empty. dfopt knows every cache mount of the build from the lowered LLB
//! ([`mounts`]), so it can move them in and out itself:
//!
//! * **Export** (`--build-arg DFOPT_CACHE=export -o type=local,dest=DIR`): instead of
//!   the image, the build's result is a directory with one archive per cache and an
//!   index ([`index`]), written by dfopt's cache tool running next to the build
//!   ([`graph`], [`tool`]). Nothing of the image is built.
//! * **Seed** (the normal build plus `--build-context dfopt-cache=DIR`): before the
//!   build's own graph is solved, one tool exec per cache fills that cache from
//!   `DIR` when it is empty. The build's Definition is not touched — the seed is an
//!   input of no step — so every step keeps the cache key it has without the seed,
//!   and a layer cache restored with `--cache-from` still hits.
//!
//! A missing seed (first run, empty directory) or a cache not in it is not an
//! error; a corrupt seed is reported as a build warning and ignored. Only an
//! explicit `DFOPT_CACHE=seed` without the context fails, naming what is missing.

pub mod graph;
pub mod index;
pub mod mounts;
pub mod settings;
pub mod tool;

mod export;
mod seed;

use dfopt_llb::pb;
use tonic::Code;

pub use export::export;
pub use seed::seed;
pub use settings::{Mode, Settings, BUILD_ARG};

use crate::bridge::Bridge;
use crate::caps::{gateway, Caps};
use crate::dockerfile_source::LoadedDockerfile;
use crate::errors::BuildError;
use crate::options::FrontendEnv;

/// The named context a seed comes in (`--build-context dfopt-cache=DIR`).
pub const SEED_CONTEXT: &str = "dfopt-cache";

/// What this build does about cache transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Nothing: the ordinary build.
    Build,
    /// Seed the caches, then the ordinary build.
    Seed,
    /// Only the export (at most `max_size` bytes of archives).
    Export {
        /// The cap, if any.
        max_size: Option<u64>,
    },
}

/// Decides from `DFOPT_CACHE` and the named contexts; an invalid value or an
/// explicit `seed` without the context is an error.
pub fn plan(env: &FrontendEnv) -> Result<Plan, BuildError> {
    let options = &env.options;
    let settings = Settings::parse(options.build_args.get(BUILD_ARG).map(String::as_str))
        .map_err(|message| BuildError::new(message).with_code(Code::InvalidArgument))?;
    let has_seed = options
        .named_contexts
        .keys()
        .any(|key| key == SEED_CONTEXT || key.starts_with(&format!("{SEED_CONTEXT}::")));
    Ok(match settings.mode {
        Mode::Off => Plan::Build,
        Mode::Export => Plan::Export {
            max_size: settings.max_size,
        },
        Mode::Auto if has_seed => Plan::Seed,
        Mode::Auto => Plan::Build,
        Mode::Seed if has_seed => Plan::Seed,
        Mode::Seed => {
            return Err(BuildError::new(format!(
                "{BUILD_ARG}=seed, but the build has no `{SEED_CONTEXT}` named context to seed from: \
                 pass the exported directory with `docker buildx build --build-context {SEED_CONTEXT}=DIR` \
                 (buildx 0.8+) or `buildctl build --local {SEED_CONTEXT}=DIR --opt context:{SEED_CONTEXT}=local:{SEED_CONTEXT}`; \
                 Docker 20.10's `docker build` cannot send named contexts (exporting works there, seeding needs buildx or buildctl)"
            ))
            .with_code(Code::InvalidArgument))
        }
    })
}

/// Tells the user `message` as a build warning (BuildKit v0.10+ `Warn`; the CLI
/// lists it with the build's warnings), and logs it either way.
async fn warn(bridge: &Bridge, caps: &Caps, loaded: &LoadedDockerfile, message: &str) {
    crate::log(format_args!("cache: {message}"));
    if !caps.gateway_supports(gateway::WARNINGS) {
        return;
    }
    let info = pb::SourceInfo {
        filename: loaded.dockerfile.filename.clone(),
        data: loaded.dockerfile.data.clone(),
        definition: Some(loaded.definition.clone()),
        language: "Dockerfile".to_owned(),
    };
    let digest = loaded
        .definition
        .def
        .first()
        .map(|op| dfopt_llb::digest(op))
        .unwrap_or_default();
    let short = format!("dfopt cache: {message}");
    if let Err(error) = bridge
        .warn(&digest, &short, &[], "", info, Vec::new())
        .await
    {
        crate::log(format_args!("Warn failed: {error}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(options: &[(&str, &str)]) -> FrontendEnv {
        let mut vars = vec![("BUILDKIT_SESSION_ID".to_owned(), "s".to_owned())];
        for (i, (k, v)) in options.iter().enumerate() {
            vars.push((format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}")));
        }
        FrontendEnv::from_vars(vars).expect("env")
    }

    #[test]
    fn plans() {
        assert_eq!(plan(&env(&[])).ok(), Some(Plan::Build));
        let seed_context = ("context:dfopt-cache", "local:dfopt-cache");
        assert_eq!(plan(&env(&[seed_context])).ok(), Some(Plan::Seed));
        assert_eq!(
            plan(&env(&[seed_context, ("build-arg:DFOPT_CACHE", "off")])).ok(),
            Some(Plan::Build)
        );
        assert_eq!(
            plan(&env(&[("build-arg:DFOPT_CACHE", "export,max-size=1k")])).ok(),
            Some(Plan::Export {
                max_size: Some(1024)
            })
        );
        let error = plan(&env(&[("build-arg:DFOPT_CACHE", "seed")])).expect_err("missing");
        assert!(
            error.message().contains("--build-context dfopt-cache=DIR"),
            "{}",
            error.message()
        );
        assert!(plan(&env(&[("build-arg:DFOPT_CACHE", "nope")])).is_err());
    }
}
