//! Passes that decide from the build context get its files through the gateway:
//! the frontend solves the context as the build reads it, answers the pipeline's
//! queries with `ReadFile`/`ReadDir`, and lowers with those facts.

mod common;

use common::*;
use dfopt_frontend::Outcome;

const NAIVE: &str =
    "FROM alpine\nWORKDIR /app\nCOPY . /app\nRUN pip install --no-cache-dir -r requirements.txt\n";

fn setup(context: &[(&str, &str)]) -> DaemonSetup {
    let mut setup = DaemonSetup::with_dockerfile(NAIVE).with_alpine();
    for (path, data) in context {
        setup
            .context_dir
            .insert((*path).to_owned(), data.as_bytes().to_vec());
    }
    setup
}

/// The step names of the last Definition solved.
fn step_names(daemon: &FakeDaemon) -> Vec<String> {
    let solves = daemon.solves();
    let definition = solves
        .iter()
        .rev()
        .find_map(|s| s.definition.clone())
        .expect("a solved Definition");
    let mut names: Vec<String> = definition
        .metadata
        .values()
        .filter_map(|m| m.description.get("llb.customname").cloned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn deps_first_reads_the_manifests_from_the_context() {
    let context = [
        ("requirements.txt", "flask==3.0.0\n"),
        ("app.py", "print('hi')\n"),
    ];
    let (outcome, daemon) = run_dfopt(setup(&context), &["build-arg:DFOPT=+deps-first"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let names = step_names(&daemon);
    assert!(
        names
            .iter()
            .any(|n| n.contains("COPY requirements.txt /app/ (dfopt: deps first)")),
        "{names:?}"
    );
    let calls = format!("{:?}", daemon.calls());
    assert!(
        calls.contains("ReadDir"),
        "the context root is listed: {calls}"
    );
    assert!(
        calls.contains("requirements.txt"),
        "the manifest is read: {calls}"
    );
}

#[tokio::test]
async fn a_context_that_refuses_keeps_the_order() {
    // An editable install reads the whole source: the install stays after COPY.
    let context = [("requirements.txt", "-e .\n"), ("setup.py", "")];
    let (outcome, daemon) = run_dfopt(setup(&context), &["build-arg:DFOPT=+deps-first"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let names = step_names(&daemon);
    assert!(!names.iter().any(|n| n.contains("deps first")), "{names:?}");
}

#[tokio::test]
async fn a_context_that_cannot_be_read_keeps_the_order() {
    // The build goes on as written; its own COPY reports a broken context.
    let context = [("requirements.txt", "flask==3.0.0\n")];
    let mut setup = setup(&context);
    setup.context_listing_fails = true;
    let (outcome, daemon) = run_dfopt(setup, &["build-arg:DFOPT=+deps-first"]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let names = step_names(&daemon);
    assert!(!names.iter().any(|n| n.contains("deps first")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("COPY . /app")), "{names:?}");
}

#[tokio::test]
async fn nothing_is_read_when_no_pass_asks() {
    let context = [("requirements.txt", "flask==3.0.0\n")];
    let (outcome, daemon) = run_dfopt(setup(&context), &[]).await;
    assert_eq!(outcome, Outcome::Succeeded);
    let calls = format!("{:?}", daemon.calls());
    assert!(!calls.contains("ReadDir"), "{calls}");
}
