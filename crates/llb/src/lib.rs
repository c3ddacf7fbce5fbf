//! A deterministic, capability-aware builder of BuildKit LLB graphs.
//!
//! LLB is BuildKit's build graph: ops (sources, execs, file ops, merges, diffs) whose
//! inputs are other ops' outputs, serialized as a `pb.Definition`. This crate builds such
//! graphs from immutable, cheaply cloned values and marshals them so that
//!
//! * the same graph always gives byte-identical bytes (no hash-map order, no clock, no
//!   counters, no host platform guessing);
//! * every op records the capabilities it relies on and is refused when the daemon (as
//!   described by a [`CapSet`] from its `Ping` answer) lacks them — a v0.8 daemon would
//!   otherwise silently drop fields it does not know;
//! * every index field follows the rules BuildKit's loader and solver enforce
//!   ([`validate()`] checks them on any Definition).
//!
//! It knows nothing about Dockerfiles; the Dockerfile frontend lowers onto it.
//!
//! ```
//! use dfopt_llb::prelude::*;
//!
//! # fn main() -> Result<(), dfopt_llb::Error> {
//! let dockerfile = SourceMap::dockerfile("Dockerfile", "FROM busybox\nRUN echo hi > /x\nCOPY . /app\n");
//! let base = Image::new("busybox")?
//!     .platform(Platform::new("linux", "amd64"))
//!     .custom_name("[1/3] FROM busybox")
//!     .location(dockerfile.location([Range::line(1)]))
//!     .build();
//! let ran = base
//!     .run(["/bin/sh", "-c", "echo hi > /x"])
//!     .custom_name("[2/3] RUN echo hi > /x")
//!     .location(dockerfile.location([Range::line(2)]))
//!     .build()?
//!     .root();
//! let context = Local::new("context")?.session("sid").shared_key_hint("context").build();
//! let copied = ran
//!     .file()
//!     .copy(FileCopy::new(&context, "/", "/app").dockerfile_defaults())
//!     .custom_name("[3/3] COPY . /app")
//!     .location(dockerfile.location([Range::line(3)]))
//!     .build()?;
//! let definition = copied.marshal(&CapSet::buildkit_v0_8())?;
//! assert!(validate(&definition).is_ok());
//! println!("{}", dump(&definition));
//! # Ok(())
//! # }
//! ```

pub mod caps;
pub mod dump;
mod error;
pub mod json;
pub mod marshal;
pub mod ops;
pub mod paths;
pub mod platform;
pub mod reference;
mod sourcemap;
mod state;
pub mod validate;
mod wire;

/// The BuildKit protobuf types (package `pb`) this crate emits.
pub use bollard_buildkit_proto::pb;

pub use caps::{CapId, CapSet};
pub use dump::{dump, dump_bytes};
pub use error::Error;
pub use marshal::{digest, encode_definition, OpFieldOrder};
pub use ops::exec::{Exec, ExecState, Network, ProxyEnv, SecretEnv, Security, Ulimit};
pub use ops::file::{Chown, FileBuilder, FileCopy, Mkdir, Mkfile, Rm, Symlink, UserSpec};
pub use ops::merge::{Diff, Merge};
pub use ops::mount::{
    BindMount, CacheMount, CacheSharing, Mount, SecretMount, SshMount, TmpfsMount,
};
pub use ops::source::{Differ, Git, Http, Image, Local, ResolveMode};
pub use ops::{OpMeta, OpOptions, CUSTOM_NAME_KEY};
pub use platform::Platform;
pub use reference::{ImageRef, ReferenceError};
pub use sourcemap::{Location, Position, Range, SourceMap};
pub use state::{Output, State};
pub use validate::{validate, validate_caps, ValidationError, Violation};

/// Everything needed to build and marshal a graph, for a glob import.
pub mod prelude {
    pub use crate::{
        dump, validate, BindMount, CacheMount, CacheSharing, CapSet, Chown, Diff, Differ, Error,
        Exec, ExecState, FileCopy, Git, Http, Image, Local, Merge, Mkdir, Mkfile, Network,
        OpOptions, Platform, ProxyEnv, Range, ResolveMode, Rm, SecretEnv, SecretMount, Security,
        SourceMap, SshMount, State, Symlink, TmpfsMount, UserSpec,
    };
}
