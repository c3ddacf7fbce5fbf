//! Unit tests of the lexer options and robustness. BuildKit conformance is
//! covered by `tests/shell_conformance.rs`; the expectations here were also
//! checked against BuildKit's lexer.

use std::collections::{BTreeMap, HashMap};

use super::*;

fn env() -> MapEnv {
    MapEnv::from_assignments(["PWD=/home", "EMPTY=", "A=a b"])
}

fn lexer(configure: impl FnOnce(&mut Lexer)) -> Lexer {
    let mut lexer = Lexer::new('\\');
    configure(&mut lexer);
    lexer
}

fn word(lexer: &Lexer, input: &str) -> String {
    lexer
        .process_word(input, &env())
        .unwrap_or_else(|e| format!("ERR {e}"))
}

fn words(lexer: &Lexer, input: &str) -> Vec<String> {
    lexer
        .process_words(input, &env())
        .unwrap_or_else(|e| vec![format!("ERR {e}")])
}

#[test]
fn default_options() {
    let plain = Lexer::default();
    assert_eq!(plain.escape, '\\');
    assert_eq!(word(&plain, r#"'a'"b"\c$PWD"#), "abc/home");
    assert_eq!(words(&plain, "x $A 'y z'"), ["x", "a", "b", "y z"]);
}

#[test]
fn raw_quotes_keep_quote_characters() {
    let raw = lexer(|l| l.raw_quotes = true);
    assert_eq!(word(&raw, r#"'a'"b""#), r#"'a'"b""#);
    assert_eq!(word(&raw, r#""$PWD" '$PWD'"#), r#""/home" '$PWD'"#);
    assert_eq!(word(&raw, r#""\"""#), r#"""""#);
    assert_eq!(words(&raw, r#"'a b' "c d""#), ["'a b'", r#""c d""#]);
    // An empty quoted string is now a word.
    assert_eq!(words(&raw, r#""""#), [r#""""#]);
}

#[test]
fn raw_escapes_keep_escape_characters() {
    let raw = lexer(|l| l.raw_escapes = true);
    assert_eq!(word(&raw, r"a\ b"), r"a\ b");
    assert_eq!(word(&raw, r"\$PWD"), r"\$PWD");
    assert_eq!(word(&raw, r#""\$PWD""#), r"\$PWD");
    // Inside double quotes an escape before an ordinary character is written
    // twice: once because escapes are raw, once because it escapes nothing.
    assert_eq!(word(&raw, r#""\a""#), r"\\a");
    assert_eq!(word(&raw, r"a\"), r"a\");
    assert_eq!(words(&raw, r"a\ b c"), [r"a\ b", "c"]);
    // The words of `:-` never keep escapes...
    assert_eq!(word(&raw, r"${NOPE:-\x}"), "x");
    // ...and those of `#`, `%` and `/` always do, whatever the option says.
    assert_eq!(word(&Lexer::default(), r"${PWD#\/}"), "home");
}

#[test]
fn raw_quotes_and_escapes_for_heredoc_delimiters() {
    let raw = lexer(|l| {
        l.raw_quotes = true;
        l.raw_escapes = true;
    });
    assert_eq!(word(&raw, r#"<<"EOF""#), r#"<<"EOF""#);
    assert_eq!(word(&raw, r"<<E\OF"), r"<<E\OF");
    assert_eq!(words(&raw, "cat << 'E O F'"), ["cat", "<< 'E O F'"]);
}

#[test]
fn skip_process_quotes_makes_quotes_ordinary() {
    let skip = lexer(|l| l.skip_process_quotes = true);
    assert_eq!(word(&skip, r#"'$PWD' "$PWD""#), r#"'/home' "/home""#);
    assert_eq!(word(&skip, "'unterminated"), "'unterminated");
    assert_eq!(word(&skip, r#"\"x\'"#), r#""x'"#);
    assert_eq!(words(&skip, "'a b' c"), ["'a", "b'", "c"]);
}

#[test]
fn skip_unset_env_writes_unset_variables_back() {
    let skip = lexer(|l| l.skip_unset_env = true);
    assert_eq!(word(&skip, "$NOPE ${NOPE} $PWD"), "$NOPE ${NOPE} /home");
    assert_eq!(word(&skip, "${NOPE-$PWD}"), "${NOPE-/home}");
    assert_eq!(word(&skip, "${NOPE:?}"), "${NOPE:?}");
    assert_eq!(word(&skip, "${NOPE%%x*}"), "${NOPE%%x*}");
    // BuildKit writes `//` back as `/`, and does not validate the modifier.
    assert_eq!(word(&skip, "${NOPE//a/b}"), "${NOPE/a/b}");
    assert_eq!(word(&skip, "${NOPE:=x}"), "${NOPE:=x}");
    // Set variables are expanded (and checked) as usual.
    assert_eq!(word(&skip, "${EMPTY:-e}"), "e");
    assert!(word(&skip, "${PWD:=x}").starts_with("ERR "));
    assert_eq!(word(&skip, "$1$@"), "$1$@");
    let expansion = skip.process_word_with_matches("${NOPE:-${NOPE2}}", &env());
    let expansion = expansion.unwrap_or_default();
    assert_eq!(expansion.result, "${NOPE:-${NOPE2}}");
    assert_eq!(
        expansion.unmatched.into_iter().collect::<Vec<_>>(),
        ["NOPE", "NOPE2"]
    );
}

#[test]
fn raw_quotes_with_skip_unset_env_for_progress_names() {
    let progress = lexer(|l| {
        l.raw_quotes = true;
        l.skip_unset_env = true;
    });
    assert_eq!(
        word(&progress, r#"echo "$NOPE" '$PWD' $PWD"#),
        r#"echo "$NOPE" '$PWD' /home"#
    );
}

#[test]
fn backtick_escape() {
    let windows = Lexer::new('`');
    assert_eq!(word(&windows, r"c:\path\$PWD"), r"c:\path\/home");
    assert_eq!(word(&windows, r#""a`"b""#), r#"a"b"#);
    assert_eq!(word(&windows, "a`$PWD"), "a$PWD");
    // Patterns always use `\` for their own escapes.
    assert_eq!(word(&windows, r"${PWD#/\*}"), "/home");
}

#[test]
fn errors_carry_buildkit_messages() {
    let plain = Lexer::default();
    let message = |input: &str| plain.process_word(input, &env()).map_err(|e| e.to_string());
    assert_eq!(
        message("${PWD"),
        Err("failed to process \"${PWD\": unsupported modifier (\u{fffd}) in substitution".into())
    );
    assert_eq!(message("\"a\tb"), Err(r#"failed to process "\"a\tb": unexpected end of statement while looking for matching double-quote"#.into()));
    assert_eq!(
        message("${NOPE:?}"),
        Err(r#"failed to process "${NOPE:?}": NOPE: is not allowed to be unset"#.into())
    );
    assert_eq!(
        message("${EMPTY:?}"),
        Err(r#"failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty"#.into())
    );
    assert_eq!(
        message("${PWD:-x"),
        Err(r#"failed to process "${PWD:-x": syntax error: missing '}'"#.into())
    );
}

#[test]
fn shared_word_buffer_bug_is_mirrored() {
    let plain = Lexer::default();
    // BuildKit loses "ab" from the words (not from the text).
    assert_eq!(words(&plain, "ab${NOPE:-c}d"), ["cd"]);
    assert_eq!(word(&plain, "ab${NOPE:-c}d"), "abcd");
    assert_eq!(words(&plain, "ab${NOPE}d"), ["abd"]);
}

#[test]
fn byte_order_mark_at_the_start_is_dropped() {
    let plain = Lexer::default();
    assert_eq!(
        word(&plain, "\u{feff}\u{feff}x\u{feff}"),
        "\u{feff}x\u{feff}"
    );
}

#[test]
fn matched_and_unmatched_names() {
    let expansion =
        Lexer::default().process_word_with_matches("$PWD ${EMPTY:-$NOPE} $1 ${A#x}", &env());
    let expansion = expansion.unwrap_or_default();
    assert_eq!(expansion.result, "/home   a b");
    assert_eq!(
        expansion.matched.into_iter().collect::<Vec<_>>(),
        ["A", "EMPTY", "PWD"]
    );
    assert_eq!(
        expansion.unmatched.into_iter().collect::<Vec<_>>(),
        ["1", "NOPE"]
    );
}

#[test]
fn environments() {
    // EnvsFromSlice: split at the first '=', no '=' means empty, last wins.
    let env = MapEnv::from_assignments(["A=1=2", "B", "C=x", "C=y"]);
    assert_eq!(
        env.iter().collect::<Vec<_>>(),
        [("A", "1=2"), ("B", ""), ("C", "y")]
    );
    let mut env: MapEnv = [("X", "1")].into_iter().collect();
    env.set("Y", "2");
    env.unset("X");
    assert_eq!(Env::get(&env, "X"), None);
    assert_eq!(Env::get(&env, "Y"), Some("2"));
    let btree: BTreeMap<String, String> = [("V".to_owned(), "b".to_owned())].into();
    let hash: HashMap<String, String> = [("V".to_owned(), "h".to_owned())].into();
    let plain = Lexer::default();
    assert_eq!(plain.process_word("$V", &btree), Ok("b".to_owned()));
    assert_eq!(plain.process_word("$V", &hash), Ok("h".to_owned()));
    assert_eq!(plain.process_word("$V", &&hash), Ok("h".to_owned()));
    assert_eq!(plain.process_word("[$V]", &EmptyEnv), Ok("[]".to_owned()));
}

#[test]
fn nesting_is_limited_instead_of_overflowing_the_stack() {
    let plain = Lexer::default();
    let nest = |levels: usize| format!("{}x{}", "${N:-".repeat(levels), "}".repeat(levels));
    assert_eq!(
        plain.process_word(&nest(MAX_NESTING), &EmptyEnv),
        Ok("x".to_owned())
    );
    let quoted = format!(
        "{}x{}",
        "\"${N:-".repeat(MAX_NESTING),
        "}\"".repeat(MAX_NESTING)
    );
    assert_eq!(plain.process_word(&quoted, &EmptyEnv), Ok("x".to_owned()));
    let error = plain
        .process_word(&nest(MAX_NESTING + 1), &EmptyEnv)
        .unwrap_err();
    assert!(
        error
            .message
            .ends_with("too many nested ${...} expressions (the limit is 100)"),
        "{error}"
    );
    // Far deeper input fails the same way instead of crashing.
    assert!(plain.process_word(&nest(100_000), &EmptyEnv).is_err());
}

/// A small deterministic generator, so the test needs no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below
    }
}

fn random_text(seed: u64, size: usize, pieces: &[&str]) -> String {
    let mut rng = Lcg(seed);
    let mut text = String::with_capacity(size + 64);
    while text.len() < size {
        text.push_str(pieces[rng.next(pieces.len())]);
    }
    text
}

const MEGABYTE: usize = 1 << 20;

/// Well-formed pieces, so that a whole random text gets processed.
const WELL_FORMED: &[&str] = &[
    "a",
    "b ",
    " ",
    "\t",
    "\n",
    "$X",
    "${Y}",
    "${X:-d e}",
    "${Y:+x}",
    "${N-${X}}",
    "${X#*b}",
    "${Z%%y*}",
    "${X//?/-}",
    "${Z/$P/r}",
    "'q $X'",
    "\"d $X \\\" \"",
    "\\$",
    "\\ ",
    "<<EOF ",
    "<< E",
    "$1",
    "$@",
    "한",
    "\u{feff}",
];

/// Raw syntax characters: texts made of them mostly fail somewhere.
const NOISE: &[&str] = &[
    "$", "{", "}", ":", "-", "+", "?", "#", "%", "/", "\\", "'", "\"", "<", " ", "\n", "a", "X",
    "*", "`", "${X", "${X#", "${X//", "é",
];

fn test_env() -> MapEnv {
    MapEnv::from_assignments(["X=ab*c d", "Y=", "Z=xyz\nxyz", "P=a*"])
}

#[test]
fn megabyte_inputs_finish_without_panicking() {
    // Release builds take a few tens of milliseconds per megabyte.
    let env = test_env();
    let long_patterns = format!(
        "${{X#{}}}${{Z%%{}}}${{X//{}/r}}",
        "*a?".repeat(100_000),
        "?*".repeat(150_000),
        "b*".repeat(100_000)
    );
    let deep = format!(
        "{}x{}",
        "${N:-".repeat(MAX_NESTING),
        "}".repeat(MAX_NESTING)
    )
    .repeat(MEGABYTE / 600);
    let inputs = [
        random_text(1, MEGABYTE, WELL_FORMED),
        random_text(2, MEGABYTE, NOISE),
        random_text(3, MEGABYTE, &["$X", "${X}", "$Y", "${Y:-$X}"]),
        long_patterns,
        deep,
        "x".repeat(MEGABYTE),
        "${X:-".repeat(MEGABYTE / 5),
        "\"".to_owned() + &"a".repeat(MEGABYTE),
    ];
    let lexer = Lexer::default();
    for input in &inputs {
        let _ = lexer.process_word_with_matches(input, &env);
        let _ = lexer.process_words(input, &env);
    }
    let expanded = lexer.process_word(&inputs[0], &env);
    assert!(expanded.is_ok_and(|text| text.len() > MEGABYTE / 2));
}

#[test]
fn every_option_survives_random_input() {
    let env = test_env();
    let lexers = [
        lexer(|l| {
            l.raw_quotes = true;
            l.raw_escapes = true;
        }),
        lexer(|l| {
            l.skip_process_quotes = true;
            l.skip_unset_env = true;
        }),
        Lexer::new('`'),
    ];
    for seed in 0..4 {
        let inputs = [
            random_text(seed, MEGABYTE / 8, WELL_FORMED),
            random_text(seed, MEGABYTE / 8, NOISE),
        ];
        for (lexer, input) in lexers.iter().zip(inputs.iter().cycle()) {
            let _ = lexer.process_word_with_matches(input, &env);
            let _ = lexer.process_words(input, &env);
        }
    }
}
