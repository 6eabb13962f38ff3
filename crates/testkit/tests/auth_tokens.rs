//! API tokens over HTTP: scopes are enforced, revoked tokens stop working,
//! use is recorded; and the account page creates and revokes them.

use rapport_domain::access::TokenScope;
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::{Method, StatusCode};
use rapport_testkit::serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> StatusCode {
    let mut req = app.client.request(method, format!("{}{path}", app.base)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request").status()
}

#[tokio::test]
async fn token_scopes_revocation_and_last_use() {
    for app in TestApp::all().await {
        let name = app.name();
        let system = rapport_store::Scope::system(app.scope.workspace_id, rapport_store::Via::Cli);
        let scopes = [TokenScope::parse("people:read").unwrap()];
        let created = app.store.create_token(&system, app.user_id, "read people", &scopes).await.unwrap();
        let token = created["token"].as_str().unwrap().to_string();
        let id = created["id"].as_str().unwrap().to_string();

        assert_eq!(call(&app, &token, Method::GET, "/api/v1/people", None).await, StatusCode::OK, "[{name}]");
        let person = json!({"first_name": "Ada"});
        assert_eq!(call(&app, &token, Method::POST, "/api/v1/people", Some(person)).await, StatusCode::FORBIDDEN, "[{name}]");
        assert_eq!(call(&app, &token, Method::GET, "/api/v1/deals", None).await, StatusCode::FORBIDDEN, "[{name}]");
        assert_eq!(call(&app, &token, Method::GET, "/api/v1/organizations", None).await, StatusCode::FORBIDDEN, "[{name}]");

        let list = app.get("/api/v1/tokens").await;
        let mine = list.body["items"].as_array().unwrap().iter().find(|t| t["id"] == id.as_str()).cloned().unwrap();
        assert!(mine["last_used_at"].is_string(), "[{name}] use is recorded: {mine}");
        assert!(mine.get("token").is_none() && mine.get("token_hash").is_none(), "[{name}] never the secret");

        let revoked = app.delete(&format!("/api/v1/tokens/{id}")).await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT, "[{name}] {}", revoked.body);
        assert_eq!(call(&app, &token, Method::GET, "/api/v1/people", None).await, StatusCode::UNAUTHORIZED, "[{name}] revoked");
        assert_eq!(
            call(&app, "rpt_not-a-token", Method::GET, "/api/v1/people", None).await,
            StatusCode::UNAUTHORIZED,
            "[{name}]"
        );
    }
}

#[tokio::test]
async fn the_account_page_creates_and_revokes_tokens() {
    for app in TestApp::all().await {
        let name = app.name();
        app.set_password(app.user_id, PASSWORD).await;
        let mut b = app.browser();
        b.login("admin@example.com", PASSWORD).await;
        let csrf = b.session_csrf().await;

        // Bad scopes: the form again, saying which.
        let bad = b.post_form("/account/tokens", &[("csrf", &csrf), ("name", "script"), ("more_scopes", "people:fly")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(bad.body.contains("people:fly"), "[{name}] {}", bad.body);
        let none = b.post_form("/account/tokens", &[("csrf", &csrf), ("name", "script")]).await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");

        let made = b
            .post_form("/account/tokens", &[("csrf", &csrf), ("name", "my <script>"), ("more_scopes", "people:read, deals:read")])
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "[{name}] {}", made.body);
        assert!(
            made.body.contains("my &#60;script&#62;") || made.body.contains("my &lt;script&gt;"),
            "[{name}] names are escaped"
        );
        assert!(!made.body.contains("my <script>"), "[{name}]");
        let start = made.body.find("rpt_").expect("the new token is shown once");
        let token: String =
            made.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        assert_eq!(call(&app, &token, Method::GET, "/api/v1/people", None).await, StatusCode::OK, "[{name}]");
        assert_eq!(call(&app, &token, Method::GET, "/api/v1/deals", None).await, StatusCode::OK, "[{name}]");
        assert_eq!(call(&app, &token, Method::GET, "/api/v1/tasks", None).await, StatusCode::FORBIDDEN, "[{name}]");
        assert_eq!(
            call(&app, &token, Method::POST, "/api/v1/people", Some(json!({"first_name": "X"}))).await,
            StatusCode::FORBIDDEN,
            "[{name}]"
        );

        // Listed without the secret, then revoked from the page.
        let page = b.get("/account").await;
        assert!(!page.body.contains(&token), "[{name}] shown once only");
        let list = app.get("/api/v1/tokens").await;
        let id = list.body["items"].as_array().unwrap().iter().find(|t| t["name"] == "my <script>").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(page.body.contains(&format!("/account/tokens/{id}/revoke")), "[{name}]");
        let no = b.post_form(&format!("/account/tokens/{id}/revoke"), &[]).await;
        assert_eq!(no.status, StatusCode::FORBIDDEN, "[{name}] revoke without csrf");
        assert_eq!(call(&app, &token, Method::GET, "/api/v1/people", None).await, StatusCode::OK, "[{name}]");
        let done = b.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf", &csrf)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{name}]");
        assert_eq!(call(&app, &token, Method::GET, "/api/v1/people", None).await, StatusCode::UNAUTHORIZED, "[{name}]");
        assert!(b.get("/account").await.body.contains("revoked"), "[{name}]");
    }
}
