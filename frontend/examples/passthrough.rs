//! A protocol smoke-test frontend: the result is the Dockerfile's last `FROM` image,
//! unchanged, with that image's config. Everything else in the Dockerfile is ignored.
//!
//! It exercises the whole gateway flow (Ping, Dockerfile read, ResolveImageConfig,
//! final Solve, Return with `containerimage.config`) against a real daemon before the
//! real conversion exists:
//!
//! ```sh
//! RUSTFLAGS='-C target-feature=+crt-static' cargo build --release -p dfopt-frontend \
//!     --example passthrough --target x86_64-unknown-linux-gnu
//! ```
//!
//! then package `target/x86_64-unknown-linux-gnu/release/examples/passthrough` as
//! `/dfopt-frontend` with `Dockerfile.frontend --target prebuilt`.

use dfopt_frontend::lowering::{
    ImageKey, ImageToResolve, LowerError, LowerRequest, Lowered, Lowering, ResolvedImages,
};
use dfopt_frontend::LineRange;
use dfopt_llb::{Image, ImageRef, OpOptions};

struct Passthrough;

impl Passthrough {
    /// The last `FROM` line's image, found by a plain text scan (good enough for a
    /// smoke test; no ARG expansion, no stage references).
    fn last_from(request: &LowerRequest) -> Result<ImageToResolve, LowerError> {
        let mut found = None;
        for (index, line) in request.dockerfile.text.lines().enumerate() {
            let mut words = line.split_whitespace();
            if words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
                let words: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
                let line = LineRange::line(u32::try_from(index + 1).unwrap_or(u32::MAX));
                found = Some((words.first().copied().unwrap_or(""), line));
            }
        }
        let (name, lines) = found.ok_or_else(|| LowerError::new("no FROM instruction"))?;
        let reference = ImageRef::parse_normalized(name)
            .map_err(|error| LowerError::at(error.to_string(), lines))?;
        Ok(ImageToResolve {
            key: ImageKey {
                reference: reference.to_string(),
                platform: request.target_platform.clone(),
            },
            lines: Some(lines),
        })
    }
}

impl Lowering for Passthrough {
    fn images(
        &self,
        request: &LowerRequest,
        _resolved: &ResolvedImages,
    ) -> Result<Vec<ImageToResolve>, LowerError> {
        Ok(vec![Self::last_from(request)?])
    }

    fn lower(
        &self,
        request: &LowerRequest,
        resolved: &ResolvedImages,
    ) -> Result<Lowered, LowerError> {
        let image = Self::last_from(request)?;
        let config = resolved
            .get(&image.key)
            .ok_or_else(|| LowerError::new("the FROM image was not resolved"))?;
        let mut source = Image::new(&image.key.reference)
            .map_err(|error| LowerError::new(error.to_string()))?
            .custom_name(format!("[1/1] FROM {}", image.key.reference));
        if let Some(digest) = &config.digest {
            source = source
                .pin_digest(digest)
                .map_err(|error| LowerError::new(error.to_string()))?;
        }
        if let Some(platform) = &request.target_platform {
            source = source.platform(platform.clone());
        }
        let definition = source
            .build()
            .marshal(&request.caps.llb)
            .map_err(|error| LowerError::new(error.to_string()))?;
        Ok(Lowered {
            definition,
            image_config: config.config.clone(),
            metadata: Default::default(),
            warnings: Vec::new(),
        })
    }
}

fn main() {
    std::process::exit(dfopt_frontend::run_from_environment(&Passthrough));
}
