//! Protobuf wire encoding written straight from the op types.
//!
//! Ops are encoded once per marshal and only their bytes (and digest) survive, so
//! building a `pb::Op` first — cloning every argument, env entry and path into it — and
//! dropping it right after was most of the marshalling cost. [`Wire`] writes the same
//! bytes prost writes for the equivalent `pb` message, without the copies:
//!
//! * fields in tag order (prost sorts fields by tag, as Go's encoder does);
//! * proto3 scalars and strings are omitted when zero or empty; elements of repeated
//!   fields are always written, empty or not;
//! * a present sub-message is written even when empty (`constraints: {}` is `5a 00`);
//! * negative `int32`/`int64` are ten-byte varints (sign-extended), as in prost and Go;
//! * map entries skip a key or value equal to its default, as prost's map encoding does.
//!
//! `tests::matches_prost` checks every writer against prost on the same values.

/// A protobuf message under construction.
#[derive(Default)]
pub(crate) struct Wire {
    buf: Vec<u8>,
}

const VARINT: u32 = 0;
const LEN: u32 = 2;

impl Wire {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
        }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    #[inline]
    fn key(&mut self, tag: u32, wire_type: u32) {
        self.varint(u64::from(tag << 3 | wire_type));
    }

    /// Keys, lengths and small ints are almost always one byte: that case is a single
    /// push, inlined; only larger values go through the general loop.
    #[inline]
    fn varint(&mut self, value: u64) {
        if value < 0x80 {
            self.buf.push(value as u8);
        } else {
            self.long_varint(value);
        }
    }

    fn long_varint(&mut self, value: u64) {
        let (bytes, n) = varint_bytes(value);
        self.buf.extend_from_slice(&bytes[..n]);
    }

    /// A `string` field; omitted when empty.
    pub(crate) fn string(&mut self, tag: u32, value: &str) {
        if !value.is_empty() {
            self.repeated_string(tag, value);
        }
    }

    /// One element of a `repeated string` field (written even when empty).
    pub(crate) fn repeated_string(&mut self, tag: u32, value: &str) {
        self.repeated_bytes(tag, value.as_bytes());
    }

    /// One `repeated string` element made of several pieces (`key=value` env entries)
    /// without joining them first.
    pub(crate) fn repeated_string_parts(&mut self, tag: u32, parts: &[&str]) {
        self.key(tag, LEN);
        self.varint(parts.iter().map(|p| p.len() as u64).sum());
        for part in parts {
            self.buf.extend_from_slice(part.as_bytes());
        }
    }

    /// A `bytes` field; omitted when empty.
    pub(crate) fn bytes(&mut self, tag: u32, value: &[u8]) {
        if !value.is_empty() {
            self.repeated_bytes(tag, value);
        }
    }

    fn repeated_bytes(&mut self, tag: u32, value: &[u8]) {
        self.key(tag, LEN);
        self.varint(value.len() as u64);
        self.buf.extend_from_slice(value);
    }

    /// An `int64` (or enum, or sign-extended `int32`) field; omitted when zero.
    pub(crate) fn int64(&mut self, tag: u32, value: i64) {
        if value != 0 {
            self.key(tag, VARINT);
            // Two's complement, as the protobuf encoding of negative ints requires.
            self.varint(value as u64);
        }
    }

    /// An `int32` or enum field; omitted when zero.
    pub(crate) fn int32(&mut self, tag: u32, value: i32) {
        self.int64(tag, i64::from(value));
    }

    /// A `uint32` field; omitted when zero.
    pub(crate) fn uint32(&mut self, tag: u32, value: u32) {
        if value != 0 {
            self.key(tag, VARINT);
            self.varint(u64::from(value));
        }
    }

    /// A `uint32` member of a oneof: present, so written even when zero.
    pub(crate) fn oneof_uint32(&mut self, tag: u32, value: u32) {
        self.key(tag, VARINT);
        self.varint(u64::from(value));
    }

    /// A `bool` field; omitted when false.
    pub(crate) fn bool(&mut self, tag: u32, value: bool) {
        if value {
            self.key(tag, VARINT);
            self.buf.push(1);
        }
    }

    /// A present sub-message (or one element of a repeated one), written by `body`.
    ///
    /// The length is only known afterwards: one byte is reserved for it, which is
    /// enough for bodies under 128 bytes; longer bodies are moved up to make room.
    pub(crate) fn message(&mut self, tag: u32, body: impl FnOnce(&mut Self)) {
        self.key(tag, LEN);
        let start = self.buf.len();
        self.buf.push(0);
        body(self);
        let len = self.buf.len() - start - 1;
        if len < 0x80 {
            self.buf[start] = len as u8;
            return;
        }
        // The length's varint, built on the stack (at most 10 bytes for a u64).
        let (bytes, n) = varint_bytes(len as u64);
        let prefix = &bytes[..n];
        self.buf.resize(self.buf.len() + n - 1, 0);
        self.buf.copy_within(start + 1..start + 1 + len, start + n);
        self.buf[start..start + n].copy_from_slice(prefix);
    }

    /// One entry of a `map<string, string>` field.
    pub(crate) fn map_entry(&mut self, tag: u32, key: &str, value: &str) {
        self.message(tag, |w| {
            w.string(1, key);
            w.string(2, value);
        });
    }
}

