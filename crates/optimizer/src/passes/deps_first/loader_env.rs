//! Variables that make the RUN's shell, the installer's runtime or the
//! compilers it starts load a file: `BASH_ENV` (bash sources it before the
//! command), `OPENSSL_CONF` (read when Python or Node starts, silently
//! skipped when missing), `RUBYOPT=-r…`, `CFLAGS=-I…`. Pointed into the
//! copied tree, the file is there in the original order and missing after
//! the split, and nothing fails loudly: the install just runs differently.
//! A value naming a place in `<dir>`, relative to the working directory, or
//! unknown refuses; an absolute place outside `<dir>` passes.

use crate::facts::StaticEnv;

use super::locations::is_within;
use super::scan::Call;

/// Variables whose value is a file or directory, or a `:`-list of them.
/// (`ENV`, which only an interactive `sh` reads, is left out: projects set
/// `ENV=production`, and login or interactive shells refuse anyway.)
const PATH_VARS: [&str; 11] = [
    "BASH_ENV",
    "GCONV_PATH",
    "LD_AUDIT",
    "LOCPATH",
    "MAKEFILES",
    "OPENSSL_CONF",
    "OPENSSL_ENGINES",
    "OPENSSL_MODULES",
    "PYTHONPYCACHEPREFIX",
    "TMPDIR",
    "ZDOTDIR",
];

/// Variables whose value is options or a command line, which may name
/// files (`-I/app/include`, `-r./patch.rb`, `@args.txt`).
const OPTION_VARS: [&str; 15] = [
    "AR",
    "CC",
    "CFLAGS",
    "CPP",
    "CPPFLAGS",
    "CXX",
    "CXXFLAGS",
    "JAVA_TOOL_OPTIONS",
    "LDFLAGS",
    "LDSHARED",
    "MAKEFLAGS",
    "PERL5OPT",
    "RUBYOPT",
    "RUSTC_WRAPPER",
    "RUSTFLAGS",
];

/// Options that take a path in the next word or attached to them
/// (`-I include`, `-Iinclude`, `--sysroot=sdk`): a relative path is the
/// working directory's. Ruby's and Perl's `-r` takes a library name, read
/// as a path here (the simple side).
const PATH_OPTIONS: [&str; 12] = [
    "--sysroot",
    "-B",
    "-I",
    "-L",
    "-T",
    "-idirafter",
    "-imacros",
    "-include",
    "-iquote",
    "-isystem",
    "-r",
    "-specs",
];

/// Refuses when a loader variable of the RUN's environment, or one assigned
/// on its commands, names a place in `dest`, a relative place, or has an
/// unknown value.
pub(super) fn check(env: &StaticEnv, dest: &str, calls: &[Call]) -> Result<(), &'static str> {
    let assigned = calls.iter().flat_map(|call| &call.assigned);
    if assigned
        .into_iter()
        .any(|name| PATH_VARS.contains(&name.as_str()) || OPTION_VARS.contains(&name.as_str()))
    {
        return Err("an assignment of a variable that makes the install load a file");
    }
    let refused =
        "the environment makes the shell, the runtime or a compiler load a file of the copied tree";
    for name in PATH_VARS {
        match env.value(name) {
            Ok(None) => {}
            Ok(Some(value)) if value.split(':').all(|p| outside(p, dest)) => {}
            _ => return Err(refused),
        }
    }
    for name in OPTION_VARS {
        match env.value(name) {
            Ok(None) => {}
            Ok(Some(value)) if !options_name_local_place(value, dest) => {}
            _ => return Err(refused),
        }
    }
    Ok(())
}

/// An absolute path outside `dest` (an empty entry is nothing).
fn outside(path: &str, dest: &str) -> bool {
    path.is_empty() || (path.starts_with('/') && !path.contains("/..") && !is_within(path, dest))
}

/// Whether options name a file in `dest` or relative to the working
/// directory: a path not absolute outside `dest` (also after an option,
/// `-I/app/include`, or inside a linker list, `-Wl,-rpath,/app/lib`), a path
/// option with a relative value, a response file (`@file`), quoting.
fn options_name_local_place(value: &str, dest: &str) -> bool {
    let words: Vec<&str> = value.split_whitespace().collect();
    words.iter().enumerate().any(|(i, word)| {
        if word.starts_with('@') || word.contains(['"', '\'', '\\', '$', '`']) {
            return true;
        }
        if word.contains('/') {
            return word.split(',').any(|part| match part.find('/') {
                None => false,
                Some(slash) => {
                    let (before, path) = part.split_at(slash);
                    let option_prefix = before.is_empty()
                        || before.ends_with('=')
                        || (before.len() == 2 && before.starts_with('-'))
                        || PATH_OPTIONS.contains(&before);
                    !option_prefix || !outside(path, dest)
                }
            });
        }
        PATH_OPTIONS.iter().any(|option| {
            if word == option {
                // The path is the next word.
                return words.get(i + 1).is_none_or(|next| !outside(next, dest));
            }
            match word.strip_prefix(option) {
                // `--sysroot=sdk`: relative (an absolute value has a `/`).
                Some(rest) if rest.starts_with('=') => true,
                // `-Iinclude`; a longer option (`-isystem`) takes its value
                // in the next word or after `=`.
                Some(rest) => !rest.is_empty() && option.len() == 2,
                None => false,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_sorted() {
        assert!(PATH_VARS.windows(2).all(|w| w[0] < w[1]));
        assert!(OPTION_VARS.windows(2).all(|w| w[0] < w[1]));
        assert!(PATH_OPTIONS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn options_naming_the_tree_refuse() {
        let local = |v| options_name_local_place(v, "/app");
        assert!(!local(
            "-O2 -g -fPIC -Wall -march=native -D_FORTIFY_SOURCE=2"
        ));
        assert!(!local(
            "-I/usr/include/postgresql -L/usr/local/lib -Wl,-rpath,/usr/lib"
        ));
        assert!(!local("-Wl,-Bstatic -lssl -Wl,-Bdynamic"));
        assert!(local("-Wl,-rpath,/app/lib"));
        assert!(!local("gcc"));
        assert!(!local("ccache gcc"));
        assert!(!local("/usr/bin/gcc-12"));
        assert!(!local("-W0"));
        assert!(local("-I/app/vendor/include"));
        assert!(local("-Ivendor/include"));
        assert!(local("-rbundler/setup"));
        assert!(local("-isystem vendor"));
        assert!(!local("-isystem /usr/include/x"));
        assert!(local("-Iinclude"));
        assert!(local("-I include"));
        assert!(local("-L /app/lib"));
        assert!(local("-r/app/config/ssl_patch.rb"));
        assert!(local("-r./patch"));
        assert!(local("@flags.txt"));
        assert!(local("./bin/cc"));
        assert!(local("--sysroot=/app/sdk"));
        assert!(!local("--sysroot=/opt/sdk"));
    }

    #[test]
    fn paths_outside_the_tree_pass() {
        assert!(outside("/etc/ssl/openssl.cnf", "/app"));
        assert!(outside("", "/app"));
        assert!(!outside("/app/deploy/openssl.cnf", "/app"));
        assert!(!outside("deploy/openssl.cnf", "/app"));
        assert!(!outside("/tmp/../app/x", "/app"));
    }
}
