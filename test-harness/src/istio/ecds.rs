//! sni-guard delivered as Istio delivers a WasmPlugin, through extension configuration
//! discovery (ECDS), with a file as the discovery source: topology (a) whose sni-guard entries
//! are istiod's `config_discovery` references ([`crate::istio::istiod::http_filter`]), Envoy with two
//! workers, and [`Discovered::apply`] publishing each new `TypedExtensionConfig`
//! ([`crate::istio::istiod::extension_config`]) by replacing the file Envoy watches with a rename.
//! Modules live where istio-agent leaves them ([`crate::istio::istiod::module_file`]).
//!
//! Differences from istiod's ADS stream: the source is `path_config_source` (with
//! `watched_directory`, so a rename is seen) instead of `ads`; each file is one
//! `DiscoveryResponse` whose `version_info` names the update; a rejected update is reported by
//! Envoy's statistics rather than a NACK to istiod.

use crate::envoy::admin;
use crate::envoy::edits;
use crate::envoy::gateway::{Base, Gateway};
use crate::envoy::topology::{Filter, Topology};
use crate::error::{Result, fail};
use crate::istio::istiod;
use crate::sha256;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Envoy worker threads.
pub const WORKERS: u32 = 2;
/// How long an update may take to be applied before it counts as lost.
pub const APPLY_DEADLINE: Duration = Duration::from_secs(15);
/// The node istio-agent names for an ingress gateway (ECDS needs a node and a cluster).
const NODE: &str =
    "router~127.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local";
const CLUSTER: &str = "istio-ingressgateway.istio-system";

/// Topology (a) taking sni-guard through ECDS. Dropping it stops Envoy and removes the files.
pub struct Discovered {
    pub gateway: Gateway,
    /// The filter's name (`istio-system.sni-guard`).
    filter: String,
    source: TempDir,
    modules: TempDir,
}

impl Discovered {
    /// Envoy on topology (a) with `wasm_plugin`'s filter discovered from a file that already
    /// holds version `"1"`: `wasm_plugin` with `module` (bytes, put where istio-agent would).
    /// No access log: the load tests send many requests.
    pub fn start(wasm_plugin: &Value, module: &[u8]) -> Result<Discovered> {
        Discovered::start_on(Topology::TwoGateways, wasm_plugin, module, |config| {
            edits::remove_key(config, "access_log");
            Ok(())
        })
    }

    /// Envoy on `base` (every sni-guard entry replaced by istiod's reference), its rendered
    /// configuration edited by `edit`, with version `"1"` as istio-agent makes it from
    /// `module`: the Wasm filter with the module's file when the bytes pass istio-agent's
    /// check ([`istiod::is_wasm_binary`]), else its RBAC stand-in
    /// ([`istiod::fallback_config`]: deny-all for `FAIL_CLOSE`, allow-all for `FAIL_OPEN`).
    pub fn start_on(
        base: impl Into<Base>,
        wasm_plugin: &Value,
        module: &[u8],
        edit: impl Fn(&mut yaml_serde::Value) -> Result<()> + 'static,
    ) -> Result<Discovered> {
        let source = tempfile::Builder::new()
            .prefix("sni-guard-ecds-")
            .tempdir()?;
        let modules = tempfile::Builder::new()
            .prefix("sni-guard-istio-data-")
            .tempdir()?;
        let filter = istiod::filter_name(wasm_plugin);
        let config_source = json!({
            "path_config_source": {
                "path": resource_file(source.path()).display().to_string(),
                "watched_directory": {"path": source.path().display().to_string()},
            },
            "resource_api_version": "V3",
            "initial_fetch_timeout": "0s",
        });
        let entry = yaml_serde::to_value(istiod::http_filter(wasm_plugin, config_source))?;
        let first = match istiod::is_wasm_binary(module) {
            true => {
                let module = put_module(modules.path(), wasm_plugin, module)?;
                istiod::extension_config(wasm_plugin, &module)?
            }
            false => istiod::fallback_config(wasm_plugin)?,
        };
        publish(source.path(), "1", &first)?;
        let gateway = Gateway::builder(base)
            .filter(&Filter::Entry(entry))
            .edit(edit)
            .envoy_args([
                "--concurrency",
                &WORKERS.to_string(),
                "--service-node",
                NODE,
                "--service-cluster",
                CLUSTER,
            ])
            .start()?;
        Ok(Discovered {
            gateway,
            filter,
            source,
            modules,
        })
    }

