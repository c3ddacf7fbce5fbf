//! The daemon's capabilities, from its `Ping` answer.
//!
//! Two lists arrive: gateway API caps (which RPCs and request fields the daemon
//! understands) and LLB caps (which ops and attributes it can solve). A cap counts only
//! if it is listed *and* enabled. A daemon that predates capabilities sends empty
//! lists; BuildKit's client then assumes frozen default sets, and so do we.

use dfopt_llb::caps::ApiCap;
use dfopt_llb::CapSet;

/// Gateway API cap ids this frontend looks at (`frontend/gateway/pb/caps.go`).
pub mod gateway {
    /// `Solve` with a Definition.
    pub const SOLVE_BASE: &str = "solve.base";
    /// `Solve{Final}` (deprecated way to return a result).
    pub const SOLVE_INLINE_RETURN: &str = "solve.inlinereturn";
    /// `ResolveImageConfig`.
    pub const RESOLVE_IMAGE: &str = "resolveimage";
    /// `ResolveImageConfigRequest.ResolveMode`.
    pub const RESOLVE_IMAGE_RESOLVE_MODE: &str = "resolveimage.resolvemode";
    /// `ReadFile`.
    pub const READ_FILE: &str = "readfile";
    /// `Return`.
    pub const RETURN: &str = "return";
    /// More than one ref in a result (`refs` map).
    pub const RETURN_MAP: &str = "returnmap";
    /// `Result.ref`/`refs` as `Ref` messages (else the deprecated string forms).
    pub const PROTO_REF_ARRAY: &str = "proto.refarray";
    /// `SolveRequest.CacheImports`.
    pub const IMPORT_CACHES: &str = "importcaches";
    /// `Inputs`.
    pub const FRONTEND_INPUTS: &str = "frontend.inputs";
    /// `SolveRequest.Evaluate`.
    pub const SOLVE_EVALUATE: &str = "gateway.solve.evaluate";
    /// `Warn` (BuildKit v0.10+; not in Docker 20.10's BuildKit v0.8).
    pub const WARNINGS: &str = "gateway.warnings";
}

/// The two cap sets of a daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caps {
    /// Gateway API caps (ids in [`gateway`]).
    pub gateway: CapSet,
    /// LLB caps (ids in `dfopt_llb::caps`), what `State::marshal` checks ops against.
    pub llb: CapSet,
}

impl Caps {
    /// The caps of a `Ping` answer, with BuildKit's frozen defaults for an empty list
    /// (`grpcclient.New`: `defaultCaps()` / `defaultLLBCaps()`).
    pub fn from_pong(gateway_caps: &[ApiCap], llb_caps: &[ApiCap]) -> Self {
        let gateway = if gateway_caps.is_empty() {
            default_gateway_caps()
        } else {
            CapSet::from_api_caps(gateway_caps)
        };
        let llb = if llb_caps.is_empty() {
            default_llb_caps()
        } else {
            CapSet::from_api_caps(llb_caps)
        };
        Self { gateway, llb }
    }

    /// Whether the daemon advertises gateway cap `id`.
    pub fn gateway_supports(&self, id: &str) -> bool {
        self.gateway.supports_id(id)
    }
}

/// BuildKit's frozen default gateway caps, assumed when `Ping` lists none. Note that
/// `return` is not among them: such a daemon predates `Return`.
pub fn default_gateway_caps() -> CapSet {
    CapSet::from_iter([
        gateway::SOLVE_BASE,
        gateway::SOLVE_INLINE_RETURN,
        gateway::RESOLVE_IMAGE,
        gateway::READ_FILE,
    ])
}

/// BuildKit's frozen default LLB caps (`grpcclient.defaultLLBCaps`).
pub fn default_llb_caps() -> CapSet {
    CapSet::from_iter([
        "source.image",
        "source.local",
        "source.local.unique",
        "source.local.sessionid",
        "source.local.includepatterns",
        "source.local.followpaths",
        "source.local.excludepatterns",
        "source.local.sharedkeyhint",
        "source.git",
        "source.git.keepgitdir",
        "source.git.fullurl",
        "source.http",
        "source.http.checksum",
        "source.http.perm",
        "soruce.http.uidgid",
        "source.buildop.llbfilename",
        "exec.meta.base",
        "exec.meta.proxyenv",
        "exec.mount.bind",
        "exec.mount.cache",
        "exec.mount.cache.sharing",
        "exec.mount.selector",
        "exec.mount.tmpfs",
        "exec.mount.secret",
        "constraints",
        "platform",
        "meta.ignorecache",
        "meta.description",
        "meta.exportcache",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(id: &str, enabled: bool) -> ApiCap {
        ApiCap {
            id: id.to_owned(),
            enabled,
            ..ApiCap::default()
        }
    }

    #[test]
    fn enabled_caps_only() {
        let caps = Caps::from_pong(
            &[cap("return", true), cap("readdir", false)],
            &[cap("source.local", true)],
        );
        assert!(caps.gateway_supports("return"));
        assert!(!caps.gateway_supports("readdir"));
        assert!(caps.llb.supports_id("source.local"));
        assert!(!caps.llb.supports_id("source.image"));
    }

    #[test]
    fn empty_lists_fall_back_to_frozen_defaults() {
        let caps = Caps::from_pong(&[], &[]);
        assert!(caps.gateway_supports("readfile"));
        assert!(!caps.gateway_supports("return"));
        assert_eq!(caps.gateway.len(), 4);
        assert_eq!(caps.llb.len(), 29);
        assert!(caps.llb.supports_id("source.local.followpaths"));
    }
}
