//! The Envoy configurations under test, rendered for this machine.
//!
//! Both topologies are real files written for the container layout docker-compose mounts
//! (`/etc/envoy/sni_guard.wasm`, `/etc/envoy/certs/*.pem`, listener `0.0.0.0:8443`, admin
//! `0.0.0.0:9901`). Rendering maps those paths to real ones, binds the listener to
//! 127.0.0.1 on a chosen port (the iframe URL follows), and swaps the sni-guard entry of
//! every `http_filters` list for the wanted [`Filter`].

use crate::error::{Context, Result, fail};
use crate::plugin_slot::{is_sni_guard, visit_http_filters_mut};
use crate::{envoy::lua, paths, plugin_slot};
use std::path::{Path, PathBuf};
use yaml_serde::Value;

/// The ports the files are written for.
pub const CONTAINER_PORT: u16 = 8443;
pub const CONTAINER_ADMIN_PORT: u16 = 9901;
const CONTAINER_MODULE: &str = "/etc/envoy/sni_guard.wasm";
const CONTAINER_CERTS: &str = "/etc/envoy/certs/";

/// The prefix of the container listener's HTTP statistics (topology (a)'s `stat_prefix`).
pub const LISTENER_STATS: &str = "http.outbound_0.0.0.0_8443.";

/// The servers table of topology (c).
pub const MUTUAL_SERVERS: &str =
    r#"[{"name":"admin","hosts":["admin.example.com"]},{"name":"www","hosts":["*.example.com"]}]"#;

/// The servers table of topology (a).
pub const TWO_GATEWAYS_SERVERS: &str =
    r#"[{"name":"gw-a","hosts":["a.example.com"]},{"name":"gw-b","hosts":["b.example.com"]}]"#;

/// Which configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// (a) Two Gateways, gw-a (`a.example.com`) and gw-b (`b.example.com`), one certificate.
    TwoGateways,
    /// (b) The Gateway API conformance topology: catch-all `https`, `second-example.org`,
    /// `*.wildcard.org`, `fourth-example.wildcard.org` on one port.
    Conformance,
    /// (c) Gateway `admin` (`admin.example.com`, MUTUAL: a client certificate required)
    /// beside Gateway `www` (`*.example.com`, SIMPLE) on one certificate, a VirtualService
    /// bound to both: `www`'s route table serves `admin.example.com` too.
    MutualBesideWildcard,
}

impl Topology {
    pub fn path(self) -> PathBuf {
        match self {
            Topology::TwoGateways => paths::two_gateways_yaml(),
            Topology::Conformance => paths::conformance_yaml(),
            Topology::MutualBesideWildcard => paths::mutual_beside_wildcard_yaml(),
        }
    }

    /// Whether the file reads `client-ca.pem` (a PKI [`crate::Pki::with_client_ca`]).
    pub fn needs_client_ca(self) -> bool {
        self == Topology::MutualBesideWildcard
    }

    /// The file, parsed.
    pub fn load(self) -> Result<Value> {
        load(&self.path())
    }

    /// The plugin configuration JSON the file itself carries.
    pub fn plugin_config(self) -> Result<String> {
        plugin_slot::configuration(&self.load()?).ok_or_else(|| {
            fail(format!(
                "{}: no sni-guard configuration",
                self.path().display()
            ))
        })
    }
}

/// What runs in the sni-guard slot of every `http_filters` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// No filter: the bug as users meet it.
    None,
    /// The community Lua workaround.
    Lua,
    /// sni-guard with this plugin configuration JSON (any text: refusals are tested too).
    SniGuard(String),
    /// sni-guard as the file configures it.
    AsWritten,
    /// Another proxy-wasm module in sni-guard's place, with no configuration (the
    /// benchmark's do-nothing floor).
    Module(PathBuf),
    /// Any `http_filters` entry in sni-guard's place (the `config_discovery` reference istiod
    /// writes for a WasmPlugin, say).
    Entry(Value),
    /// sni-guard's native build (the dynamic module `sni_guard_native`) with this
    /// configuration JSON, in the Wasm module's place.
    Native(String),
    /// A configuration that holds no sni-guard entry, run as written (Envoy Gateway's, whose
    /// policies add the filter after rendering: [`crate::envoy_gateway`]).
    NoSlot,
}

impl Filter {
    /// sni-guard in `mode` ("strict" or "log_only"), with topology (a)'s servers table or without one.
    pub fn two_gateways(mode: &str, with_table: bool) -> Filter {
        Filter::SniGuard(match with_table {
            true => format!(r#"{{"mode":"{mode}","servers":{TWO_GATEWAYS_SERVERS}}}"#),
            false => format!(r#"{{"mode":"{mode}"}}"#),
        })
    }
}

/// Which build of sni-guard runs where a configuration has sni-guard: the Wasm module, or the
/// native one (`SNI_GUARD_BUILD=native`: every suite of the harness runs again on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    Wasm,
    Native,
}

/// Names the build the suite runs on (`wasm`, the default, or `native`).
pub const BUILD_VAR: &str = "SNI_GUARD_BUILD";

impl Build {
    /// The build [`BUILD_VAR`] names; any other value is an error that names it.
    pub fn current() -> Result<Build> {
        match std::env::var(BUILD_VAR).as_deref() {
            Err(_) | Ok("") | Ok("wasm") => Ok(Build::Wasm),
            Ok("native") => Ok(Build::Native),
            Ok(other) => Err(fail(format!(
                "{BUILD_VAR}={other:?}: expected wasm or native"
            ))),
        }
    }
}

/// Where the rendered configuration finds its parts.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The module (`target/wasm32-wasip1/release/sni_guard.wasm`).
    pub wasm: PathBuf,
    /// A folder with `ca.pem`, `server.pem`, `server-key.pem`.
    pub certs: PathBuf,
    /// The listener's loopback port.
    pub port: u16,
}

