//! `--build-arg DFOPT_CACHE=…`: what this build does with cache mounts.
//!
//! A comma list: one of `export`, `seed`, `off`, and with `export` an optional
//! `max-size=SIZE`. Nothing (the usual case) means "seed when the build has the
//! `dfopt-cache` named context", so that a CI workflow only adds
//! `--build-context dfopt-cache=DIR`; `seed` insists on it (and says what is
//! missing when the client could not send it); `off` ignores it.
//!
//! A build-arg rather than a new option: every client (buildx, buildctl, Docker
//! 20.10's `docker build`) passes build-args to a frontend, and a build-arg that
//! no `ARG` declares changes no step's cache key.

/// The build-arg.
pub const BUILD_ARG: &str = "DFOPT_CACHE";

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Seed if the seed context is there.
    #[default]
    Auto,
    /// Seed; the seed context must be there.
    Seed,
    /// Build nothing but the export of the build's cache mounts.
    Export,
    /// Neither.
    Off,
}

/// The parsed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    /// The mode.
    pub mode: Mode,
    /// `max-size`: the most bytes of archives an export writes (caches that do
    /// not fit are left out whole, and listed as skipped).
    pub max_size: Option<u64>,
}

impl Settings {
    /// Parses the build-arg's value (`None`: not given).
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        let mut settings = Settings::default();
        let Some(value) = value else {
            return Ok(settings);
        };
        let mut mode = None;
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, argument) = match item.split_once('=') {
                Some((key, argument)) => (key.trim(), Some(argument.trim())),
                None => (item, None),
            };
            let chosen = match (key, argument) {
                ("export", None) => Mode::Export,
                ("seed", None) => Mode::Seed,
                ("off", None) => Mode::Off,
                ("max-size", Some(size)) => {
                    settings.max_size = Some(parse_size(size)?);
                    continue;
                }
                _ => {
                    return Err(format!(
                        "invalid {BUILD_ARG} item {item:?}: expected export, seed, off or max-size=SIZE"
                    ))
                }
            };
            if mode.is_some_and(|m| m != chosen) {
                return Err(format!(
                    "{BUILD_ARG}={value}: choose one of export, seed and off"
                ));
            }
            mode = Some(chosen);
        }
        settings.mode = mode.unwrap_or_default();
        if settings.max_size.is_some() && settings.mode != Mode::Export {
            return Err(format!(
                "{BUILD_ARG}={value}: max-size applies to export only"
            ));
        }
        Ok(settings)
    }
}

/// `500m`, `2GiB`, `1048576`: a number with an optional binary unit (k, m, g, t;
/// `i` and `b` allowed after it, as Docker's size options accept).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let invalid = || format!("invalid size {text:?}: expected e.g. 500m, 2g or a byte count");
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let unit = unit.trim();
    let unit = unit.strip_suffix('b').unwrap_or(unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let scale: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(invalid()),
    };
    let bytes = number * scale;
    if !bytes.is_finite() || !(0.0..=9.0e18).contains(&bytes) {
        return Err(invalid());
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(Settings::parse(None), Ok(Settings::default()));
        assert_eq!(Settings::parse(Some("")).map(|s| s.mode), Ok(Mode::Auto));
        assert_eq!(
            Settings::parse(Some("export")).map(|s| s.mode),
            Ok(Mode::Export)
        );
        assert_eq!(
            Settings::parse(Some("seed")).map(|s| s.mode),
            Ok(Mode::Seed)
        );
        assert_eq!(
            Settings::parse(Some(" off ")).map(|s| s.mode),
            Ok(Mode::Off)
        );
        assert_eq!(
            Settings::parse(Some("export,max-size=2g")),
            Ok(Settings {
                mode: Mode::Export,
                max_size: Some(2 << 30)
            })
        );
        assert!(Settings::parse(Some("seed,export")).is_err());
        assert!(Settings::parse(Some("seed,max-size=1g")).is_err());
        assert!(Settings::parse(Some("exprot")).is_err());
        assert!(Settings::parse(Some("export,max-size=lots")).is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("500m"), Ok(500 << 20));
        assert_eq!(parse_size("500MB"), Ok(500 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert!(parse_size("5x").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("-1").is_err());
    }
}
