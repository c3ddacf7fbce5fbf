//! Remote build contexts (`context=<git or http URL>`), `contextsubdir`, `dockerfilekey`
//! and frontend inputs as context, with the real conversion against a fake daemon.

mod common;

use std::collections::BTreeMap;

use bollard_buildkit_proto::moby::buildkit::v1::frontend as gw;
use common::*;
use dfopt_frontend::Outcome;
use dfopt_llb::{Http, OpOptions};

const COPY_ALL: &str = "FROM alpine\nCOPY . /src\n";

fn files(entries: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
        .collect()
}

fn setup_with(kind: &str, entries: &[(&str, &[u8])]) -> DaemonSetup {
    let mut setup = DaemonSetup::empty().with_alpine();
    setup.graph_files.insert(kind.to_owned(), files(entries));
    setup
}

fn read_requests(daemon: &FakeDaemon) -> Vec<gw::ReadFileRequest> {
    daemon
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            Call::ReadFile(request) => Some(request),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn git_context_is_the_checkout_and_holds_the_dockerfile() {
    let setup = setup_with(
        "git://example.com/repo.git#v1",
        &[("Dockerfile", COPY_ALL.as_bytes())],
    );
    let (outcome, daemon) = run_dfopt(
        setup,
        &[
            "context=https://example.com/repo.git#v1",
            "build-arg:DFOPT=off",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    // No frontend inputs and no `.dockerignore` of a local context: the remote decides.
    assert!(!daemon.asked_for_inputs());
    let reads: Vec<String> = daemon.read_files();
    assert_eq!(reads, ["Dockerfile", "Dockerfile.dockerignore"]);
    let first = daemon.solves()[0].definition.clone().expect("definition");
    assert_eq!(
        source_identifiers(&first),
        ["git://example.com/repo.git#v1"]
    );

    let final_graph = daemon.final_definition();
    assert!(
        dfopt_llb::validate(&final_graph).is_ok(),
        "{:?}",
        dfopt_llb::validate(&final_graph)
    );
    let identifiers = source_identifiers(&final_graph);
    assert!(
        identifiers.contains(&"git://example.com/repo.git#v1".to_owned()),
        "{identifiers:?}"
    );
    assert!(
        !identifiers.iter().any(|i| i.starts_with("local://")),
        "{identifiers:?}"
    );
    let (git, name) = source_named(&final_graph, "git://example.com/repo.git#v1");
    assert_eq!(
        name,
        "[internal] load git source https://example.com/repo.git#v1"
    );
    assert_eq!(
        git.attrs.get("git.fullurl").map(String::as_str),
        Some("https://example.com/repo.git")
    );
    assert!(!git.attrs.contains_key("git.keepgitdir"));
    // COPY . /src reads the checkout.
    assert!(copies(&final_graph).iter().any(|c| c.dest == "/src"));
}

#[tokio::test]
async fn keep_git_dir_and_custom_filename() {
    let setup = setup_with(
        "git://example.com/repo.git",
        &[("build/Dockerfile.ci", COPY_ALL.as_bytes())],
    );
    let (outcome, daemon) = run_dfopt(
        setup,
        &[
            "context=git://example.com/repo.git",
            "filename=build/Dockerfile.ci",
            "build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR=1",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(
        daemon.read_files(),
        ["build/Dockerfile.ci", "build/Dockerfile.ci.dockerignore"]
    );
    let (git, _) = source_named(&daemon.final_definition(), "git://example.com/repo.git");
    assert_eq!(
        git.attrs.get("git.keepgitdir").map(String::as_str),
        Some("true")
    );
}

#[tokio::test]
async fn git_subdir_is_a_copy_on_a_v0_8_daemon() {
    let setup = setup_with(
        "copy:git://example.com/repo.git#main",
        &[("Dockerfile", COPY_ALL.as_bytes())],
    );
    let (outcome, daemon) = run_dfopt(
        setup,
        &["context=https://example.com/repo.git#main:app/web"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let final_graph = daemon.final_definition();
    assert!(
        source_identifiers(&final_graph).contains(&"git://example.com/repo.git#main".to_owned())
    );
    let scope = copies(&final_graph)
        .into_iter()
        .find(|c| c.src == "/app/web")
        .expect("the subdir copy");
    assert!(scope.dir_copy_contents);
    assert_eq!(scope.dest, "/");
}

#[tokio::test]
async fn git_subdir_uses_the_git_source_when_the_daemon_can() {
    let mut setup = setup_with(
        "git://example.com/repo.git#main:app",
        &[("Dockerfile", COPY_ALL.as_bytes())],
    );
    setup.llb_caps.push("source.git.subdir".to_owned());
    let (outcome, daemon) =
        run_dfopt(setup, &["context=https://example.com/repo.git#main:app"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let final_graph = daemon.final_definition();
    assert!(source_identifiers(&final_graph)
        .contains(&"git://example.com/repo.git#main:app".to_owned()));
    assert!(!copies(&final_graph).iter().any(|c| c.src == "/app"));
}

#[tokio::test]
async fn http_archive_is_unpacked_and_is_the_context() {
    let mut setup = setup_with(
        "https://example.com/ctx.tar.gz",
        &[("context", &[0x1f, 0x8b, 0x08, 0, 1, 2, 3])],
    );
    setup.graph_files.insert(
        "copy:https://example.com/ctx.tar.gz".into(),
        files(&[("Dockerfile", COPY_ALL.as_bytes())]),
    );
    let (outcome, daemon) = run_dfopt(setup, &["context=https://example.com/ctx.tar.gz"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let reads = read_requests(&daemon);
    // First the 1024-byte sniff of the download, then the Dockerfile in the unpacked tree.
    assert_eq!(reads[0].file_path, "context");
    assert_eq!(
        reads[0].range.map(|r| (r.offset, r.length)),
        Some((0, 1024))
    );
    assert_eq!(reads[1].file_path, "Dockerfile");
    let download = daemon.solves()[0].definition.clone().expect("definition");
    let (http, name) = source_named(&download, "https://example.com/ctx.tar.gz");
    assert_eq!(name, "[internal] load remote build context");
    assert_eq!(
        http.attrs.get("http.filename").map(String::as_str),
        Some("context")
    );

    let final_graph = daemon.final_definition();
    assert!(dfopt_llb::validate(&final_graph).is_ok());
    let unpack = copies(&final_graph)
        .into_iter()
        .find(|c| c.src == "/context")
        .expect("the unpack copy");
    assert!(unpack.attempt_unpack_docker_compatibility);
    assert!(!source_identifiers(&final_graph)
        .iter()
        .any(|i| i.starts_with("local://")));
}

#[tokio::test]
async fn http_dockerfile_is_read_as_context_and_is_the_context() {
    let dockerfile = "FROM alpine\nCOPY context /df\n";
    let setup = setup_with(
        "https://example.com/Dockerfile",
        &[("context", dockerfile.as_bytes())],
    );
    let (outcome, daemon) = run_dfopt(
        setup,
        &["context=https://example.com/Dockerfile", "filename=ignored"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    // `filename` is overridden: the Dockerfile is the download, named `context`.
    assert_eq!(
        daemon.read_files(),
        ["context", "context", "context.dockerignore"]
    );
    let final_graph = daemon.final_definition();
    let identifiers = source_identifiers(&final_graph);
    assert!(
        identifiers.contains(&"https://example.com/Dockerfile".to_owned()),
        "{identifiers:?}"
    );
    assert!(!copies(&final_graph)
        .iter()
        .any(|c| c.attempt_unpack_docker_compatibility));
    let infos = final_graph.source.expect("source map").infos;
    assert_eq!(infos[0].filename, "context");
}

#[tokio::test]
async fn errors_in_a_downloaded_dockerfile_name_it_context() {
    let setup = setup_with(
        "https://example.com/Dockerfile",
        &[("context", b"FROM alpine\nBOGUS x\n")],
    );
    let (outcome, _) = run_dfopt(setup, &["context=https://example.com/Dockerfile"]).await;
    let Outcome::Failed(error) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert!(
        error.message().starts_with("context:2: "),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn download_failure_is_reported() {
    // No files for the download at all.
    let (outcome, _) = run_dfopt(
        DaemonSetup::empty(),
        &["context=https://example.com/missing"],
    )
    .await;
    let Outcome::Failed(error) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert!(
        error
            .message()
            .starts_with("failed to read downloaded context: "),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn missing_dockerfile_in_a_repository() {
    let setup = setup_with("git://example.com/repo.git", &[("README", b"hi")]);
    let (outcome, _) = run_dfopt(setup, &["context=https://example.com/repo.git"]).await;
    let Outcome::Failed(error) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert_eq!(
        error.message(),
        "failed to read dockerfile: open Dockerfile: no such file or directory"
    );
}

#[tokio::test]
async fn contextsubdir_scopes_a_remote_context_but_not_the_dockerfile() {
    let setup = setup_with(
        "git://example.com/repo.git",
        &[("Dockerfile", COPY_ALL.as_bytes())],
    );
    let (outcome, daemon) = run_dfopt(
        setup,
        &["context=https://example.com/repo.git", "contextsubdir=web"],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    // The Dockerfile came from the repository root.
    assert_eq!(daemon.read_files()[0], "Dockerfile");
    let scope = copies(&daemon.final_definition())
        .into_iter()
        .find(|c| c.src == "/web")
        .expect("the contextsubdir copy");
    assert!(scope.dir_copy_contents);
}

#[tokio::test]
async fn contextsubdir_is_ignored_for_a_local_context() {
    let mut setup = DaemonSetup::with_dockerfile(COPY_ALL).with_alpine();
    setup
        .context_dir
        .insert(".dockerignore".into(), b"*.log\n".to_vec());
    let (outcome, daemon) = run_dfopt(setup, &["contextsubdir=web"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let final_graph = daemon.final_definition();
    assert!(source_identifiers(&final_graph).contains(&"local://context".to_owned()));
    assert!(!copies(&final_graph).iter().any(|c| c.src == "/web"));
    // The local context still gets its .dockerignore.
    let (context, _) = source_named(&final_graph, "local://context");
    assert_eq!(
        context
            .attrs
            .get("local.excludepatterns")
            .map(String::as_str),
        Some(r#"["*.log"]"#)
    );
}

#[tokio::test]
async fn dockerfilekey_keeps_the_dockerfile_local() {
    let mut setup = setup_with("git://example.com/repo.git", &[]);
    setup
        .dockerfile_dir
        .insert("Dockerfile".into(), COPY_ALL.as_bytes().to_vec());
    let (outcome, daemon) = run_dfopt(
        setup,
        &[
            "context=https://example.com/repo.git",
            "dockerfilekey=dockerfile",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let first = daemon.solves()[0].definition.clone().expect("definition");
    assert_eq!(source_identifiers(&first), ["local://dockerfile"]);
    assert!(source_identifiers(&daemon.final_definition())
        .contains(&"git://example.com/repo.git".to_owned()));
}

#[tokio::test]
async fn frontend_inputs_are_the_context_and_the_dockerfile() {
    let caps = dfopt_llb::CapSet::buildkit_v0_8();
    let input = |url: &str| {
        Http::new(url)
            .expect("url")
            .custom_name("input")
            .build()
            .marshal(&caps)
            .expect("marshal")
    };
    let mut setup = DaemonSetup::empty().with_alpine();
    setup
        .inputs
        .insert("context".into(), input("https://example.com/in-context"));
    setup.inputs.insert(
        "dockerfile".into(),
        input("https://example.com/in-dockerfile"),
    );
    setup.graph_files.insert(
        "https://example.com/in-dockerfile".into(),
        files(&[("Dockerfile", COPY_ALL.as_bytes())]),
    );
    let (outcome, daemon) = run_dfopt(setup, &["contextsubdir=sub"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert!(daemon.asked_for_inputs());
    let final_graph = daemon.final_definition();
    let identifiers = source_identifiers(&final_graph);
    assert!(
        identifiers.contains(&"https://example.com/in-context".to_owned()),
        "{identifiers:?}"
    );
    assert!(
        !identifiers.iter().any(|i| i.starts_with("local://")),
        "{identifiers:?}"
    );
    // contextsubdir applies to an input context.
    assert!(copies(&final_graph)
        .iter()
        .any(|c| c.src == "/sub" && c.dir_copy_contents));
}

#[tokio::test]
async fn git_query_strings_are_refused_clearly() {
    let (outcome, _) = run_dfopt(
        DaemonSetup::empty(),
        &["context=git://example.com/repo?ref=v1"],
    )
    .await;
    let Outcome::Failed(error) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert!(
        error.message().contains("query parameters in git URLs"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn convertllb_answers_with_the_remote_context_in_place() {
    let setup = setup_with(
        "git://example.com/repo.git#v1",
        &[("Dockerfile", COPY_ALL.as_bytes())],
    );
    let (outcome, daemon) = run_dfopt(
        setup,
        &[
            "context=https://example.com/repo.git#v1",
            "requestid=frontend.convertllb",
        ],
    )
    .await;
    assert_eq!(outcome, Outcome::Succeeded);
    let result = daemon.the_return().result.expect("a result");
    let json = String::from_utf8(result.metadata["result.json"].clone()).expect("utf8");
    assert!(json.contains("git://example.com/repo.git#v1"), "{json}");
    assert!(!json.contains("local://context"), "{json}");
}
