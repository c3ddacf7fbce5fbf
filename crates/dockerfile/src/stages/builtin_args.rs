//! The ARGs a Dockerfile does not declare but sees, and the ones it declares
//! that never reach a RUN's environment.
//!
//! BuildKit predefines the platform args (`BUILDPLATFORM`, `TARGETOS`, …) and
//! `TARGETSTAGE` in the global scope (`defaultArgs`), each overridable by a
//! build-arg; a few build options are ARGs that never become variables
//! (`nonEnvArgs`); dfopt adds its own switch, the `DFOPT` build-arg, which must
//! not reach a RUN either, or switching passes would change cache keys.

use std::collections::BTreeMap;

use super::scope::Vars;

/// The build-arg that selects dfopt's rewrite passes (`DFOPT=off`,
/// `DFOPT=-merge-runs`, …). Its grammar belongs to the optimizer's `Settings`;
/// the name lives here, the lowest layer, so every crate names it the same.
pub const DFOPT: &str = "DFOPT";

/// BuildKit's `nonEnvArgs`: ARGs that configure the build and never become
/// variables of a RUN.
pub const BUILDKIT_NON_ENV_ARGS: [&str; 2] =
    ["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"];

/// Which ARGs stay out of the environment: BuildKit's own list, and for dfopt's
/// builds also [`DFOPT`]. The build checks model BuildKit's lint, which knows no
/// `DFOPT`, so they ask without it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonEnvArgs {
    /// BuildKit's `nonEnvArgs` only.
    BuildKit,
    /// BuildKit's list and [`DFOPT`].
    WithDfopt,
}

impl NonEnvArgs {
    /// Whether an ARG of this name never becomes a variable.
    pub fn contains(self, name: &str) -> bool {
        BUILDKIT_NON_ENV_ARGS.contains(&name) || (self == NonEnvArgs::WithDfopt && name == DFOPT)
    }
}

/// `system.DefaultPathEnv(os)`: the `PATH` an image without one gets (the
/// config of `FROM scratch`, a base image whose config sets none).
pub fn default_path(os: &str) -> &'static str {
    if os == "windows" {
        "c:\\Windows\\System32;c:\\Windows"
    } else {
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    }
}

/// One platform as the predefined ARGs spell it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArgPlatform {
    /// `BUILDPLATFORM`/`TARGETPLATFORM`: the formatted platform.
    pub platform: String,
    pub os: String,
    pub architecture: String,
    pub variant: String,
}

impl ArgPlatform {
    /// From its parts; `platform` is formatted by the caller (the converter and
    /// the checks format a platform without an OS differently).
    pub fn new(platform: String, os: &str, architecture: &str, variant: &str) -> ArgPlatform {
        ArgPlatform {
            platform,
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            variant: variant.to_owned(),
        }
    }

    /// From an `os/arch[/variant]` string as given (not normalised).
    pub fn from_spec(spec: &str) -> ArgPlatform {
        let mut parts = spec.split('/');
        ArgPlatform {
            platform: spec.to_owned(),
            os: parts.next().unwrap_or("").to_owned(),
            architecture: parts.next().unwrap_or("").to_owned(),
            variant: parts.next().unwrap_or("").to_owned(),
        }
    }
}

