//! Syntax tree → typed instructions, as BuildKit's `instructions.Parse`.
//!
//! Each instruction checks its arguments and flags in BuildKit's order and
//! with BuildKit's messages, so the first error reported is the same one.
//! Errors carry the instruction's span.

use super::commands::*;
use super::flags::{self, flag, FlagKind, FlagSpec, Flags};
use super::{duration, mount, suggest};
use crate::shell::{EmptyEnv, Lexer};
use crate::syntax::ast::{Args, Dockerfile, Instruction};
use crate::syntax::heredoc::{chomp_content, parse_heredoc};
use crate::{Diagnostic, Span};

pub const NO_STAGES: &str = "dockerfile contains no stages to build";

/// Every instruction keyword BuildKit knows, upper case, sorted.
pub const INSTRUCTIONS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Builds the typed form of a parsed Dockerfile. The first error stops.
pub fn parse_dockerfile(dockerfile: &Dockerfile) -> Result<Ir, Diagnostic> {
    let instructions = &dockerfile.instructions;
    let escape = dockerfile.escape;
    let fail = |(message, span): Error| Diagnostic::error(message, span);
    // Vectors sized up front are not regrown (moving every command) as they fill.
    let mut ir = Ir::default();
    ir.stages
        .reserve_exact(instructions.iter().filter(|node| is_from(node)).count());
    // One argument list, refilled for each instruction.
    let mut args = Vec::new();
    for (i, instruction) in instructions.iter().enumerate() {
        fill_node_args(instruction, &mut args);
        let req = Request {
            node: instruction,
            args: &args,
            span: instruction.span,
            escape,
        };
        if is_from(instruction) {
            let mut stage = parse_from(&req, ir.stages.len()).map_err(fail)?;
            stage.commands.reserve_exact(
                instructions[i + 1..]
                    .iter()
                    .take_while(|node| !is_from(node))
                    .count(),
            );
            ir.stages.push(stage);
            continue;
        }
        // Before the first FROM only ARG is allowed (a global ARG); any other
        // command is reported once it has parsed, as BuildKit does.
        let in_stage = !ir.stages.is_empty();
        let commands = match ir.stages.last_mut() {
            Some(stage) => &mut stage.commands,
            None => &mut ir.meta_args,
        };
        parse_command(&req, |command| commands.push(command)).map_err(fail)?;
        if !in_stage && instruction.keyword != "arg" {
            return Err(Diagnostic::error(
                "no build stage in current context",
                instruction.span,
            ));
        }
    }
    if ir.stages.is_empty() {
        let end = dockerfile
            .instructions
            .last()
            .map_or(Span::default(), |i| Span {
                start: i.span.end,
                end: i.span.end,
            });
        return Err(Diagnostic::error(NO_STAGES, end));
    }
    Ok(ir)
}

/// A FROM starts a stage; every other instruction is a command.
fn is_from(node: &Instruction) -> bool {
    node.keyword == "from"
}

/// An instruction is either the start of a stage or a command inside one.
// Commands are the common case: boxing them, as the lint suggests, would cost
// an allocation for each.
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    Stage(Box<Stage>),
    Command(Command),
}

type Error = (String, Span);

/// Parses one instruction; `stage_index` is the index a FROM would get and
/// `escape` the file's escape character.
pub fn parse_instruction(
    node: &Instruction,
    stage_index: usize,
    escape: char,
) -> Result<Parsed, Error> {
    let mut args = Vec::new();
    fill_node_args(node, &mut args);
    let req = Request {
        node,
        args: &args,
        span: node.span,
        escape,
    };
    if is_from(node) {
        return parse_from(&req, stage_index).map(|s| Parsed::Stage(Box::new(s)));
    }
    let mut command = None;
    parse_command(&req, |parsed| command = Some(parsed))?;
    Ok(Parsed::Command(
        command.expect("parse_command passes on the command it parsed"),
    ))
}

