//! Custom field definitions, per workspace and owner (a built-in kind or a
//! custom record kind, see `Owner`): created, changed
//! (with `If-Match` on their version), reordered, soft-deleted, restored and
//! purged, each in one transaction with its audit event. A type or option
//! change converts the stored values in the same transaction, or refuses and
//! names the records whose values would not convert.
//!
//! Each (table, key) used by any workspace has two expression indexes shared
//! by all workspaces: `(workspace_id, value IS NULL, value, id)` and the same
//! with `value DESC, id DESC`, which give lists sorted either way with NULLs
//! last, keyset-paged, without a sort; filters use the first (`sql.rs` adds
//! the redundant `(value IS NULL) = false` to comparisons so that it can).
//! Their expression is `sql::custom_sql`, the one filters and sorts use.

use chrono::{DateTime, Duration, Utc};
use rapport_domain::custom::{self, CustomField, CustomType, ValueContext};
use rapport_domain::filter::Column;
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::db::{Col, Tx, int_at, str_at, uuid_at};
use crate::sql::{custom_sql, t, tc};
use crate::values::{time, uuid};
use crate::{Backend, Conflict, Scope, Store, StoreError, audit, changes, records, search, workspaces};

/// How long a deleted field stays restorable before its values are purged.
pub const RETENTION_DAYS: i64 = 30;
/// How many unconvertible records a refused type change names.
pub const REFUSAL_CAP: usize = 20;

/// Whose fields a definition is: a built-in kind's, or a custom record kind's
/// (its key). Both live in `custom_fields`, named in its `kind` column, and go
/// through the same life: soft delete, restore, purge, conversion, indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Builtin(Kind),
    Object(&'a str),
}

impl<'a> Owner<'a> {
    /// The owner a definition row names (custom kinds never take a built-in kind's name).
    fn of_row(name: &'a str) -> Self {
        Kind::parse(name).filter(|k| *k != Kind::Object).map_or(Owner::Object(name), Owner::Builtin)
    }

    /// The definitions' `kind` column: a built-in kind's name or a custom kind's key.
    pub fn name(&self) -> &str {
        match self {
            Owner::Builtin(k) => k.as_str(),
            Owner::Object(key) => key,
        }
    }

    /// The kind of the records that hold the values.
    fn kind(&self) -> Kind {
        match self {
            Owner::Builtin(k) => *k,
            Owner::Object(_) => Kind::Object,
        }
    }

    fn table(&self) -> &'static str {
        self.kind().table()
    }

    /// The owner's records in the scope's workspace.
    fn records(&self, scope: &Scope) -> Cond {
        let table = self.table();
        let all = Cond::all().add(tc(table, "workspace_id").eq(uuid(scope.workspace_id)));
        match self {
            Owner::Builtin(_) => all,
            Owner::Object(key) => all.add(tc(table, "type").eq(*key)),
        }
    }

    /// The leading columns of its values' indexes: custom records are read one kind at a time.
    fn index_prefix(&self) -> &'static str {
        match self {
            Owner::Builtin(_) => "workspace_id",
            Owner::Object(_) => "workspace_id, type",
        }
    }
}

const COLUMNS: [(&str, Col); 13] = [
    ("key", Col::Text),
    ("label", Col::Text),
    ("type", Col::Text),
    ("required", Col::Bool),
    ("options", Col::Json),
    ("settings", Col::Json),
    ("help", Col::Text),
    ("hidden", Col::Bool),
    ("position", Col::Int),
    ("version", Col::Int),
    ("deleted_at", Col::DateTime),
    ("target", Col::Text),
    ("many", Col::Bool),
];

fn decode(r: &[Json]) -> Option<CustomField> {
    let settings = r[5].as_object().cloned().unwrap_or_default();
    Some(CustomField {
        key: str_at(r, 0)?.to_string(),
        label: str_at(r, 1)?.to_string(),
        ty: CustomType::parse(str_at(r, 2)?)?,
        required: r[3].as_bool().unwrap_or(false),
        options: serde_json::from_value(r[4].clone()).unwrap_or_default(),
        default: settings.get("default").cloned(),
        min: settings.get("min").cloned(),
        max: settings.get("max").cloned(),
        max_length: settings.get("max_length").and_then(Json::as_u64).map(|n| n as u32),
        pattern: settings.get("pattern").and_then(Json::as_str).map(str::to_string),
        help: str_at(r, 6).map(str::to_string),
        hidden: r[7].as_bool().unwrap_or(false),
        identifies: settings.get("identifies").and_then(Json::as_bool).unwrap_or(false),
        position: int_at(r, 8).unwrap_or(0),
        version: int_at(r, 9).unwrap_or(1),
        deleted_at: str_at(r, 10).map(str::to_string),
        target: str_at(r, 11).map(str::to_string),
        many: r[12].as_bool().unwrap_or(false),
    })
}

