//! The settings pages (administrators only) and the account page's
//! preferences: every form really changes the store, refusals are re-shown
//! beside the field at fault, others are refused, and CSRF is checked.

use rapport_domain::Kind;
use rapport_domain::access::Visibility;
use rapport_testkit::TestApp;
use rapport_testkit::browser::Browser;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// The admin of the test workspace, signed in.
async fn admin(app: &TestApp) -> (Browser, String) {
    app.set_password(app.user_id, PASSWORD).await;
    let mut b = app.browser();
    assert_eq!(b.login("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{}]", app.name());
    let csrf = b.session_csrf().await;
    (b, csrf)
}

/// A user of another role, signed in.
async fn someone(app: &TestApp, email: &str, role: &str) -> (Browser, String, Uuid) {
    let u = app.create("users", json!({"email": email, "name": "Mia Member", "role": role})).await;
    let id = Uuid::parse_str(u["id"].as_str().unwrap()).unwrap();
    app.set_password(id, PASSWORD).await;
    let mut b = app.browser();
    assert_eq!(b.login(email, PASSWORD).await.status, StatusCode::SEE_OTHER, "[{}]", app.name());
    let csrf = b.session_csrf().await;
    (b, csrf, id)
}

/// The `href`/`action` ids in a page, e.g. every `/settings/pipelines/{id}` link.
fn ids_after(body: &str, prefix: &str) -> Vec<String> {
    body.match_indices(prefix)
        .map(|(i, _)| body[i + prefix.len()..].chars().take_while(|c| c.is_ascii_hexdigit() || *c == '-').collect::<String>())
        .filter(|s| s.len() == 36)
        .collect()
}

#[tokio::test]
async fn only_admins_see_and_change_settings() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut m, csrf, _) = someone(&app, "mia@example.com", "member").await;
        for path in
            ["/settings", "/settings/workspace", "/settings/pipelines", "/settings/users", "/settings/teams", "/settings/tokens"]
        {
            let p = m.get(path).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}] {path}");
            assert!(p.body.contains("id=\"settings-denied\""), "[{name}] {path}: a clear page {}", p.body);
        }
        let home = m.get("/").await;
        assert!(!home.body.contains("href=\"/settings\""), "[{name}] no settings link for members");
        let post = m
            .post_form(
                "/settings/workspace",
                &[("csrf", &csrf), ("name", "Taken over"), ("currency", "USD"), ("phone_region", "US"), ("time_zone", "UTC")],
            )
            .await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "[{name}]");
        let users = m
            .post_form("/settings/users", &[("csrf", &csrf), ("email", "x@example.com"), ("name", "X"), ("role", "admin")])
            .await;
        assert_eq!(users.status, StatusCode::FORBIDDEN, "[{name}]");
        let ws = app.store.workspace(&app.scope).await.unwrap();
        assert_eq!((ws.name.as_str(), ws.currency.as_str()), ("Test company", "EUR"), "[{name}] unchanged");
        assert!(app.store.user_by_email(app.scope.workspace_id, "x@example.com").await.unwrap().is_none(), "[{name}]");

        // Signed out: to the sign-in page.
        let out = app.browser().get("/settings/users").await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "[{name}]");
        assert!(out.location().unwrap_or_default().starts_with("/login"), "[{name}]");

        // An admin without the CSRF token: refused, nothing changed.
        let (mut b, _) = admin(&app).await;
        let index = b.get("/settings").await;
        assert_eq!(index.status, StatusCode::OK, "[{name}]");
        assert!(index.body.contains("href=\"/settings/pipelines\""), "[{name}]");
        let forged = b
            .post_form(
                "/settings/workspace",
                &[("csrf", "wrong"), ("name", "Forged"), ("currency", "USD"), ("phone_region", "US"), ("time_zone", "UTC")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "[{name}]");
        let no = b.post_form("/settings/pipelines", &[("name", "Forged")]).await;
        assert_eq!(no.status, StatusCode::FORBIDDEN, "[{name}]");
        assert_eq!(app.store.workspace(&app.scope).await.unwrap().name, "Test company", "[{name}]");
        assert_eq!(app.store.pipelines(&app.scope).await.unwrap().len(), 1, "[{name}]");

        // A read-only user: refused too.
        let (mut r, rcsrf, _) = someone(&app, "rita@example.com", "read_only").await;
        assert_eq!(r.get("/settings/pipelines").await.status, StatusCode::FORBIDDEN, "[{name}]");
        let p = app.store.pipelines(&app.scope).await.unwrap().remove(0);
        let renamed = r
            .post_form(
                &format!("/settings/pipelines/{}", p.id),
                &[("csrf", &rcsrf), ("version", &p.version.to_string()), ("name", "Mine")],
            )
            .await;
        assert_eq!(renamed.status, StatusCode::FORBIDDEN, "[{name}]");
        assert_eq!(app.store.pipeline(&app.scope, p.id).await.unwrap().name, p.name, "[{name}] unchanged");

        // Another workspace's pipeline is not found from this one.
        let other = app.store.create_workspace("Other company", "USD", "US").await.unwrap();
        let theirs =
            app.store.pipelines(&rapport_store::Scope::system(other.id, rapport_store::Via::System)).await.unwrap().remove(0);
        assert_eq!(b.get(&format!("/settings/pipelines/{}", theirs.id)).await.status, StatusCode::NOT_FOUND, "[{name}]");
        let csrf = b.session_csrf().await;
        let stage = b
            .post_form(
                &format!("/settings/pipelines/{}/stages", theirs.id),
                &[("csrf", &csrf), ("name", "Sneaky"), ("probability", "5"), ("outcome", "open")],
            )
            .await;
        assert_eq!(stage.status, StatusCode::NOT_FOUND, "[{name}]");
        let system = rapport_store::Scope::system(other.id, rapport_store::Via::System);
        assert_eq!(app.store.pipeline(&system, theirs.id).await.unwrap().stages.len(), theirs.stages.len(), "[{name}]");
    }
}

