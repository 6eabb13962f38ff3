//! The main journeys in a real headless Chromium, at desktop and at phone
//! width: first-run setup and sign-in; an organization, a person, a call and
//! a follow-up; a deal dragged to the next stage; a saved view; a person found
//! by a phone number typed another way; every main page with the demo company;
//! the empty lists of a new workspace and a custom kind's pages; the main work
//! with the keyboard alone; and the plain forms with scripts off. See the harness in `ui/mod.rs`.

mod ui;

use rapport_testkit::TestApp;
use rapport_testkit::serde_json::{Value, json};
use ui::{Ctx, PASSWORD, Tab, journey};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browser_journeys() {
    ui::run(vec![
        // The longest first: the journeys share a few slots.
        journey("main pages with the demo company", main_pages),
        journey("setup and sign in", setup_and_sign_in).on_postgres(),
        journey("home and account", home_and_account),
        journey("organization, person, call and follow-up", contacts_call_and_follow_up).on_postgres(),
        journey("deal to the next stage", deal_to_next_stage).on_postgres(),
        journey("saved view", saved_view),
        journey("find by phone", find_by_phone),
        journey("without script", without_script),
        journey("empty lists and custom kinds", empty_lists_and_custom_kinds),
        journey("keyboard only", keyboard_only),
        journey("harness sees errors", harness_sees_errors),
    ])
    .await;
}

/// A new workspace: the setup link makes the first admin, who lands signed in
/// on the first-run home page, signs out, and signs in again at /login.
async fn setup_and_sign_in(ctx: Ctx) {
    let app = ctx.app().await;
    let ws = app.store.create_workspace("Setup company", "EUR", "FR").await.expect("workspace");
    let token = app.store.create_setup_link(ws.id).await.expect("setup link");
    let tab = ctx.tab(&app).await;

    tab.goto(&format!("/setup?token={token}")).await;
    assert!(tab.body_text().await.contains("Setup company"), "[{}] the setup page names the workspace", tab.label);
    tab.check_page("setup").await;
    tab.fill("#name", "Owen Owner").await;
    tab.fill("#email", "owner@example.com").await;
    tab.fill("#password", PASSWORD).await;
    tab.fill("#password_confirm", PASSWORD).await;
    tab.click_to_page("form[action='/setup'] button[type=submit]").await;
    assert_eq!(tab.path().await, "/", "[{}] {}", tab.label, tab.body_text().await);
    tab.wait_for_element(".firstrun").await;
    tab.check_page("home-first-run").await;

    // Sign out from the user menu.
    tab.click(".usermenu summary").await;
    tab.click_to_page(".usermenu form[action='/logout'] button").await;
    assert!(tab.path().await.starts_with("/login"), "[{}] after signing out: {}", tab.label, tab.path().await);
    tab.goto("/").await;
    assert!(tab.path().await.starts_with("/login"), "[{}] signed out, home sends to sign in", tab.label);
    tab.check_page("login").await;

    // A wrong password is refused, with the form shown again.
    tab.allow_console("status of 4");
    tab.fill("#email", "owner@example.com").await;
    tab.fill("#password", "not the password").await;
    tab.click_to_page("form[action='/login'] button[type=submit]").await;
    assert!(tab.path().await.starts_with("/login"), "[{}] a wrong password stays on /login", tab.label);
    assert!(tab.exists("#password").await);

    tab.login("owner@example.com", PASSWORD).await;
    tab.wait_for_element(".firstrun").await;
    tab.finish().await;
}

async fn home_and_account(ctx: Ctx) {
    let (app, tab) = ctx.signed_in().await;
    app.create("people", rapport_testkit::serde_json::json!({"first_name": "Grace", "last_name": "Hopper"})).await;
    tab.goto("/").await;
    tab.check_page("home").await;
    tab.goto("/account").await;
    assert!(tab.body_text().await.contains(ui::ADMIN_EMAIL), "[{}] the account page shows the email", tab.label);
    tab.check_page("account").await;
    tab.finish().await;
}

/// The id in a record page's path (`/people/<id>?done=created`).
async fn record_id(tab: &Tab, collection: &str) -> String {
    let path = tab.path().await;
    let rest = path
        .strip_prefix(&format!("/{collection}/"))
        .unwrap_or_else(|| panic!("[{}] not a {collection} page: {path}", tab.label));
    rest.split(['?', '#', '/']).next().unwrap_or_default().to_string()
}

