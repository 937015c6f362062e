//! The comparison table, measured live; `comparison.md` must hold what was measured
//! (`SNI_GUARD_BLESS=1` rewrites it).

use sni_guard_harness::checks::comparison::{cases, measure};
use sni_guard_harness::{default_version, paths};

#[test]
fn no_filter_lua_and_sni_guard_side_by_side() {
    let measured = measure(default_version()).unwrap();
    let document = measured.document(default_version());
    println!("{document}");

    // sni-guard answers every case as a correct gateway does.
    for (case, statuses) in &measured.rows {
        assert_eq!(statuses[2], case.expected, "sni-guard, {case:?}");
    }
    assert_eq!(measured.rows.len(), cases().unwrap().len());
    // Without a filter the coalesced request gets the wrong Gateway's 404.
    assert_eq!(measured.rows[1].1[0], 404);

    let path = paths::comparison_md();
    if std::env::var_os("SNI_GUARD_BLESS").is_some() {
        std::fs::write(&path, &document).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == document,
        "{} differs from the measured table above; rewrite it with SNI_GUARD_BLESS=1",
        path.display()
    );
}