/// Reads and parses an Envoy YAML file.
pub fn load(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).context(|| format!("reading {}", path.display()))?;
    yaml_serde::from_str(&text).context(|| format!("parsing {}", path.display()))
}

/// `topology` rendered for this machine with `filter`.
pub fn render(topology: Topology, filter: &Filter, layout: &Layout) -> Result<Value> {
    render_config(topology.load()?, filter, layout)
}

/// Any configuration in the container layout, rendered for this machine with `filter`.
pub fn render_config(mut config: Value, filter: &Filter, layout: &Layout) -> Result<Value> {
    if Build::current()? == Build::Native {
        let native = match filter {
            Filter::SniGuard(json) => Some(Filter::Native(json.clone())),
            Filter::AsWritten => plugin_slot::configuration(&config).map(Filter::Native),
            _ => None,
        };
        if let Some(native) = native {
            return render_config(config, &native, layout);
        }
    }
    map_strings(&mut config, layout);
    listeners_on_loopback(&mut config, layout.port)?;
    let replacement = match filter {
        Filter::None | Filter::AsWritten | Filter::NoSlot => None,
        Filter::Lua => Some(lua::filter()?),
        Filter::Entry(entry) => Some(entry.clone()),
        // The library the entry names must be built from the sources, as the Wasm module is.
        Filter::Native(json) => {
            paths::native_module()?;
            Some(native_entry(json)?)
        }
        Filter::SniGuard(_) | Filter::Module(_) => None,
    };
    let mut slots = 0;
    visit_http_filters_mut(&mut config, &mut |filters| {
        let Some(at) = filters.iter().position(is_sni_guard) else {
            return;
        };
        slots += 1;
        match filter {
            Filter::AsWritten | Filter::NoSlot => {}
            Filter::None => {
                filters.remove(at);
            }
            Filter::Lua | Filter::Entry(_) | Filter::Native(_) => {
                if let (Some(slot), Some(entry)) = (filters.get_mut(at), &replacement) {
                    *slot = entry.clone();
                }
            }
            Filter::SniGuard(json) => {
                if let Some(value) = filters
                    .get_mut(at)
                    .and_then(|f| f.get_mut("typed_config"))
                    .and_then(|t| t.get_mut("config"))
                    .and_then(|c| c.get_mut("configuration"))
                    .and_then(|c| c.get_mut("value"))
                {
                    *value = Value::String(json.clone());
                }
            }
            Filter::Module(path) => {
                let config = filters
                    .get_mut(at)
                    .and_then(|f| f.get_mut("typed_config"))
                    .and_then(|t| t.get_mut("config"));
                if let Some(config) = config {
                    config["configuration"]["value"] = Value::String(String::new());
                    config["vm_config"]["code"]["local"]["filename"] =
                        Value::String(path.display().to_string());
                }
            }
        }
    });
    match (slots, filter) {
        (0, Filter::NoSlot) => {}
        (0, _) => {
            return Err(fail(
                "the configuration has no sni-guard entry in any http_filters list",
            ));
        }
        (_, Filter::NoSlot) => {
            return Err(fail(
                "Filter::NoSlot, but the configuration has an sni-guard entry",
            ));
        }
        _ => {}
    }
    Ok(config)
}

/// The `http_filters` entry of the native build with `json` as its configuration.
pub fn native_entry(json: &str) -> Result<Value> {
    let entry = serde_json::json!({
        "name": "sni-guard",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
            "dynamic_module_config": {"name": "sni_guard_native"},
            "filter_name": "sni-guard",
            "filter_config": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": json},
        },
    });
    Ok(yaml_serde::to_value(&entry)?)
}

/// Container paths to real paths; the container port in URLs to the real port.
fn map_strings(value: &mut Value, layout: &Layout) {
    match value {
        Value::String(text) => {
            if text == CONTAINER_MODULE {
                *text = layout.wasm.display().to_string();
            } else if let Some(name) = text.strip_prefix(CONTAINER_CERTS) {
                *text = layout.certs.join(name).display().to_string();
            } else if text.contains(&format!(":{CONTAINER_PORT}/")) {
                *text = text.replace(
                    &format!(":{CONTAINER_PORT}/"),
                    &format!(":{}/", layout.port),
                );
            }
        }
        Value::Mapping(map) => map.iter_mut().for_each(|(_, v)| map_strings(v, layout)),
        Value::Sequence(list) => list.iter_mut().for_each(|v| map_strings(v, layout)),
        _ => {}
    }
}

fn listeners_on_loopback(config: &mut Value, port: u16) -> Result<()> {
    let listeners = config
        .get_mut("static_resources")
        .and_then(|s| s.get_mut("listeners"))
        .and_then(Value::as_sequence_mut)
        .ok_or_else(|| fail("the configuration has no static_resources.listeners"))?;
    for listener in listeners {
        let address = listener
            .get_mut("address")
            .and_then(|a| a.get_mut("socket_address"))
            .and_then(Value::as_mapping_mut)
            .ok_or_else(|| fail("a listener has no address.socket_address"))?;
        address.insert("address".into(), "127.0.0.1".into());
        address.insert("port_value".into(), port.into());
    }
    Ok(())
}
