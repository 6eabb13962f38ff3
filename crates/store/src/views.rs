//! Saved views of lists: a name and the list's query string (filters, search,
//! sort, columns), private to the user who saved it or shared with the whole
//! workspace. Only its owner or an admin may change or delete a view.

use chrono::{DateTime, Utc};
use rapport_domain::access::Role;
use rapport_domain::value::{new_id, now};
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use serde::Serialize;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::access::require_staff;
use crate::db::{Col, str_at, uuid_at};
use crate::sql::t;
use crate::values::{time, uuid};
use crate::{Scope, Store, StoreError};

/// The longest name and query string a view may have.
const MAX_NAME: usize = 200;
const MAX_QUERY: usize = 4000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedView {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub kind: Kind,
    pub name: String,
    /// The list's query string, without a leading `?`.
    pub query: String,
    pub shared: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: [&str; 8] = ["id", "owner_id", "kind", "name", "query", "shared", "created_at", "updated_at"];
const TYPES: [Col; 8] = [Col::Uuid, Col::Uuid, Col::Text, Col::Text, Col::Text, Col::Bool, Col::DateTime, Col::DateTime];

fn from_row(r: &[Json]) -> Option<SavedView> {
    let at = |i: usize| str_at(r, i).and_then(rapport_domain::validate::parse_datetime);
    Some(SavedView {
        id: uuid_at(r, 0)?,
        owner_id: uuid_at(r, 1)?,
        kind: Kind::parse(str_at(r, 2)?)?,
        name: str_at(r, 3)?.to_string(),
        query: str_at(r, 4).unwrap_or_default().to_string(),
        shared: r.get(5).and_then(Json::as_bool).unwrap_or(false),
        created_at: at(6)?,
        updated_at: at(7)?,
    })
}

fn check(name: &str, query: &str) -> Result<(), StoreError> {
    let mut errs = ValidationErrors::default();
    if name.trim().is_empty() {
        errs.push("name", "required", "is required");
    } else if name.chars().count() > MAX_NAME {
        errs.push_with("name", "too_long", format!("must be at most {MAX_NAME} characters"), &[("max", MAX_NAME.to_string())]);
    }
    if query.len() > MAX_QUERY {
        errs.push("query", "too_long", format!("must be at most {MAX_QUERY} bytes"));
    }
    errs.into_result().map_err(StoreError::Invalid)
}

/// The views the scope may see: its own and the shared ones.
fn visible(scope: &Scope) -> Cond {
    let mut c = Cond::any().add(Expr::col(t("shared")).eq(true));
    if let Some(me) = scope.user_id {
        c = c.add(Expr::col(t("owner_id")).eq(uuid(me)));
    }
    c
}

/// Whether the scope may change or delete this view.
fn may_change(scope: &Scope, v: &SavedView) -> bool {
    match &scope.actor {
        None => true,
        Some(a) => a.role == Role::Admin || scope.user_id == Some(v.owner_id),
    }
}

impl Store {
    /// Saves a view owned by the acting user.
    pub async fn create_view(
        &self,
        scope: &Scope,
        kind: Kind,
        name: &str,
        query: &str,
        shared: bool,
    ) -> Result<SavedView, StoreError> {
        require_staff(scope)?;
        let Some(owner) = scope.user_id else {
            return Err(StoreError::Forbidden("a view belongs to a user; sign in to save one".into()));
        };
        check(name, query)?;
        let (id, at) = (new_id(), now());
        let ins = Query::insert()
            .into_table(t("saved_views"))
            .columns(["workspace_id", "id", "owner_id", "kind", "name", "query", "shared", "created_at", "updated_at"].map(t))
            .values_panic([
                uuid(scope.workspace_id).into(),
                uuid(id).into(),
                uuid(owner).into(),
                kind.as_str().into(),
                name.trim().into(),
                query.into(),
                shared.into(),
                time(at).into(),
                time(at).into(),
            ])
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&ins).await?;
        tx.commit().await?;
        self.view(scope, id).await
    }

    /// The views of a kind the scope may see (its own and the shared ones), by name.
    pub async fn views(&self, scope: &Scope, kind: Kind) -> Result<Vec<SavedView>, StoreError> {
        require_staff(scope)?;
        let q = Query::select()
            .columns(COLS.map(t))
            .from(t("saved_views"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("kind")).eq(kind.as_str()))
            .cond_where(visible(scope))
            .order_by(t("name"), Order::Asc)
            .order_by(t("id"), Order::Asc)
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &TYPES).await?;
        tx.commit().await?;
        Ok(rows.iter().filter_map(|r| from_row(r)).collect())
    }

    /// One view, if the scope may see it.
    pub async fn view(&self, scope: &Scope, id: Uuid) -> Result<SavedView, StoreError> {
        require_staff(scope)?;
        let q = Query::select()
            .columns(COLS.map(t))
            .from(t("saved_views"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .cond_where(visible(scope))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &TYPES).await?;
        tx.commit().await?;
        row.as_deref().and_then(from_row).ok_or(StoreError::NotFound)
    }

    /// Renames a view, replaces its query or shares it; `None` keeps what it was.
    pub async fn update_view(
        &self,
        scope: &Scope,
        id: Uuid,
        name: Option<&str>,
        query: Option<&str>,
        shared: Option<bool>,
    ) -> Result<SavedView, StoreError> {
        let cur = self.view(scope, id).await?;
        if !may_change(scope, &cur) {
            return Err(StoreError::Forbidden("only its owner or an admin may change a view".into()));
        }
        let name = name.unwrap_or(&cur.name).trim().to_string();
        let query = query.unwrap_or(&cur.query).to_string();
        check(&name, &query)?;
        let upd = Query::update()
            .table(t("saved_views"))
            .value(t("name"), name)
            .value(t("query"), query)
            .value(t("shared"), shared.unwrap_or(cur.shared))
            .value(t("updated_at"), time(now()))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&upd).await?;
        tx.commit().await?;
        self.view(scope, id).await
    }

    pub async fn delete_view(&self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        let cur = self.view(scope, id).await?;
        if !may_change(scope, &cur) {
            return Err(StoreError::Forbidden("only its owner or an admin may delete a view".into()));
        }
        let del = Query::delete()
            .from_table(t("saved_views"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&del).await?;
        tx.commit().await
    }
}
