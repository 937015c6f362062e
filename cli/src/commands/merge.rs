//! `sni-guard merge`: the merge plan.

use super::{print_notes, Format, EXIT_FOUND, EXIT_OK, EXIT_USAGE};
use crate::input::Input;
use crate::merge::{output, plan};
use crate::model::labels::Labels;
use crate::model::layout::Layout;
use std::io::Write;

pub(super) fn run(
    layout: &Layout<'_>,
    input: &Input,
    flags: &[Labels],
    format: Format,
    notes: Vec<String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    print_notes(&notes, stderr)?;
    let plan = match plan(input, layout, flags) {
        Ok(plan) => plan,
        Err(problem) => {
            writeln!(stderr, "sni-guard: error: {problem}")?;
            return Ok(EXIT_USAGE);
        }
    };
    match format {
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
