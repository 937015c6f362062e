//! `sni-guard merge`: the merge plan.

use super::{EXIT_FOUND, EXIT_OK, Format, print_notes};
use crate::error::Error;
use crate::input::Input;
use crate::merge::{output, plan};
use crate::model::labels::Labels;
use crate::model::layout::Layout;
use std::io::Write;

/// The merge command's own flags.
pub(super) struct Options {
    pub format: Format,
    /// `--no-virtual-services`: no VirtualService is bound to these Gateways.
    pub no_virtual_services: bool,
}

pub(super) fn run(
    layout: &Layout<'_>,
    input: &Input,
    flags: &[Labels],
    options: Options,
    notes: Vec<String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    print_notes(&notes, stderr)?;
    // A machine reading stdout gets the error too (`{"error": String}`), not an empty
    // document: `commands::fail` writes it.
    let plan = plan(input, layout, flags, options.no_virtual_services)?;
    match options.format {
        Format::Human => {
            let yaml = output::yaml(&plan).map_err(std::io::Error::other)?;
            stdout.write_all(yaml.as_bytes())?;
            stderr.write_all(output::summary(&plan).as_bytes())?;
        }
        Format::Json => {
            let text = output::json(&plan).map_err(std::io::Error::other)?;
            writeln!(stdout, "{text}")?;
        }
    }
    Ok(if plan.not_merged.is_empty() {
        EXIT_OK
    } else {
        EXIT_FOUND
    })
}
