//! The Gateway API conformance cases (`envoy/conformance-cases.tsv`), one source for every
//! test that runs them.

use crate::error::{fail, Result};

/// One case: SNI, `:authority`, the status a correct gateway answers, a note.
#[derive(Debug, Clone, Copy)]
pub struct ConformanceCase {
    pub sni: &'static str,
    pub authority: &'static str,
    pub status: u16,
    pub note: &'static str,
}

const TABLE: &str = include_str!("../envoy/conformance-cases.tsv");

/// The 15 cases, in the conformance test's order.
pub fn cases() -> Result<Vec<ConformanceCase>> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            let (Some(sni), Some(authority), Some(status)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(fail(format!("conformance-cases.tsv: bad line {line:?}")));
            };
            Ok(ConformanceCase {
                sni,
                authority,
                status: status.parse()?,
                note: fields.next().unwrap_or(""),
            })
        })
        .collect()
}
