//! Any bytes as a plugin configuration: parsed or refused with a message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sni_guard::Config;

fuzz_target!(|data: &[u8]| {
    match Config::parse(data) {
        Ok(config) => {
            let _ = config.summary();
        }
        Err(e) => assert!(!e.field.is_empty() && !e.problem.is_empty(), "{e:?}"),
    }
});
