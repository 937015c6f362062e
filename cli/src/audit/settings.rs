//! Settings that do not do what they may seem to: TLS without a mode, an unknown mode.

use crate::model::gateway::TlsMode;
use crate::model::layout::Layout;

/// Notes on servers whose settings mean something other than they may seem to.
pub fn settings_notes(layout: &Layout<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    for gw in layout.gateways {
        for s in &gw.servers {
            let tls_protocol = s.protocol == "HTTPS" || s.protocol == "TLS";
            match &s.tls {
                None if tls_protocol => notes.push(format!(
                    "{} {}: protocol {} without tls settings; Istio refuses such a server, so it is left out",
                    gw.title(), s.label(), s.protocol
                )),
                Some(tls) if tls_protocol && !tls.mode_written && !tls.credentials.is_empty() => {
                    notes.push(format!(
                        "{} {}: tls.credentialName without tls.mode; Istio's default mode is PASSTHROUGH, so the gateway does not terminate TLS here and the certificate is unused (set mode: SIMPLE to terminate)",
                        gw.title(), s.label()
                    ))
                }
                Some(tls) if tls_protocol => {
                    if let TlsMode::Other(mode) = &tls.mode {
                        notes.push(format!(
                            "{} {}: unknown tls.mode {mode:?}; left out",
                            gw.title(),
                            s.label()
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    notes
}
