//! The proxy-wasm adapter: host reads in, verdict out. No decision is made here.

use crate::abi;
use crate::{Config, Request, Verdict};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType};
use std::rc::Rc;

const SNI: &[u8] = b"connection\0requested_server_name";
const PROTOCOL: &[u8] = b"request\0protocol";
const DETAILS: &str = "sni_guard_misdirected_request";
const BODY: &[u8] = b"Misdirected Request: this connection was made for another server name; retry on a new connection.\n";

proxy_wasm::main! {{
    HostLogger::install();
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::<Root>::default() });
}}

#[derive(Clone, Copy, Default)]
struct Counters {
    misdirected: u32,
    log_only_mismatches: u32,
    no_sni: u32,
}

impl Counters {
    fn define() -> Result<Counters, abi::Status> {
        Ok(Counters {
            misdirected: abi::define_counter("sni_guard.misdirected")?,
            log_only_mismatches: abi::define_counter("sni_guard.log_only_mismatches")?,
            no_sni: abi::define_counter("sni_guard.no_sni")?,
        })
    }
}

#[derive(Default)]
struct Root {
    config: Rc<Config>,
    counters: Counters,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let parsed = abi::plugin_configuration()
            .map_err(|status| format!("cannot read the plugin configuration (status {})", status.0))
            .and_then(|bytes| Config::parse(&bytes).map_err(|e| e.to_string()));
        let config = match parsed {
            Ok(config) => config,
            Err(why) => {
                log::error!("configuration refused: {why}");
                return false;
            }
        };
        self.counters = match Counters::define() {
            Ok(counters) => counters,
            Err(status) => {
                log::error!("cannot define counters (status {})", status.0);
                return false;
            }
        };
        log::info!("configured: {}", config.summary());
        self.config = Rc::new(config);
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Guard {
            config: Rc::clone(&self.config),
            counters: self.counters,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Guard {
    config: Rc<Config>,
    counters: Counters,
}

impl Context for Guard {}

impl HttpContext for Guard {
    fn on_http_request_headers(&mut self, _headers: usize, _end_of_stream: bool) -> Action {
        let sni = abi::property(SNI).ok().flatten();
        let authority = abi::request_header(b":authority").ok().flatten();
        let protocol = match self.config.needs_protocol() {
            true => abi::property(PROTOCOL).ok().flatten(),
            false => None,
        };
        let request = Request {
            sni: sni.as_deref(),
            authority: authority.as_deref(),
            protocol: protocol.as_deref(),
        };
        match self.config.decide(&request) {
            Verdict::Pass => Action::Continue,
            Verdict::NoSni => {
                abi::increment(self.counters.no_sni);
                Action::Continue
            }
            Verdict::LogOnly(mismatch) => {
                abi::increment(self.counters.log_only_mismatches);
                log::warn!("misdirected request let through (log_only): {mismatch}");
                Action::Continue
            }
            Verdict::Misdirected(_) => {
                abi::increment(self.counters.misdirected);
                reply_421()
            }
        }
    }
}

fn reply_421() -> Action {
    // Envoy strips `connection: close` from local replies and offers a filter no way to drain
    // an HTTP/1.1 connection, so none is sent: the 421 alone tells the client to retry.
    match abi::send_local_response(421, DETAILS, &[("content-type", "text/plain")], BODY) {
        Ok(()) => Action::Pause,
        Err(status) => {
            log::error!(
                "cannot send 421 (status {}); request let through",
                status.0
            );
            Action::Continue
        }
    }
}

/// Routes the `log` crate to the host's log without the SDK's panicking logger.
struct HostLogger;

static LOGGER: HostLogger = HostLogger;

impl HostLogger {
    fn install() {
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(log::LevelFilter::Info);
        }
    }
}

impl log::Log for HostLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        let level = match record.level() {
            log::Level::Trace => 0,
            log::Level::Debug => 1,
            log::Level::Info => 2,
            log::Level::Warn => 3,
            log::Level::Error => 4,
        };
        abi::log(level, &record.args().to_string());
    }

    fn flush(&self) {}
}