/// Parses an instruction other than FROM and hands the command to `store`.
/// Storing it in place (`parse_dockerfile` pushes it onto the stage), rather
/// than returning it, saves copying the large value through each caller.
fn parse_command(req: &Request, store: impl FnOnce(Command)) -> Result<(), Error> {
    let node = req.node;
    let span = req.span;
    let fail = |message: String| (message, span);
    let kind = match node.keyword.as_str() {
        "env" => CommandKind::Env(req.key_values("ENV")?),
        "label" => CommandKind::Label(req.key_values("LABEL")?),
        "maintainer" => {
            req.exactly_one("MAINTAINER")?;
            req.flags(&[])?;
            CommandKind::Maintainer(req.args[0].to_string())
        }
        "add" => CommandKind::Add(parse_add(req)?),
        "copy" => CommandKind::Copy(parse_copy(req)?),
        "onbuild" => CommandKind::Onbuild(parse_onbuild(req)?),
        "workdir" => {
            req.exactly_one("WORKDIR")?;
            req.flags(&[])?;
            CommandKind::Workdir(req.args[0].to_string())
        }
        "run" => CommandKind::Run(parse_run(req)?),
        "cmd" => {
            req.flags(&[])?;
            CommandKind::Cmd(req.cmd_line(false))
        }
        "entrypoint" => {
            req.flags(&[])?;
            CommandKind::Entrypoint(req.cmd_line(true))
        }
        "healthcheck" => CommandKind::Healthcheck(parse_healthcheck(req)?),
        "expose" => {
            req.at_least_one("EXPOSE")?;
            req.flags(&[])?;
            let mut ports: Vec<String> = req.args.iter().map(|a| a.to_string()).collect();
            ports.sort();
            CommandKind::Expose(ports)
        }
        "user" => {
            req.exactly_one("USER")?;
            req.flags(&[])?;
            CommandKind::User(req.args[0].to_string())
        }
        "volume" => {
            req.at_least_one("VOLUME")?;
            req.flags(&[])?;
            let mut volumes = Vec::new();
            for v in req.args {
                let v = v.trim();
                if v.is_empty() {
                    return Err(fail("VOLUME specified can not be an empty string".into()));
                }
                volumes.push(v.to_string());
            }
            CommandKind::Volume(volumes)
        }
        // BuildKit never checks flags of STOPSIGNAL and ARG.
        "stopsignal" => {
            req.exactly_one("STOPSIGNAL")?;
            CommandKind::StopSignal(req.args[0].to_string())
        }
        "arg" => CommandKind::Arg(parse_arg(req)?),
        "shell" => {
            req.flags(&[])?;
            let shell = handle_json_args(req.args, node.json);
            if shell.is_empty() {
                return Err(fail(at_least_one("SHELL")));
            }
            if !node.json {
                return Err(fail(
                    "SHELL requires the arguments to be in JSON form".into(),
                ));
            }
            CommandKind::Shell(shell)
        }
        _ => {
            let raw = raw_keyword(node);
            let message = suggest::wrap(
                format!("unknown instruction: {raw}"),
                raw,
                &INSTRUCTIONS,
                false,
            );
            return Err(fail(message));
        }
    };
    store(Command {
        kind,
        original: node.original.clone(),
        comments: node.comments.clone(),
        span,
    });
    Ok(())
}

/// The keyword as written (BuildKit reports unknown instructions in their own case).
fn raw_keyword(node: &Instruction) -> &str {
    let blank = |c: char| matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ');
    node.original.trim().split(blank).next().unwrap_or("")
}

/// BuildKit's `nodeArgs`: the flat argument list of an instruction, into `args`.
fn fill_node_args<'a>(node: &'a Instruction, args: &mut Vec<&'a str>) {
    args.clear();
    push_node_args(node, args);
}

