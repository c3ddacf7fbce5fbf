//! Capability sets: the shipped lists, and what a v0.8 daemon refuses or degrades.

mod common;

use dfopt_llb::caps::{self, ApiCap, CapId};
use dfopt_llb::prelude::*;
use dfopt_llb::{dump, pb, validate_caps, Mount};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn shipped_lists_load() {
    let v08 = CapSet::parse_list(&fixture("caps-v0.8.txt"));
    let head = CapSet::parse_list(&fixture("caps-head.txt"));
    assert_eq!(v08, CapSet::buildkit_v0_8());
    assert_eq!(head, CapSet::buildkit_head());
    assert_eq!(v08.len(), 42);
    assert_eq!(head.len(), 88);
    assert!(
        v08.iter().all(|c| head.supports_id(c)),
        "v0.8 must be a subset of HEAD"
    );
    assert!(
        v08.supports(caps::SOURCE_HTTP_UID_GID),
        "the misspelled id is the real one"
    );
    for cap in [
        caps::MERGE_OP,
        caps::DIFF_OP,
        caps::FILE_COPY_INCLUDE_EXCLUDE_PATTERNS,
        caps::EXEC_MOUNT_TMPFS_SIZE,
    ] {
        assert!(!v08.supports(cap) && head.supports(cap), "{cap}");
    }
    // BuildKit declares these but never registers them.
    assert!(!head.supports(caps::FILE_COPY_MODE_STRING));
    assert!(!head.supports_id("exec.meta.removemountstubs.recursive"));
}

#[test]
fn every_cap_constant_we_record_is_advertised_by_head() {
    let head = CapSet::buildkit_head();
    let recorded: &[CapId] = &[
        caps::SOURCE_IMAGE,
        caps::SOURCE_IMAGE_RESOLVE_MODE,
        caps::SOURCE_LOCAL,
        caps::SOURCE_LOCAL_UNIQUE,
        caps::SOURCE_LOCAL_SESSION_ID,
        caps::SOURCE_LOCAL_INCLUDE_PATTERNS,
        caps::SOURCE_LOCAL_FOLLOW_PATHS,
        caps::SOURCE_LOCAL_EXCLUDE_PATTERNS,
        caps::SOURCE_LOCAL_SHARED_KEY_HINT,
        caps::SOURCE_LOCAL_DIFFER,
        caps::SOURCE_GIT,
        caps::SOURCE_GIT_KEEP_DIR,
        caps::SOURCE_GIT_FULL_URL,
        caps::SOURCE_GIT_HTTP_AUTH,
        caps::SOURCE_GIT_KNOWN_SSH_HOSTS,
        caps::SOURCE_GIT_MOUNT_SSH_SOCK,
        caps::SOURCE_GIT_SUBDIR,
        caps::SOURCE_HTTP,
        caps::SOURCE_HTTP_CHECKSUM,
        caps::SOURCE_HTTP_PERM,
        caps::SOURCE_HTTP_UID_GID,
        caps::EXEC_META_BASE,
        caps::EXEC_META_PROXY,
        caps::EXEC_META_NETWORK,
        caps::EXEC_META_SECURITY,
        caps::EXEC_META_SETS_DEFAULT_PATH,
        caps::EXEC_META_ULIMIT,
        caps::EXEC_META_CGROUP_PARENT,
        caps::EXEC_MOUNT_BIND,
        caps::EXEC_MOUNT_BIND_READWRITE_NO_OUTPUT,
        caps::EXEC_MOUNT_CACHE,
        caps::EXEC_MOUNT_CACHE_SHARING,
        caps::EXEC_MOUNT_SELECTOR,
        caps::EXEC_MOUNT_TMPFS,
        caps::EXEC_MOUNT_TMPFS_SIZE,
        caps::EXEC_MOUNT_SECRET,
        caps::EXEC_MOUNT_SSH,
        caps::EXEC_SECRET_ENV,
        caps::EXEC_VALID_EXIT_CODE,
        caps::FILE_BASE,
        caps::FILE_RM_WILDCARD,
        caps::FILE_COPY_INCLUDE_EXCLUDE_PATTERNS,
        caps::FILE_COPY_REQUIRED_PATHS,
        caps::FILE_COPY_ALWAYS_REPLACE_EXISTING_DEST_PATHS,
        caps::FILE_SYMLINK_CREATE,
        caps::CONSTRAINTS,
        caps::PLATFORM,
        caps::META_IGNORE_CACHE,
        caps::META_DESCRIPTION,
        caps::META_EXPORT_CACHE,
        caps::MERGE_OP,
        caps::DIFF_OP,
    ];
    for cap in recorded {
        assert!(head.supports(*cap), "{cap} is not a real cap id");
    }
}

