//! `dfopt`: the command-line face of the dfopt Dockerfile optimizer.
//!
//! Exit codes: 0 ok, 1 findings, 2 error (bad input, unreadable file, usage).

mod input;
mod parse_cmd;

use clap::{Parser, Subcommand};

/// mimalloc: parsing allocates many small strings; glibc malloc doubles the time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "dfopt", version, about = "Dockerfile optimizer for BuildKit")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a Dockerfile and print its syntax tree.
    Parse(parse_cmd::ParseArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Parse(args) => parse_cmd::run(&args),
    };
    ExitCode::from(code)
}
