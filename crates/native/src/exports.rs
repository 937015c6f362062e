//! The event hooks Envoy resolves when it loads the library (`envoy_dynamic_module_on_*`).
//! The filter needs only the configuration and the request headers; Envoy requires the other
//! HTTP filter hooks to exist, so they are here and do nothing. The release profile aborts on
//! panic, so no unwinding can cross into Envoy, and the code has no panicking path (the
//! workspace lints deny unwrap, expect, indexing and panics).

use crate::abi::{EnvoyBuffer, Stream, define_counter};
use crate::filter::{Action, COUNTERS, Counters, Plugin};
use crate::logger::EnvoyLog;
use std::ffi::{c_char, c_void};

static LOGGER: EnvoyLog = EnvoyLog;

/// The ABI version the module is built against: Envoy 1.39's (`v0.1.0`). Envoy 1.40 loads
/// modules of the previous minor release (it logs that the version is not its own).
const ABI_VERSION: &[u8] = b"v0.1.0\0";

/// Called once, when Envoy loads the library.
#[unsafe(no_mangle)]
pub extern "C" fn envoy_dynamic_module_on_program_init() -> *const c_char {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Trace);
    ABI_VERSION.as_ptr().cast()
}

/// A filter configuration: the in-module configuration, or null to refuse it (Envoy then
/// refuses the listener, or the update).
#[unsafe(no_mangle)]
pub extern "C" fn envoy_dynamic_module_on_http_filter_config_new(
    config_envoy_ptr: *mut c_void,
    _name: EnvoyBuffer,
    config: EnvoyBuffer,
) -> *const c_void {
    let bytes: &[u8] = match config.ptr.is_null() {
        true => &[],
        // SAFETY: Envoy's configuration bytes, valid for this call.
        false => unsafe { std::slice::from_raw_parts(config.ptr, config.length) },
    };
    let [misdirected, log_only_mismatches, no_sni] =
        COUNTERS.map(|name| define_counter(config_envoy_ptr, name));
    let (Some(misdirected), Some(log_only_mismatches), Some(no_sni)) =
        (misdirected, log_only_mismatches, no_sni)
    else {
        log::error!("cannot define counters");
        return std::ptr::null();
    };
    let counters = Counters {
        misdirected,
        log_only_mismatches,
        no_sni,
    };
    match Plugin::configure(bytes, counters) {
        Ok(plugin) => {
            log::info!("configured: {}", plugin.config.summary());
            Box::into_raw(Box::new(plugin)).cast_const().cast()
        }
        Err(why) => {
            log::error!("configuration refused: {why}");
            std::ptr::null()
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn envoy_dynamic_module_on_http_filter_config_destroy(config: *mut c_void) {
    if !config.is_null() {
        // SAFETY: the pointer `..._config_new` made with `Box::into_raw`, destroyed once.
        drop(unsafe { Box::from_raw(config.cast::<Plugin>()) });
    }
}

/// A stream's filter: the configuration itself (a request keeps no state of its own).
#[unsafe(no_mangle)]
pub extern "C" fn envoy_dynamic_module_on_http_filter_new(
    config: *mut c_void,
    _filter_envoy_ptr: *mut c_void,
) -> *mut c_void {
    config
}

#[unsafe(no_mangle)]
pub extern "C" fn envoy_dynamic_module_on_http_filter_request_headers(
    filter_envoy_ptr: *mut c_void,
    filter_module_ptr: *mut c_void,
    _end_of_stream: bool,
) -> u32 {
    // SAFETY: the configuration `..._filter_new` returned, alive while its streams are.
    let Some(plugin) = (unsafe { filter_module_ptr.cast::<Plugin>().as_ref() }) else {
        return Action::Continue as u32;
    };
    let stream = Stream {
        envoy: filter_envoy_ptr,
    };
    plugin.request_headers(&stream) as u32
}

/// The hooks the filter does not use: continue (status 0), or nothing.
macro_rules! continue_hooks {
    ($($name:ident),* $(,)?) => {$(
        #[unsafe(no_mangle)]
        pub extern "C" fn $name() -> u32 {
            0
        }
    )*};
}

macro_rules! empty_hooks {
    ($($name:ident),* $(,)?) => {$(
        #[unsafe(no_mangle)]
        pub extern "C" fn $name() {}
    )*};
}

continue_hooks!(
    envoy_dynamic_module_on_http_filter_request_body,
    envoy_dynamic_module_on_http_filter_request_trailers,
    envoy_dynamic_module_on_http_filter_response_headers,
    envoy_dynamic_module_on_http_filter_response_body,
    envoy_dynamic_module_on_http_filter_response_trailers,
);

empty_hooks!(
    envoy_dynamic_module_on_http_filter_stream_complete,
    envoy_dynamic_module_on_http_filter_destroy,
    envoy_dynamic_module_on_http_filter_http_callout_done,
    envoy_dynamic_module_on_http_filter_http_stream_headers,
    envoy_dynamic_module_on_http_filter_http_stream_data,
    envoy_dynamic_module_on_http_filter_http_stream_trailers,
    envoy_dynamic_module_on_http_filter_http_stream_complete,
    envoy_dynamic_module_on_http_filter_http_stream_reset,
    envoy_dynamic_module_on_http_filter_scheduled,
    envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark,
    envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark,
);
