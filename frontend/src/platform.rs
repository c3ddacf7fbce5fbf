//! Platform specifiers (`linux/arm64`, `linux/arm/v7`, `amd64`), as containerd's
//! `platforms.Parse` + `platforms.Normalize` read them for the `platform` option.
//!
//! The daemon compares platforms by their normalized strings (`linux/arm/v7`, not
//! `linux/armhf`), and the multi-platform result map is keyed by them, so options are
//! normalized exactly as the official frontend does. Windows OS versions
//! (`windows(10.0.17763)`) are not supported: a Dockerfile frontend for Linux
//! containers has no use for them.

use dfopt_llb::Platform;

pub use dfopt_llb::platform::{format, host, normalize, parse, parse_list, PlatformError};
use serde::{Deserialize, Serialize};

/// An OCI platform as JSON (`{"architecture":…,"os":…,"variant":…}`), the shape of
/// `BUILDKIT_WORKERS` entries and of `refs.platforms` in the result metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OciPlatform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub os_version: String,
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

impl OciPlatform {
    /// The OCI form of a platform.
    pub fn from_platform(platform: &Platform) -> Self {
        Self {
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            variant: platform.variant.clone(),
            ..Self::default()
        }
    }

    /// The platform this describes (OS version and features are dropped).
    pub fn to_platform(&self) -> Platform {
        Platform::new(self.os.clone(), self.architecture.clone()).with_variant(self.variant.clone())
    }
}

/// The wire form (`pb.Platform`).
pub fn to_pb(platform: &Platform) -> dfopt_llb::pb::Platform {
    dfopt_llb::pb::Platform {
        architecture: platform.architecture.clone(),
        os: platform.os.clone(),
        variant: platform.variant.clone(),
        os_version: String::new(),
        os_features: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(specifier: &str) -> String {
        match parse(specifier) {
            Ok(platform) => format(&platform),
            Err(error) => format!("error: {error}"),
        }
    }

    #[test]
    fn normalizes_like_containerd() {
        assert_eq!(parsed("linux/amd64"), "linux/amd64");
        assert_eq!(parsed("Linux/x86_64"), "linux/amd64");
        assert_eq!(parsed("linux/arm64/v8"), "linux/arm64");
        assert_eq!(parsed("linux/aarch64"), "linux/arm64");
        assert_eq!(parsed("linux/arm"), "linux/arm/v7");
        assert_eq!(parsed("linux/arm/7"), "linux/arm/v7");
        assert_eq!(parsed("linux/arm/v6"), "linux/arm/v6");
        assert_eq!(parsed("linux/armhf"), "linux/arm/v7");
        assert_eq!(parsed("linux/i386"), "linux/386");
        assert_eq!(parsed("arm64"), "linux/arm64");
        assert_eq!(parsed("linux"), format(&host()));
    }

    #[test]
    fn rejects_bad_specifiers() {
        assert!(parsed("").starts_with("error:"));
        assert!(parsed("linux/").starts_with("error:"));
        assert!(parsed("linux/amd64/v1/x").starts_with("error:"));
        assert!(parsed("linux/*").starts_with("error:"));
        assert!(parsed("banana").starts_with("error:"));
    }

    #[test]
    fn list_reports_the_bad_item() {
        let (item, _) = parse_list("linux/amd64,nope/x/y/z").unwrap_err();
        assert_eq!(item, "nope/x/y/z");
        assert_eq!(
            parse_list("linux/amd64,linux/arm64").map(|l| l.len()),
            Ok(2)
        );
    }

    #[test]
    fn oci_json_shape() {
        let json = serde_json::to_string(&OciPlatform::from_platform(&Platform::new(
            "linux", "amd64",
        )))
        .unwrap_or_default();
        assert_eq!(json, r#"{"architecture":"amd64","os":"linux"}"#);
    }
}
