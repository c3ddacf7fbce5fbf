//! `cache-mounts`: give package managers and build tools a BuildKit cache mount.
//!
//! ## What it does
//!
//! For each shell-form RUN that calls a known tool, adds
//! `--mount=type=cache,id=…,target=<dir>` for the tool's download/build cache
//! (the directories are listed once, in [`crate::cache_dirs`]), makes the tool
//! really use it, and drops cleanups that would only empty the mounted cache:
//!
//! ```dockerfile
//! RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
//! ```
//! becomes
//! ```dockerfile
//! RUN --mount=type=cache,id=dfopt-apt-cache-linux/amd64-debian:12,target=/var/cache/apt,sharing=locked \
//!     --mount=type=cache,id=dfopt-apt-lists-linux/amd64-debian:12,target=/var/lib/apt/lists,sharing=locked \
//!     apt-get -o Dir::Cache::archives=/var/cache/apt/archives-dfopt/ -o APT::Keep-Downloaded-Packages=true update && …
//! ```
//!
//! ## Why
//!
//! A rebuilt RUN downloads everything again. A cache mount survives between
//! builds on the same builder and never enters the image, so the image is the
//! same except inside the cache directories (optimization-safety.md, target
//! equivalence (a)).
//!
//! ## Per tool (optimization-safety.md §1.4)
//!
//! - **apt/apt-get** (root only, `sharing=locked`): `/var/cache/apt` for any
//!   install-like call; `/var/lib/apt/lists` only when the first apt call of
//!   the RUN is `update` *and* the RUN deletes the lists after the last
//!   command that writes them (`update`, `add-apt-repository`), so neither
//!   this RUN nor any later step or child image relied on lists from the
//!   image (in `update; install a; rm lists; update; install b` the lists of
//!   the second `update` stay in the image, so they are not mounted). The
//!   Debian/Ubuntu `docker-clean` file runs `rm -f /var/cache/apt/archives/*.deb`
//!   after every dpkg call; instead of deleting or masking it (that would change
//!   `/etc` of the image or need a file to bind), every `apt-get`/`apt` call of
//!   the RUN gets `-o Dir::Cache::archives=/var/cache/apt/archives-dfopt/`:
//!   downloads go to a directory inside the mount that the hook's hard-coded
//!   globs do not match (apt creates it and its `partial/`), and
//!   `-o APT::Keep-Downloaded-Packages=true` stops the `apt` front end from
//!   deleting them itself. Command-line `-o` is applied after all config
//!   files, so it holds whatever `apt.conf.d` says. Calls the pass cannot see
//!   (inside scripts) just do not fill the cache. `apt-get clean` and deletions
//!   inside the mounted directories are dropped. Not fired for
//!   `--download-only` (the downloads are kept on purpose: state, not cache)
//!   nor `--no-download` (it installs from what is in the image's cache).
//! - **pip** (`pip`, `pip3`, `python -m pip`): the cache directory (from
//!   `PIP_CACHE_DIR`, `XDG_CACHE_HOME`, `$HOME`). Every `--no-cache-dir` becomes
//!   `--cache-dir=<mount>`: a command-line option beats `PIP_NO_CACHE_DIR`,
//!   `PIP_CACHE_DIR` and `pip.conf`, so the cache is really used and can only
//!   land in the mount — never in the image, as before. Calls without the
//!   flag keep writing where they wrote (the mount when the location was
//!   computed right, else the same place as before). When `pip cache purge|remove`
//!   is dropped, every pip call of the RUN also gets `--cache-dir=<mount>`, so
//!   what the cleanup removed can only have gone to the mount. Not fired when a
//!   call passes its own `--cache-dir`.
//! - **uv**: like pip: `--no-cache` becomes `--cache-dir=<mount>`, `uv cache clean`
//!   is dropped and then every uv call gets `--cache-dir=<mount>` (a `-n` short
//!   flag makes the pass decline). uv copies instead
//!   of hard-linking across the mount (it warns; the result is the same).
//! - **poetry**: only `<cache>/cache` and `<cache>/artifacts`, never the cache
//!   root, whose `virtualenvs/` holds installed environments; `poetry cache clear`
//!   is dropped.
//! - **npm**: the cache (`npm_config_cache` or `~/.npm`); `npm cache clean --force`
//!   is dropped, and then the npm calls of the RUN get `--cache=<mount>` so
//!   nothing they download can stay behind in the image.
//! - **yarn v1** (`sharing=locked`): `YARN_CACHE_FOLDER`, or
//!   `/usr/local/share/.cache/yarn` for root; `yarn cache clean` is dropped.
//!   Not fired when the Dockerfile shows Yarn 2+ (`corepack`, `yarn set
//!   version`, `.yarnrc.yml`, `yarnPath`, `--immutable`): with Plug'n'Play its
//!   cache holds the installed packages.
//! - **pnpm** (state): the store (`PNPM_HOME/store`, `XDG_DATA_HOME`, `~/.local/share/pnpm/store`).
//! - **go**: `GOCACHE` on every build-like `go` call; `GOMODCACHE` (state) on
//!   every `go` call of the stage family or none; `go clean -cache/-modcache`
//!   dropped when the cleaned directories are mounted.
//! - **cargo** (state): `$CARGO_HOME/registry` and `$CARGO_HOME/git` only —
//!   never `CARGO_HOME` (it holds `bin/`) nor `target/`.
//! - **maven** (state): `~/.m2/repository` only (not `~/.m2`, which holds `settings.xml`).
//! - **gradle** (state): `~/.gradle/caches` and `~/.gradle/wrapper` (not `gradle.properties`, `init.d`).
//! - **apk** (root, `sharing=locked`): `/var/cache/apk`, only when every
//!   `apk add|upgrade|fix` fetches a fresh index in the RUN (`--no-cache`, `-U`,
//!   or an earlier `apk update`) and the original left no cache behind
//!   (`--no-cache` everywhere, or the RUN deletes `/var/cache/apk/*`). apk
//!   caches packages only when told where: each call gets
//!   `--cache-dir /var/cache/apk` and `--no-cache` becomes `--update-cache`
//!   (same freshness). `apk cache clean` and deletions inside are dropped.
//! - **dnf/dnf5** (root, `sharing=locked`): `/var/cache/dnf` and
//!   `/var/cache/libdnf5`; install-like calls get `--setopt=keepcache=1
//!   --refresh` (keep packages; fetch metadata as fresh as an empty cache
//!   would); `dnf clean …` is dropped. `yum` and `microdnf` are not handled
//!   (yum 3 has no `--refresh`).
//!
//! - **bundler/gem** (state), **composer**, **dotnet** (state),
//!   **conda/mamba/micromamba** (state): see
//!   `app_tools.rs` for where their caches are and when they are left alone.
//! - **cross-compile wrappers**: `xx-go` and `xx-cargo` (tonistiigi/xx) run
//!   `go`/`cargo` with the target's settings and are handled as those tools.
//!   `xx-apt-get` and `xx-apk` rewrite their arguments (package names get the
//!   target architecture) and maintain their own sources, so they get nothing.
//!
//! "State" directories are read again by later steps (a module cache, a
//! Maven repository): they are mounted on every RUN of the stage family (the
//! stage and the stages built `FROM` it) that uses the tool, or on none — and
//! on none when any of those RUNs cannot get the mount, runs offline
//! (`--network=none`, `--offline`, `GOPROXY=off`, …), or when a `COPY --from`
//! takes files from the directory.
//!
//! **Prefetch steps** (`go mod download`, `cargo fetch`, `mvn
//! dependency:go-offline`, `gradle dependencies`, `pnpm fetch`, `npm ci
//! --prefer-offline`, `npm cache add`) exist to put downloads into the image
//! for a later step (`make`, `./build.sh`, an offline build). Their directory
//! is mounted only when every later RUN of the stage and of the stages built
//! from it gets the same mount, or runs only commands that never read it
//! (`apt-get`, `useradd`, `mkdir`, …); otherwise it stays in the image for
//! the whole family. npm's cache is handled as state in a file that
//! prefetches into it.
//!
//! Mount ids are `dfopt-<dir>-<platform>-<root base image>`, so caches are
//! never shared across base images or platforms (optimization-safety.md
//! §1.3.3). They name what the build resolves: when the platform or the
//! base image is not known (the offline CLI without `--platform`, `FROM
//! $BASE` whose ARG a build-arg may still change) no mount is added and the
//! change record says what was not known; `FROM --platform=$BUILDPLATFORM`
//! unresolved is named `buildplatform` (one builder, one build platform).
//!
//! **Non-root users.** A numeric `USER uid[:gid]` gets `uid=`/`gid=` on the
//! mount and its uid in the id. BuildKit creates a missing mount point and
//! its parents as root-owned directories that stay in the image
//! (moby/buildkit#3153): under the user's home (`~/.cache`) that would break
//! the user's own writes at run time. So for non-root users the pass mounts
//! only where a call is redirected on its command line (pip/uv
//! `--cache-dir=`, npm `--cache=`), at `/var/cache/dfopt/<dir>`, and declines
//! the other tools (reported).
//!
//! ## Safety conditions — the pass does not fire when
//!
//! - the RUN is in exec form, has a heredoc, has `# dfopt:keep` above it, the
//!   stage's shell is not POSIX, or the image is Windows;
//! - the command cannot be read with certainty (see `shell.rs`);
//! - the user is a name (`USER app`): mounts need numeric ids, and the home
//!   directory is unknown — reported; root-only tools under a non-root user;
//! - a directory's location depends on an unknown value (reported);
//! - the RUN already mounts the directory, a parent or a child of it;
//! - any `--mount` of the RUN depends on variables;
//! - the RUN deletes the directory itself, a parent of it, or a path the pass
//!   cannot resolve (`rm -rf ~/.cache` with `~/.cache/pip` mounted would fail
//!   with "device busy"), or deletes inside it without `-f` (reported);
//! - a system package manager (apt, apk, dnf) runs with `--network=none`: it
//!   can only use packages already in the image's cache directory, which a
//!   mount would hide;
//! - the tool-specific conditions above are not met.
//!
//! Cleanups are dropped only in the RUN that now mounts the directory. A
//! tool's own cleanup command (`go clean -modcache`, `yarn cache clean`,
//! `poetry cache clear`) empties the tool's *real* directory: it is dropped
//! only when that is surely the mount — a fixed path (apt, apk, dnf), calls
//! redirected on their command line (pip, uv, npm), or a location computed
//! from a known image config — and kept (reported in the change) otherwise.
//! Without the base image config (see [`crate::Options::images`]), the pass
//! assumes root and the official image's environment (`GOPATH=/go` for
//! `golang`, `CARGO_HOME=/usr/local/cargo` for `rust`) and says so; a wrong
//! guess only leaves the mount unused.
//!
//! ## Applicability
//!
//! Stable, on by default. The image differs only inside the declared cache
//! directories (and by the empty mount points BuildKit leaves, also there).

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::instructions::mount::{MountType, Sharing};
use dfopt_dockerfile::instructions::{CommandKind, Network};