fn push_node_args<'a>(node: &'a Instruction, args: &mut Vec<&'a str>) {
    match &node.args {
        Args::Empty => {}
        Args::Unknown => args.push(""),
        Args::Words(words) => args.extend(words.iter().map(|w| w.text.as_str())),
        Args::Pairs(pairs) => {
            for p in pairs {
                args.extend([
                    p.key.text.as_str(),
                    p.value.text.as_str(),
                    if p.legacy { "" } else { "=" },
                ]);
            }
        }
        Args::Trigger(child) => {
            args.push(raw_keyword(child));
            push_node_args(child, args);
        }
    }
}

fn at_least_one(command: &str) -> String {
    format!("{command} requires at least one argument")
}

/// BuildKit's `handleJSONArgs`: exec form as is, shell form joined into one string.
fn handle_json_args(args: &[&str], json: bool) -> Vec<String> {
    if args.is_empty() {
        return Vec::new();
    }
    if json {
        return args.iter().map(|a| a.to_string()).collect();
    }
    match args {
        // The usual shell form: one word, nothing to join.
        [only] => vec![only.to_string()],
        _ => vec![args.join(" ")],
    }
}

struct Request<'a> {
    node: &'a Instruction,
    args: &'a [&'a str],
    span: Span,
    escape: char,
}

impl Request<'_> {
    fn fail(&self, message: impl Into<String>) -> Error {
        (message.into(), self.span)
    }

    fn flags(&self, specs: &[FlagSpec]) -> Result<Flags, Error> {
        flags::parse(&self.node.flags, specs).map_err(|(message, _)| self.fail(message))
    }

    fn exactly_one(&self, command: &str) -> Result<(), Error> {
        if self.args.len() != 1 {
            return Err(self.fail(format!("{command} requires exactly one argument")));
        }
        Ok(())
    }

    fn at_least_one(&self, command: &str) -> Result<(), Error> {
        if self.args.is_empty() {
            return Err(self.fail(at_least_one(command)));
        }
        Ok(())
    }

    fn key_values(&self, command: &str) -> Result<Vec<KeyValue>, Error> {
        self.flags(&[])?;
        if self.args.is_empty() {
            return Err(self.fail(at_least_one(command)));
        }
        if !self.args.len().is_multiple_of(3) {
            return Err(self.fail(format!("Bad input to {command}, too many arguments")));
        }
        let mut pairs = Vec::with_capacity(self.args.len() / 3);
        for triple in self.args.chunks(3) {
            if triple[0].is_empty() {
                return Err(self.fail(format!("{command} names can not be blank")));
            }
            pairs.push(KeyValue {
                key: triple[0].to_string(),
                value: triple[1].to_string(),
                legacy: triple[2].is_empty(),
            });
        }
        Ok(pairs)
    }

    fn cmd_line(&self, empty_as_nil: bool) -> CmdLine {
        let files = self
            .node
            .heredocs
            .iter()
            .map(|h| InlineFile {
                name: h.name.clone(),
                data: h.content.clone(),
                chomp: h.chomp,
            })
            .collect();
        let args = handle_json_args(self.args, self.node.json);
        CmdLine {
            is_nil: empty_as_nil && args.is_empty(),
            args,
            prepend_shell: !self.node.json,
            files,
        }
    }

    fn sources_and_dest(&self, command: &str) -> Result<SourcesAndDest, Error> {
        let (dest, sources) = self
            .args
            .split_last()
            .ok_or_else(|| self.fail(no_destination(command)))?;
        if matches!(parse_heredoc(dest), Ok(Some(_))) {
            return Err(self.fail(format!(
                "{command} cannot accept a heredoc as a destination"
            )));
        }
        // Sources are rarely heredocs: size for all of them being plain paths.
        let sources_vec = Vec::with_capacity(sources.len());
        let mut paths = SourcesAndDest {
            dest: dest.to_string(),
            sources: sources_vec,
            contents: Vec::new(),
        };
        for source in sources {
            match parse_heredoc(source) {
                Ok(Some(head)) => {
                    // BuildKit looks bodies up by name; the last heredoc of a name wins.
                    let body = self
                        .node
                        .heredocs
                        .iter()
                        .rev()
                        .find(|h| h.name == head.name);
                    let data = body.map_or(String::new(), |h| h.content.clone());
                    let data = if head.chomp {
                        chomp_content(&data)
                    } else {
                        data
                    };
                    paths.contents.push(SourceContent {
                        path: head.name,
                        data,
                        expand: head.expand,
                    });
                }
                _ => paths.sources.push(source.to_string()),
            }
        }
        Ok(paths)
    }
}

