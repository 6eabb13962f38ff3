//! The pipeline board in a browser: counts and totals per stage with the
//! reader's visibility applied, moving a deal with the "Move to" form (stage
//! and stage history really change), stale versions, read-only users, CSRF,
//! another workspace's deals, and HTML escaping.

use rapport_domain::Kind;
use rapport_store::{Scope, Via};
use rapport_testkit::browser::Browser;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{TestApp, obj};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// A user of the test workspace with a password, signed in in a new browser.
async fn signed_in(app: &TestApp, email: &str, role: &str) -> (Uuid, Browser) {
    let system = Scope::system(app.scope.workspace_id, Via::Cli);
    let user = obj(json!({"email": email, "name": format!("User {role}"), "role": role}));
    let (user, _) = app.store.create(&system, Kind::User, &user, &Default::default()).await.expect("user");
    let id = Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();
    app.set_password(id, PASSWORD).await;
    let mut b = app.browser();
    let res = b.login(email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "[{}] sign in as {email}: {}", app.name(), res.body);
    (id, b)
}

/// The admin the test app was made with, signed in.
async fn admin(app: &TestApp) -> Browser {
    app.set_password(app.user_id, PASSWORD).await;
    let mut b = app.browser();
    let res = b.login("admin@example.com", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "[{}] admin signs in: {}", app.name(), res.body);
    b
}

/// The default pipeline's id and its stage ids in order.
async fn stages(app: &TestApp) -> (Uuid, Vec<Uuid>) {
    let pipelines = app.store.pipelines(&app.scope).await.unwrap();
    let p = pipelines.iter().find(|p| p.is_default).expect("a default pipeline");
    (p.id, p.stages.iter().map(|s| s.id).collect())
}

async fn deal(app: &TestApp, name: &str, stage: Uuid, amount: i64, currency: &str, owner: Uuid) -> Value {
    let body = json!({"name": name, "stage_id": stage, "amount_minor": amount, "currency": currency, "owner_id": owner});
    app.create("deals", body).await
}

/// The HTML of one stage's column.
fn column(html: &str, stage: Uuid) -> &str {
    let start = html.find(&format!("id=\"stage-{stage}\"")).unwrap_or_else(|| panic!("no column for {stage}"));
    let rest = &html[start..];
    let end = rest[1..].find("<section").map(|e| e + 1).unwrap_or(rest.len());
    &rest[..end]
}

