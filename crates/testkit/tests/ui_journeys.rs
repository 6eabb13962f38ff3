//! The main journeys in a real headless Chromium, at desktop and at phone
//! width: first-run setup and sign-in, the home and account pages.

mod ui;

use ui::{Ctx, PASSWORD, journey};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browser_journeys() {
    ui::run(vec![
        journey("setup and sign in", setup_and_sign_in).on_postgres(),
        journey("home and account", home_and_account),
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
