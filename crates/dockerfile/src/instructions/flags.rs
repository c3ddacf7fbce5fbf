//! Builder flags (`--name=value`), as BuildKit's `BFlags`.
//!
//! Each instruction declares the flags it knows; parsing checks names
//! ("unknown flag" with a suggestion), repetition (only list flags may
//! repeat), missing values and boolean syntax, with BuildKit's messages.

use super::suggest;
use crate::syntax::ast::Word;
use crate::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagKind {
    Bool,
    String,
    /// May be given several times (`--mount`, `--exclude`, `--device`).
    Strings,
}

/// A flag an instruction accepts.
#[derive(Clone, Copy, Debug)]
pub struct FlagSpec {
    pub name: &'static str,
    pub kind: FlagKind,
}

pub const fn flag(name: &'static str, kind: FlagKind) -> FlagSpec {
    FlagSpec { name, kind }
}

/// One value given on the command line, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagValue {
    pub value: String,
    pub span: Span,
}

/// The flags given, by name, in the order they were written.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    given: Vec<(&'static str, FlagValue)>,
}

impl Flags {
    pub fn is_used(&self, name: &str) -> bool {
        self.given.iter().any(|(n, _)| *n == name)
    }

    /// The value of a string flag, if given.
    pub fn string(&self, name: &str) -> Option<&FlagValue> {
        self.given
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// The value of a bool flag if given (`--link`, `--link=true`, `--link=false`).
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v.value == "true")
    }

    /// Every value of a list flag.
    pub fn strings(&self, name: &str) -> Vec<FlagValue> {
        self.values(name).cloned().collect()
    }

    /// Every value of a list flag, borrowed.
    pub(crate) fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a FlagValue> + 'a {
        self.given
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// Names of the flags used, sorted (BuildKit's `FlagsUsed`, order made stable).
    pub fn used(&self) -> Vec<String> {
        if self.given.is_empty() {
            return Vec::new();
        }
        let mut names: Vec<String> = self.given.iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Parses `words` against `specs`; the error text is BuildKit's.
pub fn parse(words: &[Word], specs: &[FlagSpec]) -> Result<Flags, (String, Span)> {
    let mut flags = Flags {
        given: Vec::with_capacity(words.len()),
    };
    for word in words {
        let text = word.text.as_str();
        if text == "--" {
            break;
        }
        let Some(after) = text.strip_prefix("--") else {
            return Err((format!("arg should start with -- : {text}"), word.span));
        };
        let (name, value) = match after.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (after, None),
        };
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            let mut names: Vec<&str> = specs.iter().map(|s| s.name).collect();
            names.sort_unstable();
            let message = suggest::wrap(format!("unknown flag: --{name}"), name, &names, true);
            return Err((message, word.span));
        };
        if spec.kind != FlagKind::Strings && flags.is_used(spec.name) {
            return Err((format!("duplicate flag specified: --{name}"), word.span));
        }
        let value = match (spec.kind, value) {
            (FlagKind::Bool, Some("")) => {
                return Err((format!("missing a value on flag: --{name}"), word.span))
            }
            (FlagKind::Bool, value) => match value.unwrap_or("").to_lowercase().as_str() {
                "true" | "" => "true".to_string(),
                "false" => "false".to_string(),
                _ => {
                    let message = format!(
                        "expecting boolean value for flag --{name}, not: {}",
                        value.unwrap_or("")
                    );
                    return Err((message, word.span));
                }
            },
            (_, None) => return Err((format!("missing a value on flag: --{name}"), word.span)),
            (_, Some(value)) => value.to_string(),
        };
        flags.given.push((
            spec.name,
            FlagValue {
                value,
                span: word.span,
            },
        ));
    }
    Ok(flags)
}
