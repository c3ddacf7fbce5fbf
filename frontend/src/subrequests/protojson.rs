//! LLB protobuf messages as Go's `protojson.Marshal` writes them, for the
//! `frontend.convertllb` answer (BuildKit marshals each op with protojson, then
//! re-indents the whole answer with `encoding/json`).
//!
//! protojson's rules, applied by hand per message: members in `.proto` declaration
//! order; JSON names are the proto field names in lowerCamelCase (`proxy_env` →
//! `proxyEnv`, `OSVersion` stays); fields with their zero value are left out (a set
//! oneof member and a present sub-message are always written); 64-bit integers are
//! strings; enums are their value names; `bytes` are base64; map keys are sorted.

use std::collections::BTreeMap;

use dfopt_llb::pb;

use super::gojson::{bytes, Json};

/// Builds a protojson object, leaving zero values out.
struct Msg(Json);

impl Msg {
    fn new() -> Msg {
        Msg(Json::object())
    }

    fn string(self, key: &str, value: &str) -> Msg {
        Msg(self.0.str_field(key, value))
    }

    fn boolean(self, key: &str, value: bool) -> Msg {
        if value {
            Msg(self.0.field(key, Json::Bool(true)))
        } else {
            self
        }
    }

    /// int32/uint32: a JSON number.
    fn int32(self, key: &str, value: i64) -> Msg {
        if value == 0 {
            self
        } else {
            Msg(self.0.field(key, Json::int(value)))
        }
    }

    /// int64/uint64: a JSON string.
    fn int64(self, key: &str, value: i64) -> Msg {
        if value == 0 {
            self
        } else {
            Msg(self.0.field(key, Json::str(value.to_string())))
        }
    }

    fn enumeration(self, key: &str, value: i32, name: Option<&str>) -> Msg {
        match (value, name) {
            (0, _) => self,
            (_, Some(name)) => Msg(self.0.field(key, Json::str(name))),
            (_, None) => Msg(self.0.field(key, Json::int(value))),
        }
    }

    fn bytes(self, key: &str, value: &[u8]) -> Msg {
        if value.is_empty() {
            self
        } else {
            Msg(self.0.field(key, bytes(value)))
        }
    }

    fn strings(self, key: &str, values: &[String]) -> Msg {
        let items = values.iter().map(Json::str).collect();
        Msg(self.0.field_omitempty(key, Json::Array(items)))
    }

    fn list<T>(self, key: &str, values: &[T], encode: impl Fn(&T) -> Json) -> Msg {
        let items = values.iter().map(encode).collect();
        Msg(self.0.field_omitempty(key, Json::Array(items)))
    }

    fn message<T>(self, key: &str, value: Option<&T>, encode: impl Fn(&T) -> Json) -> Msg {
        match value {
            Some(value) => Msg(self.0.field(key, encode(value))),
            None => self,
        }
    }

    fn map<T>(self, key: &str, values: &BTreeMap<String, T>, encode: impl Fn(&T) -> Json) -> Msg {
        if values.is_empty() {
            return self;
        }
        let mut object = Json::object();
        for (k, v) in values {
            object = object.field(k, encode(v));
        }
        Msg(self.0.field(key, object))
    }

    /// A member that is always written (a set oneof member).
    fn always(self, key: &str, value: Json) -> Msg {
        Msg(self.0.field(key, value))
    }

    fn done(self) -> Json {
        self.0
    }
}

/// `pb.Op`.
pub fn op(op: &pb::Op) -> Json {
    let mut msg = Msg::new().list("inputs", &op.inputs, |input| {
        Msg::new()
            .string("digest", &input.digest)
            .int64("index", input.index)
            .done()
    });
    msg = match &op.op {
        Some(pb::op::Op::Exec(exec)) => msg.always("exec", exec_op(exec)),
        Some(pb::op::Op::Source(source)) => msg.always("source", source_op(source)),
        Some(pb::op::Op::File(file)) => msg.always(
            "file",
            Msg::new()
                .list("actions", &file.actions, file_action)
                .done(),
        ),
        Some(pb::op::Op::Build(build)) => msg.always("build", build_op(build)),
        Some(pb::op::Op::Merge(merge)) => msg.always(
            "merge",
            Msg::new()
                .list("inputs", &merge.inputs, |i| {
                    Msg::new().int64("input", i.input).done()
                })
                .done(),
        ),
        Some(pb::op::Op::Diff(diff)) => msg.always(
            "diff",
            Msg::new()
                .message("lower", diff.lower.as_ref(), |i| {
                    Msg::new().int64("input", i.input).done()
                })
                .message("upper", diff.upper.as_ref(), |i| {
                    Msg::new().int64("input", i.input).done()
                })
                .done(),
        ),
        None => msg,
    };
    msg.message("platform", op.platform.as_ref(), platform)
        .message("constraints", op.constraints.as_ref(), |c| {
            Msg::new().strings("filter", &c.filter).done()
        })
        .done()
}

