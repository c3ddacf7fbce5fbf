//! Reading tokens into simple commands and the lists they belong to.
//!
//! Compound commands (`if`, loops, `case`, subshells, groups, `[[ … ]]`,
//! `(( … ))`) are tracked on a stack only as far as needed to know where
//! each simple command starts and ends and whether it is directly an element
//! of a list that a command can be removed from.

use super::case::CaseAt;
use super::script::{Scope, Script, SimpleCmd};
use super::tokens::{tokenize_with_substitutions, Tok, TokKind};
use super::words::is_assignment;
use super::Unsupported;

/// An open compound command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Nest {
    /// A subshell `( … )`, with its scope.
    Paren(usize),
    /// A group `{ …; }`, with its scope.
    Brace(usize),
    If,
    Loop,
    /// `case … esac`, with the part of it being read.
    Case(CaseAt),
}

/// The reader's state while it walks the tokens once, left to right.
pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) toks: Vec<Tok>,
    pub(super) cmds: Vec<SimpleCmd>,
    pub(super) nest: Vec<Nest>,
    pub(super) scopes: Vec<Scope>,
    pub(super) owner: Vec<Option<usize>>,
    /// The simple command being read.
    pub(super) cur: Option<SimpleCmd>,
    /// After `!`, until the next operator.
    pub(super) negated: bool,
    /// After `|`/`|&`, until the next other operator.
    pub(super) after_pipe: bool,
    /// After a compound command's end (`)`, `fi`, `done`, `}`, `esac`,
    /// `))`): only operators, redirections and closing keywords may follow.
    pub(super) after_close: bool,
    /// After `&&`, `||`, `|`, `|&` or `!` (and newlines after them): a
    /// command must follow, so `;;` or `esac` here is a syntax error.
    pub(super) dangling: bool,
    /// After a redirection operator: the next word is its target.
    redirect_target: bool,
    /// Between `for` and `do`.
    for_header: bool,
    /// Inside `[[ … ]]` (bash): every token up to `]]` is an argument.
    dbracket: bool,
}

impl<'a> Parser<'a> {
    pub(super) fn read(text: &'a str) -> Result<Script, Unsupported> {
        let (toks, substitutions) = tokenize_with_substitutions(text)?;
        let mut subs = Vec::new();
        for sub in substitutions {
            let body = &text[sub.start..sub.end];
            if sub.backquoted && body.contains('\\') {
                return Err(Unsupported("a backslash inside backquotes"));
            }
            subs.push(Parser::read(body)?);
        }
        let mut p = Parser {
            text,
            owner: vec![None; toks.len()],
            toks,
            cmds: Vec::new(),
            nest: Vec::new(),
            scopes: vec![Scope {
                open: None,
                close: None,
            }],
            cur: None,
            negated: false,
            after_pipe: false,
            after_close: false,
            dangling: false,
            redirect_target: false,
            for_header: false,
            dbracket: false,
        };
        for i in 0..p.toks.len() {
            p.token(i)?;
        }
        if p.redirect_target || p.dbracket {
            return Err(Unsupported(
                "a redirection without a target or an unclosed `[[`",
            ));
        }
        if p.for_header || !p.nest.is_empty() {
            return Err(Unsupported("unbalanced compound command"));
        }
        p.finish(false);
        Ok(Script {
            text: text.to_string(),
            toks: p.toks,
            owner: p.owner,
            scopes: p.scopes,
            cmds: p.cmds,
            subs,
        })
    }

    /// The scope whose list a token at this point directly belongs to.
    pub(super) fn direct(&self) -> Option<usize> {
        match self.nest.last() {
            None => Some(0),
            Some(Nest::Paren(s)) | Some(Nest::Brace(s)) => Some(*s),
            _ => None,
        }
    }

    /// Ends the simple command being read (in a pipeline: not removable).
    pub(super) fn finish(&mut self, piped: bool) {
        if let Some(mut c) = self.cur.take() {
            if piped {
                c.scope = None;
            }
            self.cmds.push(c);
        }
    }

    /// The simple command being read, started at token `i` if there is none.
    fn cmd_at(&mut self, i: usize) -> &mut SimpleCmd {
        let scope = self.direct().filter(|_| !self.negated && !self.after_pipe);
        self.cur.get_or_insert_with(|| SimpleCmd {
            first: i,
            last: i + 1,
            assigns: Vec::new(),
            argv: Vec::new(),
            scope,
        })
    }

