//! Recognising package-manager calls in simple commands, and where their caches
//! are: the optimizer's table ([`dfopt_optimizer::cache_dirs`]), not a copy.

use dfopt_optimizer::cache_dirs::{self, CacheDir, CACHE_DIRS};

use super::shell::SimpleCommand;

/// A dependency installer or build tool a rule cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Installer {
    Apt,
    Pip,
    Npm,
    Yarn,
    Pnpm,
    Go,
    Cargo,
    Bundle,
    Composer,
    Poetry,
    Pipenv,
}

impl Installer {
    /// The tool whose cache directories the optimizer's table lists, if it does.
    pub fn cache_tool(self) -> Option<cache_dirs::Tool> {
        Some(match self {
            Installer::Apt => cache_dirs::Tool::Apt,
            Installer::Pip => cache_dirs::Tool::Pip,
            Installer::Npm => cache_dirs::Tool::Npm,
            Installer::Yarn => cache_dirs::Tool::Yarn,
            Installer::Pnpm => cache_dirs::Tool::Pnpm,
            Installer::Go => cache_dirs::Tool::Go,
            Installer::Cargo => cache_dirs::Tool::Cargo,
            Installer::Poetry => cache_dirs::Tool::Poetry,
            Installer::Bundle | Installer::Composer | Installer::Pipenv => return None,
        })
    }

    /// The cache directories of the installer in the optimizer's table.
    pub fn cache_dirs(self) -> Vec<&'static CacheDir> {
        let Some(tool) = self.cache_tool() else {
            return Vec::new();
        };
        CACHE_DIRS.iter().filter(|d| d.tool == tool).collect()
    }
}

/// The cache directory named `name` in the optimizer's table (`apt-lists`).
pub fn cache_dir(name: &str) -> Option<&'static CacheDir> {
    CACHE_DIRS.iter().find(|d| d.name == name)
}

/// A recognised call: the tool and the words as written, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub tool: Installer,
    /// `pip install`, `go mod download`, …
    pub what: String,
}

const APT_OPTIONS_WITH_VALUE: [&str; 6] = [
    "-o",
    "-c",
    "-t",
    "--option",
    "--config-file",
    "--target-release",
];

