//! The parts of an OCI/Docker image config the checks read.

use serde_json::Value;

use super::{BaseImage, ImagePlatform};

/// Decodes what the checks need from an image config (JSON as the registry or the
/// daemon's image store gives it). Missing or mistyped fields are empty, as Go's
/// `json.Unmarshal` into BuildKit's image type leaves them; a config that is not
/// JSON at all gives an empty image. An image without layers (no `rootfs.diff_ids`
/// and, for old schema-1 images, only empty-layer history) has no platform to check.
pub fn base_image(config: &[u8]) -> BaseImage {
    let value: Value = serde_json::from_slice(config).unwrap_or(Value::Null);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let inner = value.get("config");
    let field = |name: &str| inner.and_then(|c| c.get(name));
    let has_layers = value
        .get("rootfs")
        .and_then(|r| r.get("diff_ids"))
        .and_then(Value::as_array)
        .is_some_and(|ids| !ids.is_empty());
    // BuildKit's schema1 fallback: without diff ids, a history entry that is not an
    // empty layer still means layers.
    let history_layers = value
        .get("history")
        .and_then(Value::as_array)
        .is_some_and(|entries| {
            entries.iter().any(|h| {
                !h.get("empty_layer")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            })
        });
    BaseImage {
        env: strings(field("Env")),
        shell: strings(field("Shell")),
        working_dir: text(field("WorkingDir")),
        onbuild: strings(field("OnBuild")),
        platform: (has_layers || history_layers).then(|| ImagePlatform {
            os: text(value.get("os")),
            architecture: text(value.get("architecture")),
            variant: text(value.get("variant")),
            os_version: text(value.get("os.version")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_env_shell_onbuild_platform_and_layers() {
        let image = base_image(
            br#"{"architecture":"arm64","variant":"v8","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:a"]},
                "config":{"Env":["PATH=/bin"],"Shell":["/bin/bash","-c"],"OnBuild":["RUN x"]}}"#,
        );
        assert_eq!(image.env, ["PATH=/bin"]);
        assert_eq!(image.shell, ["/bin/bash", "-c"]);
        assert_eq!(image.onbuild, ["RUN x"]);
        let platform = image.platform.expect("layers, so a platform to check");
        assert_eq!(platform.architecture, "arm64");
        assert_eq!(platform.variant, "v8");
    }

    #[test]
    fn no_platform_to_check_without_layers() {
        assert!(base_image(br#"{"config":{}}"#).platform.is_none());
        assert!(base_image(br#"{"history":[{"empty_layer":true}]}"#)
            .platform
            .is_none());
        assert!(base_image(br#"{"history":[{"created_by":"x"}]}"#)
            .platform
            .is_some());
        assert_eq!(base_image(b"not json"), BaseImage::default());
    }
}
