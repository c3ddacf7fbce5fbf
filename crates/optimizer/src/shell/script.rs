//! The structure of a command line: simple commands and the lists they belong to.

use super::parser::Parser;
use super::tokens::{Tok, TokKind};
use super::words::literal;
use super::Unsupported;

/// One simple command: optional assignments, then words (argv).
#[derive(Clone, Debug)]
pub(crate) struct SimpleCmd {
    /// First and one-past-last token index (redirections included).
    pub first: usize,
    pub last: usize,
    pub assigns: Vec<usize>,
    /// Token indices of the argument words; `argv[0]` is the command name.
    pub argv: Vec<usize>,
    /// The list it is an element of — the top level (0), or the inside of a
    /// subshell `( … )` or group `{ …; }` — when it is directly an element of
    /// that list (not inside `if`/loops/`case` clauses, not in a pipeline,
    /// not after `!`). Being an element does not mean it surely runs
    /// (`cond && cmd; other`): that is [`Script::always_runs`].
    pub scope: Option<usize>,
}

/// A list scope: the top level, or a subshell/group with its delimiters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope {
    /// Token index of `(` / `{` (none for the top level).
    pub open: Option<usize>,
    /// Token index of `)` / `}`.
    pub close: Option<usize>,
}

/// A command line split into tokens and simple commands.
#[derive(Clone, Debug)]
pub(crate) struct Script {
    pub text: String,
    pub toks: Vec<Tok>,
    /// For each token, the scope whose list it directly belongs to (`None`
    /// inside `if`/loops/`case`: their keywords, patterns and bodies).
    pub owner: Vec<Option<usize>>,
    pub scopes: Vec<Scope>,
    pub cmds: Vec<SimpleCmd>,
    /// The command substitutions of its words, outermost ones, in text
    /// order, each read as a command line of its own (`substitutions.rs`).
    pub subs: Vec<Script>,
}

impl Script {
    /// The redirection token `i`: its operator without an io-number (`2>` is
    /// `>`) and the literal value of its target word, if it has one.
    pub(crate) fn redirection(&self, i: usize) -> (&str, Option<String>) {
        let op = self.toks[i]
            .text(&self.text)
            .trim_start_matches(|c: char| c.is_ascii_digit());
        let target = self
            .toks
            .get(i + 1)
            .and_then(|t| literal(t.text(&self.text)));
        (op, target)
    }

    /// Reads `text`, or says what in it is not modelled.
    pub fn parse(text: &str) -> Result<Script, Unsupported> {
        Parser::read(text)
    }

    pub fn word(&self, tok: usize) -> &str {
        self.toks[tok].text(&self.text)
    }

    /// The command name of `cmd` (its first word), as written.
    pub fn name(&self, cmd: &SimpleCmd) -> Option<&str> {
        cmd.argv.first().map(|&t| self.word(t))
    }

    /// The static value of the command name, with any directory removed.
    pub fn base_name(&self, cmd: &SimpleCmd) -> Option<String> {
        let name = literal(self.name(cmd)?)?;
        Some(name.rsplit('/').next().unwrap_or(&name).to_string())
    }

    /// Static values of the arguments after the command name (`None` where dynamic).
    pub fn args(&self, cmd: &SimpleCmd) -> Vec<Option<String>> {
        cmd.argv
            .iter()
            .skip(1)
            .map(|&t| literal(self.word(t)))
            .collect()
    }

    /// Whether a background operator `&` (or bash's `&>`, which dash reads
    /// as `&` followed by `>`) appears.
    pub fn has_background(&self) -> bool {
        self.toks.iter().any(|t| match t.kind {
            TokKind::Op => t.text(&self.text) == "&",
            TokKind::Redirect => t.text(&self.text).starts_with('&'),
            _ => false,
        })
    }

    /// The last token that is not a comment.
    pub fn last_significant(&self) -> Option<Tok> {
        self.toks
            .iter()
            .rev()
            .find(|t| t.kind != TokKind::Comment)
            .copied()
    }
}
