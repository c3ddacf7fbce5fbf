//! A deliberately small, conservative reader of POSIX shell command lines.
//!
//! Passes need to know a few things about the command of a shell-form RUN:
//! where its simple commands are, which words they have, whether it starts
//! background jobs, whether a `#` starts a comment, and whether its quotes and
//! parentheses are balanced. This module answers exactly that and nothing
//! more. Whenever the text uses something it does not model (here-documents,
//! `case`, functions, `[[`, `((`, a comment inside `$(…)`, an unterminated
//! quote, a trailing backslash) it returns [`Unsupported`], and the passes
//! leave the RUN alone. Being wrong in the other direction — accepting text it
//! misreads — would let a rewrite change meaning, so every construct accepted
//! here is one whose token boundaries are certain in sh, dash, ash and bash.

/// Why a command line was not analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// A word (quotes, escapes and substitutions included).
    Word,
    /// A control operator: `;` `&` `&&` `||` `|` `|&` `(` `)` or a newline.
    Op,
    /// A redirection operator, with its io-number if any (`2>`, `<`, `&>`).
    Redirect,
    /// A comment, from `#` to the end of the line.
    Comment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
}

impl Tok {
    pub fn text(self, s: &str) -> &str {
        &s[self.start..self.end]
    }
}

fn is_meta(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

fn char_len(s: &str, i: usize) -> usize {
    s[i..].chars().next().map_or(1, char::len_utf8)
}

/// Splits `s` into tokens.
pub(crate) fn tokenize(s: &str) -> Result<Vec<Tok>, Unsupported> {
    let (toks, _) = tokenize_from(s, 0, false, 0)?;
    Ok(toks)
}

const MAX_DEPTH: usize = 64;

/// Tokenizes from `start`; with `in_subst`, stops after the `)` closing a
/// `$(` and returns the offset after it.
fn tokenize_from(
    s: &str,
    start: usize,
    in_subst: bool,
    depth: usize,
) -> Result<(Vec<Tok>, usize), Unsupported> {
    if depth > MAX_DEPTH {
        return Err(Unsupported("nesting too deep"));
    }
    let b = s.as_bytes();
    let mut toks = Vec::new();
    let mut parens = 0usize;
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        let op = |len: usize| Tok {
            kind: TokKind::Op,
            start: i,
            end: i + len,
        };
        let redirect = |len: usize| Tok {
            kind: TokKind::Redirect,
            start: i,
            end: i + len,
        };
        let next = b.get(i + 1).copied();
        let tok = match c {
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            b'\n' => op(1),
            b'#' => {
                if in_subst {
                    return Err(Unsupported("comment inside a command substitution"));
                }
                let end = s[i..].find('\n').map_or(s.len(), |n| i + n);
                Tok {
                    kind: TokKind::Comment,
                    start: i,
                    end,
                }
            }
            b';' => match next {
                Some(b';') | Some(b'&') => return Err(Unsupported("`case` clauses")),
                _ => op(1),
            },
            b'&' => match next {
                Some(b'&') => op(2),
                _ if in_subst => {
                    return Err(Unsupported(
                        "a background job inside a command substitution",
                    ))
                }
                Some(b'>') if b.get(i + 2) == Some(&b'>') => redirect(3),
                Some(b'>') => redirect(2),
                _ => op(1),
            },
            b'|' => match next {
                Some(b'|') | Some(b'&') => op(2),
                _ => op(1),
            },
            b'(' => {
                if next == Some(b'(') {
                    return Err(Unsupported("`((` arithmetic commands"));
                }
                parens += 1;
                op(1)
            }
            b')' => {
                if in_subst && parens == 0 {
                    return Ok((toks, i + 1));
                }
                parens = parens.saturating_sub(1);
                op(1)
            }
            b'<' | b'>' => redirect(redirect_len(b, i)?),
            _ => {
                let end = scan_word(s, i, depth)?;
                let word = Tok {
                    kind: TokKind::Word,
                    start: i,
                    end,
                };
                // An io-number: digits directly followed by a redirection.
                if s[i..end].bytes().all(|d| d.is_ascii_digit())
                    && matches!(b.get(end), Some(b'<' | b'>'))
                {
                    let len = redirect_len(b, end)?;
                    Tok {
                        kind: TokKind::Redirect,
                        start: i,
                        end: end + len,
                    }
                } else {
                    word
                }
            }
        };
        i = tok.end;
        toks.push(tok);
    }
    if in_subst {
        return Err(Unsupported("unterminated command substitution"));
    }
    Ok((toks, i))
}

