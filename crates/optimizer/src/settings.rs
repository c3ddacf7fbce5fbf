//! Which passes run: the `DFOPT` build-arg, or a `# dfopt=…` comment at the top
//! of the Dockerfile.
//!
//! Values (case-insensitive, comma-separated, applied left to right starting
//! from the registry defaults):
//! - `on` — the defaults; `off` — nothing; `all` — every pass, preview ones too;
//! - `+<id>` or `<id>` — enable a pass; `-<id>` — disable it.
//!
//! So `-merge-runs` is "defaults without merging", `off,+cache-mounts` is "only
//! cache mounts". An unknown id is an error that lists the valid ones.
//!
//! The build-arg wins over the comment. The comment is read from the leading
//! comment lines here, not by the BuildKit directive parser: `dfopt` is not a
//! BuildKit directive, and an unknown key must keep ending BuildKit's
//! directive block (so `# dfopt=…` placed before `# syntax=` hides the latter
//! from BuildKit — put it after the real directives).

use crate::registry::{self, PASSES};
use dfopt_dockerfile::instructions::suggest;
use dfopt_dockerfile::stages::builtin_args::DFOPT;

/// Where the settings came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsSource {
    Default,
    BuildArg,
    Directive,
}

/// The passes to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    enabled: Vec<&'static str>,
    pub source: SettingsSource,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: PASSES
                .iter()
                .filter(|p| p.default_enabled)
                .map(|p| p.id)
                .collect(),
            source: SettingsSource::Default,
        }
    }
}

impl Settings {
    /// No pass at all: the output equals the input.
    pub fn off() -> Settings {
        Settings {
            enabled: Vec::new(),
            source: SettingsSource::Default,
        }
    }

    /// Every registered pass, preview ones included.
    pub fn all() -> Settings {
        Settings {
            enabled: registry::pass_ids(),
            source: SettingsSource::Default,
        }
    }

    /// Exactly these passes (ids must be registered; unknown ones are ignored).
    pub fn only(ids: &[&str]) -> Settings {
        Settings {
            enabled: PASSES
                .iter()
                .filter(|p| ids.contains(&p.id))
                .map(|p| p.id)
                .collect(),
            source: SettingsSource::Default,
        }
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.enabled.contains(&id)
    }

    /// Enabled pass ids, in registry order.
    pub fn enabled(&self) -> &[&'static str] {
        &self.enabled
    }

    pub fn is_off(&self) -> bool {
        self.enabled.is_empty()
    }

    /// Parses a `DFOPT` value; `origin` names it in errors (e.g. "the DFOPT build-arg").
    pub fn parse(value: &str, origin: &str) -> Result<Settings, String> {
        let mut on: Vec<&'static str> = Settings::default().enabled;
        for item in value.split(',') {
            let item = item.trim().to_ascii_lowercase();
            match item.as_str() {
                "" => continue,
                "on" | "default" => on = Settings::default().enabled,
                "off" | "none" => on.clear(),
                "all" => on = registry::pass_ids(),
                _ => {
                    let (enable, id) = match item.strip_prefix('-') {
                        Some(id) => (false, id),
                        None => (true, item.strip_prefix('+').unwrap_or(&item)),
                    };
                    let Some(pass) = registry::pass(id) else {
                        return Err(unknown(id, origin));
                    };
                    on.retain(|p| *p != pass.id);
                    if enable {
                        on.push(pass.id);
                    }
                }
            }
        }
        let enabled = PASSES
            .iter()
            .filter(|p| on.contains(&p.id))
            .map(|p| p.id)
            .collect();
        Ok(Settings {
            enabled,
            source: SettingsSource::Default,
        })
    }

    /// [`Settings::from_sources`] with the `DFOPT` build-arg of `build_args`.
    pub fn from_build_args(
        build_args: &std::collections::BTreeMap<String, String>,
        source: &str,
    ) -> Result<Settings, SettingsError> {
        Settings::from_sources(build_args.get(DFOPT).map(String::as_str), source)
    }

    /// The settings for a build: the `DFOPT` build-arg if given and not empty,
    /// else the `# dfopt=` comment of `source`, else the defaults.
    /// A bad build-arg value has no line; a bad comment has its line.
    pub fn from_sources(build_arg: Option<&str>, source: &str) -> Result<Settings, SettingsError> {
        if let Some(value) = build_arg.filter(|v| !v.trim().is_empty()) {
            let mut settings = Settings::parse(value, "the DFOPT build-arg")
                .map_err(SettingsError::without_line)?;
            settings.source = SettingsSource::BuildArg;
            return Ok(settings);
        }
        if let Some((value, line)) = directive(source)? {
            let mut settings =
                Settings::parse(&value, "the `# dfopt=` comment").map_err(|message| {
                    SettingsError {
                        message,
                        line: Some(line),
                    }
                })?;
            settings.source = SettingsSource::Directive;
            return Ok(settings);
        }
        Ok(Settings::default())
    }
}

