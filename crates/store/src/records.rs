//! The generic record engine: get, list, create, update and delete for every
//! kind, driven by the field tables in `rapport_domain::schema`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rapport_domain::filter::{ColType, Column, Filter, Sort};
use rapport_domain::schema::{self, Access, FieldType};
use rapport_domain::validate::{self, Changes, Mode};
use rapport_domain::value::{new_id, now};
use rapport_domain::{FieldValue, Kind, ValidationErrors, money};
use sea_query::{Alias, Cond, Expr, ExprTrait, LockType, Order, Query, SelectStatement, Value};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::db::{Backend, Col, Tx, str_at, uuid_at};
use crate::sql::{self, t, tc};
use crate::values::{col_of, opt_uuid, time, to_sql, uuid};
use crate::{Conflict, Scope, Store, StoreError, access, changes, pipelines, relations, search, workspaces};

/// A record as the API shows it: a JSON object.
pub type Record = Map<String, Json>;

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Filter,
    /// Global-search text the records must match too (`q=`).
    pub search: Option<String>,
    pub sort: Option<Sort>,
    pub limit: u64,
    pub cursor: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self { filter: Filter::All(vec![]), search: None, limit: 50, sort: None, cursor: None }
    }
}

#[derive(Debug, Clone)]
pub struct ListPage {
    pub items: Vec<Record>,
    pub next_cursor: Option<String>,
}

/// A client's idempotency key and a digest of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The version the client last read (`If-Match`); a stale one is refused.
    pub if_match: Option<i64>,
    pub idempotency: Option<Idempotency>,
}

const SYSTEM: [(&str, Col); 6] = [
    ("id", Col::Uuid),
    ("created_at", Col::DateTime),
    ("created_by", Col::Uuid),
    ("updated_at", Col::DateTime),
    ("updated_by", Col::Uuid),
    ("version", Col::Int),
];

/// Users and teams make up who sees what: a committed change to them makes
/// the remembered actors stale.
fn access_changed(kind: Kind) {
    if matches!(kind, Kind::User | Kind::Team) {
        crate::cache::invalidate();
    }
}

/// Whether a sort column is declared NOT NULL in the schema (both backends).
fn never_null(kind: Kind, column: &Column) -> bool {
    if column.custom {
        return false;
    }
    let per_kind: &[&str] = match kind {
        Kind::Organization | Kind::Person | Kind::Team => &["name"],
        Kind::Deal => &["name", "pipeline_id", "stage_id", "currency", "status", "stage_entered_at"],
        Kind::Activity => &["type", "occurred_at"],
        Kind::Task => &["title", "priority", "status"],
        Kind::User => &["email", "name", "role", "active"],
        Kind::Consent => &[],
        Kind::Object => &["type", "name"],
    };
    ["id", "created_at", "updated_at", "version"].contains(&column.name.as_str()) || per_kind.contains(&column.name.as_str())
}

/// The columns selected for a kind, in order.
fn shape(kind: Kind) -> Vec<(&'static str, Col)> {
    let mut cols: Vec<(&'static str, Col)> = SYSTEM.to_vec();
    if kind.has_custom_fields() {
        cols.push(("custom", Col::Json));
    }
    cols.extend(schema::fields(kind).iter().filter(|f| f.is_column()).map(|f| (f.name, col_of(f.ty))));
    cols
}

fn select(kind: Kind) -> SelectStatement {
    let table = kind.table();
    let mut q = Query::select();
    for (name, _) in shape(kind) {
        q.column((t(table), t(name)));
    }
    q.from(t(table));
    q
}

fn in_workspace(table: &str, scope: &Scope) -> Expr {
    tc(table, "workspace_id").eq(uuid(scope.workspace_id))
}

/// `cond` within the scope's workspace and, for a scope that sees only some
/// records, their visibility (`access::condition`).
fn scoped(table: &str, scope: &Scope, cond: Cond, visible: Option<Cond>) -> Cond {
    let all = Cond::all().add(in_workspace(table, scope)).add(cond);
    match visible {
        Some(v) => all.add(v),
        None => all,
    }
}

/// Reads records matching `cond` that the scope may read, with their links and computed fields.
pub(crate) async fn fetch(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    cond: Cond,
    order: impl FnOnce(&mut SelectStatement),
    limit: Option<u64>,
) -> Result<Vec<Record>, StoreError> {
    fetch_where(tx, scope, kind, cond, order, limit, false).await
}

/// The whole rows of a page whose ids were read first (from indexes that
/// cover its sort, so that rows outside the page are never read whole), in
/// the page's order; none for no id.
pub(crate) async fn fetch_by_ids(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    ids: Vec<Uuid>,
    order: impl FnOnce(&mut SelectStatement),
) -> Result<Vec<Record>, StoreError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let page = Cond::all().add(tc(kind.table(), "id").is_in(ids.into_iter().map(uuid)));
    fetch(tx, scope, kind, page, order, None).await
}

