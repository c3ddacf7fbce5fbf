//! Lowering stages to LLB and the image config: BuildKit v0.8.3 `Dockerfile2LLB` from
//! the image-config goroutines on, and its `dispatch*` functions.
//!
//! Each stage's LLB [`State`] carries what later ops inherit (env, working directory,
//! user, hostname, platform); the [`Image`] is the config being built. Vertex names
//! count steps per stage exactly like `prefixCommand` (including its quirks: `WORKDIR
//! /` and layer-less bases are counted but never shown, base-image ONBUILD triggers
//! are shown but were not counted).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use dfopt_dockerfile::instructions::{CmdLine, Command, CommandKind, KeyValue};
use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::builtin_args::{default_path, NonEnvArgs};
use dfopt_dockerfile::stages::lookup::{parse_trigger, StageNames};
use dfopt_dockerfile::stages::scope::{self, ArgValue};
use dfopt_dockerfile::{go_quote, LineIndex, Span};
use dfopt_llb::prelude::*;
use dfopt_llb::{caps, CapId, FileBuilder, Image as ImageSource, Location, Platform};

use crate::dialect::Dialect;
use crate::expand::{self, StateEnv};
use crate::gofmt;
use crate::image::{Health, Image};
use crate::options::{ConvertError, ConvertOptions, ResolvedImage, Warning};
use crate::paths;
use crate::plan::{Cmd, Loc, NamedRef, Plan, SCRATCH};
use crate::platform;
use crate::{expose, signal};

/// `com.docker.dockerfile.v1.command`: the instruction's text, as op description.
pub(crate) const COMMAND_KEY: &str = "com.docker.dockerfile.v1.command";

/// The per-stage values that only exist while dispatching.
#[derive(Debug, Clone, Default)]
pub(crate) struct Runtime {
    pub(crate) state: State,
    pub(crate) image: Image,
    /// `d.platform`: the stage's platform as resolved (not normalized).
    pub(crate) platform: Option<Platform>,
    /// `d.buildArgs`: every ARG of the stage, in order, duplicates included.
    pub(crate) build_args: Vec<(String, Option<String>)>,
    pub(crate) cmd_set: bool,
    pub(crate) cmd_index: usize,
    pub(crate) ctx_paths: BTreeSet<String>,
    /// BuildKit v0.25 counts the stage's ONBUILD triggers as steps (`cmdTotal`),
    /// from the moment they are known (after the stage's FROM is named).
    pub(crate) trigger_steps: usize,
    /// BuildKit v0.25's `cmdIsOnBuild`: step names of a trigger say `ONBUILD`.
    pub(crate) in_trigger: bool,
}

pub(crate) struct Dispatcher<'a> {
    pub(crate) plan: &'a Plan<'a>,
    pub(crate) opts: &'a ConvertOptions,
    pub(crate) sourcemap: SourceMap,
    pub(crate) context: State,
    pub(crate) rt: Vec<Runtime>,
    pub(crate) proxy: Option<ProxyEnv>,
    pub(crate) cache_ns: String,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) extra_hosts: Vec<(String, String)>,
    /// Whose builtin frontend is reproduced, from the daemon's caps.
    pub(crate) dialect: Dialect,
}

pub(crate) fn err(message: impl Into<String>, span: Option<Span>) -> ConvertError {
    ConvertError::new(message, span)
}

/// The key of an image request.
pub(crate) fn request_key(reference: &str, platform: &Platform) -> String {
    format!("{reference} {}", platform::format(platform))
}

pub(crate) fn resolve_mode_name(mode: ResolveMode) -> &'static str {
    match mode {
        ResolveMode::Default => "default",
        ResolveMode::ForcePull => "pull",
        ResolveMode::PreferLocal => "local",
    }
}

/// `parseKeyValue`: split at the first `=`.
fn parse_key_value(env: &str) -> (&str, &str) {
    env.split_once('=').unwrap_or((env, ""))
}

/// Appends ` key=value` to a history entry.
fn push_assignment(msg: &mut String, key: &str, value: &str) {
    msg.push(' ');
    msg.push_str(key);
    msg.push('=');
    msg.push_str(value);
}

/// `addEnv`: replace in place (first match), else append.
fn add_env(env: &mut Vec<String>, key: &str, value: &str) {
    let mut entry = String::with_capacity(key.len() + 1 + value.len());
    entry.push_str(key);
    entry.push('=');
    entry.push_str(value);
    match env.iter_mut().find(|e| parse_key_value(e).0 == key) {
        Some(e) => *e = entry,
        None => env.push(entry),
    }
}

