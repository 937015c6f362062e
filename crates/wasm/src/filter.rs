//! The proxy-wasm callbacks over any [`Host`]: host reads in, verdict out. No decision is
//! made here. The wasm build runs them on the ABI (`exports`), the tests on a recording mock
//! that pins which host calls each verdict makes.
//!
//! A request costs two host reads (the SNI, the authority); the protocol is read only when a
//! mismatch depends on it (`check_http1: false`), the plugin's name only when several
//! configurations share the VM. A failed host call lets the request through; the first one
//! is logged.

pub use crate::answer::{BODY, COUNTERS, DETAILS};
use crate::proxy::{Host, Status};
use crate::{Config, Verdict};
use std::cell::Cell;

pub const SNI: &[u8] = b"connection\0requested_server_name";
pub const PROTOCOL: &[u8] = b"request\0protocol";
pub const PLUGIN_NAME: &[u8] = b"plugin_name";
pub const AUTHORITY: &[u8] = b":authority";
/// `content-type: text/plain` in the ABI's map encoding: pair count, (name, value) sizes as
/// little-endian u32, then NUL-terminated name and value.
pub const HEADERS: &[u8] =
    b"\x01\x00\x00\x00\x0c\x00\x00\x00\x0a\x00\x00\x00content-type\x00text/plain\x00";

/// What the request-headers callback tells the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Continue = 0,
    /// Stop: the filter answered the request.
    Pause = 1,
}

#[derive(Clone, Copy)]
struct Counters {
    misdirected: u32,
    log_only_mismatches: u32,
    no_sni: u32,
}

impl Counters {
    fn define(host: &impl Host) -> Result<Counters, Status> {
        let [misdirected, log_only_mismatches, no_sni] = COUNTERS;
        Ok(Counters {
            misdirected: host.define_counter(misdirected)?,
            log_only_mismatches: host.define_counter(log_only_mismatches)?,
            no_sni: host.define_counter(no_sni)?,
        })
    }
}

/// One configured plugin (one filter configuration; several may share a VM).
struct Plugin {
    name: Box<[u8]>,
    config: Config,
    counters: Counters,
}

/// The filter in one VM: its configured plugins.
pub struct Filter {
    plugins: Vec<Plugin>,
    /// A host call failed and that was logged: once per VM, as it may fail on every request.
    failure_logged: Cell<bool>,
    /// A stream named no configured plugin and that was logged: once per VM, likewise.
    unknown_logged: Cell<bool>,
}

impl Filter {
    pub const fn new() -> Filter {
        Filter {
            plugins: Vec::new(),
            failure_logged: Cell::new(false),
            unknown_logged: Cell::new(false),
        }
    }

    /// `proxy_on_configure`: reads, checks and keeps the plugin's configuration (replacing
    /// the one of the same plugin name). `false` refuses it, with one error line saying why.
    pub fn configure(&mut self, host: &impl Host) -> bool {
        let name = match host.property(PLUGIN_NAME) {
            Ok(name) => name.unwrap_or_default(),
            Err(status) => {
                log::warn!("cannot read plugin_name ({status}): configured without a name");
                &[]
            }
        };
        let parsed = host
            .plugin_configuration()
            .map_err(|status| format!("cannot read the plugin configuration ({status})"))
            .and_then(|bytes| Config::parse(bytes).map_err(|e| e.to_string()));
        let config = match parsed {
            Ok(config) => config,
            Err(why) => {
                log::error!("configuration refused: {why}");
                return false;
            }
        };
        let counters = match Counters::define(host) {
            Ok(counters) => counters,
            Err(status) => {
                log::error!("cannot define counters ({status})");
                return false;
            }
        };
        let summary = config.summary();
        let plugin = Plugin {
            name: name.into(),
            config,
            counters,
        };
        match self.plugins.iter_mut().find(|p| p.name == plugin.name) {
            Some(slot) => *slot = plugin,
            None => self.plugins.push(plugin),
        }
        // Sharing changes the per-request cost (one more host read): say so where it starts.
        match self.plugins.len() {
            1 => log::info!("configured: {summary}"),
            n => log::info!(
                "configured: {summary} (plugin {:?}; {n} plugins share this VM)",
                String::from_utf8_lossy(name)
            ),
        }
        true
    }

    /// `proxy_on_request_headers`.
    pub fn request_headers(&self, host: &impl Host) -> Action {
        let plugin = match self.plugins.as_slice() {
            [] => return Action::Continue,
            [only] => only,
            several => {
                // Several configurations share this VM: ask which one this stream has.
                let name = match host.property(PLUGIN_NAME) {
                    Ok(name) => name,
                    Err(status) => return self.let_through("reading plugin_name", status),
                };
                match several.iter().find(|p| Some(&*p.name) == name) {
                    Some(plugin) => plugin,
                    None => return self.unknown_plugin(name),
                }
            }
        };
        let sni = match host.property(SNI) {
            Ok(sni) => sni,
            Err(status) => return self.let_through("reading the SNI", status),
        };
        let authority = match host.request_header(AUTHORITY) {
            Ok(authority) => authority,
            Err(status) => return self.let_through("reading :authority", status),
        };
        let protocol = || host.property(PROTOCOL);
        let verdict = match plugin.config.decide_lazily(sni, authority, protocol) {
            Ok(verdict) => verdict,
            Err(status) => return self.let_through("reading the protocol", status),
        };
        match verdict {
            Verdict::Pass => Action::Continue,
            Verdict::NoSni => {
                host.increment(plugin.counters.no_sni);
                Action::Continue
            }
            Verdict::LogOnly(mismatch) => {
                host.increment(plugin.counters.log_only_mismatches);
                log::warn!("misdirected request let through (log_only): {mismatch}");
                Action::Continue
            }
            Verdict::Misdirected(_) => {
                host.increment(plugin.counters.misdirected);
                // Envoy strips `connection: close` from local replies and offers a filter no
                // way to drain an HTTP/1.1 connection, so none is sent: the 421 alone says
                // "retry".
                match host.send_local_response(421, DETAILS, HEADERS, BODY) {
                    Ok(()) => Action::Pause,
                    Err(status) => self.let_through("sending the 421", status),
                }
            }
        }
    }

    /// A stream of a plugin with no configuration in this VM (Envoy configures every plugin
    /// before its streams, so this is not expected): let through, the first one logged.
    fn unknown_plugin(&self, name: Option<&[u8]>) -> Action {
        if !self.unknown_logged.replace(true) {
            let name = match name {
                Some(name) => format!("{:?}", String::from_utf8_lossy(name)),
                None => "(plugin_name not found)".to_owned(),
            };
            log::warn!(
                "no configuration for plugin {name} among the {} in this VM: its requests are \
                 let through unchecked (logged once)",
                self.plugins.len()
            );
        }
        Action::Continue
    }

    /// A failed host call: the request goes through; the first failure in this VM is logged.
    fn let_through(&self, what: &str, status: Status) -> Action {
        if !self.failure_logged.replace(true) {
            log::error!(
                "{what} failed ({status}): the request is let through, as is every request \
                 whose host call fails (logged once)"
            );
        }
        Action::Continue
    }
}

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