fn settings_of(def: &CustomField) -> Json {
    let mut s = Map::new();
    for (k, v) in [("default", &def.default), ("min", &def.min), ("max", &def.max)] {
        if let Some(v) = v {
            s.insert(k.into(), v.clone());
        }
    }
    if let Some(m) = def.max_length {
        s.insert("max_length".into(), json!(m));
    }
    if let Some(p) = &def.pattern {
        s.insert("pattern".into(), json!(p));
    }
    if def.identifies {
        s.insert("identifies".into(), json!(true));
    }
    Json::Object(s)
}

/// Every definition of the kind, deleted ones included, in position order.
pub(crate) async fn load_all(tx: &mut Tx, scope: &Scope, kind: Kind) -> Result<Vec<CustomField>, StoreError> {
    load_all_for(tx, scope, kind.as_str()).await
}

/// The fields in use of a built-in kind (its name) or of a custom record kind (its key).
pub(crate) async fn load_for(tx: &mut Tx, scope: &Scope, owner: &str) -> Result<Vec<CustomField>, StoreError> {
    Ok(load_all_for(tx, scope, owner).await?.into_iter().filter(|d| !d.is_deleted()).collect())
}

/// Every definition of a built-in kind or a custom record kind, deleted ones included.
pub(crate) async fn load_all_for(tx: &mut Tx, scope: &Scope, owner: &str) -> Result<Vec<CustomField>, StoreError> {
    let q = Query::select()
        .columns(COLUMNS.map(|c| t(c.0)))
        .from(t("custom_fields"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("kind")).eq(owner))
        .order_by(t("position"), Order::Asc)
        .order_by(t("key"), Order::Asc)
        .to_owned();
    let rows = tx.rows(&q, &COLUMNS.map(|c| c.1)).await?;
    Ok(rows.iter().filter_map(|r| decode(r)).collect())
}

/// The definitions in use (not deleted), in position order.
pub(crate) async fn load(tx: &mut Tx, scope: &Scope, kind: Kind) -> Result<Vec<CustomField>, StoreError> {
    Ok(load_all(tx, scope, kind).await?.into_iter().filter(|d| !d.is_deleted()).collect())
}

fn find(defs: &[CustomField], key: &str) -> Result<CustomField, StoreError> {
    defs.iter().find(|d| d.key == key).cloned().ok_or(StoreError::NotFound)
}

fn check_version(def: &CustomField, if_match: Option<i64>) -> Result<(), StoreError> {
    match if_match {
        Some(expected) if expected != def.version => Err(StoreError::VersionMismatch { expected, current: def.version }),
        _ => Ok(()),
    }
}

/// Built-in kinds with custom fields; a custom record kind's fields are defined
/// with the kind (`object_types.rs`).
fn kind_allowed(kind: Kind) -> Result<(), StoreError> {
    if kind.has_custom_fields() && kind != Kind::Object {
        Ok(())
    } else {
        Err(ValidationErrors::single("kind", "invalid", format!("{kind} records have no custom fields")).into())
    }
}

fn vals<const N: usize>(v: [(sea_query::Alias, sea_query::Value); N]) -> impl IntoIterator<Item = (sea_query::Alias, Expr)> {
    v.into_iter().map(|(a, v)| (a, Expr::val(v)))
}

/// Writes the whole definition row (an update of every attribute but the key).
async fn save(tx: &mut Tx, scope: &Scope, owner: Owner<'_>, def: &CustomField, now: DateTime<Utc>) -> Result<(), StoreError> {
    let upd = Query::update()
        .table(t("custom_fields"))
        .values(vals([
            (t("label"), def.label.clone().into()),
            (t("type"), def.ty.as_str().into()),
            (t("required"), def.required.into()),
            (t("options"), Json::from(def.options.clone()).into()),
            (t("settings"), settings_of(def).into()),
            (t("help"), def.help.clone().into()),
            (t("hidden"), def.hidden.into()),
            (t("position"), def.position.into()),
            (t("version"), def.version.into()),
            (t("deleted_at"), def.deleted_at.as_ref().map(|_| now).map_or(crate::values::null_of(Col::DateTime), time)),
        ]))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("kind")).eq(owner.name()))
        .and_where(Expr::col(t("key")).eq(def.key.as_str()))
        .to_owned();
    tx.exec(&upd).await?;
    Ok(())
}

