//! The proxy-wasm ABI 0.2.1 host calls the filter makes, as results: nothing here panics.

use crate::scratch::Scratch;
use std::ptr::null_mut;

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

/// Log levels of the ABI.
#[derive(Clone, Copy)]
pub enum Level {
    Info = 2,
    Warn = 3,
    Error = 4,
}

/// A host status other than Ok.
#[derive(Debug, Clone, Copy)]
pub struct Status(pub u32);

fn fetch(
    scratch: &Scratch,
    call: impl FnOnce(*mut *mut u8, *mut usize) -> u32,
) -> Result<Option<&[u8]>, Status> {
    let mut data = null_mut();
    let mut size = 0;
    match call(&mut data, &mut size) {
        // SAFETY: on Ok the host wrote `size` bytes at `data`, allocated in this callback.
        OK => Ok(Some(unsafe { scratch.value(data, size) })),
        NOT_FOUND => Ok(None),
        status => Err(Status(status)),
    }
}

pub fn log(level: Level, message: &str) {
    // SAFETY: a valid slice for the duration of the call.
    unsafe { proxy_log(level as u32, message.as_ptr(), message.len()) };
}

pub fn plugin_configuration(scratch: &Scratch) -> Result<&[u8], Status> {
    // SAFETY: out-pointers are valid locals.
    let got = fetch(scratch, |d, s| unsafe {
        proxy_get_buffer_bytes(BUFFER_PLUGIN_CONFIGURATION, 0, usize::MAX, d, s)
    });
    got.map(Option::unwrap_or_default)
}

/// A property by its serialized path (parts separated by NUL).
pub fn property<'s>(scratch: &'s Scratch, path: &[u8]) -> Result<Option<&'s [u8]>, Status> {
    // SAFETY: valid slice and out-pointers.
    fetch(scratch, |d, s| unsafe {
        proxy_get_property(path.as_ptr(), path.len(), d, s)
    })
}

pub fn request_header<'s>(scratch: &'s Scratch, name: &[u8]) -> Result<Option<&'s [u8]>, Status> {
    // SAFETY: valid slice and out-pointers.
    fetch(scratch, |d, s| unsafe {
        proxy_get_header_map_value(MAP_REQUEST_HEADERS, name.as_ptr(), name.len(), d, s)
    })
}

/// Sends a local reply with pre-serialized headers; `details` shows in
/// `%RESPONSE_CODE_DETAILS%`.
pub fn send_local_response(
    status: u32,
    details: &str,
    headers: &[u8],
    body: &[u8],
) -> Result<(), Status> {
    // SAFETY: valid slices for the duration of the call.
    let status = unsafe {
        proxy_send_local_response(
            status,
            details.as_ptr(),
            details.len(),
            body.as_ptr(),
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
