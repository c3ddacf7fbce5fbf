//! Builders reject malformed ops when they are built, with typed errors.

mod common;

use dfopt_llb::prelude::*;

#[test]
fn exec_errors() {
    let base = common::busybox();
    let empty: [&str; 0] = [];
    assert_eq!(base.run(empty).build().err(), Some(Error::EmptyArgs));
    let twice = base
        .with_cwd("/w")
        .run(["true"])
        .mount(TmpfsMount::new("/w/tmp"))
        .mount(CacheMount::new("tmp", "c"))
        .build();
    assert_eq!(
        twice.err(),
        Some(Error::DuplicateMountTarget("/w/tmp".to_owned()))
    );
    let secret_twice = base
        .run(["true"])
        .mount(SecretMount::new("a").target("/s"))
        .mount(SshMount::new().target("/s"))
        .build();
    assert_eq!(
        secret_twice.err(),
        Some(Error::DuplicateMountTarget("/s".to_owned()))
    );
    let on_root = base.run(["true"]).mount(TmpfsMount::new("/tmp/..")).build();
    assert_eq!(
        on_root.err(),
        Some(Error::InvalidMountTarget("/tmp/..".to_owned()))
    );
}

#[test]
fn file_errors() {
    assert_eq!(
        common::busybox().file().build().err(),
        Some(Error::NoFileActions)
    );
    let named_on_scratch = State::scratch()
        .file()
        .mkdir(Mkdir::new("/a", 0o755).owner(Chown::parse("app")))
        .build();
    assert_eq!(
        named_on_scratch.err(),
        Some(Error::NamedOwnerOnScratch("app".to_owned()))
    );
    let resolved_elsewhere = State::scratch()
        .file()
        .mkdir(
            Mkdir::new("/a", 0o755)
                .owner(Chown::parse("app").resolve_names_from(&common::busybox())),
        )
        .build();
    assert!(resolved_elsewhere.is_ok());
    let numeric_on_scratch = State::scratch()
        .file()
        .mkdir(Mkdir::new("/a", 0o755).owner(Chown::parse("1:root")))
        .build();
    assert!(numeric_on_scratch.is_ok());
}

#[test]
fn source_errors() {
    assert!(matches!(Image::new("Busybox"), Err(Error::Reference(_))));
    assert!(matches!(
        Image::new("busybox").and_then(|i| i.pin_digest("sha256:zz")),
        Err(Error::Reference(_))
    ));
    assert!(matches!(Local::new(""), Err(Error::InvalidSource(_))));
    assert!(matches!(
        Http::new("ftp://x/y"),
        Err(Error::InvalidSource(_))
    ));
    assert!(matches!(
        Http::new("https://"),
        Err(Error::InvalidSource(_))
    ));
    assert!(matches!(
        Git::new("ftp://example.com/r.git"),
        Err(Error::InvalidGitRemote { .. })
    ));
}

#[test]
fn scratch_marshals_to_an_empty_definition() {
    let def = State::scratch().marshal(&CapSet::buildkit_head());
    assert_eq!(def.map(|d| d.def.len()), Ok(0));
    // Merging or diffing only scratch needs no op (and no cap).
    let merged = Merge::new([State::scratch(), State::scratch()]).build();
    assert!(merged.is_scratch());
    let single = Merge::new([State::scratch(), common::busybox()]).build();
    assert_eq!(
        single
            .marshal(&CapSet::buildkit_v0_8())
            .map(|d| d.def.len()),
        Ok(2)
    );
    let diff = Diff::new(&State::scratch(), &common::busybox()).build();
    assert_eq!(
        diff.marshal(&CapSet::buildkit_v0_8()).map(|d| d.def.len()),
        Ok(2)
    );
}

#[test]
fn exec_outputs_are_addressable() {
    let exec = common::busybox()
        .run(["true"])
        .mount(BindMount::new("/b", &State::scratch()))
        .mount(BindMount::new("/a", &State::scratch()))
        .mount(BindMount::new("/c", &State::scratch()).readonly(true))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    // Sorted by target: / = 0, /a = 1, /b = 2; read-only /c has none.
    assert_eq!(exec.root().output().map(|o| o.index()), Some(0));
    assert_eq!(
        exec.mount("/a").and_then(|s| s.output().map(|o| o.index())),
        Some(1)
    );
    assert_eq!(
        exec.mount("/b").and_then(|s| s.output().map(|o| o.index())),
        Some(2)
    );
    assert!(exec.mount("/c").is_none());
    let readonly = common::busybox()
        .with_env("K", "V")
        .run(["true"])
        .readonly_root(true)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        readonly.root().output().map(|o| o.op_kind()),
        Some("source")
    );
    assert_eq!(readonly.root().get_env("K"), Some("V"));
}