/// `uppercaseCmd`: upper-case the first space-separated word.
fn uppercase_cmd(s: &str) -> String {
    let first_len = s.find(' ').unwrap_or(s.len());
    let (first, rest) = s.split_at(first_len);
    let mut out = String::with_capacity(s.len());
    if first.is_ascii() {
        out.push_str(first);
        out.make_ascii_uppercase();
    } else {
        // Go's `strings.ToUpper` maps each rune to one rune (`unicode.ToUpper`); a rune
        // whose upper case is longer keeps its own spelling.
        out.extend(first.chars().map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        }));
    }
    out.push_str(rest);
    out
}

/// [`uppercase_cmd`] of `s[start..]`, in place when the first word is ASCII.
fn uppercase_first_word(s: &mut String, start: usize) {
    let first_end = s[start..].find(' ').map_or(s.len(), |n| start + n);
    if s[start..first_end].is_ascii() {
        s[start..first_end].make_ascii_uppercase();
    } else {
        let upper = uppercase_cmd(&s[start..]);
        s.truncate(start);
        s.push_str(&upper);
    }
}

/// `fmt.Sprintf("%*d/%d] ", width, index, total)` with the width of `total`'s counter
/// ([`gofmt::counter_width`]): the index right-aligned with spaces.
fn push_counter(out: &mut String, index: usize, total: usize) {
    // `itoa` writes the digits without the formatting machinery or an allocation.
    let mut buf = itoa::Buffer::new();
    let index = buf.format(index);
    for _ in index.len()..gofmt::counter_width(total) {
        out.push(' ');
    }
    out.push_str(index);
    out.push('/');
    out.push_str(buf.format(total));
    out.push_str("] ");
}

/// `proxyEnvFromBuildArgs` (keys compared case-insensitively; with two spellings of
/// one key the later in sorted order wins).
fn proxy_env(args: &BTreeMap<String, String>) -> Option<ProxyEnv> {
    let mut pe = ProxyEnv::default();
    let mut any = false;
    for (k, v) in args {
        let slot = match k.to_lowercase().as_str() {
            "http_proxy" => &mut pe.http_proxy,
            "https_proxy" => &mut pe.https_proxy,
            "ftp_proxy" => &mut pe.ftp_proxy,
            "no_proxy" => &mut pe.no_proxy,
            "all_proxy" => &mut pe.all_proxy,
            _ => continue,
        };
        *slot = v.clone();
        any = true;
    }
    any.then_some(pe)
}

