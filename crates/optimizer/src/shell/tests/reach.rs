//! Which commands surely ran when the command line succeeded.

use super::super::Script;

/// Whether the first simple command starting with `rm` surely ran.
fn rm_always_runs(s: &str) -> bool {
    let script = Script::parse(s).unwrap_or_else(|e| panic!("{s:?}: refused: {}", e.0));
    let ci = script
        .cmds
        .iter()
        .position(|c| script.name(c) == Some("rm"))
        .unwrap_or_else(|| panic!("{s:?}: no rm"));
    script.always_runs(ci)
}

const UNCONDITIONAL: &[&str] = &[
    "rm -rf x",
    "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
    "apt-get update; apt-get install -y curl; rm -rf /var/lib/apt/lists/*",
    "set -eux; apt-get update; rm -rf x; echo done",
    "rm -rf x; false || true",
    "rm -rf x || true",
    "rm -rf x && echo ok; echo more",
    "a || b && rm -rf x",
    "apt-get update &&\n  apt-get install -y curl &&\n  # clean\n  rm -rf x",
    "apt-get update \\\n && rm -rf x",
    "(cd /tmp && make) && rm -rf x",
    "{ apt-get update && apt-get install -y curl; } && rm -rf x",
    "a && ( cd / && rm -rf x )",
    "a && { rm -rf x; }",
    "{ rm -rf x; echo; }; b",
    "{ { rm -rf x; }; echo; }; b",
    "rm -rf x 2>/dev/null; b",
    "rm -rf x >/dev/null 2>&1; b",
    "rm -rf x > /tmp/log && b",
    "case $x in a) exit 1 ;; esac && rm -rf x",
    "[ -n \"$X\" ] || exit 3; rm -rf x",
    "command -v apt-get; rm -rf x",
    "set -o pipefail; rm -rf x; b",
    "x=$(exit 0); rm -rf x; b",
    "a && rm -rf x;",
    "a && rm -rf x\n\n# done\n",
    // How merged RUNs join their parts: a failed part ends the shell.
    "( a && rm -rf x ); ( exit $? ) || exit $?; ( echo done )",
    "( a; rm -rf x ); ( exit $? ) || exit $?; \\\n# next\n    ( echo done )",
    "( b ); ( exit $? ) || exit $?; ( a && rm -rf x )",
    "a || exit $?; rm -rf x",
    "a || exit; rm -rf x",
    "( exit 0 ); rm -rf x",
    "exec 2>&1; rm -rf x; b",
    // A subshell that surely succeeded ran all its first pipelines.
    "( a; rm -rf x; b ); ( exit $? ) || exit $?; ( c )",
    "( set -e; false; rm -rf x; b ); ( exit $? ) || exit $?; c",
    "a && ( rm -rf x; b )",
];

const CONDITIONAL: &[&str] = &[
    "if [ \"$CLEAN\" = 1 ]; then rm -rf x; fi",
    "a && [ -n \"$SLIM\" ] && rm -rf x; b",
    "a; test -f /x || rm -rf x",
    "a && case \"$V\" in slim) rm -rf x ;; esac",
    "a && while false; do rm -rf x; done",
    "for d in x; do rm -rf $d; done",
    "a && rm -rf x || true",
    "a && rm -rf x && b || c",
    "a || rm -rf x",
    "a && rm -rf x; b",
    "rm -rf x | cat",
    "! rm -rf x",
    "rm -rf x & wait",
    "a & rm -rf x",
    "if true; then ( rm -rf x ); fi",
    "if true; then { rm -rf x; }; fi",
    "a && ( rm -rf x ); b",
    "a && { rm -rf x; }; b",
    "( rm -rf x; echo ); b",
    "( set -e; false; rm -rf x ); b",
    "( a; rm -rf x; b ); c",
    "a && ( rm -rf x; b ); c",
    "! ( rm -rf x )",
    "( rm -rf x ) | cat",
    "( rm -rf x ) > /tmp/log; b",
    "( a && rm -rf x; b )",
    "rm -rf x > /tmp/log; b",
    "rm -rf x < /nonexistent; b",
    "exit 0; rm -rf x",
    "exit; rm -rf x",
    "exit 256; rm -rf x",
    "[ -f /x ] && exit 0; rm -rf x",
    "if a; then exit $CODE; fi; rm -rf x",
    ". /env.sh; rm -rf x",
    "source /env.sh; rm -rf x",
    "eval \"$SETUP\"; rm -rf x",
    "exec foo; rm -rf x",
    "trap 'exit 0' TERM; kill $$; rm -rf x",
    "set -n; rm -rf x",
    "set -o noexec; rm -rf x",
    "set $FLAGS; rm -rf x",
    "$CMD; rm -rf x",
    "command exit 0; rm -rf x",
    "alias rm=true; rm -rf x",
    "hash -p /bin/true rm; rm -rf x",
    "[[ -n $X ]] && rm -rf x; b",
    "(( X > 1 )) && rm -rf x; b",
    "( a && rm -rf x ); ( exit $? ) || true; b",
    "( a && rm -rf x ); ( exit $? ); b",
    "( a && rm -rf x ); b; ( exit $? ) || exit $?",
    "( a && rm -rf x || true ); ( exit $? ) || exit $?; b",
    "a && exit $?; rm -rf x",
    "( exit 0; rm -rf x ); b",
    "{ exit 0; }; rm -rf x",
];

