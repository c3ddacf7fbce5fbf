//! The build context as a directory: answers what the passes ask to read from it
//! (file contents, directory listings), as a build would see it after
//! `.dockerignore`.
//!
//! `--context DIR` names it; without it the Dockerfile's directory is the context
//! (what `docker build -f Dockerfile .` beside it uses). A Dockerfile read from
//! standard input has no context unless `--context` is given: the passes that need
//! one then do not fire, and say so.

use std::fs;
use std::path::{Path, PathBuf};

use dfopt_findings::buildkit::ignore::IgnoreMatcher;
use dfopt_optimizer::{ContextFacts, ContextQuery};

use crate::dockerignore;

/// The most rounds of queries before the remaining ones stay unanswered.
const MAX_ROUNDS: usize = 8;

/// A build context directory with its `.dockerignore`.
pub struct ContextDir {
    root: PathBuf,
    ignore: Option<IgnoreMatcher>,
}

impl ContextDir {
    /// The context for the Dockerfile at `dockerfile` (`-`: standard input):
    /// `explicit` when given, else the Dockerfile's directory. `Ok(None)`: no context.
    pub fn for_dockerfile(
        dockerfile: &str,
        explicit: Option<&Path>,
    ) -> Result<Option<ContextDir>, String> {
        let root = match explicit {
            Some(dir) => dir.to_path_buf(),
            None if dockerfile == "-" => return Ok(None),
            None => Path::new(dockerfile)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        };
        if !root.is_dir() {
            return Err(format!(
                "error: the build context {} is not a directory",
                root.display()
            ));
        }
        // BuildKit reads `<Dockerfile>.dockerignore` beside the Dockerfile first,
        // then `.dockerignore` at the context root.
        let specific = (dockerfile != "-")
            .then(|| PathBuf::from(format!("{dockerfile}.dockerignore")))
            .filter(|f| f.is_file());
        let ignore_file =
            specific.or_else(|| Some(root.join(".dockerignore")).filter(|f| f.is_file()));
        let ignore = match ignore_file {
            Some(file) => {
                let data =
                    fs::read(&file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
                IgnoreMatcher::new(&dockerignore::parse(&data))
            }
            None => None,
        };
        Ok(Some(ContextDir { root, ignore }))
    }

    /// Answers the queries `ask` raises, round after round, into `facts`.
    pub fn read_facts(
        context: Option<&ContextDir>,
        facts: &mut ContextFacts,
        mut ask: impl FnMut(&ContextFacts) -> Vec<ContextQuery>,
    ) {
        let Some(context) = context else {
            facts.available = false;
            return;
        };
        facts.available = true;
        for _ in 0..MAX_ROUNDS {
            let queries: Vec<ContextQuery> = ask(facts)
                .into_iter()
                .filter(|q| !facts.answers(q))
                .collect();
            if queries.is_empty() {
                return;
            }
            for query in &queries {
                context.answer(query, facts);
            }
        }
    }

    fn answer(&self, query: &ContextQuery, facts: &mut ContextFacts) {
        match query {
            ContextQuery::File(path) => {
                let data = self
                    .visible(path)
                    .filter(|p| p.symlink_metadata().is_ok_and(|m| m.is_file()))
                    .and_then(|p| fs::read(p).ok());
                facts.files.insert(path.clone(), data);
            }
            ContextQuery::Dir(path) => {
                let entries = self
                    .visible(path)
                    .filter(|p| p.symlink_metadata().is_ok_and(|m| m.is_dir()))
                    .and_then(|p| self.list(path, &p));
                facts.dirs.insert(path.clone(), entries);
            }
        }
    }

    /// The entries of a directory that `.dockerignore` leaves in the context.
    fn list(&self, relative: &str, dir: &Path) -> Option<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let inner = join(relative, &name);
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            // An ignored directory is still in the context when an exception
            // re-includes something below it (`node_modules` then
            // `!node_modules/keep.txt`): it is listed, so that a reader sees
            // it is there.
            if self.ignored(&inner) && !(is_dir && self.may_include_below(&inner)) {
                continue;
            }
            names.push(if is_dir { format!("{name}/") } else { name });
        }
        names.sort();
        Some(names)
    }

    /// The path of `relative` in the context, unless it leaves the context or
    /// `.dockerignore` excludes it.
    fn visible(&self, relative: &str) -> Option<PathBuf> {
        let mut path = self.root.clone();
        let mut clean = Vec::new();
        for part in relative.split('/') {
            match part {
                "" | "." => {}
                ".." => return None,
                part => clean.push(part),
            }
        }
        if relative.starts_with('/') || (!clean.is_empty() && self.ignored(&clean.join("/"))) {
            return None;
        }
        for part in clean {
            path.push(part);
        }
        Some(path)
    }

    fn may_include_below(&self, relative: &str) -> bool {
        self.ignore
            .as_ref()
            .is_some_and(|m| m.may_include_below(relative))
    }

    fn ignored(&self, relative: &str) -> bool {
        self.ignore
            .as_ref()
            .is_some_and(|m| m.matches_or_parent_matches(relative))
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_owned()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_and_listings_honouring_dockerignore() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        fs::write(root.join("requirements.txt"), "flask==3.0.0\n").expect("write");
        fs::create_dir(root.join("node_modules")).expect("mkdir");
        fs::create_dir(root.join("src")).expect("mkdir");
        fs::write(root.join("secret.env"), "x").expect("write");
        fs::write(root.join(".dockerignore"), "node_modules\n*.env\n").expect("write");
        fs::write(root.join("Dockerfile"), "FROM scratch\n").expect("write");
        let dockerfile = root.join("Dockerfile");
        let context = ContextDir::for_dockerfile(dockerfile.to_str().expect("utf-8"), None)
            .expect("context")
            .expect("a directory");
        let mut facts = ContextFacts::default();
        let asked = vec![
            ContextQuery::File("requirements.txt".into()),
            ContextQuery::File("secret.env".into()),
            ContextQuery::File("../etc/passwd".into()),
            ContextQuery::Dir(String::new()),
        ];
        ContextDir::read_facts(Some(&context), &mut facts, |_| asked.clone());
        assert!(facts.available);
        assert_eq!(
            facts.files["requirements.txt"].as_deref(),
            Some(&b"flask==3.0.0\n"[..])
        );
        assert_eq!(facts.files["secret.env"], None);
        assert_eq!(facts.files["../etc/passwd"], None);
        assert_eq!(
            facts.dirs[""],
            Some(vec![
                ".dockerignore".to_owned(),
                "Dockerfile".to_owned(),
                "requirements.txt".to_owned(),
                "src/".to_owned()
            ])
        );
    }

    #[test]
    fn lists_an_ignored_directory_an_exception_reaches_into() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        fs::create_dir(root.join("node_modules")).expect("mkdir");
        fs::write(root.join("node_modules/keep.txt"), "x").expect("write");
        fs::create_dir(root.join("dist")).expect("mkdir");
        fs::write(
            root.join(".dockerignore"),
            "node_modules\ndist\n!node_modules/keep.txt\n",
        )
        .expect("write");
        fs::write(root.join("Dockerfile"), "FROM scratch\n").expect("write");
        let dockerfile = root.join("Dockerfile");
        let context = ContextDir::for_dockerfile(dockerfile.to_str().expect("utf-8"), None)
            .expect("context")
            .expect("a directory");
        let mut facts = ContextFacts::default();
        let asked = vec![ContextQuery::Dir(String::new())];
        ContextDir::read_facts(Some(&context), &mut facts, |_| asked.clone());
        assert_eq!(
            facts.dirs[""],
            Some(vec![
                ".dockerignore".to_owned(),
                "Dockerfile".to_owned(),
                "node_modules/".to_owned()
            ])
        );
    }

    #[test]
    fn standard_input_has_no_context() {
        assert!(ContextDir::for_dockerfile("-", None).expect("ok").is_none());
        let mut facts = ContextFacts::default();
        ContextDir::read_facts(None, &mut facts, |_| vec![ContextQuery::File("x".into())]);
        assert!(!facts.available);
        assert!(facts.files.is_empty());
    }
}