fn no_destination(command: &str) -> String {
    format!("{command} requires at least two arguments, but only one was provided. Destination could not be determined")
}

fn parse_from(req: &Request, index: usize) -> Result<Stage, Error> {
    let args = req.args;
    let name = match args.len() {
        3 if args[1].eq_ignore_ascii_case("as") => {
            let name = args[2].to_lowercase();
            if !is_valid_stage_name(&name) {
                let message = format!(
                    "invalid name for build stage: {}, name can't start with a number or contain symbols",
                    crate::go_quote(args[2])
                );
                return Err(req.fail(message));
            }
            Some(name)
        }
        1 => None,
        _ => return Err(req.fail("FROM requires either one or three arguments")),
    };
    let flags = req.flags(&[flag("platform", FlagKind::String)])?;
    let comments = req.node.comments.clone();
    let doc_comment = name
        .as_deref()
        .map_or(String::new(), |n| doc_comment(&comments, n));
    Ok(Stage {
        index,
        name,
        base: args[0].to_string(),
        platform: flags.string("platform").cloned(),
        commands: Vec::new(),
        source_code: req.node.original.trim().to_string(),
        comments,
        doc_comment,
        span: req.span,
    })
}

/// `^[a-z][a-z0-9-_.]*$`
pub fn is_valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-' | '_' | '.'))
}