/// `value` as a protobuf varint: the bytes and how many of them are used.
fn varint_bytes(mut value: u64) -> ([u8; 10], usize) {
    let mut bytes = [0u8; 10];
    let mut n = 0;
    while value >= 0x80 {
        // Low seven bits plus the continuation bit; the cast keeps exactly those.
        bytes[n] = (value as u8 & 0x7f) | 0x80;
        value >>= 7;
        n += 1;
    }
    bytes[n] = value as u8;
    (bytes, n + 1)
}

#[cfg(test)]
mod tests {
    use bollard_buildkit_proto::pb;
    use prost::Message;

    use super::*;

    fn written(body: impl FnOnce(&mut Wire)) -> Vec<u8> {
        let mut w = Wire::default();
        body(&mut w);
        w.into_bytes()
    }

    #[test]
    fn matches_prost() {
        let long = "x".repeat(300);
        let mount = pb::Mount {
            input: -1,
            selector: String::new(),
            dest: long.clone(),
            output: 3,
            readonly: true,
            mount_type: 3,
            cache_opt: Some(pb::CacheOpt {
                id: "id".into(),
                sharing: 0,
            }),
            ..pb::Mount::default()
        };
        let ours = written(|w| {
            w.int64(1, -1);
            w.string(2, "");
            w.string(3, &long);
            w.int64(4, 3);
            w.bool(5, true);
            w.int32(6, 3);
            w.message(20, |w| {
                w.string(1, "id");
                w.int32(2, 0);
            });
        });
        assert_eq!(ours, mount.encode_to_vec());

        let source = pb::SourceOp {
            identifier: "local://context".into(),
            attrs: [
                ("a".to_owned(), String::new()),
                (String::new(), "v".to_owned()),
            ]
            .into_iter()
            .collect(),
        };
        let ours = written(|w| {
            w.string(1, "local://context");
            for (k, v) in &source.attrs {
                w.map_entry(2, k, v);
            }
        });
        assert_eq!(ours, source.encode_to_vec());

        let meta = pb::Meta {
            args: vec![String::new(), "sh".into()],
            env: vec!["A=1".into()],
            ..pb::Meta::default()
        };
        let ours = written(|w| {
            w.repeated_string(1, "");
            w.repeated_string(1, "sh");
            w.repeated_string_parts(2, &["A", "=", "1"]);
        });
        assert_eq!(ours, meta.encode_to_vec());

        let file = pb::FileActionMkFile {
            path: "/f".into(),
            mode: -1,
            data: vec![0; 200],
            owner: Some(pb::ChownOpt::default()),
            timestamp: i64::MIN,
        };
        let ours = written(|w| {
            w.string(1, "/f");
            w.int32(2, -1);
            w.bytes(3, &[0; 200]);
            w.message(4, |_| {});
            w.int64(5, i64::MIN);
        });
        assert_eq!(ours, file.encode_to_vec());

        let secret = pb::SecretOpt {
            id: "s".into(),
            uid: 70_000,
            gid: 0,
            mode: 0o400,
            optional: false,
        };
        let ours = written(|w| {
            w.string(1, "s");
            w.uint32(2, 70_000);
            w.uint32(3, 0);
            w.uint32(4, 0o400);
            w.bool(5, false);
        });
        assert_eq!(ours, secret.encode_to_vec());

        let root = pb::UserOpt {
            user: Some(pb::user_opt::User::ById(0)),
        };
        assert_eq!(written(|w| w.oneof_uint32(2, 0)), root.encode_to_vec());
    }
}