#[test]
fn unconditional_deletions() {
    for s in UNCONDITIONAL {
        assert!(rm_always_runs(s), "{s:?} should always run");
    }
}

#[test]
fn conditional_deletions() {
    for s in CONDITIONAL {
        assert!(!rm_always_runs(s), "{s:?} should be conditional");
    }
}

#[test]
fn substitution_bodies_are_read() {
    let script = Script::parse("echo \"$(uname -m)\" `nproc` $(( 1 + 2 )) ${X:-$(id -u)}").unwrap();
    let names: Vec<Vec<String>> = script
        .subs
        .iter()
        .map(|s| s.cmds.iter().filter_map(|c| s.base_name(c)).collect())
        .collect();
    assert_eq!(names, [["uname"], ["nproc"], ["id"]]);
    assert!(script.substitutions_only_read());
    let nested = Script::parse("x=$(echo $(rm -rf /var/cache/apt))").unwrap();
    assert_eq!(nested.subs.len(), 1);
    let adjacent = Script::parse("x=$(uname)$()`id`\"$(echo `nproc`)\"").unwrap();
    assert_eq!(adjacent.subs.len(), 4);
    assert_eq!(adjacent.subs[3].subs.len(), 1);
    assert!(!nested.substitutions_only_read());
}

#[test]
fn substitutions_that_only_read() {
    let reads = [
        "x=$(uname -m)",
        "echo \"deb [arch=$(dpkg --print-architecture)] https://x $(. /etc/os-release && echo \"$VERSION_CODENAME\") main\"",
        "make -j$(nproc)",
        "v=$(cat /etc/arch 2>/dev/null || echo none)",
        "v=$(date -u +%Y%m%d)",
        "v=$(if [ -f /x ]; then cat /x; fi)",
        "v=`uname -r`",
        "v=$(command -v python3)",
        "v=$(grep -c x /etc/passwd < /dev/null)",
        "v=$(( $(nproc) * 2 ))",
    ];
    for s in reads {
        let script = Script::parse(s).unwrap_or_else(|e| panic!("{s:?}: refused: {}", e.0));
        assert!(script.substitutions_only_read(), "{s:?} only reads");
    }
    let writes = [
        "echo $(rm -rf /var/cache/apt)",
        "x=$(rm -rf /var/lib/apt/lists)",
        "x=`apt-get update`",
        "x=$(echo $(apt-get update))",
        "x=$(cat /x > /var/lib/apt/lists/y)",
        "x=$(sed -i s/a/b/ /etc/x)",
        "x=$($CMD)",
        "x=$(date -s 2020-01-01)",
        "x=$(date 010100002030)",
        "x=$(dpkg -i x.deb)",
        "x=$(. /env.sh)",
        "x=$(command rm -rf x)",
        "x=$(env rm -rf x)",
        "eval \"$(ssh-agent -s)\"",
        "x=$(mktemp -d)",
        "x=$(uname -m; cd /; rm -rf /var/cache/apk)",
    ];
    for s in writes {
        let script = Script::parse(s).unwrap_or_else(|e| panic!("{s:?}: refused: {}", e.0));
        assert!(
            !script.substitutions_only_read(),
            "{s:?} does not only read"
        );
    }
}

#[test]
fn unreadable_substitution_bodies_are_refused() {
    for s in [
        "x=`echo \\`date\\``",
        "x=$(f() { :; })",
        "x=$(fi)",
        "x=$(if true; then :)",
    ] {
        assert!(Script::parse(s).is_err(), "{s:?} should be refused");
    }
}
