//! Conformance of `dfopt_dockerfile::shell` with BuildKit's shell lexer.
//!
//! Runs the vector files in `tests/data/shell/` (see the README there):
//!
//! * `envVarTest` and `wordsTest` — BuildKit's own vectors, read exactly as
//!   BuildKit's `lex_test.go` reads them;
//! * `lexTest` — the table-driven cases of `lex_test.go`;
//! * `extraTest` — dfopt's own cases, whose expectations come from running
//!   BuildKit's lexer.
//!
//! Every case runs; all failures are reported together, each with its input,
//! expected and actual value. The number of cases per file is asserted so a
//! truncated or mangled file cannot pass quietly.

use std::fs;
use std::path::PathBuf;

use dfopt_dockerfile::shell::{Lexer, MapEnv};

fn read_vectors(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/shell")
        .join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Collects failures so one run shows all of them.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
}

impl Report {
    fn check<T: PartialEq + std::fmt::Debug>(
        &mut self,
        place: &str,
        input: &str,
        expected: &T,
        actual: &T,
    ) {
        if expected != actual {
            self.failures.push(format!(
                "{place}\n    input:    {input:?}\n    expected: {expected:?}\n    actual:   {actual:?}"
            ));
        }
    }

    fn finish(self, file: &str) {
        assert!(
            self.failures.is_empty(),
            "{} failing case(s) in {file}:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// `Ok(text)` or the marker `Err("error")`, the way BuildKit's vectors state it.
fn outcome<T>(result: Result<T, dfopt_dockerfile::shell::ShellError>) -> Result<T, &'static str> {
    result.map_err(|_| "error")
}

#[test]
fn buildkit_env_var_test() {
    let text = read_vectors("envVarTest");
    let env = MapEnv::from_assignments(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);
    let lexer = Lexer::new('\\');
    let mut report = Report::default();
    let (mut run, mut skipped) = (0, 0);
    for (index, raw) in text.lines().enumerate() {
        if raw.starts_with('#') || raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.trim().split('|').map(str::trim).collect();
        let place = format!("envVarTest line {}", index + 1);
        let [platform, input, expected] = fields[..] else {
            panic!("{place}: expected 3 fields: {raw:?}");
        };
        match platform {
            "A" | "U" => run += 1,
            "W" => {
                skipped += 1;
                continue;
            }
            _ => panic!("{place}: unknown platform {platform:?}"),
        }
        let actual = outcome(lexer.process_word(input, &env));
        let expected = if expected == "error" {
            Err("error")
        } else {
            Ok(expected.to_owned())
        };
        report.check(&place, input, &expected, &actual);
    }
    assert_eq!(
        (run, skipped),
        (228, 2),
        "envVarTest: (cases run, Windows cases skipped)"
    );
    report.finish("envVarTest");
}

#[test]
fn buildkit_words_test() {
    let text = read_vectors("wordsTest");
    let lexer = Lexer::new('\\');
    let mut assignments: Vec<String> = Vec::new();
    let mut report = Report::default();
    let mut run = 0;
    for (index, raw) in text.lines().enumerate() {
        if raw.starts_with('#') {
            continue;
        }
        if let Some(assignment) = raw.strip_prefix("ENV ") {
            // Trailing spaces are part of the value.
            assignments.push(assignment.trim_start_matches(' ').to_owned());
            continue;
        }
        let place = format!("wordsTest line {}", index + 1);
        let [input, expected] = raw.split('|').collect::<Vec<_>>()[..] else {
            panic!("{place}: expected exactly one '|': {raw:?}");
        };
        let input = input.trim();
        let expected: Vec<String> = expected
            .trim_start_matches(' ')
            .split(',')
            .map(str::to_owned)
            .collect();
        let env = MapEnv::from_assignments(&assignments);
        let actual = lexer
            .process_words(input, &env)
            .unwrap_or_else(|_| vec!["error".to_owned()]);
        report.check(&place, input, &expected, &actual);
        run += 1;
    }
    assert_eq!(
        (run, assignments.len()),
        (24, 4),
        "wordsTest: (cases, ENV lines)"
    );
    report.finish("wordsTest");
}

#[test]
fn buildkit_lex_test_cases() {
    let counts = run_case_file("lexTest");
    assert_eq!(
        counts,
        CaseCounts { word: 56, words: 0 },
        "lexTest case counts"
    );
}

#[test]
fn dfopt_extra_cases() {
    let counts = run_case_file("extraTest");
    assert_eq!(
        counts,
        CaseCounts {
            word: 207,
            words: 40
        },
        "extraTest case counts"
    );
}

#[derive(Debug, Default, PartialEq, Eq)]
struct CaseCounts {
    word: usize,
    words: usize,
}

/// Runs a file in the `env` / `options` / `word` / `words` format of README.md.
fn run_case_file(name: &str) -> CaseCounts {
    let text = read_vectors(name);
    let mut lexer = Lexer::new('\\');
    let mut env = MapEnv::new();
    let mut counts = CaseCounts::default();
    let mut report = Report::default();
    for (index, raw) in text.lines().enumerate() {
        if raw.starts_with('#') || raw.trim().is_empty() {
            continue;
        }
        let place = format!("{name} line {}", index + 1);
        let fields = split_fields(raw).unwrap_or_else(|e| panic!("{place}: {e}: {raw:?}"));
        let Some((Field::Bare(kind), rest)) = fields.split_first() else {
            panic!("{place}: a line must start with a keyword: {raw:?}");
        };
        match kind.as_str() {
            "env" => env = MapEnv::from_assignments(rest.iter().map(|f| quoted(f, &place))),
            "options" => lexer = lexer_with_options(rest, &place),
            "word" => {
                counts.word += 1;
                run_word_case(&lexer, &env, rest, &place, &mut report);
            }
            "words" => {
                counts.words += 1;
                run_words_case(&lexer, &env, rest, &place, &mut report);
            }
            other => panic!("{place}: unknown keyword {other:?}"),
        }
    }
    report.finish(name);
    counts
}

/// `word | "input" | "result" [| "matched" | "unmatched"]` or
/// `word | "input" | error [| "message"]`.
fn run_word_case(lexer: &Lexer, env: &MapEnv, fields: &[Field], place: &str, report: &mut Report) {
    let Some((input, expected)) = fields.split_first() else {
        panic!("{place}: missing input");
    };
    let input = quoted(input, place);
    let actual = lexer.process_word_with_matches(input, env);
    if let Some(message) = expected_error(expected, place) {
        let actual = actual.map(|e| e.result).map_err(|e| e.message);
        match message {
            Some(message) => report.check(place, input, &Err(message.to_owned()), &actual),
            None => report.check(
                place,
                input,
                &Err("any error"),
                &actual.map_err(|_| "any error"),
            ),
        }
        return;
    }
    let actual = actual.map_err(|e| e.message);
    let expected_result = Ok(quoted(&expected[0], place).to_owned());
    report.check(
        place,
        input,
        &expected_result,
        &actual.clone().map(|e| e.result),
    );
    if let [_, matched, unmatched] = expected {
        let names = |set: &std::collections::BTreeSet<String>| {
            set.iter().cloned().collect::<Vec<_>>().join(",")
        };
        let expected_sets = Ok((
            quoted(matched, place).to_owned(),
            quoted(unmatched, place).to_owned(),
        ));
        let actual_sets = actual.map(|e| (names(&e.matched), names(&e.unmatched)));
        report.check(
            &format!("{place} (matched, unmatched)"),
            input,
            &expected_sets,
            &actual_sets,
        );
    } else {
        assert_eq!(
            expected.len(),
            1,
            "{place}: expected result, or result, matched and unmatched"
        );
    }
}

/// `words | "input" | "w1" | "w2" ...` or `words | "input" | error [| "message"]`.
fn run_words_case(lexer: &Lexer, env: &MapEnv, fields: &[Field], place: &str, report: &mut Report) {
    let Some((input, expected)) = fields.split_first() else {
        panic!("{place}: missing input");
    };
    let input = quoted(input, place);
    let actual = lexer.process_words(input, env).map_err(|e| e.message);
    match expected_error(expected, place) {
        Some(Some(message)) => report.check(place, input, &Err(message.to_owned()), &actual),
        Some(None) => report.check(
            place,
            input,
            &Err("any error"),
            &actual.map_err(|_| "any error"),
        ),
        None => {
            let words = expected
                .iter()
                .map(|f| quoted(f, place).to_owned())
                .collect();
            report.check(place, input, &Ok(words), &actual);
        }
    }
}

/// `Some(Some(message))` for `error | "message"`, `Some(None)` for a bare
/// `error`, `None` for an expected success.
fn expected_error<'f>(expected: &'f [Field], place: &str) -> Option<Option<&'f str>> {
    match expected {
        [Field::Bare(word), rest @ ..] if word == "error" => match rest {
            [] => Some(None),
            [message] => Some(Some(quoted(message, place))),
            _ => panic!("{place}: `error` takes at most one message"),
        },
        [] => None,
        [Field::Bare(word), ..] => panic!("{place}: unexpected bare word {word:?}"),
        _ => None,
    }
}

