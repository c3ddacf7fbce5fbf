//! Which simple commands surely ran when the command line succeeded.
//!
//! Some rewrites rely on a command having run: a mount is allowed because
//! the RUN deleted a directory itself, so the image never kept it. A
//! deletion under a condition (`if`, `case`, a loop, `cond && rm …` in the
//! middle of the line, `test -f x || rm …`) proves nothing: when the
//! condition goes the other way the RUN still succeeds and the image keeps
//! the directory. `/bin/sh -c` runs without `set -e`, so in `a; b` a
//! failing `a` does not stop `b`, and the RUN's status is that of its last
//! and-or list only.
//!
//! A simple command *always runs* when all of these hold:
//!
//! - the command line starts no background job (`&`, or bash's `&>`, which
//!   dash reads as `&`);
//! - no simple command before it (in text order) may end the shell with
//!   success or change what later commands mean: `exit`/`return` other
//!   than with a literal status that is not 0 modulo 256, `exec`, `.`,
//!   `source`, `eval`, `trap`, `break`, `continue`, `alias`, `hash`,
//!   `enable`, `set` with `-n`/`noexec` or a dynamic argument, `command` or
//!   `builtin` running one of these or a dynamic name, and any command
//!   whose name is not static — except inside a subshell that ends before
//!   the command starts, `exec` with only redirections, and `exit`/`return`
//!   without a status or with `$?` right after `||` (the status is then not
//!   0);
//! - it is a whole pipeline on its own (not piped, not after `!`), directly
//!   an element of a list (see [`SimpleCmd::scope`](super::SimpleCmd)), and
//!   that element *surely ran* in its list.
//!
//! An element E of a list L surely ran when one of these holds:
//!
//! - **it ran**: L surely started; a failure that ends L early (`set -e`, a
//!   fatal shell error) fails the RUN, because L runs in the main shell (the
//!   top level, or a group `{ …; }` whose enclosing lists are all in the
//!   main shell) or L surely succeeded (a subshell that ends early fails);
//!   E is the first pipeline of its and-or list (`E`, `E && x`, `E || x`,
//!   not `x && E`); and its redirections cannot fail (only `/dev/null` as a
//!   file, or a copy of fd 0–2): a failed redirection skips the command and
//!   the shell goes on;
//! - **it succeeded**: L surely succeeded, E is in the last and-or list of
//!   L (or in one followed by `( exit $? ) || exit $?`, which ends the
//!   shell with a failure unless it succeeded: how merged RUNs join their
//!   parts), it is first or comes right after `&&`, and only `&&` follows it
//!   in that and-or list: the and-or list, and so L, succeeds only if E ran
//!   and succeeded.
//!
//! The top level surely started and surely succeeded (the RUN succeeded). A
//! subshell `( … )` or group `{ …; }` surely started when, as an element of
//! its enclosing list, it surely ran, and surely succeeded when it surely
//! succeeded there (as an element, not after `!` nor in a pipeline); one
//! inside `if`, loops or `case` clauses is never sure. Everything else —
//! bodies and conditions of `if`, loops, `case` clauses, pipelines — counts
//! as conditional.

use super::script::{Script, SimpleCmd};
use super::tokens::TokKind;

/// What is sure about an element of a list when the RUN succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sure {
    /// It started.
    ran: bool,
    /// It ran to the end with status 0.
    succeeded: bool,
    /// It runs in the main shell (not in a subshell).
    main: bool,
}

const NEVER: Sure = Sure {
    ran: false,
    succeeded: false,
    main: false,
};

/// Commands that may end the shell with success or change what later
/// commands mean.
const BARRIERS: &[&str] = &[
    "exit", "return", "exec", ".", "source", "eval", "trap", "break", "continue", "alias", "hash",
    "enable",
];

impl Script {
    /// Whether simple command `ci` ran whenever the command line succeeded
    /// (see the module documentation for the exact rule).
    pub fn always_runs(&self, ci: usize) -> bool {
        let c = &self.cmds[ci];
        if self.has_background()
            || self.cmds[..ci]
                .iter()
                .any(|b| self.may_end_early(b) && !self.in_subshell_before(b, c))
        {
            return false;
        }
        let Some(scope) = c.scope else {
            return false;
        };
        let sure = self.element(scope, c.first, c.last, c.last);
        sure.ran || sure.succeeded
    }