async fn audit_change(
    tx: &mut Tx,
    scope: &Scope,
    owner: Owner<'_>,
    action: &str,
    def: &CustomField,
    more: Json,
) -> Result<(), StoreError> {
    let mut detail = json!({"kind": owner.name(), "key": def.key, "version": def.version});
    if let (Some(d), Json::Object(m)) = (detail.as_object_mut(), more) {
        d.extend(m);
    }
    audit::append(tx, scope, &format!("custom_field.{action}"), None, detail).await
}

// ---- indexes -------------------------------------------------------------

/// The index names of a custom column (ascending, descending): short enough for PostgreSQL's 63 bytes
/// (keys have at most 40 characters).
fn index_names(table: &str, col: &Column) -> (String, String) {
    let base = format!("cf_{table}_{}", col.name.replace(".amount_minor", "_m"));
    (base.clone(), format!("{base}_d"))
}

/// Creates the shared indexes of a field's column if no workspace made them yet.
async fn ensure_indexes(tx: &mut Tx, owner: Owner<'_>, def: &CustomField) -> Result<(), StoreError> {
    let col = Column::custom(def);
    if !col.sortable() {
        // Multi-select values are lists: filtered through json_each / jsonb_array_elements, not a B-tree.
        return Ok(());
    }
    let (table, lead) = (owner.table(), owner.index_prefix());
    let e = custom_sql(tx.backend(), None, &col.custom_path());
    let (asc, desc) = index_names(table, &col);
    tx.script(&format!("CREATE INDEX IF NOT EXISTS \"{asc}\" ON \"{table}\" ({lead}, ({e} IS NULL), {e}, id)")).await?;
    tx.script(&format!("CREATE INDEX IF NOT EXISTS \"{desc}\" ON \"{table}\" ({lead}, ({e} IS NULL), {e} DESC, id DESC)")).await
}

/// Makes the indexes of every field in use, in any workspace, that lacks them
/// (fields defined before these indexes existed). A no-op once they exist.
pub(crate) async fn ensure_all_indexes(db: &crate::Db) -> Result<(), StoreError> {
    let mut tx = db.write().await?;
    let q = Query::select()
        .distinct()
        .columns(["kind", "key", "type"].map(t))
        .from(t("custom_fields"))
        .and_where(Expr::col(t("deleted_at")).is_null())
        .to_owned();
    for r in tx.rows(&q, &[Col::Text, Col::Text, Col::Text]).await? {
        let (Some(owner), Some(key), Some(ty)) =
            (str_at(&r, 0).map(Owner::of_row), str_at(&r, 1), str_at(&r, 2).and_then(CustomType::parse))
        else {
            continue;
        };
        if owner.kind().has_custom_fields() {
            ensure_indexes(&mut tx, owner, &CustomField { key: key.to_string(), ty, ..Default::default() }).await?;
        }
    }
    tx.commit().await
}

/// Drops the indexes of a column no workspace's live definition uses any more.
pub(crate) async fn drop_unused_indexes(tx: &mut Tx, owner: Owner<'_>, old: &CustomField) -> Result<(), StoreError> {
    let col = Column::custom(old);
    if !col.sortable() {
        return Ok(());
    }
    // Every workspace's definitions of this key on the same table: the indexes are shared.
    let q = Query::select()
        .columns(["kind", "type"].map(t))
        .from(t("custom_fields"))
        .and_where(Expr::col(t("key")).eq(old.key.as_str()))
        .to_owned();
    let in_use = tx.rows(&q, &[Col::Text, Col::Text]).await?.iter().any(|r| {
        let same_table = str_at(r, 0).is_some_and(|k| Owner::of_row(k).table() == owner.table());
        let ty = str_at(r, 1).and_then(CustomType::parse);
        ty.is_some_and(|ty| {
            let other = Column::custom(&CustomField { ty, key: old.key.clone(), ..Default::default() });
            same_table && other.sortable() && other.name == col.name
        })
    });
    if in_use {
        return Ok(());
    }
    let (asc, desc) = index_names(owner.table(), &col);
    tx.script(&format!("DROP INDEX IF EXISTS \"{asc}\"")).await?;
    tx.script(&format!("DROP INDEX IF EXISTS \"{desc}\"")).await
}

