//! Pinned digests guard the encoding. Kept few on purpose: the readable dumps carry the
//! detail, these only catch a change in the bytes.

mod common;

use dfopt_llb::prelude::*;
use dfopt_llb::{digest, pb};
use prost::Message;

/// From BuildKit's own test data (`solver/llbsolver/testdata/gogoproto.data`, used by
/// `TestIngestDigest`): the digest of `Op{source: {identifier: busybox}}` as produced by
/// the Go (gogo) marshaller, and of the terminal op pointing at it.
const GO_BUSYBOX_SOURCE: &str =
    "sha256:74ecb5d790c33a213ba00f8f43d62947df1d4dea72f5ec13353a9b943f469f0f";
const GO_BUSYBOX_TERMINAL: &str =
    "sha256:fdd990931001ae92f1971673ff21204ef6a5ccc8c1a4dd133d8f0f9bff67a3c2";

#[test]
fn prost_encodes_like_buildkit_go() {
    let source = pb::Op {
        op: Some(pb::op::Op::Source(pb::SourceOp {
            identifier: "docker-image://docker.io/library/busybox:latest".to_owned(),
            attrs: Default::default(),
        })),
        ..pb::Op::default()
    };
    assert_eq!(digest(&source.encode_to_vec()), GO_BUSYBOX_SOURCE);
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest: GO_BUSYBOX_SOURCE.to_owned(),
            index: 0,
        }],
        ..pb::Op::default()
    };
    assert_eq!(digest(&terminal.encode_to_vec()), GO_BUSYBOX_TERMINAL);
}

#[test]
fn builder_image_op_is_buildkit_op_plus_empty_constraints() {
    let image = Image::new("busybox")
        .unwrap_or_else(|e| panic!("{e}"))
        .build();
    let def = common::marshal(&image, &CapSet::buildkit_v0_8());
    // Like the Go client, every non-terminal op carries `constraints: {}` (`5a 00`).
    let bare = pb::Op {
        op: Some(pb::op::Op::Source(pb::SourceOp {
            identifier: "docker-image://docker.io/library/busybox:latest".to_owned(),
            attrs: Default::default(),
        })),
        ..pb::Op::default()
    };
    let mut expected = bare.encode_to_vec();
    expected.extend([0x5a, 0x00]);
    assert_eq!(def.def.first(), Some(&expected));
}

fn def_digests(state: &State, caps: &CapSet) -> Vec<String> {
    common::marshal(state, caps)
        .def
        .iter()
        .map(|b| digest(b))
        .collect()
}

#[test]
fn pinned_builder_digests() {
    let caps = CapSet::buildkit_v0_8();
    let image = Image::new("busybox")
        .unwrap_or_else(|e| panic!("{e}"))
        .build();
    assert_eq!(
        def_digests(&image, &caps),
        [
            "sha256:a83289827d8f69b0cabd0910268ec9951c8736351efc2a27f26f0443d6593119",
            "sha256:94759f0160a4d018be74d594e49a2bc4448ef44f50463483277566e82f3df788",
        ]
    );
    let amd64 = Image::new("busybox")
        .unwrap_or_else(|e| panic!("{e}"))
        .platform(common::amd64())
        .build();
    assert_eq!(
        def_digests(&amd64, &caps).first().map(String::as_str),
        Some("sha256:08a03f3ffe5fba421a6403c31e153425ced631d108868f30e04985f99d69326e")
    );
    let dockerfile = common::dockerfile_graph().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        def_digests(&dockerfile, &caps).last().map(String::as_str),
        Some("sha256:df9463c9e10f89a4fe011ec3534cb9a8dbb089971024c95f3c1c2a562a24d4c4")
    );
}
