//! `sni-guard audit`.

use super::{EXIT_FOUND, EXIT_OK, Format, print_notes};
use crate::audit::{audit_with, not_known};
use crate::error::Error;
use crate::input::Input;
use crate::model::layout::Layout;
use crate::output::{human, json};
use std::io::Write;

pub(super) fn run(
    layout: &Layout<'_>,
    input: &Input,
    format: Format,
    notes: Vec<String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let audit = audit_with(
        layout,
        &input.certificates,
        &input.virtual_services.items,
        &input.envoy_gateway.traffic_policies,
    );
    let not_known = not_known(&audit, layout, &input.left_out);
    // The report says these itself.
    let notes: Vec<String> = notes
        .into_iter()
        .filter(|n| !not_known.contains(n))
        .collect();
    print_notes(&notes, stderr)?;
    match format {
        Format::Human => stdout.write_all(human::report(&audit, layout, &not_known).as_bytes())?,
        Format::Json => {
            let text =
                json::report(&audit, layout, &notes, &not_known).map_err(std::io::Error::other)?;
            writeln!(stdout, "{text}")?;
        }
    }
    Ok(if audit.findings.is_empty() {
        EXIT_OK
    } else {
        EXIT_FOUND
    })
}
