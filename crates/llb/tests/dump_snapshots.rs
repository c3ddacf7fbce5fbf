//! Snapshots of the readable dump, one per op kind and per mount kind.
//!
//! Every graph is also run through `validate`, so each snapshot shows a Definition the
//! daemon's loader accepts.

mod common;

use common::{amd64, busybox, context, marshal};
use dfopt_llb::prelude::*;
use dfopt_llb::{validate_caps, Mount};

fn dumped(state: &State) -> String {
    let caps = CapSet::buildkit_head();
    let def = marshal(state, &caps);
    if let Err(e) = validate_caps(&def, &caps) {
        panic!("{e}\n{}", dump(&def));
    }
    dump(&def)
}

fn run_with(mount: impl Into<Mount>) -> State {
    match busybox()
        .run(["/bin/sh", "-c", "true"])
        .mount(mount)
        .build()
    {
        Ok(exec) => exec.root(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn dockerfile_example() {
    let state = common::dockerfile_graph().unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn source_image() {
    let image = Image::new("localhost:5000/team/app:1.0")
        .and_then(|i| {
            i.pin_digest("sha256:4edbd2beb5f78b1014028f4fbb99f3237d9561100b6881aabbf5acce2c4f9454")
        })
        .unwrap_or_else(|e| panic!("{e}"))
        .resolve_mode(ResolveMode::ForcePull)
        .record_type("internal")
        .platform(Platform::new("linux", "arm64").with_variant("v8"))
        .custom_name("FROM app")
        .build();
    insta::assert_snapshot!(dumped(&image));
}

#[test]
fn source_local() {
    let local = Local::new("context")
        .unwrap_or_else(|e| panic!("{e}"))
        .session("sid-123")
        .include_patterns(["src/", "Cargo.*"])
        .exclude_patterns(["target", "*.md"])
        .follow_paths(["src/main.rs"])
        .shared_key_hint("context")
        .unique("u-1")
        .differ(Differ::Metadata)
        .build();
    insta::assert_snapshot!(dumped(&local));
}

#[test]
fn source_git() {
    let https = Git::new("https://github.com/moby/buildkit.git#v0.8.3:docs")
        .unwrap_or_else(|e| panic!("{e}"))
        .keep_git_dir(true)
        .build();
    let ssh = Git::new("git@github.com:moby/buildkit.git")
        .unwrap_or_else(|e| panic!("{e}"))
        .reference("main")
        .known_ssh_hosts("github.com ssh-ed25519 AAAA")
        .auth_token_secret("TOKEN")
        .build();
    let merged = Merge::new([https, ssh]).build();
    insta::assert_snapshot!(dumped(&merged));
}

#[test]
fn source_http() {
    let http = Http::new("https://example.com/tool.tar.gz")
        .unwrap_or_else(|e| panic!("{e}"))
        .checksum("sha256:6e4b94fc270e708e1068be28bd3551dc6917a4fc5a61293d51bb36e6b75c4b53")
        .filename("tool.tar.gz")
        .perm(0o755)
        .uid(1000)
        .gid(1000)
        .build();
    insta::assert_snapshot!(dumped(&http));
}

#[test]
fn exec_settings() {
    let state = busybox()
        .with_env("A", "1")
        .with_cwd("/work")
        .with_user("nobody")
        .with_hostname("builder")
        .with_extra_host("db", "10.0.0.2")
        .run(["sh", "-c", "env"])
        .env("B", "2")
        .proxy_env(ProxyEnv {
            http_proxy: "http://proxy:3128".to_owned(),
            no_proxy: "localhost".to_owned(),
            ..ProxyEnv::default()
        })
        .network(Network::Host)
        .security(Security::Insecure)
        .custom_name("RUN env")
        .description("com.docker.dockerfile.v1.command", "RUN env")
        .ignore_cache(true)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root();
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn mount_bind_readonly_with_selector() {
    insta::assert_snapshot!(dumped(&run_with(
        BindMount::new("/src", &context())
            .selector("/app")
            .readonly(true)
    )));
}

#[test]
fn mount_bind_writable_outputs() {
    let exec = busybox()
        .run(["sh", "-c", "cp -r /src /out"])
        .mount(BindMount::new("/out", &State::scratch()))
        .mount(BindMount::new("/rw", &context()).no_output(true))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = exec
        .mount("/out")
        .unwrap_or_else(|| panic!("no /out output"));
    let copied = exec
        .root()
        .file()
        .copy(FileCopy::new(&out, "/", "/result/"))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(dumped(&copied));
}

#[test]
fn mount_cache() {
    let state = busybox()
        .run(["go", "build"])
        .mount(CacheMount::new("/root/.cache/go-build", "gocache").sharing(CacheSharing::Locked))
        .mount(
            CacheMount::new("/var/cache/apt", "")
                .sharing(CacheSharing::Private)
                .owner(100, 101)
                .mode(0o700),
        )
        .mount(CacheMount::new("/seeded", "seeded").from(&context(), "/cache-seed"))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root();
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn mount_tmpfs() {
    let state = busybox()
        .run(["true"])
        .mount(TmpfsMount::new("/tmp"))
        .mount(TmpfsMount::new("/big").size(64 << 20))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root();
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn mount_secret() {
    let state = busybox()
        .run(["cat", "/run/secrets/npmrc"])
        .mount(SecretMount::new("npmrc"))
        .mount(
            SecretMount::new("aws")
                .target("/root/.aws/credentials")
                .uid(1000)
                .gid(1000)
                .mode(0o440)
                .optional(true),
        )
        .secret_env(SecretEnv {
            id: "token".to_owned(),
            name: "TOKEN".to_owned(),
            optional: false,
        })
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root();
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn mount_ssh() {
    let state = busybox()
        .run(["ssh-add", "-l"])
        .mount(SshMount::new())
        .mount(
            SshMount::new()
                .id("deploy")
                .target("/ssh/deploy.sock")
                .optional(true),
        )
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root();
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn file_actions_chained() {
    let other = Image::new("alpine")
        .unwrap_or_else(|e| panic!("{e}"))
        .build()
        .with_cwd("/etc");
    let state = busybox()
        .with_cwd("/app")
        .file()
        .mkdir(
            Mkdir::new("data/logs", 0o750)
                .parents(true)
                .owner(Chown::parse("app:app")),
        )
        .mkfile(
            Mkfile::new("config.txt", 0o644, "key=value\n")
                .owner(Chown::ids(1, 2))
                .timestamp(0),
        )
        .rm(Rm::new("/tmp/*").allow_not_found(true).allow_wildcard(true))
        .copy(FileCopy::new(&other, "hostname", "./").mode(0o600))
        .copy(
            FileCopy::new(&context(), "src/", "/app/src/.")
                .dockerfile_defaults()
                .owner(Chown::parse("1000:www")),
        )
        .custom_name("file chain")
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn file_copy_every_flag() {
    let users = busybox();
    let state = State::scratch()
        .file()
        .copy(
            FileCopy::new(&context(), "/a*.txt", "/dst/")
                .follow_symlinks(true)
                .contents_only(true)
                .attempt_unpack(true)
                .create_dest_path(true)
                .allow_wildcard(true)
                .allow_empty_wildcard(true)
                .always_replace_existing(true)
                .owner(Chown::parse("app:staff").resolve_names_from(&users))
                .mode_str("u+rwx,go-w")
                .timestamp(1_700_000_000_000_000_000)
                .include_patterns(["a1.txt", "a2.txt"])
                .exclude_patterns(["a3.txt"])
                .required_paths(["a1.txt"]),
        )
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn file_symlink() {
    let state = busybox()
        .file()
        .symlink(Symlink::new("/bin/busybox", "/usr/bin/vi"))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(dumped(&state));
}

#[test]
fn merge_and_diff() {
    let base = busybox();
    let layer = base
        .run(["touch", "/new"])
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .root();
    let changes = Diff::new(&base, &layer).custom_name("diff").build();
    let app = Image::new("alpine")
        .unwrap_or_else(|e| panic!("{e}"))
        .platform(amd64())
        .build();
    let merged = Merge::new([app, State::scratch(), changes])
        .custom_name("merge")
        .build();
    insta::assert_snapshot!(dumped(&merged));
}

#[test]
fn everything() {
    let state = common::everything_graph().unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(dumped(&state));
}

/// A Definition this crate did not build, shaped like BuildKit's own test data: a bare
/// source op without constraints, empty metadata entries, plus a dangling input, an
/// undecodable entry and metadata for an unknown digest.
#[test]
fn foreign_definition() {
    use dfopt_llb::{digest, dump_bytes, encode_definition, pb};
    use prost::Message;
    let source = pb::Op {
        op: Some(pb::op::Op::Source(pb::SourceOp {
            identifier: "docker-image://docker.io/library/busybox:latest".to_owned(),
            attrs: Default::default(),
        })),
        ..pb::Op::default()
    }
    .encode_to_vec();
    let dangling = pb::Op {
        inputs: vec![pb::Input {
            digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"
                .to_owned(),
            index: 3,
        }],
        op: Some(pb::op::Op::Exec(pb::ExecOp::default())),
        ..pb::Op::default()
    }
    .encode_to_vec();
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest: digest(&source),
            index: 0,
        }],
        ..pb::Op::default()
    }
    .encode_to_vec();
    let mut metadata = std::collections::BTreeMap::new();
    metadata.insert(digest(&source), pb::OpMetadata::default());
    metadata.insert(digest(&terminal), pb::OpMetadata::default());
    metadata.insert("sha256:feedface".to_owned(), pb::OpMetadata::default());
    let def = pb::Definition {
        def: vec![source, dangling, vec![0x0a, 0xff], terminal],
        metadata,
        source: None,
    };
    let text = dump_bytes(&encode_definition(&def)).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(text);
}
