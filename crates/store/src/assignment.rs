//! Assignment rules: who gets a new lead (person), deal or task created
//! without an owner. Rules of a kind are tried in order of position; the first
//! whose conditions the record meets and that finds a user wins. A rule with
//! no conditions matches every record: placed last, it is the fallback owner.
//!
//! A rule gives the record to a fixed user, to a team's members in turn
//! (round-robin, the turn kept in the rule's row), or to the team member with
//! the fewest open items (load). Users inactive or marked `away` are skipped.
//! The creation's change-log row names the rule under `assigned_by_rule`.

use std::borrow::Cow;

use rapport_domain::value::{new_id, now};
use rapport_domain::workflow::{self, Method, Rule};
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Cond, Expr, ExprTrait, LockType, Order, Query};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::access::require_admin;
use crate::db::{Col, Tx, str_at, uuid_at};
use crate::records::Record;
use crate::sql::t;
use crate::values::{opt_uuid, time, uuid};
use crate::{Scope, Store, StoreError, audit, custom_fields, versions};

const COLS: [&str; 13] = [
    "id",
    "kind",
    "name",
    "position",
    "conditions",
    "method",
    "user_id",
    "team_id",
    "active",
    "last_user_id",
    "created_at",
    "updated_at",
    "version",
];
const TYPES: [Col; 13] = [
    Col::Uuid,
    Col::Text,
    Col::Text,
    Col::Int,
    Col::Json,
    Col::Text,
    Col::Uuid,
    Col::Uuid,
    Col::Bool,
    Col::Uuid,
    Col::DateTime,
    Col::DateTime,
    Col::Int,
];

fn rule_json(r: Vec<Json>) -> Json {
    json!({"id": r[0], "kind": r[1], "name": r[2], "position": r[3], "conditions": r[4], "method": r[5], "user_id": r[6],
           "team_id": r[7], "active": r[8], "last_user_id": r[9], "created_at": r[10], "updated_at": r[11], "version": r[12]})
}

/// The rule as stored: its id, its definition and its round-robin turn.
pub(crate) struct Stored {
    pub id: Uuid,
    pub rule: Rule,
    pub last_user_id: Option<Uuid>,
}

pub(crate) fn stored(row: &[Json]) -> Option<Stored> {
    let method = match str_at(row, 5)? {
        "user" => Method::User(uuid_at(row, 6)?),
        "round_robin" => Method::RoundRobin(uuid_at(row, 7)?),
        "load" => Method::Load(uuid_at(row, 7)?),
        _ => return None,
    };
    // A built-in kind's name, or a custom kind's key.
    let named = str_at(row, 1)?;
    let builtin = Kind::parse(named).filter(|k| workflow::ASSIGNABLE.contains(k));
    let rule = Rule {
        kind: builtin.unwrap_or(Kind::Object),
        object_type: builtin.is_none().then(|| named.to_string()),
        name: str_at(row, 2)?.to_string(),
        position: row[3].as_i64()?,
        conditions: serde_json::from_value(row[4].clone()).ok()?,
        method,
        active: row[8].as_bool()?,
    };
    Some(Stored { id: uuid_at(row, 0)?, rule, last_user_id: uuid_at(row, 9) })
}

