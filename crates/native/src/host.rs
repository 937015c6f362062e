//! What the filter asks of Envoy, as a trait: the library implements it over the dynamic
//! module ABI (`abi`), the tests over a recording mock.

/// The request and connection attributes the filter reads (Envoy's attribute ids, in the
/// order of `envoy_dynamic_module_type_attribute_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    /// `request.host`: the `:authority` (HTTP/2, HTTP/3) or `Host` (HTTP/1.1) header.
    RequestHost = 2,
    /// `request.protocol`: `HTTP/1.1`, `HTTP/2`, `HTTP/3`.
    RequestProtocol = 10,
    /// `connection.requested_server_name`: the TLS SNI.
    RequestedServerName = 30,
}

/// The host calls of one request. A value the host returns lives as long as the borrow.
pub trait Host {
    /// An attribute's value; `None` when the request or connection has none.
    fn attribute(&self, attribute: Attribute) -> Option<&[u8]>;

    /// Answers the request with `status`, a `content-type: text/plain` body, and `details`
    /// for `%RESPONSE_CODE_DETAILS%`.
    fn send_response(&self, status: u32, body: &[u8], details: &str);

    /// Adds one to a counter defined with the configuration.
    fn increment(&self, counter: usize);
}
