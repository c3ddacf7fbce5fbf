//! The `EXPOSE` checks, run between the two steps of
//! [`PortSpec`](dfopt_dockerfile::instructions::expose::PortSpec) parsing as in
//! BuildKit: each spec is split and its protocol checked (an error fails the build),
//! then ExposeProtoCasing and ExposeInvalidFormat run, then the rest is validated.
//! Only the checks and the errors matter here; the exposed ports themselves are the
//! converter's business.

use dfopt_dockerfile::instructions::expose::PortSpec;

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
    let spec = PortSpec::split(raw)?;
    if spec.proto != spec.proto.to_lowercase() {
        report(
            &rules::EXPOSE_PROTO_CASING,
            rules::expose_proto_casing_detail(raw),
        );
    }
    if !spec.ip.is_empty() || !spec.host_port.is_empty() {
        report(
            &rules::EXPOSE_INVALID_FORMAT,
            rules::expose_invalid_format_detail(raw),
        );
    }
    spec.ports().map(drop)
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
