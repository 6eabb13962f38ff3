//! The board's counts and totals per stage, kept by the database as deals are
//! written: after every kind of write (create, move, amount and currency
//! changes, a change of pipeline, won and lost, delete, import, stage and
//! pipeline removal, and many concurrent moves) they equal the totals counted
//! from the deals themselves, on both databases.

mod io_support;

use io_support::{enc, import};
use rapport_store::board::StageTotal;
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use uuid::Uuid;

/// A pipeline made for the test, with its stage ids in order.
async fn pipeline(app: &TestApp, name: &str) -> (Uuid, Vec<Uuid>) {
    let body = json!({"name": name, "stages": [
        {"name": "Lead", "probability": 10},
        {"name": "Offer", "probability": 50},
        {"name": "Signed", "probability": 100, "outcome": "won"},
        {"name": "Gone", "probability": 0, "outcome": "lost"},
    ]});
    let a = app.post("/api/v1/pipelines", body).await;
    assert_eq!(a.status, StatusCode::CREATED, "[{}] {}", app.name(), a.body);
    let id = Uuid::parse_str(a.body["id"].as_str().unwrap()).unwrap();
    let stages =
        a.body["stages"].as_array().unwrap().iter().map(|s| Uuid::parse_str(s["id"].as_str().unwrap()).unwrap()).collect();
    (id, stages)
}

/// The kept totals of a pipeline, checked against a count of its deals.
async fn totals(app: &TestApp, pipeline: Uuid, step: &str) -> Vec<StageTotal> {
    let kept = app.store.stage_totals(&app.scope, pipeline).await.unwrap();
    let counted = app.store.recount_stage_totals(&app.scope, pipeline).await.unwrap();
    assert_eq!(kept, counted, "[{}] after {step}: kept totals differ from the deals", app.name());
    kept
}

fn of(totals: &[StageTotal], stage: Uuid, currency: &str) -> (i64, i64) {
    totals.iter().find(|t| t.stage_id == stage && t.currency == currency).map(|t| (t.count, t.amount_minor)).unwrap_or((0, 0))
}

async fn patch(app: &TestApp, deal: &Value, body: Value) {
    let a = app.patch(&format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()), body).await;
    assert_eq!(a.status, StatusCode::OK, "[{}] {}", app.name(), a.body);
}