fn redirect_len(b: &[u8], i: usize) -> Result<usize, Unsupported> {
    let rest = &b[i..];
    if rest.starts_with(b"<<<") {
        return Ok(3);
    }
    if rest.starts_with(b"<<") {
        return Err(Unsupported("here-documents"));
    }
    for two in [&b"<&"[..], b"<>", b">>", b">&", b">|"] {
        if rest.starts_with(two) {
            return Ok(2);
        }
    }
    Ok(1)
}

/// The end of the word starting at `i`.
fn scan_word(s: &str, mut i: usize, depth: usize) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    while i < b.len() {
        match b[i] {
            c if is_meta(c) => break,
            b'\\' => i = skip_escape(s, i)?,
            b'\'' => i = scan_single(s, i)?,
            b'"' => i = scan_double(s, i, depth)?,
            b'`' => i = scan_backtick(s, i)?,
            b'$' => i = scan_dollar(s, i, depth)?,
            _ => i += char_len(s, i),
        }
    }
    Ok(i)
}

fn skip_escape(s: &str, i: usize) -> Result<usize, Unsupported> {
    if i + 1 >= s.len() {
        return Err(Unsupported("a trailing backslash"));
    }
    Ok(i + 1 + char_len(s, i + 1))
}

fn scan_single(s: &str, i: usize) -> Result<usize, Unsupported> {
    match s[i + 1..].find('\'') {
        Some(n) => Ok(i + 1 + n + 1),
        None => Err(Unsupported("an unterminated single quote")),
    }
}

fn scan_double(s: &str, mut i: usize, depth: usize) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    i += 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => i = skip_escape(s, i)?,
            b'`' => i = scan_backtick(s, i)?,
            b'$' => i = scan_dollar(s, i, depth)?,
            _ => i += char_len(s, i),
        }
    }
    Err(Unsupported("an unterminated double quote"))
}

fn scan_backtick(s: &str, mut i: usize) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    i += 1;
    while i < b.len() {
        match b[i] {
            b'`' => return Ok(i + 1),
            b'&' if b.get(i + 1) != Some(&b'&') && (i == 0 || b[i - 1] != b'&') => {
                return Err(Unsupported("a background job inside backquotes"));
            }
            b'\\' => i = skip_escape(s, i)?,
            _ => i += char_len(s, i),
        }
    }
    Err(Unsupported("an unterminated backquote"))
}

fn scan_dollar(s: &str, i: usize, depth: usize) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    match b.get(i + 1) {
        Some(b'(') if b.get(i + 2) == Some(&b'(') => scan_arith(s, i + 3),
        Some(b'(') => {
            let (inner, end) = tokenize_from(s, i + 2, true, depth + 1)?;
            if inner
                .iter()
                .any(|t| t.kind == TokKind::Word && matches!(t.text(s), "case" | "esac"))
            {
                return Err(Unsupported("`case` inside a command substitution"));
            }
            Ok(end)
        }
        Some(b'{') => scan_brace(s, i + 2, depth),
        // bash/dash-0.5.12 `$'…'`: backslash escapes a quote inside, unlike '…'.
        Some(b'\'') => Err(Unsupported("`$'…'` quoting")),
        _ => Ok(i + 1),
    }
}

