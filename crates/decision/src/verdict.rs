//! The per-request decision: is this request on a connection made for another server?

use crate::config::{Config, Mode};
use crate::hostname::{normalize, same_name};
use crate::text::{Ascii, quoted};

/// What the filter learnt about one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// The connection's SNI (`None` or empty: no SNI).
    pub sni: Option<&'a [u8]>,
    /// The request's `:authority` (or `Host`).
    pub authority: Option<&'a [u8]>,
    /// The `request.protocol` property (`HTTP/1.1`, `HTTP/2`, …); see
    /// [`Config::decide_lazily`] to read it only when the verdict depends on it.
    pub protocol: Option<&'a [u8]>,
}

/// A request whose authority belongs to another server than its connection's SNI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch<'a> {
    /// Normalised SNI and authority, as received (case untouched).
    pub sni: &'a [u8],
    pub authority: &'a [u8],
    /// The servers they select, when a servers table is configured.
    pub sni_server: Option<&'a str>,
    pub authority_server: Option<&'a str>,
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// Let it through.
    Pass,
    /// Let it through: the connection has no SNI (count it).
    NoSni,
    /// Answer 421 (strict mode).
    Misdirected(Mismatch<'a>),
    /// Let it through, log and count it (log_only mode).
    LogOnly(Mismatch<'a>),
}

impl Config {
    /// Decides one request.
    pub fn decide<'a>(&'a self, request: &Request<'a>) -> Verdict<'a> {
        let protocol = || Ok::<_, std::convert::Infallible>(request.protocol);
        match self.decide_lazily(request.sni, request.authority, protocol) {
            Ok(verdict) => verdict,
            Err(never) => match never {},
        }
    }

    /// Decides one request, asking for its protocol only when a mismatch depends on it
    /// (`check_http1: false`): reading it costs the filter a host call, which may fail.
    pub fn decide_lazily<'a, E>(
        &'a self,
        sni: Option<&'a [u8]>,
        authority: Option<&'a [u8]>,
        protocol: impl FnOnce() -> Result<Option<&'a [u8]>, E>,
    ) -> Result<Verdict<'a>, E> {
        let sni = match sni.map(normalize) {
            Some(sni) if !sni.is_empty() => sni,
            _ => return Ok(Verdict::NoSni),
        };
        let authority = match authority.map(normalize) {
            Some(authority) if !authority.is_empty() => authority,
            _ => return Ok(Verdict::Pass),
        };
        let mismatch = match &self.servers {
            None if same_name(sni, authority) => return Ok(Verdict::Pass),
            None => Mismatch {
                sni,
                authority,
                sni_server: None,
                authority_server: None,
            },
            Some(servers) => {
                // No server serves the authority: the router's 404 is the right answer.
                let Some(wanted) = servers.select(authority) else {
                    return Ok(Verdict::Pass);
                };
                let got = servers.select(sni);
                if got == Some(wanted) {
                    return Ok(Verdict::Pass);
                }
                Mismatch {
                    sni,
                    authority,
                    sni_server: got.map(|id| servers.name(id)),
                    authority_server: Some(servers.name(wanted)),
                }
            }
        };
        if self.is_exempt(authority) || (!self.check_http1 && is_http1(protocol()?)) {
            return Ok(Verdict::Pass);
        }
        Ok(match self.mode {
            Mode::Strict => Verdict::Misdirected(mismatch),
            Mode::LogOnly => Verdict::LogOnly(mismatch),
        })
    }

    fn is_exempt(&self, authority: &[u8]) -> bool {
        self.exempt
            .as_ref()
            .is_some_and(|exempt| exempt.select(authority).is_some())
    }
}

fn is_http1(protocol: Option<&[u8]>) -> bool {
    protocol.is_some_and(|p| p.starts_with(b"HTTP/1"))
}

impl std::fmt::Display for Mismatch<'_> {
    /// `sni "a.example.com" (server gw-a), authority "b.example.com" (server gw-b)`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = |b: &[u8]| quoted(&String::from_utf8_lossy(b));
        write!(f, "sni {}", Ascii(&text(self.sni)))?;
        match (self.sni_server, self.authority_server) {
            (None, None) => write!(f, ", authority {}", Ascii(&text(self.authority))),
            (sni_server, authority_server) => write!(
                f,
                " (server {}), authority {} (server {})",
                sni_server.unwrap_or("none"),
                Ascii(&text(self.authority)),
                authority_server.unwrap_or("none")
            ),
        }
    }
}