/// Go's `net.IP.String()` of a parsed address (IPv4-mapped IPv6 prints as IPv4).
fn normalize_ip(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

impl<'a> Dispatcher<'a> {
    pub(crate) fn new(
        plan: &'a Plan<'a>,
        opts: &'a ConvertOptions,
        source: &str,
        context: State,
    ) -> Self {
        Dispatcher {
            plan,
            opts,
            sourcemap: SourceMap::dockerfile(
                opts.dockerfile_name.clone(),
                opts.dockerfile_data
                    .clone()
                    .unwrap_or_else(|| source.as_bytes().to_vec()),
            ),
            context,
            rt: vec![Runtime::default(); plan.states.len()],
            proxy: proxy_env(&opts.build_args),
            cache_ns: opts
                .build_args
                .get("BUILDKIT_CACHE_MOUNT_NS")
                .cloned()
                .unwrap_or_default(),
            warnings: Vec::new(),
            extra_hosts: opts
                .extra_hosts
                .iter()
                .map(|(h, ip)| (h.clone(), normalize_ip(ip)))
                .collect(),
            dialect: Dialect::for_caps(&opts.caps),
        }
    }

    fn target_platform(&self) -> &Platform {
        &self.plan.target_platform
    }

    pub(crate) fn location(&self, lines: &[(u32, u32)]) -> Location {
        let to_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        self.sourcemap.location(
            lines
                .iter()
                .map(|&(start, end)| Range::lines(to_i32(start), to_i32(end))),
        )
    }

    /// A step's progress name with the note of a rewritten command, if any.
    pub(crate) fn with_note(name: String, cmd: &Cmd) -> String {
        match &cmd.note {
            Some(note) => format!("{name} {note}"),
            None => name,
        }
    }

    fn loc_of(&self, loc: Loc) -> Location {
        match loc {
            Loc::Span(span) => self.location(&[self.plan.line_index.lines(span)]),
            Loc::Nowhere => self.sourcemap.location([]),
        }
    }

    pub(crate) fn warn(&mut self, message: impl Into<String>, span: Option<Span>) {
        self.warnings.push(Warning {
            message: message.into(),
            span,
        });
    }

    /// Fails unless the daemon advertises `cap`.
    pub(crate) fn need(
        &self,
        cap: CapId,
        what: &str,
        version: &str,
        span: Span,
    ) -> Result<(), ConvertError> {
        if self.opts.caps.supports(cap) {
            Ok(())
        } else {
            Err(err(
                format!("{what} requires BuildKit {version} or later (the daemon lacks {cap})"),
                Some(span),
            ))
        }
    }

    /// The stage env (`d.state.Env()`) for the shell lexer.
    pub(crate) fn env(&self, i: usize) -> StateEnv<'_> {
        StateEnv(&self.rt[i].state)
    }

    pub(crate) fn expand(&self, i: usize, word: &str, span: Span) -> Result<String, ConvertError> {
        expand::process_word(&self.plan.lexer, word, &self.env(i))
            .map_err(|e| err(e.message, Some(span)))
    }

    /// `prefixCommand`.
    pub(crate) fn prefix(&mut self, i: usize, s: &str, platform: Option<&Platform>) -> String {
        let mut out = String::with_capacity(s.len() + 32);
        self.push_prefix(i, &mut out, platform);
        out.push_str(s);
        out
    }

    /// The `[platform stage i/N] ` of `prefixCommand` (nothing for a stage that counts
    /// no steps), appended to `out`; counts the step. Written piece by piece: this runs
    /// for every vertex, and `format!` costs several times as much.
    fn push_prefix(&mut self, i: usize, out: &mut String, platform: Option<&Platform>) {
        let d = &self.plan.states[i];
        let total = d.cmd_total + self.rt[i].trigger_steps;
        if total == 0 {
            return;
        }
        out.push('[');
        if self.opts.prefix_platform {
            if let Some(p) = platform {
                platform::push_format(out, p);
                out.push(' ');
            }
        }
        if !d.stage_name.is_empty() {
            out.push_str(&d.stage_name);
            out.push(' ');
        }
        self.rt[i].cmd_index += 1;
        push_counter(out, self.rt[i].cmd_index, total);
        if self.rt[i].in_trigger {
            out.push_str("ONBUILD ");
        }
    }

    /// The stage platform for [`Self::prefix`]: `None` when vertex names do not show
    /// it, which spares cloning it.
    pub(crate) fn prefix_platform(&self, i: usize) -> Option<Platform> {
        self.opts.prefix_platform.then(|| self.stage_platform(i))
    }

    /// The vertex name of an instruction: its text with set variables expanded (the
    /// RUN form keeps quotes and unset variables), first word upper-cased, prefixed.
    pub(crate) fn display_name(
        &mut self,
        i: usize,
        original: &str,
        run: bool,
        platform: Option<&Platform>,
    ) -> String {
        let mut out = String::with_capacity(original.len() + 32);
        self.push_prefix(i, &mut out, platform);
        self.push_display_text(i, original, run, &mut out);
        out
    }

    /// [`Self::display_name`] without the `[stage i/N] ` prefix.
    pub(crate) fn display_text(&self, i: usize, original: &str, run: bool) -> String {
        let mut out = String::with_capacity(original.len());
        self.push_display_text(i, original, run, &mut out);
        out
    }

    /// [`Self::display_text`] appended to `out`.
    fn push_display_text(&self, i: usize, original: &str, run: bool, out: &mut String) {
        let env = self.env(i);
        let start = out.len();
        let expanded = if run {
            let lexer = Lexer {
                raw_quotes: true,
                skip_unset_env: true,
                ..self.plan.lexer.clone()
            };
            expand::process_word_into(&lexer, original, &env, out)
        } else {
            expand::process_word_into(&self.plan.lexer, original, &env, out)
        };
        if expanded.is_err() {
            out.push_str(original);
        }
        uppercase_first_word(out, start);
    }

    /// The platform the Go client records on a file op built on `state`: the state's,
    /// else the marshal default (the target platform).
    pub(crate) fn file_platform(&self, state: &State) -> Platform {
        state
            .platform()
            .cloned()
            .unwrap_or_else(|| self.target_platform().clone())
    }

    /// `base.file()` for a file op on `platform`: BuildKit v0.8's client recorded the
    /// platform on file ops (part of their digest), v0.25's sends none ("file op is not
    /// platform specific").
    pub(crate) fn file_on(&self, base: &State, platform: Platform) -> FileBuilder {
        let file = base.file();
        if self.dialect.is_v0_8() {
            file.platform(platform)
        } else {
            file
        }
    }

    /// `d.platform`, or the target platform.
    pub(crate) fn stage_platform(&self, i: usize) -> Platform {
        self.rt[i]
            .platform
            .clone()
            .unwrap_or_else(|| self.target_platform().clone())
    }

    // ---- base images ----------------------------------------------------------

    /// The image-config step for every state without a stage base.
    pub(crate) fn resolve_bases(
        &mut self,
        images: &BTreeMap<String, ResolvedImage>,
    ) -> Result<(), ConvertError> {
        let plan = self.plan;
        // Each config is decoded once; later states built on it get their own copy of
        // the first one's image (nothing changes it before `dispatch_stages`).
        let mut decoded: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, d) in plan.states.iter().enumerate() {
            if d.base.is_some() {
                continue;
            }
            if d.base_name == SCRATCH {
                let tp = &plan.target_platform;
                self.rt[i].image = Image::empty(&tp.os, &tp.architecture, &tp.variant);
                self.rt[i].state = scratch_on(tp.clone());
                self.rt[i].platform = d.platform.clone();
                continue;
            }
            let span = d.location.span();
            let named = NamedRef::parse(&d.base_name).map_err(|reason| {
                err(
                    format!(
                        "failed to parse stage name {}: {reason}",
                        go_quote(&d.base_name)
                    ),
                    span,
                )
            })?;
            let mut platform = d
                .platform
                .clone()
                .unwrap_or_else(|| self.target_platform().clone());
            let mut display = named.tag_name_only.clone();
            let mut is_scratch = false;
            if plan.reachable[i] && (!d.unregistered || !self.dialect.is_v0_8()) {
                let key = request_key(&named.tag_name_only, &platform);
                let (key, resolved) = images.get_key_value(&key).ok_or_else(|| {
                    err(
                        format!("the config of {} was not resolved", named.tag_name_only),
                        span,
                    )
                })?;
                let mut img = match decoded.get(key.as_str()) {
                    Some(&first) => self.rt[first].image.detached_clone(),
                    None => {
                        decoded.insert(key, i);
                        Image::parse_as(&resolved.config, self.dialect).map_err(|e| err(e, span))?
                    }
                };
                img.created = None;
                if d.platform.is_none() && self.opts.target_platform.is_none() {
                    platform = auto_detect_platform(&img, platform, &self.opts.build_platform);
                }
                display = if self.dialect.is_v0_8() {
                    named.display(resolved.digest.as_deref())
                } else {
                    named.display_tagged(resolved.digest.as_deref())
                };
                is_scratch = img.has_no_layers();
                self.rt[i].image = img;
            }
            if is_scratch {
                self.rt[i].state = scratch_on(self.target_platform().clone());
            } else {
                let name = self.prefix(i, &format!("FROM {display}"), Some(&platform));
                let source = ImageSource::new(&display)
                    .map_err(|e| err(e.to_string(), span))?
                    .platform(platform.clone())
                    .resolve_mode(self.opts.image_resolve_mode)
                    .description(COMMAND_KEY, d.source_code.clone())
                    .custom_name(name)
                    .location(self.loc_of(d.location))
                    .build();
                let mut source = source;
                source.set_platform(platform::normalize(&platform, &self.opts.build_platform));
                self.rt[i].state = source;
            }
            self.rt[i].platform = Some(platform);
        }
        Ok(())
    }

    // ---- stages ---------------------------------------------------------------

    /// Dispatches every reachable state in order.
    pub(crate) fn dispatch_stages(&mut self) -> Result<(), ConvertError> {
        let plan = self.plan;
        for (i, d) in plan.states.iter().enumerate() {
            if !plan.reachable[i] {
                continue;
            }
            // BuildKit v0.25 resolves a `COPY --from=<image>` image but never dispatches
            // its implicit stage: no base-config WORKDIR/USER/ONBUILD on that state.
            if d.unregistered && !self.dialect.is_v0_8() {
                continue;
            }
            let span = d.location.span();
            if let Some(b) = d.base {
                self.rt[i].state = self.rt[b].state.clone();
                self.rt[i].platform = self.rt[b].platform.clone();
                self.rt[i].image = self.rt[b].image.clone_for_stage();
            }
            // Make sure PATH is always set (`shell.BuildEnvs(env)["PATH"]`).
            let env = &self.rt[i].image.config.env;
            if !env.iter().any(|e| parse_key_value(e).0 == "PATH") {
                let os = self.rt[i]
                    .platform
                    .as_ref()
                    .map_or("", |p| p.os.as_str())
                    .to_owned();
                self.rt[i]
                    .image
                    .config
                    .env
                    .push(format!("PATH={}", default_path(&os)));
            }
            let rt = &mut self.rt[i];
            rt.state
                .set_envs(rt.image.config.env.iter().map(|e| parse_key_value(e)));
            if let Some(h) = self.opts.hostname.as_ref().filter(|h| !h.is_empty()) {
                rt.state.set_hostname(h.as_str());
            }
            let wd = self.rt[i].image.config.working_dir.clone();
            if !wd.is_empty() {
                self.dispatch_workdir(i, &wd, None)?;
            }
            let user = self.rt[i].image.config.user.clone();
            if !user.is_empty() {
                self.dispatch_user(i, &user, false);
            }
            let triggers = self.rt[i].image.config.on_build.clone().unwrap_or_default();
            if !self.dialect.is_v0_8() {
                self.rt[i].trigger_steps = triggers.len();
                self.rt[i].in_trigger = true;
            }
            for trigger in &triggers {
                self.dispatch_trigger(i, trigger)
                    .map_err(|e| err(e.message, span))?;
            }
            self.rt[i].in_trigger = false;
            self.rt[i].image.config.on_build = None;
            for cmd in &d.commands {
                self.dispatch(i, cmd)?;
            }
        }
        Ok(())
    }

    /// One base-image (or parent-stage) ONBUILD trigger, parsed on its own.
    fn dispatch_trigger(&mut self, i: usize, trigger: &str) -> Result<(), ConvertError> {
        let (command, _) = parse_trigger(trigger).map_err(|message| err(message, None))?;
        // Sources are looked up but never registered (BuildKit v0.8.3).
        let sources = trigger_sources(&command, &self.plan.names, self.plan.states.len())?;
        let lines = LineIndex::new(trigger).lines(command.span);
        let cmd = Cmd {
            command: Cow::Owned(command),
            sources,
            lines: vec![lines],
            span: Span::default(),
            note: None,
        };
        self.dispatch(i, &cmd)
    }

    // ---- instructions ---------------------------------------------------------

    pub(crate) fn dispatch(&mut self, i: usize, cmd: &Cmd) -> Result<(), ConvertError> {
        let span = cmd.span;
        let sp = Some(span);
        let original = cmd.command.original.trim();
        match &cmd.command.kind {
            CommandKind::Maintainer(m) => {
                self.rt[i].image.author = m.clone();
                self.rt[i]
                    .image
                    .commit(format!("MAINTAINER {m}"), false, false);
            }
            CommandKind::Env(pairs) => {
                let expanded = self.expand_pairs(i, pairs, span)?;
                let mut msg = "ENV".to_owned();
                let rt = &mut self.rt[i];
                for (k, v) in &expanded {
                    push_assignment(&mut msg, k, v);
                    add_env(&mut rt.image.config.env, k, v);
                }
                rt.state
                    .set_envs(expanded.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                rt.image.commit(msg, false, false);
            }
            CommandKind::Run(run) => self.dispatch_run(i, cmd, run, original)?,
            CommandKind::Workdir(path) => {
                let path = self.expand(i, path, span)?;
                self.dispatch_workdir(i, &path, Some((cmd, original)))?;
            }
            CommandKind::Add(_) | CommandKind::Copy(_) => self.dispatch_copy(i, cmd, original)?,
            CommandKind::Label(pairs) => {
                let expanded = self.expand_pairs(i, pairs, span)?;
                let mut msg = "LABEL".to_owned();
                let labels = &mut self.rt[i].image.config.labels;
                labels.make_if_nil();
                for (k, v) in expanded {
                    push_assignment(&mut msg, &k, &v);
                    labels.insert(k, v);
                }
                self.rt[i].image.commit(msg, false, false);
            }
            CommandKind::Onbuild(expr) => {
                self.rt[i]
                    .image
                    .config
                    .on_build
                    .get_or_insert_with(Vec::new)
                    .push(expr.clone());
            }
            CommandKind::Cmd(line) => {
                let args = self.with_shell(i, line);
                let msg = format!("CMD {}", gofmt::quote_slice(&args));
                let img = &mut self.rt[i].image;
                img.config.cmd = args;
                img.config.args_escaped = true;
                img.commit(msg, false, false);
                self.rt[i].cmd_set = true;
            }
            CommandKind::Entrypoint(line) => {
                let args = self.with_shell(i, line);
                let msg = format!("ENTRYPOINT {}", gofmt::quote_slice(&args));
                let rt = &mut self.rt[i];
                rt.image.config.entrypoint = args;
                if !rt.cmd_set {
                    rt.image.config.cmd = Vec::new();
                }
                rt.image.commit(msg, false, false);
            }
            CommandKind::Healthcheck(h) => {
                let health = Health {
                    test: h.test.clone(),
                    interval: h.interval,
                    timeout: h.timeout,
                    start_period: h.start_period,
                    start_interval: h.start_interval,
                    retries: i64::from(h.retries),
                };
                let msg = healthcheck_history(&health, self.dialect);
                self.rt[i].image.config.healthcheck = Some(health);
                self.rt[i].image.commit(msg, false, false);
            }
            CommandKind::Expose(ports) => {
                let env = self.env(i);
                let mut expanded = Vec::new();
                for p in ports {
                    let words = self
                        .plan
                        .lexer
                        .process_words(p, &env)
                        .map_err(|e| err(e.message, sp))?;
                    expanded.extend(words);
                }
                let list = expose::parse_port_list(&expanded).map_err(|e| err(e, sp))?;
                let exposed = &mut self.rt[i].image.config.exposed_ports;
                exposed.make_if_nil();
                for p in &list {
                    exposed.insert(p.clone(), ());
                }
                // v0.8 printed the parsed map (`map[80/tcp:{}]`), v0.25 prints the list
                // in the order of the specs (`[80/tcp 53/udp]`).
                let history = if self.dialect.is_v0_8() {
                    let set: BTreeSet<&String> = list.iter().collect();
                    gofmt::value_set(set)
                } else {
                    gofmt::value_slice(&list)
                };
                self.rt[i]
                    .image
                    .commit(format!("EXPOSE {history}"), false, false);
            }
            CommandKind::User(user) => {
                let user = self.expand(i, user, span)?;
                self.dispatch_user(i, &user, true);
            }
            CommandKind::Volume(volumes) => {
                let mut expanded = Vec::new();
                for v in volumes {
                    expanded.push(self.expand(i, v, span)?);
                }
                let vols = &mut self.rt[i].image.config.volumes;
                vols.make_if_nil();
                for v in &expanded {
                    if v.is_empty() {
                        return Err(err("VOLUME specified can not be an empty string", sp));
                    }
                    vols.insert(v.clone(), ());
                }
                self.rt[i].image.commit(
                    format!("VOLUME {}", gofmt::value_slice(&expanded)),
                    false,
                    false,
                );
            }
            CommandKind::StopSignal(s) => {
                let s = self.expand(i, s, span)?;
                signal::check(&s).map_err(|e| err(e, sp))?;
                self.rt[i].image.config.stop_signal = s.clone();
                self.rt[i]
                    .image
                    .commit(format!("STOPSIGNAL {s}"), false, false);
            }
            CommandKind::Shell(shell) => {
                self.rt[i].image.config.shell = shell.clone();
                self.rt[i].image.commit(
                    format!("SHELL {}", gofmt::value_slice(shell)),
                    false,
                    false,
                );
            }
            CommandKind::Arg(decls) => {
                let mut commit = Vec::new();
                for decl in decls {
                    let key = self.expand(i, &decl.key, span)?;
                    let value = match &decl.value {
                        Some(v) => Some(self.expand(i, v, span)?),
                        None => None,
                    };
                    let declared = match &value {
                        Some(v) => format!("{key}={v}"),
                        None => key.clone(),
                    };
                    let resolved =
                        match ArgValue::for_key(&key, value.as_deref(), &self.opts.build_args) {
                            ArgValue::BuildArg(given) => Some(given.to_owned()),
                            ArgValue::Default(default) => Some(default.to_owned()),
                            // The global ARG (or predefined one) of that name, the last.
                            ArgValue::Unset => self
                                .plan
                                .meta_args
                                .iter()
                                .rev()
                                .find(|(k, _)| *k == key)
                                .and_then(|(_, v)| v.clone()),
                        };
                    // v0.8's history shows the ARG as written, v0.25's with the value
                    // it took (build-arg, default or global ARG).
                    commit.push(match (&resolved, self.dialect.is_v0_8()) {
                        (_, true) => declared,
                        (Some(v), false) => format!("{key}={v}"),
                        (None, false) => key.clone(),
                    });
                    if let Some(v) = &resolved {
                        if !NonEnvArgs::WithDfopt.contains(&key) {
                            self.rt[i].state.set_env(key.as_str(), v.as_str());
                        }
                    }
                    self.rt[i].build_args.push((key, resolved));
                }
                self.rt[i]
                    .image
                    .commit(format!("ARG {}", commit.join(" ")), false, false);
            }
        }
        Ok(())
    }

    /// ENV and LABEL: every key and value expanded against the env before the
    /// instruction.
    fn expand_pairs(
        &self,
        i: usize,
        pairs: &[KeyValue],
        span: Span,
    ) -> Result<Vec<(String, String)>, ConvertError> {
        scope::expand_pairs(pairs, |word| self.expand(i, word, span))
    }

    /// `withShell`: the stage's SHELL (or the OS default) plus the joined arguments.
    pub(crate) fn with_shell(&self, i: usize, line: &CmdLine) -> Vec<String> {
        if !line.prepend_shell {
            return line.args.clone();
        }
        self.shell_args(i, &line.args)
    }

    pub(crate) fn shell_args(&self, i: usize, args: &[String]) -> Vec<String> {
        let img = &self.rt[i].image;
        let default: &[&str] = if img.os == "windows" {
            &["cmd", "/S", "/C"]
        } else {
            &["/bin/sh", "-c"]
        };
        let mut shell = Vec::with_capacity(img.config.shell.len().max(default.len()) + 1);
        if img.config.shell.is_empty() {
            shell.extend(default.iter().map(|s| (*s).to_owned()));
        } else {
            shell.extend(img.config.shell.iter().cloned());
        }
        shell.push(args.join(" "));
        shell
    }

    pub(crate) fn dispatch_user(&mut self, i: usize, user: &str, commit: bool) {
        self.rt[i].state.set_user(user);
        self.rt[i].image.config.user = user.to_owned();
        if commit {
            self.rt[i]
                .image
                .commit(format!("USER {user}"), false, false);
        }
    }

    /// `dispatchWorkdir`; `cmd` is `None` for a base image's `WorkingDir` (no mkdir,
    /// no history).
    fn dispatch_workdir(
        &mut self,
        i: usize,
        path: &str,
        cmd: Option<(&Cmd, &str)>,
    ) -> Result<(), ConvertError> {
        self.rt[i].state.set_dir(path);
        let wd = if paths::is_abs(path) {
            path.to_owned()
        } else {
            paths::join(&["/", &self.rt[i].image.config.working_dir, path])
        };
        let Some((cmd, original)) = cmd else {
            self.rt[i].image.config.working_dir = wd;
            return Ok(());
        };
        let mut history = String::with_capacity(8 + wd.len());
        history.push_str("WORKDIR ");
        history.push_str(&wd);
        let with_layer = wd != "/";
        if with_layer {
            let mut mkdir = Mkdir::new(wd.clone(), 0o755).parents(true);
            let user = &self.rt[i].image.config.user;
            if !user.is_empty() {
                mkdir = mkdir.owner(Chown::parse(user));
            }
            let platform = self.prefix_platform(i);
            let name = self.display_name(i, original, false, platform.as_ref());
            let location = self.location(&cmd.lines);
            let state = self
                .file_on(&self.rt[i].state, self.file_platform(&self.rt[i].state))
                .mkdir(mkdir)
                .custom_name(Self::with_note(name, cmd))
                .location(location)
                .build()
                .map_err(|e| err(e.to_string(), Some(cmd.span)))?;
            self.rt[i].state = state;
        }
        let image = &mut self.rt[i].image;
        image.config.working_dir = wd;
        image.commit(history, with_layer, false);
        Ok(())
    }
}

