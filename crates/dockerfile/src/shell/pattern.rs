//! The glob patterns of `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}`,
//! `${VAR/p/r}` and `${VAR//p/r}`.
//!
//! BuildKit turns such a pattern into a Go regular expression (`*` becomes
//! `.*` or `.*?`, `?` becomes `.`, everything else is literal, no `[...]`
//! classes) and lets Go's `regexp` package find the match. Rather than
//! building a regex string, this module reads the pattern into [`Token`]s and
//! runs them on a small Pike VM (a breadth-first NFA simulation) that follows
//! the same leftmost-first priority rules as Go's engine. That keeps every
//! observable detail of BuildKit:
//!
//! * `*` and `?` never match a newline, because Go's `.` does not.
//! * `%`/`%%` reverse both the value and the pattern (keeping `\x` escape
//!   pairs in order) and trim a prefix of the reversed value, since regular
//!   expressions cannot find the shortest rightmost match directly. The
//!   reversed pattern is what error messages show.
//! * Only `\*`, `\?` and `\\` are valid escapes; `\}` and `\/` drop the
//!   backslash; anything else fails with `invalid escape '\x'`, and a
//!   trailing backslash reads as `\` followed by U+FFFD (Go prints its EOF
//!   rune that way).
//! * The pattern is read with a fresh Go `text/scanner`, which silently drops
//!   a byte order mark (U+FEFF) at the very start of the pattern.
//! * `${VAR//p/r}` uses Go's `Regexp.ReplaceAllString`, so `$0`/`${0}` in the
//!   replacement stand for the matched text, `$$` is a dollar, any other
//!   `$name` is dropped, and an empty match right after a match is not
//!   replaced. `${VAR/p/r}` inserts the replacement literally.
//!
//! Matching takes time proportional to the value length times the pattern
//! length, as it does in Go; there is no backtracking.

use std::mem;

use super::unicode::{is_digit, is_letter};

/// How many characters a `*` prefers to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Star {
    /// As few as possible (`.*?`): `#` and `%`.
    Shortest,
    /// As many as possible (`.*`): `##`, `%%`, `/` and `//`.
    Longest,
}

/// `${VAR#pattern}` / `${VAR##pattern}`: remove the matching prefix of `value`.
pub(crate) fn trim_prefix(pattern: &str, value: &str, star: Star) -> Result<String, String> {
    let glob = Glob::parse(pattern, star).map_err(|e| invalid_pattern(pattern, &e))?;
    let end = Matcher::new(&glob)
        .find(value, 0, Anchor::Start)
        .map_or(0, |(_, end)| end);
    Ok(value.get(end..).unwrap_or_default().to_owned())
}

/// `${VAR%pattern}` / `${VAR%%pattern}`: remove the matching suffix of `value`.
pub(crate) fn trim_suffix(pattern: &str, value: &str, star: Star) -> Result<String, String> {
    let reversed = trim_prefix(&reverse_pattern(pattern), &reverse(value), star)?;
    Ok(reverse(&reversed))
}

/// `${VAR/pattern/replacement}` (`all == false`) and `${VAR//pattern/replacement}`.
pub(crate) fn replace(
    pattern: &str,
    value: &str,
    replacement: &str,
    all: bool,
) -> Result<String, String> {
    let glob = Glob::parse(pattern, Star::Longest).map_err(|e| invalid_pattern(pattern, &e))?;
    let mut matcher = Matcher::new(&glob);
    if all {
        return Ok(replace_all(&mut matcher, value, replacement));
    }
    let Some((start, end)) = matcher.find(value, 0, Anchor::None) else {
        return Ok(value.to_owned());
    };
    let mut out = String::with_capacity(value.len() + replacement.len());
    out.push_str(slice(value, 0, start));
    out.push_str(replacement);
    out.push_str(slice(value, end, value.len()));
    Ok(out)
}

fn invalid_pattern(pattern: &str, reason: &str) -> String {
    format!("invalid pattern ({pattern}) in substitution: {reason}")
}

/// Go's `ReplaceAllString` loop: after each match, search again from its end
/// (or one character further for an empty match), and skip an empty match
/// that touches the previous one, unless it is at the very start.
fn replace_all(matcher: &mut Matcher<'_>, value: &str, template: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut last_end = 0;
    let mut search = 0;
    while search <= value.len() {
        let Some((start, end)) = matcher.find(value, search, Anchor::None) else {
            break;
        };
        out.push_str(slice(value, last_end, start));
        if end > last_end || start == 0 {
            expand_template(&mut out, template, slice(value, start, end));
        }
        last_end = end;
        let width = value
            .get(search..)
            .and_then(|rest| rest.chars().next())
            .map_or(0, char::len_utf8);
        search = if search + width > end {
            search + width
        } else if search + 1 > end {
            search + 1
        } else {
            end
        };
    }
    out.push_str(slice(value, last_end, value.len()));
    out
}

