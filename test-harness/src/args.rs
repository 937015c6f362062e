//! `--flag value` arguments of the harness's binaries.

use crate::error::{fail, Result};
use std::str::FromStr;

/// The command line as (flag, value) pairs; a flag without a value is an error.
pub fn flag_values() -> Result<Vec<(String, String)>> {
    let mut args = std::env::args().skip(1);
    let mut pairs = Vec::new();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| fail(format!("{flag} needs a value")))?;
        pairs.push((flag, value));
    }
    Ok(pairs)
}

/// A number, written with or without `_` or `,` between digits (`500_000`).
pub fn number<T: FromStr>(flag: &str, value: &str) -> Result<T> {
    value
        .replace(['_', ','], "")
        .parse()
        .map_err(|_| fail(format!("{flag}: not a number: {value}")))
}