/// The ids of the records `fetch` would read, in the given order.
async fn fetch_ids(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    cond: Cond,
    order: impl FnOnce(&mut SelectStatement),
    limit: u64,
) -> Result<Vec<Uuid>, StoreError> {
    let table = kind.table();
    let visible = access::condition(tx, scope, kind, false).await?;
    let mut q = Query::select();
    q.column((t(table), t("id"))).from(t(table)).cond_where(scoped(table, scope, cond, visible)).limit(limit);
    order(&mut q);
    Ok(tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect())
}

/// As `fetch`; with `write`, only records the scope may change.
async fn fetch_where(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    cond: Cond,
    order: impl FnOnce(&mut SelectStatement),
    limit: Option<u64>,
    write: bool,
) -> Result<Vec<Record>, StoreError> {
    let table = kind.table();
    let visible = access::condition(tx, scope, kind, write).await?;
    let mut q = select(kind);
    q.cond_where(scoped(table, scope, cond, visible));
    order(&mut q);
    if let Some(l) = limit {
        q.limit(l);
    }
    read_records(tx, scope, kind, &q).await
}

/// Runs a query selecting `shape(kind)` and makes its rows records, with their links and computed fields.
async fn read_records(tx: &mut Tx, scope: &Scope, kind: Kind, q: &SelectStatement) -> Result<Vec<Record>, StoreError> {
    let cols = shape(kind);
    let types: Vec<Col> = cols.iter().map(|c| c.1).collect();
    let rows = tx.rows(q, &types).await?;
    let mut records: Vec<Record> =
        rows.into_iter().map(|r| cols.iter().zip(r).map(|((n, _), v)| (n.to_string(), v)).collect()).collect();
    attach_links(tx, scope, kind, &mut records).await?;
    for r in &mut records {
        computed(kind, r);
    }
    Ok(records)
}

/// The first rows of several lists at once: each part is its own limited,
/// ordered query (so each can walk its index and stop), and the parts are one
/// `UNION ALL` statement, whose links are read in one more, instead of two
/// statements per part. Every part gets the workspace and the scope's
/// visibility, as `fetch` gives them. SQL promises no order across the
/// parts: callers that need one sort the rows themselves.
pub(crate) async fn fetch_parts(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    parts: Vec<(Cond, u64)>,
    order: impl Fn(&mut SelectStatement),
) -> Result<Vec<Record>, StoreError> {
    if parts.is_empty() {
        return Ok(vec![]);
    }
    let table = kind.table();
    let visible = access::condition(tx, scope, kind, false).await?;
    let parts = parts.into_iter().map(|(cond, limit)| {
        let mut q = select(kind);
        q.cond_where(scoped(table, scope, cond, visible.clone()));
        order(&mut q);
        q.limit(limit);
        q
    });
    let q = sql::union_all(parts).expect("at least one part");
    read_records(tx, scope, kind, &q).await
}

fn computed(kind: Kind, r: &mut Record) {
    if kind == Kind::Deal {
        let amount = match (r.get("amount_minor").and_then(Json::as_i64), r.get("currency").and_then(Json::as_str)) {
            (Some(m), Some(c)) => Json::String(money::format_minor(m, c)),
            _ => Json::Null,
        };
        r.insert("amount".into(), amount);
    }
}

fn link_fields(kind: Kind) -> impl Iterator<Item = (&'static str, Kind, bool)> {
    schema::fields(kind).iter().filter_map(|f| match f.ty {
        FieldType::Links { target, role } => Some((f.name, target, role)),
        _ => None,
    })
}

async fn attach_links(tx: &mut Tx, scope: &Scope, kind: Kind, records: &mut [Record]) -> Result<(), StoreError> {
    let fields: Vec<_> = link_fields(kind).collect();
    if fields.is_empty() || records.is_empty() {
        return Ok(());
    }
    let ids: Vec<Value> = records.iter().filter_map(|r| uuid_at(&[r["id"].clone()], 0)).map(uuid).collect();
    let q = Query::select()
        .columns([t("from_id"), t("to_kind"), t("to_id"), t("role")])
        .from(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("from_kind")).eq(kind.as_str()))
        .and_where(Expr::col(t("from_id")).is_in(ids))
        .order_by(t("to_id"), Order::Asc)
        .to_owned();
    let rows = tx.rows(&q, &[Col::Uuid, Col::Text, Col::Uuid, Col::Text]).await?;
    let mut by_record: HashMap<String, Vec<Vec<Json>>> = HashMap::new();
    for r in rows {
        by_record.entry(r[0].as_str().unwrap_or_default().to_string()).or_default().push(r);
    }
    for rec in records.iter_mut() {
        let links = by_record.remove(rec["id"].as_str().unwrap_or_default()).unwrap_or_default();
        for (name, target, with_role) in &fields {
            let items: Vec<Json> = links
                .iter()
                .filter(|l| str_at(l, 1) == Some(target.as_str()))
                .map(|l| if *with_role { json!({"id": l[2], "role": l[3]}) } else { l[2].clone() })
                .collect();
            rec.insert(name.to_string(), Json::Array(items));
        }
    }
    Ok(())
}