fn scan_arith(s: &str, mut i: usize) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    let mut open = 2usize;
    while i < b.len() {
        match b[i] {
            b'(' => open += 1,
            b')' => {
                open -= 1;
                if open == 0 {
                    return Ok(i + 1);
                }
            }
            b'\'' | b'"' | b'`' | b'\\' => return Err(Unsupported("quotes inside arithmetic")),
            _ => {}
        }
        i += char_len(s, i);
    }
    Err(Unsupported("unterminated arithmetic expansion"))
}

fn scan_brace(s: &str, mut i: usize, depth: usize) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    while i < b.len() {
        match b[i] {
            b'}' => return Ok(i + 1),
            b'\\' => i = skip_escape(s, i)?,
            b'\'' => i = scan_single(s, i)?,
            b'"' => i = scan_double(s, i, depth)?,
            b'`' => i = scan_backtick(s, i)?,
            b'$' => i = scan_dollar(s, i, depth + 1)?,
            _ => i += char_len(s, i),
        }
    }
    Err(Unsupported("an unterminated `${`"))
}

/// The value of a word when it is static: quotes and escapes removed. `None`
/// when it contains a substitution (`$`, backquote) or an unquoted `~`.
pub(crate) fn literal(word: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        match c {
            '$' | '`' => return None,
            '~' if first => return None,
            '\\' => out.push(chars.next()?),
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '$' | '`' => return None,
                    '\\' => match chars.next()? {
                        c @ ('$' | '`' | '"' | '\\') => out.push(c),
                        c => {
                            out.push('\\');
                            out.push(c);
                        }
                    },
                    c => out.push(c),
                }
            },
            c => out.push(c),
        }
        first = false;
    }
    Some(out)
}

/// A path argument: its static text with glob characters kept as pattern
/// characters, when the word is static apart from a leading `~` or `$HOME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathPattern {
    /// The pattern; `*`, `?` and `[` are wildcards unless `quoted`.
    pub text: String,
    /// Byte positions in `text` of wildcard characters that were unquoted.
    pub wild: Vec<usize>,
}

/// Reads a path word: `~`/`~/x`, `$HOME`/`${HOME}` at the start are replaced
/// by `home` (if known); any other substitution gives `None`.
pub(crate) fn path_pattern(word: &str, home: Option<&str>) -> Option<PathPattern> {
    let mut text = String::new();
    let mut wild = Vec::new();
    let mut rest = word;
    for prefix in ["~", "$HOME", "${HOME}", "\"$HOME\"", "\"${HOME}\""] {
        if let Some(after) = rest.strip_prefix(prefix) {
            if after.is_empty()
                || after.starts_with('/')
                || after.starts_with("\"/")
                || after.starts_with('"')
            {
                text.push_str(home?);
                rest = after;
                break;
            }
        }
    }
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' | '`' | '~' if text.is_empty() && c == '~' => return None,
            '$' | '`' => return None,
            '\\' => text.push(chars.next()?),
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    text.push(c);
                }
            }
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '$' | '`' => return None,
                    '\\' => match chars.next()? {
                        c @ ('$' | '`' | '"' | '\\') => text.push(c),
                        c => {
                            text.push('\\');
                            text.push(c);
                        }
                    },
                    c => text.push(c),
                }
            },
            '*' | '?' | '[' => {
                wild.push(text.len());
                text.push(c);
            }
            c => text.push(c),
        }
    }
    Some(PathPattern { text, wild })
}

impl PathPattern {
    /// The static prefix before the first wildcard.
    pub fn literal_prefix(&self) -> &str {
        match self.wild.first() {
            Some(&i) => &self.text[..i],
            None => &self.text,
        }
    }

    /// Whether the pattern can match `path` (shell glob semantics, `/` never
    /// matched by a wildcard; bracket expressions treated as any one character).
    pub fn matches(&self, path: &str) -> bool {
        glob_match(&self.text, &self.wild, 0, path)
    }
}

