//! The Envoy versions the suites run on, by role (`test-harness/envoy-versions`).

/// The versions the project supports, `VERSION ROLE` a line (the scripts read it too).
const VERSIONS: &str = include_str!("../../envoy-versions");

/// The version of `role` in `envoy-versions`; the file is part of the build, so a missing
/// role is a bug caught by the unit test below.
fn version_of(role: &str) -> &'static str {
    VERSIONS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(' '))
        .find(|(_, r)| r.trim() == role)
        .map(|(version, _)| version)
        .unwrap_or_else(|| panic!("test-harness/envoy-versions names no {role} version"))
}

/// The Envoy version the full suite runs on.
pub fn default_version() -> &'static str {
    version_of("default")
}

/// The oldest Envoy the suites run on: the oldest Istio gateways still ship, or, for the
/// native build (`SNI_GUARD_BUILD=native`), the oldest Envoy whose dynamic-module ABI it
/// speaks.
pub fn oldest_version() -> &'static str {
    match crate::envoy::topology::Build::current() {
        Ok(crate::envoy::topology::Build::Native) => version_of("native-oldest"),
        _ => istio_oldest_version(),
    }
}

/// The oldest Envoy Istio gateways still ship (`oldest` in `envoy-versions`), whatever the build.
pub fn istio_oldest_version() -> &'static str {
    version_of("oldest")
}

/// The Envoy minor release Envoy Gateway v1.9 ships (`distroless-v1.39.0`), at its newest
/// patch: the Envoy Gateway proof runs on it too.
pub fn envoy_gateway_version() -> &'static str {
    version_of("envoy-gateway")
}

/// The version a [`crate::Gateway`] runs unless told otherwise: `SNI_GUARD_ENVOY_VERSION` if
/// set, else [`default_version`]. It runs the whole suite on another wheel version.
pub fn suite_version() -> String {
    std::env::var("SNI_GUARD_ENVOY_VERSION")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default_version().to_string())
}

#[cfg(test)]
mod tests {
    use super::{default_version, envoy_gateway_version, oldest_version};

    #[test]
    fn the_versions_file_names_a_default_and_an_oldest_version() {
        for version in [default_version(), oldest_version(), envoy_gateway_version()] {
            let parts: Vec<&str> = version.split('.').collect();
            assert_eq!(parts.len(), 3, "{version}");
            assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()), "{version}");
        }
        assert_ne!(default_version(), oldest_version());
    }
}