/// A record as the API shows it.
async fn api_record(app: &TestApp, collection: &str, id: &str) -> Value {
    let a = app.get(&format!("/api/v1/{collection}/{id}")).await;
    assert_eq!(a.status, 200, "[{}] GET {collection}/{id}: {}", app.name(), a.body);
    a.body
}

/// Creates an organization and a person at it from the new-record forms, logs
/// a call on the person and schedules a follow-up; each step is checked in
/// the store, not only on screen.
async fn contacts_call_and_follow_up(ctx: Ctx) {
    let (app, tab) = ctx.signed_in().await;

    tab.goto("/organizations/new").await;
    tab.check_page("new-organization").await;
    tab.fill("#new-name", "Acme Corporation").await;
    tab.fill("#new-phone", "+33 1 40 00 00 00").await;
    tab.click_to_page("#new-submit").await;
    let org_id = record_id(&tab, "organizations").await;
    assert_eq!(tab.text("#record-title").await, "Acme Corporation", "[{}]", tab.label);
    assert_eq!(api_record(&app, "organizations", &org_id).await["name"], "Acme Corporation", "[{}]", tab.label);
    tab.check_page("organization").await;

    // From the home page, as a newcomer would.
    tab.goto("/").await;
    tab.click_to_page("a[href='/people/new']").await;
    tab.check_page("new-person").await;
    tab.fill("#new-first_name", "Grace").await;
    tab.fill("#new-last_name", "Hopper").await;
    tab.fill("#new-email", "grace@acme.example").await;
    tab.fill("#new-phone", "+33 1 42 68 53 00").await;
    // The organization is found by its name as one types: no list of every organization.
    tab.fill("#new-organization_id-q", "Acme").await;
    tab.wait_for_element("#new-organization_id option:not([value=''])").await;
    tab.select_by_text("#new-organization_id", "Acme Corporation").await;
    tab.click_to_page("#new-submit").await;
    let person_id = record_id(&tab, "people").await;
    assert!(tab.text("#record-title").await.contains("Grace Hopper"), "[{}]", tab.label);
    let person = api_record(&app, "people", &person_id).await;
    assert_eq!(person["last_name"], "Hopper", "[{}] {person}", tab.label);
    assert!(person["phones"].to_string().contains("+33142685300"), "[{}] the phone in E.164 too: {person}", tab.label);
    assert!(person["organizations"].to_string().contains(&org_id), "[{}] works at Acme: {person}", tab.label);
    assert!(tab.exists("a[href^='tel:']").await, "[{}] the phone is a tel: link", tab.label);
    tab.check_page("person").await;

    // A key field edited where it is shown, saved through the API. A value
    // the API refuses is explained from the page's catalog, not in the API's English.
    tab.allow_console("status of 422");
    tab.click("#fact-title .inplace-edit").await;
    tab.fill("#inplace-title", &"x".repeat(600)).await;
    tab.key("Enter").await;
    tab.wait_for("!document.getElementById('inplace-title-error').hidden", "the refusal shown").await;
    assert_eq!(tab.text("#inplace-title-error").await.trim(), "This is too long.", "[{}] from the catalog", tab.label);
    tab.fill("#inplace-title", "Rear admiral").await;
    tab.key("Enter").await;
    tab.wait_for(
        "document.querySelector('#fact-title .value').textContent.trim() === 'Rear admiral'",
        "the title saved in place",
    )
    .await;
    assert_eq!(api_record(&app, "people", &person_id).await["title"], "Rear admiral", "[{}] saved in the store", tab.label);

    // Log a call in one click.
    tab.fill("#log-subject", "Introduction call").await;
    tab.fill("#log-body", "Interested in the yearly plan.").await;
    tab.click_to_page("#log-call").await;
    tab.wait_for_element("#record-timeline").await;
    assert!(tab.text("#record-timeline").await.contains("Introduction call"), "[{}] the call is on the timeline", tab.label);
    let activities = app.list_all("/api/v1/activities").await;
    let call = activities.iter().find(|a| a["subject"] == "Introduction call").expect("the call is stored");
    assert_eq!(call["type"], "call", "[{}] {call}", tab.label);
    assert!(call["people"].to_string().contains(&person_id), "[{}] the call concerns Grace: {call}", tab.label);

    // And the next follow-up, due tomorrow morning.
    let due = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT10:00").to_string();
    tab.fill("#follow-title", "Send the proposal").await;
    tab.set_value("#follow-due_at", &due).await;
    tab.click_to_page("#follow-up-submit").await;
    assert!(tab.body_text().await.contains("Send the proposal"), "[{}] the follow-up is shown", tab.label);
    let tasks = app.list_all("/api/v1/tasks").await;
    let task = tasks.iter().find(|t| t["title"] == "Send the proposal").expect("the follow-up is stored");
    assert!(task["due_at"].is_string(), "[{}] the follow-up has a due date: {task}", tab.label);
    assert!(task["people"].to_string().contains(&person_id), "[{}] linked to Grace: {task}", tab.label);
    tab.check_page("person-after-call").await;
    tab.finish().await;
}