fn glob_match(pattern: &str, wild: &[usize], offset: usize, path: &str) -> bool {
    let p = &pattern[offset..];
    let next_wild = wild.iter().copied().find(|&w| w >= offset);
    let Some(w) = next_wild else {
        return p == path;
    };
    let lit = &pattern[offset..w];
    let Some(path_rest) = path.strip_prefix(lit) else {
        return false;
    };
    let wc = pattern.as_bytes()[w];
    match wc {
        b'*' => {
            let mut k = 0;
            loop {
                if glob_match(pattern, wild, w + 1, &path_rest[k..]) {
                    return true;
                }
                match path_rest[k..].chars().next() {
                    Some('/') | None => return false,
                    Some(c) => k += c.len_utf8(),
                }
            }
        }
        b'?' => match path_rest.chars().next() {
            Some(c) if c != '/' => glob_match(pattern, wild, w + 1, &path_rest[c.len_utf8()..]),
            _ => false,
        },
        _ => {
            // `[...]`: skip to the closing bracket; match any one character but `/`.
            let close = pattern[w + 1..].find(']').map(|n| w + 1 + n + 1);
            match (close, path_rest.chars().next()) {
                (Some(end), Some(c)) if c != '/' => {
                    glob_match(pattern, wild, end, &path_rest[c.len_utf8()..])
                }
                (None, Some('[')) => glob_match(pattern, wild, w + 1, &path_rest[1..]),
                _ => false,
            }
        }
    }
}

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

/// `NAME=…` with a valid name (a shell assignment word).
pub(crate) fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// A text edit on a command line: replace `start..end` with `text`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Edit {
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit {
            start: at,
            end: at,
            text: text.into(),
        }
    }
    pub fn replace(start: usize, end: usize, text: impl Into<String>) -> Edit {
        Edit {
            start,
            end,
            text: text.into(),
        }
    }
}

