use rapport_testkit::{TestApp, serde_json::json};

#[tokio::test]
async fn smoke() {
    for app in TestApp::all().await {
        let org = app.create("organizations", json!({"name": "Acme", "domains": ["ACME.com"], "tags": ["vip"]})).await;
        let p = app
            .create("people", json!({"first_name": "Ada", "last_name": "Lovelace", "emails": ["Ada@Acme.com"], "phones": ["06 12 34 56 78"], "organizations": [{"id": org["id"], "role": "CTO"}], "custom": {}}))
            .await;
        println!("{}", p);
        let deal = app.create("deals", json!({"name": "Big deal", "organization_id": org["id"], "amount_minor": 1250000, "people": [p["id"]]})).await;
        println!("{}", deal);
        let a = app.create("activities", json!({"type": "call", "people": [p["id"]], "subject": "Intro"})).await;
        println!("{}", a);
        let l = app.get("/api/v1/people?tags=vip").await;
        println!("{} {}", l.status, l.body);
        let l = app.get("/api/v1/organizations?tags=vip&name[contains]=acm&sort=-name").await;
        println!("{} {}", l.status, l.body);
        let t = app.get(&format!("/api/v1/people/{}/timeline", p["id"].as_str().unwrap())).await;
        println!("{} {}", t.status, t.body);
        let u = app.patch(&format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()), json!({"status": "won"})).await;
        println!("{} {}", u.status, u.body);
        let h = app.get(&format!("/api/v1/deals/{}/history", deal["id"].as_str().unwrap())).await;
        println!("{} {}", h.status, h.body);
        let sh = app.get(&format!("/api/v1/deals/{}/stage-history", deal["id"].as_str().unwrap())).await;
        println!("{} {}", sh.status, sh.body);
        let d = app.delete(&format!("/api/v1/organizations/{}", org["id"].as_str().unwrap())).await;
        println!("{} {}", d.status, d.body);
        let g = app.get(&format!("/api/v1/deals/{}?include=organization,people", deal["id"].as_str().unwrap())).await;
        println!("{} {}", g.status, g.body);
    }
}
