//! A readable dump of any `pb.Definition`, for tests and `dfopt llb`.
//!
//! Works on Definitions this crate did not build: nothing is assumed about the input,
//! undecodable entries and dangling references are printed as such, and no input makes
//! it panic. The format, one op per paragraph in `def` order:
//!
//! ```text
//! sources:
//!   [0] Dockerfile (Dockerfile, 34 bytes)
//! #0 3f1c5e0d2a6b source docker-image://docker.io/library/busybox:latest
//!     platform: linux/amd64
//!     name: "[1/2] FROM busybox"
//!     caps: source.image
//!     at: Dockerfile:1
//! #1 8a0e55b0c2d4 exec ["/bin/sh", "-c", "true"]
//!     inputs: #0
//!     cwd: /
//!     mount / <- #0 out=0 bind
//! #2 9e6f2f3c1b77 terminal -> #1
//! ```
//!
//! `#n` names the n-th entry of `def`; `#n:k` its output k. Digests are shortened to 12
//! hex digits.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bollard_buildkit_proto::pb;
use prost::Message;

use crate::marshal::digest;

/// Dumps a decoded Definition.
pub fn dump(definition: &pb::Definition) -> String {
    Dumper::new(definition).run()
}

/// Decodes Definition bytes and dumps them.
pub fn dump_bytes(bytes: &[u8]) -> Result<String, prost::DecodeError> {
    pb::Definition::decode(bytes).map(|d| dump(&d))
}

struct Dumper<'a> {
    definition: &'a pb::Definition,
    out: String,
}

/// Shortens `sha256:<hex>` to 12 hex digits; other strings are kept.
pub(crate) fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    hex.get(..12).unwrap_or(hex)
}

impl<'a> Dumper<'a> {
    fn new(definition: &'a pb::Definition) -> Self {
        Self {
            definition,
            out: String::new(),
        }
    }

    fn run(mut self) -> String {
        let definition = self.definition;
        let digests: Vec<String> = definition.def.iter().map(|b| digest(b)).collect();
        let mut positions = BTreeMap::new();
        for (i, d) in digests.iter().enumerate() {
            positions.entry(d.as_str()).or_insert(i);
        }
        self.dump_sources();
        let last = definition.def.len().saturating_sub(1);
        for (i, (bytes, dgst)) in definition.def.iter().zip(&digests).enumerate() {
            let _ = write!(self.out, "#{i} {} ", short(dgst));
            match pb::Op::decode(bytes.as_slice()) {
                Err(e) => {
                    let _ = writeln!(self.out, "<undecodable op: {e}>");
                }
                Ok(op) => {
                    let ctx = Ctx {
                        positions: &positions,
                        inputs: &op.inputs,
                    };
                    self.dump_op(&op, i == last, &ctx);
                    self.dump_metadata(dgst);
                }
            }
        }
        let unknown: Vec<&str> = definition
            .metadata
            .keys()
            .filter(|k| !positions.contains_key(k.as_str()))
            .map(|k| short(k))
            .collect();
        if !unknown.is_empty() {
            let _ = writeln!(
                self.out,
                "metadata for digests not in def: {}",
                unknown.join(", ")
            );
        }
        self.out
    }

    fn dump_sources(&mut self) {
        let Some(source) = &self.definition.source else {
            return;
        };
        if source.infos.is_empty() {
            return;
        }
        self.out.push_str("sources:\n");
        for (i, info) in source.infos.iter().enumerate() {
            let language = if info.language.is_empty() {
                "-"
            } else {
                &info.language
            };
            let _ = writeln!(
                self.out,
                "  [{i}] {} ({language}, {} bytes)",
                info.filename,
                info.data.len()
            );
        }
    }