// ---- values --------------------------------------------------------------

/// The owner's records that hold a value for `key`: (id, custom object).
async fn records_with(
    tx: &mut Tx,
    scope: &Scope,
    owner: Owner<'_>,
    key: &str,
) -> Result<Vec<(Uuid, Map<String, Json>)>, StoreError> {
    let table = owner.table();
    let q = Query::select()
        .column((t(table), t("id")))
        .column((t(table), t("custom")))
        .from(t(table))
        .cond_where(owner.records(scope))
        .and_where(Expr::cust(custom_sql(tx.backend(), Some(table), &[key])).is_not_null())
        .order_by((t(table), t("id")), Order::Asc)
        .to_owned();
    Ok(tx
        .rows(&q, &[Col::Uuid, Col::Json])
        .await?
        .into_iter()
        .filter_map(|r| Some((uuid_at(&r, 0)?, r[1].as_object()?.clone())))
        .collect())
}

/// Rewrites one record's custom object as a change of its own: version, change log, search index.
async fn rewrite(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    id: Uuid,
    old: Map<String, Json>,
    new: Map<String, Json>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let table = kind.table();
    let upd = Query::update()
        .table(t(table))
        .values(vals([
            (t("custom"), Json::Object(new.clone()).into()),
            (t("updated_at"), time(now)),
            (t("updated_by"), crate::values::opt_uuid(scope.user_id)),
        ]))
        .value(t("version"), Expr::col(t("version")).add(1))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(id)))
        .to_owned();
    tx.exec(&upd).await?;
    let mut diff = Map::new();
    diff.insert("custom".into(), json!({"old": old, "new": new}));
    changes::append(tx, scope, kind, id, "updated", diff, now).await?;
    let rec = records::fetch_one(tx, scope, kind, id).await?;
    search::refresh(tx, scope, kind, &rec).await
}

/// A record whose value would not convert to a field's new definition.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Unconvertible {
    pub id: Uuid,
    pub value: Json,
    pub reason: String,
}

/// Converts every stored value of `from` to `to`, or refuses naming the records that would not convert.
async fn convert_values(
    tx: &mut Tx,
    scope: &Scope,
    owner: Owner<'_>,
    from: &CustomField,
    to: &CustomField,
    ctx: &ValueContext<'_>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let rows = records_with(tx, scope, owner, &from.key).await?;
    let mut failed = Vec::new();
    let mut failures = 0;
    let mut rewrites = Vec::new();
    for (id, obj) in rows {
        let v = &obj[&from.key];
        match custom::convert(from, to, v, ctx) {
            Ok(n) if &n == v => {}
            Ok(n) => {
                let mut new = obj.clone();
                if Json::is_null(&n) {
                    new.remove(&from.key);
                } else {
                    new.insert(from.key.clone(), n);
                }
                rewrites.push((id, obj, new));
            }
            Err(reason) => {
                failures += 1;
                if failed.len() < REFUSAL_CAP {
                    failed.push(Unconvertible { id, value: v.clone(), reason });
                }
            }
        }
    }
    if failures > 0 {
        let attribute = if from.ty == to.ty { "options" } else { "type" };
        return Err(StoreError::NotConvertible {
            field: to.key.clone(),
            attribute,
            to: to.ty.as_str(),
            total: failures,
            records: failed,
        });
    }
    let n = rewrites.len();
    for (id, old, new) in rewrites {
        rewrite(tx, scope, owner.kind(), id, old, new, now).await?;
    }
    Ok(n)
}

/// Removes a purged field's values from every record of its owner.
async fn strip_values(tx: &mut Tx, scope: &Scope, owner: Owner<'_>, key: &str) -> Result<u64, StoreError> {
    let table = owner.table();
    let stripped = match tx.backend() {
        Backend::Sqlite => format!("json_remove(custom, '$.{key}')"),
        Backend::Postgres => format!("(custom - '{key}')"),
    };
    let upd = Query::update()
        .table(t(table))
        .value(t("custom"), Expr::cust(stripped))
        .cond_where(owner.records(scope))
        .and_where(Expr::cust(custom_sql(tx.backend(), Some(table), &[key])).is_not_null())
        .to_owned();
    tx.exec(&upd).await
}

