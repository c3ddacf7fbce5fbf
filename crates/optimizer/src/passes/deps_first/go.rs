//! Go modules: `go mod download` (and `go mod verify`) read `go.mod`,
//! `go.sum`, and `go.work` when the module directory has one.
//!
//! A `go.work` refuses: in workspace mode `go mod download` writes the
//! sums it lacks to `go.work.sum` (`cmd/go/internal/modcmd/download.go`),
//! which the full COPY would then overwrite with the context's copy. A
//! `go.mod` without a `go` directive of 1.17 or later refuses too: without
//! graph pruning the build list needs the `go.mod` sums of indirect
//! modules, which the check of `go.sum` below does not see, and older Go
//! versions write content sums to go.sum on download.

use super::context::{join, Checked, Decline, Reader};
use super::python::without_bom;
use super::scan::{Call, Step, Tool};

/// The step a call makes, when it is `go mod download`/`verify`.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    if call.name != "go" {
        return None;
    }
    let args: Vec<&str> = call.args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["mod", "download", flags @ ..] if flags.iter().all(|f| matches!(*f, "-x" | "-json")) => {
            Some(Ok(Step::Install {
                tool: Tool::Go,
                named: Vec::new(),
                text: call.display(),
                rewrites_lock: false,
                writes_config: false,
                runs_plugins: false,
            }))
        }
        ["mod", "verify"] => Some(Ok(Step::Aside(Tool::Go))),
        _ => Some(Err("a go command other than `go mod download`")),
    }
}

/// `go.mod` (required, checked), then `go.sum`, `go.work` and `go.work.sum`
/// when present. Refuses local replacements, any `go.work` (workspace
/// mode) and a module graph without pruning (see the module doc).
pub(super) fn manifests(dir: &str, reader: &mut Reader) -> Checked<Vec<String>> {
    let path = |name: &str| join(dir, name).unwrap_or_else(|| name.to_string());
    let module = reader.text(&path("go.mod"));
    let present = reader.texts_present(dir, &["go.sum", "go.work", "go.work.sum"]);
    let module = module?.ok_or(Decline::Refused("go.mod is not in the context"))?;
    let module = without_bom(module);
    let present: Vec<(&str, &str)> = present?
        .into_iter()
        .map(|(name, text)| (name, without_bom(text)))
        .collect();
    if replaces_with_local_path(module) {
        return Err(Decline::Refused(
            "go.mod replaces a module with a local directory",
        ));
    }
    let sums = present
        .iter()
        .find(|(name, _)| *name == "go.sum")
        .map_or("", |(_, t)| *t);
    if !sums_cover_requirements(module, sums) {
        return Err(Decline::Refused(
            "go.sum lacks a sum of a required module: `go mod download` may write go.sum",
        ));
    }
    for (name, text) in &present {
        if *name == "go.work" && (replaces_with_local_path(text) || uses_other_dirs(text)) {
            return Err(Decline::Refused("go.work uses other module directories"));
        }
    }
    if present.iter().any(|(name, _)| *name == "go.work") {
        return Err(Decline::Refused(
            "a go.work: in workspace mode `go mod download` may write go.work.sum, which the full COPY overwrites",
        ));
    }
    if !prunes_module_graph(module) {
        return Err(Decline::Refused(
            "go.mod has no `go` directive of 1.17 or later: `go mod download` may need and write sums go.sum lacks",
        ));
    }
    let mut out = vec![path("go.mod")];
    out.extend(present.iter().map(|(name, _)| path(name)));
    Ok(out)
}

/// Whether go.sum has the `go.mod` sum of every module go.mod requires.
/// `go mod download` writes go.sum only to add sums it needs to load the
/// build list; a go.sum that has them all is not rewritten (and the full
/// COPY does not overwrite a changed file).
fn sums_cover_requirements(module: &str, sums: &str) -> bool {
    let mut in_block = false;
    let mut required = Vec::new();
    for line in module.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let spec = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if line == "require (" {
            in_block = true;
            continue;
        } else if let Some(rest) = line.strip_prefix("require ") {
            rest.trim()
        } else {
            continue;
        };
        let mut words = spec.split_whitespace();
        if let (Some(path), Some(version)) = (words.next(), words.next()) {
            required.push(format!("{} {}/go.mod ", path.trim_matches('"'), version));
        }
    }
    required
        .iter()
        .all(|entry| sums.lines().any(|l| l.starts_with(entry.as_str())))
}

/// Whether go.mod's `go` directive is 1.17 or later (graph pruning: the
/// build list is loaded from the `go.mod` files of direct requirements).
fn prunes_module_graph(module: &str) -> bool {
    module.lines().any(|line| {
        let line = line.split("//").next().unwrap_or("").trim();
        let Some(version) = line
            .strip_prefix("go ")
            .or_else(|| line.strip_prefix("go\t"))
        else {
            return false;
        };
        let mut parts = version.trim().split('.');
        let major = parts.next().and_then(|p| p.parse::<u32>().ok());
        let minor = parts.next().and_then(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        matches!((major, minor), (Some(m), Some(n)) if m > 1 || (m == 1 && n >= 17))
    })
}

/// A `replace` directive (single or in a block) whose target is a path.
fn replaces_with_local_path(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.split("//").next().unwrap_or("");
        line.split_once("=>").is_some_and(|(_, target)| {
            // go.mod may quote a path (`=> "../x"`).
            let target = target.trim().trim_start_matches(['"', '`']);
            target.starts_with('.') || target.starts_with('/')
        })
    })
}

/// A `use` directive (single or in a block) naming a directory other than `.`.
fn uses_other_dirs(text: &str) -> bool {
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let dir = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if let Some(rest) = line.strip_prefix("use") {
            let rest = rest.trim();
            if rest == "(" {
                in_block = true;
                continue;
            }
            if rest.is_empty() || !line.starts_with("use ") && !line.starts_with("use\t") {
                continue;
            }
            rest
        } else {
            continue;
        };
        if !dir.is_empty() && !matches!(dir.trim_matches(['"', '`']), "." | "./") {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_replacements_and_workspaces() {
        assert!(replaces_with_local_path("replace example.com/x => ../x\n"));
        assert!(replaces_with_local_path(
            "replace example.com/x => \"../x\"\n"
        ));
        assert!(replaces_with_local_path(
            "replace (\n\texample.com/x v1.0.0 => ./x\n)\n"
        ));
        assert!(!replaces_with_local_path(
            "replace example.com/x => example.com/y v1.2.0\n"
        ));
        assert!(uses_other_dirs("go 1.22\nuse (\n\t.\n\t./tools\n)\n"));
        assert!(!uses_other_dirs("go 1.22\nuse .\n"));
        assert!(prunes_module_graph("module m\n\ngo 1.22\n"));
        assert!(prunes_module_graph("module m\ngo 1.21.5\n"));
        assert!(prunes_module_graph("module m\ngo 1.17 // pruned\n"));
        assert!(!prunes_module_graph("module m\ngo 1.16\n"));
        assert!(!prunes_module_graph("module m\nrequire a.b/c v1.0.0\n"));
        let module =
            "module m\nrequire (\n\tgithub.com/a/b v1.0.0 // indirect\n)\nrequire c.io/d v0.2.0\n";
        let sums = "github.com/a/b v1.0.0 h1:x=\ngithub.com/a/b v1.0.0/go.mod h1:y=\nc.io/d v0.2.0/go.mod h1:z=\n";
        assert!(sums_cover_requirements(module, sums));
        assert!(!sums_cover_requirements(
            module,
            "github.com/a/b v1.0.0/go.mod h1:y=\n"
        ));
    }
}
