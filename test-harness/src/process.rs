//! Programs the harness runs to the end: found on the PATH, their output read, a failure
//! reported with their standard error.

use crate::error::{Context, Result, fail};
use std::process::{Command, Output};

/// Runs `command`; its standard output, or an error naming `what` with its standard error.
pub fn checked(command: &mut Command, what: &str) -> Result<String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command
        .output()
        .context(|| format!("{what}: running {program}"))?;
    stdout_of(out, what, &program)
}

/// The standard output of `program`'s run, or an error naming `what` with its standard error.
pub fn stdout_of(out: Output, what: &str, program: &str) -> Result<String> {
    if !out.status.success() {
        return Err(fail(format!(
            "{what}: {program} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An error `message` unless `program` is on the PATH.
pub fn require(program: &str, message: &str) -> Result<()> {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    match found {
        true => Ok(()),
        false => Err(fail(format!("{message}: `{program}` is not on the PATH"))),
    }
}
