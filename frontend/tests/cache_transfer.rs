//! Cache transfer against a fake daemon, with the real conversion: the graphs the
//! frontend sends to seed and export the build's cache mounts, and above all that
//! the build's own Definition is byte for byte the same with and without a seed.

mod common;

use std::collections::BTreeMap;

use bollard_buildkit_proto::pb;
use common::*;
use dfopt_frontend::cache_transfer::index::{Entry, Index};
use dfopt_frontend::cache_transfer::mounts;
use dfopt_frontend::Outcome;
use prost::Message;

/// apt (dfopt's cache mounts), a go RUN with the Dockerfile's own private cache and a
/// secret, and a cache with an owner (a base made by a file op).
const DOCKERFILE: &str = "FROM alpine:3.18
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,id=gomod,target=/go/pkg/mod,sharing=private --mount=type=secret,id=token go mod download
USER 1000
RUN --mount=type=cache,target=/home/u/.cache/x,uid=1000,gid=1000,mode=0700 true
";

const SOURCE: &str = "source=ourorg/optimizer:test";
const SEED: &str = "context:dfopt-cache=local:dfopt-cache";
const TOOL_IMAGE: &str = "docker-image://docker.io/ourorg/optimizer:test";

fn setup() -> DaemonSetup {
    let mut setup = DaemonSetup::with_dockerfile(DOCKERFILE).with_alpine();
    setup.gateway_caps.push("gateway.warnings".to_owned());
    setup
}

/// The build's cache mounts, read from a build without a seed.
fn build_caches() -> (pb::Definition, Vec<mounts::CacheUse>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (outcome, daemon) = runtime.block_on(run_dfopt(setup(), &[SOURCE]));
    assert_eq!(outcome, Outcome::Succeeded);
    let definition = daemon.final_definition();
    let uses = mounts::collect(&[&definition]).expect("collect");
    (definition, uses)
}

/// An index that has every cache of the build.
fn index_for(uses: &[mounts::CacheUse]) -> Vec<u8> {
    let caches = uses
        .iter()
        .map(|cache| Entry {
            key: cache.key.clone(),
            dir: cache.key.dir_name(),
            target: cache.target.clone(),
            sharing: cache.sharing_name().to_owned(),
            uid: 0,
            gid: 0,
            mode: "0755".into(),
            size: 1024,
            files: 1,
            sha256: "a".repeat(64),
            skipped: None,
        })
        .collect();
    Index {
        caches,
        ..Index::default()
    }
    .to_json()
}

fn exec_ops(definition: &pb::Definition) -> Vec<(String, pb::ExecOp)> {
    definition
        .def
        .iter()
        .filter_map(|bytes| {
            let op = pb::Op::decode(bytes.as_slice()).ok()?;
            match op.op {
                Some(pb::op::Op::Exec(exec)) => Some((dfopt_llb::digest(bytes), exec)),
                _ => None,
            }
        })
        .collect()
}

/// The warnings about cache transfer (dfopt's rewrites warn too).
fn cache_warnings(daemon: &FakeDaemon) -> Vec<String> {
    daemon
        .warnings()
        .iter()
        .map(|w| String::from_utf8_lossy(&w.short).into_owned())
        .filter(|short| short.starts_with("dfopt cache:"))
        .collect()
}

fn name_of(definition: &pb::Definition, digest: &str) -> String {
    definition.metadata[digest].description["llb.customname"].clone()
}

