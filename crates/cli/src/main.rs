//! `dfopt`: the command-line face of the dfopt Dockerfile optimizer.
//!
//! Exit codes: 0 ok (nothing to change, no finding), 1 findings (rewrites
//! would be made, the file changed, checks found something), 2 error (bad
//! input, unreadable file, usage).

mod build_error;
mod check_cmd;
mod common;
mod context_dir;
mod dockerignore;
mod explain_cmd;
mod frame;
mod input;
mod llb_cmd;
mod parse_cmd;
mod platform;
mod rewrite_cmd;
mod style;

use clap::{Parser, Subcommand};

/// mimalloc: parsing allocates many small strings; glibc malloc doubles the time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dfopt",
    version,
    about = "Dockerfile optimizer for BuildKit",
    after_help = "Exit status: 0 nothing to report, 1 findings (rewrites, changes, check findings), 2 error.\n\
                  FILE may be `-` for standard input. Colour is used on terminals only (NO_COLOR disables it)."
)]
struct Cli {
    /// When to use colour.
    #[arg(long, value_enum, global = true, default_value_t)]
    color: style::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a Dockerfile and print its syntax tree.
    Parse(parse_cmd::ParseArgs),
    /// Show every rewrite the optimizer would make, why, and a summary.
    Explain(explain_cmd::ExplainArgs),
    /// Print the optimised Dockerfile (or a unified diff with --diff).
    Rewrite(rewrite_cmd::RewriteArgs),
    /// Print the BuildKit LLB (pb.Definition) of the optimised Dockerfile.
    #[command(
        after_help = "Example: dfopt llb Dockerfile | buildctl build --local context=. --local dockerfile=.\n\
                      Base image configs are not resolved (no daemon): their ENV/WORKDIR/USER are unknown \
                      and images are not pinned to digests."
    )]
    Llb(llb_cmd::LlbArgs),
    /// Report cache-efficiency problems (Docker's build guidelines; `# check=skip=` applies).
    Check(check_cmd::CheckArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Parse(args) => parse_cmd::run(&args),
        Command::Explain(args) => explain_cmd::run(&args, cli.color),
        Command::Rewrite(args) => rewrite_cmd::run(&args, cli.color),
        Command::Llb(args) => llb_cmd::run(&args),
        Command::Check(args) => check_cmd::run(&args, cli.color),
    };
    ExitCode::from(code)
}