/// The stage a deal is in, as stored.
async fn stage_of(app: &TestApp, id: &str) -> String {
    api_record(app, "deals", id).await["stage_id"].as_str().unwrap_or_default().to_string()
}

/// Waits until the store says the deal is in this stage.
async fn wait_for_stage(app: &TestApp, tab: &Tab, id: &str, stage: &str) {
    for _ in 0..100 {
        if stage_of(app, id).await == stage {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("[{}] the deal stayed in stage {} instead of {stage}", tab.label, stage_of(app, id).await);
}

/// Drags a deal to the next stage on the board with the mouse (desktop), or
/// moves it with the card's "Move to" control (phone); checked in the store.
async fn deal_to_next_stage(ctx: Ctx) {
    let (app, tab) = ctx.signed_in().await;
    let pipelines = app.store.pipelines(&app.scope).await.expect("pipelines");
    let pipeline = pipelines.iter().find(|p| p.is_default).expect("a default pipeline");
    let (first, second) = (pipeline.stages[0].id.to_string(), pipeline.stages[1].id.to_string());
    let org = app.create("organizations", json!({"name": "Acme Corporation"})).await;
    let deal = app
        .create(
            "deals",
            json!({"name": "Acme yearly plan", "stage_id": first, "amount_minor": 1_200_000, "currency": "EUR",
                   "owner_id": app.user_id, "organization_id": org["id"]}),
        )
        .await;
    let id = deal["id"].as_str().expect("deal id").to_string();
    app.create("deals", json!({"name": "Globex pilot", "stage_id": second, "amount_minor": 300_000, "currency": "EUR"})).await;

    tab.goto("/board").await;
    let card = format!("#deal-{id}");
    tab.wait_for_element(&format!("#stage-{first} {card}")).await;
    tab.check_page("board").await;
    if ctx.width.is_phone() {
        tab.click_to_page(&format!("{card} .board-move")).await;
        tab.check_page("board-move").await;
        tab.set_value("#move-stage", &second).await;
        tab.click_to_page("#move-submit").await;
    } else {
        tab.drag(&format!("{card} .board-card-meta"), &format!("#stage-{second} .board-colhead")).await;
        tab.wait_for_element(&format!("#stage-{second} {card}")).await;
        // One catalog message with the stage in its place.
        let said = tab.text("#live-status").await;
        assert_eq!(said.trim(), format!("Deal moved to {}.", pipeline.stages[1].name), "[{}]", tab.label);
    }
    wait_for_stage(&app, &tab, &id, &second).await;
    assert_eq!(
        app.store.stage_history(&app.scope, uuid(&id)).await.map(|h| h.len()).unwrap_or(0),
        2,
        "[{}] stage history",
        tab.label
    );
    // The page drawn again shows it there too.
    tab.goto("/board").await;
    tab.wait_for_element(&format!("#stage-{second} {card}")).await;
    assert_eq!(tab.count(&format!("#stage-{first} .board-card")).await, 0, "[{}] the first stage is empty", tab.label);
    tab.finish().await;
}

fn uuid(s: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(s).expect("uuid")
}

/// Filters the people list, saves the filter as a view, and uses the view later.
async fn saved_view(ctx: Ctx) {
    let (app, tab) = ctx.signed_in().await;
    for (first, last, stage) in [("Grace", "Hopper", "customer"), ("Alan", "Turing", "customer"), ("Ada", "Lovelace", "lead")] {
        app.create("people", json!({"first_name": first, "last_name": last, "lifecycle_stage": stage})).await;
    }
    let rows = "#list-table tbody tr";
    tab.goto("/people").await;
    tab.wait_for_element(rows).await;
    assert_eq!(tab.count(rows).await, 3, "[{}] every person listed", tab.label);
    tab.check_page("people").await;

    tab.open_details("#list-filter-panel").await;
    tab.mark().await;
    tab.set_value("#filter-lifecycle_stage", "customer").await;
    tab.wait_for_new_page("the list filtered").await;
    assert_eq!(tab.count(rows).await, 2, "[{}] customers only: {}", tab.label, tab.body_text().await);

    tab.open_details("#list-save-view").await;
    tab.fill("#view-name", "My customers").await;
    tab.click_to_page("#view-save").await;
    assert!(tab.path().await.contains("view="), "[{}] the view is applied: {}", tab.label, tab.path().await);
    let views = app.store.views(&app.scope, rapport_domain::Kind::Person).await.expect("views");
    assert_eq!(views.iter().filter(|v| v.name == "My customers").count(), 1, "[{}] the view is stored", tab.label);

    // Later: the plain list, then the view.
    tab.goto("/people").await;
    assert_eq!(tab.count(rows).await, 3, "[{}]", tab.label);
    let link = tab
        .eval("(function () { var a = Array.prototype.find.call(document.querySelectorAll('#list-views a'), function (a) { return a.textContent.trim() === 'My customers'; }); return a ? '#' + a.id : null; })()")
        .await;
    let link = link.as_str().unwrap_or_else(|| panic!("[{}] no link to the saved view", tab.label)).to_string();
    tab.click_to_page(&link).await;
    assert_eq!(tab.count(rows).await, 2, "[{}] the view shows the customers", tab.label);
    let names = tab.text("#list-table tbody").await;
    assert!(names.contains("Hopper") && names.contains("Turing") && !names.contains("Lovelace"), "[{}] {names}", tab.label);
    assert_eq!(tab.eval(&format!("document.querySelector({}).getAttribute('aria-current')", ui::js(&link))).await, "true");
    tab.check_page("people-view").await;
    tab.finish().await;
}

/// A person saved with an international number is found by the national
/// forms of it, from the results page and from the Ctrl+K palette.
async fn find_by_phone(ctx: Ctx) {
    let (app, tab) = ctx.signed_in().await;
    let grace =
        app.create("people", json!({"first_name": "Grace", "last_name": "Hopper", "phones": ["+33 1 42 68 53 00"]})).await;
    app.create("people", json!({"first_name": "Alan", "last_name": "Turing", "phones": ["+44 20 7946 0000"]})).await;
    let href = format!("/people/{}", grace["id"].as_str().expect("id"));

    // The search box, then Enter: the results page.
    tab.goto("/").await;
    tab.fill("#appsearch-q", "01 42 68 53 00").await;
    tab.mark().await;
    tab.key("Enter").await;
    tab.wait_for_new_page("the search results").await;
    assert!(tab.path().await.starts_with("/search"), "[{}] {}", tab.label, tab.path().await);
    let result = format!("#search-results a[href='{href}']");
    tab.wait_for_element(&result).await;
    assert!(!tab.text("#search-results").await.contains("Turing"), "[{}] only Grace matches", tab.label);
    tab.check_page("search").await;
    tab.click_to_page(&result).await;
    assert_eq!(tab.path().await, href, "[{}]", tab.label);

    // Ctrl+K from anywhere, type, pick the first instant result.
    tab.goto("/people").await;
    tab.key_with("k", 2).await;
    tab.wait_for("document.activeElement && document.activeElement.id === 'appsearch-q'", "Ctrl+K to focus the search box").await;
    tab.page.execute(chromiumoxide::cdp::browser_protocol::input::InsertTextParams::new("0142685300")).await.expect("type");
    tab.wait_for(
        "Array.prototype.some.call(document.querySelectorAll('#palette-results [role=option]'), function (o) { return o.textContent.indexOf('Grace Hopper') >= 0; })",
        "Grace among the instant results",
    )
    .await;
    tab.check_page("search-palette").await;
    tab.mark().await;
    tab.key("ArrowDown").await;
    tab.key("Enter").await;
    tab.wait_for_new_page("the person from the palette").await;
    assert_eq!(tab.path().await, href, "[{}]", tab.label);
    tab.finish().await;
}

/// Loads the demo company from the first-run page, then visits every main
/// page and a record of each kind: each is photographed and checked (console,
/// sideways scroll, accessibility); every page's failure is reported, not
/// only the first.
async fn main_pages(ctx: Ctx) {
    let (_app, tab) = ctx.signed_in().await;
    tab.wait_for_element(".firstrun").await;
    tab.click_to_slow_page(".firstrun form[action='/demo'] button").await;
    assert!(tab.path().await.starts_with("/?demo=loaded"), "[{}] after loading the demo: {}", tab.label, tab.path().await);

    let pages = [
        ("home-demo", "/"),
        ("people-demo", "/people"),
        ("organizations", "/organizations"),
        ("deals", "/deals"),
        ("tasks", "/tasks"),
        ("activities", "/activities"),
        ("board-demo", "/board"),
        ("calendar-week", "/calendar?view=week"),
        ("calendar-day", "/calendar?view=day"),
        ("search-demo", "/search?q=a"),
        ("import", "/import"),
        ("settings", "/settings"),
        ("settings-workspace", "/settings/workspace"),
        ("settings-pipelines", "/settings/pipelines"),
        ("settings-users", "/settings/users"),
        ("settings-teams", "/settings/teams"),
        ("settings-tokens", "/settings/tokens"),
        ("automation", "/settings/automation"),
        ("automation-workflow-new", "/settings/automation/workflows/new"),
        ("automation-rules", "/settings/automation/rules"),
        ("automation-webhooks", "/settings/automation/webhooks"),
    ];

    let mut failures = Vec::new();
    for (name, path) in pages {
        if let Err(why) = ui::attempt(async {
            tab.goto(path).await;
            tab.check_page(name).await;
        })
        .await
        {
            failures.push(why);
            tab.take_errors();
        }
    }
    // A record page of each kind, reached from its list.
    for (name, list) in
        [("person-demo", "/people"), ("organization-demo", "/organizations"), ("deal", "/deals"), ("task", "/tasks")]
    {
        if let Err(why) = ui::attempt(async {
            tab.goto(list).await;
            tab.click_to_page("#list-table tbody tr a[href]").await;
            tab.wait_for_element("#record-title").await;
            tab.check_page(name).await;
        })
        .await
        {
            failures.push(why);
            tab.take_errors();
        }
    }
    assert!(failures.is_empty(), "{} page(s) failed:\n{}", failures.len(), failures.join("\n"));
    tab.finish().await;
}

/// With the page's scripts turned off, plain links and forms still do the
/// work: search from the box, filter a list, move a deal with "Move to",
/// choose an organization found by name.
async fn without_script(ctx: Ctx) {
    if ctx.width.is_phone() {
        return;
    }
    let (app, tab) = ctx.signed_in().await;
    tab.disable_scripts().await;
    let grace = app
        .create(
            "people",
            json!({"first_name": "Grace", "last_name": "Hopper", "phones": ["+33 1 42 68 53 00"], "lifecycle_stage": "customer"}),
        )
        .await;
    app.create("people", json!({"first_name": "Ada", "last_name": "Lovelace", "lifecycle_stage": "lead"})).await;
    let pipelines = app.store.pipelines(&app.scope).await.expect("pipelines");
    let pipeline = pipelines.iter().find(|p| p.is_default).expect("a default pipeline");
    let (first, second) = (pipeline.stages[0].id.to_string(), pipeline.stages[1].id.to_string());
    let deal = app
        .create("deals", json!({"name": "Acme yearly plan", "stage_id": first, "amount_minor": 100_000, "currency": "EUR"}))
        .await;
    let id = deal["id"].as_str().expect("id").to_string();

    tab.goto("/").await;
    assert_eq!(tab.eval("typeof window.Rapport").await, "undefined", "[{}] scripts are off", tab.label);

    // Search: Enter in the box submits the form.
    tab.fill("#appsearch-q", "0142685300").await;
    tab.mark().await;
    tab.key("Enter").await;
    tab.wait_for_new_page("the search results").await;
    let href = format!("/people/{}", grace["id"].as_str().expect("id"));
    tab.click_to_page(&format!("#search-results a[href='{href}']")).await;
    assert_eq!(tab.path().await, href, "[{}]", tab.label);

    // A list filter: choose, then Apply.
    tab.goto("/people").await;
    tab.open_details("#list-filter-panel").await;
    tab.set_value("#filter-lifecycle_stage", "customer").await;
    tab.click_to_page("#list-apply").await;
    assert_eq!(tab.count("#list-table tbody tr").await, 1, "[{}] customers only", tab.label);
    assert!(tab.text("#list-table tbody").await.contains("Hopper"), "[{}]", tab.label);

    // The board's Move to page.
    tab.goto("/board").await;
    tab.click_to_page(&format!("#deal-{id} .board-move")).await;
    tab.set_value("#move-stage", &second).await;
    tab.click_to_page("#move-submit").await;
    wait_for_stage(&app, &tab, &id, &second).await;
    tab.wait_for_element(&format!("#stage-{second} #deal-{id}")).await;

    // The organization picker: the name typed is searched when the form is
    // sent; two matches come back as choices in the list.
    app.create("organizations", json!({"name": "Acme Corporation"})).await;
    let tooling = app.create("organizations", json!({"name": "Acme Tooling"})).await;
    tab.goto(&href).await;
    tab.open_details("#record-edit").await;
    tab.fill("#edit-organization_id-q", "Acme").await;
    tab.allow_console("status of 422");
    tab.click_to_page("#record-edit-save").await;
    assert!(tab.text("#record-edit").await.contains("choose one in the list"), "[{}] asked to choose", tab.label);
    tab.select_by_text("#edit-organization_id", "Acme Tooling").await;
    tab.click_to_page("#record-edit-save").await;
    let person = api_record(&app, "people", &href["/people/".len()..]).await;
    assert_eq!(person["organizations"][0]["id"], tooling["id"], "[{}] {person}", tab.label);
    tab.finish().await;
}

/// A new workspace's lists each say what they are for and offer the first
/// record and an import; a custom kind's pages (empty, list, record with
/// contact fields as links) pass the same checks as every main page.
async fn empty_lists_and_custom_kinds(ctx: Ctx) {
    let (app, tab) = ctx.signed_in().await;
    let mut failures = Vec::new();
    for (name, path) in [
        ("people-empty", "/people"),
        ("organizations-empty", "/organizations"),
        ("deals-empty", "/deals"),
        ("tasks-empty", "/tasks"),
        ("activities-empty", "/activities"),
    ] {
        if let Err(why) = ui::attempt(async {
            tab.goto(path).await;
            tab.wait_for_element("#list-empty-title").await;
            assert!(
                tab.exists(&format!("#list-empty-new[href='{path}/new']")).await,
                "[{}] {path} offers a first record",
                tab.label
            );
            assert!(tab.exists("#list-empty-import").await, "[{}] {path} offers an import", tab.label);
            tab.check_page(name).await;
        })
        .await
        {
            failures.push(why);
            tab.take_errors();
        }
    }
    assert!(failures.is_empty(), "{} page(s) failed:\n{}", failures.len(), failures.join("\n"));

    let kind = app
        .post(
            "/api/v1/object-types",
            json!({
                "key": "contract", "singular": "Contract", "plural": "Contracts",
                "fields": [
                    {"key": "value", "label": "Value", "type": "money"},
                    {"key": "contact", "label": "Contact email", "type": "email"},
                    {"key": "hotline", "label": "Hotline", "type": "phone"}
                ],
                "list_fields": ["name", "custom.value", "custom.contact"]
            }),
        )
        .await;
    assert_eq!(kind.status.as_u16(), 201, "[{}] {}", tab.label, kind.body);
    tab.goto("/objects/contract").await;
    tab.wait_for_element("#list-empty-new").await;
    tab.check_page("objects-empty").await;
    tab.goto("/settings/kinds").await;
    tab.check_page("settings-kinds").await;
    tab.goto("/settings/kinds/contract").await;
    tab.check_page("settings-kind").await;

    let a = app
        .post(
            "/api/v1/objects/contract",
            json!({"name": "Support 2027", "custom": {"value": {"amount_minor": 250_000, "currency": "EUR"},
                   "contact": "desk@acme.example", "hotline": "+33 1 40 00 00 00"}}),
        )
        .await;
    assert_eq!(a.status.as_u16(), 201, "[{}] {}", tab.label, a.body);
    tab.goto("/objects/contract").await;
    assert!(
        tab.text("#list-table").await.contains("€2,500.00"),
        "[{}] money in the list: {}",
        tab.label,
        tab.text("#list-table").await
    );
    assert!(tab.exists("#list-table a[href='mailto:desk@acme.example']").await, "[{}] a mailto: link in the list", tab.label);
    tab.check_page("objects").await;
    tab.click_to_page("#list-table tbody a[href^='/objects/']").await;
    assert!(tab.exists("a[href='tel:+33140000000']").await, "[{}] the hotline is a tel: link", tab.label);
    tab.check_page("object").await;
    tab.finish().await;
}

/// Presses Tab until the element is focused: it is reached by keyboard, in
/// the page's order, within `most` presses.
async fn tab_to(tab: &Tab, selector: &str, most: usize) {
    let test = format!("document.activeElement && document.activeElement.matches({})", ui::js(selector));
    for _ in 0..most {
        tab.key("Tab").await;
        if tab.eval(&test).await == Value::Bool(true) {
            return;
        }
    }
    let at = tab.eval("document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : ''").await;
    panic!("[{}] {selector} not reached with {most} presses of Tab (at {at})", tab.label);
}

/// The main work with the keyboard alone, in the order Tab reaches things:
/// the skip link, fields edited in place (a text, a date, a web address), a
/// call logged, and a deal moved to the next stage (the keyboard's way to do
/// what dragging does).
async fn keyboard_only(ctx: Ctx) {
    if ctx.width.is_phone() {
        return;
    }
    let (app, tab) = ctx.signed_in().await;
    let grace = app.create("people", json!({"first_name": "Grace", "last_name": "Hopper"})).await;
    let person = format!("/people/{}", grace["id"].as_str().expect("id"));
    let pipelines = app.store.pipelines(&app.scope).await.expect("pipelines");
    let pipeline = pipelines.iter().find(|p| p.is_default).expect("a default pipeline");
    let (first, second) = (pipeline.stages[0].id.to_string(), pipeline.stages[1].id.to_string());
    let deal = app.create("deals", json!({"name": "Acme yearly plan", "stage_id": first})).await;
    let deal_id = deal["id"].as_str().expect("id").to_string();

    // The first stop is the skip link, which leads to the page's content.
    tab.goto(&person).await;
    tab.key("Tab").await;
    assert_eq!(tab.eval("document.activeElement.className").await, "skip", "[{}] the skip link comes first", tab.label);
    tab.key("Enter").await;
    tab.wait_for("document.activeElement && document.activeElement.id === 'content'", "focus on the content").await;

    // A key field edited in place: Enter opens it with the focus in the box,
    // Enter saves, and the focus comes back to its button.
    tab_to(&tab, "#fact-title .inplace-edit", 40).await;
    tab.key("Enter").await;
    tab.wait_for("document.activeElement && document.activeElement.id === 'inplace-title'", "the focus in the box").await;
    tab.type_text("Rear admiral").await;
    tab.key("Enter").await;
    tab.wait_for(
        "document.querySelector('#fact-title .value').textContent.trim() === 'Rear admiral'",
        "the title saved in place",
    )
    .await;
    tab.wait_for("document.activeElement && document.activeElement.matches('#fact-title .inplace-edit')", "the focus back").await;
    assert_eq!(api_record(&app, "people", &person["/people/".len()..]).await["title"], "Rear admiral", "[{}]", tab.label);

    // A call logged: the subject box first, where Enter logs a call (the
    // form's first button)...
    tab_to(&tab, "#log-subject", 40).await;
    tab.type_text("Keyboard call").await;
    tab.mark().await;
    tab.key("Enter").await;
    tab.wait_for_new_page("the page after logging the call").await;
    tab.wait_for_element("#record-timeline").await;
    assert!(tab.text("#record-timeline").await.contains("Keyboard call"), "[{}] the call is on the timeline", tab.label);
    // ...and a meeting: its details, then its button, reached forward from them.
    tab_to(&tab, "#log-subject", 40).await;
    tab.type_text("Keyboard meeting").await;
    // (The date and time box takes a Tab press per part.)
    tab_to(&tab, "#log-meeting", 20).await;
    tab.mark().await;
    tab.key("Enter").await;
    tab.wait_for_new_page("the page after logging the meeting").await;
    tab.wait_for_element("#record-timeline").await;
    assert!(tab.text("#record-timeline").await.contains("Keyboard meeting"), "[{}] the meeting is on the timeline", tab.label);

    // A date saved in place reads as the page draws dates (not 2027-03-15),
    // and a web address stays a link.
    tab.goto(&format!("/deals/{deal_id}")).await;
    tab_to(&tab, "#fact-expected_close_date .inplace-edit", 60).await;
    tab.key("Enter").await;
    tab.wait_for("document.activeElement && document.activeElement.id === 'inplace-expected_close_date'", "the date box").await;
    tab.set_value("#inplace-expected_close_date", "2027-03-15").await;
    tab.key("Enter").await;
    tab.wait_for("!document.getElementById('inplace-expected_close_date')", "the date saved in place").await;
    let shown = tab.text("#fact-expected_close_date .value").await;
    assert_eq!(shown.trim(), "03/15/2027", "[{}] the date in the reader's locale", tab.label);
    assert_eq!(api_record(&app, "deals", &deal_id).await["expected_close_date"], "2027-03-15", "[{}]", tab.label);
    let org = app.create("organizations", json!({"name": "Acme Corporation"})).await;
    tab.goto(&format!("/organizations/{}", org["id"].as_str().expect("id"))).await;
    tab_to(&tab, "#fact-website .inplace-edit", 60).await;
    tab.key("Enter").await;
    tab.type_text("https://acme.example").await;
    tab.key("Enter").await;
    tab.wait_for_element("#fact-website .value a[href='https://acme.example']").await;

    // A deal moved: its "Move to" link, the stage list, the button.
    tab.goto("/board").await;
    tab_to(&tab, &format!("#deal-{deal_id} .board-move"), 60).await;
    tab.mark().await;
    tab.key("Enter").await;
    tab.wait_for_new_page("the move page").await;
    tab_to(&tab, "#move-stage", 40).await;
    tab.key("ArrowDown").await;
    assert_eq!(
        tab.eval("document.getElementById('move-stage').value").await,
        second.as_str(),
        "[{}] the next stage chosen",
        tab.label
    );
    tab_to(&tab, "#move-submit", 5).await;
    tab.mark().await;
    tab.key("Enter").await;
    tab.wait_for_new_page("the board again").await;
    wait_for_stage(&app, &tab, &deal_id, &second).await;
    tab.wait_for_element(&format!("#stage-{second} #deal-{deal_id}")).await;
    tab.finish().await;
}

/// The harness itself: an inline script, an inline style and an uncaught
/// exception are all seen, so a page that makes them fails its journey.
async fn harness_sees_errors(ctx: Ctx) {
    if ctx.width.is_phone() {
        return;
    }
    let (_app, tab) = ctx.signed_in().await;
    tab.eval(
        "(function () { var s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.appendChild(s); \
         var d = document.createElement('div'); d.setAttribute('style', 'color: red'); document.body.appendChild(d); \
         setTimeout(function () { throw new Error('boom from the test'); }, 0); })()",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let errors = tab.take_errors().join("\n");
    assert!(tab.eval("window.__ran === undefined").await == true, "[{}] the CSP let an inline script run", tab.label);
    assert!(errors.contains("script-src"), "[{}] an inline script is reported: {errors}", tab.label);
    assert!(errors.contains("style-src"), "[{}] an inline style is reported: {errors}", tab.label);
    assert!(errors.contains("boom from the test"), "[{}] an uncaught exception is reported: {errors}", tab.label);
    // And axe-core finds a button without a name.
    tab.eval("document.getElementById('content').appendChild(document.createElement('button')).className = 'unnamed'").await;
    if let Some(found) = tab.accessibility_violations().await {
        assert!(
            found.iter().any(|v| v.starts_with("button-name") && v.contains(".unnamed")),
            "[{}] axe-core: {found:?}",
            tab.label
        );
    }
    tab.finish().await;
}

/// The duplicate review page (GET /duplicates) with the demo company, checked
/// like every main page.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browser_duplicates_page() {
    ui::run(vec![journey("duplicate review", |ctx: Ctx| async move {
        let (_app, tab) = ctx.signed_in().await;
        tab.click_to_slow_page(".firstrun form[action='/demo'] button").await;
        tab.goto("/duplicates").await;
        tab.check_page("duplicates").await;
        tab.finish().await;
    })])
    .await;
}
