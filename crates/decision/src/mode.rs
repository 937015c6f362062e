//! The filter's mode: what happens to a misdirected request. Its own module, as both the
//! configuration's shape (`document`) and its rules (`config`) name it.

use std::fmt;

/// What happens to a misdirected request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Answer 421 Misdirected Request.
    #[default]
    Strict,
    /// Let it through; log a warning and count it.
    LogOnly,
}

impl Mode {
    /// The mode a configuration names (`strict`, `log_only`).
    pub fn from_name(name: &str) -> Option<Mode> {
        [Mode::Strict, Mode::LogOnly]
            .into_iter()
            .find(|mode| mode.name() == name)
    }

    /// Its name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Strict => "strict",
            Mode::LogOnly => "log_only",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
