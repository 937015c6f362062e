//! The few proxy-wasm host calls the filter makes, as results: the SDK's `hostcalls`
//! panic on an unexpected status, and a panic kills the VM.

use std::ptr::{null, null_mut};

#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
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
const NOT_FOUND: u32 = 1;
const BUFFER_PLUGIN_CONFIGURATION: u32 = 7;
const MAP_REQUEST_HEADERS: u32 = 0;
const METRIC_COUNTER: u32 = 0;

/// A host status other than Ok.
#[derive(Debug, Clone, Copy)]
pub struct Status(pub u32);

/// Takes ownership of a buffer the host allocated through `proxy_on_memory_allocate`.
///
/// # Safety
/// `data` must be null or come from the module allocator with exactly `size` bytes.
unsafe fn take(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() {
        Vec::new()
    } else {
        Vec::from_raw_parts(data, size, size)
    }
}

fn fetch(call: impl FnOnce(*mut *mut u8, *mut usize) -> u32) -> Result<Option<Vec<u8>>, Status> {
    let mut data = null_mut();
    let mut size = 0;
    match call(&mut data, &mut size) {
        // SAFETY: on Ok the host filled `data`/`size` from the module allocator.
        OK => Ok(Some(unsafe { take(data, size) })),
        NOT_FOUND => Ok(None),
        status => Err(Status(status)),
    }
}

pub fn log(level: u32, message: &str) {
    // SAFETY: a valid slice for the duration of the call.
    unsafe { proxy_log(level, message.as_ptr(), message.len()) };
}

pub fn plugin_configuration() -> Result<Vec<u8>, Status> {
    // SAFETY: out-pointers are valid locals.
    fetch(|d, s| unsafe {
        proxy_get_buffer_bytes(BUFFER_PLUGIN_CONFIGURATION, 0, usize::MAX, d, s)
    })
    .map(Option::unwrap_or_default)
}

/// A property by its serialized path (parts separated by NUL).
pub fn property(path: &[u8]) -> Result<Option<Vec<u8>>, Status> {
    // SAFETY: valid slice and out-pointers.
    fetch(|d, s| unsafe { proxy_get_property(path.as_ptr(), path.len(), d, s) })
}

pub fn request_header(name: &[u8]) -> Result<Option<Vec<u8>>, Status> {
    // SAFETY: valid slice and out-pointers.
    fetch(|d, s| unsafe {
        proxy_get_header_map_value(MAP_REQUEST_HEADERS, name.as_ptr(), name.len(), d, s)
    })
}

/// Sends a local reply; `details` shows in `%RESPONSE_CODE_DETAILS%`.
pub fn send_local_response(
    status: u32,
    details: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), Status> {
    let headers = serialize_map(headers);
    // SAFETY: valid slices for the duration of the call.
    let status = unsafe {
        proxy_send_local_response(
            status,
            details.as_ptr(),
            details.len(),
            if body.is_empty() {
                null()
            } else {
                body.as_ptr()
            },
            body.len(),
            headers.as_ptr(),
            headers.len(),
            -1,
        )
    };
    match status {
        OK => Ok(()),
        other => Err(Status(other)),
    }
}

pub fn define_counter(name: &str) -> Result<u32, Status> {
    let mut id = 0;
    // SAFETY: valid slice and out-pointer.
    match unsafe { proxy_define_metric(METRIC_COUNTER, name.as_ptr(), name.len(), &mut id) } {
        OK => Ok(id),
        other => Err(Status(other)),
    }
}

pub fn increment(metric_id: u32) {
    // SAFETY: plain values. A failed increment loses one count, nothing else.
    unsafe { proxy_increment_metric(metric_id, 1) };
}

/// The proxy-wasm header map encoding: count, then (name size, value size) pairs, then
/// NUL-terminated names and values, all sizes as little-endian u32.
fn serialize_map(pairs: &[(&str, &str)]) -> Vec<u8> {
    let len32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&len32(pairs.len()));
    for (name, value) in pairs {
        out.extend_from_slice(&len32(name.len()));
        out.extend_from_slice(&len32(value.len()));
    }
    for (name, value) in pairs {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}
