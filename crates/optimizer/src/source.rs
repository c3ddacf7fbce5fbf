//! The original text around the IR: where each instruction is, the trivia
//! (comments, blank lines) before it, and the map between an instruction's
//! logical line (continuations joined) and source offsets.

use dfopt_dockerfile::syntax::ast::{Dockerfile, Instruction};
use dfopt_dockerfile::syntax::lines::{continuation_cut, is_comment};
use dfopt_dockerfile::Span;

/// One instruction of the original file.
#[derive(Clone, Debug)]
pub(crate) struct InstrSrc {
    /// The instruction itself (heredoc bodies included).
    pub span: Span,
    /// From the end of the previous instruction (its newline included) to `span.start`.
    pub leading: Span,
    /// The logical line (BuildKit's `Original`).
    pub original: String,
    /// The arguments' range in `original`.
    pub args_range: (usize, usize),
    /// The first flag's source offset, if the instruction has flags.
    pub flags_start: Option<usize>,
    /// Source offset where the arguments start.
    pub args_start: usize,
    pub has_heredocs: bool,
    pub json: bool,
}

/// The parsed file as text.
#[derive(Clone, Debug)]
pub(crate) struct Source<'a> {
    pub text: &'a str,
    pub escape: char,
    pub instrs: Vec<InstrSrc>,
    /// `(name, value, span)` of BuildKit directives.
    pub directives: Vec<(String, String, Span)>,
    /// The file's line ending, for lines the passes write.
    pub newline: &'static str,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str, dockerfile: &Dockerfile) -> Source<'a> {
        let mut instrs = Vec::new();
        let mut prev_end = 0u32;
        for ins in &dockerfile.instructions {
            instrs.push(instr_src(ins, prev_end));
            prev_end = ins.span.end;
        }
        let directives = dockerfile
            .directives
            .iter()
            .map(|d| (d.name.clone(), d.value.clone(), d.span))
            .collect();
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Source {
            text,
            escape: dockerfile.escape,
            instrs,
            directives,
            newline,
        }
    }

    /// The index of the instruction with this span.
    pub fn instr_at(&self, span: Span) -> Option<usize> {
        self.instrs.iter().position(|i| i.span == span)
    }

    /// Rebuilds the logical line of instruction `i` with its offset map; `None`
    /// when the rebuild does not reproduce the parser's logical line.
    pub fn logical(&self, i: usize) -> Option<Logical> {
        let ins = &self.instrs[i];
        let logical = build_logical(self.text, ins.span, self.escape);
        (logical.text == ins.original).then_some(logical)
    }
}

fn instr_src(ins: &Instruction, prev_end: u32) -> InstrSrc {
    InstrSrc {
        span: ins.span,
        leading: Span {
            start: prev_end.min(ins.span.start),
            end: ins.span.start,
        },
        original: ins.original.clone(),
        args_range: (ins.args_range.0 as usize, ins.args_range.1 as usize),
        flags_start: ins.flags.first().map(|f| f.span.start as usize),
        args_start: ins.args_span.start as usize,
        has_heredocs: !ins.heredocs.is_empty(),
        json: ins.json,
    }
}

/// A logical line and where each piece of it sits in the source.
#[derive(Clone, Debug, Default)]
pub(crate) struct Logical {
    pub text: String,
    /// `(offset in text, offset in source)` for the start of each piece.
    pieces: Vec<(usize, usize)>,
}

impl Logical {
    fn push(&mut self, source: &str, start: usize, end: usize) {
        if end <= start {
            return;
        }
        self.pieces.push((self.text.len(), start));
        self.text.push_str(&source[start..end]);
    }

    /// The same map with every source offset moved back by `shift`.
    pub fn shifted(mut self, shift: usize) -> Logical {
        for piece in &mut self.pieces {
            piece.1 = piece.1.saturating_sub(shift);
        }
        self
    }

    /// Source offset of the character at logical offset `at` (`at` < len).
    pub fn source_of(&self, at: usize) -> usize {
        let i = match self.pieces.binary_search_by_key(&at, |&(t, _)| t) {
            Ok(i) => i,
            Err(0) => 0,
            Err(i) => i - 1,
        };
        let (t, s) = self.pieces.get(i).copied().unwrap_or((0, 0));
        s + at.saturating_sub(t)
    }

    /// Source offset just after the character at logical offset `at - 1`
    /// (the end of a logical range ending at `at`).
    pub fn source_end_of(&self, at: usize) -> usize {
        if at == 0 {
            return self.source_of(0);
        }
        let last = at - 1;
        let len = self.text[last..].chars().next().map_or(1, char::len_utf8);
        self.source_of(last) + len
    }
}

/// The parser's line joining, from `span.start` (an instruction's first
/// character) until a line without continuation.
fn build_logical(source: &str, span: Span, escape: char) -> Logical {
    let mut logical = Logical::default();
    let mut pos = span.start as usize;
    let end_limit = span.end as usize;
    let mut first = true;
    while pos <= end_limit && pos <= source.len() {
        let line_end = source[pos..].find('\n').map_or(source.len(), |n| pos + n);
        let mut content_end = line_end;
        while content_end > pos && matches!(source.as_bytes()[content_end - 1], b'\r' | b'\n') {
            content_end -= 1;
        }
        let content = &source[pos..content_end];
        let next = (line_end + 1).min(source.len() + 1);
        if !first && (is_comment(content) || content.trim().is_empty()) {
            if next > source.len() {
                break;
            }
            pos = next;
            continue;
        }
        first = false;
        match continuation_cut(content, escape) {
            Some(kept) => {
                logical.push(source, pos, pos + kept);
                if next > source.len() {
                    break;
                }
                pos = next;
            }
            None => {
                logical.push(source, pos, content_end);
                break;
            }
        }
    }
    logical
}
