//! The access log the topologies write to stdout, one line per request:
//! `%FILTER_CHAIN_NAME% %CONNECTION_ID% %REQUESTED_SERVER_NAME% %REQ(:AUTHORITY)%
//! %RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %PROTOCOL%`.

/// One request as Envoy logged it. `-` fields are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub filter_chain: String,
    pub connection: u64,
    pub sni: Option<String>,
    pub authority: Option<String>,
    pub status: u16,
    pub details: String,
    pub protocol: String,
}

/// Parses every access log line of `stdout`; other lines are skipped.
pub fn parse(stdout: &str) -> Vec<Entry> {
    stdout.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Entry> {
    let fields: Vec<&str> = line.split(' ').collect();
    let [chain, connection, sni, authority, status, details, protocol] = fields.as_slice() else {
        return None;
    };
    let opt = |s: &str| (s != "-").then(|| s.to_string());
    Some(Entry {
        filter_chain: chain.to_string(),
        connection: connection.parse().ok()?,
        sni: opt(sni),
        authority: opt(authority),
        status: status.parse().ok()?,
        details: details.to_string(),
        protocol: protocol.to_string(),
    })
}
