//! Parser directives: `# syntax=…`, `# escape=…`, `# check=…`.
//!
//! BuildKit's rule: directives are `#` comments at the very top of the file
//! matching `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` after the `#`. The first
//! line that is not one (a blank line, an instruction, a plain comment, an
//! unknown key) ends the block for good. Each key may appear once.
//!
//! [`detect_syntax`] is BuildKit's `DetectSyntax`, used only to pick the
//! frontend: it also accepts `// syntax=…`, a JSON object `{"syntax": "…"}`
//! and skips a leading `#!` line. The parser itself only knows the `#` form.

use super::json;

pub const SYNTAX: &str = "syntax";
pub const ESCAPE: &str = "escape";
pub const CHECK: &str = "check";

const KNOWN: [&str; 3] = [SYNTAX, ESCAPE, CHECK];

/// A recognised directive: lowercased key and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawDirective {
    pub name: String,
    pub value: String,
}

/// Line-by-line directive recogniser with BuildKit's "stop at the first miss" rule.
#[derive(Clone, Debug)]
pub struct DirectiveParser {
    prefix: &'static str,
    seen: Vec<String>,
    done: bool,
}

impl Default for DirectiveParser {
    fn default() -> Self {
        DirectiveParser::with_prefix("#")
    }
}

impl DirectiveParser {
    pub fn with_prefix(prefix: &'static str) -> Self {
        DirectiveParser {
            prefix,
            seen: Vec::new(),
            done: false,
        }
    }

    /// Whether the directive block has ended: every further line is `Ok(None)`.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Feeds one line (without newline). `Ok(Some)` for a directive, `Ok(None)`
    /// for anything else, `Err` for a repeated directive.
    pub fn parse_line(&mut self, line: &str) -> Result<Option<RawDirective>, String> {
        if self.done {
            return Ok(None);
        }
        let Some((name, value)) = line.strip_prefix(self.prefix).and_then(match_directive) else {
            self.done = true;
            return Ok(None);
        };
        let name = name.to_ascii_lowercase();
        if !KNOWN.contains(&name.as_str()) {
            self.done = true;
            return Ok(None);
        }
        if self.seen.contains(&name) {
            return Err(format!("only one {name} parser directive can be used"));
        }
        self.seen.push(name.clone());
        Ok(Some(RawDirective {
            name,
            value: value.to_string(),
        }))
    }
}

/// Go regexp `\s`: ASCII tab, newline, form feed, carriage return, space.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// Matches `key = value` after the comment prefix (leading Unicode space allowed).
fn match_directive(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches(char::is_whitespace);
    let key_len = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(text.len(), |(i, _)| i);
    if key_len == 0 {
        return None;
    }
    let (key, rest) = text.split_at(key_len);
    let rest = rest.trim_start_matches(is_re_space).strip_prefix('=')?;
    Some((key, directive_value(rest)?))
}

/// `\s*(.+?)\s*$`: the value keeps at least one character even if it is a space.
fn directive_value(rest: &str) -> Option<&str> {
    let last_char_len = rest.chars().next_back()?.len_utf8();
    let leading = rest.len() - rest.trim_start_matches(is_re_space).len();
    let start = leading.min(rest.len() - last_char_len);
    let value = &rest[start..];
    let trimmed = value.trim_end_matches(is_re_space);
    if trimmed.is_empty() {
        let first = value.chars().next()?.len_utf8();
        return Some(&value[..first]);
    }
    Some(trimmed)
}

/// The frontend named by a Dockerfile, BuildKit's `DetectSyntax`: the image
/// reference (first word) and the full directive value (for `cmdline`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxDirective {
    pub image: String,
    pub cmdline: String,
    /// 1-based line of the directive.
    pub line: u32,
}

pub fn detect_syntax(source: &str) -> Option<SyntaxDirective> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let (source, first_line) = match source.split_once('\n') {
        Some((first, rest)) if first.starts_with("#!") => (rest, 1),
        _ if source.starts_with("#!") => ("", 1),
        _ => (source, 0),
    };
    for prefix in ["#", "//"] {
        let mut parser = DirectiveParser::with_prefix(prefix);
        for (i, line) in source.split('\n').enumerate() {
            // Go's bufio.ScanLines drops one trailing `\r`.
            let line = line.strip_suffix('\r').unwrap_or(line);
            match parser.parse_line(line) {
                Ok(Some(d)) if d.name == SYNTAX => {
                    let image = d.value.split(' ').next().unwrap_or("").to_string();
                    return Some(SyntaxDirective {
                        image,
                        cmdline: d.value,
                        line: (first_line + i + 1) as u32,
                    });
                }
                Ok(_) if parser.done => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    let value = json::object_string_field(source, SYNTAX)?;
    let image = value.split(' ').next().unwrap_or("").to_string();
    Some(SyntaxDirective {
        image,
        cmdline: value,
        line: first_line as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(lines: &[&str]) -> Vec<Result<Option<RawDirective>, String>> {
        let mut p = DirectiveParser::default();
        lines.iter().map(|l| p.parse_line(l)).collect()
    }

    #[test]
    fn value_is_trimmed_and_key_lowercased() {
        let r = parse_all(&["# SYNTAX = docker/dockerfile:1  "]);
        assert_eq!(
            r[0],
            Ok(Some(RawDirective {
                name: "syntax".into(),
                value: "docker/dockerfile:1".into()
            }))
        );
    }

    #[test]
    fn unknown_key_ends_block() {
        let r = parse_all(&["# foo=bar", "# escape=`"]);
        assert_eq!(r[0], Ok(None));
        assert_eq!(r[1], Ok(None));
    }

    #[test]
    fn repeated_directive_is_an_error() {
        let r = parse_all(&["# escape=`", "# escape=\\"]);
        assert_eq!(
            r[1],
            Err("only one escape parser directive can be used".into())
        );
    }

    #[test]
    fn detect_syntax_forms() {
        assert_eq!(
            detect_syntax("# syntax=a/b:1 --x\nFROM x").map(|s| (s.image, s.cmdline)),
            Some(("a/b:1".into(), "a/b:1 --x".into()))
        );
        assert_eq!(
            detect_syntax("#!/usr/bin/env x\n// syntax = c/d\nFROM x").map(|s| (s.image, s.line)),
            Some(("c/d".into(), 2))
        );
        assert_eq!(
            detect_syntax("{\"syntax\": \"e/f\"}").map(|s| s.image),
            Some("e/f".into())
        );
        assert_eq!(detect_syntax("FROM x\n# syntax=a/b"), None);
    }
}
