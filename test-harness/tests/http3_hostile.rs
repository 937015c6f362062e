//! Hostile input over HTTP/3: the authorities of `tests/hostile/cases.rs` that an HTTP/3
//! client can send, each on a new QUIC connection with SNI a.example.com, to topology (a)
//! with a catch-all chain (for no SNI) and QUIC as istiod renders it; sni-guard strict with
//! the hostile suite's servers table, and without a table. The expected status and counter
//! movement are the HTTP/2 column of `cases.rs`: every authority h3 can send gets over
//! HTTP/3 what it gets over HTTP/2.
//!
//! What does not apply: hyperium's h3 takes an `http::Uri`, and the `http` crate refuses
//! percent signs, several colons, unbracketed IPv6 and an unclosed bracket in an
//! authority (`NOT_SENDABLE`, checked to be exactly what it refuses); h3 also refuses a
//! request with neither `:authority` nor `host`, and one whose `host` contradicts its
//! `:authority`. The raw HTTP/1.x inputs, HTTP/1.0 and the plain-HTTP listener are not
//! HTTP/3 questions.

#[allow(dead_code)]
#[path = "hostile/cases.rs"]
mod cases;

use cases::{Expect, Got, NO_SNI, RESET, authorities, no_sni_authorities};
use sni_guard_harness::envoy::wasm_failures;
use sni_guard_harness::{Client, Filter, Gateway, Topology, envoy::edits, envoy::quic};

/// As `tests/hostile/main.rs`: gw-b also serves `*.b.example.com`.
const TABLE: &str = r#"{"mode":"strict","servers":[{"name":"gw-a","hosts":["a.example.com"]},{"name":"gw-b","hosts":["b.example.com","*.b.example.com"]}]}"#;

/// The rows whose authority the `http` crate will not put in a URI.
const NOT_SENDABLE: &[&str] = &[
    "two ports, own host",
    "two ports",
    "empty port, then a port",
    "unclosed bracket",
    "unbracketed IPv6",
    "unbracketed IPv6, long form",
    "IPv4-mapped IPv6",
    "percent-encoded dot",
    "percent-encoded letter",
    "percent-encoded dot, own host",
    "percent-encoded colon",
    // The `http` crate caps an authority at 65,534 bytes.
    "70,000-byte name",
];

fn gateway(filter: &Filter) -> Gateway {
    Gateway::builder(Topology::TwoGateways)
        .filter(filter)
        .edit(|config| {
            edits::add_tls_chain(config, "catch-all", &[])?;
            quic::enable(config)
        })
        .start()
        .unwrap()
}

/// One request on a new QUIC connection: its status, or no response.
fn send(client: &Client, sni: Option<&str>, authority: Option<&str>, host: Option<&str>) -> Got {
    let result = client.h3(sni).and_then(|mut h3| match authority {
        Some(authority) => h3.get(authority),
        None => h3.get_without_authority("/", host),
    });
    match result {
        Ok(response) => Got::Status(response.status),
        Err(e) => {
            println!("no response: {e}");
            Got::NoResponse
        }
    }
}

/// Sends, and records a failure unless the result and counter movement are `expect`'s.
struct Check {
    gateway: Gateway,
    client: Client,
    failures: Vec<String>,
    checked: usize,
}

impl Check {
    fn one(&mut self, what: &str, sni: Option<&str>, authority: Option<&str>, expect: Expect) {
        self.one_with_host(what, sni, authority, None, expect);
    }

    fn one_with_host(
        &mut self,
        what: &str,
        sni: Option<&str>,
        authority: Option<&str>,
        host: Option<&str>,
        expect: Expect,
    ) {
        self.checked += 1;
        let before = self.gateway.envoy.sni_guard_counters().unwrap();
        let got = send(&self.client, sni, authority, host);
        let after = self.gateway.envoy.sni_guard_counters().unwrap();
        let moved = |name: &str| after.get(name).unwrap_or(&0) - before.get(name).unwrap_or(&0);
        let seen = (got, moved("misdirected"), moved("no_sni"));
        let wanted = (expect.got, expect.misdirected, expect.no_sni);
        if seen != wanted {
            self.failures.push(format!(
                "{what}: got {seen:?}, expected {wanted:?} (result, misdirected, no_sni)"
            ));
        }
    }
}

fn every_hostile_input_over_http3(filter: &Filter, zero: bool, label: &str) {
    let gateway = gateway(filter);
    let client = gateway.client().unwrap();
    let mut check = Check {
        gateway,
        client,
        failures: Vec::new(),
        checked: 0,
    };
    let mut refused_by_the_client = Vec::new();
    for row in authorities() {
        if http::Uri::try_from(format!("https://{}/", row.authority)).is_err() {
            refused_by_the_client.push(row.what);
            continue;
        }
        let expect = if zero { row.zero[0] } else { row.table[0] };
        check.one(row.what, cases::A, Some(&row.authority), expect);
    }
    if refused_by_the_client != NOT_SENDABLE {
        check
            .failures
            .push(format!("not sendable: {refused_by_the_client:?}"));
    }
    // No `:authority`, `host` another server's: h3 sends a relative URI's pseudo-headers,
    // so no `:scheme` either, and Envoy's HTTP/3 codec closes the connection
    // (H3_FRAME_ERROR) before any filter: no response, nothing counted.
    let host = Some("b.example.com");
    let what = "no :authority, host another's";
    check.one_with_host(what, cases::A, None, host, RESET);
    // No SNI (connect by IP), on the catch-all chain: let through and counted.
    for authority in no_sni_authorities() {
        check.one("no SNI", None, Some(&authority), NO_SNI);
    }
    let Check {
        gateway,
        client,
        mut failures,
        checked,
    } = check;
    // Afterwards Envoy still serves and refuses over HTTP/3.
    let mut h3 = client.h3(cases::A).unwrap();
    let statuses = ["a.example.com", "b.example.com"].map(|a| h3.get(a).map(|r| r.status).ok());
    if statuses != [Some(200), Some(421)] {
        failures.push(format!("afterwards: {statuses:?}"));
    }
    drop(h3);
    let counted = gateway.counter("misdirected").unwrap();
    let stopped = gateway.stop().unwrap();
    let refused = stopped
        .access_log
        .iter()
        .filter(|e| e.status == 421)
        .count() as u64;
    if refused != counted {
        failures.push(format!("{refused} 421s logged, misdirected {counted}"));
    }
    let wasm = wasm_failures(&stopped.exited.stderr);
    if !wasm.is_empty() {
        failures.push(format!("Wasm failures: {wasm:#?}"));
    }
    println!("{label}: {checked} HTTP/3 requests checked, misdirected {counted}");
    assert!(
        failures.is_empty(),
        "{label}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn hostile_input_over_http3_with_a_servers_table() {
    every_hostile_input_over_http3(&Filter::SniGuard(TABLE.into()), false, "strict, table");
}

#[test]
fn hostile_input_over_http3_without_a_table() {
    every_hostile_input_over_http3(&Filter::SniGuard(String::new()), true, "strict, no table");
}
