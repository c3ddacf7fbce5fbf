//! `dfopt rewrite`: the optimised Dockerfile as text, or a unified diff
//! against the input.

use dfopt_optimizer::render;
use similar::{ChangeTag, TextDiff};

use crate::common::{self, BuildOpts, ERROR, FINDINGS, OK};
use crate::style::{ColorChoice, Style};

#[derive(clap::Args)]
pub struct RewriteArgs {
    #[command(flatten)]
    build: BuildOpts,
    /// Print a unified diff against the input instead of the whole file.
    #[arg(long)]
    diff: bool,
    /// The Dockerfile, or `-` for standard input.
    file: String,
}

pub fn run(args: &RewriteArgs, color: ColorChoice) -> u8 {
    let Some((prepared, opt)) = common::prepare_optimized(&args.file, &args.build) else {
        return ERROR;
    };
    let input = &prepared.input;
    let output = render(&input.text, &opt);
    let changed = output != input.text;
    let text = if args.diff {
        unified_diff(&input.name, &input.text, &output, Style::stdout(color))
    } else {
        output
    };
    if let Err(message) = common::print_stdout(text.as_bytes()) {
        eprintln!("{message}");
        return ERROR;
    }
    if changed {
        FINDINGS
    } else {
        OK
    }
}

/// A unified diff (3 lines of context) from `old` to `new`, both named `name`
/// in the headers (so `patch -p0 < diff` applies it); empty when equal.
pub fn unified_diff(name: &str, old: &str, new: &str, style: Style) -> String {
    if old == new {
        return String::new();
    }
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    out.push_str(&style.bold(&format!("--- {name}")));
    out.push('\n');
    out.push_str(&style.bold(&format!("+++ {name}")));
    out.push('\n');
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&style.cyan(&hunk.header().to_string()));
        out.push('\n');
        for change in hunk.iter_changes() {
            let (sign, paint): (&str, fn(Style, &str) -> String) = match change.tag() {
                ChangeTag::Delete => ("-", Style::red),
                ChangeTag::Insert => ("+", Style::green),
                ChangeTag::Equal => (" ", |_, t| t.to_string()),
            };
            let value = change.value();
            let (line, newline) = match value.strip_suffix('\n') {
                Some(line) => (line, true),
                None => (value, false),
            };
            out.push_str(&paint(style, &format!("{sign}{line}")));
            out.push('\n');
            if !newline {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_format() {
        let old = "FROM a\nRUN x\nRUN y\nCMD z\n";
        let new = "FROM a\nRUN x && y\nCMD z\n";
        assert_eq!(
            unified_diff("Dockerfile", old, new, Style::plain()),
            "--- Dockerfile\n+++ Dockerfile\n@@ -1,4 +1,3 @@\n FROM a\n-RUN x\n-RUN y\n+RUN x && y\n CMD z\n"
        );
        assert_eq!(unified_diff("D", old, old, Style::plain()), "");
        assert_eq!(
            unified_diff("D", "a", "b", Style::plain()),
            "--- D\n+++ D\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"
        );
    }
}
