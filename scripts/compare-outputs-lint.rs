//! The build checks' side of scripts/compare-outputs.py: the CLI does not run
//! BuildKit's checks (the frontend's lint and outline subrequests do), so the
//! harness copies this file into a tree's `crates/findings/tests/` for one run
//! and removes it again. It dumps the walk's whole `Analysis` (findings, error,
//! outline) for every input listed in $LINT_INPUTS (paths relative to
//! $LINT_ROOT) into $LINT_OUT, one file per (input, variant): every stage
//! (lint without a target), linux/arm64, build-args that override a platform
//! arg and `DFOPT`, and each named stage as the target.
use dfopt_findings::buildkit::{analyze, base_image, BaseImage, ImageQuery, Options};
use dfopt_llb::platform;
use std::collections::BTreeMap;

const DEFAULT_IMAGE: &[u8] = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"OnBuild":null}}"#;

fn valid_ref(name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("invalid reference format".into());
    }
    Ok(())
}

#[test]
fn dump() {
    let Ok(list) = std::env::var("LINT_INPUTS") else {
        return;
    };
    let out = std::env::var("LINT_OUT").unwrap();
    let root = std::env::var("LINT_ROOT").unwrap();
    let mut n = 0;
    for rel in std::fs::read_to_string(list).unwrap().lines() {
        let source =
            String::from_utf8_lossy(&std::fs::read(format!("{root}/{rel}")).unwrap()).into_owned();
        let parsed = dfopt_dockerfile::parse(&source);
        let names: Vec<String> = source
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w.len() >= 4
                    && w[0].eq_ignore_ascii_case("from")
                    && w[w.len() - 2].eq_ignore_ascii_case("as"))
                .then(|| w[w.len() - 1].to_owned())
            })
            .collect();
        type Variant<'a> = (
            String,
            Option<String>,
            Option<&'a str>,
            BTreeMap<String, String>,
            bool,
        );
        let mut variants: Vec<Variant> = vec![
            ("default".into(), None, None, BTreeMap::new(), true),
            (
                "arm64".into(),
                None,
                Some("linux/arm64"),
                BTreeMap::new(),
                false,
            ),
            (
                "args".into(),
                None,
                None,
                BTreeMap::from([
                    ("TARGETOS".to_owned(), "x".to_owned()),
                    ("DFOPT".to_owned(), "off".to_owned()),
                ]),
                false,
            ),
        ];
        for (i, name) in names.iter().enumerate() {
            if !names[..i].contains(name) {
                variants.push((
                    format!("target-{name}"),
                    Some(name.clone()),
                    None,
                    BTreeMap::new(),
                    false,
                ));
            }
        }
        for (label, target, tp, args, all) in &variants {
            let images = |_: &ImageQuery| -> Option<BaseImage> { Some(base_image(DEFAULT_IMAGE)) };
            let options = Options {
                build_args: args,
                target: target.as_deref(),
                build_platform: platform::parse("linux/amd64").unwrap(),
                target_platform: tp.map(|p| platform::parse(p).unwrap()),
                check: None,
                images: &images,
                dockerignore: &[],
                is_valid_image_ref: &valid_ref,
                all_stages: *all,
            };
            let analysis = analyze(&source, &parsed, &options);
            let file = format!(
                "{out}/{}--{}",
                rel.replace("../", "up/").replace('/', "__"),
                label.replace('/', "_")
            );
            std::fs::write(file, format!("{analysis:#?}")).unwrap();
            n += 1;
        }
    }
    println!("lint dump: {n} pairs");
}
