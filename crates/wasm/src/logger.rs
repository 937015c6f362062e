//! Logging through the `log` crate, written by the host (`proxy_log`). The host's log level
//! is the maximum, so a message below it is never formatted.

use log::{Level, LevelFilter};

/// The `log` maximum for the host's level (`proxy_get_log_level`: 0 trace ... 4 error,
/// 5 critical, which the filter never logs at).
pub fn level_filter(host_level: u32) -> LevelFilter {
    match host_level {
        0 => LevelFilter::Trace,
        1 => LevelFilter::Debug,
        2 => LevelFilter::Info,
        3 => LevelFilter::Warn,
        4 => LevelFilter::Error,
        _ => LevelFilter::Off,
    }
}

/// The ABI's level for a record's.
pub fn host_level(level: Level) -> u32 {
    match level {
        Level::Trace => 0,
        Level::Debug => 1,
        Level::Info => 2,
        Level::Warn => 3,
        Level::Error => 4,
    }
}

/// The logger of the wasm build: each record is one `proxy_log` call.
#[cfg(target_arch = "wasm32")]
pub struct ProxyLog;

#[cfg(target_arch = "wasm32")]
impl log::Log for ProxyLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = host_level(record.level());
        match record.args().as_str() {
            Some(text) => crate::abi::log(level, text),
            None => crate::abi::log(level, &record.args().to_string()),
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_both_ways() {
        for level in [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warn,
            Level::Error,
        ] {
            assert_eq!(level_filter(host_level(level)), level.to_level_filter());
        }
        assert_eq!(level_filter(5), LevelFilter::Off);
        assert_eq!(level_filter(77), LevelFilter::Off);
    }
}