    /// Whether `b` is inside a subshell that ends before `c` starts: ending
    /// that subshell does not end the shell that runs `c`.
    fn in_subshell_before(&self, b: &SimpleCmd, c: &SimpleCmd) -> bool {
        self.scopes.iter().any(|s| match (s.open, s.close) {
            (Some(open), Some(close)) => {
                self.toks[open].kind == TokKind::Op && open < b.first && close < c.first
            }
            _ => false,
        })
    }

    /// Whether a command may end the shell early with success, or change
    /// what later commands run.
    fn may_end_early(&self, c: &SimpleCmd) -> bool {
        if c.argv.is_empty() {
            return false;
        }
        let Some(name) = self.base_name(c) else {
            return true;
        };
        let args = self.args(c);
        match name.as_str() {
            // `… || exit $?` exits with the failure that led to it.
            "exit" | "return" if self.after_or(c) && self.status_of_last(c.argv.get(1)) => false,
            // Only redirections: the shell goes on (or fails if one fails).
            "exec" if c.argv.len() == 1 => false,
            // A literal status that is not 0 (modulo 256) fails the RUN.
            "exit" | "return" => args
                .first()
                .and_then(|a| a.as_deref()?.parse::<u64>().ok())
                .is_none_or(|n| n % 256 == 0),
            "set" => args.iter().any(|a| match a.as_deref() {
                None => true,
                Some("--" | "-o" | "+o") => false,
                Some(a) => a == "noexec" || (a.starts_with(['-', '+']) && a.contains('n')),
            }),
            "command" | "builtin" => match args.iter().find(|a| {
                a.as_deref()
                    .is_none_or(|a| !a.starts_with('-') || a == "-" || a == "--")
            }) {
                Some(Some(a)) if a == "--" => true,
                Some(Some(a)) => BARRIERS.contains(&a.as_str()) || a == "set" || a == "command",
                Some(None) => true,
                None => false,
            },
            n => BARRIERS.contains(&n),
        }
    }

    /// Whether `c` comes right after `||` (so `$?` is not 0 when it starts).
    fn after_or(&self, c: &SimpleCmd) -> bool {
        c.scope.is_some()
            && self
                .previous_significant(c.first)
                .is_some_and(|p| self.toks[p].kind == TokKind::Op && self.word(p) == "||")
    }

    /// Whether an `exit` argument is missing or `$?` (the last status).
    fn status_of_last(&self, arg: Option<&usize>) -> bool {
        arg.is_none_or(|&t| matches!(self.word(t), "$?" | "\"$?\""))
    }

    /// Whether the and-or list ended by the terminator at `term` is followed
    /// by `( exit $? ) || exit $?` (how merged RUNs join their parts): the
    /// shell then ends with a failure unless that and-or list succeeded.
    fn status_guard_follows(&self, term: usize) -> bool {
        const GUARD: [&str; 7] = ["(", "exit", "$?", ")", "||", "exit", "$?"];
        let mut at = term;
        for want in GUARD {
            let Some(next) = ((at + 1)..self.toks.len()).find(|&i| {
                let t = self.toks[i];
                t.kind != TokKind::Comment && !(t.kind == TokKind::Op && self.word(i) == "\n")
            }) else {
                return false;
            };
            let t = self.toks[next];
            let kind_ok = match want {
                "(" | ")" | "||" => t.kind == TokKind::Op,
                _ => t.kind == TokKind::Word,
            };
            if !kind_ok || self.word(next) != want {
                return false;
            }
            at = next;
        }
        self.toks.get(at + 1).is_none_or(|t| {
            t.kind == TokKind::Comment
                || (t.kind == TokKind::Op && matches!(t.text(&self.text), ";" | "\n" | ")"))
        })
    }

    /// What is sure about the inside of `scope` (its list as a whole).
    fn list(&self, scope: usize) -> Sure {
        let sc = self.scopes[scope];
        let (Some(open), Some(close)) = (sc.open, sc.close) else {
            return Sure {
                ran: true,
                succeeded: true,
                main: true,
            };
        };
        let Some(parent) = self.owner[open] else {
            return NEVER;
        };
        let end = self.element_end(parent, close + 1);
        let sure = self.element(parent, open, close + 1, end);
        let group = self.toks[open].kind == TokKind::Word;
        Sure {
            main: sure.main && group,
            ..sure
        }
    }

    /// The end of the element of `scope`'s list whose last part ends at
    /// `from` (the redirections of a compound command follow it).
    fn element_end(&self, scope: usize, from: usize) -> usize {
        (from..self.toks.len())
            .find(|&i| {
                let t = self.toks[i];
                t.kind == TokKind::Comment
                    || (t.kind == TokKind::Op && self.owner[i] == Some(scope))
                    || self.scopes[scope].close == Some(i)
            })
            .unwrap_or(self.toks.len())
    }

