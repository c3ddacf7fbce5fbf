//! The untyped syntax tree: one [`Instruction`] per logical Dockerfile line.
//!
//! This mirrors what BuildKit's parser produces (`parser.Node`), but typed:
//! arguments are a closed enum instead of a `Next` chain, and every node has a
//! byte-offset [`Span`]. Meaning (flags, variable scoping, validation) is added
//! later by the `instructions` layer.

use crate::span::Span;

/// A parsed Dockerfile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// Parser directives from the top of the file (`# syntax=`, `# escape=`, `# check=`).
    pub directives: Vec<Directive>,
    /// The escape character in force: `\` or `` ` ``.
    pub escape: char,
    pub instructions: Vec<Instruction>,
}

impl Dockerfile {
    /// The value of a directive by (lowercase) name.
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }
}

/// A parser directive such as `# escape=`` ` ``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Lowercased key.
    pub name: String,
    pub value: String,
    /// The whole directive line.
    pub span: Span,
}

/// A piece of argument text and where it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Source range; for words built from several physical lines it covers all of them.
    pub span: Span,
}

/// An ENV or LABEL entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// Raw key text (quotes and escapes not processed yet).
    pub key: Word,
    /// Raw value text (quotes and escapes not processed yet).
    pub value: Word,
    /// `true` for the legacy `KEY value` form, `false` for `KEY=value`.
    pub legacy: bool,
}

/// The arguments of an instruction, shaped by its keyword's argument parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Args {
    /// No arguments at all.
    Empty,
    /// A list of words: whitespace-split, JSON array elements, or one whole string.
    Words(Vec<Word>),
    /// ENV / LABEL entries.
    Pairs(Vec<Pair>),
    /// The instruction an `ONBUILD` registers.
    Trigger(Box<Instruction>),
    /// An unknown keyword: BuildKit keeps no arguments (it reports it later).
    Unknown,
}

/// A heredoc attached to an instruction (`<<EOF` … `EOF`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word with quotes removed; also the file name for COPY/ADD.
    pub name: String,
    /// File descriptor prefix (`3<<EOF`), 0 when absent.
    pub file_descriptor: u32,
    /// Variables in the body are expanded (the delimiter had no quotes).
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from body lines and the terminator.
    pub chomp: bool,
    /// The body exactly as written, each line with its newline.
    pub content: String,
    /// Body and terminator line.
    pub span: Span,
}

/// One instruction: a logical line, plus any heredoc bodies that follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Lowercased keyword (`run`, `from`, …), as BuildKit's `Node.Value`.
    pub keyword: String,
    pub keyword_span: Span,
    /// Builder flags as written after processing quotes (`--mount=type=cache,target=/x`).
    pub flags: Vec<Word>,
    pub args: Args,
    /// The arguments were a JSON array (exec form).
    pub json: bool,
    /// Where the arguments (after the flags) sit in `original`; see [`Instruction::args_text`].
    pub args_range: (u32, u32),
    /// Source span of the arguments.
    pub args_span: Span,
    pub heredocs: Vec<Heredoc>,
    /// The logical line, continuations joined (BuildKit's `Node.Original`).
    pub original: String,
    /// Comment lines directly above the instruction (directives excluded).
    pub comments: Vec<String>,
    /// From the keyword to the end of the last line consumed (heredocs included).
    pub span: Span,
}

impl Instruction {
    /// Text of the arguments after the flags, continuations joined.
    pub fn args_text(&self) -> &str {
        self.original
            .get(self.args_range.0 as usize..self.args_range.1 as usize)
            .unwrap_or("")
    }

    /// The argument words, or an empty slice for other shapes.
    pub fn words(&self) -> &[Word] {
        match &self.args {
            Args::Words(words) => words,
            _ => &[],
        }
    }
}