pub(crate) async fn fetch_one(tx: &mut Tx, scope: &Scope, kind: Kind, id: Uuid) -> Result<Record, StoreError> {
    let cond = Cond::all().add(tc(kind.table(), "id").eq(uuid(id)));
    fetch(tx, scope, kind, cond, |_| {}, Some(1)).await?.into_iter().next().ok_or(StoreError::NotFound)
}

/// Reads a record about to be changed, locking its row on PostgreSQL so that
/// concurrent writers queue instead of failing (SQLite writers are serialized already).
/// A record the scope may read but not change is forbidden; one it may not read, not found.
async fn fetch_for_update(tx: &mut Tx, scope: &Scope, kind: Kind, id: Uuid) -> Result<Record, StoreError> {
    access::require_write(scope, kind)?;
    let cond = Cond::all().add(tc(kind.table(), "id").eq(uuid(id)));
    let lock = |q: &mut SelectStatement| {
        q.lock(LockType::Update);
    };
    match fetch_where(tx, scope, kind, cond, lock, Some(1), true).await?.into_iter().next() {
        Some(r) => Ok(r),
        None => {
            fetch_one(tx, scope, kind, id).await?;
            Err(StoreError::Forbidden(format!("you may read this {kind} but not change it")))
        }
    }
}

/// Checks that the scope may change the record.
pub(crate) async fn writable(tx: &mut Tx, scope: &Scope, kind: Kind, id: Uuid) -> Result<Record, StoreError> {
    fetch_for_update(tx, scope, kind, id).await
}

pub(crate) fn version_of(r: &Record) -> i64 {
    r.get("version").and_then(Json::as_i64).unwrap_or(0)
}

// ---- cursors -------------------------------------------------------------

fn sort_value(r: &Record, c: &Column) -> Json {
    if c.custom { c.custom_value(r) } else { r.get(&c.name).cloned().unwrap_or(Json::Null) }
}

fn sort_spec(s: &Sort) -> String {
    let name = if s.column.custom { format!("custom.{}", s.column.name) } else { s.column.name.clone() };
    if s.desc { format!("-{name}") } else { name }
}

fn encode_cursor(sort: &Sort, r: &Record) -> String {
    let c = json!({"s": sort_spec(sort), "v": sort_value(r, &sort.column), "id": r["id"]});
    URL_SAFE_NO_PAD.encode(c.to_string())
}

fn bad_cursor(m: &str) -> StoreError {
    StoreError::Invalid(ValidationErrors::single("cursor", "invalid", m))
}

fn decode_cursor(sort: &Sort, cursor: &str) -> Result<(Option<FieldValue>, Uuid), StoreError> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor("is not a cursor this server gave"))?;
    let c: Json = serde_json::from_slice(&bytes).map_err(|_| bad_cursor("is not a cursor this server gave"))?;
    if c["s"].as_str() != Some(sort_spec(sort).as_str()) {
        return Err(bad_cursor("was made for another sort order"));
    }
    let id = c["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| bad_cursor("has no id"))?;
    let v = match &c["v"] {
        Json::Null => None,
        Json::String(s) => Some(sort.column.parse_value(s).map_err(|m| bad_cursor(&m))?),
        Json::Bool(b) => Some(FieldValue::Bool(*b)),
        Json::Number(n) if sort.column.ty == ColType::Int => {
            Some(FieldValue::Int(n.as_i64().ok_or_else(|| bad_cursor("bad number"))?))
        }
        n @ Json::Number(_) => Some(FieldValue::Json(n.clone())),
        _ => return Err(bad_cursor("has a value of the wrong type")),
    };
    Ok((v, id))
}

// ---- writes --------------------------------------------------------------

pub(crate) fn diff(old: &Record, new: &Record) -> Map<String, Json> {
    const SKIP: [&str; 6] = ["id", "created_at", "created_by", "updated_at", "updated_by", "version"];
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let empty = |v: &Json| v.is_null() || v.as_array().is_some_and(Vec::is_empty) || v.as_object().is_some_and(Map::is_empty);
    let mut out = Map::new();
    for k in keys {
        if SKIP.contains(&k.as_str()) {
            continue;
        }
        let (o, n) = (old.get(k).unwrap_or(&Json::Null), new.get(k).unwrap_or(&Json::Null));
        if o != n && !(empty(o) && empty(n)) {
            out.insert(k.clone(), json!({"old": o, "new": n}));
        }
    }
    out
}

