//! Passwords: reset links work once and end every session; changing one's
//! own password needs the current one and ends the other sessions.

use rapport_store::audit::AuditQuery;
use rapport_store::{Scope, Via};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::{Method, StatusCode};

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "staple of the lighthouse";

async fn session_works(app: &TestApp, id: &str) -> bool {
    let mut b = app.browser();
    b.cookies.insert("rapport_session".into(), id.into());
    b.api(Method::GET, "/api/v1/me", None, &[]).await.status == StatusCode::OK
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_old_sessions() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut old = app.browser();
        assert_eq!(old.login("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{name}]");
        let old_id = old.cookie("rapport_session").unwrap().to_string();

        let cli = Scope::system(app.scope.workspace_id, Via::Cli);
        let token = app.store.create_reset_link(&cli, app.user_id).await.unwrap();
        let link = format!("/reset?token={token}");

        let mut b = app.browser();
        let form = b.get(&link).await;
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        assert!(form.body.contains("admin@example.com"), "[{name}]");
        assert_eq!(form.header("referrer-policy"), Some("no-referrer"), "[{name}] the token must not leak");
        let csrf = form.field("csrf").unwrap();

        // No CSRF token: refused.
        let no =
            b.post_form("/reset", &[("token", &token), ("password", NEW_PASSWORD), ("password_confirm", NEW_PASSWORD)]).await;
        assert_eq!(no.status, StatusCode::FORBIDDEN, "[{name}]");
        // The rules: long enough, not the email. The link stays usable.
        for (bad, why) in [("too short", "at least 10 characters"), ("admin@example.com", "must not be your email")] {
            let p =
                b.post_form("/reset", &[("csrf", &csrf), ("token", &token), ("password", bad), ("password_confirm", bad)]).await;
            assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {bad}");
            assert!(p.body.contains(why), "[{name}] {why}: {}", p.body);
        }

        let done = b
            .post_form(
                "/reset",
                &[("csrf", &csrf), ("token", &token), ("password", NEW_PASSWORD), ("password_confirm", NEW_PASSWORD)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{name}] {}", done.body);
        assert_eq!(done.location(), Some("/"), "[{name}]");
        assert!(b.cookie("rapport_session").is_some(), "[{name}] signed in with the new password");
        assert!(!session_works(&app, &old_id).await, "[{name}] the sessions from before the reset are over");

        // Second use: refused.
        assert_eq!(app.browser().get(&link).await.status, StatusCode::NOT_FOUND, "[{name}]");
        let again = b
            .post_form(
                "/reset",
                &[("csrf", &csrf), ("token", &token), ("password", "yet another one!"), ("password_confirm", "yet another one!")],
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_FOUND, "[{name}] the link works once");

        // The old password no longer opens, the new one does.
        assert_eq!(app.browser().login("admin@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED, "[{name}]");
        assert_eq!(app.browser().login("admin@example.com", NEW_PASSWORD).await.status, StatusCode::SEE_OTHER, "[{name}]");

        let log = app
            .store
            .audit_log(&app.scope, &AuditQuery { action: Some("password_reset".into()), limit: 10, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(log.len(), 1, "[{name}] {log:?}");
        assert_eq!(log[0]["detail"]["sessions_ended"], 1, "[{name}]");

        // A newer link replaces an older one.
        let first = app.store.create_reset_link(&cli, app.user_id).await.unwrap();
        let second = app.store.create_reset_link(&cli, app.user_id).await.unwrap();
        assert_eq!(app.browser().get(&format!("/reset?token={first}")).await.status, StatusCode::NOT_FOUND, "[{name}]");
        assert_eq!(app.browser().get(&format!("/reset?token={second}")).await.status, StatusCode::OK, "[{name}]");
    }
}

#[tokio::test]
async fn a_reset_unlocks_a_locked_email() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut b = app.browser();
        for _ in 0..5 {
            b.login("admin@example.com", "wrong password").await;
        }
        assert_eq!(b.login("admin@example.com", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS, "[{name}]");
        let token = app.store.create_reset_link(&Scope::system(app.scope.workspace_id, Via::Cli), app.user_id).await.unwrap();
        let form = b.get(&format!("/reset?token={token}")).await;
        let csrf = form.field("csrf").unwrap();
        let done = b
            .post_form(
                "/reset",
                &[("csrf", &csrf), ("token", &token), ("password", NEW_PASSWORD), ("password_confirm", NEW_PASSWORD)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{name}]");
        assert_eq!(app.browser().login("admin@example.com", NEW_PASSWORD).await.status, StatusCode::SEE_OTHER, "[{name}]");
    }
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut other = app.browser();
        other.login("admin@example.com", PASSWORD).await;
        let other_id = other.cookie("rapport_session").unwrap().to_string();
        let mut b = app.browser();
        b.login("admin@example.com", PASSWORD).await;
        let before = b.cookie("rapport_session").unwrap().to_string();
        let csrf = b.session_csrf().await;

        let wrong = b
            .post_form(
                "/account/password",
                &[
                    ("csrf", &csrf),
                    ("current_password", "not it at all"),
                    ("password", NEW_PASSWORD),
                    ("password_confirm", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(wrong.body.contains("Current password: The current password is not right."), "[{name}] {}", wrong.body);

        let done = b
            .post_form(
                "/account/password",
                &[
                    ("csrf", &csrf),
                    ("current_password", PASSWORD),
                    ("password", NEW_PASSWORD),
                    ("password_confirm", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{name}] {}", done.body);
        let after = b.cookie("rapport_session").unwrap().to_string();
        assert_ne!(before, after, "[{name}] a new session for this browser");
        assert!(session_works(&app, &after).await, "[{name}]");
        assert!(!session_works(&app, &other_id).await, "[{name}] other sessions end");
        assert!(b.get("/account?done=password").await.body.contains("Your password is changed"), "[{name}]");
        assert_eq!(app.browser().login("admin@example.com", NEW_PASSWORD).await.status, StatusCode::SEE_OTHER, "[{name}]");
    }
}