    fn dump_op(&mut self, op: &pb::Op, is_last: bool, ctx: &Ctx<'_>) {
        let header = match &op.op {
            None if is_last => {
                let target = op
                    .inputs
                    .first()
                    .map_or_else(|| "<no input>".to_owned(), |i| ctx.op_ref(i));
                format!("terminal -> {target}")
            }
            None => "<op without body>".to_owned(),
            Some(pb::op::Op::Source(s)) => format!("source {}", s.identifier),
            Some(pb::op::Op::Exec(e)) => match &e.meta {
                Some(meta) => format!("exec {:?}", meta.args),
                None => "exec <no meta>".to_owned(),
            },
            Some(pb::op::Op::File(f)) => format!("file ({} actions)", f.actions.len()),
            Some(pb::op::Op::Merge(m)) => {
                let parts: Vec<String> = m.inputs.iter().map(|i| ctx.input(i.input)).collect();
                format!("merge {}", parts.join(" "))
            }
            Some(pb::op::Op::Diff(d)) => {
                let lower = d
                    .lower
                    .map_or_else(|| "<none>".to_owned(), |l| ctx.input(l.input));
                let upper = d
                    .upper
                    .map_or_else(|| "<none>".to_owned(), |u| ctx.input(u.input));
                format!("diff lower={lower} upper={upper}")
            }
            Some(pb::op::Op::Build(b)) => {
                format!("build builder={} ({} inputs)", b.builder, b.inputs.len())
            }
        };
        let _ = writeln!(self.out, "{header}");
        let terminal = op.op.is_none() && is_last;
        if !terminal && !op.inputs.is_empty() {
            let refs: Vec<String> = op.inputs.iter().map(|i| ctx.op_ref(i)).collect();
            self.line(&format!("inputs: {}", refs.join(", ")));
        }
        if let Some(p) = &op.platform {
            let mut s = format!("{}/{}", p.os, p.architecture);
            if !p.variant.is_empty() {
                let _ = write!(s, "/{}", p.variant);
            }
            self.line(&format!("platform: {s}"));
        }
        if let Some(c) = &op.constraints {
            if !c.filter.is_empty() {
                self.line(&format!("constraints: {:?}", c.filter));
            }
        }
        match &op.op {
            Some(pb::op::Op::Source(s)) => {
                for (k, v) in &s.attrs {
                    self.line(&format!("attr {k}={v}"));
                }
            }
            Some(pb::op::Op::Exec(e)) => self.dump_exec(e, ctx),
            Some(pb::op::Op::File(f)) => self.dump_file(f, ctx),
            _ => {}
        }
    }

    fn dump_exec(&mut self, e: &pb::ExecOp, ctx: &Ctx<'_>) {
        let Some(meta) = &e.meta else {
            self.dump_mounts(e, ctx);
            return;
        };
        if !meta.env.is_empty() {
            self.line(&format!("env: {:?}", meta.env));
        }
        let mut settings = format!("cwd: {}", meta.cwd);
        if !meta.user.is_empty() {
            let _ = write!(settings, "  user: {}", meta.user);
        }
        if !meta.hostname.is_empty() {
            let _ = write!(settings, "  hostname: {}", meta.hostname);
        }
        match pb::NetMode::try_from(e.network) {
            Ok(pb::NetMode::Unset) => {}
            Ok(pb::NetMode::Host) => settings.push_str("  network: host"),
            Ok(pb::NetMode::None) => settings.push_str("  network: none"),
            Err(_) => {
                let _ = write!(settings, "  network: <unknown {}>", e.network);
            }
        }
        match pb::SecurityMode::try_from(e.security) {
            Ok(pb::SecurityMode::Sandbox) => {}
            Ok(pb::SecurityMode::Insecure) => settings.push_str("  security: insecure"),
            Err(_) => {
                let _ = write!(settings, "  security: <unknown {}>", e.security);
            }
        }
        self.line(&settings);
        for h in &meta.extra_hosts {
            self.line(&format!("host {}={}", h.host, h.ip));
        }
        if let Some(p) = &meta.proxy_env {
            self.line(&format!(
                "proxy: http={:?} https={:?} ftp={:?} no={:?} all={:?}",
                p.http_proxy, p.https_proxy, p.ftp_proxy, p.no_proxy, p.all_proxy
            ));
        }
        for u in &meta.ulimit {
            self.line(&format!("ulimit {}={}:{}", u.name, u.soft, u.hard));
        }
        if !meta.cgroup_parent.is_empty() {
            self.line(&format!("cgroup parent: {}", meta.cgroup_parent));
        }
        if !meta.valid_exit_codes.is_empty() {
            self.line(&format!("valid exit codes: {:?}", meta.valid_exit_codes));
        }
        for s in &e.secretenv {
            let optional = if s.optional { " optional" } else { "" };
            self.line(&format!("secret env {}=secret:{}{optional}", s.name, s.id));
        }
        self.dump_mounts(e, ctx);
    }

