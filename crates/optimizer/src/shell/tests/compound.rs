//! `case … esac` and `(( … ))`: what is read, and what is refused.

use super::super::tokens::tokenize;
use super::super::{Script, TokKind};
use super::commands;

/// Accepted command lines and their simple commands (text, and whether it
/// is directly an element of a list).
const ACCEPTED: &[(&str, &[(&str, bool)])] = &[
    (
        "case \"$(uname -m)\" in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) exit 1 ;; esac \
         && apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
        &[
            ("ARCH=amd64", false),
            ("ARCH=arm64", false),
            ("exit 1", false),
            ("apt-get update", true),
            ("apt-get install -y curl", true),
            ("rm -rf /var/lib/apt/lists/*", true),
        ],
    ),
    (
        "dpkgArch=\"$(dpkg --print-architecture)\"; case \"${dpkgArch##*-}\" in amd64) a=x64;; \
         arm64) a=arm64;; esac; pip install --no-cache-dir -r requirements.txt",
        &[
            ("dpkgArch=\"$(dpkg --print-architecture)\"", true),
            ("a=x64", false),
            ("a=arm64", false),
            ("pip install --no-cache-dir -r requirements.txt", true),
        ],
    ),
    // An optional `(` before the patterns; an empty clause.
    ("case $x in (a) ;; esac", &[]),
    (
        "case $x in (a|b) echo ab ;; (*) echo other ;; esac",
        &[("echo ab", false), ("echo other", false)],
    ),
    // Patterns: alternatives, globs, quotes; none of them is a command.
    (
        "case $x in a|b|\"c d\"|'x86_64'|[0-9]*) echo one ;; *) echo other ;; esac",
        &[("echo one", false), ("echo other", false)],
    ),
    // Reserved words only in their positions.
    ("echo esac", &[("echo esac", true)]),
    ("echo case in", &[("echo case in", true)]),
    ("case in in in) echo in ;; esac", &[("echo in", false)]),
    (
        "case x in case|if|then) echo kw ;; esac",
        &[("echo kw", false)],
    ),
    // Clauses on lines of their own; the last `;;` may be left out.
    (
        "case $x in\n  a) echo a\n     echo b ;;\n  b)\n    echo c\n    ;;\n  *) echo d\nesac",
        &[
            ("echo a", false),
            ("echo b", false),
            ("echo c", false),
            ("echo d", false),
        ],
    ),
    (
        "case $x in # arch\n a) echo a ;; # done\nesac",
        &[("echo a", false)],
    ),
    // Empty clauses and an empty `case`.
    ("case $x in a) ;; b) esac", &[]),
    ("case $x in esac; echo after", &[("echo after", true)]),
    // Nesting: `case` in `case`, in `if`, in a subshell, in a group, in a loop.
    (
        "case $a in x) case $b in y) echo xy ;; esac ;; z) echo z ;; esac",
        &[("echo xy", false), ("echo z", false)],
    ),
    (
        "if true; then case $a in x) echo x ;; esac; fi && echo after",
        &[("true", false), ("echo x", false), ("echo after", true)],
    ),
    (
        "if true; then case $a in x) echo x ;; esac fi",
        &[("true", false), ("echo x", false)],
    ),
    (
        "( case $a in x) echo x ;; esac ) && echo after",
        &[("echo x", false), ("echo after", true)],
    ),
    ("{ case $a in x) echo x;; esac; }", &[("echo x", false)]),
    (
        "for f in a b; do case $f in a) echo a;; esac; done",
        &[("echo a", false)],
    ),
    // Compound commands inside a clause.
    (
        "case $x in a) (cd y && make) ;; b) if c; then d; fi ;; esac",
        &[("cd y", true), ("make", true), ("c", false), ("d", false)],
    ),
    (
        "case $x in a) echo a ;; esac > /tmp/log 2>&1",
        &[("echo a", false), ("> /tmp/log 2>&1", true)],
    ),
    ("! case $x in a) false ;; esac", &[("false", false)]),
    (
        "case $x in a) echo x &&\n echo y ;; b) ! false ;; esac",
        &[("echo x", false), ("echo y", false), ("false", false)],
    ),
    (
        "echo x | case $(cat) in a) echo a ;; esac",
        &[("echo x", false), ("echo a", false)],
    ),
    // Arithmetic commands run no simple command.
    ("((i++))", &[]),
    ("((i++)) && echo x", &[("echo x", true)]),
    ("(( x > 2 )) || echo small", &[("echo small", true)]),
    (
        "((count+=1)); ((${n}%2==0)); (( 16#ff==0xff )); ((!done)); (( ! x ))",
        &[],
    ),
    (
        "((a?b:-c)); ((x=y*$2)); (( i++ )); ((i+++--j)); (( x < y && y > 2 || ! z ))",
        &[],
    ),
    ("while ((i < 3)); do ((i++)); done", &[]),
    ("(( (x) > 2 && (y<3) ))", &[]),
    ("((${#x}>0)); (( ${#PIP_INDEX_URL} ))", &[]),
    (
        "if ((n>=2)); then make -j2; else make; fi",
        &[("make -j2", false), ("make", false)],
    ),
    ("case $x in a) ((n++)) ;; esac", &[]),
    ("((x)) > /dev/null", &[("> /dev/null", true)]),
    // Two subshells, written with a blank between the parentheses.
    ("( (echo a) )", &[("echo a", true)]),
    ("( ((i++)) )", &[]),
    // Arithmetic expansions inside words.
    ("x=$(( $(nproc) * 2 ))", &[("x=$(( $(nproc) * 2 ))", true)]),
    (
        "echo $((1 + (2 * 3))) $(( ${#x} ))",
        &[("echo $((1 + (2 * 3))) $(( ${#x} ))", true)],
    ),
];

