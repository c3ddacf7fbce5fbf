//! `.dockerignore` matching for the CopyIgnoredFile check, equal to
//! moby/patternmatcher's `MatchesOrParentMatches` on Linux.
//!
//! patternmatcher turns each pattern into a Go regexp (`*` → `[^/]*`, `?` → `[^/]`,
//! `**/` → `(.*/)?`, a trailing `**` → `.*`, `[…]` kept as a character class) unless
//! the pattern is an exact name, a `prefix**` or a `**suffix`. Here the same tokens
//! are matched directly (no regexp engine), with a memo table so that stars cannot
//! make matching exponential. Deviations, all in patterns nobody writes in a
//! `.dockerignore`: inside `[…]` only single characters, ranges and `\` escapes are
//! understood (no `[[:alpha:]]`), and `\d`-style regexp escapes mean the letter.
//! A pattern that would not compile matches nothing (BuildKit ignores the error).

use dfopt_dockerfile::dockerignore::{clean, dir};

/// The patterns of a `.dockerignore` (as parsed for `local.excludepatterns`).
#[derive(Clone, Debug, Default)]
pub struct IgnoreMatcher {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

#[derive(Clone, Debug)]
struct Pattern {
    cleaned: String,
    exclusion: bool,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Tokens(Vec<Token>),
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `[^/]*`
    Star,
    /// `[^/]`
    AnyButSlash,
    /// `(.*/)?`
    AnyDirs,
    /// `.*`
    Rest,
    /// `[…]`
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

impl IgnoreMatcher {
    /// BuildKit's `patternmatcher.New`; `None` when a pattern is `!` alone (which
    /// BuildKit refuses, and then checks nothing).
    pub fn new(patterns: &[String]) -> Option<IgnoreMatcher> {
        let mut matcher = IgnoreMatcher::default();
        for raw in patterns {
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                continue;
            }
            let mut p = clean(trimmed);
            let mut exclusion = false;
            if let Some(rest) = p.strip_prefix('!') {
                if rest.is_empty() {
                    return None;
                }
                exclusion = true;
                matcher.exclusions = true;
                p = rest.to_owned();
            }
            let kind = compile(&p);
            matcher.patterns.push(Pattern {
                cleaned: p,
                exclusion,
                kind,
            });
        }
        Some(matcher)
    }

    /// Whether any pattern is an exception (`!…`); BuildKit then skips the check.
    pub fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    /// Whether a pattern is `*`, `**` or `**/*`, i.e. the whole context is ignored.
    pub fn ignores_root(&self) -> bool {
        self.patterns
            .iter()
            .any(|p| !p.exclusion && matches!(p.cleaned.as_str(), "*" | "**" | "**/*"))
    }

    /// Whether an exception (`!…`) may re-include something below the
    /// directory `dir` although `dir` itself is ignored: BuildKit then still
    /// sends the directory with what the exception matches. Conservative:
    /// an exception naming a path below `dir`, or any with a wildcard.
    pub fn may_include_below(&self, dir: &str) -> bool {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.patterns.iter().any(|p| {
            p.exclusion && (p.cleaned.starts_with(&prefix) || p.cleaned.contains(['*', '?', '[']))
        })
    }

    /// `MatchesOrParentMatches`: the last pattern that matches `file` or one of its
    /// parent directories decides.
    pub fn matches_or_parent_matches(&self, file: &str) -> bool {
        let parent = dir(file);
        let parents: Vec<&str> = parent.split('/').collect();
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let mut hit = pattern.matches(file);
            if !hit && parent != "." {
                for i in 0..parents.len() {
                    if pattern.matches(&parents[..=i].join("/")) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                matched = !pattern.exclusion;
            }
        }
        matched
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix => path.starts_with(&self.cleaned[..self.cleaned.len() - 2]),
            Kind::Suffix => {
                let suffix = &self.cleaned[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|s| path == s)
            }
            Kind::Tokens(tokens) => match_tokens(tokens, &path.chars().collect::<Vec<_>>()),
            Kind::Invalid => false,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Detected {
    Exact,
    Prefix,
    Suffix,
    Regexp,
}

/// patternmatcher's `compile`, producing tokens instead of a regexp string.
fn compile(pattern: &str) -> Kind {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut detected = Detected::Exact;
    let mut i = 0;
    let mut step = 0;
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        if ch == '*' {
            if chars.get(i) == Some(&'*') {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        tokens.push(Token::Rest);
                        detected = Detected::Regexp;
                    }
                } else {
                    tokens.push(Token::AnyDirs);
                    detected = Detected::Regexp;
                }
                if step == 0 {
                    detected = Detected::Suffix;
                }
            } else {
                tokens.push(Token::Star);
                detected = Detected::Regexp;
            }
        } else if ch == '?' {
            tokens.push(Token::AnyButSlash);
            detected = Detected::Regexp;
        } else if ch == '\\' {
            match chars.get(i) {
                Some(&next) => {
                    i += 1;
                    tokens.push(Token::Char(next));
                    detected = Detected::Regexp;
                }
                None => tokens.push(Token::Char('\\')),
            }
        } else if ch == '[' {
            match class(&chars, i) {
                Some((token, next)) => {
                    tokens.push(token);
                    i = next;
                }
                None => return Kind::Invalid,
            }
            detected = Detected::Regexp;
        } else if ch == ']' {
            tokens.push(Token::Char(']'));
            detected = Detected::Regexp;
        } else {
            tokens.push(Token::Char(ch));
        }
        step += 1;
    }
    match detected {
        Detected::Exact => Kind::Exact,
        Detected::Prefix => Kind::Prefix,
        Detected::Suffix => Kind::Suffix,
        Detected::Regexp => Kind::Tokens(tokens),
    }
}

