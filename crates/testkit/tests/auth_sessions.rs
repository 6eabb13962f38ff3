//! Signing in from a browser: the first setup, session cookies, rotation,
//! signing out, CSRF on forms and on API calls made with the session cookie,
//! and choosing among workspaces.

use rapport_testkit::TestApp;
use rapport_testkit::reqwest::{Method, StatusCode};
use rapport_testkit::serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// Whether the session id is live, asked through the API as a script would.
async fn session_works(app: &TestApp, id: &str) -> bool {
    let mut b = app.browser();
    b.cookies.insert("rapport_session".into(), id.into());
    let a = b.api(Method::GET, "/api/v1/me", None, &[]).await;
    match a.status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("[{}] /api/v1/me with a session cookie answered {other}: {}", app.name(), a.body),
    }
}

#[tokio::test]
async fn setup_link_creates_the_first_admin_once() {
    for app in TestApp::all().await {
        let name = app.name();
        let ws = app.store.create_workspace("Second company", "EUR", "FR").await.unwrap();
        let token = app.store.create_setup_link(ws.id).await.unwrap();
        let mut b = app.browser();

        let bad = b.get("/setup?token=not-the-token").await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND, "[{name}] a wrong token");

        let form = b.get(&format!("/setup?token={token}")).await;
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        assert!(form.body.contains("Second company"), "[{name}] the page names the workspace");
        assert_eq!(form.header("cache-control"), Some("no-store"), "[{name}]");
        assert_eq!(form.header("referrer-policy"), Some("no-referrer"), "[{name}]");
        let csrf = form.field("csrf").expect("csrf field");
        assert_eq!(b.cookie("rapport_csrf"), Some(csrf.as_str()), "[{name}] double-submit cookie");

        // Without the CSRF token: refused, and the link still works.
        let fields = [
            ("token", token.as_str()),
            ("name", "Owen Owner"),
            ("email", "owner@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        let refused = b.post_form("/setup", &fields).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}] setup without csrf");

        // Mismatched passwords and a short one: the form again, the link unused.
        let mut with_csrf = vec![("csrf", csrf.as_str())];
        with_csrf.extend(fields.iter().map(|(k, v)| if *k == "password_confirm" { (*k, "something else!!") } else { (*k, *v) }));
        let mismatch = b.post_form("/setup", &with_csrf).await;
        assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", mismatch.body);
        assert!(mismatch.body.contains("differ"), "[{name}] {}", mismatch.body);
        let short = b
            .post_form(
                "/setup",
                &[
                    ("csrf", &csrf),
                    ("token", &token),
                    ("name", "Owen Owner"),
                    ("email", "owner@example.com"),
                    ("password", "short"),
                    ("password_confirm", "short"),
                ],
            )
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", short.body);
        assert!(short.body.contains("at least 10 characters"), "[{name}] {}", short.body);

        let mut ok = vec![("csrf", csrf.as_str())];
        ok.extend(fields);
        let done = b.post_form("/setup", &ok).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{name}] {}", done.body);
        assert_eq!(done.location(), Some("/"), "[{name}]");
        assert!(done.set_cookie("rapport_session").is_some(), "[{name}] signed in after setup");
        let account = b.get("/account").await;
        assert_eq!(account.status, StatusCode::OK, "[{name}]");
        assert!(account.body.contains("Owen Owner") && account.body.contains("Second company"), "[{name}] {}", account.body);
        let me = b.api(Method::GET, "/api/v1/me", None, &[]).await;
        assert_eq!(me.body["role"], "admin", "[{name}] {}", me.body);
        assert_eq!(me.body["workspace"]["id"], json!(ws.id), "[{name}]");

        // Second use: refused, on the page and on the form.
        let mut other = app.browser();
        assert_eq!(other.get(&format!("/setup?token={token}")).await.status, StatusCode::NOT_FOUND, "[{name}] reused link");
        let form = other.get("/login").await;
        let csrf2 = form.field("csrf").unwrap();
        let again = other
            .post_form(
                "/setup",
                &[
                    ("csrf", &csrf2),
                    ("token", &token),
                    ("name", "Mallory"),
                    ("email", "mallory@example.com"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_FOUND, "[{name}] the link works once: {}", again.body);
        assert!(other.cookie("rapport_session").is_none(), "[{name}]");

        // The new admin signs in with the password chosen.
        let mut c = app.browser();
        assert_eq!(c.login("owner@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{name}]");
        let log = app
            .store
            .audit_log(
                &rapport_store::Scope::system(ws.id, rapport_store::Via::System),
                &rapport_store::audit::AuditQuery { limit: 50, ..Default::default() },
            )
            .await
            .unwrap();
        assert!(log.iter().any(|e| e["action"] == "setup_completed"), "[{name}] {log:?}");
    }
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_rotates_the_session() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut b = app.browser();

        let form = b.get("/login").await;
        assert_eq!(form.status, StatusCode::OK, "[{name}]");
        assert!(form.body.contains("<label for=\"email\">") && form.body.contains("<label for=\"password\">"), "[{name}]");
        let csrf_cookie = form.set_cookie("rapport_csrf").expect("a csrf cookie before sign-in");
        assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"), "[{name}] {csrf_cookie}");
        assert!(form.header("content-security-policy").is_some_and(|c| c.contains("default-src 'self'")), "[{name}]");

        // A session id planted before sign-in is not kept (fixation).
        b.cookies.insert("rapport_session".into(), "planted-by-someone-else".into());
        let done = b.login("admin@example.com", PASSWORD).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{name}] {}", done.body);
        assert_eq!(done.location(), Some("/"), "[{name}]");
        let set = done.set_cookie("rapport_session").expect("a session cookie");
        assert!(set.contains("HttpOnly"), "[{name}] {set}");
        assert!(set.contains("SameSite=Lax"), "[{name}] {set}");
        assert!(set.contains("Path=/"), "[{name}] {set}");
        assert!(!set.contains("Secure"), "[{name}] plain HTTP gets no Secure flag: {set}");
        let first = b.cookie("rapport_session").unwrap().to_string();
        assert_ne!(first, "planted-by-someone-else", "[{name}]");
        assert!(first.len() >= 40, "[{name}] a long random id");
        assert!(session_works(&app, &first).await, "[{name}]");

        // The session is stored as a digest only.
        let digest = rapport_store::workspaces::token_digest(&first);
        assert!(app.store.session(&first).await.unwrap().is_some());
        assert_ne!(digest, first);

        // Signing in again gives a new id and ends the old one.
        // (Signed in, GET /login redirects; a form left open in another tab still posts.)
        let csrf = b.cookie("rapport_csrf").unwrap().to_string();
        let again = b.post_form("/login", &[("csrf", &csrf), ("email", "admin@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER, "[{name}] {}", again.body);
        let second = b.cookie("rapport_session").unwrap().to_string();
        assert_ne!(first, second, "[{name}] the session id rotates at sign-in");
        assert!(!session_works(&app, &first).await, "[{name}] the old id is discarded");
        assert!(session_works(&app, &second).await, "[{name}]");

        // Signed in, /login sends home, and home links to the account page;
        // signed out, home sends to sign in.
        assert_eq!(b.get("/login").await.location(), Some("/"), "[{name}]");
        let home = b.get("/").await;
        assert!(home.body.contains("href=\"/account\""), "[{name}] {}", home.body);
        let home = app.browser().get("/").await;
        assert_eq!(home.location(), Some("/login"), "[{name}] {}", home.body);

        // Over HTTPS (a proxy says so) the cookie is Secure.
        let mut s = app.browser();
        s.extra_headers.push(("x-forwarded-proto".into(), "https".into()));
        let done = s.login("admin@example.com", PASSWORD).await;
        assert!(done.set_cookie("rapport_session").unwrap().contains("; Secure"), "[{name}]");

        // A successful sign-in is in the audit log.
        let log = app
            .store
            .audit_log(
                &app.scope,
                &rapport_store::audit::AuditQuery { action: Some("login".into()), limit: 50, ..Default::default() },
            )
            .await
            .unwrap();
        assert!(log.len() >= 3, "[{name}] {log:?}");
        assert_eq!(log[0]["via"], "web", "[{name}]");
        assert_eq!(log[0]["ip"], "127.0.0.1", "[{name}]");
        assert_eq!(log[0]["email"], "admin@example.com", "[{name}]");
    }
}

#[tokio::test]
async fn a_wrong_password_reads_like_an_unknown_email() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut b = app.browser();
        let wrong = b.login("admin@example.com", "not the password").await;
        let unknown = b.login("nobody@example.com", "not the password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "[{name}]");
        assert_eq!(unknown.status, wrong.status, "[{name}]");
        assert!(wrong.body.contains("The email or password is not right."), "[{name}] {}", wrong.body);
        // Word for word the same page, but for the email typed.
        assert_eq!(
            wrong.body.replace("admin@example.com", "EMAIL"),
            unknown.body.replace("nobody@example.com", "EMAIL"),
            "[{name}] the pages must not tell which was wrong"
        );
        assert!(b.cookie("rapport_session").is_none(), "[{name}]");
        // A user without a password cannot sign in at all.
        let id = app.create("users", json!({"email": "nopass@example.com", "name": "No Pass"})).await["id"].clone();
        assert!(id.is_string());
        assert_eq!(b.login("nopass@example.com", "").await.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert_eq!(b.login("nopass@example.com", "anything at all").await.status, StatusCode::UNAUTHORIZED, "[{name}]");
    }
}

#[tokio::test]
async fn forms_and_cookie_api_calls_need_the_csrf_token() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;

        // Sign-in form: no token, or a token without its cookie.
        let mut b = app.browser();
        let refused = b.post_form("/login", &[("email", "admin@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}] login without csrf");
        assert!(refused.body.contains("The form has expired"), "[{name}] {}", refused.body);
        let forged = b
            .post_form(
                "/login",
                &[("csrf", "a-token-from-elsewhere-that-is-long-enough"), ("email", "admin@example.com"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "[{name}] csrf without the cookie");
        assert!(b.cookie("rapport_session").is_none(), "[{name}]");

        assert_eq!(b.login("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{name}]");
        let csrf = b.session_csrf().await;
        let account = b.get("/account").await;
        assert!(
            account.body.contains(&format!("<meta name=\"csrf-token\" content=\"{csrf}\">")),
            "[{name}] scripts read it here"
        );

        // Signed-in forms: no token, a wrong token.
        let out = b.post_form("/logout", &[]).await;
        assert_eq!(out.status, StatusCode::FORBIDDEN, "[{name}] logout without csrf");
        let out = b.post_form("/logout", &[("csrf", "wrong")]).await;
        assert_eq!(out.status, StatusCode::FORBIDDEN, "[{name}] logout with a wrong csrf");
        let t = b.post_form("/account/tokens", &[("name", "x"), ("scope", "read")]).await;
        assert_eq!(t.status, StatusCode::FORBIDDEN, "[{name}] token form without csrf");
        let p = b
            .post_form(
                "/account/password",
                &[("current_password", PASSWORD), ("password", "another password!"), ("password_confirm", "another password!")],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}] password form without csrf");
        assert!(session_works(&app, b.cookie("rapport_session").unwrap()).await, "[{name}] still signed in");

        // The API with the session cookie: reads need no token, writes do.
        let person = app.create("people", json!({"first_name": "Ada", "last_name": "Lovelace"})).await;
        let path = format!("/api/v1/people/{}", person["id"].as_str().unwrap());
        let read = b.api(Method::GET, &path, None, &[]).await;
        assert_eq!(read.status, StatusCode::OK, "[{name}] {}", read.body);
        let patch = json!({"first_name": "Augusta"});
        let no = b.api(Method::PATCH, &path, Some(&patch), &[]).await;
        assert_eq!(no.status, StatusCode::FORBIDDEN, "[{name}] {}", no.body);
        assert_eq!(no.header("content-type"), Some("application/problem+json"), "[{name}]");
        let wrong = b.api(Method::PATCH, &path, Some(&patch), &[("x-csrf-token", "wrong")]).await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN, "[{name}]");
        let yes = b.api(Method::PATCH, &path, Some(&patch), &[("x-csrf-token", &csrf)]).await;
        assert_eq!(yes.status, StatusCode::OK, "[{name}] {}", yes.body);
        assert_eq!(yes.body["first_name"], "Augusta", "[{name}]");
        let post = b.api(Method::POST, "/api/v1/people", Some(&json!({"first_name": "Grace"})), &[]).await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "[{name}] {}", post.body);

        // The change is logged as made through the web, by the user.
        let history = app.get(&format!("{path}/history")).await;
        let last = history.body["items"].as_array().and_then(|a| a.iter().find(|c| c["action"] == "updated").cloned());
        let last = last.unwrap_or_else(|| panic!("[{name}] no update in {}", history.body));
        assert_eq!(last["via"], "web", "[{name}] {last}");

        // A bearer token needs no CSRF token, even beside a cookie.
        let bearer = app.send(Method::PATCH, &path, Some(&json!({"first_name": "Ada"})), &[]).await;
        assert_eq!(bearer.status, StatusCode::OK, "[{name}]");
    }
}

#[tokio::test]
async fn logout_and_logout_everywhere_end_sessions() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut one = app.browser();
        let mut two = app.browser();
        let mut three = app.browser();
        for b in [&mut one, &mut two, &mut three] {
            assert_eq!(b.login("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{name}]");
        }
        let (id1, id2, id3) = (
            one.cookie("rapport_session").unwrap().to_string(),
            two.cookie("rapport_session").unwrap().to_string(),
            three.cookie("rapport_session").unwrap().to_string(),
        );

        // Sign out: this session only.
        let csrf = one.session_csrf().await;
        let out = one.post_form("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "[{name}]");
        assert_eq!(out.location(), Some("/login"), "[{name}]");
        assert!(out.set_cookie("rapport_session").unwrap().contains("Max-Age=0"), "[{name}] the cookie is cleared");
        assert!(one.cookie("rapport_session").is_none(), "[{name}]");
        assert!(!session_works(&app, &id1).await, "[{name}] signed out");
        assert!(session_works(&app, &id2).await && session_works(&app, &id3).await, "[{name}] the others stay");
        assert_eq!(one.get("/account").await.location(), Some("/login"), "[{name}]");

        // Sign out everywhere: every session of the user.
        let csrf = two.session_csrf().await;
        let out = two.post_form("/logout-everywhere", &[("csrf", &csrf)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER, "[{name}]");
        assert!(!session_works(&app, &id2).await, "[{name}]");
        assert!(!session_works(&app, &id3).await, "[{name}] the other browser is signed out too");
        assert_eq!(three.get("/account").await.location(), Some("/login"), "[{name}]");

        let log = app
            .store
            .audit_log(&app.scope, &rapport_store::audit::AuditQuery { limit: 100, ..Default::default() })
            .await
            .unwrap();
        assert!(log.iter().any(|e| e["action"] == "logout"), "[{name}]");
        assert!(log.iter().any(|e| e["action"] == "logout_everywhere"), "[{name}]");
    }
}

#[tokio::test]
async fn one_password_for_several_workspaces_offers_a_choice() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let ws2 = app.store.create_workspace("Sister company", "USD", "US").await.unwrap();
        let sys2 = rapport_store::Scope::system(ws2.id, rapport_store::Via::Cli);
        let input = rapport_testkit::obj(json!({"email": "admin@example.com", "name": "Ada Elsewhere", "role": "member"}));
        let (u2, _) = app.store.create(&sys2, rapport_domain::Kind::User, &input, &Default::default()).await.unwrap();
        let u2 = uuid::Uuid::parse_str(u2["id"].as_str().unwrap()).unwrap();
        let hash = rapport_store::auth::hash_password(PASSWORD).await.unwrap();
        app.store.set_password_hash(&sys2, u2, &hash, "password_set").await.unwrap();

        let mut b = app.browser();
        let done = b.login("admin@example.com", PASSWORD).await;
        assert_eq!(done.location(), Some("/workspaces"), "[{name}] {}", done.body);
        let choose = b.get("/workspaces").await;
        assert!(choose.body.contains("Test company") && choose.body.contains("Sister company"), "[{name}] {}", choose.body);
        let me = b.api(Method::GET, "/api/v1/me", None, &[]).await;
        let first_ws = me.body["workspace"]["id"].clone();
        let target = if first_ws == json!(ws2.id) { app.scope.workspace_id } else { ws2.id };
        let before = b.cookie("rapport_session").unwrap().to_string();
        let csrf = choose.field("csrf").unwrap();
        let switched = b.post_form("/workspaces", &[("csrf", &csrf), ("workspace_id", &target.to_string())]).await;
        assert_eq!(switched.location(), Some("/"), "[{name}] {}", switched.body);
        assert_ne!(b.cookie("rapport_session").unwrap(), before, "[{name}] a new session id");
        assert!(!session_works(&app, &before).await, "[{name}]");
        let me = b.api(Method::GET, "/api/v1/me", None, &[]).await;
        assert_eq!(me.body["workspace"]["id"], json!(target), "[{name}] {}", me.body);

        // A workspace the password did not open cannot be switched to.
        let ws3 = app.store.create_workspace("Stranger company", "EUR", "FR").await.unwrap();
        let csrf = b.session_csrf().await;
        let refused = b.post_form("/workspaces", &[("csrf", &csrf), ("workspace_id", &ws3.id.to_string())]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
    }
}
