#![no_main]
//! Parse + typed IR + shell expansion over arbitrary bytes: no panic, no hang.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dfopt_dockerfile::fuzz_support::exercise(data);
});
