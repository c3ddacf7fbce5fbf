//! Rules that are one check function each: the shape of dfopt's own rules (a rule
//! per file, looking at the typed Dockerfile on its own), run under the same
//! `# check=` configuration as BuildKit's.
//!
//! `C` is whatever the checks look at (the parsed Dockerfile, its typed
//! instructions, …); the caller chooses it, so this crate does not decide what a
//! rule may read.

use dfopt_dockerfile::Span;

use crate::config::CheckConfig;
use crate::finding::Finding;
use crate::report::Report;
use crate::rule::Rule;

/// A rule and the function that finds it.
pub struct Check<C: ?Sized> {
    pub rule: &'static Rule,
    pub run: fn(&C, &mut Sink<'_>),
}

/// Where a check reports: findings of its own rule only, filtered by the
/// configuration (file-wide, or an instruction's `# check=` comment above it).
pub struct Sink<'a> {
    rule: &'static Rule,
    config: &'a CheckConfig,
    report: &'a mut Report,
}

impl Sink<'_> {
    /// Reports a finding at `spans`.
    pub fn report(&mut self, spans: Vec<Span>, message: impl Into<String>) {
        self.report.add(self.config, self.rule, spans, message);
    }

    /// Reports a finding with a fix.
    pub fn report_with_fix(
        &mut self,
        spans: Vec<Span>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let mut finding = Finding::new(self.rule, message, spans);
        finding.fix = Some(fix.into());
        self.report.add_finding(self.config, finding);
    }

    /// [`Sink::report_with_fix`] for a finding placed on an instruction whose own
    /// comments may hold a `# check=` line that changes the configuration for it.
    pub fn report_at_with_fix(
        &mut self,
        comments: &[String],
        spans: Vec<Span>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let config = self.config.with_comments(comments);
        let mut finding = Finding::new(self.rule, message, spans);
        finding.fix = Some(fix.into());
        self.report.add_finding(&config, finding);
    }

    /// Reports a finding about an instruction whose own comments may hold a
    /// `# check=` line that changes the configuration for it.
    pub fn report_at(&mut self, comments: &[String], spans: Vec<Span>, message: impl Into<String>) {
        let config = self.config.with_comments(comments);
        self.report.add(&config, self.rule, spans, message);
    }
}

/// Runs `checks` over `cx` in the given order, adding to `report`.
pub fn run_checks<C: ?Sized>(
    checks: &[Check<C>],
    cx: &C,
    config: &CheckConfig,
    report: &mut Report,
) {
    for check in checks {
        let mut sink = Sink {
            rule: check.rule,
            config,
            report,
        };
        (check.run)(cx, &mut sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static LONG_LINE: Rule = Rule::new("long-line", "Lines should be short", "");

    fn long_lines(text: &str, sink: &mut Sink<'_>) {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if line.len() > 10 {
                sink.report(vec![Span::new(offset, offset + line.len())], "too long");
            }
            offset += line.len();
        }
    }

    #[test]
    fn skip_applies_to_plugged_in_rules_by_id() {
        let checks = [Check {
            rule: &LONG_LINE,
            run: long_lines,
        }];
        let text = "FROM busybox:latest\nRUN x\n";
        let mut report = Report::default();
        run_checks(&checks, text, &CheckConfig::default(), &mut report);
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].spans, [Span::new(0, 20)]);
        let mut report = Report::default();
        let config = CheckConfig::parse("skip=long-line").unwrap();
        run_checks(&checks, text, &config, &mut report);
        assert!(report.findings.is_empty());
    }
}
