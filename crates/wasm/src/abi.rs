//! The proxy-wasm ABI 0.2.1 host calls, as the [`Host`] of the wasm build: nothing here
//! panics.

use crate::proxy::{Host, Status};
use crate::scratch::{Nested, Scratch};
use std::ptr::null_mut;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
    fn proxy_get_log_level(return_level: *mut u32) -> u32;
    fn proxy_get_buffer_bytes(
        buffer_type: u32,
        start: usize,
        max_size: usize,
        return_data: *mut *mut u8,
        return_size: *mut usize,
    ) -> u32;
    fn proxy_get_property(
        path_data: *const u8,
        path_size: usize,
        return_data: *mut *mut u8,
        return_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        return_data: *mut *mut u8,
        return_size: *mut usize,
    ) -> u32;
    fn proxy_send_local_response(
        status_code: u32,
        details_data: *const u8,
        details_size: usize,
        body_data: *const u8,
        body_size: usize,
        headers_data: *const u8,
        headers_size: usize,
        grpc_status: i32,
    ) -> u32;
    fn proxy_define_metric(
        metric_type: u32,
        name_data: *const u8,
        name_size: usize,
        return_id: *mut u32,
    ) -> u32;
    fn proxy_increment_metric(metric_id: u32, offset: i64) -> u32;
}

const OK: u32 = 0;
const BUFFER_PLUGIN_CONFIGURATION: u32 = 7;
const MAP_REQUEST_HEADERS: u32 = 0;
const METRIC_COUNTER: u32 = 0;

fn status(code: u32) -> Result<(), Status> {
    match code {
        OK => Ok(()),
        other => Err(Status(other)),
    }
}

/// Writes one log line at the ABI's `level` (0 trace ... 4 error).
pub fn log(level: u32, message: &str) {
    // SAFETY: a valid slice for the duration of the call.
    unsafe { proxy_log(level, message.as_ptr(), message.len()) };
}

/// The host's log level.
pub fn log_level() -> Result<u32, Status> {
    let mut level = 0;
    // SAFETY: a valid out-pointer.
    status(unsafe { proxy_get_log_level(&mut level) }).map(|()| level)
}

/// The host during one callback: values it returns live in this callback's scratch.
pub struct Abi {
    scratch: Scratch,
}

impl Abi {
    pub fn begin() -> Result<Abi, Nested> {
        Scratch::begin().map(|scratch| Abi { scratch })
    }

    /// Runs `call` with out-pointers for the data and size of a value the host returns, and
    /// borrows that value from this callback's scratch.
    ///
    /// # Safety
    /// `call` must be a proxy-wasm host call that, when it returns OK, has written through
    /// the two out-pointers the address and length of a value it placed with
    /// `proxy_on_memory_allocate` during this call (or null and 0), and nothing else.
    unsafe fn fetch(
        &self,
        call: impl FnOnce(*mut *mut u8, *mut usize) -> u32,
    ) -> Result<Option<&[u8]>, Status> {
        let mut data = null_mut();
        let mut size = 0;
        match status(call(&mut data, &mut size)) {
            // SAFETY: on OK the host wrote `size` bytes at `data`, allocated in this callback
            // from this scratch (the caller's contract).
            Ok(()) => Ok(Some(unsafe { self.scratch.value(data, size) })),
            Err(Status::NOT_FOUND) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

impl Host for Abi {
    fn plugin_configuration(&self) -> Result<&[u8], Status> {
        // SAFETY: a host call that returns a value as `fetch` requires; its out-pointers are
        // `fetch`'s locals.
        let got = unsafe {
            self.fetch(|d, s| {
                proxy_get_buffer_bytes(BUFFER_PLUGIN_CONFIGURATION, 0, usize::MAX, d, s)
            })
        };
        got.map(Option::unwrap_or_default)
    }

    fn property(&self, path: &[u8]) -> Result<Option<&[u8]>, Status> {
        // SAFETY: a host call that returns a value as `fetch` requires; `path` is a valid
        // slice for the call.
        unsafe { self.fetch(|d, s| proxy_get_property(path.as_ptr(), path.len(), d, s)) }
    }

    fn request_header(&self, name: &[u8]) -> Result<Option<&[u8]>, Status> {
        // SAFETY: a host call that returns a value as `fetch` requires; `name` is a valid
        // slice for the call.
        unsafe {
            self.fetch(|d, s| {
                proxy_get_header_map_value(MAP_REQUEST_HEADERS, name.as_ptr(), name.len(), d, s)
            })
        }
    }

    fn send_local_response(
        &self,
        code: u32,
        details: &str,
        headers: &[u8],
        body: &[u8],
    ) -> Result<(), Status> {
        // SAFETY: valid slices for the duration of the call.
        status(unsafe {
            proxy_send_local_response(
                code,
                details.as_ptr(),
                details.len(),
                body.as_ptr(),
                body.len(),
                headers.as_ptr(),
                headers.len(),
                -1,
            )
        })
    }

    fn define_counter(&self, name: &str) -> Result<u32, Status> {
        let mut id = 0;
        // SAFETY: valid slice and out-pointer.
        let code =
            unsafe { proxy_define_metric(METRIC_COUNTER, name.as_ptr(), name.len(), &mut id) };
        status(code).map(|()| id)
    }

    fn increment(&self, counter: u32) {
        // SAFETY: plain values.
        unsafe { proxy_increment_metric(counter, 1) };
    }
}
