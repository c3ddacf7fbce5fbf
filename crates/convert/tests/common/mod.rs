//! Shared by the integration tests: fake image resolution and fixture options.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use dfopt_convert::{
    convert, images_to_resolve, ConvertError, ConvertOptions, Converted, ImageRequest, NoCache,
    ResolvedImage,
};
use dfopt_llb::{encode_definition, CapSet, Network, Platform, ResolveMode};

pub const SESSION: &str = "sid-0123456789";

pub fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

pub fn amd64() -> Platform {
    Platform::new("linux", "amd64")
}

pub fn default_opts() -> ConvertOptions {
    ConvertOptions::new(SESSION, amd64(), CapSet::buildkit_v0_8())
}

fn platform(s: &str) -> Platform {
    let parts: Vec<&str> = s.split('/').collect();
    let p = Platform::new(parts[0], parts[1]);
    match parts.get(2) {
        Some(v) => p.with_variant(*v),
        None => p,
    }
}

/// Whether a fixture names its daemon's caps itself (`# test: caps …` or `add-cap`).
pub fn sets_caps(source: &str) -> bool {
    source
        .lines()
        .any(|l| l.starts_with("# test: caps ") || l.starts_with("# test: add-cap "))
}

/// Options from `# test: <option> [value]` comment lines of a fixture.
pub fn options_for(source: &str) -> ConvertOptions {
    let mut opts = default_opts();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("# test: ") else {
            continue;
        };
        let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
        let kv = || {
            value
                .split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .expect("k=v")
        };
        match key {
            "target" => opts.target = Some(value.to_owned()),
            "build-arg" => {
                let (k, v) = kv();
                opts.build_args.insert(k, v);
            }
            "label" => {
                let (k, v) = kv();
                opts.labels.insert(k, v);
            }
            "platform" => opts.target_platform = Some(platform(value)),
            "build-platform" => opts.build_platform = platform(value),
            "prefix-platform" => opts.prefix_platform = true,
            "caps" => {
                opts.caps = match value {
                    "head" => CapSet::buildkit_head(),
                    "v0.25" => CapSet::buildkit_v0_25(),
                    "v0.8" => CapSet::buildkit_v0_8(),
                    other => panic!("caps {other}"),
                }
            }
            "add-cap" => opts.caps.insert(value),
            "no-cache" => {
                opts.no_cache = if value.is_empty() {
                    NoCache::All
                } else {
                    NoCache::Stages(value.split(',').map(str::to_owned).collect())
                }
            }
            "exclude" => opts.excludes.push(value.to_owned()),
            "resolve-mode" => {
                opts.image_resolve_mode = match value {
                    "pull" => ResolveMode::ForcePull,
                    "local" => ResolveMode::PreferLocal,
                    _ => ResolveMode::Default,
                }
            }
            "force-network" => {
                opts.force_network_mode = Some(match value {
                    "none" => Network::None,
                    "host" => Network::Host,
                    _ => Network::Sandbox,
                })
            }
            "add-host" => {
                let (k, v) = kv();
                opts.extra_hosts.push((k, v));
            }
            "hostname" => opts.hostname = Some(value.to_owned()),
            "context-name" => opts.context_name = value.to_owned(),
            "dockerfile-name" => opts.dockerfile_name = value.to_owned(),
            other => panic!("unknown test option {other}"),
        }
    }
    opts
}

/// The fake registry: reference → (config fixture, digest).
pub fn fake_image(request: &ImageRequest) -> ResolvedImage {
    let pinned = |c: char| Some(format!("sha256:{}", c.to_string().repeat(64)));
    let (file, digest) = match request.reference.as_str() {
        _ if request.platform.architecture == "arm64" => ("arm64", pinned('e')),
        "docker.io/library/busybox:latest" => ("busybox", pinned('a')),
        "docker.io/library/busybox:1.36" => ("busybox", pinned('a')),
        "docker.io/library/alpine:3.18" => ("busybox", pinned('c')),
        "docker.io/library/debian:bookworm" => ("debian", None),
        "docker.io/example/web:1" => ("web", pinned('b')),
        "docker.io/example/onbuild:latest" => ("onbuild", None),
        "docker.io/example/empty:latest" => ("empty", None),
        r if r.starts_with("docker.io/library/busybox@") => ("busybox", None),
        other => panic!("no fake image for {other}"),
    };
    let config = std::fs::read(fixtures().join("images").join(format!("{file}.json")))
        .expect("image fixture");
    ResolvedImage { digest, config }
}

pub fn resolve_all(requests: &[ImageRequest]) -> BTreeMap<String, ResolvedImage> {
    requests
        .iter()
        .map(|r| (r.key.clone(), fake_image(r)))
        .collect()
}

/// Both phases with fake images.
pub fn convert_with_fakes(
    source: &str,
    opts: &ConvertOptions,
) -> Result<(Vec<ImageRequest>, Converted), ConvertError> {
    let requests = images_to_resolve(source, opts)?;
    let images = resolve_all(&requests);
    let converted = convert(source, opts, &images)?;
    Ok((requests, converted))
}

/// Converts, checks the invariants every result must have, and renders the snapshot.
pub fn snapshot(source: &str, opts: &ConvertOptions) -> String {
    let (requests, converted) = match convert_with_fakes(source, opts) {
        Ok(r) => r,
        Err(e) => {
            return format!(
                "error: {}\n",
                e.display_with_lines(&opts.dockerfile_name, source)
            )
        }
    };
    let def = &converted.definition;
    if !def.def.is_empty() {
        if let Err(e) = dfopt_llb::validate(def) {
            panic!("invalid definition: {e}\n{}", dfopt_llb::dump(def));
        }
        if let Err(e) = dfopt_llb::validate_caps(def, &opts.caps) {
            panic!("caps: {e}");
        }
    }
    // Determinism: a second conversion gives the same bytes.
    let (_, again) = convert_with_fakes(source, opts).expect("second conversion");
    assert_eq!(encode_definition(def), encode_definition(&again.definition));
    assert_eq!(converted.image_config, again.image_config);

    let mut out = String::new();
    out.push_str("requests:\n");
    for r in &requests {
        out.push_str(&format!(
            "  {} ({}) {}\n",
            r.log_name, r.resolve_mode, r.key
        ));
    }
    if !converted.warnings.is_empty() {
        out.push_str("warnings:\n");
        for w in &converted.warnings {
            out.push_str(&format!("  {}\n", w.message));
        }
    }
    out.push_str("image config:\n");
    out.push_str(std::str::from_utf8(&converted.image_config).expect("utf-8"));
    out.push_str("\nllb:\n");
    out.push_str(&dfopt_llb::dump(def));
    out
}