/// The names of the platform args BuildKit predefines, in its order (without
/// the `…OSVERSION` ones, which BuildKit added later).
pub const PLATFORM_ARG_NAMES: [&str; 8] = [
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// The build platform's args: platform, OS, OS version, architecture, variant.
const BUILD_ARGS: [&str; 5] = [
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDOSVERSION",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// The target platform's args, as [`BUILD_ARGS`].
const TARGET_ARGS: [&str; 5] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETOSVERSION",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// BuildKit's `defaultArgs`: what the global scope starts with.
#[derive(Clone, Debug, Default)]
pub struct PredefinedArgs {
    /// The build platform; `None`: unknown, its args are not defined.
    pub build: Option<ArgPlatform>,
    /// The target platform; `None`: unknown, its args are not defined.
    pub target: Option<ArgPlatform>,
    /// `TARGETSTAGE` (see [`target_stage`]); `None`: not defined (BuildKit
    /// v0.8 had none; lowering for it still defines it, see the converter).
    pub target_stage: Option<String>,
    /// Define `BUILDOSVERSION` and `TARGETOSVERSION` (empty), as current
    /// BuildKit does.
    pub os_version: bool,
}

impl PredefinedArgs {
    /// The predefined args in BuildKit's order, each replaced by a build-arg of
    /// the same name when `overrides` has one (`None`: no overriding, for a
    /// caller that applies build-args later or not at all).
    pub fn list(
        &self,
        overrides: Option<&BTreeMap<String, String>>,
    ) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let sides = [(&self.build, BUILD_ARGS), (&self.target, TARGET_ARGS)];
        for (platform, [name, os, os_version, arch, variant]) in sides {
            if let Some(p) = platform {
                out.push((name, p.platform.clone()));
                out.push((os, p.os.clone()));
                if self.os_version {
                    out.push((os_version, String::new()));
                }
                out.push((arch, p.architecture.clone()));
                out.push((variant, p.variant.clone()));
            }
        }
        if let Some(stage) = &self.target_stage {
            out.push(("TARGETSTAGE", stage.clone()));
        }
        if let Some(overrides) = overrides {
            for (key, value) in &mut out {
                if let Some(given) = overrides.get(*key) {
                    value.clone_from(given);
                }
            }
        }
        out
    }

    /// [`PredefinedArgs::list`] as variables.
    pub fn vars(&self, overrides: Option<&BTreeMap<String, String>>) -> Vars {
        let mut vars = Vars::default();
        for (key, value) in self.list(overrides) {
            vars.set(key, &value);
        }
        vars
    }
}

/// `TARGETSTAGE`: the `--target` if given, else the last stage's name, else
/// `default`.
pub fn target_stage(target: Option<&str>, last_stage_name: Option<&str>) -> String {
    match super::lookup::target_stage_name(target, last_stage_name) {
        "" => "default".to_owned(),
        name => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_args_in_buildkit_order_with_overrides() {
        let args = PredefinedArgs {
            build: Some(ArgPlatform::from_spec("linux/amd64")),
            target: Some(ArgPlatform::from_spec("linux/arm/v7")),
            target_stage: Some(target_stage(None, Some("final"))),
            os_version: true,
        };
        let overrides = BTreeMap::from([("TARGETOS".to_owned(), "freebsd".to_owned())]);
        let list = args.list(Some(&overrides));
        let names: Vec<&str> = list.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "BUILDPLATFORM",
                "BUILDOS",
                "BUILDOSVERSION",
                "BUILDARCH",
                "BUILDVARIANT",
                "TARGETPLATFORM",
                "TARGETOS",
                "TARGETOSVERSION",
                "TARGETARCH",
                "TARGETVARIANT",
                "TARGETSTAGE"
            ]
        );
        let vars = args.vars(Some(&overrides));
        assert_eq!(vars.get("TARGETOS"), Some("freebsd"));
        assert_eq!(vars.get("TARGETVARIANT"), Some("v7"));
        assert_eq!(vars.get("TARGETSTAGE"), Some("final"));
        let without = PredefinedArgs {
            os_version: false,
            ..args
        };
        let names: Vec<&str> = without.list(None).iter().map(|(k, _)| *k).collect();
        assert_eq!(&names[..8], PLATFORM_ARG_NAMES);
    }

    #[test]
    fn non_env_args_and_default_path() {
        assert!(NonEnvArgs::BuildKit.contains("BUILDKIT_SBOM_SCAN_STAGE"));
        assert!(!NonEnvArgs::BuildKit.contains(DFOPT));
        assert!(NonEnvArgs::WithDfopt.contains(DFOPT));
        assert_eq!(target_stage(Some(""), None), "default");
        assert_eq!(
            default_path("linux"),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        );
        assert!(default_path("windows").starts_with("c:\\"));
    }
}
