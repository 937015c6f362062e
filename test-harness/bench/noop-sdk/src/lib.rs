//! A proxy-wasm Rust SDK filter that does nothing: what the SDK's dispatcher costs, which
//! exports every callback and so is called for each of them on every request.

use proxy_wasm::traits::{Context, HttpContext};

proxy_wasm::main! {{
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Noop) });
}}

struct Noop;

impl Context for Noop {}

impl HttpContext for Noop {}
