//! The README's demo shows what it claims: 404 without the filter, 421 then 200 with
//! strict, 404 and a counted mismatch with log_only; and the migration: log_only's 404, counter
//! and warning, then strict delivered through ECDS to the same Envoy, and the 421.

use sni_guard_harness::{Pki, demo, istio::migrate};

#[test]
fn the_demo_shows_the_bug_and_both_modes() {
    let pki = Pki::generate().unwrap();
    let runs: Vec<demo::Run> = demo::modes()
        .iter()
        .map(|(title, filter)| demo::run(title, filter, &pki).unwrap())
        .collect();
    let statuses: Vec<(u16, u16, Option<u16>)> = runs
        .iter()
        .map(|r| {
            (
                r.own.status,
                r.coalesced.status,
                r.retry.as_ref().map(|r| r.status),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [(200, 404, None), (200, 421, Some(200)), (200, 404, None)]
    );
    assert_eq!(
        runs[1].retry.as_ref().unwrap().body,
        "gw-b: b.example.com\n"
    );
    assert_eq!(runs[1].counters["misdirected"], 1);
    assert_eq!(runs[2].counters["log_only_mismatches"], 1);
    assert!(runs[2].filter_log[0].contains("let through (log_only)"));
    assert!(runs[0].access_log[1].starts_with("gw-a 1 a.example.com b.example.com 404 "));
    let table = demo::side_by_side(&runs);
    assert!(
        table.contains("sni-guard strict    200 gw-a       421"),
        "{table}"
    );
}

#[test]
fn demo_certs_are_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (first, made) = demo::certs(dir.path(), false).unwrap();
    assert!(made);
    let (again, made) = demo::certs(dir.path(), false).unwrap();
    assert!(!made);
    assert_eq!(first.ca_pem, again.ca_pem);
    let (fresh, made) = demo::certs(dir.path(), true).unwrap();
    assert!(made);
    assert_ne!(first.ca_pem, fresh.ca_pem);
    assert!(fresh.server_pem.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[test]
fn the_migration_switches_a_running_envoy_from_log_only_to_strict() {
    let m = migrate::run().unwrap();
    assert_eq!(m.log_only.coalesced.status, 404);
    assert_eq!(m.log_only.counters["log_only_mismatches"], 1);
    assert!(
        m.log_only.log.iter().any(|l| l.starts_with(
            r#"misdirected request let through (log_only): sni "a.example.com" (server gw-a), authority "b.example.com" (server gw-b)"#
        )),
        "{:#?}",
        m.log_only.log
    );
    assert!(m.kept_running(), "{:?}", m.envoy);
    assert!(
        m.strict
            .log
            .iter()
            .any(|l| l.starts_with("configured: strict, 2 servers")),
        "{:#?}",
        m.strict.log
    );
    assert_eq!(
        m.strict.coalesced.status, 421,
        "the connection opened before the switch"
    );
    assert_eq!(m.strict.fresh.as_ref().map(|r| r.status), Some(421));
    assert_eq!(
        m.strict.retry.as_ref().map(|r| (r.status, r.body.as_str())),
        Some((200, "gw-b: b.example.com\n"))
    );
    assert_eq!(m.strict.counters["misdirected"], 2);
    assert_eq!(m.strict.counters["log_only_mismatches"], 1);
    let story = migrate::story(&m);
    for text in [
        "kubectl apply -f envoyfilter/wasmplugin-log-only.yaml",
        "kubectl apply -f envoyfilter/wasmplugin.yaml",
        "without a restart",
        "421 Misdirected Request",
    ] {
        assert!(story.contains(text), "{text:?} missing from:\n{story}");
    }
}
