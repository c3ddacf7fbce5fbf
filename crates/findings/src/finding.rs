//! One finding: a rule that fired, its message, and where.

use dfopt_dockerfile::{LineIndex, Span};

use crate::rule::Rule;

/// A rule that fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    /// What was found, in the rule's wording (BuildKit calls it the "detail").
    pub message: String,
    /// Where, as byte spans of the Dockerfile (usually one instruction each); empty
    /// when the finding has no place in the file.
    pub spans: Vec<Span>,
    /// How to fix it, for rules that can say (BuildKit's rules cannot).
    pub fix: Option<String>,
}

impl Finding {
    /// A finding without a fix.
    pub fn new(rule: &'static Rule, message: impl Into<String>, spans: Vec<Span>) -> Finding {
        Finding {
            rule,
            message: message.into(),
            spans,
            fix: None,
        }
    }

    /// 1-based first and last line of each span.
    pub fn lines(&self, index: &LineIndex) -> Vec<(u32, u32)> {
        self.spans.iter().map(|&span| index.lines(span)).collect()
    }

    /// The first line the finding is on, if it has a place.
    pub fn first_line(&self, index: &LineIndex) -> Option<u32> {
        self.spans.first().map(|&span| index.lines(span).0)
    }
}