/// BuildKit's `getDocComment`: the first comment line starting with `<name> `.
fn doc_comment(comments: &[String], name: &str) -> String {
    if name.is_empty() {
        return String::new();
    }
    comments
        .iter()
        .find_map(|c| c.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or("")
        .to_string()
}

fn parse_add(req: &Request) -> Result<Add, Error> {
    if req.args.len() < 2 {
        return Err(req.fail(no_destination("ADD")));
    }
    let flags = req.flags(&[
        flag("chown", FlagKind::String),
        flag("chmod", FlagKind::String),
        flag("link", FlagKind::Bool),
        flag("keep-git-dir", FlagKind::Bool),
        flag("checksum", FlagKind::String),
        flag("unpack", FlagKind::Bool),
        flag("exclude", FlagKind::Strings),
    ])?;
    Ok(Add {
        paths: req.sources_and_dest("ADD")?,
        chown: flags.string("chown").cloned(),
        chmod: flags.string("chmod").cloned(),
        link: flags.bool("link").unwrap_or(false),
        keep_git_dir: flags.bool("keep-git-dir"),
        checksum: flags.string("checksum").cloned(),
        unpack: flags.bool("unpack"),
        excludes: flags.strings("exclude"),
    })
}

fn parse_copy(req: &Request) -> Result<Copy, Error> {
    if req.args.len() < 2 {
        return Err(req.fail(no_destination("COPY")));
    }
    let flags = req.flags(&[
        flag("chown", FlagKind::String),
        flag("from", FlagKind::String),
        flag("chmod", FlagKind::String),
        flag("link", FlagKind::Bool),
        flag("exclude", FlagKind::Strings),
        flag("parents", FlagKind::Bool),
    ])?;
    Ok(Copy {
        paths: req.sources_and_dest("COPY")?,
        from: flags.string("from").cloned(),
        chown: flags.string("chown").cloned(),
        chmod: flags.string("chmod").cloned(),
        link: flags.bool("link").unwrap_or(false),
        parents: flags.bool("parents").unwrap_or(false),
        excludes: flags.strings("exclude"),
    })
}

fn parse_onbuild(req: &Request) -> Result<String, Error> {
    req.at_least_one("ONBUILD")?;
    req.flags(&[])?;
    let trigger = req.args[0].trim().to_uppercase();
    match trigger.as_str() {
        "ONBUILD" => return Err(req.fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")),
        "MAINTAINER" | "FROM" => {
            return Err(req.fail(format!("{trigger} isn't allowed as an ONBUILD trigger")))
        }
        _ => {}
    }
    let mut expression = strip_onbuild_prefix(&req.node.original).to_string();
    for heredoc in &req.node.heredocs {
        expression.push('\n');
        expression.push_str(&heredoc.content);
        expression.push_str(&heredoc.name);
    }
    Ok(expression)
}

/// Removes `(?i)^\s*ONBUILD\s*` (Go `\s`: ASCII tab, LF, FF, CR, space).
fn strip_onbuild_prefix(original: &str) -> &str {
    let re_space = |c: char| matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ');
    let rest = original.trim_start_matches(re_space);
    match rest.get(..7) {
        Some(word) if word.eq_ignore_ascii_case("onbuild") => {
            rest[7..].trim_start_matches(re_space)
        }
        _ => original,
    }
}

fn parse_run(req: &Request) -> Result<Run, Error> {
    let flags = req.flags(&[
        flag("device", FlagKind::Strings),
        flag("mount", FlagKind::Strings),
        flag("network", FlagKind::String),
        flag("security", FlagKind::String),
    ])?;
    let mut devices = Vec::new();
    for value in flags.values("device") {
        devices.push(parse_device(&value.value).map_err(|m| req.fail(m))?);
    }
    let mut mounts = Vec::new();
    for raw in flags.values("mount") {
        // `parse_mount(value, None)` and then, when possible, `parse_mount(value, Some(..))`,
        // splitting the value once.
        let fields = mount::mount_fields(&raw.value).map_err(|m| req.fail(m))?;
        mount::parse_mount_fields(&fields, None).map_err(|m| req.fail(m))?;
        let parsed = (!raw.value.contains('$')).then(|| {
            let lexer = Lexer::new(req.escape);
            // Plain values (no quotes, escapes or `$`) expand to themselves.
            let plain = |v: &str| !v.contains(['\'', '"', '$', req.escape]);
            let expand = |v: &str| {
                if plain(v) {
                    return Ok(v.to_string());
                }
                lexer.process_word(v, &EmptyEnv).map_err(|e| e.message)
            };
            mount::parse_mount_fields(&fields, Some(&expand))
                .map(|m| m.expect("an expander yields a mount"))
        });
        mounts.push(MountFlag {
            raw: raw.clone(),
            parsed,
        });
    }
    let network = match flags
        .string("network")
        .map_or("default", |v| v.value.as_str())
    {
        "default" => Network::Default,
        "none" => Network::None,
        "host" => Network::Host,
        other => return Err(req.fail(format!("invalid network mode {}", crate::go_quote(other)))),
    };
    let security = match flags
        .string("security")
        .map_or("sandbox", |v| v.value.as_str())
    {
        "sandbox" => Security::Sandbox,
        "insecure" => Security::Insecure,
        other => return Err(req.fail(format!("security {} is not valid", crate::go_quote(other)))),
    };
    Ok(Run {
        cmd: req.cmd_line(false),
        mounts,
        network,
        security,
        devices,
        flags_used: flags.used(),
    })
}

/// `--device=name[,required]` (BuildKit's `ParseDevice`).
fn parse_device(value: &str) -> Result<Device, String> {
    let fields =
        super::csv::fields(value).map_err(|e| format!("failed to parse csv devices: {e}"))?;
    let mut device = Device {
        name: String::new(),
        required: false,
    };
    for field in fields {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.to_lowercase(), Some(v.to_string())),
            None => (field.to_lowercase(), None),
        };
        match (key.as_str(), value) {
            ("required", None) => device.required = true,
            (_, None) if device.name.is_empty() => device.name = field.to_string(),
            (_, None) => return Err(format!("invalid field '{field}' must be a key=value pair")),
            ("name", Some(v)) => {
                if !device.name.is_empty() {
                    return Err(format!("device name already set to {}", device.name));
                }
                device.name = v;
            }
            ("required", Some(v)) => {
                device.required =
                    mount::parse_bool(&v).ok_or_else(|| format!("invalid value for {key}: {v}"))?;
            }
            (_, Some(_)) if device.name.is_empty() => device.name = field.to_string(),
            (_, Some(_)) => {
                let message = format!("unexpected key '{key}' in '{field}'");
                return Err(suggest::wrap(message, &key, &["name", "required"], true));
            }
        }
    }
    Ok(device)
}