/// Applies non-overlapping edits (sorted here); `None` if two overlap.
pub(crate) fn apply_edits(text: &str, edits: &[Edit]) -> Option<String> {
    let mut edits = edits.to_vec();
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for e in &edits {
        if e.start < pos || e.end > text.len() {
            return None;
        }
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.text);
        pos = e.end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

impl Script {
    /// The elements of a scope's list: token ranges between its separators
    /// (`;` `&&` `||` `|` `|&` `&` newline), comments excluded.
    fn elements(&self, scope: usize) -> Vec<(usize, usize)> {
        let sc = self.scopes[scope];
        let from = sc.open.map_or(0, |o| o + 1);
        let to = sc.close.unwrap_or(self.toks.len());
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        let mut last = from;
        for i in from..to {
            let t = self.toks[i];
            let is_sep = self.owner[i] == Some(scope)
                && t.kind == TokKind::Op
                && !matches!(t.text(&self.text), "(" | ")");
            if is_sep || t.kind == TokKind::Comment {
                if let Some(s) = start.take() {
                    out.push((s, last + 1));
                }
                continue;
            }
            start.get_or_insert(i);
            last = i;
        }
        if let Some(s) = start {
            out.push((s, last + 1));
        }
        out
    }

    /// Edits that remove the given simple commands (by index into `cmds`).
    /// A command that forms a whole element of a list (the top level, or the
    /// inside of a subshell or group) between `;`/`&&` separators or the list's
    /// ends is removed together with one separator; a list left with no
    /// element gets `true`. Anywhere else the command is replaced by `true`
    /// (an always successful command).
    pub fn removal_edits(&self, remove: &[usize]) -> Vec<Edit> {
        let mut edits = Vec::new();
        let mut handled = vec![false; remove.len()];
        for scope in 0..self.scopes.len() {
            let sc = self.scopes[scope];
            let elements = self.elements(scope);
            let boundary_ok = |tok: Option<usize>| match tok {
                None => true,
                Some(t) if Some(t) == sc.open || Some(t) == sc.close => true,
                Some(t) => {
                    let tk = self.toks[t];
                    tk.kind == TokKind::Comment
                        || (tk.kind == TokKind::Op
                            && matches!(tk.text(&self.text), ";" | "&&" | "\n"))
                }
            };
            let removable: Vec<Option<usize>> = elements
                .iter()
                .map(|&(first, last)| {
                    let hit = remove.iter().position(|&ci| {
                        let c = &self.cmds[ci];
                        c.scope == Some(scope) && c.first == first && c.last == last
                    })?;
                    let before = first.checked_sub(1);
                    let after = (last < self.toks.len()).then_some(last);
                    (boundary_ok(before) && boundary_ok(after)).then_some(hit)
                })
                .collect();
            if elements.is_empty() || removable.iter().all(Option::is_none) {
                continue;
            }
            for r in removable.iter().flatten() {
                handled[*r] = true;
            }
            if removable.iter().all(Option::is_some) {
                let start = self.toks[elements[0].0].start;
                let end = self.toks[elements[elements.len() - 1].1 - 1].end;
                edits.push(Edit::replace(start, end, "true"));
                continue;
            }
            for (i, &(first, last)) in elements.iter().enumerate() {
                if removable[i].is_none() {
                    continue;
                }
                if removable[i + 1..].iter().any(Option::is_none) {
                    let next = elements[i + 1].0;
                    edits.push(Edit::replace(
                        self.toks[first].start,
                        self.toks[next].start,
                        "",
                    ));
                } else {
                    let k = (0..i)
                        .rev()
                        .find(|&k| removable[k].is_none())
                        .expect("some element is kept");
                    edits.push(Edit::replace(
                        self.toks[elements[k].1 - 1].end,
                        self.toks[last - 1].end,
                        "",
                    ));
                }
            }
        }
        for (n, &ci) in remove.iter().enumerate() {
            if !handled[n] {
                let c = &self.cmds[ci];
                edits.push(Edit::replace(
                    self.toks[c.first].start,
                    self.toks[c.last - 1].end,
                    "true",
                ));
            }
        }
        merge_adjacent_deletions(edits)
    }

    /// An edit removing one word (and the blanks before it).
    pub fn remove_word(&self, tok: usize) -> Edit {
        let start = if tok > 0 {
            self.toks[tok - 1].end
        } else {
            self.toks[tok].start
        };
        Edit::replace(start, self.toks[tok].end, "")
    }
}

/// Deletions produced per command may touch; merge overlapping ones.
fn merge_adjacent_deletions(mut edits: Vec<Edit>) -> Vec<Edit> {
    edits.sort();
    let mut out: Vec<Edit> = Vec::new();
    for e in edits {
        if let Some(last) = out.last_mut() {
            if last.text.is_empty() && e.text.is_empty() && e.start <= last.end {
                last.end = last.end.max(e.end);
                continue;
            }
        }
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(TokKind, String)> {
        tokenize(s)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.text(s).to_string()))
            .collect()
    }

    #[test]
    fn words_keep_quotes_and_substitutions() {
        let toks = kinds(r#"echo "a # b" 'c;d' $(x) `y` ${z:-w} e\ f # note"#);
        let words: Vec<&str> = toks.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            words,
            vec![
                "echo",
                "\"a # b\"",
                "'c;d'",
                "$(x)",
                "`y`",
                "${z:-w}",
                "e\\ f",
                "# note"
            ]
        );
        assert_eq!(toks.last().unwrap().0, TokKind::Comment);
    }

    #[test]
    fn hash_inside_word_is_not_a_comment() {
        assert!(kinds("echo a#b").iter().all(|(k, _)| *k == TokKind::Word));
    }

    #[test]
    fn unsupported_constructs() {
        for s in [
            "cat <<EOF",
            "echo 'x",
            "echo \"x",
            "echo x\\",
            "case a in a) ;; esac",
            "echo $(# c)",
            "((x++))",
            "x=$(sleep 9 &)",
            "x=`sleep 9 &`",
            "echo $'a\\'b'",
        ] {
            assert!(Script::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn operators_and_redirections() {
        let k = kinds("a&&b||c|d;e&f 2>&1 >x &>y");
        let ops: Vec<&str> = k
            .iter()
            .filter(|(k, _)| *k != TokKind::Word)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(ops, vec!["&&", "||", "|", ";", "&", "2>&", ">", "&>"]);
    }

    #[test]
    fn simple_commands_and_positions() {
        let s =
            Script::parse("FOO=1 apt-get update && if x; then rm -rf /a; fi | cat; ! b").unwrap();
        let names: Vec<_> = s
            .cmds
            .iter()
            .map(|c| (s.name(c).unwrap_or("").to_string(), c.scope.is_some()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("apt-get".into(), true),
                ("x".into(), false),
                ("rm".into(), false),
                ("cat".into(), false),
                ("b".into(), false)
            ]
        );
    }

    #[test]
    fn double_brackets_are_one_command() {
        let s = Script::parse("[[ -f /x && a < b ]] || rm -rf /y").unwrap();
        let names: Vec<_> = s
            .cmds
            .iter()
            .map(|c| s.name(c).unwrap_or("").to_string())
            .collect();
        assert_eq!(names, vec!["[[", "rm"]);
        assert!(Script::parse("[[ -f /x").is_err());
    }

    #[test]
    fn removal_keeps_the_list_valid() {
        let s = Script::parse("a && rm -rf x && b").unwrap();
        let out = apply_edits(&s.text, &s.removal_edits(&[1])).unwrap();
        assert_eq!(out, "a && b");
        let s = Script::parse("a && rm -rf x").unwrap();
        assert_eq!(apply_edits(&s.text, &s.removal_edits(&[1])).unwrap(), "a");
        let s = Script::parse("a && rm x && rm y").unwrap();
        assert_eq!(
            apply_edits(&s.text, &s.removal_edits(&[1, 2])).unwrap(),
            "a"
        );
        let s = Script::parse("rm x; rm y").unwrap();
        assert_eq!(
            apply_edits(&s.text, &s.removal_edits(&[0, 1])).unwrap(),
            "true"
        );
        let s = Script::parse("a || rm x").unwrap();
        assert_eq!(
            apply_edits(&s.text, &s.removal_edits(&[1])).unwrap(),
            "a || true"
        );
        let s = Script::parse("rm x && a").unwrap();
        assert_eq!(apply_edits(&s.text, &s.removal_edits(&[0])).unwrap(), "a");
        let s = Script::parse("( a && rm x ); ( exit $? ) || exit $?; ( rm y )").unwrap();
        let rm: Vec<usize> = (0..s.cmds.len())
            .filter(|&i| s.name(&s.cmds[i]) == Some("rm"))
            .collect();
        assert_eq!(
            apply_edits(&s.text, &s.removal_edits(&rm)).unwrap(),
            "( a ); ( exit $? ) || exit $?; ( true )"
        );
        let s = Script::parse("{ a; rm x; }").unwrap();
        assert_eq!(
            apply_edits(&s.text, &s.removal_edits(&[1])).unwrap(),
            "{ a; }"
        );
        let s = Script::parse("(cd x && make) && rm -rf y").unwrap();
        assert_eq!(
            apply_edits(&s.text, &s.removal_edits(&[2])).unwrap(),
            "(cd x && make)"
        );
    }

    #[test]
    fn globs() {
        let p = path_pattern("/var/lib/apt/lists/*", None).unwrap();
        assert_eq!(p.literal_prefix(), "/var/lib/apt/lists/");
        assert!(p.matches("/var/lib/apt/lists/x"));
        assert!(!p.matches("/var/lib/apt/lists/x/y"));
        let q = path_pattern("'/var/*'", None).unwrap();
        assert!(q.wild.is_empty());
        let h = path_pattern("~/.cache", Some("/root")).unwrap();
        assert_eq!(h.text, "/root/.cache");
        assert!(path_pattern("$X/a", Some("/root")).is_none());
        assert!(path_pattern("/v*r", None).unwrap().matches("/var"));
    }

    #[test]
    fn literal_values() {
        assert_eq!(literal("'a b'\"c\"\\d").as_deref(), Some("a bcd"));
        assert_eq!(literal("$x"), None);
        assert_eq!(literal("\"a\\$b\"").as_deref(), Some("a$b"));
    }
}