/// Refuses references to records that are not in the workspace, naming the field.
async fn check_refs(tx: &mut Tx, scope: &Scope, kind: Kind, id: Option<Uuid>, c: &Changes) -> Result<(), StoreError> {
    let mut wanted: BTreeMap<Kind, Vec<(String, Uuid)>> = BTreeMap::new();
    for (name, v) in &c.columns {
        if let (Some(f), FieldValue::Uuid(u)) = (schema::field(kind, name), v)
            && let FieldType::Ref(target) = f.ty
        {
            wanted.entry(target).or_default().push((name.to_string(), *u));
        }
    }
    for (name, (target, links)) in &c.links {
        for (i, l) in links.iter().enumerate() {
            wanted.entry(*target).or_default().push((format!("{name}[{i}]"), l.id));
        }
    }
    let mut errs = ValidationErrors::default();
    for (target, refs) in wanted {
        let ids: Vec<Value> = refs.iter().map(|r| uuid(r.1)).collect();
        let mut q = Query::select()
            .column(t("id"))
            .from(t(target.table()))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).is_in(ids))
            .to_owned();
        // Pointing at a record one may not see is refused as if it did not exist.
        if let Some(visible) = access::condition(tx, scope, target, false).await? {
            q.cond_where(visible);
        }
        // An activity's people stay put until it commits: a concurrent change
        // of one of their organizations (which locks the person) waits, so
        // each sees the other's links and the accounts' index of activities
        // (migration 25) misses neither path. SQLite has one writer already.
        if kind == Kind::Activity && target == Kind::Person {
            q.lock_with_tables(LockType::KeyShare, [t(target.table())]);
        }
        let found: BTreeSet<Uuid> = tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect();
        for (field, u) in refs {
            if !found.contains(&u) {
                errs.push(field, "not_found", format!("no {target} with id {u}"));
            } else if Some(u) == id && target == kind {
                errs.push(field, "invalid", "a record cannot refer to itself");
            }
        }
    }
    errs.into_result().map_err(StoreError::Invalid)
}

async fn replace_links(tx: &mut Tx, scope: &Scope, kind: Kind, id: Uuid, c: &Changes) -> Result<(), StoreError> {
    for (target, links) in c.links.values() {
        let del = Query::delete()
            .from_table(t("record_links"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("from_kind")).eq(kind.as_str()))
            .and_where(Expr::col(t("from_id")).eq(uuid(id)))
            .and_where(Expr::col(t("to_kind")).eq(target.as_str()))
            .to_owned();
        tx.exec(&del).await?;
        if links.is_empty() {
            continue;
        }
        let mut ins = Query::insert();
        ins.into_table(t("record_links")).columns(["workspace_id", "from_kind", "from_id", "to_kind", "to_id", "role"].map(t));
        for l in links {
            ins.values_panic([
                uuid(scope.workspace_id).into(),
                kind.as_str().into(),
                uuid(id).into(),
                target.as_str().into(),
                uuid(l.id).into(),
                Value::String(l.role.clone()).into(),
            ]);
        }
        tx.exec(&ins).await?;
    }
    Ok(())
}

fn column_values(kind: Kind, c: &Changes) -> Vec<(Alias, Value)> {
    let mut out: Vec<(Alias, Value)> =
        c.columns.iter().filter_map(|(name, v)| schema::field(kind, name).map(|f| (t(name), to_sql(v, col_of(f.ty))))).collect();
    if let Some(custom) = &c.custom {
        out.push((t("custom"), custom.clone().into()));
    }
    out
}

fn unique_conflict(kind: Kind, e: StoreError) -> StoreError {
    if !e.is_unique_violation() {
        return e;
    }
    match kind {
        Kind::User => {
            StoreError::Invalid(ValidationErrors::single("email", "taken", "a user with this email exists in the workspace"))
        }
        _ => {
            StoreError::Invalid(ValidationErrors::single("external_id", "taken", format!("another {kind} has this external id")))
        }
    }
}

