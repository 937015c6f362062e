//! What every adapter answers and counts, so that both builds answer alike: the 421's body and
//! response details, and the counters' names.

/// `%RESPONSE_CODE_DETAILS%` of the 421.
pub const DETAILS: &str = "sni_guard_misdirected_request";

/// The 421's body (`content-type: text/plain`).
pub const BODY: &[u8] = b"Misdirected Request: this connection was made for another server name; retry on a new connection.\n";

/// The counters: misdirected requests answered 421, those let through in `log_only`, and
/// requests on connections without SNI.
pub const COUNTERS: [&str; 3] = [
    "sni_guard.misdirected",
    "sni_guard.log_only_mismatches",
    "sni_guard.no_sni",
];