async fn stage_of(app: &TestApp, id: &str) -> String {
    let d = app.get(&format!("/api/v1/deals/{id}")).await;
    d.body["stage_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn stage_counts_and_totals_follow_visibility() {
    for app in TestApp::all().await {
        let name = app.name();
        let (_, st) = stages(&app).await;
        let (member_id, mut member) = signed_in(&app, "member@example.com", "member").await;
        let vis = app.patch("/api/v1/workspace/visibility", json!({"deals": "private"})).await;
        assert_eq!(vis.status, StatusCode::OK, "[{name}] {}", vis.body);

        let org = app.create("organizations", json!({"name": "Acme <b>Bold</b>"})).await;
        let mine = json!({"name": "<script>alert(1)</script>", "stage_id": st[0], "amount_minor": 1000, "currency": "EUR",
            "owner_id": member_id, "organization_id": org["id"], "expected_close_date": "2026-12-31"});
        app.create("deals", mine).await;
        deal(&app, "Second of mine", st[0], 2500, "EUR", member_id).await;
        deal(&app, "Dollar deal", st[0], 700, "USD", member_id).await;
        deal(&app, "Hidden admin deal", st[0], 99_999, "EUR", app.user_id).await;
        deal(&app, "Qualified one", st[1], 400, "EUR", member_id).await;

        // The store's grouped query, as the member sees it.
        let scope = app.store.user_scope(app.scope.workspace_id, member_id, Via::Web).await.unwrap().unwrap();
        let (pid, _) = stages(&app).await;
        let totals = app.store.stage_totals(&scope, pid).await.unwrap();
        let first: Vec<_> = totals.iter().filter(|t| t.stage_id == st[0]).collect();
        assert_eq!(first.iter().map(|t| t.count).sum::<i64>(), 3, "[{name}] {totals:?}");
        assert!(first.iter().any(|t| t.currency == "EUR" && t.amount_minor == 3500), "[{name}] {totals:?}");
        assert!(first.iter().any(|t| t.currency == "USD" && t.amount_minor == 700), "[{name}] {totals:?}");

        let page = member.get("/board").await;
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        let col = column(&page.body, st[0]);
        assert!(col.contains("data-count=\"3\""), "[{name}] member count: {col}");
        assert!(col.contains("€35.00") && col.contains("$7.00"), "[{name}] totals per currency: {col}");
        assert!(!page.body.contains("Hidden admin deal"), "[{name}] a deal the member may not see");
        assert!(column(&page.body, st[1]).contains("data-count=\"1\""), "[{name}]");
        assert!(column(&page.body, st[2]).contains("data-count=\"0\""), "[{name}]");
        assert!(page.body.contains("id=\"board\""), "[{name}]");
        // Escaping of names.
        assert!(page.body.contains("&#60;script&#62;alert(1)"), "[{name}] escaped deal name: {}", column(&page.body, st[0]));
        assert!(!page.body.contains("<script>alert(1)"), "[{name}] no raw script");
        assert!(page.body.contains("Acme &#60;b&#62;Bold"), "[{name}] escaped organization name");
        // The won and lost stages have columns too.
        assert!(page.body.contains("outcome-won") && page.body.contains("outcome-lost"), "[{name}]");

        let mut adm = admin(&app).await;
        let page = adm.get("/board").await;
        let col = column(&page.body, st[0]);
        assert!(col.contains("data-count=\"4\""), "[{name}] admin count: {col}");
        assert!(col.contains("€1,034.99"), "[{name}] admin total: {col}");
        assert!(col.contains("Hidden admin deal"), "[{name}]");

        // Signed out: to the sign-in page and back.
        let anon = app.browser().get("/board").await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER, "[{name}]");
        assert!(anon.location().unwrap().starts_with("/login?next="), "[{name}]");
    }
}

#[tokio::test]
async fn columns_show_the_first_cards_and_link_to_the_rest() {
    for app in TestApp::all().await {
        let name = app.name();
        let (pid, st) = stages(&app).await;
        let inputs: Vec<_> = (0..35)
            .map(|i| obj(json!({"name": format!("Bulk {i}"), "stage_id": st[2], "amount_minor": 100, "currency": "EUR"})))
            .collect();
        app.store.create_many(&app.scope, Kind::Deal, &inputs).await.unwrap();
        // Into the won stage too: closed columns show their count and total, no cards.
        deal(&app, "Won deal", st[4], 900, "EUR", app.user_id).await;
        let mut b = admin(&app).await;
        let page = b.get("/board").await;
        let col = column(&page.body, st[2]);
        assert_eq!(col.matches("class=\"board-card\"").count(), 12, "[{name}] 12 cards drawn");
        assert!(col.contains("data-count=\"35\""), "[{name}]");
        assert!(col.contains("€35.00"), "[{name}]");
        assert!(col.contains(&format!("href=\"/deals?stage_id={}\"", st[2])), "[{name}] show all link");
        let more = format!("/board?pipeline={pid}&#38;more={}#stage-{}", st[2], st[2]);
        assert!(col.contains(&format!("href=\"{more}\"")), "[{name}] show more link: {col}");
        let won = column(&page.body, st[4]);
        assert!(won.contains("data-count=\"1\"") && won.contains("€9.00"), "[{name}] {won}");
        assert!(page.body.contains(&format!("is-collapsed\" id=\"stage-{}\"", st[4])), "[{name}] collapsed");
        assert!(!won.contains("Won deal") && !won.contains("board-card"), "[{name}] no cards in a closed column: {won}");
        assert!(won.contains(&format!("href=\"/deals?stage_id={}\"", st[4])), "[{name}] the won deals are in the list");

        let page = b.get(&format!("/board?pipeline={pid}&more={}", st[2])).await;
        let col = column(&page.body, st[2]);
        assert_eq!(col.matches("class=\"board-card\"").count(), 35, "[{name}] the column drawn in full");
        assert!(!col.contains("more="), "[{name}] nothing more to show");
        assert_eq!(column(&page.body, st[0]).matches("class=\"board-card\"").count(), 0, "[{name}] other columns as before");
    }
}

