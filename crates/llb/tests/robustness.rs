//! `dump` and `validate` never panic, whatever the bytes; builders never panic on odd
//! strings.

mod common;

use dfopt_llb::prelude::*;
use dfopt_llb::{dump_bytes, encode_definition, pb};
use prost::Message;

/// xorshift64*: deterministic, dependency-free noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

fn exercise(bytes: &[u8]) {
    let _ = dump_bytes(bytes);
    if let Ok(def) = pb::Definition::decode(bytes) {
        let _ = validate(&def);
        let _ = dfopt_llb::validate_caps(&def, &CapSet::buildkit_v0_8());
        let _ = dump(&def);
    }
}

#[test]
fn random_bytes() {
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let len = noise.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| (noise.next() & 0xff) as u8).collect();
        exercise(&bytes);
    }
}

#[test]
fn mutated_real_definitions() {
    let everything = common::everything_graph().unwrap_or_else(|e| panic!("{e}"));
    let def = common::marshal(&everything, &CapSet::buildkit_head());
    let original = encode_definition(&def);
    let mut noise = Noise(42);
    for _ in 0..2000 {
        let mut bytes = original.clone();
        for _ in 0..=noise.below(4) {
            let at = noise.below(bytes.len());
            if let Some(b) = bytes.get_mut(at) {
                *b = (noise.next() & 0xff) as u8;
            }
        }
        exercise(&bytes);
    }
    // Mutating decoded ops (so that they still parse) reaches deeper code paths.
    for _ in 0..500 {
        let mut mutated = def.clone();
        let i = noise.below(mutated.def.len());
        if let Some(entry) = mutated.def.get_mut(i) {
            if let Ok(mut op) = pb::Op::decode(entry.as_slice()) {
                scramble(&mut op, &mut noise);
                *entry = op.encode_to_vec();
            }
        }
        exercise(&encode_definition(&mutated));
    }
}

fn scramble(op: &mut pb::Op, noise: &mut Noise) {
    let mut wild = || [i64::MIN, -2, -1, 0, 1, 2, 7, i64::MAX][noise.below(8)];
    for input in &mut op.inputs {
        input.index = wild();
    }
    match &mut op.op {
        Some(pb::op::Op::Exec(e)) => {
            for m in &mut e.mounts {
                m.input = wild();
                m.output = wild();
                m.mount_type = i32::try_from(wild() & 0xff).unwrap_or(9);
            }
            e.network = 17;
        }
        Some(pb::op::Op::File(f)) => {
            for a in &mut f.actions {
                a.input = wild();
                a.secondary_input = wild();
                a.output = wild();
            }
        }
        Some(pb::op::Op::Merge(m)) => {
            for i in &mut m.inputs {
                i.input = wild();
            }
        }
        Some(pb::op::Op::Diff(d)) => {
            d.lower = None;
            d.upper = Some(pb::UpperDiffInput { input: wild() });
        }
        _ => op.op = None,
    }
}

#[test]
fn odd_strings_do_not_panic_builders() {
    let odd = [
        "",
        "/",
        "..",
        "../../..",
        ":",
        "@",
        "#",
        "a:b@c#d",
        "ü/ß:ñ",
        "\0",
        "\u{202e}",
        "[",
        "[]:1/x",
        "x:99999999999999999999/y",
        "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p",
        "sha256:",
        "git@:",
        "@host:path",
        "https://[::1",
        "ssh://@/",
    ];
    let long = "a".repeat(100_000);
    for s in odd.iter().copied().chain([long.as_str()]) {
        let _ = Image::new(s);
        let _ = Image::new("busybox").and_then(|i| i.pin_digest(s));
        let _ = Git::new(s).map(|g| g.subdir(s).reference(s).build());
        let _ = Http::new(s);
        let _ = Local::new(s).map(|l| l.include_patterns([s]).build());
        let state = common::busybox().with_cwd(s).with_env(s, s).with_user(s);
        let _ = state.run([s]).cwd(s).mount(TmpfsMount::new(s)).build();
        let _ = state
            .file()
            .copy(FileCopy::new(&state, s, s).owner(Chown::parse(s)))
            .mkdir(Mkdir::new(s, u32::MAX))
            .rm(Rm::new(s))
            .build()
            .map(|st| st.marshal(&CapSet::buildkit_head()));
    }
}