fn platform(p: &pb::Platform) -> Json {
    Msg::new()
        .string("Architecture", &p.architecture)
        .string("OS", &p.os)
        .string("Variant", &p.variant)
        .string("OSVersion", &p.os_version)
        .strings("OSFeatures", &p.os_features)
        .done()
}

fn exec_op(exec: &pb::ExecOp) -> Json {
    Msg::new()
        .message("meta", exec.meta.as_ref(), meta)
        .list("mounts", &exec.mounts, mount)
        .enumeration(
            "network",
            exec.network,
            pb::NetMode::try_from(exec.network)
                .ok()
                .map(|e| e.as_str_name()),
        )
        .enumeration(
            "security",
            exec.security,
            pb::SecurityMode::try_from(exec.security)
                .ok()
                .map(|e| e.as_str_name()),
        )
        .list("secretenv", &exec.secretenv, |s| {
            Msg::new()
                .string("ID", &s.id)
                .string("name", &s.name)
                .boolean("optional", s.optional)
                .done()
        })
        .list("cdiDevices", &exec.cdi_devices, |d| {
            Msg::new()
                .string("name", &d.name)
                .boolean("optional", d.optional)
                .done()
        })
        .done()
}

fn meta(meta: &pb::Meta) -> Json {
    Msg::new()
        .strings("args", &meta.args)
        .strings("env", &meta.env)
        .string("cwd", &meta.cwd)
        .string("user", &meta.user)
        .message("proxyEnv", meta.proxy_env.as_ref(), |p| {
            Msg::new()
                .string("httpProxy", &p.http_proxy)
                .string("httpsProxy", &p.https_proxy)
                .string("ftpProxy", &p.ftp_proxy)
                .string("noProxy", &p.no_proxy)
                .string("allProxy", &p.all_proxy)
                .done()
        })
        .list("extraHosts", &meta.extra_hosts, |h| {
            Msg::new()
                .string("Host", &h.host)
                .string("IP", &h.ip)
                .done()
        })
        .string("hostname", &meta.hostname)
        .list("ulimit", &meta.ulimit, |u| {
            Msg::new()
                .string("Name", &u.name)
                .int64("Soft", u.soft)
                .int64("Hard", u.hard)
                .done()
        })
        .string("cgroupParent", &meta.cgroup_parent)
        .boolean(
            "removeMountStubsRecursive",
            meta.remove_mount_stubs_recursive,
        )
        .list("validExitCodes", &meta.valid_exit_codes, |c| Json::int(*c))
        .done()
}

