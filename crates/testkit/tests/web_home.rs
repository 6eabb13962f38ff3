//! The home page and global search in the browser: what needs me today, my
//! deals by stage, the first-run state, the frame every page shares, and
//! search results across kinds (a phone typed in another format included).

use rapport_testkit::TestApp;
use rapport_testkit::browser::Browser;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::json;

const PASSWORD: &str = "correct horse battery";

async fn signed_in(app: &TestApp) -> Browser {
    app.set_password(app.user_id, PASSWORD).await;
    let mut b = app.browser();
    let done = b.login("admin@example.com", PASSWORD).await;
    assert_eq!(done.location(), Some("/"), "[{}] sign-in lands home", app.name());
    b
}

#[tokio::test]
async fn home_teaches_first_then_shows_my_day() {
    for app in TestApp::all().await {
        let name = app.name();
        // Signed out: the sign-in page, coming back to the page asked for.
        let mut anon = app.browser();
        let r = anon.get("/search?q=x").await;
        assert_eq!(r.location(), Some("/login?next=/search%3Fq%3Dx"), "[{name}]");

        let mut b = signed_in(&app).await;
        let first = b.get("/").await;
        assert_eq!(first.status, StatusCode::OK, "[{name}] {}", first.body);
        assert!(first.body.contains("Welcome to Rapport"), "[{name}] first-run state");
        assert!(first.body.contains("action=\"/demo\""), "[{name}] an admin may load the demo");
        assert!(first.body.contains("href=\"/import\""), "[{name}] import is offered");
        assert!(first.body.contains("<meta name=\"csrf-token\""), "[{name}] scripts get the CSRF token");
        assert!(!first.body.contains("style=\""), "[{name}] no inline styles (CSP)");

        let me = app.user_id.to_string();
        let due = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
        app.create("tasks", json!({"title": "Call <Bob> back", "due_at": due, "assignee_user_id": me})).await;
        let later = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
        app.create("tasks", json!({"title": "Next week's thing", "due_at": later, "assignee_user_id": me})).await;
        app.create("deals", json!({"name": "Big one", "amount_minor": 123450, "owner_id": me})).await;

        let home = b.get("/").await;
        assert!(!home.body.contains("Welcome to Rapport"), "[{name}] no first-run state once there is data");
        assert!(home.body.contains("Call &#60;Bob&#62; back"), "[{name}] overdue task, escaped: {}", home.body);
        assert!(!home.body.contains("<Bob>"), "[{name}] escaped");
        assert!(!home.body.contains("Next week"), "[{name}] only today's and overdue tasks");
        assert!(home.body.contains("Overdue"), "[{name}]");
        assert!(home.body.contains("€1,234.50"), "[{name}] my pipeline in the workspace currency: {}", home.body);
        assert!(
            home.body.contains("New business") || home.body.contains("Qualification") || home.body.contains("<td>"),
            "[{name}]"
        );
    }
}

/// The figures count all of my work, not the first page of it; money in
/// different currencies is never added up; recent activity is that on the
/// records I own.
#[tokio::test]
async fn home_counts_all_my_work_and_shows_activity_on_my_records() {
    for app in TestApp::all().await {
        let name = app.name();
        let me = app.user_id.to_string();
        let user = json!({"email": "colleague@example.com", "name": "A colleague", "role": "member"});
        let colleague = app.create("users", user).await["id"].as_str().unwrap().to_string();
        let overdue = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
        for i in 0..23 {
            app.create("tasks", json!({"title": format!("Late {i}"), "due_at": overdue, "assignee_user_id": me})).await;
        }
        let done = app.create("tasks", json!({"title": "Done already", "due_at": overdue, "assignee_user_id": me})).await;
        let a = app.patch(&format!("/api/v1/tasks/{}", done["id"].as_str().unwrap()), json!({"status": "done"})).await;
        assert_eq!(a.status, StatusCode::OK, "[{name}] {}", a.body);
        app.create("tasks", json!({"title": "Someone else's", "due_at": overdue, "assignee_user_id": colleague})).await;

        for (amount, currency) in [(1_000, "EUR"), (2_000, "EUR"), (500, "USD")] {
            app.create(
                "deals",
                json!({"name": format!("{currency} {amount}"), "amount_minor": amount, "currency": currency, "owner_id": me}),
            )
            .await;
        }
        let won = app.create("deals", json!({"name": "Won one", "amount_minor": 9_900, "owner_id": me})).await;
        let a = app.patch(&format!("/api/v1/deals/{}", won["id"].as_str().unwrap()), json!({"status": "won"})).await;
        assert_eq!(a.status, StatusCode::OK, "[{name}] {}", a.body);
        app.create("deals", json!({"name": "A colleague's", "amount_minor": 7_700, "owner_id": colleague})).await;

        let mine = app.create("people", json!({"first_name": "Mine", "owner_id": me})).await;
        let other = app.create("people", json!({"first_name": "Theirs", "owner_id": colleague})).await;
        app.create("activities", json!({"type": "call", "subject": "Call on my contact", "people": [mine["id"]]})).await;
        app.create("activities", json!({"type": "call", "subject": "Call on another contact", "people": [other["id"]]})).await;

        let mut b = signed_in(&app).await;
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "[{name}] {}", home.body);
        let figure = |label: &str| {
            let end =
                home.body.find(&format!("<span class=\"l\">{label}")).unwrap_or_else(|| panic!("[{name}] no figure {label}"));
            let start = home.body[..end].rfind("<span class=\"n\">").unwrap() + "<span class=\"n\">".len();
            home.body[start..end].replace("</span>", "")
        };
        assert_eq!(figure("Overdue tasks"), "23", "[{name}] every overdue task of mine, not the 20 listed");
        assert_eq!(figure("My open deals"), "3", "[{name}] open deals of mine only");
        let amount = figure("In my pipeline");
        assert!(amount.contains("€30.00") && amount.contains("$5.00"), "[{name}] currencies apart: {amount}");
        assert!(!amount.contains("35.00"), "[{name}] euros and dollars never added: {amount}");
        assert!(home.body.contains("Call on my contact"), "[{name}] activity on my record");
        assert!(!home.body.contains("Call on another contact"), "[{name}] not on a record I don't own");
    }
}