#[test]
fn from_ping_answer() {
    let cap = |id: &str, enabled| ApiCap {
        id: id.to_owned(),
        enabled,
        ..ApiCap::default()
    };
    let answer = vec![cap("source.image", true), cap("mergeop", false)];
    let caps = CapSet::from_api_caps(&answer);
    assert!(caps.supports(caps::SOURCE_IMAGE));
    assert!(!caps.supports(caps::MERGE_OP));
}

/// The cap named in the error, or a panic if marshalling succeeded.
fn refused(state: &State, caps: &CapSet) -> String {
    match state.marshal(caps) {
        Ok(def) => panic!("expected a refusal, got\n{}", dump(&def)),
        Err(Error::MissingCapability { cap, .. }) => cap,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn run_with(mount: impl Into<Mount>) -> State {
    common::busybox()
        .run(["true"])
        .mount(mount)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root()
}

fn copy(f: impl FnOnce(FileCopy) -> FileCopy) -> State {
    common::busybox()
        .file()
        .copy(f(FileCopy::new(&common::context(), "/", "/app")))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn v0_8_refuses_what_it_lacks() {
    let v08 = CapSet::buildkit_v0_8();
    let head = CapSet::buildkit_head();
    let ok = |r: Result<State, Error>| r.unwrap_or_else(|e| panic!("{e}"));
    let cases: Vec<(&str, State)> = vec![
        (
            "mergeop",
            Merge::new([common::busybox(), common::context()]).build(),
        ),
        (
            "diffop",
            Diff::new(&common::busybox(), &common::context()).build(),
        ),
        (
            "file.copy.includeexcludepatterns",
            copy(|c| c.include_patterns(["*.rs"])),
        ),
        (
            "file.copy.includeexcludepatterns",
            copy(|c| c.exclude_patterns(["*.md"])),
        ),
        ("file.copy.requiredpaths", copy(|c| c.required_paths(["a"]))),
        (
            "file.copy.alwaysreplaceexistingdestpaths",
            copy(|c| c.always_replace_existing(true)),
        ),
        (
            "file.copy.modestring` or `exec.validexitcode",
            copy(|c| c.mode_str("u+x")),
        ),
        (
            "exec.mount.tmpfs.size",
            run_with(TmpfsMount::new("/tmp").size(1024)),
        ),
        (
            "source.git.subdir",
            ok(Git::new("https://github.com/o/r.git#main:sub").map(Git::build)),
        ),
        (
            "exec.secretenv",
            ok(common::busybox()
                .run(["true"])
                .secret_env(SecretEnv {
                    id: "t".into(),
                    name: "T".into(),
                    optional: false,
                })
                .build()
                .map(|e| e.root())),
        ),
        (
            "exec.meta.ulimit",
            ok(common::busybox()
                .run(["true"])
                .ulimit(dfopt_llb::Ulimit {
                    name: "nofile".into(),
                    soft: 1,
                    hard: 2,
                })
                .build()
                .map(|e| e.root())),
        ),
        (
            "exec.meta.cgroup.parent",
            ok(common::busybox()
                .run(["true"])
                .cgroup_parent("x")
                .build()
                .map(|e| e.root())),
        ),
        (
            "file.symlink.create",
            ok(common::busybox()
                .file()
                .symlink(Symlink::new("/a", "/b"))
                .build()),
        ),
    ];
    for (cap, state) in cases {
        assert_eq!(refused(&state, &v08), cap);
        let def = state
            .marshal(&head)
            .unwrap_or_else(|e| panic!("head refused {cap}: {e}"));
        assert!(validate_caps(&def, &head).is_ok());
    }
}

#[test]
fn refusal_names_feature_and_op() {
    let merged = Merge::new([common::busybox(), common::context()])
        .custom_name("COPY --link . /")
        .build();
    let err = merged
        .marshal(&CapSet::buildkit_v0_8())
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("merge op needs the BuildKit capability `mergeop`, which the daemon does not advertise (op: `COPY --link . /`)")
    );
    // An empty set refuses even a plain image.
    assert_eq!(refused(&common::busybox(), &CapSet::new()), "source.image");
}

#[test]
fn v0_8_accepts_what_it_has() {
    let v08 = CapSet::buildkit_v0_8();
    let ok = |r: Result<State, Error>| r.unwrap_or_else(|e| panic!("{e}"));
    let states = vec![
        ok(common::dockerfile_graph()),
        ok(Local::new("context").map(|l| l.include_patterns(["src"]).follow_paths(["a"]).build())),
        run_with(
            CacheMount::new("/c", "c")
                .sharing(CacheSharing::Locked)
                .owner(1, 1),
        ),
        run_with(TmpfsMount::new("/tmp")),
        run_with(SecretMount::new("s")),
        run_with(SshMount::new()),
        run_with(BindMount::new("/rw", &common::context()).no_output(true)),
        ok(common::busybox()
            .run(["true"])
            .network(Network::None)
            .security(Security::Insecure)
            .proxy_env(ProxyEnv::default())
            .build()
            .map(|e| e.root())),
        ok(Git::new("git@github.com:o/r.git#v1").map(|g| g.keep_git_dir(true).build())),
        ok(Http::new("https://x/y").map(|h| h.checksum("sha256:00").perm(0o644).uid(1).build())),
        copy(|c| {
            c.dockerfile_defaults()
                .owner(Chown::parse("app:app"))
                .mode(0o755)
        }),
    ];
    for state in states {
        let def = common::marshal(&state, &v08);
        if let Err(e) = validate_caps(&def, &v08) {
            panic!("{e}\n{}", dump(&def));
        }
    }
}

fn exec_env(def: &pb::Definition) -> Vec<String> {
    use prost::Message;
    def.def
        .iter()
        .filter_map(|b| pb::Op::decode(b.as_slice()).ok())
        .find_map(|op| match op.op {
            Some(pb::op::Op::Exec(e)) => e.meta.map(|m| m.env),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn default_path_fallback_when_the_daemon_does_not_set_one() {
    let mut old = CapSet::buildkit_v0_8();
    old.remove(caps::EXEC_META_SETS_DEFAULT_PATH.as_str());
    let bare = common::busybox()
        .run(["true"])
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root();
    assert_eq!(
        exec_env(&common::marshal(&bare, &old)),
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    );
    assert!(exec_env(&common::marshal(&bare, &CapSet::buildkit_v0_8())).is_empty());
    let with_path = common::busybox()
        .with_env("PATH", "/bin")
        .run(["true"])
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root();
    assert_eq!(exec_env(&common::marshal(&with_path, &old)), ["PATH=/bin"]);
}

#[test]
fn local_differ_is_dropped_without_the_cap() {
    let local = Local::new("context")
        .unwrap_or_else(|e| panic!("{e}"))
        .differ(Differ::None)
        .build();
    let v08 = dump(&common::marshal(&local, &CapSet::buildkit_v0_8()));
    let head = dump(&common::marshal(&local, &CapSet::buildkit_head()));
    assert!(!v08.contains("local.differ"), "{v08}");
    assert!(head.contains("attr local.differ=none"), "{head}");
    assert!(head.contains("source.local.differ"), "{head}");
}

#[test]
fn caps_are_derived_from_use() {
    let state = run_with(CacheMount::new("/c", "id").sharing(CacheSharing::Private));
    let def = common::marshal(&state, &CapSet::buildkit_head());
    let text = dump(&def);
    assert!(
        text.contains("exec.mount.cache, exec.mount.cache.sharing"),
        "{text}"
    );
    let local = Local::new("context")
        .unwrap_or_else(|e| panic!("{e}"))
        .include_patterns(["a"])
        .build();
    let text = dump(&common::marshal(&local, &CapSet::buildkit_v0_8()));
    assert!(
        text.contains("caps: source.local, source.local.includepatterns\n"),
        "{text}"
    );
}
