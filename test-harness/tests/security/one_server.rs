//! Names of one server share a connection (GEP-3567): topology (c)'s `www` server
//! (`*.example.com`) serves www.example.com and shop.example.com on one HTTP/2 connection;
//! the MUTUAL server's host on that connection is still refused.

use super::*;
use sni_guard_harness::suite_version;

#[test]
fn two_hosts_of_one_server_share_an_http2_connection() {
    let gateway = start_mutual(&mutual(r#""mode":"strict""#), &suite_version());
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(WWW).unwrap();
    for _ in 0..2 {
        let www = h2.get("www.example.com").unwrap();
        assert_eq!((www.status, www.body.as_str()), (200, WWW_BODY));
        let shop = h2.get("shop.example.com").unwrap();
        assert_eq!((shop.status, shop.body.as_str()), (200, "shop backend\n"));
    }
    assert_eq!(h2.get("admin.example.com").unwrap().status, 421);
    assert_eq!(counters(&gateway), [1, 0, 0]);
    let log = gateway.stop().unwrap().access_log;
    let first = log.first().unwrap().connection;
    assert_eq!(log.len(), 5);
    assert!(
        log.iter()
            .all(|e| e.connection == first && e.filter_chain == "www")
    );
}

/// Without a servers table the two names differ, so the second one is refused: the table is
/// what lets one server's names share a connection.
#[test]
fn without_a_table_the_second_host_is_refused() {
    let gateway = start_mutual(
        &Filter::SniGuard(r#"{"mode":"strict"}"#.into()),
        &suite_version(),
    );
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(WWW).unwrap();
    assert_eq!(h2.get("www.example.com").unwrap().status, 200);
    assert_eq!(h2.get("shop.example.com").unwrap().status, 421);
    assert_eq!(counters(&gateway), [1, 0, 0]);
}