#[tokio::test]
async fn a_quiet_owners_recent_activity_is_found_behind_a_busy_workspaces_latest() {
    for app in TestApp::all().await {
        let name = app.name();
        let me = app.user_id.to_string();
        let mine = app.create("people", json!({"first_name": "Mine", "owner_id": me})).await;
        let last_week = (chrono::Utc::now() - chrono::Duration::days(7)).to_rfc3339();
        let call = json!({"type": "call", "subject": "Call of last week", "occurred_at": last_week, "people": [mine["id"]]});
        app.create("activities", call).await;
        // More activities since, on nobody's record, than the home page looks through.
        let busy: Vec<_> = (0..rapport_store::overview::RECENT_WINDOW + 100)
            .map(|i| rapport_testkit::obj(json!({"type": "note", "subject": format!("Busy {i}")})))
            .collect();
        for batch in busy.chunks(500) {
            app.store.create_many(&app.scope, rapport_domain::Kind::Activity, batch).await.unwrap();
        }
        let mut b = signed_in(&app).await;
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "[{name}] {}", home.body);
        assert!(home.body.contains("Call of last week"), "[{name}] the activity on my record: {}", home.body);
        assert!(!home.body.contains("Busy 1"), "[{name}] not the others");
    }
}

#[tokio::test]
async fn home_speaks_the_readers_locale() {
    for app in TestApp::all().await {
        let name = app.name();
        let me = app.user_id.to_string();
        app.create("deals", json!({"name": "Groß", "amount_minor": 123450, "owner_id": me})).await;
        let mut b = signed_in(&app).await;
        b.extra_headers.push(("accept-language".into(), "de-DE,de;q=0.9".into()));
        let home = b.get("/").await;
        assert!(home.body.contains("1.234,50\u{a0}€"), "[{name}] German number format: {}", home.body);
        // The text is still English (the only catalog so far): the page says so
        // to screen readers, while numbers follow the German locale.
        assert!(home.body.contains("<html lang=\"en\">"), "[{name}] the page's language is its text's");
    }
}

/// Open deals in two currencies: each stage and the key figure show a sum per
/// currency, never euros and dollars added together.
#[tokio::test]
async fn home_sums_each_currency_apart() {
    for app in TestApp::all().await {
        let name = app.name();
        let me = app.user_id.to_string();
        app.create("deals", json!({"name": "Euro deal", "amount_minor": 100_000, "currency": "EUR", "owner_id": me})).await;
        app.create("deals", json!({"name": "Dollar deal", "amount_minor": 50_000, "currency": "USD", "owner_id": me})).await;
        let mut b = signed_in(&app).await;
        let home = b.get("/").await;
        assert!(home.body.contains("€1,000.00 + $500.00"), "[{name}] a sum per currency: {}", home.body);
        assert!(!home.body.contains("€1,500.00"), "[{name}] dollars are not counted as euros");
    }
}