/// Removes the `record_links` rows a purged relation field's values mirrored.
async fn strip_links(tx: &mut Tx, scope: &Scope, owner: Owner<'_>, def: &CustomField) -> Result<(), StoreError> {
    if def.ty != CustomType::Relation {
        return Ok(());
    }
    let table = owner.table();
    let records = Query::select().column((t(table), t("id"))).from(t(table)).cond_where(owner.records(scope)).to_owned();
    let del = Query::delete()
        .from_table(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("from_kind")).eq(custom::relation_origin(owner.kind(), &def.key)))
        .and_where(Expr::col(t("from_id")).in_subquery(records))
        .to_owned();
    tx.exec(&del).await?;
    Ok(())
}

async fn purge_row(tx: &mut Tx, scope: &Scope, owner: Owner<'_>, def: &CustomField) -> Result<u64, StoreError> {
    strip_links(tx, scope, owner, def).await?;
    let n = strip_values(tx, scope, owner, &def.key).await?;
    let del = Query::delete()
        .from_table(t("custom_fields"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("kind")).eq(owner.name()))
        .and_where(Expr::col(t("key")).eq(def.key.as_str()))
        .to_owned();
    tx.exec(&del).await?;
    drop_unused_indexes(tx, owner, def).await?;
    audit_change(tx, scope, owner, "purged", def, json!({"records": n})).await?;
    Ok(n)
}

/// Purges the owner's fields deleted longer ago than the retention period.
async fn purge_expired(
    tx: &mut Tx,
    scope: &Scope,
    owner: Owner<'_>,
    defs: Vec<CustomField>,
    now: DateTime<Utc>,
) -> Result<Vec<CustomField>, StoreError> {
    let limit = now - Duration::days(RETENTION_DAYS);
    let mut kept = Vec::with_capacity(defs.len());
    for def in defs {
        let expired = def.deleted_at.as_deref().and_then(rapport_domain::validate::parse_datetime).is_some_and(|at| at < limit);
        if expired {
            purge_row(tx, scope, owner, &def).await?;
        } else {
            kept.push(def);
        }
    }
    Ok(kept)
}

/// What a change of a definition may set; absent members stay as they are.
/// `null` clears the optional ones.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldPatch {
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub ty: Option<CustomType>,
    pub required: Option<bool>,
    pub options: Option<Vec<String>>,
    #[serde(default, with = "double_option")]
    pub default: Option<Option<Json>>,
    #[serde(default, with = "double_option")]
    pub min: Option<Option<Json>>,
    #[serde(default, with = "double_option")]
    pub max: Option<Option<Json>>,
    #[serde(default, with = "double_option")]
    pub max_length: Option<Option<u32>>,
    #[serde(default, with = "double_option")]
    pub pattern: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub help: Option<Option<String>>,
    pub hidden: Option<bool>,
    pub identifies: Option<bool>,
    /// The version the client read (as `If-Match` does).
    pub version: Option<i64>,
}

/// `absent` → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

impl FieldPatch {
    fn apply(&self, def: &CustomField) -> CustomField {
        let mut out = def.clone();
        if let Some(l) = &self.label {
            out.label = l.trim().to_string();
        }
        if let Some(ty) = self.ty
            && ty != out.ty
        {
            // Attributes the new type does not take go, unless the patch sets them.
            out.ty = ty;
            if !ty.has_options() {
                out.options.clear();
            }
            if !ty.textual() {
                (out.max_length, out.pattern) = (None, None);
            }
            let bounded = ty.numeric() || matches!(ty, CustomType::Money | CustomType::Date | CustomType::DateTime);
            if !bounded {
                (out.min, out.max) = (None, None);
            }
            out.default = None;
            out.identifies &= ty.can_identify();
        }
        if let Some(r) = self.required {
            out.required = r;
        }
        if let Some(o) = &self.options {
            out.options = o.clone();
        }
        if let Some(h) = self.hidden {
            out.hidden = h;
        }
        if let Some(i) = self.identifies {
            out.identifies = i;
        }
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = &self.$f { out.$f = v.clone(); } )* };
        }
        set!(default, min, max, max_length, pattern, help);
        out.help = out.help.filter(|h| !h.trim().is_empty());
        out
    }
}

/// The workspace's reading of values (region, currency).
async fn value_context(tx: &mut Tx, scope: &Scope) -> Result<(String, phonenumber::country::Id), StoreError> {
    let ws = workspaces::load(tx, scope.workspace_id).await?;
    let region = rapport_domain::contact::parse_region(&ws.phone_region).unwrap_or(phonenumber::country::Id::US);
    Ok((ws.currency, region))
}

