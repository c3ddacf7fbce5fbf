//! Heredoc detection on an instruction line (BuildKit's `heredocsFromLine`).
//!
//! The line is split into shell words keeping quotes and escapes; each word
//! matching `^(\d*)<<(-?)\s*([^<]*)$` names a heredoc. The delimiter is the
//! word after quote removal; when quote removal changed the number of quote
//! characters, part of the delimiter was quoted and the body is not expanded.

use crate::shell::{EmptyEnv, Lexer};

/// A heredoc announced on the instruction line, before its body is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeredocHead {
    pub name: String,
    pub file_descriptor: u32,
    pub expand: bool,
    pub chomp: bool,
}

pub fn heredocs_from_line(line: &str) -> Result<Vec<HeredocHead>, String> {
    let lexer = Lexer {
        raw_quotes: true,
        raw_escapes: true,
        skip_unset_env: true,
        ..Lexer::new('\\')
    };
    // BuildKit ignores lexing errors here: such a line simply has no heredocs.
    let words = lexer.process_words(line, &EmptyEnv).unwrap_or_default();
    let mut heads = Vec::new();
    for word in words {
        if let Some(head) = parse_heredoc(&word)? {
            heads.push(head);
        }
    }
    Ok(heads)
}

/// Go regexp `\s`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// Parses one word such as `<<EOF`, `<<-"EOF"` or `3<<EOF`.
pub fn parse_heredoc(word: &str) -> Result<Option<HeredocHead>, String> {
    let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(after) = word[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, after) = match after.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    let rest = after.trim_start_matches(is_re_space);
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    // strconv.ParseUint: an out-of-range number saturates.
    let file_descriptor =
        word[..digits]
            .parse::<u32>()
            .unwrap_or(if digits == 0 { 0 } else { u32::MAX });

    let plain = Lexer {
        skip_unset_env: true,
        ..Lexer::new('\\')
    };
    let words = plain
        .process_words(rest, &EmptyEnv)
        .map_err(|e| e.message)?;
    let [name] = words.as_slice() else {
        return Ok(None);
    };
    let raw = Lexer {
        raw_quotes: true,
        ..plain
    };
    let raw_words = raw.process_words(rest, &EmptyEnv).map_err(|e| e.message)?;
    let [raw_name] = raw_words.as_slice() else {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    };
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    Ok(Some(HeredocHead {
        name: name.clone(),
        file_descriptor,
        expand: quotes(name) == quotes(raw_name),
        chomp,
    }))
}

/// Removes leading tabs from every line (`<<-`), BuildKit's `ChompHeredocContent`.
pub fn chomp_content(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for line in content.split_inclusive('\n') {
        out.push_str(line.trim_start_matches('\t'));
    }
    out
}
