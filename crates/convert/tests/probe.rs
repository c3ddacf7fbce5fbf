//! A development tool, not a test: converts one Dockerfile and prints the LLB dump,
//! every op digest and the image config, for comparison with what Docker 20.10's own
//! frontend prints (`docker build --progress=plain` shows each vertex's digest).
//!
//! ```sh
//! PROBE_DOCKERFILE=path/to/Dockerfile PROBE_CONFIG=base-config.json \
//! PROBE_IMAGES='docker.io/x/y:1=y.json;…' \
//!   cargo test -p dfopt-convert --test probe -- --ignored --nocapture
//! ```
//!
//! Options come from `# test: …` lines of the Dockerfile (see `common::options_for`);
//! every image resolves to `PROBE_CONFIG` unless `PROBE_IMAGES` names it, unpinned.

mod common;

#[test]
#[ignore = "development tool; needs PROBE_DOCKERFILE and PROBE_CONFIG"]
fn probe() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("set {k}"));
    let source = std::fs::read_to_string(var("PROBE_DOCKERFILE")).expect("Dockerfile");
    let config = std::fs::read(var("PROBE_CONFIG")).expect("config");
    let extra: Vec<(String, Vec<u8>)> = std::env::var("PROBE_IMAGES")
        .unwrap_or_default()
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), std::fs::read(v).expect("image config")))
        .collect();
    let mut opts = common::options_for(&source);
    if let Ok(s) = std::env::var("PROBE_SESSION") {
        opts.session_id = s;
    }
    let requests = dfopt_convert::images_to_resolve(&source, &opts).expect("requests");
    let images = requests
        .iter()
        .map(|r| {
            let cfg = extra
                .iter()
                .find(|(k, _)| *k == r.reference)
                .map_or_else(|| config.clone(), |(_, v)| v.clone());
            (
                r.key.clone(),
                dfopt_convert::ResolvedImage {
                    digest: None,
                    config: cfg,
                },
            )
        })
        .collect();
    let c = dfopt_convert::convert(&source, &opts, &images).expect("conversion");
    println!("{}", dfopt_llb::dump(&c.definition));
    for (i, d) in c.definition.def.iter().enumerate() {
        println!("#{i} {}", dfopt_llb::digest(d));
    }
    println!("{}", String::from_utf8_lossy(&c.image_config));
}
