//! Unit tests of the shell reader.

mod compound;
mod lines;
mod reach;
mod removal;

use super::Script;

/// Each simple command's text, and whether it is directly an element of a list.
fn commands(s: &str) -> Vec<(String, bool)> {
    let script = Script::parse(s).unwrap_or_else(|e| panic!("{s:?}: refused: {}", e.0));
    script
        .cmds
        .iter()
        .map(|c| {
            let text = &script.text[script.toks[c.first].start..script.toks[c.last - 1].end];
            (text.to_string(), c.scope.is_some())
        })
        .collect()
}
