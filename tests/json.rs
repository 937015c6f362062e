//! The configuration's JSON reader against serde_json: the same documents, the same values.

use proptest::prelude::*;
use serde_json::Value;
use sni_guard::json::{parse, Json};

/// Our value as serde_json's; numbers as integers when they are, else through Rust's
/// exact float parser (serde_json's default one is not round-trip exact).
fn to_serde(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.parse::<i64>(), n.parse::<u64>()) {
            (Ok(i), _) => Value::from(i),
            (_, Ok(u)) => Value::from(u),
            _ => Value::from(n.parse::<f64>().unwrap()),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(to_serde).collect()),
        Json::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_serde(v)))
                .collect(),
        ),
    }
}

/// Equal, numbers within a relative 1e-12 (serde_json's default float parser is approximate).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Exact binary fractions: serde_json's default float parser reads them exactly.
        (-1_000_000i64..1_000_000).prop_map(|n| Value::from(n as f64 / 8.0)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn reads_what_serde_json_writes(v in value(), pretty in any::<bool>()) {
        let text = match pretty {
            true => serde_json::to_string_pretty(&v).unwrap(),
            false => serde_json::to_string(&v).unwrap(),
        };
        let ours = parse(&text).unwrap();
        prop_assert_eq!(to_serde(&ours), v.clone());
        // And what it writes back reads the same in serde_json.
        prop_assert_eq!(serde_json::from_str::<Value>(&ours.to_string()).unwrap(), v);
    }

    #[test]
    fn accepts_and_refuses_what_serde_json_does(
        v in value(),
        cut in any::<prop::sample::Index>(),
        insert in "[\\[\\]{}:,\"\\\\ a0.e-]{0,3}",
    ) {
        let mut text = serde_json::to_string(&v).unwrap();
        let at = cut.index(text.len() + 1);
        if !text.is_char_boundary(at) {
            return Ok(());
        }
        text.insert_str(at, &insert);
        let theirs = serde_json::from_str::<Value>(&text);
        if theirs.as_ref().is_err_and(|e| e.to_string().contains("number out of range")) {
            return Ok(()); // kept as text here: no field of the configuration is a number
        }
        match parse(&text) {
            Err(e) if e.what == "duplicate key" => {}
            Err(e) => prop_assert!(theirs.is_err(), "{text:?}: we refuse ({e}), serde_json accepts"),
            Ok(ours) => {
                let theirs = theirs.map_err(|e| format!("{text:?}: we accept, serde_json refuses: {e}"));
                let theirs = theirs.unwrap();
                prop_assert!(same(&to_serde(&ours), &theirs), "{text:?}: {ours:?} vs {theirs:?}");
            }
        }
    }
}