/// An empty filesystem for `platform` (built in place: nothing else shares the
/// fresh state's settings yet).
pub(crate) fn scratch_on(platform: Platform) -> State {
    let mut state = State::scratch();
    state.set_platform(platform);
    state
}

/// `autoDetectPlatform`.
fn auto_detect_platform(img: &Image, target: Platform, build: &Platform) -> Platform {
    if target.os == img.os && target.architecture == img.architecture {
        return target;
    }
    if build.os == img.os && build.architecture == img.architecture {
        return build.clone();
    }
    target
}

/// `fmt.Sprintf("HEALTHCHECK %q", healthConfig)`: Go prints the pointer's struct with
/// `%q` applied to every field (durations through `String()`, `Retries` as a rune).
/// v0.25's struct always has `StartInterval`; v0.8's had none (dfopt prints it there
/// only when set).
fn healthcheck_history(h: &Health, dialect: Dialect) -> String {
    let d = |n: i64| go_quote(&gofmt::duration(n));
    let mut fields = vec![
        gofmt::quote_slice(&h.test),
        d(h.interval),
        d(h.timeout),
        d(h.start_period),
    ];
    if h.start_interval != 0 || !dialect.is_v0_8() {
        fields.push(d(h.start_interval));
    }
    fields.push(gofmt::quote_rune(h.retries));
    format!("HEALTHCHECK &{{{}}}", fields.join(" "))
}

