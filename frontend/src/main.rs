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
    let code = dfopt_frontend::run_from_environment(&DfoptLowering);
    std::process::exit(code);
}