impl Store {
    /// The kind's fields in use, in position order.
    pub async fn custom_fields(&self, scope: &Scope, kind: Kind) -> Result<Vec<CustomField>, StoreError> {
        crate::access::require_staff(scope)?;
        let key = (scope.workspace_id, kind);
        if let Some(defs) = crate::cache::CUSTOM_FIELDS.get(&key) {
            return Ok(defs);
        }
        let read_at = crate::cache::epoch();
        let mut tx = self.db.read().await?;
        let defs = load(&mut tx, scope, kind).await?;
        tx.commit().await?;
        crate::cache::CUSTOM_FIELDS.put(key, defs.clone(), read_at);
        Ok(defs)
    }

    /// Every definition of the kind, deleted ones (restorable until purged) included (admins).
    pub async fn custom_fields_all(&self, scope: &Scope, kind: Kind) -> Result<Vec<CustomField>, StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.read().await?;
        let defs = load_all(&mut tx, scope, kind).await;
        tx.commit().await?;
        defs
    }

    /// Defines a custom field. Existing records have no value for it.
    pub async fn create_custom_field(&self, scope: &Scope, kind: Kind, def: &CustomField) -> Result<CustomField, StoreError> {
        let (mut tx, now) = self.begin_field_change(scope, kind).await?;
        let out = create_in(&mut tx, scope, Owner::Builtin(kind), def, now).await?;
        end_field_change(tx, out).await
    }

    /// Changes a definition (not its key). A new type or new options convert
    /// the stored values in the same transaction, or refuse with the records
    /// that would not convert.
    pub async fn update_custom_field(
        &self,
        scope: &Scope,
        kind: Kind,
        key: &str,
        patch: &FieldPatch,
        if_match: Option<i64>,
    ) -> Result<CustomField, StoreError> {
        let (mut tx, now) = self.begin_field_change(scope, kind).await?;
        let out = update_in(&mut tx, scope, Owner::Builtin(kind), key, patch, if_match, now).await?;
        end_field_change(tx, out).await
    }

    /// Sets the order of the kind's fields: `keys` lists every field in use, once.
    pub async fn reorder_custom_fields(
        &self,
        scope: &Scope,
        kind: Kind,
        keys: &[String],
    ) -> Result<Vec<CustomField>, StoreError> {
        let (mut tx, now) = self.begin_field_change(scope, kind).await?;
        let out = reorder_in(&mut tx, scope, Owner::Builtin(kind), keys, now).await?;
        end_field_change(tx, out).await
    }

    /// Deletes a field softly: it is no longer accepted or shown, its values
    /// stay in the records, and it can be restored until it is purged.
    pub async fn delete_custom_field(
        &self,
        scope: &Scope,
        kind: Kind,
        key: &str,
        if_match: Option<i64>,
    ) -> Result<(), StoreError> {
        let (mut tx, now) = self.begin_field_change(scope, kind).await?;
        set_deleted_in(&mut tx, scope, Owner::Builtin(kind), key, if_match, true, now).await?;
        end_field_change(tx, ()).await
    }

    /// Brings a deleted field back with the values the records kept.
    pub async fn restore_custom_field(
        &self,
        scope: &Scope,
        kind: Kind,
        key: &str,
        if_match: Option<i64>,
    ) -> Result<CustomField, StoreError> {
        let (mut tx, now) = self.begin_field_change(scope, kind).await?;
        let out = set_deleted_in(&mut tx, scope, Owner::Builtin(kind), key, if_match, false, now).await?;
        end_field_change(tx, out).await
    }

    /// Purges a deleted field at once: its definition and its values in every record. Returns how many records held a value.
    pub async fn purge_custom_field(&self, scope: &Scope, kind: Kind, key: &str) -> Result<u64, StoreError> {
        let (mut tx, _) = self.begin_field_change(scope, kind).await?;
        let out = purge_in(&mut tx, scope, Owner::Builtin(kind), key).await?;
        end_field_change(tx, out).await
    }

    /// A write transaction for a change of a built-in kind's definitions (admins only), and its time.
    async fn begin_field_change(&self, scope: &Scope, kind: Kind) -> Result<(Tx, DateTime<Utc>), StoreError> {
        crate::access::require_admin(scope)?;
        kind_allowed(kind)?;
        Ok((self.db.write().await?, self.clock.now()))
    }
}