#[tokio::test]
async fn workspace_defaults_and_visibility_are_saved() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut b, csrf) = admin(&app).await;
        let page = b.get("/settings/workspace").await;
        assert_eq!(page.status, StatusCode::OK, "[{name}]");
        assert!(page.body.contains("<option value=\"Europe/Paris\">"), "[{name}] time zones offered");

        // A bad currency and a bad time zone: both shown beside their field, as typed; nothing saved.
        let bad = b
            .post_form(
                "/settings/workspace",
                &[("csrf", &csrf), ("name", "Acme"), ("currency", "EURO"), ("phone_region", "DE"), ("time_zone", "Mars/Olympus")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(bad.body.contains("id=\"ws-currency-error\""), "[{name}] {}", bad.body);
        assert!(bad.body.contains("id=\"ws-tz-error\""), "[{name}]");
        assert!(!bad.body.contains("id=\"ws-region-error\""), "[{name}] the region is fine");
        assert_eq!(bad.field("currency").as_deref(), Some("EURO"), "[{name}] kept as typed");
        assert_eq!(bad.field("time_zone").as_deref(), Some("Mars/Olympus"), "[{name}]");
        assert_eq!(app.store.workspace(&app.scope).await.unwrap().name, "Test company", "[{name}]");

        let ok = b
            .post_form(
                "/settings/workspace",
                &[
                    ("csrf", &csrf),
                    ("name", "Acme <b>GmbH</b>"),
                    ("currency", "chf"),
                    ("phone_region", "ch"),
                    ("time_zone", "Europe/Zurich"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "[{name}] {}", ok.body);
        let ws = app.store.workspace(&app.scope).await.unwrap();
        assert_eq!(
            (ws.name.as_str(), ws.currency.as_str(), ws.phone_region.as_str(), ws.time_zone.as_str()),
            ("Acme <b>GmbH</b>", "CHF", "CH", "Europe/Zurich"),
            "[{name}]"
        );
        let again = b.get("/settings/workspace?done=saved").await;
        assert!(again.body.contains("Acme &#60;b&#62;GmbH") || again.body.contains("Acme &lt;b&gt;GmbH"), "[{name}] escaped");
        assert!(!again.body.contains("<b>GmbH"), "[{name}]");

        let vis = b
            .post_form(
                "/settings/visibility",
                &[("csrf", &csrf), ("people", "private"), ("deals", "team"), ("organizations", "workspace")],
            )
            .await;
        assert_eq!(vis.status, StatusCode::SEE_OTHER, "[{name}] {}", vis.body);
        let v = app.store.visibility(&app.scope).await.unwrap();
        assert_eq!(v.get(&Kind::Person), Some(&Visibility::Private), "[{name}]");
        assert_eq!(v.get(&Kind::Deal), Some(&Visibility::Team), "[{name}]");
        let wrong = b.post_form("/settings/visibility", &[("csrf", &csrf), ("people", "everyone")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert_eq!(app.store.visibility(&app.scope).await.unwrap().get(&Kind::Person), Some(&Visibility::Private), "[{name}]");
    }
}

#[tokio::test]
async fn pipelines_and_stages_are_edited() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut b, csrf) = admin(&app).await;
        let empty = b.post_form("/settings/pipelines", &[("csrf", &csrf), ("name", "  ")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(empty.body.contains("id=\"pipeline-new-name-error\""), "[{name}] {}", empty.body);

        let made = b.post_form("/settings/pipelines", &[("csrf", &csrf), ("name", "Renewals <script>")]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "[{name}] {}", made.body);
        let at = made.location().unwrap().to_string();
        let pid = Uuid::parse_str(at.trim_start_matches("/settings/pipelines/")).unwrap();
        let p = app.store.pipeline(&app.scope, pid).await.unwrap();
        assert_eq!(p.name, "Renewals <script>", "[{name}]");
        assert_eq!(p.stages.iter().map(|s| s.outcome.as_str()).collect::<Vec<_>>(), ["open", "won", "lost"], "[{name}]");
        let list = b.get("/settings/pipelines").await;
        assert!(!list.body.contains("Renewals <script>"), "[{name}] escaped");
        let edit = b.get(&at).await;
        assert_eq!(edit.status, StatusCode::OK, "[{name}]");
        let v = |p: &rapport_store::pipelines::Pipeline| p.version.to_string();

        // Rename and make it the default.
        let renamed = b.post_form(&at, &[("csrf", &csrf), ("version", &v(&p)), ("name", "Renewals"), ("is_default", "1")]).await;
        assert_eq!(renamed.status, StatusCode::SEE_OTHER, "[{name}] {}", renamed.body);
        let p = app.store.pipeline(&app.scope, pid).await.unwrap();
        assert!(p.name == "Renewals" && p.is_default, "[{name}] {p:?}");

        // Add a stage: an open one goes before won and lost; a bad probability is refused.
        let bad = b
            .post_form(
                &format!("{at}/stages"),
                &[("csrf", &csrf), ("version", &v(&p)), ("name", "Quote"), ("probability", "150"), ("outcome", "open")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(bad.body.contains("id=\"stage-new-error\""), "[{name}] {}", bad.body);
        assert_eq!(bad.field("name").as_deref(), Some("Renewals"), "[{name}] (the pipeline name comes first)");
        let added = b
            .post_form(
                &format!("{at}/stages"),
                &[("csrf", &csrf), ("version", &v(&p)), ("name", "Quote"), ("probability", "40"), ("outcome", "open")],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "[{name}] {}", added.body);
        let p = app.store.pipeline(&app.scope, pid).await.unwrap();
        let names = |p: &rapport_store::pipelines::Pipeline| p.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&p), ["Open", "Quote", "Won", "Lost"], "[{name}]");
        assert_eq!(p.stages[1].probability, 40, "[{name}]");

        // Edit a stage; a stale page is refused.
        let quote = p.stages[1].id;
        let stale = b
            .post_form(
                &format!("{at}/stages/{quote}"),
                &[("csrf", &csrf), ("version", "1"), ("name", "Offer"), ("probability", "60"), ("outcome", "open")],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "[{name}]");
        let saved = b
            .post_form(
                &format!("{at}/stages/{quote}"),
                &[("csrf", &csrf), ("version", &v(&p)), ("name", "Offer"), ("probability", "60"), ("outcome", "open")],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "[{name}] {}", saved.body);
        let p = app.store.pipeline(&app.scope, pid).await.unwrap();
        assert_eq!((p.stages[1].name.as_str(), p.stages[1].probability), ("Offer", 60), "[{name}]");

        // Reorder: up, then down (buttons of the stage's form).
        let up = b.post_form(&format!("{at}/stages/{quote}/up"), &[("csrf", &csrf), ("version", &v(&p))]).await;
        assert_eq!(up.status, StatusCode::SEE_OTHER, "[{name}] {}", up.body);
        let p = app.store.pipeline(&app.scope, pid).await.unwrap();
        assert_eq!(names(&p), ["Offer", "Open", "Won", "Lost"], "[{name}]");
        b.post_form(&format!("{at}/stages/{quote}/down"), &[("csrf", &csrf), ("version", &v(&p))]).await;
        let p = app.store.pipeline(&app.scope, pid).await.unwrap();
        assert_eq!(names(&p), ["Open", "Offer", "Won", "Lost"], "[{name}]");

        // A stage holding a deal cannot go; an empty one can, after the confirmation page.
        let deal = app.create("deals", json!({"name": "Big renewal", "pipeline_id": pid, "stage_id": quote})).await;
        assert_eq!(deal["stage_id"], json!(quote), "[{name}] {deal}");
        let confirm = b.get(&format!("{at}/stages/{quote}/delete")).await;
        assert_eq!(confirm.status, StatusCode::OK, "[{name}]");
        assert!(confirm.body.contains("id=\"confirm-delete\""), "[{name}]");
        let refused = b.post_form(&format!("{at}/stages/{quote}/delete"), &[("csrf", &csrf), ("version", &v(&p))]).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "[{name}]");
        assert!(refused.body.contains("Deals are still in the stage Offer"), "[{name}] {}", refused.body);
        let lost = p.stages[3].id;
        let gone = b.post_form(&format!("{at}/stages/{lost}/delete"), &[("csrf", &csrf), ("version", &v(&p))]).await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER, "[{name}] {}", gone.body);
        assert_eq!(names(&app.store.pipeline(&app.scope, pid).await.unwrap()), ["Open", "Offer", "Won"], "[{name}]");

        // The pipeline: not while it is the default, nor while it holds deals.
        let other = app.store.pipelines(&app.scope).await.unwrap().into_iter().find(|x| x.id != pid).unwrap();
        let del = b.post_form(&format!("{at}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(del.status, StatusCode::CONFLICT, "[{name}]");
        b.post_form(
            &format!("/settings/pipelines/{}", other.id),
            &[("csrf", &csrf), ("version", &other.version.to_string()), ("name", &other.name), ("is_default", "1")],
        )
        .await;
        let del = b.post_form(&format!("{at}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(del.status, StatusCode::CONFLICT, "[{name}]");
        assert!(del.body.contains("Deals are still in this pipeline"), "[{name}] {}", del.body);
        let moved = app
            .patch(
                &format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()),
                json!({"pipeline_id": other.id, "stage_id": other.stages[0].id}),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "[{name}] {}", moved.body);
        let del = b.post_form(&format!("{at}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(del.status, StatusCode::SEE_OTHER, "[{name}] {}", del.body);
        assert!(app.store.pipeline(&app.scope, pid).await.is_err(), "[{name}] deleted");
    }
}

#[tokio::test]
async fn users_are_added_and_their_setup_link_works() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut b, csrf) = admin(&app).await;
        let bad = b
            .post_form(
                "/settings/users",
                &[("csrf", &csrf), ("email", "admin@example.com"), ("name", "Again"), ("role", "member")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(bad.body.contains("id=\"user-new-email-error\""), "[{name}] {}", bad.body);
        assert_eq!(bad.field("name").as_deref(), Some("Again"), "[{name}] kept as typed");

        let made = b
            .post_form(
                "/settings/users",
                &[("csrf", &csrf), ("email", "Nina@Example.com"), ("name", "Nina <New>"), ("role", "manager")],
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "[{name}] {}", made.body);
        assert!(!made.body.contains("Nina <New>"), "[{name}] escaped");
        assert!(made.body.contains("id=\"user-link\""), "[{name}] the one-time link is shown");
        let at = made.body.find("/reset?token=").expect("a reset link");
        let path = made.body[at..].split('"').next().unwrap().to_string();
        let path = path.as_str();
        let nid = app.store.user_by_email(app.scope.workspace_id, "nina@example.com").await.unwrap().expect("created");
        let user = app.store.get(&app.scope, Kind::User, nid).await.unwrap();
        assert_eq!(user["role"], "manager", "[{name}]");

        // The new user sets a password with the link, then signs in with it.
        let mut n = app.browser();
        let form = n.get(path).await;
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        let token = form.field("token").unwrap();
        let ncsrf = form.field("csrf").unwrap();
        let set = n
            .post_form(
                "/reset",
                &[
                    ("csrf", &ncsrf),
                    ("token", &token),
                    ("password", "nina's own password"),
                    ("password_confirm", "nina's own password"),
                ],
            )
            .await;
        assert_eq!(set.status, StatusCode::SEE_OTHER, "[{name}] {}", set.body);
        let mut again = app.browser();
        assert_eq!(again.login("nina@example.com", "nina's own password").await.status, StatusCode::SEE_OTHER, "[{name}]");
        assert_eq!(again.get("/").await.status, StatusCode::OK, "[{name}]");
        assert_eq!(n.get(path).await.status, StatusCode::NOT_FOUND, "[{name}] the link works once");

        // Role, away, deactivation.
        let version = user["version"].to_string();
        let changed = b
            .post_form(
                &format!("/settings/users/{nid}"),
                &[("csrf", &csrf), ("version", &version), ("role", "read_only"), ("active", "1"), ("away", "1")],
            )
            .await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER, "[{name}] {}", changed.body);
        let user = app.store.get(&app.scope, Kind::User, nid).await.unwrap();
        assert_eq!(
            (user["role"].clone(), user["away"].clone(), user["active"].clone()),
            (json!("read_only"), json!(true), json!(true)),
            "[{name}]"
        );
        let stale =
            b.post_form(&format!("/settings/users/{nid}"), &[("csrf", &csrf), ("version", &version), ("role", "member")]).await;
        assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] a stale form");
        let off = b
            .post_form(
                &format!("/settings/users/{nid}"),
                &[("csrf", &csrf), ("version", &user["version"].to_string()), ("role", "read_only")],
            )
            .await;
        assert_eq!(off.status, StatusCode::SEE_OTHER, "[{name}]");
        let user = app.store.get(&app.scope, Kind::User, nid).await.unwrap();
        assert_eq!(user["active"], json!(false), "[{name}]");
        let refused = app.browser().login("nina@example.com", "nina's own password").await;
        assert_ne!(refused.status, StatusCode::SEE_OTHER, "[{name}] an inactive user cannot sign in");

        // The change is in the user's history, made through the web.
        let history = app.get(&format!("/api/v1/users/{nid}/history")).await;
        assert!(history.body["items"].as_array().unwrap().iter().any(|c| c["via"] == "web"), "[{name}] {}", history.body);

        // Not oneself.
        let me = app.store.get(&app.scope, Kind::User, app.user_id).await.unwrap();
        let selfish = b
            .post_form(
                &format!("/settings/users/{}", app.user_id),
                &[("csrf", &csrf), ("version", &me["version"].to_string()), ("role", "member"), ("active", "1")],
            )
            .await;
        assert_eq!(selfish.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert_eq!(app.store.get(&app.scope, Kind::User, app.user_id).await.unwrap()["role"], "admin", "[{name}]");

        // A new link for an existing user.
        let relink = b.post_form(&format!("/settings/users/{}/link", app.user_id), &[("csrf", &csrf)]).await;
        assert_eq!(relink.status, StatusCode::OK, "[{name}]");
        assert!(relink.body.contains("/reset?token="), "[{name}]");
    }
}

#[tokio::test]
async fn teams_are_created_nested_and_staffed() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut b, csrf) = admin(&app).await;
        let mia = app.create("users", json!({"email": "mia@example.com", "name": "Mia", "role": "member"})).await;
        let mia = mia["id"].as_str().unwrap().to_string();
        assert_eq!(
            b.post_form("/settings/teams", &[("csrf", &csrf), ("name", "")]).await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}]"
        );
        assert_eq!(
            b.post_form("/settings/teams", &[("csrf", &csrf), ("name", "Sales")]).await.status,
            StatusCode::SEE_OTHER,
            "[{name}]"
        );
        let page = b.get("/settings/teams").await;
        let sales = ids_after(&page.body, "/settings/teams/")[0].clone();
        let made = b.post_form("/settings/teams", &[("csrf", &csrf), ("name", "Sales EMEA"), ("parent_id", &sales)]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "[{name}] {}", made.body);
        let teams = app.get("/api/v1/teams").await.body["items"].as_array().unwrap().clone();
        let emea = teams.iter().find(|t| t["name"] == "Sales EMEA").unwrap();
        assert_eq!(emea["parent_id"], json!(sales), "[{name}]");
        let eid = emea["id"].as_str().unwrap().to_string();

        let version = |t: &Value| t["version"].to_string();
        let add = b
            .post_form(
                &format!("/settings/teams/{eid}/members"),
                &[("csrf", &csrf), ("version", &version(emea)), ("user_id", &mia)],
            )
            .await;
        assert_eq!(add.status, StatusCode::SEE_OTHER, "[{name}] {}", add.body);
        let t = app.get(&format!("/api/v1/teams/{eid}")).await.body;
        assert_eq!(t["members"], json!([mia]), "[{name}]");
        let renamed = b
            .post_form(
                &format!("/settings/teams/{eid}"),
                &[("csrf", &csrf), ("version", &version(&t)), ("name", "EMEA"), ("parent_id", "")],
            )
            .await;
        assert_eq!(renamed.status, StatusCode::SEE_OTHER, "[{name}] {}", renamed.body);
        let t = app.get(&format!("/api/v1/teams/{eid}")).await.body;
        assert_eq!((t["name"].clone(), t["parent_id"].clone()), (json!("EMEA"), Value::Null), "[{name}]");
        let removed = b
            .post_form(&format!("/settings/teams/{eid}/members/{mia}/remove"), &[("csrf", &csrf), ("version", &version(&t))])
            .await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER, "[{name}] {}", removed.body);
        assert_eq!(app.get(&format!("/api/v1/teams/{eid}")).await.body["members"], json!([]), "[{name}]");

        // The tokens page lists the workspace's tokens and sends to the account page.
        let tokens = b.get("/settings/tokens").await;
        assert_eq!(tokens.status, StatusCode::OK, "[{name}]");
        assert!(tokens.body.contains("tests") && tokens.body.contains("href=\"/account#tokens-heading\""), "[{name}]");
    }
}

