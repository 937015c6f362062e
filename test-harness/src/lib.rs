//! Real-Envoy test harness for sni-guard.
