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

/// The field numbers of the top-level fields of a protobuf message, in wire order.
fn top_level_fields(mut bytes: &[u8]) -> Vec<u64> {
    fn varint(bytes: &mut &[u8]) -> u64 {
        let mut value = 0;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = bytes.split_first().expect("truncated varint");
            *bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                break;
            }
        }
        value
    }
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let key = varint(&mut bytes);
        fields.push(key >> 3);
        match key & 7 {
            0 => {
                varint(&mut bytes);
            }
            2 => {
                let len = usize::try_from(varint(&mut bytes)).expect("length");
                bytes = &bytes[len..];
            }
            other => panic!("unexpected wire type {other}"),
        }
    }
    fields
}

/// BuildKit v0.18+ re-marshals every op with Go's deterministic encoding, which writes
/// the `op` oneof after `inputs`, `platform` and `constraints`; a daemon advertising
/// `exec.validexitcode` (v0.17+) gets that order, older ones field-number order. The
/// same op either way: only the order (and so the digest) differs.
#[test]
fn op_field_order_follows_the_daemon() {
    let graph = common::dockerfile_graph().unwrap_or_else(|e| panic!("{e}"));
    let old = common::marshal(&graph, &CapSet::buildkit_v0_8());
    let modern_caps = CapSet::buildkit_head();
    assert_eq!(
        dfopt_llb::OpFieldOrder::for_caps(&modern_caps),
        dfopt_llb::OpFieldOrder::OneofLast
    );
    let modern = common::marshal(&graph, &modern_caps);
    let ops = |def: &pb::Definition| -> Vec<pb::Op> {
        let last = def.def.len() - 1;
        def.def[..last]
            .iter()
            .map(|b| pb::Op::decode(b.as_slice()).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    };
    let (old_ops, modern_ops) = (ops(&old), ops(&modern));
    assert_eq!(old_ops.len(), modern_ops.len());
    for ((old_bytes, modern_bytes), (old_op, modern_op)) in old
        .def
        .iter()
        .zip(&modern.def)
        .zip(old_ops.iter().zip(&modern_ops))
    {
        let body = [2, 3, 4, 5, 6, 7];
        let old_fields = top_level_fields(old_bytes);
        let modern_fields = top_level_fields(modern_bytes);
        // Field-number order, oneof included.
        assert!(
            old_fields.windows(2).all(|w| w[0] <= w[1]),
            "{old_fields:?}"
        );
        // The oneof last, everything before it by number.
        let (last, rest) = modern_fields.split_last().expect("fields");
        assert!(body.contains(last), "{modern_fields:?}");
        assert!(rest.iter().all(|f| !body.contains(f)), "{modern_fields:?}");
        assert!(rest.windows(2).all(|w| w[0] <= w[1]), "{modern_fields:?}");
        // Same message; inputs differ only by the digests they name.
        let strip = |op: &pb::Op| pb::Op {
            inputs: Vec::new(),
            ..op.clone()
        };
        assert_eq!(strip(old_op), strip(modern_op));
        assert_eq!(old_op.inputs.len(), modern_op.inputs.len());
    }
}