#[tokio::test]
async fn the_locale_preference_changes_how_money_is_shown() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut m, csrf, mid) = someone(&app, "mia@example.com", "member").await;
        app.create("deals", json!({"name": "Big one", "amount_minor": 123450, "owner_id": mid})).await;
        let home = m.get("/").await;
        assert!(home.body.contains("€1,234.50"), "[{name}] {}", home.body);

        let bad =
            m.post_form("/account/preferences", &[("csrf", &csrf), ("locale", "xx-YY"), ("time_zone", "Nowhere/Land")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(
            bad.body.contains("id=\"pref-locale-error\"") && bad.body.contains("id=\"pref-tz-error\""),
            "[{name}] {}",
            bad.body
        );
        assert_eq!(bad.field("time_zone").as_deref(), Some("Nowhere/Land"), "[{name}]");
        let forged = m.post_form("/account/preferences", &[("locale", "de-DE"), ("time_zone", "")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "[{name}]");

        // A member may set their own preferences.
        let ok =
            m.post_form("/account/preferences", &[("csrf", &csrf), ("locale", "de-DE"), ("time_zone", "Europe/Berlin")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "[{name}] {}", ok.body);
        let me = app.store.get(&app.scope, Kind::User, mid).await.unwrap();
        assert_eq!((me["locale"].clone(), me["time_zone"].clone()), (json!("de-DE"), json!("Europe/Berlin")), "[{name}]");
        let home = m.get("/").await;
        assert!(home.body.contains("1.234,50\u{a0}€"), "[{name}] {}", home.body);
        assert!(home.body.contains("<html lang=\"en\">"), "[{name}] English text, German numbers");
        let account = m.get("/account?done=preferences").await;
        assert!(account.body.contains("<option value=\"de-DE\" selected>"), "[{name}]");

        // Empty: back to the browser's language and the workspace's zone.
        m.post_form("/account/preferences", &[("csrf", &csrf), ("locale", ""), ("time_zone", "")]).await;
        let me = app.store.get(&app.scope, Kind::User, mid).await.unwrap();
        assert!(me["locale"].is_null() && me["time_zone"].is_null(), "[{name}] {me:?}");
        assert!(m.get("/").await.body.contains("€1,234.50"), "[{name}]");
    }
}