    fn token(&mut self, i: usize) -> Result<(), Unsupported> {
        let tok = self.toks[i];
        self.owner[i] = self.direct();
        if self.dbracket {
            if tok.kind == TokKind::Comment {
                return Err(Unsupported("a comment inside `[[`"));
            }
            if let Some(c) = self.cur.as_mut() {
                c.argv.push(i);
                c.last = i + 1;
            }
            self.owner[i] = None;
            if tok.kind == TokKind::Word && tok.text(self.text) == "]]" {
                self.dbracket = false;
            }
            return Ok(());
        }
        if let Some(Nest::Case(at)) = self.nest.last().copied() {
            if at != CaseAt::Body {
                return self.case_part(i, at);
            }
        }
        match tok.kind {
            TokKind::Comment => {
                self.finish(false);
                Ok(())
            }
            TokKind::Op => self.operator(i),
            TokKind::Redirect => {
                if self.redirect_target {
                    return Err(Unsupported("a redirection without a target"));
                }
                self.dangling = false;
                self.cmd_at(i).last = i + 1;
                self.redirect_target = true;
                Ok(())
            }
            TokKind::Arith => {
                if self.redirect_target || self.for_header || self.cur.is_some() || self.after_close
                {
                    return Err(Unsupported("`((` where no command starts"));
                }
                // Like a compound command: it runs no simple command, and
                // only operators or redirections may follow it.
                self.after_close = true;
                self.dangling = false;
                Ok(())
            }
            TokKind::Word => self.word(i),
        }
    }

    fn operator(&mut self, i: usize) -> Result<(), Unsupported> {
        if self.redirect_target {
            return Err(Unsupported("a redirection without a target"));
        }
        match self.toks[i].text(self.text) {
            "(" => {
                if self.cur.is_some() || self.after_close {
                    return Err(Unsupported("function definitions"));
                }
                self.scopes.push(Scope {
                    open: Some(i),
                    close: None,
                });
                self.nest.push(Nest::Paren(self.scopes.len() - 1));
                self.dangling = false;
            }
            ")" => {
                self.finish(false);
                match self.nest.pop() {
                    Some(Nest::Paren(s)) => self.scopes[s].close = Some(i),
                    _ => return Err(Unsupported("unbalanced parentheses")),
                }
                self.owner[i] = self.direct();
                self.after_close = true;
                return Ok(());
            }
            ";;" => {
                if self.dangling {
                    return Err(Unsupported("`;;` right after an operator"));
                }
                self.finish(false);
                self.end_case_clause()?;
                self.after_pipe = false;
                self.negated = false;
            }
            // A line break after `&&`, `||`, `|`: the list or pipeline goes on.
            "\n" if self.dangling => {}
            t => {
                let piped = matches!(t, "|" | "|&");
                self.dangling = matches!(t, "&&" | "||" | "|" | "|&");
                self.finish(piped);
                self.after_pipe = piped;
                self.negated = false;
            }
        }
        self.after_close = false;
        Ok(())
    }

    fn word(&mut self, i: usize) -> Result<(), Unsupported> {
        let t = self.toks[i].text(self.text);
        let dangling = std::mem::take(&mut self.dangling);
        if self.redirect_target {
            self.redirect_target = false;
            if let Some(c) = self.cur.as_mut() {
                c.last = i + 1;
            }
            return Ok(());
        }
        if self.for_header {
            if t == "do" {
                self.for_header = false;
            }
            return Ok(());
        }
        let at_start = self
            .cur
            .as_ref()
            .is_none_or(|c| c.argv.is_empty() && c.assigns.is_empty());
        if self.after_close
            && !(at_start && self.cur.is_none() && matches!(t, "fi" | "done" | "}" | "esac"))
        {
            return Err(Unsupported("words after a closing parenthesis or keyword"));
        }
        if at_start {
            match t {
                "if" | "while" | "until" => {
                    self.nest
                        .push(if t == "if" { Nest::If } else { Nest::Loop });
                    return Ok(());
                }
                "{" => {
                    self.scopes.push(Scope {
                        open: Some(i),
                        close: None,
                    });
                    self.nest.push(Nest::Brace(self.scopes.len() - 1));
                    return Ok(());
                }
                "then" | "else" | "elif" | "do" => {
                    let ok = matches!(
                        (t, self.nest.last()),
                        ("do", Some(Nest::Loop)) | ("then" | "else" | "elif", Some(Nest::If))
                    );
                    if !ok {
                        return Err(Unsupported("unbalanced compound command"));
                    }
                    return Ok(());
                }
                "fi" | "done" | "}" => {
                    match (t, self.nest.pop()) {
                        ("fi", Some(Nest::If)) | ("done", Some(Nest::Loop)) => {}
                        ("}", Some(Nest::Brace(s))) => self.scopes[s].close = Some(i),
                        _ => return Err(Unsupported("unbalanced compound command")),
                    }
                    self.owner[i] = self.direct();
                    self.after_close = true;
                    return Ok(());
                }
                "esac" if dangling => {
                    return Err(Unsupported("`esac` right after an operator"));
                }
                "case" | "esac" => return self.case_keyword(i),
                "!" => {
                    self.negated = true;
                    self.dangling = true;
                    return Ok(());
                }
                "for" => {
                    self.nest.push(Nest::Loop);
                    self.for_header = true;
                    return Ok(());
                }
                "[[" => self.dbracket = true,
                "select" | "function" | "]]" | "coproc" | "in" | "time" => {
                    return Err(Unsupported("`select`, `function`, `time` or `coproc`"));
                }
                _ => {}
            }
            let c = self.cmd_at(i);
            c.last = i + 1;
            if is_assignment(t) {
                c.assigns.push(i);
            } else {
                c.argv.push(i);
            }
        } else if let Some(c) = self.cur.as_mut() {
            c.argv.push(i);
            c.last = i + 1;
        }
        Ok(())
    }
}
