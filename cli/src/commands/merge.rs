//! `sni-guard merge`: the merge plan.

use super::{print_notes, Format, EXIT_FOUND, EXIT_OK, EXIT_USAGE};
use crate::input::Input;
use crate::merge::{output, plan};
use crate::model::labels::Labels;
use crate::model::layout::Layout;
use serde_json::json;
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
) -> std::io::Result<i32> {
    print_notes(&notes, stderr)?;
    let plan = match plan(input, layout, flags, options.no_virtual_services) {
        Ok(plan) => plan,
        Err(problem) => {
            writeln!(stderr, "sni-guard: error: {problem}")?;
            // A machine reading stdout gets the error too, not an empty document; the shape
            // `{"error": String}` is meant to be shared by every command.
            if let Format::Json = options.format {
                let text = serde_json::to_string_pretty(&json!({ "error": problem }))
                    .map_err(std::io::Error::other)?;
                writeln!(stdout, "{text}")?;
            }
            return Ok(EXIT_USAGE);
        }
    };
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
