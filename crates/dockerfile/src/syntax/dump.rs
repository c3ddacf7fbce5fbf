//! BuildKit's AST dump (`parser.Node.Dump`), the format of its parser testfiles.
//!
//! One line per instruction: `(keyword ["--flag" …] "arg" …)`, every string in
//! Go `strconv.Quote` form, ONBUILD nesting its trigger, ENV/LABEL printed as
//! key, value, delimiter triples.

use super::ast::{Args, Dockerfile, Instruction};
use crate::go_quote;

pub fn dump(dockerfile: &Dockerfile) -> String {
    let mut out = String::new();
    for instruction in &dockerfile.instructions {
        out.push('(');
        out.push_str(&dump_instruction(instruction));
        out.push_str(")\n");
    }
    out
}

pub fn dump_instruction(instruction: &Instruction) -> String {
    let mut out = instruction.keyword.clone();
    if !instruction.flags.is_empty() {
        let flags: Vec<String> = instruction
            .flags
            .iter()
            .map(|f| go_quote(&f.text))
            .collect();
        out.push_str(&format!(" [{}]", flags.join(" ")));
    }
    match &instruction.args {
        Args::Empty => {}
        Args::Unknown => out.push_str(" \"\""),
        Args::Words(words) => {
            for word in words {
                out.push(' ');
                out.push_str(&go_quote(&word.text));
            }
        }
        Args::Pairs(pairs) => {
            for pair in pairs {
                let delimiter = if pair.legacy { "" } else { "=" };
                for text in [pair.key.text.as_str(), pair.value.text.as_str(), delimiter] {
                    out.push(' ');
                    out.push_str(&go_quote(text));
                }
            }
        }
        Args::Trigger(child) => {
            out.push_str(" (");
            out.push_str(&dump_instruction(child));
            out.push(')');
        }
    }
    out.trim().to_string()
}