/// The rules of a workspace; of one kind (its name, or a custom kind's key), or one rule.
pub(crate) async fn load(
    tx: &mut Tx,
    workspace_id: Uuid,
    kind: Option<&str>,
    id: Option<Uuid>,
) -> Result<Vec<Vec<Json>>, StoreError> {
    let mut q = Query::select()
        .columns(COLS.map(t))
        .from(t("assignment_rules"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .order_by(t("kind"), Order::Asc)
        .order_by(t("position"), Order::Asc)
        .order_by(t("id"), Order::Asc)
        .to_owned();
    if let Some(k) = kind {
        q.and_where(Expr::col(t("kind")).eq(k));
    }
    if let Some(id) = id {
        q.and_where(Expr::col(t("id")).eq(uuid(id)));
    }
    tx.rows(&q, &TYPES).await
}

/// Active members of a team who are not away, in id order.
async fn team_candidates(tx: &mut Tx, workspace_id: Uuid, team: Uuid) -> Result<Vec<Uuid>, StoreError> {
    let members = Query::select()
        .column(t("to_id"))
        .from(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("from_kind")).eq(Kind::Team.as_str()))
        .and_where(Expr::col(t("from_id")).eq(uuid(team)))
        .and_where(Expr::col(t("to_kind")).eq(Kind::User.as_str()))
        .to_owned();
    let q = Query::select()
        .column(t("id"))
        .from(t("users"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("active")).eq(true))
        .cond_where(Cond::any().add(Expr::col(t("away")).is_null()).add(Expr::col(t("away")).eq(false)))
        .and_where(Expr::col(t("id")).in_subquery(members))
        .order_by(t("id"), Order::Asc)
        .to_owned();
    Ok(tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect())
}

/// Open items each candidate holds: people owned, open deals, open tasks,
/// open records of the rule's custom kind.
async fn open_items(tx: &mut Tx, workspace_id: Uuid, rule: &Rule, users: &[Uuid]) -> Result<Vec<(Uuid, i64)>, StoreError> {
    let kind = rule.kind;
    let owner = workflow::owner_field(kind).expect("assignable kinds have an owner");
    let mut q = Query::select()
        .column(t(owner))
        .expr(Expr::cust("COUNT(*)"))
        .from(t(kind.table()))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t(owner)).is_in(users.iter().map(|u| uuid(*u))))
        .group_by_col(t(owner))
        .to_owned();
    match kind {
        Kind::Deal => {
            q.and_where(Expr::col(t("status")).eq("open"));
        }
        Kind::Task => {
            q.and_where(Expr::col(t("status")).is_in(["open", "in_progress"]));
        }
        // A kind without a status has no closed records.
        Kind::Object => {
            q.and_where(Expr::col(t("type")).eq(rule.owner()))
                .cond_where(Cond::any().add(Expr::col(t("status")).is_null()).add(Expr::col(t("status")).eq("open")));
        }
        _ => {}
    }
    let counts: Vec<(Uuid, i64)> =
        tx.rows(&q, &[Col::Uuid, Col::Int]).await?.iter().filter_map(|r| Some((uuid_at(r, 0)?, r[1].as_i64()?))).collect();
    Ok(users.iter().map(|u| (*u, counts.iter().find(|(c, _)| c == u).map(|(_, n)| *n).unwrap_or(0))).collect())
}

/// The user a rule gives a record to, advancing its round-robin turn; `None` when its team has no one available.
pub(crate) async fn pick(tx: &mut Tx, workspace_id: Uuid, s: &Stored) -> Result<Option<Uuid>, StoreError> {
    match s.rule.method {
        Method::User(u) => Ok(Some(u)),
        Method::RoundRobin(team) => {
            // The turn is read again under a row lock: two creations at once on
            // PostgreSQL would otherwise both take the turn read when the rules were loaded.
            let turn = Query::select()
                .column(t("last_user_id"))
                .from(t("assignment_rules"))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
                .and_where(Expr::col(t("id")).eq(uuid(s.id)))
                .lock(LockType::Update)
                .to_owned();
            let last = match tx.row(&turn, &[Col::Uuid]).await? {
                Some(r) => uuid_at(&r, 0),
                None => s.last_user_id,
            };
            let candidates = team_candidates(tx, workspace_id, team).await?;
            let Some(next) = workflow::round_robin_next(&candidates, last) else { return Ok(None) };
            let upd = Query::update()
                .table(t("assignment_rules"))
                .value(t("last_user_id"), uuid(next))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
                .and_where(Expr::col(t("id")).eq(uuid(s.id)))
                .to_owned();
            tx.exec(&upd).await?;
            Ok(Some(next))
        }
        Method::Load(team) => {
            let candidates = team_candidates(tx, workspace_id, team).await?;
            if candidates.is_empty() {
                return Ok(None);
            }
            Ok(workflow::least_loaded(&open_items(tx, workspace_id, &s.rule, &candidates).await?))
        }
    }
}