/// The ids of the cards a column draws, in order.
fn card_ids(col: &str) -> Vec<String> {
    col.split("class=\"board-card\" id=\"deal-").skip(1).map(|s| s[..36].to_string()).collect()
}

/// The deals list of one stage as `reader` sees it, newest in the stage first: what its column must draw.
async fn listed(app: &TestApp, reader: &Scope, pipeline: Uuid, stage: Uuid, limit: u64) -> Vec<String> {
    use rapport_domain::filter::{self, Filter};
    let filter = Filter::All(vec![
        Filter::Cond(filter::condition(Kind::Deal, "pipeline_id", "eq", &pipeline.to_string(), &[]).unwrap()),
        Filter::Cond(filter::condition(Kind::Deal, "stage_id", "eq", &stage.to_string(), &[]).unwrap()),
    ]);
    let sort = Some(filter::sort(Kind::Deal, "-stage_entered_at", &[]).unwrap());
    let q = rapport_store::ListQuery { filter, sort, limit, ..Default::default() };
    let page = app.store.list(reader, Kind::Deal, &q).await.unwrap();
    page.items.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn every_column_draws_the_deals_its_reader_sees_newest_first() {
    for app in TestApp::all().await {
        let name = app.name();
        let (pid, st) = stages(&app).await;
        let (member_id, mut member) = signed_in(&app, "member@example.com", "member").await;
        let vis = app.patch("/api/v1/workspace/visibility", json!({"deals": "private"})).await;
        assert_eq!(vis.status, StatusCode::OK, "[{name}] {}", vis.body);
        // Stage 0: 14 of the member's, 10 of the admin's, 2 nobody's (everyone's), written in
        // batches (equal stage entry times, so the id breaks ties) and one by one.
        let batch = |n: usize, tag: &str, stage: Uuid, owner: Option<Uuid>| -> Vec<_> {
            (0..n)
                .map(|i| obj(json!({"name": format!("{tag} {i}"), "stage_id": stage, "amount_minor": 100, "currency": "EUR", "owner_id": owner})))
                .collect()
        };
        for (n, tag, stage, owner) in [
            (10, "Member", st[0], Some(member_id)),
            (10, "Admin", st[0], Some(app.user_id)),
            (2, "Nobody", st[0], None),
            (3, "Member late", st[1], Some(member_id)),
            (20, "Admin only", st[2], Some(app.user_id)),
        ] {
            app.store.create_many(&app.scope, Kind::Deal, &batch(n, tag, stage, owner)).await.unwrap();
        }
        for i in 0..4 {
            deal(&app, &format!("Member one {i}"), st[0], 100, "EUR", member_id).await;
        }
        // An admin's deal shared with the member is the member's to see too.
        let shared = deal(&app, "Shared with the member", st[2], 100, "EUR", app.user_id).await;
        let shared_id = Uuid::parse_str(shared["id"].as_str().unwrap()).unwrap();
        let target = rapport_store::access::ShareTarget::User(member_id);
        app.store.share(&app.scope, Kind::Deal, shared_id, target, "read").await.unwrap();
        deal(&app, "Won by the member", st[4], 100, "EUR", member_id).await;

        let member_scope = app.store.user_scope(app.scope.workspace_id, member_id, Via::Web).await.unwrap().unwrap();
        let mut adm = admin(&app).await;
        for (who, browser, scope) in [("member", &mut member, &member_scope), ("admin", &mut adm, &app.scope)] {
            for more in [None, Some(st[0])] {
                let path = match more {
                    None => "/board".to_string(),
                    Some(s) => format!("/board?pipeline={pid}&more={s}"),
                };
                let page = browser.get(&path).await;
                assert_eq!(page.status, StatusCode::OK, "[{name}] {who} {path}: {}", page.body);
                for (i, stage) in st.iter().enumerate().take(4) {
                    let limit = if more == Some(*stage) { 100 } else { 12 };
                    let want = listed(&app, scope, pid, *stage, limit).await;
                    let got = card_ids(column(&page.body, *stage));
                    assert_eq!(got, want, "[{name}] {who} {path}: the cards of stage {i}");
                }
                assert!(card_ids(column(&page.body, st[4])).is_empty(), "[{name}] no cards in the won column");
            }
        }
        // What those lists hold, so that the comparison above means something.
        let seen = [
            (&member_scope, st[0], 16, "the member's 14 and nobody's 2"),
            (&member_scope, st[1], 3, "the member's 3"),
            (&member_scope, st[2], 1, "the shared deal alone"),
            (&app.scope, st[0], 26, "all of them"),
        ];
        for (scope, stage, n, what) in seen {
            assert_eq!(listed(&app, scope, pid, stage, 100).await.len(), n, "[{name}] {what}");
        }
        let page = member.get("/board").await;
        assert!(column(&page.body, st[2]).contains("Shared with the member"), "[{name}]");
        assert!(!page.body.contains("Admin only"), "[{name}] no deal the member may not see");
        assert!(column(&page.body, st[0]).contains("data-count=\"16\""), "[{name}]");
        assert_eq!(card_ids(column(&page.body, st[0])).len(), 12, "[{name}]");
        assert!(page.body.contains("Member one 3"), "[{name}] the deal written last is drawn");
    }
}

#[tokio::test]
async fn the_switcher_shows_each_pipeline() {
    for app in TestApp::all().await {
        let name = app.name();
        let (default_id, _) = stages(&app).await;
        let body = json!({"name": "Renewals", "stages": [
            {"name": "Due", "probability": 50}, {"name": "Renewed", "probability": 100, "outcome": "won"},
            {"name": "Churned", "probability": 0, "outcome": "lost"}]});
        let created = app.post("/api/v1/pipelines", body).await;
        assert_eq!(created.status, StatusCode::CREATED, "[{name}] {}", created.body);
        let pid = created.body["id"].as_str().unwrap().to_string();
        let due = created.body["stages"][0]["id"].as_str().unwrap().to_string();
        app.create("deals", json!({"name": "Renewal deal", "pipeline_id": pid, "stage_id": due, "amount_minor": 1200})).await;
        let mut b = admin(&app).await;

        let page = b.get("/board").await;
        assert!(page.body.contains("id=\"board-pipelines\""), "[{name}] a switcher");
        assert!(
            page.body.contains(&format!("href=\"/board?pipeline={default_id}\" aria-current=\"page\"")),
            "[{name}] default first"
        );
        assert!(page.body.contains(&format!("href=\"/board?pipeline={pid}\"")), "[{name}]");
        assert!(!page.body.contains("Renewal deal"), "[{name}] not on the default pipeline");

        let page = b.get(&format!("/board?pipeline={pid}")).await;
        assert_eq!(page.status, StatusCode::OK, "[{name}]");
        assert!(page.body.contains(&format!("href=\"/board?pipeline={pid}\" aria-current=\"page\"")), "[{name}]");
        assert!(column(&page.body, due.parse().unwrap()).contains("Renewal deal"), "[{name}]");
        assert!(page.body.contains("Churned") && !page.body.contains(">Lead in<"), "[{name}] its own stages");
        let missing = b.get(&format!("/board?pipeline={}", Uuid::now_v7())).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "[{name}]");
    }
}