/// Creates one record inside the caller's transaction.
pub(crate) async fn create_in(tx: &mut Tx, scope: &Scope, kind: Kind, input: &Record) -> Result<Record, StoreError> {
    access::require_write(scope, kind)?;
    let object = relations::object_type_of(tx, scope, kind, input).await?;
    let ctx_data = match &object {
        Some(o) => workspaces::context_for(tx, scope, &o.key).await?,
        None => workspaces::context(tx, scope, kind).await?,
    };
    let now = now();
    // What a user creates is theirs unless they name another owner.
    let mut input = std::borrow::Cow::Borrowed(input);
    let assigned_by = crate::assignment::apply_in(tx, scope, kind, &mut input).await?;
    if let Some(user) = scope.user_id
        && matches!(kind, Kind::Organization | Kind::Person | Kind::Deal | Kind::Object)
        && !input.contains_key("owner_id")
    {
        input.to_mut().insert("owner_id".into(), Json::String(user.to_string()));
    }
    let mut c = validate::validate(kind, &input, Mode::Create, &ctx_data.context(now))?;
    check_refs(tx, scope, kind, None, &c).await?;
    relations::check(tx, scope, &ctx_data.custom, &c).await?;
    if let Some(o) = &object {
        relations::settle_object(tx, scope, o, None, &mut c, now).await?;
    }
    let moved = if kind == Kind::Deal { pipelines::settle_deal(tx, scope, None, &mut c, now).await? } else { None };
    let id = new_id();
    let mut cols = vec![
        (t("workspace_id"), uuid(scope.workspace_id)),
        (t("id"), uuid(id)),
        (t("created_at"), time(now)),
        (t("created_by"), opt_uuid(scope.user_id)),
        (t("updated_at"), time(now)),
        (t("updated_by"), opt_uuid(scope.user_id)),
        (t("version"), 1i64.into()),
    ];
    cols.extend(column_values(kind, &c));
    let (names, vals): (Vec<Alias>, Vec<Value>) = cols.into_iter().unzip();
    let ins = Query::insert().into_table(t(kind.table())).columns(names).values_panic(vals.into_iter().map(Expr::val)).to_owned();
    tx.exec(&ins).await.map_err(|e| unique_conflict(kind, e))?;
    replace_links(tx, scope, kind, id, &c).await?;
    relations::mirror(tx, scope, kind, id, &ctx_data.custom, &c).await?;
    if let Some(m) = moved {
        pipelines::record_stage_move(tx, scope, id, m, now).await?;
    }
    let rec = fetch_one(tx, scope, kind, id).await?;
    if kind == Kind::Activity {
        crate::last_activity::refresh(tx, scope, &crate::last_activity::targets(&rec)).await?;
    }
    search::refresh(tx, scope, kind, &rec).await?;
    changes::append(tx, scope, kind, id, "created", crate::assignment::with_rule(diff(&Record::new(), &rec), assigned_by), now)
        .await?;
    Ok(rec)
}

/// What applying a patch did.
pub(crate) enum Applied {
    Changed(Record),
    /// Nothing to change: the record as it is; nothing was written.
    Unchanged(Record),
    /// Another writer changed the record between read and write (PostgreSQL).
    Raced {
        version: i64,
    },
}

/// Applies a merge patch inside the caller's transaction.
pub(crate) async fn update_in(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    id: Uuid,
    patch: &Json,
    if_match: Option<i64>,
) -> Result<Applied, StoreError> {
    let touched: BTreeSet<String> = patch.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let current = fetch_for_update(tx, scope, kind, id).await?;
    let version = version_of(&current);
    if let Some(expected) = if_match
        && expected != version
    {
        return Err(StoreError::VersionMismatch { expected, current: version });
    }
    let mut merged = Json::Object(current.clone());
    json_patch::merge(&mut merged, patch);
    let Json::Object(merged) = merged else { unreachable!("merging an object into an object") };
    if kind == Kind::Object && merged.get("type") != current.get("type") {
        return Err(StoreError::Invalid(ValidationErrors::single("type", "read_only", "a record's kind cannot change")));
    }
    let object = relations::object_type_of(tx, scope, kind, &current).await?;
    let ctx_data = match &object {
        Some(o) => workspaces::context_for(tx, scope, &o.key).await?,
        None => workspaces::context(tx, scope, kind).await?,
    };
    let now = now();
    let mut c = validate::validate(kind, &merged, Mode::Update { current: &current, touched: &touched }, &ctx_data.context(now))?;
    check_refs(tx, scope, kind, Some(id), &c).await?;
    relations::check(tx, scope, &ctx_data.custom, &c).await?;
    if let Some(o) = &object {
        relations::settle_object(tx, scope, o, Some(&current), &mut c, now).await?;
    }
    if kind == Kind::Task {
        crate::recurring::on_update(tx, scope, &current, &merged, &mut c).await?;
    }
    let moved = if kind == Kind::Deal { pipelines::settle_deal(tx, scope, Some(&current), &mut c, now).await? } else { None };
    let mut sets = column_values(kind, &c);
    if sets.is_empty() && c.links.is_empty() {
        return Ok(Applied::Unchanged(current));
    }
    sets.push((t("updated_at"), time(now)));
    sets.push((t("updated_by"), opt_uuid(scope.user_id)));
    let upd = Query::update()
        .table(t(kind.table()))
        .values(sets.into_iter().map(|(c, v)| (c, Expr::val(v))))
        .value(t("version"), Expr::col(t("version")).add(1))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(id)))
        .and_where(Expr::col(t("version")).eq(version))
        .to_owned();
    if tx.exec(&upd).await.map_err(|e| unique_conflict(kind, e))? == 0 {
        return Ok(Applied::Raced { version });
    }
    replace_links(tx, scope, kind, id, &c).await?;
    relations::mirror(tx, scope, kind, id, &ctx_data.custom, &c).await?;
    if let Some(m) = moved {
        pipelines::record_stage_move(tx, scope, id, m, now).await?;
    }
    let new = fetch_one(tx, scope, kind, id).await?;
    let d = diff(&current, &new);
    if d.is_empty() {
        // Values set to what they were: no change, no new version. The caller
        // drops the transaction, undoing the version bump.
        return Ok(Applied::Unchanged(current));
    }
    if kind == Kind::Activity {
        // Those it was linked to and those it is linked to now.
        let mut targets = crate::last_activity::targets(&current);
        targets.extend(crate::last_activity::targets(&new));
        crate::last_activity::refresh(tx, scope, &targets).await?;
    }
    search::refresh(tx, scope, kind, &new).await?;
    changes::append(tx, scope, kind, id, "updated", d, now).await?;
    Ok(Applied::Changed(new))
}