/// Tries the kind's active rules in order against `record`; the user and the name of the rule that chose them.
pub(crate) async fn choose(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    record: &Record,
) -> Result<Option<(Uuid, String)>, StoreError> {
    // A custom record is assigned by the rules of its own kind.
    let owner = match kind {
        Kind::Object => record.get("type").and_then(Json::as_str).unwrap_or_default(),
        k => k.as_str(),
    };
    let rows = load(tx, scope.workspace_id, Some(owner), None).await?;
    let rules: Vec<Stored> = rows.iter().filter_map(|r| stored(r)).filter(|s| s.rule.active).collect();
    if rules.is_empty() {
        return Ok(None);
    }
    let custom = custom_fields::load_for(tx, scope, owner).await?;
    for s in rules {
        let Ok(conds) = workflow::conditions(kind, &s.rule.conditions, &custom, "conditions") else { continue };
        if !workflow::matches_all(&conds, record) {
            continue;
        }
        if let Some(user) = pick(tx, scope.workspace_id, &s).await? {
            return Ok(Some((user, s.rule.name.clone())));
        }
    }
    Ok(None)
}

/// Runs on every create, inside its transaction and before validation: a
/// person, deal or task without an owner gets one from the rules. Returns the
/// name of the rule that assigned it.
pub(crate) async fn apply_in(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    input: &mut Cow<'_, Record>,
) -> Result<Option<String>, StoreError> {
    let assignable = workflow::ASSIGNABLE.contains(&kind) || kind == Kind::Object;
    let Some(owner) = workflow::owner_field(kind).filter(|_| assignable) else { return Ok(None) };
    let set = |f: &str| input.get(f).is_some_and(|v| !v.is_null());
    if set(owner) || (kind == Kind::Task && set("assignee_team_id")) {
        return Ok(None);
    }
    let Some((user, rule)) = choose(tx, scope, kind, input).await? else { return Ok(None) };
    input.to_mut().insert(owner.into(), Json::String(user.to_string()));
    Ok(Some(rule))
}

/// Adds the rule that assigned a record to its creation's change-log diff.
pub(crate) fn with_rule(mut diff: Map<String, Json>, rule: Option<String>) -> Map<String, Json> {
    if let Some(r) = rule {
        diff.insert("assigned_by_rule".into(), json!({"old": null, "new": r}));
    }
    diff
}

/// Checks that the rule's user or team exists in the workspace.
async fn check_refs(tx: &mut Tx, scope: &Scope, rule: &Rule) -> Result<(), StoreError> {
    let (field, table, id) = match rule.method {
        Method::User(u) => ("user_id", "users", u),
        Method::RoundRobin(team) | Method::Load(team) => ("team_id", "teams", team),
    };
    let q = Query::select()
        .column(t("id"))
        .from(t(table))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(id)))
        .to_owned();
    if tx.row(&q, &[Col::Uuid]).await?.is_none() {
        return Err(StoreError::Invalid(ValidationErrors::single(
            field,
            "not_found",
            format!("no {} with id {id}", &table[..table.len() - 1]),
        )));
    }
    Ok(())
}

async fn parse(tx: &mut Tx, scope: &Scope, raw: &Json) -> Result<Rule, StoreError> {
    let named = raw.get("kind").and_then(Json::as_str).unwrap_or_default();
    let builtin = Kind::parse(named).filter(|k| workflow::ASSIGNABLE.contains(k));
    // Not a built-in kind: a custom kind's key, if the workspace has that kind.
    let object_type = match builtin {
        Some(_) => None,
        None => match crate::object_types::load_one(tx, scope, named).await {
            Ok(t) => Some(t.key),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        },
    };
    // A built-in kind's fields by its name, a custom kind's by its key (none for an unknown kind).
    let custom = match (builtin, &object_type) {
        (Some(k), _) => custom_fields::load_for(tx, scope, k.as_str()).await?,
        (None, Some(key)) => custom_fields::load_for(tx, scope, key).await?,
        (None, None) => vec![],
    };
    let rule = workflow::parse_rule(raw, &custom, object_type.as_deref())?;
    check_refs(tx, scope, &rule).await?;
    Ok(rule)
}