/// Why the rewrite settings cannot be used. Callers put the line in front
/// of the message in their own format (`Dockerfile:3: …`, `FILE:3:1: …`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    pub message: String,
    /// 1-based line of the `# dfopt=` comment at fault; `None` for the build-arg.
    pub line: Option<usize>,
}

impl SettingsError {
    fn without_line(message: String) -> Self {
        Self {
            message,
            line: None,
        }
    }
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SettingsError {}

fn unknown(id: &str, origin: &str) -> String {
    let ids = registry::pass_ids();
    let mut options: Vec<&str> = ids.clone();
    options.extend(["on", "off", "all"]);
    let base = format!("unknown dfopt pass {id:?} in {origin}");
    let message = suggest::wrap(base, id, &options, false);
    format!("{message}; valid values are on, off, all, or a comma-separated list of +<pass> / -<pass> with passes {}", ids.join(", "))
}

/// The value and 1-based line of the `# dfopt=` comment among the leading
/// comment and blank lines of `source` (before the first instruction). Two
/// of them are an error (at the second).
pub fn directive(source: &str) -> Result<Option<(String, usize)>, SettingsError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut found: Option<(String, usize)> = None;
    for (index, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some(comment) = trimmed.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim_start();
        let Some(key) = comment.get(..5) else {
            continue;
        };
        if !key.eq_ignore_ascii_case("dfopt") {
            continue;
        }
        let Some(value) = comment[5..].trim_start().strip_prefix('=') else {
            continue;
        };
        if found.is_some() {
            return Err(SettingsError {
                message: "only one `# dfopt=` comment can be used".to_string(),
                line: Some(index + 1),
            });
        }
        found = Some((value.trim().to_string(), index + 1));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(
            Settings::parse("on", "x").unwrap().enabled(),
            Settings::default().enabled()
        );
        assert!(Settings::parse("off", "x").unwrap().is_off());
        assert_eq!(
            Settings::parse("-merge-runs", "x").unwrap().enabled(),
            ["cache-mounts", "prune-stages"]
        );
        assert_eq!(
            Settings::parse("off,+cache-mounts", "x").unwrap().enabled(),
            ["cache-mounts"]
        );
        assert_eq!(
            Settings::parse(" OFF , merge-runs ", "x")
                .unwrap()
                .enabled(),
            ["merge-runs"]
        );
        let err = Settings::parse("-merge-run", "the DFOPT build-arg").unwrap_err();
        assert!(err.starts_with("unknown dfopt pass \"merge-run\" in the DFOPT build-arg (did you mean merge-runs?)"), "{err}");
        assert!(
            err.contains("deps-first, merge-runs, cache-mounts, prune-stages"),
            "{err}"
        );
    }

    #[test]
    fn directive_and_precedence() {
        let src = "# syntax=docker/dockerfile:1\n# dfopt = -cache-mounts\n\nFROM x\n# dfopt=off\n";
        assert_eq!(
            directive(src).unwrap(),
            Some(("-cache-mounts".to_string(), 2))
        );
        let s = Settings::from_sources(None, src).unwrap();
        assert_eq!(
            (s.enabled(), s.source),
            (
                &["merge-runs", "prune-stages"][..],
                SettingsSource::Directive
            )
        );
        let s = Settings::from_sources(Some("off"), src).unwrap();
        assert!(s.is_off());
        assert_eq!(s.source, SettingsSource::BuildArg);
        assert_eq!(
            Settings::from_sources(Some(""), "FROM x").unwrap(),
            Settings::default()
        );
        let twice = Settings::from_sources(None, "# dfopt=on\n# dfopt=off\nFROM x").unwrap_err();
        assert_eq!(twice.line, Some(2));
        let bad = Settings::from_sources(None, "\n# dfopt=-merge-run\nFROM x").unwrap_err();
        assert_eq!(bad.line, Some(2));
        assert!(bad.message.contains("did you mean merge-runs?"), "{bad}");
        assert_eq!(
            Settings::from_sources(Some("nope"), "FROM x")
                .unwrap_err()
                .line,
            None
        );
        assert_eq!(directive("# dfopt:keep\nFROM x").unwrap(), None);
    }
}
