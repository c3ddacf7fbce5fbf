//! Removing simple commands inside `case` clauses and next to `(( … ))`.

use super::super::{apply_edits, Script};

/// Command line, text of the commands to remove, expected result.
const REMOVALS: &[(&str, &[&str], &str)] = &[
    // A clause left with no command gets `true`.
    (
        "case $x in a) rm -rf /tmp/x ;; esac",
        &["rm -rf /tmp/x"],
        "case $x in a) true ;; esac",
    ),
    (
        "case $x in a) rm -rf /tmp/x;; esac",
        &["rm -rf /tmp/x"],
        "case $x in a) true;; esac",
    ),
    (
        "case $x in a) echo a; rm -rf y ;; b) rm -rf z ;; esac",
        &["rm -rf y", "rm -rf z"],
        "case $x in a) echo a; true ;; b) true ;; esac",
    ),
    (
        "case $x in a) rm x\nesac",
        &["rm x"],
        "case $x in a) true\nesac",
    ),
    // The `case` command is one element of the enclosing list.
    (
        "apt-get install x && case $x in a) rm y ;; esac && rm z",
        &["rm y", "rm z"],
        "apt-get install x && case $x in a) true ;; esac",
    ),
    (
        "case $x in a) b ;; esac; rm -rf y",
        &["rm -rf y"],
        "case $x in a) b ;; esac",
    ),
    (
        "rm -rf y; case $x in a) b ;; esac",
        &["rm -rf y"],
        "case $x in a) b ;; esac",
    ),
    // A subshell inside a clause is a list of its own.
    (
        "case $x in a) ( b && rm y ) ;; esac",
        &["rm y"],
        "case $x in a) ( b ) ;; esac",
    ),
    // A command after `|` and a line break is still in the pipeline.
    ("echo x |\n rm -rf y", &["rm -rf y"], "echo x |\n true"),
    ("echo x &&\n rm -rf y", &["rm -rf y"], "echo x"),
    // `(( … ))` is an element of the list like any command.
    ("((n++)) && rm -rf y && b", &["rm -rf y"], "((n++)) && b"),
    ("rm -rf y && ((n++))", &["rm -rf y"], "((n++))"),
    ("((n > 1)) || rm -rf y", &["rm -rf y"], "((n > 1)) || true"),
];

#[test]
fn removals_keep_clauses_valid() {
    for (text, remove, want) in REMOVALS {
        let s = Script::parse(text).unwrap();
        let picked: Vec<usize> = (0..s.cmds.len())
            .filter(|&i| {
                let c = &s.cmds[i];
                remove.contains(&&s.text[s.toks[c.first].start..s.toks[c.last - 1].end])
            })
            .collect();
        assert_eq!(picked.len(), remove.len(), "{text:?}");
        let out = apply_edits(&s.text, &s.removal_edits(&picked)).unwrap();
        assert_eq!(&out, want, "{text:?}");
        Script::parse(&out).unwrap_or_else(|e| panic!("{out:?} does not read back: {}", e.0));
    }
}