fn lexer_with_options(fields: &[Field], place: &str) -> Lexer {
    let mut lexer = Lexer::new('\\');
    for field in fields {
        let Field::Bare(option) = field else {
            panic!("{place}: options are bare words");
        };
        match option.as_str() {
            "raw_quotes" => lexer.raw_quotes = true,
            "raw_escapes" => lexer.raw_escapes = true,
            "skip_process_quotes" => lexer.skip_process_quotes = true,
            "skip_unset_env" => lexer.skip_unset_env = true,
            "backtick" => lexer.escape = '`',
            other => panic!("{place}: unknown option {other:?}"),
        }
    }
    lexer
}

/// A field of the case format: a Go-style quoted string or a bare word.
#[derive(Debug)]
enum Field {
    Quoted(String),
    Bare(String),
}

fn quoted<'f>(field: &'f Field, place: &str) -> &'f str {
    match field {
        Field::Quoted(text) => text,
        Field::Bare(word) => panic!("{place}: expected a quoted string, found {word:?}"),
    }
}

/// Splits a line at the `|` characters outside quoted strings.
fn split_fields(line: &str) -> Result<Vec<Field>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let field = if chars.next_if_eq(&'"').is_some() {
            Field::Quoted(unquote_rest(&mut chars)?)
        } else {
            let mut word = String::new();
            while let Some(c) = chars.next_if(|&c| c != '|' && !c.is_whitespace()) {
                word.push(c);
            }
            if word.is_empty() {
                return Err("empty field".to_owned());
            }
            Field::Bare(word)
        };
        fields.push(field);
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.next() {
            None => return Ok(fields),
            Some('|') => {}
            Some(c) => return Err(format!("unexpected {c:?} after a field")),
        }
    }
}

