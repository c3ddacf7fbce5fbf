//! `EXPOSE` port specs as BuildKit's `portSpecs.parsePort` reads them
//! (`dockerfile2llb/convert_expose.go`, the same from v0.25 to v0.32):
//! `[ip:][hostPort:]containerPort[/proto]`. Each spec is first split and its
//! protocol checked (an error fails the build), then the two checks run
//! (ExposeProtoCasing, ExposeInvalidFormat), then the rest is validated. Only the
//! checks and the errors matter here; the exposed ports themselves are the
//! converter's business.

use super::rules;
use crate::rule::Rule;

/// Checks every (already expanded) spec, reporting findings through `report` in
/// BuildKit's order; the first invalid spec stops with BuildKit's error.
pub(super) fn check(
    specs: &[String],
    mut report: impl FnMut(&'static Rule, String),
) -> Result<(), String> {
    for raw in specs {
        check_spec(raw, &mut report)?;
    }
    Ok(())
}

fn check_spec(raw: &str, report: &mut impl FnMut(&'static Rule, String)) -> Result<(), String> {
    let (ip, host_port, container) = split_parts(raw);
    let (proto, container_port) = split_proto_port(container)
        .map_err(|e| format!("invalid port: {}: {e}", dfopt_dockerfile::go_quote(raw)))?;
    if proto != proto.to_lowercase() {
        report(
            &rules::EXPOSE_PROTO_CASING,
            rules::expose_proto_casing_detail(raw),
        );
    }
    if !ip.is_empty() || !host_port.is_empty() {
        report(
            &rules::EXPOSE_INVALID_FORMAT,
            rules::expose_invalid_format_detail(raw),
        );
    }
    let mut ip = ip;
    if ip.starts_with('[') {
        ip = bracketed_host(&ip).map_err(|e| format!("invalid IP address {ip}: {e}"))?;
    }
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    let (start, end) = port_range(container_port)
        .ok_or_else(|| format!("invalid containerPort: {container_port}"))?;
    if !host_port.is_empty() {
        let (host_start, host_end) =
            port_range(host_port).ok_or_else(|| format!("invalid hostPort: {host_port}"))?;
        if end - start != host_end - host_start && end != start {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {container_port} and {host_port}"
            ));
        }
    }
    Ok(())
}

/// `ip`, `hostPort`, `containerPort`: the last two `:`-separated parts are the
/// ports, everything before them the IP.
fn split_parts(raw: &str) -> (String, &str, &str) {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    }
}

/// The protocol (as written; `tcp` when none) and the port part.
fn split_proto_port(raw: &str) -> Result<(&str, &str), String> {
    let (port, proto) = raw.split_once('/').unwrap_or((raw, ""));
    if port.is_empty() {
        return Err("no port specified".to_owned());
    }
    match proto.to_lowercase().as_str() {
        "" => Ok(("tcp", port)),
        "tcp" | "udp" | "sctp" => Ok((proto, port)),
        _ => Err(format!("invalid proto: {proto}")),
    }
}

/// Go's `net.SplitHostPort(ip + ":")` host part for a bracketed IP, with its error
/// texts.
fn bracketed_host(ip: &str) -> Result<String, String> {
    let hostport = format!("{ip}:");
    let fail = |why: &str| Err(format!("address {hostport}: {why}"));
    let colon = hostport.len() - 1;
    let Some(end) = hostport.find(']') else {
        return fail("missing ']' in address");
    };
    if end + 1 != colon {
        return if hostport.as_bytes()[end + 1] == b':' {
            fail("too many colons in address")
        } else {
            fail("missing port in address")
        };
    }
    if hostport[1..].contains('[') {
        return fail("unexpected '[' in address");
    }
    if hostport[end + 1..].contains(']') {
        return fail("unexpected ']' in address");
    }
    Ok(hostport[1..end].to_owned())
}

/// `start[-end]`, each a number in 0–65535 as Go's `strconv.ParseInt` reads it;
/// `None` when invalid.
fn port_range(ports: &str) -> Option<(i64, i64)> {
    if ports.is_empty() {
        return None;
    }
    let (start, end) = ports
        .split_once('-')
        .map_or((ports, None), |(s, e)| (s, Some(e)));
    let start_port = port_number(start)?;
    match end {
        Some(end) if end != start => {
            let end_port = port_number(end)?;
            (end_port >= start_port).then_some((start_port, end_port))
        }
        _ => Some((start_port, start_port)),
    }
}

fn port_number(raw: &str) -> Option<i64> {
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port: i64 = raw.parse().ok()?;
    (0..=65535).contains(&port).then_some(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(specs: &[&str]) -> (Vec<String>, Result<(), String>) {
        let specs: Vec<String> = specs.iter().map(|s| (*s).to_owned()).collect();
        let mut found = Vec::new();
        let result = check(&specs, |rule, message| {
            found.push(format!("{}: {message}", rule.id))
        });
        (found, result)
    }

    #[test]
    fn casing_and_format_findings() {
        let (found, result) = run(&["80/TCP", "127.0.0.1:8080:80", "8080:80/udp", "53/sctp"]);
        assert_eq!(result, Ok(()));
        assert_eq!(
            found,
            [
                "ExposeProtoCasing: Defined protocol '80/TCP' in EXPOSE instruction should be lowercase",
                "ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:8080:80'",
                "ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80/udp'",
            ]
        );
    }

    #[test]
    fn errors_have_buildkit_text_and_keep_earlier_findings() {
        let (found, result) = run(&["80/Udp", "80/xyz"]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            result,
            Err("invalid port: \"80/xyz\": invalid proto: xyz".into())
        );
        let (_, result) = run(&["/tcp"]);
        assert_eq!(
            result,
            Err("invalid port: \"/tcp\": no port specified".into())
        );
        let (found, result) = run(&["1.2.3:80:80"]);
        assert_eq!(found.len(), 1, "the check runs before the IP is validated");
        assert_eq!(result, Err("invalid IP address: 1.2.3".into()));
        assert_eq!(run(&["[::1]:80:80"]).1, Ok(()));
        assert_eq!(
            run(&["[::1:80:80"]).1,
            Err("invalid IP address [::1: address [::1:: missing ']' in address".into())
        );
        assert_eq!(
            run(&["70000"]).1,
            Err("invalid containerPort: 70000".into())
        );
        assert_eq!(
            run(&["90-80"]).1,
            Err("invalid containerPort: 90-80".into())
        );
        assert_eq!(run(&["+80", "8000-8010"]).1, Ok(()));
        assert_eq!(run(&["x:80"]).1, Err("invalid hostPort: x".into()));
        assert_eq!(
            run(&["1-3:4-5"]).1,
            Err("invalid ranges specified for container and host Ports: 4-5 and 1-3".into())
        );
        assert_eq!(run(&["1-3:4"]).1, Ok(()));
    }
}