use crate::cache_dirs::{dirs_of, resolve, Tool, CACHE_DIRS, ID_PREFIX, NONROOT_BASE};
use crate::change::{Change, ChangeKind};
use crate::facts::{normalize, CmdFacts, StageFacts, User};
use crate::shell::{apply_edits, literal, path_pattern, Edit, PathPattern, Script, SimpleCmd};
use crate::work::{is_kept, parse_alone, Cx, Printed};

mod app_tools;

pub(crate) const ID: &str = "cache-mounts";

const APT_OPTIONS: &str =
    " -o Dir::Cache::archives=/var/cache/apt/archives-dfopt/ -o APT::Keep-Downloaded-Packages=true";

/// An edit that applies only if all the listed directories are mounted.
#[derive(Clone, Debug)]
struct Gated {
    edit: Edit,
    requires: Vec<usize>,
}

/// A command to drop when the listed directories are mounted.
#[derive(Clone, Debug)]
struct Drop {
    cmd: usize,
    requires: Vec<usize>,
}

#[derive(Clone, Debug)]
struct ToolPlan {
    tool: Tool,
    /// Directories wanted (indices into `CACHE_DIRS`).
    wants: Vec<usize>,
    edits: Vec<Gated>,
    drops: Vec<Drop>,
    /// Edits that send the tool's calls to the mount; applied only when a
    /// cleanup of the tool is dropped (what the cleanup emptied can then
    /// never have been written outside the mount).
    redirects: Vec<Gated>,
    /// Sentences for the change record.
    why: Vec<String>,
    /// The RUN works offline for this tool (state directories must not be mounted).
    offline: bool,
    /// The tool's directory may be mounted only if the RUN also cleaned it (apk).
    needs_cleanup: bool,
    /// The last command that writes the apt lists (`update`,
    /// `add-apt-repository`): the lists may be mounted only when a deletion
    /// of them comes after it.
    last_writer: Option<usize>,
    /// The RUN prefetches into the directory (`go mod download`, `cargo fetch`,
    /// `mvn dependency:go-offline`, `gradle dependencies`, `pnpm fetch`,
    /// `npm ci --prefer-offline`): a later step exists to read what it put there.
    prefetch: bool,
}

/// A deletion argument (`rm`, `rmdir`, `find`).
#[derive(Clone, Debug)]
struct Deletion {
    cmd: usize,
    tok: usize,
    /// `None`: the path is not known.
    pattern: Option<PathPattern>,
    /// A relative path with an unknown working directory.
    floating: bool,
    /// `rm -f` (missing files are fine, it never fails on them).
    force: bool,
    /// From `rm` (its arguments can be dropped one by one).
    rm: bool,
}

enum Relation {
    Inside,
    Dangerous,
    Unrelated,
}

struct RunPlan {
    stage: usize,
    index: usize,
    printed: Printed,
    script: Script,
    facts: CmdFacts,
    tools: Vec<ToolPlan>,
    /// Directory → target, for the directories still planned.
    targets: BTreeMap<usize, String>,
    deletions: Vec<Deletion>,
    network_none: bool,
}

/// A RUN that needs a state directory.
struct Sighting {
    stage: usize,
    index: usize,
    dir: usize,
    /// The RUN was read and planned (it may get the mount); otherwise it
    /// cannot get one.
    planned: bool,
}

/// The state directories a RUN needs: known when its command was read.
enum Needs {
    Known(BTreeSet<usize>),
    Unknown,
}

pub(crate) fn run(cx: &mut Cx) {
    let facts = cx.facts();
    let mut plans: Vec<RunPlan> = Vec::new();
    let mut sightings: Vec<Sighting> = Vec::new();
    let mut reports: Vec<(usize, usize, String, String)> = Vec::new();
    for (s, sf) in facts.iter().enumerate() {
        for i in 0..cx.work.ir.stages[s].commands.len() {
            if !matches!(cx.work.ir.stages[s].commands[i].kind, CommandKind::Run(_)) {
                continue;
            }
            let (planned, needs) = plan_run(cx, sf, s, i, &mut reports);
            let needs: BTreeSet<usize> = match needs {
                Needs::Known(n) => n,
                Needs::Unknown => crude_tools(cx, s, i)
                    .into_iter()
                    .flat_map(|t| dirs_of(t).filter(|(_, d)| d.state).map(|(i, _)| i))
                    .collect(),
            };
            for dir in needs {
                sightings.push(Sighting {
                    stage: s,
                    index: i,
                    dir,
                    planned: planned.is_some(),
                });
            }
            if let Some(p) = planned {
                plans.push(p);
            }
        }
    }
    for p in plans.iter_mut() {
        drop_emptied_caches(p, &facts[p.stage], &mut reports);
    }
    plans.retain(|p| !p.targets.is_empty());
    // npm's cache is a pure cache, unless a RUN prefetches into it for a later
    // one (`npm ci --prefer-offline`): then it is handled as state.
    let mut as_state: BTreeSet<usize> = BTreeSet::new();
    let npm = dir_index("npm");
    if plans
        .iter()
        .any(|p| p.tools.iter().any(|t| t.tool == Tool::Npm && t.prefetch))
    {
        as_state.insert(npm);
        for p in &plans {
            if p.tools
                .iter()
                .any(|t| t.tool == Tool::Npm && t.wants.contains(&npm))
            {
                sightings.push(Sighting {
                    stage: p.stage,
                    index: p.index,
                    dir: npm,
                    planned: true,
                });
            }
        }
    }
    state_groups(cx, &facts, &mut plans, &sightings, &as_state, &mut reports);
    for plan in plans {
        apply(cx, &facts, plan, &mut reports);
    }
    for (s, i, title, reason) in reports {
        let ranges = cx.ranges(s, i);
        cx.report(ID, ranges, title, reason);
    }
}

/// Which tools a RUN seems to use, from its words alone (any form).
fn crude_tools(cx: &Cx, s: usize, i: usize) -> BTreeSet<Tool> {
    let mut out = BTreeSet::new();
    let CommandKind::Run(run) = &cx.work.ir.stages[s].commands[i].kind else {
        return out;
    };
    let mut text = run.cmd.args.join(" ");
    for f in &run.cmd.files {
        text.push('\n');
        text.push_str(&f.data);
    }
    for word in text.split(|c: char| c.is_whitespace() || ";&|()`'\"".contains(c)) {
        let base = word.rsplit('/').next().unwrap_or(word);
        let tool = match base {
            "pnpm" => Tool::Pnpm,
            "go" | "xx-go" => Tool::Go,
            "cargo" | "xx-cargo" => Tool::Cargo,
            "mvn" | "mvnw" => Tool::Maven,
            "gradle" | "gradlew" => Tool::Gradle,
            "bundle" | "bundler" | "gem" => Tool::Bundler,
            "dotnet" => Tool::Dotnet,
            "conda" | "mamba" | "micromamba" => Tool::Conda,
            _ => continue,
        };
        out.insert(tool);
    }
    out
}

fn plan_run(
    cx: &Cx,
    sf: &StageFacts,
    s: usize,
    i: usize,
    reports: &mut Vec<(usize, usize, String, String)>,
) -> (Option<RunPlan>, Needs) {
    let cmd = &cx.work.ir.stages[s].commands[i];
    let CommandKind::Run(run) = &cmd.kind else {
        return (None, Needs::Known(BTreeSet::new()));
    };
    if sf.windows || !run.cmd.prepend_shell || !run.cmd.files.is_empty() || is_kept(&cmd.comments) {
        return (None, Needs::Unknown);
    }
    let Some(facts) = sf.before.get(i).cloned() else {
        return (None, Needs::Unknown);
    };
    if !facts.posix_shell() {
        return (None, Needs::Unknown);
    }
    let Some(printed) = cx.printed(s, i) else {
        return (None, Needs::Unknown);
    };
    if printed.instr.has_heredocs || printed.instr.json {
        return (None, Needs::Unknown);
    }
    let script = match Script::parse(printed.args()) {
        Ok(script) => script,
        Err(why) => {
            if looks_like_tool_use(printed.args()) {
                reports.push((
                    s,
                    i,
                    "No cache mount added: the shell command could not be read with certainty"
                        .into(),
                    format!("It uses {}.", why.0),
                ));
            }
            return (None, Needs::Unknown);
        }
    };
    let tools = detect(cx, &script, &facts, s);
    let needs: BTreeSet<usize> = tools
        .iter()
        .flat_map(|t| t.wants.iter().copied())
        .filter(|&d| CACHE_DIRS[d].state)
        .collect();
    if !tools.is_empty() && (sf.platform.is_none() || sf.root_image.is_none()) {
        let what = match (&sf.platform, &sf.root_image) {
            (None, None) => "the platform and the base image are",
            (None, _) => "the platform is",
            _ => "the base image is",
        };
        reports.push((
            s,
            i,
            "No cache mount added: the cache id cannot name the platform and base image".into(),
            format!(
                "Cache ids name the platform and base image the build uses, so that builds for \
                 other platforms or bases never share a cache, and {what} not known here (a \
                 build-arg could still change it, or no platform was given): pass `--platform` \
                 and the `--build-arg`s of the build, or build with the frontend, which knows both."
            ),
        ));
        return (None, Needs::Known(needs));
    }
    let plan = plan_tools(s, i, run, printed, script, facts, tools, reports);
    (plan, Needs::Known(needs))
}

