//! What Istio makes of a `WasmPlugin` (`extensions.istio.io/v1alpha1`) for Envoy, as Istio 1.28
//! does it: istiod puts a `config_discovery` reference in every matching listener's HTTP filter
//! chain and serves the filter itself as a `TypedExtensionConfig` through ECDS
//! (`pilot/pkg/networking/core/extension/wasmplugin.go`, `pilot/pkg/model/extensions.go`);
//! istio-agent fetches the module, keeps it as a local file and rewrites the code source to
//! that file before passing the resource on to Envoy (`pkg/wasm/convert.go`, `cache.go`).

use crate::error::{Context, Result, fail};
use crate::sha256;
use serde_json::{Map, Number, Value, json};
use std::path::{Path, PathBuf};

/// The type URLs istiod allows for a WasmPlugin's HTTP filter: the Wasm filter, and the RBAC
/// filter istio-agent substitutes when it cannot fetch the module (allow-all for
/// `FAIL_OPEN`, deny-all for `FAIL_CLOSE`).
pub const WASM_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
pub const RBAC_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";
const EXTENSION_CONFIG_TYPE: &str = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";

/// A WasmPlugin manifest (a file holding that one document), as JSON.
pub fn load(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).context(|| format!("reading {}", path.display()))?;
    let plugin: Value =
        yaml_serde::from_str(&text).context(|| format!("parsing {}", path.display()))?;
    match plugin["kind"].as_str() {
        Some("WasmPlugin") => Ok(plugin),
        other => Err(fail(format!(
            "{}: kind {other:?}, not WasmPlugin",
            path.display()
        ))),
    }
}

/// The Envoy filter name istiod uses: `<namespace>.<name>`.
pub fn filter_name(wasm_plugin: &Value) -> String {
    let text = |p: &str| wasm_plugin.pointer(p).and_then(Value::as_str).unwrap_or("");
    format!("{}.{}", text("/metadata/namespace"), text("/metadata/name"))
}

/// The plugin configuration istiod gives Envoy: `spec.pluginConfig` (a
/// `google.protobuf.Struct`) as JSON, the `value` of the `StringValue` in `configuration`.
/// `None` when `pluginConfig` is absent or empty: istiod then sets no configuration.
pub fn configuration(wasm_plugin: &Value) -> Option<String> {
    let config = wasm_plugin.pointer("/spec/pluginConfig")?;
    match config.as_object() {
        Some(fields) if fields.is_empty() => None,
        Some(_) => Some(as_struct(config).to_string()),
        None => panic!("pluginConfig must be a mapping, got {config}"),
    }
}

/// The entry istiod writes in each HTTP filter chain: a `config_discovery` reference to the
/// filter's name, the two type URLs, and `source`. istiod's source is ADS with
/// `resource_api_version: V3` and `initial_fetch_timeout: 0s` (listeners wait for the filter,
/// which may guard security); it sets neither `default_config` nor
/// `apply_default_config_without_warming`.
pub fn http_filter(wasm_plugin: &Value, source: Value) -> Value {
    json!({
        "name": filter_name(wasm_plugin),
        "config_discovery": {
            "config_source": source,
            "type_urls": [WASM_TYPE, RBAC_TYPE],
        },
    })
}

/// The `TypedExtensionConfig` Envoy receives for `wasm_plugin` once istio-agent has fetched
/// the module to `module`: istiod's resource (name, `root_id` from `pluginName`, the JSON
/// configuration, the V8 runtime, `failure_policy` from `failStrategy`) with the code source
/// rewritten to the local file and istiod's `ISTIO_META_*` variables stripped (none remain).
pub fn extension_config(wasm_plugin: &Value, module: &Path) -> Result<Value> {
    let spec = &wasm_plugin["spec"];
    let root_id = spec["pluginName"]
        .as_str()
        .ok_or_else(|| fail("the WasmPlugin has no spec.pluginName"))?;
    // istiod's switch on FailStrategy; FAIL_CLOSE is the API's default.
    let failure_policy = match spec["failStrategy"].as_str().unwrap_or("FAIL_CLOSE") {
        "FAIL_OPEN" => "FAIL_OPEN",
        "FAIL_CLOSE" => "FAIL_CLOSED",
        "FAIL_RELOAD" => "FAIL_RELOAD",
        other => return Err(fail(format!("spec.failStrategy: unknown value {other:?}"))),
    };
    let name = filter_name(wasm_plugin);
    let mut config = json!({
        "name": name,
        "root_id": root_id,
        "vm_config": {
            "runtime": "envoy.wasm.runtime.v8",
            "code": {"local": {"filename": module.display().to_string()}},
        },
        "failure_policy": failure_policy,
    });
    if let Some(json) = configuration(wasm_plugin) {
        config["configuration"] = json!({
            "@type": "type.googleapis.com/google.protobuf.StringValue",
            "value": json,
        });
    }
    Ok(json!({
        "@type": EXTENSION_CONFIG_TYPE,
        "name": name,
        "typed_config": {"@type": WASM_TYPE, "config": config},
    }))
}