fn mount(m: &pb::Mount) -> Json {
    let socket = |id: &str, uid: u32, gid: u32, mode: u32, optional: bool| {
        Msg::new()
            .string("ID", id)
            .int32("uid", i64::from(uid))
            .int32("gid", i64::from(gid))
            .int32("mode", i64::from(mode))
            .boolean("optional", optional)
            .done()
    };
    Msg::new()
        .int64("input", m.input)
        .string("selector", &m.selector)
        .string("dest", &m.dest)
        .int64("output", m.output)
        .boolean("readonly", m.readonly)
        .enumeration(
            "mountType",
            m.mount_type,
            pb::MountType::try_from(m.mount_type)
                .ok()
                .map(|e| e.as_str_name()),
        )
        .message("TmpfsOpt", m.tmpfs_opt.as_ref(), |t| {
            Msg::new().int64("size", t.size).done()
        })
        .message("cacheOpt", m.cache_opt.as_ref(), |c| {
            Msg::new()
                .string("ID", &c.id)
                .enumeration(
                    "sharing",
                    c.sharing,
                    pb::CacheSharingOpt::try_from(c.sharing)
                        .ok()
                        .map(|e| e.as_str_name()),
                )
                .done()
        })
        .message("secretOpt", m.secret_opt.as_ref(), |s| {
            socket(&s.id, s.uid, s.gid, s.mode, s.optional)
        })
        .message("SSHOpt", m.ssh_opt.as_ref(), |s| {
            socket(&s.id, s.uid, s.gid, s.mode, s.optional)
        })
        .string("resultID", &m.result_id)
        .enumeration(
            "contentCache",
            m.content_cache,
            pb::MountContentCache::try_from(m.content_cache)
                .ok()
                .map(|e| e.as_str_name()),
        )
        .done()
}

fn source_op(source: &pb::SourceOp) -> Json {
    Msg::new()
        .string("identifier", &source.identifier)
        .map("attrs", &source.attrs, |v| Json::str(v.as_str()))
        .done()
}

fn build_op(build: &pb::BuildOp) -> Json {
    Msg::new()
        .int64("builder", build.builder)
        .map("inputs", &build.inputs, |i| {
            Msg::new().int64("input", i.input).done()
        })
        .message("def", build.def.as_ref(), definition)
        .map("attrs", &build.attrs, |v| Json::str(v.as_str()))
        .done()
}

fn file_action(action: &pb::FileAction) -> Json {
    let msg = Msg::new()
        .int64("input", action.input)
        .int64("secondaryInput", action.secondary_input)
        .int64("output", action.output);
    match &action.action {
        Some(pb::file_action::Action::Copy(c)) => msg.always(
            "copy",
            Msg::new()
                .string("src", &c.src)
                .string("dest", &c.dest)
                .message("owner", c.owner.as_ref(), chown)
                .int32("mode", i64::from(c.mode))
                .boolean("followSymlink", c.follow_symlink)
                .boolean("dirCopyContents", c.dir_copy_contents)
                .boolean(
                    "attemptUnpackDockerCompatibility",
                    c.attempt_unpack_docker_compatibility,
                )
                .boolean("createDestPath", c.create_dest_path)
                .boolean("allowWildcard", c.allow_wildcard)
                .boolean("allowEmptyWildcard", c.allow_empty_wildcard)
                .int64("timestamp", c.timestamp)
                .strings("includePatterns", &c.include_patterns)
                .strings("excludePatterns", &c.exclude_patterns)
                .boolean(
                    "alwaysReplaceExistingDestPaths",
                    c.always_replace_existing_dest_paths,
                )
                .string("modeStr", &c.mode_str)
                .strings("requiredPaths", &c.required_paths)
                .done(),
        ),
        Some(pb::file_action::Action::Mkfile(f)) => msg.always(
            "mkfile",
            Msg::new()
                .string("path", &f.path)
                .int32("mode", i64::from(f.mode))
                .bytes("data", &f.data)
                .message("owner", f.owner.as_ref(), chown)
                .int64("timestamp", f.timestamp)
                .done(),
        ),
        Some(pb::file_action::Action::Mkdir(d)) => msg.always(
            "mkdir",
            Msg::new()
                .string("path", &d.path)
                .int32("mode", i64::from(d.mode))
                .boolean("makeParents", d.make_parents)
                .message("owner", d.owner.as_ref(), chown)
                .int64("timestamp", d.timestamp)
                .done(),
        ),
        Some(pb::file_action::Action::Rm(r)) => msg.always(
            "rm",
            Msg::new()
                .string("path", &r.path)
                .boolean("allowNotFound", r.allow_not_found)
                .boolean("allowWildcard", r.allow_wildcard)
                .done(),
        ),
        Some(pb::file_action::Action::Symlink(s)) => msg.always(
            "symlink",
            Msg::new()
                .string("oldpath", &s.oldpath)
                .string("newpath", &s.newpath)
                .message("owner", s.owner.as_ref(), chown)
                .int64("timestamp", s.timestamp)
                .done(),
        ),
        None => msg,
    }
    .done()
}

