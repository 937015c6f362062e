//! The same cases run three ways, no filter, the Lua workaround and sni-guard, each on a
//! fresh connection to the real Envoy; the result is a Markdown table for operators.

use crate::client::{Protocol, Request};
use crate::conformance;
use crate::envoy::gateway::Gateway;
use crate::envoy::topology::{Filter, Topology};
use crate::error::Result;

/// One request: which topology, SNI, `:authority` (`PORT` stands for the listener's port),
/// protocol, and the status a correct gateway answers.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub topology: Topology,
    pub sni: Option<&'static str>,
    pub authority: &'static str,
    pub protocol: Protocol,
    pub expected: u16,
}

fn case(name: &str, sni: &'static str, authority: &'static str, expected: u16) -> Case {
    Case {
        name: name.to_string(),
        topology: Topology::TwoGateways,
        sni: Some(sni),
        authority,
        protocol: Protocol::Http2,
        expected,
    }
}

const AX: &str = "a.example.com";

/// Topology (a), then the 15 Gateway API conformance cases on topology (b), then no SNI.
pub fn cases() -> Result<Vec<Case>> {
    let mut cases = vec![
        case("own host", AX, "a.example.com", 200),
        case("coalesced onto gw-a", AX, "b.example.com", 421),
        Case {
            protocol: Protocol::Http1,
            ..case("coalesced onto gw-a", AX, "b.example.com", 421)
        },
        case("upper-case authority", AX, "A.EXAMPLE.COM", 200),
        case("coalesced, upper-case", AX, "B.EXAMPLE.COM", 421),
        case("authority with port", AX, "a.example.com:PORT", 200),
        case("coalesced, with port", AX, "b.example.com:PORT", 421),
        // Istio does not strip the dot: gw-a's router answers 404, on the right connection.
        case("trailing dot", AX, "a.example.com.", 404),
        case("coalesced, trailing dot", AX, "b.example.com.", 421),
        case("IPv6-literal authority", AX, "[::1]:PORT", 404),
        case("host no Gateway serves", AX, "c.example.com", 404),
    ];
    for (i, c) in conformance::cases().iter().enumerate() {
        let name = match c.note {
            "" => format!("conformance {}", i + 1),
            note => format!("conformance {} ({note})", i + 1),
        };
        cases.push(Case {
            topology: Topology::Conformance,
            ..case(&name, c.sni, c.authority, c.status)
        });
    }
    cases.push(Case {
        topology: Topology::Conformance,
        sni: None,
        ..case("no SNI (connect by IP)", "", "example.org", 200)
    });
    Ok(cases)
}

/// The three ways each case runs.
pub fn variants() -> [(&'static str, Filter); 3] {
    [
        ("none", Filter::None),
        ("Lua", Filter::Lua),
        ("sni-guard", Filter::AsWritten),
    ]
}

/// Statuses per case, one column per variant (in [`variants`] order).
pub struct Measured {
    pub rows: Vec<(Case, [u16; 3])>,
}

/// Runs every case on every variant: one Envoy per topology and variant.
pub fn measure(version: &str) -> Result<Measured> {
    let mut rows: Vec<(Case, [u16; 3])> = cases()?.into_iter().map(|c| (c, [0; 3])).collect();
    for (column, (_, filter)) in variants().iter().enumerate() {
        for topology in [Topology::TwoGateways, Topology::Conformance] {
            let gateway = Gateway::builder(topology)
                .filter(filter)
                .version(version)
                .start()?;
            let client = gateway.client()?;
            for (case, statuses) in rows.iter_mut().filter(|(c, _)| c.topology == topology) {
                let authority = case.authority.replace("PORT", &gateway.port.to_string());
                let response = client.send(case.protocol, case.sni, &Request::get(&authority))?;
                if let Some(slot) = statuses.get_mut(column) {
                    *slot = response.status;
                }
            }
            gateway.stop()?;
        }
    }
    Ok(Measured { rows })
}

impl Measured {
    /// The Markdown table, with wrong answers marked and counted.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| case | SNI | :authority | expected | none | Lua | sni-guard |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        let mut wrong = [0; 3];
        for (case, statuses) in &self.rows {
            let cells: Vec<String> = statuses
                .iter()
                .zip(wrong.iter_mut())
                .map(|(&status, wrong)| {
                    if status == case.expected {
                        status.to_string()
                    } else {
                        *wrong += 1;
                        format!("**{status}** ✗")
                    }
                })
                .collect();
            let protocol = match case.protocol {
                Protocol::Http1 => " (HTTP/1.1)",
                Protocol::Http2 => "",
            };
            out.push_str(&format!(
                "| {}{protocol} | {} | `{}` | {} | {} |\n",
                case.name,
                case.sni.map_or("(none)".to_string(), |s| format!("`{s}`")),
                case.authority.replace("PORT", "8443"),
                case.expected,
                cells.join(" | "),
            ));
        }
        let total = self.rows.len();
        out.push_str(&format!(
            "\nWrong answers: none {}/{total}, Lua {}/{total}, sni-guard {}/{total}.\n",
            wrong[0], wrong[1], wrong[2]
        ));
        out
    }
}

impl Measured {
    /// `comparison.md`: what the table is, then the table.
    pub fn document(&self, version: &str) -> String {
        format!(
            "# Coalesced requests: no filter, the Lua workaround, sni-guard\n\n\
             Measured by `cargo test -p sni-guard-harness --test comparison` in the real Envoy \
             {version}, each request on a fresh TLS connection with the SNI and `:authority` \
             shown (HTTP/2 unless marked). Rows 1-11 run on two Gateways sharing one wildcard \
             certificate (`envoy/two-gateways.yaml`: gw-a serves `a.example.com`, gw-b \
             `b.example.com`); the conformance rows are the 15 cases of the Gateway API test \
             HTTPRouteHTTPSListenerDetectMisdirectedRequests (GEP-3567) on its topology \
             (`envoy/conformance.yaml`). `expected` is what a correct gateway answers: 421 \
             sends the browser to a new connection; 200 and 404 come from the route table of \
             the right Gateway. `:8443` stands for the listener's port.\n\n\
             - **none**: the coalesced request reaches the route table of the Gateway the \
             connection was made for: a 404, or a 200 from the wrong backend.\n\
             - **Lua**: the community EnvoyFilter (`envoy/misdirected-request.lua`) compares \
             SNI and host as exact strings: upper case, a trailing dot, an IPv6 literal, another \
             host of the same wildcard or catch-all server, or a host nobody serves all get a \
             421, and the browser's retry on a new connection gets the same 421 again.\n\
             - **sni-guard**: compares the servers the SNI and the authority select.\n\n\
             {}",
            self.markdown()
        )
    }
}
