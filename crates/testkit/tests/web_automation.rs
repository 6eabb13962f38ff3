//! The automation settings pages: a workflow made through the form really
//! fires and logs its run, bad input is re-shown with the store's error,
//! edits and deletes reach the store, others are refused, CSRF is checked.

use rapport_automation::Worker;
use rapport_testkit::TestApp;
use rapport_testkit::browser::Browser;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

async fn admin(app: &TestApp) -> (Browser, String) {
    app.set_password(app.user_id, PASSWORD).await;
    let mut b = app.browser();
    assert_eq!(b.login("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{}]", app.name());
    let csrf = b.session_csrf().await;
    (b, csrf)
}

async fn member(app: &TestApp) -> (Browser, String) {
    let u = app.create("users", json!({"email": "mia@example.com", "name": "Mia Member", "role": "member"})).await;
    let id = Uuid::parse_str(u["id"].as_str().unwrap()).unwrap();
    app.set_password(id, PASSWORD).await;
    let mut b = app.browser();
    assert_eq!(b.login("mia@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{}]", app.name());
    let csrf = b.session_csrf().await;
    (b, csrf)
}

async fn workflows(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/workflows").await.body["items"].as_array().cloned().unwrap_or_default()
}

/// A "person created → add a tag" workflow, as the form posts it.
fn tag_form<'a>(csrf: &'a str, name: &'a str, conditions: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", name),
        ("active", "1"),
        ("trigger", "record_created"),
        ("kind", "person"),
        ("field", ""),
        ("to", ""),
        ("stage_id", ""),
        ("days", ""),
        ("conditions", conditions),
        ("a0_type", "add_tag"),
        ("a0_text", "from-web"),
        ("a0_field", ""),
        ("a0_days", ""),
        ("a0_to", "owner"),
        ("a1_type", ""),
        ("a1_text", ""),
        ("a1_to", "owner"),
    ]
}

#[tokio::test]
async fn a_workflow_made_in_the_form_fires_and_logs_its_run() {
    for app in TestApp::all().await {
        let n = app.name();
        let (mut b, csrf) = admin(&app).await;
        let index = b.get("/settings/automation").await;
        assert_eq!(index.status, StatusCode::OK, "[{n}] {}", index.body);
        assert!(index.body.contains("id=\"workflows-empty\""), "[{n}]");
        assert_eq!(b.get("/settings/automation/workflows/new").await.status, StatusCode::OK, "[{n}]");

        let name = "<script>alert(1)</script> Tag web leads";
        let made = b.post_form("/settings/automation/workflows/new", &tag_form(&csrf, name, "lead_source=web")).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "[{n}] {}", made.body);
        let all = workflows(&app).await;
        assert_eq!(all.len(), 1, "[{n}]");
        let wf = all[0]["id"].as_str().unwrap().to_string();
        assert_eq!(made.location(), Some(format!("/settings/automation/workflows/{wf}").as_str()), "[{n}]");
        assert_eq!(all[0]["trigger"], json!({"type": "record_created", "kind": "person"}), "[{n}]");
        assert_eq!(all[0]["conditions"], json!([["lead_source", "web"]]), "[{n}]");
        assert_eq!(all[0]["actions"], json!([{"type": "add_tag", "tag": "from-web"}]), "[{n}]");

        let p = app.create("people", json!({"first_name": "Wes", "lead_source": "web"})).await;
        let other = app.create("people", json!({"first_name": "Eve", "lead_source": "event"})).await;
        Worker::new(app.store.clone()).drain().await.expect("drain");
        let pid = p["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/api/v1/people/{pid}")).await.body["tags"], json!(["from-web"]), "[{n}]");
        let oid = other["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/api/v1/people/{oid}")).await.body["tags"], json!([]), "[{n}]");

        let log = b.get(&format!("/settings/automation/workflows/{wf}/runs")).await;
        assert_eq!(log.status, StatusCode::OK, "[{n}]");
        assert!(log.body.contains(&format!("href=\"/people/{pid}\"")), "[{n}] {}", log.body);
        assert!(log.body.contains("Done") && log.body.contains("Skipped"), "[{n}] {}", log.body);
        assert!(log.body.contains("A record is created"), "[{n}]");

        // The name is shown, escaped, on every page.
        for path in [
            "/settings/automation".to_string(),
            format!("/settings/automation/workflows/{wf}"),
            format!("/settings/automation/workflows/{wf}/runs"),
        ] {
            let page = b.get(&path).await;
            assert!(page.body.contains("&#60;script&#62;alert(1)"), "[{n}] {path}");
            assert!(!page.body.contains("<script>alert(1)"), "[{n}] {path}");
        }
        let edit = b.get(&format!("/settings/automation/workflows/{wf}")).await;
        assert!(edit.body.contains("lead_source=web"), "[{n}] the conditions, one a line");
        assert!(edit.body.contains("value=\"from-web\""), "[{n}] the action row");
    }
}

