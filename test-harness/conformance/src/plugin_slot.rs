//! Where sni-guard sits in an Envoy configuration: the `http_filters` entry istiod writes for
//! a WasmPlugin, and the plugin configuration it carries.
//!
//! Here, beside [`crate::conformance`], which reads the conformance topology's table with it.

use yaml_serde::Value;

/// The `@type` of Envoy's dynamic-module HTTP filter.
pub const NATIVE_FILTER: &str =
    "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter";

/// Whether an `http_filters` entry is sni-guard: as istiod writes a WasmPlugin, or the native
/// build's dynamic-module filter.
pub fn is_sni_guard(filter: &Value) -> bool {
    let typed = filter.get("typed_config");
    let kind = typed.and_then(|t| t.get("@type")).and_then(Value::as_str);
    if kind == Some(NATIVE_FILTER) {
        return typed
            .and_then(|t| t.get("filter_name"))
            .and_then(Value::as_str)
            == Some("sni-guard");
    }
    let root_id = typed
        .and_then(|t| t.get("config"))
        .and_then(|c| c.get("root_id"))
        .and_then(Value::as_str);
    kind == Some("type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm")
        && root_id == Some("sni-guard")
}

/// The plugin configuration JSON of the first sni-guard entry in `config`.
pub fn configuration(config: &Value) -> Option<String> {
    let mut found = None;
    visit_http_filters(config, &mut |filters| {
        for filter in filters {
            if is_sni_guard(filter) && found.is_none() {
                found = filter
                    .get("typed_config")
                    .and_then(|t| t.get("config"))
                    .and_then(|c| c.get("configuration"))
                    .and_then(|c| c.get("value"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
        }
    });
    found
}

/// Calls `f` with every `http_filters` list in `value`.
pub fn visit_http_filters(value: &Value, f: &mut dyn FnMut(&[Value])) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    (Some("http_filters"), Value::Sequence(list)) => f(list),
                    _ => visit_http_filters(child, f),
                }
            }
        }
        Value::Sequence(list) => list.iter().for_each(|v| visit_http_filters(v, f)),
        _ => {}
    }
}

/// Calls `f` with every `http_filters` list in `value`, to change it.
pub fn visit_http_filters_mut(value: &mut Value, f: &mut dyn FnMut(&mut Vec<Value>)) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    (Some("http_filters"), Value::Sequence(list)) => f(list),
                    (_, child) => visit_http_filters_mut(child, f),
                }
            }
        }
        Value::Sequence(list) => list.iter_mut().for_each(|v| visit_http_filters_mut(v, f)),
        _ => {}
    }
}
