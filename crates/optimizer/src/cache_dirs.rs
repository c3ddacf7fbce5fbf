//! The one table of cache directories `cache-mounts` may mount.
//!
//! End-to-end equivalence tests compare images built with and without dfopt
//! except inside these directories (optimization-safety.md, target
//! equivalence (a)). [`declared_cache_dirs`] lists them for the default
//! locations (root user, official images' environment);
//! [`crate::Optimized::injected_cache_dirs`] gives the exact targets used for
//! one Dockerfile.

use dfopt_dockerfile::instructions::mount::Sharing;

use crate::facts::{normalize, CmdFacts, User};

/// Every cache mount id added by dfopt starts with this.
pub const ID_PREFIX: &str = "dfopt-";

/// Where caches of non-root users are mounted (`<this>/<dir name>`), for
/// tools that take their cache location on the command line. Mounting under
/// the user's home would make BuildKit create the missing parents (such as
/// `~/.cache`) as root-owned directories the user could not write at run time.
pub const NONROOT_BASE: &str = "/var/cache/dfopt";

/// A package manager or build tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    Apt,
    Pip,
    Uv,
    Poetry,
    Npm,
    Yarn,
    Pnpm,
    Go,
    Cargo,
    Maven,
    Gradle,
    Apk,
    Dnf,
    Bundler,
    Composer,
    Dotnet,
    Conda,
}

impl Tool {
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Apt => "apt",
            Tool::Pip => "pip",
            Tool::Uv => "uv",
            Tool::Poetry => "poetry",
            Tool::Npm => "npm",
            Tool::Yarn => "yarn",
            Tool::Pnpm => "pnpm",
            Tool::Go => "go",
            Tool::Cargo => "cargo",
            Tool::Maven => "maven",
            Tool::Gradle => "gradle",
            Tool::Apk => "apk",
            Tool::Dnf => "dnf",
            Tool::Bundler => "bundler",
            Tool::Composer => "composer",
            Tool::Dotnet => "dotnet",
            Tool::Conda => "conda",
        }
    }
}

