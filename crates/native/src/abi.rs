//! The Envoy callbacks the module calls, declared from Envoy's dynamic module ABI header
//! (`source/extensions/dynamic_modules/abi/abi.h`, the forms of Envoy 1.39 and 1.40), and the
//! [`Host`] of one request over them. Envoy's own Rust SDK is not on crates.io; these five
//! declarations are all the module needs.

use crate::host::{Attribute, Host};
use std::ffi::c_void;

/// A buffer the module owns (`envoy_dynamic_module_type_module_buffer`).
#[repr(C)]
pub struct ModuleBuffer {
    pub ptr: *const u8,
    pub length: usize,
}

impl ModuleBuffer {
    pub fn of(bytes: &[u8]) -> ModuleBuffer {
        ModuleBuffer {
            ptr: bytes.as_ptr(),
            length: bytes.len(),
        }
    }
}

/// A buffer Envoy owns, valid during the hook (`envoy_dynamic_module_type_envoy_buffer`).
#[repr(C)]
pub struct EnvoyBuffer {
    pub ptr: *const u8,
    pub length: usize,
}

unsafe extern "C" {
    pub safe fn envoy_dynamic_module_callback_log_enabled(level: u32) -> bool;
    pub fn envoy_dynamic_module_callback_log(level: u32, message: ModuleBuffer);
    pub fn envoy_dynamic_module_callback_http_filter_config_define_counter(
        config_envoy_ptr: *mut c_void,
        name: ModuleBuffer,
        label_names: *const ModuleBuffer,
        label_names_length: usize,
        counter_id: *mut usize,
    ) -> u32;
    pub fn envoy_dynamic_module_callback_http_filter_increment_counter(
        filter_envoy_ptr: *mut c_void,
        id: usize,
        label_values: *const ModuleBuffer,
        label_values_length: usize,
        value: u64,
    ) -> u32;
    pub fn envoy_dynamic_module_callback_http_filter_get_attribute_string(
        filter_envoy_ptr: *mut c_void,
        attribute_id: u32,
        result: *mut EnvoyBuffer,
    ) -> bool;
    pub fn envoy_dynamic_module_callback_http_send_response(
        filter_envoy_ptr: *mut c_void,
        status_code: u32,
        // `envoy_dynamic_module_type_module_http_header*`: none are passed.
        headers: *const c_void,
        headers_length: usize,
        body: ModuleBuffer,
        details: ModuleBuffer,
    );
}

/// `envoy_dynamic_module_type_metrics_result_Success`.
const METRICS_SUCCESS: u32 = 0;

/// Defines a counter on the configuration Envoy is building; its id.
pub fn define_counter(config_envoy_ptr: *mut c_void, name: &str) -> Option<usize> {
    let mut id = 0usize;
    // SAFETY: `config_envoy_ptr` is the pointer Envoy passed to `..._config_new`, which is
    // running; the name is borrowed for the call; no labels; `id` outlives the call.
    let result = unsafe {
        envoy_dynamic_module_callback_http_filter_config_define_counter(
            config_envoy_ptr,
            ModuleBuffer::of(name.as_bytes()),
            std::ptr::null(),
            0,
            &mut id,
        )
    };
    (result == METRICS_SUCCESS).then_some(id)
}

/// One request's filter, as Envoy passed it to the hook.
pub struct Stream {
    pub envoy: *mut c_void,
}

impl Host for Stream {
    fn attribute(&self, attribute: Attribute) -> Option<&[u8]> {
        let mut value = EnvoyBuffer {
            ptr: std::ptr::null(),
            length: 0,
        };
        // SAFETY: `envoy` is the filter of the running hook; `value` outlives the call.
        let found = unsafe {
            envoy_dynamic_module_callback_http_filter_get_attribute_string(
                self.envoy,
                attribute as u32,
                &mut value,
            )
        };
        if !found || value.ptr.is_null() {
            return None;
        }
        // SAFETY: Envoy's buffer stays valid and unchanged until the hook returns, which
        // outlives the borrow of `self`.
        Some(unsafe { std::slice::from_raw_parts(value.ptr, value.length) })
    }

    fn send_response(&self, status: u32, body: &[u8], details: &str) {
        // No headers: Envoy gives a local reply with a body `content-type: text/plain` itself,
        // and passing none spares it the header callback.
        // SAFETY: `envoy` is the filter of the running hook; Envoy copies the body and details
        // before returning.
        unsafe {
            envoy_dynamic_module_callback_http_send_response(
                self.envoy,
                status,
                std::ptr::null(),
                0,
                ModuleBuffer::of(body),
                ModuleBuffer::of(details.as_bytes()),
            );
        }
    }

    fn increment(&self, counter: usize) {
        // SAFETY: `envoy` is the filter of the running hook; no labels.
        let _ = unsafe {
            envoy_dynamic_module_callback_http_filter_increment_counter(
                self.envoy,
                counter,
                std::ptr::null(),
                0,
                1,
            )
        };
    }
}