/// Go's `Regexp.Expand` for a pattern without capture groups: `$$` is `$`,
/// `$0`/`${0}` the match, any other well-formed `$name`/`${name}` nothing,
/// and a malformed reference keeps its `$`.
fn expand_template(out: &mut String, template: &str, matched: &str) {
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        rest = &rest[dollar + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        match template_reference(rest) {
            Some((name, after)) => {
                if name == "0" {
                    out.push_str(matched);
                }
                rest = after;
            }
            None => out.push('$'),
        }
    }
    out.push_str(rest);
}

/// Reads `name` or `{name}` after a `$`; a name is Go letters, digits and `_`.
fn template_reference(text: &str) -> Option<(&str, &str)> {
    let (braced, body) = match text.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, text),
    };
    let name_len = body
        .char_indices()
        .find(|&(_, c)| !(is_letter(c) || is_digit(c) || c == '_'))
        .map_or(body.len(), |(index, _)| index);
    if name_len == 0 {
        return None;
    }
    let (name, after) = body.split_at(name_len);
    if !braced {
        return Some((name, after));
    }
    after.strip_prefix('}').map(|after| (name, after))
}

/// Reverses a pattern character by character, but keeps each backslash
/// before the character it escapes (`a\*c` becomes `c\*a`).
fn reverse_pattern(pattern: &str) -> String {
    let mut units: Vec<&str> = Vec::new();
    let mut rest = pattern;
    while let Some(first) = rest.chars().next() {
        let mut len = first.len_utf8();
        if first == '\\' {
            len += rest[len..].chars().next().map_or(0, char::len_utf8);
        }
        let (unit, after) = rest.split_at(len);
        units.push(unit);
        rest = after;
    }
    units.into_iter().rev().collect()
}

fn reverse(text: &str) -> String {
    text.chars().rev().collect()
}

/// `text[start..end]`, or "" if the bounds are not character boundaries
/// (they always are; this only keeps the code free of panics).
fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or_default()
}

/// One element of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// A literal character.
    Char(char),
    /// `?`: any one character but a newline.
    AnyChar,
    /// `*`: any run of characters without a newline.
    AnyRun,
}

impl Token {
    fn accepts(self, c: char) -> bool {
        match self {
            Token::Char(expected) => c == expected,
            Token::AnyChar | Token::AnyRun => c != '\n',
        }
    }
}

#[derive(Debug)]
struct Glob {
    tokens: Vec<Token>,
    star: Star,
}

impl Glob {
    /// BuildKit's `convertShellPatternToRegex`, producing tokens instead of
    /// regex text. The error is the reason only (`invalid escape '\x'`).
    fn parse(pattern: &str, star: Star) -> Result<Glob, String> {
        let pattern = pattern.strip_prefix('\u{FEFF}').unwrap_or(pattern);
        let mut tokens = Vec::with_capacity(pattern.len());
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                '*' => Token::AnyRun,
                '?' => Token::AnyChar,
                '\\' => {
                    if matches!(chars.peek(), Some('}' | '/')) {
                        continue;
                    }
                    match chars.next() {
                        Some(escaped @ ('*' | '?' | '\\')) => Token::Char(escaped),
                        other => {
                            let shown = other.unwrap_or(char::REPLACEMENT_CHARACTER);
                            return Err(format!("invalid escape '\\{shown}'"));
                        }
                    }
                }
                literal => Token::Char(literal),
            };
            tokens.push(token);
        }
        Ok(Glob { tokens, star })
    }
}

/// Where a match may start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    /// Only at the search position (the `^` BuildKit puts before `#`/`%` patterns).
    Start,
    /// Anywhere at or after the search position.
    None,
}

/// A thread of the Pike VM: it sits before `tokens[state]` (the match state
/// when `state == tokens.len()`) and its match would begin at `start`.
#[derive(Clone, Copy, Debug)]
struct Thread {
    state: usize,
    start: usize,
}

