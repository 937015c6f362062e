//! The command line: `sni-guard audit`, `sni-guard plugin-config` and `sni-guard merge`.
//!
//! Exit codes: 0 clean (or the output was printed); 1 conflicts found (or the Gateways give
//! no configuration the filter accepts, or a live WasmPlugin drifted); 2 unusable input or
//! bad usage.

mod audit;
mod merge;
mod plugin_config;

use crate::error::Error;
use crate::input::Input;
use crate::model::envoy_gateway::NameScheme;
use crate::model::labels::{Labels, parse_labels};
use crate::model::layout::Layout;
use crate::model::placement::place;
use crate::plugin::Mode;
use crate::plugin::wasmplugin::FailStrategy;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::HashSet;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;

/// Exit code: nothing found, or the output was printed.
pub const EXIT_OK: i32 = 0;
/// Exit code: conflicts found; no configuration can be generated; drift.
pub const EXIT_FOUND: i32 = 1;
/// Exit code: the input could not be used, or the command line is wrong.
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "sni-guard",
    version,
    about = "Finds Gateways (Istio's and the Gateway API's) whose certificates let browsers coalesce \
             connections across filter chains (404s, wrong backends), and generates sni-guard's \
             configuration from them.",
    after_help = "Exit codes: 0 clean / printed, 1 conflicts found / no valid configuration / drift, \
                  2 unusable input or bad usage.\n\
                  Live cluster: kubectl get gateways.networking.istio.io,gateways.gateway.networking.k8s.io -A -o json | sni-guard audit -"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Reports filter chains on one workload and port whose certificates cover each other's hosts.
    Audit {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Prints sni-guard's configuration mirroring the filter chains of one workload and port.
    PluginConfig(Box<PluginConfigArgs>),
    /// Plans the merge of servers that share a certificate into one server (objects to apply
    /// on stdout, the summary and the Gateways to delete on stderr), routing checked.
    Merge {
        /// Output format: YAML objects to apply (human), or one JSON object.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// The input holds every VirtualService bound to these Gateways; there are none. Without
        /// it, input with no VirtualService gets no plan that moves servers between Gateways.
        #[arg(long)]
        no_virtual_services: bool,
        #[command(flatten)]
        input: InputArgs,
    },
}