/// A character class starting after `[` at `start`; returns it and the index after `]`.
fn class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start;
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let mut c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Token::Class { negated, items }, i + 1));
        }
        first = false;
        i += 1;
        if c == '\\' {
            c = *chars.get(i)?;
            i += 1;
        }
        let mut hi = c;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            hi = chars[i + 1];
            i += 2;
            if hi == '\\' {
                hi = *chars.get(i)?;
                i += 1;
            }
            if hi < c {
                return None;
            }
        }
        items.push((c, hi));
    }
}

/// Anchored match of `tokens` against the whole of `text`.
fn match_tokens(tokens: &[Token], text: &[char]) -> bool {
    // memo[t * (n + 1) + p]: 0 unknown, 1 no, 2 yes.
    let n = text.len();
    let mut memo = vec![0u8; (tokens.len() + 1) * (n + 1)];
    match_from(tokens, text, 0, 0, &mut memo)
}

fn match_from(tokens: &[Token], text: &[char], t: usize, p: usize, memo: &mut [u8]) -> bool {
    let n = text.len();
    let slot = t * (n + 1) + p;
    if memo[slot] != 0 {
        return memo[slot] == 2;
    }
    let result = match tokens.get(t) {
        None => p == n,
        Some(Token::Char(c)) => {
            text.get(p) == Some(c) && match_from(tokens, text, t + 1, p + 1, memo)
        }
        Some(Token::AnyButSlash) => {
            text.get(p).is_some_and(|&c| c != '/') && match_from(tokens, text, t + 1, p + 1, memo)
        }
        Some(Token::Class { negated, items }) => {
            text.get(p).is_some_and(|&c| {
                let inside = items.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                inside != *negated
            }) && match_from(tokens, text, t + 1, p + 1, memo)
        }
        Some(Token::Star) => {
            let mut q = p;
            loop {
                if match_from(tokens, text, t + 1, q, memo) {
                    break true;
                }
                if q >= n || text[q] == '/' {
                    break false;
                }
                q += 1;
            }
        }
        Some(Token::Rest) => {
            let mut q = p;
            loop {
                if match_from(tokens, text, t + 1, q, memo) {
                    break true;
                }
                if q >= n || text[q] == '\n' {
                    break false;
                }
                q += 1;
            }
        }
        Some(Token::AnyDirs) => {
            // Empty, or any text (no newline) ending in `/`.
            if match_from(tokens, text, t + 1, p, memo) {
                true
            } else {
                let mut found = false;
                let mut q = p;
                while q < n && text[q] != '\n' {
                    if text[q] == '/' && match_from(tokens, text, t + 1, q + 1, memo) {
                        found = true;
                        break;
                    }
                    q += 1;
                }
                found
            }
        }
    };
    memo[slot] = if result { 2 } else { 1 };
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(patterns: &[&str]) -> IgnoreMatcher {
        IgnoreMatcher::new(&patterns.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn pattern_kinds() {
        let ignore = m(&[
            "node_modules",
            "*.log",
            "docs/**",
            "**/secret.txt",
            "a?c",
            "b[0-9]",
        ]);
        assert!(ignore.matches_or_parent_matches("node_modules"));
        assert!(ignore.matches_or_parent_matches("node_modules/x/y.js"));
        assert!(ignore.matches_or_parent_matches("debug.log"));
        assert!(!ignore.matches_or_parent_matches("dir/debug.log"));
        assert!(ignore.matches_or_parent_matches("docs/a/b"));
        assert!(ignore.matches_or_parent_matches("secret.txt"));
        assert!(ignore.matches_or_parent_matches("deep/er/secret.txt"));
        assert!(ignore.matches_or_parent_matches("abc"));
        assert!(!ignore.matches_or_parent_matches("a/c"));
        assert!(ignore.matches_or_parent_matches("b7"));
        assert!(!ignore.matches_or_parent_matches("bx"));
        assert!(!ignore.matches_or_parent_matches("src/main.rs"));
    }

    #[test]
    fn double_star_in_the_middle_and_exclusions() {
        let ignore = m(&["a/**/z", "!keep"]);
        assert!(ignore.has_exclusions());
        assert!(ignore.matches_or_parent_matches("a/z"));
        assert!(ignore.matches_or_parent_matches("a/b/c/z"));
        assert!(!ignore.matches_or_parent_matches("a/b/c/y"));
        assert!(m(&["*"]).ignores_root());
        assert!(!m(&["x"]).ignores_root());
    }

    #[test]
    fn clean_like_go() {
        assert_eq!(clean("a/./b/../c/"), "a/c");
        assert_eq!(clean("/../x"), "/x");
        assert_eq!(clean("../x"), "../x");
        assert_eq!(clean(""), ".");
        assert_eq!(clean("./"), ".");
    }
}