/// A Pike VM over a [`Glob`]. Threads are kept in priority order, as in Go's
/// `regexp` (leftmost-first, "Perl" semantics): the first thread to reach the
/// match state wins over every thread after it.
struct Matcher<'g> {
    glob: &'g Glob,
    current: Vec<Thread>,
    next: Vec<Thread>,
    /// `marks[state] == generation` when `state` is already in a list.
    marks: Vec<u64>,
    current_generation: u64,
    next_generation: u64,
    /// The last generation number handed out.
    generations: u64,
}

impl<'g> Matcher<'g> {
    fn new(glob: &'g Glob) -> Self {
        Matcher {
            glob,
            current: Vec::new(),
            next: Vec::new(),
            marks: vec![0; glob.tokens.len() + 1],
            current_generation: 0,
            next_generation: 0,
            generations: 0,
        }
    }

    /// The leftmost-first match at or after byte `from` of `haystack`, as
    /// `(start, end)` byte offsets.
    fn find(&mut self, haystack: &str, from: usize, anchor: Anchor) -> Option<(usize, usize)> {
        let rest = haystack.get(from..)?;
        self.current.clear();
        self.next.clear();
        self.current_generation = self.fresh_generation();
        self.next_generation = self.fresh_generation();
        let mut found = None;
        let mut pos = from;
        let mut chars = rest.chars();
        loop {
            let c = chars.next();
            if self.current.is_empty()
                && (found.is_some() || (anchor == Anchor::Start && pos != from))
            {
                break;
            }
            if found.is_none() && (anchor == Anchor::None || pos == from) {
                let generation = self.current_generation;
                Self::add(
                    self.glob,
                    &mut self.marks,
                    generation,
                    &mut self.current,
                    0,
                    pos,
                );
            }
            if let Some(end) = self.step(c, pos) {
                found = Some(end);
            }
            let Some(c) = c else { break };
            pos += c.len_utf8();
            mem::swap(&mut self.current, &mut self.next);
            self.next.clear();
            self.current_generation = self.next_generation;
            self.next_generation = self.fresh_generation();
        }
        found
    }

    /// Runs every current thread over `c` (None at the end of the text) into
    /// the next list. Returns the match found by the highest-priority thread
    /// in the match state, dropping the lower-priority threads after it.
    fn step(&mut self, c: Option<char>, pos: usize) -> Option<(usize, usize)> {
        let generation = self.next_generation;
        for index in 0..self.current.len() {
            let thread = self.current[index];
            let Some(&token) = self.glob.tokens.get(thread.state) else {
                return Some((thread.start, pos));
            };
            if !c.is_some_and(|c| token.accepts(c)) {
                continue;
            }
            let target = match token {
                Token::AnyRun => thread.state,
                Token::Char(_) | Token::AnyChar => thread.state + 1,
            };
            Self::add(
                self.glob,
                &mut self.marks,
                generation,
                &mut self.next,
                target,
                thread.start,
            );
        }
        None
    }

    /// Adds the thread at `state` and everything reachable from it without
    /// reading a character, in priority order. A `*` either loops (reads one
    /// more character) or moves on; `Star::Longest` prefers looping. Chains of
    /// `*` are walked with a loop, not recursion, so long patterns cannot
    /// exhaust the stack.
    fn add(
        glob: &Glob,
        marks: &mut [u64],
        generation: u64,
        list: &mut Vec<Thread>,
        state: usize,
        start: usize,
    ) {
        let longest = glob.star == Star::Longest;
        let mut at = state;
        while marks.get(at).is_some_and(|&mark| mark != generation) {
            marks[at] = generation;
            if glob.tokens.get(at) != Some(&Token::AnyRun) {
                list.push(Thread { state: at, start });
                break;
            }
            if longest {
                list.push(Thread { state: at, start });
            }
            at += 1;
        }
        if !longest {
            // Every state walked over before `at` is a `*`; when they prefer
            // the fewest characters they loop only after all that follows.
            for star in (state..at).rev() {
                list.push(Thread { state: star, start });
            }
        }
    }

