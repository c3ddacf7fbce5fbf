//! `EXPOSE` port specs as the current Dockerfile reference reads them (BuildKit's
//! `portSpecs.parsePort`, the same from v0.25 to v0.32):
//! `[ip:][hostPort:]containerPort[/proto]`.
//!
//! Parsing is two steps because BuildKit's build checks run between them: a spec is
//! first [split](PortSpec::split) (a missing port or an unknown protocol fails here),
//! then ExposeProtoCasing and ExposeInvalidFormat look at the parts, then
//! [`PortSpec::ports`] validates the rest and lists the exposed ports.

/// One spec, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec<'a> {
    raw: &'a str,
    /// The IP part (everything before the last two `:`-separated parts), or empty.
    pub ip: String,
    /// The host port (range), or empty.
    pub host_port: &'a str,
    /// The protocol as written (`tcp` when none).
    pub proto: &'a str,
    /// The container port (range).
    pub container_port: &'a str,
}

impl<'a> PortSpec<'a> {
    /// Splits `raw`: BuildKit's error when no port is given or the protocol is not
    /// tcp, udp or sctp (any case).
    pub fn split(raw: &'a str) -> Result<Self, String> {
        let parts: Vec<&str> = raw.split(':').collect();
        let n = parts.len();
        let (ip, host_port, container) = match n {
            1 => (String::new(), "", parts[0]),
            2 => (String::new(), parts[0], parts[1]),
            _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
        };
        let (container_port, proto) = container.split_once('/').unwrap_or((container, ""));
        let invalid = |why: String| format!("invalid port: {}: {why}", crate::go_quote(raw));
        if container_port.is_empty() {
            return Err(invalid("no port specified".to_owned()));
        }
        let proto = match proto.to_lowercase().as_str() {
            "" => "tcp",
            "tcp" | "udp" | "sctp" => proto,
            _ => return Err(invalid(format!("invalid proto: {proto}"))),
        };
        Ok(PortSpec {
            raw,
            ip,
            host_port,
            proto,
            container_port,
        })
    }

    /// The spec as written.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// Validates the IP and the port ranges and lists the exposed ports
    /// (`8000/tcp`, `8001/tcp`, … with the protocol in lower case).
    pub fn ports(&self) -> Result<Vec<String>, String> {
        let mut ip = self.ip.clone();
        if ip.starts_with('[') {
            ip = bracketed_host(&ip).map_err(|e| format!("invalid IP address {}: {e}", self.ip))?;
        }
        if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
            return Err(format!("invalid IP address: {ip}"));
        }
        let container = self.container_port;
        let (start, end) =
            port_range(container).ok_or_else(|| format!("invalid containerPort: {container}"))?;
        if !self.host_port.is_empty() {
            let host = self.host_port;
            let (host_start, host_end) =
                port_range(host).ok_or_else(|| format!("invalid hostPort: {host}"))?;
            if end - start != host_end - host_start && end != start {
                return Err(format!(
                    "invalid ranges specified for container and host Ports: {container} and {host}"
                ));
            }
        }
        let proto = self.proto.to_lowercase();
        Ok((start..=end)
            .map(|port| format!("{port}/{proto}"))
            .collect())
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

    fn ports(raw: &str) -> Result<Vec<String>, String> {
        PortSpec::split(raw)?.ports()
    }

    #[test]
    fn ports_are_listed_with_lower_case_protocols() {
        assert_eq!(ports("80").unwrap(), ["80/tcp"]);
        assert_eq!(ports("53/UDP").unwrap(), ["53/udp"]);
        assert_eq!(
            ports("8000-8002").unwrap(),
            ["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert_eq!(ports("+80").unwrap(), ["80/tcp"]);
        assert_eq!(ports("1-3:4").unwrap(), ["4/tcp"]);
        assert_eq!(ports("[::1]:80:80").unwrap(), ["80/tcp"]);
        assert_eq!(ports("80-80").unwrap(), ["80/tcp"]);
    }

    #[test]
    fn errors_have_buildkit_text() {
        let cases = [
            ("80/xyz", "invalid port: \"80/xyz\": invalid proto: xyz"),
            ("/tcp", "invalid port: \"/tcp\": no port specified"),
            ("1.2.3:80:80", "invalid IP address: 1.2.3"),
            (
                "[::1:80:80",
                "invalid IP address [::1: address [::1:: missing ']' in address",
            ),
            ("70000", "invalid containerPort: 70000"),
            ("90-80", "invalid containerPort: 90-80"),
            ("x:80", "invalid hostPort: x"),
            (
                "1-3:4-5",
                "invalid ranges specified for container and host Ports: 4-5 and 1-3",
            ),
        ];
        for (raw, message) in cases {
            assert_eq!(ports(raw).unwrap_err(), message, "{raw}");
        }
    }
}
