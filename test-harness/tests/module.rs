//! The built module's shape, which its per-request cost depends on: a WASI reactor that
//! exports only the callbacks it uses (the host calls every `proxy_on_*` it finds), and a
//! size within 256 KB.

use sni_guard_harness::paths;

fn leb(bytes: &[u8], at: &mut usize) -> usize {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte < 0x80 {
            return value;
        }
    }
}

/// The export section's names.
fn exports(wasm: &[u8]) -> Vec<String> {
    assert_eq!(&wasm[..4], b"\0asm", "not a wasm module");
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at);
        let end = at + size;
        if id == 7 {
            let count = leb(wasm, &mut at);
            return (0..count)
                .map(|_| {
                    let len = leb(wasm, &mut at);
                    let name = String::from_utf8(wasm[at..at + len].to_vec()).unwrap();
                    at += len + 1; // the kind byte
                    leb(wasm, &mut at); // the index
                    name
                })
                .collect();
        }
        at = end;
    }
    Vec::new()
}

#[test]
fn a_reactor_exporting_only_what_it_uses() {
    let wasm = std::fs::read(paths::module().unwrap()).unwrap();
    let mut names = exports(&wasm);
    names.sort();
    assert_eq!(
        names,
        [
            "_initialize",
            "memory",
            "proxy_abi_version_0_2_1",
            "proxy_on_configure",
            "proxy_on_memory_allocate",
            "proxy_on_request_headers",
        ]
    );
}

#[test]
fn within_256_kb() {
    let size = std::fs::metadata(paths::module().unwrap()).unwrap().len();
    assert!(size <= 256_000, "sni_guard.wasm is {size} bytes");
}