fn values(rule: &Rule) -> Vec<(&'static str, sea_query::Value)> {
    let (method, user, team) = match rule.method {
        Method::User(u) => ("user", Some(u), None),
        Method::RoundRobin(tm) => ("round_robin", None, Some(tm)),
        Method::Load(tm) => ("load", None, Some(tm)),
    };
    vec![
        ("kind", rule.owner().into()),
        ("name", rule.name.clone().into()),
        ("position", rule.position.into()),
        ("conditions", json!(rule.conditions).into()),
        ("method", method.into()),
        ("user_id", opt_uuid(user)),
        ("team_id", opt_uuid(team)),
        ("active", rule.active.into()),
        ("updated_at", time(now())),
    ]
}

impl Store {
    /// The rules, per kind (a built-in kind's name or a custom kind's key) in the order they are tried (admins).
    pub async fn assignment_rules(&self, scope: &Scope, kind: Option<&str>) -> Result<Vec<Json>, StoreError> {
        require_admin(scope)?;
        let mut tx = self.db.read().await?;
        let rows = load(&mut tx, scope.workspace_id, kind, None).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(rule_json).collect())
    }

    pub async fn assignment_rule(&self, scope: &Scope, id: Uuid) -> Result<Json, StoreError> {
        require_admin(scope)?;
        let mut tx = self.db.read().await?;
        let rows = load(&mut tx, scope.workspace_id, None, Some(id)).await?;
        tx.commit().await?;
        rows.into_iter().next().map(rule_json).ok_or(StoreError::NotFound)
    }

    pub async fn create_assignment_rule(&self, scope: &Scope, input: &Json) -> Result<Json, StoreError> {
        require_admin(scope)?;
        let mut tx = self.db.write().await?;
        let rule = parse(&mut tx, scope, input).await?;
        let id = new_id();
        let mut cols = vec![("workspace_id", uuid(scope.workspace_id)), ("id", uuid(id)), ("created_at", time(now()))];
        cols.extend(values(&rule));
        let (names, vals): (Vec<&str>, Vec<sea_query::Value>) = cols.into_iter().unzip();
        let ins = Query::insert()
            .into_table(t("assignment_rules"))
            .columns(names.into_iter().map(t))
            .values_panic(vals.into_iter().map(Expr::val))
            .to_owned();
        tx.exec(&ins).await?;
        audit::append(&mut tx, scope, "assignment_rule_created", None, json!({"rule_id": id, "rule": rule.to_json()})).await?;
        tx.commit().await?;
        self.assignment_rule(scope, id).await
    }

    /// Merges a patch into the rule and checks the result as a whole.
    /// Merges a patch into the rule; refused when the rule is no longer at
    /// `if_match` (or at the version read here).
    pub async fn update_assignment_rule(
        &self,
        scope: &Scope,
        id: Uuid,
        patch: &Json,
        if_match: Option<i64>,
    ) -> Result<Json, StoreError> {
        let mut merged = self.assignment_rule(scope, id).await?;
        let expected = versions::expected(if_match, &merged);
        if !patch.is_object() {
            return Err(StoreError::Invalid(ValidationErrors::single(
                "",
                "invalid_type",
                "expected a JSON object (merge patch)",
            )));
        }
        json_patch::merge(&mut merged, patch);
        let mut tx = self.db.write().await?;
        let rule = parse(&mut tx, scope, &merged).await?;
        let mut upd = Query::update()
            .table(t("assignment_rules"))
            .values(values(&rule).into_iter().map(|(c, v)| (t(c), Expr::val(v))))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        versions::guard(&mut upd, expected);
        versions::apply(&mut tx, scope, "assignment_rules", id, &upd, expected).await?;
        audit::append(&mut tx, scope, "assignment_rule_changed", None, json!({"rule_id": id, "rule": rule.to_json()})).await?;
        tx.commit().await?;
        self.assignment_rule(scope, id).await
    }

    pub async fn delete_assignment_rule(&self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        let rule = self.assignment_rule(scope, id).await?;
        let del = Query::delete()
            .from_table(t("assignment_rules"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&del).await?;
        audit::append(
            &mut tx,
            scope,
            "assignment_rule_deleted",
            None,
            json!({"rule_id": id, "name": str_at(&[rule["name"].clone()], 0)}),
        )
        .await?;
        tx.commit().await
    }
}