#[tokio::test]
async fn the_move_form_changes_the_stage_once() {
    for app in TestApp::all().await {
        let name = app.name();
        let (pid, st) = stages(&app).await;
        let d = deal(&app, "Moving deal", st[0], 5000, "EUR", app.user_id).await;
        let id = d["id"].as_str().unwrap().to_string();
        let mut b = admin(&app).await;
        let page = b.get("/board").await;
        assert!(page.body.contains(&format!("href=\"/board/move?deal={id}\"")), "[{name}] a Move to link per card");
        assert!(!page.body.contains("<select"), "[{name}] no form per card");
        let page = b.get(&format!("/board/move?deal={id}")).await;
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        assert!(page.body.contains("id=\"move-stage\""), "[{name}] the move page");
        assert!(page.body.contains(&format!("<option value=\"{}\" selected>", st[0])), "[{name}] the current stage chosen");
        assert!(page.body.contains("Moving deal"), "[{name}]");
        assert_eq!(page.field("version").as_deref(), Some("1"), "[{name}]");
        let csrf = page.field("csrf").unwrap();
        let missing = b.get(&format!("/board/move?deal={}", Uuid::now_v7())).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "[{name}]");
        let (pid_s, s1, s2) = (pid.to_string(), st[1].to_string(), st[2].to_string());

        // Without the CSRF token: refused, unchanged.
        let no_csrf =
            b.post_form("/board/move", &[("deal_id", &id), ("version", "1"), ("stage_id", &s1), ("pipeline", &pid_s)]).await;
        assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "[{name}]");
        let wrong = b
            .post_form(
                "/board/move",
                &[("csrf", "not-the-token"), ("deal_id", &id), ("version", "1"), ("stage_id", &s1), ("pipeline", &pid_s)],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN, "[{name}]");
        assert_eq!(stage_of(&app, &id).await, st[0].to_string(), "[{name}] unchanged without csrf");

        let moved = b
            .post_form(
                "/board/move",
                &[("csrf", &csrf), ("deal_id", &id), ("version", "1"), ("stage_id", &s1), ("pipeline", &pid_s)],
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "[{name}] {}", moved.body);
        let to = moved.location().unwrap().to_string();
        assert!(to.starts_with(&format!("/board?pipeline={pid}")), "[{name}] back to the board: {to}");
        assert_eq!(stage_of(&app, &id).await, s1, "[{name}] the stage changed");
        let history = app.store.stage_history(&app.scope, Uuid::parse_str(&id).unwrap()).await.unwrap();
        assert_eq!(history.len(), 2, "[{name}] {history:?}");
        assert_eq!(history[1]["stage_id"].as_str(), Some(s1.as_str()), "[{name}]");
        let after = b.get(to.split('#').next().unwrap()).await;
        assert!(after.body.contains("id=\"board-flash\""), "[{name}] says it moved");
        assert!(column(&after.body, st[1]).contains("Moving deal"), "[{name}]");
        assert!(column(&after.body, st[1]).contains("data-count=\"1\""), "[{name}]");
        assert!(column(&after.body, st[0]).contains("data-count=\"0\""), "[{name}]");

        // The version read before the move is stale now.
        let stale = b
            .post_form(
                "/board/move",
                &[("csrf", &csrf), ("deal_id", &id), ("version", "1"), ("stage_id", &s2), ("pipeline", &pid_s)],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "[{name}] {}", stale.body);
        assert!(stale.body.contains("Someone else changed this record"), "[{name}]");
        assert!(stale.body.contains("id=\"board-error\""), "[{name}] the board again, with the reason");
        assert!(column(&stale.body, st[1]).contains("Moving deal"), "[{name}] the board as it is now");
        assert_eq!(stage_of(&app, &id).await, s1, "[{name}] unchanged by a stale form");

        // Into the won stage: the deal is won.
        let won = st[4].to_string();
        let res = b
            .post_form(
                "/board/move",
                &[("csrf", &csrf), ("deal_id", &id), ("version", "2"), ("stage_id", &won), ("pipeline", &pid_s)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "[{name}] {}", res.body);
        let d = app.get(&format!("/api/v1/deals/{id}")).await;
        assert_eq!(d.body["status"], "won", "[{name}]");
        let after = b.get("/board").await;
        assert!(column(&after.body, st[4]).contains("data-count=\"1\""), "[{name}] counted as won");
        assert!(!after.body.contains("Moving deal"), "[{name}] a won deal leaves the open columns");

        // A stage that does not exist.
        let res = b
            .post_form(
                "/board/move",
                &[
                    ("csrf", &csrf),
                    ("deal_id", &id),
                    ("version", "3"),
                    ("stage_id", &Uuid::now_v7().to_string()),
                    ("pipeline", &pid_s),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
    }
}

#[tokio::test]
async fn read_only_users_and_other_workspaces_cannot_move_deals() {
    for app in TestApp::all().await {
        let name = app.name();
        let (pid, st) = stages(&app).await;
        let d = deal(&app, "Watched deal", st[0], 5000, "EUR", app.user_id).await;
        let id = d["id"].as_str().unwrap().to_string();
        let (_, mut reader) = signed_in(&app, "reader@example.com", "read_only").await;
        let page = reader.get("/board").await;
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        assert!(page.body.contains("Watched deal"), "[{name}] a reader sees the board");
        assert!(!page.body.contains("/board/move?deal="), "[{name}] no move link for a reader");
        let move_page = reader.get(&format!("/board/move?deal={id}")).await;
        assert_eq!(move_page.status, StatusCode::FORBIDDEN, "[{name}] no move page for a reader");
        assert!(!page.body.contains("draggable=\"true\""), "[{name}] nothing to drag for a reader");
        let csrf = reader.session_csrf().await;
        let res = reader
            .post_form(
                "/board/move",
                &[
                    ("csrf", &csrf),
                    ("deal_id", &id),
                    ("version", "1"),
                    ("stage_id", &st[1].to_string()),
                    ("pipeline", &pid.to_string()),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "[{name}] {}", res.body);
        assert_eq!(stage_of(&app, &id).await, st[0].to_string(), "[{name}] unchanged by a reader");

        // The admin of another workspace cannot reach this deal.
        let other = app.store.create_workspace("Other company", "EUR", "FR").await.unwrap();
        let system = Scope::system(other.id, Via::Cli);
        let user = obj(json!({"email": "other@example.com", "name": "Olga Other", "role": "admin"}));
        let (user, _) = app.store.create(&system, Kind::User, &user, &Default::default()).await.unwrap();
        let uid = Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();
        let hash = rapport_store::auth::hash_password(PASSWORD).await.unwrap();
        app.store.set_password_hash(&system, uid, &hash, "password_set").await.unwrap();
        let mut ob = app.browser();
        let res = ob.login("other@example.com", PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "[{name}] {}", res.body);
        let board = ob.get("/board").await;
        assert_eq!(board.status, StatusCode::OK, "[{name}] {}", board.body);
        assert!(!board.body.contains("Watched deal"), "[{name}] another workspace's board");
        let csrf = ob.session_csrf().await;
        let res = ob
            .post_form("/board/move", &[("csrf", &csrf), ("deal_id", &id), ("version", "1"), ("stage_id", &st[1].to_string())])
            .await;
        assert!(matches!(res.status.as_u16(), 404 | 422), "[{name}] {} {}", res.status, res.body);
        assert_eq!(stage_of(&app, &id).await, st[0].to_string(), "[{name}] unchanged from another workspace");
        // Another workspace's pipeline id is not found here.
        let res = ob.get(&format!("/board?pipeline={pid}")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "[{name}]");
    }
}