fn parse_healthcheck(req: &Request) -> Result<Health, Error> {
    req.at_least_one("HEALTHCHECK")?;
    let kind = req.args[0].to_uppercase();
    let rest = &req.args[1..];
    if kind == "NONE" {
        if !rest.is_empty() {
            return Err(req.fail("HEALTHCHECK NONE takes no arguments"));
        }
        return Ok(Health {
            test: vec![kind],
            interval: 0,
            timeout: 0,
            start_period: 0,
            start_interval: 0,
            retries: 0,
        });
    }
    let flags = req.flags(&[
        flag("interval", FlagKind::String),
        flag("timeout", FlagKind::String),
        flag("start-period", FlagKind::String),
        flag("start-interval", FlagKind::String),
        flag("retries", FlagKind::String),
    ])?;
    let test = match kind.as_str() {
        "CMD" => {
            let cmd = handle_json_args(rest, req.node.json);
            if cmd.is_empty() {
                return Err(req.fail("Missing command after HEALTHCHECK CMD"));
            }
            let kind = if req.node.json { "CMD" } else { "CMD-SHELL" };
            std::iter::once(kind.to_string()).chain(cmd).collect()
        }
        _ => {
            return Err(req.fail(format!(
                "Unknown type {} in HEALTHCHECK (try CMD)",
                crate::go_quote(&kind)
            )))
        }
    };
    let interval = |name: &str| -> Result<i64, Error> {
        let value = flags.string(name).map_or("", |v| v.value.as_str());
        if value.is_empty() {
            return Ok(0);
        }
        let d = duration::parse_duration(value).map_err(|m| req.fail(m))?;
        if d != 0 && d < 1_000_000 {
            return Err(req.fail(format!(
                "Interval {} cannot be less than 1ms",
                crate::go_quote(name)
            )));
        }
        Ok(d)
    };
    let retries = match flags.string("retries").map(|v| v.value.as_str()) {
        None | Some("") => 0,
        Some(value) => {
            let retries = parse_go_int32(value).map_err(|m| req.fail(m))?;
            if retries < 0 {
                return Err(req.fail(format!("--retries cannot be negative ({retries})")));
            }
            retries
        }
    };
    Ok(Health {
        test,
        interval: interval("interval")?,
        timeout: interval("timeout")?,
        start_period: interval("start-period")?,
        start_interval: interval("start-interval")?,
        retries,
    })
}

/// Go's `strconv.ParseInt(value, 10, 32)` with its error texts.
fn parse_go_int32(value: &str) -> Result<i32, String> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            crate::go_quote(value)
        ));
    }
    value.parse::<i32>().map_err(|_| {
        format!(
            "strconv.ParseInt: parsing {}: value out of range",
            crate::go_quote(value)
        )
    })
}

fn parse_arg(req: &Request) -> Result<Vec<ArgDecl>, Error> {
    if req.args.is_empty() {
        return Err(req.fail(at_least_one("ARG")));
    }
    let mut decls = Vec::new();
    for arg in req.args {
        let (key, value) = match arg.split_once('=') {
            Some((key, value)) => (key.to_string(), Some(value.to_string())),
            None => (arg.to_string(), None),
        };
        if key.is_empty() && value.is_some() {
            return Err(req.fail("ARG names can not be blank"));
        }
        let doc_comment = doc_comment(&req.node.comments, &key);
        decls.push(ArgDecl {
            key,
            value,
            doc_comment,
        });
    }
    Ok(decls)
}
