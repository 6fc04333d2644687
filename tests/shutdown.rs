//! Staged shutdown with the real binary (issue 14): SIGTERM while spool files and web
//! service requests are in flight. Doors stop first and their in-flight ingest commits, then
//! the workers, then the outbox flushes: every request answered 202 is journaled, every file
//! is archived with all its rows journaled or still waiting in inbound/, and no committed
//! notice is left undelivered in the outbox.

mod common;

use common::*;
use ijgate::channels::mtls_client::{MtlsClient, client_config};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FILES: usize = 40;
const ROWS: usize = 20;
const REQUESTS: usize = 40;

fn client(site: &Site, addr: std::net::SocketAddr) -> MtlsClient {
    let tls = client_config(
        &site.path("certs/ca.pem"),
        Some((
            site.path("certs/client-rh-a.pem").as_path(),
            site.path("certs/client-rh-a.key").as_path(),
        )),
    )
    .unwrap();
    MtlsClient::new(addr, "localhost", tls).unwrap()
}

#[test]
fn sigterm_with_files_and_requests_in_flight_loses_nothing_and_flushes_the_outbox() {
    let site = Site::new("");
    let mut d = site.start();
    let addr = d.addr.unwrap();
    // API requests from another thread, one after the other, until the door closes.
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let api = {
        let (answered, c) = (answered.clone(), client(&site, addr));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                for i in 0..REQUESTS {
                    let hr_ref = format!("API-{i:03}");
                    let body = serde_json::to_vec(&json_decl(&hr_ref, SIRET_A)).unwrap();
                    match c.request("POST", "/v1/stoppages", Some(body)).await {
                        Ok(r) if r.status == 202 => answered.lock().unwrap().push(hr_ref),
                        // Refused or cut by the stop: the sender was not told "accepted".
                        _ => {}
                    }
                }
            })
        })
    };
    for f in 0..FILES {
        let mut csv = String::from(CSV_HEADER);
        for r in 0..ROWS {
            csv.push('\n');
            csv.push_str(&csv_row(&format!("F{f:03}-{r:02}"), SIRET_A));
        }
        csv.push('\n');
        site.drop_file(&format!("batch{f:03}.csv"), csv.as_bytes());
    }
    // Stop while both doors are busy: some files archived, some API answers given.
    assert!(wait_until(Duration::from_secs(20), || {
        !site.files("spool/archive").is_empty() && !answered.lock().unwrap().is_empty()
    }));
    assert_eq!(d.stop(), Some(0), "{}", d.log_text());
    api.join().unwrap();

    let db = site.db();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    // Every answered request is journaled.
    for hr_ref in answered.lock().unwrap().iter() {
        let n: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM declarations WHERE hr_ref = ?1",
                [hr_ref],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "{hr_ref} was answered 202 but is not journaled");
    }
    // Every file is archived with all its rows, or still waiting; none half-taken.
    let archived = site.files("spool/archive");
    let waiting = site.files("spool/inbound");
    assert_eq!(archived.len() + waiting.len(), FILES, "a file went missing");
    for name in &archived {
        // Archived as `<input id>_<name>`.
        let f = name
            .rsplit_once("batch")
            .map(|(_, f)| f.trim_end_matches(".csv"))
            .unwrap_or_default();
        let n = count(&format!(
            "SELECT COUNT(*) FROM declarations WHERE hr_ref LIKE 'F{f}-%'"
        ));
        assert_eq!(n, ROWS as i64, "{name} archived with {n} rows journaled");
    }
    // The test proves something only if the stop cut work short.
    let answered = answered.lock().unwrap().len();
    eprintln!(
        "archived {} waiting {} answered {answered}",
        archived.len(),
        waiting.len()
    );
    assert!(
        !waiting.is_empty() || answered < REQUESTS,
        "the stop came after all the work was done"
    );
    // The outbox flushed last: nothing committed is left undelivered.
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL"),
        0,
        "the outbox was not flushed after the last commit"
    );
    assert!(count("SELECT COUNT(*) FROM outbox") > 0);
}
