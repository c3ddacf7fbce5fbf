//! The optimised Dockerfile as text.
//!
//! The source is a sequence of instructions, each preceded by its trivia
//! (the newline ending the previous instruction, comments, blank lines). The
//! output walks the optimised IR in order and prints, for each command, the
//! trivia of the first original instruction it stands for, then either the
//! original instruction text (unchanged commands: byte for byte) or the
//! rewritten text. Whatever follows the last instruction is kept. A command
//! that stands for an instruction printed already (`deps-first` splits one
//! COPY in two) gets only a line break: comments and blank lines are printed
//! once, above the first.

use crate::{Optimized, SyntaxLine};

/// Renders `opt` (the result of optimising `source`) as Dockerfile text.
pub fn render(source: &str, opt: &Optimized) -> String {
    let mut out = String::with_capacity(source.len() + 256);
    let text = |span: dfopt_dockerfile::Span| span.text(source);
    let mut printed_once = std::collections::BTreeSet::new();
    let mut emit = |out: &mut String, instruction: usize, printed: Option<&str>| {
        let Some(&(leading, span)) = opt.layout.get(instruction) else {
            return;
        };
        let mut lead = text(leading).to_string();
        if !printed_once.insert(instruction) {
            let newline = if lead.starts_with("\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            out.push_str(newline);
            out.push_str(printed.unwrap_or_else(|| text(span)));
            return;
        }
        if instruction == 0 {
            if let SyntaxLine::Raised {
                from,
                to,
                span: directive,
            } = &opt.syntax
            {
                let d = (directive.start - leading.start) as usize
                    ..(directive.end - leading.start) as usize;
                if let Some(line) = lead.get(d.clone()) {
                    let replaced = line.replacen(from.as_str(), to, 1);
                    lead.replace_range(d, &replaced);
                }
            }
        }
        out.push_str(&lead);
        out.push_str(printed.unwrap_or_else(|| text(span)));
    };
    for origin in &opt.meta_origins {
        emit(&mut out, origin.instructions[0], origin.text.as_deref());
    }
    for (stage, origins) in opt.origins.iter().enumerate() {
        if let Some(&from) = opt.stage_from.get(stage) {
            emit(&mut out, from, None);
        }
        for origin in origins {
            emit(&mut out, origin.instructions[0], origin.text.as_deref());
        }
    }
    let end = opt.layout.last().map_or(0, |&(_, span)| span.end as usize);
    out.push_str(source.get(end..).unwrap_or(""));
    out
}
