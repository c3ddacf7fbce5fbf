//! `EXPOSE` port specs, read as the current Dockerfile reference reads them
//! ([`PortSpec`]) on every daemon.

#[cfg(test)]
use std::collections::BTreeSet;

use dfopt_dockerfile::instructions::expose::PortSpec;

/// The exposed ports (`80/tcp`, `53/udp`) of a list of specs; the first invalid
/// spec fails with BuildKit's message.
#[cfg(test)]
pub(crate) fn parse_port_specs(specs: &[String]) -> Result<BTreeSet<String>, String> {
    let mut ports = BTreeSet::new();
    for spec in specs {
        ports.extend(PortSpec::split(spec)?.ports()?);
    }
    Ok(ports)
}

/// The exposed ports of a list of specs in their order, duplicates kept (BuildKit
/// v0.25's `parsePorts`, whose list the history prints).
pub(crate) fn parse_port_list(specs: &[String]) -> Result<Vec<String>, String> {
    let mut ports = Vec::new();
    for spec in specs {
        ports.extend(PortSpec::split(spec)?.ports()?);
    }
    Ok(ports)
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
        assert_eq!(ports(&["127.0.0.1:8080:80"]).unwrap(), ["80/tcp"]);
        assert_eq!(ports(&["80/"]).unwrap(), ["80/tcp"]);
        assert_eq!(ports(&["x"]).unwrap_err(), "invalid containerPort: x");
        assert_eq!(
            ports(&["80/ftp"]).unwrap_err(),
            "invalid port: \"80/ftp\": invalid proto: ftp"
        );
        assert_eq!(
            ports(&[""]).unwrap_err(),
            "invalid port: \"\": no port specified"
        );
    }
}
