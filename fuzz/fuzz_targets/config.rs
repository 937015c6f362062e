//! Any bytes as a plugin configuration: parsed or refused with a message, never a panic;
//! the message is one line of printable ASCII (it goes to the proxy's log as is).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sni_guard_decision::Config;

fuzz_target!(|data: &[u8]| {
    match Config::parse(data) {
        Ok(config) => {
            let _ = config.summary();
        }
        Err(e) => {
            assert!(!e.field.is_empty() && !e.problem.is_empty(), "{e:?}");
            let line = e.to_string();
            assert!(
                line.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
                "{line:?}"
            );
        }
    }
});
