//! The knobs that reproduce BuildKit's Go client v0.8 encoding (Docker 20.10's
//! built-in Dockerfile frontend), byte for byte.

mod common;

use dfopt_llb::prelude::*;
use dfopt_llb::{pb, validate};
use prost::Message;

fn exec_op(def: &pb::Definition, index: usize) -> pb::ExecOp {
    match pb::Op::decode(def.def[index].as_slice()).expect("op").op {
        Some(pb::op::Op::Exec(e)) => e,
        other => panic!("not an exec: {other:?}"),
    }
}

#[test]
fn dir_keeps_absolute_paths_verbatim() {
    let s = State::scratch().with_dir("/app/");
    assert_eq!(s.cwd(), "/app/");
    assert_eq!(s.with_dir("x/../y").cwd(), "/app/y");
    assert_eq!(State::scratch().with_dir("rel").cwd(), "/rel");
}

#[test]
fn go_v0_8_exec_encoding() {
    let base = common::busybox();
    let built = base
        .run(["true"])
        .go_v0_8_encoding(true)
        .verbatim_mount_targets(true)
        .mount(TmpfsMount::new("/t/"))
        .mount(SecretMount::new("s"))
        .mount(SshMount::new().id(""))
        .mount(CacheMount::new("/c", "/c").readonly(true))
        .build()
        .expect("exec")
        .root();
    let def = built.marshal(&CapSet::buildkit_v0_8()).expect("marshal");
    validate(&def).expect("valid");
    let exec = exec_op(&def, 1);
    let meta = exec.meta.expect("meta");
    assert!(!meta.remove_mount_stubs_recursive);
    let by_dest = |d: &str| exec.mounts.iter().find(|m| m.dest == d).expect(d).clone();
    let tmpfs = by_dest("/t/");
    assert!(tmpfs.tmpfs_opt.is_none());
    for dest in ["/run/secrets/s", "/run/buildkit/ssh_agent.0"] {
        let m = by_dest(dest);
        assert_eq!((m.input, m.output), (0, 0), "{dest}");
    }
    assert!(by_dest("/c").readonly);
}

#[test]
fn go_v0_8_secret_indices_need_an_input() {
    let built = State::scratch()
        .run(["true"])
        .go_v0_8_encoding(true)
        .mount(SecretMount::new("s"))
        .build()
        .expect("exec")
        .root();
    let def = built.marshal(&CapSet::buildkit_v0_8()).expect("marshal");
    validate(&def).expect("valid");
    let exec = exec_op(&def, 0);
    let secret = exec
        .mounts
        .iter()
        .find(|m| m.dest == "/run/secrets/s")
        .expect("secret");
    assert_eq!((secret.input, secret.output), (-1, -1));
}

#[test]
fn file_ops_may_carry_a_platform() {
    let st = common::busybox()
        .file()
        .platform(common::amd64())
        .mkdir(Mkdir::new("/x", 0o755))
        .build()
        .expect("file");
    let def = st.marshal(&CapSet::buildkit_v0_8()).expect("marshal");
    let op = pb::Op::decode(def.def[1].as_slice()).expect("op");
    assert_eq!(op.platform.expect("platform").architecture, "amd64");
}