/// Commits a change of definitions and drops the definitions cached from before.
pub(crate) async fn end_field_change<T>(tx: Tx, out: T) -> Result<T, StoreError> {
    tx.commit().await?;
    crate::cache::invalidate();
    Ok(out)
}

// ---- changes, for either owner --------------------------------------------

/// Defines a field after the owner's others, once expired deleted ones are purged.
pub(crate) async fn create_in(
    tx: &mut Tx,
    scope: &Scope,
    owner: Owner<'_>,
    def: &CustomField,
    now: DateTime<Utc>,
) -> Result<CustomField, StoreError> {
    let mut def = checked(tx, scope, def).await?;
    let existing = load_all_for(tx, scope, owner.name()).await?;
    let existing = purge_expired(tx, scope, owner, existing, now).await?;
    if let Some(old) = existing.iter().find(|d| d.key == def.key) {
        let name = owner.name();
        let m = if old.is_deleted() {
            format!("a deleted {name} field has the key '{}': restore or purge it first", def.key)
        } else {
            format!("{name} already has a field '{}'", def.key)
        };
        return Err(ValidationErrors::single("key", "taken", m).into());
    }
    def.position = existing.iter().map(|d| d.position + 1).max().unwrap_or(0);
    insert_row(tx, scope, owner.name(), &def, now).await?;
    ensure_indexes(tx, owner, &def).await?;
    audit_change(tx, scope, owner, "created", &def, json!({"type": def.ty.as_str()})).await?;
    Ok(def)
}

