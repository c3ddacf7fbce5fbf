//! Parse + typed IR of the shared benchmark Dockerfiles.
//!
//! Target: `large-multistage.Dockerfile` (457 lines, 12 stages)
//! under 200 µs for parse + typed IR. Run: `cargo bench -p dfopt-dockerfile`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dfopt_dockerfile::instructions::parse_dockerfile;
use dfopt_dockerfile::parse;

/// The allocator the `dfopt` and `dfopt-frontend` binaries use, so the figure is theirs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LARGE: &str = include_str!("inputs/large-multistage.Dockerfile");
const FAL: &str = include_str!("inputs/fal-complete.Dockerfile");

fn parse_and_type(source: &str) -> usize {
    let parsed = parse(source);
    assert!(parsed.error().is_none(), "benchmark input must parse");
    let ir = parse_dockerfile(&parsed.dockerfile).expect("benchmark input must type");
    ir.stages.len()
}

fn bench(c: &mut Criterion) {
    c.bench_function("parse+ir large-multistage (457 lines)", |b| {
        b.iter(|| parse_and_type(black_box(LARGE)))
    });
    c.bench_function("parse+ir fal-complete (20 lines)", |b| {
        b.iter(|| parse_and_type(black_box(FAL)))
    });
    c.bench_function("parse only large-multistage", |b| {
        b.iter(|| parse(black_box(LARGE)).dockerfile.instructions.len())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
