//! `sni-guard plugin-config`: the configuration, a WasmPlugin, or a drift check.

use super::{EXIT_FOUND, EXIT_OK, PluginConfigArgs, print_notes};
use crate::audit::bypass::asks_for_client_certificates;
use crate::error::{Error, LiveError, WasmPluginError};
use crate::model::envoy_gateway::policies::TrafficPolicy;
use crate::model::layout::{Layout, Listener};
use crate::output::text::count;
use crate::plugin::drift::{Live, LiveKind, differences, read_live};
use crate::plugin::envoy_gateway;
use crate::plugin::select::{Selection, choose, plugin_config_flags};
use crate::plugin::wasmplugin::{FailStrategy, Options, wasm_plugin};
use crate::plugin::{PluginConfig, plugin_config};
use std::io::Write;
use std::path::Path;

pub(super) fn run(
    layout: &Layout<'_>,
    traffic_policies: &[TrafficPolicy],
    args: &PluginConfigArgs,
    notes: Vec<String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    print_notes(&notes, stderr)?;
    let live = args.check.as_deref().map(read_check).transpose()?;
    let selection = selection(args, live.as_ref());
    let listener = choose(layout, &selection)?;
    let name = listener.describe().to_string();
    let config = plugin_config(listener, args.mode).map_err(|problem| Error::NoConfiguration {
        listener: name.clone(),
        problem,
    })?;
    let others: Vec<String> = layout
        .other_https_ports(listener)
        .iter()
        .map(u32::to_string)
        .collect();
    if !others.is_empty() {
        writeln!(
            stderr,
            "sni-guard: note: the workload also has HTTPS servers on port(s) {}; this configuration mirrors port {} only",
            others.join(", "),
            listener.port
        )?;
    }
    if let Some(live) = &live {
        return drift(layout, listener, &name, live, &config, stdout, stderr);
    }
    let text = if args.wasmplugin || args.envoy_gateway {
        check_controller(listener, args)?;
        match args.envoy_gateway {
            true => envoy_gateway(listener, args, traffic_policies, &config, stderr)?,
            false => manifest(layout, listener, args, &selection, &config, stderr)?,
        }
    } else {
        let json = serde_json::to_string_pretty(&config).map_err(std::io::Error::other)?;
        format!("{json}\n")
    };
    writeln!(
        stderr,
        "sni-guard: configuration for {name}: {}",
        count(config.servers.len(), "server")
    )?;
    stdout.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}

/// A WasmPlugin is istiod's; Envoy Gateway's fleets take its own policies.
fn check_controller(listener: &Listener<'_>, args: &PluginConfigArgs) -> Result<(), Error> {
    let name = listener.describe().to_string();
    match (listener.workload.fleet.is_some(), args.envoy_gateway) {
        (true, false) => Err(WasmPluginError::WrongController {
            listener: name,
            by: "Envoy Gateway",
            instead: "it does not read WasmPlugins; --envoy-gateway writes its own resources",
        }
        .into()),
        (false, true) => Err(WasmPluginError::WrongController {
            listener: name,
            by: "istiod",
            instead: "--envoy-gateway is for Gateways of an Envoy Gateway class; --wasmplugin writes istiod's",
        }
        .into()),
        _ => Ok(()),
    }
}

/// `--envoy-gateway`: the policies' YAML; its notes go to stderr.
fn envoy_gateway(
    listener: &Listener<'_>,
    args: &PluginConfigArgs,
    traffic_policies: &[TrafficPolicy],
    config: &PluginConfig,
    stderr: &mut dyn Write,
) -> Result<String, Error> {
    let (fail_strategy, why) = fail_strategy(listener, args.fail_strategy);
    let fail_open = fail_strategy == FailStrategy::FailOpen;
    if why.is_some() {
        let said = match fail_open {
            true => {
                "warning: failOpen true although a server in the table asks for client certificates: whenever the module cannot load or crashes, its hosts are served on the other listeners' connections without the certificate check"
            }
            false => {
                "note: failOpen false: a server in the table asks for client certificates; with failOpen true a module that cannot load would let its hosts be served on the other listeners' connections without the check (--fail-strategy FAIL_OPEN chooses that anyway)"
            }
        };
        writeln!(stderr, "sni-guard: {said}")?;
    }
    let options = envoy_gateway::Options {
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        url: args.url.clone(),
        placeholder: args.placeholder_url,
        sha256: args.sha256.clone(),
        fail_open,
        scheme: args.xds_name_scheme,
        native_module: args.native_module.clone(),
    };
    let (yaml, notes) = envoy_gateway::manifests(config, listener, traffic_policies, &options)?;
    print_notes(&notes, stderr)?;
    Ok(yaml)
}

/// `--check`'s live WasmPlugin.
fn read_check(path: &Path) -> Result<Live, Error> {
    let read = std::fs::read(path)
        .map_err(LiveError::from)
        .and_then(|bytes| read_live(&bytes));
    read.map_err(|problem| Error::LiveWasmPlugin {
        file: path.display().to_string(),
        problem,
    })
}

