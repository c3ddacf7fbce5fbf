//! Recognising package-manager calls in simple commands.

use super::shell::SimpleCommand;

/// A dependency installer or build tool a rule cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
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

/// A recognised call: the tool and the words as written, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub tool: Tool,
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
        return call(Tool::Apt, &format!("{} install", c.program()));
    }
    if pip_install_args(c).is_some() {
        return call(Tool::Pip, "pip install");
    }
    match (c.program(), sub) {
        ("npm", Some(s @ ("install" | "i" | "ci" | "add"))) => call(Tool::Npm, &format!("npm {s}")),
        ("yarn", None) => call(Tool::Yarn, "yarn"),
        ("yarn", Some(s @ ("install" | "add"))) => call(Tool::Yarn, &format!("yarn {s}")),
        ("pnpm", Some(s @ ("install" | "i" | "add" | "fetch"))) => {
            call(Tool::Pnpm, &format!("pnpm {s}"))
        }
        ("go", Some("mod")) if c.words.get(2).map(String::as_str) == Some("download") => {
            call(Tool::Go, "go mod download")
        }
        ("go", Some(s @ ("get" | "build" | "install" | "test"))) => {
            call(Tool::Go, &format!("go {s}"))
        }
        ("cargo", Some(s @ ("fetch" | "build" | "install"))) => {
            call(Tool::Cargo, &format!("cargo {s}"))
        }
        ("bundle", Some("install")) | ("bundle", None) => call(Tool::Bundle, "bundle install"),
        ("composer", Some("install")) => call(Tool::Composer, "composer install"),
        ("poetry", Some("install")) => call(Tool::Poetry, "poetry install"),
        ("pipenv", Some("install" | "sync")) => call(Tool::Pipenv, "pipenv install"),
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

    fn call(script: &str) -> Option<(Tool, String)> {
        split(script)
            .iter()
            .find_map(install_call)
            .map(|c| (c.tool, c.what))
    }

    #[test]
    fn recognises_installs() {
        assert_eq!(
            call("apt-get -y install curl"),
            Some((Tool::Apt, "apt-get install".into()))
        );
        assert_eq!(call("apt-get update"), None);
        assert_eq!(
            call("python3 -m pip install -r r.txt"),
            Some((Tool::Pip, "pip install".into()))
        );
        assert_eq!(
            call("/venv/bin/pip3.11 --quiet install x"),
            Some((Tool::Pip, "pip install".into()))
        );
        assert_eq!(call("pip download x"), None);
        assert_eq!(call("npm ci"), Some((Tool::Npm, "npm ci".into())));
        assert_eq!(call("npm run build"), None);
        assert_eq!(
            call("go mod download"),
            Some((Tool::Go, "go mod download".into()))
        );
        assert_eq!(call("go mod tidy"), None);
        assert_eq!(call("yarn"), Some((Tool::Yarn, "yarn".into())));
        assert_eq!(
            call("bundle install --jobs 4"),
            Some((Tool::Bundle, "bundle install".into()))
        );
    }
}
