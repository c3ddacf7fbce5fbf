//! `dfopt parse`: print BuildKit's AST dump of a Dockerfile.

use crate::input;
use dfopt_dockerfile::syntax::dump::dump;
use dfopt_dockerfile::{parse, LineIndex};

#[derive(clap::Args)]
pub struct ParseArgs {
    /// Print BuildKit's AST dump format (one s-expression per instruction).
    #[arg(long)]
    dump: bool,
    /// The Dockerfile, or `-` for standard input.
    file: String,
}

pub fn run(args: &ParseArgs) -> u8 {
    let input = match input::read(&args.file) {
        Ok(input) => input,
        Err(message) => {
            eprintln!("{message}");
            return 2;
        }
    };
    let parsed = parse(&input.text);
    let index = LineIndex::new(&input.text);
    for diagnostic in &parsed.diagnostics {
        let at = index.line_col(&input.text, diagnostic.span.start);
        let kind = if diagnostic.is_error() {
            ""
        } else {
            "warning: "
        };
        eprintln!(
            "{}:{}:{}: {kind}{}",
            input.name, at.line, at.column, diagnostic.message
        );
    }
    if parsed.error().is_some() {
        return 2;
    }
    // Without --dump there is nothing else to print yet: parsing is the check.
    if args.dump {
        print!("{}", dump(&parsed.dockerfile));
    }
    0
}