#[derive(Args, Debug)]
struct InputArgs {
    /// The labels of one set of gateway pods (`app=istio-ingressgateway,istio=ingressgateway`),
    /// to place the Gateways on; repeatable. Deployments or Pods in the input do the same.
    #[arg(long = "workload-labels", value_name = "LABELS", value_parser = parse_labels)]
    workload_labels: Vec<Labels>,
    /// Files of resources (YAML, or JSON such as `kubectl get -o json`); `-` is stdin.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("manifest").args(["wasmplugin", "envoy_gateway"])))]
struct PluginConfigArgs {
    /// The filter's mode.
    #[arg(long, value_parser = mode_parser(), default_value_t = Mode::Strict)]
    mode: Mode,
    /// The workload, by labels its pods have (`istio=ingressgateway`, or `a=b,c=d`); repeatable.
    #[arg(long, value_name = "LABELS", value_parser = parse_labels)]
    selector: Vec<Labels>,
    /// The port number (`port.number` of Istio servers, `port` of Gateway API listeners).
    #[arg(long)]
    port: Option<u32>,
    /// The bind address, for servers that set one.
    #[arg(long, value_name = "ADDRESS")]
    bind: Option<String>,
    /// The workload and port of this Gateway's servers (`namespace/name`).
    #[arg(long, value_name = "NAMESPACE/NAME")]
    gateway: Option<String>,
    /// Print a complete WasmPlugin manifest (YAML) instead of the configuration alone.
    #[arg(long, conflicts_with = "check")]
    wasmplugin: bool,
    /// Print the Envoy Gateway resources instead (on an Envoy Gateway Gateway):
    /// EnvoyExtensionPolicy, ClientTrafficPolicy (h2) and EnvoyPatchPolicy (YAML).
    #[arg(long, conflicts_with = "check")]
    envoy_gateway: bool,
    /// With --envoy-gateway: load sni-guard's native build (an Envoy dynamic module) instead of
    /// the Wasm module, by its name in the EnvoyProxy's dynamicModules registry.
    #[arg(long, value_name = "NAME", requires = "envoy_gateway", conflicts_with_all = ["url", "placeholder_url", "sha256"])]
    native_module: Option<String>,
    /// Envoy Gateway's xDS names (its runtime flag XDSNameSchemeV2), for the
    /// EnvoyPatchPolicy's listener name.
    #[arg(long, value_enum, default_value_t, requires = "envoy_gateway")]
    xds_name_scheme: NameScheme,
    /// Where gateways pull the module from (oci://..., https://...), for --wasmplugin and
    /// --envoy-gateway.
    #[arg(long, requires = "manifest")]
    url: Option<String>,
    /// Write the example URL oci://registry.example.com/sni-guard:0.1.0, which no gateway can pull.
    #[arg(long, requires = "manifest", conflicts_with = "url")]
    placeholder_url: bool,
    /// The WasmPlugin's name (default: sni-guard-<selector values>-<port>, or
    /// sni-guard-<gateway>); the Envoy Gateway policies' (default: sni-guard-<port>).
    #[arg(long, requires = "manifest")]
    name: Option<String>,
    /// The WasmPlugin's namespace (default: the workload's, else istio-system); Envoy
    /// Gateway's policies are always in their Gateway's.
    #[arg(long, requires = "manifest")]
    namespace: Option<String>,
    /// The module's SHA-256 (https) or the image's digest (oci), checked by the gateway.
    #[arg(long, requires = "manifest")]
    sha256: Option<String>,
    /// What the gateway does when the module cannot load (--envoy-gateway: FAIL_OPEN is
    /// failOpen: true). Default: FAIL_CLOSE when a server in the table asks for client
    /// certificates, else FAIL_OPEN.
    #[arg(long, value_enum, requires = "manifest")]
    fail_strategy: Option<FailStrategy>,
    /// The port Envoy listens on for --port, when the gateway Service is not in the input.
    #[arg(long, value_name = "PORT", requires = "wasmplugin")]
    listener_port: Option<u32>,
    /// Compare this live WasmPlugin's (or EnvoyExtensionPolicy's) servers with what the
    /// Gateways give now (exit 1 on drift).
    #[arg(long, value_name = "LIVE_FILE")]
    check: Option<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Human,
    Json,
}

/// `--mode`: the filter's own names (`strict`, `log_only`), and `log-only`; only these reach
/// `from_name`.
fn mode_parser() -> impl TypedValueParser<Value = Mode> {
    PossibleValuesParser::new([
        PossibleValue::new(Mode::Strict.name()),
        PossibleValue::new(Mode::LogOnly.name()).alias("log-only"),
    ])
    .map(|name| Mode::from_name(&name.replace('-', "_")).unwrap_or_default())
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
    let (input_args, format) = match &cli.command {
        Command::Audit { input, format } | Command::Merge { input, format, .. } => {
            (input, Some(*format))
        }
        Command::PluginConfig(args) => (&args.input, None),
    };
    let mut notes = Vec::new();
    let mut input = match read_input(&input_args.files, stdin, &mut notes) {
        Ok(input) => input,
        Err(e) => return fail(&e, format, stdout, stderr),
    };
    if input.gateways.items.is_empty() {
        let e = Error::NoGateway {
            contents: input.contents(),
            left_out: input.left_out.clone(),
        };
        return fail(&e, format, stdout, stderr);
    }
    input.resolve_references();
    let gateways = &input.gateways.items;
    let placement = place(
        gateways,
        &input.templates.items,
        &input.services.items,
        &input_args.workload_labels,
        &input.classes,
    );
    notes.extend(input.left_out.iter().cloned());
    notes.extend(input.notes.iter().cloned());
    notes.extend(input.ignored_notes());
    notes.extend(input.certificates.unreadable.iter().cloned());
    let layout = Layout::new(gateways, placement, &input.services.items);
    notes.extend(layout.assumptions());
    notes.extend(crate::audit::settings_notes(&layout));
    let outcome = match &cli.command {
        Command::Audit { format, .. } => {
            audit::run(&layout, &input, *format, notes, stdout, stderr)
        }
        Command::PluginConfig(args) => plugin_config::run(
            &layout,
            &input.envoy_gateway.traffic_policies,
            args,
            notes,
            stdout,
            stderr,
        ),
        Command::Merge {
            format,
            no_virtual_services,
            ..
        } => merge::run(
            &layout,
            &input,
            &input_args.workload_labels,
            merge::Options {
                format: *format,
                no_virtual_services: *no_virtual_services,
            },
            notes,
            stdout,
            stderr,
        ),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => fail(&e, format, stdout, stderr),
    }
}

/// Says what stopped the command on stderr and, for `--format json`, as `{"error": ...}` on
/// stdout where one is owed (so that a pipeline reading JSON reads the reason); returns the
/// exit code: 1 when the Gateways give no configuration, else 2.
fn fail(e: &Error, format: Option<Format>, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let _ = writeln!(stderr, "sni-guard: error: {e}");
    if matches!(format, Some(Format::Json)) {
        let said = serde_json::json!({ "error": e.to_string() });
        // Unusable input is said before any output, on one line; merge's in the plan's layout.
        let _ = if e.is_input() {
            writeln!(stdout, "{said}")
        } else if matches!(e, Error::Merge(_)) {
            serde_json::to_string_pretty(&said)
                .map_err(std::io::Error::other)
                .and_then(|text| writeln!(stdout, "{text}"))
        } else {
            Ok(())
        };
    }
    match e {
        Error::NoConfiguration { .. } => EXIT_FOUND,
        _ => EXIT_USAGE,
    }
}

/// Reads every file once (a file named twice is read once, and said so).
fn read_input(
    files: &[PathBuf],
    stdin: &mut dyn Read,
    notes: &mut Vec<String>,
) -> Result<Input, Error> {
    let mut input = Input::default();
    let mut seen = HashSet::new();
    for path in files {
        let (name, bytes) = if path.as_os_str() == "-" {
            if !seen.insert(PathBuf::from("-")) {
                return Err(Error::StdinTwice);
            }
            let mut bytes = Vec::new();
            stdin
                .read_to_end(&mut bytes)
                .map_err(|source| Error::Unreadable {
                    file: "<stdin>".to_owned(),
                    source,
                })?;
            ("<stdin>".to_owned(), bytes)
        } else {
            let name = path.display().to_string();
            let unreadable = |source| Error::Unreadable {
                file: name.clone(),
                source,
            };
            let canonical = std::fs::canonicalize(path).map_err(unreadable)?;
            if !seen.insert(canonical) {
                notes.push(format!("{name} is named twice: read once"));
                continue;
            }
            let bytes = std::fs::read(path).map_err(unreadable)?;
            (name, bytes)
        };
        input.add(&name, &bytes)?;
    }
    Ok(input)
}

/// Writes each note on stderr, `sni-guard: note: ...`.
fn print_notes(notes: &[String], stderr: &mut dyn Write) -> std::io::Result<()> {
    for note in notes {
        writeln!(stderr, "sni-guard: note: {note}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