    /// What is sure about the element of `scope`'s list at tokens
    /// `first..end`, whose command itself ends at `body_end` (redirections
    /// of a compound command come after it).
    fn element(&self, scope: usize, first: usize, body_end: usize, end: usize) -> Sure {
        let list = self.list(scope);
        if !list.ran && !list.succeeded {
            return NEVER;
        }
        if self
            .previous_significant(first)
            .is_some_and(|i| self.toks[i].kind == TokKind::Word && self.word(i) == "!")
        {
            return NEVER;
        }
        let seps = self.separators(scope);
        let and_or = |op: &str| matches!(op, "&&" | "||" | "|" | "|&");
        let before: Vec<&str> = seps
            .iter()
            .rev()
            .filter(|(i, _)| *i < first)
            .map(|(_, op)| *op)
            .take_while(|op| and_or(op))
            .collect();
        let mut after = seps.iter().filter(|(i, _)| *i >= end);
        let mut ops_after: Vec<&str> = Vec::new();
        let mut terminator: Option<usize> = None;
        for &(i, op) in after.by_ref() {
            if and_or(op) {
                ops_after.push(op);
            } else {
                terminator = Some(i);
                break;
            }
        }
        let piped = |op: &&str| matches!(*op, "|" | "|&");
        if before.first().is_some_and(piped) || ops_after.first().is_some_and(piped) {
            return NEVER;
        }
        let scope_end = self.scopes[scope].close.unwrap_or(self.toks.len());
        let must_succeed = terminator.is_none_or(|term| {
            self.status_guard_follows(term)
                || !(term..scope_end).any(|i| {
                    let t = self.toks[i];
                    matches!(t.kind, TokKind::Word | TokKind::Redirect | TokKind::Arith)
                        || (t.kind == TokKind::Op && t.text(&self.text) == "(")
                })
        });
        let first_in_and_or = before.is_empty();
        let ran = list.ran
            && (list.main || list.succeeded)
            && first_in_and_or
            && self.redirections_cannot_fail(first, body_end, end);
        let succeeded = list.succeeded
            && must_succeed
            && (first_in_and_or || before.first() == Some(&"&&"))
            && ops_after.iter().all(|op| *op == "&&");
        Sure {
            // Having run to the end, it started.
            ran: ran || succeeded,
            succeeded,
            main: list.main,
        }
    }

    /// The separators of `scope`'s list, in order: `;`, `&`, `&&`, `||`,
    /// `|`, `|&` and newlines, except a newline that continues an and-or
    /// list or pipeline (after `&&`, `||`, `|`, `|&` or `!`).
    fn separators(&self, scope: usize) -> Vec<(usize, &str)> {
        let mut out = Vec::new();
        for (i, t) in self.toks.iter().enumerate() {
            if t.kind != TokKind::Op || self.owner[i] != Some(scope) {
                continue;
            }
            let op = t.text(&self.text);
            if matches!(op, "(" | ")") {
                continue;
            }
            if op == "\n"
                && self.previous_significant(i).is_some_and(|p| {
                    let prev = self.word(p);
                    matches!(prev, "&&" | "||" | "|" | "|&" | "!")
                })
            {
                continue;
            }
            out.push((i, op));
        }
        out
    }

    /// The token before `i`, skipping comments and newlines.
    fn previous_significant(&self, i: usize) -> Option<usize> {
        (0..i).rev().find(|&p| {
            let t = self.toks[p];
            t.kind != TokKind::Comment && !(t.kind == TokKind::Op && t.text(&self.text) == "\n")
        })
    }

    /// Whether the redirections of an element (inside `first..body_end`
    /// when they belong to a simple command, `body_end..end` after a
    /// compound command) cannot fail: a file that is `/dev/null`, a copy of
    /// fd 0, 1 or 2, a here-string.
    fn redirections_cannot_fail(&self, first: usize, body_end: usize, end: usize) -> bool {
        let owner = self.owner[first];
        (first..end).all(|i| {
            let t = self.toks[i];
            if t.kind != TokKind::Redirect || (i < body_end && self.owner[i] != owner) {
                return true;
            }
            let (op, target) = self.redirection(i);
            match op {
                ">" | ">>" | ">|" | "&>" | "&>>" | "<" => target.as_deref() == Some("/dev/null"),
                ">&" | "<&" => matches!(target.as_deref(), Some("0" | "1" | "2" | "-")),
                "<<<" => true,
                _ => false,
            }
        })
    }
}