    fn fresh_generation(&mut self) -> u64 {
        self.generations += 1;
        self.generations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(pattern: &str, value: &str, star: Star) -> String {
        trim_prefix(pattern, value, star).unwrap_or_else(|e| format!("ERR {e}"))
    }

    fn suffix(pattern: &str, value: &str, star: Star) -> String {
        trim_suffix(pattern, value, star).unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn parses_like_convert_shell_pattern_to_regex() {
        let tokens = |p: &str| Glob::parse(p, Star::Longest).map(|g| g.tokens);
        assert_eq!(tokens("*"), Ok(vec![Token::AnyRun]));
        assert_eq!(tokens("?"), Ok(vec![Token::AnyChar]));
        assert_eq!(tokens("\\*"), Ok(vec![Token::Char('*')]));
        assert_eq!(
            tokens("\\}\\/"),
            Ok(vec![Token::Char('}'), Token::Char('/')])
        );
        assert_eq!(
            tokens("\u{feff}a\u{feff}"),
            Ok(vec![Token::Char('a'), Token::Char('\u{feff}')])
        );
        assert_eq!(tokens("\\"), Err("invalid escape '\\\u{fffd}'".to_owned()));
        assert_eq!(tokens("\\x"), Err("invalid escape '\\x'".to_owned()));
        assert_eq!(
            tokens("\\\\\\"),
            Err("invalid escape '\\\u{fffd}'".to_owned())
        );
    }

    #[test]
    fn reverses_patterns_keeping_escapes() {
        // The cases of BuildKit's TestReversePattern.
        assert_eq!(reverse_pattern("a\\*c"), "c\\*a");
        assert_eq!(reverse_pattern("\\\\\\ab"), "b\\a\\\\");
        assert_eq!(reverse_pattern("ab\\"), "\\ba");
        assert_eq!(reverse_pattern("👽\\🚀🖖"), "🖖\\🚀👽");
        assert_eq!(reverse_pattern("\\\\b"), "b\\\\");
        assert_eq!(reverse("🖖🚀👽"), "👽🚀🖖");
    }

    #[test]
    fn trims_shortest_and_longest() {
        assert_eq!(prefix("*x*y", "xxyy", Star::Shortest), "y");
        assert_eq!(prefix("*", "xxyy", Star::Shortest), "xxyy");
        assert_eq!(prefix("*", "xxyy", Star::Longest), "");
        assert_eq!(prefix("*x", "xxyy", Star::Longest), "yy");
        assert_eq!(prefix("?\\?", "???y", Star::Shortest), "?y");
        assert_eq!(suffix("x", "xxyy", Star::Shortest), "xxyy");
        assert_eq!(suffix("\\**", "xx**", Star::Longest), "xx");
        assert_eq!(suffix("\\**\\*", "a***yy*", Star::Longest), "a");
        assert_eq!(suffix("y*", "xxyy", Star::Shortest), "xxy");
        assert_eq!(suffix("y*", "xxyy", Star::Longest), "xx");
    }

    #[test]
    fn stars_and_question_marks_stop_at_newlines() {
        assert_eq!(prefix("*", "ab\ncd", Star::Longest), "\ncd");
        assert_eq!(prefix("*c", "ab\ncd", Star::Longest), "ab\ncd");
        assert_eq!(prefix("??", "a\nb", Star::Longest), "a\nb");
        assert_eq!(prefix("a\n", "a\nb", Star::Longest), "b");
    }

    #[test]
    fn pattern_errors_name_the_pattern_as_searched() {
        assert_eq!(
            prefix("a\\q", "x", Star::Shortest),
            "ERR invalid pattern (a\\q) in substitution: invalid escape '\\q'"
        );
        // For a suffix the reversed pattern is reported, as BuildKit does.
        assert_eq!(
            suffix("a\\qb", "x", Star::Shortest),
            "ERR invalid pattern (b\\qa) in substitution: invalid escape '\\q'"
        );
    }

    #[test]
    fn replaces_first_and_all() {
        let run = |p: &str, v: &str, r: &str, all: bool| {
            replace(p, v, r, all).unwrap_or_else(|e| format!("ERR {e}"))
        };
        assert_eq!(run("\\*/", "/foo*/*/*.txt", ".", false), "/foo.*/*.txt");
        assert_eq!(run("\\*/", "/foo*/*/*.txt", ".", true), "/foo..*.txt");
        assert_eq!(run("/?/", "/a/foo/b/c.txt", "/", true), "/foo/c.txt");
        assert_eq!(run("", "xxyy", "ww", false), "wwxxyy");
        assert_eq!(run("", "xy", "-", true), "-x-y-");
        // A glob `*` is a run of any characters, not a repetition of `a`.
        assert_eq!(run("a*", "baaac", "-", true), "b-");
        assert_eq!(
            run("o", "foo", "[$0|${0}|$$|$1|$x|${x|$]", true),
            "f[o|o|$|||${x|$][o|o|$|||${x|$]"
        );
        assert_eq!(run("o", "foo", "$0", false), "f$0o");
        // The empty match at the newline touches the previous match: skipped.
        assert_eq!(run("*", "ab\ncd", "X", true), "X\nX");
    }
}
