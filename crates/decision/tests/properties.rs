//! Properties of normalisation and matching over generated names.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may fail loudly

mod common;
use common::outcome;
use proptest::prelude::*;
use sni_guard_decision::hostname::normalize;
use sni_guard_decision::{Config, Request};

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
}

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..5).prop_map(|labels| labels.join("."))
}

/// Random case, an optional port, an optional trailing dot.
fn disguise(name: &str, upper: &[bool], port: Option<u16>, dot: bool) -> String {
    let mut out: String = name
        .chars()
        .zip(upper.iter().cycle())
        .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c })
        .collect();
    if dot {
        out.push('.');
    }
    if let Some(port) = port {
        out.push_str(&format!(":{port}"));
    }
    out
}

fn table(hosts: &[String]) -> Config {
    let servers: Vec<String> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| format!(r#"{{"name": "s{i}", "hosts": ["{h}"]}}"#))
        .collect();
    Config::parse(format!(r#"{{"servers": [{}]}}"#, servers.join(",")).as_bytes()).unwrap()
}

proptest! {
    #[test]
    fn normalize_is_idempotent(raw in "[A-Za-z0-9.:\\[\\]-]{0,40}") {
        let once = normalize(raw.as_bytes());
        // A second pass strips a second trailing dot, except from a bracketed literal.
        let twice = match once.first() {
            Some(b'[') => once,
            _ => once.strip_suffix(b".").unwrap_or(once),
        };
        prop_assert_eq!(normalize(once), twice);
    }

    #[test]
    fn disguised_names_normalise_to_the_name(
        n in name(),
        upper in prop::collection::vec(any::<bool>(), 1..8),
        port in prop::option::of(any::<u16>()),
        dot in any::<bool>(),
    ) {
        let d = disguise(&n, &upper, port, dot);
        prop_assert!(normalize(d.as_bytes()).eq_ignore_ascii_case(n.as_bytes()));
    }

    #[test]
    fn verdict_ignores_case_port_and_trailing_dot(
        sni in name(),
        authority in name(),
        extra in name(),
        upper in prop::collection::vec(any::<bool>(), 1..8),
        port in prop::option::of(any::<u16>()),
        dot in any::<bool>(),
    ) {
        let hosts = [sni.clone(), format!("*.{extra}"), authority.clone()];
        let configs = [Config::default(), table(&hosts[..1]), table(&hosts[1..])];
        let disguised = disguise(&authority, &upper, port, dot);
        for config in configs.iter() {
            let plain = config.decide(&Request { sni: Some(sni.as_bytes()), authority: Some(authority.as_bytes()), protocol: None });
            let odd = config.decide(&Request { sni: Some(sni.as_bytes()), authority: Some(disguised.as_bytes()), protocol: None });
            prop_assert_eq!(outcome(plain), outcome(odd));
        }
    }

    #[test]
    fn a_name_selects_what_its_normalised_form_selects(
        names in prop::collection::vec(name(), 1..6),
        probe in name(),
        prefix in label(),
        upper in prop::collection::vec(any::<bool>(), 1..8),
        port in prop::option::of(any::<u16>()),
    ) {
        let mut hosts: Vec<String> = names.iter().map(|n| format!("*.{n}")).collect();
        hosts.extend(names.iter().cloned());
        hosts.sort();
        hosts.dedup();
        let config = table(&hosts);
        let servers = config.servers.as_ref().unwrap();
        for candidate in [probe.clone(), format!("{prefix}.{}", names[0]), names[0].clone()] {
            let disguised = disguise(&candidate, &upper, port, true);
            prop_assert_eq!(servers.select(candidate.as_bytes()), servers.select(normalize(disguised.as_bytes())));
        }
    }

    #[test]
    fn wildcard_selection_matches_a_reference(
        suffixes in prop::collection::vec(name(), 1..6),
        probe_labels in prop::collection::vec(label(), 1..4),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut suffixes = suffixes;
        suffixes.sort();
        suffixes.dedup();
        let hosts: Vec<String> = suffixes.iter().map(|s| format!("*.{s}")).collect();
        let config = table(&hosts);
        let servers = config.servers.as_ref().unwrap();
        let base = pick.get(&suffixes);
        let probe = format!("{}.{base}", probe_labels.join("."));
        // Reference: the longest suffix with at least one label before it.
        let want = suffixes
            .iter()
            .enumerate()
            .filter(|(_, s)| probe.len() > s.len() + 1 && probe.ends_with(&format!(".{s}")))
            .max_by_key(|(_, s)| s.len())
            .map(|(i, _)| i as u32);
        prop_assert!(want.is_some());
        prop_assert_eq!(servers.select(probe.as_bytes()), want);
    }
}