/// `pip`, `pip3`, `pip3.12`.
fn is_pip(program: &str) -> bool {
    program
        .strip_prefix("pip")
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_python(program: &str) -> bool {
    program
        .strip_prefix("python")
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// `apt-get|apt|aptitude <sub>`.
pub fn apt_subcommand(c: &SimpleCommand) -> Option<&str> {
    matches!(c.program(), "apt-get" | "apt" | "aptitude")
        .then(|| c.subcommand(&APT_OPTIONS_WITH_VALUE))
        .flatten()
}

pub fn is_apt_install(c: &SimpleCommand) -> bool {
    matches!(
        apt_subcommand(c),
        Some("install" | "upgrade" | "dist-upgrade" | "full-upgrade" | "build-dep")
    )
}

pub fn is_apt_update(c: &SimpleCommand) -> bool {
    apt_subcommand(c) == Some("update")
}

/// `pip install …` or `python -m pip install …` (also `uv pip install`): the
/// install's arguments after `install`.
pub fn pip_install_args(c: &SimpleCommand) -> Option<&[String]> {
    let w = &c.words;
    let at = if is_pip(c.program()) {
        1
    } else if is_python(c.program()) {
        let m = w.iter().position(|x| x == "-m")?;
        if !w.get(m + 1).is_some_and(|x| is_pip(x)) {
            return None;
        }
        m + 2
    } else if c.program() == "uv" && w.get(1).map(String::as_str) == Some("pip") {
        2
    } else {
        return None;
    };
    // Skip global options before the subcommand (`pip --quiet install`).
    let rest = w.get(at..)?;
    let sub = rest.iter().position(|x| !x.starts_with('-'))?;
    (rest[sub] == "install").then(|| &rest[sub + 1..])
}

/// Every dependency-installing call of `c` (one at most).
pub fn install_call(c: &SimpleCommand) -> Option<Call> {
    let sub = c.subcommand(&[]);
    let call = |tool, what: &str| {
        Some(Call {
            tool,
            what: what.to_string(),
        })
    };
    if is_apt_install(c) {
        return call(Installer::Apt, &format!("{} install", c.program()));
    }
    if pip_install_args(c).is_some() {
        return call(Installer::Pip, "pip install");
    }
    match (c.program(), sub) {
        ("npm", Some(s @ ("install" | "i" | "ci" | "add"))) => {
            call(Installer::Npm, &format!("npm {s}"))
        }
        ("yarn", None) => call(Installer::Yarn, "yarn"),
        ("yarn", Some(s @ ("install" | "add"))) => call(Installer::Yarn, &format!("yarn {s}")),
        ("pnpm", Some(s @ ("install" | "i" | "add" | "fetch"))) => {
            call(Installer::Pnpm, &format!("pnpm {s}"))
        }
        ("go", Some("mod")) if c.words.get(2).map(String::as_str) == Some("download") => {
            call(Installer::Go, "go mod download")
        }
        ("go", Some(s @ ("get" | "build" | "install" | "test"))) => {
            call(Installer::Go, &format!("go {s}"))
        }
        ("cargo", Some(s @ ("fetch" | "build" | "install"))) => {
            call(Installer::Cargo, &format!("cargo {s}"))
        }
        ("bundle", Some("install")) | ("bundle", None) => call(Installer::Bundle, "bundle install"),
        ("composer", Some("install")) => call(Installer::Composer, "composer install"),
        ("poetry", Some("install")) => call(Installer::Poetry, "poetry install"),
        ("pipenv", Some("install" | "sync")) => call(Installer::Pipenv, "pipenv install"),
        _ => None,
    }
}

/// A step that downloads (or builds) a tool's dependencies from the manifests
/// alone, so that a later install or build of the same tool after the whole
/// context was copied finds them already there: `cargo chef cook`, `cargo fetch`,
/// `pnpm fetch`, `go mod download`.
pub fn prefetch(c: &SimpleCommand) -> Option<Installer> {
    match (c.program(), c.subcommand(&[])) {
        ("cargo", Some("chef")) if c.words.get(2).map(String::as_str) == Some("cook") => {
            Some(Installer::Cargo)
        }
        ("cargo", Some("fetch")) => Some(Installer::Cargo),
        ("pnpm", Some("fetch")) => Some(Installer::Pnpm),
        ("go", Some("mod")) if c.words.get(2).map(String::as_str) == Some("download") => {
            Some(Installer::Go)
        }
        _ => None,
    }
}

/// The paths `rm` removes (non-option arguments), or nothing for other programs.
pub fn removed_paths(c: &SimpleCommand) -> Vec<&str> {
    if c.program() != "rm" {
        return Vec::new();
    }
    c.operands().collect()
}

#[cfg(test)]
mod tests {
    use super::super::shell::split;
    use super::*;

    fn call(script: &str) -> Option<(Installer, String)> {
        split(script)
            .iter()
            .find_map(install_call)
            .map(|c| (c.tool, c.what))
    }

    #[test]
    fn recognises_installs() {
        assert_eq!(
            call("apt-get -y install curl"),
            Some((Installer::Apt, "apt-get install".into()))
        );
        assert_eq!(call("apt-get update"), None);
        assert_eq!(
            call("python3 -m pip install -r r.txt"),
            Some((Installer::Pip, "pip install".into()))
        );
        assert_eq!(
            call("/venv/bin/pip3.11 --quiet install x"),
            Some((Installer::Pip, "pip install".into()))
        );
        assert_eq!(call("pip download x"), None);
        assert_eq!(call("npm ci"), Some((Installer::Npm, "npm ci".into())));
        assert_eq!(call("npm run build"), None);
        assert_eq!(
            call("go mod download"),
            Some((Installer::Go, "go mod download".into()))
        );
        assert_eq!(call("go mod tidy"), None);
        assert_eq!(call("yarn"), Some((Installer::Yarn, "yarn".into())));
        assert_eq!(
            call("bundle install --jobs 4"),
            Some((Installer::Bundle, "bundle install".into()))
        );
    }
}
