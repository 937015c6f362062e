//! The floor of any proxy-wasm filter: one exported callback that lets every request
//! through, plus what the ABI requires (its version marker and an allocator).

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

/// Never called on the request path here (nothing is read from the host).
#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    Vec::<u8>::with_capacity(size).leak().as_mut_ptr()
}

#[unsafe(no_mangle)]
pub extern "C" fn proxy_on_request_headers(_context: u32, _headers: usize, _eos: u32) -> u32 {
    0 // Continue
}