/// Command lines the reader must refuse.
const REFUSED: &[&str] = &[
    // bash's fall-through terminators.
    "case a in a) echo;& b) echo;; esac",
    "case a in a) echo;;& b) echo;; esac",
    // `case` inside a command substitution.
    "echo $(case a in a) echo;; esac)",
    "echo $(case a in (a) echo;; esac)",
    "echo \"$(case a in (a) echo;; esac)\"",
    // Malformed or unterminated `case`.
    "case a in a) echo ;;",
    "case a in a echo ;; esac",
    "case a\nin a) ;; esac",
    "case a b in a) ;; esac",
    "case a in\na\n) ;; esac",
    "case a in a|\nb) ;; esac",
    "case a in (esac) ;; esac",
    "case a in a|esac) ;; esac",
    "case a in a) echo a esac",
    "case a in a) ;; esac b",
    "case a in a) echo ) ;; esac",
    "case a in a) if x; then y;; fi;; esac",
    "case a in a) { b;; } ;; esac",
    "case a in ;; esac",
    "case a in a) echo x && ;; esac",
    "case a in a) echo x |\n ;; esac",
    "case a in a) echo x || esac",
    "case a in a) ! ;; esac",
    "case a in a) ;; esac )",
    "case",
    "esac",
    "in",
    "echo a;; echo b",
    "x=1; esac",
    "> f case a in a) ;; esac",
    // `((` around anything but a plain expression.
    "((echo a))",
    "((rm -rf /var/cache/apt))",
    // Valid expressions that dash would run as a program with arguments.
    "(( rm - rf / var ))",
    "(( n % 2 == 0 ))",
    "(( x = 1 ))",
    // Valid expressions that dash rejects as a syntax error.
    "(( ! done ))",
    "((x=(y+1)*$2))",
    "(( (a)+b ))",
    "(( x < (y) ))",
    "((x<(y)))",
    "((a>))",
    "((n >= 2))",
    "((echo a) )",
    "(((i)))",
    "(( $(rm -rf /var/cache/apt) ))",
    "if (( $(nproc) > 2 )); then make -j4; else make; fi",
    "(( `nproc` > 2 ))",
    "(( a & b ))",
    "(( a &= b ))",
    "(( x << 2 ))",
    "(( x <<= 2 ))",
    "(( \"1\" ))",
    "(( 'a' ))",
    "(( a\\+b ))",
    "((i++; j++))",
    "((i++\nj++))",
    "(( ))",
    "(( a b ))",
    "(( #x ))",
    "(( $? ))",
    "(( a[1] ))",
    "(( ${x:-1} ))",
    "(( ${#} ))",
    "(( ${#1} ))",
    "(( ${} ))",
    "((x",
    "((x)",
    "((x)) y",
    "echo ((x))",
    "x=1 ((y))",
    "> f ((y))",
    "for ((i=0; i<3; i++)); do :; done",
    "case a in ((x)) ) ;; esac",
    // A background job inside a substitution inside an arithmetic expansion.
    "x=$(( $(sleep 9 &) ))",
];

#[test]
fn accepted_compound_commands() {
    for (s, want) in ACCEPTED {
        let got = commands(s);
        let want: Vec<(String, bool)> = want.iter().map(|(t, d)| (t.to_string(), *d)).collect();
        assert_eq!(got, want, "{s:?}");
    }
}

#[test]
fn refused_compound_commands() {
    for s in REFUSED {
        assert!(Script::parse(s).is_err(), "accepted: {s:?}");
    }
}

#[test]
fn case_parts_are_not_separators_of_the_enclosing_list() {
    let s = Script::parse("a && case $x in b|c) d ;; esac && e").unwrap();
    let separators: Vec<&str> = (0..s.toks.len())
        .filter(|&i| s.owner[i] == Some(0) && s.toks[i].kind == TokKind::Op)
        .map(|i| s.word(i))
        .collect();
    assert_eq!(separators, vec!["&&", "&&"]);
}

#[test]
fn arithmetic_command_is_one_token() {
    let s = "((i++)) && (( x > 2 ))";
    let toks: Vec<(TokKind, &str)> = tokenize(s)
        .unwrap()
        .into_iter()
        .map(|t| (t.kind, t.text(s)))
        .collect();
    assert_eq!(
        toks,
        vec![
            (TokKind::Arith, "((i++))"),
            (TokKind::Op, "&&"),
            (TokKind::Arith, "(( x > 2 ))")
        ]
    );
}
