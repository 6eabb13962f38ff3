//! Settings → Fields and custom fields on record forms and pages, over HTTP
//! with a signed-in browser (no scripts): add, edit, reorder, hide, delete
//! with confirmation, restore, purge; every type drawn with its input and
//! saved from the new-record and edit forms.

use rapport_testkit::TestApp;
use rapport_testkit::browser::Browser;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::json;

const PASSWORD: &str = "correct horse battery";

async fn admin(app: &TestApp) -> (Browser, String) {
    app.set_password(app.user_id, PASSWORD).await;
    let mut b = app.browser();
    assert_eq!(b.login("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{}]", app.name());
    let csrf = b.session_csrf().await;
    (b, csrf)
}

async fn version_of(app: &TestApp, key: &str) -> String {
    app.get(&format!("/api/v1/custom-fields/people/{key}")).await.body["version"].to_string()
}

#[tokio::test]
async fn admins_manage_fields_from_settings() {
    for app in TestApp::all().await {
        let n = app.name();
        let (mut b, csrf) = admin(&app).await;
        let page = b.get("/settings/fields/people").await;
        assert_eq!(page.status, StatusCode::OK, "[{n}] {}", page.body);
        assert!(page.body.contains("id=\"fields-empty\""), "[{n}]");

        // Add: refused with the field at fault, then accepted.
        let bad = b
            .post_form("/settings/fields/people", &[("csrf", &csrf), ("label", "Tier"), ("key", "Tier!"), ("type", "select")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(bad.body.contains("id=\"settings-errors\"") && bad.body.contains("value=\"Tier!\""), "[{n}] typed values kept");
        for (label, key, ty, options) in
            [("Tier", "tier", "select", "gold\nsilver"), ("Score", "score", "number", ""), ("Notes", "notes", "long_text", "")]
        {
            let ok = b
                .post_form(
                    "/settings/fields/people",
                    &[("csrf", &csrf), ("label", label), ("key", key), ("type", ty), ("options", options)],
                )
                .await;
            assert_eq!(ok.status, StatusCode::SEE_OTHER, "[{n}] add {key}: {}", ok.body);
        }
        let defs = app.get("/api/v1/custom-fields/people").await.body["items"].clone();
        assert_eq!(defs[0]["options"], json!(["gold", "silver"]), "[{n}]");

        // Edit: label, help, required, validation; a stale version is refused.
        let v = version_of(&app, "score").await;
        let form = [
            ("csrf", csrf.as_str()),
            ("version", v.as_str()),
            ("label", "Lead score"),
            ("type", "number"),
            ("help", "From 0 to 100"),
            ("min", "0"),
            ("max", "100"),
            ("default", "10"),
            ("required", "true"),
        ];
        let saved = b.post_form("/settings/fields/people/score", &form).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "[{n}] {}", saved.body);
        let score = app.get("/api/v1/custom-fields/people/score").await.body;
        assert_eq!(
            (
                score["label"].clone(),
                score["min"].clone(),
                score["max"].clone(),
                score["default"].clone(),
                score["required"].clone()
            ),
            (json!("Lead score"), json!(0.0), json!(100.0), json!(10.0), json!(true)),
            "[{n}] {score}"
        );
        let stale = b.post_form("/settings/fields/people/score", &form).await;
        assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] stale version refused");

        // A type change that would lose values is refused and lists them.
        app.create("people", json!({"first_name": "Ann", "custom": {"notes": "not a number", "score": 5}})).await;
        let v = version_of(&app, "notes").await;
        let refused = b
            .post_form(
                "/settings/fields/people/notes",
                &[("csrf", &csrf), ("version", &v), ("label", "Notes"), ("type", "number")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(refused.body.contains("not a number"), "[{n}] the value that would not convert is named");

        // Reorder and hide.
        let moved = b.post_form("/settings/fields/people/notes/up", &[("csrf", &csrf)]).await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "[{n}]");
        let keys: Vec<String> = app.get("/api/v1/custom-fields/people").await.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["key"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(keys, ["tier", "notes", "score"], "[{n}]");
        let v = version_of(&app, "tier").await;
        let hide = b
            .post_form(
                "/settings/fields/people/tier",
                &[
                    ("csrf", &csrf),
                    ("version", &v),
                    ("label", "Tier"),
                    ("type", "select"),
                    ("options", "gold\nsilver"),
                    ("hidden", "true"),
                ],
            )
            .await;
        assert_eq!(hide.status, StatusCode::SEE_OTHER, "[{n}] {}", hide.body);
        assert_eq!(app.get("/api/v1/custom-fields/people/tier").await.body["hidden"], true, "[{n}]");

        // A number can identify a record (a customer number); the page says so.
        let v = version_of(&app, "score").await;
        let form = [
            ("csrf", csrf.as_str()),
            ("version", v.as_str()),
            ("label", "Lead score"),
            ("type", "number"),
            ("identifies", "true"),
        ];
        let identifying = b.post_form("/settings/fields/people/score", &form).await;
        assert_eq!(identifying.status, StatusCode::SEE_OTHER, "[{n}] {}", identifying.body);
        assert_eq!(app.get("/api/v1/custom-fields/people/score").await.body["identifies"], true, "[{n}]");
        let page = b.get("/settings/fields/people").await;
        assert!(page.body.contains("id=\"field-identifies-score\" name=\"identifies\" value=\"true\" aria-describedby=\"field-identifies-score-hint\" checked"), "[{n}]");
        assert!(page.body.contains("identifies a record"), "[{n}] the badge");

        // Delete asks first, then deletes softly; restore and purge from the deleted list.
        let confirm = b.get("/settings/fields/people/notes/delete").await;
        assert!(confirm.body.contains("id=\"confirm-delete\""), "[{n}]");
        let v = version_of(&app, "notes").await;
        assert_eq!(
            b.post_form("/settings/fields/people/notes/delete", &[("csrf", &csrf), ("version", &v)]).await.status,
            StatusCode::SEE_OTHER,
            "[{n}]"
        );
        let list = b.get("/settings/fields/people").await;
        assert!(list.body.contains("id=\"deleted-notes\""), "[{n}] listed as deleted");
        let v = version_of(&app, "notes").await;
        assert_eq!(
            b.post_form("/settings/fields/people/notes/restore", &[("csrf", &csrf), ("version", &v)]).await.status,
            StatusCode::SEE_OTHER,
            "[{n}]"
        );
        assert!(app.get("/api/v1/custom-fields/people/notes").await.body["deleted_at"].is_null(), "[{n}] restored");
        b.post_form("/settings/fields/people/notes/delete", &[("csrf", &csrf), ("version", &version_of(&app, "notes").await)])
            .await;
        assert!(b.get("/settings/fields/people/notes/purge").await.body.contains("id=\"confirm-delete\""), "[{n}]");
        assert_eq!(
            b.post_form("/settings/fields/people/notes/purge", &[("csrf", &csrf)]).await.status,
            StatusCode::SEE_OTHER,
            "[{n}]"
        );
        assert_eq!(app.get("/api/v1/custom-fields/people/notes").await.status, StatusCode::NOT_FOUND, "[{n}] purged");

        // Only admins.
        let member = app.create("users", json!({"email": "mia@example.com", "name": "Mia", "role": "member"})).await;
        app.set_password(uuid::Uuid::parse_str(member["id"].as_str().unwrap()).unwrap(), PASSWORD).await;
        let mut m = app.browser();
        m.login("mia@example.com", PASSWORD).await;
        assert_eq!(m.get("/settings/fields/people").await.status, StatusCode::FORBIDDEN, "[{n}]");
    }
}

#[tokio::test]
async fn record_forms_and_pages_draw_and_save_every_type() {
    for app in TestApp::all().await {
        let n = app.name();
        for def in [
            json!({"key": "nickname", "label": "Nickname", "type": "text", "help": "What friends call them"}),
            json!({"key": "bio", "label": "Biography", "type": "long_text"}),
            json!({"key": "score", "label": "Score", "type": "number", "min": 0}),
            json!({"key": "budget", "label": "Budget", "type": "money"}),
            json!({"key": "discount", "label": "Discount", "type": "percent"}),
            json!({"key": "birthday", "label": "Birthday", "type": "date"}),
            json!({"key": "met_at", "label": "Met at", "type": "date_time"}),
            json!({"key": "vip", "label": "VIP", "type": "boolean"}),
            json!({"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]}),
            json!({"key": "topics", "label": "Topics", "type": "multi_select", "options": ["ai", "crm"]}),
            json!({"key": "alt_email", "label": "Other email", "type": "email"}),
            json!({"key": "mobile", "label": "Mobile", "type": "phone"}),
            json!({"key": "homepage", "label": "Homepage", "type": "url"}),
            json!({"key": "stars", "label": "Stars", "type": "rating"}),
            json!({"key": "secret", "label": "Secret", "type": "text", "hidden": true}),
        ] {
            assert_eq!(app.post("/api/v1/custom-fields/people", def).await.status, StatusCode::CREATED, "[{n}]");
        }
        let (mut b, csrf) = admin(&app).await;
        let form = b.get("/people/new").await;
        for needle in [
            "id=\"new-custom-nickname\" name=\"custom.nickname\" type=\"text\"",
            "<textarea id=\"new-custom-bio\"",
            "id=\"new-custom-score\" name=\"custom.score\" type=\"number\" value=\"\" step=\"any\" min=\"0\"",
            "id=\"new-custom-birthday\" name=\"custom.birthday\" type=\"date\"",
            "id=\"new-custom-met_at\" name=\"custom.met_at\" type=\"datetime-local\"",
            "type=\"checkbox\" id=\"new-custom-vip\" name=\"custom.vip\" value=\"true\"",
            "<select id=\"new-custom-tier\" name=\"custom.tier\"",
            "<legend>Topics",
            "name=\"custom.alt_email\" type=\"email\"",
            "name=\"custom.mobile\" type=\"tel\"",
            "name=\"custom.homepage\" type=\"url\"",
            "<select id=\"new-custom-stars\"",
            "id=\"new-custom-nickname-hint\">What friends call them",
        ] {
            assert!(form.body.contains(needle), "[{n}] new form has {needle}");
        }
        assert!(!form.body.contains("custom.secret"), "[{n}] hidden fields are not drawn");

        let keys = [
            "nickname",
            "bio",
            "score",
            "budget",
            "discount",
            "birthday",
            "met_at",
            "vip",
            "tier",
            "topics",
            "alt_email",
            "mobile",
            "homepage",
            "stars",
        ];
        let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf), ("first_name", "Zoe")];
        fields.extend(keys.iter().map(|k| ("custom_keys", *k)));
        fields.extend([
            ("custom.nickname", "Zed"),
            ("custom.bio", "Two\nlines"),
            ("custom.score", "42"),
            ("custom.budget", "1250.50"),
            ("custom.discount", "12.5"),
            ("custom.birthday", "1990-04-01"),
            ("custom.met_at", "2025-03-04T10:30"),
            ("custom.vip", "true"),
            ("custom.tier", "gold"),
            ("custom.topics", "ai"),
            ("custom.topics", "crm"),
            ("custom.alt_email", "zoe@example.com"),
            ("custom.mobile", "06 12 34 56 78"),
            ("custom.homepage", "https://zoe.example"),
            ("custom.stars", "4"),
        ]);
        let created = b.post_form("/people/new", &fields).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "[{n}] {}", created.body);
        let zoe = app.list_all("/api/v1/people?first_name=Zoe").await.remove(0);
        assert_eq!(
            zoe["custom"],
            json!({"nickname": "Zed", "bio": "Two\nlines", "score": 42.0, "budget": {"amount_minor": 125050, "currency": "EUR"},
                   "discount": 12.5, "birthday": "1990-04-01", "met_at": "2025-03-04T10:30:00.000000Z", "vip": true, "tier": "gold",
                   "topics": ["ai", "crm"], "alt_email": "zoe@example.com", "mobile": "+33612345678",
                   "homepage": "https://zoe.example", "stars": 4}),
            "[{n}]"
        );

        // The record page shows each value; the edit form holds them and saves a change.
        let id = zoe["id"].as_str().unwrap();
        let page = b.get(&format!("/people/{id}")).await;
        for needle in [
            "id=\"fact-custom-budget\"",
            ">4 / 5<",
            "id=\"edit-custom-vip\" name=\"custom.vip\" value=\"true\" checked",
            "value=\"1990-04-01\"",
        ] {
            assert!(page.body.contains(needle), "[{n}] record page has {needle}");
        }
        let version = zoe["version"].to_string();
        let mut edit: Vec<(&str, &str)> = vec![("csrf", &csrf), ("version", &version), ("first_name", "Zoe")];
        edit.extend(keys.iter().map(|k| ("custom_keys", *k)));
        edit.extend([("custom.score", "-1"), ("custom.tier", "silver"), ("custom.topics", "crm")]);
        let refused = b.post_form(&format!("/people/{id}"), &edit).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] below the minimum");
        assert!(refused.body.contains("id=\"edit-custom-score-error\""), "[{n}] the error is beside the field");
        assert!(refused.body.contains("Enter a value of at least 0."), "[{n}] what the field takes: {}", refused.body);
        assert!(!refused.body.contains("must be at least"), "[{n}] not the domain's sentence");
        edit.retain(|(k, _)| *k != "custom.score");
        edit.push(("custom.score", "7"));
        let saved = b.post_form(&format!("/people/{id}"), &edit).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "[{n}] {}", saved.body);
        let after = app.get(&format!("/api/v1/people/{id}")).await.body;
        assert_eq!(after["custom"]["tier"], "silver", "[{n}]");
        assert_eq!(after["custom"]["topics"], json!(["crm"]), "[{n}]");
        assert_eq!(after["custom"]["vip"], false, "[{n}] an unticked box is false");
        assert!(after["custom"].get("nickname").is_none(), "[{n}] an emptied field is cleared");

        // Lists show custom columns by type.
        let list = b.get("/people?cols=name,custom.budget,custom.vip").await;
        assert!(list.body.contains(">Budget</a></th>"), "[{n}]");
    }
}
