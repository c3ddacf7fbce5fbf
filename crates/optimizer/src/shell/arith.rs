//! Arithmetic commands `(( expression ))`.
//!
//! bash (and ksh, zsh) evaluate the expression: it runs no program and
//! touches no file; at most it assigns shell variables. POSIX leaves `((` at
//! the start of a command unspecified, and dash and busybox ash read it as
//! two nested subshells: `((i++))` runs a program named `i++`, and
//! `((rm - rf / var))`, a valid expression, would run `rm -rf / var`. The
//! two readings agree on everything the passes look at only for plain
//! expressions written so that the subshell reading runs no program with
//! arguments, so the whole command is accepted only when:
//!
//! - it ends with `))` right after the parenthesis that balances the
//!   opening one (`((a) )` is two subshells in bash too: refused);
//! - it holds nothing but names, numbers, `$name`, `${name}`, `${#name}`,
//!   `$1`…,
//!   operators and balanced parentheses: no quotes, backslashes, command
//!   substitutions (`$(…)`, backquotes), `;`, newlines or `#` comments, so
//!   no reading of it hides a separator or a substitution;
//! - no `&` alone, `&=`, `<<` or `<<=`: in the subshell reading they would
//!   start a background job or a here-document;
//! - operands and operators alternate as in an expression;
//! - read as shell words (split at blanks and at `(` `)` `<` `>` `|` `&&`),
//!   each command of the subshell reading is a single word apart from
//!   redirections: `((x>2))`, `(( i++ ))` and `(( a < b && c ))` are
//!   accepted, `(( n % 2 == 0 ))` (a program `n` with arguments `% 2 == 0`)
//!   is not; nor text dash rejects as a syntax error (a reserved word as
//!   in `(( ! done ))`, a word right before `(` or after `)` as in
//!   `((x=(y+1)))`, `(( (a)+b ))`). In dash such a command runs a program
//!   named after the expression, without arguments, and may create or
//!   truncate a redirection's file — what any unknown program or
//!   redirection of the RUN could do, which the passes do not look into.
//!
//! The command is one [`TokKind::Arith`](super::TokKind::Arith) token and
//! no simple command.

use super::Unsupported;

/// The end of the arithmetic command whose `((` is at `start`.
pub(super) fn command_end(s: &str, start: usize) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    let body = start + 2;
    if b.get(body) == Some(&b'(') {
        return Err(Unsupported("`(((`"));
    }
    let mut depth = 0usize;
    for (i, &c) in b.iter().enumerate().skip(body) {
        match c {
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b')' if b.get(i + 1) == Some(&b')') => {
                expression(&s[body..i])?;
                single_words(&s[body..i])?;
                return Ok(i + 2);
            }
            b')' => return Err(Unsupported("`((` that does not end with `))`")),
            b'`' => return Err(SUBSTITUTION),
            b'\'' | b'"' | b'\\' => return Err(Unsupported("quotes inside `((`")),
            c if allowed(c) => {}
            _ => return Err(NOT_AN_EXPRESSION),
        }
    }
    Err(Unsupported("an unterminated `((`"))
}

const SUBSTITUTION: Unsupported = Unsupported("a command substitution inside `((`");
const NOT_AN_EXPRESSION: Unsupported = Unsupported("`((` around something else than an expression");

fn allowed(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b" \t_$#{}+-*/%<>=!~^&|?:,".contains(&c)
}

/// Binary and assignment operators, longest first.
const BINARY: &[&str] = &[
    ">>=", "**", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "^=", "|=",
    ">>", "+", "-", "*", "/", "%", "<", ">", "=", "^", "|", "?", ":", ",",
];

