//! Bytes → [`Dockerfile`] syntax tree, equal to BuildKit's `parser.Parse`.
//!
//! Parsing never panics and never fails outright: [`parse`] returns the tree
//! built so far plus diagnostics. Like BuildKit, the first error stops parsing;
//! callers must not lower a tree whose diagnostics contain an error.

pub mod args;
pub mod ast;
pub mod directives;
pub mod dump;
pub mod heredoc;
pub mod json;
pub mod lines;
pub mod split;

use crate::diagnostic::Diagnostic;
use crate::span::Span;
use args::{Ctx, Shape};
use ast::{Args, Directive, Dockerfile, Heredoc, Instruction};
use lines::{continuation_cut, leading_space_len, trim_end_space, trim_start_space};
use lines::{LogicalLine, PhysicalLine, PhysicalLines};

/// The result of parsing: the tree (complete only without error diagnostics).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub dockerfile: Dockerfile,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// The error that stopped parsing, if any.
    pub fn error(&self) -> Option<&Diagnostic> {
        self.diagnostics.iter().find(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

pub const NO_INSTRUCTIONS: &str = "file with no instructions";

/// The most instructions [`parse`] reserves room for before it has seen them.
const MAX_RESERVED_INSTRUCTIONS: usize = 1024;

/// Parses a Dockerfile.
pub fn parse(source: &str) -> Parsed {
    #[cfg(feature = "count-parses")]
    parse_count::record(source);
    // Each instruction starts on a line of its own, so the line count bounds
    // the instruction count. Reserving that up front saves regrowing (and
    // moving) the vector of instructions; the cap keeps a file of long
    // heredocs from reserving much more than it uses.
    let lines = count_newlines(source) + 1;
    let instructions = Vec::with_capacity(lines.min(MAX_RESERVED_INSTRUCTIONS));
    let mut parser = Parser {
        source,
        lines: PhysicalLines::new(source),
        directives: directives::DirectiveParser::default(),
        dockerfile: Dockerfile {
            escape: '\\',
            instructions,
            ..Dockerfile::default()
        },
        diagnostics: Vec::new(),
        comments: Vec::new(),
        logical: LogicalLine::with_capacity(256, 8),
    };
    if let Err(error) = parser.run() {
        parser.diagnostics.push(error);
    }
    Parsed {
        dockerfile: parser.dockerfile,
        diagnostics: parser.diagnostics,
    }
}

/// The number of `\n` bytes in `text`. Counting per 255-byte chunk into a
/// `u8` cannot overflow and lets the compiler compare many bytes at once.
fn count_newlines(text: &str) -> usize {
    let chunk_count = |chunk: &[u8]| chunk.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>();
    text.as_bytes()
        .chunks(255)
        .map(|chunk| usize::from(chunk_count(chunk)))
        .sum()
}

struct Parser<'a> {
    source: &'a str,
    lines: PhysicalLines<'a>,
    directives: directives::DirectiveParser,
    dockerfile: Dockerfile,
    diagnostics: Vec<Diagnostic>,
    comments: Vec<String>,
    /// Reused for every instruction so joining lines allocates only once per file.
    logical: LogicalLine,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), Diagnostic> {
        let mut first = true;
        while let Some(line) = self.lines.next() {
            let mut start = line.start;
            if first && self.source[start..].starts_with('\u{feff}') {
                start += '\u{feff}'.len_utf8();
            }
            first = false;
            let line = PhysicalLine { start, ..line };
            self.instruction_from(line)?;
        }
        if self.dockerfile.instructions.is_empty() {
            let end = self.source.len();
            return Err(Diagnostic::error(NO_INSTRUCTIONS, Span::new(end, end)));
        }
        if let Some(offset) = self.lines.too_long {
            let message = format!(
                "dockerfile line greater than max allowed size of {}",
                lines::MAX_LINE_LEN
            );
            return Err(Diagnostic::error(message, Span::new(offset, offset)));
        }
        Ok(())
    }

    /// Handles one physical line at the top level: a comment, a directive, a
    /// blank line, or the first line of an instruction.
    fn instruction_from(&mut self, line: PhysicalLine) -> Result<(), Diagnostic> {
        let source = self.source;
        let content = line.content(source);
        let text_start = line.start + leading_space_len(content);
        let text = &source[text_start..line.content_end];
        // BuildKit's `isComment` on the raw line; `text` starts at its first
        // non-space character, so one look at `text` answers it.
        let is_comment_line = text.starts_with('#');
        if is_comment_line {
            // BuildKit drops the line's first byte, not the `#`: an indented
            // comment keeps its `#` in the recorded text.
            let raw = &source[line.start..line.end];
            let after_first = raw.char_indices().nth(1).map_or("", |(i, _)| &raw[i..]);
            let comment = trim_end_space(trim_start_space(after_first));
            if comment.is_empty() {
                self.comments.clear();
            } else {
                self.comments.push(comment.to_string());
            }
        }
        let line_span = Span::new(text_start, line.content_end);
        self.directive(text, line_span)?;
        let text = if is_comment_line { "" } else { text };
        let (kept, mut end_of_line) = match continuation_cut(text, self.dockerfile.escape) {
            Some(kept) => (kept, false),
            None => (text.len(), true),
        };
        if end_of_line && kept == 0 {
            return Ok(());
        }
        let mut logical = std::mem::take(&mut self.logical);
        logical.clear();
        logical.push(source, text_start, text_start + kept);
        let mut last_end = line.content_end;
        let mut empty_line: Option<Span> = None;
        while !end_of_line {
            let Some(next) = self.lines.next() else { break };
            last_end = next.content_end;
            let content = next.content(source);
            let trimmed = trim_start_space(content);
            // BuildKit's `isComment`, on the line already trimmed.
            if trimmed.starts_with('#') {
                continue;
            }
            if trimmed.is_empty() {
                empty_line.get_or_insert(Span::new(next.start, next.content_end));
                continue;
            }
            let cut = continuation_cut(content, self.dockerfile.escape);
            end_of_line = cut.is_none();
            logical.push(
                source,
                next.start,
                next.start + cut.unwrap_or(content.len()),
            );
        }
        if let Some(span) = empty_line {
            let message = format!("Empty continuation line found in: {}", logical.text);
            self.diagnostics
                .push(Diagnostic::warning("NoEmptyContinuation", message, span));
        }
        let comments = std::mem::take(&mut self.comments);
        let ctx = Ctx {
            line: &logical,
            escape: self.dockerfile.escape,
        };
        let built = build_instruction(&ctx, 0, logical.text.len(), comments);
        self.logical = logical;
        let span = Span::new(text_start, last_end);
        let instructions = &mut self.dockerfile.instructions;
        // Pushed straight from the result, so the large value is copied once.
        match built {
            Ok(instruction) => instructions.push(instruction),
            Err(message) => return Err(Diagnostic::error(message, span)),
        }
        let index = instructions.len() - 1;
        instructions[index].span = span;
        // The keyword test is cheaper than the search, so it goes first.
        if can_contain_heredoc(&instructions[index]) && instructions[index].original.contains("<<")
        {
            if let Err(error) = self.read_heredocs(index, text_start) {
                // On error the tree ends with the instructions before this one.
                self.dockerfile.instructions.pop();
                return Err(error);
            }
        }
        Ok(())
    }

    /// Reads the bodies of the heredocs the instruction at `index` announces.
    fn read_heredocs(&mut self, index: usize, start: usize) -> Result<(), Diagnostic> {
        let instruction = &self.dockerfile.instructions[index];
        let heads = heredoc::heredocs_from_line(&instruction.original)
            .map_err(|message| Diagnostic::error(message, instruction.span))?;
        for head in heads {
            let doc = self.read_heredoc_body(head, start)?;
            let instruction = &mut self.dockerfile.instructions[index];
            instruction.span = instruction.span.cover(doc.span);
            instruction.heredocs.push(doc);
        }
        Ok(())
    }

    /// Feeds the directive parser; records directives and applies `escape`.
    fn directive(&mut self, text: &str, span: Span) -> Result<(), Diagnostic> {
        // Directives only open a file; past them this is called for every line.
        if self.directives.is_done() {
            return Ok(());
        }
        let found = self
            .directives
            .parse_line(text)
            .map_err(|message| Diagnostic::error(message, span))?;
        let Some(found) = found else { return Ok(()) };
        if found.name == directives::ESCAPE {
            self.dockerfile.escape = match found.value.as_str() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    let message = format!("invalid escape token '{other}' does not match ` or \\");
                    return Err(Diagnostic::error(message, span));
                }
            };
        }
        // A directive is not part of the comment above the next instruction.
        self.comments.pop();
        self.dockerfile.directives.push(Directive {
            name: found.name,
            value: found.value,
            span,
        });
        Ok(())
    }

    fn read_heredoc_body(
        &mut self,
        head: heredoc::HeredocHead,
        start: usize,
    ) -> Result<Heredoc, Diagnostic> {
        let source = self.source;
        let mut content = String::new();
        let mut body_start = None;
        for line in self.lines.by_ref() {
            body_start.get_or_insert(line.start);
            let candidate = line.content(source);
            let candidate = if head.chomp {
                candidate.trim_start_matches('\t')
            } else {
                candidate
            };
            if candidate == head.name {
                let span = Span::new(body_start.unwrap_or(line.start), line.content_end);
                return Ok(Heredoc {
                    name: head.name,
                    file_descriptor: head.file_descriptor,
                    expand: head.expand,
                    chomp: head.chomp,
                    content,
                    span,
                });
            }
            content.push_str(line.with_newline(source));
        }
        Err(Diagnostic::error(
            "unterminated heredoc",
            Span::new(start, source.len()),
        ))
    }
}

