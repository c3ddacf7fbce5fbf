//! The structure of a command line: simple commands and the lists they belong to.

use super::tokens::{tokenize, Tok, TokKind};
use super::words::{is_assignment, literal};
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
    /// that list (not inside `if`/loops, not in a pipeline, not after `!`).
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
    /// inside `if`/loops).
    pub owner: Vec<Option<usize>>,
    pub scopes: Vec<Scope>,
    pub cmds: Vec<SimpleCmd>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nest {
    Paren(usize),
    Brace(usize),
    If,
    Loop,
}

impl Script {
    pub fn parse(text: &str) -> Result<Script, Unsupported> {
        let toks = tokenize(text)?;
        let mut cmds: Vec<SimpleCmd> = Vec::new();
        let mut nest: Vec<Nest> = Vec::new();
        let mut scopes = vec![Scope {
            open: None,
            close: None,
        }];
        let mut owner = vec![None; toks.len()];
        let mut cur: Option<SimpleCmd> = None;
        let mut negated = false;
        let mut after_pipe = false;
        let mut after_close = false;
        let mut redirect_target = false;
        let mut for_header = false;
        // Inside `[[ … ]]` (bash): every token up to `]]` is an argument.
        let mut dbracket = false;

        let direct = |nest: &[Nest]| match nest.last() {
            None => Some(0),
            Some(Nest::Paren(s)) | Some(Nest::Brace(s)) => Some(*s),
            _ => None,
        };
        fn finish(cmds: &mut Vec<SimpleCmd>, cur: &mut Option<SimpleCmd>, piped: bool) {
            if let Some(mut c) = cur.take() {
                if piped {
                    c.scope = None;
                }
                cmds.push(c);
            }
        }

        for (i, tok) in toks.iter().enumerate() {
            let t = tok.text(text);
            owner[i] = direct(&nest);
            if dbracket {
                if tok.kind == TokKind::Comment {
                    return Err(Unsupported("a comment inside `[[`"));
                }
                if let Some(c) = cur.as_mut() {
                    c.argv.push(i);
                    c.last = i + 1;
                }
                owner[i] = None;
                if tok.kind == TokKind::Word && t == "]]" {
                    dbracket = false;
                }
                continue;
            }
            match tok.kind {
                TokKind::Comment => finish(&mut cmds, &mut cur, false),
                TokKind::Op => {
                    if redirect_target {
                        return Err(Unsupported("a redirection without a target"));
                    }
                    match t {
                        "(" => {
                            if cur.is_some() || after_close {
                                return Err(Unsupported("function definitions"));
                            }
                            scopes.push(Scope {
                                open: Some(i),
                                close: None,
                            });
                            nest.push(Nest::Paren(scopes.len() - 1));
                        }
                        ")" => {
                            finish(&mut cmds, &mut cur, false);
                            match nest.pop() {
                                Some(Nest::Paren(s)) => scopes[s].close = Some(i),
                                _ => return Err(Unsupported("unbalanced parentheses")),
                            }
                            owner[i] = direct(&nest);
                            after_close = true;
                            continue;
                        }
                        _ => {
                            let piped = matches!(t, "|" | "|&");
                            finish(&mut cmds, &mut cur, piped);
                            after_pipe = piped;
                            negated = false;
                        }
                    }
                    after_close = false;
                }
                TokKind::Redirect => {
                    if redirect_target {
                        return Err(Unsupported("a redirection without a target"));
                    }
                    let scope = direct(&nest).filter(|_| !negated && !after_pipe);
                    let c = cur.get_or_insert_with(|| new_cmd(i, scope));
                    c.last = i + 1;
                    redirect_target = true;
                }
                TokKind::Word => {
                    if redirect_target {
                        redirect_target = false;
                        if let Some(c) = cur.as_mut() {
                            c.last = i + 1;
                        }
                        continue;
                    }
                    if for_header {
                        if t == "do" {
                            for_header = false;
                        }
                        continue;
                    }
                    let at_start = cur
                        .as_ref()
                        .is_none_or(|c| c.argv.is_empty() && c.assigns.is_empty());
                    if after_close
                        && !(at_start && cur.is_none() && matches!(t, "fi" | "done" | "}"))
                    {
                        return Err(Unsupported("words after a closing parenthesis or keyword"));
                    }
                    if at_start {
                        match t {
                            "if" | "while" | "until" => {
                                nest.push(if t == "if" { Nest::If } else { Nest::Loop });
                                continue;
                            }
                            "{" => {
                                scopes.push(Scope {
                                    open: Some(i),
                                    close: None,
                                });
                                nest.push(Nest::Brace(scopes.len() - 1));
                                continue;
                            }
                            "then" | "else" | "elif" | "do" => {
                                let ok = matches!(
                                    (t, nest.last()),
                                    ("do", Some(Nest::Loop))
                                        | ("then" | "else" | "elif", Some(Nest::If))
                                );
                                if !ok {
                                    return Err(Unsupported("unbalanced compound command"));
                                }
                                continue;
                            }
                            "fi" | "done" | "}" => {
                                let popped = nest.pop();
                                match (t, popped) {
                                    ("fi", Some(Nest::If)) | ("done", Some(Nest::Loop)) => {}
                                    ("}", Some(Nest::Brace(s))) => scopes[s].close = Some(i),
                                    _ => return Err(Unsupported("unbalanced compound command")),
                                }
                                owner[i] = direct(&nest);
                                after_close = true;
                                continue;
                            }
                            "!" => {
                                negated = true;
                                continue;
                            }
                            "for" => {
                                nest.push(Nest::Loop);
                                for_header = true;
                                continue;
                            }
                            "[[" => dbracket = true,
                            "case" | "esac" | "select" | "function" | "]]" | "coproc" | "in"
                            | "time" => {
                                return Err(Unsupported(
                                    "`case`, `select`, `function`, `time` or `coproc`",
                                ));
                            }
                            _ => {}
                        }
                        let scope = direct(&nest).filter(|_| !negated && !after_pipe);
                        let c = cur.get_or_insert_with(|| new_cmd(i, scope));
                        c.last = i + 1;
                        if is_assignment(t) {
                            c.assigns.push(i);
                        } else {
                            c.argv.push(i);
                        }
                    } else if let Some(c) = cur.as_mut() {
                        c.argv.push(i);
                        c.last = i + 1;
                    }
                }
            }
        }
        if redirect_target || dbracket {
            return Err(Unsupported(
                "a redirection without a target or an unclosed `[[`",
            ));
        }
        if for_header || !nest.is_empty() {
            return Err(Unsupported("unbalanced compound command"));
        }
        finish(&mut cmds, &mut cur, false);
        Ok(Script {
            text: text.to_string(),
            toks,
            owner,
            scopes,
            cmds,
        })
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

fn new_cmd(first: usize, scope: Option<usize>) -> SimpleCmd {
    SimpleCmd {
        first,
        last: first + 1,
        assigns: Vec::new(),
        argv: Vec::new(),
        scope,
    }
}
