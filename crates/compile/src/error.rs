//! Why a Dockerfile could not be compiled, located in the user's file.

use dfopt_convert::{ConvertError, ConvertErrorKind, ConvertInput};
use dfopt_dockerfile::Span;
use dfopt_optimizer::SettingsError;

use crate::rewritten;

/// A compile failure: the message (BuildKit's wording where BuildKit has one) and
/// where in the user's Dockerfile it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    /// The instruction (or line) at fault.
    pub span: Option<Span>,
    /// Further instructions involved, in the order BuildKit names them.
    pub related: Vec<Span>,
    /// An instruction's own syntax is wrong (flags, arguments, form): BuildKit's
    /// clients then read `dockerfile parse error on line N: …`.
    pub instruction_parse: bool,
    /// When the error is about a command dfopt rewrote: every instruction of the
    /// user's that command stands for (`span` is the first). `--build-arg
    /// DFOPT=off` lowers the file as written.
    pub rewritten: Vec<Span>,
}

impl CompileError {
    /// An error about no instruction in particular.
    pub(crate) fn message(message: String) -> Self {
        CompileError {
            message,
            span: None,
            related: Vec::new(),
            instruction_parse: false,
            rewritten: Vec::new(),
        }
    }

    /// The converter's error (its spans are the user's: it lowers a located IR).
    pub(crate) fn converting(error: &ConvertError) -> Self {
        CompileError {
            span: error.span,
            related: error.related.clone(),
            instruction_parse: error.kind == ConvertErrorKind::Instruction,
            ..Self::message(error.message.clone())
        }
    }

    /// A bad `DFOPT` value: the build-arg, or the `# dfopt=` comment on its line.
    pub(crate) fn settings(text: &str, error: SettingsError) -> Self {
        CompileError {
            span: error.line.and_then(|line| line_span(text, line)),
            ..Self::message(error.message)
        }
    }

    /// Notes which rewritten command the error is in, if any.
    pub(crate) fn in_rewritten(mut self, input: &Option<ConvertInput>) -> Self {
        if let (Some(span), Some(input)) = (self.span, input) {
            if let Some(origin) = rewritten::origin_at(input, span) {
                self.rewritten = origin.spans.clone();
            }
        }
        self
    }
}

/// The span of 1-based line `line` of `text` (without its newline).
fn line_span(text: &str, line: usize) -> Option<Span> {
    let mut start = 0usize;
    for (i, content) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let end = start + content.trim_end_matches(['\n', '\r']).len();
            return Some(Span::new(start, end));
        }
        start += content.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::line_span;
    use dfopt_dockerfile::Span;

    #[test]
    fn line_spans_cover_one_line() {
        let text = "FROM a\n# dfopt=bogus\r\nRUN b";
        assert_eq!(line_span(text, 2), Some(Span::new(7, 20)));
        assert_eq!(line_span(text, 3), Some(Span::new(22, 27)));
        assert_eq!(line_span(text, 4), None);
    }
}
