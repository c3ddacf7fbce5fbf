//! `EXPOSE` port specs, as `github.com/docker/go-connections/nat` v0.4.0
//! (`ParsePortSpecs`) reads them in BuildKit v0.8.3.

#[cfg(test)]
use std::collections::BTreeSet;
use std::net::IpAddr;

/// The exposed ports (`80/tcp`, `53/udp`) of a list of specs, as a set.
#[cfg(test)]
pub(crate) fn parse_port_specs(specs: &[String]) -> Result<BTreeSet<String>, String> {
    let mut ports = BTreeSet::new();
    for spec in specs {
        for port in parse_port_spec(spec)? {
            ports.insert(port);
        }
    }
    Ok(ports)
}

/// The exposed ports of a list of specs in their order, duplicates kept (BuildKit
/// v0.25's `parsePorts`, whose list the history prints).
pub(crate) fn parse_port_list(specs: &[String]) -> Result<Vec<String>, String> {
    let mut ports = Vec::new();
    for spec in specs {
        ports.extend(parse_port_spec(spec)?);
    }
    Ok(ports)
}

fn split_parts(raw: &str) -> (String, String, String) {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1].to_owned();
    match n {
        1 => (String::new(), String::new(), container),
        2 => (String::new(), parts[0].to_owned(), container),
        3 => (parts[0].to_owned(), parts[1].to_owned(), container),
        _ => (parts[..n - 2].join(":"), parts[n - 2].to_owned(), container),
    }
}

fn split_proto_port(raw: &str) -> (String, String) {
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.is_empty() || parts[0].is_empty() {
        return (String::new(), String::new());
    }
    if parts.len() == 1 {
        return ("tcp".to_owned(), raw.to_owned());
    }
    if parts[1].is_empty() {
        return ("tcp".to_owned(), parts[0].to_owned());
    }
    (parts[1].to_owned(), parts[0].to_owned())
}

/// Go's `strconv.ParseUint(s, 10, 16)`.
fn parse_u16(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok().map(u64::from)
}

fn parse_port_range(ports: &str) -> Option<(u64, u64)> {
    if ports.is_empty() {
        return None;
    }
    if !ports.contains('-') {
        let p = parse_u16(ports)?;
        return Some((p, p));
    }
    let parts: Vec<&str> = ports.split('-').collect();
    let start = parse_u16(parts[0])?;
    let end = parse_u16(parts[1])?;
    if end < start {
        return None;
    }
    Some((start, end))
}

/// Go's `net.SplitHostPort(ip + ":")` host part, then `net.ParseIP`.
fn check_ip(raw_ip: &str) -> Result<(), String> {
    let host = if let Some(rest) = raw_ip.strip_prefix('[') {
        match rest.strip_suffix(']') {
            Some(h) => h,
            None => {
                return Err(format!(
                    "Invalid ip address {raw_ip}: address {raw_ip}:: missing ']' in address"
                ))
            }
        }
    } else {
        if raw_ip.contains(':') {
            return Err(format!(
                "Invalid ip address {raw_ip}: address {raw_ip}:: too many colons in address"
            ));
        }
        raw_ip
    };
    if !host.is_empty() && host.parse::<IpAddr>().is_err() {
        return Err(format!("Invalid ip address: {host}"));
    }
    Ok(())
}

fn parse_port_spec(raw: &str) -> Result<Vec<String>, String> {
    let (raw_ip, host_port, container) = split_parts(raw);
    let (proto, container) = split_proto_port(&container);
    check_ip(&raw_ip)?;
    if container.is_empty() {
        return Err(format!("No port specified: {raw}<empty>"));
    }
    let (start, end) = parse_port_range(&container)
        .ok_or_else(|| format!("Invalid containerPort: {container}"))?;
    let (host_start, host_end) = if host_port.is_empty() {
        (0, 0)
    } else {
        parse_port_range(&host_port).ok_or_else(|| format!("Invalid hostPort: {host_port}"))?
    };
    if !host_port.is_empty() && (end - start) != (host_end - host_start) && end != start {
        return Err(format!(
            "Invalid ranges specified for container and host Ports: {container} and {host_port}"
        ));
    }
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("Invalid proto: {proto}"));
    }
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(specs: &[&str]) -> Result<Vec<String>, String> {
        let specs: Vec<String> = specs.iter().map(|s| (*s).to_owned()).collect();
        parse_port_specs(&specs).map(|s| s.into_iter().collect())
    }

    #[test]
    fn specs() {
        assert_eq!(ports(&["80"]).unwrap(), ["80/tcp"]);
        assert_eq!(ports(&["53/UDP", "80/tcp"]).unwrap(), ["53/udp", "80/tcp"]);
        assert_eq!(
            ports(&["8000-8002"]).unwrap(),
            ["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert_eq!(ports(&["127.0.0.1:8080:80"]).unwrap(), ["80/tcp"]);
        assert_eq!(ports(&["80/"]).unwrap(), ["80/tcp"]);
        assert_eq!(ports(&["x"]).unwrap_err(), "Invalid containerPort: x");
        assert_eq!(ports(&["80/ftp"]).unwrap_err(), "Invalid proto: ftp");
        assert_eq!(ports(&[""]).unwrap_err(), "No port specified: <empty>");
        assert_eq!(
            ports(&["90-80"]).unwrap_err(),
            "Invalid containerPort: 90-80"
        );
        assert_eq!(
            ports(&["1.2.3:80:80"]).unwrap_err(),
            "Invalid ip address: 1.2.3"
        );
    }
}