#[tokio::test]
async fn bad_input_is_reshown_and_edits_and_deletes_reach_the_store() {
    for app in TestApp::all().await {
        let n = app.name();
        let (mut b, csrf) = admin(&app).await;
        let bad = b.post_form("/settings/automation/workflows/new", &tag_form(&csrf, "Bad", "nope[eq]=x")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", bad.body);
        assert!(bad.body.contains("id=\"workflow-errors\""), "[{n}]");
        assert!(bad.body.contains("class=\"fielderror\""), "[{n}]");
        assert!(bad.body.contains("There is no such field here."), "[{n}] from the catalog: {}", bad.body);
        assert!(!bad.body.contains("no filterable field"), "[{n}] not the domain's sentence");
        assert!(bad.body.contains("nope[eq]=x</textarea>"), "[{n}] what was typed is kept");
        assert!(bad.body.contains("value=\"Bad\""), "[{n}]");
        assert!(workflows(&app).await.is_empty(), "[{n}]");

        let made = b.post_form("/settings/automation/workflows/new", &tag_form(&csrf, "Tagger", "")).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "[{n}] {}", made.body);
        let wf = workflows(&app).await[0]["id"].as_str().unwrap().to_string();
        let path = format!("/settings/automation/workflows/{wf}");
        // Deactivate: the checkbox is left out; rename it too.
        let mut form = tag_form(&csrf, "Tagger (paused)", "");
        form.retain(|(k, _)| *k != "active");
        let saved = b.post_form(&path, &form).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "[{n}] {}", saved.body);
        let w = &workflows(&app).await[0];
        assert_eq!((w["name"].as_str(), w["active"].as_bool()), (Some("Tagger (paused)"), Some(false)), "[{n}]");
        // The edit form carries the version it was read at; a form read before that save is refused.
        assert!(b.get(&path).await.body.contains("name=\"version\" value=\"2\""), "[{n}]");
        let mut stale = tag_form(&csrf, "Tagger (old tab)", "");
        stale.push(("version", "1"));
        let refused = b.post_form(&path, &stale).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", refused.body);
        assert!(refused.body.contains("Someone else changed this"), "[{n}]");
        assert_eq!(workflows(&app).await[0]["name"], "Tagger (paused)", "[{n}] nothing overwritten");
        app.create("people", json!({"first_name": "Ida"})).await;
        Worker::new(app.store.clone()).drain().await.expect("drain");
        let log = b.get(&format!("{path}/runs")).await;
        assert!(log.body.contains("id=\"runs-empty\""), "[{n}] an inactive workflow does not run");

        let confirm = b.get(&format!("{path}/delete")).await;
        assert_eq!(confirm.status, StatusCode::OK, "[{n}]");
        assert!(confirm.body.contains("id=\"confirm-delete\""), "[{n}]");
        let gone = b.post_form(&format!("{path}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER, "[{n}]");
        assert!(workflows(&app).await.is_empty(), "[{n}]");
    }
}

#[tokio::test]
async fn others_and_forged_posts_are_refused() {
    for app in TestApp::all().await {
        let n = app.name();
        let (mut m, csrf) = member(&app).await;
        for path in [
            "/settings/automation",
            "/settings/automation/workflows/new",
            "/settings/automation/rules",
            "/settings/automation/rules/new",
            "/settings/automation/webhooks",
        ] {
            let p = m.get(path).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "[{n}] {path}");
            assert!(p.body.contains("id=\"settings-denied\""), "[{n}] {path}");
        }
        let post = m.post_form("/settings/automation/workflows/new", &tag_form(&csrf, "Mine", "")).await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "[{n}]");
        assert!(workflows(&app).await.is_empty(), "[{n}]");
        let hook = m
            .post_form("/settings/automation/webhooks", &[("csrf", &csrf), ("url", "https://example.com/h"), ("events", "*")])
            .await;
        assert_eq!(hook.status, StatusCode::FORBIDDEN, "[{n}]");
        assert!(app.get("/api/v1/webhooks").await.body["items"].as_array().unwrap().is_empty(), "[{n}]");

        let (mut b, _) = admin(&app).await;
        let forged = b.post_form("/settings/automation/workflows/new", &tag_form("not-the-token", "Forged", "")).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "[{n}] {}", forged.body);
        assert!(workflows(&app).await.is_empty(), "[{n}]");
    }
}

