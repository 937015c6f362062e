//! Logging through the `log` crate, written by Envoy's `dynamic_modules` logger at Envoy's
//! own level: a record below it is never formatted. Lines read `sni-guard: <message>`.

use crate::abi;
use log::Level;

/// Envoy's level for a record's (`envoy_dynamic_module_type_log_level`).
fn envoy_level(level: Level) -> u32 {
    match level {
        Level::Trace => 0,
        Level::Debug => 1,
        Level::Info => 2,
        Level::Warn => 3,
        Level::Error => 4,
    }
}

pub struct EnvoyLog;

impl log::Log for EnvoyLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        abi::envoy_dynamic_module_callback_log_enabled(envoy_level(metadata.level()))
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Envoy names the logger (`dynamic_modules`), not the module: the prefix says whose
        // line it is, as `wasm log sni-guard: ` does for the Wasm build.
        let text = format!("sni-guard: {}", record.args());
        let level = envoy_level(record.level());
        // SAFETY: the message is borrowed for the call; Envoy copies it.
        unsafe {
            abi::envoy_dynamic_module_callback_log(level, abi::ModuleBuffer::of(text.as_bytes()))
        };
    }

    fn flush(&self) {}
}
