//! Which rules run: the `# check=` directive, `build-arg:BUILDKIT_DOCKERFILE_CHECK`,
//! and `# check=` comments above single instructions (BuildKit's `linter.Config`,
//! `ParseLintOptions`, `WithMergedConfigFromComments`). Rules are named by id, so the
//! same configuration turns BuildKit's rules and dfopt's own on and off.
//!
//! The value is up to three `;`-separated options: `skip=all|A,B`,
//! `experimental=all|A,B`, `error=<bool>`. With `error=true` a finding fails the
//! build (and the lint result carries "lint violation found for rules: …").

use dfopt_dockerfile::go_quote;
use dfopt_dockerfile::syntax::ast::Dockerfile;
use dfopt_dockerfile::syntax::directives::{DirectiveParser, CHECK};

use crate::rule::Rule;

/// The check configuration in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckConfig {
    pub skip_all: bool,
    pub skip: Vec<String>,
    pub experimental_all: bool,
    pub experimental: Vec<String>,
    /// `error=true`: findings fail the build.
    pub error: bool,
}

impl CheckConfig {
    /// BuildKit's `ParseLintOptions`, with its error messages.
    pub fn parse(value: &str) -> Result<CheckConfig, String> {
        let value = value.trim();
        let mut config = CheckConfig::default();
        if value.is_empty() {
            return Ok(config);
        }
        // Go's strings.SplitN(value, ";", 3): the third part keeps any further `;`.
        for part in value.splitn(3, ';') {
            let Some((key, val)) = part.split_once('=') else {
                return Err(format!("invalid check option {}", go_quote(part)));
            };
            match key.trim() {
                "skip" => match val.trim() {
                    "all" => config.skip_all = true,
                    list => config.skip = list.split(',').map(|r| r.trim().to_owned()).collect(),
                },
                "experimental" => match val.trim() {
                    "all" => config.experimental_all = true,
                    list => {
                        config.experimental = list.split(',').map(|r| r.trim().to_owned()).collect()
                    }
                },
                "error" => {
                    let text = val.trim();
                    config.error = go_parse_bool(text).ok_or_else(|| {
                        format!(
                            "failed to parse check option {}: strconv.ParseBool: parsing {}: invalid syntax",
                            go_quote(part),
                            go_quote(text)
                        )
                    })?;
                }
                other => return Err(format!("invalid check option {}", go_quote(other))),
            }
        }
        Ok(config)
    }

    /// The configuration of the file: the first `# check=` directive (its value up to
    /// the first space, as BuildKit's `ParseDirective` returns it).
    pub fn from_directive(dockerfile: &Dockerfile) -> Result<CheckConfig, String> {
        match dockerfile.directive(CHECK) {
            Some(directive) => {
                let value = directive.value.split(' ').next().unwrap_or("");
                CheckConfig::parse(value).map_err(|e| format!("failed to parse check options: {e}"))
            }
            None => Ok(CheckConfig::default()),
        }
    }

    /// This configuration plus `other` (BuildKit's `WithMergedConfig`: flags and lists
    /// are added, `error` is not).
    pub fn merged(&self, other: &CheckConfig) -> CheckConfig {
        let mut merged = self.clone();
        merged.experimental_all |= other.experimental_all;
        merged
            .experimental
            .extend(other.experimental.iter().cloned());
        merged.skip_all |= other.skip_all;
        merged.skip.extend(other.skip.iter().cloned());
        merged
    }

    /// The configuration for one instruction: the first comment above it that reads
    /// `check=…` is merged in; an invalid one is ignored, as in BuildKit.
    pub fn with_comments(&self, comments: &[String]) -> CheckConfig {
        for comment in comments {
            let mut parser = DirectiveParser::with_prefix("");
            let Ok(Some(directive)) = parser.parse_line(comment) else {
                continue;
            };
            if directive.name != CHECK {
                continue;
            }
            let value = directive.value.split(' ').next().unwrap_or("");
            return match CheckConfig::parse(value) {
                Ok(other) => self.merged(&other),
                Err(_) => self.clone(),
            };
        }
        self.clone()
    }

    /// Whether `rule` reports under this configuration.
    pub fn enabled(&self, rule: &Rule) -> bool {
        if rule.experimental {
            return self.experimental_all || self.experimental.iter().any(|r| r == rule.id);
        }
        !(self.skip_all || self.skip.iter().any(|r| r == rule.id))
    }
}

/// Go's `strconv.ParseBool`.
fn go_parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buildkit::rules;

    #[test]
    fn parses_buildkit_options() {
        let c = CheckConfig::parse("skip=JSONArgsRecommended, StageNameCasing;error=true").unwrap();
        assert_eq!(c.skip, ["JSONArgsRecommended", "StageNameCasing"]);
        assert!(c.error);
        assert!(!c.enabled(&rules::JSON_ARGS_RECOMMENDED));
        assert!(c.enabled(&rules::UNDEFINED_VAR));
        assert!(!c.enabled(&rules::INVALID_DEFINITION_DESCRIPTION));
        let all = CheckConfig::parse("skip=all;experimental=all").unwrap();
        assert!(!all.enabled(&rules::UNDEFINED_VAR));
        assert!(all.enabled(&rules::INVALID_DEFINITION_DESCRIPTION));
    }

    #[test]
    fn bad_options_are_errors_with_buildkit_text() {
        assert_eq!(
            CheckConfig::parse("skip").unwrap_err(),
            "invalid check option \"skip\""
        );
        assert_eq!(
            CheckConfig::parse("nope=1").unwrap_err(),
            "invalid check option \"nope\""
        );
        assert_eq!(
            CheckConfig::parse("error=maybe").unwrap_err(),
            "failed to parse check option \"error=maybe\": strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
    }

    #[test]
    fn comment_config_merges() {
        let base = CheckConfig::default();
        let merged = base.with_comments(&["hello".into(), "check=skip=UndefinedVar".into()]);
        assert!(!merged.enabled(&rules::UNDEFINED_VAR));
        assert!(merged.enabled(&rules::MAINTAINER_DEPRECATED));
    }
}
