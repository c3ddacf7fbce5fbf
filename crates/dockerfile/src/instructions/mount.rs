//! `RUN --mount=…` specifications, as BuildKit's `parseMount`.
//!
//! BuildKit parses a mount twice: when the instruction is parsed, without
//! expansion (only `from=$X` is rejected then), and when the stage is
//! converted, with every value expanded against the stage environment. The
//! typed [`Mount`] therefore comes from [`parse_mount`] with an expander.

use super::{csv, suggest};
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl MountType {
    pub fn as_str(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }

    fn parse(value: &str) -> Option<MountType> {
        Some(match value {
            "bind" => MountType::Bind,
            "cache" => MountType::Cache,
            "tmpfs" => MountType::Tmpfs,
            "secret" => MountType::Secret,
            "ssh" => MountType::Ssh,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

impl Sharing {
    pub fn as_str(self) -> &'static str {
        match self {
            Sharing::Shared => "shared",
            Sharing::Private => "private",
            Sharing::Locked => "locked",
        }
    }
}

/// A parsed `--mount` value. Empty strings mean "not given" (as in BuildKit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountType,
    pub from: String,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    /// tmpfs `size=` in bytes, 0 when unset.
    pub size_limit: i64,
    pub id: String,
    pub sharing: Option<Sharing>,
    pub required: bool,
    pub env: Option<String>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// Expands one value (BuildKit's `SingleWordExpander`).
pub type Expander<'a> = &'a dyn Fn(&str) -> Result<String, String>;

const ALL_KEYS: [&str; 19] = [
    "type",
    "from",
    "source",
    "target",
    "readonly",
    "id",
    "sharing",
    "required",
    "size",
    "mode",
    "uid",
    "gid",
    "src",
    "dst",
    "destination",
    "ro",
    "rw",
    "readwrite",
    "env",
];

/// Parses a mount. With `expand == None` only the parse-time checks run and
/// `Ok(None)` is returned; with an expander the full typed mount is returned.
pub fn parse_mount(value: &str, expand: Option<Expander>) -> Result<Option<Mount>, String> {
    parse_mount_fields(&mount_fields(value)?, expand)
}

/// The CSV fields of a mount value (the first step of [`parse_mount`]).
pub(crate) fn mount_fields(value: &str) -> Result<Vec<Cow<'_, str>>, String> {
    csv::fields(value).map_err(|e| format!("failed to parse csv mounts: {e}"))
}

/// [`parse_mount`] from the fields [`mount_fields`] returned, for callers that
/// run both passes over one value and need to split it only once.
pub(crate) fn parse_mount_fields(
    fields: &[Cow<str>],
    expand: Option<Expander>,
) -> Result<Option<Mount>, String> {
    let mut m = Mount {
        kind: MountType::Bind,
        from: String::new(),
        source: String::new(),
        target: String::new(),
        read_only: false,
        size_limit: 0,
        id: String::new(),
        sharing: None,
        required: false,
        env: None,
        mode: None,
        uid: None,
        gid: None,
    };
    let mut read_only_auto = true;
    for field in fields {
        let field: &str = field;
        let (key, value) = match field.split_once('=') {
            Some((key, value)) => (lowercase(key), Some(value)),
            None => (lowercase(field), None),
        };
        let Some(value) = value else {
            if expand.is_none() {
                continue;
            }
            match &*key {
                "readonly" | "ro" => {
                    m.read_only = true;
                    read_only_auto = false;
                }
                "readwrite" | "rw" => {
                    m.read_only = false;
                    read_only_auto = false;
                }
                "required" if matches!(m.kind, MountType::Secret | MountType::Ssh) => {
                    m.required = true
                }
                "required" => {
                    return Err(format!(
                        "unexpected key '{key}' for mount type '{}'",
                        m.kind.as_str()
                    ))
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        let value = match expand {
            Some(expand) => expand(value)?,
            None => {
                if key == "from" {
                    if let Some(i) = value.find('$') {
                        if i != value.len() - 1 {
                            return Err(format!("'{key}' doesn't support variable expansion, define alias stage instead"));
                        }
                    }
                }
                continue;
            }
        };
        apply_key(&mut m, &key, value, field, &mut read_only_auto)?;
    }
    if expand.is_none() {
        return Ok(None);
    }
    finish(m, read_only_auto).map(Some)
}

/// `text.to_lowercase()`, borrowed when that would not change it (keys are
/// usually written in lower case already).
fn lowercase(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

fn apply_key(
    m: &mut Mount,
    key: &str,
    value: String,
    field: &str,
    read_only_auto: &mut bool,
) -> Result<(), String> {
    let invalid = |key: &str, value: &str| format!("invalid value for {key}: {value}");
    match key {
        "type" => {
            m.kind = MountType::parse(&lowercase(&value)).ok_or_else(|| {
                let options = ["bind", "cache", "secret", "ssh", "tmpfs"];
                suggest::wrap(
                    format!("unsupported mount type {}", crate::go_quote(&value)),
                    &value,
                    &options,
                    true,
                )
            })?;
        }
        "from" => m.from = value,
        "source" | "src" => m.source = value,
        "target" | "dst" | "destination" => m.target = value,
        "readonly" | "ro" => {
            m.read_only = parse_bool(&value).ok_or_else(|| invalid(key, &value))?;
            *read_only_auto = false;
        }
        "readwrite" | "rw" => {
            m.read_only = !parse_bool(&value).ok_or_else(|| invalid(key, &value))?;
            *read_only_auto = false;
        }
        "required" if matches!(m.kind, MountType::Secret | MountType::Ssh) => {
            m.required = parse_bool(&value).ok_or_else(|| invalid(key, &value))?;
        }
        "size" if m.kind == MountType::Tmpfs => {
            m.size_limit = ram_in_bytes(&value).ok_or_else(|| invalid(key, &value))?;
        }
        "required" | "size" => {
            return Err(format!(
                "unexpected key '{key}' for mount type '{}'",
                m.kind.as_str()
            ))
        }
        "id" => m.id = value,
        "sharing" => {
            m.sharing = Some(match value.to_lowercase().as_str() {
                "shared" => Sharing::Shared,
                "private" => Sharing::Private,
                "locked" => Sharing::Locked,
                _ => {
                    let message = format!("unsupported sharing value {}", crate::go_quote(&value));
                    return Err(suggest::wrap(
                        message,
                        &value,
                        &["locked", "private", "shared"],
                        true,
                    ));
                }
            });
        }
        "mode" => {
            m.mode = Some(
                parse_u32(&value, 8).ok_or_else(|| format!("invalid value {value} for mode"))?,
            )
        }
        "uid" => {
            m.uid = Some(
                parse_u32(&value, 10).ok_or_else(|| format!("invalid value {value} for uid"))?,
            )
        }
        "gid" => {
            m.gid = Some(
                parse_u32(&value, 10).ok_or_else(|| format!("invalid value {value} for gid"))?,
            )
        }
        "env" => m.env = Some(value),
        _ => {
            let message = format!("unexpected key '{key}' in '{field}'");
            return Err(suggest::wrap(message, key, &ALL_KEYS, true));
        }
    }
    Ok(())
}

fn finish(mut m: Mount, read_only_auto: bool) -> Result<Mount, String> {
    let file_info_allowed = matches!(
        m.kind,
        MountType::Secret | MountType::Ssh | MountType::Cache
    );
    if !file_info_allowed {
        let kind = crate::go_quote(m.kind.as_str());
        if m.mode.is_some() {
            return Err(format!("mode not allowed for {kind} type mounts"));
        }
        if m.uid.is_some() {
            return Err(format!("uid not allowed for {kind} type mounts"));
        }
        if m.gid.is_some() {
            return Err(format!("gid not allowed for {kind} type mounts"));
        }
    }
    if read_only_auto {
        m.read_only = !matches!(m.kind, MountType::Cache | MountType::Tmpfs);
    }
    if m.kind == MountType::Secret {
        if !m.from.is_empty() {
            return Err("secret mount should not have a from".into());
        }
        if m.sharing.is_some() {
            return Err("secret mount should not define sharing".into());
        }
        if m.source.is_empty() && m.target.is_empty() && m.id.is_empty() {
            return Err("invalid secret mount. one of source, target required".into());
        }
        if !m.source.is_empty() && !m.id.is_empty() {
            return Err("both source and id can't be set".into());
        }
    }
    if m.sharing.is_some() && m.kind != MountType::Cache {
        return Err(format!(
            "invalid cache sharing set for {} mount",
            m.kind.as_str()
        ));
    }
    Ok(m)
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseUint(value, radix, 32)`: digits only, no sign or prefix.
fn parse_u32(value: &str, radix: u32) -> Option<u32> {
    if value.is_empty() || !value.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(value, radix).ok()
}

/// docker/go-units `RAMInBytes`: `<number>[ ][kmgtp][i][b]`, binary multiples.
pub fn ram_in_bytes(value: &str) -> Option<i64> {
    let number_len = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, mut suffix) = value.split_at(number_len);
    if !number.starts_with(|c: char| c.is_ascii_digit())
        || number.ends_with('.')
        || number.contains("..")
    {
        return None;
    }
    let size: f64 = number.parse().ok()?;
    suffix = suffix.strip_prefix(' ').unwrap_or(suffix);
    let mut chars = suffix.chars().peekable();
    let mut multiplier = 1f64;
    if let Some(&c) = chars.peek() {
        if let Some(power) = "kmgtp".find(c.to_ascii_lowercase()) {
            multiplier = 1024f64.powi(power as i32 + 1);
            chars.next();
        }
    }
    if matches!(chars.peek(), Some('i' | 'I')) {
        chars.next();
    }
    if matches!(chars.peek(), Some('b' | 'B')) {
        chars.next();
    }
    if chars.next().is_some() {
        return None;
    }
    Some((size * multiplier) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(value: &str) -> Result<Mount, String> {
        let identity = |v: &str| Ok(v.to_string());
        parse_mount(value, Some(&identity)).map(|m| m.expect("typed mount"))
    }

    #[test]
    fn defaults_per_type() {
        let bind = full("target=/x").unwrap();
        assert_eq!((bind.kind, bind.read_only), (MountType::Bind, true));
        let cache =
            full("type=cache,target=/root/.cache,sharing=locked,uid=1000,mode=0755").unwrap();
        assert_eq!(
            (
                cache.kind,
                cache.read_only,
                cache.sharing,
                cache.uid,
                cache.mode
            ),
            (
                MountType::Cache,
                false,
                Some(Sharing::Locked),
                Some(1000),
                Some(0o755)
            )
        );
        let tmpfs = full("type=tmpfs,target=/t,size=64m").unwrap();
        assert_eq!(tmpfs.size_limit, 64 << 20);
    }

    #[test]
    fn errors_match_buildkit() {
        assert_eq!(
            full("type=cahce,target=/x").unwrap_err(),
            "unsupported mount type \"cahce\" (did you mean cache?)"
        );
        assert_eq!(
            full("type=cache,target=/x,sharing=lock").unwrap_err(),
            "unsupported sharing value \"lock\" (did you mean locked?)"
        );
        assert_eq!(
            full("target=/x,tagret=/y").unwrap_err(),
            "unexpected key 'tagret' in 'tagret=/y' (did you mean target?)"
        );
        assert_eq!(
            full("target=/x,mode=0644").unwrap_err(),
            "mode not allowed for \"bind\" type mounts"
        );
        assert_eq!(
            full("type=cache,target=/x,mode=9").unwrap_err(),
            "invalid value 9 for mode"
        );
        assert_eq!(
            full("type=cache,target=/x,required").unwrap_err(),
            "unexpected key 'required' for mount type 'cache'"
        );
        assert_eq!(
            full("type=secret").unwrap_err(),
            "invalid secret mount. one of source, target required"
        );
        assert_eq!(
            full("type=bind,target=/x,sharing=shared").unwrap_err(),
            "invalid cache sharing set for bind mount"
        );
        assert_eq!(
            full("target").unwrap_err(),
            "invalid field 'target' must be a key=value pair"
        );
        assert_eq!(
            full("type=tmpfs,size=lots").unwrap_err(),
            "invalid value for size: lots"
        );
        assert_eq!(full("a\"b").unwrap_err(), "failed to parse csv mounts: parse error on line 1, column 2: bare \" in non-quoted-field");
    }

    #[test]
    fn parse_time_check_rejects_from_variables() {
        assert_eq!(
            parse_mount("from=$X,target=/x", None).unwrap_err(),
            "'from' doesn't support variable expansion, define alias stage instead"
        );
        assert_eq!(parse_mount("from=a$,target=/x", None), Ok(None));
        assert_eq!(parse_mount("type=bogus,from=x", None), Ok(None));
    }

    #[test]
    fn sizes() {
        assert_eq!(ram_in_bytes("10"), Some(10));
        assert_eq!(ram_in_bytes("1.5 KiB"), Some(1536));
        assert_eq!(ram_in_bytes("2g"), Some(2 << 30));
        assert_eq!(ram_in_bytes("1.2.3"), None);
        assert_eq!(ram_in_bytes("x"), None);
        assert_eq!(ram_in_bytes("1kx"), None);
    }
}
