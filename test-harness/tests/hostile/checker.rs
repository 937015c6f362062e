//! Sends each input to one gateway, checks what it got, and keeps every failure for one
//! report.

use crate::cases::{A, Expect, Got, MISDIRECTED, ROUTED};
use sni_guard_harness::client::{H2, Http1};
use sni_guard_harness::envoy::wasm_failures;
use sni_guard_harness::{Gateway, Protocol, Request, load::h2load};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// What one request sends.
pub enum Send<'a> {
    Authority(&'a str),
    /// HTTP/1.x only: these exact bytes.
    Raw(&'a [u8]),
    /// HTTP/2 only: a request with no `:authority`, and this `host` header if any.
    NoAuthority(Option<&'a str>),
    /// HTTP/2 only: this `:authority` and this `host` header.
    AuthorityAndHost(&'a str, &'a str),
}

/// Where it goes: the TLS listener with this SNI (`None`: connect by IP, no SNI), or the
/// plain-HTTP listener.
#[derive(Clone, Copy)]
pub enum Via {
    Tls(Option<&'static str>),
    Plain(SocketAddr),
}

/// Sends requests to one gateway, checks each, and keeps every failure for one report.
pub struct Checker {
    gateway: Gateway,
    /// (status, details) of the access log lines the requests so far must have left.
    expected_log: BTreeMap<(u16, String), u64>,
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    pub fn new(gateway: Gateway) -> Checker {
        Checker {
            gateway,
            expected_log: BTreeMap::new(),
            failures: Vec::new(),
            checked: 0,
        }
    }

    pub fn check(&mut self, what: &str, protocol: Protocol, via: Via, send: Send, expect: Expect) {
        self.checked += 1;
        let before = self.gateway.envoy.sni_guard_counters().unwrap();
        let got = self.send(protocol, via, &send);
        let after = self.gateway.envoy.sni_guard_counters().unwrap();
        let moved = |name: &str| after.get(name).unwrap_or(&0) - before.get(name).unwrap_or(&0);
        let seen = (
            got,
            moved("misdirected"),
            moved("no_sni"),
            moved("log_only_mismatches"),
        );
        let wanted = (expect.got, expect.misdirected, expect.no_sni, 0);
        if seen != wanted {
            self.failures.push(format!(
                "{what} ({protocol:?}): got {seen:?}, expected {wanted:?} \
                 (result, misdirected, no_sni, log_only_mismatches)"
            ));
        }
        log_line(&mut self.expected_log, expect);
    }

    fn send(&self, protocol: Protocol, via: Via, send: &Send) -> Got {
        let client = self.gateway.client().unwrap();
        let port = self.gateway.port;
        let result = match (protocol, via, send) {
            (Protocol::Http2, Via::Tls(sni), Send::Authority(authority)) => {
                return h2load::one(port, sni, authority)
                    .unwrap()
                    .map_or(Got::NoResponse, Got::Status);
            }
            (Protocol::Http2, Via::Tls(sni), Send::NoAuthority(host)) => client
                .h2(sni)
                .and_then(|mut h2| h2.get_without_authority("/", *host)),
            (Protocol::Http2, Via::Tls(sni), Send::AuthorityAndHost(authority, host)) => client
                .h2(sni)
                .and_then(|mut h2| h2.send(&Request::get(authority).header("host", host))),
            (Protocol::Http2, Via::Plain(addr), Send::Authority(authority)) => {
                H2::plain(addr).and_then(|mut h2| h2.get(authority))
            }
            (Protocol::Http1, via, Send::Authority(authority)) => {
                http1(&client, via).and_then(|mut h1| h1.get(authority))
            }
            (Protocol::Http1, via, Send::Raw(head)) => {
                http1(&client, via).and_then(|mut h1| h1.send_raw(head))
            }
            _ => panic!("this protocol cannot send this request"),
        };
        result.map_or(Got::NoResponse, |response| Got::Status(response.status))
    }

    /// Envoy still serves and still refuses; then it stops, and its access log must hold
    /// exactly the expected lines and its log no Wasm failure.
    pub fn finish(self, label: &str) {
        let Checker {
            gateway,
            mut expected_log,
            mut failures,
            checked,
        } = self;
        let client = gateway.client().unwrap();
        let own = client.get(Protocol::Http2, A, "a.example.com").unwrap();
        let coalesced = client.get(Protocol::Http1, A, "b.example.com").unwrap();
        if (own.status, coalesced.status) != (200, 421) {
            failures.push(format!(
                "afterwards: a.example.com got {}, b.example.com on its connection {}",
                own.status, coalesced.status
            ));
        }
        for expect in [ROUTED, MISDIRECTED] {
            log_line(&mut expected_log, expect);
        }
        let counted = gateway.counter("misdirected").unwrap();
        let stopped = gateway.stop().unwrap();
        let mut logged = BTreeMap::new();
        for entry in &stopped.access_log {
            *logged
                .entry((entry.status, entry.details.clone()))
                .or_insert(0) += 1;
        }
        if logged != expected_log {
            failures.push(format!(
                "access log (status, details): {logged:?}, expected {expected_log:?}"
            ));
        }
        let refused = logged
            .get(&(421, MISDIRECTED.details.unwrap_or_default().to_string()))
            .copied()
            .unwrap_or(0);
        if refused != counted {
            failures.push(format!(
                "{refused} 421s in the access log, misdirected counter {counted}"
            ));
        }
        let wasm = wasm_failures(&stopped.exited.stderr);
        if !wasm.is_empty() {
            failures.push(format!("Wasm failures in Envoy's log: {wasm:#?}"));
        }
        println!("{label}: {checked} hostile requests checked, then 2 normal ones");
        assert!(
            failures.is_empty(),
            "{label}: {} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// Counts the access log line `expect` leaves, if any.
fn log_line(log: &mut BTreeMap<(u16, String), u64>, expect: Expect) {
    if let Some(details) = expect.details {
        let status = match expect.got {
            Got::Status(status) => status,
            Got::NoResponse => 0,
        };
        *log.entry((status, details.to_string())).or_insert(0) += 1;
    }
}

fn http1(client: &sni_guard_harness::Client, via: Via) -> sni_guard_harness::Result<Http1> {
    match via {
        Via::Tls(sni) => client.http1(sni),
        Via::Plain(addr) => Http1::plain(addr),
    }
}
