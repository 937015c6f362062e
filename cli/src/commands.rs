//! The command line: `sni-guard audit` and `sni-guard plugin-config`.
//!
//! Exit codes: 0 clean (or configuration printed); 1 conflicts found (or the Gateways give
//! no configuration the filter accepts); 2 unreadable input or bad usage.

use crate::audit::audit;
use crate::gateway::{show_labels, Labels};
use crate::input::Input;
use crate::layout::https_listeners;
use crate::plugin::{self, Mode, Selection};
use crate::report;
use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;

/// Exit code: nothing found, or the output was printed.
pub const EXIT_OK: i32 = 0;
/// Exit code: conflicts found; or no configuration can be generated from these Gateways.
pub const EXIT_FOUND: i32 = 1;
/// Exit code: the input could not be read, or the command line is wrong.
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "sni-guard",
    version,
    about = "Finds Istio Gateways whose shared certificates make browsers coalesce connections \
             across filter chains (404s), and generates sni-guard's configuration from them.",
    after_help = "Exit codes: 0 clean / printed, 1 conflicts found / no valid configuration, \
                  2 unreadable input or bad usage.\n\
                  Live cluster: kubectl get gateways.networking.istio.io -A -o json | sni-guard audit -"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Reports credentials shared by servers in different filter chains of one workload and port.
    Audit {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Files of Gateway resources (YAML, or JSON such as `kubectl get -o json`); `-` is stdin.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Prints sni-guard's configuration mirroring the HTTPS servers of one workload and port.
    PluginConfig {
        /// The filter's mode.
        #[arg(long, value_enum, default_value_t = ModeArg::Strict)]
        mode: ModeArg,
        /// The workload, by its labels (`istio=ingressgateway`, or `a=b,c=d`); repeatable.
        #[arg(long, value_name = "LABELS", value_parser = parse_labels)]
        selector: Vec<Labels>,
        /// The port number (`port.number` in the Gateways).
        #[arg(long)]
        port: Option<u32>,
        /// The bind address, for servers that set one.
        #[arg(long, value_name = "ADDRESS")]
        bind: Option<String>,
        /// The workload and port of this Gateway's HTTPS servers (`namespace/name`).
        #[arg(long, value_name = "NAMESPACE/NAME")]
        gateway: Option<String>,
        /// Print a complete WasmPlugin manifest (YAML) instead of the configuration alone.
        #[arg(long)]
        wasmplugin: bool,
        /// The module's URL in the WasmPlugin.
        #[arg(long, default_value = plugin::DEFAULT_URL, requires = "wasmplugin")]
        url: String,
        /// Files of Gateway resources (YAML, or JSON such as `kubectl get -o json`); `-` is stdin.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ModeArg {
    Strict,
    #[value(name = "log_only", alias = "log-only")]
    LogOnly,
}

fn parse_labels(text: &str) -> Result<Labels, String> {
    let mut labels = Labels::new();
    for pair in text.split(',') {
        match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                labels.insert(key.trim().to_owned(), value.trim().to_owned());
            }
            _ => return Err(format!("{pair:?} is not key=value")),
        }
    }
    Ok(labels)
}

/// Runs the command line; returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                stderr.write_all(text.as_bytes())
            } else {
                stdout.write_all(text.as_bytes())
            };
            return e.exit_code();
        }
    };
    let files = match &cli.command {
        Command::Audit { files, .. } | Command::PluginConfig { files, .. } => files,
    };
    let input = match read_input(files, stdin) {
        Ok(input) => input,
        Err(problem) => {
            let _ = writeln!(stderr, "sni-guard: error: {problem}");
            return EXIT_USAGE;
        }
    };
    let outcome = match cli.command {
        Command::Audit { format, .. } => run_audit(&input, format, stdout, stderr),
        Command::PluginConfig {
            mode,
            selector,
            port,
            bind,
            gateway,
            wasmplugin,
            url,
            ..
        } => {
            let selection = Selection {
                selector: selector.into_iter().flatten().collect(),
                port,
                bind,
                gateway,
            };
            let mode = match mode {
                ModeArg::Strict => Mode::Strict,
                ModeArg::LogOnly => Mode::LogOnly,
            };
            let url = wasmplugin.then_some(url.as_str());
            run_plugin_config(&input, &selection, mode, url, stdout, stderr)
        }
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(stderr, "sni-guard: error: writing the output: {e}");
            EXIT_USAGE
        }
    }
}

fn read_input(files: &[PathBuf], stdin: &mut dyn Read) -> Result<Input, String> {
    let mut input = Input::default();
    let mut stdin_read = false;
    for path in files {
        let (name, bytes) = if path.as_os_str() == "-" {
            if stdin_read {
                return Err("-: standard input is named twice".to_owned());
            }
            stdin_read = true;
            let mut bytes = Vec::new();
            stdin
                .read_to_end(&mut bytes)
                .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
            ("<stdin>".to_owned(), bytes)
        } else {
            let name = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
            (name, bytes)
        };
        input.add(&name, &bytes).map_err(|e| e.to_string())?;
    }
    Ok(input)
}

