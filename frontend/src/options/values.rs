//! Parsers for individual option values, each equal to the Go function the official
//! frontend uses (named in each doc comment). They return plain `String` reasons; the
//! caller adds which option was wrong.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;

/// Go's `strconv.ParseBool`.
pub fn go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// One record of Go's `encoding/csv` (default settings): `,` separates fields, a
/// field that starts with `"` is quoted and `""` inside it is a literal quote, a bare
/// `"` elsewhere is an error, and the record ends at the first unquoted newline.
pub fn csv_record(value: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("extraneous or missing \" in quoted-field".to_owned()),
                }
            }
            match chars.next() {
                None | Some('\n') => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("extraneous or missing \" in quoted-field".to_owned()),
            }
        } else {
            loop {
                match chars.next() {
                    None | Some('\n') => {
                        fields.push(field.trim_end_matches('\r').to_owned());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err("bare \" in non-quoted-field".to_owned()),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

/// One `--add-host` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIp {
    /// Host name (lower-cased, as BuildKit does).
    pub host: String,
    /// The address.
    pub ip: IpAddr,
}

/// `parseExtraHosts`: CSV of `host=ip`.
pub fn extra_hosts(value: &str) -> Result<Vec<HostIp>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    csv_record(value)?
        .into_iter()
        .map(|field| {
            let lowered = field.to_lowercase();
            let (host, ip) = lowered
                .split_once('=')
                .ok_or_else(|| format!("invalid key-value pair {field}"))?;
            let ip = parse_go_ip(ip).ok_or_else(|| format!("failed to parse IP {ip}"))?;
            Ok(HostIp {
                host: host.to_owned(),
                ip,
            })
        })
        .collect()
}

/// Go's `net.ParseIP`: plain IPv4 or IPv6 text, no zone, no brackets.
fn parse_go_ip(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

/// One `--ulimit` entry (`name=soft[:hard]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    /// `nofile`, `nproc`, …
    pub name: String,
    /// Soft limit.
    pub soft: i64,
    /// Hard limit (equal to `soft` when not given).
    pub hard: i64,
}

/// `parseUlimits` (go-units `ParseUlimit` per CSV field).
pub fn ulimits(value: &str) -> Result<Vec<Ulimit>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    csv_record(value)?
        .iter()
        .map(|field| ulimit(field))
        .collect()
}

const ULIMIT_NAMES: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

fn ulimit(field: &str) -> Result<Ulimit, String> {
    let (name, limits) = field
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit argument: {field}"))?;
    if !ULIMIT_NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let number = |text: &str| {
        text.parse::<i64>()
            .map_err(|_| format!("invalid ulimit value {text:?} in {field}"))
    };
    let (soft, hard) = match limits.split_once(':') {
        Some((soft, hard)) => (number(soft)?, number(hard)?),
        None => {
            let soft = number(limits)?;
            (soft, soft)
        }
    };
    if soft > hard {
        return Err(format!(
            "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        ));
    }
    Ok(Ulimit {
        name: name.to_owned(),
        soft,
        hard,
    })
}

/// `cpuset.Validate`: `0-3,5,7-8`.
pub fn cpuset(value: &str) -> Result<(), String> {
    for item in value.split(',') {
        let valid = match item.split_once('-') {
            Some((low, high)) => match (low.parse::<u32>(), high.parse::<u32>()) {
                (Ok(low), Ok(high)) => low <= high,
                _ => false,
            },
            None => item.parse::<u32>().is_ok(),
        };
        if !valid {
            return Err(format!("invalid format: {value}"));
        }
    }
    Ok(())
}

/// A signed decimal integer (`strconv.ParseInt(v, 10, 64)`).
pub fn int64(value: &str) -> Result<i64, String> {
    value
        .parse::<i64>()
        .map_err(|_| format!("invalid syntax: {value:?} is not an integer"))
}

/// An unsigned decimal integer (`strconv.ParseUint(v, 10, 64)`).
pub fn uint64(value: &str) -> Result<u64, String> {
    value
        .parse::<u64>()
        .map_err(|_| format!("invalid syntax: {value:?} is not an unsigned integer"))
}

/// One cache source for the final solve (`SolveRequest.CacheImports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheImport {
    /// `registry`, `local`, `gha`, …
    pub kind: String,
    /// Type-specific attributes (`ref` for `registry`).
    pub attrs: BTreeMap<String, String>,
}

/// The JSON shape of `cache-imports` (`controlapi.CacheOptionsEntry`). Go matches
/// JSON keys case-insensitively; the two spellings seen in practice are accepted.
#[derive(Deserialize)]
struct CacheImportJson {
    #[serde(rename = "Type", alias = "type", default)]
    kind: String,
    #[serde(rename = "Attrs", alias = "attrs", default)]
    attrs: Option<BTreeMap<String, String>>,
}

/// `cache-imports`: a JSON array of `{"Type":…,"Attrs":{…}}` (`null` = none).
pub fn cache_imports(value: &str) -> Result<Vec<CacheImport>, String> {
    let entries: Option<Vec<CacheImportJson>> =
        serde_json::from_str(value).map_err(|error| error.to_string())?;
    Ok(entries
        .unwrap_or_default()
        .into_iter()
        .map(|entry| CacheImport {
            kind: entry.kind,
            attrs: entry.attrs.unwrap_or_default(),
        })
        .collect())
}

/// `cache-from`: comma-separated registry references.
pub fn cache_from(value: &str) -> Vec<CacheImport> {
    if value.is_empty() {
        return Vec::new();
    }
    value
        .split(',')
        .map(|reference| CacheImport {
            kind: "registry".to_owned(),
            attrs: BTreeMap::from([("ref".to_owned(), reference.to_owned())]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_bool_accepts_go_spellings_only() {
        assert_eq!(go_bool("True"), Some(true));
        assert_eq!(go_bool("0"), Some(false));
        assert_eq!(go_bool("yes"), None);
        assert_eq!(go_bool(""), None);
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(csv_record("a,b").unwrap(), ["a", "b"]);
        assert_eq!(csv_record("").unwrap(), [""]);
        assert_eq!(csv_record(r#""a,b",c"#).unwrap(), ["a,b", "c"]);
        assert_eq!(csv_record(r#""say ""hi""""#).unwrap(), [r#"say "hi""#]);
        assert!(csv_record(r#"a"b"#).is_err());
        assert!(csv_record(r#""open"#).is_err());
        assert_eq!(csv_record("a,b\nc,d").unwrap(), ["a", "b"]);
    }

    #[test]
    fn extra_hosts_lowercase_and_validate() {
        let hosts = extra_hosts("Foo=10.0.0.1,bar=::1").unwrap();
        assert_eq!(hosts[0].host, "foo");
        assert_eq!(hosts[1].ip.to_string(), "::1");
        assert_eq!(extra_hosts("").unwrap(), []);
        assert_eq!(
            extra_hosts("foo").unwrap_err(),
            "invalid key-value pair foo"
        );
        assert_eq!(
            extra_hosts("foo=bar").unwrap_err(),
            "failed to parse IP bar"
        );
    }

    #[test]
    fn ulimit_forms() {
        assert_eq!(
            ulimits("nofile=1024:2048,nproc=10").unwrap(),
            [
                Ulimit {
                    name: "nofile".into(),
                    soft: 1024,
                    hard: 2048
                },
                Ulimit {
                    name: "nproc".into(),
                    soft: 10,
                    hard: 10
                },
            ]
        );
        assert!(ulimits("bogus=1").is_err());
        assert!(ulimits("nofile=2:1").is_err());
        assert!(ulimits("nofile").is_err());
    }

    #[test]
    fn cpuset_forms() {
        assert!(cpuset("0-3,5").is_ok());
        assert!(cpuset("3-1").is_err());
        assert!(cpuset("a").is_err());
        assert!(cpuset("").is_err());
    }

    #[test]
    fn cache_imports_json() {
        let imports =
            cache_imports(r#"[{"Type":"registry","Attrs":{"ref":"r/x:cache"}},{"type":"local"}]"#)
                .unwrap();
        assert_eq!(imports[0].kind, "registry");
        assert_eq!(imports[0].attrs["ref"], "r/x:cache");
        assert_eq!(imports[1].kind, "local");
        assert_eq!(cache_imports("null").unwrap(), []);
        assert!(cache_imports("{").is_err());
        assert_eq!(cache_from("a,b").len(), 2);
        assert!(cache_from("").is_empty());
    }
}