#[allow(clippy::too_many_arguments)]
fn plan_tools(
    s: usize,
    i: usize,
    run: &dfopt_dockerfile::instructions::Run,
    printed: Printed,
    script: Script,
    facts: CmdFacts,
    tools: Vec<ToolPlan>,
    reports: &mut Vec<(usize, usize, String, String)>,
) -> Option<RunPlan> {
    if tools.is_empty() {
        return None;
    }
    let names = tools
        .iter()
        .map(|t| t.tool.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let decline = |reports: &mut Vec<_>, why: String| {
        reports.push((s, i, format!("No cache mount added for {names}"), why));
    };
    match &facts.user {
        User::Named(u) => {
            decline(reports, format!("The RUN runs as USER `{u}`, a name: cache mounts need numeric uid/gid, which only the image's /etc/passwd knows. Use a numeric USER to enable caching."));
            return None;
        }
        User::Unknown => {
            decline(
                reports,
                "The USER depends on a value that is not known before the build.".into(),
            );
            return None;
        }
        _ => {}
    }
    for m in &run.mounts {
        if !matches!(m.parsed, Some(Ok(_))) {
            decline(
                reports,
                "A `--mount` of this RUN depends on variables, so its target is not known.".into(),
            );
            return None;
        }
    }
    let deletions = deletions(&script, &facts);
    let mut plan = RunPlan {
        stage: s,
        index: i,
        printed,
        script,
        facts,
        tools,
        targets: BTreeMap::new(),
        deletions,
        network_none: run.network == Network::None,
    };
    let existing: Vec<(String, String)> = run
        .mounts
        .iter()
        .filter_map(|m| match &m.parsed {
            // Secrets and SSH agents without a target go under /run (/run/secrets/<id>, /run/buildkit/ssh_agent.N).
            Some(Ok(mount))
                if mount.target.is_empty()
                    && matches!(mount.kind, MountType::Secret | MountType::Ssh) =>
            {
                None
            }
            Some(Ok(mount)) => Some((mount.target.clone(), mount.id.clone())),
            _ => None,
        })
        .collect();
    let mut tools = std::mem::take(&mut plan.tools);
    if plan.network_none {
        // Without network a system package manager can only use packages already in the image's cache directory.
        tools.retain(|t| {
            let system = matches!(t.tool, Tool::Apt | Tool::Apk | Tool::Dnf);
            if system {
                reports.push((
                    s,
                    i,
                    format!("No cache mount added for {}", t.tool.as_str()),
                    "The RUN has `--network=none`: it can only install what the image already holds in the cache directory, which a mount would hide.".into(),
                ));
            }
            !system
        });
    }
    for tool in &mut tools {
        let mut kept = Vec::new();
        for &d in &tool.wants {
            let dir = &CACHE_DIRS[d];
            // Mounted by this pass before (an earlier round, or a file it rendered).
            let own = format!("{ID_PREFIX}{}-", dir.name);
            if existing.iter().any(|(_, id)| id.starts_with(&own)) {
                continue;
            }
            if dir.root_only && plan.facts.user != User::Root {
                decline(
                    reports,
                    format!(
                        "{} runs as a non-root user here; it needs root.",
                        tool.tool.as_str()
                    ),
                );
                continue;
            }
            let resolved = match plan.facts.user {
                User::Numeric { .. } => {
                    // Only tools whose calls here are redirected to the mount on the command line.
                    let marker = format!("@{}@", dir.name);
                    let redirected = tool.edits.iter().any(|e| e.edit.text.contains(&marker))
                        || (!tool.drops.is_empty()
                            && tool.redirects.iter().any(|e| e.edit.text.contains(&marker)));
                    if !redirected {
                        reports.push((
                            s,
                            i,
                            format!("No `{}` cache mount added", dir.name),
                            "The RUN runs as a non-root user: BuildKit would leave the mount point and its missing parents \
                             (such as `~/.cache`) in the image as root-owned directories this user could not write. For \
                             non-root users only calls redirected on their command line get a mount (pip/uv `--no-cache-dir`/`--no-cache`, \
                             npm after `npm cache clean --force`)."
                                .to_string(),
                        ));
                        continue;
                    }
                    Ok(format!("{NONROOT_BASE}/{}", dir.name))
                }
                _ => resolve(dir, &plan.facts),
            };
            let target = match resolved {
                Ok(t) => t,
                Err(why) => {
                    reports.push((
                        s,
                        i,
                        format!("No `{}` cache mount added", dir.name),
                        format!("Its location is not known: {why}."),
                    ));
                    continue;
                }
            };
            if ["/dev", "/proc", "/sys"]
                .iter()
                .any(|p| target == *p || is_inside(&target, p))
            {
                reports.push((
                    s,
                    i,
                    format!("No `{}` cache mount added", dir.name),
                    format!("The directory is `{target}`, a system path (`/dev/null` turns the cache off)."),
                ));
                continue;
            }
            if target.contains([',', '"', '\'', '$', '\\', '`'])
                || target.chars().any(char::is_whitespace)
                || target == "/"
            {
                reports.push((
                    s,
                    i,
                    format!("No `{}` cache mount added", dir.name),
                    format!("The directory `{target}` cannot be written in a mount flag safely."),
                ));
                continue;
            }
            let clash = existing.iter().find(|(t, _)| {
                let t = if t.starts_with('/') {
                    normalize(t)
                } else {
                    String::new()
                };
                t.is_empty() || t == target || is_inside(&t, &target) || is_inside(&target, &t)
            });
            if let Some((t, id)) = clash {
                if !id.starts_with(ID_PREFIX) && *t != target {
                    reports.push((
                        s,
                        i,
                        format!("No `{}` cache mount added", dir.name),
                        format!("The RUN already mounts `{t}`, which overlaps `{target}`."),
                    ));
                }
                continue;
            }
            if let Err(what) = relation_all(&plan.deletions, &target) {
                reports.push((
                    s,
                    i,
                    format!("No `{}` cache mount added", dir.name),
                    format!("The RUN deletes {what}, which with `{target}` mounted would fail (device busy) or empty the cache."),
                ));
                continue;
            }
            plan.targets.insert(d, target);
            kept.push(d);
        }
        tool.wants = kept;
    }
    plan.tools = tools;
    tool_conditions(&mut plan);
    plan.tools.retain(|t| !t.wants.is_empty());
    if plan.tools.is_empty() {
        return None;
    }
    Some(plan)
}

fn looks_like_tool_use(text: &str) -> bool {
    [
        "apt-get", "apt ", "pip", "npm", "yarn", "pnpm", "go ", "cargo", "mvn", "gradle", "apk ",
        "dnf", "uv ", "poetry", "bundle", "gem ", "composer", "dotnet", "conda", "mamba",
    ]
    .iter()
    .any(|t| text.contains(t))
}

fn is_inside(path: &str, dir: &str) -> bool {
    dir == "/"
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Ancestors of `path` and itself (`/var/lib` → `/`, `/var`, `/var/lib`).
fn ancestors_or_self(path: &str) -> Vec<String> {
    let mut out = vec!["/".to_string()];
    let mut cur = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        cur.push('/');
        cur.push_str(part);
        out.push(cur.clone());
    }
    out
}

fn relation(del: &Deletion, target: &str) -> Relation {
    let Some(p) = &del.pattern else {
        return Relation::Dangerous;
    };
    if del.floating {
        if p.text.is_empty()
            || p.text == "."
            || p.text == ".."
            || p.text.starts_with("../")
            || p.text.starts_with("./")
        {
            return Relation::Dangerous;
        }
        for a in ancestors_or_self(target) {
            let parts: Vec<&str> = a.split('/').filter(|x| !x.is_empty()).collect();
            for k in 0..parts.len() {
                let suffix = parts[k..].join("/");
                if p.matches(&suffix) || p.matches(&format!("{suffix}/")) {
                    return Relation::Dangerous;
                }
            }
        }
        return Relation::Unrelated;
    }
    let text = p.text.trim_end_matches('/');
    let text = if text.is_empty() { "/" } else { text };
    let literal_prefix = p.literal_prefix();
    if p.wild.is_empty() {
        let n = normalize(text);
        if n == target || is_inside(&n, target) {
            return if del.force && del.rm {
                Relation::Inside
            } else {
                Relation::Dangerous
            };
        }
        if is_inside(target, &n) {
            return Relation::Dangerous;
        }
        return Relation::Unrelated;
    }
    if literal_prefix.starts_with(&format!("{target}/")) {
        return if del.force && del.rm {
            Relation::Inside
        } else {
            Relation::Dangerous
        };
    }
    for a in ancestors_or_self(target) {
        if p.matches(&a) || p.matches(&format!("{a}/")) {
            return Relation::Dangerous;
        }
    }
    Relation::Unrelated
}

/// `Err(what)` when some deletion makes mounting `target` unsafe.
fn relation_all(dels: &[Deletion], target: &str) -> Result<(), String> {
    for d in dels {
        if let Relation::Dangerous = relation(d, target) {
            let what = match &d.pattern {
                Some(p) if !d.floating => format!("`{}`", p.text),
                Some(p) => format!("`{}` relative to an unknown directory", p.text),
                None => "a path that is not known before the build".to_string(),
            };
            return Err(what);
        }
    }
    Ok(())
}

/// Deletion arguments of `rm`, `rmdir` and `find` in the script.
fn deletions(script: &Script, facts: &CmdFacts) -> Vec<Deletion> {
    let home = facts.home();
    let mut out = Vec::new();
    let mut cwd_known = facts.workdir.clone();
    for (ci, c) in script.cmds.iter().enumerate() {
        let name = script.base_name(c);
        if matches!(name.as_deref(), Some("cd" | "pushd" | "popd")) {
            cwd_known = None;
            continue;
        }
        let (rm, rmdir, find) = match name.as_deref() {
            Some("rm") => (true, false, false),
            Some("rmdir") => (false, true, false),
            Some("find") => (false, false, true),
            None if c.argv.is_empty() => continue,
            None => {
                // An unknown command name could be anything; it is not a deletion we can see.
                continue;
            }
            _ => continue,
        };
        if find {
            // Only a find that deletes or runs commands can touch the directory.
            let acts = script.args(c).iter().any(|a| {
                a.as_deref().is_none_or(|a| {
                    matches!(a, "-delete" | "-exec" | "-execdir" | "-ok" | "-okdir")
                })
            });
            if !acts {
                continue;
            }
        }
        let mut force = false;
        let mut options_done = false;
        for &tok in &c.argv[1..] {
            let word = script.word(tok);
            let lit = literal(word);
            if rm || rmdir {
                if !options_done {
                    match lit.as_deref() {
                        Some("--") => {
                            options_done = true;
                            continue;
                        }
                        Some(o) if o.starts_with("--") => {
                            if o == "--force" {
                                force = true;
                            }
                            continue;
                        }
                        Some(o) if o.starts_with('-') && o.len() > 1 => {
                            if o.contains('f') {
                                force = true;
                            }
                            continue;
                        }
                        _ => {}
                    }
                }
            } else if find {
                // Start paths come before the first expression word.
                if lit
                    .as_deref()
                    .is_some_and(|l| l.starts_with('-') || l == "(" || l == "!" || l == "\\(")
                {
                    break;
                }
            }
            let pattern = path_pattern(word, home.as_deref());
            let (pattern, floating) = match pattern {
                Some(p) if p.text.starts_with('/') => (Some(p), false),
                Some(p) => match &cwd_known {
                    Some(cwd) => {
                        let shift = cwd.len() + 1;
                        let text = format!("{cwd}/{}", p.text);
                        let wild = p.wild.iter().map(|w| w + shift).collect();
                        (Some(PathPattern { text, wild }), false)
                    }
                    None => (Some(p), true),
                },
                None => (None, false),
            };
            out.push(Deletion {
                cmd: ci,
                tok,
                pattern,
                floating,
                force: force && rm,
                rm,
            });
        }
    }
    out
}

fn sub_and_args(
    script: &Script,
    c: &SimpleCmd,
    takes_value: &[&str],
) -> (Option<String>, Vec<(usize, Option<String>)>) {
    let args: Vec<(usize, Option<String>)> = c.argv[1..]
        .iter()
        .map(|&t| (t, literal(script.word(t))))
        .collect();
    let mut skip = false;
    for (_, a) in &args {
        if skip {
            skip = false;
            continue;
        }
        match a {
            None => return (None, args),
            Some(a) if takes_value.contains(&a.as_str()) => skip = true,
            Some(a) if a.starts_with('-') => {}
            Some(a) => return (Some(a.clone()), args),
        }
    }
    (None, args)
}

/// `pip`, `pip3`, `pip3.12` (the name followed by digits and dots only).
fn versioned(name: &str, base: &str) -> bool {
    name.strip_prefix(base)
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn dir_index(name: &str) -> usize {
    CACHE_DIRS
        .iter()
        .position(|d| d.name == name)
        .expect("cache dir in table")
}

fn tool_plan(tool: Tool) -> ToolPlan {
    ToolPlan {
        tool,
        wants: dirs_of(tool).map(|(i, _)| i).collect(),
        edits: Vec::new(),
        drops: Vec::new(),
        redirects: Vec::new(),
        why: Vec::new(),
        offline: false,
        needs_cleanup: false,
        last_writer: None,
        prefetch: false,
    }
}

/// Finds tool calls and what each needs.
fn detect(cx: &Cx, script: &Script, facts: &CmdFacts, s: usize) -> Vec<ToolPlan> {
    let mut plans: BTreeMap<Tool, ToolPlan> = BTreeMap::new();
    let mut apt_order: Vec<(usize, String)> = Vec::new();
    let mut apk_calls: Vec<(usize, Option<String>, bool, bool)> = Vec::new();
    let mut apt_uses = false;
    let mut declined: BTreeSet<Tool> = BTreeSet::new();
    // Tools whose cache the environment turns off (`UV_NO_CACHE`, `PIP_NO_CACHE_DIR`).
    let mut disabled: BTreeSet<Tool> = BTreeSet::new();
    // Calls that use the cache despite that (a `--no-cache-dir` made `--cache-dir=`),
    // and calls that turn it off themselves (`poetry install --no-cache`).
    let mut cache_users: BTreeSet<Tool> = BTreeSet::new();
    let mut cache_off_calls: BTreeMap<Tool, (usize, usize)> = BTreeMap::new();
    for (ci, c) in script.cmds.iter().enumerate() {
        let Some(name) = script.base_name(c) else {
            continue;
        };
        let assigns: Vec<String> = c
            .assigns
            .iter()
            .filter_map(|&t| literal(script.word(t)))
            .collect();
        if let Some(tool) = tool_named(&name) {
            // The call chooses its own cache location or turns the cache off.
            if c.assigns.len() != assigns.len()
                || assigns.iter().any(|a| {
                    let key = a.split('=').next().unwrap_or(a);
                    location_vars(tool).contains(&key) || disabling_vars(tool).contains(&key)
                })
            {
                declined.insert(tool);
                continue;
            }
            if disabled_by_env(tool, facts) {
                disabled.insert(tool);
            }
            if configures_cache(tool, script, c) || configured_elsewhere(cx, tool) {
                declined.insert(tool);
                continue;
            }
        }
        match name.as_str() {
            "apt-get" | "apt" | "apt-cache" | "aptitude" => {
                let (sub, apt_args) = sub_and_args(
                    script,
                    c,
                    &[
                        "-o",
                        "-c",
                        "-t",
                        "-a",
                        "--option",
                        "--config-file",
                        "--target-release",
                        "--host-architecture",
                    ],
                );
                let sub = sub.unwrap_or_default();
                // Downloads kept on purpose (for a later offline install) are
                // state, not cache; an install that must not download reads
                // them from the image's cache directory, which a mount would hide.
                if apt_args.iter().any(|(_, a)| {
                    matches!(
                        a.as_deref(),
                        Some("-d" | "--download-only" | "--no-download")
                    )
                }) {
                    declined.insert(Tool::Apt);
                    continue;
                }
                apt_order.push((ci, format!("{name} {sub}")));
                if name == "apt-cache" || name == "aptitude" {
                    continue;
                }
                let p = plans
                    .entry(Tool::Apt)
                    .or_insert_with(|| tool_plan(Tool::Apt));
                if sub == "update" {
                    p.last_writer = Some(ci);
                }
                let cache = dir_index("apt-cache");
                if sub == "clean" {
                    p.drops.push(Drop {
                        cmd: ci,
                        requires: vec![cache],
                    });
                    continue;
                }
                if matches!(
                    sub.as_str(),
                    "install"
                        | "upgrade"
                        | "dist-upgrade"
                        | "full-upgrade"
                        | "build-dep"
                        | "reinstall"
                        | "satisfy"
                ) {
                    apt_uses = true;
                }
                let at = script.toks[c.argv[0]].end;
                p.edits.push(Gated {
                    edit: Edit::insert(at, APT_OPTIONS),
                    requires: vec![cache],
                });
            }
            n if versioned(n, "pip") || versioned(n, "python") => {
                let base_pip = versioned(n, "pip");
                let args: Vec<(usize, Option<String>)> = c.argv[1..]
                    .iter()
                    .map(|&t| (t, literal(script.word(t))))
                    .collect();
                let pip_args: &[(usize, Option<String>)] = if base_pip {
                    &args
                } else {
                    // python [-u|-B|-I|-E|-s|-O] -m pip …
                    let mut k = 0;
                    while k < args.len()
                        && args[k].1.as_deref().is_some_and(|a| {
                            matches!(a, "-u" | "-B" | "-I" | "-E" | "-s" | "-O" | "-OO" | "-q")
                        })
                    {
                        k += 1;
                    }
                    if args.get(k).and_then(|a| a.1.as_deref()) == Some("-m")
                        && args.get(k + 1).and_then(|a| a.1.as_deref()) == Some("pip")
                    {
                        &args[k + 2..]
                    } else {
                        continue;
                    }
                };
                let sub_at = pip_args
                    .iter()
                    .find(|(_, a)| a.as_deref().is_some_and(|a| !a.starts_with('-')));
                let sub = sub_at.and_then(|(_, a)| a.clone());
                let pip = dir_index("pip");
                if pip_args.iter().any(|(_, a)| {
                    a.as_deref()
                        .is_some_and(|a| a == "--cache-dir" || a.starts_with("--cache-dir="))
                }) {
                    declined.insert(Tool::Pip);
                    continue;
                }
                let p = plans
                    .entry(Tool::Pip)
                    .or_insert_with(|| tool_plan(Tool::Pip));
                match sub.as_deref() {
                    Some("cache") => {
                        let action = pip_args
                            .iter()
                            .filter_map(|(_, a)| a.as_deref())
                            .find(|a| *a != "cache" && !a.starts_with('-'));
                        if matches!(action, Some("purge" | "remove")) {
                            p.drops.push(Drop {
                                cmd: ci,
                                requires: vec![pip],
                            });
                        }
                    }
                    Some("install" | "download" | "wheel") => {
                        if let Some((sub_tok, _)) = sub_at {
                            if !pip_args
                                .iter()
                                .any(|(_, a)| a.as_deref() == Some("--no-cache-dir"))
                            {
                                let at = script.toks[*sub_tok].end;
                                p.redirects.push(Gated {
                                    edit: Edit::insert(at, " --cache-dir=@pip@"),
                                    requires: vec![pip],
                                });
                            }
                        }
                        for (tok, a) in pip_args {
                            if a.as_deref() == Some("--no-cache-dir") {
                                cache_users.insert(Tool::Pip);
                                let t = script.toks[*tok];
                                p.edits.push(Gated {
                                    edit: Edit::replace(t.start, t.end, "--cache-dir=@pip@"),
                                    requires: vec![pip],
                                });
                                if !p.why.iter().any(|w| w.contains("--no-cache-dir")) {
                                    p.why.push("`--no-cache-dir` became `--cache-dir=<mount>`: the command-line option beats PIP_CACHE_DIR, PIP_NO_CACHE_DIR and pip.conf, so the cache is used and can only land in the mount, never in the image.".into());
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            "uv" => {
                let args: Vec<(usize, Option<String>)> = c.argv[1..]
                    .iter()
                    .map(|&t| (t, literal(script.word(t))))
                    .collect();
                if args.iter().any(|(_, a)| {
                    a.as_deref()
                        .is_none_or(|a| a == "-n" || a.starts_with("--cache-dir"))
                }) {
                    declined.insert(Tool::Uv);
                    continue;
                }
                let words: Vec<&str> = args
                    .iter()
                    .filter_map(|(_, a)| a.as_deref())
                    .filter(|a| !a.starts_with('-'))
                    .collect();
                let uv = dir_index("uv");
                if disabled.contains(&Tool::Uv) {
                    // `UV_NO_CACHE` wins over `--cache-dir`: uv would use a temporary cache.
                    declined.insert(Tool::Uv);
                    continue;
                }
                let p = plans.entry(Tool::Uv).or_insert_with(|| tool_plan(Tool::Uv));
                if words.first() == Some(&"cache") {
                    if words.get(1) == Some(&"clean") {
                        p.drops.push(Drop {
                            cmd: ci,
                            requires: vec![uv],
                        });
                    }
                    continue;
                }
                if !args.iter().any(|(_, a)| a.as_deref() == Some("--no-cache")) {
                    let at = script.toks[c.argv[0]].end;
                    p.redirects.push(Gated {
                        edit: Edit::insert(at, " --cache-dir=@uv@"),
                        requires: vec![uv],
                    });
                }
                for (tok, a) in &args {
                    if a.as_deref() == Some("--no-cache") {
                        let t = script.toks[*tok];
                        p.edits.push(Gated {
                            edit: Edit::replace(t.start, t.end, "--cache-dir=@uv@"),
                            requires: vec![uv],
                        });
                        if p.why.is_empty() {
                            p.why.push("`--no-cache` became `--cache-dir=<mount>`, so uv caches into the mount only.".into());
                        }
                    }
                }
            }
            "poetry" => {
                let (sub, args) =
                    sub_and_args(script, c, &["-C", "--directory", "-P", "--project"]);
                let p = plans
                    .entry(Tool::Poetry)
                    .or_insert_with(|| tool_plan(Tool::Poetry));
                if matches!(
                    sub.as_deref(),
                    Some("install" | "add" | "update" | "lock" | "sync")
                ) {
                    let entry = cache_off_calls.entry(Tool::Poetry).or_default();
                    entry.0 += 1;
                    if args.iter().any(|(_, a)| a.as_deref() == Some("--no-cache")) {
                        entry.1 += 1;
                    }
                }
                if sub.as_deref() == Some("cache")
                    && args.iter().any(|(_, a)| a.as_deref() == Some("clear"))
                {
                    p.drops.push(Drop {
                        cmd: ci,
                        requires: vec![dir_index("poetry-cache"), dir_index("poetry-artifacts")],
                    });
                }
            }
            "npm" => {
                let (sub, args) = sub_and_args(script, c, &["--prefix", "-C", "-w", "--workspace"]);
                let npm = dir_index("npm");
                let p = plans
                    .entry(Tool::Npm)
                    .or_insert_with(|| tool_plan(Tool::Npm));
                let sub = sub.unwrap_or_default();
                if args
                    .iter()
                    .any(|(_, a)| matches!(a.as_deref(), Some("--prefer-offline" | "--offline")))
                    || (sub == "cache" && args.iter().any(|(_, a)| a.as_deref() == Some("add")))
                {
                    p.prefetch = true;
                }
                // `--offline` reads only what is already in the cache: a
                // prefetched cache must then stay where the prefetch left it.
                if args.iter().any(|(_, a)| a.as_deref() == Some("--offline")) {
                    p.offline = true;
                }
                if sub == "cache" {
                    let clean = args.iter().any(|(_, a)| a.as_deref() == Some("clean"));
                    let force = args
                        .iter()
                        .any(|(_, a)| matches!(a.as_deref(), Some("--force" | "-f")));
                    if clean && force {
                        p.drops.push(Drop {
                            cmd: ci,
                            requires: vec![npm],
                        });
                    }
                    continue;
                }
                if matches!(
                    sub.as_str(),
                    "install"
                        | "i"
                        | "ci"
                        | "clean-install"
                        | "ic"
                        | "add"
                        | "update"
                        | "up"
                        | "upgrade"
                        | "exec"
                        | "x"
                        | "rebuild"
                ) {
                    let at = script.toks[c.argv[0]].end;
                    p.redirects.push(Gated {
                        edit: Edit::insert(at, " --cache=@npm@"),
                        requires: vec![npm],
                    });
                }
            }
            "yarn" => {
                if berry_evidence(cx, s) {
                    declined.insert(Tool::Yarn);
                    continue;
                }
                let (sub, args) =
                    sub_and_args(script, c, &["--cwd", "--cache-folder", "--modules-folder"]);
                if args
                    .iter()
                    .any(|(_, a)| a.as_deref().is_none_or(|a| a.starts_with("--cache-folder")))
                {
                    declined.insert(Tool::Yarn);
                    continue;
                }
                let yarn = dir_index("yarn");
                let p = plans
                    .entry(Tool::Yarn)
                    .or_insert_with(|| tool_plan(Tool::Yarn));
                if sub.as_deref() == Some("cache")
                    && args.iter().any(|(_, a)| a.as_deref() == Some("clean"))
                {
                    p.drops.push(Drop {
                        cmd: ci,
                        requires: vec![yarn],
                    });
                }
            }
            "pnpm" => {
                let p = plans
                    .entry(Tool::Pnpm)
                    .or_insert_with(|| tool_plan(Tool::Pnpm));
                if script.args(c).first().and_then(|a| a.as_deref()) == Some("fetch") {
                    p.prefetch = true;
                }
                if script
                    .args(c)
                    .iter()
                    .any(|a| a.as_deref() == Some("--offline"))
                {
                    p.offline = true;
                }
            }
            "go" | "xx-go" => {
                let (sub, args) = sub_and_args(script, c, &[]);
                let build = dir_index("go-build");
                let modc = dir_index("go-mod");
                let p = plans.entry(Tool::Go).or_insert_with(|| ToolPlan {
                    wants: Vec::new(),
                    ..tool_plan(Tool::Go)
                });
                let sub = sub.unwrap_or_default();
                let offline_env = assigns.iter().any(|a| a == "GOPROXY=off")
                    || facts.env.value("GOPROXY") == Ok(Some("off"));
                if offline_env {
                    p.offline = true;
                }
                match sub.as_str() {
                    "clean" => {
                        let flags: Vec<&str> = args
                            .iter()
                            .filter_map(|(_, a)| a.as_deref())
                            .filter(|a| *a != "clean")
                            .collect();
                        let mut requires = Vec::new();
                        let mut only_caches = !flags.is_empty();
                        for f in &flags {
                            match *f {
                                "-cache" | "-testcache" | "-fuzzcache" => requires.push(build),
                                "-modcache" => requires.push(modc),
                                _ => only_caches = false,
                            }
                        }
                        if only_caches && args.iter().all(|(_, a)| a.is_some()) {
                            requires.sort_unstable();
                            requires.dedup();
                            p.drops.push(Drop { cmd: ci, requires });
                        }
                    }
                    "build" | "install" | "test" | "run" | "vet" | "get" | "list" | "generate"
                    | "tool" => {
                        for d in [build, modc] {
                            if !p.wants.contains(&d) {
                                p.wants.push(d);
                            }
                        }
                    }
                    "mod" | "work" => {
                        if !p.wants.contains(&modc) {
                            p.wants.push(modc);
                        }
                        if args.iter().any(|(_, a)| a.as_deref() == Some("download")) {
                            p.prefetch = true;
                        }
                    }
                    _ => {}
                }
            }
            "cargo" | "xx-cargo" => {
                let p = plans
                    .entry(Tool::Cargo)
                    .or_insert_with(|| tool_plan(Tool::Cargo));
                let args = script.args(c);
                if args.iter().any(|a| a.as_deref() == Some("fetch")) {
                    p.prefetch = true;
                }
                if args
                    .iter()
                    .any(|a| matches!(a.as_deref(), Some("--offline" | "--frozen")))
                    || matches!(facts.env.value("CARGO_NET_OFFLINE"), Ok(Some("true" | "1")))
                {
                    p.offline = true;
                }
            }
            "mvn" | "mvnw" => {
                let args = script.args(c);
                if args.iter().any(|a| {
                    a.as_deref().is_some_and(|a| {
                        a.starts_with("-Dmaven.repo.local") || a.starts_with("-s") && a.len() > 2
                    })
                }) {
                    declined.insert(Tool::Maven);
                    continue;
                }
                let p = plans
                    .entry(Tool::Maven)
                    .or_insert_with(|| tool_plan(Tool::Maven));
                if args.iter().any(|a| {
                    a.as_deref().is_none_or(|a| {
                        a.contains("dependency:go-offline")
                            || a.contains("dependency:resolve")
                            || a.contains("go-offline-maven-plugin")
                    })
                }) {
                    p.prefetch = true;
                }
                if args
                    .iter()
                    .any(|a| matches!(a.as_deref(), Some("-o" | "--offline")))
                {
                    p.offline = true;
                }
            }
            "gradle" | "gradlew" => {
                let p = plans
                    .entry(Tool::Gradle)
                    .or_insert_with(|| tool_plan(Tool::Gradle));
                if script.args(c).iter().any(|a| {
                    a.as_deref().is_none_or(|a| {
                        matches!(a, "dependencies" | "--refresh-dependencies")
                            || a.ends_with(":dependencies")
                            || a.to_ascii_lowercase().contains("resolvedependencies")
                    })
                }) {
                    p.prefetch = true;
                }
                if script
                    .args(c)
                    .iter()
                    .any(|a| a.as_deref() == Some("--offline"))
                {
                    p.offline = true;
                }
            }
            "apk" => {
                let (sub, args) = sub_and_args(
                    script,
                    c,
                    &[
                        "-X",
                        "--repository",
                        "-p",
                        "--root",
                        "--cache-dir",
                        "--arch",
                        "--keys-dir",
                    ],
                );
                if args
                    .iter()
                    .any(|(_, a)| a.as_deref().is_none_or(|a| a.starts_with("--cache-dir")))
                {
                    declined.insert(Tool::Apk);
                    continue;
                }
                let apk = dir_index("apk");
                let p = plans
                    .entry(Tool::Apk)
                    .or_insert_with(|| tool_plan(Tool::Apk));
                let sub = sub.unwrap_or_default();
                let no_cache = args.iter().any(|(_, a)| a.as_deref() == Some("--no-cache"));
                let update = args
                    .iter()
                    .any(|(_, a)| matches!(a.as_deref(), Some("-U" | "--update-cache")));
                match sub.as_str() {
                    "cache"
                        if args
                            .iter()
                            .any(|(_, a)| matches!(a.as_deref(), Some("clean" | "purge"))) =>
                    {
                        p.drops.push(Drop {
                            cmd: ci,
                            requires: vec![apk],
                        });
                    }
                    "add" | "upgrade" | "fix" | "update" => {
                        apk_calls.push((ci, Some(sub.clone()), no_cache || update, no_cache));
                        let at = script.toks[c.argv[0]].end;
                        p.edits.push(Gated {
                            edit: Edit::insert(at, " --cache-dir /var/cache/apk"),
                            requires: vec![apk],
                        });
                        for (tok, a) in &args {
                            if a.as_deref() == Some("--no-cache") && sub != "update" {
                                let t = script.toks[*tok];
                                p.edits.push(Gated {
                                    edit: Edit::replace(t.start, t.end, "--update-cache"),
                                    requires: vec![apk],
                                });
                            }
                        }
                    }
                    _ => apk_calls.push((ci, None, false, no_cache)),
                }
            }
            "dnf" | "dnf5" | "dnf-3" => {
                let (sub, _) = sub_and_args(
                    script,
                    c,
                    &[
                        "--setopt",
                        "-c",
                        "--config",
                        "--releasever",
                        "--installroot",
                        "-d",
                        "-e",
                        "--repo",
                        "--enablerepo",
                        "--disablerepo",
                    ],
                );
                let dnf = dir_index("dnf");
                let dnf5 = dir_index("libdnf5");
                let p = plans
                    .entry(Tool::Dnf)
                    .or_insert_with(|| tool_plan(Tool::Dnf));
                let sub = sub.unwrap_or_default();
                if sub == "clean" {
                    p.drops.push(Drop {
                        cmd: ci,
                        requires: vec![dnf, dnf5],
                    });
                } else if matches!(
                    sub.as_str(),
                    "install"
                        | "upgrade"
                        | "update"
                        | "reinstall"
                        | "downgrade"
                        | "groupinstall"
                        | "group"
                        | "distro-sync"
                        | "builddep"
                        | "makecache"
                        | "module"
                        | "swap"
                ) {
                    let at = script.toks[c.argv[0]].end;
                    p.edits.push(Gated {
                        edit: Edit::insert(at, " --setopt=keepcache=1 --refresh"),
                        requires: vec![dnf, dnf5],
                    });
                }
            }
            other => {
                app_tools::detect_call(
                    script,
                    c,
                    ci,
                    other,
                    facts,
                    &mut app_tools::Calls {
                        plans: &mut plans,
                        declined: &mut declined,
                        cache_off_calls: &mut cache_off_calls,
                    },
                );
            }
        }
    }
    // A cache the environment turns off is used only by calls redirected to the mount.
    for t in disabled {
        if !cache_users.contains(&t) {
            declined.insert(t);
        }
    }
    // Every call turns the cache off itself.
    for (t, (calls, off)) in cache_off_calls {
        if calls > 0 && calls == off {
            declined.insert(t);
        }
    }
    for t in declined {
        plans.remove(&t);
    }

    // apt: mount only for install-like calls; the lists only after an update, when the RUN deletes them.
    if let Some(p) = plans.get_mut(&Tool::Apt) {
        if !apt_uses {
            p.wants.clear();
        } else {
            p.why.push(
                "Every apt-get/apt call gets `-o Dir::Cache::archives=/var/cache/apt/archives-dfopt/`, so the docker-clean hook of \
                 Debian/Ubuntu images (it deletes /var/cache/apt/archives/*.deb after each dpkg run) cannot empty the cache and /etc \
                 stays as it is; `-o APT::Keep-Downloaded-Packages=true` stops `apt` from deleting downloads itself."
                    .into(),
            );
            let first_is_update = apt_order.first().is_some_and(|(ci, s)| {
                (s == "apt-get update" || s == "apt update") && script.cmds[*ci].scope.is_some()
            });
            if !first_is_update {
                p.wants.retain(|&d| d != dir_index("apt-lists"));
            }
        }
    }
    // apk: every index-using call refreshes, and the original left no cache.
    if let Some(p) = plans.get_mut(&Tool::Apk) {
        let mut updated = false;
        let mut fresh = true;
        let mut any_use = false;
        let mut all_no_cache = true;
        for (_, sub, refreshes, no_cache) in &apk_calls {
            match sub.as_deref() {
                Some("update") => {
                    updated = true;
                    all_no_cache = false;
                }
                Some(_) => {
                    any_use = true;
                    fresh &= *refreshes || updated;
                    all_no_cache &= *no_cache;
                }
                None => {}
            }
        }
        if !any_use || !fresh {
            p.wants.clear();
        } else {
            p.why.push(if all_no_cache {
                "apk caches packages only when given a cache directory: each call gets `--cache-dir /var/cache/apk`, and `--no-cache` became `--update-cache` (the index is still fetched fresh).".into()
            } else {
                "apk caches packages only when given a cache directory: each call gets `--cache-dir /var/cache/apk`.".into()
            });
            p.needs_cleanup = !all_no_cache;
        }
    }
    plans.into_values().collect()
}

/// The tool a command name calls, for the checks every tool shares.
fn tool_named(name: &str) -> Option<Tool> {
    Some(match name {
        n if versioned(n, "pip") => Tool::Pip,
        "uv" => Tool::Uv,
        "poetry" => Tool::Poetry,
        "npm" => Tool::Npm,
        "yarn" => Tool::Yarn,
        "pnpm" => Tool::Pnpm,
        "go" | "xx-go" => Tool::Go,
        "cargo" | "xx-cargo" => Tool::Cargo,
        "mvn" | "mvnw" => Tool::Maven,
        "gradle" | "gradlew" => Tool::Gradle,
        "bundle" | "bundler" | "gem" => Tool::Bundler,
        "composer" | "composer.phar" => Tool::Composer,
        "dotnet" => Tool::Dotnet,
        "conda" | "mamba" | "micromamba" => Tool::Conda,
        _ => return None,
    })
}

/// Environment variables that choose a tool's cache directories.
fn location_vars(tool: Tool) -> Vec<&'static str> {
    let mut out = vec!["HOME"];
    for (_, d) in dirs_of(tool) {
        if let crate::cache_dirs::Location::Rules(rules) = d.location {
            for r in rules {
                if let crate::cache_dirs::Rule::Env(v, _) = r {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// Environment variables that turn a tool's cache off.
fn disabling_vars(tool: Tool) -> &'static [&'static str] {
    match tool {
        Tool::Pip => &["PIP_NO_CACHE_DIR"],
        Tool::Uv => &["UV_NO_CACHE"],
        Tool::Go => &["GOCACHE"],
        _ => &[],
    }
}

/// The stage's environment turns the tool's cache off (any value but an
/// explicit false; a value not known counts as off).
fn disabled_by_env(tool: Tool, facts: &CmdFacts) -> bool {
    let var = match tool {
        Tool::Pip => "PIP_NO_CACHE_DIR",
        Tool::Uv => "UV_NO_CACHE",
        _ => return false,
    };
    match facts.env.value(var) {
        Ok(None) => false,
        Ok(Some(v)) => !matches!(
            v.to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no" | "off"
        ),
        Err(()) => true,
    }
}

/// The call sets the tool's cache location in its config
/// (`npm config set cache …`, `pip config set global.cache-dir …`,
/// `yarn config set cache-folder …`): later calls would not use the mount.
fn configures_cache(tool: Tool, script: &Script, c: &SimpleCmd) -> bool {
    let args = script.args(c);
    let words: Vec<&str> = args.iter().map(|a| a.as_deref().unwrap_or("$")).collect();
    if words.first() != Some(&"config") || !words.contains(&"set") {
        return false;
    }
    let key = |k: &str| words.iter().any(|w| *w == "$" || w.contains(k));
    match tool {
        Tool::Npm => key("cache"),
        Tool::Pip => key("cache-dir") || key("cache_dir"),
        Tool::Yarn => key("cache-folder") || key("cacheFolder"),
        Tool::Pnpm => key("store-dir"),
        _ => false,
    }
}

/// A RUN anywhere in the file sets the tool's cache location in its config.
fn configured_elsewhere(cx: &Cx, tool: Tool) -> bool {
    let needles: &[&str] = match tool {
        Tool::Npm => &["npm config set cache"],
        Tool::Pip => &["global.cache-dir", "global.no-cache-dir"],
        Tool::Yarn => &["cache-folder", "cacheFolder"],
        Tool::Pnpm => &["store-dir"],
        _ => return false,
    };
    cx.work.ir.stages.iter().any(|st| {
        st.commands.iter().any(|c| {
            matches!(c.kind, CommandKind::Run(_)) && needles.iter().any(|n| c.original.contains(n))
        })
    })
}

/// Signs that `yarn` is Yarn 2+ (Berry) anywhere in the Dockerfile.
fn berry_evidence(cx: &Cx, _s: usize) -> bool {
    cx.work.ir.stages.iter().any(|st| {
        st.commands.iter().any(|c| {
            let o = c.original.as_str();
            o.contains("corepack")
                || o.contains("yarn set version")
                || o.contains(".yarnrc.yml")
                || o.contains("yarnPath")
                || o.contains("--immutable")
                || o.contains("yarn@")
        })
    })
}

/// Tool conditions that need the deletions: apt lists only when the RUN deletes them;
/// apk only when the original left no cache.
fn tool_conditions(plan: &mut RunPlan) {
    let lists = dir_index("apt-lists");
    let apk = dir_index("apk");
    let deletes_inside = |plan: &RunPlan, target: &str| {
        plan.deletions
            .iter()
            .any(|d| matches!(relation(d, target), Relation::Inside))
    };
    // The lists stay out of the image only if the last command that writes
    // them (the last `update`) is followed by their deletion: in a merged RUN
    // `update; install a; rm lists` then `update; install b`, the second part's
    // lists are in the image, and a child image may `apt-get install` from them.
    let apt_writer = plan
        .tools
        .iter()
        .find(|t| t.tool == Tool::Apt)
        .and_then(|t| t.last_writer);
    let other_writer = plan
        .script
        .cmds
        .iter()
        .enumerate()
        .rev()
        .find(|(_, c)| script_writes_lists(&plan.script, c))
        .map(|(ci, _)| ci);
    let last_writer = apt_writer.max(other_writer);
    let lists_deleted = plan.targets.get(&lists).is_some_and(|t| {
        plan.deletions.iter().any(|d| {
            matches!(relation(d, t), Relation::Inside) && last_writer.is_none_or(|w| d.cmd > w)
        })
    });
    let apk_cleaned = plan
        .targets
        .get(&apk)
        .is_some_and(|t| deletes_inside(plan, t))
        || plan
            .tools
            .iter()
            .any(|t| t.tool == Tool::Apk && !t.drops.is_empty());
    for t in &mut plan.tools {
        match t.tool {
            Tool::Apt if !lists_deleted => {
                t.wants.retain(|&d| d != lists);
            }
            Tool::Apk if t.needs_cleanup && !apk_cleaned => {
                t.wants.clear();
            }
            _ => {}
        }
    }
    let wanted: BTreeSet<usize> = plan
        .tools
        .iter()
        .flat_map(|t| t.wants.iter().copied())
        .collect();
    plan.targets.retain(|d, _| wanted.contains(d));
}

/// Commands other than apt's `update` that refresh the apt lists.
fn script_writes_lists(script: &Script, c: &SimpleCmd) -> bool {
    match script.base_name(c).as_deref() {
        Some("add-apt-repository") => !script
            .args(c)
            .iter()
            .any(|a| matches!(a.as_deref(), Some("-n" | "--no-update"))),
        Some("apt-add-repository") => true,
        _ => false,
    }
}

/// State directories: all RUNs of a stage family that use the tool get the mount, or none does.
fn state_groups(
    cx: &Cx,
    facts: &[StageFacts],
    plans: &mut [RunPlan],
    sightings: &[Sighting],
    as_state: &BTreeSet<usize>,
    reports: &mut Vec<(usize, usize, String, String)>,
) {
    let root = |mut s: usize| {
        while let Some(p) = facts[s].parent {
            s = p;
        }
        s
    };
    for (d, dir) in CACHE_DIRS
        .iter()
        .enumerate()
        .filter(|(d, dir)| dir.state || as_state.contains(d))
    {
        let roots: BTreeSet<usize> = sightings
            .iter()
            .filter(|x| x.dir == d)
            .map(|x| root(x.stage))
            .collect();
        for r in roots {
            let mut why: Option<String> = None;
            let mut targets = BTreeSet::new();
            for m in sightings
                .iter()
                .filter(|x| x.dir == d && root(x.stage) == r)
            {
                let plan = plans
                    .iter()
                    .find(|p| p.stage == m.stage && p.index == m.index)
                    .filter(|_| m.planned);
                match plan.and_then(|p| p.targets.get(&d).map(|t| (p, t))) {
                    Some((p, t)) => {
                        targets.insert(t.clone());
                        let offline = p.tools.iter().any(|t| t.tool == dir.tool && t.offline);
                        if offline || p.network_none {
                            why.get_or_insert_with(|| {
                                format!("a {} RUN of the family works offline", dir.tool.as_str())
                            });
                        }
                    }
                    None => {
                        why.get_or_insert_with(|| {
                            format!(
                                "a {} RUN of the family cannot get the mount",
                                dir.tool.as_str()
                            )
                        });
                    }
                }
            }
            if targets.len() > 1 {
                why.get_or_insert_with(|| {
                    "the directory is not the same in every RUN of the family".into()
                });
            }
            if let Some(target) = targets.iter().next() {
                for m in sightings
                    .iter()
                    .filter(|x| x.dir == d && x.planned && root(x.stage) == r)
                {
                    let prefetch = plans.iter().any(|p| {
                        p.stage == m.stage
                            && p.index == m.index
                            && p.tools.iter().any(|t| t.tool == dir.tool && t.prefetch)
                    });
                    if prefetch && !readers_get_mount(cx, facts, plans, m.stage, m.index, d, target)
                    {
                        why.get_or_insert_with(|| {
                            "a RUN prefetches into it for a later step that may read it without the same mount (the prefetched files must stay in the image)".to_string()
                        });
                    }
                }
                if copied_out(cx, facts, r, target) {
                    why.get_or_insert_with(|| {
                        format!("a COPY --from or mount takes files from `{target}`")
                    });
                }
            }
            let Some(why) = why else { continue };
            let mut first = true;
            for p in plans.iter_mut().filter(|p| root(p.stage) == r) {
                let had = p.targets.remove(&d).is_some();
                for t in &mut p.tools {
                    t.wants.retain(|&x| x != d);
                }
                if had && first {
                    reports.push((
                        p.stage,
                        p.index,
                        format!("No `{}` cache mount added in this stage family", dir.name),
                        format!(
                            "It holds state later steps read, so it must be mounted on every RUN that uses {} or on none, and {why}.",
                            dir.tool.as_str()
                        ),
                    ));
                    first = false;
                }
            }
        }
    }
    for p in plans.iter_mut() {
        p.tools.retain(|t| !t.wants.is_empty());
    }
}

/// Commands that never read a package manager's download directory.
const NOT_READERS: [&str; 22] = [
    "apt-get",
    "apt",
    "apk",
    "dnf",
    "yum",
    "microdnf",
    "useradd",
    "adduser",
    "groupadd",
    "addgroup",
    "mkdir",
    "echo",
    "true",
    "ln",
    "touch",
    "update-ca-certificates",
    "printf",
    "test",
    "[",
    "id",
    "whoami",
    "ls",
];

/// Whether every RUN after `(stage, index)` that may read `target` (the rest
/// of the stage and the stages built from it) gets the same mount. A RUN that
/// only runs commands known not to read it (`apt-get`, `useradd`, …) is not a
/// reader; any other RUN (`make`, `./build.sh`, an exec-form RUN) may be one.
fn readers_get_mount(
    cx: &Cx,
    facts: &[StageFacts],
    plans: &[RunPlan],
    stage: usize,
    index: usize,
    d: usize,
    target: &str,
) -> bool {
    let descends = |mut s: usize| loop {
        if s == stage {
            return true;
        }
        match facts[s].parent {
            Some(p) => s = p,
            None => return false,
        }
    };
    for (s, st) in cx.work.ir.stages.iter().enumerate() {
        if !descends(s) {
            continue;
        }
        for (i, cmd) in st.commands.iter().enumerate() {
            if s == stage && i <= index {
                continue;
            }
            let CommandKind::Run(run) = &cmd.kind else {
                continue;
            };
            let mounted = plans.iter().any(|p| {
                p.stage == s && p.index == i && p.targets.get(&d).is_some_and(|t| t == target)
            });
            if mounted {
                continue;
            }
            let harmless = run.cmd.prepend_shell
                && run.cmd.files.is_empty()
                && Script::parse(&run.cmd.args.join(" ")).is_ok_and(|sc| {
                    sc.cmds.iter().all(|c| {
                        c.argv.is_empty()
                            || sc
                                .base_name(c)
                                .is_some_and(|n| NOT_READERS.contains(&n.as_str()))
                    })
                });
            if !harmless {
                return false;
            }
        }
    }
    true
}

/// Whether a `COPY --from` or `RUN --mount from=` of any stage reads `target` (or a parent) from the family `root`.
fn copied_out(cx: &Cx, facts: &[StageFacts], root: usize, target: &str) -> bool {
    let ir = &cx.work.ir;
    let in_family = |from: &str| -> bool {
        if from.contains('$') {
            return true;
        }
        let idx = from.parse::<usize>().ok().or_else(|| {
            ir.stages
                .iter()
                .position(|s| s.name.as_deref() == Some(&from.to_lowercase()))
        });
        let Some(mut s) = idx.filter(|&i| i < facts.len()) else {
            return false;
        };
        while let Some(p) = facts[s].parent {
            s = p;
        }
        s == root
    };
    let touches = |path: &str| {
        if path.contains('$') || path.contains(['*', '?', '[']) {
            return true;
        }
        let p = normalize(&format!("/{path}"));
        p == target || is_inside(&p, target) || is_inside(target, &p)
    };
    ir.stages.iter().any(|st| {
        st.commands.iter().any(|c| match &c.kind {
            CommandKind::Copy(cp) => {
                cp.from.as_ref().is_some_and(|f| in_family(&f.value))
                    && cp.paths.sources.iter().any(|s| touches(s))
            }
            CommandKind::Run(r) => r.mounts.iter().any(|m| match &m.parsed {
                Some(Ok(mt)) => {
                    mt.kind == MountType::Bind
                        && !mt.from.is_empty()
                        && in_family(&mt.from)
                        && touches(&mt.source)
                }
                _ => m.raw.value.contains("from="),
            }),
            _ => false,
        })
    })
}

fn sharing_str(s: Sharing) -> &'static str {
    s.as_str()
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._/:@+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn mount_flag(d: usize, target: &str, sf: &StageFacts, user: &User) -> String {
    let dir = &CACHE_DIRS[d];
    // Both are known: `plan_run` adds no mount otherwise.
    let platform = sf.platform.as_deref().unwrap_or_default();
    let image = sf.root_image.as_deref().unwrap_or_default();
    let mut id = format!(
        "{ID_PREFIX}{}-{}-{}",
        dir.name,
        sanitize(platform),
        sanitize(image)
    );
    let mut flag = String::new();
    if let User::Numeric { uid, .. } = user {
        id.push_str(&format!("-uid{uid}"));
    }
    flag.push_str(&format!("--mount=type=cache,id={id},target={target}"));
    if dir.sharing != Sharing::Shared {
        flag.push_str(&format!(",sharing={}", sharing_str(dir.sharing)));
    }
    if let User::Numeric { uid, gid } = user {
        flag.push_str(&format!(",uid={uid}"));
        if let Some(g) = gid {
            flag.push_str(&format!(",gid={g}"));
        }
    }
    flag
}

fn apply(
    cx: &mut Cx,
    facts: &[StageFacts],
    plan: RunPlan,
    reports: &mut Vec<(usize, usize, String, String)>,
) {
    let kept: BTreeSet<usize> = plan.targets.keys().copied().collect();
    if kept.is_empty() {
        return;
    }
    let script = &plan.script;
    let mut edits: Vec<Edit> = Vec::new();
    let mut drop_cmds: BTreeSet<usize> = BTreeSet::new();
    let mut dropped_text: BTreeMap<Tool, Vec<String>> = BTreeMap::new();
    let sf = &facts[plan.stage];
    let mut redirected: BTreeSet<Tool> = BTreeSet::new();
    let mut kept_cleanups: BTreeMap<Tool, Vec<String>> = BTreeMap::new();
    for t in &plan.tools {
        let fill = |g: &Gated| {
            let mut e = g.edit.clone();
            for (d, target) in &plan.targets {
                e.text = e
                    .text
                    .replace(&format!("@{}@", CACHE_DIRS[*d].name), target);
            }
            e
        };
        for g in &t.edits {
            if g.requires.iter().all(|d| kept.contains(d)) {
                edits.push(fill(g));
            }
        }
        // A tool-level cleanup empties the tool's real cache directory. Dropping it is
        // safe when that is the mount for sure: a fixed path, a path from a known image
        // config, or calls redirected to the mount on their command line.
        let location_sure = !sf.assumed
            || matches!(
                t.tool,
                Tool::Apt | Tool::Apk | Tool::Dnf | Tool::Pip | Tool::Uv | Tool::Npm
            );
        let mut any_drop = false;
        for d in &t.drops {
            if !d.requires.iter().all(|x| kept.contains(x)) {
                continue;
            }
            if !location_sure {
                kept_cleanups
                    .entry(t.tool)
                    .or_default()
                    .push(cmd_text(script, d.cmd));
                continue;
            }
            any_drop = true;
            if drop_cmds.insert(d.cmd) {
                dropped_text
                    .entry(t.tool)
                    .or_default()
                    .push(cmd_text(script, d.cmd));
            }
        }
        if any_drop {
            for g in &t.redirects {
                if g.requires.iter().all(|d| kept.contains(d)) {
                    edits.push(fill(g));
                    redirected.insert(t.tool);
                }
            }
        }
    }
    // Deletions inside mounted directories.
    let mut rm_drops: BTreeMap<usize, Vec<(usize, Tool)>> = BTreeMap::new();
    for del in &plan.deletions {
        for (d, target) in &plan.targets {
            if let Relation::Inside = relation(del, target) {
                rm_drops
                    .entry(del.cmd)
                    .or_default()
                    .push((del.tok, CACHE_DIRS[*d].tool));
                break;
            }
        }
    }
    for (cmd, toks) in &rm_drops {
        let paths = plan.deletions.iter().filter(|d| d.cmd == *cmd).count();
        if toks.len() == paths {
            drop_cmds.insert(*cmd);
            dropped_text
                .entry(toks[0].1)
                .or_default()
                .push(cmd_text(script, *cmd));
        } else {
            for &(t, tool) in toks {
                edits.push(script.remove_word(t));
                dropped_text.entry(tool).or_default().push(format!(
                    "`{}` from {}",
                    script.word(t),
                    cmd_text(script, *cmd)
                ));
            }
        }
    }
    let drop_list: Vec<usize> = drop_cmds.iter().copied().collect();
    edits.extend(script.removal_edits(&drop_list));
    // Edits inside dropped commands are moot.
    let dropped_ranges: Vec<(usize, usize)> = drop_list
        .iter()
        .map(|&c| {
            (
                script.toks[script.cmds[c].first].start,
                script.toks[script.cmds[c].last - 1].end,
            )
        })
        .collect();
    edits.retain(|e| {
        e.text.is_empty()
            || e.text == "true"
            || !dropped_ranges
                .iter()
                .any(|&(a, b)| e.start >= a && e.end <= b)
    });
    let args = plan.printed.args();
    let Some(new_args) = apply_edits(args, &edits) else {
        reports.push((
            plan.stage,
            plan.index,
            "No cache mount added".into(),
            "The edits needed overlap; the RUN was left alone.".into(),
        ));
        return;
    };
    let flags: Vec<String> = plan
        .targets
        .iter()
        .map(|(&d, t)| mount_flag(d, t, sf, &plan.facts.user))
        .collect();

    // Rewrite the printed instruction, keeping its layout.
    let printed = &plan.printed;
    let mut text_edits: Vec<Edit> = Vec::new();
    for e in &edits {
        let (a, b) = printed.text_range(e.start, e.end);
        text_edits.push(Edit {
            start: a,
            end: b,
            text: e.text.clone(),
        });
    }
    let insert_at = printed
        .instr
        .flags_start
        .unwrap_or(printed.instr.args_start);
    let escape = cx.src.escape;
    let mut flag_text = String::new();
    for f in &flags {
        flag_text.push_str(f);
        flag_text.push(' ');
        flag_text.push(escape);
        flag_text.push_str(cx.src.newline);
        flag_text.push_str("    ");
    }
    text_edits.push(Edit::insert(insert_at, flag_text));
    let s = plan.stage;
    let CommandKind::Run(old_run) = &cx.work.ir.stages[s].commands[plan.index].kind else {
        return;
    };
    let mut want_mounts: Vec<String> = old_run.mounts.iter().map(|m| m.raw.value.clone()).collect();
    want_mounts.extend(
        flags
            .iter()
            .map(|f| f.trim_start_matches("--mount=").to_string()),
    );
    want_mounts.sort();
    let accept = |text: &str| -> Option<dfopt_dockerfile::instructions::Command> {
        let (_, cmd) = parse_alone(text, escape, s)?;
        let CommandKind::Run(run) = &cmd.kind else {
            return None;
        };
        let mut mounts: Vec<String> = run.mounts.iter().map(|m| m.raw.value.clone()).collect();
        mounts.sort();
        let ok = run.cmd.args.len() == 1
            && run.cmd.args[0] == new_args
            && mounts == want_mounts
            && run.network == old_run.network
            && run.security == old_run.security
            && run.devices == old_run.devices;
        ok.then_some(cmd)
    };
    let pretty = apply_edits(&printed.text, &text_edits);
    let (text, cmd) = match pretty
        .as_deref()
        .and_then(|t| accept(t).map(|c| (t.to_string(), c)))
    {
        Some(found) => found,
        None => {
            let logical = &printed.logical.text;
            let head = &logical[..printed.instr.args_range.0];
            let (keyword, rest) = head.split_once(char::is_whitespace).unwrap_or((head, ""));
            let flat = format!(
                "{keyword} {} {}{new_args}",
                flags.join(" "),
                rest.trim_start()
            );
            match accept(&flat) {
                Some(cmd) => (flat, cmd),
                None => {
                    reports.push((
                        plan.stage,
                        plan.index,
                        "No cache mount added".into(),
                        "The rewritten RUN did not read back as intended; it was left alone."
                            .into(),
                    ));
                    return;
                }
            }
        }
    };
    let target_cmd = &mut cx.work.ir.stages[s].commands[plan.index];
    target_cmd.kind = cmd.kind;
    target_cmd.original = cmd.original;
    cx.work.stages[s][plan.index].text = Some(text);
    let ranges = cx.ranges(s, plan.index);
    for t in &plan.tools {
        let dirs: Vec<&str> = t
            .wants
            .iter()
            .filter_map(|d| plan.targets.get(d))
            .map(String::as_str)
            .collect();
        if dirs.is_empty() {
            continue;
        }
        let mut reason = format!(
            "BuildKit keeps the cache between builds and never puts it in the image{}; the id names the platform and base image so unrelated builds never share it.",
            if t.wants.iter().any(|&d| CACHE_DIRS[d].sharing == Sharing::Locked) { " (`sharing=locked`: the tool locks its files)" } else { "" }
        );
        for w in &t.why {
            reason.push(' ');
            reason.push_str(w);
        }
        if t.tool == Tool::Apt {
            reason.push_str(if plan.targets.contains_key(&dir_index("apt-lists")) {
                " The package lists are mounted too: the RUN downloads them first (`update`) and deletes them at the end, so nothing later relied on them."
            } else {
                " The package lists are not mounted: the RUN does not both download them first and delete them at the end."
            });
        }
        if let Some(dropped) = dropped_text.get(&t.tool) {
            reason.push_str(&format!(" Dropped {} (it would only empty the mounted cache, and the directory is no longer in the image).", dropped.join(", ")));
        }
        if redirected.contains(&t.tool) {
            reason.push_str(" The tool's calls in this RUN are pointed at the mount on their command line, so what the dropped cleanup removed can only be in the mount.");
        }
        if let Some(kept) = kept_cleanups.get(&t.tool) {
            reason.push_str(&format!(
                " Kept {}: the cache location was assumed, not known, so it may not be the mount.",
                kept.join(", ")
            ));
        }
        if let User::Numeric { uid, .. } = plan.facts.user {
            reason.push_str(&format!(
                " The mount is owned by uid {uid}, the RUN's user."
            ));
        }
        if sf.assumed {
            reason.push_str(" The base image config was not provided: its user (unless a USER sets it) was assumed to be root and its environment that of the official image (a wrong guess leaves the mount unused).");
        }
        let change = Change {
            pass: ID,
            kind: ChangeKind::Rewrite,
            ranges: ranges.clone(),
            title: format!(
                "Added {} cache mount{} ({})",
                t.tool.as_str(),
                if dirs.len() > 1 { "s" } else { "" },
                dirs.iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            reason,
            note: format!("{} cache", t.tool.as_str()),
        };
        cx.record(change, &[(s, plan.index)]);
    }
}

/// A tool whose cleanup (`yarn cache clean`, `go clean -modcache`) must be
/// kept, because its cache location was assumed rather than known, would
/// empty the mount on every build: the mount is useless and is not added
/// (nor reported as an improvement).
fn drop_emptied_caches(
    plan: &mut RunPlan,
    sf: &StageFacts,
    reports: &mut Vec<(usize, usize, String, String)>,
) {
    let mut useless: Vec<(Tool, Vec<usize>, String)> = Vec::new();
    for t in &plan.tools {
        let location_sure = !sf.assumed
            || matches!(
                t.tool,
                Tool::Apt | Tool::Apk | Tool::Dnf | Tool::Pip | Tool::Uv | Tool::Npm
            );
        if location_sure {
            continue;
        }
        if let Some(d) = t
            .drops
            .iter()
            .find(|d| d.requires.iter().all(|x| plan.targets.contains_key(x)))
        {
            useless.push((t.tool, d.requires.clone(), cmd_text(&plan.script, d.cmd)));
        }
    }
    for (tool, dirs, cleanup) in useless {
        for d in &dirs {
            plan.targets.remove(d);
        }
        for t in plan.tools.iter_mut().filter(|t| t.tool == tool) {
            t.wants.retain(|d| !dirs.contains(d));
        }
        reports.push((
            plan.stage,
            plan.index,
            format!("No {} cache mount added", tool.as_str()),
            format!("The RUN empties the cache with {cleanup}, which has to stay because the cache location was assumed, not known: the mount would be emptied on every build."),
        ));
    }
    plan.tools.retain(|t| !t.wants.is_empty());
}

fn cmd_text(script: &Script, ci: usize) -> String {
    let c = &script.cmds[ci];
    format!(
        "`{}`",
        &script.text[script.toks[c.first].start..script.toks[c.last - 1].end]
    )
}