impl Store {
    pub async fn get(&self, scope: &Scope, kind: Kind, id: Uuid) -> Result<Record, StoreError> {
        access::require_read(scope, kind)?;
        let mut tx = self.db.read().await?;
        let r = fetch_one(&mut tx, scope, kind, id).await;
        tx.commit().await?;
        r
    }

    /// Several records by id, in one query (for `include=`).
    pub async fn get_many(&self, scope: &Scope, kind: Kind, ids: &[Uuid]) -> Result<Vec<Record>, StoreError> {
        access::require_read(scope, kind)?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut tx = self.db.read().await?;
        let cond = Cond::all().add(tc(kind.table(), "id").is_in(ids.iter().map(|u| uuid(*u))));
        let r = fetch(&mut tx, scope, kind, cond, |_| {}, None).await;
        tx.commit().await?;
        r
    }

    /// A page of records, in keyset order: no page is skipped or repeated while rows are added.
    pub async fn list(&self, scope: &Scope, kind: Kind, q: &ListQuery) -> Result<ListPage, StoreError> {
        access::require_read(scope, kind)?;
        let table = kind.table();
        let backend = self.backend();
        let sort = q
            .sort
            .clone()
            .unwrap_or(Sort { column: Column { name: "id".into(), ty: ColType::Uuid, custom: false }, desc: false });
        let mut cond = Cond::all().add(sql::compile(backend, scope.workspace_id, table, kind, &q.filter));
        if let Some(text) = q.search.as_deref().filter(|s| !s.trim().is_empty()) {
            match self.search_query(scope, text).await? {
                Some(sq) if search::KINDS.contains(&kind) => {
                    cond = cond.add(tc(table, "id").in_subquery(search::matching_ids(backend, scope.workspace_id, kind, &sq)));
                }
                _ => {
                    return Err(StoreError::Invalid(ValidationErrors::single(
                        "q",
                        "invalid",
                        format!("{kind} records cannot be searched this way"),
                    )));
                }
            }
        }
        let key = sql::column_expr(backend, table, &sort.column);
        let by_id = sort.column.name == "id" && !sort.column.custom;
        // A column that is never NULL needs no NULLs-last term, which would
        // keep the database from walking the sort index.
        let nullable = !never_null(kind, &sort.column) && !q.filter.excludes_null(&sort.column);
        if let Some(cursor) = &q.cursor {
            let (v, id) = decode_cursor(&sort, cursor)?;
            let id_e = tc(table, "id");
            let after_id = if sort.desc { id_e.lt(uuid(id)) } else { id_e.gt(uuid(id)) };
            let keyset = match (by_id, v) {
                (true, _) => Cond::all().add(after_id),
                (false, None) => Cond::all().add(key.clone().is_null()).add(after_id),
                (false, Some(v)) => {
                    let v = sql::bind(backend, &sort.column, &v);
                    let beyond = if sort.desc { key.clone().lt(v.clone()) } else { key.clone().gt(v.clone()) };
                    let ties = Cond::all().add(key.clone().eq(v)).add(after_id);
                    let any = Cond::any().add(beyond).add(ties);
                    if nullable { any.add(key.clone().is_null()) } else { any }
                }
            };
            cond = cond.add(keyset);
        }
        // A filter on a link keeps a few rows; SQLite's planner would rather
        // walk the sort index of the whole table and probe each row for the
        // link (every deal, for a person's related deals), so it is given a
        // sort key no index provides. PostgreSQL weighs the two plans itself.
        let order_key =
            if q.filter.pins_links() && backend == Backend::Sqlite { sql::unindexed(backend, key.clone()) } else { key.clone() };
        let dir = if sort.desc { Order::Desc } else { Order::Asc };
        let limit = q.limit.clamp(1, 500);
        let order = |s: &mut SelectStatement| {
            if !by_id {
                // NULLs last on both databases, whichever the direction.
                if nullable {
                    s.order_by_expr(key.clone().is_null(), Order::Asc);
                }
                s.order_by_expr(order_key.clone(), dir.clone());
            }
            s.order_by((t(table), t("id")), dir.clone());
        };
        let mut tx = self.db.read().await?;
        let mut items = if q.filter.pins_links() {
            // A few rows among the thousands linked to one record (a large
            // account's people by name): the page's ids first, sorted from
            // the indexes where they cover the sort key, then only those
            // rows whole, instead of reading every linked row to keep fifty.
            let ids = fetch_ids(&mut tx, scope, kind, cond, order, limit + 1).await?;
            fetch_by_ids(&mut tx, scope, kind, ids, order).await?
        } else {
            fetch(&mut tx, scope, kind, cond, order, Some(limit + 1)).await?
        };
        tx.commit().await?;
        let next_cursor = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|r| encode_cursor(&sort, r))
        } else {
            None
        };
        Ok(ListPage { items, next_cursor })
    }

    /// Creates a record. With an idempotency key, a retry returns the first
    /// result (`true` in the second place) instead of creating a duplicate.
    pub async fn create(
        &self,
        scope: &Scope,
        kind: Kind,
        input: &Record,
        opts: &WriteOptions,
    ) -> Result<(Record, bool), StoreError> {
        if let Some(idem) = &opts.idempotency
            && let Some(existing) = self.replay(scope, kind, idem).await?
        {
            return Ok((existing, true));
        }
        let mut tx = self.db.write().await?;
        let rec = create_in(&mut tx, scope, kind, input).await?;
        if let Some(idem) = &opts.idempotency {
            let id = uuid_at(&[rec["id"].clone()], 0).expect("record id");
            if let Err(e) = changes::save_idempotency(&mut tx, scope, kind, idem, id).await {
                drop(tx);
                // Another request with the same key won the race: answer as it did.
                if e.is_unique_violation()
                    && let Some(existing) = self.replay(scope, kind, idem).await?
                {
                    return Ok((existing, true));
                }
                return Err(e);
            }
        }
        tx.commit().await?;
        access_changed(kind);
        Ok((rec, false))
    }

    async fn replay(&self, scope: &Scope, kind: Kind, idem: &Idempotency) -> Result<Option<Record>, StoreError> {
        let mut tx = self.db.read().await?;
        let found = changes::find_idempotency(&mut tx, scope, &idem.key).await?;
        let out = match found {
            None => None,
            Some((hash, k, id)) => {
                if hash != idem.request_hash || k != kind.as_str() {
                    return Err(
                        Conflict::new("idempotency-reused", "this Idempotency-Key was used with a different request").into()
                    );
                }
                Some(fetch_one(&mut tx, scope, kind, id).await?)
            }
        };
        tx.commit().await?;
        Ok(out)
    }

    /// Creates several records in one transaction: all of them or, on any error, none.
    pub async fn create_many(&self, scope: &Scope, kind: Kind, inputs: &[Record]) -> Result<Vec<Record>, StoreError> {
        let mut tx = self.db.write().await?;
        let mut out = Vec::with_capacity(inputs.len());
        let mut errs = ValidationErrors::default();
        for (i, input) in inputs.iter().enumerate() {
            match create_in(&mut tx, scope, kind, input).await {
                Ok(r) => out.push(r),
                Err(StoreError::Invalid(e)) => {
                    errs.0.extend(e.0.into_iter().map(|mut f| {
                        f.field = format!("items[{i}].{}", f.field);
                        f
                    }));
                }
                Err(e) => return Err(e),
            }
        }
        if !errs.is_empty() {
            return Err(StoreError::Invalid(errs));
        }
        tx.commit().await?;
        access_changed(kind);
        Ok(out)
    }

    /// Applies a JSON merge patch (RFC 7386). With `if_match`, a record changed
    /// since that version is refused; without it, concurrent patches are applied
    /// one after the other, never lost.
    pub async fn update(
        &self,
        scope: &Scope,
        kind: Kind,
        id: Uuid,
        patch: &Json,
        opts: &WriteOptions,
    ) -> Result<Record, StoreError> {
        if !patch.is_object() {
            return Err(StoreError::Invalid(ValidationErrors::single(
                "",
                "invalid_type",
                "expected a JSON object (merge patch)",
            )));
        }
        for _attempt in 0..5 {
            let mut tx = self.db.write().await?;
            match update_in(&mut tx, scope, kind, id, patch, opts.if_match).await? {
                Applied::Changed(new) => {
                    tx.commit().await?;
                    access_changed(kind);
                    return Ok(new);
                }
                Applied::Unchanged(current) => return Ok(current),
                Applied::Raced { version } => {
                    drop(tx);
                    if opts.if_match.is_some() {
                        return Err(StoreError::VersionMismatch { expected: version, current: version + 1 });
                    }
                }
            }
        }
        Err(Conflict::new("busy", "the record is being changed by others; try again").into())
    }

    /// Deletes a record, detaching every record that pointed at it (their
    /// changes are logged too) and keeping its history.
    pub async fn delete(&self, scope: &Scope, kind: Kind, id: Uuid, opts: &WriteOptions) -> Result<(), StoreError> {
        if kind == Kind::User {
            let message = "users are never deleted, so that their records keep an author: set active to false";
            return Err(Conflict::new("user-kept", message).into());
        }
        let mut tx = self.db.write().await?;
        let current = fetch_for_update(&mut tx, scope, kind, id).await?;
        if let Some(expected) = opts.if_match
            && expected != version_of(&current)
        {
            return Err(StoreError::VersionMismatch { expected, current: version_of(&current) });
        }
        let now = now();
        detach_references(&mut tx, scope, kind, id, now).await?;
        relations::detach(&mut tx, scope, kind, id).await?;
        for (from, to) in [("from_kind", "from_id"), ("to_kind", "to_id")] {
            let del = Query::delete()
                .from_table(t("record_links"))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t(from)).eq(kind.as_str()))
                .and_where(Expr::col(t(to)).eq(uuid(id)))
                .to_owned();
            tx.exec(&del).await?;
        }
        let del = Query::delete()
            .from_table(t(kind.table()))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        tx.exec(&del).await?;
        if kind == Kind::Activity {
            crate::last_activity::refresh(&mut tx, scope, &crate::last_activity::targets(&current)).await?;
        }
        search::remove(&mut tx, scope, kind, id).await?;
        changes::append(&mut tx, scope, kind, id, "deleted", diff(&current, &Record::new()), now).await?;
        tx.commit().await?;
        access_changed(kind);
        Ok(())
    }
}