#[tokio::test]
async fn kept_totals_follow_every_write() {
    for app in TestApp::all().await {
        let n = app.name();
        let (p, st) = pipeline(&app, "Kept").await;
        let (q, qst) = pipeline(&app, "Other").await;

        let deal = |name: &str, stage: Uuid, amount: Option<i64>, currency: &str| {
            let mut body = json!({"name": name, "pipeline_id": p, "stage_id": stage, "currency": currency});
            if let Some(a) = amount {
                body["amount_minor"] = json!(a);
            }
            body
        };
        let a = app.create("deals", deal("A", st[0], Some(1_000), "EUR")).await;
        let b = app.create("deals", deal("B", st[0], Some(2_500), "EUR")).await;
        let c = app.create("deals", deal("C", st[0], None, "EUR")).await;
        let d = app.create("deals", deal("D", st[1], Some(700), "USD")).await;
        let t = totals(&app, p, "creation").await;
        assert_eq!(of(&t, st[0], "EUR"), (3, 3_500), "[{n}] {t:?}");
        assert_eq!(of(&t, st[1], "USD"), (1, 700), "[{n}] {t:?}");

        patch(&app, &a, json!({"stage_id": st[1]})).await;
        patch(&app, &b, json!({"amount_minor": 4_000})).await;
        patch(&app, &c, json!({"amount_minor": 300})).await;
        patch(&app, &d, json!({"currency": "EUR"})).await;
        patch(&app, &a, json!({"name": "A renamed", "next_step": "Call back"})).await;
        let t = totals(&app, p, "moves and amount changes").await;
        assert_eq!(of(&t, st[0], "EUR"), (2, 4_300), "[{n}] {t:?}");
        assert_eq!(of(&t, st[1], "EUR"), (2, 1_700), "[{n}] {t:?}");
        assert_eq!(of(&t, st[1], "USD"), (0, 0), "[{n}] a group left empty is not answered: {t:?}");
        assert!(t.iter().all(|x| x.count > 0), "[{n}] {t:?}");

        patch(&app, &b, json!({"status": "won"})).await;
        patch(&app, &c, json!({"status": "lost", "lost_reason": "Budget"})).await;
        let t = totals(&app, p, "won and lost").await;
        assert_eq!(of(&t, st[2], "EUR"), (1, 4_000), "[{n}] {t:?}");
        assert_eq!(of(&t, st[3], "EUR"), (1, 300), "[{n}] {t:?}");

        patch(&app, &d, json!({"pipeline_id": q, "stage_id": qst[0]})).await;
        let t = totals(&app, p, "a change of pipeline").await;
        assert_eq!(of(&t, st[1], "EUR"), (1, 1_000), "[{n}] {t:?}");
        let tq = totals(&app, q, "a change of pipeline").await;
        assert_eq!(of(&tq, qst[0], "EUR"), (1, 700), "[{n}] {tq:?}");

        let gone = app.delete(&format!("/api/v1/deals/{}", a["id"].as_str().unwrap())).await;
        assert!(gone.status.is_success(), "[{n}] {}", gone.body);
        let t = totals(&app, p, "a deletion").await;
        assert_eq!(of(&t, st[1], "EUR"), (0, 0), "[{n}] {t:?}");

        // An import creates and updates deals in its own transactions.
        let file = "Name,Amount,Currency,Stage,Pipeline,Id\n\
                    Imported one,\"12.50\",EUR,Offer,Kept,IMP-1\n\
                    Imported two,3,GBP,Lead,Kept,IMP-2\n";
        let mapping = "{\"Name\": \"name\", \"Amount\": \"amount\", \"Currency\": \"currency\", \"Stage\": \"stage\", \"Pipeline\": \"pipeline\", \"Id\": \"external_id\"}";
        let query = format!("kind=deals&mapping={}", enc(mapping));
        import(&app, &query, "text/csv", file).await;
        let t = totals(&app, p, "an import").await;
        assert_eq!(of(&t, st[1], "EUR"), (1, 1_250), "[{n}] {t:?}");
        assert_eq!(of(&t, st[0], "GBP"), (1, 300), "[{n}] {t:?}");
        // The same file again updates: nothing counts twice.
        let again = file.replace("\"12.50\"", "20");
        import(&app, &query, "text/csv", again).await;
        let t = totals(&app, p, "a second import").await;
        assert_eq!(of(&t, st[1], "EUR"), (1, 2_000), "[{n}] {t:?}");

        // A stage can be removed once empty, a pipeline once it holds no deal.
        for deal in app.list_all(&format!("/api/v1/deals?pipeline_id={q}")).await {
            let gone = app.delete(&format!("/api/v1/deals/{}", deal["id"].as_str().unwrap())).await;
            assert!(gone.status.is_success(), "[{n}] {}", gone.body);
        }
        let removed = app.delete(&format!("/api/v1/pipelines/{q}")).await;
        assert!(removed.status.is_success(), "[{n}] {}", removed.body);
        assert!(totals(&app, q, "the removal of a pipeline").await.is_empty(), "[{n}]");
        totals(&app, p, "the removal of another pipeline").await;
    }
}

/// Many deals moved at once between the same stages, both ways round: no
/// move fails (no deadlock between the kept rows) and no count is lost.
#[tokio::test]
async fn concurrent_moves_keep_exact_totals() {
    for app in TestApp::all().await {
        let n = app.name();
        let (p, st) = pipeline(&app, "Busy").await;
        let mut deals = Vec::new();
        for i in 0..24 {
            let stage = st[i % 2];
            let body = json!({"name": format!("Deal {i}"), "pipeline_id": p, "stage_id": stage, "amount_minor": 100 * (i as i64 + 1), "currency": "EUR"});
            deals.push((app.create("deals", body).await["id"].as_str().unwrap().to_string(), i % 2));
        }
        let mut tasks = Vec::new();
        for (id, first) in deals {
            let (client, base, token) = (app.client.clone(), app.base.clone(), app.token.clone());
            let (from, to) = (st[first], st[1 - first]);
            tasks.push(tokio::spawn(async move {
                for round in 0..6 {
                    let stage = if round % 2 == 0 { to } else { from };
                    let res = client
                        .patch(format!("{base}/api/v1/deals/{id}"))
                        .bearer_auth(&token)
                        .json(&json!({"stage_id": stage, "amount_minor": 1_000 + round}))
                        .send()
                        .await
                        .expect("request");
                    let status = res.status();
                    assert_eq!(status, StatusCode::OK, "move {round} of {id}: {}", res.text().await.unwrap_or_default());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap_or_else(|e| panic!("[{n}] a move failed: {e}"));
        }
        let t = totals(&app, p, "concurrent moves").await;
        // Six moves bring each deal back to where it started, with amount 1,005.
        assert_eq!(of(&t, st[0], "EUR"), (12, 12 * 1_005), "[{n}] {t:?}");
        assert_eq!(of(&t, st[1], "EUR"), (12, 12 * 1_005), "[{n}] {t:?}");
    }
}
