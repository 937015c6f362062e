//! A 10,000-host servers table in the real Envoy: it loads (start to `/ready` printed beside
//! the 2-host table's; a figure, not an assertion) and decides right for hosts at the start,
//! in the middle and at the end of the table, over HTTP/2 and HTTP/1.1.

use sni_guard_harness::bench::ten_thousand_hosts;
use sni_guard_harness::envoy::edits;
use sni_guard_harness::envoy::wasm_failures;
use sni_guard_harness::pki::SERVER_NAMES;
use sni_guard_harness::{Filter, Gateway, Pki, Protocol, Topology};
use std::time::{Duration, Instant};

/// TLS chains for hosts of three of the table's servers (the first, a middle and the last
/// one `ten_thousand_hosts` adds after gw-a and gw-b), each answering 200 with its name.
const CHAINS: [(&str, [&str; 2]); 3] = [
    ("s0", ["h0.s0.example.net", "h99.s0.example.net"]),
    ("s50", ["h0.s50.example.net", "h50.s50.example.net"]),
    ("s99", ["h0.s99.example.net", "h97.s99.example.net"]),
];

/// (SNI, authority, status): 421 when the authority's server is not the SNI's; a host past
/// the table's end (`h98.s99`, the table stops at `h97.s99`) selects no server.
const CASES: &[(&str, &str, u16)] = &[
    ("a.example.com", "a.example.com", 200),
    ("a.example.com", "b.example.com", 421),
    ("a.example.com", "h0.s0.example.net", 421),
    ("a.example.com", "h50.s50.example.net", 421),
    ("a.example.com", "h97.s99.example.net", 421),
    ("a.example.com", "h98.s99.example.net", 404),
    ("b.example.com", "H97.S99.EXAMPLE.NET:443", 421),
    ("h0.s0.example.net", "h99.s0.example.net", 200),
    ("h0.s0.example.net", "h0.s1.example.net", 421),
    ("h0.s0.example.net", "a.example.com", 421),
    ("h50.s50.example.net", "h0.s50.example.net", 200),
    ("h50.s50.example.net", "h50.s49.example.net", 421),
    ("h50.s50.example.net", "h50.s51.example.net.", 421),
    ("h97.s99.example.net", "h0.s99.example.net", 200),
    ("h97.s99.example.net", "H0.S99.EXAMPLE.NET.:8443", 200),
    ("h97.s99.example.net", "h98.s99.example.net", 200),
    ("h97.s99.example.net", "a.example.com", 421),
    ("h97.s99.example.net", "h99.s98.example.net", 421),
];

fn start(filter: &Filter, pki: &Pki) -> (Gateway, Duration) {
    let builder = Gateway::builder(Topology::TwoGateways)
        .filter(filter)
        .pki(pki.clone())
        .edit(|config| {
            for (name, hosts) in CHAINS {
                edits::add_tls_chain(config, name, &hosts)?;
            }
            Ok(())
        });
    let started = Instant::now();
    let gateway = builder.start().unwrap();
    (gateway, started.elapsed())
}

#[test]
fn a_ten_thousand_host_table_loads_and_decides_at_its_start_middle_and_end() {
    let mut names = SERVER_NAMES.to_vec();
    names.extend(["*.s0.example.net", "*.s50.example.net", "*.s99.example.net"]);
    let pki = Pki::generate_for(&names).unwrap();

    let (small, small_ready) = start(&Filter::AsWritten, &pki);
    drop(small);
    let table = ten_thousand_hosts();
    let (gateway, ready) = start(&Filter::SniGuard(table.clone()), &pki);
    let client = gateway.client().unwrap();
    let mut refused = 0;
    for protocol in [Protocol::Http2, Protocol::Http1] {
        for (sni, authority, status) in CASES {
            let response = client.get(protocol, Some(sni), authority).unwrap();
            assert_eq!(
                response.status, *status,
                "{protocol:?} SNI {sni}, authority {authority}: {}",
                response.body
            );
            refused += u64::from(*status == 421);
        }
    }
    assert_eq!(gateway.counter("misdirected").unwrap(), refused);
    let stopped = gateway.stop().unwrap();
    let configured = stopped
        .exited
        .stderr
        .lines()
        .filter(|l| l.contains("sni-guard: configured: strict, 102 servers"))
        .count();
    assert!(configured > 0, "{}", stopped.exited.stderr);
    println!(
        "start to /ready: {} ms with the 2-host table, {} ms with the 10,000-host table \
         ({} bytes of configuration, parsed {configured} times: on the main thread and on each worker)",
        small_ready.as_millis(),
        ready.as_millis(),
        table.len()
    );
    assert_eq!(wasm_failures(&stopped.exited.stderr), Vec::<&str>::new());
    let log = &stopped.access_log;
    assert_eq!(log.len(), 2 * CASES.len());
    let logged_421 = log.iter().filter(|e| e.status == 421).count() as u64;
    assert_eq!(logged_421, refused);
}