/// Sources of an ONBUILD trigger: stages by name or index; images are not registered
/// in BuildKit v0.8.3 and would be copied from nothing, which dfopt refuses.
fn trigger_sources(
    command: &Command,
    names: &StageNames,
    state_count: usize,
) -> Result<Vec<Option<usize>>, ConvertError> {
    let mut sources = Vec::new();
    match &command.kind {
        CommandKind::Copy(copy) => {
            if let Some(from) = copy.from.as_ref().filter(|f| !f.value.is_empty()) {
                let from = &from.value;
                let state = names
                    .copy_from(from, state_count)
                    .map_err(|message| err(message, None))?
                    .ok_or_else(|| {
                        err(
                            format!("ONBUILD COPY --from={from}: copying from an image in an ONBUILD trigger is not supported (BuildKit v0.8.3 copies from an empty state)"),
                            None,
                        )
                    })?;
                sources.push(Some(state));
            }
        }
        CommandKind::Run(run) => {
            for mount in &run.mounts {
                let (kind, from) =
                    dfopt_dockerfile::stages::reachability::run_mount_source(&mount.raw.value);
                if from.is_empty() || kind.as_deref() == Some("tmpfs") {
                    sources.push(None);
                    continue;
                }
                let state = names.mount_from(&from).ok_or_else(|| {
                    err(
                        format!("ONBUILD RUN --mount from={from}: mounting an image in an ONBUILD trigger is not supported (BuildKit v0.8.3 mounts an empty state)"),
                        None,
                    )
                })?;
                sources.push(Some(state));
            }
        }
        _ => {}
    }
    Ok(sources)
}