/// Changes a definition (not its key); a new type or new options convert the
/// values or refuse, naming the records that would not convert.
pub(crate) async fn update_in(
    tx: &mut Tx,
    scope: &Scope,
    owner: Owner<'_>,
    key: &str,
    patch: &FieldPatch,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> Result<CustomField, StoreError> {
    let defs = load_all_for(tx, scope, owner.name()).await?;
    let old = find(&defs, key)?;
    check_version(&old, if_match.or(patch.version))?;
    if old.is_deleted() {
        return Err(Conflict::new("field-deleted", format!("the field '{key}' is deleted: restore it first"))
            .with("field", key)
            .into());
    }
    let (currency, region) = value_context(tx, scope).await?;
    let ctx = ValueContext { region, currency: &currency };
    let mut new = patch.apply(&old);
    custom::check_definition(&new, &ctx)?;
    new.version = old.version + 1;
    let retyped = new.ty != old.ty || new.options != old.options;
    let converted = if retyped { convert_values(tx, scope, owner, &old, &new, &ctx, now).await? } else { 0 };
    save(tx, scope, owner, &new, now).await?;
    if new.ty != old.ty {
        ensure_indexes(tx, owner, &new).await?;
        drop_unused_indexes(tx, owner, &old).await?;
    }
    let changed = changed_attributes(&old, &new);
    audit_change(tx, scope, owner, "updated", &new, json!({"changed": changed, "converted_records": converted})).await?;
    Ok(new)
}

/// Sets the order of the owner's fields: `keys` lists every field in use, once.
async fn reorder_in(
    tx: &mut Tx,
    scope: &Scope,
    owner: Owner<'_>,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<CustomField>, StoreError> {
    let defs = load_for(tx, scope, owner.name()).await?;
    let mut want: Vec<&str> = defs.iter().map(|d| d.key.as_str()).collect();
    let mut given: Vec<&str> = keys.iter().map(String::as_str).collect();
    want.sort_unstable();
    given.sort_unstable();
    if want != given {
        return Err(ValidationErrors::single("keys", "invalid", "list every field in use exactly once").into());
    }
    for (pos, key) in keys.iter().enumerate() {
        let mut def = find(&defs, key)?;
        if def.position != pos as i64 {
            def.position = pos as i64;
            def.version += 1;
            save(tx, scope, owner, &def, now).await?;
        }
    }
    audit::append(tx, scope, "custom_field.reordered", None, json!({"kind": owner.name(), "keys": keys})).await?;
    load_for(tx, scope, owner.name()).await
}

/// Deletes a field softly (its values stay) or restores it, at the end of the owner's list.
pub(crate) async fn set_deleted_in(
    tx: &mut Tx,
    scope: &Scope,
    owner: Owner<'_>,
    key: &str,
    if_match: Option<i64>,
    deleted: bool,
    now: DateTime<Utc>,
) -> Result<CustomField, StoreError> {
    let defs = load_all_for(tx, scope, owner.name()).await?;
    let defs = purge_expired(tx, scope, owner, defs, now).await?;
    let mut def = find(&defs, key)?;
    check_version(&def, if_match)?;
    if def.is_deleted() == deleted {
        let (code, state) =
            if deleted { ("field-already-deleted", "already deleted") } else { ("field-not-deleted", "not deleted") };
        return Err(Conflict::new(code, format!("the field '{key}' is {state}")).with("field", key).into());
    }
    def.version += 1;
    def.deleted_at = deleted.then(|| rapport_domain::value::format_datetime(&now));
    if !deleted {
        def.position = defs.iter().map(|d| d.position + 1).max().unwrap_or(0);
    }
    save(tx, scope, owner, &def, now).await?;
    if !deleted {
        ensure_indexes(tx, owner, &def).await?;
    }
    let detail = if deleted { json!({"values_kept": true}) } else { Json::Null };
    audit_change(tx, scope, owner, if deleted { "deleted" } else { "restored" }, &def, detail).await?;
    Ok(def)
}

/// Purges a deleted field: its definition and its values. Returns how many records held a value.
pub(crate) async fn purge_in(tx: &mut Tx, scope: &Scope, owner: Owner<'_>, key: &str) -> Result<u64, StoreError> {
    let def = find(&load_all_for(tx, scope, owner.name()).await?, key)?;
    if !def.is_deleted() {
        return Err(Conflict::new("field-purge-live", format!("delete the field '{key}' before purging it"))
            .with("field", key)
            .into());
    }
    purge_row(tx, scope, owner, &def).await
}

/// A new definition as it will be stored: trimmed, version 1, checked against
/// the domain's rules (with the workspace's currency and region) and, for a
/// relation, against its target.
async fn checked(tx: &mut Tx, scope: &Scope, def: &CustomField) -> Result<CustomField, StoreError> {
    let (currency, region) = value_context(tx, scope).await?;
    let mut def = CustomField { label: def.label.trim().to_string(), version: 1, deleted_at: None, ..def.clone() };
    def.help = def.help.filter(|h| !h.trim().is_empty());
    custom::check_definition(&def, &ValueContext { region, currency: &currency })?;
    let mut errs = ValidationErrors::default();
    crate::object_types::check_relation(tx, scope, &def, &mut errs).await?;
    errs.into_result()?;
    Ok(def)
}

/// Writes a new definition row for a built-in kind (its name) or a custom record kind (its key).
async fn insert_row(tx: &mut Tx, scope: &Scope, owner: &str, def: &CustomField, now: DateTime<Utc>) -> Result<(), StoreError> {
    let ins = Query::insert()
        .into_table(t("custom_fields"))
        .columns(
            ["workspace_id", "kind", "key", "label", "type", "required", "options", "settings", "help", "hidden", "position"]
                .into_iter()
                .chain(["version", "created_at", "target", "many"])
                .map(t),
        )
        .values_panic([
            uuid(scope.workspace_id).into(),
            owner.into(),
            def.key.clone().into(),
            def.label.clone().into(),
            def.ty.as_str().into(),
            def.required.into(),
            Json::from(def.options.clone()).into(),
            settings_of(def).into(),
            def.help.clone().into(),
            def.hidden.into(),
            def.position.into(),
            def.version.into(),
            time(now).into(),
            sea_query::Value::String(def.target.clone()).into(),
            def.many.into(),
        ])
        .to_owned();
    tx.exec(&ins).await?;
    Ok(())
}

/// The attributes a change of definition touched, for the audit log.
fn changed_attributes(old: &CustomField, new: &CustomField) -> Vec<&'static str> {
    [
        ("label", old.label != new.label),
        ("type", old.ty != new.ty),
        ("required", old.required != new.required),
        ("options", old.options != new.options),
        ("default", old.default != new.default),
        ("validation", (&old.min, &old.max, old.max_length, &old.pattern) != (&new.min, &new.max, new.max_length, &new.pattern)),
        ("help", old.help != new.help),
        ("hidden", old.hidden != new.hidden),
        ("identifies", old.identifies != new.identifies),
    ]
    .into_iter()
    .filter_map(|(n, c)| c.then_some(n))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_fit_postgres() {
        let key = "a".repeat(40);
        let def = CustomField { key, ty: CustomType::Money, ..Default::default() };
        let (f, s) = index_names("organizations", &Column::custom(&def));
        assert!(f.len() <= 63 && s.len() <= 63, "{s}");
        assert_ne!(f, s);
    }
}
