//! What the access tests share: a workspace staffed with one user of each role
//! in two teams, a second workspace with its own admin, bearer tokens, a model
//! of who sees whose records, and the record ids a JSON answer exposes.

#![allow(dead_code)]

use std::collections::BTreeSet;

use rapport_domain::Kind;
use rapport_domain::access::TokenScope;
use rapport_store::{Backend, Scope, Via};
use rapport_testkit::reqwest::Method;
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{Answer, TestApp, obj};
use uuid::Uuid;

/// The kinds whose records have an owner and follow the visibility setting.
pub const OWNED: [(Kind, &str); 5] = [
    (Kind::Organization, "organizations"),
    (Kind::Person, "people"),
    (Kind::Deal, "deals"),
    (Kind::Activity, "activities"),
    (Kind::Task, "tasks"),
];

/// A user and the bearer token they call the API with.
#[derive(Debug, Clone)]
pub struct Actor {
    pub key: &'static str,
    pub id: Uuid,
    pub token: String,
    pub role: &'static str,
}

impl Actor {
    pub async fn send(&self, app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> Answer {
        call(app, &self.token, method, path, body).await
    }
    pub async fn get(&self, app: &TestApp, path: &str) -> Answer {
        self.send(app, Method::GET, path, None).await
    }
    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> Answer {
        self.send(app, Method::POST, path, Some(&body)).await
    }
    pub async fn patch(&self, app: &TestApp, path: &str, body: Value) -> Answer {
        self.send(app, Method::PATCH, path, Some(&body)).await
    }
    pub async fn delete(&self, app: &TestApp, path: &str) -> Answer {
        self.send(app, Method::DELETE, path, None).await
    }
    pub fn ids(&self) -> String {
        self.id.to_string()
    }
}

/// Sends a request with a bearer token of one's choosing.
pub async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Option<&Value>) -> Answer {
    let mut req = app.client.request(method, format!("{}{path}", app.base)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    TestApp::answer(req.send().await.expect("request")).await
}

/// The scope a user of the app's workspace acts in.
pub async fn scope_of(app: &TestApp, user: Uuid) -> Scope {
    app.store
        .user_scope(app.scope.workspace_id, user, Via::Api)
        .await
        .expect("user scope")
        .unwrap_or_else(|| panic!("[{}] user {user} is not active", app.name()))
}

/// Issues a token for a user; returns the answer with `id` and `token`.
pub async fn issue_token(app: &TestApp, scope: &Scope, user: Uuid, scopes: &[TokenScope]) -> Value {
    app.store.create_token(scope, user, "tests", scopes).await.expect("create token")
}

/// Creates a user with this role in the scope's workspace, with a token that may do everything the role may.
pub async fn add_user(app: &TestApp, scope: &Scope, key: &'static str, role: &'static str) -> Actor {
    let email = format!("{key}-{}@example.com", Uuid::now_v7().simple());
    let input = obj(json!({"email": email, "name": format!("{key} the {role}"), "role": role}));
    let (user, _) = app.store.create(scope, Kind::User, &input, &Default::default()).await.expect("create user");
    let id = Uuid::parse_str(user["id"].as_str().expect("user id")).expect("uuid");
    let token = issue_token(app, scope, id, &[TokenScope { kind: None, write: true }]).await["token"]
        .as_str()
        .expect("token")
        .to_string();
    Actor { key, id, token, role }
}

/// Creates a team of the app's workspace with these members.
pub async fn add_team(app: &TestApp, name: &str, members: &[Uuid]) -> Uuid {
    let input = obj(json!({"name": name, "members": members}));
    let (team, _) = app.store.create(&app.scope, Kind::Team, &input, &Default::default()).await.expect("create team");
    Uuid::parse_str(team["id"].as_str().expect("team id")).expect("uuid")
}

fn sql_uuid(backend: Backend, id: Uuid) -> String {
    match backend {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        Backend::Postgres => format!("'{id}'::uuid"),
    }
}

/// Puts a team under another in the hierarchy, straight in the database
/// (the team hierarchy that managers' rights follow).
pub async fn set_team_parent(app: &TestApp, team: Uuid, parent: Uuid) {
    let sql =
        format!("UPDATE teams SET parent_id = {} WHERE id = {}", sql_uuid(app.backend, parent), sql_uuid(app.backend, team));
    let mut tx = app.store.db().write().await.expect("write transaction");
    tx.script(&sql).await.expect("set the team's parent");
    tx.commit().await.expect("commit");
}

/// Sets the visibility of every owned kind, as the app's admin.
pub async fn set_visibility(app: &TestApp, mode: &str) {
    let body: Value = OWNED.iter().map(|(_, c)| (c.to_string(), json!(mode))).collect::<serde_json::Map<_, _>>().into();
    let a = app.patch("/api/v1/workspace/visibility", body).await;
    assert_eq!(a.status.as_u16(), 200, "[{}] set visibility {mode}: {}", app.name(), a.body);
}

/// The record ids a JSON answer shows: records (objects with an id and a
/// version, wherever they are nested: items, included, timelines, exports),
/// search hits and duplicate candidates (an id with a label or a score), and
/// the records change-log entries are about.
pub fn exposed_ids(v: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(o) => {
                let id = o.get("id").and_then(Value::as_str);
                let record = ["version", "label", "score", "matched_field"].iter().any(|k| o.contains_key(*k));
                if let (Some(id), true) = (id, record) {
                    out.insert(id.to_string());
                }
                if let Some(r) = o.get("record_id").and_then(Value::as_str) {
                    out.insert(r.to_string());
                }
                o.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(v, &mut out);
    out
}

/// The ids of a list answer's items.
pub fn item_ids(a: &Answer) -> Vec<String> {
    a.body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// A short form of an answer body for failure messages.
pub fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 { format!("{}...", s.chars().take(200).collect::<String>()) } else { s }
}

/// The people of the tests: in workspace one, the admin Z (the app's own
/// user), team Sales with members A (owner of the records), B (team-mate),
/// R (read-only team-mate) and M (manager), team Support with C (outsider),
/// and P (portal); in workspace two, its admin X.
pub struct Office {
    pub z: Actor,
    pub a: Actor,
    pub b: Actor,
    pub r: Actor,
    pub m: Actor,
    pub c: Actor,
    pub p: Actor,
    pub x: Actor,
    pub sales: Uuid,
    pub support: Uuid,
    pub other_workspace: Uuid,
}

impl Office {
    pub async fn new(app: &TestApp) -> Office {
        let admin = &app.scope;
        let z = Actor { key: "Z", id: app.user_id, token: app.token.clone(), role: "admin" };
        let a = add_user(app, admin, "A", "member").await;
        let b = add_user(app, admin, "B", "member").await;
        let r = add_user(app, admin, "R", "read_only").await;
        let m = add_user(app, admin, "M", "manager").await;
        let c = add_user(app, admin, "C", "member").await;
        let p = add_user(app, admin, "P", "portal").await;
        let sales = add_team(app, "Sales", &[a.id, b.id, r.id, m.id]).await;
        let support = add_team(app, "Support", &[c.id]).await;
        let ws = app.store.create_workspace("Other", "EUR", "FR").await.expect("second workspace");
        let x = add_user(app, &Scope::system(ws.id, Via::Api), "X", "admin").await;
        Office { z, a, b, r, m, c, p, x, sales, support, other_workspace: ws.id }
    }

    /// Everyone, workspace one first.
    pub fn everyone(&self) -> [&Actor; 8] {
        [&self.z, &self.a, &self.b, &self.r, &self.m, &self.c, &self.p, &self.x]
    }
}