/// Checks that `body` is an arithmetic expression of the accepted kind.
fn expression(body: &str) -> Result<(), Unsupported> {
    let b = body.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    // Whether an operand (or a prefix operator, or `(`) comes next.
    let mut want_operand = true;
    while i < b.len() {
        let rest = &body[i..];
        let c = b[i];
        if c == b' ' || c == b'\t' {
            i += 1;
            continue;
        }
        if rest.starts_with("<<")
            || rest.starts_with("&=")
            || (c == b'&' && !rest.starts_with("&&"))
        {
            return Err(Unsupported("`&`, `&=` or `<<` inside `((`"));
        }
        let operand = operand_len(rest)?;
        if operand > 0 {
            if !want_operand {
                return Err(NOT_AN_EXPRESSION);
            }
            want_operand = false;
            i += operand;
            continue;
        }
        let step = match (c, want_operand) {
            (b'(', true) => {
                depth += 1;
                1
            }
            (b')', false) if depth > 0 => {
                depth -= 1;
                1
            }
            // Prefix operators.
            (b'+' | b'-', true) if rest[1..].starts_with(char::from(c)) => 2,
            (b'!' | b'~' | b'+' | b'-', true) => 1,
            // Postfix `++`/`--`.
            (b'+' | b'-', false) if rest[1..].starts_with(char::from(c)) => 2,
            (_, false) => {
                let op = BINARY
                    .iter()
                    .find(|op| rest.starts_with(**op))
                    .ok_or(NOT_AN_EXPRESSION)?;
                want_operand = true;
                op.len()
            }
            _ => return Err(NOT_AN_EXPRESSION),
        };
        i += step;
    }
    if want_operand || depth != 0 {
        return Err(NOT_AN_EXPRESSION);
    }
    Ok(())
}

/// The length of the operand at the start of `rest` (0 if none): a name, a
/// number (`10`, `0x1f`, `16#ff`), `$name`, `${name}`, `${#name}` or `$1`.
fn operand_len(rest: &str) -> Result<usize, Unsupported> {
    let b = rest.as_bytes();
    let name = |from: usize| {
        b[from..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count()
    };
    Ok(match b[0] {
        b'0'..=b'9' => {
            1 + b[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'#')
                .count()
        }
        c if c.is_ascii_alphabetic() || c == b'_' => name(0),
        b'$' => match b.get(1) {
            Some(b'(') => return Err(SUBSTITUTION),
            Some(c) if c.is_ascii_digit() => 2,
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => 1 + name(1),
            // `${name}`, `${#name}` (its length).
            Some(b'{') => {
                let from = if b.get(2) == Some(&b'#') { 3 } else { 2 };
                let n = name(from);
                if n == 0 || b[from].is_ascii_digit() || b.get(from + n) != Some(&b'}') {
                    return Err(NOT_AN_EXPRESSION);
                }
                from + n + 1
            }
            _ => return Err(NOT_AN_EXPRESSION),
        },
        _ => 0,
    })
}

/// Words the subshell reading would take as reserved words.
const RESERVED: &[&str] = &[
    "!", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until",
    "while",
];

/// Checks that, read as shell (dash's reading), every command in `body` is
/// one word apart from redirections: no program gets arguments, and the
/// text is not a syntax error there.
fn single_words(body: &str) -> Result<(), Unsupported> {
    const ARGUMENTS: Unsupported =
        Unsupported("`((` whose text, read as commands (as dash reads it), passes arguments");
    const SYNTAX: Unsupported = Unsupported("`((` whose text is a syntax error in dash");
    let b = body.as_bytes();
    let mut i = 0;
    // Words of the current command; after a redirection operator; after `)`.
    let mut words = 0;
    let mut redirect = false;
    let mut closed = false;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            // After a word or a redirection operator, `(` is a syntax error
            // (a function definition, a missing target).
            b'(' if redirect || (i > 0 && !b" \t(|&".contains(&b[i - 1])) => return Err(SYNTAX),
            // `&` appears only as `&&` here.
            b'(' | b')' | b'|' | b'&' => {
                if redirect {
                    return Err(SYNTAX);
                }
                words = 0;
                closed = b[i] == b')';
                i += if matches!(b[i], b'|' | b'&') && b.get(i + 1) == Some(&b[i]) {
                    2
                } else {
                    1
                };
            }
            b'<' | b'>' => {
                if redirect {
                    return Err(SYNTAX);
                }
                redirect = true;
                i += if b.get(i + 1) == Some(&b'>') { 2 } else { 1 };
            }
            _ => {
                let len = b[i..]
                    .iter()
                    .take_while(|c| !b" \t()|&<>".contains(c))
                    .count();
                let word = &body[i..i + len];
                i += len;
                if redirect {
                    redirect = false;
                } else if closed || (RESERVED.contains(&word) && !(words == 0 && word == "!")) {
                    return Err(SYNTAX);
                } else if word != "!" {
                    words += 1;
                    if words > 1 {
                        return Err(ARGUMENTS);
                    }
                }
            }
        }
    }
    if redirect {
        return Err(SYNTAX);
    }
    Ok(())
}