/// BuildKit's `canContainHeredoc`: RUN/COPY/ADD (also as an ONBUILD trigger), not in JSON form.
fn can_contain_heredoc(instruction: &Instruction) -> bool {
    let target = match &instruction.args {
        Args::Trigger(child) if instruction.keyword == "onbuild" => child.as_ref(),
        _ => instruction,
    };
    matches!(target.keyword.as_str(), "run" | "copy" | "add") && !target.json
}

/// BuildKit's `newNodeFromLine` over `line[start..end]`.
fn build_instruction(
    ctx: &Ctx,
    start: usize,
    end: usize,
    comments: Vec<String>,
) -> Result<Instruction, String> {
    let text = ctx.text(start, end);
    let split = split::split_command(text, ctx.escape);
    let (kw_start, kw_end) = (start + split.keyword.0, start + split.keyword.1);
    let (args_start, args_end) = (start + split.args.0, start + split.args.1);
    let keyword = ctx.text(kw_start, kw_end).to_lowercase();
    // Most instructions have no flags; skip the conversion machinery for them.
    let flags = if split.flags.is_empty() {
        Vec::new()
    } else {
        split
            .flags
            .into_iter()
            .map(|(f, s, e)| ctx.word(f, start + s, start + e))
            .collect()
    };
    let mut json = false;
    let args = match args::shape_of(&keyword) {
        None => Args::Unknown,
        Some(Shape::MaybeJson) => {
            take_json(args::maybe_json(ctx, args_start, args_end)?, &mut json)
        }
        Some(Shape::MaybeJsonToList) => take_json(
            args::maybe_json_to_list(ctx, args_start, args_end)?,
            &mut json,
        ),
        Some(Shape::Health) => take_json(args::health(ctx, args_start, args_end)?, &mut json),
        Some(Shape::WhitespaceList) => args::whitespace_list(ctx, args_start, args_end),
        Some(Shape::String) => args::string(ctx, args_start, args_end),
        Some(Shape::NameVal(key)) => args::name_val(ctx, args_start, args_end, key)?,
        Some(Shape::NameOrNameVal) => args::name_or_name_val(ctx, args_start, args_end),
        Some(Shape::SubCommand) if args_start == args_end => Args::Empty,
        Some(Shape::SubCommand) => Args::Trigger(Box::new(build_instruction(
            ctx,
            args_start,
            args_end,
            Vec::new(),
        )?)),
    };
    let span = ctx.line.span(kw_start, end);
    Ok(Instruction {
        keyword,
        keyword_span: ctx.line.span(kw_start, kw_end),
        flags,
        args,
        json,
        args_range: ((args_start - start) as u32, (args_end - start) as u32),
        args_span: ctx.line.span(args_start, args_end),
        heredocs: Vec::new(),
        original: ctx.text(start, end).to_string(),
        comments,
        span,
    })
}

fn take_json(parsed: args::Parsed, json: &mut bool) -> Args {
    *json = parsed.json;
    parsed.args
}

/// How many times [`parse`] ran on a text, on this thread: a test seam (feature
/// `count-parses`) for "one parse per lowering". Output never depends on it.
#[cfg(feature = "count-parses")]
pub mod parse_count {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    thread_local! {
        static PARSES: RefCell<BTreeMap<String, usize>> = const { RefCell::new(BTreeMap::new()) };
    }

    pub(super) fn record(source: &str) {
        PARSES.with(|p| *p.borrow_mut().entry(source.to_owned()).or_default() += 1);
    }

    /// How many times `source` was parsed on this thread so far.
    pub fn of(source: &str) -> usize {
        PARSES.with(|p| p.borrow().get(source).copied().unwrap_or(0))
    }
}
