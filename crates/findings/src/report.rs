//! Collecting findings under a check configuration.

use dfopt_dockerfile::Span;

use crate::config::CheckConfig;
use crate::finding::Finding;
use crate::rule::Rule;

/// The findings of one run, in the order they were found, and which rules fired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Ids of the rules that fired, each once, in first-fired order.
    fired: Vec<&'static str>,
}

impl Report {
    /// Records a finding of `rule` unless `config` (the configuration in force at
    /// that instruction) turns the rule off. Returns whether it was recorded.
    pub fn add(
        &mut self,
        config: &CheckConfig,
        rule: &'static Rule,
        spans: Vec<Span>,
        message: impl Into<String>,
    ) -> bool {
        self.add_finding(config, Finding::new(rule, message, spans))
    }

    /// [`Report::add`] for a finding built by the caller (with a fix, say).
    pub fn add_finding(&mut self, config: &CheckConfig, finding: Finding) -> bool {
        if !config.enabled(finding.rule) {
            return false;
        }
        if !self.fired.contains(&finding.rule.id) {
            self.fired.push(finding.rule.id);
        }
        self.findings.push(finding);
        true
    }

    /// Ids of the rules that fired, each once, in first-fired order.
    pub fn fired(&self) -> &[&'static str] {
        &self.fired
    }

    /// With `error=true` in `config` (the file's configuration) and anything found,
    /// the error that fails the build, in BuildKit's words. BuildKit lists the rules
    /// in Go's random map order; this lists them in first-fired order.
    pub fn violation(&self, config: &CheckConfig) -> Option<String> {
        if !config.error || self.fired.is_empty() {
            return None;
        }
        Some(format!(
            "lint violation found for rules: {}",
            self.fired.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static A: Rule = Rule::new("RuleA", "a", "");
    static B: Rule = Rule::new("RuleB", "b", "");
    static X: Rule = Rule::new("RuleX", "x", "").experimental();

    #[test]
    fn skipped_and_experimental_rules_are_not_recorded() {
        let config = CheckConfig::parse("skip=RuleB;error=true").unwrap();
        let mut report = Report::default();
        assert!(report.add(&config, &A, vec![], "one"));
        assert!(!report.add(&config, &B, vec![], "two"));
        assert!(!report.add(&config, &X, vec![], "three"));
        assert!(report.add(&config, &A, vec![], "four"));
        assert_eq!(report.findings.len(), 2);
        assert_eq!(report.fired(), ["RuleA"]);
        assert_eq!(
            report.violation(&config).as_deref(),
            Some("lint violation found for rules: RuleA")
        );
        assert_eq!(report.violation(&CheckConfig::default()), None);
    }
}
