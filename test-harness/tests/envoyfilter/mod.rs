//! The manifests in `envoyfilter/`, one YAML document each.
#![allow(dead_code)]

use serde::Deserialize;
use serde_json::Value;
use sni_guard_harness::paths;
use std::path::PathBuf;

/// One YAML document of a manifest file.
pub struct Manifest {
    pub file: PathBuf,
    pub index: usize,
    pub object: Value,
}

impl Manifest {
    /// `wasmplugin.yaml#0 WasmPlugin istio-system/sni-guard`.
    pub fn label(&self) -> String {
        let file = self.file.file_name().unwrap_or_default().to_string_lossy();
        let text = |pointer: &str| {
            self.object
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        };
        format!(
            "{file}#{} {} {}/{}",
            self.index,
            text("/kind"),
            text("/metadata/namespace"),
            text("/metadata/name")
        )
    }

    pub fn kind(&self) -> &str {
        self.object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// The documents of a multi-document YAML text, empty ones left out.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut documents = Vec::new();
    for (i, document) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document).map_err(|e| format!("document {i}: {e}"))?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

/// Every document of every `*.yaml`/`*.yml` file in `envoyfilter/`, by file name.
pub fn manifests() -> Vec<Manifest> {
    let dir = paths::workspace_root().join("envoyfilter");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut manifests = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("manifest readable");
        let documents =
            parse_documents(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(!documents.is_empty(), "{}: no document", file.display());
        for (index, object) in documents.into_iter().enumerate() {
            manifests.push(Manifest {
                file: file.clone(),
                index,
                object,
            });
        }
    }
    manifests
}

/// The manifest documents of one kind.
pub fn of_kind(kind: &str) -> Vec<Manifest> {
    manifests()
        .into_iter()
        .filter(|m| m.kind() == kind)
        .collect()
}