/// Reads a Go string literal body after its opening quote.
fn unquote_rest(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    let mut out = String::new();
    loop {
        match chars.next().ok_or("unterminated string")? {
            '"' => return Ok(out),
            '\\' => out.push(unescape(chars)?),
            c => out.push(c),
        }
    }
}

fn unescape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<char, String> {
    let c = chars.next().ok_or("unterminated escape")?;
    let digits = match c {
        'a' => return Ok('\u{7}'),
        'b' => return Ok('\u{8}'),
        'f' => return Ok('\u{c}'),
        'n' => return Ok('\n'),
        'r' => return Ok('\r'),
        't' => return Ok('\t'),
        'v' => return Ok('\u{b}'),
        '"' | '\\' => return Ok(c),
        'x' => 2,
        'u' => 4,
        'U' => 8,
        _ => return Err(format!("unknown escape \\{c}")),
    };
    let hex: String = (0..digits).filter_map(|_| chars.next()).collect();
    let code = u32::from_str_radix(&hex, 16).map_err(|e| format!("bad escape \\{c}{hex}: {e}"))?;
    if c == 'x' && code > 0x7f {
        return Err("\\x escapes above 0x7f are bytes, not characters".to_owned());
    }
    char::from_u32(code).ok_or_else(|| format!("bad code point {code:#x}"))
}

#[test]
fn case_format_parser() {
    let fields = split_fields(r#"word | "a|b \"c\" \\ \t\x41\u00e9\U0001f600" | error"#).unwrap();
    let [Field::Bare(kind), Field::Quoted(text), Field::Bare(error)] = &fields[..] else {
        panic!("{fields:?}");
    };
    assert_eq!(
        (kind.as_str(), text.as_str(), error.as_str()),
        ("word", "a|b \"c\" \\ \tAé😀", "error")
    );
    assert!(split_fields(r#"word | "open"#).is_err());
    assert!(split_fields("word || x").is_err());
}