    fn dump_mounts(&mut self, e: &pb::ExecOp, ctx: &Ctx<'_>) {
        for m in &e.mounts {
            let mut s = format!("mount {} <- {}", m.dest, ctx.input(m.input));
            if !m.selector.is_empty() {
                let _ = write!(s, " selector={}", m.selector);
            }
            let _ = write!(s, " out={}", m.output);
            if m.readonly {
                s.push_str(" readonly");
            }
            match pb::MountType::try_from(m.mount_type) {
                Ok(pb::MountType::Bind) => s.push_str(" bind"),
                Ok(pb::MountType::Cache) => {
                    s.push_str(" cache");
                    if let Some(c) = &m.cache_opt {
                        let sharing = pb::CacheSharingOpt::try_from(c.sharing)
                            .map_or("<unknown>", |s| s.as_str_name());
                        let _ = write!(s, " id={:?} sharing={}", c.id, sharing.to_lowercase());
                    }
                }
                Ok(pb::MountType::Tmpfs) => {
                    s.push_str(" tmpfs");
                    if let Some(t) = &m.tmpfs_opt {
                        if t.size != 0 {
                            let _ = write!(s, " size={}", t.size);
                        }
                    }
                }
                Ok(pb::MountType::Secret) => {
                    s.push_str(" secret");
                    if let Some(o) = &m.secret_opt {
                        push_owner_opts(&mut s, &o.id, o.uid, o.gid, o.mode, o.optional);
                    }
                }
                Ok(pb::MountType::Ssh) => {
                    s.push_str(" ssh");
                    if let Some(o) = &m.ssh_opt {
                        push_owner_opts(&mut s, &o.id, o.uid, o.gid, o.mode, o.optional);
                    }
                }
                Err(_) => {
                    let _ = write!(s, " <unknown mount type {}>", m.mount_type);
                }
            }
            if !m.result_id.is_empty() {
                let _ = write!(s, " result={}", m.result_id);
            }
            self.line(&s);
        }
    }

    fn dump_file(&mut self, f: &pb::FileOp, ctx: &Ctx<'_>) {
        let n_inputs = ctx.inputs.len();
        let action_input = |i: i64| -> String {
            match usize::try_from(i) {
                Ok(u) if u >= n_inputs => format!("action{}", u - n_inputs),
                _ => ctx.input(i),
            }
        };
        for (j, a) in f.actions.iter().enumerate() {
            let mut s = format!("[{j}] ");
            match &a.action {
                None => s.push_str("<no action>"),
                Some(pb::file_action::Action::Mkdir(m)) => {
                    let _ = write!(s, "mkdir {} mode={:04o}", m.path, m.mode);
                    if m.make_parents {
                        s.push_str(" parents");
                    }
                    push_chown(&mut s, m.owner.as_ref(), ctx);
                    push_timestamp(&mut s, m.timestamp);
                }
                Some(pb::file_action::Action::Mkfile(m)) => {
                    let _ = write!(
                        s,
                        "mkfile {} mode={:04o} data={:?}",
                        m.path,
                        m.mode,
                        String::from_utf8_lossy(&m.data)
                    );
                    push_chown(&mut s, m.owner.as_ref(), ctx);
                    push_timestamp(&mut s, m.timestamp);
                }
                Some(pb::file_action::Action::Rm(r)) => {
                    let _ = write!(s, "rm {}", r.path);
                    if r.allow_not_found {
                        s.push_str(" allow_not_found");
                    }
                    if r.allow_wildcard {
                        s.push_str(" allow_wildcard");
                    }
                }
                Some(pb::file_action::Action::Symlink(l)) => {
                    let _ = write!(s, "symlink {} -> {}", l.newpath, l.oldpath);
                    push_chown(&mut s, l.owner.as_ref(), ctx);
                    push_timestamp(&mut s, l.timestamp);
                }
                Some(pb::file_action::Action::Copy(c)) => {
                    let _ = write!(
                        s,
                        "copy {} {} -> {}",
                        action_input(a.secondary_input),
                        c.src,
                        c.dest
                    );
                    push_copy_flags(&mut s, c);
                    push_chown(&mut s, c.owner.as_ref(), ctx);
                    push_timestamp(&mut s, c.timestamp);
                }
            }
            let _ = write!(s, " on={} out={}", action_input(a.input), a.output);
            if !matches!(a.action, Some(pb::file_action::Action::Copy(_)))
                && a.secondary_input != -1
            {
                let _ = write!(s, " secondary={}", a.secondary_input);
            }
            self.line(&s);
        }
    }