/// Whether istio-agent accepts fetched bytes as a module (`pkg/wasm/cache.go`,
/// `isValidWasmBinary`): at least the 8-byte header, starting with the magic `\0asm`. It
/// checks nothing more: a module with a valid header that Envoy cannot compile reaches Envoy.
pub fn is_wasm_binary(module: &[u8]) -> bool {
    module.len() >= 8 && module.starts_with(b"\0asm")
}

/// What istio-agent sends Envoy under the filter's name when it cannot fetch the module (or
/// the bytes are no Wasm binary), instead of the Wasm filter (`pkg/wasm/convert.go`,
/// `createHTTPDefaultFilter`): an RBAC filter without rules (allow all,
/// `wasm-default-allow`) for `failStrategy: FAIL_OPEN`, with empty rules (deny all,
/// `wasm-default-deny`) otherwise.
pub fn fallback_config(wasm_plugin: &Value) -> Result<Value> {
    let fail_open = match wasm_plugin["spec"]["failStrategy"].as_str() {
        Some("FAIL_OPEN") => true,
        None | Some("FAIL_CLOSE") | Some("FAIL_RELOAD") => false,
        Some(other) => return Err(fail(format!("spec.failStrategy: unknown value {other:?}"))),
    };
    let rbac = match fail_open {
        true => json!({"@type": RBAC_TYPE, "rules_stat_prefix": "wasm-default-allow"}),
        false => json!({"@type": RBAC_TYPE, "rules": {}, "rules_stat_prefix": "wasm-default-deny"}),
    };
    Ok(json!({
        "@type": EXTENSION_CONFIG_TYPE,
        "name": filter_name(wasm_plugin),
        "typed_config": rbac,
    }))
}

/// Where istio-agent keeps a module fetched from `url`:
/// `<data>/<sha256 of the module's name>/<checksum>.wasm`. The name is the URL without an OCI
/// tag or digest (so every version of one image shares a folder); the checksum is the
/// module's sha256 for `https://` (for `oci://`, the image's digest).
pub fn module_file(data: &Path, url: &str, checksum: &str) -> PathBuf {
    data.join(sha256::hex(module_name(url).as_bytes()))
        .join(format!("{checksum}.wasm"))
}

/// `oci://registry.example.com/sni-guard:0.1.0` → `oci://registry.example.com/sni-guard`.
fn module_name(url: &str) -> String {
    let Some(reference) = url.strip_prefix("oci://") else {
        return url.to_string();
    };
    let repository = match reference.split_once('@') {
        Some((repository, _digest)) => repository,
        None => match reference.rfind(':') {
            Some(colon) if !reference[colon..].contains('/') => &reference[..colon],
            _ => reference,
        },
    };
    format!("oci://{repository}")
}

/// A JSON value as it comes back from a `Struct`: every number is a double, which protojson
/// writes without a fraction when it is integral (`1`, not `1.0`).
fn as_struct(value: &Value) -> Value {
    match value {
        Value::Number(n) => {
            let double = n.as_f64().expect("finite number");
            if double.fract() == 0.0 && double.abs() < 9.0e15 {
                Value::from(double as i64)
            } else {
                Number::from_f64(double).expect("finite number").into()
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(as_struct).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), as_struct(v)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::module_name;

    #[test]
    fn module_names_drop_the_tag_or_digest() {
        let cases = [
            (
                "oci://registry.example.com/sni-guard:0.1.0",
                "oci://registry.example.com/sni-guard",
            ),
            (
                "oci://registry.example.com:5000/sni-guard",
                "oci://registry.example.com:5000/sni-guard",
            ),
            (
                "oci://registry.example.com:5000/sni-guard:1",
                "oci://registry.example.com:5000/sni-guard",
            ),
            (
                "oci://r.example.com/sni-guard@sha256:ab",
                "oci://r.example.com/sni-guard",
            ),
            (
                "https://d.example.com/sni_guard.wasm",
                "https://d.example.com/sni_guard.wasm",
            ),
        ];
        for (url, name) in cases {
            assert_eq!(module_name(url), name, "{url}");
        }
    }
}
