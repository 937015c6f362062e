//! One filter configuration and its request-headers hook over any [`Host`]: attributes in,
//! verdict out. No decision is made here. A request costs two host calls (the SNI, the
//! authority); the protocol is read only when a mismatch depends on it.

pub use crate::answer::{BODY, COUNTERS, DETAILS};
use crate::host::{Attribute, Host};
use crate::{Config, Verdict};

/// What the request-headers hook tells Envoy (`..._request_headers_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Continue = 0,
    /// Stop: the filter answered the request.
    StopIteration = 1,
}

/// The ids Envoy gave the three counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub misdirected: usize,
    pub log_only_mismatches: usize,
    pub no_sni: usize,
}

/// One configured filter (one `filter_config`).
#[derive(Debug)]
pub struct Plugin {
    pub config: Config,
    pub counters: Counters,
}

impl Plugin {
    /// Reads and checks a configuration; the error is the one-line refusal the Wasm module
    /// logs too.
    pub fn configure(bytes: &[u8], counters: Counters) -> Result<Plugin, String> {
        let config = Config::parse(bytes).map_err(|e| e.to_string())?;
        Ok(Plugin { config, counters })
    }

    /// The request-headers hook.
    pub fn request_headers(&self, host: &impl Host) -> Action {
        let sni = host.attribute(Attribute::RequestedServerName);
        let authority = host.attribute(Attribute::RequestHost);
        let protocol = || Ok::<_, ()>(host.attribute(Attribute::RequestProtocol));
        let Ok(verdict) = self.config.decide_lazily(sni, authority, protocol) else {
            return Action::Continue;
        };
        match verdict {
            Verdict::Pass => Action::Continue,
            Verdict::NoSni => {
                host.increment(self.counters.no_sni);
                Action::Continue
            }
            Verdict::LogOnly(mismatch) => {
                host.increment(self.counters.log_only_mismatches);
                log::warn!("misdirected request let through (log_only): {mismatch}");
                Action::Continue
            }
            Verdict::Misdirected(_) => {
                host.increment(self.counters.misdirected);
                host.send_response(421, BODY, DETAILS);
                Action::StopIteration
            }
        }
    }
}

#[cfg(test)]
mod tests;