fn chown(owner: &pb::ChownOpt) -> Json {
    Msg::new()
        .message("user", owner.user.as_ref(), user_opt)
        .message("group", owner.group.as_ref(), user_opt)
        .done()
}

fn user_opt(user: &pb::UserOpt) -> Json {
    match &user.user {
        Some(pb::user_opt::User::ByName(named)) => Msg::new()
            .always(
                "byName",
                Msg::new()
                    .string("name", &named.name)
                    .int64("input", named.input)
                    .done(),
            )
            .done(),
        Some(pb::user_opt::User::ById(id)) => Msg::new().always("byID", Json::int(*id)).done(),
        None => Json::object(),
    }
}

/// `pb.Definition`.
pub fn definition(def: &pb::Definition) -> Json {
    Msg::new()
        .list("def", &def.def, |d| bytes(d))
        .map("metadata", &def.metadata, op_metadata)
        .message("Source", def.source.as_ref(), source)
        .done()
}

fn op_metadata(m: &pb::OpMetadata) -> Json {
    Msg::new()
        .boolean("ignoreCache", m.ignore_cache)
        .map("description", &m.description, |v| Json::str(v.as_str()))
        .message("exportCache", m.export_cache.as_ref(), |e| {
            Msg::new().boolean("Value", e.value).done()
        })
        .map("caps", &m.caps, |v| Json::Bool(*v))
        .message("progressGroup", m.progress_group.as_ref(), |g| {
            Msg::new()
                .string("id", &g.id)
                .string("name", &g.name)
                .boolean("weak", g.weak)
                .done()
        })
        .done()
}

/// `pb.Source`; `None` is written as `{}` (protojson of a nil message).
pub fn source(source: &pb::Source) -> Json {
    Msg::new()
        .map("locations", &source.locations, |l| {
            Msg::new().list("locations", &l.locations, location).done()
        })
        .list("infos", &source.infos, |info| {
            Msg::new()
                .string("filename", &info.filename)
                .bytes("data", &info.data)
                .message("definition", info.definition.as_ref(), definition)
                .string("language", &info.language)
                .done()
        })
        .done()
}

fn location(location: &pb::Location) -> Json {
    Msg::new()
        .int32("sourceIndex", i64::from(location.source_index))
        .list("ranges", &location.ranges, |r| {
            Msg::new()
                .message("start", r.start.as_ref(), position)
                .message("end", r.end.as_ref(), position)
                .done()
        })
        .done()
}

fn position(p: &pb::Position) -> Json {
    Msg::new()
        .int32("line", i64::from(p.line))
        .int32("character", i64::from(p.character))
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_values_are_left_out_and_int64_are_strings() {
        let op = pb::Op {
            inputs: vec![
                pb::Input {
                    digest: "sha256:a".into(),
                    index: 0,
                },
                pb::Input {
                    digest: "sha256:b".into(),
                    index: 2,
                },
            ],
            op: Some(pb::op::Op::Exec(pb::ExecOp {
                meta: Some(pb::Meta {
                    args: vec!["sh".into()],
                    cwd: "/".into(),
                    ..Default::default()
                }),
                mounts: vec![pb::Mount {
                    dest: "/".into(),
                    output: 0,
                    mount_type: 3,
                    ..Default::default()
                }],
                network: 2,
                ..Default::default()
            })),
            platform: Some(pb::Platform {
                architecture: "amd64".into(),
                os: "linux".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let json = super::op(&op).indented();
        let compact: String = json.split('\n').map(str::trim).collect();
        assert_eq!(
            compact,
            r#"{"inputs": [{"digest": "sha256:a"},{"digest": "sha256:b","index": "2"}],"exec": {"meta": {"args": ["sh"],"cwd": "/"},"mounts": [{"dest": "/","mountType": "CACHE"}],"network": "NONE"},"platform": {"Architecture": "amd64","OS": "linux"}}"#
        );
    }

    #[test]
    fn user_by_id_zero_is_written() {
        let user = pb::UserOpt {
            user: Some(pb::user_opt::User::ById(0)),
        };
        assert_eq!(user_opt(&user).indented(), "{\n  \"byID\": 0\n}");
    }
}
