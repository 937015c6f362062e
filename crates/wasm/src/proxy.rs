//! What the filter asks of the proxy (the proxy-wasm host), as a trait: the wasm build
//! implements it over the ABI (`abi`), the adapter's tests over a recording mock. The
//! callbacks are generic over it, so the wasm build calls the ABI directly.

use std::fmt;

/// A host status other than Ok.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u32);

/// The ABI's status names, by number.
const STATUS_NAMES: [&str; 13] = [
    "Ok",
    "NotFound",
    "BadArgument",
    "SerializationFailure",
    "ParseFailure",
    "BadExpression",
    "InvalidMemoryAccess",
    "Empty",
    "CasMismatch",
    "ResultMismatch",
    "InternalFailure",
    "BrokenConnection",
    "Unimplemented",
];

impl Status {
    pub const NOT_FOUND: Status = Status(1);
}

impl fmt::Display for Status {
    /// `NotFound`, `BadArgument`, ...; `status 42` for a number the ABI does not name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match usize::try_from(self.0)
            .ok()
            .and_then(|i| STATUS_NAMES.get(i))
        {
            Some(name) => f.write_str(name),
            None => write!(f, "status {}", self.0),
        }
    }
}

/// The host calls the filter makes. A value the host returns lives as long as the borrow of
/// the host (one callback).
pub trait Host {
    /// The plugin configuration (empty when there is none).
    fn plugin_configuration(&self) -> Result<&[u8], Status>;

    /// A property by its path (segments separated by NUL); `None` when the host has none.
    fn property(&self, path: &[u8]) -> Result<Option<&[u8]>, Status>;

    /// A request header (`:authority`); `None` when the request has none.
    fn request_header(&self, name: &[u8]) -> Result<Option<&[u8]>, Status>;

    /// Answers the request with pre-serialized headers; `details` shows in
    /// `%RESPONSE_CODE_DETAILS%`.
    fn send_local_response(
        &self,
        status: u32,
        details: &str,
        headers: &[u8],
        body: &[u8],
    ) -> Result<(), Status>;

    /// Defines a counter; its id.
    fn define_counter(&self, name: &str) -> Result<u32, Status>;

    /// Adds one to a counter. A failed increment loses one count, nothing else.
    fn increment(&self, counter: u32);
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn statuses_are_named() {
        assert_eq!(Status(1).to_string(), "NotFound");
        assert_eq!(Status(2).to_string(), "BadArgument");
        assert_eq!(Status(10).to_string(), "InternalFailure");
        assert_eq!(Status(12).to_string(), "Unimplemented");
        assert_eq!(Status(99).to_string(), "status 99");
    }
}
