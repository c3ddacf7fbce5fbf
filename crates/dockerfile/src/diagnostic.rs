//! User-facing diagnostics: data with a span, never a panic.

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A problem found in a Dockerfile. `message` is BuildKit's text where BuildKit has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// A stable rule name for warnings (BuildKit's lint rule names), if any.
    pub rule: Option<&'static str>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            rule: None,
        }
    }

    pub fn warning(rule: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span,
            rule: Some(rule),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
