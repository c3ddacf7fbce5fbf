//! Graphs shared by the integration tests.
#![allow(dead_code)]

use dfopt_llb::prelude::*;
use dfopt_llb::{pb, Error, Platform};

pub const DOCKERFILE: &str = "FROM busybox\nRUN echo hi > /x\nCOPY . /app\n";

pub fn amd64() -> Platform {
    Platform::new("linux", "amd64")
}

pub fn busybox() -> State {
    match Image::new("busybox") {
        Ok(image) => image.platform(amd64()).custom_name("FROM busybox").build(),
        Err(e) => panic!("busybox: {e}"),
    }
}

pub fn context() -> State {
    match Local::new("context") {
        Ok(local) => local
            .session("sid-123")
            .shared_key_hint("context")
            .exclude_patterns(["*.md", ".git"])
            .custom_name("load build context")
            .build(),
        Err(e) => panic!("context: {e}"),
    }
}

/// `FROM busybox; RUN echo hi > /x; COPY . /app`, with locations.
pub fn dockerfile_graph() -> Result<State, Error> {
    let src = SourceMap::dockerfile("Dockerfile", DOCKERFILE);
    let base = Image::new("busybox")?
        .platform(amd64())
        .custom_name("[1/3] FROM docker.io/library/busybox:latest")
        .location(src.location([Range::line(1)]))
        .build()
        .with_env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        );
    let ran = base
        .run(["/bin/sh", "-c", "echo hi > /x"])
        .custom_name("[2/3] RUN echo hi > /x")
        .location(src.location([Range::line(2)]))
        .build()?
        .root();
    ran.file()
        .copy(FileCopy::new(&context(), ".", "/app").dockerfile_defaults())
        .custom_name("[3/3] COPY . /app")
        .location(src.location([Range::line(3)]))
        .build()
}

/// A graph that touches every op kind and mount kind (for the HEAD cap set).
pub fn everything_graph() -> Result<State, Error> {
    let base = dockerfile_graph()?;
    let other = Image::new("alpine:3.18")?.platform(amd64()).build();
    let run = base
        .with_cwd("/app")
        .run(["make", "all"])
        .env("CC", "gcc")
        .network(Network::None)
        .mount(
            BindMount::new("src", &context())
                .selector("/src")
                .readonly(true),
        )
        .mount(BindMount::new("/out", &State::scratch()))
        .mount(
            CacheMount::new("/root/.cache", "go")
                .sharing(CacheSharing::Locked)
                .owner(1000, 1000),
        )
        .mount(TmpfsMount::new("/tmp").size(1 << 20))
        .mount(SecretMount::new("token"))
        .mount(SshMount::new())
        .custom_name("RUN make all")
        .build()?;
    let out = run.mount("/out").unwrap_or_default();
    let merged = Merge::new([run.root(), out.clone(), other.clone()])
        .custom_name("merge")
        .build();
    let diffed = Diff::new(&other, &merged).custom_name("diff").build();
    Ok(diffed)
}

pub fn marshal(state: &State, caps: &CapSet) -> pb::Definition {
    match state.marshal(caps) {
        Ok(def) => def,
        Err(e) => panic!("marshal: {e}"),
    }
}