#[tokio::test]
async fn an_assignment_rule_made_in_the_form_assigns_new_records() {
    for app in TestApp::all().await {
        let n = app.name();
        let (mut b, csrf) = admin(&app).await;
        let bob = app.create("users", json!({"email": "bob@example.com", "name": "Bob", "role": "member"})).await;
        let bob = bob["id"].as_str().unwrap().to_string();
        let rule = |name: &'static str, cond: &'static str, user: String| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("name".into(), name.into()),
                ("kind".into(), "person".into()),
                ("conditions".into(), cond.into()),
                ("method".into(), "user".into()),
                ("user_id".into(), user),
                ("team_id".into(), String::new()),
                ("active".into(), "1".into()),
            ]
        };
        let bad = rule("Bad", "nope=x", bob.clone());
        let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let shown = b.post_form("/settings/automation/rules/new", &bad).await;
        assert_eq!(shown.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", shown.body);
        assert!(shown.body.contains("nope=x</textarea>") && shown.body.contains("class=\"fielderror\""), "[{n}]");

        for (name, cond) in [("Web to Bob", "lead_source=web"), ("Events to Bob", "lead_source=event")] {
            let f = rule(name, cond, bob.clone());
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let made = b.post_form("/settings/automation/rules/new", &f).await;
            assert_eq!(made.status, StatusCode::SEE_OTHER, "[{n}] {}", made.body);
        }
        let p = app.create("people", json!({"first_name": "Wes", "lead_source": "web"})).await;
        assert_eq!(p["owner_id"], json!(bob), "[{n}] the rule gave the owner");

        let list = b.get("/settings/automation/rules").await;
        assert_eq!(list.status, StatusCode::OK, "[{n}]");
        let first = list.body.find("Web to Bob").unwrap();
        assert!(first < list.body.find("Events to Bob").unwrap(), "[{n}] in order");
        let rules = app.get("/api/v1/assignment-rules").await.body["items"].as_array().cloned().unwrap();
        let events = rules.iter().find(|r| r["name"] == "Events to Bob").unwrap()["id"].as_str().unwrap().to_string();
        let moved = b.post_form(&format!("/settings/automation/rules/{events}/up"), &[("csrf", &csrf)]).await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "[{n}]");
        let list = b.get("/settings/automation/rules").await;
        assert!(list.body.find("Events to Bob").unwrap() < list.body.find("Web to Bob").unwrap(), "[{n}] moved up");
        let gone = b.post_form(&format!("/settings/automation/rules/{events}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER, "[{n}]");
        assert_eq!(app.get("/api/v1/assignment-rules").await.body["items"].as_array().unwrap().len(), 1, "[{n}]");

        // A custom kind is offered, and its rule assigns its records.
        let kind = app.post("/api/v1/object-types", json!({"key": "lease", "singular": "Lease", "plural": "Leases"})).await;
        assert_eq!(kind.status, StatusCode::CREATED, "[{n}] {}", kind.body);
        let form = b.get("/settings/automation/rules/new").await;
        assert!(form.body.contains("<option value=\"lease\""), "[{n}] {}", form.body);
        let mut f = rule("Leases to Bob", "", bob.clone());
        f[2].1 = "lease".into();
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let made = b.post_form("/settings/automation/rules/new", &f).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "[{n}] {}", made.body);
        assert!(b.get("/settings/automation/rules").await.body.contains("Leases"), "[{n}] listed under the kind's name");
        let lease = app.post("/api/v1/objects/lease", json!({"name": "Dock 4"})).await;
        assert_eq!(lease.body["owner_id"], json!(bob), "[{n}] {}", lease.body);
    }
}