    /// Where istio-agent would keep `module` fetched for `wasm_plugin` (written there now).
    pub fn module(&self, wasm_plugin: &Value, module: &[u8]) -> Result<PathBuf> {
        put_module(self.modules.path(), wasm_plugin, module)
    }

    /// Publishes `wasm_plugin` with the module file `module` as `version`.
    pub fn apply(&self, version: &str, wasm_plugin: &Value, module: &Path) -> Result<()> {
        publish(
            self.source.path(),
            version,
            &istiod::extension_config(wasm_plugin, module)?,
        )
    }

    /// Envoy's ECDS statistics for the filter (`update_success`, `update_rejected`,
    /// `config_fail`, ...), names without the prefix.
    pub fn stats(&self) -> Result<BTreeMap<String, u64>> {
        admin::stats_under(self.gateway.envoy.admin(), &self.stat_prefix())
    }

    /// The `version_info` of the update Envoy applied last (`version_text`).
    pub fn applied_version(&self) -> Result<String> {
        let name = format!("{}version_text", self.stat_prefix());
        let body = self
            .gateway
            .envoy
            .admin_get(&format!("/stats?filter={name}"))?;
        body.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(|v| v.trim().trim_matches('"').to_string())
            .ok_or_else(|| fail(format!("no {name} in /stats")))
    }

    /// Waits until ECDS statistic `name` exceeds `above`; the time since `since`.
    pub fn wait_stat(&self, name: &str, above: u64, since: Instant) -> Result<Duration> {
        loop {
            let value = self.stats()?.get(name).copied().unwrap_or(0);
            if value > above {
                return Ok(since.elapsed());
            }
            if since.elapsed() > APPLY_DEADLINE {
                return Err(fail(format!(
                    "{}{name} still {value} after {APPLY_DEADLINE:?}",
                    self.stat_prefix()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Envoy's count of Wasm VMs it has created (one per worker and the main thread for each
    /// module it loads).
    pub fn vms_created(&self) -> Result<u64> {
        let name = "wasm.envoy.wasm.runtime.v8.created";
        admin::stat(self.gateway.envoy.admin(), name)?
            .ok_or_else(|| fail(format!("no {name} in /stats")))
    }

    fn stat_prefix(&self) -> String {
        format!("extension_config_discovery.http_filter.{}.", self.filter)
    }
}

fn resource_file(dir: &Path) -> PathBuf {
    dir.join("extension-config.yaml")
}

/// Writes `module` to istio-agent's path for `wasm_plugin`'s URL (the module's sha256 as the
/// checksum).
fn put_module(data: &Path, wasm_plugin: &Value, module: &[u8]) -> Result<PathBuf> {
    let url = wasm_plugin["spec"]["url"]
        .as_str()
        .ok_or_else(|| fail("the WasmPlugin has no spec.url"))?;
    let path = istiod::module_file(data, url, &sha256::hex(module));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, module)?;
    Ok(path)
}

/// One `DiscoveryResponse` holding `resource`, written beside the watched file and renamed
/// over it (Envoy reads a file once it has been moved into the watched folder).
fn publish(dir: &Path, version: &str, resource: &Value) -> Result<()> {
    let response = json!({"version_info": version, "resources": [resource]});
    let staged = dir.join(".extension-config.yaml.new");
    std::fs::write(&staged, yaml_serde::to_string(&response)?)?;
    std::fs::rename(&staged, resource_file(dir))?;
    Ok(())
}