fn seed_setup(files: BTreeMap<String, Vec<u8>>) -> DaemonSetup {
    let mut setup = setup();
    setup.graph_files.insert("dfopt-cache".to_owned(), files);
    setup
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seed_leaves_the_build_graph_byte_identical() {
    let (without, uses) = tokio::task::spawn_blocking(build_caches)
        .await
        .expect("join");
    let ids: Vec<&str> = uses.iter().map(|u| u.key.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        5,
        "apt archives and lists, gomod, dfopt's go modules and the owned cache: {ids:?}"
    );

    let mut files = BTreeMap::new();
    files.insert("index.json".to_owned(), index_for(&uses));
    files.insert(
        "report.json".to_owned(),
        br#"{"status":"seeded","message":"seeded 1.0 kB","bytes":1024,"files":1}"#.to_vec(),
    );
    let (outcome, daemon) = run_dfopt(seed_setup(files), &[SOURCE, SEED]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let with = daemon.final_definition();
    assert_eq!(
        with.encode_to_vec(),
        without.encode_to_vec(),
        "the seed must change nothing in the build's Definition"
    );

    // Before the build's solve: one seed exec per cache, each on the tool image,
    // each with exactly its cache, the seed's directory for it and a report.
    let solves = daemon.solves();
    let seeds: Vec<pb::Definition> = solves[..solves.len() - 1]
        .iter()
        .filter_map(|s| s.definition.clone())
        .filter(|d| !exec_ops(d).is_empty())
        .collect();
    assert_eq!(seeds.len(), 5);
    let build_ops: Vec<Vec<u8>> = without.def.clone();
    for seed in &seeds {
        assert!(
            dfopt_llb::validate(seed).is_ok(),
            "{:?}",
            dfopt_llb::validate(seed)
        );
        assert!(source_identifiers(seed).contains(&TOOL_IMAGE.to_owned()));
        let execs = exec_ops(seed);
        assert_eq!(execs.len(), 1, "only the tool's exec, no step of the build");
        let (digest, exec) = &execs[0];
        assert!(name_of(seed, digest).starts_with("[dfopt cache] seed "));
        let meta = &seed.metadata[digest];
        assert!(!meta.ignore_cache, "ignore_cache empties cache mounts");
        assert_eq!(meta.export_cache, Some(pb::ExportCache { value: false }));
        assert_eq!(exec.network, pb::NetMode::None as i32);
        let caches: Vec<&pb::Mount> = exec
            .mounts
            .iter()
            .filter(|m| m.mount_type == pb::MountType::Cache as i32)
            .collect();
        assert_eq!(caches.len(), 1);
        assert!(
            exec.mounts
                .iter()
                .all(|m| m.mount_type == pb::MountType::Cache as i32
                    || m.mount_type == pb::MountType::Bind as i32),
            "never a secret or ssh mount"
        );
        let cache = caches[0];
        let id = &cache.cache_opt.as_ref().expect("cache opt").id;
        let used = uses
            .iter()
            .find(|u| &u.key.id == id)
            .expect("a cache of the build");
        assert_eq!(
            cache.cache_opt.as_ref().map(|c| c.sharing),
            Some(used.sharing as i32)
        );
        let seed_mount = exec
            .mounts
            .iter()
            .find(|m| m.dest == "/dfopt-cache/seed")
            .expect("the seed");
        assert_eq!(seed_mount.selector, format!("/{}", used.key.dir_name()));
        assert!(seed_mount.readonly);
        // A cache with an owner grows from the build's own mkdir op, unchanged.
        if let Some(base) = &used.key.base {
            assert!(seed.def.iter().any(|b| dfopt_llb::digest(b) == base.digest));
            assert!(build_ops
                .iter()
                .any(|b| dfopt_llb::digest(b) == base.digest));
            assert_eq!(cache.selector, "/cache");
        }
    }
    let names: Vec<String> = seeds
        .iter()
        .map(|s| {
            let (digest, _) = &exec_ops(s)[0];
            name_of(s, digest)
        })
        .collect();
    assert!(
        names.contains(&"[dfopt cache] seed apt-cache (/var/cache/apt)".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"[dfopt cache] seed gomod (/go/pkg/mod)".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"[dfopt cache] seed /home/u/.cache/x".to_owned()),
        "{names:?}"
    );
    assert!(
        cache_warnings(&daemon).is_empty(),
        "{:?}",
        cache_warnings(&daemon)
    );
}

#[tokio::test]
async fn a_missing_index_is_no_seed_and_no_error() {
    let (outcome, daemon) = run_dfopt(seed_setup(BTreeMap::new()), &[SOURCE, SEED]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(cache_warnings(&daemon).is_empty());
    let execs: usize = daemon
        .solves()
        .iter()
        .filter_map(|s| s.definition.as_ref())
        .filter(|d| source_identifiers(d).contains(&TOOL_IMAGE.to_owned()))
        .count();
    assert_eq!(execs, 0, "nothing to seed");
}

#[tokio::test]
async fn a_corrupt_index_is_a_warning_and_the_build_goes_on() {
    let mut files = BTreeMap::new();
    files.insert("index.json".to_owned(), b"{\"format\":".to_vec());
    let (outcome, daemon) = run_dfopt(seed_setup(files), &[SOURCE, SEED]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let warnings = cache_warnings(&daemon);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("index.json is corrupt"),
        "{warnings:?}"
    );
    assert!(
        warnings[0].contains("building without the seed"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn explicit_seed_without_the_context_names_what_is_missing() {
    let (outcome, _) = run_dfopt(setup(), &[SOURCE, "build-arg:DFOPT_CACHE=seed"]).await;
    let Outcome::Failed(error) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert!(
        error.message().contains("--build-context dfopt-cache=DIR"),
        "{}",
        error.message()
    );
    assert!(
        error.message().contains("Docker 20.10"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn export_chains_one_exec_per_cache_and_returns_it() {
    let mut setup = setup();
    let index = br#"{"format":"dfopt-cache/v1","caches":[]}"#.to_vec();
    for kind in [TOOL_IMAGE.to_owned(), format!("copy:{TOOL_IMAGE}")] {
        setup.graph_files.insert(
            kind,
            [("index.json".to_owned(), index.clone())]
                .into_iter()
                .collect(),
        );
    }
    let (outcome, daemon) =
        run_dfopt(setup, &[SOURCE, "build-arg:DFOPT_CACHE=export,max-size=1g"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let solves = daemon.solves();
    let export = solves
        .last()
        .and_then(|s| s.definition.clone())
        .expect("export");
    assert!(
        dfopt_llb::validate(&export).is_ok(),
        "{:?}",
        dfopt_llb::validate(&export)
    );
    let execs = exec_ops(&export);
    assert_eq!(
        execs.len(),
        5,
        "one exec per cache and no step of the build"
    );
    // Chained: each exec's output mount starts from the one before.
    let mut previous: Option<String> = None;
    for bytes in &export.def {
        let op = pb::Op::decode(bytes.as_slice()).expect("op");
        let Some(pb::op::Op::Exec(exec)) = &op.op else {
            continue;
        };
        let out = exec
            .mounts
            .iter()
            .find(|m| m.dest == "/dfopt-cache/out")
            .expect("out");
        assert_eq!(out.output, 0);
        match &previous {
            None => assert_eq!(out.input, -1),
            Some(digest) => {
                let input = &op.inputs[usize::try_from(out.input).expect("an input")];
                assert_eq!(&input.digest, digest);
            }
        }
        let cache = exec
            .mounts
            .iter()
            .find(|m| m.mount_type == pb::MountType::Cache as i32)
            .expect("cache");
        assert!(cache.readonly, "an export never changes a cache");
        let args = &exec.meta.as_ref().expect("meta").args;
        assert_eq!(&args[1..3], ["cache-tool", "export"]);
        assert!(args[3].contains("\"max_size\":1073741824"), "{}", args[3]);
        previous = Some(dfopt_llb::digest(bytes));
    }
    // The result is the export, not an image: no config.
    let returned = daemon.the_return().result.expect("result");
    assert!(returned.metadata.is_empty());
}
