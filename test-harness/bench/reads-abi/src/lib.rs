//! The price of the two host reads sni-guard makes on every request, without its decision:
//! `connection.requested_server_name` and `:authority`, each a host call that hands the
//! value back through `proxy_on_memory_allocate`. Every request is let through.

use std::cell::{Cell, UnsafeCell};

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_get_property(path: *const u8, size: usize, data: *mut *mut u8, len: *mut usize)
    -> u32;
    fn proxy_get_header_map_value(
        map: u32,
        key: *const u8,
        size: usize,
        data: *mut *mut u8,
        len: *mut usize,
    ) -> u32;
}

struct Arena(UnsafeCell<[u8; 4096]>, Cell<usize>);

// SAFETY: wasm32 without threads runs one thread.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena(UnsafeCell::new([0; 4096]), Cell::new(0));

#[unsafe(no_mangle)]
pub extern "C" fn proxy_abi_version_0_2_1() {}

unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// A WASI reactor, as sni-guard is: without it the linker builds a "command" and wraps every
/// export to run exit-time destructors after each call.
#[unsafe(no_mangle)]
pub extern "C" fn _initialize() {
    // SAFETY: the linker-provided constructor runner, called once by the host, first.
    unsafe { __wasm_call_ctors() };
}

/// Values land in a buffer reset on every request (larger ones are leaked: a benchmark only).
#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    let used = ARENA.1.get();
    if used + size <= 4096 {
        ARENA.1.set(used + size);
        // SAFETY: inside the buffer.
        return unsafe { ARENA.0.get().cast::<u8>().add(used) };
    }
    Vec::<u8>::with_capacity(size).leak().as_mut_ptr()
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_request_headers(_context: u32, _headers: usize, _eos: u32) -> u32 {
    ARENA.1.set(0);
    let sni = b"connection\0requested_server_name";
    let authority = b":authority";
    let (mut data, mut len) = (std::ptr::null_mut(), 0);
    // SAFETY: valid slices and out-pointers; the values are not read.
    unsafe {
        proxy_get_property(sni.as_ptr(), sni.len(), &mut data, &mut len);
        proxy_get_header_map_value(0, authority.as_ptr(), authority.len(), &mut data, &mut len);
    }
    0 // Continue
}
