//! `dfopt explain`: code frames, reasons, pass ids, summary, JSON, exit codes.

mod common;

use common::{dfopt_in, dfopt_on, dir, OPTIMAL, UNOPTIMISED};

#[test]
fn rewrites_are_explained_with_frames_and_pass_ids() {
    let run = dfopt_on(
        UNOPTIMISED,
        &["explain", "--platform", "linux/amd64", "Dockerfile"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = run.out();
    assert!(
        out.contains("rewrite[merge-runs]: Merged 3 consecutive RUN instructions into one"),
        "{out}"
    );
    assert!(
        out.contains("rewrite[cache-mounts]: Added apt cache mount"),
        "{out}"
    );
    assert!(
        out.contains("rewrite[cache-mounts]: Added pip cache mount"),
        "{out}"
    );
    // The frame: location, numbered source lines, underlines.
    assert!(out.contains(" --> Dockerfile:3:1\n"), "{out}");
    assert!(
        out.contains("3 | RUN apt-get update\n  | ^^^^^^^^^^^^^^^^^^\n"),
        "{out}"
    );
    assert!(
        out.contains("4 | RUN apt-get install -y --no-install-recommends curl\n"),
        "{out}"
    );
    assert!(out.contains("5 | RUN mkdir /app\n"), "{out}");
    assert!(
        out.contains("7 | RUN pip install -r /app/requirements.txt\n"),
        "{out}"
    );
    assert!(
        out.contains("= reason: Each part runs in its own subshell"),
        "{out}"
    );
    assert!(out.contains("RUNs merged:           3 into 1"), "{out}");
    assert!(out.contains("layers (RUN/COPY/ADD): 5 -> 3"), "{out}");
    insta::assert_snapshot!("explain_unoptimised", out);
}

#[test]
fn already_optimal_exits_0() {
    let run = dfopt_on(OPTIMAL, &["explain", "Dockerfile"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("explain_optimal", run.out());
    let json = dfopt_on(OPTIMAL, &["explain", "--format", "json", "Dockerfile"]).json();
    assert_eq!(json["changes"], serde_json::json!([]));
    assert_eq!(json["summary"]["rewrites"], 0);
}

#[test]
fn json_output() {
    let run = dfopt_on(
        UNOPTIMISED,
        &[
            "explain",
            "--platform",
            "linux/amd64",
            "--format",
            "json",
            "Dockerfile",
        ],
    );
    assert_eq!(run.code, 1);
    let json = run.json();
    assert_eq!(json["file"], "Dockerfile");
    assert_eq!(
        json["passes"],
        serde_json::json!(["merge-runs", "cache-mounts", "prune-stages"])
    );
    let changes = json["changes"].as_array().expect("changes");
    let merge = changes
        .iter()
        .find(|c| c["pass"] == "merge-runs")
        .expect("merge-runs change");
    assert_eq!(merge["kind"], "rewrite");
    assert_eq!(
        merge["title"],
        "Merged 3 consecutive RUN instructions into one"
    );
    assert!(merge["reason"].as_str().is_some_and(|r| !r.is_empty()));
    let ranges = merge["ranges"].as_array().expect("ranges");
    assert_eq!(ranges.len(), 3);
    let first = &ranges[0];
    assert_eq!(
        (first["start_line"].as_u64(), first["end_line"].as_u64()),
        (Some(3), Some(3))
    );
    let (start, end) = (
        first["start_byte"].as_u64().unwrap() as usize,
        first["end_byte"].as_u64().unwrap() as usize,
    );
    assert_eq!(&UNOPTIMISED[start..end], "RUN apt-get update");
    assert!(changes
        .iter()
        .any(|c| c["pass"] == "cache-mounts" && c["kind"] == "rewrite"));
    // Reports have kind "report".
    assert!(changes
        .iter()
        .all(|c| c["kind"] == "rewrite" || c["kind"] == "report"));
    let summary = &json["summary"];
    assert_eq!(summary["runs_merged"], 3);
    assert_eq!(summary["merged_into"], 1);
    assert_eq!(summary["layers_before"], 5);
    assert_eq!(summary["layers_after"], 3);
    assert_eq!(summary["cache_tools"], serde_json::json!(["apt", "pip"]));
    assert!(summary["cache_mounts_added"].as_u64().unwrap() >= 2);
}

#[test]
fn dfopt_off_reports_nothing() {
    for args in [
        &["explain", "--build-arg", "DFOPT=off", "Dockerfile"][..],
        &[
            "explain",
            "--build-arg=DFOPT=off",
            "--format=json",
            "Dockerfile",
        ],
    ] {
        let run = dfopt_on(UNOPTIMISED, args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        if args.contains(&"--format=json") {
            let json = run.json();
            assert_eq!(json["changes"], serde_json::json!([]));
            assert_eq!(json["passes"], serde_json::json!([]));
        } else {
            assert_eq!(
                run.out(),
                "No changes: every pass is disabled (DFOPT=off or `# dfopt=off`).\n"
            );
        }
    }
    // The `# dfopt=` comment too; the build-arg wins over it.
    let with_comment = format!("# dfopt=off\n{UNOPTIMISED}");
    assert_eq!(dfopt_on(&with_comment, &["explain", "Dockerfile"]).code, 0);
    assert_eq!(
        dfopt_on(
            &with_comment,
            &["explain", "--build-arg", "DFOPT=on", "Dockerfile"]
        )
        .code,
        1
    );
}

#[test]
fn pass_selection() {
    let json = dfopt_on(
        UNOPTIMISED,
        &[
            "explain",
            "--build-arg",
            "DFOPT=-merge-runs",
            "--format",
            "json",
            "Dockerfile",
        ],
    )
    .json();
    let passes: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pass"].as_str().unwrap())
        .collect();
    assert!(
        !passes.contains(&"merge-runs") && passes.contains(&"cache-mounts"),
        "{passes:?}"
    );
    let json = dfopt_on(
        UNOPTIMISED,
        &[
            "explain",
            "--build-arg",
            "DFOPT=off,+merge-runs",
            "--format",
            "json",
            "Dockerfile",
        ],
    )
    .json();
    assert!(json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["pass"] == "merge-runs"));
}

#[test]
fn target_and_pruned_stages() {
    let dockerfile = "FROM alpine AS docs\nRUN echo docs > /docs\n\nFROM alpine AS app\nCOPY app /app\n\nFROM app AS test\nRUN echo test\n";
    let run = dfopt_on(dockerfile, &["explain", "--target", "app", "Dockerfile"]);
    assert_eq!(
        run.code, 0,
        "reports alone are not rewrites: {}",
        run.stderr
    );
    let out = run.out();
    assert!(
        out.contains("note[prune-stages]: Stage `docs` is not needed to build `app`"),
        "{out}"
    );
    assert!(
        out.contains("note[prune-stages]: Stage `test` is not needed to build `app`"),
        "{out}"
    );
    assert!(out.contains("stages pruned:         2"), "{out}");
    insta::assert_snapshot!("explain_target", out);
    let json = dfopt_on(
        dockerfile,
        &[
            "explain",
            "--target",
            "app",
            "--format",
            "json",
            "Dockerfile",
        ],
    )
    .json();
    assert_eq!(json["summary"]["stages_pruned"], 2);
    assert_eq!(json["changes"][0]["kind"], "report");
}

#[test]
fn stdin_is_named_dash() {
    let d = dir(&[]);
    let run = dfopt_in(d.path(), &["explain", "-"], Some(UNOPTIMISED.as_bytes()));
    assert_eq!(run.code, 1);
    assert!(run.out().contains(" --> -:3:1\n"), "{}", run.out());
}

#[test]
fn json_lists_the_added_cache_mounts_with_their_ids() {
    let dockerfile = "FROM python:3.12\nRUN pip install flask\nRUN --mount=type=cache,id=mine,target=/root/.npm npm install -g serve\n";
    let run = dfopt_on(
        dockerfile,
        &[
            "explain",
            "--format",
            "json",
            "--platform",
            "linux/arm64",
            "Dockerfile",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let mounts = json["cache_mounts"].as_array().expect("cache_mounts");
    let pip: Vec<&serde_json::Value> = mounts
        .iter()
        .filter(|m| m["target"] == "/root/.cache/pip")
        .collect();
    assert_eq!(pip.len(), 1, "{mounts:?}");
    let id = pip[0]["id"].as_str().expect("id");
    // The id names the platform and the base image, as the optimizer chose them.
    assert!(id.starts_with("dfopt-pip-"), "{id}");
    assert!(
        id.contains("linux/arm64") && id.contains("python:3.12"),
        "{id}"
    );
    assert_eq!(pip[0]["ranges"][0]["start_line"], 2);
    // A mount the Dockerfile already had is not listed.
    assert!(mounts.iter().all(|m| m["id"] != "mine"), "{mounts:?}");
    // Nothing added, nothing listed.
    let run = dfopt_on(
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n",
        &["explain", "--format", "json", "Dockerfile"],
    );
    assert_eq!(run.json()["cache_mounts"], serde_json::json!([]));
}
