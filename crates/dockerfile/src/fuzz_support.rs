//! The body of the fuzz target, shared with the regression test that replays
//! the committed corpus, so both exercise exactly the same code.

use crate::instructions::{parse_dockerfile, CommandKind};
use crate::shell::Lexer;
use crate::stages::scope::Vars;
use crate::syntax::dump::dump;

/// Parses, types, dumps and expands `data`; must never panic.
pub fn exercise(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = crate::parse(source);
    let _ = dump(&parsed.dockerfile);
    let env = Vars::from_env_list(["PWD=/home", "EMPTY=", "LIST=a b  c"]);
    for instruction in &parsed.dockerfile.instructions {
        for escape in ['\\', '`'] {
            let mut lexer = Lexer::new(escape);
            let _ = lexer.process_word(instruction.args_text(), &env);
            let _ = lexer.process_words(instruction.args_text(), &env);
            lexer.raw_quotes = true;
            lexer.skip_unset_env = true;
            let _ = lexer.process_words(instruction.args_text(), &env);
            lexer.raw_escapes = true;
            lexer.skip_process_quotes = true;
            let _ = lexer.process_word(instruction.args_text(), &env);
        }
    }
    if parsed.error().is_some() {
        return;
    }
    let Ok(ir) = parse_dockerfile(&parsed.dockerfile) else {
        return;
    };
    let lexer = Lexer::new(parsed.dockerfile.escape);
    for stage in &ir.stages {
        let _ = lexer.process_word(&stage.base, &env);
        for command in &stage.commands {
            if let CommandKind::Run(run) = &command.kind {
                for mount in &run.mounts {
                    let expand = |v: &str| lexer.process_word(v, &env).map_err(|e| e.message);
                    let _ =
                        crate::instructions::mount::parse_mount(&mount.raw.value, Some(&expand));
                }
            }
        }
    }
}
