//! Workspaces (the companies using Rapport), their settings, and API tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rapport_domain::access::TokenScope;
use rapport_domain::contact::parse_region;
use rapport_domain::custom::CustomField;
use rapport_domain::validate::Context;
use rapport_domain::value::{new_id, now};
use rapport_domain::{Kind, ValidationErrors, money};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{Col, Tx, str_at, uuid_at};
use crate::sql::t;
use crate::values::{time, uuid};
use crate::{Scope, Store, StoreError, Via, audit, custom_fields, pipelines};
use serde_json::Value as Json;

#[derive(Debug, Clone, Serialize)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub phone_region: String,
    pub time_zone: String,
}

/// What validation needs to know about the workspace.
pub(crate) struct ContextData {
    pub workspace: Workspace,
    pub custom: Vec<CustomField>,
}

impl ContextData {
    pub fn context(&self, now: DateTime<Utc>) -> Context<'_> {
        Context {
            region: parse_region(&self.workspace.phone_region).unwrap_or(phonenumber::country::Id::US),
            currency: &self.workspace.currency,
            custom: &self.custom,
            now,
        }
    }
}

const WS_COLS: [&str; 5] = ["id", "name", "currency", "phone_region", "time_zone"];

fn ws_from_row(r: &[serde_json::Value]) -> Option<Workspace> {
    Some(Workspace {
        id: uuid_at(r, 0)?,
        name: str_at(r, 1)?.to_string(),
        currency: str_at(r, 2)?.to_string(),
        phone_region: str_at(r, 3)?.to_string(),
        time_zone: str_at(r, 4)?.to_string(),
    })
}

pub(crate) async fn load(tx: &mut Tx, id: Uuid) -> Result<Workspace, StoreError> {
    let q = Query::select().columns(WS_COLS.map(t)).from(t("workspaces")).and_where(Expr::col(t("id")).eq(uuid(id))).to_owned();
    let row = tx.row(&q, &[Col::Uuid, Col::Text, Col::Text, Col::Text, Col::Text]).await?;
    row.as_deref().and_then(ws_from_row).ok_or(StoreError::NotFound)
}

pub(crate) async fn context(tx: &mut Tx, scope: &Scope, kind: Kind) -> Result<ContextData, StoreError> {
    let workspace = load(tx, scope.workspace_id).await?;
    // Deleted fields too: their values are kept through writes until purged.
    let custom = if kind.has_custom_fields() { custom_fields::load_all(tx, scope, kind).await? } else { vec![] };
    Ok(ContextData { workspace, custom })
}

/// The context of a write to a custom record: its kind's fields (keyed by the kind's key).
pub(crate) async fn context_for(tx: &mut Tx, scope: &Scope, owner: &str) -> Result<ContextData, StoreError> {
    let workspace = load(tx, scope.workspace_id).await?;
    // Deleted fields too, as for built-in kinds.
    let custom = custom_fields::load_all_for(tx, scope, owner).await?;
    Ok(ContextData { workspace, custom })
}