fn notes(input: &Input, more: &[String]) -> Vec<String> {
    let mut notes = input.notes.clone();
    notes.extend(input.ignored_notes());
    notes.extend(more.iter().cloned());
    if input.gateways.is_empty() {
        notes.push("the input has no Istio Gateway (networking.istio.io)".to_owned());
    }
    notes
}

fn run_audit(
    input: &Input,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    let audit = audit(&input.gateways);
    let notes = notes(input, &audit.notes);
    for note in &notes {
        writeln!(stderr, "sni-guard: note: {note}")?;
    }
    match format {
        Format::Human => stdout.write_all(report::human(&audit).as_bytes())?,
        Format::Json => {
            let text = report::json(&audit, &notes).map_err(std::io::Error::other)?;
            writeln!(stdout, "{text}")?;
        }
    }
    Ok(if audit.findings.is_empty() {
        EXIT_OK
    } else {
        EXIT_FOUND
    })
}

fn run_plugin_config(
    input: &Input,
    selection: &Selection,
    mode: Mode,
    wasmplugin_url: Option<&str>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    for note in notes(input, &[]) {
        writeln!(stderr, "sni-guard: note: {note}")?;
    }
    let listeners = https_listeners(&input.gateways);
    let (listener, servers) = match plugin::choose(&listeners, selection) {
        Ok(chosen) => chosen,
        Err(problem) => {
            writeln!(stderr, "sni-guard: error: {problem}")?;
            return Ok(EXIT_USAGE);
        }
    };
    let config = match plugin::plugin_config(servers, mode) {
        Ok(config) => config,
        Err(problem) => {
            writeln!(
                stderr,
                "sni-guard: error: no configuration for {listener}:\n{problem}"
            )?;
            return Ok(EXIT_FOUND);
        }
    };
    let others: Vec<String> = listeners
        .iter()
        .filter(|(l, _)| l.workload == listener.workload && l != listener)
        .map(|(l, _)| l.port.to_string())
        .collect();
    if !others.is_empty() {
        writeln!(
            stderr,
            "sni-guard: note: workload {} also has HTTPS servers on port(s) {}; this configuration mirrors port {} only, and a WasmPlugin runs on every port of the workload",
            show_labels(&listener.workload),
            others.join(", "),
            listener.port
        )?;
    }
    let text = match wasmplugin_url {
        Some(url) => match plugin::wasm_plugin(&config, listener, servers, url) {
            Ok(yaml) => yaml,
            Err(problem) => {
                writeln!(stderr, "sni-guard: error: {problem}")?;
                return Ok(EXIT_USAGE);
            }
        },
        None => {
            let json = serde_json::to_string_pretty(&config).map_err(std::io::Error::other)?;
            format!("{json}\n")
        }
    };
    writeln!(
        stderr,
        "sni-guard: configuration for {listener}: {}",
        report::count(config.servers.len(), "server")
    )?;
    stdout.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(args: &[&str], stdin: &str) -> (i32, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run(
            std::iter::once("sni-guard").chain(args.iter().copied()),
            &mut stdin.as_bytes(),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    const TWO: &str = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "a", "namespace": "n"},
         "spec": {"selector": {"istio": "ig"}, "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                  "hosts": ["a.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "w"}}]}},
        {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "b", "namespace": "n"},
         "spec": {"selector": {"istio": "ig"}, "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                  "hosts": ["b.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "w"}}]}}]}"#;

    #[test]
    fn audit_from_stdin() {
        let (code, out, err) = run_with(&["audit", "-"], TWO);
        assert_eq!(code, EXIT_FOUND, "{err}");
        assert!(out.starts_with("CONFLICT: certificate shared by 2 filter chains"));
        assert!(err.is_empty(), "{err}");
    }

    #[test]
    fn plugin_config_from_stdin() {
        let (code, out, err) = run_with(&["plugin-config", "--mode", "log-only", "-"], TWO);
        assert_eq!(code, EXIT_OK, "{err}");
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["mode"], "log_only");
        assert_eq!(
            err,
            "sni-guard: configuration for workload istio=ig, port 443: 2 servers\n"
        );
    }

    #[test]
    fn usage_errors_exit_2() {
        assert_eq!(run_with(&["audit"], "").0, EXIT_USAGE);
        assert_eq!(run_with(&["frobnicate"], "").0, EXIT_USAGE);
        let (code, _, err) = run_with(&["plugin-config", "--selector", "istio", "-"], TWO);
        assert_eq!(code, EXIT_USAGE);
        assert!(err.contains("\"istio\" is not key=value"), "{err}");
        let (code, _, err) = run_with(&["audit", "-", "-"], TWO);
        assert_eq!(
            (code, err.as_str()),
            (
                EXIT_USAGE,
                "sni-guard: error: -: standard input is named twice\n"
            )
        );
        let (code, out, _) = run_with(&["--help"], "");
        assert_eq!(code, EXIT_OK);
        assert!(out.contains("Exit codes"));
    }

    #[test]
    fn labels() {
        assert_eq!(
            parse_labels("istio=ingressgateway, app=x").unwrap(),
            Labels::from([
                ("app".into(), "x".into()),
                ("istio".into(), "ingressgateway".into())
            ])
        );
        assert!(parse_labels("=x").is_err());
    }
}
