//! Snapshot tests: every `tests/fixtures/*.Dockerfile` is converted with fake base
//! images; the snapshot holds the image requests, the image config and the LLB dump.
//!
//! Each fixture is converted for the daemon its `# test:` lines name (BuildKit v0.8's
//! caps unless it says otherwise: Docker 20.10's builtin frontend, `fixture@NAME`), and
//! a fixture that names no caps is converted again for BuildKit v0.25's caps (Docker
//! 28.5's builtin frontend, `fixture-v0.25@NAME`): the dialect follows the caps.

mod common;

use std::fs;
use std::path::PathBuf;

use dfopt_llb::CapSet;

fn fixture_paths() -> Vec<PathBuf> {
    let mut names: Vec<_> = fs::read_dir(common::fixtures())
        .expect("fixtures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    names
}

fn stem(path: &std::path::Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("name")
        .to_owned()
}

#[test]
fn fixtures() {
    for path in fixture_paths() {
        let source = fs::read_to_string(&path).expect("fixture");
        let opts = common::options_for(&source);
        let name = stem(&path);
        let snap = common::snapshot(&source, &opts);
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false, description => source.clone(), omit_expression => true }, {
            insta::assert_snapshot!("fixture", snap);
        });
    }
}

#[test]
fn fixtures_buildkit_v0_25() {
    let mut converted = 0;
    for path in fixture_paths() {
        let source = fs::read_to_string(&path).expect("fixture");
        if common::sets_caps(&source) {
            continue;
        }
        let mut opts = common::options_for(&source);
        opts.caps = CapSet::buildkit_v0_25();
        let name = stem(&path);
        let snap = common::snapshot(&source, &opts);
        converted += 1;
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false, description => source.clone(), omit_expression => true }, {
            insta::assert_snapshot!("fixture-v0.25", snap);
        });
    }
    assert!(converted > 10);
}