    fn dump_metadata(&mut self, dgst: &str) {
        let definition = self.definition;
        if let Some(md) = definition.metadata.get(dgst) {
            for (k, v) in &md.description {
                if k == crate::ops::CUSTOM_NAME_KEY {
                    self.line(&format!("name: {v:?}"));
                } else {
                    self.line(&format!("desc {k}={v:?}"));
                }
            }
            if md.ignore_cache {
                self.line("ignore_cache");
            }
            if let Some(e) = &md.export_cache {
                self.line(&format!("export_cache={}", e.value));
            }
            if let Some(g) = &md.progress_group {
                self.line(&format!(
                    "progress group {:?} {:?} weak={}",
                    g.id, g.name, g.weak
                ));
            }
            if !md.caps.is_empty() {
                let caps: Vec<String> = md
                    .caps
                    .iter()
                    .map(|(k, v)| if *v { k.clone() } else { format!("{k}=false") })
                    .collect();
                self.line(&format!("caps: {}", caps.join(", ")));
            }
        }
        if let Some(source) = &definition.source {
            if let Some(locs) = source.locations.get(dgst) {
                for loc in &locs.locations {
                    let file = usize::try_from(loc.source_index)
                        .ok()
                        .and_then(|i| source.infos.get(i))
                        .map_or_else(
                            || format!("<source {}>", loc.source_index),
                            |i| i.filename.clone(),
                        );
                    let ranges: Vec<String> = loc.ranges.iter().map(range_text).collect();
                    self.line(&format!("at: {file}:{}", ranges.join(",")));
                }
            }
        }
    }

    fn line(&mut self, s: &str) {
        let _ = writeln!(self.out, "    {s}");
    }
}

/// How to name inputs of the op being dumped.
struct Ctx<'a> {
    positions: &'a BTreeMap<&'a str, usize>,
    inputs: &'a [pb::Input],
}

impl Ctx<'_> {
    fn op_ref(&self, input: &pb::Input) -> String {
        let base = match self.positions.get(input.digest.as_str()) {
            Some(i) => format!("#{i}"),
            None => format!("<missing {}>", short(&input.digest)),
        };
        if input.index == 0 {
            base
        } else {
            format!("{base}:{}", input.index)
        }
    }

    /// An index into `Op.inputs`, or -1 for scratch.
    fn input(&self, index: i64) -> String {
        if index == -1 {
            return "scratch".to_owned();
        }
        match usize::try_from(index).ok().and_then(|i| self.inputs.get(i)) {
            Some(input) => self.op_ref(input),
            None => format!("<bad input {index}>"),
        }
    }
}

fn push_owner_opts(s: &mut String, id: &str, uid: u32, gid: u32, mode: u32, optional: bool) {
    let _ = write!(s, " id={id:?} uid={uid} gid={gid} mode={mode:04o}");
    if optional {
        s.push_str(" optional");
    }
}

fn push_chown(s: &mut String, owner: Option<&pb::ChownOpt>, ctx: &Ctx<'_>) {
    let Some(owner) = owner else {
        return;
    };
    let user = |u: &Option<pb::UserOpt>| match u.as_ref().and_then(|u| u.user.as_ref()) {
        None => "-".to_owned(),
        Some(pb::user_opt::User::ById(id)) => id.to_string(),
        Some(pb::user_opt::User::ByName(n)) => format!("{}@{}", n.name, ctx.input(n.input)),
    };
    let _ = write!(s, " owner={}:{}", user(&owner.user), user(&owner.group));
}

fn push_timestamp(s: &mut String, timestamp: i64) {
    if timestamp != -1 {
        let _ = write!(s, " timestamp={timestamp}");
    }
}

fn push_copy_flags(s: &mut String, c: &pb::FileActionCopy) {
    let flags = [
        (c.follow_symlink, "follow_symlinks"),
        (c.dir_copy_contents, "contents_only"),
        (c.attempt_unpack_docker_compatibility, "unpack"),
        (c.create_dest_path, "create_dest_path"),
        (c.allow_wildcard, "wildcard"),
        (c.allow_empty_wildcard, "empty_wildcard"),
        (c.always_replace_existing_dest_paths, "replace_existing"),
    ];
    for (on, name) in flags {
        if on {
            let _ = write!(s, " {name}");
        }
    }
    if !c.mode_str.is_empty() {
        let _ = write!(s, " mode={:?}", c.mode_str);
    } else if c.mode == -1 {
        s.push_str(" mode=keep");
    } else {
        let _ = write!(s, " mode={:04o}", c.mode);
    }
    for (name, list) in [
        ("include", &c.include_patterns),
        ("exclude", &c.exclude_patterns),
        ("required", &c.required_paths),
    ] {
        if !list.is_empty() {
            let _ = write!(s, " {name}={list:?}");
        }
    }
}

fn range_text(r: &pb::Range) -> String {
    let pos = |p: &Option<pb::Position>| p.map_or((0, 0), |p| (p.line, p.character));
    let (sl, sc) = pos(&r.start);
    let (el, ec) = pos(&r.end);
    match (sc, ec) {
        (0, 0) if sl == el => format!("{sl}"),
        (0, 0) => format!("{sl}-{el}"),
        _ => format!("{sl}:{sc}-{el}:{ec}"),
    }
}