/// The listener asked for; with `--check` and no selection of its own, the live
/// WasmPlugin's.
fn selection(args: &PluginConfigArgs, live: Option<&Live>) -> Selection {
    let mut selection = Selection {
        selector: args
            .selector
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        port: args.port,
        bind: args.bind.clone(),
        gateway: args.gateway.clone(),
        envoy_port: None,
    };
    if let Some(live) = live {
        let unset = selection.selector.is_empty() && selection.gateway.is_none();
        if unset {
            selection.selector = live.selector.clone();
            selection.gateway = live.gateway.clone();
        }
        if selection.port.is_none() {
            selection.envoy_port = live.port;
        }
    }
    selection
}

/// `--check`: what differs between the live WasmPlugin (or EnvoyExtensionPolicy) and the
/// Gateways (exit 1 on drift); a live resource of the other controller's kind is refused.
fn drift(
    layout: &Layout<'_>,
    listener: &Listener<'_>,
    name: &str,
    live: &Live,
    config: &PluginConfig,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Error> {
    let envoy_gateway = listener.workload.fleet.is_some();
    match (live.kind, envoy_gateway) {
        (LiveKind::WasmPlugin, true) => {
            return Err(WasmPluginError::WrongController {
                listener: name.to_owned(),
                by: "Envoy Gateway",
                instead: "it does not read WasmPlugins; --check takes its EnvoyExtensionPolicy (kubectl get envoyextensionpolicy -n NAMESPACE NAME -o yaml)",
            }
            .into());
        }
        (LiveKind::EnvoyExtensionPolicy, false) => {
            return Err(WasmPluginError::WrongController {
                listener: name.to_owned(),
                by: "istiod",
                instead: "it does not read EnvoyExtensionPolicies; --check takes its WasmPlugin",
            }
            .into());
        }
        _ => {}
    }
    let kind = live.kind.name();
    let drift = differences(&live.servers, &config.servers, live.kind);
    if drift.is_empty() {
        writeln!(
            stderr,
            "sni-guard: no drift: {kind} {} matches the Gateways on {name} ({})",
            live.id,
            count(config.servers.len(), "server")
        )?;
        return Ok(EXIT_OK);
    }
    writeln!(
        stdout,
        "DRIFT: {kind} {} differs from the Gateways on {name}:",
        live.id
    )?;
    for line in &drift {
        writeln!(stdout, "  {line}")?;
    }
    writeln!(
        stdout,
        "Regenerate it: sni-guard plugin-config {} {} --url URL FILE... | kubectl apply -f -",
        plugin_config_flags(layout, listener),
        live.kind.flag()
    )?;
    Ok(EXIT_FOUND)
}

/// `--wasmplugin`: the manifest's YAML; its notes go to stderr.
fn manifest(
    layout: &Layout<'_>,
    listener: &Listener<'_>,
    args: &PluginConfigArgs,
    selection: &Selection,
    config: &PluginConfig,
    stderr: &mut dyn Write,
) -> Result<String, Error> {
    let (fail_strategy, why) = fail_strategy(listener, args.fail_strategy);
    if let Some(why) = why {
        writeln!(stderr, "sni-guard: {why}")?;
    }
    let options = Options {
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        url: args.url.clone(),
        placeholder: args.placeholder_url,
        sha256: args.sha256.clone(),
        fail_strategy,
        selector: selection.selector.clone(),
        listener_port: args.listener_port,
    };
    let (yaml, notes) = wasm_plugin(config, layout, listener, &options)?;
    print_notes(&notes, stderr)?;
    Ok(yaml)
}

/// The WasmPlugin's `failStrategy`, and what to say of it. Where the table holds a server
/// that asks for client certificates, the filter is what keeps its hosts from being asked for
/// on another chain's connection without one: a gateway running without the module must refuse
/// (FAIL_CLOSE), not serve.
fn fail_strategy(
    listener: &Listener<'_>,
    given: Option<FailStrategy>,
) -> (FailStrategy, Option<String>) {
    let protected: Vec<String> = listener
        .chains
        .iter()
        .filter(|c| asks_for_client_certificates(c))
        .map(|c| c.label())
        .collect();
    if protected.is_empty() {
        return (given.unwrap_or(FailStrategy::FailOpen), None);
    }
    let servers = protected.join(", ");
    match given {
        None => (
            FailStrategy::FailClose,
            Some(format!(
                "note: failStrategy FAIL_CLOSE: {servers} asks for client certificates; if the module could not load, FAIL_OPEN would serve its hosts on the other chains' connections without the certificate check (--fail-strategy FAIL_OPEN chooses that anyway)"
            )),
        ),
        Some(FailStrategy::FailOpen) => (
            FailStrategy::FailOpen,
            Some(format!(
                "warning: failStrategy FAIL_OPEN although {servers} asks for client certificates: whenever the module cannot load, its hosts are served on the other chains' connections without the certificate check"
            )),
        ),
        Some(strategy) => (strategy, None),
    }
}