/// The caps features that are newer than BuildKit v0.8 need, with the version that
/// introduced them (for error messages).
pub(crate) mod need {
    use super::caps;
    use dfopt_llb::CapId;

    pub(crate) const INCLUDE_EXCLUDE: (CapId, &str) =
        (caps::FILE_COPY_INCLUDE_EXCLUDE_PATTERNS, "v0.9");
    pub(crate) const REQUIRED_PATHS: (CapId, &str) = (caps::FILE_COPY_REQUIRED_PATHS, "v0.26");
    pub(crate) const MERGE: (CapId, &str) = (caps::MERGE_OP, "v0.10");
    pub(crate) const TMPFS_SIZE: (CapId, &str) = (caps::EXEC_MOUNT_TMPFS_SIZE, "v0.10");
    pub(crate) const SECRET_ENV: (CapId, &str) = (caps::EXEC_SECRET_ENV, "v0.10");
    pub(crate) const MODE_STRING: (CapId, &str) = (caps::EXEC_VALID_EXIT_CODE, "v0.17");
    pub(crate) const GIT: (CapId, &str) = (caps::SOURCE_GIT, "v0.5");
    pub(crate) const GIT_SUBDIR: (CapId, &str) = (caps::SOURCE_GIT_SUBDIR, "v0.9");
    pub(crate) const HTTP_CHECKSUM: (CapId, &str) = (caps::SOURCE_HTTP_CHECKSUM, "v0.7");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(uppercase_cmd("run echo hi"), "RUN echo hi");
        assert_eq!(uppercase_cmd("copy"), "COPY");
        assert_eq!(uppercase_cmd("ßé x ß"), "ßÉ x ß");
        let mut env = vec!["A=1".to_owned(), "B=2".to_owned()];
        add_env(&mut env, "A", "3");
        add_env(&mut env, "C", "4");
        assert_eq!(env, ["A=3", "B=2", "C=4"]);
        assert_eq!(normalize_ip("::ffff:1.2.3.4"), "1.2.3.4");
        assert_eq!(normalize_ip("0:0:0:0:0:0:0:1"), "::1");
        let h = Health {
            test: vec!["CMD-SHELL".into(), "curl -f http://x/ || exit 1".into()],
            interval: 30_000_000_000,
            timeout: 3_000_000_000,
            start_period: 0,
            start_interval: 0,
            retries: 3,
        };
        assert_eq!(
            healthcheck_history(&h, Dialect::BuildKitV0_8),
            r#"HEALTHCHECK &{["CMD-SHELL" "curl -f http://x/ || exit 1"] "30s" "3s" "0s" '\x03'}"#
        );
    }

    #[test]
    fn proxies() {
        let args = BTreeMap::from([
            ("HTTP_PROXY".to_owned(), "a".to_owned()),
            ("no_proxy".to_owned(), "b".to_owned()),
            ("OTHER".to_owned(), "c".to_owned()),
        ]);
        let p = proxy_env(&args).unwrap();
        assert_eq!((p.http_proxy.as_str(), p.no_proxy.as_str()), ("a", "b"));
        assert!(proxy_env(&BTreeMap::new()).is_none());
    }
}
