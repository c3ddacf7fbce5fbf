//! Tokens, words, simple commands and removals in plain lists.

use super::super::tokens::tokenize;
use super::super::*;

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
        "echo $(# c)",
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
    let s = Script::parse("FOO=1 apt-get update && if x; then rm -rf /a; fi | cat; ! b").unwrap();
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
