//! Checks shared by the fixture and robustness tests.

use dfopt_dockerfile::instructions::parse_dockerfile;
use dfopt_optimizer::{optimize, render, Optimized, Options, Settings, MAX_ROUNDS};

/// The commands of an IR as `(keyword, logical line)`, stage by stage.
fn shape(ir: &dfopt_dockerfile::instructions::Ir) -> Vec<Vec<(String, String)>> {
    let mut out = vec![ir
        .meta_args
        .iter()
        .map(|c| (c.keyword().to_string(), c.original.clone()))
        .collect()];
    for s in &ir.stages {
        let mut v = vec![("FROM".to_string(), s.source_code.clone())];
        v.extend(
            s.commands
                .iter()
                .map(|c| (c.keyword().to_string(), c.original.clone())),
        );
        out.push(v);
    }
    out
}

/// The checks every input must pass; returns the optimised result.
pub fn check_invariants(
    name: &str,
    source: &str,
    settings: &Settings,
    opts: &Options,
) -> Option<(Optimized, String)> {
    let opt = optimize(source, settings, opts).ok()?;
    let rendered = render(source, &opt);
    assert!(
        opt.rounds < MAX_ROUNDS || opt.rewrites().count() == 0,
        "{name}: no fixpoint after {MAX_ROUNDS} rounds"
    );
    let reparsed = dfopt_dockerfile::parse(&rendered);
    assert!(
        reparsed.error().is_none(),
        "{name}: rendered output does not parse: {:?}\n{rendered}",
        reparsed.error()
    );
    let ir = parse_dockerfile(&reparsed.dockerfile)
        .unwrap_or_else(|e| panic!("{name}: rendered IR error {e:?}\n{rendered}"));
    assert_eq!(
        shape(&ir),
        shape(&opt.ir),
        "{name}: rendered text does not read back as the optimised IR\n{rendered}"
    );
    let again = optimize(&rendered, settings, opts)
        .unwrap_or_else(|e| panic!("{name}: second run failed {e:?}"));
    let second: Vec<_> = again.rewrites().map(|c| c.title.clone()).collect();
    assert!(
        second.is_empty(),
        "{name}: not idempotent, second run rewrote: {second:?}\n{rendered}"
    );
    assert_eq!(
        render(&rendered, &again),
        rendered,
        "{name}: second render differs"
    );
    let off = optimize(source, &Settings::off(), opts).expect("parses");
    assert!(
        off.changes.is_empty(),
        "{name}: DFOPT=off changed something"
    );
    assert_eq!(
        render(source, &off),
        source,
        "{name}: DFOPT=off render differs"
    );
    Some((opt, rendered))
}