#[tokio::test]
async fn search_finds_across_kinds_and_phone_formats() {
    for app in TestApp::all().await {
        let name = app.name();
        let org = app.create("organizations", json!({"name": "Société Générale d'Essai", "domains": ["essai.example"]})).await;
        app.create(
            "people",
            json!({"first_name": "Zoé", "last_name": "Lambert", "phones": [{"number": "+33 1 42 68 53 00"}], "organizations": [{"id": org["id"]}]}),
        )
        .await;
        let mut b = signed_in(&app).await;

        let page = b.get("/search?q=01%2042%2068%2053%2000").await;
        assert_eq!(page.status, StatusCode::OK, "[{name}]");
        assert!(page.body.contains("Zoé Lambert"), "[{name}] found by a national-format phone: {}", page.body);
        assert!(page.body.contains("matched on"), "[{name}] the matching field is shown");

        let page = b.get("/search?q=societe").await;
        assert!(page.body.contains("Société Générale"), "[{name}] accents folded");
        let only_people = b.get("/search?q=societe&kind=people").await;
        assert!(!only_people.body.contains("href=\"/organizations/"), "[{name}] the kind tab narrows");

        let none = b.get("/search?q=nobody-here-xyz").await;
        assert!(none.body.contains("Nothing matches"), "[{name}]");
        let long = b.get(&format!("/search?q={}", "a".repeat(300))).await;
        assert_eq!(long.status, StatusCode::OK, "[{name}]");
        assert!(long.body.contains("too long"), "[{name}]");
    }
}

#[tokio::test]
async fn assets_are_served_versioned() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = signed_in(&app).await;
        let home = b.get("/").await;
        let css = home.body.split("href=\"/assets/rapport.css?v=").nth(1).and_then(|s| s.split('"').next()).expect("css link");
        let js = home.body.split("src=\"/assets/rapport.js?v=").nth(1).and_then(|s| s.split('"').next()).expect("script");
        let r = b.get(&format!("/assets/rapport.css?v={css}")).await;
        assert_eq!(r.status, StatusCode::OK, "[{name}]");
        assert!(r.header("cache-control").unwrap().contains("immutable"), "[{name}]");
        let r = b.get(&format!("/assets/rapport.js?v={js}")).await;
        assert!(r.body.contains("Rapport"), "[{name}]");
        assert_eq!(b.get("/assets/rapport.js").await.header("cache-control"), Some("no-cache"), "[{name}]");
        assert_eq!(b.get("/assets/nothing.js").await.status, StatusCode::NOT_FOUND, "[{name}]");
    }
}

/// An address no route knows: a page for people (signed in or not), in the
/// frame they are in, from the catalog, with a way home and the same CSP as
/// every page; under /api/ the API's problem+json, as before.
#[tokio::test]
async fn unknown_addresses_answer_a_page_and_the_api_keeps_its_problems() {
    for app in TestApp::all().await {
        let name = app.name();
        let check = |page: &rapport_testkit::browser::Page, who: &str| {
            assert_eq!(page.status, StatusCode::NOT_FOUND, "[{name}] {who}: {}", page.body);
            assert!(page.header("content-type").is_some_and(|c| c.starts_with("text/html")), "[{name}] {who}");
            assert!(
                page.body.contains("<h1 id=\"not-found\">Page not found</h1>") || page.body.contains("<h1>Page not found</h1>"),
                "[{name}] {who}: {}",
                page.body
            );
            assert!(page.body.contains("There is no page at this address."), "[{name}] {who}");
            assert!(page.body.contains("<a href=\"/\">Go to the home page</a>"), "[{name}] {who}: a link home");
            let csp = page.header("content-security-policy").unwrap_or_default();
            assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"), "[{name}] {who}: {csp}");
            assert!(!page.body.contains("style=\""), "[{name}] {who}: no inline style");
            assert!(!page.body.contains("<script>"), "[{name}] {who}: no inline script");
            assert!(!page.body.contains("no such route"), "[{name}] {who}: not the API's problem");
        };

        let mut anon = app.browser();
        let page = anon.get("/no/such/page").await;
        check(&page, "signed out");
        assert!(!page.body.contains("class=\"appbar\""), "[{name}] the signed-out frame");

        let mut b = signed_in(&app).await;
        let page = b.get("/no/such/page?x=1").await;
        check(&page, "signed in");
        assert!(page.body.contains("class=\"appbar\""), "[{name}] the app's frame for someone signed in");

        for path in ["/api/v1/nothing-here", "/api/nothing", "/api"] {
            let a = b.api(rapport_testkit::reqwest::Method::GET, path, None, &[]).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "[{name}] {path}");
            assert!(
                a.header("content-type").is_some_and(|c| c.starts_with("application/problem+json")),
                "[{name}] {path}: {:?}",
                a.header("content-type")
            );
        }
    }
}
