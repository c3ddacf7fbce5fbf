//! Parse + convert + marshal of the shared benchmark Dockerfiles (dfopt's targets:
//! large-multistage under 1 ms, fal-complete under 50 µs; BuildKit v0.11.6's Go
//! converter takes 9.7 ms and 0.45 ms on this machine kind, see benches/README in
//! crates/dockerfile). Base images are answered from a fixed config, as a daemon's
//! `ResolveImageConfig` would; no I/O happens in the measured loop.
//! Run: `cargo bench -p dfopt-convert`.

use std::collections::BTreeMap;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dfopt_convert::{convert, images_to_resolve, ConvertOptions, ResolvedImage};
use dfopt_llb::{CapSet, Platform};

/// The allocator the `dfopt` and `dfopt-frontend` binaries use.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LARGE: &str = include_str!("large-multistage.Dockerfile");
const FAL: &str = include_str!("fal-complete.Dockerfile");
const CONFIG: &[u8] = include_bytes!("../tests/fixtures/images/debian.json");

fn answers(source: &str, opts: &ConvertOptions) -> BTreeMap<String, ResolvedImage> {
    images_to_resolve(source, opts)
        .expect("benchmark input converts")
        .into_iter()
        .map(|r| {
            (
                r.key,
                ResolvedImage {
                    digest: None,
                    config: CONFIG.to_vec(),
                },
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let opts = ConvertOptions::new(
        "session",
        Platform::new("linux", "amd64"),
        CapSet::buildkit_v0_8(),
    );
    for (name, source) in [
        ("large-multistage (457 lines)", LARGE),
        ("fal-complete (20 lines)", FAL),
    ] {
        let images = answers(source, &opts);
        c.bench_function(&format!("parse+convert+marshal {name}"), |b| {
            b.iter(|| {
                convert(black_box(source), &opts, &images)
                    .expect("converts")
                    .definition
                    .def
                    .len()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
