//! The IR being optimised, with where each command came from, and the
//! context handed to passes.

use dfopt_dockerfile::instructions::parse::{parse_instruction, Parsed as ParsedInstr};
use dfopt_dockerfile::instructions::{Command, Ir};
use dfopt_dockerfile::Span;

use crate::change::{Change, ChangeKind};
use crate::facts::{self, StageFacts};
use std::collections::BTreeSet;

use crate::options::{ContextQuery, Options};
use crate::source::{InstrSrc, Logical, Source};

/// Where a command of the optimised IR comes from, and how to print it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Indices of the original instructions it stands for (in file order).
    pub instructions: Vec<usize>,
    /// The printed instruction when rewritten; `None`: the original text.
    pub text: Option<String>,
    /// Indices into [`crate::Optimized::changes`] of rewrites applied to it.
    pub changes: Vec<usize>,
}

impl Origin {
    fn source(instruction: usize) -> Origin {
        Origin {
            instructions: vec![instruction],
            text: None,
            changes: Vec::new(),
        }
    }
}

/// The IR plus an [`Origin`] for every command (and every stage's FROM).
#[derive(Clone, Debug)]
pub(crate) struct Work {
    pub ir: Ir,
    pub meta: Vec<Origin>,
    pub from: Vec<usize>,
    pub stages: Vec<Vec<Origin>>,
}

impl Work {
    pub fn new(ir: Ir, src: &Source) -> Option<Work> {
        let at = |span: Span| src.instr_at(span);
        let meta = ir
            .meta_args
            .iter()
            .map(|c| at(c.span).map(Origin::source))
            .collect::<Option<Vec<_>>>()?;
        let from = ir
            .stages
            .iter()
            .map(|s| at(s.span))
            .collect::<Option<Vec<_>>>()?;
        let stages = ir
            .stages
            .iter()
            .map(|s| {
                s.commands
                    .iter()
                    .map(|c| at(c.span).map(Origin::source))
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Work {
            ir,
            meta,
            from,
            stages,
        })
    }
}

/// A command's current printed text, parsed on its own, with its logical map.
#[derive(Clone, Debug)]
pub(crate) struct Printed {
    /// The instruction text (no leading trivia).
    pub text: String,
    pub instr: InstrSrc,
    pub logical: Logical,
}

impl Printed {
    /// The arguments as a logical string (continuations joined).
    pub fn args(&self) -> &str {
        &self.logical.text[self.instr.args_range.0..self.instr.args_range.1]
    }

    /// Maps a logical edit range (relative to the arguments) to a range of `text`.
    pub fn text_range(&self, start: usize, end: usize) -> (usize, usize) {
        let base = self.instr.args_range.0;
        let (s, e) = (base + start, base + end);
        if e > s {
            (self.logical.source_of(s), self.logical.source_end_of(e))
        } else if s >= self.logical.text.len() {
            let p = self.logical.source_end_of(s);
            (p, p)
        } else {
            let p = self.logical.source_of(s);
            (p, p)
        }
    }
}

const ESCAPE_PREFIX: &str = "# escape=`\n";

/// Parses one instruction text on its own (with the file's escape character).
pub(crate) fn parse_alone(
    text: &str,
    escape: char,
    stage_index: usize,
) -> Option<(Printed, Command)> {
    let prefix = if escape == '`' { ESCAPE_PREFIX } else { "" };
    let full = format!("{prefix}{text}");
    let parsed = dfopt_dockerfile::parse(&full);
    if parsed.error().is_some()
        || parsed.dockerfile.instructions.len() != 1
        || parsed.dockerfile.escape != escape
    {
        return None;
    }
    let src = Source::new(&full, &parsed.dockerfile);
    let logical = src.logical(0)?;
    let mut instr = src.instrs[0].clone();
    let shift = prefix.len();
    if instr.span.start as usize != shift || instr.span.end as usize != full.len() {
        return None;
    }
    instr.flags_start = instr.flags_start.map(|f| f - shift);
    instr.args_start -= shift;
    let logical = logical.shifted(shift);
    let command =
        match parse_instruction(&parsed.dockerfile.instructions[0], stage_index, escape).ok()? {
            ParsedInstr::Command(c) => c,
            ParsedInstr::Stage(_) => return None,
        };
    Some((
        Printed {
            text: text.to_string(),
            instr,
            logical,
        },
        command,
    ))
}

/// What passes work with.
pub(crate) struct Cx<'a, 'b> {
    pub src: &'a Source<'b>,
    pub opts: &'a Options,
    pub work: &'a mut Work,
    pub changes: &'a mut Vec<Change>,
    /// Build-context facts the passes asked for and `opts.context` does not answer.
    pub queries: &'a mut BTreeSet<ContextQuery>,
}

impl Cx<'_, '_> {
    pub fn facts(&self) -> Vec<StageFacts> {
        facts::analyze(&self.work.ir, self.opts, self.src.escape)
    }

    /// The current printed text of a command.
    pub fn text_of(&self, stage: usize, index: usize) -> String {
        let origin = &self.work.stages[stage][index];
        match &origin.text {
            Some(t) => t.clone(),
            None => self.src.instrs[origin.instructions[0]]
                .span
                .text(self.src.text)
                .to_string(),
        }
    }

    /// The current printed text of a command, parsed on its own.
    pub fn printed(&self, stage: usize, index: usize) -> Option<Printed> {
        parse_alone(&self.text_of(stage, index), self.src.escape, stage).map(|(p, _)| p)
    }

    /// Original source ranges a command stands for.
    pub fn ranges(&self, stage: usize, index: usize) -> Vec<Span> {
        self.work.stages[stage][index]
            .instructions
            .iter()
            .map(|&i| self.src.instrs[i].span)
            .collect()
    }

    /// Comment lines written above original instruction `i` (as in the source, `#` included).
    pub fn comment_lines(&self, i: usize) -> Vec<String> {
        let leading = self.src.instrs[i].leading.text(self.src.text);
        leading
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with('#'))
            .map(str::to_string)
            .collect()
    }

    /// Records a change about the given commands.
    pub fn record(&mut self, change: Change, targets: &[(usize, usize)]) -> usize {
        let index = self.changes.len();
        let rewrite = change.kind == ChangeKind::Rewrite;
        self.changes.push(change);
        if rewrite {
            for &(s, c) in targets {
                self.work.stages[s][c].changes.push(index);
            }
        }
        index
    }

    /// Records a report (no rewrite).
    pub fn report(&mut self, pass: &'static str, ranges: Vec<Span>, title: String, reason: String) {
        let duplicate = self.changes.iter().any(|c| {
            c.pass == pass && c.kind == ChangeKind::Report && c.ranges == ranges && c.title == title
        });
        if !duplicate {
            self.changes.push(Change {
                pass,
                kind: ChangeKind::Report,
                ranges,
                title,
                reason,
                note: String::new(),
            });
        }
    }
}

/// Whether a `# dfopt:keep` comment sits directly above the instruction.
pub(crate) fn is_kept(comments: &[String]) -> bool {
    comments.iter().any(|c| {
        let c = c.trim();
        c == "dfopt:keep" || c.starts_with("dfopt:keep ") || c.starts_with("dfopt: keep")
    })
}