/// One step of finding a directory; the first that applies wins.
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// `$VAR` + suffix when `VAR` is set and not empty (first entry of a `:` list).
    Env(&'static str, &'static str),
    /// This path when the user is root.
    Root(&'static str),
    /// `$HOME` + suffix.
    Home(&'static str),
}

/// Where a cache directory is.
#[derive(Clone, Copy, Debug)]
pub enum Location {
    Fixed(&'static str),
    Rules(&'static [Rule]),
}

/// A cache directory of a tool.
#[derive(Clone, Copy, Debug)]
pub struct CacheDir {
    /// Short name, part of the mount id (`apt-cache`).
    pub name: &'static str,
    pub tool: Tool,
    pub location: Location,
    pub sharing: Sharing,
    /// Install state rather than a pure cache (its content is read by later
    /// builds steps): mounted on every RUN of the stage family that uses the
    /// tool, or on none (optimization-safety.md §1.3.1).
    pub state: bool,
    /// The tool only works as root (system package managers).
    pub root_only: bool,
    /// Targets for the default environments (root; official images).
    pub defaults: &'static [&'static str],
}

/// The table. Per tool, see optimization-safety.md §1.4.
pub const CACHE_DIRS: [CacheDir; 23] = [
    CacheDir {
        name: "apt-cache",
        tool: Tool::Apt,
        location: Location::Fixed("/var/cache/apt"),
        sharing: Sharing::Locked,
        state: false,
        root_only: true,
        defaults: &["/var/cache/apt"],
    },
    CacheDir {
        name: "apt-lists",
        tool: Tool::Apt,
        location: Location::Fixed("/var/lib/apt/lists"),
        sharing: Sharing::Locked,
        state: false,
        root_only: true,
        defaults: &["/var/lib/apt/lists"],
    },
    CacheDir {
        name: "pip",
        tool: Tool::Pip,
        location: Location::Rules(&[
            Rule::Env("PIP_CACHE_DIR", ""),
            Rule::Env("XDG_CACHE_HOME", "/pip"),
            Rule::Home("/.cache/pip"),
        ]),
        sharing: Sharing::Shared,
        state: false,
        root_only: false,
        defaults: &["/root/.cache/pip"],
    },
    CacheDir {
        name: "uv",
        tool: Tool::Uv,
        location: Location::Rules(&[
            Rule::Env("UV_CACHE_DIR", ""),
            Rule::Env("XDG_CACHE_HOME", "/uv"),
            Rule::Home("/.cache/uv"),
        ]),
        sharing: Sharing::Shared,
        state: false,
        root_only: false,
        defaults: &["/root/.cache/uv"],
    },
    CacheDir {
        name: "poetry-cache",
        tool: Tool::Poetry,
        location: Location::Rules(&[
            Rule::Env("POETRY_CACHE_DIR", "/cache"),
            Rule::Env("XDG_CACHE_HOME", "/pypoetry/cache"),
            Rule::Home("/.cache/pypoetry/cache"),
        ]),
        sharing: Sharing::Shared,
        state: false,
        root_only: false,
        defaults: &["/root/.cache/pypoetry/cache"],
    },
    CacheDir {
        name: "poetry-artifacts",
        tool: Tool::Poetry,
        location: Location::Rules(&[
            Rule::Env("POETRY_CACHE_DIR", "/artifacts"),
            Rule::Env("XDG_CACHE_HOME", "/pypoetry/artifacts"),
            Rule::Home("/.cache/pypoetry/artifacts"),
        ]),
        sharing: Sharing::Shared,
        state: false,
        root_only: false,
        defaults: &["/root/.cache/pypoetry/artifacts"],
    },
    CacheDir {
        name: "npm",
        tool: Tool::Npm,
        location: Location::Rules(&[
            Rule::Env("npm_config_cache", ""),
            Rule::Env("NPM_CONFIG_CACHE", ""),
            Rule::Home("/.npm"),
        ]),
        sharing: Sharing::Shared,
        state: false,
        root_only: false,
        defaults: &["/root/.npm"],
    },
    CacheDir {
        name: "yarn",
        tool: Tool::Yarn,
        location: Location::Rules(&[
            Rule::Env("YARN_CACHE_FOLDER", ""),
            Rule::Root("/usr/local/share/.cache/yarn"),
            Rule::Env("XDG_CACHE_HOME", "/yarn"),
            Rule::Home("/.cache/yarn"),
        ]),
        sharing: Sharing::Locked,
        state: false,
        root_only: false,
        defaults: &["/usr/local/share/.cache/yarn"],
    },
    CacheDir {
        name: "pnpm-store",
        tool: Tool::Pnpm,
        location: Location::Rules(&[
            Rule::Env("npm_config_store_dir", ""),
            Rule::Env("PNPM_HOME", "/store"),
            Rule::Env("XDG_DATA_HOME", "/pnpm/store"),
            Rule::Home("/.local/share/pnpm/store"),
        ]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/root/.local/share/pnpm/store"],
    },
    CacheDir {
        name: "go-build",
        tool: Tool::Go,
        location: Location::Rules(&[
            Rule::Env("GOCACHE", ""),
            Rule::Env("XDG_CACHE_HOME", "/go-build"),
            Rule::Home("/.cache/go-build"),
        ]),
        sharing: Sharing::Shared,
        state: false,
        root_only: false,
        defaults: &["/root/.cache/go-build"],
    },
    CacheDir {
        name: "go-mod",
        tool: Tool::Go,
        location: Location::Rules(&[
            Rule::Env("GOMODCACHE", ""),
            Rule::Env("GOPATH", "/pkg/mod"),
            Rule::Home("/go/pkg/mod"),
        ]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/go/pkg/mod", "/root/go/pkg/mod"],
    },
    CacheDir {
        name: "cargo-registry",
        tool: Tool::Cargo,
        location: Location::Rules(&[
            Rule::Env("CARGO_HOME", "/registry"),
            Rule::Home("/.cargo/registry"),
        ]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/usr/local/cargo/registry", "/root/.cargo/registry"],
    },
    CacheDir {
        name: "cargo-git",
        tool: Tool::Cargo,
        location: Location::Rules(&[Rule::Env("CARGO_HOME", "/git"), Rule::Home("/.cargo/git")]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/usr/local/cargo/git", "/root/.cargo/git"],
    },
    CacheDir {
        name: "maven",
        tool: Tool::Maven,
        location: Location::Rules(&[Rule::Home("/.m2/repository")]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/root/.m2/repository"],
    },
    CacheDir {
        name: "gradle-caches",
        tool: Tool::Gradle,
        location: Location::Rules(&[
            Rule::Env("GRADLE_USER_HOME", "/caches"),
            Rule::Home("/.gradle/caches"),
        ]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/root/.gradle/caches"],
    },
    CacheDir {
        name: "gradle-wrapper",
        tool: Tool::Gradle,
        location: Location::Rules(&[
            Rule::Env("GRADLE_USER_HOME", "/wrapper"),
            Rule::Home("/.gradle/wrapper"),
        ]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/root/.gradle/wrapper"],
    },
    CacheDir {
        name: "apk",
        tool: Tool::Apk,
        location: Location::Fixed("/var/cache/apk"),
        sharing: Sharing::Locked,
        state: false,
        root_only: true,
        defaults: &["/var/cache/apk"],
    },
    CacheDir {
        name: "dnf",
        tool: Tool::Dnf,
        location: Location::Fixed("/var/cache/dnf"),
        sharing: Sharing::Locked,
        state: false,
        root_only: true,
        defaults: &["/var/cache/dnf"],
    },
    CacheDir {
        name: "libdnf5",
        tool: Tool::Dnf,
        location: Location::Fixed("/var/cache/libdnf5"),
        sharing: Sharing::Locked,
        state: false,
        root_only: true,
        defaults: &["/var/cache/libdnf5"],
    },
    // Downloaded `.gem` files of `gem install` and `bundle install` (into
    // `GEM_HOME`); the installed gems are next to it, in `gems/`. Only with
    // a known `GEM_HOME` (the official ruby image sets `/usr/local/bundle`).
    CacheDir {
        name: "gem-cache",
        tool: Tool::Bundler,
        location: Location::Rules(&[Rule::Env("GEM_HOME", "/cache")]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/usr/local/bundle/cache"],
    },
    // Composer's download cache; without `COMPOSER_CACHE_DIR` or
    // `COMPOSER_HOME` its place depends on the image (`/etc/xdg`), so unknown.
    CacheDir {
        name: "composer",
        tool: Tool::Composer,
        location: Location::Rules(&[
            Rule::Env("COMPOSER_CACHE_DIR", ""),
            Rule::Env("COMPOSER_HOME", "/cache"),
        ]),
        sharing: Sharing::Shared,
        state: false,
        root_only: false,
        defaults: &["/tmp/cache"],
    },
    // NuGet's global packages folder: `dotnet build`/`publish` read the
    // packages `dotnet restore` put there.
    CacheDir {
        name: "nuget-packages",
        tool: Tool::Dotnet,
        location: Location::Rules(&[
            Rule::Env("NUGET_PACKAGES", ""),
            Rule::Home("/.nuget/packages"),
        ]),
        sharing: Sharing::Shared,
        state: true,
        root_only: false,
        defaults: &["/root/.nuget/packages"],
    },
    // The package cache of conda/mamba/micromamba (`<root prefix>/pkgs`);
    // environments get copies when it is on another filesystem. Only with a
    // known root prefix (miniforge sets `CONDA_DIR`, the micromamba image
    // `MAMBA_ROOT_PREFIX`).
    CacheDir {
        name: "conda-pkgs",
        tool: Tool::Conda,
        location: Location::Rules(&[
            Rule::Env("CONDA_PKGS_DIRS", ""),
            Rule::Env("MAMBA_ROOT_PREFIX", "/pkgs"),
            Rule::Env("CONDA_DIR", "/pkgs"),
        ]),
        sharing: Sharing::Locked,
        state: true,
        root_only: false,
        defaults: &["/opt/conda/pkgs"],
    },
];

/// Every directory `cache-mounts` mounts under default locations (root user,
/// official images' environment; [`NONROOT_BASE`] for non-root users), sorted.
/// E2E equivalence tests exclude exactly these. BuildKit leaves each mount
/// point in the image as an empty directory, creating missing parents
/// (e.g. `/root/.cache` for `/root/.cache/pip`): a parent whose only content is
/// declared directories is part of the exception too.
pub fn declared_cache_dirs() -> Vec<&'static str> {
    let mut dirs: Vec<&'static str> = CACHE_DIRS
        .iter()
        .flat_map(|d| d.defaults.iter().copied())
        .collect();
    dirs.push(NONROOT_BASE);
    dirs.sort_unstable();
    dirs.dedup();
    dirs
}

/// The entries of a tool.
pub(crate) fn dirs_of(tool: Tool) -> impl Iterator<Item = (usize, &'static CacheDir)> {
    CACHE_DIRS
        .iter()
        .enumerate()
        .filter(move |(_, d)| d.tool == tool)
}

/// Where `dir` is for a command with these facts, or why that is not known.
pub(crate) fn resolve(dir: &CacheDir, facts: &CmdFacts) -> Result<String, String> {
    let rules = match dir.location {
        Location::Fixed(path) => return Ok(path.to_string()),
        Location::Rules(rules) => rules,
    };
    for rule in rules {
        match *rule {
            Rule::Env(var, suffix) => match facts.env.value(var) {
                Ok(Some(v)) if !v.is_empty() => {
                    if var == "GOCACHE" && v == "off" {
                        return Err("`GOCACHE=off` disables the Go build cache".to_string());
                    }
                    let first = if var == "GOPATH" {
                        v.split(':').next().unwrap_or(v)
                    } else {
                        v
                    };
                    if !first.starts_with('/') {
                        return Err(format!("`{var}` is not an absolute path"));
                    }
                    return Ok(normalize(&format!("{first}{suffix}")));
                }
                Ok(_) => {}
                Err(()) => {
                    return Err(format!(
                        "`{var}` is set to a value that is not known before the build"
                    ))
                }
            },
            Rule::Root(path) => {
                if facts.user == User::Root {
                    return Ok(path.to_string());
                }
            }
            Rule::Home(suffix) => {
                return match facts.home() {
                    Some(home) if home.starts_with('/') => Ok(normalize(&format!("{home}{suffix}"))),
                    _ => Err("the user's home directory is not known (a non-root USER without `ENV HOME`)".to_string()),
                };
            }
        }
    }
    let vars: Vec<String> = rules
        .iter()
        .filter_map(|r| match r {
            Rule::Env(v, _) => Some(format!("`{v}`")),
            _ => None,
        })
        .collect();
    Err(format!(
        "none of {} is set, and without them the place depends on the image",
        vars.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_dirs_are_absolute_and_unique() {
        let dirs = declared_cache_dirs();
        assert!(dirs.iter().all(|d| d.starts_with('/') && !d.ends_with('/')));
        assert!(
            dirs.contains(&"/var/cache/apt")
                && dirs.contains(&"/var/lib/apt/lists")
                && dirs.contains(&"/root/.cache/pip")
        );
        let mut names: Vec<_> = CACHE_DIRS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CACHE_DIRS.len());
    }
}
