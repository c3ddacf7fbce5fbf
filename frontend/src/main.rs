//! The `dfopt-frontend` binary: BuildKit runs it as a gateway frontend.
//!
//! Everything happens in the library; this file only picks the Dockerfile conversion
//! and turns the outcome into the exit status. It exits right after `Return`, without
//! unwinding, because the daemon keeps stdin open until the process is gone.

use dfopt_frontend::dfopt_lowering::DfoptLowering;

/// mimalloc: parsing and lowering allocate many small strings; glibc malloc is much slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // `dfopt-frontend cache-tool …`: the same binary as the tool the export and seed
    // execs run (BuildKit starts the frontend itself without arguments).
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    if args.first().map(String::as_str) == Some(dfopt_frontend::cache_transfer::graph::TOOL_COMMAND)
    {
        std::process::exit(dfopt_frontend::cache_transfer::tool::main(&args[1..]));
    }
    let code = dfopt_frontend::run_from_environment(&DfoptLowering);
    std::process::exit(code);
}
