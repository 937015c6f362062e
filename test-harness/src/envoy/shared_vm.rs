//! Several sni-guard plugins in one VM, as Envoy makes it for filters with the same
//! `vm_config` (Istio does so for several WasmPlugins of one module): each entry its own
//! plugin name (Envoy's `config.name`, which the filter reads per request in such a VM),
//! root id and configuration.

use crate::envoy::edits::hcm_mut;
use crate::error::{Result, fail};
use crate::plugin_slot;
use yaml_serde::Value;

/// The VM id the plugins share.
pub const VM_ID: &str = "sni-guard";

/// The sni-guard entry `entry` as plugin `name` (its root id too) with configuration `json`,
/// in the shared VM.
pub fn plugin(entry: &Value, name: &str, json: &str) -> Value {
    let mut entry = entry.clone();
    entry["name"] = name.into();
    let config = &mut entry["typed_config"]["config"];
    config["name"] = name.into();
    config["root_id"] = name.into();
    config["vm_config"]["vm_id"] = VM_ID.into();
    config["configuration"]["value"] = json.into();
    entry
}

/// Each filter chain's sni-guard entry as a plugin of its own, named for the chain, with the
/// same configuration: one VM holding as many plugins as chains, each stream seeing one.
pub fn one_plugin_per_chain(config: &mut Value) -> Result<()> {
    let chains = config["static_resources"]["listeners"][0]["filter_chains"]
        .as_sequence_mut()
        .ok_or_else(|| fail("the first listener has no filter_chains"))?;
    for chain in chains {
        let name = chain["name"]
            .as_str()
            .ok_or_else(|| fail("a filter chain has no name"))?
            .to_string();
        let filters = hcm_mut(chain)?
            .get_mut("http_filters")
            .and_then(Value::as_sequence_mut)
            .ok_or_else(|| fail(format!("chain {name} has no http_filters")))?;
        let entry = filters
            .iter_mut()
            .find(|f| plugin_slot::is_sni_guard(f))
            .ok_or_else(|| fail(format!("chain {name} has no sni-guard entry")))?;
        let json = entry["typed_config"]["config"]["configuration"]["value"]
            .as_str()
            .ok_or_else(|| fail(format!("chain {name}: sni-guard has no configuration")))?
            .to_string();
        *entry = plugin(entry, &format!("sni-guard-{name}"), &json);
    }
    Ok(())
}
