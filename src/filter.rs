//! The proxy-wasm adapter: host reads in, verdict out. No decision is made here.
//!
//! The module exports only what it needs (`proxy_on_configure`, `proxy_on_request_headers`,
//! `proxy_on_memory_allocate`): the host skips every callback a module does not export, and
//! each one it calls costs time on every request.

use crate::abi::{self, Level};
use crate::scratch::Scratch;
use crate::{Config, Verdict};
use std::cell::RefCell;

const SNI: &[u8] = b"connection\0requested_server_name";
const PROTOCOL: &[u8] = b"request\0protocol";
const PLUGIN_NAME: &[u8] = b"plugin_name";
const DETAILS: &str = "sni_guard_misdirected_request";
const BODY: &[u8] = b"Misdirected Request: this connection was made for another server name; retry on a new connection.\n";
/// `content-type: text/plain` in the ABI's map encoding: pair count, (name, value) sizes as
/// little-endian u32, then NUL-terminated name and value.
const HEADERS: &[u8] =
    b"\x01\x00\x00\x00\x0c\x00\x00\x00\x0a\x00\x00\x00content-type\x00text/plain\x00";
const CONTINUE: u32 = 0;
const PAUSE: u32 = 1;

#[derive(Clone, Copy)]
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

/// One configured plugin (one filter configuration; several may share a VM).
struct Plugin {
    name: Box<[u8]>,
    config: Config,
    counters: Counters,
}

struct Plugins(RefCell<Vec<Plugin>>);

// SAFETY: wasm32 without the threads proposal runs one thread.
unsafe impl Sync for Plugins {}

static PLUGINS: Plugins = Plugins(RefCell::new(Vec::new()));

#[no_mangle]
pub extern "C" fn proxy_abi_version_0_2_1() {}

extern "C" {
    fn __wasm_call_ctors();
}

/// WASI reactor start-up: the host calls it once per VM.
#[no_mangle]
pub extern "C" fn _initialize() {
    // SAFETY: the linker-provided constructor runner, called once, first.
    unsafe { __wasm_call_ctors() };
}

#[no_mangle]
pub extern "C" fn proxy_on_configure(_root_context_id: u32, _size: usize) -> u32 {
    let scratch = Scratch::begin();
    let name = abi::property(&scratch, PLUGIN_NAME)
        .ok()
        .flatten()
        .unwrap_or_default();
    let parsed = abi::plugin_configuration(&scratch)
        .map_err(|status| format!("cannot read the plugin configuration (status {})", status.0))
        .and_then(|bytes| Config::parse(bytes).map_err(|e| e.to_string()));
    let config = match parsed {
        Ok(config) => config,
        Err(why) => {
            abi::log(Level::Error, &format!("configuration refused: {why}"));
            return 0;
        }
    };
    let counters = match Counters::define() {
        Ok(counters) => counters,
        Err(status) => {
            let message = format!("cannot define counters (status {})", status.0);
            abi::log(Level::Error, &message);
            return 0;
        }
    };
    abi::log(Level::Info, &format!("configured: {}", config.summary()));
    let plugin = Plugin {
        name: name.into(),
        config,
        counters,
    };
    let mut plugins = PLUGINS.0.borrow_mut();
    match plugins.iter_mut().find(|p| p.name == plugin.name) {
        Some(slot) => *slot = plugin,
        None => plugins.push(plugin),
    }
    1
}

#[no_mangle]
pub extern "C" fn proxy_on_request_headers(_context_id: u32, _headers: usize, _eos: u32) -> u32 {
    let scratch = Scratch::begin();
    let Ok(plugins) = PLUGINS.0.try_borrow() else {
        return CONTINUE;
    };
    let plugin = match plugins.as_slice() {
        [only] => only,
        several => {
            // Several configurations share this VM: ask the host which one this stream has.
            let name = abi::property(&scratch, PLUGIN_NAME).ok().flatten();
            match several.iter().find(|p| Some(&*p.name) == name) {
                Some(plugin) => plugin,
                None => return CONTINUE,
            }
        }
    };
    let sni = abi::property(&scratch, SNI).ok().flatten();
    let authority = abi::request_header(&scratch, b":authority").ok().flatten();
    let protocol = || abi::property(&scratch, PROTOCOL).ok().flatten();
    match plugin.config.decide_lazily(sni, authority, protocol) {
        Verdict::Pass => CONTINUE,
        Verdict::NoSni => {
            abi::increment(plugin.counters.no_sni);
            CONTINUE
        }
        Verdict::LogOnly(mismatch) => {
            abi::increment(plugin.counters.log_only_mismatches);
            let message = format!("misdirected request let through (log_only): {mismatch}");
            abi::log(Level::Warn, &message);
            CONTINUE
        }
        Verdict::Misdirected(_) => {
            abi::increment(plugin.counters.misdirected);
            // Envoy strips `connection: close` from local replies and offers a filter no way
            // to drain an HTTP/1.1 connection, so none is sent: the 421 alone says "retry".
            match abi::send_local_response(421, DETAILS, HEADERS, BODY) {
                Ok(()) => PAUSE,
                Err(status) => {
                    let message = format!("cannot send 421 (status {}); let through", status.0);
                    abi::log(Level::Error, &message);
                    CONTINUE
                }
            }
        }
    }
}
