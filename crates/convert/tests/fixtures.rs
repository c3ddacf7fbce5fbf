//! Snapshot tests: every `tests/fixtures/*.Dockerfile` is converted with fake base
//! images; the snapshot holds the image requests, the image config and the LLB dump.

mod common;

use std::fs;

#[test]
fn fixtures() {
    let mut names: Vec<_> = fs::read_dir(common::fixtures())
        .expect("fixtures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for path in names {
        let source = fs::read_to_string(&path).expect("fixture");
        let opts = common::options_for(&source);
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let snap = common::snapshot(&source, &opts);
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false, description => source.clone(), omit_expression => true }, {
            insta::assert_snapshot!("fixture", snap);
        });
    }
}
