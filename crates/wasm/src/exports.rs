//! What the module exports to the host: the WASI reactor start, the ABI version, the memory
//! allocator for values the host returns, and the two callbacks sni-guard needs. The host
//! skips every callback a module does not export, and each one it calls costs time on every
//! request.

use crate::abi::{self, Abi};
use crate::filter::{Action, Filter};
use crate::logger::{ProxyLog, level_filter};
use crate::scratch;
use std::cell::RefCell;

thread_local! {
    // wasm32 without the threads proposal has one thread: a plain static there.
    static FILTER: RefCell<Filter> = const { RefCell::new(Filter::new()) };
}

static LOGGER: ProxyLog = ProxyLog;

unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// WASI reactor start-up: the host calls it once per VM.
#[unsafe(no_mangle)]
pub extern "C" fn _initialize() {
    // SAFETY: the linker-provided constructor runner, called once, first.
    unsafe { __wasm_call_ctors() };
    // Until a configuration brings the host's level: what Envoy logs by default.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Info);
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_abi_version_0_2_1() {}

/// Called by the host to place a value it returns to the module.
#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    scratch::allocate(size)
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_configure(_root_context_id: u32, _size: usize) -> u32 {
    if let Ok(level) = abi::log_level() {
        log::set_max_level(level_filter(level));
    }
    let Some(host) = begin() else { return 0 };
    FILTER.with(|filter| match filter.try_borrow_mut() {
        Ok(mut filter) => u32::from(filter.configure(&host)),
        Err(_) => 0,
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_request_headers(_context_id: u32, _headers: usize, _eos: u32) -> u32 {
    let Some(host) = begin() else {
        return Action::Continue as u32;
    };
    FILTER.with(|filter| match filter.try_borrow() {
        Ok(filter) => filter.request_headers(&host) as u32,
        Err(_) => Action::Continue as u32,
    })
}

/// The host for one callback; a nested one is refused, logged, and the callback does nothing.
fn begin() -> Option<Abi> {
    match Abi::begin() {
        Ok(host) => Some(host),
        Err(nested) => {
            log::error!("{nested}: skipped");
            None
        }
    }
}
