//! Sign-in throttling: an email locks after 5 failures in 15 minutes, an
//! address is blocked after 30; both are kept in the database and audited.

use rapport_store::audit::AuditQuery;
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery";

async fn actions(app: &TestApp, action: &str) -> Vec<rapport_testkit::serde_json::Value> {
    app.store.audit_log(&app.scope, &AuditQuery { action: Some(action.into()), limit: 500, ..Default::default() }).await.unwrap()
}

#[tokio::test]
async fn five_failures_lock_the_email_with_a_clear_message() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut b = app.browser();
        for i in 1..=4 {
            let p = b.login("admin@example.com", &format!("wrong password {i}")).await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED, "[{name}] failure {i}");
        }
        let fifth = b.login("Admin@Example.com", "wrong password 5").await;
        assert_eq!(fifth.status, StatusCode::TOO_MANY_REQUESTS, "[{name}] the fifth failure locks: {}", fifth.body);
        assert!(fifth.body.contains("Too many failed sign-ins for this email address"), "[{name}] {}", fifth.body);
        assert!(fifth.body.contains("locked for 15 minutes"), "[{name}] {}", fifth.body);
        let retry: i64 = fifth.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((800..=900).contains(&retry), "[{name}] {retry}");

        // Locked: even the right password is refused, from any browser.
        let right = app.browser().login("admin@example.com", PASSWORD).await;
        assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "[{name}]");
        assert!(right.body.contains("locked"), "[{name}]");
        assert!(right.set_cookie("rapport_session").is_none(), "[{name}] no session while locked");

        // Another email is not affected.
        let other = app.browser().login("someone@example.com", "whatever it is").await;
        assert_eq!(other.status, StatusCode::UNAUTHORIZED, "[{name}]");

        let failed = actions(&app, "login_failed").await;
        assert_eq!(failed.len(), 6, "[{name}] five failures and the locked attempt: {failed:?}");
        assert!(failed.iter().all(|e| e["email"] == "admin@example.com" && e["via"] == "web" && e["ip"] == "127.0.0.1"));
        assert_eq!(failed.iter().filter(|e| e["detail"]["reason"] == "wrong_password").count(), 5, "[{name}]");
        let locked = actions(&app, "login_locked").await;
        assert_eq!(locked.len(), 1, "[{name}] {locked:?}");
        assert_eq!(locked[0]["detail"]["locked"], "email", "[{name}]");
        assert_eq!(locked[0]["user_id"].as_str(), Some(app.user_id.to_string().as_str()), "[{name}]");

        // The lock is in the database, so every server sees it.
        let outcome = app.store.attempt_login("admin@example.com", PASSWORD, Some("192.0.2.7")).await.unwrap();
        assert!(matches!(outcome, rapport_store::auth::LoginOutcome::EmailLocked { .. }), "[{name}] {outcome:?}");
    }
}

#[tokio::test]
async fn a_success_resets_the_count() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut b = app.browser();
        for _ in 0..4 {
            assert_eq!(b.login("admin@example.com", "wrong password").await.status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(app.browser().login("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{name}]");
        for _ in 0..4 {
            assert_eq!(b.login("admin@example.com", "wrong password").await.status, StatusCode::UNAUTHORIZED, "[{name}]");
        }
    }
}

#[tokio::test]
async fn thirty_failures_block_the_address() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut b = app.browser();
        // Spread over many emails, so that no email locks.
        for i in 1..30 {
            let p = b.login(&format!("guess{}@example.com", i % 10), "wrong password").await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED, "[{name}] failure {i}: {}", p.body);
        }
        let last = b.login("admin@example.com", "wrong password").await;
        assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS, "[{name}] the 30th failure blocks");
        assert!(last.body.contains("from your network address"), "[{name}] {}", last.body);
        assert!(last.header("retry-after").is_some(), "[{name}]");

        // Blocked: the right password is refused too from this address...
        let right = app.browser().login("admin@example.com", PASSWORD).await;
        assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "[{name}]");
        assert!(right.body.contains("network address"), "[{name}]");
        // ...but not from another one.
        let elsewhere = app.store.attempt_login("admin@example.com", PASSWORD, Some("198.51.100.4")).await.unwrap();
        assert!(matches!(elsewhere, rapport_store::auth::LoginOutcome::Accepted(_)), "[{name}] {elsewhere:?}");

        let locked = actions(&app, "login_locked").await;
        assert_eq!(locked.len(), 1, "[{name}] {locked:?}");
        assert_eq!(locked[0]["detail"]["locked"], "address", "[{name}]");
        assert_eq!(locked[0]["ip"], "127.0.0.1", "[{name}]");
        assert_eq!(locked[0]["detail"]["failures"], 30, "[{name}]");
    }
}