/// A digest of a secret token, as stored: the token itself is never kept.
pub fn token_digest(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_settings(currency: &str, region: &str) -> Result<(String, String), StoreError> {
    let mut errs = ValidationErrors::default();
    let c = money::parse_currency(currency);
    if c.is_none() {
        errs.push("currency", "invalid", format!("'{currency}' is not an ISO 4217 currency"));
    }
    if parse_region(region).is_none() {
        errs.push("phone_region", "invalid", format!("'{region}' is not a region code such as FR or US"));
    }
    errs.into_result()?;
    Ok((c.unwrap_or_default().to_string(), region.trim().to_uppercase()))
}

impl Store {
    /// Creates a workspace with a default sales pipeline.
    pub async fn create_workspace(&self, name: &str, currency: &str, phone_region: &str) -> Result<Workspace, StoreError> {
        let (currency, region) = check_settings(currency, phone_region)?;
        let id = new_id();
        let mut tx = self.db.write().await?;
        let ins = Query::insert()
            .into_table(t("workspaces"))
            .columns(["id", "name", "currency", "phone_region", "time_zone", "created_at"].map(t))
            .values_panic([uuid(id).into(), name.into(), currency.into(), region.into(), "UTC".into(), time(now()).into()])
            .to_owned();
        tx.exec(&ins).await?;
        let scope = Scope::system(id, Via::System);
        pipelines::create_default(&mut tx, &scope).await?;
        let ws = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(ws)
    }

    pub async fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let q = Query::select().columns(WS_COLS.map(t)).from(t("workspaces")).order_by(t("id"), Order::Asc).to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &[Col::Uuid, Col::Text, Col::Text, Col::Text, Col::Text]).await?;
        tx.commit().await?;
        Ok(rows.iter().filter_map(|r| ws_from_row(r)).collect())
    }

    pub async fn workspace(&self, scope: &Scope) -> Result<Workspace, StoreError> {
        crate::access::require_staff(scope)?;
        if let Some(ws) = crate::cache::WORKSPACES.get(&scope.workspace_id) {
            return Ok(ws);
        }
        let read_at = crate::cache::epoch();
        let mut tx = self.db.read().await?;
        let ws = load(&mut tx, scope.workspace_id).await?;
        tx.commit().await?;
        crate::cache::WORKSPACES.put(scope.workspace_id, ws.clone(), read_at);
        Ok(ws)
    }

    /// Changes the workspace's name, currency, phone region or time zone.
    pub async fn update_workspace(
        &self,
        scope: &Scope,
        name: Option<&str>,
        currency: Option<&str>,
        region: Option<&str>,
        tz: Option<&str>,
    ) -> Result<Workspace, StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.write().await?;
        let cur = load(&mut tx, scope.workspace_id).await?;
        let (currency, region) = check_settings(currency.unwrap_or(&cur.currency), region.unwrap_or(&cur.phone_region))?;
        let upd = Query::update()
            .table(t("workspaces"))
            .value(t("name"), name.unwrap_or(&cur.name))
            .value(t("currency"), currency)
            .value(t("phone_region"), region)
            .value(t("time_zone"), tz.unwrap_or(&cur.time_zone))
            .and_where(Expr::col(t("id")).eq(uuid(scope.workspace_id)))
            .to_owned();
        tx.exec(&upd).await?;
        let ws = load(&mut tx, scope.workspace_id).await?;
        audit::append(&mut tx, scope, "workspace_settings_changed", None, serde_json::to_value(&ws).unwrap_or_default()).await?;
        tx.commit().await?;
        crate::cache::invalidate();
        Ok(ws)
    }

    /// The user with this login email in the workspace.
    pub async fn user_by_email(&self, workspace_id: Uuid, email: &str) -> Result<Option<Uuid>, StoreError> {
        let q = Query::select()
            .column(t("id"))
            .from(t("users"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
            .and_where(Expr::col(t("email")).eq(email.trim().to_lowercase()))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &[Col::Uuid]).await?;
        tx.commit().await?;
        Ok(row.and_then(|r| uuid_at(&r, 0)))
    }

    /// Issues an API token for a user and returns it; only its digest is stored.
    pub async fn create_token(
        &self,
        scope: &Scope,
        user_id: Uuid,
        name: &str,
        scopes: &[TokenScope],
    ) -> Result<Json, StoreError> {
        crate::access::require_staff(scope)?;
        if scope.user_id != Some(user_id) {
            crate::access::require_admin(scope)?;
        }
        let mut errs = ValidationErrors::default();
        if name.trim().is_empty() || name.len() > 200 {
            errs.push("name", "required", "give the token a name of at most 200 characters (what it is for)");
        }
        if scopes.is_empty() {
            errs.push("scopes", "required", "give at least one scope");
        }
        errs.into_result()?;
        let secret: [u8; 32] = rand::random();
        let token = format!("rpt_{}", URL_SAFE_NO_PAD.encode(secret));
        let id = new_id();
        let rendered: Vec<String> = scopes.iter().map(TokenScope::render).collect();
        let mut tx = self.db.write().await?;
        if crate::access::load_actor(&mut tx, scope.workspace_id, user_id).await?.is_none() {
            return Err(StoreError::Invalid(ValidationErrors::single("user_id", "not_found", "no active user with this id")));
        }
        let ins = Query::insert()
            .into_table(t("api_tokens"))
            .columns(["workspace_id", "id", "user_id", "name", "token_hash", "created_at", "scopes"].map(t))
            .values_panic([
                uuid(scope.workspace_id).into(),
                uuid(id).into(),
                uuid(user_id).into(),
                name.trim().into(),
                token_digest(&token).into(),
                time(now()).into(),
                Json::from(rendered.clone()).into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
        let detail = serde_json::json!({"token_id": id, "for_user": user_id, "name": name.trim(), "scopes": rendered});
        audit::append(&mut tx, scope, "token_created", None, detail).await?;
        tx.commit().await?;
        Ok(serde_json::json!({"id": id, "user_id": user_id, "name": name.trim(), "scopes": rendered, "token": token}))
    }

    /// The tokens of the scope's user (all of the workspace's for an admin); never the secrets.
    pub async fn tokens(&self, scope: &Scope) -> Result<Vec<Json>, StoreError> {
        crate::access::require_staff(scope)?;
        let mut q = Query::select()
            .columns(["id", "user_id", "name", "scopes", "created_at", "last_used_at", "revoked_at"].map(t))
            .from(t("api_tokens"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .order_by(t("id"), Order::Asc)
            .to_owned();
        if crate::access::require_admin(scope).is_err() {
            q.and_where(Expr::col(t("user_id")).eq(crate::values::opt_uuid(scope.user_id)));
        }
        let mut tx = self.db.read().await?;
        let rows =
            tx.rows(&q, &[Col::Uuid, Col::Uuid, Col::Text, Col::Json, Col::DateTime, Col::DateTime, Col::DateTime]).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                serde_json::json!({"id": r[0], "user_id": r[1], "name": r[2], "scopes": r[3], "created_at": r[4], "last_used_at": r[5], "revoked_at": r[6]})
            })
            .collect())
    }

    /// Revokes a token: its owner or an admin may.
    pub async fn revoke_token(&self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        let mut upd = Query::update()
            .table(t("api_tokens"))
            .value(t("revoked_at"), time(now()))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .and_where(Expr::col(t("revoked_at")).is_null())
            .to_owned();
        if crate::access::require_admin(scope).is_err() {
            upd.and_where(Expr::col(t("user_id")).eq(crate::values::opt_uuid(scope.user_id)));
        }
        let mut tx = self.db.write().await?;
        if tx.exec(&upd).await? == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append(&mut tx, scope, "token_revoked", None, serde_json::json!({"token_id": id})).await?;
        tx.commit().await
    }

    /// The scope a bearer token acts in, if the token is live and its user active.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<Scope>, StoreError> {
        let digest = token_digest(token);
        let q = Query::select()
            .columns(["workspace_id", "user_id", "id", "last_used_at", "scopes"].map(t))
            .from(t("api_tokens"))
            .and_where(Expr::col(t("token_hash")).eq(digest))
            .and_where(Expr::col(t("revoked_at")).is_null())
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &[Col::Uuid, Col::Uuid, Col::Uuid, Col::DateTime, Col::Json]).await?;
        let Some(r) = row else { return Ok(None) };
        let (Some(ws), Some(user), Some(token_id)) = (uuid_at(&r, 0), uuid_at(&r, 1), uuid_at(&r, 2)) else { return Ok(None) };
        let Some(actor) = crate::access::load_actor(&mut tx, ws, user).await? else { return Ok(None) };
        tx.commit().await?;
        let scopes: Vec<TokenScope> = r[4]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().and_then(TokenScope::parse)).collect())
            .unwrap_or_default();
        // Record use at most once a minute, so reads do not queue behind writes.
        let stale = str_at(&r, 3)
            .and_then(rapport_domain::validate::parse_datetime)
            .is_none_or(|t| now() - t > chrono::Duration::seconds(60));
        if stale {
            let upd = Query::update()
                .table(t("api_tokens"))
                .value(t("last_used_at"), time(now()))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(ws)))
                .and_where(Expr::col(t("id")).eq(uuid(token_id)))
                .to_owned();
            let mut tx = self.db.write().await?;
            tx.exec(&upd).await?;
            tx.commit().await?;
        }
        Ok(Some(Scope {
            workspace_id: ws,
            user_id: Some(user),
            via: Via::Api,
            actor: Some(actor),
            token_scopes: Some(scopes),
            ip: None,
        }))
    }
}
