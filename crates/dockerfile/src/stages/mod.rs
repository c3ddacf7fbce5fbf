//! The semantics of Dockerfile stages, as BuildKit's `dockerfile2llb` applies
//! them, in one place for every consumer (the converter, the optimizer, the
//! build checks and the frontend's subrequests).
//!
//! - [`scope`]: ARG/ENV visibility (global ARGs, stage ARGs, build-args, ENV
//!   expanded against the environment before it), and which ARG value wins.
//! - [`builtin_args`]: the ARGs BuildKit predefines (platform args,
//!   `TARGETSTAGE`), the ones that never become variables, dfopt's own `DFOPT`
//!   switch, and the default `PATH` of an image without one.
//! - [`lookup`]: which stage a `--target`, a `FROM` base, a `--from`/`from=`
//!   value names, and how an ONBUILD trigger is read.
//! - [`reachability`]: the stage graph: which states a target needs, and the
//!   first cycle of stage reads.
//!
//! Where BuildKit versions (or a consumer modelling a particular one) differ,
//! the difference is a parameter of the one implementation, never a copy.

pub mod builtin_args;
pub mod lookup;
pub mod reachability;
pub mod scope;