/// Sets to null every reference column that points at the record being deleted.
async fn detach_references(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    for other in Kind::ALL {
        for f in schema::fields(other).iter().filter(|f| f.ty == FieldType::Ref(kind) && f.access == Access::Write) {
            let table = other.table();
            let q = Query::select()
                .column(t("id"))
                .from(t(table))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t(f.name)).eq(uuid(id)))
                .to_owned();
            let ids: Vec<Uuid> = tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect();
            if ids.is_empty() {
                continue;
            }
            if f.required {
                // A record that cannot exist without this one (a person's consent) goes with it.
                for other_id in ids {
                    let gone = fetch_one(tx, &Scope::system(scope.workspace_id, scope.via), other, other_id).await?;
                    let del = Query::delete()
                        .from_table(t(table))
                        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                        .and_where(Expr::col(t("id")).eq(uuid(other_id)))
                        .to_owned();
                    tx.exec(&del).await?;
                    changes::append(tx, scope, other, other_id, "deleted", diff(&gone, &Record::new()), now).await?;
                }
                continue;
            }
            let upd = Query::update()
                .table(t(table))
                .value(t(f.name), Expr::val(Value::Uuid(None)))
                .value(t("updated_at"), Expr::val(time(now)))
                .value(t("updated_by"), Expr::val(opt_uuid(scope.user_id)))
                .value(t("version"), Expr::col(t("version")).add(1))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t(f.name)).eq(uuid(id)))
                .to_owned();
            tx.exec(&upd).await?;
            for other_id in ids {
                let mut d = Map::new();
                d.insert(f.name.into(), json!({"old": id.to_string(), "new": null}));
                changes::append(tx, scope, other, other_id, "updated", d, now).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    /// `never_null` must say only what the schema enforces, or a sort on a
    /// column holding NULLs would skip those rows.
    #[tokio::test]
    async fn never_null_matches_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("n.db").display()), &Default::default()).await.unwrap();
        crate::migrate::run(&db).await.unwrap();
        let mut tx = db.read().await.unwrap();
        for kind in Kind::ALL {
            for field in
                ["id", "created_at", "updated_at", "version"].into_iter().chain(schema::fields(kind).iter().map(|f| f.name))
            {
                let column = Column { name: field.into(), ty: ColType::Text, custom: false };
                if !never_null(kind, &column) {
                    continue;
                }
                let sql = format!("(SELECT \"notnull\" FROM pragma_table_info('{}') WHERE name = '{field}')", kind.table());
                let q = Query::select().expr(Expr::cust(sql)).to_owned();
                let row = tx.row(&q, &[Col::Int]).await.unwrap().unwrap();
                assert_eq!(row[0].as_i64(), Some(1), "{kind}.{field} is said never NULL but the schema allows NULL");
            }
        }
    }
}
