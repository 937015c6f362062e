//! The Gateway API conformance cases (`envoy/conformance-cases.tsv`) and the plugin
//! configuration topology (b) gives sni-guard (`envoy/conformance.yaml`), read here and only
//! here: for the module's unit tests, the real-Envoy tests and comparison.md.
//!
//! In a crate of its own so that the decision's tests (`crates/decision/tests/conformance.rs`)
//! read the same data as the harness without depending on it.

/// One case: SNI, `:authority`, the status a correct gateway answers, a note.
#[derive(Debug, Clone, Copy)]
pub struct ConformanceCase {
    pub sni: &'static str,
    pub authority: &'static str,
    pub status: u16,
    pub note: &'static str,
}

const TABLE: &str = include_str!("../../envoy/conformance-cases.tsv");
const TOPOLOGY: &str = include_str!("../../envoy/conformance.yaml");

/// The 15 cases, in the conformance test's order. Both files are built in, so a malformed
/// line is a bug in the repository: it panics, naming the line.
pub fn cases() -> Vec<ConformanceCase> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            let (Some(sni), Some(authority), Some(status)) =
                (fields.next(), fields.next(), fields.next())
            else {
                panic!("conformance-cases.tsv: bad line {line:?}");
            };
            ConformanceCase {
                sni,
                authority,
                status: status
                    .parse()
                    .unwrap_or_else(|_| panic!("conformance-cases.tsv: bad status in {line:?}")),
                note: fields.next().unwrap_or(""),
            }
        })
        .collect()
}

/// The plugin configuration JSON of topology (b)'s sni-guard filters, as the file has it:
/// strict, one server per listener.
pub fn plugin_config() -> String {
    let config =
        yaml_serde::from_str(TOPOLOGY).unwrap_or_else(|e| panic!("envoy/conformance.yaml: {e}"));
    crate::plugin_slot::configuration(&config)
        .unwrap_or_else(|| panic!("envoy/conformance.yaml: no sni-guard configuration"))
}
