//! dfopt's cache tool: what runs inside the export and seed execs
//! (`dfopt-frontend cache-tool export|seed SPEC`, on the frontend image).
//!
//! The frontend writes the graph ([`super::graph`]); this side only sees
//! directories: the cache mount, the seed or the export's output, and a JSON spec
//! in its arguments. It prints one line per cache, which the build's progress shows
//! under the exec's name, and never touches the network.

pub mod archive;
pub mod export;
pub mod seed;

use std::path::Path;

use super::graph::paths;

/// Runs the tool with the arguments after `cache-tool`; returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let result = match args {
        [command, spec] if command == "export" => serde_json::from_str(spec)
            .map_err(|error| format!("bad export spec: {error}"))
            .and_then(|spec| export::run(&spec, Path::new(paths::CACHE), Path::new(paths::OUT))),
        [command, spec] if command == "seed" => serde_json::from_str(spec)
            .map_err(|error| format!("bad seed spec: {error}"))
            .and_then(|spec| {
                seed::run(
                    &spec,
                    Path::new(paths::SEED),
                    Path::new(paths::CACHE),
                    Path::new(paths::REPORT),
                )
            }),
        _ => Err(
            "usage: cache-tool export|seed SPEC (run by dfopt's frontend inside BuildKit)"
                .to_owned(),
        ),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            0
        }
        Err(message) => {
            eprintln!("dfopt cache: {message}");
            1
        }
    }
}
