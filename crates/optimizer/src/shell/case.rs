//! `case WORD in [(]PATTERN[|PATTERN]…) LIST ;; … esac`.
//!
//! The word and the patterns are not commands: they are skipped, like the
//! words of a `for` header. Each clause's list is read like the body of an
//! `if`: its simple commands are visible to the passes, and none of them is
//! directly an element of an enclosing list (a clause runs only when its
//! pattern matches), so removing one replaces it with `true`, which keeps a
//! clause valid even when it had no other command. `esac` and `in` are
//! reserved words only where a command or a clause could start; a `)` ending
//! a pattern list is not a subshell's end. Refused: bash's `;&` and `;;&`
//! (by the tokenizer), newlines or comments inside the header or a pattern
//! list, `esac` as a pattern, and `case` inside `$(…)` (the tokenizer cannot
//! tell a pattern's `)` from the end of the substitution).

use super::parser::{Nest, Parser};
use super::tokens::TokKind;
use super::Unsupported;

/// Where in a `case` command the reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CaseAt {
    /// After `case`: the word to match.
    Word,
    /// After the word: `in`.
    In,
    /// Where a clause or `esac` may start: after `in` or `;;`, and after
    /// newlines or comments there.
    Clause,
    /// After a clause's optional `(`: its first pattern.
    Open,
    /// After a pattern: `|` or `)`.
    AfterPattern,
    /// After `|`: the next pattern.
    Bar,
    /// In a clause's list, until `;;` or `esac`.
    Body,
}

const UNREAD: Unsupported = Unsupported("a `case` command written in a way it does not model");

impl Parser<'_> {
    /// `case` or `esac` where a command starts.
    pub(super) fn case_keyword(&mut self, i: usize) -> Result<(), Unsupported> {
        if self.cur.is_some() {
            return Err(UNREAD);
        }
        if self.toks[i].text(self.text) == "case" {
            self.nest.push(Nest::Case(CaseAt::Word));
            return Ok(());
        }
        match self.nest.last() {
            // `esac` ends the last clause's list.
            Some(Nest::Case(CaseAt::Body)) => {
                self.close_case(i);
                Ok(())
            }
            _ => Err(Unsupported("unbalanced compound command")),
        }
    }

    /// `;;`: the clause's list ends, the next clause or `esac` may follow.
    pub(super) fn end_case_clause(&mut self) -> Result<(), Unsupported> {
        match self.nest.last_mut() {
            Some(Nest::Case(at @ CaseAt::Body)) => {
                *at = CaseAt::Clause;
                Ok(())
            }
            _ => Err(Unsupported("`;;` outside a `case` clause")),
        }
    }

    /// A token of a `case` command outside its clauses' lists.
    pub(super) fn case_part(&mut self, i: usize, at: CaseAt) -> Result<(), Unsupported> {
        let tok = self.toks[i];
        let t = tok.text(self.text);
        let word = tok.kind == TokKind::Word;
        let op = |o: &str| tok.kind == TokKind::Op && t == o;
        self.owner[i] = None;
        let next = match at {
            CaseAt::Word if word => CaseAt::In,
            CaseAt::In if word && t == "in" => CaseAt::Clause,
            CaseAt::Clause if word && t == "esac" => {
                self.close_case(i);
                return Ok(());
            }
            CaseAt::Clause if op("\n") || tok.kind == TokKind::Comment => CaseAt::Clause,
            CaseAt::Clause if op("(") => CaseAt::Open,
            CaseAt::Clause | CaseAt::Open | CaseAt::Bar if word && t != "esac" => {
                CaseAt::AfterPattern
            }
            CaseAt::AfterPattern if op("|") => CaseAt::Bar,
            CaseAt::AfterPattern if op(")") => {
                self.negated = false;
                self.after_pipe = false;
                self.after_close = false;
                CaseAt::Body
            }
            _ => return Err(UNREAD),
        };
        if let Some(n) = self.nest.last_mut() {
            *n = Nest::Case(next);
        }
        Ok(())
    }

    fn close_case(&mut self, i: usize) {
        self.nest.pop();
        self.owner[i] = self.direct();
        self.after_close = true;
    }
}