/// A webhook endpoint on loopback that answers 200 and counts what it gets.
async fn receiver() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let c = c.clone();
            async move {
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, count)
}

#[tokio::test]
async fn a_webhook_made_in_the_form_shows_its_secret_once_and_logs_deliveries() {
    for app in TestApp::all().await {
        let n = app.name();
        let (mut b, csrf) = admin(&app).await;
        let (url, got) = receiver().await;
        let bad =
            b.post_form("/settings/automation/webhooks", &[("csrf", &csrf), ("url", "ftp://x"), ("events", "person.*")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", bad.body);
        assert!(bad.body.contains("value=\"ftp://x\"") && bad.body.contains("class=\"fielderror\""), "[{n}]");

        let made = b
            .post_form(
                "/settings/automation/webhooks",
                &[("csrf", &csrf), ("url", &url), ("description", "<b>CRM feed</b>"), ("events", "person.created")],
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "[{n}] {}", made.body);
        let hooks = app.get("/api/v1/webhooks").await.body["items"].as_array().cloned().unwrap();
        assert_eq!(hooks.len(), 1, "[{n}]");
        let hook = hooks[0]["id"].as_str().unwrap().to_string();
        let shown = made.body.split("id=\"webhook-secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap_or_default();
        assert!(shown.starts_with("whsec_"), "[{n}] the secret is shown at creation: {}", made.body);
        let secret = shown.to_string();
        assert!(
            secret.ends_with(&hooks[0]["secret_hint"].as_str().unwrap_or_else(|| panic!("{hooks:?}"))["whsec_…".len()..]),
            "[{n}] the listed hint is its tail: {hooks:?}"
        );
        assert!(!made.body.contains("<b>CRM feed</b>"), "[{n}] escaped");
        let list = b.get("/settings/automation/webhooks").await;
        assert!(!list.body.contains("id=\"webhook-secret\""), "[{n}] and not again");
        assert!(!list.body.contains(&secret), "[{n}]");
        let rotated = b.post_form(&format!("/settings/automation/webhooks/{hook}/secret"), &[("csrf", &csrf)]).await;
        assert_eq!(rotated.status, StatusCode::OK, "[{n}] {}", rotated.body);
        let new = rotated.body.split("id=\"webhook-secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap_or_default();
        assert!(new.starts_with("whsec_") && new != secret, "[{n}] a new secret, shown once");
        let forged = b.post_form(&format!("/settings/automation/webhooks/{hook}/secret"), &[("csrf", "forged")]).await;
        assert_ne!(forged.status, StatusCode::OK, "[{n}] refused without the CSRF token");
        let page = b.get(&format!("/settings/automation/webhooks/{hook}")).await;
        assert!(
            !page.body.contains(new) && page.body.contains(&format!("whsec_…{}", &new[new.len() - 4..])),
            "[{n}] only its hint afterwards"
        );

        app.create("people", json!({"first_name": "Ada"})).await;
        Worker::new(app.store.clone()).drain().await.expect("drain");
        assert_eq!(got.load(std::sync::atomic::Ordering::SeqCst), 1, "[{n}] delivered");
        let page = b.get(&format!("/settings/automation/webhooks/{hook}")).await;
        assert_eq!(page.status, StatusCode::OK, "[{n}]");
        assert!(page.body.contains("person.created") && page.body.contains("Delivered"), "[{n}] {}", page.body);
        let did =
            app.get(&format!("/api/v1/webhooks/{hook}/deliveries")).await.body["items"][0]["id"].as_str().unwrap().to_string();
        let again =
            b.post_form(&format!("/settings/automation/webhooks/{hook}/deliveries/{did}/redeliver"), &[("csrf", &csrf)]).await;
        assert_eq!(again.status, StatusCode::OK, "[{n}] {}", again.body);
        assert!(again.body.contains("id=\"webhook-notice\""), "[{n}]");
        Worker::new(app.store.clone()).drain().await.expect("drain");
        assert_eq!(got.load(std::sync::atomic::Ordering::SeqCst), 2, "[{n}] redelivered");
        let forged =
            b.post_form(&format!("/settings/automation/webhooks/{hook}/deliveries/{did}/redeliver"), &[("csrf", "x")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "[{n}]");

        // Deactivate, then delete.
        let saved = b
            .post_form(
                &format!("/settings/automation/webhooks/{hook}"),
                &[("csrf", &csrf), ("url", &url), ("events", "person.created")],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "[{n}] {}", saved.body);
        assert_eq!(app.get(&format!("/api/v1/webhooks/{hook}")).await.body["active"], json!(false), "[{n}]");
        let gone = b.post_form(&format!("/settings/automation/webhooks/{hook}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER, "[{n}]");
        assert!(app.get("/api/v1/webhooks").await.body["items"].as_array().unwrap().is_empty(), "[{n}]");
    }
}

#[tokio::test]
async fn custom_kinds_are_offered_in_the_workflow_and_webhook_forms() {
    for app in TestApp::all().await {
        let n = app.name();
        let kind = json!({"key": "contract", "singular": "Contract", "plural": "Contracts", "has_status": true});
        assert_eq!(app.post("/api/v1/object-types", kind).await.status, StatusCode::CREATED, "[{n}]");
        let (mut b, csrf) = admin(&app).await;

        let hooks = b.get("/settings/automation/webhooks").await;
        for e in ["contract.created", "contract.stage_changed", "contract.*", "person.*"] {
            assert!(hooks.body.contains(&format!("value=\"{e}\"")), "[{n}] {e} offered");
        }
        let made = b
            .post_form(
                "/settings/automation/webhooks",
                &[
                    ("csrf", &csrf),
                    ("url", "https://example.com/hook"),
                    ("events", "contract.*"),
                    ("events", "contract.stage_changed"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "[{n}] {}", made.body);
        let hook = &app.get("/api/v1/webhooks").await.body["items"][0];
        assert_eq!(hook["events"], json!(["contract.*", "contract.stage_changed"]), "[{n}] {hook}");
        let page = b.get(&format!("/settings/automation/webhooks/{}", hook["id"].as_str().unwrap())).await;
        assert!(page.body.contains("value=\"contract.*\" id=\"event-") && page.body.contains(" checked"), "[{n}]");

        let form = b.get("/settings/automation/workflows/new").await;
        assert!(form.body.contains("<option value=\"contract\">Contracts</option>"), "[{n}] the kind is offered");
        assert!(form.body.contains("Contracts · Done"), "[{n}] and its stages");
        let mut fields = tag_form(&csrf, "Tag contracts", "");
        fields.retain(|(k, _)| *k != "kind");
        fields.push(("kind", "contract"));
        let made = b.post_form("/settings/automation/workflows/new", &fields).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "[{n}] {}", made.body);
        assert_eq!(workflows(&app).await[0]["trigger"], json!({"type": "record_created", "kind": "contract"}), "[{n}]");
        let index = b.get("/settings/automation").await;
        assert!(index.body.contains("When Contracts are created"), "[{n}] {}", index.body);
        let c = app.create("objects/contract", json!({"name": "MSA"})).await;
        Worker::new(app.store.clone()).drain().await.unwrap();
        let got = app.get(&format!("/api/v1/objects/contract/{}", c["id"].as_str().unwrap())).await.body;
        assert_eq!(got["tags"], json!(["from-web"]), "[{n}] {got}");
        let wf = workflows(&app).await[0]["id"].as_str().unwrap().to_string();
        let runs = b.get(&format!("/settings/automation/workflows/{wf}/runs")).await;
        assert!(runs.body.contains(&format!("/objects/contract/{}", c["id"].as_str().unwrap())), "[{n}] a link to the record");
    }
}
